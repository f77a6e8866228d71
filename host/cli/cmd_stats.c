#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_db.h"
#include "cli/commands.h"
#include "cli/doc_view.h"
#include "cli/duration.h"
#include "cli/table.h"
#include "cli/timefmt.h"
#include "store/admin_common.h"
#include "store/admin_stats.h"
#include "store/task_doc.h"

static const char USAGE[] =
    "usage: taskhost stats [common options]\n\n"
    "Shows the state of the queue:\n"
    "  - tasks by type and state (new, queued, running, retry, done, dead,\n"
    "    cancelled), with totals;\n"
    "  - the hosts: state, running tasks of their maximum, task types, and when\n"
    "    they were last seen; a host not seen for more than 3 heartbeats\n"
    "    (host.heartbeat_ms of the configuration) is marked \"silent\";\n"
    "  - tasks done per minute over the last 10 minutes (UTC, the last minute\n"
    "    still running);\n"
    "  - the oldest waiting task: due longest ago and not yet claimed.\n"
    "Times are the server's. With --json, one JSON object.\n\n"
    "common options:\n"
    "  -c, --config FILE   the configuration (default $TASKHOST_CONFIG, else\n"
    "                      /etc/taskhost/taskhost.cfg)\n"
    "      --uri URI       the MongoDB URI (instead of mongodb.uri)\n"
    "      --db NAME       the database (instead of mongodb.database)\n"
    "      --json          machine-readable output\n"
    "  -h, --help          this text\n\n"
    "exit status: 0 ok, 64 usage, 69 MongoDB unreachable, 75 database error,\n"
    "78 configuration.\n";

#define N_STATES     8 /* the seven states and "other" */
#define MINUTES      10
#define SILENT_BEATS 3

static const char *const STATES[N_STATES] = {TS_NEW,  TS_QUEUED, TS_RUNNING,   TS_RETRY,
                                             TS_DONE, TS_DEAD,   TS_CANCELLED, "other"};

struct type_row {
    char *type;
    int64_t n[N_STATES];
};

struct stats {
    int64_t now;
    int64_t heartbeat_ms;
    struct type_row *rows;
    int n_rows, cap_rows;
    bool nomem;
    int64_t done[MINUTES];
    int64_t minute0; /* start of the first minute */
    bson_t *oldest;
};

static int state_index(const char *state)
{
    if (state[0] == '\0')
        return 0;
    for (int i = 1; i < N_STATES - 1; i++)
        if (strcmp(state, STATES[i]) == 0)
            return i;
    return N_STATES - 1;
}

static struct type_row *row_of(struct stats *s, const char *type)
{
    for (int i = 0; i < s->n_rows; i++)
        if (strcmp(s->rows[i].type, type) == 0)
            return &s->rows[i];
    if (s->n_rows == s->cap_rows) {
        int cap = s->cap_rows ? s->cap_rows * 2 : 16;
        struct type_row *r = realloc(s->rows, sizeof *r * (size_t)cap);
        if (r == NULL)
            return NULL;
        s->rows = r;
        s->cap_rows = cap;
    }
    struct type_row *r = &s->rows[s->n_rows];
    memset(r, 0, sizeof *r);
    r->type = strdup(type[0] ? type : "(no type)");
    if (r->type == NULL)
        return NULL;
    s->n_rows++;
    return r;
}

static void count_cb(const char *type, const char *state, int64_t n, void *arg)
{
    struct stats *s = arg;
    struct type_row *r = row_of(s, type);
    if (r == NULL)
        s->nomem = true;
    else
        r->n[state_index(state)] += n;
}

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const struct type_row *)a)->type, ((const struct type_row *)b)->type);
}

static bool gather(struct cli_db *db, struct stats *s, struct error *err)
{
    if (!store_server_time(&db->store, &s->now, err) ||
        !store_count_by_type_state(&db->store, count_cb, s, err))
        return false;
    if (s->nomem)
        return error_set(err, ERR_NOMEM, "out of memory");
    qsort(s->rows, (size_t)s->n_rows, sizeof *s->rows, cmp_rows);
    s->minute0 = (s->now / 60000 - (MINUTES - 1)) * 60000;
    for (int i = 0; i < MINUTES; i++) {
        int64_t from = s->minute0 + i * 60000;
        s->done[i] = store_count_finished(&db->store, TS_DONE, from, from + 60000, err);
        if (s->done[i] < 0)
            return false;
    }
    return store_oldest_waiting(&db->store, s->now, &s->oldest, err) >= 0;
}

