#include "cli/json_scan.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scanner {
    const char *s;
    size_t len, pos;
    int line;
    size_t line_start;
    int depth;
    struct json_top *top;
    struct json_error *err;
};

static int column_at(const struct scanner *sc, size_t pos)
{
    int col = 1;
    for (size_t i = sc->line_start; i < pos && i < sc->len; i++)
        if (((unsigned char)sc->s[i] & 0xC0) != 0x80)
            col++;
    return col;
}

static int peek(const struct scanner *sc)
{
    return sc->pos < sc->len ? (unsigned char)sc->s[sc->pos] : -1;
}

/* Fills the error at pos; returns false. */
static bool fail_at(struct scanner *sc, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail_at(struct scanner *sc, size_t pos, const char *fmt, ...)
{
    sc->err->line = sc->line;
    sc->err->column = column_at(sc, pos);
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(sc->err->msg, sizeof sc->err->msg, fmt, ap);
    va_end(ap);
    return false;
}

/* Describes the character at the current position for "found ..." */
static const char *found(const struct scanner *sc, char *buf, size_t len)
{
    int c = peek(sc);
    if (c < 0)
        return "the end of the input";
    if (c == '\'')
        snprintf(buf, len, "' (strings need double quotes)");
    else if (c >= 0x21 && c < 0x7F)
        snprintf(buf, len, "'%c'", c);
    else if (c == ' ' || c == '\t')
        snprintf(buf, len, "white space");
    else if (c >= 0x80)
        snprintf(buf, len, "a non-ASCII character");
    else
        snprintf(buf, len, "the control character 0x%02X", (unsigned)c);
    return buf;
}

static void skip_ws(struct scanner *sc)
{
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c == '\n') {
            sc->line++;
            sc->line_start = sc->pos + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        sc->pos++;
    }
}

static bool expect_value_fail(struct scanner *sc)
{
    char buf[64];
    return fail_at(sc, sc->pos,
                   "expected a value (an object, array, string, number, true, false or null), "
                   "found %s",
                   found(sc, buf, sizeof buf));
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits after "\u" at pos; -1 when they are not there. */
static long read_hex4(const struct scanner *sc, size_t pos)
{
    if (pos + 4 > sc->len)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value((unsigned char)sc->s[pos + (size_t)i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static bool scan_unicode_escape(struct scanner *sc)
{
    size_t at = sc->pos - 1; /* the backslash */
    long u = read_hex4(sc, sc->pos + 1);
    if (u < 0)
        return fail_at(sc, at, "\\u must be followed by 4 hexadecimal digits");
    sc->pos += 5;
    if (u >= 0xDC00 && u <= 0xDFFF)
        return fail_at(sc, at, "\\u%04lX is the second half of a surrogate pair without a first",
                       u);
    if (u >= 0xD800 && u <= 0xDBFF) {
        long low = sc->pos + 1 < sc->len && sc->s[sc->pos] == '\\' && sc->s[sc->pos + 1] == 'u'
                       ? read_hex4(sc, sc->pos + 2)
                       : -1;
        if (low < 0xDC00 || low > 0xDFFF)
            return fail_at(sc, at,
                           "\\u%04lX starts a surrogate pair but no \\uDC00-\\uDFFF follows", u);
        sc->pos += 6;
    }
    return true;
}

static bool scan_escape(struct scanner *sc)
{
    size_t at = sc->pos;
    sc->pos++; /* the backslash */
    int c = peek(sc);
    if (c == 'u')
        return scan_unicode_escape(sc);
    if (c < 0 || !strchr("\"\\/bfnrt", c)) {
        char buf[64];
        return fail_at(sc, at,
                       "invalid escape: after a backslash expected one of \" \\ / b f n r t u, "
                       "found %s",
                       found(sc, buf, sizeof buf));
    }
    sc->pos++;
    return true;
}

/* The length of the valid UTF-8 sequence at p (n bytes available), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t need;
    uint32_t cp;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        need = 2;
        cp = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        need = 3;
        cp = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        need = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

static bool scan_string(struct scanner *sc)
{
    size_t start = sc->pos;
    sc->pos++; /* the opening quote */
    for (;;) {
        int c = peek(sc);
        if (c < 0 || c == '\n')
            return fail_at(sc, sc->pos, "the string that starts at column %d is not closed",
                           column_at(sc, start));
        if (c == '"') {
            sc->pos++;
            return true;
        }
        if (c == '\\') {
            if (!scan_escape(sc))
                return false;
        } else if (c < 0x20) {
            return fail_at(sc, sc->pos,
                           "control character 0x%02X in a string: write it as an escape such "
                           "as \\t or \\u%04X",
                           (unsigned)c, (unsigned)c);
        } else if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)sc->s + sc->pos, sc->len - sc->pos);
            if (n == 0)
                return fail_at(sc, sc->pos, "invalid UTF-8 (byte 0x%02X) in a string", (unsigned)c);
            sc->pos += n;
        } else {
            sc->pos++;
        }
    }
}

