/* Printing the effective configuration in libconfig syntax, so that what is
 * printed can be read back (and diffed against the file). */
#include "config/config_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INDENT 4

static void indent(FILE *out, int depth)
{
    fprintf(out, "%*s", depth * INDENT, "");
}

static void put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\x%02x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* The shortest text that reads back as v, always with a fraction or an
 * exponent so that libconfig reads a float. */
static void put_double(FILE *out, double v)
{
    char buf[40];
    if (isnan(v) || isinf(v)) {
        fputs(isnan(v) ? "0.0" : v > 0 ? "1e999" : "-1e999", out);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        (void)snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, out);
    if (strpbrk(buf, ".eE") == NULL)
        fputs(".0", out);
}

static void put_int(FILE *out, int64_t v)
{
    fprintf(out, "%" PRId64 "%s", v, v > INT32_MAX || v < INT32_MIN ? "L" : "");
}

/* The URI with the password of its user info replaced by "****". */
static void put_uri(FILE *out, const char *uri)
{
    const char *auth = strstr(uri, "://");
    auth = auth ? auth + 3 : uri;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < end; p++) {
        if (*p == '@')
            at = p;
    }
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon == NULL) {
        put_string(out, uri);
        return;
    }
    size_t keep = (size_t)(colon + 1 - uri);
    size_t len = keep + 4 + strlen(at) + 1;
    char *masked = malloc(len);
    if (masked == NULL) {
        put_string(out, "mongodb://****");
        return;
    }
    (void)snprintf(masked, len, "%.*s****%s", (int)keep, uri, at);
    put_string(out, masked);
    free(masked);
}

static void put_value(FILE *out, const config_setting_t *s, int depth);

static void put_members(FILE *out, const config_setting_t *group, int depth)
{
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
        indent(out, depth);
        fprintf(out, "%s = ", config_setting_name(m));
        put_value(out, m, depth);
        fputs(";\n", out);
    }
}

static void put_elements(FILE *out, const config_setting_t *s, int depth)
{
    bool list = config_setting_is_list(s);
    int n = config_setting_length(s);
    fputc(list ? '(' : '[', out);
    for (int i = 0; i < n; i++) {
        fputc('\n', out);
        indent(out, depth + 1);
        put_value(out, config_setting_get_elem(s, (unsigned)i), depth + 1);
        if (i + 1 < n)
            fputc(',', out);
    }
    if (n > 0) {
        fputc('\n', out);
        indent(out, depth);
    }
    fputc(list ? ')' : ']', out);
}

static void put_value(FILE *out, const config_setting_t *s, int depth)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        fputs("{\n", out);
        put_members(out, s, depth + 1);
        indent(out, depth);
        fputc('}', out);
        break;
    case CONFIG_TYPE_LIST:
    case CONFIG_TYPE_ARRAY: put_elements(out, s, depth); break;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: put_int(out, config_setting_get_int64(s)); break;
    case CONFIG_TYPE_FLOAT: put_double(out, config_setting_get_float(s)); break;
    case CONFIG_TYPE_STRING: put_string(out, config_setting_get_string(s)); break;
    case CONFIG_TYPE_BOOL: fputs(config_setting_get_bool(s) ? "true" : "false", out); break;
    default: fputs("0", out); break;
    }
}

/* "    name = <int>;" */
static void line_int(FILE *out, const char *name, int64_t v)
{
    fprintf(out, "%*s%s = ", INDENT, "", name);
    put_int(out, v);
    fputs(";\n", out);
}

static void line_double(FILE *out, const char *name, double v)
{
    fprintf(out, "%*s%s = ", INDENT, "", name);
    put_double(out, v);
    fputs(";\n", out);
}

static void line_string(FILE *out, const char *name, const char *v)
{
    fprintf(out, "%*s%s = ", INDENT, "", name);
    put_string(out, v);
    fputs(";\n", out);
}

