/* vocfed: reading an .xlsx worksheet with libzip and expat (see sheet.h;
 * ECMA-376 Part 1: SpreadsheetML). */
#include "node/sheet.h"
#include "protocol/buf.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#define S_CELL_MAX (128 * 1024)   /* bytes of one cell's text kept */
#define S_STRINGS_MAX (16u << 20) /* shared strings */
#define S_STYLES_MAX 65536        /* cell formats */
#define S_SHEETS_MAX 256          /* sheets listed */

/* What the parts tell, gathered as they are read. */
typedef struct {
    zip_t *zip;              /* the workbook */
    node_sheet_t *sheet;     /* where the cells go */
    node_sheet_error_t *err; /* why not */
    int rc;                  /* first failure in a callback */
    XML_Parser parser;       /* the part being read */
    /* workbook.xml and its rels */
    char names[S_SHEETS_MAX][128]; /* sheet names, in order */
    char rids[S_SHEETS_MAX][64];   /* their relationship ids */
    size_t nsheets;                /* how many */
    bool date1904;                 /* the 1904 date system */
    char target[512];              /* the chosen sheet's part, once resolved */
    char want_rid[64];             /* the rel id of the chosen sheet */
    char shared[512];              /* the shared strings part */
    char styles[512];              /* the styles part */
    /* styles.xml */
    int custom_ids[512]; /* custom numFmt ids that are dates */
    size_t ncustom;      /* how many */
    bool in_cellxfs;     /* inside <cellXfs> */
    uint8_t *style_date; /* per cell format: a date */
    size_t nstyles, stylecap;
    /* sharedStrings.xml */
    proto_buf_t strings; /* each NUL-terminated */
    size_t *str_off;     /* where each starts */
    size_t nstr, strcap; /* used, allocated */
    /* capturing text */
    proto_buf_t cap; /* the text being gathered */
    int capturing;   /* depth of <t>/<v> being captured */
    bool in_rph;     /* inside <rPh> (phonetic text: skipped) */
    /* the sheet */
    size_t line, col; /* the current row and cell */
    char ctype[16];   /* its t= */
    size_t cstyle;    /* its s= */
    bool in_is;       /* inside <is> */
} s_st_t;

static void
s_fail(s_st_t *st, int rc, const char *en, const char *zh)
{
    if (st->rc)
        return;
    st->rc = rc;
    node_sheet_i_err(st->err, en, zh);
    if (st->parser)
        XML_StopParser(st->parser, XML_FALSE);
}

/* The local part of an element or attribute name (after "x:"). */
static const char *
s_local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

/* A non-negative decimal attribute up to max; -1 if it is not one. */
static long
s_num(const char *v, long max)
{
    char *end;
    if (*v < '0' || *v > '9')
        return -1;
    unsigned long long n = strtoull(v, &end, 10);
    return *end || n > (unsigned long long)max ? -1 : (long)n;
}

static const char *
s_attr(const char **atts, const char *local)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (!strcmp(s_local(atts[i]), local))
            return atts[i + 1];
    return NULL;
}

/* ---- reading a part ------------------------------------------------------ */

