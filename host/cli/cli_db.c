#include "cli/cli_db.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/commands.h"
#include "config/config.h"

#define OPTS_MAX 40

static const struct option COMMON[] = {
    {"config", required_argument, NULL, 'c'},
    {"uri", required_argument, NULL, CLI_OPT_URI},
    {"db", required_argument, NULL, CLI_OPT_DB},
    {"json", no_argument, NULL, CLI_OPT_JSON},
    {"help", no_argument, NULL, 'h'},
};

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "taskhost %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    const char *end = strstr(usage, "\n\n");
    fprintf(stderr, "\n%.*s\n(taskhost %s --help describes the options)\n",
            (int)(end ? end - usage : (ptrdiff_t)strlen(usage)), usage, cmd);
    return 64;
}

/* The common options followed by the command's own. */
static int merge_options(const struct option *extra, struct option *all)
{
    int n = 0;
    for (size_t i = 0; i < sizeof COMMON / sizeof COMMON[0]; i++)
        all[n++] = COMMON[i];
    for (int i = 0; extra && extra[i].name && n < OPTS_MAX - 1; i++)
        all[n++] = extra[i];
    all[n] = (struct option){NULL, 0, NULL, 0};
    return n;
}

static int common_option(int c, struct cli_db_opts *o, const char *usage)
{
    switch (c) {
    case 'c':
        o->config_path = optarg;
        o->config_given = true;
        return -1;
    case CLI_OPT_URI: o->uri = optarg; return -1;
    case CLI_OPT_DB: o->database = optarg; return -1;
    case CLI_OPT_JSON: o->json = true; return -1;
    case 'h': fputs(usage, stdout); return 0;
    default: return -2; /* not a common option */
    }
}

int cli_db_parse(int argc, char **argv, const char *usage, const char *shortopts,
                 const struct option *longopts, cli_option_fn fn, void *ctx, struct cli_db_opts *o,
                 int *first_arg)
{
    struct option all[OPTS_MAX];
    char shorts[64];
    merge_options(longopts, all);
    snprintf(shorts, sizeof shorts, ":c:h%s", shortopts ? shortopts : "");
    *o = (struct cli_db_opts){.config_path = cli_default_config()};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
        if (c == ':')
            return cli_usage_error(argv[0], usage, "option %s needs a value", argv[optind - 1]);
        if (c == '?')
            return cli_usage_error(argv[0], usage, "unknown option %s", argv[optind - 1]);
        int rc = common_option(c, o, usage);
        if (rc == -2)
            rc = fn ? fn(c, optarg, ctx) : 64;
        if (rc >= 0)
            return rc;
    }
    *first_arg = optind;
    return -1;
}

char *cli_redact_uri(const char *uri)
{
    /* scheme://user:password@hosts -> scheme://user:***@hosts (as store.c does) */
    const char *scheme = strstr(uri, "://");
    const char *start = scheme ? scheme + 3 : uri;
    const char *at = strrchr(start, '@');
    const char *slash = strchr(start, '/');
    if (at == NULL || (slash && slash < at))
        return strdup(uri);
    const char *colon = memchr(start, ':', (size_t)(at - start));
    if (colon == NULL)
        return strdup(uri);
    size_t head = (size_t)(colon - uri) + 1;
    size_t len = head + 3 + strlen(at) + 1;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%.*s***%s", (int)head, uri, at);
    return out;
}

/* Loads the file, or takes the defaults when it is the (absent) default and a
 * URI comes from elsewhere. */
static bool load_config(const struct cli_db_opts *o, struct config *cfg, struct error *err)
{
    const char *env_uri = getenv(CONFIG_ENV_MONGODB_URI);
    bool uri_elsewhere = o->uri || (env_uri && env_uri[0]);
    bool default_path = !o->config_given && getenv("TASKHOST_CONFIG") == NULL;
    if (default_path && uri_elsewhere && access(o->config_path, F_OK) != 0)
        return config_load_string("plugins: { directory = \".\"; };", "(defaults)", NULL, cfg, err);
    if (config_load(o->config_path, cfg, err))
        return true;
    if (err->code == ERR_IO)
        error_prefix(err, "%s", "no configuration (give -c FILE, or --uri URI for the defaults): ");
    return false;
}

static bool check_uri(const char *uri, const char *origin, struct error *err)
{
    bson_error_t e;
    mongoc_uri_t *u = mongoc_uri_new_with_error(uri, &e);
    if (u) {
        mongoc_uri_destroy(u);
        return true;
    }
    char *shown = cli_redact_uri(uri);
    error_set(err, ERR_CONFIG, "%s \"%s\" is not a valid MongoDB URI: %s", origin,
              shown ? shown : "?", e.message);
    free(shown);
    return false;
}

static bool open_store(const struct config *cfg, const struct cli_db_opts *o, struct cli_db *db,
                       struct error *err)
{
    const char *uri = o->uri ? o->uri : cfg->mongodb_uri;
    const char *origin = o->uri                      ? "--uri"
                         : cfg->mongodb_uri_from_env ? CONFIG_ENV_MONGODB_URI
                                                     : "mongodb.uri";
    if (!check_uri(uri, origin, err))
        return false;
    int timeout = (int)cfg->connect_timeout_ms;
    struct store_options so = {uri,
                               o->database ? o->database : cfg->database,
                               cfg->collection,
                               cfg->hosts_collection,
                               timeout < CLI_CONNECT_TIMEOUT_MS ? timeout : CLI_CONNECT_TIMEOUT_MS,
                               2,
                               "taskhost-cli"};
    if (!store_open(&db->store, &so, err))
        return false;
    snprintf(db->where, sizeof db->where, "%s.%s at %s", db->store.database, db->store.tasks,
             db->store.uri_redacted);
    return true;
}

bool cli_db_open(const struct cli_db_opts *o, struct cli_db *db, struct error *err)
{
    memset(db, 0, sizeof *db);
    log_configure(LOG_WARN, LOG_FORMAT_TEXT, NULL);
    if (o->database && (o->database[0] == '\0' || strpbrk(o->database, "/\\. \"$")))
        return error_set(err, ERR_CONFIG,
                         "--db \"%s\": expected a database name of 1 to 63 characters without "
                         "/ \\ . space \" or $",
                         o->database);
    struct config cfg = {0};
    if (!load_config(o, &cfg, err))
        return false;
    bool ok = open_store(&cfg, o, db, err);
    db->heartbeat_ms = cfg.heartbeat_ms;
    config_free(&cfg);
    if (ok && !store_ping(&db->store, err)) {
        store_close(&db->store);
        return false;
    }
    return ok;
}

void cli_db_close(struct cli_db *db)
{
    if (db->store.pool)
        store_close(&db->store);
    memset(db, 0, sizeof *db);
}

int cli_no_task(const struct cli_db *db, const char *id_text)
{
    fprintf(stderr, "taskhost: no such task: no task has _id %s in %s\n", id_text, db->where);
    return CLI_EXIT_NO_TASK;
}
