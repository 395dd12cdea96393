/* vocfed: the report as one self-contained HTML page (see
 * report_format.h): an overview table, then per figure an inline SVG bar
 * chart (the group against its target, then each member) and its
 * breakdowns, folded; the subsidies, the members' checkpoints and the
 * people found at several members. Text from the report is escaped. */
#include "protocol/region.h"
#include "tools/report_format.h"
#include "tools/report_model.h"
#include "tools/report_render.h"
#include "tools/textwidth.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Writes s as HTML text or attribute value: & < > " ' escaped, controls
 * and bytes that are not UTF-8 replaced by U+FFFD. */
static void
s_html(FILE *out, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    while (len > 0) {
        uint32_t cp;
        size_t n = cli_utf8_decode(s, len, &cp);
        if (n == 0 || (report_unsafe_cp(cp) && cp != '\n' && cp != '\t')) {
            fputs("\xEF\xBF\xBD", out);
            n = n ? n : 1;
        } else if (cp == '&') {
            fputs("&amp;", out);
        } else if (cp == '<') {
            fputs("&lt;", out);
        } else if (cp == '>') {
            fputs("&gt;", out);
        } else if (cp == '"') {
            fputs("&quot;", out);
        } else if (cp == '\'') {
            fputs("&#39;", out);
        } else {
            fwrite(s, 1, n, out);
        }
        s += n;
        len -= n;
    }
}

/* No fonts, scripts or images from anywhere: the page must open the same
 * offline, from a mail attachment or a USB stick. */
