/*
 * Private helpers shared by the files of taskhost_testsupport. Not for tests.
 */
#ifndef TASKHOST_TESTS_TS_INTERNAL_H
#define TASKHOST_TESTS_TS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* malloc/strdup/printf into a new string that fail the test when memory runs out.
 * Caller frees the result. */
void *ts_xmalloc(size_t n);
char *ts_xstrdup(const char *s);
char *ts_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs argv (argv[0] a path or a name in PATH), stdin /dev/null, stderr inherited, and
 * collects its stdout into *out (caller frees; may be NULL to discard). Returns the exit
 * status, 128+signal, or -1 (with *out NULL) if it could not be started. */
int ts_run_capture(const char *const argv[], char **out);

/* Removes path and everything below it; silently skips what cannot be removed. */
void ts_remove_tree(const char *path);

/* ts_temp_dir() that prints why and returns NULL instead of failing. Caller frees. */
char *ts_try_temp_dir(void);

/* True if TS_KEEP_TMP=1: temp dirs and server data stay at exit. */
bool ts_keep_tmp(void);

/* After the server started again: makes the helpers' pooled clients drop connections to
 * the old server, so that the next command of every thread succeeds. */
void ts_mongo_after_restart(void);

/* Registers, once per process, the exit handler that runs the four cleanups below in this
 * order: spawned processes, MongoDB clients, the server, temp dirs. */
void ts_cleanup_register(void);
void ts_proc_cleanup(void);
void ts_mongo_cleanup(void);
void ts_server_cleanup(void);
void ts_tmp_cleanup(void);

#endif
