/* vocfed: the node's LMDB store (SPEC 5).
 *
 * Two LMDB environments per node. The log's (data.mdb) holds every log
 * the node has: entries by (author, seq), the Merkle nodes of each
 * author's tree, the signed checkpoints, the order entries arrived in,
 * and meta data. A write of entries, their tree nodes and the checkpoint
 * is one transaction of it: after a crash either all of it is there or
 * none of it. The derived environment (derived.mdb) holds what follows
 * from the logs (the current-record index, the figures) with the point
 * of the arrival order it has applied, in the same transaction:
 * store_apply takes it forward, behind the log and without its writer's
 * lock (SPEC 5.5). When a map fills the store grows it and retries the
 * transaction, so MDB_MAP_FULL is never an error for the caller.
 *
 * A store_t is used by one thread at a time. Several processes may open
 * the same store: LMDB serialises their writers.
 *
 * Implemented by layer: env.c (open, transactions, meta), log.c and
 * log_read.c (authors, append, reads, proofs), derived.c (the hook, the
 * record index, counters, blobs); storage/store_internal.h maps them. */
#ifndef VOCFED_STORAGE_STORE_H
#define VOCFED_STORAGE_STORE_H

#include "protocol/buf.h"
#include "protocol/checkpoint.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/merkle.h"
#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_FORMAT_VERSION 1
#define STORE_DEFAULT_MAP_SIZE ((size_t)256 << 20)
/* The file in a store's folder (and in a derived folder) that its
 * openers take in turn, an exclusive flock each (SPEC 5.1). */
#define STORE_OPEN_LOCK "open.lock"
/* Perfect subtrees below this level are not stored but recomputed from
 * the leaf hashes kept with the entries (at most 8 of them). SPEC 5.1 */
#define STORE_NODE_MIN_LEVEL 4

typedef struct store_t store_t;

/* How to open a store. Zero-initialise for the defaults. */
typedef struct {
    bool create;             /* make the folder's store if there is none */
    size_t map_size;         /* initial map size in bytes; 0 = the larger of
                                STORE_DEFAULT_MAP_SIZE and the file's size
                                and a quarter more */
    uint64_t *found_version; /* if not NULL, receives the format version
                        found in the folder (0 if none), also when
                        store_open fails with VOCFED_EVERSION */
    bool no_derived;         /* writes keep the log and the record index
                                only. Without it a write that changes
                                records (store_append, store_ingest*)
                                is refused (VOCFED_EINVALID) until an
                                apply hook is set (store_set_hook): a
                                node's writes go through node_open, which
                                attaches the figures, so none can forget
                                them. For storage's own tests and the
                                benches of the bare log. */
    bool async_apply;        /* writes commit the log only and leave the
                                derived data to store_apply (a daemon's
                                applier thread); reads of derived data
                                do not catch up first. Without it every
                                write applies what it wrote before it
                                returns, and reads of derived data
                                (records, counters, blobs) first apply
                                whatever the log holds beyond them. */
    const char *derived_dir; /* the folder of the derived environment
                                (derived.mdb, its lock and its guard),
                                NULL for dir: a recomputation beside the
                                kept one (store_rederive_compare) */
    bool lazy_apply;         /* writes commit the log only, as with
                                async_apply, but reads of derived data
                                first apply what the log holds beyond
                                them: a command's store (its receipt is
                                the log's commit; a daemon's applier, or
                                the next read, applies it). */
} store_opts_t;

/* One record to append: a put (body) or a del (body NULL). */
typedef struct {
    proto_op_t op;       /* put or del */
    const char *kind;    /* NUL-terminated kind */
    const char *key;     /* NUL-terminated natural key */
    const uint8_t *body; /* canonical body (proto_body_encode), or NULL */
    size_t body_len;     /* its length */
    bool body_made;      /* proto_body_encode made body in this process
                            (an import's rows): not read again to check
                            it (proto_entry_encode_made); else it is */
} store_record_t;

