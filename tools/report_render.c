/* vocfed: renders the figures for `vocfed report` (see report_render.h). */
#include "tools/report_render.h"

#include "tools/textwidth.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* ---- the report's parts ------------------------------------------------ */

/* The figures of DESIGN 7, in the order the report lists them. */
static const char *const s_order[] = {
    "hv_enrolled",
    "sv_enrolled",
    "training_person_times",
    "local_retention",
    "industry_coverage",
    "dual_qualified_share",
    "self_hired_share",
    "coop_class_subsidy",
    "source_school_incentive",
    "cross_city_incentive",
    "industry_college_award",
    "consortium_award",
    "subsidy_total",
};
#define S_NORDER (sizeof s_order / sizeof s_order[0])

/* The breakdowns a figure (or one year of it) may carry. */
typedef struct {
    const char *key;  /* its member in the figure: "by_member" */
    const char *name; /* the CSV breakdown column: "member" */
    const char *zh;   /* heading, Chinese */
    const char *en;   /* heading, English */
    const char *col;  /* the bucket's column heading */
} s_kind_t;

static const s_kind_t s_kinds[] = {
    {"by_member", "member", "按成员", "By member", "成员 Member"},
    {"by_affiliation", "affiliation", "按隶属", "By affiliation",
     "隶属 Affiliation"},
    {"by_county", "county", "按区县", "By county", "区县 County"},
    {"by_payee", "payee", "按收款方", "By payee", "收款方 Payee"},
};
#define S_NKINDS (sizeof s_kinds / sizeof s_kinds[0])

/* The parts of one year of a figure: its members that are objects with a
 * value of their own (local_retention's all_graduates, DESIGN 11;
 * consortium_award's provincial and national). */
static const s_kind_t s_part = {"", "part", "组成", "Parts", "部分 Part"};

/* Which rows s_walk produces (bit i+1 is s_kinds[i]). */
enum {
    S_GROUP = 1 << 0,
    S_MEMBER = 1 << 1,
    S_AFFIL = 1 << 2,
    S_COUNTY = 1 << 3,
    S_PAYEE = 1 << 4,
    S_PART = 1 << 5,
    S_ALL = 0x3F,
};

/* One figure of the report. */
typedef struct {
    const char *id; /* "hv_enrolled" */
    json_t *fig;    /* its object */
} s_fig_t;

/* One year of a figure: the figure itself for a snapshot figure, or one
 * member of its by_year. */
typedef struct {
    const char *year; /* "2026"; "" when the report has no year */
    json_t *frame;    /* value, target, status, by_member... */
} s_frame_t;

/* One row of CSV or of a breakdown sheet. */
typedef struct {
    const char *id, *zh, *en, *unit; /* the figure ("" when absent) */
    const char *year;                /* as in s_frame_t */
    const s_kind_t *kind;            /* NULL for the group total */
    const char *bucket;              /* "" for the group total */
    json_t *frame;                   /* the year of the figure */
    json_t *cell;       /* the frame itself, or the bucket's number or object */
    json_t *target;     /* the group's target (the budget for subsidy_total);
                           a bucket's own if it has one; else NULL */
    const char *status; /* a status token, or NULL */
} s_row_t;

typedef int (*s_row_fn)(void *ctx, const s_row_t *row);

static const char *
s_str(const json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s ? s : "";
}

/* A member of a bucket: the number itself stands for "value". */
static json_t *
s_cell_get(json_t *cell, const char *name)
{
    if (json_is_object(cell))
        return json_object_get(cell, name);
    if (json_is_number(cell) && strcmp(name, "value") == 0)
        return cell;
    return NULL;
}

/* The report's year as text: "" when absent or 0 (every year). */
static void
s_report_year(const json_t *report, char *out, size_t cap)
{
    json_int_t y = json_integer_value(json_object_get(report, "year"));
    if (y > 0)
        snprintf(out, cap, "%" JSON_INTEGER_FORMAT, y);
    else if (cap)
        out[0] = '\0';
}

static int
s_fig_cmp_known(const char *id)
{
    for (size_t i = 0; i < S_NORDER; i++)
        if (strcmp(s_order[i], id) == 0)
            return (int)i;
    return -1;
}

/* The figures in report order: those of DESIGN 7 first, then any other
 * as it comes. *out is malloc'd (free it), NULL when there are none. */
static int
s_figures(const json_t *report, s_fig_t **out, size_t *n)
{
    json_t *figs = json_object_get(report, "figures");
    size_t cap = json_object_size(figs), k = 0;
    *out = NULL;
    *n = 0;
    if (cap == 0)
        return 0;
    s_fig_t *v = calloc(cap, sizeof *v);
    if (!v)
        return VOCFED_ENOMEM;
    for (size_t i = 0; i < S_NORDER; i++) {
        json_t *f = json_object_get(figs, s_order[i]);
        if (json_is_object(f))
            v[k++] = (s_fig_t){s_order[i], f};
    }
    const char *id;
    json_t *f;
    json_object_foreach(figs, id, f)
    {
        if (json_is_object(f) && s_fig_cmp_known(id) < 0 && k < cap)
            v[k++] = (s_fig_t){id, f};
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
    const s_frame_t *x = a, *y = b;
    size_t lx = strlen(x->year), ly = strlen(y->year);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->year, y->year);
}

static bool
s_per_year(const json_t *fig)
{
    return json_is_object(json_object_get(fig, "by_year"));
}

/* The years of a figure, oldest first. *out is malloc'd (free it). */
static int
s_frames(json_t *fig, const char *report_year, s_frame_t **out, size_t *n)
{
    json_t *by_year = json_object_get(fig, "by_year");
    *out = NULL;
    *n = 0;
    if (!json_is_object(by_year)) {
        s_frame_t *v = malloc(sizeof *v);
        if (!v)
            return VOCFED_ENOMEM;
        v[0] = (s_frame_t){report_year, fig};
        *out = v;
        *n = 1;
        return 0;
    }
    size_t cap = json_object_size(by_year), k = 0;
    if (cap == 0)
        return 0;
    s_frame_t *v = calloc(cap, sizeof *v);
    if (!v)
        return VOCFED_ENOMEM;
    const char *year;
    json_t *frame;
    json_object_foreach(by_year, year, frame)
    {
        if (json_is_object(frame) && k < cap)
            v[k++] = (s_frame_t){year, frame};
    }
    qsort(v, k, sizeof *v, s_year_cmp);
    *out = v;
    *n = k;
    return 0;
}

/* The target of one year of a figure: its target, or its budget (the
 * award budget of subsidy_total), or NULL. */
static json_t *
s_frame_target(json_t *frame)
{
    json_t *t = json_object_get(frame, "target");
    if (json_is_number(t))
        return t;
    t = json_object_get(frame, "budget");
    return json_is_number(t) ? t : NULL;
}

/* The status token of one year of a figure; subsidy_total's may be in
 * the report's subsidy_total instead. NULL when none. */
static const char *
s_frame_status(const json_t *report, const char *id, json_t *frame,
               const char *year)
{
    const char *s = json_string_value(json_object_get(frame, "status"));
    if (!s && strcmp(id, "subsidy_total") == 0)
        s = json_string_value(json_object_get(
            json_object_get(json_object_get(report, "subsidy_total"), year),
            "status"));
    return s;
}

