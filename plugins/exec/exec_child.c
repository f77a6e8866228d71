/* posix_spawn_file_actions_addclosefrom_np, _addchdir_np (glibc 2.34, 2.29) */
#define _GNU_SOURCE
#include "exec_child.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLICE_MS       100  /* longest wait between checks of cancellation and time */
#define HEARTBEAT_MS   1000 /* progress notes while the command runs */
#define DRAIN_MS       500  /* output still read after the command exited */
#define READ_CHUNK     16384
#define READS_PER_TURN 16 /* chunks read from one pipe before the checks come round again */

/* Everything one run watches; fds are -1 once closed. */
struct watch {
    const th_host_api *api;
    th_task *task;
    struct exec_outcome *o;
    pid_t pid;
    int out_fd, err_fd, in_fd;
    const char *in_data; /* what is left to write to the command's stdin */
    size_t in_left;
    int64_t start, deadline, kill_at, next_heartbeat, drain_until;
    int64_t outputs_closed_at; /* when stdout and stderr both reached their end */
    bool child_done;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static bool set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/* The descriptors of one run: [0] read end, [1] write end. */
struct pipes {
    int in[2], out[2], err[2];
};

static void close_pipes(struct pipes *p)
{
    for (int i = 0; i < 2; i++) {
        close_fd(&p->in[i]);
        close_fd(&p->out[i]);
        close_fd(&p->err[i]);
    }
}

/* Moves a descriptor that took the place of a closed 0, 1 or 2 above them, so
 * that the child's dup2 onto 0, 1 and 2 cannot overwrite one another. */
static bool above_stdio(int *fd)
{
    if (*fd < 0 || *fd > 2)
        return true;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    close(*fd);
    *fd = moved;
    return moved >= 0;
}

/* Pipes for stdout and stderr, and stdin's: a pipe when there is input, else
 * /dev/null (in[0] only). The parent's ends do not block. */
static bool open_pipes(const struct exec_request *r, struct pipes *p)
{
    *p = (struct pipes){{-1, -1}, {-1, -1}, {-1, -1}};
    bool ok = pipe2(p->out, O_CLOEXEC) == 0 && pipe2(p->err, O_CLOEXEC) == 0;
    if (ok && r->stdin_data != NULL)
        ok = pipe2(p->in, O_CLOEXEC) == 0 && set_nonblocking(p->in[1]);
    else if (ok)
        ok = (p->in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;
    for (int i = 0; i < 2; i++)
        ok = ok && above_stdio(&p->in[i]) && above_stdio(&p->out[i]) && above_stdio(&p->err[i]);
    ok = ok && set_nonblocking(p->out[0]) && set_nonblocking(p->err[0]);
    if (!ok)
        close_pipes(p);
    return ok;
}

/* Starts the command; returns 0 or an errno. */
static int spawn(const struct exec_config *c, const struct exec_request *r, const struct pipes *p,
                 pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (posix_spawn_file_actions_init(&fa) != 0)
        return ENOMEM;
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return ENOMEM;
    }
    int rc = posix_spawn_file_actions_adddup2(&fa, p->in[0], 0);
    rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, p->out[1], 1);
    rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, p->err[1], 2);
    rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    rc = rc ? rc : posix_spawn_file_actions_addchdir_np(&fa, c->workdir);
    rc = rc ? rc
            : posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                  POSIX_SPAWN_SETSIGDEF);
    rc = rc ? rc : posix_spawnattr_setpgroup(&attr, 0);
    rc = rc ? rc : posix_spawnattr_setsigmask(&attr, &none);
    rc = rc ? rc : posix_spawnattr_setsigdefault(&attr, &all);
    rc = rc ? rc : posix_spawn(pid, r->argv[0], &fa, &attr, r->argv, c->env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

/* Reads what a pipe has (a bounded amount per call) into the tail; closes
 * it at end of file or on an error. */
static void read_pipe(int *fd, struct exec_tail *t)
{
    char buf[READ_CHUNK];
    for (int i = 0; i < READS_PER_TURN && *fd >= 0; i++) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n > 0) {
            exec_tail_append(t, buf, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n == 0 || errno != EAGAIN)
                close_fd(fd);
            return;
        }
    }
}

/* Writes the next part of stdin; closes it when all is written or the
 * command stopped reading (EPIPE: not an error of the task). */
static void write_stdin(struct watch *w)
{
    if (w->in_left == 0) {
        close_fd(&w->in_fd);
        return;
    }
    ssize_t n = write(w->in_fd, w->in_data, w->in_left < 65536 ? w->in_left : 65536);
    if (n > 0) {
        w->in_data += n;
        w->in_left -= (size_t)n;
        if (w->in_left == 0)
            close_fd(&w->in_fd);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        close_fd(&w->in_fd);
    }
}

/* True once the command has exited (it stays a zombie until reaped, so its
 * pid and process group id cannot be reused meanwhile). */
static bool child_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD; /* reaped by someone else: nothing to wait for */
    return si.si_pid == pid;
}

/* Sends sig to the command's process group and notes it. */
static void signal_group(struct watch *w, int sig)
{
    kill(-w->pid, sig);
    w->o->kill_signal = sig;
}

/* Starts stopping the command: SIGTERM now, SIGKILL at kill_at. */
static void terminate(struct watch *w, const struct exec_config *c, int64_t now)
{
    signal_group(w, c->kill_grace_ms > 0 ? SIGTERM : SIGKILL);
    w->kill_at = now + c->kill_grace_ms;
}

