/* vocfed: the report model shared by every format (see report_model.h). */
#include "tools/report_model.h"

#include "tools/textwidth.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const report_bd_t report_bds[REPORT_NBDS] = {
    {"by_member", "member", "按成员", "By member", "成员 Member"},
    {"by_affiliation", "affiliation", "按隶属", "By affiliation",
     "隶属 Affiliation"},
    {"by_county", "county", "按区县", "By county", "区县 County"},
    {"by_payee", "payee", "按收款方", "By payee", "收款方 Payee"},
};

const report_bd_t report_part = {"", "part", "组成", "Parts", "部分 Part"};

/* ---- the walk ------------------------------------------------------------ */

const char *
report_str(const json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s ? s : "";
}

json_t *
report_cell_get(json_t *cell, const char *name)
{
    if (json_is_object(cell))
        return json_object_get(cell, name);
    if (json_is_number(cell) && strcmp(name, "value") == 0)
        return cell;
    return NULL;
}

void
report_year(const json_t *report, char *out, size_t cap)
{
    json_int_t y = json_integer_value(json_object_get(report, "year"));
    if (y > 0)
        snprintf(out, cap, "%" JSON_INTEGER_FORMAT, y);
    else if (cap)
        out[0] = '\0';
}

bool
report_is_report(const json_t *report)
{
    return json_is_object(report) &&
           json_is_object(json_object_get(report, "figures"));
}

int
report_figures(const json_t *report, report_fig_t **out, size_t *n)
{
    json_t *figs = json_object_get(report, "figures");
    size_t cap = json_object_size(figs), k = 0;
    *out = NULL;
    *n = 0;
    if (cap == 0)
        return 0;
    report_fig_t *v = calloc(cap, sizeof *v);
    if (!v)
        return VOCFED_ENOMEM;
    const char *id;
    json_t *f;
    json_object_foreach(figs, id, f)
    {
        if (json_is_object(f) && k < cap)
            v[k++] = (report_fig_t){id, f};
    }
    *out = v;
    *n = k;
    return 0;
}

/* Years as keys: shorter first, then in character order (numeric order
 * for years without leading zeros). */
static int
s_year_cmp(const void *a, const void *b)
{
    const report_frame_t *x = a, *y = b;
    size_t lx = strlen(x->year), ly = strlen(y->year);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->year, y->year);
}

bool
report_per_year(const json_t *fig)
{
    return json_is_object(json_object_get(fig, "by_year"));
}

int
report_frames(json_t *fig, const char *ryear, report_frame_t **out, size_t *n)
{
    json_t *by_year = json_object_get(fig, "by_year");
    size_t cap = json_is_object(by_year) ? json_object_size(by_year) : 1;
    size_t k = 0;
    *out = NULL;
    *n = 0;
    if (cap == 0)
        return 0;
    report_frame_t *v = calloc(cap, sizeof *v);
    if (!v)
        return VOCFED_ENOMEM;
    if (!json_is_object(by_year)) {
        v[k++] = (report_frame_t){ryear, fig};
    } else {
        const char *year;
        json_t *frame;
        json_object_foreach(by_year, year, frame)
        {
            if (json_is_object(frame) && k < cap)
                v[k++] = (report_frame_t){year, frame};
        }
        qsort(v, k, sizeof *v, s_year_cmp);
    }
    *out = v;
    *n = k;
    return 0;
}

json_t *
report_frame_target(json_t *frame)
{
    json_t *t = json_object_get(frame, "target");
    if (json_is_number(t))
        return t;
    t = json_object_get(frame, "budget");
    return json_is_number(t) ? t : NULL;
}

/* The status token of one year of a figure; when the year has none, that
 * of the same year in a per-year summary of the same name at the top of
 * the report (subsidy_total's). NULL when none. */
static const char *
s_frame_status(const json_t *report, const char *id, json_t *frame,
               const char *year)
{
    const char *s = json_string_value(json_object_get(frame, "status"));
    json_t *summary = json_object_get(report, id);
    if (!s && json_is_object(summary))
        s = json_string_value(
            json_object_get(json_object_get(summary, year), "status"));
    return s;
}

/* Whether member key of a figure's year is a part (see report_part). */
static bool
s_is_part(const char *key, const json_t *v)
{
    return json_is_object(v) && json_object_get(v, "value") &&
           strncmp(key, "by_", 3) != 0;
}

