/* vocfed: derived data kept in the log's own transactions (SPEC 5.5):
 * the apply hook, the current-record index, and the counters and blobs
 * of the figures database. */
#include "storage/log_internal.h"
#include "storage/replica.h"

#include <stdlib.h>
#include <string.h>

/* ---- the apply hook (SPEC 5.5) ------------------------------------------ */

void
store_set_hook(store_t *self, const store_hook_t *hook)
{
    if (self->has_hook && self->hook.destroy)
        self->hook.destroy(self->hook.ctx);
    self->has_hook = hook != NULL;
    if (hook)
        self->hook = *hook;
}

int
store_i_check(store_t *self, const char *author, const proto_entry_t *e)
{
    if (!self->has_hook || !self->hook.check)
        return MDB_SUCCESS;
    return self->hook.check(self->hook.ctx, author, e);
}

/* ---- the record index ---------------------------------------------------- */

/* One row of the record index as a scan hands it over. */
typedef struct {
    char kind[PROTO_KIND_MAX + 1]; /* its kind */
    char key[PROTO_KEY_MAX + 1];   /* its natural key */
    uint64_t seq;                  /* the entry holding the current record */
    MDB_val entry;                 /* that entry's stored value (borrowed) */
} s_record_t;

typedef int (*s_record_fn)(void *ctx, const s_record_t *r);

typedef struct {
    store_t *self;      /* the store */
    MDB_txn *txn;       /* the derived transaction (the index) */
    MDB_txn *log;       /* the log's snapshot beside it (the entries) */
    uint32_t authno;    /* whose records */
    const char *author; /* whose records, by id */
    s_record_fn fn;     /* called per row */
    void *ctx;          /* its context */
    int stop;           /* fn's non-zero value, if it stopped the scan */
} s_record_scan_t;

static int
s_record_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_record_scan_t *s = ctx;
    s_record_t r;
    const char *name = (const char *)key->mv_data + 4;
    size_t nlen = key->mv_size - 4, klen = strnlen(name, nlen);
    if (klen >= nlen || klen > PROTO_KIND_MAX || d->mv_size != 8)
        return VOCFED_ECORRUPT;
    memcpy(r.kind, name, klen);
    r.kind[klen] = 0;
    int rc = store_i_key_record_text((const uint8_t *)name + klen + 1,
                                     nlen - klen - 1, r.key, sizeof r.key);
    if (rc)
        return rc;
    r.seq = store_i_rd64(d->mv_data);
    rc = store_i_entry_value(s->self, s->log, s->authno, r.seq, &r.entry);
    return rc ? rc : (s->stop = s->fn(s->ctx, &r));
}

/* Calls fn for each current record of authno (of one kind, or all when
 * kind is NULL) in key order. Returns MDB_SUCCESS, fn's value (also in
 * s->stop), VOCFED_ECORRUPT or an LMDB code. */
static int
s_scan_records(s_record_scan_t *s, const char *kind)
{
    uint8_t prefix[4 + PROTO_KIND_MAX + 1];
    size_t plen = 4;
    store_i_be32(prefix, s->authno);
    if (kind) {
        size_t kl = strlen(kind);
        if (kl > PROTO_KIND_MAX)
            return VOCFED_EINVALID;
        memcpy(prefix + 4, kind, kl);
        prefix[4 + kl] = 0;
        plen += kl + 1;
    }
    return store_i_scan(s->txn, s->self->records, prefix, plen, plen,
                        s_record_row, s);
}

typedef struct {
    const char *kind;   /* which kind */
    store_record_fn fn; /* the caller's callback */
    void *ctx;          /* its context */
} s_by_kind_t;

static int
s_by_kind_row(void *ctx, const s_record_t *r)
{
    s_by_kind_t *k = ctx;
    return k->fn(k->ctx, r->key, r->seq,
                 (const uint8_t *)r->entry.mv_data + PROTO_HASH_LEN,
                 r->entry.mv_size - PROTO_HASH_LEN);
}

