/*
 * Contention: three hosts (4 slots each) drain 1500 short tasks from one collection. Every
 * task must run exactly once (claims are atomic), all must end done, and every host must get
 * some. A third of the tasks are inserted by hand (type and payload only), so the hosts also
 * race to take them in.
 */
#include "../plugins/record/record_harness.h"

#define N_TASKS   1500
#define N_BY_HAND 500
#define N_HOSTS   3

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "contention");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rec_env_cleanup(&env);
}

/* Inserts the tasks in one bulk: _ids 1..N_TASKS, the first N_BY_HAND without a state. */
static void insert_all(void)
{
    bson_t *docs[N_TASKS];
    const bson_t *view[N_TASKS];
    int64_t due = rec_wall_ms() - 1000;
    for (int i = 0; i < N_TASKS; i++) {
        int id = i + 1;
        docs[i] = BCON_NEW("_id", BCON_INT32(id), "type", BCON_UTF8("rec"), "payload", "{", "ms",
                           BCON_INT32(0), "}");
        if (i >= N_BY_HAND) {
            BSON_APPEND_UTF8(docs[i], "state", "queued");
            BSON_APPEND_INT32(docs[i], "priority", 0);
            BSON_APPEND_INT32(docs[i], "attempts", 0);
            BSON_APPEND_DATE_TIME(docs[i], "run_at", due);
            BSON_APPEND_DATE_TIME(docs[i], "created_at", due);
        }
        view[i] = docs[i];
    }
    mongoc_collection_t *coll = mongoc_client_get_collection(ts_client(), env.db, "tasks");
    bson_error_t err;
    bool ok = mongoc_collection_insert_many(coll, view, N_TASKS, NULL, NULL, &err);
    mongoc_collection_destroy(coll);
    for (int i = 0; i < N_TASKS; i++)
        bson_destroy(docs[i]);
    REC_CHECK(&env, ok, "inserting the tasks: %s", err.message);
}

static void test_hosts_share_without_duplicates(void **state)
{
    (void)state;
    static const char *const labels[N_HOSTS] = {"A", "B", "C"};
    for (int i = 0; i < N_HOSTS; i++)
        rec_host_start(&env, labels[i], (struct ts_host_opts){.max_concurrency = 4});
    for (int i = 0; i < N_HOSTS; i++)
        REC_CHECK(&env, rec_host_wait_ready(&env.hosts[i], 15000), "host %s did not start",
                  labels[i]);
    int64_t t0 = ts_now_ms();
    insert_all();
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", N_TASKS, 90000),
              "the %d tasks are not all done after 90 s", N_TASKS);
    printf("# %d tasks done by %d hosts in %lld ms\n", N_TASKS, N_HOSTS,
           (long long)(ts_now_ms() - t0));

    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, log.n == 2 * N_TASKS, "the log has %d lines, expected %d", log.n, 2 * N_TASKS);
    /* each task's start line once: count by id */
    static int starts[N_TASKS + 1];
    memset(starts, 0, sizeof starts);
    for (int i = 0; i < log.n; i++) {
        int id = atoi(log.lines[i].id);
        REC_CHECK(&env, id >= 1 && id <= N_TASKS, "unknown task id %s", log.lines[i].id);
        if (log.lines[i].start)
            starts[id]++;
        else
            REC_CHECK(&env, strcmp(log.lines[i].status, "done") == 0, "task %d ended with %s", id,
                      log.lines[i].status);
    }
    for (int id = 1; id <= N_TASKS; id++)
        REC_CHECK(&env, starts[id] == 1, "task %d ran %d times", id, starts[id]);
    for (int i = 0; i < N_HOSTS; i++) {
        int n = rec_log_count(&log, "start", NULL, labels[i]);
        printf("# host %s ran %d tasks\n", labels[i], n);
        REC_CHECK(&env, n > 0, "host %s ran no task", labels[i]);
    }
    rec_log_free(&log);

    REC_CHECK(&env, ts_count(env.db, "tasks", "{\"attempts\": 1}") == N_TASKS,
              "not every task has attempts 1");
    REC_CHECK(&env, ts_count(env.db, "tasks", "{\"errors.0\": {\"$exists\": true}}") == 0,
              "some tasks have errors");
    for (int i = 0; i < N_HOSTS; i++)
        REC_CHECK(&env, rec_host_alive(&env.hosts[i]), "host %s is gone", labels[i]);
}

int main(void)
{
    ts_server_uri_or_skip();
    if (!ts_server_atomic()) {
        fprintf(stderr, "SKIP: test_contention needs a server whose findAndModify is atomic "
                        "(TS_SERVER_NONATOMIC=1 says this one's is not)\n");
        return TS_EXIT_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hosts_share_without_duplicates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
