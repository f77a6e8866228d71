#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_db.h"
#include "cli/commands.h"
#include "cli/doc_view.h"
#include "cli/json_pretty.h"
#include "cli/timefmt.h"
#include "store/admin_common.h"
#include "store/task_doc.h"

static const char USAGE[] =
    "usage: taskhost show ID [common options]\n\n"
    "Shows one task: its fields one per line, times in UTC with their age,\n"
    "payload and result as indented JSON, each error as \"attempt N at TIME on host\n"
    "H (kind): message\", and the operator's retries. ID is the task's _id: 24 hex\n"
    "digits for an ObjectId; otherwise a number or a string (put it in double\n"
    "quotes to mean only the string). With --json, the document as relaxed\n"
    "extended JSON.\n\n"
    "common options:\n"
    "  -c, --config FILE   the configuration (default $TASKHOST_CONFIG, else\n"
    "                      /etc/taskhost/taskhost.cfg)\n"
    "      --uri URI       the MongoDB URI (instead of mongodb.uri)\n"
    "      --db NAME       the database (instead of mongodb.database)\n"
    "      --json          machine-readable output\n"
    "  -h, --help          this text\n\n"
    "exit status: 0 ok, 64 usage, 65 the ID matches several tasks, 66 no such task,\n"
    "69 MongoDB unreachable, 75 database error, 78 configuration.\n";

#define LABEL "%-17s "

/* The fields printed on their own, in this order; others follow as JSON. */
static const char *const SHOWN[] = {TD_ID,
                                    TD_TYPE,
                                    TD_STATE,
                                    TD_PRIORITY,
                                    TD_ATTEMPTS,
                                    TD_MAX_RETRIES,
                                    TD_HOST_DEATHS,
                                    TD_LAST_HOST,
                                    TD_UNIQUE_KEY,
                                    TD_FINISHED_KEY,
                                    TD_CANCEL_REQUESTED,
                                    TD_RUN_AT,
                                    TD_CREATED_AT,
                                    TD_CLAIMED_AT,
                                    TD_FINISHED_AT,
                                    TD_UPDATED_AT,
                                    TD_LEASE,
                                    TD_PROGRESS,
                                    TD_PAYLOAD,
                                    TD_RESULT,
                                    TD_ERRORS,
                                    TD_OPERATOR_RETRIES,
                                    NULL};

static void print_time(const char *label, int64_t t, int64_t now)
{
    char iso[40], rel[40];
    time_format_iso(t, iso, sizeof iso);
    time_format_relative(t, now, rel, sizeof rel);
    printf(LABEL "%s (%s)\n", label, iso, rel);
}

/* A scalar field: "label  value" with the value as JSON (strings unquoted). */
static void print_scalar(const bson_t *doc, const char *field, int64_t now)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, field))
        return;
    char label[40];
    snprintf(label, sizeof label, "%s:", field);
    if (BSON_ITER_HOLDS_DATE_TIME(&it)) {
        print_time(label, bson_iter_date_time(&it), now);
    } else if (BSON_ITER_HOLDS_UTF8(&it)) {
        printf(LABEL "%s\n", label, bson_iter_utf8(&it, NULL));
    } else {
        char *json = doc_json(doc, field);
        printf(LABEL "%s\n", label, json ? json : "?");
        bson_free(json);
    }
}

static void print_block(const bson_t *doc, const char *field)
{
    char *json = doc_json(doc, field);
    if (json == NULL)
        return;
    char *pretty = json_pretty(json, 2, 2);
    printf("%s:\n  %s\n", field, pretty ? pretty : json);
    free(pretty);
    bson_free(json);
}

static void print_lease(const bson_t *doc, int64_t now)
{
    const char *owner = doc_utf8(doc, TD_LEASE_OWNER);
    int64_t exp;
    if (!bson_has_field(doc, TD_LEASE))
        return;
    char rel[40] = "?";
    if (doc_date(doc, TD_LEASE_EXPIRES, &exp))
        time_format_relative(exp, now, rel, sizeof rel);
    printf(LABEL "held by host %s, expires %s%s\n", "lease:", owner ? owner : "?", rel,
           doc_date(doc, TD_LEASE_EXPIRES, &exp) && exp < now ? " (expired: its host is gone?)"
                                                              : "");
}

static void print_progress(const bson_t *doc)
{
    bson_iter_t it, f;
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, "progress.fraction", &f) ||
        !BSON_ITER_HOLDS_NUMBER(&f)) {
        if (bson_has_field(doc, TD_PROGRESS) && doc_utf8(doc, "progress.note"))
            printf(LABEL "%s\n", "progress:", doc_utf8(doc, "progress.note"));
        return;
    }
    const char *note = doc_utf8(doc, "progress.note");
    printf(LABEL "%.0f%%%s%s\n", "progress:", bson_iter_as_double(&f) * 100.0, note ? " " : "",
           note ? note : "");
}

