/* vocfed: evidence of equivocation and quarantine (SPEC 8.5). */
#include "storage/evidence.h"
#include "protocol/clock.h"
#include "protocol/mpack.h"
#include "storage/replica.h"

#include <msgpack.h>
#include <stdio.h>
#include <string.h>

int
store_i_equivocation(store_t *self, MDB_txn *txn, const char *author,
                     const uint8_t *a, size_t alen, const uint8_t *b,
                     size_t blen, const char *reason)
{
    uint8_t k[2 + PROTO_ID_MAX + 8];
    size_t n = store_i_key_tagged(k, 'e', author);
    k[n++] = 0;
    store_i_be64(k + n, proto_now_ms());
    n += 8;

    proto_buf_t v;
    proto_buf_init(&v);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &v, proto_buf_msgpack_write);
    size_t rlen = strlen(reason);
    int rc = VOCFED_ENOMEM;
    if (msgpack_pack_array(&pk, 3) || msgpack_pack_bin(&pk, alen) ||
        msgpack_pack_bin_body(&pk, a, alen) || msgpack_pack_bin(&pk, blen) ||
        msgpack_pack_bin_body(&pk, b, blen) || msgpack_pack_str(&pk, rlen) ||
        msgpack_pack_str_body(&pk, reason, rlen))
        goto done;
    MDB_val key = {n, k}, d = {v.len, v.data};
    if ((rc = mdb_put(txn, self->evidence, &key, &d, 0)))
        goto done;
    n = store_i_key_tagged(k, 'q', author);
    MDB_val qkey = {n, k}, qd = {rlen, (void *)reason};
    rc = mdb_put(txn, self->evidence, &qkey, &qd, 0);
done:
    proto_buf_release(&v);
    return rc;
}

bool
store_i_quarantined(store_t *self, MDB_txn *txn, const char *author)
{
    uint8_t k[1 + PROTO_ID_MAX];
    size_t n = store_i_key_tagged(k, 'q', author);
    MDB_val key = {n, k}, d;
    return mdb_get(txn, self->evidence, &key, &d) == MDB_SUCCESS;
}

typedef struct {
    const char *author; /* whose */
    bool yes;           /* out: quarantined */
} s_quarantine_t;

static int
s_quarantined_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_quarantine_t *q = ctx;
    q->yes = store_i_quarantined(self, txn, q->author);
    return MDB_SUCCESS;
}

/* What a scan of evidence asks. */
typedef struct {
    const char *author;   /* whose */
    store_evidence_fn fn; /* called for each */
    void *ctx;            /* its context */
    int rc;               /* fn's stop value */
} s_evidence_t;

static int
s_evidence_row(void *ctx, const MDB_val *key, const MDB_val *val)
{
    s_evidence_t *e = ctx;
    proto_rd_t r;
    uint32_t n;
    const uint8_t *a, *b;
    size_t alen, blen, rlen;
    const char *reason;
    if (key->mv_size < 8)
        return VOCFED_ECORRUPT;
    uint64_t t = store_i_rd64((const uint8_t *)key->mv_data + key->mv_size - 8);
    proto_rd_init(&r, val->mv_data, val->mv_size);
    if (proto_rd_array(&r, &n) || n != 3 || proto_rd_bin(&r, &a, &alen) ||
        proto_rd_bin(&r, &b, &blen) || proto_rd_str(&r, &reason, &rlen))
        return VOCFED_ECORRUPT;
    char text[256]; /* a reason is a res->what, under 160 bytes */
    snprintf(text, sizeof text, "%.*s", (int)rlen, reason);
    e->rc = e->fn(e->ctx, t, a, alen, b, blen, text);
    return e->rc ? STORE_I_END : MDB_SUCCESS;
}

static int
s_evidence_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_evidence_t *e = ctx;
    uint8_t k[2 + PROTO_ID_MAX];
    size_t n = store_i_key_tagged(k, 'e', e->author);
    k[n++] = 0;
    return store_i_scan(txn, self->evidence, k, n, n, s_evidence_row, e);
}

int
store_scan_evidence(store_t *self, const char *author, store_evidence_fn fn,
                    void *ctx)
{
    s_evidence_t e = {author, fn, ctx, 0};
    if (!proto_id_valid(author, strlen(author)))
        return VOCFED_EINVALID;
    int rc = store_i_read(self, s_evidence_txn, &e);
    return rc ? rc : e.rc;
}

