/* vocfed: the per-author Merkle tree, RFC 6962 shape (SPEC 2).
 *
 * Leaves are numbered from 0 (entry seq s is leaf s-1). A perfect subtree
 * is named (level, index): it covers leaves [index << level,
 * (index + 1) << level); level 0 is the leaf hash itself. Stores keep
 * every perfect subtree, so any root or proof is computed from at most
 * O(log n) stored nodes. No I/O here: nodes come from a caller-supplied
 * source callback and go to a sink callback. */
#ifndef VOCFED_PROTOCOL_MERKLE_H
#define VOCFED_PROTOCOL_MERKLE_H

#include "protocol/hash.h"
#include "protocol/status.h"

#include <stdint.h>

#define PROTO_MERKLE_MAX_LEVELS 64
#define PROTO_MERKLE_MAX_PROOF 128

/* The right edge of a tree: enough to append and to compute the root. */
typedef struct {
    proto_hash_alg_t alg; /* which hash the tree uses */
    uint64_t size;        /* number of leaves appended */
    uint8_t hash[PROTO_MERKLE_MAX_LEVELS][PROTO_HASH_LEN]; /* hash[l] is the
                     perfect subtree of 2^l leaves, valid iff bit l of size */
} proto_frontier_t;

/* An inclusion or consistency proof: a list of node hashes. */
typedef struct {
    size_t len; /* number of hashes used */
    uint8_t hash[PROTO_MERKLE_MAX_PROOF][PROTO_HASH_LEN]; /* RFC 6962 order */
} proto_proof_t;

/* Receives each perfect subtree as it is completed (the leaf first, then
 * parents bottom up). Returns 0 to go on, anything else to stop: that
 * value is returned by the caller. */
typedef int (*proto_node_sink_fn)(void *ctx, unsigned level, uint64_t index,
                                  const uint8_t hash[PROTO_HASH_LEN]);

/* Fills out with the perfect subtree (level, index). Returns 0, or a
 * status (e.g. VOCFED_ENOTFOUND) that the caller passes back. */
typedef int (*proto_node_source_fn)(void *ctx, unsigned level, uint64_t index,
                                    uint8_t out[PROTO_HASH_LEN]);

/* An empty tree. */
void proto_frontier_init(proto_frontier_t *f, proto_hash_alg_t alg);

/* Appends one leaf hash (already domain-separated by proto_hash_leaf).
 * sink may be NULL. Returns 0 or the sink's non-zero value (then the
 * frontier is unchanged). */
int proto_frontier_append(proto_frontier_t *f,
                          const uint8_t leaf[PROTO_HASH_LEN],
                          proto_node_sink_fn sink, void *ctx) VOCFED_WUR;

/* The root of the frontier's tree; H("") for the empty tree. */
void proto_frontier_root(const proto_frontier_t *f,
                         uint8_t out[PROTO_HASH_LEN]);

/* Rebuilds the frontier of a tree of size leaves from stored nodes.
 * Returns 0 or the source's status. */
int proto_frontier_load(proto_frontier_t *f, proto_hash_alg_t alg,
                        uint64_t size, proto_node_source_fn source,
                        void *ctx) VOCFED_WUR;

/* Root of the tree of the first size leaves (any size <= stored size).
 * Returns 0 or the source's status. */
int proto_merkle_root(proto_hash_alg_t alg, uint64_t size,
                      proto_node_source_fn source, void *ctx,
                      uint8_t out[PROTO_HASH_LEN]) VOCFED_WUR;

/* RFC 6962 2.1.1 PATH(index, D[0:size]). Returns 0, VOCFED_EINVALID if
 * index >= size, or the source's status. */
int proto_merkle_inclusion_proof(proto_hash_alg_t alg, uint64_t index,
                                 uint64_t size, proto_node_source_fn source,
                                 void *ctx, proto_proof_t *out) VOCFED_WUR;

/* RFC 6962 2.1.2 PROOF(old_size, D[0:new_size]). Empty when old_size is 0
 * or equals new_size. Returns 0, VOCFED_EINVALID if old_size > new_size,
 * or the source's status. */
int proto_merkle_consistency_proof(proto_hash_alg_t alg, uint64_t old_size,
                                   uint64_t new_size,
                                   proto_node_source_fn source, void *ctx,
                                   proto_proof_t *out) VOCFED_WUR;

