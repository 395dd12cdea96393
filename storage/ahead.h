/* vocfed: work ahead on a second thread: a group's entries checked (SPEC 8.4,
 * step 3), and an append's records encoded (SPEC 5.3; below).
 *
 * Of what step 3 does for an entry, a part depends on its bytes alone:
 * it decodes; its author and seq are the batch's; it is not a handover;
 * the kinds table takes it; its kind is one its author's role may write
 * (the coordinator's id known); its leaf hash. The ingest hands those
 * checks over as a function (store_i_ahead_check_fn: the code it runs
 * itself), and the helper adds the leaf hash. For a group of batches
 * taken in one commit (store_ingest_many), a helper thread does that
 * part ahead of the ingest, in the same order: it starts while the
 * ingest opens the first batch's checkpoints, and its part costs less
 * than the rest, so the ingest mostly finds its entries checked. Each
 * entry is claimed by one of the two (an atomic compare-and-swap), up to
 * eight in a row at a time, whose leaf hashes are then made together
 * (proto_hash_leaves, hash.h): an entry the ingest reaches first it
 * claims with the free ones after it and checks with the helper's code;
 * one it finds the helper on it checks itself; and the helper then
 * jumps 256 entries past it (else the two would meet entry after entry,
 * and the ingest check again each one it found the helper on: a tenth
 * of a 1M sync's entries). The helper also hashes the tree's blocks of
 * 16 leaves it checked in a row (store_i_block_t), which the ingest
 * appends whole.
 *
 * The ingest uses the helper's work only for an entry that passed every
 * one of those checks. Any other entry it checks itself, as without a
 * helper, and refuses naming why. So the helper changes when the work
 * is done, never what is taken or said. It reads the batches (which the
 * caller keeps) and writes only its slots; it touches no LMDB handle,
 * and it has left the group before store_ingest_many returns. The
 * thread is the store's, started with its first large group and kept
 * (starting a thread per group cost the ingest ~3% of its time). */
#ifndef VOCFED_STORAGE_AHEAD_H
#define VOCFED_STORAGE_AHEAD_H

#include "protocol/buf.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "storage/replica.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stddef.h>

/* The tree's node over an aligned block of STORE_BLOCK leaves (level
 * STORE_NODE_MIN_LEVEL, the lowest stored), hashed by the helper from the
 * leaf hashes it made: the writer appends it whole when every leaf of
 * the block is the helper's (store_i_fr_leaf, log_internal.h), so that
 * 15 of each 16 of the tree's node hashes are off its thread. first is
 * the block's first leaf number (seq - 1). */
#define STORE_BLOCK ((size_t)1 << STORE_NODE_MIN_LEVEL)
typedef struct {
    uint64_t first;               /* its first leaf */
    uint8_t hash[PROTO_HASH_LEN]; /* the node (STORE_NODE_MIN_LEVEL) */
} store_i_block_t;

/* Entries in a group below which the ingest checks them alone: a few
 * puts are checked sooner than the helper is handed them and its slots
 * are made. Two full batches; not tuned (a bulk sync's groups held about
 * 6,600 entries on average in one bench_sync run: 111 in 1.8 s at ~409k
 * entries/s). */
#define STORE_AHEAD_MIN 2048

/* Whether entry k of b passes the checks that need only its bytes, with
 * *e the entry decoded; ctx is store_i_ahead_start's. Called on the
 * helper thread: it must touch nothing shared. */
typedef bool (*store_i_ahead_check_fn)(const store_batch_t *b, size_t k,
                                       void *ctx, proto_entry_t *e);

typedef struct store_i_helper store_i_helper_t;
typedef struct store_i_ahead store_i_ahead_t;
typedef struct store_i_ahead_slot store_i_ahead_slot_t;

/* Starts checking the n batches at b (a NULL batch has no entries to
 * check) ahead with check, when they hold min entries or more (0:
 * STORE_AHEAD_MIN),
 * on the helper thread at *helper, which is started the first time
 * (*helper NULL) and kept for the groups after (store_i_helper_free).
 * ctx is handed to check (the ingest's: its store, whose coordinator id
 * and hook the check reads in place while the helper works). With first, the
 * helper checks every entry before this returns (tests: each entry's verdict is
 * the helper's). Returns NULL for no help (a small group, no memory, no
 * thread): the ingest then does everything itself. */
store_i_ahead_t *store_i_ahead_start(store_i_helper_t **helper,
                                     const store_batch_t *const *b, size_t n,
                                     store_i_ahead_check_fn check, void *ctx,
                                     size_t min, bool first);

/* Batch i's slots, or NULL (self NULL). */
store_i_ahead_slot_t *store_i_ahead_batch(store_i_ahead_t *self, size_t i);

/* Entry k (0-based) of a batch's slots (NULL: none). Returns true with
 * *e (borrowing the batch's bytes) and leaf filled when the entry was
 * checked ahead and passed: by the helper, or here, when the helper had
 * not reached it (it and up to seven free entries after it are claimed
 * and checked with the helper's code, their leaf hashes together).
 * False when the caller must check it itself (it failed those checks,
 * or the helper is on it; the helper will not start it). It never
 * waits for the helper. With true, *blk is the block that ends at
 * this entry, when the entry ends an aligned block (its seq a multiple
 * of STORE_BLOCK) whose entries the helper all passed, in this batch;
 * else NULL. */
