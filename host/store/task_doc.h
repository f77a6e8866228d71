/*
 * The task document: field names and the decoding of a claimed document.
 * docs/task-format.md is the contract; this file is its reader.
 */
#ifndef TASKHOST_STORE_TASK_DOC_H
#define TASKHOST_STORE_TASK_DOC_H

#include <stdbool.h>
#include <stdint.h>

#include <bson/bson.h>

#define TD_ID               "_id"
#define TD_TYPE             "type"
#define TD_PAYLOAD          "payload"
#define TD_STATE            "state"
#define TD_PRIORITY         "priority"
#define TD_RUN_AT           "run_at"
#define TD_ATTEMPTS         "attempts"
#define TD_MAX_RETRIES      "max_retries"
#define TD_LEASE            "lease"
#define TD_LEASE_OWNER      "lease.owner"
#define TD_LEASE_TOKEN      "lease.token"
#define TD_LEASE_EXPIRES    "lease.expires_at"
#define TD_ERRORS           "errors"
#define TD_RESULT           "result"
#define TD_PROGRESS         "progress"
#define TD_HOST_DEATHS      "host_deaths"
#define TD_CREATED_AT       "created_at"
#define TD_CLAIMED_AT       "claimed_at"
#define TD_FINISHED_AT      "finished_at"
#define TD_UPDATED_AT       "updated_at"
#define TD_CANCEL_REQUESTED "cancel_requested"
#define TD_LAST_HOST        "last_host"
#define TD_UNIQUE_KEY       "unique_key"   /* live tasks only: unique (sparse index) */
#define TD_FINISHED_KEY     "finished_key" /* the unique_key of a finished task */
#define TD_OPERATOR_RETRIES "operator_retries"

/* States. A document without `state` is new (inserted by hand). */
#define TS_QUEUED    "queued"
#define TS_RUNNING   "running"
#define TS_RETRY     "retry"
#define TS_DONE      "done"
#define TS_DEAD      "dead"
#define TS_CANCELLED "cancelled"

#define TD_MAX_RETRIES_LIMIT 1000
#define TD_TYPE_MAX          200

/* What the host reads from a claimed document (its state before the claim). */
struct task_doc {
    bson_value_t id;       /* owned copy */
    char id_str[128];      /* rendered for logs */
    char *type;            /* owned */
    bson_t *payload;       /* owned copy; empty when absent or malformed (never NULL after
                            * a successful decode; a pointer, so the struct can be moved) */
    char state[16];        /* the state before the claim ("" when absent) */
    int attempts;          /* finished attempts so far */
    int max_retries;       /* the document's own limit, or -1 */
    int host_deaths;       /* attempts lost with their host */
    char lease_owner[201]; /* previous owner when the lease had expired */
    bool cancel_requested;
    bool has_created_at; /* false for some tasks inserted by hand */
    bool has_priority;
    bool errors_malformed; /* `errors` exists and is not an array */
    /* Non-empty when the document is malformed: why, in words an operator
     * understands. Such a task is marked dead with this message. */
    char problem[512];
};

/*
 * Decodes a document. Returns false only when it has no _id or type (it can
 * then not be addressed at all); a malformed field sets d->problem instead.
 * Free with task_doc_destroy.
 */
bool task_doc_decode(const bson_t *doc, struct task_doc *d);
void task_doc_destroy(struct task_doc *d);

/* A short English name of a BSON type ("a string", "an array"). */
const char *task_doc_type_name(bson_type_t t);

#endif
