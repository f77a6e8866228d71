#include "store/bury.h"

#include <string.h>

#include "store/claim.h"
#include "store/task_doc.h"

static const char *const KNOWN_STATES[] = {TS_QUEUED, TS_RUNNING, TS_RETRY,
                                           TS_DONE,   TS_DEAD,    TS_CANCELLED};
static const char *const FINAL_STATES[] = {TS_DONE, TS_DEAD, TS_CANCELLED};

/* {field: {$not: {$type: type}}} */
static void append_not_type(bson_t *f, const char *field, const char *type)
{
    bson_t sub, not ;
    bson_append_document_begin(f, field, -1, &sub);
    bson_append_document_begin(&sub, "$not", -1, &not );
    BSON_APPEND_UTF8(&not, "$type", type);
    bson_append_document_end(&sub, &not );
    bson_append_document_end(f, &sub);
}

/* {field: {$type: type}} */
static void append_type(bson_t *f, const char *field, const char *type)
{
    bson_t sub;
    bson_append_document_begin(f, field, -1, &sub);
    BSON_APPEND_UTF8(&sub, "$type", type);
    bson_append_document_end(f, &sub);
}

struct pass_types {
    const char *const *types;
    int n;
};

/* Not finished: any state but done, dead, cancelled, or none. */
static void append_unfinished(bson_t *f)
{
    store_append_op(f, TD_STATE, "$nin", FINAL_STATES, 3);
}

enum type_alt { ALT_OURS, ALT_NOT_STRING, ALT_ARRAY };

/* Element i of an $or array: {type: {$in: types}}, {type: {$not: {$type: "string"}}} or
 * {type: {$type: "array"}}. */
static void append_alternative(bson_t *or_array, uint32_t i, enum type_alt what,
                               const struct pass_types *t)
{
    char buf[16];
    const char *k;
    bson_t alt;
    bson_uint32_to_string(i, &k, buf, sizeof buf);
    bson_append_document_begin(or_array, k, -1, &alt);
    if (what == ALT_OURS)
        store_append_op(&alt, TD_TYPE, "$in", t->types, t->n);
    else if (what == ALT_NOT_STRING)
        append_not_type(&alt, TD_TYPE, "string");
    else
        append_type(&alt, TD_TYPE, "array");
    bson_append_document_end(or_array, &alt);
}

/* $or: [type not a string, type an array] (no usable type: an array holding a string matches
 * both `$type: "string"` and the claim's `$in`, though no host can run it), preceded by
 * "type one of ours" when t is not NULL. */
static void append_untyped_or(bson_t *f, const struct pass_types *t)
{
    bson_t alts;
    uint32_t i = 0;
    bson_append_array_begin(f, "$or", -1, &alts);
    if (t != NULL)
        append_alternative(&alts, i++, ALT_OURS, t);
    append_alternative(&alts, i++, ALT_NOT_STRING, NULL);
    append_alternative(&alts, i++, ALT_ARRAY, NULL);
    bson_append_array_end(f, &alts);
}

static void append_error_entry(bson_t *parent, const char *key, const char *host_id, int64_t now_ms,
                               const char *message)
{
    bson_t e;
    bson_append_document_begin(parent, key, -1, &e);
    BSON_APPEND_INT32(&e, "attempt", 0);
    store_append_date(&e, "at", now_ms);
    BSON_APPEND_UTF8(&e, "host", host_id);
    BSON_APPEND_UTF8(&e, "kind", "malformed");
    BSON_APPEND_UTF8(&e, "message", message);
    bson_append_document_end(parent, &e);
}

/* Dead, without a lease, with the error appended to `errors` (or, when replace_errors,
 * `errors` set to an array holding only it: a $push onto a non-array fails). */
static void build_update(bson_t *u, const char *host_id, int64_t now_ms, const char *message,
                         bool replace_errors)
{
    bson_t set, push, arr, cd, unset;
    bson_append_document_begin(u, "$set", -1, &set);
    BSON_APPEND_UTF8(&set, TD_STATE, TS_DEAD);
    if (replace_errors) {
        bson_append_array_begin(&set, TD_ERRORS, -1, &arr);
        append_error_entry(&arr, "0", host_id, now_ms, message);
        bson_append_array_end(&set, &arr);
    }
    bson_append_document_end(u, &set);
    if (!replace_errors) {
        bson_append_document_begin(u, "$push", -1, &push);
        append_error_entry(&push, TD_ERRORS, host_id, now_ms, message);
        bson_append_document_end(u, &push);
    }
    bson_append_document_begin(u, "$unset", -1, &unset);
    BSON_APPEND_UTF8(&unset, TD_LEASE, "");
    bson_append_document_end(u, &unset);
    bson_append_document_begin(u, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, TD_FINISHED_AT, true);
    BSON_APPEND_BOOL(&cd, TD_UPDATED_AT, true);
    bson_append_document_end(u, &cd);
}

struct pass {
    mongoc_collection_t *coll;
    struct pass_types types;
    const char *host_id;
    int64_t now_ms;
    bson_error_t *e;
};

