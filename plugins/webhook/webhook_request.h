/*
 * One webhook task's payload, checked against the settings:
 *
 *   {"url": "https://hooks.example.com/x",  required; http or https, to an
 *                                           allowed host
 *    "method": "POST",                      GET, HEAD, POST (default), PUT,
 *                                           PATCH or DELETE
 *    "headers": {"X-Token": "abc"},         optional; string values
 *    "body": "text" or {"a": 1},            optional; an object is sent as
 *                                           JSON (Content-Type
 *                                           application/json), a string as is
 *                                           (default Content-Type text/plain)
 *    "timeout_ms": 5000}                    optional; at most the setting
 *
 * Any other field is refused, so that a misspelled one is noticed.
 */
#ifndef TASKHOST_WEBHOOK_REQUEST_H
#define TASKHOST_WEBHOOK_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "webhook_config.h"

struct webhook_request {
    CURLU *url;                 /* owned (curl_url_cleanup) */
    char *url_display;          /* owned: scheme://host[:port]/path, for messages (no query) */
    char method[8];             /* upper case */
    struct curl_slist *headers; /* owned (curl_slist_free_all) */
    const char *body;           /* into the payload or body_json; NULL: no body */
    size_t body_len;
    char *body_json; /* owned (bson_free): an object body rendered as JSON */
    int64_t timeout_ms;
};

/*
 * Parses the payload (BSON, len bytes). On failure writes a message for the
 * task's record into err and returns false (nothing to free); every failure
 * is permanent: the payload cannot change. On success the caller frees *r
 * with webhook_request_free.
 */
bool webhook_request_parse(const struct webhook_config *c, const uint8_t *payload, size_t len,
                           struct webhook_request *r, char *err, size_t errlen);
void webhook_request_free(struct webhook_request *r);

#endif
