/*
 * Slots: how many tasks may run at once, on the whole host (max_concurrency)
 * and per type (types[].concurrency). The claimer asks which types have a
 * free slot before it claims, so a claim never exceeds a limit.
 * Thread-safe.
 */
#ifndef TASKHOST_SCHED_SLOTS_H
#define TASKHOST_SCHED_SLOTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct slot_type {
    const char *type; /* borrowed */
    int limit;        /* 0: only the host's limit applies */
    int running;
    bool open; /* claimable; false once a reload removed its plugin */
};

struct slots {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* broadcast on every release and on slots_wake */
    int limit;
    int running;
    uint64_t generation;     /* bumped on every release and wake */
    bool isolating;          /* a task runs (or waits to run) alone: no slot is free */
    struct slot_type *types; /* owned */
    int n_types;
};

/* types/limits: n entries, borrowed strings. */
void slots_init(struct slots *s, int limit, const char *const *types, const int *limits, int n);
void slots_destroy(struct slots *s);

/* Makes exactly these types claimable (adding new ones, with their limits);
 * other known types close but keep counting their running tasks. */
bool slots_set_types(struct slots *s, const char *const *types, const int *limits, int n);

/* How many types are known (open or closed): the capacity slots_free_types
 * needs. */
int slots_capacity(struct slots *s);

/* Fills out (capacity slots_capacity()) with the open types that have a free slot now;
 * returns how many (0 when the host is full). *generation receives the
 * state's generation, for slots_wait. */
int slots_free_types(struct slots *s, const char **out, uint64_t *generation);

/* How many tasks one claim may take now without exceeding a limit, whatever
 * their types: the host's free slots, lowered to the fewest free slots of
 * any claimable type that has its own limit. 0 when the host is full. */
int slots_batch_room(struct slots *s);

/* Takes a slot of `type`; false when no slot is free (a bug in the caller). */
bool slots_acquire(struct slots *s, const char *type);
void slots_release(struct slots *s, const char *type);

/* Waits until a slot is released or slots_wake is called after the state
 * `generation` was read (no wake-up is missed), or timeout_ms. */
void slots_wait(struct slots *s, uint64_t generation, int64_t timeout_ms);
void slots_wake(struct slots *s);

int slots_running(struct slots *s);

/*
 * Isolation, for a task that may crash its host (hosts died running it): it
 * runs alone. slots_isolate_begin closes every slot (nothing more is claimed)
 * and returns true, or returns false when another task is isolated already.
 * slots_isolate_wait then waits up to timeout_ms for the other tasks to end:
 * true once the caller's (which holds a slot) is the only one running.
 * slots_isolate_end opens the slots again.
 */
bool slots_isolate_begin(struct slots *s);
bool slots_isolate_wait(struct slots *s, int64_t timeout_ms);
void slots_isolate_end(struct slots *s);

/* The current generation (see slots_wait). */
uint64_t slots_generation(struct slots *s);

#endif
