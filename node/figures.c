/* vocfed: the figures' engine (see figures.h; SPEC 12.2, 12.4).
 *
 * Every record yields items under an identity (node/figures_rules.c).
 * Each identity keeps the list of its items; a bucket (counter, year,
 * dimension, bucket value) counts, for each identity, the largest value
 * among its items that fall in that bucket (1 for people: so a person is
 * counted once per bucket), summed over identities. Dimensions: g
 * (group), m (member), a (original affiliation), c (county: region code),
 * p (payee), q (member/payee). A record change touches only its
 * identities: read the list, compute the buckets before and after, add
 * the difference to the totals. This file is the apply hook, the working
 * set of counters and lists, rebuilding and checking; the report model
 * is node/figures_report.c. */
#include "node/figures.h"
#include "node/meta.h"

#include "node/figures_rules.h"
#include "protocol/entry.h"
#include "storage/replica.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LIST_MAX 256    /* items of one identity */
#define S_MAX_BUCKETS 512 /* buckets of one identity */

/* Decimal text of a year (0..65535) into buf (6 bytes). */
static const char *
s_year_text(unsigned y, char buf[6])
{
    char tmp[6];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + y % 10);
        y /= 10;
    } while (y && i < 5);
    for (int j = 0; j < i; j++)
        buf[j] = tmp[i - 1 - j];
    buf[i] = 0;
    return buf;
}

/* One bucket an identity adds to. */
typedef struct {
    char key[PROTO_KEY_MAX + PROTO_ID_MAX + 64]; /* f|fig|year|dim|bucket */
    int64_t value;                               /* the identity's part */
} s_bucket_t;

/* ---- the working set: counters and identity lists ----------------------- */

/* A value cached for the transaction. */
typedef struct {
    int64_t base;     /* as stored when first read */
    int64_t cur;      /* as it is now */
    proto_buf_t blob; /* identity lists: the items, as stored now */
    bool blob_loaded; /* blob holds the stored list */
    bool blob_dirty;  /* blob changed */
} s_val_t;

/* A member's attributes for the a and c dimensions. */
typedef struct {
    char affiliation[PROTO_KEY_MAX + 1]; /* original_affiliation */
    char county[16];                     /* region_code */
} s_profile_t;

typedef struct {
    store_t *st;                  /* the store (for reads outside txn) */
    store_txn_t *txn;             /* the hook's transaction, or NULL */
    char coord[PROTO_ID_MAX + 1]; /* the coordinator's id, "" unknown */
    zhashx_t *vals;               /* key -> s_val_t (counters, lists) */
    zhashx_t *profiles;           /* member -> s_profile_t */
    bool memory_only;             /* check mode: nothing is stored */
    node_fig_item_t *rec_items;   /* scratch: one record's items
                                     (NODE_FIG_ITEMS_MAX) */
    node_fig_item_t *list;        /* scratch: one identity's list
                                     (S_LIST_MAX) */
    s_bucket_t *bk;               /* scratch: one list's buckets
                                     (S_MAX_BUCKETS) */
} s_fig_ctx_t;

static void
s_val_free(void **item)
{
    s_val_t *v = *item;
    if (v) {
        proto_buf_release(&v->blob);
        free(v);
        *item = NULL;
    }
}

static void
s_ctx_reset(s_fig_ctx_t *f)
{
    zhashx_purge(f->vals);
    zhashx_purge(f->profiles);
}

static int
s_ctx_init(s_fig_ctx_t *f, store_t *st, const char *coord)
{
    memset(f, 0, sizeof *f);
    f->st = st;
    snprintf(f->coord, sizeof f->coord, "%s", coord ? coord : "");
    f->vals = zhashx_new();
    f->profiles = zhashx_new();
    f->rec_items = calloc(NODE_FIG_ITEMS_MAX, sizeof *f->rec_items);
    f->list = calloc(S_LIST_MAX, sizeof *f->list);
    f->bk = calloc(S_MAX_BUCKETS, sizeof *f->bk);
    if (!f->vals || !f->profiles || !f->rec_items || !f->list || !f->bk)
        return VOCFED_ENOMEM;
    zhashx_set_destructor(f->vals, s_val_free);
    zhashx_set_destructor(f->profiles, (zhashx_destructor_fn *)zstr_free);
    return VOCFED_OK;
}

static void
s_ctx_release(s_fig_ctx_t *f)
{
    zhashx_destroy(&f->vals);
    zhashx_destroy(&f->profiles);
    free(f->rec_items);
    free(f->list);
    free(f->bk);
    f->rec_items = f->list = NULL;
    f->bk = NULL;
}

