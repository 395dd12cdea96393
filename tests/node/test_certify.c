/* Known-answer tests of certification, claims and payments (issue 14;
 * SPEC 11.6): a class of 20 claimed, approved, changed (the approval
 * lapses), decided again and paid; a payment above the amount approved
 * refused; a teacher certified then downgraded; the hostile cases (a
 * claim on another member's class, a huge amount, a decision written by
 * a member, a decision whose entry hashes are not the member's). One
 * store holds the coordinator's log and two members', each signed with
 * its own key, as the coordinator's store does after replication. */
#include "node/certify.h"
#include "node/figures.h"
#include "node/node.h"
#include "node/roster.h"
#include "protocol/kinds.h"
#include "tests/harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

/* One author of the test store. */
typedef th_author_t s_author_t;

/* A coordinator's store with two members. */
typedef struct {
    char dir[64];                 /* temp folder */
    store_t *st;                  /* the store */
    s_author_t coord, m1, m2, m3; /* the coordinator and three members */
    char why[600];                /* the last refusal */
} s_group_t;

static int
s_setup(void **state)
{
    s_group_t *g = calloc(1, sizeof *g);
    store_opts_t o = {.create = true};
    th_tmpdir(g->dir);
    assert_int_equal(store_open(g->dir, &o, &g->st), 0);
    th_author(&g->coord, "coord", 1);
    th_author(&g->m1, "m1", 2);
    th_author(&g->m2, "m2", 3);
    th_author(&g->m3, "m3", 4);
    assert_int_equal(store_author_add(g->st, "coord", g->coord.pk), 0);
    assert_int_equal(store_author_add(g->st, "m1", g->m1.pk), 0);
    assert_int_equal(store_author_add(g->st, "m2", g->m2.pk), 0);
    assert_int_equal(store_author_add(g->st, "m3", g->m3.pk), 0);
    assert_int_equal(node_figures_attach(g->st, "coord"), 0);
    /* on the coordinator's roster, as vocfed members add puts them */
    const s_author_t *ms[] = {&g->m1, &g->m2, &g->m3};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(node_roster_add(g->st, "coord", g->coord.sk, ms[i]->id,
                                         ms[i]->pk, "", "school"),
                         0);
    *state = g;
    return 0;
}

static int
s_teardown(void **state)
{
    s_group_t *g = *state;
    store_destroy(&g->st);
    th_rmdir(g->dir);
    free(g);
    return 0;
}

/* put KIND KEY "f=v" ... NULL by author a. Returns its status. */
static int
s_try(s_group_t *g, const s_author_t *a, const char *kind, const char *key, ...)
{
    proto_buf_t body;
    va_list ap;
    proto_buf_init(&body);
    va_start(ap, key);
    int rc = th_kind_vbody(kind, ap, &body, NULL);
    va_end(ap);
    if (!rc) {
        store_record_t r = {PROTO_OP_PUT, kind,     key,
                            body.data,    body.len, false};
        rc = node_append_as(g->st, a->id, a->sk, a == &g->coord, &r, 1, 0, NULL,
                            NULL);
    }
    proto_buf_release(&body);
    return rc;
}

#define S_PUT(...) assert_int_equal(s_try(__VA_ARGS__, NULL), 0)

#define PID(c)                                                                 \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" c

/* A decision on member/code; amount -1 for the amount asked. */
static int
s_decide(s_group_t *g, const char *member, const char *code,
         const char *decision, int64_t amount)
{
    node_decide_t d = {member, code, decision, amount, "checked"};
    uint64_t seq;
    g->why[0] = 0;
    return node_certify_decide(g->st, "coord", g->coord.sk, &d, &seq, g->why,
                               sizeof g->why);
}

