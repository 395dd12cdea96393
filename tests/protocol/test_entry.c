/* Tests for protocol/entry (SPEC 1, 3): round trips of every integer and
 * string width, hand-made non-canonical and malformed byte strings, every
 * truncation and every single-byte change of valid entries (canonical
 * uniqueness), the body builder and reader, the name rules, and the
 * golden vectors tests/vectors/entry_put.hex and entry_del.hex. */
#include "protocol/entry.h"
#include "protocol/hash.h"

#include <msgpack.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Largest hand-made or vector input, in bytes. */
#define S_BYTES_MAX 1024

/* ---- helpers ---------------------------------------------------------- */

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

/* Appends hex digits (spaces skipped) to b. */
static void
s_put_hex(proto_buf_t *b, const char *hex)
{
    uint8_t tmp[S_BYTES_MAX];
    size_t n = s_hex(hex, tmp, sizeof tmp);
    assert_int_equal(proto_buf_append(b, tmp, n), VOCFED_OK);
}

/* Appends a canonical str header for len bytes, written here by hand
 * from SPEC 1 rather than by msgpack-c. */
static void
s_put_str_header(proto_buf_t *b, size_t len)
{
    uint8_t h[5];
    size_t n;
    if (len < 32) {
        h[0] = (uint8_t)(0xa0 | len);
        n = 1;
    } else if (len < 256) {
        h[0] = 0xd9;
        h[1] = (uint8_t)len;
        n = 2;
    } else if (len < 65536) {
        h[0] = 0xda;
        h[1] = (uint8_t)(len >> 8);
        h[2] = (uint8_t)len;
        n = 3;
    } else {
        h[0] = 0xdb;
        h[1] = (uint8_t)(len >> 24);
        h[2] = (uint8_t)(len >> 16);
        h[3] = (uint8_t)(len >> 8);
        h[4] = (uint8_t)len;
        n = 5;
    }
    assert_int_equal(proto_buf_append(b, h, n), VOCFED_OK);
}

/* Appends a canonical str of len copies of c. */
static void
s_put_str_fill(proto_buf_t *b, char c, size_t len)
{
    s_put_str_header(b, len);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(proto_buf_append(b, &c, 1), VOCFED_OK);
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

static bool
s_value_eq(const proto_value_t *a, const proto_value_t *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case PROTO_VAL_NIL:
        return true;
    case PROTO_VAL_BOOL:
        return a->b == b->b;
    case PROTO_VAL_INT:
        return a->i == b->i;
    case PROTO_VAL_STR:
        return a->slen == b->slen &&
               (a->slen == 0 || memcmp(a->s, b->s, a->slen) == 0);
    }
    return false;
}

static bool
s_span_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Reads every field of a validated body, re-encodes them with
 * proto_body_encode and checks that gives the same bytes: the body
 * reader and the body writer agree on the one canonical form. */
static void
s_assert_body_reencodes(const uint8_t *body, size_t len)
{
    proto_field_t fields[PROTO_FIELDS_MAX];
    proto_body_iter_t it;
    proto_buf_t again;
    size_t n = 0;
    int rc;
    assert_int_equal(proto_body_iter_init(&it, body, len), VOCFED_OK);
    while ((rc = proto_body_iter_next(&it, &fields[n])) == 1) {
        n++;
        assert_true(n <= PROTO_FIELDS_MAX);
    }
    assert_int_equal(rc, 0);
    proto_buf_init(&again);
    assert_int_equal(proto_body_encode(fields, n, &again), VOCFED_OK);
    assert_int_equal(again.len, len);
    assert_memory_equal(again.data, body, len);
    proto_buf_release(&again);
}

/* Encodes e, decodes it, compares every field, and re-encodes the
 * decoded entry to the same bytes. Leaves the encoding in out. */
static void
s_roundtrip(const proto_entry_t *e, proto_buf_t *out)
{
    proto_entry_t d;
    proto_buf_t again;
    proto_buf_reset(out);
    assert_int_equal(proto_entry_encode(e, out), VOCFED_OK);
    assert_true(out->len <= PROTO_ENTRY_MAX);
    assert_int_equal(proto_entry_decode(out->data, out->len, &d), VOCFED_OK);
    assert_int_equal(d.version, PROTO_ENTRY_VERSION);
    assert_true(s_span_eq(d.author, d.author_len, e->author, e->author_len));
    assert_true(d.seq == e->seq);
    assert_true(d.time_ms == e->time_ms);
    assert_int_equal(d.op, e->op);
    assert_true(s_span_eq(d.kind, d.kind_len, e->kind, e->kind_len));
    assert_true(s_span_eq(d.key, d.key_len, e->key, e->key_len));
    if (e->op == PROTO_OP_DEL) {
        assert_null(d.body);
        assert_int_equal(d.body_len, 0);
    } else {
        assert_non_null(d.body);
        assert_int_equal(d.body_len, e->body_len);
        assert_memory_equal(d.body, e->body, e->body_len);
        /* The body sits at the end of the entry. */
        assert_ptr_equal(d.body + d.body_len, out->data + out->len);
        s_assert_body_reencodes(d.body, d.body_len);
    }
    proto_buf_init(&again);
    assert_int_equal(proto_entry_encode(&d, &again), VOCFED_OK);
    assert_int_equal(again.len, out->len);
    assert_memory_equal(again.data, out->data, out->len);
    proto_buf_release(&again);
}

/* A put entry of author aqvtc, seq 1, kind student, key p1. */
static proto_entry_t
s_put_entry(const uint8_t *body, size_t body_len)
{
    proto_entry_t e = {
        .version = PROTO_ENTRY_VERSION,
        .author = "aqvtc",
        .author_len = 5,
        .seq = 1,
        .time_ms = 1767225600000ull,
        .op = PROTO_OP_PUT,
        .kind = "student",
        .kind_len = 7,
        .key = "p1",
        .key_len = 2,
        .body = body,
        .body_len = body_len,
    };
    return e;
}

/* Encodes the one-field body {x: v} and checks its bytes are
 * "81 a1 78" followed by want_hex; then round-trips it in an entry. */
static void
s_check_scalar(const proto_value_t *v, const char *want_hex)
{
    proto_field_t f = {.name = "x", .name_len = 1, .value = *v};
    proto_buf_t body, want, enc;
    proto_value_t got;
    proto_buf_init(&body);
    proto_buf_init(&want);
    proto_buf_init(&enc);
    assert_int_equal(proto_body_encode(&f, 1, &body), VOCFED_OK);
    s_put_hex(&want, "81 a1 78");
    s_put_hex(&want, want_hex);
    assert_int_equal(body.len, want.len);
    assert_memory_equal(body.data, want.data, want.len);
    assert_int_equal(proto_body_validate(body.data, body.len), VOCFED_OK);
    assert_int_equal(proto_body_get(body.data, body.len, "x", &got), VOCFED_OK);
    assert_true(s_value_eq(&got, v));
    proto_entry_t e = s_put_entry(body.data, body.len);
    s_roundtrip(&e, &enc);
    proto_buf_release(&body);
    proto_buf_release(&want);
    proto_buf_release(&enc);
}

/* ---- round trips -------------------------------------------------------- */

static void
test_roundtrip_ints(void **state)
{
    (void)state;
    /* Each value with its canonical encoding (SPEC 1), written out by
     * hand: every width boundary on both sides. */
    static const struct {
        int64_t v;
        const char *hex;
    } cases[] = {
        {INT64_MIN, "d3 80 00 00 00 00 00 00 00"},
        {INT64_MIN + 1, "d3 80 00 00 00 00 00 00 01"},
        {-2147483649ll, "d3 ff ff ff ff 7f ff ff ff"},
        {-2147483648ll, "d2 80 00 00 00"},
        {-32769, "d2 ff ff 7f ff"},
        {-32768, "d1 80 00"},
        {-129, "d1 ff 7f"},
        {-128, "d0 80"},
        {-33, "d0 df"},
        {-32, "e0"},
        {-1, "ff"},
        {0, "00"},
        {1, "01"},
        {127, "7f"},
        {128, "cc 80"},
        {255, "cc ff"},
        {256, "cd 01 00"},
        {65535, "cd ff ff"},
        {65536, "ce 00 01 00 00"},
        {4294967295ll, "ce ff ff ff ff"},
        {4294967296ll, "cf 00 00 00 01 00 00 00 00"},
        {INT64_MAX, "cf 7f ff ff ff ff ff ff ff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proto_value_t v = {.type = PROTO_VAL_INT, .i = cases[i].v};
        s_check_scalar(&v, cases[i].hex);
    }
}

static void
test_roundtrip_scalars(void **state)
{
    (void)state;
    proto_value_t nil = {.type = PROTO_VAL_NIL};
    proto_value_t no = {.type = PROTO_VAL_BOOL, .b = false};
    proto_value_t yes = {.type = PROTO_VAL_BOOL, .b = true};
    proto_value_t empty = {.type = PROTO_VAL_STR, .s = "", .slen = 0};
    proto_value_t empty_null = {.type = PROTO_VAL_STR, .s = NULL, .slen = 0};
    /* "中文" and an emoji: 3- and 4-byte UTF-8. */
    proto_value_t zh = {
        .type = PROTO_VAL_STR, .s = "\xe4\xb8\xad\xe6\x96\x87", .slen = 6};
    proto_value_t emoji = {
        .type = PROTO_VAL_STR, .s = "\xf0\x9f\x98\x80", .slen = 4};
    s_check_scalar(&nil, "c0");
    s_check_scalar(&no, "c2");
    s_check_scalar(&yes, "c3");
    s_check_scalar(&empty, "a0");
    s_check_scalar(&empty_null, "a0");
    s_check_scalar(&zh, "a6 e4 b8 ad e6 96 87");
    s_check_scalar(&emoji, "a4 f0 9f 98 80");
}

static void
test_roundtrip_string_widths(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        const char *header;
    } cases[] = {
        {1, "a1"},
        {31, "bf"},
        {32, "d9 20"},
        {255, "d9 ff"},
        {256, "da 01 00"},
        {4095, "da 0f ff"},
        {PROTO_STR_MAX, "da 10 00"},
    };
    char *s = malloc(PROTO_STR_MAX);
    assert_non_null(s);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len;
        /* Mix ASCII with whole 3-byte characters ("学") so the UTF-8
         * check runs over multi-byte text of every width. */
        for (size_t j = 0; j < len; j++)
            s[j] = 'a' + (char)(j % 26);
        for (size_t j = 0; j + 3 <= len; j += 7)
            memcpy(&s[j], "\xe5\xad\xa6", 3);
        proto_value_t v = {.type = PROTO_VAL_STR, .s = s, .slen = len};
        proto_field_t f = {.name = "x", .name_len = 1, .value = v};
        proto_buf_t body, enc;
        proto_buf_init(&body);
        proto_buf_init(&enc);
        assert_int_equal(proto_body_encode(&f, 1, &body), VOCFED_OK);
        uint8_t h[3];
        size_t hn = s_hex(cases[i].header, h, sizeof h);
        assert_int_equal(body.len, 3 + hn + len);
        assert_memory_equal(body.data + 3, h, hn);
        assert_memory_equal(body.data + 3 + hn, s, len);
        proto_entry_t e = s_put_entry(body.data, body.len);
        s_roundtrip(&e, &enc);
        proto_buf_release(&body);
        proto_buf_release(&enc);
    }
    free(s);
}

