/*
 * record_harness.h: what the integration tests (tests/integration/test_*.c) share to drive real
 * `taskhost run` processes with the record plugin (record.c) and to look at what happened:
 *
 *   - struct rec_env: one test's world: a fresh database, a temp dir, the execution log that
 *     every host's record plugin appends to, and the hosts started (stopped at cleanup);
 *   - the reader of the execution log (lines `start <id> <attempt> <host>` and
 *     `end <id> <attempt> <host> <status>`);
 *   - small readers of task documents (dotted paths, e.g. "errors.0.kind");
 *   - REC_CHECK: an assertion that, when it fails, prints the hosts' logs and the execution
 *     log first, so that a failure can be understood from the test output alone.
 *
 * Header-only (static inline) because each test file is its own executable and the test
 * CMake rules link only taskhost_testsupport. Include it as
 *   #include "../plugins/record/record_harness.h"
 * Tasks get integer _ids in these tests, which the plugin writes as plain numbers.
 */
#ifndef TASKHOST_TESTS_RECORD_HARNESS_H
#define TASKHOST_TESTS_RECORD_HARNESS_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ts.h"

/* The directory holding only the record plugin. */
#define RECORD_PLUGIN_DIR TS_TEST_PLUGIN_DIR "/record"

#define REC_MAX_HOSTS 8
#define REC_WORD      64

/* ---- hosts and the test's world ------------------------------------------------------ */

struct rec_host {
    char label[REC_WORD];   /* written by its record plugin into each line */
    char host_id[REC_WORD]; /* host.id: "host-<label>" unless the test set one */
    char *config;           /* config file path (owned) */
    char *log;              /* the host's own stderr log (owned) */
    char *settings;         /* plugins.settings text (owned) */
    pid_t pid;              /* 0 once it exited and was reaped */
};

struct rec_env {
    char *db;       /* fresh database (owned) */
    char *dir;      /* temp dir (owned; removed at exit unless TS_KEEP_TMP=1) */
    char *exec_log; /* the record plugins' execution log (owned) */
    struct rec_host hosts[REC_MAX_HOSTS];
    int n_hosts;
};

static inline char *rec_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *rec_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        abort();
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static inline void rec_env_init(struct rec_env *e, const char *prefix)
{
    memset(e, 0, sizeof *e);
    e->db = ts_unique_db(prefix);
    e->dir = ts_temp_dir();
    e->exec_log = rec_printf("%s/exec.log", e->dir);
}

/* Prints the last `max` bytes of a file to stderr under a title. */
static inline void rec_dump_file(const char *title, const char *path, size_t max)
{
    char *text = ts_read_file(path);
    fprintf(stderr, "----- %s (%s)%s\n", title, path, text ? "" : ": cannot be read");
    if (text != NULL) {
        size_t len = strlen(text);
        fputs(len > max ? text + len - max : text, stderr);
        if (len > 0 && text[len - 1] != '\n')
            fputc('\n', stderr);
    }
    free(text);
}

/* Prints every host's log and the execution log (their ends) to stderr. */
static inline void rec_env_dump(const struct rec_env *e)
{
    for (int i = 0; i < e->n_hosts; i++) {
        char title[128];
        snprintf(title, sizeof title, "log of host %s", e->hosts[i].host_id);
        rec_dump_file(title, e->hosts[i].log, 12000);
    }
    rec_dump_file("execution log", e->exec_log, 6000);
    fprintf(stderr, "----- database %s\n", e->db);
}

/*
 * Stops the hosts still running as an operator would (SIGTERM; SIGCONT first in case one is
 * paused), drops the database and frees everything. Returns 0, or -1 after printing the logs
 * when a host did not exit with status 0 within 15 s (then it was SIGKILLed): under the
 * sanitizers that is also how a leak or an error found at exit shows. For cmocka teardowns:
 * `return rec_env_cleanup(&env);`.
 */
