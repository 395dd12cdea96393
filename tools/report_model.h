/* vocfed: the report model, what every format of `vocfed report` shares
 * (DESIGN 7, 8): the walk over the figures object node_figures_json()
 * makes, the labels people read, and the formatting of numbers.
 *
 * Order and labels come from the object: figures in the order of its
 * "figures" member, each with its own "zh", "en" and "unit"; members in
 * the order of "members". What the model knows by name is the object's
 * vocabulary, not the figures: the breakdowns (by_member...), the units
 * (people, person-times, yuan, rate), the status tokens, and the parts
 * of a figure (all_graduates, provincial, national).
 *
 * Every pointer into the report is borrowed: it lives as long as the
 * report. Functions that return a char * return it malloc'd (the caller
 * frees it) and NULL when out of memory. Used only by tools/report_*.c. */
#ifndef VOCFED_TOOLS_REPORT_MODEL_H
#define VOCFED_TOOLS_REPORT_MODEL_H

#include "protocol/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A breakdown a figure (or one year of it) may carry, or its parts. */
typedef struct {
    const char *key;  /* its member in the figure: "by_member" */
    const char *name; /* the CSV breakdown column: "member" */
    const char *zh;   /* heading, Chinese */
    const char *en;   /* heading, English */
    const char *col;  /* the bucket's column heading */
} report_bd_t;

/* The breakdowns, in report order: member, affiliation, county, payee. */
#define REPORT_NBDS 4
extern const report_bd_t report_bds[REPORT_NBDS];

/* The parts of one year of a figure: its members that are objects with a
 * value of their own (local_retention's all_graduates, DESIGN 11;
 * consortium_award's provincial and national). */
extern const report_bd_t report_part;

/* Which rows report_walk() produces (bit i+1 is report_bds[i]). */
enum {
    REPORT_GROUP = 1 << 0,
    REPORT_MEMBER = 1 << 1,
    REPORT_AFFIL = 1 << 2,
    REPORT_COUNTY = 1 << 3,
    REPORT_PAYEE = 1 << 4,
    REPORT_PART = 1 << 5,
    REPORT_ALL = 0x3F,
};

/* One figure of the report. */
typedef struct {
    const char *id; /* "hv_enrolled" */
    json_t *fig;    /* its object */
} report_fig_t;

/* One year of a figure: the figure itself for a snapshot figure, or one
 * member of its by_year. */
typedef struct {
    const char *year; /* "2026"; "" when the report has no year */
    json_t *frame;    /* value, target, status, by_member... */
} report_frame_t;

/* One row of the walk: a figure's group total, a bucket or a part. */
typedef struct {
    const char *id;          /* the figure's id */
    const char *zh;          /* its Chinese label ("" when absent) */
    const char *en;          /* its English label ("" when absent) */
    const char *unit;        /* its unit ("" when absent) */
    const char *year;        /* as in report_frame_t */
    const report_bd_t *kind; /* NULL for the group total */
    const char *bucket;      /* "" for the group total */
    json_t *frame;           /* the year of the figure */
    json_t *cell;       /* the frame itself, or the bucket's number or object */
    json_t *target;     /* the group's target (the budget for subsidy_total);
                           a bucket's own if it has one; else NULL */
    const char *status; /* a status token, or NULL */
} report_row_t;

/* Called per row; a non-zero return stops the walk and is returned. */
typedef int (*report_row_fn)(void *ctx, const report_row_t *row);

/* Called per bucket of a breakdown (or per part); as report_row_fn. */
typedef int (*report_bucket_fn)(void *ctx, const char *bucket, json_t *cell);

/* ---- the walk ------------------------------------------------------------ */

/* The string member name of obj, or "" (never NULL). */
const char *report_str(const json_t *obj, const char *name);

/* A member of a bucket: the number itself stands for "value". NULL when
 * there is none. */
json_t *report_cell_get(json_t *cell, const char *name);

/* The report's year as text: "" when absent or 0 (every year). */
void report_year(const json_t *report, char *out, size_t cap);

/* Whether report is an object with a "figures" object. */
bool report_is_report(const json_t *report);

