/*
 * The connection to MongoDB: a client pool shared by the host's threads, and
 * the names of the collections. Every store/ function takes a `struct store`
 * and pops a client from the pool for the duration of one call.
 *
 * Errors: operations that fail because the server cannot be reached report
 * ERR_DB_DOWN (transient: the caller retries with backoff); a server that
 * refuses an operation reports ERR_DB.
 */
#ifndef TASKHOST_STORE_STORE_H
#define TASKHOST_STORE_STORE_H

#include <stdbool.h>

#include <mongoc/mongoc.h>

#include "base/error.h"

struct store {
    mongoc_client_pool_t *pool;
    char *uri_redacted; /* for messages: the URI without its password */
    char *database;
    char *tasks; /* collection of tasks */
    char *hosts; /* collection of host liveness records */
};

struct store_options {
    const char *uri;
    const char *database;
    const char *tasks;
    const char *hosts;
    int connect_timeout_ms; /* server selection timeout unless the URI sets one */
    int max_clients;        /* pool size */
    const char *app_name;
};

/* Parses the URI and creates the pool (does not connect yet). Writes use
 * write concern "majority". On failure err says what is wrong with the URI. */
bool store_open(struct store *s, const struct store_options *o, struct error *err);
void store_close(struct store *s);

/* Checks that the server answers (ping), within the selection timeout. */
bool store_ping(struct store *s, struct error *err);

/* A client of the pool, and a collection handle on it (both must be given
 * back with store_release). */
mongoc_client_t *store_client(struct store *s);
mongoc_collection_t *store_tasks(struct store *s, mongoc_client_t *client);
mongoc_collection_t *store_hosts(struct store *s, mongoc_client_t *client);
void store_release(struct store *s, mongoc_client_t *client, mongoc_collection_t *coll);

/* Converts a driver error into err: ERR_DB_DOWN for network and server
 * selection failures, ERR_DB otherwise; `what` names the operation. Returns
 * false. */
bool store_error(struct error *err, const bson_error_t *e, const char *what);

/* True when a driver error means "cannot reach the server". */
bool store_error_is_down(const bson_error_t *e);

#endif
