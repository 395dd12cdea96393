/* vocfed: the replication engine (SPEC 8). */
#include "node/replicate.h"
#include "protocol/clock.h"
#include "protocol/receipt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building batches ------------------------------------------------- */

int
node_batch_build(store_t *st, const char *author, uint64_t held,
                 size_t max_entries, size_t max_bytes, proto_buf_t *out,
                 uint64_t *last)
{
    store_batch_out_t b;
    if (max_entries > PROTO_MSG_MAX_ENTRIES)
        max_entries = PROTO_MSG_MAX_ENTRIES;
    int rc = store_batch_collect(st, author, held, max_entries, max_bytes, &b);
    if (rc)
        return rc;
    *last = held + b.batch.count;
    rc = proto_msg_encode_batch(&b.batch, out);
    store_batch_out_release(&b);
    return rc;
}

/* ---- taking batches in ------------------------------------------------ */

/* Copies a decoded list of 32-byte hashes into a proof. */
static int
s_proof(const proto_msg_list_t *list, proto_proof_t *out)
{
    proto_msg_iter_t it;
    const uint8_t *p;
    size_t len;
    int rc;
    if (list->count > PROTO_MERKLE_MAX_PROOF)
        return VOCFED_ETOOLARGE;
    out->len = 0;
    proto_msg_iter_init(&it, list);
    while ((rc = proto_msg_next_bin(&it, &p, &len)) == 1) {
        if (len != PROTO_HASH_LEN)
            return VOCFED_EMALFORMED;
        memcpy(out->hash[out->len++], p, PROTO_HASH_LEN);
    }
    return rc;
}

/* Copies a decoded list of byte strings into an array (borrowing the
 * bytes). */
static int
s_bins(const proto_msg_list_t *list, proto_bytes_t **out)
{
    proto_msg_iter_t it;
    size_t n = 0;
    int rc;
    *out = calloc(list->count ? list->count : 1, sizeof **out);
    if (!*out)
        return VOCFED_ENOMEM;
    proto_msg_iter_init(&it, list);
    while (n < list->count &&
           (rc = proto_msg_next_bin(&it, &(*out)[n].data, &(*out)[n].len)) == 1)
        n++;
    return n == list->count ? VOCFED_OK : VOCFED_EMALFORMED;
}

/* A batch message turned into what store_ingest takes (owning the
 * pointer arrays; the bytes stay borrowed from the message). */
typedef struct {
    char author[PROTO_ID_MAX + 1]; /* NUL-terminated author */
    proto_bytes_t *ents, *cps;     /* entries, checkpoints */
    proto_proof_t *cons, *range;   /* proofs */
    store_batch_t b;               /* the batch */
    uint64_t first_seq;            /* for the reply */
} s_prepared_t;

static void
s_prepared_release(s_prepared_t *p)
{
    free(p->ents);
    free(p->cps);
    free(p->cons);
    free(p->range);
    memset(p, 0, sizeof *p);
}

static int
s_prepare(const proto_msg_batch_t *m, s_prepared_t *p,
          store_ingest_result_t *res)
{
    int rc;
    memset(p, 0, sizeof *p);
    memset(res, 0, sizeof *res);
    p->first_seq = m->first_seq;
    p->cons = calloc(1, sizeof *p->cons);
    p->range = calloc(1, sizeof *p->range);
    if (!p->cons || !p->range)
        return VOCFED_ENOMEM;
    if (m->author_len > PROTO_ID_MAX)
        return VOCFED_EMALFORMED;
    memcpy(p->author, m->author, m->author_len);
    p->author[m->author_len] = 0;
    if ((rc = s_bins(&m->entries, &p->ents)) ||
        (rc = s_bins(&m->checkpoints, &p->cps)) ||
        (rc = s_proof(&m->consistency, p->cons)) ||
        (rc = s_proof(&m->range, p->range))) {
        snprintf(res->what, sizeof res->what, "batch lists are malformed");
        return rc;
    }
    p->b = (store_batch_t){
        .author = p->author,
        .first_seq = m->first_seq,
        .entries = p->ents,
        .count = m->entries.count,
        .checkpoints = p->cps,
        .ncp = m->checkpoints.count,
        .old_size = m->old_size,
        .consistency = p->cons,
        .range = p->range,
    };
    return VOCFED_OK;
}

/* Appends a receipt message signed by self_id: it holds author's log at
 * head (SPEC 8.6, 9). */
