/* Tests for protocol/checkpoint (SPEC 4): sign and open with a fixed
 * seed key, forged and damaged checkpoints (wrong key, root, size or
 * author; spliced signatures; every bit flipped; no domain prefix; every
 * truncation; non-canonical or malformed forms signed validly), the
 * checkpoint hash against an independent computation, and the golden
 * vector tests/vectors/checkpoint.hex. */
#include "protocol/checkpoint.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

/* Largest hand-made or vector input, in bytes. */
#define S_BYTES_MAX 1024

/* The golden checkpoint's root and checkpoint hash, computed apart from
 * this code with Python's hashlib.blake2b(digest_size=32) over the
 * entry vectors and the checkpoint body. */
static const char s_golden_root[] =
    "abc6335716950dcface0d9f9c5122c64d6ee553fb39e8068378949e41e12d9de";
static const char s_golden_hash[] =
    "dc39be0e724128071f83c2648a42020b66cfa260757456ca9bc3ea6359d24660";

/* ---- helpers ---------------------------------------------------------- */

typedef struct {
    uint8_t pk[PROTO_PUBKEY_LEN]; /* public key */
    uint8_t sk[PROTO_SECKEY_LEN]; /* libsodium secret key: seed || pk */
} s_key_t;

/* The key whose seed is the bytes first, first + 1, ... first + 31. */
static void
s_key(s_key_t *k, uint8_t first)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    for (size_t i = 0; i < sizeof seed; i++)
        seed[i] = (uint8_t)(first + i);
    assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
}

/* Parses hex digits, skipping spaces, into out. Returns the byte count. */
static size_t
s_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    char pair[3] = {0};
    int have = 0;
    for (const char *p = hex; *p; p++) {
        if (*p == ' ')
            continue;
        pair[have++] = *p;
        if (have == 2) {
            assert_true(n < cap);
            assert_int_equal(proto_unhex(pair, &out[n], 1), VOCFED_OK);
            n++;
            have = 0;
        }
    }
    assert_int_equal(have, 0);
    return n;
}

static void
s_put(proto_buf_t *b, const void *data, size_t len)
{
    assert_int_equal(proto_buf_append(b, data, len), VOCFED_OK);
}

static void
s_put_hex(proto_buf_t *b, const char *hex)
{
    uint8_t tmp[S_BYTES_MAX];
    s_put(b, tmp, s_hex(hex, tmp, sizeof tmp));
}

/* Appends a bin8 of n bytes of value v, written by hand. */
static void
s_put_bin_fill(proto_buf_t *b, uint8_t v, size_t n)
{
    uint8_t h[2] = {0xc4, (uint8_t)n};
    assert_true(n < 256);
    s_put(b, h, 2);
    for (size_t i = 0; i < n; i++)
        s_put(b, &v, 1);
}

