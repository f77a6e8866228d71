/* Deleting finished tasks for good. */
#ifndef TASKHOST_STORE_ADMIN_PURGE_H
#define TASKHOST_STORE_ADMIN_PURGE_H

#include <stdint.h>

#include "store/store.h"

/*
 * Deletes (or only counts, when dry_run) the tasks in one of states[0..n)
 * (each done, dead or cancelled) whose finished_at is before before_ms, of
 * `type` when not NULL. Returns how many, or -1 with err.
 */
int64_t store_purge(struct store *s, const char *const *states, int n, const char *type,
                    int64_t before_ms, bool dry_run, struct error *err);

#endif
