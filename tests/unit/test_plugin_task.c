/* struct th_task: ids as logs show them, cancellation (first reason wins,
 * wakes sleep_ms), progress hand-over to the heartbeat thread. */
#include "test_plugin_util.h"

#include <math.h>
#include <pthread.h>
#include <time.h>

#include "plugin/host_api.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void render(const bson_value_t *v, char *buf, size_t len)
{
    task_render_id(v, buf, len);
}

static void test_object_id_renders_as_24_hex_digits(void **state)
{
    (void)state;
    bson_value_t v = {.value_type = BSON_TYPE_OID};
    bson_oid_init_from_string(&v.value.v_oid, "64b0c0ffee0123456789abcd");
    char buf[128];
    render(&v, buf, sizeof buf);
    assert_string_equal(buf, "64b0c0ffee0123456789abcd");
}

static void test_string_id_renders_quoted(void **state)
{
    (void)state;
    char text[] = "job \"7\"\n";
    bson_value_t v = {.value_type = BSON_TYPE_UTF8};
    v.value.v_utf8.str = text;
    v.value.v_utf8.len = (uint32_t)strlen(text);
    char buf[128];
    render(&v, buf, sizeof buf);
    assert_string_equal(buf, "\"job ?7??\""); /* stays one unambiguous line */
}

static void test_long_string_id_is_cut_with_an_ellipsis(void **state)
{
    (void)state;
    char text[300];
    memset(text, 'k', sizeof text);
    bson_value_t v = {.value_type = BSON_TYPE_UTF8};
    v.value.v_utf8.str = text;
    v.value.v_utf8.len = sizeof text;
    char buf[32];
    render(&v, buf, sizeof buf);
    assert_int_equal(strlen(buf), 31);
    assert_string_equal(buf + 27, "...\"");
    assert_int_equal(buf[26], 'k');
    assert_int_equal(buf[0], '"');

    v.value.v_utf8.len = 29; /* fits exactly: quotes, 29 bytes, NUL */
    render(&v, buf, sizeof buf);
    assert_int_equal(strlen(buf), 31);
    assert_string_equal(buf + 28, "kk\"");
}

static void test_integer_ids_render_as_numbers(void **state)
{
    (void)state;
    char buf[128];
    bson_value_t v = {.value_type = BSON_TYPE_INT32, .value.v_int32 = -42};
    render(&v, buf, sizeof buf);
    assert_string_equal(buf, "-42");
    v = (bson_value_t){.value_type = BSON_TYPE_INT64, .value.v_int64 = INT64_C(9007199254740993)};
    render(&v, buf, sizeof buf);
    assert_string_equal(buf, "9007199254740993");
}

static void test_other_ids_render_as_json(void **state)
{
    (void)state;
    char buf[128];
    bson_value_t v = {.value_type = BSON_TYPE_BOOL, .value.v_bool = true};
    render(&v, buf, sizeof buf);
    assert_string_equal(buf, "true");
    v = (bson_value_t){.value_type = BSON_TYPE_DOUBLE, .value.v_double = 1.5};
    render(&v, buf, sizeof buf);
    assert_string_equal(buf, "1.5");
}

static void test_init_copies_what_it_is_given(void **state)
{
    (void)state;
    char type[] = "sleep";
    bson_value_t id = {.value_type = BSON_TYPE_INT32, .value.v_int32 = 7};
    bson_t *payload = BCON_NEW("ms", BCON_INT32(5));
    struct th_task t;
    task_init(&t, &id, type, 2, 5, payload);
    bson_destroy(payload);
    type[0] = 'X';
    assert_string_equal(t.type, "sleep");
    assert_string_equal(t.id_str, "7");
    assert_int_equal(t.attempt, 2);
    assert_int_equal(t.max_retries, 5);
    assert_true(bson_has_field(&t.payload, "ms"));
    assert_int_equal(atomic_load(&t.cancel), TH_CANCEL_NONE);
    assert_null(t.result);
    assert_string_equal(t.fail_msg, "");
    task_destroy(&t);

    task_init(&t, NULL, "x", 1, 0, NULL);
    assert_string_equal(t.id_str, "(no id)");
    assert_int_equal(t.payload.len, 5); /* an empty document */
    task_destroy(&t);
}

