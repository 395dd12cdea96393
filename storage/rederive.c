/* vocfed: the derived data recomputed beside the kept one, and the two
 * compared row by row (store_rederive_compare; SPEC 5.6, 12.4).
 *
 * `verify --figures` on a large store: a replay into memory holds every
 * person's lists and claims at once (~0.9 KB an entry: 9 GiB at 10M).
 * Here the applier builds the derived data again from the logs in a
 * scratch folder, in the chunks it always uses (bounded memory, SPEC
 * 5.5), to where the kept data stands in one snapshot of it, and the
 * two databases are walked side by side in key order.
 *
 * Keys name persons by number (persons.c), given at first sight in an
 * order that depends on where chunks ended; so the recomputation first
 * takes the kept numbers (both tables copied, then checked to be one to
 * one), and its rows then compare with the kept ones as stored. */
#include "storage/persons.h"
#include "storage/store_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define S_COPY_ROWS 1000000 /* rows of persons or pnums per transaction */

/* The kept derived.mdb, read only, in one snapshot held throughout. */
typedef struct {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi figures, applied, persons, pnew, pnums;
    bool has_pnew; /* (derived data of layout 5 on: persons.h) */
} s_kept_t;

static void
s_kept_close(s_kept_t *k)
{
    if (k->txn)
        mdb_txn_abort(k->txn);
    if (k->env)
        mdb_env_close(k->env);
    k->txn = NULL;
    k->env = NULL;
}

static int
s_kept_open(const char *dir, s_kept_t *k)
{
    char path[4096];
    struct stat sb;
    int rc, n = snprintf(path, sizeof path, "%s/derived.mdb", dir);
    memset(k, 0, sizeof *k);
    if (n < 0 || (size_t)n >= sizeof path)
        return VOCFED_ETOOLARGE;
    if (stat(path, &sb) != 0)
        return VOCFED_ENOTFOUND;
    /* The live store's derived file: opened as its other openers do
     * (envopen.c, SPEC 5.1). */
    store_i_env_spec_t spec = {path, 8, (size_t)sb.st_size,
                               MDB_RDONLY | MDB_NOSUBDIR | MDB_NOTLS};
    if ((rc = store_i_env_open(dir, "kept derived", &spec, &k->env)) ||
        (rc = mdb_txn_begin(k->env, NULL, MDB_RDONLY, &k->txn)) ||
        (rc = mdb_dbi_open(k->txn, "figures", 0, &k->figures)) ||
        (rc = mdb_dbi_open(k->txn, "applied", 0, &k->applied)) ||
        (rc = mdb_dbi_open(k->txn, "persons", 0, &k->persons)) ||
        (rc = mdb_dbi_open(k->txn, "pnums", 0, &k->pnums))) {
        s_kept_close(k);
        return rc == MDB_NOTFOUND ? VOCFED_ENOTFOUND : store_i_status(rc);
    }
    /* An older layout has no pnew: its version is refused after the
     * seeding (store_i_apply_like), as before. */
    rc = mdb_dbi_open(k->txn, "pnew", 0, &k->pnew);
    k->has_pnew = rc == MDB_SUCCESS;
    if (rc && rc != MDB_NOTFOUND) {
        s_kept_close(k);
        return store_i_status(rc);
    }
    return VOCFED_OK;
}

/* store_i_kept_fn over the kept applied table. */
static int
s_kept_get(void *ctx, const void *k, size_t klen, const uint8_t **d,
           size_t *len)
{
    s_kept_t *kept = ctx;
    MDB_val key = {klen, (void *)k}, v;
    int rc = mdb_get(kept->txn, kept->applied, &key, &v);
    if (rc == MDB_SUCCESS) {
        *d = v.mv_data;
        *len = v.mv_size;
    }
    return rc;
}

/* Rows of a database in one snapshot (mdb_stat). */
static size_t
s_rows(MDB_txn *txn, MDB_dbi dbi, size_t *bytes)
{
    MDB_stat st;
    if (mdb_stat(txn, dbi, &st) != MDB_SUCCESS)
        return 0;
    if (bytes)
        *bytes =
            (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) *
            (size_t)st.ms_psize;
    return st.ms_entries;
}

/* ---- the person numbers, taken from the kept data ----------------------- */

typedef struct {
    s_kept_t *kept;
    MDB_dbi from;         /* the kept table */
    MDB_dbi to;           /* self's */
    MDB_val start;        /* the first key not yet committed; size 0:
                             from the first */
    MDB_val next;         /* where this transaction stopped */
    size_t rows;          /* rows this transaction copied */
    bool end;             /* it reached the end */
    store_rederive_fn fn; /* progress */
    void *ctx;
    uint64_t done, total; /* rows copied of both tables */
} s_copy_t;

/* Copies up to S_COPY_ROWS rows from c->start (a write transaction that
 * may run again: it reads only what the last commit left in c). */
