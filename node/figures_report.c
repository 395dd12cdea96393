/* vocfed: the figures' report model (see figures_report.h; SPEC 12.3):
 * counters, targets and rules to the report's JSON, one figure per row of
 * the catalogue, each by its shape. */
#include "node/figures_report.h"

#include "node/certify.h"
#include "node/figures_catalogue.h"
#include "node/figures_policy.h"
#include "node/figures_rules.h"
#include "node/figures_sections.h"
#include "protocol/clock.h"
#include "protocol/entry.h"
#include "protocol/region.h"
#include "storage/replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Years one report lists: more than the kinds table allows (2000-2100),
 * so no member's years can push another's out. */
#define S_YEARS_MAX 128

/* Counters read back: "f|fig|year|dim|bucket" -> value, kept as a JSON
 * tree fig -> year -> dim -> bucket -> value for easy lookup. */
static int
s_read_counter(void *ctx, const void *key, size_t len, int64_t value)
{
    json_t *root = ctx;
    char k[600], *parts[5];
    if (len >= sizeof k)
        return VOCFED_OK;
    memcpy(k, key, len);
    k[len] = 0;
    char *p = k;
    for (int i = 0; i < 5; i++) {
        char *bar = i < 4 ? strchr(p, '|') : NULL;
        if (i < 4 && !bar)
            return VOCFED_OK;
        if (bar)
            *bar = 0;
        parts[i] = p;
        p = bar ? bar + 1 : p;
    }
    /* parts: "f", fig, year, dim, bucket (the rest of the key) */
    json_t *fig = json_object_get(root, parts[1]);
    if (!fig)
        json_object_set_new(root, parts[1], fig = json_object());
    json_t *yr = json_object_get(fig, parts[2]);
    if (!yr)
        json_object_set_new(fig, parts[2], yr = json_object());
    json_t *dim = json_object_get(yr, parts[3]);
    if (!dim)
        json_object_set_new(yr, parts[3], dim = json_object());
    json_object_set_new(dim, parts[4], json_integer(value));
    return VOCFED_OK;
}

static int64_t
s_c(json_t *c, const char *fig, int year, const char *dim, const char *bucket)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    json_t *v = json_object_get(
        json_object_get(json_object_get(json_object_get(c, fig), y), dim),
        bucket);
    return v ? (int64_t)json_integer_value(v) : 0;
}

static json_t *
s_dim(json_t *c, const char *fig, int year, const char *dim)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    return json_object_get(json_object_get(json_object_get(c, fig), y), dim);
}

/* Years a counter figure has values for (group dimension). */
static void
s_years(json_t *c, const char *fig, int *years, size_t *n, size_t cap)
{
    const char *y;
    json_t *v;
    json_object_foreach(json_object_get(c, fig), y, v)
    {
        char *end;
        long yy = strtol(y, &end, 10);
        if (*end || yy <= 0 || yy > 65535)
            continue;
        bool seen = false;
        for (size_t i = 0; i < *n; i++)
            if (years[i] == yy)
                seen = true;
        if (!seen && *n < cap)
            years[(*n)++] = (int)yy;
    }
}

/* A decimal text (target values) as a double. */
static double
s_decimal(const char *s)
{
    return strtod(s, NULL);
}

/* The coordinator's record kind/key, decoded into *e (pointing into b).
 * Returns whether it is there. */
static bool
s_coord_record(store_t *st, const char *coord, const char *kind,
               const char *key, proto_buf_t *b, proto_entry_t *e)
{
    uint64_t seq;
    return coord && coord[0] &&
           store_record_get(st, coord, kind, key, b, &seq) == VOCFED_OK &&
           proto_entry_decode(b->data, b->len, e) == VOCFED_OK;
}