/* Checks that leaf (a leaf hash) is leaf number index of the tree of size
 * leaves with the given root (RFC 9162 2.1.3.2). Returns 0 or
 * VOCFED_EPROOF. */
int
proto_merkle_verify_inclusion(proto_hash_alg_t alg, uint64_t index,
                              uint64_t size, const uint8_t leaf[PROTO_HASH_LEN],
                              const proto_proof_t *proof,
                              const uint8_t root[PROTO_HASH_LEN]) VOCFED_WUR;

/* Checks that the tree (new_size, new_root) extends (old_size, old_root)
 * (RFC 9162 2.1.4.2). old_size 0 is consistent with anything; equal sizes
 * need equal roots and an empty proof. Returns 0 or VOCFED_EPROOF. */
int proto_merkle_verify_consistency(proto_hash_alg_t alg, uint64_t old_size,
                                    uint64_t new_size,
                                    const uint8_t old_root[PROTO_HASH_LEN],
                                    const uint8_t new_root[PROTO_HASH_LEN],
                                    const proto_proof_t *proof) VOCFED_WUR;

/* The perfect subtrees that tile leaves [begin, end), left to right
 * (SPEC 2, compact ranges): at each step the largest block that starts at begin
 * on a multiple of its own width and does not pass end. Empty when begin ==
 * end; at most 2 * 64 hashes. Together with the frontier of the first
 * begin leaves they give the root of the tree of end leaves
 * (proto_merkle_verify_range). Returns 0, VOCFED_EINVALID if begin > end,
 * or the source's status (then out is empty). */
int proto_merkle_compact_range(proto_hash_alg_t alg, uint64_t begin,
                               uint64_t end, proto_node_source_fn source,
                               void *ctx, proto_proof_t *out) VOCFED_WUR;

/* Appends a whole perfect subtree of 2^level leaves whose hash is given,
 * carrying like proto_frontier_append (no sink: the nodes it completes
 * are not the caller's to store). Returns 0, VOCFED_EINVALID if level >=
 * 64 or f->size is not a multiple of 2^level, or VOCFED_ETOOLARGE if the
 * tree would pass 2^64 - 1 leaves; on error f is unchanged. */
int proto_frontier_append_node(proto_frontier_t *f, unsigned level,
                               const uint8_t hash[PROTO_HASH_LEN]) VOCFED_WUR;
/* proto_frontier_append_node with a sink: sink gets the subtree itself
 * (level, f->size >> level), then each parent the carry completes, as
 * proto_frontier_append gives them (sink may be NULL). A sink's non-zero
 * value is returned, and f is then unchanged. So a caller that has the
 * hash of a whole aligned block of leaves (hashed elsewhere, e.g. on
 * another thread) appends it in one step and stores the same nodes of
 * levels >= level as the leaves one by one would have. */
int proto_frontier_append_subtree(proto_frontier_t *f, unsigned level,
                                  const uint8_t hash[PROTO_HASH_LEN],
                                  proto_node_sink_fn sink,
                                  void *ctx) VOCFED_WUR;
/* The largest level proto_merkle_subtree_hash takes (64 leaves). */
#define PROTO_MERKLE_SUBTREE_MAX 6
/* out = the perfect subtree of the 2^level leaf hashes at leaves (in
 * order): the node (level, i) of any tree whose leaves i * 2^level on
 * are these. Returns 0, or VOCFED_EINVALID past PROTO_MERKLE_SUBTREE_MAX. */
int proto_merkle_subtree_hash(proto_hash_alg_t alg,
                              const uint8_t (*leaves)[PROTO_HASH_LEN],
                              unsigned level,
                              uint8_t out[PROTO_HASH_LEN]) VOCFED_WUR;

/* Checks that the tree of the frontier's f->size leaves, extended by the
 * compact range [f->size, size) in right (proto_merkle_compact_range),
 * has the given root. The receiver builds f itself from entries it has
 * verified; right comes from the peer. Returns 0, or VOCFED_EPROOF when
 * size < f->size, alg is not f's, right holds more or fewer hashes than
 * the range has subtrees, or the root differs. f is not changed. */
int proto_merkle_verify_range(proto_hash_alg_t alg, const proto_frontier_t *f,
                              uint64_t size, const proto_proof_t *right,
                              const uint8_t root[PROTO_HASH_LEN]) VOCFED_WUR;

#endif
