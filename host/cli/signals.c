#include "cli/signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

static sigset_t watched;
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static _Atomic int stop_signal;
static bool reload_pending; /* under stop_mu */

static void *signal_main(void *arg)
{
    (void)arg;
    for (;;) {
        int sig;
        if (sigwait(&watched, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("signal", "SIGHUP: reloading the plugins");
            pthread_mutex_lock(&stop_mu);
            reload_pending = true;
            pthread_cond_broadcast(&stop_cond);
            pthread_mutex_unlock(&stop_mu);
            continue;
        }
        if (atomic_load(&stop_signal) != 0) {
            log_warn("signal",
                     "second %s: exiting now; the leases of running tasks will expire "
                     "and other hosts will run them",
                     strsignal(sig));
            _exit(128 + sig);
        }
        log_info("signal", "%s: stopping (send it again to exit at once)", strsignal(sig));
        pthread_mutex_lock(&stop_mu);
        atomic_store(&stop_signal, sig);
        pthread_cond_broadcast(&stop_cond);
        pthread_mutex_unlock(&stop_mu);
    }
    return NULL;
}

bool signals_block(void)
{
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&watched);
    sigaddset(&watched, SIGTERM);
    sigaddset(&watched, SIGINT);
    sigaddset(&watched, SIGHUP);
    return pthread_sigmask(SIG_BLOCK, &watched, NULL) == 0;
}

bool signals_start(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, signal_main, NULL) != 0)
        return false;
    pthread_detach(t);
    return true;
}

enum signal_event signals_wait(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    enum signal_event ev = SIGNAL_NONE;
    pthread_mutex_lock(&stop_mu);
    while (atomic_load(&stop_signal) == 0 && !reload_pending)
        if (pthread_cond_timedwait(&stop_cond, &stop_mu, &ts) != 0)
            break;
    if (atomic_load(&stop_signal) != 0) {
        ev = SIGNAL_STOP;
    } else if (reload_pending) {
        ev = SIGNAL_RELOAD;
        reload_pending = false;
    }
    pthread_mutex_unlock(&stop_mu);
    return ev;
}

const char *signals_stop_name(void)
{
    return strsignal(atomic_load(&stop_signal));
}

bool signals_stop_requested(void)
{
    return atomic_load(&stop_signal) != 0;
}
