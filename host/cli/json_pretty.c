#include "cli/json_pretty.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct out {
    char *buf;
    size_t len, cap;
    bool failed;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (o->len + n + 1 > cap)
            cap *= 2;
        char *b = realloc(o->buf, cap);
        if (b == NULL) {
            o->failed = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void newline(struct out *o, int margin, int step, int depth)
{
    put(o, "\n", 1);
    for (int i = 0; i < margin + step * depth; i++)
        put(o, " ", 1);
}

/* The end of the string token starting at p (the opening quote). */
static const char *string_end(const char *p)
{
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p ? p + 1 : p;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

char *json_pretty(const char *json, int margin, int step)
{
    struct out o = {0};
    int depth = 0;
    put(&o, "", 0);
    for (const char *p = skip_ws(json); *p; p = skip_ws(p)) {
        char c = *p;
        if (c == '"') {
            const char *e = string_end(p);
            put(&o, p, (size_t)(e - p));
            p = e;
        } else if (c == '{' || c == '[') {
            const char *next = skip_ws(p + 1);
            if (*next == (c == '{' ? '}' : ']')) {
                put(&o, c == '{' ? "{}" : "[]", 2);
                p = next + 1;
                continue;
            }
            put(&o, p++, 1);
            newline(&o, margin, step, ++depth);
        } else if (c == '}' || c == ']') {
            newline(&o, margin, step, --depth);
            put(&o, p++, 1);
        } else if (c == ',') {
            put(&o, ",", 1);
            newline(&o, margin, step, depth);
            p++;
        } else if (c == ':') {
            put(&o, ": ", 2);
            p++;
        } else {
            put(&o, p++, 1);
        }
    }
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
