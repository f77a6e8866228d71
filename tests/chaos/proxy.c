#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define MAX_FWD  8
#define POLL_MS  200
#define BUF_SIZE 65536

struct fwd {
    bool open;
    int listen_fd;
    int upstream_port;
    atomic_bool blackhole;
    pthread_t acceptor;
};

struct conn {
    struct fwd *f;
    int a, b; /* the host's side, the server's side */
};

static struct fwd fwds[MAX_FWD];
static atomic_bool stopping;
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_cv = PTHREAD_COND_INITIALIZER;
static int live; /* connection threads running */

static void no_delay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Writes all n bytes; false on error. */
static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Moves what is readable on `from` to `to`; false when the connection is over. */
static bool pump(int from, int to, char *buf)
{
    ssize_t r = read(from, buf, BUF_SIZE);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    return r > 0 && write_all(to, buf, (size_t)r);
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    char *buf = chaos_xmalloc(BUF_SIZE);
    bool ok = true;
    while (ok && !atomic_load(&stopping)) {
        if (atomic_load(&c->f->blackhole)) {
            chaos_sleep_ms(50);
            continue;
        }
        struct pollfd p[2] = {{.fd = c->a, .events = POLLIN}, {.fd = c->b, .events = POLLIN}};
        int n = poll(p, 2, POLL_MS);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
            ok = pump(c->a, c->b, buf);
        if (ok && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            ok = pump(c->b, c->a, buf);
    }
    close(c->a);
    close(c->b);
    free(buf);
    free(c);
    pthread_mutex_lock(&live_mu);
    live--;
    pthread_cond_broadcast(&live_cv);
    pthread_mutex_unlock(&live_mu);
    return NULL;
}

/* A connection to the server on loopback, or -1. */
static int connect_upstream(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    no_delay(fd);
    return fd;
}

static void serve(struct fwd *f, int client)
{
    int up = connect_upstream(f->upstream_port);
    if (up < 0) { /* the server is down: the host sees the connection close */
        close(client);
        return;
    }
    no_delay(client);
    struct conn *c = chaos_xmalloc(sizeof *c);
    *c = (struct conn){.f = f, .a = client, .b = up};
    pthread_mutex_lock(&live_mu);
    live++;
    pthread_mutex_unlock(&live_mu);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&(pthread_t){0}, &attr, conn_main, c) != 0) {
        close(client);
        close(up);
        free(c);
        pthread_mutex_lock(&live_mu);
        live--;
        pthread_mutex_unlock(&live_mu);
    }
    pthread_attr_destroy(&attr);
}

static void *acceptor_main(void *arg)
{
    struct fwd *f = arg;
    while (!atomic_load(&stopping)) {
        struct pollfd p = {.fd = f->listen_fd, .events = POLLIN};
        if (poll(&p, 1, POLL_MS) <= 0)
            continue;
        int client = accept(f->listen_fd, NULL, NULL);
        if (client < 0)
            continue;
        fcntl(client, F_SETFD, FD_CLOEXEC);
        serve(f, client);
    }
    return NULL;
}

int proxy_open(int idx, const char *listen_addr, int upstream_port)
{
    if (idx < 0 || idx >= MAX_FWD || fwds[idx].open)
        return -1;
    struct fwd *f = &fwds[idx];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof sa;
    if (fd < 0 || inet_pton(AF_INET, listen_addr, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "chaos: cannot listen on %s for host %d: %s\n", listen_addr, idx,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    f->listen_fd = fd;
    f->upstream_port = upstream_port;
    atomic_store(&f->blackhole, false);
    if (pthread_create(&f->acceptor, NULL, acceptor_main, f) != 0) {
        close(fd);
        return -1;
    }
    f->open = true;
    return ntohs(sa.sin_port);
}

void proxy_blackhole(int idx, bool on)
{
    if (idx >= 0 && idx < MAX_FWD)
        atomic_store(&fwds[idx].blackhole, on);
}

void proxy_close_all(void)
{
    atomic_store(&stopping, true);
    for (int i = 0; i < MAX_FWD; i++) {
        if (!fwds[i].open)
            continue;
        pthread_join(fwds[i].acceptor, NULL);
        close(fwds[i].listen_fd);
        fwds[i].open = false;
    }
    pthread_mutex_lock(&live_mu);
    while (live > 0)
        pthread_cond_wait(&live_cv, &live_mu);
    pthread_mutex_unlock(&live_mu);
}