/* The target "<fig>:<year>" into *out. Returns whether there is one. */
static bool
s_target(store_t *st, const char *coord, const char *fig, int year, double *out)
{
    char key[96];
    proto_buf_t b;
    proto_entry_t e;
    proto_value_t v;
    bool ok = false;
    snprintf(key, sizeof key, "%s:%d", fig, year);
    proto_buf_init(&b);
    if (s_coord_record(st, coord, "target", key, &b, &e) &&
        proto_body_get(e.body, e.body_len, "value", &v) == VOCFED_OK &&
        v.type == PROTO_VAL_STR && v.slen < 32) {
        char t[32];
        memcpy(t, v.s, v.slen);
        t[v.slen] = 0;
        *out = s_decimal(t);
        ok = true;
    }
    proto_buf_release(&b);
    return ok;
}

/* The UTC calendar of the moment ms (milliseconds since 1970). */
static void
s_tm(uint64_t ms, struct tm *tm)
{
    time_t t = (time_t)(ms / 1000);
    gmtime_r(&t, tm);
}

/* The year of the moment ms. */
static int
s_year_of(uint64_t ms)
{
    struct tm tm;
    s_tm(ms, &tm);
    return tm.tm_year + 1900;
}

/* The status of a value against its target (DESIGN 7): met when reached;
 * for a per-year target, on track in its own year while the value keeps
 * pace with the part of the year gone; for a target years ahead, on track
 * when at or above the straight line from the 2024 value (a target
 * "<fig>:2024" is that baseline) to the target. */
static const char *
s_status(double value, bool has_target, double target, int target_year,
         int year, bool has_base, double base, uint64_t now_ms)
{
    if (!has_target)
        return "no_target";
    if (value >= target)
        return "met";
    if (target_year > NODE_FIG_BASE_YEAR && has_base && year < target_year) {
        double line = base + (target - base) * (year - NODE_FIG_BASE_YEAR) /
                                 (double)(target_year - NODE_FIG_BASE_YEAR);
        return value >= line ? "on_track" : "behind";
    }
    if (year == target_year && year == s_year_of(now_ms)) {
        struct tm tm;
        s_tm(now_ms, &tm);
        double part = (tm.tm_yday + 1) / 365.0;
        return value >= target * part ? "on_track" : "behind";
    }
    return "behind";
}

static json_t *
s_ratio(int64_t num, int64_t den)
{
    return json_pack("{s:o, s:I, s:I}", "value",
                     den ? json_real((double)num / (double)den) : json_null(),
                     "numerator", (json_int_t)num, "denominator",
                     (json_int_t)den);
}

/* The breakdowns of a figure (SPEC 12.3): dimension, member name. */
static const struct {
    const char *dim;  /* the counters' dimension */
    const char *name; /* the figure's member */
} s_dims[] = {{"m", "by_member"}, {"a", "by_affiliation"}, {"c", "by_county"}};

/* Breakdowns of a count figure: by_member, by_affiliation, by_county. */
static void
s_breakdowns(json_t *out, json_t *c, const char *fig, int year)
{
    for (size_t i = 0; i < 3; i++) {
        json_t *d = s_dim(c, fig, year, s_dims[i].dim);
        json_object_set(out, s_dims[i].name, d ? d : json_object());
        if (!d)
            json_decref(json_object_get(out, s_dims[i].name));
    }
}

/* Breakdowns of a rate num/den. */
static void
s_rate_breakdowns(json_t *out, json_t *c, const char *num, const char *den,
                  int year)
{
    for (size_t i = 0; i < 3; i++) {
        json_t *o = json_object();
        const char *b;
        json_t *v;
        json_object_foreach(s_dim(c, den, year, s_dims[i].dim), b, v)
        {
            json_object_set_new(o, b,
                                s_ratio(s_c(c, num, year, s_dims[i].dim, b),
                                        (int64_t)json_integer_value(v)));
        }
        json_object_set_new(out, s_dims[i].name, o);
    }
}

static json_t *
s_figure_head(const char *zh, const char *en, const char *unit)
{
    return json_pack("{s:s, s:s, s:s}", "zh", zh, "en", en, "unit", unit);
}

