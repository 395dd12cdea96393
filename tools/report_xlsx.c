/* vocfed: the report as an Excel workbook (cmd_report_xlsx() of
 * report_render.h): numbers as numbers with their formats, a frozen
 * bold header row per sheet, text cleaned to valid UTF-8. */
#include "protocol/region.h"
#include "tools/report_model.h"
#include "tools/report_render.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* One workbook being written. */
typedef struct {
    lxw_workbook *wb;  /* the workbook */
    lxw_format *bold;  /* header cells */
    lxw_format *pct;   /* rates: 45.3% */
    lxw_format *num;   /* counts and yuan: 1,234 */
    lxw_error err;     /* first libxlsxwriter failure */
    bool oom;          /* out of memory */
    const json_t *rep; /* the report */
} s_xlsx_t;

static void
s_xerr(s_xlsx_t *x, lxw_error e)
{
    if (e != LXW_NO_ERROR && x->err == LXW_NO_ERROR)
        x->err = e;
}

/* Writes text (cleaned to valid UTF-8 without controls); nothing for
 * NULL or "". */
static void
s_xstr(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
       lxw_format *f)
{
    if (!s || !s[0])
        return;
    char *clean = report_clean(s, "\xEF\xBF\xBD");
    if (!clean) {
        x->oom = true;
        return;
    }
    s_xerr(x, worksheet_write_string(ws, r, c, clean, f));
    free(clean);
}

/* Writes a JSON number as a number; nothing for anything else. */
static void
s_xnum(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
       const json_t *v, lxw_format *f)
{
    if (json_is_number(v) && isfinite(json_number_value(v)))
        s_xerr(x, worksheet_write_number(ws, r, c, json_number_value(v), f));
}

/* Writes a year as a number when it is one, else as text. */
static void
s_xyear(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
        const char *year)
{
    char *end = NULL;
    errno = 0;
    long y = year[0] ? strtol(year, &end, 10) : 0;
    if (year[0] && !errno && end && *end == '\0')
        s_xerr(x, worksheet_write_number(ws, r, c, (double)y, NULL));
    else
        s_xstr(x, ws, r, c, year, NULL);
}

/* A sheet with a bold header row (frozen) and column widths. */
static lxw_worksheet *
s_xsheet(s_xlsx_t *x, const char *name, const char *const *heads,
         const double *widths, size_t n)
{
    lxw_worksheet *ws = workbook_add_worksheet(x->wb, name);
    if (!ws) {
        s_xerr(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        s_xstr(x, ws, 0, (lxw_col_t)i, heads[i], x->bold);
        s_xerr(x, worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i,
                                       widths[i], NULL));
    }
    worksheet_freeze_panes(ws, 1, 0);
    return ws;
}

/* The format for a value of unit. */
static lxw_format *
s_xfmt(s_xlsx_t *x, const char *unit)
{
    return report_is_rate(unit) ? x->pct : x->num;
}

/* State of filling one sheet from report_walk. */
typedef struct {
    s_xlsx_t *x;       /* the workbook */
    lxw_worksheet *ws; /* the sheet */
    lxw_row_t row;     /* the next row */
    unsigned kind;     /* the breakdown shown (REPORT_MEMBER...) */
} s_xsheet_t;

static int
s_xoverview_row(void *ctx, const report_row_t *row)
{
    s_xsheet_t *s = ctx;
    s_xlsx_t *x = s->x;
    lxw_row_t r = s->row++;
    lxw_format *vf = s_xfmt(x, row->unit);
    if (row->kind == &report_part) {
        /* "local_retention/all_graduates" */
        size_t n = strlen(row->id) + strlen(row->bucket) + 2;
        char *id = malloc(n);
        if (!id)
            return VOCFED_ENOMEM;
        snprintf(id, n, "%s/%s", row->id, row->bucket);
        s_xstr(x, s->ws, r, 0, id, NULL);
        free(id);
    } else {
        s_xstr(x, s->ws, r, 0, row->id, NULL);
    }
    s_xstr(x, s->ws, r, 1, row->zh, NULL);
    s_xstr(x, s->ws, r, 2, row->en, NULL);
    s_xstr(x, s->ws, r, 3, row->unit, NULL);
    s_xyear(x, s->ws, r, 4, row->year);
    s_xnum(x, s->ws, r, 5, report_cell_get(row->cell, "value"), vf);
    s_xnum(x, s->ws, r, 6, report_cell_get(row->cell, "numerator"), x->num);
    s_xnum(x, s->ws, r, 7, report_cell_get(row->cell, "denominator"), x->num);
    s_xnum(x, s->ws, r, 8, row->target, vf);
    s_xnum(x, s->ws, r, 9, report_cell_get(row->cell, "target_year"), NULL);
    s_xnum(x, s->ws, r, 10, report_cell_get(row->cell, "attainment"), x->pct);
    if (row->status)
        s_xstr(x, s->ws, r, 11, report_status_label(row->status), NULL);
    s_xstr(x, s->ws, r, 12, report_basis_label(x->rep, row->id), NULL);
    return x->oom ? VOCFED_ENOMEM : 0;
}

