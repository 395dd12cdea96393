/* vocfed: the applier (SPEC 5.5): derived data behind the log.
 *
 * Writes commit the log only (entries, tree nodes, checkpoints, and the
 * runs of entries in the order they arrived: arrivals.c). store_apply
 * takes the arrivals after the point the derived environment has
 * applied and, in one write transaction of that environment, updates
 * the record index, calls the apply hook (the figures) and moves the
 * point on: after a crash the derived data and its point agree, and the
 * next apply resumes there. The point is read inside the write
 * transaction, and LMDB serialises the writers of one environment across
 * processes: two appliers apply each entry once.
 *
 * The `applied` database of the derived environment holds:
 *   "n"               u64: the last arrival applied whole
 *   "t"               that arrival's row and its author's tree root at
 *                     the run's last seq: derived data is of this log
 *                     only if the log gives the same there
 *   "v"               u64: the layout of the derived data (S_FORMAT)
 *   'a' | authno u32  u64: the last seq of that author applied (a run
 *                     may be applied in parts) */
#include "storage/apply_i.h"
#include "storage/persons.h"

#include <czmq.h>
#include <inttypes.h>
#include <string.h>

#define S_ARRIVAL_LEN 20
/* The derived layout (SPEC 5.5). Derived data of another layout is
 * dropped and applied again from the logs: 2 = pseudo_ids as 32 bytes
 * in the record index and the figures' keys, list items without the
 * pseudo_id again; 3 = persons by number (persons.c); 4 = the issue-14
 * counters (svo, hvo, p32 and the cohorts p32c, p32n joined per person);
 * 5 = new persons in pnew, settled into persons in bulk (persons.h);
 * 6 = the figures' lists and claims about a person led by the person
 * (persons.h), so that a new person's go at the end, each page filled. */
#define S_FORMAT 6

/* New derived pages a chunk may need per entry, at most about: what it
 * stores (~0.6 KB an entry at 10M) and the pages it copies (at 10M
 * persons about one for four entries, SPEC 5.5), with room to spare. The
 * map is grown by this before the chunk (s_reserve), so that a large
 * chunk never fills it midway and runs again (262,144 entries are ~2 s
 * of work). */
#define S_NEED_ENTRY 4096

/* ---- the point reached ------------------------------------------------- */

/* The u64 of a value of the applied database that a get found (rc
 * MDB_SUCCESS: its len bytes at d), 0 when it found none. */
static int
s_u64(int rc, const void *d, size_t len, uint64_t *v)
{
    *v = 0;
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS;
    if (rc)
        return rc;
    if (len != 8)
        return VOCFED_ECORRUPT;
    *v = store_i_rd64(d);
    return MDB_SUCCESS;
}

/* A u64 value of the applied database (0 when absent). */
static int
s_get_u64(store_t *self, MDB_txn *dtxn, const void *k, size_t klen, uint64_t *v)
{
    MDB_val key = {klen, (void *)k}, d = {0, NULL};
    int rc = mdb_get(dtxn, self->applied, &key, &d);
    return s_u64(rc, d.mv_data, d.mv_size, v);
}

static int
s_put_u64(store_t *self, MDB_txn *dtxn, const void *k, size_t klen, uint64_t v)
{
    uint8_t b[8];
    store_i_be64(b, v);
    MDB_val key = {klen, (void *)k}, d = {8, b};
    return mdb_put(dtxn, self->applied, &key, &d, 0);
}

int
store_i_applied_seq(store_t *self, MDB_txn *dtxn, uint32_t authno,
                    uint64_t *seq)
{
    uint8_t k[5] = {'a'};
    store_i_be32(k + 1, authno);
    return s_get_u64(self, dtxn, k, sizeof k, seq);
}

static int
s_set_applied_seq(store_t *self, MDB_txn *dtxn, uint32_t authno, uint64_t seq)
{
    uint8_t k[5] = {'a'};
    store_i_be32(k + 1, authno);
    return s_put_u64(self, dtxn, k, sizeof k, seq);
}

