/*
 * The host's log: one line per event on stderr (systemd's journal takes it
 * from there), as text or as JSON objects, filtered by level. Thread-safe.
 */
#ifndef TASKHOST_BASE_LOG_H
#define TASKHOST_BASE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };
enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON = 1 };

/* Defaults: info, text, stderr. `out` is borrowed (NULL means stderr). */
void log_configure(enum log_level level, enum log_format format, FILE *out);

bool log_enabled(enum log_level level);

/* Parses "error" | "warn" | "info" | "debug"; false when unknown. */
bool log_level_parse(const char *s, enum log_level *out);
bool log_format_parse(const char *s, enum log_format *out);
const char *log_level_name(enum log_level level);
const char *log_format_name(enum log_format format);

/* `component` names who speaks ("claim", "plugin flaky"); `task` is the task
 * id or NULL. */
void log_msg(enum log_level level, const char *component, const char *task, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void log_vmsg(enum log_level level, const char *component, const char *task, const char *fmt,
              va_list ap) __attribute__((format(printf, 4, 0)));

#define log_error(comp, ...) log_msg(LOG_ERROR, comp, NULL, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(LOG_WARN, comp, NULL, __VA_ARGS__)
#define log_info(comp, ...) log_msg(LOG_INFO, comp, NULL, __VA_ARGS__)
#define log_debug(comp, ...)                                                                      \
    do {                                                                                          \
        if (log_enabled(LOG_DEBUG))                                                               \
            log_msg(LOG_DEBUG, comp, NULL, __VA_ARGS__);                                          \
    } while (0)

#endif
