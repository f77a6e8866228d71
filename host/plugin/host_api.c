#include "plugin/host_api.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "plugin/settings.h"
#include "plugin/task.h"

/* The plugin whose init or shutdown this thread is running, for log lines
 * without a task. */
static _Thread_local const char *current_plugin;

void host_api_set_current_plugin(const char *name)
{
    current_plugin = name;
}

/*
 * The api hands plugins `const th_task *` for calls that do not change what
 * the task reports, but those calls still lock the task's mutex or fill the
 * payload_json cache. Neither is a change a plugin can observe, so the const
 * is dropped here, in one place.
 */
static struct th_task *mutable_task(const th_task *t)
{
    return (struct th_task *)(uintptr_t)t;
}

static enum log_level log_level_of(th_log_level level)
{
    if ((int)level <= (int)TH_LOG_ERROR)
        return LOG_ERROR;
    if ((int)level >= (int)TH_LOG_DEBUG)
        return LOG_DEBUG;
    return (enum log_level)level;
}

static void api_log(const th_task *task, th_log_level level, const char *fmt, ...) TH_PRINTF(3, 4);

static void api_log(const th_task *task, th_log_level level, const char *fmt, ...)
{
    enum log_level lvl = log_level_of(level);
    if (fmt == NULL || !log_enabled(lvl))
        return;
    char component[256];
    const char *who = task != NULL ? task->type : current_plugin;
    (void)snprintf(component, sizeof component, "plugin%s%s", who ? " " : "", who ? who : "");
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(lvl, component, task != NULL ? task->id_str : NULL, fmt, ap);
    va_end(ap);
}

static const char *api_task_id(const th_task *task)
{
    return task != NULL ? task->id_str : "";
}

static const char *api_task_type(const th_task *task)
{
    return task != NULL ? task->type : "";
}

static int api_task_attempt(const th_task *task)
{
    return task != NULL ? task->attempt : 0;
}

static int api_task_max_retries(const th_task *task)
{
    return task != NULL ? task->max_retries : 0;
}

static const uint8_t *api_task_payload_bson(const th_task *task, size_t *len)
{
    if (task == NULL)
        return NULL;
    if (len != NULL)
        *len = task->payload.len;
    return bson_get_data(&task->payload);
}

static const char *api_task_payload_json(const th_task *task)
{
    if (task == NULL)
        return "{ }";
    struct th_task *t = mutable_task(task);
    if (t->payload_json == NULL)
        t->payload_json = bson_as_relaxed_extended_json(&t->payload, NULL);
    return t->payload_json != NULL ? t->payload_json : "{ }";
}

#define RESULT_DEPTH_MAX 100

/* True when every key and string of doc is valid UTF-8 (bson_validate's
 * BSON_VALIDATE_UTF8 does not look at string values in libbson 1.23). */
static bool utf8_throughout(const bson_t *doc, int depth)
{
    bson_iter_t it;
    if (depth > RESULT_DEPTH_MAX || !bson_iter_init(&it, doc))
        return false;
    while (bson_iter_next(&it)) {
        const char *key = bson_iter_key(&it);
        if (!bson_utf8_validate(key, strlen(key), false))
            return false;
        if (BSON_ITER_HOLDS_UTF8(&it)) {
            uint32_t len;
            const char *str = bson_iter_utf8(&it, &len);
            if (!bson_utf8_validate(str, len, true))
                return false;
        } else if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
            uint32_t len;
            const uint8_t *data;
            bson_t child;
            if (BSON_ITER_HOLDS_DOCUMENT(&it))
                bson_iter_document(&it, &len, &data);
            else
                bson_iter_array(&it, &len, &data);
            if (!bson_init_static(&child, data, len) || !utf8_throughout(&child, depth + 1))
                return false;
        }
    }
    return true;
}

/* Stores doc (taken) as the task's result after the size and UTF-8 checks. */
static int store_result(th_task *task, bson_t *doc)
{
    if (doc->len > TASK_RESULT_MAX) {
        api_log(task, TH_LOG_ERROR, "result of %u bytes is refused: the limit is %d bytes",
                (unsigned)doc->len, TASK_RESULT_MAX);
        bson_destroy(doc);
        return TH_ETOOBIG;
    }
    if (!utf8_throughout(doc, 0)) {
        api_log(task, TH_LOG_ERROR,
                "result is refused: a key or string is not valid UTF-8 (or it nests deeper "
                "than %d levels)",
                RESULT_DEPTH_MAX);
        bson_destroy(doc);
        return TH_EINVAL;
    }
    if (task->result != NULL)
        bson_destroy(task->result);
    task->result = doc;
    return TH_OK;
}

/* Parses exactly one JSON object (nothing but white space after it). */
static bson_t *parse_json_object(const char *json, bson_error_t *error)
{
    const char *p = json + strspn(json, " \t\r\n");
    if (*p != '{') {
        bson_set_error(error, BSON_ERROR_JSON, 0, "not a JSON object (it must start with '{')");
        return NULL;
    }
    bson_json_reader_t *reader = bson_json_data_reader_new(false, 0);
    bson_json_data_reader_ingest(reader, (const uint8_t *)p, strlen(p));
    bson_t *doc = bson_new();
    bson_t extra = BSON_INITIALIZER;
    int rc = bson_json_reader_read(reader, doc, error);
    if (rc == 1 && bson_json_reader_read(reader, &extra, error) != 0) {
        bson_set_error(error, BSON_ERROR_JSON, 0, "unexpected text after the JSON object");
        rc = -1;
    } else if (rc == 0) {
        bson_set_error(error, BSON_ERROR_JSON, 0, "empty JSON text");
    }
    bson_destroy(&extra);
    bson_json_reader_destroy(reader);
    if (rc != 1) {
        bson_destroy(doc);
        return NULL;
    }
    return doc;
}

