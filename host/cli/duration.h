/*
 * Durations on the command line: "500ms", "30s", "10m", "2h", "7d", "1w" and
 * sums of them such as "1h30m". Pure functions (no I/O), unit-tested.
 */
#ifndef TASKHOST_CLI_DURATION_H
#define TASKHOST_CLI_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The longest duration accepted: 100 years. */
#define DURATION_MAX_MS ((int64_t)100 * 366 * 24 * 3600 * 1000)

/*
 * Parses s into milliseconds. Each part is a whole number followed by a unit
 * (ms, s, m, h, d, w); a bare number is refused (which unit was meant?).
 * `what` names the option in messages ("--delay"). Returns false with err
 * (ERR_USAGE) saying what is wrong and what is expected.
 */
bool duration_parse(const char *s, const char *what, int64_t *ms, struct error *err);

/* Formats ms >= 0 compactly with at most two units: "850ms", "3s", "2m5s",
 * "1h30m", "2d4h". Always NUL-terminates buf when len > 0. */
void duration_format(int64_t ms, char *buf, size_t len);

#endif
