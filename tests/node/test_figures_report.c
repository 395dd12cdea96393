/* Tests of the report model's rules (issue 10 items 3, 4, 5; SPEC 11.1,
 * 12.3): subsidy rules by year, targets and rules that must name the
 * figure catalogue, the source-school incentive payable only to a
 * registered `school`, and the sections beside the figures (conflicts
 * and exclusions fed by hand to the callbacks the engine calls; roster
 * states). */
#include "node/figures.h"
#include "node/figures_asof.h"
#include "node/figures_catalogue.h"
#include "node/figures_sections.h"
#include "node/node.h"
#include "node/roster.h"
#include "protocol/clock.h"
#include "protocol/kinds.h"
#include "tests/harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

/* One author of the test store. */
typedef th_author_t s_author_t;

/* A coordinator's store with two members. */
typedef struct {
    char dir[64];             /* temp folder */
    store_t *st;              /* the store */
    s_author_t coord, m1, m2; /* the coordinator and two members */
} s_group_t;

static void
s_open(s_group_t *g)
{
    store_opts_t o = {.create = true};
    th_tmpdir(g->dir);
    assert_int_equal(store_open(g->dir, &o, &g->st), 0);
    th_author(&g->coord, "coord", 1);
    th_author(&g->m1, "m1", 2);
    th_author(&g->m2, "m2", 3);
    assert_int_equal(store_author_add(g->st, "coord", g->coord.pk), 0);
    assert_int_equal(store_author_add(g->st, "m1", g->m1.pk), 0);
    assert_int_equal(store_author_add(g->st, "m2", g->m2.pk), 0);
    assert_int_equal(node_figures_attach(g->st, "coord"), 0);
}

static void
s_close(s_group_t *g)
{
    store_destroy(&g->st);
    th_rmdir(g->dir);
}

/* put KIND KEY with the "f=v" of ap by author a through node_append_as
 * (the coordinator's role for the coordinator), signed at time_ms (0:
 * now). Returns its status. */
static int
s_vtry(s_group_t *g, const s_author_t *a, uint64_t time_ms, const char *kind,
       const char *key, va_list ap)
{
    proto_buf_t body;
    proto_buf_init(&body);
    assert_int_equal(th_kind_vbody(kind, ap, &body, NULL), 0);
    store_record_t r = {PROTO_OP_PUT, kind, key, body.data, body.len, false};
    int rc = node_append_as(g->st, a->id, a->sk, a == &g->coord, &r, 1, time_ms,
                            NULL, NULL);
    proto_buf_release(&body);
    return rc;
}

/* put KIND KEY "f=v" ... NULL by author a, now. Returns its status. */
static int
s_try(s_group_t *g, const s_author_t *a, const char *kind, const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    int rc = s_vtry(g, a, 0, kind, key, ap);
    va_end(ap);
    return rc;
}

/* The same signed at time_ms; asserts it is written. */
static void
s_put_at(s_group_t *g, const s_author_t *a, uint64_t time_ms, const char *kind,
         const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    int rc = s_vtry(g, a, time_ms, kind, key, ap);
    va_end(ap);
    assert_int_equal(rc, 0);
}

#define S_PUT(...) assert_int_equal(s_try(__VA_ARGS__, NULL), 0)

#define PID(c)                                                                 \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" c

static json_t *
s_report(s_group_t *g)
{
    json_t *j = NULL;
    assert_int_equal(node_figures_json(g->st, "coord", 0, &j), 0);
    return j;
}

/* figures.<id>.by_year.<year>.<field> as a number (0 when absent). */
static double
s_num(json_t *j, const char *id, const char *year, const char *field)
{
    return json_number_value(
        th_jget(j, "figures", id, "by_year", year, field, NULL));
}

/* Whether the keys of obj (years) come in order, as jansson keeps them:
 * the order every renderer prints them in. At least min of them. */
