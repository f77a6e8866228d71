#include "store/admin_control.h"

#include <stdio.h>
#include <string.h>

#include "plugin/task.h"
#include "store/admin_common.h"
#include "store/admin_enqueue.h"
#include "store/claim.h"
#include "store/task_doc.h"

/* How often a task that keeps changing under us is read again. */
#define CONTROL_ROUNDS 5

/* {_id: id, state: state} ("" = without a state). */
static void match_id_state(bson_t *f, const bson_value_t *id, const char *state)
{
    BSON_APPEND_VALUE(f, TD_ID, id);
    if (state[0] == '\0') {
        bson_t sub;
        bson_append_document_begin(f, TD_STATE, -1, &sub);
        BSON_APPEND_BOOL(&sub, "$exists", false);
        bson_append_document_end(f, &sub);
    } else {
        BSON_APPEND_UTF8(f, TD_STATE, state);
    }
}

/* 1 when the update matched, 0 when not, -1 with *e (a duplicate key included). */
static int update_one(struct store *s, const bson_t *filter, const bson_t *update, bson_error_t *e)
{
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_t reply;
    int rc = -1;
    if (mongoc_collection_update_one(coll, filter, update, NULL, &reply, e)) {
        bson_iter_t it;
        rc = bson_iter_init_find(&it, &reply, "matchedCount") && bson_iter_as_int64(&it) > 0;
    }
    bson_destroy(&reply);
    store_release(s, c, coll);
    return rc;
}

static void cancel_update(bson_t *u)
{
    bson_t op;
    bson_append_document_begin(u, "$set", -1, &op);
    BSON_APPEND_UTF8(&op, TD_STATE, TS_CANCELLED);
    bson_append_document_end(u, &op);
    bson_append_document_begin(u, "$unset", -1, &op);
    BSON_APPEND_UTF8(&op, TD_LEASE, "");
    bson_append_document_end(u, &op);
    bson_append_document_begin(u, "$rename", -1, &op);
    BSON_APPEND_UTF8(&op, TD_UNIQUE_KEY, TD_FINISHED_KEY);
    bson_append_document_end(u, &op);
    bson_append_document_begin(u, "$currentDate", -1, &op);
    BSON_APPEND_BOOL(&op, TD_FINISHED_AT, true);
    BSON_APPEND_BOOL(&op, TD_UPDATED_AT, true);
    bson_append_document_end(u, &op);
}

static void request_update(bson_t *u)
{
    bson_t op;
    bson_append_document_begin(u, "$set", -1, &op);
    BSON_APPEND_BOOL(&op, TD_CANCEL_REQUESTED, true);
    bson_append_document_end(u, &op);
    bson_append_document_begin(u, "$currentDate", -1, &op);
    BSON_APPEND_BOOL(&op, TD_UPDATED_AT, true);
    bson_append_document_end(u, &op);
}

static void retry_update(bson_t *u, const char *from_state, int64_t now_ms, bool take_key)
{
    bson_t op, entry;
    bson_append_document_begin(u, "$set", -1, &op);
    BSON_APPEND_UTF8(&op, TD_STATE, TS_QUEUED);
    BSON_APPEND_INT32(&op, TD_ATTEMPTS, 0);
    BSON_APPEND_INT32(&op, TD_HOST_DEATHS, 0);
    bson_append_document_end(u, &op);
    bson_append_document_begin(u, "$unset", -1, &op);
    BSON_APPEND_UTF8(&op, TD_FINISHED_AT, "");
    BSON_APPEND_UTF8(&op, TD_LEASE, "");
    BSON_APPEND_UTF8(&op, TD_CANCEL_REQUESTED, "");
    BSON_APPEND_UTF8(&op, TD_PROGRESS, "");
    bson_append_document_end(u, &op);
    if (take_key) {
        bson_append_document_begin(u, "$rename", -1, &op);
        BSON_APPEND_UTF8(&op, TD_FINISHED_KEY, TD_UNIQUE_KEY);
        bson_append_document_end(u, &op);
    }
    bson_append_document_begin(u, "$push", -1, &op);
    bson_append_document_begin(&op, TD_OPERATOR_RETRIES, -1, &entry);
    store_append_date(&entry, "at", now_ms);
    BSON_APPEND_UTF8(&entry, "from_state", from_state);
    bson_append_document_end(&op, &entry);
    bson_append_document_end(u, &op);
    bson_append_document_begin(u, "$currentDate", -1, &op);
    BSON_APPEND_BOOL(&op, TD_RUN_AT, true);
    BSON_APPEND_BOOL(&op, TD_UPDATED_AT, true);
    bson_append_document_end(u, &op);
}

