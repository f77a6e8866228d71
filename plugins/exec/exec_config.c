#include "exec_config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TIMEOUT_MAX_MS (7 * 24 * 3600 * INT64_C(1000)) /* a week */
#define GRACE_MAX_MS   600000
#define TAIL_MAX_BYTES 262144

static bool read_int(const th_host_api *api, const th_settings *s, const char *name, int64_t def,
                     int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
    if (api->setting_int(s, name, def, out) != TH_OK) {
        snprintf(err, errlen, "cannot read setting %s", name);
        return false;
    }
    if (*out < min || *out > max) {
        snprintf(err, errlen,
                 "setting %s must be between %" PRId64 " and %" PRId64 ", found %" PRId64, name,
                 min, max, *out);
        return false;
    }
    return true;
}

static bool valid_name(const char *name, size_t len)
{
    if (len == 0 || len > EXEC_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '+'))
            return false;
    }
    return true;
}

/* Checks that path names an executable regular file; says why not. */
static bool check_executable(const char *path, const char *where, char *err, size_t errlen)
{
    struct stat st;
    if (path[0] != '/') {
        snprintf(err, errlen, "%s: the path must be absolute (start with /), found \"%s\"", where,
                 path);
        return false;
    }
    if (stat(path, &st) != 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s %s; install it or remove it from the list", where, path,
                 e == ENOENT ? "does not exist" : "cannot be examined");
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s is not a regular file", where, path);
        return false;
    }
    if (access(path, X_OK) != 0) {
        snprintf(err, errlen, "%s: %s is not executable by this user (mode %04o)", where, path,
                 (unsigned)(st.st_mode & 07777));
        return false;
    }
    return true;
}

/* Parses allow[index]: "NAME=/path" or "/path" (named after its last component). */
static bool parse_allow(const char *entry, int index, struct exec_command *cmd, char *err,
                        size_t errlen)
{
    char where[200];
    snprintf(where, sizeof where, "setting allow[%d] (\"%.100s\")", index, entry);
    const char *eq = entry[0] == '/' ? NULL : strchr(entry, '=');
    const char *name;
    size_t name_len;
    if (eq != NULL) {
        name = entry;
        name_len = (size_t)(eq - entry);
        cmd->path = eq + 1;
    } else if (entry[0] == '/') {
        const char *slash = strrchr(entry, '/');
        name = slash + 1;
        name_len = strlen(name);
        cmd->path = entry;
    } else {
        snprintf(err, errlen,
                 "%s: expected \"NAME=/absolute/path\" or an absolute path, e.g. "
                 "\"convert=/usr/bin/convert\"",
                 where);
        return false;
    }
    if (!valid_name(name, name_len)) {
        snprintf(err, errlen,
                 "%s: the command name must be 1 to %d of the characters A-Z a-z 0-9 _ - . +",
                 where, EXEC_NAME_MAX);
        return false;
    }
    memcpy(cmd->name, name, name_len);
    cmd->name[name_len] = '\0';
    return check_executable(cmd->path, where, err, errlen);
}

