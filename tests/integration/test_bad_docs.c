/*
 * Bad task documents (issue 4): a corpus of malformed documents inserted among good ones, run
 * by two hosts. What a user must see:
 *   - both hosts keep running (alive at the end, no crash or sanitizer report in their logs)
 *     and stop cleanly on SIGTERM;
 *   - every malformed document of the hosts' types, and every document without a string
 *     `type`, ends `dead` with exactly one error of kind "malformed" whose message names the
 *     field (`field "payload" ...`), without a lease;
 *   - every good document is `done` (among them a payload nested 90 levels deep, echoed back
 *     as the result, and a 15.5 MB payload);
 *   - documents of a type no host handles are left exactly as they were, malformed or not.
 *
 * The hosts load the test plugins (tests/plugins): type "test.good" returns a small result,
 * "test.good.echo" returns the payload rendered as JSON and parsed back (the JSON rendering a
 * plugin gets). A 15.5 MB payload echoed back is larger than a result may be (1 MB): the task
 * must fail cleanly (dead, an error saying why), not crash or loop.
 *
 * Every case is checked and all failures are listed together, each with its document.
 */
#include "../plugins/record/record_harness.h"

#define GOOD    "\"type\": \"test.good\""
#define FOREIGN "\"type\": \"nobody.handles.this\""
#define PAST    "{\"$date\": {\"$numberLong\": \"1577836800000\"}}" /* 2020-01-01 */

#define NESTED_LEVELS 90                   /* documents inside the payload (MongoDB: 100) */
#define BIG_PAYLOAD   (31u * 512u * 1024u) /* 15.5 MiB of string in the payload */
#define WAIT_MS       90000                /* for every case to reach its final state */

enum want {
    WANT_DONE,      /* state done, a result, no lease */
    WANT_MALFORMED, /* state dead, one "malformed" error naming `field` */
    WANT_REFUSED,   /* state dead with an error saying why (not "malformed"), no result */
    WANT_UNTOUCHED, /* exactly as inserted */
};

struct bad_case {
    int id;
    const char *what;   /* for messages */
    const char *fields; /* extended JSON members after _id; NULL: built in C (see insert_built) */
    enum want want;
    const char *field; /* WANT_MALFORMED: the field the message must name */
};

