/*
 * Failed attempts: retried with backoff until the retry limit (the config's, a type's or the
 * task's own), then dead; permanent failures and timeouts. What a user sees in the task
 * document: state, attempts, errors (kind and message), and how often the task ran.
 */
#include "../plugins/record/record_harness.h"

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "retry");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rec_env_cleanup(&env);
}

/*
 * Checks task id: state, attempts, runs in the execution log and the kind of every error.
 * Returns the document (caller destroys).
 */
static bson_t *check_task(int id, const char *state, int attempts, int runs, const char *kind)
{
    bson_t *doc = rec_task(&env, id);
    char *json = rec_doc_json(doc);
    const char *st = rec_doc_str(doc, "state");
    REC_CHECK(&env, st && strcmp(st, state) == 0, "task %d: expected state %s: %s", id, state,
              json);
    REC_CHECK(&env, rec_doc_int(doc, "attempts", -1) == attempts,
              "task %d: expected attempts %d: %s", id, attempts, json);
    int n_errors = strcmp(state, "done") == 0 ? attempts - 1 : attempts;
    REC_CHECK(&env, rec_doc_len(doc, "errors") == n_errors, "task %d: expected %d errors: %s", id,
              n_errors, json);
    for (int i = 0; i < n_errors; i++) {
        char path[32];
        snprintf(path, sizeof path, "errors.%d.kind", i);
        const char *k = rec_doc_str(doc, path);
        REC_CHECK(&env, k && strcmp(k, kind) == 0, "task %d: %s is not %s: %s", id, path, kind,
                  json);
        snprintf(path, sizeof path, "errors.%d.attempt", i);
        REC_CHECK(&env, rec_doc_int(doc, path, -1) == i + 1, "task %d: %s is not %d: %s", id, path,
                  i + 1, json);
    }
    REC_CHECK(&env, rec_doc_date(doc, "finished_at") > 0, "task %d: no finished_at: %s", id, json);
    REC_CHECK(&env, !rec_doc_has(doc, "lease"), "task %d: still has a lease: %s", id, json);
    bson_free(json);

    char sid[16];
    snprintf(sid, sizeof sid, "%d", id);
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", sid, NULL) == runs,
              "task %d: expected %d runs, the log has %d", id, runs,
              rec_log_count(&log, "start", sid, NULL));
    rec_log_free(&log);
    return doc;
}

/* True if the error message at errors.<i>.message contains needle. */
static bool error_says(const bson_t *doc, int i, const char *needle)
{
    char path[32];
    snprintf(path, sizeof path, "errors.%d.message", i);
    const char *msg = rec_doc_str(doc, path);
    return msg && strstr(msg, needle);
}

static void test_retried_until_done(void **state)
{
    (void)state;
    const int backoff = 500;
    rec_insert_due(&env, 1, "{\"fail_times\": 2}");
    rec_host_start(&env, "A",
                   (struct ts_host_opts){.backoff_initial_ms = backoff, .backoff_max_ms = 4000});
    REC_CHECK(&env, rec_wait_state(&env, 1, "done", 20000), "task 1 is not done after 20 s");
    bson_t *doc = check_task(1, "done", 3, 3, "failed");
    char *json = rec_doc_json(doc);
    REC_CHECK(&env, error_says(doc, 0, "record: planned failure 1 of 2"),
              "errors.0 lacks the plugin's message: %s", json);
    REC_CHECK(&env, error_says(doc, 1, "record: planned failure 2 of 2"),
              "errors.1 lacks the plugin's message: %s", json);
    REC_CHECK(&env, rec_doc_int(doc, "result.attempt", -1) == 3, "the result is not attempt 3: %s",
              json);
    /* the second attempt started at least `backoff` after the first failed, the third at
     * least `backoff` after the second failed */
    int64_t fail1 = rec_doc_date(doc, "errors.0.at"), fail2 = rec_doc_date(doc, "errors.1.at");
    int64_t claim3 = rec_doc_date(doc, "claimed_at");
    REC_CHECK(&env, fail2 - fail1 >= backoff,
              "attempt 2 failed %lld ms after attempt 1 (backoff %d ms): %s",
              (long long)(fail2 - fail1), backoff, json);
    REC_CHECK(&env, claim3 - fail2 >= backoff,
              "attempt 3 was claimed %lld ms after attempt 2 failed (backoff %d ms): %s",
              (long long)(claim3 - fail2), backoff, json);
    bson_free(json);
    bson_destroy(doc);
}

