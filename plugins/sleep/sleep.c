/*
 * sleep: runs task type "sleep" by waiting payload.ms milliseconds (the
 * setting default_ms when absent, at most the setting max_ms), reporting
 * progress as it goes and stopping early when the host cancels the task.
 * Result: {"slept_ms": N}.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <bson/bson.h>
#include <taskhost/plugin.h>

#define SLICE_MS 100 /* how often progress is reported */

struct sleep_state {
    const th_host_api *api;
    int64_t default_ms;
    int64_t max_ms;
};

static const char *reason_name(th_cancel_reason reason)
{
    switch (reason) {
    case TH_CANCEL_LEASE_LOST: return "lease lost";
    case TH_CANCEL_SHUTDOWN: return "host shutting down";
    case TH_CANCEL_TIMEOUT: return "timed out";
    case TH_CANCEL_REQUESTED: return "cancel requested";
    default: return "unknown reason";
    }
}

static int read_ms_setting(const th_host_api *api, const th_settings *settings, const char *name,
                           int64_t def, int64_t *out, char *err, size_t errlen)
{
    if (api->setting_int(settings, name, def, out) != TH_OK) {
        snprintf(err, errlen, "cannot read setting %s", name);
        return -1;
    }
    if (*out < 0) {
        snprintf(err, errlen, "setting %s must be 0 or more milliseconds, found %" PRId64, name,
                 *out);
        return -1;
    }
    return 0;
}

static int sleep_init(const th_host_api *api, const th_settings *settings, void **state, char *err,
                      size_t errlen)
{
    struct sleep_state st = {.api = api};
    if (read_ms_setting(api, settings, "default_ms", 1000, &st.default_ms, err, errlen) != 0 ||
        read_ms_setting(api, settings, "max_ms", 3600 * 1000, &st.max_ms, err, errlen) != 0)
        return -1;
    struct sleep_state *s = malloc(sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *s = st;
    *state = s;
    return 0;
}

static const char *bson_type_name(const bson_iter_t *it)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_UTF8: return "a string";
    case BSON_TYPE_BOOL: return "a boolean";
    case BSON_TYPE_DOCUMENT: return "an object";
    case BSON_TYPE_ARRAY: return "an array";
    case BSON_TYPE_NULL: return "null";
    case BSON_TYPE_DOUBLE: return "a number out of range";
    default: return "a value of another type";
    }
}

/* payload.ms as a count of milliseconds; fails the task when it is not one. */
static int payload_ms(const struct sleep_state *st, th_task *task, int64_t *ms)
{
    size_t len = 0;
    const uint8_t *data = st->api->task_payload_bson(task, &len);
    bson_t doc;
    bson_iter_t it;
    *ms = st->default_ms;
    if (!bson_init_static(&doc, data, len) || !bson_iter_init_find(&it, &doc, "ms"))
        return 0;
    if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) {
        *ms = bson_iter_as_int64(&it);
    } else if (BSON_ITER_HOLDS_DOUBLE(&it) && bson_iter_double(&it) > -1e15 &&
               bson_iter_double(&it) < 1e15) {
        *ms = (int64_t)bson_iter_double(&it);
    } else {
        st->api->fail(task, "sleep: payload field \"ms\" must be a number of milliseconds, not %s",
                      bson_type_name(&it));
        return -1;
    }
    if (*ms < 0) {
        st->api->fail(task, "sleep: payload field \"ms\" must not be negative, found %" PRId64,
                      *ms);
        return -1;
    }
    return 0;
}

static th_status sleep_run(void *state, th_task *task)
{
    const struct sleep_state *st = state;
    const th_host_api *api = st->api;
    int64_t ms;
    if (payload_ms(st, task, &ms) != 0)
        return TH_FAIL;
    if (ms > st->max_ms) {
        api->log(task, TH_LOG_INFO, "sleeping %" PRId64 " ms instead of %" PRId64 " (max_ms)",
                 st->max_ms, ms);
        ms = st->max_ms;
    }
    int64_t slept = 0;
    while (slept < ms) {
        int64_t slice = ms - slept < SLICE_MS ? ms - slept : SLICE_MS;
        th_cancel_reason why = api->sleep_ms(task, slice);
        if (why != TH_CANCEL_NONE) {
            api->fail(task, "cancelled: %s", reason_name(why));
            return TH_RETRY;
        }
        slept += slice;
        char note[64];
        snprintf(note, sizeof note, "slept %" PRId64 " of %" PRId64 " ms", slept, ms);
        api->heartbeat(task, (double)slept / (double)ms, note);
    }
    char result[64];
    snprintf(result, sizeof result, "{\"slept_ms\": %" PRId64 "}", slept);
    if (api->set_result_json(task, result) != TH_OK) {
        api->fail(task, "sleep: the host refused the result");
        return TH_RETRY;
    }
    return TH_DONE;
}

static void sleep_shutdown(void *state)
{
    free(state);
}

static const char *const sleep_types[] = {"sleep", NULL};

static const th_plugin sleep_plugin = {
    TH_PLUGIN_HEADER,   .name = "sleep",  .version = PLUGIN_VERSION,  .task_types = sleep_types,
    .init = sleep_init, .run = sleep_run, .shutdown = sleep_shutdown,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &sleep_plugin;
}
