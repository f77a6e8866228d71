/*
 * The evidence a chaos run is judged on, gathered after the hosts stopped: the task documents
 * in the database, the executions reconstructed from the execution log, and the outcomes the
 * hosts say they recorded (their logs).
 */
#ifndef TASKHOST_CHAOS_EVIDENCE_H
#define TASKHOST_CHAOS_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include <bson/bson.h>

#include "fleet.h"
#include "tail.h"

#define DB_MAX_ERRORS 32

struct db_error {
    int attempt;
    char host[FLEET_LABEL];
    char kind[20];
    int64_t at;        /* server time (ms since the epoch) as the writing host estimated it */
    char message[200]; /* its start */
};

struct db_task {
    bool found;
    char state[16];
    int attempts;
    int host_deaths;
    int n_errors; /* entries in errors (at most DB_MAX_ERRORS are kept) */
    struct db_error errors[DB_MAX_ERRORS];
    bool has_result;
    int result_attempt;
    char result_host[FLEET_LABEL];
};

/* The integer _id of a task document, or 0 when it has none. */
int evidence_task_id(const bson_t *doc);

/* Fills t from a task document. */
void evidence_read_task(const bson_t *doc, struct db_task *t);

/* Reads the documents of db.tasks with integer _id 1..n into out[id - 1] (out zeroed by the
 * caller, or holding archived tasks: archive.h). Returns the number of other documents and of
 * documents of archived tasks (there should be none), or -1 when the database cannot be read. */
int evidence_load_tasks(const char *db, int n, struct db_task *out);

/* Adds to counts[id - 1], for every host log line saying that a "rec" task was recorded
 * done ("[task ID]: rec done in"), one. */
void evidence_count_done_logs(const char *log_path, int n, int *counts);

/* One run of a task's plugin, from its start line to its end line. */
struct execution {
    int task;
    int attempt;
    char label[FLEET_LABEL];
    int start_idx, end_idx; /* line numbers in the log; end_idx -1: no end line */
    int64_t t_start, t_end; /* when the driver read them; t_end -1: no end line */
    char status[32];        /* of the end line; "" without one */
    bool recorded;          /* the database holds this execution's outcome */
    int fault;              /* the fault it is put down to (index), -1: none */
};

/* Pairs start and end lines into executions (in start order; caller frees *out). Returns
 * the count; *orphans gets the number of end lines without a start. */
int evidence_executions(const struct exec_line *lines, int n_lines, struct execution **out,
                        int *orphans);

#endif
