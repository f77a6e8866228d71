/*
 * Loading plugins: dlopen, ABI checks, descriptor validation, permission
 * checks, init and shutdown. A loaded plugin's code is never unloaded.
 *
 * Threads: everything here runs on the host's main thread, before the
 * workers start or after they have stopped.
 */
#ifndef TASKHOST_PLUGIN_PLUGIN_H
#define TASKHOST_PLUGIN_PLUGIN_H

#include <stdatomic.h>
#include <stdbool.h>

#include <taskhost/plugin.h>

#include "base/error.h"
#include "config/config.h"

struct settings; /* th_settings, see plugin/settings.h */

struct plugin {
    th_plugin desc; /* the plugin's descriptor, copied (min of both sizes) into zeroes */
    char *path;     /* the file it came from (owned) */
    char *name;     /* copy of desc.name (owned) */
    char *version;  /* copy of desc.version, "" when NULL (owned) */
    char **types;   /* copies of desc.task_types, NULL-terminated (owned) */
    int n_types;
    void *handle;              /* dlopen handle; never closed */
    void *state;               /* what init returned */
    bool initialised;          /* init succeeded; shutdown is owed */
    struct settings *settings; /* the block handed to init (owned) */
    /* The file's identity when it was loaded: a reload compares it to tell
     * an unchanged plugin from a replaced one. */
    unsigned long long dev, ino;
    long long mtime_ns, size;
    /* Reload bookkeeping (sched/ and cli/cmd_run.c): attempts in flight, and
     * whether a reload took the plugin out of service (it is shut down once
     * no attempt runs). */
    _Atomic int running;
    bool retired;
};

/*
 * Refuses a plugin file or directory that is not a regular file / directory,
 * or that users other than its owner may write, or whose owner is neither
 * root nor the user running the host (the way sshd treats key files). The
 * message names the path, what is wrong and the command that fixes it.
 * Symbolic links are followed: the target is checked.
 */
bool plugin_check_permissions(const char *path, bool is_dir, struct error *err);

/*
 * Opens the shared object at `path` (RTLD_NOW | RTLD_LOCAL; a path without
 * '/' is taken relative to the working directory, never searched for), finds
 * its entry symbol, checks the ABI version and descriptor size before
 * reading anything else, then the descriptor (name, types, run). Does not
 * call init and does not check permissions. On success *out owns copies of
 * the strings (free with plugin_close). On failure *out is zeroed and err
 * (ERR_PLUGIN) says what is wrong with which file and what to do.
 */
bool plugin_open(const char *path, struct plugin *out, struct error *err);

/*
 * Calls the plugin's init with the host api table and its settings block
 * (block may be NULL: no settings; borrowed, must outlive the plugin).
 * config_path names the file in messages when libconfig knows no file name
 * (NULL: "the configuration file"). Warns about settings the plugin never
 * read. Fails with the plugin's own message, or (ERR_CONFIG) with file:line
 * when init read a setting of the wrong type; in that case a plugin whose
 * init succeeded anyway is shut down again.
 */
bool plugin_init(struct plugin *p, const th_host_api *api, const struct plugin_block *block,
                 const char *config_path, struct error *err);

/* Calls shutdown once if init succeeded (no run() may be in progress). */
void plugin_shutdown(struct plugin *p);

/* plugin_shutdown, then frees what plugin_open allocated and zeroes *p. The
 * code stays mapped. */
void plugin_close(struct plugin *p);

/* True when the file at p->path is still the one p was loaded from. */
bool plugin_file_unchanged(const struct plugin *p);

/* All plugins of a directory (files named *.so, in byte order of names). */
struct plugin_set {
    struct plugin *items; /* owned */
    int n;
};

/*
 * Opens every *.so in cfg->plugin_dir (checking permissions of the directory
 * and each file), refuses an empty directory, two plugins with the same name
 * or the same task type, and warns about plugin blocks in the config that
 * name no loaded plugin. Does not call init. On failure *out is empty.
 */
bool plugin_set_open_dir(const struct config *cfg, struct plugin_set *out, struct error *err);

/* Inits each plugin in order with its block of cfg; on the first failure
 * shuts down those already initialised and fails naming the plugin. */
bool plugin_set_init(struct plugin_set *set, const th_host_api *api, const struct config *cfg,
                     struct error *err);

/* Shuts the plugins down in reverse order and frees the set. */
void plugin_set_close(struct plugin_set *set);

#endif
