/*
 * An idle host hears of a new task through a change stream and starts it at
 * once, long before its next poll; with change streams off, the same host
 * waits for the poll. Needs a server with change streams: the test server
 * is started with its oplog (TS_SERVER_OPLOG=1); with MONGODB_URI on a
 * standalone server the test is skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ts.h"

#define POLL_MS 600000 /* the longest poll interval: only a wake-up can be quick */
#define IDLE_MS 12000  /* the idle backoff (10 ms doubling) has reached 10 s waits */

struct idle_host {
    char *db, *log, *cfg;
    pid_t pid;
};

static void start_host(struct idle_host *h, const char *change_streams)
{
    h->db = ts_unique_db("wakeup");
    char *dir = ts_temp_dir();
    size_t n = strlen(dir) + 16;
    h->log = malloc(n);
    snprintf(h->log, n, "%s/host.log", dir);
    free(dir);
    h->cfg = ts_host_config(&(struct ts_host_opts){.database = h->db,
                                                   .change_streams = change_streams,
                                                   .poll_interval_ms = POLL_MS,
                                                   .max_concurrency = 4});
    h->pid = ts_host_start(h->cfg, h->log);
}

static void stop_host(struct idle_host *h)
{
    assert_int_equal(ts_host_stop(h->pid, 30000), 0);
    ts_drop_db(h->db);
    free(h->db);
    free(h->log);
    free(h->cfg);
}

static bool log_says(struct idle_host *h, const char *what, int timeout_ms)
{
    for (int64_t end = ts_now_ms() + timeout_ms; ts_now_ms() < end; ts_sleep_ms(50))
        if (ts_file_contains(h->log, what))
            return true;
    return false;
}

static void a_new_task_wakes_an_idle_host_at_once(void **state)
{
    (void)state;
    struct idle_host watching, polling;
    start_host(&watching, "auto");
    start_host(&polling, "off");
    if (!log_says(&watching, "following a change stream", 20000)) {
        if (!ts_server_can_restart() && ts_file_contains(watching.log, "no change stream")) {
            print_message("SKIP: the server at MONGODB_URI offers no change streams\n");
            stop_host(&watching);
            stop_host(&polling);
            exit(TS_EXIT_SKIP);
        }
        fail_msg("the host did not open a change stream; its log: %s", watching.log);
    }
    ts_sleep_ms(IDLE_MS);

    ts_insert_json(watching.db, "tasks", "{\"type\": \"noop\", \"payload\": {}}");
    ts_insert_json(polling.db, "tasks", "{\"type\": \"noop\", \"payload\": {}}");
    /* The next poll of either host is more than 8 s away. */
    assert_true(ts_wait_count(watching.db, "tasks", "{\"state\": \"done\"}", 1, 5000));
    assert_int_equal(ts_count(polling.db, "tasks", "{\"state\": \"done\"}"), 0);
    stop_host(&watching);
    stop_host(&polling);
}

int main(void)
{
    setenv("TS_SERVER_OPLOG", "1", 0);
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_task_wakes_an_idle_host_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