static int
s_pay(s_group_t *g, const char *member, const char *code, int64_t amount,
      const char *voucher)
{
    node_pay_t p = {member, code, amount, "2025-11-30", voucher, NULL};
    uint64_t seq;
    g->why[0] = 0;
    return node_certify_pay(g->st, "coord", g->coord.sk, &p, &seq, g->why,
                            sizeof g->why);
}

/* The state of member/code now; *c gets the claim (copied). */
static node_claim_state_t
s_state(s_group_t *g, const char *member, const char *code, node_claim_t *c)
{
    node_claims_t cs = {0};
    assert_int_equal(node_claims_load(g->st, "coord", NULL, &cs), 0);
    const node_claim_t *f = node_claims_find(&cs, member, code);
    assert_non_null(f);
    node_claim_t copy = *f;
    node_claims_release(&cs);
    if (c)
        *c = copy;
    return copy.state;
}

static json_t *
s_report(s_group_t *g)
{
    json_t *j = NULL;
    assert_int_equal(node_figures_json(g->st, "coord", 0, &j), 0);
    return j;
}

/* The report's money line of figure, year and member: field. */
static long long
s_money(json_t *rep, const char *fig, int year, const char *member,
        const char *field)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(rep, "money"), i, l)
    {
        if (strcmp(json_string_value(json_object_get(l, "figure")), fig) == 0 &&
            json_integer_value(json_object_get(l, "year")) == year &&
            strcmp(json_string_value(json_object_get(l, "member")), member) ==
                0)
            return json_integer_value(json_object_get(l, field));
    }
    fail_msg("no money line %s %d %s", fig, year, member);
    return -1;
}

/* A class of 20 claimed, approved, changed, decided again, paid. */
static void
test_class_lifecycle(void **state)
{
    s_group_t *g = *state;
    node_claim_t c;
    S_PUT(g, &g->m1, "coop_class", "c1", "enterprise=Chery", "cohort_year=2025",
          "students_at_start=20", "kind=order");
    S_PUT(g, &g->m1, "claim", "k1", "subject=coop_class", "record=c1",
          "year=2025", "amount=100000");
    assert_int_equal(s_state(g, "m1", "k1", &c), NODE_CLAIM_CLAIMED);
    json_t *rep = s_report(g);
    assert_int_equal(s_money(rep, "coop_class_subsidy", 2025, "m1", "eligible"),
                     100000);
    assert_int_equal(s_money(rep, "coop_class_subsidy", 2025, "m1", "claimed"),
                     100000);
    assert_int_equal(s_money(rep, "coop_class_subsidy", 2025, "m1", "approved"),
                     0);
    json_decref(rep);

    /* paying before approval is refused */
    assert_int_equal(s_pay(g, "m1", "k1", 100000, "v0"), VOCFED_EINVALID);
    assert_int_equal(s_decide(g, "m1", "k1", "approved", -1), 0);
    assert_int_equal(s_state(g, "m1", "k1", &c), NODE_CLAIM_APPROVED);
    assert_int_equal(c.approved, 100000);
    assert_true(c.holds);
    rep = s_report(g);
    assert_int_equal(s_money(rep, "coop_class_subsidy", 2025, "m1", "approved"),
                     100000);
    assert_int_equal(
        th_jint(rep, "certified", "coop_classes", "2025", "approved", NULL), 1);
    assert_int_equal(th_jint(rep, "figures", "coop_class_subsidy", "by_year",
                             "2025", "approved_count", NULL),
                     1);
    assert_int_equal(th_jint(rep, "figures", "coop_class_subsidy", "by_year",
                             "2025", "approved_value", NULL),
                     100000);
    json_decref(rep);

    /* the member changes the class: the approval lapses */
    S_PUT(g, &g->m1, "coop_class", "c1", "enterprise=Chery", "cohort_year=2025",
          "students_at_start=22", "kind=order");
    assert_int_equal(s_state(g, "m1", "k1", &c), NODE_CLAIM_CHANGED);
    assert_string_equal(node_claim_state_label(&c),
                        "认定后已变更 changed since approval");
    rep = s_report(g);
    assert_int_equal(s_money(rep, "coop_class_subsidy", 2025, "m1", "approved"),
                     0);
    assert_int_equal(
        th_jint(rep, "certified", "coop_classes", "2025", "approved", NULL), 0);
    assert_int_equal(th_jint(rep, "claim_states", "changed", "count", NULL), 1);
    json_decref(rep);
    assert_int_equal(s_pay(g, "m1", "k1", 100000, "v1"), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "changed since its decision"));

    /* decided again, then paid in full */
    assert_int_equal(s_decide(g, "m1", "k1", "approved", -1), 0);
    assert_int_equal(s_state(g, "m1", "k1", NULL), NODE_CLAIM_APPROVED);
    assert_int_equal(s_pay(g, "m1", "k1", 100000, "v1"), 0);
    assert_int_equal(s_state(g, "m1", "k1", &c), NODE_CLAIM_PAID);
    assert_int_equal(c.paid, 100000);
    rep = s_report(g);
    assert_int_equal(s_money(rep, "coop_class_subsidy", 2025, "m1", "paid"),
                     100000);
    assert_int_equal(th_jint(rep, "subsidy_total", "2025", "committed", NULL),
                     100000);
    json_decref(rep);
    /* nothing more is payable */
    assert_int_equal(s_pay(g, "m1", "k1", 1, "v2"), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "above the approved amount"));
}

