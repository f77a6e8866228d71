#include "webhook_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 sequence that the lead byte c starts, and the
 * bits it contributes; 0 when c cannot start one (NUL included). */
static size_t lead_len(unsigned char c, uint32_t *cp)
{
    if (c >= 0x01 && c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        *cp = c & 0x1f;
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        *cp = c & 0x0f;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        *cp = c & 0x07;
        return 4;
    }
    return 0;
}

/* The length of the valid character at s (n bytes available): 0 when
 * invalid; -1 cast to size_t when s holds a valid but incomplete start. */
static size_t char_len(const unsigned char *s, size_t n)
{
    uint32_t cp = 0;
    size_t len = lead_len(s[0], &cp);
    if (len <= 1)
        return len;
    for (size_t i = 1; i < len; i++) {
        if (i >= n)
            return (size_t)-1;
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

char *webhook_text(const char *data, size_t n, bool cut)
{
    const unsigned char *in = (const unsigned char *)data;
    char *out = malloc(3 * n + 1); /* each byte becomes at most U+FFFD */
    if (out == NULL)
        return NULL;
    size_t i = 0, o = 0;
    while (i < n) {
        size_t len = char_len(in + i, n - i);
        if (len == (size_t)-1 && cut)
            break; /* the rest of it was never read */
        if (len == 0 || len == (size_t)-1) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, in + i, len);
            o += len;
            i += len;
        }
    }
    out[o] = '\0';
    return out;
}
