#include "webhook_request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bson/bson.h>

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", NULL};

/* The fields as found, before they are checked together. */
struct fields {
    bson_iter_t url, method, headers, body, timeout;
    bool has_url, has_method, has_headers, has_body, has_timeout;
};

static const char *type_name(const bson_iter_t *it)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_UTF8: return "a string";
    case BSON_TYPE_BOOL: return "a boolean";
    case BSON_TYPE_DOCUMENT: return "an object";
    case BSON_TYPE_ARRAY: return "an array";
    case BSON_TYPE_NULL: return "null";
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64: return "an integer";
    case BSON_TYPE_DOUBLE: return "a number";
    default: return "a value of another type";
    }
}

/* The string at it, or NULL when it is none or holds a NUL. */
static const char *string_of(const bson_iter_t *it)
{
    uint32_t len;
    if (!BSON_ITER_HOLDS_UTF8(it))
        return NULL;
    const char *s = bson_iter_utf8(it, &len);
    return strlen(s) == len ? s : NULL;
}

static bool collect(const bson_t *doc, struct fields *f, char *err, size_t errlen)
{
    bson_iter_t it;
    if (!bson_iter_init(&it, doc)) {
        snprintf(err, errlen, "webhook: the payload is not a BSON document");
        return false;
    }
    struct {
        const char *key;
        bson_iter_t *it;
        bool *seen;
    } known[] = {{"url", &f->url, &f->has_url},
                 {"method", &f->method, &f->has_method},
                 {"headers", &f->headers, &f->has_headers},
                 {"body", &f->body, &f->has_body},
                 {"timeout_ms", &f->timeout, &f->has_timeout}};
    while (bson_iter_next(&it)) {
        const char *key = bson_iter_key(&it);
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(key, known[i].key) != 0)
            i++;
        if (i == sizeof known / sizeof known[0]) {
            snprintf(err, errlen,
                     "webhook: unknown payload field \"%.100s\" (expected url, method, headers, "
                     "body, timeout_ms)",
                     key);
            return false;
        }
        *known[i].it = it;
        *known[i].seen = true;
    }
    return true;
}

/* scheme://host[:port]/path of the parsed URL (no user, query or fragment). */
static char *display_url(CURLU *u)
{
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    size_t len = 16 + strlen(scheme ? scheme : "") + strlen(host ? host : "") +
                 strlen(port ? port : "") + strlen(path ? path : "");
    char *out = malloc(len);
    if (out != NULL)
        snprintf(out, len, "%s://%s%s%s%s", scheme ? scheme : "", host ? host : "", port ? ":" : "",
                 port ? port : "", path ? path : "");
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    return out;
}

/* Parses the URL and checks its scheme and host. */
static bool parse_url(const struct webhook_config *c, const struct fields *f,
                      struct webhook_request *r, char *err, size_t errlen)
{
    const char *url = f->has_url ? string_of(&f->url) : NULL;
    if (url == NULL) {
        snprintf(err, errlen, "webhook: the payload needs a string field \"url\"%s%s",
                 f->has_url ? ", not " : "", f->has_url ? type_name(&f->url) : "");
        return false;
    }
    char *scheme = NULL, *host = NULL;
    r->url = curl_url();
    CURLUcode rc = r->url ? curl_url_set(r->url, CURLUPART_URL, url, 0) : CURLUE_OUT_OF_MEMORY;
    if (rc == CURLUE_OK)
        rc = curl_url_get(r->url, CURLUPART_SCHEME, &scheme, 0);
    bool web = rc == CURLUE_OK && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
    if (web)
        rc = curl_url_get(r->url, CURLUPART_HOST, &host, 0);
    bool ok = false;
    if (rc != CURLUE_OK)
        snprintf(err, errlen, "webhook: payload field \"url\" is not a valid URL (%s): \"%.200s\"",
                 curl_url_strerror(rc), url);
    else if (!web)
        snprintf(err, errlen, "webhook: only http and https URLs are allowed, not %.20s", scheme);
    else if (!webhook_host_allowed(c, host))
        snprintf(err, errlen, "webhook: host %.200s is not allowed (allow_hosts: %.500s)", host,
                 c->n_hosts > 0 ? c->allowed
                                : "none; add hosts to the setting "
                                  "plugins.settings.webhook.allow_hosts");
    else
        ok = (r->url_display = display_url(r->url)) != NULL;
    curl_free(scheme);
    curl_free(host);
    return ok;
}

