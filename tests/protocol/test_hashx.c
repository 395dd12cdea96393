/* Our BLAKE2b (protocol/hashx.c) against libsodium's. The one-message
 * hashes (proto_hash, proto_hash_leaf, proto_hash_node) for every length
 * to eight blocks. The tree's hashes several at a time: for messages of
 * every length up to a few blocks, in groups of every size and with
 * lengths mixed in a group (each lane of its own length); a level of a
 * tree made in place is the one made pair by pair. Each message sits at
 * the end of its own allocation: a read past it is ASan's. Where the
 * processor lacks AVX-512F the lanes' functions go one by one and this
 * checks that; CI's machines have it (the lanes checked). And the keyed
 * hash with its key's block compressed once, for every key length,
 * digest length and message length it takes (1 to 128), one message at
 * a time and in groups (proto_hash_keyed_many). */
#include "protocol/hash.h"
#include "protocol/merkle.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#define S_MAX 40 /* messages in one call, at most: five lane groups */

static uint64_t s_rng = 0x9e3779b97f4a7c15ull;

static uint32_t
s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 16);
}

/* libsodium's BLAKE2b-256 of prefix || data: the reference. */
static void
s_ref(uint8_t prefix, bool has_prefix, const uint8_t *data, size_t len,
      uint8_t out[PROTO_HASH_LEN])
{
    crypto_generichash_state st;
    assert_int_equal(crypto_generichash_init(&st, NULL, 0, PROTO_HASH_LEN), 0);
    if (has_prefix)
        assert_int_equal(crypto_generichash_update(&st, &prefix, 1), 0);
    assert_int_equal(crypto_generichash_update(&st, data, len), 0);
    assert_int_equal(crypto_generichash_final(&st, out, PROTO_HASH_LEN), 0);
}

/* n messages of the lengths in len, each at the end of its allocation,
 * hashed both ways. */
static void
s_check_leaves(size_t n, const size_t *len)
{
    uint8_t *msg[S_MAX] = {0};
    const uint8_t *data[S_MAX] = {0};
    uint8_t got[S_MAX][PROTO_HASH_LEN], want[PROTO_HASH_LEN];
    for (size_t i = 0; i < n; i++) {
        msg[i] = malloc(len[i] ? len[i] : 1);
        assert_non_null(msg[i]);
        for (size_t j = 0; j < len[i]; j++)
            msg[i][j] = (uint8_t)s_rand();
        data[i] = len[i] ? msg[i] : NULL;
    }
    memset(got, 0xAA, sizeof got);
    proto_hash_leaves(n, data, len, got);
    for (size_t i = 0; i < n; i++) {
        s_ref(0x00, true, msg[i], len[i], want);
        assert_memory_equal(got[i], want, PROTO_HASH_LEN);
    }
    assert_true(n == S_MAX || got[n][0] == 0xAA); /* nothing past n */
    for (size_t i = 0; i < n; i++)
        free(msg[i]);
}

/* Every length from 0 to three blocks and a byte, each alone and eight
 * of the same length (one full lane group). */
static void
test_leaves_every_length(void **state)
{
    (void)state;
    size_t len[S_MAX];
    for (size_t l = 0; l <= 3 * 128 + 1; l++) {
        len[0] = l;
        s_check_leaves(1, len);
        for (size_t i = 0; i < 8; i++)
            len[i] = l;
        s_check_leaves(8, len);
    }
}

/* Groups of every size up to S_MAX, the lengths in each mixed: each
 * lane runs its own number of blocks, and a lane's last block is its
 * own (the 127/128 edges: the prefix byte makes 128 data bytes two
 * blocks), next to lanes with many more. */
static void
test_leaves_mixed(void **state)
{
    (void)state;
    static const size_t edges[] = {0,   1,   126, 127,  128, 129,
                                   254, 255, 256, 1000, 4095};
    size_t len[S_MAX];
    for (int round = 0; round < 200; round++)
        for (size_t n = 0; n <= S_MAX; n++) {
            for (size_t i = 0; i < n; i++)
                len[i] = s_rand() % 3 ? edges[s_rand() % 11] : s_rand() % 700;
            s_check_leaves(n, len);
        }
}

/* Levels of pairs: against proto_hash_node, into another array and in
 * place, and four levels up from 16 leaves against the subtree hash of
 * the same leaves. */
static void
test_pairs(void **state)
{
    (void)state;
    uint8_t in[2 * S_MAX][PROTO_HASH_LEN], out[S_MAX][PROTO_HASH_LEN];
    uint8_t want[PROTO_HASH_LEN], copy[2 * S_MAX][PROTO_HASH_LEN];
    for (int round = 0; round < 50; round++)
        for (size_t n = 0; n <= S_MAX; n++) {
            for (size_t i = 0; i < 2 * n; i++)
                for (size_t j = 0; j < PROTO_HASH_LEN; j++)
                    in[i][j] = (uint8_t)s_rand();
            memcpy(copy, in, sizeof in);
            proto_hash_pairs(n, (const uint8_t(*)[PROTO_HASH_LEN])in, out);
            proto_hash_pairs(n, (const uint8_t(*)[PROTO_HASH_LEN])copy, copy);
            for (size_t i = 0; i < n; i++) {
                uint8_t buf[2 * PROTO_HASH_LEN];
                memcpy(buf, in[2 * i], PROTO_HASH_LEN);
                memcpy(buf + PROTO_HASH_LEN, in[2 * i + 1], PROTO_HASH_LEN);
                s_ref(0x01, true, buf, sizeof buf, want);
                assert_memory_equal(out[i], want, PROTO_HASH_LEN);
                assert_memory_equal(copy[i], want, PROTO_HASH_LEN);
            }
        }
    uint8_t leaves[16][PROTO_HASH_LEN], root[PROTO_HASH_LEN];
    for (size_t i = 0; i < 16; i++)
        for (size_t j = 0; j < PROTO_HASH_LEN; j++)
            leaves[i][j] = (uint8_t)s_rand();
    assert_int_equal(proto_merkle_subtree_hash(
                         PROTO_HASH_BLAKE2B256,
                         (const uint8_t(*)[PROTO_HASH_LEN])leaves, 4, root),
                     0);
    for (size_t n = 8; n >= 1; n /= 2)
        proto_hash_pairs(n, (const uint8_t(*)[PROTO_HASH_LEN])leaves, leaves);
    assert_memory_equal(leaves[0], root, PROTO_HASH_LEN);
}

