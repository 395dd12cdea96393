/* vocfed: replication's side of the store: batches out and in, and what
 * a node knows of its peers (SPEC 8, 10).
 *
 * store_batch_collect is the sending half (storage/batch.c): it reads a
 * batch in one snapshot. store_ingest is the receiving half
 * (storage/ingest.c): it verifies a batch of entries against the author's
 * signed checkpoint and commits it in one transaction, or refuses it and
 * leaves the store as it was. The peers API (storage/peers.c) keeps, per
 * peer, the receipts and cursors that make replication resumable, and the
 * alarms an operator must see. The checkpoint and proof reads below are
 * the log's (storage/log_read.c). */
#ifndef VOCFED_STORAGE_REPLICA_H
#define VOCFED_STORAGE_REPLICA_H

#include "protocol/merkle.h"
#include "protocol/msg.h"
#include "storage/stats.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stdint.h>

/* A batch of one author's log (SPEC 8.3), the one struct both sides use:
 * the sender fills it from its store (store_batch_collect) and hands it to
 * proto_msg_encode_batch; the receiver fills it from a decoded message
 * (proto_msg_batch_t is only the wire decoder's view of the lists) and
 * hands it to store_ingest. Its fields (see protocol/msg.h):
 *   author       whose log (NUL-terminated)
 *   first_seq    seq of entries[0]
 *   entries      count encoded entries, in seq order (borrowed)
 *   checkpoints  ncp signed checkpoints, ascending size: every one of the
 *                author's with size in [first_seq, last seq], then, if the
 *                last seq is not at a checkpoint, the one that covers it
 *   old_size     receiver's latest checkpoint size, where the consistency
 *                proof starts (0: none)
 *   consistency  old_size -> last checkpoint
 *   range        compact range [last seq, size of the last checkpoint);
 *                empty if equal
 * It lives in protocol/ because the encoder takes it, and protocol/ may
 * not know storage types. */
typedef proto_msg_batch_in_t store_batch_t;

/* A batch read by store_batch_collect, with the memory it points into:
 * the caller owns it and frees it with store_batch_out_release. */
typedef struct {
    store_batch_t batch;           /* the batch; points into the rest */
    char author[PROTO_ID_MAX + 1]; /* its author */
    proto_buf_t bytes;             /* entries, then checkpoints */
    proto_bytes_t *items;          /* batch.count entries, then batch.ncp
                                      checkpoints, pointing into bytes */
    size_t *offs;                  /* where each item starts in bytes */
    size_t n, cap;                 /* items used, allocated */
    proto_proof_t consistency;     /* batch.consistency points here */
    proto_proof_t range;           /* batch.range points here */
} store_batch_out_t;

/* Reads, in one read snapshot, the batch of author's log for a receiver
 * that holds `held` entries of it: at most max_entries entries and about
 * max_bytes of them (at least one), every checkpoint they reach, the one
 * that covers the last entry if it is not at a checkpoint, and the proofs
 * (SPEC 8.4). out need not be initialised; on success the caller releases
 * it. Returns 0, VOCFED_ENOTFOUND when the receiver holds everything (or
 * the author is unknown), or another status (out is then released). */
int store_batch_collect(store_t *self, const char *author, uint64_t held,
                        size_t max_entries, size_t max_bytes,
                        store_batch_out_t *out) VOCFED_WUR;

/* Frees what store_batch_collect read and zeroes out. Accepts NULL. */
void store_batch_out_release(store_batch_out_t *out);

/* What an ingest did. */
typedef struct {
    uint64_t applied;  /* new entries written */
    uint64_t skipped;  /* entries already held, identical */
    store_head_t head; /* the author's log after it */
    uint64_t cp_size;  /* latest checkpoint held after it */
    bool equivocation; /* the refusal is proof of it */
    bool stale;        /* refused as built for fewer entries than held
                          (VOCFED_ESEQGAP): a batch overtaken by another */
    char what[160];    /* why it was refused */
} store_ingest_result_t;

/* How far ahead of the receiver's clock a checkpoint may be dated (SPEC
 * 8.4): ten minutes. */
#define STORE_CLOCK_SKEW_MS (10 * 60 * 1000)

