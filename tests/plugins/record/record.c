/*
 * record: the integration tests' plugin (task type "rec"). It writes what the host made it do
 * into an execution log, so that a test can see which task ran when, where and how often.
 *
 * Settings (plugins.settings.record):
 *   log   path of the execution log (required); lines are appended
 *   host  a label written in each line (default ""; written as "-" when empty, so that every
 *         line has the same number of fields)
 *
 * Each run appends, with one write() per line to a file opened with O_APPEND (so the lines of
 * several threads and processes never interleave):
 *   start <task_id> <attempt> <host>
 *   end <task_id> <attempt> <host> <status>
 * <task_id> is api->task_id (an integer _id reads as the number); <status> is done, retry, fail,
 * or cancelled-<reason> (lease_lost, shutdown, timeout, requested) when the run stopped early
 * because the host cancelled it (it then returns TH_RETRY).
 *
 * The payload drives what a run does, in this order:
 *   crash          true: raise SIGSEGV right after the start line (no end line)
 *   ms             work time: api->sleep_ms in 50 ms slices with api->heartbeat progress,
 *                  stopping early when cancelled (default 0)
 *   ignore_cancel  true: the work time is spent in nanosleep, ignoring cancellation
 *   fail_times     N: while attempt <= N, return TH_RETRY with a message
 *   permanent      true: return TH_FAIL with a message
 *   result         a document recorded as the result (default {"attempt": N, "host": label})
 * A payload field of the wrong type fails the task permanently, naming the field.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>
#include <taskhost/plugin.h>

#define SLICE_MS     50
#define LINE_MAX_LEN 512

struct record_state {
    const th_host_api *api;
    int log_fd;
    char host[128];
};

/* What the payload asks for. */
struct plan {
    int64_t ms;
    int64_t fail_times;
    bool permanent;
    bool crash;
    bool ignore_cancel;
    bson_t result; /* static view into the payload; valid while the task is */
    bool has_result;
};

/* ---- init and shutdown --------------------------------------------------------------- */

