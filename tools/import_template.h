/* vocfed: the empty sheet `vocfed import --template KIND` writes (issue 13
 * item 3), made from the kinds table (protocol/kinds.h) so that what it
 * asks for is what `vocfed import` reads back.
 *
 * Its columns: for a person's kind (student, staff, graduate) the ID
 * number (身份证号) and the name (姓名, dropped on import); for other kinds
 * the kind's key column (its first Chinese name), or 键 for a kind whose
 * key has no column of its own, none for member (one record, 'profile');
 * then every field, headed by its Chinese display name. */
#ifndef VOCFED_TOOLS_IMPORT_TEMPLATE_H
#define VOCFED_TOOLS_IMPORT_TEMPLATE_H

#include "protocol/kinds.h"
#include "protocol/status.h"

#include <stdio.h>

/* Writes the CSV template of kind k to out: a UTF-8 byte order mark (so
 * that Excel on a Chinese system opens it as UTF-8, not as GB18030) and
 * the header row of Chinese column names, CRLF-ended. Returns 0 or -EIO
 * when a write failed. */
int cmd_template_csv(const proto_kind_def_t *k, FILE *out) VOCFED_WUR;

/* Writes the workbook template of kind k at path (made or replaced;
 * the caller picks a path nobody else uses). The first sheet, named
 * after the kind (学生 ...), has the header row, frozen, required
 * columns' headers filled yellow; a drop-down list of the Chinese
 * values under every enumeration and yes/no field; whole-number limits
 * under number and year fields; text format for the ID number, key,
 * region, list and text columns (so 18 digits stay 18 digits). The
 * second sheet, 填表说明, explains each column in Chinese and English:
 * meaning, required, type, range or allowed values, other header names
 * import also takes. Returns 0, VOCFED_ENOMEM, or -EIO when libxlsxwriter
 * could not build or write it. */
int cmd_template_xlsx(const proto_kind_def_t *k, const char *path) VOCFED_WUR;

#endif
