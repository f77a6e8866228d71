/*
 * Operators changing tasks: cancel, retry, retry all dead of a type. Each
 * change is one conditional update on the task's _id and the state it was
 * read in, so a task that moves on meanwhile (a host claims or finishes it)
 * is read again and judged anew instead of being overwritten.
 *
 * cancel: a waiting task (new, queued, retry) becomes cancelled (finished_at
 *   set, unique key freed); a running task gets cancel_requested: true (its
 *   host tells the plugin through the cancellation check and records the
 *   outcome); a finished task is left alone.
 * retry: a dead or cancelled task becomes queued again: run_at now, attempts
 *   and host_deaths 0; finished_at, lease, cancel_requested and progress
 *   removed; errors and result kept (the attempt numbers of later errors start
 *   at 1 again); {at, from_state} appended to operator_retries; its unique key
 *   taken back (refused when a live task holds it by now).
 */
#ifndef TASKHOST_STORE_ADMIN_CONTROL_H
#define TASKHOST_STORE_ADMIN_CONTROL_H

#include <stdint.h>

#include "store/store.h"

enum control_result {
    CTL_DONE,        /* cancelled, or queued again */
    CTL_REQUESTED,   /* cancel: the task runs; cancel_requested set */
    CTL_NOT_FOUND,   /* no task has that ID */
    CTL_WRONG_STATE, /* the task's state does not allow it: see state */
    CTL_KEY_TAKEN,   /* retry: a live task (holder) holds the unique key */
};

struct control_outcome {
    enum control_result result;
    char id_str[128]; /* the task's _id, rendered */
    char state[16];   /* its state when last read ("" = new) */
    char owner[201];  /* CTL_REQUESTED: the host running it */
    char holder[128]; /* CTL_KEY_TAKEN: the live task holding the key */
};

/* Returns false with err only when the database fails. */
bool store_cancel(struct store *s, const char *id_text, struct control_outcome *out,
                  struct error *err);
bool store_retry(struct store *s, const char *id_text, struct control_outcome *out,
                 struct error *err);

/*
 * Queues every dead task of `type` again (as store_retry). Returns how many,
 * or -1 with err; *key_taken counts those left dead because a live task holds
 * their unique key.
 */
int64_t store_retry_all_dead(struct store *s, const char *type, int64_t *key_taken,
                             struct error *err);

#endif
