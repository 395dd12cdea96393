/* vocfed: an author's key history (SPEC 5.1 `authors` 'k' rows, 3.4):
 * which key signs a checkpoint of each size. The key given at
 * registration ('n' row) signs from size 1; each 'k' row names the key
 * that signs every checkpoint past its `from`, written by a handover
 * entry of the author's own log (at seq `from`, under a checkpoint the
 * old key signed there) or vouched for by the coordinator's roster
 * (`vocfed members rekey`, a member adopting its roster's history). */
#include "storage/log_internal.h"
#include "storage/pending.h"

#include <string.h>

#define S_KEY_ROW_LEN 13 /* 'k' | authno u32 | from u64 */

static void
s_row_key(uint8_t k[S_KEY_ROW_LEN], uint32_t authno, uint64_t from)
{
    k[0] = 'k';
    store_i_be32(k + 1, authno);
    store_i_be64(k + 5, from);
}

/* The 'n' row's key (the one registered first). */
static int
s_base_pk(MDB_txn *txn, store_t *self, uint32_t no,
          uint8_t pk[PROTO_PUBKEY_LEN])
{
    uint8_t nk[5] = {'n'};
    store_i_be32(nk + 1, no);
    MDB_val key = {5, nk}, d;
    int rc = mdb_get(txn, self->authors, &key, &d);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    if (d.mv_size < PROTO_PUBKEY_LEN)
        return VOCFED_ECORRUPT;
    memcpy(pk, d.mv_data, PROTO_PUBKEY_LEN);
    return MDB_SUCCESS;
}

int
store_i_key_at(MDB_txn *txn, store_t *self, uint32_t no, uint64_t size,
               uint8_t pk[PROTO_PUBKEY_LEN], uint64_t *from)
{
    uint8_t k[S_KEY_ROW_LEN];
    MDB_val key, d;
    if (from)
        *from = 0;
    if (size == 0)
        size = 1;
    s_row_key(k, no, size - 1);
    int rc = store_i_seek_last(txn, self->authors, k, sizeof k, 5, &key, &d);
    if (rc == MDB_NOTFOUND)
        return s_base_pk(txn, self, no, pk);
    if (rc)
        return rc;
    if (key.mv_size != S_KEY_ROW_LEN || d.mv_size != PROTO_PUBKEY_LEN + 1)
        return VOCFED_ECORRUPT;
    memcpy(pk, d.mv_data, PROTO_PUBKEY_LEN);
    if (from)
        *from = store_i_rd64((uint8_t *)key.mv_data + 5);
    return MDB_SUCCESS;
}

int
store_i_author_pk(MDB_txn *txn, store_t *self, uint32_t no,
                  uint8_t pk[PROTO_PUBKEY_LEN])
{
    return store_i_key_at(txn, self, no, UINT64_MAX, pk, NULL);
}

int
store_i_key_put(MDB_txn *txn, store_t *self, uint32_t no, uint64_t from,
                const uint8_t pk[PROTO_PUBKEY_LEN], char how)
{
    uint8_t cur[PROTO_PUBKEY_LEN], k[S_KEY_ROW_LEN], v[PROTO_PUBKEY_LEN + 1];
    uint64_t last;
    int rc = store_i_key_at(txn, self, no, UINT64_MAX, cur, &last);
    if (rc)
        return rc;
    /* The history only grows, and each step is another key. A step from
     * 0 (a key replaced before anything was signed) replaces the one
     * there: no checkpoint of either exists. */
    if (from < last || (from == last && last > 0))
        return VOCFED_EINVALID;
    if (memcmp(cur, pk, PROTO_PUBKEY_LEN) == 0)
        return VOCFED_EEXISTS;
    s_row_key(k, no, from);
    memcpy(v, pk, PROTO_PUBKEY_LEN);
    v[PROTO_PUBKEY_LEN] = (uint8_t)how;
    MDB_val key = {sizeof k, k}, d = {sizeof v, v};
    return mdb_put(txn, self->authors, &key, &d,
                   from == 0 ? 0 : MDB_NOOVERWRITE);
}

/* ---- reading the history ---------------------------------------------- */

