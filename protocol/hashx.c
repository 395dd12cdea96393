/* vocfed: BLAKE2b of our own (hash.h): the tree's hashes several at a
 * time (proto_hash_leaves, proto_hash_pairs), and a keyed hash of short
 * messages whose key's block is compressed once (proto_hash_keyed).
 *
 * BLAKE2b (RFC 7693) of one short message is a chain of dependent
 * operations on 64-bit words: libsodium's AVX2 code spends ~180 ns on a
 * 128-byte block here, and the coordinator and the import hash three or
 * four blocks an entry. Eight independent messages, word j of each in
 * one lane of a 512-bit register, run the same operations eight wide
 * with nothing to permute (AVX-512F has the 64-bit rotate). Each lane is
 * plain BLAKE2b-256, unkeyed, digest length 32: the same bytes as
 * crypto_generichash, which test_hashx checks message by message.
 *
 * Lanes hold messages of different lengths: each lane's blocks are
 * compressed while the others idle under a mask; a lane's last block
 * carries its final flag and its own byte count. Processors without
 * AVX-512F (and valgrind, which hides it) take proto_hash_leaf and
 * proto_hash_node one message at a time, and so do calls of one or two
 * messages: a lane group costs about as much as three blocks alone.
 *
 * The keyed hash is plain C, one block: libsodium's keyed state holds
 * the key's block uncompressed, so each copy of it (a pseudonym a row)
 * compressed two blocks; here the chaining value after the key's block
 * is kept, and a message of up to 128 bytes costs one (~125 ns against
 * ~365 here). Its working words are wiped after each message. */
#include "protocol/hash.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define S_LANES_X86 1
#include <immintrin.h>
#endif

#define S_BLOCK 128

static const uint64_t s_iv[8] = {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull,
                                 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
                                 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
                                 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};

static const uint8_t s_sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

/* Parameter block word 0 for an unkeyed 32-byte digest, fanout and depth
 * 1 (RFC 7693 2.5). */
#define S_PARAM0 0x01010020ull

/* ---- one message at a time: plain C ------------------------------------ */

static uint64_t
s_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
#else
    uint64_t w = 0;
    for (int i = 7; i >= 0; i--)
        w = w << 8 | p[i];
    return w;
#endif
}

#define S_ROR(x, n) ((x) >> (n) | (x) << (64 - (n)))
#define S_G1(a, b, c, d, x, y)                                                 \
    do {                                                                       \
        a = a + b + (x);                                                       \
        d = S_ROR(d ^ a, 32);                                                  \
        c = c + d;                                                             \
        b = S_ROR(b ^ c, 24);                                                  \
        a = a + b + (y);                                                       \
        d = S_ROR(d ^ a, 16);                                                  \
        c = c + d;                                                             \
        b = S_ROR(b ^ c, 63);                                                  \
    } while (0)

/* Compresses one block into h (RFC 7693 3.2): t bytes through it, last
 * its final flag; wipe: its working words are zeroed after (a keyed
 * hash's). */
