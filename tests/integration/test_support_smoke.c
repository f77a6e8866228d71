/*
 * The test support library against the real test server: documents in and out, atomic
 * findAndModify claims from several threads, data surviving restarts, stops and crashes of
 * the server, child processes, and host config files.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ts.h"

#define N_TASKS    60
#define N_CLAIMERS 4

static char *db; /* a fresh database per test */

static int setup(void **state)
{
    (void)state;
    db = ts_unique_db("smoke");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_drop_db(db);
    free(db);
    db = NULL;
    return 0;
}

/* The UTF-8 value of key in doc, or NULL. */
static const char *utf8_of(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_UTF8(&it))
        return NULL;
    return bson_iter_utf8(&it, NULL);
}

static void test_insert_count_find(void **state)
{
    (void)state;
    ts_insert_json(db, "docs", "{\"n\": 1, \"kind\": \"a\"}");
    ts_insert_json(db, "docs", "{\"n\": 2, \"kind\": \"b\"}");
    ts_insert_json(db, "docs", "{\"n\": 3, \"kind\": \"a\"}");

    assert_int_equal(ts_count(db, "docs", NULL), 3);
    assert_int_equal(ts_count(db, "docs", "{\"kind\": \"a\"}"), 2);
    assert_int_equal(ts_count(db, "docs", "{\"n\": {\"$gt\": 5}}"), 0);
    assert_int_equal(ts_count(db, "other", ""), 0);

    bson_t *doc = ts_find_one(db, "docs", "{\"n\": 2}");
    assert_non_null(doc);
    assert_string_equal(utf8_of(doc, "kind"), "b");
    bson_destroy(doc);
    assert_null(ts_find_one(db, "docs", "{\"n\": 99}"));
}

static void test_unique_db_names(void **state)
{
    (void)state;
    char *a = ts_unique_db("p");
    char *b = ts_unique_db("p");
    assert_string_not_equal(a, b);
    assert_memory_equal(a, "p_", 2);
    char *odd = ts_unique_db("has.dots and/slashes$");
    assert_null(strpbrk(odd, "./ $"));
    char *longer = ts_unique_db("0123456789012345678901234567890123456789012345678901234567890123"
                                "456789");
    assert_true(strlen(longer) <= 63);
    /* a name that MongoDB accepts: insert into it and drop it */
    ts_insert_json(longer, "c", "{\"x\": 1}");
    assert_int_equal(ts_count(longer, "c", NULL), 1);
    ts_drop_db(longer);
    assert_int_equal(ts_count(longer, "c", NULL), 0);
    free(a);
    free(b);
    free(odd);
    free(longer);
}

struct claimer {
    char owner[16];
    int claimed;
    bool error;
};

/* Claims queued tasks one by one with findAndModify until none is left. */
static void *claim_all(void *arg)
{
    struct claimer *c = arg;
    mongoc_collection_t *coll = mongoc_client_get_collection(ts_client(), db, "tasks");
    bson_t *query = BCON_NEW("state", BCON_UTF8("queued"));
    bson_t *update =
        BCON_NEW("$set", "{", "state", BCON_UTF8("claimed"), "owner", BCON_UTF8(c->owner), "}");
    mongoc_find_and_modify_opts_t *opts = mongoc_find_and_modify_opts_new();
    mongoc_find_and_modify_opts_set_update(opts, update);
    mongoc_find_and_modify_opts_set_flags(opts, MONGOC_FIND_AND_MODIFY_RETURN_NEW);
    for (;;) {
        bson_t reply;
        bson_error_t err;
        if (!mongoc_collection_find_and_modify_with_opts(coll, query, opts, &reply, &err)) {
            fprintf(stderr, "findAndModify: %s\n", err.message);
            c->error = true;
            bson_destroy(&reply);
            break;
        }
        bson_iter_t it, value;
        bool got = bson_iter_init_find(&it, &reply, "value") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
                   bson_iter_recurse(&it, &value) && bson_iter_find(&value, "owner") &&
                   strcmp(bson_iter_utf8(&value, NULL), c->owner) == 0;
        bson_destroy(&reply);
        if (!got)
            break;
        c->claimed++;
    }
    mongoc_find_and_modify_opts_destroy(opts);
    bson_destroy(update);
    bson_destroy(query);
    mongoc_collection_destroy(coll);
    return NULL;
}