static void test_first_cancel_reason_wins(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    assert_int_equal(api->cancelled(&t), TH_CANCEL_NONE);
    task_cancel(&t, TH_CANCEL_NONE); /* not a reason */
    assert_int_equal(api->cancelled(&t), TH_CANCEL_NONE);
    task_cancel(&t, TH_CANCEL_TIMEOUT);
    task_cancel(&t, TH_CANCEL_SHUTDOWN);
    assert_int_equal(api->cancelled(&t), TH_CANCEL_TIMEOUT);
    task_destroy(&t);
}

struct canceller {
    struct th_task *task;
    int64_t after_ms;
    th_cancel_reason reason;
};

static void *cancel_later(void *arg)
{
    const struct canceller *c = arg;
    struct timespec ts = {.tv_sec = c->after_ms / 1000, .tv_nsec = (c->after_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    task_cancel(c->task, c->reason);
    return NULL;
}

static void test_sleep_sleeps_the_full_time(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    int64_t start = now_ms();
    assert_int_equal(api->sleep_ms(&t, 60), TH_CANCEL_NONE);
    int64_t took = now_ms() - start;
    assert_true(took >= 60);
    assert_true(took < 2000);
    start = now_ms();
    assert_int_equal(api->sleep_ms(&t, 0), TH_CANCEL_NONE);
    assert_int_equal(api->sleep_ms(&t, -5), TH_CANCEL_NONE);
    assert_true(now_ms() - start < 50);
    task_destroy(&t);
}

static void test_cancel_wakes_sleep_early(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    struct canceller c = {.task = &t, .after_ms = 50, .reason = TH_CANCEL_LEASE_LOST};
    pthread_t thread;
    int64_t start = now_ms();
    assert_int_equal(pthread_create(&thread, NULL, cancel_later, &c), 0);
    assert_int_equal(api->sleep_ms(&t, 60000), TH_CANCEL_LEASE_LOST);
    int64_t took = now_ms() - start;
    pthread_join(thread, NULL);
    assert_true(took >= 40);
    assert_true(took < 5000);
    /* once cancelled, sleeping returns at once */
    start = now_ms();
    assert_int_equal(api->sleep_ms(&t, 60000), TH_CANCEL_LEASE_LOST);
    assert_true(now_ms() - start < 50);
    task_destroy(&t);
}

static void test_progress_is_taken_once(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    double progress = 7;
    char note[TASK_NOTE_MAX];
    assert_false(task_take_progress(&t, &progress, note, sizeof note));
    assert_true(progress == 7); /* untouched */

    api->heartbeat(&t, 0.25, "a quarter");
    api->heartbeat(&t, 0.5, "half way");
    assert_true(task_take_progress(&t, &progress, note, sizeof note));
    assert_true(progress == 0.5); /* the latest */
    assert_string_equal(note, "half way");
    assert_false(task_take_progress(&t, &progress, note, sizeof note));

    api->heartbeat(&t, 3.0, NULL);
    assert_true(task_take_progress(&t, &progress, note, sizeof note));
    assert_true(progress == 1.0);
    assert_string_equal(note, "");
    api->heartbeat(&t, -0.5, "unknown");
    assert_true(task_take_progress(&t, &progress, note, sizeof note));
    assert_true(progress == -1.0);
    api->heartbeat(&t, NAN, NULL);
    assert_true(task_take_progress(&t, &progress, note, sizeof note));
    assert_true(progress == -1.0);
    task_destroy(&t);
}

static void test_long_note_is_cut(void **state)
{
    (void)state;
    const th_host_api *api = host_api();
    struct th_task t;
    test_task(&t, "x", 1, NULL);
    char long_note[600];
    memset(long_note, 'n', sizeof long_note - 1);
    long_note[sizeof long_note - 1] = '\0';
    api->heartbeat(&t, 0.1, long_note);
    double progress;
    char note[1000];
    assert_true(task_take_progress(&t, &progress, note, sizeof note));
    assert_int_equal(strlen(note), TASK_NOTE_MAX - 1);
    task_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_id_renders_as_24_hex_digits),
        cmocka_unit_test(test_string_id_renders_quoted),
        cmocka_unit_test(test_long_string_id_is_cut_with_an_ellipsis),
        cmocka_unit_test(test_integer_ids_render_as_numbers),
        cmocka_unit_test(test_other_ids_render_as_json),
        cmocka_unit_test(test_init_copies_what_it_is_given),
        cmocka_unit_test(test_first_cancel_reason_wins),
        cmocka_unit_test(test_sleep_sleeps_the_full_time),
        cmocka_unit_test(test_cancel_wakes_sleep_early),
        cmocka_unit_test(test_progress_is_taken_once),
        cmocka_unit_test(test_long_note_is_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