/* The last arrival number the log holds (0: none). */
static int
s_log_arrivals(store_t *self, MDB_txn *log, uint64_t *n)
{
    MDB_cursor *c;
    MDB_val k, d;
    int rc = mdb_cursor_open(log, self->arrivals, &c);
    *n = 0;
    if (rc)
        return rc;
    rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
    if (rc == MDB_SUCCESS && k.mv_size == 8)
        *n = store_i_rd64(k.mv_data);
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

/* ---- one apply --------------------------------------------------------- */

typedef struct {
    store_t *self;             /* the store */
    store_txn_t *t;            /* derived write + log snapshot */
    size_t budget;             /* entries still allowed */
    uint64_t until;            /* the last arrival to apply, 0: the log's */
    size_t done;               /* entries applied */
    uint64_t point;            /* last arrival applied whole */
    uint64_t end;              /* the log's last arrival */
    char id[PROTO_ID_MAX + 1]; /* the author of the run */
    uint32_t authno;           /* its number */
    uint64_t to;               /* the run's last seq */
    uint64_t last;             /* the last seq of it gathered */
    uint64_t failed;           /* the seq the hook refused, 0 none */
    store_i_chunk_t chunk;     /* the entries gathered */
} s_apply_t;

/* Gathers one entry of the run into the chunk. */
static int
s_gather_entry(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    s_apply_t *a = ctx;
    proto_entry_t e;
    if (seq > a->to || a->budget == 0)
        return STORE_I_END;
    if (seq != a->last + 1 || proto_entry_decode(data, len, &e) != VOCFED_OK)
        return VOCFED_ECORRUPT;
    int rc = store_i_chunk_add(&a->chunk, a->authno, a->id, seq, &e);
    if (rc)
        return rc;
    a->last = seq;
    a->budget--;
    a->done++;
    return MDB_SUCCESS;
}

/* One arrival: the seqs of its run not yet applied, as far as the
 * budget goes, into the chunk; the author's applied seq moves with it
 * (the same transaction applies the chunk, or none of it stays). */
static int
s_gather_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_apply_t *a = ctx;
    store_t *self = a->self;
    uint64_t from;
    if (key->mv_size != 8 || store_i_arrival_row(d, &a->authno, &from, &a->to))
        return VOCFED_ECORRUPT;
    uint64_t n = store_i_rd64(key->mv_data);
    if (a->budget == 0 || n > a->end)
        return STORE_I_END;
    int rc = store_i_applied_seq(self, a->t->txn, a->authno, &a->last);
    if (rc)
        return rc;
    if (a->last + 1 < from)
        return VOCFED_ECORRUPT; /* a hole in what was applied */
    if (a->last < a->to) {
        if ((rc = store_i_author_id(a->t->log, self, a->authno, a->id)) ||
            (rc = store_i_scan_entries(self, a->t->log, a->authno, a->last + 1,
                                       s_gather_entry, a)) ||
            (rc = s_set_applied_seq(self, a->t->txn, a->authno, a->last)))
            return rc;
        if (a->last < a->to)
            return STORE_I_END; /* the budget ran out inside the run */
    }
    a->point = n;
    return MDB_SUCCESS;
}

/* What names arrival n of the log: its row, then the root of its
 * author's tree at the run's last seq (out: S_ARRIVAL_LEN +
 * PROTO_HASH_LEN bytes). MDB_NOTFOUND if the log has no such arrival. */
static int
s_arrival(store_t *self, MDB_txn *log, uint64_t n, uint8_t *out)
{
    uint8_t k[8];
    store_i_be64(k, n);
    MDB_val key = {sizeof k, k}, d;
    int rc = mdb_get(log, self->arrivals, &key, &d);
    if (rc)
        return rc;
    if (d.mv_size != S_ARRIVAL_LEN)
        return VOCFED_ECORRUPT;
    memcpy(out, d.mv_data, S_ARRIVAL_LEN);
    store_i_tree_t tree = {self, log, store_i_rd32(out)};
    return proto_merkle_root(PROTO_HASH_BLAKE2B256, store_i_rd64(out + 12),
                             store_i_node_source, &tree, out + S_ARRIVAL_LEN);
}

