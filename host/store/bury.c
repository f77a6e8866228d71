#include "store/bury.h"

#include <string.h>

#include "store/claim.h"
#include "store/task_doc.h"

static const char *const KNOWN_STATES[] = {TS_QUEUED, TS_RUNNING, TS_RETRY,
                                           TS_DONE,   TS_DEAD,    TS_CANCELLED};

static void append_strings(bson_t *parent, const char *key, const char *const *v, int n)
{
    bson_t arr;
    bson_append_array_begin(parent, key, -1, &arr);
    for (int i = 0; i < n; i++) {
        char buf[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        bson_append_utf8(&arr, k, -1, v[i], -1);
    }
    bson_append_array_end(parent, &arr);
}

/* {field: {op: value-array}} */
static void append_op(bson_t *f, const char *field, const char *op, const char *const *v, int n)
{
    bson_t sub;
    bson_append_document_begin(f, field, -1, &sub);
    append_strings(&sub, op, v, n);
    bson_append_document_end(f, &sub);
}

/* {field: {$not: {$type: type}}} */
static void append_not_type(bson_t *f, const char *field, const char *type)
{
    bson_t sub, not ;
    bson_append_document_begin(f, field, -1, &sub);
    bson_append_document_begin(&sub, "$not", -1, &not );
    BSON_APPEND_UTF8(&not, "$type", type);
    bson_append_document_end(&sub, &not );
    bson_append_document_end(f, &sub);
}

static void build_update(bson_t *u, const char *host_id, int64_t now_ms, const char *message)
{
    bson_t set, push, e, cd;
    bson_append_document_begin(u, "$set", -1, &set);
    BSON_APPEND_UTF8(&set, TD_STATE, TS_DEAD);
    bson_append_document_end(u, &set);
    bson_append_document_begin(u, "$push", -1, &push);
    bson_append_document_begin(&push, TD_ERRORS, -1, &e);
    BSON_APPEND_INT32(&e, "attempt", 0);
    store_append_date(&e, "at", now_ms);
    BSON_APPEND_UTF8(&e, "host", host_id);
    BSON_APPEND_UTF8(&e, "kind", "malformed");
    BSON_APPEND_UTF8(&e, "message", message);
    bson_append_document_end(&push, &e);
    bson_append_document_end(u, &push);
    bson_append_document_begin(u, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, TD_FINISHED_AT, true);
    BSON_APPEND_BOOL(&cd, TD_UPDATED_AT, true);
    bson_append_document_end(u, &cd);
}

static int64_t bury(mongoc_collection_t *coll, const bson_t *filter, const char *host_id,
                    int64_t now_ms, const char *message, bson_error_t *e)
{
    bson_t update = BSON_INITIALIZER, reply;
    build_update(&update, host_id, now_ms, message);
    int64_t n = -1;
    if (mongoc_collection_update_many(coll, filter, &update, NULL, &reply, e)) {
        bson_iter_t it;
        n = bson_iter_init_find(&it, &reply, "modifiedCount") ? bson_iter_as_int64(&it) : 0;
    }
    bson_destroy(&reply);
    bson_destroy(&update);
    return n;
}

/* No string type: only new documents (no state), which no host would ever
 * claim. */
static int64_t bury_untyped(mongoc_collection_t *coll, const char *host_id, int64_t now_ms,
                            bson_error_t *e)
{
    bson_t f = BSON_INITIALIZER, st;
    bson_append_document_begin(&f, TD_STATE, -1, &st);
    BSON_APPEND_BOOL(&st, "$exists", false);
    bson_append_document_end(&f, &st);
    append_not_type(&f, TD_TYPE, "string");
    int64_t n = bury(coll, &f, host_id, now_ms,
                     "field \"type\" is missing or not a string; a task needs a string type "
                     "naming the plugin that runs it",
                     e);
    bson_destroy(&f);
    return n;
}

static int64_t bury_unknown_state(mongoc_collection_t *coll, const char *const *types, int n,
                                  const char *host_id, int64_t now_ms, bson_error_t *e)
{
    bson_t f = BSON_INITIALIZER, st;
    append_op(&f, TD_TYPE, "$in", types, n);
    bson_append_document_begin(&f, TD_STATE, -1, &st);
    BSON_APPEND_BOOL(&st, "$exists", true);
    append_strings(&st, "$nin", KNOWN_STATES, 6);
    bson_append_document_end(&f, &st);
    int64_t r = bury(coll, &f, host_id, now_ms,
                     "field \"state\" is not one of queued, running, retry, done, dead, "
                     "cancelled; leave it out when inserting a task",
                     e);
    bson_destroy(&f);
    return r;
}

static int64_t bury_bad_run_at(mongoc_collection_t *coll, const char *const *types, int n,
                               const char *host_id, int64_t now_ms, bson_error_t *e)
{
    static const char *const waiting[] = {TS_QUEUED, TS_RETRY};
    bson_t f = BSON_INITIALIZER;
    append_op(&f, TD_TYPE, "$in", types, n);
    append_op(&f, TD_STATE, "$in", waiting, 2);
    append_not_type(&f, TD_RUN_AT, "date");
    int64_t r = bury(coll, &f, host_id, now_ms,
                     "field \"run_at\" of a waiting task must be a date (or left out when "
                     "inserting, meaning now)",
                     e);
    bson_destroy(&f);
    return r;
}

int store_bury_malformed(struct store *s, const char *const *types, int n_types,
                         const char *host_id, int64_t now_ms, struct error *err)
{
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    int64_t total = 0, n;
    if ((n = bury_untyped(coll, host_id, now_ms, &e)) >= 0) {
        total += n;
        if ((n = bury_unknown_state(coll, types, n_types, host_id, now_ms, &e)) >= 0) {
            total += n;
            if ((n = bury_bad_run_at(coll, types, n_types, host_id, now_ms, &e)) >= 0)
                total += n;
        }
    }
    store_release(s, c, coll);
    if (n < 0)
        return store_error(err, &e, "marking malformed tasks dead"), -1;
    return (int)total;
}
