/* vocfed: reading an import's file: bytes to UTF-8, CSV rows, the
 * errors found (see import_i.h; SPEC 11.4 steps 1-2). */
#include "node/import_i.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define S_PROGRESS_EVERY 1024 /* rows between progress calls */

/* ---- errors ------------------------------------------------------------ */

/* Copies src into dst (cap bytes), cut at a UTF-8 character boundary. */
void
node_import_i_copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    /* A cut (here or by whoever filled src) may have split a character:
     * drop its lead bytes. */
    for (int i = 0; i < 4 && n > 0 && !proto_utf8_valid(dst, n); i++)
        n--;
    dst[n] = '\0';
}

/* Records one bad row. */
void
node_import_i_error(node_import_i_t *im, size_t line, const char *column,
                    const char *value, const char *zh, const char *fmt, ...)
{
    node_import_result_t *res = im->res;
    if (res->nerrors == im->errcap) {
        size_t cap = im->errcap ? 2 * im->errcap : 16;
        node_import_error_t *e = realloc(res->errors, cap * sizeof *e);
        if (!e) {
            im->status = VOCFED_ENOMEM;
            return;
        }
        res->errors = e;
        im->errcap = cap;
    }
    node_import_error_t *e = &res->errors[res->nerrors++];
    char en[sizeof e->reason_en];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(en, sizeof en, fmt, ap);
    va_end(ap);
    e->line = line;
    node_import_i_copy_utf8(e->column, sizeof e->column, column);
    node_import_i_copy_utf8(e->value, sizeof e->value, value);
    node_import_i_copy_utf8(e->reason_en, sizeof e->reason_en, en);
    node_import_i_copy_utf8(e->reason_zh, sizeof e->reason_zh, zh);
}

/* The 1-based line that byte off of text is on. */
static size_t
s_line_of(const uint8_t *text, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return line;
}

/* ---- bytes to UTF-8 ----------------------------------------------------- */

static const uint8_t s_bom[3] = {0xef, 0xbb, 0xbf};

static bool
s_has_bom(const uint8_t *p, size_t len)
{
    return len >= 3 && memcmp(p, s_bom, 3) == 0;
}

/* The first line of [p, p+len) that is not valid UTF-8 (0 if none). */
static size_t
s_bad_utf8_line(const uint8_t *p, size_t len)
{
    size_t line = 1, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != '\n')
            continue;
        if (!proto_utf8_valid((const char *)p + start, i - start))
            return line;
        line++;
        start = i + 1;
    }
    return 0;
}

/* GB18030 to UTF-8: *out gets a malloc'd buffer (the caller frees it)
 * of *olen bytes. Returns 0, or VOCFED_EINVALID with *bad set to the
 * offset of the first byte that does not convert. */
static int
s_from_gb18030(const uint8_t *p, size_t len, uint8_t **out, size_t *olen,
               size_t *bad)
{
    /* Each GB18030 character of n bytes is at most n + 1 UTF-8 bytes
     * (2 -> 3 for most of CJK). */
    size_t cap = len + len / 2 + 16;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return VOCFED_ENOMEM;
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) {
        int rc = -errno;
        free(buf);
        return rc;
    }
    int rc = VOCFED_OK;
    char *in = (char *)p, *o = (char *)buf;
    size_t inleft = len, oleft = cap;
    if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1) {
        rc = errno == E2BIG ? VOCFED_ETOOLARGE : VOCFED_EINVALID;
        *bad = (size_t)((const uint8_t *)in - p);
    }
    iconv_close(cd);
    *out = buf;
    *olen = cap - oleft;
    return rc;
}

/* Decodes the file's bytes into UTF-8 text in buf (or points *text at
 * data when it is UTF-8 already). Returns 0 or EINVALID after recording
 * why. */
