#include "net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define NS_PREFIX "thchaos"

static pthread_mutex_t net_lock = PTHREAD_MUTEX_INITIALIZER;
static struct net *active; /* the namespaces to remove at exit */

static bool ip(const struct net *net, const char *const argv[])
{
    return chaos_run(argv, net->log) == 0;
}

/* Removes namespaces named NS_PREFIX<pid>h<i> whose program is gone (a crashed run). */
static void remove_stale(const struct net *net)
{
    DIR *d = opendir("/run/netns");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid = 0, i = 0;
        if (sscanf(e->d_name, NS_PREFIX "%dh%d", &pid, &i) != 2 || pid <= 0)
            continue;
        if (kill(pid, 0) == 0 || errno == EPERM)
            continue;
        char name[sizeof e->d_name];
        snprintf(name, sizeof name, "%s", e->d_name);
        const char *del[] = {"ip", "netns", "del", name, NULL};
        if (ip(net, del))
            chaos_note("removed the namespace %s left by an earlier run (pid %d)", name, pid);
    }
    closedir(d);
}

/* True when some interface of the root namespace has an address in 10.a.b.0/24. */
static bool subnet_used(int a, int b)
{
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0)
        return false;
    bool used = false;
    for (struct ifaddrs *it = list; it && !used; it = it->ifa_next) {
        if (it->ifa_addr == NULL || it->ifa_addr->sa_family != AF_INET)
            continue;
        uint32_t v =
            ntohl(((const struct sockaddr_in *)(const void *)it->ifa_addr)->sin_addr.s_addr);
        used =
            (v >> 24) == 10 && ((v >> 16) & 255) == (uint32_t)a && ((v >> 8) & 255) == (uint32_t)b;
    }
    freeifaddrs(list);
    return used;
}

static void fill_loopback(struct net *net, int n)
{
    net->netns = false;
    net->n = n;
    for (int i = 0; i < n; i++) {
        memset(&net->h[i], 0, sizeof net->h[i]);
        snprintf(net->h[i].addr_root, sizeof net->h[i].addr_root, "127.0.0.1");
        snprintf(net->h[i].addr_ns, sizeof net->h[i].addr_ns, "127.0.0.1");
    }
}

/* Creates host i's namespace and veth pair on 10.a.b.4i+1/30 and 10.a.b.4i+2/30. */
static bool make_host(struct net *net, int i, int a, int b)
{
    struct net_host *h = &net->h[i];
    int pid = (int)getpid() % 10000000; /* interface names: 15 characters at most */
    snprintf(h->ns, sizeof h->ns, NS_PREFIX "%dh%d", pid, i);
    snprintf(h->veth_root, sizeof h->veth_root, "thc%dr%d", pid, i);
    snprintf(h->veth_ns, sizeof h->veth_ns, "thc%dn%d", pid, i);
    snprintf(h->addr_root, sizeof h->addr_root, "10.%d.%d.%d", a, b, 4 * i + 1);
    snprintf(h->addr_ns, sizeof h->addr_ns, "10.%d.%d.%d", a, b, 4 * i + 2);
    char root_cidr[48], ns_cidr[48];
    snprintf(root_cidr, sizeof root_cidr, "%s/30", h->addr_root);
    snprintf(ns_cidr, sizeof ns_cidr, "%s/30", h->addr_ns);
    const char *add_ns[] = {"ip", "netns", "add", h->ns, NULL};
    const char *add_veth[] = {"ip",   "link", "add",      h->veth_root, "type", "veth",
                              "peer", "name", h->veth_ns, "netns",      h->ns,  NULL};
    const char *addr_root[] = {"ip", "addr", "add", root_cidr, "dev", h->veth_root, NULL};
    const char *up_root[] = {"ip", "link", "set", h->veth_root, "up", NULL};
    const char *addr_in[] = {"ip",  "netns", "exec", h->ns,      "ip", "addr",
                             "add", ns_cidr, "dev",  h->veth_ns, NULL};
    const char *up_in[] = {"ip",   "netns", "exec",     h->ns, "ip",
                           "link", "set",   h->veth_ns, "up",  NULL};
    const char *lo_in[] = {"ip", "netns", "exec", h->ns, "ip", "link", "set", "lo", "up", NULL};
    return ip(net, add_ns) && ip(net, add_veth) && ip(net, addr_root) && ip(net, up_root) &&
           ip(net, addr_in) && ip(net, up_in) && ip(net, lo_in);
}

static void at_exit_teardown(void)
{
    net_teardown();
}

bool net_setup(struct net *net, int n, bool force_loopback, const char *log_path)
{
    memset(net, 0, sizeof *net);
    snprintf(net->log, sizeof net->log, "%s", log_path);
    fill_loopback(net, n);
    if (force_loopback) {
        snprintf(net->why_not, sizeof net->why_not, "--loopback was given");
        return false;
    }
    if (geteuid() != 0) {
        snprintf(net->why_not, sizeof net->why_not, "not root (network namespaces need root)");
        return false;
    }
    remove_stale(net);
    int pid = (int)getpid();
    int a = 200 + (pid / 256) % 50, b = pid % 256;
    for (int tries = 0; tries < 256 && subnet_used(a, b); tries++)
        b = (b + 1) % 256;
    pthread_mutex_lock(&net_lock);
    active = net;
    pthread_mutex_unlock(&net_lock);
    atexit(at_exit_teardown);
    for (int i = 0; i < n; i++) {
        if (!make_host(net, i, a, b)) {
            snprintf(net->why_not, sizeof net->why_not,
                     "`ip netns`/veth set-up failed (output in %s)", log_path);
            net->n = i + 1;
            net_teardown();
            fill_loopback(net, n);
            return false;
        }
    }
    net->netns = true;
    return true;
}

bool net_cut(const struct net *net, int i, bool cut)
{
    if (!net->netns)
        return false;
    const char *argv[] = {"ip", "link", "set", net->h[i].veth_root, cut ? "down" : "up", NULL};
    return ip(net, argv);
}

void net_teardown(void)
{
    pthread_mutex_lock(&net_lock);
    struct net *net = active;
    active = NULL;
    pthread_mutex_unlock(&net_lock);
    if (net == NULL)
        return;
    for (int i = 0; i < net->n; i++) {
        if (net->h[i].ns[0] == '\0')
            continue;
        const char *del[] = {"ip", "netns", "del", net->h[i].ns, NULL};
        ip(net, del);
    }
}
