/*
 * Time. Hosts never compare their own wall clocks with each other: lease
 * expiry is computed in the database server's time, estimated from a
 * monotonic clock plus an offset measured against the server (see
 * store/host_record.c). Skew between hosts' clocks therefore does not matter;
 * the estimate is off by at most half the round trip of the last measurement
 * plus the drift of the monotonic clock since then.
 */
#ifndef TASKHOST_BASE_CLOCK_H
#define TASKHOST_BASE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t clock_mono_ms(void);

/* Milliseconds since the Unix epoch by this machine's clock (for logs). */
int64_t clock_wall_ms(void);

/* Sleeps ms milliseconds (restarting after signals). */
void clock_sleep_ms(int64_t ms);

/*
 * The server clock estimate, shared by all threads of the host. Before the
 * first measurement the local wall clock is used.
 */
void server_clock_reset(void);

/* Records one measurement: the server said `server_ms` for a request sent at
 * monotonic `sent_mono_ms` whose answer arrived at `recv_mono_ms`. */
void server_clock_observe(int64_t server_ms, int64_t sent_mono_ms, int64_t recv_mono_ms);

/* The server's current time in ms since the epoch, estimated. */
int64_t server_clock_now_ms(void);

/* Whether a measurement was made, and its uncertainty (half its RTT). */
bool server_clock_synced(int64_t *uncertainty_ms);

#endif