/* The head of one author's log: its latest checkpoint. */
typedef struct {
    uint64_t size;                /* entries, seq 1..size; 0 if none */
    uint8_t root[PROTO_HASH_LEN]; /* tree root at size */
    uint64_t time_ms;             /* checkpoint time; 0 if none */
} store_head_t;

/* Called once per entry by store_scan_entries. data is valid only
 * during the call. Return 0 to go on, anything else to stop (and that
 * value is returned by the scan). */
typedef int (*store_entry_fn)(void *ctx, uint64_t seq, const uint8_t *data,
                              size_t len);

/* Called once per author by store_scan_authors. */
typedef int (*store_author_fn)(void *ctx, const char *id,
                               const uint8_t pk[PROTO_PUBKEY_LEN]);

/* Opens (or with opts->create, creates) the store in dir. Returns 0,
 * VOCFED_ENOTFOUND (no store), VOCFED_EVERSION (another format version:
 * the store is left untouched), VOCFED_ELOCKED, or another status. opts
 * may be NULL. On success *out is owned by the caller. */
int store_open(const char *dir, const store_opts_t *opts,
               store_t **out) VOCFED_WUR;

/* Closes the store and NULLs *self. Accepts NULL and *self == NULL. */
void store_destroy(store_t **self);

/* Meta values (SPEC 5.2) are short strings. Returns 0 or
 * VOCFED_ENOTFOUND. out must hold cap bytes; VOCFED_ETOOLARGE if not. */
int store_meta_get(store_t *self, const char *name, char *out,
                   size_t cap) VOCFED_WUR;
int store_meta_set(store_t *self, const char *name,
                   const char *value) VOCFED_WUR;

/* Registers an author and the public key its checkpoints are verified
 * with. Returns 0, VOCFED_EEXISTS (known with another key) or another
 * status. Registering the same key again is 0. */
int store_author_add(store_t *self, const char *id,
                     const uint8_t pk[PROTO_PUBKEY_LEN]) VOCFED_WUR;

/* Gives the author from, which holds nothing of its log yet (no entry,
 * checkpoint, pending checkpoint or step of key history), the id to
 * instead, keeping its number (its place in the entries table, SPEC 5.1)
 * and its key: a coordinator registered at init under a mistyped id.
 * Returns 0, VOCFED_ENOTFOUND (from unknown), VOCFED_EEXISTS (to
 * known), VOCFED_EINVALID (an id not valid, or from holds something),
 * or another status. */
int store_author_rename(store_t *self, const char *from,
                        const char *to) VOCFED_WUR;

/* The key of a known author in force now (the last of its key
 * history). Returns 0 or VOCFED_ENOTFOUND. */
int store_author_key(store_t *self, const char *id,
                     uint8_t pk[PROTO_PUBKEY_LEN]) VOCFED_WUR;

/* ---- key history (SPEC 3.4, 5.1 `authors` 'k' rows; storage/keys.c) ---- */

#define STORE_KEYS_MAX 64      /* keys one author may have had, at most */
#define STORE_KEY_FIRST '-'    /* the key registered first */
#define STORE_KEY_HANDOVER 'h' /* a handover entry of the log at seq from */
#define STORE_KEY_VOUCHED 'v'  /* the coordinator's roster vouches for it */

/* One step of an author's key history: key signs every checkpoint of a
 * size past from, up to the next step's from. */
typedef struct {
    uint64_t from;                /* 0 for the first key */
    uint8_t pk[PROTO_PUBKEY_LEN]; /* the key */
    char how;                     /* STORE_KEY_FIRST, _HANDOVER, _VOUCHED */
} store_key_t;

/* The author's key history, first key first, into out (cap rows, *n of
 * them). Returns 0, VOCFED_ENOTFOUND, VOCFED_ETOOLARGE or a status. */
int store_author_keys(store_t *self, const char *id, store_key_t *out,
                      size_t cap, size_t *n) VOCFED_WUR;

