/*
 * The scheduler: what one host process does between start and exit.
 *
 *   claimer thread   claims a task whenever a slot is free (sched/claimer.c)
 *   worker threads   run one attempt each and record its outcome
 *                    (sched/pool.c, sched/attempt.c)
 *   heartbeat thread renews leases, records progress, enforces timeouts,
 *                    keeps the host record and the server clock
 *                    (sched/heartbeat.c)
 *
 * The caller (cli/cmd_run.c) starts it, waits for a stop request (a signal)
 * and then drains it (sched_stop): no new claims, running tasks get the grace
 * period, then are cancelled and handed back.
 */
#ifndef TASKHOST_SCHED_SCHED_H
#define TASKHOST_SCHED_SCHED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "plugin/registry.h"
#include "sched/pool.h"
#include "sched/running.h"
#include "sched/slots.h"
#include "store/store.h"

enum sched_phase {
    SCHED_RUNNING = 0,    /* claiming */
    SCHED_DRAINING = 1,   /* not claiming; running tasks may finish */
    SCHED_CANCELLING = 2, /* grace over: running tasks are cancelled */
    SCHED_ABANDONED = 3   /* giving up on pending writes; leases will expire */
};

struct sched_counters {
    _Atomic long claimed;
    _Atomic long rescued;
    _Atomic long done;
    _Atomic long retried;
    _Atomic long dead;
    _Atomic long released;
    _Atomic long lost; /* outcomes dropped: the lease was lost */
};

struct sched {
    const struct config *cfg; /* borrowed */
    struct store *store;      /* borrowed */
    /* What runs which type: replaced by a reload (sched_set_registry). The
     * plugins are borrowed; the entries, types and this lock are owned. */
    pthread_mutex_t reg_mu;
    struct registry reg;
    const char **types; /* every type the host runs now (borrowed strings) */
    int n_types;
    char hostname[256];
    int64_t started_at_ms;

    struct slots slots;
    struct running running;
    struct pool pool;
    pthread_t claimer, heartbeat, watcher;
    bool watcher_started;
    bool threads_started;

    _Atomic int phase; /* enum sched_phase */
    /* Set by the claimer: 0 while it finds work or every slot is taken, else
     * the monotonic time since which it has found nothing to claim. The
     * watcher follows its change stream only meanwhile. */
    _Atomic int64_t idle_since_mono;
    _Atomic int64_t busy_since_mono; /* when it last stopped being idle */
    pthread_mutex_t wake_mu;
    pthread_cond_t wake; /* heartbeat sleeps on it; broadcast on phase changes */
    struct sched_counters counters;
};

/* Prepares the scheduler for the types of `reg` (copied; its plugins are
 * borrowed and must outlive the scheduler). */
bool sched_init(struct sched *s, const struct config *cfg, struct store *store,
                const struct registry *reg, struct error *err);

/* Starts the threads. */
bool sched_start(struct sched *s, struct error *err);

/*
 * Drains: stops claiming, waits up to shutdown_grace_ms for running tasks,
 * then cancels the rest and hands them back. Returns the number of tasks
 * whose plugin did not return even after cancellation (their threads are
 * left behind; the process must exit without shutting plugins down).
 */
int sched_stop(struct sched *s);

/*
 * A reload: from now on claims are for the types of `reg` (copied; plugins
 * borrowed), run by its plugins. Attempts in flight finish with the plugin
 * they started with. Types no longer in `reg` are not claimed any more.
 */
bool sched_set_registry(struct sched *s, const struct registry *reg, struct error *err);

/* The plugin that runs `type` now, with its running count raised (the
 * caller lowers it when the attempt ends), or NULL. */
struct plugin *sched_take_plugin(struct sched *s, const char *type);

/* A copy of the types the host runs now (caller frees the array; the
 * strings are borrowed). Returns the count, -1 when out of memory. */
int sched_copy_types(struct sched *s, const char ***out);

/* Frees what sched_init allocated (after sched_stop returned 0). */
void sched_destroy(struct sched *s);

/* Sets the phase and wakes every sleeping thread. */
void sched_set_phase(struct sched *s, enum sched_phase phase);
enum sched_phase sched_phase(struct sched *s);

/* Sleeps up to ms, returning early when the phase changes. */
void sched_sleep(struct sched *s, int64_t ms);

#endif
