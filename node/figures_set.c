/* vocfed: the figures' working set and the encodings of the lists and
 * claims kept in the figures database (see figures_i.h; SPEC 12.2). */
#include "node/figures_i.h"

#include "node/figures_catalogue.h"
#include "protocol/hash.h"
#include "protocol/rsort.h"
#include "protocol/tabhash.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the working set ----------------------------------------------------- */

int
node_figx_init(node_figx_t *f, store_t *st, const char *coord)
{
    memset(f, 0, sizeof *f);
    f->st = st;
    snprintf(f->coord, sizeof f->coord, "%s", coord ? coord : "");
    f->vals = node_figx_map_new();
    f->profiles = zhashx_new();
    f->rec_items = calloc(NODE_FIG_ITEMS_MAX, sizeof *f->rec_items);
    f->old_list = calloc(NODE_FIGX_LIST_MAX, sizeof *f->old_list);
    f->new_list = calloc(NODE_FIGX_LIST_MAX, sizeof *f->new_list);
    f->units_old = calloc(NODE_FIGX_LIST_MAX, sizeof *f->units_old);
    f->units_new = calloc(NODE_FIGX_LIST_MAX, sizeof *f->units_new);
    f->buckets = calloc(NODE_FIGX_BUCKETS, sizeof *f->buckets);
    f->slots.gen = 1;
    f->slots.seed = proto_tabhash_seed();
    if (!f->vals || !f->profiles || !f->rec_items || !f->old_list ||
        !f->new_list || !f->units_old || !f->units_new || !f->buckets)
        return VOCFED_ENOMEM;
    zhashx_set_destructor(f->profiles, (zhashx_destructor_fn *)zstr_free);
    return VOCFED_OK;
}

void
node_figx_release(node_figx_t *f)
{
    node_figx_map_destroy(&f->vals);
    zhashx_destroy(&f->profiles);
    free(f->rec_items);
    free(f->old_list);
    free(f->new_list);
    free(f->units_old);
    free(f->units_new);
    free(f->buckets);
    free(f->slots.s);
    free(f->slots.arena);
    free(f->claims.c);
    free(f->order);
    free(f->sortrec);
    free(f->ahead);
    memset(f, 0, sizeof *f);
}

void
node_figx_reset(node_figx_t *f)
{
    node_figx_map_reset(f->vals);
    f->nsorted = 0;
    f->nahead = f->ahead_next = 0;
    f->hint_list = f->hint_claims = NULL;
    f->excl = NULL;
    zhashx_purge(f->profiles);
    node_figx_slots_forget(f);
}

bool
node_figx_is_counter(const char *key)
{
    return key[0] == 'f' || key[0] == 'H' || key[0] == 'x' || key[0] == 'e';
}

/* ---- keys as stored (SPEC 12.2) ------------------------------------------
 * A person's identity "p:<64 hex>" ends the h|, x| and i|<member>| keys;
 * stored, it is NODE_FIGX_PSEUDO and its 32 bytes (a member id and the
 * other identities are printable, so the byte cannot be anything
 * else). */

/* Where the identity of key begins (0: key has none). */
static size_t
s_identity_at(const char *key, size_t len)
{
    if (len > 2 && (key[0] == 'h' || key[0] == 'x') && key[1] == '|')
        return 2;
    if (len > 2 && key[0] == 'i' && key[1] == '|') {
        const char *bar = memchr(key + 2, '|', len - 2);
        return bar ? (size_t)(bar - key) + 1 : 0;
    }
    return 0;
}

size_t
node_figx_key_disk(const char *key, uint8_t out[NODE_FIGX_KEY_MAX])
{
    size_t len = strnlen(key, NODE_FIGX_KEY_MAX);
    size_t at = s_identity_at(key, len);
    if (at && len - at == 66 && key[at] == 'p' && key[at + 1] == ':' &&
        proto_unhex_lower(key + at + 2, out + at + 1, 32)) {
        memcpy(out, key, at);
        out[at] = NODE_FIGX_PSEUDO;
        return at + 33;
    }
    memcpy(out, key, len);
    return len;
}

