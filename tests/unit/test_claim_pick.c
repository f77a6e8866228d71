/* Which candidates a batch claim takes: higher priorities first, equals spread at random. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/claim_pick.h"

#define MAX 32

/* Candidates with these priorities (best first); INT32_MIN: no priority field. */
static int make(bson_t **docs, const int *priorities, int n)
{
    for (int i = 0; i < n; i++) {
        docs[i] = bson_new();
        BSON_APPEND_INT32(docs[i], "_id", i);
        if (priorities[i] != INT32_MIN)
            BSON_APPEND_INT32(docs[i], "priority", priorities[i]);
    }
    return n;
}

static void destroy(bson_t **docs, int n)
{
    for (int i = 0; i < n; i++)
        bson_destroy(docs[i]);
}

static int pick(bson_t **docs, int n, int k, uint64_t *rng, int *chosen)
{
    return claim_pick((const bson_t *const *)docs, n, k, rng, chosen);
}

static void fewer_candidates_than_room_are_all_taken(void **state)
{
    (void)state;
    bson_t *docs[MAX];
    int n = make(docs, (const int[]){3, 1, 0}, 3), chosen[MAX];
    uint64_t rng = 1;
    assert_int_equal(pick(docs, n, 8, &rng, chosen), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(chosen[i], i);
    destroy(docs, n);
}

/* Hosts reading the same 20 equal candidates do not all take the first 5. */
static void equals_are_spread_over_the_window(void **state)
{
    (void)state;
    bson_t *docs[MAX];
    int prio[20];
    for (int i = 0; i < 20; i++)
        prio[i] = 0;
    int n = make(docs, prio, 20), chosen[MAX];
    int taken[20] = {0};
    for (uint64_t seed = 1; seed <= 200; seed++) {
        uint64_t rng = seed * 7919;
        assert_int_equal(pick(docs, n, 5, &rng, chosen), 5);
        for (int i = 0; i < 5; i++) {
            assert_true(chosen[i] >= 0 && chosen[i] < 20);
            if (i > 0)
                assert_true(chosen[i] > chosen[i - 1]); /* distinct, ascending */
            taken[chosen[i]]++;
        }
    }
    for (int i = 0; i < 20; i++)
        assert_true(taken[i] > 0); /* every candidate is taken by some host */
    destroy(docs, n);
}

/* Priorities 10 10 5 5 5 5 1 1, room for 4: both 10s always, two of the 5s, never a 1. */
static void higher_priorities_always_go_first(void **state)
{
    (void)state;
    bson_t *docs[MAX];
    int n = make(docs, (const int[]){10, 10, 5, 5, 5, 5, 1, 1}, 8), chosen[MAX];
    bool varied = false;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        uint64_t rng = seed;
        assert_int_equal(pick(docs, n, 4, &rng, chosen), 4);
        assert_int_equal(chosen[0], 0);
        assert_int_equal(chosen[1], 1);
        assert_true(chosen[2] >= 2 && chosen[3] <= 5 && chosen[2] < chosen[3]);
        varied |= chosen[2] != 2 || chosen[3] != 3;
    }
    assert_true(varied);
    destroy(docs, n);
}

/* A missing priority is its own value: only the group of the k-th candidate is shuffled. */
static void missing_priorities_form_a_group(void **state)
{
    (void)state;
    bson_t *docs[MAX];
    int n = make(docs, (const int[]){2, INT32_MIN, INT32_MIN, INT32_MIN}, 4), chosen[MAX];
    uint64_t rng = 42;
    assert_int_equal(pick(docs, n, 2, &rng, chosen), 2);
    assert_int_equal(chosen[0], 0);
    assert_true(chosen[1] >= 1 && chosen[1] <= 3);
    destroy(docs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fewer_candidates_than_room_are_all_taken),
        cmocka_unit_test(equals_are_spread_over_the_window),
        cmocka_unit_test(higher_priorities_always_go_first),
        cmocka_unit_test(missing_priorities_form_a_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