/* Reads tests/vectors/<name>: one line of lowercase hex. */
static size_t
s_read_vector(const char *name, uint8_t *out, size_t cap)
{
    char path[512], text[2 * S_BYTES_MAX + 2];
    int w = snprintf(path, sizeof path, "%s/tests/vectors/%s",
                     VOCFED_SOURCE_DIR, name);
    assert_true(w > 0 && (size_t)w < sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    assert_true(n % 2 == 0 && n / 2 <= cap);
    for (size_t i = 0; i < n; i++)
        assert_true((text[i] >= '0' && text[i] <= '9') ||
                    (text[i] >= 'a' && text[i] <= 'f'));
    assert_int_equal(proto_unhex(text, out, n / 2), VOCFED_OK);
    return n / 2;
}

/* The checkpoint most tests start from. */
static proto_checkpoint_t
s_cp(void)
{
    proto_checkpoint_t cp;
    memset(&cp, 0, sizeof cp);
    cp.version = PROTO_CHECKPOINT_VERSION;
    memcpy(cp.author, "aqvtc", 6);
    cp.size = 2;
    memset(cp.root, 0xaa, sizeof cp.root);
    cp.time_ms = 1767225600001ull;
    memset(cp.prev, 0x55, sizeof cp.prev);
    return cp;
}

static void
s_assert_cp_equal(const proto_checkpoint_t *a, const proto_checkpoint_t *b)
{
    assert_true(a->version == b->version);
    assert_string_equal(a->author, b->author);
    assert_true(a->size == b->size);
    assert_memory_equal(a->root, b->root, PROTO_HASH_LEN);
    assert_true(a->time_ms == b->time_ms);
    assert_memory_equal(a->prev, b->prev, PROTO_HASH_LEN);
}

/* Finds body and signature in a signed form this code made: 92, bin8
 * body, bin8 of 64. */
static void
s_parts(const uint8_t *form, size_t len, const uint8_t **body, size_t *body_len,
        const uint8_t **sig)
{
    assert_true(len > 3);
    assert_int_equal(form[0], 0x92);
    assert_int_equal(form[1], 0xc4);
    *body = form + 3;
    *body_len = form[2];
    assert_int_equal(len, 3 + *body_len + 2 + PROTO_SIG_LEN);
    assert_int_equal(form[3 + *body_len], 0xc4);
    assert_int_equal(form[4 + *body_len], PROTO_SIG_LEN);
    *sig = form + 5 + *body_len;
}

/* Writes the signed form [bin body, bin sig] by hand. */
static void
s_wrap(const uint8_t *body, size_t body_len, const uint8_t *sig,
       proto_buf_t *out)
{
    uint8_t h[3] = {0x92, 0xc4, (uint8_t)body_len};
    assert_true(body_len < 256);
    s_put(out, h, 3);
    s_put(out, body, body_len);
    h[0] = 0xc4;
    h[1] = PROTO_SIG_LEN;
    s_put(out, h, 2);
    s_put(out, sig, PROTO_SIG_LEN);
}

/* Signs prefix || body (prefix_len bytes of prefix) and wraps it. */
static void
s_sign_raw(const uint8_t *body, size_t body_len, const char *prefix,
           size_t prefix_len, const s_key_t *k, proto_buf_t *out)
{
    uint8_t msg[S_BYTES_MAX], sig[PROTO_SIG_LEN];
    assert_true(prefix_len + body_len <= sizeof msg);
    memcpy(msg, prefix, prefix_len);
    memcpy(msg + prefix_len, body, body_len);
    assert_int_equal(
        crypto_sign_detached(sig, NULL, msg, prefix_len + body_len, k->sk), 0);
    s_wrap(body, body_len, sig, out);
}

/* Signs body with the real domain (SPEC 4.2) and wraps it. */
static void
s_sign_body(const uint8_t *body, size_t body_len, const s_key_t *k,
            proto_buf_t *out)
{
    s_sign_raw(body, body_len, PROTO_CHECKPOINT_SIG_DOMAIN,
               sizeof PROTO_CHECKPOINT_SIG_DOMAIN, k, out);
}

/* ---- hand-made bodies --------------------------------------------------- */

/* A body made of 7 parts: array header, the 6 elements, trailing bytes.
 * NULL keeps the default, which is s_cp() with prev 0x55... and root
 * 0xaa... */
#define S_PARTS 8
#define S_H32(x) x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x
static const char *const s_default_part[S_PARTS] = {
    "96",                         /* array of 6 */
    "01",                         /* version */
    "a5 61 71 76 74 63",          /* "aqvtc" */
    "02",                         /* size */
    "c4 20" S_H32(" aa"),         /* root */
    "cf 00 00 01 9b 76 da a8 01", /* time */
    "c4 20" S_H32(" 55"),         /* prev */
    "",                           /* nothing after */
};

typedef struct {
    const char *what;          /* shown when the case fails */
    const char *part[S_PARTS]; /* overrides; NULL keeps the default */
    int want;                  /* what open, verify and peek answer */
} s_case_t;

static const s_case_t s_body_cases[] = {
    {"baseline", {NULL}, VOCFED_OK},
    {"version 2", {[1] = "02"}, VOCFED_EVERSION},
    {"version 0", {[1] = "00"}, VOCFED_EVERSION},
    {"version 2, array of 1",
     {[0] = "91", [1] = "02", [2] = "", [3] = "", [4] = "", [5] = "", [6] = ""},
     VOCFED_EVERSION},
    {"version 2, array of 7",
     {[0] = "97", [1] = "02", [7] = "c0"},
     VOCFED_EVERSION},
    {"version uint8 1", {[1] = "cc 01"}, VOCFED_ENONCANONICAL},
    {"version -1", {[1] = "ff"}, VOCFED_EMALFORMED},
    {"array of 0", {[0] = "90"}, VOCFED_EMALFORMED},
    {"array of 5", {[0] = "95", [6] = ""}, VOCFED_EMALFORMED},
    {"array of 7", {[0] = "97", [7] = "c0"}, VOCFED_EMALFORMED},
    {"array16 of 6", {[0] = "dc 00 06"}, VOCFED_ENONCANONICAL},
    {"a map", {[0] = "86"}, VOCFED_EMALFORMED},
    {"trailing byte", {[7] = "00"}, VOCFED_EMALFORMED},
    {"author empty", {[2] = "a0"}, VOCFED_EMALFORMED},
    {"author upper", {[2] = "a5 41 71 76 74 63"}, VOCFED_EMALFORMED},
    {"author slash", {[2] = "a3 61 2f 62"}, VOCFED_EMALFORMED},
    {"author str8", {[2] = "d9 05 61 71 76 74 63"}, VOCFED_ENONCANONICAL},
    {"author bad utf8", {[2] = "a2 c0 80"}, VOCFED_ENONCANONICAL},
    {"author a bin", {[2] = "c4 05 61 71 76 74 63"}, VOCFED_EMALFORMED},
    {"size 0", {[3] = "00"}, VOCFED_OK},
    {"size uint8 2", {[3] = "cc 02"}, VOCFED_ENONCANONICAL},
    {"size uint64 2",
     {[3] = "cf 00 00 00 00 00 00 00 02"},
     VOCFED_ENONCANONICAL},
    {"size int8 2", {[3] = "d0 02"}, VOCFED_ENONCANONICAL},
    {"size -1", {[3] = "ff"}, VOCFED_EMALFORMED},
    {"size float", {[3] = "ca 40 00 00 00"}, VOCFED_EMALFORMED},
    {"size nil", {[3] = "c0"}, VOCFED_EMALFORMED},
    {"root of 31", {[4] = "c4 1f" S_H32(" aa")}, VOCFED_EMALFORMED},
    {"root of 0", {[4] = "c4 00"}, VOCFED_EMALFORMED},
    {"root bin16", {[4] = "c5 00 20" S_H32(" aa")}, VOCFED_ENONCANONICAL},
    {"root a str", {[4] = "d9 20" S_H32(" 61")}, VOCFED_EMALFORMED},
    {"root runs past the end", {[4] = "c4 ff" S_H32(" aa")}, VOCFED_EMALFORMED},
    {"time uint32 1", {[5] = "ce 00 00 00 01"}, VOCFED_ENONCANONICAL},
    {"time 0", {[5] = "00"}, VOCFED_OK},
    {"time ext", {[5] = "d7 00 00 00 00 00 00 00 00 00"}, VOCFED_EMALFORMED},
    {"prev of 33", {[6] = "c4 21 00" S_H32(" 55")}, VOCFED_EMALFORMED},
    {"prev of 31", {[6] = "c4 1f" S_H32(" 55")}, VOCFED_EMALFORMED},
    {"prev nil", {[6] = "c0"}, VOCFED_EMALFORMED},
};

static void
s_body_from_parts(const s_case_t *c, proto_buf_t *out)
{
    for (size_t p = 0; p < S_PARTS; p++)
        s_put_hex(out, c->part[p] ? c->part[p] : s_default_part[p]);
}

/* ---- sign and open ------------------------------------------------------ */

static void
test_sign_open(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    proto_checkpoint_t cps[6];
    cps[0] = s_cp();
    cps[1] = s_cp();
    cps[1].size = 0;
    cps[1].time_ms = 0;
    memset(cps[1].prev, 0, PROTO_HASH_LEN);
    cps[2] = s_cp();
    cps[2].size = UINT64_MAX;
    cps[2].time_ms = UINT64_MAX;
    cps[3] = s_cp();
    memset(cps[3].author, 'z', PROTO_ID_MAX);
    cps[3].author[0] = '9';
    cps[3].author[PROTO_ID_MAX] = '\0';
    cps[4] = s_cp();
    memcpy(cps[4].author, "0", 2);
    cps[4].size = 128;
    cps[5] = s_cp();
    for (size_t i = 0; i < PROTO_HASH_LEN; i++) {
        cps[5].root[i] = (uint8_t)(i * 7);
        cps[5].prev[i] = (uint8_t)(255 - i);
    }

    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        proto_buf_t a, b;
        proto_checkpoint_t got;
        proto_buf_init(&a);
        proto_buf_init(&b);
        assert_int_equal(proto_checkpoint_sign(&cps[i], k.sk, &a), VOCFED_OK);
        assert_true(a.len <= PROTO_CHECKPOINT_MAX);

        /* Ed25519 is deterministic: the same checkpoint signs the same,
         * and sign appends after what the buffer holds. */
        s_put(&b, "\x01\x02", 2);
        assert_int_equal(proto_checkpoint_sign(&cps[i], k.sk, &b), VOCFED_OK);
        assert_int_equal(b.len, 2 + a.len);
        assert_memory_equal(b.data + 2, a.data, a.len);

        assert_int_equal(proto_checkpoint_open(a.data, a.len, k.pk, &got),
                         VOCFED_OK);
        s_assert_cp_equal(&got, &cps[i]);
        assert_int_equal(proto_checkpoint_peek(a.data, a.len, &got), VOCFED_OK);
        s_assert_cp_equal(&got, &cps[i]);
        assert_int_equal(proto_checkpoint_verify(a.data, a.len, k.pk,
                                                 cps[i].author, cps[i].size,
                                                 cps[i].root, &got),
                         VOCFED_OK);
        s_assert_cp_equal(&got, &cps[i]);

        /* The signature is over the exact body with the domain. */
        const uint8_t *body, *sig;
        size_t body_len;
        s_parts(a.data, a.len, &body, &body_len, &sig);
        uint8_t msg[S_BYTES_MAX];
        size_t d = sizeof PROTO_CHECKPOINT_SIG_DOMAIN;
        memcpy(msg, "vocfed/checkpoint/v1\0", d);
        memcpy(msg + d, body, body_len);
        assert_int_equal(
            crypto_sign_verify_detached(sig, msg, d + body_len, k.pk), 0);
        proto_buf_release(&a);
        proto_buf_release(&b);
    }
}

