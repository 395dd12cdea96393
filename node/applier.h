/* vocfed: a daemon's applier process (SPEC 5.5).
 *
 * A daemon opens its store async_apply: its writes commit the log only,
 * and its receipts wait for nothing else. A child process, with the
 * store opened in it afresh, applies the log to the derived data
 * (store_apply) whenever it is told the log moved (node_applier_kick),
 * and at least every NODE_APPLIER_TICK_MS. It never takes the log's
 * writer lock.
 *
 * A process, not a thread: LMDB must not have one environment open
 * twice in one process (the second open takes the lock file for its
 * own, since fcntl locks never conflict within a process, and resets
 * the reader table other processes' snapshots depend on). The child
 * ends when the daemon closes its end of the kick pipe, or dies (the
 * kernel's parent-death signal); a child that died is started again
 * at the next kick. Between two transactions a kill loses nothing.
 * The child runs NODE_APPLIER_NICE nicer than the daemon: when the cores are
 * busy, the log's work (ingest, receipts, a command's import) goes first and
 * the applier takes what is left; on an idle core it runs at full speed. */
#ifndef VOCFED_NODE_APPLIER_H
#define VOCFED_NODE_APPLIER_H

#include "protocol/status.h"

#include <stddef.h>
#include <stdint.h>

#define NODE_APPLIER_TICK_MS 200 /* the longest wait between two looks */
#define NODE_APPLIER_NICE 10     /* added to the daemon's nice value */

typedef struct node_applier node_applier_t;

/* Starts the applier process for the node in dir (the store must open
 * there with the figures attached: checked in the child, which logs and
 * exits if not). Returns 0 with *out the caller's, or a status. */
int node_applier_start(const char *dir, node_applier_t **out) VOCFED_WUR;

/* The log moved: apply soon. A child that died is started again (once
 * per NODE_APPLIER_TICK_MS at most). Accepts NULL. */
void node_applier_kick(node_applier_t *self);

/* Tells the child to stop after its transaction, waits for it (killing
 * it past a deadline: nothing is lost, the next applier resumes) and
 * NULLs *self. Accepts NULL and *self == NULL. */
void node_applier_stop(node_applier_t **self);

#endif
