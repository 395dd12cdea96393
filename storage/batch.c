/* vocfed: reading a batch to send (SPEC 8.3, 8.4): the entries after
 * what the receiver holds, every checkpoint they reach, the one that
 * covers the last, and the proofs, all from one read snapshot. */
#include "storage/log_internal.h"
#include "storage/replica.h"

#include <stdlib.h>
#include <string.h>

void
store_batch_out_release(store_batch_out_t *out)
{
    if (!out)
        return;
    proto_buf_release(&out->bytes);
    free(out->items);
    free(out->offs);
    memset(out, 0, sizeof *out);
}

/* Copies one value into out->bytes as item out->n; 1 stops the scan
 * once the batch holds max_n items or max_bytes of them (at least one). */
static int
s_add(store_batch_out_t *out, const uint8_t *p, size_t len)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        proto_bytes_t *items = realloc(out->items, cap * sizeof *items);
        if (items)
            out->items = items;
        size_t *offs = realloc(out->offs, cap * sizeof *offs);
        if (offs)
            out->offs = offs;
        if (!items || !offs)
            return VOCFED_ENOMEM;
        out->cap = cap;
    }
    out->offs[out->n] = out->bytes.len;
    out->items[out->n].len = len;
    if (proto_buf_append(&out->bytes, p, len))
        return VOCFED_ENOMEM;
    out->n++;
    return 0;
}

/* What a collection asks and keeps while it reads. */
typedef struct {
    store_batch_out_t *out; /* the batch being read */
    uint64_t held;          /* entries the receiver holds */
    size_t max_n;           /* entries at most */
    size_t max_bytes;       /* entry bytes at about most */
    uint64_t first, last;   /* seqs of the first and last entry read */
    uint64_t final_size;    /* size of the last checkpoint read */
} s_collect_t;

static int
s_entry(void *ctx, uint64_t seq, const uint8_t *p, size_t len)
{
    s_collect_t *c = ctx;
    store_batch_out_t *out = c->out;
    if (out->n > 0 &&
        (out->n >= c->max_n || out->bytes.len + len > c->max_bytes))
        return 1;
    if (out->n == 0)
        c->first = seq;
    c->last = seq;
    return s_add(out, p, len);
}

static int
s_cp(void *ctx, uint64_t size, const uint8_t *p, size_t len)
{
    s_collect_t *c = ctx;
    c->final_size = size;
    return s_add(c->out, p, len);
}

/* The entries from held + 1 on, within the limits. */
static int
s_collect_entries(store_t *self, MDB_txn *txn, uint32_t no, s_collect_t *c)
{
    uint64_t size;
    int rc = store_i_log_size(self, txn, no, &size);
    if (rc)
        return rc;
    if (c->held >= size)
        return VOCFED_ENOTFOUND; /* the receiver has everything */
    rc = store_i_scan_entries(self, txn, no, c->held + 1, s_entry, c);
    if (rc != 0 && rc != 1)
        return rc;
    if (c->out->n == 0 || c->first != c->held + 1 ||
        c->last != c->held + c->out->n)
        return VOCFED_ECORRUPT;
    return MDB_SUCCESS;
}

/* Every checkpoint the entries reach, then the one that covers the last
 * entry if it is not at a checkpoint. */
static int
s_collect_cps(store_t *self, MDB_txn *txn, uint32_t no, s_collect_t *c)
{
    MDB_val cov;
    int rc = store_i_scan_cps(self, txn, no, c->held + 1, c->last, s_cp, c);
    if (rc || c->final_size == c->last)
        return rc;
    if ((rc = store_i_cp_covering(self, txn, no, c->last + 1, &cov,
                                  &c->final_size)))
        return rc == MDB_NOTFOUND ? VOCFED_ENOTFOUND : rc;
    return s_add(c->out, cov.mv_data, cov.mv_size);
}

static int
s_collect_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    s_collect_t *c = ctx;
    store_batch_out_t *out = c->out;
    uint64_t old_size;
    int rc;
    if ((rc = s_collect_entries(self, txn, no, c)))
        return rc;
    size_t count = out->n;
    if ((rc = s_collect_cps(self, txn, no, c)))
        return rc;
    /* The receiver's latest checkpoint is ours at or below what it holds:
     * it stores every checkpoint it reaches. */
    if ((rc = store_i_cp_at_or_below(self, txn, no, c->held, &old_size)))
        return rc;
    if (old_size > 0 &&
        (rc = store_i_consistency(self, txn, no, old_size, c->final_size,
                                  &out->consistency)))
        return rc;
    if (c->final_size > c->last &&
        (rc = store_i_compact_range(self, txn, no, c->last, c->final_size,
                                    &out->range)))
        return rc;
    out->batch = (store_batch_t){
        .author = out->author,
        .first_seq = c->held + 1,
        .entries = out->items,
        .count = count,
        .checkpoints = out->items + count,
        .ncp = out->n - count,
        .old_size = old_size,
        .consistency = &out->consistency,
        .range = &out->range,
    };
    return MDB_SUCCESS;
}

int
store_batch_collect(store_t *self, const char *author, uint64_t held,
                    size_t max_entries, size_t max_bytes,
                    store_batch_out_t *out)
{
    memset(out, 0, sizeof *out);
    size_t alen = strlen(author);
    if (!proto_id_valid(author, alen))
        return VOCFED_ENOTFOUND;
    memcpy(out->author, author, alen + 1);
    s_collect_t c = {
        .out = out, .held = held, .max_n = max_entries, .max_bytes = max_bytes};
    int rc = store_i_read_author(self, author, s_collect_txn, &c);
    if (rc) {
        store_batch_out_release(out);
        return rc;
    }
    /* The bytes stopped moving: point the items into them. */
    for (size_t i = 0; i < out->n; i++)
        out->items[i].data = out->bytes.data + out->offs[i];
    return VOCFED_OK;
}
