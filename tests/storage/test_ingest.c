/* tests/storage/test_ingest.c: equivocation and quarantine (SPEC 8.5).
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
#include "protocol/msg.h"
#include "storage/replica.h"
#include "storage/store.h"
#include "storage/verify.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_log.h"
#include "tests/harness.h"

#include <setjmp.h>
#include <stdarg.h>
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_equivocation_quarantines, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
