/*
 * libconfig 1.5 reads an integer literal without the L suffix with atoi(), so
 * 5000000000 silently becomes 705032704. The parsed value cannot tell, so we
 * look at what the user wrote: the setting's line in the main text.
 */
#include "config/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*';
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f')
        p++;
    return p;
}

/* The first character of line `line` (1-based) of text, or NULL. */
static const char *line_start(const char *text, unsigned line)
{
    const char *p = text;
    for (unsigned n = 1; n < line; n++) {
        p = strchr(p, '\n');
        if (p == NULL)
            return NULL;
        p++;
    }
    return p;
}

/* True when p starts an integer literal (no L suffix) outside 32 bits;
 * copies it into buf. */
static bool literal_too_big(const char *p, char *buf, size_t len)
{
    const char *start = p;
    int base = 10;
    if (*p == '-' || *p == '+')
        p++;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    const char *digits = p;
    while (base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p))
        p++;
    if (p == digits || *p == 'L' || *p == 'l' || *p == '.' || *p == 'e' || *p == 'E')
        return false;
    errno = 0;
    long long v = strtoll(base == 16 ? digits : start, NULL, base);
    if (errno != ERANGE && v >= INT32_MIN && v <= INT32_MAX)
        return false;
    size_t n = (size_t)(p - start);
    if (n >= len)
        n = len - 1;
    memcpy(buf, start, n);
    buf[n] = '\0';
    return true;
}

bool cfg_int_literal_truncated(const struct cfg_ctx *ctx, const config_setting_t *s, char *buf,
                               size_t len)
{
    const char *name = config_setting_name(s);
    unsigned line = config_setting_source_line(s);
    if (ctx->text == NULL || name == NULL || line == 0 || len == 0 ||
        config_setting_source_file(s) != NULL)
        return false;
    const char *p = line_start(ctx->text, line);
    if (p == NULL)
        return false;
    const char *end = strchr(p, '\n');
    if (end == NULL)
        end = p + strlen(p);
    size_t nlen = strlen(name);
    for (const char *q = p; q < end; q++) {
        if (strncmp(q, name, nlen) != 0 || (q > ctx->text && is_name_char(q[-1])) ||
            is_name_char(q[nlen]))
            continue;
        const char *r = skip_space(q + nlen);
        if (*r != '=' && *r != ':')
            continue;
        if (literal_too_big(skip_space(r + 1), buf, len))
            return true;
    }
    return false;
}
