/*
 * The operator and producer commands (enqueue, ls, show, stats, retry, cancel, purge) run as
 * a user would: the real binary against the real test server, checking what they print,
 * their exit status and what they leave in the database.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ts.h"

static char *db;     /* a fresh database per test */
static char *dir;    /* its temporary directory */
static char *config; /* a host config on db */
static int runs;

static int setup(void **state)
{
    (void)state;
    db = ts_unique_db("cli");
    dir = ts_temp_dir();
    struct ts_host_opts o = {.database = db, .host_id = "h1", .log_level = "info"};
    config = ts_host_config(&o);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_drop_db(db);
    free(db);
    free(dir);
    free(config);
    return 0;
}

/* ---- running the binary ---- */

struct run {
    int rc;
    char *out; /* stdout and stderr together */
    int64_t ms;
};

static void run_free(struct run *r)
{
    free(r->out);
    r->out = NULL;
}

/* Runs `taskhost <cmd> -c config args...` (NULL-terminated). */
static struct run cli(const char *cmd, ...)
{
    const char *argv[40] = {TS_HOST_BIN, cmd, "-c", config};
    int n = 4;
    va_list ap;
    va_start(ap, cmd);
    for (const char *a; n < 39 && (a = va_arg(ap, const char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    char log[600];
    snprintf(log, sizeof log, "%s/run-%d.log", dir, ++runs);
    struct run r;
    int64_t start = ts_now_ms();
    r.rc = ts_wait_exit(ts_spawn(argv, log), 60000);
    r.ms = ts_now_ms() - start;
    r.out = ts_read_file(log);
    if (r.out == NULL)
        r.out = strdup("");
    return r;
}

/* Runs a shell command line (for stdin redirection). */
static struct run shell(const char *line)
{
    const char *argv[] = {"/bin/sh", "-c", line, NULL};
    char log[600];
    snprintf(log, sizeof log, "%s/run-%d.log", dir, ++runs);
    struct run r = {0};
    r.rc = ts_wait_exit(ts_spawn(argv, log), 60000);
    r.out = ts_read_file(log);
    return r;
}

#define expect_rc(r, code)                                                                         \
    do {                                                                                           \
        if ((r).rc != (code))                                                                      \
            fail_msg("exit status %d, expected %d; output:\n%s", (r).rc, (code), (r).out);         \
    } while (0)

#define expect_out(r, text)                                                                        \
    do {                                                                                           \
        if (strstr((r).out, (text)) == NULL)                                                       \
            fail_msg("\"%s\" is not in the output:\n%s", (text), (r).out);                         \
    } while (0)

#define expect_not_out(r, text)                                                                    \
    do {                                                                                           \
        if (strstr((r).out, (text)) != NULL)                                                       \
            fail_msg("\"%s\" should not be in the output:\n%s", (text), (r).out);                  \
    } while (0)

/* The ObjectId hex that an enqueue printed on a line of its own, into id (25 bytes). */
static void first_id(const struct run *r, char *id)
{
    for (const char *line = r->out; line && *line; line = strchr(line, '\n'), line += !!line) {
        if (strspn(line, "0123456789abcdef") == 24 && (line[24] == '\n' || line[24] == '\0')) {
            memcpy(id, line, 24);
            id[24] = '\0';
            return;
        }
    }
    fail_msg("no line with an ObjectId in:\n%s", r->out);
}

static bson_t *task(const char *id)
{
    char filter[100];
    snprintf(filter, sizeof filter, "{\"_id\": {\"$oid\": \"%s\"}}", id);
    bson_t *doc = ts_find_one(db, "tasks", filter);
    if (doc == NULL)
        fail_msg("task %s is not in the database", id);
    return doc;
}

static const char *str_of(const bson_t *doc, const char *path)
{
    bson_iter_t it, sub;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &sub) &&
        BSON_ITER_HOLDS_UTF8(&sub))
        return bson_iter_utf8(&sub, NULL);
    return "(none)";
}

static int64_t int_of(const bson_t *doc, const char *path)
{
    bson_iter_t it, sub;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &sub) &&
        BSON_ITER_HOLDS_NUMBER(&sub))
        return bson_iter_as_int64(&sub);
    return -999;
}

static int64_t date_of(const bson_t *doc, const char *path)
{
    bson_iter_t it, sub;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, path, &sub) &&
        BSON_ITER_HOLDS_DATE_TIME(&sub))
        return bson_iter_date_time(&sub);
    fail_msg("field %s is not a date", path);
    return 0;
}

