/* vocfed: the renderers of `vocfed report`, one file each
 * (tools/report_<format>.c), called by cmd_report_write() in
 * report_render.c. Each writes report (checked by report_is_report())
 * to out and returns 0, VOCFED_ENOMEM, or -EIO when a write failed;
 * report_render.c checks out's error state after. The workbook is
 * cmd_report_xlsx() of report_render.h, in report_xlsx.c. */
#ifndef VOCFED_TOOLS_REPORT_FORMAT_H
#define VOCFED_TOOLS_REPORT_FORMAT_H

#include "protocol/status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* An aligned table for a terminal (report_table.c). */
int report_table_write(const json_t *report, FILE *out) VOCFED_WUR;

/* The object itself, one line or indented (pretty) (report_json.c). */
int report_json_write(const json_t *report, bool pretty, FILE *out) VOCFED_WUR;

/* CSV: one row per figure x year x breakdown bucket (report_csv.c). */
int report_csv_write(const json_t *report, FILE *out) VOCFED_WUR;

/* One self-contained HTML page with inline SVG charts (report_html.c). */
int report_html_write(const json_t *report, FILE *out) VOCFED_WUR;

#endif
