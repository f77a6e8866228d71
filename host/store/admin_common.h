/*
 * What the operator commands' queries share (store/admin_*.c): the fields
 * they add to the task document, the server's clock, and finding a task by
 * the ID an operator typed.
 *
 * Unique keys: a live task (new, queued, running, retry) may hold a string
 * `unique_key`; a unique sparse index (th_unique, store/indexes.c) lets only
 * one document hold a given key. A task that reaches a final state (done,
 * dead, cancelled) gives its key up by renaming the field to `finished_key`
 * in the same write ($rename), so a new task may take the key again; a retry
 * renames it back (and fails if a live task holds the key by then).
 */
#ifndef TASKHOST_STORE_ADMIN_COMMON_H
#define TASKHOST_STORE_ADMIN_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "store/task_doc.h"

/* Fields of the task document that store/task_doc.h does not name (yet). */
#ifndef TD_UNIQUE_KEY
#define TD_UNIQUE_KEY "unique_key"
#endif
#ifndef TD_LAST_HOST
#define TD_LAST_HOST "last_host"
#endif
#ifndef TD_FINISHED_KEY
#define TD_FINISHED_KEY "finished_key"
#endif

/* The pseudo-state of a document without `state` (inserted by hand). */
#define TS_NEW "new"

/* MongoDB's duplicate key error. */
#define ADMIN_DUPLICATE_KEY 11000

/* The longest unique key accepted. */
#define ADMIN_UNIQUE_KEY_MAX 512

/* The server's current time (isMaster's localTime), in ms since the epoch. */
bool store_server_time(struct store *s, int64_t *now_ms, struct error *err);

/* True for new (""), queued, retry; and for states that are final. */
bool admin_state_waiting(const char *state);
bool admin_state_final(const char *state);

/* True when name is one of the states, or "new". */
bool admin_state_known(const char *name);

/*
 * Appends {<field>: {$in: [...]}} matching the _id an operator typed: 24 hex
 * digits match that ObjectId or that string; an integer matches that number
 * (of any numeric type) or that string; text between double quotes matches
 * exactly that string; anything else matches that string.
 */
void admin_append_id_match(bson_t *filter, const char *field, const char *text);

/*
 * Finds the task whose _id is `text` (as above). Returns 1 and a new document
 * in *doc (caller destroys), 0 when there is none, -1 with err on failure or
 * when the text matches more than one task (ERR_INPUT).
 */
int store_admin_get(struct store *s, const char *text, bson_t **doc, struct error *err);

/* The state field of doc ("" when absent or not a string; static or doc-owned). */
const char *admin_doc_state(const bson_t *doc);

/* True when the driver error is MongoDB's duplicate key error. */
bool admin_error_is_duplicate(const bson_error_t *e);

#endif
