/*
 * limit: the least a MongoDB task queue can cost, for taskhost's benchmark (tests/bench).
 *
 *   limit URI DB COLLECTION TYPE THREADS SLEEP_MS POLL_MS
 *
 * THREADS threads, each on its own connection taken from one libmongoc pool (write concern
 * "majority", as the host's), do only what one task must cost:
 *   1. one claim: findAndModify {type: TYPE, state: "queued", run_at: {$lte: now}},
 *      sort {priority: -1, run_at: 1, _id: 1}, $set {state: "running", lease.token: T},
 *      $currentDate {claimed_at}
 *   2. SLEEP_MS of "work" (0: none),
 *   3. one completion: updateOne {_id, lease.token: T}, $set {state: "done"},
 *      $currentDate {finished_at}.
 * A claim that finds nothing waits POLL_MS (the hosts' poll_interval_ms) and tries again.
 * The documents are taskhost's task documents, so the benchmark measures this program from
 * claimed_at and finished_at as it measures the hosts.
 *
 * Prints "ready PID" on stdout once every thread holds its connection and has made its first
 * claim; runs until SIGTERM or SIGINT, then prints one line of JSON:
 *   {"tasks": N, "seconds": S, "threads": T, "errors": E}
 * (S: from the first claim that found a task to the last completion). Exit status 0, 2 on
 * bad arguments, 1 when MongoDB could not be used.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#define MAX_THREADS 1024

struct shared {
    mongoc_client_pool_t *pool;
    const char *db;
    const char *coll;
    const char *type;
    int sleep_ms;
    int poll_ms;
    atomic_bool stop;
    atomic_int started;      /* threads that made their first claim */
    atomic_long tasks;       /* completions */
    atomic_long errors;      /* failed claims or completions */
    atomic_llong first_mono; /* ns of the first claim that found a task, 0 before */
    atomic_llong last_mono;  /* ns of the last completion */
};

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void build_claim(bson_t *filter, bson_t *sort, bson_t *update, const char *type,
                        const bson_oid_t *token)
{
    bson_t sub, set, cd;
    BSON_APPEND_UTF8(filter, "type", type);
    BSON_APPEND_UTF8(filter, "state", "queued");
    bson_append_document_begin(filter, "run_at", -1, &sub);
    BSON_APPEND_DATE_TIME(&sub, "$lte", wall_ms());
    bson_append_document_end(filter, &sub);

    BSON_APPEND_INT32(sort, "priority", -1);
    BSON_APPEND_INT32(sort, "run_at", 1);
    BSON_APPEND_INT32(sort, "_id", 1);

    bson_append_document_begin(update, "$set", -1, &set);
    BSON_APPEND_UTF8(&set, "state", "running");
    BSON_APPEND_OID(&set, "lease.token", token);
    bson_append_document_end(update, &set);
    bson_append_document_begin(update, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, "claimed_at", true);
    bson_append_document_end(update, &cd);
}

/* One claim. Returns 1 and the claimed _id in *id, 0 when nothing is claimable, -1 on error. */
static int claim(struct shared *sh, mongoc_collection_t *coll, const bson_oid_t *token,
                 bson_value_t *id)
{
    bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER, update = BSON_INITIALIZER;
    bson_t reply;
    bson_error_t e;
    build_claim(&filter, &sort, &update, sh->type, token);
    mongoc_find_and_modify_opts_t *opts = mongoc_find_and_modify_opts_new();
    mongoc_find_and_modify_opts_set_sort(opts, &sort);
    mongoc_find_and_modify_opts_set_update(opts, &update);
    int rc = -1;
    if (mongoc_collection_find_and_modify_with_opts(coll, &filter, opts, &reply, &e)) {
        bson_iter_t it;
        rc = 0;
        if (bson_iter_init(&it, &reply) && bson_iter_find_descendant(&it, "value._id", &it)) {
            bson_value_copy(bson_iter_value(&it), id);
            rc = 1;
        }
    } else {
        fprintf(stderr, "limit: claim failed: %s\n", e.message);
    }
    bson_destroy(&reply);
    mongoc_find_and_modify_opts_destroy(opts);
    bson_destroy(&filter);
    bson_destroy(&sort);
    bson_destroy(&update);
    return rc;
}

static bool complete(mongoc_collection_t *coll, const bson_value_t *id, const bson_oid_t *token)
{
    bson_t filter = BSON_INITIALIZER, update = BSON_INITIALIZER, set, cd;
    bson_error_t e;
    BSON_APPEND_VALUE(&filter, "_id", id);
    BSON_APPEND_OID(&filter, "lease.token", token);
    bson_append_document_begin(&update, "$set", -1, &set);
    BSON_APPEND_UTF8(&set, "state", "done");
    bson_append_document_end(&update, &set);
    bson_append_document_begin(&update, "$currentDate", -1, &cd);
    BSON_APPEND_BOOL(&cd, "finished_at", true);
    bson_append_document_end(&update, &cd);
    bool ok = mongoc_collection_update_one(coll, &filter, &update, NULL, NULL, &e);
    if (!ok)
        fprintf(stderr, "limit: completion failed: %s\n", e.message);
    bson_destroy(&filter);
    bson_destroy(&update);
    return ok;
}

