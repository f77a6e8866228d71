#include "sched/claimer.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "sched/attempt.h"
#include "sched/backoff.h"
#include "sched/sched.h"
#include "store/claim.h"
#include "store/finish.h"
#include "store/bury.h"
#include "store/intake.h"

struct claimer {
    struct sched *s;
    const char **free_types; /* owned, `capacity` entries */
    int capacity;
    int64_t idle_ms; /* current idle wait */
    int64_t next_intake_mono;
    int64_t next_bury_mono;
    bool db_down;
    bool single_next;    /* a batch read tasks but leased none: claim one, atomically */
    uint64_t rng;        /* spreads batch claims of hosts over equal candidates */
    struct claim *batch; /* owned, CLAIM_BATCH_MAX entries */
};

static void intake(struct claimer *c)
{
    struct sched *s = c->s;
    if (clock_mono_ms() < c->next_intake_mono)
        return;
    c->next_intake_mono = clock_mono_ms() + s->cfg->poll_interval_ms;
    struct error err = {0};
    const char **types;
    int n_types = sched_copy_types(s, &types);
    if (n_types < 0)
        return;
    int n = store_intake(s->store, types, n_types, &err);
    if (n > 0)
        log_info("intake", "took in %d new task(s) inserted without a state", n);
    if (clock_mono_ms() < c->next_bury_mono) {
        free(types);
        return;
    }
    /* Malformed documents are rare: look for them every 10 poll intervals. */
    c->next_bury_mono = clock_mono_ms() + 10 * s->cfg->poll_interval_ms;
    n = store_bury_malformed(s->store, types, n_types, s->cfg->host_id, server_clock_now_ms(),
                             &err);
    if (n > 0)
        log_warn("intake",
                 "marked %d malformed task document(s) dead (errors[].kind = "
                 "\"malformed\" says why)",
                 n);
    free(types);
}

/* Gives a claimed task straight back (state queued, attempt not counted):
 * a reload removed its type between the claim and now. */
static void hand_back(struct claimer *c, struct claim *cl)
{
    struct finish f = {.kind = FINISH_RELEASE,
                       .attempts = -1,
                       .host_deaths = -1,
                       .run_at_ms = server_clock_now_ms(),
                       .now_ms = server_clock_now_ms()};
    struct error err = {0};
    if (store_finish(c->s->store, &cl->doc.id, &cl->token, &f, &err) < 0)
        log_msg(LOG_WARN, "claim", cl->doc.id_str,
                "could not hand back a task whose plugin was just removed (%s); its lease "
                "will expire",
                err.msg);
    claim_destroy(cl);
}

/* Hands a claimed task to a worker. */
static void dispatch(struct claimer *c, struct claim *cl)
{
    struct sched *s = c->s;
    const char *type = cl->doc.type;
    struct plugin *p = sched_take_plugin(s, type);
    if (p == NULL || !slots_acquire(&s->slots, type)) {
        if (p != NULL)
            atomic_fetch_sub(&p->running, 1);
        hand_back(c, cl);
        return;
    }
    int max_retries =
        cl->doc.max_retries >= 0 ? cl->doc.max_retries : config_type_max_retries(s->cfg, type);
    struct attempt *a = attempt_new(cl, p, max_retries, config_type_timeout_ms(s->cfg, type));
    atomic_fetch_add(&s->counters.claimed, 1);
    pool_submit(&s->pool, a);
}

static void on_error(struct claimer *c, const struct error *err)
{
    if (!c->db_down)
        log_warn("claim", "%s; retrying with backoff", err->msg);
    c->db_down = true;
    c->idle_ms = backoff_idle_next_ms(c->idle_ms < 100 ? 100 : c->idle_ms, 5000);
    sched_sleep(c->s, c->idle_ms);
}

/* Claims up to `room` tasks into c->batch: one findAndModify when a single
 * slot is free (or a batch just lost every task it read to other hosts), a
 * batch claim otherwise. Returns how many, -1 with err; *seen as for
 * store_claim_batch. */
static int claim(struct claimer *c, const struct claim_request *req, int room, int *seen,
                 struct error *err)
{
    if (room <= 1 || c->single_next) {
        c->single_next = false;
        int rc = store_claim(c->s->store, req, &c->batch[0], err);
        *seen = rc;
        return rc;
    }
    int rc = store_claim_batch(c->s->store, req, room, c->batch, seen, err);
    c->single_next = rc == 0 && *seen > 0;
    return rc;
}

/* Tells the watcher whether the claimer is waiting for work. */
static void set_idle(struct sched *s, bool idle)
{
    int64_t since = atomic_load(&s->idle_since_mono);
    if (idle && since == 0)
        atomic_store(&s->idle_since_mono, clock_mono_ms());
    else if (!idle && since != 0) {
        atomic_store(&s->busy_since_mono, clock_mono_ms());
        atomic_store(&s->idle_since_mono, 0);
    }
}

/* Claims when a slot is free, or waits for one. */
static void step(struct claimer *c)
{
    struct sched *s = c->s;
    uint64_t gen;
    int cap = slots_capacity(&s->slots);
    if (cap > c->capacity) { /* a reload added types */
        const char **bigger = realloc(c->free_types, sizeof *bigger * (size_t)cap);
        if (bigger == NULL) {
            sched_sleep(s, 100);
            return;
        }
        c->free_types = bigger;
        c->capacity = cap;
    }
    int n = slots_free_types(&s->slots, c->free_types, &gen);
    if (n == 0) {
        set_idle(s, false);
        slots_wait(&s->slots, gen, s->cfg->poll_interval_ms);
        return;
    }
    if (!server_clock_synced(NULL)) {
        /* No measurement of the server's clock yet (the start-up heartbeat
         * failed): a lease computed from this machine's clock could be off
         * by any amount, so wait for the heartbeat thread to get one. */
        sched_sleep(s, 200);
        return;
    }
    intake(c);
    struct claim_request req = {.types = c->free_types,
                                .n_types = n,
                                .host_id = s->cfg->host_id,
                                .now_ms = server_clock_now_ms(),
                                .lease_ms = s->cfg->lease_ms,
                                .rng = &c->rng};
    struct error err = {0};
    int seen = 0;
    int got = claim(c, &req, slots_batch_room(&s->slots), &seen, &err);
    if (got < 0) {
        on_error(c, &err);
        return;
    }
    if (c->db_down)
        log_info("claim", "MongoDB is reachable again; claiming");
    c->db_down = false;
    for (int i = 0; i < got; i++)
        dispatch(c, &c->batch[i]);
    set_idle(s, seen == 0);
    if (seen > 0) { /* more may be waiting: no sleep */
        c->idle_ms = 0;
        return;
    }
    c->idle_ms = backoff_idle_next_ms(c->idle_ms, s->cfg->poll_interval_ms);
    slots_wait(&s->slots, gen, c->idle_ms); /* a wake-up or a freed slot ends it early */
}

void *claimer_main(void *arg)
{
    struct claimer c = {.s = arg,
                        .rng = (uint64_t)clock_mono_ms() ^ ((uint64_t)getpid() << 32) ^
                               (uint64_t)(uintptr_t)&c};
    c.capacity = slots_capacity(&c.s->slots);
    c.free_types = calloc((size_t)c.capacity + 1, sizeof *c.free_types);
    c.batch = calloc(CLAIM_BATCH_MAX, sizeof *c.batch);
    if (c.free_types == NULL || c.batch == NULL)
        abort();
    while (sched_phase(c.s) == SCHED_RUNNING)
        step(&c);
    free(c.free_types);
    free(c.batch);
    return NULL;
}