static bool scan_digits(struct scanner *sc, const char *what)
{
    if (peek(sc) < '0' || peek(sc) > '9') {
        char buf[64];
        return fail_at(sc, sc->pos, "invalid number: expected a digit %s, found %s", what,
                       found(sc, buf, sizeof buf));
    }
    while (peek(sc) >= '0' && peek(sc) <= '9')
        sc->pos++;
    return true;
}

/* An integer (no fraction, no exponent) beyond int64 would wrap silently in
 * libbson's parser: refuse it. */
static bool fits_int64(const char *s, size_t n)
{
    static const char max[] = "9223372036854775807", min[] = "9223372036854775808";
    bool neg = n > 0 && s[0] == '-';
    const char *limit = neg ? min : max;
    if (neg) {
        s++;
        n--;
    }
    if (n != sizeof max - 1)
        return n < sizeof max - 1;
    return memcmp(s, limit, n) <= 0;
}

static bool scan_number(struct scanner *sc)
{
    size_t start = sc->pos;
    bool integer = true;
    if (peek(sc) == '-')
        sc->pos++;
    if (peek(sc) == '0') {
        sc->pos++;
        if (peek(sc) >= '0' && peek(sc) <= '9')
            return fail_at(sc, start, "invalid number: leading zeros are not allowed");
    } else if (!scan_digits(sc, "after '-'")) {
        return false;
    }
    if (peek(sc) == '.') {
        integer = false;
        sc->pos++;
        if (!scan_digits(sc, "after the decimal point"))
            return false;
    }
    if (peek(sc) == 'e' || peek(sc) == 'E') {
        integer = false;
        sc->pos++;
        if (peek(sc) == '+' || peek(sc) == '-')
            sc->pos++;
        if (!scan_digits(sc, "in the exponent"))
            return false;
    }
    if (integer && !fits_int64(sc->s + start, sc->pos - start))
        return fail_at(sc, start,
                       "the integer %.*s does not fit in 64 bits; write it as a string, or "
                       "with a fraction or exponent to mean a floating-point number",
                       (int)(sc->pos - start > 40 ? 40 : sc->pos - start), sc->s + start);
    return true;
}

static bool scan_word(struct scanner *sc, enum json_kind *kind)
{
    static const struct {
        const char *word;
        enum json_kind kind;
    } words[] = {{"true", JSON_TRUE}, {"false", JSON_FALSE}, {"null", JSON_NULL}};
    size_t end = sc->pos;
    while (end < sc->len && ((sc->s[end] >= 'a' && sc->s[end] <= 'z') ||
                             (sc->s[end] >= 'A' && sc->s[end] <= 'Z') || sc->s[end] == '_'))
        end++;
    size_t n = end - sc->pos;
    for (size_t i = 0; i < 3; i++) {
        if (n == strlen(words[i].word) && memcmp(sc->s + sc->pos, words[i].word, n) == 0) {
            sc->pos = end;
            *kind = words[i].kind;
            return true;
        }
    }
    if (n == 0)
        return expect_value_fail(sc);
    return fail_at(sc, sc->pos,
                   "unknown word \"%.*s\": a string needs double quotes, and the only words "
                   "are true, false and null",
                   (int)(n > 40 ? 40 : n), sc->s + sc->pos);
}

