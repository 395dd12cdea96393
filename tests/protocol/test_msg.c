/* Tests for protocol/msg (SPEC 8): round trips of every message type at
 * the boundary counts (0, 1, 15, 16 and 4096 heads; 1 to 8192 entries
 * and a 16 MiB batch; empty and 128-hash proofs), the encoders'
 * refusals, every truncation point of every type, caps refused before
 * the elements are walked, hand-made non-canonical and malformed
 * messages, unknown types and other versions, every bit flipped, and the
 * golden vectors tests/vectors/msg_hello.hex, msg_batch.hex and
 * msg_batch_part.hex, which are checked the way a receiver checks a
 * batch (checkpoint signatures, entries, range proof). */
#include "protocol/checkpoint.h"
#include "protocol/entry.h"
#include "protocol/merkle.h"
#include "protocol/msg.h"
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
#define S_BYTES_MAX 4096

/* The golden checkpoint's root (tests/vectors/README.md). */
static const char s_golden_root[] =
    "abc6335716950dcface0d9f9c5122c64d6ee553fb39e8068378949e41e12d9de";
/* BLAKE2b-256(""), the root of an empty log (SPEC 2). */
static const char s_empty_root[] =
    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8";

/* ---- helpers ---------------------------------------------------------- */

/* Parses space-separated tokens into out: pairs of hex digits, or text
 * between single quotes taken byte for byte ('hello'). Returns the byte
 * count. */
static size_t
s_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    char pair[3] = {0};
    int have = 0;
    for (const char *p = hex; *p; p++) {
        if (*p == ' ')
            continue;
        if (*p == '\'') {
            assert_int_equal(have, 0);
            for (p++; *p && *p != '\''; p++) {
                assert_true(n < cap);
                out[n++] = (uint8_t)*p;
            }
            assert_true(*p == '\'');
            continue;
        }
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

/* Big-endian n-byte value after a one-byte tag, written by hand. */
static void
s_put_tagged(proto_buf_t *b, uint8_t tag, uint64_t v, size_t n)
{
    uint8_t h[9];
    h[0] = tag;
    for (size_t i = 0; i < n; i++)
        h[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    s_put(b, h, 1 + n);
}

/* Canonical headers from SPEC 1, written here rather than by msgpack-c. */
static void
s_put_array(proto_buf_t *b, uint64_t n)
{
    if (n < 16)
        s_put_tagged(b, (uint8_t)(0x90 | n), 0, 0);
    else if (n < 65536)
        s_put_tagged(b, 0xdc, n, 2);
    else
        s_put_tagged(b, 0xdd, n, 4);
}

static void
s_put_map(proto_buf_t *b, uint64_t n)
{
    if (n < 16)
        s_put_tagged(b, (uint8_t)(0x80 | n), 0, 0);
    else if (n < 65536)
        s_put_tagged(b, 0xde, n, 2);
    else
        s_put_tagged(b, 0xdf, n, 4);
}

static void
s_put_bin_header(proto_buf_t *b, uint64_t len)
{
    if (len < 256)
        s_put_tagged(b, 0xc4, len, 1);
    else if (len < 65536)
        s_put_tagged(b, 0xc5, len, 2);
    else
        s_put_tagged(b, 0xc6, len, 4);
}

static void
s_put_str(proto_buf_t *b, const char *s)
{
    size_t len = strlen(s);
    assert_true(len < 256);
    if (len < 32)
        s_put_tagged(b, (uint8_t)(0xa0 | len), 0, 0);
    else
        s_put_tagged(b, 0xd9, len, 1);
    s_put(b, s, len);
}

static void
s_put_uint(proto_buf_t *b, uint64_t v)
{
    if (v < 128)
        s_put_tagged(b, (uint8_t)v, 0, 0);
    else if (v < 256)
        s_put_tagged(b, 0xcc, v, 1);
    else if (v < 65536)
        s_put_tagged(b, 0xcd, v, 2);
    else if (v < 0x100000000ull)
        s_put_tagged(b, 0xce, v, 4);
    else
        s_put_tagged(b, 0xcf, v, 8);
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

/* A copy of exactly len bytes, so ASan sees any read past the end. */
static uint8_t *
s_dup(const uint8_t *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, data, len);
    return p;
}

/* Decodes an exact-size copy; the copy is returned for the caller to
 * free once done with out. */
static int
s_decode(const uint8_t *data, size_t len, proto_msg_t *out, uint8_t **copy)
{
    *copy = s_dup(data, len);
    return proto_msg_decode(*copy, len, out);
}

static void
s_fill(uint8_t *p, size_t len, uint64_t seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)((seed * 131 + i * 7 + (i >> 8)) ^ (seed >> 3));
}

static void
s_assert_str(const char *s, size_t len, const char *want)
{
    assert_int_equal(len, strlen(want));
    assert_memory_equal(s, want, len);
}

/* ---- hello and heads ---------------------------------------------------- */

/* Author ids for n heads: "a0", "a1", ..., with a 32-byte one, an id
 * and its own prefix, and digits first, given in reverse so the encoder
 * has to sort them. */
typedef struct {
    char id[PROTO_MSG_MAX_HEADS + 1][PROTO_ID_MAX + 1]; /* the ids */
    proto_head_t heads[PROTO_MSG_MAX_HEADS + 1];        /* as given */
} s_heads_t;

static void
s_heads_make(s_heads_t *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = n - 1 - i;
        char *id = h->id[i];
        if (k == 0)
            snprintf(id, PROTO_ID_MAX + 1, "0");
        else if (k == 1)
            snprintf(id, PROTO_ID_MAX + 1, "0.1");
        else if (k == 2) {
            memset(id, 'z', PROTO_ID_MAX);
            id[PROTO_ID_MAX] = '\0';
        } else
            snprintf(id, PROTO_ID_MAX + 1, "m%zu", k);
        h->heads[i].author = id;
        h->heads[i].author_len = strlen(id);
        h->heads[i].size = k == 0 ? 0 : k == 1 ? UINT64_MAX : k * 1000003;
        h->heads[i].cp_size = k == 1 ? UINT64_MAX : h->heads[i].size / 2;
        s_fill(h->heads[i].root, PROTO_HASH_LEN, k);
    }
}

static int
s_id_order(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static void
test_heads_round_trip(void **state)
{
    (void)state;
    static s_heads_t h;
    static const size_t counts[] = {0, 1, 2, 3, 15, 16, 255, 4096};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        for (int type = PROTO_MSG_HELLO; type <= PROTO_MSG_HEADS; type++) {
            proto_buf_t b;
            proto_buf_init(&b);
            s_put_hex(&b, "ee");
            s_heads_make(&h, n);
            int rc = type == PROTO_MSG_HELLO
                         ? proto_msg_encode_hello("aqvtc", h.heads, n, &b)
                         : proto_msg_encode_heads("coord", h.heads, n, &b);
            assert_int_equal(rc, VOCFED_OK);
            /* Appended after what the buffer held, in sorted order. */
            assert_int_equal(b.data[0], 0xee);
            for (size_t i = 1; i < n; i++)
                assert_true(
                    s_id_order(h.heads[i - 1].author, h.heads[i - 1].author_len,
                               h.heads[i].author, h.heads[i].author_len) < 0);
            /* The header by hand: [1, type, id, map of n]. */
            proto_buf_t want;
            proto_buf_init(&want);
            s_put_hex(&want, type == PROTO_MSG_HELLO
                                 ? "94 02 a5 'hello' a5 'aqvtc'"
                                 : "94 02 a5 'heads' a5 'coord'");
            s_put_map(&want, n);
            assert_true(b.len - 1 >= want.len);
            assert_memory_equal(b.data + 1, want.data, want.len);
            proto_buf_release(&want);

            proto_msg_t m;
            uint8_t *copy;
            assert_int_equal(s_decode(b.data + 1, b.len - 1, &m, &copy),
                             VOCFED_OK);
            assert_int_equal(m.type, type);
            const proto_msg_heads_t *mh =
                type == PROTO_MSG_HELLO ? &m.hello : &m.heads;
            s_assert_str(mh->node_id, mh->node_id_len,
                         type == PROTO_MSG_HELLO ? "aqvtc" : "coord");
            assert_int_equal(mh->heads.count, n);
            proto_msg_iter_t it;
            proto_head_t got;
            proto_msg_iter_init(&it, &mh->heads);
            for (size_t i = 0; i < n; i++) {
                assert_int_equal(proto_msg_next_head(&it, &got), 1);
                assert_int_equal(got.author_len, h.heads[i].author_len);
                assert_memory_equal(got.author, h.heads[i].author,
                                    got.author_len);
                assert_true(got.size == h.heads[i].size);
                assert_true(got.cp_size == h.heads[i].cp_size);
                assert_memory_equal(got.root, h.heads[i].root, PROTO_HASH_LEN);
            }
            assert_int_equal(proto_msg_next_head(&it, &got), 0);
            assert_int_equal(proto_msg_next_head(&it, &got), 0);
            free(copy);
            proto_buf_release(&b);
        }
    }
}

static void
test_heads_refusals(void **state)
{
    (void)state;
    static s_heads_t h;
    proto_buf_t b;
    proto_buf_init(&b);
    s_put_hex(&b, "ee");

    s_heads_make(&h, PROTO_MSG_MAX_HEADS + 1);
    assert_int_equal(
        proto_msg_encode_hello("aqvtc", h.heads, PROTO_MSG_MAX_HEADS + 1, &b),
        VOCFED_ETOOLARGE);
    s_heads_make(&h, 3);
    h.heads[2] = h.heads[0];
    assert_int_equal(proto_msg_encode_heads("aqvtc", h.heads, 3, &b),
                     VOCFED_EINVALID);
    static const char *const bad_ids[] = {"", "Aqvtc", "a/b", "-a",
                                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        s_heads_make(&h, 3);
        h.heads[1].author = bad_ids[i];
        h.heads[1].author_len = strlen(bad_ids[i]);
        assert_int_equal(proto_msg_encode_hello("aqvtc", h.heads, 3, &b),
                         VOCFED_EINVALID);
        s_heads_make(&h, 3);
        assert_int_equal(proto_msg_encode_hello(bad_ids[i], h.heads, 3, &b),
                         VOCFED_EINVALID);
    }
    assert_int_equal(proto_msg_encode_heads(NULL, h.heads, 3, &b),
                     VOCFED_EINVALID);
    assert_int_equal(proto_msg_encode_heads("aqvtc", NULL, 3, &b),
                     VOCFED_EINVALID);
    assert_int_equal(b.len, 1);
    assert_int_equal(proto_msg_encode_heads("aqvtc", NULL, 0, &b), VOCFED_OK);
    proto_buf_release(&b);
}

/* ---- batch -------------------------------------------------------------- */

/* A batch's inputs, with room for the largest. */
typedef struct {
    proto_bytes_t entries[PROTO_MSG_MAX_ENTRIES + 2]; /* views of data */
    uint8_t *data;                                    /* entry bytes */
    proto_bytes_t cps[PROTO_MSG_MAX_CHECKPOINTS + 2]; /* views of cpdata */
    uint8_t *cpdata;                                  /* checkpoint bytes */
    proto_proof_t consistency;                        /* as sent */
    proto_proof_t range;                              /* as sent */
    proto_msg_batch_in_t in;                          /* the batch */
} s_batch_t;

