/* The numbers behind `taskhost stats`. */
#ifndef TASKHOST_STORE_ADMIN_STATS_H
#define TASKHOST_STORE_ADMIN_STATS_H

#include <stdint.h>

#include "store/admin_query.h"
#include "store/store.h"

/* Called once per (type, state) pair present; state "" = new (no state),
 * type "" when the document has no string type. */
typedef void (*type_state_fn)(const char *type, const char *state, int64_t n, void *arg);

/* Counts the tasks grouped by type and state (one aggregation). */
bool store_count_by_type_state(struct store *s, type_state_fn fn, void *arg, struct error *err);

/* The number of tasks in `state` with finished_at in [from_ms, to_ms), or -1. */
int64_t store_count_finished(struct store *s, const char *state, int64_t from_ms, int64_t to_ms,
                             struct error *err);

/* The waiting (queued or retry) task due longest ago (smallest run_at <=
 * now_ms): 1 and a new document in *doc (caller destroys), 0 if none, -1. */
int store_oldest_waiting(struct store *s, int64_t now_ms, bson_t **doc, struct error *err);

/* Visits the host records by _id. Returns how many, or -1 with err. */
int64_t store_list_hosts(struct store *s, task_visit_fn fn, void *arg, struct error *err);

#endif
