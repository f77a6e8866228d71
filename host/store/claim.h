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

#include "store/query.h"
#include "store/store.h"
#include "store/task_doc.h"

struct claim_request {
    const char *const *types; /* the types this host has a free slot for */
    int n_types;
    const char *host_id;
    int64_t now_ms;   /* estimated server time */
    int64_t lease_ms; /* lease duration */
    uint64_t *rng;    /* batch claims: spreads hosts over equal candidates (NULL: the first) */
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

/*
 * Claims up to `max` tasks in two round trips (three when another host took
 * some of them at the same moment): the best runnable documents are read
 * (store/claim_pick.h chooses among them), then leased by one bulk write
 * whose updates match only documents unchanged since they were read
 * (store/claim_cas.h), so two hosts never hold the same task and each
 * claim's pre-image is exact. Every task gets its own fencing token.
 *
 * Fills out[0..n-1] (free each with claim_destroy) and returns n, 0 when none
 * was claimed, -1 with err on failure. *seen receives how many runnable
 * tasks were read: seen > 0 with nothing claimed means other hosts were
 * faster, and it is worth claiming again at once.
 */
/* The most tasks one batch claim takes, and the most candidates it reads
 * (store/claim_pick.h). */
#define CLAIM_BATCH_MAX  64
#define CLAIM_WINDOW_MAX 128

int store_claim_batch(struct store *s, const struct claim_request *req, int max, struct claim *out,
                      int *seen, struct error *err);

void claim_destroy(struct claim *c);

#endif
