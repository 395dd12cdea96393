/* Fuzz target: one signed checkpoint (SPEC 4), as a batch carries it and
 * a store keeps it: proto_checkpoint_peek, _hash, _open and _verify with
 * the golden checkpoint key. The envelope, the body and the signature
 * must agree with each other, and signing the decoded body again must
 * give the received body byte for byte (SPEC 1). */
#include "tests/fuzz/fuzz.h"

#include "protocol/checkpoint.h"
#include "protocol/signed.h"

#include <stdbool.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proto_checkpoint_t peek, open;
    uint8_t hash[PROTO_HASH_LEN];
    const uint8_t *pk = fz_checkpoint_pk();

    int prc = proto_checkpoint_peek(data, size, &peek);
    FZ_CHECK(fz_signed_decode_status(prc));
    int hrc = proto_checkpoint_hash(data, size, hash);
    FZ_CHECK(fz_signed_decode_status(hrc));
    /* The hash needs the envelope only, the peek the body too. */
    FZ_CHECK(prc != VOCFED_OK || hrc == VOCFED_OK);

    int orc = proto_checkpoint_open(data, size, pk, &open);
    FZ_CHECK(fz_signed_decode_status(orc) || orc == VOCFED_EBADSIG);
    if (orc == VOCFED_OK) {
        proto_checkpoint_t v;
        FZ_CHECK(prc == VOCFED_OK && memcmp(&open, &peek, sizeof open) == 0);
        FZ_CHECK(proto_checkpoint_verify(data, size, pk, open.author, open.size,
                                         open.root, &v) == VOCFED_OK);
    }
    if (prc)
        return 0;
    FZ_CHECK(peek.version == PROTO_CHECKPOINT_VERSION);
    FZ_CHECK(proto_id_valid(peek.author, strlen(peek.author)));

    /* One body, one encoding: sign it again and compare the bodies. */
    const uint8_t *body, *sig, *body2, *sig2;
    size_t body_len, body2_len;
    proto_buf_t out;
    proto_buf_init(&out);
    FZ_CHECK(proto_checkpoint_sign(&peek, fz_checkpoint_sk(), &out) ==
             VOCFED_OK);
    FZ_CHECK(proto_signed_split(data, size, PROTO_CHECKPOINT_MAX, &body,
                                &body_len, &sig) == VOCFED_OK);
    FZ_CHECK(proto_signed_split(out.data, out.len, PROTO_CHECKPOINT_MAX, &body2,
                                &body2_len, &sig2) == VOCFED_OK);
    FZ_CHECK(body_len == body2_len && memcmp(body, body2, body_len) == 0);
    /* Ed25519 is deterministic: same key, same bytes. */
    if (orc == VOCFED_OK)
        FZ_CHECK(out.len == size && memcmp(out.data, data, size) == 0);
    proto_buf_release(&out);
    return 0;
}
