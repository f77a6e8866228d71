/*
 * Aligned text tables for the operator commands: a header row and rows of
 * cells, each column as wide as its widest cell (counted in characters, so
 * UTF-8 text lines up), two spaces between columns. Columns can be aligned
 * right (numbers).
 */
#ifndef TASKHOST_CLI_TABLE_H
#define TASKHOST_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TABLE_COLS_MAX 16

struct table {
    int n_cols;
    const char *headers[TABLE_COLS_MAX]; /* borrowed */
    bool right[TABLE_COLS_MAX];
    char **cells; /* n_rows * n_cols, owned */
    int n_rows, cap_rows;
    bool failed; /* out of memory: table_print prints what it has */
};

/* Starts a table with the given headers (NULL-terminated, borrowed). */
void table_init(struct table *t, const char *const *headers);

/* Aligns column col to the right. */
void table_align_right(struct table *t, int col);

/* Adds a row: n_cols strings (copied; NULL prints as "-"). */
void table_add(struct table *t, const char *const *cells);

/* Prints the header and the rows. */
void table_print(const struct table *t, FILE *out);

void table_free(struct table *t);

/* Characters (UTF-8 code points) in s. */
size_t utf8_width(const char *s);

/*
 * Copies s into buf as one line of at most max characters: control
 * characters (newlines, tabs) become spaces, and a cut text ends with "...".
 * buf needs 4 * max + 1 bytes. Returns buf.
 */
char *text_clip(const char *s, size_t max, char *buf, size_t len);

#endif
