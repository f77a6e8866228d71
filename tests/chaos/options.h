/*
 * The command line of the chaos driver and the two forms of a run (short: the ctest
 * `chaos.short`; long: `chaos --long`).
 */
#ifndef TASKHOST_CHAOS_OPTIONS_H
#define TASKHOST_CHAOS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "faults.h"

struct chaos_options {
    bool long_form;
    int hosts;
    int tasks;
    int seconds; /* tasks are inserted and faults injected over this long */
    int drain_s; /* then at most this long for every task to end */
    int faults[FAULT_KINDS];
    int lease_ms, heartbeat_ms;
    int max_concurrency;
    int poll_ms;         /* the hosts' host.poll_interval_ms */
    int max_retries;     /* the hosts' retry.max_retries */
    int max_host_deaths; /* the hosts' host.max_host_deaths */
    int intake_percent;  /* tasks inserted without a state (taken in by the hosts) */
    uint64_t seed;
    bool loopback; /* no network namespaces even where possible */
    bool direct;   /* loopback without forwarders: the hosts use the server's URI */
};

/* Parses argv into o. Returns -1 to go on, else the exit status (after printing the usage or
 * the error). */
int options_parse(int argc, char **argv, struct chaos_options *o);

#endif
