/* vocfed: the certification and policy sections of the report as tables
 * of text every format shares (report_model.h report_xtables; issue 14,
 * SPEC 11.6, 12.3): claims per state, money in four states, the budget
 * against approved and paid money, certified beside claimed, the county
 * assessment, progression by cohort, bodies by level. */
#include "protocol/region.h"
#include "tools/report_model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd copy of s ("" for NULL). */
static char *
s_dup(const char *s)
{
    s = s ? s : "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static report_xtable_t *
s_table(report_xtable_t **v, size_t *n, const char *id, const char *zh,
        const char *en, const char *align, ...)
{
    report_xtable_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return NULL;
    *v = nv;
    report_xtable_t *t = &nv[(*n)++];
    memset(t, 0, sizeof *t);
    t->id = id;
    t->zh = zh;
    t->en = en;
    t->align = align;
    t->ncols = strlen(align);
    va_list ap;
    va_start(ap, align);
    for (size_t i = 0; i < t->ncols; i++)
        t->head[i] = va_arg(ap, const char *);
    va_end(ap);
    return t;
}

/* Adds a row: its CSV part (figure, year, bucket, value, numerator,
 * denominator, status) and ncols cells. Returns 0 or VOCFED_ENOMEM. */
static int
s_row(report_xtable_t *t, const char *figure, json_int_t year,
      const char *bucket, json_t *value, json_t *num, json_t *den,
      const char *status, ...)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        report_xrow_t *r = realloc(t->rows, cap * sizeof *r);
        if (!r)
            return VOCFED_ENOMEM;
        t->rows = r;
        t->cap = cap;
    }
    report_xrow_t *r = &t->rows[t->nrows++];
    memset(r, 0, sizeof *r);
    r->figure = figure ? figure : "";
    if (year)
        snprintf(r->year, sizeof r->year, "%" JSON_INTEGER_FORMAT, year);
    else
        r->year[0] = '\0';
    r->bucket = s_dup(bucket);
    r->status = s_dup(status);
    r->value = json_incref(value);
    r->num = json_incref(num);
    r->den = json_incref(den);
    va_list ap;
    va_start(ap, status);
    bool oom = !r->bucket || !r->status;
    for (size_t i = 0; i < t->ncols; i++)
        oom |= !(r->cells[i] = s_dup(va_arg(ap, const char *)));
    va_end(ap);
    return oom ? VOCFED_ENOMEM : 0;
}

void
report_xtables_free(report_xtable_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < t[i].nrows; r++) {
            report_xrow_t *x = &t[i].rows[r];
            for (size_t c = 0; c < REPORT_XCOLS_MAX; c++)
                free(x->cells[c]);
            free(x->bucket);
            free(x->status);
            json_decref(x->value);
            json_decref(x->num);
            json_decref(x->den);
        }
        free(t[i].rows);
    }
    free(t);
}

/* A number for people, "-" when absent. */
static const char *
s_n(const json_t *v, char *buf, size_t cap)
{
    report_fmt_value("", v, false, buf, cap);
    return buf;
}

/* The labels of the claim states (SPEC 11.6). */
static const struct {
    const char *state; /* the token */
    const char *zh;    /* its heading */
    const char *en;
} s_states[] = {
    {"claimed", "认定申报：待认定", "Claims: awaiting a decision"},
    {"approved", "认定申报：已认定", "Claims: approved"},
    {"paid", "认定申报：已支付", "Claims: paid"},
    {"changed", "认定申报：认定后已变更（须重新认定）",
     "Claims: changed since the decision (to decide again)"},
    {"rejected", "认定申报：不予认定", "Claims: rejected"},
    {"revoked", "认定申报：已撤销", "Claims: revoked"},
    {"withdrawn", "认定申报：已撤回", "Claims: withdrawn"},
};

/* One claim's row. */
static int
s_claim_row(report_xtable_t *t, const json_t *c)
{
    char ref[400], a[48], ap[48], pd[48];
    json_t *dec = json_object_get(c, "decision");
    json_t *paid = json_object_get(json_object_get(c, "paid"), "amount");
    json_int_t y = json_integer_value(json_object_get(c, "year"));
    char ys[16];
    snprintf(ys, sizeof ys, "%" JSON_INTEGER_FORMAT, y);
    snprintf(ref, sizeof ref, "%s/%s", report_str(c, "member"),
             report_str(c, "claim"));
    const char *st = report_str(c, "state");
    bool ok = !strcmp(st, "approved") || !strcmp(st, "paid");
    json_t *appr = ok ? json_object_get(dec, "approved") : NULL;
    return s_row(t, report_str(c, "subject"), y, ref,
                 json_object_get(c, "asked"), appr, paid, st, ref,
                 report_str(c, "subject"), ys, report_str(c, "record"),
                 s_n(json_object_get(c, "asked"), a, sizeof a),
                 ok ? s_n(appr, ap, sizeof ap) : "-", s_n(paid, pd, sizeof pd),
                 report_str(dec, "note"));
}