static void
s_batch_free(s_batch_t *s)
{
    free(s->data);
    free(s->cpdata);
    s->data = NULL;
    s->cpdata = NULL;
}

/* count entries of the lengths len(i), ncp checkpoints of cp_len
 * (opaque) bytes, proofs of the given lengths. */
static void
s_batch_make(s_batch_t *s, size_t count, size_t (*len)(size_t), size_t cp_len,
             size_t ncp, size_t cons_len, size_t range_len)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += len(i);
    free(s->data);
    s->data = malloc(total ? total : 1);
    assert_non_null(s->data);
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        s->entries[i].data = s->data + pos;
        s->entries[i].len = len(i);
        s_fill(s->data + pos, len(i), i + 1);
        pos += len(i);
    }
    s->consistency.len = cons_len;
    for (size_t i = 0; i < cons_len; i++)
        s_fill(s->consistency.hash[i], PROTO_HASH_LEN, 1000 + i);
    s->range.len = range_len;
    for (size_t i = 0; i < range_len; i++)
        s_fill(s->range.hash[i], PROTO_HASH_LEN, 2000 + i);
    free(s->cpdata);
    s->cpdata = malloc(ncp * cp_len + 1);
    assert_non_null(s->cpdata);
    for (size_t i = 0; i < ncp; i++) {
        s->cps[i].data = s->cpdata + i * cp_len;
        s->cps[i].len = cp_len;
        s_fill(s->cpdata + i * cp_len, cp_len, 5000 + i);
    }
    memset(&s->in, 0, sizeof s->in);
    s->in.author = "aqvtc";
    s->in.first_seq = 1;
    s->in.entries = s->entries;
    s->in.count = count;
    s->in.checkpoints = s->cps;
    s->in.ncp = ncp;
    s->in.old_size = 0;
    s->in.consistency = &s->consistency;
    s->in.range = &s->range;
}

static size_t
s_len_small(size_t i)
{
    return 1 + i % 40;
}

/* Each bin width: 1, 255 (bin8), 256, 65535 (bin16), 65536 (bin32). */
static size_t
s_len_widths(size_t i)
{
    static const size_t w[] = {1, 255, 256, 65535, PROTO_ENTRY_MAX};
    return w[i % 5];
}

/* bin8 and bin16 entries, small enough to cut at every byte. */
static size_t
s_len_sample(size_t i)
{
    static const size_t w[] = {1, 255, 256, 300};
    return w[i % 4];
}

/* PROTO_MSG_MAX_ENTRIES entries of 2048 bytes: 16 MiB, the largest
 * batch of that many. */
static size_t
s_len_2k(size_t i)
{
    (void)i;
    return 2048;
}

static size_t
s_len_max(size_t i)
{
    (void)i;
    return PROTO_ENTRY_MAX;
}

/* Decodes b's message and checks every field against s. */
static void
s_batch_check(const s_batch_t *s, const uint8_t *msg, size_t len)
{
    static proto_proof_t p;
    proto_msg_t m;
    uint8_t *copy;
    assert_int_equal(s_decode(msg, len, &m, &copy), VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_BATCH);
    s_assert_str(m.batch.author, m.batch.author_len, s->in.author);
    assert_true(m.batch.first_seq == s->in.first_seq);
    assert_int_equal(m.batch.entries.count, s->in.count);
    proto_msg_iter_t it;
    const uint8_t *e;
    size_t elen;
    proto_msg_iter_init(&it, &m.batch.entries);
    for (size_t i = 0; i < s->in.count; i++) {
        assert_int_equal(proto_msg_next_bin(&it, &e, &elen), 1);
        assert_int_equal(elen, s->entries[i].len);
        assert_memory_equal(e, s->entries[i].data, elen);
        /* Borrowed from the message, not copied. */
        assert_true(e > copy && e + elen <= copy + len);
    }
    assert_int_equal(proto_msg_next_bin(&it, &e, &elen), 0);
    assert_int_equal(m.batch.checkpoints.count, s->in.ncp);
    proto_msg_iter_init(&it, &m.batch.checkpoints);
    for (size_t i = 0; i < s->in.ncp; i++) {
        assert_int_equal(proto_msg_next_bin(&it, &e, &elen), 1);
        assert_int_equal(elen, s->cps[i].len);
        assert_memory_equal(e, s->cps[i].data, elen);
        assert_true(e > copy && e + elen <= copy + len);
    }
    assert_int_equal(proto_msg_next_bin(&it, &e, &elen), 0);
    assert_true(m.batch.old_size == s->in.old_size);
    assert_int_equal(proto_msg_proof(&m.batch.consistency, &p), VOCFED_OK);
    assert_int_equal(p.len, s->consistency.len);
    if (p.len)
        assert_memory_equal(p.hash, s->consistency.hash,
                            p.len * PROTO_HASH_LEN);
    assert_int_equal(proto_msg_proof(&m.batch.range, &p), VOCFED_OK);
    assert_int_equal(p.len, s->range.len);
    if (p.len)
        assert_memory_equal(p.hash, s->range.hash, p.len * PROTO_HASH_LEN);
    free(copy);
}

