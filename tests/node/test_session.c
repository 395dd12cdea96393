/* Tests for node/session: a member's rate as credit, and spare capacity
 * lent past it (SPEC 10.5). The rates are set so low (1 message and 1
 * byte a second) that nothing refills while a test runs: a member's first
 * message is read at once (a full bucket takes any one message), the rest
 * wait. node_sessions_due then gives nothing back; node_sessions_lend
 * gives the waiting messages in order, one member after another in turn,
 * and nothing to a member counted for abuse or throttled. */
#include "node/session.h"
#include "tests/harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    char dir[64];          /* the store's folder */
    store_t *st;           /* what sessions read their counters from */
    node_sessions_t *ss;   /* the sessions, at the rates above */
    node_session_t *a, *b; /* two members */
} s_t;

static int
s_setup(void **state)
{
    s_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    th_tmpdir(t->dir);
    store_opts_t o = {.create = true};
    assert_int_equal(store_open(t->dir, &o, &t->st), VOCFED_OK);
    assert_int_equal(setenv("VOCFED_RATE_MSGS", "1", 1), 0);
    assert_int_equal(setenv("VOCFED_RATE_BYTES", "1", 1), 0);
    assert_int_equal(node_sessions_new(16, 10000, &t->ss), VOCFED_OK);
    assert_int_equal(unsetenv("VOCFED_RATE_MSGS"), 0);
    assert_int_equal(unsetenv("VOCFED_RATE_BYTES"), 0);
    bool made;
    t->a = node_sessions_get(t->ss, t->st, "a", &made);
    t->b = node_sessions_get(t->ss, t->st, "b", &made);
    assert_non_null(t->a);
    assert_non_null(t->b);
    *state = t;
    return 0;
}

static int
s_teardown(void **state)
{
    s_t *t = *state;
    node_sessions_destroy(&t->ss);
    store_destroy(&t->st);
    th_rmdir(t->dir);
    free(t);
    return 0;
}

/* A message of s of len bytes (at most 1000) whose bytes are tag; what
 * admit said. */
static node_admit_t
s_send_len(s_t *t, node_session_t *s, char tag, size_t len)
{
    char body[1000];
    memset(body, tag, len);
    zframe_t *f = zframe_new(body, len);
    node_admit_t a = node_session_admit(t->ss, s, &f);
    if (a == NODE_ADMIT_DEFER)
        assert_null(f); /* the session holds it */
    zframe_destroy(&f);
    return a;
}

/* A message of 100 bytes. */
static node_admit_t
s_send(s_t *t, node_session_t *s, char tag)
{
    return s_send_len(t, s, tag, 100);
}

/* The next lent message: its tag and member; 0 when none. */
static char
s_lend(s_t *t, node_session_t **s)
{
    zframe_t *f = node_sessions_lend(t->ss, s);
    if (!f)
        return 0;
    char tag = (char)zframe_data(f)[0];
    zframe_destroy(&f);
    return tag;
}

/* Over its rate a message waits, and is not due; lent, it comes back in
 * order, and the member is behind again for its rate: nothing is due. */
static void
test_lend_in_order(void **state)
{
    s_t *t = *state;
    node_session_t *s = NULL;
    assert_int_equal(s_send(t, t->a, '0'), NODE_ADMIT_READ);
    assert_int_equal(s_send(t, t->a, '1'), NODE_ADMIT_DEFER);
    assert_int_equal(s_send(t, t->a, '2'), NODE_ADMIT_DEFER);
    assert_true(node_sessions_waiting(t->ss));
    zframe_t *due = node_sessions_due(t->ss, &s);
    assert_null(due);
    assert_int_equal(s_lend(t, &s), '1');
    assert_ptr_equal(s, t->a);
    assert_int_equal(s_lend(t, &s), '2');
    assert_int_equal(s_lend(t, &s), 0);
    assert_false(node_sessions_waiting(t->ss));
    assert_int_equal(t->a->lent, 2);
    /* Its first message (100 bytes against a burst of 1.5) left its byte
     * bucket in debt; the loans did not forgive it. */
    assert_true(t->a->bytes.tokens < -90);
    assert_int_equal(s_send(t, t->a, '3'), NODE_ADMIT_DEFER);
    assert_null(node_sessions_due(t->ss, &s));
    assert_int_equal(s_lend(t, &s), '3');
}

