#include "webhook_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TIMEOUT_MAX_MS 3600000
#define BODY_MAX_BYTES 262144
#define HOST_MAX       253

static bool read_int(const th_host_api *api, const th_settings *s, const char *name, int64_t def,
                     int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
    if (api->setting_int(s, name, def, out) != TH_OK) {
        snprintf(err, errlen, "cannot read setting %s", name);
        return false;
    }
    if (*out < min || *out > max) {
        snprintf(err, errlen,
                 "setting %s must be between %" PRId64 " and %" PRId64 ", found %" PRId64, name,
                 min, max, *out);
        return false;
    }
    return true;
}

static bool read_string(const th_host_api *api, const th_settings *s, const char *name,
                        const char *def, const char **out, char *err, size_t errlen)
{
    if (api->setting_string(s, name, def, out) != TH_OK) {
        snprintf(err, errlen, "cannot read setting %s", name);
        return false;
    }
    for (const char *p = *out; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(err, errlen, "setting %s must not contain control characters", name);
            return false;
        }
    }
    return true;
}

/* A host name, an IPv4 address, an IPv6 address (with or without brackets),
 * or "*." and a name: lower-cased into out (HOST_MAX + 1 bytes). */
static bool normalise_host(const char *in, char *out)
{
    size_t len = strlen(in);
    if (len >= 2 && in[0] == '[' && in[len - 1] == ']') {
        in++;
        len -= 2;
    }
    if (len == 0 || len > HOST_MAX)
        return false;
    bool ipv6 = memchr(in, ':', len) != NULL;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || (ipv6 && c == ':') ||
                  (c == '*' && i == 0 && len > 2 && in[1] == '.');
        if (!ok)
            return false;
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[len] = '\0';
    return true;
}

static bool join_hosts(struct webhook_config *c, char *err, size_t errlen)
{
    size_t len = 1;
    for (size_t i = 0; i < c->n_hosts; i++)
        len += strlen(c->hosts[i]) + 2;
    c->allowed = calloc(1, len);
    if (c->allowed == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < c->n_hosts; i++) {
        if (i > 0)
            strcat(c->allowed, ", ");
        strcat(c->allowed, c->hosts[i]);
    }
    return true;
}

static bool read_hosts(const th_host_api *api, const th_settings *s, struct webhook_config *c,
                       char *err, size_t errlen)
{
    int n = api->setting_list_len(s, "allow_hosts");
    if (n < 0) {
        snprintf(err, errlen, "cannot read setting allow_hosts");
        return false;
    }
    c->hosts = calloc((size_t)n + 1, sizeof *c->hosts);
    if (c->hosts == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (int i = 0; i < n; i++) {
        const char *entry;
        char host[HOST_MAX + 1];
        if (api->setting_list_string(s, "allow_hosts", i, &entry) != TH_OK) {
            snprintf(err, errlen, "cannot read setting allow_hosts[%d]", i);
            return false;
        }
        if (!normalise_host(entry, host)) {
            snprintf(err, errlen,
                     "setting allow_hosts[%d] must be a host name, an IP address or "
                     "\"*.domain\" (no scheme, port or path), found \"%.100s\"",
                     i, entry);
            return false;
        }
        if ((c->hosts[i] = strdup(host)) == NULL) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        c->n_hosts++;
    }
    return join_hosts(c, err, errlen);
}

bool webhook_header_valid(const char *name, size_t name_len, const char *value)
{
    static const char token_extra[] = "!#$%&'*+-.^_`|~";
    if (name_len == 0)
        return false;
    for (size_t i = 0; i < name_len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              (ch != '\0' && strchr(token_extra, ch) != NULL)))
            return false;
    }
    for (const char *p = value; *p != '\0'; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

static bool read_headers(const th_host_api *api, const th_settings *s, struct webhook_config *c,
                         char *err, size_t errlen)
{
    int n = api->setting_list_len(s, "headers");
    if (n < 0) {
        snprintf(err, errlen, "cannot read setting headers");
        return false;
    }
    c->headers = calloc((size_t)n + 1, sizeof *c->headers);
    if (c->headers == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (int i = 0; i < n; i++) {
        const char *h;
        if (api->setting_list_string(s, "headers", i, &h) != TH_OK) {
            snprintf(err, errlen, "cannot read setting headers[%d]", i);
            return false;
        }
        const char *colon = strchr(h, ':');
        if (colon == NULL || !webhook_header_valid(h, (size_t)(colon - h), colon + 1)) {
            snprintf(err, errlen,
                     "setting headers[%d] must be \"Name: value\" (a name of letters, digits and "
                     "!#$%%&'*+-.^_`|~, a value without control characters), found \"%.100s\"",
                     i, h);
            return false;
        }
        c->headers[c->n_headers++] = h;
    }
    return true;
}

bool webhook_config_read(const th_host_api *api, const th_settings *s, struct webhook_config *c,
                         char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    int64_t body = 0;
    bool ok =
        read_hosts(api, s, c, err, errlen) && read_headers(api, s, c, err, errlen) &&
        read_int(api, s, "timeout_ms", 30000, 1, TIMEOUT_MAX_MS, &c->timeout_ms, err, errlen) &&
        read_int(api, s, "connect_timeout_ms", 10000, 1, TIMEOUT_MAX_MS, &c->connect_timeout_ms,
                 err, errlen) &&
        read_int(api, s, "max_body_bytes", 4096, 0, BODY_MAX_BYTES, &body, err, errlen) &&
        read_string(api, s, "user_agent", "taskhost-webhook/" PLUGIN_VERSION, &c->user_agent, err,
                    errlen) &&
        read_string(api, s, "proxy", "", &c->proxy, err, errlen);
    if (!ok) {
        webhook_config_free(c);
        return false;
    }
    c->max_body_bytes = (size_t)body;
    return true;
}

void webhook_config_free(struct webhook_config *c)
{
    for (size_t i = 0; i < c->n_hosts; i++)
        free(c->hosts[i]);
    free(c->hosts);
    free(c->headers);
    free(c->allowed);
    memset(c, 0, sizeof *c);
}

bool webhook_host_allowed(const struct webhook_config *c, const char *host)
{
    char h[HOST_MAX + 1];
    if (!normalise_host(host, h) || h[0] == '*')
        return false;
    size_t len = strlen(h);
    if (len > 0 && h[len - 1] == '.') /* "example.com." is example.com */
        h[--len] = '\0';
    for (size_t i = 0; i < c->n_hosts; i++) {
        const char *a = c->hosts[i];
        if (a[0] == '*') {
            size_t suffix = strlen(a) - 1; /* ".example.org" */
            if (len > suffix && strcmp(h + len - suffix, a + 1) == 0)
                return true;
        } else if (strcmp(h, a) == 0) {
            return true;
        }
    }
    return false;
}