/* Whether the derived data (dtxn) is of this log (log): the arrival it
 * last applied whole ("t": its row and its author's root at the run's
 * last seq) must be what the log has at that number. A log put back from
 * a copy, or another log's derived.mdb, is not. */
static int
s_same(store_t *self, MDB_txn *dtxn, MDB_txn *log, uint64_t point, bool *same)
{
    MDB_val key = {1, "t"}, mine;
    uint8_t theirs[S_ARRIVAL_LEN + PROTO_HASH_LEN];
    uint64_t format;
    *same = true;
    if (point == 0)
        return MDB_SUCCESS;
    int rc = s_get_u64(self, dtxn, "v", 1, &format);
    if (rc || format != S_FORMAT) {
        *same = false; /* an older layout: applied again */
        return rc;
    }
    rc = mdb_get(dtxn, self->applied, &key, &mine);
    int lrc = s_arrival(self, log, point, theirs);
    if ((rc && rc != MDB_NOTFOUND) || (lrc && lrc != MDB_NOTFOUND))
        return rc ? rc : lrc;
    *same = !rc && !lrc && mine.mv_size == sizeof theirs &&
            memcmp(mine.mv_data, theirs, sizeof theirs) == 0;
    return MDB_SUCCESS;
}

/* Derived data not of this log is dropped and applied again from the
 * start. */
static int
s_same_log(store_t *self, s_apply_t *a)
{
    bool same;
    int rc = s_same(self, a->t->txn, a->t->log, a->point, &same);
    if (rc || same)
        return rc;
    zsys_warning("store: %s: the derived data is not of this log or of an "
                 "older layout (applied "
                 "up to arrival %" PRIu64 "): applied again from the logs",
                 self->dir, a->point);
    a->point = 0;
    if ((rc = mdb_drop(a->t->txn, self->records, 0)) ||
        (rc = mdb_drop(a->t->txn, self->figures, 0)) ||
        (rc = store_i_persons_drop(self, a->t->txn)))
        return rc;
    return mdb_drop(a->t->txn, self->applied, 0);
}

/* Notes the point reached and a copy of its arrival row. */
static int
s_put_point(store_t *self, s_apply_t *a)
{
    uint8_t t[S_ARRIVAL_LEN + PROTO_HASH_LEN];
    MDB_val key = {1, "t"}, d = {sizeof t, t};
    int rc = s_put_u64(self, a->t->txn, "n", 1, a->point);
    if (rc || a->point == 0 ||
        (rc = s_put_u64(self, a->t->txn, "v", 1, S_FORMAT)))
        return rc;
    if ((rc = s_arrival(self, a->t->log, a->point, t)))
        return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    return mdb_put(a->t->txn, self->applied, &key, &d, 0);
}

static int
s_apply_run(store_t *self, s_apply_t *a)
{
    uint8_t k[8];
    int rc;
    if ((rc = s_get_u64(self, a->t->txn, "n", 1, &a->point)) ||
        (rc = s_log_arrivals(self, a->t->log, &a->end)) ||
        (rc = s_same_log(self, a)))
        return rc;
    if (a->until && a->end > a->until)
        a->end = a->until;
    if (a->point >= a->end)
        return MDB_SUCCESS;
    self->htxn = *a->t;
    if (self->has_hook && self->hook.begin &&
        (rc = self->hook.begin(self->hook.ctx, a->t)))
        return rc;
    store_i_be64(k, a->point + 1);
    store_i_chunk_reset(&a->chunk);
    rc = store_i_scan(a->t->log, self->arrivals, k, sizeof k, 0, s_gather_row,
                      a);
    if (rc == MDB_SUCCESS) {
        size_t bad;
        rc = store_i_chunk_apply(self, a->t, &a->chunk, &bad);
        if (rc && bad != SIZE_MAX) {
            const store_i_chunk_entry_t *x = &a->chunk.e[bad];
            a->failed = x->seq;
            a->authno = a->chunk.ids[x->author].authno;
            memcpy(a->id, a->chunk.ids[x->author].id, sizeof a->id);
        }
    }
    if (rc == MDB_SUCCESS && self->has_hook && self->hook.end)
        rc = self->hook.end(self->hook.ctx, a->t);
    if (rc == MDB_SUCCESS)
        rc = s_put_point(self, a);
    return rc;
}

