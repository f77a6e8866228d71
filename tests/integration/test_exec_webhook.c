/*
 * The exec and webhook plugins in a real host against the real test server, as a user runs
 * them: tasks inserted as documents, results and errors read back. exec: an allowed command
 * with argv passed verbatim (no shell), a non-zero exit retried until dead, a timeout, a
 * command not allowed, a bad payload, cancellation killing the command. webhook (against
 * tests/http/httpd.py on 127.0.0.1): 200 done, 503 retried until dead, 503 then 200 done on a
 * later attempt, 404 dead at once, a host not allowed, a timeout retried.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ts.h"

static char *db;  /* a fresh database per test */
static char *dir; /* its temporary directory */
static pid_t host = -1;
static int http_port;
static pid_t http_pid = -1;

/* ---- the HTTP server (one for the whole file) ---- */

/* tests/http/httpd.py, found from the test server's script (tests/support/testserver). */
static char *httpd_path(void)
{
    char *path = malloc(strlen(TS_TESTSERVER) + 32);
    strcpy(path, TS_TESTSERVER);
    char *support = strstr(path, "/support/testserver");
    if (support == NULL)
        ts_fail("unexpected TS_TESTSERVER %s", TS_TESTSERVER);
    strcpy(support, "/http/httpd.py");
    return path;
}

static bool port_written(void *arg)
{
    char *text = ts_read_file(arg);
    bool ok = text != NULL && sscanf(text, "%d", &http_port) == 1;
    free(text);
    return ok;
}

static int start_http(void **state)
{
    (void)state;
    char *server_dir = ts_temp_dir();
    char *script = httpd_path();
    char port_file[600], log[600];
    snprintf(port_file, sizeof port_file, "%s/port", server_dir);
    snprintf(log, sizeof log, "%s/httpd.log", server_dir);
    const char *argv[] = {"python3", script, port_file, "900", NULL};
    http_pid = ts_spawn(argv, log);
    if (!ts_wait_until(port_written, port_file, 15000))
        ts_fail("the test HTTP server did not start in 15 s; its log: %s", log);
    free(script);
    free(server_dir);
    return 0;
}

static int stop_http(void **state)
{
    (void)state;
    ts_kill(http_pid, SIGTERM);
    ts_wait_exit(http_pid, 10000);
    return 0;
}

/* ---- per test ---- */

static int setup(void **state)
{
    (void)state;
    db = ts_unique_db("execwh");
    dir = ts_temp_dir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (host > 0) {
        int rc = ts_host_stop(host, 20000);
        host = -1;
        if (rc != 0)
            ts_fail("the host exited with %d", rc);
    }
    ts_drop_db(db);
    free(db);
    free(dir);
    return 0;
}

static void start_host(void)
{
    char settings[1000];
    snprintf(
        settings, sizeof settings,
        "exec: { allow = (\"sh=/bin/sh\", \"/usr/bin/printf\"); env = (\"PATH=/usr/bin:/bin\"); "
        "timeout_ms = 20000; kill_grace_ms = 500; };\n"
        "        webhook: { allow_hosts = (\"127.0.0.1\"); timeout_ms = 10000; };");
    struct ts_host_opts o = {.database = db, .plugin_settings = settings, .max_concurrency = 8};
    char *config = ts_host_config(&o);
    char log[600];
    snprintf(log, sizeof log, "%s/host.log", dir);
    host = ts_host_start(config, log);
    free(config);
}

/* ---- reading tasks ---- */

static bson_t *task(const char *id)
{
    char filter[200];
    snprintf(filter, sizeof filter, "{\"_id\": \"%s\"}", id);
    bson_t *doc = ts_find_one(db, "tasks", filter);
    if (doc == NULL)
        ts_fail("task %s is not in the database", id);
    return doc;
}

static bool find(const bson_t *doc, const char *path, bson_iter_t *it)
{
    bson_iter_t root;
    return bson_iter_init(&root, doc) && bson_iter_find_descendant(&root, path, it);
}

static const char *str_at(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return find(doc, path, &it) && BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : NULL;
}

static int64_t int_at(const bson_t *doc, const char *path)
{
    bson_iter_t it;
    return find(doc, path, &it) && BSON_ITER_HOLDS_NUMBER(&it) ? bson_iter_as_int64(&it) : -1;
}

