/*
 * Child processes of the tests: spawning into a log file, waiting with a timeout, signals,
 * running a command for its output, and killing leftovers at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ts.h"
#include "ts_internal.h"

/* ---- what runs ----------------------------------------------------------------------- */

#define TS_MAX_CHILDREN 256

static pthread_mutex_t child_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t children[TS_MAX_CHILDREN];
static int n_children;

static void track(pid_t pid)
{
    pthread_mutex_lock(&child_lock);
    bool full = n_children == TS_MAX_CHILDREN;
    if (!full)
        children[n_children++] = pid;
    pthread_mutex_unlock(&child_lock);
    if (full)
        fprintf(stderr, "ts: more than %d children: pid %d is not killed at exit\n",
                TS_MAX_CHILDREN, (int)pid);
}

static void untrack(pid_t pid)
{
    pthread_mutex_lock(&child_lock);
    for (int i = 0; i < n_children; i++) {
        if (children[i] == pid) {
            children[i] = children[--n_children];
            break;
        }
    }
    pthread_mutex_unlock(&child_lock);
}

void ts_proc_cleanup(void)
{
    pthread_mutex_lock(&child_lock);
    for (int i = 0; i < n_children; i++) {
        fprintf(stderr, "ts: pid %d still runs at exit: SIGKILL to its group\n", (int)children[i]);
        kill(-children[i], SIGKILL);
        kill(children[i], SIGKILL);
        while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
            ;
    }
    n_children = 0;
    pthread_mutex_unlock(&child_lock);
}

/* ---- in the child, between fork and exec: async-signal-safe calls only ---------------- */

static void close_other_fds(void)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
        return;
#endif
    for (int fd = 3; fd < 65536; fd++)
        close(fd);
}

static _Noreturn void exec_child(const char *const argv[], int out_fd, int err_fd)
{
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
        dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    close_other_fds();
    /* execvp's argv is char *const[]; it does not modify the strings. */
    execvp(argv[0], (char *const *)(uintptr_t)argv);
    static const char msg[] = "ts: exec failed: ";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    ignored = write(2, argv[0], strlen(argv[0]));
    ignored = write(2, "\n", 1);
    (void)ignored;
    _exit(127);
}

/* ---- spawning ------------------------------------------------------------------------ */

pid_t ts_spawn(const char *const argv[], const char *log_path)
{
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
        ts_fail("cannot open log %s for %s: %s", log_path, argv[0], strerror(errno));
    ts_cleanup_register();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(log_fd);
        ts_fail("cannot fork for %s: %s", argv[0], strerror(e));
    }
    if (pid == 0) {
        setpgid(0, 0);
        exec_child(argv, log_fd, log_fd);
    }
    setpgid(pid, pid); /* also here, so that it holds before we return */
    close(log_fd);
    track(pid);
    return pid;
}

static int decode_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int ts_wait_exit(pid_t pid, int timeout_ms)
{
    int64_t deadline = ts_now_ms() + timeout_ms;
    int pause_ms = 1;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            untrack(pid);
            return decode_status(status);
        }
        if (r < 0 && errno != EINTR)
            ts_fail("waitpid(%d): %s (not a child of this test, or already reaped)", (int)pid,
                    strerror(errno));
        if (timeout_ms >= 0 && ts_now_ms() >= deadline)
            return -1;
        ts_sleep_ms(pause_ms);
        if (pause_ms < 20)
            pause_ms *= 2;
    }
}

void ts_kill(pid_t pid, int sig)
{
    if (kill(pid, sig) != 0 && errno != ESRCH)
        ts_fail("kill(%d, %d): %s", (int)pid, sig, strerror(errno));
}

void ts_kill_group(pid_t pid, int sig)
{
    if (kill(-pid, sig) != 0 && errno != ESRCH)
        ts_fail("kill(-%d, %d): %s", (int)pid, sig, strerror(errno));
}

/* ---- running a command for its output ------------------------------------------------ */

static char *read_all(int fd)
{
    size_t cap = 1024, len = 0;
    char *buf = ts_xmalloc(cap);
    for (;;) {
        if (cap - len < 512) {
            cap *= 2;
            char *bigger = realloc(buf, cap);
            if (!bigger)
                abort();
            buf = bigger;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

int ts_run_capture(const char *const argv[], char **out)
{
    if (out)
        *out = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0)
        exec_child(argv, fds[1], 2);
    close(fds[1]);
    char *text = read_all(fds[0]);
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            free(text);
            return -1;
        }
    }
    if (out)
        *out = text;
    else
        free(text);
    return decode_status(status);
}
