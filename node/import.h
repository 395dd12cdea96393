/* vocfed: bulk import of records from a CSV file or an Excel workbook
 * (DESIGN 6, 8; SPEC 11.4; issue 13).
 *
 * One file holds records of one kind: a header row of column names (the
 * field names of the kinds table, or their Chinese names), then one
 * record per row. A file that starts like an .xlsx (zip) or an .xls
 * (OLE2) is read as a workbook: the first sheet, or opts->sheet, read
 * whole into memory (node/sheet.h), its rows numbered as the sheet
 * numbers them. People's
 * ID-card numbers (column id_number) become pseudo_ids through the group
 * linkage key and their names (column name) are dropped: neither is ever
 * stored. Every row is checked first; if any is bad nothing is written
 * and every bad row is reported. Otherwise the rows that differ from the
 * current records (and, with sync, deletions of the records the file no
 * longer has) are appended in chunks of opts->chunk_rows records (and
 * NODE_IMPORT_CHUNK_BYTES of bodies): one transaction and one checkpoint
 * each. Rows equal to the current record write nothing, so importing the
 * same file twice adds no entry, and an import interrupted after some
 * chunks, run again, writes the rest and completes it.
 *
 * Memory: the file is mapped, not read into memory; each good row keeps
 * its key (~65 bytes for a person), a 56-byte row and a 16-byte slot of
 * the duplicate-key set, room for which is made at the first row for as
 * many rows as the text has lines (room never written takes no memory).
 * Bodies are kept while they total at most
 * opts->body_budget bytes; past it the import goes lean: each row keeps a
 * 16-byte digest of its body instead, and the write reads the file again
 * and makes the bodies of one chunk at a time (a file changed in between
 * is refused from that row on: VOCFED_EINVALID, "the file changed"). A
 * GB18030 file is converted to UTF-8 in memory whole. A large CSV text
 * is checked on two threads, the rows of each half on one; the result is
 * the same as one thread's, errors and all. */
#ifndef VOCFED_NODE_IMPORT_H
#define VOCFED_NODE_IMPORT_H

#include "protocol/checkpoint.h"
#include "protocol/entry.h"
#include "protocol/kinds.h"
#include "protocol/status.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_IMPORT_FILE_MAX ((uint64_t)1 << 40) /* bytes of one CSV file */
#define NODE_IMPORT_CHUNK_ROWS 100000 /* records of one transaction */
/* A sync deletes at most this percentage of the kind's current records,
 * and none when the file has no rows, unless opts->allow_delete is at
 * least the number it would delete: a file cut short or of the wrong
 * export must not wipe a school (issue 13). */
#define NODE_IMPORT_SYNC_SHARE 10
/* Bytes of bodies kept before an import goes lean (import.h above). */
#define NODE_IMPORT_BODY_BUDGET ((size_t)256 * 1024 * 1024)
/* A CSV text of at least this many bytes is checked on two threads, each
 * half of its rows on one (node/import_split.c). */
#define NODE_IMPORT_SPLIT_MIN ((size_t)4 * 1024 * 1024)

/* How the file's bytes are read. */
typedef enum {
    NODE_ENC_AUTO = 0, /* valid UTF-8 is UTF-8, anything else GB18030 */
    NODE_ENC_UTF8,     /* UTF-8 (a BOM is skipped) */
    NODE_ENC_GB18030,  /* GB18030, converted with iconv */
} node_encoding_t;

/* What an import is doing, for a progress display. */
typedef enum {
    NODE_IMPORT_VALIDATING = 0, /* reading and checking rows */
    NODE_IMPORT_WRITING = 1,    /* the appends, chunk by chunk */
} node_import_phase_t;

/* Called now and then with how far a phase is (done of total, in bytes
 * of the file while validating, in records while writing). */
typedef void (*node_import_progress_fn)(void *ctx, node_import_phase_t phase,
                                        uint64_t done, uint64_t total);

/* What to import, and how. Zero-initialise for the defaults. */
typedef struct {
    const char *kind;                 /* record kind (of the kinds table) */
    node_encoding_t encoding;         /* how to read the bytes (CSV) */
    const char *sheet;                /* a workbook's sheet to read, or
                                         NULL: the first */
    bool check;                       /* check and count only, write nothing */
    bool sync;                        /* also delete this kind's records that
                                         the file does not have */
    bool allow_delete_set;            /* allow_delete was given */
    uint64_t allow_delete;            /* sync: deletions allowed (see
                                         NODE_IMPORT_SYNC_SHARE) */
    const uint8_t *linkage_key;       /* NODE_LINKAGE_KEY_LEN bytes, or NULL
                                         (then an id_number column is refused) */
    bool coordinator;                 /* the importing node is the
                                         coordinator (node_append's role
                                         rule) */
    size_t chunk_rows;                /* records of one transaction; 0:
                                         NODE_IMPORT_CHUNK_ROWS */
    size_t body_budget;               /* bytes of bodies kept; 0:
                                         NODE_IMPORT_BODY_BUDGET */
    size_t split_min;                 /* CSV text checked on two threads
                                         from this many bytes; 0:
                                         NODE_IMPORT_SPLIT_MIN, SIZE_MAX:
                                         never. Tests lower it. */
    uint64_t time_ms;                 /* the entries' time (ms since the
                                         epoch); 0: now. Tests fix it to
                                         compare roots. */
    bool test_no_plain;               /* libcsv reads every line, plain
                                         or not (tests compare) */
    node_import_progress_fn progress; /* or NULL */
    void *progress_ctx;               /* passed to progress */
} node_import_opts_t;

