/* vocfed: ingest of other authors' logs, peers and alarms (SPEC 8, 10). */
#include "storage/replica.h"
#include "storage/store_internal.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------- */

static void s_what(store_ingest_result_t *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s_what(store_ingest_result_t *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->what, sizeof res->what, fmt, ap);
    va_end(ap);
}

/* The stored checkpoint of authno at exactly size (borrowed). */
static int
s_cp_at(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t size,
        MDB_val *out)
{
    uint8_t k[STORE_KEY_CP_LEN];
    store_i_key_cp(k, authno, size);
    MDB_val key = {sizeof k, k};
    return mdb_get(txn, self->checkpoints, &key, out);
}

/* Evidence key: 'e' || author || 0x00 || time. Quarantine: 'q' || author. */
static size_t
s_key_tagged(uint8_t *k, char tag, const char *author)
{
    size_t n = strlen(author);
    k[0] = (uint8_t)tag;
    memcpy(k + 1, author, n);
    return n + 1;
}

/* Keeps two signed checkpoints that cannot both be honest, and
 * quarantines their author (SPEC 8.5). Runs inside the ingest txn. */
static int
s_equivocation(store_t *self, MDB_txn *txn, const char *author,
               const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
               const char *reason)
{
    uint8_t k[2 + PROTO_ID_MAX + 8];
    size_t n = s_key_tagged(k, 'e', author);
    k[n++] = 0;
    store_i_be64(k + n, store_i_now_ms());
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
    n = s_key_tagged(k, 'q', author);
    MDB_val qkey = {n, k}, qd = {rlen, (void *)reason};
    rc = mdb_put(txn, self->evidence, &qkey, &qd, 0);
done:
    proto_buf_release(&v);
    return rc;
}

static bool
s_quarantined(store_t *self, MDB_txn *txn, const char *author)
{
    uint8_t k[1 + PROTO_ID_MAX];
    size_t n = s_key_tagged(k, 'q', author);
    MDB_val key = {n, k}, d;
    return mdb_get(txn, self->evidence, &key, &d) == MDB_SUCCESS;
}

bool
store_quarantined(store_t *self, const char *author)
{
    MDB_txn *txn;
    if (!proto_id_valid(author, strlen(author)) ||
        store_i_read_begin(self, &txn))
        return false;
    bool q = s_quarantined(self, txn, author);
    mdb_txn_abort(txn);
    return q;
}

/* ---- ingest ----------------------------------------------------------- */

typedef struct {
    const store_batch_t *b;     /* the batch */
    store_ingest_result_t *res; /* what happened */
    proto_checkpoint_t *cps;    /* the batch's checkpoints, opened */
    proto_buf_t buf;            /* scratch: leaf || entry */
    bool equivocation;          /* set when evidence was written */
    int refusal;                /* the status to report after commit */
} s_ingest_t;

/* Checks the batch's checkpoints against what is held when they are not
 * new: a different checkpoint for a size already held is equivocation. */
static int
s_same_as_held(store_t *self, MDB_txn *txn, s_ingest_t *in, uint32_t authno,
               size_t i)
{
    const store_batch_t *b = in->b;
    MDB_val held;
    int rc = s_cp_at(self, txn, authno, in->cps[i].size, &held);
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS; /* a size we never held a checkpoint for */
    if (rc)
        return rc;
    if (held.mv_size == b->cp_lens[i] &&
        memcmp(held.mv_data, b->cps[i], held.mv_size) == 0)
        return MDB_SUCCESS;
    /* Two valid signatures over different checkpoints of one size. */
    s_what(in->res, "two different checkpoints signed at size %" PRIu64,
           in->cps[i].size);
    in->equivocation = true;
    return s_equivocation(self, txn, b->author, held.mv_data, held.mv_size,
                          b->cps[i], b->cp_lens[i], in->res->what);
}

