#include "cli/table.h"

#include <stdlib.h>
#include <string.h>

void table_init(struct table *t, const char *const *headers)
{
    memset(t, 0, sizeof *t);
    while (t->n_cols < TABLE_COLS_MAX && headers[t->n_cols]) {
        t->headers[t->n_cols] = headers[t->n_cols];
        t->n_cols++;
    }
}

void table_align_right(struct table *t, int col)
{
    if (col >= 0 && col < t->n_cols)
        t->right[col] = true;
}

static bool grow(struct table *t)
{
    if (t->n_rows < t->cap_rows)
        return true;
    int cap = t->cap_rows ? t->cap_rows * 2 : 16;
    char **cells = realloc(t->cells, sizeof *cells * (size_t)cap * (size_t)t->n_cols);
    if (cells == NULL)
        return false;
    t->cells = cells;
    t->cap_rows = cap;
    return true;
}

void table_add(struct table *t, const char *const *cells)
{
    if (t->failed || t->n_cols == 0 || !grow(t)) {
        t->failed = true;
        return;
    }
    char **row = t->cells + (size_t)t->n_rows * (size_t)t->n_cols;
    for (int i = 0; i < t->n_cols; i++) {
        row[i] = strdup(cells[i] ? cells[i] : "-");
        if (row[i] == NULL) {
            for (int j = 0; j < i; j++)
                free(row[j]);
            t->failed = true;
            return;
        }
    }
    t->n_rows++;
}

size_t utf8_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static void print_cell(FILE *out, const char *s, size_t width, bool right, bool last)
{
    size_t pad = width - utf8_width(s);
    if (right)
        fprintf(out, "%*s", (int)pad, "");
    fputs(s, out);
    if (!right && !last)
        fprintf(out, "%*s", (int)pad, "");
}

static void print_row(const struct table *t, const char *const *cells, const size_t *widths,
                      FILE *out)
{
    for (int i = 0; i < t->n_cols; i++) {
        if (i)
            fputs("  ", out);
        print_cell(out, cells[i], widths[i], t->right[i], i == t->n_cols - 1);
    }
    fputc('\n', out);
}

void table_print(const struct table *t, FILE *out)
{
    size_t widths[TABLE_COLS_MAX] = {0};
    for (int i = 0; i < t->n_cols; i++)
        widths[i] = utf8_width(t->headers[i]);
    for (int r = 0; r < t->n_rows; r++)
        for (int i = 0; i < t->n_cols; i++) {
            size_t w = utf8_width(t->cells[(size_t)r * (size_t)t->n_cols + (size_t)i]);
            if (w > widths[i])
                widths[i] = w;
        }
    print_row(t, t->headers, widths, out);
    for (int r = 0; r < t->n_rows; r++)
        print_row(t, (const char *const *)(t->cells + (size_t)r * (size_t)t->n_cols), widths, out);
}

void table_free(struct table *t)
{
    for (size_t i = 0; i < (size_t)t->n_rows * (size_t)t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

char *text_clip(const char *s, size_t max, char *buf, size_t len)
{
    size_t n = 0, chars = 0;
    if (len == 0)
        return buf;
    size_t total = utf8_width(s);
    size_t keep = total > max ? (max > 3 ? max - 3 : 0) : total;
    for (const char *p = s; *p && n + 5 < len; p++) {
        bool lead = ((unsigned char)*p & 0xC0) != 0x80;
        if (lead && chars == keep)
            break;
        if (lead)
            chars++;
        buf[n++] = (unsigned char)*p < 0x20 || *p == 0x7F ? ' ' : *p;
    }
    if (total > max)
        for (int i = 0; i < 3 && n + 1 < len; i++)
            buf[n++] = '.';
    buf[n] = '\0';
    return buf;
}
