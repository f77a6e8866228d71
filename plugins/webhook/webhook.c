/*
 * webhook: runs task type "webhook" by making the HTTP request its payload
 * describes (see webhook_request.h) to a host its settings allow (see
 * webhook_config.h), with libcurl (see webhook_http.h).
 *
 * Outcomes:
 *   2xx, 3xx (redirects are not followed)  TH_DONE, result
 *       {"status": 200, "headers": {"content-type": "...", "location": "..."},
 *        "body_start": "...", "body_bytes": N, "body_truncated": false,
 *        "duration_ms": N}
 *   408, 429, 5xx, timeouts, connection and TLS errors   TH_RETRY
 *   other 4xx, a bad payload, a host not allowed          TH_FAIL
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>
#include <curl/curl.h>
#include <taskhost/plugin.h>

#include "webhook_config.h"
#include "webhook_http.h"
#include "webhook_request.h"
#include "webhook_text.h"

#define MESSAGE_BODY 300 /* bytes of a response body quoted in a failure message */

struct webhook_state {
    const th_host_api *api;
    struct webhook_config config;
};

static const char *reason_name(th_cancel_reason reason)
{
    switch (reason) {
    case TH_CANCEL_LEASE_LOST: return "lease lost";
    case TH_CANCEL_SHUTDOWN: return "host shutting down";
    case TH_CANCEL_TIMEOUT: return "timed out";
    case TH_CANCEL_REQUESTED: return "cancel requested";
    default: return "unknown reason";
    }
}

/* curl_global_init is not thread-safe in every libcurl build: init runs on
 * the host's main thread before any run(), so it is called there, once. */
static int webhook_init(const th_host_api *api, const th_settings *settings, void **state,
                        char *err, size_t errlen)
{
    struct webhook_state *st = calloc(1, sizeof *st);
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    st->api = api;
    if (!webhook_config_read(api, settings, &st->config, err, errlen)) {
        free(st);
        return -1;
    }
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "libcurl cannot be initialised: %s", curl_easy_strerror(rc));
        webhook_config_free(&st->config);
        free(st);
        return -1;
    }
    if (st->config.n_hosts > 0)
        api->log(NULL, TH_LOG_INFO, "webhook: requests allowed to %s (%s)", st->config.allowed,
                 curl_version());
    *state = st;
    return 0;
}

/* "; body: ..." with the start of the response body, or "". */
static void body_excerpt(const struct webhook_response *resp, char *buf, size_t len)
{
    buf[0] = '\0';
    if (resp->body_len == 0)
        return;
    size_t n = resp->body_len < MESSAGE_BODY ? resp->body_len : MESSAGE_BODY;
    char *text = webhook_text(resp->body, n, n < resp->body_received);
    if (text != NULL)
        snprintf(buf, len, "; body: %s%s", text, n < resp->body_received ? "..." : "");
    free(text);
}

static bool append_headers(bson_t *doc, const struct webhook_response *resp)
{
    bson_t sub;
    if (!BSON_APPEND_DOCUMENT_BEGIN(doc, "headers", &sub))
        return false;
    char *ct = webhook_text(resp->content_type, strlen(resp->content_type), false);
    char *loc = webhook_text(resp->location, strlen(resp->location), false);
    bool ok = ct != NULL && loc != NULL &&
              (ct[0] == '\0' || BSON_APPEND_UTF8(&sub, "content-type", ct)) &&
              (loc[0] == '\0' || BSON_APPEND_UTF8(&sub, "location", loc));
    free(ct);
    free(loc);
    return bson_append_document_end(doc, &sub) && ok;
}

