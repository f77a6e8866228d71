/* The indexes the host's queries use, created idempotently at start-up. */
#ifndef TASKHOST_STORE_INDEXES_H
#define TASKHOST_STORE_INDEXES_H

#include "store/store.h"

/* Creates (or confirms) every index of the tasks collection. */
bool store_ensure_indexes(struct store *s, struct error *err);

#endif
