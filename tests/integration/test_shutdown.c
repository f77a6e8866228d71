/*
 * Stopping `taskhost run`: SIGTERM stops claiming, lets running tasks finish within
 * shutdown_grace_ms, hands the others back untouched and exits 0; a second signal exits at
 * once with 128+signal; a bad config stops it before it starts, with exit status 78.
 */
#include "../plugins/record/record_harness.h"

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "shutdown");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rec_env_cleanup(&env);
}

/* The grace period ends before the task: it is handed back as if it had never run. */
static void test_long_task_handed_back(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"ms\": 20000}");
    struct rec_host *a =
        rec_host_start(&env, "A", (struct ts_host_opts){.shutdown_grace_ms = 1000});
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "A", 10000), "host A did not start task 1");
    ts_kill(a->pid, SIGTERM);
    int status = rec_host_wait_exit(a, 10000);
    REC_CHECK(&env, status == 0, "host A exited with %d (-1: still running after 10 s), expected 0",
              status);

    bson_t *doc = rec_task(&env, 1);
    char *json = rec_doc_json(doc);
    const char *st = rec_doc_str(doc, "state");
    REC_CHECK(&env, st && strcmp(st, "queued") == 0, "task 1 is not queued again: %s", json);
    REC_CHECK(&env, rec_doc_int(doc, "attempts", -1) == 0, "the attempt was counted: %s", json);
    REC_CHECK(&env, rec_doc_len(doc, "errors") == 0, "an error was recorded: %s", json);
    REC_CHECK(&env, !rec_doc_has(doc, "lease"), "the lease is still there: %s", json);
    bson_free(json);
    bson_destroy(doc);
    struct rec_log log = rec_log_read(&env);
    int end = rec_log_find(&log, "end", "1", "A");
    REC_CHECK(&env, end >= 0 && strcmp(log.lines[end].status, "cancelled-shutdown") == 0,
              "host A's run was not cancelled for the shutdown");
    rec_log_free(&log);

    /* another host runs it from the start */
    rec_host_start(&env, "B", (struct ts_host_opts){0});
    REC_CHECK(&env, rec_wait_state(&env, 1, "done", 40000), "host B did not finish task 1");
    doc = rec_task(&env, 1);
    json = rec_doc_json(doc);
    const char *by = rec_doc_str(doc, "result.host");
    REC_CHECK(&env, by && strcmp(by, "B") == 0, "the result is not host B's: %s", json);
    REC_CHECK(&env, rec_doc_int(doc, "attempts", -1) == 1, "attempts is not 1: %s", json);
    REC_CHECK(&env, rec_doc_int(doc, "result.attempt", -1) == 1, "B did not run attempt 1: %s",
              json);
    bson_free(json);
    bson_destroy(doc);
}

/* A task that ends within the grace period is finished and recorded before the exit. */
static void test_short_task_finishes(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"ms\": 500}");
    struct rec_host *a =
        rec_host_start(&env, "A", (struct ts_host_opts){.shutdown_grace_ms = 5000});
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "A", 10000), "host A did not start task 1");
    ts_kill(a->pid, SIGTERM);
    int status = rec_host_wait_exit(a, 10000);
    REC_CHECK(&env, status == 0, "host A exited with %d (-1: still running after 10 s), expected 0",
              status);
    bson_t *doc = rec_task(&env, 1);
    char *json = rec_doc_json(doc);
    const char *st = rec_doc_str(doc, "state");
    const char *by = rec_doc_str(doc, "result.host");
    REC_CHECK(&env, st && strcmp(st, "done") == 0, "task 1 is not done: %s", json);
    REC_CHECK(&env, by && strcmp(by, "A") == 0, "the result is not host A's: %s", json);
    REC_CHECK(&env, rec_doc_int(doc, "attempts", -1) == 1, "attempts is not 1: %s", json);
    bson_free(json);
    bson_destroy(doc);
    struct rec_log log = rec_log_read(&env);
    int end = rec_log_find(&log, "end", "1", "A");
    REC_CHECK(&env, end >= 0 && strcmp(log.lines[end].status, "done") == 0,
              "host A's run did not end with done");
    rec_log_free(&log);
}

/* A second SIGTERM does not wait for the grace period. */
static void test_second_signal_exits_at_once(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"ms\": 20000}");
    struct rec_host *a =
        rec_host_start(&env, "A", (struct ts_host_opts){.shutdown_grace_ms = 20000});
    REC_CHECK(&env, rec_wait_line(&env, "start", "1", "A", 10000), "host A did not start task 1");
    ts_kill(a->pid, SIGTERM);
    REC_CHECK(&env, rec_wait_file(a->log, "stopping (send it again", 5000),
              "host A did not log that it is stopping");
    ts_sleep_ms(200);
    REC_CHECK(&env, rec_host_alive(a), "host A did not wait for its running task");
    ts_kill(a->pid, SIGTERM);
    int status = rec_host_wait_exit(a, 5000);
    REC_CHECK(&env, status == 128 + SIGTERM,
              "host A exited with %d (-1: still running after 5 s), expected %d", status,
              128 + SIGTERM);
}

/* `taskhost run` with a config it cannot read exits 78 and names the file. */
static void test_bad_config_exits_78(void **state)
{
    (void)state;
    char *path = rec_printf("%s/broken.cfg", env.dir);
    char *log = rec_printf("%s/run.log", env.dir);
    FILE *f = fopen(path, "w");
    REC_CHECK(&env, f != NULL, "cannot write %s", path);
    fputs("mongodb: { database = \"x\"; };\nhost: { max_concurrency = ; };\n", f);
    fclose(f);
    const char *argv[] = {TS_HOST_BIN, "run", "-c", path, NULL};
    pid_t pid = ts_spawn(argv, log);
    int status = ts_wait_exit(pid, 10000);
    char *out = ts_read_file(log);
    REC_CHECK(&env, status == 78, "exit status %d, expected 78; output:\n%s", status, out);
    REC_CHECK(&env, out && strstr(out, path), "the message does not name %s:\n%s", path, out);
    free(out);
    free(path);
    free(log);
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_long_task_handed_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_task_finishes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_signal_exits_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config_exits_78, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
