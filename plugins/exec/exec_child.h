/*
 * Runs one command as a child process and watches it: posix_spawn (never a
 * shell) in a process group of its own, with the configured environment and
 * working directory, stdin from the payload (or /dev/null), every other file
 * descriptor closed, an empty signal mask and default signal dispositions;
 * stdout and stderr captured through pipes (their tails kept); heartbeats
 * while it runs; at its timeout or when the host cancels the task, SIGTERM
 * to its process group, then SIGKILL after the grace period. When the
 * command exits, whatever it left running in its process group is killed.
 *
 * Thread-safe: called from several run() threads at once (every descriptor
 * is opened with O_CLOEXEC, so no child inherits another run's pipes).
 */
#ifndef TASKHOST_EXEC_CHILD_H
#define TASKHOST_EXEC_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include <taskhost/plugin.h>

#include "exec_config.h"
#include "exec_request.h"
#include "exec_tail.h"

struct exec_outcome {
    int spawn_error;            /* errno when the command could not be started, else 0 */
    bool exited;                /* it exited: exit_status holds its status */
    int exit_status;            /* 0..255 */
    int term_signal;            /* when !exited: the signal that ended it (0: unknown) */
    bool timed_out;             /* it ran past its timeout and was killed */
    th_cancel_reason cancelled; /* the host cancelled the task and it was killed */
    int kill_signal;            /* the last signal sent to it (0: none) */
    int64_t duration_ms;
    struct exec_tail out; /* the end of stdout */
    struct exec_tail err; /* the end of stderr */
};

/*
 * Runs r and fills *o. Returns false, with a message in err, only when the
 * run could not be prepared (no pipes, no memory); a command that cannot be
 * started returns true with o->spawn_error set. Free *o with
 * exec_outcome_free in both cases.
 */
bool exec_child_run(const struct exec_config *c, const struct exec_request *r,
                    const th_host_api *api, th_task *task, struct exec_outcome *o, char *err,
                    size_t errlen);
void exec_outcome_free(struct exec_outcome *o);

#endif
