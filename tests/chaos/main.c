/*
 * chaos: the fault harness of taskhost (see docs/reliability.md). Starts hosts, inserts
 * tasks while injecting faults, then judges what happened from the execution log, the hosts'
 * logs and the database, and prints the figures.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "check.h"
#include "evidence.h"
#include "faults.h"
#include "figures.h"
#include "fleet.h"
#include "net.h"
#include "options.h"
#include "proxy.h"
#include "tail.h"
#include "ts.h"
#include "util.h"
#include "workload.h"

#define FAKETIME_LIB   "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
#define RECORD_PLUGIN  TS_TEST_PLUGIN_DIR "/record/record.so"
#define STOP_WAIT_MS   20000
#define READY_WAIT_MS  60000
#define FAULT_START_MS 3000
#define ARCHIVE_AGE_MS 15000 /* tasks final for this long leave the collection (archive.h) */

struct run {
    struct chaos_options o;
    const char *server_uri;
    int server_port;
    char *dir, *exec_log, *db;
    struct net net;
    char *uris[FLEET_MAX_HOSTS];
    struct workload w;
    struct db_task *tasks; /* tasks[id - 1]: the final documents (archived, then read) */
    struct fault *faults;
    int n_faults;
    int early_violations; /* found before the checks (hosts that would not stop, bad lines) */
    int64_t started_ms;
};

/* ---- setting up ---------------------------------------------------------------------- */

static bool server_ready(struct run *r)
{
    r->server_uri = ts_server_uri_or_skip();
    if (!ts_server_can_restart()) {
        printf("chaos: SKIP: the fault harness restarts the database, so it needs the private "
               "test server: unset MONGODB_URI\n");
        return false;
    }
    const char *colon = strrchr(r->server_uri, ':');
    r->server_port = colon ? atoi(colon + 1) : 0;
    if (r->server_port <= 0) {
        fprintf(stderr, "chaos: cannot read the port of the test server's URI %s\n", r->server_uri);
        exit(1);
    }
    return true;
}

/* Forwarders for every host, and the URIs the hosts use. */
static bool open_forwarders(struct run *r)
{
    for (int i = 0; i < r->o.hosts && r->o.direct; i++)
        r->uris[i] = chaos_printf("%s", r->server_uri);
    if (r->o.direct)
        return true;
    for (int i = 0; i < r->o.hosts; i++) {
        int port = proxy_open(i, r->net.h[i].addr_root, r->server_port);
        if (port < 0)
            return false;
        r->uris[i] = chaos_printf("mongodb://%s:%d", r->net.h[i].addr_root, port);
    }
    return true;
}

static void describe(const struct run *r, const char *faketime)
{
    chaos_note("%s form: %d hosts, %d tasks over %d s, lease %d ms, heartbeat %d ms, seed %llu",
               r->o.long_form ? "long" : "short", r->o.hosts, r->o.tasks, r->o.seconds,
               r->o.lease_ms, r->o.heartbeat_ms, (unsigned long long)r->o.seed);
    if (r->o.direct)
        chaos_note("NOTE: --direct: the hosts share loopback and connect to the server "
                   "directly; no network cuts");
    else if (r->net.netns)
        chaos_note("each host runs in its own network namespace (%s..., %s/30 ...); the "
                   "server is reached through a forwarder on the root side",
                   r->net.h[0].ns, r->net.h[0].addr_ns);
    else
        chaos_note("NOTE: no network namespaces (%s): the hosts share loopback; a network cut "
                   "is made by the host's forwarder dropping its traffic instead",
                   r->net.why_not);
    if (!faketime)
        chaos_note("NOTE: %s is missing (Debian package libfaketime): no clock-skew faults",
                   FAKETIME_LIB);
    chaos_note("run directory %s, database %s, server %s", r->dir, r->db, r->server_uri);
}

struct ready_arg {
    int n;
};

static bool all_ready(void *arg)
{
    const struct ready_arg *a = arg;
    for (int i = 0; i < a->n; i++)
        if (!ts_file_contains(fleet_host_log(i), "start: taskhost "))
            return false;
    return true;
}

static void start_fleet(struct run *r, const char *faketime)
{
    struct fleet_opts fo = {.n = r->o.hosts,
                            .db = r->db,
                            .run_dir = r->dir,
                            .exec_log = r->exec_log,
                            .lease_ms = r->o.lease_ms,
                            .heartbeat_ms = r->o.heartbeat_ms,
                            .max_concurrency = r->o.max_concurrency,
                            .max_retries = r->o.max_retries,
                            .max_host_deaths = r->o.max_host_deaths,
                            .poll_ms = r->o.poll_ms,
                            .faketime_lib = faketime};
    for (int i = 0; i < r->o.hosts; i++) {
        fo.uri[i] = r->uris[i];
        fo.ns[i] = r->net.netns ? r->net.h[i].ns : NULL;
    }
    fleet_start(&fo);
    struct ready_arg a = {r->o.hosts};
    if (!ts_wait_until(all_ready, &a, READY_WAIT_MS))
        chaos_note("not every host said it started within %d s (logs in %s)", READY_WAIT_MS / 1000,
                   r->dir);
    else
        chaos_note("%d hosts run", r->o.hosts);
}