static void
test_batch_round_trip(void **state)
{
    (void)state;
    static s_batch_t s;
    const struct {
        size_t count;          /* entries */
        size_t (*len)(size_t); /* length of entry i */
        size_t cp_len;         /* bytes of each checkpoint */
        size_t ncp;            /* checkpoints */
        size_t cons, range;    /* proof lengths */
        uint64_t first_seq;    /* seq of the first entry */
        uint64_t old_size;     /* consistency from */
    } cases[] = {
        {1, s_len_small, 155, 1, 0, 0, 1, 0},
        {1, s_len_small, 155, 2, 0, 1, 1, 0},
        {2, s_len_small, 1, 3, 1, 1, 2, 1},
        {15, s_len_small, 255, 15, 15, 16, 100, 99},
        {16, s_len_small, 256, 17, 16, 15, 1000, 999},
        {5, s_len_widths, PROTO_CHECKPOINT_MAX, 6, PROTO_MERKLE_MAX_PROOF,
         PROTO_MERKLE_MAX_PROOF, 1, UINT64_MAX},
        {PROTO_MSG_MAX_ENTRIES, s_len_small, 155, PROTO_MSG_MAX_CHECKPOINTS, 20,
         12, 4097, 4096},
        {PROTO_MSG_MAX_ENTRIES, s_len_2k, 155, 1, 64, 64, 1, 0},
        /* The last seq there is. */
        {3, s_len_small, 155, 1, 0, 0, UINT64_MAX - 2, UINT64_MAX - 3},
        {1, s_len_small, 155, 1, 0, 0, UINT64_MAX, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        s_batch_make(&s, cases[c].count, cases[c].len, cases[c].cp_len,
                     cases[c].ncp, cases[c].cons, cases[c].range);
        s.in.first_seq = cases[c].first_seq;
        s.in.old_size = cases[c].old_size;
        proto_buf_t b;
        proto_buf_init(&b);
        assert_int_equal(proto_msg_encode_batch(&s.in, &b), VOCFED_OK);
        assert_true(b.len <= PROTO_MSG_MAX);
        /* Header by hand: array of 9, version, type, author. */
        proto_buf_t want;
        proto_buf_init(&want);
        s_put_hex(&want, "99 02 a5 'batch' a5 'aqvtc'");
        s_put_uint(&want, cases[c].first_seq);
        s_put_array(&want, cases[c].count);
        s_put_bin_header(&want, s.entries[0].len);
        assert_memory_equal(b.data, want.data, want.len);
        proto_buf_release(&want);
        s_batch_check(&s, b.data, b.len);
        proto_buf_release(&b);
    }
    s_batch_free(&s);
}

static void
test_batch_refusals(void **state)
{
    (void)state;
    static s_batch_t s;
    proto_buf_t b;
    proto_buf_init(&b);
    s_put_hex(&b, "ee");
#define S_REFUSE(setup, want)                                                  \
    do {                                                                       \
        s_batch_make(&s, 3, s_len_small, 155, 2, 2, 2);                        \
        setup;                                                                 \
        assert_int_equal(proto_msg_encode_batch(&s.in, &b), want);             \
        assert_int_equal(b.len, 1);                                            \
    } while (0)
    S_REFUSE(s.in.count = 0, VOCFED_EINVALID);
    S_REFUSE(s.in.first_seq = 0, VOCFED_EINVALID);
    S_REFUSE(s.in.first_seq = UINT64_MAX - 1, VOCFED_EINVALID);
    S_REFUSE(s.in.first_seq = UINT64_MAX, VOCFED_EINVALID);
    S_REFUSE(s.in.author = "AQVTC", VOCFED_EINVALID);
    S_REFUSE(s.in.author = "", VOCFED_EINVALID);
    S_REFUSE(s.in.author = NULL, VOCFED_EINVALID);
    S_REFUSE(s.entries[1].len = 0, VOCFED_EINVALID);
    S_REFUSE(s.entries[2].data = NULL, VOCFED_EINVALID);
    S_REFUSE(s.in.entries = NULL, VOCFED_EINVALID);
    S_REFUSE(s.cps[1].len = 0, VOCFED_EINVALID);
    S_REFUSE(s.cps[0].data = NULL, VOCFED_EINVALID);
    S_REFUSE(s.in.checkpoints = NULL, VOCFED_EINVALID);
    S_REFUSE(s.in.ncp = 0, VOCFED_EINVALID);

    S_REFUSE(s.in.consistency = NULL, VOCFED_EINVALID);
    S_REFUSE(s.in.range = NULL, VOCFED_EINVALID);
    S_REFUSE(s.cps[1].len = PROTO_CHECKPOINT_MAX + 1, VOCFED_ETOOLARGE);
    S_REFUSE(s.in.ncp = PROTO_MSG_MAX_CHECKPOINTS + 1, VOCFED_ETOOLARGE);
    S_REFUSE(s.consistency.len = PROTO_MERKLE_MAX_PROOF + 1, VOCFED_ETOOLARGE);
    S_REFUSE(s.range.len = SIZE_MAX, VOCFED_ETOOLARGE);
    S_REFUSE(s.in.count = PROTO_MSG_MAX_ENTRIES + 1, VOCFED_ETOOLARGE);
    S_REFUSE(s.entries[0].len = PROTO_ENTRY_MAX + 1, VOCFED_ETOOLARGE);
#undef S_REFUSE

    /* 3 entries: at most 4 checkpoints, every one of them well-formed. */
    s_batch_make(&s, 3, s_len_small, 155, 5, 2, 2);
    assert_int_equal(proto_msg_encode_batch(&s.in, &b), VOCFED_EINVALID);
    assert_int_equal(b.len, 1);
    s.in.ncp = 4;
    assert_int_equal(proto_msg_encode_batch(&s.in, &b), VOCFED_OK);
    s_batch_check(&s, b.data + 1, b.len - 1);
    b.len = 1;

    /* 257 entries of 64 KiB are more than PROTO_MSG_MAX of entry and
     * checkpoint bytes: refused before any packing. 256 entries and 255
     * checkpoints of 256 bytes are just under it, and their headers push
     * the message over. 256 entries and one checkpoint fit. */
    s_batch_make(&s, 257, s_len_max, 155, 1, 0, 0);
    assert_int_equal(proto_msg_encode_batch(&s.in, &b), VOCFED_ETOOLARGE);
    assert_true(b.cap < 4096); /* nothing was packed */
    s_batch_make(&s, 256, s_len_max, PROTO_CHECKPOINT_MAX, 255, 0, 0);
    assert_int_equal(proto_msg_encode_batch(&s.in, &b), VOCFED_ETOOLARGE);
    assert_int_equal(b.len, 1);
    s.in.ncp = 1;
    assert_int_equal(proto_msg_encode_batch(&s.in, &b), VOCFED_OK);
    assert_true(b.len - 1 <= PROTO_MSG_MAX);
    s_batch_check(&s, b.data + 1, b.len - 1);
    proto_buf_release(&b);
    s_batch_free(&s);
}

/* ---- receipt, pull, error ----------------------------------------------- */

static void
test_small_round_trips(void **state)
{
    (void)state;
    proto_msg_t m;
    uint8_t *copy;
    proto_buf_t b;
    proto_buf_init(&b);

    /* A real signed receipt, and opaque ones at the length bounds. */
    uint8_t seed[32], pk[32], sk[64], blob[PROTO_RECEIPT_MAX + 1];
    for (size_t i = 0; i < 32; i++)
        seed[i] = (uint8_t)(32 + i);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
    proto_receipt_t r;
    memset(&r, 0, sizeof r);
    r.version = PROTO_RECEIPT_VERSION;
    memcpy(r.issuer, "coord", 6);
    memcpy(r.author, "aqvtc", 6);
    r.size = 7;
    proto_buf_t signed_r;
    proto_buf_init(&signed_r);
    assert_int_equal(proto_receipt_sign(&r, sk, &signed_r), VOCFED_OK);
    assert_int_equal(proto_msg_encode_receipt(signed_r.data, signed_r.len, &b),
                     VOCFED_OK);
    assert_int_equal(s_decode(b.data, b.len, &m, &copy), VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_RECEIPT);
    proto_receipt_t got;
    assert_int_equal(proto_receipt_verify(m.receipt.receipt,
                                          m.receipt.receipt_len, pk, "coord",
                                          "aqvtc", 7, r.root, &got),
                     VOCFED_OK);
    free(copy);
    s_fill(blob, sizeof blob, 5);
    const size_t rlens[] = {1, 255, 256};
    for (size_t i = 0; i < 3; i++) {
        proto_buf_reset(&b);
        assert_int_equal(proto_msg_encode_receipt(blob, rlens[i], &b),
                         VOCFED_OK);
        assert_int_equal(s_decode(b.data, b.len, &m, &copy), VOCFED_OK);
        assert_int_equal(m.receipt.receipt_len, rlens[i]);
        assert_memory_equal(m.receipt.receipt, blob, rlens[i]);
        free(copy);
    }
    proto_buf_reset(&b);
    assert_int_equal(proto_msg_encode_receipt(blob, 257, &b), VOCFED_ETOOLARGE);
    assert_int_equal(proto_msg_encode_receipt(blob, 0, &b), VOCFED_EINVALID);
    assert_int_equal(proto_msg_encode_receipt(NULL, 5, &b), VOCFED_EINVALID);
    assert_int_equal(b.len, 0);
    proto_buf_release(&signed_r);

    /* pull */
    const uint64_t froms[] = {1, 127, 128, 65536, UINT64_MAX};
    for (size_t i = 0; i < 5; i++) {
        proto_buf_reset(&b);
        assert_int_equal(proto_msg_encode_pull("coord", froms[i], &b),
                         VOCFED_OK);
        proto_buf_t want;
        proto_buf_init(&want);
        s_put_hex(&want, "94 02 a4 'pull' a5 'coord'");
        s_put_uint(&want, froms[i]);
        assert_int_equal(b.len, want.len);
        assert_memory_equal(b.data, want.data, want.len);
        proto_buf_release(&want);
        assert_int_equal(s_decode(b.data, b.len, &m, &copy), VOCFED_OK);
        assert_int_equal(m.type, PROTO_MSG_PULL);
        s_assert_str(m.pull.author, m.pull.author_len, "coord");
        assert_true(m.pull.from_seq == froms[i]);
        free(copy);
    }
    proto_buf_reset(&b);
    assert_int_equal(proto_msg_encode_pull("coord", 0, &b), VOCFED_EINVALID);
    assert_int_equal(proto_msg_encode_pull("Coord", 1, &b), VOCFED_EINVALID);
    assert_int_equal(proto_msg_encode_pull(NULL, 1, &b), VOCFED_EINVALID);
    assert_int_equal(b.len, 0);

    /* error: every status token the project has is a valid code. */
    static const int codes[] = {
        VOCFED_OK,
        VOCFED_EMALFORMED,
        VOCFED_ENONCANONICAL,
        VOCFED_ETOOLARGE,
        VOCFED_EVERSION,
        VOCFED_EBADSIG,
        VOCFED_ESEQGAP,
        VOCFED_ECORRUPT,
        VOCFED_ESTORAGEFULL,
        VOCFED_EINTERRUPTED,
        VOCFED_ENOTFOUND,
        VOCFED_EEXISTS,
        VOCFED_ELOCKED,
        VOCFED_EINVALID,
        VOCFED_EROOT,
        VOCFED_EPROOF,
        VOCFED_EAUTHOR,
        VOCFED_ENOMEM,
        VOCFED_ESTORE,
        VOCFED_EKEY,
        VOCFED_EQUARANTINED,
        VOCFED_ESUSPENDED,
        VOCFED_EDENIED,
        VOCFED_EBADRECORD,
        VOCFED_EBADTIME,
        -5,
        12345,
    };
    char text[PROTO_MSG_TEXT_MAX + 2];
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *code = vocfed_status_token(codes[i]);
        const char *author = i % 2 ? NULL : "aqvtc";
        uint64_t seq = i % 3 ? i : UINT64_MAX;
        /* Texts of 0, 1, ... and 512 bytes, with multi-byte UTF-8. */
        size_t tlen = i == 0 ? PROTO_MSG_TEXT_MAX : i * 7;
        memset(text, 'x', tlen);
        text[tlen] = '\0';
        if (tlen >= 3)
            memcpy(text, "\xe6\x96\x87", 3); /* 文 */
        proto_buf_reset(&b);
        assert_int_equal(proto_msg_encode_error(code, text, author, seq, &b),
                         VOCFED_OK);
        assert_int_equal(s_decode(b.data, b.len, &m, &copy), VOCFED_OK);
        assert_int_equal(m.type, PROTO_MSG_ERROR);
        s_assert_str(m.error.code, m.error.code_len, code);
        assert_int_equal(m.error.text_len, tlen);
        assert_memory_equal(m.error.text, text, tlen);
        if (author) {
            s_assert_str(m.error.author, m.error.author_len, author);
        } else {
            assert_null(m.error.author);
            assert_int_equal(m.error.author_len, 0);
        }
        assert_true(m.error.seq == seq);
        /* The receiver gets the sender's status back from the code; "ok"
         * and codes it does not know are still refusals. */
        int back = vocfed_status_from_token(m.error.code, m.error.code_len);
        if (codes[i] == VOCFED_OK || codes[i] == -5 || codes[i] == 12345)
            assert_int_equal(back, VOCFED_EINVALID);
        else
            assert_int_equal(back, codes[i]);
        free(copy);
    }
    assert_int_equal(vocfed_status_from_token("bad-root", 7), VOCFED_EINVALID);
    assert_int_equal(vocfed_status_from_token("bad-rootx", 9), VOCFED_EINVALID);
    proto_buf_reset(&b);
    memset(text, 'x', PROTO_MSG_TEXT_MAX + 1);
    text[PROTO_MSG_TEXT_MAX + 1] = '\0';
    assert_int_equal(proto_msg_encode_error("seq-gap", text, NULL, 0, &b),
                     VOCFED_ETOOLARGE);
    static const char *const bad_codes[] = {
        "", "Bad", "bad_sig", "a b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++)
        assert_int_equal(proto_msg_encode_error(bad_codes[i], "t", NULL, 0, &b),
                         VOCFED_EINVALID);
    static const char *const bad_texts[] = {
        "two\nlines", "tab\there", "del\x7f", "\xc0\x80", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof bad_texts / sizeof bad_texts[0]; i++)
        assert_int_equal(
            proto_msg_encode_error("malformed", bad_texts[i], NULL, 0, &b),
            VOCFED_EINVALID);
    assert_int_equal(proto_msg_encode_error("malformed", "t", "A", 0, &b),
                     VOCFED_EINVALID);
    assert_int_equal(proto_msg_encode_error(NULL, "t", NULL, 0, &b),
                     VOCFED_EINVALID);
    assert_int_equal(proto_msg_encode_error("malformed", NULL, NULL, 0, &b),
                     VOCFED_EINVALID);
    assert_int_equal(b.len, 0);
    proto_buf_release(&b);
}

static void
test_type_names(void **state)
{
    (void)state;
    assert_string_equal(proto_msg_type_name(PROTO_MSG_HELLO), "hello");
    assert_string_equal(proto_msg_type_name(PROTO_MSG_HEADS), "heads");
    assert_string_equal(proto_msg_type_name(PROTO_MSG_BATCH), "batch");
    assert_string_equal(proto_msg_type_name(PROTO_MSG_RECEIPT), "receipt");
    assert_string_equal(proto_msg_type_name(PROTO_MSG_PULL), "pull");
    assert_string_equal(proto_msg_type_name(PROTO_MSG_ERROR), "error");
    assert_string_equal(proto_msg_type_name((proto_msg_type_t)0), "?");
    assert_string_equal(proto_msg_type_name((proto_msg_type_t)7), "?");
    assert_string_equal(proto_msg_type_name((proto_msg_type_t)-1), "?");
}

/* ---- damaged messages ----------------------------------------------------
 * One valid message of each type, made by the encoders. */

typedef struct {
    proto_buf_t msg[8]; /* the messages */
    size_t n;           /* how many */
} s_samples_t;

static void
s_samples(s_samples_t *out)
{
    static s_heads_t h;
    static s_batch_t s;
    out->n = 0;
    for (size_t i = 0; i < 8; i++)
        proto_buf_init(&out->msg[i]);
    s_heads_make(&h, 3);
    assert_int_equal(proto_msg_encode_hello("aqvtc", h.heads, 3, &out->msg[0]),
                     VOCFED_OK);
    assert_int_equal(proto_msg_encode_heads("coord", h.heads, 0, &out->msg[1]),
                     VOCFED_OK);
    s_batch_make(&s, 4, s_len_sample, 155, 2, 2, 3);
    s.in.first_seq = 300;
    s.in.old_size = 299;
    assert_int_equal(proto_msg_encode_batch(&s.in, &out->msg[2]), VOCFED_OK);
    uint8_t blob[200];
    s_fill(blob, sizeof blob, 9);
    assert_int_equal(proto_msg_encode_receipt(blob, 189, &out->msg[3]),
                     VOCFED_OK);
    assert_int_equal(proto_msg_encode_pull("aqvtc", 70000, &out->msg[4]),
                     VOCFED_OK);
    assert_int_equal(proto_msg_encode_error("bad-signature", "checkpoint 3",
                                            "aqvtc", 300, &out->msg[5]),
                     VOCFED_OK);
    assert_int_equal(
        proto_msg_encode_error("version", "", NULL, 0, &out->msg[6]),
        VOCFED_OK);
    out->n = 7;
    s_batch_free(&s);
}

static void
s_samples_release(s_samples_t *s)
{
    for (size_t i = 0; i < 8; i++)
        proto_buf_release(&s->msg[i]);
}

static void
test_truncations(void **state)
{
    (void)state;
    s_samples_t s;
    s_samples(&s);
    for (size_t k = 0; k < s.n; k++) {
        const proto_buf_t *b = &s.msg[k];
        proto_msg_t m;
        uint8_t *copy;
        assert_int_equal(s_decode(b->data, b->len, &m, &copy), VOCFED_OK);
        free(copy);
        for (size_t cut = 0; cut < b->len; cut++) {
            int rc = s_decode(b->data, cut, &m, &copy);
            if (rc != VOCFED_EMALFORMED)
                fail_msg("sample %zu cut at %zu of %zu: %s", k, cut, b->len,
                         vocfed_status_token(rc));
            free(copy);
        }
        /* And one byte more is trailing garbage. */
        proto_buf_t longer;
        proto_buf_init(&longer);
        s_put(&longer, b->data, b->len);
        s_put_hex(&longer, "c0");
        assert_int_equal(s_decode(longer.data, longer.len, &m, &copy),
                         VOCFED_EMALFORMED);
        free(copy);
        proto_buf_release(&longer);
    }
    s_samples_release(&s);
}

/* Every single bit of every sample flipped: an error, or a message that
 * decodes to something else and re-encodes to exactly those bytes (one
 * value, one encoding). Under ASan, no read strays. */
static void
test_bit_flips(void **state)
{
    (void)state;
    s_samples_t s;
    s_samples(&s);
    unsigned decoded = 0, refused = 0;
    for (size_t k = 0; k < s.n; k++) {
        const proto_buf_t *b = &s.msg[k];
        uint8_t *p = s_dup(b->data, b->len);
        for (size_t bit = 0; bit < 8 * b->len; bit++) {
            p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            proto_msg_t m;
            int rc = proto_msg_decode(p, b->len, &m);
            if (rc == VOCFED_OK) {
                decoded++;
                assert_true(m.type >= PROTO_MSG_HELLO &&
                            m.type <= PROTO_MSG_ERROR);
            } else {
                assert_true(rc == VOCFED_EMALFORMED ||
                            rc == VOCFED_ENONCANONICAL ||
                            rc == VOCFED_ETOOLARGE || rc == VOCFED_EVERSION);
                refused++;
            }
            p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        free(p);
    }
    assert_true(decoded > 0 && refused > 0);
    s_samples_release(&s);
}

/* ---- hand-made messages --------------------------------------------------
 * Each case is a default message of its type with some parts replaced:
 * the parts are hex, with 'text' for bytes of text (see s_hex). */

#define S_PARTS 12
#define S_H31(x) x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x
#define S_H32(x) S_H31(x) x
#define S_HASH "c4 20" S_H32(" 11")

enum { S_HELLO, S_BATCH, S_RECEIPT, S_PULL, S_ERROR, S_KINDS };

static const char *const s_default[S_KINDS][S_PARTS] = {
    [S_HELLO] =
        {
            "94",                           /* 0 array of 4 */
            "02",                           /* 1 version */
            "a5 'hello'",                   /* 2 type */
            "a5 'aqvtc'",                   /* 3 node id */
            "82",                           /* 4 map of 2 */
            "a5 'aqvtc' 93 02" S_HASH "02", /* 5 first head */
            "a5 'coord' 93 00" S_HASH "00", /* 6 second head */
            "",                             /* 7 after */
        },
    [S_BATCH] =
        {
            "99",                      /* 0 array of 9 */
            "02",                      /* 1 version */
            "a5 'batch'",              /* 2 type */
            "a5 'aqvtc'",              /* 3 author */
            "05",                      /* 4 first_seq */
            "92 c4 01 aa c4 02 bb bb", /* 5 two entries */
            "91 c4 03 cc cc cc",       /* 6 one checkpoint */
            "04",                      /* 7 old_size */
            "91" S_HASH,               /* 8 consistency */
            "92" S_HASH S_HASH,        /* 9 range */
            "",                        /* 10 after */
        },
    [S_RECEIPT] =
        {
            "93",             /* 0 array of 3 */
            "02",             /* 1 version */
            "a7 'receipt'",   /* 2 type */
            "c4 03 dd dd dd", /* 3 receipt */
            "",               /* 4 after */
        },
    [S_PULL] =
        {
            "94",         /* 0 array of 4 */
            "02",         /* 1 version */
            "a4 'pull'",  /* 2 type */
            "a5 'aqvtc'", /* 3 author */
            "cd 01 00",   /* 4 from_seq 256 */
            "",           /* 5 after */
        },
    [S_ERROR] =
        {
            "96",            /* 0 array of 6 */
            "02",            /* 1 version */
            "a5 'error'",    /* 2 type */
            "a7 'seq-gap'",  /* 3 code */
            "a8 'want 301'", /* 4 text */
            "a5 'aqvtc'",    /* 5 author */
            "cd 01 2d",      /* 6 seq 301 */
            "",              /* 7 after */
        },
};

typedef struct {
    const char *what;          /* shown when the case fails */
    int kind;                  /* which default */
    const char *part[S_PARTS]; /* overrides; NULL keeps the default */
    int want;                  /* what decode answers */
} s_case_t;

static const s_case_t s_cases[] = {
    /* The defaults themselves. */
    {"hello", S_HELLO, {NULL}, VOCFED_OK},
    {"batch", S_BATCH, {NULL}, VOCFED_OK},
    {"receipt", S_RECEIPT, {NULL}, VOCFED_OK},
    {"pull", S_PULL, {NULL}, VOCFED_OK},
    {"error", S_ERROR, {NULL}, VOCFED_OK},

    /* Version and type, checked in that order, before anything else. */
    {"version 3", S_BATCH, {[1] = "03"}, VOCFED_EVERSION},
    /* Version 1, whose batch declared 10 elements and carried 9: an old
     * peer is told `version`, whatever it sends. */
    {"version 1", S_BATCH, {[1] = "01"}, VOCFED_EVERSION},
    {"version 1, its batch of 10 holding 9",
     S_BATCH,
     {[0] = "9a", [1] = "01"},
     VOCFED_EVERSION},
    {"version 1 hello", S_HELLO, {[1] = "01"}, VOCFED_EVERSION},
    {"version 0", S_PULL, {[1] = "00"}, VOCFED_EVERSION},
    {"version max",
     S_PULL,
     {[1] = "cf ff ff ff ff ff ff ff ff"},
     VOCFED_EVERSION},
    {"version 3, nothing else",
     S_PULL,
     {[0] = "91", [1] = "03", [2] = "", [3] = "", [4] = ""},
     VOCFED_EVERSION},
    {"version 3, unknown type",
     S_PULL,
     {[1] = "03", [2] = "a4 'push'"},
     VOCFED_EVERSION},
    {"version 3, a longer array",
     S_HELLO,
     {[0] = "95", [1] = "03", [7] = "c0"},
     VOCFED_EVERSION},
    {"version 3, garbage after",
     S_PULL,
     {[1] = "03", [3] = "c1"},
     VOCFED_EVERSION},
    {"version uint8 2", S_PULL, {[1] = "cc 02"}, VOCFED_ENONCANONICAL},
    {"version -1", S_PULL, {[1] = "ff"}, VOCFED_EMALFORMED},
    {"version a str", S_PULL, {[1] = "a1 '1'"}, VOCFED_EMALFORMED},
    {"version nil", S_PULL, {[1] = "c0"}, VOCFED_EMALFORMED},
    {"empty array",
     S_PULL,
     {[0] = "90", [1] = "", [2] = "", [3] = "", [4] = ""},
     VOCFED_EMALFORMED},
    {"version only",
     S_PULL,
     {[0] = "91", [2] = "", [3] = "", [4] = ""},
     VOCFED_EMALFORMED},
    {"a map", S_PULL, {[0] = "84"}, VOCFED_EMALFORMED},
    {"a bare uint",
     S_PULL,
     {[0] = "", [2] = "", [3] = "", [4] = ""},
     VOCFED_EMALFORMED},
    {"nothing",
     S_PULL,
     {[0] = "", [1] = "", [2] = "", [3] = "", [4] = ""},
     VOCFED_EMALFORMED},
    {"array16 of 4", S_PULL, {[0] = "dc 00 04"}, VOCFED_ENONCANONICAL},
    {"array32 of 4", S_PULL, {[0] = "dd 00 00 00 04"}, VOCFED_ENONCANONICAL},
    {"unknown type", S_PULL, {[2] = "a4 'push'"}, VOCFED_EMALFORMED},
    {"type upper case", S_PULL, {[2] = "a4 'PULL'"}, VOCFED_EMALFORMED},
    {"type empty", S_PULL, {[2] = "a0"}, VOCFED_EMALFORMED},
    {"type with a NUL", S_PULL, {[2] = "a5 'pull' 00"}, VOCFED_EMALFORMED},
    {"type a prefix", S_RECEIPT, {[2] = "a6 'receip'"}, VOCFED_EMALFORMED},
    {"type bad utf8", S_PULL, {[2] = "a2 c0 80"}, VOCFED_EMALFORMED},
    {"type str8", S_PULL, {[2] = "d9 04 'pull'"}, VOCFED_ENONCANONICAL},
    {"type a bin", S_PULL, {[2] = "c4 04 'pull'"}, VOCFED_EMALFORMED},
    {"type a number", S_PULL, {[2] = "05"}, VOCFED_EMALFORMED},
    {"pull of 3", S_PULL, {[0] = "93", [4] = ""}, VOCFED_EMALFORMED},
    {"pull of 5", S_PULL, {[0] = "95", [5] = "00"}, VOCFED_EMALFORMED},
    /* The header's count must match what follows, even when what follows
     * is a whole message of another length. */
    {"pull says 3, holds 4", S_PULL, {[0] = "93"}, VOCFED_EMALFORMED},
    {"pull says 5, holds 4", S_PULL, {[0] = "95"}, VOCFED_EMALFORMED},
    {"trailing byte", S_PULL, {[5] = "00"}, VOCFED_EMALFORMED},
    {"two messages",
     S_PULL,
     {[5] = "94 02 a4 'pull' a5 'aqvtc' 01"},
     VOCFED_EMALFORMED},

    /* hello and heads */
    {"heads type", S_HELLO, {[2] = "a5 'heads'"}, VOCFED_OK},
    {"no heads", S_HELLO, {[4] = "80", [5] = "", [6] = ""}, VOCFED_OK},
    {"map16 of 2", S_HELLO, {[4] = "de 00 02"}, VOCFED_ENONCANONICAL},
    {"heads out of order",
     S_HELLO,
     {[5] = "a5 'coord' 93 00" S_HASH "00",
      [6] = "a5 'aqvtc' 93 02" S_HASH "02"},
     VOCFED_ENONCANONICAL},
    {"a head twice",
     S_HELLO,
     {[6] = "a5 'aqvtc' 93 00" S_HASH "00"},
     VOCFED_ENONCANONICAL},
    {"prefix second",
     S_HELLO,
     {[5] = "a6 'aqvtcx' 93 00" S_HASH "00",
      [6] = "a5 'aqvtc' 93 00" S_HASH "00"},
     VOCFED_ENONCANONICAL},
    {"prefix first",
     S_HELLO,
     {[5] = "a5 'aqvtc' 93 00" S_HASH "00",
      [6] = "a6 'aqvtcx' 93 00" S_HASH "00"},
     VOCFED_OK},
    {"node id empty", S_HELLO, {[3] = "a0"}, VOCFED_EMALFORMED},
    {"node id upper", S_HELLO, {[3] = "a5 'AQVTC'"}, VOCFED_EMALFORMED},
    {"node id nil", S_HELLO, {[3] = "c0"}, VOCFED_EMALFORMED},
    {"node id bad utf8", S_HELLO, {[3] = "a2 ed a0"}, VOCFED_ENONCANONICAL},
    {"head key upper",
     S_HELLO,
     {[6] = "a5 'Coord' 93 00" S_HASH "00"},
     VOCFED_EMALFORMED},
    {"head key a number",
     S_HELLO,
     {[6] = "05 93 00" S_HASH "00"},
     VOCFED_EMALFORMED},
    {"head of 1", S_HELLO, {[6] = "a5 'coord' 91 00"}, VOCFED_EMALFORMED},
    {"head of 2 (version 1's)",
     S_HELLO,
     {[6] = "a5 'coord' 92 00" S_HASH},
     VOCFED_EMALFORMED},
    {"head of 4",
     S_HELLO,
     {[6] = "a5 'coord' 94 00" S_HASH "00 00"},
     VOCFED_EMALFORMED},
    {"head says 1, holds 2",
     S_HELLO,
     {[6] = "a5 'coord' 91 00" S_HASH},
     VOCFED_EMALFORMED},
    {"head says 3, holds 2",
     S_HELLO,
     {[6] = "a5 'coord' 93 00" S_HASH},
     VOCFED_EMALFORMED},
    {"head says 4, holds 3",
     S_HELLO,
     {[6] = "a5 'coord' 94 00" S_HASH "00"},
     VOCFED_EMALFORMED},
    {"head cp_size over size",
     S_HELLO,
     {[6] = "a5 'coord' 93 00" S_HASH "01"},
     VOCFED_EMALFORMED},
    {"head cp_size below size",
     S_HELLO,
     {[6] = "a5 'coord' 93 05" S_HASH "03"},
     VOCFED_OK},
    {"head cp_size uint16",
     S_HELLO,
     {[6] = "a5 'coord' 93 cd 01 00" S_HASH "cd 00 05"},
     VOCFED_ENONCANONICAL},
    {"head cp_size nil",
     S_HELLO,
     {[6] = "a5 'coord' 93 00" S_HASH "c0"},
     VOCFED_EMALFORMED},
    {"head a map",
     S_HELLO,
     {[6] = "a5 'coord' 81 00" S_HASH},
     VOCFED_EMALFORMED},
    {"head size -1",
     S_HELLO,
     {[6] = "a5 'coord' 93 ff" S_HASH "00"},
     VOCFED_EMALFORMED},
    {"head size uint16 2",
     S_HELLO,
     {[6] = "a5 'coord' 93 cd 00 02" S_HASH "00"},
     VOCFED_ENONCANONICAL},
    {"head root of 31",
     S_HELLO,
     {[6] = "a5 'coord' 93 00 c4 1f" S_H31(" 11") " 00"},
     VOCFED_EMALFORMED},
    {"head root bin16",
     S_HELLO,
     {[6] = "a5 'coord' 93 00 c5 00 20" S_H32(" 11") " 00"},
     VOCFED_ENONCANONICAL},
    {"head root nil",
     S_HELLO,
     {[6] = "a5 'coord' 93 00 c0 00"},
     VOCFED_EMALFORMED},
    {"map of 3, 2 heads", S_HELLO, {[4] = "83"}, VOCFED_EMALFORMED},
    {"map of 1, 2 heads", S_HELLO, {[4] = "81"}, VOCFED_EMALFORMED},
    {"heads an array", S_HELLO, {[4] = "92"}, VOCFED_EMALFORMED},

    /* batch */
    {"first_seq 0", S_BATCH, {[4] = "00"}, VOCFED_EMALFORMED},
    {"first_seq uint8 5", S_BATCH, {[4] = "cc 05"}, VOCFED_ENONCANONICAL},
    {"first_seq -5", S_BATCH, {[4] = "fb"}, VOCFED_EMALFORMED},
    {"last seq past 2^64 - 1",
     S_BATCH,
     {[4] = "cf ff ff ff ff ff ff ff ff"},
     VOCFED_EMALFORMED},
    {"last seq 2^64 - 1",
     S_BATCH,
     {[4] = "cf ff ff ff ff ff ff ff fe"},
     VOCFED_OK},
    {"author upper", S_BATCH, {[3] = "a5 'Aqvtc'"}, VOCFED_EMALFORMED},
    {"author 33",
     S_BATCH,
     {[3] = "d9 21 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"},
     VOCFED_EMALFORMED},
    {"author 32",
     S_BATCH,
     {[3] = "d9 20 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"},
     VOCFED_OK},
    {"no entries", S_BATCH, {[5] = "90"}, VOCFED_EMALFORMED},
    {"entries a map",
     S_BATCH,
     {[5] = "81 c4 01 aa c4 02 bb bb"},
     VOCFED_EMALFORMED},
    {"entries array16 of 2",
     S_BATCH,
     {[5] = "dc 00 02 c4 01 aa c4 02 bb bb"},
     VOCFED_ENONCANONICAL},
    {"empty entry", S_BATCH, {[5] = "92 c4 01 aa c4 00"}, VOCFED_EMALFORMED},
    {"entry a str", S_BATCH, {[5] = "92 c4 01 aa a2 bb bb"}, VOCFED_EMALFORMED},
    {"entry bin16 of 2",
     S_BATCH,
     {[5] = "92 c4 01 aa c5 00 02 bb bb"},
     VOCFED_ENONCANONICAL},
    {"entry runs past",
     S_BATCH,
     {[5] = "92 c4 01 aa c4 ff bb bb"},
     VOCFED_EMALFORMED},
    {"checkpoints nil", S_BATCH, {[6] = "c0"}, VOCFED_EMALFORMED},
    {"no checkpoints", S_BATCH, {[6] = "90"}, VOCFED_EMALFORMED},
    {"checkpoints a bare bin",
     S_BATCH,
     {[6] = "c4 03 cc cc cc"},
     VOCFED_EMALFORMED},
    {"checkpoint empty", S_BATCH, {[6] = "91 c4 00"}, VOCFED_EMALFORMED},
    {"checkpoint a str", S_BATCH, {[6] = "91 a3 cc cc cc"}, VOCFED_EMALFORMED},
    {"checkpoint bin16",
     S_BATCH,
     {[6] = "91 c5 00 03 cc cc cc"},
     VOCFED_ENONCANONICAL},
    {"checkpoints array16 of 1",
     S_BATCH,
     {[6] = "dc 00 01 c4 03 cc cc cc"},
     VOCFED_ENONCANONICAL},
    {"3 checkpoints, 2 entries",
     S_BATCH,
     {[6] = "93 c4 01 c1 c4 01 c2 c4 01 c3"},
     VOCFED_OK},
    {"4 checkpoints, 2 entries",
     S_BATCH,
     {[6] = "94 c4 01 c1 c4 01 c2 c4 01 c3 c4 01 c4"},
     VOCFED_EMALFORMED},
    {"old_size 0", S_BATCH, {[7] = "00"}, VOCFED_OK},
    {"old_size nil", S_BATCH, {[7] = "c0"}, VOCFED_EMALFORMED},
    {"old_size uint32 4",
     S_BATCH,
     {[7] = "ce 00 00 00 04"},
     VOCFED_ENONCANONICAL},
    {"consistency empty", S_BATCH, {[8] = "90"}, VOCFED_OK},
    {"range empty", S_BATCH, {[9] = "90"}, VOCFED_OK},
    {"hash of 31", S_BATCH, {[8] = "91 c4 1f" S_H31(" 11")}, VOCFED_EMALFORMED},
    {"hash of 33",
     S_BATCH,
     {[9] = "92" S_HASH "c4 21 00" S_H32(" 11")},
     VOCFED_EMALFORMED},
    {"hash bin16",
     S_BATCH,
     {[9] = "92" S_HASH "c5 00 20" S_H32(" 11")},
     VOCFED_ENONCANONICAL},
    {"hash a str", S_BATCH, {[8] = "91 d9 20" S_H32(" 41")}, VOCFED_EMALFORMED},
    {"proof nil", S_BATCH, {[8] = "c0"}, VOCFED_EMALFORMED},
    {"proof array16 of 1",
     S_BATCH,
     {[8] = "dc 00 01" S_HASH},
     VOCFED_ENONCANONICAL},
    {"range of 2, one hash", S_BATCH, {[9] = "92" S_HASH}, VOCFED_EMALFORMED},
    {"batch of 8", S_BATCH, {[0] = "98", [9] = ""}, VOCFED_EMALFORMED},
    {"batch of 10", S_BATCH, {[0] = "9a", [10] = "90"}, VOCFED_EMALFORMED},
    /* Version 1's batch: it declared 10 and carried 9. */
    {"batch says 10, holds 9", S_BATCH, {[0] = "9a"}, VOCFED_EMALFORMED},
    {"batch says 8, holds 9", S_BATCH, {[0] = "98"}, VOCFED_EMALFORMED},

    /* receipt */
    {"receipt empty", S_RECEIPT, {[3] = "c4 00"}, VOCFED_EMALFORMED},
    {"receipt a str", S_RECEIPT, {[3] = "a3 dd dd dd"}, VOCFED_EMALFORMED},
    {"receipt bin16",
     S_RECEIPT,
     {[3] = "c5 00 03 dd dd dd"},
     VOCFED_ENONCANONICAL},
    {"receipt of 4", S_RECEIPT, {[0] = "94", [4] = "c0"}, VOCFED_EMALFORMED},

    /* pull */
    {"from_seq 0", S_PULL, {[4] = "00"}, VOCFED_EMALFORMED},
    {"from_seq 1", S_PULL, {[4] = "01"}, VOCFED_OK},
    {"from_seq uint16 5", S_PULL, {[4] = "cd 00 05"}, VOCFED_ENONCANONICAL},
    {"from_seq int16", S_PULL, {[4] = "d1 01 00"}, VOCFED_ENONCANONICAL},
    {"from_seq float",
     S_PULL,
     {[4] = "cb 40 70 00 00 00 00 00 00"},
     VOCFED_EMALFORMED},
    {"from_seq true", S_PULL, {[4] = "c3"}, VOCFED_EMALFORMED},
    {"pull author nil", S_PULL, {[3] = "c0"}, VOCFED_EMALFORMED},

    /* error */
    {"error author nil", S_ERROR, {[5] = "c0"}, VOCFED_OK},
    {"error text empty", S_ERROR, {[4] = "a0"}, VOCFED_OK},
    {"error text utf8", S_ERROR, {[4] = "a6 e6 96 87 e5 ad 97"}, VOCFED_OK},
    {"error seq 0", S_ERROR, {[6] = "00"}, VOCFED_OK},
    {"error unknown code", S_ERROR, {[3] = "a8 'new-code'"}, VOCFED_OK},
    {"code empty", S_ERROR, {[3] = "a0"}, VOCFED_EMALFORMED},
    {"code upper", S_ERROR, {[3] = "a7 'SEQ-GAP'"}, VOCFED_EMALFORMED},
    {"code underscore", S_ERROR, {[3] = "a7 'seq_gap'"}, VOCFED_EMALFORMED},
    {"code 33",
     S_ERROR,
     {[3] = "d9 21 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"},
     VOCFED_EMALFORMED},
    {"code 32",
     S_ERROR,
     {[3] = "d9 20 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"},
     VOCFED_OK},
    {"code bad utf8", S_ERROR, {[3] = "a2 c0 80"}, VOCFED_ENONCANONICAL},
    {"code nil", S_ERROR, {[3] = "c0"}, VOCFED_EMALFORMED},
    {"text newline", S_ERROR, {[4] = "a3 'a' 0a 'b'"}, VOCFED_EMALFORMED},
    {"text escape", S_ERROR, {[4] = "a3 1b '[m'"}, VOCFED_EMALFORMED},
    {"text del", S_ERROR, {[4] = "a1 7f"}, VOCFED_EMALFORMED},
    {"text NUL", S_ERROR, {[4] = "a1 00"}, VOCFED_EMALFORMED},
    {"text bad utf8", S_ERROR, {[4] = "a2 c0 80"}, VOCFED_ENONCANONICAL},
    {"text surrogate", S_ERROR, {[4] = "a3 ed a0 80"}, VOCFED_ENONCANONICAL},
    {"text a bin", S_ERROR, {[4] = "c4 01 'a'"}, VOCFED_EMALFORMED},
    {"text nil", S_ERROR, {[4] = "c0"}, VOCFED_EMALFORMED},
    {"error author upper", S_ERROR, {[5] = "a5 'AQVTC'"}, VOCFED_EMALFORMED},
    {"error author false", S_ERROR, {[5] = "c2"}, VOCFED_EMALFORMED},
    {"error seq -1", S_ERROR, {[6] = "ff"}, VOCFED_EMALFORMED},
    {"error seq nil", S_ERROR, {[6] = "c0"}, VOCFED_EMALFORMED},
    {"error of 5", S_ERROR, {[0] = "95", [6] = ""}, VOCFED_EMALFORMED},
    {"error says 7, holds 6", S_ERROR, {[0] = "97"}, VOCFED_EMALFORMED},
    {"receipt says 2, holds 3", S_RECEIPT, {[0] = "92"}, VOCFED_EMALFORMED},
    {"hello says 5, holds 4", S_HELLO, {[0] = "95"}, VOCFED_EMALFORMED},
};

static void
s_case_bytes(const s_case_t *c, proto_buf_t *out)
{
    for (size_t p = 0; p < S_PARTS; p++) {
        const char *part = c->part[p] ? c->part[p] : s_default[c->kind][p];
        if (part)
            s_put_hex(out, part);
    }
}

static void
test_hand_made(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        proto_buf_t b;
        proto_buf_init(&b);
        s_case_bytes(c, &b);
        proto_msg_t m;
        uint8_t *copy;
        int rc = s_decode(b.data, b.len, &m, &copy);
        if (rc != c->want) {
            print_error("case \"%s\": got %s, want %s\n", c->what,
                        vocfed_status_token(rc), vocfed_status_token(c->want));
            failures++;
        }
        free(copy);
        proto_buf_release(&b);
    }
    assert_int_equal(failures, 0);
}

/* The defaults decode to what they say, and the encoders write exactly
 * those bytes. */
static void
test_hand_made_fields(void **state)
{
    (void)state;
    proto_buf_t b, e;
    proto_msg_t m;
    uint8_t *copy;
    static proto_proof_t cons, range;
    uint8_t h11[PROTO_HASH_LEN];
    memset(h11, 0x11, sizeof h11);

    /* hello */
    proto_buf_init(&b);
    proto_buf_init(&e);
    s_case_bytes(&s_cases[0], &b);
    assert_int_equal(s_decode(b.data, b.len, &m, &copy), VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_HELLO);
    s_assert_str(m.hello.node_id, m.hello.node_id_len, "aqvtc");
    assert_int_equal(m.hello.heads.count, 2);
    proto_head_t heads[2];
    proto_msg_iter_t it;
    proto_msg_iter_init(&it, &m.hello.heads);
    assert_int_equal(proto_msg_next_head(&it, &heads[1]), 1);
    assert_int_equal(proto_msg_next_head(&it, &heads[0]), 1);
    assert_int_equal(proto_msg_next_head(&it, &heads[0]), 0);
    proto_msg_iter_init(&it, &m.hello.heads);
    assert_int_equal(proto_msg_next_head(&it, &heads[1]), 1);
    assert_int_equal(proto_msg_next_head(&it, &heads[0]), 1);
    s_assert_str(heads[1].author, heads[1].author_len, "aqvtc");
    assert_true(heads[1].size == 2);
    s_assert_str(heads[0].author, heads[0].author_len, "coord");
    assert_true(heads[0].size == 0);
    assert_memory_equal(heads[0].root, h11, PROTO_HASH_LEN);
    /* Given out of order, written in order. */
    assert_int_equal(proto_msg_encode_hello("aqvtc", heads, 2, &e), VOCFED_OK);
    assert_int_equal(e.len, b.len);
    assert_memory_equal(e.data, b.data, b.len);
    free(copy);

    /* batch */
    proto_buf_reset(&b);
    proto_buf_reset(&e);
    s_case_bytes(&s_cases[1], &b);
    assert_int_equal(s_decode(b.data, b.len, &m, &copy), VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_BATCH);
    s_assert_str(m.batch.author, m.batch.author_len, "aqvtc");
    assert_true(m.batch.first_seq == 5);
    assert_int_equal(m.batch.entries.count, 2);
    assert_int_equal(m.batch.checkpoints.count, 1);
    assert_true(m.batch.old_size == 4);
    assert_int_equal(proto_msg_proof(&m.batch.consistency, &cons), VOCFED_OK);
    assert_int_equal(cons.len, 1);
    assert_memory_equal(cons.hash[0], h11, PROTO_HASH_LEN);
    assert_int_equal(proto_msg_proof(&m.batch.range, &range), VOCFED_OK);
    assert_int_equal(range.len, 2);
    proto_bytes_t entries[2], cp;
    proto_msg_iter_init(&it, &m.batch.entries);
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            proto_msg_next_bin(&it, &entries[i].data, &entries[i].len), 1);
    proto_msg_iter_init(&it, &m.batch.checkpoints);
    assert_int_equal(proto_msg_next_bin(&it, &cp.data, &cp.len), 1);
    assert_int_equal(cp.len, 3);
    assert_int_equal(cp.data[0], 0xcc);
    assert_int_equal(entries[0].len, 1);
    assert_int_equal(entries[0].data[0], 0xaa);
    assert_int_equal(entries[1].len, 2);
    proto_msg_batch_in_t in = {
        .author = "aqvtc",
        .first_seq = 5,
        .entries = entries,
        .count = 2,
        .checkpoints = &cp,
        .ncp = 1,
        .old_size = 4,
        .consistency = &cons,
        .range = &range,
    };
    assert_int_equal(proto_msg_encode_batch(&in, &e), VOCFED_OK);
    assert_int_equal(e.len, b.len);
    assert_memory_equal(e.data, b.data, b.len);
    free(copy);

    /* error */
    proto_buf_reset(&b);
    proto_buf_reset(&e);
    s_case_bytes(&s_cases[4], &b);
    assert_int_equal(s_decode(b.data, b.len, &m, &copy), VOCFED_OK);
    s_assert_str(m.error.code, m.error.code_len, "seq-gap");
    s_assert_str(m.error.text, m.error.text_len, "want 301");
    s_assert_str(m.error.author, m.error.author_len, "aqvtc");
    assert_true(m.error.seq == 301);
    assert_int_equal(
        proto_msg_encode_error("seq-gap", "want 301", "aqvtc", 301, &e),
        VOCFED_OK);
    assert_int_equal(e.len, b.len);
    assert_memory_equal(e.data, b.data, b.len);
    free(copy);

    /* receipt */
    proto_buf_reset(&b);
    proto_buf_reset(&e);
    s_case_bytes(&s_cases[2], &b);
    assert_int_equal(s_decode(b.data, b.len, &m, &copy), VOCFED_OK);
    assert_int_equal(m.receipt.receipt_len, 3);
    assert_int_equal(m.receipt.receipt[2], 0xdd);
    assert_int_equal(proto_msg_encode_receipt(m.receipt.receipt, 3, &e),
                     VOCFED_OK);
    assert_int_equal(e.len, b.len);
    assert_memory_equal(e.data, b.data, b.len);
    free(copy);
    proto_buf_release(&b);
    proto_buf_release(&e);
}

