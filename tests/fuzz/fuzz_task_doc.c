/*
 * libFuzzer target: decoding a claimed task document (task_doc_decode) from arbitrary bytes,
 * then what a worker does with it: the th_task a plugin gets (task_init) and the payload as
 * JSON (api->task_payload_json).
 *
 * The input is taken as one BSON document. When its length prefix does not match the input's
 * size the prefix is corrected on a copy (so that mutations which change the size still reach
 * the decoder). Documents that bson_validate rejects are skipped: a server never returns them.
 *
 * Checks, besides what ASan and UBSan catch: a decoded task has a type and a payload, its
 * counters lie in the documented ranges unless a problem is reported, and the problem and id
 * texts are terminated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "plugin/host_api.h"
#include "plugin/task.h"
#include "store/task_doc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FILE *devnull = fopen("/dev/null", "w");
    log_configure(LOG_DEBUG, LOG_FORMAT_TEXT, devnull);
    return 0;
}

static _Noreturn void broken(const char *what, const struct task_doc *d)
{
    fprintf(stderr, "fuzz_task_doc: %s (id %s, problem '%s')\n", what, d->id_str, d->problem);
    abort();
}

static void check(const struct task_doc *d)
{
    if (d->type == NULL || d->payload == NULL)
        broken("a decoded task without type or payload", d);
    if (memchr(d->problem, '\0', sizeof d->problem) == NULL ||
        memchr(d->id_str, '\0', sizeof d->id_str) == NULL ||
        memchr(d->state, '\0', sizeof d->state) == NULL ||
        memchr(d->lease_owner, '\0', sizeof d->lease_owner) == NULL)
        broken("an unterminated text", d);
    if (d->problem[0] != '\0')
        return;
    if (d->attempts < 0 || d->host_deaths < 0)
        broken("negative counters without a problem", d);
    if (d->max_retries != -1 && (d->max_retries < 1 || d->max_retries > TD_MAX_RETRIES_LIMIT))
        broken("max_retries out of range without a problem", d);
}

/* What a worker does with a good document: the plugin's view of it. */
static void run_view(const struct task_doc *d)
{
    struct th_task t;
    task_init(&t, &d->id, d->type, d->attempts + 1, d->max_retries, d->payload);
    const th_host_api *api = host_api();
    const char *json = api->task_payload_json(&t);
    if (json == NULL || api->task_id(&t) == NULL || api->task_type(&t) == NULL)
        broken("the plugin API returned NULL", d);
    task_destroy(&t);
}

static void decode(const bson_t *doc)
{
    size_t offset;
    if (!bson_validate(doc, BSON_VALIDATE_NONE, &offset))
        return;
    struct task_doc d;
    if (task_doc_decode(doc, &d)) {
        check(&d);
        if (d.problem[0] == '\0')
            run_view(&d);
    }
    task_doc_destroy(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5 || size > INT32_MAX)
        return 0;
    bson_t doc;
    if (bson_init_static(&doc, data, size)) {
        decode(&doc);
        return 0;
    }
    uint8_t *copy = malloc(size);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    uint32_t len = (uint32_t)size; /* BSON lengths are little-endian */
    copy[0] = (uint8_t)len;
    copy[1] = (uint8_t)(len >> 8);
    copy[2] = (uint8_t)(len >> 16);
    copy[3] = (uint8_t)(len >> 24);
    if (bson_init_static(&doc, copy, size))
        decode(&doc);
    free(copy);
    return 0;
}
