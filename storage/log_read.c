/* vocfed: reading the log back (SPEC 2, 5.1): heads, entries,
 * checkpoints, roots and proofs, each in one read snapshot. */
#include "storage/log_internal.h"
#include "storage/replica.h"
#include "protocol/merkle.h"

#include <string.h>

/* ---- reads ----------------------------------------------------------- */

/* What a read of one author's log asks and where its answer goes. */
typedef struct {
    uint64_t a, b;     /* the numbers asked about: seq, sizes */
    void *out;         /* where the answer goes (by the read) */
    uint64_t *size;    /* a size answered, or NULL */
    store_entry_fn fn; /* a scan's callback, or NULL */
    void *ctx;         /* its context */
    int stop;          /* its non-zero value, if it stopped the scan */
    int op;            /* for roots and proofs: an s_tree_op_t */
} s_ask_t;

static int
s_head_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    return store_i_head(self, txn, no, ((s_ask_t *)ctx)->out, NULL);
}

int
store_head(store_t *self, const char *author, store_head_t *out)
{
    s_ask_t q = {.out = out};
    return store_i_read_author(self, author, s_head_txn, &q);
}

static int
s_entry_get_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    s_ask_t *q = ctx;
    uint8_t k[STORE_KEY_ENTRY_LEN];
    store_i_key_entry(k, no, q->a);
    MDB_val key = {sizeof k, k}, d;
    int rc = mdb_get(txn, self->entries, &key, &d);
    if (rc)
        return rc;
    if (d.mv_size < PROTO_HASH_LEN)
        return VOCFED_ECORRUPT;
    return proto_buf_append(q->out, (const uint8_t *)d.mv_data + PROTO_HASH_LEN,
                            d.mv_size - PROTO_HASH_LEN);
}

int
store_entry_get(store_t *self, const char *author, uint64_t seq,
                proto_buf_t *out)
{
    s_ask_t q = {.a = seq, .out = out};
    return store_i_read_author(self, author, s_entry_get_txn, &q);
}

static int
s_cp_latest_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    MDB_val d;
    int rc = store_i_latest_cp(self, txn, no, &d);
    return rc ? rc
              : proto_buf_append(((s_ask_t *)ctx)->out, d.mv_data, d.mv_size);
}

int
store_checkpoint_latest(store_t *self, const char *author, proto_buf_t *out)
{
    s_ask_t q = {.out = out};
    return store_i_read_author(self, author, s_cp_latest_txn, &q);
}

/* Hands a row to the caller's callback and keeps its stop value: it goes
 * back to the caller untranslated. */
static int
s_ask_row(void *ctx, uint64_t n, const uint8_t *p, size_t len)
{
    s_ask_t *q = ctx;
    return q->stop = q->fn(q->ctx, n, p, len);
}

static int
s_scan_entries_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    return store_i_scan_entries(self, txn, no, ((s_ask_t *)ctx)->a, s_ask_row,
                                ctx);
}

int
store_scan_entries(store_t *self, const char *author, uint64_t from,
                   store_entry_fn fn, void *ctx)
{
    s_ask_t q = {.a = from, .fn = fn, .ctx = ctx};
    int rc = store_i_read_author(self, author, s_scan_entries_txn, &q);
    return q.stop ? q.stop : rc;
}

static int
s_scan_cps_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    s_ask_t *q = ctx;
    return store_i_scan_cps(self, txn, no, q->a, q->b, s_ask_row, q);
}

int
store_scan_checkpoints(store_t *self, const char *author, uint64_t min,
                       uint64_t max, store_cp_fn fn, void *ctx)
{
    s_ask_t q = {.a = min, .b = max, .fn = fn, .ctx = ctx};
    int rc = store_i_read_author(self, author, s_scan_cps_txn, &q);
    return q.stop ? q.stop : rc;
}

static int
s_at_or_below_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    s_ask_t *q = ctx;
    return store_i_cp_at_or_below(self, txn, no, q->a, q->size);
}

int
store_checkpoint_at_or_below(store_t *self, const char *author, uint64_t max,
                             uint64_t *size)
{
    s_ask_t q = {.a = max, .size = size};
    *size = 0;
    return store_i_read_author(self, author, s_at_or_below_txn, &q);
}

int
store_checkpoint_size(store_t *self, const char *author, uint64_t *size)
{
    return store_checkpoint_at_or_below(self, author, UINT64_MAX, size);
}