/* Reads what the outcome reports about a document. */
static void describe(const bson_t *doc, struct control_outcome *out)
{
    bson_iter_t it, sub;
    snprintf(out->state, sizeof out->state, "%s", admin_doc_state(doc));
    if (bson_iter_init_find(&it, doc, TD_ID))
        task_render_id(bson_iter_value(&it), out->id_str, sizeof out->id_str);
    out->owner[0] = '\0';
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, TD_LEASE_OWNER, &sub) &&
        BSON_ITER_HOLDS_UTF8(&sub))
        snprintf(out->owner, sizeof out->owner, "%s", bson_iter_utf8(&sub, NULL));
}

/* One cancel step on the document as read: 1 decided, 0 changed meanwhile, -1. */
static int cancel_step(struct store *s, const bson_t *doc, struct control_outcome *out,
                       struct error *err)
{
    describe(doc, out);
    bool waiting = admin_state_waiting(out->state);
    if (!waiting && strcmp(out->state, TS_RUNNING) != 0) {
        out->result = CTL_WRONG_STATE;
        return 1;
    }
    bson_iter_t it;
    bson_iter_init_find(&it, doc, TD_ID);
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER;
    match_id_state(&filter, bson_iter_value(&it), out->state);
    if (waiting)
        cancel_update(&update);
    else
        request_update(&update);
    bson_error_t e;
    int rc = update_one(s, &filter, &update, &e);
    if (rc < 0)
        store_error(err, &e, "cancelling a task");
    out->result = waiting ? CTL_DONE : CTL_REQUESTED;
    bson_destroy(&filter);
    bson_destroy(&update);
    return rc;
}

/* The task whose _id is exactly id: 1 and *doc, 0 none, -1 with err. */
static int get_exact(struct store *s, const bson_value_t *id, bson_t **doc, struct error *err)
{
    bson_t filter = BSON_INITIALIZER;
    BSON_APPEND_VALUE(&filter, TD_ID, id);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, NULL, NULL);
    const bson_t *d;
    *doc = mongoc_cursor_next(cur, &d) ? bson_copy(d) : NULL;
    bson_error_t e;
    int rc = *doc ? 1 : 0;
    if (mongoc_cursor_error(cur, &e)) {
        rc = -1;
        store_error(err, &e, "reading a task");
        if (*doc)
            bson_destroy(*doc);
        *doc = NULL;
    }
    mongoc_cursor_destroy(cur);
    store_release(s, c, coll);
    bson_destroy(&filter);
    return rc;
}

typedef int (*control_step)(struct store *, const bson_t *, struct control_outcome *,
                            struct error *);

/* Reads the task (by the operator's text, or exactly by _id when exact is
 * not NULL) and applies step until it decides. */
static bool control(struct store *s, const char *id_text, const bson_value_t *exact,
                    struct control_outcome *out, control_step step, struct error *err)
{
    memset(out, 0, sizeof *out);
    for (int round = 0; round < CONTROL_ROUNDS; round++) {
        bson_t *doc = NULL;
        int found = exact ? get_exact(s, exact, &doc, err) : store_admin_get(s, id_text, &doc, err);
        if (found < 0)
            return false;
        if (found == 0) {
            out->result = CTL_NOT_FOUND;
            return true;
        }
        int rc = step(s, doc, out, err);
        bson_destroy(doc);
        if (rc != 0)
            return rc > 0;
    }
    return error_set(err, ERR_DB,
                     "task %s changed state %d times while we tried to change it; try again",
                     out->id_str, CONTROL_ROUNDS);
}

bool store_cancel(struct store *s, const char *id_text, struct control_outcome *out,
                  struct error *err)
{
    return control(s, id_text, NULL, out, cancel_step, err);
}

/* After a duplicate key: 1 to try again (a finished task still held the key
 * and gave it up, or the holder is gone), 0 when a live task holds it (named
 * in out->holder), -1 with err. */
static int key_conflict(struct store *s, const char *key, struct control_outcome *out,
                        struct error *err)
{
    int64_t freed = store_release_finished_keys(s, &key, 1, err);
    if (freed != 0)
        return freed > 0 ? 1 : -1;
    bson_value_t id;
    int rc = store_find_key_holder(s, key, &id, err);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    task_render_id(&id, out->holder, sizeof out->holder);
    bson_value_destroy(&id);
    out->result = CTL_KEY_TAKEN;
    return 0;
}

