/*
 * The host's settings: read from a libconfig file, validated, defaulted.
 * See config/taskhost.cfg for every setting with its meaning.
 */
#ifndef TASKHOST_CONFIG_CONFIG_H
#define TASKHOST_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/log.h"

struct config_setting_t; /* libconfig's, for plugin blocks */

/* When set and non-empty, this environment variable replaces mongodb.uri. */
#define CONFIG_ENV_MONGODB_URI "TASKHOST_MONGODB_URI"

/* Per-task-type overrides (`types` list). 0 / -1 mean "not set". */
struct type_config {
    char *name;         /* the task type */
    int concurrency;    /* max running at once on this host; 0 = no own limit */
    int max_retries;    /* -1 = the retry default */
    int64_t timeout_ms; /* 0 = no timeout */
    int source_line;    /* where it was defined, for messages */
};

/* A plugin's own block (`plugins.settings.<name>`), handed to its init. */
struct plugin_block {
    char *name;
    const struct config_setting_t *setting; /* owned by config->lc */
};

struct config {
    char *path;    /* the file read, as given */
    char *basedir; /* its directory: relative paths are resolved against it */

    /* mongodb */
    char *mongodb_uri;         /* the file's or CONFIG_ENV_MONGODB_URI's */
    bool mongodb_uri_from_env; /* true when the environment variable supplied it */
    char *database;
    char *collection;       /* the tasks */
    char *hosts_collection; /* one liveness record per host */
    int64_t connect_timeout_ms;
    bool change_streams; /* mongodb.change_streams "auto": hear of new tasks at once */

    /* host */
    char *host_id; /* default: "<hostname>:<pid>" */
    int max_concurrency;
    int64_t poll_interval_ms;  /* longest idle wait between claims */
    int64_t lease_ms;          /* how long a claim holds a task without renewal */
    int64_t heartbeat_ms;      /* lease renewal period; default lease_ms / 3 */
    int64_t shutdown_grace_ms; /* how long running tasks may finish on SIGTERM */
    int max_host_deaths;       /* lost leases before a task is quarantined */

    /* retry */
    int max_retries; /* failures before a task is dead (default 3) */
    int64_t backoff_initial_ms;
    int64_t backoff_max_ms;
    double backoff_multiplier;
    double backoff_jitter; /* 0..1: the fraction of the delay randomised */

    /* plugins */
    char *plugin_dir; /* absolute or relative to basedir, resolved */
    struct plugin_block *plugin_blocks;
    int n_plugin_blocks;

    /* types */
    struct type_config *types;
    int n_types;

    /* log */
    enum log_level log_level;
    enum log_format log_format;

    void *lc; /* the libconfig config_t, kept for plugin blocks */
};

/*
 * Reads and validates the file at `path`. On success fills *out (free with
 * config_free) and returns true; warnings (unknown settings) go to the log.
 * On failure returns false with err (ERR_CONFIG; ERR_IO when the file cannot
 * be read; ERR_NOMEM) naming the file, line, setting and what is expected;
 * *out is left zeroed (config_free on it is harmless).
 * Relative paths in the file (plugins.directory, @include) resolve against
 * the file's directory; basedir is made absolute.
 */
bool config_load(const char *path, struct config *out, struct error *err);

/* Parses configuration text; `name` is used in messages as the file name and
 * `basedir` (NULL: ".") resolves relative paths and @include. For tests and
 * fuzzing. Same ownership and errors as config_load. */
bool config_load_string(const char *text, const char *name, const char *basedir, struct config *out,
                        struct error *err);

/* Releases everything config_load filled. Safe on a zeroed struct. */
void config_free(struct config *cfg);

/* The overrides of a type, or NULL. Owned by cfg. */
const struct type_config *config_type(const struct config *cfg, const char *type);

/* The retry limit, concurrency limit and timeout that apply to a type (any
 * type, also unconfigured ones or NULL): the type's own value when set, else
 * the host's (retry.max_retries, host.max_concurrency, no timeout). The
 * concurrency never exceeds host.max_concurrency. */
int config_type_max_retries(const struct config *cfg, const char *type);
int config_type_concurrency(const struct config *cfg, const char *type);
int64_t config_type_timeout_ms(const struct config *cfg, const char *type);

/* The block of a plugin (plugins.settings.<name>), or NULL. Owned by cfg. */
const struct plugin_block *config_plugin_block(const struct config *cfg, const char *name);

/* Prints the effective settings (defaults filled in, plugin directory
 * resolved, plugin blocks included) in libconfig syntax that config_load
 * reads back. A password in the MongoDB URI is printed as "****". */
void config_print(const struct config *cfg, FILE *out);

#endif
