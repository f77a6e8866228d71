/*
 * Fencing: a host that was paused (SIGSTOP) longer than its lease has lost its task to another
 * host; when it wakes up, nothing it reports about that task is recorded.
 */
#include "../plugins/record/record_harness.h"

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "fencing");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rec_env_cleanup(&env);
}

static const struct ts_host_opts short_lease = {.lease_ms = 2000, .heartbeat_ms = 500};

/* Checks the final document: done by B, one lease_expired error naming host-A. */
static void check_done_by_b(const bson_t *doc)
{
    char *json = rec_doc_json(doc);
    const char *st = rec_doc_str(doc, "state");
    const char *by = rec_doc_str(doc, "result.host");
    const char *kind = rec_doc_str(doc, "errors.0.kind");
    const char *host = rec_doc_str(doc, "errors.0.host");
    REC_CHECK(&env, st && strcmp(st, "done") == 0, "task 1 is not done: %s", json);
    REC_CHECK(&env, by && strcmp(by, "B") == 0, "the result is not host B's: %s", json);
    REC_CHECK(&env, rec_doc_len(doc, "errors") == 1, "expected one error: %s", json);
    REC_CHECK(&env, kind && strcmp(kind, "lease_expired") == 0,
              "the error is not lease_expired: %s", json);
    REC_CHECK(&env, host && strcmp(host, "host-A") == 0, "the error does not name host-A: %s",
              json);
    bson_free(json);
}

/* A wakes up after B finished the task: A's late outcome must not touch the document. */
static void test_late_result_after_takeover_is_refused(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"ms\": 3000}");
    struct rec_host *a = rec_host_start(&env, "A", short_lease);
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "A", 10000), "host A did not start task 1");
    ts_kill(a->pid, SIGSTOP);
    struct rec_host *b = rec_host_start(&env, "B", short_lease);
    REC_CHECK(&env, rec_wait_state(&env, 1, "done", 20000), "host B did not finish task 1");
    bson_t *finished = rec_task(&env, 1);
    check_done_by_b(finished);

    ts_kill(a->pid, SIGCONT);
    REC_CHECK(&env, rec_wait_file(a->log, "lease lost", 10000),
              "host A did not log that it lost the lease");
    REC_CHECK(&env, rec_wait_line(&env, "end", "1", "A", 10000), "host A's run did not end");
    ts_sleep_ms(2000); /* time for any late write of A to land */

    bson_t *later = rec_task(&env, 1);
    char *j1 = rec_doc_json(finished), *j2 = rec_doc_json(later);
    REC_CHECK(&env, rec_doc_date(later, "updated_at") == rec_doc_date(finished, "updated_at"),
              "the task was updated after B finished it:\nthen %s\nnow  %s", j1, j2);
    REC_CHECK(&env, bson_equal(finished, later),
              "the task changed after B finished it:\nthen %s\nnow  %s", j1, j2);
    bson_free(j1);
    bson_free(j2);
    bson_destroy(finished);
    bson_destroy(later);
    REC_CHECK(&env, rec_host_alive(a), "host A is gone");
    REC_CHECK(&env, rec_host_alive(b), "host B is gone");
}

/* A wakes up while B still runs the task: A stops, B's run is the one recorded. */
static void test_woken_host_yields_to_new_owner(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"ms\": 3000}");
    struct rec_host *a = rec_host_start(&env, "A", short_lease);
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "A", 10000), "host A did not start task 1");
    ts_kill(a->pid, SIGSTOP);
    rec_host_start(&env, "B", short_lease);
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "B", 15000), "host B did not take task 1");
    ts_kill(a->pid, SIGCONT);
    REC_CHECK(&env, rec_wait_line(&env, "end", "1", "A", 10000), "host A's run did not end");
    REC_CHECK(&env, rec_wait_state(&env, 1, "done", 20000), "task 1 is not done");
    ts_sleep_ms(1000);
    bson_t *doc = rec_task(&env, 1);
    check_done_by_b(doc);
    bson_destroy(doc);
    REC_CHECK(&env, ts_file_contains(a->log, "lease lost"),
              "host A did not log that it lost the lease");
    struct rec_log log = rec_log_read(&env);
    int i = rec_log_find(&log, "end", "1", "A");
    REC_CHECK(&env, strcmp(log.lines[i].status, "cancelled-lease_lost") == 0,
              "host A's run ended with %s, expected cancelled-lease_lost", log.lines[i].status);
    REC_CHECK(&env, rec_log_count(&log, "start", "1", NULL) == 2, "expected 2 runs");
    rec_log_free(&log);
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_late_result_after_takeover_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_woken_host_yields_to_new_owner, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