static s_val_t *
s_val(s_fig_ctx_t *f, const char *key, bool counter, int *rc)
{
    s_val_t *v = zhashx_lookup(f->vals, key);
    *rc = VOCFED_OK;
    if (v)
        return v;
    v = calloc(1, sizeof *v);
    if (!v) {
        *rc = VOCFED_ENOMEM;
        return NULL;
    }
    proto_buf_init(&v->blob);
    if (!f->memory_only && f->txn) {
        if (counter) {
            *rc = store_txn_counter_get(f->txn, key, strlen(key), &v->base);
        } else {
            *rc = store_txn_blob_get(f->txn, key, strlen(key), &v->blob);
            if (*rc == VOCFED_ENOTFOUND)
                *rc = VOCFED_OK;
        }
    }
    if (*rc) {
        s_val_free((void **)&v);
        return NULL;
    }
    v->cur = v->base;
    v->blob_loaded = true;
    zhashx_insert(f->vals, key, v);
    return v;
}

static int
s_counter_add(s_fig_ctx_t *f, const char *key, int64_t delta)
{
    int rc;
    s_val_t *v = s_val(f, key, true, &rc);
    if (v)
        v->cur += delta;
    return rc;
}

/* Writes what changed (hook mode) at the end of the transaction. */
static int
s_flush(s_fig_ctx_t *f)
{
    const char *key;
    for (s_val_t *v = zhashx_first(f->vals); v; v = zhashx_next(f->vals)) {
        key = zhashx_cursor(f->vals);
        int rc = VOCFED_OK;
        if (key[0] == 'f' && v->cur != v->base)
            rc = store_txn_counter_set(f->txn, key, strlen(key), v->cur);
        else if (key[0] == 'i' && v->blob_dirty)
            rc = store_txn_blob_set(f->txn, key, strlen(key), v->blob.data,
                                    v->blob.len);
        if (rc)
            return rc;
    }
    return VOCFED_OK;
}

/* ---- profiles ------------------------------------------------------------ */

static void
s_profile_from(const uint8_t *body, size_t len, s_profile_t *p)
{
    memset(p, 0, sizeof *p);
    node_fig_body_str(body, len, "original_affiliation", p->affiliation,
                      sizeof p->affiliation);
    node_fig_body_str(body, len, "region_code", p->county, sizeof p->county);
}

static const s_profile_t *
s_profile(s_fig_ctx_t *f, const char *member)
{
    s_profile_t *p = zhashx_lookup(f->profiles, member);
    if (p)
        return p;
    p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (f->txn) {
        proto_buf_t b;
        proto_buf_init(&b);
        if (store_txn_record(f->txn, member, NODE_FIG_PROFILE_KIND,
                             NODE_FIG_PROFILE_KEY, &b) == VOCFED_OK)
            s_profile_from(b.data, b.len, p);
        proto_buf_release(&b);
    }
    zhashx_insert(f->profiles, member, p);
    return p;
}

static void
s_profile_set(s_fig_ctx_t *f, const char *member, const s_profile_t *p)
{
    s_profile_t *copy = malloc(sizeof *copy);
    if (!copy)
        return;
    *copy = *p;
    zhashx_update(f->profiles, member, copy);
}

/* ---- identity lists ------------------------------------------------------ */

/* Encoding of a list (internal to the figures database): per item: fig
 * u8, year u16, value i64, member len u8 + bytes, payee len u16 + bytes,
 * rec len u16 + bytes. */
static int
s_list_decode(const proto_buf_t *b, node_fig_item_t *items, size_t *n,
              size_t cap)
{
    size_t off = 0;
    *n = 0;
    while (off < b->len) {
        if (*n >= cap || b->len - off < 12)
            return VOCFED_ECORRUPT;
        node_fig_item_t *it = &items[(*n)++];
        const uint8_t *p = b->data + off;
        it->fig = p[0];
        it->year = (uint16_t)(p[1] << 8 | p[2]);
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | p[3 + i];
        it->value = (int64_t)v;
        size_t ml = p[11];
        off += 12;
        if (it->fig >= NODE_C_COUNT || ml > PROTO_ID_MAX ||
            b->len - off < ml + 2)
            return VOCFED_ECORRUPT;
        memcpy(it->member, b->data + off, ml);
        it->member[ml] = 0;
        off += ml;
        size_t pl = (size_t)b->data[off] << 8 | b->data[off + 1];
        off += 2;
        if (pl > PROTO_KEY_MAX || b->len - off < pl)
            return VOCFED_ECORRUPT;
        memcpy(it->payee, b->data + off, pl);
        it->payee[pl] = 0;
        off += pl;
        if (b->len - off < 2)
            return VOCFED_ECORRUPT;
        size_t rl = (size_t)b->data[off] << 8 | b->data[off + 1];
        off += 2;
        if (rl >= sizeof it->rec || b->len - off < rl)
            return VOCFED_ECORRUPT;
        memcpy(it->rec, b->data + off, rl);
        it->rec[rl] = 0;
        off += rl;
    }
    return VOCFED_OK;
}