/* The apply's write transaction: a log snapshot begun after it (so it
 * holds every seq the derived data names), then s_apply_run. */
static int
s_apply_txn(store_t *self, MDB_txn *dtxn, void *ctx)
{
    s_apply_t *a = ctx;
    store_txn_t t = {self, dtxn, NULL};
    size_t budget = a->budget;
    a->done = 0; /* the transaction may run again (map growth) */
    a->failed = 0;
    int rc = store_i_read_begin(self, &t.log);
    if (rc)
        return rc;
    a->t = &t;
    rc = s_apply_run(self, a);
    mdb_txn_abort(t.log);
    a->t = NULL;
    a->budget = budget;
    return rc;
}

bool
store_i_skipped(const store_t *self, uint32_t authno, uint64_t seq)
{
    for (size_t i = 0; i < self->nskips; i++)
        if (self->skips[i].seq == seq && self->skips[i].authno == authno)
            return true;
    return false;
}

/* Leaves the entry the hook refused out of the hook from now on. */
static int
s_skip(store_t *self, uint32_t authno, uint64_t seq)
{
    void *p = realloc(self->skips, (self->nskips + 1) * sizeof *self->skips);
    if (!p)
        return VOCFED_ENOMEM;
    self->skips = p;
    self->skips[self->nskips].authno = authno;
    self->skips[self->nskips++].seq = seq;
    return VOCFED_OK;
}

/* From a snapshot of persons: the chunk STORE_APPLY_FIT means (into
 * *fit when not NULL), and whether pnew is due to be settled (*bytes:
 * about what the settling writes, 0 when not due). */
static void
s_plan(store_t *self, size_t *fit, size_t *bytes)
{
    MDB_txn *txn;
    bool due;
    *bytes = 0;
    if (fit)
        *fit = STORE_APPLY_FIT_MIN;
    if (store_i_dread_begin(self, &txn) != MDB_SUCCESS)
        return;
    if (fit)
        *fit = store_i_persons_chunk(self, txn, STORE_APPLY_FIT_MIN,
                                     STORE_APPLY_FIT_MAX);
    if (store_i_persons_due(self, txn, &due, bytes) != MDB_SUCCESS)
        *bytes = 0;
    mdb_txn_abort(txn);
}

/* Settles pnew into persons (persons.h) if it is still due. */
static int
s_settle_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    size_t *moved = ctx;
    bool due;
    int rc = store_i_persons_due(self, txn, &due, NULL);
    *moved = 0;
    return rc || !due ? rc : store_i_persons_settle(self, txn, moved);
}

/* Grows the derived map for a chunk of up to n entries before it begins,
 * so that the chunk does not fill the map midway and run again: by
 * S_NEED_ENTRY an entry, but never more than twice what derived.mdb
 * holds plus 64 MiB. A small store's chunk is quick to run again, and a
 * store with nothing to apply grows nothing. */
static void
s_reserve(store_t *self, size_t n)
{
    store_env_usage_t log, d;
    if (store_usage(self, &log, &d) != VOCFED_OK)
        return;
    size_t cap = 2 * (size_t)d.used_bytes + ((size_t)64 << 20);
    size_t need = n < cap / S_NEED_ENTRY ? n * S_NEED_ENTRY : cap;
    (void)store_i_reserve(self, true, need);
}

/* One apply, up to arrival until (0: the log's last); *point gets the
 * arrival applied up to, *end the log's. */
