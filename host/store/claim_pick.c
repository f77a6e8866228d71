#include "store/claim_pick.h"

#include <stdlib.h>

#include "base/rand.h"
#include "store/query.h"
#include "store/task_doc.h"

/* Same priority: the same BSON value, or both without one. */
static bool same_priority(const bson_t *a, const bson_t *b)
{
    bson_iter_t ia, ib;
    bool ha = bson_iter_init_find(&ia, a, TD_PRIORITY);
    bool hb = bson_iter_init_find(&ib, b, TD_PRIORITY);
    if (!ha || !hb)
        return ha == hb;
    return store_same_value(bson_iter_value(&ia), bson_iter_value(&ib));
}

static int ascending(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int claim_pick(const bson_t *const *docs, int n, int k, uint64_t *rng, int *chosen)
{
    if (k >= n) {
        for (int i = 0; i < n; i++)
            chosen[i] = i;
        return n;
    }
    /* [g0, g1): the candidates sharing the k-th's priority */
    int g0 = k - 1, g1 = k;
    while (g0 > 0 && same_priority(docs[g0 - 1], docs[k - 1]))
        g0--;
    while (g1 < n && same_priority(docs[g1], docs[k - 1]))
        g1++;
    for (int i = 0; i < g0; i++)
        chosen[i] = i;
    /* k - g0 of the group at random: a partial Fisher-Yates shuffle */
    int group = g1 - g0;
    int *pool = calloc((size_t)group, sizeof *pool);
    if (pool == NULL) { /* out of memory: the first k will do */
        for (int i = g0; i < k; i++)
            chosen[i] = i;
        return k;
    }
    for (int i = 0; i < group; i++)
        pool[i] = g0 + i;
    for (int i = 0; i < k - g0; i++) {
        int j = i + rand_below(rng, group - i);
        int t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        chosen[g0 + i] = pool[i];
    }
    free(pool);
    qsort(chosen, (size_t)k, sizeof *chosen, ascending);
    return k;
}
