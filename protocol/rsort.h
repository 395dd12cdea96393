/* vocfed: a stable sort for records that lead with their key's first
 * bytes as big-endian words: a radix sort on those bytes, most
 * significant first, with protocol/msort.h's merge sort for what they
 * leave in order (the applier's chunk keys and the figures' working set:
 * the merge sort's comparisons were a tenth of the applier's time, perf,
 * issue 11).
 *
 *   PROTO_RSORT(name, type, ctx_type, before, field, words)
 *
 * defines (with PROTO_MSORT(name##_merge, ...), which it uses)
 *
 *   static void name(ctx_type ctx, type *a, type *tmp, size_t n);
 *
 * which sorts the n records at a as PROTO_MSORT(.., before) would, through
 * tmp (room for n records). `field` names a uint64_t array of `words`
 * words in each record: the first 8 * words bytes of its key, big-endian,
 * so that comparing the words as unsigned integers, first to last, is
 * comparing those bytes. before must agree with them: x goes before y
 * whenever x's words are less. It decides the order of records whose
 * words are equal, and keeps the order of those it does not separate.
 *
 * The records are dealt into 256 groups by the first byte of the words
 * in which they differ (found in one pass that compares each record's
 * words with the first's: the bytes they all share cost nothing more),
 * and each group again by its own first such byte; a group of at most
 * 32, or whose words are all equal, goes to the merge sort. A byte is
 * dealt in one pass to count and one to move, and a group is dealt at
 * most 8 * words times: O(n * 8 * words) whatever the keys, which members
 * choose, but for the merge sort's O(m log m) of m records equal in all
 * their words; far fewer passes when the keys are random or share their
 * leading bytes. Not a public header of any layer: a template. */
#ifndef VOCFED_PROTOCOL_RSORT_H
#define VOCFED_PROTOCOL_RSORT_H

#include "protocol/msort.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* w[0 .. n) = the first 8 * n bytes of the len bytes at k, big-endian,
 * zero-padded past len (n at most 4): what a record leads with. One load
 * a word, not a shift a byte (the shifts were 2.7% of the applier's
 * instructions, callgrind). */
static inline void
proto_rsort_words(uint64_t *w, unsigned n, const uint8_t *k, size_t len)
{
    uint8_t b[32] = {0};
    if (len) /* k may be NULL then */
        memcpy(b, k, len < 8 * n ? len : 8 * n);
    for (unsigned i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, b + 8 * i, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        w[i] = v;
    }
}

/* Byte b (0 first) of the words at w. */
#define PROTO_RSORT_BYTE(w, b)                                                 \
    ((unsigned)((w)[(b) >> 3] >> (56 - 8 * ((b)&7))) & 0xffu)

#define PROTO_RSORT(name, type, ctx_type, before, field, words)                \
    PROTO_MSORT(name##_merge, type, ctx_type, before)                          \
    static void name##_deal(ctx_type ctx, type *a, type *tmp, size_t n)        \
    {                                                                          \
        uint64_t diff[(words)] = {0};                                          \
        for (size_t i = 1; i < n && n > 32; i++)                               \
            for (unsigned w = 0; w < (words); w++)                             \
                diff[w] |= a[i].field[w] ^ a[0].field[w];                      \
        unsigned b = 0;                                                        \
        while (b < (words) && !diff[b])                                        \
            b++;                                                               \
        if (b == (words)) { /* 32 or fewer, or equal words */                  \
            name##_merge(ctx, a, tmp, n);                                      \
            return;                                                            \
        }                                                                      \
        b = 8 * b + (unsigned)__builtin_clzll(diff[b]) / 8; /* the byte */     \
        size_t cnt[256] = {0}, sum = 0;                                        \
        for (size_t i = 0; i < n; i++)                                         \
            cnt[PROTO_RSORT_BYTE(a[i].field, b)]++;                            \
        for (unsigned d = 0; d < 256; d++) { /* where group d begins */        \
            size_t c = cnt[d];                                                 \
            cnt[d] = sum;                                                      \
            sum += c;                                                          \
        }                                                                      \
        for (size_t i = 0; i < n; i++) /* ... then where it ends */            \
            tmp[cnt[PROTO_RSORT_BYTE(a[i].field, b)]++] = a[i];                \
        memcpy(a, tmp, n * sizeof *a);                                         \
        for (size_t d = 0, lo = 0; d < 256; lo = cnt[d++])                     \
            if (cnt[d] - lo > 1)                                               \
                name##_deal(ctx, a + lo, tmp + lo, cnt[d] - lo);               \
    }                                                                          \
    static void name(ctx_type ctx, type *a, type *tmp, size_t n)               \
    {                                                                          \
        if (n > 1)                                                             \
            name##_deal(ctx, a, tmp, n);                                       \
    }

#endif
