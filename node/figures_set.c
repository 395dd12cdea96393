/* vocfed: the figures' working set and the encodings of the lists and
 * claims kept in the figures database (see figures_i.h; SPEC 12.2). */
#include "node/figures_i.h"

#include "node/figures_catalogue.h"
#include "protocol/hash.h"

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
    if (!f->vals || !f->profiles || !f->rec_items || !f->old_list ||
        !f->new_list || !f->units_old || !f->units_new)
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
    free(f->claims.c);
    memset(f, 0, sizeof *f);
}

void
node_figx_reset(node_figx_t *f)
{
    node_figx_map_reset(f->vals);
    zhashx_purge(f->profiles);
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

/* Reads v (key) as stored, through cur when not NULL. */
static int
s_load(node_figx_t *f, store_fcursor_t *cur, const char *key,
       node_figx_val_t *v)
{
    uint8_t k[NODE_FIGX_KEY_MAX];
    size_t kl = node_figx_key_disk(key, k);
    int rc = VOCFED_OK;
    v->loaded = true;
    if (f->memory_only || !f->txn)
        return VOCFED_OK;
    proto_buf_reset(&v->blob);
    if (cur)
        rc = store_fcursor_get(cur, k, kl, &v->blob);
    else
        rc = store_txn_blob_get(f->txn, k, kl, &v->blob);
    if (rc == VOCFED_ENOTFOUND) {
        proto_buf_reset(&v->blob);
        rc = VOCFED_OK;
    } else if (rc == VOCFED_OK && node_figx_is_counter(key)) {
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

node_figx_val_t *
node_figx_val(node_figx_t *f, const char *key, bool counter, int *rc)
{
    node_figx_val_t *v = node_figx_map_get(f->vals, key);
    (void)counter;
    *rc = VOCFED_OK;
    if (v && v->loaded)
        return v;
    if (!v && !(v = node_figx_map_add(f->vals, key))) {
        *rc = VOCFED_ENOMEM;
        return NULL;
    }
    if ((*rc = s_load(f, NULL, key, v)))
        return NULL; /* the transaction fails: the map is reset */
    return v;
}

int
node_figx_name(node_figx_t *f, const char *key)
{
    if (node_figx_map_get(f->vals, key))
        return VOCFED_OK;
    return node_figx_map_add(f->vals, key) ? VOCFED_OK : VOCFED_ENOMEM;
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

/* Values of the map with their stored keys, sorted as LMDB sorts them. */
typedef struct {
    const char *key;    /* its key */
    node_figx_val_t *v; /* the value */
    const uint8_t *k;   /* its stored key (in the arena) */
    size_t koff, klen;  /* where there, and its length */
} s_dirty_t;

typedef struct {
    s_dirty_t *d;  /* the values picked */
    size_t n;      /* how many */
    uint8_t *keys; /* their stored keys */
} s_sorted_t;

static int
s_dirty_cmp(const void *a, const void *b)
{
    const s_dirty_t *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->k, y->k, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* The stored keys of s's values into its arena. */
static int
s_disk_keys(s_sorted_t *s)
{
    size_t room = s->n * 64 + NODE_FIGX_KEY_MAX, used = 0;
    if (!(s->keys = malloc(room)))
        return VOCFED_ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        if (room - used < NODE_FIGX_KEY_MAX) {
            uint8_t *k = realloc(s->keys, room *= 2);
            if (!k)
                return VOCFED_ENOMEM;
            s->keys = k;
        }
        s->d[i].koff = used;
        s->d[i].klen = node_figx_key_disk(s->d[i].key, s->keys + used);
        used += s->d[i].klen;
    }
    for (size_t i = 0; i < s->n; i++)
        s->d[i].k = s->keys + s->d[i].koff;
    return VOCFED_OK;
}

/* The values of the map that pick says, sorted by stored key. */
static int
s_pick(node_figx_t *f, bool (*pick)(const node_figx_val_t *v), s_sorted_t *s)
{
    size_t cap = node_figx_map_size(f->vals);
    s->n = 0;
    s->keys = NULL;
    if (!(s->d = malloc((cap ? cap : 1) * sizeof *s->d)))
        return VOCFED_ENOMEM;
    for (size_t i = 0; i < cap; i++) {
        const char *key;
        node_figx_val_t *v = node_figx_map_at(f->vals, i, &key);
        if (pick(v))
            s->d[s->n++] = (s_dirty_t){key, v, NULL, 0, 0};
    }
    int rc = s_disk_keys(s);
    if (rc == VOCFED_OK)
        qsort(s->d, s->n, sizeof *s->d, s_dirty_cmp);
    return rc;
}

static void
s_sorted_free(s_sorted_t *s)
{
    free(s->d);
    free(s->keys);
}

static bool
s_unloaded(const node_figx_val_t *v)
{
    return !v->loaded;
}

int
node_figx_load_named(node_figx_t *f)
{
    s_sorted_t s;
    store_fcursor_t *cur = NULL;
    int rc = s_pick(f, s_unloaded, &s);
    if (!rc && s.n && !f->memory_only && f->txn)
        rc = store_fcursor_open(f->txn, &cur);
    for (size_t i = 0; i < s.n && !rc; i++)
        rc = s_load(f, cur, s.d[i].key, s.d[i].v);
    store_fcursor_close(&cur);
    s_sorted_free(&s);
    return rc;
}

static bool
s_changed(const node_figx_val_t *v)
{
    return v->loaded && (v->cur != v->base || v->blob_dirty);
}

/* Writes one changed value. */
static int
s_flush_one(store_fcursor_t *cur, const uint8_t *k, size_t kl, const char *key,
            node_figx_val_t *v)
{
    int rc;
    if (node_figx_is_counter(key)) {
        uint8_t b[8];
        for (size_t i = 0; i < 8; i++)
            b[i] = (uint8_t)((uint64_t)v->cur >> (56 - 8 * i));
        rc = store_fcursor_set(cur, k, kl, b, v->cur ? 8 : 0);
    } else {
        rc = store_fcursor_set(cur, k, kl, v->blob.data, v->blob.len);
    }
    v->base = v->cur;
    v->blob_dirty = false;
    return rc;
}

/* The changed values are written in key order with one cursor: each page
 * of the figures database is then touched once, LMDB finds each key
 * next to the last, and its dirty list grows in order (issue 11). */
int
node_figx_flush(node_figx_t *f)
{
    s_sorted_t s;
    store_fcursor_t *cur = NULL;
    int rc = s_pick(f, s_changed, &s);
    if (!rc && s.n)
        rc = store_fcursor_open(f->txn, &cur);
    for (size_t i = 0; i < s.n && !rc; i++)
        rc = s_flush_one(cur, s.d[i].k, s.d[i].klen, s.d[i].key, s.d[i].v);
    store_fcursor_close(&cur);
    s_sorted_free(&s);
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