/* The body proto_checkpoint_sign writes is the one hand-made from
 * SPEC 4.1. */
static void
test_body_bytes(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    proto_checkpoint_t cp = s_cp();
    proto_buf_t a, want;
    proto_buf_init(&a);
    proto_buf_init(&want);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &a), VOCFED_OK);
    const uint8_t *body, *sig;
    size_t body_len;
    s_parts(a.data, a.len, &body, &body_len, &sig);
    s_body_from_parts(&s_body_cases[0], &want);
    assert_int_equal(body_len, want.len);
    assert_memory_equal(body, want.data, want.len);

    /* And signing the hand-made body by hand gives the same form. */
    proto_buf_t hand;
    proto_buf_init(&hand);
    s_sign_body(want.data, want.len, &k, &hand);
    assert_int_equal(hand.len, a.len);
    assert_memory_equal(hand.data, a.data, a.len);
    proto_buf_release(&a);
    proto_buf_release(&want);
    proto_buf_release(&hand);
}

static void
test_sign_refusals(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    proto_buf_t b;
    proto_buf_init(&b);
    proto_checkpoint_t cp = s_cp();

    cp.version = 2;
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_EINVALID);
    cp = s_cp();
    cp.version = 0;
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_EINVALID);
    cp = s_cp();
    cp.author[0] = '\0';
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_EINVALID);
    cp = s_cp();
    cp.author[0] = 'A';
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_EINVALID);
    /* No NUL in the author array at all: 33 valid characters. */
    cp = s_cp();
    memset(cp.author, 'a', sizeof cp.author);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_EINVALID);
    assert_int_equal(b.len, 0);
    proto_buf_release(&b);
}

