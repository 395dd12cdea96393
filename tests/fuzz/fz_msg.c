/* vocfed: what the replication message fuzz targets share (fz_msg.h). */
#include "tests/fuzz/fz_msg.h"
#include "tests/fuzz/fuzz.h"

#include "protocol/checkpoint.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/merkle.h"
#include "protocol/receipt.h"

#include <stdbool.h>
#include <string.h>

/* Copies len bytes of a decoded name into a NUL-terminated buffer. */
static void
s_cstr(char *dst, size_t cap, const char *s, size_t len)
{
    FZ_CHECK(len < cap);
    if (len)
        memcpy(dst, s, len);
    dst[len] = '\0';
}

/* Encoding the decoded message again gives the frame (SPEC 1). */
static void
s_same(const proto_buf_t *out, const uint8_t *data, size_t size)
{
    FZ_CHECK(out->len == size && memcmp(out->data, data, size) == 0);
}

static void
s_heads(const proto_msg_t *m, const uint8_t *data, size_t size)
{
    const proto_msg_heads_t *h = &m->heads;
    proto_msg_iter_t it;
    proto_head_t *heads = NULL;
    char node_id[PROTO_ID_MAX + 1];
    uint32_t n = 0;
    int rc;
    FZ_CHECK(h->heads.count <= PROTO_MSG_MAX_HEADS);
    FZ_CHECK(proto_id_valid(h->node_id, h->node_id_len));
    s_cstr(node_id, sizeof node_id, h->node_id, h->node_id_len);
    /* One more than needed: never a NULL array, never a write past it. */
    heads = calloc((size_t)h->heads.count + 1, sizeof *heads);
    FZ_CHECK(heads != NULL);
    proto_msg_iter_init(&it, &h->heads);
    while ((rc = proto_msg_next_head(&it, &heads[n])) == 1) {
        FZ_CHECK(n < h->heads.count);
        FZ_CHECK(proto_id_valid(heads[n].author, heads[n].author_len));
        n++;
    }
    FZ_CHECK(rc == 0 && n == h->heads.count);

    proto_buf_t out;
    proto_buf_init(&out);
    rc = m->type == PROTO_MSG_HELLO
             ? proto_msg_encode_hello(node_id, heads, n, &out)
             : proto_msg_encode_heads(node_id, heads, n, &out);
    FZ_CHECK(rc == VOCFED_OK);
    s_same(&out, data, size);
    proto_buf_release(&out);
    free(heads);
}

/* Walks a list of bins into v (count of them, allocated by the caller). */
static void
s_bins(const proto_msg_list_t *list, proto_bytes_t *v, size_t max_len)
{
    proto_msg_iter_t it;
    const uint8_t *p;
    size_t len;
    uint32_t n = 0;
    int rc;
    proto_msg_iter_init(&it, list);
    while ((rc = proto_msg_next_bin(&it, &p, &len)) == 1) {
        FZ_CHECK(n < list->count && len >= 1 && len <= max_len);
        v[n++] = (proto_bytes_t){.data = p, .len = len};
    }
    FZ_CHECK(rc == 0 && n == list->count);
}

/* What store_ingest does with a batch before it needs the store: each
 * entry decoded and its leaf appended to a tree, each checkpoint opened
 * with the golden key (its envelope and body read, its hash taken), and
 * the proofs checked against the sizes the batch names. */
