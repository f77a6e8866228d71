/* The types list: per-task-type overrides of concurrency, retries and
 * timeout. */
#include "config/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool valid_type(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= CFG_TYPE_NAME_MAX;
}

/* Fails when an earlier entry already configures t's type. */
static bool check_unique(const struct cfg_ctx *ctx, const config_setting_t *list,
                         const struct cfg_node *entry, const struct config *cfg, int index)
{
    for (int j = 0; j < index; j++) {
        if (strcmp(cfg->types[j].name, cfg->types[index].name) != 0)
            continue;
        struct cfg_node earlier = {.s = config_setting_get_elem(list, (unsigned)j)};
        char first[CFG_PATH_MAX + 32];
        char path[CFG_PATH_MAX];
        cfg_where(ctx, cfg_member(&earlier, "type"), first, sizeof first);
        cfg_member_path(entry, "type", path, sizeof path);
        return cfg_fail(ctx, cfg_member(entry, "type"), path,
                        "expected each type once, found \"%s\" again: it is already configured "
                        "at %s (types[%d])",
                        cfg->types[index].name, first, j);
    }
    return true;
}

static bool read_entry(const struct cfg_ctx *ctx, const config_setting_t *list, int index,
                       struct config *cfg)
{
    static const char expect[] = "a task type of 1 to 200 characters";
    struct cfg_node e = {.s = config_setting_get_elem(list, (unsigned)index)};
    char found[CFG_PATH_MAX];
    (void)snprintf(e.path, sizeof e.path, "types[%d]", index);
    if (!config_setting_is_group(e.s)) {
        cfg_describe(e.s, found, sizeof found);
        return cfg_fail(ctx, e.s, e.path, "expected a group ({ type = \"...\"; ... }), found %s",
                        found);
    }
    cfg_warn_unknown(ctx, &e, cfg_keys_type);
    struct type_config *t = &cfg->types[cfg->n_types++];
    t->concurrency = 0;
    t->max_retries = -1;
    t->timeout_ms = 0;
    t->source_line = (int)config_setting_source_line(e.s);
    if (cfg_member(&e, "type") == NULL) {
        char path[CFG_PATH_MAX];
        cfg_member_path(&e, "type", path, sizeof path);
        return cfg_fail(ctx, e.s, path, "this required setting is missing; expected %s", expect);
    }
    return cfg_get_string(ctx, &e, "type", expect, valid_type, &t->name) &&
           check_unique(ctx, list, &e, cfg, index) &&
           cfg_get_int32(ctx, &e, "concurrency", 0, 4096, &t->concurrency) &&
           cfg_get_int32(ctx, &e, "max_retries", 1, 1000, &t->max_retries) &&
           cfg_get_int(ctx, &e, "timeout_ms", 0, 604800000, NULL, &t->timeout_ms);
}

bool cfg_read_types(const struct cfg_ctx *ctx, const struct cfg_node *root, struct config *cfg)
{
    const config_setting_t *list = cfg_member(root, "types");
    if (list == NULL)
        return true;
    int count = config_setting_length(list);
    bool empty_array = config_setting_is_array(list) && count == 0;
    if (!config_setting_is_list(list) && !empty_array) {
        char found[CFG_PATH_MAX];
        cfg_describe(list, found, sizeof found);
        return cfg_fail(ctx, list, "types",
                        "expected a list of groups (( { type = \"...\"; ... }, ... )), found %s",
                        found);
    }
    cfg->types = calloc(count > 0 ? (size_t)count : 1, sizeof *cfg->types);
    if (cfg->types == NULL)
        return error_set(ctx->err, ERR_NOMEM, "out of memory while reading the configuration");
    for (int i = 0; i < count; i++) {
        if (!read_entry(ctx, list, i, cfg))
            return false;
    }
    return true;
}
