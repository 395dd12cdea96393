/* vocfed serve: the dashboard at / (issue 15 item 2).
 *
 * The HTML report of `vocfed report --format html` (one renderer,
 * tools/report_html.c, through cmd_report_html_page) with what a live
 * page adds: a bar with the year selector, the language switch and the
 * downloads; the members with their roster state, link, last contact,
 * lag and alarms (at a member: its link to the coordinator) from the
 * status `vocfed status --json` prints; and a small script of ours
 * (SERVE_PAGE_JS, served at /dashboard.js) that asks /api/state every
 * few seconds and, when the generation moved, fetches the page again
 * and swaps its body in, without a reload. Without JavaScript the page
 * is whole: the figures table, the charts (inline SVG) and the year
 * selector (a form) work. Chinese first; with lang=en the English
 * beside it is shown too. Everything shown is escaped. */
#ifndef VOCFED_TOOLS_SERVE_PAGE_H
#define VOCFED_TOOLS_SERVE_PAGE_H

#include "protocol/status.h"
#include "tools/serve_data.h"

#include <stdbool.h>
#include <stdio.h>

/* What the query asked for. */
typedef struct {
    int year;           /* the report year, 0 for every year */
    bool en;            /* lang=en: English shown beside the Chinese */
    unsigned refresh_s; /* how often the script asks /api/state */
} serve_page_opts_t;

/* Writes the dashboard to out. Returns 0, a store status, VOCFED_ENOMEM,
 * or -EIO when out failed. */
int serve_page_write(serve_data_t *d, const serve_page_opts_t *o,
                     FILE *out) VOCFED_WUR;

/* The page's script (JavaScript, served as /dashboard.js). */
extern const char serve_page_js[];

#endif