static void test_dead_after_default_max_retries(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"fail_times\": 10}");
    rec_host_start(&env, "A", (struct ts_host_opts){0});
    REC_CHECK(&env, rec_wait_state(&env, 1, "dead", 20000), "task 1 is not dead after 20 s");
    ts_sleep_ms(1000); /* a dead task is not run again */
    bson_t *doc = check_task(1, "dead", 3, 3, "failed");
    char *json = rec_doc_json(doc);
    REC_CHECK(&env, error_says(doc, 2, "record: planned failure 3 of 10"),
              "the last error lacks the plugin's message: %s", json);
    REC_CHECK(&env, !rec_doc_has(doc, "result.attempt"), "a dead task has a result: %s", json);
    bson_free(json);
    bson_destroy(doc);
}

static void test_task_max_retries(void **state)
{
    (void)state;
    rec_insert_task(&env, 1, "{\"fail_times\": 10}", 0, rec_wall_ms() - 1000, "\"max_retries\": 1");
    rec_host_start(&env, "A", (struct ts_host_opts){0});
    REC_CHECK(&env, rec_wait_state(&env, 1, "dead", 20000), "task 1 is not dead after 20 s");
    ts_sleep_ms(500);
    bson_destroy(check_task(1, "dead", 1, 1, "failed"));
}

static void test_permanent_failure(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"permanent\": true}");
    rec_host_start(&env, "A", (struct ts_host_opts){0});
    REC_CHECK(&env, rec_wait_state(&env, 1, "dead", 20000), "task 1 is not dead after 20 s");
    ts_sleep_ms(500);
    bson_t *doc = check_task(1, "dead", 1, 1, "permanent");
    char *json = rec_doc_json(doc);
    REC_CHECK(&env, error_says(doc, 0, "record: permanent failure as the payload asked"),
              "the error lacks the plugin's message: %s", json);
    bson_free(json);
    bson_destroy(doc);
}

/* A type's max_retries replaces the config's; a task's own replaces the type's. */
static void test_type_max_retries(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"fail_times\": 10}");
    rec_insert_task(&env, 2, "{\"fail_times\": 10}", 0, rec_wall_ms() - 1000, "\"max_retries\": 4");
    rec_host_start(
        &env, "A",
        (struct ts_host_opts){.max_retries = 3, .types = "{ type = \"rec\"; max_retries = 2; }"});
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"dead\"}", 2, 20000),
              "the tasks are not dead after 20 s");
    ts_sleep_ms(500);
    bson_destroy(check_task(1, "dead", 2, 2, "failed"));
    bson_destroy(check_task(2, "dead", 4, 4, "failed"));
}

static void test_timeout(void **state)
{
    (void)state;
    rec_insert_task(&env, 1, "{\"ms\": 5000}", 0, rec_wall_ms() - 1000, "\"max_retries\": 2");
    rec_host_start(&env, "A",
                   (struct ts_host_opts){.types = "{ type = \"rec\"; timeout_ms = 500; }"});
    REC_CHECK(&env, rec_wait_state(&env, 1, "dead", 20000), "task 1 is not dead after 20 s");
    bson_t *doc = check_task(1, "dead", 2, 2, "timeout");
    bson_destroy(doc);
    /* the plugin was told to stop: each run ended early */
    struct rec_log log = rec_log_read(&env);
    for (int i = 0; i < log.n; i++)
        REC_CHECK(&env, log.lines[i].start || strcmp(log.lines[i].status, "cancelled-timeout") == 0,
                  "a run ended with %s, expected cancelled-timeout", log.lines[i].status);
    REC_CHECK(&env, rec_log_count(&log, "end", "1", NULL) == 2, "expected 2 end lines");
    rec_log_free(&log);
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retried_until_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_after_default_max_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_max_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permanent_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_max_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
