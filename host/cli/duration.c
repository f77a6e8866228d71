#include "cli/duration.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct unit {
    const char *name;
    int64_t ms;
};

/* Longest names first, so "ms" is not read as "m". */
static const struct unit UNITS[] = {
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 3600 * 1000},
    {"d", 24 * 3600 * 1000},
    {"w", 7 * 24 * 3600 * 1000},
};

static const struct unit *read_unit(const char **p)
{
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        size_t n = strlen(UNITS[i].name);
        if (strncmp(*p, UNITS[i].name, n) == 0 && !isalpha((unsigned char)(*p)[n])) {
            *p += n;
            return &UNITS[i];
        }
    }
    return NULL;
}

static bool fail(struct error *err, const char *what, const char *s, const char *why)
{
    return error_set(err, ERR_USAGE,
                     "%s \"%s\": %s; expected a duration such as 500ms, 30s, 10m, 2h, 7d, 1w "
                     "or 1h30m",
                     what, s, why);
}

bool duration_parse(const char *s, const char *what, int64_t *ms, struct error *err)
{
    const char *p = s;
    int64_t total = 0;
    if (*p == '\0')
        return fail(err, what, s, "empty");
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return fail(err, what, s,
                        *p == '-' ? "must not be negative" : "a number must come first");
        int64_t n = 0;
        while (isdigit((unsigned char)*p)) {
            if (n > DURATION_MAX_MS)
                return fail(err, what, s, "too long (at most 100 years)");
            n = n * 10 + (*p++ - '0');
        }
        if (*p == '\0')
            return fail(err, what, s, "the number has no unit");
        const struct unit *u = read_unit(&p);
        if (u == NULL)
            return fail(err, what, s, "unknown unit");
        if (n > (DURATION_MAX_MS - total) / u->ms)
            return fail(err, what, s, "too long (at most 100 years)");
        total += n * u->ms;
    }
    *ms = total;
    return true;
}

void duration_format(int64_t ms, char *buf, size_t len)
{
    if (len == 0)
        return;
    if (ms < 0)
        ms = 0;
    if (ms < 1000) {
        snprintf(buf, len, "%lldms", (long long)ms);
        return;
    }
    /* From the largest unit that fits: that unit and the next smaller one. */
    static const struct unit *order[] = {&UNITS[5], &UNITS[4], &UNITS[3], &UNITS[2], &UNITS[1]};
    for (size_t i = 0; i < 5; i++) {
        const struct unit *big = order[i];
        if (ms < big->ms)
            continue;
        long long a = (long long)(ms / big->ms);
        if (i == 4) {
            snprintf(buf, len, "%llds", a);
            return;
        }
        const struct unit *small = order[i + 1];
        long long b = (long long)((ms % big->ms) / small->ms);
        if (b > 0)
            snprintf(buf, len, "%lld%s%lld%s", a, big->name, b, small->name);
        else
            snprintf(buf, len, "%lld%s", a, big->name);
        return;
    }
}