static int array_len(const bson_t *doc, const char *path)
{
    bson_iter_t it, sub;
    int n = 0;
    if (bson_iter_init_find(&it, doc, path) && BSON_ITER_HOLDS_ARRAY(&it) &&
        bson_iter_recurse(&it, &sub))
        while (bson_iter_next(&sub))
            n++;
    return n;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char id_filter[100];
static const char *by_id(const char *id, const char *more)
{
    snprintf(id_filter, sizeof id_filter, "{\"_id\": {\"$oid\": \"%s\"}%s%s}", id, more ? ", " : "",
             more ? more : "");
    return id_filter;
}

/* True when the tasks collection has a unique index of that name. */
static bool has_unique_index(const char *name)
{
    mongoc_collection_t *coll = mongoc_client_get_collection(ts_client(), db, "tasks");
    mongoc_cursor_t *cur = mongoc_collection_find_indexes_with_opts(coll, NULL);
    const bson_t *idx;
    bool found = false;
    while (mongoc_cursor_next(cur, &idx)) {
        bson_iter_t it;
        if (strcmp(str_of(idx, "name"), name) == 0 && bson_iter_init_find(&it, idx, "unique") &&
            bson_iter_as_bool(&it))
            found = true;
    }
    mongoc_cursor_destroy(cur);
    mongoc_collection_destroy(coll);
    return found;
}

/* ---- enqueue ---- */

static void enqueue_one_task(void **state)
{
    (void)state;
    struct run r = cli("enqueue", "-t", "noop", "-p", "{\"n\": 1, \"s\": \"x\"}", "--priority", "7",
                       "--max-retries", "2", NULL);
    expect_rc(r, 0);
    char id[25];
    first_id(&r, id);
    bson_t *doc = task(id);
    assert_string_equal(str_of(doc, "type"), "noop");
    assert_string_equal(str_of(doc, "state"), "queued");
    assert_int_equal(int_of(doc, "payload.n"), 1);
    assert_string_equal(str_of(doc, "payload.s"), "x");
    assert_int_equal(int_of(doc, "priority"), 7);
    assert_int_equal(int_of(doc, "attempts"), 0);
    assert_int_equal(int_of(doc, "max_retries"), 2);
    int64_t created = date_of(doc, "created_at");
    assert_true(llabs(created - wall_ms()) < 60000);
    /* due at once, by the server's clock (one $currentDate; a server may take each field's
     * time separately) */
    assert_true(llabs(date_of(doc, "run_at") - created) < 50);
    assert_true(llabs(date_of(doc, "updated_at") - created) < 50);
    assert_false(bson_has_field(doc, "unique_key"));
    bson_destroy(doc);
    run_free(&r);

    r = cli("enqueue", "-t", "noop", "--delay", "1h", NULL);
    expect_rc(r, 0);
    first_id(&r, id);
    doc = task(id);
    int64_t wait = date_of(doc, "run_at") - date_of(doc, "created_at");
    assert_true(wait > 3600000 - 10000 && wait <= 3600000 + 1000);
    assert_int_equal(bson_has_field(doc, "payload"), true); /* {} */
    bson_destroy(doc);
    run_free(&r);

    r = cli("enqueue", "--json", "-t", "noop", "--at", "2030-01-02T03:04:05Z", NULL);
    expect_rc(r, 0);
    expect_out(r, "\"enqueued\": true");
    char *p = strstr(r.out, "\"id\": \"");
    assert_non_null(p);
    memcpy(id, p + 7, 24);
    doc = task(id);
    assert_int_equal(date_of(doc, "run_at"), 1893553445000LL);
    bson_destroy(doc);
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", NULL), 3);
}

static void enqueue_refuses_bad_input(void **state)
{
    (void)state;
    struct run r = cli("enqueue", "-t", "noop", "-p", "{\"n\": 1,}", NULL);
    expect_rc(r, 65);
    expect_out(r, "column 9");
    expect_out(r, "comma before '}'");
    run_free(&r);
    r = cli("enqueue", "-t", "noop", "-p", "[1]", NULL);
    expect_rc(r, 65);
    expect_out(r, "must be a JSON object");
    run_free(&r);
    r = cli("enqueue", "-t", "noop", "--delay", "5", NULL);
    expect_rc(r, 64);
    expect_out(r, "no unit");
    run_free(&r);
    r = cli("enqueue", "-p", "{}", NULL);
    expect_rc(r, 64);
    expect_out(r, "give -t TYPE");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", NULL), 0);
}

static void enqueue_json_lines(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/tasks.jsonl", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 2500; i++)
        fprintf(f, "{\"type\": \"%s\", \"payload\": {\"i\": %d}, \"priority\": %d}\n",
                i % 2 ? "odd" : "even", i, i % 5);
    fputs("\n{\"type\": \"later\", \"delay_ms\": 600000, \"max_retries\": 5, \"unique_key\": "
          "\"u1\"}\n",
          f);
    fclose(f);
    struct run r = cli("enqueue", "-f", path, NULL);
    expect_rc(r, 0);
    expect_out(r, "enqueued 2501 tasks");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", NULL), 2501);
    assert_int_equal(ts_count(db, "tasks", "{\"type\": \"odd\", \"state\": \"queued\"}"), 1250);
    assert_int_equal(ts_count(db, "tasks", "{\"payload.i\": 2499, \"priority\": 4}"), 1);
    bson_t *later = ts_find_one(db, "tasks", "{\"type\": \"later\"}");
    assert_string_equal(str_of(later, "unique_key"), "u1");
    assert_int_equal(int_of(later, "max_retries"), 5);
    int64_t wait = date_of(later, "run_at") - date_of(later, "created_at");
    assert_true(wait > 600000 - 10000 && wait <= 600000 + 1000);
    bson_destroy(later);

    /* from stdin, with the same unique key again: already enqueued, not duplicated */
    char line[1400];
    snprintf(line, sizeof line,
             "printf '{\"type\": \"a\"}\\n{\"type\": \"later\", \"unique_key\": \"u1\"}\\n' | "
             "%s enqueue -c %s -f -",
             TS_HOST_BIN, config);
    r = shell(line);
    expect_rc(r, 0);
    expect_out(r, "enqueued 1 task, 1 already enqueued");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", "{\"unique_key\": \"u1\"}"), 1);
    assert_int_equal(ts_count(db, "tasks", "{\"type\": \"a\"}"), 1);
}

