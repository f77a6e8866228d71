/*
 * MongoDB from the tests: one client pool on the server, a client per thread, and helpers
 * that take JSON and fail the test on errors.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ts.h"
#include "ts_internal.h"

#define TS_MAX_DB_NAME               63
#define TS_ERROR_NAMESPACE_NOT_FOUND 26

static pthread_once_t driver_once = PTHREAD_ONCE_INIT;
static pthread_key_t client_key;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static mongoc_client_pool_t *pool;
static atomic_int clients_out;
static atomic_int db_counter;

/* ---- the pool and the clients -------------------------------------------------------- */

/* pthread key destructor: a thread's client goes back to the pool when the thread ends. */
static void give_back(void *client)
{
    pthread_mutex_lock(&pool_lock);
    if (pool)
        mongoc_client_pool_push(pool, client);
    pthread_mutex_unlock(&pool_lock);
    atomic_fetch_sub(&clients_out, 1);
}

/* The driver's messages below warnings (its DEBUG monitor chatter) are not shown. */
static void log_warnings(mongoc_log_level_t level, const char *domain, const char *message,
                         void *data)
{
    if (level <= MONGOC_LOG_LEVEL_WARNING)
        mongoc_log_default_handler(level, domain, message, data);
}

static void init_driver(void)
{
    mongoc_init();
    mongoc_log_set_handler(log_warnings, NULL);
    pthread_key_create(&client_key, give_back);
}

static mongoc_uri_t *parse_uri(const char *text)
{
    bson_error_t err;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(text, &err);
    if (!uri)
        ts_fail("bad MongoDB URI '%s': %s", text, err.message);
    mongoc_uri_set_appname(uri, "taskhost-tests");
    return uri;
}

/* The server's URI; fails the test when there is no server. */
static const char *require_uri(void)
{
    const char *text = ts_server_uri();
    if (!text)
        ts_fail("no MongoDB server (see above); the test's main should call "
                "ts_server_uri_or_skip() first");
    return text;
}

static mongoc_client_pool_t *get_pool(void)
{
    pthread_mutex_lock(&pool_lock);
    mongoc_client_pool_t *p = pool;
    pthread_mutex_unlock(&pool_lock);
    if (p)
        return p;
    mongoc_uri_t *uri = parse_uri(require_uri()); /* may fail: not under the lock */
    ts_cleanup_register();
    pthread_mutex_lock(&pool_lock);
    if (!pool) {
        pool = mongoc_client_pool_new(uri);
        mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
    }
    p = pool;
    pthread_mutex_unlock(&pool_lock);
    mongoc_uri_destroy(uri);
    return p;
}

mongoc_client_t *ts_client(void)
{
    pthread_once(&driver_once, init_driver);
    mongoc_client_t *client = pthread_getspecific(client_key);
    if (!client) {
        client = mongoc_client_pool_pop(get_pool());
        atomic_fetch_add(&clients_out, 1);
        pthread_setspecific(client_key, client);
    }
    return client;
}

mongoc_client_t *ts_client_new(const char *options)
{
    pthread_once(&driver_once, init_driver);
    const char *base = require_uri();
    char *text;
    if (!options || !*options)
        text = ts_xstrdup(base);
    else if (strchr(base, '?'))
        text = ts_xprintf("%s&%s", base, options);
    else if (strchr(base + strlen("mongodb://"), '/'))
        text = ts_xprintf("%s?%s", base, options);
    else
        text = ts_xprintf("%s/?%s", base, options);
    mongoc_uri_t *uri = parse_uri(text);
    free(text);
    mongoc_client_t *client = mongoc_client_new_from_uri(uri);
    mongoc_uri_destroy(uri);
    if (!client)
        ts_fail("cannot create a MongoDB client with options '%s'", options);
    mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
    return client;
}

void ts_mongo_after_restart(void)
{
    pthread_mutex_lock(&pool_lock);
    bool have_pool = pool != NULL;
    pthread_mutex_unlock(&pool_lock);
    if (!have_pool)
        return;
    /* The first command on a connection to the old server fails; that failure makes the
     * driver drop every pooled connection, so the next one, on any thread, is fresh. */
    bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
    bson_error_t err;
    bool ok = false;
    for (int i = 0; i < 5 && !ok; i++)
        ok = mongoc_client_command_simple(ts_client(), "admin", ping, NULL, NULL, &err);
    bson_destroy(ping);
    if (!ok)
        ts_fail("the MongoDB server does not answer after it started again: %s", err.message);
}

void ts_mongo_cleanup(void)
{
    pthread_mutex_lock(&pool_lock);
    mongoc_client_pool_t *p = pool;
    pthread_mutex_unlock(&pool_lock);
    if (!p)
        return;
    mongoc_client_t *mine = pthread_getspecific(client_key);
    if (mine) {
        pthread_setspecific(client_key, NULL);
        give_back(mine);
    }
    if (atomic_load(&clients_out) != 0)
        return; /* other threads still hold clients: leave the pool to the exit */
    pthread_mutex_lock(&pool_lock);
    pool = NULL;
    pthread_mutex_unlock(&pool_lock);
    mongoc_client_pool_destroy(p);
    mongoc_cleanup();
}