static void
s_years_in_order(const json_t *obj, size_t min)
{
    const char *key, *prev = NULL;
    json_t *v;
    size_t n = 0;
    assert_true(json_is_object(obj));
    json_object_foreach((json_t *)obj, key, v)
    {
        if (prev && strcmp(prev, key) >= 0)
            fail_msg("years out of order: %s after %s", key, prev);
        prev = key;
        n++;
    }
    assert_true(n >= min);
}

/* Years in order in every list of them (issue 13 item 7): with data in
 * 2026 and 2025 only, the counters gave 2026, 2025 and the policy's 2024
 * came last. */
static void
test_years_in_order(void **state)
{
    (void)state;
    s_group_t g;
    s_open(&g);
    S_PUT(&g, &g.coord, "subsidy_rule", "cross_city_incentive:2025",
          "amount=800");
    for (int y = 2026; y >= 2025; y--) {
        char key[16], cohort[32];
        snprintf(key, sizeof key, "c%d", y);
        snprintf(cohort, sizeof cohort, "cohort_year=%d", y);
        S_PUT(&g, &g.m1, "coop_class", key, "enterprise=江淮", cohort,
              "students_at_start=20", "kind=order");
    }
    json_t *j = s_report(&g);
    /* years in order (issue 13 item 7: they came 2025, 2026, 2024) */
    s_years_in_order(json_object_get(j, "subsidy_total"), 3);
    s_years_in_order(
        th_jget(j, "figures", "coop_class_subsidy", "by_year", NULL), 3);
    s_years_in_order(
        th_jget(j, "figures", "cross_city_incentive", "by_year", NULL), 3);
    const json_t *subs = json_object_get(j, "subsidies");
    for (size_t i = 1; i < json_array_size(subs); i++)
        assert_true(json_integer_value(
                        json_object_get(json_array_get(subs, i - 1), "year")) <=
                    json_integer_value(
                        json_object_get(json_array_get(subs, i), "year")));
    json_decref(j);
    s_close(&g);
}

/* A subsidy rule applies from its year on; a key without a year to every
 * year; without a record, the catalogue's default. */
static void
test_rules_by_year(void **state)
{
    (void)state;
    s_group_t g;
    s_open(&g);
    S_PUT(&g, &g.coord, "subsidy_rule", "coop_class_subsidy", "amount=100000",
          "threshold=20");
    S_PUT(&g, &g.coord, "subsidy_rule", "coop_class_subsidy:2026",
          "amount=120000", "threshold=20");
    S_PUT(&g, &g.coord, "subsidy_rule", "subsidy_total:2025", "amount=0",
          "budget=6000000");
    S_PUT(&g, &g.coord, "subsidy_rule", "cross_city_incentive:2025",
          "amount=800");
    for (int y = 2024; y <= 2026; y++) {
        char key[16], cohort[32];
        snprintf(key, sizeof key, "c%d", y);
        snprintf(cohort, sizeof cohort, "cohort_year=%d", y);
        S_PUT(&g, &g.m1, "coop_class", key, "enterprise=江淮", cohort,
              "students_at_start=20", "kind=order");
    }
    S_PUT(&g, &g.m1, "student", PID("1"), "level=secondary", "status=enrolled",
          "intake_year=2024", "origin_region=340100");
    S_PUT(&g, &g.m1, "student", PID("2"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340100");
    json_t *j = s_report(&g);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2024", "value"), 100000);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2025", "value"), 100000);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2026", "value"), 120000);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2026", "amount"), 120000);
    /* No rule before 2025: the catalogue's 1000; 800 from 2025. */
    assert_int_equal(s_num(j, "cross_city_incentive", "2024", "value"), 1000);
    assert_int_equal(s_num(j, "cross_city_incentive", "2025", "value"), 800);
    assert_int_equal(s_num(j, "subsidy_total", "2024", "budget"), 5000000);
    assert_int_equal(s_num(j, "subsidy_total", "2025", "budget"), 6000000);
    assert_int_equal(s_num(j, "subsidy_total", "2026", "budget"), 6000000);
    assert_int_equal(s_num(j, "subsidy_total", "2026", "value"), 120000);
    json_decref(j);

    /* Changing the 2026 amount does not reprice 2024. */
    S_PUT(&g, &g.coord, "subsidy_rule", "coop_class_subsidy:2026",
          "amount=150000");
    j = s_report(&g);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2024", "value"), 100000);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2026", "value"), 150000);
    json_decref(j);
    s_close(&g);
}

