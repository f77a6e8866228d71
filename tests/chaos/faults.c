#include "faults.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "tail.h"
#include "ts.h"
#include "util.h"

#define MAX_FAULTS 512

struct injector {
    struct fault_opts o;
    uint64_t rng;
    struct fault list[MAX_FAULTS];
    int n;
    int next_skew; /* the clock the next skew fault gives */
    pthread_t thread;
};

static struct injector inj;

const char *fault_kind_name(enum fault_kind k)
{
    static const char *const names[FAULT_KINDS] = {"kill",       "pause",     "cut",
                                                   "db_restart", "db_outage", "skew"};
    return k < FAULT_KINDS ? names[k] : "?";
}

/* A random running host, preferring those with executions in flight (and, for skew, those
 * whose clock is right); -1 when none runs. */
static int pick_host(bool for_skew)
{
    int busy[FLEET_MAX_HOSTS], n_busy = 0, up[FLEET_MAX_HOSTS], n_up = 0;
    for (int i = 0; i < inj.o.n_hosts; i++) {
        char label[FLEET_LABEL];
        if (!fleet_current(i, label, sizeof label))
            continue;
        if (for_skew && fleet_skew(i) != SKEW_NONE)
            continue;
        up[n_up++] = i;
        if (tail_in_flight(label) > 0)
            busy[n_busy++] = i;
    }
    if (n_busy > 0)
        return busy[chaos_rand_range(&inj.rng, 0, n_busy - 1)];
    if (n_up > 0)
        return up[chaos_rand_range(&inj.rng, 0, n_up - 1)];
    return for_skew ? pick_host(false) : -1;
}

/* Waits (up to 10 s) for a host to pick. */
static int wait_host(bool for_skew)
{
    for (int i = 0; i < 50; i++) {
        int h = pick_host(for_skew);
        if (h >= 0)
            return h;
        chaos_sleep_ms(200);
    }
    return -1;
}

static void hold_for(int64_t ms)
{
    chaos_sleep_ms(ms);
}

static void do_kill(struct fault *f)
{
    f->slot = wait_host(false);
    f->t0 = chaos_wall_ms();
    f->ok = f->slot >= 0 && fleet_kill(f->slot, f->label, sizeof f->label);
    f->t1 = f->t0;
}

static void do_pause(struct fault *f)
{
    f->slot = wait_host(false);
    f->t0 = chaos_wall_ms();
    f->ok = f->slot >= 0 && fleet_pause(f->slot, f->label, sizeof f->label);
    if (f->ok) {
        hold_for(inj.o.lease_ms + chaos_rand_range(&inj.rng, 1500, 2500));
        fleet_resume(f->slot);
    }
    f->t1 = chaos_wall_ms();
}

static void do_cut(struct fault *f)
{
    f->slot = wait_host(false);
    if (f->slot < 0 || !fleet_current(f->slot, f->label, sizeof f->label)) {
        f->t0 = f->t1 = chaos_wall_ms();
        return;
    }
    const struct net *net = inj.o.net;
    f->t0 = chaos_wall_ms();
    f->ok = net->netns ? net_cut(net, f->slot, true) : (proxy_blackhole(f->slot, true), true);
    if (f->ok) {
        hold_for(inj.o.lease_ms + chaos_rand_range(&inj.rng, 2000, 3000));
        if (net->netns)
            f->ok = net_cut(net, f->slot, false);
        else
            proxy_blackhole(f->slot, false);
    }
    f->t1 = chaos_wall_ms();
}

static void do_db(struct fault *f, bool outage)
{
    f->slot = -1;
    snprintf(f->label, sizeof f->label, "server");
    f->t0 = chaos_wall_ms();
    if (outage) {
        ts_server_stop();
        hold_for(inj.o.lease_ms + chaos_rand_range(&inj.rng, 1500, 2500));
        ts_server_start_again();
    } else {
        ts_server_restart();
    }
    f->t1 = chaos_wall_ms();
    f->ok = true;
}

static void do_skew(struct fault *f)
{
    f->slot = wait_host(true);
    f->skew = (enum skew)(1 + inj.next_skew++ % (SKEW_KINDS - 1));
    f->t0 = chaos_wall_ms();
    f->ok = f->slot >= 0 &&
            fleet_restart_with(f->slot, f->skew, 30000, f->label, f->new_label, sizeof f->label);
    f->t1 = chaos_wall_ms();
}

static void inject(struct fault *f)
{
    switch (f->kind) {
    case FAULT_KILL: do_kill(f); break;
    case FAULT_PAUSE: do_pause(f); break;
    case FAULT_CUT: do_cut(f); break;
    case FAULT_DB_RESTART: do_db(f, false); break;
    case FAULT_DB_OUTAGE: do_db(f, true); break;
    case FAULT_SKEW: do_skew(f); break;
    case FAULT_KINDS: break;
    }
    if (f->kind == FAULT_SKEW)
        chaos_note("fault %-10s %s -> %s with clock %s (%.1f s)%s", fault_kind_name(f->kind),
                   f->label, f->new_label, skew_name(f->skew), (double)(f->t1 - f->t0) / 1000.0,
                   f->ok ? "" : " FAILED");
    else
        chaos_note("fault %-10s %s (%.1f s)%s", fault_kind_name(f->kind),
                   f->label[0] ? f->label : "-", (double)(f->t1 - f->t0) / 1000.0,
                   f->ok ? "" : " FAILED");
}

/* The plan: every kind as often as asked, in a random order. */
static void plan(void)
{
    inj.n = 0;
    for (int k = 0; k < FAULT_KINDS; k++)
        for (int i = 0; i < inj.o.count[k] && inj.n < MAX_FAULTS; i++)
            inj.list[inj.n++] = (struct fault){.kind = (enum fault_kind)k, .slot = -1};
    for (int i = inj.n - 1; i > 0; i--) {
        int j = chaos_rand_range(&inj.rng, 0, i);
        struct fault tmp = inj.list[i];
        inj.list[i] = inj.list[j];
        inj.list[j] = tmp;
    }
}

static void *injector_main(void *arg)
{
    (void)arg;
    int64_t start = chaos_wall_ms() + inj.o.start_ms;
    int64_t spacing = inj.n > 0 ? inj.o.window_ms / inj.n : 0;
    for (int i = 0; i < inj.n; i++) {
        int64_t at = start + i * spacing + chaos_rand_range(&inj.rng, 0, (int)(spacing / 3));
        chaos_sleep_ms(at - chaos_wall_ms());
        inject(&inj.list[i]);
    }
    return NULL;
}

void faults_start(const struct fault_opts *o)
{
    inj.o = *o;
    inj.rng = o->seed ? o->seed : 1;
    plan();
    if (pthread_create(&inj.thread, NULL, injector_main, NULL) != 0)
        abort();
}

int faults_join(struct fault **out)
{
    pthread_join(inj.thread, NULL);
    *out = chaos_xmalloc(sizeof **out * (size_t)(inj.n > 0 ? inj.n : 1));
    memcpy(*out, inj.list, sizeof **out * (size_t)inj.n);
    return inj.n;
}
