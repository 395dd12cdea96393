/* Integration test of certification end to end (issue 14; SPEC 11.6):
 * a member files a claim with `vocfed put`, syncs to a real coordinator
 * on 127.0.0.1; `vocfed certify` approves it there, refuses a payment
 * above the amount approved and records one within it; the member syncs
 * again and `vocfed certify list` shows the decision on its own claim,
 * verified against the coordinator's key and its own entry hash. Then the
 * member changes its class: the claim shows "changed since approval" at
 * both ends once synced. Every process is stopped by pid. */
#include "tests/harness.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

static void
s_sync_ok(th_net_t *net, const th_node_t *m)
{
    th_run_t r = th_sync(net, m, 60);
    if (r.status != 0)
        fail_msg("sync at %s: exit %d\n%s%s", m->id, r.status, r.out, r.err);
    th_run_free(&r);
}

/* `vocfed certify list --json` at dir (exit want), one claim long. */
static json_t *
s_list(th_net_t *net, const char *dir, int want)
{
    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", dir, "certify", "list", "--json"));
    if (r.status != want)
        fail_msg("certify list at %s: exit %d\n%s%s", dir, r.status, r.out,
                 r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    th_run_free(&r);
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 1);
    return j;
}

/* A string member of the list's one claim, "" when absent. */
static const char *
s_str(json_t *j, const char *name)
{
    const char *s =
        json_string_value(json_object_get(json_array_get(j, 0), name));
    return s ? s : "";
}

static void
test_certify_end_to_end(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "m1", true);
    const char *cd = net->coord.dir;
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "coop_class", "c1",
                          "enterprise=Chery", "cohort_year=2025",
                          "students_at_start=20", "kind=order"));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "claim", "k1",
                          "subject=coop_class", "record=c1", "year=2025",
                          "amount=100000"));
    /* a member cannot decide, nor write a decision with put */
    th_net_expect(net, 2,
                  TH_ARGS("--dir", m->dir, "certify", "approve", "m1/k1"));
    th_net_expect(net, 2,
                  TH_ARGS("--dir", m->dir, "put", "certification", "m1/k1",
                          "decision=approved"));
    th_coord_start(net);
    s_sync_ok(net, m);

    json_t *j = s_list(net, cd, 0);
    assert_string_equal(s_str(j, "state"), "claimed");
    json_decref(j);
    th_net_expect(net, 2, TH_ARGS("--dir", cd, "certify", "approve", "k1"));
    th_net_expect(net, 1,
                  TH_ARGS("--dir", cd, "certify", "approve", "m1/none"));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", cd, "certify", "approve", "m1/k1", "--note",
                          "class list checked"));
    th_net_expect(net, 1,
                  TH_ARGS("--dir", cd, "certify", "paid", "m1/k1", "--amount",
                          "100001", "--date", "2025-12-01", "--ref", "V-1"));
    th_net_expect(net, 2,
                  TH_ARGS("--dir", cd, "certify", "paid", "m1/k1", "--amount",
                          "100000", "--date", "2025-12-01"));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", cd, "certify", "paid", "m1/k1", "--amount",
                          "100000", "--date", "2025-12-01", "--ref", "V-1"));

    /* list --state, show */
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", cd, "certify", "list", "--state", "approved"));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "no claims in state approved"));
    th_run_free(&r);
    r = th_net_run(net,
                   TH_ARGS("--dir", cd, "certify", "show", "m1/k1", "--json"));
    assert_int_equal(r.status, 0);
    json_t *show = th_json(r.out);
    th_run_free(&r);
    json_t *pay0 = json_array_get(json_object_get(show, "payments"), 0);
    assert_string_equal(json_string_value(json_object_get(pay0, "voucher")),
                        "V-1");
    assert_int_equal(th_jint(pay0, "amount", NULL), 100000);
    json_decref(show);

    /* the member sees the decision on its claim, verified */
    s_sync_ok(net, m);
    j = s_list(net, m->dir, 0);
    assert_string_equal(s_str(j, "state"), "paid");
    assert_string_equal(s_str(j, "verified"), "verified");
    json_decref(j);

    /* the member changes its class: the approval lapses at both ends */
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "coop_class", "c1",
                          "enterprise=Chery", "cohort_year=2025",
                          "students_at_start=18", "kind=order"));
    j = s_list(net, m->dir, 0);
    assert_string_equal(s_str(j, "state"), "changed");
    json_decref(j);
    s_sync_ok(net, m);
    j = s_list(net, cd, 0);
    assert_string_equal(s_str(j, "state"), "changed");
    json_decref(j);
    /* and cannot be approved again: 18 students */
    th_net_expect(net, 1, TH_ARGS("--dir", cd, "certify", "approve", "m1/k1"));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", cd, "certify", "reject", "m1/k1", "--note",
                          "under 20"));
    s_sync_ok(net, m);
    j = s_list(net, m->dir, 0);
    assert_string_equal(s_str(j, "state"), "rejected");
    assert_string_equal(s_str(j, "verified"), "verified");
    json_decref(j);
    th_net_expect(net, 0, TH_ARGS("--dir", cd, "verify", "--figures"));
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_certify_end_to_end, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
