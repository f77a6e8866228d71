/* Unit tests of host/config: the example file, defaults, every kind of bad
 * input and its message, warnings, the environment override, per-type
 * fallbacks and printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

#define EXAMPLE   PROJECT_SOURCE_DIR "/config/taskhost.cfg"
#define NAME      "t.cfg"
#define DIRECTORY "plugins: { directory = \"/opt/plugins\"; };\n"

/* Fails the test showing both strings when needle is not in hay. */
#define assert_contains(hay, needle) assert_contains_at(hay, needle, __FILE__, __LINE__)

static void assert_contains_at(const char *hay, const char *needle, const char *file, int line)
{
    if (hay == NULL || strstr(hay, needle) == NULL) {
        print_error("%s:%d: \"%s\"\n    does not contain \"%s\"\n", file, line,
                    hay ? hay : "(null)", needle);
        _fail(file, line);
    }
}

static bool load(const char *text, struct config *cfg, struct error *err)
{
    return config_load_string(text, NAME, "/tmp", cfg, err);
}

/* Loading text must fail with ERR_CONFIG and a message containing each of
 * the NULL-terminated needles; *out must be left zeroed. */
static void expect_failure(const char *text, ...)
{
    struct config cfg;
    struct error err = {0};
    assert_false(load(text, &cfg, &err));
    assert_int_equal(err.code, ERR_CONFIG);
    assert_null(cfg.path);
    assert_null(cfg.lc);
    assert_null(cfg.mongodb_uri);
    va_list ap;
    va_start(ap, text);
    for (const char *needle = va_arg(ap, const char *); needle != NULL;
         needle = va_arg(ap, const char *))
        assert_contains(err.msg, needle);
    va_end(ap);
    config_free(&cfg); /* harmless on the zeroed struct */
}

/* Captures the log while loading text; returns the log text (free it). */
static char *load_logging(const char *text, struct config *cfg, bool *ok)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    struct error err = {0};
    log_configure(LOG_INFO, LOG_FORMAT_TEXT, mem);
    *ok = load(text, cfg, &err);
    log_configure(LOG_INFO, LOG_FORMAT_TEXT, NULL);
    fclose(mem);
    if (!*ok)
        print_error("load failed: %s\n", err.msg);
    return buf;
}

static char *print_to_string(const struct config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    config_print(cfg, mem);
    fclose(mem);
    return buf;
}

static double block_double(const struct config *cfg, const char *plugin, const char *name)
{
    const struct plugin_block *b = config_plugin_block(cfg, plugin);
    double v = -1;
    assert_non_null(b);
    assert_true(config_setting_lookup_float(b->setting, name, &v));
    return v;
}

static long long block_int(const struct config *cfg, const char *plugin, const char *name)
{
    const struct plugin_block *b = config_plugin_block(cfg, plugin);
    assert_non_null(b);
    const config_setting_t *m = config_setting_get_member(b->setting, name);
    assert_non_null(m);
    return config_setting_get_int64(m);
}

/* --- the example file --- */

static void example_file_loads_with_documented_values(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    bool ok = config_load(EXAMPLE, &cfg, &err);
    if (!ok)
        print_error("%s\n", err.msg);
    assert_true(ok);
    assert_string_equal(cfg.path, EXAMPLE);
    assert_string_equal(cfg.mongodb_uri, "mongodb://127.0.0.1:27017");
    assert_false(cfg.mongodb_uri_from_env);
    assert_string_equal(cfg.database, "taskhost");
    assert_string_equal(cfg.collection, "tasks");
    assert_string_equal(cfg.hosts_collection, "hosts");
    assert_int_equal(cfg.connect_timeout_ms, 5000);
    assert_int_equal(cfg.max_concurrency, 8);
    assert_int_equal(cfg.poll_interval_ms, 1000);
    assert_int_equal(cfg.lease_ms, 15000);
    assert_int_equal(cfg.heartbeat_ms, 5000);
    assert_int_equal(cfg.shutdown_grace_ms, 30000);
    assert_int_equal(cfg.max_host_deaths, 3);
    assert_int_equal(cfg.max_retries, 3);
    assert_int_equal(cfg.backoff_initial_ms, 1000);
    assert_int_equal(cfg.backoff_max_ms, 300000);
    assert_true(cfg.backoff_multiplier == 2.0);
    assert_true(cfg.backoff_jitter == 0.2);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(cfg.log_format, LOG_FORMAT_TEXT);

    /* plugins.directory is relative to the file: <source>/config/../build/plugins */
    char *src = realpath(PROJECT_SOURCE_DIR, NULL);
    char expect[PATH_MAX + 64];
    assert_non_null(src);
    (void)snprintf(expect, sizeof expect, "%s/config/../build/plugins", src);
    assert_string_equal(cfg.plugin_dir, expect);
    free(src);

    assert_int_equal(cfg.n_plugin_blocks, 2);
    assert_true(block_double(&cfg, "flaky", "failure_rate") == 0.3);
    assert_true(block_double(&cfg, "flaky", "permanent_rate") == 0.0);
    assert_int_equal(block_int(&cfg, "sleep", "max_ms"), 60000);

    assert_int_equal(cfg.n_types, 1);
    const struct type_config *t = config_type(&cfg, "sleep");
    assert_non_null(t);
    assert_int_equal(t->concurrency, 2);
    assert_int_equal(t->max_retries, 5);
    assert_int_equal(t->timeout_ms, 60000);
    assert_true(t->source_line > 1);
    config_free(&cfg);
}