/* The one-message hashes (hash.c over proto_blake2b256) against
 * libsodium: every length from 0 to eight blocks and a few bytes, the
 * message at the end of its allocation; a node from its two halves. */
static void
test_one_by_one(void **state)
{
    (void)state;
    uint8_t want[PROTO_HASH_LEN], got[PROTO_HASH_LEN];
    for (size_t len = 0; len <= 8 * 128 + 3; len++) {
        uint8_t *msg = malloc(len ? len : 1);
        assert_non_null(msg);
        for (size_t j = 0; j < len; j++)
            msg[j] = (uint8_t)s_rand();
        s_ref(0, false, msg, len, want);
        proto_hash(PROTO_HASH_BLAKE2B256, msg, len, got);
        assert_memory_equal(got, want, PROTO_HASH_LEN);
        s_ref(0x00, true, msg, len, want);
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, msg, len, got);
        assert_memory_equal(got, want, PROTO_HASH_LEN);
        uint8_t pre = (uint8_t)s_rand();
        s_ref(pre, true, msg, len, want);
        proto_blake2b256(&pre, 1, msg, len, got);
        assert_memory_equal(got, want, PROTO_HASH_LEN);
        if (len == 64) {
            s_ref(0x01, true, msg, len, want);
            proto_hash_node(PROTO_HASH_BLAKE2B256, msg, msg + 32, got);
            assert_memory_equal(got, want, PROTO_HASH_LEN);
        }
        free(msg);
    }
}

/* proto_hash_keyed against crypto_generichash: keys of 1 to 64 bytes,
 * digests of 1 to 64, messages of 1 to 128 (each at the end of its
 * allocation), one key's state used for many messages. */
static void
test_keyed(void **state)
{
    (void)state;
    uint8_t key[64], want[64], got[64];
    for (size_t klen = 1; klen <= 64; klen++)
        for (size_t outlen = 1; outlen <= 64; outlen += klen % 2 ? 7 : 31) {
            for (size_t j = 0; j < klen; j++)
                key[j] = (uint8_t)s_rand();
            proto_hash_keyed_t k;
            proto_hash_keyed_init(&k, key, klen, outlen);
            for (size_t len = 1; len <= 128; len++) {
                uint8_t *msg = malloc(len);
                assert_non_null(msg);
                for (size_t j = 0; j < len; j++)
                    msg[j] = (uint8_t)s_rand();
                memset(got, 0xAA, sizeof got);
                proto_hash_keyed(&k, msg, len, got);
                assert_int_equal(
                    crypto_generichash(want, outlen, msg, len, key, klen), 0);
                assert_memory_equal(got, want, outlen);
                assert_true(outlen == 64 || got[outlen] == 0xAA);
                free(msg);
            }
            sodium_memzero(&k, sizeof k);
        }
}

/* proto_hash_keyed_many against crypto_generichash: groups of every
 * size up to S_MAX, each message of its own length from 1 to 128 (the
 * lengths around a word's and the block's edges among them), each at the
 * end of its allocation; a digest of 32 bytes (the pseudonyms') and one
 * of 17; nothing written past the last digest. */
static void
test_keyed_many(void **state)
{
    (void)state;
    static const size_t outlens[] = {32, 17};
    uint8_t key[32], want[64];
    for (size_t j = 0; j < sizeof key; j++)
        key[j] = (uint8_t)s_rand();
    for (size_t o = 0; o < sizeof outlens / sizeof *outlens; o++) {
        size_t outlen = outlens[o];
        proto_hash_keyed_t k;
        proto_hash_keyed_init(&k, key, sizeof key, outlen);
        for (int round = 0; round < 40; round++)
            for (size_t n = 1; n <= S_MAX; n++) {
                uint8_t *msg[S_MAX];
                const uint8_t *m[S_MAX];
                size_t len[S_MAX];
                uint8_t got[S_MAX * 32 + 1];
                for (size_t i = 0; i < n; i++) {
                    static const size_t edge[] = {1, 7, 8, 9, 18, 127, 128};
                    len[i] =
                        s_rand() % 3 ? 1 + s_rand() % 128 : edge[s_rand() % 7];
                    msg[i] = malloc(len[i]);
                    assert_non_null(msg[i]);
                    for (size_t j = 0; j < len[i]; j++)
                        msg[i][j] = (uint8_t)s_rand();
                    m[i] = msg[i];
                }
                memset(got, 0xAA, sizeof got);
                proto_hash_keyed_many(&k, n, m, len, got);
                for (size_t i = 0; i < n; i++) {
                    assert_int_equal(crypto_generichash(want, outlen, msg[i],
                                                        len[i], key,
                                                        sizeof key),
                                     0);
                    assert_memory_equal(got + i * outlen, want, outlen);
                    free(msg[i]);
                }
                assert_int_equal(got[n * outlen], 0xAA);
            }
        sodium_memzero(&k, sizeof k);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaves_every_length),
        cmocka_unit_test(test_leaves_mixed),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_keyed),
        cmocka_unit_test(test_keyed_many),
        cmocka_unit_test(test_one_by_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
