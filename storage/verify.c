/* vocfed: full verification of a store (SPEC 6). */
#include "storage/verify.h"
#include "storage/store_internal.h"
#include "protocol/merkle.h"

#include <czmq.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BATCH 4096 /* entries decoded and hashed per round */

/* ---- the rebuilt record index: kind 0x00 key -> seq ------------------ */

typedef struct {
    uint64_t hash; /* FNV-1a of the name; 0 marks an empty slot */
    uint64_t seq;  /* seq of the current put; 0 when deleted */
    size_t off;    /* name's offset in the arena */
    uint32_t len;  /* name's length */
    bool seen;     /* matched by a stored index entry */
} s_slot_t;

typedef struct {
    s_slot_t *slots;   /* open addressing, linear probing */
    size_t cap;        /* power of two */
    size_t used;       /* occupied slots */
    proto_buf_t arena; /* names, back to back */
} s_index_t;

/* A fast non-cryptographic hash for the table (8 bytes per step); the
 * table compares names byte for byte, so collisions only cost time. */
static uint64_t
s_fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    while (n--)
        h = (h ^ *p++) * 0x100000001b3ull;
    h ^= h >> 32;
    return h ? h : 1;
}

static int
s_index_init(s_index_t *ix)
{
    ix->cap = 1024;
    ix->used = 0;
    ix->slots = calloc(ix->cap, sizeof *ix->slots);
    proto_buf_init(&ix->arena);
    return ix->slots ? VOCFED_OK : VOCFED_ENOMEM;
}

static void
s_index_release(s_index_t *ix)
{
    free(ix->slots);
    ix->slots = NULL;
    proto_buf_release(&ix->arena);
}

static s_slot_t *
s_index_find(s_index_t *ix, const uint8_t *name, size_t len, uint64_t h)
{
    size_t mask = ix->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        s_slot_t *s = &ix->slots[i];
        if (s->hash == 0 || (s->hash == h && s->len == len &&
                             memcmp(ix->arena.data + s->off, name, len) == 0))
            return s;
    }
}

static int
s_index_grow(s_index_t *ix)
{
    s_slot_t *old = ix->slots;
    size_t old_cap = ix->cap;
    ix->cap *= 2;
    ix->slots = calloc(ix->cap, sizeof *ix->slots);
    if (!ix->slots) {
        ix->slots = old;
        ix->cap = old_cap;
        return VOCFED_ENOMEM;
    }
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].hash)
            continue;
        size_t mask = ix->cap - 1, j = old[i].hash & mask;
        while (ix->slots[j].hash)
            j = (j + 1) & mask;
        ix->slots[j] = old[i];
    }
    free(old);
    return VOCFED_OK;
}

/* Records that name's current state is seq (0: deleted). */
static int
s_index_set(s_index_t *ix, const uint8_t *name, size_t len, uint64_t seq)
{
    if ((ix->used + 1) * 4 > ix->cap * 3) {
        int rc = s_index_grow(ix);
        if (rc)
            return rc;
    }
    uint64_t h = s_fnv(name, len);
    s_slot_t *s = s_index_find(ix, name, len, h);
    if (!s->hash) {
        s->hash = h;
        s->off = ix->arena.len;
        s->len = (uint32_t)len;
        int rc = proto_buf_append(&ix->arena, name, len);
        if (rc) {
            s->hash = 0;
            return rc;
        }
        ix->used++;
    }
    s->seq = seq;
    return VOCFED_OK;
}

/* ---- decoding and hashing in parallel --------------------------------- */

/* One entry on its way through verification. value points into the read
 * snapshot, which outlives the batch. */
typedef struct {
    uint64_t seq;                 /* seq of its key */
    const uint8_t *value;         /* stored value: leaf hash || entry */
    size_t len;                   /* its length */
    int status;                   /* decode result; ECORRUPT if truncated */
    proto_entry_t e;              /* the decoded entry (borrows value) */
    uint8_t leaf[PROTO_HASH_LEN]; /* leaf hash recomputed from the bytes */
} s_item_t;

