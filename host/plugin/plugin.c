/* Loading one plugin: open, check, init, shutdown. */
#include "plugin/plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/host_api.h"
#include "plugin/settings.h"

#define PLUGIN_NAME_MAX  64
#define PLUGIN_TYPE_MAX  200
#define PLUGIN_TYPES_MAX 1024 /* more means a missing NULL terminator */

/* The bytes of th_plugin that ABI 1 defines: every field up to shutdown. */
#define PLUGIN_V1_SIZE (offsetof(th_plugin, shutdown) + sizeof(void (*)(void *)))

static const char build_hint[] = "is it a plugin built with taskhost_add_plugin()?";

/* Copies s for a message: at most `max` bytes, non-printable bytes as '?'. */
static void printable(const char *s, size_t max, char *buf, size_t len)
{
    size_t i = 0;
    for (; i < max && i + 1 < len && s[i] != '\0'; i++)
        buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    buf[i] = '\0';
}

/* The file exists, is a regular file and starts like an ELF object. */
static bool check_file(const char *path, struct error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return error_set(err, ERR_PLUGIN, "plugin file %s does not exist", path);
        return error_set(err, ERR_PLUGIN, "cannot inspect plugin file %s: %s", path,
                         strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return error_set(err, ERR_PLUGIN, "plugin file %s is not a regular file", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_set(err, ERR_PLUGIN, "cannot read plugin file %s: %s", path, strerror(errno));
    unsigned char magic[4] = {0};
    ssize_t n = read(fd, magic, sizeof magic);
    close(fd);
    if (n != (ssize_t)sizeof magic || memcmp(magic, "\177ELF", 4) != 0)
        return error_set(err, ERR_PLUGIN, "plugin file %s is not an ELF shared object; %s", path,
                         build_hint);
    return true;
}

/* Paths loaded so far, with the inode each was loaded from. dlopen returns
 * the object already loaded under a path even when the file was replaced
 * since, so a replaced file is opened through /proc/self/fd/N of a
 * descriptor that stays open for the life of the process (plugin code is
 * never unloaded, so the name is never reused). Main thread only. */
struct loaded_path {
    char *path;
    unsigned long long ino;
};
static struct loaded_path *loaded;
static int n_loaded;

static bool replaced_since_loaded(const char *path, unsigned long long ino)
{
    for (int i = 0; i < n_loaded; i++)
        if (strcmp(loaded[i].path, path) == 0 && loaded[i].ino != ino)
            return true;
    return false;
}

static void remember_path(const char *path, unsigned long long ino)
{
    struct loaded_path *bigger = realloc(loaded, sizeof *loaded * (size_t)(n_loaded + 1));
    if (bigger == NULL)
        return;
    loaded = bigger;
    loaded[n_loaded].path = strdup(path);
    loaded[n_loaded].ino = ino;
    if (loaded[n_loaded].path != NULL)
        n_loaded++;
}

/* dlopen never searches the library path for our plugins: a bare file name
 * gets "./" in front. */
static void *open_object(const char *path, struct error *err)
{
    char local[4096];
    const char *name = path;
    if (strchr(path, '/') == NULL) {
        (void)snprintf(local, sizeof local, "./%s", path);
        name = local;
    }
    struct stat st;
    if (stat(path, &st) == 0 && replaced_since_loaded(path, (unsigned long long)st.st_ino)) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)snprintf(local, sizeof local, "/proc/self/fd/%d", fd);
            name = local;
        }
    }
    dlerror();
    void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        error_set(err, ERR_PLUGIN, "cannot load plugin %s: %s; %s", path,
                  why ? why : "dlopen failed", build_hint);
    }
    return handle;
}

/* Calls the entry function and returns the descriptor, or NULL. */
static const th_plugin *call_entry(const char *path, void *handle, struct error *err)
{
    dlerror();
    void *sym = dlsym(handle, TH_PLUGIN_ENTRY_SYMBOL);
    if (sym == NULL) {
        error_set(err, ERR_PLUGIN,
                  "plugin %s does not export %s; define it with TH_PLUGIN_EXPORT (see "
                  "<taskhost/plugin.h>)",
                  path, TH_PLUGIN_ENTRY_SYMBOL);
        return NULL;
    }
    th_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const th_plugin *d = entry();
    if (d == NULL)
        error_set(err, ERR_PLUGIN,
                  "plugin %s: %s() returned NULL; it must return the address of a static "
                  "th_plugin",
                  path, TH_PLUGIN_ENTRY_SYMBOL);
    return d;
}

