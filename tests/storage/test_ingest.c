/* tests/storage/test_ingest.c: equivocation and quarantine (SPEC 8.5),
 * and records refused by the kinds table (SPEC 8.4).
 *
 * An author that signs two histories is caught by the second checkpoint
 * that cannot be shown to extend the first: the batch is refused with
 * VOCFED_EPROOF and marked as equivocation, both checkpoints are kept,
 * and from then on every batch of that author is refused with
 * VOCFED_EQUARANTINED (its own code: not a locked store, not a suspended
 * member), even a batch of the history the receiver already holds. The
 * logs are made in memory by tests/fuzz/fz_log.c, signed with the golden
 * checkpoint key. */
#include "node/replicate.h"
#include "protocol/clock.h"
#include "protocol/msg.h"
#include "storage/replica.h"
#include "storage/store.h"
#include "storage/store_test.h"
#include "storage/verify.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_log.h"
#include "tests/harness.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_SELF "coord" /* the receiver's id, issuer of receipts */

typedef struct {
    char dir[64];              /* the receiver's folder */
    store_t *st;               /* its store */
    fz_log_t honest;           /* the author's first history: 6 entries */
    fz_log_t fork;             /* another one sharing the first 4 */
    proto_buf_t batch;         /* a batch message being sent */
    proto_buf_t reply;         /* the receiver's answer */
    store_ingest_result_t res; /* what the receiver did */
} s_t;

static int
s_setup(void **state)
{
    static const uint64_t sizes[] = {4, 6, 8};
    s_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    th_tmpdir(t->dir);
    store_opts_t o = {.create = true, .no_derived = true};
    assert_int_equal(store_open(t->dir, &o, &t->st), VOCFED_OK);
    assert_int_equal(store_author_add(t->st, FZ_LOG_AUTHOR, fz_checkpoint_pk()),
                     VOCFED_OK);
    assert_int_equal(fz_log_make(&t->honest, 8, sizes, 3, 0, 0), VOCFED_OK);
    assert_int_equal(fz_log_make(&t->fork, 8, sizes, 3, 1, 4), VOCFED_OK);
    proto_buf_init(&t->batch);
    proto_buf_init(&t->reply);
    *state = t;
    return 0;
}

static int
s_teardown(void **state)
{
    s_t *t = *state;
    store_destroy(&t->st);
    fz_log_release(&t->honest);
    fz_log_release(&t->fork);
    proto_buf_release(&t->batch);
    proto_buf_release(&t->reply);
    th_rmdir(t->dir);
    free(t);
    return 0;
}

/* Sends entries first..first+count-1 of log to the receiver, whose latest
 * checkpoint is at old_size; returns the receiver's status. */
static int
s_send(s_t *t, const fz_log_t *log, uint64_t first, size_t count,
       uint64_t old_size)
{
    proto_msg_t m;
    proto_buf_reset(&t->batch);
    proto_buf_reset(&t->reply);
    assert_int_equal(fz_log_batch(log, first, count, old_size, &t->batch),
                     VOCFED_OK);
    assert_int_equal(proto_msg_decode(t->batch.data, t->batch.len, &m),
                     VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_BATCH);
    return node_batch_accept(t->st, S_SELF, fz_receipt_sk(), &m.batch,
                             &t->reply, &t->res);
}

/* The code of the error message the receiver answered with. */
static void
s_assert_error(const s_t *t, const char *code)
{
    proto_msg_t m;
    assert_int_equal(proto_msg_decode(t->reply.data, t->reply.len, &m),
                     VOCFED_OK);
    assert_int_equal(m.type, PROTO_MSG_ERROR);
    assert_int_equal(m.error.code_len, strlen(code));
    assert_memory_equal(m.error.code, code, strlen(code));
}

static void
test_equivocation_quarantines(void **state)
{
    s_t *t = *state;
    store_head_t head;

    /* The honest history up to its checkpoint at 6. */
    assert_int_equal(s_send(t, &t->honest, 1, 6, 0), VOCFED_OK);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 6);
    assert_false(store_quarantined(t->st, FZ_LOG_AUTHOR));

    /* The other history's entries 5..8: every signature good, but its
     * checkpoint at 6 is not the one held at 6. */
    assert_int_equal(s_send(t, &t->fork, 5, 4, 6), VOCFED_EPROOF);
    assert_true(t->res.equivocation);
    assert_int_equal(t->res.applied, 0);
    s_assert_error(t, "bad-proof");
    assert_true(store_quarantined(t->st, FZ_LOG_AUTHOR));
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 6);

    /* From now on the author is refused with its own code, the honest
     * continuation too, and nothing is written. */
    assert_int_equal(s_send(t, &t->honest, 7, 2, 6), VOCFED_EQUARANTINED);
    assert_false(t->res.equivocation);
    assert_int_equal(t->res.applied, 0);
    s_assert_error(t, "quarantined");
    assert_string_equal(vocfed_status_token(VOCFED_EQUARANTINED),
                        "quarantined");
    assert_int_not_equal(VOCFED_EQUARANTINED, VOCFED_ELOCKED);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 6);

    /* What is held still verifies. */
    store_verify_result_t vr;
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
}

/* ---- a wrong root is bad-root; quarantine is for two histories -------- */

/* Signs checkpoint j of log again with its root changed: a checkpoint
 * the author signed over a root its entries do not give. */
static void
s_wrong_root(fz_log_t *log, size_t j)
{
    proto_checkpoint_t c;
    assert_int_equal(proto_checkpoint_open(log->cps[j].data, log->cps[j].len,
                                           fz_checkpoint_pk(), &c),
                     VOCFED_OK);
    c.root[7] ^= 0x10;
    proto_buf_reset(&log->cps[j]);
    assert_int_equal(
        proto_checkpoint_sign(&c, fz_checkpoint_sk(), &log->cps[j]), VOCFED_OK);
}

/* A checkpoint whose signed root the entries do not give is bad-root
 * (SPEC 8.4 steps 3 and 4), at its size or through a compact range: the
 * batch is refused, nothing is written, and the author is not
 * quarantined (one signed root is not two histories); its honest batch
 * is taken after. Before issue 10 the failing consistency proof that
 * comes with such a checkpoint quarantined the author. */
