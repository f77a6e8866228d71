/* The claim filter's twin in C: which documents, as read, a batch claim may take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/claim_query.h"

#define NOW 1800000000000LL

static bool runnable_json(const char *json)
{
    bson_error_t e;
    bson_t *b = bson_new_from_json((const uint8_t *)json, -1, &e);
    assert_non_null(b);
    bool r = claim_query_runnable(b, NOW);
    bson_destroy(b);
    return r;
}

/* fmt: JSON with one %lld (a date's milliseconds, or an unused number). */
#define runnable(fmt, ms) (snprintf(json, sizeof json, fmt, (long long)(ms)), runnable_json(json))

#define RUN_AT  "\"run_at\": {\"$date\": {\"$numberLong\": \"%lld\"}}"
#define EXPIRES "\"lease\": {\"expires_at\": {\"$date\": {\"$numberLong\": \"%lld\"}}}"

static void queued_and_retry_wait_for_run_at(void **state)
{
    (void)state;
    char json[512];
    assert_true(runnable("{\"state\": \"queued\", " RUN_AT "}", NOW));
    assert_true(runnable("{\"state\": \"retry\", " RUN_AT "}", NOW - 1));
    assert_false(runnable("{\"state\": \"retry\", " RUN_AT "}", NOW + 1));
    assert_false(runnable("{\"state\": \"queued\", \"x\": %lld}", 0)); /* no run_at */
}

/* A running task only once its lease has expired: the case a server that returns a
 * document changed after it matched (mongo-java-server) would otherwise let through. */
static void running_only_with_an_expired_lease(void **state)
{
    (void)state;
    char json[512];
    assert_true(runnable("{\"state\": \"running\", " EXPIRES "}", NOW - 1));
    assert_false(runnable("{\"state\": \"running\", " EXPIRES "}", NOW));
    assert_false(runnable("{\"state\": \"running\", " EXPIRES "}", NOW + 3000));
    assert_false(runnable("{\"state\": \"running\", \"x\": %lld}", 0)); /* no lease */
}

static void new_tasks_unless_run_at_lies_ahead(void **state)
{
    (void)state;
    char json[512];
    assert_true(runnable("{\"type\": \"t\", \"x\": %lld}", 0));
    assert_true(runnable("{" RUN_AT "}", NOW - 5));
    assert_true(runnable("{\"run_at\": \"soon\", \"x\": %lld}", 0)); /* claimed, then buried */
    assert_false(runnable("{" RUN_AT "}", NOW + 5));
}

static void finished_and_odd_states_are_not_runnable(void **state)
{
    (void)state;
    char json[512];
    assert_false(runnable("{\"state\": \"done\", " RUN_AT "}", NOW - 5));
    assert_false(runnable("{\"state\": \"dead\", " RUN_AT "}", NOW - 5));
    assert_false(runnable("{\"state\": 3, " RUN_AT "}", NOW - 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queued_and_retry_wait_for_run_at),
        cmocka_unit_test(running_only_with_an_expired_lease),
        cmocka_unit_test(new_tasks_unless_run_at_lies_ahead),
        cmocka_unit_test(finished_and_odd_states_are_not_runnable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
