/* vocfed: an import's header and rows to records: which column is
 * what, the natural key from the kind's rules (key column, key form,
 * person), the body through the kinds table (see import_i.h; SPEC 11.4
 * steps 3-5). */
#include "node/import_i.h"

#include "node/figures_catalogue.h"
#include "node/linkage.h"
#include "protocol/tabhash.h"

#include <assert.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the header --------------------------------------------------------- */

const char *
node_import_i_cell(const node_import_i_t *im, size_t i)
{
    return (const char *)im->cells.data + im->cell_off[i];
}

/* Appends the first name of text ('|'-separated) to out (cap bytes,
 * *used so far); nothing if it does not fit whole. */
static void
s_put(char *out, size_t cap, size_t *used, const char *text)
{
    size_t n = strcspn(text, "|");
    if (*used + n + 1 > cap)
        return;
    memcpy(out + *used, text, n);
    *used += n;
    out[*used] = 0;
}

/* Lists the columns a file of this kind may have, for a message: in
 * English (en) and by their Chinese names (zh). */
static void
s_columns_allowed(const node_import_i_t *im, char *en, size_t encap, char *zh,
                  size_t zhcap)
{
    const proto_kind_def_t *k = im->kind;
    size_t ue = 0, uz = 0;
    en[0] = zh[0] = 0;
    s_put(en, encap, &ue, "key");
    s_put(zh, zhcap, &uz, PROTO_KEY_ZH);
    if (k->key_column) {
        s_put(en, encap, &ue, ", ");
        s_put(en, encap, &ue, k->key_column);
        s_put(zh, zhcap, &uz, "、");
        s_put(zh, zhcap, &uz, k->person ? k->key_column : k->key_column_zh);
    }
    if (k->person) {
        s_put(en, encap, &ue, ", id_number, name (dropped)");
        s_put(zh, zhcap, &uz, "、身份证号、姓名（不保存）");
    }
    for (size_t i = 0; i < k->nfields; i++) {
        s_put(en, encap, &ue, ", ");
        s_put(en, encap, &ue, k->fields[i].name);
        s_put(zh, zhcap, &uz, "、");
        s_put(zh, zhcap, &uz, k->fields[i].zh);
    }
}

/* Code points of UTF-8 s into out (at most cap); returns how many. */
static size_t
s_points(const char *s, uint32_t *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < cap;) {
        uint32_t c = *p++;
        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        c &= more ? 0x3fu >> more : 0x7fu;
        for (; more && (*p & 0xc0) == 0x80; more--)
            c = (c << 6) | (*p++ & 0x3fu);
        out[n++] = c >= 'A' && c <= 'Z' ? c + 32 : c;
    }
    return n;
}

