/*
 * Burying malformed documents that the claim can never run: a task without a
 * usable `type` (missing, not a string, or an array: nobody's type, so no host
 * would ever run it), a task of our types in a state taskhost does not know,
 * waiting without a valid `run_at`, running without a lease that expires, or
 * unfinished with an `errors` field that is not an array (replaced, since no
 * error could be appended to it). Each is marked dead, without a lease, with
 * an error of kind "malformed" that names the field, so it is visible to
 * operators instead of waiting (or being claimed) forever. Documents of types
 * no host handles are never touched. (Malformed documents the claim does match
 * are buried after the claim, see sched/attempt.c.)
 */
#ifndef TASKHOST_STORE_BURY_H
#define TASKHOST_STORE_BURY_H

#include <stdint.h>

#include "store/store.h"

/* Returns how many documents were buried, or -1 with err. */
int store_bury_malformed(struct store *s, const char *const *types, int n_types,
                         const char *host_id, int64_t now_ms, struct error *err);

#endif
