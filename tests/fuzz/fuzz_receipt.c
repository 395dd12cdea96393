/* Fuzz target: one signed receipt (SPEC 9), as a member receives it in a
 * receipt message: proto_receipt_peek, _open and _verify with the golden
 * receipt key. Signing the decoded body again must give the received
 * body byte for byte (SPEC 1). */
#include "tests/fuzz/fuzz.h"

#include "protocol/receipt.h"
#include "protocol/signed.h"

#include <stdbool.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proto_receipt_t peek, open;
    const uint8_t *pk = fz_receipt_pk();

    int prc = proto_receipt_peek(data, size, &peek);
    FZ_CHECK(fz_signed_decode_status(prc));
    int orc = proto_receipt_open(data, size, pk, &open);
    FZ_CHECK(fz_signed_decode_status(orc) || orc == VOCFED_EBADSIG);
    if (orc == VOCFED_OK) {
        proto_receipt_t v;
        FZ_CHECK(prc == VOCFED_OK && memcmp(&open, &peek, sizeof open) == 0);
        FZ_CHECK(proto_receipt_verify(data, size, pk, open.issuer, open.author,
                                      open.size, open.root, &v) == VOCFED_OK);
        /* Another size is a gap, another author is the wrong author. */
        FZ_CHECK(proto_receipt_verify(data, size, pk, open.issuer, open.author,
                                      open.size + 1, open.root,
                                      &v) == VOCFED_ESEQGAP);
        FZ_CHECK(proto_receipt_verify(data, size, pk, open.author, open.issuer,
                                      open.size, open.root, &v) ==
                 (strcmp(open.author, open.issuer) == 0 ? VOCFED_OK
                                                        : VOCFED_EAUTHOR));
    }
    if (prc)
        return 0;
    FZ_CHECK(peek.version == PROTO_RECEIPT_VERSION);
    FZ_CHECK(proto_id_valid(peek.issuer, strlen(peek.issuer)));
    FZ_CHECK(proto_id_valid(peek.author, strlen(peek.author)));

    const uint8_t *body, *sig, *body2, *sig2;
    size_t body_len, body2_len;
    proto_buf_t out;
    proto_buf_init(&out);
    FZ_CHECK(proto_receipt_sign(&peek, fz_receipt_sk(), &out) == VOCFED_OK);
    FZ_CHECK(proto_signed_split(data, size, PROTO_RECEIPT_MAX, &body, &body_len,
                                &sig) == VOCFED_OK);
    FZ_CHECK(proto_signed_split(out.data, out.len, PROTO_RECEIPT_MAX, &body2,
                                &body2_len, &sig2) == VOCFED_OK);
    FZ_CHECK(body_len == body2_len && memcmp(body, body2, body_len) == 0);
    if (orc == VOCFED_OK)
        FZ_CHECK(out.len == size && memcmp(out.data, data, size) == 0);
    proto_buf_release(&out);
    return 0;
}
