/* vocfed: the parts of an import, shared by its files (not a public
 * header: only node/import*.c include it).
 *
 * node/import_text.c reads the file: bytes to UTF-8, libcsv, the errors;
 * node/import_rows.c maps the header and each row to a record (the key
 * from the kind's rules, the body through the kinds table);
 * node/import.c compares the rows with the store and writes them in one
 * append. Each row is checked against the kind's definition
 * (proto_kind_def_t): its key column, key form and whether it is a
 * person. */
#ifndef VOCFED_NODE_IMPORT_I_H
#define VOCFED_NODE_IMPORT_I_H

#include "node/import.h"
#include "node/linkage.h"
#include "node/sheet.h"
#include "protocol/buf.h"
#include "protocol/kinds.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_IMPORT_COLUMNS_MAX 64 /* columns of one file */
#define NODE_IMPORT_DIGEST_LEN 16  /* a row's body digest (lean mode) */
/* Bodies of one transaction at most (besides opts->chunk_rows rows). */
#define NODE_IMPORT_CHUNK_BYTES ((size_t)64 * 1024 * 1024)

/* What a column of the file is. */
typedef enum {
    NODE_IMPORT_COL_FIELD = 0, /* a field of the kind */
    NODE_IMPORT_COL_KEY,       /* "key": the natural key as it is */
    NODE_IMPORT_COL_NATURAL, /* the kind's key column (code, year, pseudo_id) */
    NODE_IMPORT_COL_ID_NUMBER, /* id_number: becomes the pseudo_id, never stored
                                */
    NODE_IMPORT_COL_DROP,      /* name of a person: dropped, never stored */
    NODE_IMPORT_COL_NONE,      /* no header (what spreadsheets leave at the
                                  right): its cells must be empty */
} node_import_i_role_t;

/* One column of the header. */
typedef struct {
    char name[PROTO_FIELD_MAX + 1]; /* as written in the header (trimmed) */
    const proto_field_def_t *field; /* NODE_IMPORT_COL_FIELD: which */
    node_import_i_role_t role;      /* what it is */
} node_import_i_col_t;

/* One good row, kept until the write. */
typedef struct {
    size_t line;     /* where it is in the file */
    size_t key_off;  /* its key in the key arena (NUL-terminated) */
    size_t body_off; /* its canonical body in the body arena */
    size_t body_len; /* its length */
    uint8_t state;   /* NODE_IMPORT_ROW_* once compared with the store */
    uint8_t part;    /* 1: taken from a later part (node_import_i_take),
                        its key and body in that part's arenas */
    uint8_t digest[NODE_IMPORT_DIGEST_LEN]; /* of its body, in lean mode
                                               (the body is not kept) */
} node_import_i_row_t;

enum {
    NODE_IMPORT_ROW_NEW = 0,
    NODE_IMPORT_ROW_CHANGED,
    NODE_IMPORT_ROW_UNCHANGED
};

typedef struct node_import_i_s node_import_i_t;

/* In the write pass of a lean import: a good row (key, body at body_off
 * of the body arena to its end), in file order. */
typedef void (*node_import_i_emit_fn)(node_import_i_t *im, const char *key,
                                      size_t body_off);

/* A good row whose key's pseudonym waits to be made with the next ones
 * (eight at a time, node_pseudo_ids_normalised), and the row kept then
 * (import_rows.c). Holds a person's number: wiped once kept. */
#define NODE_IMPORT_PEND 8
typedef struct {
    char norm[NODE_ID_NUMBER_MAX + 1]; /* its ID number, normalised */
    char key[PROTO_KEY_MAX + 1];       /* its key, the pseudonym's 64
                                          digits at its start to fill */
    char keyval[128];                  /* the key's cell, as in an error */
    const char *keycol;                /* its column's name (the header's) */
    size_t line;                       /* the line it began on */
    size_t body_off, body_len;         /* its body in the body arena */
} node_import_i_pend_t;

