#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static char *redact_uri(const char *uri)
{
    /* mongodb://user:secret@host -> mongodb://user:***@host */
    char *copy = bson_strdup(uri);
    char *scheme = strstr(copy, "://");
    char *at = strchr(copy, '@');
    if (scheme == NULL || at == NULL)
        return copy;
    char *colon = memchr(scheme + 3, ':', (size_t)(at - (scheme + 3)));
    if (colon == NULL)
        return copy;
    char *out = bson_strdup_printf("%.*s:***%s", (int)(colon - copy), copy, at);
    bson_free(copy);
    return out;
}

static mongoc_uri_t *parse_uri(const struct store_options *o, struct error *err)
{
    bson_error_t e;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(o->uri, &e);
    if (uri == NULL) {
        char *shown = redact_uri(o->uri);
        error_set(err, ERR_CONFIG, "mongodb.uri \"%s\" is not a valid MongoDB URI: %s", shown,
                  e.message);
        bson_free(shown);
        return NULL;
    }
    if (!mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
                                       o->connect_timeout_ms);
    if (!mongoc_uri_has_option(uri, MONGOC_URI_CONNECTTIMEOUTMS))
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, o->connect_timeout_ms);
    if (!mongoc_uri_has_option(uri, MONGOC_URI_APPNAME) && o->app_name)
        mongoc_uri_set_appname(uri, o->app_name);
    mongoc_write_concern_t *wc = mongoc_write_concern_new();
    mongoc_write_concern_set_wmajority(wc, 0);
    mongoc_uri_set_write_concern(uri, wc);
    mongoc_write_concern_destroy(wc);
    return uri;
}

bool store_open(struct store *s, const struct store_options *o, struct error *err)
{
    memset(s, 0, sizeof *s);
    mongoc_uri_t *uri = parse_uri(o, err);
    if (uri == NULL)
        return false;
    bson_error_t e;
    s->pool = mongoc_client_pool_new_with_error(uri, &e);
    mongoc_uri_destroy(uri);
    if (s->pool == NULL) {
        char *shown = redact_uri(o->uri);
        error_set(err, ERR_CONFIG, "cannot use mongodb.uri \"%s\": %s", shown, e.message);
        bson_free(shown);
        return false;
    }
    mongoc_client_pool_set_error_api(s->pool, MONGOC_ERROR_API_VERSION_2);
    if (o->max_clients > 0)
        mongoc_client_pool_max_size(s->pool, (uint32_t)o->max_clients);
    s->uri_redacted = redact_uri(o->uri);
    s->database = bson_strdup(o->database);
    s->tasks = bson_strdup(o->tasks);
    s->hosts = bson_strdup(o->hosts);
    return true;
}

void store_close(struct store *s)
{
    if (s->pool)
        mongoc_client_pool_destroy(s->pool);
    bson_free(s->uri_redacted);
    bson_free(s->database);
    bson_free(s->tasks);
    bson_free(s->hosts);
    memset(s, 0, sizeof *s);
}

bool store_ping(struct store *s, struct error *err)
{
    mongoc_client_t *c = store_client(s);
    bson_t cmd = BSON_INITIALIZER;
    BSON_APPEND_INT32(&cmd, "ping", 1);
    bson_error_t e;
    bool ok = mongoc_client_command_simple(c, "admin", &cmd, NULL, NULL, &e);
    bson_destroy(&cmd);
    mongoc_client_pool_push(s->pool, c);
    if (!ok) {
        store_error(err, &e, "ping");
        error_prefix(err, "cannot reach MongoDB at %s: ", s->uri_redacted);
    }
    return ok;
}

mongoc_client_t *store_client(struct store *s)
{
    return mongoc_client_pool_pop(s->pool);
}

mongoc_collection_t *store_tasks(struct store *s, mongoc_client_t *client)
{
    return mongoc_client_get_collection(client, s->database, s->tasks);
}

mongoc_collection_t *store_hosts(struct store *s, mongoc_client_t *client)
{
    return mongoc_client_get_collection(client, s->database, s->hosts);
}

void store_release(struct store *s, mongoc_client_t *client, mongoc_collection_t *coll)
{
    if (coll)
        mongoc_collection_destroy(coll);
    if (client)
        mongoc_client_pool_push(s->pool, client);
}

bool store_error_is_down(const bson_error_t *e)
{
    if (e->domain == MONGOC_ERROR_STREAM || e->domain == MONGOC_ERROR_SERVER_SELECTION)
        return true;
    /* Server codes that mean "this node cannot serve you now": a failover or
     * a shutdown in progress. The operation can be retried. */
    static const uint32_t transient[] = {6,     7,     89,    91,    189,  9001,
                                         10107, 11600, 11602, 13435, 13436};
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
        if (e->code == transient[i])
            return true;
    return false;
}

bool store_error(struct error *err, const bson_error_t *e, const char *what)
{
    if (store_error_is_down(e))
        return error_set(err, ERR_DB_DOWN, "%s: MongoDB is unreachable: %s", what, e->message);
    return error_set(err, ERR_DB, "%s failed: %s (error %u)", what, e->message, e->code);
}