/* The edit distance between a and b, in characters (case ignored). */
static size_t
s_distance(const char *a, const char *b)
{
    uint32_t pa[64], pb[64];
    size_t na = s_points(a, pa, 64), nb = s_points(b, pb, 64);
    size_t row[65];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (pa[i - 1] != pb[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* Keeps cand (or each of its '|'-separated names) as *best when it is
 * nearer to name than *dist. */
static void
s_nearer(const char *name, const char *cand, char *best, size_t cap,
         size_t *dist)
{
    char one[PROTO_FIELD_MAX * 4 + 1];
    for (const char *p = cand; p && *p;) {
        size_t n = strcspn(p, "|");
        if (n < sizeof one) {
            memcpy(one, p, n);
            one[n] = 0;
            size_t d = s_distance(name, one);
            if (d < *dist) {
                *dist = d;
                snprintf(best, cap, "%s", one);
            }
        }
        p = p[n] ? p + n + 1 : NULL;
    }
}

/* The known column name nearest to name, if near enough to be a slip
 * (at most a third of its characters, at least 1, at most 3, differ);
 * "" if none. */
static void
s_nearest(const proto_kind_def_t *k, const char *name, char *best, size_t cap)
{
    uint32_t pts[64];
    size_t len = s_points(name, pts, 64), dist = SIZE_MAX;
    size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
    best[0] = 0;
    s_nearer(name, "key", best, cap, &dist);
    s_nearer(name, k->key_column, best, cap, &dist);
    s_nearer(name, k->key_column_zh, best, cap, &dist);
    if (k->person) {
        s_nearer(name, "id_number|name", best, cap, &dist);
        s_nearer(name, PROTO_ID_NUMBER_ZH "|" PROTO_PERSON_NAME_ZH, best, cap,
                 &dist);
    }
    for (size_t i = 0; i < k->nfields; i++) {
        s_nearer(name, k->fields[i].name, best, cap, &dist);
        s_nearer(name, k->fields[i].zh, best, cap, &dist);
        s_nearer(name, k->fields[i].zh_alt, best, cap, &dist);
    }
    if (dist > limit)
        best[0] = 0;
}

/* The refusal of a column the kind does not have. */
static void
s_header_unknown(node_import_i_t *im, const char *name)
{
    char en[600], zh[600], near[PROTO_FIELD_MAX * 4 + 1];
    char why_zh[PROTO_REASON_MAX], hint_en[300] = "", hint_zh[300] = "";
    s_columns_allowed(im, en, sizeof en, zh, sizeof zh);
    s_nearest(im->kind, name, near, sizeof near);
    if (near[0]) {
        snprintf(hint_en, sizeof hint_en, " (did you mean '%s'?)", near);
        snprintf(hint_zh, sizeof hint_zh, "（是否应为“%s”？）", near);
    }
    int n = snprintf(why_zh, sizeof why_zh, "%s没有“%s”这一列%s；可用的列：%s",
                     im->kind->zh, name, hint_zh, zh);
    if (n < 0 || (size_t)n >= sizeof why_zh) /* the list cut: name it */
        snprintf(why_zh, sizeof why_zh, "%s没有“%.64s”这一列%s", im->kind->zh,
                 name, hint_zh);
    node_import_i_error(im, im->row_line, name, name, why_zh,
                        "%s has no column '%s'%s; its columns: %s",
                        im->kind->name, name, hint_en, en);
    im->header_bad = true;
}

/* The role of the header name (len bytes) in a file of kind k;
 * *field gets the field of a NODE_IMPORT_COL_FIELD. Returns false if the
 * kind has no such column. */
static bool
s_header_role(const proto_kind_def_t *k, const char *name, size_t len,
              node_import_i_role_t *role, const proto_field_def_t **field)
{
    *field = NULL;
    if (len == 0)
        *role = NODE_IMPORT_COL_NONE;
    else if ((*field = proto_kind_field_by_header(k, name, len)))
        *role = NODE_IMPORT_COL_FIELD;
    else if ((len == 3 && !memcmp(name, "key", 3)) ||
             proto_names_has(PROTO_KEY_ZH, name, len))
        *role = NODE_IMPORT_COL_KEY;
    else if (k->key_column && ((strlen(k->key_column) == len &&
                                !memcmp(name, k->key_column, len)) ||
                               proto_names_has(k->key_column_zh, name, len)))
        *role = NODE_IMPORT_COL_NATURAL;
    else if (k->person && ((len == 9 && !memcmp(name, "id_number", 9)) ||
                           proto_names_has(PROTO_ID_NUMBER_ZH, name, len)))
        *role = NODE_IMPORT_COL_ID_NUMBER;
    else if (k->person && ((len == 4 && !memcmp(name, "name", 4)) ||
                           proto_names_has(PROTO_PERSON_NAME_ZH, name, len)))
        *role = NODE_IMPORT_COL_DROP;
    else
        return false;
    return true;
}

/* The header cell i without the spaces around it (in place). */
static const char *
s_header_text(node_import_i_t *im, size_t i, size_t *len)
{
    char *s = (char *)im->cells.data + im->cell_off[i];
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    while (*s == ' ' || *s == '\t') {
        s++;
        n--;
    }
    *len = n;
    return s;
}

/* Column i of the header: its role (seen[role] set), or an error. */
static void
s_header_column(node_import_i_t *im, size_t i, bool *seen)
{
    size_t len;
    const char *name = s_header_text(im, i, &len);
    node_import_i_col_t *c = &im->cols[i];
    node_import_i_copy_utf8(c->name, sizeof c->name, name);
    if (!s_header_role(im->kind, name, len, &c->role, &c->field)) {
        s_header_unknown(im, c->name);
        return;
    }
    if (c->role == NODE_IMPORT_COL_NONE)
        return;
    im->nnamed = i + 1;
    for (size_t j = 0; j < i; j++) {
        const node_import_i_col_t *o = &im->cols[j];
        if (o->role == c->role && o->field == c->field &&
            c->role != NODE_IMPORT_COL_DROP) {
            char zh[200];
            snprintf(zh, sizeof zh, "列名重复（与“%s”是同一列）", o->name);
            node_import_i_error(im, im->row_line, c->name, c->name, zh,
                                "column given twice (the same as '%s')",
                                o->name);
            im->header_bad = true;
        }
    }
    if (c->role == NODE_IMPORT_COL_DROP)
        im->res->dropped_name = true;
    seen[c->role] = true;
}

/* Every required field of the kind has a column. */
static void
s_header_required(node_import_i_t *im)
{
    const proto_kind_def_t *k = im->kind;
    for (size_t j = 0; j < k->nfields; j++) {
        bool present = false;
        for (size_t i = 0; i < im->ncols; i++)
            present |= im->cols[i].field == &k->fields[j];
        if (k->fields[j].required && !present) {
            char zh[200];
            snprintf(zh, sizeof zh, "缺少必填列“%s”（%s）", k->fields[j].zh,
                     k->fields[j].name);
            node_import_i_error(im, im->row_line, k->fields[j].name, "", zh,
                                "required column '%s' (%s) is missing",
                                k->fields[j].name, k->fields[j].zh);
            im->header_bad = true;
        }
    }
}

/* The header has too many columns, or two key columns, or none. */
static void
s_header_keys(node_import_i_t *im, const bool *seen)
{
    const proto_kind_def_t *k = im->kind;
    size_t line = im->row_line;
    bool has_key = seen[NODE_IMPORT_COL_KEY];
    bool has_natural = seen[NODE_IMPORT_COL_NATURAL];
    bool has_id = seen[NODE_IMPORT_COL_ID_NUMBER];
    const char *col = k->key_column ? k->key_column : "";
    if (has_key + has_natural + has_id > 1) {
        char zh[200];
        snprintf(zh, sizeof zh, "键只能在一列中给出（键、%s%s）", col,
                 k->person ? "或身份证号" : "");
        node_import_i_error(im, line, has_key ? "key" : col, "", zh,
                            "give the key in one column only (key, %s%s)", col,
                            k->person ? " or id_number" : "");
        im->header_bad = true;
    }
    /* A kind with one fixed key (member: "profile") needs no key column;
     * every other kind names its key in a column. */
    if (!has_key && !has_natural && !has_id && k->key_form != PROTO_KEY_FIXED) {
        char zh[200];
        snprintf(zh, sizeof zh, "缺少键列：应有 键%s%s%s 之一",
                 col[0] ? "、" : "", col, k->person ? "、身份证号" : "");
        node_import_i_error(
            im, line, "", "", zh, "no key column: give one of key%s%s%s",
            col[0] ? ", " : "", col, k->person ? ", id_number" : "");
        im->header_bad = true;
    }
}

void
node_import_i_header(node_import_i_t *im)
{
    bool seen[NODE_IMPORT_COL_NONE + 1] = {false};
    /* Only NODE_IMPORT_COLUMNS_MAX cells of a row are kept. */
    if (im->too_many && im->extra_text) {
        char got[32];
        snprintf(got, sizeof got, "%zu", im->ncells);
        node_import_i_error(im, im->row_line, "", got, "表头超过 64 列",
                            "the header has more than %d columns",
                            NODE_IMPORT_COLUMNS_MAX);
        im->header_bad = true;
        return;
    }
    im->ncols = im->too_many ? NODE_IMPORT_COLUMNS_MAX : im->ncells;
    im->nnamed = 0;
    for (size_t i = 0; i < im->ncols; i++)
        s_header_column(im, i, seen);
    if (!im->nnamed && !im->header_bad) {
        im->ncols = 0; /* a row of empty cells: not the header yet */
        return;
    }
    s_header_keys(im, seen);
    s_header_required(im);
    if (seen[NODE_IMPORT_COL_ID_NUMBER] && !im->opts->linkage_key &&
        im->status == VOCFED_OK)
        im->status = VOCFED_EKEY;
}

/* ---- rows -----------------------------------------------------------------
 */

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

/* Whether an ID number is what Excel makes of one it stores as a number:
 * 3.40882E+17, 3.40882200803137E+17, or 18 digits ending in 000 that
 * fail their check digit (Excel keeps 15 significant digits). */
static bool
s_excel_number(const char *v)
{
    size_t n = strlen(v), digits = strspn(v, "0123456789");
    char norm[NODE_ID_NUMBER_MAX + 1];
    if (digits && (v[digits] == 'E' || v[digits] == 'e' || v[digits] == '.'))
        return strchr(v, 'E') || strchr(v, 'e');
    return n == 18 && digits == 18 && !strcmp(v + 15, "000") &&
           node_id_number_normalise(v, norm) != VOCFED_OK;
}

/* Makes a row's natural key (SPEC 11.2) from its key cell (keyval, in a
 * column of role keyrole; NODE_IMPORT_COL_DROP for none) and its fields.
 * Returns 0 with key filled, or VOCFED_EINVALID with err's reasons filled.
 * With norm, an ID number's pseudonym is left to be made later with
 * others (s_pend_flush): its normalised number goes to norm and the key
 * starts with 64 zeros in its place (a key checked as the real one). */
static int
s_key(const node_import_i_t *im, size_t n, const char *const *names,
      const char *const *values, node_import_i_role_t keyrole,
      const char *keyval, char key[PROTO_KEY_MAX + 1],
      char norm[NODE_ID_NUMBER_MAX + 1], proto_kind_error_t *err)
{
    const proto_kind_def_t *k = im->kind;
    char pseudo[NODE_PSEUDO_ID_HEX + 1];
    const char *pid = NULL;
    int w;
    if (keyrole == NODE_IMPORT_COL_DROP && k->key_form == PROTO_KEY_FIXED)
        keyval = k->key_fixed;
    else if (!keyval[0])
        return s_refuse(err, "缺少键", "the key is missing");
    if (keyrole == NODE_IMPORT_COL_ID_NUMBER) {
        if (s_excel_number(keyval))
            return s_refuse(err,
                            "身份证号被 Excel 存成了数字，末几位已丢失：请把"
                            "该列设置为“文本”格式（设置单元格格式 → 文本），"
                            "再重新填入号码",
                            "the ID number was stored by Excel as a number "
                            "and lost its last digits: format the column as "
                            "text (Format Cells -> Text) and enter the "
                            "numbers again");
        if (norm
                ? node_id_number_normalise(keyval, norm) != VOCFED_OK
                : node_pseudo_id_with(&im->pseudo, keyval, pseudo) != VOCFED_OK)
            return s_refuse(err,
                            "不是有效的身份证号（字母和数字；18 位号码的校验位"
                            "须正确）",
                            "not a valid ID-card number (letters and "
                            "digits; an 18-digit number must have its "
                            "right check digit)");
        if (norm) {
            memset(pseudo, '0', NODE_PSEUDO_ID_HEX);
            pseudo[NODE_PSEUDO_ID_HEX] = '\0';
        }
        pid = pseudo;
    } else if (keyrole == NODE_IMPORT_COL_NATURAL && im->kind->person) {
        pid = keyval;
    }
    if (pid && k->key_form == PROTO_KEY_PSEUDO_YEAR) {
        int64_t year = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], k->key_year) == 0 &&
                !proto_kind_year(values[i], &year))
                year = 0;
        w = snprintf(key, PROTO_KEY_MAX + 1, "%s:%lld", pid, (long long)year);
    } else { /* copied, cut to the room: snprintf took ~550 instructions */
        const char *from = pid ? pid : keyval;
        size_t len = strnlen(from, PROTO_KEY_MAX + 1);
        size_t keep = len > PROTO_KEY_MAX ? PROTO_KEY_MAX : len;
        memcpy(key, from, keep);
        key[keep] = '\0';
        w = (int)len;
    }
    sodium_memzero(pseudo, sizeof pseudo);
    if (w < 0 || w > PROTO_KEY_MAX)
        return s_refuse(err, "键过长", "the key is longer than %d bytes",
                        PROTO_KEY_MAX);
    /* A person's key starts with a pseudonym, never anything else (an
     * ID number typed into the key column must not pass). */
    if (im->kind->person) {
        const char *colon = strchr(key, ':');
        size_t plen = colon ? (size_t)(colon - key) : strlen(key);
        if (!node_pseudo_id_valid(key, plen))
            return s_refuse(err, "pseudo_id 应为 64 位小写十六进制",
                            "a pseudo_id is 64 lower-case hex digits");
    }
    if (proto_kind_check_key(k, key, err))
        return VOCFED_EINVALID;
    return node_figcat_check(k->name, key, err);
}

