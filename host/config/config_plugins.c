/* The plugins group: where plugins live, and each plugin's own block of
 * settings (free-form: the plugin reads it through th_host_api). */
#include "config/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TASKHOST_PLUGIN_INSTALL_DIR
#define TASKHOST_PLUGIN_INSTALL_DIR "/usr/local/lib/taskhost/plugins"
#endif

static bool not_empty(const char *s)
{
    return s[0] != '\0';
}

/* dir as is when absolute, else joined to the configuration's directory. */
static bool resolve_dir(struct config *cfg, const char *dir, struct error *err)
{
    if (dir[0] == '/' || cfg->basedir == NULL) {
        cfg->plugin_dir = cfg_strdup(dir, err);
        return cfg->plugin_dir != NULL;
    }
    size_t len = strlen(cfg->basedir) + strlen(dir) + 2;
    cfg->plugin_dir = malloc(len);
    if (cfg->plugin_dir == NULL)
        return error_set(err, ERR_NOMEM, "out of memory while reading the configuration");
    (void)snprintf(cfg->plugin_dir, len, "%s/%s", cfg->basedir, dir);
    return true;
}

static bool read_directory(const struct cfg_ctx *ctx, const struct cfg_node *n, struct config *cfg)
{
    static const char expect[] = "a non-empty path of the directory holding the plugins "
                                 "(relative to the configuration file's directory)";
    char *dir = NULL;
    if (cfg_member(n, "directory") == NULL)
        return cfg_fail(ctx, n->s, "plugins.directory",
                        "this required setting is missing; expected %s, e.g. "
                        "directory = \"%s\";",
                        expect, TASKHOST_PLUGIN_INSTALL_DIR);
    if (!cfg_get_string(ctx, n, "directory", expect, not_empty, &dir))
        return false;
    bool ok = resolve_dir(cfg, dir, ctx->err);
    free(dir);
    return ok;
}

static bool read_blocks(const struct cfg_ctx *ctx, const struct cfg_node *n, struct config *cfg)
{
    struct cfg_node settings;
    if (!cfg_get_group(ctx, n, "settings", &settings))
        return false;
    if (settings.s == NULL)
        return true;
    int count = config_setting_length(settings.s);
    cfg->plugin_blocks = calloc(count > 0 ? (size_t)count : 1, sizeof *cfg->plugin_blocks);
    if (cfg->plugin_blocks == NULL)
        return error_set(ctx->err, ERR_NOMEM, "out of memory while reading the configuration");
    for (int i = 0; i < count; i++) {
        const config_setting_t *m = config_setting_get_elem(settings.s, (unsigned)i);
        struct cfg_node block;
        if (!cfg_get_group(ctx, &settings, config_setting_name(m), &block))
            return false;
        struct plugin_block *b = &cfg->plugin_blocks[cfg->n_plugin_blocks];
        b->name = cfg_strdup(config_setting_name(m), ctx->err);
        if (b->name == NULL)
            return false;
        b->setting = m;
        cfg->n_plugin_blocks++;
    }
    return true;
}

bool cfg_read_plugins(const struct cfg_ctx *ctx, const struct cfg_node *root, struct config *cfg)
{
    struct cfg_node n;
    if (!cfg_get_group(ctx, root, "plugins", &n))
        return false;
    cfg_warn_unknown(ctx, &n, cfg_keys_plugins);
    return read_directory(ctx, &n, cfg) && read_blocks(ctx, &n, cfg);
}