/* The example must document every setting the loader knows. */
static void example_file_mentions_every_setting(void **state)
{
    (void)state;
    static const char *const keys[] = {
        "uri",
        "database",
        "collection",
        "hosts_collection",
        "connect_timeout_ms",
        "id",
        "max_concurrency",
        "poll_interval_ms",
        "lease_ms",
        "heartbeat_ms",
        "shutdown_grace_ms",
        "max_host_deaths",
        "max_retries",
        "backoff_initial_ms",
        "backoff_max_ms",
        "backoff_multiplier",
        "backoff_jitter",
        "directory",
        "settings",
        "type",
        "concurrency",
        "timeout_ms",
        "level",
        "format",
        "TASKHOST_MONGODB_URI",
        "failure_rate",
        "permanent_rate",
    };
    FILE *f = fopen(EXAMPLE, "r");
    assert_non_null(f);
    static char text[64 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_contains(text, keys[i]);
}

/* --- defaults --- */

static void almost_empty_file_gets_defaults(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    assert_true(load("# nothing but the required setting\n" DIRECTORY, &cfg, &err));
    assert_string_equal(cfg.path, NAME);
    assert_string_equal(cfg.basedir, "/tmp");
    assert_string_equal(cfg.mongodb_uri, "mongodb://127.0.0.1:27017");
    assert_string_equal(cfg.database, "taskhost");
    assert_string_equal(cfg.collection, "tasks");
    assert_string_equal(cfg.hosts_collection, "hosts");
    assert_int_equal(cfg.connect_timeout_ms, 5000);
    assert_int_equal(cfg.max_concurrency, 8);
    assert_int_equal(cfg.poll_interval_ms, 1000);
    assert_int_equal(cfg.lease_ms, 15000);
    assert_int_equal(cfg.heartbeat_ms, 5000);
    assert_int_equal(cfg.shutdown_grace_ms, 30000);
    assert_int_equal(cfg.max_host_deaths, 3);
    assert_int_equal(cfg.max_retries, 3);
    assert_int_equal(cfg.backoff_initial_ms, 1000);
    assert_int_equal(cfg.backoff_max_ms, 300000);
    assert_true(cfg.backoff_multiplier == 2.0);
    assert_true(cfg.backoff_jitter == 0.2);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(cfg.log_format, LOG_FORMAT_TEXT);
    assert_string_equal(cfg.plugin_dir, "/opt/plugins");
    assert_int_equal(cfg.n_plugin_blocks, 0);
    assert_int_equal(cfg.n_types, 0);

    char host[256] = {0};
    char id[300];
    assert_int_equal(gethostname(host, sizeof host - 1), 0);
    (void)snprintf(id, sizeof id, "%s:%ld", host, (long)getpid());
    assert_string_equal(cfg.host_id, id);
    config_free(&cfg);
    assert_null(cfg.host_id);
    config_free(&cfg); /* twice is harmless */
}

static void heartbeat_defaults_to_a_third_of_the_lease(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    assert_true(load(DIRECTORY "host: { lease_ms = 60000; };", &cfg, &err));
    assert_int_equal(cfg.heartbeat_ms, 20000);
    config_free(&cfg);
}

static void relative_plugin_directory_joins_the_base_directory(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    assert_true(load("plugins: { directory = \"lib/plugins\"; };", &cfg, &err));
    assert_string_equal(cfg.plugin_dir, "/tmp/lib/plugins");
    config_free(&cfg);
}

static void integers_and_floats_are_accepted_in_every_spelling(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    assert_true(load(DIRECTORY "host: { lease_ms = 120000L; max_concurrency = 0x10; };\n"
                               "retry: { backoff_multiplier = 3; backoff_jitter = 0; };",
                     &cfg, &err));
    assert_int_equal(cfg.lease_ms, 120000);
    assert_int_equal(cfg.max_concurrency, 16);
    assert_true(cfg.backoff_multiplier == 3.0);
    assert_true(cfg.backoff_jitter == 0.0);
    config_free(&cfg);
}

/* --- bad input --- */

static void syntax_error_names_file_and_line(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "host: {\n  lease_ms = ;\n};", NAME ":3: syntax error", NULL);
}