/* ---- forged checkpoints ------------------------------------------------- */

static void
test_wrong_expectations(void **state)
{
    (void)state;
    s_key_t k, other;
    s_key(&k, 0);
    s_key(&other, 32);
    proto_checkpoint_t cp = s_cp(), got;
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_OK);

    assert_int_equal(proto_checkpoint_open(b.data, b.len, other.pk, &got),
                     VOCFED_EBADSIG);
    assert_int_equal(proto_checkpoint_verify(b.data, b.len, other.pk, "aqvtc",
                                             2, cp.root, &got),
                     VOCFED_EBADSIG);
    /* The signature is checked before anything the body claims. */
    uint8_t bad_root[PROTO_HASH_LEN];
    memcpy(bad_root, cp.root, PROTO_HASH_LEN);
    bad_root[PROTO_HASH_LEN - 1] ^= 1;
    assert_int_equal(proto_checkpoint_verify(b.data, b.len, other.pk, "x", 9,
                                             bad_root, &got),
                     VOCFED_EBADSIG);

    for (size_t i = 0; i < PROTO_HASH_LEN * 8; i++) {
        memcpy(bad_root, cp.root, PROTO_HASH_LEN);
        bad_root[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(proto_checkpoint_verify(b.data, b.len, k.pk, "aqvtc",
                                                 2, bad_root, &got),
                         VOCFED_EROOT);
    }
    static const uint64_t sizes[] = {0, 1, 3, 258, UINT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        assert_int_equal(proto_checkpoint_verify(b.data, b.len, k.pk, "aqvtc",
                                                 sizes[i], cp.root, &got),
                         VOCFED_ESEQGAP);
    static const char *const authors[] = {"aqvt", "aqvtcx", "aqvtd", "AQVTC",
                                          ""};
    for (size_t i = 0; i < sizeof authors / sizeof authors[0]; i++)
        assert_int_equal(proto_checkpoint_verify(b.data, b.len, k.pk,
                                                 authors[i], 2, cp.root, &got),
                         VOCFED_EAUTHOR);
    assert_int_equal(
        proto_checkpoint_verify(b.data, b.len, k.pk, "aqvtc", 2, cp.root, &got),
        VOCFED_OK);
    proto_buf_release(&b);
}

/* A valid signature over other bytes, put on this body. */
static void
test_spliced_signature(void **state)
{
    (void)state;
    s_key_t k, other;
    s_key(&k, 0);
    s_key(&other, 32);
    proto_checkpoint_t a = s_cp(), b = s_cp(), got;
    b.size = 3;
    proto_buf_t fa, fb, fo, spliced;
    proto_buf_init(&fa);
    proto_buf_init(&fb);
    proto_buf_init(&fo);
    proto_buf_init(&spliced);
    assert_int_equal(proto_checkpoint_sign(&a, k.sk, &fa), VOCFED_OK);
    assert_int_equal(proto_checkpoint_sign(&b, k.sk, &fb), VOCFED_OK);
    assert_int_equal(proto_checkpoint_sign(&a, other.sk, &fo), VOCFED_OK);
    const uint8_t *ba, *sa, *bb, *sb, *bo, *so;
    size_t la, lb, lo;
    s_parts(fa.data, fa.len, &ba, &la, &sa);
    s_parts(fb.data, fb.len, &bb, &lb, &sb);
    s_parts(fo.data, fo.len, &bo, &lo, &so);

    /* b's signature on a's body, and the other way round. */
    s_wrap(ba, la, sb, &spliced);
    assert_int_equal(
        proto_checkpoint_open(spliced.data, spliced.len, k.pk, &got),
        VOCFED_EBADSIG);
    assert_int_equal(proto_checkpoint_verify(spliced.data, spliced.len, k.pk,
                                             "aqvtc", 2, a.root, &got),
                     VOCFED_EBADSIG);
    proto_buf_reset(&spliced);
    s_wrap(bb, lb, sa, &spliced);
    assert_int_equal(
        proto_checkpoint_open(spliced.data, spliced.len, k.pk, &got),
        VOCFED_EBADSIG);

    /* The same body signed by another key, checked with ours. */
    assert_int_equal(la, lo);
    assert_memory_equal(ba, bo, la);
    proto_buf_reset(&spliced);
    s_wrap(ba, la, so, &spliced);
    assert_int_equal(
        proto_checkpoint_open(spliced.data, spliced.len, k.pk, &got),
        VOCFED_EBADSIG);
    assert_int_equal(
        proto_checkpoint_open(spliced.data, spliced.len, other.pk, &got),
        VOCFED_OK);

    /* An all-zero signature and an all-zero key. */
    uint8_t zero[PROTO_SIG_LEN] = {0};
    proto_buf_reset(&spliced);
    s_wrap(ba, la, zero, &spliced);
    assert_int_equal(
        proto_checkpoint_open(spliced.data, spliced.len, k.pk, &got),
        VOCFED_EBADSIG);
    assert_int_equal(proto_checkpoint_open(fa.data, fa.len, zero, &got),
                     VOCFED_EBADSIG);

    proto_buf_release(&fa);
    proto_buf_release(&fb);
    proto_buf_release(&fo);
    proto_buf_release(&spliced);
}

static void
test_bit_flips(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    proto_checkpoint_t cp = s_cp(), got;
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_OK);
    uint8_t *p = malloc(b.len);
    assert_non_null(p);
    for (size_t i = 0; i < b.len * 8; i++) {
        memcpy(p, b.data, b.len);
        p[i / 8] ^= (uint8_t)(1u << (i % 8));
        int rc = proto_checkpoint_open(p, b.len, k.pk, &got);
        if (rc == VOCFED_OK)
            fail_msg("bit %zu flipped still opens", i);
        assert_true(rc < 0);
        rc = proto_checkpoint_verify(p, b.len, k.pk, "aqvtc", 2, cp.root, &got);
        assert_true(rc < 0);
    }
    free(p);
    proto_buf_release(&b);
}

