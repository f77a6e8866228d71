/*
 * Claiming: one findAndModify that picks the best runnable task of the given
 * types and sets this host's lease on it in the same atomic step.
 *
 * Runnable: queued or retry with run_at <= now; new (no state yet, inserted
 * by hand); or running with an expired lease (its host died, paused or was
 * cut off: a rescue). Order: priority (highest first), then run_at, then _id.
 * "now" is the server's time as estimated by base/clock.h.
 */
#ifndef TASKHOST_STORE_CLAIM_H
#define TASKHOST_STORE_CLAIM_H

#include <stdint.h>

#include "store/store.h"
#include "store/task_doc.h"

struct claim_request {
    const char *const *types; /* the types this host has a free slot for */
    int n_types;
    const char *host_id;
    int64_t now_ms;   /* estimated server time */
    int64_t lease_ms; /* lease duration */
};

struct claim {
    struct task_doc doc;      /* the document as it was before the claim */
    bson_oid_t token;         /* this lease's fencing token */
    int64_t lease_expires_ms; /* server time */
    int64_t claimed_ms;       /* server time of the claim (estimated) */
    bool rescued;             /* the previous holder's lease had expired */
};

/*
 * Returns 1 and fills *out (free with claim_destroy) when a task was claimed,
 * 0 when none is runnable, -1 with err on failure. A claimed document that
 * cannot be decoded at all (no _id) cannot happen: the filter requires a
 * string type and MongoDB requires an _id.
 */
int store_claim(struct store *s, const struct claim_request *req, struct claim *out,
                struct error *err);

void claim_destroy(struct claim *c);

/* Appends a date field from server-time milliseconds. */
void store_append_date(bson_t *b, const char *key, int64_t ms);

/* Appends an array of n strings under key. */
void store_append_strings(bson_t *b, const char *key, const char *const *v, int n);

/* Appends {field: {op: [strings]}}, e.g. {type: {$in: [...]}}. */
void store_append_op(bson_t *b, const char *field, const char *op, const char *const *v, int n);

#endif