typedef int (*s_bucket_fn)(void *ctx, const char *bucket, json_t *cell);

/* Whether member key of a figure's year is a part (see s_part). */
static bool
s_is_part(const char *key, const json_t *v)
{
    return json_is_object(v) && json_object_get(v, "value") &&
           strncmp(key, "by_", 3) != 0;
}

/* Calls fn for each part of one year of a figure. */
static int
s_parts(json_t *frame, s_bucket_fn fn, void *ctx)
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

/* A part's name for people. */
static const char *
s_part_label(const char *key)
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

/* Calls fn for each bucket of map; members in the roster's order first
 * (by_member), then the rest as they come. */
static int
s_buckets(const json_t *report, json_t *map, bool roster, s_bucket_fn fn,
          void *ctx)
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

/* State of one s_walk. */
typedef struct {
    const json_t *report; /* the report */
    s_row_t row;          /* the row being made */
    s_row_fn fn;          /* called per row */
    void *ctx;            /* its context */
} s_walk_t;

static int
s_walk_bucket(void *ctx, const char *bucket, json_t *cell)
{
    s_walk_t *w = ctx;
    w->row.bucket = bucket;
    w->row.cell = cell;
    json_t *t = s_cell_get(cell, "target");
    w->row.target = json_is_number(t) ? t : NULL;
    w->row.status = json_string_value(s_cell_get(cell, "status"));
    /* A member's own target (self-hired posts: each school >= 20%). */
    json_t *meets = s_cell_get(cell, "meets");
    if (!w->row.status && json_is_boolean(meets))
        w->row.status = json_is_true(meets) ? "met" : "behind";
    return w->fn(w->ctx, &w->row);
}

/* Calls fn for every row asked for: per figure, per year, the group
 * total, then each breakdown's buckets. */
static int
s_walk(const json_t *report, unsigned rows, s_row_fn fn, void *ctx)
{
    char ryear[32];
    s_fig_t *figs = NULL;
    size_t nfigs = 0;
    int rc = s_figures(report, &figs, &nfigs);
    s_report_year(report, ryear, sizeof ryear);
    s_walk_t w = {report, {0}, fn, ctx};
    for (size_t i = 0; !rc && i < nfigs; i++) {
        s_frame_t *frames = NULL;
        size_t nframes = 0;
        if ((rc = s_frames(figs[i].fig, ryear, &frames, &nframes)))
            break;
        for (size_t j = 0; !rc && j < nframes; j++) {
            w.row = (s_row_t){
                .id = figs[i].id,
                .zh = s_str(figs[i].fig, "zh"),
                .en = s_str(figs[i].fig, "en"),
                .unit = s_str(figs[i].fig, "unit"),
                .year = frames[j].year,
                .frame = frames[j].frame,
            };
            if (rows & S_GROUP) {
                w.row.kind = NULL;
                w.row.bucket = "";
                w.row.cell = frames[j].frame;
                w.row.target = s_frame_target(frames[j].frame);
                w.row.status = s_frame_status(report, figs[i].id,
                                              frames[j].frame, frames[j].year);
                rc = fn(ctx, &w.row);
            }
            for (size_t k = 0; !rc && k < S_NKINDS; k++) {
                if (!(rows & (2u << k)))
                    continue;
                w.row.kind = &s_kinds[k];
                rc = s_buckets(report,
                               json_object_get(frames[j].frame, s_kinds[k].key),
                               k == 0, s_walk_bucket, &w);
            }
            if (!rc && (rows & S_PART)) {
                w.row.kind = &s_part;
                rc = s_parts(frames[j].frame, s_walk_bucket, &w);
            }
        }
        free(frames);
    }
    free(figs);
    return rc;
}

/* ---- text ---------------------------------------------------------------- */

/* True for code points that must not reach a terminal or a spreadsheet
 * as they are: controls (C0, DEL, C1) and the bidirectional overrides
 * and isolates that make text display in another order than it reads. */
static bool
s_unsafe_cp(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* A malloc'd copy of s (NULL: "") with unsafe code points and bytes that
 * are not UTF-8 replaced by repl. NULL when out of memory. */
static char *
s_clean(const char *s, const char *repl)
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
        if (n == 0 || s_unsafe_cp(cp)) {
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

/* Writes v rounded to a whole number with thousands separators:
 * "1,234,567". "-" when v is not finite. */
static void
s_fmt_int(double v, char *out, size_t cap)
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

/* Writes a rate as a percentage with one decimal: 0.4526 -> "45.3%". */
static void
s_fmt_pct(double v, char *out, size_t cap)
{
    if (!isfinite(v))
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%.1f%%", v * 100.0);
}

static bool
s_is_rate(const char *unit)
{
    return strcmp(unit, "rate") == 0;
}

/* The Chinese unit written after a count or an amount. */
static const char *
s_unit_zh(const char *unit)
{
    if (strcmp(unit, "people") == 0)
        return "人";
    if (strcmp(unit, "person-times") == 0)
        return "人次";
    if (strcmp(unit, "yuan") == 0)
        return "元";
    return "";
}

/* Writes a figure's value for people: a percentage for a rate, else a
 * whole number with separators and (suffix) the unit; "-" when v is not
 * a number. */
static void
s_fmt_value(const char *unit, const json_t *v, bool suffix, char *out,
            size_t cap)
{
    char num[48];
    if (!json_is_number(v)) {
        snprintf(out, cap, "-");
        return;
    }
    if (s_is_rate(unit)) {
        s_fmt_pct(json_number_value(v), out, cap);
        return;
    }
    s_fmt_int(json_number_value(v), num, sizeof num);
    const char *u = suffix ? s_unit_zh(unit) : "";
    snprintf(out, cap, "%s%s%s", num, u[0] ? " " : "", u);
}

/* A status token for people, Chinese first. */
static const char *
s_status_label(const char *token)
{
    static const struct {
        const char *token, *label;
    } labels[] = {
        {"met", "已达标 met"},
        {"on_track", "进度正常 on track"},
        {"behind", "落后 behind"},
        {"no_target", "无目标 no target"},
        {"within", "预算内 within budget"},
        {"over", "超预算 over budget"},
    };
    if (!token)
        return "-";
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(labels[i].token, token) == 0)
            return labels[i].label;
    return token;
}

/* A status token as an HTML class (only the known ones). */
static const char *
s_status_class(const char *token)
{
    static const char *const known[] = {"met",    "on_track", "behind",
                                        "within", "over",     "no_target"};
    for (size_t i = 0; token && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i], token) == 0)
            return known[i];
    return "";
}

/* The figure columns of the overview, for one year of one figure. */
typedef struct {
    char value[64];     /* the value with its unit */
    char numden[112];   /* "453 / 1,000" for rates, else "-" */
    char target[96];    /* the target, with its year when not this one */
    char attain[32];    /* attainment as a percentage, or "-" */
    const char *status; /* status label */
} s_cells_t;