static int
s_scan_records_txn(store_t *self, store_txn_t *t, void *ctx)
{
    s_record_scan_t *s = ctx;
    s->self = self;
    s->txn = t->txn;
    s->log = t->log;
    int rc = store_i_authno(t->log, self, s->author, &s->authno);
    return rc ? rc : s_scan_records(s, ((s_by_kind_t *)s->ctx)->kind);
}

int
store_scan_records(store_t *self, const char *author, const char *kind,
                   store_record_fn fn, void *ctx)
{
    if (kind && !proto_kind_valid(kind, strlen(kind)))
        return VOCFED_EINVALID;
    s_by_kind_t k = {kind, fn, ctx};
    s_record_scan_t s = {.fn = s_by_kind_row, .ctx = &k, .author = author};
    int rc = store_i_read_both(self, s_scan_records_txn, &s);
    return s.stop ? s.stop : rc;
}

typedef struct {
    store_txn_record_fn fn; /* the caller's callback */
    void *ctx;              /* its context */
} s_bodies_t;

static int
s_body_row(void *ctx, const s_record_t *r)
{
    s_bodies_t *b = ctx;
    proto_entry_t e;
    if (proto_entry_decode((uint8_t *)r->entry.mv_data + PROTO_HASH_LEN,
                           r->entry.mv_size - PROTO_HASH_LEN, &e) != VOCFED_OK)
        return VOCFED_ECORRUPT;
    return b->fn(b->ctx, r->kind, r->key, e.body, e.body_len);
}

int
store_txn_scan_records(store_txn_t *t, const char *author, const char *kind,
                       store_txn_record_fn fn, void *ctx)
{
    s_bodies_t b = {fn, ctx};
    s_record_scan_t s = {t->self, t->txn, t->log, 0, author, s_body_row, &b, 0};
    int rc = store_i_authno(t->log, t->self, author, &s.authno);
    if (rc)
        return store_i_status(rc);
    rc = s_scan_records(&s, kind);
    return rc > 0 ? store_i_status(rc) : rc;
}

/* The seq of the current record (authno, kind, key), and its entry's
 * stored value. */
static int
s_record_at(store_t *self, const store_txn_t *t, uint32_t no, const char *kind,
            const char *key, uint64_t *seq, MDB_val *entry)
{
    uint8_t rk[STORE_KEY_RECORD_MAX];
    MDB_val rkey = {store_i_key_record(rk, no, kind, strlen(kind), key,
                                       strlen(key)),
                    rk},
            d;
    int rc = mdb_get(t->txn, self->records, &rkey, &d);
    if (rc)
        return rc;
    if (d.mv_size != 8)
        return VOCFED_ECORRUPT;
    *seq = store_i_rd64(d.mv_data);
    return store_i_entry_value(self, t->log, no, *seq, entry);
}

typedef struct {
    const char *author;     /* whose */
    const char *kind, *key; /* the record */
    proto_buf_t *out;       /* gets its entry */
    uint64_t *seq;          /* gets its seq */
} s_record_get_t;

static int
s_record_get_txn(store_t *self, store_txn_t *t, void *ctx)
{
    s_record_get_t *g = ctx;
    MDB_val d;
    uint32_t no;
    int rc = store_i_authno(t->log, self, g->author, &no);
    if (!rc)
        rc = s_record_at(self, t, no, g->kind, g->key, g->seq, &d);
    return rc ? rc
              : proto_buf_append(g->out,
                                 (const uint8_t *)d.mv_data + PROTO_HASH_LEN,
                                 d.mv_size - PROTO_HASH_LEN);
}

int
store_record_get(store_t *self, const char *author, const char *kind,
                 const char *key, proto_buf_t *out, uint64_t *seq)
{
    if (!proto_kind_valid(kind, strlen(kind)) ||
        !proto_key_valid(key, strlen(key)))
        return VOCFED_ENOTFOUND;
    s_record_get_t g = {author, kind, key, out, seq};
    return store_i_read_both(self, s_record_get_txn, &g);
}