static void free_stats(struct stats *s)
{
    for (int i = 0; i < s->n_rows; i++)
        free(s->rows[i].type);
    free(s->rows);
    if (s->oldest)
        bson_destroy(s->oldest);
}

/* ---- text ---- */

/* Whether any task has a state outside the seven. */
static bool has_other(const struct stats *s)
{
    for (int r = 0; r < s->n_rows; r++)
        if (s->rows[r].n[N_STATES - 1] > 0)
            return true;
    return false;
}

static void add_type_row(struct table *t, const char *type, const int64_t *n, bool other)
{
    char cells[N_STATES + 1][24];
    const char *row[N_STATES + 2];
    int k = 0;
    int64_t total = 0;
    row[k++] = type;
    for (int i = 0; i < N_STATES; i++) {
        total += n[i];
        if (i == N_STATES - 1 && !other)
            continue;
        snprintf(cells[i], sizeof cells[i], "%lld", (long long)n[i]);
        row[k++] = cells[i];
    }
    snprintf(cells[N_STATES], sizeof cells[N_STATES], "%lld", (long long)total);
    row[k++] = cells[N_STATES];
    table_add(t, row);
}

static void print_types(const struct stats *s)
{
    bool other = has_other(s);
    const char *headers[] = {"TYPE",
                             "NEW",
                             "QUEUED",
                             "RUNNING",
                             "RETRY",
                             "DONE",
                             "DEAD",
                             "CANCELLED",
                             other ? "OTHER" : "TOTAL",
                             other ? "TOTAL" : NULL,
                             NULL};
    struct table t;
    table_init(&t, headers);
    for (int i = 1; i < 10; i++)
        table_align_right(&t, i);
    int64_t sum[N_STATES] = {0};
    for (int r = 0; r < s->n_rows; r++) {
        add_type_row(&t, s->rows[r].type, s->rows[r].n, other);
        for (int i = 0; i < N_STATES; i++)
            sum[i] += s->rows[r].n[i];
    }
    add_type_row(&t, "TOTAL", sum, other);
    printf("tasks by type and state:\n");
    table_print(&t, stdout);
    table_free(&t);
}

static bool host_row(const bson_t *h, void *arg)
{
    void **a = arg;
    struct table *t = a[0];
    const struct stats *s = a[1];
    char id[160], pid[24] = "-", running[48] = "-", types[200] = "-", seen[64] = "never";
    int64_t n, m, seen_at;
    doc_render_id(h, id, sizeof id);
    if (doc_int(h, "pid", &n))
        snprintf(pid, sizeof pid, "%lld", (long long)n);
    if (doc_int(h, "running", &n) && doc_int(h, "max_concurrency", &m))
        snprintf(running, sizeof running, "%lld/%lld", (long long)n, (long long)m);
    char joined[400];
    text_clip(doc_join(h, "types", joined, sizeof joined), 40, types, sizeof types);
    const char *state = doc_utf8(h, "state");
    int64_t beat = doc_int(h, "heartbeat_ms", &n) && n > 0 ? n : s->heartbeat_ms;
    if (doc_date(h, "seen_at", &seen_at)) {
        time_format_relative(seen_at, s->now, seen, sizeof seen);
        if ((!state || strcmp(state, "stopped") != 0) && s->now - seen_at > SILENT_BEATS * beat)
            strncat(seen, " (silent)", sizeof seen - strlen(seen) - 1);
    }
    const char *cells[] = {id, doc_utf8(h, "hostname"), pid, state, running, types, seen};
    table_add(t, cells);
    return true;
}

static bool print_hosts(struct cli_db *db, const struct stats *s, struct error *err)
{
    static const char *const headers[] = {"HOST",    "HOSTNAME", "PID",  "STATE",
                                          "RUNNING", "TYPES",    "SEEN", NULL};
    struct table t;
    table_init(&t, headers);
    table_align_right(&t, 2);
    table_align_right(&t, 4);
    const void *arg[] = {&t, s};
    int64_t n = store_list_hosts(&db->store, host_row, (void *)arg, err);
    if (n > 0) {
        printf("\nhosts:\n");
        table_print(&t, stdout);
    } else if (n == 0) {
        printf("\nhosts: none has run yet\n");
    }
    table_free(&t);
    return n >= 0;
}