/* A key vouched for by the coordinator (`vocfed members rekey`): pk
 * signs id's checkpoints past from. from must be at least the entries
 * held, which must all be under a stored checkpoint; pending
 * checkpoints past from are dropped (the old key signed them). Returns
 * 0, VOCFED_EINVALID (from below what is held, or entries held past the
 * latest checkpoint, or not past the last step), VOCFED_EEXISTS (pk is
 * the key in force), VOCFED_ENOTFOUND or a status. */
int store_author_rekey(store_t *self, const char *id, uint64_t from,
                       const uint8_t pk[PROTO_PUBKEY_LEN]) VOCFED_WUR;

/* Takes a history (n steps, first key at from 0) vouched for by the
 * roster: a store holding none of id's log takes it whole (its first
 * key replaced: a member rebuilt with a new key learns the old ones);
 * otherwise one must be a prefix of the other, and what the stored one
 * lacks is added (a handover of the store's own that the roster does
 * not state yet leaves the stored one the longer). Returns 0, VOCFED_EEXISTS
 * (it contradicts what is stored), VOCFED_EINVALID, VOCFED_ENOTFOUND or a
 * status. */
int store_author_keys_adopt(store_t *self, const char *id,
                            const store_key_t *keys, size_t n) VOCFED_WUR;

/* Calls fn for every known author, in registration order. */
int store_scan_authors(store_t *self, store_author_fn fn, void *ctx) VOCFED_WUR;

/* Appends n records to author's log as entries size+1..size+n, with
 * their tree nodes and one checkpoint signed with sk, all in one
 * transaction (SPEC 5.3); then, unless the store was opened async_apply,
 * applies them to the derived data (store_apply). time_ms 0 means now. A del of
 * a record that does not exist fails the whole batch with VOCFED_ENOTFOUND and
 * *bad set to its position (bad may be NULL). head, if not NULL,
 * receives the new head. Returns 0, VOCFED_ENOTFOUND, VOCFED_EINVALID,
 * VOCFED_ETOOLARGE, VOCFED_ESTORAGEFULL or another status; on error
 * nothing was written. */
int store_append(store_t *self, const char *author,
                 const uint8_t sk[PROTO_SECKEY_LEN], const store_record_t *recs,
                 size_t n, uint64_t time_ms, store_head_t *head,
                 size_t *bad) VOCFED_WUR;

/* Names the records of the next store_append (an import's next chunk),
 * so that the append under way, once its records are in, has its helper
 * thread encode them (SPEC 5.3, storage/ahead.h) while its commit waits
 * for the disk. The next store_append takes that work when it is by the
 * same author, of these very records (recs and n) and at the seq after
 * the append under way, with time_ms 0 or the time they were encoded
 * for; time_ms 0 then dates them when their encoding started, just
 * before that commit, not when the append is called. Anything else
 * throws the work away. The records, and what they point at, must stay
 * as they are until the store_append after the one they were named
 * before returns (an import names chunk k + 1 before it appends chunk k,
 * which takes what was encoded during chunk k - 1's commit), or until
 * this is called with NULL, 0 (nothing next), which waits until the
 * helper has left them. Named before an append that fails, they are
 * forgotten and their encoding dropped. */
void store_append_next(store_t *self, const store_record_t *recs, size_t n);

/* The author's head. An author with no checkpoint has size 0 and the
 * empty tree's root. Returns 0 or VOCFED_ENOTFOUND (unknown author). */
int store_head(store_t *self, const char *author, store_head_t *out) VOCFED_WUR;

/* Copies entry seq of author into out (appending). Returns 0 or
 * VOCFED_ENOTFOUND. */
int store_entry_get(store_t *self, const char *author, uint64_t seq,
                    proto_buf_t *out) VOCFED_WUR;

/* Copies the entry that holds the current record (author, kind, key)
 * into out (appending) and sets *seq. Returns 0 or VOCFED_ENOTFOUND. */
int store_record_get(store_t *self, const char *author, const char *kind,
                     const char *key, proto_buf_t *out,
                     uint64_t *seq) VOCFED_WUR;

/* Copies the author's latest signed checkpoint into out. Returns 0 or
 * VOCFED_ENOTFOUND. */