static int
s_ingest_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_ingest_t *in = ctx;
    const store_batch_t *b = in->b;
    store_ingest_result_t *res = in->res;
    store_i_tree_t tree = {self, txn, 0};
    uint8_t pk[PROTO_PUBKEY_LEN], held_hash[PROTO_HASH_LEN];
    store_head_t head;
    proto_frontier_t fr;
    int rc;

    in->equivocation = false;
    in->refusal = VOCFED_OK;
    res->applied = res->skipped = 0;
    res->what[0] = 0;
    if ((rc = store_i_authno(txn, self, b->author, &tree.authno))) {
        if (rc == VOCFED_ENOTFOUND)
            s_what(res, "unknown author %s", b->author);
        return rc;
    }
    if (s_quarantined(self, txn, b->author)) {
        s_what(res, "author %s is quarantined", b->author);
        return VOCFED_ELOCKED;
    }
    {
        uint8_t nk[5];
        nk[0] = 'n';
        store_i_be32(nk + 1, tree.authno);
        MDB_val key = {5, nk}, d;
        if ((rc = mdb_get(txn, self->authors, &key, &d)))
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
        if (d.mv_size < PROTO_PUBKEY_LEN)
            return VOCFED_ECORRUPT;
        memcpy(pk, d.mv_data, PROTO_PUBKEY_LEN);
    }

    /* SPEC 8.4 step 1: every checkpoint is signed by the author. */
    uint64_t last = b->first_seq + b->count - 1;
    for (size_t i = 0; i < b->ncp; i++) {
        rc = proto_checkpoint_open(b->cps[i], b->cp_lens[i], pk, &in->cps[i]);
        if (rc) {
            s_what(res, "checkpoint %zu of the batch: %s", i,
                   vocfed_strerror(rc));
            return rc;
        }
        if (strcmp(in->cps[i].author, b->author) != 0) {
            s_what(res, "checkpoint names author %s", in->cps[i].author);
            return VOCFED_EAUTHOR;
        }
        bool ok = i == 0 || in->cps[i].size > in->cps[i - 1].size;
        ok = ok && (i + 1 == b->ncp ? in->cps[i].size >= last
                                    : in->cps[i].size <= last);
        ok = ok && in->cps[i].size >= b->first_seq;
        if (!ok) {
            s_what(res,
                   "checkpoint sizes do not fit entries %" PRIu64 "..%" PRIu64,
                   b->first_seq, last);
            return VOCFED_EMALFORMED;
        }
    }
    const proto_checkpoint_t *fin = &in->cps[b->ncp - 1];

    if ((rc = store_i_head(self, txn, tree.authno, &head, held_hash)))
        return rc;
    if (b->first_seq > head.size + 1) {
        s_what(res, "gap: %" PRIu64 " entries held, batch starts at %" PRIu64,
               head.size, b->first_seq);
        return VOCFED_ESEQGAP;
    }

    /* Step 2: what is held must be a prefix of what is now signed. */
    MDB_val held_cp;
    uint64_t held_size = 0;
    uint8_t held_root[PROTO_HASH_LEN] = {0};
    rc = store_i_latest_cp(self, txn, tree.authno, &held_cp);
    if (rc == MDB_SUCCESS) {
        proto_checkpoint_t h;
        if (proto_checkpoint_peek(held_cp.mv_data, held_cp.mv_size, &h))
            return VOCFED_ECORRUPT;
        held_size = h.size;
        memcpy(held_root, h.root, PROTO_HASH_LEN);
    } else if (rc != MDB_NOTFOUND) {
        return rc;
    }
    for (size_t i = 0; i < b->ncp; i++) {
        if (in->cps[i].size > held_size)
            break;
        if ((rc = s_same_as_held(self, txn, in, tree.authno, i)))
            return rc;
        if (in->equivocation) {
            in->refusal = VOCFED_EPROOF;
            return MDB_SUCCESS; /* commit the evidence only */
        }
    }
    if (last <= head.size) {
        /* A replay of what is held: the same bytes, nothing to write. */
        for (size_t i = 0; i < b->count; i++) {
            uint8_t ek[STORE_KEY_ENTRY_LEN];
            store_i_key_entry(ek, tree.authno, b->first_seq + i);
            MDB_val key = {sizeof ek, ek}, d;
            if ((rc = mdb_get(txn, self->entries, &key, &d)))
                return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
            if (d.mv_size != b->lens[i] + PROTO_HASH_LEN ||
                memcmp((uint8_t *)d.mv_data + PROTO_HASH_LEN, b->entries[i],
                       b->lens[i])) {
                s_what(res, "entry %" PRIu64 " differs from the one held",
                       b->first_seq + i);
                return VOCFED_EEXISTS;
            }
        }
        res->skipped = b->count;
        res->head = head;
        res->cp_size = held_size;
        return MDB_SUCCESS;
    }
    if (fin->size > held_size && held_size > 0) {
        if (b->old_size != held_size) {
            s_what(res,
                   "stale: the receiver's checkpoint is at %" PRIu64
                   ", the batch proves from %" PRIu64,
                   held_size, b->old_size);
            return VOCFED_ESEQGAP;
        }
        if (proto_merkle_verify_consistency(PROTO_HASH_BLAKE2B256, held_size,
                                            fin->size, held_root, fin->root,
                                            b->consistency) != VOCFED_OK) {
            /* An honest author can always prove that its newer tree
             * extends the one it signed before. */
            s_what(res,
                   "checkpoint at %" PRIu64 " is not consistent with the "
                   "one held at %" PRIu64,
                   fin->size, held_size);
            in->equivocation = true;
            in->refusal = VOCFED_EPROOF;
            rc = s_equivocation(self, txn, b->author, held_cp.mv_data,
                                held_cp.mv_size, b->cps[b->ncp - 1],
                                b->cp_lens[b->ncp - 1], res->what);
            return rc;
        }
    }

    /* Step 3: the entries, in order, building the tree. */
    if ((rc = store_i_hook_begin(self, txn)))
        return rc;
    if ((rc = proto_frontier_load(&fr, PROTO_HASH_BLAKE2B256, head.size,
                                  store_i_node_source, &tree)))
        return rc;
    uint8_t prev_hash[PROTO_HASH_LEN];
    memcpy(prev_hash, held_hash, PROTO_HASH_LEN);
    size_t next_cp = 0;
    while (next_cp < b->ncp && in->cps[next_cp].size <= head.size)
        next_cp++;
    size_t alen = strlen(b->author);
    for (size_t i = 0; i < b->count; i++) {
        uint64_t seq = b->first_seq + i;
        const uint8_t *bytes = b->entries[i];
        size_t len = b->lens[i];
        uint8_t ek[STORE_KEY_ENTRY_LEN];
        store_i_key_entry(ek, tree.authno, seq);
        MDB_val key = {sizeof ek, ek}, d;

        if (seq <= head.size) {
            /* Already held: a resend must be the same bytes. */
            if ((rc = mdb_get(txn, self->entries, &key, &d)))
                return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
            if (d.mv_size != len + PROTO_HASH_LEN ||
                memcmp((uint8_t *)d.mv_data + PROTO_HASH_LEN, bytes, len)) {
                s_what(res, "entry %" PRIu64 " differs from the one held", seq);
                return VOCFED_EEXISTS;
            }
            res->skipped++;
            continue;
        }
        proto_entry_t e;
        if ((rc = proto_entry_decode(bytes, len, &e))) {
            s_what(res, "entry %" PRIu64 " does not decode: %s", seq,
                   vocfed_strerror(rc));
            return rc;
        }
        if (e.author_len != alen || memcmp(e.author, b->author, alen)) {
            s_what(res, "entry %" PRIu64 " is claimed by %.*s", seq,
                   (int)e.author_len, e.author);
            return VOCFED_EAUTHOR;
        }
        if (e.seq != seq) {
            s_what(res, "entry at %" PRIu64 " holds seq %" PRIu64, seq, e.seq);
            return VOCFED_ESEQGAP;
        }
        static const uint8_t zero[PROTO_HASH_LEN];
        proto_buf_reset(&in->buf);
        if ((rc = proto_buf_append(&in->buf, zero, PROTO_HASH_LEN)) ||
            (rc = proto_buf_append(&in->buf, bytes, len)))
            return rc;
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, bytes, len, in->buf.data);
        d.mv_size = in->buf.len;
        d.mv_data = in->buf.data;
        if ((rc = mdb_put(txn, self->entries, &key, &d, MDB_NOOVERWRITE)))
            return rc == MDB_KEYEXIST ? VOCFED_ECORRUPT : rc;
        if ((rc = proto_frontier_append(&fr, in->buf.data, store_i_node_sink,
                                        &tree)))
            return rc;
        if ((rc = store_i_apply(self, txn, tree.authno, b->author, &e, seq,
                                true)))
            return rc;
        res->applied++;

        /* A checkpoint at this size must sign this root and chain on. */
        if (next_cp < b->ncp && in->cps[next_cp].size == seq) {
            const proto_checkpoint_t *c = &in->cps[next_cp];
            uint8_t root[PROTO_HASH_LEN];
            proto_frontier_root(&fr, root);
            if (memcmp(root, c->root, PROTO_HASH_LEN) != 0) {
                s_what(res,
                       "entries up to %" PRIu64 " do not give the root "
                       "signed at that size",
                       seq);
                return VOCFED_EROOT;
            }
            if (memcmp(c->prev, prev_hash, PROTO_HASH_LEN) != 0) {
                s_what(res,
                       "checkpoint at %" PRIu64 " does not chain to the "
                       "previous one",
                       seq);
                return VOCFED_ECORRUPT;
            }
            uint8_t ck[STORE_KEY_CP_LEN];
            store_i_key_cp(ck, tree.authno, seq);
            MDB_val cpk = {sizeof ck, ck};
            MDB_val cpv = {b->cp_lens[next_cp], (void *)b->cps[next_cp]};
            if ((rc = mdb_put(txn, self->checkpoints, &cpk, &cpv,
                              MDB_NOOVERWRITE)))
                return rc == MDB_KEYEXIST ? VOCFED_ECORRUPT : rc;
            if (proto_checkpoint_hash(b->cps[next_cp], b->cp_lens[next_cp],
                                      prev_hash))
                return VOCFED_ECORRUPT;
            held_size = seq;
            next_cp++;
        }
    }

    if ((rc = store_i_hook_end(self, txn)))
        return rc;

    /* Step 4: a batch that ends inside a checkpoint's range is proved by
     * the compact range up to it, which is kept for verify. */
    uint8_t pkey[4];
    store_i_be32(pkey, tree.authno);
    MDB_val pk_key = {sizeof pkey, pkey};
    if (fin->size > last) {
        if (proto_merkle_verify_range(PROTO_HASH_BLAKE2B256, &fr, fin->size,
                                      b->range, fin->root) != VOCFED_OK) {
            s_what(res,
                   "entries up to %" PRIu64 " are not in the tree "
                   "signed at %" PRIu64,
                   last, fin->size);
            return VOCFED_EROOT;
        }
        proto_buf_reset(&in->buf);
        msgpack_packer mp;
        msgpack_packer_init(&mp, &in->buf, proto_buf_msgpack_write);
        size_t flen = b->cp_lens[b->ncp - 1];
        if (msgpack_pack_array(&mp, 2) || msgpack_pack_bin(&mp, flen) ||
            msgpack_pack_bin_body(&mp, b->cps[b->ncp - 1], flen) ||
            msgpack_pack_array(&mp, b->range->len))
            return VOCFED_ENOMEM;
        for (size_t i = 0; i < b->range->len; i++)
            if (msgpack_pack_bin(&mp, PROTO_HASH_LEN) ||
                msgpack_pack_bin_body(&mp, b->range->hash[i], PROTO_HASH_LEN))
                return VOCFED_ENOMEM;
        MDB_val pv = {in->buf.len, in->buf.data};
        if ((rc = mdb_put(txn, self->pending, &pk_key, &pv, 0)))
            return rc;
    } else if ((rc = mdb_del(txn, self->pending, &pk_key, NULL)) &&
               rc != MDB_NOTFOUND) {
        return rc;
    }
    res->head.size = last;
    proto_frontier_root(&fr, res->head.root);
    res->head.time_ms = fin->size == last ? fin->time_ms : head.time_ms;
    res->cp_size = held_size; /* the latest checkpoint now stored */
    return MDB_SUCCESS;
}

