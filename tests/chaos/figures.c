#include "figures.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* When another host started the task of execution number k again after t0, or -1. */
static int64_t taken_over_at(const struct execution *ex, int n_ex, int k)
{
    for (int j = k + 1; j < n_ex; j++)
        if (ex[j].task == ex[k].task && strcmp(ex[j].label, ex[k].label) != 0)
            return ex[j].t_start;
    return -1;
}

static int64_t host_recovery(const struct fault *f, const struct execution *ex, int n_ex,
                             int *in_flight)
{
    int64_t worst = -1;
    *in_flight = 0;
    for (int k = 0; k < n_ex; k++) {
        const struct execution *e = &ex[k];
        if (strcmp(e->label, f->label) != 0 || e->t_start > f->t0 ||
            (e->end_idx >= 0 && e->t_end <= f->t0))
            continue;
        (*in_flight)++;
        int64_t at = taken_over_at(ex, n_ex, k);
        if (at >= 0 && at - f->t0 > worst)
            worst = at - f->t0;
    }
    return worst;
}

static int64_t first_start_after(const struct execution *ex, int n_ex, int64_t after,
                                 const char *label)
{
    int64_t best = -1;
    for (int k = 0; k < n_ex; k++)
        if (ex[k].t_start > after && (!label || strcmp(ex[k].label, label) == 0) &&
            (best < 0 || ex[k].t_start < best))
            best = ex[k].t_start;
    return best;
}

void figures_recovery(const struct fault *faults, int n_faults, const struct execution *ex,
                      int n_ex, int64_t *recover_ms, int *in_flight)
{
    for (int i = 0; i < n_faults; i++) {
        const struct fault *f = &faults[i];
        int64_t at = -1;
        recover_ms[i] = -1;
        in_flight[i] = 0;
        if (!f->ok)
            continue;
        switch (f->kind) {
        case FAULT_KILL:
        case FAULT_PAUSE:
        case FAULT_CUT: recover_ms[i] = host_recovery(f, ex, n_ex, &in_flight[i]); break;
        case FAULT_DB_RESTART:
        case FAULT_DB_OUTAGE: at = first_start_after(ex, n_ex, f->t1, NULL); break;
        case FAULT_SKEW: at = first_start_after(ex, n_ex, f->t0, f->new_label); break;
        case FAULT_KINDS: break;
        }
        if (at >= 0)
            recover_ms[i] = at - f->t0;
    }
}

static void print_fault(const struct fault *f, int64_t recover, int in_flight, int reexec)
{
    char what[96];
    if (f->kind == FAULT_SKEW)
        snprintf(what, sizeof what, "%s -> %s clock %s", f->label, f->new_label,
                 skew_name(f->skew));
    else
        snprintf(what, sizeof what, "%s", f->label);
    printf("chaos fault  at %6.1f s  %-10s %-34s lasted %5lld ms", chaos_rel_s(f->t0),
           fault_kind_name(f->kind), what, (long long)(f->t1 - f->t0));
    if (f->kind == FAULT_KILL || f->kind == FAULT_PAUSE || f->kind == FAULT_CUT)
        printf("  in flight %2d", in_flight);
    if (recover >= 0)
        printf("  recovered in %lld ms", (long long)recover);
    if (reexec > 0)
        printf("  re-executions %d", reexec);
    printf("%s\n", f->ok ? "" : "  (NOT CARRIED OUT)");
}

/* "kill:2,pause:2,..." of the faults carried out. */
static void kinds_counts(const struct fault *faults, int n, char *buf, size_t len)
{
    int count[FAULT_KINDS] = {0};
    for (int i = 0; i < n; i++)
        count[faults[i].kind] += faults[i].ok;
    size_t used = 0;
    for (int k = 0; k < FAULT_KINDS && used < len; k++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s:%d", k ? "," : "",
                                 fault_kind_name((enum fault_kind)k), count[k]);
}

/* "kill:3400/3900,..." (mean/max ms) of the kinds with recoveries. */
static void recoveries(const struct fault *faults, int n, const int64_t *rec, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < FAULT_KINDS && used < len; k++) {
        int64_t sum = 0, max = -1;
        int cnt = 0;
        for (int i = 0; i < n; i++) {
            if (faults[i].kind != (enum fault_kind)k || rec[i] < 0)
                continue;
            sum += rec[i];
            cnt++;
            max = rec[i] > max ? rec[i] : max;
        }
        if (cnt > 0)
            used += (size_t)snprintf(buf + used, len - used, "%s%s:%lld/%lld", used ? "," : "",
                                     fault_kind_name((enum fault_kind)k), (long long)(sum / cnt),
                                     (long long)max);
    }
}

static void reexecutions(const struct check_figures *fig, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k <= FAULT_KINDS && used < len; k++)
        if (fig->reexec[k] > 0)
            used += (size_t)snprintf(
                buf + used, len - used, "%s%s:%d", used ? "," : "",
                k < FAULT_KINDS ? fault_kind_name((enum fault_kind)k) : "crash", fig->reexec[k]);
}

void figures_print(const struct run_summary *s, const struct fault *faults, int n_faults,
                   const struct fault_figures *ff, const struct check_figures *fig)
{
    for (int i = 0; i < n_faults; i++)
        print_fault(&faults[i], ff->recover_ms[i], ff->in_flight[i], ff->reexec[i]);
    char kinds[256], rec[512], re[256];
    kinds_counts(faults, n_faults, kinds, sizeof kinds);
    recoveries(faults, n_faults, ff->recover_ms, rec, sizeof rec);
    reexecutions(fig, re, sizeof re);
    printf("chaos figures: mode=%s hosts=%d tasks=%d done=%d dead=%d (expected_dead=%d "
           "dead_by_faults=%d) executions=%d faults=%s lost=%d double_completions=%d "
           "reexecutions=%d (%s) duplicate_done_runs=%d lease_expired=%d skewed_host_outcomes=%d "
           "recover_ms_mean/max=%s violations=%d total_s=%.1f\n",
           s->mode, s->hosts, s->tasks, fig->done, fig->dead, fig->expected_dead,
           fig->dead_by_faults, s->executions, kinds, fig->lost, fig->double_completions,
           fig->reexec_total, re[0] ? re : "none", fig->dup_done_lines, fig->lease_expired,
           fig->skewed_done, rec[0] ? rec : "none", fig->violations, s->total_s);
    fflush(stdout);
}