static void
s_compress1(uint64_t h[8], const uint8_t blk[S_BLOCK], uint64_t t, bool last,
            bool wipe)
{
    uint64_t m[16], v[16];
    for (int w = 0; w < 16; w++)
        m[w] = s_le64(blk + 8 * w);
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = s_iv[i];
    }
    v[12] ^= t;
    if (last)
        v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = s_sigma[r];
        S_G1(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
        S_G1(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
        S_G1(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
        S_G1(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
        S_G1(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
        S_G1(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
        S_G1(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
        S_G1(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++)
        h[i] ^= v[i] ^ v[i + 8];
    if (wipe) { /* the keyed hash's: a person's number */
        sodium_memzero(m, sizeof m);
        sodium_memzero(v, sizeof v);
    }
}

/* The first outlen bytes of h, little-endian, into out. */
static void
s_digest(const uint64_t h[8], uint8_t *out, size_t outlen)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(out, h, outlen);
#else
    for (size_t i = 0; i < outlen; i++)
        out[i] = (uint8_t)(h[i / 8] >> (8 * (i % 8)));
#endif
}

/* Fills tmp with bytes start .. start + n - 1 (n <= S_BLOCK) of
 * pre || data (prelen and then data's bytes), zero-padded to a block. */
static void
s_fill(uint8_t tmp[S_BLOCK], const uint8_t *pre, size_t prelen,
       const uint8_t *data, size_t start, size_t n)
{
    size_t p = start < prelen ? prelen - start : 0; /* of pre */
    if (p > n)
        p = n;
    memset(tmp, 0, S_BLOCK);
    if (p)
        memcpy(tmp, pre + start, p);
    if (n > p)
        memcpy(tmp + p, data + (start + p - prelen), n - p);
}

void
proto_blake2b256(const uint8_t *pre, size_t prelen, const uint8_t *data,
                 size_t len, uint8_t out[PROTO_HASH_LEN])
{
    uint64_t h[8];
    uint8_t tmp[S_BLOCK];
    size_t total = prelen + len;
    size_t nbl = total ? (total + S_BLOCK - 1) / S_BLOCK : 1;
    for (int i = 0; i < 8; i++)
        h[i] = s_iv[i];
    h[0] ^= S_PARAM0;
    for (size_t bl = 0; bl < nbl; bl++) {
        size_t start = bl * S_BLOCK;
        size_t n = total - start < S_BLOCK ? total - start : S_BLOCK;
        const uint8_t *src = tmp;
        if (start >= prelen && n == S_BLOCK)
            src = data + (start - prelen); /* a whole block of data */
        else
            s_fill(tmp, pre, prelen, data, start, n);
        s_compress1(h, src, start + n, bl + 1 == nbl, false);
    }
    s_digest(h, out, PROTO_HASH_LEN);
}

void
proto_hash_keyed_init(proto_hash_keyed_t *k, const uint8_t *key, size_t klen,
                      size_t outlen)
{
    uint8_t blk[S_BLOCK] = {0};
    assert(klen >= 1 && klen <= 64 && outlen >= 1 && outlen <= 64);
    memcpy(blk, key, klen);
    for (int i = 0; i < 8; i++)
        k->h[i] = s_iv[i];
    k->h[0] ^= 0x01010000ull | (uint64_t)klen << 8 | (uint64_t)outlen;
    k->outlen = outlen;
    s_compress1(k->h, blk, S_BLOCK, false, true);
    sodium_memzero(blk, sizeof blk);
}

void
proto_hash_keyed(const proto_hash_keyed_t *k, const uint8_t *msg, size_t len,
                 uint8_t *out)
{
    uint64_t h[8];
    uint8_t blk[S_BLOCK] = {0}, o[64];
    assert(len >= 1 && len <= S_BLOCK); /* one block, not the key's alone */
    memcpy(h, k->h, sizeof h);
    memcpy(blk, msg, len < S_BLOCK ? len : S_BLOCK);
    s_compress1(h, blk, S_BLOCK + len, true, true);
    s_digest(h, o, k->outlen);
    memcpy(out, o, k->outlen);
    sodium_memzero(h, sizeof h);
    sodium_memzero(blk, sizeof blk);
    sodium_memzero(o, sizeof o);
}

#ifdef S_LANES_X86

#define S_LANES 8

/* One lane group's blocks: word w of lane i at m[w][i]; the byte count
 * through this block (t) and the final flag (f) per lane. */
typedef struct {
    uint64_t m[16][S_LANES];
    uint64_t t[S_LANES];
    uint64_t f[S_LANES];
} s_blocks_t;

#define S_G(a, b, c, d, x, y)                                                  \
    do {                                                                       \
        a = _mm512_add_epi64(_mm512_add_epi64(a, b), x);                       \
        d = _mm512_ror_epi64(_mm512_xor_si512(d, a), 32);                      \
        c = _mm512_add_epi64(c, d);                                            \
        b = _mm512_ror_epi64(_mm512_xor_si512(b, c), 24);                      \
        a = _mm512_add_epi64(_mm512_add_epi64(a, b), y);                       \
        d = _mm512_ror_epi64(_mm512_xor_si512(d, a), 16);                      \
        c = _mm512_add_epi64(c, d);                                            \
        b = _mm512_ror_epi64(_mm512_xor_si512(b, c), 63);                      \
    } while (0)

/* Compresses each active lane's block into its state h (RFC 7693 3.2);
 * with wipe (the keyed hash's: persons' numbers) zeroes its copy of the
 * blocks after. Inlined into s_compress8 and s_compress8_wipe, so that
 * the leaves' copy stays in registers. */
__attribute__((target("avx512f"), always_inline)) static inline void
s_compress8_body(uint64_t h[8][S_LANES], const s_blocks_t *b, unsigned active,
                 bool wipe)
{
    __m512i m[16];
    for (int w = 0; w < 16; w++)
        m[w] = _mm512_loadu_si512(b->m[w]);
    __m512i v0 = _mm512_loadu_si512(h[0]), v1 = _mm512_loadu_si512(h[1]);
    __m512i v2 = _mm512_loadu_si512(h[2]), v3 = _mm512_loadu_si512(h[3]);
    __m512i v4 = _mm512_loadu_si512(h[4]), v5 = _mm512_loadu_si512(h[5]);
    __m512i v6 = _mm512_loadu_si512(h[6]), v7 = _mm512_loadu_si512(h[7]);
    __m512i v8 = _mm512_set1_epi64((long long)s_iv[0]);
    __m512i v9 = _mm512_set1_epi64((long long)s_iv[1]);
    __m512i v10 = _mm512_set1_epi64((long long)s_iv[2]);
    __m512i v11 = _mm512_set1_epi64((long long)s_iv[3]);
    __m512i v12 = _mm512_xor_si512(_mm512_set1_epi64((long long)s_iv[4]),
                                   _mm512_loadu_si512(b->t));
    __m512i v13 = _mm512_set1_epi64((long long)s_iv[5]); /* t's high word: 0 */
    __m512i v14 = _mm512_xor_si512(_mm512_set1_epi64((long long)s_iv[6]),
                                   _mm512_loadu_si512(b->f));
    __m512i v15 = _mm512_set1_epi64((long long)s_iv[7]);
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = s_sigma[r];
        S_G(v0, v4, v8, v12, m[s[0]], m[s[1]]);
        S_G(v1, v5, v9, v13, m[s[2]], m[s[3]]);
        S_G(v2, v6, v10, v14, m[s[4]], m[s[5]]);
        S_G(v3, v7, v11, v15, m[s[6]], m[s[7]]);
        S_G(v0, v5, v10, v15, m[s[8]], m[s[9]]);
        S_G(v1, v6, v11, v12, m[s[10]], m[s[11]]);
        S_G(v2, v7, v8, v13, m[s[12]], m[s[13]]);
        S_G(v3, v4, v9, v14, m[s[14]], m[s[15]]);
    }
    __mmask8 k = (__mmask8)active;
    __m512i x[8] = {_mm512_xor_si512(v0, v8),  _mm512_xor_si512(v1, v9),
                    _mm512_xor_si512(v2, v10), _mm512_xor_si512(v3, v11),
                    _mm512_xor_si512(v4, v12), _mm512_xor_si512(v5, v13),
                    _mm512_xor_si512(v6, v14), _mm512_xor_si512(v7, v15)};
    for (int i = 0; i < 8; i++) {
        __m512i old = _mm512_loadu_si512(h[i]);
        _mm512_storeu_si512(
            h[i], _mm512_mask_mov_epi64(old, k, _mm512_xor_si512(old, x[i])));
    }
    if (wipe) {
        sodium_memzero(m, sizeof m);
        sodium_memzero(x, sizeof x);
    }
}

__attribute__((target("avx512f"))) static void
s_compress8(uint64_t h[8][S_LANES], const s_blocks_t *b, unsigned active)
{
    s_compress8_body(h, b, active, false);
}

__attribute__((target("avx512f"))) static void
s_compress8_wipe(uint64_t h[8][S_LANES], const s_blocks_t *b, unsigned active)
{
    s_compress8_body(h, b, active, true);
}

/* Whether this processor (and its system) runs AVX-512F. */
static bool
s_wide(void)
{
    return __builtin_cpu_supports("avx512f");
}

/* A message of the lane group: prefix, then len bytes at data. */
typedef struct {
    uint8_t prefix;
    const uint8_t *data;
    size_t len;
} s_msg_t;

/* Puts lane i's block bl (the bytes prefix || data from bl * 128 on,
 * zero-padded) into b, with its count and flag. */
static void
s_block(s_blocks_t *b, unsigned i, const s_msg_t *x, size_t bl, size_t nbl)
{
    uint8_t tmp[S_BLOCK];
    size_t total = 1 + x->len; /* bytes of the message, the prefix in it */
    size_t start = bl * S_BLOCK;
    size_t n = total - start < S_BLOCK ? total - start : S_BLOCK;
    s_fill(tmp, &x->prefix, 1, x->data, start, n);
    for (int w = 0; w < 16; w++)
        memcpy(&b->m[w][i], tmp + 8 * w, 8); /* little-endian words */
    b->t[i] = start + n;
    b->f[i] = bl + 1 == nbl ? ~0ull : 0;
}

/* out[i] = BLAKE2b-256 of message i, for k <= S_LANES messages. */
static void
s_group(const s_msg_t *x, unsigned k, uint8_t (*out)[PROTO_HASH_LEN])
{
    uint64_t h[8][S_LANES];
    size_t nbl[S_LANES] = {0}, most = 0;
    s_blocks_t b;
    memset(&b, 0, sizeof b);
    for (int j = 0; j < 8; j++)
        for (unsigned i = 0; i < S_LANES; i++)
            h[j][i] = s_iv[j] ^ (j == 0 ? S_PARAM0 : 0);
    for (unsigned i = 0; i < k; i++) {
        nbl[i] = (1 + x[i].len + S_BLOCK - 1) / S_BLOCK;
        if (nbl[i] > most)
            most = nbl[i];
    }
    for (size_t bl = 0; bl < most; bl++) {
        unsigned active = 0;
        for (unsigned i = 0; i < k; i++)
            if (bl < nbl[i]) {
                s_block(&b, i, &x[i], bl, nbl[i]);
                active |= 1u << i;
            }
        s_compress8(h, &b, active);
    }
    for (unsigned i = 0; i < k; i++)
        for (int j = 0; j < 4; j++)
            memcpy(out[i] + 8 * j, &h[j][i], 8);
}

/* Keyed messages k_n <= S_LANES of one block each (proto_hash_keyed),
 * the chaining value after the key's block in every lane; wipes them. */
static void
s_keyed_group(const proto_hash_keyed_t *k, const uint8_t *const *msg,
              const size_t *len, unsigned n, uint8_t *out)
{
    uint64_t h[8][S_LANES];
    s_blocks_t b;
    uint8_t tmp[S_BLOCK], o[64];
    memset(&b, 0, sizeof b);
    for (int j = 0; j < 8; j++)
        for (unsigned i = 0; i < S_LANES; i++)
            h[j][i] = k->h[j];
    for (unsigned i = 0; i < n; i++) {
        s_fill(tmp, NULL, 0, msg[i], 0, len[i]);
        for (int w = 0; w < 16; w++)
            memcpy(&b.m[w][i], tmp + 8 * w, 8); /* little-endian words */
        b.t[i] = S_BLOCK + len[i];
        b.f[i] = ~0ull;
    }
    s_compress8_wipe(h, &b, (1u << n) - 1);
    for (unsigned i = 0; i < n; i++) {
        for (int j = 0; j < 8; j++)
            memcpy(o + 8 * j, &h[j][i], 8);
        memcpy(out + i * k->outlen, o, k->outlen);
    }
    sodium_memzero(h, sizeof h);
    sodium_memzero(&b, sizeof b);
    sodium_memzero(tmp, sizeof tmp);
    sodium_memzero(o, sizeof o);
}

#endif /* S_LANES_X86 */

void
proto_hash_keyed_many(const proto_hash_keyed_t *k, size_t n,
                      const uint8_t *const *msg, const size_t *len,
                      uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        assert(len[i] >= 1 && len[i] <= S_BLOCK);
#ifdef S_LANES_X86
    if (n > 2 && s_wide()) {
        for (size_t at = 0; at < n; at += S_LANES) {
            unsigned g = n - at < S_LANES ? (unsigned)(n - at) : S_LANES;
            s_keyed_group(k, msg + at, len + at, g, out + at * k->outlen);
        }
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        proto_hash_keyed(k, msg[i], len[i], out + i * k->outlen);
}

void
proto_hash_leaves(size_t n, const uint8_t *const *data, const size_t *len,
                  uint8_t (*out)[PROTO_HASH_LEN])
{
#ifdef S_LANES_X86
    if (n > 2 && s_wide()) {
        s_msg_t x[S_LANES];
        for (size_t at = 0; at < n; at += S_LANES) {
            unsigned k = n - at < S_LANES ? (unsigned)(n - at) : S_LANES;
            for (unsigned i = 0; i < k; i++)
                x[i] = (s_msg_t){0x00, data[at + i], len[at + i]};
            s_group(x, k, out + at);
        }
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, data[i], len[i], out[i]);
}

void
proto_hash_pairs(size_t n, const uint8_t (*in)[PROTO_HASH_LEN],
                 uint8_t (*out)[PROTO_HASH_LEN])
{
#ifdef S_LANES_X86
    if (n > 2 && s_wide()) {
        s_msg_t x[S_LANES];
        uint8_t buf[S_LANES][2 * PROTO_HASH_LEN];
        for (size_t at = 0; at < n; at += S_LANES) {
            unsigned k = n - at < S_LANES ? (unsigned)(n - at) : S_LANES;
            /* read whole before out is written: out may be in */
            for (unsigned i = 0; i < k; i++) {
                memcpy(buf[i], in[2 * (at + i)], 2 * PROTO_HASH_LEN);
                x[i] = (s_msg_t){0x01, buf[i], sizeof buf[i]};
            }
            s_group(x, k, out + at);
        }
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        proto_hash_node(PROTO_HASH_BLAKE2B256, in[2 * i], in[2 * i + 1],
                        out[i]);
}
