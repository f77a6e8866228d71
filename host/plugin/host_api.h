/*
 * The function table handed to plugins (th_host_api), implemented over
 * struct th_task and struct settings.
 */
#ifndef TASKHOST_PLUGIN_HOST_API_H
#define TASKHOST_PLUGIN_HOST_API_H

#include <taskhost/plugin.h>

/* The host's table; static storage, valid for the life of the process. */
const th_host_api *host_api(void);

/*
 * Names the plugin whose init() or shutdown() the calling thread is about to
 * run (NULL when it returns), so that api->log lines without a task say
 * which plugin speaks. `name` is borrowed until it is cleared.
 */
void host_api_set_current_plugin(const char *name);

#endif
