#include "store/admin_purge.h"

#include "store/claim.h"
#include "store/task_doc.h"

static void build_filter(bson_t *f, const char *const *states, int n, const char *type,
                         int64_t before_ms)
{
    bson_t sub, arr;
    bson_append_document_begin(f, TD_STATE, -1, &sub);
    bson_append_array_begin(&sub, "$in", -1, &arr);
    for (int i = 0; i < n; i++) {
        char buf[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        bson_append_utf8(&arr, k, -1, states[i], -1);
    }
    bson_append_array_end(&sub, &arr);
    bson_append_document_end(f, &sub);
    bson_append_document_begin(f, TD_FINISHED_AT, -1, &sub);
    store_append_date(&sub, "$lt", before_ms);
    bson_append_document_end(f, &sub);
    if (type)
        BSON_APPEND_UTF8(f, TD_TYPE, type);
}

int64_t store_purge(struct store *s, const char *const *states, int n, const char *type,
                    int64_t before_ms, bool dry_run, struct error *err)
{
    bson_t filter = BSON_INITIALIZER, reply = BSON_INITIALIZER;
    build_filter(&filter, states, n, type, before_ms);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    int64_t count = -1;
    if (dry_run) {
        count = mongoc_collection_count_documents(coll, &filter, NULL, NULL, NULL, &e);
    } else {
        bson_destroy(&reply);
        if (mongoc_collection_delete_many(coll, &filter, NULL, &reply, &e)) {
            bson_iter_t it;
            count = bson_iter_init_find(&it, &reply, "deletedCount") ? bson_iter_as_int64(&it) : 0;
        }
    }
    if (count < 0)
        store_error(err, &e, dry_run ? "counting finished tasks" : "deleting finished tasks");
    store_release(s, c, coll);
    bson_destroy(&reply);
    bson_destroy(&filter);
    return count;
}
