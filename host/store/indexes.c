#include "store/indexes.h"

#include "store/task_doc.h"

/* One index: name and key given as JSON. */
struct index_def {
    const char *name;
    const char *key_json;
    bool sparse;
    bool unique;
};

/* claim: type + state equality, then the sort (priority, run_at, _id).
 * rescue: running tasks by lease expiry. token: fenced writes and renewals.
 * finished: purge and stats by state and age.
 * unique: one live task per unique_key (store/admin_common.h): sparse, since
 * most tasks have no key and finished tasks rename theirs to finished_key (a
 * partial index would say this directly, but not every server we test
 * against supports partial indexes). */
static const struct index_def INDEXES[] = {
    {"th_claim", "{\"type\": 1, \"state\": 1, \"priority\": -1, \"run_at\": 1, \"_id\": 1}", false,
     false},
    {"th_rescue", "{\"state\": 1, \"lease.expires_at\": 1}", false, false},
    {"th_token", "{\"lease.token\": 1}", true, false},
    {"th_finished", "{\"state\": 1, \"finished_at\": 1}", false, false},
    {"th_unique", "{\"unique_key\": 1}", true, true},
};

static bool append_index(bson_t *arr, int i, const struct index_def *d, struct error *err)
{
    bson_error_t e;
    bson_t *key = bson_new_from_json((const uint8_t *)d->key_json, -1, &e);
    if (key == NULL)
        return error_set(err, ERR_INTERNAL, "index %s: %s", d->name, e.message);
    char buf[16];
    const char *k;
    bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
    bson_t idx;
    bson_append_document_begin(arr, k, -1, &idx);
    BSON_APPEND_DOCUMENT(&idx, "key", key);
    BSON_APPEND_UTF8(&idx, "name", d->name);
    if (d->sparse)
        BSON_APPEND_BOOL(&idx, "sparse", true);
    if (d->unique)
        BSON_APPEND_BOOL(&idx, "unique", true);
    bson_append_document_end(arr, &idx);
    bson_destroy(key);
    return true;
}

bool store_ensure_indexes(struct store *s, struct error *err)
{
    bson_t cmd = BSON_INITIALIZER, arr;
    BSON_APPEND_UTF8(&cmd, "createIndexes", s->tasks);
    bson_append_array_begin(&cmd, "indexes", -1, &arr);
    for (int i = 0; i < (int)(sizeof INDEXES / sizeof INDEXES[0]); i++) {
        if (!append_index(&arr, i, &INDEXES[i], err)) {
            bson_destroy(&cmd);
            return false;
        }
    }
    bson_append_array_end(&cmd, &arr);
    mongoc_client_t *c = store_client(s);
    bson_error_t e;
    bool ok = mongoc_client_write_command_with_opts(c, s->database, &cmd, NULL, NULL, &e);
    store_release(s, c, NULL);
    bson_destroy(&cmd);
    if (!ok)
        store_error(err, &e, "creating the indexes of the tasks collection");
    return ok;
}