/* Two members waiting are lent to in turn, whoever has more waiting. */
static void
test_lend_in_turn(void **state)
{
    s_t *t = *state;
    node_session_t *s = NULL;
    assert_int_equal(s_send(t, t->a, 'a'), NODE_ADMIT_READ);
    assert_int_equal(s_send(t, t->b, 'b'), NODE_ADMIT_READ);
    for (int i = 0; i < 3; i++)
        assert_int_equal(s_send(t, t->a, 'a'), NODE_ADMIT_DEFER);
    assert_int_equal(s_send(t, t->b, 'b'), NODE_ADMIT_DEFER);
    char got[5] = {0};
    for (int i = 0; i < 4; i++)
        got[i] = s_lend(t, &s);
    assert_int_equal(s_lend(t, &s), 0);
    /* b's one message comes first or second, never after a's three. */
    assert_true(strcmp(got, "abaa") == 0 || strcmp(got, "baaa") == 0);
}

/* A member counted for abuse in this interval is lent nothing: its
 * messages wait for its rate (another member's are lent meanwhile). */
static void
test_no_loan_after_abuse(void **state)
{
    s_t *t = *state;
    node_session_t *s = NULL;
    assert_int_equal(s_send(t, t->a, 'a'), NODE_ADMIT_READ);
    assert_int_equal(s_send(t, t->a, 'a'), NODE_ADMIT_DEFER);
    assert_int_equal(s_send(t, t->b, 'b'), NODE_ADMIT_READ);
    assert_int_equal(s_send(t, t->b, 'b'), NODE_ADMIT_DEFER);
    node_session_abuse(t->ss, t->a, NODE_ABUSE_MALFORMED);
    assert_int_equal(s_lend(t, &s), 'b');
    assert_int_equal(s_lend(t, &s), 0);
    assert_true(node_sessions_waiting(t->ss)); /* a's, for its rate */
    assert_int_equal(t->a->lent, 0);
}

/* A member that overflows its queue (flooded) is lent nothing either. */
static void
test_no_loan_after_flood(void **state)
{
    s_t *t = *state;
    node_session_t *s = NULL;
    assert_int_equal(s_send(t, t->a, 'a'), NODE_ADMIT_READ);
    for (int i = 0; i < NODE_DEFER_MSGS; i++)
        assert_int_equal(s_send(t, t->a, 'a'), NODE_ADMIT_DEFER);
    assert_int_equal(s_send(t, t->a, 'a'), NODE_ADMIT_DROP);
    assert_int_equal(t->a->count[NODE_ABUSE_FLOODED], 1);
    assert_int_equal(s_lend(t, &s), 0);
    assert_int_equal(t->a->dn, NODE_DEFER_MSGS);
}

/* A loan empties the buckets, never below zero: at 1,000 bytes a second
 * (burst 1,500), a first message of 1,000 bytes is read and leaves 500;
 * the second waits, and lent, takes the 500 and no more. */
static void
test_loan_empties(void **state)
{
    s_t *t = *state;
    node_sessions_destroy(&t->ss);
    assert_int_equal(setenv("VOCFED_RATE_BYTES", "1000", 1), 0);
    assert_int_equal(node_sessions_new(16, 10000, &t->ss), VOCFED_OK);
    assert_int_equal(unsetenv("VOCFED_RATE_BYTES"), 0);
    bool made;
    node_session_t *c = node_sessions_get(t->ss, t->st, "c", &made);
    node_session_t *s = NULL;
    assert_non_null(c);
    assert_int_equal(s_send_len(t, c, 'c', 1000), NODE_ADMIT_READ);
    assert_int_equal(s_send_len(t, c, 'c', 1000), NODE_ADMIT_DEFER);
    assert_true(c->bytes.tokens > 0 && c->bytes.tokens < 1000);
    assert_int_equal(s_lend(t, &s), 'c');
    assert_true(c->bytes.tokens >= 0 && c->bytes.tokens < 100);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lend_in_order, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_lend_in_turn, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_loan_after_abuse, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_no_loan_after_flood, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_loan_empties, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