static inline int rec_env_cleanup(struct rec_env *e)
{
    int rc = 0;
    for (int i = 0; i < e->n_hosts; i++) {
        struct rec_host *h = &e->hosts[i];
        if (h->pid <= 0)
            continue;
        ts_kill_group(h->pid, SIGCONT);
        int status = ts_host_stop(h->pid, 15000);
        h->pid = 0;
        if (status != 0) {
            fprintf(stderr,
                    "ts: host %s exited with %d on SIGTERM at the end of the test "
                    "(-1: it had to be killed), expected 0\n",
                    h->host_id, status);
            rc = -1;
        }
    }
    if (rc != 0)
        rec_env_dump(e);
    for (int i = 0; i < e->n_hosts; i++) {
        free(e->hosts[i].config);
        free(e->hosts[i].log);
        free(e->hosts[i].settings);
    }
    ts_drop_db(e->db);
    free(e->db);
    free(e->dir);
    free(e->exec_log);
    memset(e, 0, sizeof *e);
    return rc;
}

/* Fails the test after dumping the logs. Use through REC_CHECK. */
static inline _Noreturn void rec_fail_at(const struct rec_env *e, const char *file, int line,
                                         const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static inline _Noreturn void rec_fail_at(const struct rec_env *e, const char *file, int line,
                                         const char *cond, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (e != NULL)
        rec_env_dump(e);
    ts_fail_at(file, line, "%s [check: %s]", msg, cond);
}

/* REC_CHECK(env, condition, "printf format", args...): fails the test with the message and
 * the logs of env (may be NULL) when condition is false. */
#define REC_CHECK(env, cond, ...)                                                                  \
    do {                                                                                           \
        if (!(cond))                                                                               \
            rec_fail_at((env), __FILE__, __LINE__, #cond, __VA_ARGS__);                            \
    } while (0)

/*
 * Writes a config for a host labelled `label` and starts it. Fields of o left NULL get:
 * database = e->db, plugin_dir = RECORD_PLUGIN_DIR, host_id = "host-<label>",
 * plugin_settings = the record plugin writing to e->exec_log with this label.
 */
static inline struct rec_host *rec_host_start(struct rec_env *e, const char *label,
                                              struct ts_host_opts o)
{
    REC_CHECK(e, e->n_hosts < REC_MAX_HOSTS, "too many hosts in one test");
    struct rec_host *h = &e->hosts[e->n_hosts++];
    snprintf(h->label, sizeof h->label, "%s", label);
    snprintf(h->host_id, sizeof h->host_id, "%s", o.host_id ? o.host_id : "");
    if (o.host_id == NULL)
        snprintf(h->host_id, sizeof h->host_id, "host-%s", label);
    h->settings = rec_printf("record: { log = \"%s\"; host = \"%s\"; };", e->exec_log, label);
    h->log = rec_printf("%s/host-%s.log", e->dir, label);
    o.database = o.database ? o.database : e->db;
    o.plugin_dir = o.plugin_dir ? o.plugin_dir : RECORD_PLUGIN_DIR;
    o.host_id = h->host_id;
    o.plugin_settings = o.plugin_settings ? o.plugin_settings : h->settings;
    h->config = ts_host_config(&o);
    h->pid = ts_host_start(h->config, h->log);
    return h;
}

/* SIGTERM and wait (ts_host_stop): the exit status, or -1 when it had to be SIGKILLed. */
static inline int rec_host_stop(struct rec_host *h, int timeout_ms)
{
    int status = ts_host_stop(h->pid, timeout_ms);
    h->pid = 0;
    return status;
}

/* Waits for the host to exit: its status, or -1 if it still runs after timeout_ms. */
static inline int rec_host_wait_exit(struct rec_host *h, int timeout_ms)
{
    int status = ts_wait_exit(h->pid, timeout_ms);
    if (status >= 0)
        h->pid = 0;
    return status;
}

/* True while the host process runs. */
static inline bool rec_host_alive(struct rec_host *h)
{
    return h->pid > 0 && rec_host_wait_exit(h, 0) < 0;
}

struct rec_file_wait {
    const char *path;
    const char *needle;
};

static inline bool rec_file_has(void *arg)
{
    const struct rec_file_wait *w = arg;
    return ts_file_contains(w->path, w->needle);
}

/* Waits until the file contains needle; true if it did within timeout_ms. */
static inline bool rec_wait_file(const char *path, const char *needle, int timeout_ms)
{
    struct rec_file_wait w = {path, needle};
    return ts_wait_until(rec_file_has, &w, timeout_ms);
}

/* Waits until the host logged that it started (connected, claiming); true if it did. */
static inline bool rec_host_wait_ready(struct rec_host *h, int timeout_ms)
{
    struct rec_file_wait w = {h->log, "start: taskhost "};
    return ts_wait_until(rec_file_has, &w, timeout_ms);
}

/* ---- the execution log --------------------------------------------------------------- */

struct rec_line {
    bool start; /* false: an end line */
    char id[REC_WORD];
    int attempt;
    char host[REC_WORD];
    char status[REC_WORD]; /* end lines: done, retry, fail, cancelled-<reason> */
};

struct rec_log {
    struct rec_line *lines; /* in the order they were written */
    int n;
};

/* Parses one line; false when it is not a record line. */
static inline bool rec_parse_line(const char *text, struct rec_line *l)
{
    char kind[16] = "", tail[8];
    memset(l, 0, sizeof *l);
    int n = sscanf(text, "%15s %63s %d %63s %63s %7s", kind, l->id, &l->attempt, l->host, l->status,
                   tail);
    if (strcmp(kind, "start") == 0 && n == 4) {
        l->start = true;
        return true;
    }
    return strcmp(kind, "end") == 0 && n == 5;
}

/* Reads the execution log (a missing file reads as empty); fails the test on a line that
 * is not a record line (e.g. two interleaved writes). Free with rec_log_free. */
static inline struct rec_log rec_log_read(const struct rec_env *e)
{
    struct rec_log log = {NULL, 0};
    char *text = ts_read_file(e->exec_log);
    if (text == NULL)
        return log;
    int cap = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (log.n == cap) {
            cap = cap ? cap * 2 : 64;
            log.lines = realloc(log.lines, sizeof *log.lines * (size_t)cap);
            if (log.lines == NULL)
                abort();
        }
        if (!rec_parse_line(line, &log.lines[log.n])) {
            char copy[256];
            snprintf(copy, sizeof copy, "%s", line);
            free(text);
            free(log.lines);
            rec_fail_at(e, __FILE__, __LINE__, "rec_parse_line",
                        "the execution log has a malformed line: '%s'", copy);
        }
        log.n++;
    }
    free(text);
    return log;
}

static inline void rec_log_free(struct rec_log *log)
{
    free(log->lines);
    log->lines = NULL;
    log->n = 0;
}

/* Lines of a kind ("start" or "end") matching id and host (NULL: any). */
static inline int rec_log_count(const struct rec_log *log, const char *kind, const char *id,
                                const char *host)
{
    bool start = strcmp(kind, "start") == 0;
    int n = 0;
    for (int i = 0; i < log->n; i++) {
        const struct rec_line *l = &log->lines[i];
        if (l->start == start && (!id || strcmp(l->id, id) == 0) &&
            (!host || strcmp(l->host, host) == 0))
            n++;
    }
    return n;
}

/* The index of the first line of a kind matching id and host (NULL: any), or -1. */
static inline int rec_log_find(const struct rec_log *log, const char *kind, const char *id,
                               const char *host)
{
    bool start = strcmp(kind, "start") == 0;
    for (int i = 0; i < log->n; i++) {
        const struct rec_line *l = &log->lines[i];
        if (l->start == start && (!id || strcmp(l->id, id) == 0) &&
            (!host || strcmp(l->host, host) == 0))
            return i;
    }
    return -1;
}

/* The largest number of runs in progress at once: +1 per start line, -1 per end line. */
static inline int rec_log_max_overlap(const struct rec_log *log)
{
    int now = 0, max = 0;
    for (int i = 0; i < log->n; i++) {
        now += log->lines[i].start ? 1 : -1;
        if (now > max)
            max = now;
    }
    return max;
}

struct rec_line_wait {
    const struct rec_env *e;
    const char *kind, *id, *host;
};

static inline bool rec_has_line(void *arg)
{
    const struct rec_line_wait *w = arg;
    struct rec_log log = rec_log_read(w->e);
    bool found = rec_log_find(&log, w->kind, w->id, w->host) >= 0;
    rec_log_free(&log);
    return found;
}

/* Waits until the execution log has a line of the kind for id and host (NULL: any). */
static inline bool rec_wait_line(const struct rec_env *e, const char *kind, const char *id,
                                 const char *host, int timeout_ms)
{
    struct rec_line_wait w = {e, kind, id, host};
    return ts_wait_until(rec_has_line, &w, timeout_ms);
}

/* ---- task documents ------------------------------------------------------------------ */

/* Milliseconds since the epoch by this machine's clock (the test server's clock too). */
static inline int64_t rec_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Inserts a task given as JSON into e->db.tasks. */
static inline void rec_insert(const struct rec_env *e, const char *json)
{
    ts_insert_json(e->db, "tasks", json);
}

/*
 * Inserts a queued task of type "rec" as a producer would: _id id, the payload (JSON object
 * text; NULL: {}), priority, run_at (ms since the epoch), attempts 0, created_at now, and
 * `extra` (more "key": value pairs, e.g. "\"max_retries\": 1"; NULL: none).
 */
static inline void rec_insert_task(const struct rec_env *e, int id, const char *payload,
                                   int priority, int64_t run_at_ms, const char *extra)
{
    char *json = rec_printf("{\"_id\": %d, \"type\": \"rec\", \"payload\": %s, \"state\": "
                            "\"queued\", \"priority\": %d, \"attempts\": 0, \"run_at\": "
                            "{\"$date\": {\"$numberLong\": \"%lld\"}}, \"created_at\": "
                            "{\"$date\": {\"$numberLong\": \"%lld\"}}%s%s}",
                            id, payload ? payload : "{}", priority, (long long)run_at_ms,
                            (long long)rec_wall_ms(), extra ? ", " : "", extra ? extra : "");
    rec_insert(e, json);
    free(json);
}

/* A queued task that is due now (run_at a second ago), priority 0. */
static inline void rec_insert_due(const struct rec_env *e, int id, const char *payload)
{
    rec_insert_task(e, id, payload, 0, rec_wall_ms() - 1000, NULL);
}

/* The task with integer _id id, or NULL. Caller destroys. */
static inline bson_t *rec_task(const struct rec_env *e, int id)
{
    char filter[64];
    snprintf(filter, sizeof filter, "{\"_id\": %d}", id);
    return ts_find_one(e->db, "tasks", filter);
}

/* Waits until task id has the state; true if it did within timeout_ms. */
static inline bool rec_wait_state(const struct rec_env *e, int id, const char *state,
                                  int timeout_ms)
{
    char filter[128];
    snprintf(filter, sizeof filter, "{\"_id\": %d, \"state\": \"%s\"}", id, state);
    return ts_wait_count(e->db, "tasks", filter, 1, timeout_ms);
}

static inline bool rec_doc_find(const bson_t *doc, const char *path, bson_iter_t *out)
{
    bson_iter_t it;
    return doc != NULL && bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, out);
}

