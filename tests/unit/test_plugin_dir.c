/* Loading the plugin directory: name order, conflicts between plugins,
 * permissions, and settings blocks handed to the right plugin. */
#include "test_plugin_util.h"

#include "plugin/host_api.h"
#include "plugin/registry.h"

#define GOOD         TEST_PLUGIN_DIR "/good.so"
#define CXX          TEST_PLUGIN_DIR "/cxx.so"
#define BROKEN(name) TEST_PLUGIN_DIR "/broken/" name "/" name ".so"

/* Opens dir expecting failure; returns the message (static storage). */
static const char *open_dir_fails(const char *dir, struct test_cfg *c)
{
    static struct error err;
    struct config cfg = test_config(dir, c);
    struct plugin_set set;
    error_clear(&err);
    assert_false(plugin_set_open_dir(&cfg, &set, &err));
    assert_int_equal(set.n, 0);
    assert_null(set.items);
    print_message("%s\n", err.msg);
    return err.msg;
}

static void test_loads_all_plugins_in_name_order(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    copy_file(CXX, dir, "cxx.so", 0755);
    write_file(dir, "README.txt", "not a plugin\n");
    write_file(dir, ".hidden.so", "ignored: hidden\n");
    struct config cfg = test_config(dir, NULL);
    struct plugin_set set;
    struct error err;
    assert_true(plugin_set_open_dir(&cfg, &set, &err));
    assert_int_equal(set.n, 2);
    assert_string_equal(set.items[0].name, "cxx");
    assert_string_equal(set.items[1].name, "good");

    struct registry reg = {0};
    assert_true(registry_build(&reg, &set, &err));
    assert_int_equal(reg.n, 3);
    assert_ptr_equal(registry_find(&reg, "test.cxx"), &set.items[0]);
    assert_ptr_equal(registry_find(&reg, "test.good.echo"), &set.items[1]);
    registry_free(&reg);
    plugin_set_close(&set);
    assert_int_equal(set.n, 0);
    rm_tree(dir);
}

static void test_two_plugins_with_the_same_type(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    copy_file(BROKEN("dup_type"), dir, "dup_type.so", 0755);
    const char *msg = open_dir_fails(dir, NULL);
    assert_contains(msg, "task type \"test.good\" is claimed by two plugins");
    assert_contains(msg, "/dup_type.so (plugin duptype)");
    assert_contains(msg, "/good.so (plugin good)");
    rm_tree(dir);
}

static void test_two_plugins_with_the_same_name(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    copy_file(GOOD, dir, "good-copy.so", 0755);
    const char *msg = open_dir_fails(dir, NULL);
    assert_contains(msg, "/good-copy.so and ");
    assert_contains(msg, "/good.so are both named \"good\"");
    rm_tree(dir);
}

static void test_one_broken_plugin_fails_the_directory(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    copy_file(BROKEN("abi2"), dir, "abi2.so", 0755);
    const char *msg = open_dir_fails(dir, NULL);
    assert_contains(msg, "/abi2.so was built for taskhost plugin ABI 2");
    rm_tree(dir);
}

static void test_missing_directory(void **state)
{
    (void)state;
    const char *msg = open_dir_fails("/nonexistent/taskhost/plugins", NULL);
    assert_contains(msg, "plugin directory /nonexistent/taskhost/plugins does not exist");
}

static void test_empty_directory(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    write_file(dir, "notes.txt", "no plugins here\n");
    const char *msg = open_dir_fails(dir, NULL);
    assert_contains(msg, "holds no plugins (files named *.so)");
    rm_tree(dir);
}

static void test_group_writable_plugin_is_refused(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0775);
    char path[4200];
    join_path(path, sizeof path, dir, "good.so");
    const char *msg = open_dir_fails(dir, NULL);
    assert_contains(msg, "plugin file ");
    assert_contains(msg, "/good.so is writable by its group (mode 0775)");
    char fix[4300];
    snprintf(fix, sizeof fix, "fix: chmod go-w %s", path);
    assert_contains(msg, fix);
    rm_tree(dir);
}

