/*
 * Burying malformed documents that the claim can never match: a task
 * without a string `type` (nobody's type, so no claim would ever look at it),
 * a task of our types in a state taskhost does not know, or waiting without a
 * valid `run_at`. Each is marked dead with an error of kind "malformed" that
 * names the field, so it is visible to operators instead of waiting forever.
 * (Malformed documents the claim does match are buried after the claim, see
 * sched/attempt.c.)
 */
#ifndef TASKHOST_STORE_BURY_H
#define TASKHOST_STORE_BURY_H

#include <stdint.h>

#include "store/store.h"

/* Returns how many documents were buried, or -1 with err. */
int store_bury_malformed(struct store *s, const char *const *types, int n_types,
                         const char *host_id, int64_t now_ms, struct error *err);

#endif