int
node_figx_key_text(const void *k, size_t len, char *out, size_t cap)
{
    const uint8_t *b = k;
    const uint8_t *p = memchr(b, NODE_FIGX_PSEUDO, len);
    size_t at = p ? (size_t)(p - b) : len;
    if (p && len - at != 33)
        return VOCFED_ECORRUPT;
    if (at + (p ? 66 : 0) >= cap)
        return VOCFED_ECORRUPT;
    memcpy(out, b, at);
    if (p) {
        out[at] = 'p';
        out[at + 1] = ':';
        proto_hex(b + at + 1, 32, out + at + 2);
        at += 66;
    }
    out[at] = 0;
    return VOCFED_OK;
}

/* Reads v as stored (its key k, kl bytes: the stored form when
 * v->stored, which needs cur; a counter when counter), through cur when
 * not NULL. */
static int
s_load(node_figx_t *f, store_fcursor_t *cur, const uint8_t *k, size_t kl,
       bool counter, node_figx_val_t *v)
{
    int rc = VOCFED_OK;
    v->loaded = true;
    if (f->memory_only || !f->txn)
        return VOCFED_OK;
    proto_buf_reset(&v->blob);
    if (cur && v->stored)
        rc = store_fcursor_get_stored(cur, k, kl, &v->blob);
    else if (cur)
        rc = store_fcursor_get(cur, k, kl, &v->blob);
    else
        rc = store_txn_blob_get(f->txn, k, kl, &v->blob);
    if (rc == VOCFED_ENOTFOUND) {
        proto_buf_reset(&v->blob);
        rc = VOCFED_OK;
    } else if (rc == VOCFED_OK && counter) {
        if (v->blob.len != 8)
            return VOCFED_ECORRUPT;
        int64_t x = 0;
        for (size_t i = 0; i < 8; i++)
            x = (int64_t)((uint64_t)x << 8 | v->blob.data[i]);
        v->base = v->cur = x;
        proto_buf_reset(&v->blob);
    }
    return rc;
}

/* Adds key (not found, *pr) to the working set; k gets its form before
 * the person's number (kl bytes). In a transaction the map keeps the
 * stored form when the person has a number: the applier's chunk numbers
 * its persons first, so the person is looked up once here, not at each
 * read and write, and the chunk's values sort as LMDB keeps them. */
static node_figx_val_t *
s_add(node_figx_t *f, const char *key, const node_figx_probe_t *pr,
      uint8_t k[NODE_FIGX_KEY_MAX], size_t *kl)
{
    uint8_t sk[NODE_FIGX_KEY_MAX];
    size_t skl = 0;
    *kl = node_figx_key_disk(key, k);
    bool stored = f->txn && !f->memory_only &&
                  store_txn_fkey(f->txn, k, *kl, sk, &skl) == VOCFED_OK;
    node_figx_val_t *v = stored ? node_figx_map_add(f->vals, key, pr, sk, skl)
                                : node_figx_map_add(f->vals, key, pr, k, *kl);
    if (v) {
        v->counter = node_figx_is_counter(key);
        v->stored = stored;
    }
    return v;
}

node_figx_val_t *
node_figx_val(node_figx_t *f, const char *key, bool counter, int *rc)
{
    node_figx_probe_t pr;
    node_figx_val_t *v = node_figx_map_find(f->vals, key, &pr);
    uint8_t k[NODE_FIGX_KEY_MAX];
    size_t kl;
    (void)counter;
    *rc = VOCFED_OK;
    if (v && v->loaded)
        return v;
    if (v) { /* named, not read yet: a chunk without its prefetch */
        kl = node_figx_key_disk(key, k);
    } else if (!(v = s_add(f, key, &pr, k, &kl))) {
        *rc = VOCFED_ENOMEM;
        return NULL;
    }
    if ((*rc = s_load(f, NULL, k, kl, v->counter, v)))
        return NULL; /* the transaction fails: the map is reset */
    return v;
}

