/* vocfed: the store's LMDB layout and its environment layer, shared by
 * the files of storage/ only (SPEC 5.1). Nothing outside storage/ (and
 * its test-only library) includes this file.
 *
 * The layers, bottom up, each a file with one job:
 *   env.c      environment, transactions (store_i_write, store_i_read),
 *              the prefix scan, keys and status codes      (this header)
 *   log.c      authors, append, entry and checkpoint reads, proofs,
 *              heads                                       (log_internal.h)
 *   derived.c  the apply hook, the record index, counters, blobs
 *   ingest.c   taking in a batch (store_ingest, store_ingest_many)
 *   batch.c    reading a batch to send (store_batch_collect)
 *   peers.c    peers, receipts, alarms
 *   verify.c   full verification
 *   store_test.c  raw writes for tests (a library of its own) */
#ifndef VOCFED_STORAGE_STORE_INTERNAL_H
#define VOCFED_STORAGE_STORE_INTERNAL_H

#include "storage/store.h"

#include "protocol/merkle.h"

#include <limits.h>
#include <stdatomic.h>
#include <lmdb.h>

#define STORE_KEY_ENTRY_LEN 12 /* authno u32 | seq u64 */
#define STORE_KEY_NODE_LEN 13  /* authno u32 | level u8 | index u64 */
#define STORE_KEY_CP_LEN 12    /* authno u32 | size u64 */
#define STORE_KEY_RECORD_MAX (4 + PROTO_KIND_MAX + 1 + PROTO_KEY_MAX)

/* A run of one author's consecutive seqs applied in a write. */
typedef struct {
    bool open;       /* a run is under way */
    uint32_t authno; /* whose */
    uint64_t from;   /* its first seq */
    uint64_t to;     /* its last seq */
} store_i_run_t;

struct store_t {
    MDB_env *env;        /* the log's environment (data.mdb) */
    MDB_dbi meta;        /* name -> short string */
    MDB_dbi authors;     /* 'i' id -> authno; 'n' authno -> pk | id */
    MDB_dbi entries;     /* authno | seq -> leaf hash | entry bytes */
    MDB_dbi nodes;       /* authno | level | index -> 32-byte hash */
    MDB_dbi checkpoints; /* authno | size -> signed checkpoint */
    MDB_dbi peers;       /* peer | author -> cursor, receipt (issue 3) */
    MDB_dbi roster;      /* member id -> key and state (issue 3) */
    MDB_dbi evidence;    /* author | n -> conflicting checkpoints */
    MDB_dbi pending;     /* authno -> covering checkpoint + range proof */
    MDB_dbi alarms;      /* time | n -> alarm record */
    MDB_dbi arrivals;    /* n -> authno | from | to (arrivals.c) */
    bool has_arrivals;   /* arrivals is open (always, once open) */
    store_i_run_t run;   /* the run of entries this write has applied
                            and not yet noted in arrivals */
    size_t map_size;     /* current map size of env in bytes */
    MDB_env *denv;       /* the derived environment (derived.mdb,
                            SPEC 5.1), applied behind the log */
    char *ddir;          /* its folder: dir, or store_opts_t.derived_dir */
    MDB_dbi records;     /* denv: authno | kind 0x00 key -> seq u64 */
    MDB_dbi figures;     /* denv: figure id | breakdown -> value */
    MDB_dbi applied;     /* denv: what is applied (apply.c) */
    MDB_dbi persons;     /* denv: pseudo_id -> person number u32 */
    MDB_dbi pnew;        /* denv: the same, persons numbered lately */
    MDB_dbi pnums;       /* denv: person number u32 -> pseudo_id */
    struct store_i_persons *pcache; /* numbers of this write (persons.c) */
    size_t dmap_size;               /* current map size of denv in bytes */
    _Atomic uint64_t same_point;    /* a point of the derived data found
                                       to be of this log (apply.c s_same);
                                       0 none */
    bool async_apply;               /* store_opts_t.async_apply */
    bool lazy_apply;                /* store_opts_t.lazy_apply */
    struct {
        uint32_t authno; /* an entry the hook refused (EBADRECORD): */
        uint64_t seq;    /* applied without it (apply.c) */
    } * skips;
    size_t nskips;          /* how many */
    char *dir;              /* the folder (statfs and log lines) */
    uint64_t full_log_ms;   /* monotonic ms when "storage full" may be
                               logged again */
    uint64_t full_unlogged; /* storage-full failures not logged since */
    uint64_t reserved;      /* maps grown before a write (store_i_reserve) */
    uint64_t redone;        /* writes of the log run again after filling
                               its map */
    uint64_t dredone;       /* writes of derived.mdb run again so */
    store_hook_t hook;      /* derived data kept with the records */
    bool has_hook;          /* hook is set */
    bool no_derived;        /* store_opts_t.no_derived */
    proto_buf_t scratch;    /* copy of a replaced record for the hook */
    char coord[PROTO_ID_MAX + 1]; /* the coordinator's id for ingest's role
                                     rule, "" unknown (SPEC 8.4) */
    size_t ahead_min; /* entries of a group checked ahead from (ahead.h;
                         0: STORE_AHEAD_MIN; store_test_ahead) */
    bool ahead_first; /* the helper checks (encodes) all before the ingest
                         (append) starts */
    bool ahead_idle;  /* the helper encodes none of an append's records:
                         the append claims them (tests) */
    const store_record_t *next_recs; /* store_append_next: the records of */
    size_t next_n;                   /* the next append, named */
    struct store_i_next *next;       /* ... and being encoded (log.c) */
    uint64_t next_taken;             /* appends that took such work (tests) */
    struct store_i_inext *inext;     /* store_ingest_next: the batches of
                                        the next group, being checked
                                        (ingest.c) */
    uint64_t inext_taken;            /* groups that took such work (tests) */
    uint64_t flat_redone;            /* groups written again nested, a batch
                                        refused (ingest.c; tests) */
    struct store_i_helper *helper;   /* the helper thread of the ingest and
                                        the append (ahead.h), once a large
                                        group came; NULL before */
    uint64_t enc_taken;    /* records an append took encoded ahead (tests) */
    uint64_t blocks_whole; /* blocks of the tree the ingest and the append
                              took whole from the helper (tests) */
    struct store_txn {
        store_t *self; /* the store */
        MDB_txn *txn;  /* the derived environment's transaction */
        MDB_txn *log;  /* a read snapshot of the log beside it */
    } htxn;            /* what the hook sees during an apply */
};