static void run_one(struct shared *sh, mongoc_collection_t *coll, bool *first)
{
    bson_oid_t token;
    bson_value_t id;
    bson_oid_init(&token, NULL);
    int rc = claim(sh, coll, &token, &id);
    if (*first) {
        *first = false;
        atomic_fetch_add(&sh->started, 1);
    }
    if (rc <= 0) {
        if (rc < 0)
            atomic_fetch_add(&sh->errors, 1);
        sleep_ms(sh->poll_ms);
        return;
    }
    long long zero = 0;
    atomic_compare_exchange_strong(&sh->first_mono, &zero, mono_ns());
    if (sh->sleep_ms > 0)
        sleep_ms(sh->sleep_ms);
    if (complete(coll, &id, &token)) {
        atomic_fetch_add(&sh->tasks, 1);
        atomic_store(&sh->last_mono, mono_ns());
    } else {
        atomic_fetch_add(&sh->errors, 1);
    }
    bson_value_destroy(&id);
}

static void *worker(void *arg)
{
    struct shared *sh = arg;
    mongoc_client_t *client = mongoc_client_pool_pop(sh->pool); /* this thread's connection */
    mongoc_collection_t *coll = mongoc_client_get_collection(client, sh->db, sh->coll);
    bool first = true;
    while (!atomic_load(&sh->stop))
        run_one(sh, coll, &first);
    if (first)
        atomic_fetch_add(&sh->started, 1);
    mongoc_collection_destroy(coll);
    mongoc_client_pool_push(sh->pool, client);
    return NULL;
}

static int parse_int(const char *s, const char *what, int min, int max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
        fprintf(stderr, "limit: %s must be a whole number from %d to %d, not '%s'\n", what, min,
                max, s);
        exit(2);
    }
    return (int)v;
}

static mongoc_client_pool_t *open_pool(const char *uri_str, int threads)
{
    bson_error_t e;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(uri_str, &e);
    if (uri == NULL) {
        fprintf(stderr, "limit: '%s' is not a MongoDB URI: %s\n", uri_str, e.message);
        exit(2);
    }
    mongoc_write_concern_t *wc = mongoc_write_concern_new();
    mongoc_write_concern_set_wmajority(wc, 0);
    mongoc_uri_set_write_concern(uri, wc);
    mongoc_write_concern_destroy(wc);
    mongoc_client_pool_t *pool = mongoc_client_pool_new_with_error(uri, &e);
    mongoc_uri_destroy(uri);
    if (pool == NULL) {
        fprintf(stderr, "limit: cannot use '%s': %s\n", uri_str, e.message);
        exit(2);
    }
    mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_pool_max_size(pool, (uint32_t)threads);
    return pool;
}

/* Fails early, with a message, when the server cannot be reached. */
static void ping(mongoc_client_pool_t *pool, const char *db)
{
    mongoc_client_t *c = mongoc_client_pool_pop(pool);
    bson_t cmd = BSON_INITIALIZER;
    bson_error_t e;
    BSON_APPEND_INT32(&cmd, "ping", 1);
    bool ok = mongoc_client_command_simple(c, db, &cmd, NULL, NULL, &e);
    bson_destroy(&cmd);
    mongoc_client_pool_push(pool, c);
    if (!ok) {
        fprintf(stderr, "limit: MongoDB cannot be reached: %s\n", e.message);
        exit(1);
    }
}

static void wait_started(struct shared *sh, int threads, const sigset_t *set)
{
    while (atomic_load(&sh->started) < threads) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10000000L};
        if (sigtimedwait(set, NULL, &ts) > 0) {
            atomic_store(&sh->stop, true);
            return;
        }
    }
    printf("ready %ld\n", (long)getpid());
    fflush(stdout);
    int sig;
    sigwait(set, &sig);
    atomic_store(&sh->stop, true);
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: limit URI DB COLLECTION TYPE THREADS SLEEP_MS POLL_MS\n");
        return 2;
    }
    int threads = parse_int(argv[5], "THREADS", 1, MAX_THREADS);
    struct shared sh = {.db = argv[2],
                        .coll = argv[3],
                        .type = argv[4],
                        .sleep_ms = parse_int(argv[6], "SLEEP_MS", 0, 60000),
                        .poll_ms = parse_int(argv[7], "POLL_MS", 1, 60000)};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the threads inherit it; main waits for them */

    mongoc_init();
    sh.pool = open_pool(argv[1], threads);
    ping(sh.pool, sh.db);
    pthread_t tids[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&tids[i], NULL, worker, &sh) != 0) {
            fprintf(stderr, "limit: cannot start thread %d of %d\n", i + 1, threads);
            return 1;
        }
    }
    wait_started(&sh, threads, &set);
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    long long first = atomic_load(&sh.first_mono), last = atomic_load(&sh.last_mono);
    double seconds = first > 0 && last > first ? (double)(last - first) / 1e9 : 0.0;
    printf("{\"tasks\": %ld, \"seconds\": %.6f, \"threads\": %d, \"errors\": %ld}\n",
           atomic_load(&sh.tasks), seconds, threads, atomic_load(&sh.errors));
    fflush(stdout);
    mongoc_client_pool_destroy(sh.pool);
    mongoc_cleanup();
    return 0;
}
