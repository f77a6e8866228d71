#include <string.h>

#include "store/claim.h"
#include "store/claim_pick.h"
#include "store/claim_cas.h"
#include "store/claim_query.h"

static bool decode_candidate(const bson_t *doc, struct claim *c, struct claim_seen *v)
{
    memset(c, 0, sizeof *c);
    if (!task_doc_decode(doc, &c->doc))
        return false;
    claim_seen_read(doc, v);
    c->rescued = strcmp(c->doc.state, TS_RUNNING) == 0;
    return true;
}

/* Decodes the chosen candidates that are runnable as read into out/seen;
 * returns how many. */
static int take_chosen(bson_t **docs, const int *chosen, int n, int64_t now_ms, struct claim *out,
                       struct claim_seen *seen)
{
    int got = 0;
    for (int i = 0; i < n; i++)
        if (claim_query_runnable(docs[chosen[i]], now_ms) &&
            decode_candidate(docs[chosen[i]], &out[got], &seen[got]))
            got++;
    return got;
}

/* Reads a window of runnable documents, best first, and takes up to max of
 * them (store/claim_pick.h). Returns how many, -1 on error. */
static int read_candidates(mongoc_collection_t *coll, const struct claim_request *req, int max,
                           struct claim *out, struct claim_seen *seen, bson_error_t *e)
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
        got = take_chosen(docs, chosen, k, req->now_ms, out, seen);
    }
    for (int i = 0; i < n; i++)
        bson_destroy(docs[i]);
    return got;
}

int store_claim_batch(struct store *s, const struct claim_request *req, int max, struct claim *out,
                      int *seen_n, struct error *err)
{
    if (max > CLAIM_BATCH_MAX)
        max = CLAIM_BATCH_MAX;
    struct claim_seen seen[CLAIM_BATCH_MAX];
    bson_error_t e;
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    int n = read_candidates(coll, req, max, out, seen, &e);
    *seen_n = n < 0 ? 0 : n;
    int got = n;
    if (n > 0) {
        got = claim_cas_lease(coll, req, out, seen, n, &e);
        claim_seen_destroy(seen, n);
    }
    store_release(s, c, coll);
    if (got < 0)
        store_error(err, &e, "claiming tasks");
    return got;
}