/* One bad row (or a bad header, or a file that cannot be read). */
typedef struct {
    size_t line;                      /* 1-based line of the file */
    char column[PROTO_FIELD_MAX + 1]; /* column name, "" for the row */
    char value[128];                  /* the value (cut if long) */
    char reason_en[PROTO_REASON_MAX]; /* what is wrong, what is allowed */
    char reason_zh[PROTO_REASON_MAX]; /* the same in Chinese */
} node_import_error_t;

/* What an import found and did. */
typedef struct {
    int format;                  /* what the file is: a
                                    node_sheet_format_t (CSV text, xlsx,
                                    xls) */
    node_encoding_t encoding;    /* how the file was read (CSV) */
    bool bom;                    /* it started with a byte order mark */
    bool dropped_name;           /* a name column was dropped */
    size_t rows;                 /* data rows read */
    size_t added;                /* records that did not exist */
    size_t changed;              /* records whose body changes */
    size_t unchanged;            /* rows equal to the current record */
    size_t deleted;              /* records deleted (sync) */
    size_t current;              /* the kind's records before (sync) */
    char *del_keys;              /* sync: the keys deleted (or that would
                                    be, or were refused), each
                                    NUL-terminated, one after another;
                                    owned */
    bool delete_refused;         /* sync: too many deletions, nothing
                                    written (errors say why) */
    bool header_bad;             /* the errors are the header's: no row
                                    was read */
    uint64_t first_seq;          /* first entry written (0 if none) */
    uint64_t last_seq;           /* last entry written (0 if none) */
    store_head_t head;           /* the log's head afterwards (size 0
                                    and zero root when nothing was
                                    written) */
    node_import_error_t *errors; /* bad rows, in line order; owned */
    size_t nerrors;              /* how many */
} node_import_result_t;

/* Imports the CSV text data (len bytes) into author's log in store,
 * signing with sk (may be NULL with opts->check). res is filled (free
 * with node_import_result_release), also on failure. Returns 0 (written,
 * or with check: all rows good), VOCFED_EINVALID (bad rows: res->errors;
 * nothing written), VOCFED_ENOTFOUND (opts->kind is not a kind),
 * VOCFED_EKEY (an id_number column and no linkage key),
 * VOCFED_EDENIED (sync would delete more than NODE_IMPORT_SYNC_SHARE per
 * cent of the records, or any from a file of no rows, and
 * opts->allow_delete does not allow as many: res->delete_refused, one
 * error saying so, res->deleted and res->del_keys what would go;
 * nothing written), or a store
 * status: nothing more written, though the chunks before may have been
 * (then res->first_seq..last_seq; the same import again completes it). */
int node_import(store_t *store, const char *author, const uint8_t *sk,
                const node_import_opts_t *opts, const uint8_t *data, size_t len,
                node_import_result_t *res) VOCFED_WUR;

/* Reads and checks the CSV text data (len bytes) as node_import does
 * (encoding, header, every row, keys given twice), without a store:
 * nothing is compared with current records or written, so res tells
 * the rows read and the bad ones, not what would change. For callers
 * that only check a file's form, and for the fuzzer. Returns 0 (all rows
 * good), VOCFED_EINVALID (res->errors), VOCFED_ENOTFOUND (opts->kind is
 * not a kind), VOCFED_EKEY or VOCFED_ENOMEM. */
int node_import_parse(const node_import_opts_t *opts, const uint8_t *data,
                      size_t len, node_import_result_t *res) VOCFED_WUR;

/* node_import on the file at path (at most NODE_IMPORT_FILE_MAX bytes).
 * Also returns VOCFED_ETOOLARGE, or -errno when the file cannot be
 * read. */
int node_import_file(store_t *store, const char *author, const uint8_t *sk,
                     const node_import_opts_t *opts, const char *path,
                     node_import_result_t *res) VOCFED_WUR;

/* Frees what an import allocated in res and zeroes it. */
void node_import_result_release(node_import_result_t *res);

/* "utf-8" or "gb18030" (auto: "auto"). */
const char *node_encoding_name(node_encoding_t e);

#endif
