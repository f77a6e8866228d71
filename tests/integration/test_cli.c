/*
 * The command line as a user meets it: --version, --help, unknown commands, check-config on
 * good and bad files, and the plugins listing. No MongoDB server is needed.
 */
#include "../plugins/record/record_harness.h"

/* Nothing listens there: none of these commands connects. */
#define NO_SERVER "mongodb://127.0.0.1:9"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = ts_temp_dir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(dir);
    dir = NULL;
    return 0;
}

/* Runs taskhost with the arguments (NULL-terminated); returns its exit status and its output
 * (stdout and stderr) in *out (caller frees). */
static int run(char **out, const char *arg, ...)
{
    const char *argv[16] = {TS_HOST_BIN, arg};
    int n = 2;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = va_arg(ap, const char *); a && n < 15; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    static int count;
    char *log = rec_printf("%s/run-%d.log", dir, ++count);
    pid_t pid = ts_spawn(argv, log);
    int status = ts_wait_exit(pid, 20000);
    *out = ts_read_file(log);
    free(log);
    REC_CHECK(NULL, status >= 0, "taskhost %s did not exit within 20 s", arg);
    REC_CHECK(NULL, *out != NULL, "no output file");
    return status;
}

/* A config file for the shipped plugins; max_concurrency as ts_host_opts reads it. */
static char *config(int max_concurrency)
{
    struct ts_host_opts o = {
        .uri = NO_SERVER, .database = "cli_test", .max_concurrency = max_concurrency};
    return ts_host_config(&o);
}

static void test_version_and_help(void **state)
{
    (void)state;
    char *out;
    int status = run(&out, "--version", NULL);
    REC_CHECK(NULL, status == 0, "--version exited %d: %s", status, out);
    REC_CHECK(NULL, strncmp(out, "taskhost ", 9) == 0 && strstr(out, "ABI"),
              "--version printed: %s", out);
    free(out);

    status = run(&out, "--help", NULL);
    REC_CHECK(NULL, status == 0, "--help exited %d: %s", status, out);
    REC_CHECK(NULL,
              strstr(out, "usage: taskhost") && strstr(out, "run") && strstr(out, "check-config") &&
                  strstr(out, "plugins"),
              "--help does not list the commands: %s", out);
    free(out);

    status = run(&out, "run", "--help", NULL);
    REC_CHECK(NULL, status == 0, "run --help exited %d: %s", status, out);
    REC_CHECK(NULL, strstr(out, "usage: taskhost run"), "run --help printed: %s", out);
    free(out);
}

static void test_usage_errors_exit_64(void **state)
{
    (void)state;
    char *out;
    int status = run(&out, "frobnicate", NULL);
    REC_CHECK(NULL, status == 64, "an unknown command exited %d: %s", status, out);
    REC_CHECK(NULL, strstr(out, "frobnicate"), "the message does not name the command: %s", out);
    free(out);

    status = run(&out, "check-config", "--bogus", NULL);
    REC_CHECK(NULL, status == 64, "an unknown option exited %d: %s", status, out);
    REC_CHECK(NULL, strstr(out, "--bogus"), "the message does not name the option: %s", out);
    free(out);
}

static void test_check_config_good(void **state)
{
    (void)state;
    char *path = config(6);
    char *out;
    int status = run(&out, "check-config", "-c", path, NULL);
    REC_CHECK(NULL, status == 0, "check-config exited %d: %s", status, out);
    /* the effective settings, defaults filled in */
    REC_CHECK(NULL, strstr(out, "max_concurrency = 6"), "max_concurrency not printed: %s", out);
    REC_CHECK(NULL, strstr(out, "cli_test"), "the database is not printed: %s", out);
    REC_CHECK(NULL, strstr(out, "lease_ms"), "lease_ms is not printed: %s", out);
    REC_CHECK(NULL, strstr(out, "valid"), "it does not say the file is valid: %s", out);
    free(out);
    free(path);
}

/* The number of the first line of the file containing needle, or 0. */
static int line_of(const char *path, const char *needle)
{
    char *text = ts_read_file(path);
    int line = 1, found = 0;
    for (char *p = text; p && *p && !found; p++) {
        if (strncmp(p, needle, strlen(needle)) == 0)
            found = line;
        if (*p == '\n')
            line++;
    }
    free(text);
    return found;
}

static void test_check_config_bad_value(void **state)
{
    (void)state;
    char *path = config(TS_ZERO);
    int line = line_of(path, "    max_concurrency = 0;");
    REC_CHECK(NULL, line > 0, "the config has no max_concurrency = 0");
    char *where = rec_printf("%s:%d", path, line);
    char *out;
    int status = run(&out, "check-config", "-c", path, NULL);
    REC_CHECK(NULL, status == 78, "check-config exited %d: %s", status, out);
    REC_CHECK(NULL, strstr(out, where), "the message does not name %s: %s", where, out);
    REC_CHECK(NULL, strstr(out, "max_concurrency"), "the message does not name the setting: %s",
              out);
    free(out);
    free(where);
    free(path);
}

static void test_plugins_lists_shipped(void **state)
{
    (void)state;
    char *path = config(0);
    char *out;
    int status = run(&out, "plugins", "-c", path, NULL);
    REC_CHECK(NULL, status == 0, "plugins exited %d: %s", status, out);
    static const char *const names[] = {"noop", "sleep", "flaky"};
    for (int i = 0; i < 3; i++) {
        char *file = rec_printf("%s/%s.so", TS_PLUGIN_DIR, names[i]);
        REC_CHECK(NULL, strstr(out, names[i]) && strstr(out, file), "%s (%s) is not listed: %s",
                  names[i], file, out);
        free(file);
    }
    free(out);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_version_and_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors_exit_64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_config_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_config_bad_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plugins_lists_shipped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
