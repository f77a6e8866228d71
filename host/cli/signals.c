#include "cli/signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static sigset_t watched;
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static _Atomic int stop_signal;

static void *signal_main(void *arg)
{
    (void)arg;
    for (;;) {
        int sig;
        if (sigwait(&watched, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_warn("signal", "SIGHUP: reloading plugins is not supported yet; ignored");
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

bool signals_start(void)
{
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&watched);
    sigaddset(&watched, SIGTERM);
    sigaddset(&watched, SIGINT);
    sigaddset(&watched, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &watched, NULL) != 0)
        return false;
    pthread_t t;
    if (pthread_create(&t, NULL, signal_main, NULL) != 0)
        return false;
    pthread_detach(t);
    return true;
}

const char *signals_wait_stop(void)
{
    pthread_mutex_lock(&stop_mu);
    while (atomic_load(&stop_signal) == 0)
        pthread_cond_wait(&stop_cond, &stop_mu);
    pthread_mutex_unlock(&stop_mu);
    return strsignal(atomic_load(&stop_signal));
}

bool signals_stop_requested(void)
{
    return atomic_load(&stop_signal) != 0;
}
