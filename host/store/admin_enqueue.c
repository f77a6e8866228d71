#include "store/admin_enqueue.h"

#include <stdlib.h>
#include <string.h>

#include "store/admin_common.h"
#include "store/claim.h"
#include "store/task_doc.h"

void enqueue_task_clear(struct enqueue_task *t)
{
    free(t->type);
    free(t->unique_key);
    if (t->payload)
        bson_destroy(t->payload);
    memset(t, 0, sizeof *t);
}

static void build_upsert(bson_t *u, const struct enqueue_task *t, int64_t now_ms)
{
    bson_t soi, cd, empty = BSON_INITIALIZER;
    bson_append_document_begin(u, "$setOnInsert", -1, &soi);
    BSON_APPEND_UTF8(&soi, TD_TYPE, t->type);
    BSON_APPEND_DOCUMENT(&soi, TD_PAYLOAD, t->payload ? t->payload : &empty);
    BSON_APPEND_UTF8(&soi, TD_STATE, TS_QUEUED);
    BSON_APPEND_INT32(&soi, TD_PRIORITY, t->priority);
    BSON_APPEND_INT32(&soi, TD_ATTEMPTS, 0);
    if (t->when == ENQ_DELAY)
        store_append_date(&soi, TD_RUN_AT, now_ms + t->when_ms);
    else if (t->when == ENQ_AT)
        store_append_date(&soi, TD_RUN_AT, t->when_ms);
    if (t->max_retries >= 0)
        BSON_APPEND_INT32(&soi, TD_MAX_RETRIES, t->max_retries);
    if (t->unique_key)
        BSON_APPEND_UTF8(&soi, TD_UNIQUE_KEY, t->unique_key);
    bson_append_document_end(u, &soi);
    bson_append_document_begin(u, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, TD_CREATED_AT, true);
    BSON_APPEND_BOOL(&cd, TD_UPDATED_AT, true);
    if (t->when == ENQ_NOW)
        BSON_APPEND_BOOL(&cd, TD_RUN_AT, true);
    bson_append_document_end(u, &cd);
    bson_destroy(&empty);
}

static bool add_task(mongoc_bulk_operation_t *bulk, struct enqueue_task *t, int64_t now_ms,
                     const bson_t *opts, struct error *err)
{
    bson_oid_init(&t->id, NULL);
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER;
    BSON_APPEND_OID(&filter, TD_ID, &t->id);
    build_upsert(&update, t, now_ms);
    bson_error_t e;
    bool ok = mongoc_bulk_operation_update_one_with_opts(bulk, &filter, &update, opts, &e);
    if (!ok)
        error_set(err, ERR_INTERNAL, "building the insert of a task: %s", e.message);
    bson_destroy(&filter);
    bson_destroy(&update);
    return ok;
}

/* Marks the write errors of the reply; returns how many there were. */
static int apply_write_errors(const bson_t *reply, struct enqueue_task *tasks, int n)
{
    bson_iter_t it, arr;
    int count = 0;
    if (!bson_iter_init_find(&it, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return 0;
    while (bson_iter_next(&arr)) {
        bson_iter_t we;
        int64_t index = -1, code = 0;
        const char *msg = "";
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &we))
            continue;
        while (bson_iter_next(&we)) {
            const char *k = bson_iter_key(&we);
            if (strcmp(k, "index") == 0)
                index = bson_iter_as_int64(&we);
            else if (strcmp(k, "code") == 0)
                code = bson_iter_as_int64(&we);
            else if (strcmp(k, "errmsg") == 0 && BSON_ITER_HOLDS_UTF8(&we))
                msg = bson_iter_utf8(&we, NULL);
        }
        if (index < 0 || index >= n)
            continue;
        count++;
        struct enqueue_task *t = &tasks[index];
        t->outcome = code == ADMIN_DUPLICATE_KEY ? ENQ_DUPLICATE : ENQ_REJECTED;
        snprintf(t->reject_msg, sizeof t->reject_msg, "%s (error %lld)", msg, (long long)code);
    }
    return count;
}

