#include "store/host_record.h"

#include "base/clock.h"
#include "store/claim.h"

static void build_update(bson_t *u, const struct host_info *h)
{
    bson_t set, cd;
    bson_append_document_begin(u, "$set", -1, &set);
    BSON_APPEND_UTF8(&set, "hostname", h->hostname);
    BSON_APPEND_INT32(&set, "pid", h->pid);
    BSON_APPEND_UTF8(&set, "version", h->version);
    store_append_strings(&set, "types", h->types, h->n_types);
    BSON_APPEND_INT32(&set, "max_concurrency", h->max_concurrency);
    BSON_APPEND_INT32(&set, "running", h->running);
    BSON_APPEND_INT64(&set, "heartbeat_ms", h->heartbeat_ms);
    BSON_APPEND_UTF8(&set, "state", h->state);
    store_append_date(&set, "started_at", h->started_at_ms);
    bson_append_document_end(u, &set);
    bson_append_document_begin(u, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, "seen_at", true);
    bson_append_document_end(u, &cd);
}

static void observe_clock(const bson_t *reply, int64_t sent, int64_t recv)
{
    bson_iter_t it, seen;
    if (bson_iter_init(&it, reply) && bson_iter_find_descendant(&it, "value.seen_at", &seen) &&
        BSON_ITER_HOLDS_DATE_TIME(&seen))
        server_clock_observe(bson_iter_date_time(&seen), sent, recv);
}

bool store_host_beat(struct store *s, const struct host_info *h, struct error *err)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, reply;
    BSON_APPEND_UTF8(&filter, "_id", h->host_id);
    build_update(&update, h);
    mongoc_find_and_modify_opts_t *opts = mongoc_find_and_modify_opts_new();
    mongoc_find_and_modify_opts_set_update(opts, &update);
    mongoc_find_and_modify_opts_set_flags(opts, MONGOC_FIND_AND_MODIFY_UPSERT |
                                                    MONGOC_FIND_AND_MODIFY_RETURN_NEW);

    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_hosts(s, c);
    bson_error_t e;
    int64_t sent = clock_mono_ms();
    bool ok = mongoc_collection_find_and_modify_with_opts(coll, &filter, opts, &reply, &e);
    int64_t recv = clock_mono_ms();
    store_release(s, c, coll);
    if (ok)
        observe_clock(&reply, sent, recv);
    else
        store_error(err, &e, "updating this host's record");
    bson_destroy(&reply);
    mongoc_find_and_modify_opts_destroy(opts);
    bson_destroy(&filter);
    bson_destroy(&update);
    return ok;
}

bool store_host_stopped(struct store *s, const char *host_id, struct error *err)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, cd;
    BSON_APPEND_UTF8(&filter, "_id", host_id);
    bson_append_document_begin(&update, "$set", -1, &set);
    BSON_APPEND_UTF8(&set, "state", "stopped");
    BSON_APPEND_INT32(&set, "running", 0);
    bson_append_document_end(&update, &set);
    bson_append_document_begin(&update, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, "seen_at", true);
    bson_append_document_end(&update, &cd);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_hosts(s, c);
    bson_error_t e;
    bool ok = mongoc_collection_update_one(coll, &filter, &update, NULL, NULL, &e);
    store_release(s, c, coll);
    if (!ok)
        store_error(err, &e, "marking this host stopped");
    bson_destroy(&filter);
    bson_destroy(&update);
    return ok;
}
