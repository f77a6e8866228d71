/*
 * The watcher thread (mongodb.change_streams = "auto"): follows a change
 * stream on the tasks collection (store/watch.h) and wakes the claimer when a
 * task may have become claimable, so an idle host starts a new task within
 * milliseconds instead of at its next poll. Where the server offers no change
 * streams it says so once and retries now and then; polling never stops.
 */
#ifndef TASKHOST_SCHED_WATCHER_H
#define TASKHOST_SCHED_WATCHER_H

/* The thread's body; arg is the struct sched. Returns when the phase leaves
 * SCHED_RUNNING. */
void *watcher_main(void *arg);

#endif