/* The work on one entry that depends on nothing else: decode, hash. */
static void
s_prepare(s_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_item_t *it = &items[i];
        if (it->len < PROTO_HASH_LEN) {
            it->status = VOCFED_ECORRUPT;
            continue;
        }
        const uint8_t *bytes = it->value + PROTO_HASH_LEN;
        size_t nbytes = it->len - PROTO_HASH_LEN;
        it->status = proto_entry_decode(bytes, nbytes, &it->e);
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, bytes, nbytes, it->leaf);
    }
}

/* A second core decodes and hashes half of each batch. Messages on the
 * pipe: "WORK" items count, answered by a signal when done. */
static void
s_worker(zsock_t *pipe, void *args)
{
    (void)args;
    zsock_signal(pipe, 0);
    for (;;) {
        char *cmd = NULL;
        void *items = NULL;
        uint64_t n = 0;
        if (zsock_recv(pipe, "sp8", &cmd, &items, &n) != 0 || !cmd)
            break;
        bool work = streq(cmd, "WORK");
        zstr_free(&cmd);
        if (!work)
            break; /* $TERM */
        s_prepare(items, (size_t)n);
        zsock_signal(pipe, 0);
    }
}

/* ---- one author's verification -------------------------------------- */

typedef struct {
    MDB_cursor *cur;     /* cursor over this level's nodes */
    uint64_t next_index; /* index the cursor's next record should have */
    bool positioned;     /* the cursor points at next_index - 1 */
} s_level_t;

typedef struct {
    store_t *store;             /* the store */
    MDB_txn *txn;               /* one read snapshot for everything */
    uint32_t authno;            /* the author's number */
    const char *author;         /* its id */
    store_verify_result_t *res; /* where failures go */
    s_level_t levels[PROTO_MERKLE_MAX_LEVELS]; /* node cursors */
} s_author_ctx_t;

static int
s_fail(store_verify_result_t *res, const char *author, uint64_t seq, int status,
       const char *fmt, ...)
{
    va_list ap;
    res->status = status;
    snprintf(res->author, sizeof res->author, "%s", author);
    res->seq = seq;
    va_start(ap, fmt);
    vsnprintf(res->what, sizeof res->what, fmt, ap);
    va_end(ap);
    return status;
}

/* Sink of the recomputed tree: every node must equal the stored one. */
static int
s_check_node(void *ctx, unsigned level, uint64_t index,
             const uint8_t hash[PROTO_HASH_LEN])
{
    s_author_ctx_t *a = ctx;
    s_level_t *lv = &a->levels[level];
    uint8_t k[STORE_KEY_NODE_LEN];
    MDB_val key = {sizeof k, k}, d;
    int rc;
    uint64_t first_seq = (index << level) + 1;
    if (level < STORE_NODE_MIN_LEVEL)
        return VOCFED_OK; /* not stored: recomputed from the leaves */

    store_i_key_node(k, a->authno, level, index);
    if (!lv->cur && (rc = mdb_cursor_open(a->txn, a->store->nodes, &lv->cur)))
        return store_i_status(rc);
    rc = MDB_NOTFOUND;
    if (lv->positioned && lv->next_index == index) {
        MDB_val got;
        rc = mdb_cursor_get(lv->cur, &got, &d, MDB_NEXT);
        if (rc == MDB_SUCCESS &&
            (got.mv_size != sizeof k || memcmp(got.mv_data, k, sizeof k)))
            rc = MDB_NOTFOUND;
    }
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(lv->cur, &key, &d, MDB_SET_KEY);
    lv->positioned = rc == MDB_SUCCESS;
    lv->next_index = index + 1;
    if (rc == MDB_NOTFOUND)
        return s_fail(a->res, a->author, first_seq, VOCFED_ECORRUPT,
                      "tree node level %u index %" PRIu64 " is missing", level,
                      index);
    if (rc)
        return store_i_status(rc);
    if (d.mv_size != PROTO_HASH_LEN || memcmp(d.mv_data, hash, PROTO_HASH_LEN))
        return s_fail(a->res, a->author, first_seq, VOCFED_ECORRUPT,
                      "tree node level %u index %" PRIu64
                      " does not match the entries",
                      level, index);
    return VOCFED_OK;
}

