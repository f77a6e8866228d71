/*
 * Keeps the tasks collection small during a run, as an operator would with `taskhost purge`:
 * every few seconds, tasks that finished (done or dead) more than `age_ms` ago are read into
 * memory for the final checks and deleted from the collection. The test server (an H2-backed
 * mongo-java-server) scans the whole collection for every claim, so a collection of 10000
 * tasks would make the server, not the hosts, the subject of the long run.
 *
 * Tasks are archived long after any fault could still touch them (age_ms is several leases
 * more than the longest pause or cut), and only while still final.
 */
#ifndef TASKHOST_CHAOS_ARCHIVE_H
#define TASKHOST_CHAOS_ARCHIVE_H

#include "evidence.h"

/* Starts archiving tasks 1..n of db.tasks into out[id - 1] (zeroed by the caller; it must
 * live until archive_stop). */
void archive_start(const char *db, int n, int age_ms, struct db_task *out);

/* How many tasks were archived so far. */
int archive_count(void);

/* Stops archiving; returns how many tasks were archived. */
int archive_stop(void);

#endif
