/* Reading tasks for operators: filtered lists and counts. */
#ifndef TASKHOST_STORE_ADMIN_QUERY_H
#define TASKHOST_STORE_ADMIN_QUERY_H

#include <stdint.h>

#include "store/store.h"

#define TASK_FILTER_STATES_MAX 8

/* Which tasks; unset members (NULL, 0) do not filter. */
struct task_filter {
    const char *states[TASK_FILTER_STATES_MAX]; /* "new" = without a state */
    int n_states;
    const char *type;
    const char *host; /* the lease owner */
};

/* Appends the filter's conditions to a query document. */
void task_filter_append(bson_t *query, const struct task_filter *f);

/* Called with each document; return false to stop. */
typedef bool (*task_visit_fn)(const bson_t *doc, void *arg);

/*
 * Visits the matching tasks newest first (created_at, then _id, descending),
 * at most `limit` (0: all). Returns how many were visited, or -1 with err.
 */
int64_t store_list_tasks(struct store *s, const struct task_filter *f, int64_t limit,
                         task_visit_fn fn, void *arg, struct error *err);

/* The number of matching tasks, or -1 with err. */
int64_t store_count_tasks(struct store *s, const struct task_filter *f, struct error *err);

#endif
