/* JSON input of `taskhost enqueue`: errors name line and column; task lines become tasks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/json_lines.h"
#include "cli/json_pretty.h"
#include "cli/json_scan.h"
#include "store/admin_common.h"

/* ---- json_scan ---- */

static void scan_ok(const char *text)
{
    struct json_top top;
    struct json_error e;
    if (!json_scan(text, strlen(text), &top, &e))
        fail_msg("'%s' refused at %d:%d: %s", text, e.line, e.column, e.msg);
}

/* Scans text that must fail at line:column with `words` in the message. */
static void scan_bad(const char *text, int line, int column, const char *words)
{
    struct json_top top;
    struct json_error e;
    if (json_scan(text, strlen(text), &top, &e))
        fail_msg("'%s' was accepted", text);
    if (e.line != line || e.column != column || strstr(e.msg, words) == NULL)
        fail_msg("'%s': got %d:%d \"%s\", expected %d:%d with \"%s\"", text, e.line, e.column,
                 e.msg, line, column, words);
}

static void valid_json_passes(void **state)
{
    (void)state;
    scan_ok("{}");
    scan_ok("  {\"a\": [1, -2.5e3, 0, 0.5, true, false, null, \"x\\n\\u00e9\\ud83d\\ude00\"]} ");
    scan_ok("[]");
    scan_ok("\"just a string\"");
    scan_ok("-0");
    scan_ok("{\"nested\": {\"deeper\": [[{}]]}}\r\n");
    scan_ok("{\"caf\xc3\xa9\": \"\xe2\x82\xac\"}");
}

static void syntax_errors_name_the_column(void **state)
{
    (void)state;
    scan_bad("", 1, 1, "empty");
    scan_bad("   ", 1, 4, "empty");
    scan_bad("{\"a\": 1,}", 1, 9, "comma before '}'");
    scan_bad("{\"a\" 1}", 1, 6, "expected ':'");
    scan_bad("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}'");
    scan_bad("{a: 1}", 1, 2, "member name in double quotes");
    scan_bad("{'a': 1}", 1, 2, "double quotes");
    scan_bad("{\"a\": tru}", 1, 7, "unknown word \"tru\"");
    scan_bad("{\"a\": True}", 1, 7, "true, false and null");
    scan_bad("{\"a\": 01}", 1, 7, "leading zeros");
    scan_bad("{\"a\": 1.}", 1, 9, "after the decimal point");
    scan_bad("{\"a\": -}", 1, 8, "after '-'");
    scan_bad("{\"a\": 1e}", 1, 9, "exponent");
    scan_bad("{\"a\": \"x\\q\"}", 1, 9, "invalid escape");
    scan_bad("{\"a\": \"\\u12\"}", 1, 8, "4 hexadecimal digits");
    scan_bad("{\"a\": \"\\ud800x\"}", 1, 8, "surrogate pair");
    scan_bad("{\"a\": \"\\udc00\"}", 1, 8, "second half");
    scan_bad("{\"a\": \"open", 1, 12, "starts at column 7 is not closed");
    scan_bad("{\"a\": \"tab\there\"}", 1, 11, "control character");
    scan_bad("{\"a\": \"\xff\"}", 1, 8, "invalid UTF-8");
    scan_bad("{\"a\": \"\xc0\xaf\"}", 1, 8, "invalid UTF-8"); /* overlong */
    scan_bad("{\"a\": 1", 1, 8, "the end of the input");
    scan_bad("[1, 2", 1, 6, "in the array that starts at column 1");
    scan_bad("{} {}", 1, 4, "after the end of the JSON value");
    scan_bad("{\"a\": }", 1, 7, "expected a value");
    /* integers beyond 64 bits would silently wrap in libbson */
    scan_ok("[9223372036854775807, -9223372036854775808, 1e30, 99999999999999999999.0]");
    scan_bad("{\"a\": 9223372036854775808}", 1, 7, "64 bits");
    scan_bad("[-9223372036854775809]", 1, 2, "64 bits");
    scan_bad("[123456789012345678901234567890]", 1, 2, "64 bits");
}

