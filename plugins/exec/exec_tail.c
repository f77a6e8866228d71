#include "exec_tail.h"

#include <stdlib.h>
#include <string.h>

bool exec_tail_init(struct exec_tail *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    if (cap == 0)
        return true;
    t->buf = malloc(cap);
    return t->buf != NULL;
}

void exec_tail_free(struct exec_tail *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

void exec_tail_append(struct exec_tail *t, const char *data, size_t n)
{
    t->total += n;
    if (t->cap == 0)
        return;
    if (n >= t->cap) { /* only the end of data stays */
        memcpy(t->buf, data + (n - t->cap), t->cap);
        t->start = 0;
        t->len = t->cap;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t end = (t->start + t->len) % t->cap;
        t->buf[end] = data[i];
        if (t->len < t->cap)
            t->len++;
        else
            t->start = (t->start + 1) % t->cap;
    }
}

/* The length of the valid UTF-8 character at s (n bytes available), or 0
 * when s does not start one. NUL counts as invalid: result strings hold none. */
static size_t utf8_char_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* overlong forms, surrogates and code points past U+10FFFF */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

char *exec_tail_text(const struct exec_tail *t, size_t max_bytes)
{
    size_t n = t->len < max_bytes ? t->len : max_bytes;
    unsigned char *raw = malloc(n + 1);
    char *out = malloc(3 * n + 1); /* each byte becomes at most U+FFFD */
    if (raw == NULL || out == NULL) {
        free(raw);
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        raw[i] = (unsigned char)t->buf[(t->start + (t->len - n) + i) % t->cap];
    size_t i = 0;
    if (t->total > n) /* cut: drop a character's continuation bytes */
        while (i < n && i < 3 && (raw[i] & 0xc0) == 0x80)
            i++;
    size_t o = 0;
    while (i < n) {
        size_t len = utf8_char_len(raw + i, n - i);
        if (len == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, raw + i, len);
            o += len;
            i += len;
        }
    }
    out[o] = '\0';
    free(raw);
    return out;
}
