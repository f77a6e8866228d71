#include "plugin/settings.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"

/* What the getters change. The getters receive a const th_settings, so the
 * mutable part lives behind a pointer. */
struct settings_state {
    bool *read;  /* one flag per member of the block */
    bool failed; /* a getter met a type error; error holds the first */
    struct error error;
};

/* th_settings as the host sees it. */
struct settings {
    char *plugin_name;
    char *config_path;             /* for messages when libconfig knows no file name */
    const config_setting_t *block; /* a group, or NULL */
    int n;                         /* members of the block */
    struct settings_state *state;
};

static const struct settings *from_api(const th_settings *s)
{
    return (const struct settings *)s;
}

struct settings *settings_new(const char *plugin_name, const struct plugin_block *block,
                              const char *config_path)
{
    struct settings *s = calloc(1, sizeof *s);
    struct settings_state *st = calloc(1, sizeof *st);
    if (s == NULL || st == NULL)
        abort();
    s->plugin_name = strdup(plugin_name ? plugin_name : "?");
    s->config_path = strdup(config_path ? config_path : "the configuration file");
    s->state = st;
    if (block != NULL && block->setting != NULL && config_setting_is_group(block->setting)) {
        s->block = block->setting;
        s->n = config_setting_length(s->block);
    }
    st->read = calloc((size_t)s->n + 1, sizeof *st->read);
    if (s->plugin_name == NULL || s->config_path == NULL || st->read == NULL)
        abort();
    return s;
}

void settings_free(struct settings *s)
{
    if (s == NULL)
        return;
    free(s->state->read);
    free(s->state);
    free(s->plugin_name);
    free(s->config_path);
    free(s);
}

const char *settings_error(const struct settings *s)
{
    return s != NULL && s->state->failed ? s->state->error.msg : NULL;
}

/* The dotted path of a setting, e.g. "plugins.settings.sleep.max_ms". */
static void setting_path(const config_setting_t *m, char *buf, size_t len)
{
    const config_setting_t *parent = config_setting_parent(m);
    char up[512] = "";
    if (parent != NULL && !config_setting_is_root(parent))
        setting_path(parent, up, sizeof up);
    const char *sep = up[0] != '\0' ? "." : "";
    if (config_setting_name(m) != NULL)
        (void)snprintf(buf, len, "%s%s%s", up, sep, config_setting_name(m));
    else
        (void)snprintf(buf, len, "%s[%d]", up, config_setting_index(m));
}

/* "file:line" of a setting. */
static void setting_where(const struct settings *s, const config_setting_t *m, char *buf,
                          size_t len)
{
    const char *file = config_setting_source_file(m);
    (void)snprintf(buf, len, "%s:%u", file ? file : s->config_path,
                   (unsigned)config_setting_source_line(m));
}

static const char *type_name(const config_setting_t *m)
{
    switch (config_setting_type(m)) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a floating-point number";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "a value of unknown type";
    }
}

/* Records the first type error (the host reports it after init) and
 * returns TH_ETYPE. */
static int type_error(const struct settings *s, const config_setting_t *m, const char *expected)
{
    if (s->state->failed)
        return TH_ETYPE;
    char where[600];
    char path[512];
    setting_where(s, m, where, sizeof where);
    setting_path(m, path, sizeof path);
    error_set(&s->state->error, ERR_CONFIG, "%s: setting %s of plugin %s must be %s, not %s", where,
              path, s->plugin_name, expected, type_name(m));
    s->state->failed = true;
    return TH_ETYPE;
}

/* A plugin passed a NULL name or output pointer: a bug in the plugin. */
static int invalid(const struct settings *s, const char *getter, const char *name)
{
    log_error("plugin", "plugin %s called %s(%s%s%s) with a NULL argument",
              s ? s->plugin_name : "?", getter, name ? "\"" : "", name ? name : "NULL",
              name ? "\"" : "");
    return TH_EINVAL;
}

/* The member `name` of the block (marking it read), or NULL when absent. */
static const config_setting_t *lookup(const struct settings *s, const char *name)
{
    if (s->block == NULL)
        return NULL;
    const config_setting_t *m = config_setting_get_member(s->block, name);
    if (m != NULL) {
        int i = config_setting_index(m);
        if (i >= 0 && i < s->n)
            s->state->read[i] = true;
    }
    return m;
}

