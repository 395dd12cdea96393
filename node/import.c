/* vocfed: bulk import of records from CSV (see import.h; SPEC 11.4). */
#include "node/import.h"

#include "node/linkage.h"
#include "protocol/kinds.h"
#include "storage/replica.h"

#include <assert.h>
#include <csv.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_COLUMNS_MAX 64      /* columns of one file */
#define S_PROGRESS_EVERY 1024 /* rows between progress calls */

/* What a column of the file is. */
typedef enum {
    S_COL_FIELD = 0, /* a field of the kind */
    S_COL_KEY,       /* "key": the natural key as it is */
    S_COL_NATURAL,   /* the kind's key column (code, year, pseudo_id) */
    S_COL_ID_NUMBER, /* id_number: becomes the pseudo_id, never stored */
    S_COL_DROP,      /* name of a person: dropped, never stored */
} s_col_role_t;

/* One column of the header. */
typedef struct {
    char name[PROTO_FIELD_MAX + 1]; /* as written in the header */
    s_col_role_t role;              /* what it is */
} s_col_t;

/* One good row, kept until the write. */
typedef struct {
    size_t line;     /* where it is in the file */
    size_t key_off;  /* its key in the key arena (NUL-terminated) */
    size_t body_off; /* its canonical body in the body arena */
    size_t body_len; /* its length */
    uint8_t state;   /* S_ROW_* once compared with the store */
} s_row_t;

enum { S_ROW_NEW = 0, S_ROW_CHANGED, S_ROW_UNCHANGED };

/* The state of one import. */
typedef struct {
    const node_import_opts_t *opts; /* what to do */
    const proto_kind_def_t *kind;   /* the kind's table entry */
    const char *natural;            /* its key column name, or NULL */
    bool people;                    /* student, staff or graduate */
    node_import_result_t *res;      /* what is found */
    int status;                     /* first hard failure (ENOMEM, EKEY) */
    size_t line;                    /* the line being fed to the parser */
    size_t row_line;                /* the line the current row began on */
    bool in_row;                    /* a row has begun and not ended */
    size_t errcap;                  /* errors allocated */
    /* the current row's fields */
    proto_buf_t cells;                  /* their bytes, each NUL-terminated */
    size_t cell_off[S_COLUMNS_MAX + 1]; /* where each starts */
    size_t ncells;                      /* how many so far */
    bool too_many;                      /* more than S_COLUMNS_MAX */
    bool extra_text; /* a cell past S_COLUMNS_MAX (not kept) had text */
    /* the header */
    s_col_t cols[S_COLUMNS_MAX]; /* its columns */
    size_t ncols;                /* how many; 0 until it is read */
    bool header_bad;             /* it has errors: rows are skipped */
    /* the good rows */
    s_row_t *rows;        /* in file order */
    size_t nrows, rowcap; /* used, allocated */
    proto_buf_t keys;     /* their keys */
    proto_buf_t bodies;   /* their bodies */
    zhashx_t *seen;       /* key -> row index + 1 */
} s_import_t;

/* ---- the kinds' key columns --------------------------------------------- */

/* The column that names a kind's natural key, besides "key". */
static const struct {
    const char *kind;   /* kind */
    const char *column; /* its key column */
} s_natural[] = {
    {"student", "pseudo_id"},     {"staff", "pseudo_id"},
    {"graduate", "pseudo_id"},    {"major", "code"},
    {"training", "code"},         {"coop_class", "code"},
    {"industry_college", "code"}, {"consortium", "code"},
    {"industry", "code"},         {"posts", "year"},
};

static const char *
s_natural_column(const char *kind)
{
    for (size_t i = 0; i < sizeof s_natural / sizeof s_natural[0]; i++)
        if (strcmp(s_natural[i].kind, kind) == 0)
            return s_natural[i].column;
    return NULL;
}

/* ---- errors ------------------------------------------------------------ */

/* Copies src into dst (cap bytes), cut at a UTF-8 character boundary. */
static void
s_copy_utf8(char *dst, size_t cap, const char *src)
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