static int
s_list_encode(const node_fig_item_t *items, size_t n, proto_buf_t *b)
{
    proto_buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        const node_fig_item_t *it = &items[i];
        uint8_t h[12];
        size_t ml = strlen(it->member), pl = strlen(it->payee);
        h[0] = it->fig;
        h[1] = (uint8_t)(it->year >> 8);
        h[2] = (uint8_t)it->year;
        for (int k = 0; k < 8; k++)
            h[3 + k] = (uint8_t)((uint64_t)it->value >> (56 - 8 * k));
        h[11] = (uint8_t)ml;
        size_t rl = strlen(it->rec);
        uint8_t pl2[2] = {(uint8_t)(pl >> 8), (uint8_t)pl};
        uint8_t rl2[2] = {(uint8_t)(rl >> 8), (uint8_t)rl};
        int rc;
        if ((rc = proto_buf_append(b, h, sizeof h)) ||
            (rc = proto_buf_append(b, it->member, ml)) ||
            (rc = proto_buf_append(b, pl2, 2)) ||
            (rc = proto_buf_append(b, it->payee, pl)) ||
            (rc = proto_buf_append(b, rl2, 2)) ||
            (rc = proto_buf_append(b, it->rec, rl)))
            return rc;
    }
    return VOCFED_OK;
}

/* ---- buckets ------------------------------------------------------------- */

static void
s_bucket(s_bucket_t *bk, size_t *n, const node_fig_item_t *it, char dim,
         const char *bucket)
{
    char key[sizeof bk->key];
    char y[6], d[2] = {dim, 0};
    node_fig_cat(key, sizeof key, "f|", node_counter_key(it->fig), "|",
                 s_year_text(it->year, y), "|", d, "|", bucket, NULL);
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(bk[i].key, key)) {
            if (it->value > bk[i].value)
                bk[i].value = it->value;
            return;
        }
    if (*n < S_MAX_BUCKETS) {
        memcpy(bk[*n].key, key, sizeof key);
        bk[(*n)++].value = it->value;
    }
}

/* What an identity with these items adds to each bucket. */
static size_t
s_buckets(s_fig_ctx_t *f, const node_fig_item_t *items, size_t n,
          s_bucket_t *bk)
{
    size_t nb = 0;
    char q[PROTO_ID_MAX + PROTO_KEY_MAX + 2];
    for (size_t i = 0; i < n; i++) {
        const node_fig_item_t *it = &items[i];
        const s_profile_t *p = s_profile(f, it->member);
        s_bucket(bk, &nb, it, 'g', "");
        s_bucket(bk, &nb, it, 'm', it->member);
        s_bucket(bk, &nb, it, 'a', p ? p->affiliation : "");
        s_bucket(bk, &nb, it, 'c', p ? p->county : "");
        if (it->payee[0]) {
            s_bucket(bk, &nb, it, 'p', it->payee);
            node_fig_cat(q, sizeof q, it->member, "/", it->payee, NULL);
            s_bucket(bk, &nb, it, 'q', q);
        }
    }
    return nb;
}

/* Distinct members among the items of a person (for "people found at
 * more than one member"). */
static size_t
s_members(const node_fig_item_t *items, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(items[j].member, items[i].member))
                seen = true;
        d += !seen;
    }
    return d;
}

/* Adds (sign 1) or removes (sign -1) the buckets of a list. */
static int
s_apply_buckets(s_fig_ctx_t *f, const char *identity,
                const node_fig_item_t *items, size_t n, int sign)
{
    s_bucket_t *bk = f->bk;
    size_t nb = s_buckets(f, items, n, bk);
    int rc;
    for (size_t i = 0; i < nb; i++)
        if ((rc = s_counter_add(f, bk[i].key, sign * bk[i].value)))
            return rc;
    if (identity[0] == 'p' && s_members(items, n) >= 2)
        return s_counter_add(f, "f|multi|0|g|", sign);
    return VOCFED_OK;
}

