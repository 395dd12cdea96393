/* vocfed: the log layer inside storage/ (log.c): authors, tree nodes,
 * heads and the checkpoints of one author, read or written within a
 * transaction someone else runs. Shared by the files of storage/ only.
 *
 * Every function here returns an LMDB code or a vocfed status (the
 * caller translates with store_i_status); borrowed MDB_val bytes live
 * until the transaction's next write or its end. */
#ifndef VOCFED_STORAGE_LOG_INTERNAL_H
#define VOCFED_STORAGE_LOG_INTERNAL_H

#include "storage/ahead.h"
#include "storage/store_internal.h"

/* The author's number. Returns 0, VOCFED_ENOTFOUND, or an LMDB code. */
int store_i_authno(MDB_txn *txn, store_t *self, const char *id, uint32_t *no);

/* The public key of author number no in force now: the last of its key
 * history (keys.c). Returns 0, VOCFED_ECORRUPT (no key stored for a
 * known number) or an LMDB code. */
int store_i_author_pk(MDB_txn *txn, store_t *self, uint32_t no,
                      uint8_t pk[PROTO_PUBKEY_LEN]);

/* The key that signs author no's checkpoint of size `size` (SPEC 3.4):
 * the one of the last history row whose from is below size, else the
 * key registered first. *from (may be NULL) gets that row's from (0
 * for the first key). Returns 0, VOCFED_ECORRUPT or an LMDB code. */
int store_i_key_at(MDB_txn *txn, store_t *self, uint32_t no, uint64_t size,
                   uint8_t pk[PROTO_PUBKEY_LEN], uint64_t *from);

/* Adds a history row: pk signs no's checkpoints past from; how is
 * STORE_KEY_HANDOVER or STORE_KEY_VOUCHED. Returns 0, VOCFED_EINVALID
 * (from not past the last row's), VOCFED_EEXISTS (pk is the key in
 * force already) or an LMDB code. */
int store_i_key_put(MDB_txn *txn, store_t *self, uint32_t no, uint64_t from,
                    const uint8_t pk[PROTO_PUBKEY_LEN], char how);

/* No's history, the first key first, into out (cap rows; *n of them).
 * Returns 0, VOCFED_ETOOLARGE (more than cap), VOCFED_ECORRUPT or an
 * LMDB code. */
int store_i_keys(MDB_txn *txn, store_t *self, uint32_t no, store_key_t *out,
                 size_t cap, size_t *n);

/* The id of author number no into id. Returns 0, VOCFED_ECORRUPT (no
 * such number, or a bad row) or an LMDB code. */
int store_i_author_id(MDB_txn *txn, store_t *self, uint32_t no,
                      char id[PROTO_ID_MAX + 1]);

/* How many authors are registered: their numbers are 0..*n-1, in
 * registration order ('n' keys sort last in authors), and *n is the
 * number the next one gets. Returns an LMDB code. */
int store_i_author_count(store_t *self, MDB_txn *txn, uint32_t *n);

/* Work on one author's log inside a read snapshot. */
typedef int (*store_i_author_fn)(store_t *self, MDB_txn *txn, uint32_t authno,
                                 void *ctx);

/* Begins a read snapshot, finds author's number, runs fn, ends the
 * snapshot. Returns a vocfed status (VOCFED_ENOTFOUND for an unknown
 * author); fn's value is translated by store_i_status. */
int store_i_read_author(store_t *self, const char *author, store_i_author_fn fn,
                        void *ctx);

/* One author's tree inside one transaction, for the node callbacks. */
typedef struct {
    store_t *self;   /* the store */
    MDB_txn *txn;    /* the transaction to read or write in */
    uint32_t authno; /* whose tree */
} store_i_tree_t;

/* proto_node_source_fn / proto_node_sink_fn over the store (ctx is a
 * store_i_tree_t): leaves live with their entries, levels below
 * STORE_NODE_MIN_LEVEL are recomputed, the rest are in nodes. */
int store_i_node_source(void *ctx, unsigned level, uint64_t index,
                        uint8_t out[PROTO_HASH_LEN]);
int store_i_node_sink(void *ctx, unsigned level, uint64_t index,
                      const uint8_t hash[PROTO_HASH_LEN]);

