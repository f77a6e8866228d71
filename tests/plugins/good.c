/*
 * A well-formed test plugin with two task types:
 *   test.good       result {"plugin": "good", "attempt": N}
 *   test.good.echo  result = the payload
 * init logs "<label>: init" (setting label, default "good"), shutdown logs
 * "good: shutdown" (tests read the log).
 */
#include <stdio.h>

#include <taskhost/plugin.h>

static const th_host_api *api;

static int good_init(const th_host_api *host, const th_settings *settings, void **state, char *err,
                     size_t errlen)
{
    (void)err;
    (void)errlen;
    api = host;
    /* Careless on purpose: ignores TH_ETYPE, so the tests can check that the
     * host still refuses a setting of the wrong type. */
    const char *label = "good";
    (void)api->setting_string(settings, "label", "good", &label);
    *state = NULL;
    api->log(NULL, TH_LOG_INFO, "%s: init", label);
    return 0;
}

static th_status good_run(void *state, th_task *task)
{
    (void)state;
    const char *type = api->task_type(task);
    if (type[sizeof "test.good" - 1] == '.') /* test.good.echo */
        return api->set_result_json(task, api->task_payload_json(task)) == TH_OK ? TH_DONE
                                                                                 : TH_FAIL;
    char result[80];
    snprintf(result, sizeof result, "{\"plugin\": \"good\", \"attempt\": %d}",
             api->task_attempt(task));
    return api->set_result_json(task, result) == TH_OK ? TH_DONE : TH_FAIL;
}

static void good_shutdown(void *state)
{
    (void)state;
    api->log(NULL, TH_LOG_INFO, "good: shutdown");
}

static const char *const good_types[] = {"test.good", "test.good.echo", NULL};

static const th_plugin good_plugin = {
    TH_PLUGIN_HEADER,  .name = "good",  .version = "1.2.3",        .task_types = good_types,
    .init = good_init, .run = good_run, .shutdown = good_shutdown,
};

TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
{
    return &good_plugin;
}
