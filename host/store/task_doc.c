#include "store/task_doc.h"

#include <stdio.h>
#include <string.h>

#include "plugin/task.h"

const char *task_doc_type_name(bson_type_t t)
{
    switch (t) {
    case BSON_TYPE_DOUBLE: return "a double";
    case BSON_TYPE_UTF8: return "a string";
    case BSON_TYPE_DOCUMENT: return "a document";
    case BSON_TYPE_ARRAY: return "an array";
    case BSON_TYPE_BINARY: return "binary data";
    case BSON_TYPE_OID: return "an ObjectId";
    case BSON_TYPE_BOOL: return "a boolean";
    case BSON_TYPE_DATE_TIME: return "a date";
    case BSON_TYPE_NULL: return "null";
    case BSON_TYPE_INT32: return "a 32-bit integer";
    case BSON_TYPE_INT64: return "a 64-bit integer";
    case BSON_TYPE_DECIMAL128: return "a decimal";
    case BSON_TYPE_TIMESTAMP: return "a timestamp";
    case BSON_TYPE_REGEX: return "a regular expression";
    default: return "a value of an unusual BSON type";
    }
}

/* True for a double that is a whole number within the range of int64_t, so that converting
 * it is defined (NaN, infinities and values like 1e300 are not). */
static bool is_whole_int64(double x)
{
    return x >= -9223372036854775808.0 && x < 9223372036854775808.0 && x == (double)(int64_t)x;
}

/* Reads an optional integer field in [lo, hi]; sets the problem otherwise. */
static int read_int(const bson_t *doc, const char *field, int lo, int hi, int def,
                    struct task_doc *d)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, field) || BSON_ITER_HOLDS_NULL(&it))
        return def;
    bson_type_t t = bson_iter_type(&it);
    int64_t v;
    if (t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64) {
        v = bson_iter_as_int64(&it);
    } else if (t == BSON_TYPE_DOUBLE && is_whole_int64(bson_iter_double(&it))) {
        v = (int64_t)bson_iter_double(&it);
    } else {
        if (d->problem[0] == '\0')
            snprintf(d->problem, sizeof d->problem,
                     "field \"%s\" must be an integer from %d to %d, found %s", field, lo, hi,
                     task_doc_type_name(t));
        return def;
    }
    if (v < lo || v > hi) {
        if (d->problem[0] == '\0')
            snprintf(d->problem, sizeof d->problem,
                     "field \"%s\" must be an integer from %d to %d, found %lld", field, lo, hi,
                     (long long)v);
        return def;
    }
    return (int)v;
}

static void read_payload(const bson_t *doc, struct task_doc *d)
{
    bson_iter_t it;
    d->payload = bson_new();
    if (!bson_iter_init_find(&it, doc, TD_PAYLOAD) || BSON_ITER_HOLDS_NULL(&it))
        return;
    if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
        snprintf(d->problem, sizeof d->problem,
                 "field \"payload\" must be a document (a JSON object), found %s; "
                 "wrap the value, e.g. {\"value\": ...}",
                 task_doc_type_name(bson_iter_type(&it)));
        return;
    }
    uint32_t len;
    const uint8_t *data;
    bson_iter_document(&it, &len, &data);
    bson_t *copy = bson_new_from_data(data, len);
    if (copy != NULL) {
        bson_destroy(d->payload);
        d->payload = copy;
    }
}

static void read_strings(const bson_t *doc, struct task_doc *d)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, TD_STATE) && BSON_ITER_HOLDS_UTF8(&it))
        snprintf(d->state, sizeof d->state, "%s", bson_iter_utf8(&it, NULL));
    bson_iter_t sub;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, TD_LEASE_OWNER, &sub) &&
        BSON_ITER_HOLDS_UTF8(&sub))
        snprintf(d->lease_owner, sizeof d->lease_owner, "%s", bson_iter_utf8(&sub, NULL));
    d->has_created_at = bson_iter_init_find(&it, doc, TD_CREATED_AT);
    d->has_priority = bson_iter_init_find(&it, doc, TD_PRIORITY);
    if (bson_iter_init_find(&it, doc, TD_CANCEL_REQUESTED))
        d->cancel_requested = bson_iter_as_bool(&it);
    d->errors_malformed = bson_iter_init_find(&it, doc, TD_ERRORS) && !BSON_ITER_HOLDS_ARRAY(&it);
    if (d->errors_malformed && d->problem[0] == '\0')
        snprintf(d->problem, sizeof d->problem, "field \"errors\" must be an array, found %s",
                 task_doc_type_name(bson_iter_type(&it)));
}

/* False for an _id that is a document or an array too short to hold even an empty one:
 * bson_validate lets an embedded length of 0 pass, and copying such a value gives a NULL
 * buffer that libbson later aborts on. (No server sends one; the fuzzer made it.) */
static bool usable_id(const bson_iter_t *it)
{
    uint32_t len = 0;
    const uint8_t *data = NULL;
    if (BSON_ITER_HOLDS_DOCUMENT(it))
        bson_iter_document(it, &len, &data);
    else if (BSON_ITER_HOLDS_ARRAY(it))
        bson_iter_array(it, &len, &data);
    else
        return true;
    bson_t probe;
    return data != NULL && bson_init_static(&probe, data, len);
}

bool task_doc_decode(const bson_t *doc, struct task_doc *d)
{
    memset(d, 0, sizeof *d);
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, TD_ID) || !usable_id(&it))
        return false;
    bson_value_copy(bson_iter_value(&it), &d->id);
    task_render_id(&d->id, d->id_str, sizeof d->id_str);
    if (!bson_iter_init_find(&it, doc, TD_TYPE) || !BSON_ITER_HOLDS_UTF8(&it)) {
        bson_value_destroy(&d->id);
        memset(d, 0, sizeof *d);
        return false;
    }
    d->type = bson_strdup(bson_iter_utf8(&it, NULL));
    read_payload(doc, d);
    d->attempts = read_int(doc, TD_ATTEMPTS, 0, 1000000, 0, d);
    d->max_retries = read_int(doc, TD_MAX_RETRIES, 1, TD_MAX_RETRIES_LIMIT, -1, d);
    d->host_deaths = read_int(doc, TD_HOST_DEATHS, 0, 1000000, 0, d);
    (void)read_int(doc, TD_PRIORITY, -1000000000, 1000000000, 0, d);
    read_strings(doc, d);
    return true;
}

void task_doc_destroy(struct task_doc *d)
{
    if (d->type == NULL && d->id.value_type == 0)
        return;
    bson_value_destroy(&d->id);
    bson_free(d->type);
    if (d->payload)
        bson_destroy(d->payload);
    memset(d, 0, sizeof *d);
}
