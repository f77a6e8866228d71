#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const char USAGE[] =
    "usage: taskhost plugins [-c FILE]\n\n"
    "Loads the plugins of the configured directory (checking each one as `run`\n"
    "would, and calling its init with its settings) and lists their names,\n"
    "versions, task types and files.\n\n"
    "  -c, --config FILE   the configuration file\n"
    "  -h, --help          this text\n";

static void print_plugin(const struct plugin *p)
{
    printf("%-12s %-10s ", p->name, p->version);
    for (int i = 0; i < p->n_types; i++)
        printf("%s%s", i ? "," : "", p->types[i]);
    printf("  %s\n", p->path);
}

int cmd_plugins(int argc, char **argv)
{
    const char *path;
    int rc = cli_common_options(argc, argv, USAGE, &path);
    if (rc >= 0)
        return rc;
    struct cli_host h;
    struct error err = {0};
    if (!cli_host_load(path, &h, &err))
        return cli_fail(&err);
    printf("%-12s %-10s %s  %s\n", "PLUGIN", "VERSION", "TYPES", "FILE");
    for (int i = 0; i < h.set.n; i++)
        print_plugin(&h.set.items[i]);
    cli_host_free(&h);
    return 0;
}