int store_checkpoint_latest(store_t *self, const char *author,
                            proto_buf_t *out) VOCFED_WUR;

/* Calls fn for the author's entries from seq from on, in seq order, in
 * one read snapshot. Returns 0, fn's non-zero value, or a status. */
int store_scan_entries(store_t *self, const char *author, uint64_t from,
                       store_entry_fn fn, void *ctx) VOCFED_WUR;

/* Inclusion proof of entry seq in the tree of size leaves (from the
 * stored nodes). Returns 0, VOCFED_EINVALID or VOCFED_ENOTFOUND. */
int store_inclusion_proof(store_t *self, const char *author, uint64_t seq,
                          uint64_t size, proto_proof_t *out) VOCFED_WUR;

/* Consistency proof between two sizes of the author's tree. */
int store_consistency_proof(store_t *self, const char *author,
                            uint64_t old_size, uint64_t new_size,
                            proto_proof_t *out) VOCFED_WUR;

/* Waits until no other process is in the middle of a commit: takes and
 * releases the writer's lock. A commit's last file write (which wakes
 * inotify watchers) comes a few microseconds before readers can see it;
 * a watcher calls this before reading the new head. Returns 0 or a
 * status. */
int store_sync_point(store_t *self) VOCFED_WUR;

/* The map size in bytes now (it grows as needed). */
size_t store_map_size(const store_t *self);

/* How much room one environment of the store takes (for monitoring). */
typedef struct {
    uint64_t map_bytes;  /* its map size now (as the file may grow to) */
    uint64_t used_bytes; /* pages up to the last one in use, in bytes */
    uint64_t file_bytes; /* the file's size on disk (0 if it has none) */
} store_env_usage_t;

/* The usage of the log's environment (data.mdb) and the derived one
 * (derived.mdb), from LMDB's own figures of the last committed write and
 * stat(2) of the files. Reads only. Returns 0 or a status. */
int store_usage(store_t *self, store_env_usage_t *log,
                store_env_usage_t *derived) VOCFED_WUR;

/* ---- the applier (SPEC 5.5) -------------------------------------------- */

/* Applies up to max_entries entries (0: no limit) the log holds beyond
 * the derived data, in arrival order, in one transaction of the derived
 * environment: the record index, the apply hook, and how far it got.
 * Safe to call from several processes at once (each entry is applied
 * once) and after a crash (it resumes). *done (may be NULL) gets the
 * number applied, 0 when the derived data was up to date. Returns a
 * status. */
int store_apply(store_t *self, size_t max_entries, size_t *done) VOCFED_WUR;

/* store_apply's max_entries for a chunk fitted to the store: 65,536
 * entries, or four per leaf page of the persons table when that is more,
 * up to 262,144. A chunk's new persons land at random in that table; a
 * page a chunk copies and writes then takes several of them, not one
 * (bench_apply at 10M persons: 130k entries/s in chunks of 65,536, 141k
 * in 262,144; fitted, the first million is not slowed). The cost is
 * memory: the applier's heap reaches ~0.9 GiB at 262,144 (bench/README). */
#define STORE_APPLY_FIT SIZE_MAX
#define STORE_APPLY_FIT_MIN 65536
#define STORE_APPLY_FIT_MAX 262144

/* Applies until the derived data has every entry the log held when it
 * was called, in chunks of max_entries (0: STORE_APPLY_FIT). Returns a
 * status. */
int store_catch_up(store_t *self, size_t max_entries) VOCFED_WUR;

/* How far the derived data is: *seq gets the last seq of author applied
 * (0: none). Returns 0 or VOCFED_ENOTFOUND (unknown author). */
int store_applied(store_t *self, const char *author, uint64_t *seq) VOCFED_WUR;

/* The arrival order's length in the log and how much of it is applied
 * (SPEC 5.1 `arrivals`, `applied`): *applied_n is UINT64_MAX when the
 * derived data is not of this log (the next apply redoes it from the
 * start). Returns a status. */
