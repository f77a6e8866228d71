/* The th_host_api table as plugins see it, and the shipped plugins (noop,
 * sleep, flaky) run through it with real struct th_task attempts. */
#include "test_plugin_util.h"

#include <pthread.h>
#include <time.h>

#include "plugin/host_api.h"

/* ---- helpers ---- */

struct loaded {
    struct plugin p;
    struct test_cfg cfg;
    bool has_cfg;
};

/* Opens and inits a shipped plugin with the settings text `block` (the
 * inside of plugins.settings.<name>, may be NULL). */
static void load(struct loaded *l, const char *name, const char *block)
{
    memset(l, 0, sizeof *l);
    char path[4200];
    join_path(path, sizeof path, SHIPPED_PLUGIN_DIR, name);
    strcat(path, ".so");
    struct error err;
    if (!plugin_open(path, &l->p, &err))
        fail_msg("%s", err.msg);
    const struct plugin_block *b = NULL;
    if (block != NULL) {
        char text[2000];
        snprintf(text, sizeof text, "plugins = { settings = { %s = {\n%s\n}; }; };\n", name, block);
        test_cfg_load(&l->cfg, text);
        l->has_cfg = true;
        b = test_cfg_block(&l->cfg, name);
    }
    if (!plugin_init(&l->p, host_api(), b, NULL, &err))
        fail_msg("%s", err.msg);
}

static void unload(struct loaded *l)
{
    plugin_close(&l->p);
    if (l->has_cfg)
        test_cfg_free(&l->cfg);
}

/* Opens and inits expecting init to fail; returns the message. */
static const char *load_fails(const char *name, const char *block, struct test_cfg *cfg)
{
    static struct error err;
    char path[4200];
    join_path(path, sizeof path, SHIPPED_PLUGIN_DIR, name);
    strcat(path, ".so");
    struct plugin p;
    assert_true(plugin_open(path, &p, &err));
    char text[2000];
    snprintf(text, sizeof text, "plugins = { settings = { %s = {\n%s\n}; }; };\n", name, block);
    test_cfg_load(cfg, text);
    assert_false(plugin_init(&p, host_api(), test_cfg_block(cfg, name), NULL, &err));
    assert_false(p.initialised);
    plugin_close(&p);
    print_message("%s\n", err.msg);
    return err.msg;
}

static th_status run(struct loaded *l, struct th_task *t)
{
    return l->p.desc.run(l->p.state, t);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the api table ---- */

static void test_table_header(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    assert_int_equal(api->abi_version, TH_ABI_VERSION);
    assert_int_equal(api->size, sizeof(th_host_api));
    assert_true(TH_API_HAS(api, setting_list_string));
    assert_true(TH_API_HAS(api, log));
}

static void test_task_accessors(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "demo.type", 3, "{\"a\": 1, \"b\": \"x\"}");
    assert_string_equal(api->task_type(&t), "demo.type");
    assert_int_equal(strlen(api->task_id(&t)), 24);
    assert_int_equal(api->task_attempt(&t), 3);
    assert_int_equal(api->task_max_retries(&t), 3);
    size_t len = 0;
    const uint8_t *data = api->task_payload_bson(&t, &len);
    bson_t view;
    assert_true(bson_init_static(&view, data, len));
    assert_true(bson_has_field(&view, "b"));
    const char *json = api->task_payload_json(&t);
    assert_string_equal(json, "{ \"a\" : 1, \"b\" : \"x\" }");
    assert_ptr_equal(api->task_payload_json(&t), json); /* rendered once */
    task_destroy(&t);

    test_task(&t, "demo.type", 1, NULL);
    assert_string_equal(api->task_payload_json(&t), "{ }");
    api->task_payload_bson(&t, &len);
    assert_int_equal(len, 5);
    task_destroy(&t);
}

