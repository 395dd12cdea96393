/* vocfed: a hot copy of a store's log, and the fence a copy carries
 * (SPEC 5.2 `fence`, 5.6).
 *
 * store_backup writes a compacted, consistent copy of the log's
 * environment (data.mdb, one read snapshot: LMDB's copy with
 * compaction) into a folder of its own while writers go on; the derived
 * environment is not copied: it follows from the log and is applied
 * again when the copy is opened. The copy is fenced: a store put back
 * from a copy may lack entries of its own log that the coordinator
 * holds, so it signs nothing until a session with the coordinator has
 * fetched them (node/member.c clears the fence). */
#ifndef VOCFED_STORAGE_BACKUP_H
#define VOCFED_STORAGE_BACKUP_H

#include "storage/store.h"

#include <stddef.h>
#include <stdint.h>

/* The meta value that fences a store (SPEC 5.2). */
#define STORE_META_FENCE "fence"

/* Told while a copy is written: bytes written so far and the most the
 * copy can take (the pages the log uses now). */
typedef void (*store_backup_fn)(void *ctx, uint64_t done, uint64_t most);

/* Copies self's log into the folder dest (which must exist and hold no
 * data.mdb), compacted, from one read snapshot, and fences the copy with
 * why (NULL: no fence). progress (may be NULL) is called about every MiB
 * written. The copy is synced to disk before it returns. Returns 0,
 * VOCFED_EEXISTS (dest holds a data.mdb), VOCFED_ESTORAGEFULL, -errno or
 * another status; on failure the partial copy is removed. */
int store_backup(store_t *self, const char *dest, const char *why,
                 store_backup_fn progress, void *ctx) VOCFED_WUR;

/* Fences self: it signs nothing until store_fence_clear (why: a short
 * line for people). Returns 0 or a status. */
int store_fence_set(store_t *self, const char *why) VOCFED_WUR;

/* Returns 0 and the reason in why (cap bytes) when self is fenced,
 * VOCFED_ENOTFOUND when it is not, or another status. */
int store_fence_get(store_t *self, char *why, size_t cap) VOCFED_WUR;

/* Lifts the fence (nothing when there is none). Returns 0 or a
 * status. */
int store_fence_clear(store_t *self) VOCFED_WUR;

#endif