static bool parse_method(const struct fields *f, struct webhook_request *r, char *err,
                         size_t errlen)
{
    const char *m = f->has_method ? string_of(&f->method) : "POST";
    for (int i = 0; m != NULL && methods[i] != NULL; i++) {
        if (strcasecmp(m, methods[i]) == 0) {
            strcpy(r->method, methods[i]);
            return true;
        }
    }
    if (m == NULL)
        snprintf(err, errlen, "webhook: payload field \"method\" must be a string, not %s",
                 type_name(&f->method));
    else
        snprintf(err, errlen,
                 "webhook: payload field \"method\" must be GET, HEAD, POST, PUT, PATCH or "
                 "DELETE, found \"%.20s\"",
                 m);
    return false;
}

static bool parse_body(const struct fields *f, struct webhook_request *r, char *err, size_t errlen)
{
    if (!f->has_body)
        return true;
    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0) {
        snprintf(err, errlen, "webhook: a %s request has no body: remove \"body\" or use POST",
                 r->method);
        return false;
    }
    if (BSON_ITER_HOLDS_UTF8(&f->body)) {
        uint32_t len;
        r->body = bson_iter_utf8(&f->body, &len);
        r->body_len = len;
        return true;
    }
    bson_t sub;
    const uint8_t *data;
    uint32_t len;
    if (BSON_ITER_HOLDS_DOCUMENT(&f->body)) {
        bson_iter_document(&f->body, &len, &data);
        if (bson_init_static(&sub, data, len)) {
            size_t json_len;
            r->body_json = bson_as_relaxed_extended_json(&sub, &json_len);
            r->body = r->body_json;
            r->body_len = json_len;
            return r->body_json != NULL;
        }
    }
    snprintf(err, errlen, "webhook: payload field \"body\" must be a string or an object, not %s",
             type_name(&f->body));
    return false;
}

static bool parse_timeout(const struct webhook_config *c, const struct fields *f,
                          struct webhook_request *r, char *err, size_t errlen)
{
    r->timeout_ms = c->timeout_ms;
    if (!f->has_timeout)
        return true;
    const bson_iter_t *it = &f->timeout;
    double d = BSON_ITER_HOLDS_DOUBLE(it) ? bson_iter_double(it) : 0;
    if (!BSON_ITER_HOLDS_INT32(it) && !BSON_ITER_HOLDS_INT64(it) &&
        !(BSON_ITER_HOLDS_DOUBLE(it) && d >= 1 && d <= 1e15 && d == (double)(int64_t)d)) {
        snprintf(err, errlen,
                 "webhook: payload field \"timeout_ms\" must be a whole number of milliseconds, "
                 "not %s",
                 type_name(it));
        return false;
    }
    int64_t ms = BSON_ITER_HOLDS_DOUBLE(it) ? (int64_t)d : bson_iter_as_int64(it);
    if (ms < 1 || ms > c->timeout_ms) {
        snprintf(err, errlen,
                 "webhook: payload field \"timeout_ms\" must be between 1 and %" PRId64
                 " (the setting timeout_ms), found %" PRId64,
                 c->timeout_ms, ms);
        return false;
    }
    r->timeout_ms = ms;
    return true;
}

/* Appends "name: value" ("name;" for an empty value, which curl would
 * otherwise take as "remove this header"). */
