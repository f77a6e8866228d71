#include "evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "ts.h"
#include "util.h"

/* ---- the database -------------------------------------------------------------------- */

static void copy_str(const bson_t *doc, const char *path, char *out, size_t len)
{
    bson_iter_t it, sub;
    out[0] = '\0';
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &sub) &&
        BSON_ITER_HOLDS_UTF8(&sub))
        snprintf(out, len, "%s", bson_iter_utf8(&sub, NULL));
}

static int get_int(const bson_t *doc, const char *path, int def)
{
    bson_iter_t it, sub;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &sub) &&
        BSON_ITER_HOLDS_NUMBER(&sub))
        return (int)bson_iter_as_int64(&sub);
    return def;
}

static void read_error(const bson_t *e, struct db_error *out)
{
    out->attempt = get_int(e, "attempt", -1);
    copy_str(e, "host", out->host, sizeof out->host);
    copy_str(e, "kind", out->kind, sizeof out->kind);
    copy_str(e, "message", out->message, sizeof out->message);
    bson_iter_t it;
    out->at = bson_iter_init_find(&it, e, "at") && BSON_ITER_HOLDS_DATE_TIME(&it)
                  ? bson_iter_date_time(&it)
                  : -1;
}

static void read_errors(const bson_t *doc, struct db_task *t)
{
    bson_iter_t it, arr;
    if (!bson_iter_init_find(&it, doc, "errors") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return;
    while (bson_iter_next(&arr)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr))
            continue;
        uint32_t len;
        const uint8_t *data;
        bson_iter_document(&arr, &len, &data);
        bson_t e;
        if (t->n_errors < DB_MAX_ERRORS && bson_init_static(&e, data, len))
            read_error(&e, &t->errors[t->n_errors]);
        t->n_errors++;
    }
}

void evidence_read_task(const bson_t *doc, struct db_task *t)
{
    t->found = true;
    copy_str(doc, "state", t->state, sizeof t->state);
    t->attempts = get_int(doc, "attempts", -1);
    t->host_deaths = get_int(doc, "host_deaths", 0);
    read_errors(doc, t);
    bson_iter_t it;
    t->has_result = bson_iter_init_find(&it, doc, "result") && BSON_ITER_HOLDS_DOCUMENT(&it);
    t->result_attempt = get_int(doc, "result.attempt", -1);
    copy_str(doc, "result.host", t->result_host, sizeof t->result_host);
}

int evidence_task_id(const bson_t *doc)
{
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_INT(&it))
        return 0;
    int64_t id = bson_iter_as_int64(&it);
    return id > 0 && id <= INT32_MAX ? (int)id : 0;
}

int evidence_load_tasks(const char *db, int n, struct db_task *out)
{
    mongoc_client_t *client = ts_client_new("serverSelectionTimeoutMS=10000");
    mongoc_collection_t *coll = mongoc_client_get_collection(client, db, "tasks");
    bson_t filter = BSON_INITIALIZER;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, NULL, NULL);
    const bson_t *doc;
    int others = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        int id = evidence_task_id(doc);
        if (id >= 1 && id <= n && !out[id - 1].found)
            evidence_read_task(doc, &out[id - 1]);
        else
            others++;
    }
    bson_error_t err;
    bool failed = mongoc_cursor_error(cur, &err);
    if (failed)
        fprintf(stderr, "chaos: cannot read %s.tasks: %s\n", db, err.message);
    mongoc_cursor_destroy(cur);
    bson_destroy(&filter);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    return failed ? -1 : others;
}

/* ---- the hosts' logs ----------------------------------------------------------------- */

void evidence_count_done_logs(const char *log_path, int n, int *counts)
{
    FILE *f = fopen(log_path, "r");
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        const char *p = strstr(line, "[task ");
        int id, ms;
        if (p && strstr(p, "]: rec done in ") &&
            sscanf(p, "[task %d]: rec done in %d", &id, &ms) == 2 && id >= 1 && id <= n)
            counts[id - 1]++;
    }
    free(line);
    fclose(f);
}

/* ---- executions ---------------------------------------------------------------------- */

struct open_list {
    int *idx; /* executions of one task, by index */
    int n, cap;
};

static void push(struct open_list *l, int v)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->idx = chaos_xrealloc(l->idx, sizeof *l->idx * (size_t)l->cap);
    }
    l->idx[l->n++] = v;
}

/* The open execution of the task with the same attempt and label, or -1. */
static int find_open(const struct open_list *l, const struct execution *ex,
                     const struct exec_line *end)
{
    for (int i = 0; i < l->n; i++) {
        const struct execution *e = &ex[l->idx[i]];
        if (e->end_idx < 0 && e->attempt == end->attempt && strcmp(e->label, end->label) == 0)
            return l->idx[i];
    }
    return -1;
}

int evidence_executions(const struct exec_line *lines, int n_lines, struct execution **out,
                        int *orphans)
{
    int max_id = 0;
    for (int i = 0; i < n_lines; i++)
        max_id = lines[i].task > max_id ? lines[i].task : max_id;
    struct open_list *by_task = calloc((size_t)max_id + 1, sizeof *by_task);
    struct execution *ex = chaos_xmalloc(sizeof *ex * (size_t)(n_lines > 0 ? n_lines : 1));
    int n = 0;
    *orphans = 0;
    for (int i = 0; i < n_lines; i++) {
        const struct exec_line *l = &lines[i];
        if (l->task < 0 || by_task == NULL) {
            (*orphans)++;
            continue;
        }
        if (l->start) {
            ex[n] = (struct execution){.task = l->task,
                                       .attempt = l->attempt,
                                       .start_idx = i,
                                       .end_idx = -1,
                                       .t_start = l->t_ms,
                                       .t_end = -1,
                                       .fault = -1};
            snprintf(ex[n].label, sizeof ex[n].label, "%s", l->label);
            push(&by_task[l->task], n++);
            continue;
        }
        int e = find_open(&by_task[l->task], ex, l);
        if (e < 0) {
            (*orphans)++;
            continue;
        }
        ex[e].end_idx = i;
        ex[e].t_end = l->t_ms;
        snprintf(ex[e].status, sizeof ex[e].status, "%s", l->status);
    }
    for (int i = 0; by_task && i <= max_id; i++)
        free(by_task[i].idx);
    free(by_task);
    *out = ex;
    return n;
}