static void wrong_type_says_what_was_found(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "host:\n{\n  max_concurrency = \"8\";\n};",
                   NAME ":4: host.max_concurrency: expected an integer from 1 to 4096, found a "
                        "string (\"8\")",
                   NULL);
    expect_failure(DIRECTORY "retry: { backoff_jitter = \"lots\"; };",
                   NAME ":2: retry.backoff_jitter: expected a number from 0 to 1, found a string",
                   NULL);
    expect_failure(DIRECTORY "mongodb: { database = 7; };",
                   NAME ":2: mongodb.database: expected a database name", "found an integer (7)",
                   NULL);
    expect_failure(DIRECTORY "host = 5;", NAME ":2: host: expected a group", "an integer (5)",
                   NULL);
    expect_failure(DIRECTORY "host: { lease_ms = 2.5; };",
                   "host.lease_ms: expected an integer from 1000 to 3600000, found a number "
                   "with a fraction (2.5)",
                   NULL);
}

static void out_of_range_values_name_the_range(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "\nhost: { max_concurrency = 0; };",
                   NAME ":3: host.max_concurrency: expected an integer from 1 to 4096, found 0",
                   NULL);
    expect_failure(DIRECTORY "host: { max_concurrency = 4097; };", "found 4097", NULL);
    expect_failure(DIRECTORY "host: { poll_interval_ms = 5; };",
                   "host.poll_interval_ms: expected an integer from 10 to 600000, found 5", NULL);
    expect_failure(DIRECTORY "host: { lease_ms = 999; };",
                   "host.lease_ms: expected an integer from 1000 to 3600000, found 999", NULL);
    expect_failure(DIRECTORY "host: { shutdown_grace_ms = -1; };",
                   "host.shutdown_grace_ms: expected an integer from 0 to 86400000, found -1",
                   NULL);
    expect_failure(DIRECTORY "host: { max_host_deaths = 101; };",
                   "host.max_host_deaths: expected an integer from 1 to 100, found 101", NULL);
    expect_failure(DIRECTORY "retry: { max_retries = 0; };",
                   "retry.max_retries: expected an integer from 1 to 1000, found 0", NULL);
    expect_failure(DIRECTORY "retry: { backoff_multiplier = 0.5; };",
                   "retry.backoff_multiplier: expected a number from 1 to 10, found 0.5", NULL);
    expect_failure(DIRECTORY "retry: { backoff_jitter = 1.5; };",
                   "retry.backoff_jitter: expected a number from 0 to 1, found 1.5", NULL);
    expect_failure(DIRECTORY "mongodb: { connect_timeout_ms = 10; };",
                   "mongodb.connect_timeout_ms: expected an integer from 100 to 600000, found 10",
                   NULL);
    expect_failure(DIRECTORY "host: { lease_ms = 9999999999L; };", "found 9999999999", NULL);
}

/* libconfig 1.5 would read 4294968296 (no L) as 1000, which is in range. */
static void a_too_large_literal_is_not_silently_truncated(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "host: { lease_ms = 4294968296; };",
                   NAME ":2: host.lease_ms: expected an integer from 1000 to 3600000, found "
                        "4294968296",
                   NULL);
    expect_failure(DIRECTORY "host: {\n  max_concurrency =\n    0x100000008; };",
                   NAME ":3: host.max_concurrency", "found 0x100000008", NULL);
}

