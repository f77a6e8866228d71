/*
 * The attempts in flight on this host, for the heartbeat (leases, progress,
 * timeouts) and for shutdown (cancellation). Thread-safe: the list's mutex
 * also guards every attempt's lease/timeout fields and keeps an attempt
 * alive while a reader holds it.
 */
#ifndef TASKHOST_SCHED_RUNNING_H
#define TASKHOST_SCHED_RUNNING_H

#include <pthread.h>

#include <taskhost/plugin.h>

struct attempt;

struct running {
    pthread_mutex_t mu;
    struct attempt *head; /* borrowed: owned by their worker */
    int n;
};

void running_init(struct running *r);
void running_destroy(struct running *r);
void running_add(struct running *r, struct attempt *a);
void running_remove(struct running *r, struct attempt *a);

/* Cancels every attempt in flight with `reason`; returns how many. */
int running_cancel_all(struct running *r, th_cancel_reason reason);
int running_count(struct running *r);

#endif
