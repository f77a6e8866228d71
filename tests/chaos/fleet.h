/*
 * The hosts of a chaos run. Each slot is one "machine" running `taskhost run`, watched by a
 * supervisor thread that starts it again 0.5 s after it dies (as systemd's
 * Restart=on-failure would). Every start is a new incarnation with its own label
 * "h<slot>g<generation>", used both as host.id and as the record plugin's label, so each line
 * of the execution log and each error in the database names the process that wrote it.
 *
 * A slot may run under libfaketime with its clock off by 30 minutes (enum skew).
 */
#ifndef TASKHOST_CHAOS_FLEET_H
#define TASKHOST_CHAOS_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLEET_MAX_HOSTS 8
#define FLEET_LABEL     16

/*
 * Clocks a host may run with (libfaketime, which shifts CLOCK_REALTIME and CLOCK_MONOTONIC
 * alike). FAKETIME_DONT_FAKE_MONOTONIC=1 is not used: with it, libfaketime 0.9.10 makes
 * pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable time out at once, so every
 * timed wait of the host spins (a libfaketime bug, see docs/reliability.md).
 */
enum skew {
    SKEW_NONE,
    SKEW_AHEAD,  /* FAKETIME=+30m */
    SKEW_BEHIND, /* FAKETIME=-30m */
    SKEW_KINDS
};

/* How an incarnation ended. */
enum end_reason {
    END_RUNNING,    /* still runs */
    END_KILLED,     /* SIGKILL by a fault */
    END_RESTARTED,  /* SIGTERM by the driver, to restart it with another clock */
    END_FINAL,      /* SIGTERM at the end of the run */
    END_UNEXPECTED, /* it exited by itself: a bug (or it could not start) */
};

struct incarnation {
    char label[FLEET_LABEL];
    int slot;
    int gen;
    enum skew skew;
    int64_t started_ms; /* wall clock of the driver */
    int64_t ended_ms;   /* 0 while it runs */
    int status;         /* exit status, 128+signal */
    enum end_reason end;
};

struct fleet_opts {
    int n;
    const char *db;
    const char *run_dir;  /* host logs go to run_dir/host-<slot>.log */
    const char *exec_log; /* the record plugin's execution log */
    const char *uri[FLEET_MAX_HOSTS];
    const char *ns[FLEET_MAX_HOSTS]; /* network namespace of each slot, or NULL */
    int lease_ms, heartbeat_ms, max_concurrency, max_retries, max_host_deaths, poll_ms;
    const char *faketime_lib; /* path of libfaketime.so.1, or NULL when missing */
};

/* Starts the supervisors (and so the hosts). o's strings must outlive the fleet. */
void fleet_start(const struct fleet_opts *o);

/* The label of slot's running incarnation into label; false while it is down. */
bool fleet_current(int slot, char *label, size_t len);

/* kill -9 of slot's host; label gets the incarnation hit. False if none ran. */
bool fleet_kill(int slot, char *label, size_t len);

/* SIGSTOP / SIGCONT of slot's host. fleet_pause fills label; false if none ran. */
bool fleet_pause(int slot, char *label, size_t len);
void fleet_resume(int slot);

/* Gracefully restarts slot's host (SIGTERM; the supervisor starts it again) with clock `skew`
 * from now on; waits until the new incarnation runs and fills its label in new_label and the
 * old one's in old_label. False if none ran or it did not come back within timeout_ms. */
bool fleet_restart_with(int slot, enum skew skew, int timeout_ms, char *old_label, char *new_label,
                        size_t len);

/* The clock slot runs with. */
enum skew fleet_skew(int slot);

/* Ends the run: SIGCONT and SIGTERM to every host, waits up to timeout_ms for them to exit
 * (then SIGKILL), stops the supervisors. Returns how many hosts had to be SIGKILLed. */
int fleet_stop(int timeout_ms);

/* A copy of every incarnation so far (caller frees *out); returns the count. */
int fleet_incarnations(struct incarnation **out);

/* The log file of slot (all its incarnations, each introduced by a "=== chaos:" line). */
const char *fleet_host_log(int slot);

/* "none", "+30m", "-30m (real monotonic)", ... */
const char *skew_name(enum skew s);

#endif
