/* The webhook plugin (plugins/webhook) run through the real api table with
 * hand-made task attempts against a local HTTP server (tests/http/httpd.py,
 * on 127.0.0.1): methods, headers and bodies sent, statuses and what they
 * become, timeouts, refused connections, cancellation, heartbeats, the start
 * of the body, allowed and refused hosts, and the checks of settings and
 * payloads. */
#include "test_plugin_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "plugin/host_api.h"

/* ---- the HTTP server ---- */

static pid_t server_pid;
static int server_port;
static char *server_dir;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start_server(void **state)
{
    (void)state;
    server_dir = tmp_dir();
    char port_file[600], log_file[600];
    snprintf(port_file, sizeof port_file, "%s/port", server_dir);
    snprintf(log_file, sizeof log_file, "%s/httpd.log", server_dir);
    char *const argv[] = {"python3", TEST_SOURCE_DIR "/http/httpd.py", port_file, "600", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    extern char **environ;
    int rc = posix_spawnp(&server_pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        print_error("cannot start python3 for the test HTTP server: %s\n", strerror(rc));
        return -1;
    }
    for (int64_t end = now_ms() + 15000; now_ms() < end;) {
        FILE *f = fopen(port_file, "r");
        if (f != NULL) {
            int ok = fscanf(f, "%d", &server_port);
            fclose(f);
            if (ok == 1)
                return 0;
        }
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    print_error("the test HTTP server did not start in 15 s (log: %s)\n", log_file);
    return -1;
}

static int stop_server(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    rm_tree(server_dir);
    return 0;
}

/* ---- helpers ---- */

struct loaded {
    struct plugin p;
    struct test_cfg cfg;
    bool has_cfg;
};

static void open_webhook(struct plugin *p)
{
    struct error err;
    if (!plugin_open(SHIPPED_PLUGIN_DIR "/webhook.so", p, &err))
        fail_msg("%s", err.msg);
}

static void load(struct loaded *l, const char *block)
{
    memset(l, 0, sizeof *l);
    open_webhook(&l->p);
    const struct plugin_block *b = NULL;
    if (block != NULL) {
        char text[4000];
        snprintf(text, sizeof text, "plugins = { settings = { webhook = {\n%s\n}; }; };\n", block);
        test_cfg_load(&l->cfg, text);
        l->has_cfg = true;
        b = test_cfg_block(&l->cfg, "webhook");
    }
    struct error err;
    if (!plugin_init(&l->p, host_api(), b, NULL, &err))
        fail_msg("%s", err.msg);
}

/* Allows 127.0.0.1 (and `extra` settings). */
static void load_std(struct loaded *l, const char *extra)
{
    char block[2000];
    snprintf(block, sizeof block, "allow_hosts = (\"127.0.0.1\", \"hooks.example.com\");\n%s",
             extra != NULL ? extra : "");
    load(l, block);
}

static void unload(struct loaded *l)
{
    plugin_close(&l->p);
    if (l->has_cfg)
        test_cfg_free(&l->cfg);
}

static void expect_init_fails(const char *block, const char *expected)
{
    struct plugin p;
    struct test_cfg cfg;
    struct error err;
    open_webhook(&p);
    char text[4000];
    snprintf(text, sizeof text, "plugins = { settings = { webhook = {\n%s\n}; }; };\n", block);
    test_cfg_load(&cfg, text);
    if (plugin_init(&p, host_api(), test_cfg_block(&cfg, "webhook"), NULL, &err))
        fail_msg("init accepted: %s", block);
    plugin_close(&p);
    test_cfg_free(&cfg);
    if (strstr(err.msg, expected) == NULL)
        fail_msg("settings %s\n  gave \"%s\"\n  which lacks \"%s\"", block, err.msg, expected);
}

static th_status run(struct loaded *l, struct th_task *t)
{
    return l->p.desc.run(l->p.state, t);
}

/* Runs a payload in which every "%d" stands for the server's port. */
static th_status run_fmt(struct loaded *l, struct th_task *t, const char *tmpl)
{
    char payload[4000], port[16];
    snprintf(port, sizeof port, "%d", server_port);
    size_t o = 0;
    for (const char *p = tmpl; *p != '\0' && o + 16 < sizeof payload; p++) {
        if (p[0] == '%' && p[1] == 'd') {
            memcpy(payload + o, port, strlen(port));
            o += strlen(port);
            p++;
        } else {
            payload[o++] = *p;
        }
    }
    payload[o] = '\0';
    test_task(t, "webhook", 1, payload);
    return run(l, t);
}

static bool result_iter(const struct th_task *t, const char *path, bson_iter_t *it)
{
    bson_iter_t root;
    assert_non_null(t->result);
    return bson_iter_init(&root, t->result) && bson_iter_find_descendant(&root, path, it);
}

static const char *result_str(const struct th_task *t, const char *path)
{
    bson_iter_t it;
    if (!result_iter(t, path, &it) || !BSON_ITER_HOLDS_UTF8(&it))
        fail_msg("the result has no string %s", path);
    return bson_iter_utf8(&it, NULL);
}

static int64_t result_int(const struct th_task *t, const char *path)
{
    bson_iter_t it;
    if (!result_iter(t, path, &it) || !(BSON_ITER_HOLDS_NUMBER(&it) || BSON_ITER_HOLDS_BOOL(&it)))
        fail_msg("the result has no number %s", path);
    return BSON_ITER_HOLDS_BOOL(&it) ? bson_iter_bool(&it) : bson_iter_as_int64(&it);
}

/* The echo server's answer (the result's body_start) as a document. */
static bson_t *echoed(const struct th_task *t)
{
    bson_error_t error;
    const char *body = result_str(t, "body_start");
    bson_t *doc = bson_new_from_json((const uint8_t *)body, -1, &error);
    if (doc == NULL)
        fail_msg("the echo is not JSON (%s): %s", error.message, body);
    return doc;
}

static const char *echo_str(const bson_t *doc, const char *path)
{
    bson_iter_t root, it;
    if (!bson_iter_init(&root, doc) || !bson_iter_find_descendant(&root, path, &it) ||
        !BSON_ITER_HOLDS_UTF8(&it))
        return NULL;
    return bson_iter_utf8(&it, NULL);
}

#define assert_echo(doc, path, expected)                                                           \
    do {                                                                                           \
        const char *v_ = echo_str((doc), (path));                                                  \
        if (v_ == NULL || strcmp(v_, (expected)) != 0)                                             \
            fail_msg("echo %s is \"%s\", expected \"%s\"", (path), v_ ? v_ : "(absent)",           \
                     (expected));                                                                  \
    } while (0)

/* ---- requests ---- */

static void test_post_sends_a_document_as_json(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "headers = (\"X-Source: taskhost\"); user_agent = \"hooks-test/1\";");
    struct th_task t;
    assert_int_equal(
        run_fmt(&l, &t,
                "{\"url\": \"http://127.0.0.1:%d/echo?x=1\", \"headers\": {\"X-Token\": "
                "\"abc\"}, \"body\": {\"a\": 1, \"s\": \"x\"}}"),
        TH_DONE);
    assert_int_equal(result_int(&t, "status"), 200);
    assert_string_equal(result_str(&t, "headers.content-type"), "application/json");
    assert_int_equal(result_int(&t, "body_truncated"), 0);
    assert_true(result_int(&t, "body_bytes") > 100);
    assert_true(result_int(&t, "duration_ms") >= 0);
    bson_t *echo = echoed(&t);
    assert_echo(echo, "method", "POST");
    assert_echo(echo, "path", "/echo?x=1");
    assert_echo(echo, "body", "{ \"a\" : 1, \"s\" : \"x\" }");
    assert_echo(echo, "headers.content-type", "application/json");
    assert_echo(echo, "headers.x-token", "abc");
    assert_echo(echo, "headers.x-source", "taskhost");
    assert_echo(echo, "headers.user-agent", "hooks-test/1");
    assert_null(echo_str(echo, "headers.expect"));
    bson_destroy(echo);
    task_destroy(&t);
    unload(&l);
}

static void test_methods_and_string_bodies(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct {
        const char *payload, *method, *body;
    } cases[] = {
        {"{\"url\": \"http://127.0.0.1:%d/echo\"}", "POST", ""},
        {"{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"GET\"}", "GET", ""},
        {"{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"put\", \"body\": \"line 1\\n\"}",
         "PUT", "line 1\n"},
        {"{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"PATCH\", \"body\": \"p\"}", "PATCH",
         "p"},
        {"{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"DELETE\"}", "DELETE", ""},
        {"{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"DELETE\", \"body\": \"d\"}",
         "DELETE", "d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct th_task t;
        assert_int_equal(run_fmt(&l, &t, cases[i].payload), TH_DONE);
        bson_t *echo = echoed(&t);
        assert_echo(echo, "method", cases[i].method);
        assert_echo(echo, "body", cases[i].body);
        if (cases[i].body[0] != '\0')
            assert_echo(echo, "headers.content-type", "text/plain; charset=utf-8");
        bson_destroy(echo);
        task_destroy(&t);
    }
    struct th_task t;
    assert_int_equal(run_fmt(&l, &t,
                             "{\"url\": \"http://127.0.0.1:%d/status/200\", \"method\": "
                             "\"HEAD\"}"),
                     TH_DONE);
    assert_int_equal(result_int(&t, "status"), 200);
    assert_string_equal(result_str(&t, "body_start"), "");
    task_destroy(&t);
    unload(&l);
}

static void test_payload_headers_replace_the_settings(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "headers = (\"X-Source: taskhost\", \"X-Other: kept\");");
    struct th_task t;
    assert_int_equal(run_fmt(&l, &t,
                             "{\"url\": \"http://127.0.0.1:%d/echo\", \"headers\": {\"x-source\": "
                             "\"me\", \"Content-Type\": \"application/x-thing\", \"X-Empty\": "
                             "\"\"}, \"body\": {\"k\": true}}"),
                     TH_DONE);
    bson_t *echo = echoed(&t);
    assert_echo(echo, "headers.x-source", "me");
    assert_echo(echo, "headers.x-other", "kept");
    assert_echo(echo, "headers.x-empty", "");
    assert_echo(echo, "headers.content-type", "application/x-thing");
    bson_destroy(echo);
    task_destroy(&t);
    unload(&l);
}

/* ---- statuses ---- */

static void test_statuses(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct {
        int code;
        th_status expected;
    } cases[] = {{200, TH_DONE},  {201, TH_DONE},  {204, TH_DONE}, {304, TH_DONE},  {400, TH_FAIL},
                 {401, TH_FAIL},  {404, TH_FAIL},  {410, TH_FAIL}, {408, TH_RETRY}, {429, TH_RETRY},
                 {500, TH_RETRY}, {502, TH_RETRY}, {503, TH_RETRY}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char payload[200];
        snprintf(payload, sizeof payload, "{\"url\": \"http://127.0.0.1:%s/status/%d\"}", "%d",
                 cases[i].code);
        struct th_task t;
        th_status got = run_fmt(&l, &t, payload);
        if (got != cases[i].expected)
            fail_msg("status %d gave %d, expected %d (%s)", cases[i].code, got, cases[i].expected,
                     t.fail_msg);
        if (got == TH_DONE) {
            assert_int_equal(result_int(&t, "status"), cases[i].code);
        } else {
            char expected[200];
            snprintf(expected, sizeof expected,
                     "webhook: POST http://127.0.0.1:%d/status/%d answered %d", server_port,
                     cases[i].code, cases[i].code);
            assert_contains(t.fail_msg, expected);
            assert_null(t.result);
        }
        task_destroy(&t);
    }
    struct th_task t;
    assert_int_equal(run_fmt(&l, &t, "{\"url\": \"http://127.0.0.1:%d/status/404\"}"), TH_FAIL);
    assert_contains(t.fail_msg, "answered 404; body: status 404");
    task_destroy(&t);
    assert_int_equal(run_fmt(&l, &t, "{\"url\": \"http://127.0.0.1:%d/retry-after\"}"), TH_RETRY);
    assert_contains(t.fail_msg, "answered 429 (Retry-After: 7); body: slow down");
    task_destroy(&t);
    unload(&l);
}

static void test_redirects_are_not_followed(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    assert_int_equal(
        run_fmt(&l, &t,
                "{\"url\": \"http://127.0.0.1:%d/redirect?to=http://evil.example.net/steal\", "
                "\"method\": \"GET\"}"),
        TH_DONE);
    assert_int_equal(result_int(&t, "status"), 302);
    assert_string_equal(result_str(&t, "headers.location"), "http://evil.example.net/steal");
    assert_string_equal(result_str(&t, "body_start"), "moved");
    task_destroy(&t);
    unload(&l);
}

static void test_flaky_endpoint_succeeds_on_a_later_attempt(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    const char *payload = "{\"url\": \"http://127.0.0.1:%d/flaky/unit/2\", \"method\": \"GET\"}";
    assert_int_equal(run_fmt(&l, &t, payload), TH_RETRY);
    assert_contains(t.fail_msg, "answered 503; body: busy, request 1");
    task_destroy(&t);
    assert_int_equal(run_fmt(&l, &t, payload), TH_RETRY);
    task_destroy(&t);
    assert_int_equal(run_fmt(&l, &t, payload), TH_DONE);
    assert_string_equal(result_str(&t, "body_start"), "{\"key\": \"unit\", \"request\": 3}");
    task_destroy(&t);
    unload(&l);
}

/* ---- failures without an answer ---- */

static void test_timeout_is_retried(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "timeout_ms = 5000;");
    struct th_task t;
    int64_t start = now_ms();
    assert_int_equal(
        run_fmt(&l, &t, "{\"url\": \"http://127.0.0.1:%d/delay/4000\", \"timeout_ms\": 300}"),
        TH_RETRY);
    int64_t took = now_ms() - start;
    assert_true(took >= 290 && took < 2500);
    char expected[200];
    snprintf(expected, sizeof expected,
             "webhook: POST http://127.0.0.1:%d/delay/4000 timed out after 300 ms", server_port);
    assert_contains(t.fail_msg, expected);
    task_destroy(&t);
    unload(&l);
}

