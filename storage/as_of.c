/* vocfed: what the derived data is as of (SPEC 5.5): per author, the
 * last seq applied beside the log's size, read in the same snapshot of
 * the derived environment as the counters a report reads, so that the
 * figures and the point they are of agree. Reads only: the applier is
 * apply.c. */
#include "storage/log_internal.h"

#include <string.h>

typedef struct {
    const void *prefix;     /* the counters' prefix */
    size_t plen;            /* its length */
    store_counter_fn count; /* per counter, or NULL */
    void *cctx;             /* its context */
    store_as_of_fn as_of;   /* per author */
    void *actx;             /* its context */
    int stop;               /* a callback's non-zero value */
} s_as_of_t;

/* The time of authno's latest checkpoint at or below seq (0: none). */
static int
s_cp_time(store_t *self, MDB_txn *log, uint32_t authno, uint64_t seq,
          uint64_t *time_ms)
{
    uint8_t k[STORE_KEY_CP_LEN];
    MDB_val key, val;
    proto_checkpoint_t c;
    *time_ms = 0;
    if (seq == 0)
        return MDB_SUCCESS;
    store_i_key_cp(k, authno, seq);
    int rc =
        store_i_seek_last(log, self->checkpoints, k, sizeof k, 4, &key, &val);
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS;
    if (rc)
        return rc;
    if (proto_checkpoint_peek(val.mv_data, val.mv_size, &c) != VOCFED_OK)
        return VOCFED_ECORRUPT;
    *time_ms = c.time_ms;
    return MDB_SUCCESS;
}

/* One author: its applied seq in the derived snapshot, its log's size
 * in the log's (begun after: never less than what was applied). */
static int
s_author(store_t *self, store_txn_t *t, uint32_t no, s_as_of_t *a)
{
    char id[PROTO_ID_MAX + 1];
    store_as_of_t p = {.id = id};
    int rc = store_i_author_id(t->log, self, no, id);
    if (!rc)
        rc = store_i_applied_seq(self, t->txn, no, &p.applied);
    if (!rc)
        rc = store_i_log_size(self, t->log, no, &p.size);
    if (!rc)
        rc = s_cp_time(self, t->log, no, p.applied, &p.applied_ms);
    if (rc)
        return rc;
    if (p.applied > p.size) /* a derived store of a longer log */
        p.applied = p.size;
    return (a->stop = a->as_of(a->actx, &p)) ? VOCFED_EINTERRUPTED : 0;
}

static int
s_as_of_txn(store_t *self, store_txn_t *t, void *ctx)
{
    s_as_of_t *a = ctx;
    uint32_t n;
    int rc = 0;
    if (a->count) {
        rc =
            store_scan_counters(self, t, a->prefix, a->plen, a->count, a->cctx);
        if (rc)
            return rc;
    }
    if ((rc = store_i_author_count(self, t->log, &n)))
        return rc;
    for (uint32_t no = 0; no < n && !rc; no++)
        rc = s_author(self, t, no, a);
    return rc;
}

int
store_scan_as_of(store_t *self, const void *prefix, size_t plen,
                 store_counter_fn count, void *cctx, store_as_of_fn as_of,
                 void *actx)
{
    s_as_of_t a = {prefix, plen, count, cctx, as_of, actx, 0};
    int rc = store_i_read_both(self, s_as_of_txn, &a);
    return a.stop ? a.stop : rc;
}

bool
store_catches_up(const store_t *self)
{
    return !self->async_apply;
}
