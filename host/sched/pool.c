#include "sched/pool.h"

#include <stdlib.h>

#include "base/log.h"
#include "sched/attempt.h"
#include "sched/sched.h"

struct pool_item {
    struct attempt *attempt;
    struct pool_item *next;
};

static struct attempt *take(struct pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->head == NULL && !p->stopping)
        pthread_cond_wait(&p->cond, &p->mu);
    struct attempt *a = NULL;
    if (p->head) {
        struct pool_item *it = p->head;
        p->head = it->next;
        if (p->head == NULL)
            p->tail = NULL;
        a = it->attempt;
        free(it);
        p->busy++;
    }
    pthread_mutex_unlock(&p->mu);
    return a;
}

static void *worker_main(void *arg)
{
    struct pool *p = arg;
    struct attempt *a;
    while ((a = take(p)) != NULL) {
        attempt_run(p->sched, a);
        slots_release(&p->sched->slots, a->claim.doc.type);
        atomic_fetch_sub(&a->plugin->running, 1);
        attempt_free(a);
        pthread_mutex_lock(&p->mu);
        p->busy--;
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

bool pool_start(struct pool *p, struct sched *s, int n_threads)
{
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->head = p->tail = NULL;
    p->busy = 0;
    p->stopping = false;
    p->sched = s;
    p->threads = calloc((size_t)n_threads, sizeof *p->threads);
    p->n_threads = 0;
    if (p->threads == NULL)
        return false;
    for (int i = 0; i < n_threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            log_error("pool", "could not start worker thread %d of %d", i + 1, n_threads);
            return false;
        }
        p->n_threads++;
    }
    return true;
}

void pool_submit(struct pool *p, struct attempt *a)
{
    struct pool_item *it = malloc(sizeof *it);
    if (it == NULL)
        abort();
    it->attempt = a;
    it->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = it;
    else
        p->head = it;
    p->tail = it;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
}

void pool_stop(struct pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    p->threads = NULL;
    p->n_threads = 0;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cond);
}