static int retry_step(struct store *s, const bson_t *doc, struct control_outcome *out,
                      struct error *err)
{
    describe(doc, out);
    if (strcmp(out->state, TS_DEAD) != 0 && strcmp(out->state, TS_CANCELLED) != 0) {
        out->result = CTL_WRONG_STATE;
        return 1;
    }
    int64_t now_ms;
    if (!store_server_time(s, &now_ms, err))
        return -1;
    bson_iter_t it, key;
    bson_iter_init_find(&it, doc, TD_ID);
    bool has_key = bson_iter_init_find(&key, doc, TD_FINISHED_KEY) && BSON_ITER_HOLDS_UTF8(&key);
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER;
    match_id_state(&filter, bson_iter_value(&it), out->state);
    retry_update(&update, out->state, now_ms, has_key);
    bson_error_t e;
    int rc = update_one(s, &filter, &update, &e);
    out->result = CTL_DONE;
    if (rc < 0 && has_key && admin_error_is_duplicate(&e)) {
        int k = key_conflict(s, bson_iter_utf8(&key, NULL), out, err);
        rc = k < 0 ? -1 : k > 0 ? 0 : 1;
    } else if (rc < 0) {
        store_error(err, &e, "queueing a task again");
    }
    bson_destroy(&filter);
    bson_destroy(&update);
    return rc;
}

bool store_retry(struct store *s, const char *id_text, struct control_outcome *out,
                 struct error *err)
{
    return control(s, id_text, NULL, out, retry_step, err);
}

/* Dead tasks of type without a unique key to take back, all at once. */
static int64_t retry_keyless(struct store *s, const char *type, int64_t now_ms, struct error *err)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, sub, reply;
    BSON_APPEND_UTF8(&filter, TD_STATE, TS_DEAD);
    BSON_APPEND_UTF8(&filter, TD_TYPE, type);
    bson_append_document_begin(&filter, TD_FINISHED_KEY, -1, &sub);
    BSON_APPEND_BOOL(&sub, "$exists", false);
    bson_append_document_end(&filter, &sub);
    retry_update(&update, TS_DEAD, now_ms, false);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    int64_t n = -1;
    if (mongoc_collection_update_many(coll, &filter, &update, NULL, &reply, &e)) {
        bson_iter_t it;
        n = bson_iter_init_find(&it, &reply, "modifiedCount") ? bson_iter_as_int64(&it) : 0;
    } else {
        store_error(err, &e, "queueing dead tasks again");
    }
    store_release(s, c, coll);
    bson_destroy(&reply);
    bson_destroy(&filter);
    bson_destroy(&update);
    return n;
}

/* Collects the _ids of the dead tasks of type that have a key to take back. */
static bool keyed_ids(struct store *s, const char *type, bson_t *ids, int *n, struct error *err)
{
    bson_t *q = BCON_NEW(TD_STATE, BCON_UTF8(TS_DEAD), TD_TYPE, BCON_UTF8(type), TD_FINISHED_KEY,
                         "{", "$exists", BCON_BOOL(true), "}");
    bson_t *opts = BCON_NEW("projection", "{", TD_ID, BCON_INT32(1), "}");
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, q, opts, NULL);
    const bson_t *d;
    *n = 0;
    while (mongoc_cursor_next(cur, &d)) {
        bson_iter_t it;
        if (!bson_iter_init_find(&it, d, TD_ID))
            continue;
        char buf[16];
        const char *k;
        bson_uint32_to_string((uint32_t)(*n)++, &k, buf, sizeof buf);
        BSON_APPEND_VALUE(ids, k, bson_iter_value(&it));
    }
    bson_error_t e;
    bool ok = !mongoc_cursor_error(cur, &e);
    if (!ok)
        store_error(err, &e, "listing dead tasks");
    mongoc_cursor_destroy(cur);
    store_release(s, c, coll);
    bson_destroy(q);
    bson_destroy(opts);
    return ok;
}

/* The keyed ones one by one: a live task may hold a key by now. */
static int64_t retry_keyed(struct store *s, const char *type, int64_t *key_taken, struct error *err)
{
    bson_t ids = BSON_INITIALIZER;
    int n = 0;
    int64_t done = 0;
    if (!keyed_ids(s, type, &ids, &n, err)) {
        bson_destroy(&ids);
        return -1;
    }
    bson_iter_t it;
    bson_iter_init(&it, &ids);
    while (bson_iter_next(&it)) {
        struct control_outcome out;
        if (!control(s, NULL, bson_iter_value(&it), &out, retry_step, err)) {
            done = -1;
            break;
        }
        done += out.result == CTL_DONE;
        *key_taken += out.result == CTL_KEY_TAKEN;
    }
    bson_destroy(&ids);
    return done;
}

int64_t store_retry_all_dead(struct store *s, const char *type, int64_t *key_taken,
                             struct error *err)
{
    *key_taken = 0;
    int64_t now_ms;
    if (!store_server_time(s, &now_ms, err))
        return -1;
    int64_t a = retry_keyless(s, type, now_ms, err);
    if (a < 0)
        return -1;
    int64_t b = retry_keyed(s, type, key_taken, err);
    return b < 0 ? -1 : a + b;
}
