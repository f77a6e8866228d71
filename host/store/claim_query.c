#include "store/claim_query.h"

#include <string.h>

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
void claim_query_filter(bson_t *f, const struct claim_request *req)
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
void claim_query_update(bson_t *u, const struct claim_request *req, const bson_oid_t *token,
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

void claim_query_sort(bson_t *sort)
{
    BSON_APPEND_INT32(sort, TD_PRIORITY, -1);
    BSON_APPEND_INT32(sort, TD_RUN_AT, 1);
    BSON_APPEND_INT32(sort, TD_ID, 1);
}

/* The date at path: 1 when it is one and <= limit_ms (< when strict), 0 when
 * it is a later date, -1 when absent, -2 when not a date. */
static int date_before(const bson_t *doc, const char *path, int64_t limit_ms, bool strict)
{
    bson_iter_t it, found;
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &found))
        return -1;
    if (!BSON_ITER_HOLDS_DATE_TIME(&found))
        return -2;
    int64_t ms = bson_iter_date_time(&found);
    return strict ? ms < limit_ms : ms <= limit_ms;
}

bool claim_query_runnable(const bson_t *doc, int64_t now_ms)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, TD_STATE)) /* new: no run_at, a past one, or not a date */
        return date_before(doc, TD_RUN_AT, now_ms, false) != 0;
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return false;
    const char *state = bson_iter_utf8(&it, NULL);
    if (strcmp(state, TS_QUEUED) == 0 || strcmp(state, TS_RETRY) == 0)
        return date_before(doc, TD_RUN_AT, now_ms, false) == 1;
    if (strcmp(state, TS_RUNNING) == 0)
        return date_before(doc, TD_LEASE_EXPIRES, now_ms, true) == 1;
    return false;
}