static void
test_wrong_root_is_bad_root(void **state)
{
    s_t *t = *state;
    store_head_t head;
    fz_log_t bad;
    static const uint64_t sizes[] = {4, 6, 8};
    assert_int_equal(fz_log_make(&bad, 8, sizes, 3, 0, 0), VOCFED_OK);
    s_wrong_root(&bad, 1); /* the checkpoint at 6 */
    assert_int_equal(s_send(t, &t->honest, 1, 4, 0), VOCFED_OK);

    /* entries 5 and 6, the checkpoint at 6 over another root */
    assert_int_equal(s_send(t, &bad, 5, 2, 4), VOCFED_EROOT);
    s_assert_error(t, "bad-root");
    assert_false(t->res.equivocation);
    assert_non_null(strstr(t->res.what, "do not give the root"));
    assert_false(store_quarantined(t->st, FZ_LOG_AUTHOR));
    /* entry 5 only, proved by the range to the checkpoint at 6 */
    assert_int_equal(s_send(t, &bad, 5, 1, 4), VOCFED_EROOT);
    s_assert_error(t, "bad-root");
    assert_false(t->res.equivocation);
    assert_false(store_quarantined(t->st, FZ_LOG_AUTHOR));
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 4);

    /* the honest history goes on */
    assert_int_equal(s_send(t, &t->honest, 5, 4, 4), VOCFED_OK);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 8);
    store_verify_result_t vr;
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
    fz_log_release(&bad);
}

/* A consistency proof that does not verify, under checkpoints whose roots
 * the entries give, is the sender's mistake: bad-proof, nothing written,
 * no quarantine (a proof is not signed). */
static void
test_bad_consistency_proof(void **state)
{
    s_t *t = *state;
    proto_msg_t m;
    assert_int_equal(s_send(t, &t->honest, 1, 4, 0), VOCFED_OK);
    proto_buf_reset(&t->batch);
    proto_buf_reset(&t->reply);
    assert_int_equal(fz_log_batch(&t->honest, 5, 2, 4, &t->batch), VOCFED_OK);
    assert_int_equal(proto_msg_decode(t->batch.data, t->batch.len, &m),
                     VOCFED_OK);
    assert_true(m.batch.consistency.count > 0);
    /* the last byte of the first hash (after its c4 20 header) */
    size_t at = (size_t)(m.batch.consistency.data - t->batch.data) + 2 + 31;
    t->batch.data[at] ^= 0x01;
    assert_int_equal(proto_msg_decode(t->batch.data, t->batch.len, &m),
                     VOCFED_OK);
    assert_int_equal(node_batch_accept(t->st, S_SELF, fz_receipt_sk(), &m.batch,
                                       &t->reply, &t->res),
                     VOCFED_EPROOF);
    s_assert_error(t, "bad-proof");
    assert_false(t->res.equivocation);
    assert_false(store_quarantined(t->st, FZ_LOG_AUTHOR));
    assert_non_null(strstr(t->res.what, "consistency proof"));
    store_head_t head;
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 4);
    assert_int_equal(s_send(t, &t->honest, 5, 2, 4), VOCFED_OK);
}

/* ---- checkpoints past the entries are evidence (SPEC 8.4, 8.5) -------- */

/* Counts the evidence kept and checks it is two checkpoints of sizes
 * want (both) that open with the author's key. */
typedef struct {
    int n;         /* pieces of evidence */
    uint64_t want; /* the size both checkpoints must have */
} s_ev_t;

static int
s_evidence(void *ctx, uint64_t time_ms, const uint8_t *a, size_t alen,
           const uint8_t *b, size_t blen, const char *reason)
{
    s_ev_t *e = ctx;
    assert_true(time_ms > 0);
    proto_checkpoint_t ca, cb;
    assert_int_equal(proto_checkpoint_open(a, alen, fz_checkpoint_pk(), &ca),
                     VOCFED_OK);
    assert_int_equal(proto_checkpoint_open(b, blen, fz_checkpoint_pk(), &cb),
                     VOCFED_OK);
    assert_true(ca.size == e->want && cb.size == e->want);
    assert_memory_not_equal(ca.root, cb.root, PROTO_HASH_LEN);
    assert_non_null(strstr(reason, "two different checkpoints"));
    e->n++;
    return 0;
}

/* Two signed histories at a size the receiver holds no entries of: the
 * first batch (entries 1..5 of history X, proved by X's checkpoint at 8)
 * is taken and X's checkpoint kept in `pending`; the other history's
 * batch (entries 6..8 of Y, which shares 1..5, with Y's checkpoint at 8)
 * is equivocation: quarantine, both checkpoints kept, no receipt. Before
 * issue 10 the pending checkpoint was dropped and both got receipts. */
static void
test_two_histories_past_the_entries(void **state)
{
    s_t *t = *state;
    static const uint64_t sizes[] = {4, 8};
    fz_log_t x, y;
    proto_msg_t m;
    store_head_t head;
    assert_int_equal(fz_log_make(&x, 8, sizes, 2, 0, 0), VOCFED_OK);
    assert_int_equal(fz_log_make(&y, 8, sizes, 2, 1, 5), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 1, 4, 0), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 5, 1, 4), VOCFED_OK);
    assert_int_equal(t->res.head.size, 5);

    assert_int_equal(s_send(t, &y, 6, 3, 4), VOCFED_EPROOF);
    assert_true(t->res.equivocation);
    assert_int_equal(t->res.applied, 0);
    s_assert_error(t, "bad-proof");
    assert_int_equal(proto_msg_decode(t->reply.data, t->reply.len, &m),
                     VOCFED_OK);
    assert_int_not_equal(m.type, PROTO_MSG_RECEIPT);
    assert_true(store_quarantined(t->st, FZ_LOG_AUTHOR));
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 5);
    s_ev_t ev = {0, 8};
    assert_int_equal(store_scan_evidence(t->st, FZ_LOG_AUTHOR, s_evidence, &ev),
                     VOCFED_OK);
    assert_int_equal(ev.n, 1);

    /* X's own continuation is refused too: quarantined. */
    assert_int_equal(s_send(t, &x, 6, 3, 4), VOCFED_EQUARANTINED);
    store_verify_result_t vr;
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
    fz_log_release(&x);
    fz_log_release(&y);
}

/* The honest case: the checkpoint kept past the entries is stored in
 * `checkpoints` when the entries reach it, and the store verifies at
 * each step; a replay meanwhile still gets its receipt. */
