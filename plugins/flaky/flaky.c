/*
 * flaky: runs task type "flaky", which fails on purpose, for trying out
 * retries, backoff and dead tasks.
 *
 * Settings: failure_rate (0..1, default 0.3), the chance that an attempt
 * fails; permanent_rate (0..1, default 0), the chance that a failure is
 * permanent (TH_FAIL) rather than retryable (TH_RETRY).
 * Payload (all optional): fail_rate overrides failure_rate; permanent (bool)
 * decides whether failures are permanent; fail_times N makes the first N
 * attempts fail and the later ones succeed, whatever the rates; ms is work
 * time spent (cancellable) before deciding.
 * Result: {"attempt": N}.
 */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <bson/bson.h>
#include <taskhost/plugin.h>

#define GOLDEN_GAMMA UINT64_C(0x9E3779B97F4A7C15)

struct flaky_state {
    const th_host_api *api;
    double failure_rate;
    double permanent_rate;
    _Atomic uint64_t rng; /* splitmix64 counter, shared by all run() threads */
};

/* What a payload asks for; `has_*` say which fields were present. */
struct flaky_payload {
    double fail_rate;
    bool has_permanent;
    bool permanent;
    bool has_fail_times;
    int64_t fail_times;
    int64_t ms;
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

/* A uniform number in [0, 1). Lock-free: each call takes its own step of
 * the counter (splitmix64), so concurrent runs never share a draw. */
static double random01(struct flaky_state *st)
{
    uint64_t z = atomic_fetch_add(&st->rng, GOLDEN_GAMMA) + GOLDEN_GAMMA;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static int read_rate(const th_host_api *api, const th_settings *settings, const char *name,
                     double def, double *out, char *err, size_t errlen)
{
    if (api->setting_double(settings, name, def, out) != TH_OK) {
        snprintf(err, errlen, "cannot read setting %s", name);
        return -1;
    }
    if (!(*out >= 0.0 && *out <= 1.0)) {
        snprintf(err, errlen, "setting %s must be between 0 and 1, found %g", name, *out);
        return -1;
    }
    return 0;
}

static int flaky_init(const th_host_api *api, const th_settings *settings, void **state, char *err,
                      size_t errlen)
{
    double failure_rate;
    double permanent_rate;
    if (read_rate(api, settings, "failure_rate", 0.3, &failure_rate, err, errlen) != 0 ||
        read_rate(api, settings, "permanent_rate", 0.0, &permanent_rate, err, errlen) != 0)
        return -1;
    struct flaky_state *st = malloc(sizeof *st);
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct timespec now;
    timespec_get(&now, TIME_UTC);
    st->api = api;
    st->failure_rate = failure_rate;
    st->permanent_rate = permanent_rate;
    atomic_init(&st->rng, ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec) ^
                              (uint64_t)(uintptr_t)st);
    *state = st;
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
    case BSON_TYPE_DOUBLE: return "a fractional or out-of-range number";
    default: return "a value of another type";
    }
}

/* Reads the non-negative integer field `key` into *out (unchanged when
 * absent); fails the task when it is something else. */
static bool payload_count(const th_host_api *api, th_task *task, const bson_t *doc, const char *key,
                          int64_t *out, bool *present)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, key))
        return true;
    if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it))
        *out = bson_iter_as_int64(&it);
    else if (BSON_ITER_HOLDS_DOUBLE(&it) && bson_iter_double(&it) == floor(bson_iter_double(&it)) &&
             fabs(bson_iter_double(&it)) < 1e15)
        *out = (int64_t)bson_iter_double(&it);
    else {
        api->fail(task, "flaky: payload field \"%s\" must be a whole number, not %s", key,
                  bson_type_name(&it));
        return false;
    }
    if (*out < 0) {
        api->fail(task, "flaky: payload field \"%s\" must not be negative, found %" PRId64, key,
                  *out);
        return false;
    }
    if (present != NULL)
        *present = true;
    return true;
}