static void print_error_entry(const bson_t *e, int64_t now)
{
    int64_t attempt = 0, at;
    const char *host = doc_utf8(e, "host"), *kind = doc_utf8(e, "kind");
    const char *msg = doc_utf8(e, "message");
    char when[96] = "an unknown time";
    if (doc_date(e, "at", &at)) {
        char iso[40], rel[40];
        time_format_iso(at, iso, sizeof iso);
        time_format_relative(at, now, rel, sizeof rel);
        snprintf(when, sizeof when, "%s (%s)", iso, rel);
    }
    if (doc_int(e, "attempt", &attempt))
        printf("  attempt %lld at %s", (long long)attempt, when);
    else
        printf("  at %s", when);
    if (host && host[0])
        printf(" on host %s", host);
    printf(" (%s): %s\n", kind ? kind : "failed", msg ? msg : "(no message)");
}

static void print_retry_entry(const bson_t *e, int64_t now)
{
    int64_t at;
    const char *from = doc_utf8(e, "from_state");
    char iso[40] = "?", rel[40] = "?";
    if (doc_date(e, "at", &at)) {
        time_format_iso(at, iso, sizeof iso);
        time_format_relative(at, now, rel, sizeof rel);
    }
    printf("  queued again by an operator at %s (%s), was %s\n", iso, rel, from ? from : "?");
}

/* Prints each document of the array field with fn. */
static void print_list(const bson_t *doc, const char *field, const char *title,
                       void (*fn)(const bson_t *, int64_t), int64_t now)
{
    bson_iter_t it, arr;
    if (!bson_iter_init_find(&it, doc, field) || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return;
    int n = 0;
    bson_iter_t count = arr;
    while (bson_iter_next(&count))
        n++;
    printf("%s (%d):\n", title, n);
    while (bson_iter_next(&arr)) {
        uint32_t len;
        const uint8_t *data;
        bson_t e;
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
            continue;
        bson_iter_document(&arr, &len, &data);
        if (bson_init_static(&e, data, len))
            fn(&e, now);
    }
}

static bool shown(const char *key)
{
    for (int i = 0; SHOWN[i]; i++)
        if (strcmp(key, SHOWN[i]) == 0)
            return true;
    return false;
}

static void print_others(const bson_t *doc, int64_t now)
{
    bson_iter_t it;
    if (!bson_iter_init(&it, doc))
        return;
    while (bson_iter_next(&it))
        if (!shown(bson_iter_key(&it)))
            print_scalar(doc, bson_iter_key(&it), now);
}

static void print_task(const bson_t *doc, int64_t now)
{
    char id[160];
    doc_render_id(doc, id, sizeof id);
    printf(LABEL "%s\n", "id:", id);
    printf(LABEL "%s\n", "state:", doc_state(doc));
    static const char *const scalars[] = {
        TD_TYPE,       TD_PRIORITY,   TD_ATTEMPTS,     TD_MAX_RETRIES,      TD_HOST_DEATHS,
        TD_LAST_HOST,  TD_UNIQUE_KEY, TD_FINISHED_KEY, TD_CANCEL_REQUESTED, TD_RUN_AT,
        TD_CREATED_AT, TD_CLAIMED_AT, TD_FINISHED_AT,  TD_UPDATED_AT,       NULL};
    for (int i = 0; scalars[i]; i++)
        print_scalar(doc, scalars[i], now);
    print_lease(doc, now);
    print_progress(doc);
    print_others(doc, now);
    print_block(doc, TD_PAYLOAD);
    print_block(doc, TD_RESULT);
    print_list(doc, TD_ERRORS, "errors", print_error_entry, now);
    print_list(doc, TD_OPERATOR_RETRIES, "operator retries", print_retry_entry, now);
}

static int show(struct cli_db *db, const char *id, bool json, struct error *err)
{
    bson_t *doc = NULL;
    int64_t now;
    if (!store_server_time(&db->store, &now, err))
        return -1;
    int rc = store_admin_get(&db->store, id, &doc, err);
    if (rc != 1)
        return rc;
    if (json) {
        char *s = bson_as_relaxed_extended_json(doc, NULL);
        printf("%s\n", s ? s : "{}");
        bson_free(s);
    } else {
        print_task(doc, now);
    }
    bson_destroy(doc);
    return 1;
}

int cmd_show(int argc, char **argv)
{
    struct cli_db_opts o;
    int first;
    int rc = cli_db_parse(argc, argv, USAGE, NULL, NULL, NULL, NULL, &o, &first);
    if (rc >= 0)
        return rc;
    if (argc - first != 1)
        return cli_usage_error(argv[0], USAGE,
                               argc == first ? "which task? give its ID" : "give one ID");
    struct cli_db db = {0};
    struct error err = {0};
    if (!cli_db_open(&o, &db, &err))
        return cli_fail(&err);
    rc = show(&db, argv[first], o.json, &err);
    rc = rc == 1 ? 0 : rc == 0 ? cli_no_task(&db, argv[first]) : cli_fail(&err);
    cli_db_close(&db);
    return rc;
}