/* A payment above the amount approved is refused; instalments add up. */
static void
test_pay_above_approved(void **state)
{
    s_group_t *g = *state;
    S_PUT(g, &g->m1, "coop_class", "c2", "enterprise=Huamao",
          "cohort_year=2025", "students_at_start=30", "kind=named");
    S_PUT(g, &g->m1, "claim", "k2", "subject=coop_class", "record=c2",
          "year=2025", "amount=100000");
    /* above the amount asked, and a class's subsidy */
    assert_int_equal(s_decide(g, "m1", "k2", "approved", 100001),
                     VOCFED_EINVALID);
    assert_int_equal(s_decide(g, "m1", "k2", "approved", 80000), 0);
    assert_int_equal(s_pay(g, "m1", "k2", 90000, "a1"), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "above the approved amount"));
    assert_int_equal(s_pay(g, "m1", "k2", 50000, "a1"), 0);
    /* one voucher, one payment */
    assert_int_equal(s_pay(g, "m1", "k2", 10000, "a1"), VOCFED_EINVALID);
    assert_int_equal(s_pay(g, "m1", "k2", 30001, "a2"), VOCFED_EINVALID);
    assert_int_equal(s_pay(g, "m1", "k2", 30000, "a2"), 0);
    node_claim_t c;
    assert_int_equal(s_state(g, "m1", "k2", &c), NODE_CLAIM_PAID);
    assert_int_equal(c.paid, 80000);
    assert_int_equal(c.npayments, 2);
    /* bad dates and vouchers */
    S_PUT(g, &g->m1, "coop_class", "c3", "enterprise=Huamao",
          "cohort_year=2025", "students_at_start=30", "kind=named");
    S_PUT(g, &g->m1, "claim", "k3", "subject=coop_class", "record=c3",
          "year=2025", "amount=100");
    assert_int_equal(s_decide(g, "m1", "k3", "approved", -1), 0);
    node_pay_t p = {"m1", "k3", 100, "2025-02-30", "b1", NULL};
    uint64_t seq;
    assert_int_equal(node_certify_pay(g->st, "coord", g->coord.sk, &p, &seq,
                                      g->why, sizeof g->why),
                     VOCFED_EINVALID);
    p.date = "2025-02-28";
    p.voucher = "a/b";
    assert_int_equal(node_certify_pay(g->st, "coord", g->coord.sk, &p, &seq,
                                      g->why, sizeof g->why),
                     VOCFED_EINVALID);
}