/* Signatures over the body without the domain, or with another one. */
static void
test_domain(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    proto_checkpoint_t cp = s_cp(), got;
    proto_buf_t b, f;
    proto_buf_init(&b);
    proto_buf_init(&f);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_OK);
    const uint8_t *body, *sig;
    size_t body_len;
    s_parts(b.data, b.len, &body, &body_len, &sig);

    static const struct {
        const char *prefix; /* signed before the body */
        size_t len;         /* its length, NUL included when counted */
        int want;           /* what open answers */
    } cases[] = {
        {"vocfed/checkpoint/v1", 21, VOCFED_OK},
        {"", 0, VOCFED_EBADSIG},
        {"vocfed/checkpoint/v1", 20, VOCFED_EBADSIG},
        {"\0", 1, VOCFED_EBADSIG},
        {"vocfed/checkpoint/v2", 21, VOCFED_EBADSIG},
        {"vocfed/checkpoint-hash/v1", 26, VOCFED_EBADSIG},
        {"vocfed/checkpoint/v1\0\0", 22, VOCFED_EBADSIG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proto_buf_reset(&f);
        s_sign_raw(body, body_len, cases[i].prefix, cases[i].len, &k, &f);
        assert_int_equal(proto_checkpoint_open(f.data, f.len, k.pk, &got),
                         cases[i].want);
        if (cases[i].want == VOCFED_OK) {
            assert_int_equal(f.len, b.len);
            assert_memory_equal(f.data, b.data, b.len);
        }
    }
    proto_buf_release(&b);
    proto_buf_release(&f);
}

