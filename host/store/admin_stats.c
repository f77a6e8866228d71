#include "store/admin_stats.h"

#include <string.h>

#include "store/claim.h"
#include "store/task_doc.h"

static bson_t *group_pipeline(void)
{
    return BCON_NEW("pipeline", "[", "{", "$group", "{", "_id", "{", "type", BCON_UTF8("$type"),
                    "state", BCON_UTF8("$state"), "}", "n", "{", "$sum", BCON_INT32(1), "}", "}",
                    "}", "]");
}

static const char *utf8_in(const bson_t *doc, const char *path)
{
    bson_iter_t it, sub;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &sub) &&
        BSON_ITER_HOLDS_UTF8(&sub))
        return bson_iter_utf8(&sub, NULL);
    return "";
}

bool store_count_by_type_state(struct store *s, type_state_fn fn, void *arg, struct error *err)
{
    bson_t *pipeline = group_pipeline();
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    mongoc_cursor_t *cur =
        mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipeline, NULL, NULL);
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        int64_t n = bson_iter_init_find(&it, doc, "n") ? bson_iter_as_int64(&it) : 0;
        fn(utf8_in(doc, "_id.type"), utf8_in(doc, "_id.state"), n, arg);
    }
    bson_error_t e;
    bool ok = !mongoc_cursor_error(cur, &e);
    if (!ok)
        store_error(err, &e, "counting tasks by type and state");
    mongoc_cursor_destroy(cur);
    store_release(s, c, coll);
    bson_destroy(pipeline);
    return ok;
}

int64_t store_count_finished(struct store *s, const char *state, int64_t from_ms, int64_t to_ms,
                             struct error *err)
{
    bson_t q = BSON_INITIALIZER, range;
    BSON_APPEND_UTF8(&q, TD_STATE, state);
    bson_append_document_begin(&q, TD_FINISHED_AT, -1, &range);
    store_append_date(&range, "$gte", from_ms);
    store_append_date(&range, "$lt", to_ms);
    bson_append_document_end(&q, &range);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    int64_t n = mongoc_collection_count_documents(coll, &q, NULL, NULL, NULL, &e);
    if (n < 0)
        store_error(err, &e, "counting finished tasks");
    store_release(s, c, coll);
    bson_destroy(&q);
    return n;
}

int store_oldest_waiting(struct store *s, int64_t now_ms, bson_t **doc, struct error *err)
{
    bson_t *q = BCON_NEW(TD_STATE, "{", "$in", "[", BCON_UTF8(TS_QUEUED), BCON_UTF8(TS_RETRY), "]",
                         "}", TD_RUN_AT, "{", "$lte", BCON_DATE_TIME(now_ms), "}");
    bson_t *opts = BCON_NEW("sort", "{", TD_RUN_AT, BCON_INT32(1), "}", "limit", BCON_INT64(1));
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, q, opts, NULL);
    const bson_t *d;
    int rc = 0;
    *doc = NULL;
    if (mongoc_cursor_next(cur, &d)) {
        *doc = bson_copy(d);
        rc = 1;
    }
    bson_error_t e;
    if (mongoc_cursor_error(cur, &e)) {
        rc = -1;
        store_error(err, &e, "finding the oldest waiting task");
        if (*doc)
            bson_destroy(*doc);
        *doc = NULL;
    }
    mongoc_cursor_destroy(cur);
    store_release(s, c, coll);
    bson_destroy(q);
    bson_destroy(opts);
    return rc;
}

int64_t store_list_hosts(struct store *s, task_visit_fn fn, void *arg, struct error *err)
{
    bson_t q = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_hosts(s, c);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &q, opts, NULL);
    const bson_t *d;
    int64_t n = 0;
    while (mongoc_cursor_next(cur, &d)) {
        n++;
        if (!fn(d, arg))
            break;
    }
    bson_error_t e;
    if (mongoc_cursor_error(cur, &e)) {
        n = -1;
        store_error(err, &e, "listing the hosts");
    }
    mongoc_cursor_destroy(cur);
    store_release(s, c, coll);
    bson_destroy(&q);
    bson_destroy(opts);
    return n;
}