static void heartbeat_must_be_less_than_half_the_lease(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "host: {\n  lease_ms = 10000;\n  heartbeat_ms = 5000;\n};",
                   NAME ":4: host.heartbeat_ms: expected an integer from 10 to 4999 (less than "
                        "half of host.lease_ms = 10000), found 5000",
                   NULL);
    struct config cfg;
    struct error err = {0};
    assert_true(load(DIRECTORY "host: { lease_ms = 10000; heartbeat_ms = 4999; };", &cfg, &err));
    assert_int_equal(cfg.heartbeat_ms, 4999);
    config_free(&cfg);
}

static void backoff_max_must_not_be_below_initial(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "retry: { backoff_initial_ms = 5000; backoff_max_ms = 4000; };",
                   "retry.backoff_max_ms: expected an integer from 5000 to 604800000 (at least "
                   "retry.backoff_initial_ms = 5000), found 4000",
                   NULL);
    expect_failure(DIRECTORY "retry: { backoff_initial_ms = 400000; };",
                   "retry.backoff_initial_ms: expected an integer from 1 to 300000 (at most "
                   "retry.backoff_max_ms, whose default is 300000), found 400000",
                   NULL);
}

static void missing_plugin_directory_is_an_error(void **state)
{
    (void)state;
    expect_failure("log: { level = \"debug\"; };", NAME ": plugins.directory",
                   "required setting is missing", NULL);
    expect_failure("\nplugins: { settings: { }; };", NAME ":2: plugins.directory",
                   "required setting is missing", NULL);
    expect_failure("plugins: { directory = \"\"; };",
                   NAME ":1: plugins.directory: expected a non-empty path", "found \"\"", NULL);
}

static void duplicate_type_names_both_lines(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "types = (\n"
                             "  { type = \"sleep\"; },\n"
                             "  { type = \"noop\"; },\n"
                             "  { type = \"sleep\"; concurrency = 1; }\n"
                             ");",
                   NAME ":5: types[2].type", "\"sleep\"", "already configured at " NAME ":3",
                   "types[0]", NULL);
}

static void empty_or_missing_type_is_an_error(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "types = (\n  { type = \"\"; }\n);",
                   NAME ":3: types[0].type: expected a task type of 1 to 200 characters, found "
                        "\"\"",
                   NULL);
    expect_failure(DIRECTORY "types = (\n  { type = \"a\"; },\n  { concurrency = 2; }\n);",
                   NAME ":4: types[1].type: this required setting is missing", NULL);
    expect_failure(DIRECTORY "types = ( \"sleep\" );", NAME ":2: types[0]: expected a group",
                   "found a string (\"sleep\")", NULL);
    expect_failure(DIRECTORY "types = { type = \"sleep\"; };", NAME ":2: types: expected a list",
                   NULL);
    expect_failure(DIRECTORY "types = ( { type = \"x\"; concurrency = 5000; } );",
                   "types[0].concurrency: expected an integer from 0 to 4096, found 5000", NULL);
    expect_failure(DIRECTORY "types = ( { type = \"x\"; max_retries = 0; } );",
                   "types[0].max_retries: expected an integer from 1 to 1000, found 0", NULL);
    expect_failure(DIRECTORY "types = ( { type = \"x\"; timeout_ms = -5; } );",
                   "types[0].timeout_ms: expected an integer from 0 to 604800000, found -5", NULL);
}

static void bad_log_level_lists_the_choices(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "log:\n{\n  level = \"verbose\";\n};",
                   NAME ":4: log.level: expected one of \"error\", \"warn\", \"info\", \"debug\", "
                        "found \"verbose\"",
                   NULL);
    expect_failure(DIRECTORY "log: { format = \"xml\"; };",
                   "log.format: expected one of \"text\", \"json\", found \"xml\"", NULL);
}