/* The figures (objects only) in the order of the report's "figures".
 * *out is malloc'd (free it), NULL when there are none. Returns 0 or
 * VOCFED_ENOMEM. */
int report_figures(const json_t *report, report_fig_t **out,
                   size_t *n) VOCFED_WUR;

/* Whether a figure is given per year (has a by_year object). */
bool report_per_year(const json_t *fig);

/* The years of a figure, oldest first; a snapshot figure is one frame of
 * year ryear (the report's). *out is malloc'd (free it). Returns 0 or
 * VOCFED_ENOMEM. */
int report_frames(json_t *fig, const char *ryear, report_frame_t **out,
                  size_t *n) VOCFED_WUR;

/* The target of one year of a figure: its target, or its budget (the
 * award budget of subsidy_total), or NULL. */
json_t *report_frame_target(json_t *frame);

/* Calls fn for each bucket of map; with roster, members in the roster's
 * order first (by_member), then the rest as they come. Returns 0 or what
 * fn returned. */
int report_buckets(const json_t *report, json_t *map, bool roster,
                   report_bucket_fn fn, void *ctx) VOCFED_WUR;

/* Calls fn for every row asked for (REPORT_GROUP...): per figure, per
 * year, the group total, then each breakdown's buckets, then the parts.
 * Returns 0, VOCFED_ENOMEM, or what fn returned. */
int report_walk(const json_t *report, unsigned rows, report_row_fn fn,
                void *ctx) VOCFED_WUR;

/* ---- text and numbers ---------------------------------------------------- */

/* True for code points that must not reach a terminal or a spreadsheet
 * as they are: controls (C0, DEL, C1) and the bidirectional overrides
 * and isolates that make text display in another order than it reads. */
bool report_unsafe_cp(uint32_t cp);

/* A copy of s (NULL: "") with unsafe code points and bytes that are not
 * UTF-8 replaced by repl. */
char *report_clean(const char *s, const char *repl);

/* Writes v rounded to a whole number with thousands separators:
 * "1,234,567". "-" when v is not finite. */
void report_fmt_int(double v, char *out, size_t cap);

/* Writes a rate as a percentage with one decimal: 0.4526 -> "45.3%". */
void report_fmt_pct(double v, char *out, size_t cap);

/* Whether unit is a rate (a fraction shown as a percentage). */
bool report_is_rate(const char *unit);

/* Writes a figure's value for people: a percentage for a rate, else a
 * whole number with separators and (suffix) the unit in Chinese; "-"
 * when v is not a number. */
void report_fmt_value(const char *unit, const json_t *v, bool suffix, char *out,
                      size_t cap);

/* A status token for people, Chinese first; "-" for NULL; an unknown
 * token itself. */
const char *report_status_label(const char *token);

/* A status token as an HTML class (only the known ones, else ""). */
const char *report_status_class(const char *token);

/* The figure columns of the overview, for one row of the walk. */
typedef struct {
    char value[64];     /* the value with its unit */
    char numden[112];   /* "453 / 1,000" for rates, else "-" */
    char target[96];    /* the target, with its year when not this one */
    char attain[32];    /* attainment as a percentage, or "-" */
    const char *status; /* status label */
} report_cells_t;

/* Fills c from row. */
void report_cells(const report_row_t *row, report_cells_t *c);

/* ---- labels -------------------------------------------------------------- */

/* "zh en", or whichever there is, or the fallback (NULL: ""). */
char *report_label(const char *zh, const char *en, const char *fallback);

/* A part's name for people: "全体毕业生 all graduates", or the key. */
const char *report_part_label(const char *key);

/* A row's figure label: "zh en" (or its id), with ": part" after it for
 * a part. */
char *report_row_label(const report_row_t *row);

/* The figure a subsidy line is of: the figure of that id, or else the
 * figure whose id and a '_' start it (consortium_award_provincial is of
 * consortium_award), with *rest what follows ("provincial"). NULL when
 * none; *rest NULL unless a prefix matched. */
json_t *report_subsidy_figure(const json_t *report, const char *id,
                              const char **rest);

/* A subsidy line's label: "产教联合体奖补 consortium award (provincial)",
 * or its figure id. */
char *report_subsidy_label(const json_t *report, const char *id);