/* Checks one data row and keeps it if good. */
/* One row's cells split by role: the fields, and the key's cell. */
typedef struct {
    const char *headers[NODE_IMPORT_COLUMNS_MAX];           /* their headers */
    const char *names[NODE_IMPORT_COLUMNS_MAX];             /* field names */
    const char *values[NODE_IMPORT_COLUMNS_MAX];            /* their values */
    size_t lens[NODE_IMPORT_COLUMNS_MAX];                   /* their lengths */
    const proto_field_def_t *defs[NODE_IMPORT_COLUMNS_MAX]; /* the fields */
    size_t n;                                               /* how many */
    const char *keycol;           /* the key's column, "" */
    const char *keyval;           /* its value, "" */
    node_import_i_role_t keyrole; /* its role; NODE_IMPORT_COL_DROP: none */
} s_cells_t;

/* Whether the current row is there: rows of empty cells (what
 * spreadsheets leave at the end) are not rows; a row must have a cell
 * for each named column, and text in no column without a name (each
 * recorded as an error otherwise). */
static bool
s_row_present(node_import_i_t *im)
{
    /* Only the first NODE_IMPORT_COLUMNS_MAX cells are kept. */
    size_t kept = im->ncells < NODE_IMPORT_COLUMNS_MAX
                      ? im->ncells
                      : NODE_IMPORT_COLUMNS_MAX;
    size_t last = 0; /* cells up to the last one with text */
    for (size_t i = 0; i < kept; i++)
        if (node_import_i_cell(im, i)[0])
            last = i + 1;
    if (!last && !im->extra_text)
        return false;
    im->res->rows++;
    if (im->ncells < im->nnamed || im->extra_text || last > im->ncols) {
        char got[32], zh[96];
        snprintf(got, sizeof got, "%zu", im->ncells);
        snprintf(zh, sizeof zh, "该行有 %zu 个单元格，表头有 %zu 列",
                 im->ncells, im->nnamed);
        node_import_i_error(im, im->row_line, "", got, zh,
                            "the row has %zu cells, the header %zu columns",
                            im->ncells, im->nnamed);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < last; i++)
        if (im->cols[i].role == NODE_IMPORT_COL_NONE &&
            node_import_i_cell(im, i)[0]) {
            char col[32], zh[96];
            snprintf(col, sizeof col, "#%zu", i + 1);
            snprintf(zh, sizeof zh, "第 %zu 列没有表头（列名），却有值", i + 1);
            node_import_i_error(im, im->row_line, col,
                                node_import_i_cell(im, i), zh,
                                "column %zu has no name in the header but "
                                "this row has a value there",
                                i + 1);
            ok = false;
        }
    return ok;
}