static int
s_apply(store_t *self, size_t max_entries, uint64_t until, size_t *done,
        uint64_t *point, uint64_t *end)
{
    s_apply_t a = {.self = self,
                   .budget = max_entries ? max_entries : SIZE_MAX,
                   .until = until};
    /* Without the figures an apply would move the applied point past
     * entries it never counted (only a store opened no_derived applies
     * the record index alone). */
    int rc = store_i_derived_ready(self);
    *done = 0;
    *point = *end = 0;
    if (rc)
        return rc;
    size_t settle = 0, moved = 0;
    s_plan(self, max_entries == STORE_APPLY_FIT ? &a.budget : NULL, &settle);
    if (settle) { /* in a write of its own, before the chunk */
        int64_t t0 = zclock_mono();
        (void)store_i_reserve(self, true, settle);
        if ((rc = store_i_dwrite(self, s_settle_txn, &moved)))
            return rc;
        if (moved)
            zsys_info("store: %zu new persons settled in %" PRId64 " ms", moved,
                      zclock_mono() - t0);
    }
    s_reserve(self, a.budget);
    store_i_chunk_init(&a.chunk);
    rc = store_i_dwrite(self, s_apply_txn, &a);
    while (rc == VOCFED_EBADRECORD && a.failed &&
           !store_i_skipped(self, a.authno, a.failed)) {
        /* The log holds it already: the record index takes it, the hook
         * (the figures) does not. What was applied in the transaction
         * was rolled back: do it again without that entry's hook. */
        zsys_error("store: %s: apply: author %s seq %" PRIu64
                   " refused by the derived data (%s): applied without it",
                   self->dir, a.id, a.failed, vocfed_strerror(rc));
        if ((rc = s_skip(self, a.authno, a.failed)))
            break;
        a.failed = 0;
        rc = store_i_dwrite(self, s_apply_txn, &a);
    }
    store_i_chunk_release(&a.chunk);
    *done = rc == VOCFED_OK ? a.done : 0;
    *point = a.point;
    *end = a.end;
    return rc;
}

/* ---- the public calls -------------------------------------------------- */

/* The point applied and the log's last arrival, in two snapshots. */
static int
s_lag_txn(store_t *self, MDB_txn *log, void *ctx)
{
    uint64_t *v = ctx;
    MDB_txn *dtxn;
    bool same;
    int rc = s_log_arrivals(self, log, &v[0]);
    if (rc || (rc = store_i_dread_begin(self, &dtxn)))
        return rc;
    /* The point found to be this log's before is still: the derived
     * data moves from it only by applying this log, and the log's
     * arrivals do not change (a store put back from a copy is another
     * store_t). A report reads ~1,000 times and checks once. */
    if ((rc = s_get_u64(self, dtxn, "n", 1, &v[1])) == MDB_SUCCESS &&
        v[1] != atomic_load_explicit(&self->same_point, memory_order_relaxed) &&
        (rc = s_same(self, dtxn, log, v[1], &same)) == MDB_SUCCESS) {
        if (!same)
            v[1] = UINT64_MAX; /* none of it is this log's */
        else
            atomic_store_explicit(&self->same_point, v[1],
                                  memory_order_relaxed);
    }
    mdb_txn_abort(dtxn);
    return rc;
}

int
store_apply_lag(store_t *self, uint64_t *log_n, uint64_t *applied_n)
{
    uint64_t v[2] = {0, 0};
    int rc = store_i_read(self, s_lag_txn, v);
    *log_n = v[0];
    *applied_n = v[1];
    return rc;
}

/* What store_apply_backlog counts: v[0] the log's last arrival, v[1] the
 * point applied, then the entries of the runs past it (up to max). */
typedef struct {
    uint64_t v[2];
    uint64_t max, entries;
} s_backlog_t;

/* A row of the arrivals past the point: its run's entries counted. */
static int
s_backlog_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_backlog_t *b = ctx;
    uint32_t authno;
    uint64_t from, to;
    (void)key;
    if (b->entries >= b->max)
        return STORE_I_END;
    if (store_i_arrival_row(d, &authno, &from, &to))
        return VOCFED_ECORRUPT;
    b->entries += to >= from ? to - from + 1 : 0;
    return 0;
}

