#include "base/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static atomic_int g_level = LOG_INFO;
static atomic_int g_format = LOG_FORMAT_TEXT;
static FILE *_Atomic g_out;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_configure(enum log_level level, enum log_format format, FILE *out)
{
    atomic_store(&g_level, (int)level);
    atomic_store(&g_format, (int)format);
    atomic_store(&g_out, out);
}

bool log_enabled(enum log_level level)
{
    return (int)level <= atomic_load(&g_level);
}

bool log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

bool log_format_parse(const char *s, enum log_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = LOG_FORMAT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return false;
    return true;
}

const char *log_level_name(enum log_level level)
{
    return (unsigned)level < 4 ? level_names[level] : "?";
}

const char *log_format_name(enum log_format format)
{
    return format == LOG_FORMAT_JSON ? "json" : "text";
}

/* Writes s as the body of a JSON string (without quotes). */
static void put_json_escaped(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
}

static void format_timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    (void)snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

void log_vmsg(enum log_level level, const char *component, const char *task, const char *fmt,
              va_list ap)
{
    if (!log_enabled(level))
        return;
    char text[4096];
    char stamp[40];
    (void)vsnprintf(text, sizeof text, fmt, ap);
    format_timestamp(stamp, sizeof stamp);
    FILE *f = atomic_load(&g_out);
    if (f == NULL)
        f = stderr;
    pthread_mutex_lock(&g_lock);
    if (atomic_load(&g_format) == LOG_FORMAT_JSON) {
        fprintf(f, "{\"time\":\"%s\",\"level\":\"%s\",\"component\":\"", stamp,
                log_level_name(level));
        put_json_escaped(f, component ? component : "");
        fputc('"', f);
        if (task) {
            fputs(",\"task\":\"", f);
            put_json_escaped(f, task);
            fputc('"', f);
        }
        fputs(",\"msg\":\"", f);
        put_json_escaped(f, text);
        fputs("\"}\n", f);
    } else {
        fprintf(f, "%s %-5s %s", stamp, log_level_name(level), component ? component : "-");
        if (task)
            fprintf(f, " [task %s]", task);
        fprintf(f, ": %s\n", text);
    }
    fflush(f);
    pthread_mutex_unlock(&g_lock);
}

void log_msg(enum log_level level, const char *component, const char *task, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, component, task, fmt, ap);
    va_end(ap);
}
