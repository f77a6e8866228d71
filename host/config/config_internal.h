/*
 * Private to host/config: the pieces config_load is made of. Nothing outside
 * host/config includes this header.
 */
#ifndef TASKHOST_CONFIG_CONFIG_INTERNAL_H
#define TASKHOST_CONFIG_CONFIG_INTERNAL_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "config/config.h"

#define CFG_LOG           "config" /* the log component of this module */
#define CFG_PATH_MAX      256      /* longest setting path kept for messages */
#define CFG_TYPE_NAME_MAX 200      /* longest task type (the SDK's limit) */

/* What one load needs to report well. */
struct cfg_ctx {
    const char *name; /* the main file's name, as given, for messages */
    const char *text; /* the main file's text (integer literal checks), or NULL */
    struct error *err;
};

/* A group being read: its setting (NULL when the file has none) and its path
 * in messages ("" for the root, "host", "types[2]"). */
struct cfg_node {
    const config_setting_t *s;
    char path[CFG_PATH_MAX];
};

/* --- config_value.c: reading one setting, with messages --- */

/* Fills err with "<file>:<line>: <path>: <message>" (the line left out when
 * unknown) and returns false. `at` may be NULL (no line). */
bool cfg_fail(const struct cfg_ctx *ctx, const config_setting_t *at, const char *path,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "<file>:<line>" of a setting (just "<file>" when it has no line). */
void cfg_where(const struct cfg_ctx *ctx, const config_setting_t *s, char *buf, size_t len);

/* The path of member `key` of node: "host.lease_ms" (or "key" at the root). */
void cfg_member_path(const struct cfg_node *node, const char *key, char *buf, size_t len);

/* "an integer (5)", "a string (\"x\")", "a group", ...: what a user wrote. */
void cfg_describe(const config_setting_t *s, char *buf, size_t len);

/* The member `key` of node, or NULL (also when node has no setting). */
const config_setting_t *cfg_member(const struct cfg_node *node, const char *key);

/* Each getter leaves *val alone when the member is absent (the default
 * stays), stores it when valid and otherwise fails with a message naming
 * what is expected. `why` (may be NULL) explains a range that depends on
 * another setting. */
bool cfg_get_int(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                 int64_t lo, int64_t hi, const char *why, int64_t *val);
bool cfg_get_int32(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key, int lo,
                   int hi, int *val);
bool cfg_get_double(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                    double lo, double hi, double *val);

/* A string that `valid` accepts (NULL: any). `expect` says what is accepted
 * ("a name of 1 to 63 characters") and may be NULL for any string. Replaces
 * *val (freeing the old value) with an owned copy. */
bool cfg_get_string(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                    const char *expect, bool (*valid)(const char *), char **val);

/* One of the NULL-terminated `choices`; stores its index. */
bool cfg_get_choice(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                    const char *const *choices, int *val);

/* Member `key` as a group into *out (out->s NULL when absent); fails when
 * it is something else. */
bool cfg_get_group(const struct cfg_ctx *ctx, const struct cfg_node *node, const char *key,
                   struct cfg_node *out);

/* --- config_literal.c --- */

/* libconfig 1.5 silently truncates an integer literal without the L suffix
 * to 32 bits. When the int setting `s` comes from the main text and was
 * written as such a literal, copies the literal into buf and returns true. */
bool cfg_int_literal_truncated(const struct cfg_ctx *ctx, const config_setting_t *s, char *buf,
                               size_t len);

/* --- config_keys.c: known settings and warnings about the others --- */

extern const char *const cfg_keys_root[];
extern const char *const cfg_keys_mongodb[];
extern const char *const cfg_keys_host[];
extern const char *const cfg_keys_retry[];
extern const char *const cfg_keys_plugins[];
extern const char *const cfg_keys_log[];
extern const char *const cfg_keys_type[];

/* The closest of the NULL-terminated `known` to key (edit distance at most
 * 2, ignoring case), or NULL. */
const char *cfg_closest_key(const char *key, const char *const *known);

/* Warns (log_warn) about each member of node not in `known`, naming file,
 * line and path, and suggesting a near key or the section a key belongs to. */
void cfg_warn_unknown(const struct cfg_ctx *ctx, const struct cfg_node *node,
                      const char *const *known);

/* --- config_sections.c, config_plugins.c, config_types.c --- */

/* Reads every section of the root into cfg (which holds the defaults). */
bool cfg_read_root(const struct cfg_ctx *ctx, const config_setting_t *root, struct config *cfg);
bool cfg_read_plugins(const struct cfg_ctx *ctx, const struct cfg_node *root, struct config *cfg);
bool cfg_read_types(const struct cfg_ctx *ctx, const struct cfg_node *root, struct config *cfg);

/* --- config_defaults.c --- */

/* Fills every setting with its default (strings owned by cfg). */
bool cfg_set_defaults(struct config *cfg, struct error *err);

/* Replaces the URI with CONFIG_ENV_MONGODB_URI when that is set. */
bool cfg_apply_env(struct config *cfg, struct error *err);

/* An owned copy of s, or NULL with err set (ERR_NOMEM). */
char *cfg_strdup(const char *s, struct error *err);

/* Validity rules shared by loading and the environment override. */
bool cfg_valid_uri(const char *s);
/* A URI for messages: quoted, cut before anything that may be a password. */
void cfg_describe_uri(const char *uri, char *buf, size_t len);
#define CFG_EXPECT_URI "a URI starting with mongodb:// or mongodb+srv://"

#endif