static void
test_truncations(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    proto_checkpoint_t cp = s_cp(), got;
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_OK);
    uint8_t h[PROTO_HASH_LEN];
    for (size_t cut = 0; cut < b.len; cut++) {
        /* A copy of exactly cut bytes, so ASan sees any read past. */
        uint8_t *p = malloc(cut ? cut : 1);
        assert_non_null(p);
        memcpy(p, b.data, cut);
        int rc = proto_checkpoint_open(p, cut, k.pk, &got);
        if (rc == VOCFED_OK)
            fail_msg("cut at %zu opens", cut);
        assert_true(rc < 0);
        assert_true(proto_checkpoint_verify(p, cut, k.pk, "aqvtc", 2, cp.root,
                                            &got) < 0);
        assert_true(proto_checkpoint_peek(p, cut, &got) < 0);
        assert_true(proto_checkpoint_hash(p, cut, h) < 0);
        free(p);
    }
    proto_buf_release(&b);
}

/* The outer [bin, bin] in forms other than the canonical one. */
static void
test_outer_form(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    proto_checkpoint_t cp = s_cp(), got;
    proto_buf_t b, f;
    proto_buf_init(&b);
    proto_buf_init(&f);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &b), VOCFED_OK);
    const uint8_t *body, *sig;
    size_t body_len;
    s_parts(b.data, b.len, &body, &body_len, &sig);
    uint8_t blen = (uint8_t)body_len;

    enum {
        OUTER16,
        OUTER32,
        BODY16,
        BODY32,
        SIG16,
        SIG32,
        ONE,
        THREE,
        TRAIL,
        SIG63,
        SIG65,
        BODYSTR,
        MAP,
        TOOBIG,
        BODYBIG,
        S_FORMS
    };
    static const int want[S_FORMS] = {
        [OUTER16] = VOCFED_ENONCANONICAL, [OUTER32] = VOCFED_ENONCANONICAL,
        [BODY16] = VOCFED_ENONCANONICAL,  [BODY32] = VOCFED_ENONCANONICAL,
        [SIG16] = VOCFED_ENONCANONICAL,   [SIG32] = VOCFED_ENONCANONICAL,
        [ONE] = VOCFED_EMALFORMED,        [THREE] = VOCFED_EMALFORMED,
        [TRAIL] = VOCFED_EMALFORMED,      [SIG63] = VOCFED_EMALFORMED,
        [SIG65] = VOCFED_EMALFORMED,      [BODYSTR] = VOCFED_EMALFORMED,
        [MAP] = VOCFED_EMALFORMED,        [TOOBIG] = VOCFED_ETOOLARGE,
        [BODYBIG] = VOCFED_ETOOLARGE,
    };
    for (int form = 0; form < S_FORMS; form++) {
        proto_buf_reset(&f);
        /* Outer header. */
        if (form == OUTER16)
            s_put_hex(&f, "dc 00 02");
        else if (form == OUTER32)
            s_put_hex(&f, "dd 00 00 00 02");
        else if (form == ONE)
            s_put_hex(&f, "91");
        else if (form == THREE)
            s_put_hex(&f, "93");
        else if (form == MAP)
            s_put_hex(&f, "81");
        else
            s_put_hex(&f, "92");
        /* Body. */
        if (form == BODY16) {
            uint8_t h[3] = {0xc5, 0, blen};
            s_put(&f, h, 3);
        } else if (form == BODY32) {
            uint8_t h[5] = {0xc6, 0, 0, 0, blen};
            s_put(&f, h, 5);
        } else if (form == BODYSTR) {
            uint8_t h[2] = {0xd9, blen};
            s_put(&f, h, 2);
        } else if (form == BODYBIG) {
            /* A 161-byte body: over the body cap, inside the form cap. */
            s_put_bin_fill(&f, 0x90, 161);
        } else {
            uint8_t h[2] = {0xc4, blen};
            s_put(&f, h, 2);
        }
        if (form != BODYBIG)
            s_put(&f, body, body_len);
        /* Signature. */
        if (form == SIG16)
            s_put_hex(&f, "c5 00 40");
        else if (form == SIG32)
            s_put_hex(&f, "c6 00 00 00 40");
        else if (form == SIG63)
            s_put_hex(&f, "c4 3f");
        else if (form == SIG65)
            s_put_hex(&f, "c4 41");
        else
            s_put_hex(&f, "c4 40");
        s_put(&f, sig, form == SIG63 ? 63 : PROTO_SIG_LEN);
        if (form == SIG65)
            s_put_hex(&f, "00");
        if (form == THREE || form == TRAIL)
            s_put_hex(&f, "c0");
        if (form == TOOBIG) {
            while (f.len <= PROTO_CHECKPOINT_MAX)
                s_put_hex(&f, "c0");
        }

        uint8_t h[PROTO_HASH_LEN];
        int rc = proto_checkpoint_open(f.data, f.len, k.pk, &got);
        if (rc != want[form])
            fail_msg("form %d: got %s, want %s", form, vocfed_status_token(rc),
                     vocfed_status_token(want[form]));
        assert_int_equal(proto_checkpoint_peek(f.data, f.len, &got),
                         want[form]);
        assert_int_equal(proto_checkpoint_hash(f.data, f.len, h), want[form]);
    }
    proto_buf_release(&b);
    proto_buf_release(&f);
}