int store_apply_lag(store_t *self, uint64_t *log_n,
                    uint64_t *applied_n) VOCFED_WUR;

/* The entries not yet applied (in the arrival order's runs past the point
 * applied), counted up to max: *entries gets at most max, and a look reads
 * at most max runs. *log_n gets the log's last arrival number. Derived
 * data of another log counts 0 (the next apply redoes it). Returns a
 * status. */
int store_apply_backlog(store_t *self, uint64_t max, uint64_t *log_n,
                        uint64_t *entries) VOCFED_WUR;

/* ---- derived data (SPEC 5.5) ------------------------------------------- */

/* A write transaction as the apply hook sees it. */
typedef struct store_txn store_txn_t;

/* Called inside every transaction of store_apply: begin once, entry for
 * each applied entry (in arrival order) with the body of the record it
 * replaces (NULL if there was none), end before the commit. Any
 * non-zero return aborts the transaction with that status. A
 * transaction may be retried (map growth): begin is then called again.
 * The log holds an entry before the hook sees it: an entry whose entry
 * callback refuses it with VOCFED_EBADRECORD is applied to the record
 * index without the hook (logged); check refuses what it can before. */
typedef struct {
    int (*begin)(void *ctx, store_txn_t *txn);
    int (*entry)(void *ctx, store_txn_t *txn, const char *author,
                 const proto_entry_t *e, const uint8_t *old_body,
                 size_t old_len);
    int (*end)(void *ctx, store_txn_t *txn);
    void (*destroy)(void *ctx); /* frees ctx: when the hook is replaced or
                                   the store closed; may be NULL */
    void *ctx;                  /* passed to each */
    int (*check)(void *ctx, const char *author,
                 const proto_entry_t *e); /* may be NULL: called in the
                            log's write for each new entry, before the
                            derived data sees it; what it refuses (a
                            non-zero status) refuses the write. It must
                            depend on the entry alone and touch nothing
                            shared: it runs on the ingest's and the
                            append's helper thread too (ahead.h), beside
                            the writer and the applier. */
    int (*prefetch)(void *ctx, store_txn_t *txn, const char *author,
                    const proto_entry_t *e);        /* may be NULL: called for
                                   each entry of a chunk before entry is called
                                   for any, to name what the entries will read */
    int (*prefetched)(void *ctx, store_txn_t *txn); /* may be NULL: after
                            the prefetches of a chunk (reads in key
                            order) */
} store_hook_t;

/* Installs (or with NULL removes) the apply hook for this handle; the
 * store owns it from now on (destroy is called for the one it replaces
 * and at store_destroy). */
void store_set_hook(store_t *self, const store_hook_t *hook);

/* Counters in the figures database, within a hook's transaction. A
 * missing counter reads as 0; setting 0 deletes it. */
int store_txn_counter_get(store_txn_t *txn, const void *key, size_t len,
                          int64_t *value) VOCFED_WUR;
int store_txn_counter_set(store_txn_t *txn, const void *key, size_t len,
                          int64_t value) VOCFED_WUR;

/* Calls fn for each counter whose key starts with prefix (in key order),
 * in the hook's transaction or (txn NULL) in a read snapshot of self. */
typedef int (*store_counter_fn)(void *ctx, const void *key, size_t len,
                                int64_t value);
int store_scan_counters(store_t *self, store_txn_t *txn, const void *prefix,
                        size_t plen, store_counter_fn fn, void *ctx) VOCFED_WUR;

/* How far the derived data is for one author (storage/as_of.c). */
typedef struct {
    const char *id;      /* the author (valid during the call) */
    uint64_t size;       /* entries its log holds */
    uint64_t applied;    /* its last seq in the derived data (0: none) */
    uint64_t applied_ms; /* the time of its latest checkpoint at or below
                            applied (0: none) */
} store_as_of_t;

/* Called per author by store_scan_as_of; non-zero stops the scan. */
typedef int (*store_as_of_fn)(void *ctx, const store_as_of_t *a);

