#include "store/admin_query.h"

#include <string.h>

#include "store/admin_common.h"
#include "store/task_doc.h"

static void append_states(bson_t *q, const struct task_filter *f)
{
    bson_t sub, arr;
    bson_append_document_begin(q, TD_STATE, -1, &sub);
    bson_append_array_begin(&sub, "$in", -1, &arr);
    for (int i = 0; i < f->n_states; i++) {
        char buf[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        if (strcmp(f->states[i], TS_NEW) == 0)
            bson_append_null(&arr, k, -1); /* null matches a missing field */
        else
            bson_append_utf8(&arr, k, -1, f->states[i], -1);
    }
    bson_append_array_end(&sub, &arr);
    bson_append_document_end(q, &sub);
}

void task_filter_append(bson_t *query, const struct task_filter *f)
{
    if (f->n_states > 0)
        append_states(query, f);
    if (f->type)
        BSON_APPEND_UTF8(query, TD_TYPE, f->type);
    if (f->host)
        BSON_APPEND_UTF8(query, TD_LEASE_OWNER, f->host);
}

int64_t store_list_tasks(struct store *s, const struct task_filter *f, int64_t limit,
                         task_visit_fn fn, void *arg, struct error *err)
{
    bson_t query = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
    task_filter_append(&query, f);
    bson_append_document_begin(&opts, "sort", -1, &sort);
    BSON_APPEND_INT32(&sort, TD_CREATED_AT, -1);
    BSON_APPEND_INT32(&sort, TD_ID, -1);
    bson_append_document_end(&opts, &sort);
    if (limit > 0)
        BSON_APPEND_INT64(&opts, "limit", limit);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &query, &opts, NULL);
    const bson_t *doc;
    int64_t n = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        n++;
        if (!fn(doc, arg))
            break;
    }
    bson_error_t e;
    if (mongoc_cursor_error(cur, &e)) {
        n = -1;
        store_error(err, &e, "listing tasks");
    }
    mongoc_cursor_destroy(cur);
    store_release(s, c, coll);
    bson_destroy(&query);
    bson_destroy(&opts);
    return n;
}

int64_t store_count_tasks(struct store *s, const struct task_filter *f, struct error *err)
{
    bson_t query = BSON_INITIALIZER;
    task_filter_append(&query, f);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    int64_t n = mongoc_collection_count_documents(coll, &query, NULL, NULL, NULL, &e);
    if (n < 0)
        store_error(err, &e, "counting tasks");
    store_release(s, c, coll);
    bson_destroy(&query);
    return n;
}
