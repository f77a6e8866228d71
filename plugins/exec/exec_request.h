/*
 * One exec task's payload, checked against the settings:
 *
 *   {"command": "convert",                 a name from the setting allow
 *    "args": ["in.png", "-resize", "50%"], optional: argv[1..], passed verbatim
 *    "stdin": "text",                      optional: the command's standard input
 *                                          (default: /dev/null)
 *    "timeout_ms": 5000}                   optional: at most the setting timeout_ms
 *
 * Any other field is refused, so that a misspelled one is noticed.
 */
#ifndef TASKHOST_EXEC_REQUEST_H
#define TASKHOST_EXEC_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec_config.h"

#define EXEC_ARGS_MAX 4096 /* arguments a payload may give */

struct exec_request {
    const struct exec_command *command; /* in the config */
    char **argv;            /* owned NULL-terminated array: the command's path, then the args;
                               the strings point into the payload (valid during run) */
    const char *stdin_data; /* into the payload, or NULL: /dev/null */
    size_t stdin_len;
    int64_t timeout_ms;
};

/*
 * Parses the payload (BSON, len bytes). On failure writes a message for the
 * task's record into err and returns false (nothing to free); every failure
 * is permanent: the payload cannot change. On success the caller frees
 * *r with exec_request_free.
 */
bool exec_request_parse(const struct exec_config *c, const uint8_t *payload, size_t len,
                        struct exec_request *r, char *err, size_t errlen);
void exec_request_free(struct exec_request *r);

#endif
