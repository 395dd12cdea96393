/* vocfed: the log layer (SPEC 3, 4, 5.1, 5.3): authors, appending
 * entries with their tree nodes and checkpoint, and reading entries,
 * checkpoints, heads and proofs back. */
#include "storage/log_internal.h"
#include "storage/ahead.h"
#include "storage/persons.h"
#include "protocol/clock.h"
#include "protocol/handover.h"
#include "protocol/merkle.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- authors --------------------------------------------------------- */

int
store_i_authno(MDB_txn *txn, store_t *self, const char *id, uint32_t *no)
{
    uint8_t k[1 + PROTO_ID_MAX];
    size_t len = strlen(id);
    if (!proto_id_valid(id, len))
        return VOCFED_ENOTFOUND;
    k[0] = 'i';
    memcpy(k + 1, id, len);
    MDB_val key = {1 + len, k}, d;
    int rc = mdb_get(txn, self->authors, &key, &d);
    if (rc == MDB_NOTFOUND)
        return VOCFED_ENOTFOUND;
    if (rc)
        return rc;
    if (d.mv_size != 4)
        return VOCFED_ECORRUPT;
    *no = store_i_rd32(d.mv_data);
    return MDB_SUCCESS;
}

int
store_i_author_id(MDB_txn *txn, store_t *self, uint32_t no,
                  char id[PROTO_ID_MAX + 1])
{
    uint8_t nk[5] = {'n'};
    store_i_be32(nk + 1, no);
    MDB_val key = {5, nk}, d;
    int rc = mdb_get(txn, self->authors, &key, &d);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    size_t len = d.mv_size - PROTO_PUBKEY_LEN;
    if (d.mv_size <= PROTO_PUBKEY_LEN || len > PROTO_ID_MAX)
        return VOCFED_ECORRUPT;
    memcpy(id, (uint8_t *)d.mv_data + PROTO_PUBKEY_LEN, len);
    id[len] = 0;
    return MDB_SUCCESS;
}

typedef struct {
    const char *author;   /* whose log */
    store_i_author_fn fn; /* the work on it */
    void *ctx;            /* its context */
} s_author_read_t;

static int
s_author_read_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_author_read_t *r = ctx;
    uint32_t no;
    int rc = store_i_authno(txn, self, r->author, &no);
    return rc ? rc : r->fn(self, txn, no, r->ctx);
}

int
store_i_read_author(store_t *self, const char *author, store_i_author_fn fn,
                    void *ctx)
{
    s_author_read_t r = {author, fn, ctx};
    return store_i_read(self, s_author_read_txn, &r);
}

typedef struct {
    const char *id;    /* author id */
    const uint8_t *pk; /* its key */
} s_author_ctx_t;

int
store_i_author_count(store_t *self, MDB_txn *txn, uint32_t *no)
{
    MDB_cursor *cur;
    MDB_val key, d;
    int rc = mdb_cursor_open(txn, self->authors, &cur);
    if (rc)
        return rc;
    rc = mdb_cursor_get(cur, &key, &d, MDB_LAST);
    mdb_cursor_close(cur);
    *no = 0;
    if (rc == MDB_SUCCESS && key.mv_size == 5 &&
        ((uint8_t *)key.mv_data)[0] == 'n')
        *no = store_i_rd32((uint8_t *)key.mv_data + 1) + 1;
    else if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return rc;
    return MDB_SUCCESS;
}

static int
s_author_add_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_author_ctx_t *a = ctx;
    uint8_t pk[PROTO_PUBKEY_LEN];
    uint32_t no;
    int rc = store_i_authno(txn, self, a->id, &no);
    if (rc == MDB_SUCCESS) {
        if ((rc = store_i_author_pk(txn, self, no, pk)))
            return rc;
        return memcmp(pk, a->pk, PROTO_PUBKEY_LEN) ? VOCFED_EEXISTS
                                                   : MDB_SUCCESS;
    }
    if (rc != VOCFED_ENOTFOUND || (rc = store_i_author_count(self, txn, &no)))
        return rc;

    size_t len = strlen(a->id);
    uint8_t ik[1 + PROTO_ID_MAX], nk[5], nv[PROTO_PUBKEY_LEN + PROTO_ID_MAX],
        iv[4];
    ik[0] = 'i';
    memcpy(ik + 1, a->id, len);
    nk[0] = 'n';
    store_i_be32(nk + 1, no);
    store_i_be32(iv, no);
    memcpy(nv, a->pk, PROTO_PUBKEY_LEN);
    memcpy(nv + PROTO_PUBKEY_LEN, a->id, len);
    MDB_val k1 = {1 + len, ik}, d1 = {4, iv};
    MDB_val k2 = {5, nk}, d2 = {PROTO_PUBKEY_LEN + len, nv};
    if ((rc = mdb_put(txn, self->authors, &k1, &d1, MDB_NOOVERWRITE)))
        return rc;
    return mdb_put(txn, self->authors, &k2, &d2, MDB_NOOVERWRITE);
}

int
store_author_add(store_t *self, const char *id,
                 const uint8_t pk[PROTO_PUBKEY_LEN])
{
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_EINVALID;
    s_author_ctx_t a = {id, pk};
    return store_i_write(self, s_author_add_txn, &a);
}

