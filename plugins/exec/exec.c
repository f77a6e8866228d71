/*
 * exec: runs task type "exec" by running a command from the allow-list of
 * its settings (see exec_config.h) with the arguments of the payload (see
 * exec_request.h), never through a shell (see exec_child.h).
 *
 * Result of a command that exited with status 0:
 *   {"exit_status": 0, "stdout_tail": "...", "stderr_tail": "...",
 *    "stdout_bytes": N, "stderr_bytes": N, "duration_ms": N}
 * A non-zero status or a signal is a failure (TH_RETRY, or TH_FAIL with
 * nonzero_is_permanent) whose message gives the status or the signal and the
 * end of stderr; a timeout is retried; a bad payload or a command not in the
 * allow-list fails permanently.
 */
#define _GNU_SOURCE /* sigabbrev_np, strerrordesc_np */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>
#include <taskhost/plugin.h>

#include "exec_child.h"
#include "exec_config.h"
#include "exec_request.h"

#define MESSAGE_TAIL 600 /* bytes of output quoted in a failure message */

struct exec_state {
    const th_host_api *api;
    struct exec_config config;
};

static const char *reason_name(th_cancel_reason reason)
{
    switch (reason) {
    case TH_CANCEL_LEASE_LOST: return "lease lost";
    case TH_CANCEL_SHUTDOWN: return "host shutting down";
    case TH_CANCEL_TIMEOUT: return "timed out";
    case TH_CANCEL_REQUESTED: return "cancel requested";
    default: return "unknown reason";
    }
}

static int exec_init(const th_host_api *api, const th_settings *settings, void **state, char *err,
                     size_t errlen)
{
    struct exec_state *st = calloc(1, sizeof *st);
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    st->api = api;
    if (!exec_config_read(api, settings, &st->config, err, errlen)) {
        free(st);
        return -1;
    }
    if (st->config.n_commands > 0)
        api->log(NULL, TH_LOG_INFO, "exec: %zu command%s allowed: %s", st->config.n_commands,
                 st->config.n_commands == 1 ? "" : "s", st->config.allowed);
    *state = st;
    return 0;
}

/* "SIGTERM", or "signal 64" for one without a name. */
static void signal_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev != NULL)
        snprintf(buf, len, "SIG%s", abbrev);
    else
        snprintf(buf, len, "signal %d", sig);
}

/* "; stderr: ..." with the end of stderr (or of stdout when stderr is empty). */
static void output_excerpt(const struct exec_outcome *o, char *buf, size_t len)
{
    const struct exec_tail *t = o->err.len > 0 ? &o->err : &o->out;
    buf[0] = '\0';
    if (t->len == 0)
        return;
    char *text = exec_tail_text(t, MESSAGE_TAIL);
    if (text != NULL)
        snprintf(buf, len, "; %s%s: %s", t->total > MESSAGE_TAIL ? "end of " : "",
                 t == &o->err ? "stderr" : "stdout", text);
    free(text);
}

/* The failure of a command that ran; TH_RETRY or TH_FAIL. */
static th_status report_failure(const struct exec_state *st, th_task *task,
                                const struct exec_request *r, const struct exec_outcome *o)
{
    char excerpt[MESSAGE_TAIL * 3 + 64];
    char sig[32];
    const char *name = r->command->name;
    output_excerpt(o, excerpt, sizeof excerpt);
    signal_name(o->kill_signal, sig, sizeof sig);
    if (o->cancelled != TH_CANCEL_NONE) {
        st->api->fail(task, "cancelled: %s (exec: %s stopped with %s)", reason_name(o->cancelled),
                      name, sig);
        return TH_RETRY;
    }
    if (o->timed_out) {
        st->api->fail(task, "exec: %s timed out after %" PRId64 " ms and was stopped with %s%s",
                      name, r->timeout_ms, sig, excerpt);
        return TH_RETRY;
    }
    if (o->exited) {
        st->api->fail(task, "exec: %s exited with status %d after %" PRId64 " ms%s", name,
                      o->exit_status, o->duration_ms, excerpt);
    } else if (o->term_signal != 0) {
        signal_name(o->term_signal, sig, sizeof sig);
        st->api->fail(task, "exec: %s was killed by %s after %" PRId64 " ms%s", name, sig,
                      o->duration_ms, excerpt);
    } else {
        st->api->fail(task, "exec: %s ended, but its exit status is unknown%s", name, excerpt);
    }
    return st->config.nonzero_is_permanent ? TH_FAIL : TH_RETRY;
}

