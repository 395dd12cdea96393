/* vocfed: full verification of a store (SPEC 6). */
#include "storage/verify.h"
#include "storage/log_internal.h"
#include "storage/persons.h"
#include "storage/pending.h"
#include "protocol/handover.h"
#include "protocol/merkle.h"

#include <czmq.h>
#include <sodium.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BATCH 4096 /* entries decoded and hashed per round */

/* ---- the rebuilt record index: kind 0x00 key -> seq ------------------ */

/* A record name is known by its 128-bit SipHash under a key drawn for each
 * run: no log can be made to collide (2^-128 by chance), and the table
 * needs neither the names nor a second memory access to compare them. */
#define S_SEEN (UINT64_C(1) << 63)

typedef struct {
    uint64_t h[2]; /* the name's hash; {0, 0} marks an empty slot */
    uint64_t seq;  /* seq of the current put, 0 when deleted; S_SEEN set
                      once a stored index row matched it */
} s_slot_t;

typedef struct {
    s_slot_t *slots; /* open addressing, linear probing */
    size_t cap;      /* power of two */
    size_t used;     /* occupied slots */
} s_index_t;

static uint8_t s_hash_key[crypto_shorthash_siphashx24_KEYBYTES];

static void
s_name_hash(const char *kind, size_t kind_len, const char *key, size_t key_len,
            uint64_t h[2])
{
    uint8_t name[PROTO_KIND_MAX + 1 + PROTO_KEY_MAX];
    if (kind_len > PROTO_KIND_MAX)
        kind_len = PROTO_KIND_MAX;
    if (key_len > PROTO_KEY_MAX)
        key_len = PROTO_KEY_MAX;
    memcpy(name, kind, kind_len);
    name[kind_len] = 0;
    memcpy(name + kind_len + 1, key, key_len);
    uint8_t out[crypto_shorthash_siphashx24_BYTES];
    crypto_shorthash_siphashx24(out, name, kind_len + 1 + key_len, s_hash_key);
    memcpy(h, out, sizeof out);
    if (h[0] == 0 && h[1] == 0)
        h[0] = 1;
}

/* Sized for about `expected` names up front: growing a large table as it
 * fills costs more than the lookups. */
static int
s_index_init(s_index_t *ix, uint64_t expected)
{
    if (expected > (UINT64_C(1) << 26))
        expected = UINT64_C(1) << 26;
    ix->cap = 1024;
    while (ix->cap * 3 < expected * 4)
        ix->cap *= 2;
    ix->used = 0;
    ix->slots = calloc(ix->cap, sizeof *ix->slots);
    return ix->slots ? VOCFED_OK : VOCFED_ENOMEM;
}

static void
s_index_release(s_index_t *ix)
{
    free(ix->slots);
    ix->slots = NULL;
}

/* The slot of the name with hash h, or the empty slot where it would go. */
static s_slot_t *
s_index_find(s_index_t *ix, const uint64_t h[2])
{
    size_t mask = ix->cap - 1;
    for (size_t i = h[1] & mask;; i = (i + 1) & mask) {
        s_slot_t *s = &ix->slots[i];
        if ((s->h[0] == h[0] && s->h[1] == h[1]) || (!s->h[0] && !s->h[1]))
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
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].h[0] || old[i].h[1])
            *s_index_find(ix, old[i].h) = old[i];
    free(old);
    return VOCFED_OK;
}

/* Records that the current state of the name with hash h is seq (0:
 * deleted). */
