/* vocfed: one worksheet of an Excel workbook, read whole into memory for
 * an import (issue 13; SPEC 11.4).
 *
 * `vocfed import KIND FILE.xlsx|FILE.xls` reads the first worksheet (or
 * the one named) into rows of text cells and gives them to the same
 * header and row checks as a CSV file. An .xlsx is read with libzip and
 * expat: shared strings, inline strings, numbers, booleans, formula
 * results; a number whose cell format is a date becomes "YYYY-MM-DD"
 * (the 1900 and 1904 date systems). Other numbers are written as a
 * spreadsheet shows them in General format: whole numbers below 10^15 in
 * full, others with at most 15 significant digits (so an ID number Excel
 * stored as a number reads "3.40882200803137E+17", which the import
 * refuses with its fix). An .xls is read with libfreexl. Every byte is
 * untrusted: parts are capped (NODE_SHEET_PART_MAX uncompressed), cells
 * past column NODE_SHEET_COLUMNS_MAX are not kept (a row says whether one
 * had text), and a workbook that does not read is refused with why. */
#ifndef VOCFED_NODE_SHEET_H
#define VOCFED_NODE_SHEET_H

#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_SHEET_COLUMNS_MAX 256 /* cells of a row kept */
/* Uncompressed bytes of one part of an .xlsx (a zip bomb stops here). */
#define NODE_SHEET_PART_MAX ((uint64_t)1 << 30)

/* What a file is, from its first bytes. */
typedef enum {
    NODE_SHEET_TEXT = 0, /* not a workbook: CSV text */
    NODE_SHEET_XLSX,     /* a zip (Office Open XML, or not: see the read) */
    NODE_SHEET_XLS,      /* an OLE2 compound file (Excel 97-2003) */
} node_sheet_format_t;

/* Why a workbook was refused, in both languages. */
typedef struct {
    char en[256]; /* English */
    char zh[256]; /* Chinese, saying the same */
} node_sheet_error_t;

typedef struct node_sheet_s node_sheet_t;

/* The format of a file starting with data (len bytes). */
node_sheet_format_t node_sheet_sniff(const uint8_t *data, size_t len);

/* "xlsx", "xls" or "csv". */
const char *node_sheet_format_name(node_sheet_format_t f);

/* Reads the worksheet named name (NULL: the first) of the workbook data
 * (len bytes, of format f) into *out (the caller's: node_sheet_destroy).
 * Returns 0; VOCFED_EINVALID with err filled (not a workbook, not one of
 * this format, no such sheet: the names are listed, a part too large or
 * that does not parse); VOCFED_ENOMEM; or -errno. */
int node_sheet_read(node_sheet_format_t f, const uint8_t *data, size_t len,
                    const char *name, node_sheet_t **out,
                    node_sheet_error_t *err) VOCFED_WUR;

/* Frees a sheet; NULLs *s. Accepts NULL. */
void node_sheet_destroy(node_sheet_t **s);

/* The rows that have a cell, in order. */
size_t node_sheet_nrows(const node_sheet_t *s);

/* Row i (< node_sheet_nrows): its number in the sheet (1-based, what
 * the spreadsheet shows), and its cells from column A to the last one
 * kept, each NUL-terminated UTF-8 ("" for an empty one); the pointers
 * are valid until the sheet is destroyed. *extra tells whether a cell
 * past NODE_SHEET_COLUMNS_MAX had text. Returns how many cells. */
size_t node_sheet_row(const node_sheet_t *s, size_t i, size_t *line,
                      const char *const **cells, bool *extra);

/* ---- for the readers (node/sheet_*.c) ---------------------------------- */

/* A new empty sheet, or NULL. */
node_sheet_t *node_sheet_i_new(void);

/* Sets cell (column col, 0-based) of the row numbered line (rows come in
 * order; a new line starts a new row). Text is copied. Returns 0 or
 * VOCFED_ENOMEM. */
int node_sheet_i_set(node_sheet_t *s, size_t line, size_t col, const char *text,
                     size_t len) VOCFED_WUR;

/* Fills err with en and zh, each cut to fit at a character boundary (a
 * text that is not UTF-8 becomes a plain "the workbook does not read"). */
void node_sheet_i_err(node_sheet_error_t *err, const char *en, const char *zh);

/* Writes a number as a spreadsheet shows it in General format into out
 * (cap >= 32). */
void node_sheet_i_number(double v, char *out, size_t cap);

/* Writes serial day v of a workbook's date system (1904 or not) as
 * YYYY-MM-DD into out (cap >= 16); false if it is not a date (negative,
 * or past 9999). */
bool node_sheet_i_date(double v, bool date1904, char *out, size_t cap);

/* The readers. */
int node_sheet_i_xlsx(const uint8_t *data, size_t len, const char *name,
                      node_sheet_t *s, node_sheet_error_t *err) VOCFED_WUR;
int node_sheet_i_xls(const uint8_t *data, size_t len, const char *name,
                     node_sheet_t *s, node_sheet_error_t *err) VOCFED_WUR;

#endif