/* Waits until task id is in a final state (done, dead or cancelled). */
static void wait_final(const char *id, int timeout_ms)
{
    char filter[300];
    snprintf(filter, sizeof filter,
             "{\"_id\": \"%s\", \"state\": {\"$in\": [\"done\", \"dead\", \"cancelled\"]}}", id);
    if (!ts_wait_count(db, "tasks", filter, 1, timeout_ms)) {
        bson_t *doc = task(id);
        char *json = bson_as_relaxed_extended_json(doc, NULL);
        ts_fail("task %s is not finished after %d ms: %s", id, timeout_ms, json);
    }
}

/*
 * Checks task id: state, attempts, the kind of its last error and that its last message
 * contains `message` (NULL: no errors expected). Returns the document (caller destroys).
 */
static bson_t *expect_task(const char *id, const char *state, int attempts, const char *kind,
                           const char *message)
{
    wait_final(id, 30000);
    bson_t *doc = task(id);
    char *json = bson_as_relaxed_extended_json(doc, NULL);
    const char *st = str_at(doc, "state");
    if (st == NULL || strcmp(st, state) != 0)
        fail_msg("task %s: expected state %s: %s", id, state, json);
    if (int_at(doc, "attempts") != attempts)
        fail_msg("task %s: expected %d attempts: %s", id, attempts, json);
    if (message != NULL) {
        char path[64];
        int last = strcmp(state, "done") == 0 ? attempts - 2 : attempts - 1;
        snprintf(path, sizeof path, "errors.%d.kind", last);
        const char *k = str_at(doc, path);
        if (k == NULL || strcmp(k, kind) != 0)
            fail_msg("task %s: %s is not %s: %s", id, path, kind, json);
        snprintf(path, sizeof path, "errors.%d.message", last);
        const char *m = str_at(doc, path);
        if (m == NULL || strstr(m, message) == NULL)
            fail_msg("task %s: %s lacks \"%s\": %s", id, path, message, json);
    }
    bson_free(json);
    return doc;
}

static void insert(const char *id, const char *type, const char *payload, const char *more)
{
    char json[2000];
    snprintf(json, sizeof json, "{\"_id\": \"%s\", \"type\": \"%s\", \"payload\": %s%s%s}", id,
             type, payload, more ? ", " : "", more ? more : "");
    ts_insert_json(db, "tasks", json);
}

/* ---- exec ---- */

static void test_exec_outcomes(void **state)
{
    (void)state;
    insert("argv", "exec",
           "{\"command\": \"printf\", \"args\": [\"<%s>\", \"two words\", \"it's \\\"quoted\\\"\", "
           "\"$HOME; rm -rf /\", \"*\"]}",
           NULL);
    insert("exit4", "exec",
           "{\"command\": \"sh\", \"args\": [\"-c\", \"echo doing; echo 'no space left' >&2; "
           "exit 4\"]}",
           "\"max_retries\": 2");
    insert("slow", "exec",
           "{\"command\": \"sh\", \"args\": [\"-c\", \"sleep 20\"], \"timeout_ms\": 300}",
           "\"max_retries\": 1");
    insert("rm", "exec", "{\"command\": \"rm\", \"args\": [\"-rf\", \"/tmp/x\"]}", NULL);
    insert("badargs", "exec", "{\"command\": \"sh\", \"args\": \"-c id\"}", NULL);
    int64_t start = ts_now_ms();
    start_host();

    bson_t *doc = expect_task("argv", "done", 1, NULL, NULL);
    const char *out = str_at(doc, "result.stdout_tail");
    if (out == NULL || strcmp(out, "<two words><it's \"quoted\"><$HOME; rm -rf /><*>") != 0)
        fail_msg("the arguments did not arrive verbatim: %s", out ? out : "(no stdout_tail)");
    assert_int_equal(int_at(doc, "result.exit_status"), 0);
    bson_destroy(doc);

    doc = expect_task("exit4", "dead", 2, "failed", "exec: sh exited with status 4");
    assert_non_null(strstr(str_at(doc, "errors.0.message"), "stderr: no space left"));
    bson_destroy(doc);
    bson_destroy(expect_task("slow", "dead", 1, "failed",
                             "exec: sh timed out after 300 ms and was stopped with SIGTERM"));
    bson_destroy(expect_task("rm", "dead", 1, "permanent",
                             "exec: command \"rm\" is not allowed; allowed: sh, printf"));
    bson_destroy(expect_task("badargs", "dead", 1, "permanent",
                             "payload field \"args\" must be an array of strings, not a string"));
    assert_true(ts_now_ms() - start < 30000);
}