/* ---- caps and counts -----------------------------------------------------
 * Counts over a cap are refused before any element is looked at (the
 * first element is garbage, and the answer is still "too large"); counts
 * the bytes left cannot hold are refused before walking. */

/* A batch up to and including its entries array header. */
static void
s_batch_prefix(proto_buf_t *b)
{
    s_put_hex(b, "99 02 a5 'batch' a5 'aqvtc' 01");
}

/* The tail after the entries: one checkpoint, old_size, two empty
 * proofs. */
static void
s_batch_tail(proto_buf_t *b)
{
    s_put_hex(b, "91 c4 01 cc 00 90 90");
}

static int
s_decode_buf(const proto_buf_t *b)
{
    proto_msg_t m;
    uint8_t *copy;
    int rc = s_decode(b->data, b->len, &m, &copy);
    free(copy);
    return rc;
}

static void
test_caps(void **state)
{
    (void)state;
    proto_buf_t b;
    proto_buf_init(&b);

    /* 4097 entries, each of them well-formed: too many. */
    s_batch_prefix(&b);
    s_put_array(&b, PROTO_MSG_MAX_ENTRIES + 1);
    for (int i = 0; i <= PROTO_MSG_MAX_ENTRIES; i++)
        s_put_hex(&b, "c4 01 aa");
    s_batch_tail(&b);
    assert_int_equal(s_decode_buf(&b), VOCFED_ETOOLARGE);
    /* 4096 of them: fine. */
    proto_buf_reset(&b);
    s_batch_prefix(&b);
    s_put_array(&b, PROTO_MSG_MAX_ENTRIES);
    for (int i = 0; i < PROTO_MSG_MAX_ENTRIES; i++)
        s_put_hex(&b, "c4 01 aa");
    s_batch_tail(&b);
    assert_int_equal(s_decode_buf(&b), VOCFED_OK);
    /* 4097 claimed, the first one garbage: the cap answers first. */
    proto_buf_reset(&b);
    s_batch_prefix(&b);
    s_put_array(&b, PROTO_MSG_MAX_ENTRIES + 1);
    for (int i = 0; i <= PROTO_MSG_MAX_ENTRIES; i++)
        s_put_hex(&b, "c1 c1 c1");
    assert_int_equal(s_decode_buf(&b), VOCFED_ETOOLARGE);
    /* 4096 claimed, bytes for 100: refused before the walk. */
    proto_buf_reset(&b);
    s_batch_prefix(&b);
    s_put_array(&b, PROTO_MSG_MAX_ENTRIES);
    for (int i = 0; i < 100; i++)
        s_put_hex(&b, "c1 c1 c1");
    assert_int_equal(s_decode_buf(&b), VOCFED_EMALFORMED);
    /* 2^32 - 1 claimed in a few bytes. */
    proto_buf_reset(&b);
    s_batch_prefix(&b);
    s_put_array(&b, UINT32_MAX);
    s_put_hex(&b, "c4 01 aa");
    s_batch_tail(&b);
    assert_int_equal(s_decode_buf(&b), VOCFED_EMALFORMED);

    /* An entry of 65,537 bytes, present in full; 65,536 is fine. */
    for (int over = 0; over < 2; over++) {
        proto_buf_reset(&b);
        s_batch_prefix(&b);
        s_put_array(&b, 1);
        size_t len = PROTO_ENTRY_MAX + (size_t)over;
        s_put_bin_header(&b, len);
        uint8_t *big = calloc(1, len);
        assert_non_null(big);
        s_put(&b, big, len);
        free(big);
        s_batch_tail(&b);
        assert_int_equal(s_decode_buf(&b), over ? VOCFED_ETOOLARGE : VOCFED_OK);
    }
    /* An entry claiming 2^32 - 1 bytes. */
    proto_buf_reset(&b);
    s_batch_prefix(&b);
    s_put_hex(&b, "91 c6 ff ff ff ff aa");
    s_batch_tail(&b);
    assert_int_equal(s_decode_buf(&b), VOCFED_EMALFORMED);

    /* A checkpoint of 257 bytes; 256 is fine. */
    for (int over = 0; over < 2; over++) {
        proto_buf_reset(&b);
        s_batch_prefix(&b);
        s_put_hex(&b, "91 c4 01 aa 91");
        size_t len = PROTO_CHECKPOINT_MAX + (size_t)over;
        s_put_bin_header(&b, len);
        for (size_t i = 0; i < len; i++)
            s_put_hex(&b, "cc");
        s_put_hex(&b, "00 90 90");
        assert_int_equal(s_decode_buf(&b), over ? VOCFED_ETOOLARGE : VOCFED_OK);
    }

    /* 4098 checkpoints, well-formed: too many, whatever the entries;
     * 4097 claimed with garbage after: the cap answers first; 3 for one
     * entry: more than one per entry and one past them. */
    for (int over = 0; over < 3; over++) {
        proto_buf_reset(&b);
        s_batch_prefix(&b);
        s_put_hex(&b, "91 c4 01 aa");
        size_t n = over == 2 ? 3 : PROTO_MSG_MAX_CHECKPOINTS + 1;
        s_put_array(&b, n);
        for (size_t i = 0; i < n; i++)
            s_put_hex(&b, over == 1 ? "c1 c1 c1" : "c4 01 cc");
        s_put_hex(&b, "00 90 90");
        assert_int_equal(s_decode_buf(&b),
                         over == 2 ? VOCFED_EMALFORMED : VOCFED_ETOOLARGE);
    }
    /* 4097 checkpoints for 4096 entries: fine. */
    proto_buf_reset(&b);
    s_batch_prefix(&b);
    s_put_array(&b, PROTO_MSG_MAX_ENTRIES);
    for (int i = 0; i < PROTO_MSG_MAX_ENTRIES; i++)
        s_put_hex(&b, "c4 01 aa");
    s_put_array(&b, PROTO_MSG_MAX_CHECKPOINTS);
    for (int i = 0; i < PROTO_MSG_MAX_CHECKPOINTS; i++)
        s_put_hex(&b, "c4 01 cc");
    s_put_hex(&b, "00 90 90");
    assert_int_equal(s_decode_buf(&b), VOCFED_OK);

    /* Proofs of 129 hashes; 128 is fine; 129 claimed, garbage after. */
    for (int which = 0; which < 2; which++) {
        for (int over = 0; over < 3; over++) {
            proto_buf_reset(&b);
            s_batch_prefix(&b);
            s_put_hex(&b, "91 c4 01 aa 91 c4 01 cc 00");
            if (which == 1)
                s_put_hex(&b, "90");
            size_t n = PROTO_MERKLE_MAX_PROOF + (over ? 1 : 0);
            s_put_array(&b, n);
            for (size_t i = 0; i < n; i++)
                s_put_hex(&b, over == 2 ? "c1" : S_HASH);
            if (over != 2 && which == 0)
                s_put_hex(&b, "90");
            assert_int_equal(s_decode_buf(&b),
                             over ? VOCFED_ETOOLARGE : VOCFED_OK);
        }
        /* 100 claimed, room for 10. */
        proto_buf_reset(&b);
        s_batch_prefix(&b);
        s_put_hex(&b, "91 c4 01 aa 91 c4 01 cc 00");
        if (which == 1)
            s_put_hex(&b, "90");
        s_put_array(&b, 100);
        for (size_t i = 0; i < 10; i++)
            s_put_hex(&b, S_HASH);
        assert_int_equal(s_decode_buf(&b), VOCFED_EMALFORMED);
    }

    /* 4097 heads, each well-formed and in order; 4096 fine; 4097
     * claimed with garbage after; 4096 claimed with room for 10. */
    for (int over = 0; over < 3; over++) {
        proto_buf_reset(&b);
        s_put_hex(&b, "94 02 a5 'hello' a5 'aqvtc'");
        size_t n = PROTO_MSG_MAX_HEADS + (over ? 1 : 0);
        s_put_map(&b, n);
        for (size_t i = 0; i < n; i++) {
            char id[32];
            snprintf(id, sizeof id, "m%05zu", i);
            if (over == 2) {
                s_put_hex(&b, S_HASH S_HASH);
                continue;
            }
            s_put_str(&b, id);
            s_put_hex(&b, "93 00" S_HASH "00");
        }
        assert_int_equal(s_decode_buf(&b), over ? VOCFED_ETOOLARGE : VOCFED_OK);
    }
    proto_buf_reset(&b);
    s_put_hex(&b, "94 02 a5 'hello' a5 'aqvtc'");
    s_put_map(&b, PROTO_MSG_MAX_HEADS);
    for (size_t i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%05zu", i);
        s_put_str(&b, id);
        s_put_hex(&b, "93 00" S_HASH "00");
    }
    assert_int_equal(s_decode_buf(&b), VOCFED_EMALFORMED);
    proto_buf_reset(&b);
    s_put_hex(&b, "94 02 a5 'hello' a5 'aqvtc' df ff ff ff ff");
    assert_int_equal(s_decode_buf(&b), VOCFED_EMALFORMED);

    /* A receipt of 257 bytes; 256 fine. */
    for (int over = 0; over < 2; over++) {
        proto_buf_reset(&b);
        s_put_hex(&b, "93 02 a7 'receipt'");
        size_t len = PROTO_RECEIPT_MAX + (size_t)over;
        s_put_bin_header(&b, len);
        for (size_t i = 0; i < len; i++)
            s_put_hex(&b, "dd");
        assert_int_equal(s_decode_buf(&b), over ? VOCFED_ETOOLARGE : VOCFED_OK);
    }

    /* An error text of 513 bytes; 512 fine. */
    for (int over = 0; over < 2; over++) {
        proto_buf_reset(&b);
        s_put_hex(&b, "96 02 a5 'error' a7 'seq-gap'");
        size_t len = PROTO_MSG_TEXT_MAX + (size_t)over;
        s_put_tagged(&b, 0xda, len, 2);
        for (size_t i = 0; i < len; i++)
            s_put_hex(&b, "'t'");
        s_put_hex(&b, "c0 00");
        assert_int_equal(s_decode_buf(&b), over ? VOCFED_ETOOLARGE : VOCFED_OK);
    }

    proto_buf_release(&b);
}