static void XMLCALL
s_chars(void *ud, const XML_Char *s, int len)
{
    s_st_t *st = ud;
    if (!st->capturing || st->in_rph || len <= 0)
        return;
    size_t n = (size_t)len;
    if (st->cap.len + n > S_CELL_MAX) {
        /* cut, but never inside a character */
        n = st->cap.len < S_CELL_MAX ? S_CELL_MAX - st->cap.len : 0;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    if (n && proto_buf_append(&st->cap, s, n))
        s_fail(st, VOCFED_ENOMEM, "out of memory", "内存不足");
}

/* Feeds the part path of the workbook to a parser with these handlers.
 * Returns 0, VOCFED_ENOTFOUND (no such part), or VOCFED_EINVALID /
 * VOCFED_ENOMEM with st->err filled. */
static int
s_part(s_st_t *st, const char *path, XML_StartElementHandler start,
       XML_EndElementHandler end)
{
    zip_file_t *zf = zip_fopen(st->zip, path, 0);
    char buf[65536];
    uint64_t total = 0;
    zip_int64_t n;
    if (!zf)
        return VOCFED_ENOTFOUND;
    st->parser = XML_ParserCreate("UTF-8");
    if (!st->parser) {
        zip_fclose(zf);
        return VOCFED_ENOMEM;
    }
    XML_SetUserData(st->parser, st);
    XML_SetElementHandler(st->parser, start, end);
    XML_SetCharacterDataHandler(st->parser, s_chars);
    while (!st->rc && (n = zip_fread(zf, buf, sizeof buf)) >= 0) {
        total += (uint64_t)n;
        if (total > NODE_SHEET_PART_MAX) {
            s_fail(st, VOCFED_EINVALID,
                   "a part of the workbook is larger than 1 GiB unpacked",
                   "工作簿中有部分解压后超过 1 GiB");
            break;
        }
        if (XML_Parse(st->parser, buf, (int)n, n == 0) == XML_STATUS_ERROR) {
            char en[200];
            snprintf(en, sizeof en, "%s does not parse as XML: %s", path,
                     XML_ErrorString(XML_GetErrorCode(st->parser)));
            s_fail(st, VOCFED_EINVALID, en,
                   "工作簿中的 XML 无法解析，文件可能已损坏");
            break;
        }
        if (n == 0)
            break;
    }
    if (n < 0)
        s_fail(st, VOCFED_EINVALID, "the workbook's zip does not unpack",
               "工作簿（zip）无法解压，文件可能已损坏");
    XML_ParserFree(st->parser);
    st->parser = NULL;
    zip_fclose(zf);
    return st->rc;
}

/* ---- workbook.xml and its relationships --------------------------------- */

static void XMLCALL
s_wb_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    s_st_t *st = ud;
    const char *name = s_local(el), *v;
    if (!strcmp(name, "workbookPr") && (v = s_attr(atts, "date1904")))
        st->date1904 = !strcmp(v, "1") || !strcasecmp(v, "true");
    if (strcmp(name, "sheet") != 0 || st->nsheets == S_SHEETS_MAX)
        return;
    const char *n = s_attr(atts, "name"), *rid = s_attr(atts, "id");
    snprintf(st->names[st->nsheets], sizeof st->names[0], "%s", n ? n : "");
    snprintf(st->rids[st->nsheets], sizeof st->rids[0], "%s", rid ? rid : "");
    st->nsheets++;
}

static void XMLCALL
s_none_end(void *ud, const XML_Char *el)
{
    (void)ud;
    (void)el;
}

/* A relationship's target as a path in the zip (relative to xl/). */
static void
s_target(const char *t, char *out, size_t cap)
{
    if (t[0] == '/')
        snprintf(out, cap, "%s", t + 1);
    else
        snprintf(out, cap, "xl/%s", t);
}

static bool
s_ends(const char *s, const char *end)
{
    size_t a = strlen(s), b = strlen(end);
    return a >= b && !strcmp(s + a - b, end);
}

static void XMLCALL
s_rels_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    s_st_t *st = ud;
    if (strcmp(s_local(el), "Relationship") != 0)
        return;
    const char *id = s_attr(atts, "Id"), *type = s_attr(atts, "Type");
    const char *t = s_attr(atts, "Target");
    if (!id || !type || !t)
        return;
    if (!strcmp(id, st->want_rid))
        s_target(t, st->target, sizeof st->target);
    else if (s_ends(type, "/sharedStrings"))
        s_target(t, st->shared, sizeof st->shared);
    else if (s_ends(type, "/styles"))
        s_target(t, st->styles, sizeof st->styles);
}

/* ---- styles.xml: which cell formats are dates -----------------------------
 */

/* Whether a number format code shows a date: y, d, 年 or 日 outside
 * quotes, brackets and escapes. */
static bool
s_date_code(const char *code)
{
    for (const char *p = code; *p; p++) {
        if (*p == '"') {
            const char *q = strchr(p + 1, '"');
            if (!q)
                return false;
            p = q;
        } else if (*p == '[') {
            const char *q = strchr(p + 1, ']');
            if (!q)
                return false;
            p = q;
        } else if (*p == '\\' && p[1]) {
            p++;
        } else if (*p == 'y' || *p == 'Y' || *p == 'd' || *p == 'D' ||
                   !strncmp(p, "年", strlen("年")) ||
                   !strncmp(p, "日", strlen("日"))) {
            return true;
        }
    }
    return false;
}

