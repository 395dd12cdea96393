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
#include <time.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_DEADLINE_MS 20000 /* for anything to settle */

/* Signs and appends one put of kind and key with body f (n fields) to
 * m's own log, below node_append (no kinds check, no role check), as
 * th_bulk writes: what a hostile member's own code would write. */
static void
s_lie_at(const th_node_t *m, const char *kind, const char *key,
         proto_field_t *f, size_t n, uint64_t time_ms)
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
    int rc = store_append(st, m->id, sk, &rec, 1, time_ms, &head, NULL);
    node_identity_free(&sk);
    store_destroy(&st);
    proto_buf_release(&body);
    assert_int_equal(rc, VOCFED_OK);
}

/* s_lie, dated now. */
static void
s_lie(const th_node_t *m, const char *kind, const char *key, proto_field_t *f,
      size_t n)
{
    s_lie_at(m, kind, key, f, n, 0);
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
s_sync_refused_as(th_net_t *net, const th_node_t *m, const char *token,
                  const char *what)
{
    th_run_t r = th_sync(net, m, 20);
    if (r.status != 1 || !strstr(r.err, token) || !strstr(r.err, what))
        fail_msg("sync at %s: exit %d\n%s%s", m->id, r.status, r.out, r.err);
    print_message("%s", r.err);
    th_run_free(&r);
}

static void
s_sync_refused(th_net_t *net, const th_node_t *m, const char *what)
{
    s_sync_refused_as(net, m, "bad-record", what);
}

/* This machine's wall clock in ms. */
static uint64_t
s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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

    /* A member approving its own claim: a decision is the coordinator's
     * (issue 14; SPEC 11.6). A fresh member, so that the batch holds
     * only the forged decision. */
    th_node_t *forger = th_net_member(net, "forger", true);
    proto_field_t decision[] = {{"amount", 6, TH_INT(100000000)},
                                {"claim_hash", 10,
                                 TH_STR("00000000000000000000000000000000"
                                        "00000000000000000000000000000000")},
                                {"claim_seq", 9, TH_INT(1)},
                                {"decision", 8, TH_STR("approved")},
                                {"subject", 7, TH_STR("coop_class")},
                                {"year", 4, TH_INT(2025)}};
    s_lie(forger, "certification", "forger/k1", decision, 6);
    s_sync_refused(net, forger,
                   "kind certification is written by the coordinator");
    assert_true(s_held(net, forger->id) <= 0);

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

/* The pseudo_id th_put_student makes from name. */
static void
s_pid(const char *name, char key[2 * PROTO_HASH_LEN + 1])
{
    uint8_t h[PROTO_HASH_LEN];
    proto_hash(PROTO_HASH_BLAKE2B256, (const uint8_t *)name, strlen(name), h);
    proto_hex(h, sizeof h, key);
}

/* `vocfed put student` at m: a secondary student of name, intake 2025,
 * from a local junior high school. */
static void
s_put_secondary(th_net_t *net, const th_node_t *m, const char *name,
                const char *school)
{
    char key[2 * PROTO_HASH_LEN + 1], sc[96];
    s_pid(name, key);
    snprintf(sc, sizeof sc, "source_school=%s", school);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "student", key,
                          "level=secondary", "intake_year=2025",
                          "status=enrolled", "origin_region=340803", sc));
}

static void
s_sync_ok(th_net_t *net, const th_node_t *m)
{
    th_run_t r = th_sync(net, m, 60);
    if (r.status != 0)
        fail_msg("sync at %s: exit %d\n%s%s", m->id, r.status, r.out, r.err);
    th_run_free(&r);
}

/* The report's figures at dir (json_decref them). */
static json_t *
s_report(th_net_t *net, const char *dir)
{
    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", dir, "report", "--format", "json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    th_run_free(&r);
    assert_non_null(j);
    return j;
}

/* figures.<id>[.by_year.<year>].<dim>.<bucket> (0 when absent). */
static long long
s_fig(json_t *j, const char *id, const char *year, const char *dim,
      const char *bucket)
{
    json_t *f = th_jget(j, "figures", id, NULL);
    if (year)
        f = th_jget(f, "by_year", year, NULL);
    json_t *v = dim ? th_jget(f, dim, bucket, NULL) : th_jget(f, "value", NULL);
    if (json_is_object(v))
        v = json_object_get(v, "value");
    return v ? (long long)json_number_value(v) : 0;
}

/* What the coordinator's store lists as contested (opened beside the
 * running daemon, as `vocfed report` is). */
static int
s_count_conflict(void *ctx, node_counter_t counter, int year,
                 const char *identity, const node_fig_claim_t *claims, size_t n)
{
    json_t *list = ctx;
    (void)counter;
    (void)year;
    (void)identity;
    json_array_append_new(list,
                          json_pack("{s:s, s:s, s:i}", "paid", claims[0].member,
                                    "payee", claims[0].payee, "n", (int)n));
    return 0;
}

