/*
 * Outcomes: what an attempt's end means for its task (done, retry later,
 * dead, handed back), and recording it with a fenced write that survives
 * server outages.
 */
#ifndef TASKHOST_SCHED_OUTCOME_H
#define TASKHOST_SCHED_OUTCOME_H

#include <stddef.h>

#include <taskhost/plugin.h>

#include "sched/attempt.h"
#include "store/finish.h"

struct sched;

struct outcome_input {
    th_status status;        /* what run() returned */
    th_cancel_reason cancel; /* why it was cancelled, if it was */
    int attempts_before;     /* finished attempts before this one */
    int max_retries;
    const char *plugin_message; /* api->fail() text, "" when none */
    int64_t timeout_ms;
    int64_t retry_delay_ms; /* the backoff for this failure */
};

/*
 * Decides the write. msg (msglen bytes) receives the error message recorded
 * with a failure; f->error_message points into it. Pure: unit-tested.
 */
void outcome_decide(const struct outcome_input *in, struct finish *f, char *msg, size_t msglen);

/*
 * Records f for the attempt's task, fenced by its lease token. While the
 * server is unreachable it retries with backoff, until the scheduler gives
 * up at shutdown (then the lease expires and another host takes the task).
 * Returns 1 recorded, 0 lease lost (logged), -1 gave up or refused (logged).
 */
int outcome_record(struct sched *s, struct attempt *a, struct finish *f);

#endif
