/* The mongodb, host, retry and log groups, and the order sections are read
 * in. Ranges here are the ones documented in config/taskhost.cfg. */
#include "config/config_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DB_NAME_MAX         63
#define COLLECTION_NAME_MAX 120
#define HOST_ID_MAX         200

static bool printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p > 0x7e)
            return false;
    }
    return true;
}

static bool valid_database(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= DB_NAME_MAX && printable(s) && strpbrk(s, "/\\. \"$") == NULL;
}

static bool valid_collection(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= COLLECTION_NAME_MAX && printable(s) && strchr(s, '$') == NULL &&
           strncmp(s, "system.", 7) != 0;
}

static bool valid_host_id(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= HOST_ID_MAX && printable(s);
}

static bool read_uri(const struct cfg_ctx *ctx, const struct cfg_node *n, struct config *cfg)
{
    if (!cfg_get_string(ctx, n, "uri", CFG_EXPECT_URI, NULL, &cfg->mongodb_uri))
        return false;
    if (cfg_valid_uri(cfg->mongodb_uri))
        return true;
    char path[CFG_PATH_MAX];
    char found[64];
    cfg_member_path(n, "uri", path, sizeof path);
    cfg_describe_uri(cfg->mongodb_uri, found, sizeof found);
    return cfg_fail(ctx, cfg_member(n, "uri"), path, "expected %s, found %s", CFG_EXPECT_URI,
                    found);
}

static bool read_mongodb(const struct cfg_ctx *ctx, const struct cfg_node *root, struct config *cfg)
{
    static const char *const change_streams[] = {"off", "auto", NULL}; /* index = the bool */
    int cs = cfg->change_streams ? 1 : 0;
    static const char coll[] = "a collection name of 1 to 120 printable characters without '$', "
                               "not starting with \"system.\"";
    struct cfg_node n;
    if (!cfg_get_group(ctx, root, "mongodb", &n))
        return false;
    cfg_warn_unknown(ctx, &n, cfg_keys_mongodb);
    if (!read_uri(ctx, &n, cfg) ||
        !cfg_get_string(ctx, &n, "database",
                        "a database name of 1 to 63 printable characters without / \\ . space "
                        "\" or $",
                        valid_database, &cfg->database) ||
        !cfg_get_string(ctx, &n, "collection", coll, valid_collection, &cfg->collection) ||
        !cfg_get_string(ctx, &n, "hosts_collection", coll, valid_collection,
                        &cfg->hosts_collection) ||
        !cfg_get_int(ctx, &n, "connect_timeout_ms", 100, 600000, NULL, &cfg->connect_timeout_ms) ||
        !cfg_get_choice(ctx, &n, "change_streams", change_streams, &cs))
        return false;
    cfg->change_streams = cs == 1;
    if (strcmp(cfg->collection, cfg->hosts_collection) != 0)
        return true;
    const config_setting_t *at = cfg_member(&n, "hosts_collection");
    return cfg_fail(ctx, at ? at : cfg_member(&n, "collection"),
                    at ? "mongodb.hosts_collection" : "mongodb.collection",
                    "expected a collection other than the tasks' (the two cannot share one), "
                    "found \"%s\" for both mongodb.collection and mongodb.hosts_collection",
                    cfg->collection);
}

static bool read_heartbeat(const struct cfg_ctx *ctx, const struct cfg_node *n, struct config *cfg)
{
    char why[80];
    (void)snprintf(why, sizeof why, "less than half of host.lease_ms = %" PRId64, cfg->lease_ms);
    cfg->heartbeat_ms = cfg->lease_ms / 3;
    return cfg_get_int(ctx, n, "heartbeat_ms", 10, (cfg->lease_ms - 1) / 2, why,
                       &cfg->heartbeat_ms);
}