static void bad_uri_scheme_is_an_error_without_showing_the_password(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    assert_false(load(DIRECTORY "mongodb: { uri = \"postgres://bob:s3cret@db/x\"; };", &cfg, &err));
    assert_contains(err.msg, NAME ":2: mongodb.uri: expected a URI starting with mongodb:// or "
                                  "mongodb+srv://, found \"postgres://...\"");
    assert_null(strstr(err.msg, "s3cret"));
    expect_failure(DIRECTORY "mongodb: { uri = \"mongodb://\"; };", "mongodb.uri: expected a URI",
                   NULL);
}

static void other_bad_strings(void **state)
{
    (void)state;
    expect_failure(DIRECTORY "mongodb: { database = \"my.db\"; };",
                   "mongodb.database: expected a database name", "found \"my.db\"", NULL);
    expect_failure(DIRECTORY "mongodb: { collection = \"system.x\"; };",
                   "mongodb.collection: expected a collection name", NULL);
    expect_failure(DIRECTORY "mongodb: { hosts_collection = \"tasks\"; };",
                   "mongodb.hosts_collection: expected a collection other than", NULL);
    expect_failure(DIRECTORY "host: { id = \"a\\nb\"; };",
                   "host.id: expected an id of 1 to 200 printable characters, found \"a\\x0ab\"",
                   NULL);
    expect_failure("plugins: { directory = \"p\"; settings: { flaky = 3; }; };",
                   "plugins.settings.flaky: expected a group", NULL);
}

static void missing_file_names_path_and_reason(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    assert_false(config_load("/nonexistent/dir/taskhost.cfg", &cfg, &err));
    assert_int_equal(err.code, ERR_IO);
    assert_contains(err.msg, "/nonexistent/dir/taskhost.cfg");
    assert_contains(err.msg, "No such file or directory");
    assert_null(cfg.path);

    assert_false(config_load("/tmp", &cfg, &err));
    assert_int_equal(err.code, ERR_IO);
    assert_contains(err.msg, "/tmp: cannot read the configuration file: Is a directory");
}

/* A syntax error inside an included file names that file; the include is
 * found relative to the including file's directory. */
static void includes_resolve_against_the_file_directory(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_config_XXXXXX";
    char main_path[sizeof dir + 16];
    char inc_path[sizeof dir + 16];
    assert_non_null(mkdtemp(dir));
    (void)snprintf(main_path, sizeof main_path, "%s/main.cfg", dir);
    (void)snprintf(inc_path, sizeof inc_path, "%s/inc.cfg", dir);
    FILE *f = fopen(main_path, "w");
    assert_non_null(f);
    fputs("@include \"inc.cfg\"\nplugins: { directory = \"p\"; };\n", f);
    fclose(f);
    f = fopen(inc_path, "w");
    assert_non_null(f);
    fputs("host: { max_concurrency = 3; };\n", f);
    fclose(f);

    struct config cfg;
    struct error err = {0};
    assert_true(config_load(main_path, &cfg, &err));
    assert_int_equal(cfg.max_concurrency, 3);
    char expect[sizeof dir + 16];
    (void)snprintf(expect, sizeof expect, "%s/p", dir);
    assert_string_equal(cfg.plugin_dir, expect);
    config_free(&cfg);

    f = fopen(inc_path, "w");
    assert_non_null(f);
    fputs("\nhost: { max_concurrency = 0; };\n", f);
    fclose(f);
    assert_false(config_load(main_path, &cfg, &err));
    assert_contains(err.msg, "inc.cfg:2: host.max_concurrency: expected an integer");

    unlink(inc_path);
    assert_false(config_load(main_path, &cfg, &err));
    assert_contains(err.msg, "main.cfg:1: cannot open include file");
    unlink(main_path);
    rmdir(dir);
}

/* --- warnings --- */