static void
test_roundtrip_entries(void **state)
{
    (void)state;
    proto_buf_t body, enc;
    proto_buf_init(&body);
    proto_buf_init(&enc);
    char author[PROTO_ID_MAX], kind[PROTO_KIND_MAX], key[PROTO_KEY_MAX];
    memset(author, 'z', sizeof author);
    author[0] = '9';
    author[1] = '.';
    author[2] = '-';
    author[3] = '_';
    memset(kind, 'k', sizeof kind);
    kind[5] = '_';
    kind[6] = '7';
    /* 128 two-byte characters: 256 bytes, the longest key. */
    for (size_t i = 0; i < sizeof key; i += 2)
        memcpy(&key[i], "\xc3\xa9", 2);

    proto_field_t f[] = {
        {"level", 5, {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
        {"intake_year", 11, {.type = PROTO_VAL_INT, .i = 2025}},
        {"note", 4, {.type = PROTO_VAL_NIL}},
        {"active", 6, {.type = PROTO_VAL_BOOL, .b = true}},
        {"name_zh", 7, {.type = PROTO_VAL_STR, .s = "张三", .slen = 6}},
    };
    assert_int_equal(proto_body_encode(f, 5, &body), VOCFED_OK);

    proto_entry_t e = s_put_entry(body.data, body.len);
    s_roundtrip(&e, &enc);

    /* Longest names, extreme seq and time, a UTF-8 key. */
    e.author = author;
    e.author_len = sizeof author;
    e.kind = kind;
    e.kind_len = sizeof kind;
    e.key = key;
    e.key_len = sizeof key;
    e.seq = UINT64_MAX;
    e.time_ms = UINT64_MAX;
    s_roundtrip(&e, &enc);
    e.time_ms = 0;
    s_roundtrip(&e, &enc);

    /* A Chinese key: "学生/张三". */
    e = s_put_entry(body.data, body.len);
    e.key = "\xe5\xad\xa6\xe7\x94\x9f/\xe5\xbc\xa0\xe4\xb8\x89";
    e.key_len = strlen(e.key);
    s_roundtrip(&e, &enc);

    /* An empty body is a put of a record with no fields. */
    proto_buf_reset(&body);
    assert_int_equal(proto_body_encode(NULL, 0, &body), VOCFED_OK);
    assert_int_equal(body.len, 1);
    assert_int_equal(body.data[0], 0x80);
    e = s_put_entry(body.data, body.len);
    s_roundtrip(&e, &enc);

    /* del. */
    e = s_put_entry(NULL, 0);
    e.op = PROTO_OP_DEL;
    e.seq = 2;
    s_roundtrip(&e, &enc);
    assert_int_equal(enc.data[enc.len - 1], 0xc0);

    proto_buf_release(&body);
    proto_buf_release(&enc);
}

/* A body of the most fields, and an entry of exactly PROTO_ENTRY_MAX
 * bytes; one more byte is refused on both sides. */
static void
test_roundtrip_limits(void **state)
{
    (void)state;
    proto_field_t f[PROTO_FIELDS_MAX + 1];
    char names[PROTO_FIELDS_MAX + 1][8];
    proto_buf_t body, enc;
    proto_buf_init(&body);
    proto_buf_init(&enc);
    for (size_t i = 0; i < PROTO_FIELDS_MAX; i++) {
        /* Given in reverse order, so the encoder has to sort. */
        int w = snprintf(names[i], sizeof names[i], "f%03zu",
                         PROTO_FIELDS_MAX - 1 - i);
        assert_true(w == 4);
        f[i].name = names[i];
        f[i].name_len = 4;
        f[i].value.type = PROTO_VAL_INT;
        f[i].value.i = (int64_t)i - 128;
    }
    assert_int_equal(proto_body_encode(f, PROTO_FIELDS_MAX, &body), VOCFED_OK);
    assert_int_equal(body.data[0], 0xde);
    proto_entry_t e = s_put_entry(body.data, body.len);
    s_roundtrip(&e, &enc);

    /* 15 strings of PROTO_STR_MAX bytes and a "pad" string sized so the
     * entry is exactly PROTO_ENTRY_MAX bytes. */
    char *s = malloc(PROTO_STR_MAX + 1);
    assert_non_null(s);
    memset(s, 'v', PROTO_STR_MAX + 1);
    for (size_t i = 0; i < 15; i++) {
        int w = snprintf(names[i], sizeof names[i], "f%02zu", i);
        assert_true(w == 3);
        f[i].name = names[i];
        f[i].name_len = 3;
        f[i].value.type = PROTO_VAL_STR;
        f[i].value.s = s;
        f[i].value.slen = PROTO_STR_MAX;
    }
    f[15].name = "pad";
    f[15].name_len = 3;
    f[15].value.type = PROTO_VAL_STR;
    f[15].value.s = s;
    f[15].value.slen = 1000;
    proto_buf_reset(&body);
    assert_int_equal(proto_body_encode(f, 16, &body), VOCFED_OK);
    e = s_put_entry(body.data, body.len);
    s_roundtrip(&e, &enc);
    assert_true(enc.len < PROTO_ENTRY_MAX);
    size_t pad = 1000 + (PROTO_ENTRY_MAX - enc.len);
    assert_true(pad >= 256 && pad < PROTO_STR_MAX);

    proto_buf_reset(&body);
    f[15].value.slen = pad;
    assert_int_equal(proto_body_encode(f, 16, &body), VOCFED_OK);
    e = s_put_entry(body.data, body.len);
    s_roundtrip(&e, &enc);
    assert_int_equal(enc.len, PROTO_ENTRY_MAX);

    /* One byte more: the encoder refuses and leaves out as it was. */
    proto_buf_reset(&body);
    f[15].value.slen = pad + 1;
    assert_int_equal(proto_body_encode(f, 16, &body), VOCFED_OK);
    e = s_put_entry(body.data, body.len);
    proto_buf_reset(&enc);
    assert_int_equal(proto_buf_append(&enc, "xyz", 3), VOCFED_OK);
    assert_int_equal(proto_entry_encode(&e, &enc), VOCFED_ETOOLARGE);
    assert_int_equal(enc.len, 3);

    /* And the decoder refuses the same bytes before reading them. */
    proto_buf_reset(&enc);
    s_put_hex(&enc, "98 01 a5 61 71 76 74 63 01 cf 00 00 01 9b 76 da a8 00"
                    " a3 70 75 74 a7 73 74 75 64 65 6e 74 a2 70 31");
    assert_int_equal(proto_buf_append(&enc, body.data, body.len), VOCFED_OK);
    assert_int_equal(enc.len, PROTO_ENTRY_MAX + 1);
    proto_entry_t d;
    assert_int_equal(proto_entry_decode(enc.data, enc.len, &d),
                     VOCFED_ETOOLARGE);

    free(s);
    proto_buf_release(&body);
    proto_buf_release(&enc);
}

/* ---- hand-made byte strings --------------------------------------------- */

/* An entry made of 10 parts of hex: the array header, the 8 elements,
 * and trailing bytes. A NULL part takes the default below, a valid put
 * {x: 1} of aqvtc seq 1 time 1, student p1. */
#define S_PARTS 10
static const char *const s_default_part[S_PARTS] = {
    "98",                      /* array of 8 */
    "01",                      /* version */
    "a5 61 71 76 74 63",       /* "aqvtc" */
    "01",                      /* seq */
    "01",                      /* time */
    "a3 70 75 74",             /* "put" */
    "a7 73 74 75 64 65 6e 74", /* "student" */
    "a2 70 31",                /* "p1" */
    "81 a1 78 01",             /* {x: 1} */
    "",                        /* nothing after */
};

#define S_DEL "a3 64 65 6c"
#define S_BODY(v) "81 a1 78 " v

typedef struct {
    const char *what;          /* shown when the case fails */
    const char *part[S_PARTS]; /* overrides; NULL keeps the default */
    int want;                  /* proto_entry_decode's answer */
} s_case_t;

static const s_case_t s_cases[] = {
    {"baseline put", {NULL}, VOCFED_OK},
    {"baseline del", {[5] = S_DEL, [8] = "c0"}, VOCFED_OK},
    {"empty body", {[8] = "80"}, VOCFED_OK},

    /* Integer widths for small values, in an unsigned field (seq). */
    {"seq uint8 5", {[3] = "cc 05"}, VOCFED_ENONCANONICAL},
    {"seq uint8 127", {[3] = "cc 7f"}, VOCFED_ENONCANONICAL},
    {"seq uint8 128", {[3] = "cc 80"}, VOCFED_OK},
    {"seq uint16 5", {[3] = "cd 00 05"}, VOCFED_ENONCANONICAL},
    {"seq uint16 255", {[3] = "cd 00 ff"}, VOCFED_ENONCANONICAL},
    {"seq uint16 256", {[3] = "cd 01 00"}, VOCFED_OK},
    {"seq uint32 5", {[3] = "ce 00 00 00 05"}, VOCFED_ENONCANONICAL},
    {"seq uint32 65535", {[3] = "ce 00 00 ff ff"}, VOCFED_ENONCANONICAL},
    {"seq uint32 65536", {[3] = "ce 00 01 00 00"}, VOCFED_OK},
    {"seq uint64 5",
     {[3] = "cf 00 00 00 00 00 00 00 05"},
     VOCFED_ENONCANONICAL},
    {"seq uint64 2^32-1",
     {[3] = "cf 00 00 00 00 ff ff ff ff"},
     VOCFED_ENONCANONICAL},
    {"seq uint64 2^32", {[3] = "cf 00 00 00 01 00 00 00 00"}, VOCFED_OK},
    {"seq uint64 max", {[3] = "cf ff ff ff ff ff ff ff ff"}, VOCFED_OK},
    {"seq int8 5", {[3] = "d0 05"}, VOCFED_ENONCANONICAL},
    {"seq int64 5", {[3] = "d3 00 00 00 00 00 00 00 05"}, VOCFED_ENONCANONICAL},
    {"seq -1", {[3] = "ff"}, VOCFED_EMALFORMED},
    {"seq -33", {[3] = "d0 df"}, VOCFED_EMALFORMED},
    {"seq 0", {[3] = "00"}, VOCFED_EMALFORMED},
    {"seq float", {[3] = "ca 3f 80 00 00"}, VOCFED_EMALFORMED},
    {"seq nil", {[3] = "c0"}, VOCFED_EMALFORMED},
    {"time 0", {[4] = "00"}, VOCFED_OK},
    {"time uint16 5", {[4] = "cd 00 05"}, VOCFED_ENONCANONICAL},

    /* Integer widths in a signed field (a body value). */
    {"int uint8 5", {[8] = S_BODY("cc 05")}, VOCFED_ENONCANONICAL},
    {"int uint16 5", {[8] = S_BODY("cd 00 05")}, VOCFED_ENONCANONICAL},
    {"int uint32 5", {[8] = S_BODY("ce 00 00 00 05")}, VOCFED_ENONCANONICAL},
    {"int uint64 5",
     {[8] = S_BODY("cf 00 00 00 00 00 00 00 05")},
     VOCFED_ENONCANONICAL},
    {"int int8 5", {[8] = S_BODY("d0 05")}, VOCFED_ENONCANONICAL},
    {"int int8 -32", {[8] = S_BODY("d0 e0")}, VOCFED_ENONCANONICAL},
    {"int int8 -1", {[8] = S_BODY("d0 ff")}, VOCFED_ENONCANONICAL},
    {"int int8 -33", {[8] = S_BODY("d0 df")}, VOCFED_OK},
    {"int int16 5", {[8] = S_BODY("d1 00 05")}, VOCFED_ENONCANONICAL},
    {"int int16 -128", {[8] = S_BODY("d1 ff 80")}, VOCFED_ENONCANONICAL},
    {"int int16 -129", {[8] = S_BODY("d1 ff 7f")}, VOCFED_OK},
    {"int int32 5", {[8] = S_BODY("d2 00 00 00 05")}, VOCFED_ENONCANONICAL},
    {"int int32 -32768",
     {[8] = S_BODY("d2 ff ff 80 00")},
     VOCFED_ENONCANONICAL},
    {"int int32 -32769", {[8] = S_BODY("d2 ff ff 7f ff")}, VOCFED_OK},
    {"int int64 5",
     {[8] = S_BODY("d3 00 00 00 00 00 00 00 05")},
     VOCFED_ENONCANONICAL},
    {"int int64 -2^31",
     {[8] = S_BODY("d3 ff ff ff ff 80 00 00 00")},
     VOCFED_ENONCANONICAL},
    {"int int64 -2^31-1",
     {[8] = S_BODY("d3 ff ff ff ff 7f ff ff ff")},
     VOCFED_OK},
    {"int int64 min", {[8] = S_BODY("d3 80 00 00 00 00 00 00 00")}, VOCFED_OK},
    {"int int64 max", {[8] = S_BODY("cf 7f ff ff ff ff ff ff ff")}, VOCFED_OK},
    {"int over int64",
     {[8] = S_BODY("cf 80 00 00 00 00 00 00 00")},
     VOCFED_ETOOLARGE},

    /* String widths. */
    {"key str8", {[7] = "d9 02 70 31"}, VOCFED_ENONCANONICAL},
    {"key str16", {[7] = "da 00 02 70 31"}, VOCFED_ENONCANONICAL},
    {"key str32", {[7] = "db 00 00 00 02 70 31"}, VOCFED_ENONCANONICAL},
    {"author str8", {[2] = "d9 05 61 71 76 74 63"}, VOCFED_ENONCANONICAL},
    {"op str8", {[5] = "d9 03 70 75 74"}, VOCFED_ENONCANONICAL},
    {"value str8 of 3", {[8] = S_BODY("d9 03 61 62 63")}, VOCFED_ENONCANONICAL},
    {"field name str8", {[8] = "81 d9 01 78 01"}, VOCFED_ENONCANONICAL},

    /* Container widths. */
    {"array16 of 8", {[0] = "dc 00 08"}, VOCFED_ENONCANONICAL},
    {"array32 of 8", {[0] = "dd 00 00 00 08"}, VOCFED_ENONCANONICAL},
    {"map16 of 1", {[8] = "de 00 01 a1 78 01"}, VOCFED_ENONCANONICAL},
    {"map32 of 1", {[8] = "df 00 00 00 01 a1 78 01"}, VOCFED_ENONCANONICAL},
    {"map16 of 0", {[8] = "de 00 00"}, VOCFED_ENONCANONICAL},

    /* Key order. */
    {"keys in order", {[8] = "82 a1 78 01 a1 79 01"}, VOCFED_OK},
    {"keys out of order", {[8] = "82 a1 79 01 a1 78 01"}, VOCFED_ENONCANONICAL},
    {"keys repeated", {[8] = "82 a1 78 01 a1 78 02"}, VOCFED_ENONCANONICAL},
    {"prefix first", {[8] = "82 a1 78 01 a2 78 79 01"}, VOCFED_OK},
    {"prefix second", {[8] = "82 a2 78 79 01 a1 78 01"}, VOCFED_ENONCANONICAL},

    /* UTF-8 (SPEC 1): in a value, a key and an author. */
    {"utf8 2-byte", {[8] = S_BODY("a2 c2 80")}, VOCFED_OK},
    {"utf8 3-byte", {[8] = S_BODY("a3 e4 b8 ad")}, VOCFED_OK},
    {"utf8 4-byte", {[8] = S_BODY("a4 f0 9f 98 80")}, VOCFED_OK},
    {"utf8 U+D7FF", {[8] = S_BODY("a3 ed 9f bf")}, VOCFED_OK},
    {"utf8 U+E000", {[8] = S_BODY("a3 ee 80 80")}, VOCFED_OK},
    {"utf8 U+10FFFF", {[8] = S_BODY("a4 f4 8f bf bf")}, VOCFED_OK},
    {"utf8 overlong c0 80", {[8] = S_BODY("a2 c0 80")}, VOCFED_ENONCANONICAL},
    {"utf8 overlong c1 bf", {[8] = S_BODY("a2 c1 bf")}, VOCFED_ENONCANONICAL},
    {"utf8 overlong e0 80 80",
     {[8] = S_BODY("a3 e0 80 80")},
     VOCFED_ENONCANONICAL},
    {"utf8 overlong e0 9f bf",
     {[8] = S_BODY("a3 e0 9f bf")},
     VOCFED_ENONCANONICAL},
    {"utf8 overlong f0 80 80 80",
     {[8] = S_BODY("a4 f0 80 80 80")},
     VOCFED_ENONCANONICAL},
    {"utf8 overlong f0 8f bf bf",
     {[8] = S_BODY("a4 f0 8f bf bf")},
     VOCFED_ENONCANONICAL},
    {"utf8 surrogate d800",
     {[8] = S_BODY("a3 ed a0 80")},
     VOCFED_ENONCANONICAL},
    {"utf8 surrogate dfff",
     {[8] = S_BODY("a3 ed bf bf")},
     VOCFED_ENONCANONICAL},
    {"utf8 above U+10FFFF",
     {[8] = S_BODY("a4 f4 90 80 80")},
     VOCFED_ENONCANONICAL},
    {"utf8 f5", {[8] = S_BODY("a4 f5 80 80 80")}, VOCFED_ENONCANONICAL},
    {"utf8 ff", {[8] = S_BODY("a1 ff")}, VOCFED_ENONCANONICAL},
    {"utf8 lone continuation", {[8] = S_BODY("a1 80")}, VOCFED_ENONCANONICAL},
    {"utf8 cut 2-byte", {[8] = S_BODY("a1 c3")}, VOCFED_ENONCANONICAL},
    {"utf8 cut 3-byte", {[8] = S_BODY("a2 e4 b8")}, VOCFED_ENONCANONICAL},
    {"utf8 bad continuation",
     {[8] = S_BODY("a3 e4 28 ad")},
     VOCFED_ENONCANONICAL},
    {"utf8 key overlong", {[7] = "a2 c0 80"}, VOCFED_ENONCANONICAL},
    {"utf8 key surrogate", {[7] = "a3 ed a0 80"}, VOCFED_ENONCANONICAL},

    /* Types vocfed does not use. */
    {"float32 value", {[8] = S_BODY("ca 3f 80 00 00")}, VOCFED_EMALFORMED},
    {"float64 value",
     {[8] = S_BODY("cb 3f f0 00 00 00 00 00 00")},
     VOCFED_EMALFORMED},
    {"c1 value", {[8] = S_BODY("c1")}, VOCFED_EMALFORMED},
    {"c1 body", {[8] = "c1"}, VOCFED_EMALFORMED},
    {"c1 header", {[0] = "c1"}, VOCFED_EMALFORMED},
    {"fixext1 value", {[8] = S_BODY("d4 01 00")}, VOCFED_EMALFORMED},
    {"fixext16 value",
     {[8] = S_BODY("d8 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")},
     VOCFED_EMALFORMED},
    {"ext8 value", {[8] = S_BODY("c7 01 01 00")}, VOCFED_EMALFORMED},
    {"bin8 value", {[8] = S_BODY("c4 01 00")}, VOCFED_EMALFORMED},
    {"bin8 key", {[7] = "c4 02 70 31"}, VOCFED_EMALFORMED},
    {"nested map", {[8] = S_BODY("81 a1 79 01")}, VOCFED_EMALFORMED},
    {"nested empty map", {[8] = S_BODY("80")}, VOCFED_EMALFORMED},
    {"nested array", {[8] = S_BODY("91 01")}, VOCFED_EMALFORMED},
    {"nested empty array", {[8] = S_BODY("90")}, VOCFED_EMALFORMED},
    {"nested map16", {[8] = S_BODY("de 00 10")}, VOCFED_EMALFORMED},
    {"body is an array", {[8] = "91 01"}, VOCFED_EMALFORMED},
    {"body is a string", {[8] = "a1 78"}, VOCFED_EMALFORMED},
    {"body is an int", {[8] = "01"}, VOCFED_EMALFORMED},
    {"int field name", {[8] = "81 01 01"}, VOCFED_EMALFORMED},
    {"entry is a map", {[0] = "88"}, VOCFED_EMALFORMED},

    /* Structure. */
    {"trailing byte", {[9] = "00"}, VOCFED_EMALFORMED},
    {"trailing nil", {[9] = "c0"}, VOCFED_EMALFORMED},
    {"array of 7", {[0] = "97"}, VOCFED_EMALFORMED},
    {"array of 9", {[0] = "99", [9] = "c0"}, VOCFED_EMALFORMED},
    {"array of 0", {[0] = "90"}, VOCFED_EMALFORMED},
    {"array16 runs past the end", {[0] = "dc ff ff"}, VOCFED_EMALFORMED},
    {"map16 runs past the end", {[8] = "de ff ff"}, VOCFED_EMALFORMED},
    {"fixmap runs past the end", {[8] = "8f a1 78 01"}, VOCFED_EMALFORMED},
    {"value runs past the end", {[8] = S_BODY("a5 61")}, VOCFED_EMALFORMED},

    /* Version, checked before anything else (SPEC 3.1). */
    {"version 2", {[1] = "02"}, VOCFED_EVERSION},
    {"version 0", {[1] = "00"}, VOCFED_EVERSION},
    {"version 255", {[1] = "cc ff"}, VOCFED_EVERSION},
    {"version 2, array of 1", {[0] = "91", [1] = "02"}, VOCFED_EVERSION},
    {"version 2, array of 9",
     {[0] = "99", [1] = "02", [9] = "c0"},
     VOCFED_EVERSION},
    {"version 2, bad author", {[1] = "02", [2] = "a0"}, VOCFED_EVERSION},
    {"version uint8 1", {[1] = "cc 01"}, VOCFED_ENONCANONICAL},
    {"version -1", {[1] = "ff"}, VOCFED_EMALFORMED},
    {"version string", {[1] = "a1 31"}, VOCFED_EMALFORMED},

    /* Names (SPEC 3.2). */
    {"author empty", {[2] = "a0"}, VOCFED_EMALFORMED},
    {"author upper", {[2] = "a5 41 71 76 74 63"}, VOCFED_EMALFORMED},
    {"author starts _", {[2] = "a4 5f 61 62 63"}, VOCFED_EMALFORMED},
    {"author starts .", {[2] = "a2 2e 61"}, VOCFED_EMALFORMED},
    {"author space", {[2] = "a3 61 20 62"}, VOCFED_EMALFORMED},
    {"author slash", {[2] = "a3 61 2f 62"}, VOCFED_EMALFORMED},
    {"author a.-_", {[2] = "a4 61 2e 2d 5f"}, VOCFED_OK},
    {"author digit", {[2] = "a1 30"}, VOCFED_OK},
    {"author not a string", {[2] = "01"}, VOCFED_EMALFORMED},
    {"kind empty", {[6] = "a0"}, VOCFED_EMALFORMED},
    {"kind starts digit", {[6] = "a3 31 73 74"}, VOCFED_EMALFORMED},
    {"kind upper", {[6] = "a7 53 74 75 64 65 6e 74"}, VOCFED_EMALFORMED},
    {"kind dash", {[6] = "a3 73 2d 74"}, VOCFED_EMALFORMED},
    {"kind dot", {[6] = "a3 73 2e 74"}, VOCFED_EMALFORMED},
    {"kind s_1", {[6] = "a3 73 5f 31"}, VOCFED_OK},
    {"key empty", {[7] = "a0"}, VOCFED_EMALFORMED},
    {"key 0x01", {[7] = "a2 70 01"}, VOCFED_EMALFORMED},
    {"key 0x1f", {[7] = "a2 70 1f"}, VOCFED_EMALFORMED},
    {"key 0x7f", {[7] = "a2 70 7f"}, VOCFED_EMALFORMED},
    {"key NUL", {[7] = "a2 70 00"}, VOCFED_EMALFORMED},
    {"key space", {[7] = "a3 70 20 31"}, VOCFED_OK},
    {"key chinese", {[7] = "a3 e4 b8 ad"}, VOCFED_OK},
    {"key not a string", {[7] = "01"}, VOCFED_EMALFORMED},
    {"field name upper", {[8] = "81 a1 41 01"}, VOCFED_EMALFORMED},
    {"field name empty", {[8] = "81 a0 01"}, VOCFED_EMALFORMED},
    {"field name digit first", {[8] = "81 a2 31 78 01"}, VOCFED_EMALFORMED},
    {"field name dash", {[8] = "81 a3 78 2d 79 01"}, VOCFED_EMALFORMED},

    /* op and body. */
    {"op get", {[5] = "a3 67 65 74"}, VOCFED_EMALFORMED},
    {"op PUT", {[5] = "a3 50 55 54"}, VOCFED_EMALFORMED},
    {"op puts", {[5] = "a4 70 75 74 73"}, VOCFED_EMALFORMED},
    {"op pu", {[5] = "a2 70 75"}, VOCFED_EMALFORMED},
    {"op empty", {[5] = "a0"}, VOCFED_EMALFORMED},
    {"op int", {[5] = "00"}, VOCFED_EMALFORMED},
    {"del with a body", {[5] = S_DEL}, VOCFED_EMALFORMED},
    {"del with an empty body", {[5] = S_DEL, [8] = "80"}, VOCFED_EMALFORMED},
    {"del with false", {[5] = S_DEL, [8] = "c2"}, VOCFED_EMALFORMED},
    {"put with nil", {[8] = "c0"}, VOCFED_EMALFORMED},
    {"del nil trailing",
     {[5] = S_DEL, [8] = "c0", [9] = "c0"},
     VOCFED_EMALFORMED},
};

/* Invalid UTF-8 where only ASCII names are allowed breaks both SPEC 1
 * (non-canonical) and SPEC 3.2 (malformed): either answer is accepted,
 * since names are read without the UTF-8 pass (proto_rd_name). */
static const s_case_t s_name_utf8_cases[] = {
    {"utf8 author f5", {[2] = "a2 f5 80"}, VOCFED_ENONCANONICAL},
    {"utf8 kind overlong", {[6] = "a3 73 c0 80"}, VOCFED_ENONCANONICAL},
    {"utf8 op surrogate", {[5] = "a3 ed a0 80"}, VOCFED_ENONCANONICAL},
    {"utf8 field name", {[8] = "81 a2 c0 80 01"}, VOCFED_ENONCANONICAL},
};

static void
test_hand_made(void **state)
{
    (void)state;
    const size_t ncases = sizeof s_cases / sizeof s_cases[0];
    const size_t nnames =
        sizeof s_name_utf8_cases / sizeof s_name_utf8_cases[0];
    int failures = 0;
    for (size_t i = 0; i < ncases + nnames; i++) {
        bool name = i >= ncases;
        const s_case_t *c = name ? &s_name_utf8_cases[i - ncases] : &s_cases[i];
        uint8_t bytes[S_BYTES_MAX];
        size_t len = 0;
        for (size_t p = 0; p < S_PARTS; p++) {
            const char *hex = c->part[p] ? c->part[p] : s_default_part[p];
            len += s_hex(hex, bytes + len, sizeof bytes - len);
        }
        proto_entry_t d;
        int rc = proto_entry_decode(bytes, len, &d);
        if (rc != c->want && !(name && rc == VOCFED_EMALFORMED)) {
            print_error("case \"%s\": got %s, want %s\n", c->what,
                        vocfed_status_token(rc), vocfed_status_token(c->want));
            failures++;
            continue;
        }
        /* Whatever decodes must re-encode to the same bytes. */
        if (rc == VOCFED_OK) {
            proto_buf_t again;
            proto_buf_init(&again);
            assert_int_equal(proto_entry_encode(&d, &again), VOCFED_OK);
            assert_int_equal(again.len, len);
            assert_memory_equal(again.data, bytes, len);
            proto_buf_release(&again);
        }
    }
    assert_int_equal(failures, 0);
}

/* Decodes a put of the default parts with one element replaced by b. */
static int
s_decode_with(size_t part, const proto_buf_t *b)
{
    proto_buf_t e;
    proto_entry_t d;
    proto_buf_init(&e);
    for (size_t p = 0; p < S_PARTS; p++) {
        if (p == part)
            assert_int_equal(proto_buf_append(&e, b->data, b->len), VOCFED_OK);
        else
            s_put_hex(&e, s_default_part[p]);
    }
    int rc = proto_entry_decode(e.data, e.len, &d);
    proto_buf_release(&e);
    return rc;
}

/* Name and length limits, one byte on each side. */
static void
test_hand_made_lengths(void **state)
{
    (void)state;
    proto_buf_t b;
    proto_buf_init(&b);

    s_put_str_fill(&b, 'a', PROTO_ID_MAX);
    assert_int_equal(s_decode_with(2, &b), VOCFED_OK);
    proto_buf_reset(&b);
    s_put_str_fill(&b, 'a', PROTO_ID_MAX + 1);
    assert_int_equal(s_decode_with(2, &b), VOCFED_EMALFORMED);

    proto_buf_reset(&b);
    s_put_str_fill(&b, 'k', PROTO_KIND_MAX);
    assert_int_equal(s_decode_with(6, &b), VOCFED_OK);
    proto_buf_reset(&b);
    s_put_str_fill(&b, 'k', PROTO_KIND_MAX + 1);
    assert_int_equal(s_decode_with(6, &b), VOCFED_EMALFORMED);

    proto_buf_reset(&b);
    s_put_str_fill(&b, '#', PROTO_KEY_MAX);
    assert_int_equal(s_decode_with(7, &b), VOCFED_OK);
    proto_buf_reset(&b);
    s_put_str_fill(&b, '#', PROTO_KEY_MAX + 1);
    assert_int_equal(s_decode_with(7, &b), VOCFED_EMALFORMED);

    proto_buf_reset(&b);
    s_put_hex(&b, "81");
    s_put_str_fill(&b, 'f', PROTO_FIELD_MAX);
    s_put_hex(&b, "01");
    assert_int_equal(s_decode_with(8, &b), VOCFED_OK);
    proto_buf_reset(&b);
    s_put_hex(&b, "81");
    s_put_str_fill(&b, 'f', PROTO_FIELD_MAX + 1);
    s_put_hex(&b, "01");
    assert_int_equal(s_decode_with(8, &b), VOCFED_EMALFORMED);

    proto_buf_reset(&b);
    s_put_hex(&b, "81 a1 78");
    s_put_str_fill(&b, 'v', PROTO_STR_MAX);
    assert_int_equal(s_decode_with(8, &b), VOCFED_OK);
    proto_buf_reset(&b);
    s_put_hex(&b, "81 a1 78");
    s_put_str_fill(&b, 'v', PROTO_STR_MAX + 1);
    assert_int_equal(s_decode_with(8, &b), VOCFED_ETOOLARGE);
    assert_int_equal(proto_body_validate(b.data, b.len), VOCFED_ETOOLARGE);

    /* map16 of PROTO_FIELDS_MAX and of one more, names f000, f001... */
    for (size_t n = PROTO_FIELDS_MAX; n <= PROTO_FIELDS_MAX + 1; n++) {
        proto_buf_reset(&b);
        uint8_t h[3] = {0xde, (uint8_t)(n >> 8), (uint8_t)n};
        assert_int_equal(proto_buf_append(&b, h, 3), VOCFED_OK);
        for (size_t i = 0; i < n; i++) {
            char name[8];
            assert_int_equal(snprintf(name, sizeof name, "f%03zu", i), 4);
            s_put_str_header(&b, 4);
            assert_int_equal(proto_buf_append(&b, name, 4), VOCFED_OK);
            s_put_hex(&b, "c3");
        }
        int want = n == PROTO_FIELDS_MAX ? VOCFED_OK : VOCFED_ETOOLARGE;
        assert_int_equal(s_decode_with(8, &b), want);
        assert_int_equal(proto_body_validate(b.data, b.len), want);
    }

    /* An array32 header is never canonical for 8 elements, and one
     * that claims more elements than bytes is refused before use. */
    proto_buf_reset(&b);
    s_put_hex(&b, "dd 00 00 ff ff");
    assert_int_equal(s_decode_with(0, &b), VOCFED_ENONCANONICAL);
    proto_buf_reset(&b);
    s_put_hex(&b, "dd 00 01 00 00");
    assert_int_equal(s_decode_with(0, &b), VOCFED_EMALFORMED);
    proto_buf_reset(&b);
    s_put_hex(&b, "dd ff ff ff ff");
    assert_int_equal(s_decode_with(0, &b), VOCFED_EMALFORMED);
    proto_buf_reset(&b);
    s_put_hex(&b, "81 a1 78 db ff ff ff ff");
    assert_int_equal(s_decode_with(8, &b), VOCFED_EMALFORMED);
    proto_buf_reset(&b);
    s_put_hex(&b, "81 a1 78 db 00 01 00 00");
    assert_int_equal(s_decode_with(8, &b), VOCFED_EMALFORMED);

    proto_buf_release(&b);
}

/* ---- truncations and single-byte changes -------------------------------- */

/* The valid entries the exhaustive checks walk: the golden vectors and
 * one with every value type and several widths. */
static size_t
s_sample(size_t which, proto_buf_t *out)
{
    proto_buf_reset(out);
    if (which == 0 || which == 1) {
        uint8_t v[S_BYTES_MAX];
        size_t n = s_read_vector(which ? "entry_del.hex" : "entry_put.hex", v,
                                 sizeof v);
        assert_int_equal(proto_buf_append(out, v, n), VOCFED_OK);
        return out->len;
    }
    proto_field_t f[] = {
        {"a", 1, {.type = PROTO_VAL_NIL}},
        {"b", 1, {.type = PROTO_VAL_BOOL, .b = false}},
        {"c", 1, {.type = PROTO_VAL_BOOL, .b = true}},
        {"d", 1, {.type = PROTO_VAL_INT, .i = -33}},
        {"e", 1, {.type = PROTO_VAL_INT, .i = -129}},
        {"f", 1, {.type = PROTO_VAL_INT, .i = 65536}},
        {"g", 1, {.type = PROTO_VAL_INT, .i = INT64_MIN}},
        {"h", 1, {.type = PROTO_VAL_INT, .i = 300}},
        {"i", 1, {.type = PROTO_VAL_STR, .s = "\xe4\xb8\xad", .slen = 3}},
        {"j", 1, {.type = PROTO_VAL_STR, .s = "", .slen = 0}},
        {"jj", 2, {.type = PROTO_VAL_INT, .i = 5}},
        {"k",
         1,
         {.type = PROTO_VAL_STR,
          .s = "0123456789abcdef0123456789abcdef!",
          .slen = 33}},
        {"l", 1, {.type = PROTO_VAL_INT, .i = INT64_MAX}},
        {"m", 1, {.type = PROTO_VAL_INT, .i = -32768}},
        {"n", 1, {.type = PROTO_VAL_INT, .i = 128}},
        {"o", 1, {.type = PROTO_VAL_INT, .i = -2147483649ll}},
    };
    proto_buf_t body;
    proto_buf_init(&body);
    assert_int_equal(proto_body_encode(f, sizeof f / sizeof f[0], &body),
                     VOCFED_OK);
    proto_entry_t e = s_put_entry(body.data, body.len);
    e.seq = 70000;
    e.key = "\xe5\xad\xa6 1";
    e.key_len = 5;
    assert_int_equal(proto_entry_encode(&e, out), VOCFED_OK);
    proto_buf_release(&body);
    return out->len;
}

#define S_SAMPLES 3

static void
test_truncations(void **state)
{
    (void)state;
    proto_buf_t b;
    proto_buf_init(&b);
    for (size_t s = 0; s < S_SAMPLES; s++) {
        size_t len = s_sample(s, &b);
        proto_entry_t d;
        assert_int_equal(proto_entry_decode(b.data, len, &d), VOCFED_OK);
        for (size_t cut = 0; cut < len; cut++) {
            /* A copy of exactly cut bytes, so ASan sees any read past. */
            uint8_t *p = malloc(cut ? cut : 1);
            assert_non_null(p);
            memcpy(p, b.data, cut);
            int rc = proto_entry_decode(p, cut, &d);
            if (rc == VOCFED_OK)
                fail_msg("sample %zu cut at %zu decodes", s, cut);
            assert_true(rc < 0);
            free(p);
        }
        /* Every cut of the body alone, too. */
        if (d.body) {
            size_t off = (size_t)(d.body - b.data);
            for (size_t cut = 0; cut < d.body_len; cut++) {
                uint8_t *p = malloc(cut ? cut : 1);
                assert_non_null(p);
                memcpy(p, b.data + off, cut);
                assert_int_not_equal(proto_body_validate(p, cut), VOCFED_OK);
                free(p);
            }
        }
    }
    proto_buf_release(&b);
}

static void
test_single_byte_changes(void **state)
{
    (void)state;
    proto_buf_t b, again;
    proto_buf_init(&b);
    proto_buf_init(&again);
    size_t accepted = 0;
    for (size_t s = 0; s < S_SAMPLES; s++) {
        size_t len = s_sample(s, &b);
        uint8_t *p = malloc(len);
        assert_non_null(p);
        for (size_t i = 0; i < len; i++) {
            for (unsigned v = 0; v < 256; v++) {
                if (v == b.data[i])
                    continue;
                memcpy(p, b.data, len);
                p[i] = (uint8_t)v;
                proto_entry_t d;
                int rc = proto_entry_decode(p, len, &d);
                if (rc != VOCFED_OK) {
                    assert_true(rc < 0);
                    continue;
                }
                /* Accepted: it must be the one encoding of what it
                 * decodes to, body included. */
                accepted++;
                proto_buf_reset(&again);
                assert_int_equal(proto_entry_encode(&d, &again), VOCFED_OK);
                if (again.len != len || memcmp(again.data, p, len) != 0)
                    fail_msg("sample %zu byte %zu = %02x decodes but "
                             "re-encodes differently",
                             s, i, v);
                if (d.body)
                    s_assert_body_reencodes(d.body, d.body_len);
            }
        }
        free(p);
    }
    /* Some changes are valid entries (another seq, another letter). */
    assert_true(accepted > 0);
    proto_buf_release(&b);
    proto_buf_release(&again);
}

/* ---- the body builder and reader ---------------------------------------- */

static void
test_body_encode(void **state)
{
    (void)state;
    proto_buf_t b;
    proto_buf_init(&b);

    /* Sorted bytewise, a prefix first. */
    proto_field_t f[] = {
        {"zeta", 4, {.type = PROTO_VAL_INT, .i = 1}},
        {"ab", 2, {.type = PROTO_VAL_INT, .i = 2}},
        {"a", 1, {.type = PROTO_VAL_INT, .i = 3}},
        {"a_b", 3, {.type = PROTO_VAL_INT, .i = 4}},
        {"a1", 2, {.type = PROTO_VAL_INT, .i = 5}},
    };
    assert_int_equal(proto_body_encode(f, 5, &b), VOCFED_OK);
    uint8_t want[64];
    size_t n = s_hex("85 a1 61 03 a2 61 31 05 a3 61 5f 62 04 a2 61 62 02"
                     " a4 7a 65 74 61 01",
                     want, sizeof want);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, want, n);
    assert_int_equal(proto_body_validate(b.data, b.len), VOCFED_OK);

    /* Appends after what is there. */
    proto_buf_reset(&b);
    assert_int_equal(proto_buf_append(&b, "\x99", 1), VOCFED_OK);
    assert_int_equal(proto_body_encode(f, 5, &b), VOCFED_OK);
    assert_int_equal(b.len, n + 1);
    assert_memory_equal(b.data + 1, want, n);

    /* Duplicates, in any position. */
    proto_field_t dup[] = {
        {"b", 1, {.type = PROTO_VAL_INT, .i = 1}},
        {"a", 1, {.type = PROTO_VAL_INT, .i = 2}},
        {"b", 1, {.type = PROTO_VAL_NIL}},
    };
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(dup, 3, &b), VOCFED_EINVALID);
    /* Two of eight fields (or of 40, past the insertion sort) named
     * alike, at every two places, the others in rising, falling and
     * mixed order: refused, and the fields given are all still there
     * (each name, "aa" to "bn", counted in and out). */
    char two[40][2];
    for (size_t i = 0; i < 40; i++)
        two[i][0] = (char)('a' + i / 26), two[i][1] = (char)('a' + i % 26);
    for (size_t total = 8; total <= 40; total += 32)
        for (size_t order = 0; order < 3; order++)
            for (size_t p = 0; p < total; p++)
                for (size_t q = p + 1; q < total; q++) {
                    proto_field_t many[40];
                    int count[40] = {0};
                    for (size_t i = 0; i < total; i++) {
                        size_t at = order == 0   ? i
                                    : order == 1 ? total - 1 - i
                                                 : (i * 3) % total;
                        many[i] = (proto_field_t){
                            two[at], 2, {.type = PROTO_VAL_INT, .i = 1}};
                    }
                    many[q].name = many[p].name;
                    for (size_t i = 0; i < total; i++)
                        count[(many[i].name - two[0]) / 2]++;
                    proto_buf_reset(&b);
                    assert_int_equal(proto_body_encode(many, total, &b),
                                     VOCFED_EINVALID);
                    for (size_t i = 0; i < total; i++)
                        count[(many[i].name - two[0]) / 2]--;
                    for (size_t c = 0; c < 40; c++)
                        assert_int_equal(count[c], 0);
                }

    /* Bad names. */
    static const char *const bad[] = {"",    "A",   "1a",  "_a",
                                      "a-b", "a.b", "a b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        proto_field_t one = {bad[i], strlen(bad[i]), {.type = PROTO_VAL_NIL}};
        proto_buf_reset(&b);
        assert_int_equal(proto_body_encode(&one, 1, &b), VOCFED_EINVALID);
    }
    char longname[PROTO_FIELD_MAX + 1];
    memset(longname, 'n', sizeof longname);
    proto_field_t ln = {longname, PROTO_FIELD_MAX, {.type = PROTO_VAL_NIL}};
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(&ln, 1, &b), VOCFED_OK);
    ln.name_len = PROTO_FIELD_MAX + 1;
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(&ln, 1, &b), VOCFED_EINVALID);

    /* Bad values: over-long or invalid UTF-8 strings, a NULL string
     * with a length, an unknown type. */
    char *big = malloc(PROTO_STR_MAX + 1);
    assert_non_null(big);
    memset(big, 's', PROTO_STR_MAX + 1);
    proto_field_t v = {"x", 1, {.type = PROTO_VAL_STR, .s = big}};
    v.value.slen = PROTO_STR_MAX + 1;
    proto_buf_reset(&b);
    int rc = proto_body_encode(&v, 1, &b);
    assert_true(rc == VOCFED_EINVALID || rc == VOCFED_ETOOLARGE);
    v.value.slen = PROTO_STR_MAX;
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(&v, 1, &b), VOCFED_OK);
    free(big);
    v.value.s = "\xc0\x80";
    v.value.slen = 2;
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(&v, 1, &b), VOCFED_EINVALID);
    v.value.s = "\xed\xa0\x80";
    v.value.slen = 3;
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(&v, 1, &b), VOCFED_EINVALID);
    v.value.s = NULL;
    v.value.slen = 1;
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(&v, 1, &b), VOCFED_EINVALID);
    v.value.type = (proto_val_type_t)42;
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(&v, 1, &b), VOCFED_EINVALID);

    /* Too many fields: PROTO_FIELDS_MAX + 1 distinct valid names. */
    proto_field_t *many = calloc(PROTO_FIELDS_MAX + 1, sizeof *many);
    char(*names)[8] = calloc(PROTO_FIELDS_MAX + 1, sizeof *names);
    assert_non_null(many);
    assert_non_null(names);
    for (size_t i = 0; i <= PROTO_FIELDS_MAX; i++) {
        assert_int_equal(snprintf(names[i], 8, "f%03zu", i), 4);
        many[i].name = names[i];
        many[i].name_len = 4;
        many[i].value.type = PROTO_VAL_BOOL;
    }
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(many, PROTO_FIELDS_MAX + 1, &b),
                     VOCFED_ETOOLARGE);
    proto_buf_reset(&b);
    assert_int_equal(proto_body_encode(many, PROTO_FIELDS_MAX, &b), VOCFED_OK);
    assert_int_equal(proto_body_validate(b.data, b.len), VOCFED_OK);
    free(many);
    free(names);

    proto_buf_release(&b);
}