bool store_i_ahead_take(store_i_ahead_slot_t *slots, size_t k, proto_entry_t *e,
                        uint8_t leaf[PROTO_HASH_LEN],
                        const store_i_block_t **blk);

/* How many entries' slots helper keeps for the next group (0 for NULL). */
size_t store_i_helper_slots(const store_i_helper_t *helper);

/* Tells the helper to leave the group, waits until it has, and frees
 * the group (its slots, up to 16 full batches' worth, stay with the
 * helper for the next group: fresh ones cost page faults every group);
 * NULLs *self. Accepts NULL and *self == NULL. */
void store_i_ahead_stop(store_i_ahead_t **self);

/* ---- an append's entries encoded ahead (SPEC 5.3) ----------------------
 *
 * store_append (log.c) encodes each record as its stored value, leaf
 * hash || entry bytes, then writes it and its tree nodes. For an append
 * of STORE_AHEAD_MIN records or more, the helper thread encodes and
 * hashes them ahead, in order, into slots of one arena, with the same
 * claims as above: a record the append reaches first it claims with the
 * free ones after it, up to eight, and encodes with the helper's code
 * (their leaf hashes together); one it finds the helper on it encodes
 * itself. A record the helper could not encode
 * (the encoder refused it, no memory) is the append's to encode, and to
 * refuse naming why. The arena holds at most STORE_ENC_BYTES: records
 * past it are the append's alone. */

#define STORE_ENC_BYTES ((size_t)64 * 1024 * 1024)

/* The most bytes record i's stored value can take. */
typedef size_t (*store_i_enc_bound_fn)(const void *ctx, size_t i);
/* Appends record i's stored value, 32 zero bytes then its entry, to out;
 * 0 or a status. Called on the helper thread: reads only what ctx's
 * owner does not change while the helper works. */
typedef int (*store_i_enc_fn)(const void *ctx, size_t i, proto_buf_t *out);

typedef struct store_i_enc store_i_enc_t;

/* How the helper encodes an append's records: racing the append; every
 * record before store_i_enc_start returns (tests: each record's bytes are
 * the helper's); or none (tests: the append claims every one). */
typedef enum {
    STORE_I_ENC_RACE,
    STORE_I_ENC_FIRST,
    STORE_I_ENC_IDLE
} store_i_enc_how_t;

/* Starts encoding records 0 .. n-1 ahead on the helper at *helper, when
 * n >= min (0: STORE_AHEAD_MIN), as how says; record i is to be leaf
 * leaf0 + i of its author's tree. NULL: no help. */
store_i_enc_t *store_i_enc_start(store_i_helper_t **helper, size_t n,
                                 store_i_enc_bound_fn bound, store_i_enc_fn fn,
                                 const void *ctx, uint64_t leaf0, size_t min,
                                 store_i_enc_how_t how);

/* Record i's stored value as the helper made it, or as made here when
 * the helper had not reached it (it and up to seven free records after
 * it are claimed and encoded with the helper's code), leaf hash filled:
 * true with *v and *len (in self's arena, until store_i_enc_stop); false
 * when the caller must encode it (the helper is on it, or it could not
 * be encoded). Never waits. Accepts NULL (false). With true, *blk is
 * the block that ends at record i when the helper made all of its
 * records, else NULL. */
bool store_i_enc_take(store_i_enc_t *self, size_t i, const uint8_t **v,
                      size_t *len, const store_i_block_t **blk);

/* Tells the helper to stop, waits until it has left, and gives the
 * slots back to the helper, which keeps them for the next append (up to
 * STORE_ENC_BYTES of arena, freed with the helper: an import's chunks
 * would otherwise fault in a new arena each); NULLs *self. Accepts NULL
 * and *self == NULL. */
void store_i_enc_stop(store_i_enc_t **self);

/* A job for the helper thread: fn(job) runs there once, then the helper
 * leaves it. fn must touch no LMDB handle and nothing its owner writes
 * without the job's own atomics. */
typedef void (*store_i_job_fn)(void *job);

/* Hands job to the helper thread at *helper (started the first time:
 * *helper NULL), after the job before it has been left; with wait,
 * returns once fn has run. False when the thread cannot be started
 * (the caller then does the work itself). */
bool store_i_helper_run(store_i_helper_t **helper, store_i_job_fn fn, void *job,
                        bool wait);

/* Waits until the helper has left job (at once if it is not on it).
 * The job must have been told to stop, or it runs to its end. */
void store_i_helper_leave(store_i_helper_t *h, void *job);

/* Ends the helper thread (waiting for it) and frees it; NULLs *helper.
 * Accepts NULL and *helper == NULL. Not while a group is under way. */
void store_i_helper_free(store_i_helper_t **helper);

#endif
