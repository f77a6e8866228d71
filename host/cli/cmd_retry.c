#include <stdio.h>
#include <string.h>

#include "cli/cli_db.h"
#include "cli/commands.h"
#include "store/admin_control.h"

static const char USAGE[] =
    "usage: taskhost retry ID [common options]\n"
    "       taskhost retry --all-dead --type T [common options]\n\n"
    "Queues a dead or cancelled task again: state queued, due now, attempts and\n"
    "host_deaths back to 0; its errors and result are kept (later errors count\n"
    "attempts from 1 again) and {at, from_state} is appended to its\n"
    "operator_retries. A task with a unique key takes the key back; when a live\n"
    "task holds that key by now, the retry is refused (exit 65) naming that task.\n"
    "With --all-dead --type T, every dead task of type T; prints the count.\n"
    "ID: 24 hex digits for an ObjectId; otherwise a number or a string.\n\n"
    "  --all-dead      all dead tasks (of the --type given)\n"
    "  --type T        the type, with --all-dead\n\n"
    "common options:\n"
    "  -c, --config FILE   the configuration (default $TASKHOST_CONFIG, else\n"
    "                      /etc/taskhost/taskhost.cfg)\n"
    "      --uri URI       the MongoDB URI (instead of mongodb.uri)\n"
    "      --db NAME       the database (instead of mongodb.database)\n"
    "      --json          machine-readable output\n"
    "  -h, --help          this text\n\n"
    "exit status: 0 queued again, 64 usage, 65 the task is not dead or cancelled (or\n"
    "its unique key is taken), 66 no such task, 69 MongoDB unreachable, 75 database\n"
    "error, 78 configuration.\n";

enum { OPT_ALL_DEAD = CLI_OPT_FIRST_FREE, OPT_TYPE };

static const struct option LONGOPTS[] = {
    {"all-dead", no_argument, NULL, OPT_ALL_DEAD},
    {"type", required_argument, NULL, OPT_TYPE},
    {NULL, 0, NULL, 0},
};

struct args {
    bool all_dead;
    const char *type;
};

static int take_option(int code, const char *arg, void *ctx)
{
    struct args *a = ctx;
    if (code == OPT_ALL_DEAD)
        a->all_dead = true;
    else if (code == OPT_TYPE)
        a->type = arg;
    else
        return 64;
    return -1;
}

static int report(const struct cli_db *db, const char *id, const struct control_outcome *out,
                  bool json)
{
    switch (out->result) {
    case CTL_DONE:
        if (json)
            printf("{\"id\": \"%s\", \"state\": \"queued\", \"was\": \"%s\"}\n", id, out->state);
        else
            printf("queued %s again (it was %s)\n", id, out->state);
        return 0;
    case CTL_NOT_FOUND: return cli_no_task(db, id);
    case CTL_KEY_TAKEN:
        fprintf(stderr,
                "taskhost: invalid input: task %s cannot be queued again: its unique key is "
                "held by live task %s (cancel that one first, or let it finish)\n",
                id, out->holder[0] ? out->holder : "(unknown)");
        return 65;
    case CTL_REQUESTED:
    case CTL_WRONG_STATE: break;
    }
    fprintf(stderr,
            "taskhost: invalid input: task %s is %s; only dead or cancelled tasks can be "
            "retried%s\n",
            id, out->state[0] ? out->state : "new (not yet taken in)",
            strcmp(out->state, "done") == 0 ? " (enqueue a new one to run it again)" : "");
    return 65;
}

static int retry_all(struct cli_db *db, const char *type, bool json)
{
    struct error err = {0};
    int64_t taken = 0;
    int64_t n = store_retry_all_dead(&db->store, type, &taken, &err);
    if (n < 0)
        return cli_fail(&err);
    if (json) {
        printf("{\"retried\": %lld, \"unique_key_taken\": %lld}\n", (long long)n, (long long)taken);
        return 0;
    }
    printf("queued %lld dead task%s of type %s again\n", (long long)n, n == 1 ? "" : "s", type);
    if (taken > 0)
        printf("%lld left dead: a live task holds their unique key\n", (long long)taken);
    return 0;
}

int cmd_retry(int argc, char **argv)
{
    struct args a = {0};
    struct cli_db_opts o;
    int first;
    int rc = cli_db_parse(argc, argv, USAGE, NULL, LONGOPTS, take_option, &a, &o, &first);
    if (rc >= 0)
        return rc;
    int n_ids = argc - first;
    if (a.all_dead && (a.type == NULL || n_ids > 0))
        return cli_usage_error(argv[0], USAGE, "--all-dead takes --type T and no ID");
    if (!a.all_dead && (a.type || n_ids != 1))
        return cli_usage_error(argv[0], USAGE,
                               a.type ? "--type goes with --all-dead"
                                      : "give one task ID, or --all-dead --type T");
    struct cli_db db = {0};
    struct error err = {0};
    if (!cli_db_open(&o, &db, &err))
        return cli_fail(&err);
    if (a.all_dead) {
        rc = retry_all(&db, a.type, o.json);
    } else {
        struct control_outcome out;
        rc = store_retry(&db.store, argv[first], &out, &err)
                 ? report(&db, argv[first], &out, o.json)
                 : cli_fail(&err);
    }
    cli_db_close(&db);
    return rc;
}