/* The whole-message cap: a batch of 256 entries of 64 KiB is under it;
 * any message over it is refused before its first byte is read. */
static void
test_message_cap(void **state)
{
    (void)state;
    proto_buf_t b;
    proto_buf_init(&b);
    s_batch_prefix(&b);
    s_put_array(&b, 256);
    uint8_t *big = calloc(1, PROTO_ENTRY_MAX);
    assert_non_null(big);
    for (int i = 0; i < 256; i++) {
        s_put_bin_header(&b, PROTO_ENTRY_MAX);
        s_put(&b, big, PROTO_ENTRY_MAX);
    }
    free(big);
    s_batch_tail(&b);
    assert_true(b.len <= PROTO_MSG_MAX);
    assert_int_equal(s_decode_buf(&b), VOCFED_OK);

    /* Padded to the cap with trailing bytes: malformed, not too large. */
    while (b.len < PROTO_MSG_MAX)
        s_put_hex(&b, "c0");
    assert_int_equal(s_decode_buf(&b), VOCFED_EMALFORMED);
    /* One byte over: too large, whatever the bytes (even version 2). */
    s_put_hex(&b, "c0");
    assert_int_equal(s_decode_buf(&b), VOCFED_ETOOLARGE);
    b.data[1] = 0x02;
    assert_int_equal(s_decode_buf(&b), VOCFED_ETOOLARGE);
    proto_msg_t m;
    assert_int_equal(proto_msg_decode(b.data, SIZE_MAX, &m), VOCFED_ETOOLARGE);
    proto_buf_release(&b);
}

