/*
 * Writes the seed corpus of fuzz_task_doc: one BSON file per task document, good ones and
 * malformed ones (the same kinds tests/integration/test_bad_docs.c inserts), into the
 * directory given as the only argument:
 *
 *   build/tests/fuzz/gen_task_doc_corpus tests/fuzz/corpus/task_doc
 *
 * The files are committed; run this again after changing the table below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#define OID  "{\"$oid\": \"65f0c0ffee0000000000beef\"}"
#define DATE "{\"$date\": {\"$numberLong\": \"1700000000000\"}}"
#define TASK "\"_id\": " OID ", \"type\": \"noop\""

struct seed {
    const char *name;
    const char *json; /* canonical extended JSON */
};

static const struct seed SEEDS[] = {
    /* good */
    {"good_minimal", "{" TASK "}"},
    {"good_payload", "{" TASK ", \"payload\": {\"n\": {\"$numberInt\": \"1\"}, \"s\": \"x\", "
                     "\"a\": [true, null, {\"$numberDouble\": \"2.5\"}]}}"},
    {"good_queued",
     "{" TASK ", \"payload\": {}, \"state\": \"queued\", \"priority\": {\"$numberInt\": \"5\"}, "
     "\"run_at\": " DATE ", \"attempts\": {\"$numberInt\": \"0\"}, \"max_retries\": "
     "{\"$numberInt\": \"3\"}, \"created_at\": " DATE ", \"errors\": [], \"host_deaths\": "
     "{\"$numberInt\": \"0\"}}"},
    {"good_rescue",
     "{" TASK ", \"state\": \"running\", \"attempts\": {\"$numberLong\": \"2\"}, \"host_deaths\": "
     "{\"$numberInt\": \"1\"}, \"lease\": {\"owner\": \"host-a:12\", \"token\": " OID
     ", \"expires_at\": " DATE "}, \"errors\": [{\"attempt\": {\"$numberInt\": \"1\"}, \"kind\": "
     "\"failed\", \"message\": \"boom\"}], \"cancel_requested\": true}"},
    {"good_int_id", "{\"_id\": {\"$numberInt\": \"42\"}, \"type\": \"rec\", \"payload\": {}}"},
    {"good_string_id", "{\"_id\": \"order-\\\"7\\\"\\n\", \"type\": \"rec\"}"},
    {"good_document_id", "{\"_id\": {\"a\": [1, 2], \"b\": " DATE "}, \"type\": \"rec\"}"},
    {"good_double_attempts", "{" TASK ", \"attempts\": {\"$numberDouble\": \"2.0\"}}"},
    {"good_null_payload", "{" TASK ", \"payload\": null, \"max_retries\": null}"},
    /* not addressable: no _id, no string type */
    {"no_id", "{\"type\": \"noop\"}"},
    {"missing_type", "{\"_id\": " OID ", \"payload\": {}}"},
    {"type_number", "{\"_id\": " OID ", \"type\": {\"$numberInt\": \"7\"}}"},
    {"type_null", "{\"_id\": " OID ", \"type\": null}"},
    {"type_array", "{\"_id\": " OID ", \"type\": [\"noop\"]}"},
    {"type_document", "{\"_id\": " OID ", \"type\": {\"name\": \"noop\"}}"},
    /* payload of a wrong type */
    {"payload_string", "{" TASK ", \"payload\": \"hello\"}"},
    {"payload_number", "{" TASK ", \"payload\": {\"$numberInt\": \"3\"}}"},
    {"payload_array", "{" TASK ", \"payload\": [1, 2]}"},
    {"payload_bool", "{" TASK ", \"payload\": false}"},
    {"payload_binary",
     "{" TASK ", \"payload\": {\"$binary\": {\"base64\": \"AAEC\", \"subType\": \"00\"}}}"},
    {"payload_date", "{" TASK ", \"payload\": " DATE "}"},
    /* counters */
    {"attempts_negative", "{" TASK ", \"attempts\": {\"$numberInt\": \"-1\"}}"},
    {"attempts_huge", "{" TASK ", \"attempts\": {\"$numberLong\": \"9223372036854775807\"}}"},
    {"attempts_string", "{" TASK ", \"attempts\": \"3\"}"},
    {"attempts_fraction", "{" TASK ", \"attempts\": {\"$numberDouble\": \"1.5\"}}"},
    {"attempts_nan", "{" TASK ", \"attempts\": {\"$numberDouble\": \"NaN\"}}"},
    {"attempts_inf", "{" TASK ", \"attempts\": {\"$numberDouble\": \"-Infinity\"}}"},
    {"attempts_1e300", "{" TASK ", \"attempts\": {\"$numberDouble\": \"1e300\"}}"},
    {"max_retries_zero", "{" TASK ", \"max_retries\": {\"$numberInt\": \"0\"}}"},
    {"max_retries_negative", "{" TASK ", \"max_retries\": {\"$numberInt\": \"-1\"}}"},
    {"max_retries_5000", "{" TASK ", \"max_retries\": {\"$numberInt\": \"5000\"}}"},
    {"max_retries_string", "{" TASK ", \"max_retries\": \"3\"}"},
    {"host_deaths_negative", "{" TASK ", \"host_deaths\": {\"$numberInt\": \"-1\"}}"},
    {"priority_string", "{" TASK ", \"priority\": \"high\"}"},
    {"priority_decimal", "{" TASK ", \"priority\": {\"$numberDecimal\": \"1.0\"}}"},
    /* other fields */
    {"errors_string", "{" TASK ", \"errors\": \"x\"}"},
    {"lease_string", "{" TASK ", \"state\": \"running\", \"lease\": \"x\"}"},
    {"lease_owner_number", "{" TASK ", \"lease\": {\"owner\": {\"$numberInt\": \"1\"}}}"},
    {"run_at_string", "{" TASK ", \"state\": \"queued\", \"run_at\": \"tomorrow\"}"},
    {"state_paused", "{" TASK ", \"state\": \"paused\"}"},
    {"state_number", "{" TASK ", \"state\": {\"$numberInt\": \"42\"}}"},
    {"state_empty", "{" TASK ", \"state\": \"\"}"},
    {"state_long", "{" TASK ", \"state\": \"running-but-much-longer-than-sixteen-bytes\"}"},
    {"cancel_requested_string", "{" TASK ", \"cancel_requested\": \"yes\"}"},
    {"duplicate_fields", "{" TASK ", \"type\": {\"$numberInt\": \"1\"}, \"payload\": {}, "
                         "\"payload\": \"x\"}"},
    {"type_long", "{\"_id\": " OID ", \"type\": \"typetypetypetypetypetypetypetypetypetypetypetypet"
                  "ypetypetypetypetypetypetypetypetypetypetypetypetypetypetypetypetypetypetypety"
                  "petypetypetypetypetypetypetypetypetypetypetypetypetypetypetypetypetype\"}"},
};