static int
s_copy_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    (void)self;
    s_copy_t *c = ctx;
    MDB_cursor *src, *dst;
    MDB_val k = c->start, v;
    int rc = mdb_cursor_open(c->kept->txn, c->from, &src);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, c->to, &dst))) {
        mdb_cursor_close(src);
        return rc;
    }
    c->rows = 0;
    c->end = false;
    rc = mdb_cursor_get(src, &k, &v, k.mv_size ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == MDB_SUCCESS && c->rows < S_COPY_ROWS) {
        if ((rc = mdb_cursor_put(dst, &k, &v, MDB_APPEND)))
            break;
        c->rows++;
        rc = mdb_cursor_get(src, &k, &v, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND) {
        c->end = true;
        rc = MDB_SUCCESS;
    }
    c->next = k; /* the kept snapshot's bytes: valid while it is held */
    mdb_cursor_close(dst);
    mdb_cursor_close(src);
    return rc;
}

static int
s_copy(store_t *self, s_kept_t *kept, MDB_dbi from, MDB_dbi to, s_copy_t *c)
{
    c->kept = kept;
    c->from = from;
    c->to = to;
    c->start = (MDB_val){0, NULL};
    do {
        int rc = store_i_dwrite(self, s_copy_txn, c);
        if (rc)
            return rc;
        c->start = c->next;
        c->done += c->rows;
        if (c->fn)
            c->fn(c->ctx, "persons", c->done, c->total);
    } while (!c->end);
    return VOCFED_OK;
}

/* Every number of pnums names a person that persons or pnew gives it
 * back, and the two hold as many as pnums. */
static int
s_one_to_one(store_t *self, store_rederive_diff_t *diff)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    int rc = store_i_dread_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    size_t np =
        s_rows(txn, self->persons, NULL) + s_rows(txn, self->pnew, NULL);
    size_t nn = s_rows(txn, self->pnums, NULL);
    if ((rc = mdb_cursor_open(txn, self->pnums, &c))) {
        mdb_txn_abort(txn);
        return store_i_status(rc);
    }
    rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        uint32_t no = 0;
        int g = v.mv_size == 32 ? store_i_persons_get(self, txn, v.mv_data, &no)
                                : VOCFED_ECORRUPT;
        if (g == MDB_NOTFOUND || g == VOCFED_ECORRUPT ||
            (g == MDB_SUCCESS &&
             (k.mv_size != 4 || store_i_rd32(k.mv_data) != no))) {
            rc = VOCFED_ECORRUPT;
            break;
        }
        if (g) {
            rc = g;
            break;
        }
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND)
        rc = np == nn ? MDB_SUCCESS : VOCFED_ECORRUPT;
    if (rc == VOCFED_ECORRUPT) {
        diff->table = "persons";
        diff->klen = 0;
        if (np == nn && k.mv_size <= sizeof diff->key) {
            memcpy(diff->key, k.mv_data, k.mv_size);
            diff->klen = k.mv_size;
        }
        diff->in_kept = true;
        diff->in_again = false;
    }
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

static int
s_seed(store_t *self, s_kept_t *kept, store_rederive_fn fn, void *ctx,
       store_rederive_diff_t *diff)
{
    MDB_txn *txn;
    size_t bp = 0, bn = 0;
    uint64_t point = 0;
    int rc = store_i_dread_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    size_t mine =
        s_rows(txn, self->persons, NULL) + s_rows(txn, self->pnew, NULL);
    MDB_val key = {1, "n"}, v;
    if (mdb_get(txn, self->applied, &key, &v) == MDB_SUCCESS && v.mv_size == 8)
        point = store_i_rd64(v.mv_data);
    mdb_txn_abort(txn);
    if (mine || point)
        return VOCFED_EINVALID; /* not a new derived folder */
    s_copy_t c = {.fn = fn, .ctx = ctx};
    size_t by = 0;
    c.total = s_rows(kept->txn, kept->persons, &bp) +
              (kept->has_pnew ? s_rows(kept->txn, kept->pnew, &by) : 0) +
              s_rows(kept->txn, kept->pnums, &bn);
    bp += by;
    (void)store_i_reserve(self, true, bp + bn + bp / 4 + bn / 4);
    if ((rc = s_copy(self, kept, kept->persons, self->persons, &c)) ||
        (kept->has_pnew &&
         (rc = s_copy(self, kept, kept->pnew, self->pnew, &c))) ||
        (rc = s_copy(self, kept, kept->pnums, self->pnums, &c)))
        return rc;
    return s_one_to_one(self, diff);
}

/* ---- the comparison ----------------------------------------------------- */

static void
s_side(const MDB_val *d, int64_t *value)
{
    *value = d->mv_size == 8 ? (int64_t)store_i_rd64(d->mv_data) : 0;
}

/* Notes the first difference: key k of table, held by the kept data
 * (kv, or NULL) and by the recomputation (av, or NULL). */
