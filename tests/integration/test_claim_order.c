/*
 * Which task a host runs next: priority (highest first), then run_at, then _id; nothing before
 * its run_at; nothing of a type no plugin handles; and tasks inserted by hand with only type
 * and payload are taken in and run.
 */
#include "../plugins/record/record_harness.h"

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "order");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rec_env_cleanup(&env);
}

/* With one slot the start lines of the execution log give the claim order. */
static void test_priority_then_run_at_then_id(void **state)
{
    (void)state;
    int64_t now = rec_wall_ms();
    /* inserted in this (shuffled) order */
    static const struct {
        int id, priority, age_ms;
    } tasks[] = {
        {4, 0, 10000}, {5, -1, 20000}, {2, 5, 5000},  {6, 10, 1000},
        {1, 0, 10000}, {3, 5, 8000},   {7, 0, 30000},
    };
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        rec_insert_task(&env, tasks[i].id, NULL, tasks[i].priority, now - tasks[i].age_ms, NULL);

    rec_host_start(&env, "A", (struct ts_host_opts){.max_concurrency = 1});
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", 7, 30000),
              "the 7 tasks are not all done after 30 s");

    /* priority 10; priority 5 by run_at; priority 0 by run_at, then _id; priority -1 */
    static const char *const expected[] = {"6", "3", "2", "7", "1", "4", "5"};
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", NULL, NULL) == 7, "expected 7 start lines");
    int k = 0;
    for (int i = 0; i < log.n; i++) {
        if (!log.lines[i].start)
            continue;
        REC_CHECK(&env, strcmp(log.lines[i].id, expected[k]) == 0,
                  "run number %d was task %s, expected task %s", k + 1, log.lines[i].id,
                  expected[k]);
        k++;
    }
    rec_log_free(&log);
}

/* A task whose run_at lies ahead waits for it, even with free slots and nothing else to do. */
static void test_future_run_at_waits(void **state)
{
    (void)state;
    int64_t run_at = rec_wall_ms() + 4000;
    rec_insert_task(&env, 1, NULL, 0, run_at, NULL);
    rec_insert_due(&env, 2, NULL);
    rec_host_start(&env, "A", (struct ts_host_opts){.max_concurrency = 2});

    REC_CHECK(&env, rec_wait_state(&env, 2, "done", 10000), "the due task 2 is not done");
    int checks = 0;
    while (rec_wall_ms() < run_at - 700) {
        bson_t *doc = rec_task(&env, 1);
        const char *st = rec_doc_str(doc, "state");
        REC_CHECK(&env, st && strcmp(st, "queued") == 0,
                  "task 1 is %s %lld ms before its run_at (expected queued)", st ? st : "(none)",
                  (long long)(run_at - rec_wall_ms()));
        bson_destroy(doc);
        checks++;
        ts_sleep_ms(100);
    }
    REC_CHECK(&env, checks > 0, "the test was too slow to look before run_at");
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", "1", NULL) == 0, "task 1 ran before its run_at");
    rec_log_free(&log);

    REC_CHECK(&env, rec_wait_state(&env, 1, "done", 15000), "task 1 is not done after its run_at");
    bson_t *doc = rec_task(&env, 1);
    int64_t claimed = rec_doc_date(doc, "claimed_at");
    /* the host decides by its estimate of the server's clock: allow it a little error */
    REC_CHECK(&env, claimed >= run_at - 250, "task 1 was claimed %lld ms before its run_at",
              (long long)(run_at - claimed));
    bson_destroy(doc);
}