/* Grows the array whose pointer is at pp (*cap elements of size bytes)
 * to hold n. The pointer is read and written with memcpy: pp points to
 * a pointer of another type than void *. */
static int
s_grow(void *pp, size_t *cap, size_t n, size_t size)
{
    void *p;
    if (n <= *cap)
        return VOCFED_OK;
    size_t c = *cap ? *cap : 1024;
    while (c < n)
        c *= 2;
    memcpy(&p, pp, sizeof p);
    if (!(p = realloc(p, c * size)))
        return VOCFED_ENOMEM;
    memcpy(pp, &p, sizeof p);
    *cap = c;
    return VOCFED_OK;
}

node_figx_val_t *
node_figx_name(node_figx_t *f, const char *key)
{
    uint8_t k[NODE_FIGX_KEY_MAX];
    size_t kl;
    node_figx_probe_t pr;
    node_figx_val_t *v = node_figx_map_find(f->vals, key, &pr);
    return v ? v : s_add(f, key, &pr, k, &kl);
}

int
node_figx_ahead_push(node_figx_t *f, const void *e, node_figx_val_t *list,
                     node_figx_val_t *claims)
{
    if (s_grow(&f->ahead, &f->aheadcap, f->nahead + 1, sizeof *f->ahead))
        return VOCFED_ENOMEM;
    f->ahead[f->nahead++] = (node_figx_ahead_t){e, list, claims};
    return VOCFED_OK;
}

const node_figx_ahead_t *
node_figx_ahead_pop(node_figx_t *f, const void *e)
{
    if (f->ahead_next < f->nahead && f->ahead[f->ahead_next].e == e)
        return &f->ahead[f->ahead_next++];
    return NULL;
}

int
node_figx_add(node_figx_t *f, const char *key, int64_t delta)
{
    int rc;
    node_figx_val_t *v = node_figx_val(f, key, true, &rc);
    if (!v)
        return rc;
    if (__builtin_add_overflow(v->cur, delta, &v->cur))
        return VOCFED_EBADRECORD;
    return VOCFED_OK;
}

/* ---- the working set in key order ----------------------------------------
 * Values are read and written in the order LMDB keeps their stored keys
 * (issue 11): each page of the figures database is then touched once,
 * LMDB finds each key next to the last, and its dirty list grows in
 * order. The chunk's named values are sorted once, when they are read;
 * the write merges them with the few values added since (counters). */

/* A value to sort: the first sixteen bytes of its key (big-endian,
 * zero-padded), so that most comparisons read no key: a list's key
 * "i|<member>|" and its person's number fit there for a member id of up
 * to nine bytes. */
typedef struct node_figx_sortrec {
    uint64_t head[2]; /* the first bytes of its key */
    uint32_t i;       /* its index in the map */
} s_sortrec_t;