/* A teacher certified, then downgraded in the member's record. */
static void
test_teacher_downgraded(void **state)
{
    s_group_t *g = *state;
    node_claim_t c;
    S_PUT(g, &g->m1, "staff", PID("1"), "category=fulltime_teacher",
          "course_type=professional", "dual_qualified=senior");
    S_PUT(g, &g->m1, "staff", PID("2"), "category=fulltime_teacher",
          "course_type=professional", "dual_qualified=mid");
    S_PUT(g, &g->m1, "claim", "t1", "subject=dual_qualified",
          "record=" PID("1"), "year=2025");
    S_PUT(g, &g->m1, "claim", "t2", "subject=dual_qualified",
          "record=" PID("2"), "year=2025");
    assert_int_equal(s_decide(g, "m1", "t1", "approved", -1), 0);
    assert_int_equal(s_decide(g, "m1", "t2", "approved", 1), VOCFED_EINVALID);
    json_t *rep = s_report(g);
    assert_int_equal(
        th_jint(rep, "certified", "dual_qualified", "teachers", NULL), 2);
    assert_int_equal(
        th_jint(rep, "certified", "dual_qualified", "reported", NULL), 2);
    assert_int_equal(
        th_jint(rep, "certified", "dual_qualified", "claimed", NULL), 2);
    assert_int_equal(
        th_jint(rep, "certified", "dual_qualified", "certified", NULL), 1);
    /* m1 has no secondary students: none of it is a secondary school's */
    assert_int_equal(th_jint(rep, "certified", "dual_qualified", "secondary",
                             "teachers", NULL),
                     0);
    assert_true(json_is_null(th_jget(rep, "certified", "dual_qualified",
                                     "secondary", "certified_share", NULL)));
    json_decref(rep);
    S_PUT(g, &g->m1, "student", PID("5"), "level=secondary", "intake_year=2025",
          "status=enrolled");
    rep = s_report(g);
    assert_int_equal(th_jint(rep, "certified", "dual_qualified", "secondary",
                             "certified", NULL),
                     1);
    assert_int_equal(th_jint(rep, "figures", "dual_qualified_share",
                             "certified_secondary", "teachers", NULL),
                     2);
    assert_float_equal(
        json_real_value(th_jget(rep, "figures", "dual_qualified_share",
                                "certified", "certified_share", NULL)),
        0.5, 1e-12);
    json_decref(rep);
    /* downgraded: the certification lapses, and cannot be given again */
    S_PUT(g, &g->m1, "staff", PID("1"), "category=fulltime_teacher",
          "course_type=professional", "dual_qualified=none");
    assert_int_equal(s_state(g, "m1", "t1", &c), NODE_CLAIM_CHANGED);
    rep = s_report(g);
    assert_int_equal(
        th_jint(rep, "certified", "dual_qualified", "certified", NULL), 0);
    assert_int_equal(
        th_jint(rep, "certified", "dual_qualified", "reported", NULL), 1);
    json_decref(rep);
    assert_int_equal(s_decide(g, "m1", "t1", "approved", -1), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "not dual-qualified"));
    /* rejected instead: a decision that holds */
    assert_int_equal(s_decide(g, "m1", "t1", "rejected", -1), 0);
    assert_int_equal(s_state(g, "m1", "t1", NULL), NODE_CLAIM_REJECTED);
    /* revoke needs an approval */
    assert_int_equal(s_decide(g, "m1", "t1", "revoked", -1), VOCFED_EINVALID);
}