/* Whether built-in number format id is a date (ECMA-376 18.8.30, and
 * the East Asian ones). */
static bool
s_date_id(long id)
{
    return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) ||
           (id >= 50 && id <= 58);
}

static void XMLCALL
s_styles_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    s_st_t *st = ud;
    const char *name = s_local(el), *v;
    if (!strcmp(name, "numFmt")) {
        const char *id = s_attr(atts, "numFmtId"),
                   *code = s_attr(atts, "formatCode");
        if (id && code && s_date_code(code) &&
            st->ncustom < sizeof st->custom_ids / sizeof *st->custom_ids)
            st->custom_ids[st->ncustom++] = (int)s_num(id, 100000);
    } else if (!strcmp(name, "cellXfs")) {
        st->in_cellxfs = true;
    } else if (!strcmp(name, "xf") && st->in_cellxfs) {
        long id = (v = s_attr(atts, "numFmtId")) ? s_num(v, 100000) : 0;
        bool date = s_date_id(id);
        for (size_t i = 0; i < st->ncustom; i++)
            date |= st->custom_ids[i] == id;
        if (st->nstyles == S_STYLES_MAX)
            return;
        if (st->nstyles == st->stylecap) {
            size_t cap = st->stylecap ? 2 * st->stylecap : 64;
            uint8_t *d = realloc(st->style_date, cap);
            if (!d) {
                s_fail(st, VOCFED_ENOMEM, "out of memory", "内存不足");
                return;
            }
            st->style_date = d;
            st->stylecap = cap;
        }
        st->style_date[st->nstyles++] = date;
    }
}

static void XMLCALL
s_styles_end(void *ud, const XML_Char *el)
{
    s_st_t *st = ud;
    if (!strcmp(s_local(el), "cellXfs"))
        st->in_cellxfs = false;
}

/* ---- sharedStrings.xml ----------------------------------------------------
 */

static void XMLCALL
s_sst_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    s_st_t *st = ud;
    const char *name = s_local(el);
    (void)atts;
    if (!strcmp(name, "si"))
        proto_buf_reset(&st->cap);
    else if (!strcmp(name, "t"))
        st->capturing++;
    else if (!strcmp(name, "rPh"))
        st->in_rph = true;
}

static void XMLCALL
s_sst_end(void *ud, const XML_Char *el)
{
    s_st_t *st = ud;
    const char *name = s_local(el);
    static const char nul = 0;
    if (!strcmp(name, "t") && st->capturing) {
        st->capturing--;
    } else if (!strcmp(name, "rPh")) {
        st->in_rph = false;
    } else if (!strcmp(name, "si")) {
        if (st->nstr == S_STRINGS_MAX) {
            s_fail(st, VOCFED_EINVALID, "the workbook has too many strings",
                   "工作簿中的字符串过多");
            return;
        }
        if (st->nstr == st->strcap) {
            size_t cap = st->strcap ? 2 * st->strcap : 1024;
            size_t *o = realloc(st->str_off, cap * sizeof *o);
            if (!o) {
                s_fail(st, VOCFED_ENOMEM, "out of memory", "内存不足");
                return;
            }
            st->str_off = o;
            st->strcap = cap;
        }
        st->str_off[st->nstr++] = st->strings.len;
        if ((st->cap.len &&
             proto_buf_append(&st->strings, st->cap.data, st->cap.len)) ||
            proto_buf_append(&st->strings, &nul, 1))
            s_fail(st, VOCFED_ENOMEM, "out of memory", "内存不足");
    }
}

/* ---- the worksheet ---------------------------------------------------------
 */

/* The 0-based column of a cell reference ("C5" -> 2); -1 if none. */
static long
s_col_of(const char *ref)
{
    long col = 0;
    size_t n = 0;
    for (; ref[n] >= 'A' && ref[n] <= 'Z' && n < 3; n++)
        col = col * 26 + (ref[n] - 'A' + 1);
    return n ? col - 1 : -1;
}

