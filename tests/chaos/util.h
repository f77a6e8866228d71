/*
 * Small helpers of the chaos driver: clocks, a seeded random generator, strings, running a
 * command, and progress notes.
 */
#ifndef TASKHOST_CHAOS_UTIL_H
#define TASKHOST_CHAOS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the epoch by the machine's clock (the test server's clock too; the
 * driver itself never runs under libfaketime). */
int64_t chaos_wall_ms(void);

/* Sleeps ms milliseconds (restarting after signals). */
void chaos_sleep_ms(int64_t ms);

/* xorshift64*: the next value of the generator whose state is *s (never 0). */
uint64_t chaos_rand(uint64_t *s);

/* A random integer in [lo, hi]. */
int chaos_rand_range(uint64_t *s, int lo, int hi);

/* True with probability percent/100. */
bool chaos_chance(uint64_t *s, int percent);

/* printf into a new string; aborts when memory runs out. Caller frees. */
char *chaos_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc/realloc that abort when memory runs out. Caller frees. */
void *chaos_xmalloc(size_t n);
void *chaos_xrealloc(void *p, size_t n);

/*
 * Runs argv (argv[0] a name in PATH) with stdin from /dev/null and stdout and stderr
 * appended to log_path (NULL: /dev/null); waits for it. Returns its exit status, 128+signal,
 * or -1 when it could not be started.
 */
int chaos_run(const char *const argv[], const char *log_path);

/* The time the driver started (set once by chaos_note_start). */
void chaos_note_start(void);

/* Prints "chaos [  12.3 s] <message>" on stdout and flushes: the progress of a run. */
void chaos_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seconds since chaos_note_start for a wall time in ms, for messages. */
double chaos_rel_s(int64_t wall_ms);

#endif