static void
s_row_cells(const node_import_i_t *im, s_cells_t *c)
{
    *c = (s_cells_t){
        .keycol = "", .keyval = "", .keyrole = NODE_IMPORT_COL_DROP};
    for (size_t i = 0; i < im->ncols && i < im->ncells; i++) {
        const char *v = node_import_i_cell(im, i);
        switch (im->cols[i].role) {
        case NODE_IMPORT_COL_FIELD:
            c->headers[c->n] = im->cols[i].name;
            c->names[c->n] = im->cols[i].field->name;
            c->defs[c->n] = im->cols[i].field;
            /* up to the next kept cell's start, or the cells' end (only
             * NODE_IMPORT_COLUMNS_MAX are kept), less its NUL */
            c->lens[c->n] =
                (i + 1 < im->ncells && i + 1 < NODE_IMPORT_COLUMNS_MAX
                     ? im->cell_off[i + 1]
                     : im->cells.len) -
                im->cell_off[i] - 1;
            c->values[c->n++] = v;
            break;
        case NODE_IMPORT_COL_KEY:
        case NODE_IMPORT_COL_NATURAL:
        case NODE_IMPORT_COL_ID_NUMBER:
            c->keycol = im->cols[i].name;
            c->keyval = v;
            c->keyrole = im->cols[i].role;
            break;
        case NODE_IMPORT_COL_DROP:
        case NODE_IMPORT_COL_NONE:
            break;
        }
    }
}