static bool add_header(struct webhook_request *r, const char *name, size_t name_len,
                       const char *value)
{
    while (*value == ' ' || *value == '\t')
        value++;
    size_t len = name_len + strlen(value) + 3;
    char *line = malloc(len);
    if (line == NULL)
        return false;
    if (*value == '\0')
        snprintf(line, len, "%.*s;", (int)name_len, name);
    else
        snprintf(line, len, "%.*s: %s", (int)name_len, name, value);
    struct curl_slist *l = curl_slist_append(r->headers, line);
    free(line);
    if (l != NULL)
        r->headers = l;
    return l != NULL;
}

/* True when the payload's headers object has `name` (any case). */
static bool payload_has_header(const struct fields *f, const char *name, size_t name_len)
{
    bson_iter_t it;
    if (!f->has_headers || !bson_iter_recurse(&f->headers, &it))
        return false;
    while (bson_iter_next(&it))
        if (strlen(bson_iter_key(&it)) == name_len &&
            strncasecmp(bson_iter_key(&it), name, name_len) == 0)
            return true;
    return false;
}

static bool add_payload_headers(const struct fields *f, struct webhook_request *r, char *err,
                                size_t errlen)
{
    bson_iter_t it;
    if (!f->has_headers)
        return true;
    if (!BSON_ITER_HOLDS_DOCUMENT(&f->headers) || !bson_iter_recurse(&f->headers, &it)) {
        snprintf(err, errlen,
                 "webhook: payload field \"headers\" must be an object of strings, not %s",
                 type_name(&f->headers));
        return false;
    }
    while (bson_iter_next(&it)) {
        const char *name = bson_iter_key(&it), *value = string_of(&it);
        if (value == NULL || !webhook_header_valid(name, strlen(name), value)) {
            snprintf(err, errlen,
                     "webhook: header \"%.100s\" must have a name of letters, digits and "
                     "!#$%%&'*+-.^_`|~ and a string value without control characters",
                     name);
            return false;
        }
        if (!add_header(r, name, strlen(name), value))
            goto oom;
    }
    return true;
oom:
    snprintf(err, errlen, "webhook: out of memory");
    return false;
}

/* The settings' headers the payload does not replace, the payload's, a
 * Content-Type for a body, and no "Expect: 100-continue". */
static bool build_headers(const struct webhook_config *c, const struct fields *f,
                          struct webhook_request *r, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->n_headers; i++) {
        const char *colon = strchr(c->headers[i], ':');
        size_t name_len = (size_t)(colon - c->headers[i]);
        if (!payload_has_header(f, c->headers[i], name_len) &&
            !add_header(r, c->headers[i], name_len, colon + 1))
            goto oom;
    }
    if (!add_payload_headers(f, r, err, errlen))
        return false;
    if (r->body != NULL && !payload_has_header(f, "Content-Type", 12) &&
        !add_header(r, "Content-Type", 12,
                    r->body_json != NULL ? "application/json" : "text/plain; charset=utf-8"))
        goto oom;
    struct curl_slist *l = curl_slist_append(r->headers, "Expect:");
    if (l == NULL)
        goto oom;
    r->headers = l;
    return true;
oom:
    snprintf(err, errlen, "webhook: out of memory");
    return false;
}

bool webhook_request_parse(const struct webhook_config *c, const uint8_t *payload, size_t len,
                           struct webhook_request *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    err[0] = '\0';
    struct fields f;
    memset(&f, 0, sizeof f);
    bson_t doc;
    bool ok = bson_init_static(&doc, payload, len) && collect(&doc, &f, err, errlen) &&
              parse_url(c, &f, r, err, errlen) && parse_method(&f, r, err, errlen) &&
              parse_body(&f, r, err, errlen) && parse_timeout(c, &f, r, err, errlen) &&
              build_headers(c, &f, r, err, errlen);
    if (!ok) {
        if (err[0] == '\0')
            snprintf(err, errlen, "webhook: the payload cannot be read");
        webhook_request_free(r);
    }
    return ok;
}

void webhook_request_free(struct webhook_request *r)
{
    curl_url_cleanup(r->url);
    free(r->url_display);
    curl_slist_free_all(r->headers);
    bson_free(r->body_json);
    memset(r, 0, sizeof *r);
}