/* Checks one checkpoint against the tree recomputed to its size. */
static int
s_check_cp(s_author_ctx_t *a, const uint8_t pk[PROTO_PUBKEY_LEN],
           const MDB_val *cp, uint64_t key_size, const proto_frontier_t *fr,
           uint8_t prev[PROTO_HASH_LEN], uint64_t prev_size)
{
    proto_checkpoint_t c;
    uint8_t root[PROTO_HASH_LEN];
    uint64_t seq = prev_size + 1;
    proto_frontier_root(fr, root);
    int rc = proto_checkpoint_verify(cp->mv_data, cp->mv_size, pk, a->author,
                                     key_size, root, &c);
    switch (rc) {
    case VOCFED_OK:
        break;
    case VOCFED_EBADSIG:
        return s_fail(a->res, a->author, seq, rc,
                      "checkpoint at size %" PRIu64
                      " has a bad signature (entries %" PRIu64 "..%" PRIu64
                      " are not vouched for)",
                      key_size, seq, key_size);
    case VOCFED_EROOT:
        return s_fail(a->res, a->author, seq, rc,
                      "entries %" PRIu64 "..%" PRIu64
                      " do not give the root signed at size %" PRIu64,
                      seq, key_size, key_size);
    default:
        return s_fail(a->res, a->author, seq, rc,
                      "checkpoint at size %" PRIu64 " is invalid", key_size);
    }
    if (memcmp(c.prev, prev, PROTO_HASH_LEN) != 0)
        return s_fail(a->res, a->author, seq, VOCFED_ECORRUPT,
                      "checkpoint at size %" PRIu64
                      " does not chain to the one at size %" PRIu64,
                      key_size, prev_size);
    if (proto_checkpoint_hash(cp->mv_data, cp->mv_size, prev) != VOCFED_OK)
        return s_fail(a->res, a->author, seq, VOCFED_ECORRUPT,
                      "checkpoint at size %" PRIu64 " is invalid", key_size);
    a->res->checkpoints++;
    return VOCFED_OK;
}

/* Compares the stored record index with the one rebuilt from the log. */
static int
s_check_records(s_author_ctx_t *a, s_index_t *ix)
{
    MDB_cursor *cur;
    uint8_t k[4];
    MDB_val key = {sizeof k, k}, d;
    size_t matched = 0;
    int rc;
    store_i_be32(k, a->authno);
    if ((rc = mdb_cursor_open(a->txn, a->store->records, &cur)))
        return store_i_status(rc);
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if (key.mv_size < 4 || store_i_rd32(key.mv_data) != a->authno)
            break;
        const uint8_t *name = (const uint8_t *)key.mv_data + 4;
        size_t len = key.mv_size - 4;
        uint64_t seq = d.mv_size == 8 ? store_i_rd64(d.mv_data) : 0;
        s_slot_t *s = s_index_find(ix, name, len, s_fnv(name, len));
        const char *kind = (const char *)name;
        size_t kind_len = strnlen(kind, len);
        const char *rkey = kind_len < len ? kind + kind_len + 1 : "";
        int klen = kind_len < len ? (int)(len - kind_len - 1) : 0;
        if (!s->hash || s->seq == 0 || s->seq != seq) {
            uint64_t at = s->hash && s->seq ? s->seq : seq;
            rc = s_fail(a->res, a->author, at, VOCFED_ECORRUPT,
                        "record index for %.*s/%.*s says seq %" PRIu64
                        " but the log says %s%" PRIu64,
                        (int)kind_len, kind, klen, rkey, seq,
                        s->hash && s->seq ? "seq " : "deleted at/absent ",
                        s->hash ? s->seq : 0);
            goto done;
        }
        s->seen = true;
        matched++;
        a->res->records++;
    }
    if (rc != MDB_NOTFOUND && rc != 0) {
        rc = store_i_status(rc);
        goto done;
    }
    rc = VOCFED_OK;
    /* Every live record of the log must be in the stored index. */
    for (size_t i = 0; i < ix->cap; i++) {
        s_slot_t *s = &ix->slots[i];
        if (s->hash && s->seq && !s->seen) {
            const char *kind = (const char *)ix->arena.data + s->off;
            size_t kind_len = strnlen(kind, s->len);
            rc = s_fail(a->res, a->author, s->seq, VOCFED_ECORRUPT,
                        "record %.*s/%.*s (seq %" PRIu64
                        ") is missing from the record index",
                        (int)kind_len, kind, (int)(s->len - kind_len - 1),
                        kind + kind_len + 1, s->seq);
            break;
        }
    }
    (void)matched;
