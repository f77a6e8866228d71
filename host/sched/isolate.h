/*
 * Isolation of suspect tasks: a task whose earlier hosts died while running
 * it (host_deaths > 0) runs alone on its host. If it crashes the host again
 * it takes no other task down with it, so only the task that really crashes
 * hosts collects host deaths and is quarantined (host.max_host_deaths); a
 * task that merely ran beside it collects one death at most.
 */
#ifndef TASKHOST_SCHED_ISOLATE_H
#define TASKHOST_SCHED_ISOLATE_H

#include <stdbool.h>

#include "sched/attempt.h"
#include "sched/sched.h"

/* True when the attempt must run alone. */
bool isolate_needed(const struct attempt *a);

/*
 * Called by the worker once the attempt is in s->running (its lease is
 * renewed) and before run(): stops claiming and waits for the host's other
 * tasks to end. Returns true when the task may run now, alone: the caller
 * calls isolate_end after run(). Returns false when the attempt is over: it
 * was handed back (another suspect task is isolated here, or the host is
 * shutting down) or its lease was lost meanwhile.
 */
bool isolate_wait_alone(struct sched *s, struct attempt *a);
void isolate_end(struct sched *s);

#endif