static const char s_css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\","
    "\"PingFang SC\",\"Microsoft YaHei\",sans-serif;margin:24px auto;"
    "max-width:1100px;padding:0 16px;color:#1a202c;line-height:1.5}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}\n"
    "h2{border-bottom:2px solid #2b6cb0;padding-bottom:.2em;"
    "margin-top:2em}\n"
    "h3{margin:1.5em 0 .3em}h4{margin:.8em 0 .2em}\n"
    ".en{color:#4a5568;font-weight:normal;font-size:.9em}\n"
    ".meta{color:#4a5568}\n"
    "table{border-collapse:collapse;margin:.5em 0 1em}\n"
    "th,td{border:1px solid #cbd5e0;padding:3px 8px;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#edf2f7}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    ".met,.within{color:#276749}.on_track{color:#2b6cb0}\n"
    ".behind,.over{color:#c53030;font-weight:bold}\n"
    "svg{display:block;margin:.5em 0;max-width:100%;height:auto}\n"
    "svg text{font-size:12px;fill:#1a202c}\n"
    "rect.g{fill:#2b6cb0}rect.m{fill:#90cdf4}rect.k{fill:#edf2f7}\n"
    "line.t{stroke:#c53030;stroke-width:2}\n"
    "line.tm{stroke:#c53030;stroke-width:1;stroke-dasharray:3 2}\n"
    "details{margin:.3em 0 1em}summary{cursor:pointer;color:#2b6cb0}\n";

/* One bar of a chart. */
typedef struct {
    const char *label; /* shown left of the bar (borrowed) */
    char text[64];     /* the value as shown right of the bar */
    double value;      /* NAN when there is none */
    double target;     /* NAN when there is none */
    bool group;        /* the group's total (else a member's) */
} s_bar_t;

#define S_ROW_H 22    /* pixels per bar row */
#define S_BAR_H 14    /* bar height */
#define S_PX 7        /* pixels per display column of a 12 px label */
#define S_BAR_W 360.0 /* the longest bar */
#define S_TEXT_W 130  /* room for the value right of the bars */

static double
s_num_or_nan(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The year whose members a per-year figure's chart shows: the report's
 * year if the figure has it, else its latest. */
static size_t
s_chart_frame(const report_frame_t *frames, size_t n, const char *ryear)
{
    for (size_t i = 0; i < n; i++)
        if (ryear[0] && strcmp(frames[i].year, ryear) == 0)
            return i;
    return n ? n - 1 : 0;
}

/* The bars of one figure's chart. */
typedef struct {
    const json_t *report; /* for the members' names */
    const char *unit;     /* the figure's unit */
    double target;        /* drawn on member bars of a rate, or NAN */
    s_bar_t *bars;        /* the group's bars, then the members' */
    size_t n, cap;        /* bars made, room */
    size_t ngroup;        /* the group's bars (one per year) */
    const char *year;     /* the year of the members' bars, or "" */
} s_chart_t;

static int
s_chart_member(void *ctx, const char *bucket, json_t *cell)
{
    s_chart_t *c = ctx;
    if (c->n == c->cap)
        return 0;
    s_bar_t *b = &c->bars[c->n++];
    json_t *v = report_cell_get(cell, "value");
    b->label = report_member_name(c->report, bucket);
    b->value = s_num_or_nan(v);
    b->target = c->target;
    b->group = false;
    report_fmt_value(c->unit, v, false, b->text, sizeof b->text);
    return 0;
}

/* Makes the bars of figure f: the group's value (one bar per year for a
 * per-year figure) with its target, then each member's for one year.
 * c->bars is malloc'd (free it; NULL when there is nothing to draw).
 * Returns 0 or VOCFED_ENOMEM. */
static int
s_chart_bars(const json_t *report, const report_fig_t *f,
             const report_frame_t *frames, size_t nframes, const char *ryear,
             s_chart_t *c)
{
    const char *unit = report_str(f->fig, "unit");
    size_t which = s_chart_frame(frames, nframes, ryear);
    json_t *by_member =
        nframes ? json_object_get(frames[which].frame, "by_member") : NULL;
    size_t cap = nframes + json_object_size(by_member);
    *c = (s_chart_t){report, unit, NAN,     NULL,
                     0,      cap,  nframes, nframes ? frames[which].year : ""};
    if (cap == 0)
        return 0;
    if (!(c->bars = calloc(cap, sizeof *c->bars)))
        return VOCFED_ENOMEM;
    bool per_year = report_per_year(f->fig);
    for (size_t i = 0; i < nframes; i++) {
        s_bar_t *b = &c->bars[c->n++];
        json_t *v = json_object_get(frames[i].frame, "value");
        b->label = per_year ? frames[i].year : "集团 Group";
        b->value = s_num_or_nan(v);
        b->target = s_num_or_nan(report_frame_target(frames[i].frame));
        b->group = true;
        report_fmt_value(unit, v, false, b->text, sizeof b->text);
    }
    /* A rate's target holds for each member too (self-hired posts: each
     * school); a count's is the group's alone. */
    if (report_is_rate(unit) && nframes)
        c->target = c->bars[which].target;
    return report_buckets(report, by_member, true, s_chart_member, c);
}

/* Writes the figure's labels, as the chart's name for screen readers. */
static void
s_svg_name(FILE *out, const json_t *fig)
{
    s_html(out, report_str(fig, "zh"));
    fputc(' ', out);
    s_html(out, report_str(fig, "en"));
}

/* Writes one bar at y: label, background, bar, value, target line. */
static void
s_svg_bar(FILE *out, const s_bar_t *b, int lw, int y, double max)
{
    double v = isfinite(b->value) && b->value > 0 ? b->value : 0;
    double bw = S_BAR_W * v / max;
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 6,
            y + 15);
    s_html(out, b->label);
    fprintf(out,
            "</text>\n<rect class=\"k\" x=\"%d\" y=\"%d\" "
            "width=\"%.0f\" height=\"%d\"/>"
            "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
            "height=\"%d\"/>\n",
            lw, y + 4, S_BAR_W, S_BAR_H, b->group ? "g" : "m", lw, y + 4, bw,
            S_BAR_H);
    /* Values in a column of their own, clear of the target lines. */
    fprintf(out, "<text x=\"%d\" y=\"%d\">", lw + (int)S_BAR_W + 8, y + 15);
    s_html(out, b->text);
    fputs("</text>\n", out);
    if (isfinite(b->target) && b->target >= 0) {
        double tx = lw + S_BAR_W * b->target / max;
        fprintf(out,
                "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
                "y2=\"%d\"/>\n",
                b->group ? "t" : "tm", tx, tx, y + 1, y + 4 + S_BAR_H + 3);
    }
}

/* Writes the legend at y. */
static void
s_svg_legend(FILE *out, int lw, int y)
{
    fprintf(out,
            "<rect class=\"g\" x=\"%d\" y=\"%d\" width=\"12\" height=\"10\"/>"
            "<text x=\"%d\" y=\"%d\">集团 group</text>\n"
            "<rect class=\"m\" x=\"%d\" y=\"%d\" width=\"12\" height=\"10\"/>"
            "<text x=\"%d\" y=\"%d\">成员 member</text>\n"
            "<line class=\"t\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>"
            "<text x=\"%d\" y=\"%d\">目标 target</text>\n",
            lw, y, lw + 16, y + 10, lw + 110, y, lw + 126, y + 10, lw + 236,
            lw + 236, y - 2, y + 12, lw + 242, y + 10);
}

/* The scale of a chart: its largest value or target (1 for a rate below
 * the whole), and the width of the labels' column in pixels. */
static void
s_svg_scale(const s_chart_t *c, double *max, int *lw)
{
    size_t lcols = 0;
    *max = 0;
    for (size_t i = 0; i < c->n; i++) {
        const s_bar_t *b = &c->bars[i];
        if (isfinite(b->value) && b->value > *max)
            *max = b->value;
        if (isfinite(b->target) && b->target > *max)
            *max = b->target;
        size_t w = cli_text_width(b->label, strlen(b->label));
        if (w > lcols)
            lcols = w;
    }
    /* A rate is drawn against the whole (100%), not its largest value. */
    if (*max <= 0 || (report_is_rate(c->unit) && *max < 1))
        *max = 1;
    *lw = (int)(lcols > 60 ? 60 : lcols) * S_PX + 12;
    if (*lw < 80)
        *lw = 80;
}

/* Writes chart c of figure fig as inline SVG: a horizontal bar chart with
 * the targets as red lines. Nothing when no bar has a value or a
 * target. */
static void
s_svg(FILE *out, const json_t *fig, const s_chart_t *c)
{
    bool any = false;
    for (size_t i = 0; i < c->n && !any; i++)
        any = isfinite(c->bars[i].value) || isfinite(c->bars[i].target);
    if (!any)
        return;
    double max;
    int lw;
    s_svg_scale(c, &max, &lw);
    int caption = c->n > c->ngroup ? 26 : 0;
    int height = 6 + (int)c->n * S_ROW_H + caption + 26;
    int width = lw + (int)S_BAR_W + S_TEXT_W;
    fprintf(out,
            "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "role=\"img\" aria-label=\"",
            width, height, width, height);
    s_svg_name(out, fig);
    fputs("\">\n<title>", out);
    s_svg_name(out, fig);
    fputs("</title>\n", out);
    int y = 6;
    for (size_t i = 0; i < c->n; i++) {
        if (i == c->ngroup) {
            fprintf(out, "<text x=\"%d\" y=\"%d\">按成员 By member", 4, y + 18);
            if (c->year[0]) {
                fputs(" (", out);
                s_html(out, c->year);
                fputc(')', out);
            }
            fputs("</text>\n", out);
            y += caption;
        }
        s_svg_bar(out, &c->bars[i], lw, y, max);
        y += S_ROW_H;
    }
    s_svg_legend(out, lw, y + 6);
    fputs("</svg>\n", out);
}

/* Writes the chart of one figure (see s_chart_bars and s_svg). */
static int
s_html_chart(FILE *out, const json_t *report, const report_fig_t *f,
             const report_frame_t *frames, size_t nframes, const char *ryear)
{
    s_chart_t c;
    int rc = s_chart_bars(report, f, frames, nframes, ryear, &c);
    if (!rc)
        s_svg(out, f->fig, &c);
    free(c.bars);
    return rc;
}

/* Writes the overview's cells of one row as <td>s. */
static void
s_html_cells(FILE *out, const report_row_t *row)
{
    report_cells_t c;
    report_cells(row, &c);
    fputs("<td>", out);
    s_html(out, row->year[0] ? row->year : "-");
    const char *nums[] = {c.value, c.numden, c.target, c.attain};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        fputs("</td><td class=\"n\">", out);
        s_html(out, nums[i]);
    }
    fprintf(out, "</td><td class=\"%s\">", report_status_class(row->status));
    s_html(out, c.status);
    fputs("</td></tr>\n", out);
}

