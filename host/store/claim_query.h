/*
 * The parts of a claim shared by the single claim (store/claim.c) and the
 * batch claim (store/claim_batch.c): which documents are runnable, the update
 * that leases one, and the order in which they are taken.
 */
#ifndef TASKHOST_STORE_CLAIM_QUERY_H
#define TASKHOST_STORE_CLAIM_QUERY_H

#include "store/claim.h"

/* { type: {$in: [...]}, $or: [ waiting and due | new | running with an expired lease ] } */
void claim_query_filter(bson_t *f, const struct claim_request *req);

/* {$set: {state: running, lease: {owner, token, expires_at}}, $currentDate: {claimed_at,
 * updated_at}} */
void claim_query_update(bson_t *u, const struct claim_request *req, const bson_oid_t *token,
                        int64_t expires_ms);

/* priority (highest first), then run_at, then _id */
void claim_query_sort(bson_t *sort);

#endif
