/*
 * Points in time on the command line and in output, as milliseconds since the
 * Unix epoch (UTC). Pure functions, unit-tested.
 */
#ifndef TASKHOST_CLI_TIMEFMT_H
#define TASKHOST_CLI_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/*
 * Parses an RFC 3339 / ISO 8601 time: "2026-12-01T10:00:00Z", with optional
 * fraction ("10:00:00.250Z") and a zone of Z or +HH:MM / -HH:MM; a space may
 * replace the T. A time without a zone is refused (local or UTC?). `what`
 * names the option or field in messages. Returns false with err (ERR_USAGE).
 */
bool time_parse_iso(const char *s, const char *what, int64_t *ms, struct error *err);

/* "2026-12-01T10:00:00Z", with ".250" before the Z when ms has a fraction.
 * Always NUL-terminates buf when len > 0 (32 bytes suffice). */
void time_format_iso(int64_t ms, char *buf, size_t len);

/* t relative to now: "3s ago", "in 2m", "1h30m ago", "now" (within a
 * second). Always NUL-terminates buf when len > 0 (32 bytes suffice). */
void time_format_relative(int64_t t, int64_t now, char *buf, size_t len);

#endif
