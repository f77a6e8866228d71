/* All plugins of the plugin directory. */
#include <dirent.h>
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"

/* Visible files named *.so. */
static int is_plugin_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 3 && strcmp(e->d_name + n - 3, ".so") == 0;
}

/* Byte order, not the locale's: the same order on every host. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static bool check_unique_name(const struct plugin_set *set, const struct plugin *p,
                              struct error *err)
{
    for (int i = 0; i < set->n; i++)
        if (set->items[i].name != NULL && strcmp(set->items[i].name, p->name) == 0)
            return error_set(err, ERR_PLUGIN,
                             "plugins %s and %s are both named \"%s\"; remove one of the files "
                             "from the plugin directory",
                             set->items[i].path, p->path, p->name);
    return true;
}

/* Checks and opens dir/file and appends it to set (sized for it). */
static bool open_one(const char *dir, const char *file, struct plugin_set *set, struct error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return error_set(err, ERR_PLUGIN, "plugin path %s/%s is too long", dir, file);
    struct plugin p;
    if (!plugin_check_permissions(path, false, err) || !plugin_open(path, &p, err))
        return false;
    if (!check_unique_name(set, &p, err)) {
        plugin_close(&p);
        return false;
    }
    set->items[set->n++] = p;
    return true;
}

/* Opens every *.so of dir into set, in name order. */
static bool open_all(const char *dir, struct plugin_set *set, struct error *err)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, is_plugin_file, by_name);
    if (n < 0)
        return error_set(err, ERR_IO, "cannot list plugin directory %s: %s", dir, strerror(errno));
    bool ok = true;
    if (n == 0)
        ok = error_set(err, ERR_PLUGIN,
                       "plugin directory %s holds no plugins (files named *.so); check "
                       "plugins.directory",
                       dir);
    else if ((set->items = calloc((size_t)n, sizeof *set->items)) == NULL)
        abort();
    for (int i = 0; ok && i < n; i++)
        ok = open_one(dir, names[i]->d_name, set, err);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return ok;
}

static const struct plugin *find_by_name(const struct plugin_set *set, const char *name)
{
    for (int i = 0; i < set->n; i++)
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    return NULL;
}

/* Settings blocks for plugins that are not there are most likely typos. */
static void warn_orphan_blocks(const struct config *cfg, const struct plugin_set *set)
{
    for (int i = 0; i < cfg->n_plugin_blocks; i++) {
        const struct plugin_block *b = &cfg->plugin_blocks[i];
        if (find_by_name(set, b->name) != NULL)
            continue;
        const config_setting_t *s = b->setting;
        const char *file = s != NULL ? config_setting_source_file(s) : NULL;
        log_warn("config",
                 "%s:%u: settings for plugin \"%s\" are ignored: no plugin of that name is "
                 "in %s",
                 file ? file : (cfg->path ? cfg->path : "the configuration file"),
                 s != NULL ? (unsigned)config_setting_source_line(s) : 0u, b->name,
                 cfg->plugin_dir);
    }
}

bool plugin_set_open_dir(const struct config *cfg, struct plugin_set *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    const char *dir = cfg->plugin_dir;
    if (dir == NULL || dir[0] == '\0')
        return error_set(err, ERR_CONFIG, "no plugin directory is configured (plugins.directory)");
    if (!plugin_check_permissions(dir, true, err) || !open_all(dir, out, err)) {
        plugin_set_close(out);
        return false;
    }
    struct registry check = {0};
    if (!registry_build(&check, out, err)) {
        plugin_set_close(out);
        return false;
    }
    registry_free(&check);
    warn_orphan_blocks(cfg, out);
    return true;
}

bool plugin_set_init(struct plugin_set *set, const th_host_api *api, const struct config *cfg,
                     struct error *err)
{
    for (int i = 0; i < set->n; i++) {
        struct plugin *p = &set->items[i];
        if (!plugin_init(p, api, config_plugin_block(cfg, p->name), cfg->path, err)) {
            while (--i >= 0)
                plugin_shutdown(&set->items[i]);
            return false;
        }
    }
    return true;
}

void plugin_set_close(struct plugin_set *set)
{
    for (int i = set->n - 1; i >= 0; i--)
        plugin_close(&set->items[i]);
    free(set->items);
    set->items = NULL;
    set->n = 0;
}