typedef struct {
    store_key_t *out; /* the caller's array */
    size_t cap;       /* its room */
    size_t n;         /* rows so far */
} s_keys_t;

static int
s_key_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_keys_t *s = ctx;
    if (key->mv_size != S_KEY_ROW_LEN || d->mv_size != PROTO_PUBKEY_LEN + 1)
        return VOCFED_ECORRUPT;
    if (s->n == s->cap)
        return VOCFED_ETOOLARGE;
    store_key_t *o = &s->out[s->n++];
    o->from = store_i_rd64((uint8_t *)key->mv_data + 5);
    memcpy(o->pk, d->mv_data, PROTO_PUBKEY_LEN);
    o->how = (char)((uint8_t *)d->mv_data)[PROTO_PUBKEY_LEN];
    return MDB_SUCCESS;
}

int
store_i_keys(MDB_txn *txn, store_t *self, uint32_t no, store_key_t *out,
             size_t cap, size_t *n)
{
    uint8_t k[5] = {'k'};
    s_keys_t s = {out, cap, 0};
    int rc;
    *n = 0;
    if (cap == 0)
        return VOCFED_ETOOLARGE;
    if ((rc = s_base_pk(txn, self, no, out[0].pk)))
        return rc;
    out[0].from = 0;
    out[0].how = STORE_KEY_FIRST;
    s.n = 1;
    store_i_be32(k + 1, no);
    if ((rc = store_i_scan(txn, self->authors, k, sizeof k, sizeof k, s_key_row,
                           &s)))
        return rc;
    *n = s.n;
    return MDB_SUCCESS;
}

typedef struct {
    store_key_t *out; /* the caller's array */
    size_t cap;       /* its room */
    size_t *n;        /* how many */
} s_keys_read_t;

static int
s_keys_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    s_keys_read_t *r = ctx;
    return store_i_keys(txn, self, no, r->out, r->cap, r->n);
}

int
store_author_keys(store_t *self, const char *id, store_key_t *out, size_t cap,
                  size_t *n)
{
    s_keys_read_t r = {out, cap, n};
    *n = 0;
    return store_i_read_author(self, id, s_keys_txn, &r);
}

/* ---- vouched changes -------------------------------------------------- */

typedef struct {
    const char *id;          /* whose history */
    uint64_t from;           /* rekey: from which size */
    const uint8_t *pk;       /* rekey: the new key */
    const store_key_t *keys; /* adopt: the history */
    size_t n;                /* adopt: its length */
} s_change_t;

/* Pending checkpoints past `from` were signed by the key the rekey
 * replaces there: they can never be completed, and would not verify. */
static int
s_drop_pending(void *ctx, const store_i_pending_t *p)
{
    uint64_t *sizes = ctx;
    if (sizes[0] < 16)
        sizes[1 + sizes[0]++] = p->size;
    return MDB_SUCCESS;
}

static int
s_rekey_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_change_t *c = ctx;
    uint64_t sizes[17] = {0}, held;
    uint32_t no;
    int rc;
    uint64_t cp_size;
    if ((rc = store_i_authno(txn, self, c->id, &no)) ||
        (rc = store_i_log_size(self, txn, no, &held)) ||
        (rc = store_i_cp_at_or_below(self, txn, no, UINT64_MAX, &cp_size)))
        return rc;
    /* Entries held past `from` were signed under the old key's
     * checkpoints; entries past the latest checkpoint (a transfer cut
     * short) under none the new key could sign: refused. */
    if (c->from < held || held != cp_size)
        return VOCFED_EINVALID;
    if ((rc =
             store_i_key_put(txn, self, no, c->from, c->pk, STORE_KEY_VOUCHED)))
        return rc;
    do {
        sizes[0] = 0;
        if ((rc = store_i_pending_scan(self, txn, no, c->from + 1, UINT64_MAX,
                                       s_drop_pending, sizes)))
            return rc;
        for (uint64_t i = 0; i < sizes[0] && !rc; i++)
            rc = store_i_pending_del(self, txn, no, sizes[1 + i]);
    } while (!rc && sizes[0] == 16);
    return rc;
}

