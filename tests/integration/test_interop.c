/*
 * Producers in other languages: tasks inserted with pymongo (tests/interop/producer.py) and
 * with the official Node.js driver (tests/interop/producer.mjs), exactly as
 * docs/task-format.md shows, are run by a real host; each producer then reads the results and
 * errors back with its own client and checks them (exit status 0: every check passed).
 *
 * The clients live outside the tree, installed with pinned versions by tests/interop/prepare
 * (which .ci/setup calls) into ${TASKHOST_CACHE:-$HOME/.cache/taskhost}/interop. Skipped (77)
 * when they are not prepared, or were prepared from other pins than the tree's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ts.h"

static char interop_src[4096];   /* tests/interop of the tree */
static char interop_cache[4096]; /* the prepared clients */
static char *db;
static char *dir;
static pid_t host = -1;

/* ---- finding the clients ---- */

static void find_dirs(void)
{
    snprintf(interop_src, sizeof interop_src, "%s", TS_TESTSERVER);
    char *support = strstr(interop_src, "/support/testserver");
    if (support == NULL)
        ts_fail("unexpected TS_TESTSERVER %s", TS_TESTSERVER);
    strcpy(support, "/interop");
    const char *cache = getenv("TASKHOST_CACHE");
    const char *home = getenv("HOME");
    if (cache != NULL && cache[0] != '\0')
        snprintf(interop_cache, sizeof interop_cache, "%s/interop", cache);
    else
        snprintf(interop_cache, sizeof interop_cache, "%s/.cache/taskhost/interop",
                 home != NULL ? home : "");
}

/* True when the files a and b exist and have the same content. */
static bool same_file(const char *a, const char *b)
{
    char *ta = ts_read_file(a), *tb = ts_read_file(b);
    bool same = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    return same;
}

/* Why the clients cannot be used, or NULL when they are prepared from the tree's pins. */
static const char *not_prepared(void)
{
    char a[4300], b[4300];
    snprintf(a, sizeof a, "%s/requirements.txt", interop_src);
    snprintf(b, sizeof b, "%s/venv/.requirements.txt", interop_cache);
    if (!same_file(a, b))
        return "the Python client (pymongo) is not installed from tests/interop/requirements.txt";
    snprintf(a, sizeof a, "%s/package-lock.json", interop_src);
    snprintf(b, sizeof b, "%s/node/.package-lock.json", interop_cache);
    if (!same_file(a, b))
        return "the Node.js client (mongodb) is not installed from "
               "tests/interop/package-lock.json";
    return NULL;
}

/* ---- per test ---- */

static bool host_started(void *log)
{
    return ts_file_contains(log, "start: taskhost ");
}

static int setup(void **state)
{
    (void)state;
    db = ts_unique_db("interop");
    dir = ts_temp_dir();
    struct ts_host_opts o = {
        .database = db,
        .max_concurrency = 8,
        .plugin_settings = "flaky: { failure_rate = 0.0; };",
    };
    char *config = ts_host_config(&o);
    char log[600];
    snprintf(log, sizeof log, "%s/host.log", dir);
    host = ts_host_start(config, log);
    free(config);
    /* the producers start once the host has created its indexes: the test server
     * (mongo-java-server) can fail an insert that races with index creation */
    if (!ts_wait_until(host_started, log, 30000))
        ts_fail("the host did not start in 30 s; its log: %s", log);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = ts_host_stop(host, 20000);
    host = -1;
    if (rc != 0)
        ts_fail("the host exited with %d", rc);
    ts_drop_db(db);
    free(db);
    free(dir);
    return 0;
}

/* Runs a producer (argv, NULL-terminated, to which the URI and database are appended) and
 * fails the test unless it passed all its checks. */
static void run_producer(const char *name, const char *prog, const char *script)
{
    char log[600];
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    const char *argv[] = {prog, script, ts_server_uri(), db, NULL};
    int64_t start = ts_now_ms();
    int rc = ts_wait_exit(ts_spawn(argv, log), 120000);
    char *out = ts_read_file(log);
    /* the whole output (print_message would cut a long traceback) */
    printf("--- %s (%lld ms, exit status %d):\n", name, (long long)(ts_now_ms() - start), rc);
    fputs(out != NULL ? out : "(no output)\n", stdout);
    fflush(stdout);
    if (out != NULL && strstr(out, "KNOWN HOST BUG") != NULL)
        print_message("WARNING: %s met a known host bug (see its output above)\n", name);
    char passed[100];
    snprintf(passed, sizeof passed, "%s: all ", name);
    if (rc != 0 || out == NULL || strstr(out, passed) == NULL)
        fail_msg("%s failed (exit status %d); host log: %s/host.log", name, rc, dir);
    free(out);
    /* and the host saw them as a host sees any task */
    assert_true(ts_count(db, "tasks", "{\"state\": \"done\"}") == 4);
    assert_true(ts_count(db, "tasks", "{\"state\": \"dead\", \"errors.kind\": \"permanent\"}") ==
                1);
}

static void test_pymongo_producer(void **state)
{
    (void)state;
    char python[4300], script[4300];
    snprintf(python, sizeof python, "%s/venv/bin/python", interop_cache);
    snprintf(script, sizeof script, "%s/producer.py", interop_src);
    run_producer("producer.py", python, script);
}

/* Node resolves `import "mongodb"` from the script's own directory: the script runs from a
 * temporary directory holding a copy of it and a link to the prepared node_modules. */
static void test_node_producer(void **state)
{
    (void)state;
    char src[4300], copy[700], modules_src[4300], modules_link[700];
    snprintf(src, sizeof src, "%s/producer.mjs", interop_src);
    snprintf(copy, sizeof copy, "%s/producer.mjs", dir);
    snprintf(modules_src, sizeof modules_src, "%s/node/node_modules", interop_cache);
    snprintf(modules_link, sizeof modules_link, "%s/node_modules", dir);
    char *text = ts_read_file(src);
    assert_non_null(text);
    FILE *f = fopen(copy, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    assert_int_equal(symlink(modules_src, modules_link), 0);
    run_producer("producer.mjs", "node", copy);
}

int main(void)
{
    find_dirs();
    const char *why = not_prepared();
    if (why != NULL) {
        printf("skipped: %s (in %s); run tests/interop/prepare (.ci/setup does)\n", why,
               interop_cache);
        return TS_EXIT_SKIP;
    }
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pymongo_producer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_producer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
