#include <stdio.h>

#include "cli/commands.h"

static const char USAGE[] =
    "usage: taskhost check-config [-c FILE]\n\n"
    "Validates the configuration file and the plugins of the directory it names\n"
    "(loading each and calling its init with its settings, as `run` does), then\n"
    "prints the effective settings (defaults filled in). Exits 0 when all is\n"
    "valid, 78 otherwise, naming the file, line and setting at fault.\n\n"
    "  -c, --config FILE   the configuration file\n"
    "  -h, --help          this text\n";

int cmd_check_config(int argc, char **argv)
{
    const char *path;
    int rc = cli_common_options(argc, argv, USAGE, &path);
    if (rc >= 0)
        return rc;
    struct cli_host h;
    struct error err = {0};
    if (!cli_host_load(path, &h, &err))
        return cli_fail(&err);
    config_print(&h.cfg, stdout);
    printf("# %s: valid; %d plugin(s), %d task type(s)\n", path, h.set.n, h.reg.n);
    cli_host_free(&h);
    return 0;
}
