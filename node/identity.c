/* vocfed: key file handling (SPEC 7). */
#include "node/identity.h"

#include <sodium.h>
#include <stdio.h>

static int
s_path(const char *dir, char *path, size_t cap)
{
    int n = snprintf(path, cap, "%s/%s", dir, NODE_KEY_FILE);
    return n < 0 || (size_t)n >= cap ? VOCFED_ETOOLARGE : VOCFED_OK;
}

int
node_identity_create(const char *dir, uint8_t pk[PROTO_PUBKEY_LEN])
{
    char path[4096];
    int rc = s_path(dir, path, sizeof path);
    if (rc)
        return rc;
    if (sodium_init() < 0)
        return VOCFED_ENOMEM;
    uint8_t *sk = sodium_malloc(PROTO_SECKEY_LEN);
    if (!sk)
        return VOCFED_ENOMEM;
    crypto_sign_keypair(pk, sk);
    rc = node_secret_write(path, sk, PROTO_SECKEY_LEN);
    sodium_free(sk); /* wipes */
    return rc;
}

int
node_identity_load(const char *dir, const uint8_t *expected_pk, uint8_t **out)
{
    char path[4096];
    uint8_t *sk = NULL;
    int rc = s_path(dir, path, sizeof path);
    if (rc)
        return rc;
    if (sodium_init() < 0)
        return VOCFED_ENOMEM;
    sk = sodium_malloc(PROTO_SECKEY_LEN);
    if (!sk)
        return VOCFED_ENOMEM;
    if ((rc = node_secret_read(path, sk, PROTO_SECKEY_LEN)))
        goto done;
    /* The public half is stored in the secret key; check it is really
     * the pair of the seed, and the key the store expects. */
    uint8_t pk[PROTO_PUBKEY_LEN];
    if (crypto_sign_ed25519_sk_to_pk(pk, sk) != 0) {
        rc = VOCFED_EKEY;
        goto done;
    }
    {
        uint8_t seed[crypto_sign_SEEDBYTES], pk2[PROTO_PUBKEY_LEN];
        uint8_t *sk2 = sodium_malloc(PROTO_SECKEY_LEN);
        if (!sk2) {
            rc = VOCFED_ENOMEM;
            goto done;
        }
        crypto_sign_ed25519_sk_to_seed(seed, sk);
        crypto_sign_seed_keypair(pk2, sk2, seed);
        sodium_memzero(seed, sizeof seed);
        sodium_free(sk2);
        if (sodium_memcmp(pk, pk2, PROTO_PUBKEY_LEN) != 0)
            rc = VOCFED_EKEY;
    }
    if (!rc && expected_pk &&
        sodium_memcmp(pk, expected_pk, PROTO_PUBKEY_LEN) != 0)
        rc = VOCFED_EKEY;
    if (!rc) {
        sodium_mprotect_readonly(sk);
        *out = sk;
        sk = NULL;
    }
done:
    if (sk)
        sodium_free(sk);
    return rc;
}

void
node_secret_free(uint8_t **p)
{
    if (p && *p) {
        sodium_free(*p); /* wipes */
        *p = NULL;
    }
}

void
node_identity_free(uint8_t **sk)
{
    node_secret_free(sk);
}

int
node_identity_curve(const uint8_t *sk, uint8_t curve_pk[PROTO_PUBKEY_LEN],
                    uint8_t *curve_sk)
{
    uint8_t pk[PROTO_PUBKEY_LEN];
    if (crypto_sign_ed25519_sk_to_pk(pk, sk) != 0 ||
        crypto_sign_ed25519_pk_to_curve25519(curve_pk, pk) != 0 ||
        crypto_sign_ed25519_sk_to_curve25519(curve_sk, sk) != 0)
        return VOCFED_EKEY;
    return VOCFED_OK;
}

int
node_pubkey_curve(const uint8_t ed_pk[PROTO_PUBKEY_LEN],
                  uint8_t curve_pk[PROTO_PUBKEY_LEN])
{
    return crypto_sign_ed25519_pk_to_curve25519(curve_pk, ed_pk) == 0
               ? VOCFED_OK
               : VOCFED_EKEY;
}