/* ---- the keys given so far ---------------------------------------------
 * A set of row indexes hashed by their keys in the key arena: one
 * uint64_t a slot and no copy of a key (a zhashx made one per row). */

/* The key's hash under the set's seed (protocol/tabhash.h: the keys
 * come from the file, so a fixed hash would let a file put every key
 * on one probe chain); the slot is taken from the top 32 bits. */
static uint64_t
s_key_hash(const node_import_i_t *im, const char *key)
{
    return proto_tabhash(im->seen_seed, key, strlen(key));
}

/* The slot for key in a set over rows (keys in the arena keys): the one
 * holding it, or the empty one it would take. */
static size_t
s_slot(const uint64_t *set, size_t cap, const node_import_i_row_t *rows,
       const uint8_t *keys, const char *key, uint64_t tag)
{
    size_t mask = cap - 1;
    for (size_t i = (size_t)(tag >> 32) & mask;; i = (i + 1) & mask) {
        uint64_t v = set[i];
        if (v == 0)
            return i;
        if ((v >> 32) == (tag >> 32) &&
            strcmp((const char *)keys + rows[(uint32_t)v - 1].key_off, key) ==
                0)
            return i;
    }
}

/* The slot for key in im's own set. */
static size_t
s_seen_slot(const node_import_i_t *im, const char *key, uint64_t tag)
{
    return s_slot(im->seen, im->seencap, im->rows, im->keys.data, key, tag);
}

size_t
node_import_i_seen_find(const node_import_i_t *im, const char *key)
{
    size_t len = strlen(key), at = 0;
    if (im->seencap)
        at = (uint32_t)im->seen[s_seen_slot(
            im, key, proto_tabhash(im->seen_seed, key, len))];
    if (!at && im->taken && im->seencap2) {
        uint64_t tag = proto_tabhash(im->seen_seed2, key, len);
        at = (uint32_t)
                 im->seen2[s_slot(im->seen2, im->seencap2, im->rows + im->split,
                                  im->keys2.data, key, tag)];
        at = at ? im->split + at : 0;
    }
    return at;
}

bool
node_import_i_seen_any(const node_import_i_t *im, const node_import_i_t *later,
                       size_t from, size_t to)
{
    if (!im->seencap)
        return false;
    /* Each key's slot is fetched S_AHEAD keys before it is probed: the
     * probes are misses in a table of megabytes. */
    enum { S_AHEAD = 8 };
    uint64_t tags[S_AHEAD];
    size_t mask = im->seencap - 1;
    for (size_t i = from; i < to + S_AHEAD; i++) {
        if (i >= from + S_AHEAD) {
            size_t j = i - S_AHEAD;
            const char *key =
                (const char *)later->keys.data + later->rows[j].key_off;
            if (im->seen[s_seen_slot(im, key, tags[j % S_AHEAD])])
                return true;
        }
        if (i < to) {
            uint64_t tag = s_key_hash(im, (const char *)later->keys.data +
                                              later->rows[i].key_off);
            tags[i % S_AHEAD] = tag;
            __builtin_prefetch(&im->seen[(size_t)(tag >> 32) & mask]);
        }
    }
    return false;
}

/* Grows the set to cap slots (a power of two, more than it has).
 * Returns 0 or VOCFED_ENOMEM. */
static int
s_seen_grow_to(node_import_i_t *im, size_t cap)
{
    uint64_t *old = im->seen;
    if (!im->seencap)
        im->seen_seed = proto_tabhash_seed();
    size_t oldcap = im->seencap;
    if (!(im->seen = calloc(cap, sizeof *im->seen))) {
        im->seen = old;
        return VOCFED_ENOMEM;
    }
    im->seencap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i])
            continue;
        size_t j = (size_t)(old[i] >> 32) & (cap - 1);
        while (im->seen[j])
            j = (j + 1) & (cap - 1);
        im->seen[j] = old[i];
    }
    free(old);
    return VOCFED_OK;
}

/* The slots for n rows: a power of two, at least 2048 and twice n. */
static size_t
s_seen_cap(size_t n)
{
    size_t cap = 2048;
    while (cap < 2 * n && cap < SIZE_MAX / 4)
        cap *= 2;
    return cap;
}