static void
s_set_target(json_t *o, double value, bool has, double target, int ty, int year,
             bool has_base, double base, uint64_t now_ms)
{
    json_object_set_new(o, "target", has ? json_real(target) : json_null());
    json_object_set_new(o, "target_year", has ? json_integer(ty) : json_null());
    json_object_set_new(o, "attainment",
                        has && target > 0 ? json_real(value / target)
                                          : json_null());
    json_object_set_new(o, "status",
                        json_string(s_status(value, has, target, ty, year,
                                             has_base, base, now_ms)));
}

/* A snapshot count figure (people in school). */

typedef struct {
    json_t *leading; /* code -> name_zh of leading industries */
} s_ind_t;

static int
s_industry(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
           size_t len)
{
    s_ind_t *ind = ctx;
    proto_entry_t e;
    proto_value_t v;
    char name[PROTO_KEY_MAX + 1];
    (void)seq;
    if (proto_entry_decode(entry, len, &e) ||
        proto_body_get(e.body, e.body_len, "leading", &v) ||
        v.type != PROTO_VAL_BOOL || !v.b)
        return VOCFED_OK;
    node_fig_body_str(e.body, e.body_len, "name_zh", name, sizeof name);
    json_object_set_new(ind->leading, key, json_string(name));
    return VOCFED_OK;
}

/* ---- the model ------------------------------------------------------------
 */

/* One report being made. */
typedef struct {
    store_t *st;       /* the store */
    const char *coord; /* the coordinator's id, or NULL */
    json_t *c;         /* the counters as a tree (s_read_counter) */
    int year;          /* the year asked for, 0 for every year */
    int now;           /* the report's year */
    uint64_t now_ms;   /* the moment the report is of (ms since 1970) */
    json_t *subs;      /* the subsidies, one line per payee and year */
    json_t *totals;    /* subsidy_total per year */
    int64_t money;     /* the year's money figures so far */
    json_t *rules;     /* the coordinator's subsidy rules (s_rule_rec) */
    json_t *schools;   /* its registered schools: code -> name */
    json_t *pending;   /* payment lines not payable yet (s_line) */
    json_t *applied;   /* the point the counters are of (SPEC 12.3) */
} s_model_t;

/* The short key of counter k (in the counters' tree). */
static const char *
s_key(node_counter_t k)
{
    return node_counter_key(k);
}

/* A rule's field (amount, budget) in year y from the coordinator's
 * record of that year (s_rule), else the catalogue's default. */
static int64_t
s_rule_value(const s_model_t *m, const node_fig_rule_t *r, const char *field,
             int y)
{
    int64_t fallback = strcmp(field, "budget") == 0 ? r->budget : r->amount;
    return node_fig_rule_value(m->rules, r->id, y, field, fallback);
}

/* Whether a payee of rule r may be paid: any payee, or for a rule whose
 * payees must be registered (node_figcat_payee_kind), one of the
 * coordinator's records of that kind (SPEC 12.3). */
static bool
s_payable(const s_model_t *m, const node_fig_rule_t *r, const char *payee)
{
    return !node_figcat_payee_kind(r->counter) ||
           json_object_get(m->schools, payee) != NULL;
}

/* One payment line: to the subsidies when payable, else to pending. */
static void
s_line(s_model_t *m, const node_fig_rule_t *r, int year, const char *payee,
       int64_t k, int64_t amount, bool payable)
{
    json_t *line =
        json_pack("{s:s, s:i, s:s, s:I, s:I, s:I}", "figure", r->id, "year",
                  year, "payee", payee, "count", (json_int_t)k, "amount",
                  (json_int_t)amount, "total", (json_int_t)(k * amount));
    const char *name = json_string_value(json_object_get(m->schools, payee));
    if (node_figcat_payee_kind(r->counter) && name)
        json_object_set_new(line, "payee_name", json_string(name));
    if (!payable)
        json_object_set_new(line, "reason",
                            json_string("source school not registered"));
    json_array_append_new(payable ? m->subs : m->pending, line);
}

