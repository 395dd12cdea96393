/* vocfed: checkpoints held past the entries (SPEC 5.1 `pending`, 8.4). */
#include "storage/pending.h"
#include "protocol/mpack.h"

#include <msgpack.h>
#include <string.h>

static void
s_key(uint8_t k[STORE_KEY_PENDING_LEN], uint32_t authno, uint64_t size)
{
    store_i_be32(k, authno);
    store_i_be64(k + 4, size);
}

int
store_i_pending_decode(const MDB_val *val, store_i_pending_t *out)
{
    proto_rd_t r;
    uint32_t n, count;
    const uint8_t *cp;
    proto_checkpoint_t c;
    proto_rd_init(&r, val->mv_data, val->mv_size);
    if (proto_rd_array(&r, &n) || n != 2 || proto_rd_bin(&r, &cp, &out->len) ||
        out->len > sizeof out->cp || proto_rd_array(&r, &count) ||
        count > PROTO_MERKLE_MAX_PROOF)
        return VOCFED_ECORRUPT;
    memcpy(out->cp, cp, out->len);
    out->range.len = count;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *h;
        size_t hl;
        if (proto_rd_bin(&r, &h, &hl) || hl != PROTO_HASH_LEN)
            return VOCFED_ECORRUPT;
        memcpy(out->range.hash[i], h, PROTO_HASH_LEN);
    }
    if (!proto_rd_done(&r) || proto_checkpoint_peek(out->cp, out->len, &c))
        return VOCFED_ECORRUPT;
    out->size = c.size;
    return MDB_SUCCESS;
}

int
store_i_pending_migrate(store_t *self, MDB_txn *txn, uint32_t authno)
{
    uint8_t old[4], k[STORE_KEY_PENDING_LEN];
    store_i_be32(old, authno);
    MDB_val okey = {sizeof old, old}, val;
    store_i_pending_t p;
    int rc = mdb_get(txn, self->pending, &okey, &val);
    if (rc)
        return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
    if ((rc = store_i_pending_decode(&val, &p)))
        return rc;
    s_key(k, authno, p.size);
    MDB_val key = {sizeof k, k}, copy = {val.mv_size, val.mv_data};
    rc = mdb_put(txn, self->pending, &key, &copy, MDB_NOOVERWRITE);
    if (rc && rc != MDB_KEYEXIST)
        return rc;
    return mdb_del(txn, self->pending, &okey, NULL);
}

/* What a scan asks. */
typedef struct {
    uint64_t max;           /* the largest size wanted */
    store_i_pending_fn fn;  /* called for each */
    void *ctx;              /* its context */
    store_i_pending_t *row; /* scratch */
} s_scan_t;

static int
s_row(void *ctx, const MDB_val *key, const MDB_val *val)
{
    s_scan_t *s = ctx;
    if (key->mv_size != STORE_KEY_PENDING_LEN)
        return VOCFED_ECORRUPT;
    if (store_i_rd64((const uint8_t *)key->mv_data + 4) > s->max)
        return STORE_I_END;
    int rc = store_i_pending_decode(val, s->row);
    if (rc)
        return rc;
    if (store_i_rd64((const uint8_t *)key->mv_data + 4) != s->row->size)
        return VOCFED_ECORRUPT;
    return s->fn(s->ctx, s->row);
}

int
store_i_pending_scan(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t min,
                     uint64_t max, store_i_pending_fn fn, void *ctx)
{
    store_i_pending_t row;
    uint8_t k[STORE_KEY_PENDING_LEN];
    s_scan_t s = {max, fn, ctx, &row};
    /* A first-format row (key authno alone) first. */
    MDB_val okey = {4, k}, val;
    store_i_be32(k, authno);
    int rc = mdb_get(txn, self->pending, &okey, &val);
    if (rc == MDB_SUCCESS) {
        if ((rc = store_i_pending_decode(&val, &row)))
            return rc;
        if (row.size >= min && row.size <= max && (rc = fn(ctx, &row)))
            return rc;
    } else if (rc != MDB_NOTFOUND) {
        return rc;
    }
    s_key(k, authno, min);
    return store_i_scan(txn, self->pending, k, sizeof k, 4, s_row, &s);
}

int
store_i_pending_at(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t size,
                   store_i_pending_t *out)
{
    uint8_t k[STORE_KEY_PENDING_LEN];
    s_key(k, authno, size);
    MDB_val key = {sizeof k, k}, val;
    int rc = mdb_get(txn, self->pending, &key, &val);
    if (rc)
        return rc;
    if ((rc = store_i_pending_decode(&val, out)))
        return rc;
    return out->size == size ? MDB_SUCCESS : VOCFED_ECORRUPT;
}

int
store_i_pending_put(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t size,
                    const uint8_t *cp, size_t len, const proto_proof_t *range,
                    proto_buf_t *scratch)
{
    uint8_t k[STORE_KEY_PENDING_LEN];
    msgpack_packer mp;
    proto_buf_reset(scratch);
    msgpack_packer_init(&mp, scratch, proto_buf_msgpack_write);
    if (msgpack_pack_array(&mp, 2) || msgpack_pack_bin(&mp, len) ||
        msgpack_pack_bin_body(&mp, cp, len) ||
        msgpack_pack_array(&mp, range->len))
        return VOCFED_ENOMEM;
    for (size_t i = 0; i < range->len; i++)
        if (msgpack_pack_bin(&mp, PROTO_HASH_LEN) ||
            msgpack_pack_bin_body(&mp, range->hash[i], PROTO_HASH_LEN))
            return VOCFED_ENOMEM;
    s_key(k, authno, size);
    MDB_val key = {sizeof k, k}, val = {scratch->len, scratch->data};
    return mdb_put(txn, self->pending, &key, &val, 0);
}

int
store_i_pending_del(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t size)
{
    uint8_t k[STORE_KEY_PENDING_LEN];
    s_key(k, authno, size);
    MDB_val key = {sizeof k, k};
    int rc = mdb_del(txn, self->pending, &key, NULL);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}