static void unknown_keys_warn_with_a_suggestion_and_still_load(void **state)
{
    (void)state;
    struct config cfg;
    bool ok;
    char *log = load_logging(DIRECTORY "host:\n{\n  max_concurency = 3;\n  lease_ms = 20000;\n};\n"
                                       "retyr: { };\n"
                                       "poll_interval_ms = 10;\n"
                                       "types = ( { type = \"a\"; timout_ms = 5; } );\n"
                                       "log: { colour = true; };\n"
                                       "plugins2: { };\n",
                             &cfg, &ok);
    assert_true(ok);
    assert_int_equal(cfg.max_concurrency, 8); /* the misspelt setting is ignored */
    assert_int_equal(cfg.lease_ms, 20000);
    assert_contains(log, "warn");
    assert_contains(log, NAME ":4: host.max_concurency: unknown setting, ignored (did you mean "
                              "max_concurrency?)");
    assert_contains(log, NAME ":7: retyr: unknown setting, ignored (did you mean retry?)");
    assert_contains(log, NAME ":8: poll_interval_ms: unknown setting, ignored (it belongs in the "
                              "host group: host.poll_interval_ms)");
    assert_contains(log, NAME ":9: types[0].timout_ms: unknown setting, ignored (did you mean "
                              "timeout_ms?)");
    assert_contains(log, NAME ":10: log.colour: unknown setting, ignored\n");
    assert_contains(log, NAME ":11: plugins2: unknown setting, ignored (did you mean plugins?)");
    free(log);
    config_free(&cfg);
}

static void plugin_blocks_are_free_form(void **state)
{
    (void)state;
    struct config cfg;
    bool ok;
    char *log = load_logging("plugins: { directory = \"/p\"; settings: {\n"
                             "  flaky: { failure_rate = 0.5; anything = \"x\"; };\n"
                             "  other: { };\n"
                             "}; };",
                             &cfg, &ok);
    assert_true(ok);
    assert_null(strstr(log, "anything"));
    assert_int_equal(cfg.n_plugin_blocks, 2);
    assert_true(block_double(&cfg, "flaky", "failure_rate") == 0.5);
    assert_non_null(config_plugin_block(&cfg, "other"));
    assert_null(config_plugin_block(&cfg, "sleep"));
    assert_null(config_plugin_block(&cfg, NULL));
    free(log);
    config_free(&cfg);
}

/* --- the environment --- */

static void environment_uri_wins_over_the_file(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    const char *text = DIRECTORY "mongodb: { uri = \"mongodb://file:1\"; };";

    assert_int_equal(setenv(CONFIG_ENV_MONGODB_URI, "mongodb+srv://env.example", 1), 0);
    assert_true(load(text, &cfg, &err));
    assert_string_equal(cfg.mongodb_uri, "mongodb+srv://env.example");
    assert_true(cfg.mongodb_uri_from_env);
    char *printed = print_to_string(&cfg);
    assert_contains(printed, "TASKHOST_MONGODB_URI");
    free(printed);
    config_free(&cfg);

    assert_int_equal(setenv(CONFIG_ENV_MONGODB_URI, "", 1), 0); /* empty: ignored */
    assert_true(load(text, &cfg, &err));
    assert_string_equal(cfg.mongodb_uri, "mongodb://file:1");
    assert_false(cfg.mongodb_uri_from_env);
    config_free(&cfg);

    assert_int_equal(setenv(CONFIG_ENV_MONGODB_URI, "http://x:pw@y", 1), 0);
    assert_false(load(text, &cfg, &err));
    assert_contains(err.msg, "environment variable TASKHOST_MONGODB_URI");
    assert_contains(err.msg, "expected a URI starting with mongodb://");
    assert_null(strstr(err.msg, "pw"));
    assert_null(cfg.mongodb_uri);

    assert_int_equal(unsetenv(CONFIG_ENV_MONGODB_URI), 0);
    assert_true(load(text, &cfg, &err));
    assert_string_equal(cfg.mongodb_uri, "mongodb://file:1");
    config_free(&cfg);
}

/* --- per-type values --- */

static void type_values_fall_back_to_the_host_values(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    assert_true(load(DIRECTORY "host: { max_concurrency = 4; };\n"
                               "retry: { max_retries = 7; };\n"
                               "types = (\n"
                               "  { type = \"own\"; concurrency = 2; max_retries = 9; "
                               "timeout_ms = 1500; },\n"
                               "  { type = \"bare\"; },\n"
                               "  { type = \"wide\"; concurrency = 100; }\n"
                               ");",
                     &cfg, &err));
    assert_int_equal(config_type_concurrency(&cfg, "own"), 2);
    assert_int_equal(config_type_max_retries(&cfg, "own"), 9);
    assert_int_equal(config_type_timeout_ms(&cfg, "own"), 1500);

    const struct type_config *bare = config_type(&cfg, "bare");
    assert_non_null(bare);
    assert_int_equal(bare->concurrency, 0);
    assert_int_equal(bare->max_retries, -1);
    assert_int_equal(bare->timeout_ms, 0);
    assert_int_equal(bare->source_line, 6);
    assert_int_equal(config_type_concurrency(&cfg, "bare"), 4);
    assert_int_equal(config_type_max_retries(&cfg, "bare"), 7);
    assert_int_equal(config_type_timeout_ms(&cfg, "bare"), 0);

    /* never more than the host's limit */
    assert_int_equal(config_type_concurrency(&cfg, "wide"), 4);

    assert_null(config_type(&cfg, "unlisted"));
    assert_null(config_type(&cfg, NULL));
    assert_int_equal(config_type_concurrency(&cfg, "unlisted"), 4);
    assert_int_equal(config_type_max_retries(&cfg, "unlisted"), 7);
    assert_int_equal(config_type_timeout_ms(&cfg, NULL), 0);
    config_free(&cfg);
}

