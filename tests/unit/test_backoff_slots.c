/* Retry delays and concurrency slots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sched/backoff.h"
#include "sched/slots.h"

static void delays_grow_and_cap(void **state)
{
    (void)state;
    struct backoff_policy p = {
        .initial_ms = 1000, .max_ms = 5000, .multiplier = 2.0, .jitter = 0.0};
    uint64_t rng = 1;
    assert_int_equal(backoff_retry_delay_ms(&p, 1, &rng), 1000);
    assert_int_equal(backoff_retry_delay_ms(&p, 2, &rng), 2000);
    assert_int_equal(backoff_retry_delay_ms(&p, 3, &rng), 4000);
    assert_int_equal(backoff_retry_delay_ms(&p, 4, &rng), 5000);
    assert_int_equal(backoff_retry_delay_ms(&p, 1000, &rng), 5000);
}

static void jitter_stays_in_range_and_varies(void **state)
{
    (void)state;
    struct backoff_policy p = {
        .initial_ms = 1000, .max_ms = 60000, .multiplier = 2.0, .jitter = 0.5};
    uint64_t rng = 42;
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t d = backoff_retry_delay_ms(&p, 2, &rng);
        assert_in_range(d, 1000, 2000);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    assert_true(hi - lo > 500); /* spread, so retries of a burst do not collide */
}

static void idle_wait_doubles_to_the_poll_interval(void **state)
{
    (void)state;
    int64_t w = 0;
    w = backoff_idle_next_ms(w, 1000);
    assert_int_equal(w, 10);
    for (int i = 0; i < 20; i++)
        w = backoff_idle_next_ms(w, 1000);
    assert_int_equal(w, 1000);
}

static void slots_respect_host_and_type_limits(void **state)
{
    (void)state;
    const char *types[] = {"a", "b"};
    int limits[] = {1, 0};
    struct slots s;
    slots_init(&s, 2, types, limits, 2);
    const char *free_types[2];
    uint64_t gen;
    assert_int_equal(slots_free_types(&s, free_types, &gen), 2);
    assert_true(slots_acquire(&s, "a"));
    assert_false(slots_acquire(&s, "a")); /* type limit 1 */
    assert_int_equal(slots_free_types(&s, free_types, &gen), 1);
    assert_string_equal(free_types[0], "b");
    assert_true(slots_acquire(&s, "b"));
    assert_false(slots_acquire(&s, "b")); /* host limit 2 */
    assert_int_equal(slots_free_types(&s, free_types, &gen), 0);
    slots_release(&s, "a");
    assert_int_equal(slots_running(&s), 1);
    assert_int_equal(slots_free_types(&s, free_types, &gen), 2); /* a again, and b */
    assert_false(slots_acquire(&s, "unknown"));
    slots_destroy(&s);
}

/* A batch claim takes no more tasks than the tightest limit allows. */
static void batch_room_respects_the_tightest_limit(void **state)
{
    (void)state;
    const char *types[] = {"a", "b"};
    int limits[] = {3, 0};
    struct slots s;
    slots_init(&s, 8, types, limits, 2);
    assert_int_equal(slots_batch_room(&s), 3); /* a batch could be all "a" */
    assert_true(slots_acquire(&s, "a"));
    assert_int_equal(slots_batch_room(&s), 2);
    assert_true(slots_acquire(&s, "a"));
    assert_true(slots_acquire(&s, "a"));
    assert_int_equal(slots_batch_room(&s), 5); /* "a" is full: only "b" can come */
    for (int i = 0; i < 5; i++)
        assert_true(slots_acquire(&s, "b"));
    assert_int_equal(slots_batch_room(&s), 0);
    slots_release(&s, "b");
    assert_int_equal(slots_batch_room(&s), 1);
    slots_destroy(&s);
}

/* A task that may crash its host runs alone: nothing is claimed beside it,
 * it waits for the others to end, and only one such task waits at a time. */
static void an_isolated_task_runs_alone(void **state)
{
    (void)state;
    const char *types[] = {"a"};
    struct slots s;
    slots_init(&s, 4, types, NULL, 1);
    const char *free_types[1];
    uint64_t gen;
    assert_true(slots_acquire(&s, "a")); /* another task */
    assert_true(slots_acquire(&s, "a")); /* the suspect */
    assert_true(slots_isolate_begin(&s));
    assert_false(slots_isolate_begin(&s)); /* a second suspect is handed back */
    assert_int_equal(slots_free_types(&s, free_types, &gen), 0);
    assert_int_equal(slots_batch_room(&s), 0);
    assert_false(slots_acquire(&s, "a"));
    assert_false(slots_isolate_wait(&s, 10)); /* the other task still runs */
    slots_release(&s, "a");
    assert_true(slots_isolate_wait(&s, 60000)); /* at once, not after a minute */
    slots_isolate_end(&s);
    assert_int_equal(slots_batch_room(&s), 3);
    assert_true(slots_isolate_begin(&s));
    slots_isolate_end(&s);
    slots_destroy(&s);
}

static void a_release_after_reading_is_not_missed(void **state)
{
    (void)state;
    const char *types[] = {"a"};
    struct slots s;
    slots_init(&s, 1, types, NULL, 1);
    assert_true(slots_acquire(&s, "a"));
    const char *free_types[1];
    uint64_t gen;
    assert_int_equal(slots_free_types(&s, free_types, &gen), 0);
    slots_release(&s, "a");     /* between reading and waiting */
    slots_wait(&s, gen, 60000); /* must return at once, not after a minute */
    assert_int_equal(slots_free_types(&s, free_types, &gen), 1);
    slots_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delays_grow_and_cap),
        cmocka_unit_test(batch_room_respects_the_tightest_limit),
        cmocka_unit_test(an_isolated_task_runs_alone),
        cmocka_unit_test(jitter_stays_in_range_and_varies),
        cmocka_unit_test(idle_wait_doubles_to_the_poll_interval),
        cmocka_unit_test(slots_respect_host_and_type_limits),
        cmocka_unit_test(a_release_after_reading_is_not_missed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