static void
test_body_read(void **state)
{
    (void)state;
    proto_buf_t b;
    proto_buf_init(&b);
    proto_field_t f[] = {
        {"level", 5, {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
        {"intake_year", 11, {.type = PROTO_VAL_INT, .i = 2025}},
        {"lev", 3, {.type = PROTO_VAL_BOOL, .b = true}},
        {"note", 4, {.type = PROTO_VAL_NIL}},
    };
    assert_int_equal(proto_body_encode(f, 4, &b), VOCFED_OK);

    proto_value_t v;
    assert_int_equal(proto_body_get(b.data, b.len, "level", &v), VOCFED_OK);
    assert_int_equal(v.type, PROTO_VAL_STR);
    assert_true(s_span_eq(v.s, v.slen, "higher", 6));
    assert_int_equal(proto_body_get(b.data, b.len, "intake_year", &v),
                     VOCFED_OK);
    assert_int_equal(v.type, PROTO_VAL_INT);
    assert_int_equal(v.i, 2025);
    assert_int_equal(proto_body_get(b.data, b.len, "lev", &v), VOCFED_OK);
    assert_int_equal(v.type, PROTO_VAL_BOOL);
    assert_true(v.b);
    assert_int_equal(proto_body_get(b.data, b.len, "note", &v), VOCFED_OK);
    assert_int_equal(v.type, PROTO_VAL_NIL);
    assert_int_equal(proto_body_get(b.data, b.len, "le", &v), VOCFED_ENOTFOUND);
    assert_int_equal(proto_body_get(b.data, b.len, "levels", &v),
                     VOCFED_ENOTFOUND);
    assert_int_equal(proto_body_get(b.data, b.len, "", &v), VOCFED_ENOTFOUND);

    /* The iterator gives the fields in canonical order, then 0 again
     * and again. */
    static const char *const order[] = {"intake_year", "lev", "level", "note"};
    proto_body_iter_t it;
    proto_field_t got;
    assert_int_equal(proto_body_iter_init(&it, b.data, b.len), VOCFED_OK);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(proto_body_iter_next(&it, &got), 1);
        assert_true(
            s_span_eq(got.name, got.name_len, order[i], strlen(order[i])));
    }
    assert_int_equal(proto_body_iter_next(&it, &got), 0);
    assert_int_equal(proto_body_iter_next(&it, &got), 0);

    /* An empty body: nothing to read, nothing found. */
    uint8_t empty = 0x80;
    assert_int_equal(proto_body_iter_init(&it, &empty, 1), VOCFED_OK);
    assert_int_equal(proto_body_iter_next(&it, &got), 0);
    assert_int_equal(proto_body_get(&empty, 1, "x", &v), VOCFED_ENOTFOUND);

    /* Not a map, and a map cut short: errors, not crashes. */
    uint8_t notmap = 0x91;
    assert_int_equal(proto_body_iter_init(&it, &notmap, 1), VOCFED_EMALFORMED);
    assert_int_not_equal(proto_body_get(&notmap, 1, "x", &v), VOCFED_OK);
    for (size_t cut = 0; cut < b.len; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        assert_non_null(p);
        memcpy(p, b.data, cut);
        int rc = proto_body_get(p, cut, "note", &v);
        assert_true(rc < 0);
        free(p);
    }
    proto_buf_release(&b);
}

/* ---- entry encode refusals ---------------------------------------------- */

static void
test_encode_refusals(void **state)
{
    (void)state;
    proto_buf_t b;
    proto_buf_init(&b);
    uint8_t body[] = {0x81, 0xa1, 0x78, 0x01};
    proto_entry_t good = s_put_entry(body, sizeof body);
    proto_entry_t e;

#define S_REFUSE(change, want)                                                 \
    do {                                                                       \
        e = good;                                                              \
        change;                                                                \
        proto_buf_reset(&b);                                                   \
        assert_int_equal(proto_entry_encode(&e, &b), (want));                  \
        assert_int_equal(b.len, 0);                                            \
    } while (0)

    e = good;
    assert_int_equal(proto_entry_encode(&e, &b), VOCFED_OK);
    S_REFUSE(e.version = 2, VOCFED_EINVALID);
    S_REFUSE(e.version = 0, VOCFED_EINVALID);
    S_REFUSE(e.seq = 0, VOCFED_EINVALID);
    S_REFUSE((e.author = "Aqvtc"), VOCFED_EINVALID);
    S_REFUSE(e.author_len = 0, VOCFED_EINVALID);
    S_REFUSE((e.author = "aqvtc/x", e.author_len = 7), VOCFED_EINVALID);
    S_REFUSE((e.kind = "Student"), VOCFED_EINVALID);
    S_REFUSE(e.kind_len = 0, VOCFED_EINVALID);
    S_REFUSE((e.key = "p\n"), VOCFED_EINVALID);
    S_REFUSE(e.key_len = 0, VOCFED_EINVALID);
    S_REFUSE((e.key = "\xc0\x80"), VOCFED_EINVALID);
    S_REFUSE(e.op = (proto_op_t)7, VOCFED_EINVALID);
    S_REFUSE((e.body = NULL, e.body_len = 0), VOCFED_EINVALID);
    S_REFUSE(e.op = PROTO_OP_DEL, VOCFED_EINVALID);
    S_REFUSE(e.body_len = 3, VOCFED_EINVALID);
    static const uint8_t unsorted[] = {0x82, 0xa1, 0x79, 0x01,
                                       0xa1, 0x78, 0x01};
    S_REFUSE((e.body = unsorted, e.body_len = sizeof unsorted),
             VOCFED_EINVALID);
    static const uint8_t nested[] = {0x81, 0xa1, 0x78, 0x90};
    S_REFUSE((e.body = nested, e.body_len = sizeof nested), VOCFED_EINVALID);
    static const uint8_t trailing[] = {0x80, 0x00};
    S_REFUSE((e.body = trailing, e.body_len = sizeof trailing),
             VOCFED_EINVALID);
#undef S_REFUSE

    assert_string_equal(proto_op_name(PROTO_OP_PUT), "put");
    assert_string_equal(proto_op_name(PROTO_OP_DEL), "del");
    proto_buf_release(&b);
}

static void
test_names(void **state)
{
    (void)state;
    char s33[33];
    memset(s33, 'a', sizeof s33);
    assert_true(proto_id_valid("aqvtc", 5));
    assert_true(proto_id_valid("0", 1));
    assert_true(proto_id_valid("a.b-c_d", 7));
    assert_true(proto_id_valid(s33, 32));
    assert_false(proto_id_valid(s33, 33));
    assert_false(proto_id_valid("", 0));
    assert_false(proto_id_valid("-a", 2));
    assert_false(proto_id_valid("a/b", 3));
    assert_false(proto_id_valid("aB", 2));

    assert_true(proto_kind_valid("student", 7));
    assert_true(proto_kind_valid("s_1", 3));
    assert_true(proto_kind_valid(s33, 32));
    assert_false(proto_kind_valid(s33, 33));
    assert_false(proto_kind_valid("1s", 2));
    assert_false(proto_kind_valid("s-1", 3));
    assert_false(proto_kind_valid("s.1", 3));

    char s65[65];
    memset(s65, 'f', sizeof s65);
    assert_true(proto_field_name_valid(s65, 64));
    assert_false(proto_field_name_valid(s65, 65));
    assert_false(proto_field_name_valid("_f", 2));

    char k257[257];
    memset(k257, '~', sizeof k257);
    assert_true(proto_key_valid(k257, 256));
    assert_false(proto_key_valid(k257, 257));
    assert_true(proto_key_valid("p 1/\xe4\xb8\xad", 7));
    assert_false(proto_key_valid("p\t1", 3));
    assert_false(proto_key_valid("p\x7f", 2));
    assert_false(proto_key_valid("p\0", 2));
    assert_false(proto_key_valid("\xed\xa0\x80", 3));
}

/* UTF-8 (RFC 3629) a byte at a time, as proto_utf8_valid took it before
 * its words: shortest forms, no surrogates, nothing past U+10FFFF. */
static bool
s_utf8_ref(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint8_t c = s[i];
        size_t n = c < 0x80                 ? 1
                   : c >= 0xc2 && c <= 0xdf ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
        if (!n || len - i < n)
            return false;
        uint32_t cp = n == 1 ? c : c & (0x7f >> n);
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

/* proto_utf8_valid against s_utf8_ref: every string of one to three
 * bytes, and every pair of bytes at the start, the middle and the end
 * of ASCII texts of lengths about its word and short-text limits. */
static void
test_utf8_words(void **state)
{
    (void)state;
    uint8_t t[80];
    size_t refused = 0;
    for (uint32_t v = 0; v < 1u << 24; v++) {
        t[0] = (uint8_t)v, t[1] = (uint8_t)(v >> 8), t[2] = (uint8_t)(v >> 16);
        for (size_t len = 1; len <= 3; len++) {
            if (len < 3 && v >> (8 * len)) /* each shorter one once */
                continue;
            bool want = s_utf8_ref(t, len);
            assert_int_equal(proto_utf8_valid((const char *)t, len), want);
            refused += !want;
        }
    }
    static const size_t lens[] = {2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 72};
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
        size_t len = lens[li];
        size_t ats[] = {0, len / 2 - 1, len - 2};
        for (size_t ai = 0; ai < 3; ai++)
            for (uint32_t v = 0; v < 1u << 16; v++) {
                memset(t, 'a', len);
                t[ats[ai]] = (uint8_t)v;
                t[ats[ai] + 1] = (uint8_t)(v >> 8);
                bool want = s_utf8_ref(t, len);
                assert_int_equal(proto_utf8_valid((const char *)t, len), want);
                refused += !want;
            }
    }
    assert_true(refused > (1u << 23)); /* most byte strings are not UTF-8 */
}

/* proto_text_valid as it was written before its eight-bytes-at-a-time
 * path: every byte looked at, then the UTF-8. */
static bool
s_text_valid_ref(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return proto_utf8_valid(s, len);
}

/* Every byte value at every place of texts of 0-24 bytes of printable
 * ASCII, alone and beside a whole 2-, 3- or 4-byte character, at every
 * alignment: the fast path agrees with the byte-at-a-time one. */
static void
test_text_valid_words(void **state)
{
    (void)state;
    static const char *const chars[] = {"", "\xc2\xa9", "\xe4\xb8\xad",
                                        "\xf0\x9f\x98\x80"};
    char t[40];
    size_t checked = 0, refused = 0;
    assert_true(proto_text_valid(NULL, 0));
    for (size_t ci = 0; ci < sizeof chars / sizeof *chars; ci++) {
        size_t cl = strlen(chars[ci]);
        for (size_t len = 1; len <= 24; len++)
            for (size_t at = 0; at < len; at++)
                for (size_t cat = 0; cat + cl <= len + cl; cat += 3)
                    for (unsigned b = 0; b < 256; b++) {
                        /* printable ASCII all through, then the character
                         * at cat, then byte b at at. */
                        size_t n = len + cl;
                        for (size_t i = 0; i < n; i++)
                            t[i] = (char)(0x20 + (i * 7 + len) % 0x5f);
                        memcpy(t + (cat < len ? cat : len), chars[ci], cl);
                        t[at] = (char)b;
                        bool want = s_text_valid_ref(t, n);
                        assert_int_equal(proto_text_valid(t, n), want);
                        checked++;
                        refused += !want;
                    }
    }
    /* The loops reached both answers, many times. */
    assert_true(checked > 100000);
    assert_true(refused > checked / 4 && refused < checked);
}

/* ---- golden vectors ------------------------------------------------------ */

/* A value drawn by r: an int (i), a str (s, slen bytes), a bool or nil. */
static proto_value_t
s_drawn(uint64_t r, int64_t i, const char *s, size_t slen)
{
    switch (r % 4) {
    case 0:
        return (proto_value_t){.type = PROTO_VAL_INT, .i = i};
    case 1:
        return (proto_value_t){.type = PROTO_VAL_STR, .s = s, .slen = slen};
    case 2:
        return (proto_value_t){.type = PROTO_VAL_BOOL, .b = (r >> 8) & 1};
    default:
        return (proto_value_t){.type = PROTO_VAL_NIL};
    }
}

/* proto_entry_encode_made: for a body proto_body_encode made, the bytes
 * of proto_entry_encode, which validates it; the premise that lets an
 * import skip that read: every body proto_body_encode makes validates
 * (bodies of 1 to 12 fields of every value type: ints across the
 * encodings' boundaries, strings of ASCII, Chinese and empty, nil and
 * bools, many times over). A body it is told is made is not read: one
 * that is not canonical is written as given (the caller's promise), and
 * refused by proto_entry_encode. The other fields are still checked. */
static void
test_encode_made(void **state)
{
    (void)state;
    static const char *const names[] = {
        "a",    "b",  "intake_year", "level",  "major",         "name_zh",
        "note", "x1", "x_2",         "status", "source_school", "z"};
    static const int64_t ints[] = {
        0,  1,   127, 128,  255,  256,       65535,     65536,
        -1, -32, -33, -128, -129, INT64_MAX, INT64_MIN, 4294967296};
    static const char *const strs[] = {"", "higher", "汽车及零部件",
                                       "a longer note, past 31 bytes of text"};
    proto_buf_t body, x, y;
    proto_buf_init(&body);
    proto_buf_init(&x);
    proto_buf_init(&y);
    uint64_t r = 88172645463325252ull;
    for (int round = 0; round < 2000; round++) {
        proto_field_t f[12];
        size_t n = 1 + round % 12;
        for (size_t i = 0; i < n; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            f[i].name = names[(i * 5 + (size_t)round) % 12];
            f[i].name_len = strlen(f[i].name);
            const char *t = strs[(r >> 8) % 4];
            f[i].value = s_drawn(r, ints[(r >> 8) % 16], t, strlen(t));
        }
        proto_buf_reset(&body);
        if (proto_body_encode(f, n, &body) != VOCFED_OK)
            continue; /* a name drawn twice */
        assert_int_equal(proto_body_validate(body.data, body.len), VOCFED_OK);
        proto_entry_t e = s_put_entry(body.data, body.len);
        proto_buf_reset(&x);
        proto_buf_reset(&y);
        assert_int_equal(proto_entry_encode(&e, &x), VOCFED_OK);
        assert_int_equal(proto_entry_encode_made(&e, &y), VOCFED_OK);
        assert_int_equal(y.len, x.len);
        assert_memory_equal(y.data, x.data, x.len);
    }
    static const uint8_t junk[] = {0x81, 0xc1, 0x01};
    proto_entry_t e = s_put_entry(junk, sizeof junk);
    proto_buf_reset(&x);
    assert_int_equal(proto_entry_encode(&e, &x), VOCFED_EINVALID);
    assert_int_equal(proto_entry_encode_made(&e, &x), VOCFED_OK);
    e.seq = 0; /* the rest is checked all the same */
    proto_buf_reset(&x);
    assert_int_equal(proto_entry_encode_made(&e, &x), VOCFED_EINVALID);
    proto_buf_release(&body);
    proto_buf_release(&x);
    proto_buf_release(&y);
}

/* msgpack-c's packing of a sorted body: what the body writer, which
 * writes its bytes itself, must give byte for byte. */
static void
s_msgpack_c_body(const proto_field_t *f, size_t n, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_map(&pk, (uint32_t)n), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(msgpack_pack_str(&pk, f[i].name_len), 0);
        assert_int_equal(msgpack_pack_str_body(&pk, f[i].name, f[i].name_len),
                         0);
        const proto_value_t *v = &f[i].value;
        int rc = v->type == PROTO_VAL_NIL ? msgpack_pack_nil(&pk)
                 : v->type == PROTO_VAL_BOOL
                     ? (v->b ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk))
                 : v->type == PROTO_VAL_INT
                     ? msgpack_pack_int64(&pk, v->i)
                     : (msgpack_pack_str(&pk, v->slen) ||
                        msgpack_pack_str_body(&pk, v->s, v->slen));
        assert_int_equal(rc, 0);
    }
}

