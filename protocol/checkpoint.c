/* vocfed: signed checkpoints (SPEC 4). */
#include "protocol/checkpoint.h"
#include "protocol/mpack.h"
#include "protocol/signed.h"

#include <msgpack.h>
#include <sodium.h>
#include <string.h>

/* SPEC 4.1. The author is checked after every field is read, as it
 * always was: a bad id before a bad field reports the field. */
static int
s_decode_body(const uint8_t *body, size_t len, void *dst)
{
    proto_checkpoint_t *out = dst;
    proto_rd_t r;
    uint32_t n;
    const char *author;
    size_t author_len, root_len, prev_len;
    const uint8_t *root, *prev;
    int rc;

    memset(out, 0, sizeof *out);
    proto_rd_init(&r, body, len);
    if ((rc = proto_rd_record(&r, PROTO_CHECKPOINT_VERSION, &out->version, &n)))
        return rc;
    if (n != 6)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_str(&r, &author, &author_len)) ||
        (rc = proto_rd_uint(&r, &out->size)) ||
        (rc = proto_rd_bin(&r, &root, &root_len)) ||
        (rc = proto_rd_uint(&r, &out->time_ms)) ||
        (rc = proto_rd_bin(&r, &prev, &prev_len)))
        return rc;
    if (!proto_id_valid(author, author_len) || root_len != PROTO_HASH_LEN ||
        prev_len != PROTO_HASH_LEN || !proto_rd_done(&r))
        return VOCFED_EMALFORMED;
    memcpy(out->author, author, author_len);
    out->author[author_len] = '\0';
    memcpy(out->root, root, PROTO_HASH_LEN);
    memcpy(out->prev, prev, PROTO_HASH_LEN);
    return VOCFED_OK;
}

static int
s_encode_body(const void *in, proto_buf_t *body)
{
    const proto_checkpoint_t *cp = in;
    size_t alen = strnlen(cp->author, sizeof cp->author);
    if (cp->version != PROTO_CHECKPOINT_VERSION ||
        !proto_id_valid(cp->author, alen))
        return VOCFED_EINVALID;
    msgpack_packer pk;
    msgpack_packer_init(&pk, body, proto_buf_msgpack_write);
    if (msgpack_pack_array(&pk, 6) || msgpack_pack_uint64(&pk, cp->version) ||
        msgpack_pack_str(&pk, alen) ||
        msgpack_pack_str_body(&pk, cp->author, alen) ||
        msgpack_pack_uint64(&pk, cp->size) ||
        msgpack_pack_bin(&pk, PROTO_HASH_LEN) ||
        msgpack_pack_bin_body(&pk, cp->root, PROTO_HASH_LEN) ||
        msgpack_pack_uint64(&pk, cp->time_ms) ||
        msgpack_pack_bin(&pk, PROTO_HASH_LEN) ||
        msgpack_pack_bin_body(&pk, cp->prev, PROTO_HASH_LEN))
        return VOCFED_ENOMEM;
    return VOCFED_OK;
}

static const proto_signed_form_t s_form = {
    .domain = PROTO_CHECKPOINT_SIG_DOMAIN,
    .max = PROTO_CHECKPOINT_MAX,
    .encode = s_encode_body,
    .decode = s_decode_body,
};

int
proto_checkpoint_sign(const proto_checkpoint_t *cp,
                      const uint8_t sk[PROTO_SECKEY_LEN], proto_buf_t *out)
{
    return proto_signed_sign(&s_form, cp, sk, out);
}

int
proto_checkpoint_open(const uint8_t *data, size_t len,
                      const uint8_t pk[PROTO_PUBKEY_LEN],
                      proto_checkpoint_t *out)
{
    return proto_signed_open(&s_form, data, len, pk, out);
}

int
proto_checkpoint_verify(const uint8_t *data, size_t len,
                        const uint8_t pk[PROTO_PUBKEY_LEN], const char *author,
                        uint64_t size, const uint8_t root[PROTO_HASH_LEN],
                        proto_checkpoint_t *out)
{
    int rc = proto_checkpoint_open(data, len, pk, out);
    if (rc)
        return rc;
    return proto_signed_expect(out->author, out->size, out->root, author, size,
                               root);
}

int
proto_checkpoint_peek(const uint8_t *data, size_t len, proto_checkpoint_t *out)
{
    return proto_signed_peek(&s_form, data, len, out);
}

int
proto_checkpoint_hash(const uint8_t *data, size_t len,
                      uint8_t out[PROTO_HASH_LEN])
{
    const uint8_t *body, *sig;
    size_t body_len;
    int rc = proto_signed_split(data, len, PROTO_CHECKPOINT_MAX, &body,
                                &body_len, &sig);
    if (rc)
        return rc;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, PROTO_HASH_LEN);
    crypto_generichash_update(&st,
                              (const uint8_t *)PROTO_CHECKPOINT_HASH_DOMAIN,
                              sizeof PROTO_CHECKPOINT_HASH_DOMAIN);
    crypto_generichash_update(&st, body, body_len);
    crypto_generichash_final(&st, out, PROTO_HASH_LEN);
    return VOCFED_OK;
}
