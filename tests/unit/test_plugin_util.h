/*
 * Helpers shared by the plugin unit tests (test_plugin_*.c, test_host_api.c,
 * test_registry.c): temporary plugin directories, captured log output,
 * libconfig blocks read from real files (so file:line is known) and task
 * attempts built from JSON.
 */
#ifndef TEST_PLUGIN_UTIL_H
#define TEST_PLUGIN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <dirent.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "config/config.h"
#include "plugin/plugin.h"
#include "plugin/task.h"

/* ---- temporary directories ---- */

/* buf = dir/name; the test fails when it does not fit. */
static inline void join_path(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    assert_true(n >= 0 && (size_t)n < len);
}

/* A fresh directory (mode 0755) under /tmp; free the returned path. */
static inline char *tmp_dir(void)
{
    char *dir = strdup("/tmp/taskhost-plugin-test-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    return dir;
}

/* Copies src to dir/name with the given mode. */
static inline void copy_file(const char *src, const char *dir, const char *name, mode_t mode)
{
    char dst[4096];
    join_path(dst, sizeof dst, dir, name);
    int in = open(src, O_RDONLY);
    assert_true(in >= 0);
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
    assert_int_equal(chmod(dst, mode), 0);
}

/* Writes text to dir/name with mode 0644. */
static inline void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    join_path(path, sizeof path, dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, 0644), 0);
}

/* Removes path and, for a directory, everything in it. */
static inline void remove_path(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[4096];
            join_path(child, sizeof child, path, e->d_name);
            remove_path(child);
        }
        if (d != NULL)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Removes dir and everything in it, and frees the path. */
static inline void rm_tree(char *dir)
{
    remove_path(dir);
    free(dir);
}

/* ---- captured log ---- */

static FILE *captured_log;

/* Sends the host log (all levels, text) to a temporary file. */
static inline void log_capture_start(void)
{
    captured_log = tmpfile();
    assert_non_null(captured_log);
    log_configure(LOG_DEBUG, LOG_FORMAT_TEXT, captured_log);
}

/* Everything logged since log_capture_start (owned by the caller). */
static inline char *log_captured(void)
{
    long end = ftell(captured_log);
    char *text = calloc(1, (size_t)end + 1);
    assert_non_null(text);
    rewind(captured_log);
    assert_int_equal(fread(text, 1, (size_t)end, captured_log), (size_t)end);
    fseek(captured_log, 0, SEEK_END);
    return text;
}

static inline void log_capture_stop(void)
{
    log_configure(LOG_INFO, LOG_FORMAT_TEXT, NULL);
    fclose(captured_log);
    captured_log = NULL;
}

/* True when the captured log contains s. */
static inline bool log_contains(const char *s)
{
    char *text = log_captured();
    bool found = strstr(text, s) != NULL;
    free(text);
    return found;
}

/* Asserts that the captured log contains s, printing the log when not. */
#define assert_logged(s)                                                                           \
    do {                                                                                           \
        char *log_ = log_captured();                                                               \
        if (strstr(log_, (s)) == NULL) {                                                           \
            print_message("the log:\n%s", log_);                                                   \
            free(log_);                                                                            \
            fail_msg("the log does not contain \"%s\"", (s));                                      \
        }                                                                                          \
        free(log_);                                                                                \
    } while (0)

/* Asserts that haystack contains needle, printing both when not. */
#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack);                                                               \
        if (strstr(h_, (needle)) == NULL)                                                          \
            fail_msg("\"%s\"\n  does not contain \"%s\"", h_, (needle));                           \
    } while (0)

/* ---- configuration blocks ---- */

/* A libconfig file read from disk, with its plugins.settings blocks. */
struct test_cfg {
    char *dir;
    char path[4200];
    config_t lc;
    struct plugin_block blocks[8];
    int n_blocks;
};

