#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "version.h"

#include <taskhost/plugin.h>

const struct command cli_commands[] = {
    {"run", "claim and run tasks until stopped (SIGTERM or SIGINT)", cmd_run},
    {"check-config", "validate a configuration file and print the effective settings",
     cmd_check_config},
    {"plugins", "list the plugins of the configured directory with their task types", cmd_plugins},
    {"enqueue", "put a task in the queue, or many from JSON lines", cmd_enqueue},
    {"ls", "list tasks, newest first (filter by state, type, host)", cmd_ls},
    {"show", "show one task: fields, payload, result, errors", cmd_show},
    {"stats", "tasks by type and state, hosts, throughput, oldest waiting task", cmd_stats},
    {"retry", "queue a dead or cancelled task again (or all dead of a type)", cmd_retry},
    {"cancel", "cancel a waiting task, or ask the host of a running one to stop it", cmd_cancel},
    {"purge", "delete finished tasks older than an age", cmd_purge},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fputs("usage: taskhost <command> [options]\n"
          "       taskhost --help | --version\n\ncommands:\n",
          out);
    for (const struct command *c = cli_commands; c->name; c++)
        fprintf(out, "  %-14s %s\n", c->name, c->summary);
    fputs("\n`taskhost <command> --help` describes a command's options. The configuration\n"
          "file is -c FILE, else $TASKHOST_CONFIG, else /etc/taskhost/taskhost.cfg.\n\n"
          "exit status:\n"
          "   0  success (for run: stopped by a signal after a clean shutdown)\n"
          "  64  command-line usage error\n"
          "  65  invalid input data (or a task in a state that does not allow it)\n"
          "  66  no such task\n"
          "  69  MongoDB unreachable\n"
          "  70  internal error (a bug: please report it)\n"
          "  74  I/O error\n"
          "  75  the database refused an operation\n"
          "  78  configuration or plugin error\n"
          " 128+N  run stopped at once by a second signal N\n",
          out);
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 64;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("taskhost %s (plugin ABI %u)\n", TASKHOST_VERSION, TH_ABI_VERSION);
        return 0;
    }
    for (const struct command *c = cli_commands; c->name; c++)
        if (strcmp(cmd, c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "taskhost: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 64;
}
