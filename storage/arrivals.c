/* vocfed: the order entries arrived in (SPEC 5.1 `arrivals`, 12.2).
 *
 * Every write transaction that applies entries (a local append, an
 * ingested batch) notes each run of one author's consecutive seqs and
 * writes it at the end, under the next arrival number. The figures
 * decide contested claims by this order (the first claim received is
 * paid), so a rebuild replays the logs in it (store_txn_replay). Entries
 * the table does not cover (a store made before it) replay first, author
 * by author in registration order. */
#include "storage/log_internal.h"

#include <stdlib.h>
#include <string.h>

#define S_ARRIVAL_LEN 20 /* authno u32 | from u64 | to u64 */

/* Writes one run under the next arrival number. */
static int
s_put_span(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t from,
           uint64_t to)
{
    MDB_cursor *c;
    MDB_val k, d;
    uint8_t kb[8], vb[S_ARRIVAL_LEN];
    uint64_t next = 1;
    int rc = mdb_cursor_open(txn, self->arrivals, &c);
    if (rc)
        return rc;
    rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
    if (rc == MDB_SUCCESS && k.mv_size == 8)
        next = store_i_rd64(k.mv_data) + 1;
    else if (rc != MDB_NOTFOUND && rc != MDB_SUCCESS)
        goto done;
    store_i_be64(kb, next);
    store_i_be32(vb, authno);
    store_i_be64(vb + 4, from);
    store_i_be64(vb + 12, to);
    k = (MDB_val){8, kb};
    d = (MDB_val){sizeof vb, vb};
    rc = mdb_cursor_put(c, &k, &d, MDB_APPEND);
done:
    mdb_cursor_close(c);
    return rc;
}

void
store_i_arrival_reset(store_t *self)
{
    self->run = (store_i_run_t){0};
}

int
store_i_arrival_note(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t seq)
{
    store_i_run_t *r = &self->run;
    if (r->open && r->authno == authno && seq == r->to + 1) {
        r->to = seq;
        return MDB_SUCCESS;
    }
    int rc = store_i_arrival_flush(self, txn);
    *r = (store_i_run_t){true, authno, seq, seq};
    return rc;
}

int
store_i_arrival_flush(store_t *self, MDB_txn *txn)
{
    store_i_run_t r = self->run;
    store_i_arrival_reset(self);
    if (!self->has_arrivals || !r.open)
        return MDB_SUCCESS;
    return s_put_span(self, txn, r.authno, r.from, r.to);
}

/* ---- replay -------------------------------------------------------------- */

typedef struct {
    store_t *self;             /* the store */
    MDB_txn *txn;              /* the transaction */
    store_replay_fn fn;        /* the caller's callback */
    void *ctx;                 /* its context */
    uint64_t *first;           /* per authno: first seq the table has */
    uint64_t *last;            /* per authno: last seq the table has */
    size_t nauthors;           /* room in both */
    bool measure;              /* a pass that only fills first and last */
    char id[PROTO_ID_MAX + 1]; /* the author being replayed */
    uint64_t to;               /* last seq of the run */
    int stop;                  /* fn's non-zero value */
} s_replay_t;

static int
s_replay_entry(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    s_replay_t *r = ctx;
    proto_entry_t e;
    if (seq > r->to)
        return STORE_I_END;
    if (proto_entry_decode(data, len, &e) != VOCFED_OK)
        return VOCFED_ECORRUPT;
    return r->stop = r->fn(r->ctx, r->id, &e);
}

/* Replays seqs from..to of authno. */
static int
s_replay_span(s_replay_t *r, uint32_t authno, uint64_t from, uint64_t to)
{
    int rc = store_i_author_id(r->txn, r->self, authno, r->id);
    if (rc)
        return rc;
    r->to = to;
    rc = store_i_scan_entries(r->self, r->txn, authno, from, s_replay_entry, r);
    return rc == STORE_I_END ? MDB_SUCCESS : rc;
}