static const struct bad_case CASES[] = {
    /* good documents among the bad ones */
    {1, "no payload", GOOD, WANT_DONE, NULL},
    {2, "document payload", GOOD ", \"payload\": {\"a\": 1, \"s\": \"x\"}", WANT_DONE, NULL},
    {3, "null payload (an empty one)", GOOD ", \"payload\": null", WANT_DONE, NULL},
    {4, "the full queued form",
     GOOD ", \"payload\": {}, \"state\": \"queued\", \"run_at\": " PAST ", \"attempts\": 0, "
          "\"priority\": 3, \"max_retries\": 5, \"created_at\": " PAST ", \"errors\": []",
     WANT_DONE, NULL},
    {5, "attempts as a whole double (2.0)", GOOD ", \"attempts\": 2.0", WANT_DONE, NULL},
    {6, "a lease on a new task (a host-owned field the claim replaces)", GOOD ", \"lease\": \"x\"",
     WANT_DONE, NULL},
    {7, "payload nested 90 levels, echoed", NULL, WANT_DONE, NULL},
    {8, "15.5 MB payload", NULL, WANT_DONE, NULL},
    {9, "15.5 MB payload, echoed (result over 1 MB)", NULL, WANT_REFUSED, NULL},

    /* no string type: nobody's type, marked dead by intake */
    {10, "missing type", "\"payload\": {}", WANT_MALFORMED, "type"},
    {11, "type a number", "\"type\": 7", WANT_MALFORMED, "type"},
    {12, "type null", "\"type\": null", WANT_MALFORMED, "type"},
    {13, "type an array holding a host's type", "\"type\": [\"test.good\"]", WANT_MALFORMED,
     "type"},
    {14, "type a document", "\"type\": {\"name\": \"test.good\"}", WANT_MALFORMED, "type"},
    {15, "type an empty array", "\"type\": []", WANT_MALFORMED, "type"},
    {16, "missing type, state queued", "\"state\": \"queued\", \"run_at\": " PAST, WANT_MALFORMED,
     "type"},
    {17, "type a number, state queued", "\"type\": 7, \"state\": \"queued\", \"run_at\": " PAST,
     WANT_MALFORMED, "type"},

    /* payload of every wrong type */
    {20, "payload a string", GOOD ", \"payload\": \"hello\"", WANT_MALFORMED, "payload"},
    {21, "payload a number", GOOD ", \"payload\": 3", WANT_MALFORMED, "payload"},
    {22, "payload an array", GOOD ", \"payload\": [1, 2]", WANT_MALFORMED, "payload"},
    {23, "payload a boolean", GOOD ", \"payload\": true", WANT_MALFORMED, "payload"},
    {24, "payload binary",
     GOOD ", \"payload\": {\"$binary\": {\"base64\": \"AAEC\", \"subType\": \"00\"}}",
     WANT_MALFORMED, "payload"},
    {25, "payload a date", GOOD ", \"payload\": " PAST, WANT_MALFORMED, "payload"},

    /* attempts and max_retries */
    {30, "attempts -1", GOOD ", \"attempts\": -1", WANT_MALFORMED, "attempts"},
    {31, "attempts huge", GOOD ", \"attempts\": {\"$numberLong\": \"1000000000000000\"}",
     WANT_MALFORMED, "attempts"},
    {32, "attempts a string", GOOD ", \"attempts\": \"3\"", WANT_MALFORMED, "attempts"},
    {33, "attempts 1.5", GOOD ", \"attempts\": 1.5", WANT_MALFORMED, "attempts"},
    {34, "attempts NaN", GOOD ", \"attempts\": {\"$numberDouble\": \"NaN\"}", WANT_MALFORMED,
     "attempts"},
    {40, "max_retries 0", GOOD ", \"max_retries\": 0", WANT_MALFORMED, "max_retries"},
    {41, "max_retries -1", GOOD ", \"max_retries\": -1", WANT_MALFORMED, "max_retries"},
    {42, "max_retries 5000", GOOD ", \"max_retries\": 5000", WANT_MALFORMED, "max_retries"},
    {43, "max_retries a string", GOOD ", \"max_retries\": \"3\"", WANT_MALFORMED, "max_retries"},

    /* unknown states */
    {50, "state paused", GOOD ", \"state\": \"paused\"", WANT_MALFORMED, "state"},
    {51, "state 42", GOOD ", \"state\": 42", WANT_MALFORMED, "state"},
    {52, "state empty", GOOD ", \"state\": \"\"", WANT_MALFORMED, "state"},

    /* wrong types everywhere else */
    {60, "priority a string", GOOD ", \"priority\": \"high\"", WANT_MALFORMED, "priority"},
    {61, "run_at a string, new", GOOD ", \"run_at\": \"tomorrow\"", WANT_MALFORMED, "run_at"},
    {62, "run_at a string, queued", GOOD ", \"state\": \"queued\", \"run_at\": \"tomorrow\"",
     WANT_MALFORMED, "run_at"},
    {63, "errors a string, new", GOOD ", \"errors\": \"x\"", WANT_MALFORMED, "errors"},
    {64, "errors a document, queued",
     GOOD ", \"state\": \"queued\", \"run_at\": " PAST ", \"errors\": {\"a\": 1}", WANT_MALFORMED,
     "errors"},
    {65, "running with a lease that is a string", GOOD ", \"state\": \"running\", \"lease\": \"x\"",
     WANT_MALFORMED, "lease"},
    {66, "host_deaths -1", GOOD ", \"host_deaths\": -1", WANT_MALFORMED, "host_deaths"},
    {67, "host_deaths a string", GOOD ", \"host_deaths\": \"x\"", WANT_MALFORMED, "host_deaths"},

    /* a type no host handles: never touched, malformed or not */
    {70, "foreign", FOREIGN ", \"payload\": {}", WANT_UNTOUCHED, NULL},
    {71, "foreign, payload a string", FOREIGN ", \"payload\": \"x\"", WANT_UNTOUCHED, NULL},
    {72, "foreign, state paused", FOREIGN ", \"state\": \"paused\"", WANT_UNTOUCHED, NULL},
    {73, "foreign, attempts -1 and errors a string",
     FOREIGN ", \"attempts\": -1, \"errors\": \"x\"", WANT_UNTOUCHED, NULL},
    {74, "foreign, queued with run_at a string",
     FOREIGN ", \"state\": \"queued\", \"run_at\": \"tomorrow\"", WANT_UNTOUCHED, NULL},
    {75, "foreign, running without a lease", FOREIGN ", \"state\": \"running\", \"max_retries\": 0",
     WANT_UNTOUCHED, NULL},
};