static int
s_cmp_disk(const node_figx_map_t *m, uint32_t a, uint32_t b)
{
    size_t la, lb;
    const uint8_t *ka = node_figx_map_disk(m, a, &la);
    const uint8_t *kb = node_figx_map_disk(m, b, &lb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* Whether x sorts before y: their heads, then (equal heads) their keys. */
static bool
s_before(const node_figx_map_t *m, const s_sortrec_t *x, const s_sortrec_t *y)
{
    if (x->head[0] != y->head[0])
        return x->head[0] < y->head[0];
    if (x->head[1] != y->head[1])
        return x->head[1] < y->head[1];
    return s_cmp_disk(m, x->i, y->i) < 0;
}

/* s_key_sort(m, a, tmp, n): a (n records) by key (protocol/rsort.h). */
PROTO_RSORT(s_key_sort, s_sortrec_t, const node_figx_map_t *, s_before, head, 2)

/* The values with index in [from, to) that pick says, sorted by stored
 * key, into f->order from *n on (*n advances). */
static int
s_sort(node_figx_t *f, size_t from, size_t to,
       bool (*pick)(const node_figx_val_t *v), size_t *n)
{
    size_t m = 0;
    int rc = s_grow(&f->sortrec, &f->sortcap, 2 * (to - from),
                    sizeof *f->sortrec); /* the records, and the scratch */
    if (!rc)
        rc = s_grow(&f->order, &f->ordercap, *n + to - from, sizeof *f->order);
    if (rc)
        return rc;
    for (size_t i = from; i < to; i++) {
        const char *key;
        size_t kl;
        if (!pick(node_figx_map_at(f->vals, i, &key)))
            continue;
        const uint8_t *k = node_figx_map_disk(f->vals, i, &kl);
        s_sortrec_t *r = &f->sortrec[m++];
        proto_rsort_words(r->head, 2, k, kl);
        r->i = (uint32_t)i;
    }
    if (m) /* sortrec is NULL before the first value */
        s_key_sort(f->vals, f->sortrec, f->sortrec + m, m);
    for (size_t i = 0; i < m; i++)
        f->order[(*n)++] = f->sortrec[i].i;
    return VOCFED_OK;
}

static bool
s_any(const node_figx_val_t *v)
{
    (void)v;
    return true;
}

/* Fetches ahead of a walk at i of f->order (n): the value 16 places on,
 * the key of the one 8 places on. */
static void
s_ahead(const node_figx_t *f, size_t i, size_t n)
{
    if (i + 16 < n)
        node_figx_map_prefetch(f->vals, f->order[i + 16], false);
    if (i + 8 < n)
        node_figx_map_prefetch(f->vals, f->order[i + 8], true);
}

int
node_figx_load_named(node_figx_t *f)
{
    store_fcursor_t *cur = NULL;
    size_t n = 0;
    int rc = s_sort(f, 0, node_figx_map_size(f->vals), s_any, &n);
    f->nsorted = rc ? 0 : n;
    if (!rc && n && !f->memory_only && f->txn)
        rc = store_fcursor_open(f->txn, &cur);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *key;
        size_t kl;
        s_ahead(f, i, n);
        node_figx_val_t *v = node_figx_map_at(f->vals, f->order[i], &key);
        const uint8_t *k = node_figx_map_disk(f->vals, f->order[i], &kl);
        if (!v->loaded)
            rc = s_load(f, cur, k, kl, v->counter, v);
    }
    store_fcursor_close(&cur);
    return rc;
}

static bool
s_changed(const node_figx_val_t *v)
{
    return v->loaded && (v->cur != v->base || v->blob_dirty);
}

/* Writes value i of the map if it changed. */
static int
s_flush_one(node_figx_t *f, store_fcursor_t *cur, uint32_t i)
{
    const char *key;
    size_t kl;
    node_figx_val_t *v = node_figx_map_at(f->vals, i, &key);
    const uint8_t *k = node_figx_map_disk(f->vals, i, &kl);
    int rc;
    if (!s_changed(v))
        return VOCFED_OK;
    uint8_t b[8];
    const void *data = v->blob.data;
    size_t len = v->blob.len;
    if (v->counter) {
        for (size_t j = 0; j < 8; j++)
            b[j] = (uint8_t)((uint64_t)v->cur >> (56 - 8 * j));
        data = b;
        len = v->cur ? 8 : 0;
    }
    if (v->stored)
        rc = store_fcursor_set_stored(cur, k, kl, data, len);
    else
        rc = store_fcursor_set(cur, k, kl, data, len);
    v->base = v->cur;
    v->blob_dirty = false;
    return rc;
}

/* The changed values are written in key order with one cursor: the ones
 * sorted when read (f->order up to nsorted) merged with the ones added
 * since, sorted now. */
int
node_figx_flush(node_figx_t *f)
{
    store_fcursor_t *cur = NULL;
    size_t a = f->nsorted, b = a;
    int rc = s_sort(f, a, node_figx_map_size(f->vals), s_changed, &b);
    if (!rc && b)
        rc = store_fcursor_open(f->txn, &cur);
    for (size_t i = 0, j = a; (i < a || j < b) && !rc;) {
        s_ahead(f, i, a);
        bool left = j == b || (i < a && s_cmp_disk(f->vals, f->order[i],
                                                   f->order[j]) < 0);
        rc = s_flush_one(f, cur, f->order[left ? i++ : j++]);
    }
    store_fcursor_close(&cur);
    return rc;
}

/* ---- lists ----------------------------------------------------------------
 * Encoding (internal to the figures database): per item: fig u8, year
 * u16, value i64, payee len u16 + bytes, rec len u16 + bytes. */

static void
s_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
s_rd(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* A length-prefixed string (u8 or u16 length) at *off into out (cap). */
static int
s_get_str(const uint8_t *b, size_t len, size_t *off, int lb, char *out,
          size_t cap)
{
    if (len - *off < (size_t)lb)
        return VOCFED_ECORRUPT;
    size_t l = (size_t)s_rd(b + *off, lb);
    *off += (size_t)lb;
    if (l >= cap || len - *off < l)
        return VOCFED_ECORRUPT;
    memcpy(out, b + *off, l);
    out[l] = 0;
    *off += l;
    return VOCFED_OK;
}

static int
s_put_str(proto_buf_t *b, const char *s, int lb)
{
    uint8_t h[2];
    size_t l = strlen(s);
    s_be(h, l, lb);
    int rc = proto_buf_append(b, h, (size_t)lb);
    return rc ? rc : proto_buf_append(b, s, l);
}

/* A list item's record (kind/key) as stored: a key that begins with
 * the identity's pseudo_id has it as one NODE_FIGX_PSEUDO byte (SPEC
 * 12.2). */
static void
s_rec_pack(const char *rec, const char *identity, char *out, size_t cap)
{
    const char *slash = strchr(rec, '/');
    if (slash && !strncmp(identity, "p:", 2) && strlen(identity) == 66 &&
        !strncmp(slash + 1, identity + 2, 64)) {
        size_t a = (size_t)(slash - rec + 1), rest = strlen(slash + 65);
        if (a + 1 + rest < cap) { /* not snprintf: once per item applied */
            memcpy(out, rec, a);
            out[a] = NODE_FIGX_PSEUDO;
            memcpy(out + a + 1, slash + 65, rest + 1);
        } else {
            snprintf(out, cap, "%.*s%c%s", (int)a, rec, NODE_FIGX_PSEUDO,
                     slash + 65);
        }
        return;
    }
    node_fig_span(out, cap, rec, strlen(rec));
}

static int
s_rec_unpack(char *rec, size_t cap, const char *identity)
{
    char *mark = strchr(rec, NODE_FIGX_PSEUDO), rest[PROTO_KEY_MAX + 2];
    if (!mark)
        return VOCFED_OK;
    if (strncmp(identity, "p:", 2) || strlen(identity) != 66 || mark == rec ||
        mark[-1] != '/')
        return VOCFED_ECORRUPT;
    snprintf(rest, sizeof rest, "%s", mark + 1);
    size_t at = (size_t)(mark - rec);
    int n = snprintf(mark, cap - at, "%s%s", identity + 2, rest);
    return n < 0 || (size_t)n >= cap - at ? VOCFED_ECORRUPT : VOCFED_OK;
}

int
node_figx_list_decode(const proto_buf_t *b, const char *member,
                      const char *identity, node_fig_item_t *items, size_t *n)
{
    size_t off = 0;
    *n = 0;
    while (off < b->len) {
        if (*n >= NODE_FIGX_LIST_MAX || b->len - off < 11)
            return VOCFED_ECORRUPT;
        node_fig_item_t *it = &items[(*n)++];
        it->fig = b->data[off];
        it->year = (uint16_t)s_rd(b->data + off + 1, 2);
        it->value = (int64_t)s_rd(b->data + off + 3, 8);
        off += 11;
        int rc;
        if (it->fig >= NODE_C_COUNT ||
            (rc = s_get_str(b->data, b->len, &off, 2, it->payee,
                            sizeof it->payee)) ||
            (rc = s_get_str(b->data, b->len, &off, 2, it->rec,
                            sizeof it->rec)) ||
            (rc = s_rec_unpack(it->rec, sizeof it->rec, identity)))
            return VOCFED_ECORRUPT;
        snprintf(it->member, sizeof it->member, "%s", member);
    }
    return VOCFED_OK;
}

int
node_figx_list_encode(const node_fig_item_t *items, size_t n,
                      const char *identity, proto_buf_t *b)
{
    proto_buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        char rec[sizeof items[i].rec];
        s_rec_pack(items[i].rec, identity, rec, sizeof rec);
        uint8_t h[11];
        h[0] = items[i].fig;
        s_be(h + 1, items[i].year, 2);
        s_be(h + 3, (uint64_t)items[i].value, 8);
        int rc;
        if ((rc = proto_buf_append(b, h, sizeof h)) ||
            (rc = s_put_str(b, items[i].payee, 2)) ||
            (rc = s_put_str(b, rec, 2)))
            return rc;
    }
    return VOCFED_OK;
}

/* ---- claims ---------------------------------------------------------------
 * Encoding: per claim: fig u8, year u16, value i64, cat len u16 + bytes,
 * member len u8 + bytes, payee len u16 + bytes. */

node_figx_claim_t *
node_figx_claims_push(node_figx_claims_t *c)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        void *p = realloc(c->c, cap * sizeof *c->c);
        if (!p)
            return NULL;
        c->c = p;
        c->cap = cap;
    }
    return &c->c[c->n++];
}

