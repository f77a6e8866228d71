/* Loading single plugin files: the good ones work, and each broken one is
 * refused with its own message (what is wrong and what to do). */
#include "test_plugin_util.h"

#include "plugin/host_api.h"

#define BROKEN(name) TEST_PLUGIN_DIR "/broken/" name "/" name ".so"

/* Opens path expecting failure; returns the message (static storage). */
static const char *open_fails(const char *path)
{
    static struct error err;
    struct plugin p;
    memset(&p, 0x5a, sizeof p);
    error_clear(&err);
    assert_false(plugin_open(path, &p, &err));
    assert_int_equal(err.code, ERR_PLUGIN);
    assert_null(p.path); /* left empty */
    assert_null(p.handle);
    assert_int_equal(p.n_types, 0);
    assert_contains(err.msg, path);
    print_message("%s\n", err.msg);
    return err.msg;
}

static void test_good_plugin_loads_with_its_types(void **state)
{
    (void)state;
    struct plugin p;
    struct error err;
    assert_true(plugin_open(TEST_PLUGIN_DIR "/good.so", &p, &err));
    assert_string_equal(p.name, "good");
    assert_string_equal(p.version, "1.2.3");
    assert_string_equal(p.path, TEST_PLUGIN_DIR "/good.so");
    assert_int_equal(p.n_types, 2);
    assert_string_equal(p.types[0], "test.good");
    assert_string_equal(p.types[1], "test.good.echo");
    assert_null(p.types[2]);
    assert_non_null(p.handle);
    assert_false(p.initialised);
    plugin_close(&p);
    assert_null(p.name);
}

static void test_good_plugin_inits_runs_and_shuts_down_once(void **state)
{
    (void)state;
    struct plugin p;
    struct error err;
    log_capture_start();
    assert_true(plugin_open(TEST_PLUGIN_DIR "/good.so", &p, &err));
    assert_true(plugin_init(&p, host_api(), NULL, NULL, &err));
    assert_true(p.initialised);
    assert_logged("plugin good: good: init");

    struct th_task t;
    test_task(&t, "test.good.echo", 1, "{\"x\": [1, 2]}");
    assert_int_equal(p.desc.run(p.state, &t), TH_DONE);
    assert_result(&t, "{ \"x\" : [ 1, 2 ] }");
    task_destroy(&t);

    assert_false(log_contains("good: shutdown"));
    plugin_close(&p);
    char *log = log_captured();
    char *first = strstr(log, "good: shutdown");
    assert_non_null(first);
    assert_null(strstr(first + 1, "good: shutdown")); /* exactly once */
    free(log);
    log_capture_stop();
}

static void test_setting_of_the_wrong_type_fails_even_if_init_ignores_it(void **state)
{
    (void)state;
    struct test_cfg c;
    test_cfg_load(&c, "plugins = { settings = {\n"
                      "  good = { label = 5; };\n"
                      "}; };\n");
    struct plugin p;
    struct error err;
    log_capture_start();
    assert_true(plugin_open(TEST_PLUGIN_DIR "/good.so", &p, &err));
    assert_false(plugin_init(&p, host_api(), test_cfg_block(&c, "good"), NULL, &err));
    assert_int_equal(err.code, ERR_CONFIG);
    char expected[4400];
    snprintf(expected, sizeof expected,
             "%s:2: setting plugins.settings.good.label of plugin good must be a string, not an "
             "integer (read by plugin good, " TEST_PLUGIN_DIR "/good.so)",
             c.path);
    assert_string_equal(err.msg, expected);
    assert_false(p.initialised);
    assert_logged("good: shutdown"); /* its init succeeded: it is shut down again */
    plugin_close(&p);
    char *log = log_captured();
    assert_null(strstr(strstr(log, "good: shutdown") + 1, "good: shutdown")); /* once */
    free(log);
    log_capture_stop();
    test_cfg_free(&c);
}

