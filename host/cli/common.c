#include "cli/commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/host_api.h"

const char *cli_default_config(void)
{
    const char *env = getenv("TASKHOST_CONFIG");
    return env && env[0] ? env : "/etc/taskhost/taskhost.cfg";
}

int cli_common_options(int argc, char **argv, const char *usage, const char **config_path)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *config_path = cli_default_config();
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': *config_path = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':':
            fprintf(stderr, "taskhost %s: option %s needs a value\n%s", argv[0], argv[optind - 1],
                    usage);
            return 64;
        default:
            fprintf(stderr, "taskhost %s: unknown option %s\n%s", argv[0], argv[optind - 1], usage);
            return 64;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "taskhost %s: unexpected argument \"%s\"\n%s", argv[0], argv[optind],
                usage);
        return 64;
    }
    return -1;
}

bool cli_load_config(const char *path, struct config *cfg, struct error *err)
{
    if (!config_load(path, cfg, err))
        return false;
    log_configure(cfg->log_level, cfg->log_format, NULL);
    return true;
}

bool cli_load_plugins(const struct config *cfg, struct plugin_set *set, struct registry *reg,
                      struct error *err)
{
    if (!plugin_set_open_dir(cfg, set, err))
        return false;
    if (!registry_build(reg, set, err)) {
        plugin_set_close(set);
        return false;
    }
    return true;
}

bool cli_host_load(const char *path, struct cli_host *h, struct error *err)
{
    memset(h, 0, sizeof *h);
    if (!cli_load_config(path, &h->cfg, err))
        return false;
    if (!cli_load_plugins(&h->cfg, &h->set, &h->reg, err) ||
        !plugin_set_init(&h->set, host_api(), &h->cfg, err)) {
        cli_host_free(h);
        return false;
    }
    return true;
}

void cli_host_free(struct cli_host *h)
{
    registry_free(&h->reg);
    plugin_set_close(&h->set);
    config_free(&h->cfg);
    memset(h, 0, sizeof *h);
}

int cli_fail(const struct error *err)
{
    fprintf(stderr, "taskhost: %s: %s\n", error_code_name(err->code), err->msg);
    return error_exit_status(err->code);
}
