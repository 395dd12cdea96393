/* vocfed: one chunk of the applier (SPEC 5.5): the entries of a run of
 * arrivals, applied to the record index and the hook in four steps so
 * that every table is walked once, in key order, with one cursor:
 *
 *   1. gather  the chunk's entries in arrival order (their bytes stay in
 *              the log's snapshot: nothing is copied);
 *   2. read    the record index for each distinct record key, in key
 *              order: what each entry replaces is either there or the
 *              entry before it in the chunk with the same key;
 *   3. hook    the figures see each entry in arrival order, with the body
 *              it replaces (they keep their own changes in memory and
 *              write them, sorted, at the end: node/figures_set.c);
 *   4. write   the record index's final value per key, in key order.
 *
 * Nothing is written to the index before step 4, so the reads of step 2
 * and the figures' reads of step 3 see clean pages. */
#include "storage/apply_i.h"
#include "storage/persons.h"

#include "protocol/rsort.h"

#include <stdlib.h>
#include <string.h>

/* One record key of the chunk (or a person's pseudo_id), for sorting. */
typedef struct {
    uint64_t h[3];    /* its first 24 bytes, big-endian, zero-padded */
    const uint8_t *k; /* its bytes (in the chunk's key arena) */
    uint32_t len;     /* their length */
    uint32_t i;       /* the entry */
} s_key_t;

void
store_i_chunk_init(store_i_chunk_t *c)
{
    memset(c, 0, sizeof *c);
}

void
store_i_chunk_release(store_i_chunk_t *c)
{
    free(c->e);
    free(c->keys);
    free(c->ids);
    memset(c, 0, sizeof *c);
}

void
store_i_chunk_reset(store_i_chunk_t *c)
{
    c->n = 0;
    c->kused = 0;
    c->nids = 0;
}

/* The chunk's number for author (authno, id): the last one if it is the
 * same, else a new one. */
static int
s_author(store_i_chunk_t *c, uint32_t authno, const char *id, uint32_t *out)
{
    if (c->nids && c->ids[c->nids - 1].authno == authno) {
        *out = (uint32_t)c->nids - 1;
        return MDB_SUCCESS;
    }
    if (c->nids == c->idcap) {
        size_t cap = c->idcap ? 2 * c->idcap : 64;
        void *p = realloc(c->ids, cap * sizeof *c->ids);
        if (!p)
            return VOCFED_ENOMEM;
        c->ids = p;
        c->idcap = cap;
    }
    c->ids[c->nids].authno = authno;
    memcpy(c->ids[c->nids].id, id, sizeof c->ids[c->nids].id);
    *out = (uint32_t)c->nids++;
    return MDB_SUCCESS;
}

static int
s_grow(store_i_chunk_t *c, size_t klen)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4096;
        void *p = realloc(c->e, cap * sizeof *c->e);
        if (!p)
            return VOCFED_ENOMEM;
        c->e = p;
        c->cap = cap;
    }
    if (c->kcap - c->kused < klen) {
        size_t cap = c->kcap ? 2 * c->kcap : 1 << 20;
        while (cap - c->kused < klen)
            cap *= 2;
        void *p = realloc(c->keys, cap);
        if (!p)
            return VOCFED_ENOMEM;
        c->keys = p;
        c->kcap = cap;
    }
    return MDB_SUCCESS;
}

int
store_i_chunk_add(store_i_chunk_t *c, uint32_t authno, const char *id,
                  uint64_t seq, const proto_entry_t *e)
{
    uint8_t k[STORE_KEY_RECORD_MAX];
    size_t klen =
        store_i_key_record(k, authno, e->kind, e->kind_len, e->key, e->key_len);
    uint32_t a;
    int rc = s_author(c, authno, id, &a);
    if (rc || (rc = s_grow(c, klen)))
        return rc;
    store_i_chunk_entry_t *x = &c->e[c->n++];
    memset(x, 0, sizeof *x);
    x->author = a;
    x->seq = seq;
    x->e = *e;
    x->koff = c->kused;
    x->klen = (uint32_t)klen;
    memcpy(c->keys + c->kused, k, klen);
    c->kused += klen;
    return MDB_SUCCESS;
}

static s_key_t
s_key(const uint8_t *k, size_t len, size_t i)
{
    s_key_t x = {{0, 0, 0}, k, (uint32_t)len, (uint32_t)i};
    proto_rsort_words(x.h, 3, k, len);
    return x;
}

/* Key order, then arrival: most pairs differ in their first 24 bytes,
 * and are compared without reading the keys. A record key with a person
 * number is 17 bytes (SPEC 5.1). */
