/*
 * Small BSON builders shared by the store's queries and updates.
 */
#ifndef TASKHOST_STORE_QUERY_H
#define TASKHOST_STORE_QUERY_H

#include <stdint.h>

#include <bson/bson.h>

/* Appends a date field from server-time milliseconds. */
void store_append_date(bson_t *b, const char *key, int64_t ms);

/* Appends an array of n strings under key. */
void store_append_strings(bson_t *b, const char *key, const char *const *v, int n);

/* Appends {field: {op: [strings]}}, e.g. {type: {$in: [...]}}. */
void store_append_op(bson_t *b, const char *field, const char *op, const char *const *v, int n);

/* True when a and b are the same BSON value (same type, same bytes). */
bool store_same_value(const bson_value_t *a, const bson_value_t *b);

#endif
