#include "store/claim.h"

#include <string.h>

void store_append_date(bson_t *b, const char *key, int64_t ms)
{
    bson_append_date_time(b, key, -1, ms);
}

void store_append_strings(bson_t *b, const char *key, const char *const *v, int n)
{
    bson_t arr;
    bson_append_array_begin(b, key, -1, &arr);
    for (int i = 0; i < n; i++) {
        char buf[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        bson_append_utf8(&arr, k, -1, v[i], -1);
    }
    bson_append_array_end(b, &arr);
}

void store_append_op(bson_t *b, const char *field, const char *op, const char *const *v, int n)
{
    bson_t sub;
    bson_append_document_begin(b, field, -1, &sub);
    store_append_strings(&sub, op, v, n);
    bson_append_document_end(b, &sub);
}

static void append_types(bson_t *filter, const struct claim_request *req)
{
    store_append_op(filter, TD_TYPE, "$in", req->types, req->n_types);
    /* $in also matches an array holding one of the types; such a document
     * has no usable type (intake marks it dead), so it is not claimed. */
    bson_t sub;
    bson_append_document_begin(filter, "type.0", -1, &sub);
    BSON_APPEND_BOOL(&sub, "$exists", false);
    bson_append_document_end(filter, &sub);
}

/* A new task (no state yet) is due when its producer gave no run_at, or a
 * past one. A run_at that is not a date does not hold it back: it is claimed
 * and then marked dead as malformed. */
static void append_new_task_due(bson_t *b, int64_t now_ms)
{
    bson_t alts, c, sub, not_date;
    bson_append_array_begin(b, "$or", -1, &alts);
    bson_append_document_begin(&alts, "0", -1, &c);
    bson_append_document_begin(&c, TD_RUN_AT, -1, &sub);
    BSON_APPEND_BOOL(&sub, "$exists", false);
    bson_append_document_end(&c, &sub);
    bson_append_document_end(&alts, &c);
    bson_append_document_begin(&alts, "1", -1, &c);
    bson_append_document_begin(&c, TD_RUN_AT, -1, &sub);
    store_append_date(&sub, "$lte", now_ms);
    bson_append_document_end(&c, &sub);
    bson_append_document_end(&alts, &c);
    bson_append_document_begin(&alts, "2", -1, &c);
    bson_append_document_begin(&c, TD_RUN_AT, -1, &sub);
    bson_append_document_begin(&sub, "$not", -1, &not_date);
    BSON_APPEND_UTF8(&not_date, "$type", "date");
    bson_append_document_end(&sub, &not_date);
    bson_append_document_end(&c, &sub);
    bson_append_document_end(&alts, &c);
    bson_append_array_end(b, &alts);
}

/* { type: {$in: [...]}, $or: [ waiting and due | new | running with an expired lease ] } */
static void build_filter(bson_t *f, const struct claim_request *req)
{
    bson_t alts, b, sub, arr;
    append_types(f, req);
    bson_append_array_begin(f, "$or", -1, &alts);

    bson_append_document_begin(&alts, "0", -1, &b);
    bson_append_document_begin(&b, TD_STATE, -1, &sub);
    bson_append_array_begin(&sub, "$in", -1, &arr);
    bson_append_utf8(&arr, "0", -1, TS_QUEUED, -1);
    bson_append_utf8(&arr, "1", -1, TS_RETRY, -1);
    bson_append_array_end(&sub, &arr);
    bson_append_document_end(&b, &sub);
    bson_append_document_begin(&b, TD_RUN_AT, -1, &sub);
    store_append_date(&sub, "$lte", req->now_ms);
    bson_append_document_end(&b, &sub);
    bson_append_document_end(&alts, &b);

    bson_append_document_begin(&alts, "1", -1, &b);
    BSON_APPEND_UTF8(&b, TD_STATE, TS_RUNNING);
    bson_append_document_begin(&b, TD_LEASE_EXPIRES, -1, &sub);
    store_append_date(&sub, "$lt", req->now_ms);
    bson_append_document_end(&b, &sub);
    bson_append_document_end(&alts, &b);

    bson_append_document_begin(&alts, "2", -1, &b);
    bson_append_document_begin(&b, TD_STATE, -1, &sub);
    BSON_APPEND_BOOL(&sub, "$exists", false);
    bson_append_document_end(&b, &sub);
    append_new_task_due(&b, req->now_ms);
    bson_append_document_end(&alts, &b);

    bson_append_array_end(f, &alts);
}

/* Only whole top-level fields are $set, so a document with malformed fields
 * can still be claimed (and then marked dead with a clear error). */
static void build_update(bson_t *u, const struct claim_request *req, const bson_oid_t *token,
                         int64_t expires_ms)
{
    bson_t set, lease, cd;
    bson_append_document_begin(u, "$set", -1, &set);
    BSON_APPEND_UTF8(&set, TD_STATE, TS_RUNNING);
    bson_append_document_begin(&set, TD_LEASE, -1, &lease);
    BSON_APPEND_UTF8(&lease, "owner", req->host_id);
    BSON_APPEND_OID(&lease, "token", token);
    store_append_date(&lease, "expires_at", expires_ms);
    bson_append_document_end(&set, &lease);
    bson_append_document_end(u, &set);
    bson_append_document_begin(u, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, TD_CLAIMED_AT, true);
    BSON_APPEND_BOOL(&cd, TD_UPDATED_AT, true);
    bson_append_document_end(u, &cd);
}

static int take_reply(const bson_t *reply, struct claim *out)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, reply, "value") || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return 0;
    uint32_t len;
    const uint8_t *data;
    bson_iter_document(&it, &len, &data);
    bson_t doc;
    if (!bson_init_static(&doc, data, len) || !task_doc_decode(&doc, &out->doc))
        return 0;
    out->rescued = strcmp(out->doc.state, TS_RUNNING) == 0;
    return 1;
}

int store_claim(struct store *s, const struct claim_request *req, struct claim *out,
                struct error *err)
{
    memset(out, 0, sizeof *out);
    bson_oid_init(&out->token, NULL);
    out->lease_expires_ms = req->now_ms + req->lease_ms;
    out->claimed_ms = req->now_ms;

    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, sort = BSON_INITIALIZER;
    build_filter(&filter, req);
    build_update(&update, req, &out->token, out->lease_expires_ms);
    BSON_APPEND_INT32(&sort, TD_PRIORITY, -1);
    BSON_APPEND_INT32(&sort, TD_RUN_AT, 1);
    BSON_APPEND_INT32(&sort, TD_ID, 1);

    mongoc_find_and_modify_opts_t *opts = mongoc_find_and_modify_opts_new();
    mongoc_find_and_modify_opts_set_sort(opts, &sort);
    mongoc_find_and_modify_opts_set_update(opts, &update);
    mongoc_find_and_modify_opts_set_flags(opts, MONGOC_FIND_AND_MODIFY_NONE);

    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_t reply;
    bson_error_t e;
    bool ok = mongoc_collection_find_and_modify_with_opts(coll, &filter, opts, &reply, &e);
    store_release(s, c, coll);
    int rc = ok ? take_reply(&reply, out) : -1;
    if (!ok)
        store_error(err, &e, "claiming a task");
    bson_destroy(&reply);
    mongoc_find_and_modify_opts_destroy(opts);
    bson_destroy(&filter);
    bson_destroy(&update);
    bson_destroy(&sort);
    return rc;
}

void claim_destroy(struct claim *c)
{
    task_doc_destroy(&c->doc);
}
