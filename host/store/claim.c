#include "store/claim.h"

#include <string.h>

#include "store/claim_query.h"

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
    claim_query_filter(&filter, req);
    claim_query_update(&update, req, &out->token, out->lease_expires_ms);
    claim_query_sort(&sort);

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
