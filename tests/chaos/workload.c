#include "workload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "ts.h"
#include "util.h"

#define BATCH_EVERY_MS 100
#define DUP_KEY        11000
#define GIVE_UP_MS     60000 /* a server refusing inserts this long is broken */

const char *task_kind_name(enum task_kind k)
{
    static const char *const names[TASK_KINDS] = {"quick", "slow", "flaky", "permanent", "doomed"};
    return k < TASK_KINDS ? names[k] : "?";
}

/* The mix: 68% quick, 12% slow, 15% flaky, 2.5% permanent, 2.5% doomed. */
static enum task_kind draw_kind(uint64_t *rng)
{
    int r = chaos_rand_range(rng, 0, 999);
    if (r < 680)
        return TASK_QUICK;
    if (r < 800)
        return TASK_SLOW;
    if (r < 950)
        return TASK_FLAKY;
    return r < 975 ? TASK_PERMANENT : TASK_DOOMED;
}

static void draw_task(struct task_spec *t, int id, int intake_percent, uint64_t *rng)
{
    memset(t, 0, sizeof *t);
    t->id = id;
    t->kind = draw_kind(rng);
    t->intake = chaos_chance(rng, intake_percent);
    switch (t->kind) {
    case TASK_QUICK: t->ms = chaos_rand_range(rng, 0, 20); break;
    case TASK_SLOW: t->ms = chaos_rand_range(rng, 1000, 4000); break;
    case TASK_FLAKY:
        t->fail_times = chaos_rand_range(rng, 1, 2);
        t->ms =
            chaos_chance(rng, 20) ? chaos_rand_range(rng, 200, 1000) : chaos_rand_range(rng, 0, 20);
        break;
    case TASK_PERMANENT:
        t->fail_times = chaos_rand_range(rng, 0, 1);
        t->ms = chaos_rand_range(rng, 0, 20);
        t->expect_dead = true;
        break;
    case TASK_DOOMED:
        t->max_retries = 2;
        t->fail_times = chaos_rand_range(rng, 2, 3);
        t->ms = chaos_rand_range(rng, 0, 20);
        t->expect_dead = true;
        break;
    case TASK_KINDS: break;
    }
}

void workload_make(struct workload *w, int n, int intake_percent, uint64_t *rng)
{
    w->n = n;
    w->t = chaos_xmalloc(sizeof *w->t * (size_t)n);
    for (int i = 0; i < n; i++)
        draw_task(&w->t[i], i + 1, intake_percent, rng);
}

void workload_free(struct workload *w)
{
    free(w->t);
    w->t = NULL;
    w->n = 0;
}

/* ---- documents ----------------------------------------------------------------------- */

static void append_payload(bson_t *doc, const struct task_spec *t)
{
    bson_t p;
    BSON_APPEND_DOCUMENT_BEGIN(doc, "payload", &p);
    BSON_APPEND_INT32(&p, "ms", t->ms);
    if (t->fail_times > 0)
        BSON_APPEND_INT32(&p, "fail_times", t->fail_times);
    if (t->kind == TASK_PERMANENT)
        BSON_APPEND_BOOL(&p, "permanent", true);
    bson_append_document_end(doc, &p);
}

/* The task as a producer writes it: the full queued form, or (intake) type and payload. */
static void task_doc(bson_t *doc, const struct task_spec *t, int64_t now_ms)
{
    bson_init(doc);
    BSON_APPEND_INT32(doc, "_id", t->id);
    BSON_APPEND_UTF8(doc, "type", "rec");
    append_payload(doc, t);
    if (t->max_retries > 0)
        BSON_APPEND_INT32(doc, "max_retries", t->max_retries);
    if (t->intake)
        return;
    BSON_APPEND_UTF8(doc, "state", "queued");
    BSON_APPEND_INT32(doc, "priority", 0);
    BSON_APPEND_INT32(doc, "attempts", 0);
    BSON_APPEND_DATE_TIME(doc, "run_at", now_ms);
    BSON_APPEND_DATE_TIME(doc, "created_at", now_ms);
}

/* ---- the producer -------------------------------------------------------------------- */

struct producer {
    const struct workload *w;
    const char *db;
    int spread_ms;
    int inserted;
    pthread_t thread;
};

static struct producer prod;

/* Inserts one task; true when it is in the collection (inserted now or before). */
static bool insert_one(mongoc_collection_t *coll, const struct task_spec *t)
{
    bson_t doc;
    task_doc(&doc, t, chaos_wall_ms());
    bson_error_t err;
    bool ok = mongoc_collection_insert_one(coll, &doc, NULL, NULL, &err);
    bson_destroy(&doc);
    return ok || err.code == DUP_KEY;
}

/* Inserts tasks [from, to) in one bulk write; on any failure, one by one until each is in.
 * False when the server refused an insert for GIVE_UP_MS. */
static bool insert_batch(mongoc_collection_t *coll, const struct workload *w, int from, int to)
{
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &opts);
    int64_t now = chaos_wall_ms();
    for (int i = from; i < to; i++) {
        bson_t doc;
        task_doc(&doc, &w->t[i], now);
        mongoc_bulk_operation_insert(bulk, &doc);
        bson_destroy(&doc);
    }
    bson_error_t err;
    bool ok = mongoc_bulk_operation_execute(bulk, NULL, &err) != 0;
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(&opts);
    for (int i = from; !ok && i < to; i++) {
        int64_t give_up = chaos_wall_ms() + GIVE_UP_MS;
        while (!insert_one(coll, &w->t[i])) {
            if (chaos_wall_ms() > give_up) {
                fprintf(stderr, "chaos: the test server refused to insert task %d for %d s\n",
                        w->t[i].id, GIVE_UP_MS / 1000);
                return false;
            }
            chaos_sleep_ms(200); /* the server is down: wait for it */
        }
    }
    return true;
}

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    mongoc_client_t *client = ts_client_new("serverSelectionTimeoutMS=2000");
    mongoc_collection_t *coll = mongoc_client_get_collection(client, p->db, "tasks");
    int64_t start = chaos_wall_ms();
    int done = 0;
    while (done < p->w->n) {
        int64_t elapsed = chaos_wall_ms() - start;
        int due = p->spread_ms > 0 ? (int)((int64_t)p->w->n * elapsed / p->spread_ms) : p->w->n;
        if (due > p->w->n)
            due = p->w->n;
        if (due > done) {
            if (!insert_batch(coll, p->w, done, due))
                break;
            done = due;
        }
        if (done < p->w->n)
            chaos_sleep_ms(BATCH_EVERY_MS);
    }
    p->inserted = done;
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    return NULL;
}

void producer_start(const struct workload *w, const char *db, int spread_ms)
{
    prod = (struct producer){.w = w, .db = db, .spread_ms = spread_ms};
    if (pthread_create(&prod.thread, NULL, producer_main, &prod) != 0)
        abort();
}

int producer_join(void)
{
    pthread_join(prod.thread, NULL);
    return prod.inserted;
}
