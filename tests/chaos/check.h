/*
 * The verdict of a chaos run. Rules checked (each breach is printed as a VIOLATION):
 *
 *  - every task is in the database and final (done or dead): none lost;
 *  - a task is dead only when its payload says so (permanent, or fail_times >= its
 *    max_retries), or when lost attempts (lease_expired) used up its retries or its
 *    host_deaths (counted apart, as dead by faults);
 *  - attempts and errors agree: one error per failed attempt, numbered 1..attempts (done: up
 *    to attempts - 1), `failed` only for planned failures, `permanent` only for permanent
 *    tasks, host_deaths = the number of lost attempts; every lease_expired error names a
 *    host that a fault hit at about that time;
 *  - a done task's result comes from an execution that finished done, and no task was
 *    recorded done twice (host logs);
 *  - every execution whose outcome is not in the database (killed, cancelled, refused by
 *    fencing) is put down to a fault that hit its host (or the server) while it ran: these are
 *    the re-executions; none is unexplained;
 *  - when two executions of a task overlap, the outcome of the one claimed first (the lower
 *    attempt) was dropped;
 *  - no host died by itself, and all stopped on SIGTERM at the end.
 */
#ifndef TASKHOST_CHAOS_CHECK_H
#define TASKHOST_CHAOS_CHECK_H

#include <stdint.h>

#include "evidence.h"
#include "faults.h"
#include "fleet.h"
#include "workload.h"

struct check_input {
    const struct workload *w;
    struct execution *ex; /* the check sets .recorded and .fault */
    int n_ex;
    const struct db_task *db; /* db[id - 1] */
    const int *done_logs;     /* done_logs[id - 1]: "done" lines in the host logs */
    const struct fault *faults;
    int n_faults;
    int *reexec_by_fault; /* n_faults counters (zeroed by the caller), or NULL */
    const struct incarnation *incs;
    int n_incs;
    int lease_ms;
    int max_retries;     /* the hosts' retry.max_retries */
    int max_host_deaths; /* the hosts' host.max_host_deaths */
};

struct check_figures {
    int done, dead, lost;
    int expected_dead;
    int dead_by_faults;
    int double_completions;
    int dup_done_lines;          /* `end ... done` lines beyond one per task */
    int reexec[FAULT_KINDS + 1]; /* unrecorded executions by fault kind; last: crashes */
    int reexec_total;
    int lease_expired; /* lease_expired errors in the database */
    int skewed_done;   /* recorded outcomes written by hosts with a wrong clock */
    int violations;
};

/* Checks everything; prints each violation (the first 40 in full) and returns the count,
 * also in fig->violations. */
int check_run(const struct check_input *in, struct check_figures *fig);

/* Prints a violation (counted in fig). */
void check_violation(struct check_figures *fig, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