done:
    mdb_cursor_close(cur);
    return rc;
}

/* A replica may hold the first part of a large transaction: entries past
 * its latest checkpoint, proved by the checkpoint that covers them and
 * the compact range to it, both kept at ingest (SPEC 8.4). */
static int
s_check_pending(s_author_ctx_t *a, const uint8_t pk[PROTO_PUBKEY_LEN],
                const proto_frontier_t *fr)
{
    uint8_t k[4];
    store_i_be32(k, a->authno);
    MDB_val key = {sizeof k, k}, d;
    if (mdb_get(a->txn, a->store->pending, &key, &d) != MDB_SUCCESS)
        return VOCFED_ENOTFOUND;
    proto_rd_t r;
    uint32_t n, count;
    const uint8_t *cp;
    size_t cp_len;
    proto_proof_t range;
    proto_checkpoint_t c;
    proto_rd_init(&r, d.mv_data, d.mv_size);
    if (proto_rd_array(&r, &n) || n != 2 || proto_rd_bin(&r, &cp, &cp_len) ||
        proto_rd_array(&r, &count) || count > PROTO_MERKLE_MAX_PROOF)
        return VOCFED_ECORRUPT;
    range.len = count;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *h;
        size_t hl;
        if (proto_rd_bin(&r, &h, &hl) || hl != PROTO_HASH_LEN)
            return VOCFED_ECORRUPT;
        memcpy(range.hash[i], h, PROTO_HASH_LEN);
    }
    if (!proto_rd_done(&r) || proto_checkpoint_open(cp, cp_len, pk, &c) ||
        strcmp(c.author, a->author) != 0 || c.size <= fr->size)
        return VOCFED_ECORRUPT;
    if (proto_merkle_verify_range(PROTO_HASH_BLAKE2B256, fr, c.size, &range,
                                  c.root) != VOCFED_OK)
        return VOCFED_EROOT;
    return VOCFED_OK;
}