static inline void test_cfg_collect_blocks(struct test_cfg *c)
{
    const config_setting_t *settings = config_lookup(&c->lc, "plugins.settings");
    for (int i = 0; settings != NULL && i < config_setting_length(settings) && i < 8; i++) {
        const config_setting_t *m = config_setting_get_elem(settings, (unsigned)i);
        c->blocks[i].name = (char *)(uintptr_t)config_setting_name(m);
        c->blocks[i].setting = m;
        c->n_blocks++;
    }
}

/* Writes text to a file "taskhost.cfg" in a temporary directory, reads it
 * and collects the blocks of plugins.settings. */
static inline void test_cfg_load(struct test_cfg *c, const char *text)
{
    memset(c, 0, sizeof *c);
    c->dir = tmp_dir();
    write_file(c->dir, "taskhost.cfg", text);
    join_path(c->path, sizeof c->path, c->dir, "taskhost.cfg");
    config_init(&c->lc);
    if (config_read_file(&c->lc, c->path) != CONFIG_TRUE)
        fail_msg("%s:%d: %s", c->path, config_error_line(&c->lc), config_error_text(&c->lc));
    test_cfg_collect_blocks(c);
}

/* Like test_cfg_load, but parses text from memory (libconfig then knows no
 * file name, as when the host reads the file itself); c->path is `name`. */
static inline void test_cfg_load_string(struct test_cfg *c, const char *text, const char *name)
{
    memset(c, 0, sizeof *c);
    c->dir = tmp_dir();
    snprintf(c->path, sizeof c->path, "%s", name);
    config_init(&c->lc);
    if (config_read_string(&c->lc, text) != CONFIG_TRUE)
        fail_msg("line %d: %s", config_error_line(&c->lc), config_error_text(&c->lc));
    test_cfg_collect_blocks(c);
}

/* The block of a plugin, or NULL. */
static inline const struct plugin_block *test_cfg_block(const struct test_cfg *c, const char *name)
{
    for (int i = 0; i < c->n_blocks; i++)
        if (strcmp(c->blocks[i].name, name) == 0)
            return &c->blocks[i];
    return NULL;
}

/* A struct config naming a plugin directory and the blocks of c (may be
 * NULL); borrows both. */
static inline struct config test_config(const char *plugin_dir, struct test_cfg *c)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.plugin_dir = (char *)(uintptr_t)plugin_dir;
    if (c != NULL) {
        cfg.path = c->path;
        cfg.plugin_blocks = c->blocks;
        cfg.n_plugin_blocks = c->n_blocks;
    }
    return cfg;
}

static inline void test_cfg_free(struct test_cfg *c)
{
    config_destroy(&c->lc);
    rm_tree(c->dir);
}

/* ---- tasks ---- */

/* A first attempt of a task of `type` with an ObjectId and payload_json
 * (NULL: no payload). Free with task_destroy. */
static inline void test_task(struct th_task *t, const char *type, int attempt,
                             const char *payload_json)
{
    bson_value_t id = {.value_type = BSON_TYPE_OID};
    bson_oid_init(&id.value.v_oid, NULL);
    bson_t *payload = NULL;
    if (payload_json != NULL) {
        bson_error_t error;
        payload = bson_new_from_json((const uint8_t *)payload_json, -1, &error);
        if (payload == NULL)
            fail_msg("bad test payload %s: %s", payload_json, error.message);
    }
    task_init(t, &id, type, attempt, 3, payload);
    if (payload != NULL)
        bson_destroy(payload);
}

/* The task's result as relaxed JSON (owned: bson_free), or NULL. */
static inline char *result_json(const struct th_task *t)
{
    return t->result != NULL ? bson_as_relaxed_extended_json(t->result, NULL) : NULL;
}

/* Asserts that the task's result renders as `expected`. */
#define assert_result(task, expected)                                                              \
    do {                                                                                           \
        char *json_ = result_json(task);                                                           \
        assert_non_null(json_);                                                                    \
        assert_string_equal(json_, (expected));                                                    \
        bson_free(json_);                                                                          \
    } while (0)

#endif