int
node_import_i_decode(node_import_i_t *im, const uint8_t *data, size_t len,
                     uint8_t **buf, const uint8_t **text, size_t *tlen)
{
    node_import_result_t *res = im->res;
    node_encoding_t enc = im->opts->encoding;
    bool bom = s_has_bom(data, len);
    bool valid = node_import_i_utf8_valid(im, data, len);
    if (enc == NODE_ENC_AUTO)
        enc = bom || valid ? NODE_ENC_UTF8 : NODE_ENC_GB18030;
    res->encoding = enc;
    if (enc == NODE_ENC_UTF8) {
        if (bom) {
            data += 3;
            len -= 3;
            res->bom = true;
        }
        size_t bad = valid ? 0 : s_bad_utf8_line(data, len);
        if (bad) {
            node_import_i_error(
                im, bad, "", "",
                "不是有效的 UTF-8 文本（可用 --encoding gb18030）",
                "not valid UTF-8 text (try --encoding gb18030)");
            return VOCFED_EINVALID;
        }
        *text = data;
        *tlen = len;
    } else {
        size_t bad = 0, blen = 0;
        int rc = s_from_gb18030(data, len, buf, &blen, &bad);
        if (rc == VOCFED_EINVALID) {
            char hex[16];
            snprintf(hex, sizeof hex, "0x%02x", bad < len ? data[bad] : 0);
            node_import_i_error(im, s_line_of(data, bad), "", hex,
                                "不是有效的 GB18030 或 UTF-8 文本",
                                "not valid GB18030 or UTF-8 text");
            return rc;
        }
        if (rc)
            return rc;
        *text = *buf;
        *tlen = blen;
        /* GB18030's byte order mark converts to UTF-8's. */
        if (s_has_bom(*text, *tlen)) {
            *text += 3;
            *tlen -= 3;
            res->bom = true;
        }
    }
    const uint8_t *nul = memchr(*text, 0, *tlen);
    if (nul) {
        node_import_i_error(im, s_line_of(*text, (size_t)(nul - *text)), "", "",
                            "含有 NUL 字节", "contains a NUL byte");
        return VOCFED_EINVALID;
    }
    return VOCFED_OK;
}

/* ---- CSV ------------------------------------------------------------------
 */

void
node_import_i_progress(node_import_i_t *im, node_import_phase_t phase,
                       uint64_t done, uint64_t total)
{
    /* the write pass of a lean import reads the file again, silently */
    if (im->emit && phase == NODE_IMPORT_VALIDATING)
        return;
    if (im->opts->progress)
        im->opts->progress(im->opts->progress_ctx, phase, done, total);
}

static void
s_on_field(void *s, size_t len, void *data)
{
    node_import_i_t *im = data;
    if (im->ncells >= NODE_IMPORT_COLUMNS_MAX) {
        im->too_many = true;
        im->extra_text |= len > 0;
        im->ncells++;
        return;
    }
    im->cell_off[im->ncells++] = im->cells.len;
    static const char nul = '\0';
    if ((len && proto_buf_append(&im->cells, s, len)) ||
        proto_buf_append(&im->cells, &nul, 1))
        im->status = VOCFED_ENOMEM;
}

/* libcsv: the end of a row. */
static void
s_on_row(int c, void *data)
{
    node_import_i_t *im = data;
    (void)c;
    if (im->status == VOCFED_OK) {
        if (!im->ncols && !im->header_bad)
            node_import_i_header(im);
        else if (!im->header_bad)
            node_import_i_row(im);
    }
    proto_buf_reset(&im->cells);
    im->ncells = 0;
    im->too_many = false;
    im->extra_text = false;
    im->in_row = false;
}

/* Feeds the rows of a workbook's sheet, as libcsv would the rows of a
 * file: each numbered as the sheet numbers it. */
static int
s_parse_sheet(node_import_i_t *im)
{
    size_t n = node_sheet_nrows(im->sheet);
    for (size_t i = 0; i < n && im->status == VOCFED_OK; i++) {
        size_t line;
        const char *const *cells;
        bool extra, valid = true;
        size_t nc = node_sheet_row(im->sheet, i, &line, &cells, &extra);
        im->line = im->row_line = line;
        for (size_t c = 0; c < nc; c++) {
            size_t len = strlen(cells[c]);
            valid &= proto_utf8_valid(cells[c], len);
            s_on_field((void *)(uintptr_t)cells[c], len, im);
        }
        /* A workbook keeps no cell for an empty one: a row whose last
         * columns are empty ends early, and is not short for that. */
        for (size_t c = nc; im->ncols && c < im->nnamed; c++)
            s_on_field((void *)(uintptr_t) "", 0, im);
        im->too_many |= extra;
        im->extra_text |= extra;
        if (!valid) {
            node_import_i_error(im, line, "", "", "含有无效的 UTF-8 文本",
                                "holds text that is not valid UTF-8");
            im->header_bad |= !im->ncols;
            proto_buf_reset(&im->cells);
            im->ncells = 0;
            im->too_many = im->extra_text = false;
            continue;
        }
        s_on_row(0, im);
        if (im->opts->progress && i % S_PROGRESS_EVERY == 0)
            node_import_i_progress(im, NODE_IMPORT_VALIDATING, i, n);
    }
    node_import_i_pend_flush(im);
    node_import_i_progress(im, NODE_IMPORT_VALIDATING, n, n);
    return VOCFED_OK;
}

