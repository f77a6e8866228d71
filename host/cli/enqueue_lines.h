/*
 * `taskhost enqueue -f FILE|-`: many tasks from JSON lines (cli/json_lines.h).
 * First every line is checked (before connecting): with any bad line nothing
 * is inserted (unless skip_bad), and the first errors are listed with their
 * line and column. Then the lines are read again (stdin is kept in a
 * temporary file meanwhile) and inserted in unordered bulk writes of
 * ENQUEUE_BATCH_MAX, with a progress bar on stderr when it is a terminal, and
 * a final count on stdout.
 */
#ifndef TASKHOST_CLI_ENQUEUE_LINES_H
#define TASKHOST_CLI_ENQUEUE_LINES_H

#include <stdbool.h>

#include "cli/cli_db.h"

struct lines_job {
    const char *path; /* "-" for stdin */
    bool skip_bad;
};

/* Runs the job; returns the exit status (after printing what happened). */
int enqueue_lines(const struct cli_db_opts *o, const struct lines_job *job);

#endif