/* abi_version and size, the only fields read before they are known valid. */
static bool check_header(const char *path, const th_plugin *d, struct error *err)
{
    if (d->abi_version != TH_ABI_VERSION)
        return error_set(err, ERR_PLUGIN,
                         "plugin %s was built for taskhost plugin ABI %u, this host speaks ABI "
                         "%u; rebuild the plugin against the SDK of this host",
                         path, (unsigned)d->abi_version, (unsigned)TH_ABI_VERSION);
    if (d->size < PLUGIN_V1_SIZE)
        return error_set(err, ERR_PLUGIN,
                         "plugin %s: its th_plugin descriptor claims a size of %u bytes, too "
                         "small for ABI %u (at least %zu bytes); set .size = sizeof(th_plugin), "
                         "e.g. with TH_PLUGIN_HEADER",
                         path, (unsigned)d->size, (unsigned)TH_ABI_VERSION, PLUGIN_V1_SIZE);
    return true;
}

static bool valid_name(const char *name)
{
    size_t n = strnlen(name, PLUGIN_NAME_MAX + 1);
    if (n == 0 || n > PLUGIN_NAME_MAX)
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool check_name(const char *path, const th_plugin *d, struct error *err)
{
    if (d->name == NULL)
        return error_set(err, ERR_PLUGIN, "plugin %s has no name; set .name in its th_plugin",
                         path);
    if (!valid_name(d->name)) {
        char shown[PLUGIN_NAME_MAX + 1];
        printable(d->name, PLUGIN_NAME_MAX, shown, sizeof shown);
        return error_set(err, ERR_PLUGIN,
                         "plugin %s has an invalid name \"%s\": a name is 1 to %d of the "
                         "characters a-z, 0-9, '_' and '-'",
                         path, shown, PLUGIN_NAME_MAX);
    }
    return true;
}

static bool check_type(const char *path, const char *const *types, int i, struct error *err)
{
    const char *t = types[i];
    size_t n = strnlen(t, PLUGIN_TYPE_MAX + 1);
    if (n == 0)
        return error_set(err, ERR_PLUGIN, "plugin %s: task type #%d is an empty string", path,
                         i + 1);
    char shown[41];
    printable(t, 40, shown, sizeof shown);
    if (n > PLUGIN_TYPE_MAX)
        return error_set(err, ERR_PLUGIN, "plugin %s: task type \"%s...\" is longer than %d bytes",
                         path, shown, PLUGIN_TYPE_MAX);
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)t[k] < 0x20 || t[k] == 0x7f)
            return error_set(err, ERR_PLUGIN,
                             "plugin %s: task type \"%s\" contains a control character", path,
                             shown);
    for (int j = 0; j < i; j++)
        if (strcmp(types[j], t) == 0)
            return error_set(err, ERR_PLUGIN, "plugin %s lists task type \"%s\" twice", path,
                             shown);
    return true;
}

static bool check_types(const char *path, const th_plugin *d, int *n_types, struct error *err)
{
    const char *const *types = d->task_types;
    if (types == NULL || types[0] == NULL)
        return error_set(err, ERR_PLUGIN,
                         "plugin %s declares no task types; list them in .task_types, ending "
                         "with NULL",
                         path);
    int i = 0;
    for (; types[i] != NULL; i++) {
        if (i == PLUGIN_TYPES_MAX)
            return error_set(err, ERR_PLUGIN,
                             "plugin %s declares more than %d task types; is .task_types "
                             "terminated by NULL?",
                             path, PLUGIN_TYPES_MAX);
        if (!check_type(path, types, i, err))
            return false;
    }
    *n_types = i;
    return true;
}

static bool check_descriptor(const char *path, const th_plugin *d, int *n_types, struct error *err)
{
    if (!check_name(path, d, err) || !check_types(path, d, n_types, err))
        return false;
    if (d->run == NULL)
        return error_set(err, ERR_PLUGIN, "plugin %s (%s) has no run function; set .run", path,
                         d->name);
    return true;
}

static char *xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (copy == NULL)
        abort();
    return copy;
}

