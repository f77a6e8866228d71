/*
 * The tasks of a chaos run: thousands of "rec" tasks whose outcome is known from their
 * payload, and the producer thread that inserts them while the faults happen.
 */
#ifndef TASKHOST_CHAOS_WORKLOAD_H
#define TASKHOST_CHAOS_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

enum task_kind {
    TASK_QUICK,     /* ms 0-20: done at attempt 1 */
    TASK_SLOW,      /* ms 1000-4000, heartbeating: done at attempt 1 */
    TASK_FLAKY,     /* fail_times 1-2: done at attempt fail_times+1 */
    TASK_PERMANENT, /* permanent: dead at the first attempt that gets past its fail_times */
    TASK_DOOMED,    /* fail_times >= its max_retries: dead after max_retries failures */
    TASK_KINDS
};

struct task_spec {
    int id; /* the task's _id, 1..n */
    enum task_kind kind;
    int ms;
    int fail_times;
    int max_retries; /* the task's own; 0: the host's retry.max_retries */
    bool intake;     /* inserted as a producer would (no state: the host takes it in) */
    bool expect_dead;
};

struct workload {
    struct task_spec *t; /* t[i].id == i + 1 */
    int n;
};

/* Draws n tasks (the mix is fixed, the details random); intake_percent of them are inserted
 * without a state, as a producer may (the hosts take them in). Free with workload_free. */
void workload_make(struct workload *w, int n, int intake_percent, uint64_t *rng);
void workload_free(struct workload *w);

/* The kind's name, for the figures. */
const char *task_kind_name(enum task_kind k);

/* Starts a thread that inserts w's tasks into db.tasks in batches spread over spread_ms,
 * retrying through server outages. */
void producer_start(const struct workload *w, const char *db, int spread_ms);

/* Waits for the producer; returns how many tasks it inserted (fewer than the workload's when
 * the server refused inserts for a minute: it is broken). */
int producer_join(void);

#endif
