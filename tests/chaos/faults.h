/*
 * The faults of a chaos run, injected one after another by a thread of their own at random
 * times spread over a window, each against a random host that has work in flight:
 *
 *   kill        kill -9 of the host (its supervisor starts it again after 0.5 s)
 *   pause       SIGSTOP for longer than a lease, then SIGCONT
 *   cut         the host's network link down for longer than a lease, then up (network
 *               namespaces; without them the host's forwarder blackholes its traffic)
 *   db_restart  the test server stopped cleanly and started again (ts_server_restart)
 *   db_outage   the test server stopped for longer than a lease, then started again
 *   skew        the host restarted gracefully (SIGTERM) with its clock 30 minutes off
 *               (libfaketime), ahead and behind in turn; it keeps that clock (across later
 *               restarts) until the end or its next skew fault
 */
#ifndef TASKHOST_CHAOS_FAULTS_H
#define TASKHOST_CHAOS_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "fleet.h"
#include "net.h"

enum fault_kind {
    FAULT_KILL,
    FAULT_PAUSE,
    FAULT_CUT,
    FAULT_DB_RESTART,
    FAULT_DB_OUTAGE,
    FAULT_SKEW,
    FAULT_KINDS
};

struct fault {
    enum fault_kind kind;
    int slot;                    /* -1 for the database */
    char label[FLEET_LABEL];     /* the incarnation hit */
    char new_label[FLEET_LABEL]; /* skew: the incarnation running with the new clock */
    enum skew skew;
    int64_t t0, t1; /* wall ms: when the fault began and ended (kill: t1 == t0) */
    bool ok;        /* false when it could not be carried out (e.g. `ip` failed) */
};

struct fault_opts {
    int count[FAULT_KINDS]; /* how many of each kind */
    int start_ms;           /* first fault no earlier than this after faults_start */
    int window_ms;          /* all faults begin within this window */
    int lease_ms;
    int n_hosts;
    const struct net *net;
    uint64_t seed;
};

/* "kill", "pause", "cut", "db_restart", "db_outage", "skew". */
const char *fault_kind_name(enum fault_kind k);

/* Starts the fault thread. */
void faults_start(const struct fault_opts *o);

/* Waits until every fault was injected and ended; returns them in order (caller frees *out)
 * and their count. */
int faults_join(struct fault **out);

#endif