static bool read_host(const struct cfg_ctx *ctx, const struct cfg_node *root, struct config *cfg)
{
    struct cfg_node n;
    if (!cfg_get_group(ctx, root, "host", &n))
        return false;
    cfg_warn_unknown(ctx, &n, cfg_keys_host);
    return cfg_get_string(ctx, &n, "id", "an id of 1 to 200 printable characters", valid_host_id,
                          &cfg->host_id) &&
           cfg_get_int32(ctx, &n, "max_concurrency", 1, 4096, &cfg->max_concurrency) &&
           cfg_get_int(ctx, &n, "poll_interval_ms", 10, 600000, NULL, &cfg->poll_interval_ms) &&
           cfg_get_int(ctx, &n, "lease_ms", 1000, 3600000, NULL, &cfg->lease_ms) &&
           read_heartbeat(ctx, &n, cfg) &&
           cfg_get_int(ctx, &n, "shutdown_grace_ms", 0, 86400000, NULL, &cfg->shutdown_grace_ms) &&
           cfg_get_int32(ctx, &n, "max_host_deaths", 1, 100, &cfg->max_host_deaths);
}

/* backoff_max_ms must not be below backoff_initial_ms; the message goes to
 * whichever of the two the file sets. */
static bool read_backoff(const struct cfg_ctx *ctx, const struct cfg_node *n, struct config *cfg)
{
    char why[96];
    if (cfg_member(n, "backoff_max_ms") == NULL) {
        (void)snprintf(why, sizeof why, "at most retry.backoff_max_ms, whose default is %" PRId64,
                       cfg->backoff_max_ms);
        int64_t hi = cfg->backoff_max_ms < 3600000 ? cfg->backoff_max_ms : 3600000;
        return cfg_get_int(ctx, n, "backoff_initial_ms", 1, hi, why, &cfg->backoff_initial_ms);
    }
    if (!cfg_get_int(ctx, n, "backoff_initial_ms", 1, 3600000, NULL, &cfg->backoff_initial_ms))
        return false;
    (void)snprintf(why, sizeof why, "at least retry.backoff_initial_ms = %" PRId64,
                   cfg->backoff_initial_ms);
    return cfg_get_int(ctx, n, "backoff_max_ms", cfg->backoff_initial_ms, 604800000, why,
                       &cfg->backoff_max_ms);
}

static bool read_retry(const struct cfg_ctx *ctx, const struct cfg_node *root, struct config *cfg)
{
    struct cfg_node n;
    if (!cfg_get_group(ctx, root, "retry", &n))
        return false;
    cfg_warn_unknown(ctx, &n, cfg_keys_retry);
    return cfg_get_int32(ctx, &n, "max_retries", 1, 1000, &cfg->max_retries) &&
           read_backoff(ctx, &n, cfg) &&
           cfg_get_double(ctx, &n, "backoff_multiplier", 1.0, 10.0, &cfg->backoff_multiplier) &&
           cfg_get_double(ctx, &n, "backoff_jitter", 0.0, 1.0, &cfg->backoff_jitter);
}

static bool read_log(const struct cfg_ctx *ctx, const struct cfg_node *root, struct config *cfg)
{
    /* Index order matches enum log_level / enum log_format. */
    static const char *const levels[] = {"error", "warn", "info", "debug", NULL};
    static const char *const formats[] = {"text", "json", NULL};
    struct cfg_node n;
    int level = (int)cfg->log_level;
    int format = (int)cfg->log_format;
    if (!cfg_get_group(ctx, root, "log", &n))
        return false;
    cfg_warn_unknown(ctx, &n, cfg_keys_log);
    if (!cfg_get_choice(ctx, &n, "level", levels, &level) ||
        !cfg_get_choice(ctx, &n, "format", formats, &format))
        return false;
    cfg->log_level = (enum log_level)level;
    cfg->log_format = (enum log_format)format;
    return true;
}

bool cfg_read_root(const struct cfg_ctx *ctx, const config_setting_t *root, struct config *cfg)
{
    struct cfg_node n = {.s = root, .path = ""};
    cfg_warn_unknown(ctx, &n, cfg_keys_root);
    return read_mongodb(ctx, &n, cfg) && read_host(ctx, &n, cfg) && read_retry(ctx, &n, cfg) &&
           cfg_read_plugins(ctx, &n, cfg) && cfg_read_types(ctx, &n, cfg) && read_log(ctx, &n, cfg);
}