/* ---- keys (big-endian: keys sort as numbers) --------------------------- */

/* Throws away the next append's records encoded ahead, if any
 * (store_append_next): waits until the helper has left them. Before
 * anything else hands the helper a job, and before the store goes. */
void store_i_next_drop(store_t *self);

/* Throws away the next group's batches named by store_ingest_next, if
 * any: waits until the helper has left them. Before the checks' inputs
 * change (the hook, the coordinator's id), before an append hands the
 * helper its records, and before the store goes. */
void store_i_inext_drop(store_t *self);

void store_i_be32(uint8_t *p, uint32_t v);
void store_i_be64(uint8_t *p, uint64_t v);
uint32_t store_i_rd32(const uint8_t *p);
uint64_t store_i_rd64(const uint8_t *p);

void store_i_key_entry(uint8_t k[STORE_KEY_ENTRY_LEN], uint32_t a,
                       uint64_t seq);
void store_i_key_node(uint8_t k[STORE_KEY_NODE_LEN], uint32_t a, unsigned level,
                      uint64_t index);
void store_i_key_cp(uint8_t k[STORE_KEY_CP_LEN], uint32_t a, uint64_t size);
/* A record index key: authno | kind | 0x00 | key, where a key that
 * begins with a pseudo_id has it as STORE_KEY_PSEUDO and its 32 bytes
 * (SPEC 5.1). Returns the key length. kind and key must be valid
 * (bounded). */
#define STORE_KEY_PSEUDO 0x01
size_t store_i_key_record(uint8_t k[STORE_KEY_RECORD_MAX], uint32_t a,
                          const char *kind, size_t kind_len, const char *key,
                          size_t key_len);

/* The key part of a record index key (what follows kind's 0x00), len
 * bytes, back into text (out, cap bytes, NUL-terminated).
 * VOCFED_ECORRUPT when it does not fit or is malformed. */
int store_i_key_record_text(const uint8_t *k, size_t len, char *out,
                            size_t cap);

/* tag || id (not NUL-terminated), for keys named by an author or peer:
 * evidence, quarantine, peers, acks. id must be valid. Returns the key
 * length. */
size_t store_i_key_tagged(uint8_t *k, char tag, const char *id);

/* ---- status and time --------------------------------------------------- */

