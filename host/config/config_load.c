/* Loading: read the file, let libconfig parse it, fill the defaults, read
 * and validate every section, apply the environment. */
#include "config/config_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_FILE_MAX (16 * 1024 * 1024)

/* The whole file as a string (owned by the caller), or NULL with err set. */
static char *read_file(const char *path, struct error *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        (void)error_set(err, ERR_IO, "%s: cannot open the configuration file: %s", path,
                        strerror(errno));
        return NULL;
    }
    size_t len = 0;
    size_t cap = 4096;
    char *text = malloc(cap);
    while (text != NULL && len < CONFIG_FILE_MAX && !ferror(f) && !feof(f)) {
        if (len + 1 == cap) {
            char *bigger = realloc(text, cap * 2);
            if (bigger == NULL)
                free(text);
            text = bigger;
            cap *= 2;
            continue;
        }
        len += fread(text + len, 1, cap - 1 - len, f);
    }
    int saved = errno;
    bool failed = ferror(f);
    fclose(f);
    if (text == NULL) {
        (void)error_set(err, ERR_NOMEM, "%s: out of memory reading the configuration", path);
    } else if (failed) {
        (void)error_set(err, ERR_IO, "%s: cannot read the configuration file: %s", path,
                        strerror(saved));
    } else if (len >= CONFIG_FILE_MAX) {
        (void)error_set(err, ERR_CONFIG, "%s: the configuration file is larger than %d MiB", path,
                        CONFIG_FILE_MAX >> 20);
    } else {
        text[len] = '\0';
        return text;
    }
    free(text);
    return NULL;
}

/* The directory part of path ("." when it has none), made absolute when it
 * exists. Owned by the caller. */
static char *directory_of(const char *path, struct error *err)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (slash == NULL)
        dir = cfg_strdup(".", err);
    else if (slash == path)
        dir = cfg_strdup("/", err);
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL) {
        (void)error_set(err, ERR_NOMEM, "out of memory while reading the configuration");
        return NULL;
    }
    char *abs = realpath(dir, NULL);
    if (abs == NULL)
        return dir;
    free(dir);
    return abs;
}

/* Names and the libconfig object, before anything is parsed. */
static bool prepare(struct config *cfg, const char *name, char *basedir, struct error *err)
{
    cfg->basedir = basedir;
    cfg->path = cfg_strdup(name, err);
    config_t *lc = malloc(sizeof *lc);
    if (cfg->basedir == NULL || cfg->path == NULL || lc == NULL) {
        free(lc);
        return error_set(err, ERR_NOMEM, "out of memory while reading the configuration");
    }
    config_init(lc);
    config_set_include_dir(lc, cfg->basedir);
    cfg->lc = lc;
    return true;
}

static bool parse(struct config *cfg, const char *text, struct error *err)
{
    config_t *lc = cfg->lc;
    if (config_read_string(lc, text))
        return true;
    const char *file = config_error_file(lc) ? config_error_file(lc) : cfg->path;
    if (config_error_line(lc) > 0)
        return error_set(err, ERR_CONFIG, "%s:%d: %s", file, config_error_line(lc),
                         config_error_text(lc));
    return error_set(err, ERR_CONFIG, "%s: %s", file, config_error_text(lc));
}

/* Takes basedir (owned, may be NULL after an allocation failure). */
static bool load(const char *text, const char *name, char *basedir, struct config *out,
                 struct error *err)
{
    memset(out, 0, sizeof *out);
    struct cfg_ctx ctx = {.name = name, .text = text, .err = err};
    bool ok = prepare(out, name, basedir, err) && parse(out, text, err) &&
              cfg_set_defaults(out, err) &&
              cfg_read_root(&ctx, config_root_setting((config_t *)out->lc), out) &&
              cfg_apply_env(out, err);
    if (!ok)
        config_free(out);
    return ok;
}

bool config_load(const char *path, struct config *out, struct error *err)
{
    memset(out, 0, sizeof *out);
    char *text = read_file(path, err);
    if (text == NULL)
        return false;
    bool ok = load(text, path, directory_of(path, err), out, err);
    free(text);
    return ok;
}

bool config_load_string(const char *text, const char *name, const char *basedir, struct config *out,
                        struct error *err)
{
    if (name == NULL)
        name = "<string>";
    if (basedir == NULL)
        basedir = ".";
    char *dir = realpath(basedir, NULL);
    if (dir == NULL)
        dir = cfg_strdup(basedir, err);
    return load(text, name, dir, out, err);
}
