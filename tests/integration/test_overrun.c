/*
 * A plugin that ignores cancellation and outlives its type's timeout: the host cannot stop
 * in-process code, so the run keeps its thread and its slot. The host must say so in its log
 * ("ignores cancellation"), keep its slot accounting right (with max_concurrency 2, the other
 * slot goes on running other tasks, and never more than 2 run at once), free the slot when the
 * run returns (both slots work again), and record the attempt as timed out.
 */
#include "../plugins/record/record_harness.h"

#define STUCK_MS   8000 /* how long the deaf run takes */
#define TIMEOUT_MS 1000 /* the type's timeout */
#define QUICK      6    /* quick tasks run beside it */
#define WAIT_MS    30000

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "overrun");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rec_env_cleanup(&env);
    return 0;
}

static struct rec_host *start_host(void)
{
    return rec_host_start(&env, "A",
                          (struct ts_host_opts){.max_concurrency = 2,
                                                .lease_ms = 3000,
                                                .heartbeat_ms = 500,
                                                .types = "{ type = \"rec\"; timeout_ms = 1000; }"});
}

/* The index of the end line of task id in the log, or -1. */
static int end_index(const struct rec_log *log, const char *id)
{
    return rec_log_find(log, "end", id, NULL);
}

/* Checks that task id is dead after one attempt that timed out. */
static void check_timed_out(int id)
{
    bson_t *doc = rec_task(&env, id);
    char *json = rec_doc_json(doc);
    const char *state = rec_doc_str(doc, "state");
    const char *kind = rec_doc_str(doc, "errors.0.kind");
    REC_CHECK(&env, state && strcmp(state, "dead") == 0,
              "task %d ran past its timeout (timeout_ms %d) and ignored the cancellation, but "
              "it is not dead with a timeout (max_retries 1): %s",
              id, TIMEOUT_MS, json);
    REC_CHECK(&env, kind && strcmp(kind, "timeout") == 0, "task %d: the error is not a timeout: %s",
              id, json);
    REC_CHECK(&env, rec_doc_len(doc, "errors") == 1, "task %d: expected one error: %s", id, json);
    bson_free(json);
    bson_destroy(doc);
}

/* Runs a deaf task (payload) beside quick ones and checks everything but its outcome. */
static void run_beside_quick_tasks(const char *payload)
{
    rec_insert_task(&env, 1, payload, 0, rec_wall_ms() - 1000, "\"max_retries\": 1");
    struct rec_host *a = start_host();
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "A", 15000), "the deaf task did not start");
    for (int id = 2; id < 2 + QUICK; id++)
        rec_insert_due(&env, id, "{\"ms\": 100}");

    /* the other slot keeps working while the deaf run holds its own */
    REC_CHECK(&env,
              ts_wait_count(env.db, "tasks", "{\"_id\": {\"$gte\": 2}, \"state\": \"done\"}", QUICK,
                            WAIT_MS),
              "the quick tasks are not done while the deaf task holds one slot");
    REC_CHECK(&env, rec_wait_file(a->log, "ignores cancellation", 10000),
              "the host did not report that the plugin ignores cancellation");
    REC_CHECK(&env,
              rec_wait_state(&env, 1, "dead", WAIT_MS) ||
                  ts_count(env.db, "tasks", "{\"_id\": 1, \"state\": \"done\"}") == 1,
              "the deaf task did not end");
    struct rec_log log = rec_log_read(&env);
    int deaf_end = end_index(&log, "1");
    for (int id = 2; id < 2 + QUICK; id++) {
        char sid[16];
        snprintf(sid, sizeof sid, "%d", id);
        int e = end_index(&log, sid);
        REC_CHECK(&env, e >= 0 && e < deaf_end,
                  "quick task %d did not finish while the deaf task still ran", id);
    }
    REC_CHECK(&env, rec_log_max_overlap(&log) <= 2,
              "%d tasks ran at once with max_concurrency 2: the overrunning task's slot was "
              "given away",
              rec_log_max_overlap(&log));
    rec_log_free(&log);

    /* once it returned, both slots work again: two tasks (shorter than the timeout) run side
     * by side */
    rec_insert_due(&env, 20, "{\"ms\": 700}");
    rec_insert_due(&env, 21, "{\"ms\": 700}");
    REC_CHECK(&env,
              ts_wait_count(env.db, "tasks", "{\"_id\": {\"$in\": [20, 21]}, \"state\": \"done\"}",
                            2, WAIT_MS),
              "the tasks inserted after the deaf one returned are not done");
    log = rec_log_read(&env);
    int s20 = rec_log_find(&log, "start", "20", NULL),
        s21 = rec_log_find(&log, "start", "21", NULL);
    int e20 = end_index(&log, "20"), e21 = end_index(&log, "21");
    REC_CHECK(&env, s20 < e21 && s21 < e20,
              "tasks 20 and 21 did not run at the same time: a slot is still taken");
    rec_log_free(&log);
    REC_CHECK(&env, rec_host_alive(a), "the host is gone");
}

/* A run that ignores the cancellation, then reports success: the work was done, so it is
 * recorded done with its result (sdk/include/taskhost/plugin.h, TH_CANCEL_TIMEOUT), not run
 * again. */
static void test_overrun_then_done(void **state)
{
    (void)state;
    char payload[64];
    snprintf(payload, sizeof payload, "{\"ms\": %d, \"ignore_cancel\": true}", STUCK_MS);
    run_beside_quick_tasks(payload);
    bson_t *doc = rec_task(&env, 1);
    char *json = rec_doc_json(doc);
    const char *st = rec_doc_str(doc, "state");
    REC_CHECK(&env, st && strcmp(st, "done") == 0, "the completed overrun is not done: %s", json);
    REC_CHECK(&env, rec_doc_has(doc, "result"), "its result was not recorded: %s", json);
    REC_CHECK(&env, rec_doc_len(doc, "errors") == 0, "an error was recorded: %s", json);
    bson_free(json);
    bson_destroy(doc);
}

/* A run that ignores the cancellation, then reports a failure: a timeout, not a failure. */
static void test_overrun_then_retry(void **state)
{
    (void)state;
    char payload[80];
    snprintf(payload, sizeof payload, "{\"ms\": %d, \"ignore_cancel\": true, \"fail_times\": 1}",
             STUCK_MS);
    run_beside_quick_tasks(payload);
    check_timed_out(1);
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_overrun_then_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrun_then_done, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