static int
s_verify_author(store_t *store, MDB_txn *txn, const char *author,
                store_verify_result_t *res, store_verify_progress_fn progress,
                void *pctx)
{
    s_author_ctx_t a = {
        .store = store, .txn = txn, .author = author, .res = res};
    uint8_t pk[PROTO_PUBKEY_LEN], prev[PROTO_HASH_LEN] = {0};
    uint64_t prev_size = 0, expected = 1, total = 0;
    MDB_cursor *ecur = NULL, *ccur = NULL;
    MDB_val ek, ev, ck, cv;
    int erc, crc, rc;
    proto_frontier_t fr;
    s_index_t ix;
    size_t author_len = strlen(author);
    s_item_t *items = NULL;
    zactor_t *worker = NULL;

    if ((rc = s_index_init(&ix)))
        return rc;
    if ((rc = store_i_authno(txn, store, author, &a.authno)))
        goto done;
    {
        uint8_t nk[5];
        nk[0] = 'n';
        store_i_be32(nk + 1, a.authno);
        MDB_val key = {5, nk}, d;
        if ((rc = mdb_get(txn, store->authors, &key, &d)) ||
            d.mv_size < PROTO_PUBKEY_LEN) {
            rc = s_fail(res, author, 0, VOCFED_ECORRUPT,
                        "author has no public key");
            goto done;
        }
        memcpy(pk, d.mv_data, PROTO_PUBKEY_LEN);
    }
    proto_frontier_init(&fr, PROTO_HASH_BLAKE2B256);
    if ((rc = mdb_cursor_open(txn, store->entries, &ecur)) ||
        (rc = mdb_cursor_open(txn, store->checkpoints, &ccur))) {
        rc = store_i_status(rc);
        goto done;
    }
    {
        MDB_val last;
        uint8_t lk[STORE_KEY_CP_LEN];
        store_i_key_cp(lk, a.authno, UINT64_MAX);
        ck.mv_size = sizeof lk;
        ck.mv_data = lk;
        int r = mdb_cursor_get(ccur, &ck, &last, MDB_SET_RANGE);
        r = r == MDB_SUCCESS ? mdb_cursor_get(ccur, &ck, &last, MDB_PREV)
                             : mdb_cursor_get(ccur, &ck, &last, MDB_LAST);
        if (r == MDB_SUCCESS && ck.mv_size == STORE_KEY_CP_LEN &&
            store_i_rd32(ck.mv_data) == a.authno)
            total = store_i_rd64((uint8_t *)ck.mv_data + 4);
    }

    uint8_t k0[STORE_KEY_ENTRY_LEN];
    store_i_key_entry(k0, a.authno, 0);
    ek.mv_size = ck.mv_size = sizeof k0;
    ek.mv_data = ck.mv_data = k0;
    erc = mdb_cursor_get(ecur, &ek, &ev, MDB_SET_RANGE);
    crc = mdb_cursor_get(ccur, &ck, &cv, MDB_SET_RANGE);
    if (crc == MDB_SUCCESS && (ck.mv_size != STORE_KEY_CP_LEN ||
                               store_i_rd32(ck.mv_data) != a.authno))
        crc = MDB_NOTFOUND;

    items = malloc(S_BATCH * sizeof *items);
    if (!items) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    while (erc == MDB_SUCCESS) {
        /* Collect a batch of entries (pointers into the snapshot). */
        size_t n = 0;
        while (erc == MDB_SUCCESS && n < S_BATCH) {
            if (ek.mv_size != STORE_KEY_ENTRY_LEN ||
                store_i_rd32(ek.mv_data) != a.authno) {
                erc = MDB_NOTFOUND;
                break;
            }
            items[n].seq = store_i_rd64((uint8_t *)ek.mv_data + 4);
            items[n].value = ev.mv_data;
            items[n].len = ev.mv_size;
            n++;
            erc = mdb_cursor_get(ecur, &ek, &ev, MDB_NEXT);
        }
        /* Decode and hash in parallel: the second half on the worker. */
        size_t half = n;
        if (n == S_BATCH && !worker)
            worker = zactor_new(s_worker, NULL);
        if (worker && n >= 2) {
            half = n / 2;
            zsock_send(worker, "sp8", "WORK", (void *)(items + half),
                       (uint64_t)(n - half));
        }
        s_prepare(items, half);
        if (worker && n >= 2)
            zsock_wait(worker);

        /* Then, in seq order, everything that depends on what came before. */
        for (size_t i = 0; i < n; i++) {
            s_item_t *it = &items[i];
            uint64_t seq = it->seq;
            const proto_entry_t *e = &it->e;
            if (seq != expected) {
                rc = s_fail(res, author, expected, VOCFED_ESEQGAP,
                            seq > expected ? "entry is missing"
                                           : "entry key out of order");
                goto done;
            }
            if (it->status == VOCFED_ECORRUPT) {
                rc = s_fail(res, author, seq, VOCFED_ECORRUPT,
                            "stored entry is truncated");
                goto done;
            }
            if (it->status) {
                rc = s_fail(res, author, seq, it->status,
                            "entry does not decode: %s",
                            vocfed_strerror(it->status));
                goto done;
            }
            if (e->author_len != author_len ||
                memcmp(e->author, author, author_len) != 0) {
                rc = s_fail(res, author, seq, VOCFED_EAUTHOR,
                            "entry names author %.*s", (int)e->author_len,
                            e->author);
                goto done;
            }
            if (e->seq != seq) {
                rc = s_fail(res, author, seq, VOCFED_ESEQGAP,
                            "entry stored at seq %" PRIu64 " holds seq %" PRIu64
                            " (reordered)",
                            seq, e->seq);
                goto done;
            }
            if (memcmp(it->leaf, it->value, PROTO_HASH_LEN) != 0) {
                rc = s_fail(res, author, seq, VOCFED_ECORRUPT,
                            "entry does not match its stored leaf hash");
                goto done;
            }
            if ((rc = proto_frontier_append(&fr, it->leaf, s_check_node, &a)))
                goto done;

            uint8_t name[PROTO_KIND_MAX + 1 + PROTO_KEY_MAX];
            memcpy(name, e->kind, e->kind_len);
            name[e->kind_len] = 0;
            memcpy(name + e->kind_len + 1, e->key, e->key_len);
            if ((rc = s_index_set(&ix, name, e->kind_len + 1 + e->key_len,
                                  e->op == PROTO_OP_PUT ? seq : 0)))
                goto done;
            res->entries++;
            expected++;

            /* A checkpoint at this size must sign the root of 1..seq. */
            if (crc == MDB_SUCCESS) {
                uint64_t cp_size = store_i_rd64((uint8_t *)ck.mv_data + 4);
                if (cp_size < seq) {
                    rc =
                        s_fail(res, author, prev_size + 1, VOCFED_ECORRUPT,
                               "checkpoint at size %" PRIu64 " is out of place",
                               cp_size);
                    goto done;
                }
                if (cp_size == seq) {
                    if ((rc = s_check_cp(&a, pk, &cv, cp_size, &fr, prev,
                                         prev_size)))
                        goto done;
                    prev_size = cp_size;
                    crc = mdb_cursor_get(ccur, &ck, &cv, MDB_NEXT);
                    if (crc == MDB_SUCCESS &&
                        (ck.mv_size != STORE_KEY_CP_LEN ||
                         store_i_rd32(ck.mv_data) != a.authno))
                        crc = MDB_NOTFOUND;
                }
            }
        }
        if (progress)
            progress(pctx, res->entries, total);
    }
    if (erc != MDB_SUCCESS && erc != MDB_NOTFOUND) {
        rc = store_i_status(erc);
        goto done;
    }
    if (crc == MDB_SUCCESS) {
        uint64_t cp_size = store_i_rd64((uint8_t *)ck.mv_data + 4);
        rc = s_fail(res, author, expected, VOCFED_ESEQGAP,
                    "checkpoint at size %" PRIu64
                    " but the log ends at %" PRIu64 " (entries lost)",
                    cp_size, expected - 1);
        goto done;
    }
    if (prev_size != expected - 1 &&
        s_check_pending(&a, pk, &fr) != VOCFED_OK) {
        rc = s_fail(res, author, prev_size + 1, VOCFED_EBADSIG,
                    "entries %" PRIu64 "..%" PRIu64
                    " are not covered by any checkpoint",
                    prev_size + 1, expected - 1);
        goto done;
    }
    rc = s_check_records(&a, &ix);
done:
    for (unsigned l = 0; l < PROTO_MERKLE_MAX_LEVELS; l++)
        if (a.levels[l].cur)
            mdb_cursor_close(a.levels[l].cur);
    mdb_cursor_close(ecur);
    mdb_cursor_close(ccur);
    zactor_destroy(&worker);
    free(items);
    s_index_release(&ix);
    if (rc && res->status == VOCFED_OK)
        s_fail(res, author, 0, rc, "%s", vocfed_strerror(rc));
    return rc;
}

