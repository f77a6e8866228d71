/*
 * The systemd notification protocol (sd_notify(3)), without libsystemd: a
 * datagram to $NOTIFY_SOCKET. `taskhost run` says READY=1 once its
 * configuration and plugins are loaded (the unit is Type=notify, so a bad
 * configuration fails `systemctl start` instead of looking started), reports
 * what it is doing in STATUS=, and RELOADING=1 / STOPPING=1 around reloads
 * and shutdown. Does nothing when not run by systemd.
 */
#ifndef TASKHOST_CLI_SD_NOTIFY_H
#define TASKHOST_CLI_SD_NOTIFY_H

/* Sends one notification ("READY=1", "STATUS=..." lines). */
void sd_notify_send(const char *state);

/* sd_notify_send with a printf format. */
void sd_notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