static void columns_count_characters_and_lines_count(void **state)
{
    (void)state;
    /* "é" is two bytes but one column */
    scan_bad("{\"\xc3\xa9\": x}", 1, 7, "unknown word \"x\"");
    scan_bad("{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7, "expected ':'");
    scan_bad("{\n  \"a\": [1,\n 2\n", 4, 1, "line 2, column 8");
}

static void deep_nesting_is_refused(void **state)
{
    (void)state;
    char text[2 * (JSON_DEPTH_MAX + 5) + 1];
    size_t n = 0;
    for (int i = 0; i < JSON_DEPTH_MAX + 5; i++)
        text[n++] = '[';
    for (int i = 0; i < JSON_DEPTH_MAX + 5; i++)
        text[n++] = ']';
    text[n] = '\0';
    scan_bad(text, 1, JSON_DEPTH_MAX + 1, "nested deeper");
}

static void members_are_located(void **state)
{
    (void)state;
    const char *text = "{\"type\": \"x\", \"n\": [1, 2],\t\"s\\u0041\": null}";
    struct json_top top;
    struct json_error e;
    assert_true(json_scan(text, strlen(text), &top, &e));
    assert_int_equal(top.kind, JSON_OBJECT);
    assert_int_equal(top.n_members, 3);
    const struct json_member *m = json_member_find(&top, "n");
    assert_non_null(m);
    assert_int_equal(m->kind, JSON_ARRAY);
    assert_int_equal(m->column, 20);
    assert_int_equal(m->key_column, 15);
    assert_memory_equal(text + m->offset, "[1, 2]", m->length);
    assert_non_null(json_member_find(&top, "sA")); /* the key is unescaped */
    assert_int_equal(json_member_find(&top, "type")->kind, JSON_STRING);
    assert_null(json_member_find(&top, "missing"));
}

static void strings_unescape(void **state)
{
    (void)state;
    const char *tok = "\"a\\\"b\\\\c\\/\\n\\u00e9\\ud83d\\ude00\\u0000z\"";
    size_t n;
    char *s = json_unescape(tok, strlen(tok), &n);
    assert_non_null(s);
    const char expected[] = "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80\0z";
    assert_int_equal(n, sizeof expected - 1);
    assert_memory_equal(s, expected, n);
    free(s);
    assert_null(json_unescape("nope", 4, &n));
}

/* ---- task lines ---- */

static void line_bad(const char *text, int column, const char *words)
{
    struct enqueue_task t;
    struct line_error e;
    if (json_line_parse(text, strlen(text), 7, &t, &e)) {
        enqueue_task_clear(&t);
        fail_msg("'%s' was accepted", text);
    }
    if (e.line != 7 || e.column != column || strstr(e.msg, words) == NULL)
        fail_msg("'%s': got %d:%d \"%s\", expected 7:%d with \"%s\"", text, e.line, e.column, e.msg,
                 column, words);
    assert_null(t.type); /* nothing left to free */
    assert_null(t.payload);
}

static void a_full_line_becomes_a_task(void **state)
{
    (void)state;
    const char *text = "{\"type\": \"resize\", \"payload\": {\"image\": 42, \"at\": {\"$date\": "
                       "\"2026-01-01T00:00:00Z\"}}, \"priority\": -5, \"delay_ms\": 30000, "
                       "\"max_retries\": 4, \"unique_key\": \"resize:42\"}";
    struct enqueue_task t;
    struct line_error e;
    assert_true(json_line_parse(text, strlen(text), 3, &t, &e));
    assert_string_equal(t.type, "resize");
    assert_int_equal(t.priority, -5);
    assert_int_equal(t.when, ENQ_DELAY);
    assert_int_equal(t.when_ms, 30000);
    assert_int_equal(t.max_retries, 4);
    assert_string_equal(t.unique_key, "resize:42");
    assert_int_equal(t.line, 3);
    bson_iter_t it;
    assert_true(bson_iter_init_find(&it, t.payload, "image"));
    assert_int_equal(bson_iter_as_int64(&it), 42);
    assert_true(bson_iter_init_find(&it, t.payload, "at"));
    assert_true(BSON_ITER_HOLDS_DATE_TIME(&it)); /* extended JSON */
    enqueue_task_clear(&t);
}

static void a_minimal_line_takes_defaults(void **state)
{
    (void)state;
    const char *text = "  {\"type\": \"noop\", \"payload\": null, \"unique_key\": null}  ";
    struct enqueue_task t;
    struct line_error e;
    assert_true(json_line_parse(text, strlen(text), 1, &t, &e));
    assert_string_equal(t.type, "noop");
    assert_null(t.payload);
    assert_null(t.unique_key);
    assert_int_equal(t.priority, 0);
    assert_int_equal(t.max_retries, -1);
    assert_int_equal(t.when, ENQ_NOW);
    enqueue_task_clear(&t);

    text = "{\"type\": \"x\", \"run_at\": \"2026-12-01T10:00:00Z\"}";
    assert_true(json_line_parse(text, strlen(text), 1, &t, &e));
    assert_int_equal(t.when, ENQ_AT);
    assert_int_equal(t.when_ms, 1796119200000LL);
    enqueue_task_clear(&t);
}

static void bad_lines_say_where_and_why(void **state)
{
    (void)state;
    line_bad("{\"type\": \"x\", \"priority\": \"high\"}", 27,
             "\"priority\" must be a whole number");
    line_bad("{\"type\": \"x\", \"priority\": 2.5}", 27, "from -1000000000 to 1000000000");
    line_bad("{\"type\": \"x\", \"priority\": 1e300}", 27, "whole number");
    line_bad("{\"type\": \"x\", \"max_retries\": 0}", 30, "from 1 to 1000");
    line_bad("{\"type\": \"x\", \"delay_ms\": -1}", 27, "delay_ms");
    line_bad("{\"type\": 5}", 10, "\"type\" must be a string, found a number");
    line_bad("{\"type\": \"\"}", 10, "must not be empty");
    line_bad("{\"payload\": {}}", 1, "\"type\" is missing");
    line_bad("{\"type\": null}", 1, "\"type\" is missing");
    line_bad("{\"type\": \"x\", \"payload\": [1]}", 26, "\"payload\" must be an object");
    line_bad("{\"type\": \"x\", \"payload\": {\"at\": {\"$date\": \"nonsense\"}}}", 26,
             "extended JSON");
    line_bad("{\"type\": \"x\", \"typo\": 1}", 15, "unknown field \"typo\"");
    line_bad("{\"type\": \"x\", \"type\": \"y\"}", 15, "appears twice");
    line_bad("{\"type\": \"x\", \"delay_ms\": 1, \"run_at\": \"2026-12-01T10:00:00Z\"}", 30,
             "not both");
    line_bad("{\"type\": \"x\", \"run_at\": \"2026-12-01\"}", 25, "is not a time");
    line_bad("{\"type\": \"x\", \"unique_key\": \"a\\u0000b\"}", 29, "\\u0000");
    line_bad("[\"type\", \"x\"]", 1, "expected a JSON object");
    line_bad("{\"type\": \"x\",}", 14, "comma before '}'");
    line_bad("{\"type\": \"x\"} {\"type\": \"y\"}", 15, "one value per line");
}

static void long_strings_are_refused(void **state)
{
    (void)state;
    char text[2000];
    char type[TD_TYPE_MAX + 2];
    memset(type, 't', sizeof type - 1);
    type[sizeof type - 1] = '\0';
    snprintf(text, sizeof text, "{\"type\": \"%s\"}", type);
    line_bad(text, 10, "too long");
    type[TD_TYPE_MAX] = '\0'; /* exactly the limit */
    snprintf(text, sizeof text, "{\"type\": \"%s\"}", type);
    struct enqueue_task t;
    struct line_error e;
    assert_true(json_line_parse(text, strlen(text), 1, &t, &e));
    enqueue_task_clear(&t);
}

static void payloads_must_be_objects(void **state)
{
    (void)state;
    struct line_error e;
    bson_t *p = json_payload_parse("{\"n\": 1, \"s\": [true]}", &e);
    assert_non_null(p);
    assert_true(bson_has_field(p, "n"));
    bson_destroy(p);
    assert_null(json_payload_parse("[1, 2]", &e));
    assert_int_equal(e.column, 1);
    assert_non_null(strstr(e.msg, "must be a JSON object"));
    assert_null(json_payload_parse("{\"n\": 1, }", &e));
    assert_int_equal(e.column, 10);
    assert_null(json_payload_parse("{\n\"n\": x}", &e));
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 6);
}

