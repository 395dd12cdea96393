/* The radix sort template (protocol/rsort.h): for keys of every shape a
 * member can make (random, sharing their leading bytes, equal in all the
 * words and told apart only by the comparison, all equal, longer than the
 * words), it gives what a stable sort by the comparison gives; and the
 * words proto_rsort_words makes of a key. */
#include "protocol/rsort.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_KEY 40 /* bytes of a key: more than the words hold */

typedef struct {
    uint64_t w[2];      /* its first 16 bytes, big-endian */
    const uint8_t *key; /* S_KEY bytes */
    uint32_t at;        /* where it was before the sort */
} s_rec_t;

static int s_merged; /* records the comparison saw, to tell the paths apart */

/* By the whole key; equal keys keep their order (the sort is stable). */
static inline bool
s_before(const int *ctx, const s_rec_t *x, const s_rec_t *y)
{
    (void)ctx;
    s_merged++;
    return memcmp(x->key, y->key, S_KEY) < 0;
}

PROTO_RSORT(s_rsort, s_rec_t, const int *, s_before, w, 2)

/* The reference: the whole key, then the place before. */
static int
s_ref_cmp(const void *a, const void *b)
{
    const s_rec_t *x = a, *y = b;
    int d = memcmp(x->key, y->key, S_KEY);
    return d ? d : (x->at > y->at) - (x->at < y->at);
}

static uint64_t s_rng = 88172645463325252ull;

static uint64_t
s_next(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

/* The key shapes. */
enum { S_RANDOM, S_PREFIX, S_TAIL, S_EQUAL, S_FEW, S_SHAPES };

static void
s_fill(uint8_t *k, int shape, size_t i)
{
    memset(k, 0, S_KEY);
    switch (shape) {
    case S_RANDOM: /* every byte random */
        for (size_t j = 0; j < S_KEY; j++)
            k[j] = (uint8_t)s_next();
        break;
    case S_PREFIX: /* 13 bytes shared, then a number (as a person's) */
        memcpy(k, "i|school-one|", 13);
        k[13] = (uint8_t)(s_next() % 3);
        k[14] = (uint8_t)s_next();
        k[15] = (uint8_t)s_next();
        break;
    case S_TAIL: /* the words all equal: only bytes past them differ */
        memset(k, 0x41, 16);
        k[16 + s_next() % 24] = (uint8_t)s_next();
        break;
    case S_EQUAL: /* every key the same: the order must not move */
        memset(k, 0x7f, S_KEY);
        break;
    case S_FEW: /* a few distinct keys, many times each */
        k[0] = (uint8_t)(s_next() % 4);
        k[9] = (uint8_t)(s_next() % 4);
        k[30] = (uint8_t)(s_next() % 4);
        break;
    }
    (void)i;
}

static void
s_check(int shape, size_t n)
{
    uint8_t *keys = malloc(n * S_KEY + 1);
    s_rec_t *a = malloc((2 * n + 1) * sizeof *a);
    s_rec_t *ref = malloc((n + 1) * sizeof *ref);
    assert_non_null(keys);
    assert_non_null(a);
    assert_non_null(ref);
    for (size_t i = 0; i < n; i++) {
        uint8_t *k = keys + i * S_KEY;
        s_fill(k, shape, i);
        a[i].w[0] = a[i].w[1] = 0;
        for (int j = 0; j < 16; j++)
            a[i].w[j / 8] = a[i].w[j / 8] << 8 | k[j];
        a[i].key = k;
        a[i].at = (uint32_t)i;
    }
    memcpy(ref, a, n * sizeof *a);
    qsort(ref, n, sizeof *ref, s_ref_cmp);
    s_rsort(NULL, a, a + n, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(a[i].at, ref[i].at);
    free(ref);
    free(a);
    free(keys);
}

static void
test_every_shape(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 100, 257, 5000, 70000};
    for (int shape = 0; shape < S_SHAPES; shape++)
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            s_check(shape, sizes[i]);
}

/* Keys told apart by their words are dealt, not compared: 70,000 random
 * ones see the comparison a few times each (the merge sort alone makes
 * ~16 comparisons a record), and 70,000 equal in their words go through
 * it whole. */
static void
test_words_deal(void **state)
{
    (void)state;
    s_merged = 0;
    s_check(S_RANDOM, 70000);
    assert_true(s_merged < 8 * 70000);
    s_merged = 0;
    s_check(S_TAIL, 70000);
    assert_true(s_merged > 12 * 70000);
}

/* proto_rsort_words gives the words the byte-wise definition gives: the
 * first 8 * n bytes of the key, big-endian, zeros past its length (and
 * never a byte past it: the key is followed by 0xff here). */
static void
test_words(void **state)
{
    (void)state;
    uint8_t buf[48];
    for (size_t len = 0; len <= 40; len++)
        for (unsigned n = 1; n <= 4; n++) {
            for (size_t j = 0; j < sizeof buf; j++)
                buf[j] = j < len ? (uint8_t)s_next() : 0xff;
            uint64_t w[4] = {0}, want[4] = {0};
            proto_rsort_words(w, n, buf, len);
            for (size_t j = 0; j < 8 * n; j++)
                want[j / 8] = want[j / 8] << 8 | (j < len ? buf[j] : 0);
            for (unsigned i = 0; i < n; i++)
                assert_true(w[i] == want[i]);
        }
    const uint8_t k[3] = {0x01, 0x02, 0x03}; /* a value, not a mirror */
    uint64_t w[2] = {1, 1};
    proto_rsort_words(w, 1, k, sizeof k);
    assert_true(w[0] == 0x0102030000000000ull);
    proto_rsort_words(w, 2, NULL, 0); /* an empty key: zeros, nothing read */
    assert_true(w[0] == 0 && w[1] == 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shape),
        cmocka_unit_test(test_words_deal),
        cmocka_unit_test(test_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
