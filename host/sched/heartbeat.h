/*
 * The heartbeat thread: every host.heartbeat_ms it
 *  - updates the host record (and with it the server clock estimate),
 *  - extends the lease of every task in flight in one write; a task whose
 *    lease is gone is cancelled (TH_CANCEL_LEASE_LOST), and so is one whose
 *    lease ran out by the server clock while the server could not be reached,
 *  - records progress reported through api->heartbeat,
 *  - cancels tasks that outlived their type's timeout (TH_CANCEL_TIMEOUT)
 *    and reports plugins that ignore the cancellation.
 */
#ifndef TASKHOST_SCHED_HEARTBEAT_H
#define TASKHOST_SCHED_HEARTBEAT_H

struct sched;

/* The thread's body; arg is the struct sched. Returns when the phase reaches
 * SCHED_ABANDONED. */
void *heartbeat_main(void *arg);

/* One round (also used at start-up to sync the clock). */
void heartbeat_round(struct sched *s);

#endif