static void
test_pending_reached(void **state)
{
    s_t *t = *state;
    static const uint64_t sizes[] = {4, 8};
    fz_log_t x;
    uint64_t cp;
    store_verify_result_t vr;
    assert_int_equal(fz_log_make(&x, 8, sizes, 2, 0, 0), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 1, 4, 0), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 5, 1, 4), VOCFED_OK);
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
    assert_int_equal(store_checkpoint_size(t->st, FZ_LOG_AUTHOR, &cp),
                     VOCFED_OK);
    assert_int_equal(cp, 4);
    /* heads state both: 5 entries held, the latest checkpoint at 4, where
     * the sender's consistency proof starts (SPEC 8.2, 8.3) */
    const char *authors[] = {FZ_LOG_AUTHOR};
    proto_msg_t m;
    proto_head_t h;
    proto_buf_reset(&t->reply);
    assert_int_equal(
        node_heads_encode(t->st, S_SELF, false, authors, 1, &t->reply),
        VOCFED_OK);
    assert_int_equal(proto_msg_decode(t->reply.data, t->reply.len, &m),
                     VOCFED_OK);
    assert_int_equal(node_heads_find(&m.heads, FZ_LOG_AUTHOR, &h), VOCFED_OK);
    assert_int_equal(h.size, 5);
    assert_int_equal(h.cp_size, 4);
    assert_int_equal(s_send(t, &x, 5, 1, 4), VOCFED_OK); /* a replay */
    assert_int_equal(s_send(t, &x, 6, 2, 4), VOCFED_OK);
    assert_int_equal(t->res.head.size, 7);
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 8, 1, 4), VOCFED_OK);
    assert_int_equal(store_checkpoint_size(t->st, FZ_LOG_AUTHOR, &cp),
                     VOCFED_OK);
    assert_int_equal(cp, 8);
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
    assert_false(store_quarantined(t->st, FZ_LOG_AUTHOR));
    fz_log_release(&x);
}

/* A perfect subtree of a log made in memory (proto_node_source_fn). */
static int
s_source(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_LEN])
{
    const fz_log_t *log = ctx;
    uint8_t l[PROTO_HASH_LEN], r[PROTO_HASH_LEN];
    if (level == 0) {
        memcpy(out, log->leaves[index], PROTO_HASH_LEN);
        return VOCFED_OK;
    }
    int rc = s_source(ctx, level - 1, 2 * index, l);
    if (!rc)
        rc = s_source(ctx, level - 1, 2 * index + 1, r);
    if (!rc)
        proto_hash_node(PROTO_HASH_BLAKE2B256, l, r, out);
    return rc;
}

/* Sends entries first..last of log with only checkpoint j (past last),
 * proved from old_size: a batch that leaves out the checkpoints between
 * (SPEC 8.3 says to carry them). */
static int
s_send_only(s_t *t, const fz_log_t *log, uint64_t first, uint64_t last,
            size_t j, uint64_t old_size)
{
    static proto_proof_t cons, range;
    proto_bytes_t e[FZ_LOG_MAX];
    proto_bytes_t c = {log->cps[j].data, log->cps[j].len};
    proto_msg_t m;
    for (uint64_t s = first; s <= last; s++)
        e[s - first] =
            (proto_bytes_t){log->entries[s - 1].data, log->entries[s - 1].len};
    assert_int_equal(proto_merkle_consistency_proof(
                         PROTO_HASH_BLAKE2B256, old_size, log->sizes[j],
                         s_source, (void *)log, &cons),
                     VOCFED_OK);
    assert_int_equal(proto_merkle_compact_range(PROTO_HASH_BLAKE2B256, last,
                                                log->sizes[j], s_source,
                                                (void *)log, &range),
                     VOCFED_OK);
    proto_msg_batch_in_t in = {.author = FZ_LOG_AUTHOR,
                               .first_seq = first,
                               .entries = e,
                               .count = last - first + 1,
                               .checkpoints = &c,
                               .ncp = 1,
                               .old_size = old_size,
                               .consistency = &cons,
                               .range = &range};
    proto_buf_reset(&t->batch);
    proto_buf_reset(&t->reply);
    assert_int_equal(proto_msg_encode_batch(&in, &t->batch), VOCFED_OK);
    assert_int_equal(proto_msg_decode(t->batch.data, t->batch.len, &m),
                     VOCFED_OK);
    return node_batch_accept(t->st, S_SELF, fz_receipt_sk(), &m.batch,
                             &t->reply, &t->res);
}

/* A batch that passes the size of a checkpoint held pending without
 * carrying it is held to it all the same (SPEC 8.4 step 3): the same
 * history is taken and that checkpoint stored; another history is a
 * wrong root there, refused without a receipt. */
static void
test_pending_without_its_checkpoint(void **state)
{
    s_t *t = *state;
    static const uint64_t sizes[] = {4, 8, 10};
    fz_log_t x, y;
    uint64_t cp;
    store_verify_result_t vr;
    assert_int_equal(fz_log_make(&x, 10, sizes, 3, 0, 0), VOCFED_OK);
    assert_int_equal(fz_log_make(&y, 10, sizes, 3, 1, 5), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 1, 4, 0), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 5, 1, 4), VOCFED_OK); /* 8 pending */

    /* Y's entries 6..9 with Y's checkpoint at 10 only */
    assert_int_equal(s_send_only(t, &y, 6, 9, 2, 4), VOCFED_EROOT);
    s_assert_error(t, "bad-root");
    assert_non_null(strstr(t->res.what, "held pending"));
    assert_false(store_quarantined(t->st, FZ_LOG_AUTHOR));
    assert_int_equal(store_checkpoint_size(t->st, FZ_LOG_AUTHOR, &cp),
                     VOCFED_OK);
    assert_int_equal(cp, 4);

    /* X's, the same way: taken, X's checkpoint at 8 stored */
    assert_int_equal(s_send_only(t, &x, 6, 9, 2, 4), VOCFED_OK);
    assert_int_equal(t->res.head.size, 9);
    assert_int_equal(store_checkpoint_size(t->st, FZ_LOG_AUTHOR, &cp),
                     VOCFED_OK);
    assert_int_equal(cp, 8);
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 10, 1, 8), VOCFED_OK);
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
    fz_log_release(&x);
    fz_log_release(&y);
}