static void
s_receive(const proto_msg_batch_t *b, const proto_bytes_t *entries,
          const proto_bytes_t *cps, const proto_proof_t *consistency,
          const proto_proof_t *range)
{
    proto_frontier_t tree;
    uint8_t root[PROTO_HASH_LEN], leaf[PROTO_HASH_LEN], h[PROTO_HASH_LEN];
    uint64_t last = 0;
    bool have_last = false;
    proto_frontier_init(&tree, PROTO_HASH_BLAKE2B256);
    for (uint32_t i = 0; i < b->entries.count; i++) {
        proto_entry_t e;
        int rc = proto_entry_decode(entries[i].data, entries[i].len, &e);
        FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_EMALFORMED ||
                 rc == VOCFED_ENONCANONICAL || rc == VOCFED_ETOOLARGE ||
                 rc == VOCFED_EVERSION);
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, entries[i].data, entries[i].len,
                        leaf);
        FZ_CHECK(proto_frontier_append(&tree, leaf, NULL, NULL) == VOCFED_OK);
    }
    for (uint32_t i = 0; i < b->checkpoints.count; i++) {
        proto_checkpoint_t cp, peek;
        int rc = proto_checkpoint_open(cps[i].data, cps[i].len,
                                       fz_checkpoint_pk(), &cp);
        int prc = proto_checkpoint_peek(cps[i].data, cps[i].len, &peek);
        int hrc = proto_checkpoint_hash(cps[i].data, cps[i].len, h);
        FZ_CHECK(rc != VOCFED_OK || (prc == VOCFED_OK && hrc == VOCFED_OK));
        if (prc == VOCFED_OK) {
            last = peek.size;
            have_last = true;
        }
    }
    /* The last checkpoint's size, or where the entries end. */
    if (!have_last)
        last = b->first_seq - 1 + b->entries.count;
    memset(root, 0xa5, sizeof root);
    int rc = proto_merkle_verify_consistency(PROTO_HASH_BLAKE2B256, b->old_size,
                                             last, root, root, consistency);
    FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_EPROOF);
    /* The tree of the batch's entries, extended by the range to the last
     * size: the check of SPEC 8.4 step 4 on a receiver that held
     * nothing. */
    proto_frontier_root(&tree, root);
    rc = proto_merkle_verify_range(PROTO_HASH_BLAKE2B256, &tree, last, range,
                                   root);
    FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_EPROOF);
    if (range->len == 0 && last == tree.size)
        FZ_CHECK(rc == VOCFED_OK);
}

static void
s_batch(const proto_msg_t *m, const uint8_t *data, size_t size)
{
    const proto_msg_batch_t *b = &m->batch;
    static proto_proof_t consistency, range;
    char author[PROTO_ID_MAX + 1];
    FZ_CHECK(proto_id_valid(b->author, b->author_len));
    FZ_CHECK(b->first_seq >= 1);
    FZ_CHECK(b->entries.count >= 1 &&
             b->entries.count <= PROTO_MSG_MAX_ENTRIES);
    FZ_CHECK(b->checkpoints.count >= 1 &&
             b->checkpoints.count <= b->entries.count + 1);
    FZ_CHECK(b->first_seq - 1 <= UINT64_MAX - b->entries.count);
    s_cstr(author, sizeof author, b->author, b->author_len);

    proto_bytes_t *entries = calloc(b->entries.count, sizeof *entries);
    proto_bytes_t *cps = calloc(b->checkpoints.count, sizeof *cps);
    FZ_CHECK(entries && cps);
    s_bins(&b->entries, entries, PROTO_ENTRY_MAX);
    s_bins(&b->checkpoints, cps, PROTO_CHECKPOINT_MAX);
    FZ_CHECK(proto_msg_proof(&b->consistency, &consistency) == VOCFED_OK);
    FZ_CHECK(proto_msg_proof(&b->range, &range) == VOCFED_OK);
    FZ_CHECK(consistency.len == b->consistency.count);
    FZ_CHECK(range.len == b->range.count);
    s_receive(b, entries, cps, &consistency, &range);

    proto_msg_batch_in_t in = {.author = author,
                               .first_seq = b->first_seq,
                               .entries = entries,
                               .count = b->entries.count,
                               .checkpoints = cps,
                               .ncp = b->checkpoints.count,
                               .old_size = b->old_size,
                               .consistency = &consistency,
                               .range = &range};
    proto_buf_t out;
    proto_buf_init(&out);
    FZ_CHECK(proto_msg_encode_batch(&in, &out) == VOCFED_OK);
    s_same(&out, data, size);
    proto_buf_release(&out);
    free(entries);
    free(cps);
}

