#include "store/lease.h"

#include <stdlib.h>
#include <string.h>

#include "store/claim.h"
#include "store/task_doc.h"

static void append_token_filter(bson_t *f, const bson_oid_t *tokens, int n)
{
    bson_t sub, arr;
    bson_append_document_begin(f, TD_LEASE_TOKEN, -1, &sub);
    bson_append_array_begin(&sub, "$in", -1, &arr);
    for (int i = 0; i < n; i++) {
        char key[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
        bson_append_oid(&arr, k, -1, &tokens[i]);
    }
    bson_append_array_end(&sub, &arr);
    bson_append_document_end(f, &sub);
}

/* Fills states[] from the tasks still holding the tokens. */
static int find_alive(mongoc_collection_t *coll, const bson_oid_t *tokens, int n,
                      enum lease_state *states, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
    append_token_filter(&filter, tokens, n);
    bson_append_document_begin(&opts, "projection", -1, &proj);
    BSON_APPEND_INT32(&proj, TD_LEASE_TOKEN, 1);
    BSON_APPEND_INT32(&proj, TD_CANCEL_REQUESTED, 1);
    bson_append_document_end(&opts, &proj);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
    const bson_t *doc;
    int count = 0;
    for (int i = 0; i < n; i++)
        states[i] = LEASE_LOST;
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it, tok;
        if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, TD_LEASE_TOKEN, &tok) ||
            !BSON_ITER_HOLDS_OID(&tok))
            continue;
        bool cancel = bson_iter_init_find(&it, doc, TD_CANCEL_REQUESTED) && bson_iter_as_bool(&it);
        for (int i = 0; i < n; i++) {
            if (states[i] == LEASE_LOST && bson_oid_equal(&tokens[i], bson_iter_oid(&tok))) {
                states[i] = cancel ? LEASE_CANCEL_REQUESTED : LEASE_ALIVE;
                count++;
            }
        }
    }
    bool failed = mongoc_cursor_error(cur, e);
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return failed ? -1 : count;
}

/* Extends the leases of the tasks an operator cancelled too: they stay ours
 * until their plugin has stopped and the cancellation is recorded. */
static bool extend_cancelled(mongoc_collection_t *coll, const bson_oid_t *tokens, int n,
                             const enum lease_state *states, int64_t expires_ms, bson_error_t *e)
{
    bson_oid_t *mine = malloc(sizeof *mine * (size_t)n);
    int m = 0;
    for (int i = 0; mine && i < n; i++)
        if (states[i] == LEASE_CANCEL_REQUESTED)
            bson_oid_copy(&tokens[i], &mine[m++]);
    bool ok = true;
    if (mine && m > 0) {
        bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
        append_token_filter(&filter, mine, m);
        bson_append_document_begin(&update, "$set", -1, &set);
        store_append_date(&set, TD_LEASE_EXPIRES, expires_ms);
        bson_append_document_end(&update, &set);
        ok = mongoc_collection_update_many(coll, &filter, &update, NULL, NULL, e);
        bson_destroy(&filter);
        bson_destroy(&update);
    }
    free(mine);
    return ok;
}

int store_renew(struct store *s, const bson_oid_t *tokens, int n, int64_t expires_ms,
                enum lease_state *states, struct error *err)
{
    if (n == 0)
        return 0;
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, reply, ne;
    append_token_filter(&filter, tokens, n);
    /* A task an operator cancelled is not renewed here: it shows up as not
     * matched, and find_alive tells it from a lost one. */
    bson_append_document_begin(&filter, TD_CANCEL_REQUESTED, -1, &ne);
    BSON_APPEND_BOOL(&ne, "$ne", true);
    bson_append_document_end(&filter, &ne);
    bson_append_document_begin(&update, "$set", -1, &set);
    store_append_date(&set, TD_LEASE_EXPIRES, expires_ms);
    bson_append_document_end(&update, &set);

    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    int alive_n = -1;
    if (mongoc_collection_update_many(coll, &filter, &update, NULL, &reply, &e)) {
        bson_iter_t it;
        int64_t matched =
            bson_iter_init_find(&it, &reply, "matchedCount") ? bson_iter_as_int64(&it) : 0;
        if (matched == n) {
            for (int i = 0; i < n; i++)
                states[i] = LEASE_ALIVE;
            alive_n = n;
        } else {
            alive_n = find_alive(coll, tokens, n, states, &e);
            if (alive_n > 0 && !extend_cancelled(coll, tokens, n, states, expires_ms, &e))
                alive_n = -1;
        }
    }
    if (alive_n < 0)
        store_error(err, &e, "renewing leases");
    store_release(s, c, coll);
    bson_destroy(&reply);
    bson_destroy(&filter);
    bson_destroy(&update);
    return alive_n;
}

int store_progress(struct store *s, const bson_oid_t *token, double fraction, const char *note,
                   struct error *err)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, p, reply;
    BSON_APPEND_OID(&filter, TD_LEASE_TOKEN, token);
    bson_append_document_begin(&update, "$set", -1, &set);
    bson_append_document_begin(&set, TD_PROGRESS, -1, &p);
    if (fraction >= 0)
        BSON_APPEND_DOUBLE(&p, "fraction", fraction);
    if (note && note[0])
        BSON_APPEND_UTF8(&p, "note", note);
    bson_append_document_end(&set, &p);
    bson_append_document_end(&update, &set);

    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    bson_error_t e;
    int rc = -1;
    if (mongoc_collection_update_one(coll, &filter, &update, NULL, &reply, &e)) {
        bson_iter_t it;
        rc = bson_iter_init_find(&it, &reply, "matchedCount") && bson_iter_as_int64(&it) > 0;
    } else {
        store_error(err, &e, "recording progress");
    }
    store_release(s, c, coll);
    bson_destroy(&reply);
    bson_destroy(&filter);
    bson_destroy(&update);
    return rc;
}
