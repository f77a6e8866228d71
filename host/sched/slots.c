#include "sched/slots.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void slots_init(struct slots *s, int limit, const char *const *types, const int *limits, int n)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &ca);
    pthread_condattr_destroy(&ca);
    s->limit = limit;
    s->types = calloc((size_t)(n > 0 ? n : 1), sizeof *s->types);
    s->n_types = n;
    for (int i = 0; i < n; i++) {
        s->types[i].type = types[i];
        s->types[i].limit = limits ? limits[i] : 0;
        s->types[i].open = true;
    }
}

void slots_destroy(struct slots *s)
{
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->changed);
    free(s->types);
    memset(s, 0, sizeof *s);
}

static struct slot_type *find(struct slots *s, const char *type)
{
    for (int i = 0; i < s->n_types; i++)
        if (strcmp(s->types[i].type, type) == 0)
            return &s->types[i];
    return NULL;
}

static bool has_room(const struct slots *s, const struct slot_type *t)
{
    return t->open && !s->isolating && s->running < s->limit &&
           (t->limit == 0 || t->running < t->limit);
}

bool slots_set_types(struct slots *s, const char *const *types, const int *limits, int n)
{
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n_types; i++)
        s->types[i].open = false;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        struct slot_type *t = find(s, types[i]);
        if (t == NULL) {
            struct slot_type *bigger = realloc(s->types, sizeof *bigger * (size_t)(s->n_types + 1));
            ok = bigger != NULL;
            if (!ok)
                break;
            s->types = bigger;
            t = &s->types[s->n_types++];
            t->running = 0;
        }
        t->type = types[i]; /* the new plugin's copy of the name */
        t->limit = limits ? limits[i] : 0;
        t->open = true;
    }
    s->generation++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

int slots_capacity(struct slots *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n_types;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int slots_free_types(struct slots *s, const char **out, uint64_t *generation)
{
    int n = 0;
    pthread_mutex_lock(&s->mu);
    *generation = s->generation;
    for (int i = 0; i < s->n_types; i++)
        if (has_room(s, &s->types[i]))
            out[n++] = s->types[i].type;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int slots_batch_room(struct slots *s)
{
    pthread_mutex_lock(&s->mu);
    int room = s->isolating ? 0 : s->limit - s->running;
    for (int i = 0; i < s->n_types; i++) {
        const struct slot_type *t = &s->types[i];
        if (has_room(s, t) && t->limit > 0 && t->limit - t->running < room)
            room = t->limit - t->running;
    }
    pthread_mutex_unlock(&s->mu);
    return room < 0 ? 0 : room;
}

bool slots_acquire(struct slots *s, const char *type)
{
    pthread_mutex_lock(&s->mu);
    struct slot_type *t = find(s, type);
    bool ok = t != NULL && has_room(s, t);
    if (ok) {
        t->running++;
        s->running++;
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

void slots_release(struct slots *s, const char *type)
{
    pthread_mutex_lock(&s->mu);
    struct slot_type *t = find(s, type);
    if (t != NULL && t->running > 0) {
        t->running--;
        s->running--;
    }
    s->generation++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
}

static struct timespec deadline(int64_t timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

void slots_wait(struct slots *s, uint64_t generation, int64_t timeout_ms)
{
    struct timespec ts = deadline(timeout_ms);
    pthread_mutex_lock(&s->mu);
    while (s->generation == generation)
        if (pthread_cond_timedwait(&s->changed, &s->mu, &ts) != 0)
            break;
    pthread_mutex_unlock(&s->mu);
}

void slots_wake(struct slots *s)
{
    pthread_mutex_lock(&s->mu);
    s->generation++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
}

int slots_running(struct slots *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->running;
    pthread_mutex_unlock(&s->mu);
    return n;
}

uint64_t slots_generation(struct slots *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t g = s->generation;
    pthread_mutex_unlock(&s->mu);
    return g;
}

bool slots_isolate_begin(struct slots *s)
{
    pthread_mutex_lock(&s->mu);
    bool ok = !s->isolating;
    s->isolating = true;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

bool slots_isolate_wait(struct slots *s, int64_t timeout_ms)
{
    struct timespec ts = deadline(timeout_ms);
    pthread_mutex_lock(&s->mu);
    while (s->running > 1)
        if (pthread_cond_timedwait(&s->changed, &s->mu, &ts) != 0)
            break;
    bool alone = s->running <= 1;
    pthread_mutex_unlock(&s->mu);
    return alone;
}

void slots_isolate_end(struct slots *s)
{
    pthread_mutex_lock(&s->mu);
    s->isolating = false;
    s->generation++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
}
