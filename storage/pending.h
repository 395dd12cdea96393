/* vocfed: checkpoints held past the entries (SPEC 5.1 `pending`, 8.4):
 * every validly signed checkpoint of a batch that covers more than the
 * batch is kept, with the compact range that proved the entries up to
 * it, until the entries reach its size; it is evidence meanwhile. Shared
 * by the files of storage/ only (ingest.c writes, verify.c reads).
 *
 * Key: authno u32 || size u64. Value: msgpack [bin checkpoint, [bin 32,
 * ...]] (the range [entries held then, size)). A row written by the
 * first format (key authno alone, one per author) is read the same way
 * and moved to its key by size on the author's next ingest. Functions
 * return an LMDB code or a vocfed status. */
#ifndef VOCFED_STORAGE_PENDING_H
#define VOCFED_STORAGE_PENDING_H

#include "protocol/checkpoint.h"
#include "protocol/merkle.h"
#include "storage/store_internal.h"

#define STORE_KEY_PENDING_LEN 12 /* authno u32 || size u64 */

/* One pending checkpoint, copied out of the transaction. */
typedef struct {
    uint64_t size;                    /* the size it covers */
    uint8_t cp[PROTO_CHECKPOINT_MAX]; /* its signed bytes */
    size_t len;                       /* their length */
    proto_proof_t range;              /* the range kept with it */
} store_i_pending_t;

/* Decodes a pending value into out (size from the checkpoint body, not
 * checked for a signature). VOCFED_ECORRUPT when it does not decode. */
int store_i_pending_decode(const MDB_val *val, store_i_pending_t *out);

/* Moves authno's first-format row, if any, to its key by size (or drops
 * it when a row of that size is there already: the same checkpoint or
 * evidence kept). */
int store_i_pending_migrate(store_t *self, MDB_txn *txn, uint32_t authno);

/* Calls fn for each of authno's rows (both key forms) with size in
 * [min, max], in key order. fn's non-zero value stops the scan. */
typedef int (*store_i_pending_fn)(void *ctx, const store_i_pending_t *p);
int store_i_pending_scan(store_t *self, MDB_txn *txn, uint32_t authno,
                         uint64_t min, uint64_t max, store_i_pending_fn fn,
                         void *ctx);

/* The row of authno at exactly size into out, or MDB_NOTFOUND. */
int store_i_pending_at(store_t *self, MDB_txn *txn, uint32_t authno,
                       uint64_t size, store_i_pending_t *out);

/* Writes (or replaces) the row of authno at size: the signed checkpoint
 * cp (len bytes) and range; scratch is a buffer to encode into. */
int store_i_pending_put(store_t *self, MDB_txn *txn, uint32_t authno,
                        uint64_t size, const uint8_t *cp, size_t len,
                        const proto_proof_t *range, proto_buf_t *scratch);

/* Deletes the row of authno at size (absent is fine). */
int store_i_pending_del(store_t *self, MDB_txn *txn, uint32_t authno,
                        uint64_t size);

#endif