static int
s_differ(store_t *self, MDB_txn *txn, const char *table, const MDB_val *k,
         const MDB_val *kv, const MDB_val *av, store_rederive_diff_t *diff)
{
    size_t len = 0;
    diff->table = table;
    diff->in_kept = kv != NULL;
    diff->in_again = av != NULL;
    diff->values = (!kv || kv->mv_size == 8) && (!av || av->mv_size == 8);
    if (kv)
        s_side(kv, &diff->kept_value);
    if (av)
        s_side(av, &diff->again_value);
    /* The figures' keys in their logical form (persons by pseudo_id);
     * numbers the recomputation holds (it took the kept ones). */
    if (strcmp(table, "figures") == 0 &&
        store_i_punkey(self, txn, k->mv_data, k->mv_size, 0, diff->key,
                       sizeof diff->key, &len) == MDB_SUCCESS) {
        diff->klen = len;
    } else {
        diff->klen =
            k->mv_size < sizeof diff->key ? k->mv_size : sizeof diff->key;
        memcpy(diff->key, k->mv_data, diff->klen);
    }
    return VOCFED_ECORRUPT;
}

/* Walks table mine (self's, in txn) and theirs (the kept one) side by
 * side in key order. */
static int
s_walk(store_t *self, MDB_txn *txn, MDB_dbi mine, s_kept_t *kept,
       MDB_dbi theirs, const char *table, store_rederive_fn fn, void *ctx,
       uint64_t total, store_rederive_diff_t *diff)
{
    MDB_cursor *a, *b;
    MDB_val ak, av, bk, bv;
    uint64_t n = 0;
    int rc = mdb_cursor_open(txn, mine, &a);
    if (rc)
        return store_i_status(rc);
    if ((rc = mdb_cursor_open(kept->txn, theirs, &b))) {
        mdb_cursor_close(a);
        return store_i_status(rc);
    }
    int ra = mdb_cursor_get(a, &ak, &av, MDB_FIRST);
    int rb = mdb_cursor_get(b, &bk, &bv, MDB_FIRST);
    rc = VOCFED_OK;
    while (!rc && (ra == MDB_SUCCESS || rb == MDB_SUCCESS)) {
        if ((ra && ra != MDB_NOTFOUND) || (rb && rb != MDB_NOTFOUND)) {
            rc = store_i_status(ra && ra != MDB_NOTFOUND ? ra : rb);
            break;
        }
        int cmp = ra ? 1 : rb ? -1 : mdb_cmp(txn, mine, &ak, &bk);
        if (cmp < 0) {
            rc = s_differ(self, txn, table, &ak, NULL, &av, diff);
        } else if (cmp > 0) {
            rc = s_differ(self, txn, table, &bk, &bv, NULL, diff);
        } else if (av.mv_size != bv.mv_size ||
                   memcmp(av.mv_data, bv.mv_data, av.mv_size) != 0) {
            rc = s_differ(self, txn, table, &ak, &bv, &av, diff);
        } else {
            ra = mdb_cursor_get(a, &ak, &av, MDB_NEXT);
            rb = mdb_cursor_get(b, &bk, &bv, MDB_NEXT);
            if (fn && ++n % 1000000 == 0)
                fn(ctx, "compare", n, total);
        }
    }
    mdb_cursor_close(b);
    mdb_cursor_close(a);
    return rc;
}

/* ---- the whole ------------------------------------------------------------
 */

typedef struct {
    store_rederive_fn fn;
    void *ctx;
} s_step_t;

static void
s_step(void *ctx, uint64_t point, uint64_t target)
{
    s_step_t *s = ctx;
    if (s->fn)
        s->fn(s->ctx, "apply", point, target);
}

int
store_rederive_compare(store_t *self, const char *kept_dir,
                       store_rederive_fn fn, void *ctx,
                       store_rederive_diff_t *diff)
{
    s_kept_t kept;
    MDB_txn *txn;
    memset(diff, 0, sizeof *diff);
    if (!self->has_hook || strcmp(self->ddir, self->dir) == 0)
        return VOCFED_EINVALID; /* the figures to apply, a folder apart */
    int rc = s_kept_open(kept_dir, &kept);
    if (rc)
        return rc;
    s_step_t step = {fn, ctx};
    if (!(rc = s_seed(self, &kept, fn, ctx, diff)) &&
        !(rc = store_i_apply_like(self, s_kept_get, &kept, s_step, &step)) &&
        !(rc = store_i_status(store_i_dread_begin(self, &txn)))) {
        uint64_t total = s_rows(kept.txn, kept.figures, NULL) +
                         s_rows(kept.txn, kept.applied, NULL);
        rc = s_walk(self, txn, self->applied, &kept, kept.applied, "applied",
                    NULL, NULL, 0, diff);
        if (!rc)
            rc = s_walk(self, txn, self->figures, &kept, kept.figures,
                        "figures", fn, ctx, total, diff);
        mdb_txn_abort(txn);
    }
    s_kept_close(&kept);
    return rc;
}
