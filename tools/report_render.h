/* vocfed: renders the group's figures for `vocfed report` (DESIGN 7, 8).
 *
 * Takes the JSON object node_figures_json() makes (group, as_of, year,
 * members, figures, subsidies, pending, subsidy_total, conflicts,
 * excluded, multi_member_people; SPEC 12.3) and
 * writes it for people or programs: an aligned table (Chinese labels
 * first, English beside them, widths counted in terminal columns), the
 * JSON itself, CSV (one row per figure x year x breakdown bucket), one
 * self-contained HTML page with inline SVG charts, or an Excel workbook.
 * Needs no store: the tests feed it fixtures.
 *
 * Renderers are lenient about the object: a missing field is shown
 * empty (a dash). Figures come in the object's order, with its labels
 * (report_model.h); one file per format, report_<format>.c. Text from the
 * object is escaped for its output (HTML, CSV) or, in the table, has its
 * control characters replaced, since member names come from records. */
#ifndef VOCFED_TOOLS_REPORT_RENDER_H
#define VOCFED_TOOLS_REPORT_RENDER_H

#include "protocol/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* The output formats of `vocfed report --format`. */
typedef enum {
    CMD_REPORT_TABLE, /* aligned text for a terminal */
    CMD_REPORT_JSON,  /* the object, one line (or indented) */
    CMD_REPORT_CSV,   /* UTF-8 with BOM, CRLF, RFC 4180 quoting */
    CMD_REPORT_HTML,  /* one self-contained page */
    CMD_REPORT_XLSX,  /* an Excel workbook (a file, not a stream) */
} cmd_report_format_t;

/* Parses a format name: "table", "json", "csv", "html" or "xlsx".
 * Returns true and sets *out, or false. */
bool cmd_report_format_parse(const char *name, cmd_report_format_t *out);

/* The name of a format ("table"...). Never NULL. */
const char *cmd_report_format_name(cmd_report_format_t fmt);

/* Writes report in fmt (not CMD_REPORT_XLSX) to out; pretty indents the
 * JSON (other formats ignore it). Does not take report. Returns 0,
 * VOCFED_EINVALID (report is not an object with a "figures" object, or
 * fmt is xlsx or unknown), VOCFED_ENOMEM, or -errno when out could not
 * be written (checked with ferror and fflush). */
int cmd_report_write(const json_t *report, cmd_report_format_t fmt, bool pretty,
                     FILE *out) VOCFED_WUR;

/* What a page that shows the report adds to it: `vocfed serve`'s
 * dashboard (tools/serve_page.c) is the HTML report with these. The
 * strings are trusted HTML of the caller's; the callbacks write their
 * own HTML, escaping what they show (cmd_report_html_text). */
typedef struct {
    const char *head;       /* put at the end of <head>, or NULL */
    const char *body_attrs; /* attributes of <body> ("class=\"x\""), or
                               NULL */
    void (*top)(void *ctx, FILE *out);   /* after the title line, before
                                            the overview; may be NULL */
    void (*nodes)(void *ctx, FILE *out); /* before "As of"; may be NULL */
    void *ctx;                           /* passed to top and nodes */
} cmd_report_page_t;

/* Writes report as the HTML page of CMD_REPORT_HTML with page's additions,
 * and with data-figure, data-year and data-value (the value as in the
 * JSON) on each group row of the overview, for programs that read the
 * page. page NULL is cmd_report_write's page, byte for byte. Returns as
 * cmd_report_write. */
int cmd_report_html_page(const json_t *report, const cmd_report_page_t *page,
                         FILE *out) VOCFED_WUR;

/* Writes s as HTML text or attribute value (& < > " ' escaped, controls
 * and bytes that are not UTF-8 replaced by U+FFFD). NULL writes nothing. */
void cmd_report_html_text(FILE *out, const char *s);

/* Writes report as an Excel workbook at path (made or replaced; on
 * failure path may be left partly written, so give a temporary name and
 * rename). Sheets: 总览 Overview, 按成员 By member, 按隶属 By
 * affiliation, 按区县 By county, 补助 Subsidies, 认定与考核 Certification
 * (when the report has its sections), 数据截至 As of. Returns
 * 0, VOCFED_EINVALID (not a report), VOCFED_ENOMEM, or -EIO when the
 * workbook could not be written. */
int cmd_report_xlsx(const json_t *report, const char *path) VOCFED_WUR;

#endif