static void bad_json_lines_insert_nothing(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/bad.jsonl", dir);
    write_file(path, "{\"type\": \"ok\"}\n"
                     "{\"type\": \"ok\", \"payload\": {\"n\": 2}}\n"
                     "{\"type\": \"ok\", \"priority\": \"high\"}\n"
                     "{\"type\": \"ok\" \"payload\": {}}\n"
                     "{\"type\": \"ok\"}\n");
    struct run r = cli("enqueue", "-f", path, NULL);
    expect_rc(r, 65);
    expect_out(r, "line 3, column 28: field \"priority\" must be a whole number");
    expect_out(r, "line 4, column 15: expected ',' or '}'");
    expect_out(r, "nothing was enqueued");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", NULL), 0);

    r = cli("enqueue", "-f", path, "--skip-bad", NULL);
    expect_rc(r, 0);
    expect_out(r, "enqueued 3 tasks, 2 bad lines skipped");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", NULL), 3);

    snprintf(path, sizeof path, "%s/missing.jsonl", dir);
    r = cli("enqueue", "-f", path, NULL);
    expect_rc(r, 74);
    expect_out(r, "cannot open");
    run_free(&r);
}

static void unique_key_returns_the_live_task(void **state)
{
    (void)state;
    struct run r = cli("enqueue", "-t", "noop", "--unique", "report:7", "--delay", "1h", NULL);
    expect_rc(r, 0);
    char first[25], again[25];
    first_id(&r, first);
    run_free(&r);
    r = cli("enqueue", "-t", "noop", "--unique", "report:7", NULL);
    expect_rc(r, 0);
    first_id(&r, again);
    assert_string_equal(first, again);
    char msg[80];
    snprintf(msg, sizeof msg, "already enqueued as %s", first);
    expect_out(r, msg);
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", NULL), 1);
    /* enforced by a unique index, not by a check before the insert */
    assert_true(has_unique_index("th_unique"));

    /* once the task has finished, the key is free again */
    r = cli("cancel", first, NULL);
    expect_rc(r, 0);
    run_free(&r);
    r = cli("enqueue", "-t", "noop", "--unique", "report:7", NULL);
    expect_rc(r, 0);
    first_id(&r, again);
    assert_string_not_equal(first, again);
    expect_not_out(r, "already");
    run_free(&r);
    bson_t *old = task(first);
    assert_false(bson_has_field(old, "unique_key"));
    assert_string_equal(str_of(old, "finished_key"), "report:7");
    bson_destroy(old);

    /* a task finished by a host that kept the key: the key is freed on demand */
    ts_insert_json(db, "tasks",
                   "{\"type\": \"noop\", \"state\": \"done\", \"unique_key\": "
                   "\"k2\"}");
    r = cli("enqueue", "-t", "noop", "--unique", "k2", NULL);
    expect_rc(r, 0);
    expect_not_out(r, "already");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", "{\"unique_key\": \"k2\", \"state\": \"queued\"}"), 1);
}