/* A target or rule whose id is not in the catalogue is refused when the
 * coordinator writes it, with a message; a del is not checked. */
static void
test_catalogue_keys(void **state)
{
    (void)state;
    s_group_t g;
    proto_kind_error_t err;
    s_open(&g);
    assert_int_equal(
        s_try(&g, &g.coord, "target", "no_such:2027", "value=1", NULL),
        VOCFED_EINVALID);
    assert_int_equal(
        s_try(&g, &g.coord, "target", "hv_enrolled", "value=1", NULL),
        VOCFED_EINVALID);
    assert_int_equal(
        s_try(&g, &g.coord, "target", "hv_enrolled:1999", "value=1", NULL),
        VOCFED_EINVALID);
    assert_int_equal(
        s_try(&g, &g.coord, "subsidy_rule", "no_such", "amount=1", NULL),
        VOCFED_EINVALID);
    assert_int_equal(
        s_try(&g, &g.coord, "subsidy_rule", "no_such:2026", "amount=1", NULL),
        VOCFED_EINVALID);
    /* a figure id that is not a rule's */
    assert_int_equal(s_try(&g, &g.coord, "subsidy_rule", "consortium_award",
                           "amount=1", NULL),
                     VOCFED_EINVALID);
    S_PUT(&g, &g.coord, "target", "hv_enrolled:2027", "value=14000");
    S_PUT(&g, &g.coord, "subsidy_rule", "consortium_award_national:2026",
          "amount=1");
    S_PUT(&g, &g.coord, "subsidy_rule", "subsidy_total", "amount=0",
          "budget=1");

    assert_int_equal(node_figcat_check("target", "no_such:2027", &err),
                     VOCFED_EINVALID);
    assert_string_equal(err.value, "no_such:2027");
    assert_non_null(strstr(err.reason_en, "not a figure of the catalogue"));
    assert_int_equal(node_figcat_check("target", "hv_enrolled", &err),
                     VOCFED_EINVALID);
    assert_non_null(strstr(err.reason_en, "<figure id>:<year>"));
    assert_int_equal(node_figcat_check("subsidy_rule", "x:2026", &err),
                     VOCFED_EINVALID);
    assert_non_null(strstr(err.reason_en, "not a subsidy rule"));
    assert_int_equal(node_figcat_check("student", "anything", &err), 0);
    assert_true(node_figcat_keyed("target"));
    assert_true(node_figcat_keyed("subsidy_rule"));
    assert_true(node_figcat_keyed("census_date"));
    assert_false(node_figcat_keyed("student"));

    /* Several records in one append, one kind named by the same pointer
     * (looked up once): the bad one is refused whatever its place, and
     * so is a kind the author may not write after one it may. */
    proto_buf_t body;
    proto_buf_init(&body);
    const char *names[] = {"value"}, *values[] = {"1"};
    assert_int_equal(proto_kind_body(proto_kind_find("target"), names, values,
                                     1, &body, &err),
                     0);
    const char *target = "target";
    store_record_t three[3] = {
        {PROTO_OP_PUT, target, "hv_enrolled:2028", body.data, body.len, false},
        {PROTO_OP_PUT, target, "hv_enrolled:2029", body.data, body.len, false},
        {PROTO_OP_PUT, target, "no_such:2030", body.data, body.len, false}};
    size_t bad = 0;
    assert_int_equal(node_append_as(g.st, g.coord.id, g.coord.sk, true, three,
                                    3, 0, NULL, &bad),
                     VOCFED_EINVALID);
    assert_int_equal(bad, 2);
    three[2].key = "hv_enrolled:2030";
    assert_int_equal(node_append_as(g.st, g.coord.id, g.coord.sk, false, three,
                                    3, 0, NULL, &bad),
                     VOCFED_EINVALID); /* a member may not write targets */
    assert_int_equal(bad, 0);
    assert_int_equal(node_append_as(g.st, g.coord.id, g.coord.sk, true, three,
                                    3, 0, NULL, &bad),
                     VOCFED_OK);
    proto_buf_release(&body);

    int year;
    char id[64];
    assert_true(node_figcat_key_year("a:b:2030", id, sizeof id, &year));
    assert_string_equal(id, "a:b");
    assert_int_equal(year, 2030);
    assert_true(node_figcat_key_year("abc:0999", id, sizeof id, &year));
    assert_string_equal(id, "abc:0999");
    assert_int_equal(year, 0);
    assert_false(node_figcat_key_year("abcdef", id, 3, &year));

    /* A del of such a record is not checked: the store says it is not
     * there, not that the key is refused. */
    store_record_t del = {PROTO_OP_DEL, "target", "no_such:2027",
                          NULL,         0,        false};
    assert_int_not_equal(
        node_append_as(g.st, "coord", g.coord.sk, true, &del, 1, 0, NULL, NULL),
        VOCFED_EINVALID);
    s_close(&g);
}

