/* plugin_check_permissions: who may change the code the host runs. */
#include "plugin/plugin.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    return "a special file";
}

/* "alice (uid 1000)" or "uid 1000". */
static void describe_uid(uid_t uid, char *buf, size_t len)
{
    struct passwd pw;
    struct passwd *found = NULL;
    char scratch[1024];
    if (getpwuid_r(uid, &pw, scratch, sizeof scratch, &found) == 0 && found != NULL)
        (void)snprintf(buf, len, "%s (uid %u)", found->pw_name, (unsigned)uid);
    else
        (void)snprintf(buf, len, "uid %u", (unsigned)uid);
}

/* The user name for `chown`, or the numeric uid. */
static void chown_target(uid_t uid, char *buf, size_t len)
{
    struct passwd pw;
    struct passwd *found = NULL;
    char scratch[1024];
    if (getpwuid_r(uid, &pw, scratch, sizeof scratch, &found) == 0 && found != NULL)
        (void)snprintf(buf, len, "%s", found->pw_name);
    else
        (void)snprintf(buf, len, "%u", (unsigned)uid);
}

static bool check_owner(const char *what, const char *path, const struct stat *st,
                        struct error *err)
{
    uid_t me = geteuid();
    if (st->st_uid == 0 || st->st_uid == me)
        return true;
    char owner[300];
    char self[300];
    char target[300];
    describe_uid(st->st_uid, owner, sizeof owner);
    describe_uid(me, self, sizeof self);
    chown_target(me, target, sizeof target);
    if (me == 0)
        return error_set(err, ERR_PLUGIN,
                         "%s %s is owned by %s rather than root, the user running taskhost, "
                         "and that user could change the code taskhost runs; fix: chown root %s",
                         what, path, owner, path);
    return error_set(err, ERR_PLUGIN,
                     "%s %s is owned by %s rather than root or %s, the user running taskhost, "
                     "and that user could change the code taskhost runs; fix: chown %s %s",
                     what, path, owner, self, target, path);
}

static bool check_writers(const char *what, const char *path, const struct stat *st,
                          struct error *err)
{
    mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);
    if (w == 0)
        return true;
    const char *who = w == (S_IWGRP | S_IWOTH) ? "its group and all users"
                      : (w & S_IWGRP)          ? "its group"
                                               : "all users";
    return error_set(err, ERR_PLUGIN,
                     "%s %s is writable by %s (mode %04o), who could change the code taskhost "
                     "runs; fix: chmod go-w %s",
                     what, path, who, (unsigned)(st->st_mode & 07777), path);
}

bool plugin_check_permissions(const char *path, bool is_dir, struct error *err)
{
    const char *what = is_dir ? "plugin directory" : "plugin file";
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return error_set(err, ERR_PLUGIN,
                             is_dir ? "%s %s does not exist; set plugins.directory in the "
                                      "configuration to the folder holding the plugins (*.so)"
                                    : "%s %s does not exist",
                             what, path);
        return error_set(err, ERR_PLUGIN, "cannot inspect %s %s: %s", what, path, strerror(errno));
    }
    bool right_kind = is_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
    if (!right_kind)
        return error_set(err, ERR_PLUGIN, "%s %s is not %s (it is %s)", what, path,
                         is_dir ? "a directory" : "a regular file", kind_of(st.st_mode));
    return check_writers(what, path, &st, err) && check_owner(what, path, &st, err);
}
