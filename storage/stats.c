/* vocfed: the stats row of a node (see stats.h, SPEC 5.1). */
#include "storage/stats.h"
#include "storage/store_internal.h"

#include <string.h>

/* Batches per commit (the coordinator commits at most 16 together). */
static const uint64_t s_batches[] = {1, 2, 4, 8, 16};
/* Entries per commit. */
static const uint64_t s_entries[] = {1,    4,    16,    64,   256,
                                     1024, 4096, 16384, 65536};
/* Durations, microseconds: 1 ms to 60 s. */
static const uint64_t s_us[] = {1000,    2500,    5000,     10000,    25000,
                                50000,   100000,  250000,   500000,   1000000,
                                2500000, 5000000, 10000000, 30000000, 60000000};

#define S_N(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(S_N(s_us) <= STORE_STATS_BUCKETS, "buckets fit the row");
_Static_assert(S_N(s_entries) <= STORE_STATS_BUCKETS, "buckets fit the row");

/* u64s of the row: the outcomes, then per histogram count, sum, buckets. */
#define S_HIST_U64 (2 + STORE_STATS_BUCKETS)
#define S_U64 (STORE_STATS_OUTCOMES + STORE_HISTS * S_HIST_U64)

const uint64_t *
store_stats_bounds(store_hist_id_t h, size_t *n)
{
    switch (h) {
    case STORE_HIST_COMMIT_BATCHES:
        *n = S_N(s_batches);
        return s_batches;
    case STORE_HIST_COMMIT_ENTRIES:
        *n = S_N(s_entries);
        return s_entries;
    default:
        *n = S_N(s_us);
        return s_us;
    }
}

size_t
store_stats_slot(int status)
{
    if (status == VOCFED_OK)
        return STORE_STATS_OK;
    int k = -9000 - status;
    if (k >= 0 && k < STORE_STATS_OUTCOMES - 2)
        return 1 + (size_t)k;
    return STORE_STATS_OTHER;
}

int
store_stats_slot_status(size_t slot)
{
    if (slot == STORE_STATS_OK)
        return VOCFED_OK;
    if (slot >= STORE_STATS_OTHER)
        return 1;
    return -9000 - (int)(slot - 1);
}

void
store_stats_observe(store_stats_t *s, store_hist_id_t h, uint64_t v, uint64_t n)
{
    size_t nb;
    const uint64_t *b = store_stats_bounds(h, &nb);
    store_hist_t *x = &s->hist[h];
    x->count += n;
    x->sum += v * n;
    for (size_t i = 0; i < nb; i++) {
        if (v <= b[i]) {
            x->bucket[i] += n;
            break;
        }
    }
}

/* The row: S_U64 big-endian u64s, in the struct's order. */
static void
s_flat(const store_stats_t *s, uint64_t *u)
{
    size_t k = 0;
    for (size_t i = 0; i < STORE_STATS_OUTCOMES; i++)
        u[k++] = s->batches[i];
    for (size_t h = 0; h < STORE_HISTS; h++) {
        u[k++] = s->hist[h].count;
        u[k++] = s->hist[h].sum;
        for (size_t i = 0; i < STORE_STATS_BUCKETS; i++)
            u[k++] = s->hist[h].bucket[i];
    }
}

static void
s_unflat(const uint64_t *u, store_stats_t *s)
{
    size_t k = 0;
    for (size_t i = 0; i < STORE_STATS_OUTCOMES; i++)
        s->batches[i] = u[k++];
    for (size_t h = 0; h < STORE_HISTS; h++) {
        s->hist[h].count = u[k++];
        s->hist[h].sum = u[k++];
        for (size_t i = 0; i < STORE_STATS_BUCKETS; i++)
            s->hist[h].bucket[i] = u[k++];
    }
}

/* ---- rows of n big-endian u64 in peers: the stats row, the rates row ---- */

typedef struct {
    MDB_val key; /* tag || id */
    uint64_t *u; /* read into, or written from */
    size_t n;    /* how many */
} s_row_t;

static int
s_get_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_row_t *r = ctx;
    MDB_val d;
    int rc = mdb_get(txn, self->peers, &r->key, &d);
    if (rc)
        return rc;
    if (d.mv_size != 8 * r->n)
        return VOCFED_ECORRUPT;
    for (size_t i = 0; i < r->n; i++)
        r->u[i] = store_i_rd64((const uint8_t *)d.mv_data + 8 * i);
    return VOCFED_OK;
}

/* Node id's row of tag into u (n u64): VOCFED_ENOTFOUND when none was
 * written (or id is no id), VOCFED_ECORRUPT of another length. */
static int
s_row_get(store_t *self, char tag, const char *id, uint64_t *u, size_t n)
{
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_ENOTFOUND;
    uint8_t k[1 + PROTO_ID_MAX];
    s_row_t r = {{store_i_key_tagged(k, tag, id), k}, u, n};
    return store_i_read(self, s_get_txn, &r);
}

static int
s_set_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_row_t *r = ctx;
    uint8_t v[8 * S_U64];
    for (size_t i = 0; i < r->n; i++)
        store_i_be64(v + 8 * i, r->u[i]);
    MDB_val d = {8 * r->n, v};
    return mdb_put(txn, self->peers, &r->key, &d, 0);
}

/* Replaces node id's row of tag with u (n u64, at most S_U64). */
static int
s_row_set(store_t *self, char tag, const char *id, uint64_t *u, size_t n)
{
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_EINVALID;
    uint8_t k[1 + PROTO_ID_MAX];
    s_row_t r = {{store_i_key_tagged(k, tag, id), k}, u, n};
    return store_i_write(self, s_set_txn, &r);
}

int
store_stats_get(store_t *self, const char *id, store_stats_t *out)
{
    uint64_t u[S_U64];
    memset(out, 0, sizeof *out);
    int rc = s_row_get(self, 's', id, u, S_U64);
    if (rc == VOCFED_OK)
        s_unflat(u, out);
    return rc;
}

int
store_stats_set(store_t *self, const char *id, const store_stats_t *s)
{
    uint64_t u[S_U64];
    s_flat(s, u);
    return s_row_set(self, 's', id, u, S_U64);
}

int
store_rates_get(store_t *self, const char *id, store_rates_t *out)
{
    uint64_t u[3];
    memset(out, 0, sizeof *out);
    int rc = s_row_get(self, 'c', id, u, 3);
    if (rc == VOCFED_OK)
        *out = (store_rates_t){u[0], u[1], u[2]};
    return rc;
}

int
store_rates_set(store_t *self, const char *id, const store_rates_t *r)
{
    uint64_t u[3] = {r->msgs, r->bytes, r->since_ms};
    return s_row_set(self, 'c', id, u, 3);
}