bool
store_quarantined(store_t *self, const char *author)
{
    s_quarantine_t q = {author, false};
    if (!proto_id_valid(author, strlen(author)))
        return false;
    return store_i_read(self, s_quarantined_txn, &q) == VOCFED_OK && q.yes;
}

/* What store_quarantine writes. */
typedef struct {
    const char *author; /* whose */
    const uint8_t *a;   /* the checkpoint held */
    size_t alen;        /* its bytes */
    const uint8_t *b;   /* the one received */
    size_t blen;        /* its bytes */
    const char *reason; /* why */
} s_quarantine_w_t;

static int
s_quarantine_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_quarantine_w_t *q = ctx;
    return store_i_equivocation(self, txn, q->author, q->a, q->alen, q->b,
                                q->blen, q->reason);
}

int
store_quarantine(store_t *self, const char *author, const uint8_t *a,
                 size_t alen, const uint8_t *b, size_t blen, const char *reason)
{
    s_quarantine_w_t q = {author, a, alen, b, blen, reason};
    if (!proto_id_valid(author, strlen(author)) || strlen(reason) > 200 || !a ||
        !b || !alen || !blen)
        return VOCFED_EINVALID;
    return store_i_write(self, s_quarantine_txn, &q);
}

/* ---- release (SPEC 8.5) ------------------------------------------------- */

/* Release key: 'r' || author || 0x00 || time u64; value the note. */
static size_t
s_release_key(uint8_t *k, const char *author, uint64_t t)
{
    size_t n = store_i_key_tagged(k, 'r', author);
    k[n++] = 0;
    store_i_be64(k + n, t);
    return n + 8;
}

typedef struct {
    const char *author; /* whose quarantine */
    const char *note;   /* the operator's line */
} s_release_t;

static int
s_release_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_release_t *r = ctx;
    uint8_t k[2 + PROTO_ID_MAX + 8];
    size_t n = store_i_key_tagged(k, 'q', r->author);
    MDB_val qkey = {n, k};
    int rc = mdb_del(txn, self->evidence, &qkey, NULL);
    if (rc == MDB_NOTFOUND)
        return VOCFED_ENOTFOUND;
    if (rc)
        return rc;
    n = s_release_key(k, r->author, proto_now_ms());
    MDB_val key = {n, k}, d = {strlen(r->note), (void *)r->note};
    return mdb_put(txn, self->evidence, &key, &d, 0);
}

int
store_release(store_t *self, const char *author, const char *note)
{
    s_release_t r = {author, note};
    if (!proto_id_valid(author, strlen(author)) || strlen(note) > 200)
        return VOCFED_EINVALID;
    return store_i_write(self, s_release_txn, &r);
}

/* What a scan of releases asks. */
typedef struct {
    store_release_fn fn; /* called for each */
    void *ctx;           /* its context */
    int rc;              /* fn's stop value */
} s_releases_t;

static int
s_release_row(void *ctx, const MDB_val *key, const MDB_val *val)
{
    s_releases_t *e = ctx;
    char note[256];
    if (key->mv_size < 8 || val->mv_size >= sizeof note)
        return VOCFED_ECORRUPT;
    memcpy(note, val->mv_data, val->mv_size);
    note[val->mv_size] = 0;
    e->rc = e->fn(
        e->ctx, store_i_rd64((const uint8_t *)key->mv_data + key->mv_size - 8),
        note);
    return e->rc ? STORE_I_END : MDB_SUCCESS;
}

typedef struct {
    const char *author; /* whose */
    s_releases_t *e;    /* the scan */
} s_releases_ctx_t;

static int
s_releases_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_releases_ctx_t *c = ctx;
    uint8_t k[2 + PROTO_ID_MAX];
    size_t n = store_i_key_tagged(k, 'r', c->author);
    k[n++] = 0;
    return store_i_scan(txn, self->evidence, k, n, n, s_release_row, c->e);
}

int
store_scan_releases(store_t *self, const char *author, store_release_fn fn,
                    void *ctx)
{
    s_releases_t e = {fn, ctx, 0};
    s_releases_ctx_t c = {author, &e};
    if (!proto_id_valid(author, strlen(author)))
        return VOCFED_EINVALID;
    int rc = store_i_read(self, s_releases_txn, &c);
    return rc ? rc : e.rc;
}
