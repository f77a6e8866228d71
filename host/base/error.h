/*
 * Errors as values: a code that says which kind of failure it is (and maps to
 * the process exit code) and a message a user can act on.
 *
 * Convention: a function that can fail takes `struct error *err` last and
 * returns false (or NULL, or a negative count); on failure it has always
 * filled err. Callers add context with error_prefix().
 */
#ifndef TASKHOST_BASE_ERROR_H
#define TASKHOST_BASE_ERROR_H

#include <stdbool.h>
#include <stddef.h>

enum error_code {
    ERR_NONE = 0,
    ERR_USAGE,     /* bad command line */
    ERR_CONFIG,    /* bad configuration file or setting */
    ERR_PLUGIN,    /* a plugin cannot be loaded or initialised */
    ERR_DB,        /* the database refused or failed an operation */
    ERR_DB_DOWN,   /* the database cannot be reached (transient) */
    ERR_IO,        /* a file or system call failed */
    ERR_INPUT,     /* bad input data (task document, JSON) */
    ERR_NOT_FOUND, /* the named task (or other object) does not exist */
    ERR_NOMEM,     /* out of memory */
    ERR_INTERNAL,  /* a bug in taskhost */
};

#define ERROR_MSG_MAX 1024

struct error {
    enum error_code code;
    char msg[ERROR_MSG_MAX];
};

/* Fills err (if not NULL) and returns false, so `return error_set(...)`
 * reads naturally. */
bool error_set(struct error *err, enum error_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends context ("while loading plugin x: ") to an error's message. */
void error_prefix(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void error_clear(struct error *err);

/* A short name for a code ("config error", ...). Static storage. */
const char *error_code_name(enum error_code code);

/* The process exit status documented for each code (sysexits.h values). */
int error_exit_status(enum error_code code);

#endif