#define N_CASES ((int)(sizeof CASES / sizeof CASES[0]))

static struct rec_env env;
static bson_t *inserted[N_CASES]; /* the documents as stored before the hosts started */

static int setup(void **state)
{
    (void)state;
    rec_env_init(&env, "bad_docs");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++) {
        if (inserted[i])
            bson_destroy(inserted[i]);
        inserted[i] = NULL;
    }
    return rec_env_cleanup(&env);
}

/* ---- inserting the corpus -------------------------------------------------------------- */

static void insert_bson(const bson_t *doc, const char *what)
{
    mongoc_collection_t *c = mongoc_client_get_collection(ts_client(), env.db, "tasks");
    bson_error_t err;
    bool ok = mongoc_collection_insert_one(c, doc, NULL, NULL, &err);
    mongoc_collection_destroy(c);
    REC_CHECK(&env, ok, "cannot insert the document \"%s\": %s", what, err.message);
}

/* {_id, type, payload: {v: {v: ... {leaf: 1}}}}: `levels` documents in the payload. */
static bson_t *nested_doc(int id, const char *type, int levels)
{
    bson_t *inner = bson_new();
    BSON_APPEND_INT32(inner, "leaf", 1);
    for (int i = 1; i < levels; i++) {
        bson_t *outer = bson_new();
        BSON_APPEND_DOCUMENT(outer, "v", inner);
        bson_destroy(inner);
        inner = outer;
    }
    bson_t *doc = bson_new();
    BSON_APPEND_INT32(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "type", type);
    BSON_APPEND_DOCUMENT(doc, "payload", inner);
    bson_destroy(inner);
    return doc;
}

/* {_id, type, payload: {note, blob: "xxxx..." (BIG_PAYLOAD bytes)}} */
static bson_t *big_doc(int id, const char *type)
{
    char *blob = malloc(BIG_PAYLOAD + 1);
    REC_CHECK(&env, blob != NULL, "out of memory");
    memset(blob, 'x', BIG_PAYLOAD);
    blob[BIG_PAYLOAD] = '\0';
    bson_t *doc = bson_new(), payload;
    BSON_APPEND_INT32(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "type", type);
    bson_append_document_begin(doc, "payload", -1, &payload);
    BSON_APPEND_UTF8(&payload, "note", "a string of 15.5 MiB follows");
    bson_append_utf8(&payload, "blob", -1, blob, (int)BIG_PAYLOAD);
    bson_append_document_end(doc, &payload);
    free(blob);
    return doc;
}

static void insert_case(const struct bad_case *c)
{
    if (c->fields != NULL) {
        char *json = rec_printf("{\"_id\": %d, %s}", c->id, c->fields);
        rec_insert(&env, json);
        free(json);
        return;
    }
    bson_t *doc = c->id == 7   ? nested_doc(c->id, "test.good.echo", NESTED_LEVELS)
                  : c->id == 8 ? big_doc(c->id, "test.good")
                               : big_doc(c->id, "test.good.echo");
    insert_bson(doc, c->what);
    bson_destroy(doc);
}

/* ---- reading the outcome --------------------------------------------------------------- */

struct report {
    char *text; /* the failures so far, one paragraph each (owned) */
    size_t len;
    int n;
};