/* Every byte from a member is hostile. */
static void
test_hostile_claims(void **state)
{
    s_group_t *g = *state;
    S_PUT(g, &g->m1, "coop_class", "c9", "enterprise=Chery", "cohort_year=2025",
          "students_at_start=40", "kind=order");
    /* m2 claims m1's class: the record is not in m2's own log */
    S_PUT(g, &g->m2, "claim", "x1", "subject=coop_class", "record=c9",
          "year=2025", "amount=100000");
    assert_int_equal(s_decide(g, "m2", "x1", "approved", -1), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "not a current record of m2's own log"));
    /* a huge amount: refused by the kinds table, and above the rule */
    assert_int_equal(s_try(g, &g->m2, "claim", "x2", "subject=coop_class",
                           "record=c9", "year=2025", "amount=100000001", NULL),
                     VOCFED_EINVALID);
    S_PUT(g, &g->m1, "claim", "x3", "subject=coop_class", "record=c9",
          "year=2025", "amount=100000000");
    assert_int_equal(s_decide(g, "m1", "x3", "approved", -1), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "above what the rule allows"));
    /* one class claimed under two codes is approved once */
    S_PUT(g, &g->m1, "claim", "x3b", "subject=coop_class", "record=c9",
          "year=2025", "amount=100000");
    S_PUT(g, &g->m1, "claim", "x3c", "subject=coop_class", "record=c9",
          "year=2025", "amount=100000");
    assert_int_equal(s_decide(g, "m1", "x3b", "approved", -1), 0);
    assert_int_equal(s_decide(g, "m1", "x3c", "approved", -1), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "approved or paid already, under claim "
                                   "m1/x3b"));
    /* its approval revoked, the other claim may be approved */
    assert_int_equal(s_decide(g, "m1", "x3b", "revoked", -1), 0);
    assert_int_equal(s_decide(g, "m1", "x3c", "approved", -1), 0);
    assert_int_equal(s_decide(g, "m1", "x3c", "revoked", -1), 0);
    /* a class under the threshold */
    S_PUT(g, &g->m1, "coop_class", "c8", "enterprise=Chery", "cohort_year=2025",
          "students_at_start=19", "kind=order");
    S_PUT(g, &g->m1, "claim", "x4", "subject=coop_class", "record=c8",
          "year=2025", "amount=100000");
    assert_int_equal(s_decide(g, "m1", "x4", "approved", -1), VOCFED_EINVALID);
    /* a decision or a payment written by a member: the role rule */
    assert_int_equal(s_try(g, &g->m1, "certification", "m1/x3",
                           "decision=approved", "subject=coop_class",
                           "year=2025", "claim_seq=1", "claim_hash=00",
                           "amount=100000000", NULL),
                     VOCFED_EINVALID);
    assert_int_equal(s_try(g, &g->m1, "payment", "m1/x3/v", "amount=1",
                           "date=2025-01-01", "decision_seq=1", NULL),
                     VOCFED_EINVALID);
    /* no such claim */
    assert_int_equal(s_decide(g, "m1", "nope", "approved", -1),
                     VOCFED_ENOTFOUND);
    /* attachments that are not hashes */
    S_PUT(g, &g->m1, "claim", "x5", "subject=coop_class", "record=c9",
          "year=2025", "amount=100000", "attachments=invoice.pdf");
    assert_int_equal(s_decide(g, "m1", "x5", "approved", -1), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "attachment 'invoice.pdf'"));
    S_PUT(g, &g->m1, "claim", "x5", "subject=coop_class", "record=c9",
          "year=2025", "amount=100000", "attachments=" PID("1") ";" PID("2"));
    assert_int_equal(s_decide(g, "m1", "x5", "approved", -1), 0);
    /* the budget: approvals past the year's award budget are refused */
    S_PUT(g, &g->coord, "subsidy_rule", "subsidy_total:2026", "amount=0",
          "budget=150000");
    S_PUT(g, &g->m1, "coop_class", "c7", "enterprise=Chery", "cohort_year=2026",
          "students_at_start=25", "kind=order");
    S_PUT(g, &g->m1, "claim", "y1", "subject=coop_class", "record=c7",
          "year=2026", "amount=100000");
    S_PUT(g, &g->m1, "coop_class", "c6", "enterprise=Chery", "cohort_year=2026",
          "students_at_start=21", "kind=order");
    S_PUT(g, &g->m1, "claim", "y2", "subject=coop_class", "record=c6",
          "year=2026", "amount=100000");
    assert_int_equal(s_decide(g, "m1", "y1", "approved", -1), 0);
    assert_int_equal(s_decide(g, "m1", "y2", "approved", -1), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "over the 2026 budget"));
    assert_int_equal(s_decide(g, "m1", "y2", "approved", 50000), 0);
    /* a revoked member's claims are neither decided nor paid */
    assert_int_equal(node_roster_set_status(g->st, "coord", g->coord.sk, "m1",
                                            NODE_MEMBER_REVOKED),
                     0);
    assert_int_equal(s_pay(g, "m1", "x5", 1, "r1"), VOCFED_EINVALID);
    assert_non_null(strstr(g->why, "revoked"));
    assert_int_equal(s_decide(g, "m1", "x4", "rejected", -1), VOCFED_EINVALID);
}