/* The lines of figure id and year in the array arr: their sum. */
static int64_t
s_lines(json_t *arr, const char *id, int year, size_t *n)
{
    size_t i;
    json_t *l;
    int64_t sum = 0;
    *n = 0;
    json_array_foreach(arr, i, l)
    {
        if (strcmp(json_string_value(json_object_get(l, "figure")), id) ||
            json_integer_value(json_object_get(l, "year")) != year)
            continue;
        sum += json_integer_value(json_object_get(l, "total"));
        (*n)++;
    }
    return sum;
}

/* A source-school line whose school is not registered is pending: listed
 * with its amount, counted neither in the figure nor in the total. */
static void
test_school_pending(void **state)
{
    (void)state;
    s_group_t g;
    size_t n;
    s_open(&g);
    const proto_kind_def_t *k = proto_kind_find("school");
    assert_non_null(k);
    assert_true(k->coordinator_only);
    assert_int_equal(s_try(&g, &g.m1, "school", "jh1", "name=一中",
                           "region_code=340803", NULL),
                     VOCFED_EINVALID);
    S_PUT(&g, &g.coord, "school", "jh1", "name=一中", "region_code=340803");
    S_PUT(&g, &g.m1, "student", PID("1"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=jh1");
    S_PUT(&g, &g.m1, "student", PID("2"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=crony");
    S_PUT(&g, &g.m2, "student", PID("3"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340822", "source_school=crony");
    json_t *j = s_report(&g);
    const char *f = "source_school_incentive";
    assert_int_equal(s_num(j, f, "2025", "value"), 500);
    assert_int_equal(s_num(j, f, "2025", "count"), 1);
    assert_int_equal(s_num(j, f, "2025", "pending_value"), 1000);
    assert_int_equal(
        json_integer_value(th_jget(j, "figures", f, "by_year", "2025",
                                   "pending", "crony", NULL)),
        1000);
    assert_null(
        th_jget(j, "figures", f, "by_year", "2025", "by_payee", "crony", NULL));
    assert_int_equal(
        json_integer_value(th_jget(j, "figures", f, "by_year", "2025",
                                   "by_member", "m1", NULL)),
        500);
    assert_null(
        th_jget(j, "figures", f, "by_year", "2025", "by_member", "m2", NULL));
    assert_int_equal(s_num(j, "subsidy_total", "2025", "value"), 500);
    /* the payable lines add up to the figure; the pending one is apart */
    assert_int_equal(s_lines(json_object_get(j, "subsidies"), f, 2025, &n),
                     500);
    assert_int_equal(n, 1);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(j, "subsidies"), 0), "payee_name")),
        "一中");
    assert_int_equal(s_lines(json_object_get(j, "pending"), f, 2025, &n), 1000);
    assert_int_equal(n, 1);
    json_t *p = json_array_get(json_object_get(j, "pending"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "payee")),
                        "crony");
    assert_int_equal(json_integer_value(json_object_get(p, "count")), 2);
    json_decref(j);

    /* Registered: payable. */
    S_PUT(&g, &g.coord, "school", "crony", "name=二中", "region_code=340822");
    j = s_report(&g);
    assert_int_equal(s_num(j, f, "2025", "value"), 1500);
    assert_int_equal(s_num(j, f, "2025", "pending_value"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "pending")), 0);
    assert_int_equal(s_num(j, "subsidy_total", "2025", "value"), 1500);
    json_decref(j);
    s_close(&g);
}

