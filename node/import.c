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
} s_scan_t;

static int
s_on_current(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
             size_t len)
{
    s_scan_t *sc = ctx;
    node_import_i_t *im = sc->im;
    (void)seq;
    size_t idx = node_import_i_seen_find(im, key);
    if (idx) {
        proto_entry_t e;
        node_import_i_row_t *r = &im->rows[idx - 1];
        int rc = proto_entry_decode(entry, len, &e);
        if (rc)
            return rc == VOCFED_ENOMEM ? rc : VOCFED_ECORRUPT;
        r->state = e.body_len == r->body_len &&
                           memcmp(e.body, im->bodies.data + r->body_off,
                                  r->body_len) == 0
                       ? NODE_IMPORT_ROW_UNCHANGED
                       : NODE_IMPORT_ROW_CHANGED;
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

/* The records to append (recs has room for every row and deletion):
 * the rows that are new or changed, then the deletions; counts them in
 * im->res. Returns how many. */
static size_t
s_changes(node_import_i_t *im, const s_scan_t *sc, store_record_t *recs)
{
    node_import_result_t *res = im->res;
    size_t n = 0;
    for (size_t i = 0; i < im->nrows; i++) {
        const node_import_i_row_t *r = &im->rows[i];
        if (r->state == NODE_IMPORT_ROW_UNCHANGED) {
            res->unchanged++;
            continue;
        }
        if (r->state == NODE_IMPORT_ROW_NEW)
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
    for (size_t i = 0; i < sc->ndels; i++) {
        recs[n] = sc->dels[i];
        recs[n++].key =
            (const char *)sc->delkeys.data + (uintptr_t)sc->dels[i].key;
    }
    return n;
}

/* Compares the rows with the current records and writes what differs. */
static int
s_write(node_import_i_t *im, store_t *store, const char *author,
        const uint8_t *sk)
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
    n = s_changes(im, &sc, recs);
    res->deleted = sc.ndels;
    if (im->opts->check || n == 0)
        goto done;
    if (!sk) {
        rc = VOCFED_EKEY;
        goto done;
    }
    node_import_i_progress(im, NODE_IMPORT_WRITING, 0, n);
    rc = node_append_as(store, author, sk, im->opts->coordinator, recs, n, 0,
                        &res->head, NULL);
    if (rc == VOCFED_OK) {
        res->last_seq = res->head.size;
        res->first_seq = res->head.size - n + 1;
        node_import_i_progress(im, NODE_IMPORT_WRITING, n, n);
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
    node_import_i_t im = {.opts = opts, .res = res};
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
    if ((rc = node_import_i_decode(&im, data, len, &utf8, &text, &tlen)))
        goto done;
    rc = node_import_i_parse(&im, text, tlen);
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
    node_import_i_seen_release(&im);
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
    int fd = node_file_open(path, &st);
    if (fd < 0)
        return fd;
    if ((rc = node_file_check(&st, NODE_IMPORT_FILE_MAX)))
        goto done;
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    /* A file that shrank is taken as it is, one that grew as it was. */
    if ((rc = node_file_read(fd, data, (size_t)st.st_size, &len)))
        goto done;
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
