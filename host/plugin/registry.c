#include "plugin/registry.h"

#include <stdlib.h>
#include <string.h>

/* The index of type in r, or -(insertion point) - 1 when absent. */
static int search(const struct registry *r, const char *type)
{
    int lo = 0;
    int hi = r->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(r->entries[mid].type, type);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static void insert(struct registry *r, int at, const char *type, struct plugin *p)
{
    struct registry_entry *grown = realloc(r->entries, ((size_t)r->n + 1) * sizeof *grown);
    if (grown == NULL)
        abort();
    r->entries = grown;
    memmove(&r->entries[at + 1], &r->entries[at], (size_t)(r->n - at) * sizeof *r->entries);
    r->entries[at] = (struct registry_entry){.type = type, .plugin = p};
    r->n++;
}

bool registry_add(struct registry *r, struct plugin *p, struct error *err)
{
    for (int i = 0; i < p->n_types; i++) {
        int at = search(r, p->types[i]);
        if (at >= 0) {
            const struct plugin *owner = r->entries[at].plugin;
            return error_set(err, ERR_PLUGIN,
                             "task type \"%s\" is claimed by two plugins: %s (plugin %s) and %s "
                             "(plugin %s); remove one of the files from the plugin directory",
                             p->types[i], owner->path, owner->name, p->path, p->name);
        }
    }
    for (int i = 0; i < p->n_types; i++)
        insert(r, -search(r, p->types[i]) - 1, p->types[i], p);
    return true;
}

bool registry_build(struct registry *r, struct plugin_set *set, struct error *err)
{
    for (int i = 0; i < set->n; i++) {
        if (!registry_add(r, &set->items[i], err)) {
            registry_free(r);
            return false;
        }
    }
    return true;
}

bool registry_copy(struct registry *dst, const struct registry *src, struct error *err)
{
    struct registry_entry *entries = calloc((size_t)src->n + 1, sizeof *entries);
    if (entries == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    if (src->n > 0)
        memcpy(entries, src->entries, sizeof *entries * (size_t)src->n);
    free(dst->entries);
    dst->entries = entries;
    dst->n = src->n;
    return true;
}

struct plugin *registry_find(const struct registry *r, const char *type)
{
    if (type == NULL)
        return NULL;
    int at = search(r, type);
    return at >= 0 ? r->entries[at].plugin : NULL;
}

void registry_free(struct registry *r)
{
    free(r->entries);
    r->entries = NULL;
    r->n = 0;
}
