/*
 * Signals for `taskhost run`: SIGTERM and SIGINT ask for a graceful stop; a
 * second one exits at once with 128+signal (leases then expire and other
 * hosts take the tasks over). SIGHUP is logged (reload is not supported yet).
 * SIGPIPE is ignored. A dedicated thread takes the signals with sigwait, so
 * no other thread is ever interrupted.
 */
#ifndef TASKHOST_CLI_SIGNALS_H
#define TASKHOST_CLI_SIGNALS_H

#include <stdbool.h>

/* Blocks the signals in the calling thread (call before any thread starts:
 * threads inherit the mask) and starts the signal thread. */
bool signals_start(void);

/* Waits until a stop is requested; returns the signal's name. */
const char *signals_wait_stop(void);

/* Asks for a stop as a signal would (for start-up loops to poll). */
bool signals_stop_requested(void);

#endif
