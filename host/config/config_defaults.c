/* The value of every setting a file leaves out, and the environment
 * override of the MongoDB URI. */
#include "config/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOSTNAME_MAX 256

char *cfg_strdup(const char *s, struct error *err)
{
    char *copy = strdup(s);
    if (copy == NULL)
        (void)error_set(err, ERR_NOMEM, "out of memory while reading the configuration");
    return copy;
}

bool cfg_valid_uri(const char *s)
{
    static const char *const schemes[] = {"mongodb://", "mongodb+srv://"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(s, schemes[i], n) == 0 && s[n] != '\0')
            return true;
    }
    return false;
}

void cfg_describe_uri(const char *uri, char *buf, size_t len)
{
    /* Only up to the scheme: the rest may hold a password. */
    size_t n = strcspn(uri, ":/@?");
    if (n > 40)
        n = 40;
    for (int i = 0; i < 3 && (uri[n] == ':' || uri[n] == '/'); i++)
        n++;
    if (uri[n] == '\0')
        (void)snprintf(buf, len, "\"%.*s\"", (int)n, uri);
    else
        (void)snprintf(buf, len, "\"%.*s...\"", (int)n, uri);
}

/* "<hostname>:<pid>", owned by the caller. */
static char *default_host_id(struct error *err)
{
    char name[HOSTNAME_MAX];
    char id[HOSTNAME_MAX + 24];
    if (gethostname(name, sizeof name) != 0 || name[0] == '\0')
        (void)snprintf(name, sizeof name, "localhost");
    name[sizeof name - 1] = '\0';
    (void)snprintf(id, sizeof id, "%.180s:%ld", name, (long)getpid());
    return cfg_strdup(id, err);
}

static bool set_default_strings(struct config *cfg, struct error *err)
{
    cfg->mongodb_uri = cfg_strdup("mongodb://127.0.0.1:27017", err);
    cfg->database = cfg_strdup("taskhost", err);
    cfg->collection = cfg_strdup("tasks", err);
    cfg->hosts_collection = cfg_strdup("hosts", err);
    cfg->host_id = default_host_id(err);
    return cfg->mongodb_uri && cfg->database && cfg->collection && cfg->hosts_collection &&
           cfg->host_id;
}

bool cfg_set_defaults(struct config *cfg, struct error *err)
{
    cfg->connect_timeout_ms = 5000;
    cfg->change_streams = true;
    cfg->max_concurrency = 8;
    cfg->poll_interval_ms = 1000;
    cfg->lease_ms = 15000;
    cfg->heartbeat_ms = cfg->lease_ms / 3;
    cfg->shutdown_grace_ms = 30000;
    cfg->max_host_deaths = 3;
    cfg->max_retries = 3;
    cfg->backoff_initial_ms = 1000;
    cfg->backoff_max_ms = 300000;
    cfg->backoff_multiplier = 2.0;
    cfg->backoff_jitter = 0.2;
    cfg->log_level = LOG_INFO;
    cfg->log_format = LOG_FORMAT_TEXT;
    return set_default_strings(cfg, err);
}

bool cfg_apply_env(struct config *cfg, struct error *err)
{
    const char *uri = getenv(CONFIG_ENV_MONGODB_URI);
    if (uri == NULL || uri[0] == '\0')
        return true;
    if (!cfg_valid_uri(uri)) {
        char found[64];
        cfg_describe_uri(uri, found, sizeof found);
        return error_set(err, ERR_CONFIG,
                         "environment variable %s (which replaces mongodb.uri of %s): expected "
                         "%s, found %s",
                         CONFIG_ENV_MONGODB_URI, cfg->path, CFG_EXPECT_URI, found);
    }
    char *copy = cfg_strdup(uri, err);
    if (copy == NULL)
        return false;
    free(cfg->mongodb_uri);
    cfg->mongodb_uri = copy;
    cfg->mongodb_uri_from_env = true;
    return true;
}