static void
s_cells(const s_row_t *row, s_cells_t *c)
{
    json_t *cell = row->cell;
    char a[48], b[48], t[48];
    s_fmt_value(row->unit, s_cell_get(cell, "value"), true, c->value,
                sizeof c->value);
    json_t *num = s_cell_get(cell, "numerator");
    json_t *den = s_cell_get(cell, "denominator");
    if (json_is_number(num) && json_is_number(den)) {
        s_fmt_int(json_number_value(num), a, sizeof a);
        s_fmt_int(json_number_value(den), b, sizeof b);
        snprintf(c->numden, sizeof c->numden, "%s / %s", a, b);
    } else {
        snprintf(c->numden, sizeof c->numden, "-");
    }
    s_fmt_value(row->unit, row->target, false, t, sizeof t);
    json_int_t ty = json_integer_value(s_cell_get(cell, "target_year"));
    char tys[32] = "";
    if (row->target && ty > 0)
        snprintf(tys, sizeof tys, "%" JSON_INTEGER_FORMAT, ty);
    if (tys[0] && strcmp(tys, row->year) != 0)
        snprintf(c->target, sizeof c->target, "%s (%s)", t, tys);
    else
        snprintf(c->target, sizeof c->target, "%s", t);
    json_t *att = s_cell_get(cell, "attainment");
    if (json_is_number(att))
        s_fmt_pct(json_number_value(att), c->attain, sizeof c->attain);
    else
        snprintf(c->attain, sizeof c->attain, "-");
    c->status = s_status_label(row->status);
}

/* "zh en", or whichever there is, or the fallback. malloc'd; NULL when
 * out of memory. */
static char *
s_label(const char *zh, const char *en, const char *fallback)
{
    if (!zh[0] && !en[0])
        zh = fallback ? fallback : "";
    size_t n = strlen(zh) + strlen(en) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", zh, zh[0] && en[0] ? " " : "", en);
    return s;
}

/* The kinds of people counted once though found at several members
 * (multi_member_people). */
static const struct {
    const char *key, *zh, *en;
} s_people[] = {
    {"people", "人员", "people"},
    {"students", "学生", "students"},
    {"graduates", "毕业生", "graduates"},
    {"staff", "教职工", "staff"},
};

/* The label of a kind of people: "学生 students", or the key itself.
 * malloc'd; NULL when out of memory. */
static char *
s_people_label(const char *key)
{
    for (size_t i = 0; i < sizeof s_people / sizeof s_people[0]; i++)
        if (strcmp(s_people[i].key, key) == 0)
            return s_label(s_people[i].zh, s_people[i].en, NULL);
    return s_label("", "", key);
}

/* The figure a subsidy line is of: the figure of that id, or else the
 * figure whose id and a '_' start it (consortium_award_provincial is of
 * consortium_award), with *rest what follows ("provincial"). NULL when
 * none; *rest NULL unless a prefix matched. */
static json_t *
s_subsidy_figure(const json_t *report, const char *id, const char **rest)
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

/* A subsidy line's label: "产教联合体奖补 consortium award (provincial)",
 * or its figure id. malloc'd; NULL when out of memory. */
static char *
s_subsidy_label(const json_t *report, const char *id)
{
    const char *rest;
    json_t *f = s_subsidy_figure(report, id, &rest);
    char *label = s_label(s_str(f, "zh"), s_str(f, "en"), id);
    if (!label || !rest)
        return label;
    size_t n = strlen(label) + strlen(rest) + 4;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s (%s)", label, rest);
    free(label);
    return s;
}

/* The name a member is shown by: its Chinese name, else its English
 * one, else its id. */
static const char *
s_member_name(const json_t *report, const char *id)
{
    json_t *m = json_object_get(json_object_get(report, "members"), id);
    const char *zh = s_str(m, "name_zh");
    if (zh[0])
        return zh;
    const char *en = s_str(m, "name_en");
    return en[0] ? en : id;
}

/* The name of a subsidy line's payee: its payee_name, else the name of
 * the member it is, else its code. */
static const char *
s_payee_name(const json_t *report, const json_t *line)
{
    const char *name = s_str(line, "payee_name");
    return name[0] ? name : s_member_name(report, s_str(line, "payee"));
}

/* The status of a write to out: 0, or -errno. */
static int
s_out_status(FILE *out)
{
    if (fflush(out) != 0 || ferror(out))
        return errno ? -errno : -EIO;
    return 0;
}

/* ---- table: aligned text ------------------------------------------------- */

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

/* Adds a row of ncols cells (NULL shows as "-"), copied. */
static void
s_table_add(s_table_t *t, const char *const *cells)
{
    if (t->oom)
        return;
    if (t->rows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (!c) {
            t->oom = true;
            return;
        }
        t->cells = c;
        size_t *w = realloc(t->widths, cap * t->ncols * sizeof *w);
        if (!w) {
            t->oom = true;
            return;
        }
        t->widths = w;
        t->cap = cap;
    }
    size_t base = t->rows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        char *c = s_clean(cells[i] ? cells[i] : "-", "?");
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

/* Adds a figure's overview row (s_walk callback). */
static int
s_table_figure(void *ctx, const s_row_t *row)
{
    s_table_t *t = ctx;
    s_cells_t c;
    char *label = s_label(row->zh, row->en, row->id);
    if (label && row->kind == &s_part) {
        /* "留地就业率 local employment retention: 全体毕业生 all graduates" */
        const char *part = s_part_label(row->bucket);
        size_t n = strlen(label) + strlen(part) + 3;
        char *l = malloc(n);
        if (l)
            snprintf(l, n, "%s: %s", label, part);
        free(label);
        label = l;
    }
    if (!label)
        return VOCFED_ENOMEM;
    s_cells(row, &c);
    const char *cells[] = {label,    row->year[0] ? row->year : "-",
                           c.value,  c.numden,
                           c.target, c.attain,
                           c.status};
    s_table_add(t, cells);
    free(label);
    return t->oom ? VOCFED_ENOMEM : 0;
}

static int
s_table_subsidies(const json_t *report, FILE *out)
{
    json_t *list = json_object_get(report, "subsidies");
    s_table_t t;
    size_t i;
    json_t *s;
    int rc = 0;
    fputs("补助 Subsidies\n", out);
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
        char year[32] = "-", count[48], amount[48], total[48];
        json_int_t y = json_integer_value(json_object_get(s, "year"));
        if (y > 0)
            snprintf(year, sizeof year, "%" JSON_INTEGER_FORMAT, y);
        s_fmt_value("", json_object_get(s, "count"), false, count,
                    sizeof count);
        s_fmt_value("", json_object_get(s, "amount"), false, amount,
                    sizeof amount);
        s_fmt_value("", json_object_get(s, "total"), false, total,
                    sizeof total);
        char *label = s_subsidy_label(report, s_str(s, "figure"));
        if (!label) {
            rc = VOCFED_ENOMEM;
            break;
        }
        s_table_add(
            &t, (const char *const[]){label, year, s_payee_name(report, s),
                                      s_str(s, "payee"), count, amount, total});
        free(label);
    }
    if (!rc)
        rc = s_table_print(&t, out);
    s_table_release(&t);
    fputc('\n', out);
    return rc;
}