int
store_i_arrival_row(const MDB_val *d, uint32_t *authno, uint64_t *from,
                    uint64_t *to)
{
    const uint8_t *v = d->mv_data;
    if (d->mv_size != S_ARRIVAL_LEN)
        return VOCFED_ECORRUPT;
    *authno = store_i_rd32(v);
    *from = store_i_rd64(v + 4);
    *to = store_i_rd64(v + 12);
    return MDB_SUCCESS;
}

static int
s_replay_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_replay_t *r = ctx;
    uint32_t no;
    uint64_t from, to;
    if (key->mv_size != 8 || store_i_arrival_row(d, &no, &from, &to))
        return VOCFED_ECORRUPT;
    if (no >= r->nauthors || from == 0 || to < from)
        return VOCFED_ECORRUPT;
    if (!r->measure)
        return s_replay_span(r, no, from, to);
    if (!r->first[no] || from < r->first[no])
        r->first[no] = from;
    if (to > r->last[no])
        r->last[no] = to;
    return MDB_SUCCESS;
}

/* Replays, for each author, the entries the table does not cover: those
 * before its first run (head) or after its last (tail). */
static int
s_replay_uncovered(s_replay_t *r, uint32_t n, bool head)
{
    int rc = MDB_SUCCESS;
    for (uint32_t no = 0; no < n && !rc; no++) {
        uint64_t size;
        if ((rc = store_i_log_size(r->self, r->txn, no, &size)))
            break;
        uint64_t first = r->first[no] ? r->first[no] : size + 1;
        if (head && first > 1)
            rc = s_replay_span(r, no, 1, first - 1 < size ? first - 1 : size);
        else if (!head && r->first[no] && size > r->last[no])
            rc = s_replay_span(r, no, r->last[no] + 1, size);
    }
    return rc;
}

int
store_i_arrivals_create(store_t *self, MDB_txn *txn, void *ctx)
{
    uint32_t n;
    (void)ctx;
    int rc = mdb_dbi_open(txn, "arrivals", MDB_CREATE, &self->arrivals);
    if (rc || (rc = store_i_author_count(self, txn, &n)))
        return rc;
    for (uint32_t no = 0; no < n && !rc; no++) {
        uint64_t size;
        if ((rc = store_i_log_size(self, txn, no, &size)) == MDB_SUCCESS &&
            size > 0)
            rc = s_put_span(self, txn, no, 1, size);
    }
    self->has_arrivals = rc == MDB_SUCCESS;
    return rc;
}

int
store_txn_replay(store_txn_t *t, store_replay_fn fn, void *ctx)
{
    store_t *self = t->self;
    uint32_t n;
    int rc = store_i_author_count(self, t->log, &n);
    if (rc)
        return store_i_status(rc);
    s_replay_t r = {.self = self,
                    .txn = t->log, /* the log's snapshot */
                    .fn = fn,
                    .ctx = ctx,
                    .first = calloc((size_t)n + 1, 8),
                    .last = calloc((size_t)n + 1, 8),
                    .nauthors = n,
                    .measure = true};
    if (!r.first || !r.last)
        rc = VOCFED_ENOMEM;
    /* Entries older than the table first (it began later), then the
     * table's runs in order, then anything past its last run. */
    if (!rc && self->has_arrivals)
        rc = store_i_scan(t->log, self->arrivals, NULL, 0, 0, s_replay_row, &r);
    r.measure = false;
    if (!rc)
        rc = s_replay_uncovered(&r, n, true);
    if (!rc && self->has_arrivals)
        rc = store_i_scan(t->log, self->arrivals, NULL, 0, 0, s_replay_row, &r);
    if (!rc)
        rc = s_replay_uncovered(&r, n, false);
    free(r.first);
    free(r.last);
    return r.stop ? r.stop : store_i_status(rc);
}
