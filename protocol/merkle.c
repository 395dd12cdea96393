/* vocfed: the per-author Merkle tree, RFC 6962 shape (SPEC 2).
 *
 * Every hash the tree needs is a fold of perfect subtrees: a tree or
 * subtree of n leaves that starts on a boundary RFC 6962 would put it on
 * is the perfect subtrees named by the set bits of n, joined right to
 * left. So roots and proofs read O(log n) stored nodes and never recurse
 * through the callbacks. */
#include "protocol/merkle.h"

#include <assert.h>
#include <string.h>

/* A run of leaves [start, start + count) that is a node of some RFC 6962
 * tree: start is a multiple of the smallest power of two >= count. */
typedef struct {
    uint64_t start; /* first leaf */
    uint64_t count; /* number of leaves, >= 1 */
} s_range_t;

/* The largest power of two strictly below n (n >= 2): RFC 6962's k. */
static uint64_t
s_split(uint64_t n)
{
    assert(n >= 2);
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* out = MTH(D[r.start : r.start + r.count]) read from source. The set
 * bits of count, lowest first, name the perfect subtrees from the right
 * end; RFC 6962's recursive split yields the same tree because the left
 * part of every split is a power of two. */
static int
s_range_hash(proto_hash_alg_t alg, s_range_t r, proto_node_source_fn source,
             void *ctx, uint8_t out[PROTO_HASH_LEN])
{
    assert(r.count >= 1);
    uint64_t pos = r.start + r.count;
    uint8_t node[PROTO_HASH_LEN];
    int have = 0;
    for (unsigned level = 0; level < PROTO_MERKLE_MAX_LEVELS; level++) {
        uint64_t width = (uint64_t)1 << level;
        if (!(r.count & width))
            continue;
        pos -= width;
        /* A misaligned range would name the wrong subtree; only a bug in
         * this file can produce one. */
        assert((pos & (width - 1)) == 0);
        int rc = source(ctx, level, pos >> level, have ? node : out);
        if (rc != 0)
            return rc;
        if (have)
            proto_hash_node(alg, node, out, out);
        have = 1;
    }
    return VOCFED_OK;
}

void
proto_frontier_init(proto_frontier_t *f, proto_hash_alg_t alg)
{
    assert(f);
    memset(f, 0, sizeof *f);
    f->alg = alg;
}

int
proto_frontier_append(proto_frontier_t *f, const uint8_t leaf[PROTO_HASH_LEN],
                      proto_node_sink_fn sink, void *ctx)
{
    assert(f && leaf);
    /* Leaf 2^64 - 1 would need a level-64 node: the tree is full. */
    if (f->size == UINT64_MAX)
        return VOCFED_ETOOLARGE;

    /* Carry into a temporary so a refusing sink leaves f as it was. */
    uint8_t carry[PROTO_HASH_LEN];
    memcpy(carry, leaf, PROTO_HASH_LEN);
    if (sink) {
        int rc = sink(ctx, 0, f->size, carry);
        if (rc != 0)
            return rc;
    }
    unsigned level = 0;
    while (f->size & ((uint64_t)1 << level)) {
        proto_hash_node(f->alg, f->hash[level], carry, carry);
        level++;
        if (sink) {
            int rc = sink(ctx, level, f->size >> level, carry);
            if (rc != 0)
                return rc;
        }
    }

    /* The carried levels are no longer part of the right edge; zero them
     * so two frontiers of one tree compare equal byte for byte. */
    memset(f->hash, 0, (size_t)level * PROTO_HASH_LEN);
    memcpy(f->hash[level], carry, PROTO_HASH_LEN);
    f->size++;
    return VOCFED_OK;
}

void
proto_frontier_root(const proto_frontier_t *f, uint8_t out[PROTO_HASH_LEN])
{
    assert(f && out);
    if (f->size == 0) {
        static const uint8_t empty[1];
        proto_hash(f->alg, empty, 0, out);
        return;
    }
    int have = 0;
    for (unsigned level = 0; level < PROTO_MERKLE_MAX_LEVELS; level++) {
        if (!(f->size & ((uint64_t)1 << level)))
            continue;
        if (have)
            proto_hash_node(f->alg, f->hash[level], out, out);
        else
            memcpy(out, f->hash[level], PROTO_HASH_LEN);
        have = 1;
    }
}

int
proto_frontier_load(proto_frontier_t *f, proto_hash_alg_t alg, uint64_t size,
                    proto_node_source_fn source, void *ctx)
{
    assert(f && source);
    /* Fill a copy so a failing source leaves f as it was. */
    proto_frontier_t tmp;
    proto_frontier_init(&tmp, alg);
    for (unsigned level = 0; level < PROTO_MERKLE_MAX_LEVELS; level++) {
        if (!(size & ((uint64_t)1 << level)))
            continue;
        int rc = source(ctx, level, (size >> level) - 1, tmp.hash[level]);
        if (rc != 0)
            return rc;
    }
    tmp.size = size;
    *f = tmp;
    return VOCFED_OK;
}

int
proto_merkle_root(proto_hash_alg_t alg, uint64_t size,
                  proto_node_source_fn source, void *ctx,
                  uint8_t out[PROTO_HASH_LEN])
{
    assert(source && out);
    if (size == 0) {
        static const uint8_t empty[1];
        proto_hash(alg, empty, 0, out);
        return VOCFED_OK;
    }
    s_range_t all = {0, size};
    return s_range_hash(alg, all, source, ctx, out);
}

/* Reads each range's hash into out after what it holds, last range
 * first: the walks below find siblings root-down, RFC 6962 lists them
 * leaf-up. On failure empties out. */
static int
s_emit_reversed(proto_hash_alg_t alg, const s_range_t *ranges, size_t n,
                proto_node_source_fn source, void *ctx, proto_proof_t *out)
{
    assert(out->len + n <= PROTO_MERKLE_MAX_PROOF);
    for (size_t i = 0; i < n; i++) {
        int rc = s_range_hash(alg, ranges[n - 1 - i], source, ctx,
                              out->hash[out->len]);
        if (rc != 0) {
            out->len = 0;
            return rc;
        }
        out->len++;
    }
    return VOCFED_OK;
}

/* RFC 6962's walk from the root of a tree of size leaves down towards the
 * subtree whose last leaf is leaf m - 1 (1 <= m <= size), into the half
 * that holds it at each split; every other half is a sibling. The walk
 * stops at a single leaf (to_leaf: PATH) or at the first subtree that
 * ends exactly at leaf m - 1 (SUBPROOF). */
typedef struct {
    s_range_t sib[PROTO_MERKLE_MAX_LEVELS]; /* siblings, root first */
    size_t depth;                           /* siblings found */
    s_range_t at;                           /* where the walk stopped */
} s_walk_t;

static void
s_walk(uint64_t size, uint64_t m, int to_leaf, s_walk_t *w)
{
    uint64_t a = 0, n = size;
    w->depth = 0;
    /* 0 < m <= n throughout; a step is taken only with n >= 2 (with
     * m < n when not to_leaf), and each at least halves n, so depth stays
     * below 64. */
    while (to_leaf ? n > 1 : m != n) {
        assert(w->depth < PROTO_MERKLE_MAX_LEVELS);
        uint64_t k = s_split(n);
        if (m <= k) {
            w->sib[w->depth++] = (s_range_t){a + k, n - k};
            n = k;
        } else {
            w->sib[w->depth++] = (s_range_t){a, k};
            a += k;
            n -= k;
            m -= k;
        }
    }
    w->at = (s_range_t){a, n};
}

/* The proof of the walk towards leaf m - 1 of a tree of size leaves:
 * PATH (to_leaf) or SUBPROOF(m, D[size], true) (SPEC 2). m is 0 only when
 * an index + 1 wrapped. SUBPROOF lists first the old tree's last piece,
 * where the walk stopped, unless it is the whole old tree (the walk never
 * went right, RFC 6962's b). */
static int
s_prove(proto_hash_alg_t alg, uint64_t size, uint64_t m, int to_leaf,
        proto_node_source_fn source, void *ctx, proto_proof_t *out)
{
    assert(source && out);
    out->len = 0;
    if (m > size || (to_leaf && m == 0))
        return VOCFED_EINVALID;
    if (!to_leaf && (m == 0 || m == size))
        return VOCFED_OK;
    s_walk_t w;
    s_walk(size, m, to_leaf, &w);
    if (!to_leaf && w.at.start != 0) {
        int rc = s_range_hash(alg, w.at, source, ctx, out->hash[0]);
        if (rc != 0)
            return rc;
        out->len = 1;
    }
    return s_emit_reversed(alg, w.sib, w.depth, source, ctx, out);
}

/* RFC 6962 2.1.1: PATH(m, D[n]) is PATH of the half holding m, then the
 * other half's MTH. */
int
proto_merkle_inclusion_proof(proto_hash_alg_t alg, uint64_t index,
                             uint64_t size, proto_node_source_fn source,
                             void *ctx, proto_proof_t *out)
{
    return s_prove(alg, size, index + 1, 1, source, ctx, out);
}

/* RFC 6962 2.1.2: PROOF(m, D[n]) is SUBPROOF(m, D[n], true). */
int
proto_merkle_consistency_proof(proto_hash_alg_t alg, uint64_t old_size,
                               uint64_t new_size, proto_node_source_fn source,
                               void *ctx, proto_proof_t *out)
{
    return s_prove(alg, new_size, old_size, 0, source, ctx, out);
}

/* RFC 9162 2.1.3.2. fn walks the leaf's position and sn the tree's last
 * position up the tree; the proof must run out exactly when sn reaches
 * 0, which rejects any proof of the wrong length. */
int
proto_merkle_verify_inclusion(proto_hash_alg_t alg, uint64_t index,
                              uint64_t size, const uint8_t leaf[PROTO_HASH_LEN],
                              const proto_proof_t *proof,
                              const uint8_t root[PROTO_HASH_LEN])
{
    assert(leaf && proof && root);
    if (proof->len > PROTO_MERKLE_MAX_PROOF || index >= size)
        return VOCFED_EPROOF;

    uint64_t fn = index, sn = size - 1;
    uint8_t r[PROTO_HASH_LEN];
    memcpy(r, leaf, PROTO_HASH_LEN);
    for (size_t i = 0; i < proof->len; i++) {
        if (sn == 0)
            return VOCFED_EPROOF;
        if ((fn & 1) || fn == sn) {
            proto_hash_node(alg, proof->hash[i], r, r);
            /* Skip the levels where this node is promoted unpaired. */
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            proto_hash_node(alg, r, proof->hash[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || memcmp(r, root, PROTO_HASH_LEN) != 0)
        return VOCFED_EPROOF;
    return VOCFED_OK;
}

/* Element i of RFC 9162's consistency_path after its step 2: when the
 * old size is a power of two the old root is itself a node of the new
 * tree, the proof omits it and the verifier puts it first. Indexing
 * around it saves copying the proof. */
static const uint8_t *
s_cons_elem(const proto_proof_t *proof, int prepend,
            const uint8_t old_root[PROTO_HASH_LEN], size_t i)
{
    if (!prepend)
        return proof->hash[i];
    return i == 0 ? old_root : proof->hash[i - 1];
}

/* RFC 9162 2.1.4.2. fr rebuilds the old root from the proof's left-hand
 * nodes, sr the new root from all of them; as in inclusion, the proof
 * must run out exactly when sn reaches 0. */
int
proto_merkle_verify_consistency(proto_hash_alg_t alg, uint64_t old_size,
                                uint64_t new_size,
                                const uint8_t old_root[PROTO_HASH_LEN],
                                const uint8_t new_root[PROTO_HASH_LEN],
                                const proto_proof_t *proof)
{
    assert(old_root && new_root && proof);
    if (proof->len > PROTO_MERKLE_MAX_PROOF || old_size > new_size)
        return VOCFED_EPROOF;
    if (old_size == new_size) {
        if (proof->len != 0 || memcmp(old_root, new_root, PROTO_HASH_LEN) != 0)
            return VOCFED_EPROOF;
        return VOCFED_OK;
    }
    /* RFC 6962 2.1.2: PROOF(0, D[n]) is empty; anything else is forged. */
    if (old_size == 0)
        return proof->len == 0 ? VOCFED_OK : VOCFED_EPROOF;
    if (proof->len == 0)
        return VOCFED_EPROOF;

    int prepend = (old_size & (old_size - 1)) == 0;
    size_t total = proof->len + (prepend ? 1 : 0);
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[PROTO_HASH_LEN], sr[PROTO_HASH_LEN];
    memcpy(fr, s_cons_elem(proof, prepend, old_root, 0), PROTO_HASH_LEN);
    memcpy(sr, fr, PROTO_HASH_LEN);
    for (size_t i = 1; i < total; i++) {
        const uint8_t *c = s_cons_elem(proof, prepend, old_root, i);
        if (sn == 0)
            return VOCFED_EPROOF;
        if ((fn & 1) || fn == sn) {
            proto_hash_node(alg, c, fr, fr);
            proto_hash_node(alg, c, sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            proto_hash_node(alg, sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || memcmp(fr, old_root, PROTO_HASH_LEN) != 0 ||
        memcmp(sr, new_root, PROTO_HASH_LEN) != 0)
        return VOCFED_EPROOF;
    return VOCFED_OK;
}

/* The level of the next block of the compact range [begin, end), begin <
 * end (SPEC 2, compact ranges): the largest width that divides begin
 * (any, when begin is 0) and fits in what is left. */
static unsigned
s_range_level(uint64_t begin, uint64_t end)
{
    assert(begin < end);
    unsigned fit = 63 - (unsigned)__builtin_clzll(end - begin);
    if (begin == 0)
        return fit;
    unsigned align = (unsigned)__builtin_ctzll(begin);
    return align < fit ? align : fit;
}

int
proto_merkle_compact_range(proto_hash_alg_t alg, uint64_t begin, uint64_t end,
                           proto_node_source_fn source, void *ctx,
                           proto_proof_t *out)
{
    (void)alg; /* every block is a stored node: nothing to hash */
    assert(source && out);
    out->len = 0;
    if (begin > end)
        return VOCFED_EINVALID;
    while (begin < end) {
        unsigned level = s_range_level(begin, end);
        /* Levels rise while begin aligns, then fall while the rest
         * shrinks: at most 64 of each, within the proof's 128. */
        assert(out->len < PROTO_MERKLE_MAX_PROOF);
        int rc = source(ctx, level, begin >> level, out->hash[out->len]);
        if (rc != 0) {
            out->len = 0;
            return rc;
        }
        out->len++;
        begin += (uint64_t)1 << level;
    }
    return VOCFED_OK;
}

int
proto_frontier_append_subtree(proto_frontier_t *f, unsigned level,
                              const uint8_t hash[PROTO_HASH_LEN],
                              proto_node_sink_fn sink, void *ctx)
{
    assert(f && hash);
    if (level >= PROTO_MERKLE_MAX_LEVELS)
        return VOCFED_EINVALID;
    uint64_t width = (uint64_t)1 << level;
    if (f->size & (width - 1))
        return VOCFED_EINVALID;
    /* The same bound as a leaf append: at most 2^64 - 1 leaves, so the
     * carry below never reaches level 64. */
    if (width > UINT64_MAX - f->size)
        return VOCFED_ETOOLARGE;

    /* Carry into a temporary so a refusing sink leaves f as it was. */
    uint8_t carry[PROTO_HASH_LEN];
    memcpy(carry, hash, PROTO_HASH_LEN);
    int rc;
    if (sink && (rc = sink(ctx, level, f->size >> level, carry)) != 0)
        return rc;
    unsigned top = level;
    while (f->size & ((uint64_t)1 << top)) {
        proto_hash_node(f->alg, f->hash[top], carry, carry);
        top++;
        if (sink && (rc = sink(ctx, top, f->size >> top, carry)) != 0)
            return rc;
    }
    /* As in proto_frontier_append: carried levels are zeroed so two
     * frontiers of one tree compare equal byte for byte. */
    memset(f->hash[level], 0, (size_t)(top - level) * PROTO_HASH_LEN);
    memcpy(f->hash[top], carry, PROTO_HASH_LEN);
    f->size += width;
    return VOCFED_OK;
}

int
proto_frontier_append_node(proto_frontier_t *f, unsigned level,
                           const uint8_t hash[PROTO_HASH_LEN])
{
    return proto_frontier_append_subtree(f, level, hash, NULL, NULL);
}

int
proto_merkle_subtree_hash(proto_hash_alg_t alg,
                          const uint8_t (*leaves)[PROTO_HASH_LEN],
                          unsigned level, uint8_t out[PROTO_HASH_LEN])
{
    assert(leaves && out);
    if (level > PROTO_MERKLE_SUBTREE_MAX)
        return VOCFED_EINVALID;
    uint8_t h[(size_t)1 << PROTO_MERKLE_SUBTREE_MAX][PROTO_HASH_LEN];
    size_t n = (size_t)1 << level;
    memcpy(h, leaves, n * PROTO_HASH_LEN);
    /* Each level pairs the one below in place, left to right. */
    for (; n > 1; n /= 2)
        for (size_t j = 0; j < n / 2; j++)
            proto_hash_node(alg, h[2 * j], h[2 * j + 1], h[j]);
    memcpy(out, h[0], PROTO_HASH_LEN);
    return VOCFED_OK;
}

/* Appends the peer's blocks to a copy of the receiver's frontier in the
 * order compact_range lists them; each is aligned by construction, so
 * the append cannot refuse. The hashes must run out exactly at size. */
int
proto_merkle_verify_range(proto_hash_alg_t alg, const proto_frontier_t *f,
                          uint64_t size, const proto_proof_t *right,
                          const uint8_t root[PROTO_HASH_LEN])
{
    assert(f && right && root);
    if (f->alg != alg || size < f->size || right->len > PROTO_MERKLE_MAX_PROOF)
        return VOCFED_EPROOF;
    proto_frontier_t tmp = *f;
    size_t used = 0;
    while (tmp.size < size) {
        if (used == right->len)
            return VOCFED_EPROOF;
        unsigned level = s_range_level(tmp.size, size);
        if (proto_frontier_append_node(&tmp, level, right->hash[used]) != 0)
            return VOCFED_EPROOF;
        used++;
    }
    if (used != right->len)
        return VOCFED_EPROOF;
    uint8_t got[PROTO_HASH_LEN];
    proto_frontier_root(&tmp, got);
    return memcmp(got, root, PROTO_HASH_LEN) == 0 ? VOCFED_OK : VOCFED_EPROOF;
}
