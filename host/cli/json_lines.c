#include "cli/json_lines.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/duration.h"
#include "cli/json_scan.h"
#include "cli/timefmt.h"
#include "store/admin_common.h"
#include "store/task_doc.h"

#define PRIORITY_LIMIT 1000000000LL

static const char *const FIELDS[] = {"type",   "payload",     "priority",   "delay_ms",
                                     "run_at", "max_retries", "unique_key", NULL};

struct line_ctx {
    const char *text;
    int line;
    struct line_error *e;
};

static bool fail(const struct line_ctx *c, int column, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(const struct line_ctx *c, int column, const char *fmt, ...)
{
    c->e->line = c->line;
    c->e->column = column;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(c->e->msg, sizeof c->e->msg, fmt, ap);
    va_end(ap);
    return false;
}

static bool wrong_kind(const struct line_ctx *c, const struct json_member *m, const char *expect)
{
    return fail(c, m->column, "field \"%s\" must be %s, found %s", m->key, expect,
                json_kind_name(m->kind));
}

/* A whole number in [lo, hi]. */
static bool read_int(const struct line_ctx *c, const struct json_member *m, long long lo,
                     long long hi, long long *out)
{
    if (m->kind != JSON_NUMBER)
        return wrong_kind(c, m, "a whole number");
    char buf[64];
    size_t n = m->length < sizeof buf - 1 ? m->length : sizeof buf - 1;
    memcpy(buf, c->text + m->offset, n);
    buf[n] = '\0';
    double d = strtod(buf, NULL);
    if (!(d >= (double)lo && d <= (double)hi) || d != (double)(long long)d)
        return fail(c, m->column, "field \"%s\" must be a whole number from %lld to %lld, found %s",
                    m->key, lo, hi, buf);
    *out = (long long)d;
    return true;
}

/* A string without NUL characters of 1 to max bytes; NULL for null. */
static bool read_string(const struct line_ctx *c, const struct json_member *m, size_t max,
                        char **out)
{
    *out = NULL;
    if (m->kind == JSON_NULL)
        return true;
    if (m->kind != JSON_STRING)
        return wrong_kind(c, m, "a string");
    size_t n;
    char *s = json_unescape(c->text + m->offset, m->length, &n);
    if (s == NULL)
        return fail(c, m->column, "out of memory");
    const char *why = n == 0           ? "must not be empty"
                      : strlen(s) != n ? "must not contain \\u0000"
                      : n > max        ? "is too long"
                                       : NULL;
    if (why) {
        free(s);
        return fail(c, m->column, "field \"%s\" %s (1 to %zu bytes)", m->key, why, max);
    }
    *out = s;
    return true;
}

static bool read_payload(const struct line_ctx *c, const struct json_member *m, bson_t **out)
{
    *out = NULL;
    if (m->kind == JSON_NULL)
        return true;
    if (m->kind != JSON_OBJECT)
        return wrong_kind(c, m, "an object");
    bson_error_t be;
    *out = bson_new_from_json((const uint8_t *)c->text + m->offset, (ssize_t)m->length, &be);
    if (*out == NULL)
        return fail(c, m->column, "field \"payload\" is not valid extended JSON: %s", be.message);
    return true;
}

static bool read_when(const struct line_ctx *c, const struct json_member *delay,
                      const struct json_member *at, struct enqueue_task *t)
{
    if (delay && at && delay->kind != JSON_NULL && at->kind != JSON_NULL)
        return fail(c, (delay->column > at->column ? delay : at)->key_column,
                    "give \"delay_ms\" or \"run_at\", not both");
    long long ms = 0;
    if (delay && delay->kind != JSON_NULL) {
        if (!read_int(c, delay, 0, DURATION_MAX_MS, &ms))
            return false;
        t->when = ENQ_DELAY;
        t->when_ms = ms;
    }
    if (at && at->kind != JSON_NULL) {
        char *s;
        struct error err = {0};
        int64_t when;
        if (!read_string(c, at, 64, &s))
            return false;
        bool ok = time_parse_iso(s, "field \"run_at\"", &when, &err);
        free(s);
        if (!ok)
            return fail(c, at->column, "%s", err.msg);
        t->when = ENQ_AT;
        t->when_ms = when;
    }
    return true;
}

static bool check_fields(const struct line_ctx *c, const struct json_top *top)
{
    if (top->too_many)
        return fail(c, 1, "more than %d fields; a task line has at most %d", JSON_MEMBERS_MAX, 7);
    for (int i = 0; i < top->n_members; i++) {
        const struct json_member *m = &top->members[i];
        bool known = false;
        for (int f = 0; FIELDS[f] && !known; f++)
            known = !m->key_cut && strcmp(m->key, FIELDS[f]) == 0;
        if (!known)
            return fail(c, m->key_column,
                        "unknown field \"%s%s\"; the fields are type, payload, priority, "
                        "delay_ms, run_at, max_retries and unique_key",
                        m->key, m->key_cut ? "..." : "");
        for (int j = 0; j < i; j++)
            if (strcmp(top->members[j].key, m->key) == 0)
                return fail(c, m->key_column, "field \"%s\" appears twice", m->key);
    }
    return true;
}

static bool read_fields(const struct line_ctx *c, const struct json_top *top,
                        struct enqueue_task *t)
{
    const struct json_member *m;
    long long n = 0;
    if ((m = json_member_find(top, "type")) == NULL || m->kind == JSON_NULL)
        return fail(c, 1,
                    "field \"type\" is missing: each line needs the task type, e.g. "
                    "{\"type\": \"resize\", \"payload\": {...}}");
    if (!read_string(c, m, TD_TYPE_MAX, &t->type))
        return false;
    if ((m = json_member_find(top, "payload")) && !read_payload(c, m, &t->payload))
        return false;
    if ((m = json_member_find(top, "priority")) && m->kind != JSON_NULL) {
        if (!read_int(c, m, -PRIORITY_LIMIT, PRIORITY_LIMIT, &n))
            return false;
        t->priority = (int)n;
    }
    if ((m = json_member_find(top, "max_retries")) && m->kind != JSON_NULL) {
        if (!read_int(c, m, 1, TD_MAX_RETRIES_LIMIT, &n))
            return false;
        t->max_retries = (int)n;
    }
    if ((m = json_member_find(top, "unique_key")) &&
        !read_string(c, m, ADMIN_UNIQUE_KEY_MAX, &t->unique_key))
        return false;
    return read_when(c, json_member_find(top, "delay_ms"), json_member_find(top, "run_at"), t);
}

bool json_line_parse(const char *text, size_t len, int line_no, struct enqueue_task *t,
                     struct line_error *e)
{
    memset(t, 0, sizeof *t);
    t->max_retries = -1;
    t->line = line_no;
    struct line_ctx c = {text, line_no, e};
    struct json_top *top = malloc(sizeof *top);
    struct json_error je;
    if (top == NULL)
        return fail(&c, 1, "out of memory");
    bool ok = json_scan(text, len, top, &je);
    if (!ok)
        fail(&c, je.column, "%s", je.msg);
    else if (top->kind != JSON_OBJECT)
        ok = fail(&c, 1, "expected a JSON object such as {\"type\": \"resize\"}, found %s",
                  json_kind_name(top->kind));
    else
        ok = check_fields(&c, top) && read_fields(&c, top, t);
    free(top);
    if (!ok)
        enqueue_task_clear(t);
    return ok;
}

bson_t *json_payload_parse(const char *text, struct line_error *e)
{
    struct json_top *top = malloc(sizeof *top);
    struct json_error je;
    struct line_ctx c = {text, 1, e};
    bson_t *out = NULL;
    if (top == NULL) {
        fail(&c, 1, "out of memory");
    } else if (!json_scan(text, strlen(text), top, &je)) {
        c.line = je.line;
        fail(&c, je.column, "%s", je.msg);
    } else if (top->kind != JSON_OBJECT) {
        fail(&c, 1, "the payload must be a JSON object such as {\"n\": 1}, found %s",
             json_kind_name(top->kind));
    } else {
        bson_error_t be;
        out = bson_new_from_json((const uint8_t *)text, -1, &be);
        if (out == NULL)
            fail(&c, 1, "not valid extended JSON: %s", be.message);
    }
    free(top);
    return out;
}

bool json_line_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
            return false;
    return true;
}