/* An author's tree as a write puts entries in (ingest.c, log.c): its
 * right edge, with the leaves of an aligned block of STORE_BLOCK held
 * back until the block is whole. A whole block goes in as one node:
 * the node the helper hashed from them when its leaves all came from
 * the helper (store_i_block_t, ahead.h), else made from the held leaves
 * a level at a time; one carry instead of 16, and the node stored as
 * the leaves one by one would have stored it. Anything that reads fr
 * flushes it first (the held leaves of a block not whole, one by one). */
typedef struct {
    proto_frontier_t fr;                       /* the edge, held leaves out */
    uint8_t held[STORE_BLOCK][PROTO_HASH_LEN]; /* leaves fr.size ... */
    unsigned nheld;                            /* ... how many */
    bool ahead;      /* every held leaf is one the helper hashed */
    uint64_t blocks; /* blocks of the helper's node (for the tests) */
} store_i_fr_t;

/* Loads f at size leaves from t's stored nodes. */
int store_i_fr_load(store_i_fr_t *f, uint64_t size, store_i_tree_t *t);
/* Appends leaf, its nodes stored in t. ahead: the helper hashed it; blk:
 * the helper's node of the block that ends with it, or NULL. */
int store_i_fr_leaf(store_i_fr_t *f, const uint8_t leaf[PROTO_HASH_LEN],
                    bool ahead, const store_i_block_t *blk, store_i_tree_t *t);
/* Appends the held leaves one by one: f->fr is then the whole tree. */
int store_i_fr_flush(store_i_fr_t *f, store_i_tree_t *t);

/* The stored value of entry seq of authno (leaf hash || entry bytes,
 * borrowed). VOCFED_ECORRUPT when it is missing or too short to hold
 * the leaf hash. */
int store_i_entry_value(store_t *self, MDB_txn *txn, uint32_t authno,
                        uint64_t seq, MDB_val *out);

/* The latest checkpoint of authno (borrowed bytes) or MDB_NOTFOUND. */
int store_i_latest_cp(store_t *self, MDB_txn *txn, uint32_t authno,
                      MDB_val *out);

/* The checkpoint of authno at exactly size (borrowed) or MDB_NOTFOUND. */
int store_i_cp_at(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t size,
                  MDB_val *out);

/* The smallest checkpoint of authno with size >= min (borrowed) and its
 * size, or MDB_NOTFOUND. */
int store_i_cp_covering(store_t *self, MDB_txn *txn, uint32_t authno,
                        uint64_t min, MDB_val *out, uint64_t *size);

/* The largest checkpoint size of authno that is <= max (0 if none). */
int store_i_cp_at_or_below(store_t *self, MDB_txn *txn, uint32_t authno,
                           uint64_t max, uint64_t *size);

/* The number of entries held of authno (its last seq). */
int store_i_log_size(store_t *self, MDB_txn *txn, uint32_t authno,
                     uint64_t *size);

/* The head: size of the log held, its root, the latest checkpoint's time;
 * prev_hash (may be NULL) gets the latest checkpoint's hash, zeros if
 * none. */
int store_i_head(store_t *self, MDB_txn *txn, uint32_t authno,
                 store_head_t *out, uint8_t prev_hash[PROTO_HASH_LEN]);

/* Proofs over authno's tree as it is held (SPEC 2): VOCFED_EINVALID when
 * a size is past the log held. */
int store_i_consistency(store_t *self, MDB_txn *txn, uint32_t authno,
                        uint64_t old_size, uint64_t new_size,
                        proto_proof_t *out);
int store_i_compact_range(store_t *self, MDB_txn *txn, uint32_t authno,
                          uint64_t begin, uint64_t end, proto_proof_t *out);

/* Calls fn(ctx, seq, entry bytes) for authno's entries from seq from on
 * (the same contract as store_scan_entries): returns MDB_SUCCESS, fn's
 * non-zero value, or an LMDB code / vocfed status. */
int store_i_scan_entries(store_t *self, MDB_txn *txn, uint32_t authno,
                         uint64_t from, store_entry_fn fn, void *ctx);

/* Calls fn(ctx, size, bytes) for authno's checkpoints with min <= size
 * <= max, as store_i_scan_entries. */
typedef int (*store_i_cp_fn)(void *ctx, uint64_t size, const uint8_t *cp,
                             size_t len);
int store_i_scan_cps(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t min,
                     uint64_t max, store_i_cp_fn fn, void *ctx);

#endif