int
store_ingest(store_t *self, const store_batch_t *b, store_ingest_result_t *res)
{
    memset(res, 0, sizeof *res);
    if (!b->author || !proto_id_valid(b->author, strlen(b->author)) ||
        b->count == 0 || b->ncp == 0 || b->first_seq == 0 ||
        b->first_seq > UINT64_MAX - b->count || !b->consistency || !b->range) {
        s_what(res, "batch is malformed");
        return VOCFED_EMALFORMED;
    }
    s_ingest_t in = {.b = b, .res = res};
    in.cps = calloc(b->ncp, sizeof *in.cps);
    if (!in.cps)
        return VOCFED_ENOMEM;
    proto_buf_init(&in.buf);
    int rc = store_i_write(self, s_ingest_txn, &in);
    proto_buf_release(&in.buf);
    free(in.cps);
    res->equivocation = in.equivocation;
    if (rc == VOCFED_OK && in.refusal)
        rc = in.refusal;
    if (rc != VOCFED_OK)
        res->applied = res->skipped = 0; /* nothing of it was written */
    if (rc == VOCFED_ESTORAGEFULL)
        s_what(res, "no space left to store it; nothing of it was kept");
    return rc;
}

typedef struct {
    const store_batch_t *const *b; /* the batches */
    size_t n;                      /* how many */
    store_ingest_result_t *res;    /* per batch */
    int *rcs;                      /* per batch */
} s_many_t;

