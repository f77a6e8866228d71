/*
 * The tail of a stream: keeps the last `cap` bytes written to it (a ring
 * buffer) and how many bytes there were in all, and renders what it kept as
 * valid UTF-8 text for a result document.
 */
#ifndef TASKHOST_EXEC_TAIL_H
#define TASKHOST_EXEC_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct exec_tail {
    char *buf;      /* cap bytes (NULL when cap is 0); owned */
    size_t cap;     /* bytes kept at most */
    size_t start;   /* index of the oldest byte kept */
    size_t len;     /* bytes kept */
    uint64_t total; /* bytes appended in all */
};

/* An empty tail keeping at most cap bytes. Returns false when out of memory.
 * Free with exec_tail_free. */
bool exec_tail_init(struct exec_tail *t, size_t cap);
void exec_tail_free(struct exec_tail *t);

/* Appends n bytes, forgetting the oldest beyond cap. */
void exec_tail_append(struct exec_tail *t, const char *data, size_t n);

/*
 * The last `max_bytes` bytes kept (all of them when max_bytes >= len) as a
 * NUL-terminated UTF-8 string: a character cut at the start is dropped, and
 * every byte that is not part of a valid UTF-8 character, and every NUL, is
 * replaced by U+FFFD. Returns an allocation the caller frees, or NULL when
 * out of memory.
 */
char *exec_tail_text(const struct exec_tail *t, size_t max_bytes);

#endif