/* Calls fn for each part of one year of a figure. */
static int
s_parts(json_t *frame, report_bucket_fn fn, void *ctx)
{
    const char *key;
    json_t *v;
    int rc;
    json_object_foreach(frame, key, v)
    {
        if (s_is_part(key, v) && (rc = fn(ctx, key, v)))
            return rc;
    }
    return 0;
}

int
report_buckets(const json_t *report, json_t *map, bool roster,
               report_bucket_fn fn, void *ctx)
{
    json_t *members = json_object_get(report, "members");
    const char *key;
    json_t *cell;
    int rc;
    if (!json_is_object(map))
        return 0;
    if (roster) {
        json_t *m;
        json_object_foreach(members, key, m)
        {
            cell = json_object_get(map, key);
            if (cell && (rc = fn(ctx, key, cell)))
                return rc;
        }
    }
    json_object_foreach(map, key, cell)
    {
        if (roster && json_object_get(members, key))
            continue;
        if ((rc = fn(ctx, key, cell)))
            return rc;
    }
    return 0;
}

/* State of one report_walk. */
typedef struct {
    const json_t *report; /* the report */
    report_row_t row;     /* the row being made */
    report_row_fn fn;     /* called per row */
    void *ctx;            /* its context */
} s_walk_t;

static int
s_walk_bucket(void *ctx, const char *bucket, json_t *cell)
{
    s_walk_t *w = ctx;
    w->row.bucket = bucket;
    w->row.cell = cell;
    json_t *t = report_cell_get(cell, "target");
    w->row.target = json_is_number(t) ? t : NULL;
    w->row.status = json_string_value(report_cell_get(cell, "status"));
    /* A member's own target (self-hired posts: each school >= 20%). */
    json_t *meets = report_cell_get(cell, "meets");
    if (!w->row.status && json_is_boolean(meets))
        w->row.status = json_is_true(meets) ? "met" : "behind";
    return w->fn(w->ctx, &w->row);
}

/* The rows of one year of a figure (w->row holds the figure and year). */
static int
s_walk_frame(s_walk_t *w, unsigned rows)
{
    int rc = 0;
    if (rows & REPORT_GROUP) {
        w->row.kind = NULL;
        w->row.bucket = "";
        w->row.cell = w->row.frame;
        w->row.target = report_frame_target(w->row.frame);
        w->row.status =
            s_frame_status(w->report, w->row.id, w->row.frame, w->row.year);
        rc = w->fn(w->ctx, &w->row);
    }
    for (size_t k = 0; !rc && k < REPORT_NBDS; k++) {
        if (!(rows & (2u << k)))
            continue;
        w->row.kind = &report_bds[k];
        rc = report_buckets(w->report,
                            json_object_get(w->row.frame, report_bds[k].key),
                            k == 0, s_walk_bucket, w);
    }
    if (!rc && (rows & REPORT_PART)) {
        w->row.kind = &report_part;
        rc = s_parts(w->row.frame, s_walk_bucket, w);
    }
    return rc;
}

int
report_walk(const json_t *report, unsigned rows, report_row_fn fn, void *ctx)
{
    char ryear[32];
    report_fig_t *figs = NULL;
    size_t nfigs = 0;
    int rc = report_figures(report, &figs, &nfigs);
    report_year(report, ryear, sizeof ryear);
    s_walk_t w = {report, {0}, fn, ctx};
    for (size_t i = 0; !rc && i < nfigs; i++) {
        report_frame_t *frames = NULL;
        size_t nframes = 0;
        if ((rc = report_frames(figs[i].fig, ryear, &frames, &nframes)))
            break;
        for (size_t j = 0; !rc && j < nframes; j++) {
            w.row = (report_row_t){
                .id = figs[i].id,
                .zh = report_str(figs[i].fig, "zh"),
                .en = report_str(figs[i].fig, "en"),
                .unit = report_str(figs[i].fig, "unit"),
                .year = frames[j].year,
                .frame = frames[j].frame,
            };
            rc = s_walk_frame(&w, rows);
        }
        free(frames);
    }
    free(figs);
    return rc;
}

/* ---- text and numbers ---------------------------------------------------- */