static bool
s_is_refusal(int rc)
{
    return rc <= -9000 && rc > -9100;
}

static int
s_many_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_many_t *m = ctx;
    for (size_t i = 0; i < m->n; i++) {
        const store_batch_t *b = m->b[i];
        store_ingest_result_t *res = &m->res[i];
        memset(res, 0, sizeof *res);
        if (!b->author || !proto_id_valid(b->author, strlen(b->author)) ||
            b->count == 0 || b->ncp == 0 || b->first_seq == 0 ||
            b->first_seq > UINT64_MAX - b->count || !b->consistency ||
            !b->range) {
            s_what(res, "batch is malformed");
            m->rcs[i] = VOCFED_EMALFORMED;
            continue;
        }
        s_ingest_t in = {.b = b, .res = res};
        in.cps = calloc(b->ncp, sizeof *in.cps);
        if (!in.cps)
            return VOCFED_ENOMEM;
        proto_buf_init(&in.buf);
        MDB_txn *child;
        int rc = mdb_txn_begin(self->env, txn, 0, &child);
        if (rc == MDB_SUCCESS) {
            rc = s_ingest_txn(self, child, &in);
            if (rc == MDB_SUCCESS)
                rc = mdb_txn_commit(child);
            else
                mdb_txn_abort(child);
        }
        proto_buf_release(&in.buf);
        free(in.cps);
        res->equivocation = in.equivocation;
        if (rc == MDB_SUCCESS) {
            m->rcs[i] = in.refusal;
        } else if (s_is_refusal(rc)) {
            m->rcs[i] = rc; /* this batch only */
        } else {
            return rc; /* map full (grow and redo all) or storage trouble */
        }
        if (m->rcs[i] != VOCFED_OK)
            res->applied = res->skipped = 0; /* nothing of it was written */
    }
    return MDB_SUCCESS;
}