/* The state of the overview's walk. */
typedef struct {
    FILE *out;            /* where */
    const json_t *report; /* for each figure's basis */
    bool data;            /* data-* attributes on the group rows (a page's) */
} s_html_ov_t;

/* data-figure, data-year and data-value of a group row, for programs. */
static void
s_html_data(FILE *out, const report_row_t *row)
{
    json_t *v = report_cell_get(row->cell, "value");
    fputs(" data-figure=\"", out);
    s_html(out, row->id);
    fputs("\" data-year=\"", out);
    s_html(out, row->year);
    fputs("\" data-value=\"", out);
    if (json_is_integer(v))
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v) && isfinite(json_real_value(v)))
        fprintf(out, "%.17g", json_real_value(v));
    fputc('"', out);
}

static int
s_html_overview_row(void *ctx, const report_row_t *row)
{
    const s_html_ov_t *ov = ctx;
    FILE *out = ov->out;
    fputs("<tr", out);
    if (ov->data && !row->kind)
        s_html_data(out, row);
    fputs("><td><a href=\"#f-", out);
    s_html(out, row->id);
    fputs("\">", out);
    s_html(out, row->zh[0] ? row->zh : row->id);
    fputs("</a> <span class=\"en\">", out);
    s_html(out, row->en);
    fputs("</span>", out);
    if (row->kind == &report_part) {
        fputs(": ", out);
        s_html(out, report_part_label(row->bucket));
    }
    fputs("</td><td>", out);
    const char *basis = report_basis_label(ov->report, row->id);
    s_html(out, basis[0] ? basis : "-");
    fputs("</td>", out);
    s_html_cells(out, row);
    return 0;
}

