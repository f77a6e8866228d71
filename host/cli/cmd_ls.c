#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_db.h"
#include "cli/commands.h"
#include "cli/doc_view.h"
#include "cli/table.h"
#include "cli/timefmt.h"
#include "store/admin_common.h"
#include "store/admin_query.h"
#include "store/task_doc.h"

static const char USAGE[] =
    "usage: taskhost ls [--state S[,S...]] [--type T] [--host H] [--limit N]\n"
    "                   [common options]\n\n"
    "Lists tasks, newest first (by created_at), as a table: ID, TYPE, STATE,\n"
    "PRIORITY, ATTEMPTS, RUN_AT/UPDATED (when a waiting task is due, else when\n"
    "the task last changed; relative to the server's clock), HOST (the lease\n"
    "owner while it runs, else the last host that ran it) and LAST ERROR. With\n"
    "--json, one task document per line (relaxed extended JSON).\n\n"
    "  --state S     only tasks in these states: new, queued, running, retry, done,\n"
    "                dead, cancelled (new = inserted by hand, not yet taken in)\n"
    "  --type T      only tasks of type T\n"
    "  --host H      only tasks running on host H (its host id)\n"
    "  --limit N     at most N tasks (default 50; 0 = all)\n\n"
    "common options:\n"
    "  -c, --config FILE   the configuration (default $TASKHOST_CONFIG, else\n"
    "                      /etc/taskhost/taskhost.cfg)\n"
    "      --uri URI       the MongoDB URI (instead of mongodb.uri)\n"
    "      --db NAME       the database (instead of mongodb.database)\n"
    "      --json          machine-readable output\n"
    "  -h, --help          this text\n\n"
    "exit status: 0 ok, 64 usage, 69 MongoDB unreachable, 75 database error,\n"
    "78 configuration.\n";

enum { OPT_STATE = CLI_OPT_FIRST_FREE, OPT_TYPE, OPT_HOST, OPT_LIMIT };

static const struct option LONGOPTS[] = {
    {"state", required_argument, NULL, OPT_STATE},
    {"type", required_argument, NULL, OPT_TYPE},
    {"host", required_argument, NULL, OPT_HOST},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {NULL, 0, NULL, 0},
};

struct args {
    char *states; /* copy of --state, split in place */
    const char *type, *host, *limit;
};

static int take_option(int code, const char *arg, void *ctx)
{
    struct args *a = ctx;
    switch (code) {
    case OPT_STATE:
        free(a->states);
        a->states = strdup(arg);
        break;
    case OPT_TYPE: a->type = arg; break;
    case OPT_HOST: a->host = arg; break;
    case OPT_LIMIT: a->limit = arg; break;
    default: return 64;
    }
    return -1;
}

/* Fills the filter; an error message in why when an argument is wrong. */
static bool build_filter(struct args *a, struct task_filter *f, int64_t *limit, char *why,
                         size_t len)
{
    memset(f, 0, sizeof *f);
    f->type = a->type;
    f->host = a->host;
    for (char *save = NULL, *s = a->states ? strtok_r(a->states, ",", &save) : NULL; s;
         s = strtok_r(NULL, ",", &save)) {
        if (!admin_state_known(s) || f->n_states == TASK_FILTER_STATES_MAX) {
            snprintf(why, len,
                     "--state \"%s\": expected new, queued, running, retry, done, dead or "
                     "cancelled (several separated by commas)",
                     s);
            return false;
        }
        f->states[f->n_states++] = s;
    }
    *limit = 50;
    if (a->limit) {
        char *end;
        errno = 0;
        long long v = strtoll(a->limit, &end, 10);
        if (*a->limit == '\0' || *end != '\0' || errno != 0 || v < 0) {
            snprintf(why, len, "--limit \"%s\": expected a whole number, 0 for all", a->limit);
            return false;
        }
        *limit = v;
    }
    return true;
}

struct listing {
    struct table table;
    int64_t now_ms;
    bool json;
};