/* A checkpoint of a batch at a size whose entries are held but where
 * none is stored must sign the held root there: the right one is taken
 * (a replay with a receipt), a wrong one is bad-root, not quarantine. */
static void
test_checkpoint_at_a_held_size(void **state)
{
    s_t *t = *state;
    static const uint64_t xs[] = {4, 8}, zs[] = {4, 5, 8};
    fz_log_t x, z;
    assert_int_equal(fz_log_make(&x, 8, xs, 2, 0, 0), VOCFED_OK);
    assert_int_equal(fz_log_make(&z, 8, zs, 3, 0, 0), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 1, 4, 0), VOCFED_OK);
    assert_int_equal(s_send(t, &x, 5, 1, 4), VOCFED_OK); /* 5 held, 8 */
    /* the same entries, a checkpoint at 5 the receiver never had */
    assert_int_equal(s_send(t, &z, 5, 1, 4), VOCFED_OK);
    assert_int_equal(t->res.skipped, 1);
    s_wrong_root(&z, 1);
    assert_int_equal(s_send(t, &z, 5, 1, 4), VOCFED_EROOT);
    s_assert_error(t, "bad-root");
    assert_false(t->res.equivocation);
    assert_false(store_quarantined(t->st, FZ_LOG_AUTHOR));
    fz_log_release(&x);
    fz_log_release(&z);
}

/* The checkpoint held at a size signed again over the same root and prev
 * with another date is not two histories: bad-time, no quarantine. */
static void
test_checkpoint_signed_again(void **state)
{
    s_t *t = *state;
    store_head_t head;
    assert_int_equal(s_send(t, &t->honest, 1, 6, 0), VOCFED_OK);
    uint64_t at6 = t->res.head.time_ms;
    assert_int_equal(fz_log_retime(&t->honest, 1, at6 - 1), VOCFED_OK);
    assert_int_equal(s_send(t, &t->honest, 5, 4, 6), VOCFED_EBADTIME);
    s_assert_error(t, "bad-time");
    assert_non_null(strstr(t->res.what, "signed again"));
    assert_false(t->res.equivocation);
    assert_false(store_quarantined(t->st, FZ_LOG_AUTHOR));
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 6);
}

/* ---- records that break the kinds table (SPEC 8.4) ----------------------- */

#define S_PSEUDO                                                               \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A signed record ingest must refuse: where, and what the refusal says. */
typedef struct {
    uint64_t seq;        /* its seq in the batch 5..6 */
    const char *kind;    /* its kind */
    const char *key;     /* its key */
    proto_field_t f[4];  /* its body */
    size_t n;            /* fields */
    const char *because; /* a part of res.what */
} s_bad_t;

static const s_bad_t s_bad[] = {
    {5,
     "training",
     "t-1",
     {{"completed", 9, TH_INT(-1000000)},
      {"type", 4, TH_STR("rural")},
      {"year", 4, TH_INT(2024)}},
     3,
     "entry 5: field completed: '-1000000': expected a whole number"},
    {5,
     "student",
     S_PSEUDO,
     {{"intake_year", 11, TH_INT(2024)},
      {"level", 5, TH_STR("higher")},
      {"note", 4, TH_STR("x")},
      {"status", 6, TH_STR("enrolled")}},
     4,
     "entry 5: field note: 'x': student has no field 'note'"},
    {5,
     "bogus",
     "k",
     {{"a", 1, TH_INT(1)}},
     1,
     "entry 5: kind 'bogus' is not in the kinds table"},
    {6,
     "student",
     "p1",
     {{"intake_year", 11, TH_INT(2024)},
      {"level", 5, TH_STR("higher")},
      {"status", 6, TH_STR("enrolled")}},
     3,
     "entry 6: key 'p1': the key of student is a pseudo_id"},
    {5,
     "student",
     S_PSEUDO,
     {{"intake_year", 11, TH_INT(-5)},
      {"level", 5, TH_STR("higher")},
      {"status", 6, TH_STR("enrolled")}},
     3,
     "entry 5: field intake_year: '-5'"},
    /* the receiver is the coordinator: a member may not write targets */
    {6,
     "target",
     "students_enrolled:2026",
     {{"value", 5, TH_STR("1200")}},
     1,
     "entry 6: kind target is written by the coordinator only"},
};

/* The log with entry bad->seq replaced by bad's record, signed. */
static void
s_bad_log(fz_log_t *log, const s_bad_t *bad)
{
    static const uint64_t sizes[] = {4, 6, 8};
    proto_field_t f[4];
    memcpy(f, bad->f, sizeof f);
    assert_int_equal(fz_log_make(log, 8, sizes, 3, 0, 0), VOCFED_OK);
    assert_int_equal(fz_log_set(log, bad->seq, bad->kind, bad->key, f, bad->n),
                     VOCFED_OK);
}

/* A member's batch holding one record that breaks the kinds table, or
 * one of a coordinator's kind, is refused whole with bad-record naming
 * the entry, the field and why; nothing of it is written, and the good
 * batch after it is taken. */
static void
test_bad_record_refused(void **state)
{
    s_t *t = *state;
    store_head_t head;
    store_set_coordinator(t->st, S_SELF);
    assert_int_equal(s_send(t, &t->honest, 1, 4, 0), VOCFED_OK);
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad[0]; i++) {
        fz_log_t bad;
        proto_msg_t m;
        s_bad_log(&bad, &s_bad[i]);
        assert_int_equal(s_send(t, &bad, 5, 2, 4), VOCFED_EBADRECORD);
        print_message("%s\n", t->res.what);
        assert_non_null(strstr(t->res.what, s_bad[i].because));
        assert_int_equal(t->res.applied, 0);
        assert_false(t->res.equivocation);
        s_assert_error(t, "bad-record");
        assert_int_equal(proto_msg_decode(t->reply.data, t->reply.len, &m),
                         VOCFED_OK);
        assert_int_equal(m.error.seq, 5);
        assert_true(m.error.text_len == strlen(t->res.what) &&
                    !memcmp(m.error.text, t->res.what, m.error.text_len));
        assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
        assert_int_equal(head.size, 4);
        fz_log_release(&bad);
    }
    assert_string_equal(vocfed_status_token(VOCFED_EBADRECORD), "bad-record");
    assert_int_equal(s_send(t, &t->honest, 5, 2, 4), VOCFED_OK);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 6);
    store_verify_result_t vr;
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
}

