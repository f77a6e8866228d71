#include "sched/running.h"

#include "sched/attempt.h"

void running_init(struct running *r)
{
    pthread_mutex_init(&r->mu, NULL);
    r->head = NULL;
    r->n = 0;
}

void running_destroy(struct running *r)
{
    pthread_mutex_destroy(&r->mu);
}

void running_add(struct running *r, struct attempt *a)
{
    pthread_mutex_lock(&r->mu);
    a->prev = NULL;
    a->next = r->head;
    if (r->head)
        r->head->prev = a;
    r->head = a;
    r->n++;
    pthread_mutex_unlock(&r->mu);
}

void running_remove(struct running *r, struct attempt *a)
{
    pthread_mutex_lock(&r->mu);
    if (a->prev)
        a->prev->next = a->next;
    else
        r->head = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->prev = a->next = NULL;
    r->n--;
    pthread_mutex_unlock(&r->mu);
}

int running_cancel_all(struct running *r, th_cancel_reason reason)
{
    int n = 0;
    pthread_mutex_lock(&r->mu);
    for (struct attempt *a = r->head; a; a = a->next) {
        if (a->task_ready) {
            task_cancel(&a->task, reason);
            n++;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

int running_count(struct running *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}