/* Tasks of a type no loaded plugin runs are not touched at all. */
static void test_unhandled_type_left_alone(void **state)
{
    (void)state;
    char *queued = rec_printf("{\"_id\": 2, \"type\": \"other\", \"payload\": {}, \"state\": "
                              "\"queued\", \"priority\": 100, \"attempts\": 0, \"run_at\": "
                              "{\"$date\": {\"$numberLong\": \"%lld\"}}}",
                              (long long)(rec_wall_ms() - 60000));
    rec_insert(&env, "{\"_id\": 1, \"type\": \"other\", \"payload\": {\"x\": 1}}");
    rec_insert(&env, queued);
    free(queued);
    rec_insert_due(&env, 3, NULL);
    bson_t *before1 = rec_task(&env, 1), *before2 = rec_task(&env, 2);

    rec_host_start(&env, "A", (struct ts_host_opts){.max_concurrency = 2});
    REC_CHECK(&env, rec_wait_state(&env, 3, "done", 10000), "the rec task 3 is not done");
    ts_sleep_ms(1500); /* 15 poll intervals more */

    bson_t *after1 = rec_task(&env, 1), *after2 = rec_task(&env, 2);
    char *j1 = rec_doc_json(after1), *j2 = rec_doc_json(after2);
    REC_CHECK(&env, after1 && bson_equal(before1, after1), "the new task of type other changed: %s",
              j1);
    REC_CHECK(&env, after2 && bson_equal(before2, after2),
              "the queued task of type other changed: %s", j2);
    REC_CHECK(&env, !rec_doc_has(after1, "state"), "the new task got a state: %s", j1);
    bson_free(j1);
    bson_free(j2);
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, log.n == 2 && rec_log_count(&log, "start", "3", NULL) == 1,
              "only task 3 should have run");
    rec_log_free(&log);
    bson_destroy(before1);
    bson_destroy(before2);
    bson_destroy(after1);
    bson_destroy(after2);
}

/* Checks a task that was inserted with only type and payload, after it ran. */
static void check_hand_inserted_done(const bson_t *doc)
{
    char *json = rec_doc_json(doc);
    const char *st = rec_doc_str(doc, "state");
    REC_CHECK(&env, st && strcmp(st, "done") == 0, "not done: %s", json);
    REC_CHECK(&env, rec_doc_int(doc, "attempts", -1) == 1, "attempts is not 1: %s", json);
    REC_CHECK(&env, rec_doc_date(doc, "created_at") > 0, "no created_at date: %s", json);
    REC_CHECK(&env, rec_doc_date(doc, "finished_at") > 0, "no finished_at date: %s", json);
    REC_CHECK(&env, rec_doc_int(doc, "result.attempt", -1) == 1, "result.attempt is not 1: %s",
              json);
    const char *host = rec_doc_str(doc, "result.host");
    REC_CHECK(&env, host && strcmp(host, "A") == 0, "result.host is not A: %s", json);
    REC_CHECK(&env, rec_doc_len(doc, "errors") == 0, "it has errors: %s", json);
    REC_CHECK(&env, !rec_doc_has(doc, "lease"), "it still has a lease: %s", json);
    bson_free(json);
}

/* A task inserted by hand (only type and payload, no _id) before the host starts. */
static void test_hand_inserted_task_runs(void **state)
{
    (void)state;
    rec_insert(&env, "{\"type\": \"rec\", \"payload\": {\"ms\": 10}}");
    rec_host_start(&env, "A", (struct ts_host_opts){.max_concurrency = 2});
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", 1, 10000),
              "the hand-inserted task is not done");
    bson_t *doc = ts_find_one(env.db, "tasks", "{\"type\": \"rec\"}");
    check_hand_inserted_done(doc);
    bson_destroy(doc);
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", NULL, NULL) == 1, "expected one run");
    rec_log_free(&log);
}

#define N_LATE 12

/* Tasks inserted by hand while the host runs, some of them while it is busy claiming. */
static void test_hand_inserted_while_running(void **state)
{
    (void)state;
    rec_host_start(&env, "A", (struct ts_host_opts){.max_concurrency = 2});
    REC_CHECK(&env, rec_host_wait_ready(&env.hosts[0], 10000), "the host did not start");
    ts_sleep_ms(500);
    for (int i = 0; i < N_LATE; i++) {
        rec_insert(&env, "{\"type\": \"rec\", \"payload\": {\"ms\": 20}}");
        ts_sleep_ms(15 + 10 * (i % 5));
    }
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", N_LATE, 20000),
              "the hand-inserted tasks are not all done");
    bson_t *docs[N_LATE + 8];
    int n = 0;
    mongoc_collection_t *coll = mongoc_client_get_collection(ts_client(), env.db, "tasks");
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, NULL, NULL);
    const bson_t *doc;
    while (n < N_LATE + 8 && mongoc_cursor_next(cur, &doc))
        docs[n++] = bson_copy(doc);
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(coll);
    for (int i = 0; i < n; i++)
        check_hand_inserted_done(docs[i]);
    for (int i = 0; i < n; i++)
        bson_destroy(docs[i]);
    REC_CHECK(&env, n == N_LATE, "expected %d tasks, found %d", N_LATE, n);
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_priority_then_run_at_then_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_future_run_at_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unhandled_type_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hand_inserted_task_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hand_inserted_while_running, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