/* The role rule needs the coordinator known: the coordinator's log holds
 * no member's kind; without one known, the kinds table alone applies. */
static void
test_role_rule(void **state)
{
    s_t *t = *state;
    fz_log_t target;
    s_bad_log(&target, &s_bad[sizeof s_bad / sizeof s_bad[0] - 1]);
    /* the author is the coordinator: its students are refused */
    store_set_coordinator(t->st, FZ_LOG_AUTHOR);
    assert_int_equal(s_send(t, &target, 1, 4, 0), VOCFED_EBADRECORD);
    assert_non_null(
        strstr(t->res.what, "entry 1: kind student is written by members"));
    /* not known: a member's target passes the table */
    store_set_coordinator(t->st, NULL);
    assert_int_equal(s_send(t, &target, 1, 6, 0), VOCFED_OK);
    fz_log_release(&target);
}

/* A batch built for a receiver that held fewer entries than it holds
 * now (overtaken by another batch of the same entries) is refused as
 * stale, and says so, so that a member asks again without an alarm
 * (node/member.c); a batch that proves from more than is held is a gap,
 * not stale. Neither writes anything. */
static void
test_stale_batch(void **state)
{
    s_t *t = *state;
    store_head_t head;
    assert_int_equal(s_send(t, &t->honest, 1, 4, 0), VOCFED_OK);
    assert_false(t->res.stale);
    /* 1..6 as for an empty receiver: overtaken by 1..4 */
    assert_int_equal(s_send(t, &t->honest, 1, 6, 0), VOCFED_ESEQGAP);
    assert_true(t->res.stale);
    assert_non_null(strstr(t->res.what, "stale"));
    /* 7..8 proving from 6, which is not held */
    assert_int_equal(s_send(t, &t->honest, 7, 2, 6), VOCFED_ESEQGAP);
    assert_false(t->res.stale);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 4);
    /* from what is held, it is taken */
    assert_int_equal(s_send(t, &t->honest, 5, 2, 4), VOCFED_OK);
    assert_false(t->res.stale);
    assert_int_equal(t->res.head.size, 6);
}

/* ---- entries checked ahead (storage/ahead.h) --------------------------- */

/* One batch of a group: entries first..first+count-1 of log, for a
 * receiver whose latest checkpoint is at old_size. */
typedef struct {
    const fz_log_t *log;
    uint64_t first;
    size_t count;
    uint64_t old_size;
} s_part_t;

/* Sends the n batches of parts as one group (node_batch_accept_many, as
 * the coordinator does), with then called before its commit; rcs and res
 * get each batch's fate. */
static void
s_send_group_then(s_t *t, const s_part_t *parts, size_t n, int *rcs,
                  store_ingest_result_t *res, store_ingest_then_fn then,
                  void *ctx)
{
    proto_buf_t bufs[4], replies[4];
    proto_msg_t msgs[4];
    const proto_msg_batch_t *m[4];
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        proto_buf_init(&bufs[i]);
        proto_buf_init(&replies[i]);
        assert_int_equal(fz_log_batch(parts[i].log, parts[i].first,
                                      parts[i].count, parts[i].old_size,
                                      &bufs[i]),
                         VOCFED_OK);
        assert_int_equal(proto_msg_decode(bufs[i].data, bufs[i].len, &msgs[i]),
                         VOCFED_OK);
        m[i] = &msgs[i].batch;
    }
    /* the group committed; each batch's fate is in rcs */
    assert_int_equal(node_batch_accept_many_then(t->st, S_SELF, fz_receipt_sk(),
                                                 m, n, replies, res, rcs, then,
                                                 ctx),
                     VOCFED_OK);
    for (size_t i = 0; i < n; i++) {
        proto_buf_release(&bufs[i]);
        proto_buf_release(&replies[i]);
    }
}

static void
s_send_group(s_t *t, const s_part_t *parts, size_t n, int *rcs,
             store_ingest_result_t *res)
{
    s_send_group_then(t, parts, n, rcs, res, NULL, NULL);
}

/* With every entry's checks made by the helper thread first, a group
 * takes what a lone batch takes and refuses what it refuses, naming
 * the same entry, field and reason: a record the kinds table refuses,
 * a coordinator's kind from a member, and the good batch after them,
 * whose leaf hashes (the helper's) give the signed roots. */
static void
test_checked_ahead(void **state)
{
    s_t *t = *state;
    store_head_t head;
    int rcs[2];
    store_ingest_result_t res[2];
    store_set_coordinator(t->st, S_SELF);
    store_test_ahead(t->st, 1, true);
    s_send_group(t, (s_part_t[]){{&t->honest, 1, 4, 0}}, 1, rcs, res);
    assert_int_equal(rcs[0], VOCFED_OK);
    assert_int_equal(res[0].applied, 4);
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad[0]; i++) {
        fz_log_t bad;
        s_bad_log(&bad, &s_bad[i]);
        s_send_group(t, (s_part_t[]){{&bad, 5, 2, 4}}, 1, rcs, res);
        assert_int_equal(rcs[0], VOCFED_EBADRECORD);
        assert_non_null(strstr(res[0].what, s_bad[i].because));
        assert_int_equal(res[0].applied, 0);
        /* the same refusal for the batch alone (no helper) */
        assert_int_equal(s_send(t, &bad, 5, 2, 4), VOCFED_EBADRECORD);
        assert_string_equal(t->res.what, res[0].what);
        assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
        assert_int_equal(head.size, 4);
        fz_log_release(&bad);
    }
    /* The author as the coordinator: its students are refused. */
    store_set_coordinator(t->st, FZ_LOG_AUTHOR);
    s_send_group(t, (s_part_t[]){{&t->honest, 5, 2, 4}}, 1, rcs, res);
    assert_int_equal(rcs[0], VOCFED_EBADRECORD);
    assert_non_null(
        strstr(res[0].what, "entry 5: kind student is written by members"));
    store_set_coordinator(t->st, S_SELF);
    s_send_group(t, (s_part_t[]){{&t->honest, 5, 2, 4}, {&t->honest, 7, 2, 6}},
                 2, rcs, res);
    assert_int_equal(rcs[0], VOCFED_OK);
    assert_int_equal(rcs[1], VOCFED_OK);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 8);
    assert_memory_equal(head.root, res[1].head.root, PROTO_HASH_LEN);
    store_verify_result_t vr;
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
}

