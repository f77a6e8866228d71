/* Decoding claimed task documents, good and malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/task_doc.h"

static bool decode(const char *json, struct task_doc *d)
{
    bson_error_t e;
    bson_t *b = bson_new_from_json((const uint8_t *)json, -1, &e);
    assert_non_null(b);
    bool ok = task_doc_decode(b, d);
    bson_destroy(b);
    return ok;
}

static void hand_inserted_task_gets_defaults(void **state)
{
    (void)state;
    struct task_doc d;
    assert_true(decode("{\"_id\": 7, \"type\": \"email\", \"payload\": {\"to\": \"x\"}}", &d));
    assert_string_equal(d.type, "email");
    assert_string_equal(d.id_str, "7");
    assert_int_equal(d.attempts, 0);
    assert_int_equal(d.max_retries, -1);
    assert_string_equal(d.state, "");
    assert_string_equal(d.problem, "");
    bson_iter_t it;
    assert_true(bson_iter_init_find(&it, d.payload, "to"));
    task_doc_destroy(&d);
}

static void full_task_is_read(void **state)
{
    (void)state;
    struct task_doc d;
    assert_true(decode("{\"_id\": {\"$oid\": \"64b000000000000000000001\"}, \"type\": \"t\", "
                       "\"state\": \"running\", \"attempts\": 2, \"max_retries\": 5, "
                       "\"host_deaths\": 1, \"lease\": {\"owner\": \"h9\"}, \"errors\": []}",
                       &d));
    assert_string_equal(d.id_str, "64b000000000000000000001");
    assert_string_equal(d.state, "running");
    assert_int_equal(d.attempts, 2);
    assert_int_equal(d.max_retries, 5);
    assert_int_equal(d.host_deaths, 1);
    assert_string_equal(d.lease_owner, "h9");
    assert_int_equal(d.payload->len, 5); /* absent payload: empty document */
    task_doc_destroy(&d);
}

static void expect_problem(const char *json, const char *needle)
{
    struct task_doc d;
    assert_true(decode(json, &d));
    if (strstr(d.problem, needle) == NULL)
        fail_msg("problem \"%s\" does not mention \"%s\"", d.problem, needle);
    task_doc_destroy(&d);
}

static void malformed_fields_are_named(void **state)
{
    (void)state;
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"payload\": \"text\"}",
                   "\"payload\" must be a document (a JSON object), found a string");
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"payload\": [1, 2]}", "found an array");
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"attempts\": \"two\"}",
                   "\"attempts\" must be an integer");
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"attempts\": -4}", "found -4");
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"max_retries\": 0}", "\"max_retries\"");
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"max_retries\": 5000}", "from 1 to 1000");
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"errors\": \"none\"}",
                   "\"errors\" must be an array");
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"priority\": \"high\"}", "\"priority\"");
}

static void whole_doubles_are_integers(void **state)
{
    (void)state;
    struct task_doc d;
    /* JavaScript producers write numbers as doubles */
    assert_true(
        decode("{\"_id\": 1, \"type\": \"t\", \"attempts\": 2.0, \"max_retries\": 4.0}", &d));
    assert_int_equal(d.attempts, 2);
    assert_int_equal(d.max_retries, 4);
    assert_string_equal(d.problem, "");
    task_doc_destroy(&d);
    expect_problem("{\"_id\": 1, \"type\": \"t\", \"attempts\": 2.5}", "\"attempts\"");
}

static void documents_without_id_or_type_are_refused(void **state)
{
    (void)state;
    struct task_doc d;
    assert_false(decode("{\"type\": \"t\"}", &d));
    assert_false(decode("{\"_id\": 1}", &d));
    assert_false(decode("{\"_id\": 1, \"type\": 5}", &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_inserted_task_gets_defaults),
        cmocka_unit_test(full_task_is_read),
        cmocka_unit_test(malformed_fields_are_named),
        cmocka_unit_test(whole_doubles_are_integers),
        cmocka_unit_test(documents_without_id_or_type_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
