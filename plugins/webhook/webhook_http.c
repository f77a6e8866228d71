#include "webhook_http.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HEARTBEAT_MS 1000

/* What the callbacks share. */
struct transfer {
    const th_host_api *api;
    th_task *task;
    struct webhook_response *resp;
    size_t max_body;
    int64_t start, next_heartbeat;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct transfer *t = arg;
    struct webhook_response *resp = t->resp;
    size_t n = size * nmemb;
    size_t room = t->max_body - resp->body_len;
    size_t take = n < room ? n : room;
    memcpy(resp->body + resp->body_len, data, take);
    resp->body_len += take;
    resp->body_received += n;
    if (n > room) { /* enough: stop reading (the transfer ends with a write error) */
        resp->body_cut = true;
        return 0;
    }
    return n;
}

/* Copies the value of a header line (after the colon, trimmed) into out. */
static void header_value(const char *value, size_t len, char *out, size_t out_len)
{
    while (len > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        len--;
    }
    while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' ' ||
                       value[len - 1] == '\t'))
        len--;
    if (len >= out_len)
        len = out_len - 1;
    memcpy(out, value, len);
    out[len] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nitems, void *arg)
{
    struct webhook_response *resp = ((struct transfer *)arg)->resp;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) { /* a new response (after 1xx) */
        resp->content_type[0] = resp->location[0] = resp->retry_after[0] = '\0';
        return n;
    }
    static const struct {
        const char *name;
        size_t off, len;
    } wanted[] = {
        {"content-type", offsetof(struct webhook_response, content_type), WEBHOOK_HEADER_MAX},
        {"location", offsetof(struct webhook_response, location), WEBHOOK_HEADER_MAX},
        {"retry-after", offsetof(struct webhook_response, retry_after), 64},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        size_t name_len = strlen(wanted[i].name);
        if (n > name_len && line[name_len] == ':' &&
            strncasecmp(line, wanted[i].name, name_len) == 0)
            header_value(line + name_len + 1, n - name_len - 1, (char *)resp + wanted[i].off,
                         wanted[i].len);
    }
    return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    struct transfer *t = arg;
    th_cancel_reason why = t->api->cancelled(t->task);
    if (why != TH_CANCEL_NONE) {
        t->resp->cancelled = why;
        return 1; /* abort */
    }
    int64_t now = now_ms();
    if (now >= t->next_heartbeat) {
        t->next_heartbeat = now + HEARTBEAT_MS;
        char note[160];
        snprintf(note, sizeof note,
                 "waiting for %" PRId64 " s; sent %" PRId64 " of %" PRId64 " bytes, received "
                 "%" PRId64,
                 (now - t->start) / 1000, (int64_t)ulnow, (int64_t)ultotal, (int64_t)dlnow);
        t->api->heartbeat(t->task, -1.0, note);
    }
    return 0;
}

/* The method and the body. */
static CURLcode set_method(CURL *h, const struct webhook_request *r)
{
    if (strcmp(r->method, "GET") == 0)
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (strcmp(r->method, "HEAD") == 0)
        return curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    CURLcode rc = CURLE_OK;
    if (strcmp(r->method, "POST") != 0)
        rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    if (rc == CURLE_OK && (r->body != NULL || strcmp(r->method, "DELETE") != 0)) {
        rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
    }
    return rc;
}

static CURLcode set_options(CURL *h, const struct webhook_config *c,
                            const struct webhook_request *r, struct transfer *t)
{
    int64_t connect = c->connect_timeout_ms < r->timeout_ms ? c->connect_timeout_ms : r->timeout_ms;
    CURLcode rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->resp->error);
#define SET(opt, val) rc = rc != CURLE_OK ? rc : curl_easy_setopt(h, opt, val)
    SET(CURLOPT_CURLU, r->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)connect);
    SET(CURLOPT_USERAGENT, c->user_agent);
    SET(CURLOPT_PROXY, c->proxy);
    SET(CURLOPT_HTTPHEADER, r->headers);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, t);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, t);
#undef SET
    return rc != CURLE_OK ? rc : set_method(h, r);
}

bool webhook_http_perform(const struct webhook_config *c, const struct webhook_request *r,
                          const th_host_api *api, th_task *task, struct webhook_response *resp,
                          char *err, size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    resp->body = malloc(c->max_body_bytes + 1);
    CURL *h = curl_easy_init();
    if (resp->body == NULL || h == NULL) {
        curl_easy_cleanup(h);
        snprintf(err, errlen, "webhook: out of memory");
        return false;
    }
    struct transfer t = {.api = api, .task = task, .resp = resp, .max_body = c->max_body_bytes};
    t.start = now_ms();
    t.next_heartbeat = t.start + HEARTBEAT_MS;
    CURLcode rc = set_options(h, c, r, &t);
    if (rc != CURLE_OK) {
        curl_easy_cleanup(h);
        snprintf(err, errlen, "webhook: cannot set up the request: %s", curl_easy_strerror(rc));
        return false;
    }
    resp->code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->duration_ms = now_ms() - t.start;
    curl_easy_cleanup(h);
    return true;
}

void webhook_response_free(struct webhook_response *resp)
{
    free(resp->body);
    resp->body = NULL;
}
