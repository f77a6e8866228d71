/* The commands of cli/cli.h, and what they share. */
#ifndef TASKHOST_CLI_COMMANDS_H
#define TASKHOST_CLI_COMMANDS_H

#include <stdbool.h>

#include "base/error.h"
#include "config/config.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* All commands, ending with a zeroed entry. */
extern const struct command cli_commands[];

int cmd_run(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_enqueue(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_purge(int argc, char **argv);

/* The default configuration file: $TASKHOST_CONFIG or /etc/taskhost/taskhost.cfg. */
const char *cli_default_config(void);

/* Parses the options every command shares (-c FILE, -h). Returns -1 to go
 * on, or an exit status (after --help or a usage error). `usage` is the
 * command's help text. Extra long options are not allowed here. */
int cli_common_options(int argc, char **argv, const char *usage, const char **config_path);

/* Loads the configuration and sets up the log from it. */
bool cli_load_config(const char *path, struct config *cfg, struct error *err);

/* Opens the plugins of cfg's directory and maps their types. */
bool cli_load_plugins(const struct config *cfg, struct plugin_set *set, struct registry *reg,
                      struct error *err);

/* A configuration with its plugins, as `run`, `check-config` and `plugins`
 * load it. */
struct cli_host {
    struct config cfg;
    struct plugin_set set;
    struct registry reg;
};

/* Loads the configuration and its plugins, and calls each plugin's init with
 * its settings (which reports settings of the wrong type and unread ones).
 * On failure frees what it loaded. Free with cli_host_free. */
bool cli_host_load(const char *path, struct cli_host *h, struct error *err);
void cli_host_free(struct cli_host *h);

/* Prints "taskhost: <kind>: <message>" to stderr and returns the exit status. */
int cli_fail(const struct error *err);

#endif
