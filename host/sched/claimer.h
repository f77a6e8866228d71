/*
 * The claimer thread: claims a task whenever a slot of its type is free,
 * without sleeping while work is waiting; polls with backoff (10 ms doubling
 * up to host.poll_interval_ms) when there is none; backs off while the server
 * is unreachable. Also runs intake (store/intake.h) once per poll interval.
 */
#ifndef TASKHOST_SCHED_CLAIMER_H
#define TASKHOST_SCHED_CLAIMER_H

/* The thread's body; arg is the struct sched. Returns when the phase leaves
 * SCHED_RUNNING. */
void *claimer_main(void *arg);

#endif
