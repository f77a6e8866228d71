#include "sched/backoff.h"

#include "base/rand.h"

double backoff_random(uint64_t *rng)
{
    return rand_unit(rng);
}

int64_t backoff_retry_delay_ms(const struct backoff_policy *p, int failures, uint64_t *rng)
{
    double d = (double)p->initial_ms;
    for (int i = 1; i < failures && d < (double)p->max_ms; i++)
        d *= p->multiplier;
    if (d > (double)p->max_ms)
        d = (double)p->max_ms;
    d -= d * p->jitter * backoff_random(rng);
    return d < 0 ? 0 : (int64_t)d;
}

int64_t backoff_idle_next_ms(int64_t previous_ms, int64_t max_ms)
{
    int64_t next = previous_ms <= 0 ? 10 : previous_ms * 2;
    return next > max_ms ? max_ms : next;
}
