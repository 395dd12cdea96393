/* vocfed: the report as CSV (see report_format.h): UTF-8 with a BOM,
 * CRLF, RFC 4180 quoting; one row per figure x year x breakdown bucket
 * (a county's bucket named by GB/T 2260, a member's by its profile),
 * numbers as numbers (rates as fractions); then, in the same columns,
 * the sections beside the figures (SPEC 12.3): breakdown "pending",
 * "conflict", "excluded" and "roster". */
#include "protocol/region.h"
#include "tools/report_format.h"
#include "tools/report_model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes one field, quoted when it holds a comma, a quote or a line
 * break (RFC 4180). Text fields starting with = + - @ get a leading
 * apostrophe, so that a spreadsheet does not run them as formulas. */
static int
s_csv_text(FILE *out, const char *s)
{
    char *c = report_clean(s, "\xEF\xBF\xBD");
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

/* The bucket_name column: a county's name (GB/T 2260, protocol/region.h)
 * or a member's (its profile's), for a bucket of breakdown; "" when
 * there is none. */
static const char *
s_bucket_name(const json_t *report, const char *breakdown, const char *bucket)
{
    if (!strcmp(breakdown, "county") ||
        !strcmp(breakdown, "county_assessment")) {
        const char *name = proto_region_name(bucket);
        return name ? name : "";
    }
    static const char *const of_member[] = {
        "member", "payee", "roster", "excluded", "applied", "own", "money"};
    for (size_t i = 0; i < sizeof of_member / sizeof *of_member; i++) {
        if (strcmp(breakdown, of_member[i]) != 0)
            continue;
        const char *name = report_member_name(report, bucket);
        return name == bucket ? "" : name;
    }
    return "";
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

/* What s_csv_row writes to. */
typedef struct {
    FILE *out;            /* the CSV */
    const json_t *report; /* for the buckets' names */
} s_csv_t;

static int
s_csv_row(void *ctx, const report_row_t *row)
{
    const s_csv_t *c = ctx;
    FILE *out = c->out;
    const char *bd = row->kind ? row->kind->name : "group";
    const char *texts[] = {row->id,
                           row->zh,
                           row->en,
                           row->year,
                           bd,
                           row->bucket,
                           s_bucket_name(c->report, bd, row->bucket)};
    int rc;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (i && fputc(',', out) == EOF)
            return -EIO;
        if ((rc = s_csv_text(out, texts[i])))
            return rc;
    }
    static const char *const nums[] = {"value", "numerator", "denominator"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        fputc(',', out);
        s_csv_num(out, report_cell_get(row->cell, nums[i]));
    }
    fputc(',', out);
    s_csv_num(out, row->target);
    fputc(',', out);
    if (row->status && (rc = s_csv_text(out, row->status)))
        return rc;
    /* a stock or a flow, and the moment it is of (SPEC 12.5) */
    json_t *fig =
        json_object_get(json_object_get(c->report, "figures"), row->id);
    fputc(',', out);
    if ((rc = s_csv_text(out, report_str(fig, "basis"))))
        return rc;
    fputc(',', out);
    if ((rc = s_csv_text(out, report_str(fig, "as_of"))))
        return rc;
    fputs("\r\n", out);
    return ferror(out) ? -EIO : 0;
}

/* One row of a section beside the figures, in the figures' columns:
 * texts are figure, zh, en, year, breakdown, bucket; then bucket_name
 * (s_bucket_name), value and
 * numerator (JSON numbers or NULL), no denominator nor target, and
 * status. */
static int
s_csv_extra(const json_t *report, FILE *out, const char *const texts[6],
            const json_t *value, const json_t *num, const char *status)
{
    int rc;
    for (size_t i = 0; i < 6; i++) {
        if ((rc = s_csv_text(out, texts[i])))
            return rc;
        fputc(',', out);
    }
    if ((rc = s_csv_text(out, s_bucket_name(report, texts[4], texts[5]))))
        return rc;
    fputc(',', out);
    s_csv_num(out, value);
    fputc(',', out);
    s_csv_num(out, num);
    fputs(",,,", out);
    if ((rc = s_csv_text(out, status)))
        return rc;
    fputs(",,\r\n", out);
    return ferror(out) ? -EIO : 0;
}

/* The pending payment lines: breakdown "pending", bucket the payee,
 * value the total, numerator the count. */
static int
s_csv_pending(const json_t *report, FILE *out)
{
    json_t *l;
    size_t i;
    int rc = 0;
    json_array_foreach(json_object_get(report, "pending"), i, l)
    {
        const char *rest, *id = report_str(l, "figure");
        json_t *f = report_subsidy_figure(report, id, &rest);
        report_line_text_t t;
        report_line_text(l, &t);
        const char *texts[6] = {
            id,     report_str(f, "zh"), report_str(f, "en"),
            t.year, "pending",           report_str(l, "payee")};
        if ((rc = s_csv_extra(report, out, texts, json_object_get(l, "total"),
                              json_object_get(l, "count"), "pending")))
            break;
    }
    return rc;
}

/* The contested claims: breakdown "conflict", bucket the person, value
 * the number of claims, status who is paid and the others. */
static int
s_csv_conflicts(const json_t *report, FILE *out)
{
    json_t *c;
    size_t i;
    int rc = 0;
    json_array_foreach(json_object_get(report, "conflicts"), i, c)
    {
        report_conflict_text_t t;
        json_t *f = json_object_get(json_object_get(report, "figures"),
                                    report_str(c, "figure"));
        rc = report_conflict_text(report, c, &t);
        size_t cap = rc ? 0 : strlen(t.paid) + strlen(t.others) + 32;
        char *status = rc ? NULL : malloc(cap);
        if (status) {
            snprintf(status, cap, "paid: %s; others: %s", t.paid, t.others);
            const char *texts[6] = {report_str(c, "figure"),
                                    report_str(f, "zh"),
                                    report_str(f, "en"),
                                    t.year,
                                    "conflict",
                                    t.person};
            json_t *n = json_integer((json_int_t)t.nothers + 1);
            rc = n ? s_csv_extra(report, out, texts, n, NULL, status)
                   : VOCFED_ENOMEM;
            json_decref(n);
        } else {
            rc = VOCFED_ENOMEM;
        }
        free(status);
        report_conflict_text_release(&t);
        if (rc)
            break;
    }
    return rc;
}

/* The excluded members (value: their records, status: why) and the
 * roster state of each member that has one. */
static int
s_csv_members(const json_t *report, FILE *out)
{
    json_t *x, *m;
    size_t i;
    const char *id;
    int rc = 0;
    json_array_foreach(json_object_get(report, "excluded"), i, x)
    {
        const char *texts[6] = {"", "",         "",
                                "", "excluded", report_str(x, "member")};
        if ((rc = s_csv_extra(report, out, texts, json_object_get(x, "records"),
                              NULL, report_str(x, "why"))))
            return rc;
    }
    json_object_foreach(json_object_get(report, "members"), id, m)
    {
        char state[64];
        if (!json_object_get(m, "roster"))
            continue;
        snprintf(state, sizeof state, "%s%s",
                 json_is_string(json_object_get(m, "roster"))
                     ? report_str(m, "roster")
                     : "none",
                 json_is_true(json_object_get(m, "quarantined"))
                     ? " quarantined"
                     : "");
        const char *texts[6] = {"", "", "", "", "roster", id};
        if ((rc = s_csv_extra(report, out, texts, NULL, NULL, state)))
            return rc;
    }
    return rc;
}

/* How far into each log the figures are: breakdown "applied", bucket the
 * author, value the last seq applied, numerator the entries its log
 * holds, status the time of the latest checkpoint applied; then
 * breakdown "unapplied": value the entries held and not in the figures,
 * status complete, or why not. */
static int
s_csv_applied(const json_t *report, FILE *out)
{
    json_t *a = json_object_get(report, "applied"), *l;
    const char *id;
    int rc;
    if (!a)
        return 0;
    json_object_foreach(json_object_get(a, "logs"), id, l)
    {
        const char *texts[6] = {"", "", "", "", "applied", id};
        if ((rc = s_csv_extra(report, out, texts, json_object_get(l, "applied"),
                              json_object_get(l, "size"),
                              report_str(l, "applied_time"))))
            return rc;
    }
    const char *texts[6] = {"", "", "", "", "unapplied", ""};
    const char *why = report_applied_complete(report) ? "complete"
                      : json_is_true(json_object_get(a, "caught_up"))
                          ? "arrived while the report was made"
                          : "made without catching up";
    return s_csv_extra(report, out, texts, json_object_get(a, "unapplied"),
                       NULL, why);
}

/* Whose report it is: at a member, breakdown "own", bucket its id,
 * bucket_name its name (SPEC 12.6); and the moments (status: the
 * sentence of report_moments_text). */
static int
s_csv_own(const json_t *report, FILE *out)
{
    char moments[512];
    json_t *m = json_object_get(report, "member");
    int rc = 0;
    if (json_is_object(m)) {
        const char *texts[6] = {"", "", "", "", "own", report_str(m, "id")};
        rc = s_csv_extra(report, out, texts, NULL, NULL, "member");
    }
    report_moments_text(report, moments, sizeof moments);
    const char *texts[6] = {"", "", "", "", "moments", ""};
    return rc ? rc : s_csv_extra(report, out, texts, NULL, NULL, moments);
}

/* One row of a certification or policy table in the figures' columns:
 * figure, zh, en, year, breakdown, bucket, bucket_name, value,
 * numerator, denominator, no target, status, no basis nor as_of. */
static int
s_csv_xrow(const json_t *report, FILE *out, const report_xtable_t *t,
           const report_xrow_t *x)
{
    const char *texts[] = {x->figure, t->zh, t->en, x->year, t->id, x->bucket};
    int rc = 0;
    for (size_t k = 0; !rc && k < 6; k++) {
        rc = s_csv_text(out, texts[k]);
        fputc(',', out);
    }
    if (!rc && !(rc = s_csv_text(out, s_bucket_name(report, t->id, x->bucket))))
        fputc(',', out);
    const json_t *nums[] = {x->value, x->num, x->den};
    for (size_t k = 0; !rc && k < 3; k++) {
        s_csv_num(out, nums[k]);
        fputc(',', out);
    }
    if (!rc)
        fputc(',', out);
    if (!rc && !(rc = s_csv_text(out, x->status)))
        fputs(",,\r\n", out);
    return rc ? rc : ferror(out) ? -EIO : 0;
}

/* The certification and policy tables (report_xtables): breakdown the
 * table's id, then each row's figure, year, bucket, value, numerator,
 * denominator and status; zh and en the table's heading. */
static int
s_csv_xtables(const json_t *report, FILE *out)
{
    report_xtable_t *xt;
    size_t n;
    int rc = report_xtables(report, &xt, &n);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < n; i++)
        for (size_t r = 0; !rc && r < xt[i].nrows; r++)
            rc = s_csv_xrow(report, out, &xt[i], &xt[i].rows[r]);
    report_xtables_free(xt, n);
    return rc;
}

int
report_csv_write(const json_t *report, FILE *out)
{
    /* The BOM tells Excel the file is UTF-8, not the local code page. */
    fputs("\xEF\xBB\xBF"
          "figure,zh,en,year,breakdown,bucket,bucket_name,value,numerator,"
          "denominator,target,status,basis,as_of\r\n",
          out);
    s_csv_t c = {out, report};
    int rc = report_walk(report, REPORT_ALL, s_csv_row, &c);
    if (!rc)
        rc = s_csv_pending(report, out);
    if (!rc)
        rc = s_csv_conflicts(report, out);
    if (!rc)
        rc = s_csv_xtables(report, out);
    if (!rc)
        rc = s_csv_members(report, out);
    if (!rc)
        rc = s_csv_applied(report, out);
    if (!rc)
        rc = s_csv_own(report, out);
    return rc;
}
