#include "sched/heartbeat.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "sched/attempt.h"
#include "sched/sched.h"
#include "store/host_record.h"
#include "store/lease.h"
#include "version.h"

static void beat_host_record(struct sched *s, bool *db_down)
{
    const struct config *c = s->cfg;
    const char **types = NULL;
    int n_types = sched_copy_types(s, &types);
    struct host_info h = {
        .host_id = c->host_id,
        .hostname = s->hostname,
        .pid = (int)getpid(),
        .version = TASKHOST_VERSION,
        .types = types,
        .n_types = n_types > 0 ? n_types : 0,
        .max_concurrency = c->max_concurrency,
        .running = slots_running(&s->slots),
        .heartbeat_ms = c->heartbeat_ms,
        .state = sched_phase(s) == SCHED_RUNNING ? "running" : "stopping",
        .started_at_ms = s->started_at_ms,
    };
    struct error err = {0};
    bool ok = store_host_beat(s->store, &h, &err);
    free(types);
    if (!ok && !*db_down)
        log_warn("heartbeat", "%s", err.msg);
    if (ok && *db_down)
        log_info("heartbeat", "MongoDB is reachable again");
    *db_down = !ok;
}

/* Copies the tokens of the attempts in flight (under the running lock). */
static int snapshot_tokens(struct sched *s, bson_oid_t **tokens)
{
    pthread_mutex_lock(&s->running.mu);
    int n = 0;
    *tokens = malloc(sizeof **tokens * (size_t)(s->running.n > 0 ? s->running.n : 1));
    for (struct attempt *a = s->running.head; a && *tokens; a = a->next)
        if (a->task_ready)
            bson_oid_copy(&a->claim.token, &(*tokens)[n++]);
    pthread_mutex_unlock(&s->running.mu);
    return *tokens ? n : 0;
}

static struct attempt *find_by_token(struct sched *s, const bson_oid_t *t)
{
    for (struct attempt *a = s->running.head; a; a = a->next)
        if (a->task_ready && bson_oid_equal(&a->claim.token, t))
            return a;
    return NULL;
}

static void lose(struct attempt *a, const char *why)
{
    if (atomic_load(&a->task.cancel) == TH_CANCEL_NONE)
        log_msg(LOG_WARN, "lease", a->claim.doc.id_str,
                "%s: the plugin is told to stop; its outcome will not be recorded unless the "
                "task is still ours",
                why);
    task_cancel(&a->task, TH_CANCEL_LEASE_LOST);
}

static void apply_renewal(struct sched *s, const bson_oid_t *tokens, const enum lease_state *states,
                          int n, int rc, int64_t expires_ms)
{
    int64_t now = server_clock_now_ms();
    pthread_mutex_lock(&s->running.mu);
    for (int i = 0; i < n; i++) {
        struct attempt *a = find_by_token(s, &tokens[i]);
        if (a == NULL)
            continue;
        if (rc >= 0 && states[i] == LEASE_ALIVE) {
            a->lease_expires_ms = expires_ms;
        } else if (rc >= 0 && states[i] == LEASE_CANCEL_REQUESTED) {
            if (atomic_load(&a->task.cancel) == TH_CANCEL_NONE)
                log_msg(LOG_INFO, "cancel", a->claim.doc.id_str,
                        "an operator cancelled this task; the plugin is told to stop");
            task_cancel(&a->task, TH_CANCEL_REQUESTED);
        } else if (rc >= 0)
            lose(a, "lease lost: another host has taken this task");
        else if (now >= a->lease_expires_ms)
            lose(a, "lease expired while MongoDB could not be reached");
    }
    pthread_mutex_unlock(&s->running.mu);
}

static void renew_leases(struct sched *s, bool db_down)
{
    bson_oid_t *tokens = NULL;
    int n = snapshot_tokens(s, &tokens);
    enum lease_state *alive = calloc((size_t)(n > 0 ? n : 1), sizeof *alive);
    int64_t expires = server_clock_now_ms() + s->cfg->lease_ms;
    int rc = -1;
    if (n > 0 && alive && !db_down) {
        struct error err = {0};
        rc = store_renew(s->store, tokens, n, expires, alive, &err);
        if (rc < 0)
            log_warn("heartbeat", "%s", err.msg);
    }
    if (n > 0 && alive)
        apply_renewal(s, tokens, alive, n, rc, expires);
    free(alive);
    free(tokens);
}

struct progress_item {
    bson_oid_t token;
    double fraction;
    char note[TASK_NOTE_MAX];
};

static void record_progress(struct sched *s)
{
    struct progress_item items[64];
    int n = 0;
    pthread_mutex_lock(&s->running.mu);
    for (struct attempt *a = s->running.head; a && n < 64; a = a->next) {
        if (a->task_ready &&
            task_take_progress(&a->task, &items[n].fraction, items[n].note, sizeof items[n].note)) {
            bson_oid_copy(&a->claim.token, &items[n].token);
            n++;
        }
    }
    pthread_mutex_unlock(&s->running.mu);
    for (int i = 0; i < n; i++) {
        struct error err = {0};
        if (store_progress(s->store, &items[i].token, items[i].fraction, items[i].note, &err) < 0)
            log_debug("heartbeat", "progress not recorded: %s", err.msg);
    }
}

static void enforce_timeouts(struct sched *s)
{
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&s->running.mu);
    for (struct attempt *a = s->running.head; a; a = a->next) {
        if (!a->task_ready || a->deadline_mono_ms == 0 || now < a->deadline_mono_ms)
            continue;
        if (!a->timed_out) {
            a->timed_out = true;
            log_msg(LOG_WARN, "timeout", a->claim.doc.id_str,
                    "%s ran longer than its timeout; the plugin is told to stop",
                    a->claim.doc.type);
            task_cancel(&a->task, TH_CANCEL_TIMEOUT);
        } else if (now - a->overrun_warned_mono_ms >= 60000 &&
                   now - a->deadline_mono_ms >= 2 * s->cfg->heartbeat_ms) {
            a->overrun_warned_mono_ms = now;
            log_msg(LOG_ERROR, "timeout", a->claim.doc.id_str,
                    "plugin %s ignores cancellation: the task has run %lld s past its timeout; "
                    "its slot stays taken and its lease renewed until run() returns (an "
                    "in-process plugin cannot be stopped by force)",
                    a->plugin->name, (long long)((now - a->deadline_mono_ms) / 1000));
        }
    }
    pthread_mutex_unlock(&s->running.mu);
}

void heartbeat_round(struct sched *s)
{
    static _Thread_local bool db_down;
    beat_host_record(s, &db_down);
    renew_leases(s, db_down);
    record_progress(s);
    enforce_timeouts(s);
}

void *heartbeat_main(void *arg)
{
    struct sched *s = arg;
    while (sched_phase(s) < SCHED_ABANDONED) {
        int64_t start = clock_mono_ms();
        heartbeat_round(s);
        int64_t left = s->cfg->heartbeat_ms - (clock_mono_ms() - start);
        if (left > 0)
            sched_sleep(s, left);
    }
    return NULL;
}