static int
s_table_totals(const json_t *report, FILE *out)
{
    json_t *totals = json_object_get(report, "subsidy_total");
    const char *year;
    json_t *v;
    s_table_t t;
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
        char total[48], budget[48], left[48] = "-";
        json_t *val = json_object_get(v, "value");
        json_t *bud = json_object_get(v, "budget");
        s_fmt_value("", val, false, total, sizeof total);
        s_fmt_value("", bud, false, budget, sizeof budget);
        if (json_is_number(val) && json_is_number(bud))
            s_fmt_int(json_number_value(bud) - json_number_value(val), left,
                      sizeof left);
        s_table_add(&t,
                    (const char *const[]){year, total, budget, left,
                                          s_status_label(json_string_value(
                                              json_object_get(v, "status")))});
    }
    int rc = s_table_print(&t, out);
    s_table_release(&t);
    fputc('\n', out);
    return rc;
}

static int
s_table_asof(const json_t *report, FILE *out)
{
    json_t *members = json_object_get(report, "members");
    const char *id;
    json_t *m;
    s_table_t t;
    int rc = 0;
    fputs("数据截至 As of: 各成员的检查点 each member's checkpoint\n", out);
    if (json_object_size(members) == 0) {
        fputs("无成员 no members yet\n\n", out);
        return 0;
    }
    s_table_init(&t, "lllllrlll");
    s_table_add(&t, (const char *const[]){
                        "成员 Member", "名称 Name", "角色 Role",
                        "隶属 Affiliation", "区县 County", "条目 Entries",
                        "根 Root", "检查点时间 Checkpoint time", "状态 State"});
    json_object_foreach(members, id, m)
    {
        char size[48], root[17];
        s_fmt_value("", json_object_get(m, "size"), false, size, sizeof size);
        snprintf(root, sizeof root, "%s", s_str(m, "root"));
        bool behind = json_is_true(json_object_get(m, "behind"));
        s_table_add(&t, (const char *const[]){
                            id, s_member_name(report, id), s_str(m, "role"),
                            s_str(m, "original_affiliation"),
                            s_str(m, "region_code"), size, root,
                            s_str(m, "checkpoint_time"),
                            behind ? "落后 behind" : "最新 current"});
    }
    if ((rc = s_table_print(&t, out)))
        goto done;
    fputs("落后成员 Members behind:", out);
    size_t nbehind = 0;
    json_object_foreach(members, id, m)
    {
        if (!json_is_true(json_object_get(m, "behind")))
            continue;
        char *name = s_clean(s_member_name(report, id), "?");
        char *cid = s_clean(id, "?");
        if (!name || !cid) {
            free(name);
            free(cid);
            rc = VOCFED_ENOMEM;
            goto done;
        }
        fprintf(out, "%s %s (%s)", nbehind ? "," : "", cid, name);
        free(name);
        free(cid);
        nbehind++;
    }
    fputs(nbehind ? "\n\n" : " 无 none\n\n", out);
done:
    s_table_release(&t);
    return rc;
}

static int
s_table_multi(const json_t *report, FILE *out)
{
    json_t *mm = json_object_get(report, "multi_member_people");
    const char *key;
    json_t *v;
    s_table_t t;
    int rc = 0;
    fputs("多个成员处的人员 People found at more than one member (仅计数 "
          "count only)\n",
          out);
    if (json_object_size(mm) == 0) {
        fputs("无 none\n", out);
        return 0;
    }
    s_table_init(&t, "lr");
    s_table_add(&t, (const char *const[]){"类别 Kind", "人数 People"});
    json_object_foreach(mm, key, v)
    {
        char n[48];
        char *kind = s_people_label(key);
        if (!kind) {
            rc = VOCFED_ENOMEM;
            break;
        }
        s_fmt_value("", v, false, n, sizeof n);
        s_table_add(&t, (const char *const[]){kind, n});
        free(kind);
    }
    if (!rc)
        rc = s_table_print(&t, out);
    s_table_release(&t);
    return rc;
}

static int
s_render_table(const json_t *report, FILE *out)
{
    char ryear[32];
    s_table_t t;
    s_report_year(report, ryear, sizeof ryear);
    char *group = s_clean(s_str(report, "group"), "?");
    char *asof = s_clean(s_str(report, "as_of"), "?");
    int rc = VOCFED_ENOMEM;
    if (!group || !asof)
        goto done;
    fprintf(out,
            "集团办学指标 Group figures: %s\n"
            "报告年度 Report year: %s    截至 As of: %s\n\n",
            group[0] ? group : "-", ryear[0] ? ryear : "全部 all",
            asof[0] ? asof : "-");
    fputs("指标 Figures\n", out);
    s_table_init(&t, "llrrrrl");
    s_table_add(&t,
                (const char *const[]){"指标 Figure", "年度 Year", "数值 Value",
                                      "分子/分母 Num/Den", "目标 Target",
                                      "完成度 Attainment", "状态 Status"});
    rc = s_walk(report, S_GROUP | S_PART, s_table_figure, &t);
    if (!rc)
        rc = s_table_print(&t, out);
    s_table_release(&t);
    fputc('\n', out);
    if (!rc)
        rc = s_table_subsidies(report, out);
    if (!rc)
        rc = s_table_totals(report, out);
    if (!rc)
        rc = s_table_asof(report, out);
    if (!rc)
        rc = s_table_multi(report, out);
done:
    free(group);
    free(asof);
    return rc;
}

/* ---- CSV --------------------------------------------------------------- */

/* Writes one field, quoted when it holds a comma, a quote or a line
 * break (RFC 4180). Text fields starting with = + - @ get a leading
 * apostrophe, so that a spreadsheet does not run them as formulas. */
static int
s_csv_text(FILE *out, const char *s)
{
    char *c = s_clean(s, "\xEF\xBF\xBD");
    if (!c)
        return VOCFED_ENOMEM;
    bool formula = strchr("=+-@", c[0]) && c[0] != '\0';
    bool quote = formula || strpbrk(c, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (const char *p = c; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    if (quote)
        fputc('"', out);
    free(c);
    return 0;
}

/* Writes a number as a number (rates as fractions), or nothing. */
static void
s_csv_num(FILE *out, const json_t *v)
{
    if (json_is_integer(v))
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v) && isfinite(json_real_value(v)))
        fprintf(out, "%.10g", json_real_value(v));
}

static int
s_csv_row(void *ctx, const s_row_t *row)
{
    FILE *out = ctx;
    int rc;
    if ((rc = s_csv_text(out, row->id)))
        return rc;
    fputc(',', out);
    if ((rc = s_csv_text(out, row->zh)))
        return rc;
    fputc(',', out);
    if ((rc = s_csv_text(out, row->en)))
        return rc;
    fputc(',', out);
    if ((rc = s_csv_text(out, row->year)))
        return rc;
    fputc(',', out);
    fputs(row->kind ? row->kind->name : "group", out);
    fputc(',', out);
    if ((rc = s_csv_text(out, row->bucket)))
        return rc;
    fputc(',', out);
    s_csv_num(out, s_cell_get(row->cell, "value"));
    fputc(',', out);
    s_csv_num(out, s_cell_get(row->cell, "numerator"));
    fputc(',', out);
    s_csv_num(out, s_cell_get(row->cell, "denominator"));
    fputc(',', out);
    s_csv_num(out, row->target);
    fputc(',', out);
    if (row->status && (rc = s_csv_text(out, row->status)))
        return rc;
    fputs("\r\n", out);
    return ferror(out) ? -EIO : 0;
}