static int
s_xbucket_row(void *ctx, const report_row_t *row)
{
    s_xsheet_t *s = ctx;
    s_xlsx_t *x = s->x;
    lxw_row_t r = s->row++;
    lxw_col_t c = 5;
    s_xstr(x, s->ws, r, 0, row->id, NULL);
    s_xstr(x, s->ws, r, 1, row->zh, NULL);
    s_xstr(x, s->ws, r, 2, row->en, NULL);
    s_xyear(x, s->ws, r, 3, row->year);
    char region[64];
    s_xstr(x, s->ws, r, 4,
           s->kind == REPORT_COUNTY
               ? proto_region_label(row->bucket, region, sizeof region)
               : row->bucket,
           NULL);
    if (s->kind == REPORT_MEMBER)
        s_xstr(x, s->ws, r, c++, report_member_name(x->rep, row->bucket), NULL);
    s_xnum(x, s->ws, r, c++, report_cell_get(row->cell, "value"),
           s_xfmt(x, row->unit));
    s_xnum(x, s->ws, r, c++, report_cell_get(row->cell, "numerator"), x->num);
    s_xnum(x, s->ws, r, c, report_cell_get(row->cell, "denominator"), x->num);
    return x->oom ? VOCFED_ENOMEM : 0;
}

static int
s_xoverview(s_xlsx_t *x)
{
    const char *const heads[] = {
        "指标代码 Figure id",
        "指标 Figure",
        "Figure (English)",
        "单位 Unit",
        "年度 Year",
        "数值 Value",
        "分子 Numerator",
        "分母 Denominator",
        "目标 Target",
        "目标年度 Target year",
        report_attain_heading(x->rep),
        "状态 Status",
        "口径 Basis",
    };
    static const double widths[] = {22, 24, 36, 12, 10, 14, 14,
                                    14, 14, 12, 14, 18, 12};
    s_xsheet_t s = {x, s_xsheet(x, "总览 Overview", heads, widths, 13), 1, 0};
    if (!s.ws)
        return 0;
    return report_walk(x->rep, REPORT_GROUP | REPORT_PART, s_xoverview_row, &s);
}

/* The sheet of breakdown report_bds[k], named "按成员 By member". */
static int
s_xbreakdown(s_xlsx_t *x, size_t k)
{
    const report_bd_t *bd = &report_bds[k];
    unsigned kind = 2u << k;
    char name[64];
    snprintf(name, sizeof name, "%s %s", bd->zh, bd->en);
    const char *heads[9] = {"指标代码 Figure id", "指标 Figure",
                            "Figure (English)", "年度 Year", bd->col};
    double widths[9] = {22, 24, 36, 10, 22};
    size_t n = 5;
    if (kind == REPORT_MEMBER) {
        heads[n] = "名称 Name";
        widths[n++] = 28;
    }
    heads[n] = "数值 Value";
    widths[n++] = 14;
    heads[n] = "分子 Numerator";
    widths[n++] = 14;
    heads[n] = "分母 Denominator";
    widths[n++] = 14;
    s_xsheet_t s = {x, s_xsheet(x, name, heads, widths, n), 1, kind};
    if (!s.ws)
        return 0;
    return report_walk(x->rep, kind, s_xbucket_row, &s);
}

/* Payment lines of list from row r on; returns the next row. */
static lxw_row_t
s_xlines(s_xlsx_t *x, lxw_worksheet *ws, json_t *list, lxw_row_t r)
{
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        const char *rest;
        json_t *f =
            report_subsidy_figure(x->rep, report_str(s, "figure"), &rest);
        s_xstr(x, ws, r, 0, report_str(s, "figure"), NULL);
        s_xstr(x, ws, r, 1, report_str(f, "zh"), NULL);
        s_xstr(x, ws, r, 2, report_str(f, "en"), NULL);
        s_xnum(x, ws, r, 3, json_object_get(s, "year"), NULL);
        s_xstr(x, ws, r, 4, report_str(s, "payee"), NULL);
        s_xstr(x, ws, r, 5, report_payee_name(x->rep, s), NULL);
        s_xnum(x, ws, r, 6, json_object_get(s, "count"), x->num);
        s_xnum(x, ws, r, 7, json_object_get(s, "amount"), x->num);
        s_xnum(x, ws, r, 8, json_object_get(s, "total"), x->num);
        r++;
    }
    return r;
}

