#include "store/query.h"

void store_append_date(bson_t *b, const char *key, int64_t ms)
{
    bson_append_date_time(b, key, -1, ms);
}

void store_append_strings(bson_t *b, const char *key, const char *const *v, int n)
{
    bson_t arr;
    bson_append_array_begin(b, key, -1, &arr);
    for (int i = 0; i < n; i++) {
        char buf[16];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, buf, sizeof buf);
        bson_append_utf8(&arr, k, -1, v[i], -1);
    }
    bson_append_array_end(b, &arr);
}

void store_append_op(bson_t *b, const char *field, const char *op, const char *const *v, int n)
{
    bson_t sub;
    bson_append_document_begin(b, field, -1, &sub);
    store_append_strings(&sub, op, v, n);
    bson_append_document_end(b, &sub);
}

bool store_same_value(const bson_value_t *a, const bson_value_t *b)
{
    if (a->value_type != b->value_type)
        return false;
    bson_t da = BSON_INITIALIZER, db = BSON_INITIALIZER;
    BSON_APPEND_VALUE(&da, "v", a);
    BSON_APPEND_VALUE(&db, "v", b);
    bool same = bson_equal(&da, &db);
    bson_destroy(&da);
    bson_destroy(&db);
    return same;
}