/* State of one breakdown table. */
typedef struct {
    FILE *out;            /* where */
    const json_t *report; /* for the members' names */
    const char *unit;     /* the figure's unit */
    bool member;          /* a by_member table: names shown */
    bool county;          /* a by_county table: codes with their names */
} s_html_bd_t;

static int
s_html_bucket(void *ctx, const char *bucket, json_t *cell)
{
    s_html_bd_t *h = ctx;
    char v[64], num[48] = "-", den[48] = "-";
    report_fmt_value(h->unit, report_cell_get(cell, "value"), true, v,
                     sizeof v);
    report_fmt_value("", report_cell_get(cell, "numerator"), false, num,
                     sizeof num);
    report_fmt_value("", report_cell_get(cell, "denominator"), false, den,
                     sizeof den);
    char region[64];
    fputs("<tr><td>", h->out);
    s_html(h->out, h->county ? proto_region_label(bucket, region, sizeof region)
                             : bucket);
    if (h->member) {
        fputs("</td><td>", h->out);
        s_html(h->out, report_member_name(h->report, bucket));
    }
    const char *nums[] = {v, num, den};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        fputs("</td><td class=\"n\">", h->out);
        s_html(h->out, nums[i]);
    }
    fputs("</td></tr>\n", h->out);
    return 0;
}

/* Whether any year of a figure has a bucket in a breakdown. */
static bool
s_has_breakdowns(const report_frame_t *frames, size_t nframes)
{
    for (size_t i = 0; i < nframes; i++)
        for (size_t k = 0; k < REPORT_NBDS; k++)
            if (json_object_size(
                    json_object_get(frames[i].frame, report_bds[k].key)))
                return true;
    return false;
}

/* One breakdown table of one year of a figure. */
static int
s_html_breakdown(s_html_bd_t *h, const report_frame_t *frame, size_t k)
{
    FILE *out = h->out;
    json_t *map = json_object_get(frame->frame, report_bds[k].key);
    if (json_object_size(map) == 0)
        return 0;
    fputs("<h4>", out);
    if (frame->year[0]) {
        s_html(out, frame->year);
        fputc(' ', out);
    }
    fprintf(out, "%s <span class=\"en\">%s</span></h4>\n", report_bds[k].zh,
            report_bds[k].en);
    h->member = k == 0;
    h->county = k == 2;
    fprintf(out,
            "<table><thead><tr><th>%s</th>%s<th>数值 Value</th>"
            "<th>分子 Numerator</th><th>分母 Denominator</th>"
            "</tr></thead><tbody>\n",
            report_bds[k].col, h->member ? "<th>名称 Name</th>" : "");
    int rc = report_buckets(h->report, map, h->member, s_html_bucket, h);
    if (!rc)
        fputs("</tbody></table>\n", out);
    return rc;
}

/* The breakdown tables of one figure, folded. */
static int
s_html_breakdowns(FILE *out, const json_t *report, const report_fig_t *f,
                  const report_frame_t *frames, size_t nframes)
{
    if (!s_has_breakdowns(frames, nframes))
        return 0;
    fputs("<details><summary>明细 Breakdown: 按成员 by member, 按隶属 by "
          "affiliation, 按区县 by county</summary>\n",
          out);
    s_html_bd_t h = {out, report, report_str(f->fig, "unit"), false, false};
    int rc = 0;
    for (size_t i = 0; !rc && i < nframes; i++)
        for (size_t k = 0; !rc && k < REPORT_NBDS; k++)
            rc = s_html_breakdown(&h, &frames[i], k);
    if (!rc)
        fputs("</details>\n", out);
    return rc;
}

