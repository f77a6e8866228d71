/* A progress bar on stderr, drawn only when stderr is a terminal. */
#ifndef TASKHOST_CLI_PROGRESS_H
#define TASKHOST_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
    bool on; /* stderr is a terminal */
    bool drawn;
    const char *what;
    int64_t total;
};

void progress_start(struct progress *p, const char *what, int64_t total);

/* Redraws the bar at done of total. */
void progress_update(struct progress *p, int64_t done);

/* Clears the bar's line (before other output or at the end). */
void progress_end(struct progress *p);

#endif
