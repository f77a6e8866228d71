/*
 * Lease renewal (the heartbeat's writes): extends the leases of the tasks a
 * host runs, and records their progress. Both are fenced by the lease token.
 */
#ifndef TASKHOST_STORE_LEASE_H
#define TASKHOST_STORE_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

enum lease_state {
    LEASE_LOST = 0,            /* another host may own the task now */
    LEASE_ALIVE = 1,           /* extended */
    LEASE_CANCEL_REQUESTED = 2 /* still ours, but an operator asked to cancel it */
};

/*
 * Sets lease.expires_at = expires_ms on every task holding one of the n
 * tokens, in one write, and fills states[i] for token i. Returns the number
 * still held (alive or cancel requested), or -1 with err.
 */
int store_renew(struct store *s, const bson_oid_t *tokens, int n, int64_t expires_ms,
                enum lease_state *states, struct error *err);

/* Records progress (fraction < 0: unknown) and a note (may be NULL) on the
 * task held by token. Returns 1, 0 when the lease was lost, -1 with err. */
int store_progress(struct store *s, const bson_oid_t *token, double fraction, const char *note,
                   struct error *err);

#endif
