#include "store/watch.h"

#include <stdlib.h>

#include "store/task_doc.h"

#define AWAIT_MS 1000

struct store_watch {
    struct store *store;
    mongoc_client_t *client;
    mongoc_collection_t *coll;
    mongoc_change_stream_t *stream;
};

/* [{$match: {$or: [{operationType: insert}, {operationType: replace},
 *   {updateDescription.updatedFields.state: queued}, {fullDocument.state: queued}]}}]
 * The last alternative is for mongo-java-server, which reports the fields an
 * update set as fullDocument; MongoDB sends no fullDocument with updates
 * unless asked to, so it matches nothing there. */
static void build_pipeline(bson_t *p)
{
    bson_t stages, stage, match, alts, alt;
    static const char *const fields[] = {"operationType", "operationType",
                                         "updateDescription.updatedFields." TD_STATE,
                                         "fullDocument." TD_STATE};
    static const char *const values[] = {"insert", "replace", TS_QUEUED, TS_QUEUED};
    BSON_APPEND_ARRAY_BEGIN(p, "pipeline", &stages);
    BSON_APPEND_DOCUMENT_BEGIN(&stages, "0", &stage);
    BSON_APPEND_DOCUMENT_BEGIN(&stage, "$match", &match);
    BSON_APPEND_ARRAY_BEGIN(&match, "$or", &alts);
    for (int i = 0; i < 4; i++) {
        char key[4] = {(char)('0' + i), '\0'};
        BSON_APPEND_DOCUMENT_BEGIN(&alts, key, &alt);
        BSON_APPEND_UTF8(&alt, fields[i], values[i]);
        bson_append_document_end(&alts, &alt);
    }
    bson_append_array_end(&match, &alts);
    bson_append_document_end(&stage, &match);
    bson_append_document_end(&stages, &stage);
    bson_append_array_end(p, &stages);
}

/* The stream's error, if any, into err. */
static bool stream_failed(struct store_watch *w, struct error *err, const char *what)
{
    bson_error_t e;
    const bson_t *reply;
    if (!mongoc_change_stream_error_document(w->stream, &e, &reply))
        return false;
    store_error(err, &e, what);
    return true;
}

struct store_watch *store_watch_open(struct store *s, struct error *err)
{
    struct store_watch *w = calloc(1, sizeof *w);
    if (w == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory opening a change stream");
        return NULL;
    }
    w->store = s;
    w->client = store_client(s);
    w->coll = store_tasks(s, w->client);
    bson_t pipeline = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    build_pipeline(&pipeline);
    BSON_APPEND_INT64(&opts, "maxAwaitTimeMS", AWAIT_MS);
    w->stream = mongoc_collection_watch(w->coll, &pipeline, &opts);
    bson_destroy(&pipeline);
    bson_destroy(&opts);
    if (stream_failed(w, err, "opening a change stream on the tasks collection")) {
        store_watch_close(w);
        return NULL;
    }
    return w;
}

int store_watch_next(struct store_watch *w, struct error *err)
{
    const bson_t *event;
    /* One event per call: asking for the next would wait for more. */
    if (mongoc_change_stream_next(w->stream, &event))
        return 1;
    return stream_failed(w, err, "watching the tasks collection") ? -1 : 0;
}

void store_watch_close(struct store_watch *w)
{
    if (w == NULL)
        return;
    mongoc_change_stream_destroy(w->stream);
    store_release(w->store, w->client, w->coll);
    free(w);
}