int settings_get_string(const th_settings *api_s, const char *name, const char *def,
                        const char **out)
{
    const struct settings *s = from_api(api_s);
    if (s == NULL || name == NULL || out == NULL)
        return invalid(s, "setting_string", name);
    const config_setting_t *m = lookup(s, name);
    if (m == NULL) {
        *out = def;
        return TH_OK;
    }
    if (config_setting_type(m) != CONFIG_TYPE_STRING)
        return type_error(s, m, "a string");
    *out = config_setting_get_string(m);
    return TH_OK;
}

int settings_get_int(const th_settings *api_s, const char *name, int64_t def, int64_t *out)
{
    const struct settings *s = from_api(api_s);
    if (s == NULL || name == NULL || out == NULL)
        return invalid(s, "setting_int", name);
    const config_setting_t *m = lookup(s, name);
    if (m == NULL) {
        *out = def;
        return TH_OK;
    }
    int type = config_setting_type(m);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return type_error(s, m, "an integer");
    *out = (int64_t)config_setting_get_int64(m);
    return TH_OK;
}

int settings_get_double(const th_settings *api_s, const char *name, double def, double *out)
{
    const struct settings *s = from_api(api_s);
    if (s == NULL || name == NULL || out == NULL)
        return invalid(s, "setting_double", name);
    const config_setting_t *m = lookup(s, name);
    if (m == NULL) {
        *out = def;
        return TH_OK;
    }
    switch (config_setting_type(m)) {
    case CONFIG_TYPE_FLOAT: *out = config_setting_get_float(m); return TH_OK;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: *out = (double)config_setting_get_int64(m); return TH_OK;
    default: return type_error(s, m, "a number");
    }
}

int settings_get_bool(const th_settings *api_s, const char *name, int def, int *out)
{
    const struct settings *s = from_api(api_s);
    if (s == NULL || name == NULL || out == NULL)
        return invalid(s, "setting_bool", name);
    const config_setting_t *m = lookup(s, name);
    if (m == NULL) {
        *out = def;
        return TH_OK;
    }
    if (config_setting_type(m) != CONFIG_TYPE_BOOL)
        return type_error(s, m, "a boolean (true or false)");
    *out = config_setting_get_bool(m);
    return TH_OK;
}

/* The list or array `name` after checking that it holds only strings; NULL
 * with *rc = TH_OK when absent. */
static const config_setting_t *lookup_string_list(const struct settings *s, const char *name,
                                                  int *rc)
{
    *rc = TH_OK;
    const config_setting_t *m = lookup(s, name);
    if (m == NULL)
        return NULL;
    int type = config_setting_type(m);
    if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_ARRAY) {
        *rc = type_error(s, m, "a list of strings");
        return NULL;
    }
    for (int i = 0; i < config_setting_length(m); i++) {
        const config_setting_t *e = config_setting_get_elem(m, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            *rc = type_error(s, e, "a string (element of a list of strings)");
            return NULL;
        }
    }
    return m;
}

int settings_list_len(const th_settings *api_s, const char *name)
{
    const struct settings *s = from_api(api_s);
    if (s == NULL || name == NULL)
        return invalid(s, "setting_list_len", name);
    int rc;
    const config_setting_t *m = lookup_string_list(s, name, &rc);
    return m != NULL ? config_setting_length(m) : rc;
}

/* A plugin asked for an element past the end of a list: a bug in the plugin. */
static int invalid_index(const struct settings *s, const char *name, int index, int len)
{
    log_error("plugin", "plugin %s asked for element %d of setting %s, which has %d element%s",
              s->plugin_name, index, name, len, len == 1 ? "" : "s");
    return TH_EINVAL;
}

int settings_list_string(const th_settings *api_s, const char *name, int index, const char **out)
{
    const struct settings *s = from_api(api_s);
    if (s == NULL || name == NULL || out == NULL)
        return invalid(s, "setting_list_string", name);
    int rc;
    const config_setting_t *m = lookup_string_list(s, name, &rc);
    if (rc != TH_OK)
        return rc;
    int len = m != NULL ? config_setting_length(m) : 0;
    if (index < 0 || index >= len)
        return invalid_index(s, name, index, len);
    *out = config_setting_get_string(config_setting_get_elem(m, (unsigned)index));
    return TH_OK;
}

void settings_warn_unread(const struct settings *s)
{
    if (s == NULL || s->block == NULL)
        return;
    for (int i = 0; i < s->n; i++) {
        if (s->state->read[i])
            continue;
        const config_setting_t *m = config_setting_get_elem(s->block, (unsigned)i);
        char where[600];
        char path[512];
        setting_where(s, m, where, sizeof where);
        setting_path(m, path, sizeof path);
        log_warn("config", "%s: unknown setting %s: plugin %s does not use it (misspelled?)", where,
                 path, s->plugin_name);
    }
}
