/*
 * The task-type registry: which loaded plugin runs which task type.
 */
#ifndef TASKHOST_PLUGIN_REGISTRY_H
#define TASKHOST_PLUGIN_REGISTRY_H

#include <stdbool.h>

#include "base/error.h"
#include "plugin/plugin.h"

struct registry_entry {
    const char *type;      /* borrowed from the plugin */
    struct plugin *plugin; /* borrowed */
};

/* Start from a zeroed struct ({0}); free with registry_free. */
struct registry {
    struct registry_entry *entries; /* sorted by type (owned) */
    int n;
};

/*
 * Adds every type of p (borrowed: p must outlive the registry and not move).
 * Fails naming both plugins' files and the type when a type is taken; then
 * nothing of p has been added.
 */
bool registry_add(struct registry *r, struct plugin *p, struct error *err);

/* Adds every plugin of the set, in order (see registry_add). On failure the
 * registry is left empty. */
bool registry_build(struct registry *r, struct plugin_set *set, struct error *err);

/* Replaces *dst with a copy of src's entries (the plugins stay borrowed).
 * On failure (out of memory) dst is unchanged. */
bool registry_copy(struct registry *dst, const struct registry *src, struct error *err);

/* The plugin for a type, or NULL. */
struct plugin *registry_find(const struct registry *r, const char *type);

/* Frees the entries; the plugins are not touched. Leaves r empty. */
void registry_free(struct registry *r);

#endif