/* Lists that proto_msg_decode did not check: errors, not crashes. */
static void
test_unchecked_lists(void **state)
{
    (void)state;
    static proto_proof_t p;
    uint8_t junk[8] = {0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1};
    uint8_t short_hash[4] = {0xc4, 0x02, 0x11, 0x11};
    proto_msg_list_t l = {junk, sizeof junk, 3};
    proto_msg_iter_t it;
    const uint8_t *e;
    size_t len;
    proto_head_t h;
    proto_msg_iter_init(&it, &l);
    assert_true(proto_msg_next_bin(&it, &e, &len) < 0);
    proto_msg_iter_init(&it, &l);
    assert_true(proto_msg_next_head(&it, &h) < 0);
    p.len = 7;
    assert_true(proto_msg_proof(&l, &p) < 0);
    assert_int_equal(p.len, 0);
    l = (proto_msg_list_t){short_hash, sizeof short_hash, 1};
    p.len = 7;
    assert_int_equal(proto_msg_proof(&l, &p), VOCFED_EMALFORMED);
    assert_int_equal(p.len, 0);
    l.count = PROTO_MERKLE_MAX_PROOF + 1;
    assert_int_equal(proto_msg_proof(&l, &p), VOCFED_ETOOLARGE);
    /* Claims more elements than the bytes hold. */
    uint8_t one[3] = {0xc4, 0x01, 0xaa};
    l = (proto_msg_list_t){one, sizeof one, 2};
    proto_msg_iter_init(&it, &l);
    assert_int_equal(proto_msg_next_bin(&it, &e, &len), 1);
    assert_int_equal(proto_msg_next_bin(&it, &e, &len), VOCFED_EMALFORMED);
}