/* The name a member is shown by: its Chinese name, else its English
 * one, else its id. */
const char *report_member_name(const json_t *report, const char *id);

/* The name of a subsidy line's payee: its payee_name, else the name of
 * the member it is, else its code. */
const char *report_payee_name(const json_t *report, const json_t *line);

/* ---- the other tables --------------------------------------------------- */

/* One line of "subsidies", as text. */
typedef struct {
    char year[32];   /* its year, or "-" */
    char count[48];  /* how many */
    char amount[48]; /* yuan each */
    char total[48];  /* yuan in all */
} report_line_text_t;

/* Fills t from one line of the report's "subsidies". */
void report_line_text(const json_t *line, report_line_text_t *t);

/* One year of "subsidy_total", as text. */
typedef struct {
    char total[48];     /* yuan paid */
    char budget[48];    /* the award budget */
    char left[48];      /* budget - total, or "-" */
    const char *status; /* the status token, or NULL */
} report_total_text_t;

/* Fills t from one year of the report's "subsidy_total". */
void report_total_text(const json_t *year, report_total_text_t *t);

/* One member of "members", as text. */
typedef struct {
    char size[48];     /* entries, with separators */
    char root[17];     /* the first 16 characters of its root */
    bool behind;       /* its checkpoint is behind */
    const char *state; /* "隔离 quarantined" (its batches refused, SPEC
                          8.5), "落后 behind", "最新 current", or "未知
                          unknown" (behind null: a report as of a past
                          moment, SPEC 12.5) */
} report_member_text_t;

/* Fills t from one member of the report's "members". */
void report_member_text(const json_t *member, report_member_text_t *t);

/* Calls fn for each member whose checkpoint is behind, with its id and
 * the name it is shown by. Returns 0 or what fn returned. */
int report_behind(const json_t *report,
                  int (*fn)(void *ctx, const char *id, const char *name),
                  void *ctx) VOCFED_WUR;

/* Calls fn for each entry of "multi_member_people" (people counted once
 * though found at several members) with its label and its count (a
 * number, or NULL). An entry is a count, or an object with its "value"
 * and its own "zh" and "en"; a count's label is its key, in Chinese
 * first when the key is a unit of people ("people": "人员 people").
 * Returns 0, VOCFED_ENOMEM or what fn returned. */
int report_people(const json_t *report,
                  int (*fn)(void *ctx, const char *label, const json_t *n),
                  void *ctx) VOCFED_WUR;

/* ---- the sections beside the figures (report_sections.c; SPEC 12.3) ----- */

/* The rule for contested claims, said where the conflicts are listed. */
#define REPORT_CONFLICT_RULE_ZH                                                \
    "协调方最先收到的申报予以支付，其余申报列出，由秘书处裁定"
#define REPORT_CONFLICT_RULE_EN                                                \
    "the first claim received by the coordinator is paid; the others are "     \
    "listed for the secretariat to settle"

/* What pending payment lines are (the report's "pending"). */
#define REPORT_PENDING_ZH "待定补助（生源学校未登记，暂不支付）"
#define REPORT_PENDING_EN                                                      \
    "Pending payments (source school not registered: not payable yet)"

/* One contested claim of the report's "conflicts", as text. */
typedef struct {
    char *label;        /* the figure's label (report_subsidy_label) */
    char year[32];      /* its year, or "-" */
    const char *person; /* the person (pseudo_id), borrowed */
    char *paid;         /* the claim paid: "m1 (jh1)" */
    char *others;       /* the others in order: "m2 (crony); m3" */
    size_t nothers;     /* how many others */
} report_conflict_text_t;

/* Fills t from one contested claim c. The strings are malloc'd: free
 * with report_conflict_text_release (also after a failure). Returns 0 or
 * VOCFED_ENOMEM. */
int report_conflict_text(const json_t *report, const json_t *c,
                         report_conflict_text_t *t) VOCFED_WUR;

/* Frees what report_conflict_text allocated. */
void report_conflict_text_release(report_conflict_text_t *t);

/* One member of the report's "excluded" as a sentence: "已排除：撤销成员
 * m9，42 条记录 excluded: revoked member m9, 42 records". */
void report_excluded_text(const json_t *x, char *out, size_t cap);

