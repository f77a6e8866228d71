/*
 * wordcount: an example taskhost plugin, built outside the taskhost tree
 * against the installed SDK (package taskhost-dev).
 *
 * Task type "wordcount": the payload {"text": "two words\nand more"} gives
 * the result {"bytes": 18, "lines": 2, "words": 4}. Words are runs of
 * characters other than space, tab, CR and LF; lines count line feeds, plus
 * one when the text does not end with one.
 *
 * Setting (plugins.settings.wordcount in the host's configuration):
 *   max_bytes  longest text accepted, in bytes (default 1048576); a longer
 *              one fails the task for good.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <bson/bson.h>
#include <taskhost/plugin.h>

#define CANCEL_CHECK_BYTES 65536 /* text scanned between two checks of cancelled() */

struct wordcount {
    const th_host_api *api;
    int64_t max_bytes;
};

struct counts {
    int64_t bytes, lines, words;
};

static int wordcount_init(const th_host_api *api, const th_settings *settings, void **state,
                          char *err, size_t errlen)
{
    struct wordcount *wc = malloc(sizeof *wc);
    if (wc == NULL) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    wc->api = api;
    if (api->setting_int(settings, "max_bytes", 1048576, &wc->max_bytes) != TH_OK) {
        snprintf(err, errlen, "cannot read setting max_bytes"); /* the host adds file:line */
        free(wc);
        return 1;
    }
    if (wc->max_bytes < 1) {
        snprintf(err, errlen, "setting max_bytes must be at least 1, not %" PRId64, wc->max_bytes);
        free(wc);
        return 1;
    }
    *state = wc;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Counts text[0..len); returns the cancel reason when the task was cancelled
 * on the way, else TH_CANCEL_NONE. */
static th_cancel_reason count(const struct wordcount *wc, const th_task *task, const char *text,
                              size_t len, struct counts *c)
{
    int in_word = 0;
    for (size_t i = 0; i < len; i++) {
        if (i % CANCEL_CHECK_BYTES == CANCEL_CHECK_BYTES - 1) {
            th_cancel_reason why = wc->api->cancelled(task);
            if (why != TH_CANCEL_NONE)
                return why;
        }
        if (text[i] == '\n')
            c->lines++;
        if (is_blank(text[i]))
            in_word = 0;
        else if (!in_word) {
            in_word = 1;
            c->words++;
        }
    }
    c->bytes = (int64_t)len;
    if (len > 0 && text[len - 1] != '\n')
        c->lines++;
    return TH_CANCEL_NONE;
}

static th_status wordcount_run(void *state, th_task *task)
{
    const struct wordcount *wc = state;
    const th_host_api *api = wc->api;
    size_t len;
    const uint8_t *data = api->task_payload_bson(task, &len);
    bson_t payload;
    bson_iter_t it;
    if (!bson_init_static(&payload, data, len) || !bson_iter_init_find(&it, &payload, "text") ||
        !BSON_ITER_HOLDS_UTF8(&it)) {
        api->fail(task, "wordcount: the payload needs a string field \"text\"");
        return TH_FAIL; /* retrying cannot fix the payload */
    }
    uint32_t text_len;
    const char *text = bson_iter_utf8(&it, &text_len);
    if ((int64_t)text_len > wc->max_bytes) {
        api->fail(task,
                  "wordcount: the text has %" PRIu32 " bytes, more than max_bytes (%" PRId64 ")",
                  text_len, wc->max_bytes);
        return TH_FAIL;
    }

    struct counts c = {0, 0, 0};
    th_cancel_reason why = count(wc, task, text, text_len, &c);
    if (why != TH_CANCEL_NONE) {
        api->fail(task, "wordcount: cancelled (reason %d)", (int)why);
        return TH_RETRY; /* the host decides what the attempt counts as */
    }

    bson_t *result = BCON_NEW("bytes", BCON_INT64(c.bytes), "lines", BCON_INT64(c.lines), "words",
                              BCON_INT64(c.words));
    int rc = api->set_result_bson(task, bson_get_data(result), result->len);
    bson_destroy(result);
    if (rc != TH_OK) {
        api->fail(task, "wordcount: the host refused the result (%d)", rc);
        return TH_FAIL;
    }
    api->log(task, TH_LOG_DEBUG, "counted %" PRId64 " words", c.words);
    return TH_DONE;
}

static void wordcount_shutdown(void *state)
{
    free(state);
}

static const char *const wordcount_types[] = {"wordcount", NULL};

static const th_plugin wordcount_plugin = {
    TH_PLUGIN_HEADER,
    .name = "wordcount",
#ifdef WORDCOUNT_VERSION
    .version = WORDCOUNT_VERSION,
#else
    .version = "1.0.0",
#endif
    .task_types = wordcount_types,
    .init = wordcount_init,
    .run = wordcount_run,
    .shutdown = wordcount_shutdown,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &wordcount_plugin;
}