static void test_world_writable_directory_is_refused(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    assert_int_equal(chmod(dir, 0777), 0);
    const char *msg = open_dir_fails(dir, NULL);
    assert_contains(msg, "plugin directory ");
    assert_contains(msg, "is writable by its group and all users (mode 0777)");
    char fix[4300];
    snprintf(fix, sizeof fix, "fix: chmod go-w %s", dir);
    assert_contains(msg, fix);
    rm_tree(dir);
}

static void test_plugin_owned_by_another_user_is_refused(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: changing a file's owner needs root\n");
        skip();
    }
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    char path[4200];
    join_path(path, sizeof path, dir, "good.so");
    assert_int_equal(chown(path, 65534, 65534), 0);
    const char *msg = open_dir_fails(dir, NULL);
    assert_contains(msg, "(uid 65534) rather than root, the user running taskhost");
    char fix[4300];
    snprintf(fix, sizeof fix, "fix: chown root %s", path);
    assert_contains(msg, fix);
    rm_tree(dir);
}

static void test_owner_may_be_the_user_running_the_host(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: switching users needs root\n");
        skip();
    }
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    char path[4200];
    join_path(path, sizeof path, dir, "good.so");
    struct error err;
    assert_int_equal(chown(path, 65534, 65534), 0);
    assert_int_equal(seteuid(65534), 0); /* run as the owner: accepted */
    bool own_ok = plugin_check_permissions(path, false, &err);
    assert_int_equal(seteuid(0), 0);
    assert_true(own_ok);

    assert_int_equal(chown(path, 1, 1), 0);
    assert_int_equal(seteuid(65534), 0); /* someone else's file: refused */
    bool other_ok = plugin_check_permissions(path, false, &err);
    assert_int_equal(seteuid(0), 0);
    assert_false(other_ok);
    print_message("%s\n", err.msg);
    assert_contains(err.msg, "(uid 1) rather than root or ");
    assert_contains(err.msg, "(uid 65534), the user running taskhost");
    rm_tree(dir);
}

static void test_directory_named_like_a_plugin_is_refused(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char sub[4200];
    join_path(sub, sizeof sub, dir, "sub.so");
    assert_int_equal(mkdir(sub, 0755), 0);
    const char *msg = open_dir_fails(dir, NULL);
    assert_contains(msg, "/sub.so is not a regular file (it is a directory)");
    rm_tree(dir);
}

static void test_permission_check_accepts_a_safe_file(void **state)
{
    (void)state;
    struct error err;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0700);
    char path[4200];
    join_path(path, sizeof path, dir, "good.so");
    assert_true(plugin_check_permissions(path, false, &err));
    assert_true(plugin_check_permissions(dir, true, &err));
    assert_false(plugin_check_permissions(path, true, &err));
    assert_contains(err.msg, "is not a directory (it is a regular file)");
    rm_tree(dir);
}

static void test_init_failure_shuts_down_earlier_plugins(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    copy_file(BROKEN("init_fails"), dir, "init_fails.so", 0755);
    struct config cfg = test_config(dir, NULL);
    struct plugin_set set;
    struct error err;
    log_capture_start();
    assert_true(plugin_set_open_dir(&cfg, &set, &err));
    assert_false(plugin_set_init(&set, host_api(), &cfg, &err));
    assert_contains(err.msg, "plugin broken (");
    assert_contains(err.msg, "the frobnicator is not configured");
    assert_logged("good: init");
    assert_logged("good: shutdown");
    assert_false(set.items[0].initialised);
    plugin_set_close(&set);
    char *log = log_captured();
    assert_non_null(strstr(log, "good: shutdown"));
    assert_null(strstr(strstr(log, "good: shutdown") + 1, "good: shutdown")); /* not twice */
    free(log);
    log_capture_stop();
    rm_tree(dir);
}

