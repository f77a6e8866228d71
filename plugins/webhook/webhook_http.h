/*
 * Performs one request with its own libcurl easy handle: no redirects
 * followed, http and https only, no signals (safe with threads), the
 * configured proxy (none by default, whatever the environment says), the
 * request's timeout; the start of the body kept (reading stops after
 * max_body_bytes); heartbeats while it runs; aborted when the host cancels
 * the task.
 *
 * Thread-safe: called from several run() threads at once, after
 * curl_global_init.
 */
#ifndef TASKHOST_WEBHOOK_HTTP_H
#define TASKHOST_WEBHOOK_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>
#include <taskhost/plugin.h>

#include "webhook_config.h"
#include "webhook_request.h"

#define WEBHOOK_HEADER_MAX 512 /* bytes of a recorded response header value */

struct webhook_response {
    CURLcode code;                         /* of curl_easy_perform */
    char error[CURL_ERROR_SIZE];           /* curl's details when code is not CURLE_OK */
    long status;                           /* HTTP status, 0 when none came */
    char content_type[WEBHOOK_HEADER_MAX]; /* "" when absent */
    char location[WEBHOOK_HEADER_MAX];
    char retry_after[64];
    char *body; /* owned: the first body_len bytes of the body */
    size_t body_len;
    uint64_t body_received; /* bytes of body read */
    bool body_cut;          /* reading stopped at max_body_bytes */
    th_cancel_reason cancelled;
    int64_t duration_ms;
};

/*
 * Performs r and fills *resp. Returns false, with a message in err, only
 * when the request could not be prepared (no memory); network and HTTP
 * errors are in *resp. Free *resp with webhook_response_free in both cases.
 */
bool webhook_http_perform(const struct webhook_config *c, const struct webhook_request *r,
                          const th_host_api *api, th_task *task, struct webhook_response *resp,
                          char *err, size_t errlen);
void webhook_response_free(struct webhook_response *resp);

#endif