int
store_txn_record(store_txn_t *t, const char *author, const char *kind,
                 const char *key, proto_buf_t *out)
{
    uint32_t no;
    uint64_t seq;
    MDB_val d;
    proto_entry_t e;
    if (!proto_kind_valid(kind, strlen(kind)) ||
        !proto_key_valid(key, strlen(key)))
        return VOCFED_ENOTFOUND;
    int rc = store_i_authno(t->log, t->self, author, &no);
    if (!rc)
        rc = s_record_at(t->self, t, no, kind, key, &seq, &d);
    if (rc)
        return store_i_status(rc);
    if (proto_entry_decode((uint8_t *)d.mv_data + PROTO_HASH_LEN,
                           d.mv_size - PROTO_HASH_LEN, &e) != VOCFED_OK)
        return VOCFED_ECORRUPT;
    return proto_buf_append(out, e.body, e.body_len);
}

/* ---- counters and blobs ------------------------------------------------ */

int
store_txn_counter_get(store_txn_t *t, const void *key, size_t len,
                      int64_t *value)
{
    MDB_val k = {len, (void *)key}, d;
    int rc = mdb_get(t->txn, t->self->figures, &k, &d);
    *value = 0;
    if (rc == MDB_NOTFOUND)
        return VOCFED_OK;
    if (rc)
        return store_i_status(rc);
    if (d.mv_size != 8)
        return VOCFED_ECORRUPT;
    *value = (int64_t)store_i_rd64(d.mv_data);
    return VOCFED_OK;
}

int
store_txn_counter_set(store_txn_t *t, const void *key, size_t len,
                      int64_t value)
{
    if (len == 0 || len > 511)
        return VOCFED_EINVALID;
    MDB_val k = {len, (void *)key};
    if (value == 0) {
        int rc = mdb_del(t->txn, t->self->figures, &k, NULL);
        return rc == MDB_NOTFOUND ? VOCFED_OK : rc;
    }
    uint8_t v[8];
    store_i_be64(v, (uint64_t)value);
    MDB_val d = {8, v};
    return mdb_put(t->txn, t->self->figures, &k, &d, 0);
}

int
store_txn_counters_clear(store_txn_t *t)
{
    return mdb_drop(t->txn, t->self->figures, 0);
}

typedef struct {
    store_counter_fn fn; /* the caller's callback */
    void *ctx;           /* its context */
    const void *prefix;  /* the keys wanted begin with it */
    size_t plen;         /* its length */
    int stop;            /* fn's non-zero value, if it stopped the scan */
} s_counters_t;

static int
s_counter_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_counters_t *c = ctx;
    if (d->mv_size != 8)
        return VOCFED_ECORRUPT;
    return c->stop = c->fn(c->ctx, key->mv_data, key->mv_size,
                           (int64_t)store_i_rd64(d->mv_data));
}

static int
s_counters_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_counters_t *c = ctx;
    return store_i_scan(txn, self->figures, c->prefix, c->plen, c->plen,
                        s_counter_row, c);
}

int
store_scan_counters(store_t *self, store_txn_t *t, const void *prefix,
                    size_t plen, store_counter_fn fn, void *ctx)
{
    s_counters_t c = {fn, ctx, prefix, plen, 0};
    int rc = t ? s_counters_txn(self, t->txn, &c)
               : store_i_read_derived(self, s_counters_txn, &c);
    return c.stop ? c.stop : store_i_status(rc);
}

int
store_i_derived_ready(const store_t *self)
{
    return self->has_hook || self->no_derived ? VOCFED_OK : VOCFED_EINVALID;
}

int
store_txn_blob_get(store_txn_t *t, const void *key, size_t klen,
                   proto_buf_t *out)
{
    MDB_val k = {klen, (void *)key}, d;
    int rc = mdb_get(t->txn, t->self->figures, &k, &d);
    if (rc)
        return store_i_status(rc);
    return proto_buf_append(out, d.mv_data, d.mv_size);
}

