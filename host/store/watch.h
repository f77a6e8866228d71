/*
 * A change stream on the tasks collection that tells an idle host that a
 * task may have become claimable: an insert, a replace, or an update that
 * set `state` to "queued". It carries no task: the claimer still claims
 * through store/claim.h, so a missed or extra event costs a query at most.
 *
 * Only replica sets and sharded clusters offer change streams; a standalone
 * server refuses them and the host keeps polling.
 */
#ifndef TASKHOST_STORE_WATCH_H
#define TASKHOST_STORE_WATCH_H

#include "store/store.h"

struct store_watch;

/* Opens the stream, holding one client of the pool until closed. Returns
 * NULL with err when the server refuses (err names the server's reason) or
 * cannot be reached. Owned by the caller: free with store_watch_close. */
struct store_watch *store_watch_open(struct store *s, struct error *err);

/* Waits up to about a second for an event (on servers that hold a request
 * open; others answer at once). Returns 1 when one arrived, 0 when none
 * did, -1 with err when the stream failed (close it and open a new one
 * later). */
int store_watch_next(struct store_watch *w, struct error *err);

void store_watch_close(struct store_watch *w);

#endif