static int
s_covering_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    s_ask_t *q = ctx;
    MDB_val d;
    int rc = store_i_cp_covering(self, txn, no, q->a, &d, q->size);
    return rc ? rc : proto_buf_append(q->out, d.mv_data, d.mv_size);
}

int
store_checkpoint_covering(store_t *self, const char *author, uint64_t min,
                          proto_buf_t *out, uint64_t *size)
{
    s_ask_t q = {.a = min, .out = out, .size = size};
    return store_i_read_author(self, author, s_covering_txn, &q);
}

/* ---- roots and proofs (SPEC 2) ------------------------------------------ */

/* What is asked of one author's tree. */
typedef enum {
    S_ROOT,        /* root of the first a entries */
    S_INCLUSION,   /* inclusion of entry a in the tree of size b */
    S_CONSISTENCY, /* consistency between sizes a and b */
    S_RANGE,       /* compact range [a, b) */
} s_tree_op_t;

/* A root or proof is asked of a tree the log has: every size within the
 * log held. A larger size is the caller's mistake (VOCFED_EINVALID), not
 * a missing node (which store_i_node_source reports as VOCFED_ECORRUPT). */
static int
s_tree_op(store_t *self, MDB_txn *txn, uint32_t authno, s_tree_op_t op,
          uint64_t a, uint64_t b, void *out)
{
    store_i_tree_t tree = {self, txn, authno};
    uint64_t held;
    int rc = store_i_log_size(self, txn, authno, &held);
    if (rc)
        return rc;
    if ((op == S_ROOT ? a : b) > held)
        return VOCFED_EINVALID;
    switch (op) {
    case S_ROOT:
        return proto_merkle_root(PROTO_HASH_BLAKE2B256, a, store_i_node_source,
                                 &tree, out);
    case S_INCLUSION:
        return proto_merkle_inclusion_proof(PROTO_HASH_BLAKE2B256, a - 1, b,
                                            store_i_node_source, &tree, out);
    case S_CONSISTENCY:
        return proto_merkle_consistency_proof(PROTO_HASH_BLAKE2B256, a, b,
                                              store_i_node_source, &tree, out);
    default:
        return proto_merkle_compact_range(PROTO_HASH_BLAKE2B256, a, b,
                                          store_i_node_source, &tree, out);
    }
}

int
store_i_consistency(store_t *self, MDB_txn *txn, uint32_t authno,
                    uint64_t old_size, uint64_t new_size, proto_proof_t *out)
{
    return s_tree_op(self, txn, authno, S_CONSISTENCY, old_size, new_size, out);
}

int
store_i_compact_range(store_t *self, MDB_txn *txn, uint32_t authno,
                      uint64_t begin, uint64_t end, proto_proof_t *out)
{
    return s_tree_op(self, txn, authno, S_RANGE, begin, end, out);
}

static int
s_tree_txn(store_t *self, MDB_txn *txn, uint32_t no, void *ctx)
{
    s_ask_t *q = ctx;
    return s_tree_op(self, txn, no, q->op, q->a, q->b, q->out);
}

int
store_inclusion_proof(store_t *self, const char *author, uint64_t seq,
                      uint64_t size, proto_proof_t *out)
{
    s_ask_t q = {.op = S_INCLUSION, .a = seq, .b = size, .out = out};
    if (seq == 0)
        return VOCFED_EINVALID;
    return store_i_read_author(self, author, s_tree_txn, &q);
}

int
store_consistency_proof(store_t *self, const char *author, uint64_t old_size,
                        uint64_t new_size, proto_proof_t *out)
{
    s_ask_t q = {.op = S_CONSISTENCY, .a = old_size, .b = new_size, .out = out};
    return store_i_read_author(self, author, s_tree_txn, &q);
}

int
store_compact_range(store_t *self, const char *author, uint64_t begin,
                    uint64_t end, proto_proof_t *out)
{
    s_ask_t q = {.op = S_RANGE, .a = begin, .b = end, .out = out};
    return store_i_read_author(self, author, s_tree_txn, &q);
}

int
store_root_at(store_t *self, const char *author, uint64_t size,
              uint8_t root[PROTO_HASH_LEN])
{
    s_ask_t q = {.op = S_ROOT, .a = size, .out = root};
    return store_i_read_author(self, author, s_tree_txn, &q);
}