static void test_log_names_the_task_and_its_type(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "demo.type", 1, NULL);
    log_capture_start();
    api->log(&t, TH_LOG_WARN, "disk at %d%%", 93);
    char expected[200];
    snprintf(expected, sizeof expected, "warn  plugin demo.type [task %s]: disk at 93%%", t.id_str);
    assert_logged(expected);
    api->log(NULL, TH_LOG_ERROR, "no task here");
    assert_logged("error plugin: no task here");
    log_configure(LOG_INFO, LOG_FORMAT_TEXT, captured_log);
    api->log(NULL, TH_LOG_DEBUG, "too chatty");
    assert_false(log_contains("too chatty"));
    log_capture_stop();
    task_destroy(&t);
}

static void test_set_result_json(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    log_capture_start();
    assert_int_equal(api->set_result_json(&t, "{\"n\": 1}"), TH_OK);
    assert_result(&t, "{ \"n\" : 1 }");
    assert_int_equal(api->set_result_json(&t, "  {\"n\": 2}\n"), TH_OK); /* replaces */
    assert_result(&t, "{ \"n\" : 2 }");

    const char *bad[] = {"{\"n\": ", "[1, 2]", "42", "\"text\"", "", "{} {}", "{\"a\":1} x", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        if (api->set_result_json(&t, bad[i]) != TH_EINVAL)
            fail_msg("set_result_json accepted %s", bad[i]);
        assert_result(&t, "{ \"n\" : 2 }"); /* the earlier result stays */
    }
    assert_int_equal(api->set_result_json(&t, NULL), TH_EINVAL);
    assert_int_equal(api->set_result_json(&t, "{\"s\": \"\xff\"}"), TH_EINVAL);
    assert_int_equal(api->set_result_json(&t, "{\"deep\": {\"s\": [\"ok\", \"\xc3\"]}}"),
                     TH_EINVAL);
    assert_logged("set_result_json: invalid result: not a JSON object");
    log_capture_stop();
    task_destroy(&t);
}

/* A JSON object whose BSON is a little more than `bytes`. */
static char *big_json(size_t bytes)
{
    char *json = malloc(bytes + 32);
    assert_non_null(json);
    strcpy(json, "{\"s\": \"");
    size_t n = strlen(json);
    memset(json + n, 'z', bytes);
    strcpy(json + n + bytes, "\"}");
    return json;
}

static void test_result_size_limit(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    log_capture_start();
    char *fits = big_json(TASK_RESULT_MAX - 100);
    assert_int_equal(api->set_result_json(&t, fits), TH_OK);
    char *too_big = big_json(TASK_RESULT_MAX);
    assert_int_equal(api->set_result_json(&t, too_big), TH_ETOOBIG);
    assert_logged("is refused: the limit is 1048576 bytes");
    assert_int_equal(t.result->len, TASK_RESULT_MAX - 100 + 13); /* the earlier result stays */

    bson_t *big = bson_new_from_json((const uint8_t *)too_big, -1, NULL);
    assert_int_equal(api->set_result_bson(&t, bson_get_data(big), big->len), TH_ETOOBIG);
    bson_destroy(big);
    free(fits);
    free(too_big);
    log_capture_stop();
    task_destroy(&t);
}

static void test_set_result_bson(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    log_capture_start();
    bson_t *doc = BCON_NEW("k", BCON_UTF8("v"));
    assert_int_equal(api->set_result_bson(&t, bson_get_data(doc), doc->len), TH_OK);
    assert_result(&t, "{ \"k\" : \"v\" }");

    /* length that disagrees with the document's own */
    assert_int_equal(api->set_result_bson(&t, bson_get_data(doc), doc->len - 1), TH_EINVAL);
    /* invalid UTF-8 inside */
    uint8_t copy[64];
    memcpy(copy, bson_get_data(doc), doc->len);
    copy[doc->len - 3] = 0xff; /* the "v" */
    assert_int_equal(api->set_result_bson(&t, copy, doc->len), TH_EINVAL);
    assert_logged("a key or string is not valid UTF-8");
    assert_int_equal(api->set_result_bson(&t, NULL, 5), TH_EINVAL);
    assert_logged("set_result_bson: not a valid BSON document");
    assert_result(&t, "{ \"k\" : \"v\" }");
    bson_destroy(doc);
    log_capture_stop();
    task_destroy(&t);
}

