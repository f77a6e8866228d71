/*
 * Putting tasks in: one or many new task documents, inserted in unordered bulk
 * writes (an upsert on a fresh ObjectId each, so that the server's clock
 * stamps created_at, updated_at and an immediate run_at with $currentDate).
 *
 * A new document: {_id, type, payload, state: "queued", priority, attempts: 0,
 * run_at, created_at, updated_at, [max_retries], [unique_key]}.
 */
#ifndef TASKHOST_STORE_ADMIN_ENQUEUE_H
#define TASKHOST_STORE_ADMIN_ENQUEUE_H

#include <stdint.h>

#include "store/store.h"

/* The most tasks store_enqueue takes at once (MongoDB's write batch size). */
#define ENQUEUE_BATCH_MAX 1000

enum enqueue_when {
    ENQ_NOW = 0, /* run_at = the server's current date */
    ENQ_DELAY,   /* run_at = the server's time + when_ms */
    ENQ_AT,      /* run_at = when_ms (ms since the epoch) */
};

enum enqueue_outcome {
    ENQ_PENDING = 0,
    ENQ_INSERTED,  /* inserted as `id` */
    ENQ_DUPLICATE, /* a live task holds its unique key: nothing inserted */
    ENQ_REJECTED,  /* the server refused it: reject_msg says why */
};

struct enqueue_task {
    char *type;      /* owned (malloc) */
    bson_t *payload; /* owned; NULL means {} */
    int priority;
    enum enqueue_when when;
    int64_t when_ms;
    int max_retries;  /* -1: not set (the host's default applies) */
    char *unique_key; /* owned (malloc) or NULL */
    int line;         /* where it was read (0: the command line), for messages */

    /* filled by store_enqueue */
    bson_oid_t id;
    enum enqueue_outcome outcome;
    char reject_msg[256];
};

/* Frees what the task owns and zeroes it. */
void enqueue_task_clear(struct enqueue_task *t);

/*
 * Inserts tasks[0..n), n <= ENQUEUE_BATCH_MAX, in one unordered bulk write
 * and sets each task's outcome. Returns false with err when the write as a
 * whole failed (ERR_DB_DOWN: unreachable; which of the tasks were inserted is
 * then unknown and their outcomes stay ENQ_PENDING).
 */
bool store_enqueue(struct store *s, struct enqueue_task *tasks, int n, struct error *err);

/*
 * Finds the live task that holds unique key `key`: returns 1 and its _id in
 * *id (caller destroys with bson_value_destroy), 0 when none holds it (any
 * more), -1 with err.
 */
int store_find_key_holder(struct store *s, const char *key, bson_value_t *id, struct error *err);

/*
 * Frees the unique keys (of keys[0..n)) still held by tasks in a final state:
 * renames their unique_key to finished_key. The host does this when a task
 * finishes; this catches tasks finished by older hosts or by hand. Returns how
 * many tasks gave a key up, or -1 with err.
 */
int64_t store_release_finished_keys(struct store *s, const char *const *keys, int n,
                                    struct error *err);

#endif
