/*
 * The MongoDB server goes away for a few seconds and comes back with its data: a running host
 * rides it out, runs tasks inserted afterwards, and a task that was running during the outage
 * (its lease longer than the outage) is finished exactly once.
 */
#include "../plugins/record/record_harness.h"

#define OUTAGE_MS 3000

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "reconnect");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rec_env_cleanup(&env);
}

/* Stops the server for OUTAGE_MS and starts it again; returns how long it was away. */
static int64_t outage(void)
{
    int64_t t0 = ts_now_ms();
    ts_server_stop();
    ts_sleep_ms(OUTAGE_MS);
    ts_server_start_again();
    int64_t away = ts_now_ms() - t0;
    printf("# the server was away for %lld ms\n", (long long)away);
    return away;
}

static void test_tasks_inserted_after_outage_run(void **state)
{
    (void)state;
    struct rec_host *a = rec_host_start(&env, "A", (struct ts_host_opts){0});
    REC_CHECK(&env, rec_host_wait_ready(a, 10000), "host A did not start");
    rec_insert_due(&env, 1, NULL);
    REC_CHECK(&env, rec_wait_state(&env, 1, "done", 10000), "task 1 is not done");
    outage();
    for (int id = 2; id <= 4; id++)
        rec_insert_due(&env, id, NULL);
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", 4, 30000),
              "the tasks inserted after the outage are not done after 30 s");
    REC_CHECK(&env, rec_host_alive(a), "the host is gone");
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", NULL, NULL) == 4, "expected 4 runs");
    rec_log_free(&log);
}

static void test_task_running_across_outage_done_once(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"ms\": 5000}");
    struct rec_host *a =
        rec_host_start(&env, "A", (struct ts_host_opts){.lease_ms = 8000, .heartbeat_ms = 1000});
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "A", 10000), "host A did not start task 1");
    int64_t away = outage();
    REC_CHECK(&env, away < 6500, "the outage took %lld ms, longer than the lease allows for",
              (long long)away);
    REC_CHECK(&env, rec_wait_state(&env, 1, "done", 30000), "task 1 is not done after 30 s");
    ts_sleep_ms(1000);

    bson_t *doc = rec_task(&env, 1);
    char *json = rec_doc_json(doc);
    REC_CHECK(&env, rec_doc_int(doc, "attempts", -1) == 1, "attempts is not 1: %s", json);
    REC_CHECK(&env, rec_doc_len(doc, "errors") == 0, "errors were recorded: %s", json);
    const char *by = rec_doc_str(doc, "result.host");
    REC_CHECK(&env, by && strcmp(by, "A") == 0, "the result is not host A's: %s", json);
    bson_free(json);
    bson_destroy(doc);
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", "1", NULL) == 1, "task 1 ran %d times",
              rec_log_count(&log, "start", "1", NULL));
    int end = rec_log_find(&log, "end", "1", "A");
    REC_CHECK(&env, end >= 0 && strcmp(log.lines[end].status, "done") == 0,
              "the run did not end with done");
    rec_log_free(&log);
    REC_CHECK(&env, rec_host_alive(a), "the host is gone");
}

int main(void)
{
    ts_server_uri_or_skip();
    if (!ts_server_can_restart()) {
        fprintf(stderr, "SKIP: test_reconnect stops and restarts the MongoDB server, which it "
                        "cannot do with MONGODB_URI set (unset it to use the private test "
                        "server)\n");
        return TS_EXIT_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tasks_inserted_after_outage_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_running_across_outage_done_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
