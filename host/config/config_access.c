/* Reading a loaded configuration: per-type values with their fallbacks,
 * plugin blocks, and releasing it all. */
#include "config/config_internal.h"

#include <stdlib.h>
#include <string.h>

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->path);
    free(cfg->basedir);
    free(cfg->mongodb_uri);
    free(cfg->database);
    free(cfg->collection);
    free(cfg->hosts_collection);
    free(cfg->host_id);
    free(cfg->plugin_dir);
    for (int i = 0; i < cfg->n_plugin_blocks; i++)
        free(cfg->plugin_blocks[i].name);
    free(cfg->plugin_blocks);
    for (int i = 0; i < cfg->n_types; i++)
        free(cfg->types[i].name);
    free(cfg->types);
    if (cfg->lc != NULL) {
        config_destroy(cfg->lc);
        free(cfg->lc);
    }
    memset(cfg, 0, sizeof *cfg);
}

const struct type_config *config_type(const struct config *cfg, const char *type)
{
    if (type == NULL)
        return NULL;
    for (int i = 0; i < cfg->n_types; i++) {
        if (strcmp(cfg->types[i].name, type) == 0)
            return &cfg->types[i];
    }
    return NULL;
}

int config_type_max_retries(const struct config *cfg, const char *type)
{
    const struct type_config *t = config_type(cfg, type);
    return t != NULL && t->max_retries > 0 ? t->max_retries : cfg->max_retries;
}

int config_type_concurrency(const struct config *cfg, const char *type)
{
    const struct type_config *t = config_type(cfg, type);
    if (t == NULL || t->concurrency <= 0 || t->concurrency > cfg->max_concurrency)
        return cfg->max_concurrency;
    return t->concurrency;
}

int64_t config_type_timeout_ms(const struct config *cfg, const char *type)
{
    const struct type_config *t = config_type(cfg, type);
    return t != NULL && t->timeout_ms > 0 ? t->timeout_ms : 0;
}

const struct plugin_block *config_plugin_block(const struct config *cfg, const char *name)
{
    if (name == NULL)
        return NULL;
    for (int i = 0; i < cfg->n_plugin_blocks; i++) {
        if (strcmp(cfg->plugin_blocks[i].name, name) == 0)
            return &cfg->plugin_blocks[i];
    }
    return NULL;
}
