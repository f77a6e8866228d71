#include "base/clock.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

static pthread_mutex_t clock_mu = PTHREAD_MUTEX_INITIALIZER;
static bool clock_synced;
static int64_t clock_offset_ms;      /* server time - monotonic time */
static int64_t clock_uncertainty_ms; /* half the RTT of the kept measurement */

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

void server_clock_reset(void)
{
    pthread_mutex_lock(&clock_mu);
    clock_synced = false;
    clock_offset_ms = 0;
    clock_uncertainty_ms = 0;
    pthread_mutex_unlock(&clock_mu);
}

void server_clock_observe(int64_t server_ms, int64_t sent_mono_ms, int64_t recv_mono_ms)
{
    int64_t half_rtt = (recv_mono_ms - sent_mono_ms) / 2;
    if (half_rtt < 0)
        return;
    int64_t offset = server_ms - (sent_mono_ms + half_rtt);
    pthread_mutex_lock(&clock_mu);
    /* A measurement is kept when it is at least as precise as the kept one,
     * or when the kept one has aged: RTT spikes do not spoil the estimate. */
    if (!clock_synced || half_rtt <= clock_uncertainty_ms + 5) {
        clock_offset_ms = offset;
        clock_uncertainty_ms = half_rtt;
        clock_synced = true;
    } else {
        clock_uncertainty_ms += 1; /* let a worse measurement win soon */
    }
    pthread_mutex_unlock(&clock_mu);
}

int64_t server_clock_now_ms(void)
{
    pthread_mutex_lock(&clock_mu);
    bool synced = clock_synced;
    int64_t offset = clock_offset_ms;
    pthread_mutex_unlock(&clock_mu);
    return synced ? clock_mono_ms() + offset : clock_wall_ms();
}

bool server_clock_synced(int64_t *uncertainty_ms)
{
    pthread_mutex_lock(&clock_mu);
    bool synced = clock_synced;
    if (uncertainty_ms)
        *uncertainty_ms = clock_uncertainty_ms;
    pthread_mutex_unlock(&clock_mu);
    return synced;
}
