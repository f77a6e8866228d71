/*
 * noop: runs task type "noop" by doing nothing and reporting {"ok": true}.
 * The smallest useful plugin; a check that a host can claim and finish work.
 */
#include <taskhost/plugin.h>

static const th_host_api *api; /* set by init, read-only afterwards */

static int noop_init(const th_host_api *host, const th_settings *settings, void **state, char *err,
                     size_t errlen)
{
    (void)settings;
    (void)err;
    (void)errlen;
    api = host;
    *state = NULL;
    return 0;
}

static th_status noop_run(void *state, th_task *task)
{
    (void)state;
    if (api->set_result_json(task, "{\"ok\": true}") != TH_OK) {
        api->fail(task, "noop: the host refused the result");
        return TH_RETRY;
    }
    return TH_DONE;
}

static const char *const noop_types[] = {"noop", NULL};

static const th_plugin noop_plugin = {
    TH_PLUGIN_HEADER,         .name = "noop",    .version = PLUGIN_VERSION,
    .task_types = noop_types, .init = noop_init, .run = noop_run,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &noop_plugin;
}
