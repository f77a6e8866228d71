/*
 * Signals for `taskhost run`: SIGTERM and SIGINT ask for a graceful stop; a
 * second one exits at once with 128+signal (leases then expire and other
 * hosts take the tasks over). SIGHUP asks for a reload of the plugins.
 * SIGPIPE is ignored. A dedicated thread takes the signals with sigwait, so
 * no other thread is ever interrupted.
 */
#ifndef TASKHOST_CLI_SIGNALS_H
#define TASKHOST_CLI_SIGNALS_H

#include <stdbool.h>

/* Blocks the signals in the calling thread (call first thing: threads
 * inherit the mask, and a signal that arrives before signals_start waits
 * for it instead of killing the process). */
bool signals_block(void);

/* Starts the thread that takes the blocked signals. */
bool signals_start(void);

enum signal_event { SIGNAL_NONE = 0, SIGNAL_STOP, SIGNAL_RELOAD };

/* Waits up to timeout_ms for a stop or a reload request. A stop stays
 * requested (it is returned again); a reload is returned once. */
enum signal_event signals_wait(int timeout_ms);

/* The name of the signal that asked to stop. */
const char *signals_stop_name(void);

/* Asks for a stop as a signal would (for start-up loops to poll). */
bool signals_stop_requested(void);

#endif
