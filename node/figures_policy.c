/* vocfed: the policy's remaining figures as report sections (see
 * figures_policy.h; issue 14, SPEC 12.3). */
#include "node/figures_policy.h"

#include "node/certify_i.h"
#include "protocol/region.h"
#include "storage/replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Counters "f|<fig>|<year>|<dim>|<bucket>" read into a tree fig -> year
 * -> dim -> bucket -> value. */
static int
s_counter(void *ctx, const void *key, size_t len, int64_t value)
{
    char k[600], *part[5], *p = k;
    if (len >= sizeof k)
        return 0;
    memcpy(k, key, len);
    k[len] = 0;
    for (int i = 0; i < 5; i++) {
        char *bar = i < 4 ? strchr(p, '|') : NULL;
        if (i < 4 && !bar)
            return 0;
        if (bar)
            *bar = 0;
        part[i] = p;
        p = bar ? bar + 1 : p;
    }
    json_t *node = ctx;
    for (int i = 1; i < 4; i++) {
        json_t *next = json_object_get(node, part[i]);
        if (!next && json_object_set_new(node, part[i], next = json_object()))
            return VOCFED_ENOMEM;
        node = next;
    }
    return json_object_set_new(node, part[4], json_integer(value))
               ? VOCFED_ENOMEM
               : 0;
}

/* c[fig][year][dim][bucket] as an integer (0 when absent). */
static json_int_t
s_get(json_t *c, const char *fig, const char *year, const char *dim,
      const char *bucket)
{
    return json_integer_value(json_object_get(
        json_object_get(json_object_get(json_object_get(c, fig), year), dim),
        bucket));
}

/* ---- county assessment --------------------------------------------------- */

/* Reading one government member's county_stat records. */
typedef struct {
    json_t *rows;       /* "region|year" -> row */
    json_t *c;          /* the counters */
    const char *member; /* whose records */
} s_county_t;

/* A store_record_fn over a member's county_stat records. */
static int
s_on_county(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
            size_t len)
{
    s_county_t *s = ctx;
    proto_entry_t e;
    char region[16], name[64], k[40], ys[16];
    (void)key;
    (void)seq;
    if (proto_entry_decode(entry, len, &e) || !e.body)
        return VOCFED_ECORRUPT;
    if (!node_cert_body_str(e.body, e.body_len, "region_code", region,
                            sizeof region))
        return 0;
    int64_t y = node_cert_body_int(e.body, e.body_len, "year", 0);
    snprintf(k, sizeof k, "%s|%lld", region, (long long)y);
    if (json_object_get(s->rows, k))
        return 0; /* the first government member's, in id order */
    snprintf(ys, sizeof ys, "%lld", (long long)y);
    json_int_t jg = node_cert_body_int(e.body, e.body_len, "junior_grads", 0);
    json_int_t hg = node_cert_body_int(e.body, e.body_len, "high_grads", 0);
    json_int_t sv = s_get(s->c, "svo", ys, "p", region);
    json_int_t hv = s_get(s->c, "hvo", ys, "p", region);
    const char *nm = proto_region_name(region);
    snprintf(name, sizeof name, "%s", nm ? nm : "");
    json_t *row = json_pack(
        "{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:o}", "region", region,
        "name", name, "year", (json_int_t)y, "source", s->member,
        "junior_grads", jg, "high_grads", hg, "secondary_intake", sv,
        "higher_intake", hv, "secondary_share",
        jg > 0 ? json_real((double)sv / (double)jg) : json_null(),
        "higher_share",
        hg > 0 ? json_real((double)hv / (double)hg) : json_null());
    return !row || json_object_set_new(s->rows, k, row) ? VOCFED_ENOMEM : 0;
}

static int
s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The values of obj as an array in key order; NULL when out of memory. */
static json_t *
s_sorted(json_t *obj)
{
    size_t n = json_object_size(obj), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys), *k;
    json_t *a = json_array(), *v;
    if (!keys || !a) {
        free(keys);
        json_decref(a);
        return NULL;
    }
    json_object_foreach(obj, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, s_cmp_str);
    for (i = 0; i < n && a; i++)
        if (json_array_append(a, json_object_get(obj, keys[i]))) {
            json_decref(a);
            a = NULL;
        }
    free(keys);
    return a;
}

/* "county": the government members' county_stat beside the intake. */
static int
s_county(store_t *st, json_t *report, json_t *c)
{
    json_t *rows = json_object(), *m;
    const char *id;
    int rc = rows ? 0 : VOCFED_ENOMEM;
    json_object_foreach(json_object_get(report, "members"), id, m)
    {
        const char *role = json_string_value(json_object_get(m, "role"));
        if (rc || !role || strcmp(role, "government") != 0)
            continue;
        s_county_t s = {.rows = rows, .c = c, .member = id};
        rc = store_scan_records(st, id, "county_stat", s_on_county, &s);
    }
    json_t *a = rc ? NULL : s_sorted(rows);
    json_decref(rows);
    if (!rc && (!a || json_object_set_new(report, "county", a)))
        rc = VOCFED_ENOMEM;
    return rc;
}

/* ---- progression by cohort ----------------------------------------------- */

/* "progression": per cohort year {cohort, progressed, share, by_member:
 * {member: {cohort, progressed, share}}}, the member where the cohort
 * started. */
