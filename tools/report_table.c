/* vocfed: the report as aligned text for a terminal (see report_format.h):
 * Chinese labels first, English beside them, widths counted in terminal
 * columns, control characters of names replaced. */
#include "protocol/region.h"
#include "tools/report_format.h"
#include "tools/report_model.h"
#include "tools/textwidth.h"

#include <stdlib.h>
#include <string.h>

#define S_COLS_MAX 12

/* A table of text cells, aligned when printed. */
typedef struct {
    size_t ncols;      /* columns */
    const char *align; /* 'l' or 'r' per column */
    char **cells;      /* rows x ncols, cleaned copies */
    size_t *widths;    /* display width of each cell */
    size_t rows;       /* rows added, the header included */
    size_t cap;        /* rows allocated */
    bool oom;          /* an add failed */
} s_table_t;

static void
s_table_init(s_table_t *t, const char *align)
{
    memset(t, 0, sizeof *t);
    t->ncols = strlen(align);
    t->align = align;
}

static void
s_table_release(s_table_t *t)
{
    for (size_t i = 0; i < t->rows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->widths);
    memset(t, 0, sizeof *t);
}

/* Makes room for one more row; false (and t->oom) when out of memory. */
static bool
s_table_grow(s_table_t *t)
{
    if (t->rows < t->cap)
        return true;
    size_t cap = t->cap ? 2 * t->cap : 16;
    char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
    if (!c) {
        t->oom = true;
        return false;
    }
    t->cells = c;
    size_t *w = realloc(t->widths, cap * t->ncols * sizeof *w);
    if (!w) {
        t->oom = true;
        return false;
    }
    t->widths = w;
    t->cap = cap;
    return true;
}

/* Adds a row of ncols cells (NULL shows as "-"), copied. */
static void
s_table_add(s_table_t *t, const char *const *cells)
{
    if (t->oom || !s_table_grow(t))
        return;
    size_t base = t->rows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        char *c = report_clean(cells[i] ? cells[i] : "-", "?");
        if (!c) {
            for (size_t j = 0; j < i; j++)
                free(t->cells[base + j]);
            t->oom = true;
            return;
        }
        t->cells[base + i] = c;
        t->widths[base + i] = cli_text_width(c, strlen(c));
    }
    t->rows++;
}

static void
s_spaces(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

/* Prints the header, a rule, and the rows, every line padded to the same
 * display width. Returns 0 or VOCFED_ENOMEM. */
static int
s_table_print(const s_table_t *t, FILE *out)
{
    size_t w[S_COLS_MAX] = {0}, total = 0;
    if (t->oom)
        return VOCFED_ENOMEM;
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            if (t->widths[r * t->ncols + c] > w[c])
                w[c] = t->widths[r * t->ncols + c];
    for (size_t c = 0; c < t->ncols; c++)
        total += w[c] + (c ? 2 : 0);
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            size_t i = r * t->ncols + c, pad = w[c] - t->widths[i];
            if (c)
                s_spaces(out, 2);
            if (t->align[c] == 'r')
                s_spaces(out, pad);
            fputs(t->cells[i], out);
            if (t->align[c] != 'r')
                s_spaces(out, pad);
        }
        fputc('\n', out);
        if (r == 0) {
            for (size_t k = 0; k < total; k++)
                fputc('-', out);
            fputc('\n', out);
        }
    }
    return 0;
}

/* Prints t, releases it, and ends the section with a blank line. Returns
 * rc, or what printing returned. */
static int
s_table_end(s_table_t *t, int rc, FILE *out)
{
    if (!rc)
        rc = s_table_print(t, out);
    s_table_release(t);
    fputc('\n', out);
    return rc;
}

/* The overview being made. */
typedef struct {
    s_table_t t;          /* the table */
    const json_t *report; /* for each figure's basis */
} s_overview_t;