int
store_author_rekey(store_t *self, const char *id, uint64_t from,
                   const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_change_t c = {.id = id, .from = from, .pk = pk};
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_EINVALID;
    return store_i_write(self, s_rekey_txn, &c);
}

/* Deletes every 'k' row of no (an author holding nothing). */
static int
s_clear_rows(store_t *self, MDB_txn *txn, uint32_t no)
{
    store_key_t had[STORE_KEYS_MAX];
    size_t n;
    int rc = store_i_keys(txn, self, no, had, STORE_KEYS_MAX, &n);
    for (size_t i = 1; i < n && !rc; i++) {
        uint8_t k[S_KEY_ROW_LEN];
        s_row_key(k, no, had[i].from);
        MDB_val key = {sizeof k, k};
        rc = mdb_del(txn, self->authors, &key, NULL);
    }
    return rc;
}

/* The 'n' row's key replaced (an author holding nothing yet). */
static int
s_set_base(store_t *self, MDB_txn *txn, uint32_t no, const char *id,
           const uint8_t pk[PROTO_PUBKEY_LEN])
{
    uint8_t nk[5] = {'n'}, nv[PROTO_PUBKEY_LEN + PROTO_ID_MAX];
    size_t len = strlen(id);
    store_i_be32(nk + 1, no);
    memcpy(nv, pk, PROTO_PUBKEY_LEN);
    memcpy(nv + PROTO_PUBKEY_LEN, id, len);
    MDB_val key = {5, nk}, d = {PROTO_PUBKEY_LEN + len, nv};
    return mdb_put(txn, self->authors, &key, &d, 0);
}

/* The stored history must be a prefix of the one adopted (same froms,
 * same keys; the first row's how aside). */
static int
s_adopt_extend(store_t *self, MDB_txn *txn, uint32_t no, const s_change_t *c)
{
    store_key_t had[STORE_KEYS_MAX];
    size_t n;
    int rc = store_i_keys(txn, self, no, had, STORE_KEYS_MAX, &n);
    if (rc)
        return rc;
    /* One is a prefix of the other: a handover of ours the roster does
     * not state yet leaves ours the longer. */
    for (size_t i = 0; i < n && i < c->n; i++)
        if (had[i].from != c->keys[i].from ||
            memcmp(had[i].pk, c->keys[i].pk, PROTO_PUBKEY_LEN) != 0)
            return VOCFED_EEXISTS;
    for (size_t i = n; i < c->n && !rc; i++)
        rc = store_i_key_put(txn, self, no, c->keys[i].from, c->keys[i].pk,
                             STORE_KEY_VOUCHED);
    return rc;
}

static int
s_adopt_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_change_t *c = ctx;
    uint64_t held;
    uint32_t no;
    MDB_val cp;
    int rc;
    if ((rc = store_i_authno(txn, self, c->id, &no)) ||
        (rc = store_i_log_size(self, txn, no, &held)))
        return rc;
    rc = store_i_latest_cp(self, txn, no, &cp);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (held > 0 || rc == MDB_SUCCESS)
        return s_adopt_extend(self, txn, no, c);
    /* Nothing held: nothing was verified under the keys stored; the
     * history is taken whole. */
    if ((rc = s_clear_rows(self, txn, no)) ||
        (rc = s_set_base(self, txn, no, c->id, c->keys[0].pk)))
        return rc;
    for (size_t i = 1; i < c->n && !rc; i++)
        rc = store_i_key_put(txn, self, no, c->keys[i].from, c->keys[i].pk,
                             STORE_KEY_VOUCHED);
    return rc;
}

int
store_author_keys_adopt(store_t *self, const char *id, const store_key_t *keys,
                        size_t n)
{
    s_change_t c = {.id = id, .keys = keys, .n = n};
    if (!proto_id_valid(id, strlen(id)) || n == 0 || n > STORE_KEYS_MAX ||
        keys[0].from != 0)
        return VOCFED_EINVALID;
    for (size_t i = 1; i < n; i++)
        if (keys[i].from <= keys[i - 1].from && keys[i].from > 0)
            return VOCFED_EINVALID;
    return store_i_write(self, s_adopt_txn, &c);
}
