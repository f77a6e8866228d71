#include "sched/outcome.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "sched/backoff.h"
#include "sched/sched.h"

static const char *status_word(th_status st)
{
    switch (st) {
    case TH_DONE: return "done";
    case TH_RETRY: return "retry";
    case TH_FAIL: return "fail";
    }
    return "an invalid status";
}

/* A failed attempt: retry later, or dead when the limit is reached. */
static void failure(const struct outcome_input *in, struct finish *f, const char *kind, char *msg,
                    size_t msglen, const char *what)
{
    int n = in->attempts_before + 1;
    f->attempts = n;
    f->error_kind = kind;
    f->error_attempt = n;
    if (n >= in->max_retries) {
        f->kind = FINISH_DEAD;
        snprintf(msg, msglen, "%s (attempt %d of %d; no retries left)", what, n, in->max_retries);
    } else {
        f->kind = FINISH_RETRY;
        f->run_at_ms = f->now_ms + in->retry_delay_ms;
        snprintf(msg, msglen, "%s (attempt %d of %d; next in %lld ms)", what, n, in->max_retries,
                 (long long)in->retry_delay_ms);
    }
    f->error_message = msg;
}

void outcome_decide(const struct outcome_input *in, struct finish *f, char *msg, size_t msglen)
{
    char what[1200];
    const char *pm = in->plugin_message && in->plugin_message[0] ? in->plugin_message : NULL;
    f->attempts = -1;
    f->host_deaths = -1;
    f->error_message = NULL;
    if (in->status == TH_DONE) {
        f->kind = FINISH_DONE;
        f->attempts = in->attempts_before + 1;
        return;
    }
    if (in->cancel == TH_CANCEL_SHUTDOWN || in->cancel == TH_CANCEL_LEASE_LOST) {
        f->kind = FINISH_RELEASE; /* not counted: the task did not fail */
        f->run_at_ms = f->now_ms;
        return;
    }
    if (in->cancel == TH_CANCEL_REQUESTED) {
        f->kind = FINISH_CANCELLED;
        f->attempts = in->attempts_before + 1;
        snprintf(msg, msglen, "cancelled by an operator while running");
        f->error_kind = "cancelled";
        f->error_attempt = f->attempts;
        f->error_message = msg;
        return;
    }
    if (in->cancel == TH_CANCEL_TIMEOUT) {
        snprintf(what, sizeof what, "timed out after %lld ms%s%s", (long long)in->timeout_ms,
                 pm ? ": " : "", pm ? pm : "");
        failure(in, f, "timeout", msg, msglen, what);
        return;
    }
    if (in->status == TH_FAIL) {
        f->kind = FINISH_DEAD;
        f->attempts = in->attempts_before + 1;
        f->error_kind = "permanent";
        f->error_attempt = f->attempts;
        snprintf(msg, msglen, "%s (failed permanently: not retried)",
                 pm ? pm : "the plugin reported a permanent failure without a message");
        f->error_message = msg;
        return;
    }
    if (in->status == TH_RETRY)
        snprintf(what, sizeof what, "%s",
                 pm ? pm : "the plugin reported a failure without a message");
    else
        snprintf(what, sizeof what, "the plugin returned %s (%d); counted as a failure",
                 status_word(in->status), (int)in->status);
    failure(in, f, "failed", msg, msglen, what);
}

static int record_once(struct sched *s, struct attempt *a, struct finish *f, struct error *err)
{
    f->now_ms = f->now_ms ? f->now_ms : server_clock_now_ms();
    f->replace_errors = a->claim.doc.errors_malformed;
    int rc = store_finish(s->store, &a->claim.doc.id, &a->claim.token, f, err);
    if (rc == 1 && f->error_message != NULL)
        a->claim.doc.errors_malformed = false; /* it is a list now */
    return rc;
}

int outcome_record(struct sched *s, struct attempt *a, struct finish *f)
{
    const char *id = a->claim.doc.id_str;
    int64_t wait = 100;
    bool reported = false;
    for (;;) {
        struct error err = {0};
        int rc = record_once(s, a, f, &err);
        if (rc == 1) {
            if (reported)
                log_msg(LOG_INFO, "outcome", id, "recorded after the server came back");
            return 1;
        }
        if (rc == 0) {
            atomic_fetch_add(&s->counters.lost, 1);
            log_msg(LOG_WARN, "outcome", id,
                    "lease lost: another host took this task; this attempt's outcome is dropped");
            return 0;
        }
        if (err.code != ERR_DB_DOWN) {
            log_msg(LOG_ERROR, "outcome", id, "could not record the outcome: %s", err.msg);
            return -1;
        }
        if (sched_phase(s) >= SCHED_ABANDONED) {
            log_msg(LOG_WARN, "outcome", id,
                    "giving up recording the outcome at shutdown (%s); the lease will expire and "
                    "another host will run the task again",
                    err.msg);
            return -1;
        }
        if (!reported)
            log_msg(LOG_WARN, "outcome", id, "%s; will retry until it is back", err.msg);
        reported = true;
        sched_sleep(s, wait);
        wait = backoff_idle_next_ms(wait, 5000);
    }
}