/* Whether dbi holds no key that begins with prefix (len bytes). */
static int
s_none_with(MDB_txn *txn, MDB_dbi dbi, const uint8_t *prefix, size_t len,
            bool *none)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return rc;
    MDB_val key = {len, (void *)prefix}, d;
    rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE);
    mdb_cursor_close(cur);
    *none = rc == MDB_NOTFOUND ||
            (rc == MDB_SUCCESS &&
             (key.mv_size < len || memcmp(key.mv_data, prefix, len) != 0));
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

typedef struct {
    const char *from, *to; /* the ids */
} s_rename_t;

static int
s_author_rename_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    const s_rename_t *r = ctx;
    uint32_t no, other;
    int rc = store_i_authno(txn, self, r->from, &no);
    if (rc)
        return rc;
    if ((rc = store_i_authno(txn, self, r->to, &other)) != VOCFED_ENOTFOUND)
        return rc ? rc : VOCFED_EEXISTS;
    uint8_t a[4], k[5] = {'k'};
    store_i_be32(a, no);
    store_i_be32(k + 1, no);
    const struct {
        MDB_dbi dbi;
        const uint8_t *prefix;
        size_t len;
    } held[] = {{self->entries, a, 4},
                {self->checkpoints, a, 4},
                {self->pending, a, 4},
                {self->authors, k, 5}};
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
        bool none;
        if ((rc = s_none_with(txn, held[i].dbi, held[i].prefix, held[i].len,
                              &none)))
            return rc;
        if (!none)
            return VOCFED_EINVALID;
    }
    /* The 'n' row: the key registered first, then the id. */
    size_t flen = strlen(r->from), tlen = strlen(r->to);
    uint8_t fk[1 + PROTO_ID_MAX], tk[1 + PROTO_ID_MAX],
        nk[5] = {'n'}, nv[PROTO_PUBKEY_LEN + PROTO_ID_MAX];
    store_i_be32(nk + 1, no);
    MDB_val k3 = {5, nk}, d3;
    if ((rc = mdb_get(txn, self->authors, &k3, &d3)))
        return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    if (d3.mv_size < PROTO_PUBKEY_LEN)
        return VOCFED_ECORRUPT;
    memcpy(nv, d3.mv_data, PROTO_PUBKEY_LEN);
    memcpy(nv + PROTO_PUBKEY_LEN, r->to, tlen);
    d3 = (MDB_val){PROTO_PUBKEY_LEN + tlen, nv};
    fk[0] = tk[0] = 'i';
    memcpy(fk + 1, r->from, flen);
    memcpy(tk + 1, r->to, tlen);
    MDB_val k1 = {1 + flen, fk}, k2 = {1 + tlen, tk}, d2 = {4, a};
    if ((rc = mdb_del(txn, self->authors, &k1, NULL)) ||
        (rc = mdb_put(txn, self->authors, &k2, &d2, MDB_NOOVERWRITE)))
        return rc;
    return mdb_put(txn, self->authors, &k3, &d3, 0);
}

int
store_author_rename(store_t *self, const char *from, const char *to)
{
    if (!proto_id_valid(from, strlen(from)) || !proto_id_valid(to, strlen(to)))
        return VOCFED_EINVALID;
    s_rename_t r = {from, to};
    return store_i_write(self, s_author_rename_txn, &r);
}

static int
s_author_key_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    return store_i_author_pk(txn, self, no, ctx);
}

int
store_author_key(store_t *self, const char *id, uint8_t pk[PROTO_PUBKEY_LEN])
{
    return store_i_read_author(self, id, s_author_key_txn, pk);
}

typedef struct {
    store_author_fn fn; /* the caller's callback */
    void *ctx;          /* its context */
    int stop;           /* its non-zero value, if it stopped the scan */
} s_author_scan_t;

static int
s_author_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_author_scan_t *s = ctx;
    char id[PROTO_ID_MAX + 1];
    size_t len = d->mv_size - PROTO_PUBKEY_LEN;
    if (key->mv_size != 5 || d->mv_size <= PROTO_PUBKEY_LEN ||
        len > PROTO_ID_MAX)
        return VOCFED_ECORRUPT;
    memcpy(id, (uint8_t *)d->mv_data + PROTO_PUBKEY_LEN, len);
    id[len] = 0;
    return s->stop = s->fn(s->ctx, id, d->mv_data);
}

static int
s_author_scan_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    /* 'n' keys: in registration order. */
    return store_i_scan(txn, self->authors, "n", 1, 0, s_author_row, ctx);
}

int
store_scan_authors(store_t *self, store_author_fn fn, void *ctx)
{
    s_author_scan_t s = {fn, ctx, 0};
    int rc = store_i_read(self, s_author_scan_txn, &s);
    return s.stop ? s.stop : rc;
}

/* ---- tree nodes ------------------------------------------------------ */

/* SPEC 5.1: a leaf hash is kept in front of its entry; subtrees below
 * STORE_NODE_MIN_LEVEL are recomputed from leaves (at most 2^3 of them),
 * higher ones are read from the nodes database. */