int
node_figx_claims_decode(const uint8_t *b, size_t len, node_figx_claims_t *out)
{
    size_t off = 0;
    out->n = 0;
    while (off < len) {
        node_figx_claim_t *c = node_figx_claims_push(out);
        if (!c)
            return VOCFED_ENOMEM;
        if (len - off < 11)
            return VOCFED_ECORRUPT;
        c->fig = b[off];
        c->year = (uint16_t)s_rd(b + off + 1, 2);
        c->value = (int64_t)s_rd(b + off + 3, 8);
        off += 11;
        if (c->fig >= NODE_C_COUNT ||
            s_get_str(b, len, &off, 2, c->cat, sizeof c->cat) ||
            s_get_str(b, len, &off, 1, c->member, sizeof c->member) ||
            s_get_str(b, len, &off, 2, c->payee, sizeof c->payee))
            return VOCFED_ECORRUPT;
    }
    return VOCFED_OK;
}

int
node_figx_claims_encode(const node_figx_claims_t *c, proto_buf_t *b)
{
    proto_buf_reset(b);
    for (size_t i = 0; i < c->n; i++) {
        uint8_t h[11];
        h[0] = c->c[i].fig;
        s_be(h + 1, c->c[i].year, 2);
        s_be(h + 3, (uint64_t)c->c[i].value, 8);
        int rc;
        if ((rc = proto_buf_append(b, h, sizeof h)) ||
            (rc = s_put_str(b, c->c[i].cat, 2)) ||
            (rc = s_put_str(b, c->c[i].member, 1)) ||
            (rc = s_put_str(b, c->c[i].payee, 2)))
            return rc;
    }
    return VOCFED_OK;
}