static void test_refused_connection_is_retried(void **state)
{
    (void)state;
    /* a port nobody listens on: bound, then closed */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    close(s);
    struct loaded l;
    load_std(&l, NULL);
    char payload[200];
    snprintf(payload, sizeof payload, "{\"url\": \"http://127.0.0.1:%d/\"}", ntohs(a.sin_port));
    struct th_task t;
    test_task(&t, "webhook", 1, payload);
    assert_int_equal(run(&l, &t), TH_RETRY);
    assert_contains(t.fail_msg, "failed: Couldn't connect to server");
    task_destroy(&t);
    unload(&l);
}

struct canceller {
    struct th_task *task;
    int64_t after_ms;
};

static void *cancel_later(void *arg)
{
    const struct canceller *c = arg;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = c->after_ms * 1000000};
    nanosleep(&ts, NULL);
    task_cancel(c->task, TH_CANCEL_REQUESTED);
    return NULL;
}

static void test_cancellation_aborts_the_request(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    char payload[200];
    snprintf(payload, sizeof payload, "{\"url\": \"http://127.0.0.1:%d/delay/8000\"}", server_port);
    test_task(&t, "webhook", 1, payload);
    struct canceller c = {.task = &t, .after_ms = 200};
    pthread_t thread;
    int64_t start = now_ms();
    assert_int_equal(pthread_create(&thread, NULL, cancel_later, &c), 0);
    assert_int_equal(run(&l, &t), TH_RETRY);
    int64_t took = now_ms() - start;
    pthread_join(thread, NULL);
    assert_true(took >= 190 && took < 3000);
    char expected[200];
    snprintf(expected, sizeof expected,
             "cancelled: cancel requested (webhook: POST http://127.0.0.1:%d/delay/8000 aborted)",
             server_port);
    assert_string_equal(t.fail_msg, expected);
    task_destroy(&t);
    unload(&l);
}