static int
s_html_figures(FILE *out, const json_t *report, const char *ryear)
{
    report_fig_t *figs = NULL;
    size_t nfigs = 0;
    int rc = report_figures(report, &figs, &nfigs);
    for (size_t i = 0; !rc && i < nfigs; i++) {
        report_frame_t *frames = NULL;
        size_t nframes = 0;
        if ((rc = report_frames(figs[i].fig, ryear, &frames, &nframes)))
            break;
        fputs("<section id=\"f-", out);
        s_html(out, figs[i].id);
        fputs("\">\n<h3>", out);
        s_html(out, report_str(figs[i].fig, "zh"));
        fputs(" <span class=\"en\">", out);
        s_html(out, report_str(figs[i].fig, "en"));
        fputs("</span></h3>\n", out);
        rc = s_html_chart(out, report, &figs[i], frames, nframes, ryear);
        if (!rc)
            rc = s_html_breakdowns(out, report, &figs[i], frames, nframes);
        fputs("</section>\n", out);
        free(frames);
    }
    free(figs);
    return rc;
}

/* Writes cells as <td>s, class "n" (numbers) from the first numeric. */
static void
s_html_tds(FILE *out, const char *const *cells, size_t n, size_t first_num)
{
    for (size_t i = 0; i < n; i++) {
        fputs(i >= first_num ? "<td class=\"n\">" : "<td>", out);
        s_html(out, cells[i]);
        fputs("</td>", out);
    }
}

/* One line of the subsidies: its figure's labels, then its cells. */
static void
s_html_line(FILE *out, const json_t *report, const json_t *s)
{
    const char *rest;
    json_t *f = report_subsidy_figure(report, report_str(s, "figure"), &rest);
    report_line_text_t l;
    report_line_text(s, &l);
    const char *zh = report_str(f, "zh");
    fputs("<tr><td>", out);
    s_html(out, zh[0] ? zh : report_str(s, "figure"));
    fputs(" <span class=\"en\">", out);
    s_html(out, report_str(f, "en"));
    if (rest) {
        fputs(" (", out);
        s_html(out, rest);
        fputc(')', out);
    }
    fputs("</span></td>", out);
    const char *cells[] = {l.year,
                           report_payee_name(report, s),
                           report_str(s, "payee"),
                           l.count,
                           l.amount,
                           l.total};
    s_html_tds(out, cells, 6, 3);
    fputs("</tr>\n", out);
}

static void
s_html_subsidies(FILE *out, const json_t *report)
{
    json_t *list = json_object_get(report, "subsidies");
    fputs("<h2>补助 <span class=\"en\">Subsidies</span></h2>\n", out);
    if (json_array_size(list) == 0) {
        fputs("<p>无 none</p>\n", out);
        return;
    }
    fputs("<table><thead><tr><th>补助 Subsidy</th><th>年度 Year</th>"
          "<th>收款方 Payee</th><th>编号 Code</th><th>数量 Count</th>"
          "<th>单价 Amount (元)</th><th>合计 Total (元)</th></tr></thead>"
          "<tbody>\n",
          out);
    for (size_t i = 0; i < json_array_size(list); i++)
        s_html_line(out, report, json_array_get(list, i));
    fputs("</tbody></table>\n", out);
}

/* The pending payment lines (SPEC 12.3), when the report has them. */
static void
s_html_pending(FILE *out, const json_t *report)
{
    json_t *list = json_object_get(report, "pending");
    if (!list)
        return;
    fputs("<h3>" REPORT_PENDING_ZH " <span class=\"en\">" REPORT_PENDING_EN
          "</span></h3>\n",
          out);
    if (json_array_size(list) == 0) {
        fputs("<p>无 none</p>\n", out);
        return;
    }
    fputs("<table><thead><tr><th>补助 Subsidy</th><th>年度 Year</th>"
          "<th>收款方 Payee</th><th>编号 Code</th><th>数量 Count</th>"
          "<th>单价 Amount (元)</th><th>合计 Total (元)</th></tr></thead>"
          "<tbody>\n",
          out);
    for (size_t i = 0; i < json_array_size(list); i++)
        s_html_line(out, report, json_array_get(list, i));
    fputs("</tbody></table>\n", out);
}