/* The totals against the budget from row r on; returns the next row. */
static lxw_row_t
s_xtotals(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r)
{
    json_t *totals = json_object_get(x->rep, "subsidy_total");
    const char *year;
    json_t *v;
    if (json_object_size(totals) == 0)
        return r;
    r++;
    static const char *const th[] = {"年度 Year", "合计 Total (元 yuan)",
                                     "预算 Budget (元 yuan)", "状态 Status"};
    for (lxw_col_t c = 0; c < 4; c++)
        s_xstr(x, ws, r, c, th[c], x->bold);
    r++;
    json_object_foreach(totals, year, v)
    {
        s_xyear(x, ws, r, 0, year);
        s_xnum(x, ws, r, 1, json_object_get(v, "value"), x->num);
        s_xnum(x, ws, r, 2, json_object_get(v, "budget"), x->num);
        s_xstr(x, ws, r, 3,
               report_status_label(
                   json_string_value(json_object_get(v, "status"))),
               NULL);
        r++;
    }
    return r;
}

/* The contested claims from row r on (SPEC 12.3), under the rule that
 * settles them; returns the next row. */
static lxw_row_t
s_xconflicts(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r)
{
    static const char *const th[] = {"指标 Figure", "年度 Year", "人员 Person",
                                     "支付 Paid", "其他申报 Others"};
    json_t *list = json_object_get(x->rep, "conflicts"), *c;
    size_t i;
    if (!list)
        return r;
    s_xstr(x, ws, ++r, 0, "争议申报 Contested claims", x->bold);
    s_xstr(x, ws, r++, 1, REPORT_CONFLICT_RULE_ZH "; " REPORT_CONFLICT_RULE_EN,
           NULL);
    for (lxw_col_t k = 0; k < 5; k++)
        s_xstr(x, ws, r, k, th[k], x->bold);
    r++;
    json_array_foreach(list, i, c)
    {
        report_conflict_text_t ct;
        if (report_conflict_text(x->rep, c, &ct)) {
            x->oom = true;
        } else {
            s_xstr(x, ws, r, 0, ct.label, NULL);
            s_xyear(x, ws, r, 1, ct.year);
            s_xstr(x, ws, r, 2, ct.person, NULL);
            s_xstr(x, ws, r, 3, ct.paid, NULL);
            s_xstr(x, ws, r++, 4, ct.others, NULL);
        }
        report_conflict_text_release(&ct);
    }
    return r;
}

/* The subsidies sheet: the payable lines, the totals, the pending lines
 * and the contested claims. */
static void
s_xsubsidies(s_xlsx_t *x)
{
    static const char *const heads[] = {
        "补助代码 Subsidy id", "补助 Subsidy",          "Subsidy (English)",
        "年度 Year",           "收款方 Payee",          "收款方名称 Payee name",
        "数量 Count",          "单价 Amount (元 yuan)", "合计 Total (元 yuan)",
    };
    static const double widths[] = {24, 24, 36, 10, 18, 28, 12, 18, 18};
    lxw_worksheet *ws = s_xsheet(x, "补助 Subsidies", heads, widths, 9);
    json_t *pending = json_object_get(x->rep, "pending");
    if (!ws)
        return;
    lxw_row_t r = s_xlines(x, ws, json_object_get(x->rep, "subsidies"), 1);
    r = s_xtotals(x, ws, r);
    if (pending) {
        s_xstr(x, ws, ++r, 0, REPORT_PENDING_ZH " " REPORT_PENDING_EN, x->bold);
        r = s_xlines(x, ws, pending, r + 1);
    }
    s_xconflicts(x, ws, r);
}

/* A sheet being filled row by row. */
typedef struct {
    s_xlsx_t *x;       /* the workbook */
    lxw_worksheet *ws; /* the sheet */
    lxw_row_t r;       /* the next row */
} s_xrows_t;

/* One row of people found at several members (report_people callback). */
static int
s_xperson(void *ctx, const char *label, const json_t *n)
{
    s_xrows_t *s = ctx;
    s_xstr(s->x, s->ws, s->r, 0, label, NULL);
    s_xnum(s->x, s->ws, s->r++, 1, n, s->x->num);
    return 0;
}

/* How far into each log the figures are, when the report says: a
 * sentence, then a row per log from row r. Returns the next free row. */