/* The callbacks the engine calls, fed by hand: a contested claim and an
 * excluded member as the report lists them. */
static void
test_sections_json(void **state)
{
    (void)state;
    json_t *arr = json_array();
    node_fig_claim_t claims[3] = {
        {"m1", "jh1", 1}, {"m2", "crony", 1}, {"m3", "", 1}};
    assert_int_equal(
        node_fig_conflict_json(arr, NODE_C_SSI, 2025, "p:" PID("1"), claims, 3),
        0);
    assert_int_equal(
        node_fig_conflict_json(arr, NODE_C_CCI, 2026, "u:x", claims, 2), 0);
    assert_int_equal(json_array_size(arr), 2);
    json_t *c = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(c, "figure")),
                        "source_school_incentive");
    assert_string_equal(json_string_value(json_object_get(c, "counter")),
                        "ssi");
    assert_int_equal(json_integer_value(json_object_get(c, "year")), 2025);
    assert_string_equal(json_string_value(json_object_get(c, "person")),
                        PID("1"));
    assert_string_equal(json_string_value(th_jget(c, "paid", "member", NULL)),
                        "m1");
    assert_string_equal(json_string_value(th_jget(c, "paid", "payee", NULL)),
                        "jh1");
    assert_int_equal(json_array_size(json_object_get(c, "others")), 2);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(c, "others"), 0), "payee")),
        "crony");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(c, "others"), 1), "member")),
        "m3");
    c = json_array_get(arr, 1);
    assert_string_equal(json_string_value(json_object_get(c, "figure")),
                        "cross_city_incentive");
    assert_string_equal(json_string_value(json_object_get(c, "person")), "u:x");
    json_decref(arr);

    arr = json_array();
    assert_int_equal(node_fig_excluded_json(arr, "m9", "revoked", 42), 0);
    c = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(c, "member")), "m9");
    assert_string_equal(json_string_value(json_object_get(c, "why")),
                        "revoked");
    assert_int_equal(json_integer_value(json_object_get(c, "records")), 42);
    json_decref(arr);
}

/* Each member's roster state and quarantine; the conflicts and excluded
 * sections are there (empty until the engine reports any). */
