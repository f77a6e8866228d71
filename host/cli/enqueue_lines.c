#include "cli/enqueue_lines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cli/commands.h"
#include "cli/json_lines.h"
#include "cli/progress.h"
#include "store/indexes.h"

#define SHOW_MAX 20

struct input {
    FILE *f;
    FILE *spool; /* a copy of a stream that cannot be read twice */
    const char *name;
    char *line;
    size_t cap;
};

struct check {
    int64_t good, bad;
    bool keyed; /* some task has a unique key */
    struct line_error shown[SHOW_MAX];
    int n_shown;
};

struct totals {
    int64_t enqueued, duplicates, rejected, lines_done;
    int rejects_shown;
};

static bool open_input(const char *path, struct input *in, struct error *err)
{
    memset(in, 0, sizeof *in);
    in->name = strcmp(path, "-") == 0 ? "stdin" : path;
    in->f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (in->f == NULL)
        return error_set(err, ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(in->f), &st) != 0 || !S_ISREG(st.st_mode)) {
        in->spool = tmpfile();
        if (in->spool == NULL)
            return error_set(err, ERR_IO, "cannot create a temporary file to keep %s: %s", in->name,
                             strerror(errno));
    }
    return true;
}

static void close_input(struct input *in)
{
    if (in->f && in->f != stdin)
        fclose(in->f);
    if (in->spool)
        fclose(in->spool);
    free(in->line);
}

/* The next line without its newline: its length, or -1 at the end. */
static ssize_t next_line(struct input *in, FILE *f)
{
    ssize_t n = getline(&in->line, &in->cap, f);
    if (n > 0 && in->line[n - 1] == '\n')
        in->line[--n] = '\0';
    return n;
}

static bool check_all(struct input *in, struct check *c, struct error *err)
{
    memset(c, 0, sizeof *c);
    ssize_t n;
    for (int line_no = 1; (n = next_line(in, in->f)) >= 0; line_no++) {
        if (in->spool && (fwrite(in->line, 1, (size_t)n, in->spool) != (size_t)n ||
                          fputc('\n', in->spool) == EOF))
            return error_set(err, ERR_IO, "cannot keep %s in a temporary file: %s", in->name,
                             strerror(errno));
        if (json_line_blank(in->line, (size_t)n))
            continue;
        struct enqueue_task t;
        struct line_error e = {0};
        if (json_line_parse(in->line, (size_t)n, line_no, &t, &e)) {
            c->good++;
            c->keyed = c->keyed || t.unique_key != NULL;
            enqueue_task_clear(&t);
        } else {
            c->bad++;
            if (c->n_shown < SHOW_MAX)
                c->shown[c->n_shown++] = e;
        }
    }
    if (ferror(in->f))
        return error_set(err, ERR_IO, "cannot read %s: %s", in->name, strerror(errno));
    if (in->spool && fflush(in->spool) != 0)
        return error_set(err, ERR_IO, "cannot keep %s in a temporary file: %s", in->name,
                         strerror(errno));
    return true;
}

static void print_bad(const struct input *in, const struct check *c, bool skipping)
{
    for (int i = 0; i < c->n_shown; i++)
        fprintf(stderr, "%s: line %d, column %d: %s%s\n", in->name, c->shown[i].line,
                c->shown[i].column, c->shown[i].msg, skipping ? " (skipped)" : "");
    if (c->bad > c->n_shown)
        fprintf(stderr, "%s: ... and %lld more bad lines\n", in->name,
                (long long)(c->bad - c->n_shown));
}

/* Tries the duplicates of a batch once more after freeing keys that finished
 * tasks still held. */
