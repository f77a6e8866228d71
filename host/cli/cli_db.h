/*
 * What the operator commands (enqueue, ls, show, stats, retry, cancel, purge)
 * share: their common options, opening the database named by the
 * configuration, and their exit statuses.
 *
 * Common options: -c/--config FILE (default $TASKHOST_CONFIG, else
 * /etc/taskhost/taskhost.cfg), --uri URI and --db NAME (override the file's
 * mongodb.uri and mongodb.database; with --uri, or $TASKHOST_MONGODB_URI, a
 * missing default configuration file is not an error: the defaults apply),
 * --json (machine-readable output), -h/--help.
 */
#ifndef TASKHOST_CLI_CLI_DB_H
#define TASKHOST_CLI_CLI_DB_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "store/store.h"

/* Exit status for "no such task" (sysexits' EX_NOINPUT). */
#define CLI_EXIT_NO_TASK 66

/* The longest server selection wait of a command (unless the URI sets
 * serverSelectionTimeoutMS): an unreachable server is reported quickly. */
#define CLI_CONNECT_TIMEOUT_MS 3000

/* Option codes of the common long options without a short form. */
enum { CLI_OPT_URI = 1000, CLI_OPT_DB, CLI_OPT_JSON, CLI_OPT_FIRST_FREE };

struct cli_db_opts {
    const char *config_path;
    bool config_given; /* -c was used */
    const char *uri;   /* --uri or NULL */
    const char *database;
    bool json;
};

/*
 * A command's own option: called for every option the common ones do not
 * cover, with getopt's code and argument. Returns -1 to go on, or an exit
 * status (after printing why).
 */
typedef int (*cli_option_fn)(int code, const char *arg, void *ctx);

/*
 * Parses argv with the common options plus the command's own (`shortopts` in
 * getopt syntax without the leading ':', `longopts` ending with a zeroed
 * entry; both may be NULL). Returns -1 to go on, with the positional
 * arguments at argv[*first_arg..argc); or an exit status: 0 after --help, 64
 * after a usage error (printed with the usage text).
 */
int cli_db_parse(int argc, char **argv, const char *usage, const char *shortopts,
                 const struct option *longopts, cli_option_fn fn, void *ctx, struct cli_db_opts *o,
                 int *first_arg);

/* Prints "taskhost <cmd>: <message>", the usage lines (the text up to its
 * first blank line) and a pointer to --help to stderr; returns 64. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct cli_db {
    struct store store;
    int64_t heartbeat_ms; /* host.heartbeat_ms of the configuration */
    char where[256];      /* "<db>.<collection> at <uri without password>" for messages */
};

/*
 * Loads the configuration, applies --uri/--db, opens the store and checks
 * that the server answers. On failure err says what to fix: ERR_CONFIG (a
 * bad file or URI, exit 78), ERR_IO (no file, 74), ERR_DB_DOWN (69).
 * Close with cli_db_close.
 */
bool cli_db_open(const struct cli_db_opts *o, struct cli_db *db, struct error *err);
void cli_db_close(struct cli_db *db);

/* Prints "taskhost: no such task: ..." to stderr; returns CLI_EXIT_NO_TASK. */
int cli_no_task(const struct cli_db *db, const char *id_text);

/* A copy of uri with its password replaced by "***". Caller frees. */
char *cli_redact_uri(const char *uri);

#endif