static bool execute(mongoc_bulk_operation_t *bulk, struct enqueue_task *tasks, int n,
                    struct error *err)
{
    bson_t reply;
    bson_error_t e;
    bool ok = mongoc_bulk_operation_execute(bulk, &reply, &e) != 0;
    int failed = apply_write_errors(&reply, tasks, n);
    if (ok || failed > 0) {
        for (int i = 0; i < n; i++)
            if (tasks[i].outcome == ENQ_PENDING)
                tasks[i].outcome = ENQ_INSERTED;
        ok = true;
    } else {
        store_error(err, &e, "inserting tasks");
    }
    bson_destroy(&reply);
    return ok;
}

bool store_enqueue(struct store *s, struct enqueue_task *tasks, int n, struct error *err)
{
    if (n <= 0)
        return true;
    if (n > ENQUEUE_BATCH_MAX)
        return error_set(err, ERR_INTERNAL, "store_enqueue: %d tasks in one batch", n);
    bool delayed = false;
    for (int i = 0; i < n; i++)
        delayed = delayed || tasks[i].when == ENQ_DELAY;
    int64_t now_ms = 0;
    if (delayed && !store_server_time(s, &now_ms, err))
        return false;
    bson_t bulk_opts = BSON_INITIALIZER, upsert = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&bulk_opts, "ordered", false);
    BSON_APPEND_BOOL(&upsert, "upsert", true);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    mongoc_bulk_operation_t *bulk =
        mongoc_collection_create_bulk_operation_with_opts(coll, &bulk_opts);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        tasks[i].outcome = ENQ_PENDING;
        ok = add_task(bulk, &tasks[i], now_ms, &upsert, err);
    }
    if (ok)
        ok = execute(bulk, tasks, n, err);
    mongoc_bulk_operation_destroy(bulk);
    store_release(s, c, coll);
    bson_destroy(&bulk_opts);
    bson_destroy(&upsert);
    return ok;
}

int store_find_key_holder(struct store *s, const char *key, bson_value_t *id, struct error *err)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
    BSON_APPEND_UTF8(&filter, TD_UNIQUE_KEY, key);
    BSON_APPEND_INT64(&opts, "limit", 1);
    bson_append_document_begin(&opts, "projection", -1, &proj);
    BSON_APPEND_INT32(&proj, TD_ID, 1);
    bson_append_document_end(&opts, &proj);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
    const bson_t *doc;
    int rc = 0;
    bson_iter_t it;
    if (mongoc_cursor_next(cur, &doc) && bson_iter_init_find(&it, doc, TD_ID)) {
        bson_value_copy(bson_iter_value(&it), id);
        rc = 1;
    }
    bson_error_t e;
    if (mongoc_cursor_error(cur, &e)) {
        if (rc == 1)
            bson_value_destroy(id);
        rc = -1;
        store_error(err, &e, "finding the task that holds a unique key");
    }
    mongoc_cursor_destroy(cur);
    store_release(s, c, coll);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return rc;
}

int64_t store_release_finished_keys(struct store *s, const char *const *keys, int n,
                                    struct error *err)
{
    static const char *const final_states[] = {TS_DONE, TS_DEAD, TS_CANCELLED};
    if (n <= 0)
        return 0;
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, sub, reply;
    bson_append_document_begin(&filter, TD_UNIQUE_KEY, -1, &sub);
    store_append_strings(&sub, "$in", keys, n);
    bson_append_document_end(&filter, &sub);
    bson_append_document_begin(&filter, TD_STATE, -1, &sub);
    store_append_strings(&sub, "$in", final_states, 3);
    bson_append_document_end(&filter, &sub);
    bson_append_document_begin(&update, "$rename", -1, &sub);
    BSON_APPEND_UTF8(&sub, TD_UNIQUE_KEY, TD_FINISHED_KEY);
    bson_append_document_end(&update, &sub);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    int64_t n_mod = -1;
    if (mongoc_collection_update_many(coll, &filter, &update, NULL, &reply, &e)) {
        bson_iter_t it;
        n_mod = bson_iter_init_find(&it, &reply, "modifiedCount") ? bson_iter_as_int64(&it) : 0;
    } else {
        store_error(err, &e, "freeing the unique keys of finished tasks");
    }
    store_release(s, c, coll);
    bson_destroy(&reply);
    bson_destroy(&filter);
    bson_destroy(&update);
    return n_mod;
}