/* Verifies and commits a batch of author's entries (SPEC 8.4): the author
 * must be known and not quarantined; entries continue the held log (those
 * already held must be byte-identical and are skipped); each decodes and
 * names the author and its seq; the checkpoint's signature verifies with
 * the author's key; the tree of the held log plus the batch plus the range
 * proof gives the checkpoint's root, else VOCFED_EROOT. When the batch
 * reaches a checkpoint's size the checkpoint is stored; one past the batch
 * is kept in `pending` until the entries reach it, and is checked then.
 * Two different checkpoints signed at one size (stored, held pending or
 * in the batch) are equivocation: both are kept as evidence, the author
 * is quarantined and the batch refused with VOCFED_EPROOF
 * (res->equivocation). A consistency proof that fails under good roots is
 * VOCFED_EPROOF without quarantine (a proof is not signed).
 * Each new entry must also pass the kinds table (proto_kind_check_entry)
 * and, when the store knows the coordinator (store_set_coordinator), the
 * role rule: a coordinator-only kind only in the coordinator's log, any
 * other kind only in a member's (VOCFED_EBADRECORD, res->what "entry SEQ:
 * field F: 'value': why"). Returns 0, or the refusal (VOCFED_EBADSIG,
 * VOCFED_EROOT, VOCFED_ESEQGAP, VOCFED_EAUTHOR, VOCFED_EMALFORMED,
 * VOCFED_EPROOF, VOCFED_EQUARANTINED, VOCFED_EBADRECORD, ...); on refusal
 * nothing of the batch is written. */
int store_ingest(store_t *self, const store_batch_t *batch,
                 store_ingest_result_t *res) VOCFED_WUR;

/* store_ingest for n batches in one durable commit: each batch straight in
 * the group's transaction, and when one is refused, the group written
 * again with each batch in its own nested transaction, so a refused one
 * leaves nothing and does not stop the others; one fsync for all (SPEC
 * 8.4, group commit). When the group
 * does not fit on the disk, the batches are taken in one commit each, in
 * order, up to the first that does not fit (VOCFED_ESTORAGEFULL for it
 * and every later one). rcs[i] and res[i] tell each batch's fate. Returns
 * 0 when they do, else a storage status (nothing was written). */
int store_ingest_many(store_t *self, const store_batch_t *const *b, size_t n,
                      store_ingest_result_t *res, int *rcs) VOCFED_WUR;

/* Called by store_ingest_many_then once the group's batches are written,
 * before their commit: it may name the batches of the next group
 * (store_ingest_next), whose checks then run on the helper thread while
 * the commit waits for the disk. It must touch the store in no other
 * way. It may be called twice for one group (a map grown, the group
 * written again). */
typedef void (*store_ingest_then_fn)(store_t *self, void *ctx);

/* store_ingest_many, calling then (NULL: none) before the commit. */
int store_ingest_many_then(store_t *self, const store_batch_t *const *b,
                           size_t n, store_ingest_result_t *res, int *rcs,
                           store_ingest_then_fn then, void *ctx) VOCFED_WUR;

/* Names the batches the next store_ingest_many will likely take, so that
 * the helper thread checks their entries ahead: the checks that need
 * only an entry's bytes, its author and its seq (storage/ahead.h). The
 * store copies the batches' descriptions (author, first seq, and each
 * entry's address and length); the bytes must stay where they are,
 * unchanged, until the next store_ingest_many returns, or until
 * store_ingest_next_drop. That group uses the work for each of its
 * batches with the same author, first seq and entries (addresses and
 * lengths), in the order named; it checks any other batch itself, and
 * throws the work away when none is one. As for a group's own checks
 * ahead, the work changes when an entry is checked, never what is taken
 * or said. A group too small to be checked ahead names nothing.
 * Dropped by a new hook, a coordinator's id set, an append, and the
 * store's end. */
void store_ingest_next(store_t *self, const store_batch_t *const *b, size_t n);

/* Throws away the batches store_ingest_next named, waiting until the
 * helper has left them: their bytes may then go. */
void store_ingest_next_drop(store_t *self);

/* Whether batches named by store_ingest_next wait for a group. */
bool store_ingest_next_pending(const store_t *self);

/* Tells ingest which author is the coordinator, for the role rule of
 * SPEC 8.4 (node_open does it once it knows; a member's daemon when it
 * learns the coordinator's id). id is copied; NULL, "" or an invalid id
 * means not known: then only the kinds table is checked. */
void store_set_coordinator(store_t *self, const char *id);

/* The author's latest checkpoint size held (0 for none). */
int store_checkpoint_size(store_t *self, const char *author,
                          uint64_t *size) VOCFED_WUR;

/* The smallest held checkpoint of author with size >= min: its bytes are
 * appended to out and its size set. VOCFED_ENOTFOUND if none. */
int store_checkpoint_covering(store_t *self, const char *author, uint64_t min,
                              proto_buf_t *out, uint64_t *size) VOCFED_WUR;

/* The largest held checkpoint size of author that is <= max (0 if none). */
int store_checkpoint_at_or_below(store_t *self, const char *author,
                                 uint64_t max, uint64_t *size) VOCFED_WUR;

/* Calls fn for each of author's checkpoints with min <= size <= max, in
 * size order; bytes are valid during the call. fn's non-zero value stops
 * the scan and is returned. */