static void
s_receipt(const proto_msg_t *m, const uint8_t *data, size_t size)
{
    const proto_msg_receipt_t *r = &m->receipt;
    proto_receipt_t rc_open, rc_peek;
    FZ_CHECK(r->receipt_len >= 1 && r->receipt_len <= PROTO_RECEIPT_MAX);
    int orc = proto_receipt_open(r->receipt, r->receipt_len, fz_receipt_pk(),
                                 &rc_open);
    int prc = proto_receipt_peek(r->receipt, r->receipt_len, &rc_peek);
    FZ_CHECK(orc != VOCFED_OK || prc == VOCFED_OK);

    proto_buf_t out;
    proto_buf_init(&out);
    FZ_CHECK(proto_msg_encode_receipt(r->receipt, r->receipt_len, &out) ==
             VOCFED_OK);
    s_same(&out, data, size);
    proto_buf_release(&out);
}

static void
s_pull(const proto_msg_t *m, const uint8_t *data, size_t size)
{
    char author[PROTO_ID_MAX + 1];
    FZ_CHECK(proto_id_valid(m->pull.author, m->pull.author_len));
    FZ_CHECK(m->pull.from_seq >= 1);
    s_cstr(author, sizeof author, m->pull.author, m->pull.author_len);
    proto_buf_t out;
    proto_buf_init(&out);
    FZ_CHECK(proto_msg_encode_pull(author, m->pull.from_seq, &out) ==
             VOCFED_OK);
    s_same(&out, data, size);
    proto_buf_release(&out);
}

static void
s_error(const proto_msg_t *m, const uint8_t *data, size_t size)
{
    const proto_msg_error_t *e = &m->error;
    char code[PROTO_MSG_CODE_MAX + 1], text[PROTO_MSG_TEXT_MAX + 1];
    char author[PROTO_ID_MAX + 1];
    FZ_CHECK(e->code_len >= 1 && e->code_len <= PROTO_MSG_CODE_MAX);
    FZ_CHECK(e->text_len <= PROTO_MSG_TEXT_MAX);
    FZ_CHECK(proto_utf8_valid(e->text, e->text_len));
    for (size_t i = 0; i < e->text_len; i++)
        FZ_CHECK((unsigned char)e->text[i] >= 0x20 && e->text[i] != 0x7f);
    FZ_CHECK(e->author == NULL ? e->author_len == 0
                               : proto_id_valid(e->author, e->author_len));
    /* What a receiver does with the code: any token, known or not. */
    (void)vocfed_status_from_token(e->code, e->code_len);
    s_cstr(code, sizeof code, e->code, e->code_len);
    s_cstr(text, sizeof text, e->text, e->text_len);
    if (e->author)
        s_cstr(author, sizeof author, e->author, e->author_len);

    proto_buf_t out;
    proto_buf_init(&out);
    FZ_CHECK(proto_msg_encode_error(code, text, e->author ? author : NULL,
                                    e->seq, &out) == VOCFED_OK);
    s_same(&out, data, size);
    proto_buf_release(&out);
}

void
fz_msg(const uint8_t *data, size_t size, proto_msg_type_t want)
{
    proto_msg_t m;
    int rc = proto_msg_decode(data, size, &m);
    FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_ETOOLARGE ||
             rc == VOCFED_EVERSION || rc == VOCFED_EMALFORMED ||
             rc == VOCFED_ENONCANONICAL);
    if (rc || m.type != want)
        return;
    FZ_CHECK(strcmp(proto_msg_type_name(m.type), "?") != 0);
    switch (m.type) {
    case PROTO_MSG_HELLO:
    case PROTO_MSG_HEADS:
        s_heads(&m, data, size);
        break;
    case PROTO_MSG_BATCH:
        s_batch(&m, data, size);
        break;
    case PROTO_MSG_RECEIPT:
        s_receipt(&m, data, size);
        break;
    case PROTO_MSG_PULL:
        s_pull(&m, data, size);
        break;
    case PROTO_MSG_ERROR:
        s_error(&m, data, size);
        break;
    }
}