/* by_member of a rule whose payees must be registered: the payable
 * member/payee buckets only. */
static json_t *
s_payable_by_member(const s_model_t *m, const node_fig_rule_t *r,
                    const char *fig, int year, int64_t amount)
{
    json_t *members = json_object(), *v;
    const char *b;
    json_object_foreach(s_dim(m->c, fig, year, "q"), b, v)
    {
        const char *slash = strchr(b, '/');
        char mem[PROTO_ID_MAX + 1];
        if (!slash || (size_t)(slash - b) > PROTO_ID_MAX ||
            !s_payable(m, r, slash + 1))
            continue;
        snprintf(mem, sizeof mem, "%.*s", (int)(slash - b), b);
        json_t *cur = json_object_get(members, mem);
        json_object_set_new(members, mem,
                            json_integer(json_integer_value(cur) +
                                         json_integer_value(v) * amount));
    }
    return members;
}

/* One year of a money figure's rule r: count x amount, by payee and by
 * member; a payee that must be registered and is not is pending (listed
 * apart, not counted). */
static json_t *
s_money_year(s_model_t *m, const node_fig_rule_t *r, int year, int64_t amount)
{
    const char *fig = s_key(r->counter), *b;
    bool checked = node_figcat_payee_kind(r->counter) != NULL;
    int64_t n = checked ? 0 : s_c(m->c, fig, year, "g", ""), pend = 0;
    json_t *payees = json_object(), *pending = json_object(), *v;
    json_object_foreach(s_dim(m->c, fig, year, "p"), b, v)
    {
        int64_t k = (int64_t)json_integer_value(v);
        bool ok = s_payable(m, r, b);
        json_object_set_new(ok ? payees : pending, b, json_integer(k * amount));
        s_line(m, r, year, b, k, amount, ok);
        n += checked && ok ? k : 0;
        pend += ok ? 0 : k * amount;
    }
    json_t *o = json_pack("{s:I, s:I, s:I}", "value", (json_int_t)(n * amount),
                          "count", (json_int_t)n, "amount", (json_int_t)amount);
    json_object_set_new(o, "by_payee", payees);
    if (checked) {
        json_object_set_new(o, "by_member",
                            s_payable_by_member(m, r, fig, year, amount));
        json_object_set_new(o, "pending", pending);
        json_object_set_new(o, "pending_value", json_integer(pend));
        return o;
    }
    json_decref(pending);
    json_t *members = json_object();
    json_object_foreach(s_dim(m->c, fig, year, "m"), b, v)
    {
        json_object_set_new(members, b,
                            json_integer(json_integer_value(v) * amount));
    }
    json_object_set_new(o, "by_member", members);
    return o;
}

/* NODE_FIG_PEOPLE: a count now, against the target of target_year and
 * the straight line from the base year's value. */
static void
s_people(const s_model_t *m, const node_fig_def_t *fig, json_t *o)
{
    double target = 0, base = 0;
    bool has = s_target(m->st, m->coord, fig->id, fig->target_year, &target);
    bool has_base =
        s_target(m->st, m->coord, fig->id, NODE_FIG_BASE_YEAR, &base);
    int64_t v = s_c(m->c, s_key(fig->num), 0, "g", "");
    json_object_set_new(o, "value", json_integer(v));
    s_set_target(o, (double)v, has, target, fig->target_year, m->now, has_base,
                 base, m->now_ms);
    s_breakdowns(o, m->c, s_key(fig->num), 0);
}

/* NODE_FIG_SHARE: a ratio now, without a target. */
static void
s_share(const s_model_t *m, const node_fig_def_t *fig, json_t *o)
{
    const char *num = s_key(fig->num), *den = s_key(fig->den);
    json_t *r = s_ratio(s_c(m->c, num, 0, "g", ""), s_c(m->c, den, 0, "g", ""));
    json_object_update(o, r);
    json_decref(r);
    json_object_set_new(o, "status", json_string("no_target"));
    s_rate_breakdowns(o, m->c, num, den, 0);
}

