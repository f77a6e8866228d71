#include <string.h>

#include "store/claim.h"
#include "store/claim_pick.h"
#include "store/claim_query.h"

/* What one candidate looked like when it was read: the fields that change
 * on every claim and every state change. */
struct seen_doc {
    bool has_token;
    bson_value_t token; /* owned copy of lease.token when has_token */
};

static void seen_destroy(struct seen_doc *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i].has_token)
            bson_value_destroy(&v[i].token);
}

static bool decode_candidate(const bson_t *doc, struct claim *c, struct seen_doc *v)
{
    memset(c, 0, sizeof *c);
    memset(v, 0, sizeof *v);
    if (!task_doc_decode(doc, &c->doc))
        return false;
    bson_iter_t it;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, TD_LEASE_TOKEN, &it)) {
        bson_value_copy(bson_iter_value(&it), &v->token);
        v->has_token = true;
    }
    c->rescued = strcmp(c->doc.state, TS_RUNNING) == 0;
    return true;
}

/* Decodes the chosen candidates into out/seen; returns how many could be. */
static int take_chosen(bson_t **docs, const int *chosen, int n, struct claim *out,
                       struct seen_doc *seen)
{
    int got = 0;
    for (int i = 0; i < n; i++)
        if (decode_candidate(docs[chosen[i]], &out[got], &seen[got]))
            got++;
    return got;
}

/* Reads a window of runnable documents, best first, and takes up to max of
 * them (store/claim_pick.h). Returns how many, -1 on error. */
static int read_candidates(mongoc_collection_t *coll, const struct claim_request *req, int max,
                           struct claim *out, struct seen_doc *seen, bson_error_t *e)
{
    int window = req->rng != NULL ? 4 * max : max;
    if (window > CLAIM_WINDOW_MAX)
        window = CLAIM_WINDOW_MAX;
    bson_t *docs[CLAIM_WINDOW_MAX];
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort;
    claim_query_filter(&filter, req);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    claim_query_sort(&sort);
    bson_append_document_end(&opts, &sort);
    BSON_APPEND_INT64(&opts, "limit", window);
    BSON_APPEND_INT64(&opts, "batchSize", window);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
    const bson_t *doc;
    int n = 0;
    while (n < window && mongoc_cursor_next(cur, &doc))
        docs[n++] = bson_copy(doc);
    bool failed = mongoc_cursor_error(cur, e);
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    bson_destroy(&opts);
    int got = -1;
    if (!failed) {
        int chosen[CLAIM_BATCH_MAX];
        uint64_t first = 0; /* without rng: a fixed seed, and max == window anyway */
        int k =
            claim_pick((const bson_t *const *)docs, n, max, req->rng ? req->rng : &first, chosen);
        got = take_chosen(docs, chosen, k, out, seen);
    }
    for (int i = 0; i < n; i++)
        bson_destroy(docs[i]);
    return got;
}

/* {_id: X, state: S (or absent), lease.token: T (or absent)} */
static void append_unchanged(bson_t *arr, const char *key, const struct claim *c,
                             const struct seen_doc *v)
{
    bson_t b, sub;
    bson_append_document_begin(arr, key, -1, &b);
    BSON_APPEND_VALUE(&b, TD_ID, &c->doc.id);
    if (c->doc.state[0] != '\0') {
        BSON_APPEND_UTF8(&b, TD_STATE, c->doc.state);
    } else {
        BSON_APPEND_DOCUMENT_BEGIN(&b, TD_STATE, &sub);
        BSON_APPEND_BOOL(&sub, "$exists", false);
        bson_append_document_end(&b, &sub);
    }
    if (v->has_token) {
        BSON_APPEND_VALUE(&b, TD_LEASE_TOKEN, &v->token);
    } else {
        BSON_APPEND_DOCUMENT_BEGIN(&b, TD_LEASE_TOKEN, &sub);
        BSON_APPEND_BOOL(&sub, "$exists", false);
        bson_append_document_end(&b, &sub);
    }
    bson_append_document_end(arr, &b);
}

/* {_id: {$in: [the candidates' ids]}} */
static void append_ids(bson_t *filter, const struct claim *c, int n)
{
    bson_t in, ids;
    BSON_APPEND_DOCUMENT_BEGIN(filter, TD_ID, &in);
    BSON_APPEND_ARRAY_BEGIN(&in, "$in", &ids);
    for (int i = 0; i < n; i++) {
        char buf[16];
        const char *key;
        bson_uint32_to_string((uint32_t)i, &key, buf, sizeof buf);
        BSON_APPEND_VALUE(&ids, key, &c[i].doc.id);
    }
    bson_append_array_end(&in, &ids);
    bson_append_document_end(filter, &in);
}

/* Leases the candidates that are still runnable and unchanged. Returns how
 * many documents the update matched, -1 on error. The _id list duplicates
 * the alternatives' _ids so that the server looks them up by index. */
