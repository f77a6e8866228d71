/*
 * taskhost plugin SDK: the only header a plugin author includes.
 *
 * A plugin is a shared object that exports exactly one symbol, the entry
 * function TH_PLUGIN_ENTRY_SYMBOL ("taskhost_plugin_entry"), which returns a
 * pointer to a static th_plugin descriptor. The host never lets the dynamic
 * linker resolve plugin calls to host symbols: every host service reaches the
 * plugin through the th_host_api function table handed to init().
 *
 * ABI rules (see docs/plugin-guide.md, "Versions and compatibility"):
 *  - th_plugin and th_host_api both begin with (abi_version, size).
 *  - TH_ABI_VERSION changes only when an existing field changes meaning or
 *    place. Such a change is incompatible: the host refuses the plugin and says
 *    which ABI the plugin was built for and which the host speaks.
 *  - New fields are only ever appended. The host copies min(plugin size, host
 *    size) bytes of the descriptor into zeroed memory, so an older plugin reads
 *    as "field absent" and a newer one's extra fields are ignored. A plugin
 *    that wants an api function added after ABI 1.0 checks
 *    TH_API_HAS(api, member) before calling it.
 *
 * Threads (what a plugin may assume):
 *  - init() and shutdown() are called once each, from the host's main thread,
 *    with no run() in progress. shutdown() is not called if init() failed.
 *  - run() is called from several worker threads at once, up to the host's
 *    max_concurrency (or the per-type limit), each call with its own th_task.
 *    Whatever run() shares through the plugin state must be thread-safe; the
 *    plugin state itself is never touched by the host.
 *  - A th_task is valid only during the run() call that received it and may
 *    be used only from that thread (the api calls on it are not meant to be
 *    shared with threads the plugin starts). Pointers the api returns for a
 *    task are owned by the host and valid until run() returns.
 *  - Every api function is safe to call from any thread for its own task;
 *    api->log with a NULL task is safe from any thread at any time between
 *    init() and the return of shutdown().
 *  - The host never unloads a plugin's code while the process lives, so
 *    threads and thread-local destructors a plugin starts cannot outlive it.
 *  - A plugin must not install signal handlers, call exit(), fork without
 *    exec, or change the process's working directory or umask.
 *
 * C++: this header is C++-compatible; the entry function must be declared
 * extern "C" (TH_PLUGIN_EXPORT does that) and no exception may escape init,
 * run or shutdown.
 */
#ifndef TASKHOST_PLUGIN_H
#define TASKHOST_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Incompatible-change counter of this ABI. */
#define TH_ABI_VERSION 1u

/* The name of the single symbol a plugin exports. */
#define TH_PLUGIN_ENTRY_SYMBOL "taskhost_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define TH_VISIBLE __attribute__((visibility("default")))
#define TH_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define TH_VISIBLE
#define TH_PRINTF(fmt_index, first_arg)
#endif

#ifdef __cplusplus
#define TH_PLUGIN_EXPORT extern "C" TH_VISIBLE
#else
#define TH_PLUGIN_EXPORT TH_VISIBLE
#endif

/* What run() reports. */
typedef enum th_status {
    /* The task is done; a result set with set_result_* is recorded. */
    TH_DONE = 0,
    /* The attempt failed; the host retries later with backoff, until the
     * task's retry limit is reached. Say why with api->fail(). */
    TH_RETRY = 1,
    /* The task can never succeed; it goes straight to dead. Say why with
     * api->fail(). */
    TH_FAIL = 2
} th_status;

/* Why cancelled() returns non-zero. */
typedef enum th_cancel_reason {
    TH_CANCEL_NONE = 0,
    /* The host could not extend the task's lease (another host may own the
     * task now): stop, nothing the task reports will be recorded. */
    TH_CANCEL_LEASE_LOST = 1,
    /* The host is shutting down and its grace period is over: stop, the task
     * is handed back and this attempt is not counted. */
    TH_CANCEL_SHUTDOWN = 2,
    /* The task ran longer than its type's timeout: stop, the attempt counts
     * as a failure and is retried (unless run() still returns TH_DONE: work
     * that completed is recorded as done). */
    TH_CANCEL_TIMEOUT = 3,
    /* An operator cancelled the task: stop, it will not run again. */
    TH_CANCEL_REQUESTED = 4
} th_cancel_reason;

typedef enum th_log_level {
    TH_LOG_ERROR = 0,
    TH_LOG_WARN = 1,
    TH_LOG_INFO = 2,
    TH_LOG_DEBUG = 3
} th_log_level;

/* Return codes of api functions that can fail. */
#define TH_OK 0
#define TH_EINVAL (-1) /* an argument is invalid (message in the host log) */
#define TH_ETYPE (-2)  /* a setting exists but has another type */
#define TH_ETOOBIG (-3) /* a result exceeds the host's size limit */

/* Opaque handles owned by the host. */
typedef struct th_task th_task;         /* one attempt of one task */
typedef struct th_settings th_settings; /* the plugin's block of settings */

/*
 * Host services, handed to init(). The table is owned by the host and stays
 * valid until shutdown() returns; store the pointer.
 */