/* NODE_FIG_SUM, one year. */
static json_t *
s_sum_year(const s_model_t *m, const node_fig_def_t *fig, int y)
{
    double t = 0;
    int64_t v = s_c(m->c, s_key(fig->num), y, "g", "");
    json_t *o = json_pack("{s:I}", "value", (json_int_t)v);
    bool has = s_target(m->st, m->coord, fig->id, y, &t);
    s_set_target(o, (double)v, has, t, y, m->now, false, 0, m->now_ms);
    s_breakdowns(o, m->c, s_key(fig->num), y);
    return o;
}

/* The members whose ratio reaches floor: "meets" in by_member, and
 * members_meeting. */
static void
s_members_meeting(json_t *o, double floor)
{
    json_t *meeting = json_array();
    const char *b;
    json_t *mv;
    json_object_foreach(json_object_get(o, "by_member"), b, mv)
    {
        double r = json_real_value(json_object_get(mv, "value"));
        bool meets = json_is_real(json_object_get(mv, "value")) && r >= floor;
        json_object_set_new(mv, "meets", json_boolean(meets));
        if (meets)
            json_array_append_new(meeting, json_string(b));
    }
    json_object_set_new(o, "members_meeting", meeting);
}

/* NODE_FIG_RATIO, one year. */
static json_t *
s_ratio_year(const s_model_t *m, const node_fig_def_t *fig, int y)
{
    const char *nk = s_key(fig->num), *dk = s_key(fig->den);
    int64_t num = s_c(m->c, nk, y, "g", ""), den = s_c(m->c, dk, y, "g", "");
    double t = 0;
    json_t *o = s_ratio(num, den);
    bool has = s_target(m->st, m->coord, fig->id, y, &t);
    s_set_target(o, den ? (double)num / (double)den : 0, has, t, y, m->now,
                 false, 0, m->now_ms);
    s_rate_breakdowns(o, m->c, nk, dk, y);
    if (fig->all != NODE_C_COUNT)
        json_object_set_new(
            o, "all_graduates",
            s_ratio(num, s_c(m->c, s_key(fig->all), y, "g", "")));
    if (fig->member_floor > 0)
        s_members_meeting(o, has ? t : fig->member_floor);
    return o;
}

/* NODE_FIG_MONEY, one year: one rule's count x amount, or for several
 * rules their sum and each under its part's name. */
static json_t *
s_money_fig_year(s_model_t *m, const node_fig_def_t *fig, int y)
{
    json_t *parts[4] = {NULL};
    int64_t value = 0;
    size_t n = fig->nrules < 4 ? fig->nrules : 4;
    for (size_t i = 0; i < n; i++) {
        const node_fig_rule_t *r = &fig->rules[i];
        parts[i] = s_money_year(m, r, y, s_rule_value(m, r, "amount", y));
        value += json_integer_value(json_object_get(parts[i], "value"));
    }
    m->money += value;
    if (n == 1)
        return parts[0];
    json_t *o = json_pack("{s:I}", "value", (json_int_t)value);
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, fig->rules[i].part, parts[i]);
    return o;
}

/* NODE_FIG_TOTAL, one year: the year's money figures against the budget;
 * also the report's subsidy_total for that year. */
static json_t *
s_total_year(s_model_t *m, const node_fig_def_t *fig, int year, const char *ys)
{
    int64_t budget =
        fig->nrules ? s_rule_value(m, &fig->rules[0], "budget", year) : 0;
    json_t *to = json_pack("{s:I, s:I, s:s}", "value", (json_int_t)m->money,
                           "budget", (json_int_t)budget, "status",
                           m->money <= budget ? "within" : "over");
    json_object_set(m->totals, ys, to);
    return to;
}