static void
test_roster_states(void **state)
{
    (void)state;
    s_group_t g;
    s_author_t m3;
    s_open(&g);
    th_author(&m3, "m3", 4);
    assert_int_equal(
        node_roster_add(g.st, "coord", g.coord.sk, "m3", m3.pk, "三", "school"),
        0);
    assert_int_equal(node_roster_add(g.st, "coord", g.coord.sk, "m4",
                                     (th_author(&m3, "m4", 5), m3.pk), "四",
                                     "school"),
                     0);
    assert_int_equal(node_roster_set_status(g.st, "coord", g.coord.sk, "m3",
                                            NODE_MEMBER_SUSPENDED),
                     0);
    assert_int_equal(node_roster_set_status(g.st, "coord", g.coord.sk, "m4",
                                            NODE_MEMBER_REVOKED),
                     0);
    json_t *j = s_report(&g);
    assert_string_equal(
        json_string_value(th_jget(j, "members", "m3", "roster", NULL)),
        "suspended");
    assert_string_equal(
        json_string_value(th_jget(j, "members", "m4", "roster", NULL)),
        "revoked");
    /* registered as an author without a roster entry */
    assert_true(json_is_null(th_jget(j, "members", "m1", "roster", NULL)));
    assert_true(
        json_is_false(th_jget(j, "members", "m3", "quarantined", NULL)));
    assert_true(json_is_array(json_object_get(j, "conflicts")));
    assert_true(json_is_array(json_object_get(j, "excluded")));
    assert_true(json_is_array(json_object_get(j, "pending")));
    json_decref(j);
    s_close(&g);
}

/* With the claims engine: a contested claim and a revoked member as the
 * report lists them (first claim paid, the other listed; the revoked
 * member excluded with its records, its roster state shown). */
static void
test_sections_from_engine(void **state)
{
    (void)state;
    s_group_t g;
    char pk[80];
    s_open(&g);
    S_PUT(&g, &g.coord, "school", "jh1", "name=一中", "region_code=340803");
    S_PUT(&g, &g.m1, "student", PID("1"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=jh1");
    S_PUT(&g, &g.m2, "student", PID("1"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=crony");
    S_PUT(&g, &g.m2, "student", PID("2"), "level=higher", "status=enrolled",
          "intake_year=2025");
    json_t *j = s_report(&g);
    json_t *c = json_array_get(json_object_get(j, "conflicts"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "conflicts")), 1);
    assert_string_equal(json_string_value(json_object_get(c, "figure")),
                        "source_school_incentive");
    assert_string_equal(json_string_value(json_object_get(c, "person")),
                        PID("1"));
    assert_string_equal(json_string_value(th_jget(c, "paid", "member", NULL)),
                        "m1");
    assert_string_equal(json_string_value(th_jget(c, "paid", "payee", NULL)),
                        "jh1");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(c, "others"), 0), "member")),
        "m2");
    assert_int_equal(s_num(j, "source_school_incentive", "2025", "value"), 500);
    assert_int_equal(json_array_size(json_object_get(j, "excluded")), 0);
    json_decref(j);

    /* m2 revoked: out of the figures, listed apart with its records. */
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, g.m2.pk, 32);
    int n = snprintf(pk, sizeof pk, "pubkey=%s", hex);
    assert_true(n > 0 && (size_t)n < sizeof pk);
    S_PUT(&g, &g.coord, "member_key", "m2", pk, "status=revoked");
    j = s_report(&g);
    json_t *x = json_array_get(json_object_get(j, "excluded"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "excluded")), 1);
    assert_string_equal(json_string_value(json_object_get(x, "member")), "m2");
    assert_string_equal(json_string_value(json_object_get(x, "why")),
                        "revoked");
    assert_int_equal(json_integer_value(json_object_get(x, "records")), 2);
    assert_string_equal(
        json_string_value(th_jget(j, "members", "m2", "roster", NULL)),
        "revoked");
    assert_int_equal(json_array_size(json_object_get(j, "conflicts")), 0);
    json_decref(j);
    s_close(&g);
}

/* applied.logs.<id>.<field> as an integer (-1 when absent). */
static json_int_t
s_applied(json_t *j, const char *id, const char *field)
{
    json_t *v = th_jget(j, "applied", "logs", id, field, NULL);
    return v ? json_integer_value(v) : -1;
}

