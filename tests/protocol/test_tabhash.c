/* The tables' key hash (protocol/tabhash.h): it reads exactly the bytes
 * it is given, depends on every one of them, and on the seed. */
#include "protocol/tabhash.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Every length from 0 to 80, each in a buffer of exactly that size
 * (ASan sees a read past it): the same bytes hash the same, and
 * changing any one byte changes the hash. */
static void
test_every_byte_counts(void **state)
{
    (void)state;
    for (size_t len = 0; len <= 80; len++) {
        uint8_t *b = malloc(len ? len : 1);
        assert_non_null(b);
        for (size_t i = 0; i < len; i++)
            b[i] = (uint8_t)(i * 7 + len);
        uint64_t h = proto_tabhash(42, b, len);
        assert_int_equal(proto_tabhash(42, b, len), h);
        for (size_t i = 0; i < len; i++) {
            b[i] ^= 1;
            assert_int_not_equal(proto_tabhash(42, b, len), h);
            b[i] ^= 1;
        }
        free(b);
    }
}

/* A key and the same key with a zero byte more hash apart: the length
 * is part of the hash (a pseudo_id's trailing zero bytes are bytes). */
static void
test_length_counts(void **state)
{
    (void)state;
    uint8_t z[16] = {0};
    for (size_t len = 0; len < sizeof z; len++)
        assert_int_not_equal(proto_tabhash(7, z, len),
                             proto_tabhash(7, z, len + 1));
}

/* The seed changes the hash, and where keys fall in a table. */
static void
test_seed_counts(void **state)
{
    (void)state;
    const char *k = "0123456789abcdef";
    assert_int_not_equal(proto_tabhash(1, k, 16), proto_tabhash(2, k, 16));
    /* Slots of 1,000 distinct keys in a 1,024-slot table: two seeds
     * place them differently (a fixed placement would let a member
     * aim every key at one chain). */
    size_t same = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        char key[24];
        memcpy(key, "pseudo-id-", 10);
        memcpy(key + 10, &i, sizeof i);
        same += (proto_tabhash(1, key, 14) & 1023) ==
                (proto_tabhash(2, key, 14) & 1023);
    }
    assert_true(same < 20);
    uint64_t s1 = proto_tabhash_seed(), s2 = proto_tabhash_seed();
    assert_int_not_equal(s1, s2);
}

/* One step of the hash as tabhash.c takes it, to build a collision. */
static uint64_t
s_step(uint64_t h, uint64_t w, uint64_t seed)
{
    h = (h ^ w ^ seed) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

/* A member that knew the seed could make two keys of two words collide
 * (choose the second word to undo the first step's difference); one
 * that does not cannot carry such a pair from one seed to another. The
 * test builds the pair under seed s and checks it collides there and
 * under no other of 1,000 seeds. Had the first step cancelled the seed,
 * the pair would collide under every seed. */
static void
test_collision_stays_with_its_seed(void **state)
{
    (void)state;
    const uint64_t s = 0x5eed, len0 = 16 * 0x9e3779b97f4a7c15ull;
    uint64_t a[2] = {1, 1000}, b[2] = {2, 0};
    b[1] = s_step(len0, a[0], s) ^ a[1] ^ s_step(len0, b[0], s);
    assert_int_equal(proto_tabhash(s, a, 16), proto_tabhash(s, b, 16));
    size_t collide = 0;
    for (uint64_t seed = 1; seed <= 1000; seed++)
        collide += seed != s &&
                   proto_tabhash(seed, a, 16) == proto_tabhash(seed, b, 16);
    assert_int_equal(collide, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_byte_counts),
        cmocka_unit_test(test_length_counts),
        cmocka_unit_test(test_seed_counts),
        cmocka_unit_test(test_collision_stays_with_its_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