int
store_txn_blob_set(store_txn_t *t, const void *key, size_t klen,
                   const void *data, size_t len)
{
    if (klen == 0 || klen > 511)
        return VOCFED_EINVALID;
    MDB_val k = {klen, (void *)key};
    /* Raw LMDB codes, as in store_txn_counter_set: MDB_MAP_FULL must
     * reach store_i_write unchanged so that it grows the map and retries
     * (SPEC 5.4); translated, it would be a "storage full" refusal. */
    if (len == 0) {
        int rc = mdb_del(t->txn, t->self->figures, &k, NULL);
        return rc == MDB_NOTFOUND ? VOCFED_OK : rc;
    }
    MDB_val d = {len, (void *)data};
    return mdb_put(t->txn, t->self->figures, &k, &d, 0);
}

typedef struct {
    store_blob_fn fn;   /* the caller's callback */
    void *ctx;          /* its context */
    const void *prefix; /* the keys wanted begin with it */
    size_t plen;        /* its length */
    int stop;           /* fn's non-zero value, if it stopped the scan */
} s_blobs_t;

static int
s_blob_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_blobs_t *b = ctx;
    return b->stop = b->fn(b->ctx, key->mv_data, key->mv_size, d->mv_data,
                           d->mv_size);
}

static int
s_blobs_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_blobs_t *b = ctx;
    return store_i_scan(txn, self->figures, b->prefix, b->plen, b->plen,
                        s_blob_row, b);
}

int
store_txn_scan_blobs(store_txn_t *t, const void *prefix, size_t plen,
                     store_blob_fn fn, void *ctx)
{
    s_blobs_t b = {fn, ctx, prefix, plen, 0};
    int rc = s_blobs_txn(t->self, t->txn, &b);
    return b.stop ? b.stop : store_i_status(rc);
}

int
store_scan_blobs(store_t *self, const void *prefix, size_t plen,
                 store_blob_fn fn, void *ctx)
{
    s_blobs_t b = {fn, ctx, prefix, plen, 0};
    int rc = store_i_read_derived(self, s_blobs_txn, &b);
    return b.stop ? b.stop : rc;
}

/* ---- a cursor on the figures database ----------------------------------- */

struct store_fcursor {
    MDB_cursor *cur; /* on t->self->figures */
};

int
store_fcursor_open(store_txn_t *t, store_fcursor_t **out)
{
    store_fcursor_t *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return VOCFED_ENOMEM;
    int rc = mdb_cursor_open(t->txn, t->self->figures, &c->cur);
    if (rc) {
        free(c);
        return rc;
    }
    *out = c;
    return MDB_SUCCESS;
}

void
store_fcursor_close(store_fcursor_t **self)
{
    if (!self || !*self)
        return;
    mdb_cursor_close((*self)->cur);
    free(*self);
    *self = NULL;
}

int
store_fcursor_get(store_fcursor_t *self, const void *key, size_t klen,
                  proto_buf_t *out)
{
    MDB_val k = {klen, (void *)key}, d;
    int rc = mdb_cursor_get(self->cur, &k, &d, MDB_SET_KEY);
    if (rc)
        return store_i_status(rc);
    return proto_buf_append(out, d.mv_data, d.mv_size);
}

int
store_fcursor_set(store_fcursor_t *self, const void *key, size_t klen,
                  const void *data, size_t len)
{
    if (klen == 0 || klen > 511)
        return VOCFED_EINVALID;
    MDB_val k = {klen, (void *)key}, d;
    /* Raw LMDB codes, as in store_txn_blob_set (map growth). */
    if (len == 0) {
        int rc = mdb_cursor_get(self->cur, &k, &d, MDB_SET);
        if (rc == MDB_NOTFOUND)
            return VOCFED_OK;
        return rc ? rc : mdb_cursor_del(self->cur, 0);
    }
    d = (MDB_val){len, (void *)data};
    return mdb_cursor_put(self->cur, &k, &d, 0);
}