/* A member's roster state for people: "在册 active", "暂停 suspended",
 * "撤销 revoked" (an unknown token itself), "-" without one; then
 * " 隔离 quarantined" when it is. */
void report_roster_text(const json_t *member, char *out, size_t cap);

/* ---- the point the figures are of (report_sections.c; SPEC 12.3) ------ */

/* The heading of the "applied" section. */
#define REPORT_APPLIED_ZH "计入进度：各日志已计入指标的位置"
#define REPORT_APPLIED_EN "Applied: how far into each log the figures are"

/* One log of the report's "applied" as text. */
typedef struct {
    char applied[48]; /* the last seq in the figures, with separators */
    char size[48];    /* the entries the log holds */
    char left[48];    /* how many of them are not in the figures yet */
    const char *time; /* the latest checkpoint applied ("-" none) */
    bool behind;      /* some of the log is not in the figures */
} report_log_text_t;

/* Fills t from one member of the report's "applied"."logs". */
void report_log_text(const json_t *log, report_log_text_t *t);

/* Whether every entry the logs hold is in the figures: "applied" says
 * so, or the report has no "applied" (made before it existed). */
bool report_applied_complete(const json_t *report);

/* One sentence on what the figures leave out, Chinese first: "全部条目
 * 已计入 every entry held is in the figures", or the entries held that
 * are not, and why (the report was made with --no-catch-up, or they
 * arrived while it was made). */
void report_applied_text(const json_t *report, char *out, size_t cap);

/* ---- whose report, and of what moment (SPEC 12.5, 12.6) ---------------- */

/* The report's title: "集团办学指标 Group figures: coord", or for a
 * member's own report its name and id ("太湖县职业教育中心 (aqvtc) 本单位
 * 指标 own figures, 集团 group coord"). */
void report_title(const json_t *report, char *out, size_t cap);

/* The heading of the attainment column: a member's report shows its
 * share of the group's target there. */
const char *report_attain_heading(const json_t *report);

/* "存量 stock" or "流量 flow" for figure id (its "basis"), "" when the
 * report does not say. */
const char *report_basis_label(const json_t *report, const char *id);

/* One sentence on what moment the stocks and the flows are of, from
 * the report's as_of and census. */
void report_moments_text(const json_t *report, char *out, size_t cap);

/* ---- certification and policy tables (report_extra.c; SPEC 12.3) ------ */

#define REPORT_XCOLS_MAX 10

/* One row of a table beside the figures: its cells for people, and what
 * the CSV writes in the figures' columns. */
typedef struct {
    char *cells[REPORT_XCOLS_MAX]; /* display text, one per column */
    const char *figure;            /* CSV figure (borrowed, "" none) */
    char year[16];                 /* CSV year ("" none) */
    char *bucket;                  /* CSV bucket */
    json_t *value, *num, *den;     /* CSV value, numerator, denominator
                                      (references held, may be NULL) */
    char *status;                  /* CSV status */
} report_xrow_t;

/* One table: claims in one state, money in four states, the budget,
 * certified beside claimed, the county assessment, progression by
 * cohort, bodies by level. */
typedef struct {
    const char *id;                     /* the CSV breakdown: "claim"... */
    const char *zh;                     /* heading, Chinese */
    const char *en;                     /* heading, English */
    const char *align;                  /* 'l' or 'r' per column */
    size_t ncols;                       /* columns */
    const char *head[REPORT_XCOLS_MAX]; /* column headings */
    report_xrow_t *rows;                /* the rows */
    size_t nrows, cap;                  /* used, allocated */
} report_xtable_t;

/* The tables of the sections the report has (claims, money, certified,
 * county, progression, bodies; none for a section it lacks). *out is
 * freed with report_xtables_free. Returns 0 or VOCFED_ENOMEM. */
int report_xtables(const json_t *report, report_xtable_t **out,
                   size_t *n) VOCFED_WUR;

/* Frees what report_xtables made. */
void report_xtables_free(report_xtable_t *t, size_t n);

/* The status of the writes to out: 0, or -errno (-EIO when errno says
 * nothing). */
int report_out_status(FILE *out) VOCFED_WUR;

#endif