/* A hook's check that refuses entry 6 (of any log) and counts its calls
 * (atomically: the helper thread calls it too). */
static atomic_int s_hook_calls;

static int
s_hook_refuse_6(void *ctx, const char *author, const proto_entry_t *e)
{
    (void)ctx;
    (void)author;
    atomic_fetch_add(&s_hook_calls, 1);
    return e->seq == 6 ? VOCFED_EBADRECORD : VOCFED_OK;
}

/* The hook's check (what the figures refuse of an entry alone) is made
 * with the other checks ahead, on the helper: an entry it refuses is
 * refused as when the ingest checks alone, naming the entry; the entries
 * the helper passed are not checked again. */
static void
test_checked_ahead_hook(void **state)
{
    s_t *t = *state;
    store_head_t head;
    int rcs[1];
    store_ingest_result_t res[1];
    store_set_coordinator(t->st, S_SELF);
    store_hook_t h = {.check = s_hook_refuse_6};
    store_set_hook(t->st, &h);
    store_test_ahead(t->st, 1, true);
    atomic_store(&s_hook_calls, 0);
    s_send_group(t, (s_part_t[]){{&t->honest, 1, 4, 0}}, 1, rcs, res);
    assert_int_equal(rcs[0], VOCFED_OK);
    assert_int_equal(atomic_load(&s_hook_calls), 4); /* once each */
    s_send_group(t, (s_part_t[]){{&t->honest, 5, 2, 4}}, 1, rcs, res);
    assert_int_equal(rcs[0], VOCFED_EBADRECORD);
    assert_non_null(strstr(res[0].what, "entry 6: "));
    char what[sizeof res[0].what];
    memcpy(what, res[0].what, sizeof what);
    /* the same refusal for the batch alone (no helper) */
    store_test_ahead(t->st, SIZE_MAX, false);
    assert_int_equal(s_send(t, &t->honest, 5, 2, 4), VOCFED_EBADRECORD);
    assert_string_equal(t->res.what, what);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 4);
    store_set_hook(t->st, NULL);
    assert_int_equal(s_send(t, &t->honest, 5, 2, 4), VOCFED_OK);
}

/* A new receiver in dir (made here) for t, its helper set as
 * store_test_ahead(min, first) says. */
static void
s_fresh_receiver(s_t *t, char dir[64], size_t min, bool first)
{
    th_tmpdir(dir);
    store_opts_t o = {.create = true, .no_derived = true};
    assert_int_equal(store_open(dir, &o, &t->st), VOCFED_OK);
    assert_int_equal(store_author_add(t->st, FZ_LOG_AUTHOR, fz_checkpoint_pk()),
                     VOCFED_OK);
    store_set_coordinator(t->st, S_SELF);
    store_test_ahead(t->st, min, first);
}

/* A log of 64 entries, checkpoints at 16, 32, 48 and 64, whose entry 60
 * is a student with a field 'note' (the kinds table refuses it). */
static void
s_log_bad_at_60(fz_log_t *log)
{
    static const uint64_t sizes[] = {16, 32, 48, 64};
    proto_field_t f[4];
    memcpy(f, s_bad[1].f, sizeof f);
    assert_int_equal(fz_log_make(log, 64, sizes, 4, 0, 0), VOCFED_OK);
    assert_int_equal(
        fz_log_set(log, 60, s_bad[1].kind, s_bad[1].key, f, s_bad[1].n),
        VOCFED_OK);
}

/* The helper and the ingest racing for the entries (the helper started,
 * not waited for), many times over, on a log of 64 entries in four
 * batches whose last batch holds a bad record at 60: whoever checks an
 * entry, the first three batches are taken whole and the last one is
 * refused naming entry 60. */
static void
test_checked_ahead_racing(void **state)
{
    s_t *t = *state;
    fz_log_t log;
    s_log_bad_at_60(&log);
    store_t *keep = t->st;
    for (int round = 0; round < 40; round++) {
        char dir[64];
        s_fresh_receiver(t, dir, 1, false);
        int rcs[4];
        store_ingest_result_t res[4];
        s_send_group(t,
                     (s_part_t[]){{&log, 1, 16, 0},
                                  {&log, 17, 16, 16},
                                  {&log, 33, 16, 32},
                                  {&log, 49, 16, 48}},
                     4, rcs, res);
        for (int i = 0; i < 3; i++)
            assert_int_equal(rcs[i], VOCFED_OK);
        assert_int_equal(rcs[3], VOCFED_EBADRECORD);
        assert_non_null(strstr(res[3].what,
                               "entry 60: field note: 'x': student has no "
                               "field 'note'"));
        /* written flat, then again nested for the refused batch */
        assert_int_equal(store_test_flat_redone(t->st), 1);
        store_head_t head;
        assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
        assert_int_equal(head.size, 48);
        store_destroy(&t->st);
        th_rmdir(dir);
    }
    t->st = keep;
    fz_log_release(&log);
}

/* Groups one after another on one store lend the helper's kept slots
 * (ahead.c): a small group, a larger one (the slots grown), a small one
 * again (the same slots, as the larger group left them, each set afresh).
 * Every group is taken, with the helper first on every entry, and the
 * copy ends where the log ends, with its root, and verifies. */
static void
test_checked_ahead_groups(void **state)
{
    s_t *t = *state;
    static const uint64_t sizes[] = {8, 24, 40, 56, 64};
    fz_log_t log;
    assert_int_equal(fz_log_make(&log, 64, sizes, 5, 0, 0), VOCFED_OK);
    store_set_coordinator(t->st, S_SELF);
    store_test_ahead(t->st, 1, true);
    int rcs[3];
    store_ingest_result_t res[3];
    const s_part_t groups[][3] = {
        {{&log, 1, 8, 0}},
        {{&log, 9, 16, 8}, {&log, 25, 16, 24}, {&log, 41, 16, 40}},
        {{&log, 57, 8, 56}},
    };
    const size_t n[] = {1, 3, 1};
    /* the slots kept after each group: grown, then kept as they are */
    const size_t kept[] = {8, 48, 48};
    for (size_t g = 0; g < 3; g++) {
        s_send_group(t, groups[g], n[g], rcs, res);
        for (size_t i = 0; i < n[g]; i++) {
            assert_int_equal(rcs[i], VOCFED_OK);
            assert_int_equal(res[i].applied, groups[g][i].count);
        }
        assert_int_equal(store_test_ahead_slots(t->st), kept[g]);
    }
    store_head_t head;
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 64);
    assert_memory_equal(head.root, res[0].head.root, PROTO_HASH_LEN);
    store_verify_result_t vr;
    assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
    fz_log_release(&log);
}