typedef int (*store_cp_fn)(void *ctx, uint64_t size, const uint8_t *cp,
                           size_t len);
int store_scan_checkpoints(store_t *self, const char *author, uint64_t min,
                           uint64_t max, store_cp_fn fn, void *ctx) VOCFED_WUR;

/* Root of the first size entries of author's log. */
int store_root_at(store_t *self, const char *author, uint64_t size,
                  uint8_t root[PROTO_HASH_LEN]) VOCFED_WUR;

/* Compact range [begin, end) of author's tree (SPEC 2). */
int store_compact_range(store_t *self, const char *author, uint64_t begin,
                        uint64_t end, proto_proof_t *out) VOCFED_WUR;

/* Whether author is quarantined (after equivocation). */
bool store_quarantined(store_t *self, const char *author);

/* Calls fn for each piece of evidence kept against author (SPEC 8.5), in
 * the order kept: when (ms since 1970), the two signed checkpoints that
 * cannot both be honest (a held, b the one that contradicts it; bytes
 * valid during the call) and the reason given then. fn's non-zero value
 * stops the scan and is returned. Returns 0, VOCFED_EINVALID for an
 * invalid id, or a status. */
typedef int (*store_evidence_fn)(void *ctx, uint64_t time_ms, const uint8_t *a,
                                 size_t alen, const uint8_t *b, size_t blen,
                                 const char *reason);
int store_scan_evidence(store_t *self, const char *author, store_evidence_fn fn,
                        void *ctx) VOCFED_WUR;

/* Keeps two signed checkpoints of author that cannot both stand with
 * the history held (a held, b received; as store_scan_evidence gives
 * them) and quarantines author, in one write: what a member does when
 * the coordinator offers a log that conflicts with its copy (SPEC 10.7)
 * and ingest found no equivocation at one size itself. reason is one
 * line (at most 200 bytes). Returns 0, VOCFED_EINVALID, or a status. */
int store_quarantine(store_t *self, const char *author, const uint8_t *a,
                     size_t alen, const uint8_t *b, size_t blen,
                     const char *reason) VOCFED_WUR;

/* Lifts author's quarantine (SPEC 8.5, an operator's act): the mark goes,
 * the evidence stays, and a release row (when, note: one line) is kept
 * beside it. Returns 0, VOCFED_ENOTFOUND when author is not quarantined,
 * VOCFED_EINVALID for an invalid id or a note over 200 bytes, or a
 * status. */
int store_release(store_t *self, const char *author,
                  const char *note) VOCFED_WUR;

/* Calls fn(ctx, time_ms, note) for each release of author's quarantine,
 * oldest first. fn's non-zero value stops the scan and is returned.
 * Returns 0, VOCFED_EINVALID, or a status. */
typedef int (*store_release_fn)(void *ctx, uint64_t time_ms, const char *note);
int store_scan_releases(store_t *self, const char *author, store_release_fn fn,
                        void *ctx) VOCFED_WUR;

/* Calls fn for the current record of each key of one kind (of every kind
 * when kind is NULL) in author's log, in the index's order (keys of
 * persons by person number, the order this node first met them; other
 * keys in byte order: SPEC 5.1): key (NUL-terminated),
 * its seq and the entry bytes
 * holding it (valid during the call). fn's non-zero value stops the scan
 * and is returned. */
typedef int (*store_record_fn)(void *ctx, const char *key, uint64_t seq,
                               const uint8_t *entry, size_t len);
int store_scan_records(store_t *self, const char *author, const char *kind,
                       store_record_fn fn, void *ctx) VOCFED_WUR;

/* ---- peers ------------------------------------------------------------ */

/* What this node knows of one peer's copy of one log. */
typedef struct {
    uint64_t acked;               /* size the peer's last receipt states */
    uint8_t root[PROTO_HASH_LEN]; /* root that receipt states */
    uint64_t time_ms;             /* when it came */
} store_ack_t;

/* One peer's connection state. */
typedef struct {
    char id[PROTO_ID_MAX + 1]; /* the peer's node id */
    bool connected;            /* a daemon of ours is connected to it */
    bool once;                 /* its last session was a one-shot run
                                  (`vocfed sync`), not a daemon's */
    int pid;                   /* that daemon's process id */
    uint64_t last_contact_ms;  /* last message from it */
    uint64_t refused;          /* batches it refused or we refused */
    uint64_t malformed;        /* malformed messages */
    /* Abuse from an admitted member, counted by the coordinator (SPEC
     * 10.5); zero at a member. */
    uint64_t too_large;   /* messages over a cap (SPEC 8.9) */
    uint64_t replayed;    /* batches of entries already held */
    uint64_t seq_gaps;    /* batches starting past the held log */
    uint64_t flooded;     /* messages dropped over the rate limit */
    uint64_t unread;      /* replies dropped: the member does not read */
    uint64_t messages_in; /* messages received from it */
    uint64_t bytes_in;    /* their bytes */
    /* Its batches this node's daemon took in or refused, by outcome slot
     * (storage/stats.h, SPEC 5.1): counted by the coordinator per member,
     * by a member for the coordinator. */
    uint64_t batches[STORE_STATS_OUTCOMES];
    /* Its messages over its rate at the coordinator (SPEC 10.5): made to
     * wait, and of those read on spare capacity; zero at a member. */
    uint64_t waited;
    uint64_t lent;
} store_peer_t;