/* --- printing --- */

static void assert_same_config(const struct config *a, const struct config *b)
{
    assert_string_equal(a->mongodb_uri, b->mongodb_uri);
    assert_string_equal(a->database, b->database);
    assert_string_equal(a->collection, b->collection);
    assert_string_equal(a->hosts_collection, b->hosts_collection);
    assert_int_equal(a->connect_timeout_ms, b->connect_timeout_ms);
    assert_string_equal(a->host_id, b->host_id);
    assert_int_equal(a->max_concurrency, b->max_concurrency);
    assert_int_equal(a->poll_interval_ms, b->poll_interval_ms);
    assert_int_equal(a->lease_ms, b->lease_ms);
    assert_int_equal(a->heartbeat_ms, b->heartbeat_ms);
    assert_int_equal(a->shutdown_grace_ms, b->shutdown_grace_ms);
    assert_int_equal(a->max_host_deaths, b->max_host_deaths);
    assert_int_equal(a->max_retries, b->max_retries);
    assert_int_equal(a->backoff_initial_ms, b->backoff_initial_ms);
    assert_int_equal(a->backoff_max_ms, b->backoff_max_ms);
    assert_true(a->backoff_multiplier == b->backoff_multiplier);
    assert_true(a->backoff_jitter == b->backoff_jitter);
    assert_string_equal(a->plugin_dir, b->plugin_dir);
    assert_int_equal(a->n_plugin_blocks, b->n_plugin_blocks);
    for (int i = 0; i < a->n_plugin_blocks; i++)
        assert_string_equal(a->plugin_blocks[i].name, b->plugin_blocks[i].name);
    assert_int_equal(a->n_types, b->n_types);
    for (int i = 0; i < a->n_types; i++) {
        assert_string_equal(a->types[i].name, b->types[i].name);
        assert_int_equal(a->types[i].concurrency, b->types[i].concurrency);
        assert_int_equal(a->types[i].max_retries, b->types[i].max_retries);
        assert_int_equal(a->types[i].timeout_ms, b->types[i].timeout_ms);
    }
    assert_int_equal(a->log_level, b->log_level);
    assert_int_equal(a->log_format, b->log_format);
}

static void print_round_trips(void **state)
{
    (void)state;
    static const char text[] =
        "mongodb: { uri = \"mongodb://a:27017,b:27017/?replicaSet=rs\"; database = \"d\";\n"
        "  collection = \"c\"; hosts_collection = \"h\"; connect_timeout_ms = 1234; };\n"
        "host: { id = \"w \\\"1\\\"\"; max_concurrency = 17; poll_interval_ms = 250;\n"
        "  lease_ms = 9000; heartbeat_ms = 2000; shutdown_grace_ms = 0; max_host_deaths = 9; };\n"
        "retry: { max_retries = 11; backoff_initial_ms = 10; backoff_max_ms = 99999;\n"
        "  backoff_multiplier = 1.7; backoff_jitter = 0.05; };\n"
        "plugins: { directory = \"rel/dir\"; settings: {\n"
        "  flaky: { failure_rate = 0.3; permanent_rate = 0; big = 8000000000L; hex = 0x1F;\n"
        "           on = true; s = \"tab\\there\"; empty = (); arr = [1, 2, 3];\n"
        "           nested: { l = (\"x\", 1.5, { deep = false; }); }; };\n"
        "  sleep: { max_ms = 60000; };\n"
        "}; };\n"
        "types = ( { type = \"sleep\"; concurrency = 2; max_retries = 5; timeout_ms = 60000; },\n"
        "          { type = \"noop\"; } );\n"
        "log: { level = \"debug\"; format = \"json\"; };\n";
    struct config a;
    struct config b;
    struct error err = {0};
    assert_true(load(text, &a, &err));
    char *first = print_to_string(&a);
    bool ok = config_load_string(first, NAME, "/", &b, &err);
    if (!ok)
        print_error("%s\n--- printed:\n%s\n", err.msg, first);
    assert_true(ok);
    assert_same_config(&a, &b);
    assert_string_equal(b.plugin_dir, "/tmp/rel/dir");
    assert_int_equal(block_int(&b, "flaky", "big"), 8000000000LL);
    assert_int_equal(block_int(&b, "flaky", "hex"), 31);
    char *second = print_to_string(&b);
    assert_string_equal(first, second); /* printing is stable */
    free(first);
    free(second);
    config_free(&a);
    config_free(&b);
}

