/* vocfed: the report as CSV (see report_format.h): UTF-8 with a BOM,
 * CRLF, RFC 4180 quoting; one row per figure x year x breakdown bucket,
 * numbers as numbers (rates as fractions). */
#include "tools/report_format.h"
#include "tools/report_model.h"

#include <errno.h>
#include <math.h>
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
s_csv_row(void *ctx, const report_row_t *row)
{
    FILE *out = ctx;
    const char *texts[] = {row->id, row->zh, row->en, row->year};
    int rc;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if ((rc = s_csv_text(out, texts[i])))
            return rc;
        fputc(',', out);
    }
    fputs(row->kind ? row->kind->name : "group", out);
    fputc(',', out);
    if ((rc = s_csv_text(out, row->bucket)))
        return rc;
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
    fputs("\r\n", out);
    return ferror(out) ? -EIO : 0;
}

int
report_csv_write(const json_t *report, FILE *out)
{
    /* The BOM tells Excel the file is UTF-8, not the local code page. */
    fputs("\xEF\xBB\xBF"
          "figure,zh,en,year,breakdown,bucket,value,numerator,denominator,"
          "target,status\r\n",
          out);
    return report_walk(report, REPORT_ALL, s_csv_row, out);
}
