/*
 * TCP forwarders between the hosts and the test server, one per host. The test server listens
 * on 127.0.0.1 only, which another network namespace cannot reach: each host connects to its
 * forwarder on the root-side address of its veth pair, and the forwarder connects to the
 * server on loopback (on loopback runs, the forwarder listens on 127.0.0.1).
 *
 * A forwarder can also blackhole its host: while on, nothing is read or written in either
 * direction, so the host's requests go unanswered as on a cut network (used to cut a host
 * when network namespaces are not available).
 */
#ifndef TASKHOST_CHAOS_PROXY_H
#define TASKHOST_CHAOS_PROXY_H

#include <stdbool.h>

/* Starts forwarder number idx (0 to 7) listening on listen_addr (an IPv4 address, any free
 * port) and forwarding to 127.0.0.1:upstream_port. Returns the port it listens on, or -1
 * after printing why. */
int proxy_open(int idx, const char *listen_addr, int upstream_port);

/* Turns the blackhole of forwarder idx on or off. */
void proxy_blackhole(int idx, bool on);

/* Stops every forwarder and closes every connection; waits for their threads. */
void proxy_close_all(void);

#endif