static int
s_index_set(s_index_t *ix, const uint64_t h[2], uint64_t seq)
{
    if ((ix->used + 1) * 4 > ix->cap * 3) {
        int rc = s_index_grow(ix);
        if (rc)
            return rc;
    }
    s_slot_t *s = s_index_find(ix, h);
    if (!s->h[0] && !s->h[1]) {
        s->h[0] = h[0];
        s->h[1] = h[1];
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
    uint64_t name_hash[2];        /* s_name_hash of its kind and key */
} s_item_t;

/* Leaf hashes made together (hash.h: eight lanes where the processor
 * has them). */
#define S_LANES 8

/* The work on one entry that depends on nothing else: decode, hash; the
 * leaf hashes S_LANES entries at a time. */
static void
s_prepare(s_item_t *items, size_t n)
{
    const uint8_t *data[S_LANES] = {0};
    size_t len[S_LANES] = {0}, k = 0;
    s_item_t *who[S_LANES];
    uint8_t leaf[S_LANES][PROTO_HASH_LEN];
    for (size_t i = 0; i < n; i++) {
        s_item_t *it = &items[i];
        if (it->len >= PROTO_HASH_LEN) {
            const uint8_t *bytes = it->value + PROTO_HASH_LEN;
            size_t nbytes = it->len - PROTO_HASH_LEN;
            it->status = proto_entry_decode(bytes, nbytes, &it->e);
            if (it->status == VOCFED_OK)
                s_name_hash(it->e.kind, it->e.kind_len, it->e.key,
                            it->e.key_len, it->name_hash);
            data[k] = bytes;
            len[k] = nbytes;
            who[k++] = it;
        } else {
            it->status = VOCFED_ECORRUPT;
        }
        if (k == S_LANES || (k && i + 1 == n)) {
            proto_hash_leaves(k, data, len, leaf);
            for (size_t j = 0; j < k; j++)
                memcpy(who[j]->leaf, leaf[j], PROTO_HASH_LEN);
            k = 0;
        }
    }
}

/* A second core decodes and hashes half of each batch. Messages on the
 * pipe: "WORK" items count, answered by a signal when done. args is the
 * batch's hand-off flag: each side stores to it (release) before its
 * message and loads it (acquire) after the other's, so the items are
 * handed over by C11 atomics as well as by the pipe (libzmq's own
 * ordering is out of sight of ThreadSanitizer, which took every batch
 * for a race). */
static void
s_worker(zsock_t *pipe, void *args)
{
    atomic_uint *handoff = args;
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
        (void)atomic_load_explicit(handoff, memory_order_acquire);
        s_prepare(items, (size_t)n);
        atomic_fetch_add_explicit(handoff, 1, memory_order_release);
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
    MDB_txn *dtxn;              /* the derived snapshot (begun before) */
    uint64_t applied;           /* the last seq it has applied */
    uint32_t authno;            /* the author's number */
    const char *author;         /* its id */
    size_t author_len;          /* its length */
    store_verify_result_t *res; /* where failures go */
    s_level_t levels[PROTO_MERKLE_MAX_LEVELS]; /* node cursors */
    uint8_t pk[PROTO_PUBKEY_LEN];              /* the key in force at the
                                                  checkpoint checked */
    store_key_t keys[STORE_KEYS_MAX];          /* the key history */
    size_t nkeys;                              /* its length */
    uint64_t handovers;                        /* handover entries seen */
    uint8_t prev[PROTO_HASH_LEN];      /* hash of the last checkpoint checked */
    uint64_t prev_size;                /* its size, 0 before the first */
    uint64_t expected;                 /* the next seq the log must have */
    uint64_t total;                    /* size of the latest checkpoint */
    MDB_cursor *ecur;                  /* on the author's entries */
    MDB_val ek, ev;                    /* the entry it points at */
    int erc;                           /* MDB_NOTFOUND past the last one */
    MDB_cursor *ccur;                  /* on the author's checkpoints */
    MDB_val ck, cv;                    /* the checkpoint it points at */
    int crc;                           /* MDB_NOTFOUND past the last one */
    proto_frontier_t fr;               /* the tree recomputed so far */
    s_index_t ix;                      /* the record index rebuilt so far */
    s_item_t *items;                   /* a batch of entries (S_BATCH) */
    zactor_t *worker;                  /* the second core, once needed */
    atomic_uint handoff;               /* its hand-off flag (s_worker) */
    store_verify_progress_fn progress; /* progress bar, or NULL */
    void *pctx;                        /* its context */
} s_author_ctx_t;

static void s_key_at(s_author_ctx_t *a, uint64_t size);

static int s_fail(store_verify_result_t *res, const char *author, uint64_t seq,
                  int status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

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
/* One stored index row waiting for its table slot (prefetched). */
typedef struct {
    const char *kind; /* kind, then 0x00 and key (in name) */
    size_t len;       /* bytes of kind 0x00 key */
    char name[PROTO_KIND_MAX + PROTO_KEY_MAX + 2]; /* as text (SPEC 5.1) */
    uint64_t seq;                                  /* what the row says */
    uint64_t h[2];                                 /* hash of the name */
} s_row_t;

/* Checks one stored index row against the rebuilt index. */
static int
s_check_row(s_author_ctx_t *a, const s_row_t *r)
{
    size_t kind_len = strnlen(r->kind, r->len);
    const char *rkey = kind_len < r->len ? r->kind + kind_len + 1 : "";
    int klen = kind_len < r->len ? (int)(r->len - kind_len - 1) : 0;
    s_slot_t *s = s_index_find(&a->ix, r->h);
    bool known = s->h[0] || s->h[1];
    uint64_t live = s->seq & ~S_SEEN;
    if (!known || live == 0 || live != r->seq)
        return s_fail(a->res, a->author, known && live ? live : r->seq,
                      VOCFED_ECORRUPT,
                      "record index for %.*s/%.*s says seq %" PRIu64
                      " but the log says %s%" PRIu64,
                      (int)kind_len, r->kind, klen, rkey, r->seq,
                      known && live ? "seq " : "deleted at/absent ", live);
    s->seq |= S_SEEN;
    a->res->records++;
    return VOCFED_OK;
}

#define S_AHEAD 16 /* rows whose slots are fetched ahead */

/* The stored index rows on their way to s_check_row, S_AHEAD behind
 * the scan so that their slots are in the cache when checked. */
typedef struct {
    s_author_ctx_t *a;     /* the author */
    s_row_t ring[S_AHEAD]; /* rows read, not yet checked */
    size_t n;              /* rows read */
} s_rows_t;

static int
s_index_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_rows_t *rows = ctx;
    s_index_t *ix = &rows->a->ix;
    s_row_t *r = &rows->ring[rows->n % S_AHEAD];
    int rc;
    if (rows->n >= S_AHEAD && (rc = s_check_row(rows->a, r)))
        return rc;
    uint8_t kb[STORE_KEY_RECORD_MAX];
    size_t kbl;
    if ((rc = store_i_punkey(rows->a->store, rows->a->dtxn, key->mv_data,
                             key->mv_size, 4, kb, sizeof kb, &kbl)))
        return rc;
    const char *name = (const char *)kb + 4;
    size_t nlen = kbl - 4, kind_len = strnlen(name, nlen), klen = 0;
    r->seq = d->mv_size == 8 ? store_i_rd64(d->mv_data) : 0;
    if (kind_len > PROTO_KIND_MAX)
        kind_len = PROTO_KIND_MAX;
    memcpy(r->name, name, kind_len);
    r->name[kind_len] = 0;
    r->kind = r->name;
    if (kind_len < nlen &&
        store_i_key_record_text((const uint8_t *)name + kind_len + 1,
                                nlen - kind_len - 1, r->name + kind_len + 1,
                                sizeof r->name - kind_len - 1) == MDB_SUCCESS)
        klen = strlen(r->name + kind_len + 1);
    r->len = kind_len + (klen ? 1 + klen : 0);
    s_name_hash(r->kind, kind_len, r->kind + kind_len + (klen ? 1 : 0), klen,
                r->h);
    __builtin_prefetch(&ix->slots[r->h[1] & (ix->cap - 1)], 1);
    rows->n++;
    return 0;
}

/* Every live record of the log must be in the stored index. */
static int
s_check_missing(s_author_ctx_t *a)
{
    for (size_t i = 0; i < a->ix.cap; i++) {
        s_slot_t *s = &a->ix.slots[i];
        if (!(s->h[0] || s->h[1]) || !s->seq || (s->seq & S_SEEN))
            continue;
        char what[PROTO_KIND_MAX + PROTO_KEY_MAX + 2] = "?";
        MDB_val ev;
        proto_entry_t e;
        if (store_i_entry_value(a->store, a->txn, a->authno, s->seq, &ev) ==
                0 &&
            ev.mv_size > PROTO_HASH_LEN &&
            proto_entry_decode((uint8_t *)ev.mv_data + PROTO_HASH_LEN,
                               ev.mv_size - PROTO_HASH_LEN, &e) == 0)
            snprintf(what, sizeof what, "%.*s/%.*s", (int)e.kind_len, e.kind,
                     (int)e.key_len, e.key);
        return s_fail(a->res, a->author, s->seq, VOCFED_ECORRUPT,
                      "record %s (seq %" PRIu64
                      ") is missing from the record index",
                      what, s->seq);
    }
    return VOCFED_OK;
}

static int
s_check_records(s_author_ctx_t *a)
{
    uint8_t k[4];
    s_rows_t rows = {.a = a};
    int rc;
    store_i_be32(k, a->authno);
    rc = store_i_scan(a->dtxn, a->store->records, k, sizeof k, sizeof k,
                      s_index_row, &rows);
    if (rc)
        return store_i_is_status(rc) ? rc : store_i_status(rc);
    for (size_t i = rows.n > S_AHEAD ? rows.n - S_AHEAD : 0; i < rows.n; i++)
        if ((rc = s_check_row(a, &rows.ring[i % S_AHEAD])))
            return rc;
    return s_check_missing(a);
}

/* What the author's `pending` rows say (SPEC 5.1, 8.4). */
typedef struct {
    s_author_ctx_t *a; /* the author */
    bool covers;       /* one proves the entries past the last checkpoint */
    uint64_t bad;      /* size of a row that is not a checkpoint of the
                          author past the log, 0 if none */
} s_pending_t;

/* One row: a checkpoint signed by the author, past the log; the one kept
 * by the batch that ended the log proves, with its range, the entries
 * past the last stored checkpoint. */
static int
s_pending_row(void *ctx, const store_i_pending_t *p)
{
    s_pending_t *q = ctx;
    s_author_ctx_t *a = q->a;
    proto_checkpoint_t c;
    s_key_at(a, p->size);
    if (proto_checkpoint_open(p->cp, p->len, a->pk, &c) ||
        strcmp(c.author, a->author) != 0 || c.size <= a->fr.size) {
        q->bad = p->size ? p->size : 1;
        return 1;
    }
    if (!q->covers &&
        proto_merkle_verify_range(PROTO_HASH_BLAKE2B256, &a->fr, c.size,
                                  &p->range, c.root) == VOCFED_OK)
        q->covers = true;
    return MDB_SUCCESS;
}

/* A replica may hold the first part of a large transaction: entries past
 * its latest checkpoint, proved by the checkpoint that covers them and
 * the compact range to it, both kept at ingest (SPEC 8.4); and it keeps
 * every other checkpoint it was given past its entries. */
static int
s_check_pending(s_author_ctx_t *a, uint64_t last)
{
    s_pending_t q = {.a = a};
    int rc = store_i_pending_scan(a->store, a->txn, a->authno, 0, UINT64_MAX,
                                  s_pending_row, &q);
    if (rc == 1 || rc == VOCFED_ECORRUPT)
        return s_fail(a->res, a->author, last + 1, VOCFED_ECORRUPT,
                      "a checkpoint held pending (size %" PRIu64
                      ") is not one of the author's past the log, which "
                      "ends at %" PRIu64,
                      q.bad, last);
    if (rc)
        return store_i_is_status(rc) ? rc : store_i_status(rc);
    if (a->prev_size != last && !q.covers)
        return s_fail(a->res, a->author, a->prev_size + 1, VOCFED_EBADSIG,
                      "entries %" PRIu64 "..%" PRIu64
                      " are not covered by any checkpoint",
                      a->prev_size + 1, last);
    return VOCFED_OK;
}

/* Steps the checkpoint cursor on; MDB_NOTFOUND past the author's last. */
static void
s_next_cp(s_author_ctx_t *a, MDB_cursor_op op)
{
    a->crc = mdb_cursor_get(a->ccur, &a->ck, &a->cv, op);
    if (a->crc == MDB_SUCCESS && (a->ck.mv_size != STORE_KEY_CP_LEN ||
                                  store_i_rd32(a->ck.mv_data) != a->authno))
        a->crc = MDB_NOTFOUND;
}

/* The author's key, cursors on its entries and checkpoints, and a
 * rebuilt index sized for its latest checkpoint. */
static int
s_open_author(s_author_ctx_t *a)
{
    int rc;
    if ((rc = store_i_authno(a->txn, a->store, a->author, &a->authno)) ||
        (rc = store_i_applied_seq(a->store, a->dtxn, a->authno, &a->applied)))
        return store_i_is_status(rc) ? rc : store_i_status(rc);
    if (store_i_keys(a->txn, a->store, a->authno, a->keys, STORE_KEYS_MAX,
                     &a->nkeys))
        return s_fail(a->res, a->author, 0, VOCFED_ECORRUPT,
                      "author has no public key, or its key history does "
                      "not read");
    s_key_at(a, 1);
    proto_frontier_init(&a->fr, PROTO_HASH_BLAKE2B256);
    if ((rc = store_i_cp_at_or_below(a->store, a->txn, a->authno, UINT64_MAX,
                                     &a->total)) ||
        (rc = mdb_cursor_open(a->txn, a->store->entries, &a->ecur)) ||
        (rc = mdb_cursor_open(a->txn, a->store->checkpoints, &a->ccur)))
        return store_i_status(rc);
    if ((rc = s_index_init(&a->ix, a->total)))
        return rc;
    uint8_t k0[STORE_KEY_ENTRY_LEN];
    store_i_key_entry(k0, a->authno, 0);
    a->ek.mv_size = a->ck.mv_size = sizeof k0;
    a->ek.mv_data = a->ck.mv_data = k0;
    a->erc = mdb_cursor_get(a->ecur, &a->ek, &a->ev, MDB_SET_RANGE);
    s_next_cp(a, MDB_SET_RANGE);
    a->items = malloc(S_BATCH * sizeof *a->items);
    return a->items ? VOCFED_OK : VOCFED_ENOMEM;
}

/* Collects the next batch of entries (pointers into the snapshot) and
 * decodes and hashes them in parallel: the second half on the worker.
 * Returns how many. */
static size_t
s_next_batch(s_author_ctx_t *a)
{
    s_item_t *items = a->items;
    size_t n = 0;
    while (a->erc == MDB_SUCCESS && n < S_BATCH) {
        if (a->ek.mv_size != STORE_KEY_ENTRY_LEN ||
            store_i_rd32(a->ek.mv_data) != a->authno) {
            a->erc = MDB_NOTFOUND;
            break;
        }
        items[n].seq = store_i_rd64((uint8_t *)a->ek.mv_data + 4);
        items[n].value = a->ev.mv_data;
        items[n].len = a->ev.mv_size;
        n++;
        a->erc = mdb_cursor_get(a->ecur, &a->ek, &a->ev, MDB_NEXT);
    }
    size_t half = n;
    if (n == S_BATCH && !a->worker)
        a->worker = zactor_new(s_worker, &a->handoff);
    if (a->worker && n >= 2) {
        half = n / 2;
        atomic_fetch_add_explicit(&a->handoff, 1, memory_order_release);
        zsock_send(a->worker, "sp8", "WORK", (void *)(items + half),
                   (uint64_t)(n - half));
    }
    s_prepare(items, half);
    if (a->worker && n >= 2) {
        zsock_wait(a->worker);
        (void)atomic_load_explicit(&a->handoff, memory_order_acquire);
    }
    return n;
}

/* One entry, decoded: in its place, naming its author and seq, matching
 * its stored leaf hash. */
static int
s_check_entry(s_author_ctx_t *a, const s_item_t *it)
{
    uint64_t seq = it->seq;
    const proto_entry_t *e = &it->e;
    if (seq != a->expected)
        return s_fail(a->res, a->author, a->expected, VOCFED_ESEQGAP,
                      seq > a->expected ? "entry is missing"
                                        : "entry key out of order");
    if (it->status == VOCFED_ECORRUPT)
        return s_fail(a->res, a->author, seq, VOCFED_ECORRUPT,
                      "stored entry is truncated");
    if (it->status)
        return s_fail(a->res, a->author, seq, it->status,
                      "entry does not decode: %s", vocfed_strerror(it->status));
    if (e->author_len != a->author_len ||
        memcmp(e->author, a->author, a->author_len) != 0)
        return s_fail(a->res, a->author, seq, VOCFED_EAUTHOR,
                      "entry names author %.*s", (int)e->author_len, e->author);
    if (e->seq != seq)
        return s_fail(a->res, a->author, seq, VOCFED_ESEQGAP,
                      "entry stored at seq %" PRIu64 " holds seq %" PRIu64
                      " (reordered)",
                      seq, e->seq);
    if (memcmp(it->leaf, it->value, PROTO_HASH_LEN) != 0)
        return s_fail(a->res, a->author, seq, VOCFED_ECORRUPT,
                      "entry does not match its stored leaf hash");
    return VOCFED_OK;
}

/* The key of the history in force at a checkpoint of size (SPEC 3.4)
 * into a->pk. */
static void
s_key_at(s_author_ctx_t *a, uint64_t size)
{
    size_t i = 0;
    while (i + 1 < a->nkeys && a->keys[i + 1].from < size)
        i++;
    memcpy(a->pk, a->keys[i].pk, PROTO_PUBKEY_LEN);
}

/* A handover entry (SPEC 3.4) must be the one its history row says, at
 * the size of a checkpoint (the old key's). */
static int
s_check_handover(s_author_ctx_t *a, const s_item_t *it)
{
    uint8_t pk[PROTO_PUBKEY_LEN];
    size_t i = 1;
    while (i < a->nkeys && a->keys[i].from != it->seq)
        i++;
    if (proto_handover_key(&it->e, a->author, pk, NULL, 0) != VOCFED_OK ||
        i == a->nkeys || a->keys[i].how != STORE_KEY_HANDOVER ||
        memcmp(a->keys[i].pk, pk, PROTO_PUBKEY_LEN) != 0)
        return s_fail(a->res, a->author, it->seq, VOCFED_ECORRUPT,
                      "key handover entry does not match the key history");
    if (a->crc != MDB_SUCCESS ||
        store_i_rd64((uint8_t *)a->ck.mv_data + 4) != it->seq)
        return s_fail(a->res, a->author, it->seq, VOCFED_ECORRUPT,
                      "key handover entry is not the last of a checkpoint");
    a->handovers++;
    return VOCFED_OK;
}

/* After the entries: each step of the key history inside the log starts
 * at a checkpoint, and each handover step has its entry. */
static int
s_check_keys(s_author_ctx_t *a, uint64_t last)
{
    uint64_t steps = 0;
    for (size_t i = 1; i < a->nkeys; i++) {
        const store_key_t *k = &a->keys[i];
        MDB_val cp;
        if (k->how == STORE_KEY_HANDOVER)
            steps++;
        if (k->from > last || k->from == 0)
            continue; /* not reached yet, or before anything was signed */
        if (store_i_cp_at(a->store, a->txn, a->authno, k->from, &cp))
            return s_fail(a->res, a->author, k->from, VOCFED_ECORRUPT,
                          "the key was replaced at size %" PRIu64
                          ", where no checkpoint was signed",
                          k->from);
    }
    if (steps != a->handovers)
        return s_fail(a->res, a->author, last, VOCFED_ECORRUPT,
                      "%" PRIu64 " key handover steps in the history, %" PRIu64
                      " handover entries in the log",
                      steps, a->handovers);
    return VOCFED_OK;
}

/* A checkpoint at size seq must sign the root of 1..seq. */
static int
s_check_cp_at(s_author_ctx_t *a, uint64_t seq)
{
    if (a->crc != MDB_SUCCESS)
        return VOCFED_OK;
    uint64_t cp_size = store_i_rd64((uint8_t *)a->ck.mv_data + 4);
    if (cp_size < seq)
        return s_fail(a->res, a->author, a->prev_size + 1, VOCFED_ECORRUPT,
                      "checkpoint at size %" PRIu64 " is out of place",
                      cp_size);
    if (cp_size > seq)
        return VOCFED_OK;
    s_key_at(a, cp_size);
    int rc =
        s_check_cp(a, a->pk, &a->cv, cp_size, &a->fr, a->prev, a->prev_size);
    if (rc)
        return rc;
    a->prev_size = cp_size;
    s_next_cp(a, MDB_NEXT);
    return VOCFED_OK;
}

/* In seq order, everything that depends on what came before: the tree,
 * the index, the checkpoints. */
static int
s_check_batch(s_author_ctx_t *a, size_t n)
{
    s_item_t *items = a->items;
    int rc;
    for (size_t i = 0; i < n; i++) {
        s_item_t *it = &items[i];
        /* The table is larger than the caches: ask for the slot a few
         * entries ahead so the misses overlap. */
        if (i + 8 < n)
            __builtin_prefetch(
                &a->ix.slots[items[i + 8].name_hash[1] & (a->ix.cap - 1)], 1);
        if ((rc = s_check_entry(a, it)) ||
            (proto_handover_is(&it->e) && (rc = s_check_handover(a, it))) ||
            (rc = proto_frontier_append(&a->fr, it->leaf, s_check_node, a)) ||
            /* the index as applied: the log up to a->applied */
            (it->seq <= a->applied &&
             (rc = s_index_set(&a->ix, it->name_hash,
                               it->e.op == PROTO_OP_PUT ? it->seq : 0))))
            return rc;
        a->res->entries++;
        a->expected++;
        if ((rc = s_check_cp_at(a, it->seq)))
            return rc;
    }
    return VOCFED_OK;
}

/* After the last entry: no checkpoint past the log, entries past the
 * last checkpoint proved by a kept range, the record index. */
static int
s_check_end(s_author_ctx_t *a)
{
    uint64_t last = a->expected - 1;
    if (a->erc != MDB_SUCCESS && a->erc != MDB_NOTFOUND)
        return store_i_status(a->erc);
    if (a->crc == MDB_SUCCESS)
        return s_fail(a->res, a->author, a->expected, VOCFED_ESEQGAP,
                      "checkpoint at size %" PRIu64
                      " but the log ends at %" PRIu64 " (entries lost)",
                      store_i_rd64((uint8_t *)a->ck.mv_data + 4), last);
    int rc = s_check_pending(a, last);
    if (!rc)
        rc = s_check_keys(a, last);
    return rc ? rc : s_check_records(a);
}

static void
s_close_author(s_author_ctx_t *a)
{
    for (unsigned l = 0; l < PROTO_MERKLE_MAX_LEVELS; l++)
        if (a->levels[l].cur)
            mdb_cursor_close(a->levels[l].cur);
    mdb_cursor_close(a->ecur);
    mdb_cursor_close(a->ccur);
    zactor_destroy(&a->worker);
    free(a->items);
    s_index_release(&a->ix);
}

static int
s_verify_author(store_t *store, MDB_txn *txn, MDB_txn *dtxn, const char *author,
                store_verify_result_t *res, store_verify_progress_fn progress,
                void *pctx)
{
    s_author_ctx_t a = {.store = store,
                        .txn = txn,
                        .dtxn = dtxn,
                        .author = author,
                        .author_len = strlen(author),
                        .res = res,
                        .expected = 1,
                        .progress = progress,
                        .pctx = pctx};
    int rc = s_open_author(&a);
    while (rc == VOCFED_OK && a.erc == MDB_SUCCESS) {
        rc = s_check_batch(&a, s_next_batch(&a));
        if (rc == VOCFED_OK && progress)
            progress(pctx, res->entries, a.total);
    }
    if (rc == VOCFED_OK)
        rc = s_check_end(&a);
    s_close_author(&a);
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

/* What store_verify reads in its one snapshot. */
typedef struct {
    s_ids_t ids;                       /* the authors to verify */
    store_verify_result_t *res;        /* what was found */
    store_verify_progress_fn progress; /* progress bar, or NULL */
    void *ctx;                         /* its context */
    MDB_txn *dtxn;                     /* the derived snapshot */
} s_verify_t;

static int
s_verify_txn(store_t *store, MDB_txn *txn, void *ctx)
{
    s_verify_t *v = ctx;
    int rc = VOCFED_OK;
    for (size_t i = 0; i < v->ids.n && rc == VOCFED_OK; i++)
        rc = s_verify_author(store, txn, v->dtxn, v->ids.ids[i], v->res,
                             v->progress, v->ctx);
    return rc;
}

int
store_verify(store_t *store, const char *author, store_verify_result_t *res,
             store_verify_progress_fn progress, void *ctx)
{
    s_verify_t v = {.res = res, .progress = progress, .ctx = ctx};
    int rc;
    memset(res, 0, sizeof *res);
    randombytes_buf(s_hash_key, sizeof s_hash_key);
    if (author)
        rc = s_collect(&v.ids, author, NULL);
    else
        rc = store_scan_authors(store, s_collect, &v.ids);
    /* The derived snapshot first: the log's, begun after it, holds every
     * entry it has applied; the index is checked against those. */
    store_i_read_apply(store);
    if (rc == VOCFED_OK &&
        (rc = store_i_status(store_i_dread_begin(store, &v.dtxn))) ==
            VOCFED_OK) {
        rc = store_i_read(store, s_verify_txn, &v);
        mdb_txn_abort(v.dtxn);
    }
    free(v.ids.ids);
    if (rc && res->status == VOCFED_OK)
        res->status = rc;
    return rc;
}
