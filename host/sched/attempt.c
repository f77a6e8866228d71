#include "sched/attempt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "sched/backoff.h"
#include "sched/isolate.h"
#include "sched/outcome.h"
#include "sched/sched.h"

struct attempt *attempt_new(struct claim *claim, struct plugin *plugin, int max_retries,
                            int64_t timeout_ms)
{
    struct attempt *a = calloc(1, sizeof *a);
    if (a == NULL)
        abort(); /* out of memory: let the supervisor restart us; leases expire */
    a->claim = *claim;
    memset(claim, 0, sizeof *claim);
    a->plugin = plugin;
    a->max_retries = max_retries;
    a->lease_expires_ms = a->claim.lease_expires_ms;
    a->started_mono_ms = clock_mono_ms();
    a->deadline_mono_ms = timeout_ms > 0 ? a->started_mono_ms + timeout_ms : 0;
    return a;
}

void attempt_free(struct attempt *a)
{
    if (a == NULL)
        return;
    if (a->task_ready)
        task_destroy(&a->task);
    claim_destroy(&a->claim);
    free(a);
}

/* A malformed document: dead at once, with the reason. */
static void bury_malformed(struct sched *s, struct attempt *a)
{
    char msg[700];
    snprintf(msg, sizeof msg, "malformed task document: %s", a->claim.doc.problem);
    struct finish f = {.kind = FINISH_DEAD,
                       .attempts = -1,
                       .host_deaths = -1,
                       .error_kind = "malformed",
                       .error_message = msg,
                       .error_attempt = a->claim.doc.attempts + 1,
                       .host_id = s->cfg->host_id};
    log_msg(LOG_WARN, "claim", a->claim.doc.id_str, "%s; marked dead", msg);
    if (outcome_record(s, a, &f) == 1)
        atomic_fetch_add(&s->counters.dead, 1);
}

/*
 * The previous holder's lease expired while it ran the task: that attempt
 * counts as failed, and as a host death. Records it before running again, so
 * a task that kills every host that runs it (a poison task) is quarantined
 * after max_host_deaths instead of crashing host after host. Returns true
 * when the task should run now.
 */
static bool account_rescue(struct sched *s, struct attempt *a)
{
    struct task_doc *d = &a->claim.doc;
    int attempts = d->attempts + 1, deaths = d->host_deaths + 1;
    char msg[800];
    struct finish f = {.kind = FINISH_PROGRESS,
                       .attempts = attempts,
                       .host_deaths = deaths,
                       .error_kind = "lease_expired",
                       .error_message = msg,
                       .error_attempt = attempts,
                       .host_id = d->lease_owner};
    snprintf(msg, sizeof msg,
             "attempt %d was lost: host %s stopped renewing its lease (it crashed, hung, was "
             "paused or cut off from the database)",
             attempts, d->lease_owner[0] ? d->lease_owner : "(unknown)");
    if (deaths >= s->cfg->max_host_deaths) {
        f.kind = FINISH_DEAD;
        f.error_kind = "quarantined";
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len,
                 "; quarantined: hosts died %d times while running this task "
                 "(host.max_host_deaths = %d), it may crash its host",
                 deaths, s->cfg->max_host_deaths);
    } else if (attempts >= a->max_retries) {
        f.kind = FINISH_DEAD;
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof msg - len, "; no retries left (max_retries = %d)",
                 a->max_retries);
    }
    atomic_fetch_add(&s->counters.rescued, 1);
    log_msg(LOG_WARN, "rescue", d->id_str, "%s", msg);
    int rc = outcome_record(s, a, &f);
    if (rc == 1 && f.kind == FINISH_DEAD)
        atomic_fetch_add(&s->counters.dead, 1);
    if (rc != 1 || f.kind == FINISH_DEAD)
        return false;
    d->attempts = attempts;
    d->host_deaths = deaths;
    return true;
}

static void count(struct sched *s, enum finish_kind k)
{
    switch (k) {
    case FINISH_DONE: atomic_fetch_add(&s->counters.done, 1); break;
    case FINISH_RETRY: atomic_fetch_add(&s->counters.retried, 1); break;
    case FINISH_DEAD: atomic_fetch_add(&s->counters.dead, 1); break;
    case FINISH_RELEASE: atomic_fetch_add(&s->counters.released, 1); break;
    default: break;
    }
}

