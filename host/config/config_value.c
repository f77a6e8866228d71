/* Reading one setting of a group: type and range checks with messages that
 * name the file, line, setting, what is expected and what was found. */
#include "config/config_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOUND_MAX   160 /* room for a description of what was found */
#define SHOWN_CHARS 80  /* longest string value quoted in a message */

bool cfg_fail(const struct cfg_ctx *ctx, const config_setting_t *at, const char *path,
              const char *fmt, ...)
{
    char where[CFG_PATH_MAX + 32];
    char msg[ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at != NULL)
        cfg_where(ctx, at, where, sizeof where);
    else
        (void)snprintf(where, sizeof where, "%s", ctx->name);
    if (path == NULL || path[0] == '\0')
        return error_set(ctx->err, ERR_CONFIG, "%s: %s", where, msg);
    return error_set(ctx->err, ERR_CONFIG, "%s: %s: %s", where, path, msg);
}

void cfg_where(const struct cfg_ctx *ctx, const config_setting_t *s, char *buf, size_t len)
{
    const char *file = config_setting_source_file(s);
    unsigned line = config_setting_source_line(s);
    if (file == NULL)
        file = ctx->name;
    if (line > 0)
        (void)snprintf(buf, len, "%s:%u", file, line);
    else
        (void)snprintf(buf, len, "%s", file);
}

void cfg_member_path(const struct cfg_node *node, const char *key, char *buf, size_t len)
{
    /* Truncation is fine in a message; snprintf's warning about it is not. */
    const char *parts[] = {node->path, node->path[0] ? "." : "", key};
    size_t n = 0;
    if (len == 0)
        return;
    for (size_t i = 0; i < 3; i++) {
        size_t m = strlen(parts[i]);
        if (m > len - 1 - n)
            m = len - 1 - n;
        memcpy(buf + n, parts[i], m);
        n += m;
    }
    buf[n] = '\0';
}