static inline int
s_key_cmp(const s_key_t *x, const s_key_t *y)
{
    for (int w = 0; w < 3; w++)
        if (x->h[w] != y->h[w])
            return x->h[w] < y->h[w] ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int d = n > 24 ? memcmp(x->k + 24, y->k + 24, n - 24) : 0;
    if (d)
        return d;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static inline bool
s_key_before(const void *ctx, const s_key_t *x, const s_key_t *y)
{
    (void)ctx;
    return s_key_cmp(x, y) < 0;
}

/* s_sort(NULL, v, tmp, n): v (n) by s_key_cmp (protocol/rsort.h). */
PROTO_RSORT(s_sort, s_key_t, const void *, s_key_before, h, 3)

/* The chunk's keys sorted (by key, then arrival). */
static s_key_t *
s_sorted(const store_i_chunk_t *c)
{
    size_t n = c->n ? c->n : 1;
    s_key_t *v = malloc(2 * n * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        v[i] = s_key(c->keys + c->e[i].koff, c->e[i].klen, i);
    s_sort(NULL, v, v + n, c->n);
    return v;
}

static bool
s_same_key(const s_key_t *a, const s_key_t *b)
{
    if (a->len != b->len || a->h[0] != b->h[0] || a->h[1] != b->h[1] ||
        a->h[2] != b->h[2])
        return false;
    return a->len <= 24 || memcmp(a->k + 24, b->k + 24, a->len - 24) == 0;
}

/* Step 2: what each entry replaces. The first entry of a key replaces
 * what the index holds (old_seq, 0: nothing); a later one the entry
 * before it in the chunk (prev). */
static int
s_read_index(store_t *self, MDB_txn *txn, store_i_chunk_t *c, const s_key_t *v)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->records, &cur);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->n && !rc; i++) {
        store_i_chunk_entry_t *x = &c->e[v[i].i];
        if (i > 0 && s_same_key(&v[i - 1], &v[i])) {
            x->prev = v[i - 1].i + 1;
            continue;
        }
        if (store_i_person_fresh(self, txn, v[i].k, v[i].len, 4))
            continue; /* a person new in this chunk: no record yet */
        MDB_val key = {v[i].len, (void *)v[i].k}, d;
        rc = mdb_cursor_get(cur, &key, &d, MDB_SET_KEY);
        if (rc == MDB_NOTFOUND) {
            rc = MDB_SUCCESS;
        } else if (rc == MDB_SUCCESS) {
            if (d.mv_size != 8)
                rc = VOCFED_ECORRUPT;
            else
                x->old_seq = store_i_rd64(d.mv_data);
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Step 4: the last entry of each key decides the index. */
static int
s_write_index(store_t *self, MDB_txn *txn, const store_i_chunk_t *c,
              const s_key_t *v)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->records, &cur);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->n && !rc; i++) {
        if (i + 1 < c->n && s_same_key(&v[i], &v[i + 1]))
            continue;
        const store_i_chunk_entry_t *x = &c->e[v[i].i];
        MDB_val key = {v[i].len, (void *)v[i].k}, d;
        if (x->e.op == PROTO_OP_PUT) {
            uint8_t sv[8];
            store_i_be64(sv, x->seq);
            d = (MDB_val){8, sv};
            rc = mdb_cursor_put(cur, &key, &d, 0);
        } else if ((rc = mdb_cursor_get(cur, &key, &d, MDB_SET)) ==
                   MDB_SUCCESS) {
            rc = mdb_cursor_del(cur, 0);
        } else if (rc == MDB_NOTFOUND) {
            rc = MDB_SUCCESS; /* a del of an absent record (SPEC 8.4) */
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

/* The body entry x replaces (NULL: none). */
static int
s_old_body(store_t *self, MDB_txn *log, const store_i_chunk_t *c,
           const store_i_chunk_entry_t *x, const uint8_t **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    if (x->prev) {
        const proto_entry_t *p = &c->e[x->prev - 1].e;
        if (p->op == PROTO_OP_PUT) {
            *body = p->body;
            *len = p->body_len;
        }
        return MDB_SUCCESS;
    }
    if (!x->old_seq)
        return MDB_SUCCESS;
    MDB_val d;
    proto_entry_t e;
    int rc = store_i_entry_value(self, log, c->ids[x->author].authno,
                                 x->old_seq, &d);
    if (rc)
        return rc;
    if (proto_entry_decode((uint8_t *)d.mv_data + PROTO_HASH_LEN,
                           d.mv_size - PROTO_HASH_LEN, &e) != VOCFED_OK)
        return VOCFED_ECORRUPT;
    *body = e.body;
    *len = e.body_len;
    return MDB_SUCCESS;
}

/* Step 3a: the hook names what the chunk's entries will read, and reads
 * it in key order. */
static int
s_prefetch(store_t *self, store_txn_t *t, const store_i_chunk_t *c)
{
    int rc = MDB_SUCCESS;
    if (!self->hook.prefetch)
        return rc;
    for (size_t i = 0; i < c->n && !rc; i++) {
        const store_i_chunk_entry_t *x = &c->e[i];
        if (!store_i_skipped(self, c->ids[x->author].authno, x->seq))
            rc = self->hook.prefetch(self->hook.ctx, t, c->ids[x->author].id,
                                     &x->e);
    }
    if (!rc && self->hook.prefetched)
        rc = self->hook.prefetched(self->hook.ctx, t);
    return rc;
}

/* Step 3b: the hook, in arrival order (after s_prefetch). *failed gets
 * the entry it refused. */
static int
s_hook(store_t *self, store_txn_t *t, const store_i_chunk_t *c, size_t *failed)
{
    int rc = MDB_SUCCESS;
    for (size_t i = 0; i < c->n; i++) {
        const store_i_chunk_entry_t *x = &c->e[i];
        uint32_t authno = c->ids[x->author].authno;
        if (store_i_skipped(self, authno, x->seq))
            continue;
        const uint8_t *old;
        size_t olen;
        rc = s_old_body(self, t->log, c, x, &old, &olen);
        if (rc == MDB_SUCCESS)
            rc = self->hook.entry(self->hook.ctx, t, c->ids[x->author].id,
                                  &x->e, old, olen);
        if (rc) {
            *failed = i;
            return rc;
        }
    }
    return MDB_SUCCESS;
}

/* The person in record key k (len bytes), or NULL (SPEC 5.1). */
static const uint8_t *
s_pid(const uint8_t *k, size_t len)
{
    const uint8_t *m = len > 4 ? memchr(k + 4, STORE_KEY_PSEUDO, len - 4) : 0;
    return m && len - (size_t)(m - k) - 1 >= 32 ? m + 1 : NULL;
}

/* Step 1b: the chunk's persons get their numbers, in pseudo_id order with
 * one cursor (persons.c), and its record keys their stored form: a key
 * with a person takes the number resolve gave (no lookup per entry), any
 * other goes through store_i_pkey. */
static int
s_persons(store_t *self, MDB_txn *txn, store_i_chunk_t *c)
{
    size_t cn = c->n ? c->n : 1, n = 0, d = 0;
    s_key_t *v = malloc(2 * cn * sizeof *v);
    const uint8_t **p = calloc(cn, sizeof *p); /* calloc: gcc 12 -O2 saw
                                                  p[] passed unset */
    uint32_t *which = malloc(cn * sizeof *which), *nos = NULL;
    bool *has = calloc(cn, sizeof *has); /* entry i's key names a person */
    const uint8_t *pid;
    int rc = MDB_SUCCESS;
    if (!v || !p || !which || !has)
        rc = VOCFED_ENOMEM;
    for (size_t i = 0; i < c->n && !rc; i++)
        if ((pid = s_pid(c->keys + c->e[i].koff, c->e[i].klen))) {
            v[n++] = s_key(pid, 32, i);
            has[i] = true;
        }
    if (!rc) {
        s_sort(NULL, v, v + cn, n);
        for (size_t i = 0; i < n; i++) {
            if (!d || memcmp(p[d - 1], v[i].k, 32))
                p[d++] = v[i].k;
            which[i] = (uint32_t)(d - 1);
        }
        if (!(nos = malloc((d ? d : 1) * sizeof *nos)))
            rc = VOCFED_ENOMEM;
    }
    if (!rc)
        rc = store_i_persons_resolve(self, txn, p, d, nos);
    /* The stored form, in place: the mark, the number, then the bytes
     * after the 32 of the pseudo_id (as store_i_pkey). Every pseudo_id
     * was compared above, before any key changed. */
    for (size_t j = 0; j < n && !rc; j++) {
        store_i_chunk_entry_t *x = &c->e[v[j].i];
        uint8_t *k = c->keys + x->koff;
        size_t at = (size_t)(v[j].k - k); /* the pseudo_id, after the mark */
        store_i_be32(k + at, nos[which[j]]);
        memmove(k + at + 4, k + at + 32, x->klen - at - 32);
        x->klen -= STORE_PERSON_SHRINK;
    }
    free(nos);
    free(which);
    free(p);
    for (size_t i = 0; i < c->n && !rc; i++) {
        if (has[i])
            continue;
        uint8_t *k = c->keys + c->e[i].koff;
        size_t len;
        if ((rc = store_i_pkey(self, txn, k, c->e[i].klen, 4, false, k, &len)))
            break;
        c->e[i].klen = (uint32_t)len;
    }
    free(has);
    free(v);
    return rc;
}

int
store_i_chunk_apply(store_t *self, store_txn_t *t, store_i_chunk_t *c,
                    size_t *failed)
{
    bool hook = self->has_hook && self->hook.entry;
    int rc = s_persons(self, t->txn, c);
    s_key_t *v = rc ? NULL : s_sorted(c);
    if (!rc && !v)
        rc = VOCFED_ENOMEM;
    *failed = SIZE_MAX;
    /* Steps 2 and 3a only read: a key naming a person this chunk
     * numbered is absent from the index and the figures without a look. */
    store_i_persons_fresh_reads(self, t->txn, true);
    if (!rc && hook && (rc = s_read_index(self, t->txn, c, v)) == MDB_SUCCESS)
        rc = s_prefetch(self, t, c);
    store_i_persons_fresh_reads(self, t->txn, false);
    if (!rc && hook)
        rc = s_hook(self, t, c, failed);
    if (!rc)
        rc = s_write_index(self, t->txn, c, v);
    free(v);
    return rc;
}