static bool scan_value(struct scanner *sc, enum json_kind *kind);

static void record_member(struct scanner *sc, size_t key_pos, size_t key_len, int key_col,
                          size_t value_pos, int value_line, int value_col, enum json_kind kind)
{
    struct json_top *top = sc->top;
    if (top->n_members >= JSON_MEMBERS_MAX) {
        top->too_many = true;
        return;
    }
    struct json_member *m = &top->members[top->n_members++];
    size_t n;
    char *key = json_unescape(sc->s + key_pos, key_len, &n);
    memset(m->key, 0, sizeof m->key);
    if (key) {
        m->key_cut = n >= sizeof m->key || strlen(key) != n;
        memcpy(m->key, key, n < sizeof m->key ? n : sizeof m->key - 1);
        free(key);
    }
    m->kind = kind;
    m->offset = value_pos;
    m->length = sc->pos - value_pos;
    m->line = value_line;
    m->column = value_col;
    m->key_column = key_col;
}

static bool scan_member(struct scanner *sc, bool top_level)
{
    char buf[64];
    if (peek(sc) != '"')
        return fail_at(sc, sc->pos, "expected a member name in double quotes, found %s",
                       found(sc, buf, sizeof buf));
    size_t key_pos = sc->pos;
    int key_col = column_at(sc, key_pos);
    if (!scan_string(sc))
        return false;
    size_t key_len = sc->pos - key_pos;
    skip_ws(sc);
    if (peek(sc) != ':')
        return fail_at(sc, sc->pos, "expected ':' after the member name %.*s, found %s",
                       (int)(key_len > 40 ? 40 : key_len), sc->s + key_pos,
                       found(sc, buf, sizeof buf));
    sc->pos++;
    skip_ws(sc);
    size_t value_pos = sc->pos;
    int value_line = sc->line, value_col = column_at(sc, value_pos);
    enum json_kind kind = JSON_NULL;
    if (!scan_value(sc, &kind))
        return false;
    if (top_level)
        record_member(sc, key_pos, key_len, key_col, value_pos, value_line, value_col, kind);
    return true;
}

/* Objects and arrays: the items and their separators up to the closing bracket. */
static bool scan_container(struct scanner *sc, bool object)
{
    char close = object ? '}' : ']';
    const char *name = object ? "object" : "array";
    int open_line = sc->line, open_col = column_at(sc, sc->pos);
    bool top_level = object && sc->depth == 0;
    if (++sc->depth > JSON_DEPTH_MAX)
        return fail_at(sc, sc->pos, "nested deeper than %d levels", JSON_DEPTH_MAX);
    sc->pos++;
    skip_ws(sc);
    if (peek(sc) == close) {
        sc->pos++;
        sc->depth--;
        return true;
    }
    for (;;) {
        enum json_kind kind;
        if (!(object ? scan_member(sc, top_level) : scan_value(sc, &kind)))
            return false;
        skip_ws(sc);
        int c = peek(sc);
        if (c == close) {
            sc->pos++;
            sc->depth--;
            return true;
        }
        char buf[64];
        if (c != ',') {
            if (open_line == sc->line)
                return fail_at(sc, sc->pos,
                               "expected ',' or '%c' in the %s that starts at column %d, found %s",
                               close, name, open_col, found(sc, buf, sizeof buf));
            return fail_at(sc, sc->pos,
                           "expected ',' or '%c' in the %s that starts at line %d, column %d, "
                           "found %s",
                           close, name, open_line, open_col, found(sc, buf, sizeof buf));
        }
        sc->pos++;
        skip_ws(sc);
        if (peek(sc) == close)
            return fail_at(sc, sc->pos, "a comma before '%c' is not allowed", close);
    }
}