/* ---- looking ---- */

static void insert_dead_task(void)
{
    int64_t now = wall_ms();
    char json[1500];
    snprintf(json, sizeof json,
             "{\"_id\": \"job-17\", \"type\": \"resize\", \"state\": \"dead\", \"priority\": 0, "
             "\"attempts\": 2, \"payload\": {\"image\": 17, \"sizes\": [1, 2]}, "
             "\"created_at\": {\"$date\": {\"$numberLong\": \"%lld\"}}, "
             "\"updated_at\": {\"$date\": {\"$numberLong\": \"%lld\"}}, "
             "\"finished_at\": {\"$date\": {\"$numberLong\": \"%lld\"}}, "
             "\"errors\": [{\"attempt\": 1, \"at\": {\"$date\": {\"$numberLong\": \"%lld\"}}, "
             "\"host\": \"h1\", \"kind\": \"failed\", \"message\": \"disk full\"}, "
             "{\"attempt\": 2, \"at\": {\"$date\": {\"$numberLong\": \"%lld\"}}, \"host\": "
             "\"h2\", \"kind\": \"permanent\", \"message\": \"image 17 is corrupt\"}]}",
             (long long)(now - 60000), (long long)(now - 5000), (long long)(now - 5000),
             (long long)(now - 30000), (long long)(now - 5000));
    ts_insert_json(db, "tasks", json);
}

static void ls_show_and_stats(void **state)
{
    (void)state;
    struct run r = cli("enqueue", "-t", "resize", "-p", "{\"image\": 18}", "--priority", "3", NULL);
    char queued[25];
    first_id(&r, queued);
    run_free(&r);
    insert_dead_task();
    ts_insert_json(db, "tasks", "{\"type\": \"thumb\", \"payload\": {}}"); /* new, by hand */
    int64_t now = wall_ms();
    char host[400];
    snprintf(host, sizeof host,
             "{\"_id\": \"gone-host\", \"hostname\": \"box\", \"pid\": 42, \"state\": "
             "\"running\", \"running\": 1, \"max_concurrency\": 8, \"types\": [\"resize\"], "
             "\"seen_at\": {\"$date\": {\"$numberLong\": \"%lld\"}}}",
             (long long)(now - 600000));
    ts_insert_json(db, "hosts", host);

    r = cli("ls", NULL);
    expect_rc(r, 0);
    expect_out(r, "ID");
    expect_out(r, "LAST ERROR");
    expect_out(r, queued);
    expect_out(r, "job-17");
    expect_out(r, "image 17 is corrupt"); /* the last error */
    expect_out(r, "dead");
    expect_out(r, "new");
    /* newest first: the hand-inserted dead task was created a minute ago */
    assert_true(strstr(r.out, queued) < strstr(r.out, "job-17"));
    run_free(&r);

    r = cli("ls", "--state", "dead", NULL);
    expect_rc(r, 0);
    expect_out(r, "job-17");
    expect_not_out(r, queued);
    run_free(&r);
    r = cli("ls", "--state", "new,queued", "--type", "resize", NULL);
    expect_out(r, queued);
    expect_not_out(r, "job-17");
    expect_not_out(r, "thumb");
    run_free(&r);
    r = cli("ls", "--limit", "1", NULL);
    expect_out(r, "(1 of 3 shown");
    run_free(&r);
    r = cli("ls", "--state", "finished", NULL);
    expect_rc(r, 64);
    run_free(&r);
    r = cli("ls", "--json", NULL);
    expect_rc(r, 0);
    int lines = 0;
    for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, 3);
    expect_out(r, "\"_id\" : \"job-17\"");
    run_free(&r);

    r = cli("show", "job-17", NULL);
    expect_rc(r, 0);
    expect_out(r, "state:            dead");
    expect_out(r, "attempt 1 at ");
    expect_out(r, " on host h1 (failed): disk full");
    expect_out(r, " on host h2 (permanent): image 17 is corrupt");
    expect_out(r, "payload:\n  {\n    \"image\": 17,\n    \"sizes\": [\n");
    expect_out(r, "finished_at:");
    expect_out(r, "s ago)");
    run_free(&r);
    r = cli("show", queued, "--json", NULL);
    expect_rc(r, 0);
    expect_out(r, "\"$oid\" : \"");
    expect_out(r, "\"image\" : 18");
    run_free(&r);

    r = cli("stats", NULL);
    expect_rc(r, 0);
    expect_out(r, "QUEUED");
    expect_out(r, "CANCELLED");
    expect_out(r, "resize");
    expect_out(r, "thumb");
    expect_out(r, "TOTAL");
    expect_out(r, "gone-host");
    expect_out(r, "(silent)");
    expect_out(r, "done per minute");
    expect_out(r, "oldest waiting task: ");
    expect_out(r, queued);
    run_free(&r);
    r = cli("stats", "--json", NULL);
    expect_rc(r, 0);
    expect_out(r, "\"resize\": {\"new\": 0, \"queued\": 1, \"running\": 0, \"retry\": 0, "
                  "\"done\": 0, \"dead\": 1");
    expect_out(r, "\"thumb\": {\"new\": 1");
    run_free(&r);
}

