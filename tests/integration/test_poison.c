/*
 * Poison tasks: a task whose plugin crashes the process (SIGSEGV in run) takes down every host
 * that runs it. Restarted as a supervisor would, the hosts must not crash-loop forever: every
 * host death is counted on the task (host_deaths, an error of kind lease_expired), and after
 * host.max_host_deaths the task is dead with an error of kind "quarantined". The other tasks
 * are all done and the hosts keep running afterwards. A task that happened to run beside the
 * poison task when it crashed its host runs alone afterwards, like the poison task, so it
 * collects one host death at most and is never quarantined with it.
 */
#include "../plugins/record/record_harness.h"

#define MAX_DEATHS 3
#define GOOD_TASKS 10
#define WAIT_MS    60000
#define RESTART_MS 500

static struct rec_env env;

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "poison");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rec_env_cleanup(&env);
    return 0;
}

/* Short leases so that crashed hosts' tasks come back quickly; max_retries high so that the
 * task is stopped by max_host_deaths and not by the retry limit. */
static const struct ts_host_opts poison_opts = {
    .lease_ms = 2000,
    .heartbeat_ms = 500,
    .max_host_deaths = MAX_DEATHS,
    .max_retries = 10,
    .max_concurrency = 1,
};

/* The supervisor of the test: the hosts that run now, restarted when they die. */
struct fleet {
    struct ts_host_opts opts;
    struct rec_host *running[2];
    int crashes;
    int restarts;
};

/* Restarts the hosts that died; each must have died of the crash (SIGSEGV; under ASan its
 * SEGV handler exits with an error status instead), not exited in an orderly way. */
static void restart_dead_hosts(struct fleet *f)
{
    for (int i = 0; i < 2; i++) {
        struct rec_host *h = f->running[i];
        int status = rec_host_wait_exit(h, 0);
        if (status < 0)
            continue;
        f->crashes++;
        REC_CHECK(&env, status != 0, "host %s exited with status 0 instead of crashing",
                  h->host_id);
        char *log = ts_read_file(h->log);
        REC_CHECK(&env, log == NULL || strstr(log, "stopped cleanly") == NULL,
                  "host %s stopped cleanly instead of crashing", h->host_id);
        free(log);
        REC_CHECK(&env, f->crashes <= MAX_DEATHS,
                  "hosts crashed %d times: the poison task was not quarantined after "
                  "max_host_deaths = %d",
                  f->crashes, MAX_DEATHS);
        ts_sleep_ms(RESTART_MS); /* like systemd's RestartSec */
        char label[16];
        snprintf(label, sizeof label, "%c%d", 'A' + i, ++f->restarts);
        f->running[i] = rec_host_start(&env, label, f->opts);
    }
}

static bool task_dead(void *arg)
{
    (void)arg;
    return ts_count(env.db, "tasks", "{\"_id\": 1, \"state\": \"dead\"}") == 1;
}

/* Supervises the hosts until task 1 is dead. */
static void supervise_until_quarantined(struct fleet *f)
{
    int64_t deadline = ts_now_ms() + WAIT_MS;
    while (!task_dead(NULL)) {
        REC_CHECK(&env, ts_now_ms() < deadline, "the poison task is not dead after %d s",
                  WAIT_MS / 1000);
        restart_dead_hosts(f);
        ts_sleep_ms(100);
    }
}

static void check_quarantined(void)
{
    bson_t *doc = rec_task(&env, 1);
    char *json = rec_doc_json(doc);
    char path[32];
    REC_CHECK(&env, rec_doc_len(doc, "errors") == MAX_DEATHS, "expected %d errors: %s", MAX_DEATHS,
              json);
    for (int i = 0; i < MAX_DEATHS - 1; i++) {
        snprintf(path, sizeof path, "errors.%d.kind", i);
        const char *kind = rec_doc_str(doc, path);
        REC_CHECK(&env, kind && strcmp(kind, "lease_expired") == 0,
                  "error %d is not lease_expired: %s", i, json);
    }
    snprintf(path, sizeof path, "errors.%d.kind", MAX_DEATHS - 1);
    const char *kind = rec_doc_str(doc, path);
    snprintf(path, sizeof path, "errors.%d.message", MAX_DEATHS - 1);
    const char *msg = rec_doc_str(doc, path);
    REC_CHECK(&env, kind && strcmp(kind, "quarantined") == 0,
              "the last error is not quarantined: %s", json);
    REC_CHECK(&env, msg && strstr(msg, "max_host_deaths"),
              "the quarantine message does not name host.max_host_deaths: %s", json);
    REC_CHECK(&env, rec_doc_int(doc, "host_deaths", -1) == MAX_DEATHS, "host_deaths is not %d: %s",
              MAX_DEATHS, json);
    REC_CHECK(&env, rec_doc_int(doc, "attempts", -1) == MAX_DEATHS, "attempts is not %d: %s",
              MAX_DEATHS, json);
    REC_CHECK(&env, !rec_doc_has(doc, "lease"), "the dead task still has a lease: %s", json);
    bson_free(json);
    bson_destroy(doc);
}

