/* th_settings: the getters a plugin calls during init, the first type error
 * with file:line, and warnings about settings nobody read. */
#include "test_plugin_util.h"

#include "plugin/host_api.h"
#include "plugin/settings.h"

static const char config_text[] = "plugins = {\n"                          /* 1 */
                                  "  settings = {\n"                       /* 2 */
                                  "    demo = {\n"                         /* 3 */
                                  "      name = \"Ada\";\n"                /* 4 */
                                  "      count = 12;\n"                    /* 5 */
                                  "      big = 9000000000L;\n"             /* 6 */
                                  "      ratio = 0.25;\n"                  /* 7 */
                                  "      whole = 2;\n"                     /* 8 */
                                  "      on = true;\n"                     /* 9 */
                                  "      hosts = [\"a\", \"b\", \"c\"];\n" /* 10 */
                                  "      mixed = (\"a\", 2);\n"            /* 11 */
                                  "      speling = 1;\n"                   /* 12 */
                                  "    };\n"
                                  "  };\n"
                                  "};\n";

struct fixture {
    struct test_cfg cfg;
    struct settings *s;
    const th_host_api *api;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    test_cfg_load(&f->cfg, config_text);
    f->s = settings_new("demo", test_cfg_block(&f->cfg, "demo"), f->cfg.path);
    f->api = host_api();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    settings_free(f->s);
    test_cfg_free(&f->cfg);
    free(f);
    return 0;
}

static const th_settings *ts(const struct fixture *f)
{
    return (const th_settings *)f->s;
}

/* "<config path>:<line>: " */
static void where(const struct fixture *f, int line, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%d: ", f->cfg.path, line);
}

static void test_values_of_the_right_type(void **state)
{
    struct fixture *f = *state;
    const char *str;
    int64_t i;
    double d;
    int b;
    assert_int_equal(f->api->setting_string(ts(f), "name", "x", &str), TH_OK);
    assert_string_equal(str, "Ada");
    assert_int_equal(f->api->setting_int(ts(f), "count", 0, &i), TH_OK);
    assert_int_equal(i, 12);
    assert_int_equal(f->api->setting_int(ts(f), "big", 0, &i), TH_OK);
    assert_true(i == INT64_C(9000000000));
    assert_int_equal(f->api->setting_double(ts(f), "ratio", 0, &d), TH_OK);
    assert_true(d == 0.25);
    assert_int_equal(f->api->setting_double(ts(f), "whole", 0, &d), TH_OK); /* ints are numbers */
    assert_true(d == 2.0);
    assert_int_equal(f->api->setting_bool(ts(f), "on", 0, &b), TH_OK);
    assert_int_equal(b, 1);
    assert_null(settings_error(f->s));
}

static void test_absent_settings_give_the_default(void **state)
{
    struct fixture *f = *state;
    const char *str;
    int64_t i;
    double d;
    int b;
    assert_int_equal(f->api->setting_string(ts(f), "nope", "dflt", &str), TH_OK);
    assert_string_equal(str, "dflt");
    assert_int_equal(f->api->setting_string(ts(f), "nope", NULL, &str), TH_OK);
    assert_null(str);
    assert_int_equal(f->api->setting_int(ts(f), "nope", -3, &i), TH_OK);
    assert_int_equal(i, -3);
    assert_int_equal(f->api->setting_double(ts(f), "nope", 1.5, &d), TH_OK);
    assert_true(d == 1.5);
    assert_int_equal(f->api->setting_bool(ts(f), "nope", 1, &b), TH_OK);
    assert_int_equal(b, 1);
    assert_int_equal(f->api->setting_list_len(ts(f), "nope"), 0);
}

static void test_string_lists(void **state)
{
    struct fixture *f = *state;
    const char *str = NULL;
    assert_int_equal(f->api->setting_list_len(ts(f), "hosts"), 3);
    assert_int_equal(f->api->setting_list_string(ts(f), "hosts", 2, &str), TH_OK);
    assert_string_equal(str, "c");
    log_capture_start();
    assert_int_equal(f->api->setting_list_string(ts(f), "hosts", 3, &str), TH_EINVAL);
    assert_int_equal(f->api->setting_list_string(ts(f), "hosts", -1, &str), TH_EINVAL);
    assert_logged("plugin demo asked for element 3 of setting hosts, which has 3 elements");
    log_capture_stop();
    assert_null(settings_error(f->s)); /* a bad index is a plugin bug, not a config error */
}