static int
s_render_csv(const json_t *report, FILE *out)
{
    /* The BOM tells Excel the file is UTF-8, not the local code page. */
    fputs("\xEF\xBB\xBF"
          "figure,zh,en,year,breakdown,bucket,value,numerator,denominator,"
          "target,status\r\n",
          out);
    return s_walk(report, S_ALL, s_csv_row, out);
}

/* ---- HTML ---------------------------------------------------------------- */

/* Writes s as HTML text or attribute value: & < > " ' escaped, controls
 * and bytes that are not UTF-8 replaced by U+FFFD. */
static void
s_html(FILE *out, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    while (len > 0) {
        uint32_t cp;
        size_t n = cli_utf8_decode(s, len, &cp);
        if (n == 0 || (s_unsafe_cp(cp) && cp != '\n' && cp != '\t')) {
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
s_chart_frame(const s_frame_t *frames, size_t n, const char *ryear)
{
    for (size_t i = 0; i < n; i++)
        if (ryear[0] && strcmp(frames[i].year, ryear) == 0)
            return i;
    return n ? n - 1 : 0;
}

/* State of filling a chart's member bars. */
typedef struct {
    const json_t *report; /* for the members' names */
    const char *unit;     /* the figure's unit */
    double target;        /* drawn on member bars of a rate, or NAN */
    s_bar_t *bars;        /* the bars */
    size_t n, cap;        /* bars made, room */
} s_chart_t;

static int
s_chart_member(void *ctx, const char *bucket, json_t *cell)
{
    s_chart_t *c = ctx;
    if (c->n == c->cap)
        return 0;
    s_bar_t *b = &c->bars[c->n++];
    json_t *v = s_cell_get(cell, "value");
    b->label = s_member_name(c->report, bucket);
    b->value = s_num_or_nan(v);
    b->target = c->target;
    b->group = false;
    s_fmt_value(c->unit, v, false, b->text, sizeof b->text);
    return 0;
}

/* Writes a horizontal bar chart of one figure as inline SVG: the group's
 * value (one bar per year for a per-year figure) with its target as a
 * red line, then each member's bar for one year. */
static int
s_html_chart(FILE *out, const json_t *report, const s_fig_t *f,
             const s_frame_t *frames, size_t nframes, const char *ryear)
{
    const char *unit = s_str(f->fig, "unit");
    size_t which = s_chart_frame(frames, nframes, ryear);
    json_t *by_member =
        nframes ? json_object_get(frames[which].frame, "by_member") : NULL;
    size_t cap = nframes + json_object_size(by_member);
    if (cap == 0)
        return 0;
    s_bar_t *bars = calloc(cap, sizeof *bars);
    if (!bars)
        return VOCFED_ENOMEM;
    bool per_year = s_per_year(f->fig);
    for (size_t i = 0; i < nframes; i++) {
        json_t *v = json_object_get(frames[i].frame, "value");
        bars[i].label = per_year ? frames[i].year : "集团 Group";
        bars[i].value = s_num_or_nan(v);
        bars[i].target = s_num_or_nan(s_frame_target(frames[i].frame));
        bars[i].group = true;
        s_fmt_value(unit, v, false, bars[i].text, sizeof bars[i].text);
    }
    /* A rate's target holds for each member too (self-hired posts: each
     * school); a count's is the group's alone. */
    s_chart_t c = {
        report, unit,    s_is_rate(unit) && nframes ? bars[which].target : NAN,
        bars,   nframes, cap};
    int rc = s_buckets(report, by_member, true, s_chart_member, &c);
    if (rc)
        goto done;
    size_t ngroup = nframes, n = c.n;

    /* Nothing to draw when no bar has a value or a target. */
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = isfinite(bars[i].value) || isfinite(bars[i].target);
    if (!any)
        goto done;
    double max = 0;
    size_t lcols = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(bars[i].value) && bars[i].value > max)
            max = bars[i].value;
        if (isfinite(bars[i].target) && bars[i].target > max)
            max = bars[i].target;
        size_t w = cli_text_width(bars[i].label, strlen(bars[i].label));
        if (w > lcols)
            lcols = w;
    }
    /* A rate is drawn against the whole (100%), not its largest value. */
    if (max <= 0 || (s_is_rate(unit) && max < 1))
        max = 1;
    int lw = (int)(lcols > 60 ? 60 : lcols) * S_PX + 12;
    if (lw < 80)
        lw = 80;
    int caption = n > ngroup ? 26 : 0;
    int height = 6 + (int)n * S_ROW_H + caption + 26;
    int width = lw + (int)S_BAR_W + S_TEXT_W;

    fprintf(out,
            "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "role=\"img\" aria-label=\"",
            width, height, width, height);
    s_html(out, s_str(f->fig, "zh"));
    fputc(' ', out);
    s_html(out, s_str(f->fig, "en"));
    fputs("\">\n<title>", out);
    s_html(out, s_str(f->fig, "zh"));
    fputc(' ', out);
    s_html(out, s_str(f->fig, "en"));
    fputs("</title>\n", out);
    int y = 6;
    for (size_t i = 0; i < n; i++) {
        const s_bar_t *b = &bars[i];
        if (i == ngroup) {
            fprintf(out, "<text x=\"%d\" y=\"%d\">按成员 By member", 4, y + 18);
            if (nframes && frames[which].year[0]) {
                fputs(" (", out);
                s_html(out, frames[which].year);
                fputc(')', out);
            }
            fputs("</text>\n", out);
            y += caption;
        }
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
                lw, y + 4, S_BAR_W, S_BAR_H, b->group ? "g" : "m", lw, y + 4,
                bw, S_BAR_H);
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
        y += S_ROW_H;
    }
    /* The legend. */
    y += 6;
    fprintf(out,
            "<rect class=\"g\" x=\"%d\" y=\"%d\" width=\"12\" height=\"10\"/>"
            "<text x=\"%d\" y=\"%d\">集团 group</text>\n"
            "<rect class=\"m\" x=\"%d\" y=\"%d\" width=\"12\" height=\"10\"/>"
            "<text x=\"%d\" y=\"%d\">成员 member</text>\n"
            "<line class=\"t\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>"
            "<text x=\"%d\" y=\"%d\">目标 target</text>\n",
            lw, y, lw + 16, y + 10, lw + 110, y, lw + 126, y + 10, lw + 236,
            lw + 236, y - 2, y + 12, lw + 242, y + 10);
    fputs("</svg>\n", out);
done:
    free(bars);
    return rc;
}

/* Writes the overview's cells of one row as <td>s. */
static void
s_html_cells(FILE *out, const s_row_t *row)
{
    s_cells_t c;
    s_cells(row, &c);
    fputs("<td>", out);
    s_html(out, row->year[0] ? row->year : "-");
    fputs("</td><td class=\"n\">", out);
    s_html(out, c.value);
    fputs("</td><td class=\"n\">", out);
    s_html(out, c.numden);
    fputs("</td><td class=\"n\">", out);
    s_html(out, c.target);
    fputs("</td><td class=\"n\">", out);
    s_html(out, c.attain);
    fprintf(out, "</td><td class=\"%s\">", s_status_class(row->status));
    s_html(out, c.status);
    fputs("</td></tr>\n", out);
}

