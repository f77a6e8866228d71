/*
 * Failing, memory, time, files, temp dirs and the exit handler of taskhost_testsupport.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ts.h"
#include "ts_internal.h"

/* ---- failing ------------------------------------------------------------------------- */

static pthread_t main_thread;

__attribute__((constructor)) static void remember_main_thread(void)
{
    main_thread = pthread_self();
}

_Noreturn void ts_fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (pthread_equal(pthread_self(), main_thread)) {
        /* Fails the running cmocka test (longjmp), or exits if none runs. */
        print_error("ERROR: %s\n", msg);
        _fail(file, line);
    } else {
        fprintf(stderr, "%s:%d: ERROR (in a helper thread): %s\n", file, line, msg);
    }
    abort();
}

/* ---- memory -------------------------------------------------------------------------- */

void *ts_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        ts_fail("out of memory (%zu bytes)", n);
    return p;
}

char *ts_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(ts_xmalloc(n), s, n);
}

char *ts_xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        ts_fail("bad format '%s'", fmt);
    char *s = ts_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- time ---------------------------------------------------------------------------- */

int64_t ts_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ts_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

bool ts_wait_until(bool (*pred)(void *), void *arg, int timeout_ms)
{
    int64_t deadline = ts_now_ms() + timeout_ms;
    while (ts_now_ms() < deadline) {
        if (pred(arg))
            return true;
        ts_sleep_ms(20);
    }
    return pred(arg);
}

/* ---- files --------------------------------------------------------------------------- */

char *ts_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = ts_xmalloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            char *bigger = realloc(buf, cap);
            if (!bigger) {
                free(buf);
                fclose(f);
                ts_fail("out of memory reading %s", path);
            }
            buf = bigger;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

bool ts_file_contains(const char *path, const char *needle)
{
    char *text = ts_read_file(path);
    bool found = text && strstr(text, needle) != NULL;
    free(text);
    return found;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void ts_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool ts_keep_tmp(void)
{
    const char *keep = getenv("TS_KEEP_TMP");
    return keep && strcmp(keep, "1") == 0;
}

/* ---- temp dirs ----------------------------------------------------------------------- */

#define TS_MAX_TEMP_DIRS 256

static pthread_mutex_t temp_lock = PTHREAD_MUTEX_INITIALIZER;
static char *temp_dirs[TS_MAX_TEMP_DIRS];
static int n_temp_dirs;

#define TEMP_PREFIX "taskhost-test-"

/* Removes the temp dirs of test processes that are gone (killed before their exit handler
 * ran): their names hold the pid. */
static void remove_stale_temp_dirs(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid = 0;
        if (sscanf(e->d_name, TEMP_PREFIX "%d-", &pid) != 1 || pid <= 0)
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue; /* alive, or not ours to judge */
        char *path = ts_xprintf("%s/%s", tmp, e->d_name);
        /* A process of another PID namespace sharing this /tmp looks dead
         * from here: only directories untouched for an hour are stale. */
        struct stat st;
        if (stat(path, &st) == 0 && time(NULL) - st.st_mtime > 3600)
            ts_remove_tree(path);
        free(path);
    }
    closedir(d);
}

static const char *temp_root(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

static pthread_once_t stale_once = PTHREAD_ONCE_INIT;

static void remove_stale_once(void)
{
    remove_stale_temp_dirs(temp_root());
}

char *ts_try_temp_dir(void)
{
    const char *tmp = temp_root();
    pthread_once(&stale_once, remove_stale_once);
    char *path = ts_xprintf("%s/" TEMP_PREFIX "%d-XXXXXX", tmp, (int)getpid());
    if (!mkdtemp(path)) {
        fprintf(stderr, "ts: cannot create a temp dir under %s: %s\n", tmp, strerror(errno));
        free(path);
        return NULL;
    }
    ts_cleanup_register();
    pthread_mutex_lock(&temp_lock);
    bool kept = n_temp_dirs < TS_MAX_TEMP_DIRS;
    if (kept)
        temp_dirs[n_temp_dirs++] = ts_xstrdup(path);
    pthread_mutex_unlock(&temp_lock);
    if (!kept)
        fprintf(stderr, "ts: more than %d temp dirs: %s is not removed at exit\n", TS_MAX_TEMP_DIRS,
                path);
    return path;
}

char *ts_temp_dir(void)
{
    char *path = ts_try_temp_dir();
    if (!path)
        ts_fail("cannot create a temp dir (message above)");
    return path;
}

void ts_tmp_cleanup(void)
{
    pthread_mutex_lock(&temp_lock);
    for (int i = 0; i < n_temp_dirs; i++) {
        if (ts_keep_tmp())
            fprintf(stderr, "ts: kept %s (TS_KEEP_TMP=1)\n", temp_dirs[i]);
        else
            ts_remove_tree(temp_dirs[i]);
        free(temp_dirs[i]);
    }
    n_temp_dirs = 0;
    pthread_mutex_unlock(&temp_lock);
}

/* ---- the exit handler ---------------------------------------------------------------- */

static pthread_once_t cleanup_once = PTHREAD_ONCE_INIT;
static pid_t cleanup_owner;

static void cleanup_at_exit(void)
{
    if (getpid() != cleanup_owner)
        return; /* a forked child that did not exec */
    ts_proc_cleanup();
    ts_mongo_cleanup();
    ts_server_cleanup();
    ts_tmp_cleanup();
}

static void register_cleanup(void)
{
    cleanup_owner = getpid();
    atexit(cleanup_at_exit);
}

void ts_cleanup_register(void)
{
    pthread_once(&cleanup_once, register_cleanup);
}
