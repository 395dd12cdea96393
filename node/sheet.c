/* vocfed: a worksheet in memory (see sheet.h). */
#include "node/sheet.h"
#include "protocol/buf.h"
#include "protocol/entry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row: its number and its cells (offsets into the text arena). */
typedef struct {
    size_t line;   /* 1-based row number */
    size_t first;  /* its first cell in s->cells */
    size_t ncells; /* how many */
    bool extra;    /* text past NODE_SHEET_COLUMNS_MAX */
} s_row_t;

struct node_sheet_s {
    proto_buf_t text;     /* cells' text, each NUL-terminated; offset 0
                             is "" */
    size_t *offs;         /* each cell's offset in text */
    size_t noffs, offcap; /* used, allocated */
    s_row_t *rows;        /* the rows */
    size_t nrows, rowcap; /* used, allocated */
    const char **view;    /* row pointers handed out by node_sheet_row */
};

static const uint8_t s_zip[4] = {'P', 'K', 3, 4};
static const uint8_t s_ole[8] = {0xd0, 0xcf, 0x11, 0xe0,
                                 0xa1, 0xb1, 0x1a, 0xe1};

node_sheet_format_t
node_sheet_sniff(const uint8_t *data, size_t len)
{
    if (len >= sizeof s_zip && !memcmp(data, s_zip, sizeof s_zip))
        return NODE_SHEET_XLSX;
    if (len >= sizeof s_ole && !memcmp(data, s_ole, sizeof s_ole))
        return NODE_SHEET_XLS;
    return NODE_SHEET_TEXT;
}

const char *
node_sheet_format_name(node_sheet_format_t f)
{
    return f == NODE_SHEET_XLSX ? "xlsx" : f == NODE_SHEET_XLS ? "xls" : "csv";
}

node_sheet_t *
node_sheet_i_new(void)
{
    node_sheet_t *s = calloc(1, sizeof *s);
    static const char nul = 0;
    if (!s)
        return NULL;
    proto_buf_init(&s->text);
    if (proto_buf_append(&s->text, &nul, 1)) {
        free(s);
        return NULL;
    }
    return s;
}

void
node_sheet_destroy(node_sheet_t **s)
{
    if (!s || !*s)
        return;
    proto_buf_release(&(*s)->text);
    free((*s)->offs);
    free((*s)->rows);
    free((*s)->view);
    free(*s);
    *s = NULL;
}

/* Makes room for n more cell offsets. */
static int
s_offs_room(node_sheet_t *s, size_t n)
{
    if (s->noffs + n <= s->offcap)
        return VOCFED_OK;
    size_t cap = s->offcap ? s->offcap : 1024;
    while (cap < s->noffs + n)
        cap *= 2;
    size_t *o = realloc(s->offs, cap * sizeof *o);
    if (!o)
        return VOCFED_ENOMEM;
    s->offs = o;
    s->offcap = cap;
    return VOCFED_OK;
}

/* The row numbered line: the last one, or a new one. */
static s_row_t *
s_row_for(node_sheet_t *s, size_t line)
{
    if (s->nrows && s->rows[s->nrows - 1].line == line)
        return &s->rows[s->nrows - 1];
    if (s->nrows == s->rowcap) {
        size_t cap = s->rowcap ? 2 * s->rowcap : 256;
        s_row_t *r = realloc(s->rows, cap * sizeof *r);
        if (!r)
            return NULL;
        s->rows = r;
        s->rowcap = cap;
    }
    s_row_t *r = &s->rows[s->nrows++];
    *r = (s_row_t){.line = line, .first = s->noffs};
    return r;
}

