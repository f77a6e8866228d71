/*
 * The settings of the exec plugin (plugins.settings.exec), read and checked
 * once in init and read-only afterwards, so every run() may share them.
 *
 *   allow = ( "convert=/usr/bin/convert", "/usr/bin/gzip" );
 *       the commands a payload may name: "NAME=/absolute/path", or an
 *       absolute path alone, named after its last component. Each file must
 *       exist, be a regular file and be executable when the host starts.
 *   env = ( "PATH=/usr/bin:/bin", "LANG=C.UTF-8" );  the whole environment
 *       of every command (default: empty)
 *   timeout_ms = 60000;         longest run of a command; a payload may ask
 *                               for less (1 .. 604800000)
 *   kill_grace_ms = 2000;       between SIGTERM and SIGKILL (0 .. 600000)
 *   output_tail_bytes = 4096;   bytes of the end of stdout and of stderr kept
 *                               in the result (0 .. 262144)
 *   nonzero_is_permanent = false;  a failed command is dead at once (true)
 *                               or retried (false)
 *   workdir = "/";              working directory of the commands (absolute)
 */
#ifndef TASKHOST_EXEC_CONFIG_H
#define TASKHOST_EXEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <taskhost/plugin.h>

#define EXEC_NAME_MAX 64 /* bytes of a command name */

struct exec_command {
    char name[EXEC_NAME_MAX + 1];
    const char *path; /* owned by the host (a setting string), valid until shutdown */
};

struct exec_config {
    struct exec_command *commands; /* owned array of n_commands */
    size_t n_commands;
    char **env; /* owned NULL-terminated array; the strings are the host's */
    int64_t timeout_ms;
    int64_t kill_grace_ms;
    size_t output_tail_bytes;
    bool nonzero_is_permanent;
    const char *workdir; /* the host's string, or a literal */
    char *allowed;       /* owned: the names, comma-separated, for messages */
};

/*
 * Reads and checks every setting. On failure writes a message naming the
 * setting into err and returns false (nothing to free). On success the
 * caller frees *c with exec_config_free.
 */
bool exec_config_read(const th_host_api *api, const th_settings *s, struct exec_config *c,
                      char *err, size_t errlen);
void exec_config_free(struct exec_config *c);

/* The allowed command called `name`, or NULL. */
const struct exec_command *exec_config_find(const struct exec_config *c, const char *name);

#endif
