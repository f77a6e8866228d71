/*
 * Recovery: a host killed in the middle of a task loses it to another host once its lease
 * expires (and the task's document says so); malformed task documents are buried as dead with
 * a reason instead of stopping the host.
 */
#include "../plugins/record/record_harness.h"

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "recovery");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rec_env_cleanup(&env);
}

static const struct ts_host_opts short_lease = {.lease_ms = 2000, .heartbeat_ms = 500};

static void test_killed_host_task_taken_over(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"ms\": 4000}");
    struct rec_host *a = rec_host_start(&env, "A", short_lease);
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "A", 10000), "host A did not start task 1");
    struct rec_host *b = rec_host_start(&env, "B", short_lease);
    REC_CHECK(&env, rec_host_wait_ready(b, 10000), "host B did not start");
    ts_kill(a->pid, SIGKILL);
    REC_CHECK(&env, rec_host_wait_exit(a, 5000) == 128 + SIGKILL, "host A did not die");

    REC_CHECK(&env, rec_wait_state(&env, 1, "done", 20000), "task 1 is not done after 20 s");
    bson_t *doc = rec_task(&env, 1);
    char *json = rec_doc_json(doc);
    REC_CHECK(&env, rec_doc_len(doc, "errors") == 1, "expected one error: %s", json);
    const char *kind = rec_doc_str(doc, "errors.0.kind");
    const char *host = rec_doc_str(doc, "errors.0.host");
    const char *msg = rec_doc_str(doc, "errors.0.message");
    REC_CHECK(&env, kind && strcmp(kind, "lease_expired") == 0,
              "the error is not lease_expired: %s", json);
    REC_CHECK(&env, host && strcmp(host, "host-A") == 0, "the error does not name host-A: %s",
              json);
    REC_CHECK(&env, msg && strstr(msg, "host-A"), "the error message does not name host-A: %s",
              json);
    REC_CHECK(&env, rec_doc_int(doc, "host_deaths", -1) == 1, "host_deaths is not 1: %s", json);
    const char *by = rec_doc_str(doc, "result.host");
    REC_CHECK(&env, by && strcmp(by, "B") == 0, "the result is not from host B: %s", json);
    /* the lost attempt counts: B ran attempt 2 */
    REC_CHECK(&env, rec_doc_int(doc, "attempts", -1) == 2, "attempts is not 2: %s", json);
    bson_free(json);
    bson_destroy(doc);

    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", "1", NULL) == 2, "expected exactly 2 runs");
    REC_CHECK(&env, rec_log_count(&log, "start", "1", "B") == 1, "expected one run on B");
    REC_CHECK(&env, rec_log_count(&log, "end", "1", NULL) == 1, "expected one finished run");
    rec_log_free(&log);
    REC_CHECK(&env, rec_host_alive(b), "host B is gone");
}

/* Checks that malformed task id is dead with an error of kind malformed naming field. */
static void check_malformed(int id, const char *field)
{
    bson_t *doc = rec_task(&env, id);
    char *json = rec_doc_json(doc);
    const char *st = rec_doc_str(doc, "state");
    const char *kind = rec_doc_str(doc, "errors.0.kind");
    const char *msg = rec_doc_str(doc, "errors.0.message");
    REC_CHECK(&env, st && strcmp(st, "dead") == 0, "task %d is not dead: %s", id, json);
    REC_CHECK(&env, rec_doc_len(doc, "errors") == 1, "task %d: expected one error: %s", id, json);
    REC_CHECK(&env, kind && strcmp(kind, "malformed") == 0, "task %d: not malformed: %s", id, json);
    REC_CHECK(&env, msg && strstr(msg, field), "task %d: the message does not name %s: %s", id,
              field, json);
    bson_free(json);
    bson_destroy(doc);
}

static void test_malformed_documents_are_buried(void **state)
{
    (void)state;
    rec_insert(&env, "{\"_id\": 1, \"type\": \"rec\", \"payload\": \"a string\"}");
    char *bad_attempts = rec_printf(
        "{\"_id\": 2, \"type\": \"rec\", \"payload\": {}, \"state\": \"queued\", \"attempts\": "
        "\"two\", \"priority\": 0, \"run_at\": {\"$date\": {\"$numberLong\": \"%lld\"}}}",
        (long long)(rec_wall_ms() - 1000));
    rec_insert(&env, bad_attempts);
    free(bad_attempts);
    struct rec_host *a = rec_host_start(&env, "A", (struct ts_host_opts){0});
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"dead\"}", 2, 10000),
              "the malformed tasks are not dead after 10 s");
    check_malformed(1, "payload");
    check_malformed(2, "attempts");

    /* the host goes on with good tasks */
    for (int id = 3; id <= 5; id++)
        rec_insert_due(&env, id, NULL);
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", 3, 10000),
              "the good tasks inserted afterwards are not done");
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", "1", NULL) == 0, "malformed task 1 was run");
    REC_CHECK(&env, rec_log_count(&log, "start", "2", NULL) == 0, "malformed task 2 was run");
    REC_CHECK(&env, rec_log_count(&log, "start", NULL, NULL) == 3, "expected 3 runs");
    rec_log_free(&log);
    REC_CHECK(&env, rec_host_alive(a), "the host is gone");
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_killed_host_task_taken_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_documents_are_buried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
