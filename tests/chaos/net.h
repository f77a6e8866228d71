/*
 * The "machines" of a chaos run: where the machine allows it (root, and `ip netns` works),
 * every host gets a network namespace of its own, joined to the root namespace by a veth
 * pair on a private /30 (10.A.B.4i+1 on the root side, 10.A.B.4i+2 inside); its traffic to
 * the test server goes through a forwarder (proxy.h) listening on the root-side address. A
 * network cut takes the root-side link down. Otherwise the hosts run on loopback.
 */
#ifndef TASKHOST_CHAOS_NET_H
#define TASKHOST_CHAOS_NET_H

#include <stdbool.h>

#define NET_MAX_HOSTS 8

struct net_host {
    char ns[32];        /* namespace name ("" on loopback) */
    char veth_root[32]; /* root-side end of the veth pair (at most 15 characters) */
    char veth_ns[32];   /* the end inside the namespace */
    char addr_root[32]; /* where the host's forwarder listens (127.0.0.1 on loopback) */
    char addr_ns[32];   /* the host's own address ("127.0.0.1" on loopback) */
};

struct net {
    bool netns; /* false: loopback; why_not says why */
    int n;
    struct net_host h[NET_MAX_HOSTS];
    char why_not[256];
    char log[512]; /* where the output of the `ip` commands goes */
};

/*
 * Makes n namespaces with their veth pairs (removing first those that earlier runs of this
 * program left behind), or, when that is not possible or force_loopback, fills loopback
 * addresses and says why in why_not. log_path receives the output of the `ip` commands.
 * Returns whether namespaces are used. Registers net_teardown to run at exit.
 */
bool net_setup(struct net *net, int n, bool force_loopback, const char *log_path);

/* Takes host i's link down (cut) or up again. Namespaces only; false if `ip` failed. */
bool net_cut(const struct net *net, int i, bool cut);

/* Removes the namespaces (their veth pairs go with them). Idempotent. */
void net_teardown(void);

#endif
