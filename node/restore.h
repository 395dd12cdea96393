/* vocfed: what an old store of a member holds that the coordinator never
 * received (`vocfed restore --from`, SPEC 5.6).
 *
 * A member rebuilt from the coordinator's copy of its log lacks what it
 * signed after its last batch reached the coordinator. An old store (a
 * backup, or the lost store itself) may still hold it. The plan names,
 * for each (kind, key) of the member's log in the old store, the record
 * to sign again: the old store's last entry for it, when the rebuilt log
 * does not hold that very entry at its seq (so the coordinator never got
 * it) and the rebuilt current record differs from it (another value, or
 * none; a del only where the rebuilt store holds the record). In the old
 * store's seq order. */
#ifndef VOCFED_NODE_RESTORE_H
#define VOCFED_NODE_RESTORE_H

#include "storage/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct node_restore_plan_t node_restore_plan_t;

/* Compares author's log in old with the one in cur (both stores
 * borrowed; neither written). Returns 0 with *out owned by the caller,
 * VOCFED_ENOMEM, or what reading or decoding an entry returned (an old
 * store's entry that does not decode: VOCFED_EMALFORMED...). */
int node_restore_plan(store_t *old, store_t *cur, const char *author,
                      node_restore_plan_t **out) VOCFED_WUR;

/* Frees the plan and NULLs *self; accepts NULL. */
void node_restore_plan_destroy(node_restore_plan_t **self);

/* The records to append (owned by the plan), *n of them, for
 * node_append. */
const store_record_t *node_restore_plan_records(const node_restore_plan_t *self,
                                                size_t *n);

/* The old store's seq of record i (for messages). */
uint64_t node_restore_plan_old_seq(const node_restore_plan_t *self, size_t i);

#endif