/* ---- SPEC 8.8's table of codes ------------------------------------------ */

/* Appends to out (cap bytes, NUL-separated, counted in *n) each code of
 * the first column of SPEC 8.8's table: a backticked token in a row. */
static void
s_spec_codes(char *out, size_t cap, size_t *n)
{
    char path[512], line[2048];
    int w =
        snprintf(path, sizeof path, "%s/protocol/SPEC.md", VOCFED_SOURCE_DIR);
    assert_true(w > 0 && (size_t)w < sizeof path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    bool in = false;
    size_t used = 0;
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "### ", 4) == 0)
            in = strncmp(line, "### 8.8 ", 8) == 0;
        if (!in || strncmp(line, "| `", 3) != 0)
            continue;
        /* the first cell: `a`, `b` and `c` */
        char *end = strchr(line + 1, '|');
        assert_non_null(end);
        for (char *p = line + 1; (p = strchr(p, '`')) && p < end;) {
            char *q = strchr(p + 1, '`');
            assert_true(q && q < end);
            size_t len = (size_t)(q - p - 1);
            assert_true(used + len + 1 <= cap);
            memcpy(out + used, p + 1, len);
            out[used + len] = '\0';
            used += len + 1;
            ++*n;
            p = q + 1;
        }
    }
    fclose(f);
}

