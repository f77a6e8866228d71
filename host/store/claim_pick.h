/*
 * Which of the candidates read by a batch claim it takes. Candidates come
 * best first (priority, run_at, _id), and hosts claiming at the same moment
 * read the same ones: if each took the first k, all but one would lose the
 * race and have to claim again. So a batch takes every candidate whose
 * priority is above the k-th's, and fills the rest at random among the
 * candidates that share the k-th's priority. Higher priorities still go
 * first; among equals, hosts spread over the window they read.
 */
#ifndef TASKHOST_STORE_CLAIM_PICK_H
#define TASKHOST_STORE_CLAIM_PICK_H

#include <stdint.h>

#include <bson/bson.h>

/*
 * docs: n candidates, best first; k: how many to take. Writes the indices
 * taken, ascending, to chosen (room for k) and returns how many: min(k, n).
 * rng: the caller's state for base/rand.h.
 */
int claim_pick(const bson_t *const *docs, int n, int k, uint64_t *rng, int *chosen);

#endif