static int
s_backlog_txn(store_t *self, MDB_txn *log, void *ctx)
{
    s_backlog_t *b = ctx;
    int rc = s_lag_txn(self, log, b->v);
    if (rc || b->v[1] >= b->v[0])
        return rc; /* up to date, or not this log's (UINT64_MAX) */
    uint8_t k[8];
    store_i_be64(k, b->v[1] + 1);
    rc = store_i_scan(log, self->arrivals, k, sizeof k, 0, s_backlog_row, b);
    if (b->entries > b->max)
        b->entries = b->max;
    return rc;
}

int
store_apply_backlog(store_t *self, uint64_t max, uint64_t *log_n,
                    uint64_t *entries)
{
    s_backlog_t b = {.max = max};
    int rc = store_i_read(self, s_backlog_txn, &b);
    *log_n = b.v[0];
    *entries = rc == VOCFED_OK ? b.entries : 0;
    return rc;
}

int
store_apply(store_t *self, size_t max_entries, size_t *done)
{
    size_t n;
    uint64_t point, end;
    int rc = s_apply(self, max_entries, 0, &n, &point, &end);
    if (done)
        *done = n;
    return rc;
}

int
store_catch_up(store_t *self, size_t max_entries)
{
    uint64_t target, point;
    int rc = store_apply_lag(self, &target, &point);
    bool ahead = point > target; /* not this log's: s_same_log redoes it */
    while (rc == VOCFED_OK && (point < target || ahead)) {
        ahead = false;
        size_t n;
        uint64_t end;
        rc = s_apply(self, max_entries ? max_entries : STORE_APPLY_FIT, 0, &n,
                     &point, &end);
    }
    return rc;
}

/* A u64 of the kept applied table (0 when absent), read through get. */
static int
s_kept_u64(store_i_kept_fn get, void *kctx, const void *k, size_t klen,
           uint64_t *v)
{
    const uint8_t *d = NULL;
    size_t len = 0;
    int rc = get(kctx, k, klen, &d, &len);
    return s_u64(rc, d, len, v);
}

/* Arrival n of the log: its author's number and its run. */
static int
s_arrival_run(store_t *self, uint64_t n, uint32_t *authno, uint64_t *from,
              uint64_t *to)
{
    MDB_txn *log;
    uint8_t k[8];
    store_i_be64(k, n);
    MDB_val key = {sizeof k, k}, d;
    int rc = store_i_read_begin(self, &log);
    if (rc)
        return rc;
    rc = mdb_get(log, self->arrivals, &key, &d);
    if (rc == MDB_SUCCESS)
        rc = store_i_arrival_row(&d, authno, from, to);
    mdb_txn_abort(log);
    return rc;
}

int
store_i_apply_like(store_t *self, store_i_kept_fn get, void *kctx,
                   store_i_step_fn step, void *sctx)
{
    uint64_t format, target, point = 0, end = 0, seq;
    uint8_t k[5] = {'a'};
    size_t n;
    int rc;
    if ((rc = s_kept_u64(get, kctx, "v", 1, &format)) ||
        (rc = s_kept_u64(get, kctx, "n", 1, &target)))
        return store_i_status(rc);
    if (target && format != S_FORMAT)
        return VOCFED_EVERSION; /* its applier will apply it again */
    while (point < target) {
        uint64_t before = point;
        if ((rc = s_apply(self, STORE_APPLY_FIT, target, &n, &point, &end)))
            return rc;
        if (step)
            step(sctx, point, target);
        if (point == before && n == 0) /* (a run longer than a chunk */
            return VOCFED_ECORRUPT;    /* moves no point) past the log */
    }
    /* The kept data may have stopped inside the next arrival's run (its
     * chunk ended there): as far into it. */
    uint32_t authno = 0;
    uint64_t from = 0, to = 0;
    rc = s_arrival_run(self, target + 1, &authno, &from, &to);
    if (rc == MDB_NOTFOUND)
        return VOCFED_OK;
    store_i_be32(k + 1, authno);
    if (rc || (rc = s_kept_u64(get, kctx, k, sizeof k, &seq)))
        return store_i_status(rc);
    if (seq < from || seq >= to)
        return VOCFED_OK; /* not into it (or whole: the point says not) */
    return s_apply(self, (size_t)(seq - from + 1), target + 1, &n, &point,
                   &end);
}