static json_t *
s_conflicts(th_net_t *net)
{
    store_t *st = NULL;
    json_t *list = json_array();
    assert_int_equal(store_open(net->coord.dir, NULL, &st), VOCFED_OK);
    assert_int_equal(node_figures_conflicts(st, s_count_conflict, list), 0);
    store_destroy(&st);
    return list;
}

/* A member that claims another's people (issue 10): a second claim on
 * the victim's student under a crony school, 101 graduate rows on the
 * victim's person, 20,000 students and 300 profile changes, then its
 * revocation. The victim is never refused, its claim is the one paid,
 * the payment lines add up, the crony's claim is listed as contested,
 * the victim's own count is the coordinator's count of it, and from the
 * revocation the hostile member counts for nothing. */
static void
test_claiming_member(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *victim = th_net_member(net, "victim", true);
    th_node_t *mal = th_net_member(net, "mal", true);
    char pid[2 * PROTO_HASH_LEN + 1];
    s_pid("v1", pid);
    th_coord_start(net);
    /* The victim's source school is registered (SPEC 12.3: else its line
     * is pending); the crony school is not. */
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "put", "school", "jh1",
                          "name=一中", "region_code=340803"));
    s_put_secondary(net, victim, "v1", "jh1");
    s_sync_ok(net, victim);

    /* The second claim, and the frozen-list attack: 101 graduate rows for
     * the victim's person (each valid). */
    proto_field_t crony[] = {{"intake_year", 11, TH_INT(2025)},
                             {"level", 5, TH_STR("secondary")},
                             {"origin_region", 13, TH_STR("340803")},
                             {"source_school", 13, TH_STR("mal-crony")},
                             {"status", 6, TH_STR("enrolled")}};
    s_lie(mal, "student", pid, crony, 5);
    for (int y = 2000; y <= 2100; y++) {
        char key[96];
        snprintf(key, sizeof key, "%s:%d", pid, y);
        proto_field_t grad[] = {{"destination", 11, TH_STR("employed")},
                                {"grad_year", 9, TH_INT(y)},
                                {"level", 5, TH_STR("higher")},
                                {"workplace_region", 16, TH_STR("340803")}};
        s_lie(mal, "graduate", key, grad, 4);
    }
    s_sync_ok(net, mal);

    /* 20,000 students and 300 profile changes: the coordinator keeps up
     * (a profile change costs what the member holds, not its records). */
    th_bulk(mal, 1, 20000, 8, NULL);
    for (int i = 0; i < 300; i++) {
        proto_field_t prof[] = {{"name_zh", 7, TH_STR("mal")},
                                {"original_affiliation", 20, TH_STR("x")},
                                {"region_code",
                                 11,
                                 {.type = PROTO_VAL_STR,
                                  .s = i % 2 ? "340803" : "340826",
                                  .slen = 6}},
                                {"role", 4, TH_STR("school")}};
        s_lie(mal, "member", "profile", prof, 4);
    }
    s_sync_ok(net, mal);

    /* The victim is not frozen: more of its own records about v1. */
    char gkey[96];
    snprintf(gkey, sizeof gkey, "%s:2025", pid);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", victim->dir, "put", "graduate", gkey,
                          "level=higher", "grad_year=2025",
                          "destination=employed", "workplace_region=340803"));
    s_put_secondary(net, victim, "v2", "jh1");
    s_sync_ok(net, victim);

    json_t *g = s_report(net, net->coord.dir),
           *own = s_report(net, victim->dir);
    /* Paid once, to the first claim's school. */
    assert_int_equal(
        s_fig(g, "source_school_incentive", "2025", "by_payee", "jh1"), 1000);
    assert_int_equal(
        s_fig(g, "source_school_incentive", "2025", "by_payee", "mal-crony"),
        0);
    assert_int_equal(s_fig(g, "source_school_incentive", "2025", NULL, NULL),
                     1000);
    /* The victim's people as its own report counts them. */
    assert_int_equal(s_fig(g, "sv_enrolled", NULL, "by_member", "victim"),
                     s_fig(own, "sv_enrolled", NULL, NULL, NULL));
    assert_int_equal(s_fig(own, "sv_enrolled", NULL, NULL, NULL), 2);
    json_decref(g);
    json_decref(own);
    json_t *c = s_conflicts(net);
    assert_int_equal(json_array_size(c), 1);
    assert_string_equal(
        json_string_value(th_jget(json_array_get(c, 0), "paid", NULL)),
        "victim");
    json_decref(c);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "verify", "--figures"));

    /* Revoked: its records leave the group's figures. */
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "members", "revoke", "mal"));
    g = s_report(net, net->coord.dir);
    assert_int_equal(s_fig(g, "hv_enrolled", NULL, NULL, NULL), 0);
    assert_int_equal(s_fig(g, "sv_enrolled", NULL, NULL, NULL), 2);
    assert_int_equal(s_fig(g, "sv_enrolled", NULL, "by_member", "mal"), 0);
    json_decref(g);
    c = s_conflicts(net);
    assert_int_equal(json_array_size(c), 0);
    json_decref(c);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "verify", "--figures"));
    net->passed = true;
}