/* The body writer gives msgpack-c's bytes: every int head at and around
 * each boundary of its encodings, strings of every head's lengths
 * (0, 31, 32, 255, 256, up to PROTO_STR_MAX), nil and bools, and maps of
 * 1 to 40 fields (fixmap, then map16 from 16). The bodies validate. */
static void
test_body_as_msgpack_c(void **state)
{
    (void)state;
    static const int64_t edges[] = {
        0,         1,           127,        128,        255,       256,
        65535,     65536,       4294967295, 4294967296, INT64_MAX, -1,
        -32,       -33,         -128,       -129,       -32768,    -32769,
        INT32_MIN, -2147483649, INT64_MIN,  -31,        126,       65534};
    static const size_t lens[] = {0, 1, 31, 32, 255, 256, 1000, PROTO_STR_MAX};
    static char text[PROTO_STR_MAX];
    memset(text, 'a', sizeof text);
    char names[40][24];
    proto_buf_t b;
    proto_buf_init(&b);
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 600; round++) {
        size_t n = 1 + (size_t)round % 40;
        proto_field_t f[40];
        for (size_t i = 0; i < n; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            snprintf(names[i], sizeof names[i], "f%02zu", i);
            f[i].name = names[i];
            f[i].name_len = strlen(names[i]);
            f[i].value =
                s_drawn(r, edges[(r >> 8) % (sizeof edges / sizeof edges[0])],
                        text, lens[(r >> 8) % (sizeof lens / sizeof lens[0])]);
        }
        proto_buf_reset(&b);
        assert_int_equal(proto_body_encode(f, n, &b), VOCFED_OK); /* sorts */
        msgpack_sbuffer sb;
        s_msgpack_c_body(f, n, &sb);
        assert_int_equal(b.len, sb.size);
        assert_memory_equal(b.data, sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
        assert_int_equal(proto_body_validate(b.data, b.len), VOCFED_OK);
    }
    proto_buf_release(&b);
    /* Bodies one after another in one buffer (a bulk's arena) grow it as
     * appends do, at least doubled: 10,000 bodies, a few dozen growths.
     * Grown to exactly each body's room, every body had copied the whole
     * buffer (quadratic: CI's ASan build timed out on it). */
    proto_buf_init(&b);
    size_t growths = 0, cap = b.cap;
    for (int i = 0; i < 10000; i++) {
        proto_field_t one = {
            "note", 4, {.type = PROTO_VAL_STR, .s = text, .slen = 200}};
        assert_int_equal(proto_body_encode(&one, 1, &b), VOCFED_OK);
        growths += b.cap != cap;
        cap = b.cap;
    }
    assert_true(growths <= 40);
    proto_buf_release(&b);
}