static int
s_html_overview_row(void *ctx, const s_row_t *row)
{
    FILE *out = ctx;
    fputs("<tr><td><a href=\"#f-", out);
    s_html(out, row->id);
    fputs("\">", out);
    s_html(out, row->zh[0] ? row->zh : row->id);
    fputs("</a> <span class=\"en\">", out);
    s_html(out, row->en);
    fputs("</span>", out);
    if (row->kind == &s_part) {
        fputs(": ", out);
        s_html(out, s_part_label(row->bucket));
    }
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
} s_html_bd_t;

static int
s_html_bucket(void *ctx, const char *bucket, json_t *cell)
{
    s_html_bd_t *h = ctx;
    char v[64], num[48] = "-", den[48] = "-";
    s_fmt_value(h->unit, s_cell_get(cell, "value"), true, v, sizeof v);
    s_fmt_value("", s_cell_get(cell, "numerator"), false, num, sizeof num);
    s_fmt_value("", s_cell_get(cell, "denominator"), false, den, sizeof den);
    fputs("<tr><td>", h->out);
    s_html(h->out, bucket);
    if (h->member) {
        fputs("</td><td>", h->out);
        s_html(h->out, s_member_name(h->report, bucket));
    }
    fputs("</td><td class=\"n\">", h->out);
    s_html(h->out, v);
    fputs("</td><td class=\"n\">", h->out);
    s_html(h->out, num);
    fputs("</td><td class=\"n\">", h->out);
    s_html(h->out, den);
    fputs("</td></tr>\n", h->out);
    return 0;
}

/* The breakdown tables of one figure, folded. */
static int
s_html_breakdowns(FILE *out, const json_t *report, const s_fig_t *f,
                  const s_frame_t *frames, size_t nframes)
{
    bool any = false;
    for (size_t i = 0; i < nframes && !any; i++)
        for (size_t k = 0; k < S_NKINDS; k++)
            if (json_object_size(
                    json_object_get(frames[i].frame, s_kinds[k].key)))
                any = true;
    if (!any)
        return 0;
    fputs("<details><summary>明细 Breakdown: 按成员 by member, 按隶属 by "
          "affiliation, 按区县 by county</summary>\n",
          out);
    s_html_bd_t h = {out, report, s_str(f->fig, "unit"), false};
    for (size_t i = 0; i < nframes; i++) {
        for (size_t k = 0; k < S_NKINDS; k++) {
            json_t *map = json_object_get(frames[i].frame, s_kinds[k].key);
            if (json_object_size(map) == 0)
                continue;
            fputs("<h4>", out);
            if (frames[i].year[0]) {
                s_html(out, frames[i].year);
                fputc(' ', out);
            }
            fprintf(out, "%s <span class=\"en\">%s</span></h4>\n",
                    s_kinds[k].zh, s_kinds[k].en);
            h.member = k == 0;
            fprintf(out,
                    "<table><thead><tr><th>%s</th>%s<th>数值 Value</th>"
                    "<th>分子 Numerator</th><th>分母 Denominator</th>"
                    "</tr></thead><tbody>\n",
                    s_kinds[k].col, h.member ? "<th>名称 Name</th>" : "");
            int rc = s_buckets(report, map, h.member, s_html_bucket, &h);
            if (rc)
                return rc;
            fputs("</tbody></table>\n", out);
        }
    }
    fputs("</details>\n", out);
    return 0;
}

