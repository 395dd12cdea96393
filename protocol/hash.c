/* vocfed: tree hashing with domain separation (SPEC 2). */
#include "protocol/hash.h"
#include "protocol/status.h"

#include <sodium.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void
proto_hash(proto_hash_alg_t alg, const uint8_t *data, size_t len,
           uint8_t out[PROTO_HASH_LEN])
{
    if (alg == PROTO_HASH_SHA256)
        crypto_hash_sha256(out, data, len);
    else
        proto_blake2b256(NULL, 0, data, len, out);
}

void
proto_hash_leaf(proto_hash_alg_t alg, const uint8_t *data, size_t len,
                uint8_t out[PROTO_HASH_LEN])
{
    static const uint8_t prefix = 0x00;
    if (alg == PROTO_HASH_SHA256) {
        crypto_hash_sha256_state st;
        crypto_hash_sha256_init(&st);
        crypto_hash_sha256_update(&st, &prefix, 1);
        crypto_hash_sha256_update(&st, data, len);
        crypto_hash_sha256_final(&st, out);
    } else {
        proto_blake2b256(&prefix, 1, data, len, out);
    }
}

void
proto_hash_node(proto_hash_alg_t alg, const uint8_t left[PROTO_HASH_LEN],
                const uint8_t right[PROTO_HASH_LEN],
                uint8_t out[PROTO_HASH_LEN])
{
    uint8_t buf[1 + 2 * PROTO_HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, PROTO_HASH_LEN);
    memcpy(buf + 1 + PROTO_HASH_LEN, right, PROTO_HASH_LEN);
    proto_hash(alg, buf, sizeof buf, out);
}

void
proto_hex(const uint8_t *bin, size_t len, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[bin[i] >> 4];
        hex[2 * i + 1] = digits[bin[i] & 15];
    }
    hex[2 * len] = '\0';
}

/* 1 + a lowercase hex digit's value, 0 for any other byte. */
static const uint8_t s_lower[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};

/* Eight characters at a time (SWAR): 0x80 in each byte of the result
 * that is a lowercase hex digit, 0 in the others. Each byte added to
 * stays below 0x100 (the bytes are below 0x80, checked, and each
 * constant too), so no carry crosses into the next byte. */
#define S_ONES 0x0101010101010101ull
#define S_HIGH 0x8080808080808080ull

static uint64_t
s_hex8_ok(uint64_t w)
{
    uint64_t ascii = ~w & S_HIGH; /* a byte >= 0x80 is none */
    uint64_t x = w & ~S_HIGH;
    uint64_t ge0 = x + 0x50 * S_ONES, gt9 = x + 0x46 * S_ONES;
    uint64_t gea = x + 0x1f * S_ONES, gtf = x + 0x19 * S_ONES;
    return ascii & ((ge0 & ~gt9) | (gea & ~gtf)) & S_HIGH;
}

static uint64_t
s_load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w); /* the first character in the low byte */
#endif
    return w;
}

#ifdef __SSE2__
/* Sixteen characters at a time (SSE2, every x86-64): *val gets each
 * one's digit value (meaningless where it is none); returns a mask of
 * 16 bits, one set for each character that is a lowercase hex digit. A
 * byte of 0x80 or more is negative to the signed compares and falls in
 * neither range. */
static unsigned
s_hex16(const char *s, __m128i *val)
{
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
    __m128i let = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('a' - 1)),
                                _mm_cmplt_epi8(c, _mm_set1_epi8('f' + 1)));
    /* A digit's value: its low four bits, + 9 for a letter ('a' is 0x61). */
    *val = _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(0x0f)),
                        _mm_and_si128(let, _mm_set1_epi8(9)));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(dig, let));
}

/* The eight bytes of sixteen digit values, each in the low byte of its
 * 16-bit lane: the first digit of a pair (the lower address) is the
 * high nibble. */
static __m128i
s_pairs(__m128i val)
{
    __m128i hi = _mm_and_si128(_mm_slli_epi16(val, 4), _mm_set1_epi16(0x00f0));
    return _mm_or_si128(hi, _mm_srli_epi16(val, 8));
}
#endif

bool
proto_hex_lower_valid(const char *s, size_t len)
{
    unsigned bad = 0;
    size_t i = 0;
#ifdef __SSE2__
    for (__m128i v; i + 16 <= len; i += 16)
        bad |= s_hex16(s + i, &v) != 0xffffu;
#endif
    for (; i + 8 <= len; i += 8)
        bad |= s_hex8_ok(s_load8(s + i)) != S_HIGH;
    for (; i < len; i++)
        bad |= s_lower[(uint8_t)s[i]] == 0;
    return !bad;
}

bool
proto_unhex_lower(const char *hex, uint8_t *bin, size_t len)
{
    unsigned bad = 0;
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= len; i += 16) { /* 32 digits, 16 bytes */
        __m128i a, b;
        bad |= s_hex16(hex + 2 * i, &a) != 0xffffu;
        bad |= s_hex16(hex + 2 * i + 16, &b) != 0xffffu;
        _mm_storeu_si128((__m128i *)(void *)(bin + i),
                         _mm_packus_epi16(s_pairs(a), s_pairs(b)));
    }
#endif
    for (; i + 4 <= len; i += 4) { /* eight digits, four bytes */
        uint64_t w = s_load8(hex + 2 * i);
        bad |= s_hex8_ok(w) != S_HIGH;
        /* A digit's value: its low four bits, + 9 for a letter (0x40). */
        uint64_t n = (w & 0x0f * S_ONES) + ((w >> 6) & S_ONES) * 9;
        /* Pairs of digits into bytes, then the four bytes together: the
         * first digit of a pair is the high nibble. */
        n = ((n << 4) | (n >> 8)) & 0x00ff00ff00ff00ffull;
        n = (n | n >> 8) & 0x0000ffff0000ffffull;
        uint32_t v = (uint32_t)(n | n >> 16); /* the first byte lowest */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap32(v);
#endif
        memcpy(bin + i, &v, 4);
    }
    for (; i < len; i++) {
        unsigned hi = s_lower[(uint8_t)hex[2 * i]];
        unsigned lo = s_lower[(uint8_t)hex[2 * i + 1]];
        bad |= (hi == 0) | (lo == 0);
        bin[i] = (uint8_t)((hi - 1) << 4 | ((lo - 1) & 15));
    }
    return !bad;
}

static int
s_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
proto_unhex(const char *hex, uint8_t *bin, size_t len)
{
    if (strlen(hex) != 2 * len)
        return VOCFED_EMALFORMED;
    for (size_t i = 0; i < len; i++) {
        int hi = s_nibble(hex[2 * i]), lo = s_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return VOCFED_EMALFORMED;
        bin[i] = (uint8_t)(hi << 4 | lo);
    }
    return VOCFED_OK;
}