static void s_error(s_import_t *im, size_t line, const char *column,
                    const char *value, const char *zh, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Records one bad row. */
static void
s_error(s_import_t *im, size_t line, const char *column, const char *value,
        const char *zh, const char *fmt, ...)
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
    s_copy_utf8(e->column, sizeof e->column, column);
    s_copy_utf8(e->value, sizeof e->value, value);
    s_copy_utf8(e->reason_en, sizeof e->reason_en, en);
    s_copy_utf8(e->reason_zh, sizeof e->reason_zh, zh);
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
static int
s_decode(s_import_t *im, const uint8_t *data, size_t len, uint8_t **buf,
         const uint8_t **text, size_t *tlen)
{
    node_import_result_t *res = im->res;
    node_encoding_t enc = im->opts->encoding;
    bool bom = s_has_bom(data, len);
    bool valid = proto_utf8_valid((const char *)data, len);
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
            s_error(im, bad, "", "",
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
            s_error(im, s_line_of(data, bad), "", hex,
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
        s_error(im, s_line_of(*text, (size_t)(nul - *text)), "", "",
                "含有 NUL 字节", "contains a NUL byte");
        return VOCFED_EINVALID;
    }
    return VOCFED_OK;
}

/* ---- the header --------------------------------------------------------- */

static const char *
s_cell(const s_import_t *im, size_t i)
{
    return (const char *)im->cells.data + im->cell_off[i];
}

/* Lists the columns a file of this kind may have, for a message. */
static void
s_columns_allowed(const s_import_t *im, char *out, size_t cap)
{
    size_t used = 0;
    int n = snprintf(out, cap, "key");
    used = n > 0 ? (size_t)n : 0;
    if (im->natural && used < cap) {
        n = snprintf(out + used, cap - used, ", %s", im->natural);
        used += n > 0 ? (size_t)n : 0;
    }
    if (im->people && used < cap) {
        n = snprintf(out + used, cap - used, ", id_number, name (dropped)");
        used += n > 0 ? (size_t)n : 0;
    }
    for (size_t i = 0; i < im->kind->nfields && used < cap; i++) {
        n = snprintf(out + used, cap - used, ", %s", im->kind->fields[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
}

static void
s_header(s_import_t *im)
{
    const proto_kind_def_t *k = im->kind;
    size_t line = im->row_line;
    bool has_key = false, has_natural = false, has_id = false;
    char allowed[600];
    /* Only S_COLUMNS_MAX cells of a row are kept. */
    if (im->too_many) {
        char got[32];
        snprintf(got, sizeof got, "%zu", im->ncells);
        s_error(im, line, "", got, "表头列数过多",
                "the header has more than %d columns", S_COLUMNS_MAX);
        im->header_bad = true;
        return;
    }
    s_columns_allowed(im, allowed, sizeof allowed);
    im->ncols = im->ncells;
    for (size_t i = 0; i < im->ncells; i++) {
        const char *name = s_cell(im, i);
        size_t len = strlen(name);
        s_col_t *c = &im->cols[i];
        s_copy_utf8(c->name, sizeof c->name, name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(im->cols[j].name, name) == 0) {
                s_error(im, line, name, name, "列名重复", "column given twice");
                im->header_bad = true;
            }
        if (proto_kind_field(k, name, len)) {
            c->role = S_COL_FIELD;
        } else if (strcmp(name, "key") == 0) {
            c->role = S_COL_KEY;
            has_key = true;
        } else if (im->natural && strcmp(name, im->natural) == 0) {
            c->role = S_COL_NATURAL;
            has_natural = true;
        } else if (im->people && strcmp(name, "id_number") == 0) {
            c->role = S_COL_ID_NUMBER;
            has_id = true;
        } else if (im->people && strcmp(name, "name") == 0) {
            c->role = S_COL_DROP;
            im->res->dropped_name = true;
        } else {
            s_error(im, line, name, name, "未知列",
                    "%s has no column '%s'; its columns: %s", k->name, name,
                    allowed);
            im->header_bad = true;
        }
    }
    if (has_key + has_natural + has_id > 1) {
        s_error(im, line, has_key ? "key" : im->natural, "", "键列只能有一个",
                "give the key in one column only (key, %s%s)",
                im->natural ? im->natural : "",
                im->people ? " or id_number" : "");
        im->header_bad = true;
    }
    /* member has one record, key "profile"; every other kind names its
     * key in a column. */
    if (!has_key && !has_natural && !has_id && strcmp(k->name, "member") != 0) {
        s_error(im, line, "", "", "缺少键列",
                "no key column: give one of key%s%s%s", im->natural ? ", " : "",
                im->natural ? im->natural : "",
                im->people ? ", id_number" : "");
        im->header_bad = true;
    }
    for (size_t j = 0; j < k->nfields; j++) {
        bool present = false;
        for (size_t i = 0; i < im->ncols; i++)
            present |= im->cols[i].role == S_COL_FIELD &&
                       strcmp(im->cols[i].name, k->fields[j].name) == 0;
        if (k->fields[j].required && !present) {
            s_error(im, line, k->fields[j].name, "", "缺少必填列",
                    "required column is missing");
            im->header_bad = true;
        }
    }
    if (has_id && !im->opts->linkage_key && im->status == VOCFED_OK)
        im->status = VOCFED_EKEY;
}

/* ---- rows -----------------------------------------------------------------
 */

static void
s_progress(s_import_t *im, node_import_phase_t phase, uint64_t done,
           uint64_t total)
{
    if (im->opts->progress)
        im->opts->progress(im->opts->progress_ctx, phase, done, total);
}

static int s_refuse(proto_kind_error_t *err, const char *zh, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

/* Fills err's reasons; returns VOCFED_EINVALID. */
static int
s_refuse(proto_kind_error_t *err, const char *zh, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason_en, sizeof err->reason_en, fmt, ap);
    va_end(ap);
    snprintf(err->reason_zh, sizeof err->reason_zh, "%s", zh);
    return VOCFED_EINVALID;
}

/* Makes a row's natural key (SPEC 11.2) from its key cell (keyval, in a
 * column of role keyrole; S_COL_DROP for none) and its fields. Returns 0
 * with key filled, or VOCFED_EINVALID with err's reasons filled. */
static int
s_key(const s_import_t *im, size_t n, const char *const *names,
      const char *const *values, s_col_role_t keyrole, const char *keyval,
      char key[PROTO_KEY_MAX + 1], proto_kind_error_t *err)
{
    const proto_kind_def_t *k = im->kind;
    char pseudo[NODE_PSEUDO_ID_HEX + 1];
    const char *pid = NULL;
    int w;
    if (keyrole == S_COL_DROP && strcmp(k->name, "member") == 0)
        keyval = "profile";
    else if (!keyval[0])
        return s_refuse(err, "缺少键", "the key is missing");
    if (keyrole == S_COL_ID_NUMBER) {
        if (node_pseudo_id(im->opts->linkage_key, keyval, pseudo))
            return s_refuse(err,
                            "不是有效的身份证号（18 位号码的校验位须正确）",
                            "not a valid ID-card number (letters and "
                            "digits; an 18-digit number must have its "
                            "right check digit)");
        pid = pseudo;
    } else if (keyrole == S_COL_NATURAL && im->people) {
        pid = keyval;
    }
    if (pid && strcmp(k->name, "graduate") == 0) {
        const char *year = "";
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], "grad_year") == 0)
                year = values[i];
        w = snprintf(key, PROTO_KEY_MAX + 1, "%s:%s", pid, year);
    } else {
        w = snprintf(key, PROTO_KEY_MAX + 1, "%s", pid ? pid : keyval);
    }
    sodium_memzero(pseudo, sizeof pseudo);
    if (w < 0 || w > PROTO_KEY_MAX)
        return s_refuse(err, "键过长", "the key is longer than %d bytes",
                        PROTO_KEY_MAX);
    /* A person's key starts with a pseudonym, never anything else (an
     * ID number typed into the key column must not pass). */
    if (im->people) {
        const char *colon = strchr(key, ':');
        size_t plen = colon ? (size_t)(colon - key) : strlen(key);
        if (!node_pseudo_id_valid(key, plen))
            return s_refuse(err, "pseudo_id 应为 64 位小写十六进制",
                            "a pseudo_id is 64 lower-case hex digits");
    }
    return proto_kind_check_key(k, key, err);
}

/* Checks one data row and keeps it if good. */
static void
s_row(s_import_t *im)
{
    const proto_kind_def_t *k = im->kind;
    size_t line = im->row_line;
    const char *names[S_COLUMNS_MAX], *values[S_COLUMNS_MAX];
    const char *keycol = "", *keyval = "";
    s_col_role_t keyrole = S_COL_DROP; /* none */
    char key[PROTO_KEY_MAX + 1];
    size_t n = 0;
    proto_kind_error_t err;

    /* Rows of empty cells (what spreadsheets leave at the end) are not
     * rows. Only the first S_COLUMNS_MAX cells are kept. */
    bool empty = !im->extra_text;
    for (size_t i = 0; i < im->ncells && i < S_COLUMNS_MAX && empty; i++)
        empty = s_cell(im, i)[0] == '\0';
    if (empty)
        return;
    im->res->rows++;
    if (im->too_many || im->ncells != im->ncols) {
        char got[32];
        snprintf(got, sizeof got, "%zu", im->ncells);
        s_error(im, line, "", got, "列数与表头不一致",
                "the row has %zu cells, the header %zu columns", im->ncells,
                im->ncols);
        return;
    }
    for (size_t i = 0; i < im->ncols; i++) {
        const char *v = s_cell(im, i);
        switch (im->cols[i].role) {
        case S_COL_FIELD:
            names[n] = im->cols[i].name;
            values[n++] = v;
            break;
        case S_COL_KEY:
        case S_COL_NATURAL:
        case S_COL_ID_NUMBER:
            keycol = im->cols[i].name;
            keyval = v;
            keyrole = im->cols[i].role;
            break;
        case S_COL_DROP:
            break;
        }
    }
    size_t body_off = im->bodies.len;
    if (proto_kind_body(k, names, values, n, &im->bodies, &err)) {
        im->bodies.len = body_off;
        s_error(im, line, err.field, err.value, err.reason_zh, "%s",
                err.reason_en);
        return;
    }

    /* The key. */
    int rc = s_key(im, n, names, values, keyrole, keyval, key, &err);
    if (rc) {
        im->bodies.len = body_off;
        s_error(im, line, keycol, keyval, err.reason_zh, "%s", err.reason_en);
        return;
    }

    /* Once per file. */
    uintptr_t first = (uintptr_t)zhashx_lookup(im->seen, key);
    if (first) {
        char zh[64];
        size_t other = im->rows[first - 1].line;
        im->bodies.len = body_off;
        snprintf(zh, sizeof zh, "与第 %zu 行的键重复", other);
        s_error(im, line, keycol, keyval, zh, "the same key as line %zu",
                other);
        return;
    }
    if (im->nrows == im->rowcap) {
        size_t cap = im->rowcap ? 2 * im->rowcap : 1024;
        s_row_t *r = realloc(im->rows, cap * sizeof *r);
        if (!r) {
            im->status = VOCFED_ENOMEM;
            return;
        }
        im->rows = r;
        im->rowcap = cap;
    }
    s_row_t *r = &im->rows[im->nrows];
    *r = (s_row_t){.line = line,
                   .key_off = im->keys.len,
                   .body_off = body_off,
                   .body_len = im->bodies.len - body_off};
    if (proto_buf_append(&im->keys, key, strlen(key) + 1) ||
        zhashx_insert(im->seen, key, (void *)(uintptr_t)(im->nrows + 1))) {
        im->status = VOCFED_ENOMEM;
        return;
    }
    im->nrows++;
}

/* libcsv: one field. */
static void
s_on_field(void *s, size_t len, void *data)
{
    s_import_t *im = data;
    if (im->ncells >= S_COLUMNS_MAX) {
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
    s_import_t *im = data;
    (void)c;
    if (im->status == VOCFED_OK) {
        if (!im->ncols && !im->header_bad)
            s_header(im);
        else if (!im->header_bad)
            s_row(im);
    }
    proto_buf_reset(&im->cells);
    im->ncells = 0;
    im->too_many = false;
    im->extra_text = false;
    im->in_row = false;
}

/* Feeds the text to libcsv a line at a time, so that each row knows the
 * line it began on. */
static int
s_parse(s_import_t *im, const uint8_t *text, size_t len)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return VOCFED_ENOMEM;
    size_t off = 0;
    im->line = 0;
    int rc = VOCFED_OK;
    while (off < len && im->status == VOCFED_OK) {
        const uint8_t *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) + 1 : len - off;
        im->line++;
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
        if (csv_parse(&p, text + off, n, s_on_field, s_on_row, im) != n) {
            if (csv_error(&p) == CSV_ENOMEM || csv_error(&p) == CSV_ETOOBIG) {
                rc = VOCFED_ENOMEM;
            } else {
                s_error(im, im->line, "", "", "CSV 格式错误（引号不配对）",
                        "not CSV: a quote that is not closed or is in the "
                        "middle of a cell");
                rc = VOCFED_EINVALID;
            }
            goto done;
        }
        off += n;
        if (im->opts->progress && im->line % S_PROGRESS_EVERY == 0)
            s_progress(im, NODE_IMPORT_VALIDATING, off, len);
    }
    if (im->status == VOCFED_OK &&
        csv_fini(&p, s_on_field, s_on_row, im) != 0) {
        s_error(im, im->line, "", "", "CSV 格式错误（引号未闭合）",
                "not CSV: a quote that is not closed at the end of the file");
        rc = VOCFED_EINVALID;
    }
    s_progress(im, NODE_IMPORT_VALIDATING, len, len);
done:
    csv_free(&p);
    return rc;
}

/* ---- against the store ----------------------------------------------------
 */

/* What the scan of the current records collects. */
typedef struct {
    s_import_t *im;       /* the import */
    store_record_t *dels; /* sync: records to delete */
    size_t ndels, delcap; /* used, allocated */
    proto_buf_t delkeys;  /* their keys */
} s_scan_t;

static int
s_on_current(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
             size_t len)
{
    s_scan_t *sc = ctx;
    s_import_t *im = sc->im;
    (void)seq;
    uintptr_t idx = (uintptr_t)zhashx_lookup(im->seen, key);
    if (idx) {
        proto_entry_t e;
        s_row_t *r = &im->rows[idx - 1];
        int rc = proto_entry_decode(entry, len, &e);
        if (rc)
            return rc == VOCFED_ENOMEM ? rc : VOCFED_ECORRUPT;
        r->state = e.body_len == r->body_len &&
                           memcmp(e.body, im->bodies.data + r->body_off,
                                  r->body_len) == 0
                       ? S_ROW_UNCHANGED
                       : S_ROW_CHANGED;
        return 0;
    }
    if (!im->opts->sync)
        return 0;
    if (sc->ndels == sc->delcap) {
        size_t cap = sc->delcap ? 2 * sc->delcap : 64;
        store_record_t *d = realloc(sc->dels, cap * sizeof *d);
        if (!d)
            return VOCFED_ENOMEM;
        sc->dels = d;
        sc->delcap = cap;
    }
    /* The key's offset for now; a pointer once the arena is complete. */
    sc->dels[sc->ndels++] =
        (store_record_t){.op = PROTO_OP_DEL,
                         .kind = im->kind->name,
                         .key = (const char *)(uintptr_t)sc->delkeys.len};
    return proto_buf_append(&sc->delkeys, key, strlen(key) + 1);
}

/* Compares the rows with the current records and writes what differs. */
static int
s_write(s_import_t *im, store_t *store, const char *author, const uint8_t *sk)
{
    node_import_result_t *res = im->res;
    s_scan_t sc = {.im = im};
    store_record_t *recs = NULL;
    size_t n = 0;
    proto_buf_init(&sc.delkeys);
    int rc =
        store_scan_records(store, author, im->kind->name, s_on_current, &sc);
    if (rc == VOCFED_ENOTFOUND) /* an author with no log yet */
        rc = VOCFED_OK;
    if (rc)
        goto done;
    recs = malloc((im->nrows + sc.ndels + 1) * sizeof *recs);
    if (!recs) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < im->nrows; i++) {
        const s_row_t *r = &im->rows[i];
        if (r->state == S_ROW_UNCHANGED) {
            res->unchanged++;
            continue;
        }
        if (r->state == S_ROW_NEW)
            res->added++;
        else
            res->changed++;
        recs[n++] =
            (store_record_t){.op = PROTO_OP_PUT,
                             .kind = im->kind->name,
                             .key = (const char *)im->keys.data + r->key_off,
                             .body = im->bodies.data + r->body_off,
                             .body_len = r->body_len};
    }
    for (size_t i = 0; i < sc.ndels; i++) {
        recs[n] = sc.dels[i];
        recs[n++].key =
            (const char *)sc.delkeys.data + (uintptr_t)sc.dels[i].key;
    }
    res->deleted = sc.ndels;
    if (im->opts->check || n == 0)
        goto done;
    if (!sk) {
        rc = VOCFED_EKEY;
        goto done;
    }
    s_progress(im, NODE_IMPORT_WRITING, 0, n);
    rc = store_append(store, author, sk, recs, n, 0, &res->head, NULL);
    if (rc == VOCFED_OK) {
        res->last_seq = res->head.size;
        res->first_seq = res->head.size - n + 1;
        s_progress(im, NODE_IMPORT_WRITING, n, n);
    }
done:
    if (rc) {
        res->added = res->changed = res->unchanged = res->deleted = 0;
    }
    free(recs);
    free(sc.dels);
    proto_buf_release(&sc.delkeys);
    return rc;
}

