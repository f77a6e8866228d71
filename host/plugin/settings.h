/*
 * th_settings: a plugin's block of the configuration, read by the plugin
 * through the api's setting_* getters during init. Remembers which settings
 * the plugin asked for, so the host can warn about the others, and the first
 * type error, so the host can report it with file and line.
 */
#ifndef TASKHOST_PLUGIN_SETTINGS_H
#define TASKHOST_PLUGIN_SETTINGS_H

#include <stdbool.h>

#include <taskhost/plugin.h>

#include "config/config.h"

/* Wraps a block (may be NULL: a plugin without settings). Returns an owned
 * object, free with settings_free. */
struct settings *settings_new(const char *plugin_name, const struct plugin_block *block,
                              const char *config_path);
void settings_free(struct settings *s);

/* The first type error a getter met, or NULL. */
const char *settings_error(const struct settings *s);

/* Logs a warning for each setting of the block the plugin never asked for. */
void settings_warn_unread(const struct settings *s);

/* The getters behind th_host_api.setting_*. */
int settings_get_string(const th_settings *s, const char *name, const char *def, const char **out);
int settings_get_int(const th_settings *s, const char *name, int64_t def, int64_t *out);
int settings_get_double(const th_settings *s, const char *name, double def, double *out);
int settings_get_bool(const th_settings *s, const char *name, int def, int *out);
int settings_list_len(const th_settings *s, const char *name);
int settings_list_string(const th_settings *s, const char *name, int index, const char **out);

#endif