static bool
s_has(const char *list, size_t n, const char *token)
{
    for (size_t i = 0; i < n; i++, list += strlen(list) + 1)
        if (strcmp(list, token) == 0)
            return true;
    return false;
}

/* SPEC 8.8 lists every code protocol/status.c has, each once, and no
 * other: what the code can send is what the page says. */
static void
test_spec_codes(void **state)
{
    (void)state;
    static char spec[4096];
    size_t n;
    s_spec_codes(spec, sizeof spec, &n);
    assert_true(n > 20);
    /* every status of the project's block, -errno ("system") and a
     * status without a token ("unknown") */
    size_t seen = 0;
    const char *list = spec;
    for (size_t i = 0; i < n; i++, list += strlen(list) + 1)
        assert_false(s_has(list + strlen(list) + 1, n - i - 1, list));
    for (int code = -9099; code <= 0; code++) {
        const char *t = vocfed_status_token(code);
        if (code > -9000 && code < 0)
            continue;
        if (strcmp(t, "unknown") == 0)
            continue;
        if (!s_has(spec, n, t))
            fail_msg("status %d (%s) is not in SPEC 8.8's table", code, t);
        seen++;
        if (code != VOCFED_OK)
            assert_int_equal(vocfed_status_from_token(t, strlen(t)), code);
    }
    assert_true(s_has(spec, n, vocfed_status_token(-5)));    /* system */
    assert_true(s_has(spec, n, vocfed_status_token(-9098))); /* unknown */
    assert_int_equal(n, seen + 2);
}

/* ---- golden vectors ------------------------------------------------------ */

/* What a receiver checks in a batch of one checkpoint before
 * committing it (SPEC 8.4): the checkpoint signature, each entry's author and
 * seq, and the range proof from its own frontier to the checkpoint's root. */
static void
s_receive(const proto_msg_batch_t *batch, const uint8_t pk[PROTO_PUBKEY_LEN],
          uint64_t want_range_len)
{
    static proto_proof_t range, cons;
    proto_checkpoint_t cp;
    proto_msg_iter_t it;
    const uint8_t *e;
    size_t len;
    assert_int_equal(batch->checkpoints.count, 1);
    proto_msg_iter_init(&it, &batch->checkpoints);
    assert_int_equal(proto_msg_next_bin(&it, &e, &len), 1);
    assert_int_equal(proto_checkpoint_open(e, len, pk, &cp), VOCFED_OK);
    assert_int_equal(batch->author_len, strlen(cp.author));
    assert_memory_equal(batch->author, cp.author, batch->author_len);
    proto_frontier_t f;
    proto_frontier_init(&f, PROTO_HASH_BLAKE2B256);
    uint64_t seq = batch->first_seq;
    proto_msg_iter_init(&it, &batch->entries);
    assert_true(batch->first_seq == 1); /* the receiver holds nothing */
    while (proto_msg_next_bin(&it, &e, &len) == 1) {
        proto_entry_t entry;
        uint8_t leaf[PROTO_HASH_LEN];
        assert_int_equal(proto_entry_decode(e, len, &entry), VOCFED_OK);
        assert_true(entry.seq == seq);
        assert_int_equal(entry.author_len, batch->author_len);
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, e, len, leaf);
        assert_int_equal(proto_frontier_append(&f, leaf, NULL, NULL),
                         VOCFED_OK);
        seq++;
    }
    assert_int_equal(proto_msg_proof(&batch->range, &range), VOCFED_OK);
    assert_int_equal(range.len, want_range_len);
    assert_int_equal(proto_msg_proof(&batch->consistency, &cons), VOCFED_OK);
    assert_int_equal(cons.len, 0);
    assert_true(batch->old_size == 0);
    assert_int_equal(proto_merkle_verify_range(PROTO_HASH_BLAKE2B256, &f,
                                               cp.size, &range, cp.root),
                     VOCFED_OK);
    /* Without the range, or with a hash changed, it does not hold. */
    if (range.len > 0) {
        range.hash[0][5] ^= 0x40;
        assert_int_equal(proto_merkle_verify_range(PROTO_HASH_BLAKE2B256, &f,
                                                   cp.size, &range, cp.root),
                         VOCFED_EPROOF);
        range.len = 0;
        assert_int_equal(proto_merkle_verify_range(PROTO_HASH_BLAKE2B256, &f,
                                                   cp.size, &range, cp.root),
                         VOCFED_EPROOF);
    }
}

static void
test_golden(void **state)
{
    (void)state;
    uint8_t put[S_BYTES_MAX], del[S_BYTES_MAX], cpb[S_BYTES_MAX];
    uint8_t pk[S_BYTES_MAX], file[S_BYTES_MAX];
    size_t put_len = s_read_vector("entry_put.hex", put, sizeof put);
    size_t del_len = s_read_vector("entry_del.hex", del, sizeof del);
    size_t cp_len = s_read_vector("checkpoint.hex", cpb, sizeof cpb);
    assert_int_equal(s_read_vector("checkpoint_pubkey.hex", pk, sizeof pk),
                     PROTO_PUBKEY_LEN);
    proto_msg_t m;
    uint8_t *copy;
    proto_buf_t b;
    proto_buf_init(&b);

    /* msg_hello.hex: aqvtc holds its own log at the golden checkpoint
     * and nothing of coord's yet. */
    proto_head_t heads[2];
    heads[0] = (proto_head_t){"coord", 5, 0, {0}, 0};
    assert_int_equal(proto_unhex(s_empty_root, heads[0].root, PROTO_HASH_LEN),
                     VOCFED_OK);
    heads[1] = (proto_head_t){"aqvtc", 5, 2, {0}, 2};
    assert_int_equal(proto_unhex(s_golden_root, heads[1].root, PROTO_HASH_LEN),
                     VOCFED_OK);
    uint8_t empty[PROTO_HASH_LEN];
    proto_hash(PROTO_HASH_BLAKE2B256, (const uint8_t *)"", 0, empty);
    assert_memory_equal(heads[0].root, empty, PROTO_HASH_LEN);
    assert_int_equal(proto_msg_encode_hello("aqvtc", heads, 2, &b), VOCFED_OK);
    size_t n = s_read_vector("msg_hello.hex", file, sizeof file);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, file, n);
    assert_int_equal(s_decode(file, n, &m, &copy), VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_HELLO);
    proto_msg_iter_t it;
    proto_head_t h;
    proto_msg_iter_init(&it, &m.hello.heads);
    assert_int_equal(proto_msg_next_head(&it, &h), 1);
    s_assert_str(h.author, h.author_len, "aqvtc");
    assert_true(h.size == 2);
    assert_true(h.cp_size == 2);
    assert_memory_equal(h.root, heads[0].root, PROTO_HASH_LEN);
    free(copy);

    /* msg_pull_own.hex: aqvtc asks the coordinator for its own log
     * from seq 3 on (SPEC 8.7: a member put back from a copy). */
    proto_buf_reset(&b);
    assert_int_equal(proto_msg_encode_pull("aqvtc", 3, &b), VOCFED_OK);
    n = s_read_vector("msg_pull_own.hex", file, sizeof file);
    assert_int_equal(n, 14);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, file, n);
    assert_int_equal(s_decode(file, n, &m, &copy), VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_PULL);
    s_assert_str(m.pull.author, m.pull.author_len, "aqvtc");
    assert_true(m.pull.from_seq == 3);
    free(copy);

    /* msg_batch.hex: both golden entries and the checkpoint that covers
     * them; nothing to prove beyond them. */
    static proto_proof_t none, rest;
    none.len = 0;
    proto_bytes_t entries[2] = {{put, put_len}, {del, del_len}};
    proto_bytes_t cpv = {cpb, cp_len};
    proto_msg_batch_in_t in = {
        .author = "aqvtc",
        .first_seq = 1,
        .entries = entries,
        .count = 2,
        .checkpoints = &cpv,
        .ncp = 1,
        .old_size = 0,
        .consistency = &none,
        .range = &none,
    };
    proto_buf_reset(&b);
    assert_int_equal(proto_msg_encode_batch(&in, &b), VOCFED_OK);
    n = s_read_vector("msg_batch.hex", file, sizeof file);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, file, n);
    assert_int_equal(s_decode(file, n, &m, &copy), VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_BATCH);
    s_receive(&m.batch, pk, 0);
    free(copy);

    /* msg_batch_part.hex: the first entry only, with the compact range
     * [1, 2) (the second entry's leaf hash) to reach the root. */
    rest.len = 1;
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, del, del_len, rest.hash[0]);
    in.count = 1;
    in.range = &rest;
    proto_buf_reset(&b);
    assert_int_equal(proto_msg_encode_batch(&in, &b), VOCFED_OK);
    n = s_read_vector("msg_batch_part.hex", file, sizeof file);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, file, n);
    assert_int_equal(s_decode(file, n, &m, &copy), VOCFED_OK);
    s_receive(&m.batch, pk, 1);
    free(copy);
    proto_buf_release(&b);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heads_round_trip),
        cmocka_unit_test(test_heads_refusals),
        cmocka_unit_test(test_batch_round_trip),
        cmocka_unit_test(test_batch_refusals),
        cmocka_unit_test(test_small_round_trips),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_spec_codes),
        cmocka_unit_test(test_hand_made),
        cmocka_unit_test(test_hand_made_fields),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_message_cap),
        cmocka_unit_test(test_unchecked_lists),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