bool
report_unsafe_cp(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

char *
report_clean(const char *s, const char *repl)
{
    if (!s)
        s = "";
    size_t len = strlen(s), rlen = strlen(repl);
    /* Each input byte becomes at most repl. */
    size_t cap = len * (rlen > 1 ? rlen : 1) + 1;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    while (len > 0) {
        uint32_t cp;
        size_t n = cli_utf8_decode(s, len, &cp);
        if (n == 0 || report_unsafe_cp(cp)) {
            memcpy(o, repl, rlen);
            o += rlen;
            n = n ? n : 1;
        } else {
            memcpy(o, s, n);
            o += n;
        }
        s += n;
        len -= n;
    }
    *o = '\0';
    return out;
}

void
report_fmt_int(double v, char *out, size_t cap)
{
    char digits[32], buf[48];
    if (!isfinite(v)) {
        snprintf(out, cap, "-");
        return;
    }
    if (fabs(v) >= 9e18) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    long long r = llround(v);
    unsigned long long u =
        r < 0 ? 0ULL - (unsigned long long)r : (unsigned long long)r;
    int n = snprintf(digits, sizeof digits, "%llu", u);
    size_t o = 0;
    if (r < 0)
        buf[o++] = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    snprintf(out, cap, "%s", buf);
}

void
report_fmt_pct(double v, char *out, size_t cap)
{
    if (!isfinite(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.1f%%", v * 100.0);
}

bool
report_is_rate(const char *unit)
{
    return strcmp(unit, "rate") == 0;
}

/* The units of the figures object, in Chinese: written after a count or
 * an amount, and (noun) what a count of that unit counts. */
static const struct {
    const char *unit; /* the token */
    const char *zh;   /* after a number: "人" */
    const char *noun; /* the things counted: "人员", or NULL */
} s_units[] = {
    {"people", "人", "人员"},
    {"person-times", "人次", NULL},
    {"yuan", "元", NULL},
};

/* The Chinese unit written after a count or an amount. */
static const char *
s_unit_zh(const char *unit)
{
    for (size_t i = 0; i < sizeof s_units / sizeof s_units[0]; i++)
        if (strcmp(s_units[i].unit, unit) == 0)
            return s_units[i].zh;
    return "";
}

void
report_fmt_value(const char *unit, const json_t *v, bool suffix, char *out,
                 size_t cap)
{
    char num[48];
    if (!json_is_number(v)) {
        snprintf(out, cap, "-");
        return;
    }
    if (report_is_rate(unit)) {
        report_fmt_pct(json_number_value(v), out, cap);
        return;
    }
    report_fmt_int(json_number_value(v), num, sizeof num);
    const char *u = suffix ? s_unit_zh(unit) : "";
    snprintf(out, cap, "%s%s%s", num, u[0] ? " " : "", u);
}

/* The status tokens of the figures object (SPEC 12.3), for people. */
static const struct {
    const char *token; /* also its HTML class */
    const char *label; /* Chinese first */
} s_statuses[] = {
    {"met", "已达标 met"},
    {"on_track", "进度正常 on track"},
    {"behind", "落后 behind"},
    {"no_target", "无目标 no target"},
    {"within", "预算内 within budget"},
    {"over", "超预算 over budget"},
    {"share", "成员份额 member's share"},
};

const char *
report_status_label(const char *token)
{
    if (!token)
        return "-";
    for (size_t i = 0; i < sizeof s_statuses / sizeof s_statuses[0]; i++)
        if (strcmp(s_statuses[i].token, token) == 0)
            return s_statuses[i].label;
    return token;
}

const char *
report_status_class(const char *token)
{
    for (size_t i = 0; token && i < sizeof s_statuses / sizeof s_statuses[0];
         i++)
        if (strcmp(s_statuses[i].token, token) == 0)
            return s_statuses[i].token;
    return "";
}

void
report_cells(const report_row_t *row, report_cells_t *c)
{
    json_t *cell = row->cell;
    char a[48], b[48], t[48];
    report_fmt_value(row->unit, report_cell_get(cell, "value"), true, c->value,
                     sizeof c->value);
    json_t *num = report_cell_get(cell, "numerator");
    json_t *den = report_cell_get(cell, "denominator");
    if (json_is_number(num) && json_is_number(den)) {
        report_fmt_int(json_number_value(num), a, sizeof a);
        report_fmt_int(json_number_value(den), b, sizeof b);
        snprintf(c->numden, sizeof c->numden, "%s / %s", a, b);
    } else {
        snprintf(c->numden, sizeof c->numden, "-");
    }
    report_fmt_value(row->unit, row->target, false, t, sizeof t);
    json_int_t ty = json_integer_value(report_cell_get(cell, "target_year"));
    char tys[32] = "";
    if (row->target && ty > 0)
        snprintf(tys, sizeof tys, "%" JSON_INTEGER_FORMAT, ty);
    if (tys[0] && strcmp(tys, row->year) != 0)
        snprintf(c->target, sizeof c->target, "%s (%s)", t, tys);
    else
        snprintf(c->target, sizeof c->target, "%s", t);
    json_t *att = report_cell_get(cell, "attainment");
    if (json_is_number(att))
        report_fmt_pct(json_number_value(att), c->attain, sizeof c->attain);
    else
        snprintf(c->attain, sizeof c->attain, "-");
    c->status = report_status_label(row->status);
}

/* ---- labels -------------------------------------------------------------- */

char *
report_label(const char *zh, const char *en, const char *fallback)
{
    if (!zh[0] && !en[0])
        zh = fallback ? fallback : "";
    size_t n = strlen(zh) + strlen(en) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", zh, zh[0] && en[0] ? " " : "", en);
    return s;
}

/* "a" sep "b", malloc'd; frees a. NULL when a is NULL or out of memory. */
static char *
s_join(char *a, const char *sep, const char *b, const char *end)
{
    if (!a)
        return NULL;
    size_t n = strlen(a) + strlen(sep) + strlen(b) + strlen(end) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s%s", a, sep, b, end);
    free(a);
    return s;
}

const char *
report_part_label(const char *key)
{
    static const struct {
        const char *key, *label;
    } labels[] = {
        {"all_graduates", "全体毕业生 all graduates"},
        {"provincial", "省级 provincial"},
        {"national", "国家级 national"},
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(labels[i].key, key) == 0)
            return labels[i].label;
    return key;
}

char *
report_row_label(const report_row_t *row)
{
    char *label = report_label(row->zh, row->en, row->id);
    if (row->kind != &report_part)
        return label;
    /* "留地就业率 local employment retention: 全体毕业生 all graduates" */
    return s_join(label, ": ", report_part_label(row->bucket), "");
}

json_t *
report_subsidy_figure(const json_t *report, const char *id, const char **rest)
{
    json_t *figs = json_object_get(report, "figures");
    json_t *f = json_object_get(figs, id), *best = NULL;
    const char *key;
    size_t best_len = 0;
    *rest = NULL;
    if (f)
        return f;
    json_object_foreach(figs, key, f)
    {
        size_t n = strlen(key);
        if (n > best_len && strncmp(id, key, n) == 0 && id[n] == '_' &&
            id[n + 1]) {
            best = f;
            best_len = n;
            *rest = id + n + 1;
        }
    }
    return best;
}

char *
report_subsidy_label(const json_t *report, const char *id)
{
    const char *rest;
    json_t *f = report_subsidy_figure(report, id, &rest);
    char *label = report_label(report_str(f, "zh"), report_str(f, "en"), id);
    return rest ? s_join(label, " (", rest, ")") : label;
}

const char *
report_member_name(const json_t *report, const char *id)
{
    json_t *m = json_object_get(json_object_get(report, "members"), id);
    const char *zh = report_str(m, "name_zh");
    if (zh[0])
        return zh;
    const char *en = report_str(m, "name_en");
    return en[0] ? en : id;
}

const char *
report_payee_name(const json_t *report, const json_t *line)
{
    const char *name = report_str(line, "payee_name");
    return name[0] ? name
                   : report_member_name(report, report_str(line, "payee"));
}

/* ---- the other tables ---------------------------------------------------- */

void
report_line_text(const json_t *line, report_line_text_t *t)
{
    json_int_t y = json_integer_value(json_object_get(line, "year"));
    if (y > 0)
        snprintf(t->year, sizeof t->year, "%" JSON_INTEGER_FORMAT, y);
    else
        snprintf(t->year, sizeof t->year, "-");
    report_fmt_value("", json_object_get(line, "count"), false, t->count,
                     sizeof t->count);
    report_fmt_value("", json_object_get(line, "amount"), false, t->amount,
                     sizeof t->amount);
    report_fmt_value("", json_object_get(line, "total"), false, t->total,
                     sizeof t->total);
}

void
report_total_text(const json_t *year, report_total_text_t *t)
{
    json_t *val = json_object_get(year, "value");
    json_t *bud = json_object_get(year, "budget");
    report_fmt_value("", val, false, t->total, sizeof t->total);
    report_fmt_value("", bud, false, t->budget, sizeof t->budget);
    if (json_is_number(val) && json_is_number(bud))
        report_fmt_int(json_number_value(bud) - json_number_value(val), t->left,
                       sizeof t->left);
    else
        snprintf(t->left, sizeof t->left, "-");
    t->status = json_string_value(json_object_get(year, "status"));
}

void
report_member_text(const json_t *member, report_member_text_t *t)
{
    report_fmt_value("", json_object_get(member, "size"), false, t->size,
                     sizeof t->size);
    snprintf(t->root, sizeof t->root, "%s", report_str(member, "root"));
    t->behind = json_is_true(json_object_get(member, "behind"));
    /* A quarantined member is never current: the coordinator refuses its
     * log until an operator releases it (SPEC 8.5). */
    t->state = json_is_true(json_object_get(member, "quarantined"))
                   ? "隔离 quarantined"
               : t->behind ? "落后 behind"
               /* a report as of a past moment: not in the logs (SPEC
                * 12.5) */
               : json_is_null(json_object_get(member, "behind"))
                   ? "未知 unknown"
                   : "最新 current";
}

int
report_behind(const json_t *report,
              int (*fn)(void *ctx, const char *id, const char *name), void *ctx)
{
    json_t *members = json_object_get(report, "members");
    const char *id;
    json_t *m;
    int rc;
    json_object_foreach(members, id, m)
    {
        if (json_is_true(json_object_get(m, "behind")) &&
            (rc = fn(ctx, id, report_member_name(report, id))))
            return rc;
    }
    return 0;
}

/* The label of a count of people in multi_member_people under key. */
static char *
s_people_label(const char *key, const json_t *v)
{
    if (json_is_object(v))
        return report_label(report_str(v, "zh"), report_str(v, "en"), key);
    for (size_t i = 0; i < sizeof s_units / sizeof s_units[0]; i++)
        if (s_units[i].noun && strcmp(s_units[i].unit, key) == 0)
            return report_label(s_units[i].noun, key, NULL);
    return report_label("", "", key);
}

int
report_people(const json_t *report,
              int (*fn)(void *ctx, const char *label, const json_t *n),
              void *ctx)
{
    json_t *mm = json_object_get(report, "multi_member_people");
    const char *key;
    json_t *v;
    int rc;
    json_object_foreach(mm, key, v)
    {
        char *label = s_people_label(key, v);
        if (!label)
            return VOCFED_ENOMEM;
        rc =
            fn(ctx, label, json_is_object(v) ? json_object_get(v, "value") : v);
        free(label);
        if (rc)
            return rc;
    }
    return 0;
}

int
report_out_status(FILE *out)
{
    if (fflush(out) != 0 || ferror(out))
        return errno ? -errno : -EIO;
    return 0;
}

/* ---- whose report, and of what moment (SPEC 12.5, 12.6) ----------------- */

void
report_title(const json_t *report, char *out, size_t cap)
{
    json_t *m = json_object_get(report, "member");
    const char *group = report_str(report, "group");
    if (!json_is_object(m)) {
        snprintf(out, cap, "集团办学指标 Group figures: %s",
                 group[0] ? group : "-");
        return;
    }
    const char *zh = report_str(m, "name_zh"), *en = report_str(m, "name_en");
    snprintf(out, cap, "%s%s%s (%s) 本单位指标 own figures, 集团 group %s", zh,
             zh[0] && en[0] ? " " : "", en, report_str(m, "id"),
             group[0] ? group : "-");
}

const char *
report_attain_heading(const json_t *report)
{
    return json_is_object(json_object_get(report, "member"))
               ? "占集团目标 Share of group target"
               : "完成度 Attainment";
}

const char *
report_basis_label(const json_t *report, const char *id)
{
    const char *b = report_str(
        json_object_get(json_object_get(report, "figures"), id), "basis");
    return !strcmp(b, "stock")  ? "存量 stock"
           : !strcmp(b, "flow") ? "流量 flow"
                                : "";
}

void
report_moments_text(const json_t *report, char *out, size_t cap)
{
    json_t *c = json_object_get(report, "census");
    const char *as_of = report_str(report, "as_of");
    if (!json_is_object(c)) {
        snprintf(out, cap,
                 "存量指标截至 stocks as of %s；流量指标按年度 flows by year",
                 as_of[0] ? as_of : "-");
        return;
    }
    const char *src = report_str(c, "source");
    if (!strcmp(src, "default"))
        src = "默认 default";
    if (json_is_true(json_object_get(c, "applied")))
        snprintf(out, cap,
                 "存量指标截至统计时点 stocks as of the census date %s "
                 "(%s)；流量指标按年度，截至 flows by year, as of %s",
                 report_str(c, "moment"), src, as_of[0] ? as_of : "-");
    else
        snprintf(out, cap,
                 "统计时点 census date %s (%s) 未到 not reached: 存量与流量指标"
                 "均截至 stocks and flows as of %s",
                 report_str(c, "date"), src, as_of[0] ? as_of : "-");
}
