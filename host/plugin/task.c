#include "plugin/task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The condition variable measures time on CLOCK_MONOTONIC so that sleep_ms
 * is not stretched or cut short when the wall clock is set. */
static void init_cond(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

void task_init(struct th_task *t, const bson_value_t *id, const char *type, int attempt,
               int max_retries, const bson_t *payload)
{
    memset(t, 0, sizeof *t);
    if (id != NULL) {
        bson_value_copy(id, &t->id);
        task_render_id(id, t->id_str, sizeof t->id_str);
    } else {
        (void)snprintf(t->id_str, sizeof t->id_str, "(no id)");
    }
    t->type = bson_strdup(type);
    t->attempt = attempt;
    t->max_retries = max_retries;
    if (payload != NULL)
        bson_copy_to(payload, &t->payload);
    else
        bson_init(&t->payload);
    atomic_init(&t->cancel, TH_CANCEL_NONE);
    pthread_mutex_init(&t->mu, NULL);
    init_cond(&t->cond);
    t->progress = -1.0;
}

void task_destroy(struct th_task *t)
{
    bson_value_destroy(&t->id);
    bson_free(t->type);
    bson_destroy(&t->payload);
    bson_free(t->payload_json);
    if (t->result != NULL)
        bson_destroy(t->result);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cond);
    memset(t, 0, sizeof *t);
}

void task_cancel(struct th_task *t, th_cancel_reason reason)
{
    if (reason == TH_CANCEL_NONE)
        return;
    pthread_mutex_lock(&t->mu);
    int expected = TH_CANCEL_NONE;
    atomic_compare_exchange_strong(&t->cancel, &expected, (int)reason);
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->mu);
}

bool task_take_progress(struct th_task *t, double *progress, char *note, size_t note_len)
{
    pthread_mutex_lock(&t->mu);
    bool dirty = t->progress_dirty;
    if (dirty) {
        *progress = t->progress;
        if (note != NULL && note_len > 0)
            (void)snprintf(note, note_len, "%s", t->note);
        t->progress_dirty = false;
    }
    pthread_mutex_unlock(&t->mu);
    return dirty;
}

/* Copies s between quotes into buf (size >= 8), replacing control
 * characters and quotes so that the rendering stays on one line and
 * unambiguous; ends with `..."` when s does not fit. */
static void render_quoted(const char *s, uint32_t len, char *buf, size_t size)
{
    bool cut = (size_t)len + 3 > size; /* two quotes and the NUL */
    size_t n = cut ? size - 6 : len;   /* leaves room for `..."` and the NUL */
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 0x20 || c == '"' || c == 0x7f) ? '?' : (char)c;
    }
    if (cut) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

/* Any other type: the relaxed extended JSON of the value, e.g. {"$date":...}. */
static void render_other(const bson_value_t *id, char *buf, size_t len)
{
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_VALUE(&doc, "v", id);
    char *json = bson_as_relaxed_extended_json(&doc, NULL);
    bson_destroy(&doc);
    /* json is `{ "v" : <value> }` */
    const char *start = json ? strstr(json, ": ") : NULL;
    if (start == NULL) {
        (void)snprintf(buf, len, "(id of BSON type 0x%02x)", (unsigned)id->value_type);
    } else {
        start += 2;
        size_t n = strlen(start);
        if (n >= 2 && strcmp(start + n - 2, " }") == 0)
            n -= 2;
        (void)snprintf(buf, len, "%.*s", (int)n, start);
    }
    bson_free(json);
}

void task_render_id(const bson_value_t *id, char *buf, size_t len)
{
    if (len < 8) {
        if (len > 0)
            buf[0] = '\0';
        return;
    }
    switch (id->value_type) {
    case BSON_TYPE_OID: {
        char hex[25];
        bson_oid_to_string(&id->value.v_oid, hex);
        (void)snprintf(buf, len, "%s", hex);
        break;
    }
    case BSON_TYPE_UTF8: render_quoted(id->value.v_utf8.str, id->value.v_utf8.len, buf, len); break;
    case BSON_TYPE_INT32: (void)snprintf(buf, len, "%d", id->value.v_int32); break;
    case BSON_TYPE_INT64: (void)snprintf(buf, len, "%lld", (long long)id->value.v_int64); break;
    default: render_other(id, buf, len); break;
    }
}
