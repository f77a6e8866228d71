/*
 * Fenced writes: every write that changes a claimed task matches on its _id
 * AND its lease token. When another host has taken the task since (our lease
 * expired), the write matches nothing and changes nothing: the caller logs
 * that and drops what it had.
 */
#ifndef TASKHOST_STORE_FINISH_H
#define TASKHOST_STORE_FINISH_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

enum finish_kind {
    FINISH_DONE,      /* state done, result recorded */
    FINISH_RETRY,     /* state retry, run again at run_at_ms; error recorded */
    FINISH_DEAD,      /* state dead; error recorded */
    FINISH_RELEASE,   /* state queued again, attempt not counted (shutdown) */
    FINISH_CANCELLED, /* state cancelled (an operator asked) */
    FINISH_PROGRESS   /* not a finish: records attempts/host_deaths/error, keeps the lease */
};

struct finish {
    enum finish_kind kind;
    int attempts;         /* the new count of finished attempts (-1: unchanged) */
    int host_deaths;      /* the new count (-1: unchanged) */
    const bson_t *result; /* FINISH_DONE, may be NULL */
    /* The error entry appended to `errors` (NULL message: none). */
    const char *error_kind; /* "failed", "permanent", "timeout", "lease_expired", ... */
    const char *error_message;
    int error_attempt; /* which attempt failed */
    const char *host_id;
    int64_t run_at_ms; /* FINISH_RETRY / FINISH_RELEASE: server time */
    int64_t now_ms;    /* server time estimate, for the error's `at` */
    /* A task inserted by hand and claimed before intake: the fields intake
     * would have set (created_at, from this value when not 0; priority 0). */
    int64_t created_at_ms;
    bool set_priority;
    /* `errors` is not an array: replace it with a list holding the new
     * entry (appending to it would fail). */
    bool replace_errors;
};

/* Returns 1 when recorded, 0 when the lease was lost (nothing changed), -1
 * with err when the server failed (ERR_DB_DOWN: retry later). */
int store_finish(struct store *s, const bson_value_t *id, const bson_oid_t *token,
                 const struct finish *f, struct error *err);

#endif
