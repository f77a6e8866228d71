/*
 * Delays: the wait before a failed task's next attempt (exponential with
 * jitter), and the wait between claims when there is no work.
 */
#ifndef TASKHOST_SCHED_BACKOFF_H
#define TASKHOST_SCHED_BACKOFF_H

#include <stdint.h>

struct backoff_policy {
    int64_t initial_ms;
    int64_t max_ms;
    double multiplier;
    double jitter; /* 0..1: up to this fraction of the delay is taken off at random */
};

/* The delay before attempt failures+1, after `failures` (>= 1) failed
 * attempts: initial * multiplier^(failures-1), at most max, minus up to
 * jitter of itself. `rng` is the caller's random state (any seed). */
int64_t backoff_retry_delay_ms(const struct backoff_policy *p, int failures, uint64_t *rng);

/* The next idle wait: doubles from 10 ms up to `max_ms`. */
int64_t backoff_idle_next_ms(int64_t previous_ms, int64_t max_ms);

/* A random double in [0, 1) from a xorshift state (never 0). */
double backoff_random(uint64_t *rng);

#endif