static void log_outcome(const struct attempt *a, const struct finish *f)
{
    const char *id = a->claim.doc.id_str;
    int64_t ms = clock_mono_ms() - a->started_mono_ms;
    switch (f->kind) {
    case FINISH_DONE:
        log_msg(LOG_INFO, "task", id, "%s done in %lld ms (attempt %d)", a->claim.doc.type,
                (long long)ms, a->task.attempt);
        break;
    case FINISH_RELEASE:
        log_msg(LOG_INFO, "task", id, "%s handed back after %lld ms (attempt not counted)",
                a->claim.doc.type, (long long)ms);
        break;
    default:
        log_msg(f->kind == FINISH_DEAD ? LOG_WARN : LOG_INFO, "task", id, "%s %s: %s",
                a->claim.doc.type, f->kind == FINISH_DEAD ? "dead" : "failed",
                f->error_message ? f->error_message : "");
    }
}

/* A task inserted by hand and claimed before intake got to it: give it the
 * fields intake would have (its creation time from its ObjectId when it has
 * one, else the claim time). */
static void fill_new_defaults(const struct attempt *a, struct finish *f)
{
    const struct task_doc *d = &a->claim.doc;
    if (d->state[0] != '\0')
        return;
    if (!d->has_created_at)
        f->created_at_ms = d->id.value_type == BSON_TYPE_OID
                               ? (int64_t)bson_oid_get_time_t(&d->id.value.v_oid) * 1000
                               : a->claim.claimed_ms;
    f->set_priority = !d->has_priority;
}

static void finish(struct sched *s, struct attempt *a, th_status st, uint64_t *rng)
{
    const struct backoff_policy bp = {s->cfg->backoff_initial_ms, s->cfg->backoff_max_ms,
                                      s->cfg->backoff_multiplier, s->cfg->backoff_jitter};
    th_cancel_reason cancel = (th_cancel_reason)atomic_load(&a->task.cancel);
    struct outcome_input in = {
        .status = st,
        .cancel = cancel,
        .attempts_before = a->claim.doc.attempts,
        .max_retries = a->max_retries,
        .plugin_message = a->task.fail_msg,
        .timeout_ms = config_type_timeout_ms(s->cfg, a->claim.doc.type),
        .retry_delay_ms = backoff_retry_delay_ms(&bp, a->claim.doc.attempts + 1, rng),
    };
    char msg[1500];
    struct finish f = {.host_id = s->cfg->host_id, .now_ms = server_clock_now_ms()};
    outcome_decide(&in, &f, msg, sizeof msg);
    fill_new_defaults(a, &f);
    if (f.kind == FINISH_DONE)
        f.result = a->task.result;
    int rc = outcome_record(s, a, &f);
    if (rc < 0 && f.kind == FINISH_DONE && sched_phase(s) < SCHED_ABANDONED) {
        /* The server refused the result (too large, invalid): a failure. */
        in.status = TH_RETRY;
        snprintf(a->task.fail_msg, sizeof a->task.fail_msg,
                 "the task finished but its result could not be recorded");
        outcome_decide(&in, &f, msg, sizeof msg);
        rc = outcome_record(s, a, &f);
    }
    if (rc == 1) {
        count(s, f.kind);
        log_outcome(a, &f);
    }
}

void attempt_run(struct sched *s, struct attempt *a)
{
    uint64_t rng = (uint64_t)clock_mono_ms() ^ (uint64_t)(uintptr_t)a;
    struct task_doc *d = &a->claim.doc;
    if (d->problem[0]) {
        bury_malformed(s, a);
        return;
    }
    if (a->claim.rescued && !account_rescue(s, a))
        return;
    if (d->cancel_requested) {
        /* Cancelled while its previous host ran it, and that host died. */
        struct finish f = {.kind = FINISH_CANCELLED,
                           .attempts = -1,
                           .host_deaths = -1,
                           .host_id = s->cfg->host_id};
        if (outcome_record(s, a, &f) == 1)
            log_msg(LOG_INFO, "cancel", d->id_str, "cancelled by an operator; not run again");
        return;
    }
    task_init(&a->task, &d->id, d->type, d->attempts + 1, a->max_retries, d->payload);
    running_add(&s->running, a);
    pthread_mutex_lock(&s->running.mu);
    a->task_ready = true;
    pthread_mutex_unlock(&s->running.mu);
    if (sched_phase(s) >= SCHED_CANCELLING)
        task_cancel(&a->task, TH_CANCEL_SHUTDOWN);
    bool alone = isolate_needed(a);
    if (alone && !isolate_wait_alone(s, a)) {
        running_remove(&s->running, a);
        return;
    }

    log_msg(LOG_DEBUG, "task", d->id_str, "%s attempt %d of %d started", d->type, a->task.attempt,
            a->max_retries);
    th_status st = a->plugin->desc.run(a->plugin->state, &a->task);
    finish(s, a, st, &rng);
    if (alone)
        isolate_end(s);
    running_remove(&s->running, a);
}
