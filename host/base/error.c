#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

bool error_set(struct error *err, enum error_code code, const char *fmt, ...)
{
    if (err == NULL)
        return false;
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    (void)vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return false;
}

void error_prefix(struct error *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char prefix[ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    size_t plen = strlen(prefix);
    size_t mlen = strnlen(err->msg, sizeof err->msg - 1);
    if (plen + mlen > sizeof err->msg - 1)
        mlen = sizeof err->msg - 1 - plen; /* the end of the message is cut */
    memmove(err->msg + plen, err->msg, mlen);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + mlen] = '\0';
}

void error_clear(struct error *err)
{
    if (err == NULL)
        return;
    err->code = ERR_NONE;
    err->msg[0] = '\0';
}

const char *error_code_name(enum error_code code)
{
    switch (code) {
    case ERR_NONE: return "no error";
    case ERR_USAGE: return "usage error";
    case ERR_CONFIG: return "configuration error";
    case ERR_PLUGIN: return "plugin error";
    case ERR_DB: return "database error";
    case ERR_DB_DOWN: return "database unreachable";
    case ERR_IO: return "I/O error";
    case ERR_INPUT: return "invalid input";
    case ERR_NOT_FOUND: return "not found";
    case ERR_NOMEM: return "out of memory";
    case ERR_INTERNAL: return "internal error";
    }
    return "error";
}

int error_exit_status(enum error_code code)
{
    switch (code) {
    case ERR_NONE: return 0;
    case ERR_USAGE: return EX_USAGE;         /* 64 */
    case ERR_INPUT: return EX_DATAERR;       /* 65 */
    case ERR_NOT_FOUND: return EX_NOINPUT;   /* 66 */
    case ERR_DB_DOWN: return EX_UNAVAILABLE; /* 69 */
    case ERR_INTERNAL: return EX_SOFTWARE;   /* 70 */
    case ERR_NOMEM: return EX_OSERR;         /* 71 */
    case ERR_IO: return EX_IOERR;            /* 74 */
    case ERR_DB: return EX_TEMPFAIL;         /* 75 */
    case ERR_CONFIG:
    case ERR_PLUGIN: return EX_CONFIG; /* 78 */
    }
    return 1;
}
