/* Indents JSON text for people to read. Pure function, unit-tested. */
#ifndef TASKHOST_CLI_JSON_PRETTY_H
#define TASKHOST_CLI_JSON_PRETTY_H

/*
 * Re-indents valid JSON text (such as libbson's relaxed extended JSON): one
 * member or item per line, `step` spaces per level, every line after the
 * first prefixed by `margin` spaces; empty objects and arrays stay "{}" and
 * "[]"; strings are copied unchanged. Returns a new string (caller frees with
 * free()), or NULL when out of memory.
 */
char *json_pretty(const char *json, int margin, int step);

#endif
