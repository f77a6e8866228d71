#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_PRINTED 40
#define SLACK_MS    500   /* the execution log is read every 20 ms; scheduling on 2 cores */
#define AFTER_PAUSE 1500  /* a claim answered just before SIGSTOP starts just after SIGCONT */
#define AFTER_NET   10000 /* connections stay stalled for seconds after a cut or a restart */
#define ERR_AFTER   15000 /* a lost lease is taken over (and recorded) within this after */

/* The executions of one task, in start order. */
struct task_execs {
    int *idx;
    int n;
};

struct ctx {
    const struct check_input *in;
    struct check_figures *fig;
    struct task_execs *by_task; /* by_task[id - 1] */
};

void check_violation(struct check_figures *fig, const char *fmt, ...)
{
    fig->violations++;
    if (fig->violations > MAX_PRINTED) {
        if (fig->violations == MAX_PRINTED + 1)
            printf("VIOLATION: (more violations are counted but not printed)\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    printf("VIOLATION: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static const struct incarnation *find_inc(const struct check_input *in, const char *label)
{
    for (int i = 0; i < in->n_incs; i++)
        if (strcmp(in->incs[i].label, label) == 0)
            return &in->incs[i];
    return NULL;
}

static int max_retries_of(const struct check_input *in, const struct task_spec *t)
{
    return t->max_retries > 0 ? t->max_retries : in->max_retries;
}

/* ---- which executions the database holds --------------------------------------------- */

static bool has_error(const struct db_task *d, int attempt, const char *host, const char *kind)
{
    for (int i = 0; i < d->n_errors && i < DB_MAX_ERRORS; i++)
        if (d->errors[i].attempt == attempt && strcmp(d->errors[i].host, host) == 0 &&
            strcmp(d->errors[i].kind, kind) == 0)
            return true;
    return false;
}

static bool is_recorded(const struct execution *e, const struct db_task *d)
{
    if (!d->found)
        return false;
    if (strcmp(e->status, "done") == 0)
        return strcmp(d->state, "done") == 0 && d->result_attempt == e->attempt &&
               strcmp(d->result_host, e->label) == 0;
    if (strcmp(e->status, "retry") == 0)
        return has_error(d, e->attempt, e->label, "failed");
    if (strcmp(e->status, "fail") == 0)
        return has_error(d, e->attempt, e->label, "permanent");
    return false; /* no end line, or cancelled */
}

/* ---- putting executions and lost leases down to faults ------------------------------- */

static bool on_host(const struct fault *f, const char *label)
{
    return f->slot >= 0 && strcmp(f->label, label) == 0;
}

/* Whether fault f hit execution e (its host, or the server, while it ran). */
static bool hits(const struct fault *f, const struct execution *e, int lease_ms)
{
    int64_t end = e->end_idx >= 0 ? e->t_end : INT64_MAX;
    if (!f->ok || end < f->t0 - SLACK_MS)
        return false;
    switch (f->kind) {
    case FAULT_KILL: return on_host(f, e->label);
    case FAULT_PAUSE: return on_host(f, e->label) && e->t_start <= f->t1 + AFTER_PAUSE;
    case FAULT_CUT: return on_host(f, e->label) && e->t_start <= f->t1 + lease_ms + AFTER_NET;
    case FAULT_DB_RESTART:
    case FAULT_DB_OUTAGE: return e->t_start <= f->t1 + lease_ms + AFTER_NET;
    case FAULT_SKEW: return on_host(f, e->label);
    case FAULT_KINDS: break;
    }
    return false;
}

/* Whether fault f explains a lease of host `label` found expired at server time `at`. */
static bool explains_loss(const struct fault *f, const char *label, int64_t at, int lease_ms)
{
    if (!f->ok || at < f->t0 - SLACK_MS)
        return false;
    bool soon = at <= f->t1 + lease_ms + ERR_AFTER;
    switch (f->kind) {
    case FAULT_KILL: return on_host(f, label);
    case FAULT_PAUSE:
    case FAULT_CUT:
    case FAULT_SKEW: return on_host(f, label) && soon;
    case FAULT_DB_RESTART:
    case FAULT_DB_OUTAGE: return soon;
    case FAULT_KINDS: break;
    }
    return false;
}

/* Keeps in *best the earlier of *best and i. */
static void keep_earliest(const struct check_input *in, int *best, int i)
{
    if (*best < 0 || in->faults[i].t0 < in->faults[*best].t0)
        *best = i;
}

/*
 * The fault e is put down to, or -1. An execution without an end line died with its host: the
 * kill of its incarnation. Otherwise, among the faults that hit it, those on its own host come
 * before those on the server, and those it was running through (it started before the fault
 * ended) before those whose after-effects it met; the earliest of a group wins.
 */
static int attribute(const struct check_input *in, const struct execution *e)
{
    int best[4] = {-1, -1, -1, -1}; /* host direct, host after, server direct, server after */
    for (int i = 0; i < in->n_faults; i++) {
        const struct fault *f = &in->faults[i];
        if (!hits(f, e, in->lease_ms))
            continue;
        if (e->end_idx < 0) {
            if (f->kind == FAULT_KILL)
                return i;
            continue;
        }
        bool direct = e->t_start <= f->t1 + SLACK_MS;
        keep_earliest(in, &best[(f->slot < 0 ? 2 : 0) + (direct ? 0 : 1)], i);
    }
    for (int g = 0; g < 4; g++)
        if (best[g] >= 0)
            return best[g];
    return -1;
}

static bool died_by_itself(const struct check_input *in, const char *label)
{
    const struct incarnation *inc = find_inc(in, label);
    return inc && inc->end == END_UNEXPECTED;
}

static void judge_execution(struct ctx *c, struct execution *e)
{
    const struct check_input *in = c->in;
    if (e->task < 1 || e->task > in->w->n) {
        check_violation(c->fig, "the execution log names task %d, which the run did not insert",
                        e->task);
        return;
    }
    const struct db_task *d = &in->db[e->task - 1];
    e->recorded = is_recorded(e, d);
    const struct incarnation *inc = find_inc(in, e->label);
    if (e->recorded && inc && inc->skew != SKEW_NONE)
        c->fig->skewed_done++;
    if (e->recorded)
        return;
    e->fault = attribute(in, e);
    if (e->fault >= 0) {
        c->fig->reexec[in->faults[e->fault].kind]++;
        if (in->reexec_by_fault)
            in->reexec_by_fault[e->fault]++;
    } else if (died_by_itself(in, e->label)) {
        c->fig->reexec[FAULT_KINDS]++;
    } else {
        check_violation(c->fig,
                        "task %d: the execution of attempt %d on %s (%s) left no outcome in the "
                        "database, and no fault hit %s while it ran (read at %.1f s .. %.1f s)",
                        e->task, e->attempt, e->label, e->status[0] ? e->status : "no end line",
                        e->label, chaos_rel_s(e->t_start),
                        e->t_end >= 0 ? chaos_rel_s(e->t_end) : -1.0);
        return;
    }
    c->fig->reexec_total++;
}

/* ---- overlapping executions ---------------------------------------------------------- */

/*
 * Two executions of a task that ran at the same time: the one with the lower attempt number
 * was claimed first (attempts only grow), so the other claim took a lease that had expired,
 * and the first one's outcome must have been refused. With equal attempt numbers (a lease
 * handed back and claimed again), at most one may be recorded.
 */
static void check_pair(struct ctx *c, int task, const struct execution *i,
                       const struct execution *j)
{
    const struct execution *early = i->attempt <= j->attempt ? i : j;
    const struct execution *late = early == i ? j : i;
    bool both = i->recorded && j->recorded;
    if (both || (early->recorded && early->attempt < late->attempt))
        check_violation(c->fig,
                        "task %d: %s ran attempt %d while %s ran attempt %d, and the outcome of "
                        "%s was recorded%s: two hosts held the task at once",
                        task, early->label, early->attempt, late->label, late->attempt,
                        both ? "both" : early->label, both ? "" : " although its lease was taken");
}

static void check_overlaps(struct ctx *c, int task)
{
    const struct task_execs *te = &c->by_task[task - 1];
    for (int a = 0; a < te->n; a++) {
        const struct execution *i = &c->in->ex[te->idx[a]];
        for (int b = a + 1; b < te->n; b++) {
            const struct execution *j = &c->in->ex[te->idx[b]];
            if (i->end_idx < 0 || j->start_idx < i->end_idx)
                check_pair(c, task, i, j);
        }
    }
}

/* ---- the task documents -------------------------------------------------------------- */

static bool loss_explained(const struct check_input *in, const struct db_error *e)
{
    for (int i = 0; i < in->n_faults; i++)
        if (explains_loss(&in->faults[i], e->host, e->at, in->lease_ms))
            return true;
    return died_by_itself(in, e->host);
}

static bool has_execution(const struct ctx *c, int task, int attempt, const char *label,
                          const char *status)
{
    const struct task_execs *te = &c->by_task[task - 1];
    for (int k = 0; k < te->n; k++) {
        const struct execution *e = &c->in->ex[te->idx[k]];
        if (e->attempt == attempt && strcmp(e->label, label) == 0 && strcmp(e->status, status) == 0)
            return true;
    }
    return false;
}

/* One error entry; returns 1 if it is a lost attempt (a host death), else 0. */
static int check_error(struct ctx *c, const struct task_spec *t, const struct db_error *e, int k)
{
    if (e->attempt != k + 1)
        check_violation(c->fig, "task %d: errors[%d] is for attempt %d, expected %d", t->id, k,
                        e->attempt, k + 1);
    if (strcmp(e->kind, "lease_expired") == 0 || strcmp(e->kind, "quarantined") == 0) {
        c->fig->lease_expired++;
        if (!loss_explained(c->in, e))
            check_violation(c->fig,
                            "task %d: attempt %d on %s was recorded as lost (%s) at %.1f s, but "
                            "no fault hit %s then",
                            t->id, e->attempt, e->host, e->kind, chaos_rel_s(e->at), e->host);
        return 1;
    }
    if (strcmp(e->kind, "failed") == 0) {
        if (e->attempt > t->fail_times || !has_execution(c, t->id, e->attempt, e->host, "retry"))
            check_violation(c->fig,
                            "task %d: a failure of attempt %d on %s is recorded, but its payload "
                            "plans %d failure(s) (or no such run ended in retry)",
                            t->id, e->attempt, e->host, t->fail_times);
        return 0;
    }
    if (strcmp(e->kind, "permanent") == 0) {
        if (t->kind != TASK_PERMANENT || e->attempt <= t->fail_times ||
            !has_execution(c, t->id, e->attempt, e->host, "fail"))
            check_violation(c->fig,
                            "task %d (%s): a permanent failure of attempt %d on %s is recorded "
                            "against its payload",
                            t->id, task_kind_name(t->kind), e->attempt, e->host);
        return 0;
    }
    check_violation(c->fig, "task %d: unexpected error kind %s (attempt %d on %s): %s", t->id,
                    e->kind, e->attempt, e->host, e->message);
    return 0;
}

/* Attempts, errors and host_deaths agree. */
static void check_history(struct ctx *c, const struct task_spec *t, const struct db_task *d,
                          bool done)
{
    int expected_errors = done ? d->attempts - 1 : d->attempts;
    if (d->n_errors != expected_errors)
        check_violation(c->fig, "task %d (%s): %d error(s) for %d attempt(s), expected %d", t->id,
                        d->state, d->n_errors, d->attempts, expected_errors);
    int deaths = 0;
    for (int k = 0; k < d->n_errors && k < DB_MAX_ERRORS; k++)
        deaths += check_error(c, t, &d->errors[k], k);
    if (d->host_deaths != deaths)
        check_violation(c->fig, "task %d: host_deaths is %d but %d attempt(s) were lost", t->id,
                        d->host_deaths, deaths);
}

static const char *last_kind(const struct db_task *d)
{
    int k = d->n_errors < DB_MAX_ERRORS ? d->n_errors : DB_MAX_ERRORS;
    return k > 0 ? d->errors[k - 1].kind : "";
}

/* A dead task that should have been done: fine only if lost attempts used up its limits. */
static void judge_unexpected_dead(struct ctx *c, const struct task_spec *t, const struct db_task *d)
{
    const char *kind = last_kind(d);
    bool by_faults = strcmp(kind, "quarantined") == 0 || (strcmp(kind, "lease_expired") == 0 &&
                                                          d->attempts >= max_retries_of(c->in, t));
    if (by_faults)
        c->fig->dead_by_faults++;
    else
        check_violation(c->fig,
                        "task %d (%s, fail_times %d, max_retries %d) is dead after %d attempt(s) "
                        "(last error %s) but its payload says it succeeds",
                        t->id, task_kind_name(t->kind), t->fail_times, max_retries_of(c->in, t),
                        d->attempts, kind);
}

static void judge_done(struct ctx *c, const struct task_spec *t, const struct db_task *d)
{
    c->fig->done++;
    if (t->expect_dead)
        check_violation(c->fig, "task %d (%s) is done but its payload says it must fail", t->id,
                        task_kind_name(t->kind));
    if (d->result_attempt != d->attempts || d->result_attempt <= t->fail_times)
        check_violation(c->fig,
                        "task %d: done with the result of attempt %d after %d attempt(s) "
                        "(fail_times %d)",
                        t->id, d->result_attempt, d->attempts, t->fail_times);
    if (!has_execution(c, t->id, d->result_attempt, d->result_host, "done"))
        check_violation(c->fig,
                        "task %d: its result names attempt %d on %s, but no such run ended done",
                        t->id, d->result_attempt, d->result_host);
    check_history(c, t, d, true);
}

static void judge_dead(struct ctx *c, const struct task_spec *t, const struct db_task *d)
{
    c->fig->dead++;
    if (!t->expect_dead)
        judge_unexpected_dead(c, t, d);
    else if (t->kind == TASK_DOOMED && strcmp(last_kind(d), "failed") == 0 &&
             d->attempts != max_retries_of(c->in, t))
        check_violation(c->fig, "task %d (doomed, max_retries %d) is dead after %d attempt(s)",
                        t->id, max_retries_of(c->in, t), d->attempts);
    check_history(c, t, d, false);
}

static void judge_task(struct ctx *c, const struct task_spec *t)
{
    const struct db_task *d = &c->in->db[t->id - 1];
    c->fig->expected_dead += t->expect_dead;
    if (c->in->done_logs[t->id - 1] > 1) {
        c->fig->double_completions++;
        check_violation(c->fig, "task %d: the hosts' logs record it done %d times", t->id,
                        c->in->done_logs[t->id - 1]);
    }
    int done_lines = 0;
    const struct task_execs *te = &c->by_task[t->id - 1];
    for (int k = 0; k < te->n; k++)
        done_lines += strcmp(c->in->ex[te->idx[k]].status, "done") == 0;
    if (done_lines > 1)
        c->fig->dup_done_lines += done_lines - 1;
    if (!d->found || (strcmp(d->state, "done") != 0 && strcmp(d->state, "dead") != 0)) {
        c->fig->lost++;
        check_violation(c->fig, "task %d (%s) is lost: %s", t->id, task_kind_name(t->kind),
                        d->found ? d->state : "not in the database");
        return;
    }
    if (d->n_errors > 0 && strcmp(d->errors[0].kind, "malformed") == 0) {
        check_violation(c->fig,
                        "task %d was inserted well-formed%s but %s marked it dead as malformed: "
                        "%s",
                        t->id, t->intake ? " (without a state, as a producer may)" : "",
                        d->errors[0].host, d->errors[0].message);
        c->fig->dead++;
        return;
    }
    if (strcmp(d->state, "done") == 0)
        judge_done(c, t, d);
    else
        judge_dead(c, t, d);
    check_overlaps(c, t->id);
}

/* ---- hosts --------------------------------------------------------------------------- */

static void check_hosts(struct ctx *c)
{
    for (int i = 0; i < c->in->n_incs; i++) {
        const struct incarnation *inc = &c->in->incs[i];
        if (inc->end == END_UNEXPECTED)
            check_violation(c->fig, "host %s exited by itself (status %d) %.1f s after it started",
                            inc->label, inc->status,
                            (double)(inc->ended_ms - inc->started_ms) / 1000.0);
        else if ((inc->end == END_FINAL || inc->end == END_RESTARTED) && inc->status != 0)
            check_violation(c->fig, "host %s exited with status %d after SIGTERM (expected 0)",
                            inc->label, inc->status);
    }
}

static struct task_execs *index_by_task(const struct check_input *in)
{
    struct task_execs *by = calloc((size_t)in->w->n, sizeof *by);
    if (by == NULL)
        abort();
    int *counts = calloc((size_t)in->w->n, sizeof *counts);
    for (int i = 0; i < in->n_ex; i++)
        if (in->ex[i].task >= 1 && in->ex[i].task <= in->w->n)
            counts[in->ex[i].task - 1]++;
    for (int t = 0; t < in->w->n; t++)
        by[t].idx = chaos_xmalloc(sizeof *by[t].idx * (size_t)(counts[t] > 0 ? counts[t] : 1));
    for (int i = 0; i < in->n_ex; i++)
        if (in->ex[i].task >= 1 && in->ex[i].task <= in->w->n) {
            struct task_execs *te = &by[in->ex[i].task - 1];
            te->idx[te->n++] = i;
        }
    free(counts);
    return by;
}

int check_run(const struct check_input *in, struct check_figures *fig)
{
    int earlier = fig->violations;
    memset(fig, 0, sizeof *fig);
    fig->violations = earlier;
    struct ctx c = {.in = in, .fig = fig, .by_task = index_by_task(in)};
    for (int i = 0; i < in->n_ex; i++)
        judge_execution(&c, &in->ex[i]);
    for (int i = 0; i < in->w->n; i++)
        judge_task(&c, &in->w->t[i]);
    check_hosts(&c);
    for (int t = 0; t < in->w->n; t++)
        free(c.by_task[t].idx);
    free(c.by_task);
    return fig->violations;
}