/* One year of a per-year figure. */
static json_t *
s_figure_year(s_model_t *m, const node_fig_def_t *fig, int y, const char *ys)
{
    switch (fig->shape) {
    case NODE_FIG_SUM:
        return s_sum_year(m, fig, y);
    case NODE_FIG_RATIO:
        return s_ratio_year(m, fig, y);
    case NODE_FIG_MONEY:
        return s_money_fig_year(m, fig, y);
    case NODE_FIG_TOTAL:
        return s_total_year(m, fig, y, ys);
    default:
        return json_object();
    }
}

/* ---- leading-industry coverage ------------------------------------------ */

/* Each member's share of the leading industries its active majors cover
 * (counter key/q buckets "member/industry"). */
static json_t *
s_coverage_by_member(const s_model_t *m, const char *key, json_t *leading,
                     int64_t nlead)
{
    json_t *cbm = json_object(), *qv;
    const char *qb;
    json_object_foreach(s_dim(m->c, key, 0, "q"), qb, qv)
    {
        char mem[PROTO_ID_MAX + 1];
        const char *slash = strchr(qb, '/');
        if (!slash || (size_t)(slash - qb) > PROTO_ID_MAX ||
            !json_object_get(leading, slash + 1) || json_integer_value(qv) <= 0)
            continue;
        snprintf(mem, sizeof mem, "%.*s", (int)(slash - qb), qb);
        json_t *cur = json_object_get(cbm, mem);
        int64_t k =
            cur ? (int64_t)json_integer_value(json_object_get(cur, "numerator"))
                : 0;
        json_object_set_new(cbm, mem, s_ratio(k + 1, nlead));
    }
    return cbm;
}

/* NODE_FIG_COVERAGE: the coordinator's leading industries with at least
 * one payee bucket of the num counter. Returns 0 or a store status. */
static int
s_coverage(const s_model_t *m, const node_fig_def_t *fig, json_t *o)
{
    const char *key = s_key(fig->num), *code;
    s_ind_t ind = {json_object()};
    json_t *covered = json_array(), *uncovered = json_array(), *nm;
    int rc = VOCFED_OK;
    if (m->coord && m->coord[0])
        rc = store_scan_records(m->st, m->coord, "industry", s_industry, &ind);
    if (rc == VOCFED_ENOTFOUND)
        rc = VOCFED_OK; /* the coordinator's log has not arrived yet */
    int64_t ncov = 0, nlead = (int64_t)json_object_size(ind.leading);
    json_object_foreach(ind.leading, code, nm)
    {
        bool yes = s_c(m->c, key, 0, "p", code) > 0;
        ncov += yes;
        json_array_append_new(yes ? covered : uncovered, json_string(code));
    }
    json_t *ratio = s_ratio(ncov, nlead);
    json_object_update(o, ratio);
    json_decref(ratio);
    double ct = 0;
    bool chas = s_target(m->st, m->coord, fig->id, fig->target_year, &ct);
    s_set_target(o, nlead ? (double)ncov / (double)nlead : 0, chas, ct,
                 fig->target_year, m->now, false, 0, m->now_ms);
    json_object_set_new(o, "covered", covered);
    json_object_set_new(o, "uncovered", uncovered);
    json_object_set_new(o, "by_member",
                        s_coverage_by_member(m, key, ind.leading, nlead));
    json_object_set_new(o, "leading", ind.leading);
    return rc;
}

/* ---- the whole ------------------------------------------------------------
 */

static int
s_int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The years the per-year figures list, in order: those their counters
 * have, and the policy's years up to this one; later ones only with data.
 * In order because every list of years the report prints (a figure's
 * years, the subsidies, the totals) follows this one: the counters give
 * theirs in the order they were found (2025, 2026, 2024 ...). */