/* True when the (dotted) path exists. */
static inline bool rec_doc_has(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return rec_doc_find(doc, path, &it);
}

/* The string at path, or NULL when absent or not a string. Owned by doc. */
static inline const char *rec_doc_str(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return rec_doc_find(doc, path, &it) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL)
                                                                     : NULL;
}

/* The number at path as an integer, or def when absent or not a number. */
static inline int64_t rec_doc_int(const bson_t *doc, const char *path, int64_t def)
{
    bson_iter_t it;
    if (!rec_doc_find(doc, path, &it) || !BSON_ITER_HOLDS_NUMBER(&it))
        return def;
    return bson_iter_as_int64(&it);
}

/* The date at path in ms since the epoch, or -1 when absent or not a date. */
static inline int64_t rec_doc_date(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return rec_doc_find(doc, path, &it) && BSON_ITER_HOLDS_DATE_TIME(&it) ? bson_iter_date_time(&it)
                                                                          : -1;
}

/* The number of elements of the array at path (0 when absent, -1 when not an array). */
static inline int rec_doc_len(const bson_t *doc, const char *path)
{
    bson_iter_t it, sub;
    if (!rec_doc_find(doc, path, &it))
        return 0;
    if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &sub))
        return -1;
    int n = 0;
    while (bson_iter_next(&sub))
        n++;
    return n;
}

/* The document as relaxed extended JSON, for messages. Caller frees with bson_free. */
static inline char *rec_doc_json(const bson_t *doc)
{
    return doc ? bson_as_relaxed_extended_json(doc, NULL) : bson_strdup("(no document)");
}

#endif