/* Fills the owned copies of out from its descriptor. */
static void copy_strings(struct plugin *out, const char *path, int n_types)
{
    out->path = xstrdup(path);
    out->name = xstrdup(out->desc.name);
    out->version = xstrdup(out->desc.version != NULL ? out->desc.version : "");
    out->types = calloc((size_t)n_types + 1, sizeof *out->types);
    if (out->types == NULL)
        abort();
    for (int i = 0; i < n_types; i++)
        out->types[i] = xstrdup(out->desc.task_types[i]);
    out->n_types = n_types;
}

bool plugin_open(const char *path, struct plugin *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    if (!check_file(path, err))
        return false;
    void *handle = open_object(path, err);
    if (handle == NULL)
        return false;
    const th_plugin *d = call_entry(path, handle, err);
    if (d == NULL || !check_header(path, d, err))
        goto fail;
    size_t n = d->size < sizeof out->desc ? d->size : sizeof out->desc;
    memcpy(&out->desc, d, n);
    int n_types = 0;
    if (!check_descriptor(path, &out->desc, &n_types, err))
        goto fail;
    copy_strings(out, path, n_types);
    out->handle = handle;
    struct stat st;
    if (stat(path, &st) == 0) {
        out->dev = (unsigned long long)st.st_dev;
        out->ino = (unsigned long long)st.st_ino;
        out->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        out->size = (long long)st.st_size;
        remember_path(path, out->ino);
    }
    return true;
fail:
    memset(out, 0, sizeof *out);
    dlclose(handle); /* none of its code besides the entry has run */
    return false;
}

/* Reports a settings type error after a successful init: the plugin saw
 * TH_ETYPE but carried on, so it is shut down again. */
static bool fail_settings(struct plugin *p, const char *serr, struct error *err)
{
    error_set(err, ERR_CONFIG, "%s (read by plugin %s, %s)", serr, p->name, p->path);
    p->initialised = true;
    plugin_shutdown(p);
    settings_free(p->settings);
    p->settings = NULL;
    return false;
}

bool plugin_init(struct plugin *p, const th_host_api *api, const struct plugin_block *block,
                 const char *config_path, struct error *err)
{
    if (p->initialised)
        return error_set(err, ERR_INTERNAL, "plugin %s is already initialised", p->name);
    p->settings = settings_new(p->name, block, config_path);
    char msg[1024] = "";
    void *state = NULL;
    int rc = 0;
    if (p->desc.init != NULL) {
        host_api_set_current_plugin(p->name);
        rc = p->desc.init(api, (const th_settings *)p->settings, &state, msg, sizeof msg);
        host_api_set_current_plugin(NULL);
        msg[sizeof msg - 1] = '\0';
    }
    const char *serr = settings_error(p->settings);
    if (rc != 0) {
        /* a settings error leads: it names the file and line to fix */
        error_set(err, serr ? ERR_CONFIG : ERR_PLUGIN,
                  "%s%splugin %s (%s) failed to initialise: %s", serr ? serr : "", serr ? "; " : "",
                  p->name, p->path, msg[0] != '\0' ? msg : "(it gave no message)");
        settings_free(p->settings);
        p->settings = NULL;
        return false;
    }
    p->state = state;
    if (serr != NULL)
        return fail_settings(p, serr, err);
    settings_warn_unread(p->settings);
    p->initialised = true;
    return true;
}

void plugin_shutdown(struct plugin *p)
{
    if (p->initialised && p->desc.shutdown != NULL) {
        host_api_set_current_plugin(p->name);
        p->desc.shutdown(p->state);
        host_api_set_current_plugin(NULL);
    }
    p->initialised = false;
    p->state = NULL;
}

void plugin_close(struct plugin *p)
{
    plugin_shutdown(p);
    settings_free(p->settings);
    for (int i = 0; i < p->n_types; i++)
        free(p->types[i]);
    free(p->types);
    free(p->path);
    free(p->name);
    free(p->version);
    memset(p, 0, sizeof *p); /* the code stays mapped: handle is never closed */
}

bool plugin_file_unchanged(const struct plugin *p)
{
    struct stat st;
    return stat(p->path, &st) == 0 && (unsigned long long)st.st_dev == p->dev &&
           (unsigned long long)st.st_ino == p->ino && (long long)st.st_size == p->size &&
           (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec == p->mtime_ns;
}