static bool payload_rate(const th_host_api *api, th_task *task, const bson_t *doc, double *out)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "fail_rate"))
        return true;
    if (!BSON_ITER_HOLDS_NUMBER(&it)) {
        api->fail(task, "flaky: payload field \"fail_rate\" must be a number, not %s",
                  bson_type_name(&it));
        return false;
    }
    *out = bson_iter_as_double(&it);
    if (!(*out >= 0.0 && *out <= 1.0)) {
        api->fail(task, "flaky: payload field \"fail_rate\" must be between 0 and 1, found %g",
                  *out);
        return false;
    }
    return true;
}

static bool payload_permanent(const th_host_api *api, th_task *task, const bson_t *doc,
                              struct flaky_payload *p)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "permanent"))
        return true;
    if (!BSON_ITER_HOLDS_BOOL(&it)) {
        api->fail(task, "flaky: payload field \"permanent\" must be true or false, not %s",
                  bson_type_name(&it));
        return false;
    }
    p->has_permanent = true;
    p->permanent = bson_iter_bool(&it);
    return true;
}

static bool read_payload(const struct flaky_state *st, th_task *task, struct flaky_payload *p)
{
    const th_host_api *api = st->api;
    size_t len = 0;
    const uint8_t *data = api->task_payload_bson(task, &len);
    bson_t doc;
    *p = (struct flaky_payload){.fail_rate = st->failure_rate};
    if (!bson_init_static(&doc, data, len)) {
        api->fail(task, "flaky: the payload is not a BSON document");
        return false;
    }
    return payload_rate(api, task, &doc, &p->fail_rate) && payload_permanent(api, task, &doc, p) &&
           payload_count(api, task, &doc, "fail_times", &p->fail_times, &p->has_fail_times) &&
           payload_count(api, task, &doc, "ms", &p->ms, NULL);
}

/* Spends ms of cancellable work time; the cancel reason, or TH_CANCEL_NONE. */
static th_cancel_reason work(const th_host_api *api, th_task *task, int64_t ms)
{
    if (ms <= 0)
        return api->cancelled(task);
    th_cancel_reason why = api->sleep_ms(task, ms);
    api->heartbeat(task, 1.0, NULL);
    return why;
}

static th_status flaky_run(void *state, th_task *task)
{
    struct flaky_state *st = state;
    const th_host_api *api = st->api;
    struct flaky_payload p;
    if (!read_payload(st, task, &p))
        return TH_FAIL;
    th_cancel_reason why = work(api, task, p.ms);
    if (why != TH_CANCEL_NONE) {
        api->fail(task, "cancelled: %s", reason_name(why));
        return TH_RETRY;
    }
    int attempt = api->task_attempt(task);
    bool fails = p.has_fail_times ? attempt <= p.fail_times : random01(st) < p.fail_rate;
    if (fails) {
        /* planned failures (fail_times) are transient unless said otherwise */
        bool permanent = p.has_permanent    ? p.permanent
                         : p.has_fail_times ? false
                                            : random01(st) < st->permanent_rate;
        api->fail(task, "flaky: %s failure on attempt %d, as planned",
                  permanent ? "permanent" : "transient", attempt);
        return permanent ? TH_FAIL : TH_RETRY;
    }
    char result[64];
    snprintf(result, sizeof result, "{\"attempt\": %d}", attempt);
    if (api->set_result_json(task, result) != TH_OK) {
        api->fail(task, "flaky: the host refused the result");
        return TH_RETRY;
    }
    return TH_DONE;
}

static void flaky_shutdown(void *state)
{
    free(state);
}

static const char *const flaky_types[] = {"flaky", NULL};

static const th_plugin flaky_plugin = {
    TH_PLUGIN_HEADER,   .name = "flaky",  .version = PLUGIN_VERSION,  .task_types = flaky_types,
    .init = flaky_init, .run = flaky_run, .shutdown = flaky_shutdown,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &flaky_plugin;
}
