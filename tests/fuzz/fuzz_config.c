/*
 * libFuzzer target: the configuration reader (config_load_string) on arbitrary text.
 *
 * Checks, besides what ASan and UBSan catch:
 *   - a text that loads prints (config_print) as text that loads again (the round trip that
 *     `taskhost check-config` promises), with the same main settings;
 *   - a text that does not load leaves an error code and a message.
 *
 * @include: relative names resolve in a private directory made at start-up that holds
 * inc.cfg (valid settings) and bad.cfg (a syntax error). An input that combines @include with
 * '/' or '\' is skipped, so that no input can make libconfig read /dev/zero, a FIFO or any
 * file outside that directory. So is one that combines it with "", "." or "..": libconfig 1.5
 * opens such a directory, fails to read it and calls exit(2) from its scanner ("input in flex
 * scanner failed"), which would end the fuzzer (a known limitation, see README.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "config/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT (256 * 1024)

static char basedir[] = "/tmp/taskhost-fuzz-config-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[sizeof basedir + 32];
    snprintf(path, sizeof path, "%s/%s", basedir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "fuzz_config: cannot write %s\n", path);
        abort();
    }
}

static void remove_basedir(void)
{
    char path[sizeof basedir + 32];
    snprintf(path, sizeof path, "%s/inc.cfg", basedir);
    unlink(path);
    snprintf(path, sizeof path, "%s/bad.cfg", basedir);
    unlink(path);
    rmdir(basedir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (mkdtemp(basedir) == NULL) {
        perror("fuzz_config: mkdtemp");
        abort();
    }
    atexit(remove_basedir);
    write_file("inc.cfg", "host: { max_concurrency = 3; lease_ms = 6000; };\n");
    write_file("bad.cfg", "host: { max_concurrency = ; };\n");
    unsetenv(CONFIG_ENV_MONGODB_URI);
    /* Warnings are formatted (that code runs) but go nowhere. */
    FILE *devnull = fopen("/dev/null", "w");
    log_configure(LOG_DEBUG, LOG_FORMAT_TEXT, devnull);
    return 0;
}

/* True when the input could make libconfig open a file outside basedir, or a directory. */
static bool unsafe_include(const char *text)
{
    return strstr(text, "@include") != NULL && /* libconfig 1.5: lower case only */
           (strpbrk(text, "/\\") != NULL || strstr(text, "\"\"") != NULL ||
            strstr(text, "\".\"") != NULL || strstr(text, "\"..\"") != NULL);
}

/* Touches what the host reads from a loaded config. */
static void use(const struct config *cfg)
{
    for (int i = 0; i < cfg->n_types; i++) {
        const char *name = cfg->types[i].name;
        if (config_type(cfg, name) == NULL)
            abort(); /* a configured type must be found by its name */
        (void)config_type_max_retries(cfg, name);
        (void)config_type_concurrency(cfg, name);
        (void)config_type_timeout_ms(cfg, name);
    }
    (void)config_type_max_retries(cfg, NULL);
    for (int i = 0; i < cfg->n_plugin_blocks; i++)
        if (config_plugin_block(cfg, cfg->plugin_blocks[i].name) == NULL)
            abort();
}

static _Noreturn void round_trip_failed(const char *why, const char *printed, const char *detail)
{
    fprintf(stderr, "fuzz_config: round trip failed: %s (%s)\n--- printed:\n%s\n", why, detail,
            printed);
    abort();
}

/* config_print's output loads again, with the same settings. */
static void check_round_trip(const struct config *cfg)
{
    char *printed = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&printed, &len);
    if (out == NULL)
        abort();
    config_print(cfg, out);
    fclose(out);
    struct config again;
    struct error err = {0};
    if (!config_load_string(printed, "printed.cfg", basedir, &again, &err))
        round_trip_failed("the printed settings do not load", printed, err.msg);
    if (again.max_concurrency != cfg->max_concurrency || again.lease_ms != cfg->lease_ms ||
        again.heartbeat_ms != cfg->heartbeat_ms || again.max_retries != cfg->max_retries ||
        again.n_types != cfg->n_types || again.n_plugin_blocks != cfg->n_plugin_blocks ||
        strcmp(again.database, cfg->database) != 0 ||
        strcmp(again.collection, cfg->collection) != 0 ||
        strcmp(again.plugin_dir, cfg->plugin_dir) != 0)
        round_trip_failed("the printed settings differ", printed, "compare with the input");
    config_free(&again);
    free(printed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (unsafe_include(text)) {
        free(text);
        return 0;
    }
    struct config cfg;
    struct error err = {0};
    if (config_load_string(text, "fuzz.cfg", basedir, &cfg, &err)) {
        use(&cfg);
        check_round_trip(&cfg);
    } else if (err.code == ERR_NONE || err.msg[0] == '\0') {
        fprintf(stderr, "fuzz_config: the load failed without a message\n");
        abort();
    }
    config_free(&cfg);
    free(text);
    return 0;
}