/* Bodies that are not valid checkpoints, each validly signed: the
 * signature passes, the decode refuses. */
static void
test_bad_bodies_signed(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    uint8_t root[PROTO_HASH_LEN];
    memset(root, 0xaa, sizeof root);
    int failures = 0;
    for (size_t i = 0; i < sizeof s_body_cases / sizeof s_body_cases[0]; i++) {
        const s_case_t *c = &s_body_cases[i];
        proto_buf_t body, f;
        proto_checkpoint_t got;
        proto_buf_init(&body);
        proto_buf_init(&f);
        s_body_from_parts(c, &body);
        s_sign_body(body.data, body.len, &k, &f);
        int rc = proto_checkpoint_open(f.data, f.len, k.pk, &got);
        int peek = proto_checkpoint_peek(f.data, f.len, &got);
        if (rc != c->want || peek != c->want) {
            print_error("case \"%s\": open %s, peek %s, want %s\n", c->what,
                        vocfed_status_token(rc), vocfed_status_token(peek),
                        vocfed_status_token(c->want));
            failures++;
        }
        if (c->want != VOCFED_OK) {
            rc = proto_checkpoint_verify(f.data, f.len, k.pk, "aqvtc", 2, root,
                                         &got);
            if (rc != c->want) {
                print_error("case \"%s\": verify %s\n", c->what,
                            vocfed_status_token(rc));
                failures++;
            }
        }
        proto_buf_release(&body);
        proto_buf_release(&f);
    }
    assert_int_equal(failures, 0);
}

/* ---- the checkpoint hash ------------------------------------------------ */

/* BLAKE2b-256("vocfed/checkpoint-hash/v1" 0x00 || body), in one call
 * over a concatenation, apart from the code under test. */
static void
s_expected_hash(const uint8_t *form, size_t len, uint8_t out[PROTO_HASH_LEN])
{
    static const char domain[] = "vocfed/checkpoint-hash/v1";
    uint8_t msg[S_BYTES_MAX];
    const uint8_t *body, *sig;
    size_t body_len;
    s_parts(form, len, &body, &body_len, &sig);
    memcpy(msg, domain, sizeof domain); /* with its NUL */
    memcpy(msg + sizeof domain, body, body_len);
    assert_int_equal(crypto_generichash(out, PROTO_HASH_LEN, msg,
                                        sizeof domain + body_len, NULL, 0),
                     0);
}

static void
test_hash(void **state)
{
    (void)state;
    s_key_t k, other;
    s_key(&k, 0);
    s_key(&other, 32);
    /* The base checkpoint and one change to each body field. */
    enum { S_VARIANTS = 8 };
    proto_checkpoint_t cp[S_VARIANTS];
    for (size_t i = 0; i < S_VARIANTS; i++)
        cp[i] = s_cp();
    cp[1].author[4] = 'd';
    memcpy(cp[2].author, "aqvtc0", 7);
    cp[3].size = 3;
    cp[4].root[31] ^= 0x80;
    cp[5].time_ms += 1;
    cp[6].prev[0] ^= 0x01;
    memset(cp[7].prev, 0, PROTO_HASH_LEN);

    uint8_t h[S_VARIANTS][PROTO_HASH_LEN];
    for (size_t i = 0; i < S_VARIANTS; i++) {
        proto_buf_t f;
        uint8_t want[PROTO_HASH_LEN];
        proto_buf_init(&f);
        assert_int_equal(proto_checkpoint_sign(&cp[i], k.sk, &f), VOCFED_OK);
        assert_int_equal(proto_checkpoint_hash(f.data, f.len, h[i]), VOCFED_OK);
        s_expected_hash(f.data, f.len, want);
        assert_memory_equal(h[i], want, PROTO_HASH_LEN);

        /* It hashes the body only: another signer, the same hash. */
        proto_buf_reset(&f);
        assert_int_equal(proto_checkpoint_sign(&cp[i], other.sk, &f),
                         VOCFED_OK);
        assert_int_equal(proto_checkpoint_hash(f.data, f.len, want), VOCFED_OK);
        assert_memory_equal(h[i], want, PROTO_HASH_LEN);
        proto_buf_release(&f);
    }
    for (size_t i = 0; i < S_VARIANTS; i++)
        for (size_t j = i + 1; j < S_VARIANTS; j++)
            assert_memory_not_equal(h[i], h[j], PROTO_HASH_LEN);
}