static void blank_lines(void **state)
{
    (void)state;
    assert_true(json_line_blank("", 0));
    assert_true(json_line_blank(" \t\r", 3));
    assert_false(json_line_blank(" {", 2));
}

/* ---- pretty printing ---- */

static void pretty_json_is_indented(void **state)
{
    (void)state;
    char *s = json_pretty("{ \"a\" : [ 1, { \"b\" : \"x, {y}: \\\"z\\\"\" } ], \"e\" : { }, "
                          "\"f\" : [ ] }",
                          2, 2);
    assert_non_null(s);
    assert_string_equal(s, "{\n"
                           "    \"a\": [\n"
                           "      1,\n"
                           "      {\n"
                           "        \"b\": \"x, {y}: \\\"z\\\"\"\n"
                           "      }\n"
                           "    ],\n"
                           "    \"e\": {},\n"
                           "    \"f\": []\n"
                           "  }");
    free(s);
    s = json_pretty("{}", 0, 4);
    assert_string_equal(s, "{}");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_json_passes),
        cmocka_unit_test(syntax_errors_name_the_column),
        cmocka_unit_test(columns_count_characters_and_lines_count),
        cmocka_unit_test(deep_nesting_is_refused),
        cmocka_unit_test(members_are_located),
        cmocka_unit_test(strings_unescape),
        cmocka_unit_test(a_full_line_becomes_a_task),
        cmocka_unit_test(a_minimal_line_takes_defaults),
        cmocka_unit_test(bad_lines_say_where_and_why),
        cmocka_unit_test(long_strings_are_refused),
        cmocka_unit_test(payloads_must_be_objects),
        cmocka_unit_test(blank_lines),
        cmocka_unit_test(pretty_json_is_indented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