static bool retry_duplicates(struct cli_db *db, struct enqueue_task *batch, int n,
                             struct error *err)
{
    const char *keys[ENQUEUE_BATCH_MAX];
    int nk = 0;
    for (int i = 0; i < n; i++)
        if (batch[i].outcome == ENQ_DUPLICATE)
            keys[nk++] = batch[i].unique_key;
    int64_t freed = nk ? store_release_finished_keys(&db->store, keys, nk, err) : 0;
    if (freed <= 0)
        return freed == 0;
    struct enqueue_task *again = calloc((size_t)nk, sizeof *again);
    if (again == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    int m = 0;
    for (int i = 0; i < n; i++)
        if (batch[i].outcome == ENQ_DUPLICATE)
            again[m++] = batch[i]; /* shallow: batch keeps ownership */
    bool ok = store_enqueue(&db->store, again, m, err);
    for (int i = 0, j = 0; ok && i < n; i++)
        if (batch[i].outcome == ENQ_DUPLICATE)
            batch[i] = again[j++];
    free(again);
    return ok;
}

static bool flush(struct cli_db *db, const struct input *in, struct enqueue_task *batch, int n,
                  struct totals *t, struct error *err)
{
    if (n == 0)
        return true;
    if (!store_enqueue(&db->store, batch, n, err) || !retry_duplicates(db, batch, n, err)) {
        error_prefix(err, "after %lld tasks, lines %d to %d (which may or may not be in): ",
                     (long long)t->enqueued, batch[0].line, batch[n - 1].line);
        return false;
    }
    for (int i = 0; i < n; i++) {
        t->enqueued += batch[i].outcome == ENQ_INSERTED;
        t->duplicates += batch[i].outcome == ENQ_DUPLICATE;
        if (batch[i].outcome == ENQ_REJECTED) {
            t->rejected++;
            if (t->rejects_shown++ < SHOW_MAX)
                fprintf(stderr, "%s: line %d: rejected by the server: %s\n", in->name,
                        batch[i].line, batch[i].reject_msg);
        }
        enqueue_task_clear(&batch[i]);
    }
    t->lines_done += n;
    return true;
}

static bool insert_all(struct cli_db *db, struct input *in, int64_t good, struct totals *t,
                       struct error *err)
{
    FILE *f = in->spool ? in->spool : in->f;
    if (fseek(f, 0, SEEK_SET) != 0)
        return error_set(err, ERR_IO, "cannot read %s again: %s", in->name, strerror(errno));
    struct enqueue_task *batch = calloc(ENQUEUE_BATCH_MAX, sizeof *batch);
    if (batch == NULL)
        return error_set(err, ERR_NOMEM, "out of memory");
    struct progress bar;
    progress_start(&bar, "enqueue", good);
    int n = 0;
    ssize_t len;
    bool ok = true;
    for (int line_no = 1; ok && (len = next_line(in, f)) >= 0; line_no++) {
        struct line_error e = {0};
        if (json_line_blank(in->line, (size_t)len) ||
            !json_line_parse(in->line, (size_t)len, line_no, &batch[n], &e))
            continue;
        if (++n == ENQUEUE_BATCH_MAX) {
            ok = flush(db, in, batch, n, t, err);
            n = 0;
            progress_update(&bar, t->lines_done);
        }
    }
    if (ok)
        ok = flush(db, in, batch, n, t, err);
    progress_end(&bar);
    for (int i = 0; i < ENQUEUE_BATCH_MAX; i++)
        enqueue_task_clear(&batch[i]);
    free(batch);
    return ok;
}

static void print_totals(const struct totals *t, const struct check *c, bool json)
{
    if (json) {
        printf("{\"enqueued\": %lld, \"already_enqueued\": %lld, \"bad_lines_skipped\": %lld, "
               "\"rejected\": %lld}\n",
               (long long)t->enqueued, (long long)t->duplicates, (long long)c->bad,
               (long long)t->rejected);
        return;
    }
    printf("enqueued %lld task%s", (long long)t->enqueued, t->enqueued == 1 ? "" : "s");
    if (t->duplicates)
        printf(", %lld already enqueued (their unique key is held by a live task)",
               (long long)t->duplicates);
    if (c->bad)
        printf(", %lld bad line%s skipped", (long long)c->bad, c->bad == 1 ? "" : "s");
    if (t->rejected)
        printf(", %lld rejected by the server", (long long)t->rejected);
    printf("\n");
}

static int run(const struct cli_db_opts *o, const struct lines_job *job, struct input *in)
{
    struct error err = {0};
    struct check c;
    if (!check_all(in, &c, &err))
        return cli_fail(&err);
    if (c.bad > 0 && !job->skip_bad) {
        print_bad(in, &c, false);
        fprintf(stderr,
                "taskhost: invalid input: %lld of %lld lines of %s are bad; nothing was "
                "enqueued (fix them, or use --skip-bad to enqueue the good ones)\n",
                (long long)c.bad, (long long)c.bad + (long long)c.good, in->name);
        return 65;
    }
    print_bad(in, &c, true);
    struct totals t = {0};
    if (c.good > 0) {
        struct cli_db db = {0};
        if (!cli_db_open(o, &db, &err))
            return cli_fail(&err);
        bool ok = (!c.keyed || store_ensure_indexes(&db.store, &err)) &&
                  insert_all(&db, in, c.good, &t, &err);
        cli_db_close(&db);
        if (!ok)
            return cli_fail(&err);
    }
    print_totals(&t, &c, o->json);
    if (t.rejected > 0)
        return 75;
    return c.good == 0 && c.bad > 0 ? 65 : 0;
}

int enqueue_lines(const struct cli_db_opts *o, const struct lines_job *job)
{
    struct input in;
    struct error err = {0};
    if (!open_input(job->path, &in, &err)) {
        close_input(&in);
        return cli_fail(&err);
    }
    int rc = run(o, job, &in);
    close_input(&in);
    return rc;
}