/* A table per claim state that has claims. */
static int
s_claims(const json_t *report, report_xtable_t **v, size_t *n)
{
    json_t *claims = json_object_get(report, "claims"), *c;
    size_t i;
    int rc = 0;
    for (size_t s = 0; !rc && s < sizeof s_states / sizeof s_states[0]; s++) {
        report_xtable_t *t = NULL;
        json_array_foreach(claims, i, c)
        {
            if (strcmp(report_str(c, "state"), s_states[s].state))
                continue;
            if (!t && !(t = s_table(v, n, "claim", s_states[s].zh,
                                    s_states[s].en, "llllrrrl", "申报 Claim",
                                    "事项 Subject", "年度 Year", "对象 Record",
                                    "申请 Asked (元)", "核定 Approved (元)",
                                    "已付 Paid (元)", "说明 Note")))
                return VOCFED_ENOMEM;
            if ((rc = s_claim_row(t, c)))
                break;
        }
    }
    return rc;
}

/* Money in four states per subsidy line. */
static int
s_money(const json_t *report, report_xtable_t **v, size_t *n)
{
    json_t *money = json_object_get(report, "money"), *l;
    size_t i;
    if (!money)
        return 0;
    report_xtable_t *t = s_table(
        v, n, "money", "补助资金：测算、申报、核定、已付",
        "Subsidy money: eligible, claimed, approved, paid", "lllrrrr",
        "补助 Subsidy", "年度 Year", "成员 Member", "测算 Eligible (元)",
        "申报 Claimed (元)", "核定 Approved (元)", "已付 Paid (元)");
    if (!t)
        return VOCFED_ENOMEM;
    json_array_foreach(money, i, l)
    {
        char e[48], c[48], a[48], p[48], ys[16];
        json_int_t y = json_integer_value(json_object_get(l, "year"));
        snprintf(ys, sizeof ys, "%" JSON_INTEGER_FORMAT, y);
        char *label = report_subsidy_label(report, report_str(l, "figure"));
        const char *m = report_str(l, "member");
        int rc = label ? s_row(t, report_str(l, "figure"), y, m,
                               json_object_get(l, "eligible"),
                               json_object_get(l, "approved"),
                               json_object_get(l, "paid"), "", label, ys,
                               report_member_name(report, m),
                               s_n(json_object_get(l, "eligible"), e, sizeof e),
                               s_n(json_object_get(l, "claimed"), c, sizeof c),
                               s_n(json_object_get(l, "approved"), a, sizeof a),
                               s_n(json_object_get(l, "paid"), p, sizeof p))
                       : VOCFED_ENOMEM;
        free(label);
        if (rc)
            return rc;
    }
    return 0;
}

/* The budget per year against approved and paid money (SPEC 11.6). */
static int
s_budget(const json_t *report, report_xtable_t **v, size_t *n)
{
    json_t *totals = json_object_get(report, "subsidy_total"), *y;
    const char *ys;
    if (!json_object_get(report, "claims"))
        return 0;
    report_xtable_t *t =
        s_table(v, n, "budget", "年度预算：按已核定与已支付资金核算",
                "Budget against approved and paid money", "lrrrrrrl",
                "年度 Year", "预算 Budget (元)", "测算 Eligible (元)",
                "申报 Claimed (元)", "核定 Approved (元)", "已付 Paid (元)",
                "已承诺 Committed (元)", "状态 Status");
    if (!t)
        return VOCFED_ENOMEM;
    json_object_foreach(totals, ys, y)
    {
        char b[48], e[48], c[48], a[48], p[48], k[48];
        const char *st = report_str(y, "committed_status");
        int rc = s_row(t, "subsidy_total", strtol(ys, NULL, 10), ys,
                       json_object_get(y, "committed"),
                       json_object_get(y, "paid"), json_object_get(y, "budget"),
                       st, ys, s_n(json_object_get(y, "budget"), b, sizeof b),
                       s_n(json_object_get(y, "value"), e, sizeof e),
                       s_n(json_object_get(y, "claimed"), c, sizeof c),
                       s_n(json_object_get(y, "approved"), a, sizeof a),
                       s_n(json_object_get(y, "paid"), p, sizeof p),
                       s_n(json_object_get(y, "committed"), k, sizeof k),
                       report_status_label(st[0] ? st : NULL));
        if (rc)
            return rc;
    }
    return 0;
}