/* ---- changing ---- */

struct wait_arg {
    const char *filter;
    int64_t n;
};

static bool count_is(void *arg)
{
    struct wait_arg *w = arg;
    return ts_count(db, "tasks", w->filter) == w->n;
}

static void wait_for(const char *filter, int timeout_ms)
{
    struct wait_arg w = {filter, 1};
    if (!ts_wait_until(count_is, &w, timeout_ms)) {
        bson_t *doc = ts_find_one(db, "tasks", NULL);
        char *json = doc ? bson_as_relaxed_extended_json(doc, NULL) : NULL;
        fail_msg("no task matches %s within %d ms; a task: %s", filter, timeout_ms,
                 json ? json : "none");
    }
}

static void retry_a_dead_task_runs_it_again(void **state)
{
    (void)state;
    char log[600];
    snprintf(log, sizeof log, "%s/host.log", dir);
    pid_t host = ts_host_start(config, log);
    struct run r = cli("enqueue", "-t", "flaky", "-p", "{\"permanent\": true, \"fail_rate\": 1}",
                       "--unique", "flaky-1", NULL);
    char id[25];
    first_id(&r, id);
    run_free(&r);
    wait_for(by_id(id, "\"state\": \"dead\""), 30000);

    r = cli("retry", id, NULL);
    expect_rc(r, 0);
    expect_out(r, "queued");
    run_free(&r);
    /* it ran again: a second error, dead again, the retry recorded */
    wait_for(by_id(id, "\"state\": \"dead\", \"errors.1\": {\"$exists\": true}"), 30000);
    bson_t *doc = task(id);
    assert_int_equal(array_len(doc, "errors"), 2);
    assert_int_equal(array_len(doc, "operator_retries"), 1);
    assert_int_equal(int_of(doc, "attempts"), 1);
    bson_destroy(doc);

    r = cli("retry", id, "--json", NULL);
    expect_rc(r, 0);
    expect_out(r, "\"state\": \"queued\"");
    run_free(&r);
    wait_for(by_id(id, "\"state\": \"dead\", \"errors.2\": {\"$exists\": true}"), 30000);

    /* all dead of a type */
    for (int i = 0; i < 3; i++) {
        r = cli("enqueue", "-t", "flaky", "-p", "{\"permanent\": true, \"fail_rate\": 1}", NULL);
        run_free(&r);
    }
    struct wait_arg w = {"{\"type\": \"flaky\", \"state\": \"dead\"}", 4};
    assert_true(ts_wait_until(count_is, &w, 30000));
    assert_int_equal(ts_host_stop(host, 20000), 0);
    r = cli("retry", "--all-dead", "--type", "flaky", NULL);
    expect_rc(r, 0);
    expect_out(r, "queued 4 dead tasks of type flaky again");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks",
                              "{\"type\": \"flaky\", \"state\": \"queued\", "
                              "\"attempts\": 0}"),
                     4);
    assert_int_equal(ts_count(db, "tasks", "{\"unique_key\": \"flaky-1\"}"), 1);

    r = cli("retry", id, NULL); /* queued now */
    expect_rc(r, 65);
    expect_out(r, "only dead or cancelled tasks can be retried");
    run_free(&r);
}

