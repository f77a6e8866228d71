/*
 * Test plugin "versioned" (task type "ver"), built twice with different
 * PLUGIN_VERSION values: its result names the version that ran the task, so
 * the reload test can tell a replaced plugin's new code from the old.
 */
#include <stdio.h>

#include <taskhost/plugin.h>

#ifndef PLUGIN_VERSION
#error "build with -DPLUGIN_VERSION=\"N\""
#endif

static const th_host_api *api;

static int init(const th_host_api *a, const th_settings *settings, void **state, char *err,
                size_t errlen)
{
    (void)settings;
    (void)state;
    (void)err;
    (void)errlen;
    api = a;
    return 0;
}

static th_status run(void *state, th_task *task)
{
    (void)state;
    char result[64];
    (void)snprintf(result, sizeof result, "{\"version\": \"%s\"}", PLUGIN_VERSION);
    return api->set_result_json(task, result) == TH_OK ? TH_DONE : TH_FAIL;
}

static const char *const types[] = {"ver", NULL};

static const th_plugin plugin = {
    TH_PLUGIN_HEADER,    .name = "versioned", .version = PLUGIN_VERSION,
    .task_types = types, .init = init,        .run = run,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &plugin;
}