int
store_i_node_source(void *ctx, unsigned level, uint64_t index,
                    uint8_t out[PROTO_HASH_LEN])
{
    store_i_tree_t *t = ctx;
    MDB_val d;
    int rc;
    if (level == 0) {
        uint8_t k[STORE_KEY_ENTRY_LEN];
        store_i_key_entry(k, t->authno, index + 1);
        MDB_val key = {sizeof k, k};
        if ((rc = mdb_get(t->txn, t->self->entries, &key, &d)))
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
        if (d.mv_size < PROTO_HASH_LEN)
            return VOCFED_ECORRUPT;
    } else if (level < STORE_NODE_MIN_LEVEL) {
        uint8_t left[PROTO_HASH_LEN], right[PROTO_HASH_LEN];
        if ((rc = store_i_node_source(ctx, level - 1, 2 * index, left)) ||
            (rc = store_i_node_source(ctx, level - 1, 2 * index + 1, right)))
            return rc;
        proto_hash_node(PROTO_HASH_BLAKE2B256, left, right, out);
        return MDB_SUCCESS;
    } else {
        uint8_t k[STORE_KEY_NODE_LEN];
        store_i_key_node(k, t->authno, level, index);
        MDB_val key = {sizeof k, k};
        if ((rc = mdb_get(t->txn, t->self->nodes, &key, &d)))
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
        if (d.mv_size != PROTO_HASH_LEN)
            return VOCFED_ECORRUPT;
    }
    memcpy(out, d.mv_data, PROTO_HASH_LEN);
    return MDB_SUCCESS;
}

int
store_i_node_sink(void *ctx, unsigned level, uint64_t index,
                  const uint8_t hash[PROTO_HASH_LEN])
{
    store_i_tree_t *t = ctx;
    if (level < STORE_NODE_MIN_LEVEL)
        return MDB_SUCCESS; /* the leaf went in with its entry */
    uint8_t k[STORE_KEY_NODE_LEN];
    store_i_key_node(k, t->authno, level, index);
    MDB_val key = {sizeof k, k}, d = {PROTO_HASH_LEN, (void *)hash};
    return mdb_put(t->txn, t->self->nodes, &key, &d, 0);
}

int
store_i_fr_load(store_i_fr_t *f, uint64_t size, store_i_tree_t *t)
{
    f->nheld = 0;
    f->ahead = true;
    f->blocks = 0;
    return proto_frontier_load(&f->fr, PROTO_HASH_BLAKE2B256, size,
                               store_i_node_source, t);
}

int
store_i_fr_flush(store_i_fr_t *f, store_i_tree_t *t)
{
    for (unsigned j = 0; j < f->nheld; j++) {
        int rc =
            proto_frontier_append(&f->fr, f->held[j], store_i_node_sink, t);
        if (rc) {
            /* The leaves not yet in stay held, in order. */
            memmove(f->held, f->held[j], (f->nheld - j) * PROTO_HASH_LEN);
            f->nheld -= j;
            return rc;
        }
    }
    f->nheld = 0;
    f->ahead = true;
    return MDB_SUCCESS;
}

int
store_i_fr_leaf(store_i_fr_t *f, const uint8_t leaf[PROTO_HASH_LEN], bool ahead,
                const store_i_block_t *blk, store_i_tree_t *t)
{
    /* Leaves below the levels stored go to no sink: only a whole block
     * can skip them. */
    if (f->nheld == 0 && (f->fr.size & (STORE_BLOCK - 1)) != 0)
        return proto_frontier_append(&f->fr, leaf, store_i_node_sink, t);
    memcpy(f->held[f->nheld++], leaf, PROTO_HASH_LEN);
    f->ahead = f->ahead && ahead;
    if (f->nheld < STORE_BLOCK)
        return MDB_SUCCESS;
    /* The helper's node is of the same leaves: it hashed every one held
     * (ahead), the block is the one that starts at fr.size, and it ends
     * with this leaf. Else the node is made here, a level at a time (its
     * pairs hashed together, hash.h), from the leaves held: the block
     * starts at fr.size, aligned (held from an aligned size on), so it
     * goes in whole either way, and the nodes below it go to no sink. */
    uint8_t node[PROTO_HASH_LEN];
    bool helpers = f->ahead && blk && blk->first == f->fr.size;
    if (helpers) {
        memcpy(node, blk->hash, PROTO_HASH_LEN);
    } else {
        uint8_t h[STORE_BLOCK][PROTO_HASH_LEN];
        memcpy(h, f->held, sizeof h);
        for (size_t n = STORE_BLOCK / 2; n >= 1; n /= 2)
            proto_hash_pairs(n, (const uint8_t(*)[PROTO_HASH_LEN])h, h);
        memcpy(node, h[0], PROTO_HASH_LEN);
    }
    int rc = proto_frontier_append_subtree(&f->fr, STORE_NODE_MIN_LEVEL, node,
                                           store_i_node_sink, t);
    if (rc)
        return rc;
    f->nheld = 0;
    f->ahead = true;
    f->blocks += helpers;
    return MDB_SUCCESS;
}

/* ---- entries and checkpoints of one author ---------------------------- */

/* The row keyed authno | n (entries, checkpoints) of dbi, borrowed. */
static int
s_get_numbered(MDB_txn *txn, MDB_dbi dbi, uint32_t authno, uint64_t n,
               MDB_val *out)
{
    uint8_t k[STORE_KEY_ENTRY_LEN];
    store_i_key_entry(k, authno, n);
    MDB_val key = {sizeof k, k};
    return mdb_get(txn, dbi, &key, out);
}

int
store_i_entry_value(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t seq,
                    MDB_val *out)
{
    int rc = s_get_numbered(txn, self->entries, authno, seq, out);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    return out->mv_size < PROTO_HASH_LEN ? VOCFED_ECORRUPT : MDB_SUCCESS;
}

int
store_i_latest_cp(store_t *self, MDB_txn *txn, uint32_t authno, MDB_val *out)
{
    uint8_t k[STORE_KEY_CP_LEN];
    MDB_val key;
    store_i_key_cp(k, authno, UINT64_MAX);
    return store_i_seek_last(txn, self->checkpoints, k, sizeof k, 4, &key, out);
}