static void test_find_and_modify_claims_each_task_once(void **state)
{
    (void)state;
    if (!ts_server_atomic())
        skip();
    for (int i = 0; i < N_TASKS; i++) {
        char json[64];
        snprintf(json, sizeof json, "{\"n\": %d, \"state\": \"queued\"}", i);
        ts_insert_json(db, "tasks", json);
    }
    pthread_t threads[N_CLAIMERS];
    struct claimer claimers[N_CLAIMERS];
    for (int i = 0; i < N_CLAIMERS; i++) {
        claimers[i] = (struct claimer){.claimed = 0};
        snprintf(claimers[i].owner, sizeof claimers[i].owner, "t%d", i);
        assert_int_equal(pthread_create(&threads[i], NULL, claim_all, &claimers[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < N_CLAIMERS; i++) {
        pthread_join(threads[i], NULL);
        assert_false(claimers[i].error);
        total += claimers[i].claimed;
        char filter[160];
        snprintf(filter, sizeof filter, "{\"owner\": \"%s\"}", claimers[i].owner);
        /* what each thread believes it claimed is what the server recorded for it */
        assert_int_equal(ts_count(db, "tasks", filter), claimers[i].claimed);
    }
    assert_int_equal(total, N_TASKS);
    assert_int_equal(ts_count(db, "tasks", "{\"state\": \"claimed\"}"), N_TASKS);
    assert_int_equal(ts_count(db, "tasks", "{\"state\": \"queued\"}"), 0);
}

static void test_restart_keeps_data(void **state)
{
    (void)state;
    if (!ts_server_can_restart())
        skip();
    ts_insert_json(db, "docs", "{\"before\": \"restart\"}");
    ts_server_restart();
    /* a write first: the helpers' pooled client must not fail on its stale connection */
    ts_insert_json(db, "docs", "{\"after\": \"restart\"}");
    assert_int_equal(ts_count(db, "docs", "{\"before\": \"restart\"}"), 1);
    assert_int_equal(ts_count(db, "docs", NULL), 2);
}

/* True if a fresh client with a short server selection timeout reaches the server. */
static bool server_answers(void)
{
    mongoc_client_t *client = ts_client_new("serverSelectionTimeoutMS=300&connectTimeoutMS=300");
    bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
    bson_error_t err;
    bool ok = mongoc_client_command_simple(client, "admin", ping, NULL, NULL, &err);
    bson_destroy(ping);
    mongoc_client_destroy(client);
    return ok;
}

static void test_stop_and_start_again(void **state)
{
    (void)state;
    if (!ts_server_can_restart())
        skip();
    ts_insert_json(db, "docs", "{\"x\": 1}");
    assert_true(server_answers());
    ts_server_stop();
    assert_false(server_answers());
    ts_server_start_again();
    assert_true(server_answers());
    assert_int_equal(ts_count(db, "docs", "{\"x\": 1}"), 1);
}

static void test_kill_keeps_committed_data(void **state)
{
    (void)state;
    if (!ts_server_can_restart())
        skip();
    ts_insert_json(db, "docs", "{\"x\": \"committed\"}");
    ts_sleep_ms(500); /* well past the server's commit interval */
    ts_server_kill();
    assert_false(server_answers());
    ts_server_start_again();
    assert_int_equal(ts_count(db, "docs", "{\"x\": \"committed\"}"), 1);
}

static void test_spawn_wait_kill(void **state)
{
    (void)state;
    char *dir = ts_temp_dir();
    char log[512];
    snprintf(log, sizeof log, "%s/child.log", dir);

    const char *exits3[] = {"/bin/sh", "-c", "echo hello-from-child; echo oops >&2; exit 3", NULL};
    pid_t pid = ts_spawn(exits3, log);
    assert_int_equal(ts_wait_exit(pid, 10000), 3);
    assert_true(ts_file_contains(log, "hello-from-child"));
    assert_true(ts_file_contains(log, "oops"));
    assert_false(ts_file_contains(log, "not there"));

    const char *sleeper[] = {"sleep", "30", NULL};
    pid = ts_spawn(sleeper, log);
    assert_int_equal(getpgid(pid), pid); /* its own process group */
    assert_int_equal(ts_wait_exit(pid, 100), -1);
    ts_kill(pid, SIGTERM);
    assert_int_equal(ts_wait_exit(pid, 10000), 128 + SIGTERM);

    const char *missing[] = {"/nonexistent/program", NULL};
    pid = ts_spawn(missing, log);
    assert_int_equal(ts_wait_exit(pid, 10000), 127);
    assert_true(ts_file_contains(log, "exec failed: /nonexistent/program"));

    char *text = ts_read_file(log);
    assert_non_null(text);
    assert_non_null(strstr(text, "hello-from-child"));
    free(text);
    assert_null(ts_read_file("/nonexistent/file"));
    free(dir);
}

static void *insert_later(void *arg)
{
    (void)arg;
    ts_sleep_ms(300);
    ts_insert_json(db, "late", "{\"late\": true}");
    return NULL;
}

static void test_wait_count_sees_late_insert(void **state)
{
    (void)state;
    pthread_t t;
    int64_t start = ts_now_ms();
    assert_int_equal(pthread_create(&t, NULL, insert_later, NULL), 0);
    assert_true(ts_wait_count(db, "late", "{\"late\": true}", 1, 10000));
    assert_true(ts_now_ms() - start >= 250);
    pthread_join(t, NULL);
    start = ts_now_ms();
    assert_false(ts_wait_count(db, "late", NULL, 5, 200));
    assert_true(ts_now_ms() - start >= 200);
}

static void test_host_config_file(void **state)
{
    (void)state;
    struct ts_host_opts o = {
        .database = db,
        .host_id = "h\"1",
        .max_concurrency = 4,
        .lease_ms = 900,
        .max_retries = TS_ZERO, /* the host rejects 0: only the writing is checked */
        .backoff_multiplier = 2.0,
        .plugin_settings = "flaky: { failure_rate = 0.5; };",
        .types = "{ type = \"sleep\"; concurrency = 2; }",
        .extra = "# the end",
    };
    char *path = ts_host_config(&o);
    char *text = ts_read_file(path);
    assert_non_null(text);
    const char *expected[] = {
        "uri = \"mongodb://",
        "collection = \"tasks\";",
        "hosts_collection = \"hosts\";",
        "id = \"h\\\"1\";",
        "max_concurrency = 4;",
        "lease_ms = 900;",
        "poll_interval_ms = 100;",
        "max_retries = 0;",
        "backoff_multiplier = 2.0",
        "backoff_jitter = 0.0",
        "directory = \"" TS_PLUGIN_DIR "\";",
        "flaky: { failure_rate = 0.5; };",
        "{ type = \"sleep\"; concurrency = 2; }",
        "level = \"debug\";",
        "# the end",
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (!strstr(text, expected[i]))
            fail_msg("'%s' is not in the config:\n%s", expected[i], text);
    }
    assert_non_null(strstr(text, db));
    /* a lease of the test's own leaves the heartbeat to the host's default */
    assert_null(strstr(text, "heartbeat_ms"));
    free(text);
    free(path);
}

int main(void)
{
    const char *uri = ts_server_uri_or_skip();
    printf("# MongoDB server: %s%s\n", uri, ts_server_can_restart() ? " (ours)" : "");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert_count_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_db_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_and_modify_claims_each_task_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_and_start_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_keeps_committed_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spawn_wait_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_count_sees_late_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_config_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