void
store_i_read_apply(store_t *self)
{
    if (self->async_apply || store_i_derived_ready(self) != VOCFED_OK)
        return; /* a store without its figures reads what is applied */
    int rc = store_catch_up(self, 0);
    if (rc)
        zsys_error("store: %s: applying to the derived data failed: %s "
                   "(the log holds the entries; the next apply retries)",
                   self->dir, vocfed_strerror(rc));
}

void
store_i_sync_apply(store_t *self)
{
    if (!self->lazy_apply)
        store_i_read_apply(self);
}

typedef struct {
    const char *author; /* whose */
    uint64_t *seq;      /* gets the last seq applied */
} s_applied_t;

static int
s_applied_txn(store_t *self, MDB_txn *log, void *ctx)
{
    s_applied_t *q = ctx;
    MDB_txn *dtxn;
    uint32_t no;
    int rc = store_i_authno(log, self, q->author, &no);
    if (rc || (rc = store_i_dread_begin(self, &dtxn)))
        return rc;
    rc = store_i_applied_seq(self, dtxn, no, q->seq);
    mdb_txn_abort(dtxn);
    return rc;
}

int
store_applied(store_t *self, const char *author, uint64_t *seq)
{
    s_applied_t q = {author, seq};
    *seq = 0;
    return store_i_read(self, s_applied_txn, &q);
}

/* ---- reads and work on derived data ----------------------------------- */

int
store_i_read_both(store_t *self, store_i_both_fn fn, void *ctx)
{
    store_txn_t t = {self, NULL, NULL};
    store_i_read_apply(self);
    int rc = store_i_dread_begin(self, &t.txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = store_i_read_begin(self, &t.log)) == MDB_SUCCESS) {
        rc = fn(self, &t, ctx);
        mdb_txn_abort(t.log);
    }
    mdb_txn_abort(t.txn);
    return store_i_status(rc);
}

int
store_i_read_derived(store_t *self, store_i_txn_fn fn, void *ctx)
{
    MDB_txn *txn;
    store_i_read_apply(self);
    int rc = store_i_dread_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    rc = fn(self, txn, ctx);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

typedef struct {
    store_txn_fn fn; /* the work */
    void *ctx;       /* its context */
} s_with_t;

/* Applies everything the log snapshot holds, then runs the work: a
 * replay of that snapshot sees what the derived data has applied. */
static int
s_with_txn(store_t *self, MDB_txn *dtxn, void *ctx)
{
    s_with_t *w = ctx;
    store_txn_t t = {self, dtxn, NULL};
    s_apply_t a = {.self = self, .budget = SIZE_MAX, .t = &t};
    int rc = store_i_read_begin(self, &t.log);
    if (rc)
        return rc;
    store_i_chunk_init(&a.chunk);
    if ((rc = s_apply_run(self, &a)) == MDB_SUCCESS) {
        self->htxn = t;
        rc = w->fn(w->ctx, &self->htxn);
    }
    store_i_chunk_release(&a.chunk);
    mdb_txn_abort(t.log);
    return rc;
}

int
store_with_txn(store_t *self, store_txn_fn fn, void *ctx)
{
    s_with_t w = {fn, ctx};
    int rc = store_i_derived_ready(self);
    /* The backlog first, in chunks: what s_with_txn still applies in
     * its one transaction is then only what arrived meanwhile (its
     * chunk is held in memory whole). */
    if (rc == VOCFED_OK)
        rc = store_catch_up(self, 0);
    return rc ? rc : store_i_dwrite(self, s_with_txn, &w);
}