/* Whether rc is already a vocfed status (the -9000 block). */
bool store_i_is_status(int rc);

/* Translates an LMDB or vocfed code into a vocfed status, logging the
 * LMDB text. */
int store_i_status(int rc);

/* VOCFED_EINVALID when a write that changes records would go without
 * derived data (no hook, and the store not opened no_derived), else 0. */
int store_i_derived_ready(const store_t *self);

/* ---- opening an environment (envopen.c) -------------------------------- */

/* An environment to open: mdb_env_create, then these. */
typedef struct {
    const char *path; /* the folder, or the file with MDB_NOSUBDIR */
    unsigned maxdbs;  /* named databases */
    size_t map;       /* map size */
    unsigned flags;   /* mdb_env_open's */
} store_i_env_spec_t;

/* Opens the environment spec describes into *env, holding dir's
 * open.lock; opens it again when its lock table is behind its data file
 * (a killed opener). what ("log", "derived") names it in the log.
 * Returns an LMDB code or VOCFED_ELOCKED (the table still behind:
 * another process holds it); on failure *env may be set, and the caller
 * closes it. */
int store_i_env_open(const char *dir, const char *what,
                     const store_i_env_spec_t *spec, MDB_env **env);

/* ---- the applier (apply.c) -------------------------------------------- */

/* The guard of derived.mdb against a machine crash (dguard.c, SPEC
 * 5.5): removes a derived.mdb written without sync in another boot, and
 * notes this boot in DIR/derived.boot. *nosync says whether derived.mdb
 * may be written without sync (false when the boot id is unknown).
 * boot_path: where the boot id is read (NULL: the kernel's). Returns 0
 * or an errno / vocfed status. */
int store_i_derived_guard(const char *dir, const char *boot_path, bool *nosync);

/* The hook's check of a new entry in the log's write (0 without one). */
int store_i_check(store_t *self, const char *author, const proto_entry_t *e);

/* The last seq of authno applied, read in dtxn (0: none). */
int store_i_applied_seq(store_t *self, MDB_txn *dtxn, uint32_t authno,
                        uint64_t *seq);

/* Catches the derived data up with the log after a write when the
 * store applies synchronously (neither async_apply nor lazy_apply), and
 * (read_apply) before a read of derived data unless async_apply; a
 * no-op otherwise. A failure is logged: the log holds the entries, the
 * next apply takes them. */
void store_i_sync_apply(store_t *self);
void store_i_read_apply(store_t *self);

/* ---- arrival order (arrivals.c; SPEC 5.1) ---------------------------- */

/* Notes that entry seq of authno was applied in txn; a run that ends
 * here is written. Returns an LMDB code. */
int store_i_arrival_note(store_t *self, MDB_txn *txn, uint32_t authno,
                         uint64_t seq);

/* Writes the run under way (at the end of a write that applied
 * entries). Returns an LMDB code. */
int store_i_arrival_flush(store_t *self, MDB_txn *txn);

/* Creates the arrivals table in a store made before it, with one run
 * per author for the entries held, in registration order (the order a
 * replay gave them). A store_i_txn_fn. */
int store_i_arrivals_create(store_t *self, MDB_txn *txn, void *ctx);

/* Forgets the run under way (a write begins, or is retried). */
void store_i_arrival_reset(store_t *self);

/* The row of one arrival, d: its author's number and its run. Returns
 * MDB_SUCCESS, or VOCFED_ECORRUPT for a row not of that form. */
int store_i_arrival_row(const MDB_val *d, uint32_t *authno, uint64_t *from,
                        uint64_t *to);

/* ---- a recomputation beside the kept derived data (rederive.c) ------- */

/* Reads the kept applied table's value of key k: MDB_SUCCESS with *d
 * and *len, MDB_NOTFOUND, or an LMDB code. */
typedef int (*store_i_kept_fn)(void *ctx, const void *k, size_t klen,
                               const uint8_t **d, size_t *len);

/* After each chunk: the arrival reached and the one aimed at. */
typedef void (*store_i_step_fn)(void *ctx, uint64_t point, uint64_t target);

/* Applies self's logs, in fitted chunks, until its derived data stands
 * where the kept one does (its applied table read through get): the
 * kept point, and as far into the next arrival's run as it went.
 * VOCFED_EVERSION: the kept data is of another layout; VOCFED_ECORRUPT:
 * its point is past the log's last arrival. (apply.c) */