static void test_settings_blocks_reach_their_plugin(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(SHIPPED_PLUGIN_DIR "/sleep.so", dir, "sleep.so", 0755);
    copy_file(GOOD, dir, "good.so", 0755);
    struct test_cfg c;
    test_cfg_load(&c, "plugins = {\n"
                      "  settings = {\n"
                      "    sleep = { default_ms = \"soon\"; };\n"
                      "  };\n"
                      "};\n");
    struct config cfg = test_config(dir, &c);
    struct plugin_set set;
    struct error err;
    assert_true(plugin_set_open_dir(&cfg, &set, &err));
    assert_false(plugin_set_init(&set, host_api(), &cfg, &err));
    char where[4300];
    snprintf(where, sizeof where, "%s:3: setting plugins.settings.sleep.default_ms", c.path);
    assert_contains(err.msg, where);
    assert_contains(err.msg, "must be an integer, not a string");
    plugin_set_close(&set);
    test_cfg_free(&c);
    rm_tree(dir);
}

static void test_messages_name_the_configured_file(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(SHIPPED_PLUGIN_DIR "/sleep.so", dir, "sleep.so", 0755);
    struct test_cfg c;
    test_cfg_load_string(&c,
                         "plugins = {\n"
                         "  settings = {\n"
                         "    sleep = { default_ms = 5; max_ms = 7;\n"
                         "      maxms = 9; };\n"
                         "    slep = { default_ms = 5; };\n"
                         "  };\n"
                         "};\n",
                         "/etc/taskhost/taskhost.cfg");
    struct config cfg = test_config(dir, &c);
    struct plugin_set set;
    struct error err;
    log_capture_start();
    assert_true(plugin_set_open_dir(&cfg, &set, &err));
    assert_logged("/etc/taskhost/taskhost.cfg:5: settings for plugin \"slep\" are ignored");
    assert_true(plugin_set_init(&set, host_api(), &cfg, &err));
    assert_logged("/etc/taskhost/taskhost.cfg:4: unknown setting plugins.settings.sleep.maxms");
    plugin_set_close(&set);
    log_capture_stop();
    test_cfg_free(&c);
    rm_tree(dir);
}

static void test_settings_for_an_unknown_plugin_are_warned_about(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    copy_file(GOOD, dir, "good.so", 0755);
    struct test_cfg c;
    test_cfg_load(&c, "plugins = {\n"
                      "  settings = {\n"
                      "    goood = { x = 1; };\n"
                      "  };\n"
                      "};\n");
    struct config cfg = test_config(dir, &c);
    struct plugin_set set;
    struct error err;
    log_capture_start();
    assert_true(plugin_set_open_dir(&cfg, &set, &err));
    char where[4300];
    snprintf(where, sizeof where, "%s:3: settings for plugin \"goood\" are ignored", c.path);
    assert_logged(where);
    plugin_set_close(&set);
    log_capture_stop();
    test_cfg_free(&c);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_all_plugins_in_name_order),
        cmocka_unit_test(test_two_plugins_with_the_same_type),
        cmocka_unit_test(test_two_plugins_with_the_same_name),
        cmocka_unit_test(test_one_broken_plugin_fails_the_directory),
        cmocka_unit_test(test_missing_directory),
        cmocka_unit_test(test_empty_directory),
        cmocka_unit_test(test_group_writable_plugin_is_refused),
        cmocka_unit_test(test_world_writable_directory_is_refused),
        cmocka_unit_test(test_plugin_owned_by_another_user_is_refused),
        cmocka_unit_test(test_owner_may_be_the_user_running_the_host),
        cmocka_unit_test(test_directory_named_like_a_plugin_is_refused),
        cmocka_unit_test(test_permission_check_accepts_a_safe_file),
        cmocka_unit_test(test_init_failure_shuts_down_earlier_plugins),
        cmocka_unit_test(test_settings_blocks_reach_their_plugin),
        cmocka_unit_test(test_messages_name_the_configured_file),
        cmocka_unit_test(test_settings_for_an_unknown_plugin_are_warned_about),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
