#include "store/intake.h"

#include <string.h>

#include "store/claim.h"
#include "store/task_doc.h"

static void append_new_filter(bson_t *f, const char *const *types, int n, const char *missing)
{
    bson_t sub;
    store_append_op(f, TD_TYPE, "$in", types, n);
    bson_append_document_begin(f, TD_STATE, -1, &sub);
    BSON_APPEND_BOOL(&sub, "$exists", false);
    bson_append_document_end(f, &sub);
    if (missing && strcmp(missing, TD_STATE) != 0) {
        bson_append_document_begin(f, missing, -1, &sub);
        BSON_APPEND_BOOL(&sub, "$exists", false);
        bson_append_document_end(f, &sub);
    } else if (missing) {
        /* The state goes last, and only to tasks that have every field the
         * earlier steps fill: a task inserted while they ran stays new until
         * the next intake instead of becoming queued without a run_at. */
        static const char *const filled[] = {TD_PRIORITY, TD_ATTEMPTS, TD_RUN_AT, TD_CREATED_AT};
        for (size_t i = 0; i < sizeof filled / sizeof filled[0]; i++) {
            bson_append_document_begin(f, filled[i], -1, &sub);
            BSON_APPEND_BOOL(&sub, "$exists", true);
            bson_append_document_end(f, &sub);
        }
    }
}

/* One step: for new tasks missing `field`, set it (a value, or the server's
 * current date when value is NULL). */
static int64_t fill(mongoc_collection_t *coll, const char *const *types, int n, const char *field,
                    const bson_value_t *value, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, op, reply;
    append_new_filter(&filter, types, n, field);
    bson_append_document_begin(&update, value ? "$set" : "$currentDate", -1, &op);
    if (value)
        BSON_APPEND_VALUE(&op, field, value);
    else
        BSON_APPEND_BOOL(&op, field, true);
    bson_append_document_end(&update, &op);
    int64_t n_mod = -1;
    if (mongoc_collection_update_many(coll, &filter, &update, NULL, &reply, e)) {
        bson_iter_t it;
        n_mod = bson_iter_init_find(&it, &reply, "modifiedCount") ? bson_iter_as_int64(&it) : 0;
    }
    bson_destroy(&reply);
    bson_destroy(&filter);
    bson_destroy(&update);
    return n_mod;
}

static int64_t fill_all(mongoc_collection_t *coll, const char *const *types, int n, bson_error_t *e)
{
    bson_value_t zero = {.value_type = BSON_TYPE_INT32, .value.v_int32 = 0};
    bson_value_t queued = {.value_type = BSON_TYPE_UTF8};
    queued.value.v_utf8.str = (char *)(uintptr_t)TS_QUEUED;
    queued.value.v_utf8.len = (uint32_t)strlen(TS_QUEUED);
    if (fill(coll, types, n, TD_PRIORITY, &zero, e) < 0 ||
        fill(coll, types, n, TD_ATTEMPTS, &zero, e) < 0 ||
        fill(coll, types, n, TD_RUN_AT, NULL, e) < 0 ||
        fill(coll, types, n, TD_CREATED_AT, NULL, e) < 0)
        return -1;
    /* Last: the state, which takes the task out of the "new" filter. */
    return fill(coll, types, n, TD_STATE, &queued, e);
}

int store_intake(struct store *s, const char *const *types, int n_types, struct error *err)
{
    if (n_types == 0)
        return 0;
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_t filter = BSON_INITIALIZER;
    append_new_filter(&filter, types, n_types, NULL);
    bson_error_t e;
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_INT64(&opts, "limit", 1);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
    const bson_t *doc;
    int64_t pending = mongoc_cursor_next(cur, &doc) ? 1 : 0;
    if (mongoc_cursor_error(cur, &e))
        pending = -1;
    mongoc_cursor_destroy(cur);
    bson_destroy(&opts);
    bson_destroy(&filter);
    int64_t taken = pending > 0 ? fill_all(coll, types, n_types, &e) : pending;
    store_release(s, c, coll);
    if (taken < 0)
        return store_error(err, &e, "taking in new tasks"), -1;
    return (int)taken;
}