/* Replaces the items of one record (member, rec) under identity with
 * new_items (nnew may be 0), moving the buckets accordingly. */
static int
s_change(s_fig_ctx_t *f, const char *identity, const char *member,
         const char *rec, const node_fig_item_t *new_items, size_t nnew)
{
    node_fig_item_t *items = f->list;
    char key[PROTO_KEY_MAX + PROTO_ID_MAX + 40];
    size_t n;
    int rc;
    node_fig_cat(key, sizeof key, "i|", identity, NULL);
    s_val_t *v = s_val(f, key, false, &rc);
    if (!v)
        return rc;
    if ((rc = s_list_decode(&v->blob, items, &n, S_LIST_MAX)))
        return rc;
    if (n == 0 && nnew == 0)
        return VOCFED_OK;
    if ((rc = s_apply_buckets(f, identity, items, n, -1)))
        return rc;
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].member, member) || strcmp(items[i].rec, rec))
            items[w++] = items[i];
    n = w;
    for (size_t j = 0; j < nnew; j++) {
        if (n >= S_LIST_MAX)
            return VOCFED_ETOOLARGE;
        items[n++] = new_items[j];
    }
    if ((rc = s_apply_buckets(f, identity, items, n, 1)))
        return rc;
    if ((rc = s_list_encode(items, n, &v->blob)))
        return rc;
    v->blob_dirty = true;
    return VOCFED_OK;
}

/* ---- record changes -------------------------------------------------------
 */

/* A record now has body (NULL: deleted): its items replace the ones it
 * yielded before. */
static int
s_record(s_fig_ctx_t *f, const char *member, const char *kind, const char *key,
         const uint8_t *body, size_t len)
{
    node_fig_item_t *items = f->rec_items;
    char id[PROTO_KEY_MAX + PROTO_ID_MAX + 32];
    char rec[PROTO_KIND_MAX + PROTO_KEY_MAX + 2];
    size_t n =
        node_figrules_items(member, kind, key, body, len, id, sizeof id, items);
    if (!id[0])
        return VOCFED_OK;
    node_fig_cat(rec, sizeof rec, kind, "/", key, NULL);
    for (size_t i = 0; i < n; i++)
        memcpy(items[i].rec, rec, sizeof items[i].rec);
    return s_change(f, id, member, rec, items, n);
}

/* Collects the identities of member's records that yield something. */
typedef struct {
    s_fig_ctx_t *f;     /* the figures (for their scratch) */
    const char *member; /* whose records */
    zhashx_t *ids;      /* identity -> "" */
} s_collect_t;

static int
s_collect_id(void *ctx, const char *kind, const char *key, const uint8_t *body,
             size_t len)
{
    s_collect_t *c = ctx;
    char id[PROTO_KEY_MAX + PROTO_ID_MAX + 32];
    if (node_figrules_items(c->member, kind, key, body, len, id, sizeof id,
                            c->f->rec_items) > 0)
        zhashx_update(c->ids, id, (void *)"");
    return VOCFED_OK;
}

/* A member's affiliation or county changed: each identity it takes part
 * in leaves the buckets of the old profile for those of the new one. */
static int
s_profile_change(s_fig_ctx_t *f, const char *member, const uint8_t *old_body,
                 size_t old_len, const uint8_t *new_body, size_t new_len)
{
    s_profile_t before, after;
    s_profile_from(old_body, old_len, &before);
    s_profile_from(new_body, new_len, &after);
    if (!strcmp(before.affiliation, after.affiliation) &&
        !strcmp(before.county, after.county))
        return VOCFED_OK;
    s_profile_set(f, member, &before);
    if (!f->txn)
        goto done;
    s_collect_t c = {f, member, zhashx_new()};
    if (!c.ids)
        return VOCFED_ENOMEM;
    int rc = store_txn_scan_records(f->txn, member, NULL, s_collect_id, &c);
    node_fig_item_t *all = f->list;
    for (int sign = -1; sign <= 1 && !rc; sign += 2) {
        if (sign > 0)
            s_profile_set(f, member, &after);
        for (void *x = zhashx_first(c.ids); x && !rc; x = zhashx_next(c.ids)) {
            const char *id = zhashx_cursor(c.ids);
            char key[PROTO_KEY_MAX + PROTO_ID_MAX + 40];
            size_t na;
            snprintf(key, sizeof key, "i|%s", id);
            s_val_t *v = s_val(f, key, false, &rc);
            if (v && !(rc = s_list_decode(&v->blob, all, &na, S_LIST_MAX)))
                rc = s_apply_buckets(f, id, all, na, sign);
        }
    }
    zhashx_destroy(&c.ids);
    if (rc)
        return rc;
done:
    s_profile_set(f, member, &after);
    return VOCFED_OK;
}