/* Adds a figure's overview row (report_walk callback). */
static int
s_table_figure(void *ctx, const report_row_t *row)
{
    s_overview_t *o = ctx;
    s_table_t *t = &o->t;
    report_cells_t c;
    char *label = report_row_label(row);
    if (!label)
        return VOCFED_ENOMEM;
    report_cells(row, &c);
    const char *basis = report_basis_label(o->report, row->id);
    const char *cells[] = {label,
                           basis[0] ? basis : "-",
                           row->year[0] ? row->year : "-",
                           c.value,
                           c.numden,
                           c.target,
                           c.attain,
                           c.status};
    s_table_add(t, cells);
    free(label);
    return t->oom ? VOCFED_ENOMEM : 0;
}

static int
s_table_figures(const json_t *report, FILE *out)
{
    s_overview_t o = {.report = report};
    fputs("指标 Figures\n", out);
    s_table_init(&o.t, "lllrrrrl");
    s_table_add(&o.t, (const char *const[]){
                          "指标 Figure", "口径 Basis", "年度 Year",
                          "数值 Value", "分子/分母 Num/Den", "目标 Target",
                          report_attain_heading(report), "状态 Status"});
    int rc =
        report_walk(report, REPORT_GROUP | REPORT_PART, s_table_figure, &o);
    return s_table_end(&o.t, rc, out);
}

/* The payment lines of list (the report's "subsidies" or "pending")
 * under title. */
static int
s_table_lines(const json_t *report, json_t *list, const char *title, FILE *out)
{
    s_table_t t;
    size_t i;
    json_t *s;
    int rc = 0;
    fprintf(out, "%s\n", title);
    if (json_array_size(list) == 0) {
        fputs("无 none\n\n", out);
        return 0;
    }
    s_table_init(&t, "llllrrr");
    s_table_add(&t,
                (const char *const[]){"补助 Subsidy", "年度 Year",
                                      "收款方 Payee", "编号 Code", "数量 Count",
                                      "单价 Amount (元)", "合计 Total (元)"});
    json_array_foreach(list, i, s)
    {
        report_line_text_t l;
        report_line_text(s, &l);
        char *label = report_subsidy_label(report, report_str(s, "figure"));
        if (!label) {
            rc = VOCFED_ENOMEM;
            break;
        }
        s_table_add(&t, (const char *const[]){label, l.year,
                                              report_payee_name(report, s),
                                              report_str(s, "payee"), l.count,
                                              l.amount, l.total});
        free(label);
    }
    return s_table_end(&t, rc, out);
}

static int
s_table_subsidies(const json_t *report, FILE *out)
{
    int rc = s_table_lines(report, json_object_get(report, "subsidies"),
                           "补助 Subsidies", out);
    json_t *pending = json_object_get(report, "pending");
    if (!rc && pending)
        rc = s_table_lines(report, pending,
                           REPORT_PENDING_ZH " " REPORT_PENDING_EN, out);
    return rc;
}

/* Contested claims (SPEC 12.3), with the rule that settles them. */
static int
s_table_conflicts(const json_t *report, FILE *out)
{
    json_t *list = json_object_get(report, "conflicts"), *c;
    s_table_t t;
    size_t i;
    int rc = 0;
    if (!list)
        return 0;
    fputs("争议申报 Contested claims: " REPORT_CONFLICT_RULE_ZH
          "; " REPORT_CONFLICT_RULE_EN "\n",
          out);
    if (json_array_size(list) == 0) {
        fputs("无 none\n\n", out);
        return 0;
    }
    s_table_init(&t, "lllll");
    s_table_add(&t,
                (const char *const[]){"指标 Figure", "年度 Year", "人员 Person",
                                      "支付 Paid", "其他申报 Others"});
    json_array_foreach(list, i, c)
    {
        report_conflict_text_t ct;
        if (!(rc = report_conflict_text(report, c, &ct)))
            s_table_add(&t, (const char *const[]){ct.label, ct.year, ct.person,
                                                  ct.paid, ct.others});
        report_conflict_text_release(&ct);
        if (rc)
            break;
    }
    return s_table_end(&t, rc, out);
}

