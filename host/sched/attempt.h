/*
 * One attempt of one claimed task: from the claim to the recorded outcome.
 */
#ifndef TASKHOST_SCHED_ATTEMPT_H
#define TASKHOST_SCHED_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "plugin/plugin.h"
#include "plugin/task.h"
#include "store/claim.h"

struct sched;

struct attempt {
    struct claim claim;    /* the claim (owned) */
    struct plugin *plugin; /* borrowed from the registry */
    struct th_task task;   /* what the plugin sees */
    bool task_ready;       /* task initialised (running() may touch it) */
    int max_retries;       /* the limit that applies */
    int64_t started_mono_ms;
    int64_t deadline_mono_ms; /* timeout; 0 = none */
    int64_t lease_expires_ms; /* server time; updated by the heartbeat */
    bool timed_out;           /* the heartbeat cancelled it for its timeout */
    int64_t overrun_warned_mono_ms;
    struct attempt *prev, *next; /* in the running list */
};

/* Takes ownership of *claim (which is zeroed). Returns an owned attempt. */
struct attempt *attempt_new(struct claim *claim, struct plugin *plugin, int max_retries,
                            int64_t timeout_ms);
void attempt_free(struct attempt *a);

/* Runs the attempt in the calling (worker) thread and records its outcome.
 * The attempt is in s->running while the plugin runs. */
void attempt_run(struct sched *s, struct attempt *a);

#endif
