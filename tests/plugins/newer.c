/*
 * A plugin built against a newer SDK of the same ABI: its descriptor is
 * larger than this host's th_plugin (a field was appended). The host must
 * load it and ignore the field it does not know.
 */
#include <taskhost/plugin.h>

struct newer_plugin {
    th_plugin base;
    void (*appended_later)(void); /* unknown to this host */
};

static th_status newer_run(void *state, th_task *task)
{
    (void)state;
    (void)task;
    return TH_DONE;
}

static void appended(void)
{
}

static const char *const newer_types[] = {"test.newer", NULL};

static const struct newer_plugin newer = {
    .base =
        {
            .abi_version = TH_ABI_VERSION,
            .size = sizeof(struct newer_plugin),
            .name = "newer",
            .version = "2.0",
            .task_types = newer_types,
            .run = newer_run,
        },
    .appended_later = appended,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &newer.base;
}