/* A member checks each decision against the coordinator's key and its
 * own entries; a forged one fails. */
static void
test_verify(void **state)
{
    s_group_t *g = *state;
    node_claim_t c;
    char why[400];
    S_PUT(g, &g->m1, "coop_class", "v1", "enterprise=Chery", "cohort_year=2025",
          "students_at_start=20", "kind=order");
    S_PUT(g, &g->m1, "claim", "kv", "subject=coop_class", "record=v1",
          "year=2025", "amount=1000");
    assert_int_equal(s_decide(g, "m1", "kv", "approved", -1), 0);
    s_state(g, "m1", "kv", &c);
    assert_int_equal(
        node_certify_verify(g->st, "coord", g->coord.pk, &c, why, sizeof why),
        0);
    /* another key than the coordinator's */
    assert_int_equal(
        node_certify_verify(g->st, "coord", g->m2.pk, &c, why, sizeof why),
        VOCFED_EBADSIG);
    /* the record changed: the decision still verifies (it names the old
     * entries, which the member's log still holds) but no longer holds */
    S_PUT(g, &g->m1, "coop_class", "v1", "enterprise=Chery", "cohort_year=2025",
          "students_at_start=21", "kind=order");
    assert_int_equal(s_state(g, "m1", "kv", &c), NODE_CLAIM_CHANGED);
    assert_int_equal(
        node_certify_verify(g->st, "coord", g->coord.pk, &c, why, sizeof why),
        0);
    /* a decision whose hashes are not the member's entries: the
     * coordinator's own record written past the checks */
    char hash[65];
    memset(hash, 'a', 64);
    hash[64] = 0;
    char ch[80];
    snprintf(ch, sizeof ch, "claim_hash=%s", hash);
    char cs[40];
    snprintf(cs, sizeof cs, "claim_seq=%llu", (unsigned long long)c.claim_seq);
    S_PUT(g, &g->coord, "certification", "m1/kv", "decision=approved",
          "subject=coop_class", "year=2025", cs, ch, "amount=1000");
    s_state(g, "m1", "kv", &c);
    assert_false(c.holds);
    assert_int_equal(
        node_certify_verify(g->st, "coord", g->coord.pk, &c, why, sizeof why),
        VOCFED_EINVALID);
    assert_non_null(strstr(why, "not m1's own entry"));
}

/* A del of kind/key by author a. */
static void
s_del(s_group_t *g, const s_author_t *a, const char *kind, const char *key)
{
    store_record_t r = {PROTO_OP_DEL, kind, key, NULL, 0, false};
    assert_int_equal(
        node_append_as(g->st, a->id, a->sk, false, &r, 1, 0, NULL, NULL), 0);
}

/* The kept figures equal a replay of the logs (verify --figures). */
static void
s_replay_equal(s_group_t *g)
{
    char what[256] = "";
    int rc = node_figures_check(g->st, "coord", what, sizeof what);
    if (rc)
        fail_msg("figures differ from a replay: %s", what);
}

