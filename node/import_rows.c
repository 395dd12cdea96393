/* vocfed: an import's header and rows to records: which column is
 * what, the natural key from the kind's rules (key column, key form,
 * person), the body through the kinds table (see import_i.h; SPEC 11.4
 * steps 3-5). */
#include "node/import_i.h"

#include "node/figures_catalogue.h"
#include "node/linkage.h"

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

/* Lists the columns a file of this kind may have, for a message. */
static void
s_columns_allowed(const node_import_i_t *im, char *out, size_t cap)
{
    size_t used = 0;
    int n = snprintf(out, cap, "key");
    used = n > 0 ? (size_t)n : 0;
    if (im->kind->key_column && used < cap) {
        n = snprintf(out + used, cap - used, ", %s", im->kind->key_column);
        used += n > 0 ? (size_t)n : 0;
    }
    if (im->kind->person && used < cap) {
        n = snprintf(out + used, cap - used, ", id_number, name (dropped)");
        used += n > 0 ? (size_t)n : 0;
    }
    for (size_t i = 0; i < im->kind->nfields && used < cap; i++) {
        n = snprintf(out + used, cap - used, ", %s", im->kind->fields[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* Column i of the header: its role (seen[role] set), or an error. */
static void
s_header_column(node_import_i_t *im, size_t i, const char *allowed, bool *seen)
{
    const proto_kind_def_t *k = im->kind;
    size_t line = im->row_line;
    const char *name = node_import_i_cell(im, i);
    node_import_i_col_t *c = &im->cols[i];
    node_import_i_copy_utf8(c->name, sizeof c->name, name);
    for (size_t j = 0; j < i; j++)
        if (strcmp(im->cols[j].name, name) == 0) {
            node_import_i_error(im, line, name, name, "列名重复",
                                "column given twice");
            im->header_bad = true;
        }
    if (proto_kind_field(k, name, strlen(name))) {
        c->role = NODE_IMPORT_COL_FIELD;
    } else if (strcmp(name, "key") == 0) {
        c->role = NODE_IMPORT_COL_KEY;
    } else if (k->key_column && strcmp(name, k->key_column) == 0) {
        c->role = NODE_IMPORT_COL_NATURAL;
    } else if (k->person && strcmp(name, "id_number") == 0) {
        c->role = NODE_IMPORT_COL_ID_NUMBER;
    } else if (k->person && strcmp(name, "name") == 0) {
        c->role = NODE_IMPORT_COL_DROP;
        im->res->dropped_name = true;
    } else {
        node_import_i_error(im, line, name, name, "未知列",
                            "%s has no column '%s'; its columns: %s", k->name,
                            name, allowed);
        im->header_bad = true;
        return;
    }
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
            present |= im->cols[i].role == NODE_IMPORT_COL_FIELD &&
                       strcmp(im->cols[i].name, k->fields[j].name) == 0;
        if (k->fields[j].required && !present) {
            node_import_i_error(im, im->row_line, k->fields[j].name, "",
                                "缺少必填列", "required column is missing");
            im->header_bad = true;
        }
    }
}

void
node_import_i_header(node_import_i_t *im)
{
    const proto_kind_def_t *k = im->kind;
    size_t line = im->row_line;
    bool has_key, has_natural, has_id;
    bool seen[NODE_IMPORT_COL_DROP + 1] = {false};
    char allowed[600];
    /* Only NODE_IMPORT_COLUMNS_MAX cells of a row are kept. */
    if (im->too_many) {
        char got[32];
        snprintf(got, sizeof got, "%zu", im->ncells);
        node_import_i_error(im, line, "", got, "表头列数过多",
                            "the header has more than %d columns",
                            NODE_IMPORT_COLUMNS_MAX);
        im->header_bad = true;
        return;
    }
    s_columns_allowed(im, allowed, sizeof allowed);
    im->ncols = im->ncells;
    for (size_t i = 0; i < im->ncells; i++)
        s_header_column(im, i, allowed, seen);
    has_key = seen[NODE_IMPORT_COL_KEY];
    has_natural = seen[NODE_IMPORT_COL_NATURAL];
    has_id = seen[NODE_IMPORT_COL_ID_NUMBER];
    if (has_key + has_natural + has_id > 1) {
        node_import_i_error(im, line, has_key ? "key" : im->kind->key_column,
                            "", "键列只能有一个",
                            "give the key in one column only (key, %s%s)",
                            im->kind->key_column ? im->kind->key_column : "",
                            im->kind->person ? " or id_number" : "");
        im->header_bad = true;
    }
    /* A kind with one fixed key (member: "profile") needs no key column;
     * every other kind names its key in a column. */
    if (!has_key && !has_natural && !has_id && k->key_form != PROTO_KEY_FIXED) {
        node_import_i_error(im, line, "", "", "缺少键列",
                            "no key column: give one of key%s%s%s",
                            im->kind->key_column ? ", " : "",
                            im->kind->key_column ? im->kind->key_column : "",
                            im->kind->person ? ", id_number" : "");
        im->header_bad = true;
    }
    s_header_required(im);
    if (has_id && !im->opts->linkage_key && im->status == VOCFED_OK)
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

/* Makes a row's natural key (SPEC 11.2) from its key cell (keyval, in a
 * column of role keyrole; NODE_IMPORT_COL_DROP for none) and its fields.
 * Returns 0 with key filled, or VOCFED_EINVALID with err's reasons filled. */
static int
s_key(const node_import_i_t *im, size_t n, const char *const *names,
      const char *const *values, node_import_i_role_t keyrole,
      const char *keyval, char key[PROTO_KEY_MAX + 1], proto_kind_error_t *err)
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
        if (node_pseudo_id(im->opts->linkage_key, keyval, pseudo))
            return s_refuse(err,
                            "不是有效的身份证号（18 位号码的校验位须正确）",
                            "not a valid ID-card number (letters and "
                            "digits; an 18-digit number must have its "
                            "right check digit)");
        pid = pseudo;
    } else if (keyrole == NODE_IMPORT_COL_NATURAL && im->kind->person) {
        pid = keyval;
    }
    if (pid && k->key_form == PROTO_KEY_PSEUDO_YEAR) {
        const char *year = "";
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], k->key_year) == 0)
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
    const char *names[NODE_IMPORT_COLUMNS_MAX];  /* field names */
    const char *values[NODE_IMPORT_COLUMNS_MAX]; /* their values */
    size_t n;                                    /* how many */
    const char *keycol;                          /* the key's column, "" */
    const char *keyval;                          /* its value, "" */
    node_import_i_role_t keyrole; /* its role; NODE_IMPORT_COL_DROP: none */
} s_cells_t;