typedef struct {
    char (*ids)[PROTO_ID_MAX + 1]; /* author ids */
    size_t n;                      /* how many */
    size_t cap;                    /* allocated */
} s_ids_t;

static int
s_collect(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_ids_t *ids = ctx;
    (void)pk;
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 16;
        void *p = realloc(ids->ids, cap * sizeof *ids->ids);
        if (!p)
            return VOCFED_ENOMEM;
        ids->ids = p;
        ids->cap = cap;
    }
    snprintf(ids->ids[ids->n++], PROTO_ID_MAX + 1, "%s", id);
    return VOCFED_OK;
}

int
store_verify(store_t *store, const char *author, store_verify_result_t *res,
             store_verify_progress_fn progress, void *ctx)
{
    s_ids_t ids = {0};
    MDB_txn *txn = NULL;
    int rc;
    memset(res, 0, sizeof *res);
    if (author) {
        rc = s_collect(&ids, author, NULL);
    } else {
        rc = store_scan_authors(store, s_collect, &ids);
    }
    if (rc)
        goto done;
    if ((rc = store_i_read_begin(store, &txn))) {
        rc = store_i_status(rc);
        goto done;
    }
    for (size_t i = 0; i < ids.n && rc == VOCFED_OK; i++)
        rc = s_verify_author(store, txn, ids.ids[i], res, progress, ctx);
done:
    if (txn)
        mdb_txn_abort(txn);
    free(ids.ids);
    if (rc && res->status == VOCFED_OK)
        res->status = rc;
    return rc;
}
