/* Durations ("30s", "1h30m") and times ("2026-12-01T10:00:00Z") of the operator commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/duration.h"
#include "cli/timefmt.h"

static int64_t parse_ok(const char *s)
{
    struct error err = {0};
    int64_t ms = -1;
    if (!duration_parse(s, "--delay", &ms, &err))
        fail_msg("\"%s\" was refused: %s", s, err.msg);
    return ms;
}

/* The error message for a refused duration (static buffer). */
static const char *parse_bad(const char *s)
{
    static struct error err;
    int64_t ms = 12345;
    error_clear(&err);
    if (duration_parse(s, "--delay", &ms, &err))
        fail_msg("\"%s\" was accepted as %lld ms", s, (long long)ms);
    assert_int_equal(ms, 12345); /* untouched */
    assert_int_equal(err.code, ERR_USAGE);
    assert_non_null(strstr(err.msg, "--delay"));
    return err.msg;
}

static void durations_of_each_unit(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0s"), 0);
    assert_int_equal(parse_ok("500ms"), 500);
    assert_int_equal(parse_ok("30s"), 30000);
    assert_int_equal(parse_ok("10m"), 600000);
    assert_int_equal(parse_ok("2h"), 7200000);
    assert_int_equal(parse_ok("7d"), 7LL * 24 * 3600 * 1000);
    assert_int_equal(parse_ok("1w"), 7LL * 24 * 3600 * 1000);
}

static void durations_add_up(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("1h30m"), 5400000);
    assert_int_equal(parse_ok("1m30s250ms"), 90250);
    assert_int_equal(parse_ok("2d12h"), 60LL * 3600 * 1000);
}

static void bad_durations_say_why(void **state)
{
    (void)state;
    assert_non_null(strstr(parse_bad(""), "empty"));
    assert_non_null(strstr(parse_bad("30"), "no unit"));
    assert_non_null(strstr(parse_bad("10x"), "unknown unit"));
    assert_non_null(strstr(parse_bad("-5s"), "negative"));
    assert_non_null(strstr(parse_bad("s"), "number must come first"));
    assert_non_null(strstr(parse_bad("5 s"), "unknown unit"));
    assert_non_null(strstr(parse_bad("10mins"), "unknown unit"));
    assert_non_null(strstr(parse_bad("99999999999999999999d"), "too long"));
    assert_non_null(strstr(parse_bad("200000w"), "too long"));
    /* every message shows examples of what is accepted */
    assert_non_null(strstr(parse_bad("1y"), "30s"));
}

static const char *fmt(int64_t ms)
{
    static char buf[32];
    duration_format(ms, buf, sizeof buf);
    return buf;
}

static void durations_format_compactly(void **state)
{
    (void)state;
    assert_string_equal(fmt(0), "0ms");
    assert_string_equal(fmt(850), "850ms");
    assert_string_equal(fmt(3000), "3s");
    assert_string_equal(fmt(3999), "3s");
    assert_string_equal(fmt(125000), "2m5s");
    assert_string_equal(fmt(120000), "2m");
    assert_string_equal(fmt(5400000), "1h30m");
    assert_string_equal(fmt(2LL * 86400000 + 4 * 3600000 + 59000), "2d4h");
    assert_string_equal(fmt(15LL * 86400000), "2w1d");
    assert_string_equal(fmt(-5), "0ms");
    char tiny[4];
    duration_format(5400000, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 3); /* cut, terminated */
}

static int64_t time_ok(const char *s)
{
    struct error err = {0};
    int64_t ms = -1;
    if (!time_parse_iso(s, "--at", &ms, &err))
        fail_msg("\"%s\" was refused: %s", s, err.msg);
    return ms;
}

static void times_parse_to_utc_milliseconds(void **state)
{
    (void)state;
    assert_int_equal(time_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(time_ok("2026-12-01T10:00:00Z"), 1796119200000LL);
    assert_int_equal(time_ok("2026-12-01T10:00:00.250Z"), 1796119200250LL);
    assert_int_equal(time_ok("2026-12-01T10:00:00.25Z"), 1796119200250LL);
    assert_int_equal(time_ok("2026-12-01T10:00:00.123456789Z"), 1796119200123LL);
    assert_int_equal(time_ok("2026-12-01 10:00:00z"), 1796119200000LL);
    assert_int_equal(time_ok("2026-12-01T11:30:00+01:30"), 1796119200000LL);
    assert_int_equal(time_ok("2026-12-01T05:00:00-05:00"), 1796119200000LL);
    assert_int_equal(time_ok("2024-02-29T00:00:00Z"), 1709164800000LL);
}

static void bad_times_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "tomorrow",
                         "2026-12-01",
                         "2026-12-01T10:00:00",      /* no zone */
                         "2026-12-01T10:00Z",        /* no seconds */
                         "2026-13-01T10:00:00Z",     /* month 13 */
                         "2025-02-29T10:00:00Z",     /* not a leap year */
                         "2026-04-31T10:00:00Z",     /* April has 30 days */
                         "2026-12-01T24:00:00Z",     /* hour 24 */
                         "2026-12-01T10:00:00+1:00", /* short offset */
                         "2026-12-01T10:00:00.Z",    /* empty fraction */
                         "2026-12-01T10:00:00Zjunk"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct error err = {0};
        int64_t ms = 7;
        if (time_parse_iso(bad[i], "--at", &ms, &err))
            fail_msg("\"%s\" was accepted as %lld", bad[i], (long long)ms);
        assert_int_equal(ms, 7);
        assert_non_null(strstr(err.msg, "--at"));
    }
    struct error err = {0};
    int64_t ms;
    assert_false(time_parse_iso("2026-12-01T10:00:00", "--at", &ms, &err));
    assert_non_null(strstr(err.msg, "zone is required"));
    assert_false(time_parse_iso("2026-02-30T10:00:00Z", "--at", &ms, &err));
    assert_non_null(strstr(err.msg, "no such date"));
}

static void times_format_and_read_back(void **state)
{
    (void)state;
    char buf[40];
    time_format_iso(1796119200000LL, buf, sizeof buf);
    assert_string_equal(buf, "2026-12-01T10:00:00Z");
    time_format_iso(1796119200250LL, buf, sizeof buf);
    assert_string_equal(buf, "2026-12-01T10:00:00.250Z");
    time_format_iso(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    time_format_iso(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    for (int64_t t = 951782400000LL; t < 951782400000LL + 3 * 86400000LL; t += 3600000 + 7) {
        time_format_iso(t, buf, sizeof buf);
        assert_int_equal(time_ok(buf), t);
    }
}

static void relative_times(void **state)
{
    (void)state;
    char buf[32];
    int64_t now = 1796119200000LL;
    time_format_relative(now - 3000, now, buf, sizeof buf);
    assert_string_equal(buf, "3s ago");
    time_format_relative(now + 120000, now, buf, sizeof buf);
    assert_string_equal(buf, "in 2m");
    time_format_relative(now - 5400000, now, buf, sizeof buf);
    assert_string_equal(buf, "1h30m ago");
    time_format_relative(now + 400, now, buf, sizeof buf);
    assert_string_equal(buf, "now");
    time_format_relative(now - 999, now, buf, sizeof buf);
    assert_string_equal(buf, "now");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_of_each_unit),
        cmocka_unit_test(durations_add_up),
        cmocka_unit_test(bad_durations_say_why),
        cmocka_unit_test(durations_format_compactly),
        cmocka_unit_test(times_parse_to_utc_milliseconds),
        cmocka_unit_test(bad_times_are_refused),
        cmocka_unit_test(times_format_and_read_back),
        cmocka_unit_test(relative_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
