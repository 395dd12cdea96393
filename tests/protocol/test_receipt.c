/* Tests for protocol/receipt (SPEC 9): sign and open with fixed seed
 * keys, forged and damaged receipts (wrong key, issuer, author, size or
 * root; spliced signatures, checkpoint signatures passed off as receipt
 * ones and back; every bit flipped; no domain prefix; every truncation;
 * non-canonical or malformed bodies signed validly), and the golden
 * vector tests/vectors/receipt.hex. */
#include "protocol/checkpoint.h"
#include "protocol/receipt.h"

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

/* The golden checkpoint's root (tests/vectors/README.md), which the
 * golden receipt acknowledges. */
static const char s_golden_root[] =
    "abc6335716950dcface0d9f9c5122c64d6ee553fb39e8068378949e41e12d9de";

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

/* The receipt most tests start from. */
static proto_receipt_t
s_rc(void)
{
    proto_receipt_t r;
    memset(&r, 0, sizeof r);
    r.version = PROTO_RECEIPT_VERSION;
    memcpy(r.issuer, "coord", 6);
    memcpy(r.author, "aqvtc", 6);
    r.size = 2;
    memset(r.root, 0xaa, sizeof r.root);
    r.time_ms = 1767225600002ull;
    return r;
}

static void
s_assert_rc_equal(const proto_receipt_t *a, const proto_receipt_t *b)
{
    assert_true(a->version == b->version);
    assert_string_equal(a->issuer, b->issuer);
    assert_string_equal(a->author, b->author);
    assert_true(a->size == b->size);
    assert_memory_equal(a->root, b->root, PROTO_HASH_LEN);
    assert_true(a->time_ms == b->time_ms);
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

/* Signs body with the real domain (SPEC 9.2) and wraps it. */
static void
s_sign_body(const uint8_t *body, size_t body_len, const s_key_t *k,
            proto_buf_t *out)
{
    s_sign_raw(body, body_len, PROTO_RECEIPT_SIG_DOMAIN,
               sizeof PROTO_RECEIPT_SIG_DOMAIN, k, out);
}

/* ---- hand-made bodies --------------------------------------------------- */

/* A body made of 8 parts: array header, the 6 elements, trailing bytes.
 * NULL keeps the default, which is s_rc(). */
#define S_PARTS 8
#define S_H31(x) x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x
#define S_H32(x) S_H31(x) x
static const char *const s_default_part[S_PARTS] = {
    "96",                         /* array of 6 */
    "01",                         /* version */
    "a5 63 6f 6f 72 64",          /* "coord" */
    "a5 61 71 76 74 63",          /* "aqvtc" */
    "02",                         /* size */
    "c4 20" S_H32(" aa"),         /* root */
    "cf 00 00 01 9b 76 da a8 02", /* time */
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
    {"version a str", {[1] = "a1 31"}, VOCFED_EMALFORMED},
    {"array of 0", {[0] = "90"}, VOCFED_EMALFORMED},
    {"array of 5", {[0] = "95", [6] = ""}, VOCFED_EMALFORMED},
    {"array of 7", {[0] = "97", [7] = "c0"}, VOCFED_EMALFORMED},
    {"array16 of 6", {[0] = "dc 00 06"}, VOCFED_ENONCANONICAL},
    {"a map", {[0] = "86"}, VOCFED_EMALFORMED},
    {"trailing byte", {[7] = "00"}, VOCFED_EMALFORMED},
    {"issuer empty", {[2] = "a0"}, VOCFED_EMALFORMED},
    {"issuer upper", {[2] = "a5 43 6f 6f 72 64"}, VOCFED_EMALFORMED},
    {"issuer str8", {[2] = "d9 05 63 6f 6f 72 64"}, VOCFED_ENONCANONICAL},
    {"issuer bad utf8", {[2] = "a2 c0 80"}, VOCFED_ENONCANONICAL},
    {"issuer a bin", {[2] = "c4 05 63 6f 6f 72 64"}, VOCFED_EMALFORMED},
    {"issuer nil", {[2] = "c0"}, VOCFED_EMALFORMED},
    {"issuer of 33", {[2] = "d9 21" S_H32(" 61") " 61"}, VOCFED_EMALFORMED},
    {"author empty", {[3] = "a0"}, VOCFED_EMALFORMED},
    {"author slash", {[3] = "a3 61 2f 62"}, VOCFED_EMALFORMED},
    {"author leading dot", {[3] = "a2 2e 61"}, VOCFED_EMALFORMED},
    {"author bad utf8", {[3] = "a2 ed a0"}, VOCFED_ENONCANONICAL},
    {"size 0", {[4] = "00"}, VOCFED_OK},
    {"size uint8 2", {[4] = "cc 02"}, VOCFED_ENONCANONICAL},
    {"size uint64 2",
     {[4] = "cf 00 00 00 00 00 00 00 02"},
     VOCFED_ENONCANONICAL},
    {"size int8 2", {[4] = "d0 02"}, VOCFED_ENONCANONICAL},
    {"size -1", {[4] = "ff"}, VOCFED_EMALFORMED},
    {"size float", {[4] = "ca 40 00 00 00"}, VOCFED_EMALFORMED},
    {"root of 31", {[5] = "c4 1f" S_H31(" aa")}, VOCFED_EMALFORMED},
    {"root of 33", {[5] = "c4 21 00" S_H32(" aa")}, VOCFED_EMALFORMED},
    {"root bin16", {[5] = "c5 00 20" S_H32(" aa")}, VOCFED_ENONCANONICAL},
    {"root a str", {[5] = "d9 20" S_H32(" 61")}, VOCFED_EMALFORMED},
    {"root runs past the end", {[5] = "c4 ff" S_H32(" aa")}, VOCFED_EMALFORMED},
    {"time uint32 1", {[6] = "ce 00 00 00 01"}, VOCFED_ENONCANONICAL},
    {"time 0", {[6] = "00"}, VOCFED_OK},
    {"time missing", {[6] = ""}, VOCFED_EMALFORMED},
    {"time nil", {[6] = "c0"}, VOCFED_EMALFORMED},
    {"time ext", {[6] = "d7 00 00 00 00 00 00 00 00 00"}, VOCFED_EMALFORMED},
    /* A checkpoint's shape: [1, author, size, root, time, prev]. */
    {"checkpoint body",
     {[2] = "a5 61 71 76 74 63",
      [3] = "02",
      [4] = "c4 20" S_H32(" aa"),
      [5] = "cf 00 00 01 9b 76 da a8 01",
      [6] = "c4 20" S_H32(" 00")},
     VOCFED_EMALFORMED},
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
    s_key(&k, 32);
    proto_receipt_t rs[6];
    rs[0] = s_rc();
    rs[1] = s_rc();
    rs[1].size = 0;
    rs[1].time_ms = 0;
    memset(rs[1].root, 0, PROTO_HASH_LEN);
    /* The longest body: two 32-byte ids and two uint64s. */
    rs[2] = s_rc();
    rs[2].size = UINT64_MAX;
    rs[2].time_ms = UINT64_MAX;
    memset(rs[2].issuer, 'z', PROTO_ID_MAX);
    rs[2].issuer[PROTO_ID_MAX] = '\0';
    memset(rs[2].author, '9', PROTO_ID_MAX);
    rs[2].author[PROTO_ID_MAX] = '\0';
    rs[3] = s_rc();
    memcpy(rs[3].issuer, "0", 2);
    memcpy(rs[3].author, "a.b-c_d", 8);
    rs[3].size = 128;
    /* A node's receipt for its own log. */
    rs[4] = s_rc();
    memcpy(rs[4].issuer, "aqvtc", 6);
    rs[5] = s_rc();
    for (size_t i = 0; i < PROTO_HASH_LEN; i++)
        rs[5].root[i] = (uint8_t)(i * 7);

    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
        proto_buf_t a, b;
        proto_receipt_t got;
        proto_buf_init(&a);
        proto_buf_init(&b);
        assert_int_equal(proto_receipt_sign(&rs[i], k.sk, &a), VOCFED_OK);
        assert_true(a.len <= PROTO_RECEIPT_MAX);
        if (i == 2)
            assert_int_equal(a.len, 3 + 122 + 2 + PROTO_SIG_LEN);

        /* Deterministic, and appended after what the buffer holds. */
        s_put(&b, "\x01\x02", 2);
        assert_int_equal(proto_receipt_sign(&rs[i], k.sk, &b), VOCFED_OK);
        assert_int_equal(b.len, 2 + a.len);
        assert_memory_equal(b.data + 2, a.data, a.len);

        assert_int_equal(proto_receipt_open(a.data, a.len, k.pk, &got),
                         VOCFED_OK);
        s_assert_rc_equal(&got, &rs[i]);
        assert_int_equal(proto_receipt_peek(a.data, a.len, &got), VOCFED_OK);
        s_assert_rc_equal(&got, &rs[i]);
        assert_int_equal(proto_receipt_verify(a.data, a.len, k.pk, rs[i].issuer,
                                              rs[i].author, rs[i].size,
                                              rs[i].root, &got),
                         VOCFED_OK);
        s_assert_rc_equal(&got, &rs[i]);

        /* The signature is over the exact body with the domain. */
        const uint8_t *body, *sig;
        size_t body_len;
        s_parts(a.data, a.len, &body, &body_len, &sig);
        uint8_t msg[S_BYTES_MAX];
        size_t d = sizeof PROTO_RECEIPT_SIG_DOMAIN;
        assert_int_equal(d, 18);
        memcpy(msg, "vocfed/receipt/v1\0", d);
        memcpy(msg + d, body, body_len);
        assert_int_equal(
            crypto_sign_verify_detached(sig, msg, d + body_len, k.pk), 0);
        proto_buf_release(&a);
        proto_buf_release(&b);
    }
}

