#include "cli/doc_view.h"

#include <stdio.h>
#include <string.h>

#include "store/admin_common.h"

static bool find(const bson_t *doc, const char *path, bson_iter_t *out)
{
    bson_iter_t it;
    return bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, out);
}

const char *doc_utf8(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return find(doc, path, &it) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : NULL;
}

bool doc_date(const bson_t *doc, const char *path, int64_t *ms)
{
    bson_iter_t it;
    if (!find(doc, path, &it) || !BSON_ITER_HOLDS_DATE_TIME(&it))
        return false;
    *ms = bson_iter_date_time(&it);
    return true;
}

bool doc_int(const bson_t *doc, const char *path, int64_t *n)
{
    bson_iter_t it;
    if (!find(doc, path, &it) || !BSON_ITER_HOLDS_NUMBER(&it))
        return false;
    *n = bson_iter_as_int64(&it);
    return true;
}

/* A value as relaxed extended JSON: {"v": X} rendered, X cut out. */
static char *value_json(const bson_value_t *v)
{
    bson_t tmp = BSON_INITIALIZER;
    BSON_APPEND_VALUE(&tmp, "v", v);
    size_t len = 0;
    char *json = bson_as_relaxed_extended_json(&tmp, &len);
    bson_destroy(&tmp);
    static const char head[] = "{ \"v\" : ";
    if (json == NULL || len < sizeof head + 1 || strncmp(json, head, sizeof head - 1) != 0) {
        bson_free(json);
        return NULL;
    }
    size_t n = len - (sizeof head - 1) - 2; /* without the head and " }" */
    memmove(json, json + sizeof head - 1, n);
    json[n] = '\0';
    return json;
}

void value_render_id(const bson_value_t *v, char *buf, size_t len)
{
    if (len == 0)
        return;
    switch (v->value_type) {
    case BSON_TYPE_OID: {
        char hex[25];
        bson_oid_to_string(&v->value.v_oid, hex);
        snprintf(buf, len, "%s", hex);
        return;
    }
    case BSON_TYPE_UTF8: {
        size_t n = 0;
        for (uint32_t i = 0; i < v->value.v_utf8.len && n + 1 < len; i++) {
            char c = v->value.v_utf8.str[i];
            buf[n++] = (unsigned char)c < 0x20 || c == 0x7F ? '?' : c;
        }
        buf[n] = '\0';
        return;
    }
    case BSON_TYPE_INT32: snprintf(buf, len, "%d", v->value.v_int32); return;
    case BSON_TYPE_INT64: snprintf(buf, len, "%lld", (long long)v->value.v_int64); return;
    default: break;
    }
    char *json = value_json(v);
    snprintf(buf, len, "%s", json ? json : "?");
    bson_free(json);
}

void doc_render_id(const bson_t *doc, char *buf, size_t len)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "_id"))
        value_render_id(bson_iter_value(&it), buf, len);
    else if (len > 0)
        snprintf(buf, len, "(no _id)");
}

const char *doc_last_error(const bson_t *doc)
{
    bson_iter_t it, arr, e;
    const char *last = NULL;
    if (!bson_iter_init_find(&it, doc, TD_ERRORS) || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return NULL;
    while (bson_iter_next(&arr))
        if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &e) &&
            bson_iter_find(&e, "message") && BSON_ITER_HOLDS_UTF8(&e))
            last = bson_iter_utf8(&e, NULL);
    return last;
}

char *doc_json(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return find(doc, path, &it) ? value_json(bson_iter_value(&it)) : NULL;
}

const char *doc_state(const bson_t *doc)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, TD_STATE))
        return TS_NEW;
    return BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : "?";
}

char *doc_join(const bson_t *doc, const char *path, char *buf, size_t len)
{
    bson_iter_t it, arr;
    size_t n = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (!find(doc, path, &it) || !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &arr)) {
        snprintf(buf, len, "-");
        return buf;
    }
    while (bson_iter_next(&arr) && n + 1 < len) {
        if (!BSON_ITER_HOLDS_UTF8(&arr))
            continue;
        int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", bson_iter_utf8(&arr, NULL));
        n = w < 0 || (size_t)w >= len - n ? len - 1 : n + (size_t)w;
    }
    return buf;
}

const char *doc_host(const bson_t *doc)
{
    const char *owner = doc_utf8(doc, TD_LEASE_OWNER);
    return owner ? owner : doc_utf8(doc, TD_LAST_HOST);
}
