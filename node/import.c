/* vocfed: bulk import of records from CSV (see import.h; SPEC 11.4):
 * the whole run, and comparing and writing against the store. */
#include "node/import.h"
#include "node/file.h"
#include "node/node.h"

#include "node/import_i.h"
#include "storage/replica.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- against the store ----------------------------------------------------
 */

/* What the scan of the current records collects. */
typedef struct {
    node_import_i_t *im;  /* the import */
    store_record_t *dels; /* sync: records to delete */
    size_t ndels, delcap; /* used, allocated */
    proto_buf_t delkeys;  /* their keys */
    size_t changed, same; /* rows found changed, unchanged (each once:
                             a key is one record, and one row) */
} s_scan_t;

/* Whether r's body is body (of r->body_len bytes). */
static bool
s_same_body(const node_import_i_t *im, const node_import_i_row_t *r,
            const uint8_t *body)
{
    uint8_t d[NODE_IMPORT_DIGEST_LEN];
    if (!im->lean)
        return memcmp(body, node_import_i_body(im, r), r->body_len) == 0;
    node_import_i_digest(body, r->body_len, d);
    return memcmp(d, r->digest, sizeof d) == 0;
}

static int
s_on_current(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
             size_t len)
{
    s_scan_t *sc = ctx;
    node_import_i_t *im = sc->im;
    (void)seq;
    size_t idx = node_import_i_seen_find(im, key);
    if (idx && im->opts->sync)
        im->res->current++;
    if (idx) {
        proto_entry_t e;
        node_import_i_row_t *r = &im->rows[idx - 1];
        int rc = proto_entry_decode(entry, len, &e);
        if (rc)
            return rc == VOCFED_ENOMEM ? rc : VOCFED_ECORRUPT;
        r->state = e.body_len == r->body_len && s_same_body(im, r, e.body)
                       ? NODE_IMPORT_ROW_UNCHANGED
                       : NODE_IMPORT_ROW_CHANGED;
        sc->same += r->state == NODE_IMPORT_ROW_UNCHANGED;
        sc->changed += r->state == NODE_IMPORT_ROW_CHANGED;
        return 0;
    }
    if (!im->opts->sync)
        return 0;
    im->res->current++;
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

/* ---- writing, chunk by chunk ------------------------------------------ */

/* The records of one transaction being gathered. A put's body is its
 * offset in *body until the chunk is written (the arena may move as it
 * grows), or its address when body is NULL. With the bodies in place
 * (body NULL), a full chunk waits in held until the one after it is
 * gathered too, so that the store encodes that one while the held one's
 * commit syncs (store_append_next). */
typedef struct {
    node_import_i_t *im;     /* the import */
    store_t *store;          /* where */
    const char *author;      /* whose log */
    const uint8_t *sk;       /* signing key */
    store_record_t *recs;    /* the chunk's records */
    size_t n, cap;           /* used, room (opts->chunk_rows) */
    store_record_t *held;    /* a full chunk not written yet (cap of room) */
    size_t nheld;            /* its records (0: none) */
    const proto_buf_t *body; /* the arena the bodies are in, or NULL */
    size_t bytes;            /* bodies in the chunk */
    uint64_t done, total;    /* records written, to write */
} s_writer_t;

/* Appends n records: one transaction, one checkpoint; the store is told
 * the nn records at next are the next chunk (NULL: none known). */
static int
s_append(s_writer_t *w, const store_record_t *recs, size_t n,
         const store_record_t *next, size_t nn)
{
    node_import_i_t *im = w->im;
    node_import_result_t *res = im->res;
    store_append_next(w->store, next, nn);
    int rc = node_append_as(w->store, w->author, w->sk, im->opts->coordinator,
                            recs, n, im->opts->time_ms, &res->head, NULL);
    if (rc)
        return rc;
    if (!res->first_seq)
        res->first_seq = res->head.size - n + 1;
    res->last_seq = res->head.size;
    w->done += n;
    node_import_i_progress(im, NODE_IMPORT_WRITING, w->done, w->total);
    return VOCFED_OK;
}

/* Writes what is gathered: the held chunk, then the one being filled. */
static int
s_flush(s_writer_t *w)
{
    int rc = VOCFED_OK;
    if (w->nheld) {
        rc = s_append(w, w->held, w->nheld, w->n ? w->recs : NULL, w->n);
        w->nheld = 0;
    }
    if (rc || w->n == 0)
        return rc;
    for (size_t i = 0; w->body && i < w->n; i++)
        if (w->recs[i].op == PROTO_OP_PUT)
            w->recs[i].body = w->body->data + (uintptr_t)w->recs[i].body;
    rc = s_append(w, w->recs, w->n, NULL, 0);
    w->n = 0;
    w->bytes = 0;
    return rc;
}

/* A full chunk: written now (bodies by offset: the arena starts afresh
 * after it), or held until the next is gathered, the held one before it
 * written now with this one named next. */
static int
s_full(s_writer_t *w)
{
    if (w->body || !w->held)
        return s_flush(w);
    int rc = VOCFED_OK;
    if (w->nheld)
        rc = s_append(w, w->held, w->nheld, w->recs, w->n);
    store_record_t *t = w->held;
    w->held = w->recs;
    w->nheld = w->n;
    w->recs = t;
    w->n = 0;
    w->bytes = 0;
    return rc;
}

/* Adds a record (a put's body: len bytes at offset off of w->body, or
 * at address off when w->body is NULL) and writes the chunk once full. */
static int
s_add(s_writer_t *w, store_record_t rec, uintptr_t off, size_t len)
{
    if (rec.op == PROTO_OP_PUT) {
        rec.body = (const uint8_t *)(uintptr_t)off;
        rec.body_len = len;
        w->bytes += len;
    }
    w->recs[w->n++] = rec;
    return w->n == w->cap || w->bytes >= NODE_IMPORT_CHUNK_BYTES ? s_full(w)
                                                                 : VOCFED_OK;
}

static store_record_t
s_put(const node_import_i_t *im, const node_import_i_row_t *r)
{
    /* Its body is the check's proto_body_encode (or the write pass's). */
    return (store_record_t){.op = PROTO_OP_PUT,
                            .kind = im->kind->name,
                            .key = node_import_i_key(im, r),
                            .body_made = true};
}

/* The write pass of a lean import (node_import_i_emit_fn): the file read
 * again gives each row's body back; the row must be the one checked. */
static void
s_emit(node_import_i_t *im, const char *key, size_t body_off)
{
    s_writer_t *w = im->emit_ctx;
    size_t k = im->wrow++, len = im->bodies.len - body_off;
    uint8_t d[NODE_IMPORT_DIGEST_LEN];
    node_import_i_digest(im->bodies.data + body_off, len, d);
    const node_import_i_row_t *r = k < im->nrows ? &im->rows[k] : NULL;
    if (!r || r->body_len != len || memcmp(d, r->digest, sizeof d) != 0 ||
        strcmp(key, node_import_i_key(im, r)) != 0) {
        im->bodies.len = body_off;
        node_import_i_error(im, im->row_line, "", "", "文件在导入过程中被修改",
                            "the file changed while it was imported");
        im->status = VOCFED_EINVALID;
        return;
    }
    if (r->state == NODE_IMPORT_ROW_UNCHANGED) {
        im->bodies.len = body_off;
        return;
    }
    int rc = s_add(w, s_put(im, r), body_off, len);
    if (w->n == 0)
        im->bodies.len = 0; /* written: the arena starts afresh */
    if (rc)
        im->status = rc;
}

/* Reads the text again (a lean import) and writes the rows that differ. */
static int
s_write_lean(s_writer_t *w, const uint8_t *text, size_t tlen)
{
    node_import_i_t *im = w->im;
    size_t rows = im->res->rows;
    proto_buf_reset(&im->cells);
    proto_buf_reset(&im->bodies);
    im->ncells = im->ncols = 0;
    im->header_bad = im->in_row = im->too_many = im->extra_text = false;
    im->emit = s_emit;
    im->emit_ctx = w;
    w->body = &im->bodies;
    int rc = node_import_i_parse(im, text, tlen);
    im->emit = NULL;
    im->res->rows = rows;
    if (!rc && !im->status && im->wrow != im->nrows) {
        node_import_i_error(im, im->line, "", "", "文件在导入过程中被修改",
                            "the file changed while it was imported");
        rc = VOCFED_EINVALID;
    }
    return rc ? rc : im->status;
}

/* Writes the rows that differ (from the arena, or by reading the text
 * again when lean), then the deletions, in chunks. */
static int
s_write_all(s_writer_t *w, const s_scan_t *sc, const uint8_t *text, size_t tlen)
{
    node_import_i_t *im = w->im;
    int rc = VOCFED_OK;
    if (im->lean) {
        rc = s_write_lean(w, text, tlen);
    } else {
        w->body = NULL; /* the arenas stay where they are now */
        for (size_t i = 0; i < im->nrows && !rc; i++) {
            const node_import_i_row_t *r = &im->rows[i];
            if (r->state != NODE_IMPORT_ROW_UNCHANGED)
                rc = s_add(w, s_put(im, r),
                           (uintptr_t)node_import_i_body(im, r), r->body_len);
        }
    }
    for (size_t i = 0; i < sc->ndels && !rc; i++) {
        store_record_t d = sc->dels[i];
        d.key = (const char *)sc->delkeys.data + (uintptr_t)sc->dels[i].key;
        rc = s_add(w, d, 0, 0);
    }
    return rc ? rc : s_flush(w);
}

/* Counts what the rows do; returns how many records to write. */
static uint64_t
s_count(node_import_i_t *im, const s_scan_t *sc)
{
    node_import_result_t *res = im->res;
    /* Counted as the scan marked them, not by a pass over every row: a
     * million rows' pass was ~40 ms with both cores otherwise idle. */
    res->unchanged += sc->same;
    res->changed += sc->changed;
    res->added += im->nrows - sc->same - sc->changed;
    res->deleted = sc->ndels;
    return res->added + res->changed + res->deleted;
}

/* Keeps the keys a sync deletes in res (NUL-separated). Returns 0 or
 * VOCFED_ENOMEM. */
static int
s_del_keys(node_import_i_t *im, const s_scan_t *sc)
{
    const proto_buf_t *k = &sc->delkeys;
    if (!sc->ndels)
        return VOCFED_OK;
    if (!(im->res->del_keys = malloc(k->len)))
        return VOCFED_ENOMEM;
    memcpy(im->res->del_keys, k->data, k->len);
    return VOCFED_OK;
}

/* Whether a sync may delete what it would (NODE_IMPORT_SYNC_SHARE);
 * if not, records why. */
static bool
s_sync_allowed(node_import_i_t *im, size_t ndels)
{
    const node_import_opts_t *o = im->opts;
    size_t cur = im->res->current, rows = im->res->rows;
    if (!ndels || (o->allow_delete_set && o->allow_delete >= ndels))
        return true;
    if (rows && (uint64_t)ndels * 100 <= (uint64_t)cur * NODE_IMPORT_SYNC_SHARE)
        return true;
    char zh[PROTO_REASON_MAX];
    snprintf(zh, sizeof zh,
             "--sync 将删除现有 %zu 条%s记录中的 %zu 条（%s）：未写入任何记录。"
             "请核对文件是否完整；确需删除，请加 --allow-delete %zu 再运行",
             cur, im->kind->zh, ndels, rows ? "超过 10%" : "文件中没有数据行",
             ndels);
    node_import_i_error(
        im, 0, "", "", zh,
        "--sync would delete %zu of the %zu %s records (%s): nothing "
        "written. Check that the file is whole; to delete them, run it again "
        "with --allow-delete %zu",
        ndels, cur, im->kind->name,
        rows ? "more than 10%" : "the file has no rows", ndels);
    im->res->delete_refused = true;
    return false;
}

/* Compares the rows with the current records and writes what differs. */
static int
s_write(node_import_i_t *im, store_t *store, const char *author,
        const uint8_t *sk, const uint8_t *text, size_t tlen)
{
    node_import_result_t *res = im->res;
    s_scan_t sc = {.im = im};
    s_writer_t w = {.im = im, .store = store, .author = author, .sk = sk};
    proto_buf_init(&sc.delkeys);
    int rc =
        store_scan_records(store, author, im->kind->name, s_on_current, &sc);
    if (rc == VOCFED_ENOTFOUND) /* an author with no log yet */
        rc = VOCFED_OK;
    if (rc)
        goto done;
    w.total = s_count(im, &sc);
    if ((rc = s_del_keys(im, &sc)))
        goto done;
    if (!s_sync_allowed(im, sc.ndels)) {
        rc = VOCFED_EDENIED;
        goto done;
    }
    if (im->opts->check || w.total == 0)
        goto done;
    if (!sk) {
        rc = VOCFED_EKEY;
        goto done;
    }
    w.cap =
        im->opts->chunk_rows ? im->opts->chunk_rows : NODE_IMPORT_CHUNK_ROWS;
    if (!(w.recs = malloc(w.cap * sizeof *w.recs))) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    /* a second chunk's room, so that one is encoded while the other's
     * commit syncs; without it, one chunk at a time */
    if (!im->lean && w.total > w.cap)
        w.held = malloc(w.cap * sizeof *w.held);
    node_import_i_progress(im, NODE_IMPORT_WRITING, 0, w.total);
    rc = s_write_all(&w, &sc, text, tlen);
done:
    /* what was written, if anything, stays in first/last_seq; a refused
     * sync keeps its counts (what would have been done) */
    if (rc && rc != VOCFED_EDENIED)
        res->added = res->changed = res->unchanged = res->deleted = 0;
    store_append_next(store, NULL, 0); /* the helper leaves w's records */
    free(w.recs);
    free(w.held);
    free(sc.dels);
    proto_buf_release(&sc.delkeys);
    return rc;
}

/* ---- the whole --------------------------------------------------------------
 */

/* The refusal of a whole file (line 0: no line of it). */
static int
s_file_refused(node_import_i_t *im, const char *zh, const char *en)
{
    node_import_i_error(im, 0, "", "", zh, "%s", en);
    im->res->header_bad = true;
    return VOCFED_EINVALID;
}

/* Opens the file: a workbook's sheet read into im->sheet, or CSV bytes
 * decoded into text (SPEC 11.4 step 1). Returns 0, VOCFED_EINVALID
 * (recorded), or an environment status. */
static int
s_open(node_import_i_t *im, const uint8_t *data, size_t len, uint8_t **utf8,
       const uint8_t **text, size_t *tlen)
{
    node_sheet_format_t f = node_sheet_sniff(data, len);
    node_sheet_error_t err;
    char en[400], zh[400];
    im->res->format = (int)f;
    if (f == NODE_SHEET_TEXT) {
        if (im->opts->sheet)
            return s_file_refused(im,
                                  "--sheet 仅用于 Excel 工作簿，此文件是 "
                                  "CSV 文本",
                                  "--sheet is for Excel workbooks; this file "
                                  "is CSV text");
        return node_import_i_decode(im, data, len, utf8, text, tlen);
    }
    if (im->opts->encoding != NODE_ENC_AUTO) {
        snprintf(en, sizeof en,
                 "this file is an Excel workbook (.%s), not CSV text: "
                 "--encoding is for CSV files; import the workbook without "
                 "it",
                 node_sheet_format_name(f));
        snprintf(zh, sizeof zh,
                 "此文件是 Excel 工作簿（.%s），不是 CSV 文本：--encoding 仅"
                 "用于 CSV 文件，导入工作簿时请去掉该选项",
                 node_sheet_format_name(f));
        return s_file_refused(im, zh, en);
    }
    int rc = node_sheet_read(f, data, len, im->opts->sheet, &im->sheet, &err);
    if (rc == VOCFED_EINVALID) {
        snprintf(en, sizeof en, "Excel workbook (.%s): %s",
                 node_sheet_format_name(f), err.en);
        snprintf(zh, sizeof zh, "Excel 工作簿（.%s）：%s",
                 node_sheet_format_name(f), err.zh);
        return s_file_refused(im, zh, en);
    }
    return rc;
}

/* Reads and checks the whole file (SPEC 11.4 steps 1-5); with store, then
 * compares and writes (step 6). */
static int
s_import(store_t *store, const char *author, const uint8_t *sk,
         const node_import_opts_t *opts, const uint8_t *data, size_t len,
         node_import_result_t *res)
{
    node_import_i_t im = {.opts = opts,
                          .res = res,
                          .body_budget = opts->body_budget
                                             ? opts->body_budget
                                             : NODE_IMPORT_BODY_BUDGET};
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
    if (opts->linkage_key)
        node_pseudonymiser_init(&im.pseudo, opts->linkage_key);
    if ((rc = s_open(&im, data, len, &utf8, &text, &tlen)))
        goto done;
    rc = node_import_i_parse_split(&im, text, tlen);
    if (im.status) {
        rc = im.status;
        goto done;
    }
    if (rc)
        goto done;
    if (!im.ncols && !im.header_bad) {
        node_import_i_error(&im, 1, "", "", "文件为空（没有表头）",
                            "the file is empty: no header row");
    }
    res->header_bad |= im.header_bad || !im.ncols;
    if (res->nerrors) {
        rc = VOCFED_EINVALID;
        goto done;
    }
    if (store)
        rc = s_write(&im, store, author, sk, text, tlen);
done:
    /* A hard failure has the last word over the rows' errors only when
     * it is about the environment (no key, no memory). */
    if (im.status && rc != im.status)
        rc = im.status;
    node_import_i_seen_release(&im);
    node_pseudonymiser_wipe(&im.pseudo);
    node_sheet_destroy(&im.sheet);
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
    void *map = NULL;
    size_t len = 0;
    int rc = VOCFED_OK;
    memset(res, 0, sizeof *res);
    int fd = node_file_open(path, &st);
    if (fd < 0)
        return fd;
    if ((rc = node_file_check(&st, NODE_IMPORT_FILE_MAX)))
        goto done;
    if ((uint64_t)st.st_size > SIZE_MAX) {
        rc = VOCFED_ETOOLARGE;
        goto done;
    }
    /* Mapped, not read: the file may be larger than memory. The text is
     * read once to check it (and once more to write, when lean). */
    len = (size_t)st.st_size;
    if (len) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            map = NULL;
            rc = errno == ENOMEM ? VOCFED_ENOMEM : -errno;
            goto done;
        }
        (void)madvise(map, len, MADV_SEQUENTIAL);
    }
    rc = node_import(store, author, sk, opts, map ? map : "", len, res);
done:
    if (map)
        munmap(map, len);
    close(fd);
    return rc;
}

void
node_import_result_release(node_import_result_t *res)
{
    if (!res)
        return;
    free(res->errors);
    free(res->del_keys);
    memset(res, 0, sizeof *res);
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
