/*
 * How many tasks a host runs at once: host.max_concurrency, and a type's own concurrency
 * limit below it. Measured from the execution log: every run writes a start line when it
 * begins and an end line when it ends, so the runs in progress at any moment are the start
 * lines so far minus the end lines so far.
 */
#include "../plugins/record/record_harness.h"

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "conc");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rec_env_cleanup(&env);
}

/* Inserts n due tasks of ms milliseconds with _ids 1..n. */
static void insert_tasks(int n, int ms)
{
    char payload[64];
    snprintf(payload, sizeof payload, "{\"ms\": %d}", ms);
    for (int i = 1; i <= n; i++)
        rec_insert_due(&env, i, payload);
}

/* Waits for n done tasks and checks each ran exactly once; returns the largest overlap. */
static int run_and_measure(int n)
{
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", n, 30000),
              "the %d tasks are not all done after 30 s", n);
    struct rec_log log = rec_log_read(&env);
    for (int i = 1; i <= n; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        REC_CHECK(&env, rec_log_count(&log, "start", id, NULL) == 1, "task %s ran %d times", id,
                  rec_log_count(&log, "start", id, NULL));
    }
    int overlap = rec_log_max_overlap(&log);
    rec_log_free(&log);
    return overlap;
}

static void test_max_concurrency_is_reached_and_kept(void **state)
{
    (void)state;
    insert_tasks(12, 300);
    rec_host_start(&env, "A", (struct ts_host_opts){.max_concurrency = 3});
    int overlap = run_and_measure(12);
    REC_CHECK(&env, overlap <= 3, "%d tasks ran at once with max_concurrency 3", overlap);
    REC_CHECK(&env, overlap == 3,
              "at most %d tasks ran at once with max_concurrency 3 and 12 "
              "tasks of 300 ms waiting",
              overlap);
}

static void test_type_concurrency_limit(void **state)
{
    (void)state;
    insert_tasks(6, 200);
    rec_host_start(&env, "A",
                   (struct ts_host_opts){.max_concurrency = 4,
                                         .types = "{ type = \"rec\"; concurrency = 1; }"});
    int overlap = run_and_measure(6);
    REC_CHECK(&env, overlap == 1, "%d tasks of type rec ran at once with its concurrency 1",
              overlap);
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_max_concurrency_is_reached_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_concurrency_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
