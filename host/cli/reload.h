/*
 * Reloading plugins without stopping (SIGHUP, `systemctl reload`): the
 * plugin directory is read again with the configuration file's current
 * plugin settings. New plugin files are loaded and initialised; a replaced
 * file (another inode, size or mtime) is loaded as a new plugin while the old
 * version finishes the attempts it is running; a removed file stops being
 * claimed for, and its plugin is shut down once its attempts have drained.
 * Unchanged files keep running untouched (a changed settings block alone
 * takes effect at the next restart). If anything in the new directory is
 * wrong — a broken plugin, an init that fails, a bad configuration — nothing
 * changes and the log says why.
 *
 * Main thread only.
 */
#ifndef TASKHOST_CLI_RELOAD_H
#define TASKHOST_CLI_RELOAD_H

#include "config/config.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"
#include "sched/sched.h"

struct plugin_generations {
    struct registry current;  /* what serves now (entries owned, plugins borrowed) */
    struct plugin_set **sets; /* loaded by reloads (owned, freed at exit) */
    struct config **configs;  /* their configurations: their settings live there */
    int n;
    struct plugin **retired; /* taken out of service, not yet shut down (borrowed) */
    int n_retired;
};

/* Starts from the registry loaded at start-up (copied; plugins borrowed). */
bool generations_init(struct plugin_generations *g, const struct registry *initial,
                      struct error *err);

/* One reload (see above). Returns false with err when nothing changed
 * because the new directory or configuration is wrong. */
bool generations_reload(struct plugin_generations *g, const char *config_path, struct sched *s,
                        struct error *err);

/* Shuts down retired plugins whose attempts have all ended. */
void generations_reap(struct plugin_generations *g);

/* Frees the reload generations (closing, and so shutting down, their
 * plugins). The start-up set is the caller's. */
void generations_free(struct plugin_generations *g);

#endif
