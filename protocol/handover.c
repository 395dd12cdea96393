/* vocfed: the key handover entry (SPEC 3.4). */
#include "protocol/handover.h"
#include "protocol/hash.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

bool
proto_handover_is(const proto_entry_t *e)
{
    return e->kind_len == strlen(PROTO_HANDOVER_KIND) &&
           memcmp(e->kind, PROTO_HANDOVER_KIND, e->kind_len) == 0;
}

/* A point libsodium can use as an Ed25519 key (and CURVE as X25519). */
static bool
s_point_valid(const uint8_t pk[PROTO_PUBKEY_LEN])
{
    uint8_t curve[crypto_scalarmult_curve25519_BYTES];
    return crypto_sign_ed25519_pk_to_curve25519(curve, pk) == 0;
}

static int
s_bad(char *why, size_t cap, const char *text)
{
    if (why && cap)
        snprintf(why, cap, "%s", text);
    return VOCFED_EBADRECORD;
}

int
proto_handover_key(const proto_entry_t *e, const char *author,
                   uint8_t pk[PROTO_PUBKEY_LEN], char *why, size_t cap)
{
    proto_body_iter_t it;
    proto_field_t f;
    size_t alen = strlen(author);
    if (!proto_handover_is(e) || e->op != PROTO_OP_PUT || !e->body)
        return s_bad(why, cap, "a key handover is a put of key_handover");
    if (e->key_len != alen || memcmp(e->key, author, alen) != 0 ||
        e->author_len != alen || memcmp(e->author, author, alen) != 0)
        return s_bad(why, cap, "a key handover names its own author's id only");
    if (proto_body_iter_init(&it, e->body, e->body_len) || it.remaining != 1 ||
        proto_body_iter_next(&it, &f) != 1 ||
        f.name_len != strlen(PROTO_HANDOVER_FIELD) ||
        memcmp(f.name, PROTO_HANDOVER_FIELD, f.name_len) != 0 ||
        f.value.type != PROTO_VAL_STR || f.value.slen != 2 * PROTO_PUBKEY_LEN)
        return s_bad(why, cap,
                     "a key handover's body is {pubkey: 64 hex digits}");
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    memcpy(hex, f.value.s, f.value.slen);
    hex[f.value.slen] = 0;
    if (!proto_unhex_lower(hex, pk, PROTO_PUBKEY_LEN))
        return s_bad(why, cap,
                     "a key handover's pubkey is not 64 lowercase hex digits");
    if (!s_point_valid(pk))
        return s_bad(why, cap,
                     "a key handover's pubkey is not a valid Ed25519 key");
    return VOCFED_OK;
}

int
proto_handover_body(const uint8_t pk[PROTO_PUBKEY_LEN], proto_buf_t *out)
{
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    if (!s_point_valid(pk))
        return VOCFED_EINVALID;
    proto_hex(pk, PROTO_PUBKEY_LEN, hex);
    proto_field_t f = {
        PROTO_HANDOVER_FIELD,
        strlen(PROTO_HANDOVER_FIELD),
        {.type = PROTO_VAL_STR, .s = hex, .slen = strlen(hex)},
    };
    return proto_body_encode(&f, 1, out);
}
