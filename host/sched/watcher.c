#include "sched/watcher.h"

#include "base/clock.h"
#include "base/log.h"
#include "sched/backoff.h"
#include "sched/sched.h"
#include "store/watch.h"

/* Servers that answer an empty change-stream request at once instead of
 * holding it open (MongoDB holds it for a second) are asked at most every
 * PACE_MS while the claimer found work less than 10 s ago, then every 100 ms,
 * and after a minute of idleness every 250 ms: a host under steady traffic
 * reacts within milliseconds, a long-idle one costs the server 4 reads a
 * second. */
#define PACE_MS 20
/* A stream left unread this long while the claimer has work is closed (a
 * fresh one is opened when it runs out): the backlog would only cost reads. */
#define CLOSE_AFTER_BUSY_MS 1000
#define RETRY_MIN_MS        1000
#define RETRY_MAX_MS        60000

struct watcher {
    struct sched *s;
    struct store_watch *w;
    int64_t retry_ms;
    bool reported; /* the last failure to open was logged */
    bool opened_once;
};

static void open_stream(struct watcher *wt)
{
    struct error err = {0};
    wt->w = store_watch_open(wt->s->store, &err);
    if (wt->w == NULL) {
        if (!wt->reported)
            log_info("watch",
                     "no change stream on this server (%s); idle hosts find new tasks by polling "
                     "every %lld ms (host.poll_interval_ms). Change streams need a replica set; "
                     "mongodb.change_streams = \"off\" stops trying",
                     err.msg, (long long)wt->s->cfg->poll_interval_ms);
        wt->reported = true;
        sched_sleep(wt->s, wt->retry_ms);
        wt->retry_ms = backoff_idle_next_ms(wt->retry_ms, RETRY_MAX_MS);
        return;
    }
    if (!wt->opened_once || wt->reported)
        log_info("watch", "following a change stream: new tasks start without waiting for a poll");
    wt->opened_once = true;
    wt->reported = false;
    wt->retry_ms = RETRY_MIN_MS;
}

static void follow(struct watcher *wt)
{
    struct error err = {0};
    int64_t t0 = clock_mono_ms();
    int rc = store_watch_next(wt->w, &err);
    if (rc > 0) {
        slots_wake(&wt->s->slots);
        return;
    }
    if (rc < 0) {
        log_info("watch", "the change stream ended (%s); polling until it is back", err.msg);
        store_watch_close(wt->w);
        wt->w = NULL;
        sched_sleep(wt->s, wt->retry_ms);
        return;
    }
    int64_t took = clock_mono_ms() - t0;
    int64_t since = atomic_load(&wt->s->idle_since_mono);
    int64_t idle_for = since != 0 ? clock_mono_ms() - since : 0;
    int64_t pace = idle_for < 10000 ? PACE_MS : idle_for < 60000 ? 100 : 250;
    if (took < pace)
        sched_sleep(wt->s, pace - took);
}

/* While the claimer finds work (or every slot is taken) a wake-up is of no
 * use: the stream is not read, and closed after a while. */
static bool claimer_busy(struct watcher *wt)
{
    struct sched *s = wt->s;
    if (atomic_load(&s->idle_since_mono) != 0)
        return false;
    if (wt->w != NULL &&
        clock_mono_ms() - atomic_load(&s->busy_since_mono) >= CLOSE_AFTER_BUSY_MS) {
        store_watch_close(wt->w);
        wt->w = NULL;
    }
    return true;
}

void *watcher_main(void *arg)
{
    struct watcher wt = {.s = arg, .retry_ms = RETRY_MIN_MS};
    while (sched_phase(wt.s) == SCHED_RUNNING) {
        if (claimer_busy(&wt)) {
            sched_sleep(wt.s, PACE_MS);
        } else if (wt.w == NULL) {
            open_stream(&wt);
            if (wt.w != NULL) /* a task inserted before the stream opened */
                slots_wake(&wt.s->slots);
        } else {
            follow(&wt);
        }
    }
    store_watch_close(wt.w);
    return NULL;
}