/* Reads a plain line as libcsv reads it between two rows, without it:
 * one of n bytes that ends in '\n' and holds no quote, and no carriage
 * return but just before that '\n'. A line of nothing but spaces and
 * tabs is no row; any other is a row whose cells are split at each comma,
 * the spaces and tabs around each cell dropped (libcsv's default, without
 * CSV_APPEND_NULL or CSV_EMPTY_IS_NULL). Returns false, having read
 * nothing, for any other line: libcsv reads it. libcsv, one byte and one
 * callback state at a time, was 12% of a 1M-row check. Tests compare the
 * two (test_plain_lines). */
static bool
s_plain_line(node_import_i_t *im, const uint8_t *s, size_t n)
{
    if (im->opts->test_no_plain || n == 0 || s[n - 1] != '\n')
        return false;
    size_t end = n - 1;
    if (end && s[end - 1] == '\r')
        end--;
    if (memchr(s, '"', end) || memchr(s, '\r', end))
        return false;
    size_t a = 0;
    while (a < end && (s[a] == ' ' || s[a] == '\t'))
        a++;
    if (a == end)
        return true; /* blank: no row */
    for (;;) {
        const uint8_t *comma = memchr(s + a, ',', end - a);
        size_t b = comma ? (size_t)(comma - s) : end, x = a, y = b;
        while (x < y && (s[x] == ' ' || s[x] == '\t'))
            x++;
        while (y > x && (s[y - 1] == ' ' || s[y - 1] == '\t'))
            y--;
        s_on_field((void *)(uintptr_t)(s + x), y - x, im);
        if (!comma)
            break;
        a = b + 1;
    }
    s_on_row('\n', im);
    return true;
}

/* Feeds the text to libcsv a line at a time, so that each row knows the
 * line it began on; a plain line between two rows is read without it
 * (s_plain_line). */
/* The lines of text (one more than its '\n's but for a last one that
 * ends the text): at least its rows. */
static size_t
s_lines(const uint8_t *text, size_t len)
{
    size_t n = 0, off = 0;
    const uint8_t *nl;
    while (off < len && (nl = memchr(text + off, '\n', len - off))) {
        n++;
        off = (size_t)(nl - text) + 1;
    }
    return n + (off < len);
}

int
node_import_i_parse(node_import_i_t *im, const uint8_t *text, size_t len)
{
    struct csv_parser p;
    if (im->sheet)
        return s_parse_sheet(im);
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return VOCFED_ENOMEM;
    size_t off = 0;
    im->line = im->line_base;
    if (!im->emit && !im->nrows) /* rows to make room for (import_i.h) */
        im->rows_hint = s_lines(text, len);
    uint64_t plen = im->progress_len ? im->progress_len : len;
    int rc = VOCFED_OK;
    while (off < len && im->status == VOCFED_OK) {
        const uint8_t *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) + 1 : len - off;
        im->line++;
        bool between = !im->in_row; /* libcsv has no row begun */
        if (!im->in_row) {
            /* A line of nothing but white space is not a row. */
            for (size_t i = 0; i < n; i++) {
                uint8_t ch = text[off + i];
                if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                    im->in_row = true;
                    im->row_line = im->line;
                    break;
                }
            }
        }
        if (between && s_plain_line(im, text + off, n)) {
            /* read as libcsv would have */
        } else if (csv_parse(&p, text + off, n, s_on_field, s_on_row, im) !=
                   n) {
            if (csv_error(&p) == CSV_ENOMEM || csv_error(&p) == CSV_ETOOBIG) {
                rc = VOCFED_ENOMEM;
            } else {
                node_import_i_error(
                    im, im->line, "", "", "CSV 格式错误（引号不配对）",
                    "not CSV: a quote that is not closed or is in the "
                    "middle of a cell");
                rc = VOCFED_EINVALID;
            }
            goto done;
        }
        off += n;
        if (im->opts->progress && im->line % S_PROGRESS_EVERY == 0)
            node_import_i_progress(
                im, NODE_IMPORT_VALIDATING,
                (uint64_t)((unsigned __int128)off * plen / len), plen);
    }
    if (im->status == VOCFED_OK &&
        csv_fini(&p, s_on_field, s_on_row, im) != 0) {
        node_import_i_error(
            im, im->line, "", "", "CSV 格式错误（引号未闭合）",
            "not CSV: a quote that is not closed at the end of the file");
        rc = VOCFED_EINVALID;
    }
    node_import_i_progress(im, NODE_IMPORT_VALIDATING, plen, plen);
done:
    node_import_i_pend_flush(im); /* the rows still waiting */
    csv_free(&p);
    return rc;
}