/* The contested claims, under the rule that settles them. Returns 0 or
 * VOCFED_ENOMEM. */
static int
s_html_conflicts(FILE *out, const json_t *report)
{
    json_t *list = json_object_get(report, "conflicts");
    int rc = 0;
    if (!list)
        return 0;
    fputs("<h2>争议申报 <span class=\"en\">Contested claims</span></h2>\n"
          "<p>" REPORT_CONFLICT_RULE_ZH
          " <span class=\"en\">" REPORT_CONFLICT_RULE_EN "</span></p>\n",
          out);
    if (json_array_size(list) == 0) {
        fputs("<p>无 none</p>\n", out);
        return 0;
    }
    fputs("<table><thead><tr><th>指标 Figure</th><th>年度 Year</th>"
          "<th>人员 Person</th><th>支付 Paid</th><th>其他申报 Others</th>"
          "</tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < json_array_size(list) && !rc; i++) {
        report_conflict_text_t t;
        rc = report_conflict_text(report, json_array_get(list, i), &t);
        if (!rc) {
            const char *cells[] = {t.label, t.year, t.person, t.paid, t.others};
            fputs("<tr>", out);
            s_html_tds(out, cells, 5, 5);
            fputs("</tr>\n", out);
        }
        report_conflict_text_release(&t);
    }
    fputs("</tbody></table>\n", out);
    return rc;
}

/* The members kept out of the figures, one sentence each. */
static void
s_html_excluded(FILE *out, const json_t *report)
{
    json_t *list = json_object_get(report, "excluded");
    if (!list)
        return;
    fputs("<h3>不计入集团指标的成员 <span class=\"en\">Members kept out of "
          "the figures</span></h3>\n",
          out);
    if (json_array_size(list) == 0)
        fputs("<p>无 none</p>\n", out);
    for (size_t i = 0; i < json_array_size(list); i++) {
        char line[512];
        report_excluded_text(json_array_get(list, i), line, sizeof line);
        fputs("<p>", out);
        s_html(out, line);
        fputs("</p>\n", out);
    }
}