/* In one read snapshot of the derived environment (and one of the log
 * begun after it): calls count, unless NULL, for each counter whose key
 * starts with prefix (as store_scan_counters), then as_of for every
 * author in registration order with the point that snapshot is of. So
 * the counters read and the point they are of agree. A store opened
 * async_apply reads the derived data as it is; any other first applies
 * what the log holds (store_catches_up). Returns 0, a callback's
 * non-zero value, or a status. */
int store_scan_as_of(store_t *self, const void *prefix, size_t plen,
                     store_counter_fn count, void *cctx, store_as_of_fn as_of,
                     void *actx) VOCFED_WUR;

/* Whether reads of derived data first apply what the log holds (a store
 * not opened async_apply). */
bool store_catches_up(const store_t *self);

/* The current record (author, kind, key) inside the hook's transaction:
 * its body is appended to out (empty for a record without fields).
 * VOCFED_ENOTFOUND if there is none. */
int store_txn_record(store_txn_t *txn, const char *author, const char *kind,
                     const char *key, proto_buf_t *out) VOCFED_WUR;

/* Calls fn(ctx, key, body) for each current record of author (all kinds
 * when kind is NULL) inside the hook's transaction. */
typedef int (*store_txn_record_fn)(void *ctx, const char *kind, const char *key,
                                   const uint8_t *body, size_t len);
int store_txn_scan_records(store_txn_t *txn, const char *author,
                           const char *kind, store_txn_record_fn fn,
                           void *ctx) VOCFED_WUR;

/* Opaque byte values in the figures database (keys must not collide with
 * counters: callers use their own prefixes). get appends to out and
 * returns VOCFED_ENOTFOUND if absent; set with len 0 deletes. */
int store_txn_blob_get(store_txn_t *txn, const void *key, size_t klen,
                       proto_buf_t *out) VOCFED_WUR;
int store_txn_blob_set(store_txn_t *txn, const void *key, size_t klen,
                       const void *data, size_t len) VOCFED_WUR;

/* A cursor on the figures database inside the hook's transaction, for
 * many reads or writes in key order: LMDB then finds a key next to the
 * last one without descending the tree again. Open returns
 * VOCFED_ENOMEM or an LMDB status; close accepts NULL. get appends the
 * value to out (VOCFED_ENOTFOUND if absent); set with len 0 deletes. */
typedef struct store_fcursor store_fcursor_t;
int store_fcursor_open(store_txn_t *txn, store_fcursor_t **out) VOCFED_WUR;
void store_fcursor_close(store_fcursor_t **self);
int store_fcursor_get(store_fcursor_t *self, const void *key, size_t klen,
                      proto_buf_t *out) VOCFED_WUR;
int store_fcursor_set(store_fcursor_t *self, const void *key, size_t klen,
                      const void *data, size_t len) VOCFED_WUR;

/* The stored form of figures key key (klen bytes; its person, if any,
 * as its number, SPEC 5.1) into out (at least klen bytes), *olen its
 * length, in the hook's transaction. VOCFED_ENOTFOUND: the person has
 * no number yet (nothing stored can hold the key; the forms above give
 * it one when they write). Lets a caller that reads and writes a key
 * in one transaction find its person once (issue 11). */
int store_txn_fkey(store_txn_t *txn, const void *key, size_t klen, uint8_t *out,
                   size_t *olen) VOCFED_WUR;

/* store_fcursor_get and _set with a key store_txn_fkey gave in the
 * same transaction. */
int store_fcursor_get_stored(store_fcursor_t *self, const void *key,
                             size_t klen, proto_buf_t *out) VOCFED_WUR;
int store_fcursor_set_stored(store_fcursor_t *self, const void *key,
                             size_t klen, const void *data,
                             size_t len) VOCFED_WUR;

/* Calls fn for each blob whose key starts with prefix (in key order), in
 * the hook's transaction. fn's non-zero value stops the scan and is
 * returned. */
typedef int (*store_blob_fn)(void *ctx, const void *key, size_t klen,
                             const uint8_t *data, size_t len);