static void cancel_a_queued_task(void **state)
{
    (void)state;
    struct run r = cli("enqueue", "-t", "noop", "--delay", "1h", NULL);
    char id[25];
    first_id(&r, id);
    run_free(&r);
    r = cli("cancel", id, NULL);
    expect_rc(r, 0);
    expect_out(r, "cancelled");
    run_free(&r);
    bson_t *doc = task(id);
    assert_string_equal(str_of(doc, "state"), "cancelled");
    assert_true(llabs(date_of(doc, "finished_at") - wall_ms()) < 60000);
    bson_destroy(doc);
    r = cli("cancel", id, NULL);
    expect_rc(r, 65);
    expect_out(r, "already cancelled");
    run_free(&r);

    /* a hand-inserted task that no host took in yet */
    ts_insert_json(db, "tasks", "{\"_id\": 5, \"type\": \"noop\"}");
    r = cli("cancel", "5", NULL);
    expect_rc(r, 0);
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", "{\"_id\": 5, \"state\": \"cancelled\"}"), 1);
    r = cli("retry", "5", NULL);
    expect_rc(r, 0);
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks",
                              "{\"_id\": 5, \"state\": \"queued\", \"finished_at\": "
                              "{\"$exists\": false}}"),
                     1);
}

static void cancel_a_running_task(void **state)
{
    (void)state;
    char log[600];
    snprintf(log, sizeof log, "%s/host.log", dir);
    pid_t host = ts_host_start(config, log);
    struct run r = cli("enqueue", "-t", "sleep", "-p", "{\"ms\": 20000}", NULL);
    char id[25];
    first_id(&r, id);
    run_free(&r);
    wait_for(by_id(id, "\"state\": \"running\""), 30000);
    r = cli("cancel", id, NULL);
    expect_rc(r, 0);
    expect_out(r, "cancel requested");
    expect_out(r, "host h1");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", by_id(id, "\"cancel_requested\": true")), 1);
    int64_t start = ts_now_ms();
    wait_for(by_id(id, "\"state\": \"cancelled\""), 10000);
    assert_true(ts_now_ms() - start < 10000); /* well before the 20 s sleep ends */
    assert_int_equal(ts_host_stop(host, 20000), 0);
}

static void purge_old_finished_tasks(void **state)
{
    (void)state;
    int64_t now = wall_ms(), old = now - 10LL * 86400000;
    const char *kinds[][2] = {
        {"done", "old"}, {"dead", "old"}, {"done", "new"}, {"cancelled", "new"}};
    for (size_t i = 0; i < 4; i++) {
        char json[300];
        snprintf(json, sizeof json,
                 "{\"type\": \"t\", \"state\": \"%s\", \"age\": \"%s\", \"finished_at\": "
                 "{\"$date\": {\"$numberLong\": \"%lld\"}}}",
                 kinds[i][0], kinds[i][1],
                 (long long)(strcmp(kinds[i][1], "old") == 0 ? old : now - 60000));
        ts_insert_json(db, "tasks", json);
    }
    ts_insert_json(db, "tasks", "{\"type\": \"t\", \"state\": \"queued\"}");
    struct run r = cli("purge", "--older-than", "7d", "--dry-run", NULL);
    expect_rc(r, 0);
    expect_out(r, "would delete 2 finished tasks");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", NULL), 5);
    r = cli("purge", "--older-than", "7d", "--state", "done", NULL);
    expect_rc(r, 0);
    expect_out(r, "deleted 1 finished task ");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", "{\"state\": \"done\", \"age\": \"old\"}"), 0);
    r = cli("purge", "--older-than", "7d", "--json", NULL);
    expect_rc(r, 0);
    expect_out(r, "{\"deleted\": 1}");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", NULL), 3);
    r = cli("purge", "--older-than", "30s", "--type", "other", NULL);
    expect_out(r, "deleted 0");
    run_free(&r);
    r = cli("purge", "--older-than", "30s", NULL);
    expect_out(r, "deleted 2");
    run_free(&r);
    assert_int_equal(ts_count(db, "tasks", "{\"state\": \"queued\"}"), 1);
    r = cli("purge", NULL);
    expect_rc(r, 64);
    run_free(&r);
}