static void
s_html_totals(FILE *out, const json_t *report)
{
    json_t *totals = json_object_get(report, "subsidy_total");
    const char *year;
    json_t *v;
    if (json_object_size(totals) == 0)
        return;
    fputs("<h3>补助合计 <span class=\"en\">Subsidy totals against the annual "
          "award budget</span></h3>\n"
          "<table><thead><tr><th>年度 Year</th><th>合计 Total (元)</th>"
          "<th>预算 Budget (元)</th><th>余额 Left (元)</th><th>状态 Status"
          "</th></tr></thead><tbody>\n",
          out);
    json_object_foreach(totals, year, v)
    {
        report_total_text_t t;
        report_total_text(v, &t);
        fputs("<tr>", out);
        const char *cells[] = {year, t.total, t.budget, t.left};
        s_html_tds(out, cells, 4, 1);
        fprintf(out, "<td class=\"%s\">", report_status_class(t.status));
        s_html(out, report_status_label(t.status));
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* One member's row of the checkpoints table. */
static void
s_html_member(FILE *out, const char *id, const json_t *m)
{
    report_member_text_t t;
    char roster[96];
    report_member_text(m, &t);
    fputs("<tr><td>", out);
    s_html(out, id);
    fputs("</td><td>", out);
    s_html(out, report_str(m, "name_zh"));
    fputs(" <span class=\"en\">", out);
    s_html(out, report_str(m, "name_en"));
    fputs("</span></td>", out);
    char region[64];
    const char *cells[] = {
        report_str(m, "role"), report_str(m, "original_affiliation"),
        proto_region_label(report_str(m, "region_code"), region, sizeof region),
        t.size};
    s_html_tds(out, cells, 4, 3);
    fputs("<td><code>", out);
    s_html(out, t.root);
    fputs("</code></td><td>", out);
    s_html(out, report_str(m, "checkpoint_time"));
    fprintf(out, "</td><td class=\"%s\">%s</td><td>", t.behind ? "behind" : "",
            t.state);
    report_roster_text(m, roster, sizeof roster);
    s_html(out, roster);
    fputs("</td></tr>\n", out);
}

/* State of listing the members behind. */
typedef struct {
    FILE *out; /* where */
    size_t n;  /* listed so far */
} s_behind_t;

static int
s_html_behind(void *ctx, const char *id, const char *name)
{
    s_behind_t *b = ctx;
    fputs(b->n++ ? ", " : " ", b->out);
    s_html(b->out, id);
    fputs(" (", b->out);
    s_html(b->out, name);
    fputc(')', b->out);
    return 0;
}

static void
s_html_asof(FILE *out, const json_t *report)
{
    json_t *members = json_object_get(report, "members");
    const char *id;
    json_t *m;
    fputs("<h2>数据截至 <span class=\"en\">As of: each member's "
          "checkpoint</span></h2>\n"
          "<table><thead><tr><th>成员 Member</th><th>名称 Name</th>"
          "<th>角色 Role</th><th>隶属 Affiliation</th><th>区县 County</th>"
          "<th>条目 Entries</th><th>根 Root</th><th>检查点时间 Checkpoint "
          "time</th><th>状态 State</th><th>名册 Roster</th></tr></thead>"
          "<tbody>\n",
          out);
    json_object_foreach(members, id, m)
    {
        s_html_member(out, id, m);
    }
    fputs("</tbody></table>\n<p>落后成员 Members behind:", out);
    s_behind_t b = {out, 0};
    if (report_behind(report, s_html_behind, &b) == 0)
        fputs(b.n ? "</p>\n" : " 无 none</p>\n", out);
}

/* How far into each log the figures are, when the report says. */
static void
s_html_applied(FILE *out, const json_t *report)
{
    json_t *logs = json_object_get(json_object_get(report, "applied"), "logs");
    const char *id;
    json_t *l;
    char line[512];
    if (!json_object_get(report, "applied"))
        return;
    fputs("<h3>计入进度 <span class=\"en\">" REPORT_APPLIED_EN "</span></h3>\n"
          "<table><thead><tr><th>日志 Log</th><th>已计入 Applied</th>"
          "<th>条目 Entries</th><th>未计入 Not yet</th><th>检查点时间 "
          "Checkpoint time</th></tr></thead><tbody>\n",
          out);
    json_object_foreach(logs, id, l)
    {
        report_log_text_t t;
        report_log_text(l, &t);
        fprintf(out, "<tr%s><td>", t.behind ? " class=\"behind\"" : "");
        s_html(out, id);
        fputs("</td>", out);
        const char *cells[] = {t.applied, t.size, t.left, t.time};
        s_html_tds(out, cells, 3, 0); /* numbers */
        s_html_tds(out, cells + 3, 1, 1);
        fputs("</tr>\n", out);
    }
    report_applied_text(report, line, sizeof line);
    fprintf(out, "</tbody></table>\n<p class=\"%s\">",
            report_applied_complete(report) ? "" : "behind");
    s_html(out, line);
    fputs("</p>\n", out);
}

static int
s_html_person(void *ctx, const char *label, const json_t *n)
{
    FILE *out = ctx;
    char count[48];
    report_fmt_value("", n, false, count, sizeof count);
    fputs("<tr><th>", out);
    s_html(out, label);
    fputs("</th><td class=\"n\">", out);
    s_html(out, count);
    fputs("</td></tr>\n", out);
    return 0;
}

static int
s_html_people(FILE *out, const json_t *report)
{
    fputs("<h2>多个成员处的人员 <span class=\"en\">People found at more than "
          "one member (count only)</span></h2>\n",
          out);
    if (json_object_size(json_object_get(report, "multi_member_people")) == 0) {
        fputs("<p>无 none</p>\n", out);
        return 0;
    }
    fputs("<table><tbody>\n", out);
    int rc = report_people(report, s_html_person, out);
    if (!rc)
        fputs("</tbody></table>\n", out);
    return rc;
}

/* The page's head and title, up to the overview's table. */
static void
s_html_head(FILE *out, const json_t *report, const char *ryear,
            const cmd_report_page_t *page)
{
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n"
          "<title>",
          out);
    char title[512], moments[512];
    report_title(report, title, sizeof title);
    report_moments_text(report, moments, sizeof moments);
    s_html(out, title);
    if (ryear[0]) {
        fputc(' ', out);
        s_html(out, ryear);
    }
    fprintf(out, "</title>\n<style>\n%s</style>\n", s_css);
    if (page && page->head)
        fputs(page->head, out);
    fputs("</head>\n<body", out);
    if (page && page->body_attrs)
        fprintf(out, " %s", page->body_attrs);
    fputs(">\n", out);
    if (json_is_object(json_object_get(report, "member"))) {
        fputs("<h1>", out);
        s_html(out, title);
        fputs("</h1>\n<p class=\"meta\">集团 Group: ", out);
    } else {
        fputs("<h1>集团办学指标报告 <span class=\"en\">Group figures "
              "report</span></h1>\n<p class=\"meta\">集团 Group: ",
              out);
    }
    s_html(out, report_str(report, "group"));
    fputs(" &middot; 报告年度 Report year: ", out);
    s_html(out, ryear[0] ? ryear : "全部 all");
    fputs(" &middot; 截至 As of: ", out);
    s_html(out, report_str(report, "as_of"));
    fputs("</p>\n<p class=\"meta\">", out);
    s_html(out, moments);
    fputs("</p>\n", out);
    if (page && page->top)
        page->top(page->ctx, out);
    fputs("<h2>总览 <span class=\"en\">Overview</span></h2>\n"
          "<table><thead><tr><th>指标 Figure</th><th>口径 Basis</th>"
          "<th>年度 Year</th><th>数值 Value</th><th>分子/分母 Num/Den</th>"
          "<th>目标 Target</th><th>",
          out);
    s_html(out, report_attain_heading(report));
    fputs("</th><th>状态 Status</th></tr></thead><tbody>\n", out);
}

/* The certification and policy tables (report_xtables). */
static int
s_html_xtables(FILE *out, const json_t *report)
{
    report_xtable_t *xt;
    size_t n;
    int rc = report_xtables(report, &xt, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const report_xtable_t *t = &xt[i];
        fputs("<h2>", out);
        s_html(out, t->zh);
        fputs(" <span class=\"en\">", out);
        s_html(out, t->en);
        fputs("</span></h2>\n", out);
        if (t->nrows == 0) {
            fputs("<p>无 none</p>\n", out);
            continue;
        }
        fputs("<table><thead><tr>", out);
        for (size_t c = 0; c < t->ncols; c++) {
            fputs("<th>", out);
            s_html(out, t->head[c]);
            fputs("</th>", out);
        }
        fputs("</tr></thead><tbody>\n", out);
        for (size_t r = 0; r < t->nrows; r++) {
            fputs("<tr>", out);
            for (size_t c = 0; c < t->ncols; c++) {
                fputs(t->align[c] == 'r' ? "<td class=\"n\">" : "<td>", out);
                s_html(out, t->rows[r].cells[c]);
                fputs("</td>", out);
            }
            fputs("</tr>\n", out);
        }
        fputs("</tbody></table>\n", out);
    }
    report_xtables_free(xt, n);
    return 0;
}

/* The page: the report, with page's additions when not NULL. */
static int
s_html_page(const json_t *report, const cmd_report_page_t *page, FILE *out)
{
    char ryear[32];
    report_year(report, ryear, sizeof ryear);
    s_html_head(out, report, ryear, page);
    s_html_ov_t ov = {out, report, page != NULL};
    int rc = report_walk(report, REPORT_GROUP | REPORT_PART,
                         s_html_overview_row, &ov);
    if (rc)
        return rc;
    fputs("</tbody></table>\n"
          "<h2>指标详情 <span class=\"en\">Figures in detail</span></h2>\n",
          out);
    if ((rc = s_html_figures(out, report, ryear)))
        return rc;
    s_html_subsidies(out, report);
    s_html_pending(out, report);
    s_html_totals(out, report);
    if ((rc = s_html_conflicts(out, report)) ||
        (rc = s_html_xtables(out, report)))
        return rc;
    if (page && page->nodes)
        page->nodes(page->ctx, out);
    s_html_asof(out, report);
    s_html_applied(out, report);
    s_html_excluded(out, report);
    if ((rc = s_html_people(out, report)))
        return rc;
    fputs("<p class=\"meta\">vocfed report</p>\n</body>\n</html>\n", out);
    return 0;
}

int
report_html_write(const json_t *report, FILE *out)
{
    return s_html_page(report, NULL, out);
}

int
cmd_report_html_page(const json_t *report, const cmd_report_page_t *page,
                     FILE *out)
{
    if (!report_is_report(report))
        return VOCFED_EINVALID;
    errno = 0;
    int rc = s_html_page(report, page, out);
    int wrc = report_out_status(out);
    return wrc ? wrc : rc;
}

void
cmd_report_html_text(FILE *out, const char *s)
{
    s_html(out, s);
}
