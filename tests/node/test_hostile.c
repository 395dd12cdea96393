/* Integration tests of a member that lies under its own valid key (issue
 * 10; SPEC 8.4): records written below node_append, signed and sent by
 * the stock `vocfed sync` to a real coordinator on 127.0.0.1, are
 * refused whole with bad-record when they break the kinds table or the
 * role rule; the coordinator holds none of them, counts the refusal
 * once, an honest member still syncs, and the coordinator's figures
 * verify. Every wait is on a condition with a deadline (tests/harness.h);
 * every process is stopped by pid. */
#include "node/figures.h"
#include "node/identity.h"
#include "protocol/hash.h"
#include "storage/store.h"

#include "tests/harness.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_DEADLINE_MS 20000 /* for anything to settle */

/* Signs and appends one put of kind and key with body f (n fields) to
 * m's own log, below node_append (no kinds check, no role check), as
 * th_bulk writes: what a hostile member's own code would write. */
static void
s_lie(const th_node_t *m, const char *kind, const char *key, proto_field_t *f,
      size_t n)
{
    uint8_t pk[PROTO_PUBKEY_LEN], *sk = NULL;
    store_t *st = NULL;
    store_head_t head;
    proto_buf_t body;
    proto_buf_init(&body);
    assert_int_equal(proto_body_encode(f, n, &body), VOCFED_OK);
    store_record_t rec = {.op = PROTO_OP_PUT,
                          .kind = kind,
                          .key = key,
                          .body = body.data,
                          .body_len = body.len};
    assert_int_equal(proto_unhex(m->pk, pk, sizeof pk), VOCFED_OK);
    assert_int_equal(store_open(m->dir, NULL, &st), VOCFED_OK);
    assert_int_equal(node_figures_attach_store(st), VOCFED_OK);
    assert_int_equal(node_identity_load(m->dir, pk, &sk), VOCFED_OK);
    int rc = store_append(st, m->id, sk, &rec, 1, 0, &head, NULL);
    node_identity_free(&sk);
    store_destroy(&st);
    proto_buf_release(&body);
    assert_int_equal(rc, VOCFED_OK);
}

/* The size of author's log at the coordinator (-1: absent). */
static long long
s_held(th_net_t *net, const char *author)
{
    json_t *cs = th_status(net, net->coord.dir);
    long long n = th_jint(cs, "logs", author, "size", NULL);
    json_decref(cs);
    return n;
}

/* `vocfed sync` at m is refused with bad-record: exit 1, and its last word
 * gives the coordinator's reason, with the entry and the field. */
static void
s_sync_refused(th_net_t *net, const th_node_t *m, const char *what)
{
    th_run_t r = th_sync(net, m, 20);
    if (r.status != 1 || !strstr(r.err, "bad-record") || !strstr(r.err, what))
        fail_msg("sync at %s: exit %d\n%s%s", m->id, r.status, r.out, r.err);
    print_message("%s", r.err);
    th_run_free(&r);
}

static void
test_lying_member(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *liar = th_net_member(net, "liar", true);
    th_node_t *boss = th_net_member(net, "boss", true);
    th_node_t *honest = th_net_member(net, "honest", true);
    th_put_student(net, liar, "l1", NULL);
    th_coord_start(net);
    th_run_t r = th_sync(net, liar, 20);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    assert_int_equal(s_held(net, liar->id), 1);

    /* A training figure made negative, then an honest record: the batch
     * of both is refused whole. */
    proto_field_t neg[] = {{"completed", 9, TH_INT(-1000000)},
                           {"type", 4, TH_STR("rural")},
                           {"year", 4, TH_INT(2025)}};
    s_lie(liar, "training", "t-1", neg, 3);
    th_put_student(net, liar, "l2", NULL);
    s_sync_refused(net, liar, "entry 2: field completed");
    assert_int_equal(s_held(net, liar->id), 1);
    /* counted once, as the member's abuse */
    th_count_t n = {net, liar->id, "refused", 1, 0};
    if (!th_wait(th_counted, &n, S_DEADLINE_MS))
        fail_msg("refusals of liar: %lld", n.seen);
    assert_int_equal(n.seen, 1);

    /* A member writing the coordinator's targets: the role rule. */
    proto_field_t target[] = {{"value", 5, TH_STR("1")}};
    s_lie(boss, "target", "students_enrolled:2026", target, 1);
    s_sync_refused(net, boss, "kind target is written by the coordinator");
    assert_true(s_held(net, boss->id) <= 0);

    /* An honest member is not held up by them. */
    th_put_student(net, honest, "h1", NULL);
    th_put_student(net, honest, "h2", NULL);
    r = th_sync(net, honest, 20);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    assert_int_equal(s_held(net, honest->id), 2);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "verify", "--figures"));
    net->passed = true;
}

int
main(void)
{
#define S_T(f) cmocka_unit_test_setup_teardown(f, th_net_setup, th_net_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_lying_member),
    };
#undef S_T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
