#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_db.h"
#include "cli/commands.h"
#include "cli/doc_view.h"
#include "cli/duration.h"
#include "cli/enqueue_lines.h"
#include "cli/json_lines.h"
#include "cli/timefmt.h"
#include "store/admin_common.h"
#include "store/admin_enqueue.h"
#include "store/indexes.h"
#include "store/task_doc.h"

static const char USAGE[] =
    "usage: taskhost enqueue -t TYPE [-p JSON] [--priority N] [--delay D | --at TIME]\n"
    "                        [--max-retries N] [--unique KEY] [common options]\n"
    "       taskhost enqueue -f FILE|- [--skip-bad] [common options]\n\n"
    "Puts tasks in the queue. With -t, one task: prints its _id (an ObjectId in\n"
    "hex). When --unique KEY is held by a live task (new, queued, running or\n"
    "retry), nothing is inserted: the live task's _id is printed instead, with\n"
    "\"already enqueued as ID\" on stderr, and the exit status is 0.\n\n"
    "With -f, many tasks from JSON lines (- reads stdin), one object per line:\n"
    "  {\"type\": \"resize\", \"payload\": {\"image\": 42}, \"priority\": 5,\n"
    "   \"delay_ms\": 30000 | \"run_at\": \"2026-12-01T10:00:00Z\",\n"
    "   \"max_retries\": 3, \"unique_key\": \"resize:42\"}\n"
    "Only type is required. Every line is checked first: if any is bad, each is\n"
    "reported with its line and column and nothing is inserted (exit 65), unless\n"
    "--skip-bad. Then the tasks are inserted in bulk (a progress bar on a\n"
    "terminal) and the count is printed: \"enqueued N tasks\".\n\n"
    "  -t, --type TYPE       the task type (a plugin's)\n"
    "  -p, --payload JSON    the payload, a JSON object (default {})\n"
    "      --priority N      higher runs first (default 0; -1e9 to 1e9)\n"
    "      --delay D         run no earlier than D from now (30s, 10m, 2h, 7d)\n"
    "      --at TIME         run no earlier than TIME (2026-12-01T10:00:00Z)\n"
    "      --max-retries N   attempts before the task is dead (1 to 1000; default:\n"
    "                        the host's retry.max_retries)\n"
    "      --unique KEY      at most one live task with this key\n"
    "  -f, --file FILE       JSON lines to enqueue (- for stdin)\n"
    "      --skip-bad        enqueue the good lines even if some are bad\n\n"
    "common options:\n"
    "  -c, --config FILE     the configuration (default $TASKHOST_CONFIG, else\n"
    "                        /etc/taskhost/taskhost.cfg)\n"
    "      --uri URI         the MongoDB URI (instead of mongodb.uri)\n"
    "      --db NAME         the database (instead of mongodb.database)\n"
    "      --json            machine-readable output\n"
    "  -h, --help            this text\n\n"
    "exit status: 0 enqueued (or already enqueued), 64 usage, 65 bad input,\n"
    "69 MongoDB unreachable, 74 cannot read the file, 75 database error,\n"
    "78 configuration.\n";

enum {
    OPT_PRIORITY = CLI_OPT_FIRST_FREE,
    OPT_DELAY,
    OPT_AT,
    OPT_MAX_RETRIES,
    OPT_UNIQUE,
    OPT_SKIP_BAD
};

static const struct option LONGOPTS[] = {
    {"type", required_argument, NULL, 't'},
    {"payload", required_argument, NULL, 'p'},
    {"priority", required_argument, NULL, OPT_PRIORITY},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"at", required_argument, NULL, OPT_AT},
    {"max-retries", required_argument, NULL, OPT_MAX_RETRIES},
    {"unique", required_argument, NULL, OPT_UNIQUE},
    {"file", required_argument, NULL, 'f'},
    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
    {NULL, 0, NULL, 0},
};

struct args {
    const char *type, *payload, *priority, *delay, *at, *max_retries, *unique, *file;
    bool skip_bad;
};

static int take_option(int code, const char *arg, void *ctx)
{
    struct args *a = ctx;
    switch (code) {
    case 't': a->type = arg; break;
    case 'p': a->payload = arg; break;
    case OPT_PRIORITY: a->priority = arg; break;
    case OPT_DELAY: a->delay = arg; break;
    case OPT_AT: a->at = arg; break;
    case OPT_MAX_RETRIES: a->max_retries = arg; break;
    case OPT_UNIQUE: a->unique = arg; break;
    case 'f': a->file = arg; break;
    case OPT_SKIP_BAD: a->skip_bad = true; break;
    default: return 64;
    }
    return -1;
}

static bool parse_int(const char *s, const char *what, long long lo, long long hi, int *out,
                      struct error *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
        return error_set(err, ERR_USAGE, "%s \"%s\": expected a whole number from %lld to %lld",
                         what, s, lo, hi);
    *out = (int)v;
    return true;
}