int
store_ingest_many(store_t *self, const store_batch_t *const *b, size_t n,
                  store_ingest_result_t *res, int *rcs)
{
    s_many_t m = {b, n, res, rcs};
    int rc = store_i_write(self, s_many_txn, &m);
    if (rc == VOCFED_ESTORAGEFULL && n > 1) {
        /* The group does not fit on the disk: take in, in order, the
         * batches that do, each in its own commit, so that a disk with
         * room for less than a group still fills up and its senders see
         * how far it got. From the first that does not fit on, every
         * batch is refused (a later one of the same log would be a gap). */
        bool full = false;
        for (size_t i = 0; i < n; i++) {
            if (full) {
                memset(&res[i], 0, sizeof res[i]);
                rcs[i] = VOCFED_ESTORAGEFULL;
                s_what(&res[i], "no space left to store it; nothing of it "
                                "was kept");
                continue;
            }
            rcs[i] = store_ingest(self, b[i], &res[i]);
            full = rcs[i] == VOCFED_ESTORAGEFULL;
        }
        return VOCFED_OK; /* rcs[i] tells each batch's fate */
    }
    if (rc)
        for (size_t i = 0; i < n; i++) {
            rcs[i] = rc;
            if (rc == VOCFED_ESTORAGEFULL)
                s_what(&res[i], "no space left to store it; nothing of it "
                                "was kept");
        }
    return rc;
}

/* ---- reads for senders ------------------------------------------------ */

int
store_checkpoint_size(store_t *self, const char *author, uint64_t *size)
{
    return store_checkpoint_at_or_below(self, author, UINT64_MAX, size);
}

