/*
 * Follows the execution log that the hosts' record plugins write (lines
 * `start <id> <attempt> <label>` and `end <id> <attempt> <label> <status>`), stamping each
 * line with the driver's wall clock when it was read (every 20 ms, so at most a few tens of
 * ms late), so that executions can be placed relative to the faults.
 */
#ifndef TASKHOST_CHAOS_TAIL_H
#define TASKHOST_CHAOS_TAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "fleet.h"

struct exec_line {
    bool start; /* false: an end line */
    int task;
    int attempt;
    char label[FLEET_LABEL];
    char status[32]; /* end lines: done, retry, fail, cancelled-<reason> */
    int64_t t_ms;    /* when the driver read it */
};

/* Starts following path (created if missing). */
void tail_start(const char *path);

/* Reads what is left and stops following. Returns the number of malformed lines seen. */
int tail_stop(void);

/* A copy of the lines read so far, in file order (caller frees *out); returns the count. */
int tail_snapshot(struct exec_line **out);

/* The number of executions of incarnation `label` that started and did not end yet. */
int tail_in_flight(const char *label);

#endif