/* A share for people, "-" when there is none. */
static const char *
s_pct(const json_t *v, char *buf, size_t cap)
{
    if (!json_is_number(v))
        return "-";
    report_fmt_pct(json_number_value(v), buf, cap);
    return buf;
}

/* Certified beside claimed: classes per year, dual-qualified teachers. */
static int
s_certified(const json_t *report, report_xtable_t **v, size_t *n)
{
    json_t *cert = json_object_get(report, "certified"), *y;
    const char *ys;
    char a[48], b[48], c[48], pct[32];
    if (!cert)
        return 0;
    report_xtable_t *t =
        s_table(v, n, "certified", "认定与申报对照", "Certified beside claimed",
                "llrrrr", "项目 Item", "年度 Year", "测算 Reported",
                "申报 Claimed", "已认定 Certified", "占比 Share");
    if (!t)
        return VOCFED_ENOMEM;
    json_object_foreach(json_object_get(cert, "coop_classes"), ys, y)
    {
        if (s_row(t, "coop_class_subsidy", strtol(ys, NULL, 10), "coop_classes",
                  json_object_get(y, "approved"), json_object_get(y, "claimed"),
                  NULL, "", "校企合作班 cooperation classes", ys, "-",
                  s_n(json_object_get(y, "claimed"), a, sizeof a),
                  s_n(json_object_get(y, "approved"), b, sizeof b), "-"))
            return VOCFED_ENOMEM;
    }
    json_t *dq = json_object_get(cert, "dual_qualified");
    json_t *sec = json_object_get(dq, "secondary");
    const char *label[2] = {"双师型教师 dual-qualified teachers",
                            "中职学校双师型教师 at secondary schools"};
    const char *bucket[2] = {"dual_qualified", "dual_qualified_secondary"};
    json_t *which[2] = {dq, sec};
    for (size_t k = 0; k < 2; k++) {
        json_t *x = which[k];
        if (!x)
            continue;
        if (s_row(
                t, "dual_qualified_share", 0, bucket[k],
                json_object_get(x, "certified"), json_object_get(x, "claimed"),
                json_object_get(x, "teachers"), "", label[k], "-",
                s_n(json_object_get(x, "reported"), a, sizeof a),
                s_n(json_object_get(x, "claimed"), b, sizeof b),
                s_n(json_object_get(x, "certified"), c, sizeof c),
                s_pct(json_object_get(x, "certified_share"), pct, sizeof pct)))
            return VOCFED_ENOMEM;
    }
    return 0;
}

/* The county assessment (保障措施 三). */
static int
s_county(const json_t *report, report_xtable_t **v, size_t *n)
{
    json_t *county = json_object_get(report, "county"), *r;
    size_t i;
    if (!county)
        return 0;
    report_xtable_t *t = s_table(
        v, n, "county_assessment", "县区考核：初中、高中毕业生进入集团学校",
        "County assessment: graduates entering the group's schools",
        "llrrrrrrl", "区县 County", "年度 Year", "初中毕业 Junior grads",
        "进入中职 Entered secondary", "占比 Share", "高中毕业 High grads",
        "进入高职 Entered higher", "占比 Share", "来源 Source");
    if (!t)
        return VOCFED_ENOMEM;
    json_array_foreach(county, i, r)
    {
        char lab[96], ys[16], a[48], b[48], c[48], d[48], p1[32], p2[32];
        json_int_t y = json_integer_value(json_object_get(r, "year"));
        snprintf(ys, sizeof ys, "%" JSON_INTEGER_FORMAT, y);
        proto_region_label(report_str(r, "region"), lab, sizeof lab);
        if (s_row(t, "county_assessment", y, report_str(r, "region"),
                  json_object_get(r, "secondary_share"),
                  json_object_get(r, "secondary_intake"),
                  json_object_get(r, "junior_grads"), report_str(r, "source"),
                  lab, ys, s_n(json_object_get(r, "junior_grads"), a, sizeof a),
                  s_n(json_object_get(r, "secondary_intake"), b, sizeof b),
                  s_pct(json_object_get(r, "secondary_share"), p1, sizeof p1),
                  s_n(json_object_get(r, "high_grads"), c, sizeof c),
                  s_n(json_object_get(r, "higher_intake"), d, sizeof d),
                  s_pct(json_object_get(r, "higher_share"), p2, sizeof p2),
                  report_str(r, "source")))
            return VOCFED_ENOMEM;
    }
    return 0;
}