static bool set_up(struct run *r)
{
    if (!server_ready(r))
        return false;
    if (access(RECORD_PLUGIN, R_OK) != 0) {
        fprintf(stderr, "chaos: the record plugin %s is not built\n", RECORD_PLUGIN);
        exit(1);
    }
    const char *faketime = access(FAKETIME_LIB, R_OK) == 0 ? FAKETIME_LIB : NULL;
    if (!faketime)
        r->o.faults[FAULT_SKEW] = 0;
    if (r->o.direct)
        r->o.faults[FAULT_CUT] = 0;
    r->dir = ts_temp_dir();
    r->exec_log = chaos_printf("%s/exec.log", r->dir);
    r->db = ts_unique_db("chaos");
    char *net_log = chaos_printf("%s/net.log", r->dir);
    net_setup(&r->net, r->o.hosts, r->o.loopback, net_log);
    free(net_log);
    describe(r, faketime);
    if (!open_forwarders(r)) {
        fprintf(stderr, "chaos: cannot open the forwarders\n");
        exit(1);
    }
    tail_start(r->exec_log);
    start_fleet(r, faketime);
    return true;
}

/* ---- running ------------------------------------------------------------------------- */

/* Tasks final: in the collection, and archived. */
static int64_t final_count(const struct run *r)
{
    return ts_count(r->db, "tasks", "{\"state\": {\"$in\": [\"done\", \"dead\"]}}") +
           archive_count();
}

static void wait_final(struct run *r)
{
    int64_t deadline = chaos_wall_ms() + (int64_t)r->o.drain_s * 1000;
    int64_t next_note = 0;
    int64_t n;
    while ((n = final_count(r)) < r->o.tasks && chaos_wall_ms() < deadline) {
        if (chaos_wall_ms() >= next_note) {
            chaos_note("%lld of %d tasks final", (long long)n, r->o.tasks);
            next_note = chaos_wall_ms() + 10000;
        }
        chaos_sleep_ms(250);
    }
    chaos_note("%lld of %d tasks final%s", (long long)n, r->o.tasks,
               n < r->o.tasks ? " (gave up waiting)" : "");
}

static void run_workload(struct run *r)
{
    uint64_t rng = r->o.seed;
    workload_make(&r->w, r->o.tasks, r->o.intake_percent, &rng);
    struct fault_opts fo = {.start_ms = FAULT_START_MS,
                            .window_ms = r->o.seconds * 1000 - FAULT_START_MS,
                            .lease_ms = r->o.lease_ms,
                            .n_hosts = r->o.hosts,
                            .net = &r->net,
                            .seed = r->o.seed * 31 + 7};
    memcpy(fo.count, r->o.faults, sizeof fo.count);
    r->tasks = calloc((size_t)r->o.tasks, sizeof *r->tasks);
    if (r->tasks == NULL)
        abort();
    archive_start(r->db, r->o.tasks, ARCHIVE_AGE_MS, r->tasks);
    /* the last tasks go in as the last faults land, so that those faults hit work too */
    producer_start(&r->w, r->db, r->o.seconds * 1000 - FAULT_START_MS);
    faults_start(&fo);
    int inserted = producer_join();
    chaos_note("inserted %d tasks", inserted);
    if (inserted < r->o.tasks) {
        printf("chaos: ERROR: the test server stopped accepting inserts (its data and log are "
               "kept: see the ts: lines below): this run says nothing about taskhost\n");
        setenv("TS_KEEP_TMP", "1", 1);
        exit(1);
    }
    r->n_faults = faults_join(&r->faults);
    chaos_note("all %d faults injected", r->n_faults);
    wait_final(r);
    chaos_note("%d tasks were archived during the run", archive_stop());
}

static void tear_down(struct run *r)
{
    int killed = fleet_stop(STOP_WAIT_MS);
    if (killed > 0) {
        r->early_violations++;
        printf("VIOLATION: %d host(s) did not stop within %d s of SIGTERM\n", killed,
               STOP_WAIT_MS / 1000);
    }
    int malformed = tail_stop();
    if (malformed > 0) {
        r->early_violations++;
        printf("VIOLATION: %d malformed line(s) in the execution log\n", malformed);
    }
    proxy_close_all();
    net_teardown();
}

/* ---- judging ------------------------------------------------------------------------- */