static int
s_receipt_msg(const char *self_id, const uint8_t *sk, const char *author,
              const store_head_t *head, proto_buf_t *out)
{
    proto_receipt_t r = {.version = PROTO_RECEIPT_VERSION,
                         .size = head->size,
                         .time_ms = proto_now_ms()};
    snprintf(r.issuer, sizeof r.issuer, "%s", self_id);
    snprintf(r.author, sizeof r.author, "%s", author);
    memcpy(r.root, head->root, PROTO_HASH_LEN);
    proto_buf_t signed_r;
    proto_buf_init(&signed_r);
    int rc = proto_receipt_sign(&r, sk, &signed_r);
    if (!rc)
        rc = proto_msg_encode_receipt(signed_r.data, signed_r.len, out);
    proto_buf_release(&signed_r);
    return rc;
}

/* The answer to one batch: a receipt signed by self_id, or an error. */
static int
s_reply(const char *self_id, const uint8_t *sk, const s_prepared_t *p, int rc,
        store_ingest_result_t *res, proto_buf_t *reply)
{
    if (rc == VOCFED_OK) {
        int erc = s_receipt_msg(self_id, sk, p->author, &res->head, reply);
        return erc ? erc : rc;
    }
    if (rc != VOCFED_ENOMEM) {
        const char *what = res->what[0] ? res->what : vocfed_strerror(rc);
        if (proto_msg_encode_error(vocfed_status_token(rc), what, p->author,
                                   p->first_seq, reply))
            proto_buf_reset(reply);
    }
    return rc;
}

int
node_batch_accept(store_t *st, const char *self_id, const uint8_t *sk,
                  const proto_msg_batch_t *m, proto_buf_t *reply,
                  store_ingest_result_t *res)
{
    s_prepared_t p;
    int rc = s_prepare(m, &p, res);
    if (rc == VOCFED_OK)
        rc = store_ingest(st, &p.b, res);
    rc = s_reply(self_id, sk, &p, rc, res, reply);
    s_prepared_release(&p);
    return rc;
}

int
node_batch_accept_many(store_t *st, const char *self_id, const uint8_t *sk,
                       const proto_msg_batch_t *const *m, size_t n,
                       proto_buf_t *replies, store_ingest_result_t *res,
                       int *rcs)
{
    return node_batch_accept_many_then(st, self_id, sk, m, n, replies, res, rcs,
                                       NULL, NULL);
}

void
node_batch_name_next(store_t *st, const proto_msg_batch_t *const *m, size_t n)
{
    s_prepared_t p[NODE_BATCH_NEXT_MAX];
    const store_batch_t *bs[NODE_BATCH_NEXT_MAX];
    store_ingest_result_t res;
    size_t k = 0;
    for (size_t i = 0; i < n && k < NODE_BATCH_NEXT_MAX; i++) {
        if (s_prepare(m[i], &p[k], &res) == VOCFED_OK) {
            bs[k] = &p[k].b;
            k++;
        } else {
            s_prepared_release(&p[k]);
        }
    }
    if (k)
        store_ingest_next(st, bs, k); /* copies what it keeps */
    else
        store_ingest_next_drop(st);
    for (size_t i = 0; i < k; i++)
        s_prepared_release(&p[i]);
}

int
node_batch_accept_many_then(store_t *st, const char *self_id, const uint8_t *sk,
                            const proto_msg_batch_t *const *m, size_t n,
                            proto_buf_t *replies, store_ingest_result_t *res,
                            int *rcs, store_ingest_then_fn then, void *ctx)
{
    s_prepared_t *p = calloc(n ? n : 1, sizeof *p);
    const store_batch_t **bs = calloc(n ? n : 1, sizeof *bs);
    store_ingest_result_t *r2 = calloc(n ? n : 1, sizeof *r2);
    size_t *idx = calloc(n ? n : 1, sizeof *idx);
    int *rc2 = calloc(n ? n : 1, sizeof *rc2);
    int rc = VOCFED_OK;
    if (!p || !bs || !r2 || !idx || !rc2) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        rcs[i] = s_prepare(m[i], &p[i], &res[i]);
        if (rcs[i] == VOCFED_OK) {
            bs[k] = &p[i].b;
            idx[k++] = i;
        }
    }
    if (k) {
        rc = store_ingest_many_then(st, bs, k, r2, rc2, then, ctx);
        for (size_t j = 0; j < k; j++) {
            res[idx[j]] = r2[j];
            rcs[idx[j]] = rc ? rc : rc2[j];
        }
    }
    for (size_t i = 0; i < n; i++)
        rcs[i] = s_reply(self_id, sk, &p[i], rcs[i], &res[i], &replies[i]);
