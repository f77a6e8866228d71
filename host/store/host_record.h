/*
 * The host's liveness record in the hosts collection: who runs, where, what
 * it can take and how busy it is, with the server's time of the last beat.
 * Each beat also measures the offset between this host's monotonic clock and
 * the server's clock (base/clock.h).
 */
#ifndef TASKHOST_STORE_HOST_RECORD_H
#define TASKHOST_STORE_HOST_RECORD_H

#include <stdint.h>

#include "store/store.h"

struct host_info {
    const char *host_id;
    const char *hostname;
    int pid;
    const char *version;
    const char *const *types;
    int n_types;
    int max_concurrency;
    int running;
    int64_t heartbeat_ms; /* how often the record is updated */
    const char *state;    /* "running", "stopping" */
    int64_t started_at_ms;
};

/* Upserts the record with seen_at = the server's current date and feeds the
 * server clock estimate. */
bool store_host_beat(struct store *s, const struct host_info *h, struct error *err);

/* Marks the record stopped (on clean shutdown). */
bool store_host_stopped(struct store *s, const char *host_id, struct error *err);

#endif