/* ---- the whole --------------------------------------------------------------
 */

/* Reads and checks the whole file (SPEC 11.4 steps 1-5); with store, then
 * compares and writes (step 6). */
static int
s_import(store_t *store, const char *author, const uint8_t *sk,
         const node_import_opts_t *opts, const uint8_t *data, size_t len,
         node_import_result_t *res)
{
    s_import_t im = {.opts = opts, .res = res};
    uint8_t *utf8 = NULL;
    const uint8_t *text = NULL;
    size_t tlen = 0;
    int rc;
    memset(res, 0, sizeof *res);
    proto_buf_init(&im.cells);
    proto_buf_init(&im.keys);
    proto_buf_init(&im.bodies);
    im.kind = proto_kind_find(opts->kind);
    if (!im.kind)
        return VOCFED_ENOTFOUND;
    im.natural = s_natural_column(im.kind->name);
    im.people = node_import_people(im.kind->name);
    if (!(im.seen = zhashx_new())) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    if ((rc = s_decode(&im, data, len, &utf8, &text, &tlen)))
        goto done;
    rc = s_parse(&im, text, tlen);
    if (im.status) {
        rc = im.status;
        goto done;
    }
    if (rc)
        goto done;
    if (!im.ncols && !im.header_bad) {
        s_error(&im, 1, "", "", "文件为空（没有表头）",
                "the file is empty: no header row");
    }
    if (res->nerrors) {
        rc = VOCFED_EINVALID;
        goto done;
    }
    if (store)
        rc = s_write(&im, store, author, sk);
done:
    /* A hard failure has the last word over the rows' errors only when
     * it is about the environment (no key, no memory). */
    if (im.status && rc != im.status)
        rc = im.status;
    zhashx_destroy(&im.seen);
    free(im.rows);
    proto_buf_release(&im.cells);
    proto_buf_release(&im.keys);
    proto_buf_release(&im.bodies);
    free(utf8);
    return rc;
}

