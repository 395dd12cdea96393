/* vocfed: a member's end-to-end check of a decision on its claim
 * (certify.h node_certify_verify, SPEC 11.6). */
#include "node/certify.h"
#include "node/certify_i.h"

#include "protocol/checkpoint.h"
#include "protocol/merkle.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Writes why and returns rc. */
static int
s_fail(int rc, char *why, size_t cap, const char *what)
{
    if (why && cap)
        snprintf(why, cap, "%s", what);
    return rc;
}

/* The decision's entry is in the coordinator's log under a checkpoint
 * that coord_pk signed. e gets it decoded; buf holds its bytes. */
static int
s_included(store_t *st, const char *coord, const uint8_t *coord_pk,
           uint64_t seq, proto_buf_t *buf, proto_entry_t *e, char *why,
           size_t cap)
{
    proto_buf_t cpb;
    proto_checkpoint_t cp;
    proto_proof_t proof;
    uint8_t leaf[PROTO_HASH_LEN];
    proto_buf_init(&cpb);
    int rc = store_entry_get(st, coord, seq, buf);
    if (rc) {
        rc = s_fail(rc, why, cap, "the decision's entry is not held");
        goto cleanup;
    }
    if ((rc = store_checkpoint_latest(st, coord, &cpb)))
        goto cleanup;
    if (proto_checkpoint_open(cpb.data, cpb.len, coord_pk, &cp) ||
        strcmp(cp.author, coord) != 0) {
        rc = s_fail(VOCFED_EBADSIG, why, cap,
                    "the coordinator's checkpoint does not verify with the "
                    "coordinator's key");
        goto cleanup;
    }
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, buf->data, buf->len, leaf);
    if (cp.size < seq ||
        store_inclusion_proof(st, coord, seq, cp.size, &proof) ||
        proto_merkle_verify_inclusion(PROTO_HASH_BLAKE2B256, seq - 1, cp.size,
                                      leaf, &proof, cp.root)) {
        rc = s_fail(VOCFED_EPROOF, why, cap,
                    "the decision is not in the coordinator's signed tree");
        goto cleanup;
    }
    if (proto_entry_decode(buf->data, buf->len, e) || !e->body)
        rc = s_fail(VOCFED_EINVALID, why, cap, "the decision does not decode");
cleanup:
    proto_buf_release(&cpb);
    return rc;
}

/* The member's own entry at seq has the hash hex and is of kind/key. */
static int
s_own(store_t *st, const char *member, uint64_t seq, const char *hex,
      const char *kind, const char *key, char *why, size_t cap)
{
    proto_buf_t b;
    proto_entry_t e;
    uint8_t leaf[PROTO_HASH_LEN];
    char mine[2 * PROTO_HASH_LEN + 1];
    proto_buf_init(&b);
    int rc = seq ? store_entry_get(st, member, seq, &b) : VOCFED_ENOTFOUND;
    if (rc) {
        snprintf(why, cap, "no entry %" PRIu64 " in %s's own log", seq, member);
        goto cleanup;
    }
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, b.data, b.len, leaf);
    proto_hex(leaf, sizeof leaf, mine);
    if (strcmp(mine, hex) != 0 || proto_entry_decode(b.data, b.len, &e) ||
        e.kind_len != strlen(kind) || memcmp(e.kind, kind, e.kind_len) ||
        e.key_len != strlen(key) || memcmp(e.key, key, e.key_len)) {
        snprintf(why, cap,
                 "the decision names entry %" PRIu64 " as %s/%s with hash "
                 "%.16s..., which is not %s's own entry %" PRIu64,
                 seq, kind, key, hex, member, seq);
        rc = VOCFED_EINVALID;
    }
cleanup:
    proto_buf_release(&b);
    return rc;
}

int
node_certify_verify(store_t *st, const char *coord,
                    const uint8_t coord_pk[PROTO_PUBKEY_LEN],
                    const node_claim_t *c, char *why, size_t cap)
{
    proto_buf_t b;
    proto_entry_t e;
    char key[2 * PROTO_KEY_MAX], hash[2 * PROTO_HASH_LEN + 2];
    char rkind[PROTO_KIND_MAX + 1], rkey[PROTO_KEY_MAX + 1];
    if (!c->decided)
        return s_fail(VOCFED_ENOTFOUND, why, cap, "no decision");
    proto_buf_init(&b);
    int rc = s_included(st, coord, coord_pk, c->decision_seq, &b, &e, why, cap);
    if (rc)
        goto cleanup;
    snprintf(key, sizeof key, "%s/%s", c->member, c->code);
    if (e.kind_len != strlen(NODE_CERT_KIND) ||
        memcmp(e.kind, NODE_CERT_KIND, e.kind_len) ||
        e.key_len != strlen(key) || memcmp(e.key, key, e.key_len)) {
        rc = s_fail(VOCFED_EINVALID, why, cap,
                    "the entry is not a decision on this claim");
        goto cleanup;
    }
    (void)node_cert_body_str(e.body, e.body_len, "claim_hash", hash,
                             sizeof hash);
    rc = s_own(st, c->member,
               (uint64_t)node_cert_body_int(e.body, e.body_len, "claim_seq", 0),
               hash, NODE_CLAIM_KIND, c->code, why, cap);
    if (rc || !node_cert_body_str(e.body, e.body_len, "record_kind", rkind,
                                  sizeof rkind))
        goto cleanup;
    (void)node_cert_body_str(e.body, e.body_len, "record_key", rkey,
                             sizeof rkey);
    (void)node_cert_body_str(e.body, e.body_len, "record_hash", hash,
                             sizeof hash);
    rc =
        s_own(st, c->member,
              (uint64_t)node_cert_body_int(e.body, e.body_len, "record_seq", 0),
              hash, rkind, rkey, why, cap);
cleanup:
    proto_buf_release(&b);
    return rc;
}