/* Room in the set for one more row. Returns 0 or VOCFED_ENOMEM. */
static int
s_seen_room(node_import_i_t *im)
{
    if (im->nrows >= UINT32_MAX - 2)
        return VOCFED_ENOMEM;
    if ((im->nrows + 1) * 2 > im->seencap &&
        s_seen_grow_to(im, im->seencap ? 2 * im->seencap : 2048))
        return VOCFED_ENOMEM;
    return VOCFED_OK;
}

void
node_import_i_seen_release(node_import_i_t *im)
{
    free(im->seen);
    im->seen = NULL;
    im->seencap = 0;
    free(im->seen2);
    im->seen2 = NULL;
    im->seencap2 = 0;
    proto_buf_release(&im->keys2);
    proto_buf_release(&im->bodies2);
    im->taken = false;
    im->split = 0;
}

void
node_import_i_digest(const uint8_t *body, size_t len,
                     uint8_t out[NODE_IMPORT_DIGEST_LEN])
{
    crypto_generichash(out, NODE_IMPORT_DIGEST_LEN, body, len, NULL, 0);
}

/* A row kept in lean mode: its digest instead of its body. */
static void
s_row_lean(node_import_i_t *im, node_import_i_row_t *r)
{
    node_import_i_digest(im->bodies.data + r->body_off, r->body_len, r->digest);
    im->bodies.len = r->body_off;
    r->body_off = 0;
}

void
node_import_i_go_lean(node_import_i_t *im)
{
    for (size_t i = 0; i < im->nrows; i++) {
        node_import_i_row_t *r = &im->rows[i];
        node_import_i_digest(im->bodies.data + r->body_off, r->body_len,
                             r->digest);
        r->body_off = 0;
    }
    proto_buf_release(&im->bodies);
    proto_buf_init(&im->bodies);
    im->lean = true;
}

/* Makes room, at the first row kept, for as many as the text has lines
 * (im->rows_hint) of its size: no growing and moving of the arenas and
 * the set as the rows come (what is not used is never touched). Bodies
 * up to the budget only. Best effort: a failure leaves the growing. */
static void
s_reserve(node_import_i_t *im, size_t key_len, size_t body_len)
{
    size_t n = im->rows_hint;
    if (n < 2 || im->nrows || n >= UINT32_MAX / 4)
        return;
    node_import_i_row_t *r = realloc(im->rows, n * sizeof *r);
    if (r) {
        im->rows = r;
        im->rowcap = n;
    }
    if (proto_buf_reserve(&im->keys, n * (key_len + 1) + n * (key_len + 1) / 8))
        return;
    size_t want = n * body_len + n * body_len / 4;
    if (!im->lean &&
        proto_buf_reserve(&im->bodies,
                          want < im->body_budget ? want : im->body_budget))
        return;
    size_t cap = s_seen_cap(n);
    if (cap > im->seencap)
        (void)s_seen_grow_to(im, cap); /* best effort, as above */
}

/* A good row to keep: where it is, its key's cell, its body. */
typedef struct {
    size_t line;        /* the line it began on */
    const char *keycol; /* its key's column, "" */
    const char *keyval; /* its key's cell, "" */
    size_t body_off;    /* its body in the body arena */
    size_t body_len;    /* its length */
} s_keep_t;

/* Records the error of a row kept after rows that came later in the file
 * (s_pend_flush): moved back before their errors, so that the errors
 * stay in the order of their lines. */
static void
s_error_in_order(node_import_i_t *im)
{
    node_import_result_t *res = im->res;
    if (res->nerrors == 0)
        return;
    size_t i = res->nerrors - 1;
    node_import_error_t e = res->errors[i];
    while (i > 0 && res->errors[i - 1].line > e.line) {
        res->errors[i] = res->errors[i - 1];
        i--;
    }
    res->errors[i] = e;
}

/* Keeps a good row unless its key was in the file already; with late
 * (a row kept after later ones), its error goes among theirs in the
 * order of their lines, and going lean is left to the caller. */
static void
s_row_keep(node_import_i_t *im, const s_keep_t *w, const char *key,
           const uint64_t *early_tag, bool late)
{
    size_t body_off = w->body_off;
    if (!im->nrows)
        s_reserve(im, strlen(key), w->body_len);
    /* One hash and one probe: the slot found is the one the row takes. */
    if (s_seen_room(im)) {
        im->status = VOCFED_ENOMEM;
        return;
    }
    uint64_t tag = early_tag ? *early_tag : s_key_hash(im, key);
    size_t slot = s_seen_slot(im, key, tag);
    size_t first = (uint32_t)im->seen[slot];
    if (first) {
        char zh[64];
        size_t other = im->rows[first - 1].line;
        if (body_off + w->body_len == im->bodies.len)
            im->bodies.len = body_off; /* else rows after it wait (late) */
        snprintf(zh, sizeof zh, "与第 %zu 行的键重复", other);
        node_import_i_error(im, w->line, w->keycol, w->keyval, zh,
                            "the same key as line %zu", other);
        if (late)
            s_error_in_order(im);
        return;
    }
    if (im->nrows == im->rowcap) {
        size_t cap = im->rowcap ? 2 * im->rowcap : 1024;
        node_import_i_row_t *r = realloc(im->rows, cap * sizeof *r);
        if (!r) {
            im->status = VOCFED_ENOMEM;
            return;
        }
        im->rows = r;
        im->rowcap = cap;
    }
    node_import_i_row_t *r = &im->rows[im->nrows];
    *r = (node_import_i_row_t){.line = w->line,
                               .key_off = im->keys.len,
                               .body_off = body_off,
                               .body_len = w->body_len};
    if (proto_buf_append(&im->keys, key, strlen(key) + 1)) {
        im->status = VOCFED_ENOMEM;
        return;
    }
    im->seen[slot] = (tag & 0xffffffff00000000ull) | (uint64_t)(im->nrows + 1);
    im->nrows++;
    if (late)   /* the rows after it still in the arena: s_pend_flush goes */
        return; /* lean, if it must, once they are all kept */
    if (!im->lean && im->bodies.len > im->body_budget)
        node_import_i_go_lean(im);
    else if (im->lean)
        s_row_lean(im, r);
}