int store_txn_scan_blobs(store_txn_t *txn, const void *prefix, size_t plen,
                         store_blob_fn fn, void *ctx) VOCFED_WUR;

/* The same in a read snapshot of self. */
int store_scan_blobs(store_t *self, const void *prefix, size_t plen,
                     store_blob_fn fn, void *ctx) VOCFED_WUR;

/* Calls fn for every entry held, of every author, in the order the
 * entries arrived (SPEC 5.1 `arrivals`): what a rebuild of derived data
 * replays. Entries the table does not cover (a store older than it)
 * come first, author by author in registration order. fn's non-zero value stops
 * the replay and is returned. */
typedef int (*store_replay_fn)(void *ctx, const char *author,
                               const proto_entry_t *e);
int store_txn_replay(store_txn_t *txn, store_replay_fn fn,
                     void *ctx) VOCFED_WUR;

/* ---- the derived data recomputed beside the kept one (rederive.c) ------ */

#define STORE_REDERIVE_KEY_MAX 1024

/* Removes the derived environment's files from folder dir (derived.mdb,
 * its lock, its guard and open.lock, SPEC 5.1, 5.5), as for a scratch
 * folder of store_rederive_compare that no process has open; the folder
 * stays.
 * Returns 0 (also when there were none), VOCFED_ETOOLARGE (a path too
 * long) or -errno. */
int store_derived_remove(const char *dir);

/* The first difference store_rederive_compare found. */
typedef struct {
    const char *table;                   /* "figures", "applied" or "persons" */
    uint8_t key[STORE_REDERIVE_KEY_MAX]; /* its key: the figures' in their
                                            logical form, others as
                                            stored (cut to the size) */
    size_t klen;                         /* its length */
    bool in_kept;                        /* the kept data holds the row */
    bool in_again;                       /* the recomputation holds it */
    bool values;         /* the values held are 8 bytes (counters): */
    int64_t kept_value;  /* the kept one */
    int64_t again_value; /* and the recomputed one */
} store_rederive_diff_t;

/* Progress: phase "persons" (rows copied of total), "apply" (arrival
 * reached of the kept point), "compare" (rows of total). */
typedef void (*store_rederive_fn)(void *ctx, const char *phase, uint64_t done,
                                  uint64_t total);

/* self is a store opened with derived_dir (a new, empty folder) and its
 * hook set (node_open_info does both). Its derived data is made again
 * from the logs by the applier, in fitted chunks (bounded memory, SPEC
 * 5.5), to where the derived data kept in kept_dir (its derived.mdb: the
 * store's own folder) stands in one read snapshot of it, held
 * throughout (the kept data's applier goes on meanwhile); then the two
 * are walked side by side, table `applied` then `figures`, row by row.
 * The kept person numbers are taken first (and checked to be one to
 * one), so that rows compare as stored. Returns 0 (equal),
 * VOCFED_ECORRUPT with *diff set, VOCFED_ENOTFOUND (no kept derived
 * data), VOCFED_EVERSION (the kept data is of an older layout: its
 * applier makes it again), VOCFED_EINVALID (self is not a new
 * recomputation with a hook) or a status. */
int store_rederive_compare(store_t *self, const char *kept_dir,
                           store_rederive_fn fn, void *ctx,
                           store_rederive_diff_t *diff) VOCFED_WUR;

/* Removes every counter and blob (for a rebuild). */
int store_txn_counters_clear(store_txn_t *txn) VOCFED_WUR;

/* In one write transaction of the derived environment: applies what the
 * log holds beyond it (the hook's begin, entries, end), then runs fn:
 * for work on counters outside an apply (e.g. rebuilding or checking
 * the figures against a replay of the log: both see the same entries). */
typedef int (*store_txn_fn)(void *ctx, store_txn_t *txn);
int store_with_txn(store_t *self, store_txn_fn fn, void *ctx) VOCFED_WUR;

/* Raw writes for tests: storage/store_test.h (vocfed_storage_test). */

#endif
