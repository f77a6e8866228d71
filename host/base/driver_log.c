#include "base/driver_log.h"

#include <mongoc/mongoc.h>

#include "base/log.h"

static void handler(mongoc_log_level_t level, const char *domain, const char *message, void *data)
{
    (void)data;
    enum log_level l = level <= MONGOC_LOG_LEVEL_CRITICAL ? LOG_ERROR : LOG_DEBUG;
    if (level >= MONGOC_LOG_LEVEL_DEBUG)
        return; /* trace output of a debug build of the driver */
    if (log_enabled(l))
        log_msg(l, "mongoc", NULL, "%s: %s", domain, message);
}

void driver_log_install(void)
{
    mongoc_log_set_handler(handler, NULL);
}