static void test_poison_task_is_quarantined(void **state)
{
    (void)state;
    rec_insert_due(&env, 1, "{\"crash\": true}");
    for (int id = 2; id <= GOOD_TASKS + 1; id++)
        rec_insert_due(&env, id, "{\"ms\": 100}");
    struct fleet f = {
        poison_opts,
        {rec_host_start(&env, "A", poison_opts), rec_host_start(&env, "B", poison_opts)},
        0,
        0};
    supervise_until_quarantined(&f);
    restart_dead_hosts(&f); /* counts a death seen only now */
    check_quarantined();

    /* every crash was a run of task 1 (a start line and no end), and nothing else crashed */
    struct rec_log log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", "1", NULL) == MAX_DEATHS,
              "task 1 ran %d times, expected %d (one per host death)",
              rec_log_count(&log, "start", "1", NULL), MAX_DEATHS);
    REC_CHECK(&env, rec_log_count(&log, "end", "1", NULL) == 0, "a run of task 1 ended");
    rec_log_free(&log);
    REC_CHECK(&env, f.crashes == MAX_DEATHS, "hosts crashed %d times, expected %d", f.crashes,
              MAX_DEATHS);

    /* the good tasks are done, and the hosts go on working: no more crashes */
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", GOOD_TASKS, WAIT_MS),
              "the other tasks are not all done");
    for (int id = GOOD_TASKS + 2; id <= GOOD_TASKS + 6; id++)
        rec_insert_due(&env, id, "{\"ms\": 100}");
    REC_CHECK(&env,
              ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", GOOD_TASKS + 5, WAIT_MS),
              "tasks inserted after the quarantine are not all done");
    ts_sleep_ms(2 * poison_opts.lease_ms);
    for (int i = 0; i < 2; i++)
        REC_CHECK(&env, rec_host_alive(f.running[i]), "host %s is gone after the quarantine",
                  f.running[i]->host_id);
    log = rec_log_read(&env);
    REC_CHECK(&env, rec_log_count(&log, "start", "1", NULL) == MAX_DEATHS,
              "the quarantined task ran again");
    rec_log_free(&log);
}

/* Four slots per host: each crash takes down the tasks that run beside the poison task, and
 * their leases expire together with its lease. Rescued, each runs alone: at most one death. */
static void test_bystanders_collect_one_death_at_most(void **state)
{
    (void)state;
    enum { BYSTANDERS = 12 };
    struct ts_host_opts opts = poison_opts;
    opts.max_concurrency = 4;
    rec_insert_due(&env, 1, "{\"crash\": true}"); /* first: claimed with the first batch */
    for (int id = 2; id <= BYSTANDERS + 1; id++)
        rec_insert_due(&env, id, "{\"ms\": 1500}");
    struct fleet f = {
        opts, {rec_host_start(&env, "A", opts), rec_host_start(&env, "B", opts)}, 0, 0};
    supervise_until_quarantined(&f);
    restart_dead_hosts(&f);
    check_quarantined();
    REC_CHECK(&env, ts_wait_count(env.db, "tasks", "{\"state\": \"done\"}", BYSTANDERS, WAIT_MS),
              "the tasks that ran beside the poison task are not all done");
    int hit = 0;
    for (int id = 2; id <= BYSTANDERS + 1; id++) {
        bson_t *doc = rec_task(&env, id);
        int64_t deaths = rec_doc_int(doc, "host_deaths", 0);
        bson_destroy(doc);
        REC_CHECK(&env, deaths <= 1, "task %d collected %lld host deaths beside the poison task",
                  id, (long long)deaths);
        hit += deaths == 1;
    }
    REC_CHECK(&env, hit > 0, "no task ran beside the poison task: the test did not test");
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_poison_task_is_quarantined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bystanders_collect_one_death_at_most, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