static void report_add(struct report *r, const struct bad_case *c, const bson_t *doc,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void report_add(struct report *r, const struct bad_case *c, const bson_t *doc,
                       const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char *json = doc ? rec_doc_json(doc) : bson_strdup("(no document)");
    if (strlen(json) > 1500)
        strcpy(json + 1400, " ...(cut)");
    char *line = rec_printf("  case %d (%s): %s\n      document: %s\n", c->id, c->what, why, json);
    bson_free(json);
    size_t n = strlen(line);
    r->text = realloc(r->text, r->len + n + 1);
    REC_CHECK(&env, r->text != NULL, "out of memory");
    memcpy(r->text + r->len, line, n + 1);
    r->len += n;
    r->n++;
    free(line);
}

/* How many entries of errors[] have kind `kind`; *last_msg: the message of the last one. */
static int count_errors(const bson_t *doc, const char *kind, const char **last_msg)
{
    int n = 0, len = rec_doc_len(doc, "errors");
    *last_msg = NULL;
    for (int i = 0; i < len; i++) {
        char path[48];
        snprintf(path, sizeof path, "errors.%d.kind", i);
        const char *k = rec_doc_str(doc, path);
        if (k && strcmp(k, kind) == 0) {
            snprintf(path, sizeof path, "errors.%d.message", i);
            *last_msg = rec_doc_str(doc, path);
            n++;
        }
    }
    return n;
}

/* The depth of nested "v" documents under result, counting the innermost {leaf: 1}. */
static int result_depth(const bson_t *doc)
{
    bson_iter_t it, sub;
    if (!rec_doc_find(doc, "result", &it) || !BSON_ITER_HOLDS_DOCUMENT(&it))
        return 0;
    int depth = 1;
    while (bson_iter_recurse(&it, &sub) && bson_iter_find(&sub, "v") &&
           BSON_ITER_HOLDS_DOCUMENT(&sub)) {
        it = sub;
        depth++;
    }
    return depth;
}

static char verdict_text[400]; /* the reason the verdict functions return (static storage) */

static const char *verdict_done(const struct bad_case *c, const bson_t *doc, int n_malformed)
{
    if (n_malformed > 0)
        return "a good document has a \"malformed\" error";
    if (c->id == 7 && result_depth(doc) != NESTED_LEVELS) {
        snprintf(verdict_text, sizeof verdict_text,
                 "the echoed result is %d levels deep, the payload %d", result_depth(doc),
                 NESTED_LEVELS);
        return verdict_text;
    }
    return rec_doc_has(doc, "result") ? NULL : "done without a result";
}

static const char *verdict_malformed(const struct bad_case *c, int n_malformed, const char *msg)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\"", c->field);
    if (n_malformed != 1) {
        snprintf(verdict_text, sizeof verdict_text,
                 "%d errors of kind \"malformed\", expected exactly 1", n_malformed);
        return verdict_text;
    }
    if (msg == NULL || strstr(msg, needle) == NULL) {
        snprintf(verdict_text, sizeof verdict_text,
                 "the malformed error does not name the field %s", needle);
        return verdict_text;
    }
    return NULL;
}

static const char *verdict_refused(const bson_t *doc, int n_malformed)
{
    if (n_malformed > 0 || rec_doc_len(doc, "errors") < 1)
        return "expected a plugin error (not \"malformed\") saying why";
    return rec_doc_has(doc, "result") ? "a refused task has a result" : NULL;
}

/* Checks case i against its document; NULL when it is as wanted, else why not. */
static const char *verdict(int i, const bson_t *doc)
{
    const struct bad_case *c = &CASES[i];
    if (c->want == WANT_UNTOUCHED)
        return bson_equal(doc, inserted[i]) ? NULL : "a host changed a document of a foreign type";
    const char *state = rec_doc_str(doc, "state");
    const char *want_state = c->want == WANT_DONE ? "done" : "dead";
    if (state == NULL || strcmp(state, want_state) != 0) {
        snprintf(verdict_text, sizeof verdict_text, "state is %s, expected %s%s",
                 state ? state : "(not a string)", want_state,
                 state && strcmp(state, "running") == 0 ? " (claimed and never finished?)" : "");
        return verdict_text;
    }
    if (rec_doc_has(doc, "lease"))
        return "a finished task still has a lease";
    const char *msg;
    int n_malformed = count_errors(doc, "malformed", &msg);
    if (c->want == WANT_DONE)
        return verdict_done(c, doc, n_malformed);
    if (c->want == WANT_MALFORMED)
        return verdict_malformed(c, n_malformed, msg);
    return verdict_refused(doc, n_malformed);
}

/* The current documents of every case, in CASES order (NULL when missing). */
static void fetch_all(bson_t *docs[N_CASES])
{
    for (int i = 0; i < N_CASES; i++)
        docs[i] = rec_task(&env, CASES[i].id);
}

static void free_all(bson_t *docs[N_CASES])
{
    for (int i = 0; i < N_CASES; i++) {
        if (docs[i])
            bson_destroy(docs[i]);
        docs[i] = NULL;
    }
}

/* A filter matching the cases that reached their final state (done or dead): cheap to poll,
 * unlike fetching every document (two of them are 15.5 MB). Caller frees. */
