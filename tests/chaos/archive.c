#include "archive.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <mongoc/mongoc.h>

#include "ts.h"
#include "util.h"

#define EVERY_MS  5000
#define BATCH_MAX 2000

struct archiver {
    const char *db;
    int n;
    int age_ms;
    struct db_task *out;
    atomic_int archived;
    atomic_bool stop;
    pthread_t thread;
};

static struct archiver arc;

/* {state: {$in: [done, dead]}, finished_at: {$lt: cutoff}} */
static void final_before(bson_t *f, int64_t cutoff_ms)
{
    bson_t st, arr, fin;
    BSON_APPEND_DOCUMENT_BEGIN(f, "state", &st);
    BSON_APPEND_ARRAY_BEGIN(&st, "$in", &arr);
    BSON_APPEND_UTF8(&arr, "0", "done");
    BSON_APPEND_UTF8(&arr, "1", "dead");
    bson_append_array_end(&st, &arr);
    bson_append_document_end(f, &st);
    BSON_APPEND_DOCUMENT_BEGIN(f, "finished_at", &fin);
    BSON_APPEND_DATE_TIME(&fin, "$lt", cutoff_ms);
    bson_append_document_end(f, &fin);
}

/* Reads up to BATCH_MAX old final tasks into arc.out and appends their ids to `ids`;
 * returns how many. */
static int read_old(mongoc_collection_t *coll, const bson_t *filter, bson_t *ids)
{
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_INT64(&opts, "limit", BATCH_MAX);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, filter, &opts, NULL);
    const bson_t *doc;
    int n = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        int id = evidence_task_id(doc);
        if (id < 1 || id > arc.n || arc.out[id - 1].found)
            continue;
        evidence_read_task(doc, &arc.out[id - 1]);
        char key[16];
        const char *k;
        bson_uint32_to_string((uint32_t)n++, &k, key, sizeof key);
        bson_append_int32(ids, k, -1, id);
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(&opts);
    return n;
}

/* Drops the copies of the tasks in ids (their documents could not be deleted). */
static void forget(const bson_t *ids)
{
    bson_iter_t it;
    if (!bson_iter_init(&it, ids))
        return;
    while (bson_iter_next(&it)) {
        int id = bson_iter_int32(&it);
        arc.out[id - 1] = (struct db_task){0};
    }
}

/* One round: archive and delete the tasks final for longer than age_ms. */
static void archive_round(mongoc_collection_t *coll)
{
    bson_t filter = BSON_INITIALIZER, ids = BSON_INITIALIZER;
    final_before(&filter, chaos_wall_ms() - arc.age_ms);
    int n = read_old(coll, &filter, &ids);
    if (n > 0) {
        bson_t del = BSON_INITIALIZER, in;
        final_before(&del, chaos_wall_ms() - arc.age_ms);
        BSON_APPEND_DOCUMENT_BEGIN(&del, "_id", &in);
        BSON_APPEND_ARRAY(&in, "$in", &ids);
        bson_append_document_end(&del, &in);
        bson_error_t err;
        bool deleted;
        while (!(deleted = mongoc_collection_delete_many(coll, &del, NULL, NULL, &err)) &&
               !atomic_load(&arc.stop))
            chaos_sleep_ms(500); /* the server is down: try again */
        bson_destroy(&del);
        if (deleted)
            atomic_fetch_add(&arc.archived, n);
        else
            forget(&ids);
    }
    bson_destroy(&ids);
    bson_destroy(&filter);
}

static void *archiver_main(void *arg)
{
    (void)arg;
    mongoc_client_t *client = ts_client_new("serverSelectionTimeoutMS=2000");
    mongoc_collection_t *coll = mongoc_client_get_collection(client, arc.db, "tasks");
    while (!atomic_load(&arc.stop)) {
        for (int t = 0; t < EVERY_MS && !atomic_load(&arc.stop); t += 100)
            chaos_sleep_ms(100);
        if (!atomic_load(&arc.stop))
            archive_round(coll);
    }
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    return NULL;
}

void archive_start(const char *db, int n, int age_ms, struct db_task *out)
{
    arc.db = db;
    arc.n = n;
    arc.age_ms = age_ms;
    arc.out = out;
    if (pthread_create(&arc.thread, NULL, archiver_main, NULL) != 0)
        abort();
}

int archive_count(void)
{
    return atomic_load(&arc.archived);
}

int archive_stop(void)
{
    atomic_store(&arc.stop, true);
    pthread_join(arc.thread, NULL);
    return atomic_load(&arc.archived);
}