int
store_i_cp_at(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t size,
              MDB_val *out)
{
    return s_get_numbered(txn, self->checkpoints, authno, size, out);
}

int
store_i_cp_at_or_below(store_t *self, MDB_txn *txn, uint32_t authno,
                       uint64_t max, uint64_t *size)
{
    uint8_t k[STORE_KEY_CP_LEN];
    MDB_val key, d;
    store_i_key_cp(k, authno, max);
    int rc =
        store_i_seek_last(txn, self->checkpoints, k, sizeof k, 4, &key, &d);
    *size = 0;
    if (rc == MDB_SUCCESS && key.mv_size == STORE_KEY_CP_LEN)
        *size = store_i_rd64((uint8_t *)key.mv_data + 4);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* The first row of the checkpoints at or after (authno, min) that is
 * still authno's stops the scan. */
static int
s_first_cp(void *ctx, const MDB_val *key, const MDB_val *d)
{
    MDB_val *out = ctx;
    if (key->mv_size != STORE_KEY_CP_LEN)
        return STORE_I_END;
    out[0] = *key;
    out[1] = *d;
    return 1;
}

int
store_i_cp_covering(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t min,
                    MDB_val *out, uint64_t *size)
{
    uint8_t k[STORE_KEY_CP_LEN];
    MDB_val found[2];
    store_i_key_cp(k, authno, min);
    int rc =
        store_i_scan(txn, self->checkpoints, k, sizeof k, 4, s_first_cp, found);
    if (rc != 1)
        return rc ? rc : MDB_NOTFOUND;
    *size = store_i_rd64((uint8_t *)found[0].mv_data + 4);
    *out = found[1];
    return MDB_SUCCESS;
}

int
store_i_log_size(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t *size)
{
    uint8_t k[STORE_KEY_ENTRY_LEN];
    MDB_val key, d;
    store_i_key_entry(k, authno, UINT64_MAX);
    int rc = store_i_seek_last(txn, self->entries, k, sizeof k, 4, &key, &d);
    *size = 0;
    if (rc == MDB_SUCCESS && key.mv_size == STORE_KEY_ENTRY_LEN)
        *size = store_i_rd64((uint8_t *)key.mv_data + 4);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* A scan of one author's rows keyed authno | u64 (entries, checkpoints),
 * handing the caller's callback the number and the bytes. */
typedef struct {
    store_entry_fn fn; /* the caller's callback */
    void *ctx;         /* its context */
    uint64_t max;      /* last number wanted */
    size_t skip;       /* bytes of the value in front of what fn gets */
    size_t klen;       /* the keys' length */
} s_numbered_t;

static int
s_numbered_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_numbered_t *s = ctx;
    if (key->mv_size != s->klen)
        return STORE_I_END;
    uint64_t n = store_i_rd64((uint8_t *)key->mv_data + 4);
    if (n > s->max)
        return STORE_I_END;
    if (d->mv_size < s->skip)
        return VOCFED_ECORRUPT;
    return s->fn(s->ctx, n, (const uint8_t *)d->mv_data + s->skip,
                 d->mv_size - s->skip);
}

int
store_i_scan_entries(store_t *self, MDB_txn *txn, uint32_t authno,
                     uint64_t from, store_entry_fn fn, void *ctx)
{
    uint8_t k[STORE_KEY_ENTRY_LEN];
    s_numbered_t s = {fn, ctx, UINT64_MAX, PROTO_HASH_LEN, sizeof k};
    store_i_key_entry(k, authno, from);
    return store_i_scan(txn, self->entries, k, sizeof k, 4, s_numbered_row, &s);
}

int
store_i_scan_cps(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t min,
                 uint64_t max, store_i_cp_fn fn, void *ctx)
{
    uint8_t k[STORE_KEY_CP_LEN];
    s_numbered_t s = {fn, ctx, max, 0, sizeof k};
    store_i_key_cp(k, authno, min);
    return store_i_scan(txn, self->checkpoints, k, sizeof k, 4, s_numbered_row,
                        &s);
}

int
store_i_head(store_t *self, MDB_txn *txn, uint32_t authno, store_head_t *out,
             uint8_t prev_hash[PROTO_HASH_LEN])
{
    MDB_val cp;
    proto_checkpoint_t c = {0};
    int rc = store_i_latest_cp(self, txn, authno, &cp);
    memset(out, 0, sizeof *out);
    if (prev_hash)
        memset(prev_hash, 0, PROTO_HASH_LEN);
    if (rc == MDB_SUCCESS) {
        if (proto_checkpoint_peek(cp.mv_data, cp.mv_size, &c) != VOCFED_OK)
            return VOCFED_ECORRUPT;
        if (prev_hash && proto_checkpoint_hash(cp.mv_data, cp.mv_size,
                                               prev_hash) != VOCFED_OK)
            return VOCFED_ECORRUPT;
        out->time_ms = c.time_ms;
    } else if (rc != MDB_NOTFOUND) {
        return rc;
    }
    /* A replica may hold entries beyond its latest checkpoint (a large
     * transaction arriving in batches, SPEC 8.4): the head is the log. */
    if ((rc = store_i_log_size(self, txn, authno, &out->size)))
        return rc;
    if (out->size == c.size && c.size > 0) {
        memcpy(out->root, c.root, PROTO_HASH_LEN);
        return MDB_SUCCESS;
    }
    store_i_tree_t tree = {self, txn, authno};
    return proto_merkle_root(PROTO_HASH_BLAKE2B256, out->size,
                             store_i_node_source, &tree, out->root);
}

/* ---- append (SPEC 5.3) ------------------------------------------------ */

/* Log entries only: the record index and the figures are derived by
 * store_apply, after the commit (synchronously unless the store was
 * opened async_apply). */

typedef struct {
    store_t *store;             /* the store (its hook's check) */
    const char *author;         /* whose log */
    size_t author_len;          /* its length */
    const uint8_t *sk;          /* its secret key */
    const store_record_t *recs; /* what to append */
    size_t n;                   /* how many */
    uint64_t time_ms;           /* entry and checkpoint time */
    bool time_given;            /* the caller's, not now's */
    store_head_t head;          /* out: the new head */
    size_t bad;                 /* out: the record that failed */
    proto_buf_t buf;            /* scratch for encodings */
    store_i_tree_t tree;        /* the author's tree in this txn */
    store_i_fr_t fr;            /* its tree as entries go in */
    MDB_cursor *cur;            /* on entries, for MDB_APPEND */
    bool append_ok;             /* our entries sort last: MDB_APPEND works */
    uint64_t seq0;              /* the first record's seq */
    store_i_enc_t *enc;         /* records encoded ahead (ahead.h), or NULL */
    struct store_i_next *took;  /* the next-append work enc came from */
    bool has_del;               /* the batch deletes: dels are checked */
    MDB_txn *dtxn;              /* derived snapshot for the del check */
    zhashx_t *seen;             /* kind 0x1f key -> S_LIVE / S_GONE, the
                                   batch's own records so far */
} s_append_ctx_t;

#define S_LIVE ((void *)1) /* the batch put the record */
#define S_GONE ((void *)2) /* the batch deleted it */
#define S_RETRIES 8        /* catch-ups before a del check gives up */

/* Loads the author's tree as held; the stored nodes must give the root
 * the last checkpoint signed. */
static int
s_append_load(s_append_ctx_t *a, store_head_t *head,
              uint8_t prev[PROTO_HASH_LEN])
{
    store_i_tree_t *t = &a->tree;
    uint8_t root[PROTO_HASH_LEN];
    int rc;
    if ((rc = store_i_authno(t->txn, t->self, a->author, &t->authno)) ||
        (rc = store_i_head(t->self, t->txn, t->authno, head, prev)) ||
        (rc = store_i_fr_load(&a->fr, head->size, t)))
        return rc;
    proto_frontier_root(&a->fr.fr, root);
    return memcmp(root, head->root, PROTO_HASH_LEN) ? VOCFED_ECORRUPT
                                                    : MDB_SUCCESS;
}

/* Record i as entry seq (its kind and key checked present by the caller,
 * or refused by the encoder). */
static proto_entry_t
s_entry(const s_append_ctx_t *a, size_t i, uint64_t seq)
{
    const store_record_t *r = &a->recs[i];
    return (proto_entry_t){
        .version = PROTO_ENTRY_VERSION,
        .author = a->author,
        .author_len = a->author_len,
        .seq = seq,
        .time_ms = a->time_ms,
        .op = r->op,
        .kind = r->kind,
        .kind_len = r->kind ? strnlen(r->kind, PROTO_KIND_MAX + 1) : 0,
        .key = r->key,
        .key_len = r->key ? strnlen(r->key, PROTO_KEY_MAX + 1) : 0,
        .body = r->op == PROTO_OP_PUT ? r->body : NULL,
        .body_len = r->op == PROTO_OP_PUT ? r->body_len : 0,
    };
}

/* The stored value of e, 32 zero bytes (the leaf hash's place) then the
 * entry, appended to out. */
static int
s_encode(const proto_entry_t *e, bool made, proto_buf_t *out)
{
    static const uint8_t zero[PROTO_HASH_LEN];
    int rc = proto_buf_append(out, zero, sizeof zero);
    if (rc)
        return rc;
    return made ? proto_entry_encode_made(e, out) : proto_entry_encode(e, out);
}

/* For the helper (ahead.h): the most record i's stored value takes, and
 * the value itself, made only when the hook's check passes the entry
 * (else the append checks it, and says why). They read a's store,
 * records, author, time and seq0, which stay as they are while the
 * helper works; the check touches nothing shared (store_hook_t). */
static size_t
s_enc_bound(const void *ctx, size_t i)
{
    const s_append_ctx_t *a = ctx;
    const store_record_t *r = &a->recs[i];
    /* The entry's array, version, seq, time and op, and the headers of
     * its four strings: under 64 bytes. */
    return PROTO_HASH_LEN + 64 + a->author_len +
           (r->kind ? strnlen(r->kind, PROTO_KIND_MAX + 1) : 0) +
           (r->key ? strnlen(r->key, PROTO_KEY_MAX + 1) : 0) +
           (r->op == PROTO_OP_PUT ? r->body_len : 0);
}

static int
s_enc_record(const void *ctx, size_t i, proto_buf_t *out)
{
    const s_append_ctx_t *a = ctx;
    if (!a->recs[i].kind || !a->recs[i].key)
        return VOCFED_EINVALID;
    proto_entry_t e = s_entry(a, i, a->seq0 + i);
    int rc = store_i_check(a->store, a->author, &e);
    return rc ? rc : s_encode(&e, a->recs[i].body_made, out);
}

/* ---- the next append's records, encoded during this one's commit ------ */

/* The records store_append_next named, being encoded by the helper: in
 * a, the context s_enc_record reads (store, author, records, time,
 * seq0), which lives until the helper has left it. */
struct store_i_next {
    s_append_ctx_t a;
    char author[PROTO_ID_MAX + 1];
    store_i_enc_t *enc;
};

void
store_append_next(store_t *self, const store_record_t *recs, size_t n)
{
    if (!recs || !n)
        store_i_next_drop(self);
    self->next_recs = n ? recs : NULL;
    self->next_n = recs ? n : 0;
}

void
store_i_next_drop(store_t *self)
{
    if (!self->next)
        return;
    store_i_enc_stop(&self->next->enc);
    free(self->next);
    self->next = NULL;
}

/* After a's records are in (size the log's size then), before the
 * commit: the records named next start encoding on the helper, at the
 * seq after size, dated a's time when the caller gave it, else now. */
static void
s_next_start(store_t *self, const s_append_ctx_t *a, uint64_t size)
{
    const store_record_t *recs = self->next_recs;
    size_t n = self->next_n;
    self->next_recs = NULL; /* named for one append */
    self->next_n = 0;
    if (!recs || a->author_len > PROTO_ID_MAX)
        return;
    struct store_i_next *x = calloc(1, sizeof *x);
    if (!x)
        return;
    memcpy(x->author, a->author, a->author_len + 1);
    x->a =
        (s_append_ctx_t){.store = self,
                         .author = x->author,
                         .author_len = a->author_len,
                         .recs = recs,
                         .n = n,
                         .time_ms = a->time_given ? a->time_ms : proto_now_ms(),
                         .time_given = a->time_given,
                         .seq0 = size + 1};
    x->enc = store_i_enc_start(&self->helper, n, s_enc_bound, s_enc_record,
                               &x->a, size, self->ahead_min,
                               self->ahead_idle    ? STORE_I_ENC_IDLE
                               : self->ahead_first ? STORE_I_ENC_FIRST
                                                   : STORE_I_ENC_RACE);
    if (!x->enc) {
        free(x);
        return;
    }
    self->next = x;
}

/* The work of s_next_start when a is the append it was for (its author,
 * records, seq after size, and a time the caller left to the store or
 * gave the same): a's time becomes the one encoded, and a keeps the
 * context until its encoding stops. Else the work is thrown away: NULL. */
static store_i_enc_t *
s_next_take(store_t *self, s_append_ctx_t *a, uint64_t size)
{
    struct store_i_next *x = self->next;
    if (!x)
        return NULL;
    self->next = NULL;
    if (x->a.recs != a->recs || x->a.n != a->n || x->a.seq0 != size + 1 ||
        strcmp(x->author, a->author) != 0 ||
        (a->time_given && a->time_ms != x->a.time_ms)) {
        store_i_enc_stop(&x->enc);
        free(x);
        return NULL;
    }
    a->time_ms = x->a.time_ms;
    a->took = x;
    self->next_taken++;
    store_i_enc_t *enc = x->enc;
    x->enc = NULL;
    return enc;
}

/* Writes the stored value v (len bytes: leaf hash || entry bytes, SPEC
 * 5.1) at seq. */
static int
s_append_value(s_append_ctx_t *a, const uint8_t *v, size_t len, uint64_t seq)
{
    store_i_tree_t *t = &a->tree;
    uint8_t ek[STORE_KEY_ENTRY_LEN];
    store_i_key_entry(ek, t->authno, seq);
    MDB_val key = {sizeof ek, ek}, d = {len, (void *)v};
    int rc = MDB_KEYEXIST;
    if (a->append_ok) {
        rc = mdb_cursor_put(a->cur, &key, &d, MDB_APPEND);
        /* KEYEXIST: another author's entries sort after ours. */
        a->append_ok = rc != MDB_KEYEXIST;
    }
    if (!a->append_ok)
        rc = mdb_put(t->txn, t->self->entries, &key, &d, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST)
        rc = VOCFED_ECORRUPT; /* an entry past the head */
    return rc;
}

/* Encodes e (record i) into a->buf and writes it at seq. */
static int
s_append_put(s_append_ctx_t *a, const proto_entry_t *e, size_t i, uint64_t seq)
{
    proto_buf_reset(&a->buf);
    int rc = s_encode(e, a->recs[i].body_made, &a->buf);
    if (rc)
        return rc;
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, a->buf.data + PROTO_HASH_LEN,
                    a->buf.len - PROTO_HASH_LEN, a->buf.data);
    return s_append_value(a, a->buf.data, a->buf.len, seq);
}