/* ---- failures ---- */

static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void unreachable_server_fails_quickly(void **state)
{
    (void)state;
    char uri[200], shown[200];
    int port = closed_port();
    snprintf(uri, sizeof uri, "mongodb://ops:s3cret@127.0.0.1:%d/?authSource=admin", port);
    snprintf(shown, sizeof shown, "mongodb://ops:***@127.0.0.1:%d", port);
    static const char *const cmds[] = {"ls", "stats", "show", "enqueue", "purge"};
    for (size_t i = 0; i < 5; i++) {
        struct run r;
        if (strcmp(cmds[i], "show") == 0)
            r = cli(cmds[i], "--uri", uri, "x", NULL);
        else if (strcmp(cmds[i], "enqueue") == 0)
            r = cli(cmds[i], "--uri", uri, "-t", "noop", NULL);
        else if (strcmp(cmds[i], "purge") == 0)
            r = cli(cmds[i], "--uri", uri, "--older-than", "1d", NULL);
        else
            r = cli(cmds[i], "--uri", uri, NULL);
        expect_rc(r, 69);
        expect_out(r, "cannot reach MongoDB at ");
        expect_out(r, shown);
        expect_not_out(r, "s3cret");
        if (r.ms > 8000)
            fail_msg("%s took %lld ms to give up", cmds[i], (long long)r.ms);
        run_free(&r);
    }
}

static void wrong_uri_is_a_configuration_error(void **state)
{
    (void)state;
    struct run r = cli("ls", "--uri", "mongodb://ops:s3cret@", NULL);
    expect_rc(r, 78);
    expect_out(r, "is not a valid MongoDB URI");
    expect_not_out(r, "s3cret");
    run_free(&r);
    r = cli("ls", "--uri", "http://example.com", NULL);
    expect_rc(r, 78);
    run_free(&r);
    r = cli("ls", "--db", "a.b", NULL);
    expect_rc(r, 78);
    expect_out(r, "--db");
    run_free(&r);
}

static void missing_task_exits_66(void **state)
{
    (void)state;
    static const char *const cmds[] = {"show", "cancel", "retry"};
    for (size_t i = 0; i < 3; i++) {
        struct run r = cli(cmds[i], "0123456789abcdef01234567", NULL);
        expect_rc(r, 66);
        expect_out(r, "no such task");
        expect_out(r, "0123456789abcdef01234567");
        run_free(&r);
    }
}

static void every_command_has_help(void **state)
{
    (void)state;
    static const char *const cmds[] = {"enqueue", "ls",     "show", "stats",
                                       "retry",   "cancel", "purge"};
    for (size_t i = 0; i < 7; i++) {
        struct run r = cli(cmds[i], "--help", NULL);
        expect_rc(r, 0);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: taskhost %s", cmds[i]);
        expect_out(r, usage);
        expect_out(r, "exit status");
        expect_out(r, "--json");
        run_free(&r);
        r = cli(cmds[i], "--no-such-option", NULL);
        expect_rc(r, 64);
        expect_out(r, usage);
        run_free(&r);
    }
    const char *argv[] = {TS_HOST_BIN, "--help", NULL};
    char log[600];
    snprintf(log, sizeof log, "%s/help.log", dir);
    assert_int_equal(ts_wait_exit(ts_spawn(argv, log), 10000), 0);
    for (size_t i = 0; i < 7; i++)
        assert_true(ts_file_contains(log, cmds[i]));
    assert_true(ts_file_contains(log, "66  no such task"));
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(enqueue_one_task, setup, teardown),
        cmocka_unit_test_setup_teardown(enqueue_refuses_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(enqueue_json_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_json_lines_insert_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(unique_key_returns_the_live_task, setup, teardown),
        cmocka_unit_test_setup_teardown(ls_show_and_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_a_dead_task_runs_it_again, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_a_queued_task, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_a_running_task, setup, teardown),
        cmocka_unit_test_setup_teardown(purge_old_finished_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(unreachable_server_fails_quickly, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_uri_is_a_configuration_error, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_task_exits_66, setup, teardown),
        cmocka_unit_test_setup_teardown(every_command_has_help, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