/* The group's hv_enrolled (students of higher level enrolled). */
static double
s_hv(json_t *j)
{
    return json_number_value(
        th_jget(j, "figures", "hv_enrolled", "value", NULL));
}

/* The report says up to which seq of each log it is, read in the same
 * snapshot as the counters (SPEC 12.3 `applied`): a store that catches
 * up before a read has every entry in; one opened async_apply (a
 * daemon's; report --no-catch-up) reads the figures as the applier left
 * them, says how many entries are not in them, and its figures are
 * those of that point, not of the log. */
static void
test_applied_as_of(void **state)
{
    (void)state;
    s_group_t g;
    s_open(&g);
    th_students(g.st, "m1", g.m1.sk, 0, 5, 6, NULL);
    json_t *j = s_report(&g);
    assert_true(json_is_true(th_jget(j, "applied", "caught_up", NULL)));
    assert_true(json_is_true(th_jget(j, "applied", "complete", NULL)));
    assert_int_equal(
        json_integer_value(th_jget(j, "applied", "unapplied", NULL)), 0);
    assert_int_equal(s_applied(j, "m1", "applied"), 5);
    assert_int_equal(s_applied(j, "m1", "size"), 5);
    assert_int_equal(s_applied(j, "m2", "applied"), 0);
    assert_int_equal(s_applied(j, "m2", "size"), 0);
    assert_int_equal(s_applied(j, "coord", "size"), 0);
    const char *when = json_string_value(
        th_jget(j, "applied", "logs", "m1", "applied_time", NULL));
    assert_non_null(when);
    assert_int_equal(strlen(when), 20); /* 2026-03-01T08:00:00Z */
    assert_string_equal(json_string_value(th_jget(j, "applied", "logs", "m2",
                                                  "applied_time", NULL)),
                        "");
    assert_true(s_hv(j) == 5);
    json_decref(j);

    /* A daemon's store: the log moves, the figures wait for its applier. */
    store_destroy(&g.st);
    store_opts_t o = {.async_apply = true};
    assert_int_equal(store_open(g.dir, &o, &g.st), 0);
    assert_int_equal(node_figures_attach(g.st, "coord"), 0);
    assert_false(store_catches_up(g.st));
    th_students(g.st, "m1", g.m1.sk, 5, 3, 6, NULL);
    th_students(g.st, "m2", g.m2.sk, 100, 2, 6, NULL); /* other people */
    j = s_report(&g);
    assert_false(json_is_true(th_jget(j, "applied", "caught_up", NULL)));
    assert_false(json_is_true(th_jget(j, "applied", "complete", NULL)));
    assert_int_equal(
        json_integer_value(th_jget(j, "applied", "unapplied", NULL)), 5);
    assert_int_equal(s_applied(j, "m1", "applied"), 5);
    assert_int_equal(s_applied(j, "m1", "size"), 8);
    assert_int_equal(s_applied(j, "m2", "applied"), 0);
    assert_int_equal(s_applied(j, "m2", "size"), 2);
    assert_true(s_hv(j) == 5); /* the figures of the point it gives */
    json_decref(j);

    /* Part applied (a chunk of the applier), then all of it. */
    size_t done = 0;
    assert_int_equal(store_apply(g.st, 3, &done), 0);
    assert_int_equal(done, 3);
    j = s_report(&g);
    assert_int_equal(s_applied(j, "m1", "applied"), 8);
    assert_int_equal(
        json_integer_value(th_jget(j, "applied", "unapplied", NULL)), 2);
    assert_true(s_hv(j) == 8);
    json_decref(j);
    assert_int_equal(store_catch_up(g.st, 0), 0);
    j = s_report(&g);
    assert_true(json_is_true(th_jget(j, "applied", "complete", NULL)));
    assert_int_equal(s_applied(j, "m2", "applied"), 2);
    assert_true(s_hv(j) == 10);
    json_decref(j);
    s_close(&g);
}