/* A del must name a record that exists (SPEC 5.3): one the batch put
 * before it, else one in the derived index, which s_append_txn found
 * caught up with the author's log. Puts are noted for the dels after
 * them. */
static int
s_append_check(s_append_ctx_t *a, const proto_entry_t *e)
{
    char name[PROTO_KIND_MAX + PROTO_KEY_MAX + 2];
    snprintf(name, sizeof name, "%.*s\x1f%.*s", (int)e->kind_len, e->kind,
             (int)e->key_len, e->key);
    void *was = zhashx_lookup(a->seen, name);
    bool put = e->op == PROTO_OP_PUT;
    if (!put && !was) {
        uint8_t rk[STORE_KEY_RECORD_MAX];
        size_t len = store_i_key_record(rk, a->tree.authno, e->kind,
                                        e->kind_len, e->key, e->key_len);
        int rc =
            store_i_pkey(a->tree.self, a->dtxn, rk, len, 4, false, rk, &len);
        MDB_val key = {len, rk}, d;
        if (rc == MDB_SUCCESS)
            rc = mdb_get(a->dtxn, a->tree.self->records, &key, &d);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
        was = rc == MDB_SUCCESS ? S_LIVE : S_GONE;
    }
    if (!put && was == S_GONE)
        return VOCFED_ENOTFOUND;
    zhashx_update(a->seen, name, put ? S_LIVE : S_GONE);
    return MDB_SUCCESS;
}

