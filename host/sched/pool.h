/*
 * Worker threads: a fixed pool of max_concurrency threads taking attempts
 * from a queue. The claimer only submits when a slot is free, so the queue
 * never holds more than the pool can start at once.
 */
#ifndef TASKHOST_SCHED_POOL_H
#define TASKHOST_SCHED_POOL_H

#include <pthread.h>
#include <stdbool.h>

struct attempt;
struct sched;

struct pool_item;

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct pool_item *head, *tail; /* queued attempts */
    pthread_t *threads;            /* owned */
    int n_threads;
    int busy; /* threads inside attempt_run */
    bool stopping;
    struct sched *sched; /* borrowed */
};

bool pool_start(struct pool *p, struct sched *s, int n_threads);

/* Queues an attempt (ownership passes to the pool). */
void pool_submit(struct pool *p, struct attempt *a);

/* Tells idle threads to exit and joins them. Only call when no attempt is
 * running or queued (or the joined threads would wait for them). */
void pool_stop(struct pool *p);

#endif
