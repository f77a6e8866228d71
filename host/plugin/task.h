/*
 * th_task: one attempt of one task as a plugin sees it. Created by the
 * scheduler when a claim succeeds, handed to the plugin's run(), read back by
 * the worker when run() returns. The host api functions (plugin/host_api.c)
 * work on it.
 *
 * Threads: the worker thread that runs the plugin owns the task; the
 * heartbeat thread reads progress and sets `cancel` (under mu / atomically).
 */
#ifndef TASKHOST_PLUGIN_TASK_H
#define TASKHOST_PLUGIN_TASK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <bson/bson.h>
#include <taskhost/plugin.h>

#define TASK_FAIL_MSG_MAX 1001
#define TASK_NOTE_MAX     256
#define TASK_RESULT_MAX   (1024 * 1024) /* bytes of BSON a result may take */

struct th_task {
    /* identity, set before run() and constant during it */
    bson_value_t id;  /* the document's _id (owned copy) */
    char id_str[128]; /* rendered for logs and the api */
    char *type;       /* owned */
    int attempt;      /* 1-based */
    int max_retries;
    bson_t payload; /* owned copy; empty document when absent */

    /* written by the plugin thread, read by the worker after run() */
    char *payload_json; /* rendered on first request (owned) */
    bson_t *result;     /* NULL or owned */
    char fail_msg[TASK_FAIL_MSG_MAX];

    /* shared with the heartbeat thread */
    _Atomic int cancel;  /* a th_cancel_reason */
    pthread_mutex_t mu;  /* guards the fields below and the condition */
    pthread_cond_t cond; /* signalled when cancel is set */
    double progress;     /* < 0: unknown */
    char note[TASK_NOTE_MAX];
    bool progress_dirty; /* set by heartbeat(), cleared when recorded */
};

/*
 * Initialises a task attempt (copies id, type and payload). Free with
 * task_destroy. id may be NULL (rendered "(no id)"), payload may be NULL (an
 * empty document).
 */
void task_init(struct th_task *t, const bson_value_t *id, const char *type, int attempt,
               int max_retries, const bson_t *payload);
void task_destroy(struct th_task *t);

/* Sets the cancel reason (first reason wins) and wakes sleep_ms. */
void task_cancel(struct th_task *t, th_cancel_reason reason);

/* Takes the pending progress update, if any: returns true and fills the
 * outputs when heartbeat() was called since the last take. */
bool task_take_progress(struct th_task *t, double *progress, char *note, size_t note_len);

/* Renders a BSON value as a short string for logs: an ObjectId as 24 hex
 * digits, a string between quotes (control characters and quotes as '?',
 * "..." when cut), an integer as a number, anything else as relaxed
 * extended JSON. Always NUL-terminates buf when len > 0. */
void task_render_id(const bson_value_t *id, char *buf, size_t len);

#endif