static void test_cxx_plugin_loads_and_runs(void **state)
{
    (void)state;
    struct plugin p;
    struct error err;
    if (!plugin_open(TEST_PLUGIN_DIR "/cxx.so", &p, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(p.name, "cxx");
    assert_int_equal(p.n_types, 1);
    assert_string_equal(p.types[0], "test.cxx");
    assert_true(plugin_init(&p, host_api(), NULL, NULL, &err));

    struct th_task t;
    test_task(&t, "test.cxx", 1, NULL);
    assert_int_equal(p.desc.run(p.state, &t), TH_DONE);
    assert_result(&t, "{ \"greeting\" : \"hello test.cxx\", \"length\" : 14 }");
    task_destroy(&t);

    /* an exception thrown inside run() is caught there and reported */
    test_task(&t, "test.cxx", 1, "{\"throw\": true}");
    assert_int_equal(p.desc.run(p.state, &t), TH_RETRY);
    assert_string_equal(t.fail_msg, "cxx: asked to throw");
    task_destroy(&t);
    plugin_close(&p);
}

static void test_newer_descriptor_is_accepted_and_cut_to_size(void **state)
{
    (void)state;
    struct plugin p;
    struct error err;
    assert_true(plugin_open(TEST_PLUGIN_DIR "/newer.so", &p, &err));
    assert_string_equal(p.name, "newer");
    assert_int_equal(p.desc.size, sizeof(th_plugin) + sizeof(void (*)(void)));
    assert_null(p.desc.init); /* absent fields read as NULL */
    assert_true(plugin_init(&p, host_api(), NULL, NULL, &err));
    plugin_close(&p);
}

static void test_missing_file(void **state)
{
    (void)state;
    const char *msg = open_fails(TEST_PLUGIN_DIR "/no-such-plugin.so");
    assert_contains(msg, "does not exist");
}

static void test_text_file_is_not_a_shared_object(void **state)
{
    (void)state;
    const char *msg = open_fails(TEST_PLUGIN_DIR "/broken/not_elf/bad.so");
    assert_contains(msg, "is not an ELF shared object");
    assert_contains(msg, "is it a plugin built with taskhost_add_plugin()?");
}

static void test_truncated_elf_reports_dlerror(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char path[4200];
    join_path(path, sizeof path, dir, "cut.so");
    /* the first 100 bytes of a real plugin: an ELF header and nothing else */
    FILE *in = fopen(TEST_PLUGIN_DIR "/good.so", "rb");
    FILE *out = fopen(path, "wb");
    char head[100];
    assert_int_equal(fread(head, 1, sizeof head, in), sizeof head);
    assert_int_equal(fwrite(head, 1, sizeof head, out), sizeof head);
    fclose(in);
    fclose(out);
    const char *msg = open_fails(path);
    assert_contains(msg, "cannot load plugin");
    assert_contains(msg, path); /* dlerror names the file too */
    assert_contains(msg, "is it a plugin built with taskhost_add_plugin()?");
    rm_tree(dir);
}

static void test_directory_is_not_a_plugin(void **state)
{
    (void)state;
    const char *msg = open_fails(TEST_PLUGIN_DIR "/broken");
    assert_contains(msg, "is not a regular file");
}

static void test_no_entry_symbol(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("no_entry"));
    assert_contains(msg, "does not export taskhost_plugin_entry; define it with TH_PLUGIN_EXPORT");
}

static void test_entry_returns_null(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("null_entry"));
    assert_contains(msg, "taskhost_plugin_entry() returned NULL");
}

static void test_wrong_abi_version(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("abi2"));
    assert_contains(msg, "was built for taskhost plugin ABI 2, this host speaks ABI 1; rebuild "
                         "the plugin against the SDK of this host");
}

static void test_descriptor_size_too_small(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("small_size"));
    assert_contains(msg, "too small for ABI 1");
    assert_contains(msg, "TH_PLUGIN_HEADER");
}

static void test_no_task_types(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("no_types"));
    assert_contains(msg, "declares no task types");
}

static void test_empty_task_type(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("empty_type"));
    assert_contains(msg, "task type #2 is an empty string");
}

static void test_task_type_too_long(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("long_type"));
    assert_contains(msg, "is longer than 200 bytes");
}

static void test_invalid_name(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("bad_name"));
    assert_contains(msg, "has an invalid name \"Bad Name!\"");
    assert_contains(msg, "a-z, 0-9, '_' and '-'");
}

static void test_null_name(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("null_name"));
    assert_contains(msg, "has no name");
}

static void test_null_run(void **state)
{
    (void)state;
    const char *msg = open_fails(BROKEN("no_run"));
    assert_contains(msg, "has no run function");
}

static void test_init_failure_carries_the_plugin_message(void **state)
{
    (void)state;
    struct plugin p;
    struct error err;
    assert_true(plugin_open(BROKEN("init_fails"), &p, &err));
    assert_false(plugin_init(&p, host_api(), NULL, NULL, &err));
    assert_int_equal(err.code, ERR_PLUGIN);
    assert_contains(err.msg, "plugin broken (" BROKEN("init_fails") ") failed to initialise");
    assert_contains(err.msg, "the frobnicator is not configured");
    assert_false(p.initialised);
    plugin_close(&p);
}

static void test_bare_file_name_is_not_searched_for(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char *dir = tmp_dir();
    assert_int_equal(chdir(dir), 0);
    /* not in the working directory: refused, never looked up elsewhere */
    const char *msg = open_fails("good.so");
    assert_contains(msg, "does not exist");
    /* in the working directory: loaded from there */
    copy_file(TEST_PLUGIN_DIR "/good.so", dir, "good.so", 0755);
    struct plugin p;
    struct error err;
    assert_true(plugin_open("good.so", &p, &err));
    assert_string_equal(p.name, "good");
    plugin_close(&p);
    assert_int_equal(chdir(cwd), 0);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_plugin_loads_with_its_types),
        cmocka_unit_test(test_good_plugin_inits_runs_and_shuts_down_once),
        cmocka_unit_test(test_setting_of_the_wrong_type_fails_even_if_init_ignores_it),
        cmocka_unit_test(test_cxx_plugin_loads_and_runs),
        cmocka_unit_test(test_newer_descriptor_is_accepted_and_cut_to_size),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_text_file_is_not_a_shared_object),
        cmocka_unit_test(test_truncated_elf_reports_dlerror),
        cmocka_unit_test(test_directory_is_not_a_plugin),
        cmocka_unit_test(test_no_entry_symbol),
        cmocka_unit_test(test_entry_returns_null),
        cmocka_unit_test(test_wrong_abi_version),
        cmocka_unit_test(test_descriptor_size_too_small),
        cmocka_unit_test(test_no_task_types),
        cmocka_unit_test(test_empty_task_type),
        cmocka_unit_test(test_task_type_too_long),
        cmocka_unit_test(test_invalid_name),
        cmocka_unit_test(test_null_name),
        cmocka_unit_test(test_null_run),
        cmocka_unit_test(test_init_failure_carries_the_plugin_message),
        cmocka_unit_test(test_bare_file_name_is_not_searched_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
