#include "base/rand.h"

double rand_unit(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return (double)(x >> 11) / (double)(1ull << 53);
}

int rand_below(uint64_t *state, int n)
{
    int r = (int)(rand_unit(state) * n);
    return r < n ? r : n - 1;
}
