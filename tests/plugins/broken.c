/*
 * One source for every broken test plugin: each build defines one BROKEN_*
 * macro (see CMakeLists.txt) that spoils one thing of an otherwise good
 * plugin, so each failure the host must explain has a plugin of its own.
 */
#include <stdio.h>

#include <taskhost/plugin.h>

#ifdef BROKEN_ABI2
#define ABI 2u /* as if built against a future SDK */
#else
#define ABI TH_ABI_VERSION
#endif

#ifdef BROKEN_SMALL_SIZE
#define SIZE ((uint32_t)offsetof(th_plugin, init)) /* stops before init, run, shutdown */
#else
#define SIZE ((uint32_t)sizeof(th_plugin))
#endif

#if defined(BROKEN_BAD_NAME)
#define NAME "Bad Name!"
#elif defined(BROKEN_NULL_NAME)
#define NAME NULL
#elif defined(BROKEN_DUP_TYPE)
#define NAME "duptype"
#else
#define NAME "broken"
#endif

#define X10  "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

#if defined(BROKEN_NO_TYPES)
#define TYPES NULL
#elif defined(BROKEN_EMPTY_TYPE)
#define TYPES "test.broken", "", NULL
#elif defined(BROKEN_LONG_TYPE)
#define TYPES X100 X100 "x", NULL /* 201 bytes */
#elif defined(BROKEN_DUP_TYPE)
#define TYPES "test.dup", "test.good", NULL /* test.good belongs to good.so */
#else
#define TYPES "test.broken", NULL
#endif

static int broken_init(const th_host_api *api, const th_settings *settings, void **state, char *err,
                       size_t errlen)
{
    (void)api;
    (void)settings;
    *state = NULL;
#ifdef BROKEN_INIT_FAILS
    snprintf(err, errlen, "the frobnicator is not configured");
    return 1;
#else
    (void)err;
    (void)errlen;
    return 0;
#endif
}

#ifndef BROKEN_NO_RUN
static th_status broken_run(void *state, th_task *task)
{
    (void)state;
    (void)task;
    return TH_DONE;
}
#endif

static const char *const broken_types[] = {TYPES};

static const th_plugin broken_plugin = {
    .abi_version = ABI,
    .size = SIZE,
    .name = NAME,
    .version = "0",
    .task_types = broken_types,
    .init = broken_init,
#ifdef BROKEN_NO_RUN
    .run = NULL,
#else
    .run = broken_run,
#endif
};

#ifdef BROKEN_NO_ENTRY
/* A misspelt entry point: the host finds no taskhost_plugin_entry. */
TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry_point(void);
TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry_point(void)
#else
TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void)
#endif
{
#ifdef BROKEN_NULL_ENTRY
    (void)broken_plugin;
    return NULL;
#else
    return &broken_plugin;
#endif
}
