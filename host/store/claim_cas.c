#include "store/claim_cas.h"

#include <string.h>

#include "store/claim_query.h"

static bool copy_field(const bson_t *doc, const char *path, bson_value_t *out)
{
    bson_iter_t it, found;
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &found))
        return false;
    bson_value_copy(bson_iter_value(&found), out);
    return true;
}

void claim_seen_read(const bson_t *doc, struct claim_seen *v)
{
    memset(v, 0, sizeof *v);
    v->has_token = copy_field(doc, TD_LEASE_TOKEN, &v->token);
    v->has_expires = copy_field(doc, TD_LEASE_EXPIRES, &v->expires);
}

void claim_seen_destroy(struct claim_seen *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (v[i].has_token)
            bson_value_destroy(&v[i].token);
        if (v[i].has_expires)
            bson_value_destroy(&v[i].expires);
    }
}

/* {key: value} or {key: {$exists: false}} */
static void append_as_read(bson_t *b, const char *key, bool has, const bson_value_t *value)
{
    if (has) {
        BSON_APPEND_VALUE(b, key, value);
        return;
    }
    bson_t sub;
    BSON_APPEND_DOCUMENT_BEGIN(b, key, &sub);
    BSON_APPEND_BOOL(&sub, "$exists", false);
    bson_append_document_end(b, &sub);
}

/* {_id: X, state: S, lease.token: T, lease.expires_at: E}, as read */
static void build_unchanged(bson_t *f, const struct claim *c, const struct claim_seen *v)
{
    BSON_APPEND_VALUE(f, TD_ID, &c->doc.id);
    bson_value_t state = {.value_type = BSON_TYPE_UTF8};
    state.value.v_utf8.str = (char *)(uintptr_t)c->doc.state;
    state.value.v_utf8.len = (uint32_t)strlen(c->doc.state);
    append_as_read(f, TD_STATE, c->doc.state[0] != '\0', &state);
    append_as_read(f, TD_LEASE_TOKEN, v->has_token, &v->token);
    append_as_read(f, TD_LEASE_EXPIRES, v->has_expires, &v->expires);
}

/* One bulk write; returns how many updates matched, -1 on error. */
static int64_t lease_unchanged(mongoc_collection_t *coll, const struct claim_request *req,
                               const struct claim *c, const struct claim_seen *v, int n,
                               const bson_oid_t *tokens, int64_t expires_ms, bson_error_t *e)
{
    bson_t opts = BSON_INITIALIZER, reply;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &opts);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER;
        build_unchanged(&filter, &c[i], &v[i]);

        claim_query_update(&update, req, &tokens[i], expires_ms);
        ok = mongoc_bulk_operation_update_one_with_opts(bulk, &filter, &update, NULL, e);
        bson_destroy(&filter);
        bson_destroy(&update);
    }
    int64_t matched = -1;
    if (ok && mongoc_bulk_operation_execute(bulk, &reply, e) != 0) {
        bson_iter_t it;
        matched = bson_iter_init_find(&it, &reply, "nMatched") ? bson_iter_as_int64(&it) : 0;
    }
    if (ok)
        bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(&opts);
    return matched;
}

/* Marks in won[] the candidates that now carry the token given to them. */
static bool find_won(mongoc_collection_t *coll, const struct claim *c, int n,
                     const bson_oid_t *tokens, bool *won, bson_error_t *e)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, in, ids, proj;
    BSON_APPEND_DOCUMENT_BEGIN(&filter, TD_ID, &in);
    BSON_APPEND_ARRAY_BEGIN(&in, "$in", &ids);
    for (int i = 0; i < n; i++) {
        char buf[16];
        const char *key;
        bson_uint32_to_string((uint32_t)i, &key, buf, sizeof buf);
        BSON_APPEND_VALUE(&ids, key, &c[i].doc.id);
    }
    bson_append_array_end(&in, &ids);
    bson_append_document_end(&filter, &in);
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
    BSON_APPEND_INT32(&proj, TD_LEASE_TOKEN, 1);
    bson_append_document_end(&opts, &proj);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it, tok;
        if (!bson_iter_init_find(&it, doc, TD_ID))
            continue;
        bson_iter_t root;
        bool has_token = bson_iter_init(&root, doc) &&
                         bson_iter_find_descendant(&root, TD_LEASE_TOKEN, &tok) &&
                         BSON_ITER_HOLDS_OID(&tok);
        for (int i = 0; has_token && i < n; i++)
            if (store_same_value(bson_iter_value(&it), &c[i].doc.id)) {
                won[i] = bson_oid_equal(bson_iter_oid(&tok), &tokens[i]);
                break;
            }
    }
    bool failed = mongoc_cursor_error(cur, e);
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return !failed;
}

/* Keeps the candidates in won[] (moved to the front), frees the others. */
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

int claim_cas_lease(mongoc_collection_t *coll, const struct claim_request *req, struct claim *out,
                    const struct claim_seen *seen, int n, bson_error_t *e)
{
    bson_oid_t tokens[CLAIM_BATCH_MAX];
    for (int i = 0; i < n; i++)
        bson_oid_init(&tokens[i], NULL);
    int64_t expires_ms = req->now_ms + req->lease_ms;
    int64_t matched = lease_unchanged(coll, req, out, seen, n, tokens, expires_ms, e);
    bool won[CLAIM_BATCH_MAX] = {false};
    if (matched >= n) {
        for (int i = 0; i < n; i++)
            won[i] = true;
    } else if (matched > 0 && !find_won(coll, out, n, tokens, won, e)) {
        matched = -1;
    }
    if (matched < 0) {
        for (int i = 0; i < n; i++)
            claim_destroy(&out[i]);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        out[i].token = tokens[i];
        out[i].lease_expires_ms = expires_ms;
        out[i].claimed_ms = req->now_ms;
    }
    return keep_won(out, won, n);
}
