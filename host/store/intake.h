/*
 * Intake: gives tasks inserted by hand (only `type` and `payload`, from
 * mongosh, pymongo, the Node driver) the fields the host's claim order needs:
 * state queued, priority 0, attempts 0, run_at and created_at = now (server
 * time). Fields the producer did set are kept. Such tasks are claimable
 * before intake too; intake makes their order and the stats right.
 */
#ifndef TASKHOST_STORE_INTAKE_H
#define TASKHOST_STORE_INTAKE_H

#include "store/store.h"

/* Normalises new tasks of the given types. Returns how many were taken in,
 * or -1 with err. Costs one query when there is nothing to do. */
int store_intake(struct store *s, const char *const *types, int n_types, struct error *err);

#endif
