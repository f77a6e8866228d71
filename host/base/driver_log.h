/*
 * Routes the MongoDB driver's own log lines into the host's log (at debug
 * level for its warnings, which are mostly about connections the host
 * already reports in its own words), so stderr carries one format only.
 */
#ifndef TASKHOST_BASE_DRIVER_LOG_H
#define TASKHOST_BASE_DRIVER_LOG_H

void driver_log_install(void);

#endif