/* A county's shares with known numerators and denominators (保障措施 三). */
static void
test_county_share(void **state)
{
    s_group_t *g = *state;
    S_PUT(g, &g->m1, "member", "profile", "name_zh=安庆工业学校", "role=school",
          "original_affiliation=市教体局", "region_code=340803");
    S_PUT(g, &g->m3, "member", "profile", "name_zh=太湖县教育局",
          "role=government", "original_affiliation=太湖县人民政府",
          "region_code=340825");
    /* 太湖县 (340825), 2025: 3 secondary entrants (one enrolled at two
     * members, counted once), 1 higher-vocational entrant; one from
     * 望江县 (340827); one from 太湖县 in 2024 */
    const char *sec[] = {PID("1"), PID("2"), PID("3")};
    for (size_t i = 0; i < 3; i++)
        S_PUT(g, &g->m1, "student", sec[i], "level=secondary",
              "intake_year=2025", "status=enrolled", "origin_region=340825");
    S_PUT(g, &g->m2, "student", PID("3"), "level=secondary", "intake_year=2025",
          "status=enrolled", "origin_region=340825");
    S_PUT(g, &g->m2, "student", PID("4"), "level=higher", "intake_year=2025",
          "status=enrolled", "origin_region=340825");
    S_PUT(g, &g->m1, "student", PID("5"), "level=secondary", "intake_year=2025",
          "status=enrolled", "origin_region=340827");
    S_PUT(g, &g->m1, "student", PID("6"), "level=secondary", "intake_year=2024",
          "status=enrolled", "origin_region=340825");
    /* the denominators: the government member's; a school's ignored */
    S_PUT(g, &g->m3, "county_stat", "340825:2025", "region_code=340825",
          "year=2025", "junior_grads=40", "high_grads=10");
    S_PUT(g, &g->m1, "county_stat", "340825:2025", "region_code=340825",
          "year=2025", "junior_grads=3", "high_grads=1");
    json_t *rep = s_report(g);
    json_t *county = json_object_get(rep, "county");
    assert_int_equal(json_array_size(county), 1);
    json_t *row = json_array_get(county, 0);
    assert_string_equal(json_string_value(json_object_get(row, "region")),
                        "340825");
    assert_string_equal(json_string_value(json_object_get(row, "source")),
                        "m3");
    assert_int_equal(th_jint(row, "year", NULL), 2025);
    assert_int_equal(th_jint(row, "secondary_intake", NULL), 3);
    assert_int_equal(th_jint(row, "junior_grads", NULL), 40);
    assert_int_equal(th_jint(row, "higher_intake", NULL), 1);
    assert_int_equal(th_jint(row, "high_grads", NULL), 10);
    assert_float_equal(json_real_value(json_object_get(row, "secondary_share")),
                       0.075, 1e-12);
    assert_float_equal(json_real_value(json_object_get(row, "higher_share")),
                       0.1, 1e-12);
    json_decref(rep);
    /* bodies by level against the aims: two municipal consortia, one
     * national */
    S_PUT(g, &g->m1, "consortium", "k1", "name=一", "level=municipal");
    S_PUT(g, &g->m2, "consortium", "k2", "name=二", "level=municipal");
    S_PUT(g, &g->m3, "consortium", "k3", "name=三", "level=provincial");
    S_PUT(g, &g->m1, "master_studio", "s1", "name=大师", "level=provincial");
    rep = s_report(g);
    assert_int_equal(
        th_jint(rep, "bodies", "consortium", "by_level", "municipal", NULL), 2);
    assert_true(json_is_true(
        th_jget(rep, "bodies", "consortium", "aims", "municipal_met", NULL)));
    assert_true(json_is_false(
        th_jget(rep, "bodies", "consortium", "aims", "national_met", NULL)));
    assert_int_equal(
        th_jint(rep, "bodies", "master_studio", "by_level", "provincial", NULL),
        1);
    json_decref(rep);
    s_replay_equal(g);
}