/* The report as of a moment replays the logs' prefixes in the order
 * their entries arrived here (SPEC 12.5): m2, registered after m1, sent
 * its claim on a person first, so m2 is paid, as the report made then
 * said; a log copied author by author would pay m1. What is signed after
 * the moment is not in it, and the report then and the one as of then
 * agree but for when they were made. */
static void
test_as_of_arrivals(void **state)
{
    (void)state;
    s_group_t g;
    const uint64_t t0 = 1772352000000ull; /* 2026-03-01T08:00:00Z */
    s_open(&g);
    s_put_at(&g, &g.coord, t0, "school", "jh1", "name=一中",
             "region_code=340803", NULL);
    s_put_at(&g, &g.m2, t0 + 1000, "student", PID("1"), "level=secondary",
             "status=enrolled", "intake_year=2025", "origin_region=340803",
             "source_school=jh1", NULL);
    s_put_at(&g, &g.m1, t0 + 2000, "student", PID("1"), "level=secondary",
             "status=enrolled", "intake_year=2025", "origin_region=340803",
             "source_school=jh1", NULL);
    json_t *then = NULL;
    assert_int_equal(node_figures_json_at(g.st, "coord", 0, t0 + 2000, &then),
                     0);
    /* later: m1 withdraws its claim, another student */
    s_put_at(&g, &g.m1, t0 + 5000, "student", PID("1"), "level=secondary",
             "status=withdrawn", "intake_year=2025", "origin_region=340803",
             NULL);
    s_put_at(&g, &g.m1, t0 + 6000, "student", PID("2"), "level=higher",
             "status=enrolled", "intake_year=2025", NULL);

    node_fig_when_t w = {.at_ms = t0 + 2999};
    json_t *j = NULL;
    assert_int_equal(node_figures_report(g.st, "coord", &w, &j), 0);
    json_t *c = json_array_get(json_object_get(j, "conflicts"), 0);
    assert_non_null(c);
    assert_string_equal(json_string_value(th_jget(c, "paid", "member", NULL)),
                        "m2");
    assert_int_equal(
        json_integer_value(th_jget(j, "figures", "hv_enrolled", "value", NULL)),
        0);
    assert_int_equal(s_applied(j, "m1", "applied"), 1);
    /* the report then, but for made and what the logs do not hold */
    static const char *const gone[] = {"unsent", "receipt_missing", "behind",
                                       "quarantined"};
    json_t *both[2] = {then, j};
    char *text[2];
    for (int i = 0; i < 2; i++) {
        const char *id;
        json_t *m;
        json_object_del(both[i], "made");
        json_object_del(both[i], "census");
        json_object_foreach(json_object_get(both[i], "members"), id, m)
        {
            for (size_t k = 0; k < 4; k++)
                json_object_del(m, gone[k]);
        }
        json_t *f;
        json_object_foreach(json_object_get(both[i], "figures"), id, f)
        {
            json_object_del(f, "basis");
            json_object_del(f, "as_of");
            json_object_del(f, "share_of_target");
        }
        json_object_del(both[i], "member");
        text[i] = json_dumps(both[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_non_null(text[i]);
    }
    assert_string_equal(text[1], text[0]);
    free(text[0]);
    free(text[1]);
    json_decref(then);
    json_decref(j);

    /* a moment after now is refused */
    w.at_ms = proto_now_ms() + 10 * 1000;
    assert_int_equal(node_figures_report(g.st, "coord", &w, &j),
                     VOCFED_EINVALID);
    s_close(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_by_year),
        cmocka_unit_test(test_years_in_order),
        cmocka_unit_test(test_catalogue_keys),
        cmocka_unit_test(test_school_pending),
        cmocka_unit_test(test_sections_json),
        cmocka_unit_test(test_roster_states),
        cmocka_unit_test(test_sections_from_engine),
        cmocka_unit_test(test_applied_as_of),
        cmocka_unit_test(test_as_of_arrivals),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
