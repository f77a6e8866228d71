#include "sched/isolate.h"

#include "base/clock.h"
#include "base/log.h"
#include "sched/outcome.h"

bool isolate_needed(const struct attempt *a)
{
    return a->claim.doc.host_deaths > 0;
}

/* Gives the task back untouched (state queued, attempt not counted). */
static void hand_back(struct sched *s, struct attempt *a, const char *why)
{
    int64_t now = server_clock_now_ms();
    struct finish f = {.kind = FINISH_RELEASE,
                       .attempts = -1,
                       .host_deaths = -1,
                       .run_at_ms = now,
                       .now_ms = now,
                       .host_id = s->cfg->host_id};
    if (outcome_record(s, a, &f) == 1) {
        atomic_fetch_add(&s->counters.released, 1);
        log_msg(LOG_INFO, "isolate", a->claim.doc.id_str, "handed back: %s", why);
    }
}

/* The wait does not count against the task's timeout: no deadline while it
 * waits (returns the timeout), a fresh one when it starts. */
static int64_t stop_clock(struct sched *s, struct attempt *a)
{
    pthread_mutex_lock(&s->running.mu);
    int64_t timeout = a->deadline_mono_ms > 0 ? a->deadline_mono_ms - a->started_mono_ms : 0;
    a->deadline_mono_ms = 0;
    pthread_mutex_unlock(&s->running.mu);
    return timeout;
}

static void restart_clock(struct sched *s, struct attempt *a, int64_t timeout)
{
    pthread_mutex_lock(&s->running.mu);
    a->started_mono_ms = clock_mono_ms();
    a->deadline_mono_ms = timeout > 0 ? a->started_mono_ms + timeout : 0;
    pthread_mutex_unlock(&s->running.mu);
}

/* The wait ended before the task could run: records why. */
static void give_up(struct sched *s, struct attempt *a, th_cancel_reason why)
{
    const char *id = a->claim.doc.id_str;
    if (why == TH_CANCEL_LEASE_LOST) {
        log_msg(LOG_WARN, "isolate", id, "lease lost while waiting to run alone");
    } else if (why == TH_CANCEL_REQUESTED) {
        struct finish f = {.kind = FINISH_CANCELLED,
                           .attempts = -1,
                           .host_deaths = -1,
                           .host_id = s->cfg->host_id};
        if (outcome_record(s, a, &f) == 1)
            log_msg(LOG_INFO, "cancel", id, "cancelled by an operator before it ran alone");
    } else {
        hand_back(s, a, "the host is shutting down");
    }
}

bool isolate_wait_alone(struct sched *s, struct attempt *a)
{
    const struct task_doc *d = &a->claim.doc;
    if (!slots_isolate_begin(&s->slots)) {
        hand_back(s, a, "another task that may crash its host runs alone here");
        return false;
    }
    int others = slots_running(&s->slots) - 1;
    log_msg(LOG_INFO, "isolate", d->id_str,
            "hosts died %d time(s) running this %s task: it runs alone%s", d->host_deaths, d->type,
            others > 0 ? "; claiming nothing until the other tasks here end" : "");
    int64_t timeout = stop_clock(s, a);
    while (!slots_isolate_wait(&s->slots, 200)) {
        th_cancel_reason why = (th_cancel_reason)atomic_load(&a->task.cancel);
        if (sched_phase(s) == SCHED_RUNNING && why == TH_CANCEL_NONE)
            continue;
        slots_isolate_end(&s->slots);
        give_up(s, a, why);
        return false;
    }
    restart_clock(s, a, timeout);
    return true;
}

void isolate_end(struct sched *s)
{
    slots_isolate_end(&s->slots);
}