/* The state of one import. */
struct node_import_i_s {
    const node_import_opts_t *opts; /* what to do */
    const proto_kind_def_t *kind;   /* the kind's table entry */
    node_import_result_t *res;      /* what is found */
    int status;                     /* first hard failure (ENOMEM, EKEY) */
    node_sheet_t *sheet;            /* a workbook's sheet, or NULL (CSV) */
    size_t line;                    /* the line being fed to the parser */
    size_t line_base;               /* lines of the file before the text
                                       given to the parser (a second half,
                                       import_split.c) */
    uint64_t progress_len;          /* the bytes progress is told of: the
                                       whole file's when the text is its
                                       first half; 0: the text's */
    size_t row_line;                /* the line the current row began on */
    bool in_row;                    /* a row has begun and not ended */
    size_t errcap;                  /* errors allocated */
    /* the current row's fields */
    proto_buf_t cells; /* their bytes, each NUL-terminated */
    size_t cell_off[NODE_IMPORT_COLUMNS_MAX + 1]; /* where each starts */
    size_t ncells;                                /* how many so far */
    bool too_many;   /* more than NODE_IMPORT_COLUMNS_MAX */
    bool extra_text; /* a cell past NODE_IMPORT_COLUMNS_MAX (not kept) had text
                      */
    /* the header */
    node_import_i_col_t cols[NODE_IMPORT_COLUMNS_MAX]; /* its columns */
    size_t ncols;    /* how many; 0 until it is read */
    size_t nnamed;   /* columns up to the last one with a name */
    bool header_bad; /* it has errors: rows are skipped */
    /* the good rows */
    node_import_i_row_t *rows; /* in file order */
    size_t nrows, rowcap;      /* used, allocated */
    proto_buf_t keys;          /* their keys */
    proto_buf_t bodies;        /* their bodies */
    uint64_t *seen;     /* open addressing over the key arena, no copies: each
                           slot (hash >> 32) << 32 | (row index + 1), 0 empty */
    size_t seencap;     /* slots (a power of two), 0 before the first row */
    uint64_t seen_seed; /* their hash's, drawn with the first slots */
    size_t rows_hint;   /* the lines of the text: how many rows to make
                           room for at the first one (0: grow as they come) */
    /* What node_import_i_take took in: the later part's rows are
     * rows[split, nrows), their keys and bodies in its own arenas (not
     * copied), found through its own set (index + 1 from split). */
    bool taken;          /* a later part was taken in */
    size_t split;        /* its first row */
    proto_buf_t keys2;   /* its keys */
    proto_buf_t bodies2; /* its bodies (empty when lean) */
    uint64_t *seen2;     /* its key set */
    size_t seencap2;     /* its slots */
    uint64_t seen_seed2; /* its hash's seed */
    /* Past body_budget bytes of bodies the import goes lean: each row
     * keeps a digest of its body instead, and the write reads the file
     * again (node_import.h). */
    size_t body_budget;          /* bytes of bodies kept at most */
    bool lean;                   /* bodies dropped, digests kept */
    node_import_i_emit_fn emit;  /* the write pass: rows go there, not kept */
    void *emit_ctx;              /* for emit */
    size_t wrow;                 /* the write pass: good rows seen */
    node_pseudonymiser_t pseudo; /* opts->linkage_key made ready (if any) */
    node_import_i_pend_t pend[NODE_IMPORT_PEND]; /* rows waiting for their */
    size_t npend;                                /* pseudonyms, in order */
};

/* A kept row's key (NUL-terminated). */
static inline const char *
node_import_i_key(const node_import_i_t *im, const node_import_i_row_t *r)
{
    return (const char *)(r->part ? im->keys2.data : im->keys.data) +
           r->key_off;
}

/* A kept row's body (r->body_len bytes; not in lean mode). */
static inline const uint8_t *
node_import_i_body(const node_import_i_t *im, const node_import_i_row_t *r)
{
    return (r->part ? im->bodies2.data : im->bodies.data) + r->body_off;
}

/* The digest of a row's body (lean mode). */
void node_import_i_digest(const uint8_t *body, size_t len,
                          uint8_t out[NODE_IMPORT_DIGEST_LEN]);

/* Records one bad row in im->res (sets im->status on ENOMEM). */
void node_import_i_error(node_import_i_t *im, size_t line, const char *column,
                         const char *value, const char *zh, const char *fmt,
                         ...) __attribute__((format(printf, 6, 7)));