/* Whether the current row is there: rows of empty cells (what
 * spreadsheets leave at the end) are not rows, and a row must have the
 * header's number of cells (recorded as an error otherwise). */
static bool
s_row_present(node_import_i_t *im)
{
    /* Only the first NODE_IMPORT_COLUMNS_MAX cells are kept. */
    bool empty = !im->extra_text;
    for (size_t i = 0; i < im->ncells && i < NODE_IMPORT_COLUMNS_MAX && empty;
         i++)
        empty = node_import_i_cell(im, i)[0] == '\0';
    if (empty)
        return false;
    im->res->rows++;
    if (im->too_many || im->ncells != im->ncols) {
        char got[32];
        snprintf(got, sizeof got, "%zu", im->ncells);
        node_import_i_error(im, im->row_line, "", got, "列数与表头不一致",
                            "the row has %zu cells, the header %zu columns",
                            im->ncells, im->ncols);
        return false;
    }
    return true;
}

static void
s_row_cells(const node_import_i_t *im, s_cells_t *c)
{
    *c = (s_cells_t){
        .keycol = "", .keyval = "", .keyrole = NODE_IMPORT_COL_DROP};
    for (size_t i = 0; i < im->ncols; i++) {
        const char *v = node_import_i_cell(im, i);
        switch (im->cols[i].role) {
        case NODE_IMPORT_COL_FIELD:
            c->names[c->n] = im->cols[i].name;
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
            break;
        }
    }
}

/* ---- the keys given so far ---------------------------------------------
 * A set of row indexes hashed by their keys in the key arena: one
 * uint64_t a slot and no copy of a key (a zhashx made one per row). */