static size_t
s_report_years(const s_model_t *m, int *years)
{
    size_t n = 0, nfigs;
    const node_fig_def_t *figs = node_figcat(&nfigs);
    for (size_t i = 0; i < nfigs; i++) {
        const node_fig_def_t *f = &figs[i];
        if (!f->per_year)
            continue;
        if (f->shape == NODE_FIG_SUM)
            s_years(m->c, s_key(f->num), years, &n, S_YEARS_MAX);
        if (f->shape == NODE_FIG_RATIO)
            s_years(m->c, s_key(f->den), years, &n, S_YEARS_MAX);
        if (f->shape == NODE_FIG_RATIO && f->all != NODE_C_COUNT)
            s_years(m->c, s_key(f->all), years, &n, S_YEARS_MAX);
        for (size_t j = 0; f->shape == NODE_FIG_MONEY && j < f->nrules; j++)
            s_years(m->c, s_key(f->rules[j].counter), years, &n, S_YEARS_MAX);
    }
    for (int y = NODE_FIG_BASE_YEAR;
         y <= NODE_FIG_LAST_YEAR && y <= s_year_of(m->now_ms); y++) {
        bool seen = false;
        for (size_t i = 0; i < n; i++)
            seen |= years[i] == y;
        if (!seen && n < S_YEARS_MAX)
            years[n++] = y;
    }
    qsort(years, n, sizeof *years, s_int_cmp);
    return n;
}

/* Every figure in catalogue order; the per-year ones get an empty
 * by_year that s_fill_years fills. Returns 0 or a store status. */
static int
s_figures(s_model_t *m, json_t *figs)
{
    size_t n;
    const node_fig_def_t *cat = node_figcat(&n);
    int rc = VOCFED_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const node_fig_def_t *fig = &cat[i];
        json_t *o = s_figure_head(fig->zh, fig->en, fig->unit);
        if (fig->per_year)
            json_object_set_new(o, "by_year", json_object());
        else if (fig->shape == NODE_FIG_PEOPLE)
            s_people(m, fig, o);
        else if (fig->shape == NODE_FIG_COVERAGE)
            rc = s_coverage(m, fig, o);
        else if (fig->shape == NODE_FIG_SHARE)
            s_share(m, fig, o);
        json_object_set_new(figs, fig->id, o);
    }
    return rc;
}

/* Each year of each per-year figure (years outer: the subsidies list
 * and the total of a year follow the catalogue's order). */
static void
s_fill_years(s_model_t *m, json_t *figs)
{
    int years[S_YEARS_MAX];
    size_t ny = s_report_years(m, years), n;
    const node_fig_def_t *cat = node_figcat(&n);
    for (size_t i = 0; i < ny; i++) {
        int y = years[i];
        char ys[16];
        if (m->year && y != m->year)
            continue;
        snprintf(ys, sizeof ys, "%d", y);
        m->money = 0;
        for (size_t j = 0; j < n; j++) {
            if (!cat[j].per_year)
                continue;
            json_t *by =
                json_object_get(json_object_get(figs, cat[j].id), "by_year");
            json_object_set_new(by, ys, s_figure_year(m, &cat[j], y, ys));
        }
    }
}

/* Frees what a model holds. */
static void
s_model_release(s_model_t *m)
{
    json_decref(m->c);
    json_decref(m->subs);
    json_decref(m->totals);
    json_decref(m->rules);
    json_decref(m->schools);
    json_decref(m->pending);
    json_decref(m->applied);
}

/* The report object of a model made (s_figures, s_fill_years) and the
 * members read: takes figs and members. */
static json_t *
s_report(s_model_t *m, json_t *figs, json_t *members)
{
    char when[32], made[32];
    node_fig_iso(m->now_ms, when, sizeof when);
    node_fig_iso(proto_now_ms(), made, sizeof made);
    return json_pack("{s:s, s:s, s:s, s:i, s:O, s:o, s:o, s:O, s:O, s:O, "
                     "s:{s:I}}",
                     "group", m->coord ? m->coord : "", "as_of", when, "made",
                     made, "year", m->now, "applied", m->applied, "members",
                     members, "figures", figs, "subsidies", m->subs, "pending",
                     m->pending, "subsidy_total", m->totals,
                     "multi_member_people", "people",
                     (json_int_t)s_c(m->c, "multi", 0, "g", ""));
}

