#include "tail.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define TAIL_EVERY_MS 20
#define PENDING_MAX   8192

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct exec_line *lines;
static int n_lines, cap_lines, malformed;
static int fd = -1;
static char pending[PENDING_MAX]; /* a line read in part */
static size_t pending_len;
static pthread_t thread;
static atomic_bool stop;

static void add_line(const char *text, int64_t now)
{
    struct exec_line l;
    memset(&l, 0, sizeof l);
    char kind[8] = "", extra[8] = "";
    int n = sscanf(text, "%7s %d %d %15s %31s %7s", kind, &l.task, &l.attempt, l.label, l.status,
                   extra);
    l.start = strcmp(kind, "start") == 0;
    if (!((l.start && n == 4) || (strcmp(kind, "end") == 0 && n == 5))) {
        malformed++;
        fprintf(stderr, "chaos: malformed execution log line: '%s'\n", text);
        return;
    }
    l.t_ms = now;
    if (n_lines == cap_lines) {
        cap_lines = cap_lines ? cap_lines * 2 : 4096;
        lines = chaos_xrealloc(lines, sizeof *lines * (size_t)cap_lines);
    }
    lines[n_lines++] = l;
}

/* Reads what was appended since the last call and records the complete lines. */
static void read_more(void)
{
    char buf[65536];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        int64_t now = chaos_wall_ms();
        pthread_mutex_lock(&mu);
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] != '\n') {
                if (pending_len < PENDING_MAX - 1)
                    pending[pending_len++] = buf[i];
                continue;
            }
            pending[pending_len] = '\0';
            add_line(pending, now);
            pending_len = 0;
        }
        pthread_mutex_unlock(&mu);
    }
}

static void *tail_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        read_more();
        chaos_sleep_ms(TAIL_EVERY_MS);
    }
    return NULL;
}

void tail_start(const char *path)
{
    fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "chaos: cannot open the execution log %s: %s\n", path, strerror(errno));
        abort();
    }
    if (pthread_create(&thread, NULL, tail_main, NULL) != 0)
        abort();
}

int tail_stop(void)
{
    atomic_store(&stop, true);
    pthread_join(thread, NULL);
    read_more();
    close(fd);
    fd = -1;
    pthread_mutex_lock(&mu);
    if (pending_len > 0) {
        malformed++;
        pending[pending_len] = '\0';
        fprintf(stderr, "chaos: the execution log ends with an unfinished line: '%s'\n", pending);
    }
    int m = malformed;
    pthread_mutex_unlock(&mu);
    return m;
}

int tail_snapshot(struct exec_line **out)
{
    pthread_mutex_lock(&mu);
    int n = n_lines;
    *out = chaos_xmalloc(sizeof **out * (size_t)(n > 0 ? n : 1));
    if (n > 0)
        memcpy(*out, lines, sizeof **out * (size_t)n);
    pthread_mutex_unlock(&mu);
    return n;
}

int tail_in_flight(const char *label)
{
    pthread_mutex_lock(&mu);
    int n = 0;
    for (int i = 0; i < n_lines; i++)
        if (strcmp(lines[i].label, label) == 0)
            n += lines[i].start ? 1 : -1;
    pthread_mutex_unlock(&mu);
    return n;
}