static int64_t lease_unchanged(mongoc_collection_t *coll, const struct claim_request *req,
                               const struct claim *c, const struct seen_doc *v, int n,
                               const bson_oid_t *token, int64_t expires_ms, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, all, one, alts, reply;
    append_ids(&filter, c, n);
    claim_query_filter(&filter, req);
    BSON_APPEND_ARRAY_BEGIN(&filter, "$and", &all);
    BSON_APPEND_DOCUMENT_BEGIN(&all, "0", &one);
    BSON_APPEND_ARRAY_BEGIN(&one, "$or", &alts);
    for (int i = 0; i < n; i++) {
        char buf[16];
        const char *key;
        bson_uint32_to_string((uint32_t)i, &key, buf, sizeof buf);
        append_unchanged(&alts, key, &c[i], &v[i]);
    }
    bson_append_array_end(&one, &alts);
    bson_append_document_end(&all, &one);
    bson_append_array_end(&filter, &all);
    claim_query_update(&update, req, token, expires_ms);
    bool ok = mongoc_collection_update_many(coll, &filter, &update, NULL, &reply, e);
    bson_iter_t it;
    int64_t matched = -1;
    if (ok)
        matched = bson_iter_init_find(&it, &reply, "matchedCount") ? bson_iter_as_int64(&it) : 0;
    bson_destroy(&reply);
    bson_destroy(&filter);
    bson_destroy(&update);
    return matched;
}

static bool same_value(const bson_value_t *a, const bson_value_t *b)
{
    if (a->value_type != b->value_type)
        return false;
    bson_t da = BSON_INITIALIZER, db = BSON_INITIALIZER;
    BSON_APPEND_VALUE(&da, "v", a);
    BSON_APPEND_VALUE(&db, "v", b);
    bool same = bson_equal(&da, &db);
    bson_destroy(&da);
    bson_destroy(&db);
    return same;
}

/* Marks in won[] which candidates now carry `token`. */
static bool find_won(mongoc_collection_t *coll, const struct claim *c, int n,
                     const bson_oid_t *token, bool *won, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
    append_ids(&filter, c, n);
    BSON_APPEND_OID(&filter, TD_LEASE_TOKEN, token);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
    BSON_APPEND_INT32(&proj, TD_ID, 1);
    bson_append_document_end(&opts, &proj);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        if (!bson_iter_init_find(&it, doc, TD_ID))
            continue;
        for (int i = 0; i < n; i++)
            if (!won[i] && same_value(bson_iter_value(&it), &c[i].doc.id)) {
                won[i] = true;
                break;
            }
    }
    bool failed = mongoc_cursor_error(cur, e);
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return !failed;
}

/* Keeps the candidates in won[] (moved to the front), frees the others.
 * Returns how many were kept. */
static int keep_won(struct claim *c, const bool *won, int n)
{
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (!won[i]) {
            claim_destroy(&c[i]);
            continue;
        }
        if (kept != i)
            c[kept] = c[i];
        kept++;
    }
    return kept;
}

/* Leases what it can of the n candidates; returns how many it kept. */
static int lease_candidates(mongoc_collection_t *coll, const struct claim_request *req,
                            struct claim *out, const struct seen_doc *seen, int n, bson_error_t *e)
{
    bson_oid_t token;
    bson_oid_init(&token, NULL);
    int64_t expires_ms = req->now_ms + req->lease_ms;
    int64_t matched = lease_unchanged(coll, req, out, seen, n, &token, expires_ms, e);
    bool won[CLAIM_BATCH_MAX] = {false};
    if (matched >= n) {
        for (int i = 0; i < n; i++)
            won[i] = true;
    } else if (matched > 0 && !find_won(coll, out, n, &token, won, e)) {
        matched = -1;
    }
    if (matched < 0) { /* any of them may be leased now: their leases will expire */
        for (int i = 0; i < n; i++)
            claim_destroy(&out[i]);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        out[i].token = token;
        out[i].lease_expires_ms = expires_ms;
        out[i].claimed_ms = req->now_ms;
    }
    return keep_won(out, won, n);
}

int store_claim_batch(struct store *s, const struct claim_request *req, int max, struct claim *out,
                      int *seen_n, struct error *err)
{
    if (max > CLAIM_BATCH_MAX)
        max = CLAIM_BATCH_MAX;
    struct seen_doc seen[CLAIM_BATCH_MAX];
    bson_error_t e;
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    int n = read_candidates(coll, req, max, out, seen, &e);
    *seen_n = n < 0 ? 0 : n;
    int got = n;
    if (n > 0) {
        got = lease_candidates(coll, req, out, seen, n, &e);
        seen_destroy(seen, n);
    }
    store_release(s, c, coll);
    if (got < 0)
        store_error(err, &e, "claiming tasks");
    return got;
}