static bool append_tail(bson_t *doc, const char *key, const struct exec_tail *t)
{
    char *text = exec_tail_text(t, t->len);
    bool ok = text != NULL && BSON_APPEND_UTF8(doc, key, text);
    free(text);
    return ok;
}

/* Records the result of a command that succeeded. */
static th_status report_success(const struct exec_state *st, th_task *task,
                                const struct exec_outcome *o)
{
    bson_t doc = BSON_INITIALIZER;
    bool ok = BSON_APPEND_INT32(&doc, "exit_status", o->exit_status) &&
              append_tail(&doc, "stdout_tail", &o->out) &&
              append_tail(&doc, "stderr_tail", &o->err) &&
              BSON_APPEND_INT64(&doc, "stdout_bytes", (int64_t)o->out.total) &&
              BSON_APPEND_INT64(&doc, "stderr_bytes", (int64_t)o->err.total) &&
              BSON_APPEND_INT64(&doc, "duration_ms", o->duration_ms);
    int rc = ok ? st->api->set_result_bson(task, bson_get_data(&doc), doc.len) : TH_EINVAL;
    bson_destroy(&doc);
    if (rc != TH_OK) {
        st->api->fail(task, "exec: the host refused the result (%s)",
                      rc == TH_ETOOBIG ? "too big" : "invalid");
        return TH_RETRY;
    }
    return TH_DONE;
}

/* The command could not be started. */
static th_status report_spawn_error(const struct exec_state *st, th_task *task,
                                    const struct exec_request *r, int error)
{
    st->api->fail(task, "exec: cannot start %s (%s, in %s): %s", r->command->name, r->command->path,
                  st->config.workdir, strerrordesc_np(error));
    return error == E2BIG ? TH_FAIL : TH_RETRY; /* too long an argument list stays so */
}

static th_status exec_run(void *state, th_task *task)
{
    const struct exec_state *st = state;
    const th_host_api *api = st->api;
    char err[1000];
    size_t len = 0;
    const uint8_t *payload = api->task_payload_bson(task, &len);
    struct exec_request r;
    if (!exec_request_parse(&st->config, payload, len, &r, err, sizeof err)) {
        api->fail(task, "%s", err);
        return TH_FAIL;
    }
    struct exec_outcome o;
    th_status status;
    if (!exec_child_run(&st->config, &r, api, task, &o, err, sizeof err)) {
        api->fail(task, "%s", err);
        status = TH_RETRY;
    } else if (o.spawn_error != 0) {
        status = report_spawn_error(st, task, &r, o.spawn_error);
    } else if (o.exited && o.exit_status == 0 && !o.timed_out && o.cancelled == TH_CANCEL_NONE) {
        status = report_success(st, task, &o);
    } else {
        status = report_failure(st, task, &r, &o);
    }
    exec_outcome_free(&o);
    exec_request_free(&r);
    return status;
}

static void exec_shutdown(void *state)
{
    struct exec_state *st = state;
    exec_config_free(&st->config);
    free(st);
}

static const char *const exec_types[] = {"exec", NULL};

static const th_plugin exec_plugin = {
    TH_PLUGIN_HEADER,  .name = "exec",  .version = PLUGIN_VERSION, .task_types = exec_types,
    .init = exec_init, .run = exec_run, .shutdown = exec_shutdown,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &exec_plugin;
}
