/* Fuzz target: a CSV file given to `vocfed import` (SPEC 11.4): its
 * bytes (UTF-8 or GB18030, byte order marks, NULs), libcsv's reading,
 * the header and every row against the kinds table, keys and ID numbers
 * (node_import_parse: all of node_import but the store).
 *
 * Input: one options byte, then the file.
 *   bits 0-3  the kind: its index in proto_kinds, modulo their number
 *   bits 4-5  the encoding: 0 and 3 auto, 1 UTF-8, 2 GB18030
 *   bit 6     a linkage key is given (else an id_number column is
 *             VOCFED_EKEY)
 *   bit 7     check (as --check; the same reading)
 * Every refusal must name a line of the file, come in line order and be
 * UTF-8 throughout (the report is printed and put in JSON); nothing is
 * counted as written. The same file checked on two threads (a cut near
 * its middle, node/import_split.c) gives the same report. */
#include "tests/fuzz/fuzz.h"

#include "node/import.h"
#include "node/linkage.h"
#include "node/sheet.h"
#include "protocol/kinds.h"

#include <string.h>

/* A string field of a report: NUL-terminated within its array, UTF-8. */
static void
s_text(const char *s, size_t cap)
{
    const char *nul = memchr(s, '\0', cap);
    FZ_CHECK(nul != NULL);
    FZ_CHECK(proto_utf8_valid(s, (size_t)(nul - s)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t nkinds;
    const proto_kind_def_t *kinds = proto_kinds(&nkinds);
    node_import_result_t res;
    if (size < 1)
        return 0;
    static const node_encoding_t enc[] = {NODE_ENC_AUTO, NODE_ENC_UTF8,
                                          NODE_ENC_GB18030, NODE_ENC_AUTO};
    node_import_opts_t opts = {
        .kind = kinds[(data[0] & 0x0f) % nkinds].name,
        .encoding = enc[(data[0] >> 4) & 3],
        .linkage_key = data[0] & 0x40 ? fz_linkage_key() : NULL,
        .check = (data[0] & 0x80) != 0,
    };
    /* Exactly the file's bytes, in a buffer of their own size. */
    size_t len = size - 1;
    uint8_t *file = malloc(len ? len : 1);
    FZ_CHECK(file != NULL);
    if (len)
        memcpy(file, data + 1, len);

    int rc = node_import_parse(&opts, file, len, &res);
    FZ_CHECK(
        rc == VOCFED_OK || rc == VOCFED_EINVALID || rc == VOCFED_EKEY ||
        (res.format != NODE_SHEET_TEXT && (rc == VOCFED_ENOMEM || rc < 0)));
    if (rc == VOCFED_OK)
        FZ_CHECK(res.nerrors == 0);
    if (rc == VOCFED_EINVALID)
        FZ_CHECK(res.nerrors > 0);
    if (rc == VOCFED_EKEY)
        FZ_CHECK(!opts.linkage_key);
    /* Nothing is compared or written without a store. */
    FZ_CHECK(res.added == 0 && res.changed == 0 && res.unchanged == 0 &&
             res.deleted == 0 && res.first_seq == 0 && res.last_seq == 0);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += file[i] == '\n';
    for (size_t i = 0; i < res.nerrors; i++) {
        const node_import_error_t *e = &res.errors[i];
        /* a workbook's lines are its row numbers; line 0 is the whole
         * file's refusal (not a workbook it can read, --sheet for CSV) */
        if (res.format != NODE_SHEET_TEXT)
            FZ_CHECK(e->line <= 1048576 + 1);
        else
            FZ_CHECK((e->line >= 1 && e->line <= lines) ||
                     (e->line == 0 && !e->column[0]));
        s_text(e->column, sizeof e->column);
        s_text(e->value, sizeof e->value);
        s_text(e->reason_en, sizeof e->reason_en);
        s_text(e->reason_zh, sizeof e->reason_zh);
        if (i > 0 && res.format == NODE_SHEET_TEXT)
            FZ_CHECK(e->line >= res.errors[i - 1].line);
    }
    /* Split in two (inputs here are under the size that splits). */
    node_import_result_t two;
    opts.split_min = 1;
    FZ_CHECK(node_import_parse(&opts, file, len, &two) == rc);
    FZ_CHECK(two.rows == res.rows && two.nerrors == res.nerrors &&
             two.header_bad == res.header_bad &&
             two.dropped_name == res.dropped_name);
    for (size_t i = 0; i < res.nerrors; i++) {
        const node_import_error_t *x = &res.errors[i], *y = &two.errors[i];
        FZ_CHECK(x->line == y->line && !strcmp(x->column, y->column) &&
                 !strcmp(x->value, y->value) &&
                 !strcmp(x->reason_en, y->reason_en) &&
                 !strcmp(x->reason_zh, y->reason_zh));
    }
    node_import_result_release(&two);
    node_import_result_release(&res);
    free(file);
    return 0;
}
