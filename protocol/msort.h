/* vocfed: a stable merge sort for arrays of one record type, with its
 * comparison inlined (the applier sorts a chunk's keys and the figures'
 * working set with it: qsort's call per comparison and copy through
 * memcpy were a tenth of the applier, perf and callgrind, issue 11).
 *
 *   PROTO_MSORT(name, type, ctx_type, before)
 *
 * defines
 *
 *   static void name(ctx_type ctx, type *a, type *tmp, size_t n);
 *
 * which sorts the n records at a by before(ctx, &x, &y) (true: x goes
 * first), keeping the order of records neither goes before, through tmp
 * (room for n records). Runs of 16 are put in order by insertion, then
 * merged from the bottom up: O(n log n) whatever the keys, which members
 * choose. Not a public header of any layer: a template. */
#ifndef VOCFED_PROTOCOL_MSORT_H
#define VOCFED_PROTOCOL_MSORT_H

#include <stddef.h>
#include <string.h>

#define PROTO_MSORT(name, type, ctx_type, before)                              \
    static void name(ctx_type ctx, type *a, type *tmp, size_t n)               \
    {                                                                          \
        for (size_t lo = 0; lo < n; lo += 16) {                                \
            size_t hi = lo + 16 < n ? lo + 16 : n;                             \
            for (size_t i = lo + 1; i < hi; i++) {                             \
                type x = a[i];                                                 \
                size_t j = i;                                                  \
                for (; j > lo && before(ctx, &x, &a[j - 1]); j--)              \
                    a[j] = a[j - 1];                                           \
                a[j] = x;                                                      \
            }                                                                  \
        }                                                                      \
        type *src = a, *dst = tmp;                                             \
        for (size_t w = 16; w < n; w *= 2) {                                   \
            for (size_t lo = 0; lo < n; lo += 2 * w) {                         \
                size_t mid = lo + w < n ? lo + w : n;                          \
                size_t hi = lo + 2 * w < n ? lo + 2 * w : n;                   \
                size_t i = lo, j = mid, k = lo;                                \
                while (i < mid && j < hi)                                      \
                    dst[k++] =                                                 \
                        before(ctx, &src[j], &src[i]) ? src[j++] : src[i++];   \
                while (i < mid)                                                \
                    dst[k++] = src[i++];                                       \
                while (j < hi)                                                 \
                    dst[k++] = src[j++];                                       \
            }                                                                  \
            type *t = src;                                                     \
            src = dst;                                                         \
            dst = t;                                                           \
        }                                                                      \
        if (src != a)                                                          \
            memcpy(a, src, n * sizeof *a);                                     \
    }

#endif