/* True while a process runs `sleep 29.731` (the command of the cancellation test). */
static bool marker_sleep_runs(void *arg)
{
    (void)arg;
    DIR *d = opendir("/proc");
    bool found = false;
    struct dirent *e;
    while (d != NULL && !found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], cmd[256] = "";
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        found = n > 0 && memcmp(cmd,
                                "sleep\0"
                                "29.731",
                                12) == 0;
    }
    if (d != NULL)
        closedir(d);
    return found;
}

static bool marker_sleep_gone(void *arg)
{
    return !marker_sleep_runs(arg);
}

static void test_exec_cancellation_kills_the_command(void **state)
{
    (void)state;
    insert("long", "exec", "{\"command\": \"sh\", \"args\": [\"-c\", \"exec sleep 29.731\"]}",
           NULL);
    start_host();
    if (!ts_wait_until(marker_sleep_runs, NULL, 15000))
        fail_msg("the command did not start in 15 s");
    mongoc_collection_t *coll = mongoc_client_get_collection(ts_client(), db, "tasks");
    bson_t *filter = ts_bson("{\"_id\": \"long\"}");
    bson_t *update = ts_bson("{\"$set\": {\"cancel_requested\": true}}");
    bson_error_t error;
    if (!mongoc_collection_update_one(coll, filter, update, NULL, NULL, &error))
        fail_msg("cannot request cancellation: %s", error.message);
    bson_destroy(filter);
    bson_destroy(update);
    mongoc_collection_destroy(coll);
    int64_t asked = ts_now_ms();
    bson_destroy(expect_task("long", "cancelled", 1, NULL, NULL));
    assert_true(ts_wait_until(marker_sleep_gone, NULL, 5000));
    assert_true(ts_now_ms() - asked < 15000);
}

/* ---- webhook ---- */

/* A payload for a URL of the test HTTP server, with more fields `rest` (", ..." or ""). */
static const char *url_payload(const char *path, const char *rest)
{
    static char payload[400];
    snprintf(payload, sizeof payload, "{\"url\": \"http://127.0.0.1:%d%s\"%s}", http_port, path,
             rest);
    return payload;
}

static void test_webhook_outcomes(void **state)
{
    (void)state;
    insert("ok", "webhook", url_payload("/echo", ", \"body\": {\"order\": 17}"), NULL);
    insert("down", "webhook", url_payload("/status/503", ""), "\"max_retries\": 2");
    char flaky[100];
    snprintf(flaky, sizeof flaky, "/flaky/%s/1", db); /* a key of this test only */
    insert("flaky", "webhook", url_payload(flaky, ", \"method\": \"PUT\""), "\"max_retries\": 3");
    insert("missing", "webhook", url_payload("/status/404", ""), NULL);
    insert("elsewhere", "webhook", "{\"url\": \"http://example.com/hook\"}", NULL);
    insert("slow", "webhook", url_payload("/delay/5000", ", \"timeout_ms\": 300"),
           "\"max_retries\": 1");
    start_host();

    bson_t *doc = expect_task("ok", "done", 1, NULL, NULL);
    assert_int_equal(int_at(doc, "result.status"), 200);
    assert_string_equal(str_at(doc, "result.headers.content-type"), "application/json");
    const char *body = str_at(doc, "result.body_start");
    if (body == NULL || strstr(body, "\"body\": \"{ \\\"order\\\" : 17 }\"") == NULL)
        fail_msg("the echo lacks the JSON body: %s", body ? body : "(none)");
    bson_destroy(doc);

    char url[100];
    snprintf(url, sizeof url, "webhook: POST http://127.0.0.1:%d/status/503 answered 503",
             http_port);
    bson_destroy(expect_task("down", "dead", 2, "failed", url));
    doc = expect_task("flaky", "done", 2, "failed", "answered 503; body: busy, request 1");
    assert_int_equal(int_at(doc, "result.status"), 200);
    bson_destroy(doc);
    snprintf(url, sizeof url, "webhook: POST http://127.0.0.1:%d/status/404 answered 404",
             http_port);
    bson_destroy(expect_task("missing", "dead", 1, "permanent", url));
    bson_destroy(expect_task("elsewhere", "dead", 1, "permanent",
                             "host example.com is not allowed (allow_hosts: 127.0.0.1)"));
    bson_destroy(expect_task("slow", "dead", 1, "failed", "timed out after 300 ms"));
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exec_outcomes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_cancellation_kills_the_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook_outcomes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, start_http, stop_http);
}