static void test_fail_message_is_truncated_to_1000_bytes(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    /* (api->fail): cmocka defines a fail() macro */
    (api->fail)(&t, "first %d", 1);
    (api->fail)(&t, "second %s", "call");
    assert_string_equal(t.fail_msg, "second call"); /* the last call wins */

    char long_msg[3000];
    memset(long_msg, 'm', sizeof long_msg - 1);
    long_msg[sizeof long_msg - 1] = '\0';
    (api->fail)(&t, "%s", long_msg);
    assert_int_equal(strlen(t.fail_msg), 1000);

    /* a cut never leaves half a UTF-8 character */
    memset(long_msg, 'm', 999);
    strcpy(long_msg + 999, "\xc3\xa9 and more");
    (api->fail)(&t, "%s", long_msg);
    assert_int_equal(strlen(t.fail_msg), 999);
    task_destroy(&t);
}

/* ---- noop ---- */

static void test_noop_reports_ok(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "noop", NULL);
    assert_string_equal(l.p.name, "noop");
    assert_string_equal(l.p.types[0], "noop");
    struct th_task t;
    test_task(&t, "noop", 1, "{\"anything\": true}");
    assert_int_equal(run(&l, &t), TH_DONE);
    assert_result(&t, "{ \"ok\" : true }");
    task_destroy(&t);
    unload(&l);
}

/* ---- sleep ---- */

static void test_sleep_sleeps_and_reports_progress(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "sleep", NULL);
    struct th_task t;
    test_task(&t, "sleep", 1, "{\"ms\": 250}");
    int64_t start = now_ms();
    assert_int_equal(run(&l, &t), TH_DONE);
    assert_true(now_ms() - start >= 250);
    assert_result(&t, "{ \"slept_ms\" : 250 }");
    double progress;
    char note[TASK_NOTE_MAX];
    assert_true(task_take_progress(&t, &progress, note, sizeof note));
    assert_true(progress == 1.0);
    assert_string_equal(note, "slept 250 of 250 ms");
    task_destroy(&t);

    test_task(&t, "sleep", 1, "{\"ms\": 20.0}"); /* a double, as shells insert numbers */
    assert_int_equal(run(&l, &t), TH_DONE);
    assert_result(&t, "{ \"slept_ms\" : 20 }");
    task_destroy(&t);
    unload(&l);
}

static void test_sleep_default_and_cap_come_from_settings(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "sleep", "default_ms = 30; max_ms = 60;");
    struct th_task t;
    test_task(&t, "sleep", 1, NULL);
    assert_int_equal(run(&l, &t), TH_DONE);
    assert_result(&t, "{ \"slept_ms\" : 30 }");
    task_destroy(&t);

    test_task(&t, "sleep", 1, "{\"ms\": 3600000}");
    int64_t start = now_ms();
    assert_int_equal(run(&l, &t), TH_DONE);
    assert_true(now_ms() - start < 5000);
    assert_result(&t, "{ \"slept_ms\" : 60 }");
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

static void test_sleep_stops_early_when_cancelled(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "sleep", NULL);
    struct th_task t;
    test_task(&t, "sleep", 1, "{\"ms\": 600000}");
    struct canceller c = {.task = &t, .after_ms = 150};
    pthread_t thread;
    int64_t start = now_ms();
    assert_int_equal(pthread_create(&thread, NULL, cancel_later, &c), 0);
    assert_int_equal(run(&l, &t), TH_RETRY);
    int64_t took = now_ms() - start;
    pthread_join(thread, NULL);
    assert_true(took >= 140);
    assert_true(took < 5000);
    assert_string_equal(t.fail_msg, "cancelled: cancel requested");
    assert_null(t.result);
    double progress;
    char note[TASK_NOTE_MAX];
    assert_true(task_take_progress(&t, &progress, note, sizeof note)); /* slices reported */
    assert_true(progress > 0 && progress < 0.01);
    task_destroy(&t);
    unload(&l);
}

