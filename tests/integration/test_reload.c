/*
 * Reloading plugins on SIGHUP while the host runs: a plugin copied into the
 * directory is picked up; a removed one finishes its running task first and
 * is then shut down, and its type is no longer claimed; a replaced one runs
 * the new code for new tasks; a broken file makes the reload fail with a
 * message while the loaded plugins keep running.
 */
#define _GNU_SOURCE /* vasprintf */
#include <setjmp.h>
#include <signal.h>
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

static char *db, *dir, *log_path, *cfg;

/* A formatted string; caller frees with free(). */
static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        ts_fail("out of memory");
    va_end(ap);
    return out;
}
static pid_t host;

/* Copies a file into the plugin directory the way package managers do: a
 * new file renamed over the old one (a new inode, never rewritten in
 * place). */
static void install_plugin(const char *from, const char *name)
{
    char *tmp = xprintf("%s/.%s.tmp", dir, name);
    char *to = xprintf("%s/%s", dir, name);
    char *cmd = xprintf("cp '%s' '%s' && chmod 755 '%s' && mv '%s' '%s'", from, tmp, tmp, tmp, to);
    if (system(cmd) != 0)
        ts_fail("could not install %s as %s", from, to);
    free(cmd);
    free(tmp);
    free(to);
}

static void remove_plugin(const char *name)
{
    char *path = xprintf("%s/%s", dir, name);
    if (unlink(path) != 0)
        ts_fail("could not remove %s", path);
    free(path);
}

static void reload(void)
{
    ts_kill(host, SIGHUP);
    ts_sleep_ms(500); /* the host reloads within its next second */
}

static void enqueue(int id, const char *type, const char *payload)
{
    char *json = xprintf("{\"_id\": %d, \"type\": \"%s\", \"payload\": %s}", id, type, payload);
    ts_insert_json(db, "tasks", json);
    free(json);
}

static bool wait_state(int id, const char *state, int timeout_ms)
{
    char *filter = xprintf("{\"_id\": %d, \"state\": \"%s\"}", id, state);
    bool ok = ts_wait_count(db, "tasks", filter, 1, timeout_ms);
    free(filter);
    return ok;
}

/* Nobody has run the task (it may still lack a state: no host took it in). */
static bool not_started(int id)
{
    char *filter = xprintf("{\"_id\": %d, \"state\": {\"$nin\": [\"running\", \"done\", "
                           "\"dead\"]}}",
                           id);
    bool ok = ts_count(db, "tasks", filter) == 1;
    free(filter);
    return ok;
}

static const char *result_version(int id, char *buf, size_t len)
{
    char *filter = xprintf("{\"_id\": %d}", id);
    bson_t *doc = ts_find_one(db, "tasks", filter);
    free(filter);
    bson_iter_t it, v;
    buf[0] = '\0';
    if (doc && bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, "result.version", &v) &&
        BSON_ITER_HOLDS_UTF8(&v))
        snprintf(buf, len, "%s", bson_iter_utf8(&v, NULL));
    if (doc)
        bson_destroy(doc);
    return buf;
}

static bool log_says_drained(void *arg)
{
    (void)arg;
    return ts_file_contains(log_path, "drained and shut down");
}

static int setup(void **state)
{
    (void)state;
    db = ts_unique_db("reload");
    dir = ts_temp_dir();
    chmod(dir, 0755);
    char *logdir = ts_temp_dir();
    log_path = xprintf("%s/host.log", logdir);
    free(logdir);
    install_plugin(TS_PLUGIN_DIR "/noop.so", "noop.so");
    cfg = ts_host_config(
        &(struct ts_host_opts){.database = db, .plugin_dir = dir, .host_id = "reloader"});
    host = ts_host_start(cfg, log_path);
    enqueue(1, "noop", "{}");
    if (!wait_state(1, "done", 20000))
        ts_fail("the host did not start (log: %s)", log_path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int status = ts_host_stop(host, 20000);
    free(cfg);
    free(log_path);
    free(dir);
    ts_drop_db(db);
    free(db);
    return status == 0 ? 0 : -1;
}

static void test_new_plugin_is_picked_up(void **state)
{
    (void)state;
    enqueue(2, "sleep", "{\"ms\": 10}");
    ts_sleep_ms(1000);
    assert_true(not_started(2)); /* nobody runs sleep yet */
    install_plugin(TS_PLUGIN_DIR "/sleep.so", "sleep.so");
    reload();
    assert_true(wait_state(2, "done", 10000));
    assert_true(ts_file_contains(log_path, "1 new or replaced"));
}

static void test_removed_plugin_drains_first(void **state)
{
    (void)state;
    install_plugin(TS_PLUGIN_DIR "/sleep.so", "sleep.so");
    reload();
    enqueue(3, "sleep", "{\"ms\": 3000}");
    assert_true(wait_state(3, "running", 10000));
    remove_plugin("sleep.so");
    reload();
    enqueue(4, "sleep", "{\"ms\": 10}");
    /* the running task finishes with the plugin it started with... */
    assert_true(wait_state(3, "done", 10000));
    /* ...the plugin is then shut down, and its type is no longer claimed */
    assert_true(ts_wait_until(log_says_drained, NULL, 10000));
    ts_sleep_ms(1500);
    assert_true(not_started(4));
    assert_true(wait_state(1, "done", 1000)); /* noop untouched */
}

static void test_replaced_plugin_runs_new_code(void **state)
{
    (void)state;
    char v[16];
    install_plugin(TS_TEST_PLUGIN_DIR "/versioned/v1/versioned.so", "versioned.so");
    reload();
    enqueue(5, "ver", "{}");
    assert_true(wait_state(5, "done", 10000));
    assert_string_equal(result_version(5, v, sizeof v), "1");

    install_plugin(TS_TEST_PLUGIN_DIR "/versioned/v2/versioned.so", "versioned.so");
    reload();
    enqueue(6, "ver", "{}");
    assert_true(wait_state(6, "done", 10000));
    assert_string_equal(result_version(6, v, sizeof v), "2");
}

static void test_broken_plugin_keeps_the_old_set(void **state)
{
    (void)state;
    char *bad = xprintf("%s/bad.so", dir);
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("not a shared object\n", f);
    fclose(f);
    install_plugin(TS_PLUGIN_DIR "/sleep.so", "sleep.so");
    reload();
    assert_true(ts_file_contains(log_path, "reload refused"));
    assert_true(ts_file_contains(log_path, "bad.so is not an ELF shared object"));
    /* sleep was not added (the reload failed as a whole); noop still runs */
    enqueue(7, "sleep", "{\"ms\": 10}");
    enqueue(8, "noop", "{}");
    assert_true(wait_state(8, "done", 10000));
    assert_true(not_started(7));
    /* fixed: the next reload succeeds */
    unlink(bad);
    free(bad);
    reload();
    assert_true(wait_state(7, "done", 10000));
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_plugin_is_picked_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_plugin_drains_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_plugin_runs_new_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_plugin_keeps_the_old_set, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