static void test_wrong_type_is_reported_with_file_and_line(void **state)
{
    struct fixture *f = *state;
    int64_t i = 77;
    assert_int_equal(f->api->setting_int(ts(f), "name", 5, &i), TH_ETYPE);
    assert_int_equal(i, 77); /* untouched */
    char expected[4400];
    where(f, 4, expected, sizeof expected);
    strcat(expected, "setting plugins.settings.demo.name of plugin demo must be an integer, not "
                     "a string");
    assert_non_null(settings_error(f->s));
    assert_string_equal(settings_error(f->s), expected);

    /* later errors do not replace the first */
    int b;
    assert_int_equal(f->api->setting_bool(ts(f), "count", 0, &b), TH_ETYPE);
    assert_string_equal(settings_error(f->s), expected);
}

static void test_each_getter_checks_its_type(void **state)
{
    struct fixture *f = *state;
    const char *str;
    int64_t i;
    double d;
    int b;
    assert_int_equal(f->api->setting_string(ts(f), "count", "", &str), TH_ETYPE);
    assert_int_equal(f->api->setting_int(ts(f), "ratio", 0, &i), TH_ETYPE);
    assert_int_equal(f->api->setting_double(ts(f), "on", 0, &d), TH_ETYPE);
    assert_int_equal(f->api->setting_bool(ts(f), "count", 0, &b), TH_ETYPE);
    assert_int_equal(f->api->setting_list_len(ts(f), "name"), TH_ETYPE);
    assert_non_null(strstr(settings_error(f->s), "must be a string, not an integer"));
}

static void test_list_with_a_non_string(void **state)
{
    struct fixture *f = *state;
    const char *str;
    assert_int_equal(f->api->setting_list_len(ts(f), "mixed"), TH_ETYPE);
    assert_int_equal(f->api->setting_list_string(ts(f), "mixed", 0, &str), TH_ETYPE);
    char expected[4400];
    where(f, 11, expected, sizeof expected);
    strcat(expected, "setting plugins.settings.demo.mixed[1] of plugin demo must be a string");
    assert_non_null(strstr(settings_error(f->s), expected));
}

static void test_null_arguments_are_refused(void **state)
{
    struct fixture *f = *state;
    int64_t i;
    log_capture_start();
    assert_int_equal(f->api->setting_int(ts(f), NULL, 0, &i), TH_EINVAL);
    assert_int_equal(f->api->setting_int(ts(f), "count", 0, NULL), TH_EINVAL);
    assert_logged("plugin demo called setting_int(\"count\") with a NULL argument");
    log_capture_stop();
    assert_null(settings_error(f->s));
}

static void test_unread_settings_are_warned_about(void **state)
{
    struct fixture *f = *state;
    const char *str;
    int64_t i;
    double d;
    int b;
    f->api->setting_string(ts(f), "name", "", &str);
    f->api->setting_int(ts(f), "count", 0, &i);
    f->api->setting_int(ts(f), "big", 0, &i);
    f->api->setting_double(ts(f), "ratio", 0, &d);
    f->api->setting_double(ts(f), "whole", 0, &d);
    f->api->setting_bool(ts(f), "on", 0, &b);
    f->api->setting_list_len(ts(f), "hosts");
    f->api->setting_list_len(ts(f), "mixed");
    log_capture_start();
    settings_warn_unread(f->s);
    char expected[4400];
    where(f, 12, expected, sizeof expected);
    strcat(expected, "unknown setting plugins.settings.demo.speling: plugin demo does not use it");
    assert_logged(expected);
    char *log = log_captured();
    assert_null(strstr(log, "demo.count"));
    assert_null(strstr(log, "demo.hosts"));
    int lines = 0;
    for (const char *p = log; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1);
    free(log);
    log_capture_stop();
}

static void test_no_block_means_defaults_and_no_warnings(void **state)
{
    (void)state;
    struct settings *s = settings_new("bare", NULL, NULL);
    int64_t i;
    assert_int_equal(host_api()->setting_int((const th_settings *)s, "x", 9, &i), TH_OK);
    assert_int_equal(i, 9);
    log_capture_start();
    settings_warn_unread(s);
    char *log = log_captured();
    assert_string_equal(log, "");
    free(log);
    log_capture_stop();
    settings_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values_of_the_right_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_settings_give_the_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_type_is_reported_with_file_and_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_each_getter_checks_its_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_with_a_non_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_arguments_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unread_settings_are_warned_about, setup, teardown),
        cmocka_unit_test(test_no_block_means_defaults_and_no_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