/* Appends record i as entry seq: its bytes (encoded ahead, the hook's
 * check passed there, or here), its tree nodes, its arrival. A record
 * taken encoded ahead is not read here: its kind, key and body are in
 * memory the helper touched, not this thread. */
static int
s_append_one(s_append_ctx_t *a, size_t i, uint64_t seq)
{
    const store_record_t *r = &a->recs[i];
    const uint8_t *v;
    size_t len;
    const store_i_block_t *blk;
    bool ahead;
    int rc;
    a->bad = i;
    if (!r->kind || !r->key)
        return VOCFED_EINVALID;
    if (a->has_del) {
        proto_entry_t e = s_entry(a, i, seq);
        if ((rc = s_append_check(a, &e)))
            return rc;
    }
    if ((ahead = store_i_enc_take(a->enc, i, &v, &len, &blk))) {
        a->tree.self->enc_taken++;
        rc = s_append_value(a, v, len, seq);
    } else {
        proto_entry_t e = s_entry(a, i, seq);
        if ((rc = store_i_check(a->tree.self, a->author, &e)))
            return rc;
        rc = s_append_put(a, &e, i, seq);
        v = a->buf.data;
    }
    if (rc || (rc = store_i_fr_leaf(&a->fr, v, ahead, blk, &a->tree)))
        return rc;
    /* The record index and the figures follow from the log (apply.c). */
    return store_i_arrival_note(a->tree.self, a->tree.txn, a->tree.authno, seq);
}

