/* Tests of the figures (DESIGN 7): known answers computed by hand, the
 * edge cases the policy turns on, and random changes checked against a
 * full recomputation and against the members' own shares. */
#include "node/figures.h"
#include "node/figures_catalogue.h"
#include "node/meta.h"
#include "node/seed.h"
#include "protocol/kinds.h"
#include "tests/harness.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

typedef th_author_t s_author_t;

typedef struct {
    char dir[64]; /* temp folder */
    store_t *st;  /* the store */
} s_node_t;

static void
s_node_open(s_node_t *n, const char *coord)
{
    snprintf(n->dir, sizeof n->dir, "/tmp/vocfed-fig-XXXXXX");
    assert_non_null(mkdtemp(n->dir));
    store_opts_t o = {.create = true};
    assert_int_equal(store_open(n->dir, &o, &n->st), 0);
    assert_int_equal(node_figures_attach(n->st, coord), 0);
}

static void
s_node_close(s_node_t *n)
{
    char cmd[400];
    store_destroy(&n->st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", n->dir);
    assert_int_equal(system(cmd), 0);
}

static void
s_register(s_node_t *n, const s_author_t *a)
{
    assert_int_equal(store_author_add(n->st, a->id, a->pk), 0);
}

/* put KIND KEY "f=v" ... NULL, through the kinds table. */
static void
s_put(s_node_t *n, const s_author_t *a, const char *kind, const char *key, ...)
{
    proto_buf_t body;
    proto_kind_error_t err;
    va_list ap;
    proto_buf_init(&body);
    va_start(ap, key);
    int rc = th_kind_vbody(kind, ap, &body, &err);
    va_end(ap);
    if (rc)
        fprintf(stderr, "kind %s field %s value %s: %s\n", kind, err.field,
                err.value, err.reason_en);
    assert_int_equal(rc, 0);
    store_record_t r = {PROTO_OP_PUT, kind, key, body.data, body.len, false};
    assert_int_equal(store_append(n->st, a->id, a->sk, &r, 1, 0, NULL, NULL),
                     0);
    proto_buf_release(&body);
}

static void
s_del(s_node_t *n, const s_author_t *a, const char *kind, const char *key)
{
    store_record_t r = {PROTO_OP_DEL, kind, key, NULL, 0, false};
    assert_int_equal(store_append(n->st, a->id, a->sk, &r, 1, 0, NULL, NULL),
                     0);
}

static json_t *
s_figs(s_node_t *n, const char *coord)
{
    json_t *j = NULL;
    assert_int_equal(node_figures_json(n->st, coord, 0, &j), 0);
    return j;
}

/* figures.<id>[.by_year.<y>].<field> as an integer or a real. */
static double
s_num(json_t *j, const char *id, const char *year, const char *field)
{
    json_t *f = json_object_get(json_object_get(j, "figures"), id);
    if (year)
        f = json_object_get(json_object_get(f, "by_year"), year);
    json_t *v = json_object_get(f, field);
    assert_non_null(v);
    return json_number_value(v);
}

static double
s_sub(json_t *j, const char *id, const char *year, const char *dim,
      const char *bucket)
{
    json_t *f = json_object_get(json_object_get(j, "figures"), id);
    if (year)
        f = json_object_get(json_object_get(f, "by_year"), year);
    json_t *v = json_object_get(json_object_get(f, dim), bucket);
    return v ? json_number_value(json_is_object(v) ? json_object_get(v, "value")
                                                   : v)
             : 0;
}

static void
s_check(s_node_t *n, const char *coord)
{
    char what[256] = "";
    int rc = node_figures_check(n->st, coord, what, sizeof what);
    if (rc)
        fprintf(stderr, "figures differ: %s\n", what);
    assert_int_equal(rc, 0);
}

#define PID(c)                                                                 \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" c

/* The group of the known-answer test: a coordinator with targets and
 * rules, two members in two counties. */
typedef struct {
    s_node_t n;
    s_author_t coord, m1, m2;
} s_group_t;

static void
s_group(s_group_t *g)
{
    th_author(&g->coord, "coord", 1);
    th_author(&g->m1, "m1", 2);
    th_author(&g->m2, "m2", 3);
    s_node_open(&g->n, "coord");
    s_register(&g->n, &g->coord);
    s_register(&g->n, &g->m1);
    s_register(&g->n, &g->m2);
    s_put(&g->n, &g->coord, "target", "hv_enrolled:2027", "value=14000", NULL);
    s_put(&g->n, &g->coord, "target", "training_person_times:2025",
          "value=40000", NULL);
    s_put(&g->n, &g->coord, "target", "local_retention:2025", "value=0.42",
          NULL);
    s_put(&g->n, &g->coord, "subsidy_rule", "coop_class_subsidy",
          "amount=100000", "threshold=20", NULL);
    s_put(&g->n, &g->coord, "subsidy_rule", "source_school_incentive",
          "amount=500", NULL);
    s_put(&g->n, &g->coord, "subsidy_rule", "cross_city_incentive",
          "amount=1000", NULL);
    /* The source schools the incentive pays (SPEC 12.3: a school not
     * registered is pending). */
    s_put(&g->n, &g->coord, "school", "jh1", "name=一中", "region_code=340803",
          NULL);
    s_put(&g->n, &g->coord, "school", "jh9", "name=九中", "region_code=340803",
          NULL);
    s_put(&g->n, &g->coord, "school", "jh2", "name=二中", "region_code=340803",
          NULL);
    s_put(&g->n, &g->coord, "school", "mal-crony", "name=某校",
          "region_code=340803", NULL);
    s_put(&g->n, &g->coord, "industry", "auto", "name_zh=汽车", "leading=true",
          NULL);
    s_put(&g->n, &g->coord, "industry", "chem", "name_zh=化工", "leading=true",
          NULL);
    s_put(&g->n, &g->coord, "industry", "food", "name_zh=食品", "leading=false",
          NULL);
    s_put(&g->n, &g->m1, "member", "profile", "name_zh=职院", "role=lead",
          "original_affiliation=市政府", "region_code=340803", NULL);
    s_put(&g->n, &g->m2, "member", "profile", "name_zh=县中职",
          "role=county_school", "original_affiliation=县政府",
          "region_code=340826", NULL);
}

static void
test_known_answers(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_node_t *n = &g.n;

    /* People: p1 at both members (3+2) counts once; p2 deleted; p3
     * changed from enrolled to graduated. */
    s_put(n, &g.m1, "student", PID("1"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    s_put(n, &g.m2, "student", PID("1"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    s_put(n, &g.m1, "student", PID("2"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    s_del(n, &g.m1, "student", PID("2"));
    s_put(n, &g.m1, "student", PID("3"), "level=higher", "status=enrolled",
          "intake_year=2023", NULL);
    s_put(n, &g.m1, "student", PID("3"), "level=higher", "status=graduated",
          "intake_year=2023", NULL);
    /* Secondary intake 2025 by origin: 340800 and 340803 are local (3408),
     * 340100 is not. */
    s_put(n, &g.m2, "student", PID("4"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340800", "source_school=jh1",
          NULL);
    s_put(n, &g.m2, "student", PID("5"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=jh1",
          NULL);
    s_put(n, &g.m2, "student", PID("6"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340100", "source_school=jh9",
          NULL);
    /* Cooperation classes of exactly 20 and of 19. */
    s_put(n, &g.m1, "coop_class", "c20", "enterprise=江淮", "cohort_year=2025",
          "students_at_start=20", "kind=order", NULL);
    s_put(n, &g.m1, "coop_class", "c19", "enterprise=江淮", "cohort_year=2025",
          "students_at_start=19", "kind=order", NULL);
    /* Training: one activity co-reported by both members counts once. */
    s_put(n, &g.m1, "training", "t1", "type=upskilling", "year=2025",
          "completed=300", NULL);
    s_put(n, &g.m2, "training", "t1", "type=upskilling", "year=2025",
          "completed=300", NULL);
    s_put(n, &g.m2, "training", "t2", "type=rural", "year=2025", "completed=50",
          NULL);
    /* Graduates of 2025: local employed, non-local employed, further
     * study (not in the denominator). */
    s_put(n, &g.m1, "graduate", PID("7") ":2025", "level=higher",
          "grad_year=2025", "destination=employed", "workplace_region=340803",
          NULL);
    s_put(n, &g.m1, "graduate", PID("8") ":2025", "level=higher",
          "grad_year=2025", "destination=employed", "workplace_region=320100",
          NULL);
    s_put(n, &g.m1, "graduate", PID("9") ":2025", "level=higher",
          "grad_year=2025", "destination=further_study", NULL);
    /* Majors: auto covered, chem not; food (not leading) ignored. */
    s_put(n, &g.m1, "major", "460104", "name=汽车", "level=higher",
          "industries=auto;food", "status=active", NULL);
    s_put(n, &g.m2, "major", "660301", "name=化工", "level=secondary",
          "industries=chem", "status=closed", NULL);

    json_t *j = s_figs(n, "coord");
    assert_int_equal(s_num(j, "hv_enrolled", NULL, "value"), 1);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_member", "m1"), 1);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_member", "m2"), 1);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_county", "340803"), 1);
    /* The county and affiliation breakdowns follow the claim counted (the
     * first received: m1's), so they add up to the group's figure; each
     * member's own share still counts p1 (SPEC 12.2). */
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_county", "340826"), 0);
    assert_int_equal(s_num(j, "sv_enrolled", NULL, "value"), 3);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(j, "figures"), "hv_enrolled"),
            "status")),
        "behind");
    assert_int_equal(s_num(j, "source_school_incentive", "2025", "count"), 2);
    assert_int_equal(s_num(j, "source_school_incentive", "2025", "value"),
                     1000);
    assert_int_equal(
        s_sub(j, "source_school_incentive", "2025", "by_payee", "jh1"), 1000);
    assert_int_equal(s_num(j, "cross_city_incentive", "2025", "value"), 1000);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2025", "count"), 1);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2025", "value"), 100000);
    assert_int_equal(s_num(j, "training_person_times", "2025", "value"), 350);
    assert_int_equal(
        s_sub(j, "training_person_times", "2025", "by_member", "m1"), 300);
    assert_int_equal(s_num(j, "local_retention", "2025", "numerator"), 1);
    assert_int_equal(s_num(j, "local_retention", "2025", "denominator"), 2);
    assert_true(s_num(j, "local_retention", "2025", "value") > 0.49 &&
                s_num(j, "local_retention", "2025", "value") < 0.51);
    assert_int_equal(s_num(j, "industry_coverage", NULL, "numerator"), 1);
    assert_int_equal(s_num(j, "industry_coverage", NULL, "denominator"), 2);
    assert_int_equal(s_num(j, "subsidy_total", "2025", "value"),
                     100000 + 1000 + 1000);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(j, "multi_member_people"), "people")),
                     1);
    json_decref(j);
    s_check(n, "coord");

    /* Back out: p1 leaves m2 (still at m1: still 1), the class of 19
     * grows to 20, p6 moves to a local origin. */
    s_del(n, &g.m2, "student", PID("1"));
    s_put(n, &g.m1, "coop_class", "c19", "enterprise=江淮", "cohort_year=2025",
          "students_at_start=20", "kind=order", NULL);
    s_put(n, &g.m2, "student", PID("6"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340800", "source_school=jh9",
          NULL);
    j = s_figs(n, "coord");
    assert_int_equal(s_num(j, "hv_enrolled", NULL, "value"), 1);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_member", "m2"), 0);
    assert_int_equal(s_num(j, "coop_class_subsidy", "2025", "count"), 2);
    assert_int_equal(s_num(j, "cross_city_incentive", "2025", "value"), 0);
    assert_int_equal(s_num(j, "source_school_incentive", "2025", "count"), 3);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(j, "multi_member_people"), "people")),
                     0);
    json_decref(j);
    s_check(n, "coord");

    /* A member's profile moves county: its people move with it. */
    s_put(n, &g.m1, "member", "profile", "name_zh=职院", "role=lead",
          "original_affiliation=省政府", "region_code=340811", NULL);
    j = s_figs(n, "coord");
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_county", "340803"), 0);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_county", "340811"), 1);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_affiliation", "省政府"),
                     1);
    json_decref(j);
    s_check(n, "coord");
    s_node_close(n);
}