/* The names of the region codes in by_county (a frame of a figure). */
static void
s_region_names(json_t *names, json_t *frame)
{
    const char *code;
    json_t *v;
    json_object_foreach(json_object_get(frame, "by_county"), code, v)
    {
        const char *name = proto_region_name(code);
        if (name)
            json_object_set_new(names, code, json_string(name));
    }
}

/* The report's "regions" (SPEC 12.3): code -> Chinese name of every
 * region code it shows (the figures' by_county buckets, the members'
 * region_code) that GB/T 2260's table names (protocol/region.h). */
static int
s_regions(json_t *rep)
{
    json_t *names = json_object(), *f, *y, *mem;
    const char *k, *ys;
    if (!names)
        return VOCFED_ENOMEM;
    json_object_foreach(json_object_get(rep, "figures"), k, f)
    {
        s_region_names(names, f);
        json_object_foreach(json_object_get(f, "by_year"), ys, y)
            s_region_names(names, y);
    }
    json_object_foreach(json_object_get(rep, "members"), k, mem)
    {
        const char *code =
            json_string_value(json_object_get(mem, "region_code"));
        const char *name = proto_region_name(code);
        if (name)
            json_object_set_new(names, code, json_string(name));
    }
    return json_object_set_new(rep, "regions", names) ? VOCFED_ENOMEM : 0;
}

void
node_fig_iso(uint64_t ms, char *out, size_t cap)
{
    struct tm tm;
    s_tm(ms, &tm);
    if (!strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) && cap)
        out[0] = 0;
}

int
node_figures_json(store_t *st, const char *coord, int year, json_t **out)
{
    return node_figures_json_at(st, coord, year, 0, out);
}

int
node_figures_json_at(store_t *st, const char *coord, int year, uint64_t now_ms,
                     json_t **out)
{
    /* "now" to the second, as the report prints it: a report made at
     * 10:45:12.7 and one as of 10:45:12 compute the same (SPEC 12.5). */
    now_ms = (now_ms ? now_ms : proto_now_ms()) / 1000 * 1000;
    s_model_t m = {.st = st,
                   .coord = coord,
                   .c = json_object(),
                   .year = year,
                   .now = year ? year : s_year_of(now_ms),
                   .now_ms = now_ms,
                   .subs = json_array(),
                   .totals = json_object(),
                   .rules = json_object(),
                   .pending = json_array(),
                   .applied = node_fig_applied_new(store_catches_up(st))};
    json_t *figs = json_object(), *rep = NULL;
    json_t *members = NULL;
    /* The counters and the point they are of, in one snapshot. */
    int rc = m.applied ? store_scan_as_of(st, "f|", 2, s_read_counter, m.c,
                                          node_fig_applied_add, m.applied)
                       : VOCFED_ENOMEM;
    node_fig_applied_end(m.applied);
    if (!rc && !(rc = node_fig_rules(st, coord, m.rules)) &&
        !(rc = node_fig_schools(st, coord, &m.schools)) &&
        !(rc = s_figures(&m, figs))) {
        s_fill_years(&m, figs);
        rc = node_fig_members(st, coord, now_ms, &members);
    }
    if (!rc) {
        rep = s_report(&m, figs, members);
        figs = members = NULL; /* taken, or freed on failure */
        rc = rep ? node_fig_sections(st, coord, rep) : VOCFED_ENOMEM;
    }
    if (!rc) /* claims, decisions, payments (SPEC 11.6) */
        rc = node_certify_sections(st, coord, rep);
    if (!rc) /* county, progression, bodies by level (issue 14) */
        rc = node_policy_sections(st, coord, rep);
    if (!rc)
        rc = s_regions(rep);
    json_decref(members);
    json_decref(figs);
    s_model_release(&m);
    if (rc) {
        json_decref(rep);
        return rc;
    }
    *out = rep;
    return VOCFED_OK;
}
