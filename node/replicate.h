/* vocfed: the replication engine every role shares (SPEC 8).
 *
 * A sender builds batches of one author's log for a receiver that holds
 * a given number of its entries; a receiver takes a batch in (verify,
 * commit) and answers with a signed receipt or an error; the sender
 * checks the receipt against its own tree. No sockets here: messages are
 * bytes in and bytes out, so the coordinator, the member daemon, `vocfed
 * sync` and the tests use the same code. */
#ifndef VOCFED_NODE_REPLICATE_H
#define VOCFED_NODE_REPLICATE_H

#include "protocol/msg.h"
#include "storage/replica.h"
#include "storage/store.h"

#include <stdint.h>

/* Entries per batch: the most a batch may hold (PROTO_MSG_MAX_ENTRIES).
 * With a member's window of 12 batches (member.h), batches of 1,000 let
 * the coordinator hold 12,000 of its entries at a time: it committed
 * them in one group and then waited for the member to hear the receipts
 * and send more (a 1M-entry sync: 72 commits, the coordinator busy ~85%).
 * With 4,096 it commits fewer, larger groups: measured 338-350k -> 392-445k
 * entries/s (bench_sync, bench/README.md). With 8,192 (and the 16 MiB
 * window, ~8 of a student's batches of ~1.8 MB in flight), fewer commits
 * again, each fsync's fixed cost shared by more entries: a 1M-row e2e's
 * receipt median 1.435 -> 1.385 s (bench/README.md, 2026-12-06). */
#define NODE_BATCH_ENTRIES 8192
#define NODE_BATCH_BYTES (4 * 1024 * 1024) /* entry bytes per batch */
_Static_assert(NODE_BATCH_ENTRIES <= PROTO_MSG_MAX_ENTRIES,
               "a batch the receiver takes");

/* Appends to out the next batch message of author's log for a receiver
 * that holds `held` entries of it: at most max_entries entries and about
 * max_bytes of them (at least one), with every checkpoint they reach and
 * the proofs (SPEC 8.4). *last gets the last seq in it. Returns 0,
 * VOCFED_ENOTFOUND when the receiver has everything, or another status. */
int node_batch_build(store_t *st, const char *author, uint64_t held,
                     size_t max_entries, size_t max_bytes, proto_buf_t *out,
                     uint64_t *last) VOCFED_WUR;

/* Takes in a batch from a peer that may send that author's log: ingests
 * it and appends to reply either a receipt signed by self_id's key sk or
 * an error message. res (not NULL) tells what happened. Returns the
 * ingest status (0 when committed). */
int node_batch_accept(store_t *st, const char *self_id, const uint8_t *sk,
                      const proto_msg_batch_t *m, proto_buf_t *reply,
                      store_ingest_result_t *res) VOCFED_WUR;

/* node_batch_accept for n batches (possibly of several authors) committed
 * together in one durable transaction: each in its own nested
 * transaction, so a refused batch leaves nothing and the others still go
 * in. replies[i] (caller's buffers), res[i] and rcs[i] tell each batch's
 * fate. Returns 0, or a storage status (then every batch was refused with
 * it). */
int node_batch_accept_many(store_t *st, const char *self_id, const uint8_t *sk,
                           const proto_msg_batch_t *const *m, size_t n,
                           proto_buf_t *replies, store_ingest_result_t *res,
                           int *rcs) VOCFED_WUR;

/* node_batch_accept_many calling then before the commit (NULL: none):
 * see store_ingest_many_then. */
int node_batch_accept_many_then(store_t *st, const char *self_id,
                                const uint8_t *sk,
                                const proto_msg_batch_t *const *m, size_t n,
                                proto_buf_t *replies,
                                store_ingest_result_t *res, int *rcs,
                                store_ingest_then_fn then,
                                void *ctx) VOCFED_WUR;

/* The most batches node_batch_name_next names. */
#define NODE_BATCH_NEXT_MAX 32

/* Names to st the batches of the n (at most NODE_BATCH_NEXT_MAX) batch
 * messages at m, for their entries to be checked ahead of the next
 * node_batch_accept_many (store_ingest_next): one that does not read as a
 * batch is left out, and with none, what was named before is dropped.
 * The messages' bytes must stay where they are, unchanged, until that
 * group's accept returns or store_ingest_next_drop. */
void node_batch_name_next(store_t *st, const proto_msg_batch_t *const *m,
                          size_t n);

/* Checks a signed receipt from peer (issuer must be peer, signature by
 * peer_pk) against this node's own copy of the author's log, and records
 * it as the peer's ack. author (PROTO_ID_MAX + 1 bytes) and ack get what
 * it states. Returns 0; VOCFED_EROOT when the stated root is not ours at
 * that size (an alarm: the peer holds another log than ours);
 * VOCFED_EBADSIG, VOCFED_EAUTHOR or a decode error otherwise. */
int node_receipt_check(store_t *st, const char *peer,
                       const uint8_t peer_pk[PROTO_PUBKEY_LEN],
                       const uint8_t *receipt, size_t len, char *author,
                       store_ack_t *ack) VOCFED_WUR;

/* node_receipt_check without the recording: the caller records it (with
 * store_peer_ack), e.g. only the latest of several that came together. */
int node_receipt_verify(store_t *st, const char *peer,
                        const uint8_t peer_pk[PROTO_PUBKEY_LEN],
                        const uint8_t *receipt, size_t len, char *author,
                        store_ack_t *ack) VOCFED_WUR;

/* Appends a receipt message signed by self_id's key sk for its head of
 * author's log (SPEC 8.6): a receipt given again, when the one sent with
 * a batch may have been lost. Returns 0, VOCFED_ENOTFOUND when it holds
 * none of that log, or another status. */
int node_receipt_encode(store_t *st, const char *self_id, const uint8_t *sk,
                        const char *author, proto_buf_t *out) VOCFED_WUR;

/* Appends a hello (hello true) or heads message from self_id stating
 * this node's heads of the n given authors: entries held, their root and
 * the size of the latest checkpoint held (SPEC 8.2; authors it does not
 * know are stated as size 0). */
int node_heads_encode(store_t *st, const char *self_id, bool hello,
                      const char *const *authors, size_t n,
                      proto_buf_t *out) VOCFED_WUR;

/* Finds author's head in a decoded hello/heads; size 0 if absent. */
int node_heads_find(const proto_msg_heads_t *h, const char *author,
                    proto_head_t *out) VOCFED_WUR;

#endif