static uint64_t
s_key_hash(const char *key)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, 64 bits */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* The slot for key: the one holding it, or the empty one it would take. */
static size_t
s_seen_slot(const node_import_i_t *im, const char *key, uint64_t tag)
{
    size_t mask = im->seencap - 1;
    for (size_t i = (size_t)(tag >> 32) & mask;; i = (i + 1) & mask) {
        uint64_t v = im->seen[i];
        if (v == 0)
            return i;
        if ((v >> 32) == (tag >> 32) &&
            strcmp((const char *)im->keys.data +
                       im->rows[(uint32_t)v - 1].key_off,
                   key) == 0)
            return i;
    }
}

size_t
node_import_i_seen_find(const node_import_i_t *im, const char *key)
{
    if (!im->seencap)
        return 0;
    uint64_t tag = s_key_hash(key);
    return (uint32_t)im->seen[s_seen_slot(im, key, tag)];
}

/* Doubles the set (at least 2048 slots). Returns 0 or VOCFED_ENOMEM. */
static int
s_seen_grow(node_import_i_t *im)
{
    size_t cap = im->seencap ? 2 * im->seencap : 2048;
    uint64_t *old = im->seen;
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

/* Adds row (its key already in the arena), not in the set yet. */
static int
s_seen_add(node_import_i_t *im, size_t row)
{
    if (row >= UINT32_MAX - 1)
        return VOCFED_ENOMEM;
    if ((im->nrows + 1) * 2 > im->seencap && s_seen_grow(im))
        return VOCFED_ENOMEM;
    const char *key = (const char *)im->keys.data + im->rows[row].key_off;
    uint64_t h = s_key_hash(key);
    size_t i = s_seen_slot(im, key, h);
    im->seen[i] = (h & 0xffffffff00000000ull) | (uint64_t)(row + 1);
    return VOCFED_OK;
}

void
node_import_i_seen_release(node_import_i_t *im)
{
    free(im->seen);
    im->seen = NULL;
    im->seencap = 0;
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

/* Past the budget: every row kept so far gets its digest, and the
 * bodies go (the write pass makes them again). */
static void
s_go_lean(node_import_i_t *im)
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

/* Keeps a good row (its body is at body_off of the body arena) unless
 * its key was in the file already. */
static void
s_row_keep(node_import_i_t *im, const s_cells_t *c, const char *key,
           size_t body_off)
{
    size_t first = node_import_i_seen_find(im, key);
    if (first) {
        char zh[64];
        size_t other = im->rows[first - 1].line;
        im->bodies.len = body_off;
        snprintf(zh, sizeof zh, "与第 %zu 行的键重复", other);
        node_import_i_error(im, im->row_line, c->keycol, c->keyval, zh,
                            "the same key as line %zu", other);
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
    *r = (node_import_i_row_t){.line = im->row_line,
                               .key_off = im->keys.len,
                               .body_off = body_off,
                               .body_len = im->bodies.len - body_off};
    if (proto_buf_append(&im->keys, key, strlen(key) + 1) ||
        s_seen_add(im, im->nrows)) {
        im->status = VOCFED_ENOMEM;
        return;
    }
    im->nrows++;
    if (!im->lean && im->bodies.len > im->body_budget)
        s_go_lean(im);
    else if (im->lean)
        s_row_lean(im, r);
}

void
node_import_i_row(node_import_i_t *im)
{
    s_cells_t c;
    char key[PROTO_KEY_MAX + 1];
    proto_kind_error_t err;
    if (!s_row_present(im))
        return;
    s_row_cells(im, &c);
    size_t body_off = im->bodies.len;
    if (proto_kind_body(im->kind, c.names, c.values, c.n, &im->bodies, &err)) {
        im->bodies.len = body_off;
        node_import_i_error(im, im->row_line, err.field, err.value,
                            err.reason_zh, "%s", err.reason_en);
        return;
    }
    if (s_key(im, c.n, c.names, c.values, c.keyrole, c.keyval, key, &err)) {
        im->bodies.len = body_off;
        node_import_i_error(im, im->row_line, c.keycol, c.keyval, err.reason_zh,
                            "%s", err.reason_en);
        return;
    }
    if (im->emit)
        im->emit(im, key, body_off);
    else
        s_row_keep(im, &c, key, body_off);
}