int
store_checkpoint_at_or_below(store_t *self, const char *author, uint64_t max,
                             uint64_t *size)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    uint32_t no;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    *size = 0;
    if ((rc = store_i_authno(txn, self, author, &no)) ||
        (rc = mdb_cursor_open(txn, self->checkpoints, &cur)))
        goto done;
    uint8_t k[STORE_KEY_CP_LEN];
    store_i_key_cp(k, no, max == UINT64_MAX ? max : max + 1);
    MDB_val key = {sizeof k, k}, d;
    rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS && max == UINT64_MAX && key.mv_size == sizeof k &&
        memcmp(key.mv_data, k, sizeof k) == 0) {
        /* size UINT64_MAX itself */
    } else if (rc == MDB_SUCCESS) {
        rc = mdb_cursor_get(cur, &key, &d, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cur, &key, &d, MDB_LAST);
    }
    if (rc == MDB_SUCCESS && key.mv_size == STORE_KEY_CP_LEN &&
        store_i_rd32(key.mv_data) == no)
        *size = store_i_rd64((uint8_t *)key.mv_data + 4);
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_checkpoint_covering(store_t *self, const char *author, uint64_t min,
                          proto_buf_t *out, uint64_t *size)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    uint32_t no;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = store_i_authno(txn, self, author, &no)) ||
        (rc = mdb_cursor_open(txn, self->checkpoints, &cur)))
        goto done;
    uint8_t k[STORE_KEY_CP_LEN];
    store_i_key_cp(k, no, min);
    MDB_val key = {sizeof k, k}, d;
    rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS &&
        (key.mv_size != STORE_KEY_CP_LEN || store_i_rd32(key.mv_data) != no))
        rc = MDB_NOTFOUND;
    if (rc == MDB_SUCCESS) {
        *size = store_i_rd64((uint8_t *)key.mv_data + 4);
        rc = proto_buf_append(out, d.mv_data, d.mv_size);
    }
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_scan_checkpoints(store_t *self, const char *author, uint64_t min,
                       uint64_t max, store_cp_fn fn, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    uint32_t no;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = store_i_authno(txn, self, author, &no)) ||
        (rc = mdb_cursor_open(txn, self->checkpoints, &cur)))
        goto done;
    uint8_t k[STORE_KEY_CP_LEN];
    store_i_key_cp(k, no, min);
    MDB_val key = {sizeof k, k}, d;
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if (key.mv_size != STORE_KEY_CP_LEN || store_i_rd32(key.mv_data) != no)
            break;
        uint64_t size = store_i_rd64((uint8_t *)key.mv_data + 4);
        if (size > max)
            break;
        int stop = fn(ctx, size, d.mv_data, d.mv_size);
        if (stop) {
            mdb_cursor_close(cur);
            mdb_txn_abort(txn);
            return stop;
        }
    }
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_root_at(store_t *self, const char *author, uint64_t size,
              uint8_t root[PROTO_HASH_LEN])
{
    MDB_txn *txn;
    store_i_tree_t tree = {self, NULL, 0};
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    tree.txn = txn;
    uint64_t held;
    if (!(rc = store_i_authno(txn, self, author, &tree.authno)) &&
        !(rc = store_i_log_size(self, txn, tree.authno, &held))) {
        if (size > held)
            rc = VOCFED_EINVALID;
        else
            rc = proto_merkle_root(PROTO_HASH_BLAKE2B256, size,
                                   store_i_node_source, &tree, root);
    }
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_compact_range(store_t *self, const char *author, uint64_t begin,
                    uint64_t end, proto_proof_t *out)
{
    MDB_txn *txn;
    store_i_tree_t tree = {self, NULL, 0};
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    tree.txn = txn;
    uint64_t held;
    if (!(rc = store_i_authno(txn, self, author, &tree.authno)) &&
        !(rc = store_i_log_size(self, txn, tree.authno, &held))) {
        if (end > held)
            rc = VOCFED_EINVALID;
        else
            rc = proto_merkle_compact_range(PROTO_HASH_BLAKE2B256, begin, end,
                                            store_i_node_source, &tree, out);
    }
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_scan_records(store_t *self, const char *author, const char *kind,
                   store_record_fn fn, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    uint32_t no;
    size_t kind_len = strlen(kind);
    if (!proto_kind_valid(kind, kind_len))
        return VOCFED_EINVALID;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = store_i_authno(txn, self, author, &no)) ||
        (rc = mdb_cursor_open(txn, self->records, &cur)))
        goto done;
    uint8_t prefix[4 + PROTO_KIND_MAX + 1];
    store_i_be32(prefix, no);
    memcpy(prefix + 4, kind, kind_len);
    prefix[4 + kind_len] = 0;
    size_t plen = 5 + kind_len;
    MDB_val key = {plen, prefix}, d;
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if (key.mv_size <= plen || memcmp(key.mv_data, prefix, plen))
            break;
        if (d.mv_size != 8) {
            rc = VOCFED_ECORRUPT;
            goto done;
        }
        char rkey[PROTO_KEY_MAX + 1];
        size_t klen = key.mv_size - plen;
        if (klen > PROTO_KEY_MAX) {
            rc = VOCFED_ECORRUPT;
            goto done;
        }
        memcpy(rkey, (uint8_t *)key.mv_data + plen, klen);
        rkey[klen] = 0;
        uint64_t seq = store_i_rd64(d.mv_data);
        uint8_t ek[STORE_KEY_ENTRY_LEN];
        store_i_key_entry(ek, no, seq);
        MDB_val ekey = {sizeof ek, ek}, ev;
        if ((rc = mdb_get(txn, self->entries, &ekey, &ev)) ||
            ev.mv_size < PROTO_HASH_LEN) {
            rc = VOCFED_ECORRUPT;
            goto done;
        }
        int stop = fn(ctx, rkey, seq, (uint8_t *)ev.mv_data + PROTO_HASH_LEN,
                      ev.mv_size - PROTO_HASH_LEN);
        if (stop) {
            mdb_cursor_close(cur);
            mdb_txn_abort(txn);
            return stop;
        }
    }
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

/* ---- peers ------------------------------------------------------------ */

/* Peer keys in the peers database: 'p' || peer; 'a' || peer 0x00 author. */
static size_t
s_key_ack(uint8_t *k, const char *peer, const char *author)
{
    size_t n = s_key_tagged(k, 'a', peer);
    k[n++] = 0;
    size_t alen = strlen(author);
    memcpy(k + n, author, alen);
    return n + alen;
}

typedef struct {
    MDB_val key;   /* where */
    MDB_val value; /* what */
} s_put_t;

static int
s_put_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_put_t *p = ctx;
    return mdb_put(txn, self->peers, &p->key, &p->value, 0);
}

int
store_peer_ack(store_t *self, const char *peer, const char *author,
               const store_ack_t *ack, const uint8_t *receipt,
               size_t receipt_len)
{
    if (!proto_id_valid(peer, strlen(peer)) ||
        !proto_id_valid(author, strlen(author)) ||
        receipt_len > PROTO_CHECKPOINT_MAX)
        return VOCFED_EINVALID;
    uint8_t k[2 * PROTO_ID_MAX + 2];
    uint8_t v[8 + PROTO_HASH_LEN + 8 + PROTO_CHECKPOINT_MAX];
    store_i_be64(v, ack->acked);
    memcpy(v + 8, ack->root, PROTO_HASH_LEN);
    store_i_be64(v + 8 + PROTO_HASH_LEN, ack->time_ms);
    if (receipt_len)
        memcpy(v + 16 + PROTO_HASH_LEN, receipt, receipt_len);
    s_put_t p = {{s_key_ack(k, peer, author), k},
                 {16 + PROTO_HASH_LEN + receipt_len, v}};
    return store_i_write(self, s_put_txn, &p);
}

