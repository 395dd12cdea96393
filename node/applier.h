/* vocfed: a daemon's applier thread (SPEC 5.5).
 *
 * A daemon opens its store async_apply: its writes commit the log only,
 * and its receipts wait for nothing else. This thread, with a store
 * handle of its own (a store_t is used by one thread), applies the log
 * to the derived data (store_apply) whenever it is told the log moved
 * (node_applier_kick), and at least every NODE_APPLIER_TICK_MS. It never
 * takes the log's writer lock. */
#ifndef VOCFED_NODE_APPLIER_H
#define VOCFED_NODE_APPLIER_H

#include "protocol/status.h"

#include <stddef.h>
#include <stdint.h>

#define NODE_APPLIER_TICK_MS 200 /* the longest wait between two looks */
#define NODE_APPLIER_CHUNK 65536 /* entries per transaction at most */

typedef struct node_applier node_applier_t;

/* Opens the node in dir again (the figures attached) and starts the
 * thread. Returns 0 with *out the caller's, or a status. */
int node_applier_start(const char *dir, node_applier_t **out) VOCFED_WUR;

/* The log moved: apply soon. Accepts NULL. */
void node_applier_kick(node_applier_t *self);

/* Entries applied so far by this thread. */
uint64_t node_applier_count(node_applier_t *self);

/* Stops the thread between two transactions, waits for it, closes its
 * handle and NULLs *self. What is not applied yet stays in the log for
 * the next applier. Accepts NULL and *self == NULL. */
void node_applier_stop(node_applier_t **self);

#endif