static int64_t bury(const struct pass *p, const bson_t *filter, const char *message,
                    bool replace_errors)
{
    bson_t update = BSON_INITIALIZER, reply;
    build_update(&update, p->host_id, p->now_ms, message, replace_errors);
    int64_t n = -1;
    if (mongoc_collection_update_many(p->coll, filter, &update, NULL, &reply, p->e)) {
        bson_iter_t it;
        n = bson_iter_init_find(&it, &reply, "modifiedCount") ? bson_iter_as_int64(&it) : 0;
    }
    bson_destroy(&reply);
    bson_destroy(&update);
    return n;
}

/* `errors` not an array, in an unfinished task of our types or without a usable type: first,
 * since appending an error to it (here or after a claim) would fail. */
static int64_t bury_bad_errors(const struct pass *p)
{
    bson_t f = BSON_INITIALIZER, sub, not ;
    append_unfinished(&f);
    bson_append_document_begin(&f, TD_ERRORS, -1, &sub);
    BSON_APPEND_BOOL(&sub, "$exists", true);
    bson_append_document_begin(&sub, "$not", -1, &not );
    BSON_APPEND_UTF8(&not, "$type", "array");
    bson_append_document_end(&sub, &not );
    bson_append_document_end(&f, &sub);
    append_untyped_or(&f, &p->types);
    int64_t n = bury(p, &f,
                     "field \"errors\" must be an array (taskhost appends one entry per failed "
                     "attempt to it); the value found was replaced by this entry",
                     true);
    bson_destroy(&f);
    return n;
}

/* No usable type: nobody's type, so no host would ever run it. */
static int64_t bury_untyped(const struct pass *p)
{
    bson_t f = BSON_INITIALIZER;
    append_unfinished(&f);
    append_untyped_or(&f, NULL);
    int64_t n = bury(p, &f,
                     "field \"type\" is missing or not a string; a task needs a string type "
                     "naming the plugin that runs it",
                     false);
    bson_destroy(&f);
    return n;
}

static int64_t bury_unknown_state(const struct pass *p)
{
    bson_t f = BSON_INITIALIZER, st;
    store_append_op(&f, TD_TYPE, "$in", p->types.types, p->types.n);
    bson_append_document_begin(&f, TD_STATE, -1, &st);
    BSON_APPEND_BOOL(&st, "$exists", true);
    store_append_strings(&st, "$nin", KNOWN_STATES, 6);
    bson_append_document_end(&f, &st);
    int64_t r = bury(p, &f,
                     "field \"state\" is not one of queued, running, retry, done, dead, "
                     "cancelled; leave it out when inserting a task",
                     false);
    bson_destroy(&f);
    return r;
}

static int64_t bury_bad_run_at(const struct pass *p)
{
    static const char *const waiting[] = {TS_QUEUED, TS_RETRY};
    bson_t f = BSON_INITIALIZER;
    store_append_op(&f, TD_TYPE, "$in", p->types.types, p->types.n);
    store_append_op(&f, TD_STATE, "$in", waiting, 2);
    append_not_type(&f, TD_RUN_AT, "date");
    int64_t r = bury(p, &f,
                     "field \"run_at\" of a waiting task must be a date (or left out when "
                     "inserting, meaning now)",
                     false);
    bson_destroy(&f);
    return r;
}

/* Running without a lease that expires: no claim would ever take it over. (A claim sets
 * state and lease in one step, so no host holds such a task.) */
static int64_t bury_bad_lease(const struct pass *p)
{
    bson_t f = BSON_INITIALIZER;
    store_append_op(&f, TD_TYPE, "$in", p->types.types, p->types.n);
    BSON_APPEND_UTF8(&f, TD_STATE, TS_RUNNING);
    append_not_type(&f, TD_LEASE_EXPIRES, "date");
    int64_t r = bury(p, &f,
                     "field \"lease\" of a running task must be a document with an expires_at "
                     "date (taskhost writes it when it claims the task); leave state and lease "
                     "out when inserting a task",
                     false);
    bson_destroy(&f);
    return r;
}

int store_bury_malformed(struct store *s, const char *const *types, int n_types,
                         const char *host_id, int64_t now_ms, struct error *err)
{
    static int64_t (*const passes[])(const struct pass *) = {
        bury_bad_errors, bury_untyped, bury_unknown_state, bury_bad_run_at, bury_bad_lease,
    };
    mongoc_client_t *c = store_client(s);
    bson_error_t e;
    struct pass p = {store_tasks(s, c), {types, n_types}, host_id, now_ms, &e};
    int64_t total = 0, n = 0;
    for (size_t i = 0; i < sizeof passes / sizeof passes[0] && n >= 0; i++)
        if ((n = passes[i](&p)) >= 0)
            total += n;
    store_release(s, c, p.coll);
    if (n < 0)
        return store_error(err, &e, "marking malformed tasks dead"), -1;
    return (int)total;
}
