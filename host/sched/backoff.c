#include "sched/backoff.h"

double backoff_random(uint64_t *rng)
{
    uint64_t x = *rng ? *rng : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    return (double)(x >> 11) / (double)(1ull << 53);
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