static void test_heartbeats_while_waiting(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct th_task t;
    assert_int_equal(run_fmt(&l, &t, "{\"url\": \"http://127.0.0.1:%d/delay/1300\"}"), TH_DONE);
    double progress = 0;
    char note[TASK_NOTE_MAX];
    assert_true(task_take_progress(&t, &progress, note, sizeof note));
    assert_true(progress < 0);
    assert_contains(note, "waiting for 1 s; sent 0 of 0 bytes, received 0");
    task_destroy(&t);
    unload(&l);
}

/* ---- the body ---- */

static void test_body_start_is_kept_and_made_text(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "max_body_bytes = 10;");
    struct th_task t;
    assert_int_equal(run_fmt(&l, &t,
                             "{\"url\": \"http://127.0.0.1:%d/bytes/500000\", \"method\": "
                             "\"GET\"}"),
                     TH_DONE);
    assert_string_equal(result_str(&t, "body_start"), "0123456789");
    assert_int_equal(result_int(&t, "body_truncated"), 1);
    assert_true(result_int(&t, "body_bytes") >= 10);
    assert_true(result_int(&t, "body_bytes") < 500000); /* reading stopped */
    task_destroy(&t);
    unload(&l);

    load_std(&l, NULL);
    assert_int_equal(run_fmt(&l, &t,
                             "{\"url\": \"http://127.0.0.1:%d/binary\", \"method\": "
                             "\"GET\"}"),
                     TH_DONE);
    const char *text = result_str(&t, "body_start");
    assert_int_equal(strlen(text), 127 + 129 * 3); /* 0x01-0x7f kept, the rest U+FFFD */
    assert_memory_equal(text, "\xef\xbf\xbd\x01\x02", 5);
    assert_true(bson_utf8_validate(text, strlen(text), false));
    assert_int_equal(result_int(&t, "body_bytes"), 256);
    task_destroy(&t);
    unload(&l);
}