static void XMLCALL
s_ws_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    s_st_t *st = ud;
    const char *name = s_local(el), *v;
    if (!strcmp(name, "row")) {
        long r = (v = s_attr(atts, "r")) ? s_num(v, 1048576) : -1;
        st->line = r > 0 ? (size_t)r : st->line + 1;
        st->col = (size_t)-1;
    } else if (!strcmp(name, "c")) {
        long c = (v = s_attr(atts, "r")) ? s_col_of(v) : -1;
        st->col = c >= 0 ? (size_t)c : st->col + 1;
        v = s_attr(atts, "t");
        snprintf(st->ctype, sizeof st->ctype, "%s", v ? v : "n");
        long s = (v = s_attr(atts, "s")) ? s_num(v, S_STYLES_MAX) : 0;
        st->cstyle = s > 0 ? (size_t)s : 0;
        proto_buf_reset(&st->cap);
    } else if (!strcmp(name, "v") || (!strcmp(name, "t") && st->in_is)) {
        st->capturing++;
    } else if (!strcmp(name, "is")) {
        st->in_is = true;
    } else if (!strcmp(name, "rPh")) {
        st->in_rph = true;
    }
}

/* The text of the cell just read, as a spreadsheet shows it. */
static void
s_cell_text(s_st_t *st, const char **text, size_t *len, char *buf, size_t cap)
{
    static const char nul = 0;
    *text = "";
    *len = 0;
    if (proto_buf_append(&st->cap, &nul, 1)) {
        s_fail(st, VOCFED_ENOMEM, "out of memory", "内存不足");
        return;
    }
    st->cap.len--;
    const char *v = (const char *)st->cap.data, *t = st->ctype;
    if (!strcmp(t, "s")) {
        long i = s_num(v, (long)S_STRINGS_MAX);
        if (i < 0 || (size_t)i >= st->nstr)
            return; /* a string that is not there: empty */
        *text = (const char *)st->strings.data + st->str_off[i];
        *len = strlen(*text);
    } else if (!strcmp(t, "inlineStr") || !strcmp(t, "str") ||
               !strcmp(t, "e") || !strcmp(t, "d")) {
        *text = v;
        *len = !strcmp(t, "d") && st->cap.len > 10 ? 10 : st->cap.len;
    } else if (!strcmp(t, "b")) {
        *text = !strcmp(v, "1") ? "true" : v[0] ? "false" : "";
        *len = strlen(*text);
    } else if (st->cap.len) { /* a number */
        char *end;
        double d = strtod(v, &end);
        if (*end) {
            *text = v; /* not a number after all: as it is */
            *len = st->cap.len;
            return;
        }
        bool date = st->cstyle < st->nstyles && st->style_date[st->cstyle];
        if (!date || !node_sheet_i_date(d, st->date1904, buf, cap))
            node_sheet_i_number(d, buf, cap);
        *text = buf;
        *len = strlen(buf);
    }
}

static void XMLCALL
s_ws_end(void *ud, const XML_Char *el)
{
    s_st_t *st = ud;
    const char *name = s_local(el);
    if ((!strcmp(name, "v") || !strcmp(name, "t")) && st->capturing) {
        st->capturing--;
    } else if (!strcmp(name, "is")) {
        st->in_is = false;
    } else if (!strcmp(name, "rPh")) {
        st->in_rph = false;
    } else if (!strcmp(name, "c") && st->line) {
        char buf[48];
        const char *text;
        size_t len;
        s_cell_text(st, &text, &len, buf, sizeof buf);
        if (!st->rc &&
            node_sheet_i_set(st->sheet, st->line, st->col, text, len))
            s_fail(st, VOCFED_ENOMEM, "out of memory", "内存不足");
    }
}

/* ---- the whole --------------------------------------------------------------
 */

/* Picks the sheet named name (NULL: the first); fills st->want_rid. */
static int
s_pick(s_st_t *st, const char *name)
{
    char en[256], zh[256], list[200] = "";
    size_t used = 0;
    if (!st->nsheets) {
        s_fail(st, VOCFED_EINVALID, "the workbook has no worksheet",
               "工作簿中没有工作表");
        return st->rc;
    }
    for (size_t i = 0; i < st->nsheets; i++)
        if (!name || !strcmp(st->names[i], name)) {
            snprintf(st->want_rid, sizeof st->want_rid, "%s", st->rids[i]);
            return VOCFED_OK;
        }
    for (size_t i = 0; i < st->nsheets && used < sizeof list; i++) {
        int n = snprintf(list + used, sizeof list - used, "%s'%s'",
                         i ? ", " : "", st->names[i]);
        if (n < 0 || (size_t)n >= sizeof list - used)
            break;
        used += (size_t)n;
    }
    if (snprintf(en, sizeof en,
                 "the workbook has no sheet '%s'; its sheets: %s", name,
                 list) < 0 ||
        snprintf(zh, sizeof zh, "工作簿中没有名为“%s”的工作表；现有：%s", name,
                 list) < 0)
        en[0] = zh[0] = 0;
    s_fail(st, VOCFED_EINVALID, en, zh);
    return st->rc;
}