int
node_sheet_i_set(node_sheet_t *s, size_t line, size_t col, const char *text,
                 size_t len)
{
    s_row_t *r = s_row_for(s, line);
    static const char nul = 0;
    if (!r)
        return VOCFED_ENOMEM;
    if (col >= NODE_SHEET_COLUMNS_MAX) {
        r->extra |= len > 0;
        return VOCFED_OK;
    }
    if (len == 0)
        return VOCFED_OK; /* an empty cell is what a gap is */
    if (col < r->ncells) {
        /* a cell given twice (a hostile file): the later one counts */
        s->offs[r->first + col] = s->text.len;
    } else {
        if (s_offs_room(s, col + 1 - r->ncells))
            return VOCFED_ENOMEM;
        while (r->ncells < col)
            s->offs[r->first + r->ncells++] = 0;
        s->offs[r->first + r->ncells++] = s->text.len;
        s->noffs = r->first + r->ncells;
    }
    if (proto_buf_append(&s->text, text, len) ||
        proto_buf_append(&s->text, &nul, 1))
        return VOCFED_ENOMEM;
    return VOCFED_OK;
}

size_t
node_sheet_nrows(const node_sheet_t *s)
{
    return s->nrows;
}

size_t
node_sheet_row(const node_sheet_t *s, size_t i, size_t *line,
               const char *const **cells, bool *extra)
{
    node_sheet_t *m = (node_sheet_t *)s; /* the view is a cache */
    const s_row_t *r = &s->rows[i];
    if (!m->view) {
        m->view = malloc(NODE_SHEET_COLUMNS_MAX * sizeof *m->view);
        if (!m->view)
            return 0;
    }
    for (size_t j = 0; j < r->ncells; j++)
        m->view[j] = (const char *)s->text.data + s->offs[r->first + j];
    *line = r->line;
    *cells = m->view;
    *extra = r->extra;
    return r->ncells;
}

/* Copies src into dst (cap bytes) whole or cut at a character boundary;
 * false if src is not UTF-8. */
static bool
s_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    for (int i = 0; i < 4 && n > 0 && !proto_utf8_valid(dst, n); i++)
        n--;
    dst[n] = 0;
    return proto_utf8_valid(dst, n);
}

void
node_sheet_i_err(node_sheet_error_t *err, const char *en, const char *zh)
{
    if (!s_copy(err->en, sizeof err->en, en) ||
        !s_copy(err->zh, sizeof err->zh, zh)) {
        s_copy(err->en, sizeof err->en, "the workbook does not read");
        s_copy(err->zh, sizeof err->zh, "工作簿无法读取");
    }
}

void
node_sheet_i_number(double v, char *out, size_t cap)
{
    if (!isfinite(v)) {
        snprintf(out, cap, "%s", "#NUM!");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, cap, "%.0f", v);
    } else {
        char buf[40], *e;
        snprintf(buf, sizeof buf, "%.15G", v);
        /* drop the zeros %G keeps before an exponent: 3.4E+17 */
        if ((e = strchr(buf, 'E')) && strchr(buf, '.')) {
            char *z = e;
            while (z[-1] == '0')
                z--;
            if (z[-1] == '.')
                z--;
            memmove(z, e, strlen(e) + 1);
        }
        snprintf(out, cap, "%s", buf);
    }
}

bool
node_sheet_i_date(double v, bool date1904, char *out, size_t cap)
{
    if (!isfinite(v) || v < 1 || v > 2958465)
        return false;
    /* days from 1970-01-01: Excel's 1900 system counts 1900-02-29 */
    long days = (long)floor(v);
    if (date1904)
        days += 1462;
    else if (days < 60)
        days += 1;
    days -= 25569;
    /* civil from days (H. Hinnant's algorithm) */
    days += 719468;
    long era = (days >= 0 ? days : days - 146096) / 146097;
    long doe = days - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, cap, "%04ld-%02ld-%02ld", y, m, d);
    return true;
}

int
node_sheet_read(node_sheet_format_t f, const uint8_t *data, size_t len,
                const char *name, node_sheet_t **out, node_sheet_error_t *err)
{
    node_sheet_t *s = node_sheet_i_new();
    int rc;
    *out = NULL;
    memset(err, 0, sizeof *err);
    if (!s)
        return VOCFED_ENOMEM;
    rc = f == NODE_SHEET_XLS ? node_sheet_i_xls(data, len, name, s, err)
                             : node_sheet_i_xlsx(data, len, name, s, err);
    if (rc) {
        node_sheet_destroy(&s);
        return rc;
    }
    *out = s;
    return VOCFED_OK;
}