/* ---- the hook -------------------------------------------------------------
 */

static int
s_hook_begin(void *ctx, store_txn_t *txn)
{
    s_fig_ctx_t *f = ctx;
    s_ctx_reset(f);
    f->txn = txn;
    return VOCFED_OK;
}

static int
s_hook_entry(void *ctx, store_txn_t *txn, const char *author,
             const proto_entry_t *e, const uint8_t *old_body, size_t old_len)
{
    s_fig_ctx_t *f = ctx;
    char kind[PROTO_KIND_MAX + 1], key[PROTO_KEY_MAX + 1];
    (void)txn;
    if (f->coord[0] && !strcmp(author, f->coord))
        return VOCFED_OK; /* targets and rules, not figures */
    snprintf(kind, sizeof kind, "%.*s", (int)e->kind_len, e->kind);
    snprintf(key, sizeof key, "%.*s", (int)e->key_len, e->key);
    const uint8_t *nb = e->op == PROTO_OP_PUT ? e->body : NULL;
    size_t nl = e->op == PROTO_OP_PUT ? e->body_len : 0;
    if (!strcmp(kind, NODE_FIG_PROFILE_KIND) &&
        !strcmp(key, NODE_FIG_PROFILE_KEY))
        return s_profile_change(f, author, old_body, old_len, nb, nl);
    return s_record(f, author, kind, key, nb, nl);
}

static int
s_hook_end(void *ctx, store_txn_t *txn)
{
    s_fig_ctx_t *f = ctx;
    (void)txn;
    int rc = s_flush(f);
    s_ctx_reset(f);
    f->txn = NULL;
    return rc;
}

static void
s_hook_destroy(void *ctx)
{
    s_fig_ctx_t *f = ctx;
    s_ctx_release(f);
    free(f);
}

/* One context per store handle; the store frees it (s_hook_destroy). */
int
node_figures_attach(store_t *st, const char *coord_id)
{
    s_fig_ctx_t *f = calloc(1, sizeof *f);
    if (!f)
        return VOCFED_ENOMEM;
    if (s_ctx_init(f, st, coord_id)) {
        s_ctx_release(f);
        free(f);
        return VOCFED_ENOMEM;
    }
    store_hook_t h = {s_hook_begin, s_hook_entry, s_hook_end, s_hook_destroy,
                      f};
    store_set_hook(st, &h);
    return VOCFED_OK;
}

/* ---- rebuilding and checking ----------------------------------------------
 */

typedef struct {
    char (*ids)[PROTO_ID_MAX + 1]; /* authors */
    size_t n, cap;                 /* used, allocated */
} s_authors_t;

static int
s_author_collect(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_authors_t *a = ctx;
    (void)pk;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void *p = realloc(a->ids, cap * sizeof *a->ids);
        if (!p)
            return VOCFED_ENOMEM;
        a->ids = p;
        a->cap = cap;
    }
    snprintf(a->ids[a->n++], PROTO_ID_MAX + 1, "%s", id);
    return VOCFED_OK;
}

typedef struct {
    s_fig_ctx_t *f;     /* where the figures go */
    const char *member; /* whose records */
} s_recompute_t;

static int
s_recompute_one(void *ctx, const char *kind, const char *key,
                const uint8_t *body, size_t len)
{
    s_recompute_t *r = ctx;
    if (!strcmp(kind, NODE_FIG_PROFILE_KIND))
        return VOCFED_OK;
    return s_record(r->f, r->member, kind, key, body, len);
}

/* Every record of every author but the coordinator, from nothing. */
static int
s_recompute(s_fig_ctx_t *f, const s_authors_t *a)
{
    for (size_t i = 0; i < a->n; i++) {
        const char *m = a->ids[i];
        if (f->coord[0] && !strcmp(m, f->coord))
            continue;
        if (!s_profile(f, m))
            return VOCFED_ENOMEM;
        s_recompute_t r = {f, m};
        int rc = store_txn_scan_records(f->txn, m, NULL, s_recompute_one, &r);
        if (rc)
            return rc;
    }
    return VOCFED_OK;
}