/* A zip that is not an .xlsx: an .ods, or something else. */
static int
s_not_xlsx(s_st_t *st)
{
    char mime[64] = "";
    zip_file_t *zf = zip_fopen(st->zip, "mimetype", 0);
    if (zf) {
        zip_int64_t n = zip_fread(zf, mime, sizeof mime - 1);
        mime[n > 0 ? n : 0] = 0;
        zip_fclose(zf);
    }
    if (strstr(mime, "opendocument.spreadsheet"))
        s_fail(st, VOCFED_EINVALID,
               "an OpenDocument spreadsheet (.ods), not an Excel workbook: "
               "save it as .xlsx (or CSV) and import that",
               "这是 OpenDocument 表格（.ods），不是 Excel 工作簿：请另存为 "
               ".xlsx（或 CSV）后再导入");
    else
        s_fail(st, VOCFED_EINVALID,
               "a zip archive, not an Excel .xlsx workbook (no "
               "xl/workbook.xml)",
               "这是 zip 压缩包，不是 Excel .xlsx 工作簿（没有 "
               "xl/workbook.xml）");
    return st->rc;
}

static int
s_read(s_st_t *st, const char *name)
{
    int rc = s_part(st, "xl/workbook.xml", s_wb_start, s_none_end);
    if (rc == VOCFED_ENOTFOUND)
        return s_not_xlsx(st);
    if (rc || (rc = s_pick(st, name)))
        return rc;
    snprintf(st->shared, sizeof st->shared, "xl/sharedStrings.xml");
    snprintf(st->styles, sizeof st->styles, "xl/styles.xml");
    rc = s_part(st, "xl/_rels/workbook.xml.rels", s_rels_start, s_none_end);
    if (rc && rc != VOCFED_ENOTFOUND)
        return rc;
    if (!st->target[0]) {
        s_fail(st, VOCFED_EINVALID,
               "the workbook does not say where its sheet is",
               "工作簿中找不到该工作表的位置，文件可能已损坏");
        return st->rc;
    }
    if ((rc = s_part(st, st->styles, s_styles_start, s_styles_end)) &&
        rc != VOCFED_ENOTFOUND)
        return rc;
    if ((rc = s_part(st, st->shared, s_sst_start, s_sst_end)) &&
        rc != VOCFED_ENOTFOUND)
        return rc;
    rc = s_part(st, st->target, s_ws_start, s_ws_end);
    if (rc == VOCFED_ENOTFOUND)
        s_fail(st, VOCFED_EINVALID, "the workbook's sheet is missing",
               "工作簿中缺少该工作表，文件可能已损坏");
    return st->rc ? st->rc : rc;
}

int
node_sheet_i_xlsx(const uint8_t *data, size_t len, const char *name,
                  node_sheet_t *s, node_sheet_error_t *err)
{
    zip_error_t ze;
    s_st_t *st = calloc(1, sizeof *st);
    int rc;
    if (!st)
        return VOCFED_ENOMEM;
    st->sheet = s;
    st->err = err;
    proto_buf_init(&st->strings);
    proto_buf_init(&st->cap);
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (src && !(st->zip = zip_open_from_source(src, ZIP_RDONLY, &ze)))
        zip_source_free(src);
    if (!st->zip) {
        s_fail(st, VOCFED_EINVALID,
               "starts like a zip (.xlsx) but does not open as one: the file "
               "is damaged or not a workbook",
               "文件开头像 zip（.xlsx），却无法打开：文件已损坏或不是工作簿");
        rc = st->rc;
    } else {
        rc = s_read(st, name);
        zip_discard(st->zip);
    }
    zip_error_fini(&ze);
    free(st->style_date);
    free(st->str_off);
    proto_buf_release(&st->strings);
    proto_buf_release(&st->cap);
    free(st);
    return rc;
}
