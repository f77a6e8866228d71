/*
 * The figures of a chaos run: how long the fleet took to recover from each fault, and the
 * one-line summary.
 *
 * Recovery of a fault:
 *   kill, pause, cut  from the fault until every task its host was running had been started
 *                     again by another host (faults that hit a host with nothing running
 *                     have none)
 *   db_restart/outage from the server going down until a task was claimed and started again
 *   skew              from the SIGTERM until the host with the new clock started a task
 */
#ifndef TASKHOST_CHAOS_FIGURES_H
#define TASKHOST_CHAOS_FIGURES_H

#include <stdint.h>

#include "check.h"
#include "evidence.h"
#include "faults.h"

/* recover_ms[i] for fault i: the recovery time, or -1 when it has none. in_flight[i]: how many
 * executions its host was running. */
void figures_recovery(const struct fault *faults, int n_faults, const struct execution *ex,
                      int n_ex, int64_t *recover_ms, int *in_flight);

struct run_summary {
    const char *mode; /* "netns" or "loopback" */
    int hosts;
    int tasks;
    int executions;
    double total_s;
};

/* What is known of each fault (arrays of n_faults). */
struct fault_figures {
    const int64_t *recover_ms;
    const int *in_flight;
    const int *reexec; /* executions put down to it */
};

/* Prints one line per fault, then the summary line "chaos figures: ...". */
void figures_print(const struct run_summary *s, const struct fault *faults, int n_faults,
                   const struct fault_figures *ff, const struct check_figures *fig);

#endif