/* SPEC 4: one checkpoint for the whole transaction, chained to prev
 * (the previous checkpoint's hash; prev_time its time). */
static int
s_append_checkpoint(s_append_ctx_t *a, uint64_t size,
                    const uint8_t prev[PROTO_HASH_LEN], uint64_t prev_time)
{
    /* Never before the previous checkpoint (a clock set back): a
     * receiver refuses that (SPEC 8.4). */
    proto_checkpoint_t cp = {.version = PROTO_CHECKPOINT_VERSION,
                             .size = size,
                             .time_ms = a->time_ms > prev_time ? a->time_ms
                                                               : prev_time};
    memcpy(cp.author, a->author, a->author_len + 1);
    int rc = store_i_fr_flush(&a->fr, &a->tree);
    if (rc)
        return rc;
    proto_frontier_root(&a->fr.fr, cp.root);
    memcpy(cp.prev, prev, PROTO_HASH_LEN);
    proto_buf_reset(&a->buf);
    a->bad = a->n;
    rc = proto_checkpoint_sign(&cp, a->sk, &a->buf);
    if (rc)
        return rc;
    uint8_t ck[STORE_KEY_CP_LEN];
    store_i_key_cp(ck, a->tree.authno, cp.size);
    MDB_val key = {sizeof ck, ck}, d = {a->buf.len, a->buf.data};
    rc = mdb_put(a->tree.txn, a->tree.self->checkpoints, &key, &d,
                 MDB_NOOVERWRITE);
    if (rc)
        return rc == MDB_KEYEXIST ? VOCFED_ECORRUPT : rc;
    a->head.size = cp.size;
    a->head.time_ms = cp.time_ms;
    memcpy(a->head.root, cp.root, PROTO_HASH_LEN);
    return MDB_SUCCESS;
}

/* For a batch with dels: a derived snapshot that has applied the
 * author's whole log (size entries), else VOCFED_EINTERRUPTED (catch up
 * and try again). */
static int
s_append_dels_ready(s_append_ctx_t *a, uint64_t size)
{
    uint64_t applied;
    zhashx_purge(a->seen);
    int rc = store_i_dread_begin(a->tree.self, &a->dtxn);
    if (rc) {
        a->dtxn = NULL;
        return rc;
    }
    rc = store_i_applied_seq(a->tree.self, a->dtxn, a->tree.authno, &applied);
    if (rc == MDB_SUCCESS && applied != size)
        rc = VOCFED_EINTERRUPTED;
    return rc;
}

/* The key that signs this write's checkpoint (at size) must be sk's
 * (SPEC 3.4): after a handover the old key signs nothing more. A
 * handover is appended alone, naming the author, to another key;
 * *newpk gets that key (handover set). */
static int
s_append_key(s_append_ctx_t *a, uint64_t size, bool *handover,
             uint8_t newpk[PROTO_PUBKEY_LEN])
{
    uint8_t pk[PROTO_PUBKEY_LEN], mine[PROTO_PUBKEY_LEN];
    int rc = store_i_key_at(a->tree.txn, a->tree.self, a->tree.authno, size, pk,
                            NULL);
    if (rc)
        return rc;
    crypto_sign_ed25519_sk_to_pk(mine, a->sk);
    if (sodium_memcmp(pk, mine, PROTO_PUBKEY_LEN) != 0)
        return VOCFED_EKEY;
    *handover = false;
    for (size_t i = 0; i < a->n; i++) {
        const store_record_t *r = &a->recs[i];
        if (!r->kind || strcmp(r->kind, PROTO_HANDOVER_KIND) != 0)
            continue;
        proto_entry_t e = {.author = a->author,
                           .author_len = a->author_len,
                           .op = r->op,
                           .kind = r->kind,
                           .kind_len = strlen(r->kind),
                           .key = r->key ? r->key : "",
                           .key_len = r->key ? strlen(r->key) : 0,
                           .body = r->body,
                           .body_len = r->body_len};
        a->bad = i;
        if (a->n != 1 ||
            proto_handover_key(&e, a->author, newpk, NULL, 0) != VOCFED_OK ||
            memcmp(newpk, mine, PROTO_PUBKEY_LEN) == 0)
            return VOCFED_EINVALID;
        *handover = true;
    }
    return MDB_SUCCESS;
}