/* Keeps the rows waiting for their pseudonyms, in the order they came:
 * the pseudonyms made together (eight at a time), each put in its key in
 * place of the zeros, then each row kept. Their errors (a key given
 * twice) go among the errors of the rows after them in line order. The
 * persons' numbers are wiped. */
void
node_import_i_pend_flush(node_import_i_t *im)
{
    size_t n = im->npend;
    if (n == 0)
        return;
    const char *norm[NODE_IMPORT_PEND];
    char hex[NODE_IMPORT_PEND][NODE_PSEUDO_ID_HEX + 1];
    for (size_t i = 0; i < n; i++)
        norm[i] = im->pend[i].norm;
    uint64_t tag[NODE_IMPORT_PEND];
    node_pseudo_ids_normalised(&im->pseudo, n, norm, hex);
    /* each key made whole, and its slot in the set, a miss in a table of
     * megabytes, fetched with the others' (once the set's seed is drawn,
     * with its first slots) */
    bool tagged = im->seencap != 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(im->pend[i].key, hex[i], NODE_PSEUDO_ID_HEX);
        if (tagged) {
            tag[i] = s_key_hash(im, im->pend[i].key);
            __builtin_prefetch(
                &im->seen[(size_t)(tag[i] >> 32) & (im->seencap - 1)]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        node_import_i_pend_t *p = &im->pend[i];
        s_keep_t w = {p->line, p->keycol, p->keyval, p->body_off, p->body_len};
        if (im->status == VOCFED_OK)
            s_row_keep(im, &w, p->key, tagged ? &tag[i] : NULL, true);
        sodium_memzero(p->norm, sizeof p->norm);
        sodium_memzero(p->keyval, sizeof p->keyval);
    }
    sodium_memzero(hex, sizeof hex);
    im->npend = 0;
    if (!im->lean && im->bodies.len > im->body_budget)
        node_import_i_go_lean(im);
}

/* Holds a good row until its pseudonym is made with the next ones: up to
 * NODE_IMPORT_PEND of them, then all kept (node_import_i_pend_flush). */
static void
s_row_pend(node_import_i_t *im, const s_cells_t *c, const char *key,
           const char *norm, size_t body_off)
{
    node_import_i_pend_t *p = &im->pend[im->npend++];
    memcpy(p->norm, norm, sizeof p->norm);
    memcpy(p->key, key, strlen(key) + 1);
    /* The cell is UTF-8 (the text was checked whole, a sheet's cells
     * each): cut, and checked again, only when it does not fit. */
    size_t kl = strlen(c->keyval);
    if (kl < sizeof p->keyval)
        memcpy(p->keyval, c->keyval, kl + 1);
    else
        node_import_i_copy_utf8(p->keyval, sizeof p->keyval, c->keyval);
    p->keycol = c->keycol;
    p->line = im->row_line;
    p->body_off = body_off;
    p->body_len = im->bodies.len - body_off;
    if (im->npend == NODE_IMPORT_PEND)
        node_import_i_pend_flush(im);
}

/* Appends later's errors to im's. Returns 0 or VOCFED_ENOMEM. */
static int
s_take_errors(node_import_i_t *im, const node_import_i_t *later)
{
    node_import_result_t *res = im->res;
    const node_import_result_t *lr = later->res;
    if (!lr->nerrors)
        return VOCFED_OK;
    size_t need = res->nerrors + lr->nerrors;
    if (need > im->errcap) {
        node_import_error_t *e = realloc(res->errors, need * sizeof *e);
        if (!e)
            return VOCFED_ENOMEM;
        res->errors = e;
        im->errcap = need;
    }
    memcpy(res->errors + res->nerrors, lr->errors,
           lr->nerrors * sizeof *lr->errors);
    res->nerrors = need;
    return VOCFED_OK;
}

/* Room for n rows in im->rows. Returns 0 or VOCFED_ENOMEM (im
 * unchanged). */
static int
s_rows_cap(node_import_i_t *im, size_t n)
{
    if (n > im->rowcap) {
        node_import_i_row_t *r = realloc(im->rows, n * sizeof *r);
        if (!r)
            return VOCFED_ENOMEM;
        im->rows = r;
        im->rowcap = n;
    }
    return VOCFED_OK;
}

int
node_import_i_rows_room(node_import_i_t *im, size_t more)
{
    if (more > UINT32_MAX - im->nrows || s_rows_cap(im, im->nrows + more))
        return VOCFED_ENOMEM;
    memset(im->rows + im->nrows, 0, more * sizeof *im->rows);
    return VOCFED_OK;
}

int
node_import_i_take(node_import_i_t *im, node_import_i_t *later)
{
    assert(!im->taken && !later->taken);
    size_t n = im->nrows + later->nrows;
    if (n >= UINT32_MAX - 2 || s_rows_cap(im, n))
        return VOCFED_ENOMEM;
    if (s_take_errors(im, later))
        return VOCFED_ENOMEM;
    if (im->lean != later->lean) /* both keep digests */
        node_import_i_go_lean(im->lean ? later : im);
    for (size_t i = 0; i < later->nrows; i++) {
        node_import_i_row_t *r = &im->rows[im->nrows + i];
        *r = later->rows[i];
        r->part = 1;
    }
    im->taken = true;
    im->split = im->nrows;
    im->nrows = n;
    im->keys2 = later->keys;
    im->bodies2 = later->bodies;
    im->seen2 = later->seen;
    im->seencap2 = later->seencap;
    im->seen_seed2 = later->seen_seed;
    proto_buf_init(&later->keys);
    proto_buf_init(&later->bodies);
    later->seen = NULL;
    later->seencap = 0;
    im->res->rows += later->res->rows;
    return VOCFED_OK;
}

/* The header of the column that holds field (its name if none). */
static const char *
s_header_of(const s_cells_t *c, const char *field)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->names[i], field) == 0)
            return c->headers[i];
    return field;
}