static void print_mongodb(const struct config *cfg, FILE *out)
{
    fputs("mongodb = {\n", out);
    if (cfg->mongodb_uri_from_env)
        fprintf(out, "%*s# from the environment variable %s\n", INDENT, "", CONFIG_ENV_MONGODB_URI);
    fprintf(out, "%*suri = ", INDENT, "");
    put_uri(out, cfg->mongodb_uri);
    fputs(";\n", out);
    line_string(out, "database", cfg->database);
    line_string(out, "collection", cfg->collection);
    line_string(out, "hosts_collection", cfg->hosts_collection);
    line_int(out, "connect_timeout_ms", cfg->connect_timeout_ms);
    line_string(out, "change_streams", cfg->change_streams ? "auto" : "off");
    fputs("};\n", out);
}

static void print_host_retry(const struct config *cfg, FILE *out)
{
    fputs("host = {\n", out);
    line_string(out, "id", cfg->host_id);
    line_int(out, "max_concurrency", cfg->max_concurrency);
    line_int(out, "poll_interval_ms", cfg->poll_interval_ms);
    line_int(out, "lease_ms", cfg->lease_ms);
    line_int(out, "heartbeat_ms", cfg->heartbeat_ms);
    line_int(out, "shutdown_grace_ms", cfg->shutdown_grace_ms);
    line_int(out, "max_host_deaths", cfg->max_host_deaths);
    fputs("};\nretry = {\n", out);
    line_int(out, "max_retries", cfg->max_retries);
    line_int(out, "backoff_initial_ms", cfg->backoff_initial_ms);
    line_int(out, "backoff_max_ms", cfg->backoff_max_ms);
    line_double(out, "backoff_multiplier", cfg->backoff_multiplier);
    line_double(out, "backoff_jitter", cfg->backoff_jitter);
    fputs("};\n", out);
}

static void print_plugins(const struct config *cfg, FILE *out)
{
    fputs("plugins = {\n", out);
    line_string(out, "directory", cfg->plugin_dir ? cfg->plugin_dir : "");
    fprintf(out, "%*ssettings = {\n", INDENT, "");
    for (int i = 0; i < cfg->n_plugin_blocks; i++) {
        const struct plugin_block *b = &cfg->plugin_blocks[i];
        indent(out, 2);
        fprintf(out, "%s = ", b->name);
        put_value(out, (const config_setting_t *)b->setting, 2);
        fputs(";\n", out);
    }
    fprintf(out, "%*s};\n};\n", INDENT, "");
}

static void print_types(const struct config *cfg, FILE *out)
{
    fputs("types = (", out);
    for (int i = 0; i < cfg->n_types; i++) {
        const struct type_config *t = &cfg->types[i];
        fprintf(out, "\n%*s{ type = ", INDENT, "");
        put_string(out, t->name);
        fprintf(out, "; concurrency = %d;", t->concurrency);
        if (t->max_retries > 0)
            fprintf(out, " max_retries = %d;", t->max_retries);
        fputs(" timeout_ms = ", out);
        put_int(out, t->timeout_ms);
        fputs(i + 1 < cfg->n_types ? "; }," : "; }", out);
    }
    fputs(cfg->n_types > 0 ? "\n);\n" : ");\n", out);
}

/* A file name in a comment: control characters would end the comment. */
static void put_comment_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

void config_print(const struct config *cfg, FILE *out)
{
    fputs("# taskhost: the effective configuration read from ", out);
    put_comment_text(out, cfg->path ? cfg->path : "(nothing)");
    fputs(",\n# with every default filled in.\n", out);
    print_mongodb(cfg, out);
    print_host_retry(cfg, out);
    print_plugins(cfg, out);
    print_types(cfg, out);
    fprintf(out, "log = {\n%*slevel = \"%s\";\n%*sformat = \"%s\";\n};\n", INDENT, "",
            log_level_name(cfg->log_level), INDENT, "", log_format_name(cfg->log_format));
}
