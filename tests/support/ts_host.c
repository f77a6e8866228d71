/*
 * taskhost processes for the tests: a config file from struct ts_host_opts, start, stop.
 */
#include <libconfig.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"
#include "ts_internal.h"

#define OMIT INT_MIN /* default of a setting that is left out */

/* ---- writing libconfig --------------------------------------------------------------- */

static void put_string(FILE *f, const char *key, const char *value)
{
    fprintf(f, "    %s = \"", key);
    for (const char *c = value; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        fputc(*c, f);
    }
    fputs("\";\n", f);
}

/* Writes `key = v;` with the rules of struct ts_host_opts: 0 = dflt (OMIT: nothing),
 * TS_ZERO = 0. */
static void put_int(FILE *f, const char *key, int v, int dflt)
{
    if (v == 0)
        v = dflt;
    else if (v == TS_ZERO)
        v = 0;
    if (v != OMIT)
        fprintf(f, "    %s = %d;\n", key, v);
}

static void put_mongodb(FILE *f, const struct ts_host_opts *o)
{
    const char *uri = o->uri ? o->uri : ts_server_uri();
    if (!uri)
        ts_fail("ts_host_config: no MongoDB server (the test's main should call "
                "ts_server_uri_or_skip())");
    fputs("mongodb: {\n", f);
    put_string(f, "uri", uri);
    put_string(f, "database", o->database);
    put_string(f, "collection", o->collection ? o->collection : "tasks");
    put_string(f, "hosts_collection", o->hosts_collection ? o->hosts_collection : "hosts");
    put_int(f, "connect_timeout_ms", o->connect_timeout_ms, OMIT);
    if (o->change_streams)
        put_string(f, "change_streams", o->change_streams);
    fputs("};\n", f);
}

static void put_host(FILE *f, const struct ts_host_opts *o)
{
    fputs("host: {\n", f);
    if (o->host_id)
        put_string(f, "id", o->host_id);
    put_int(f, "max_concurrency", o->max_concurrency, OMIT);
    put_int(f, "poll_interval_ms", o->poll_interval_ms, 100);
    put_int(f, "lease_ms", o->lease_ms, 3000);
    /* the test heartbeat only goes with the test lease; a lease of the test's own gets the
     * host's default heartbeat (a third of the lease) */
    put_int(f, "heartbeat_ms", o->heartbeat_ms, o->lease_ms ? OMIT : 1000);
    put_int(f, "shutdown_grace_ms", o->shutdown_grace_ms, 5000);
    put_int(f, "max_host_deaths", o->max_host_deaths, OMIT);
    fputs("};\n", f);
}

static void put_retry(FILE *f, const struct ts_host_opts *o)
{
    fputs("retry: {\n", f);
    put_int(f, "max_retries", o->max_retries, OMIT);
    put_int(f, "backoff_initial_ms", o->backoff_initial_ms, 50);
    put_int(f, "backoff_max_ms", o->backoff_max_ms, 500);
    if (o->backoff_multiplier != 0.0)
        fprintf(f, "    backoff_multiplier = %.6f;\n", o->backoff_multiplier);
    fprintf(f, "    backoff_jitter = %.6f;\n", o->backoff_jitter);
    fputs("};\n", f);
}

static void put_plugins(FILE *f, const struct ts_host_opts *o)
{
    fputs("plugins: {\n", f);
    put_string(f, "directory", o->plugin_dir ? o->plugin_dir : TS_PLUGIN_DIR);
    if (o->plugin_settings)
        fprintf(f, "    settings: {\n        %s\n    };\n", o->plugin_settings);
    fputs("};\n", f);
}

static void put_rest(FILE *f, const struct ts_host_opts *o)
{
    if (o->types)
        fprintf(f, "types = (\n    %s\n);\n", o->types);
    fputs("log: {\n", f);
    put_string(f, "level", o->log_level ? o->log_level : "debug");
    put_string(f, "format", o->log_format ? o->log_format : "text");
    fputs("};\n", f);
    if (o->extra)
        fprintf(f, "%s\n", o->extra);
}

/* The config text of o. Caller frees. */
static char *config_text(const struct ts_host_opts *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        ts_fail("out of memory");
    fputs("# written by ts_host_config (tests/support)\n", f);
    put_mongodb(f, o);
    put_host(f, o);
    put_retry(f, o);
    put_plugins(f, o);
    put_rest(f, o);
    fclose(f);
    return text;
}

/* Fails the test, showing the text, unless it is valid libconfig syntax. */
static void check_syntax(const char *text)
{
    config_t cfg;
    config_init(&cfg);
    bool ok = config_read_string(&cfg, text) == CONFIG_TRUE;
    char msg[512];
    snprintf(msg, sizeof msg, "line %d: %s", config_error_line(&cfg),
             config_error_text(&cfg) ? config_error_text(&cfg) : "");
    config_destroy(&cfg);
    if (!ok) {
        fprintf(stderr, "--- the config written by ts_host_config:\n%s---\n", text);
        ts_fail("ts_host_config wrote bad libconfig syntax (check types, plugin_settings "
                "and extra): %s",
                msg);
    }
}

char *ts_host_config(const struct ts_host_opts *o)
{
    if (!o->database)
        ts_fail("ts_host_config: set .database (e.g. from ts_unique_db())");
    char *text = config_text(o);
    check_syntax(text);
    char *dir = ts_temp_dir();
    char *path = ts_xprintf("%s/taskhost.cfg", dir);
    free(dir);
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    free(text);
    if (!ok)
        ts_fail("cannot write %s", path);
    return path;
}

/* ---- running a host ------------------------------------------------------------------ */

pid_t ts_host_start(const char *config_path, const char *log_path)
{
    const char *argv[] = {TS_HOST_BIN, "run", "-c", config_path, NULL};
    return ts_spawn(argv, log_path);
}

int ts_host_stop(pid_t pid, int timeout_ms)
{
    ts_kill(pid, SIGTERM);
    int status = ts_wait_exit(pid, timeout_ms);
    if (status >= 0)
        return status;
    fprintf(stderr, "ts: host pid %d still runs %d ms after SIGTERM: SIGKILL\n", (int)pid,
            timeout_ms);
    ts_kill_group(pid, SIGKILL);
    ts_wait_exit(pid, -1);
    return -1;
}