static char *settled_filter(int *n_final)
{
    char done[1024] = "", dead[1024] = "";
    *n_final = 0;
    for (int i = 0; i < N_CASES; i++) {
        if (CASES[i].want == WANT_UNTOUCHED)
            continue;
        char *list = CASES[i].want == WANT_DONE ? done : dead;
        size_t len = strlen(list);
        snprintf(list + len, sizeof done - len, "%s%d", len ? ", " : "", CASES[i].id);
        (*n_final)++;
    }
    return rec_printf("{\"$or\": [{\"_id\": {\"$in\": [%s]}, \"state\": \"done\"}, "
                      "{\"_id\": {\"$in\": [%s]}, \"state\": \"dead\"}]}",
                      done, dead);
}

static const struct bad_case *case_by_id(int id)
{
    for (int i = 0; i < N_CASES; i++)
        if (CASES[i].id == id)
            return &CASES[i];
    abort();
}

/* ---- the hosts ------------------------------------------------------------------------- */

static const char *const CRASH_SIGNS[] = {
    "AddressSanitizer", "LeakSanitizer",      "ThreadSanitizer", "runtime error:",
    "internal error",   "Segmentation fault", "Aborted",         "core dumped",
};

/* Alive, no crash signs in their logs; a log says why the echoed 15.5 MB result (case 9) was
 * refused (the task's error only says that the plugin failed without a message). */
static void check_hosts(struct report *r)
{
    static const struct bad_case host_case = {0, "the hosts", NULL, WANT_DONE, NULL};
    bool refusal_logged = false;
    for (int h = 0; h < env.n_hosts; h++) {
        struct rec_host *host = &env.hosts[h];
        if (!rec_host_alive(host))
            report_add(r, &host_case, NULL, "host %s is no longer running", host->host_id);
        char *log = ts_read_file(host->log);
        for (size_t k = 0; log && k < sizeof CRASH_SIGNS / sizeof CRASH_SIGNS[0]; k++)
            if (strstr(log, CRASH_SIGNS[k]))
                report_add(r, &host_case, NULL, "the log of host %s contains \"%s\"", host->host_id,
                           CRASH_SIGNS[k]);
        if (log && strstr(log, "[task 9]: result of ") && strstr(log, "is refused: the limit is"))
            refusal_logged = true;
        free(log);
    }
    if (!refusal_logged)
        report_add(r, case_by_id(9), NULL, "no host logged why the result was refused");
}

static void test_bad_documents(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++) {
        insert_case(&CASES[i]);
        char filter[64];
        snprintf(filter, sizeof filter, "{\"_id\": %d}", CASES[i].id);
        inserted[i] = ts_find_one(env.db, "tasks", filter);
        REC_CHECK(&env, inserted[i] != NULL, "case %d was not stored", CASES[i].id);
    }
    struct ts_host_opts o = {
        .plugin_dir = TS_TEST_PLUGIN_DIR, .plugin_settings = "", .max_concurrency = 4};
    rec_host_start(&env, "A", o);
    rec_host_start(&env, "B", o);
    for (int h = 0; h < env.n_hosts; h++)
        REC_CHECK(&env, rec_host_wait_ready(&env.hosts[h], 30000), "host %s did not start",
                  env.hosts[h].host_id);

    int n_final;
    char *settled_json = settled_filter(&n_final);
    bool settled = ts_wait_count(env.db, "tasks", settled_json, n_final, WAIT_MS);
    free(settled_json);
    /* Two more bury rounds (10 poll intervals each) and a lease: nothing may change now. */
    ts_sleep_ms(settled ? 4000 : 0);

    struct report r = {NULL, 0, 0};
    bson_t *docs[N_CASES];
    fetch_all(docs);
    for (int i = 0; i < N_CASES; i++) {
        const char *why = docs[i] ? verdict(i, docs[i]) : "the document is gone";
        if (why)
            report_add(&r, &CASES[i], docs[i], "%s", why);
    }
    free_all(docs);
    check_hosts(&r);
    if (r.n > 0) {
        rec_env_dump(&env);
        fprintf(stderr, "----- %d of %d bad-document checks failed:\n%s", r.n, N_CASES, r.text);
        free(r.text);
        fail_msg("%d bad-document checks failed (listed above, after the host logs)", r.n);
    }
    free(r.text);
}

int main(void)
{
    ts_server_uri_or_skip();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_documents, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