/* Members kept out of the figures: one sentence each. */
static int
s_table_excluded(const json_t *report, FILE *out)
{
    json_t *list = json_object_get(report, "excluded"), *x;
    size_t i;
    if (!list)
        return 0;
    fputs("不计入集团指标的成员 Members kept out of the figures\n", out);
    if (json_array_size(list) == 0)
        fputs("无 none\n", out);
    json_array_foreach(list, i, x)
    {
        char line[512];
        report_excluded_text(x, line, sizeof line);
        char *clean = report_clean(line, "?");
        if (!clean)
            return VOCFED_ENOMEM;
        fprintf(out, "%s\n", clean);
        free(clean);
    }
    fputc('\n', out);
    return 0;
}

static int
s_table_totals(const json_t *report, FILE *out)
{
    s_table_t t;
    json_t *totals = json_object_get(report, "subsidy_total");
    const char *year;
    json_t *v;
    if (json_object_size(totals) == 0)
        return 0;
    fputs("补助合计 Subsidy totals, 年度奖补预算 against the annual award "
          "budget\n",
          out);
    s_table_init(&t, "lrrrl");
    s_table_add(&t, (const char *const[]){"年度 Year", "合计 Total (元)",
                                          "预算 Budget (元)", "余额 Left (元)",
                                          "状态 Status"});
    json_object_foreach(totals, year, v)
    {
        report_total_text_t tt;
        report_total_text(v, &tt);
        s_table_add(&t,
                    (const char *const[]){year, tt.total, tt.budget, tt.left,
                                          report_status_label(tt.status)});
    }
    return s_table_end(&t, 0, out);
}

/* State of listing the members behind. */
typedef struct {
    FILE *out; /* where */
    size_t n;  /* listed so far */
} s_behind_t;

/* Writes ", id (name)" of a member behind (report_behind callback). */
static int
s_table_behind(void *ctx, const char *id, const char *name)
{
    s_behind_t *b = ctx;
    char *cname = report_clean(name, "?");
    char *cid = report_clean(id, "?");
    int rc = VOCFED_ENOMEM;
    if (cname && cid) {
        fprintf(b->out, "%s %s (%s)", b->n++ ? "," : "", cid, cname);
        rc = 0;
    }
    free(cname);
    free(cid);
    return rc;
}

static int
s_table_asof(const json_t *report, FILE *out)
{
    json_t *members = json_object_get(report, "members");
    const char *id;
    json_t *m;
    s_table_t t;
    fputs("数据截至 As of: 各成员的检查点 each member's checkpoint\n", out);
    if (json_object_size(members) == 0) {
        fputs("无成员 no members yet\n\n", out);
        return 0;
    }
    s_table_init(&t, "lllllrllll");
    s_table_add(&t,
                (const char *const[]){
                    "成员 Member", "名称 Name", "角色 Role", "隶属 Affiliation",
                    "区县 County", "条目 Entries", "根 Root",
                    "检查点时间 Checkpoint time", "状态 State", "名册 Roster"});
    json_object_foreach(members, id, m)
    {
        report_member_text_t mt;
        char roster[96], region[64];
        report_member_text(m, &mt);
        report_roster_text(m, roster, sizeof roster);
        proto_region_label(report_str(m, "region_code"), region, sizeof region);
        s_table_add(&t, (const char *const[]){
                            id, report_member_name(report, id),
                            report_str(m, "role"),
                            report_str(m, "original_affiliation"), region,
                            mt.size, mt.root, report_str(m, "checkpoint_time"),
                            mt.state, roster});
    }
    int rc = s_table_print(&t, out);
    s_table_release(&t);
    if (rc)
        return rc;
    fputs("落后成员 Members behind:", out);
    s_behind_t b = {out, 0};
    if ((rc = report_behind(report, s_table_behind, &b)))
        return rc;
    fputs(b.n ? "\n\n" : " 无 none\n\n", out);
    return 0;
}

/* How far into each log the figures are, when the report says: a
 * sentence on what they leave out, then a row per log. */