/* Records a receipt (and the raw signed bytes) from peer for author. */
int store_peer_ack(store_t *self, const char *peer, const char *author,
                   const store_ack_t *ack, const uint8_t *receipt,
                   size_t receipt_len) VOCFED_WUR;

/* Reads the last receipt from peer for author; VOCFED_ENOTFOUND if none. */
int store_peer_ack_get(store_t *self, const char *peer, const char *author,
                       store_ack_t *out) VOCFED_WUR;

/* What a peer last said it holds of one log (its hello or heads, SPEC
 * 8.2), kept by the coordinator so that the report can tell a member's
 * entries it never received (SPEC 12.3). */
typedef struct {
    uint64_t size;    /* entries the peer said it holds */
    uint64_t time_ms; /* when it said so (this node's clock) */
} store_said_t;

/* Records what peer said it holds of author's log. */
int store_peer_said_set(store_t *self, const char *peer, const char *author,
                        const store_said_t *said) VOCFED_WUR;

/* Reads it; VOCFED_ENOTFOUND if the peer never said. */
int store_peer_said_get(store_t *self, const char *peer, const char *author,
                        store_said_t *out) VOCFED_WUR;

/* Replaces a peer's connection state. */
int store_peer_set(store_t *self, const store_peer_t *peer) VOCFED_WUR;

/* Reads one peer's state into out. VOCFED_ENOTFOUND if none is kept. */
int store_peer_get(store_t *self, const char *id, store_peer_t *out) VOCFED_WUR;

/* Calls fn for every peer known. */
typedef int (*store_peer_fn)(void *ctx, const store_peer_t *peer);
int store_scan_peers(store_t *self, store_peer_fn fn, void *ctx) VOCFED_WUR;

/* Calls fn for every ack held from peer. */
typedef int (*store_ack_fn)(void *ctx, const char *author,
                            const store_ack_t *ack);
int store_scan_acks(store_t *self, const char *peer, store_ack_fn fn,
                    void *ctx) VOCFED_WUR;

/* ---- alarms ------------------------------------------------------------ */

/* Strings of an alarm are kept to this many bytes. */
#define STORE_ALARM_STR_MAX 512

/* One alarm (SPEC 5.1, 10.5): an event an operator must see, raised until
 * its cause goes away (store_alarm_clear). */
typedef struct {
    uint64_t n;                           /* its number: the order written */
    uint64_t time_ms;                     /* when it was raised */
    uint64_t cleared_ms;                  /* when its cause went away; 0
                                             while it is raised */
    char kind[STORE_ALARM_STR_MAX + 1];   /* "refused", "connection", ... */
    char peer[STORE_ALARM_STR_MAX + 1];   /* the node it is about */
    char author[STORE_ALARM_STR_MAX + 1]; /* the log it is about, or "" */
    uint64_t seq;                         /* the entry, 0 for none */
    char text[STORE_ALARM_STR_MAX + 1];   /* one line for people */
} store_alarm_t;

/* Appends an alarm an operator must see (refused batch, bad receipt,
 * quarantine, a connection that fails), raised. text is one line; author
 * may be NULL (stored as ""). */
int store_alarm(store_t *self, const char *kind, const char *peer,
                const char *author, uint64_t seq, const char *text) VOCFED_WUR;

/* Clears the raised alarms of this kind, peer and author (NULL: "") when
 * their cause went away: when every one of them has a seq at most
 * upto_seq (UINT64_MAX: whatever their seq), each is marked cleared now;
 * otherwise none is. *cleared (may be NULL) gets how many were. A store
 * with no such alarm raised is only read (a lookup, SPEC 5.1). Returns 0
 * or a store status. */
int store_alarm_clear(store_t *self, const char *kind, const char *peer,
                      const char *author, uint64_t upto_seq,
                      uint64_t *cleared) VOCFED_WUR;

/* Calls fn for each alarm, oldest first (a is valid during the call). */
typedef int (*store_alarm_fn)(void *ctx, const store_alarm_t *a);
int store_scan_alarms(store_t *self, store_alarm_fn fn, void *ctx) VOCFED_WUR;

#endif