static void test_sleep_refuses_a_bad_payload(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "sleep", NULL);
    struct th_task t;
    test_task(&t, "sleep", 1, "{\"ms\": \"soon\"}");
    assert_int_equal(run(&l, &t), TH_FAIL);
    assert_string_equal(t.fail_msg,
                        "sleep: payload field \"ms\" must be a number of milliseconds, not a "
                        "string");
    task_destroy(&t);
    test_task(&t, "sleep", 1, "{\"ms\": -5}");
    assert_int_equal(run(&l, &t), TH_FAIL);
    assert_string_equal(t.fail_msg, "sleep: payload field \"ms\" must not be negative, found -5");
    task_destroy(&t);
    unload(&l);
}

static void test_sleep_setting_of_the_wrong_type(void **state)
{
    (void)state;
    struct test_cfg cfg;
    const char *msg = load_fails("sleep", "default_ms = \"1s\";", &cfg);
    char expected[4400];
    snprintf(expected, sizeof expected,
             "%s:2: setting plugins.settings.sleep.default_ms of plugin sleep must be an integer, "
             "not a string",
             cfg.path);
    assert_contains(msg, expected);
    assert_contains(msg, "cannot read setting default_ms");
    test_cfg_free(&cfg);
}

static void test_sleep_warns_about_unknown_settings(void **state)
{
    (void)state;
    struct loaded l;
    log_capture_start();
    load(&l, "sleep", "default_ms = 5;\nmax_sm = 10;");
    char expected[4400];
    snprintf(expected, sizeof expected,
             "%s:3: unknown setting plugins.settings.sleep.max_sm: plugin sleep does not use it",
             l.cfg.path);
    assert_logged(expected);
    assert_false(log_contains("default_ms"));
    log_capture_stop();
    unload(&l);
}

/* ---- flaky ---- */

static void test_flaky_fails_the_first_n_attempts(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "flaky", "failure_rate = 1.0; permanent_rate = 1.0;"); /* fail_times wins */
    const char *payload = "{\"fail_times\": 2}";
    struct th_task t;
    for (int attempt = 1; attempt <= 2; attempt++) {
        test_task(&t, "flaky", attempt, payload);
        assert_int_equal(run(&l, &t), TH_RETRY);
        char expected[100];
        snprintf(expected, sizeof expected, "flaky: transient failure on attempt %d", attempt);
        assert_contains(t.fail_msg, expected);
        assert_null(t.result);
        task_destroy(&t);
    }
    test_task(&t, "flaky", 3, payload);
    assert_int_equal(run(&l, &t), TH_DONE);
    assert_result(&t, "{ \"attempt\" : 3 }");
    task_destroy(&t);
    unload(&l);
}

static void test_flaky_rates(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "flaky", NULL); /* failure_rate 0.3 */
    struct th_task t;
    for (int i = 0; i < 20; i++) {
        test_task(&t, "flaky", 1, "{\"fail_rate\": 0}");
        assert_int_equal(run(&l, &t), TH_DONE);
        task_destroy(&t);
        test_task(&t, "flaky", 1, "{\"fail_rate\": 1, \"permanent\": true}");
        assert_int_equal(run(&l, &t), TH_FAIL);
        assert_contains(t.fail_msg, "permanent failure on attempt 1");
        task_destroy(&t);
    }
    /* the default rate fails some and passes some of many attempts */
    int failed = 0;
    for (int i = 0; i < 400; i++) {
        test_task(&t, "flaky", 1, NULL);
        failed += run(&l, &t) != TH_DONE;
        task_destroy(&t);
    }
    assert_in_range(failed, 60, 180); /* 0.3 * 400 = 120 expected */
    unload(&l);
}

static void test_flaky_settings_decide_without_payload(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "flaky", "failure_rate = 1; permanent_rate = 1;"); /* integers are numbers */
    struct th_task t;
    test_task(&t, "flaky", 1, NULL);
    assert_int_equal(run(&l, &t), TH_FAIL);
    task_destroy(&t);
    unload(&l);
}

static void test_flaky_refuses_rates_out_of_range(void **state)
{
    (void)state;
    struct test_cfg cfg;
    const char *msg = load_fails("flaky", "failure_rate = 1.5;", &cfg);
    assert_contains(msg, "setting failure_rate must be between 0 and 1, found 1.5");
    test_cfg_free(&cfg);
    msg = load_fails("flaky", "permanent_rate = -0.1;", &cfg);
    assert_contains(msg, "setting permanent_rate must be between 0 and 1, found -0.1");
    test_cfg_free(&cfg);
}