static void print_throughput(const struct stats *s)
{
    const char *headers[MINUTES + 1];
    char labels[MINUTES][8], counts[MINUTES][24];
    const char *row[MINUTES];
    for (int i = 0; i < MINUTES; i++) {
        char iso[40];
        time_format_iso(s->minute0 + i * 60000, iso, sizeof iso);
        snprintf(labels[i], sizeof labels[i], "%.5s", iso + 11); /* HH:MM */
        snprintf(counts[i], sizeof counts[i], "%lld", (long long)s->done[i]);
        headers[i] = labels[i];
        row[i] = counts[i];
    }
    headers[MINUTES] = NULL;
    struct table t;
    table_init(&t, headers);
    for (int i = 0; i < MINUTES; i++)
        table_align_right(&t, i);
    table_add(&t, row);
    printf("\ndone per minute (UTC):\n");
    table_print(&t, stdout);
    table_free(&t);
}

static void print_oldest(const struct stats *s)
{
    if (s->oldest == NULL) {
        printf("\noldest waiting task: none waiting\n");
        return;
    }
    char id[160], age[32] = "?";
    int64_t run_at;
    doc_render_id(s->oldest, id, sizeof id);
    if (doc_date(s->oldest, TD_RUN_AT, &run_at))
        duration_format(s->now - run_at, age, sizeof age);
    const char *type = doc_utf8(s->oldest, TD_TYPE);
    printf("\noldest waiting task: %s (%s, %s), due %s ago\n", id, type ? type : "?",
           doc_state(s->oldest), age);
}

/* ---- JSON ---- */

static void json_string(const char *s)
{
    bson_t tmp = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&tmp, "v", s);
    char *json = doc_json(&tmp, "v");
    fputs(json ? json : "\"\"", stdout);
    bson_free(json);
    bson_destroy(&tmp);
}

static bool host_json(const bson_t *h, void *arg)
{
    int *n = arg;
    char *json = bson_as_relaxed_extended_json(h, NULL);
    printf("%s%s", (*n)++ ? ", " : "", json ? json : "{}");
    bson_free(json);
    return true;
}

static bool print_json(struct cli_db *db, const struct stats *s, struct error *err)
{
    printf("{\"server_time_ms\": %lld, \"by_type\": {", (long long)s->now);
    for (int r = 0; r < s->n_rows; r++) {
        printf("%s", r ? ", " : "");
        json_string(s->rows[r].type);
        printf(": {");
        for (int i = 0; i < N_STATES; i++)
            printf("%s\"%s\": %lld", i ? ", " : "", STATES[i], (long long)s->rows[r].n[i]);
        printf("}");
    }
    printf("}, \"done_per_minute\": [");
    for (int i = 0; i < MINUTES; i++)
        printf("%s%lld", i ? ", " : "", (long long)s->done[i]);
    printf("], \"minute0_ms\": %lld, \"hosts\": [", (long long)s->minute0);
    int n = 0;
    bool ok = store_list_hosts(&db->store, host_json, &n, err) >= 0;
    printf("], \"oldest_waiting\": ");
    char *oldest = s->oldest ? bson_as_relaxed_extended_json(s->oldest, NULL) : NULL;
    printf("%s}\n", oldest ? oldest : "null");
    bson_free(oldest);
    return ok;
}

static bool stats(struct cli_db *db, bool json, struct error *err)
{
    struct stats s = {.heartbeat_ms = db->heartbeat_ms};
    bool ok = gather(db, &s, err);
    if (ok && json) {
        ok = print_json(db, &s, err);
    } else if (ok) {
        print_types(&s);
        ok = print_hosts(db, &s, err);
        print_throughput(&s);
        print_oldest(&s);
    }
    free_stats(&s);
    return ok;
}

int cmd_stats(int argc, char **argv)
{
    struct cli_db_opts o;
    int first;
    int rc = cli_db_parse(argc, argv, USAGE, NULL, NULL, NULL, NULL, &o, &first);
    if (rc >= 0)
        return rc;
    if (first < argc)
        return cli_usage_error(argv[0], USAGE, "unexpected argument \"%s\"", argv[first]);
    struct cli_db db = {0};
    struct error err = {0};
    bool ok = cli_db_open(&o, &db, &err) && stats(&db, o.json, &err);
    cli_db_close(&db);
    return ok ? 0 : cli_fail(&err);
}