static int judge(struct run *r)
{
    struct db_task *db = r->tasks;
    int *done_logs = calloc((size_t)r->o.tasks, sizeof *done_logs);
    if (done_logs == NULL)
        abort();
    struct check_figures fig = {.violations = r->early_violations};
    int others = evidence_load_tasks(r->db, r->o.tasks, db);
    if (others != 0)
        check_violation(&fig,
                        "%d document(s) in the tasks collection are not the run's tasks "
                        "(or it could not be read)",
                        others);
    for (int i = 0; i < r->o.hosts; i++)
        evidence_count_done_logs(fleet_host_log(i), r->o.tasks, done_logs);
    struct exec_line *lines;
    int n_lines = tail_snapshot(&lines);
    struct execution *ex;
    int orphans;
    int n_ex = evidence_executions(lines, n_lines, &ex, &orphans);
    if (orphans > 0)
        check_violation(&fig, "%d end line(s) in the execution log have no start line", orphans);
    struct incarnation *incs;
    int n_incs = fleet_incarnations(&incs);
    int *reexec = calloc((size_t)r->n_faults + 1, sizeof *reexec);
    if (reexec == NULL)
        abort();
    struct check_input in = {.w = &r->w,
                             .ex = ex,
                             .n_ex = n_ex,
                             .db = db,
                             .done_logs = done_logs,
                             .faults = r->faults,
                             .n_faults = r->n_faults,
                             .reexec_by_fault = reexec,
                             .incs = incs,
                             .n_incs = n_incs,
                             .lease_ms = r->o.lease_ms,
                             .max_retries = r->o.max_retries,
                             .max_host_deaths = r->o.max_host_deaths};
    check_run(&in, &fig);
    int64_t *recover = chaos_xmalloc(sizeof *recover * (size_t)(r->n_faults + 1));
    int *in_flight = chaos_xmalloc(sizeof *in_flight * (size_t)(r->n_faults + 1));
    figures_recovery(r->faults, r->n_faults, ex, n_ex, recover, in_flight);
    struct run_summary s = {.mode = r->net.netns ? "netns" : "loopback",
                            .hosts = r->o.hosts,
                            .tasks = r->o.tasks,
                            .executions = n_ex,
                            .total_s = (double)(chaos_wall_ms() - r->started_ms) / 1000.0};
    struct fault_figures ff = {recover, in_flight, reexec};
    figures_print(&s, r->faults, r->n_faults, &ff, &fig);
    free(reexec);
    free(recover);
    free(in_flight);
    free(incs);
    free(ex);
    free(lines);
    free(done_logs);
    return fig.violations;
}

/* ---- interruption ------------------------------------------------------------------- */

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    unsigned char b = (unsigned char)sig;
    ssize_t ignored = write(signal_pipe[1], &b, 1);
    (void)ignored;
}

/* Exits on the first SIGINT/SIGTERM/SIGHUP, so that the exit handlers stop the hosts and the
 * server and remove the namespaces. */
static void *signal_main(void *arg)
{
    (void)arg;
    unsigned char b = 0;
    while (read(signal_pipe[0], &b, 1) < 0) {
    }
    printf("chaos: interrupted by signal %d: stopping everything\n", b);
    fleet_stop(5000);
    exit(128 + b);
}

static void handle_signals(void)
{
    pthread_t t;
    if (pipe(signal_pipe) != 0 || pthread_create(&t, NULL, signal_main, NULL) != 0)
        return;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static void free_run(struct run *r)
{
    for (int i = 0; i < FLEET_MAX_HOSTS; i++)
        free(r->uris[i]);
    workload_free(&r->w);
    free(r->faults);
    free(r->tasks);
    free(r->dir);
    free(r->exec_log);
    free(r->db);
}

int main(int argc, char **argv)
{
    struct run r = {0};
    int rc = options_parse(argc, argv, &r.o);
    if (rc >= 0)
        return rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    handle_signals();
    chaos_note_start();
    r.started_ms = chaos_wall_ms();
    if (!set_up(&r))
        return TS_EXIT_SKIP;
    run_workload(&r);
    tear_down(&r);
    int violations = judge(&r);
    if (violations > 0) {
        setenv("TS_KEEP_TMP", "1", 1);
        printf("chaos: FAILED with %d violation(s); the logs stay in %s (execution log "
               "exec.log, host-<n>.log), rerun with --seed %llu\n",
               violations, r.dir, (unsigned long long)r.o.seed);
    } else {
        printf("chaos: passed\n");
        const char *keep = getenv("TS_KEEP_TMP");
        if (!(keep && strcmp(keep, "1") == 0))
            ts_drop_db(r.db);
    }
    free_run(&r);
    return violations > 0 ? 1 : 0;
}
