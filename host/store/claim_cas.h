/*
 * The second half of a batch claim (store/claim_batch.c): leasing the
 * candidates that are still exactly as they were read. One bulk write of
 * one updateOne per candidate, each matching {_id, state, lease.token,
 * lease.expires_at} as read (absent fields as absent): every claim, renewal
 * and state change alters one of these, so an update matches only a document
 * nobody touched since, it was runnable then and still is, and MongoDB
 * applies each update atomically: two hosts never both win a task, and the
 * pre-image read is exact. Each task gets its own fencing token.
 */
#ifndef TASKHOST_STORE_CLAIM_CAS_H
#define TASKHOST_STORE_CLAIM_CAS_H

#include "store/claim.h"

/* What a candidate looked like when read, beyond its task_doc. */
struct claim_seen {
    bool has_token, has_expires;
    bson_value_t token;   /* owned copy of lease.token when has_token */
    bson_value_t expires; /* owned copy of lease.expires_at when has_expires */
};

/* Fills v from the candidate's document. Free with claim_seen_destroy. */
void claim_seen_read(const bson_t *doc, struct claim_seen *v);
void claim_seen_destroy(struct claim_seen *v, int n);

/*
 * Leases the n candidates out[] (read as seen[]) that are unchanged, giving
 * each its token, expiry and claim time. Keeps those won at the front of
 * out[] (the others are freed) and returns how many, or -1 with e (all are
 * freed: any of them may be leased now; those leases expire).
 */
int claim_cas_lease(mongoc_collection_t *coll, const struct claim_request *req, struct claim *out,
                    const struct claim_seen *seen, int n, bson_error_t *e);

#endif