/* ---- databases and documents --------------------------------------------------------- */

char *ts_unique_db(const char *prefix)
{
    char suffix[48];
    snprintf(suffix, sizeof suffix, "_%d_%d", (int)getpid(), atomic_fetch_add(&db_counter, 1));
    size_t keep = strlen(prefix);
    if (keep > TS_MAX_DB_NAME - strlen(suffix))
        keep = TS_MAX_DB_NAME - strlen(suffix);
    char *name = ts_xprintf("%.*s%s", (int)keep, prefix, suffix);
    for (char *c = name; *c; c++) {
        if (strchr("/\\. \"$*<>:|?", *c))
            *c = '_';
    }
    return name;
}

void ts_drop_db(const char *db)
{
    mongoc_database_t *d = mongoc_client_get_database(ts_client(), db);
    bson_error_t err;
    bool ok = mongoc_database_drop_with_opts(d, NULL, &err);
    mongoc_database_destroy(d);
    if (!ok && err.code != TS_ERROR_NAMESPACE_NOT_FOUND)
        ts_fail("cannot drop database %s: %s", db, err.message);
}

bson_t *ts_bson(const char *json)
{
    if (!json || !*json)
        return bson_new();
    bson_error_t err;
    bson_t *doc = bson_new_from_json((const uint8_t *)json, -1, &err);
    if (!doc)
        ts_fail("bad JSON '%s': %s", json, err.message);
    return doc;
}

static mongoc_collection_t *collection(const char *db, const char *coll)
{
    return mongoc_client_get_collection(ts_client(), db, coll);
}

void ts_insert_json(const char *db, const char *coll, const char *json)
{
    bson_t *doc = ts_bson(json);
    mongoc_collection_t *c = collection(db, coll);
    bson_error_t err;
    bool ok = mongoc_collection_insert_one(c, doc, NULL, NULL, &err);
    /* mongo-java-server sometimes answers "Unknown error: null" (an internal
     * exception) when a database is created while another connection creates
     * its indexes: a fault of the test server, not of what is tested. */
    for (int i = 0; !ok && i < 3 && strstr(err.message, "Unknown error") != NULL; i++) {
        ts_sleep_ms(100);
        ok = mongoc_collection_insert_one(c, doc, NULL, NULL, &err);
        /* the failed answer may have followed a write that did happen */
        if (!ok && err.code == 11000)
            ok = true;
    }
    mongoc_collection_destroy(c);
    bson_destroy(doc);
    if (!ok)
        ts_fail("cannot insert %s into %s.%s: %s", json, db, coll, err.message);
}

int64_t ts_count(const char *db, const char *coll, const char *filter_json)
{
    bson_t *filter = ts_bson(filter_json);
    mongoc_collection_t *c = collection(db, coll);
    bson_error_t err;
    int64_t n = mongoc_collection_count_documents(c, filter, NULL, NULL, NULL, &err);
    mongoc_collection_destroy(c);
    bson_destroy(filter);
    if (n < 0)
        ts_fail("cannot count %s in %s.%s: %s", filter_json ? filter_json : "{}", db, coll,
                err.message);
    return n;
}

bson_t *ts_find_one(const char *db, const char *coll, const char *filter_json)
{
    bson_t *filter = ts_bson(filter_json);
    bson_t *opts = BCON_NEW("limit", BCON_INT64(1));
    mongoc_collection_t *c = collection(db, coll);
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(c, filter, opts, NULL);
    const bson_t *doc;
    bson_t *found = mongoc_cursor_next(cursor, &doc) ? bson_copy(doc) : NULL;
    bson_error_t err;
    bool failed = mongoc_cursor_error(cursor, &err);
    mongoc_cursor_destroy(cursor);
    mongoc_collection_destroy(c);
    bson_destroy(opts);
    bson_destroy(filter);
    if (failed)
        ts_fail("cannot find %s in %s.%s: %s", filter_json ? filter_json : "{}", db, coll,
                err.message);
    return found;
}

struct count_wait {
    const char *db, *coll, *filter;
    int64_t expected, last;
};

static bool count_reached(void *arg)
{
    struct count_wait *w = arg;
    w->last = ts_count(w->db, w->coll, w->filter);
    return w->last == w->expected;
}

bool ts_wait_count(const char *db, const char *coll, const char *filter_json, int64_t expected,
                   int timeout_ms)
{
    struct count_wait w = {db, coll, filter_json, expected, -1};
    if (ts_wait_until(count_reached, &w, timeout_ms))
        return true;
    fprintf(stderr, "ts: waited %d ms for %lld documents matching %s in %s.%s: there are %lld\n",
            timeout_ms, (long long)expected, filter_json ? filter_json : "{}", db, coll,
            (long long)w.last);
    return false;
}