/* The body proto_receipt_sign writes is the one hand-made from SPEC 9.1,
 * and signing that by hand gives the same signed form. */
static void
test_body_bytes(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 32);
    proto_receipt_t r = s_rc();
    proto_buf_t a, want, hand;
    proto_buf_init(&a);
    proto_buf_init(&want);
    proto_buf_init(&hand);
    assert_int_equal(proto_receipt_sign(&r, k.sk, &a), VOCFED_OK);
    const uint8_t *body, *sig;
    size_t body_len;
    s_parts(a.data, a.len, &body, &body_len, &sig);
    s_body_from_parts(&s_body_cases[0], &want);
    assert_int_equal(body_len, want.len);
    assert_memory_equal(body, want.data, want.len);
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
    s_key(&k, 32);
    proto_buf_t b;
    proto_buf_init(&b);
    proto_receipt_t r;

    const struct {
        const char *what; /* shown on failure */
        int field;        /* 0 version, 1 issuer, 2 author */
        const char *id;   /* the id, or NULL for 33 valid characters */
        uint64_t version; /* for field 0 */
    } cases[] = {
        {"version 0", 0, NULL, 0},  {"version 2", 0, NULL, 2},
        {"issuer empty", 1, "", 0}, {"issuer upper", 1, "Coord", 0},
        {"issuer 33", 1, NULL, 0},  {"issuer slash", 1, "a/b", 0},
        {"author empty", 2, "", 0}, {"author space", 2, "aq vtc", 0},
        {"author 33", 2, NULL, 0},  {"author leading -", 2, "-a", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r = s_rc();
        char *id = cases[i].field == 1 ? r.issuer : r.author;
        if (cases[i].field == 0) {
            r.version = cases[i].version;
        } else if (cases[i].id) {
            memset(id, 0, PROTO_ID_MAX + 1);
            memcpy(id, cases[i].id, strlen(cases[i].id));
        } else {
            /* No NUL in the array at all. */
            memset(id, 'a', PROTO_ID_MAX + 1);
        }
        int rc = proto_receipt_sign(&r, k.sk, &b);
        if (rc != VOCFED_EINVALID)
            fail_msg("%s: got %s", cases[i].what, vocfed_status_token(rc));
        assert_int_equal(b.len, 0);
    }
    proto_buf_release(&b);
}