static lxw_row_t
s_xapplied(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r)
{
    json_t *a = json_object_get(x->rep, "applied"), *l;
    static const char *const heads[] = {"日志 Log", "已计入 Applied",
                                        "条目 Entries", "未计入 Not yet",
                                        "检查点时间 Checkpoint time"};
    const char *id;
    char line[512];
    if (!a)
        return r;
    s_xstr(x, ws, r, 0, "计入进度 Applied", x->bold);
    report_applied_text(x->rep, line, sizeof line);
    s_xstr(x, ws, r++, 1, line, NULL);
    for (lxw_col_t c = 0; c < 5; c++)
        s_xstr(x, ws, r, c, heads[c], x->bold);
    r++;
    json_object_foreach(json_object_get(a, "logs"), id, l)
    {
        report_log_text_t t;
        report_log_text(l, &t);
        json_t *left =
            json_integer(json_integer_value(json_object_get(l, "size")) -
                         json_integer_value(json_object_get(l, "applied")));
        if (!left)
            x->oom = true;
        s_xstr(x, ws, r, 0, id, NULL);
        s_xnum(x, ws, r, 1, json_object_get(l, "applied"), x->num);
        s_xnum(x, ws, r, 2, json_object_get(l, "size"), x->num);
        s_xnum(x, ws, r, 3, left, x->num);
        s_xstr(x, ws, r++, 4, t.time, NULL);
        json_decref(left);
    }
    return r + 1;
}

/* Under the members: what the whole report is of, how far into each log
 * it is, and the people found at several members. */
static void
s_xasof_footer(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r)
{
    char ryear[32], title[512], moments[512];
    report_year(x->rep, ryear, sizeof ryear);
    report_title(x->rep, title, sizeof title);
    report_moments_text(x->rep, moments, sizeof moments);
    s_xstr(x, ws, r, 0, "报告 Report", x->bold);
    s_xstr(x, ws, r++, 1, title, NULL);
    s_xstr(x, ws, r, 0, "集团 Group", x->bold);
    s_xstr(x, ws, r++, 1, report_str(x->rep, "group"), NULL);
    s_xstr(x, ws, r, 0, "报告年度 Report year", x->bold);
    s_xyear(x, ws, r++, 1, ryear[0] ? ryear : "全部 all");
    s_xstr(x, ws, r, 0, "截至 As of", x->bold);
    s_xstr(x, ws, r++, 1, report_str(x->rep, "as_of"), NULL);
    s_xstr(x, ws, r, 0, "口径 Basis", x->bold);
    s_xstr(x, ws, r++, 1, moments, NULL);
    r++;
    r = s_xapplied(x, ws, r);
    s_xstr(x, ws, r++, 0, "多个成员处的人员 People at more than one member",
           x->bold);
    s_xrows_t s = {x, ws, r};
    if (report_people(x->rep, s_xperson, &s))
        x->oom = true;
    json_t *excluded = json_object_get(x->rep, "excluded"), *e;
    size_t i;
    if (!excluded)
        return;
    s_xstr(x, ws, ++s.r, 0,
           "不计入集团指标的成员 Members kept out of the figures", x->bold);
    s.r++;
    json_array_foreach(excluded, i, e)
    {
        char line[512];
        report_excluded_text(e, line, sizeof line);
        s_xstr(x, ws, s.r++, 0, line, NULL);
    }
}

static void
s_xasof(s_xlsx_t *x)
{
    static const char *const heads[] = {
        "成员 Member",
        "中文名称 Name (zh)",
        "英文名称 Name (en)",
        "角色 Role",
        "隶属 Affiliation",
        "区县 County",
        "条目 Entries",
        "根 Root",
        "检查点时间 Checkpoint time",
        "状态 State",
        "名册 Roster",
    };
    static const char *const texts[] = {
        "name_zh",
        "name_en",
        "role",
        "original_affiliation",
    };
    static const double widths[] = {14, 28, 40, 14, 24, 12, 12, 68, 26, 14, 24};
    lxw_worksheet *ws = s_xsheet(x, "数据截至 As of", heads, widths, 11);
    json_t *members = json_object_get(x->rep, "members");
    lxw_row_t r = 1;
    const char *id;
    json_t *m;
    if (!ws)
        return;
    json_object_foreach(members, id, m)
    {
        char roster[96];
        report_member_text_t mt;
        report_member_text(m, &mt);
        s_xstr(x, ws, r, 0, id, NULL);
        char region[64];
        for (lxw_col_t c = 0; c < 4; c++)
            s_xstr(x, ws, r, c + 1, report_str(m, texts[c]), NULL);
        s_xstr(x, ws, r, 5,
               proto_region_label(report_str(m, "region_code"), region,
                                  sizeof region),
               NULL);
        s_xnum(x, ws, r, 6, json_object_get(m, "size"), x->num);
        s_xstr(x, ws, r, 7, report_str(m, "root"), NULL);
        s_xstr(x, ws, r, 8, report_str(m, "checkpoint_time"), NULL);
        s_xstr(x, ws, r, 9, mt.state, NULL);
        report_roster_text(m, roster, sizeof roster);
        s_xstr(x, ws, r, 10, roster, NULL);
        r++;
    }
    s_xasof_footer(x, ws, r + 1);
}

