/*
 * A strict JSON (RFC 8259) checker that says where a text goes wrong, by line
 * and column, and what it expected there; libbson's own parser reports
 * neither well. For an object it also records where each top-level member's
 * value is, so that callers can name the column of a field with a wrong type.
 * Pure functions, unit-tested.
 */
#ifndef TASKHOST_CLI_JSON_SCAN_H
#define TASKHOST_CLI_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

enum json_kind {
    JSON_NONE = 0,
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
};

#define JSON_KEY_MAX     64
#define JSON_MEMBERS_MAX 32
#define JSON_DEPTH_MAX   100

struct json_member {
    char key[JSON_KEY_MAX]; /* unescaped; a longer key is cut (key_cut) */
    bool key_cut;
    enum json_kind kind;
    size_t offset, length; /* the value's text in the input */
    int line, column;      /* where the value starts, 1-based */
    int key_column;        /* where its key starts (on the key's line) */
};

struct json_top {
    enum json_kind kind; /* of the whole value */
    int n_members;       /* top-level members recorded, for an object */
    bool too_many;       /* the object has more than JSON_MEMBERS_MAX members */
    struct json_member members[JSON_MEMBERS_MAX];
};

struct json_error {
    int line, column; /* 1-based; the column counts characters, not bytes */
    char msg[256];    /* what is wrong, without the position */
};

/*
 * Checks that text[0..len) is exactly one JSON value (surrounding white space
 * allowed; strings must be valid UTF-8; nesting at most JSON_DEPTH_MAX;
 * integers without fraction or exponent must fit in 64 bits, as libbson would
 * silently wrap them).
 * Fills *top on success; on failure fills *err and returns false.
 */
bool json_scan(const char *text, size_t len, struct json_top *top, struct json_error *err);

/* "an object", "a string", "a number", "true", ... (static storage). */
const char *json_kind_name(enum json_kind k);

/* The member named key, or NULL. */
const struct json_member *json_member_find(const struct json_top *top, const char *key);

/*
 * Decodes a JSON string token (with its quotes, as json_scan checked it) into
 * a new NUL-terminated UTF-8 string; *out_len gets its length (it may contain
 * NUL characters from \u0000). Returns NULL when tok is not a string token.
 * Caller frees with free().
 */
char *json_unescape(const char *tok, size_t len, size_t *out_len);

#endif