static int write_doc(const char *dir, const char *name, const bson_t *doc)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.bson", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(bson_get_data(doc), 1, doc->len, f) != doc->len || fclose(f) != 0) {
        fprintf(stderr, "gen_task_doc_corpus: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* {_id, type: "noop", payload: {v: {v: ... {leaf: 1}}}} with `levels` documents in all. */
static bson_t *nested(int levels)
{
    bson_t *inner = bson_new();
    BSON_APPEND_INT32(inner, "leaf", 1);
    for (int i = 1; i < levels; i++) {
        bson_t *outer = bson_new();
        BSON_APPEND_DOCUMENT(outer, "v", inner);
        bson_destroy(inner);
        inner = outer;
    }
    bson_t *doc = bson_new();
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "65f0c0ffee0000000000beef");
    BSON_APPEND_OID(doc, "_id", &oid);
    BSON_APPEND_UTF8(doc, "type", "noop");
    BSON_APPEND_DOCUMENT(doc, "payload", inner);
    bson_destroy(inner);
    return doc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
        return 64;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof SEEDS / sizeof SEEDS[0]; i++) {
        bson_error_t e;
        bson_t *doc = bson_new_from_json((const uint8_t *)SEEDS[i].json, -1, &e);
        if (doc == NULL) {
            fprintf(stderr, "gen_task_doc_corpus: %s: %s\n", SEEDS[i].name, e.message);
            return 70;
        }
        rc |= write_doc(argv[1], SEEDS[i].name, doc);
        bson_destroy(doc);
    }
    bson_t *deep = nested(90);
    rc |= write_doc(argv[1], "payload_nested_90", deep);
    bson_destroy(deep);
    return rc == 0 ? 0 : 74;
}