static th_status report_success(const struct webhook_state *st, th_task *task,
                                const struct webhook_response *resp)
{
    bson_t doc = BSON_INITIALIZER;
    char *body = webhook_text(resp->body, resp->body_len, resp->body_cut);
    bool ok = body != NULL && BSON_APPEND_INT32(&doc, "status", (int32_t)resp->status) &&
              append_headers(&doc, resp) && BSON_APPEND_UTF8(&doc, "body_start", body) &&
              BSON_APPEND_INT64(&doc, "body_bytes", (int64_t)resp->body_received) &&
              BSON_APPEND_BOOL(&doc, "body_truncated", resp->body_cut) &&
              BSON_APPEND_INT64(&doc, "duration_ms", resp->duration_ms);
    free(body);
    int rc = ok ? st->api->set_result_bson(task, bson_get_data(&doc), doc.len) : TH_EINVAL;
    bson_destroy(&doc);
    if (rc != TH_OK) {
        st->api->fail(task, "webhook: the host refused the result (%s)",
                      rc == TH_ETOOBIG ? "too big" : "invalid");
        return TH_RETRY;
    }
    return TH_DONE;
}

/* The request got an answer: done, retried or failed by its status. */
static th_status report_status(const struct webhook_state *st, th_task *task,
                               const struct webhook_request *r, const struct webhook_response *resp)
{
    long s = resp->status;
    if (s >= 200 && s < 400)
        return report_success(st, task, resp);
    char excerpt[MESSAGE_BODY * 3 + 64];
    char retry_after[100] = "";
    body_excerpt(resp, excerpt, sizeof excerpt);
    if (resp->retry_after[0] != '\0')
        snprintf(retry_after, sizeof retry_after, " (Retry-After: %.64s)", resp->retry_after);
    st->api->fail(task, "webhook: %s %s answered %ld%s%s", r->method, r->url_display, s,
                  retry_after, excerpt);
    bool permanent = s >= 400 && s < 500 && s != 408 && s != 429;
    return permanent ? TH_FAIL : TH_RETRY;
}

/* The request got no (complete) answer. Always retried. */
static th_status report_transfer_error(const struct webhook_state *st, th_task *task,
                                       const struct webhook_request *r,
                                       const struct webhook_response *resp)
{
    if (resp->cancelled != TH_CANCEL_NONE) {
        st->api->fail(task, "cancelled: %s (webhook: %s %s aborted)", reason_name(resp->cancelled),
                      r->method, r->url_display);
    } else if (resp->code == CURLE_OPERATION_TIMEDOUT) {
        st->api->fail(task, "webhook: %s %s timed out after %" PRId64 " ms (%s)", r->method,
                      r->url_display, r->timeout_ms, resp->error);
    } else {
        st->api->fail(task, "webhook: %s %s failed: %s%s%s", r->method, r->url_display,
                      curl_easy_strerror(resp->code), resp->error[0] ? ": " : "", resp->error);
    }
    return TH_RETRY;
}

static th_status webhook_run(void *state, th_task *task)
{
    const struct webhook_state *st = state;
    const th_host_api *api = st->api;
    char err[1000];
    size_t len = 0;
    const uint8_t *payload = api->task_payload_bson(task, &len);
    struct webhook_request r;
    if (!webhook_request_parse(&st->config, payload, len, &r, err, sizeof err)) {
        api->fail(task, "%s", err);
        return TH_FAIL;
    }
    struct webhook_response resp;
    th_status status;
    if (!webhook_http_perform(&st->config, &r, api, task, &resp, err, sizeof err)) {
        api->fail(task, "%s", err);
        status = TH_RETRY;
    } else if (resp.cancelled == TH_CANCEL_NONE &&
               (resp.code == CURLE_OK || (resp.code == CURLE_WRITE_ERROR && resp.body_cut))) {
        status = report_status(st, task, &r, &resp);
    } else {
        status = report_transfer_error(st, task, &r, &resp);
    }
    webhook_response_free(&resp);
    webhook_request_free(&r);
    return status;
}

static void webhook_shutdown(void *state)
{
    struct webhook_state *st = state;
    webhook_config_free(&st->config);
    free(st);
    curl_global_cleanup();
}

static const char *const webhook_types[] = {"webhook", NULL};

static const th_plugin webhook_plugin = {
    TH_PLUGIN_HEADER,
    .name = "webhook",
    .version = PLUGIN_VERSION,
    .task_types = webhook_types,
    .init = webhook_init,
    .run = webhook_run,
    .shutdown = webhook_shutdown,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &webhook_plugin;
}
