/* What the operator commands print (tables, clipped text, task fields) and how an ID an
 * operator types is matched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/doc_view.h"
#include "cli/table.h"
#include "store/admin_common.h"

/* Prints the table into a new string (caller frees). */
static char *render(const struct table *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    table_print(t, f);
    fclose(f);
    return buf;
}

static void tables_align_columns(void **state)
{
    (void)state;
    static const char *const headers[] = {"ID", "STATE", "N", "NOTE", NULL};
    struct table t;
    table_init(&t, headers);
    table_align_right(&t, 2);
    const char *r1[] = {"a1", "queued", "5", "caf\xc3\xa9"};
    const char *r2[] = {"b", "cancelled", "120", NULL};
    table_add(&t, r1);
    table_add(&t, r2);
    char *out = render(&t);
    assert_string_equal(out, "ID  STATE        N  NOTE\n"
                             "a1  queued       5  caf\xc3\xa9\n"
                             "b   cancelled  120  -\n");
    free(out);
    table_free(&t);
}

static void many_rows_grow_the_table(void **state)
{
    (void)state;
    static const char *const headers[] = {"N", NULL};
    struct table t;
    table_init(&t, headers);
    for (int i = 0; i < 1000; i++) {
        char n[16];
        snprintf(n, sizeof n, "%d", i);
        const char *row[] = {n};
        table_add(&t, row);
    }
    assert_int_equal(t.n_rows, 1000);
    assert_false(t.failed);
    char *out = render(&t);
    assert_non_null(strstr(out, "N\n0\n1\n")); /* the last column has no trailing blanks */
    assert_non_null(strstr(out, "\n999\n"));
    free(out);
    table_free(&t);
}

static void text_is_clipped_to_one_line(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(text_clip("short", 10, buf, sizeof buf), "short");
    assert_string_equal(text_clip("exactly10!", 10, buf, sizeof buf), "exactly10!");
    assert_string_equal(text_clip("this is far too long", 10, buf, sizeof buf), "this is...");
    assert_string_equal(text_clip("two\nlines\there", 20, buf, sizeof buf), "two lines here");
    /* multi-byte characters are kept whole and counted once */
    assert_string_equal(
        text_clip("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 5, buf, sizeof buf),
        "\xc3\xa9\xc3\xa9...");
    assert_int_equal(utf8_width("\xc3\xa9t\xc3\xa9"), 3);
}

/* The candidates of the _id match for text, as JSON. */
static char *id_match(const char *text)
{
    bson_t f = BSON_INITIALIZER;
    admin_append_id_match(&f, "_id", text);
    char *json = bson_as_canonical_extended_json(&f, NULL);
    bson_destroy(&f);
    return json;
}

static void ids_match_what_an_operator_means(void **state)
{
    (void)state;
    char *j = id_match("6b0cf1e7655663b4f808a6e1");
    assert_non_null(strstr(j, "{ \"$oid\" : \"6b0cf1e7655663b4f808a6e1\" }"));
    assert_non_null(strstr(j, "\"6b0cf1e7655663b4f808a6e1\"")); /* or that string */
    bson_free(j);
    j = id_match("42");
    assert_non_null(strstr(j, "{ \"$numberLong\" : \"42\" }"));
    assert_non_null(strstr(j, "\"42\""));
    bson_free(j);
    j = id_match("\"42\""); /* quoted: only the string */
    assert_null(strstr(j, "numberLong"));
    assert_non_null(strstr(j, "[ \"42\" ]"));
    bson_free(j);
    j = id_match("report-2026");
    assert_non_null(strstr(j, "[ \"report-2026\" ]"));
    bson_free(j);
    j = id_match("6b0cf1e7655663b4f808a6e"); /* 23 hex digits: a string */
    assert_null(strstr(j, "$oid"));
    bson_free(j);
    j = id_match("99999999999999999999"); /* beyond int64: only a string */
    assert_null(strstr(j, "numberLong"));
    bson_free(j);
}

static void states_are_classified(void **state)
{
    (void)state;
    assert_true(admin_state_waiting(""));
    assert_true(admin_state_waiting("queued"));
    assert_true(admin_state_waiting("retry"));
    assert_false(admin_state_waiting("running"));
    assert_false(admin_state_waiting("done"));
    assert_true(admin_state_final("done"));
    assert_true(admin_state_final("dead"));
    assert_true(admin_state_final("cancelled"));
    assert_false(admin_state_final("retry"));
    assert_true(admin_state_known("new"));
    assert_false(admin_state_known("finished"));
}

static void task_fields_for_display(void **state)
{
    (void)state;
    bson_error_t e;
    bson_t *doc = bson_new_from_json(
        (const uint8_t *)"{\"_id\": \"job\\n7\", \"state\": \"dead\", \"attempts\": 3, "
                         "\"lease\": {\"owner\": \"h1\"}, \"last_host\": \"h0\", "
                         "\"types\": [\"a\", 5, \"b\"], \"finished_at\": {\"$date\": "
                         "\"2026-12-01T10:00:00Z\"}, \"errors\": [{\"message\": \"first\"}, "
                         "{\"message\": \"second\"}]}",
        -1, &e);
    assert_non_null(doc);
    char buf[64];
    doc_render_id(doc, buf, sizeof buf);
    assert_string_equal(buf, "job?7");
    assert_string_equal(doc_state(doc), "dead");
    assert_string_equal(doc_last_error(doc), "second");
    assert_string_equal(doc_host(doc), "h1");
    assert_string_equal(doc_join(doc, "types", buf, sizeof buf), "a, b");
    assert_string_equal(doc_join(doc, "missing", buf, sizeof buf), "-");
    int64_t ms, n;
    assert_true(doc_date(doc, "finished_at", &ms));
    assert_int_equal(ms, 1796119200000LL);
    assert_false(doc_date(doc, "state", &ms));
    assert_true(doc_int(doc, "attempts", &n));
    assert_int_equal(n, 3);
    char *json = doc_json(doc, "lease");
    assert_string_equal(json, "{ \"owner\" : \"h1\" }");
    bson_free(json);
    json = doc_json(doc, "state");
    assert_string_equal(json, "\"dead\"");
    bson_free(json);
    assert_null(doc_json(doc, "nothing"));
    bson_destroy(doc);

    doc = bson_new_from_json((const uint8_t *)"{\"_id\": 12, \"last_host\": \"h0\"}", -1, &e);
    doc_render_id(doc, buf, sizeof buf);
    assert_string_equal(buf, "12");
    assert_string_equal(doc_state(doc), "new");
    assert_string_equal(doc_host(doc), "h0");
    assert_null(doc_last_error(doc));
    bson_destroy(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tables_align_columns),
        cmocka_unit_test(many_rows_grow_the_table),
        cmocka_unit_test(text_is_clipped_to_one_line),
        cmocka_unit_test(ids_match_what_an_operator_means),
        cmocka_unit_test(states_are_classified),
        cmocka_unit_test(task_fields_for_display),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
