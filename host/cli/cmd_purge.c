#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_db.h"
#include "cli/commands.h"
#include "cli/duration.h"
#include "store/admin_common.h"
#include "store/admin_purge.h"
#include "store/task_doc.h"

static const char USAGE[] =
    "usage: taskhost purge --older-than AGE [--state S[,S...]] [--type T] [--dry-run]\n"
    "                      [common options]\n\n"
    "Deletes finished tasks whose finished_at is more than AGE ago (by the\n"
    "server's clock) and prints how many. Waiting and running tasks are never\n"
    "deleted.\n\n"
    "  --older-than AGE   required: 30m, 12h, 7d, 2w, ...\n"
    "  --state S          done, dead and/or cancelled, separated by commas\n"
    "                     (default all three)\n"
    "  --type T           only tasks of type T\n"
    "  --dry-run          count what would be deleted, delete nothing\n\n"
    "common options:\n"
    "  -c, --config FILE   the configuration (default $TASKHOST_CONFIG, else\n"
    "                      /etc/taskhost/taskhost.cfg)\n"
    "      --uri URI       the MongoDB URI (instead of mongodb.uri)\n"
    "      --db NAME       the database (instead of mongodb.database)\n"
    "      --json          machine-readable output\n"
    "  -h, --help          this text\n\n"
    "exit status: 0 ok, 64 usage, 69 MongoDB unreachable, 75 database error,\n"
    "78 configuration.\n";

enum { OPT_OLDER = CLI_OPT_FIRST_FREE, OPT_STATE, OPT_TYPE, OPT_DRY_RUN };

static const struct option LONGOPTS[] = {
    {"older-than", required_argument, NULL, OPT_OLDER},
    {"state", required_argument, NULL, OPT_STATE},
    {"type", required_argument, NULL, OPT_TYPE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {NULL, 0, NULL, 0},
};

struct args {
    const char *older, *states, *type;
    bool dry_run;
};

static int take_option(int code, const char *arg, void *ctx)
{
    struct args *a = ctx;
    switch (code) {
    case OPT_OLDER: a->older = arg; break;
    case OPT_STATE: a->states = arg; break;
    case OPT_TYPE: a->type = arg; break;
    case OPT_DRY_RUN: a->dry_run = true; break;
    default: return 64;
    }
    return -1;
}

/* Splits --state into out (at most 3); false when a state is not final. */
static bool parse_states(const char *arg, char *copy, size_t len, const char **out, int *n)
{
    static const char *const all[] = {TS_DONE, TS_DEAD, TS_CANCELLED};
    *n = 0;
    if (arg == NULL) {
        for (int i = 0; i < 3; i++)
            out[(*n)++] = all[i];
        return true;
    }
    snprintf(copy, len, "%s", arg);
    for (char *save = NULL, *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        if (!admin_state_final(s) || *n == 3)
            return false;
        out[(*n)++] = s;
    }
    return *n > 0;
}

int cmd_purge(int argc, char **argv)
{
    struct args a = {0};
    struct cli_db_opts o;
    int first;
    int rc = cli_db_parse(argc, argv, USAGE, NULL, LONGOPTS, take_option, &a, &o, &first);
    if (rc >= 0)
        return rc;
    if (first < argc)
        return cli_usage_error(argv[0], USAGE, "unexpected argument \"%s\"", argv[first]);
    if (a.older == NULL)
        return cli_usage_error(argv[0], USAGE, "--older-than AGE is required (e.g. 7d)");
    struct error err = {0};
    int64_t age;
    if (!duration_parse(a.older, "--older-than", &age, &err))
        return cli_usage_error(argv[0], USAGE, "%s", err.msg);
    char copy[128];
    const char *states[3];
    int n_states;
    if (!parse_states(a.states, copy, sizeof copy, states, &n_states))
        return cli_usage_error(argv[0], USAGE,
                               "--state \"%s\": expected done, dead and/or cancelled, "
                               "separated by commas",
                               a.states);
    struct cli_db db = {0};
    int64_t now, n = -1;
    if (cli_db_open(&o, &db, &err) && store_server_time(&db.store, &now, &err))
        n = store_purge(&db.store, states, n_states, a.type, now - age, a.dry_run, &err);
    cli_db_close(&db);
    if (n < 0)
        return cli_fail(&err);
    if (o.json)
        printf("{\"%s\": %lld}\n", a.dry_run ? "would_delete" : "deleted", (long long)n);
    else
        printf("%s %lld finished task%s older than %s\n", a.dry_run ? "would delete" : "deleted",
               (long long)n, n == 1 ? "" : "s", a.older);
    return 0;
}