done:
    for (size_t i = 0; p && i < n; i++)
        s_prepared_release(&p[i]);
    free(p);
    free(bs);
    free(r2);
    free(idx);
    free(rc2);
    return rc;
}

/* ---- receipts --------------------------------------------------------- */

int
node_receipt_encode(store_t *st, const char *self_id, const uint8_t *sk,
                    const char *author, proto_buf_t *out)
{
    store_head_t head;
    int rc = store_head(st, author, &head);
    if (rc)
        return rc;
    if (head.size == 0)
        return VOCFED_ENOTFOUND;
    return s_receipt_msg(self_id, sk, author, &head, out);
}

int
node_receipt_check(store_t *st, const char *peer,
                   const uint8_t peer_pk[PROTO_PUBKEY_LEN],
                   const uint8_t *receipt, size_t len, char *author,
                   store_ack_t *ack)
{
    int rc = node_receipt_verify(st, peer, peer_pk, receipt, len, author, ack);
    return rc ? rc : store_peer_ack(st, peer, author, ack, receipt, len);
}

int
node_receipt_verify(store_t *st, const char *peer,
                    const uint8_t peer_pk[PROTO_PUBKEY_LEN],
                    const uint8_t *receipt, size_t len, char *author,
                    store_ack_t *ack)
{
    proto_receipt_t r;
    uint8_t root[PROTO_HASH_LEN];
    int rc = proto_receipt_open(receipt, len, peer_pk, &r);
    if (rc)
        return rc;
    if (strcmp(r.issuer, peer) != 0)
        return VOCFED_EAUTHOR;
    snprintf(author, PROTO_ID_MAX + 1, "%s", r.author);
    ack->acked = r.size;
    ack->time_ms = r.time_ms;
    memcpy(ack->root, r.root, PROTO_HASH_LEN);
    /* The receipt must state our own root at that size (SPEC 8.5). */
    if ((rc = store_root_at(st, r.author, r.size, root)))
        return rc == VOCFED_EINVALID ? VOCFED_EROOT : rc;
    if (memcmp(root, r.root, PROTO_HASH_LEN) != 0)
        return VOCFED_EROOT;
    return VOCFED_OK;
}

/* ---- heads ------------------------------------------------------------ */

int
node_heads_encode(store_t *st, const char *self_id, bool hello,
                  const char *const *authors, size_t n, proto_buf_t *out)
{
    proto_head_t *h = calloc(n ? n : 1, sizeof *h);
    if (!h)
        return VOCFED_ENOMEM;
    int rc = VOCFED_OK;
    for (size_t i = 0; i < n; i++) {
        store_head_t sh;
        h[i].author = authors[i];
        h[i].author_len = strlen(authors[i]);
        rc = store_head(st, authors[i], &sh);
        if (rc == VOCFED_ENOTFOUND) {
            h[i].size = 0;
            proto_hash(PROTO_HASH_BLAKE2B256, NULL, 0, h[i].root);
            rc = VOCFED_OK;
        } else if (rc) {
            break;
        } else if ((rc = store_checkpoint_at_or_below(st, authors[i], sh.size,
                                                      &h[i].cp_size))) {
            /* at or below the head read: a commit in between cannot make
             * cp_size pass size */
            break;
        } else {
            h[i].size = sh.size;
            memcpy(h[i].root, sh.root, PROTO_HASH_LEN);
        }
    }
    if (!rc)
        rc = hello ? proto_msg_encode_hello(self_id, h, n, out)
                   : proto_msg_encode_heads(self_id, h, n, out);
    free(h);
    return rc;
}

int
node_heads_find(const proto_msg_heads_t *h, const char *author,
                proto_head_t *out)
{
    proto_msg_iter_t it;
    size_t alen = strlen(author);
    int rc;
    memset(out, 0, sizeof *out);
    proto_msg_iter_init(&it, &h->heads);
    while ((rc = proto_msg_next_head(&it, out)) == 1)
        if (out->author_len == alen && memcmp(out->author, author, alen) == 0)
            return VOCFED_OK;
    memset(out, 0, sizeof *out);
    return rc < 0 ? rc : VOCFED_OK;
}