static int
s_html_figures(FILE *out, const json_t *report, const char *ryear)
{
    s_fig_t *figs = NULL;
    size_t nfigs = 0;
    int rc = s_figures(report, &figs, &nfigs);
    for (size_t i = 0; !rc && i < nfigs; i++) {
        s_frame_t *frames = NULL;
        size_t nframes = 0;
        if ((rc = s_frames(figs[i].fig, ryear, &frames, &nframes)))
            break;
        fputs("<section id=\"f-", out);
        s_html(out, figs[i].id);
        fputs("\">\n<h3>", out);
        s_html(out, s_str(figs[i].fig, "zh"));
        fputs(" <span class=\"en\">", out);
        s_html(out, s_str(figs[i].fig, "en"));
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

static void
s_html_subsidies(FILE *out, const json_t *report)
{
    json_t *list = json_object_get(report, "subsidies");
    size_t i;
    json_t *s;
    fputs("<h2>补助 <span class=\"en\">Subsidies</span></h2>\n", out);
    if (json_array_size(list) == 0) {
        fputs("<p>无 none</p>\n", out);
    } else {
        fputs("<table><thead><tr><th>补助 Subsidy</th><th>年度 Year</th>"
              "<th>收款方 Payee</th><th>编号 Code</th><th>数量 Count</th>"
              "<th>单价 Amount (元)</th><th>合计 Total (元)</th></tr></thead>"
              "<tbody>\n",
              out);
        json_array_foreach(list, i, s)
        {
            const char *rest;
            json_t *f = s_subsidy_figure(report, s_str(s, "figure"), &rest);
            char year[32] = "-", count[48], amount[48], total[48];
            json_int_t y = json_integer_value(json_object_get(s, "year"));
            if (y > 0)
                snprintf(year, sizeof year, "%" JSON_INTEGER_FORMAT, y);
            s_fmt_value("", json_object_get(s, "count"), false, count,
                        sizeof count);
            s_fmt_value("", json_object_get(s, "amount"), false, amount,
                        sizeof amount);
            s_fmt_value("", json_object_get(s, "total"), false, total,
                        sizeof total);
            const char *zh = s_str(f, "zh");
            fputs("<tr><td>", out);
            s_html(out, zh[0] ? zh : s_str(s, "figure"));
            fputs(" <span class=\"en\">", out);
            s_html(out, s_str(f, "en"));
            if (rest) {
                fputs(" (", out);
                s_html(out, rest);
                fputc(')', out);
            }
            fputs("</span></td><td>", out);
            s_html(out, year);
            fputs("</td><td>", out);
            s_html(out, s_payee_name(report, s));
            fputs("</td><td>", out);
            s_html(out, s_str(s, "payee"));
            fputs("</td><td class=\"n\">", out);
            s_html(out, count);
            fputs("</td><td class=\"n\">", out);
            s_html(out, amount);
            fputs("</td><td class=\"n\">", out);
            s_html(out, total);
            fputs("</td></tr>\n", out);
        }
        fputs("</tbody></table>\n", out);
    }
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
        char total[48], budget[48], left[48] = "-";
        json_t *val = json_object_get(v, "value");
        json_t *bud = json_object_get(v, "budget");
        const char *st = json_string_value(json_object_get(v, "status"));
        s_fmt_value("", val, false, total, sizeof total);
        s_fmt_value("", bud, false, budget, sizeof budget);
        if (json_is_number(val) && json_is_number(bud))
            s_fmt_int(json_number_value(bud) - json_number_value(val), left,
                      sizeof left);
        fputs("<tr><td>", out);
        s_html(out, year);
        fputs("</td><td class=\"n\">", out);
        s_html(out, total);
        fputs("</td><td class=\"n\">", out);
        s_html(out, budget);
        fputs("</td><td class=\"n\">", out);
        s_html(out, left);
        fprintf(out, "</td><td class=\"%s\">", s_status_class(st));
        s_html(out, s_status_label(st));
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

static int
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
          "time</th><th>状态 State</th></tr></thead><tbody>\n",
          out);
    json_object_foreach(members, id, m)
    {
        char size[48], root[17];
        bool behind = json_is_true(json_object_get(m, "behind"));
        s_fmt_value("", json_object_get(m, "size"), false, size, sizeof size);
        snprintf(root, sizeof root, "%s", s_str(m, "root"));
        fputs("<tr><td>", out);
        s_html(out, id);
        fputs("</td><td>", out);
        s_html(out, s_str(m, "name_zh"));
        fputs(" <span class=\"en\">", out);
        s_html(out, s_str(m, "name_en"));
        fputs("</span></td><td>", out);
        s_html(out, s_str(m, "role"));
        fputs("</td><td>", out);
        s_html(out, s_str(m, "original_affiliation"));
        fputs("</td><td>", out);
        s_html(out, s_str(m, "region_code"));
        fputs("</td><td class=\"n\">", out);
        s_html(out, size);
        fputs("</td><td><code>", out);
        s_html(out, root);
        fputs("</code></td><td>", out);
        s_html(out, s_str(m, "checkpoint_time"));
        fprintf(out, "</td><td class=\"%s\">%s</td></tr>\n",
                behind ? "behind" : "",
                behind ? "落后 behind" : "最新 current");
    }
    fputs("</tbody></table>\n<p>落后成员 Members behind:", out);
    size_t nbehind = 0;
    json_object_foreach(members, id, m)
    {
        if (!json_is_true(json_object_get(m, "behind")))
            continue;
        fputs(nbehind++ ? ", " : " ", out);
        s_html(out, id);
        fputs(" (", out);
        s_html(out, s_member_name(report, id));
        fputc(')', out);
    }
    fputs(nbehind ? "</p>\n" : " 无 none</p>\n", out);

    json_t *mm = json_object_get(report, "multi_member_people");
    const char *key;
    json_t *v;
    fputs("<h2>多个成员处的人员 <span class=\"en\">People found at more than "
          "one member (count only)</span></h2>\n",
          out);
    if (json_object_size(mm) == 0) {
        fputs("<p>无 none</p>\n", out);
        return 0;
    }
    fputs("<table><tbody>\n", out);
    json_object_foreach(mm, key, v)
    {
        char n[48];
        char *kind = s_people_label(key);
        if (!kind)
            return VOCFED_ENOMEM;
        s_fmt_value("", v, false, n, sizeof n);
        fputs("<tr><th>", out);
        s_html(out, kind);
        fputs("</th><td class=\"n\">", out);
        s_html(out, n);
        fputs("</td></tr>\n", out);
        free(kind);
    }
    fputs("</tbody></table>\n", out);
    return 0;
}

static int
s_render_html(const json_t *report, FILE *out)
{
    char ryear[32];
    s_report_year(report, ryear, sizeof ryear);
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n"
          "<title>集团办学指标 Group figures: ",
          out);
    s_html(out, s_str(report, "group"));
    if (ryear[0]) {
        fputc(' ', out);
        s_html(out, ryear);
    }
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", s_css);
    fputs("<h1>集团办学指标报告 <span class=\"en\">Group figures "
          "report</span></h1>\n<p class=\"meta\">集团 Group: ",
          out);
    s_html(out, s_str(report, "group"));
    fputs(" &middot; 报告年度 Report year: ", out);
    s_html(out, ryear[0] ? ryear : "全部 all");
    fputs(" &middot; 截至 As of: ", out);
    s_html(out, s_str(report, "as_of"));
    fputs("</p>\n<h2>总览 <span class=\"en\">Overview</span></h2>\n"
          "<table><thead><tr><th>指标 Figure</th><th>年度 Year</th>"
          "<th>数值 Value</th><th>分子/分母 Num/Den</th><th>目标 Target</th>"
          "<th>完成度 Attainment</th><th>状态 Status</th></tr></thead>"
          "<tbody>\n",
          out);
    int rc = s_walk(report, S_GROUP | S_PART, s_html_overview_row, out);
    if (rc)
        return rc;
    fputs("</tbody></table>\n"
          "<h2>指标详情 <span class=\"en\">Figures in detail</span></h2>\n",
          out);
    if ((rc = s_html_figures(out, report, ryear)))
        return rc;
    s_html_subsidies(out, report);
    if ((rc = s_html_asof(out, report)))
        return rc;
    fputs("<p class=\"meta\">vocfed report</p>\n</body>\n</html>\n", out);
    return 0;
}

/* ---- the stream formats ------------------------------------------------ */