/* Copies src into dst (cap bytes), cut at a UTF-8 character boundary. */
void node_import_i_copy_utf8(char *dst, size_t cap, const char *src);

/* Calls the caller's progress function, if any. */
void node_import_i_progress(node_import_i_t *im, node_import_phase_t phase,
                            uint64_t done, uint64_t total);

/* Decodes the file's bytes into UTF-8 text: *text points into data, or
 * into *buf (malloc'd, the caller frees it) after a conversion. Returns 0,
 * or VOCFED_EINVALID after recording why, or an environment status. */
int node_import_i_decode(node_import_i_t *im, const uint8_t *data, size_t len,
                         uint8_t **buf, const uint8_t **text,
                         size_t *tlen) VOCFED_WUR;

/* Feeds the text to libcsv (or, with im->sheet, the sheet's rows): the
 * first row to node_import_i_header, the others to node_import_i_row.
 * Returns 0, VOCFED_EINVALID (not CSV, recorded) or VOCFED_ENOMEM. */
int node_import_i_parse(node_import_i_t *im, const uint8_t *text,
                        size_t len) VOCFED_WUR;

/* The i-th cell of the current row (NUL-terminated, in im->cells). */
const char *node_import_i_cell(const node_import_i_t *im, size_t i);

/* Reads the header row from the current cells: each column's role. */
void node_import_i_header(node_import_i_t *im);

/* The row of the file whose key is key: its index + 1, or 0 if none. */
size_t node_import_i_seen_find(const node_import_i_t *im, const char *key);

/* Frees the key sets (and what node_import_i_take took in). */
void node_import_i_seen_release(node_import_i_t *im);

/* Whether a key of later's rows [from, to) is one of im's rows (im not
 * yet having taken a part in). Reads only: two threads may look at
 * once. */
bool node_import_i_seen_any(const node_import_i_t *im,
                            const node_import_i_t *later, size_t from,
                            size_t to);

/* Checks the current data row and keeps it (key, body) if good; a row
 * keyed by an ID number may wait for the next ones' (their pseudonyms
 * made together): node_import_i_pend_flush keeps those waiting, and
 * node_import_i_parse calls it at its end. */
void node_import_i_row(node_import_i_t *im);

/* Keeps the rows waiting for their pseudonyms (above). */
void node_import_i_pend_flush(node_import_i_t *im);

/* Past the body budget: every row kept so far gets its digest, and the
 * bodies go (the write pass makes them again). */
void node_import_i_go_lean(node_import_i_t *im);

/* Room for more rows after im's, its memory written once now (zeros),
 * so that node_import_i_take's copy of a later part's rows into it is
 * not the first touch of fresh pages (a fault each, dear on a virtual
 * machine: bench/README.md). The first half's thread calls it while the
 * second half is still being checked. Best effort: on VOCFED_ENOMEM im
 * is unchanged and take grows its rows itself. */
int node_import_i_rows_room(node_import_i_t *im, size_t more);

/* Takes in the rows of later, the next part of the same file checked
 * on its own with the same header, no key of which is one of im's
 * (node_import_i_seen_any, which the caller asked): its rows and errors
 * after im's, its key and body arenas and its key set moved in whole
 * (not copied: later's are left empty), or its digests when either is
 * lean. Once only, and im's own rows are then complete. Returns 0 or
 * VOCFED_ENOMEM (im unchanged). */
int node_import_i_take(node_import_i_t *im, node_import_i_t *later) VOCFED_WUR;

/* node_import_i_parse, on two threads when the text is large enough
 * (opts->split_min): the header and the rows up to a line near the
 * middle on this one, the rest on another, then put together
 * (node_import_i_take). The same result as node_import_i_parse; a file
 * with the same key in both halves is checked again whole, on one
 * thread, for its error to read as one thread's. */
int node_import_i_parse_split(node_import_i_t *im, const uint8_t *text,
                              size_t len) VOCFED_WUR;

/* Whether data (len bytes) is UTF-8 (proto_utf8_valid), looked at on two
 * threads when it is as large as node_import_i_parse_split would split:
 * the halves cut before a byte that starts a character, so that each
 * is UTF-8 exactly when the whole is. */
bool node_import_i_utf8_valid(const node_import_i_t *im, const uint8_t *data,
                              size_t len);

#endif