/* Three checkpoints chained by prev (SPEC 4.3). */
static void
test_chain(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);
    proto_checkpoint_t cp = s_cp(), got;
    memset(cp.prev, 0, PROTO_HASH_LEN);
    uint8_t prev[PROTO_HASH_LEN] = {0};
    for (uint64_t size = 1; size <= 3; size++) {
        proto_buf_t f;
        proto_buf_init(&f);
        cp.size = size;
        cp.time_ms++;
        memcpy(cp.prev, prev, PROTO_HASH_LEN);
        assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &f), VOCFED_OK);
        assert_int_equal(proto_checkpoint_verify(f.data, f.len, k.pk, "aqvtc",
                                                 size, cp.root, &got),
                         VOCFED_OK);
        assert_memory_equal(got.prev, prev, PROTO_HASH_LEN);
        assert_int_equal(proto_checkpoint_hash(f.data, f.len, prev), VOCFED_OK);
        proto_buf_release(&f);
    }
}

/* ---- golden vector ------------------------------------------------------ */

/* H(prefix || a || b), one call over a concatenation. */
static void
s_h(uint8_t prefix, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t out[PROTO_HASH_LEN])
{
    uint8_t msg[S_BYTES_MAX];
    assert_true(1 + alen + blen <= sizeof msg);
    msg[0] = prefix;
    memcpy(msg + 1, a, alen);
    if (blen)
        memcpy(msg + 1 + alen, b, blen);
    assert_int_equal(
        crypto_generichash(out, PROTO_HASH_LEN, msg, 1 + alen + blen, NULL, 0),
        0);
}

static void
test_golden(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 0);

    uint8_t pk[S_BYTES_MAX];
    assert_int_equal(s_read_vector("checkpoint_pubkey.hex", pk, sizeof pk),
                     PROTO_PUBKEY_LEN);
    assert_memory_equal(pk, k.pk, PROTO_PUBKEY_LEN);

    /* The root of the two golden entries, computed here from SPEC 2 and
     * by protocol/hash, and pinned. */
    uint8_t put[S_BYTES_MAX], del[S_BYTES_MAX];
    size_t put_len = s_read_vector("entry_put.hex", put, sizeof put);
    size_t del_len = s_read_vector("entry_del.hex", del, sizeof del);
    uint8_t l1[PROTO_HASH_LEN], l2[PROTO_HASH_LEN], root[PROTO_HASH_LEN];
    uint8_t check[PROTO_HASH_LEN];
    s_h(0x00, put, put_len, NULL, 0, l1);
    s_h(0x00, del, del_len, NULL, 0, l2);
    s_h(0x01, l1, PROTO_HASH_LEN, l2, PROTO_HASH_LEN, root);
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, put, put_len, check);
    assert_memory_equal(check, l1, PROTO_HASH_LEN);
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, del, del_len, check);
    assert_memory_equal(check, l2, PROTO_HASH_LEN);
    proto_hash_node(PROTO_HASH_BLAKE2B256, l1, l2, check);
    assert_memory_equal(check, root, PROTO_HASH_LEN);
    assert_int_equal(proto_unhex(s_golden_root, check, PROTO_HASH_LEN),
                     VOCFED_OK);
    assert_memory_equal(check, root, PROTO_HASH_LEN);

    proto_checkpoint_t cp, got;
    memset(&cp, 0, sizeof cp);
    cp.version = PROTO_CHECKPOINT_VERSION;
    memcpy(cp.author, "aqvtc", 6);
    cp.size = 2;
    memcpy(cp.root, root, PROTO_HASH_LEN);
    cp.time_ms = 1767225600001ull;

    uint8_t file[S_BYTES_MAX];
    size_t n = s_read_vector("checkpoint.hex", file, sizeof file);
    proto_buf_t f;
    proto_buf_init(&f);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &f), VOCFED_OK);
    assert_int_equal(f.len, n);
    assert_memory_equal(f.data, file, n);

    assert_int_equal(
        proto_checkpoint_verify(file, n, pk, "aqvtc", 2, root, &got),
        VOCFED_OK);
    s_assert_cp_equal(&got, &cp);
    uint8_t zero[PROTO_HASH_LEN] = {0};
    assert_memory_equal(got.prev, zero, PROTO_HASH_LEN);

    uint8_t h[PROTO_HASH_LEN];
    assert_int_equal(proto_checkpoint_hash(file, n, h), VOCFED_OK);
    assert_int_equal(proto_unhex(s_golden_hash, check, PROTO_HASH_LEN),
                     VOCFED_OK);
    assert_memory_equal(h, check, PROTO_HASH_LEN);
    proto_buf_release(&f);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_open),
        cmocka_unit_test(test_body_bytes),
        cmocka_unit_test(test_sign_refusals),
        cmocka_unit_test(test_wrong_expectations),
        cmocka_unit_test(test_spliced_signature),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_outer_form),
        cmocka_unit_test(test_bad_bodies_signed),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