/* ---- forged receipts ---------------------------------------------------- */

static void
test_wrong_expectations(void **state)
{
    (void)state;
    s_key_t k, other;
    s_key(&k, 32);
    s_key(&other, 0);
    proto_receipt_t r = s_rc(), got;
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(proto_receipt_sign(&r, k.sk, &b), VOCFED_OK);

    assert_int_equal(proto_receipt_open(b.data, b.len, other.pk, &got),
                     VOCFED_EBADSIG);
    /* The signature is checked before anything the body claims. */
    uint8_t bad_root[PROTO_HASH_LEN];
    memcpy(bad_root, r.root, PROTO_HASH_LEN);
    bad_root[0] ^= 1;
    assert_int_equal(proto_receipt_verify(b.data, b.len, other.pk, "x", "y", 9,
                                          bad_root, &got),
                     VOCFED_EBADSIG);

    for (size_t i = 0; i < PROTO_HASH_LEN * 8; i++) {
        memcpy(bad_root, r.root, PROTO_HASH_LEN);
        bad_root[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(proto_receipt_verify(b.data, b.len, k.pk, "coord",
                                              "aqvtc", 2, bad_root, &got),
                         VOCFED_EROOT);
    }
    static const uint64_t sizes[] = {0, 1, 3, 258, UINT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        assert_int_equal(proto_receipt_verify(b.data, b.len, k.pk, "coord",
                                              "aqvtc", sizes[i], r.root, &got),
                         VOCFED_ESEQGAP);
    static const char *const ids[] = {"aqvt",  "aqvtcx", "aqvtd",
                                      "AQVTC", "",       "coord"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (strcmp(ids[i], "coord") != 0)
            assert_int_equal(proto_receipt_verify(b.data, b.len, k.pk, "coord",
                                                  ids[i], 2, r.root, &got),
                             VOCFED_EAUTHOR);
        assert_int_equal(proto_receipt_verify(b.data, b.len, k.pk, ids[i],
                                              "aqvtc", 2, r.root, &got),
                         strcmp(ids[i], "coord") == 0 ? VOCFED_OK
                                                      : VOCFED_EAUTHOR);
    }
    /* Issuer and author swapped. */
    assert_int_equal(proto_receipt_verify(b.data, b.len, k.pk, "aqvtc", "coord",
                                          2, r.root, &got),
                     VOCFED_EAUTHOR);
    assert_int_equal(proto_receipt_verify(b.data, b.len, k.pk, "coord", "aqvtc",
                                          2, r.root, &got),
                     VOCFED_OK);
    proto_buf_release(&b);
}

/* Valid signatures over other bytes, put on this body. */
static void
test_spliced_signature(void **state)
{
    (void)state;
    s_key_t k, other;
    s_key(&k, 32);
    s_key(&other, 0);
    proto_receipt_t a = s_rc(), b = s_rc(), got;
    b.size = 3;
    proto_buf_t fa, fb, fo, spliced;
    proto_buf_init(&fa);
    proto_buf_init(&fb);
    proto_buf_init(&fo);
    proto_buf_init(&spliced);
    assert_int_equal(proto_receipt_sign(&a, k.sk, &fa), VOCFED_OK);
    assert_int_equal(proto_receipt_sign(&b, k.sk, &fb), VOCFED_OK);
    assert_int_equal(proto_receipt_sign(&a, other.sk, &fo), VOCFED_OK);
    const uint8_t *ba, *sa, *bb, *sb, *bo, *so;
    size_t la, lb, lo;
    s_parts(fa.data, fa.len, &ba, &la, &sa);
    s_parts(fb.data, fb.len, &bb, &lb, &sb);
    s_parts(fo.data, fo.len, &bo, &lo, &so);

    s_wrap(ba, la, sb, &spliced);
    assert_int_equal(proto_receipt_open(spliced.data, spliced.len, k.pk, &got),
                     VOCFED_EBADSIG);
    proto_buf_reset(&spliced);
    s_wrap(bb, lb, sa, &spliced);
    assert_int_equal(proto_receipt_open(spliced.data, spliced.len, k.pk, &got),
                     VOCFED_EBADSIG);

    /* The same body signed by another key, checked with ours. */
    assert_int_equal(la, lo);
    assert_memory_equal(ba, bo, la);
    proto_buf_reset(&spliced);
    s_wrap(ba, la, so, &spliced);
    assert_int_equal(proto_receipt_open(spliced.data, spliced.len, k.pk, &got),
                     VOCFED_EBADSIG);
    assert_int_equal(
        proto_receipt_open(spliced.data, spliced.len, other.pk, &got),
        VOCFED_OK);

    /* An all-zero signature and an all-zero key. */
    uint8_t zero[PROTO_SIG_LEN] = {0};
    proto_buf_reset(&spliced);
    s_wrap(ba, la, zero, &spliced);
    assert_int_equal(proto_receipt_open(spliced.data, spliced.len, k.pk, &got),
                     VOCFED_EBADSIG);
    assert_int_equal(proto_receipt_open(fa.data, fa.len, zero, &got),
                     VOCFED_EBADSIG);

    proto_buf_release(&fa);
    proto_buf_release(&fb);
    proto_buf_release(&fo);
    proto_buf_release(&spliced);
}

/* The domains keep a receipt and a checkpoint from standing in for each
 * other, whatever their bodies look like. */
static void
test_cross_domain(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 32);
    proto_receipt_t r = s_rc(), got;
    proto_checkpoint_t cp, cgot;
    memset(&cp, 0, sizeof cp);
    cp.version = PROTO_CHECKPOINT_VERSION;
    memcpy(cp.author, "aqvtc", 6);
    cp.size = 2;
    memset(cp.root, 0xaa, PROTO_HASH_LEN);
    cp.time_ms = 1767225600002ull;
    proto_buf_t fr, fc, f;
    proto_buf_init(&fr);
    proto_buf_init(&fc);
    proto_buf_init(&f);
    assert_int_equal(proto_receipt_sign(&r, k.sk, &fr), VOCFED_OK);
    assert_int_equal(proto_checkpoint_sign(&cp, k.sk, &fc), VOCFED_OK);

    /* Each signed form opened as the other: the signature fails first. */
    assert_int_equal(proto_checkpoint_open(fr.data, fr.len, k.pk, &cgot),
                     VOCFED_EBADSIG);
    assert_int_equal(proto_receipt_open(fc.data, fc.len, k.pk, &got),
                     VOCFED_EBADSIG);

    /* A receipt body signed under the checkpoint domain. */
    const uint8_t *body, *sig;
    size_t body_len;
    s_parts(fr.data, fr.len, &body, &body_len, &sig);
    s_sign_raw(body, body_len, PROTO_CHECKPOINT_SIG_DOMAIN,
               sizeof PROTO_CHECKPOINT_SIG_DOMAIN, &k, &f);
    assert_int_equal(proto_receipt_open(f.data, f.len, k.pk, &got),
                     VOCFED_EBADSIG);
    /* ... which the checkpoint code accepts as signed, then refuses to
     * decode: a receipt body is not a checkpoint body. */
    assert_int_equal(proto_checkpoint_open(f.data, f.len, k.pk, &cgot),
                     VOCFED_EMALFORMED);

    proto_buf_release(&fr);
    proto_buf_release(&fc);
    proto_buf_release(&f);
}

static void
test_bit_flips(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 32);
    proto_receipt_t r = s_rc(), got;
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(proto_receipt_sign(&r, k.sk, &b), VOCFED_OK);
    uint8_t *p = malloc(b.len);
    assert_non_null(p);
    for (size_t i = 0; i < b.len * 8; i++) {
        memcpy(p, b.data, b.len);
        p[i / 8] ^= (uint8_t)(1u << (i % 8));
        int rc = proto_receipt_open(p, b.len, k.pk, &got);
        if (rc == VOCFED_OK)
            fail_msg("bit %zu flipped still opens", i);
        assert_true(rc < 0);
        rc = proto_receipt_verify(p, b.len, k.pk, "coord", "aqvtc", 2, r.root,
                                  &got);
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
    s_key(&k, 32);
    proto_receipt_t r = s_rc(), got;
    proto_buf_t b, f;
    proto_buf_init(&b);
    proto_buf_init(&f);
    assert_int_equal(proto_receipt_sign(&r, k.sk, &b), VOCFED_OK);
    const uint8_t *body, *sig;
    size_t body_len;
    s_parts(b.data, b.len, &body, &body_len, &sig);

    static const struct {
        const char *prefix; /* signed before the body */
        size_t len;         /* its length, NUL included when counted */
        int want;           /* what open answers */
    } cases[] = {
        {"vocfed/receipt/v1", 18, VOCFED_OK},
        {"", 0, VOCFED_EBADSIG},
        {"vocfed/receipt/v1", 17, VOCFED_EBADSIG},
        {"\0", 1, VOCFED_EBADSIG},
        {"vocfed/receipt/v2", 18, VOCFED_EBADSIG},
        {"vocfed/checkpoint/v1", 21, VOCFED_EBADSIG},
        {"vocfed/receipt/v1\0\0", 19, VOCFED_EBADSIG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proto_buf_reset(&f);
        s_sign_raw(body, body_len, cases[i].prefix, cases[i].len, &k, &f);
        assert_int_equal(proto_receipt_open(f.data, f.len, k.pk, &got),
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
    s_key(&k, 32);
    proto_receipt_t r = s_rc(), got;
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(proto_receipt_sign(&r, k.sk, &b), VOCFED_OK);
    for (size_t cut = 0; cut < b.len; cut++) {
        /* A copy of exactly cut bytes, so ASan sees any read past. */
        uint8_t *p = malloc(cut ? cut : 1);
        assert_non_null(p);
        memcpy(p, b.data, cut);
        int rc = proto_receipt_open(p, cut, k.pk, &got);
        if (rc == VOCFED_OK)
            fail_msg("cut at %zu opens", cut);
        assert_true(rc < 0);
        assert_true(proto_receipt_verify(p, cut, k.pk, "coord", "aqvtc", 2,
                                         r.root, &got) < 0);
        assert_true(proto_receipt_peek(p, cut, &got) < 0);
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
    s_key(&k, 32);
    proto_receipt_t r = s_rc(), got;
    proto_buf_t b, f;
    proto_buf_init(&b);
    proto_buf_init(&f);
    assert_int_equal(proto_receipt_sign(&r, k.sk, &b), VOCFED_OK);
    const uint8_t *body, *sig;
    size_t body_len;
    s_parts(b.data, b.len, &body, &body_len, &sig);
    uint8_t blen = (uint8_t)body_len;

    static const struct {
        const char *outer; /* array header */
        const char *bhead; /* body header, NULL for bin8 of the body */
        const char *shead; /* signature header */
        const char *tail;  /* after the signature */
        int want;          /* what open and peek answer */
    } cases[] = {
        {"92", NULL, "c4 40", "", VOCFED_OK},
        {"dc 00 02", NULL, "c4 40", "", VOCFED_ENONCANONICAL},
        {"dd 00 00 00 02", NULL, "c4 40", "", VOCFED_ENONCANONICAL},
        {"92", "c5 00", "c4 40", "", VOCFED_ENONCANONICAL},
        {"92", "c6 00 00 00", "c4 40", "", VOCFED_ENONCANONICAL},
        {"92", NULL, "c5 00 40", "", VOCFED_ENONCANONICAL},
        {"92", NULL, "c6 00 00 00 40", "", VOCFED_ENONCANONICAL},
        {"91", NULL, "c4 40", "", VOCFED_EMALFORMED},
        {"93", NULL, "c4 40", "c0", VOCFED_EMALFORMED},
        {"92", NULL, "c4 40", "c0", VOCFED_EMALFORMED},
        {"92", NULL, "c4 41", "00", VOCFED_EMALFORMED},
        {"92", "d9", "c4 40", "", VOCFED_EMALFORMED},
        {"81", NULL, "c4 40", "", VOCFED_EMALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proto_buf_reset(&f);
        s_put_hex(&f, cases[i].outer);
        s_put_hex(&f, cases[i].bhead ? cases[i].bhead : "c4");
        s_put(&f, &blen, 1);
        s_put(&f, body, body_len);
        s_put_hex(&f, cases[i].shead);
        s_put(&f, sig, PROTO_SIG_LEN);
        s_put_hex(&f, cases[i].tail);
        int rc = proto_receipt_open(f.data, f.len, k.pk, &got);
        if (rc != cases[i].want)
            fail_msg("form %zu: got %s, want %s", i, vocfed_status_token(rc),
                     vocfed_status_token(cases[i].want));
        assert_int_equal(proto_receipt_peek(f.data, f.len, &got),
                         cases[i].want);
    }

    /* Over the form cap, and a body over the body cap inside it. */
    proto_buf_reset(&f);
    s_put(&f, b.data, b.len);
    while (f.len <= PROTO_RECEIPT_MAX)
        s_put_hex(&f, "c0");
    assert_int_equal(proto_receipt_open(f.data, f.len, k.pk, &got),
                     VOCFED_ETOOLARGE);
    proto_buf_reset(&f);
    s_put_hex(&f, "92 c4 a1");
    for (int i = 0; i < 161; i++)
        s_put_hex(&f, "90");
    s_put_hex(&f, "c4 40");
    s_put(&f, sig, PROTO_SIG_LEN);
    assert_true(f.len <= PROTO_RECEIPT_MAX);
    assert_int_equal(proto_receipt_open(f.data, f.len, k.pk, &got),
                     VOCFED_ETOOLARGE);
    assert_int_equal(proto_receipt_peek(f.data, f.len, &got), VOCFED_ETOOLARGE);
    proto_buf_release(&b);
    proto_buf_release(&f);
}

/* Bodies that are not valid receipts, each validly signed: the
 * signature passes, the decode refuses. */
static void
test_bad_bodies_signed(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 32);
    uint8_t root[PROTO_HASH_LEN];
    memset(root, 0xaa, sizeof root);
    int failures = 0;
    for (size_t i = 0; i < sizeof s_body_cases / sizeof s_body_cases[0]; i++) {
        const s_case_t *c = &s_body_cases[i];
        proto_buf_t body, f;
        proto_receipt_t got;
        proto_buf_init(&body);
        proto_buf_init(&f);
        s_body_from_parts(c, &body);
        s_sign_body(body.data, body.len, &k, &f);
        int rc = proto_receipt_open(f.data, f.len, k.pk, &got);
        int peek = proto_receipt_peek(f.data, f.len, &got);
        if (rc != c->want || peek != c->want) {
            print_error("case \"%s\": open %s, peek %s, want %s\n", c->what,
                        vocfed_status_token(rc), vocfed_status_token(peek),
                        vocfed_status_token(c->want));
            failures++;
        }
        if (c->want != VOCFED_OK) {
            rc = proto_receipt_verify(f.data, f.len, k.pk, "coord", "aqvtc", 2,
                                      root, &got);
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

/* ---- golden vector ------------------------------------------------------ */

static void
test_golden(void **state)
{
    (void)state;
    s_key_t k;
    s_key(&k, 32);

    uint8_t pk[S_BYTES_MAX];
    assert_int_equal(s_read_vector("receipt_pubkey.hex", pk, sizeof pk),
                     PROTO_PUBKEY_LEN);
    assert_memory_equal(pk, k.pk, PROTO_PUBKEY_LEN);

    proto_receipt_t r, got;
    memset(&r, 0, sizeof r);
    r.version = PROTO_RECEIPT_VERSION;
    memcpy(r.issuer, "coord", 6);
    memcpy(r.author, "aqvtc", 6);
    r.size = 2;
    assert_int_equal(proto_unhex(s_golden_root, r.root, PROTO_HASH_LEN),
                     VOCFED_OK);
    r.time_ms = 1767225600002ull;

    uint8_t file[S_BYTES_MAX];
    size_t n = s_read_vector("receipt.hex", file, sizeof file);
    proto_buf_t f;
    proto_buf_init(&f);
    assert_int_equal(proto_receipt_sign(&r, k.sk, &f), VOCFED_OK);
    assert_int_equal(f.len, n);
    assert_memory_equal(f.data, file, n);

    assert_int_equal(
        proto_receipt_verify(file, n, pk, "coord", "aqvtc", 2, r.root, &got),
        VOCFED_OK);
    s_assert_rc_equal(&got, &r);

    /* The golden checkpoint's key (seed 0..31) did not sign it. */
    uint8_t cpk[S_BYTES_MAX];
    assert_int_equal(s_read_vector("checkpoint_pubkey.hex", cpk, sizeof cpk),
                     PROTO_PUBKEY_LEN);
    assert_int_equal(proto_receipt_open(file, n, cpk, &got), VOCFED_EBADSIG);
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
        cmocka_unit_test(test_cross_domain),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_outer_form),
        cmocka_unit_test(test_bad_bodies_signed),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