int
node_import(store_t *store, const char *author, const uint8_t *sk,
            const node_import_opts_t *opts, const uint8_t *data, size_t len,
            node_import_result_t *res)
{
    assert(store != NULL); /* node_import_parse is the one without */
    return s_import(store, author, sk, opts, data, len, res);
}

int
node_import_parse(const node_import_opts_t *opts, const uint8_t *data,
                  size_t len, node_import_result_t *res)
{
    return s_import(NULL, NULL, NULL, opts, data, len, res);
}

int
node_import_file(store_t *store, const char *author, const uint8_t *sk,
                 const node_import_opts_t *opts, const char *path,
                 node_import_result_t *res)
{
    struct stat st;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = VOCFED_OK;
    memset(res, 0, sizeof *res);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        goto done;
    }
    if ((uint64_t)st.st_size > NODE_IMPORT_FILE_MAX) {
        rc = VOCFED_ETOOLARGE;
        goto done;
    }
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    while (len < (size_t)st.st_size) {
        ssize_t r = read(fd, data + len, (size_t)st.st_size - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            goto done;
        }
        if (r == 0)
            break; /* it shrank: take what is there */
        len += (size_t)r;
    }
    rc = node_import(store, author, sk, opts, data, len, res);
done:
    free(data);
    close(fd);
    return rc;
}

void
node_import_result_release(node_import_result_t *res)
{
    if (!res)
        return;
    free(res->errors);
    memset(res, 0, sizeof *res);
}

bool
node_import_people(const char *kind)
{
    const char *col = s_natural_column(kind);
    return col && strcmp(col, "pseudo_id") == 0;
}

const char *
node_encoding_name(node_encoding_t e)
{
    switch (e) {
    case NODE_ENC_UTF8:
        return "utf-8";
    case NODE_ENC_GB18030:
        return "gb18030";
    default:
        return "auto";
    }
}