static int
s_ack_decode(const MDB_val *d, store_ack_t *out)
{
    if (d->mv_size < 16 + PROTO_HASH_LEN)
        return VOCFED_ECORRUPT;
    const uint8_t *v = d->mv_data;
    out->acked = store_i_rd64(v);
    memcpy(out->root, v + 8, PROTO_HASH_LEN);
    out->time_ms = store_i_rd64(v + 8 + PROTO_HASH_LEN);
    return VOCFED_OK;
}

int
store_peer_ack_get(store_t *self, const char *peer, const char *author,
                   store_ack_t *out)
{
    if (!proto_id_valid(peer, strlen(peer)) ||
        !proto_id_valid(author, strlen(author)))
        return VOCFED_ENOTFOUND;
    MDB_txn *txn;
    uint8_t k[2 * PROTO_ID_MAX + 2];
    MDB_val key = {s_key_ack(k, peer, author), k}, d;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if (!(rc = mdb_get(txn, self->peers, &key, &d)))
        rc = s_ack_decode(&d, out);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

/* A peer's state (SPEC 5.1): connected u8, then u64s: pid, last contact,
 * refused, malformed, too_large, replayed, seq_gaps, flooded, unread,
 * messages_in, bytes_in. Stores written before the abuse counters hold the
 * first four u64s only (33 bytes); they read as zero counters. */
#define S_PEER_COUNTERS 11
#define S_PEER_LEN (1 + 8 * S_PEER_COUNTERS)
#define S_PEER_LEN_V0 33

static bool
s_peer_len_ok(size_t len)
{
    return len == S_PEER_LEN || len == S_PEER_LEN_V0;
}

/* Decodes a value whose length s_peer_len_ok accepted; p->id is left. */
static void
s_peer_decode(const MDB_val *d, store_peer_t *p)
{
    const uint8_t *v = d->mv_data;
    uint64_t n[S_PEER_COUNTERS] = {0};
    for (size_t i = 0; 1 + 8 * (i + 1) <= d->mv_size; i++)
        n[i] = store_i_rd64(v + 1 + 8 * i);
    p->connected = v[0] != 0;
    p->pid = (int)(int64_t)n[0];
    p->last_contact_ms = n[1];
    p->refused = n[2];
    p->malformed = n[3];
    p->too_large = n[4];
    p->replayed = n[5];
    p->seq_gaps = n[6];
    p->flooded = n[7];
    p->unread = n[8];
    p->messages_in = n[9];
    p->bytes_in = n[10];
}

int
store_peer_get(store_t *self, const char *id, store_peer_t *out)
{
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_ENOTFOUND;
    MDB_txn *txn;
    uint8_t k[1 + PROTO_ID_MAX];
    MDB_val key = {s_key_tagged(k, 'p', id), k}, d;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if (!(rc = mdb_get(txn, self->peers, &key, &d))) {
        if (s_peer_len_ok(d.mv_size)) {
            *out = (store_peer_t){0};
            snprintf(out->id, sizeof out->id, "%s", id);
            s_peer_decode(&d, out);
        } else {
            rc = VOCFED_ECORRUPT;
        }
    }
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_peer_set(store_t *self, const store_peer_t *peer)
{
    if (!proto_id_valid(peer->id, strlen(peer->id)))
        return VOCFED_EINVALID;
    uint8_t k[1 + PROTO_ID_MAX], v[S_PEER_LEN];
    const uint64_t n[] = {(uint64_t)(int64_t)peer->pid,
                          peer->last_contact_ms,
                          peer->refused,
                          peer->malformed,
                          peer->too_large,
                          peer->replayed,
                          peer->seq_gaps,
                          peer->flooded,
                          peer->unread,
                          peer->messages_in,
                          peer->bytes_in};
    v[0] = peer->connected;
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        store_i_be64(v + 1 + 8 * i, n[i]);
    s_put_t p = {{s_key_tagged(k, 'p', peer->id), k}, {sizeof v, v}};
    return store_i_write(self, s_put_txn, &p);
}

int
store_scan_peers(store_t *self, store_peer_fn fn, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = mdb_cursor_open(txn, self->peers, &cur)))
        goto done;
    uint8_t start = 'p';
    MDB_val key = {1, &start}, d;
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        const uint8_t *kk = key.mv_data;
        if (key.mv_size < 2 || kk[0] != 'p')
            break;
        if (key.mv_size - 1 > PROTO_ID_MAX || !s_peer_len_ok(d.mv_size)) {
            rc = VOCFED_ECORRUPT;
            goto done;
        }
        store_peer_t p = {0};
        memcpy(p.id, kk + 1, key.mv_size - 1);
        s_peer_decode(&d, &p);
        int stop = fn(ctx, &p);
        if (stop) {
            mdb_cursor_close(cur);
            mdb_txn_abort(txn);
            return stop;
        }
    }
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_scan_acks(store_t *self, const char *peer, store_ack_fn fn, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    if (!proto_id_valid(peer, strlen(peer)))
        return VOCFED_ENOTFOUND;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = mdb_cursor_open(txn, self->peers, &cur)))
        goto done;
    uint8_t prefix[PROTO_ID_MAX + 2];
    size_t plen = s_key_tagged(prefix, 'a', peer);
    prefix[plen++] = 0;
    MDB_val key = {plen, prefix}, d;
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if (key.mv_size <= plen || memcmp(key.mv_data, prefix, plen))
            break;
        char author[PROTO_ID_MAX + 1];
        size_t alen = key.mv_size - plen;
        store_ack_t ack;
        if (alen > PROTO_ID_MAX || s_ack_decode(&d, &ack)) {
            rc = VOCFED_ECORRUPT;
            goto done;
        }
        memcpy(author, (uint8_t *)key.mv_data + plen, alen);
        author[alen] = 0;
        int stop = fn(ctx, author, &ack);
        if (stop) {
            mdb_cursor_close(cur);
            mdb_txn_abort(txn);
            return stop;
        }
    }
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