static bool scan_value(struct scanner *sc, enum json_kind *kind)
{
    int c = peek(sc);
    switch (c) {
    case '{': *kind = JSON_OBJECT; return scan_container(sc, true);
    case '[': *kind = JSON_ARRAY; return scan_container(sc, false);
    case '"': *kind = JSON_STRING; return scan_string(sc);
    case '-': *kind = JSON_NUMBER; return scan_number(sc);
    default: break;
    }
    if (c >= '0' && c <= '9') {
        *kind = JSON_NUMBER;
        return scan_number(sc);
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return scan_word(sc, kind);
    return expect_value_fail(sc);
}

bool json_scan(const char *text, size_t len, struct json_top *top, struct json_error *err)
{
    memset(top, 0, sizeof *top);
    memset(err, 0, sizeof *err);
    struct scanner sc = {.s = text, .len = len, .line = 1, .top = top, .err = err};
    skip_ws(&sc);
    if (sc.pos == len)
        return fail_at(&sc, sc.pos, "empty: expected a JSON value");
    if (!scan_value(&sc, &top->kind))
        return false;
    skip_ws(&sc);
    if (sc.pos < len) {
        char buf[64];
        return fail_at(&sc, sc.pos,
                       "unexpected %s after the end of the JSON value (one value per line)",
                       found(&sc, buf, sizeof buf));
    }
    return true;
}

const char *json_kind_name(enum json_kind k)
{
    switch (k) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_NUMBER: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    case JSON_NONE: break;
    }
    return "nothing";
}

const struct json_member *json_member_find(const struct json_top *top, const char *key)
{
    for (int i = 0; i < top->n_members; i++)
        if (!top->members[i].key_cut && strcmp(top->members[i].key, key) == 0)
            return &top->members[i];
    return NULL;
}

/* Appends code point cp as UTF-8. */
static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static long hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value((unsigned char)p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Decodes the escape at *p (just after the backslash) into out; false when invalid. */
static bool unescape_one(const char **p, const char *end, char *out, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = **p ? strchr(from, **p) : NULL;
    if (hit) {
        out[(*n)++] = to[hit - from];
        (*p)++;
        return true;
    }
    if (**p != 'u')
        return false;
    long u = hex4(*p + 1, end);
    if (u < 0)
        return false;
    *p += 5;
    uint32_t cp = (uint32_t)u;
    if (u >= 0xD800 && u <= 0xDBFF) {
        long low = end - *p >= 6 && (*p)[0] == '\\' && (*p)[1] == 'u' ? hex4(*p + 2, end) : -1;
        if (low < 0xDC00 || low > 0xDFFF)
            return false;
        cp = 0x10000 + (((uint32_t)u - 0xD800) << 10) + ((uint32_t)low - 0xDC00);
        *p += 6;
    }
    *n += put_utf8(out + *n, cp);
    return true;
}

char *json_unescape(const char *tok, size_t len, size_t *out_len)
{
    if (len < 2 || tok[0] != '"' || tok[len - 1] != '"')
        return NULL;
    char *out = malloc(len); /* escapes never grow: \uXXXX (6) -> at most 3 bytes */
    if (out == NULL)
        return NULL;
    const char *p = tok + 1, *end = tok + len - 1;
    size_t n = 0;
    while (p < end) {
        if (*p != '\\') {
            out[n++] = *p++;
            continue;
        }
        p++;
        if (!unescape_one(&p, end, out, &n)) {
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    if (out_len)
        *out_len = n;
    return out;
}