typedef struct th_host_api {
    uint32_t abi_version; /* TH_ABI_VERSION of the host */
    uint32_t size;        /* sizeof(th_host_api) as the host was built */

    /* Logging, through the host's log (level, format, destination). A task
     * may be NULL; when given, the line names the task. */
    void (*log)(const th_task *task, th_log_level level, const char *fmt, ...) TH_PRINTF(3, 4);

    /* --- the task (all strings NUL-terminated, owned by the host) --- */
    const char *(*task_id)(const th_task *task);   /* the _id, rendered */
    const char *(*task_type)(const th_task *task);
    /* 1 for the first attempt, 2 for the first retry, ... */
    int (*task_attempt)(const th_task *task);
    /* The retry limit that applies to this task. */
    int (*task_max_retries)(const th_task *task);
    /* The payload as a BSON document (an empty document when the task has
     * none); *len receives its length. */
    const uint8_t *(*task_payload_bson)(const th_task *task, size_t *len);
    /* The payload as relaxed extended JSON ("{ }" when empty). */
    const char *(*task_payload_json)(const th_task *task);

    /* --- reporting --- */
    /* Sets the result document recorded with TH_DONE, replacing any earlier
     * one. Returns TH_OK, TH_EINVAL (not a JSON object / not a valid BSON
     * document) or TH_ETOOBIG. The host copies the input. */
    int (*set_result_json)(th_task *task, const char *json);
    int (*set_result_bson)(th_task *task, const uint8_t *bson, size_t len);
    /* The message recorded with TH_RETRY or TH_FAIL (printf format; the last
     * call wins; long messages are truncated to 1000 bytes). */
    void (*fail)(th_task *task, const char *fmt, ...) TH_PRINTF(2, 3);

    /* --- liveness --- */
    /* Non-zero (a th_cancel_reason) when run() should stop as soon as it
     * can. Cheap: call it as often as you like. */
    th_cancel_reason (*cancelled)(const th_task *task);
    /* Progress for operators: fraction in [0, 1] (or negative for "unknown")
     * and an optional note (may be NULL). Recorded with the next lease
     * renewal; cheap to call often. The host renews the lease on its own,
     * whether or not the plugin calls this. */
    void (*heartbeat)(th_task *task, double progress, const char *note);
    /* Sleeps up to ms milliseconds, returning early when the task is
     * cancelled. Returns the cancel reason (TH_CANCEL_NONE after a full
     * sleep). */
    th_cancel_reason (*sleep_ms)(const th_task *task, int64_t ms);

    /* --- the plugin's settings (only valid during init()) --- */
    /* Each getter stores the named setting of the plugin's block, or def
     * when the setting is absent, and returns TH_OK; a setting of another
     * type returns TH_ETYPE and the host reports it with file and line.
     * Strings are owned by the host and live until shutdown() returns.
     * Settings the plugin never asks for are reported as unknown. */
    int (*setting_string)(const th_settings *s, const char *name, const char *def, const char **out);
    int (*setting_int)(const th_settings *s, const char *name, int64_t def, int64_t *out);
    int (*setting_double)(const th_settings *s, const char *name, double def, double *out);
    int (*setting_bool)(const th_settings *s, const char *name, int def, int *out);
    /* Number of strings in a list/array setting (0 when absent), and the
     * i-th one; for settings such as allow-lists. */
    int (*setting_list_len)(const th_settings *s, const char *name);
    int (*setting_list_string)(const th_settings *s, const char *name, int index, const char **out);
} th_host_api;

/* True when the host's table is recent enough to contain `member`. */
#define TH_API_HAS(api, member)                                                                   \
    ((api)->size >= offsetof(th_host_api, member) + sizeof(((th_host_api *)0)->member) &&          \
     (api)->member != NULL)

/*
 * The descriptor a plugin's entry function returns. It must stay valid while
 * the process lives (make it static const).
 */
typedef struct th_plugin {
    uint32_t abi_version; /* TH_ABI_VERSION the plugin was built with */
    uint32_t size;        /* sizeof(th_plugin) as the plugin was built */

    const char *name;    /* [a-z0-9_-], unique among loaded plugins */
    const char *version; /* free-form, e.g. "1.2.0" */
    /* NULL-terminated list of the task types this plugin runs. A type is a
     * non-empty string of at most 200 bytes. */
    const char *const *task_types;

    /* Called once before any run(). Returns 0 on success; on failure writes
     * a message to err (errlen bytes, NUL-terminated) and returns non-zero:
     * the host then refuses to start and prints the message. *state is
     * handed to run() and shutdown(). May be NULL. */
    int (*init)(const th_host_api *api, const th_settings *settings, void **state, char *err,
                size_t errlen);
    /* Performs one attempt of one task. Required. */
    th_status (*run)(void *state, th_task *task);
    /* Called once at exit when no run() is in progress. May be NULL. */
    void (*shutdown)(void *state);
} th_plugin;

/* The first two fields of a descriptor, for C designated initialisers:
 *   static const th_plugin plugin = { TH_PLUGIN_HEADER, .name = "x", ... }; */
#define TH_PLUGIN_HEADER .abi_version = TH_ABI_VERSION, .size = sizeof(th_plugin)

/* The entry function's type and declaration. Define it as:
 *   TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void) { return &plugin; } */
typedef const th_plugin *(*th_plugin_entry_fn)(void);
TH_PLUGIN_EXPORT const th_plugin *taskhost_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* TASKHOST_PLUGIN_H */
