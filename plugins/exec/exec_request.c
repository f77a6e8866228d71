#include "exec_request.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

static const char *type_name(const bson_iter_t *it)
{
    switch (bson_iter_type(it)) {
    case BSON_TYPE_UTF8: return "a string";
    case BSON_TYPE_BOOL: return "a boolean";
    case BSON_TYPE_DOCUMENT: return "an object";
    case BSON_TYPE_ARRAY: return "an array";
    case BSON_TYPE_NULL: return "null";
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64: return "an integer";
    case BSON_TYPE_DOUBLE: return "a number";
    default: return "a value of another type";
    }
}

/* The string at it, refusing embedded NULs (they cannot reach a command). */
static const char *string_of(const bson_iter_t *it, uint32_t *len)
{
    if (!BSON_ITER_HOLDS_UTF8(it))
        return NULL;
    const char *s = bson_iter_utf8(it, len);
    return strlen(s) == *len ? s : NULL;
}

static bool parse_command(const struct exec_config *c, const bson_iter_t *it,
                          struct exec_request *r, char *err, size_t errlen)
{
    uint32_t len;
    const char *name = string_of(it, &len);
    if (name == NULL) {
        snprintf(err, errlen, "exec: payload field \"command\" must be a string, not %s",
                 type_name(it));
        return false;
    }
    r->command = exec_config_find(c, name);
    if (r->command == NULL) {
        if (c->n_commands == 0)
            snprintf(err, errlen,
                     "exec: command \"%.100s\" is not allowed: no command is (add it to the "
                     "setting plugins.settings.exec.allow)",
                     name);
        else
            snprintf(err, errlen, "exec: command \"%.100s\" is not allowed; allowed: %.700s", name,
                     c->allowed);
        return false;
    }
    return true;
}

static bool parse_args(const bson_iter_t *field, struct exec_request *r, char *err, size_t errlen)
{
    bson_iter_t it;
    if (!BSON_ITER_HOLDS_ARRAY(field) || !bson_iter_recurse(field, &it)) {
        snprintf(err, errlen, "exec: payload field \"args\" must be an array of strings, not %s",
                 type_name(field));
        return false;
    }
    size_t n = 0;
    while (bson_iter_next(&it)) {
        uint32_t len;
        if (n == EXEC_ARGS_MAX) {
            snprintf(err, errlen, "exec: payload field \"args\" has more than %d elements",
                     EXEC_ARGS_MAX);
            return false;
        }
        const char *arg = string_of(&it, &len);
        if (arg == NULL) {
            snprintf(err, errlen, "exec: payload field args[%zu] must be a string%s, not %s", n,
                     BSON_ITER_HOLDS_UTF8(&it) ? " without NUL characters" : "",
                     BSON_ITER_HOLDS_UTF8(&it) ? "one with a NUL" : type_name(&it));
            return false;
        }
        r->argv[1 + n++] = (char *)(uintptr_t)arg; /* execve's type; never written */
    }
    r->argv[1 + n] = NULL; /* a repeated field replaces the earlier one */
    return true;
}

static bool parse_timeout(const struct exec_config *c, const bson_iter_t *it,
                          struct exec_request *r, char *err, size_t errlen)
{
    int64_t ms;
    if (BSON_ITER_HOLDS_INT32(it) || BSON_ITER_HOLDS_INT64(it)) {
        ms = bson_iter_as_int64(it);
    } else if (BSON_ITER_HOLDS_DOUBLE(it) && bson_iter_double(it) >= 1 &&
               bson_iter_double(it) <= 1e15 &&
               bson_iter_double(it) == (double)(int64_t)bson_iter_double(it)) {
        ms = (int64_t)bson_iter_double(it);
    } else {
        snprintf(err, errlen,
                 "exec: payload field \"timeout_ms\" must be a whole number of milliseconds, "
                 "not %s",
                 type_name(it));
        return false;
    }
    if (ms < 1 || ms > c->timeout_ms) {
        snprintf(err, errlen,
                 "exec: payload field \"timeout_ms\" must be between 1 and %" PRId64
                 " (the setting timeout_ms), found %" PRId64,
                 c->timeout_ms, ms);
        return false;
    }
    r->timeout_ms = ms;
    return true;
}

static bool parse_field(const struct exec_config *c, const bson_iter_t *it, struct exec_request *r,
                        char *err, size_t errlen)
{
    const char *key = bson_iter_key(it);
    if (strcmp(key, "command") == 0)
        return parse_command(c, it, r, err, errlen);
    if (strcmp(key, "args") == 0)
        return parse_args(it, r, err, errlen);
    if (strcmp(key, "timeout_ms") == 0)
        return parse_timeout(c, it, r, err, errlen);
    if (strcmp(key, "stdin") == 0) {
        if (!BSON_ITER_HOLDS_UTF8(it)) {
            snprintf(err, errlen, "exec: payload field \"stdin\" must be a string, not %s",
                     type_name(it));
            return false;
        }
        uint32_t len;
        r->stdin_data = bson_iter_utf8(it, &len);
        r->stdin_len = len;
        return true;
    }
    snprintf(err, errlen,
             "exec: unknown payload field \"%.100s\" (expected command, args, stdin, timeout_ms)",
             key);
    return false;
}

bool exec_request_parse(const struct exec_config *c, const uint8_t *payload, size_t len,
                        struct exec_request *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->timeout_ms = c->timeout_ms;
    bson_t doc;
    bson_iter_t it;
    if (!bson_init_static(&doc, payload, len) || !bson_iter_init(&it, &doc)) {
        snprintf(err, errlen, "exec: the payload is not a BSON document");
        return false;
    }
    r->argv = calloc(EXEC_ARGS_MAX + 2, sizeof *r->argv);
    if (r->argv == NULL) {
        snprintf(err, errlen, "exec: out of memory");
        return false;
    }
    while (bson_iter_next(&it)) {
        if (!parse_field(c, &it, r, err, errlen)) {
            exec_request_free(r);
            return false;
        }
    }
    if (r->command == NULL) {
        snprintf(err, errlen,
                 "exec: the payload needs a string field \"command\" naming an allowed command "
                 "(allowed: %.700s)",
                 c->n_commands > 0 ? c->allowed : "none");
        exec_request_free(r);
        return false;
    }
    r->argv[0] = (char *)(uintptr_t)r->command->path;
    return true;
}

void exec_request_free(struct exec_request *r)
{
    free(r->argv);
    memset(r, 0, sizeof *r);
}
