#include "sched/sched.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "sched/claimer.h"
#include "sched/heartbeat.h"
#include "sched/watcher.h"

/* Copies reg into s->reg and s->types (under reg_mu when the threads run). */
static bool copy_registry(struct sched *s, const struct registry *reg, struct error *err)
{
    const char **types = calloc((size_t)reg->n + 1, sizeof *types);
    if (types == NULL || !registry_copy(&s->reg, reg, err)) {
        free(types);
        return types == NULL ? error_set(err, ERR_NOMEM, "out of memory") : false;
    }
    for (int i = 0; i < reg->n; i++)
        types[i] = reg->entries[i].type;
    free(s->types);
    s->types = types;
    s->n_types = reg->n;
    return true;
}

/* The concurrency limit of each type of s->types (caller frees). */
static int *type_limits(const struct sched *s)
{
    int *limits = calloc((size_t)s->n_types + 1, sizeof *limits);
    for (int i = 0; limits && i < s->n_types; i++)
        limits[i] = config_type_concurrency(s->cfg, s->types[i]);
    return limits;
}

bool sched_init(struct sched *s, const struct config *cfg, struct store *store,
                const struct registry *reg, struct error *err)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->store = store;
    pthread_mutex_init(&s->reg_mu, NULL);
    if (!copy_registry(s, reg, err))
        return false;
    if (s->n_types == 0)
        return error_set(err, ERR_PLUGIN,
                         "no task types to run: the plugin directory %s has no plugins",
                         cfg->plugin_dir);
    int *limits = type_limits(s);
    if (limits == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    slots_init(&s->slots, cfg->max_concurrency, s->types, limits, s->n_types);
    free(limits);
    running_init(&s->running);
    pthread_mutex_init(&s->wake_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (gethostname(s->hostname, sizeof s->hostname - 1) != 0)
        strcpy(s->hostname, "unknown");
    s->started_at_ms = clock_wall_ms();
    return true;
}

bool sched_set_registry(struct sched *s, const struct registry *reg, struct error *err)
{
    pthread_mutex_lock(&s->reg_mu);
    bool ok = copy_registry(s, reg, err);
    int *limits = ok ? type_limits(s) : NULL;
    if (ok && (limits == NULL || !slots_set_types(&s->slots, s->types, limits, s->n_types)))
        ok = error_set(err, ERR_NOMEM, "out of memory");
    pthread_mutex_unlock(&s->reg_mu);
    free(limits);
    return ok;
}

struct plugin *sched_take_plugin(struct sched *s, const char *type)
{
    pthread_mutex_lock(&s->reg_mu);
    struct plugin *p = registry_find(&s->reg, type);
    if (p != NULL)
        atomic_fetch_add(&p->running, 1);
    pthread_mutex_unlock(&s->reg_mu);
    return p;
}

int sched_copy_types(struct sched *s, const char ***out)
{
    pthread_mutex_lock(&s->reg_mu);
    int n = s->n_types;
    *out = calloc((size_t)n + 1, sizeof **out);
    if (*out != NULL)
        memcpy(*out, s->types, sizeof **out * (size_t)n);
    pthread_mutex_unlock(&s->reg_mu);
    return *out != NULL ? n : -1;
}

bool sched_start(struct sched *s, struct error *err)
{
    heartbeat_round(s); /* syncs the server clock before the first claim */
    if (!pool_start(&s->pool, s, s->cfg->max_concurrency))
        return error_set(err, ERR_INTERNAL, "could not start %d worker threads",
                         s->cfg->max_concurrency);
    if (pthread_create(&s->heartbeat, NULL, heartbeat_main, s) != 0)
        return error_set(err, ERR_INTERNAL, "could not start the heartbeat thread");
    if (pthread_create(&s->claimer, NULL, claimer_main, s) != 0)
        return error_set(err, ERR_INTERNAL, "could not start the claimer thread");
    s->threads_started = true;
    if (s->cfg->change_streams) {
        if (pthread_create(&s->watcher, NULL, watcher_main, s) != 0)
            return error_set(err, ERR_INTERNAL, "could not start the change-stream thread");
        s->watcher_started = true;
    }
    return true;
}

void sched_set_phase(struct sched *s, enum sched_phase phase)
{
    pthread_mutex_lock(&s->wake_mu);
    atomic_store(&s->phase, (int)phase);
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->wake_mu);
    slots_wake(&s->slots);
}

enum sched_phase sched_phase(struct sched *s)
{
    return (enum sched_phase)atomic_load(&s->phase);
}

void sched_sleep(struct sched *s, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->wake_mu);
    int phase = atomic_load(&s->phase);
    while (atomic_load(&s->phase) == phase)
        if (pthread_cond_timedwait(&s->wake, &s->wake_mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&s->wake_mu);
}

/* Waits until no task runs or ms have passed; returns how many still run. */
static int wait_idle(struct sched *s, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    int n;
    while ((n = slots_running(&s->slots)) > 0 && clock_mono_ms() < deadline) {
        slots_wait(&s->slots, slots_generation(&s->slots), 100);
    }
    return n;
}

int sched_stop(struct sched *s)
{
    if (!s->threads_started)
        return 0;
    sched_set_phase(s, SCHED_DRAINING);
    pthread_join(s->claimer, NULL);
    if (s->watcher_started)
        pthread_join(s->watcher, NULL);
    int n = slots_running(&s->slots);
    if (n > 0)
        log_info("shutdown", "waiting up to %lld ms for %d running task(s) to finish",
                 (long long)s->cfg->shutdown_grace_ms, n);
    n = wait_idle(s, s->cfg->shutdown_grace_ms);
    if (n > 0) {
        log_warn("shutdown", "grace period over: cancelling %d task(s); they are handed back", n);
        sched_set_phase(s, SCHED_CANCELLING);
        running_cancel_all(&s->running, TH_CANCEL_SHUTDOWN);
        n = wait_idle(s, s->cfg->heartbeat_ms * 2 > 5000 ? s->cfg->heartbeat_ms * 2 : 5000);
    }
    sched_set_phase(s, SCHED_ABANDONED);
    pthread_join(s->heartbeat, NULL);
    if (n > 0)
        n = wait_idle(s, 1000); /* outcome writes waiting for the server give up now */
    if (n > 0) {
        log_error("shutdown",
                  "%d task(s) did not stop after cancellation; exiting without them: their "
                  "leases expire and other hosts run them again",
                  n);
        return n;
    }
    pool_stop(&s->pool);
    return 0;
}

void sched_destroy(struct sched *s)
{
    slots_destroy(&s->slots);
    running_destroy(&s->running);
    pthread_mutex_destroy(&s->wake_mu);
    pthread_cond_destroy(&s->wake);
    free(s->types);
    free(s->reg.entries);
    pthread_mutex_destroy(&s->reg_mu);
    memset(s, 0, sizeof *s);
}