/* ---- alarms ----------------------------------------------------------- */

typedef struct {
    const char *kind, *peer, *author, *text; /* the alarm */
    uint64_t seq;                            /* its seq, 0 if none */
    proto_buf_t buf;                         /* its encoding */
} s_alarm_t;

static int
s_alarm_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_alarm_t *a = ctx;
    MDB_cursor *cur;
    MDB_val key, d;
    uint64_t n = 0;
    int rc = mdb_cursor_open(txn, self->alarms, &cur);
    if (rc)
        return rc;
    if (mdb_cursor_get(cur, &key, &d, MDB_LAST) == MDB_SUCCESS &&
        key.mv_size == 8)
        n = store_i_rd64(key.mv_data) + 1;
    mdb_cursor_close(cur);
    uint8_t k[8];
    store_i_be64(k, n);
    key.mv_size = 8;
    key.mv_data = k;
    d.mv_size = a->buf.len;
    d.mv_data = a->buf.data;
    return mdb_put(txn, self->alarms, &key, &d, MDB_APPEND);
}

static int
s_pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = s ? strnlen(s, 512) : 0;
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s ? s : "", n);
}

int
store_alarm(store_t *self, const char *kind, const char *peer,
            const char *author, uint64_t seq, const char *text)
{
    s_alarm_t a = {kind, peer, author, text, seq, {0}};
    proto_buf_init(&a.buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &a.buf, proto_buf_msgpack_write);
    int rc = VOCFED_ENOMEM;
    if (!msgpack_pack_array(&pk, 6) &&
        !msgpack_pack_uint64(&pk, store_i_now_ms()) && !s_pack_str(&pk, kind) &&
        !s_pack_str(&pk, peer) && !s_pack_str(&pk, author) &&
        !msgpack_pack_uint64(&pk, seq) && !s_pack_str(&pk, text))
        rc = store_i_write(self, s_alarm_txn, &a);
    proto_buf_release(&a.buf);
    return rc;
}

int
store_scan_alarms(store_t *self, store_alarm_fn fn, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = mdb_cursor_open(txn, self->alarms, &cur)))
        goto done;
    MDB_val key, d;
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        proto_rd_t r;
        uint32_t n;
        uint64_t time_ms, seq;
        const char *s[4];
        size_t l[4];
        char buf[4][513];
        proto_rd_init(&r, d.mv_data, d.mv_size);
        if (proto_rd_array(&r, &n) || n != 6 || proto_rd_uint(&r, &time_ms) ||
            proto_rd_str(&r, &s[0], &l[0]) || proto_rd_str(&r, &s[1], &l[1]) ||
            proto_rd_str(&r, &s[2], &l[2]) || proto_rd_uint(&r, &seq) ||
            proto_rd_str(&r, &s[3], &l[3])) {
            rc = VOCFED_ECORRUPT;
            goto done;
        }
        for (int i = 0; i < 4; i++) {
            size_t m = l[i] < 512 ? l[i] : 512;
            memcpy(buf[i], s[i], m);
            buf[i][m] = 0;
        }
        int stop = fn(ctx, time_ms, buf[0], buf[1], buf[2], seq, buf[3]);
        if (stop) {
            mdb_cursor_close(cur);
            mdb_txn_abort(txn);
            return stop;
        }
    }
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}