/* A 3+2 cohort: some progressed, one at two members, one withdrawn. */
static void
test_progression(void **state)
{
    s_group_t *g = *state;
    /* seven started a 3+2 or five-year secondary stage in 2023 at m1
     * (H is 8); F also at m3 (counted once, in m1's cohort: received
     * first) */
    const char *ids[] = {PID("a"), PID("b"), PID("c"), PID("d"),
                         PID("e"), PID("f"), PID("8")};
    for (size_t i = 0; i < 7; i++)
        S_PUT(g, &g->m1, "student", ids[i], "level=secondary",
              "pathway=three_plus_two", "intake_year=2023",
              i == 2 ? "status=withdrawn" : "status=graduated");
    S_PUT(g, &g->m3, "student", PID("f"), "level=secondary",
          "pathway=five_year", "intake_year=2023", "status=graduated");
    /* a regular secondary student is in no cohort */
    S_PUT(g, &g->m1, "student", PID("9"), "level=secondary", "pathway=regular",
          "intake_year=2023", "status=enrolled");
    /* A at m2; B at m2 and at m3 (once); D withdrew from college; F at
     * m1's own higher stage; C withdrew at secondary; E graduated from
     * m2's higher stage (a graduate record only); H never went on; G is
     * in higher study but started no secondary stage here */
    S_PUT(g, &g->m2, "student", PID("a"), "level=higher", "intake_year=2026",
          "status=enrolled");
    S_PUT(g, &g->m2, "student", PID("b"), "level=higher", "intake_year=2026",
          "status=enrolled");
    S_PUT(g, &g->m3, "student", PID("b"), "level=higher", "intake_year=2026",
          "status=enrolled");
    S_PUT(g, &g->m2, "student", PID("d"), "level=higher", "intake_year=2026",
          "status=withdrawn");
    S_PUT(g, &g->m2, "graduate", PID("e") ":2026", "level=higher",
          "grad_year=2026", "destination=employed");
    S_PUT(g, &g->m2, "student", PID("7"), "level=higher", "pathway=regular",
          "intake_year=2026", "status=enrolled");
    /* F's own record at m1 moves on to the higher stage: its start is
     * the intake less three secondary years */
    S_PUT(g, &g->m1, "student", PID("f"), "level=higher", "pathway=five_year",
          "intake_year=2026", "status=enrolled");
    json_t *rep = s_report(g);
    assert_int_equal(th_jint(rep, "progression", "2023", "cohort", NULL), 7);
    assert_int_equal(th_jint(rep, "progression", "2023", "progressed", NULL),
                     4);
    assert_int_equal(
        th_jint(rep, "progression", "2023", "by_member", "m1", "cohort", NULL),
        7);
    assert_float_equal(
        json_real_value(th_jget(rep, "progression", "2023", "by_member", "m1",
                                "share", NULL)),
        4.0 / 7.0, 1e-12);
    assert_null(th_jget(rep, "progression", "2023", "by_member", "m3", NULL));
    assert_float_equal(
        json_real_value(th_jget(rep, "progression", "2023", "share", NULL)),
        4.0 / 7.0, 1e-12);
    json_decref(rep);
    s_replay_equal(g);
    /* A's college record goes, C's secondary record goes */
    s_del(g, &g->m2, "student", PID("a"));
    s_del(g, &g->m1, "student", PID("c"));
    rep = s_report(g);
    assert_int_equal(th_jint(rep, "progression", "2023", "cohort", NULL), 6);
    assert_int_equal(th_jint(rep, "progression", "2023", "progressed", NULL),
                     3);
    json_decref(rep);
    s_replay_equal(g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_class_lifecycle, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_pay_above_approved, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_teacher_downgraded, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_claims, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_verify, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_county_share, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_progression, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