static int api_set_result_json(th_task *task, const char *json)
{
    if (task == NULL || json == NULL) {
        api_log(task, TH_LOG_ERROR, "set_result_json called with a NULL %s",
                task == NULL ? "task" : "json");
        return TH_EINVAL;
    }
    bson_error_t error;
    bson_t *doc = parse_json_object(json, &error);
    if (doc == NULL) {
        api_log(task, TH_LOG_ERROR, "set_result_json: invalid result: %s", error.message);
        return TH_EINVAL;
    }
    return store_result(task, doc);
}

static int api_set_result_bson(th_task *task, const uint8_t *data, size_t len)
{
    if (task == NULL || data == NULL) {
        api_log(task, TH_LOG_ERROR, "set_result_bson called with a NULL %s",
                task == NULL ? "task" : "document");
        return TH_EINVAL;
    }
    if (len > TASK_RESULT_MAX) {
        api_log(task, TH_LOG_ERROR, "result of %zu bytes is refused: the limit is %d bytes", len,
                TASK_RESULT_MAX);
        return TH_ETOOBIG;
    }
    bson_t view;
    size_t offset = 0;
    if (!bson_init_static(&view, data, len) || !bson_validate(&view, BSON_VALIDATE_NONE, &offset)) {
        api_log(task, TH_LOG_ERROR,
                "set_result_bson: not a valid BSON document (%zu bytes; first error at offset "
                "%zu)",
                len, offset);
        return TH_EINVAL;
    }
    return store_result(task, bson_copy(&view));
}

/* Cuts a UTF-8 sequence that truncation left incomplete at the end of s. */
static void trim_partial_utf8(char *s)
{
    size_t n = strlen(s);
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--; /* continuation bytes */
    if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
        return; /* ASCII or nothing to check */
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < need)
        s[i - 1] = '\0';
}

static void api_fail(th_task *task, const char *fmt, ...) TH_PRINTF(2, 3);

static void api_fail(th_task *task, const char *fmt, ...)
{
    if (task == NULL || fmt == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(task->fail_msg, sizeof task->fail_msg, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof task->fail_msg)
        trim_partial_utf8(task->fail_msg);
}

static th_cancel_reason api_cancelled(const th_task *task)
{
    return task != NULL ? (th_cancel_reason)atomic_load(&task->cancel) : TH_CANCEL_NONE;
}

static void api_heartbeat(th_task *task, double progress, const char *note)
{
    if (task == NULL)
        return;
    if (isnan(progress) || progress < 0)
        progress = -1.0;
    else if (progress > 1)
        progress = 1.0;
    pthread_mutex_lock(&task->mu);
    task->progress = progress;
    (void)snprintf(task->note, sizeof task->note, "%s", note != NULL ? note : "");
    trim_partial_utf8(task->note);
    task->progress_dirty = true;
    pthread_mutex_unlock(&task->mu);
}

/* now + ms on CLOCK_MONOTONIC. */
static struct timespec deadline_after(int64_t ms)
{
    const int64_t max_ms = INT64_C(100) * 365 * 24 * 3600 * 1000; /* a century */
    if (ms > max_ms)
        ms = max_ms;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static th_cancel_reason api_sleep_ms(const th_task *task, int64_t ms)
{
    if (task == NULL)
        return TH_CANCEL_NONE;
    struct th_task *t = mutable_task(task);
    if (ms <= 0)
        return api_cancelled(task);
    struct timespec deadline = deadline_after(ms);
    pthread_mutex_lock(&t->mu);
    while (atomic_load(&t->cancel) == TH_CANCEL_NONE) {
        if (pthread_cond_timedwait(&t->cond, &t->mu, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&t->mu);
    return api_cancelled(task);
}

static const th_host_api table = {
    .abi_version = TH_ABI_VERSION,
    .size = sizeof(th_host_api),
    .log = api_log,
    .task_id = api_task_id,
    .task_type = api_task_type,
    .task_attempt = api_task_attempt,
    .task_max_retries = api_task_max_retries,
    .task_payload_bson = api_task_payload_bson,
    .task_payload_json = api_task_payload_json,
    .set_result_json = api_set_result_json,
    .set_result_bson = api_set_result_bson,
    .fail = api_fail,
    .cancelled = api_cancelled,
    .heartbeat = api_heartbeat,
    .sleep_ms = api_sleep_ms,
    .setting_string = settings_get_string,
    .setting_int = settings_get_int,
    .setting_double = settings_get_double,
    .setting_bool = settings_get_bool,
    .setting_list_len = settings_list_len,
    .setting_list_string = settings_list_string,
};

const th_host_api *host_api(void)
{
    return &table;
}
