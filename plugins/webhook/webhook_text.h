/*
 * Bytes from the network as text for a result document or a message.
 */
#ifndef TASKHOST_WEBHOOK_TEXT_H
#define TASKHOST_WEBHOOK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The n bytes at data as a NUL-terminated UTF-8 string: every byte that is
 * not part of a valid UTF-8 character, and every NUL, becomes U+FFFD; when
 * `cut` (the bytes are the start of something longer), a character cut at
 * the end is dropped. Returns an allocation the caller frees, or NULL when
 * out of memory.
 */
char *webhook_text(const char *data, size_t n, bool cut);

#endif