static void test_flaky_refuses_a_bad_payload(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "flaky", NULL);
    struct {
        const char *payload;
        const char *message;
    } cases[] = {
        {"{\"fail_times\": \"two\"}", "\"fail_times\" must be a whole number, not a string"},
        {"{\"fail_times\": 1.5}", "\"fail_times\" must be a whole number, not a fractional"},
        {"{\"fail_rate\": 2}", "\"fail_rate\" must be between 0 and 1, found 2"},
        {"{\"permanent\": 1}", "\"permanent\" must be true or false"},
        {"{\"ms\": -1}", "\"ms\" must not be negative"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct th_task t;
        test_task(&t, "flaky", 1, cases[i].payload);
        assert_int_equal(run(&l, &t), TH_FAIL);
        assert_contains(t.fail_msg, cases[i].message);
        task_destroy(&t);
    }
    unload(&l);
}

static void test_flaky_work_time_is_cancellable(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "flaky", "failure_rate = 0.0;");
    struct th_task t;
    test_task(&t, "flaky", 1, "{\"ms\": 600000}");
    struct canceller c = {.task = &t, .after_ms = 50};
    pthread_t thread;
    int64_t start = now_ms();
    assert_int_equal(pthread_create(&thread, NULL, cancel_later, &c), 0);
    assert_int_equal(run(&l, &t), TH_RETRY);
    pthread_join(thread, NULL);
    assert_true(now_ms() - start < 5000);
    assert_string_equal(t.fail_msg, "cancelled: cancel requested");
    task_destroy(&t);
    unload(&l);
}

/* run() from several threads at once: the shared RNG stays consistent. */
struct flaky_worker {
    struct loaded *l;
    int done;
};

static void *flaky_worker(void *arg)
{
    struct flaky_worker *w = arg;
    for (int i = 0; i < 200; i++) {
        struct th_task t;
        test_task(&t, "flaky", 1, "{\"fail_rate\": 0.5}");
        w->done += run(w->l, &t) == TH_DONE;
        task_destroy(&t);
    }
    return NULL;
}

static void test_flaky_runs_concurrently(void **state)
{
    (void)state;
    struct loaded l;
    load(&l, "flaky", NULL);
    struct flaky_worker w[4] = {{&l, 0}, {&l, 0}, {&l, 0}, {&l, 0}};
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, flaky_worker, &w[i]), 0);
    int done = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        done += w[i].done;
    }
    assert_in_range(done, 300, 500); /* 800 * 0.5 = 400 expected */
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_header),
        cmocka_unit_test(test_task_accessors),
        cmocka_unit_test(test_log_names_the_task_and_its_type),
        cmocka_unit_test(test_set_result_json),
        cmocka_unit_test(test_result_size_limit),
        cmocka_unit_test(test_set_result_bson),
        cmocka_unit_test(test_fail_message_is_truncated_to_1000_bytes),
        cmocka_unit_test(test_noop_reports_ok),
        cmocka_unit_test(test_sleep_sleeps_and_reports_progress),
        cmocka_unit_test(test_sleep_default_and_cap_come_from_settings),
        cmocka_unit_test(test_sleep_stops_early_when_cancelled),
        cmocka_unit_test(test_sleep_refuses_a_bad_payload),
        cmocka_unit_test(test_sleep_setting_of_the_wrong_type),
        cmocka_unit_test(test_sleep_warns_about_unknown_settings),
        cmocka_unit_test(test_flaky_fails_the_first_n_attempts),
        cmocka_unit_test(test_flaky_rates),
        cmocka_unit_test(test_flaky_settings_decide_without_payload),
        cmocka_unit_test(test_flaky_refuses_rates_out_of_range),
        cmocka_unit_test(test_flaky_refuses_a_bad_payload),
        cmocka_unit_test(test_flaky_work_time_is_cancellable),
        cmocka_unit_test(test_flaky_runs_concurrently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
