/* What an attempt's end means for its task: done, retry later, dead, handed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sched/outcome.h"

static struct finish decide(th_status st, th_cancel_reason cancel, int before, int max,
                            const char *msg, char *buf, size_t len)
{
    struct outcome_input in = {.status = st,
                               .cancel = cancel,
                               .attempts_before = before,
                               .max_retries = max,
                               .plugin_message = msg,
                               .timeout_ms = 500,
                               .retry_delay_ms = 2000};
    struct finish f = {.now_ms = 1000000};
    outcome_decide(&in, &f, buf, len);
    return f;
}

static void done_counts_the_attempt(void **state)
{
    (void)state;
    char buf[256];
    struct finish f = decide(TH_DONE, TH_CANCEL_NONE, 1, 3, "", buf, sizeof buf);
    assert_int_equal(f.kind, FINISH_DONE);
    assert_int_equal(f.attempts, 2);
    assert_null(f.error_message);
}

static void retry_is_scheduled_with_backoff(void **state)
{
    (void)state;
    char buf[256];
    struct finish f = decide(TH_RETRY, TH_CANCEL_NONE, 0, 3, "disk full", buf, sizeof buf);
    assert_int_equal(f.kind, FINISH_RETRY);
    assert_int_equal(f.attempts, 1);
    assert_int_equal(f.run_at_ms, 1000000 + 2000);
    assert_string_equal(f.error_kind, "failed");
    assert_non_null(strstr(f.error_message, "disk full"));
    assert_non_null(strstr(f.error_message, "attempt 1 of 3"));
}

static void last_failure_is_dead(void **state)
{
    (void)state;
    char buf[256];
    struct finish f = decide(TH_RETRY, TH_CANCEL_NONE, 2, 3, "still broken", buf, sizeof buf);
    assert_int_equal(f.kind, FINISH_DEAD);
    assert_int_equal(f.attempts, 3);
    assert_non_null(strstr(f.error_message, "no retries left"));
}

static void permanent_failure_is_dead_at_once(void **state)
{
    (void)state;
    char buf[256];
    struct finish f = decide(TH_FAIL, TH_CANCEL_NONE, 0, 3, "bad input", buf, sizeof buf);
    assert_int_equal(f.kind, FINISH_DEAD);
    assert_int_equal(f.attempts, 1);
    assert_string_equal(f.error_kind, "permanent");
    assert_non_null(strstr(f.error_message, "bad input"));
}

static void shutdown_hands_back_without_counting(void **state)
{
    (void)state;
    char buf[256];
    struct finish f = decide(TH_RETRY, TH_CANCEL_SHUTDOWN, 1, 3, "cancelled", buf, sizeof buf);
    assert_int_equal(f.kind, FINISH_RELEASE);
    assert_int_equal(f.attempts, -1);
    assert_null(f.error_message);
    /* ...but a task that completed anyway is done */
    f = decide(TH_DONE, TH_CANCEL_SHUTDOWN, 1, 3, "", buf, sizeof buf);
    assert_int_equal(f.kind, FINISH_DONE);
}

static void timeout_is_a_failure(void **state)
{
    (void)state;
    char buf[256];
    struct finish f = decide(TH_RETRY, TH_CANCEL_TIMEOUT, 0, 3, "", buf, sizeof buf);
    assert_int_equal(f.kind, FINISH_RETRY);
    assert_string_equal(f.error_kind, "timeout");
    assert_non_null(strstr(f.error_message, "timed out after 500 ms"));
}

static void invalid_status_is_a_failure_not_a_crash(void **state)
{
    (void)state;
    char buf[256];
    struct finish f = decide((th_status)42, TH_CANCEL_NONE, 0, 3, "", buf, sizeof buf);
    assert_int_equal(f.kind, FINISH_RETRY);
    assert_non_null(strstr(f.error_message, "(42)"));
}

static void missing_message_is_explained(void **state)
{
    (void)state;
    char buf[256];
    struct finish f = decide(TH_RETRY, TH_CANCEL_NONE, 0, 3, "", buf, sizeof buf);
    assert_non_null(strstr(f.error_message, "without a message"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(done_counts_the_attempt),
        cmocka_unit_test(retry_is_scheduled_with_backoff),
        cmocka_unit_test(last_failure_is_dead),
        cmocka_unit_test(permanent_failure_is_dead_at_once),
        cmocka_unit_test(shutdown_hands_back_without_counting),
        cmocka_unit_test(timeout_is_a_failure),
        cmocka_unit_test(invalid_status_is_a_failure_not_a_crash),
        cmocka_unit_test(missing_message_is_explained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