static bool read_allow(const th_host_api *api, const th_settings *s, struct exec_config *c,
                       char *err, size_t errlen)
{
    int n = api->setting_list_len(s, "allow");
    if (n < 0) {
        snprintf(err, errlen, "cannot read setting allow");
        return false;
    }
    c->commands = calloc((size_t)n + 1, sizeof *c->commands);
    size_t names_len = 1;
    if (c->commands == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (int i = 0; i < n; i++) {
        const char *entry;
        if (api->setting_list_string(s, "allow", i, &entry) != TH_OK) {
            snprintf(err, errlen, "cannot read setting allow[%d]", i);
            return false;
        }
        if (!parse_allow(entry, i, &c->commands[i], err, errlen))
            return false;
        if (exec_config_find(c, c->commands[i].name) != NULL) {
            snprintf(err, errlen, "setting allow[%d]: the command name \"%s\" is listed twice", i,
                     c->commands[i].name);
            return false;
        }
        c->n_commands++;
        names_len += strlen(c->commands[i].name) + 2;
    }
    c->allowed = calloc(1, names_len);
    if (c->allowed == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < c->n_commands; i++) {
        if (i > 0)
            strcat(c->allowed, ", ");
        strcat(c->allowed, c->commands[i].name);
    }
    return true;
}

static bool valid_env_entry(const char *e)
{
    const char *eq = strchr(e, '=');
    if (eq == NULL || eq == e || (e[0] >= '0' && e[0] <= '9'))
        return false;
    for (const char *p = e; p < eq; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

static bool read_env(const th_host_api *api, const th_settings *s, struct exec_config *c, char *err,
                     size_t errlen)
{
    int n = api->setting_list_len(s, "env");
    if (n < 0) {
        snprintf(err, errlen, "cannot read setting env");
        return false;
    }
    c->env = calloc((size_t)n + 1, sizeof *c->env);
    if (c->env == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (int i = 0; i < n; i++) {
        const char *e;
        if (api->setting_list_string(s, "env", i, &e) != TH_OK) {
            snprintf(err, errlen, "cannot read setting env[%d]", i);
            return false;
        }
        if (!valid_env_entry(e)) {
            snprintf(err, errlen,
                     "setting env[%d] must be \"NAME=value\" with a NAME of A-Z a-z 0-9 _ not "
                     "starting with a digit, found \"%.100s\"",
                     i, e);
            return false;
        }
        size_t name_len = (size_t)(strchr(e, '=') - e) + 1;
        for (int j = 0; j < i; j++) {
            if (strncmp(c->env[j], e, name_len) == 0) {
                snprintf(err, errlen, "setting env[%d]: the variable %.*s is set twice", i,
                         (int)name_len - 1, e);
                return false;
            }
        }
        c->env[i] = (char *)(uintptr_t)e; /* execve's type; never written */
    }
    return true;
}

static bool read_workdir(const th_host_api *api, const th_settings *s, struct exec_config *c,
                         char *err, size_t errlen)
{
    if (api->setting_string(s, "workdir", "/", &c->workdir) != TH_OK) {
        snprintf(err, errlen, "cannot read setting workdir");
        return false;
    }
    struct stat st;
    if (c->workdir[0] != '/') {
        snprintf(err, errlen, "setting workdir must be an absolute path, found \"%s\"", c->workdir);
        return false;
    }
    if (stat(c->workdir, &st) != 0 || !S_ISDIR(st.st_mode) || access(c->workdir, X_OK) != 0) {
        snprintf(err, errlen, "setting workdir: %s is not a directory this user can enter",
                 c->workdir);
        return false;
    }
    return true;
}

bool exec_config_read(const th_host_api *api, const th_settings *s, struct exec_config *c,
                      char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    int64_t tail = 0;
    int permanent = 0;
    bool ok =
        read_allow(api, s, c, err, errlen) && read_env(api, s, c, err, errlen) &&
        read_int(api, s, "timeout_ms", 60000, 1, TIMEOUT_MAX_MS, &c->timeout_ms, err, errlen) &&
        read_int(api, s, "kill_grace_ms", 2000, 0, GRACE_MAX_MS, &c->kill_grace_ms, err, errlen) &&
        read_int(api, s, "output_tail_bytes", 4096, 0, TAIL_MAX_BYTES, &tail, err, errlen) &&
        read_workdir(api, s, c, err, errlen);
    if (ok && api->setting_bool(s, "nonzero_is_permanent", 0, &permanent) != TH_OK) {
        snprintf(err, errlen, "cannot read setting nonzero_is_permanent");
        ok = false;
    }
    if (!ok) {
        exec_config_free(c);
        return false;
    }
    c->output_tail_bytes = (size_t)tail;
    c->nonzero_is_permanent = permanent != 0;
    return true;
}

void exec_config_free(struct exec_config *c)
{
    free(c->commands);
    free(c->env);
    free(c->allowed);
    memset(c, 0, sizeof *c);
}

const struct exec_command *exec_config_find(const struct exec_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_commands; i++)
        if (strcmp(c->commands[i].name, name) == 0)
            return &c->commands[i];
    return NULL;
}