/* The flags of a single task into *t; err ERR_USAGE or ERR_INPUT (payload). */
static bool build_task(const struct args *a, struct enqueue_task *t, struct error *err)
{
    memset(t, 0, sizeof *t);
    t->max_retries = -1;
    if (strlen(a->type) == 0 || strlen(a->type) > TD_TYPE_MAX)
        return error_set(err, ERR_USAGE, "-t: the type must have 1 to %d bytes", TD_TYPE_MAX);
    if (a->unique && (strlen(a->unique) == 0 || strlen(a->unique) > ADMIN_UNIQUE_KEY_MAX))
        return error_set(err, ERR_USAGE, "--unique: the key must have 1 to %d bytes",
                         ADMIN_UNIQUE_KEY_MAX);
    t->type = strdup(a->type);
    t->unique_key = a->unique ? strdup(a->unique) : NULL;
    if (a->priority &&
        !parse_int(a->priority, "--priority", -1000000000LL, 1000000000LL, &t->priority, err))
        return false;
    if (a->max_retries &&
        !parse_int(a->max_retries, "--max-retries", 1, TD_MAX_RETRIES_LIMIT, &t->max_retries, err))
        return false;
    if (a->delay && !duration_parse(a->delay, "--delay", &t->when_ms, err))
        return false;
    if (a->at && !time_parse_iso(a->at, "--at", &t->when_ms, err))
        return false;
    t->when = a->delay ? ENQ_DELAY : a->at ? ENQ_AT : ENQ_NOW;
    if (a->payload) {
        struct line_error e = {0};
        t->payload = json_payload_parse(a->payload, &e);
        if (t->payload == NULL && e.line > 1)
            return error_set(err, ERR_INPUT, "-p: line %d, column %d: %s", e.line, e.column, e.msg);
        if (t->payload == NULL)
            return error_set(err, ERR_INPUT, "-p: column %d: %s", e.column, e.msg);
    }
    return true;
}

static void print_id(const bson_oid_t *id, bool existing, bool json)
{
    char hex[25];
    bson_oid_to_string(id, hex);
    if (json)
        printf("{\"id\": \"%s\", \"enqueued\": %s}\n", hex, existing ? "false" : "true");
    else
        printf("%s\n", hex);
}

/* After a duplicate key: 1 to try again (a finished task gave the key up or
 * the holder is gone), 0 after printing the live holder, -1 with err. */
static int report_holder(struct cli_db *db, const struct enqueue_task *t, bool json,
                         struct error *err)
{
    const char *key = t->unique_key;
    int64_t freed = store_release_finished_keys(&db->store, &key, 1, err);
    if (freed != 0)
        return freed > 0 ? 1 : -1;
    bson_value_t id;
    int rc = store_find_key_holder(&db->store, key, &id, err);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    char shown[160];
    value_render_id(&id, shown, sizeof shown);
    if (json)
        printf("{\"id\": \"%s\", \"enqueued\": false}\n", shown);
    else
        printf("%s\n", shown);
    fflush(stdout);
    fprintf(stderr, "already enqueued as %s (unique key \"%s\")\n", shown, key);
    bson_value_destroy(&id);
    return 0;
}

static bool enqueue_one(struct cli_db *db, struct enqueue_task *t, bool json, struct error *err)
{
    if (t->unique_key && !store_ensure_indexes(&db->store, err))
        return false;
    for (int round = 0; round < 5; round++) {
        if (!store_enqueue(&db->store, t, 1, err))
            return false;
        if (t->outcome == ENQ_INSERTED) {
            print_id(&t->id, false, json);
            return true;
        }
        if (t->outcome == ENQ_REJECTED)
            return error_set(err, ERR_DB, "the server refused the task: %s", t->reject_msg);
        int rc = report_holder(db, t, json, err);
        if (rc <= 0)
            return rc == 0;
    }
    return error_set(err, ERR_DB, "unique key \"%s\" keeps changing hands; try again",
                     t->unique_key);
}

static int check_combination(const struct args *a, const char *cmd)
{
    if (a->file &&
        (a->type || a->payload || a->priority || a->delay || a->at || a->max_retries || a->unique))
        return cli_usage_error(cmd, USAGE,
                               "-f takes every task from the file; -t, -p, --priority, "
                               "--delay, --at, --max-retries and --unique are for one task");
    if (!a->file && !a->type)
        return cli_usage_error(cmd, USAGE, "give -t TYPE for one task, or -f FILE");
    if (a->skip_bad && !a->file)
        return cli_usage_error(cmd, USAGE, "--skip-bad goes with -f");
    if (a->delay && a->at)
        return cli_usage_error(cmd, USAGE, "give --delay or --at, not both");
    return -1;
}

int cmd_enqueue(int argc, char **argv)
{
    struct args a = {0};
    struct cli_db_opts o;
    int first;
    int rc = cli_db_parse(argc, argv, USAGE, "t:p:f:", LONGOPTS, take_option, &a, &o, &first);
    if (rc >= 0)
        return rc;
    if (first < argc)
        return cli_usage_error(argv[0], USAGE, "unexpected argument \"%s\"", argv[first]);
    if ((rc = check_combination(&a, argv[0])) >= 0)
        return rc;
    if (a.file)
        return enqueue_lines(&o, &(struct lines_job){a.file, a.skip_bad});
    struct enqueue_task t;
    struct error err = {0};
    if (!build_task(&a, &t, &err)) {
        enqueue_task_clear(&t);
        return err.code == ERR_USAGE ? cli_usage_error(argv[0], USAGE, "%s", err.msg)
                                     : cli_fail(&err);
    }
    struct cli_db db = {0};
    bool ok = cli_db_open(&o, &db, &err) && enqueue_one(&db, &t, o.json, &err);
    cli_db_close(&db);
    enqueue_task_clear(&t);
    return ok ? 0 : cli_fail(&err);
}