static int
s_progression(json_t *report, json_t *c)
{
    json_t *out = json_object(), *yr;
    const char *ys;
    if (!out)
        return VOCFED_ENOMEM;
    json_object_foreach(json_object_get(c, "p32c"), ys, yr)
    {
        json_int_t n = s_get(c, "p32c", ys, "g", "");
        json_int_t k = s_get(c, "p32n", ys, "g", "");
        json_t *bm = json_object(), *v;
        const char *mid;
        json_object_foreach(json_object_get(yr, "s"), mid, v)
        {
            json_int_t mn = json_integer_value(v);
            json_int_t mk = s_get(c, "p32n", ys, "s", mid);
            json_object_set_new(
                bm, mid,
                json_pack(
                    "{s:I, s:I, s:o}", "cohort", mn, "progressed", mk, "share",
                    mn > 0 ? json_real((double)mk / (double)mn) : json_null()));
        }
        json_t *o = json_pack(
            "{s:I, s:I, s:o, s:o}", "cohort", n, "progressed", k, "share",
            n > 0 ? json_real((double)k / (double)n) : json_null(), "by_member",
            bm);
        if (!o || json_object_set_new(out, ys, o)) {
            json_decref(out);
            return VOCFED_ENOMEM;
        }
    }
    return json_object_set_new(report, "progression", out) ? VOCFED_ENOMEM : 0;
}

/* ---- bodies by level ----------------------------------------------------- */

/* Counting one kind's records by their level. */
typedef struct {
    json_t *by_level; /* level -> count */
} s_levels_t;

/* A store_record_fn: one record's level counted. */
static int
s_on_level(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
           size_t len)
{
    s_levels_t *s = ctx;
    proto_entry_t e;
    char level[32];
    (void)key;
    (void)seq;
    if (proto_entry_decode(entry, len, &e) || !e.body)
        return VOCFED_ECORRUPT;
    if (!node_cert_body_str(e.body, e.body_len, "level", level, sizeof level))
        return 0;
    json_t *n = json_object_get(s->by_level, level);
    if (!n)
        return json_object_set_new(s->by_level, level, json_integer(1))
                   ? VOCFED_ENOMEM
                   : 0;
    json_integer_set(n, json_integer_value(n) + 1);
    return 0;
}

/* The kinds counted by level, and their labels. */
static const struct {
    const char *kind; /* record kind */
    const char *zh;   /* its label */
    const char *en;
} s_bodies[] = {
    {"consortium", "产教联合体", "industry-education consortia"},
    {"industry_college", "产业学院", "industry colleges"},
    {"training_base", "公共实训基地", "training bases"},
    {"master_studio", "技能大师工作室", "skill-master studios"},
    {"reform_project", "教学改革研究项目", "teaching-reform projects"},
};

/* One kind by level over every member's log. */
static json_t *
s_body(store_t *st, const json_t *report, size_t i)
{
    json_t *lv = json_object(), *m;
    const char *id;
    int rc = lv ? 0 : VOCFED_ENOMEM;
    json_object_foreach(json_object_get(report, "members"), id, m)
    {
        s_levels_t s = {lv};
        if (!rc)
            rc = store_scan_records(st, id, s_bodies[i].kind, s_on_level, &s);
    }
    if (rc) {
        json_decref(lv);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o}", "zh", s_bodies[i].zh, "en",
                     s_bodies[i].en, "by_level", lv);
}

/* "bodies": each kind by level; consortia against the aims of 措施 9. */
static int
s_bodies_section(store_t *st, json_t *report)
{
    json_t *out = json_object();
    for (size_t i = 0; out && i < sizeof s_bodies / sizeof s_bodies[0]; i++) {
        json_t *b = s_body(st, report, i);
        if (!b || json_object_set_new(out, s_bodies[i].kind, b)) {
            json_decref(out);
            return VOCFED_ENOMEM;
        }
    }
    if (!out)
        return VOCFED_ENOMEM;
    json_t *cons = json_object_get(out, "consortium");
    json_t *lv = json_object_get(cons, "by_level");
    json_object_set_new(
        cons, "aims",
        json_pack("{s:i, s:i, s:b, s:b}", "municipal",
                  NODE_POLICY_MUNICIPAL_CONSORTIA, "national",
                  NODE_POLICY_NATIONAL_CONSORTIA, "municipal_met",
                  json_integer_value(json_object_get(lv, "municipal")) >=
                      NODE_POLICY_MUNICIPAL_CONSORTIA,
                  "national_met",
                  json_integer_value(json_object_get(lv, "national")) >=
                      NODE_POLICY_NATIONAL_CONSORTIA));
    return json_object_set_new(report, "bodies", out) ? VOCFED_ENOMEM : 0;
}

int
node_policy_sections(store_t *st, const char *coord, json_t *report)
{
    json_t *c = json_object();
    (void)coord;
    int rc = c ? 0 : VOCFED_ENOMEM;
    const char *pre[] = {"f|svo|", "f|hvo|", "f|p32c|", "f|p32n|"};
    for (size_t i = 0; !rc && i < 4; i++)
        rc =
            store_scan_counters(st, NULL, pre[i], strlen(pre[i]), s_counter, c);
    if (!rc)
        rc = s_county(st, report, c);
    if (!rc)
        rc = s_progression(report, c);
    if (!rc)
        rc = s_bodies_section(st, report);
    json_decref(c);
    return rc;
}
