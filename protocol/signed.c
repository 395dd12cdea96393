/* vocfed: the signed envelope (SPEC 4.2, 9.2). */
#include "protocol/signed.h"
#include "protocol/hash.h"
#include "protocol/mpack.h"

#include <assert.h>
#include <msgpack.h>
#include <sodium.h>
#include <string.h>

#define S_DOMAIN_MAX 64 /* bytes of a domain string */
#define S_SIG_LEN 64    /* Ed25519 */

int
proto_signed_split(const uint8_t *data, size_t len, size_t max,
                   const uint8_t **body, size_t *body_len, const uint8_t **sig)
{
    proto_rd_t r;
    uint32_t n;
    size_t sig_len;
    int rc;
    if (len > max)
        return VOCFED_ETOOLARGE;
    proto_rd_init(&r, data, len);
    if ((rc = proto_rd_array(&r, &n)))
        return rc;
    if (n != 2)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_bin(&r, body, body_len)) ||
        (rc = proto_rd_bin(&r, sig, &sig_len)))
        return rc;
    if (*body_len > PROTO_SIGNED_BODY_MAX)
        return VOCFED_ETOOLARGE;
    if (sig_len != S_SIG_LEN || !proto_rd_done(&r))
        return VOCFED_EMALFORMED;
    return VOCFED_OK;
}

/* The signed message: domain, a NUL, then the body. */
static size_t
s_message(const char *domain, const uint8_t *body, size_t body_len,
          uint8_t *msg)
{
    size_t d = strnlen(domain, S_DOMAIN_MAX - 1) + 1; /* with the NUL */
    memcpy(msg, domain, d - 1);
    msg[d - 1] = 0;
    memcpy(msg + d, body, body_len);
    return d + body_len;
}

int
proto_signed_verify(const char *domain, const uint8_t *body, size_t body_len,
                    const uint8_t *sig, const uint8_t *pk)
{
    uint8_t msg[S_DOMAIN_MAX + PROTO_SIGNED_BODY_MAX];
    if (body_len > PROTO_SIGNED_BODY_MAX)
        return VOCFED_ETOOLARGE;
    size_t msg_len = s_message(domain, body, body_len, msg);
    return crypto_sign_verify_detached(sig, msg, msg_len, pk) == 0
               ? VOCFED_OK
               : VOCFED_EBADSIG;
}

int
proto_signed_wrap(const char *domain, const uint8_t *body, size_t body_len,
                  const uint8_t *sk, proto_buf_t *out)
{
    uint8_t msg[S_DOMAIN_MAX + PROTO_SIGNED_BODY_MAX], sig[S_SIG_LEN];
    if (body_len > PROTO_SIGNED_BODY_MAX)
        return VOCFED_ETOOLARGE;
    size_t msg_len = s_message(domain, body, body_len, msg);
    crypto_sign_detached(sig, NULL, msg, msg_len, sk);
    size_t start = out->len;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, proto_buf_msgpack_write);
    if (msgpack_pack_array(&pk, 2) || msgpack_pack_bin(&pk, body_len) ||
        msgpack_pack_bin_body(&pk, body, body_len) ||
        msgpack_pack_bin(&pk, S_SIG_LEN) ||
        msgpack_pack_bin_body(&pk, sig, S_SIG_LEN)) {
        out->len = start;
        return VOCFED_ENOMEM;
    }
    return VOCFED_OK;
}

int
proto_signed_sign(const proto_signed_form_t *form, const void *in,
                  const uint8_t *sk, proto_buf_t *out)
{
    proto_buf_t body;
    proto_buf_init(&body);
    int rc = form->encode(in, &body);
    if (rc == VOCFED_OK)
        rc = proto_signed_wrap(form->domain, body.data, body.len, sk, out);
    proto_buf_release(&body);
    return rc;
}

/* Splits, verifies the signature unless pk is NULL (only
 * proto_signed_peek passes NULL), decodes. */
static int
s_open(const proto_signed_form_t *form, const uint8_t *data, size_t len,
       const uint8_t *pk, void *out)
{
    const uint8_t *body, *sig;
    size_t body_len;
    int rc = proto_signed_split(data, len, form->max, &body, &body_len, &sig);
    if (rc)
        return rc;
    if (pk && (rc = proto_signed_verify(form->domain, body, body_len, sig, pk)))
        return rc;
    return form->decode(body, body_len, out);
}

int
proto_signed_open(const proto_signed_form_t *form, const uint8_t *data,
                  size_t len, const uint8_t *pk, void *out)
{
    assert(pk);
    return s_open(form, data, len, pk, out);
}

int
proto_signed_peek(const proto_signed_form_t *form, const uint8_t *data,
                  size_t len, void *out)
{
    return s_open(form, data, len, NULL, out);
}

int
proto_signed_expect(const char *author, uint64_t size, const uint8_t *root,
                    const char *want_author, uint64_t want_size,
                    const uint8_t *want_root)
{
    if (strcmp(author, want_author) != 0)
        return VOCFED_EAUTHOR;
    if (size != want_size)
        return VOCFED_ESEQGAP;
    if (sodium_memcmp(root, want_root, PROTO_HASH_LEN) != 0)
        return VOCFED_EROOT;
    return VOCFED_OK;
}