static int record_init(const th_host_api *api, const th_settings *settings, void **state, char *err,
                       size_t errlen)
{
    const char *log = NULL, *host = NULL;
    if (api->setting_string(settings, "log", NULL, &log) != TH_OK ||
        api->setting_string(settings, "host", "", &host) != TH_OK) {
        snprintf(err, errlen, "record: settings log and host must be strings");
        return -1;
    }
    if (log == NULL || log[0] == '\0') {
        snprintf(err, errlen,
                 "record: setting log (the path of the execution log) is required, e.g. "
                 "plugins.settings.record.log = \"/tmp/record.log\"");
        return -1;
    }
    if (strlen(host) >= sizeof((struct record_state *)0)->host || strpbrk(host, " \t\n")) {
        snprintf(err, errlen, "record: setting host must be a word of at most 127 characters");
        return -1;
    }
    struct record_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "record: out of memory");
        return -1;
    }
    s->api = api;
    snprintf(s->host, sizeof s->host, "%s", host[0] ? host : "-");
    s->log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->log_fd < 0) {
        snprintf(err, errlen, "record: cannot open the execution log %s: %s", log, strerror(errno));
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

static void record_shutdown(void *state)
{
    struct record_state *s = state;
    close(s->log_fd);
    free(s);
}

/* ---- the execution log --------------------------------------------------------------- */

/* Appends one line with a single write(). */
static void log_line(const struct record_state *s, const th_task *task, const char *fmt, ...)
    TH_PRINTF(3, 4);

static void log_line(const struct record_state *s, const th_task *task, const char *fmt, ...)
{
    char line[LINE_MAX_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 1)
        n = (int)strlen(line);
    line[n++] = '\n';
    ssize_t w = write(s->log_fd, line, (size_t)n);
    if (w != n)
        s->api->log(task, TH_LOG_ERROR, "record: cannot write the execution log: %s",
                    w < 0 ? strerror(errno) : "short write");
}

static const char *reason_word(th_cancel_reason why)
{
    switch (why) {
    case TH_CANCEL_LEASE_LOST: return "lease_lost";
    case TH_CANCEL_SHUTDOWN: return "shutdown";
    case TH_CANCEL_TIMEOUT: return "timeout";
    case TH_CANCEL_REQUESTED: return "requested";
    case TH_CANCEL_NONE: break;
    }
    return "none";
}

/* The status field of an end line. */
static void status_word(th_status st, th_cancel_reason why, char *buf, size_t len)
{
    if (why != TH_CANCEL_NONE)
        snprintf(buf, len, "cancelled-%s", reason_word(why));
    else
        snprintf(buf, len, "%s", st == TH_DONE ? "done" : st == TH_RETRY ? "retry" : "fail");
}

/* ---- the payload --------------------------------------------------------------------- */

static bool read_count(th_task *task, const struct record_state *s, const bson_iter_t *it,
                       int64_t *out)
{
    if (BSON_ITER_HOLDS_INT32(it) || BSON_ITER_HOLDS_INT64(it)) {
        *out = bson_iter_as_int64(it);
    } else if (BSON_ITER_HOLDS_DOUBLE(it) && bson_iter_double(it) >= 0 &&
               bson_iter_double(it) < 1e12) {
        *out = (int64_t)bson_iter_double(it);
    } else {
        s->api->fail(task, "record: payload field \"%s\" must be a number", bson_iter_key(it));
        return false;
    }
    if (*out < 0) {
        s->api->fail(task, "record: payload field \"%s\" must not be negative", bson_iter_key(it));
        return false;
    }
    return true;
}

static bool read_flag(th_task *task, const struct record_state *s, const bson_iter_t *it, bool *out)
{
    if (!BSON_ITER_HOLDS_BOOL(it)) {
        s->api->fail(task, "record: payload field \"%s\" must be true or false", bson_iter_key(it));
        return false;
    }
    *out = bson_iter_bool(it);
    return true;
}

static bool read_result(th_task *task, const struct record_state *s, const bson_iter_t *it,
                        struct plan *p)
{
    if (!BSON_ITER_HOLDS_DOCUMENT(it)) {
        s->api->fail(task, "record: payload field \"result\" must be a document");
        return false;
    }
    uint32_t len;
    const uint8_t *data;
    bson_iter_document(it, &len, &data);
    p->has_result = bson_init_static(&p->result, data, len);
    return p->has_result;
}

/* Reads the plan from the payload; false (with api->fail) when a field has a wrong type. */
static bool read_plan(th_task *task, const struct record_state *s, struct plan *p)
{
    memset(p, 0, sizeof *p);
    size_t len = 0;
    const uint8_t *data = s->api->task_payload_bson(task, &len);
    bson_t doc;
    bson_iter_t it;
    if (!bson_init_static(&doc, data, len) || !bson_iter_init(&it, &doc))
        return true;
    bool ok = true;
    while (ok && bson_iter_next(&it)) {
        const char *key = bson_iter_key(&it);
        if (strcmp(key, "ms") == 0)
            ok = read_count(task, s, &it, &p->ms);
        else if (strcmp(key, "fail_times") == 0)
            ok = read_count(task, s, &it, &p->fail_times);
        else if (strcmp(key, "permanent") == 0)
            ok = read_flag(task, s, &it, &p->permanent);
        else if (strcmp(key, "crash") == 0)
            ok = read_flag(task, s, &it, &p->crash);
        else if (strcmp(key, "ignore_cancel") == 0)
            ok = read_flag(task, s, &it, &p->ignore_cancel);
        else if (strcmp(key, "result") == 0)
            ok = read_result(task, s, &it, p);
    }
    return ok;
}

/* ---- the work ------------------------------------------------------------------------ */

/* Sleeps ms in slices, reporting progress; returns the cancel reason if cancelled. */
static th_cancel_reason work(const struct record_state *s, th_task *task, int64_t ms)
{
    int64_t done = 0;
    while (done < ms) {
        int64_t slice = ms - done < SLICE_MS ? ms - done : SLICE_MS;
        th_cancel_reason why = s->api->sleep_ms(task, slice);
        if (why != TH_CANCEL_NONE)
            return why;
        done += slice;
        s->api->heartbeat(task, (double)done / (double)ms, "recording");
    }
    return s->api->cancelled(task);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Spends ms in nanosleep, deaf to cancellation (a plugin that ignores the host). */
static void work_deaf(int64_t ms)
{
    int64_t end = mono_ms() + ms;
    for (int64_t now = mono_ms(); now < end; now = mono_ms()) {
        int64_t left = end - now < SLICE_MS ? end - now : SLICE_MS;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static th_status set_result(const struct record_state *s, th_task *task, struct plan *p,
                            int attempt)
{
    int rc;
    if (p->has_result) {
        rc = s->api->set_result_bson(task, bson_get_data(&p->result), p->result.len);
    } else {
        bson_t r = BSON_INITIALIZER;
        BSON_APPEND_INT32(&r, "attempt", attempt);
        BSON_APPEND_UTF8(&r, "host", strcmp(s->host, "-") == 0 ? "" : s->host);
        rc = s->api->set_result_bson(task, bson_get_data(&r), r.len);
        bson_destroy(&r);
    }
    if (rc == TH_OK)
        return TH_DONE;
    s->api->fail(task, "record: the host refused the result (%d)", rc);
    return TH_RETRY;
}

static th_status decide(const struct record_state *s, th_task *task, struct plan *p, int attempt)
{
    if (attempt <= p->fail_times) {
        s->api->fail(task, "record: planned failure %d of %" PRId64, attempt, p->fail_times);
        return TH_RETRY;
    }
    if (p->permanent) {
        s->api->fail(task, "record: permanent failure as the payload asked");
        return TH_FAIL;
    }
    return set_result(s, task, p, attempt);
}

static th_status record_run(void *state, th_task *task)
{
    const struct record_state *s = state;
    const char *id = s->api->task_id(task);
    int attempt = s->api->task_attempt(task);
    log_line(s, task, "start %s %d %s", id, attempt, s->host);
    struct plan p;
    th_status st = TH_FAIL;
    th_cancel_reason why = TH_CANCEL_NONE;
    if (read_plan(task, s, &p)) {
        if (p.crash)
            raise(SIGSEGV);
        if (p.ignore_cancel)
            work_deaf(p.ms);
        else
            why = work(s, task, p.ms);
        if (why != TH_CANCEL_NONE) {
            s->api->fail(task, "record: stopped early: cancelled (%s)", reason_word(why));
            st = TH_RETRY;
        } else {
            st = decide(s, task, &p, attempt);
        }
    }
    char status[32];
    status_word(st, why, status, sizeof status);
    log_line(s, task, "end %s %d %s %s", id, attempt, s->host, status);
    return st;
}

static const char *const record_types[] = {"rec", NULL};

static const th_plugin record_plugin = {
    TH_PLUGIN_HEADER,
    .name = "record",
    .version = "1.0",
    .task_types = record_types,
    .init = record_init,
    .run = record_run,
    .shutdown = record_shutdown,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &record_plugin;
}
