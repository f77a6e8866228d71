#include "store/admin_common.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool store_server_time(struct store *s, int64_t *now_ms, struct error *err)
{
    bson_t cmd = BSON_INITIALIZER, reply;
    BSON_APPEND_INT32(&cmd, "isMaster", 1);
    mongoc_client_t *c = store_client(s);
    bson_error_t e;
    bool ok = mongoc_client_command_simple(c, "admin", &cmd, NULL, &reply, &e);
    store_release(s, c, NULL);
    bson_iter_t it;
    if (ok && bson_iter_init_find(&it, &reply, "localTime") && BSON_ITER_HOLDS_DATE_TIME(&it))
        *now_ms = bson_iter_date_time(&it);
    else if (ok)
        ok = error_set(err, ERR_DB,
                       "the server did not tell its time (isMaster without "
                       "localTime)");
    else
        store_error(err, &e, "reading the server's time");
    bson_destroy(&reply);
    bson_destroy(&cmd);
    return ok;
}

bool admin_state_waiting(const char *state)
{
    return state[0] == '\0' || strcmp(state, TS_QUEUED) == 0 || strcmp(state, TS_RETRY) == 0;
}

bool admin_state_final(const char *state)
{
    return strcmp(state, TS_DONE) == 0 || strcmp(state, TS_DEAD) == 0 ||
           strcmp(state, TS_CANCELLED) == 0;
}

bool admin_state_known(const char *name)
{
    static const char *const states[] = {TS_NEW,  TS_QUEUED, TS_RUNNING,   TS_RETRY,
                                         TS_DONE, TS_DEAD,   TS_CANCELLED, NULL};
    for (int i = 0; states[i]; i++)
        if (strcmp(name, states[i]) == 0)
            return true;
    return false;
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

void admin_append_id_match(bson_t *filter, const char *field, const char *text)
{
    bson_t sub, arr;
    size_t len = strlen(text);
    bson_append_document_begin(filter, field, -1, &sub);
    bson_append_array_begin(&sub, "$in", -1, &arr);
    if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
        bson_append_utf8(&arr, "0", -1, text + 1, (int)len - 2);
    } else {
        bson_append_utf8(&arr, "0", -1, text, (int)len);
        char *end;
        errno = 0;
        long long n = strtoll(text, &end, 10);
        if (len == 24 && all_hex(text, len)) {
            bson_oid_t oid;
            bson_oid_init_from_string(&oid, text);
            bson_append_oid(&arr, "1", -1, &oid);
        } else if (len > 0 && *end == '\0' && errno == 0 && !isspace((unsigned char)text[0])) {
            bson_append_int64(&arr, "1", -1, n);
        }
    }
    bson_append_array_end(&sub, &arr);
    bson_append_document_end(filter, &sub);
}

int store_admin_get(struct store *s, const char *text, bson_t **doc, struct error *err)
{
    bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    admin_append_id_match(&filter, TD_ID, text);
    BSON_APPEND_INT64(&opts, "limit", 2);
    mongoc_client_t *c = store_client(s);
    mongoc_collection_t *coll = store_tasks(s, c);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, &opts, NULL);
    const bson_t *d;
    int found = 0;
    *doc = NULL;
    while (mongoc_cursor_next(cur, &d)) {
        if (++found == 1)
            *doc = bson_copy(d);
    }
    bson_error_t e;
    int rc = found > 0 ? 1 : 0;
    if (mongoc_cursor_error(cur, &e)) {
        rc = -1;
        store_error(err, &e, "finding the task");
    } else if (found > 1) {
        rc = -1;
        error_set(err, ERR_INPUT,
                  "ID %s matches more than one task (a number and a string?); put it in "
                  "double quotes, e.g. '\"%s\"', to mean the string",
                  text, text);
    }
    if (rc != 1 && *doc) {
        bson_destroy(*doc);
        *doc = NULL;
    }
    mongoc_cursor_destroy(cur);
    store_release(s, c, coll);
    bson_destroy(&filter);
    bson_destroy(&opts);
    return rc;
}

const char *admin_doc_state(const bson_t *doc)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, TD_STATE) && BSON_ITER_HOLDS_UTF8(&it))
        return bson_iter_utf8(&it, NULL);
    return "";
}

bool admin_error_is_duplicate(const bson_error_t *e)
{
    return e->code == ADMIN_DUPLICATE_KEY;
}