typedef struct {
    s_fig_ctx_t *f; /* the recomputed figures */
    s_authors_t a;  /* the authors */
    char *what;     /* first difference */
    size_t cap;     /* its room */
    int result;     /* what the check found */
    bool rebuild;   /* write instead of compare */
} s_job_t;

static int
s_compare_stored(void *ctx, const void *key, size_t len, int64_t value)
{
    s_job_t *j = ctx;
    char k[600];
    if (len >= sizeof k)
        return VOCFED_ECORRUPT;
    memcpy(k, key, len);
    k[len] = 0;
    s_val_t *v = zhashx_lookup(j->f->vals, k);
    if (!v || v->cur != value) {
        snprintf(j->what, j->cap,
                 "%s is %" PRId64 " but the records give %" PRId64, k, value,
                 v ? v->cur : 0);
        return VOCFED_ECORRUPT;
    }
    return VOCFED_OK;
}

static int
s_job(void *ctx, store_txn_t *txn)
{
    s_job_t *j = ctx;
    s_fig_ctx_t *f = j->f;
    int rc;
    f->txn = txn;
    if (j->rebuild) {
        if ((rc = store_txn_counters_clear(txn)) ||
            (rc = s_recompute(f, &j->a)))
            return rc;
        return s_flush(f);
    }
    f->memory_only = true;
    if ((rc = s_recompute(f, &j->a))) {
        j->result = rc;
        return VOCFED_EINTERRUPTED; /* nothing to commit */
    }
    /* Stored counters must be the recomputed ones, and every recomputed
     * one must be stored. */
    rc = store_scan_counters(f->st, txn, "f|", 2, s_compare_stored, j);
    for (s_val_t *v = zhashx_first(f->vals); v && !rc;
         v = zhashx_next(f->vals)) {
        const char *key = zhashx_cursor(f->vals);
        int64_t stored = 0;
        if (key[0] != 'f' || v->cur == 0)
            continue;
        if ((rc = store_txn_counter_get(txn, key, strlen(key), &stored)))
            break;
        if (stored != v->cur) {
            snprintf(j->what, j->cap,
                     "%s is %" PRId64 " but the records give %" PRId64, key,
                     stored, v->cur);
            rc = VOCFED_ECORRUPT;
        }
    }
    j->result = rc;
    return VOCFED_EINTERRUPTED; /* a check writes nothing */
}

static int
s_run_job(store_t *st, const char *coord_id, bool rebuild, char *what,
          size_t cap)
{
    s_fig_ctx_t f;
    char none[8];
    s_job_t j = {.f = &f,
                 .what = what ? what : none,
                 .cap = what ? cap : sizeof none,
                 .rebuild = rebuild};
    j.what[0] = 0;
    int rc = s_ctx_init(&f, st, coord_id);
    if (!rc)
        rc = store_scan_authors(st, s_author_collect, &j.a);
    if (!rc) {
        rc = store_with_txn(st, s_job, &j);
        if (rc == VOCFED_EINTERRUPTED && !rebuild)
            rc = j.result;
    }
    free(j.a.ids);
    s_ctx_release(&f);
    return rc;
}

int
node_figures_rebuild(store_t *st, const char *coord_id)
{
    return s_run_job(st, coord_id, true, NULL, 0);
}

int
node_figures_check(store_t *st, const char *coord_id, char *what, size_t cap)
{
    return s_run_job(st, coord_id, false, what, cap);
}

int
node_figures_attach_store(store_t *st)
{
    char role[64] = "", id[PROTO_ID_MAX + 1] = "";
    if (store_meta_get(st, NODE_META_ROLE, role, sizeof role) != VOCFED_OK ||
        store_meta_get(st, NODE_META_ID, id, sizeof id) != VOCFED_OK)
        return node_figures_attach(st, NULL);
    return node_figures_attach(
        st, strcmp(role, NODE_ROLE_COORDINATOR) == 0 ? id : NULL);
}

/* Stubs until the claims engine lands (issue 10): nothing contested,
 * nobody excluded. */
int
node_figures_conflicts(store_t *st, node_fig_conflict_fn fn, void *ctx)
{
    (void)st;
    (void)fn;
    (void)ctx;
    return VOCFED_OK;
}

int
node_figures_excluded(store_t *st, node_fig_excluded_fn fn, void *ctx)
{
    (void)st;
    (void)fn;
    (void)ctx;
    return VOCFED_OK;
}