int store_i_apply_like(store_t *self, store_i_kept_fn get, void *kctx,
                       store_i_step_fn step, void *sctx);

/* ---- transactions ------------------------------------------------------ */

/* Begins a read snapshot, absorbing a map grown by another process, and
 * reopening the environment if a failed commit left it unusable
 * (MDB_PANIC; SPEC 5.4): no other transaction of self may be open then.
 * Returns an LMDB code. */
int store_i_read_begin(store_t *self, MDB_txn **txn);

/* Work done inside a transaction. Returns an LMDB code or a vocfed
 * status; in a write it may run more than once (after a map resize), so
 * it must have no effect outside the transaction. */
typedef int (*store_i_txn_fn)(store_t *self, MDB_txn *txn, void *ctx);

/* Runs fn in a write transaction and commits, growing the map and
 * retrying when it fills (SPEC 5.4). A write that fails for want of disk
 * space (ENOSPC, EDQUOT, or LMDB's EIO for a short write on a file system
 * that is full) is VOCFED_ESTORAGEFULL: nothing of it is kept and the
 * file is cut back to the last commit's pages. Returns a vocfed status. */
int store_i_write(store_t *self, store_i_txn_fn fn, void *ctx);

/* Grows the map of the log's environment (or the derived one) before a
 * write that needs about need bytes of new pages, so that it does not
 * fill the map midway and run again (SPEC 5.4). Best effort: returns 0;
 * a write that still fills the map grows it and runs again. No
 * transaction of self may be open. */
int store_i_reserve(store_t *self, bool derived, size_t need);

/* What a write of n records of `bytes` bytes of kinds, keys and bodies
 * needs in new pages, about: the entries, their leaves and tree nodes,
 * the B-trees' copied pages. */
size_t store_i_write_need(size_t n, size_t bytes);

/* The same on the derived environment (denv). */
int store_i_dwrite(store_t *self, store_i_txn_fn fn, void *ctx);

/* Begins a read snapshot of the derived environment. Returns an LMDB
 * code. */
int store_i_dread_begin(store_t *self, MDB_txn **txn);

/* Work on derived data: t->txn is a transaction of denv, t->log a read
 * snapshot of the log begun after it (every seq the derived data names
 * is in it). */
typedef int (*store_i_both_fn)(store_t *self, store_txn_t *t, void *ctx);

/* Runs fn on a read snapshot of each environment (a store not opened
 * async_apply first applies what the log holds beyond the derived
 * data). Returns a vocfed status. */
int store_i_read_both(store_t *self, store_i_both_fn fn, void *ctx);

/* Runs fn in one read snapshot of the derived environment (a store not
 * opened async_apply first applies what the log holds beyond it).
 * Returns a vocfed status. */
int store_i_read_derived(store_t *self, store_i_txn_fn fn, void *ctx);

/* Runs fn in one read snapshot and ends it. Returns fn's value
 * translated by store_i_status (0, or a vocfed status). A scan that must
 * hand a callback's own value back keeps it in its ctx. */
int store_i_read(store_t *self, store_i_txn_fn fn, void *ctx);

/* ---- scans ------------------------------------------------------------- */

/* Returned by a store_i_row_fn: the rows of interest are over (not an
 * error); store_i_scan then returns MDB_SUCCESS. */
#define STORE_I_END INT_MIN

/* Called for each row of a scan; key and val are valid during the call.
 * Returns 0 to go on, STORE_I_END to end, anything else to stop the scan
 * with that value. */
typedef int (*store_i_row_fn)(void *ctx, const MDB_val *key,
                              const MDB_val *val);

/* Calls fn for each row of dbi in key order, from the first key >= start
 * (from the first row when slen is 0), while the key begins with the
 * first plen bytes of start (plen <= slen). Returns MDB_SUCCESS when the
 * rows are over, fn's stop value, or an LMDB code. */
int store_i_scan(MDB_txn *txn, MDB_dbi dbi, const void *start, size_t slen,
                 size_t plen, store_i_row_fn fn, void *ctx);

/* The last row of dbi whose key is <= k (klen bytes) and begins with
 * the first plen bytes of k: key and val are borrowed from txn. Returns
 * MDB_SUCCESS, MDB_NOTFOUND or an LMDB code. */
int store_i_seek_last(MDB_txn *txn, MDB_dbi dbi, const uint8_t *k, size_t klen,
                      size_t plen, MDB_val *key, MDB_val *val);

#endif
