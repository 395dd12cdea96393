/* tests/storage/test_keys.c: an author's key history (SPEC 3.4, 5.1
 * `authors` 'k' rows): a handover appended and taken in, each checkpoint
 * checked against the key in force at its size, and every way a hostile
 * sender can get it wrong refused with its reason: a handover signed by
 * a wrong key, one naming another member, one not at the end of its
 * checkpoint, the old key signing after it, a second handover racing the
 * first, a key vouched for (store_author_rekey). Logs are forged in
 * memory so that nothing the sender's store would refuse is left out. */
#include "protocol/handover.h"
#include "protocol/clock.h"
#include "protocol/hash.h"
#include "storage/replica.h"
#include "storage/store.h"
#include "storage/verify.h"
#include "tests/harness.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_AUTHOR "m1"
#define S_MAX 16

/* A log forged in memory: entries, their leaves, checkpoints. */
typedef struct {
    proto_buf_t e[S_MAX]; /* entries, seq 1.. */
    uint8_t leaves[S_MAX][PROTO_HASH_LEN];
    size_t n;                     /* entries */
    proto_buf_t cp[S_MAX];        /* signed checkpoints */
    uint64_t size[S_MAX];         /* their sizes */
    size_t ncp;                   /* checkpoints */
    uint8_t prev[PROTO_HASH_LEN]; /* hash of the last one */
} s_log_t;

typedef struct {
    char dir[64];                    /* the receiver's folder */
    store_t *st;                     /* its store */
    uint8_t pk[3][PROTO_PUBKEY_LEN]; /* K0 (registered), K1, K2 */
    uint8_t sk[3][PROTO_SECKEY_LEN]; /* their secret halves */
    uint8_t evil_pk[PROTO_PUBKEY_LEN];
    uint8_t evil_sk[PROTO_SECKEY_LEN];
    store_ingest_result_t res; /* the last ingest */
} s_t;

static int
s_setup(void **state)
{
    s_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    assert_true(sodium_init() >= 0);
    for (int i = 0; i < 3; i++)
        crypto_sign_keypair(t->pk[i], t->sk[i]);
    crypto_sign_keypair(t->evil_pk, t->evil_sk);
    th_tmpdir(t->dir);
    store_opts_t o = {.create = true, .no_derived = true};
    assert_int_equal(store_open(t->dir, &o, &t->st), VOCFED_OK);
    assert_int_equal(store_author_add(t->st, S_AUTHOR, t->pk[0]), VOCFED_OK);
    *state = t;
    return 0;
}

static int
s_teardown(void **state)
{
    s_t *t = *state;
    store_destroy(&t->st);
    th_rmdir(t->dir);
    free(t);
    return 0;
}

static void
s_log_init(s_log_t *l)
{
    memset(l, 0, sizeof *l);
    for (size_t i = 0; i < S_MAX; i++) {
        proto_buf_init(&l->e[i]);
        proto_buf_init(&l->cp[i]);
    }
}

static void
s_log_release(s_log_t *l)
{
    for (size_t i = 0; i < S_MAX; i++) {
        proto_buf_release(&l->e[i]);
        proto_buf_release(&l->cp[i]);
    }
}

/* Appends one entry of author `who` (S_AUTHOR unless forging) with
 * kind, key and body. */
static void
s_entry(s_log_t *l, const char *kind, const char *key, const uint8_t *body,
        size_t body_len)
{
    proto_entry_t e = {.version = PROTO_ENTRY_VERSION,
                       .author = S_AUTHOR,
                       .author_len = strlen(S_AUTHOR),
                       .seq = l->n + 1,
                       .time_ms = 1767225600000ull + l->n,
                       .op = PROTO_OP_PUT,
                       .kind = kind,
                       .kind_len = strlen(kind),
                       .key = key,
                       .key_len = strlen(key),
                       .body = body,
                       .body_len = body_len};
    assert_int_equal(proto_entry_encode(&e, &l->e[l->n]), VOCFED_OK);
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, l->e[l->n].data, l->e[l->n].len,
                    l->leaves[l->n]);
    l->n++;
}