static int
s_append_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_append_ctx_t *a = ctx;
    store_head_t head;
    uint8_t prev[PROTO_HASH_LEN];
    int rc;
    a->tree = (store_i_tree_t){self, txn, 0};
    a->cur = NULL;
    a->enc = NULL;
    a->took = NULL;
    a->append_ok = true;
    a->dtxn = NULL;
    store_i_arrival_reset(self);
    uint8_t newpk[PROTO_PUBKEY_LEN];
    bool handover;
    if ((rc = s_append_load(a, &head, prev)) ||
        (rc = s_append_key(a, head.size + a->n, &handover, newpk)) ||
        (rc = mdb_cursor_open(txn, self->entries, &a->cur)))
        return rc;
    if (a->has_del && (rc = s_append_dels_ready(a, head.size)))
        goto done;
    a->seq0 = head.size + 1;
    /* encoded during the last append's commit (store_append_next), or
     * from now on */
    if (!(a->enc = s_next_take(self, a, head.size)))
        a->enc = store_i_enc_start(&self->helper, a->n, s_enc_bound,
                                   s_enc_record, a, head.size, self->ahead_min,
                                   self->ahead_idle    ? STORE_I_ENC_IDLE
                                   : self->ahead_first ? STORE_I_ENC_FIRST
                                                       : STORE_I_ENC_RACE);
    for (size_t i = 0; i < a->n; i++)
        if ((rc = s_append_one(a, i, head.size + 1 + i)))
            goto done;
    if ((rc = store_i_arrival_flush(self, txn)))
        goto done;
    rc = s_append_checkpoint(a, head.size + a->n, prev, head.time_ms);
    if (rc == MDB_SUCCESS)
        self->blocks_whole += a->fr.blocks;
    /* Signed by the old key at the handover's seq; the new one signs
     * every checkpoint after it (SPEC 3.4). */
    if (rc == MDB_SUCCESS && handover)
        rc = store_i_key_put(txn, self, a->tree.authno, head.size + 1, newpk,
                             STORE_KEY_HANDOVER);
done:
    store_i_enc_stop(&a->enc);
    free(a->took); /* the helper has left it */
    a->took = NULL;
    if (a->dtxn)
        mdb_txn_abort(a->dtxn);
    mdb_cursor_close(a->cur);
    /* The next append's records, encoded while this commit syncs. */
    if (rc == MDB_SUCCESS)
        s_next_start(self, a, head.size + a->n);
    return rc;
}

int
store_append(store_t *self, const char *author,
             const uint8_t sk[PROTO_SECKEY_LEN], const store_record_t *recs,
             size_t n, uint64_t time_ms, store_head_t *head, size_t *bad)
{
    if (n == 0 || !proto_id_valid(author, strlen(author)) ||
        store_i_derived_ready(self))
        return VOCFED_EINVALID;
    s_append_ctx_t a = {.store = self,
                        .time_given = time_ms != 0,
                        .author = author,
                        .author_len = strlen(author),
                        .sk = sk,
                        .recs = recs,
                        .n = n,
                        .time_ms = time_ms ? time_ms : proto_now_ms()};
    for (size_t i = 0; i < n && !a.has_del; i++)
        a.has_del = recs[i].op != PROTO_OP_PUT;
    store_i_inext_drop(self); /* the helper is this append's */
    if (a.has_del && !(a.seen = zhashx_new()))
        return VOCFED_ENOMEM;
    proto_buf_init(&a.buf);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += (recs[i].kind ? strlen(recs[i].kind) : 0) +
                 (recs[i].key ? strlen(recs[i].key) : 0) + recs[i].body_len;
    (void)store_i_reserve(self, false, store_i_write_need(n, bytes));
    int rc = VOCFED_EINTERRUPTED;
    for (int i = 0; i < S_RETRIES && rc == VOCFED_EINTERRUPTED; i++) {
        /* A del is checked against the derived index: bring it up to the
         * log first (a log has one writer, so it stays there). */
        if (a.has_del && (rc = store_catch_up(self, 0)))
            break;
        rc = store_i_write(self, s_append_txn, &a);
    }
    if (rc == VOCFED_EINTERRUPTED)
        rc = VOCFED_ELOCKED; /* another writer kept moving the log */
    /* Records named next are for the append after a successful one: the
     * caller may free them once this returns. */
    if (rc != VOCFED_OK)
        store_i_next_drop(self);
    self->next_recs = NULL;
    self->next_n = 0;
    if (rc == VOCFED_OK)
        store_i_sync_apply(self);
    proto_buf_release(&a.buf);
    zhashx_destroy(&a.seen);
    if (rc == VOCFED_OK && head)
        *head = a.head;
    if (rc != VOCFED_OK && bad)
        *bad = a.bad;
    return rc;
}
