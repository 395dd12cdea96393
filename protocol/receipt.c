/* vocfed: signed receipts (SPEC 9). */
#include "protocol/receipt.h"
#include "protocol/mpack.h"
#include "protocol/signed.h"

#include <msgpack.h>
#include <sodium.h>
#include <string.h>

/* Reads an id (SPEC 3.2) into a NUL-terminated array of PROTO_ID_MAX+1. */
static int
s_read_id(proto_rd_t *r, char *out)
{
    const char *s;
    size_t len;
    int rc = proto_rd_id(r, &s, &len);
    if (rc)
        return rc;
    memcpy(out, s, len);
    out[len] = '\0';
    return VOCFED_OK;
}

/* SPEC 9.1. */
static int
s_decode_body(const uint8_t *body, size_t len, void *dst)
{
    proto_receipt_t *out = dst;
    proto_rd_t r;
    uint32_t n;
    size_t root_len;
    const uint8_t *root;
    int rc;

    memset(out, 0, sizeof *out);
    proto_rd_init(&r, body, len);
    if ((rc = proto_rd_record(&r, PROTO_RECEIPT_VERSION, &out->version, &n)))
        return rc;
    if (n != 6)
        return VOCFED_EMALFORMED;
    if ((rc = s_read_id(&r, out->issuer)) ||
        (rc = s_read_id(&r, out->author)) ||
        (rc = proto_rd_uint(&r, &out->size)) ||
        (rc = proto_rd_bin(&r, &root, &root_len)) ||
        (rc = proto_rd_uint(&r, &out->time_ms)))
        return rc;
    if (root_len != PROTO_HASH_LEN || !proto_rd_done(&r))
        return VOCFED_EMALFORMED;
    memcpy(out->root, root, PROTO_HASH_LEN);
    return VOCFED_OK;
}

static int
s_encode_body(const void *in, proto_buf_t *body)
{
    const proto_receipt_t *rcpt = in;
    size_t ilen = strnlen(rcpt->issuer, sizeof rcpt->issuer);
    size_t alen = strnlen(rcpt->author, sizeof rcpt->author);
    if (rcpt->version != PROTO_RECEIPT_VERSION ||
        !proto_id_valid(rcpt->issuer, ilen) ||
        !proto_id_valid(rcpt->author, alen))
        return VOCFED_EINVALID;
    msgpack_packer pk;
    msgpack_packer_init(&pk, body, proto_buf_msgpack_write);
    if (msgpack_pack_array(&pk, 6) || msgpack_pack_uint64(&pk, rcpt->version) ||
        msgpack_pack_str(&pk, ilen) ||
        msgpack_pack_str_body(&pk, rcpt->issuer, ilen) ||
        msgpack_pack_str(&pk, alen) ||
        msgpack_pack_str_body(&pk, rcpt->author, alen) ||
        msgpack_pack_uint64(&pk, rcpt->size) ||
        msgpack_pack_bin(&pk, PROTO_HASH_LEN) ||
        msgpack_pack_bin_body(&pk, rcpt->root, PROTO_HASH_LEN) ||
        msgpack_pack_uint64(&pk, rcpt->time_ms))
        return VOCFED_ENOMEM;
    return VOCFED_OK;
}

static const proto_signed_form_t s_form = {
    .domain = PROTO_RECEIPT_SIG_DOMAIN,
    .max = PROTO_RECEIPT_MAX,
    .encode = s_encode_body,
    .decode = s_decode_body,
};

int
proto_receipt_sign(const proto_receipt_t *rcpt,
                   const uint8_t sk[PROTO_SECKEY_LEN], proto_buf_t *out)
{
    return proto_signed_sign(&s_form, rcpt, sk, out);
}

int
proto_receipt_open(const uint8_t *data, size_t len,
                   const uint8_t pk[PROTO_PUBKEY_LEN], proto_receipt_t *out)
{
    return proto_signed_open(&s_form, data, len, pk, out);
}

int
proto_receipt_verify(const uint8_t *data, size_t len,
                     const uint8_t pk[PROTO_PUBKEY_LEN], const char *issuer,
                     const char *author, uint64_t size,
                     const uint8_t root[PROTO_HASH_LEN], proto_receipt_t *out)
{
    int rc = proto_receipt_open(data, len, pk, out);
    if (rc)
        return rc;
    if (strcmp(out->issuer, issuer) != 0)
        return VOCFED_EAUTHOR;
    return proto_signed_expect(out->author, out->size, out->root, author, size,
                               root);
}

int
proto_receipt_peek(const uint8_t *data, size_t len, proto_receipt_t *out)
{
    return proto_signed_peek(&s_form, data, len, out);
}