/* The tree's blocks of 16 leaves hashed on the helper (ahead.h,
 * store_i_fr_leaf): a log of 64 entries in three batches, one of which
 * ends inside a block, with checkpoints inside blocks and on their
 * ends, taken with no helper, with the helper first on every entry, and
 * racing it. The same heads, a store that verifies (every stored node
 * recomputed), and with the helper first every block that no batch end
 * nor checkpoint cuts goes in whole (here the first and the last); none
 * without the helper. */
static void
test_tree_blocks_ahead(void **state)
{
    s_t *t = *state;
    static const uint64_t sizes[] = {16, 27, 37, 48, 64};
    enum { N = 64, NCP = sizeof sizes / sizeof sizes[0], NP = 3 };
    fz_log_t log;
    assert_int_equal(fz_log_make(&log, N, sizes, NCP, 0, 0), VOCFED_OK);
    const s_part_t p[NP] = {
        {&log, 1, 16, 0}, {&log, 17, 21, 16}, {&log, 38, 27, 37}};
    /* Blocks [16j, 16j + 16) inside one batch, no checkpoint inside. */
    uint64_t whole = 0;
    for (uint64_t j = 0; 16 * j + 16 <= N; j++) {
        uint64_t lo = 16 * j, hi = lo + 16; /* leaves lo .. hi-1 */
        bool in_one = false, cut = false;
        for (int i = 0; i < NP; i++)
            in_one |= lo >= p[i].first - 1 && hi <= p[i].first - 1 + p[i].count;
        for (int c = 0; c < NCP; c++)
            cut |= sizes[c] > lo && sizes[c] < hi;
        whole += in_one && !cut;
    }
    assert_int_equal(whole, 2);
    store_t *keep = t->st;
    store_head_t heads[3];
    for (int mode = 0; mode < 3; mode++) {
        char dir[64];
        s_fresh_receiver(t, dir, mode == 0 ? SIZE_MAX : 1, mode == 1);
        int rcs[NP];
        store_ingest_result_t res[NP];
        s_send_group(t, p, NP, rcs, res);
        for (int i = 0; i < NP; i++) {
            assert_int_equal(rcs[i], VOCFED_OK);
            assert_int_equal(res[i].applied, p[i].count);
        }
        assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &heads[mode]),
                         VOCFED_OK);
        assert_int_equal(heads[mode].size, N);
        assert_memory_equal(heads[mode].root, heads[0].root, PROTO_HASH_LEN);
        store_verify_result_t vr;
        assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
        uint64_t got = store_test_blocks_whole(t->st);
        print_message("mode %d: %" PRIu64 " of %" PRIu64 " blocks whole\n",
                      mode, got, whole);
        if (mode == 0)
            assert_int_equal(got, 0);
        else if (mode == 1)
            assert_int_equal(got, whole);
        else
            assert_true(got <= whole);
        store_destroy(&t->st);
        th_rmdir(dir);
    }
    t->st = keep;
    fz_log_release(&log);
}

/* ---- the next group named during a commit (store_ingest_next) -------- */

/* The messages of a group to come, made once: their bytes stay where
 * they are, as a coordinator's read messages do until their group. */
typedef struct {
    proto_buf_t bufs[4];
    proto_msg_t msgs[4];
    size_t n;
    int calls; /* s_name_then's */
} s_named_t;

static void
s_named_make(s_named_t *x, const s_part_t *parts, size_t n)
{
    memset(x, 0, sizeof *x);
    x->n = n;
    for (size_t i = 0; i < n; i++) {
        proto_buf_init(&x->bufs[i]);
        assert_int_equal(fz_log_batch(parts[i].log, parts[i].first,
                                      parts[i].count, parts[i].old_size,
                                      &x->bufs[i]),
                         VOCFED_OK);
        assert_int_equal(
            proto_msg_decode(x->bufs[i].data, x->bufs[i].len, &x->msgs[i]),
            VOCFED_OK);
    }
}

static void
s_named_free(s_named_t *x)
{
    for (size_t i = 0; i < x->n; i++)
        proto_buf_release(&x->bufs[i]);
}

/* A group's then (store_ingest_then_fn): names x's batches next. */
static void
s_name_then(store_t *st, void *ctx)
{
    s_named_t *x = ctx;
    const proto_msg_batch_t *m[4];
    for (size_t i = 0; i < x->n; i++)
        m[i] = &x->msgs[i].batch;
    node_batch_name_next(st, m, x->n);
    x->calls++;
}

/* Takes x's messages (their bytes where they were named) as one group;
 * rcs and res get each batch's fate. */
static void
s_take_named(s_t *t, s_named_t *x, int *rcs, store_ingest_result_t *res)
{
    proto_buf_t replies[4];
    const proto_msg_batch_t *m[4];
    for (size_t i = 0; i < x->n; i++) {
        proto_buf_init(&replies[i]);
        m[i] = &x->msgs[i].batch;
    }
    assert_int_equal(node_batch_accept_many(t->st, S_SELF, fz_receipt_sk(), m,
                                            x->n, replies, res, rcs),
                     VOCFED_OK);
    for (size_t i = 0; i < x->n; i++)
        proto_buf_release(&replies[i]);
}

/* A group named by the one before it, before that one's commit, is taken
 * with the checks the helper made meanwhile: what it takes and refuses is
 * what a group not named takes and refuses (a record the kinds table
 * refuses at 60, the same reason), with the helper first on every entry
 * and racing the ingest, many times over; the copy verifies. A group of
 * other bytes (a copy of the messages, elsewhere) does not take the
 * work, and is taken all the same; and work dropped (by the caller, by a
 * new hook) leaves nothing pending, its bytes free to go. */