/* Timeout, cancellation and the SIGKILL after the grace period. */
static void check_limits(struct watch *w, const struct exec_config *c, int64_t now)
{
    if (w->child_done)
        return;
    if (w->o->kill_signal == 0) {
        th_cancel_reason why = w->api->cancelled(w->task);
        if (why != TH_CANCEL_NONE) {
            w->o->cancelled = why;
            terminate(w, c, now);
        } else if (now >= w->deadline) {
            w->o->timed_out = true;
            terminate(w, c, now);
        }
    } else if (w->o->kill_signal == SIGTERM && now >= w->kill_at) {
        signal_group(w, SIGKILL);
    }
}

static void heartbeat(struct watch *w, int64_t now)
{
    if (now < w->next_heartbeat)
        return;
    w->next_heartbeat = now + HEARTBEAT_MS;
    char note[128];
    snprintf(note, sizeof note, "running for %" PRId64 " s; %" PRIu64 " bytes of output",
             (now - w->start) / 1000, w->o->out.total + w->o->err.total);
    w->api->heartbeat(w->task, -1.0, note);
}

/* How long the next poll may wait. */
static int poll_timeout(const struct watch *w, int64_t now)
{
    int64_t next = now + SLICE_MS;
    if (w->child_done)
        next = w->drain_until < next ? w->drain_until : next;
    else if (w->o->kill_signal == 0)
        next = w->deadline < next ? w->deadline : next;
    else if (w->o->kill_signal == SIGTERM)
        next = w->kill_at < next ? w->kill_at : next;
    bool quiet = w->out_fd < 0 && w->err_fd < 0;
    if (!w->child_done && quiet && now - w->outputs_closed_at < DRAIN_MS && next > now + 10)
        next = now + 10; /* output just closed: the exit is probably near */
    return next > now ? (int)(next - now) : 0;
}

/* Waits for output, input room or time to pass, and handles what came. */
static void poll_once(struct watch *w, int64_t now)
{
    struct pollfd pfd[3];
    int *fds[3];
    nfds_t n = 0;
    int *const candidates[3] = {&w->out_fd, &w->err_fd, &w->in_fd};
    for (int i = 0; i < 3; i++) {
        if (*candidates[i] < 0)
            continue;
        pfd[n].fd = *candidates[i];
        pfd[n].events = candidates[i] == &w->in_fd ? POLLOUT : POLLIN;
        pfd[n].revents = 0;
        fds[n++] = candidates[i];
    }
    if (poll(pfd, n, poll_timeout(w, now)) <= 0)
        return;
    for (nfds_t i = 0; i < n; i++) {
        if (pfd[i].revents == 0)
            continue;
        if (fds[i] == &w->in_fd)
            write_stdin(w);
        else
            read_pipe(fds[i], fds[i] == &w->out_fd ? &w->o->out : &w->o->err);
    }
    if (w->outputs_closed_at == 0 && w->out_fd < 0 && w->err_fd < 0)
        w->outputs_closed_at = now_ms();
}

static void watch_loop(struct watch *w, const struct exec_config *c)
{
    for (;;) {
        int64_t now = now_ms();
        if (!w->child_done && child_exited(w->pid)) {
            w->child_done = true;
            kill(-w->pid, SIGKILL); /* whatever it left behind in its group */
            w->drain_until = now + DRAIN_MS;
            close_fd(&w->in_fd);
        }
        if (w->child_done && ((w->out_fd < 0 && w->err_fd < 0) || now >= w->drain_until))
            return;
        check_limits(w, c, now);
        heartbeat(w, now);
        poll_once(w, now);
    }
}

/* Reaps the command and records how it ended. */
static void reap(struct watch *w)
{
    int status;
    pid_t rc;
    do
        rc = waitpid(w->pid, &status, 0);
    while (rc < 0 && errno == EINTR);
    if (rc != w->pid)
        return; /* reaped elsewhere: the status is unknown */
    if (WIFEXITED(status)) {
        w->o->exited = true;
        w->o->exit_status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        w->o->term_signal = WTERMSIG(status);
    }
}

/* Runs the started command to its end. */
static void watch(const struct exec_request *r, const struct exec_config *c, struct watch *w)
{
    w->deadline = w->start + r->timeout_ms;
    w->next_heartbeat = w->start + HEARTBEAT_MS;
    w->in_data = r->stdin_data;
    w->in_left = r->stdin_len;
    watch_loop(w, c);
    close_fd(&w->out_fd);
    close_fd(&w->err_fd);
    close_fd(&w->in_fd);
    reap(w);
}

bool exec_child_run(const struct exec_config *c, const struct exec_request *r,
                    const th_host_api *api, th_task *task, struct exec_outcome *o, char *err,
                    size_t errlen)
{
    memset(o, 0, sizeof *o);
    struct pipes p;
    if (!exec_tail_init(&o->out, c->output_tail_bytes) ||
        !exec_tail_init(&o->err, c->output_tail_bytes) || !open_pipes(r, &p)) {
        snprintf(err, errlen, "exec: cannot prepare the run: %s", strerrordesc_np(errno));
        return false;
    }
    /* a write to a stdin the command closed raises SIGPIPE for this thread:
     * keep it pending instead, and take it back before returning */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    struct watch w = {.api = api, .task = task, .o = o, .start = now_ms()};
    o->spawn_error = spawn(c, r, &p, &w.pid);
    w.out_fd = p.out[0], w.err_fd = p.err[0], w.in_fd = p.in[1];
    p.out[0] = p.err[0] = p.in[1] = -1; /* now the watch's */
    close_pipes(&p);                    /* the child's ends */
    if (o->spawn_error == 0) {
        watch(r, c, &w);
    } else {
        close_fd(&w.out_fd);
        close_fd(&w.err_fd);
        close_fd(&w.in_fd);
    }
    o->duration_ms = now_ms() - w.start;
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
        ;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return true;
}

void exec_outcome_free(struct exec_outcome *o)
{
    exec_tail_free(&o->out);
    exec_tail_free(&o->err);
}
