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

/* The filter's twin in C: true when doc, as read, is runnable at now_ms
 * (types aside). A batch claim checks its candidates with it, since a server
 * may hand out a document changed after it matched. */
bool claim_query_runnable(const bson_t *doc, int64_t now_ms);

/* priority (highest first), then run_at, then _id */
void claim_query_sort(bson_t *sort);

#endif
