/* The task-type registry over hand-made plugins (no shared objects). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "plugin/registry.h"

/* A plugin record with a name, a path and types (all borrowed literals). */
static struct plugin fake(const char *name, const char *path, char **types)
{
    struct plugin p;
    memset(&p, 0, sizeof p);
    p.name = (char *)(uintptr_t)name;
    p.path = (char *)(uintptr_t)path;
    p.types = types;
    while (types[p.n_types] != NULL)
        p.n_types++;
    return p;
}

static char *alpha_types[] = {"mail.send", "image.resize", NULL};
static char *beta_types[] = {"report.build", "archive", NULL};
static char *clash_types[] = {"zip", "image.resize", NULL};

static void test_finds_each_type_of_each_plugin(void **state)
{
    (void)state;
    struct plugin a = fake("alpha", "/p/alpha.so", alpha_types);
    struct plugin b = fake("beta", "/p/beta.so", beta_types);
    struct registry r = {0};
    struct error err;
    assert_true(registry_add(&r, &a, &err));
    assert_true(registry_add(&r, &b, &err));
    assert_int_equal(r.n, 4);
    assert_ptr_equal(registry_find(&r, "mail.send"), &a);
    assert_ptr_equal(registry_find(&r, "image.resize"), &a);
    assert_ptr_equal(registry_find(&r, "report.build"), &b);
    assert_ptr_equal(registry_find(&r, "archive"), &b);
    assert_null(registry_find(&r, "mail"));
    assert_null(registry_find(&r, "mail.send.later"));
    assert_null(registry_find(&r, ""));
    assert_null(registry_find(&r, NULL));
    registry_free(&r);
    assert_int_equal(r.n, 0);
    assert_null(r.entries);
}

static void test_entries_are_sorted_by_type(void **state)
{
    (void)state;
    struct plugin a = fake("alpha", "/p/alpha.so", alpha_types);
    struct plugin b = fake("beta", "/p/beta.so", beta_types);
    struct registry r = {0};
    struct error err;
    assert_true(registry_add(&r, &a, &err));
    assert_true(registry_add(&r, &b, &err));
    const char *expected[] = {"archive", "image.resize", "mail.send", "report.build"};
    for (int i = 0; i < 4; i++)
        assert_string_equal(r.entries[i].type, expected[i]);
    registry_free(&r);
}

static void test_a_taken_type_names_both_plugins_and_adds_nothing(void **state)
{
    (void)state;
    struct plugin a = fake("alpha", "/p/alpha.so", alpha_types);
    struct plugin c = fake("clash", "/p/clash.so", clash_types);
    struct registry r = {0};
    struct error err;
    assert_true(registry_add(&r, &a, &err));
    assert_false(registry_add(&r, &c, &err));
    assert_int_equal(err.code, ERR_PLUGIN);
    assert_non_null(strstr(err.msg, "task type \"image.resize\" is claimed by two plugins: "
                                    "/p/alpha.so (plugin alpha) and /p/clash.so (plugin clash)"));
    /* "zip" comes before the clash in clash's list, but was not added */
    assert_int_equal(r.n, 2);
    assert_null(registry_find(&r, "zip"));
    assert_ptr_equal(registry_find(&r, "image.resize"), &a);
    registry_free(&r);
}

static void test_build_from_a_set(void **state)
{
    (void)state;
    struct plugin items[2] = {fake("alpha", "/p/alpha.so", alpha_types),
                              fake("beta", "/p/beta.so", beta_types)};
    struct plugin_set set = {.items = items, .n = 2};
    struct registry r = {0};
    struct error err;
    assert_true(registry_build(&r, &set, &err));
    assert_int_equal(r.n, 4);
    assert_ptr_equal(registry_find(&r, "archive"), &items[1]);
    registry_free(&r);

    items[1] = fake("clash", "/p/clash.so", clash_types);
    assert_false(registry_build(&r, &set, &err));
    assert_int_equal(r.n, 0); /* left empty */
    assert_null(r.entries);
}

static void test_many_types_stay_findable(void **state)
{
    (void)state;
    enum { N = 300 };
    static char names[N][16];
    static char *types[N + 1];
    for (int i = 0; i < N; i++) {
        /* inserted in an order unrelated to the sorted one */
        snprintf(names[i], sizeof names[i], "t%05d", (i * 7919) % N);
        types[i] = names[i];
    }
    types[N] = NULL;
    struct plugin p = fake("many", "/p/many.so", types);
    struct registry r = {0};
    struct error err;
    assert_true(registry_add(&r, &p, &err));
    assert_int_equal(r.n, N);
    for (int i = 0; i < N; i++) {
        char t[16];
        snprintf(t, sizeof t, "t%05d", i);
        assert_ptr_equal(registry_find(&r, t), &p);
    }
    for (int i = 1; i < N; i++)
        assert_true(strcmp(r.entries[i - 1].type, r.entries[i].type) < 0);
    registry_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_each_type_of_each_plugin),
        cmocka_unit_test(test_entries_are_sorted_by_type),
        cmocka_unit_test(test_a_taken_type_names_both_plugins_and_adds_nothing),
        cmocka_unit_test(test_build_from_a_set),
        cmocka_unit_test(test_many_types_stay_findable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