/* Progression by cohort: the group's row, then each member's. */
static int
s_progression(const json_t *report, report_xtable_t **v, size_t *n)
{
    json_t *prog = json_object_get(report, "progression"), *y, *m;
    const char *ys, *id;
    if (!prog)
        return 0;
    report_xtable_t *t =
        s_table(v, n, "progression", "3+2 与五年一贯制：按起始年级升入高职",
                "3+2 and five-year pathways: progression by cohort", "llrrr",
                "起始年份 Cohort", "成员 Member", "起始人数 Started",
                "升入高职 In higher study", "升学率 Share");
    if (!t)
        return VOCFED_ENOMEM;
    json_object_foreach(prog, ys, y)
    {
        char a[48], b[48], p[32];
        if (s_row(t, "progression", strtol(ys, NULL, 10), "",
                  json_object_get(y, "share"), json_object_get(y, "progressed"),
                  json_object_get(y, "cohort"), "", ys, "集团 group",
                  s_n(json_object_get(y, "cohort"), a, sizeof a),
                  s_n(json_object_get(y, "progressed"), b, sizeof b),
                  s_pct(json_object_get(y, "share"), p, sizeof p)))
            return VOCFED_ENOMEM;
        json_object_foreach(json_object_get(y, "by_member"), id, m)
        {
            if (s_row(t, "progression", strtol(ys, NULL, 10), id,
                      json_object_get(m, "share"),
                      json_object_get(m, "progressed"),
                      json_object_get(m, "cohort"), "", ys,
                      report_member_name(report, id),
                      s_n(json_object_get(m, "cohort"), a, sizeof a),
                      s_n(json_object_get(m, "progressed"), b, sizeof b),
                      s_pct(json_object_get(m, "share"), p, sizeof p)))
                return VOCFED_ENOMEM;
        }
    }
    return 0;
}

/* Consortia, colleges, bases, studios, projects by level. */
static int
s_bodies(const json_t *report, report_xtable_t **v, size_t *n)
{
    json_t *bodies = json_object_get(report, "bodies"), *b;
    const char *kind;
    if (!bodies)
        return 0;
    report_xtable_t *t = s_table(
        v, n, "bodies",
        "联合体、产业学院、实训基地、大师工作室、教改项目（按级别）",
        "Consortia, colleges, bases, studios, projects by level", "lrrrrrl",
        "类型 Kind", "校级/县级 School/county", "市级 Municipal",
        "省级 Provincial", "国家级 National", "合计 Total", "目标 Aim");
    if (!t)
        return VOCFED_ENOMEM;
    json_object_foreach(bodies, kind, b)
    {
        json_t *lv = json_object_get(b, "by_level"), *x;
        json_int_t low = json_integer_value(json_object_get(lv, "school")) +
                         json_integer_value(json_object_get(lv, "county"));
        json_int_t total = 0;
        const char *k;
        json_object_foreach(lv, k, x)
        {
            if (strcmp(k, "none") != 0)
                total += json_integer_value(x);
        }
        char l0[32], l1[32], l2[32], l3[32], tt[32], aim[160] = "-";
        json_t *aims = json_object_get(b, "aims");
        if (aims)
            snprintf(aim, sizeof aim,
                     "市级 %" JSON_INTEGER_FORMAT
                     " municipal (%s); 国家级 %" JSON_INTEGER_FORMAT
                     " national (%s)",
                     json_integer_value(json_object_get(aims, "municipal")),
                     json_is_true(json_object_get(aims, "municipal_met"))
                         ? "已达 met"
                         : "未达 not yet",
                     json_integer_value(json_object_get(aims, "national")),
                     json_is_true(json_object_get(aims, "national_met"))
                         ? "已达 met"
                         : "未达 not yet");
        char *label =
            report_label(report_str(b, "zh"), report_str(b, "en"), kind);
        json_t *tot = json_integer(total);
        snprintf(l0, sizeof l0, "%" JSON_INTEGER_FORMAT, low);
        int rc =
            label && tot
                ? s_row(t, kind, 0, kind, tot, NULL, NULL, aim, label, l0,
                        s_n(json_object_get(lv, "municipal"), l1, sizeof l1),
                        s_n(json_object_get(lv, "provincial"), l2, sizeof l2),
                        s_n(json_object_get(lv, "national"), l3, sizeof l3),
                        s_n(tot, tt, sizeof tt), aim)
                : VOCFED_ENOMEM;
        free(label);
        json_decref(tot);
        if (rc)
            return rc;
    }
    return 0;
}

int
report_xtables(const json_t *report, report_xtable_t **out, size_t *n)
{
    report_xtable_t *v = NULL;
    size_t k = 0;
    int rc = s_claims(report, &v, &k);
    if (!rc)
        rc = s_money(report, &v, &k);
    if (!rc)
        rc = s_budget(report, &v, &k);
    if (!rc)
        rc = s_certified(report, &v, &k);
    if (!rc)
        rc = s_county(report, &v, &k);
    if (!rc)
        rc = s_progression(report, &v, &k);
    if (!rc)
        rc = s_bodies(report, &v, &k);
    if (rc) {
        report_xtables_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}
