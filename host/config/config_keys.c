/* The settings taskhost knows, and warnings (with a suggestion) about the
 * ones it does not: a typo must not pass silently, but must not stop a host
 * either. */
#include "config/config_internal.h"

#include <ctype.h>
#include <string.h>

#define MAX_DISTANCE 2
#define KEY_MAX      64 /* longer keys get no suggestion */

const char *const cfg_keys_root[] = {"mongodb", "host", "retry", "plugins", "types", "log", NULL};
const char *const cfg_keys_mongodb[] = {
    "uri", "database", "collection", "hosts_collection", "connect_timeout_ms", "change_streams",
    NULL};
const char *const cfg_keys_host[] = {
    "id",           "max_concurrency",   "poll_interval_ms", "lease_ms",
    "heartbeat_ms", "shutdown_grace_ms", "max_host_deaths",  NULL};
const char *const cfg_keys_retry[] = {"max_retries",        "backoff_initial_ms", "backoff_max_ms",
                                      "backoff_multiplier", "backoff_jitter",     NULL};
const char *const cfg_keys_plugins[] = {"directory", "settings", NULL};
const char *const cfg_keys_log[] = {"level", "format", NULL};
const char *const cfg_keys_type[] = {"type", "concurrency", "max_retries", "timeout_ms", NULL};

static const struct {
    const char *name;
    const char *const *keys;
} sections[] = {
    {"mongodb", cfg_keys_mongodb}, {"host", cfg_keys_host}, {"retry", cfg_keys_retry},
    {"plugins", cfg_keys_plugins}, {"log", cfg_keys_log},
};

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Edit distance (insert, delete, substitute, swap neighbours), ignoring case. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t d[KEY_MAX + 1][KEY_MAX + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca == cb ? 0 : 1;
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    }
    return d[la][lb];
}

const char *cfg_closest_key(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = MAX_DISTANCE + 1;
    size_t lk = strlen(key);
    if (lk > KEY_MAX)
        return NULL;
    for (int i = 0; known[i] != NULL; i++) {
        size_t lw = strlen(known[i]);
        if (lw > KEY_MAX)
            continue;
        size_t d = distance(key, known[i]);
        /* A short key is "near" anything of its length: require some overlap. */
        if (d < best_d && d < (lk < lw ? lk : lw)) {
            best = known[i];
            best_d = d;
        }
    }
    return best;
}

static bool is_known(const char *key, const char *const *known)
{
    for (int i = 0; known[i] != NULL; i++) {
        if (strcmp(key, known[i]) == 0)
            return true;
    }
    return false;
}

/* The section (other than `own`) that has `key`, or NULL. */
static const char *section_of(const char *key, const char *const *own)
{
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if (sections[i].keys != own && is_known(key, sections[i].keys))
            return sections[i].name;
    }
    return NULL;
}

static void warn_one(const struct cfg_ctx *ctx, const struct cfg_node *node,
                     const config_setting_t *m, const char *const *known)
{
    const char *key = config_setting_name(m);
    char where[CFG_PATH_MAX + 32];
    char path[CFG_PATH_MAX];
    cfg_where(ctx, m, where, sizeof where);
    cfg_member_path(node, key, path, sizeof path);
    const char *near = cfg_closest_key(key, known);
    const char *section = section_of(key, known);
    if (near != NULL)
        log_warn(CFG_LOG, "%s: %s: unknown setting, ignored (did you mean %s?)", where, path, near);
    else if (section != NULL)
        log_warn(CFG_LOG, "%s: %s: unknown setting, ignored (it belongs in the %s group: %s.%s)",
                 where, path, section, section, key);
    else
        log_warn(CFG_LOG, "%s: %s: unknown setting, ignored", where, path);
}

void cfg_warn_unknown(const struct cfg_ctx *ctx, const struct cfg_node *node,
                      const char *const *known)
{
    if (node->s == NULL || !config_setting_is_group(node->s))
        return;
    int n = config_setting_length(node->s);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(node->s, (unsigned)i);
        const char *key = config_setting_name(m);
        if (key != NULL && !is_known(key, known))
            warn_one(ctx, node, m, known);
    }
}
