#include "store/finish.h"

#include <string.h>

#include "store/claim.h"
#include "store/task_doc.h"

static const char *state_of(enum finish_kind k)
{
    switch (k) {
    case FINISH_DONE: return TS_DONE;
    case FINISH_RETRY: return TS_RETRY;
    case FINISH_DEAD: return TS_DEAD;
    case FINISH_RELEASE: return TS_QUEUED;
    case FINISH_CANCELLED: return TS_CANCELLED;
    case FINISH_PROGRESS: return NULL;
    }
    return NULL;
}

static void append_entry(bson_t *parent, const char *key, const struct finish *f);

static void append_set(bson_t *u, const struct finish *f)
{
    bson_t set;
    bson_append_document_begin(u, "$set", -1, &set);
    const char *state = state_of(f->kind);
    if (state)
        BSON_APPEND_UTF8(&set, TD_STATE, state);
    if (f->attempts >= 0)
        BSON_APPEND_INT32(&set, TD_ATTEMPTS, f->attempts);
    if (f->host_deaths >= 0)
        BSON_APPEND_INT32(&set, TD_HOST_DEATHS, f->host_deaths);
    if (f->kind == FINISH_DONE) {
        if (f->result)
            BSON_APPEND_DOCUMENT(&set, TD_RESULT, f->result);
        else
            BSON_APPEND_NULL(&set, TD_RESULT);
    }
    if (f->kind == FINISH_RETRY || f->kind == FINISH_RELEASE)
        store_append_date(&set, TD_RUN_AT, f->run_at_ms);
    if (f->kind != FINISH_PROGRESS && f->kind != FINISH_RELEASE && f->host_id)
        BSON_APPEND_UTF8(&set, TD_LAST_HOST, f->host_id);
    if (f->created_at_ms)
        store_append_date(&set, TD_CREATED_AT, f->created_at_ms);
    if (f->set_priority)
        BSON_APPEND_INT32(&set, TD_PRIORITY, 0);
    if (f->error_message != NULL && f->replace_errors) {
        bson_t list;
        bson_append_array_begin(&set, TD_ERRORS, -1, &list);
        append_entry(&list, "0", f);
        bson_append_array_end(&set, &list);
    }
    bson_append_document_end(u, &set);
}

static void append_error(bson_t *u, const struct finish *f)
{
    if (f->error_message == NULL || f->replace_errors)
        return; /* replace_errors: written by append_set */
    bson_t push;
    bson_append_document_begin(u, "$push", -1, &push);
    append_entry(&push, TD_ERRORS, f);
    bson_append_document_end(u, &push);
}

/* One entry of `errors`, under key. */
static void append_entry(bson_t *parent, const char *key, const struct finish *f)
{
    bson_t e;
    bson_append_document_begin(parent, key, -1, &e);
    BSON_APPEND_INT32(&e, "attempt", f->error_attempt);
    store_append_date(&e, "at", f->now_ms);
    BSON_APPEND_UTF8(&e, "host", f->host_id ? f->host_id : "");
    BSON_APPEND_UTF8(&e, "kind", f->error_kind ? f->error_kind : "failed");
    BSON_APPEND_UTF8(&e, "message", f->error_message);
    bson_append_document_end(parent, &e);
}

static bool is_final(enum finish_kind k)
{
    return k == FINISH_DONE || k == FINISH_DEAD || k == FINISH_CANCELLED;
}

static void build_update(bson_t *u, const struct finish *f)
{
    append_set(u, f);
    append_error(u, f);
    bson_t cd, unset, rename;
    if (is_final(f->kind)) {
        /* Frees the unique key for a new task (the unique index is on
         * unique_key); `taskhost retry` renames it back. */
        bson_append_document_begin(u, "$rename", -1, &rename);
        BSON_APPEND_UTF8(&rename, TD_UNIQUE_KEY, TD_FINISHED_KEY);
        bson_append_document_end(u, &rename);
    }
    if (f->kind != FINISH_PROGRESS) {
        bson_append_document_begin(u, "$unset", -1, &unset);
        BSON_APPEND_UTF8(&unset, TD_LEASE, "");
        bson_append_document_end(u, &unset);
    }
    bson_append_document_begin(u, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, TD_UPDATED_AT, true);
    if (is_final(f->kind))
        BSON_APPEND_BOOL(&cd, TD_FINISHED_AT, true);
    bson_append_document_end(u, &cd);
}

int store_finish(struct store *s, const bson_value_t *id, const bson_oid_t *token,
                 const struct finish *f, struct error *err)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, reply;
    BSON_APPEND_VALUE(&filter, TD_ID, id);
    BSON_APPEND_OID(&filter, TD_LEASE_TOKEN, token);
    build_update(&update, f);

    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    bool ok = mongoc_collection_update_one(coll, &filter, &update, NULL, &reply, &e);
    store_release(s, c, coll);
    int rc = -1;
    if (ok) {
        bson_iter_t it;
        rc = bson_iter_init_find(&it, &reply, "matchedCount") && bson_iter_as_int64(&it) > 0;
    } else {
        store_error(err, &e, "recording a task's outcome");
    }
    bson_destroy(&reply);
    bson_destroy(&filter);
    bson_destroy(&update);
    return rc;
}