bool
cmd_report_format_parse(const char *name, cmd_report_format_t *out)
{
    static const cmd_report_format_t all[] = {
        CMD_REPORT_TABLE, CMD_REPORT_JSON, CMD_REPORT_CSV,
        CMD_REPORT_HTML,  CMD_REPORT_XLSX,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(cmd_report_format_name(all[i]), name) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

const char *
cmd_report_format_name(cmd_report_format_t fmt)
{
    switch (fmt) {
    case CMD_REPORT_TABLE:
        return "table";
    case CMD_REPORT_JSON:
        return "json";
    case CMD_REPORT_CSV:
        return "csv";
    case CMD_REPORT_HTML:
        return "html";
    case CMD_REPORT_XLSX:
        return "xlsx";
    }
    return "?";
}

static bool
s_is_report(const json_t *report)
{
    return json_is_object(report) &&
           json_is_object(json_object_get(report, "figures"));
}

int
cmd_report_write(const json_t *report, cmd_report_format_t fmt, bool pretty,
                 FILE *out)
{
    int rc;
    if (!s_is_report(report))
        return VOCFED_EINVALID;
    errno = 0;
    switch (fmt) {
    case CMD_REPORT_TABLE:
        rc = s_render_table(report, out);
        break;
    case CMD_REPORT_JSON:
        rc = json_dumpf(report, out, pretty ? JSON_INDENT(2) : JSON_COMPACT)
                 ? -EIO
                 : 0;
        if (!rc && fputc('\n', out) == EOF)
            rc = -EIO;
        break;
    case CMD_REPORT_CSV:
        rc = s_render_csv(report, out);
        break;
    case CMD_REPORT_HTML:
        rc = s_render_html(report, out);
        break;
    default:
        return VOCFED_EINVALID;
    }
    int wrc = s_out_status(out);
    return wrc ? wrc : rc;
}

/* ---- xlsx ------------------------------------------------------------- */

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
    char *clean = s_clean(s, "\xEF\xBF\xBD");
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
    return s_is_rate(unit) ? x->pct : x->num;
}

/* State of filling one sheet from s_walk. */
typedef struct {
    s_xlsx_t *x;       /* the workbook */
    lxw_worksheet *ws; /* the sheet */
    lxw_row_t row;     /* the next row */
    unsigned kind;     /* the breakdown shown (S_MEMBER...) */
} s_xsheet_t;

static int
s_xoverview_row(void *ctx, const s_row_t *row)
{
    s_xsheet_t *s = ctx;
    s_xlsx_t *x = s->x;
    lxw_row_t r = s->row++;
    lxw_format *vf = s_xfmt(x, row->unit);
    if (row->kind == &s_part) {
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
    s_xnum(x, s->ws, r, 5, s_cell_get(row->cell, "value"), vf);
    s_xnum(x, s->ws, r, 6, s_cell_get(row->cell, "numerator"), x->num);
    s_xnum(x, s->ws, r, 7, s_cell_get(row->cell, "denominator"), x->num);
    s_xnum(x, s->ws, r, 8, row->target, vf);
    s_xnum(x, s->ws, r, 9, s_cell_get(row->cell, "target_year"), NULL);
    s_xnum(x, s->ws, r, 10, s_cell_get(row->cell, "attainment"), x->pct);
    if (row->status)
        s_xstr(x, s->ws, r, 11, s_status_label(row->status), NULL);
    return x->oom ? VOCFED_ENOMEM : 0;
}

static int
s_xbucket_row(void *ctx, const s_row_t *row)
{
    s_xsheet_t *s = ctx;
    s_xlsx_t *x = s->x;
    lxw_row_t r = s->row++;
    lxw_col_t c = 5;
    s_xstr(x, s->ws, r, 0, row->id, NULL);
    s_xstr(x, s->ws, r, 1, row->zh, NULL);
    s_xstr(x, s->ws, r, 2, row->en, NULL);
    s_xyear(x, s->ws, r, 3, row->year);
    s_xstr(x, s->ws, r, 4, row->bucket, NULL);
    if (s->kind == S_MEMBER)
        s_xstr(x, s->ws, r, c++, s_member_name(x->rep, row->bucket), NULL);
    s_xnum(x, s->ws, r, c++, s_cell_get(row->cell, "value"),
           s_xfmt(x, row->unit));
    s_xnum(x, s->ws, r, c++, s_cell_get(row->cell, "numerator"), x->num);
    s_xnum(x, s->ws, r, c, s_cell_get(row->cell, "denominator"), x->num);
    return x->oom ? VOCFED_ENOMEM : 0;
}

static int
s_xoverview(s_xlsx_t *x)
{
    static const char *const heads[] = {
        "指标代码 Figure id", "指标 Figure",
        "Figure (English)",   "单位 Unit",
        "年度 Year",          "数值 Value",
        "分子 Numerator",     "分母 Denominator",
        "目标 Target",        "目标年度 Target year",
        "完成度 Attainment",  "状态 Status",
    };
    static const double widths[] = {22, 24, 36, 12, 10, 14,
                                    14, 14, 14, 12, 14, 18};
    s_xsheet_t s = {x, s_xsheet(x, "总览 Overview", heads, widths, 12), 1, 0};
    if (!s.ws)
        return 0;
    return s_walk(x->rep, S_GROUP | S_PART, s_xoverview_row, &s);
}

static int
s_xbreakdown(s_xlsx_t *x, const char *name, unsigned kind, const char *col)
{
    const char *heads[9] = {"指标代码 Figure id", "指标 Figure",
                            "Figure (English)", "年度 Year", col};
    double widths[9] = {22, 24, 36, 10, 22};
    size_t n = 5;
    if (kind == S_MEMBER) {
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
    return s_walk(x->rep, kind, s_xbucket_row, &s);
}

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
    json_t *list = json_object_get(x->rep, "subsidies");
    lxw_row_t r = 1;
    size_t i;
    json_t *s;
    if (!ws)
        return;
    json_array_foreach(list, i, s)
    {
        const char *rest;
        json_t *f = s_subsidy_figure(x->rep, s_str(s, "figure"), &rest);
        s_xstr(x, ws, r, 0, s_str(s, "figure"), NULL);
        s_xstr(x, ws, r, 1, s_str(f, "zh"), NULL);
        s_xstr(x, ws, r, 2, s_str(f, "en"), NULL);
        s_xnum(x, ws, r, 3, json_object_get(s, "year"), NULL);
        s_xstr(x, ws, r, 4, s_str(s, "payee"), NULL);
        s_xstr(x, ws, r, 5, s_payee_name(x->rep, s), NULL);
        s_xnum(x, ws, r, 6, json_object_get(s, "count"), x->num);
        s_xnum(x, ws, r, 7, json_object_get(s, "amount"), x->num);
        s_xnum(x, ws, r, 8, json_object_get(s, "total"), x->num);
        r++;
    }
    /* The totals against the budget, under the lines. */
    json_t *totals = json_object_get(x->rep, "subsidy_total");
    const char *year;
    json_t *v;
    if (json_object_size(totals) == 0)
        return;
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
               s_status_label(json_string_value(json_object_get(v, "status"))),
               NULL);
        r++;
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
    };
    static const double widths[] = {14, 28, 40, 14, 24, 12, 12, 68, 26, 14};
    lxw_worksheet *ws = s_xsheet(x, "数据截至 As of", heads, widths, 10);
    json_t *members = json_object_get(x->rep, "members");
    lxw_row_t r = 1;
    const char *id;
    json_t *m;
    char ryear[32];
    if (!ws)
        return;
    json_object_foreach(members, id, m)
    {
        bool behind = json_is_true(json_object_get(m, "behind"));
        s_xstr(x, ws, r, 0, id, NULL);
        s_xstr(x, ws, r, 1, s_str(m, "name_zh"), NULL);
        s_xstr(x, ws, r, 2, s_str(m, "name_en"), NULL);
        s_xstr(x, ws, r, 3, s_str(m, "role"), NULL);
        s_xstr(x, ws, r, 4, s_str(m, "original_affiliation"), NULL);
        s_xstr(x, ws, r, 5, s_str(m, "region_code"), NULL);
        s_xnum(x, ws, r, 6, json_object_get(m, "size"), x->num);
        s_xstr(x, ws, r, 7, s_str(m, "root"), NULL);
        s_xstr(x, ws, r, 8, s_str(m, "checkpoint_time"), NULL);
        s_xstr(x, ws, r, 9, behind ? "落后 behind" : "最新 current", NULL);
        r++;
    }
    /* What the whole report is of. */
    r++;
    s_report_year(x->rep, ryear, sizeof ryear);
    s_xstr(x, ws, r, 0, "集团 Group", x->bold);
    s_xstr(x, ws, r++, 1, s_str(x->rep, "group"), NULL);
    s_xstr(x, ws, r, 0, "报告年度 Report year", x->bold);
    s_xyear(x, ws, r++, 1, ryear[0] ? ryear : "全部 all");
    s_xstr(x, ws, r, 0, "截至 As of", x->bold);
    s_xstr(x, ws, r++, 1, s_str(x->rep, "as_of"), NULL);
    r++;
    json_t *mm = json_object_get(x->rep, "multi_member_people");
    const char *key;
    json_t *v;
    s_xstr(x, ws, r++, 0, "多个成员处的人员 People at more than one member",
           x->bold);
    json_object_foreach(mm, key, v)
    {
        char *kind = s_people_label(key);
        if (!kind) {
            x->oom = true;
            return;
        }
        s_xstr(x, ws, r, 0, kind, NULL);
        s_xnum(x, ws, r++, 1, v, x->num);
        free(kind);
    }
}

int
cmd_report_xlsx(const json_t *report, const char *path)
{
    if (!s_is_report(report))
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
        rc = s_xbreakdown(&x, "按成员 By member", S_MEMBER, "成员 Member");
    if (!rc)
        rc = s_xbreakdown(&x, "按隶属 By affiliation", S_AFFIL,
                          "隶属 Affiliation");
    if (!rc)
        rc = s_xbreakdown(&x, "按区县 By county", S_COUNTY, "区县 County");
    if (!rc) {
        s_xsubsidies(&x);
        s_xasof(&x);
    }
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