static int
s_table_applied(const json_t *report, FILE *out)
{
    json_t *logs = json_object_get(json_object_get(report, "applied"), "logs");
    const char *id;
    json_t *l;
    s_table_t t;
    char line[512];
    if (!json_object_get(report, "applied"))
        return 0;
    report_applied_text(report, line, sizeof line);
    fprintf(out, REPORT_APPLIED_ZH " " REPORT_APPLIED_EN "\n%s\n", line);
    if (json_object_size(logs) == 0) {
        fputs("\n", out);
        return 0;
    }
    s_table_init(&t, "lrrrll");
    s_table_add(&t, (const char *const[]){"日志 Log", "已计入 Applied",
                                          "条目 Entries", "未计入 Not yet",
                                          "检查点时间 Checkpoint time",
                                          "状态 State"});
    json_object_foreach(logs, id, l)
    {
        report_log_text_t lt;
        report_log_text(l, &lt);
        s_table_add(&t, (const char *const[]){
                            id, lt.applied, lt.size, lt.left, lt.time,
                            lt.behind ? "未全部计入 behind" : "全部 all"});
    }
    return s_table_end(&t, 0, out);
}

/* Adds a row of people found at several members (report_people
 * callback). */
static int
s_table_person(void *ctx, const char *label, const json_t *n)
{
    s_table_t *t = ctx;
    char count[48];
    report_fmt_value("", n, false, count, sizeof count);
    s_table_add(t, (const char *const[]){label, count});
    return 0;
}

static int
s_table_multi(const json_t *report, FILE *out)
{
    json_t *mm = json_object_get(report, "multi_member_people");
    s_table_t t;
    fputs("多个成员处的人员 People found at more than one member (仅计数 "
          "count only)\n",
          out);
    if (json_object_size(mm) == 0) {
        fputs("无 none\n", out);
        return 0;
    }
    s_table_init(&t, "lr");
    s_table_add(&t, (const char *const[]){"类别 Kind", "人数 People"});
    int rc = report_people(report, s_table_person, &t);
    if (!rc)
        rc = s_table_print(&t, out);
    s_table_release(&t);
    return rc;
}

/* The certification and policy tables (report_xtables). */
static int
s_table_xtables(const json_t *report, FILE *out)
{
    report_xtable_t *xt;
    size_t n;
    int rc = report_xtables(report, &xt, &n);
    if (rc)
        return rc; /* it freed what it made */
    for (size_t i = 0; !rc && i < n; i++) {
        s_table_t t;
        fprintf(out, "%s %s\n", xt[i].zh, xt[i].en);
        if (xt[i].nrows == 0) {
            fputs("无 none\n\n", out);
            continue;
        }
        s_table_init(&t, xt[i].align);
        s_table_add(&t, xt[i].head);
        for (size_t r = 0; r < xt[i].nrows; r++)
            s_table_add(&t, (const char *const *)xt[i].rows[r].cells);
        rc = s_table_end(&t, 0, out);
    }
    report_xtables_free(xt, n); /* also after a failed write */
    return rc;
}

int
report_table_write(const json_t *report, FILE *out)
{
    char ryear[32];
    report_year(report, ryear, sizeof ryear);
    char title[512], moments[512];
    report_title(report, title, sizeof title);
    report_moments_text(report, moments, sizeof moments);
    char *group = report_clean(title, "?");
    char *asof = report_clean(report_str(report, "as_of"), "?");
    char *when = report_clean(moments, "?");
    int rc = VOCFED_ENOMEM;
    if (!group || !asof || !when)
        goto done;
    fprintf(out,
            "%s\n"
            "报告年度 Report year: %s    截至 As of: %s\n%s\n\n",
            group, ryear[0] ? ryear : "全部 all", asof[0] ? asof : "-", when);
    rc = s_table_figures(report, out);
    if (!rc)
        rc = s_table_subsidies(report, out);
    if (!rc)
        rc = s_table_totals(report, out);
    if (!rc)
        rc = s_table_conflicts(report, out);
    if (!rc)
        rc = s_table_xtables(report, out);
    if (!rc)
        rc = s_table_excluded(report, out);
    if (!rc)
        rc = s_table_asof(report, out);
    if (!rc)
        rc = s_table_applied(report, out);
    if (!rc)
        rc = s_table_multi(report, out);
done:
    free(group);
    free(asof);
    free(when);
    return rc;
}