/* A kept counter changed behind the figures' back is found. */
static int
s_poke(void *ctx, store_txn_t *txn)
{
    (void)ctx;
    return store_txn_counter_set(txn, "f|hv|0|g|", 9, 7);
}

/* A person's unit at two members after each member's major (a category
 * counter, its units named by industry): the units of one record are
 * built in scratch that the record before filled, and a student's
 * counters are no category's, so p1 is still one unit, claimed twice and
 * counted once (figures_claims.c s_units). */
static void
test_units_after_categories(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_node_t *n = &g.n;
    s_put(n, &g.m1, "major", "460104", "name=汽车", "level=higher",
          "industries=auto;food", "status=active", NULL);
    s_put(n, &g.m1, "student", PID("1"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    s_put(n, &g.m2, "major", "660301", "name=化工", "level=secondary",
          "industries=chem", "status=active", NULL);
    s_put(n, &g.m2, "student", PID("1"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    json_t *j = s_figs(n, "coord");
    assert_int_equal(s_num(j, "hv_enrolled", NULL, "value"), 1);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_member", "m1"), 1);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_member", "m2"), 1);
    assert_int_equal(s_num(j, "industry_coverage", NULL, "numerator"), 2);
    json_decref(j);
    s_check(n, "coord");
    s_node_close(n);
}

static void
test_check_catches(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_put(&g.n, &g.m1, "student", PID("1"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    s_check(&g.n, "coord");
    assert_int_equal(store_with_txn(g.n.st, s_poke, NULL), 0);
    char what[256] = "";
    assert_int_equal(node_figures_check(g.n.st, "coord", what, sizeof what),
                     VOCFED_ECORRUPT);
    assert_non_null(strstr(what, "f|hv|0|g|"));
    assert_int_equal(node_figures_rebuild(g.n.st, "coord"), 0);
    s_check(&g.n, "coord");
    s_node_close(&g.n);
}

/* A counter set to a value by store_with_txn, or read into ctx. */
typedef struct {
    const char *key; /* the counter's key */
    int64_t value;   /* what to set, or what was read */
    bool set;        /* set it, else read it */
} s_counter_t;

static int
s_counter_txn(void *ctx, store_txn_t *txn)
{
    s_counter_t *c = ctx;
    return c->set
               ? store_txn_counter_set(txn, c->key, strlen(c->key), c->value)
               : store_txn_counter_get(txn, c->key, strlen(c->key), &c->value);
}

static int64_t
s_counter(s_node_t *n, const char *key)
{
    s_counter_t c = {key, 0, false};
    assert_int_equal(store_with_txn(n->st, s_counter_txn, &c), 0);
    return c.value;
}

/* A record that would carry a counter past INT64_MAX is refused by the
 * figures (applied without it, its other counters rolled back with it):
 * the counter keeps its value, never a wrapped one. Both ways a record
 * adds: to the group's buckets of the person it holds (g), and to its
 * member's own (m). Valid records cannot get there (a value is at most
 * 1e9); a counter changed behind the figures' back can. */
static void
test_counter_overflow(void **state)
{
    (void)state;
    static const char *const keys[] = {"f|hv|0|g|", "f|hv|0|m|m1"};
    for (size_t i = 0; i < 2; i++) {
        s_group_t g;
        s_group(&g);
        s_put(&g.n, &g.m1, "student", PID("1"), "level=higher",
              "status=enrolled", "intake_year=2024", NULL);
        const char *other = keys[1 - i];
        assert_int_equal(s_counter(&g.n, keys[i]), 1);
        assert_int_equal(s_counter(&g.n, other), 1);
        s_counter_t c = {keys[i], INT64_MAX, true};
        assert_int_equal(store_with_txn(g.n.st, s_counter_txn, &c), 0);

        s_put(&g.n, &g.m1, "student", PID("2"), "level=higher",
              "status=enrolled", "intake_year=2024", NULL);
        assert_int_equal(s_counter(&g.n, keys[i]), INT64_MAX);
        assert_int_equal(s_counter(&g.n, other), 1); /* rolled back */
        /* A record after it counts as before. */
        assert_int_equal(store_with_txn(g.n.st, s_counter_txn,
                                        &(s_counter_t){keys[i], 1, true}),
                         0);
        s_put(&g.n, &g.m1, "student", PID("3"), "level=higher",
              "status=enrolled", "intake_year=2024", NULL);
        assert_int_equal(s_counter(&g.n, keys[i]), 2);
        assert_int_equal(s_counter(&g.n, other), 2);
        s_node_close(&g.n);
    }
}

/* The check beside the store (node_figures_check_beside). */

/* Whether dir holds a scratch folder of a check. */
static bool
s_scratch_left(const char *dir)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "ls -d %s/verify-figures.* >/dev/null 2>&1", dir);
    return system(cmd) == 0;
}

/* The body of kind from "f=v" ... NULL, through the kinds table. */
static void
s_body(proto_buf_t *out, const char *kind, ...)
{
    proto_kind_error_t err;
    va_list ap;
    va_start(ap, kind);
    int rc = th_kind_vbody(kind, ap, out, &err);
    va_end(ap);
    assert_int_equal(rc, 0);
}

static int
s_beside(s_node_t *n, char *what, size_t cap)
{
    store_destroy(&n->st); /* the check opens the store itself */
    int rc = node_figures_check_beside(n->dir, what, cap, NULL, NULL);
    assert_false(s_scratch_left(n->dir));
    store_opts_t o = {0};
    assert_int_equal(store_open(n->dir, &o, &n->st), 0);
    assert_int_equal(node_figures_attach(n->st, "coord"), 0);
    return rc;
}

/* The first "i|" blob's key into ctx (a proto_buf_t). */
static int
s_first_blob(void *ctx, const void *key, size_t klen, const uint8_t *data,
             size_t len)
{
    (void)data;
    (void)len;
    proto_buf_t *b = ctx;
    if (b->len)
        return VOCFED_OK;
    return proto_buf_append(b, key, klen);
}

static int
s_poke_blob(void *ctx, store_txn_t *txn)
{
    proto_buf_t *b = ctx;
    int rc = store_txn_scan_blobs(txn, "i|", 2, s_first_blob, b);
    return rc ? rc : store_txn_blob_set(txn, b->data, b->len, "x", 1);
}

static void
test_check_beside(void **state)
{
    (void)state;
    s_group_t g;
    char what[256];
    s_group(&g);
    /* The check opens the folder as a node does: a coordinator's. */
    assert_int_equal(
        store_meta_set(g.n.st, NODE_META_ROLE, NODE_ROLE_COORDINATOR), 0);
    assert_int_equal(store_meta_set(g.n.st, NODE_META_ID, "coord"), 0);
    for (int i = 0; i < 6; i++) {
        char key[80];
        snprintf(key, sizeof key, PID("%d"), i);
        key[64] = 0;
        s_put(&g.n, i % 2 ? &g.m1 : &g.m2, "student", key + (i > 9),
              i % 3 ? "level=higher" : "level=secondary", "status=enrolled",
              "intake_year=2024", NULL);
    }
    assert_int_equal(s_beside(&g.n, what, sizeof what), 0);

    /* A kept counter changed: named, with both values. */
    s_counter_t c = {"f|hv|0|g|", 7, true};
    assert_int_equal(store_with_txn(g.n.st, s_counter_txn, &c), 0);
    assert_int_equal(s_beside(&g.n, what, sizeof what), VOCFED_ECORRUPT);
    assert_string_equal(what, "f|hv|0|g| is 7 but the logs give 4");
    /* One missing. */
    c.value = 0;
    assert_int_equal(store_with_txn(g.n.st, s_counter_txn, &c), 0);
    assert_int_equal(s_beside(&g.n, what, sizeof what), VOCFED_ECORRUPT);
    assert_string_equal(what, "f|hv|0|g| is 0 but the logs give 4");
    assert_int_equal(node_figures_rebuild(g.n.st, "coord"), 0);
    assert_int_equal(s_beside(&g.n, what, sizeof what), 0);

    /* A person's list changed: named by its pseudo_id. */
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(store_with_txn(g.n.st, s_poke_blob, &b), 0);
    proto_buf_release(&b);
    assert_int_equal(s_beside(&g.n, what, sizeof what), VOCFED_ECORRUPT);
    assert_non_null(strstr(what, "i|"));
    assert_non_null(
        strstr(what, "is a stored value but the logs give another"));
    assert_int_equal(node_figures_rebuild(g.n.st, "coord"), 0);
    assert_int_equal(s_beside(&g.n, what, sizeof what), 0);

    /* An arrival's run longer than two chunks (STORE_APPLY_FIT_MIN): the
     * recomputation takes it in several. */
    th_students(g.n.st, g.m1.id, g.m1.sk, 1000, 2 * STORE_APPLY_FIT_MIN + 100,
                1, NULL);
    assert_int_equal(s_beside(&g.n, what, sizeof what), 0);

    /* The kept data stopped inside an arrival's run (its chunk ended
     * there): the recomputation goes as far, and they agree. */
    store_destroy(&g.n.st);
    store_opts_t o = {.async_apply = true};
    assert_int_equal(store_open(g.n.dir, &o, &g.n.st), 0);
    assert_int_equal(node_figures_attach(g.n.st, "coord"), 0);
    store_record_t recs[10];
    proto_buf_t bodies[10];
    char keys[10][80];
    for (int i = 0; i < 10; i++) {
        proto_buf_init(&bodies[i]);
        s_body(&bodies[i], "student", "level=higher", "status=enrolled",
               "intake_year=2025", NULL);
        snprintf(keys[i], sizeof keys[i], PID("b%d"), i);
        keys[i][64] = 0;
        recs[i] = (store_record_t){PROTO_OP_PUT,   "student",     keys[i],
                                   bodies[i].data, bodies[i].len, false};
    }
    assert_int_equal(
        store_append(g.n.st, g.m1.id, g.m1.sk, recs, 10, 0, NULL, NULL), 0);
    for (int i = 0; i < 10; i++)
        proto_buf_release(&bodies[i]);
    uint64_t before, after;
    assert_int_equal(store_applied(g.n.st, g.m1.id, &before), 0);
    size_t done = 0;
    assert_int_equal(store_apply(g.n.st, 4, &done), 0);
    assert_int_equal(done, 4);
    assert_int_equal(store_applied(g.n.st, g.m1.id, &after), 0);
    assert_int_equal(after, before + 4);
    assert_int_equal(s_beside(&g.n, what, sizeof what), 0);

    /* A scratch folder left by a check that stopped is removed. */
    char stale[200], file[260];
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    snprintf(stale, sizeof stale, "%s/verify-figures.%ld", g.n.dir, (long)pid);
    assert_int_equal(mkdir(stale, 0700), 0);
    snprintf(file, sizeof file, "%s/derived.mdb", stale);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(s_beside(&g.n, what, sizeof what), 0);

    /* Kept derived data applied past what the logs hold (another copy's,
     * put in by hand): said so, no crash. */
    char copy[100], cmd[400];
    snprintf(copy, sizeof copy, "%s.copy", g.n.dir);
    store_destroy(&g.n.st);
    snprintf(cmd, sizeof cmd, "cp -a %s %s", g.n.dir, copy);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(store_open(g.n.dir, &o, &g.n.st), 0);
    assert_int_equal(node_figures_attach(g.n.st, "coord"), 0);
    s_put(&g.n, &g.m2, "student", PID("z"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    assert_int_equal(store_catch_up(g.n.st, 0), 0);
    store_destroy(&g.n.st);
    snprintf(cmd, sizeof cmd, "cp %s/derived.mdb %s/derived.mdb", g.n.dir,
             copy);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(
        node_figures_check_beside(copy, what, sizeof what, NULL, NULL),
        VOCFED_ECORRUPT);
    assert_non_null(strstr(what, "does not fit its logs"));
    assert_false(s_scratch_left(copy));
    snprintf(cmd, sizeof cmd, "rm -rf %s", copy);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(store_open(g.n.dir, &o, &g.n.st), 0);
    s_node_close(&g.n);
}

/* Random puts, changes and deletes at three members: the coordinator's
 * kept figures equal a full recomputation, and each member's own store
 * (its share) equals the coordinator's by_member where shares add. */
static void
test_random(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_author_t m3;
    th_author(&m3, "m3", 4);
    s_register(&g.n, &m3);
    s_author_t *ms[3] = {&g.m1, &g.m2, &m3};
    s_node_t own[3];
    for (int i = 0; i < 3; i++) {
        s_node_open(&own[i], NULL);
        s_register(&own[i], ms[i]);
    }
    static const char *const levels[] = {"higher", "secondary"};
    static const char *const status[] = {"enrolled", "graduated", "withdrawn"};
    static const char *const regions[] = {"340800", "340803", "340100",
                                          "320500"};
    srand(7);
    for (int step = 0; step < 600; step++) {
        int m = rand() % 3, p = rand() % 40;
        char pid[80], lv[32], st[32], rg[32], yr[32];
        snprintf(pid, sizeof pid, "%064x", p);
        snprintf(lv, sizeof lv, "level=%s", levels[rand() % 2]);
        snprintf(st, sizeof st, "status=%s", status[rand() % 3]);
        snprintf(rg, sizeof rg, "origin_region=%s", regions[rand() % 4]);
        snprintf(yr, sizeof yr, "intake_year=%d", 2024 + rand() % 3);
        int what = rand() % 10;
        s_node_t *targets[2] = {&g.n, &own[m]};
        for (int t = 0; t < 2; t++) {
            proto_buf_t b;
            uint64_t seq;
            proto_buf_init(&b);
            bool exists = store_record_get(targets[t]->st, ms[m]->id, "student",
                                           pid, &b, &seq) == 0;
            proto_buf_release(&b);
            if (what == 0 && exists)
                s_del(targets[t], ms[m], "student", pid);
            else if (what != 0)
                s_put(targets[t], ms[m], "student", pid, lv, st, yr, rg,
                      "source_school=jh", NULL);
        }
    }
    s_check(&g.n, "coord");
    json_t *j = s_figs(&g.n, "coord");
    int64_t sum_people = 0;
    for (int i = 0; i < 3; i++) {
        s_check(&own[i], NULL);
        json_t *mine = s_figs(&own[i], NULL);
        /* Per member counts at the coordinator are the member's own. */
        assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_member", ms[i]->id),
                         s_num(mine, "hv_enrolled", NULL, "value"));
        assert_int_equal(s_sub(j, "sv_enrolled", NULL, "by_member", ms[i]->id),
                         s_num(mine, "sv_enrolled", NULL, "value"));
        assert_int_equal(
            s_sub(j, "cross_city_incentive", "2025", "by_member", ms[i]->id),
            s_num(mine, "cross_city_incentive", "2025", "value"));
        sum_people += (int64_t)s_num(mine, "hv_enrolled", NULL, "value");
        json_decref(mine);
        s_node_close(&own[i]);
    }
    /* People at several members are counted once: the group is at most
     * the sum of the shares. */
    assert_true(s_num(j, "hv_enrolled", NULL, "value") <= sum_people);
    json_decref(j);
    s_node_close(&g.n);
}

/* A map that fills while the figures are written grows and the write
 * succeeds (SPEC 5.4): the figures' writes must hand MDB_MAP_FULL back. */
static void
test_map_growth(void **state)
{
    (void)state;
    s_node_t n;
    s_author_t a;
    th_author(&a, "m1", 9);
    snprintf(n.dir, sizeof n.dir, "/tmp/vocfed-fig-XXXXXX");
    assert_non_null(mkdtemp(n.dir));
    store_opts_t o = {.create = true, .map_size = 64 * 1024};
    assert_int_equal(store_open(n.dir, &o, &n.st), 0);
    assert_int_equal(node_figures_attach(n.st, NULL), 0);
    s_register(&n, &a);
    size_t before = store_map_size(n.st);
    for (int i = 0; i < 3000; i++) {
        char pid[80];
        snprintf(pid, sizeof pid, "%064x", i);
        s_put(&n, &a, "student", pid, "level=higher", "status=enrolled",
              "intake_year=2025", "origin_region=340100", NULL);
    }
    assert_true(store_map_size(n.st) > before);
    json_t *j = s_figs(&n, NULL);
    assert_int_equal(s_num(j, "hv_enrolled", NULL, "value"), 3000);
    json_decref(j);
    s_check(&n, NULL);
    s_node_close(&n);
}

/* The catalogue is the one list of figures: the JSON has its figures in
 * its order, the seed writes its targets and subsidy rules, every counter
 * has one short key, and the report lists figures in the catalogue's
 * order (DESIGN 7's). */
static void
test_catalogue(void **state)
{
    (void)state;
    size_t n;
    const node_fig_def_t *cat = node_figcat(&n);
    for (int c = 0; c < NODE_C_COUNT; c++) {
        assert_non_null(node_counter_key((node_counter_t)c));
        for (int d = 0; d < c; d++)
            assert_string_not_equal(node_counter_key((node_counter_t)c),
                                    node_counter_key((node_counter_t)d));
    }
    assert_null(node_counter_key(NODE_C_COUNT));
    assert_string_equal(node_counter_key(NODE_C_HV), "hv");
    /* DESIGN 7's order, which the JSON and the report follow. */
    assert_int_equal(n, TH_DESIGN7_N);
    for (size_t r = 0; r < n; r++)
        assert_string_equal(cat[r].id, th_design7[r]);
    assert_ptr_equal(node_figcat_find("hv_enrolled"), &cat[0]);
    assert_null(node_figcat_find("nothing"));
    assert_int_equal(node_figcat_rule("coop_class_subsidy")->threshold, 20);

    s_node_t node;
    s_author_t coord;
    th_author(&coord, "coord", 1);
    s_node_open(&node, "coord");
    s_register(&node, &coord);
    assert_int_equal(node_seed_coordinator(node.st, coord.id, coord.sk, NULL),
                     0);
    json_t *j = s_figs(&node, "coord");
    const char *id;
    json_t *v;
    size_t i = 0;
    json_object_foreach(json_object_get(j, "figures"), id, v)
    {
        assert_true(i < n);
        assert_string_equal(id, cat[i].id);
        i++;
    }
    assert_int_equal(i, n);
    json_decref(j);

    size_t records = 0;
    for (i = 0; i < n; i++) {
        for (size_t t = 0; t < cat[i].ntargets; t++, records++) {
            char key[96], text[32];
            proto_buf_t b;
            proto_entry_t e;
            proto_value_t val;
            uint64_t seq;
            snprintf(key, sizeof key, "%s:%d", cat[i].id,
                     cat[i].targets[t].year);
            proto_buf_init(&b);
            assert_int_equal(
                store_record_get(node.st, "coord", "target", key, &b, &seq), 0);
            assert_int_equal(proto_entry_decode(b.data, b.len, &e), 0);
            assert_int_equal(proto_body_get(e.body, e.body_len, "value", &val),
                             0);
            snprintf(text, sizeof text, "%.*s", (int)val.slen, val.s);
            assert_string_equal(text, cat[i].targets[t].value);
            proto_buf_release(&b);
        }
        for (size_t r = 0; r < cat[i].nrules; r++, records++) {
            proto_buf_t b;
            proto_entry_t e;
            proto_value_t val;
            uint64_t seq;
            proto_buf_init(&b);
            assert_int_equal(store_record_get(node.st, "coord", "subsidy_rule",
                                              cat[i].rules[r].id, &b, &seq),
                             0);
            assert_int_equal(proto_entry_decode(b.data, b.len, &e), 0);
            assert_int_equal(proto_body_get(e.body, e.body_len, "amount", &val),
                             0);
            assert_int_equal(val.i, cat[i].rules[r].amount);
            proto_buf_release(&b);
        }
    }
    assert_true(records > 0 && records < node_seed_count());
    s_node_close(&node);
}

/* ---- claims: each yuan owed once (issue 10) ----------------------------- */

/* The contested claims node_figures_conflicts hands over. */
typedef struct {
    int n;                            /* how many */
    char first[PROTO_ID_MAX + 1];     /* the paid claim's member */
    char first_payee[64];             /* and payee */
    char second[PROTO_ID_MAX + 1];    /* the next claim's member */
    int counter, year;                /* the last one's unit */
    char identity[PROTO_KEY_MAX + 1]; /* and identity */
} s_conflicts_t;

static int
s_conflict(void *ctx, node_counter_t counter, int year, const char *identity,
           const node_fig_claim_t *claims, size_t n)
{
    s_conflicts_t *c = ctx;
    assert_true(n >= 2);
    c->n++;
    c->counter = (int)counter;
    c->year = year;
    snprintf(c->identity, sizeof c->identity, "%s", identity);
    snprintf(c->first, sizeof c->first, "%s", claims[0].member);
    snprintf(c->first_payee, sizeof c->first_payee, "%s", claims[0].payee);
    snprintf(c->second, sizeof c->second, "%s", claims[1].member);
    return 0;
}

static s_conflicts_t
s_conflicts(s_node_t *n)
{
    s_conflicts_t c = {0};
    assert_int_equal(node_figures_conflicts(n->st, s_conflict, &c), 0);
    return c;
}

/* Every money figure's payee lines add up to its value, every year. */
static void
s_lines_add_up(json_t *j)
{
    size_t n;
    const node_fig_def_t *cat = node_figcat(&n);
    for (size_t i = 0; i < n; i++) {
        if (cat[i].shape != NODE_FIG_MONEY)
            continue;
        json_t *by = json_object_get(
            json_object_get(json_object_get(j, "figures"), cat[i].id),
            "by_year");
        const char *y;
        json_t *o;
        json_object_foreach(by, y, o)
        {
            json_t *payees = json_object_get(o, "by_payee"), *v;
            const char *p;
            double sum = 0;
            json_object_foreach(payees, p, v) sum += json_number_value(v);
            if (payees && json_object_size(payees))
                assert_int_equal(
                    (int64_t)sum,
                    (int64_t)json_number_value(json_object_get(o, "value")));
        }
    }
}

/* A second member entering another's student under a crony school: the
 * first claim received is paid, once; the other is listed as contested;
 * when the first is withdrawn the next is paid. */
static void
test_claims_paid_once(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_node_t *n = &g.n;
    s_put(n, &g.m1, "student", PID("1"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=jh1",
          NULL);
    s_put(n, &g.m2, "student", PID("1"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=mal-crony",
          NULL);
    json_t *j = s_figs(n, "coord");
    assert_int_equal(s_num(j, "source_school_incentive", "2025", "count"), 1);
    assert_int_equal(
        s_sub(j, "source_school_incentive", "2025", "by_payee", "jh1"), 500);
    assert_int_equal(
        s_sub(j, "source_school_incentive", "2025", "by_payee", "mal-crony"),
        0);
    /* The breakdowns follow the claim paid: m1's county only. */
    assert_int_equal(s_sub(j, "sv_enrolled", NULL, "by_county", "340803"), 1);
    assert_int_equal(s_sub(j, "sv_enrolled", NULL, "by_county", "340826"), 0);
    /* Each member's own share still counts its people. */
    assert_int_equal(s_sub(j, "sv_enrolled", NULL, "by_member", "m2"), 1);
    s_lines_add_up(j);
    json_decref(j);
    s_conflicts_t c = s_conflicts(n);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.counter, NODE_C_SSI);
    assert_int_equal(c.year, 2025);
    assert_string_equal(c.identity, "p:" PID("1"));
    assert_string_equal(c.first, "m1");
    assert_string_equal(c.first_payee, "jh1");
    assert_string_equal(c.second, "m2");
    s_check(n, "coord");

    /* m1 withdraws its claim: m2's is paid, nothing is contested. */
    s_del(n, &g.m1, "student", PID("1"));
    j = s_figs(n, "coord");
    assert_int_equal(
        s_sub(j, "source_school_incentive", "2025", "by_payee", "mal-crony"),
        500);
    assert_int_equal(
        s_sub(j, "source_school_incentive", "2025", "by_payee", "jh1"), 0);
    assert_int_equal(s_sub(j, "sv_enrolled", NULL, "by_county", "340826"), 1);
    s_lines_add_up(j);
    json_decref(j);
    assert_int_equal(s_conflicts(n).n, 0);
    s_check(n, "coord");
    s_node_close(n);
}

/* One member's records about another's person cost that member only:
 * 101 graduate rows (every valid year) for the victim's person leave the
 * victim's writes and counts alone. */
static void
test_person_bounded_per_member(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_node_t *n = &g.n;
    for (int y = 2000; y <= 2100; y++) {
        char key[96], gy[32];
        snprintf(key, sizeof key, "%s:%d", PID("1"), y);
        snprintf(gy, sizeof gy, "grad_year=%d", y);
        s_put(n, &g.m2, "graduate", key, "level=higher", gy,
              "destination=employed", "workplace_region=340803", NULL);
    }
    s_put(n, &g.m1, "student", PID("1"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    s_put(n, &g.m1, "student", PID("2"), "level=higher", "status=enrolled",
          "intake_year=2024", NULL);
    json_t *j = s_figs(n, "coord");
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_member", "m1"), 2);
    assert_int_equal(s_num(j, "hv_enrolled", NULL, "value"), 2);
    json_decref(j);
    s_check(n, "coord");
    s_node_close(n);
}

/* A record that would yield more items than a record may is refused
 * whole, never cut short: nothing of it is written. */
static void
test_too_many_items_refused(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    char list[512] = "";
    for (int i = 0; i < NODE_FIG_ITEMS_MAX + 1; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%si%d",
                 i ? ";" : "", i);
    const char *names[] = {"name", "level", "industries", "status"};
    const char *values[] = {"x", "higher", list, "active"};
    proto_buf_t body;
    proto_kind_error_t err;
    proto_buf_init(&body);
    int rc = proto_kind_body(proto_kind_find("major"), names, values, 4, &body,
                             &err);
    assert_int_equal(rc, 0); /* the kinds table takes it */
    {
        store_record_t r = {PROTO_OP_PUT, "major",  "460104",
                            body.data,    body.len, false};
        assert_int_equal(
            store_append(g.n.st, g.m1.id, g.m1.sk, &r, 1, 0, NULL, NULL),
            VOCFED_EBADRECORD);
        proto_buf_t b;
        uint64_t seq;
        proto_buf_init(&b);
        assert_int_equal(
            store_record_get(g.n.st, g.m1.id, "major", "460104", &b, &seq),
            VOCFED_ENOTFOUND);
        proto_buf_release(&b);
    }
    proto_buf_release(&body);
    s_check(&g.n, "coord");
    s_node_close(&g.n);
}

/* The store's check asks node_figrules_may_refuse first: only kinds
 * whose records may yield more than NODE_FIG_ITEMS_MAX items (a major's
 * industries: no bound) are read further; a student's (6 at most), a
 * kind without a rule and a prefix of a kind's name are not. */
static void
test_may_refuse(void **state)
{
    (void)state;
    assert_true(node_figrules_may_refuse("major", 5));
    assert_false(node_figrules_may_refuse("student", 7));
    assert_false(node_figrules_may_refuse("staff", 5));
    assert_false(node_figrules_may_refuse("majorx", 5 + 1));
    assert_false(node_figrules_may_refuse("maj", 3));
    assert_false(node_figrules_may_refuse("census_date", 11));
    /* kind_len bytes of a longer buffer, as an entry's kind is */
    assert_true(node_figrules_may_refuse("major|460104", 5));
}

/* A new person's lists and claims are stored led by the person (SPEC
 * 5.1 `figures`): after every key stored, so that each page fills.
 * Keyed `h|`/`i|<member>|` then the person, each insert landed in front
 * of the next range's first key and LMDB split the page in the middle:
 * half full (persons.h). Two members take new persons in turns, one
 * write each: with the old keys this test's pages are 58% full. The
 * scans by prefix still find one member's lists, every claim, and the
 * figures equal a recomputation. */
#define S_LED_ROUNDS 30
#define S_LED_BATCH 100

static int
s_count_blob(void *ctx, const void *key, size_t klen, const uint8_t *data,
             size_t len)
{
    (void)key;
    (void)klen;
    (void)data;
    (void)len;
    (*(size_t *)ctx)++;
    return VOCFED_OK;
}

/* The rows whose key begins with prefix, then (hex not NULL) a
 * person: its mark 0x01 and the 32 bytes of hex (the key as the figures
 * give it to the store, SPEC 12.2). */
static size_t
s_blobs(s_node_t *n, const char *prefix, const char *hex)
{
    uint8_t k[120];
    size_t c = 0, len = strlen(prefix);
    memcpy(k, prefix, len);
    if (hex) {
        k[len++] = 0x01;
        assert_int_equal(sodium_hex2bin(k + len, 32, hex, 64, NULL, NULL, NULL),
                         0);
        len += 32;
    }
    assert_int_equal(store_scan_blobs(n->st, k, len, s_count_blob, &c), 0);
    return c;
}

static void
test_lists_led_by_person(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_node_t *n = &g.n;
    static char keys[S_LED_BATCH][65];
    store_record_t r[S_LED_BATCH];
    proto_buf_t body;
    proto_buf_init(&body);
    s_body(&body, "student", "level=higher", "status=enrolled",
           "intake_year=2024", NULL);
    /* Round k: m1 takes persons 2k*B.., m2 persons (2k+1)*B..; the first
     * round's persons of m1 also at m2 (a person at two members). */
    for (int k = 0; k < S_LED_ROUNDS; k++) {
        for (int m = 0; m < 2; m++) {
            int first = (2 * k + m) * S_LED_BATCH;
            if (k == 0 && m == 1)
                first = 0;
            for (int i = 0; i < S_LED_BATCH; i++) {
                snprintf(keys[i], sizeof keys[i], "%064x", first + i + 1);
                r[i] = (store_record_t){PROTO_OP_PUT, "student", keys[i],
                                        body.data,    body.len,  false};
            }
            const s_author_t *a = m ? &g.m2 : &g.m1;
            assert_int_equal(store_append(n->st, a->id, a->sk, r, S_LED_BATCH,
                                          0, NULL, NULL),
                             0);
        }
    }
    proto_buf_release(&body);
    size_t per = S_LED_ROUNDS * S_LED_BATCH; /* lists of each member */
    size_t persons = 2 * per - S_LED_BATCH;  /* the first round's shared */
    uint64_t pages, psize, bytes, led;
    assert_int_equal(
        store_test_figures_pages(n->st, &pages, &psize, &bytes, &led), 0);
    assert_int_equal(led, 2 * per + persons); /* every list and claim */
    double fill = (double)bytes / (double)(pages * (psize - 16));
    print_message("figures: %" PRIu64 " leaf pages, %.2f full\n", pages, fill);
    assert_true(fill > 0.8);
    assert_int_equal(s_blobs(n, "i|m1|", NULL), per);
    assert_int_equal(s_blobs(n, "i|m2|", NULL), per);
    assert_int_equal(s_blobs(n, "i|", NULL), 2 * per);
    assert_int_equal(s_blobs(n, "h|", NULL), persons);
    assert_int_equal(s_blobs(n, "h|", PID("1")), 0); /* never seen */
    char one[65];
    snprintf(one, sizeof one, "%064x", 1);
    assert_int_equal(s_blobs(n, "h|", one), 1);
    assert_int_equal(s_blobs(n, "i|m2|", one), 1);
    assert_int_equal(s_blobs(n, "i|m1|", one), 1);
    snprintf(one, sizeof one, "%064x", 2 * S_LED_BATCH + 1); /* m1's only */
    assert_int_equal(s_blobs(n, "i|m1|", one), 1);
    assert_int_equal(s_blobs(n, "i|m2|", one), 0);
    json_t *j = s_figs(n, "coord");
    assert_int_equal(s_num(j, "hv_enrolled", NULL, "value"), persons);
    json_decref(j);
    s_check(n, "coord");
    s_node_close(n);
}

/* A revoked member's records leave the group's figures (kept as
 * evidence, listed as excluded); a suspended one keeps counting. */
typedef struct {
    int n;                     /* excluded members */
    char id[PROTO_ID_MAX + 1]; /* the last one */
    int64_t records;           /* its records */
} s_excl_t;

static int
s_excl(void *ctx, const char *member, const char *why, int64_t records)
{
    s_excl_t *e = ctx;
    assert_string_equal(why, "revoked");
    e->n++;
    snprintf(e->id, sizeof e->id, "%s", member);
    e->records = records;
    return 0;
}

static void
s_status_put(s_group_t *g, const s_author_t *m, const char *status)
{
    char pk[80], st[40];
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, m->pk, 32);
    int n = snprintf(pk, sizeof pk, "pubkey=%s", hex);
    assert_true(n > 0 && (size_t)n < sizeof pk);
    snprintf(st, sizeof st, "status=%s", status);
    s_put(&g->n, &g->coord, "member_key", m->id, pk, st, NULL);
}

static void
test_revoked_excluded(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_node_t *n = &g.n;
    s_put(n, &g.m2, "student", PID("1"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=jh2",
          NULL);
    s_put(n, &g.m1, "student", PID("1"), "level=secondary", "status=enrolled",
          "intake_year=2025", "origin_region=340803", "source_school=jh1",
          NULL);
    s_put(n, &g.m2, "student", PID("2"), "level=higher", "status=enrolled",
          "intake_year=2025", NULL);
    s_status_put(&g, &g.m2, "suspended");
    json_t *j = s_figs(n, "coord");
    assert_int_equal(s_num(j, "hv_enrolled", NULL, "value"), 1);
    assert_int_equal(
        s_sub(j, "source_school_incentive", "2025", "by_payee", "jh2"), 500);
    json_decref(j);
    s_status_put(&g, &g.m2, "revoked");
    j = s_figs(n, "coord");
    assert_int_equal(s_num(j, "hv_enrolled", NULL, "value"), 0);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_member", "m2"), 0);
    /* m1's claim, second before, is now the one paid. */
    assert_int_equal(
        s_sub(j, "source_school_incentive", "2025", "by_payee", "jh1"), 500);
    assert_int_equal(
        s_sub(j, "source_school_incentive", "2025", "by_payee", "jh2"), 0);
    s_lines_add_up(j);
    json_decref(j);
    s_excl_t e = {0};
    assert_int_equal(node_figures_excluded(n->st, s_excl, &e), 0);
    assert_int_equal(e.n, 1);
    assert_string_equal(e.id, "m2");
    assert_int_equal(e.records, 3); /* its profile and two students */
    assert_int_equal(s_conflicts(n).n, 0);
    s_check(n, "coord");
    assert_int_equal(node_figures_rebuild(n->st, "coord"), 0);
    s_check(n, "coord");
    s_node_close(n);
}

/* A member's affiliation or county change moves what it holds from the
 * old buckets to the new, and nothing else. */
static void
test_profile_change(void **state)
{
    (void)state;
    s_group_t g;
    s_group(&g);
    s_node_t *n = &g.n;
    for (int i = 0; i < 30; i++) {
        char pid[80];
        snprintf(pid, sizeof pid, "%064x", i);
        s_put(n, i % 2 ? &g.m1 : &g.m2, "student", pid, "level=higher",
              "status=enrolled", "intake_year=2025", NULL);
    }
    s_put(n, &g.m2, "member", "profile", "name_zh=县中职", "role=county_school",
          "original_affiliation=市教育局", "region_code=340881", NULL);
    json_t *j = s_figs(n, "coord");
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_county", "340826"), 0);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_county", "340881"), 15);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_county", "340803"), 15);
    assert_int_equal(
        s_sub(j, "hv_enrolled", NULL, "by_affiliation", "市教育局"), 15);
    assert_int_equal(s_sub(j, "hv_enrolled", NULL, "by_affiliation", "县政府"),
                     0);
    json_decref(j);
    s_check(n, "coord");
    s_node_close(n);
}

/* Property: random puts, changes and deletes of the same people by four
 * members with different schools and regions, profile changes, and a
 * revocation midway. After every round the payee lines of every subsidy
 * and year add up to its value and the kept figures equal a replay; at
 * the end they equal the figures of a store that only ever had the
 * members that were not excluded (the same writes in the same order). */
static void
test_property_claims(void **state)
{
    (void)state;
    s_group_t g, clean;
    s_group(&g);
    s_group(&clean);
    s_author_t m3;
    th_author(&m3, "m3", 4);
    s_register(&g.n, &m3);
    s_register(&clean.n, &m3);
    s_author_t *ms[3] = {&g.m1, &g.m2, &m3};
    static const char *const schools[] = {"jh1", "jh2", "mal-crony"};
    static const char *const regions[] = {"340800", "340803", "340100"};
    srand(11);
    for (int step = 0; step < 400; step++) {
        int m = rand() % 3, p = rand() % 12, what = rand() % 12;
        char pid[80], sc[40], rg[40], yr[40];
        snprintf(pid, sizeof pid, "%064x", p);
        snprintf(sc, sizeof sc, "source_school=%s", schools[rand() % 3]);
        snprintf(rg, sizeof rg, "origin_region=%s", regions[rand() % 3]);
        snprintf(yr, sizeof yr, "intake_year=%d", 2025 + rand() % 2);
        /* m2 (index 1) is revoked at step 200: clean never has it. */
        bool to_clean = m != 1;
        if (step == 200)
            s_status_put(&g, &g.m2, "revoked");
        if (step >= 200 && m == 1)
            continue;
        proto_buf_t b;
        uint64_t seq;
        proto_buf_init(&b);
        bool exists =
            store_record_get(g.n.st, ms[m]->id, "student", pid, &b, &seq) == 0;
        proto_buf_release(&b);
        if (what == 0 && exists) {
            s_del(&g.n, ms[m], "student", pid);
            if (to_clean)
                s_del(&clean.n, ms[m], "student", pid);
        } else if (what == 1) {
            const char *rc =
                rand() % 2 ? "region_code=340803" : "region_code=340826";
            s_put(&g.n, ms[m], "member", "profile", "name_zh=x", "role=school",
                  "original_affiliation=市政府", rc, NULL);
            if (to_clean)
                s_put(&clean.n, ms[m], "member", "profile", "name_zh=x",
                      "role=school", "original_affiliation=市政府", rc, NULL);
        } else if (what != 0) {
            s_put(&g.n, ms[m], "student", pid, "level=secondary",
                  "status=enrolled", yr, rg, sc, NULL);
            if (to_clean)
                s_put(&clean.n, ms[m], "student", pid, "level=secondary",
                      "status=enrolled", yr, rg, sc, NULL);
        }
        if (step % 50 == 49) {
            json_t *j = s_figs(&g.n, "coord");
            s_lines_add_up(j);
            json_decref(j);
            s_check(&g.n, "coord");
        }
    }
    json_t *a = s_figs(&g.n, "coord"), *b = s_figs(&clean.n, "coord");
    json_t *fa = json_object_get(a, "figures"),
           *fb = json_object_get(b, "figures");
    char *ta = json_dumps(fa, JSON_SORT_KEYS | JSON_COMPACT);
    char *tb = json_dumps(fb, JSON_SORT_KEYS | JSON_COMPACT);
    if (strcmp(ta, tb))
        fprintf(stderr, "with the revoked member: %s\nwithout: %s\n", ta, tb);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
    s_check(&g.n, "coord");
    s_node_close(&g.n);
    s_node_close(&clean.n);
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_units_after_categories),
        cmocka_unit_test(test_check_catches),
        cmocka_unit_test(test_counter_overflow),
        cmocka_unit_test(test_check_beside),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_map_growth),
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_claims_paid_once),
        cmocka_unit_test(test_person_bounded_per_member),
        cmocka_unit_test(test_too_many_items_refused),
        cmocka_unit_test(test_may_refuse),
        cmocka_unit_test(test_lists_led_by_person),
        cmocka_unit_test(test_revoked_excluded),
        cmocka_unit_test(test_profile_change),
        cmocka_unit_test(test_property_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