/* A right-aligned cell of report_xtables as a number when its text is
 * one ("1,234", "45.3%"), else as text. */
static void
s_xcell(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
        const char *text, bool numeric)
{
    char digits[64];
    size_t n = 0;
    for (const char *p = text; numeric && *p && n + 1 < sizeof digits; p++)
        if (*p != ',')
            digits[n++] = *p;
    digits[n] = 0;
    bool pct = n > 1 && digits[n - 1] == '%';
    if (pct)
        digits[--n] = 0;
    char *end = NULL;
    double v = n ? strtod(digits, &end) : 0;
    if (numeric && n && end && *end == '\0' && isfinite(v))
        s_xerr(x, worksheet_write_number(ws, r, c, pct ? v / 100 : v,
                                         pct ? x->pct : x->num));
    else
        s_xstr(x, ws, r, c, text, NULL);
}

/* The certification and policy tables (report_xtables), one under the
 * other on one sheet. */
static int
s_xcertify(s_xlsx_t *x)
{
    report_xtable_t *xt;
    size_t n;
    int rc = report_xtables(x->rep, &xt, &n);
    if (rc || n == 0) {
        if (!rc)
            report_xtables_free(xt, n);
        return rc;
    }
    lxw_worksheet *ws =
        workbook_add_worksheet(x->wb, "认定与考核 Certification");
    lxw_row_t r = 0;
    if (!ws)
        s_xerr(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
    for (lxw_col_t c = 0; ws && c < REPORT_XCOLS_MAX; c++)
        s_xerr(x, worksheet_set_column(ws, c, c, c ? 18 : 30, NULL));
    for (size_t i = 0; ws && i < n; i++) {
        char title[512];
        snprintf(title, sizeof title, "%s %s", xt[i].zh, xt[i].en);
        s_xstr(x, ws, r++, 0, title, x->bold);
        for (size_t c = 0; c < xt[i].ncols; c++)
            s_xstr(x, ws, r, (lxw_col_t)c, xt[i].head[c], x->bold);
        r++;
        for (size_t k = 0; k < xt[i].nrows; k++, r++)
            for (size_t c = 0; c < xt[i].ncols; c++)
                s_xcell(x, ws, r, (lxw_col_t)c, xt[i].rows[k].cells[c],
                        xt[i].align[c] == 'r');
        r++;
    }
    report_xtables_free(xt, n);
    return 0;
}

int
cmd_report_xlsx(const json_t *report, const char *path)
{
    if (!report_is_report(report))
        return VOCFED_EINVALID;
    s_xlsx_t x = {.rep = report};
    x.wb = workbook_new(path);
    if (!x.wb)
        return VOCFED_ENOMEM;
    x.bold = workbook_add_format(x.wb);
    x.pct = workbook_add_format(x.wb);
    x.num = workbook_add_format(x.wb);
    if (!x.bold || !x.pct || !x.num) {
        workbook_close(x.wb);
        return VOCFED_ENOMEM;
    }
    format_set_bold(x.bold);
    format_set_num_format(x.pct, "0.0%");
    format_set_num_format(x.num, "#,##0");
    int rc = s_xoverview(&x);
    if (!rc)
        rc = s_xbreakdown(&x, 0); /* by member */
    if (!rc)
        rc = s_xbreakdown(&x, 1); /* by affiliation */
    if (!rc)
        rc = s_xbreakdown(&x, 2); /* by county */
    if (!rc) {
        s_xsubsidies(&x);
        rc = s_xcertify(&x);
    }
    if (!rc)
        s_xasof(&x);
    /* Close always: it frees the workbook (and writes the file). */
    lxw_error cerr = workbook_close(x.wb);
    if (rc)
        return rc;
    if (x.oom || x.err == LXW_ERROR_MEMORY_MALLOC_FAILED ||
        cerr == LXW_ERROR_MEMORY_MALLOC_FAILED)
        return VOCFED_ENOMEM;
    if (x.err != LXW_NO_ERROR || cerr != LXW_NO_ERROR)
        return -EIO;
    return 0;
}
