/*
 * The settings of the webhook plugin (plugins.settings.webhook), read and
 * checked once in init and read-only afterwards, so every run() may share
 * them.
 *
 *   allow_hosts = ("hooks.example.com", "*.example.org", "127.0.0.1");
 *       the hosts a payload's URL may name: exact names (any case), IP
 *       addresses, or "*.domain" for every subdomain of domain (not domain
 *       itself). Empty (the default): every request is refused.
 *   timeout_ms = 30000;          longest whole request; a payload may ask for
 *                                less (1 .. 3600000)
 *   connect_timeout_ms = 10000;  longest connection set-up (1 .. 3600000)
 *   max_body_bytes = 4096;       bytes of the response body kept as
 *                                body_start; reading stops there (0 .. 262144)
 *   headers = ("X-Source: taskhost");  sent with every request unless the
 *                                payload sets the same header
 *   user_agent = "taskhost-webhook/VERSION";
 *   proxy = "";                  proxy URL; "" (default): connect directly,
 *                                whatever http_proxy & co. say
 */
#ifndef TASKHOST_WEBHOOK_CONFIG_H
#define TASKHOST_WEBHOOK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <taskhost/plugin.h>

struct webhook_config {
    char **hosts; /* owned: lower-case names, without IPv6 brackets */
    size_t n_hosts;
    const char **headers; /* owned array of the host's strings, "Name: value" */
    size_t n_headers;
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
    size_t max_body_bytes;
    const char *user_agent; /* the host's string, or a literal */
    const char *proxy;      /* the host's string, or "" */
    char *allowed;          /* owned: the hosts, comma-separated, for messages */
};

/*
 * Reads and checks every setting. On failure writes a message naming the
 * setting into err and returns false (nothing to free). On success the
 * caller frees *c with webhook_config_free.
 */
bool webhook_config_read(const th_host_api *api, const th_settings *s, struct webhook_config *c,
                         char *err, size_t errlen);
void webhook_config_free(struct webhook_config *c);

/* True when host (as a URL gives it; IPv6 in brackets or not) is allowed. */
bool webhook_host_allowed(const struct webhook_config *c, const char *host);

/* True when "Name: value" is a well-formed header line: a token, a colon,
 * and a value without control characters other than tab. */
bool webhook_header_valid(const char *name, size_t name_len, const char *value);

#endif