static void
test_ingest_next(void **state)
{
    s_t *t = *state;
    fz_log_t log;
    s_log_bad_at_60(&log);
    const s_part_t first[] = {{&log, 1, 16, 0}};
    const s_part_t next[] = {
        {&log, 17, 16, 16}, {&log, 33, 16, 32}, {&log, 49, 16, 48}};
    store_t *keep = t->st;
    for (int round = 0; round < 24; round++) {
        char dir[64];
        bool helper_first = round % 2 == 0;
        s_fresh_receiver(t, dir, 1, helper_first);
        s_named_t x;
        s_named_make(&x, next, 3);
        int rcs[3];
        store_ingest_result_t res[3];
        s_send_group_then(t, first, 1, rcs, res, s_name_then, &x);
        assert_int_equal(rcs[0], VOCFED_OK);
        assert_int_equal(x.calls, 1);
        assert_int_equal(store_test_flat_redone(t->st), 0); /* flat */
        assert_true(store_ingest_next_pending(t->st));
        assert_int_equal(store_test_inext_taken(t->st), 0);
        s_take_named(t, &x, rcs, res);
        assert_false(store_ingest_next_pending(t->st));
        assert_int_equal(store_test_inext_taken(t->st), 1);
        assert_int_equal(store_test_flat_redone(t->st), 1); /* 60 refused */
        assert_int_equal(rcs[0], VOCFED_OK);
        assert_int_equal(rcs[1], VOCFED_OK);
        assert_int_equal(rcs[2], VOCFED_EBADRECORD);
        assert_non_null(strstr(res[2].what,
                               "entry 60: field note: 'x': student has no "
                               "field 'note'"));
        store_head_t head;
        assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
        assert_int_equal(head.size, 48);
        assert_memory_equal(head.root, res[1].head.root, PROTO_HASH_LEN);
        store_verify_result_t vr;
        assert_int_equal(store_verify(t->st, NULL, &vr, NULL, NULL), VOCFED_OK);
        s_named_free(&x);
        store_destroy(&t->st);
        th_rmdir(dir);
    }
    /* Other bytes than those named: the work is not taken. */
    char dir[64];
    s_fresh_receiver(t, dir, 1, true);
    s_named_t x, copy;
    s_named_make(&x, next, 2);
    s_named_make(&copy, next, 2);
    int rcs[3];
    store_ingest_result_t res[3];
    s_send_group_then(t, first, 1, rcs, res, s_name_then, &x);
    assert_true(store_ingest_next_pending(t->st));
    s_take_named(t, &copy, rcs, res);
    assert_false(store_ingest_next_pending(t->st));
    assert_int_equal(store_test_inext_taken(t->st), 0);
    assert_int_equal(rcs[0], VOCFED_OK);
    assert_int_equal(rcs[1], VOCFED_OK);
    s_named_free(&copy);
    s_named_free(&x);
    /* Dropped by the caller, then by a new hook: nothing pending, and the
     * bytes named may go before the next group. */
    const s_part_t last[] = {{&log, 49, 11, 48}};
    s_named_make(&x, last, 1);
    node_batch_name_next(t->st, (const proto_msg_batch_t *[]){&x.msgs[0].batch},
                         1);
    assert_true(store_ingest_next_pending(t->st));
    store_ingest_next_drop(t->st);
    assert_false(store_ingest_next_pending(t->st));
    node_batch_name_next(t->st, (const proto_msg_batch_t *[]){&x.msgs[0].batch},
                         1);
    assert_true(store_ingest_next_pending(t->st));
    store_hook_t h = {.check = s_hook_refuse_6};
    store_set_hook(t->st, &h);
    assert_false(store_ingest_next_pending(t->st));
    store_set_hook(t->st, NULL);
    s_named_free(&x);
    s_send_group(t, last, 1, rcs, res);
    assert_int_equal(rcs[0], VOCFED_OK);
    assert_int_equal(store_test_inext_taken(t->st), 0);
    store_destroy(&t->st);
    th_rmdir(dir);
    t->st = keep;
    fz_log_release(&log);
}

/* Checkpoint times (SPEC 8.4): a new checkpoint dated before the one
 * before it, or more than STORE_CLOCK_SKEW_MS ahead of the receiver's
 * clock, refuses the batch as bad-time with nothing written; a date
 * equal to the previous one, or just within the window, is taken. */
static void
test_checkpoint_times(void **state)
{
    s_t *t = *state;
    store_head_t head;
    /* honest: checkpoints at 4, 6 and 8, dated S_TIME + size (2026). */
    assert_int_equal(s_send(t, &t->honest, 1, 4, 0), VOCFED_OK);
    uint64_t at4 = t->res.head.time_ms;
    assert_true(at4 > 0);

    /* The checkpoint at 6 dated before the one held at 4. */
    assert_int_equal(fz_log_retime(&t->honest, 1, at4 - 1), VOCFED_OK);
    assert_int_equal(s_send(t, &t->honest, 5, 2, 4), VOCFED_EBADTIME);
    s_assert_error(t, "bad-time");
    assert_non_null(strstr(t->res.what, "before the one before it"));
    assert_int_equal(t->res.applied, 0);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 4);

    /* An hour ahead of this clock. */
    uint64_t now = proto_now_ms();
    assert_int_equal(fz_log_retime(&t->honest, 1, now + 3600 * 1000),
                     VOCFED_OK);
    assert_int_equal(s_send(t, &t->honest, 5, 2, 4), VOCFED_EBADTIME);
    assert_non_null(strstr(t->res.what, "ahead of this node's clock"));
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 4);

    /* The same time as the one before is not going back. */
    assert_int_equal(fz_log_retime(&t->honest, 1, at4), VOCFED_OK);
    assert_int_equal(s_send(t, &t->honest, 5, 2, 4), VOCFED_OK);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 6);

    /* Within the window ahead: taken. */
    assert_int_equal(fz_log_retime(&t->honest, 2, now + 60 * 1000), VOCFED_OK);
    assert_int_equal(s_send(t, &t->honest, 7, 2, 6), VOCFED_OK);
    assert_int_equal(store_head(t->st, FZ_LOG_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 8);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_equivocation_quarantines, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_stale_batch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_record_refused, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_role_rule, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_checked_ahead, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_checked_ahead_hook, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_checked_ahead_groups, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_checked_ahead_racing, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_tree_blocks_ahead, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_next, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_times, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_root_is_bad_root, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_consistency_proof, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_two_histories_past_the_entries,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_pending_reached, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_pending_without_its_checkpoint,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_at_a_held_size, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_signed_again, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
