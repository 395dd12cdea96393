/* vocfed: the golden vectors' key pairs for the fuzz targets (fuzz.h). */
#include "tests/fuzz/fuzz.h"

#include "protocol/checkpoint.h"

#include <sodium.h>
#include <stdbool.h>

/* Both key pairs, made once. */
static struct {
    bool made;                         /* filled */
    uint8_t cp_pk[PROTO_PUBKEY_LEN];   /* checkpoint_pubkey.hex */
    uint8_t cp_sk[PROTO_SECKEY_LEN];   /* its secret key */
    uint8_t rcpt_pk[PROTO_PUBKEY_LEN]; /* receipt_pubkey.hex */
    uint8_t rcpt_sk[PROTO_SECKEY_LEN]; /* its secret key */
} s_keys;

static void
s_make(void)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    if (s_keys.made)
        return;
    FZ_CHECK(sodium_init() >= 0);
    for (size_t i = 0; i < sizeof seed; i++)
        seed[i] = (uint8_t)i;
    crypto_sign_seed_keypair(s_keys.cp_pk, s_keys.cp_sk, seed);
    for (size_t i = 0; i < sizeof seed; i++)
        seed[i] = (uint8_t)(0x20 + i);
    crypto_sign_seed_keypair(s_keys.rcpt_pk, s_keys.rcpt_sk, seed);
    s_keys.made = true;
}

const uint8_t *
fz_checkpoint_pk(void)
{
    s_make();
    return s_keys.cp_pk;
}

const uint8_t *
fz_checkpoint_sk(void)
{
    s_make();
    return s_keys.cp_sk;
}

const uint8_t *
fz_receipt_pk(void)
{
    s_make();
    return s_keys.rcpt_pk;
}

const uint8_t *
fz_receipt_sk(void)
{
    s_make();
    return s_keys.rcpt_sk;
}

const uint8_t *
fz_linkage_key(void)
{
    /* "a linkage key for the fuzzer" and zeros. */
    static const uint8_t key[32] = "a linkage key for the fuzzer";
    return key;
}
