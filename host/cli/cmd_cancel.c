#include <stdio.h>

#include "cli/cli_db.h"
#include "cli/commands.h"
#include "store/admin_control.h"

static const char USAGE[] =
    "usage: taskhost cancel ID [common options]\n\n"
    "Cancels a task. A waiting task (new, queued or retry) becomes cancelled at\n"
    "once (finished_at set; its unique key is freed). A running task is marked\n"
    "cancel_requested: its host tells the plugin through the cancellation check\n"
    "at its next heartbeat, and the task ends cancelled when the plugin stops. A\n"
    "finished task (done, dead, cancelled) is left alone (exit 65).\n"
    "ID: 24 hex digits for an ObjectId; otherwise a number or a string.\n\n"
    "common options:\n"
    "  -c, --config FILE   the configuration (default $TASKHOST_CONFIG, else\n"
    "                      /etc/taskhost/taskhost.cfg)\n"
    "      --uri URI       the MongoDB URI (instead of mongodb.uri)\n"
    "      --db NAME       the database (instead of mongodb.database)\n"
    "      --json          machine-readable output\n"
    "  -h, --help          this text\n\n"
    "exit status: 0 cancelled (or requested), 64 usage, 65 the task has finished,\n"
    "66 no such task, 69 MongoDB unreachable, 75 database error, 78 configuration.\n";

static int report(const struct cli_db *db, const char *id, const struct control_outcome *out,
                  bool json)
{
    switch (out->result) {
    case CTL_DONE:
        if (json)
            printf("{\"id\": \"%s\", \"state\": \"cancelled\", \"was\": \"%s\"}\n", id,
                   out->state[0] ? out->state : "new");
        else
            printf("cancelled %s (it was %s)\n", id, out->state[0] ? out->state : "new");
        return 0;
    case CTL_REQUESTED:
        if (json)
            printf("{\"id\": \"%s\", \"state\": \"running\", \"cancel_requested\": true, "
                   "\"host\": \"%s\"}\n",
                   id, out->owner);
        else
            printf("cancel requested for %s: it is running on host %s, which tells the plugin "
                   "to stop at its next heartbeat\n",
                   id, out->owner[0] ? out->owner : "(unknown)");
        return 0;
    case CTL_NOT_FOUND: return cli_no_task(db, id);
    case CTL_WRONG_STATE:
    case CTL_KEY_TAKEN: break;
    }
    fprintf(stderr, "taskhost: invalid input: task %s is already %s; nothing to cancel\n", id,
            out->state);
    return 65;
}

int cmd_cancel(int argc, char **argv)
{
    struct cli_db_opts o;
    int first;
    int rc = cli_db_parse(argc, argv, USAGE, NULL, NULL, NULL, NULL, &o, &first);
    if (rc >= 0)
        return rc;
    if (argc - first != 1)
        return cli_usage_error(argv[0], USAGE, "give one task ID");
    struct cli_db db = {0};
    struct error err = {0};
    if (!cli_db_open(&o, &db, &err))
        return cli_fail(&err);
    struct control_outcome out;
    rc = store_cancel(&db.store, argv[first], &out, &err) ? report(&db, argv[first], &out, o.json)
                                                          : cli_fail(&err);
    cli_db_close(&db);
    return rc;
}
