/*
 * A valgrind check of a whole host's life (ctest label "valgrind"): `taskhost run` under
 * valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 takes in and
 * runs 100 tasks of the shipped plugins (noop; flaky ones that are retried and done, and
 * flaky ones that go dead after max_retries; sleep ones), while two long sleep tasks are still
 * running it gets SIGTERM: it cancels and hands them back and exits. The test fails when the
 * host does not exit 0: valgrind turns any memory error (invalid read or write, use of
 * uninitialised memory, bad free) and any definitely lost block into exit status 1; its report
 * is printed.
 *
 * valgrind slows the host down some 20-50 times, so the lease is long (30 s) and the waits are
 * generous. Needs a build without sanitizers (CMake adds the test only then).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ts.h"

#define N_NOOP       60
#define N_FLAKY_DONE 20 /* fail once, then done */
#define N_FLAKY_DEAD 5  /* always fail: dead after max_retries (3) attempts */
#define N_SLEEP      15 /* 100 ms each */
#define N_TASKS      (N_NOOP + N_FLAKY_DONE + N_FLAKY_DEAD + N_SLEEP)
#define N_LONG       2 /* sleep 10 minutes: still running at SIGTERM, handed back */
#define FINISH_MS    300000
#define EXIT_MS      180000

static char *db, *dir, *vg_log, *host_log;

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        abort();
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static void insert_n(int n, const char *json)
{
    for (int i = 0; i < n; i++)
        ts_insert_json(db, "tasks", json);
}

/* Prints the end of a file to stderr. */
static void dump(const char *title, const char *path, size_t max)
{
    char *text = ts_read_file(path);
    fprintf(stderr, "----- %s (%s)\n", title, path);
    if (text != NULL) {
        size_t len = strlen(text);
        fputs(len > max ? text + len - max : text, stderr);
    }
    free(text);
}

static void dump_all(void)
{
    dump("host log", host_log, 8000);
    dump("valgrind report", vg_log, 30000);
}

static void test_host_under_valgrind(void **state)
{
    (void)state;
    insert_n(N_NOOP, "{\"type\": \"noop\"}");
    insert_n(N_FLAKY_DONE, "{\"type\": \"flaky\", \"payload\": {\"fail_times\": 1}}");
    insert_n(N_FLAKY_DEAD, "{\"type\": \"flaky\", \"payload\": {\"fail_rate\": 1.0}}");
    insert_n(N_SLEEP, "{\"type\": \"sleep\", \"payload\": {\"ms\": 100}}");
    /* lowest priority: claimed last, still running when the host is stopped */
    insert_n(N_LONG, "{\"type\": \"sleep\", \"priority\": -1, \"state\": \"queued\", \"attempts\": "
                     "0, \"run_at\": {\"$date\": \"2020-01-01T00:00:00Z\"}, \"payload\": "
                     "{\"ms\": 600000}}");

    struct ts_host_opts o = {
        .database = db,
        .plugin_dir = TS_PLUGIN_DIR,
        .plugin_settings = "sleep: { max_ms = 600000; };",
        .max_concurrency = 4,
        .lease_ms = 30000,
        .shutdown_grace_ms = 1000,
        .max_retries = 3,
        .log_level = "info",
    };
    char *cfg = ts_host_config(&o);
    char *log_opt = xprintf("--log-file=%s", vg_log);
    const char *argv[] = {VALGRIND_BIN,
                          "--leak-check=full",
                          "--errors-for-leak-kinds=definite",
                          "--error-exitcode=1",
                          "--num-callers=30",
                          log_opt,
                          TS_HOST_BIN,
                          "run",
                          "-c",
                          cfg,
                          NULL};
    pid_t pid = ts_spawn(argv, host_log);

    char finals[256];
    snprintf(finals, sizeof finals, "{\"state\": {\"$in\": [\"done\", \"dead\"]}}");
    bool finished = ts_wait_count(db, "tasks", finals, N_TASKS, FINISH_MS);
    bool long_running = ts_wait_count(db, "tasks", "{\"state\": \"running\"}", N_LONG, 60000);
    int status = ts_host_stop(pid, EXIT_MS);
    if (!finished || !long_running || status != 0)
        dump_all();
    assert_true(finished);
    assert_true(long_running);
    assert_int_equal(ts_count(db, "tasks", "{\"state\": \"done\"}"), N_TASKS - N_FLAKY_DEAD);
    assert_int_equal(ts_count(db, "tasks", "{\"state\": \"dead\"}"), N_FLAKY_DEAD);
    if (status != 0)
        fail_msg("the host under valgrind exited with %d (1: valgrind found memory errors or "
                 "definite leaks, see its report above; -1: it did not exit within %d s)",
                 status, EXIT_MS / 1000);
    /* handed back at shutdown, not counted */
    assert_int_equal(ts_count(db, "tasks", "{\"state\": \"queued\", \"priority\": -1}"), N_LONG);
    assert_true(ts_file_contains(vg_log, "ERROR SUMMARY: 0 errors"));
    free(log_opt);
    free(cfg);
}

int main(void)
{
    ts_server_uri_or_skip();
    db = ts_unique_db("valgrind");
    dir = ts_temp_dir();
    vg_log = xprintf("%s/valgrind.log", dir);
    host_log = xprintf("%s/host.log", dir);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_host_under_valgrind)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ts_drop_db(db);
    free(db);
    free(dir);
    free(vg_log);
    free(host_log);
    return rc;
}
