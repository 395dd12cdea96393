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

typedef struct {
    MDB_val key;      /* 's' || id */
    store_stats_t *s; /* read into (get) */
    const uint8_t *v; /* the value (set) */
} s_row_t;

static int
s_get_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_row_t *r = ctx;
    MDB_val d;
    uint64_t u[S_U64];
    int rc = mdb_get(txn, self->peers, &r->key, &d);
    if (rc)
        return rc;
    if (d.mv_size != 8 * S_U64)
        return VOCFED_ECORRUPT;
    for (size_t i = 0; i < S_U64; i++)
        u[i] = store_i_rd64((const uint8_t *)d.mv_data + 8 * i);
    s_unflat(u, r->s);
    return VOCFED_OK;
}

int
store_stats_get(store_t *self, const char *id, store_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_ENOTFOUND;
    uint8_t k[1 + PROTO_ID_MAX];
    store_stats_t s = {0};
    s_row_t r = {{store_i_key_tagged(k, 's', id), k}, &s, NULL};
    int rc = store_i_read(self, s_get_txn, &r);
    if (rc == VOCFED_OK)
        *out = s;
    return rc;
}

static int
s_set_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_row_t *r = ctx;
    MDB_val d = {8 * S_U64, (void *)r->v};
    return mdb_put(txn, self->peers, &r->key, &d, 0);
}

int
store_stats_set(store_t *self, const char *id, const store_stats_t *s)
{
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_EINVALID;
    uint8_t k[1 + PROTO_ID_MAX], v[8 * S_U64];
    uint64_t u[S_U64];
    s_flat(s, u);
    for (size_t i = 0; i < S_U64; i++)
        store_i_be64(v + 8 * i, u[i]);
    s_row_t r = {{store_i_key_tagged(k, 's', id), k}, NULL, v};
    return store_i_write(self, s_set_txn, &r);
}

/* ---- the rates row ------------------------------------------------------ */

#define S_RATES_LEN 24 /* three u64 */

typedef struct {
    MDB_val key;      /* 'c' || id */
    store_rates_t *r; /* read into */
} s_rates_row_t;

static int
s_rates_get_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_rates_row_t *row = ctx;
    MDB_val d;
    int rc = mdb_get(txn, self->peers, &row->key, &d);
    if (rc)
        return rc;
    if (d.mv_size != S_RATES_LEN)
        return VOCFED_ECORRUPT;
    const uint8_t *v = d.mv_data;
    row->r->msgs = store_i_rd64(v);
    row->r->bytes = store_i_rd64(v + 8);
    row->r->since_ms = store_i_rd64(v + 16);
    return VOCFED_OK;
}

int
store_rates_get(store_t *self, const char *id, store_rates_t *out)
{
    memset(out, 0, sizeof *out);
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_ENOTFOUND;
    uint8_t k[1 + PROTO_ID_MAX];
    store_rates_t r = {0};
    s_rates_row_t row = {{store_i_key_tagged(k, 'c', id), k}, &r};
    int rc = store_i_read(self, s_rates_get_txn, &row);
    if (rc == VOCFED_OK)
        *out = r;
    return rc;
}

static int
s_rates_set_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    const MDB_val *kv = ctx;
    MDB_val d = kv[1];
    return mdb_put(txn, self->peers, (MDB_val *)&kv[0], &d, 0);
}

int
store_rates_set(store_t *self, const char *id, const store_rates_t *r)
{
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_EINVALID;
    uint8_t k[1 + PROTO_ID_MAX], v[S_RATES_LEN];
    store_i_be64(v, r->msgs);
    store_i_be64(v + 8, r->bytes);
    store_i_be64(v + 16, r->since_ms);
    MDB_val kv[2] = {{store_i_key_tagged(k, 'c', id), k}, {sizeof v, v}};
    return store_i_write(self, s_rates_set_txn, kv);
}