/* A record the kinds table takes (a major). */
static void
s_put(s_log_t *l, const char *code)
{
    proto_buf_t b;
    proto_buf_init(&b);
    proto_field_t f[3] = {
        {"level", 5, {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
        {"name", 4, {.type = PROTO_VAL_STR, .s = "x", .slen = 1}},
        {"status", 6, {.type = PROTO_VAL_STR, .s = "active", .slen = 6}},
    };
    assert_int_equal(proto_body_encode(f, 3, &b), VOCFED_OK);
    s_entry(l, "major", code, b.data, b.len);
    proto_buf_release(&b);
}

/* A handover to pk, naming key (the author's own id when honest). */
static void
s_handover(s_log_t *l, const char *key, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(proto_handover_body(pk, &b), VOCFED_OK);
    s_entry(l, PROTO_HANDOVER_KIND, key, b.data, b.len);
    proto_buf_release(&b);
}

static int
s_source(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_LEN])
{
    const s_log_t *l = ctx;
    uint8_t a[PROTO_HASH_LEN], b[PROTO_HASH_LEN];
    if (level == 0) {
        memcpy(out, l->leaves[index], PROTO_HASH_LEN);
        return VOCFED_OK;
    }
    int rc = s_source(ctx, level - 1, 2 * index, a);
    if (!rc)
        rc = s_source(ctx, level - 1, 2 * index + 1, b);
    if (!rc)
        proto_hash_node(PROTO_HASH_BLAKE2B256, a, b, out);
    return rc;
}

/* A checkpoint over every entry so far, signed with sk. */
static void
s_sign(s_log_t *l, const uint8_t sk[PROTO_SECKEY_LEN])
{
    proto_checkpoint_t c = {.version = PROTO_CHECKPOINT_VERSION,
                            .size = l->n,
                            .time_ms = 1767225600000ull + l->n};
    snprintf(c.author, sizeof c.author, "%s", S_AUTHOR);
    assert_int_equal(
        proto_merkle_root(PROTO_HASH_BLAKE2B256, l->n, s_source, l, c.root),
        VOCFED_OK);
    memcpy(c.prev, l->prev, PROTO_HASH_LEN);
    proto_buf_t *out = &l->cp[l->ncp];
    assert_int_equal(proto_checkpoint_sign(&c, sk, out), VOCFED_OK);
    assert_int_equal(proto_checkpoint_hash(out->data, out->len, l->prev),
                     VOCFED_OK);
    l->size[l->ncp++] = l->n;
}

/* Sends entries first..n with every checkpoint from first on, proved
 * from old_size; returns the receiver's status. */
static int
s_send(s_t *t, const s_log_t *l, uint64_t first, uint64_t old_size)
{
    static proto_proof_t cons, range;
    proto_bytes_t e[S_MAX], c[S_MAX];
    size_t nc = 0;
    for (uint64_t s = first; s <= l->n; s++)
        e[s - first] = (proto_bytes_t){l->e[s - 1].data, l->e[s - 1].len};
    for (size_t i = 0; i < l->ncp; i++)
        if (l->size[i] >= first)
            c[nc++] = (proto_bytes_t){l->cp[i].data, l->cp[i].len};
    assert_true(nc > 0);
    assert_int_equal(proto_merkle_consistency_proof(PROTO_HASH_BLAKE2B256,
                                                    old_size, l->n, s_source,
                                                    (void *)l, &cons),
                     VOCFED_OK);
    range.len = 0;
    store_batch_t b = {.author = S_AUTHOR,
                       .first_seq = first,
                       .entries = e,
                       .count = l->n - first + 1,
                       .checkpoints = c,
                       .ncp = nc,
                       .old_size = old_size,
                       .consistency = &cons,
                       .range = &range};
    memset(&t->res, 0, sizeof t->res);
    return store_ingest(t->st, &b, &t->res);
}

static void
s_key_is(s_t *t, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    uint8_t cur[PROTO_PUBKEY_LEN];
    assert_int_equal(store_author_key(t->st, S_AUTHOR, cur), VOCFED_OK);
    assert_memory_equal(cur, pk, PROTO_PUBKEY_LEN);
}

static void
s_verifies(s_t *t)
{
    store_verify_result_t vr;
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
}

/* The honest log: 1 put (K0), 2 handover to K1 (K0), 3 put (K1). */
static void
s_honest(s_t *t, s_log_t *l)
{
    s_log_init(l);
    s_put(l, "a");
    s_sign(l, t->sk[0]);
    s_handover(l, S_AUTHOR, t->pk[1]);
    s_sign(l, t->sk[0]);
    s_put(l, "b");
    s_sign(l, t->sk[1]);
}

static void
test_handover_taken_in(void **state)
{
    s_t *t = *state;
    s_log_t l;
    store_key_t keys[STORE_KEYS_MAX];
    size_t n;
    s_honest(t, &l);
    assert_int_equal(s_send(t, &l, 1, 0), VOCFED_OK);
    s_key_is(t, t->pk[1]);
    assert_int_equal(
        store_author_keys(t->st, S_AUTHOR, keys, STORE_KEYS_MAX, &n),
        VOCFED_OK);
    assert_int_equal(n, 2);
    assert_int_equal(keys[1].from, 2);
    assert_int_equal(keys[1].how, STORE_KEY_HANDOVER);
    s_verifies(t);
    /* The old key after the handover: refused, with the reason. */
    s_put(&l, "c");
    s_sign(&l, t->sk[0]);
    assert_int_equal(s_send(t, &l, 4, 3), VOCFED_EBADSIG);
    assert_non_null(strstr(t->res.what, "replaced at seq 2"));
    s_log_release(&l);
    /* The same under the new key goes in. */
    s_honest(t, &l);
    s_put(&l, "c");
    s_sign(&l, t->sk[1]);
    assert_int_equal(s_send(t, &l, 4, 3), VOCFED_OK);
    s_verifies(t);
    s_log_release(&l);
}

static void
test_handover_wrong_key(void **state)
{
    s_t *t = *state;
    s_log_t l;
    s_log_init(&l);
    s_put(&l, "a");
    s_sign(&l, t->sk[0]);
    s_handover(&l, S_AUTHOR, t->evil_pk);
    s_sign(&l, t->evil_sk); /* not the old key */
    s_put(&l, "b");
    s_sign(&l, t->evil_sk);
    assert_int_equal(s_send(t, &l, 1, 0), VOCFED_EBADSIG);
    s_key_is(t, t->pk[0]);
    s_log_release(&l);
}

static void
test_handover_other_id(void **state)
{
    s_t *t = *state;
    s_log_t l;
    s_log_init(&l);
    s_put(&l, "a");
    s_sign(&l, t->sk[0]);
    s_handover(&l, "m2", t->pk[1]); /* another member's id */
    s_sign(&l, t->sk[0]);
    assert_int_equal(s_send(t, &l, 1, 0), VOCFED_EBADRECORD);
    assert_non_null(strstr(t->res.what, "own author"));
    s_key_is(t, t->pk[0]);
    s_log_release(&l);
}

static void
test_handover_not_last(void **state)
{
    s_t *t = *state;
    s_log_t l;
    s_log_init(&l);
    s_put(&l, "a");
    s_sign(&l, t->sk[0]);
    s_handover(&l, S_AUTHOR, t->pk[1]);
    s_put(&l, "b"); /* no checkpoint at the handover */
    s_sign(&l, t->sk[1]);
    assert_int_equal(s_send(t, &l, 1, 0), VOCFED_EBADRECORD);
    assert_non_null(strstr(t->res.what, "last entry"));
    s_key_is(t, t->pk[0]);
    s_log_release(&l);
}

/* A second handover racing the first. One after it signed by the old
 * key: a bad signature. Another one at the same seq, with a checkpoint
 * past it under its own new key: the held history's key is in force
 * there, a bad signature. The other one alone at the same size, signed
 * by the old key: two histories, the author quarantined (SPEC 8.5). */
static void
test_handover_race(void **state)
{
    s_t *t = *state;
    s_log_t l, r;
    s_honest(t, &l);
    assert_int_equal(s_send(t, &l, 1, 0), VOCFED_OK);
    s_handover(&l, S_AUTHOR, t->pk[2]);
    s_sign(&l, t->sk[0]);
    assert_int_equal(s_send(t, &l, 4, 3), VOCFED_EBADSIG);
    s_key_is(t, t->pk[1]);
    s_log_init(&r);
    s_put(&r, "a");
    s_sign(&r, t->sk[0]);
    s_handover(&r, S_AUTHOR, t->pk[2]);
    s_sign(&r, t->sk[0]);
    s_put(&r, "b");
    s_sign(&r, t->sk[2]);
    assert_int_equal(s_send(t, &r, 2, 1), VOCFED_EBADSIG);
    s_key_is(t, t->pk[1]);
    assert_false(store_quarantined(t->st, S_AUTHOR));
    s_log_release(&r);
    s_log_init(&r);
    s_put(&r, "a");
    s_sign(&r, t->sk[0]);
    s_handover(&r, S_AUTHOR, t->pk[2]);
    s_sign(&r, t->sk[0]);
    assert_int_equal(s_send(t, &r, 2, 1), VOCFED_EPROOF);
    assert_true(t->res.equivocation);
    assert_true(store_quarantined(t->st, S_AUTHOR));
    s_key_is(t, t->pk[1]);
    s_verifies(t);
    s_log_release(&l);
    s_log_release(&r);
}

static void
test_append_rules(void **state)
{
    s_t *t = *state;
    store_head_t h;
    proto_buf_t b, bo;
    proto_buf_init(&b);
    proto_buf_init(&bo);
    th_students(t->st, S_AUTHOR, t->sk[0], 1, 2, 1, &h);
    assert_int_equal(proto_handover_body(t->pk[1], &b), VOCFED_OK);
    store_record_t rec = {
        PROTO_OP_PUT, PROTO_HANDOVER_KIND, S_AUTHOR, b.data, b.len, false};
    store_record_t two[2] = {rec, rec};
    store_record_t other = {
        PROTO_OP_PUT, PROTO_HANDOVER_KIND, "m2", b.data, b.len, false};
    assert_int_equal(
        store_append(t->st, S_AUTHOR, t->sk[0], two, 2, 0, NULL, NULL),
        VOCFED_EINVALID);
    assert_int_equal(
        store_append(t->st, S_AUTHOR, t->sk[0], &other, 1, 0, NULL, NULL),
        VOCFED_EINVALID);
    assert_int_equal(proto_handover_body(t->pk[0], &bo), VOCFED_OK);
    store_record_t same = {
        PROTO_OP_PUT, PROTO_HANDOVER_KIND, S_AUTHOR, bo.data, bo.len, false};
    assert_int_equal(
        store_append(t->st, S_AUTHOR, t->sk[0], &same, 1, 0, NULL, NULL),
        VOCFED_EINVALID);
    /* Another key than the one in force signs nothing. */
    assert_int_equal(
        store_append(t->st, S_AUTHOR, t->sk[1], &rec, 1, 0, NULL, NULL),
        VOCFED_EKEY);
    assert_int_equal(
        store_append(t->st, S_AUTHOR, t->sk[0], &rec, 1, 0, &h, NULL),
        VOCFED_OK);
    assert_int_equal(h.size, 3);
    s_key_is(t, t->pk[1]);
    /* The old key after its handover, and a second handover by it. */
    assert_int_equal(
        store_append(t->st, S_AUTHOR, t->sk[0], &rec, 1, 0, NULL, NULL),
        VOCFED_EKEY);
    th_students(t->st, S_AUTHOR, t->sk[1], 10, 2, 1, &h);
    assert_int_equal(h.size, 5);
    s_verifies(t);
    proto_buf_release(&b);
    proto_buf_release(&bo);
}

/* A key vouched for from the size held: the old key's checkpoints below
 * stay good, past it only the new key signs. */
static void
test_vouched(void **state)
{
    s_t *t = *state;
    s_log_t l;
    s_log_init(&l);
    s_put(&l, "a");
    s_sign(&l, t->sk[0]);
    assert_int_equal(s_send(t, &l, 1, 0), VOCFED_OK);
    assert_int_equal(store_author_rekey(t->st, S_AUTHOR, 0, t->pk[2]),
                     VOCFED_EINVALID); /* below what is held */
    assert_int_equal(store_author_rekey(t->st, S_AUTHOR, 1, t->pk[0]),
                     VOCFED_EEXISTS); /* the key in force */
    assert_int_equal(store_author_rekey(t->st, S_AUTHOR, 1, t->pk[2]),
                     VOCFED_OK);
    s_key_is(t, t->pk[2]);
    s_verifies(t);
    s_put(&l, "b");
    s_sign(&l, t->sk[0]); /* the lost key, in a thief's hands */
    assert_int_equal(s_send(t, &l, 2, 1), VOCFED_EBADSIG);
    s_log_release(&l);
    s_log_init(&l);
    s_put(&l, "a");
    s_sign(&l, t->sk[0]);
    s_put(&l, "b");
    s_sign(&l, t->sk[2]);
    assert_int_equal(s_send(t, &l, 2, 1), VOCFED_OK);
    s_verifies(t);
    s_log_release(&l);
    /* An author of whom nothing is held: a key from 0, twice. */
    assert_int_equal(store_author_add(t->st, "m2", t->pk[0]), VOCFED_OK);
    assert_int_equal(store_author_rekey(t->st, "m2", 0, t->pk[1]), VOCFED_OK);
    assert_int_equal(store_author_rekey(t->st, "m2", 0, t->pk[2]), VOCFED_OK);
    uint8_t cur[PROTO_PUBKEY_LEN];
    assert_int_equal(store_author_key(t->st, "m2", cur), VOCFED_OK);
    assert_memory_equal(cur, t->pk[2], PROTO_PUBKEY_LEN);
    s_verifies(t);
}

/* A history vouched for by the roster, taken by a member (SPEC 10.6):
 * whole by a store holding nothing of the log (its first key replaced),
 * else only when one is a prefix of the other. */
static void
test_adopt(void **state)
{
    s_t *t = *state;
    s_log_t l;
    store_key_t keys[STORE_KEYS_MAX], h[3];
    size_t n;
    memcpy(h[0].pk, t->pk[0], PROTO_PUBKEY_LEN);
    h[0].from = 0;
    memcpy(h[1].pk, t->pk[2], PROTO_PUBKEY_LEN);
    h[1].from = 1;
    assert_int_equal(store_author_add(t->st, "m3", t->pk[2]), VOCFED_OK);
    assert_int_equal(store_author_keys_adopt(t->st, "m3", h, 2), VOCFED_OK);
    assert_int_equal(store_author_keys(t->st, "m3", keys, STORE_KEYS_MAX, &n),
                     VOCFED_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(keys[0].pk, t->pk[0], PROTO_PUBKEY_LEN);
    assert_memory_equal(keys[1].pk, t->pk[2], PROTO_PUBKEY_LEN);
    /* m1 holds a log with a handover to K1 at 2. */
    s_honest(t, &l);
    assert_int_equal(s_send(t, &l, 1, 0), VOCFED_OK);
    assert_int_equal(store_author_keys_adopt(t->st, S_AUTHOR, h, 1),
                     VOCFED_OK); /* a prefix of ours */
    h[1].from = 2;
    assert_int_equal(store_author_keys_adopt(t->st, S_AUTHOR, h, 2),
                     VOCFED_EEXISTS); /* another key at 2 */
    memcpy(h[1].pk, t->pk[1], PROTO_PUBKEY_LEN);
    memcpy(h[2].pk, t->pk[2], PROTO_PUBKEY_LEN);
    h[2].from = 5;
    assert_int_equal(store_author_keys_adopt(t->st, S_AUTHOR, h, 3), VOCFED_OK);
    s_key_is(t, t->pk[2]);
    s_verifies(t);
    s_log_release(&l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handover_taken_in, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_handover_wrong_key, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_handover_other_id, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_handover_not_last, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_handover_race, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_append_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_vouched, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_adopt, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