static void when_cell(const bson_t *doc, int64_t now, char *buf, size_t len)
{
    int64_t t;
    const char *state = admin_doc_state(doc);
    bool waiting = admin_state_waiting(state) && bson_has_field(doc, TD_STATE);
    if ((waiting && doc_date(doc, TD_RUN_AT, &t)) || doc_date(doc, TD_UPDATED_AT, &t) ||
        doc_date(doc, TD_CREATED_AT, &t))
        time_format_relative(t, now, buf, len);
    else
        snprintf(buf, len, "-");
}

static bool add_row(const bson_t *doc, void *arg)
{
    struct listing *l = arg;
    if (l->json) {
        char *json = bson_as_relaxed_extended_json(doc, NULL);
        printf("%s\n", json ? json : "{}");
        bson_free(json);
        return true;
    }
    char id[160], type[200], prio[24] = "-", attempts[24] = "-", when[40], host[120], err[240];
    int64_t n;
    doc_render_id(doc, id, sizeof id);
    text_clip(doc_utf8(doc, TD_TYPE) ? doc_utf8(doc, TD_TYPE) : "?", 24, type, sizeof type);
    if (doc_int(doc, TD_PRIORITY, &n))
        snprintf(prio, sizeof prio, "%lld", (long long)n);
    if (doc_int(doc, TD_ATTEMPTS, &n))
        snprintf(attempts, sizeof attempts, "%lld", (long long)n);
    when_cell(doc, l->now_ms, when, sizeof when);
    const char *owner = doc_host(doc);
    text_clip(owner ? owner : "-", 24, host, sizeof host);
    const char *last = doc_last_error(doc);
    text_clip(last ? last : "-", 50, err, sizeof err);
    const char *cells[] = {id, type, doc_state(doc), prio, attempts, when, host, err};
    table_add(&l->table, cells);
    return true;
}

static bool list(struct cli_db *db, const struct task_filter *f, int64_t limit, bool json,
                 struct error *err)
{
    static const char *const headers[] = {"ID",       "TYPE",       "STATE",
                                          "PRIORITY", "ATTEMPTS",   "RUN_AT/UPDATED",
                                          "HOST",     "LAST ERROR", NULL};
    struct listing l = {.json = json};
    if (!store_server_time(&db->store, &l.now_ms, err))
        return false;
    table_init(&l.table, headers);
    table_align_right(&l.table, 3);
    table_align_right(&l.table, 4);
    int64_t shown = store_list_tasks(&db->store, f, limit, add_row, &l, err);
    int64_t total =
        shown >= 0 && limit > 0 && shown == limit ? store_count_tasks(&db->store, f, err) : shown;
    if (shown >= 0 && total >= 0 && !json) {
        if (shown == 0)
            printf("no tasks%s\n", f->n_states || f->type || f->host ? " match" : "");
        else
            table_print(&l.table, stdout);
        if (total > shown)
            printf("(%lld of %lld shown, newest first; --limit N for more)\n", (long long)shown,
                   (long long)total);
    }
    table_free(&l.table);
    return shown >= 0 && total >= 0;
}

int cmd_ls(int argc, char **argv)
{
    struct args a = {0};
    struct cli_db_opts o;
    int first;
    int rc = cli_db_parse(argc, argv, USAGE, NULL, LONGOPTS, take_option, &a, &o, &first);
    struct task_filter f = {0};
    int64_t limit = 0;
    char why[300];
    if (rc < 0 && first < argc)
        rc = cli_usage_error(argv[0], USAGE, "unexpected argument \"%s\"", argv[first]);
    else if (rc < 0 && !build_filter(&a, &f, &limit, why, sizeof why))
        rc = cli_usage_error(argv[0], USAGE, "%s", why);
    if (rc >= 0) {
        free(a.states);
        return rc;
    }
    struct cli_db db = {0};
    struct error err = {0};
    bool ok = cli_db_open(&o, &db, &err) && list(&db, &f, limit, o.json, &err);
    cli_db_close(&db);
    free(a.states);
    return ok ? 0 : cli_fail(&err);
}
