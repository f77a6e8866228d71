#include "cli/reload.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "plugin/host_api.h"

bool generations_init(struct plugin_generations *g, const struct registry *initial,
                      struct error *err)
{
    memset(g, 0, sizeof *g);
    return registry_copy(&g->current, initial, err);
}

/* The plugin now serving from the same, unchanged file, or NULL. */
static struct plugin *unchanged_match(const struct plugin_generations *g, const struct plugin *p)
{
    for (int i = 0; i < g->current.n; i++) {
        struct plugin *old = g->current.entries[i].plugin;
        if (strcmp(old->path, p->path) == 0 && plugin_file_unchanged(old))
            return old;
    }
    return NULL;
}

static bool in_registry(const struct registry *r, const struct plugin *p)
{
    for (int i = 0; i < r->n; i++)
        if (r->entries[i].plugin == p)
            return true;
    return false;
}

/* Initialises the new and replaced plugins of set, and maps every type to
 * its plugin (kept or new) in *reg. On failure shuts down what it started. */
static bool init_new(struct plugin_generations *g, struct plugin_set *set, const struct config *cfg,
                     struct registry *reg, int *n_new, struct error *err)
{
    *n_new = 0;
    for (int i = 0; i < set->n; i++) {
        struct plugin *p = &set->items[i];
        struct plugin *keep = unchanged_match(g, p);
        if (keep == NULL) {
            if (!plugin_init(p, host_api(), config_plugin_block(cfg, p->name), cfg->path, err))
                goto fail;
            (*n_new)++;
        }
        if (!registry_add(reg, keep ? keep : p, err))
            goto fail;
    }
    return true;
fail:
    for (int i = 0; i < set->n; i++)
        plugin_shutdown(&set->items[i]);
    registry_free(reg);
    return false;
}

static bool keep_generation(struct plugin_generations *g, struct plugin_set *set,
                            struct config *cfg)
{
    struct plugin_set **sets = realloc(g->sets, sizeof *sets * (size_t)(g->n + 1));
    if (sets != NULL)
        g->sets = sets;
    struct config **cfgs = realloc(g->configs, sizeof *cfgs * (size_t)(g->n + 1));
    if (cfgs != NULL)
        g->configs = cfgs;
    if (sets == NULL || cfgs == NULL)
        return false;
    g->sets[g->n] = set;
    g->configs[g->n] = cfg;
    g->n++;
    return true;
}

/* Moves the plugins of the old registry that the new one lacks to the
 * retired list. Returns how many. */
static int retire_old(struct plugin_generations *g, const struct registry *next)
{
    int n = 0;
    for (int i = 0; i < g->current.n; i++) {
        struct plugin *p = g->current.entries[i].plugin;
        if (p->retired || in_registry(next, p))
            continue;
        struct plugin **bigger = realloc(g->retired, sizeof *bigger * (size_t)(g->n_retired + 1));
        if (bigger == NULL)
            continue; /* it is then shut down at exit only */
        g->retired = bigger;
        g->retired[g->n_retired++] = p;
        p->retired = true;
        n++;
        log_info("reload",
                 "plugin %s %s (%s) is out of service; %d running task(s) finish "
                 "first",
                 p->name, p->version, p->path, atomic_load(&p->running));
    }
    return n;
}

static bool load_new(const char *config_path, struct config **cfg, struct plugin_set **set,
                     struct error *err)
{
    *cfg = calloc(1, sizeof **cfg);
    *set = calloc(1, sizeof **set);
    if (*cfg == NULL || *set == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    return config_load(config_path, *cfg, err) && plugin_set_open_dir(*cfg, *set, err);
}

static void drop_new(struct config *cfg, struct plugin_set *set)
{
    if (set != NULL)
        plugin_set_close(set);
    if (cfg != NULL)
        config_free(cfg);
    free(set);
    free(cfg);
}

bool generations_reload(struct plugin_generations *g, const char *config_path, struct sched *s,
                        struct error *err)
{
    struct config *cfg = NULL;
    struct plugin_set *set = NULL;
    struct registry next = {0};
    int n_new = 0;
    if (!load_new(config_path, &cfg, &set, err) || !init_new(g, set, cfg, &next, &n_new, err)) {
        drop_new(cfg, set);
        return false;
    }
    if (!sched_set_registry(s, &next, err) || !keep_generation(g, set, cfg)) {
        /* Out of memory: the scheduler may serve the new set already; keep
         * everything alive rather than free plugins that might run. */
        registry_free(&next);
        return false;
    }
    int n_retired = retire_old(g, &next);
    registry_free(&g->current);
    g->current = next;
    log_info("reload",
             "plugins reloaded from %s: %d new or replaced, %d out of service, %d "
             "task type(s) served",
             cfg->plugin_dir, n_new, n_retired, g->current.n);
    return true;
}

void generations_reap(struct plugin_generations *g)
{
    for (int i = 0; i < g->n_retired; i++) {
        struct plugin *p = g->retired[i];
        if (atomic_load(&p->running) != 0)
            continue;
        plugin_shutdown(p);
        log_info("reload", "plugin %s %s (%s) drained and shut down", p->name, p->version, p->path);
        g->retired[i--] = g->retired[--g->n_retired];
    }
}

void generations_free(struct plugin_generations *g)
{
    for (int i = g->n - 1; i >= 0; i--)
        drop_new(g->configs[i], g->sets[i]);
    free(g->sets);
    free(g->configs);
    free(g->retired);
    registry_free(&g->current);
    memset(g, 0, sizeof *g);
}
