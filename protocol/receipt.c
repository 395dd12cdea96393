/* vocfed: signed receipts (SPEC 9). */
#include "protocol/receipt.h"
#include "protocol/mpack.h"

#include <msgpack.h>
#include <sodium.h>
#include <string.h>

#define S_BODY_MAX 160 /* a body is at most 122 bytes */

/* Splits the signed form into body and signature without trusting it
 * (SPEC 9.2). */
static int
s_split(const uint8_t *data, size_t len, const uint8_t **body, size_t *body_len,
        const uint8_t **sig)
{
    proto_rd_t r;
    uint32_t n;
    size_t sig_len;
    int rc;
    if (len > PROTO_RECEIPT_MAX)
        return VOCFED_ETOOLARGE;
    proto_rd_init(&r, data, len);
    if ((rc = proto_rd_array(&r, &n)))
        return rc;
    if (n != 2)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_bin(&r, body, body_len)) ||
        (rc = proto_rd_bin(&r, sig, &sig_len)))
        return rc;
    if (*body_len > S_BODY_MAX)
        return VOCFED_ETOOLARGE;
    if (sig_len != PROTO_SIG_LEN || !proto_rd_done(&r))
        return VOCFED_EMALFORMED;
    return VOCFED_OK;
}

/* The signed message: domain, a NUL, then the body. */
static size_t
s_message(const uint8_t *body, size_t body_len, uint8_t *msg)
{
    size_t d = sizeof PROTO_RECEIPT_SIG_DOMAIN; /* includes the NUL */
    memcpy(msg, PROTO_RECEIPT_SIG_DOMAIN, d);
    memcpy(msg + d, body, body_len);
    return d + body_len;
}

/* Reads an id (SPEC 3.2) into a NUL-terminated array of PROTO_ID_MAX+1. */
static int
s_read_id(proto_rd_t *r, char *out)
{
    const char *s;
    size_t len;
    int rc = proto_rd_name(r, &s, &len);
    if (rc)
        return rc;
    if (!proto_id_valid(s, len))
        return proto_utf8_valid(s, len) ? VOCFED_EMALFORMED
                                        : VOCFED_ENONCANONICAL;
    memcpy(out, s, len);
    out[len] = '\0';
    return VOCFED_OK;
}

/* SPEC 9.1. */
static int
s_decode_body(const uint8_t *body, size_t len, proto_receipt_t *out)
{
    proto_rd_t r;
    uint32_t n;
    size_t root_len;
    const uint8_t *root;
    int rc;

    memset(out, 0, sizeof *out);
    proto_rd_init(&r, body, len);
    if ((rc = proto_rd_array(&r, &n)))
        return rc;
    if (n < 1)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_uint(&r, &out->version)))
        return rc;
    if (out->version != PROTO_RECEIPT_VERSION)
        return VOCFED_EVERSION;
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

int
proto_receipt_sign(const proto_receipt_t *rcpt,
                   const uint8_t sk[PROTO_SECKEY_LEN], proto_buf_t *out)
{
    size_t ilen = strnlen(rcpt->issuer, sizeof rcpt->issuer);
    size_t alen = strnlen(rcpt->author, sizeof rcpt->author);
    if (rcpt->version != PROTO_RECEIPT_VERSION ||
        !proto_id_valid(rcpt->issuer, ilen) ||
        !proto_id_valid(rcpt->author, alen))
        return VOCFED_EINVALID;

    proto_buf_t body;
    proto_buf_init(&body);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &body, proto_buf_msgpack_write);
    int rc = VOCFED_ENOMEM;
    if (msgpack_pack_array(&pk, 6) || msgpack_pack_uint64(&pk, rcpt->version) ||
        msgpack_pack_str(&pk, ilen) ||
        msgpack_pack_str_body(&pk, rcpt->issuer, ilen) ||
        msgpack_pack_str(&pk, alen) ||
        msgpack_pack_str_body(&pk, rcpt->author, alen) ||
        msgpack_pack_uint64(&pk, rcpt->size) ||
        msgpack_pack_bin(&pk, PROTO_HASH_LEN) ||
        msgpack_pack_bin_body(&pk, rcpt->root, PROTO_HASH_LEN) ||
        msgpack_pack_uint64(&pk, rcpt->time_ms))
        goto done;

    uint8_t msg[sizeof PROTO_RECEIPT_SIG_DOMAIN + S_BODY_MAX];
    uint8_t sig[PROTO_SIG_LEN];
    size_t msg_len = s_message(body.data, body.len, msg);
    crypto_sign_detached(sig, NULL, msg, msg_len, sk);

    size_t start = out->len;
    msgpack_packer_init(&pk, out, proto_buf_msgpack_write);
    if (msgpack_pack_array(&pk, 2) || msgpack_pack_bin(&pk, body.len) ||
        msgpack_pack_bin_body(&pk, body.data, body.len) ||
        msgpack_pack_bin(&pk, PROTO_SIG_LEN) ||
        msgpack_pack_bin_body(&pk, sig, PROTO_SIG_LEN)) {
        out->len = start;
        goto done;
    }
    rc = VOCFED_OK;
done:
    proto_buf_release(&body);
    return rc;
}

int
proto_receipt_open(const uint8_t *data, size_t len,
                   const uint8_t pk[PROTO_PUBKEY_LEN], proto_receipt_t *out)
{
    const uint8_t *body, *sig;
    size_t body_len;
    int rc = s_split(data, len, &body, &body_len, &sig);
    if (rc)
        return rc;
    uint8_t msg[sizeof PROTO_RECEIPT_SIG_DOMAIN + S_BODY_MAX];
    size_t msg_len = s_message(body, body_len, msg);
    if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0)
        return VOCFED_EBADSIG;
    return s_decode_body(body, body_len, out);
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
    if (strcmp(out->issuer, issuer) != 0 || strcmp(out->author, author) != 0)
        return VOCFED_EAUTHOR;
    if (out->size != size)
        return VOCFED_ESEQGAP;
    if (sodium_memcmp(out->root, root, PROTO_HASH_LEN) != 0)
        return VOCFED_EROOT;
    return VOCFED_OK;
}

int
proto_receipt_peek(const uint8_t *data, size_t len, proto_receipt_t *out)
{
    const uint8_t *body, *sig;
    size_t body_len;
    int rc = s_split(data, len, &body, &body_len, &sig);
    if (rc)
        return rc;
    return s_decode_body(body, body_len, out);
}
