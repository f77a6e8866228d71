/* Reading fields of task and host documents for display. */
#ifndef TASKHOST_CLI_DOC_VIEW_H
#define TASKHOST_CLI_DOC_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

/* The string at a dotted path, or NULL (borrowed from doc). */
const char *doc_utf8(const bson_t *doc, const char *path);

/* The date at path into *ms; false when absent or not a date. */
bool doc_date(const bson_t *doc, const char *path, int64_t *ms);

/* The number at path as an integer into *n; false when absent or not a number. */
bool doc_int(const bson_t *doc, const char *path, int64_t *n);

/* The task's _id for people: an ObjectId as 24 hex digits, a string as it is
 * (without quotes; control characters as '?'), a number as a number. */
void doc_render_id(const bson_t *doc, char *buf, size_t len);
void value_render_id(const bson_value_t *v, char *buf, size_t len);

/* The message of the last entry of `errors`, or NULL (borrowed). */
const char *doc_last_error(const bson_t *doc);

/* The value at path as relaxed extended JSON (caller frees with bson_free),
 * or NULL when absent. */
char *doc_json(const bson_t *doc, const char *path);

/* The strings of the array at path joined by ", " into buf (cut to fit);
 * "-" when absent. Returns buf. */
char *doc_join(const bson_t *doc, const char *path, char *buf, size_t len);

/* The host of a task: the lease owner while it runs, else last_host; NULL. */
const char *doc_host(const bson_t *doc);

/* The state for display: the state field, "new" when absent. */
const char *doc_state(const bson_t *doc);

#endif
