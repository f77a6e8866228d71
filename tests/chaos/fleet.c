#include "fleet.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"
#include "util.h"

#define RESTART_DELAY_MS    500
#define FAKETIME_VAR        512 /* room for one NAME=value of the faketime environment */
#define MAX_UNEXPECTED      20  /* a slot whose host keeps dying by itself is given up */
#define RECORD_PLUGIN_DIR_S TS_TEST_PLUGIN_DIR "/record"

struct slot {
    int idx;
    pthread_t thread;
    pid_t pid;   /* 0 while down */
    int gen;     /* generations started */
    int current; /* index into incs of the running incarnation, -1 while down */
    enum skew skew;
    enum end_reason planned; /* how the driver is ending the running incarnation */
    int unexpected;
    char *log;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct fleet_opts opts;
static struct slot slots[FLEET_MAX_HOSTS];
static struct incarnation *incs;
static int n_incs, cap_incs;
static bool stopping;

const char *skew_name(enum skew s)
{
    switch (s) {
    case SKEW_NONE: return "none";
    case SKEW_AHEAD: return "+30m";
    case SKEW_BEHIND: return "-30m";
    case SKEW_KINDS: break;
    }
    return "?";
}

/* ---- starting one incarnation (called with mu held) ---------------------------------- */

static char *write_config(const char *label, int slot)
{
    char *settings =
        chaos_printf("record: { log = \"%s\"; host = \"%s\"; };", opts.exec_log, label);
    struct ts_host_opts o = {
        .uri = opts.uri[slot],
        .database = opts.db,
        .host_id = label,
        .connect_timeout_ms = 2000,
        .max_concurrency = opts.max_concurrency,
        .poll_interval_ms = opts.poll_ms,
        .lease_ms = opts.lease_ms,
        .heartbeat_ms = opts.heartbeat_ms,
        .shutdown_grace_ms = 2000,
        .max_host_deaths = opts.max_host_deaths,
        .max_retries = opts.max_retries,
        .backoff_initial_ms = 50,
        .backoff_max_ms = 500,
        .backoff_jitter = 0.2,
        .plugin_dir = RECORD_PLUGIN_DIR_S,
        .plugin_settings = settings,
        .log_level = "debug",
    };
    char *path = ts_host_config(&o);
    free(settings);
    return path;
}

/* argv for the host: [ip netns exec NS] env -u TASKHOST_MONGODB_URI [LD_PRELOAD=libfaketime
 * FAKETIME=... ASAN_OPTIONS=...] taskhost run -c CONFIG. The faketime strings are written
 * into faketime. */
static int build_argv(const struct slot *s, const char *config, const char *argv[16],
                      char faketime[3][FAKETIME_VAR])
{
    int n = 0;
    if (opts.ns[s->idx]) {
        argv[n++] = "ip";
        argv[n++] = "netns";
        argv[n++] = "exec";
        argv[n++] = opts.ns[s->idx];
    }
    argv[n++] = "env";
    argv[n++] = "-u";
    argv[n++] = "TASKHOST_MONGODB_URI";
    if (s->skew != SKEW_NONE && opts.faketime_lib) {
        /* an ASan build refuses to start when another library is preloaded before it */
        const char *asan = getenv("ASAN_OPTIONS");
        snprintf(faketime[0], FAKETIME_VAR, "LD_PRELOAD=%s", opts.faketime_lib);
        snprintf(faketime[1], FAKETIME_VAR, "FAKETIME=%s", s->skew == SKEW_AHEAD ? "+30m" : "-30m");
        snprintf(faketime[2], FAKETIME_VAR, "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
                 asan ? asan : "", asan && *asan ? ":" : "");
        argv[n++] = faketime[0];
        argv[n++] = faketime[1];
        argv[n++] = faketime[2];
    }
    argv[n++] = TS_HOST_BIN;
    argv[n++] = "run";
    argv[n++] = "-c";
    argv[n++] = config;
    argv[n] = NULL;
    return n;
}

/* Appends "=== chaos: incarnation LABEL WHAT" to the host's log. */
static void append_marker(const char *log, const char *label, const char *what)
{
    FILE *f = fopen(log, "a");
    if (f == NULL)
        return;
    fprintf(f, "=== chaos: incarnation %s %s\n", label, what);
    fclose(f);
}

static void start_incarnation(struct slot *s)
{
    if (n_incs == cap_incs) {
        cap_incs = cap_incs ? cap_incs * 2 : 32;
        incs = chaos_xrealloc(incs, sizeof *incs * (size_t)cap_incs);
    }
    struct incarnation *inc = &incs[n_incs];
    memset(inc, 0, sizeof *inc);
    s->gen++;
    snprintf(inc->label, sizeof inc->label, "h%dg%d", s->idx, s->gen);
    inc->slot = s->idx;
    inc->gen = s->gen;
    inc->skew = s->skew;
    inc->end = END_RUNNING;
    char *config = write_config(inc->label, s->idx);
    const char *argv[16];
    char faketime[3][FAKETIME_VAR];
    build_argv(s, config, argv, faketime);
    char what[64];
    snprintf(what, sizeof what, "starts (clock %s)", skew_name(s->skew));
    append_marker(s->log, inc->label, what);
    inc->started_ms = chaos_wall_ms();
    s->pid = ts_spawn(argv, s->log);
    free(config);
    s->current = n_incs++;
    s->planned = END_UNEXPECTED;
    pthread_cond_broadcast(&changed);
}

/* ---- the supervisor ------------------------------------------------------------------ */

static void record_exit(struct slot *s, int status)
{
    struct incarnation *inc = &incs[s->current];
    inc->ended_ms = chaos_wall_ms();
    inc->status = status;
    inc->end = s->planned;
    if (s->planned == END_UNEXPECTED) {
        s->unexpected++;
        chaos_note("UNEXPECTED: host %s exited by itself with status %d (log %s)", inc->label,
                   status, s->log);
    }
    append_marker(s->log, inc->label,
                  s->planned == END_UNEXPECTED ? "ended by itself" : "ended by the driver");
    s->pid = 0;
    s->current = -1;
    pthread_cond_broadcast(&changed);
}

static void *supervise(void *arg)
{
    struct slot *s = arg;
    for (;;) {
        pthread_mutex_lock(&mu);
        bool give_up = stopping || s->unexpected >= MAX_UNEXPECTED;
        if (!give_up)
            start_incarnation(s);
        pid_t pid = s->pid;
        pthread_mutex_unlock(&mu);
        if (give_up)
            break;
        int status;
        while ((status = ts_wait_exit(pid, 200)) < 0) {
        }
        pthread_mutex_lock(&mu);
        record_exit(s, status);
        bool stop = stopping;
        pthread_mutex_unlock(&mu);
        if (stop)
            break;
        chaos_sleep_ms(RESTART_DELAY_MS);
    }
    return NULL;
}

void fleet_start(const struct fleet_opts *o)
{
    opts = *o;
    for (int i = 0; i < o->n; i++) {
        struct slot *s = &slots[i];
        s->idx = i;
        s->current = -1;
        s->log = chaos_printf("%s/host-%d.log", o->run_dir, i);
        if (pthread_create(&s->thread, NULL, supervise, s) != 0)
            abort();
    }
}

/* ---- faults -------------------------------------------------------------------------- */

/* With mu held: the running incarnation's label into label, or false. */
static bool running_label(const struct slot *s, char *label, size_t len)
{
    if (s->pid <= 0 || s->current < 0)
        return false;
    snprintf(label, len, "%s", incs[s->current].label);
    return true;
}

bool fleet_current(int slot, char *label, size_t len)
{
    pthread_mutex_lock(&mu);
    bool ok = running_label(&slots[slot], label, len);
    pthread_mutex_unlock(&mu);
    return ok;
}

bool fleet_kill(int slot, char *label, size_t len)
{
    struct slot *s = &slots[slot];
    pthread_mutex_lock(&mu);
    bool ok = running_label(s, label, len);
    if (ok) {
        s->planned = END_KILLED;
        ts_kill_group(s->pid, SIGKILL);
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

bool fleet_pause(int slot, char *label, size_t len)
{
    struct slot *s = &slots[slot];
    pthread_mutex_lock(&mu);
    bool ok = running_label(s, label, len);
    if (ok)
        ts_kill_group(s->pid, SIGSTOP);
    pthread_mutex_unlock(&mu);
    return ok;
}

void fleet_resume(int slot)
{
    struct slot *s = &slots[slot];
    pthread_mutex_lock(&mu);
    if (s->pid > 0)
        ts_kill_group(s->pid, SIGCONT);
    pthread_mutex_unlock(&mu);
}

static bool wait_changed(int64_t deadline_ms)
{
    int64_t left = deadline_ms - chaos_wall_ms();
    if (left <= 0)
        return false;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&changed, &mu, &ts);
    return true;
}

bool fleet_restart_with(int slot, enum skew skew, int timeout_ms, char *old_label, char *new_label,
                        size_t len)
{
    struct slot *s = &slots[slot];
    int64_t deadline = chaos_wall_ms() + timeout_ms;
    pthread_mutex_lock(&mu);
    bool ok = running_label(s, old_label, len);
    if (ok) {
        int old = s->current;
        s->skew = skew;
        s->planned = END_RESTARTED;
        ts_kill(s->pid, SIGTERM);
        while (!(s->current >= 0 && s->current != old) && wait_changed(deadline)) {
        }
        ok = running_label(s, new_label, len) && s->current != old;
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

enum skew fleet_skew(int slot)
{
    pthread_mutex_lock(&mu);
    enum skew k = slots[slot].skew;
    pthread_mutex_unlock(&mu);
    return k;
}

int fleet_stop(int timeout_ms)
{
    pthread_mutex_lock(&mu);
    stopping = true;
    for (int i = 0; i < opts.n; i++) {
        struct slot *s = &slots[i];
        if (s->pid > 0) {
            s->planned = END_FINAL;
            ts_kill_group(s->pid, SIGCONT);
            ts_kill(s->pid, SIGTERM);
        }
    }
    int64_t deadline = chaos_wall_ms() + timeout_ms;
    int killed = 0;
    for (;;) {
        int up = 0;
        for (int i = 0; i < opts.n; i++)
            up += slots[i].pid > 0;
        if (up == 0 || !wait_changed(deadline))
            break;
    }
    for (int i = 0; i < opts.n; i++) {
        if (slots[i].pid > 0) {
            chaos_note("host %s did not stop %d ms after SIGTERM: SIGKILL",
                       incs[slots[i].current].label, timeout_ms);
            ts_kill_group(slots[i].pid, SIGKILL);
            killed++;
        }
    }
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < opts.n; i++)
        pthread_join(slots[i].thread, NULL);
    return killed;
}

int fleet_incarnations(struct incarnation **out)
{
    pthread_mutex_lock(&mu);
    int n = n_incs;
    *out = chaos_xmalloc(sizeof **out * (size_t)(n > 0 ? n : 1));
    if (n > 0)
        memcpy(*out, incs, sizeof **out * (size_t)n);
    pthread_mutex_unlock(&mu);
    return n;
}

const char *fleet_host_log(int slot)
{
    return slots[slot].log;
}