static void
test_golden_put(void **state)
{
    (void)state;
    uint8_t file[S_BYTES_MAX];
    size_t n = s_read_vector("entry_put.hex", file, sizeof file);

    /* SPEC 3.1's example, annotated dump, byte for byte. */
    uint8_t spec[S_BYTES_MAX];
    size_t sn = s_hex("98 01 a5 61 71 76 74 63 01"
                      " cf 00 00 01 9b 76 da a8 00"
                      " a3 70 75 74 a7 73 74 75 64 65 6e 74 a2 70 31"
                      " 82 ab 69 6e 74 61 6b 65 5f 79 65 61 72 cd 07 e9"
                      " a5 6c 65 76 65 6c a6 68 69 67 68 65 72",
                      spec, sizeof spec);
    assert_int_equal(n, sn);
    assert_memory_equal(file, spec, n);

    proto_field_t f[] = {
        {"level", 5, {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
        {"intake_year", 11, {.type = PROTO_VAL_INT, .i = 2025}},
    };
    proto_buf_t body, enc;
    proto_buf_init(&body);
    proto_buf_init(&enc);
    assert_int_equal(proto_body_encode(f, 2, &body), VOCFED_OK);
    proto_entry_t e = s_put_entry(body.data, body.len);
    s_roundtrip(&e, &enc);
    assert_int_equal(enc.len, n);
    assert_memory_equal(enc.data, file, n);

    proto_entry_t d;
    proto_value_t v;
    assert_int_equal(proto_entry_decode(file, n, &d), VOCFED_OK);
    assert_true(s_span_eq(d.author, d.author_len, "aqvtc", 5));
    assert_true(d.seq == 1);
    assert_true(d.time_ms == 1767225600000ull);
    assert_int_equal(d.op, PROTO_OP_PUT);
    assert_true(s_span_eq(d.kind, d.kind_len, "student", 7));
    assert_true(s_span_eq(d.key, d.key_len, "p1", 2));
    assert_int_equal(proto_body_get(d.body, d.body_len, "intake_year", &v),
                     VOCFED_OK);
    assert_int_equal(v.i, 2025);
    assert_int_equal(proto_body_get(d.body, d.body_len, "level", &v),
                     VOCFED_OK);
    assert_true(s_span_eq(v.s, v.slen, "higher", 6));
    proto_buf_release(&body);
    proto_buf_release(&enc);
}

static void
test_golden_del(void **state)
{
    (void)state;
    uint8_t file[S_BYTES_MAX];
    size_t n = s_read_vector("entry_del.hex", file, sizeof file);
    uint8_t want[S_BYTES_MAX];
    size_t wn = s_hex("98 01 a5 61 71 76 74 63 02"
                      " cf 00 00 01 9b 76 da a8 01"
                      " a3 64 65 6c a7 73 74 75 64 65 6e 74 a2 70 31 c0",
                      want, sizeof want);
    assert_int_equal(n, wn);
    assert_memory_equal(file, want, n);

    proto_entry_t e = s_put_entry(NULL, 0);
    e.seq = 2;
    e.time_ms = 1767225600001ull;
    e.op = PROTO_OP_DEL;
    proto_buf_t enc;
    proto_buf_init(&enc);
    s_roundtrip(&e, &enc);
    assert_int_equal(enc.len, n);
    assert_memory_equal(enc.data, file, n);

    proto_entry_t d;
    assert_int_equal(proto_entry_decode(file, n, &d), VOCFED_OK);
    assert_true(d.seq == 2);
    assert_true(d.time_ms == 1767225600001ull);
    assert_int_equal(d.op, PROTO_OP_DEL);
    assert_null(d.body);
    proto_buf_release(&enc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_ints),
        cmocka_unit_test(test_roundtrip_scalars),
        cmocka_unit_test(test_roundtrip_string_widths),
        cmocka_unit_test(test_roundtrip_entries),
        cmocka_unit_test(test_roundtrip_limits),
        cmocka_unit_test(test_hand_made),
        cmocka_unit_test(test_hand_made_lengths),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_single_byte_changes),
        cmocka_unit_test(test_body_encode),
        cmocka_unit_test(test_body_read),
        cmocka_unit_test(test_encode_refusals),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_text_valid_words),
        cmocka_unit_test(test_utf8_words),
        cmocka_unit_test(test_encode_made),
        cmocka_unit_test(test_body_as_msgpack_c),
        cmocka_unit_test(test_golden_put),
        cmocka_unit_test(test_golden_del),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
