/* vocfed: the store's LMDB layout, shared by store.c and verify.c only.
 * Nothing outside storage/ includes this file (SPEC 5.1). */
#ifndef VOCFED_STORAGE_STORE_INTERNAL_H
#define VOCFED_STORAGE_STORE_INTERNAL_H

#include "storage/store.h"

#include "protocol/merkle.h"

#include <lmdb.h>

#define STORE_KEY_ENTRY_LEN 12 /* authno u32 | seq u64 */
#define STORE_KEY_NODE_LEN 13  /* authno u32 | level u8 | index u64 */
#define STORE_KEY_CP_LEN 12    /* authno u32 | size u64 */
#define STORE_KEY_RECORD_MAX (4 + PROTO_KIND_MAX + 1 + PROTO_KEY_MAX)

struct store_t {
    MDB_env *env;           /* the environment (one per node) */
    MDB_dbi meta;           /* name -> short string */
    MDB_dbi authors;        /* 'i' id -> authno; 'n' authno -> pk | id */
    MDB_dbi entries;        /* authno | seq -> entry bytes */
    MDB_dbi nodes;          /* authno | level | index -> 32-byte hash */
    MDB_dbi checkpoints;    /* authno | size -> signed checkpoint */
    MDB_dbi records;        /* authno | kind 0x00 key -> seq u64 */
    MDB_dbi figures;        /* figure id | breakdown -> value (issue 4) */
    MDB_dbi peers;          /* peer | author -> cursor, receipt (issue 3) */
    MDB_dbi roster;         /* member id -> key and state (issue 3) */
    MDB_dbi evidence;       /* author | n -> conflicting checkpoints */
    MDB_dbi pending;        /* authno -> covering checkpoint + range proof */
    MDB_dbi alarms;         /* time | n -> alarm record */
    size_t map_size;        /* current map size in bytes */
    char *dir;              /* the folder (statfs and log lines) */
    uint64_t full_log_ms;   /* monotonic ms when "storage full" may be
                               logged again */
    uint64_t full_unlogged; /* storage-full failures not logged since */
    store_hook_t hook;      /* derived data kept with the records */
    bool has_hook;          /* hook is set */
    proto_buf_t scratch;    /* copy of a replaced record for the hook */
    struct store_txn {
        store_t *self; /* the store */
        MDB_txn *txn;  /* the LMDB transaction */
    } htxn;            /* what the hook sees during a write */
};

/* Updates the current-record index for entry e (seq) of authno and calls
 * the hook's entry callback with the record it replaces. missing_del_ok:
 * a del of an absent record is not an error (replicas). */
int store_i_apply(store_t *self, MDB_txn *txn, uint32_t authno,
                  const char *author, const proto_entry_t *e, uint64_t seq,
                  bool missing_del_ok);

/* Calls the hook's begin / end (no-ops without a hook). */
int store_i_hook_begin(store_t *self, MDB_txn *txn);
int store_i_hook_end(store_t *self, MDB_txn *txn);

/* Big-endian helpers for keys: keys sort as numbers. */
void store_i_be32(uint8_t *p, uint32_t v);
void store_i_be64(uint8_t *p, uint64_t v);
uint32_t store_i_rd32(const uint8_t *p);
uint64_t store_i_rd64(const uint8_t *p);

void store_i_key_entry(uint8_t k[STORE_KEY_ENTRY_LEN], uint32_t a,
                       uint64_t seq);
void store_i_key_node(uint8_t k[STORE_KEY_NODE_LEN], uint32_t a, unsigned level,
                      uint64_t index);
void store_i_key_cp(uint8_t k[STORE_KEY_CP_LEN], uint32_t a, uint64_t size);
/* Returns the key length. kind and key must be valid (bounded). */
size_t store_i_key_record(uint8_t k[STORE_KEY_RECORD_MAX], uint32_t a,
                          const char *kind, size_t kind_len, const char *key,
                          size_t key_len);

/* Begins a read snapshot, absorbing a map grown by another process, and
 * reopening the environment if a failed commit left it unusable
 * (MDB_PANIC; SPEC 5.4): no other transaction of self may be open then. */
int store_i_read_begin(store_t *self, MDB_txn **txn);

/* The author's number. Returns 0, VOCFED_ENOTFOUND, or an LMDB code. */
int store_i_authno(MDB_txn *txn, store_t *self, const char *id, uint32_t *no);

/* Work done inside a write transaction. Returns an LMDB code or a vocfed
 * status; it may run more than once (after a map resize), so it must
 * have no effect outside the transaction. */
typedef int (*store_i_txn_fn)(store_t *self, MDB_txn *txn, void *ctx);

/* Runs fn in a write transaction and commits, growing the map and
 * retrying when it fills (SPEC 5.4). A write that fails for want of disk
 * space (ENOSPC, EDQUOT, or LMDB's EIO for a short write on a file system
 * that is full) is VOCFED_ESTORAGEFULL: nothing of it is kept and the
 * file is cut back to the last commit's pages. Returns a vocfed status. */
int store_i_write(store_t *self, store_i_txn_fn fn, void *ctx);

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

/* The latest checkpoint of authno (borrowed bytes) or MDB_NOTFOUND. */
int store_i_latest_cp(store_t *self, MDB_txn *txn, uint32_t authno,
                      MDB_val *out);

/* The number of entries held of authno (its last seq). */
int store_i_log_size(store_t *self, MDB_txn *txn, uint32_t authno,
                     uint64_t *size);

/* The head: size of the log held, its root, the latest checkpoint's time;
 * prev_hash (may be NULL) gets the latest checkpoint's hash, zeros if
 * none. */
int store_i_head(store_t *self, MDB_txn *txn, uint32_t authno,
                 store_head_t *out, uint8_t prev_hash[PROTO_HASH_LEN]);

/* Milliseconds since the epoch. */
uint64_t store_i_now_ms(void);

/* Translates an LMDB or vocfed code into a vocfed status, logging the
 * LMDB text. */
int store_i_status(int rc);

#endif
