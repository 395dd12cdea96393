/* vocfed: derived data kept in the log's own transactions (SPEC 5.5):
 * the apply hook, the current-record index, and the counters and blobs
 * of the figures database. */
#include "storage/log_internal.h"
#include "storage/persons.h"
#include "storage/replica.h"

#include <stdlib.h>
#include <string.h>

/* ---- the apply hook (SPEC 5.5) ------------------------------------------ */

void
store_set_hook(store_t *self, const store_hook_t *hook)
{
    store_i_next_drop(self);  /* its encoding reads the hook's check */
    store_i_inext_drop(self); /* so do the next group's checks */
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
    uint8_t kb[STORE_KEY_RECORD_MAX];
    size_t kblen;
    int rc = store_i_punkey(s->self, s->txn, key->mv_data, key->mv_size, 4, kb,
                            sizeof kb, &kblen);
    if (rc)
        return rc;
    const char *name = (const char *)kb + 4;
    size_t nlen = kblen - 4, klen = strnlen(name, nlen);
    if (klen >= nlen || klen > PROTO_KIND_MAX || d->mv_size != 8)
        return VOCFED_ECORRUPT;
    memcpy(r.kind, name, klen);
    r.kind[klen] = 0;
    rc = store_i_key_record_text((const uint8_t *)name + klen + 1,
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
    size_t len =
        store_i_key_record(rk, no, kind, strlen(kind), key, strlen(key));
    int rc = store_i_pkey(self, t->txn, rk, len, 4, false, rk, &len);
    MDB_val rkey = {len, rk}, d;
    if (rc == MDB_SUCCESS)
        rc = mdb_get(t->txn, self->records, &rkey, &d);
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

#define S_FKEY_MAX 511 /* the longest key of the figures database */

/* The stored form of a figures key (persons.c); create: a person new to
 * this store gets its number (a put). */
static int
s_fkey(store_t *self, MDB_txn *txn, const void *key, size_t len, bool create,
       uint8_t out[S_FKEY_MAX], size_t *olen)
{
    if (len == 0 || len > S_FKEY_MAX)
        return VOCFED_EINVALID;
    return store_i_pkey(self, txn, key, len, 0, create, out, olen);
}

int
store_txn_counter_get(store_txn_t *t, const void *key, size_t len,
                      int64_t *value)
{
    uint8_t kb[S_FKEY_MAX];
    MDB_val k = {0, kb}, d;
    int rc = s_fkey(t->self, t->txn, key, len, false, kb, &k.mv_size);
    if (rc == MDB_SUCCESS)
        rc = mdb_get(t->txn, t->self->figures, &k, &d);
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
    uint8_t kb[S_FKEY_MAX];
    MDB_val k = {0, kb};
    int rc = s_fkey(t->self, t->txn, key, len, value != 0, kb, &k.mv_size);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_OK : rc;
    if (value == 0) {
        rc = mdb_del(t->txn, t->self->figures, &k, NULL);
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

/* A prefix scan of the figures database in logical keys (persons.c):
 * the prefix turned into its stored form, each row's key back. Keys led
 * by their person (persons.h) do not sort with their prefix: a prefix
 * that may begin one (`h|`, `i|<member>|`) also reads the range of those
 * keys, STORE_KEY_LED on, and keeps the rows whose logical key begins
 * with it (the lists of one member are among every person's: a scan of
 * all, which only a member's exclusion and the figures' check do). */
typedef struct {
    store_t *self;       /* the store */
    MDB_txn *txn;        /* the transaction scanned */
    store_counter_fn fn; /* the caller's callback (counters) */
    store_blob_fn bfn;   /* or this one (blobs) */
    void *ctx;           /* its context */
    const void *prefix;  /* the keys wanted begin with it */
    size_t plen;         /* its length */
    bool filter;         /* rows not beginning with it are skipped */
    bool led;            /* ... and the range led by persons is read, for
                            a prefix without a person */
    int stop;            /* fn's non-zero value, if it stopped the scan */
} s_fscan_t;

static int
s_fscan_row(void *ctx, const MDB_val *key, const MDB_val *d)
{
    s_fscan_t *c = ctx;
    uint8_t kb[S_FKEY_MAX + STORE_PERSON_SHRINK];
    size_t kl;
    const uint8_t *k = key->mv_data;
    /* A led key (0xFE no F) reads F 0x01 pid: a prefix without a person
     * begins it only if it begins F, which is known without the pid. */
    if (c->led && (key->mv_size < 5 + c->plen || k[0] != STORE_KEY_LED ||
                   memcmp(k + 5, c->prefix, c->plen) != 0))
        return MDB_SUCCESS;
    int rc = store_i_punkey(c->self, c->txn, key->mv_data, key->mv_size, 0, kb,
                            sizeof kb, &kl);
    if (rc)
        return rc;
    if (c->filter && (kl < c->plen || memcmp(kb, c->prefix, c->plen) != 0))
        return MDB_SUCCESS;
    if (c->bfn)
        return c->stop = c->bfn(c->ctx, kb, kl, d->mv_data, d->mv_size);
    if (d->mv_size != 8)
        return VOCFED_ECORRUPT;
    return c->stop = c->fn(c->ctx, kb, kl, (int64_t)store_i_rd64(d->mv_data));
}

static int
s_fscan_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_fscan_t *c = ctx;
    uint8_t pb[S_FKEY_MAX];
    size_t pl = 0;
    int rc = MDB_SUCCESS;
    c->self = self;
    c->txn = txn;
    if (c->plen)
        rc = s_fkey(self, txn, c->prefix, c->plen, false, pb, &pl);
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS; /* a person this store never saw: no rows */
    c->filter = pl && pb[0] == STORE_KEY_LED; /* one person's, led */
    if (!rc)
        rc = store_i_scan(txn, self->figures, pb, pl, pl, s_fscan_row, c);
    if (rc || c->stop || !c->plen || !store_i_prefix_led(c->prefix, c->plen))
        return rc;
    static const uint8_t led = STORE_KEY_LED;
    c->filter = c->led = true;
    return store_i_scan(txn, self->figures, &led, 1, 1, s_fscan_row, c);
}

int
store_scan_counters(store_t *self, store_txn_t *t, const void *prefix,
                    size_t plen, store_counter_fn fn, void *ctx)
{
    s_fscan_t c = {.fn = fn, .ctx = ctx, .prefix = prefix, .plen = plen};
    int rc = t ? s_fscan_txn(self, t->txn, &c)
               : store_i_read_derived(self, s_fscan_txn, &c);
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
    uint8_t kb[S_FKEY_MAX];
    MDB_val k = {0, kb}, d;
    int rc = s_fkey(t->self, t->txn, key, klen, false, kb, &k.mv_size);
    if (rc == MDB_SUCCESS)
        rc = mdb_get(t->txn, t->self->figures, &k, &d);
    if (rc)
        return store_i_status(rc);
    return proto_buf_append(out, d.mv_data, d.mv_size);
}

int
store_txn_blob_set(store_txn_t *t, const void *key, size_t klen,
                   const void *data, size_t len)
{
    uint8_t kb[S_FKEY_MAX];
    MDB_val k = {0, kb};
    int rc = s_fkey(t->self, t->txn, key, klen, len != 0, kb, &k.mv_size);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_OK : rc;
    /* Raw LMDB codes, as in store_txn_counter_set: MDB_MAP_FULL must
     * reach store_i_write unchanged so that it grows the map and retries
     * (SPEC 5.4); translated, it would be a "storage full" refusal. */
    if (len == 0) {
        rc = mdb_del(t->txn, t->self->figures, &k, NULL);
        return rc == MDB_NOTFOUND ? VOCFED_OK : rc;
    }
    MDB_val d = {len, (void *)data};
    return mdb_put(t->txn, t->self->figures, &k, &d, 0);
}

int
store_txn_scan_blobs(store_txn_t *t, const void *prefix, size_t plen,
                     store_blob_fn fn, void *ctx)
{
    s_fscan_t b = {.bfn = fn, .ctx = ctx, .prefix = prefix, .plen = plen};
    int rc = s_fscan_txn(t->self, t->txn, &b);
    return b.stop ? b.stop : store_i_status(rc);
}

int
store_scan_blobs(store_t *self, const void *prefix, size_t plen,
                 store_blob_fn fn, void *ctx)
{
    s_fscan_t b = {.bfn = fn, .ctx = ctx, .prefix = prefix, .plen = plen};
    int rc = store_i_read_derived(self, s_fscan_txn, &b);
    return b.stop ? b.stop : rc;
}

/* ---- a cursor on the figures database ----------------------------------- */

struct store_fcursor {
    MDB_cursor *cur; /* on t->self->figures */
    store_t *self;   /* the store */
    MDB_txn *txn;    /* t->txn */
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
    c->self = t->self;
    c->txn = t->txn;
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
store_txn_fkey(store_txn_t *t, const void *key, size_t klen, uint8_t *out,
               size_t *olen)
{
    int rc = s_fkey(t->self, t->txn, key, klen, false, out, olen);
    return rc == MDB_NOTFOUND ? VOCFED_ENOTFOUND : store_i_status(rc);
}

/* Reads stored key k into out. */
static int
s_fcursor_get(store_fcursor_t *self, MDB_val *k, proto_buf_t *out)
{
    MDB_val d;
    int rc = mdb_cursor_get(self->cur, k, &d, MDB_SET_KEY);
    if (rc)
        return store_i_status(rc);
    return proto_buf_append(out, d.mv_data, d.mv_size);
}

/* Writes (len 0: deletes) stored key k. Raw LMDB codes, as in
 * store_txn_blob_set (map growth). */
static int
s_fcursor_set(store_fcursor_t *self, MDB_val *k, const void *data, size_t len)
{
    MDB_val d;
    if (len == 0) {
        int rc = mdb_cursor_get(self->cur, k, &d, MDB_SET);
        if (rc == MDB_NOTFOUND)
            return VOCFED_OK;
        return rc ? rc : mdb_cursor_del(self->cur, 0);
    }
    d = (MDB_val){len, (void *)data};
    /* A new person's list or claims go after every key (persons.h): an
     * append, whose split leaves the full page as it is and starts the
     * next, where a put copies the page to split it. LMDB refuses it
     * (MDB_KEYEXIST) unless the key is past the last one. */
    if (store_i_led_new(self->self, self->txn, k->mv_data, k->mv_size)) {
        int rc = mdb_cursor_put(self->cur, k, &d, MDB_APPEND);
        if (rc != MDB_KEYEXIST)
            return rc;
    }
    return mdb_cursor_put(self->cur, k, &d, 0);
}

int
store_fcursor_get(store_fcursor_t *self, const void *key, size_t klen,
                  proto_buf_t *out)
{
    uint8_t kb[S_FKEY_MAX];
    MDB_val k = {0, kb};
    int rc = s_fkey(self->self, self->txn, key, klen, false, kb, &k.mv_size);
    return rc ? store_i_status(rc) : s_fcursor_get(self, &k, out);
}

int
store_fcursor_set(store_fcursor_t *self, const void *key, size_t klen,
                  const void *data, size_t len)
{
    uint8_t kb[S_FKEY_MAX];
    MDB_val k = {0, kb};
    int rc = s_fkey(self->self, self->txn, key, klen, len != 0, kb, &k.mv_size);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_OK : rc;
    return s_fcursor_set(self, &k, data, len);
}

int
store_fcursor_get_stored(store_fcursor_t *self, const void *key, size_t klen,
                         proto_buf_t *out)
{
    MDB_val k = {klen, (void *)key};
    if (klen == 0 || klen > S_FKEY_MAX)
        return VOCFED_EINVALID;
    if (store_i_person_fresh(self->self, self->txn, key, klen, 0))
        return VOCFED_ENOTFOUND; /* persons.h: numbered in this chunk */
    return s_fcursor_get(self, &k, out);
}

int
store_fcursor_set_stored(store_fcursor_t *self, const void *key, size_t klen,
                         const void *data, size_t len)
{
    MDB_val k = {klen, (void *)key};
    if (klen == 0 || klen > S_FKEY_MAX)
        return VOCFED_EINVALID;
    return s_fcursor_set(self, &k, data, len);
}
