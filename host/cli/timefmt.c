#include "cli/timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/duration.h"

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

struct civil {
    int year, month, day, hour, minute, second, millis, offset_min;
};

/* The fraction of a second: up to 9 digits, milliseconds kept. */
static bool fraction(const char **p, int *millis)
{
    *millis = 0;
    if (**p != '.')
        return true;
    (*p)++;
    int n = 0;
    while (isdigit((unsigned char)**p)) {
        if (n < 3)
            *millis = *millis * 10 + (**p - '0');
        n++;
        (*p)++;
    }
    if (n == 0 || n > 9)
        return false;
    for (; n < 3; n++)
        *millis *= 10;
    return true;
}

static bool zone(const char **p, int *offset_min)
{
    *offset_min = 0;
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        return true;
    }
    int sign = **p == '+' ? 1 : **p == '-' ? -1 : 0;
    int hh, mm;
    if (sign == 0)
        return false;
    (*p)++;
    if (!digits(p, 2, &hh) || !expect(p, ':') || !digits(p, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *offset_min = sign * (hh * 60 + mm);
    return true;
}

static bool scan(const char *s, struct civil *c)
{
    const char *p = s;
    return digits(&p, 4, &c->year) && expect(&p, '-') && digits(&p, 2, &c->month) &&
           expect(&p, '-') && digits(&p, 2, &c->day) &&
           (expect(&p, 'T') || expect(&p, 't') || expect(&p, ' ')) && digits(&p, 2, &c->hour) &&
           expect(&p, ':') && digits(&p, 2, &c->minute) && expect(&p, ':') &&
           digits(&p, 2, &c->second) && fraction(&p, &c->millis) && zone(&p, &c->offset_min) &&
           *p == '\0';
}

bool time_parse_iso(const char *s, const char *what, int64_t *ms, struct error *err)
{
    struct civil c;
    if (!scan(s, &c))
        return error_set(err, ERR_USAGE,
                         "%s \"%s\" is not a time: expected RFC 3339 such as "
                         "2026-12-01T10:00:00Z or 2026-12-01T11:00:00+01:00 (the zone is "
                         "required)",
                         what, s);
    if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > days_in_month(c.year, c.month) ||
        c.hour > 23 || c.minute > 59 || c.second > 59)
        return error_set(err, ERR_USAGE, "%s \"%s\": no such date or time of day", what, s);
    struct tm tm = {.tm_year = c.year - 1900,
                    .tm_mon = c.month - 1,
                    .tm_mday = c.day,
                    .tm_hour = c.hour,
                    .tm_min = c.minute,
                    .tm_sec = c.second};
    int64_t secs = (int64_t)timegm(&tm) - (int64_t)c.offset_min * 60;
    *ms = secs * 1000 + c.millis;
    return true;
}

void time_format_iso(int64_t ms, char *buf, size_t len)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int millis = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, len, "(%lld ms)", (long long)ms);
        return;
    }
    char frac[8] = "";
    if (millis)
        snprintf(frac, sizeof frac, ".%03d", millis);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void time_format_relative(int64_t t, int64_t now, char *buf, size_t len)
{
    int64_t d = t - now;
    if (d > -1000 && d < 1000) {
        snprintf(buf, len, "now");
        return;
    }
    char dur[24];
    duration_format(d < 0 ? -d : d, dur, sizeof dur);
    if (d < 0)
        snprintf(buf, len, "%s ago", dur);
    else
        snprintf(buf, len, "in %s", dur);
}