static void print_of_defaults_round_trips(void **state)
{
    (void)state;
    struct config a;
    struct config b;
    struct error err = {0};
    assert_true(load(DIRECTORY, &a, &err));
    char *printed = print_to_string(&a);
    assert_contains(printed, "heartbeat_ms = 5000;");
    assert_contains(printed, "backoff_multiplier = 2.0;");
    assert_contains(printed, "backoff_jitter = 0.2;");
    assert_contains(printed, "types = ();");
    assert_true(config_load_string(printed, NAME, "/", &b, &err));
    assert_same_config(&a, &b);
    free(printed);
    config_free(&a);
    config_free(&b);
}

static void print_hides_the_password(void **state)
{
    (void)state;
    struct config cfg;
    struct error err = {0};
    assert_true(load(DIRECTORY "mongodb: { uri = \"mongodb://bob:s3cret@db:27017/?x=a@b\"; };",
                     &cfg, &err));
    char *printed = print_to_string(&cfg);
    assert_contains(printed, "uri = \"mongodb://bob:****@db:27017/?x=a@b\";");
    assert_null(strstr(printed, "s3cret"));
    free(printed);
    config_free(&cfg);
}

static int clear_environment(void **state)
{
    (void)state;
    return unsetenv(CONFIG_ENV_MONGODB_URI);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_file_loads_with_documented_values),
        cmocka_unit_test(example_file_mentions_every_setting),
        cmocka_unit_test(almost_empty_file_gets_defaults),
        cmocka_unit_test(heartbeat_defaults_to_a_third_of_the_lease),
        cmocka_unit_test(relative_plugin_directory_joins_the_base_directory),
        cmocka_unit_test(integers_and_floats_are_accepted_in_every_spelling),
        cmocka_unit_test(syntax_error_names_file_and_line),
        cmocka_unit_test(wrong_type_says_what_was_found),
        cmocka_unit_test(out_of_range_values_name_the_range),
        cmocka_unit_test(a_too_large_literal_is_not_silently_truncated),
        cmocka_unit_test(heartbeat_must_be_less_than_half_the_lease),
        cmocka_unit_test(backoff_max_must_not_be_below_initial),
        cmocka_unit_test(missing_plugin_directory_is_an_error),
        cmocka_unit_test(duplicate_type_names_both_lines),
        cmocka_unit_test(empty_or_missing_type_is_an_error),
        cmocka_unit_test(bad_log_level_lists_the_choices),
        cmocka_unit_test(bad_uri_scheme_is_an_error_without_showing_the_password),
        cmocka_unit_test(other_bad_strings),
        cmocka_unit_test(missing_file_names_path_and_reason),
        cmocka_unit_test(includes_resolve_against_the_file_directory),
        cmocka_unit_test(unknown_keys_warn_with_a_suggestion_and_still_load),
        cmocka_unit_test(plugin_blocks_are_free_form),
        cmocka_unit_test(environment_uri_wins_over_the_file),
        cmocka_unit_test(type_values_fall_back_to_the_host_values),
        cmocka_unit_test(print_round_trips),
        cmocka_unit_test(print_of_defaults_round_trips),
        cmocka_unit_test(print_hides_the_password),
    };
    return cmocka_run_group_tests(tests, clear_environment, NULL);
}
