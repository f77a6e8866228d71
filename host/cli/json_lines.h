/*
 * Tasks as JSON: one task per line for `enqueue -f`, and the payload of
 * `enqueue -p`. Every error names the line and column and says what is wrong.
 * Pure functions (no I/O), unit-tested.
 *
 * A line: {"type": "resize",            required, 1 to 200 bytes
 *          "payload": {...},            optional object (extended JSON allowed)
 *          "priority": 5,               optional whole number, +-1e9
 *          "delay_ms": 30000,           optional, or
 *          "run_at": "2026-12-01T10:00:00Z",   (not both)
 *          "max_retries": 3,            optional, 1 to 1000
 *          "unique_key": "resize:42"}   optional string, 1 to 512 bytes
 * null counts as absent. Blank lines are skipped by the reader.
 */
#ifndef TASKHOST_CLI_JSON_LINES_H
#define TASKHOST_CLI_JSON_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "store/admin_enqueue.h"

struct line_error {
    int line, column; /* 1-based */
    char msg[320];
};

/*
 * Parses one line (text[0..len), without its newline) into *t (cleared
 * first; free with enqueue_task_clear). line_no goes into t->line and into
 * errors. Returns false with *e; *t is then empty.
 */
bool json_line_parse(const char *text, size_t len, int line_no, struct enqueue_task *t,
                     struct line_error *e);

/* Parses a payload that must be a JSON object into a new document (caller
 * destroys). Returns NULL with *e. */
bson_t *json_payload_parse(const char *text, struct line_error *e);

/* True when the line holds only white space. */
bool json_line_blank(const char *text, size_t len);

#endif