/* s as it would be written, quoted, escaped, cut after SHOWN_CHARS. */
static void quote(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    size_t shown = 0;
    if (len < 8)
        return;
    buf[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 8 < len; p++, shown++) {
        if (shown == SHOWN_CHARS) {
            n += (size_t)snprintf(buf + n, len - n, "...");
            break;
        }
        if (*p == '"' || *p == '\\')
            n += (size_t)snprintf(buf + n, len - n, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            n += (size_t)snprintf(buf + n, len - n, "\\x%02x", *p);
        else
            buf[n++] = (char)*p;
    }
    buf[n++] = '"';
    buf[n] = '\0';
}

void cfg_describe(const config_setting_t *s, char *buf, size_t len)
{
    char q[FOUND_MAX];
    if (s == NULL) {
        (void)snprintf(buf, len, "nothing");
        return;
    }
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        (void)snprintf(buf, len, "an integer (%lld)", config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT:
        (void)snprintf(buf, len, "a number with a fraction (%g)", config_setting_get_float(s));
        break;
    case CONFIG_TYPE_STRING:
        quote(config_setting_get_string(s), q, sizeof q);
        (void)snprintf(buf, len, "a string (%s)", q);
        break;
    case CONFIG_TYPE_BOOL:
        (void)snprintf(buf, len, "a boolean (%s)", config_setting_get_bool(s) ? "true" : "false");
        break;
    case CONFIG_TYPE_GROUP: (void)snprintf(buf, len, "a group ({ ... })"); break;
    case CONFIG_TYPE_LIST: (void)snprintf(buf, len, "a list (( ... ))"); break;
    case CONFIG_TYPE_ARRAY: (void)snprintf(buf, len, "an array ([ ... ])"); break;
    default: (void)snprintf(buf, len, "a setting of unknown type"); break;
    }
}

const config_setting_t *cfg_member(const struct cfg_node *node, const char *key)
{
    if (node->s == NULL || !config_setting_is_group(node->s))
        return NULL;
    return config_setting_get_member(node->s, key);
}

/* Fails with "expected <expect>, found <description of m>". */
static bool fail_type(const struct cfg_ctx *ctx, const config_setting_t *m, const char *path,
                      const char *expect)
{
    char found[FOUND_MAX];
    cfg_describe(m, found, sizeof found);
    return cfg_fail(ctx, m, path, "expected %s, found %s", expect, found);
}

bool cfg_get_int(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                 int64_t lo, int64_t hi, const char *why, int64_t *val)
{
    const config_setting_t *m = cfg_member(node, key);
    if (m == NULL)
        return true;
    char path[CFG_PATH_MAX];
    char expect[CFG_PATH_MAX + 80];
    char literal[64];
    cfg_member_path(node, key, path, sizeof path);
    (void)snprintf(expect, sizeof expect, "an integer from %" PRId64 " to %" PRId64 "%s%s%s", lo,
                   hi, why ? " (" : "", why ? why : "", why ? ")" : "");
    int type = config_setting_type(m);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return fail_type(ctx, m, path, expect);
    if (type == CONFIG_TYPE_INT && cfg_int_literal_truncated(ctx, m, literal, sizeof literal))
        return cfg_fail(ctx, m, path, "expected %s, found %s", expect, literal);
    int64_t v = config_setting_get_int64(m);
    if (v < lo || v > hi)
        return cfg_fail(ctx, m, path, "expected %s, found %" PRId64, expect, v);
    *val = v;
    return true;
}

bool cfg_get_int32(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key, int lo,
                   int hi, int *val)
{
    int64_t v = *val;
    if (!cfg_get_int(ctx, node, key, lo, hi, NULL, &v))
        return false;
    *val = (int)v;
    return true;
}

bool cfg_get_double(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                    double lo, double hi, double *val)
{
    const config_setting_t *m = cfg_member(node, key);
    if (m == NULL)
        return true;
    char path[CFG_PATH_MAX];
    char expect[80];
    cfg_member_path(node, key, path, sizeof path);
    (void)snprintf(expect, sizeof expect, "a number from %g to %g", lo, hi);
    double v;
    switch (config_setting_type(m)) {
    case CONFIG_TYPE_FLOAT: v = config_setting_get_float(m); break;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: v = (double)config_setting_get_int64(m); break;
    default: return fail_type(ctx, m, path, expect);
    }
    if (!(v >= lo && v <= hi)) /* also NaN */
        return cfg_fail(ctx, m, path, "expected %s, found %g", expect, v);
    *val = v;
    return true;
}

bool cfg_get_string(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                    const char *expect, bool (*valid)(const char *), char **val)
{
    const config_setting_t *m = cfg_member(node, key);
    if (m == NULL)
        return true;
    char path[CFG_PATH_MAX];
    cfg_member_path(node, key, path, sizeof path);
    if (config_setting_type(m) != CONFIG_TYPE_STRING)
        return fail_type(ctx, m, path, expect ? expect : "a string");
    const char *s = config_setting_get_string(m);
    if (valid != NULL && !valid(s)) {
        char q[FOUND_MAX];
        quote(s, q, sizeof q);
        return cfg_fail(ctx, m, path, "expected %s, found %s", expect ? expect : "a string", q);
    }
    char *copy = cfg_strdup(s, ctx->err);
    if (copy == NULL)
        return false;
    free(*val);
    *val = copy;
    return true;
}

bool cfg_get_choice(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                    const char *const *choices, int *val)
{
    const config_setting_t *m = cfg_member(node, key);
    if (m == NULL)
        return true;
    char path[CFG_PATH_MAX];
    char expect[200] = "one of";
    size_t n = strlen(expect);
    cfg_member_path(node, key, path, sizeof path);
    for (int i = 0; choices[i] != NULL && n < sizeof expect; i++)
        n += (size_t)snprintf(expect + n, sizeof expect - n, "%s \"%s\"", i ? "," : "", choices[i]);
    if (config_setting_type(m) != CONFIG_TYPE_STRING)
        return fail_type(ctx, m, path, expect);
    const char *s = config_setting_get_string(m);
    for (int i = 0; choices[i] != NULL; i++) {
        if (strcmp(s, choices[i]) == 0) {
            *val = i;
            return true;
        }
    }
    char q[FOUND_MAX];
    quote(s, q, sizeof q);
    return cfg_fail(ctx, m, path, "expected %s, found %s", expect, q);
}

bool cfg_get_group(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                   struct cfg_node *out)
{
    out->s = cfg_member(node, key);
    cfg_member_path(node, key, out->path, sizeof out->path);
    if (out->s != NULL && !config_setting_is_group(out->s))
        return fail_type(ctx, out->s, out->path, "a group ({ ... })");
    return true;
}