/* One lie of issue 10's list: what a member signs and what the
 * coordinator's refusal names. */
typedef struct {
    const char *member; /* a liar of its own (its log stays stuck) */
    const char *kind;   /* the record */
    const char *key;    /* its key */
    proto_field_t f[6]; /* its body */
    size_t n;           /* fields */
    const char *why;    /* in the refusal */
    uint64_t ahead_ms;  /* its checkpoint dated this far in the future */
} s_lie_t;

/* Every lie about records, and a checkpoint dated an hour ahead: each
 * refused whole (bad-record, bad-time), nothing of it held, while an honest
 * member keeps syncing and the figures verify. */
static void
test_bad_records(void **state)
{
    th_net_t *net = *state;
    static const char pid[] =
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const s_lie_t lies[] = {
        {"wrap",
         "training",
         "t-max",
         {{"completed", 9, TH_INT(INT64_MAX)},
          {"type", 4, TH_STR("rural")},
          {"year", 4, TH_INT(2025)}},
         3,
         "field completed",
         0},
        {"nokind", "bogus", "k1", {{"x", 1, TH_INT(1)}}, 1, "kind", 0},
        {"rules",
         "subsidy_rule",
         "coop_class_subsidy",
         {{"amount", 6, TH_INT(1)}},
         1,
         "written by the coordinator",
         0},
        {"noyear",
         "student",
         pid,
         {{"level", 5, TH_STR("higher")}, {"status", 6, TH_STR("enrolled")}},
         2,
         "intake_year",
         0},
        {"negyear",
         "student",
         pid,
         {{"intake_year", 11, TH_INT(-5)},
          {"level", 5, TH_STR("higher")},
          {"status", 6, TH_STR("enrolled")}},
         3,
         "intake_year",
         0},
        {"extra",
         "student",
         pid,
         {{"bogus", 5, TH_INT(1)},
          {"intake_year", 11, TH_INT(2025)},
          {"level", 5, TH_STR("higher")},
          {"status", 6, TH_STR("enrolled")}},
         4,
         "bogus",
         0},
        {"shortkey",
         "student",
         "p1",
         {{"intake_year", 11, TH_INT(2025)},
          {"level", 5, TH_STR("higher")},
          {"status", 6, TH_STR("enrolled")}},
         3,
         "key",
         0},
        {"oldyear",
         "training",
         "t-1000",
         {{"completed", 9, TH_INT(10)},
          {"type", 4, TH_STR("rural")},
          {"year", 4, TH_INT(1000)}},
         3,
         "field year",
         0},
        {"future",
         "student",
         "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
         {{"intake_year", 11, TH_INT(2025)},
          {"level", 5, TH_STR("higher")},
          {"status", 6, TH_STR("enrolled")}},
         3,
         "bad-time",
         3600 * 1000},
    };
    size_t nlies = sizeof lies / sizeof lies[0];
    th_net_init(net);
    th_node_t *honest = th_net_member(net, "honest", true);
    th_coord_start(net);
    for (size_t i = 0; i < nlies; i++) {
        th_node_t *m = th_net_member(net, lies[i].member, true);
        s_lie_at(m, lies[i].kind, lies[i].key, (proto_field_t *)lies[i].f,
                 lies[i].n,
                 lies[i].ahead_ms ? s_wall_ms() + lies[i].ahead_ms : 0);
        if (lies[i].ahead_ms)
            s_sync_refused_as(net, m, "bad-time", "time");
        else
            s_sync_refused(net, m, lies[i].why);
        assert_true(s_held(net, m->id) <= 0);
        th_put_student(net, honest, lies[i].member, NULL);
        th_run_t r = th_sync(net, honest, 20);
        assert_int_equal(r.status, 0);
        th_run_free(&r);
    }
    assert_int_equal(s_held(net, honest->id), (long long)nlies);
    json_t *g = s_report(net, net->coord.dir),
           *own = s_report(net, honest->dir);
    assert_int_equal(s_fig(g, "hv_enrolled", NULL, NULL, NULL),
                     s_fig(own, "hv_enrolled", NULL, NULL, NULL));
    assert_int_equal(s_fig(g, "hv_enrolled", NULL, NULL, NULL),
                     (long long)nlies);
    json_decref(g);
    json_decref(own);

    /* A key whose X25519 form is the honest member's (its Ed25519 key
     * negated): refused at `members add`, so it cannot take over the
     * honest member's connections. */
    uint8_t pk[PROTO_PUBKEY_LEN];
    char neg[2 * PROTO_PUBKEY_LEN + 1];
    assert_int_equal(proto_unhex(honest->pk, pk, sizeof pk), VOCFED_OK);
    pk[31] ^= 0x80;
    proto_hex(pk, sizeof pk, neg);
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", net->coord.dir, "members", "add", "twin", neg));
    assert_int_not_equal(r.status, 0);
    th_run_free(&r);
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
        S_T(test_claiming_member),
        S_T(test_bad_records),
    };
#undef S_T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