/* Checks the row's values: every problem recorded. Returns false if
 * any; *year_bad tells whether the field that ends the key is one. */
static bool
s_row_body(node_import_i_t *im, const s_cells_t *c, bool *year_bad)
{
    proto_kind_error_t errs[NODE_IMPORT_COLUMNS_MAX];
    size_t ne = 0;
    *year_bad = false;
    if (!proto_kind_body_defs(im->kind, c->defs, c->values, c->lens, c->n,
                              &im->bodies, errs, NODE_IMPORT_COLUMNS_MAX, &ne))
        return true;
    for (size_t i = 0; i < ne; i++) {
        const proto_kind_error_t *e = &errs[i];
        *year_bad |=
            im->kind->key_year && !strcmp(e->field, im->kind->key_year);
        node_import_i_error(im, im->row_line,
                            e->field[0] ? s_header_of(c, e->field) : "",
                            e->value, e->reason_zh, "%s", e->reason_en);
    }
    return false;
}

void
node_import_i_row(node_import_i_t *im)
{
    s_cells_t c;
    char key[PROTO_KEY_MAX + 1];
    proto_kind_error_t err;
    bool year_bad;
    if (!s_row_present(im))
        return;
    s_row_cells(im, &c);
    /* The key before the body (s_key reads the cells only), so that the
     * key's slot in the set, a miss in a table of megabytes, is fetched
     * while the body is checked. Its error is recorded after the body's,
     * and not when the year it ends with is bad (the body's error says
     * so). The hash waits for the set's seed, drawn with its first
     * slots. */
    /* A person's pseudonym is made with the next rows' (eight at a
     * time) when the row is kept as it is read, not in the write pass
     * nor lean (whose rows are kept one by one). */
    char norm[NODE_ID_NUMBER_MAX + 1];
    bool pend =
        c.keyrole == NODE_IMPORT_COL_ID_NUMBER && !im->emit && !im->lean;
    if (!pend)
        node_import_i_pend_flush(im); /* in the order of the file */
    bool key_bad = s_key(im, c.n, c.names, c.values, c.keyrole, c.keyval, key,
                         pend ? norm : NULL, &err);
    uint64_t tag = 0;
    bool tagged = !key_bad && !pend && !im->emit && im->seencap;
    if (tagged) {
        tag = s_key_hash(im, key);
        __builtin_prefetch(&im->seen[(size_t)(tag >> 32) & (im->seencap - 1)]);
    }
    size_t body_off = im->bodies.len;
    bool good = s_row_body(im, &c, &year_bad);
    if (!year_bad && key_bad) {
        node_import_i_error(im, im->row_line, c.keycol, c.keyval, err.reason_zh,
                            "%s", err.reason_en);
        good = false;
    }
    if (!good) {
        sodium_memzero(norm, sizeof norm);
        im->bodies.len = body_off;
        return;
    }
    if (im->emit) {
        im->emit(im, key, body_off);
    } else if (pend) {
        s_row_pend(im, &c, key, norm, body_off);
        sodium_memzero(norm, sizeof norm);
    } else {
        s_keep_t w = {im->row_line, c.keycol, c.keyval, body_off,
                      im->bodies.len - body_off};
        s_row_keep(im, &w, key, tagged ? &tag : NULL, false);
    }
}
