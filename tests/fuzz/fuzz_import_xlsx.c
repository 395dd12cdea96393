/* Fuzz target: reading a workbook for `vocfed import` (node/sheet*.c,
 * node/import.c; issue 13). The input is a file an operator hands over:
 * as .xlsx it is a zip of XML parts (libzip, expat), as .xls an OLE2
 * file (libfreexl). node_sheet_read must return a documented status and,
 * for a sheet read, rows in order with cells of UTF-8 text (no cut
 * character); then node_import_parse over the same bytes must keep the
 * promises the CSV target checks: documented statuses, every reason
 * NUL-terminated UTF-8, lines in order.
 *
 * Input: byte 0 bit 0 reads the sheet named "学生" instead of the first,
 * bit 1 gives a linkage key, bit 2 reads the bytes as .xls; then the
 * file.
 *
 * Under libFuzzer the .xls path is left out: it runs libfreexl in a
 * child process (node/sheet_xls.c) because libfreexl 1.0.6 overruns the
 * stack on hostile files, and a child forked from libFuzzer reports that
 * crash as the target's own (22 "crashes" in 5 s in CI). The replay
 * build (ctest) still reads .xls inputs, the known crashing one among
 * them (regressions/import_xlsx), and checks that the parent survives
 * it. */
#include "tests/fuzz/fuzz.h"

#include "node/import.h"
#include "node/linkage.h"
#include "node/sheet.h"
#include "protocol/kinds.h"

#include <string.h>

static void
s_text(const char *s, size_t cap)
{
    const char *nul = memchr(s, '\0', cap);
    FZ_CHECK(nul != NULL);
    FZ_CHECK(proto_utf8_valid(s, (size_t)(nul - s)));
}

/* The sheet's own promises. */
static void
s_sheet(node_sheet_format_t f, const uint8_t *file, size_t len,
        const char *name)
{
    node_sheet_t *sh = NULL;
    node_sheet_error_t err;
    int rc = node_sheet_read(f, file, len, name, &sh, &err);
    FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_EINVALID || rc == VOCFED_ENOMEM ||
             rc < 0);
    if (rc) {
        FZ_CHECK(sh == NULL);
        if (rc == VOCFED_EINVALID) {
            s_text(err.en, sizeof err.en);
            s_text(err.zh, sizeof err.zh);
            FZ_CHECK(err.en[0] && err.zh[0]);
        }
        return;
    }
    for (size_t i = 0; i < node_sheet_nrows(sh); i++) {
        size_t line;
        const char *const *cells;
        bool extra;
        size_t n = node_sheet_row(sh, i, &line, &cells, &extra);
        FZ_CHECK(n <= NODE_SHEET_COLUMNS_MAX);
        FZ_CHECK(line >= 1);
        for (size_t c = 0; c < n; c++)
            FZ_CHECK(cells[c] != NULL);
    }
    node_sheet_destroy(&sh);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    node_import_result_t res;
    if (size < 1)
        return 0;
    const char *name = data[0] & 1 ? "学生" : NULL;
    node_sheet_format_t f = data[0] & 4 ? NODE_SHEET_XLS : NODE_SHEET_XLSX;
    size_t len = size - 1;
#ifdef VOCFED_LIBFUZZER
    if (f == NODE_SHEET_XLS ||
        node_sheet_sniff(data + 1, len) == NODE_SHEET_XLS)
        return 0;
#endif
    uint8_t *file = malloc(len ? len : 1);
    FZ_CHECK(file != NULL);
    if (len)
        memcpy(file, data + 1, len);
    s_sheet(f, file, len, name);

    node_import_opts_t opts = {
        .kind = "student",
        .sheet = node_sheet_sniff(file, len) ? name : NULL,
        .linkage_key = data[0] & 2 ? fz_linkage_key() : NULL,
        .check = true,
    };
    int rc = node_import_parse(&opts, file, len, &res);
    FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_EINVALID || rc == VOCFED_EKEY ||
             rc == VOCFED_ENOMEM || rc < 0);
    if (rc == VOCFED_OK)
        FZ_CHECK(res.nerrors == 0);
    if (rc == VOCFED_EINVALID)
        FZ_CHECK(res.nerrors > 0);
    for (size_t i = 0; i < res.nerrors; i++) {
        const node_import_error_t *e = &res.errors[i];
        FZ_CHECK(e->line <= 1048576 + 1);
        s_text(e->column, sizeof e->column);
        s_text(e->value, sizeof e->value);
        s_text(e->reason_en, sizeof e->reason_en);
        s_text(e->reason_zh, sizeof e->reason_zh);
    }
    node_import_result_release(&res);
    free(file);
    return 0;
}
