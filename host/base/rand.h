/*
 * A small, fast, thread-confined random generator (xorshift64) for jitter
 * and spreading choices; not for anything that needs unpredictability.
 */
#ifndef TASKHOST_BASE_RAND_H
#define TASKHOST_BASE_RAND_H

#include <stdint.h>

/* A random double in [0, 1) from the caller's state (any seed; 0 works). */
double rand_unit(uint64_t *state);

/* A random integer in [0, n) (n > 0). */
int rand_below(uint64_t *state, int n);

#endif