/* ---- hosts ---- */

static void test_hosts_not_allowed_are_refused(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct {
        const char *url, *message;
    } cases[] = {
        {"http://example.com/", "host example.com is not allowed (allow_hosts: 127.0.0.1, "
                                "hooks.example.com)"},
        {"http://127.0.0.1@example.com/", "host example.com is not allowed"},
        {"http://127.0.0.1.evil.net/", "host 127.0.0.1.evil.net is not allowed"},
        {"http://sub.hooks.example.com/", "host sub.hooks.example.com is not allowed"},
        {"ftp://127.0.0.1/x", "only http and https URLs are allowed, not ftp"},
        {"file:///etc/passwd", "only http and https URLs are allowed, not file"},
        {"nosuch://127.0.0.1/", "is not a valid URL"},
        {"127.0.0.1/x", "is not a valid URL"},
        {"http://127.0.0.1:99999/", "is not a valid URL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char payload[300];
        snprintf(payload, sizeof payload, "{\"url\": \"%s\"}", cases[i].url);
        struct th_task t;
        test_task(&t, "webhook", 1, payload);
        if (run(&l, &t) != TH_FAIL)
            fail_msg("%s was not refused (%s)", cases[i].url, t.fail_msg);
        assert_contains(t.fail_msg, cases[i].message);
        task_destroy(&t);
    }
    unload(&l);

    load(&l, NULL); /* no hosts at all */
    struct th_task t;
    assert_int_equal(run_fmt(&l, &t, "{\"url\": \"http://127.0.0.1:%d/echo\"}"), TH_FAIL);
    assert_contains(t.fail_msg, "host 127.0.0.1 is not allowed (allow_hosts: none; add hosts to "
                                "the setting plugins.settings.webhook.allow_hosts)");
    task_destroy(&t);
    unload(&l);
}

static void test_host_matching(void **state)
{
    (void)state;
    struct loaded l;
    /* any case; "*.domain" matches below the domain only */
    load(&l, "allow_hosts = (\"LocalHost\", \"*.0.0.1\", \"*.example.org\");");
    struct th_task t;
    assert_int_equal(run_fmt(&l, &t, "{\"url\": \"http://localHOST:%d/status/204\"}"), TH_DONE);
    assert_int_equal(result_int(&t, "status"), 204);
    task_destroy(&t);
    assert_int_equal(run_fmt(&l, &t, "{\"url\": \"http://127.0.0.1:%d/status/201\"}"), TH_DONE);
    task_destroy(&t);
    assert_int_equal(run_fmt(&l, &t, "{\"url\": \"http://example.org/\"}"), TH_FAIL);
    assert_contains(t.fail_msg, "host example.org is not allowed");
    task_destroy(&t);
    assert_int_equal(run_fmt(&l, &t, "{\"url\": \"http://badexample.org/\"}"), TH_FAIL);
    task_destroy(&t);
    unload(&l);
}

/* ---- payloads and settings ---- */

static void test_bad_payloads(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, "timeout_ms = 5000;");
    struct {
        const char *payload, *message;
    } cases[] = {
        {"{}", "the payload needs a string field \"url\""},
        {"{\"url\": 5}", "the payload needs a string field \"url\", not an integer"},
        {"{\"url\": \"http://127.0.0.1/\", \"method\": \"TRACE\"}",
         "\"method\" must be GET, HEAD, POST, PUT, PATCH or DELETE, found \"TRACE\""},
        {"{\"url\": \"http://127.0.0.1/\", \"method\": 1}", "\"method\" must be a string"},
        {"{\"url\": \"http://127.0.0.1/\", \"method\": \"GET\", \"body\": \"x\"}",
         "a GET request has no body"},
        {"{\"url\": \"http://127.0.0.1/\", \"body\": [1, 2]}",
         "\"body\" must be a string or an object, not an array"},
        {"{\"url\": \"http://127.0.0.1/\", \"headers\": [\"X: y\"]}",
         "\"headers\" must be an object of strings, not an array"},
        {"{\"url\": \"http://127.0.0.1/\", \"headers\": {\"X-N\": 5}}",
         "header \"X-N\" must have a name of letters"},
        {"{\"url\": \"http://127.0.0.1/\", \"headers\": {\"X-A\": \"v\\r\\nInjected: 1\"}}",
         "header \"X-A\" must have"},
        {"{\"url\": \"http://127.0.0.1/\", \"headers\": {\"Bad Name\": \"v\"}}",
         "header \"Bad Name\" must have"},
        {"{\"url\": \"http://127.0.0.1/\", \"timeout_ms\": 6000}",
         "\"timeout_ms\" must be between 1 and 5000 (the setting timeout_ms), found 6000"},
        {"{\"url\": \"http://127.0.0.1/\", \"timeout_ms\": \"5s\"}",
         "\"timeout_ms\" must be a whole number of milliseconds, not a string"},
        {"{\"url\": \"http://127.0.0.1/\", \"data\": \"x\"}",
         "unknown payload field \"data\" (expected url, method, headers, body, timeout_ms)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct th_task t;
        test_task(&t, "webhook", 1, cases[i].payload);
        if (run(&l, &t) != TH_FAIL)
            fail_msg("payload %s was not refused", cases[i].payload);
        assert_contains(t.fail_msg, cases[i].message);
        task_destroy(&t);
    }
    unload(&l);
}

static void test_settings_are_checked(void **state)
{
    (void)state;
    expect_init_fails("allow_hosts = (\"https://example.com\");",
                      "setting allow_hosts[0] must be a host name, an IP address or \"*.domain\" "
                      "(no scheme, port or path), found \"https://example.com\"");
    expect_init_fails("allow_hosts = (\"a.com\", \"example.com/x\");", "allow_hosts[1]");
    expect_init_fails("allow_hosts = (\"\");", "allow_hosts[0]");
    expect_init_fails("allow_hosts = \"example.com\";", "must be a list of strings, not a string");
    expect_init_fails("headers = (\"NoColon\");", "setting headers[0] must be \"Name: value\"");
    expect_init_fails("headers = (\"X-A: a\\nInjected: b\");", "setting headers[0] must be");
    expect_init_fails("timeout_ms = 0;",
                      "setting timeout_ms must be between 1 and 3600000, found 0");
    expect_init_fails("connect_timeout_ms = 99999999;", "setting connect_timeout_ms must be");
    expect_init_fails("max_body_bytes = -1;",
                      "setting max_body_bytes must be between 0 and 262144");
    expect_init_fails("user_agent = \"a\\nb\";", "setting user_agent must not contain control");
    expect_init_fails("proxy = 5;", "must be a string, not an integer");
}

static void test_init_reads_every_setting(void **state)
{
    (void)state;
    log_capture_start();
    struct loaded l;
    load(&l, "allow_hosts = (\"127.0.0.1\", \"[::1]\"); timeout_ms = 5000; connect_timeout_ms = "
             "1000; max_body_bytes = 100; headers = (); user_agent = \"x\"; proxy = \"\";");
    assert_logged("webhook: requests allowed to 127.0.0.1, ::1 (libcurl/");
    assert_false(log_contains("unknown setting"));
    unload(&l);
    log_capture_stop();
}

/* run() from several threads at once, each with its own easy handle. */
struct worker {
    struct loaded *l;
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 10; i++) {
        struct th_task t;
        char payload[200];
        snprintf(payload, sizeof payload,
                 "{\"url\": \"http://127.0.0.1:%d/echo\", \"body\": \"n%d\"}", server_port, i);
        test_task(&t, "webhook", 1, payload);
        char expected[32];
        snprintf(expected, sizeof expected, "\"body\": \"n%d\"", i);
        w->ok += run(w->l, &t) == TH_DONE && t.result != NULL &&
                 strstr(result_str(&t, "body_start"), expected) != NULL;
        task_destroy(&t);
    }
    return NULL;
}

static void test_concurrent_requests(void **state)
{
    (void)state;
    struct loaded l;
    load_std(&l, NULL);
    struct worker w[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){&l, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(w[i].ok, 10);
    }
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_sends_a_document_as_json),
        cmocka_unit_test(test_methods_and_string_bodies),
        cmocka_unit_test(test_payload_headers_replace_the_settings),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_redirects_are_not_followed),
        cmocka_unit_test(test_flaky_endpoint_succeeds_on_a_later_attempt),
        cmocka_unit_test(test_timeout_is_retried),
        cmocka_unit_test(test_refused_connection_is_retried),
        cmocka_unit_test(test_cancellation_aborts_the_request),
        cmocka_unit_test(test_heartbeats_while_waiting),
        cmocka_unit_test(test_body_start_is_kept_and_made_text),
        cmocka_unit_test(test_hosts_not_allowed_are_refused),
        cmocka_unit_test(test_host_matching),
        cmocka_unit_test(test_bad_payloads),
        cmocka_unit_test(test_settings_are_checked),
        cmocka_unit_test(test_init_reads_every_setting),
        cmocka_unit_test(test_concurrent_requests),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
