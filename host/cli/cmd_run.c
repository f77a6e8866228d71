#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/commands.h"
#include "cli/reload.h"
#include "cli/sd_notify.h"
#include "cli/signals.h"
#include "sched/sched.h"
#include "store/host_record.h"
#include "store/indexes.h"
#include "version.h"

static const char USAGE[] =
    "usage: taskhost run [-c FILE]\n\n"
    "Loads the plugins, connects to MongoDB and claims and runs tasks of the\n"
    "plugins' types until SIGTERM or SIGINT. Then it stops claiming, lets running\n"
    "tasks finish within host.shutdown_grace_ms, hands the others back and exits 0.\n"
    "A second signal exits at once. SIGHUP reloads the plugin directory: new\n"
    "plugins are loaded, removed or replaced ones finish their running tasks\n"
    "first; a broken one is refused and the loaded ones keep running.\n"
    "Logs go to stderr.\n\n"
    "  -c, --config FILE   the configuration file\n"
    "  -h, --help          this text\n";

struct run_ctx {
    const char *config_path;
    struct cli_host h;
    struct plugin_generations gens;
    struct store store;
    struct sched sched;
};

/* Creates the indexes; a server that refuses (rather than cannot be reached)
 * only costs speed, so that is a warning, not a reason not to run. */
static bool ensure_indexes(struct store *s, struct error *err)
{
    if (store_ensure_indexes(s, err))
        return true;
    if (err->code == ERR_DB_DOWN)
        return false;
    log_warn("start", "%s; running without them (claims will scan the collection)", err->msg);
    error_clear(err);
    return true;
}

/* Waits for the server at start-up (a supervisor may start us first), with
 * backoff; gives up only when asked to stop. */
static bool connect_store(struct run_ctx *r, struct error *err)
{
    const struct config *c = &r->h.cfg;
    struct store_options o = {c->mongodb_uri,
                              c->database,
                              c->collection,
                              c->hosts_collection,
                              (int)c->connect_timeout_ms,
                              c->max_concurrency + 4,
                              "taskhost"};
    if (!store_open(&r->store, &o, err))
        return false;
    int64_t wait = 500;
    while (!store_ping(&r->store, err) || !ensure_indexes(&r->store, err)) {
        if (err->code != ERR_DB_DOWN)
            return false;
        log_warn("start", "%s; retrying in %lld ms", err->msg, (long long)wait);
        for (int64_t t = 0; t < wait; t += 100) {
            if (signals_stop_requested())
                return false;
            clock_sleep_ms(100);
        }
        wait = wait * 2 > 10000 ? 10000 : wait * 2;
    }
    return true;
}

static bool start(struct run_ctx *r, const char *path, struct error *err)
{
    if (!cli_host_load(path, &r->h, err))
        return false;
    if (!signals_start())
        return error_set(err, ERR_INTERNAL, "could not set up signal handling");
    sd_notify_sendf("READY=1\nSTATUS=%d plugin(s) loaded; connecting to MongoDB", r->h.set.n);
    if (!connect_store(r, err))
        return false;
    if (!sched_init(&r->sched, &r->h.cfg, &r->store, &r->h.reg, err) ||
        !generations_init(&r->gens, &r->h.reg, err) || !sched_start(&r->sched, err))
        return false;
    log_info("start",
             "taskhost %s as %s: %d plugin(s), %d type(s), max_concurrency %d, "
             "lease %lld ms, MongoDB %s, %s.%s",
             TASKHOST_VERSION, r->h.cfg.host_id, r->h.set.n, r->h.reg.n, r->h.cfg.max_concurrency,
             (long long)r->h.cfg.lease_ms, r->store.uri_redacted, r->h.cfg.database,
             r->h.cfg.collection);
    sd_notify_sendf("STATUS=claiming tasks of %d type(s)", r->h.reg.n);
    return true;
}

static void log_totals(struct sched *s)
{
    struct sched_counters *c = &s->counters;
    log_info("stop",
             "claimed %ld (rescued %ld): done %ld, retry later %ld, dead %ld, handed "
             "back %ld, lease lost %ld",
             atomic_load(&c->claimed), atomic_load(&c->rescued), atomic_load(&c->done),
             atomic_load(&c->retried), atomic_load(&c->dead), atomic_load(&c->released),
             atomic_load(&c->lost));
}

/* Until a stop signal: reloads on SIGHUP, shuts drained plugins down. */
static void serve(struct run_ctx *r)
{
    for (;;) {
        enum signal_event ev = signals_wait(1000);
        if (ev == SIGNAL_STOP)
            return;
        if (ev == SIGNAL_RELOAD) {
            struct error err = {0};
            sd_notify_send("RELOADING=1");
            if (!generations_reload(&r->gens, r->config_path, &r->sched, &err))
                log_error("reload", "reload refused, the plugins loaded before keep running: %s",
                          err.msg);
            sd_notify_send("READY=1");
        }
        generations_reap(&r->gens);
    }
}

static int stop(struct run_ctx *r)
{
    int stuck = sched_stop(&r->sched);
    log_totals(&r->sched);
    struct error err = {0};
    if (!store_host_stopped(&r->store, r->h.cfg.host_id, &err))
        log_warn("stop", "%s", err.msg);
    if (stuck > 0) {
        /* Plugin threads still run: no shutdown(), no freeing under them. */
        log_info("stop", "stopped (without waiting for %d stuck task(s))", stuck);
        fflush(stderr);
        _exit(0);
    }
    sched_destroy(&r->sched);
    store_close(&r->store);
    generations_free(&r->gens);
    log_info("stop", "stopped cleanly");
    cli_host_free(&r->h);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    const char *path;
    int rc = cli_common_options(argc, argv, USAGE, &path);
    if (rc >= 0)
        return rc;
    struct run_ctx *r = calloc(1, sizeof *r);
    struct error err = {0};
    if (r == NULL)
        return error_set(&err, ERR_NOMEM, "out of memory"), cli_fail(&err);
    r->config_path = path;
    if (!signals_block()) {
        free(r);
        return error_set(&err, ERR_INTERNAL, "could not block signals"), cli_fail(&err);
    }
    if (!start(r, path, &err)) {
        if (signals_stop_requested())
            err.code = ERR_NONE;
        rc = err.code == ERR_NONE ? 0 : cli_fail(&err);
        if (r->store.pool)
            store_close(&r->store);
        generations_free(&r->gens);
        cli_host_free(&r->h);
        free(r);
        return rc;
    }
    serve(r);
    sd_notify_send("STOPPING=1");
    log_info("stop", "%s received", signals_stop_name());
    rc = stop(r);
    free(r);
    return rc;
}
