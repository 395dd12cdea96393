/* vocfed: the figures' lists, claims and counters (see figures_i.h;
 * SPEC 12.2).
 *
 * Each member keeps, per identity (a person, an activity, a record), the
 * list of items its own records yield there: what it costs is bounded
 * per (member, identity), and a member's own buckets (dims m and q) come
 * from its list alone. The group's buckets (g, a, c, p) come from
 * claims: a unit (identity, counter, year, and the category of a
 * category counter) is claimed by every member whose items fall in it,
 * in the order received, and the first claim is the one counted and
 * paid. What a member holds is kept per (member, counter, year) (H|), so
 * the affiliation and county buckets follow a profile change at a cost
 * that does not depend on the member's records. */
#include "node/figures_i.h"

#include "node/figures_catalogue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buckets of one member's list: dims m and q, 2 per item. */
#define S_BUCKETS_MAX (2 * NODE_FIGX_LIST_MAX)

/* ---- the working set ----------------------------------------------------- */

static void
s_val_free(void **item)
{
    node_figx_val_t *v = *item;
    if (v) {
        proto_buf_release(&v->blob);
        free(v);
        *item = NULL;
    }
}

int
node_figx_init(node_figx_t *f, store_t *st, const char *coord)
{
    memset(f, 0, sizeof *f);
    f->st = st;
    snprintf(f->coord, sizeof f->coord, "%s", coord ? coord : "");
    f->vals = zhashx_new();
    f->profiles = zhashx_new();
    f->rec_items = calloc(NODE_FIG_ITEMS_MAX, sizeof *f->rec_items);
    f->old_list = calloc(NODE_FIGX_LIST_MAX, sizeof *f->old_list);
    f->new_list = calloc(NODE_FIGX_LIST_MAX, sizeof *f->new_list);
    f->units_old = calloc(NODE_FIGX_LIST_MAX, sizeof *f->units_old);
    f->units_new = calloc(NODE_FIGX_LIST_MAX, sizeof *f->units_new);
    if (!f->vals || !f->profiles || !f->rec_items || !f->old_list ||
        !f->new_list || !f->units_old || !f->units_new)
        return VOCFED_ENOMEM;
    zhashx_set_destructor(f->vals, s_val_free);
    zhashx_set_destructor(f->profiles, (zhashx_destructor_fn *)zstr_free);
    return VOCFED_OK;
}

void
node_figx_release(node_figx_t *f)
{
    zhashx_destroy(&f->vals);
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
    zhashx_purge(f->vals);
    zhashx_purge(f->profiles);
}

bool
node_figx_is_counter(const char *key)
{
    return key[0] == 'f' || key[0] == 'H' || key[0] == 'x' || key[0] == 'e';
}

node_figx_val_t *
node_figx_val(node_figx_t *f, const char *key, bool counter, int *rc)
{
    node_figx_val_t *v = zhashx_lookup(f->vals, key);
    *rc = VOCFED_OK;
    if (v)
        return v;
    if (!(v = calloc(1, sizeof *v))) {
        *rc = VOCFED_ENOMEM;
        return NULL;
    }
    proto_buf_init(&v->blob);
    if (!f->memory_only && f->txn) {
        if (counter)
            *rc = store_txn_counter_get(f->txn, key, strlen(key), &v->base);
        else if ((*rc = store_txn_blob_get(f->txn, key, strlen(key),
                                           &v->blob)) == VOCFED_ENOTFOUND)
            *rc = VOCFED_OK;
    }
    if (*rc) {
        s_val_free((void **)&v);
        return NULL;
    }
    v->cur = v->base;
    zhashx_insert(f->vals, key, v);
    return v;
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

int
node_figx_flush(node_figx_t *f)
{
    for (node_figx_val_t *v = zhashx_first(f->vals); v;
         v = zhashx_next(f->vals)) {
        const char *key = zhashx_cursor(f->vals);
        int rc = VOCFED_OK;
        if (node_figx_is_counter(key) && v->cur != v->base)
            rc = store_txn_counter_set(f->txn, key, strlen(key), v->cur);
        else if (!node_figx_is_counter(key) && v->blob_dirty)
            rc = store_txn_blob_set(f->txn, key, strlen(key), v->blob.data,
                                    v->blob.len);
        if (rc)
            return rc;
        v->base = v->cur;
        v->blob_dirty = false;
    }
    return VOCFED_OK;
}

/* ---- what kind of counter ------------------------------------------------ */

/* A counter some subsidy rule pays for: its units are paid once. */
static bool
s_money(unsigned c)
{
    size_t n;
    const node_fig_def_t *cat = node_figcat(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < cat[i].nrules; j++)
            if (cat[i].rules[j].counter == (node_counter_t)c)
                return true;
    return false;
}

/* A counter whose payee is a category (an industry), not one to pay:
 * each category is a unit of its own. */
static bool
s_category(unsigned c)
{
    size_t n;
    const node_fig_def_t *cat = node_figcat(&n);
    for (size_t i = 0; i < n; i++)
        if (cat[i].shape == NODE_FIG_COVERAGE && cat[i].num == c)
            return true;
    return false;
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

static int
s_list_decode(const proto_buf_t *b, const char *member, node_fig_item_t *items,
              size_t *n)
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
            (rc = s_get_str(b->data, b->len, &off, 2, it->rec, sizeof it->rec)))
            return VOCFED_ECORRUPT;
        snprintf(it->member, sizeof it->member, "%s", member);
    }
    return VOCFED_OK;
}

static int
s_list_encode(const node_fig_item_t *items, size_t n, proto_buf_t *b)
{
    proto_buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        uint8_t h[11];
        h[0] = items[i].fig;
        s_be(h + 1, items[i].year, 2);
        s_be(h + 3, (uint64_t)items[i].value, 8);
        int rc;
        if ((rc = proto_buf_append(b, h, sizeof h)) ||
            (rc = s_put_str(b, items[i].payee, 2)) ||
            (rc = s_put_str(b, items[i].rec, 2)))
            return rc;
    }
    return VOCFED_OK;
}

/* ---- claims ---------------------------------------------------------------
 * Encoding: per claim: fig u8, year u16, value i64, cat len u16 + bytes,
 * member len u8 + bytes, payee len u16 + bytes. */

static node_figx_claim_t *
s_claims_push(node_figx_claims_t *c)
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
        node_figx_claim_t *c = s_claims_push(out);
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

static int
s_claims_encode(const node_figx_claims_t *c, proto_buf_t *b)
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

bool
node_figx_same_unit(const node_figx_claim_t *a, const node_figx_claim_t *b)
{
    return a->fig == b->fig && a->year == b->year && !strcmp(a->cat, b->cat);
}

bool
node_figx_contested(const node_figx_claims_t *c, size_t i)
{
    const node_figx_claim_t *h = &c->c[i];
    bool money = s_money(h->fig), others = false, differ = false;
    for (size_t j = i + 1; j < c->n; j++) {
        if (!node_figx_same_unit(h, &c->c[j]))
            continue;
        others = true;
        differ |= c->c[j].value != h->value || strcmp(c->c[j].payee, h->payee);
    }
    return others && (money || differ);
}

/* The first claim on unit u in c, or NULL. */
static const node_figx_claim_t *
s_holder(const node_figx_claims_t *c, const node_figx_claim_t *u, size_t *at)
{
    for (size_t i = 0; i < c->n; i++)
        if (node_figx_same_unit(&c->c[i], u)) {
            if (at)
                *at = i;
            return &c->c[i];
        }
    return NULL;
}

/* ---- the group's counters from what is held ------------------------------ */

static void
s_year_text(unsigned y, char buf[8])
{
    snprintf(buf, 8, "%u", y);
}

/* A counter key f|<counter>|<year>|<dim>|<bucket>. */
static void
s_fkey(char *key, size_t cap, unsigned fig, unsigned year, char dim,
       const char *bucket)
{
    char y[8], d[2] = {dim, 0};
    s_year_text(year, y);
    node_fig_cat(key, cap, "f|", node_counter_key((node_counter_t)fig), "|", y,
                 "|", d, "|", bucket, NULL);
}

/* Adds sign x the held claim h to the group's buckets. */
static int
s_hold(node_figx_t *f, const node_figx_claim_t *h, int sign)
{
    char key[PROTO_KEY_MAX + PROTO_ID_MAX + 64], y[8];
    int64_t v = sign * h->value;
    const node_figx_profile_t *p = node_figx_profile(f, h->member);
    int rc;
    if (!p)
        return VOCFED_ENOMEM;
    s_year_text(h->year, y);
    s_fkey(key, sizeof key, h->fig, h->year, 'g', "");
    if ((rc = node_figx_add(f, key, v)))
        return rc;
    s_fkey(key, sizeof key, h->fig, h->year, 'a', p->affiliation);
    if ((rc = node_figx_add(f, key, v)))
        return rc;
    s_fkey(key, sizeof key, h->fig, h->year, 'c', p->county);
    if ((rc = node_figx_add(f, key, v)))
        return rc;
    if (h->payee[0]) {
        s_fkey(key, sizeof key, h->fig, h->year, 'p', h->payee);
        if ((rc = node_figx_add(f, key, v)))
            return rc;
    }
    node_fig_cat(key, sizeof key, "H|", h->member, "|",
                 node_counter_key((node_counter_t)h->fig), "|", y, NULL);
    return node_figx_add(f, key, v);
}

/* ---- a member's units ---------------------------------------------------- */

/* The units a list falls in, with the member's value (the largest of its
 * items there) and payee (that item's). */
static size_t
s_units(const node_fig_item_t *items, size_t n, const char *member,
        node_figx_claim_t *u)
{
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        node_figx_claim_t c = {.fig = items[i].fig,
                               .year = items[i].year,
                               .value = items[i].value};
        if (s_category(c.fig))
            snprintf(c.cat, sizeof c.cat, "%s", items[i].payee);
        size_t j = 0;
        while (j < nu && !node_figx_same_unit(&u[j], &c))
            j++;
        if (j < nu && u[j].value >= c.value)
            continue;
        snprintf(c.member, sizeof c.member, "%s", member);
        snprintf(c.payee, sizeof c.payee, "%s", items[i].payee);
        u[j] = c;
        nu += j == nu;
    }
    return nu;
}

/* The unit of u in set (n), or NULL. */
static const node_figx_claim_t *
s_unit_in(const node_figx_claim_t *set, size_t n, const node_figx_claim_t *u)
{
    for (size_t i = 0; i < n; i++)
        if (node_figx_same_unit(&set[i], u))
            return &set[i];
    return NULL;
}

/* Distinct members among the claims (people found at several members). */
static size_t
s_claimants(const node_figx_claims_t *c)
{
    size_t d = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t j = 0;
        while (j < i && strcmp(c->c[j].member, c->c[i].member))
            j++;
        d += j == i;
    }
    return d;
}

/* Contested units among the claims. */
static int64_t
s_contested(const node_figx_claims_t *c)
{
    int64_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t at = i;
        s_holder(c, &c->c[i], &at);
        k += at == i && node_figx_contested(c, i);
    }
    return k;
}

/* Member's claims on unit u change to nu (NULL: none): the claim keeps
 * its place in the order, a new one goes last, a withdrawn one leaves. */
static int
s_claim_set(node_figx_claims_t *c, const node_figx_claim_t *u,
            const node_figx_claim_t *nu, const char *member)
{
    size_t i = 0;
    while (i < c->n && !(node_figx_same_unit(&c->c[i], u) &&
                         !strcmp(c->c[i].member, member)))
        i++;
    if (i < c->n && nu) {
        c->c[i] = *nu;
    } else if (i < c->n) {
        memmove(&c->c[i], &c->c[i + 1], (c->n - i - 1) * sizeof *c->c);
        c->n--;
    } else if (nu) {
        node_figx_claim_t *slot = s_claims_push(c);
        if (!slot)
            return VOCFED_ENOMEM;
        *slot = *nu;
    }
    return VOCFED_OK;
}

/* Whether two held claims count the same. */
static bool
s_same_hold(const node_figx_claim_t *a, const node_figx_claim_t *b)
{
    return a && b && a->value == b->value && !strcmp(a->member, b->member) &&
           !strcmp(a->payee, b->payee);
}

/* One unit's claims change; the group's buckets follow its holder. */
static int
s_unit_change(node_figx_t *f, const char *member, const node_figx_claim_t *u,
              const node_figx_claim_t *nu)
{
    node_figx_claims_t *c = &f->claims;
    const node_figx_claim_t *h = s_holder(c, u, NULL);
    node_figx_claim_t before = h ? *h : (node_figx_claim_t){0};
    int rc = s_claim_set(c, u, nu, member);
    if (rc)
        return rc;
    const node_figx_claim_t *after = s_holder(c, u, NULL);
    if (s_same_hold(h ? &before : NULL, after))
        return VOCFED_OK;
    if (h && (rc = s_hold(f, &before, -1)))
        return rc;
    return after ? s_hold(f, after, 1) : VOCFED_OK;
}

/* Member's units on identity go from uo (no) to un (nn). */
static int
s_claims_change(node_figx_t *f, const char *member, const char *identity,
                const node_figx_claim_t *uo, size_t no,
                const node_figx_claim_t *un, size_t nn)
{
    char key[PROTO_KEY_MAX + PROTO_ID_MAX + 40];
    int rc;
    node_fig_cat(key, sizeof key, "h|", identity, NULL);
    node_figx_val_t *v = node_figx_val(f, key, false, &rc);
    if (!v ||
        (rc = node_figx_claims_decode(v->blob.data, v->blob.len, &f->claims)))
        return rc;
    size_t members = s_claimants(&f->claims);
    int64_t contested = s_contested(&f->claims);
    for (size_t i = 0; i < no && !rc; i++)
        if (!s_unit_in(un, nn, &uo[i]))
            rc = s_unit_change(f, member, &uo[i], NULL);
    for (size_t i = 0; i < nn && !rc; i++) {
        const node_figx_claim_t *o = s_unit_in(uo, no, &un[i]);
        if (!o || o->value != un[i].value || strcmp(o->payee, un[i].payee))
            rc = s_unit_change(f, member, &un[i], &un[i]);
    }
    if (rc)
        return rc;
    node_fig_cat(key, sizeof key, "x|", identity, NULL);
    if ((rc = node_figx_add(f, key, s_contested(&f->claims) - contested)))
        return rc;
    size_t now = s_claimants(&f->claims);
    if (identity[0] == 'p' && (members >= 2) != (now >= 2) &&
        (rc = node_figx_add(f, "f|multi|0|g|", now >= 2 ? 1 : -1)))
        return rc;
    v->blob_dirty = true;
    return s_claims_encode(&f->claims, &v->blob);
}

/* ---- a member's own buckets (m, q) --------------------------------------- */

typedef struct {
    char key[PROTO_KEY_MAX + PROTO_ID_MAX + 64]; /* f|...|m|... or q */
    int64_t value;                               /* the largest item */
} s_bucket_t;

static void
s_bucket(s_bucket_t *bk, size_t *n, const node_fig_item_t *it, char dim,
         const char *bucket)
{
    char key[sizeof bk->key];
    s_fkey(key, sizeof key, it->fig, it->year, dim, bucket);
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(bk[i].key, key)) {
            if (it->value > bk[i].value)
                bk[i].value = it->value;
            return;
        }
    memcpy(bk[*n].key, key, sizeof key);
    bk[(*n)++].value = it->value;
}

/* Adds sign x what a member's list gives its own buckets. */
static int
s_own(node_figx_t *f, const char *member, const node_fig_item_t *items,
      size_t n, int sign)
{
    s_bucket_t *bk = calloc(2 * n + 1, sizeof *bk);
    char q[PROTO_ID_MAX + PROTO_KEY_MAX + 2];
    size_t nb = 0;
    int rc = bk ? VOCFED_OK : VOCFED_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        s_bucket(bk, &nb, &items[i], 'm', member);
        if (items[i].payee[0]) {
            node_fig_cat(q, sizeof q, member, "/", items[i].payee, NULL);
            s_bucket(bk, &nb, &items[i], 'q', q);
        }
    }
    for (size_t i = 0; i < nb && !rc; i++)
        rc = node_figx_add(f, bk[i].key, sign * bk[i].value);
    free(bk);
    return rc;
}

/* ---- a record's items ---------------------------------------------------- */

int
node_figx_change(node_figx_t *f, const char *member, const char *identity,
                 const char *rec, const node_fig_item_t *items, size_t n)
{
    char key[PROTO_KEY_MAX + 2 * PROTO_ID_MAX + 40];
    size_t no, nn = 0;
    int rc;
    node_fig_cat(key, sizeof key, "i|", member, "|", identity, NULL);
    node_figx_val_t *v = node_figx_val(f, key, false, &rc);
    if (!v || (rc = s_list_decode(&v->blob, member, f->old_list, &no)))
        return rc;
    if (no == 0 && n == 0)
        return VOCFED_OK;
    for (size_t i = 0; i < no && rec; i++)
        if (strcmp(f->old_list[i].rec, rec))
            f->new_list[nn++] = f->old_list[i];
    if (nn + n > NODE_FIGX_LIST_MAX)
        return VOCFED_EBADRECORD; /* the member's own records only */
    memcpy(f->new_list + nn, items, n * sizeof *items);
    nn += n;
    if ((rc = s_own(f, member, f->old_list, no, -1)) ||
        (rc = s_own(f, member, f->new_list, nn, 1)))
        return rc;
    size_t uo = s_units(f->old_list, no, member, f->units_old);
    size_t un = s_units(f->new_list, nn, member, f->units_new);
    if ((rc = s_claims_change(f, member, identity, f->units_old, uo,
                              f->units_new, un)))
        return rc;
    v->blob_dirty = true;
    return s_list_encode(f->new_list, nn, &v->blob);
}

/* ---- profiles ------------------------------------------------------------ */

static void
s_profile_from(const uint8_t *body, size_t len, node_figx_profile_t *p)
{
    memset(p, 0, sizeof *p);
    if (!body)
        return;
    node_fig_body_str(body, len, "original_affiliation", p->affiliation,
                      sizeof p->affiliation);
    node_fig_body_str(body, len, "region_code", p->county, sizeof p->county);
}

const node_figx_profile_t *
node_figx_profile(node_figx_t *f, const char *member)
{
    node_figx_profile_t *p = zhashx_lookup(f->profiles, member);
    if (p)
        return p;
    if (!(p = calloc(1, sizeof *p)))
        return NULL;
    if (f->txn && !f->memory_only) {
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

static int
s_profile_set(node_figx_t *f, const char *member, const node_figx_profile_t *p)
{
    node_figx_profile_t *copy = malloc(sizeof *copy);
    if (!copy)
        return VOCFED_ENOMEM;
    *copy = *p;
    zhashx_update(f->profiles, member, copy);
    return VOCFED_OK;
}

/* Calls fn for each counter of the cache whose key starts with prefix
 * and is not 0 (the keys are copied first: fn may add to the cache). */
static int
s_cached(node_figx_t *f, const char *prefix, size_t plen, store_counter_fn fn,
         void *ctx)
{
    zlist_t *keys = zlist_new();
    int rc = keys ? VOCFED_OK : VOCFED_ENOMEM;
    if (keys)
        zlist_autofree(keys);
    for (node_figx_val_t *v = zhashx_first(f->vals); v && !rc;
         v = zhashx_next(f->vals)) {
        const char *k = zhashx_cursor(f->vals);
        if (!strncmp(k, prefix, plen) && (v->cur || v->blob.len))
            rc = zlist_append(keys, (void *)k) ? VOCFED_ENOMEM : VOCFED_OK;
    }
    for (const char *k = keys ? zlist_first(keys) : NULL; k && !rc;
         k = zlist_next(keys)) {
        node_figx_val_t *v = zhashx_lookup(f->vals, k);
        rc = fn(ctx, k, strlen(k), v ? v->cur : 0);
    }
    zlist_destroy(&keys);
    return rc;
}

/* What member holds, (counter key, year, value), moved from one profile's
 * a and c buckets to the other's. */
typedef struct {
    node_figx_t *f;                    /* the figures */
    size_t plen;                       /* length of "H|<member>|" */
    const node_figx_profile_t *before; /* the old profile */
    const node_figx_profile_t *after;  /* the new one */
} s_move_t;

static int
s_move_one(s_move_t *m, const char *key, int64_t value)
{
    char ck[16], y[8], k[PROTO_KEY_MAX + 64];
    const char *rest = key + m->plen, *bar = strchr(rest, '|');
    if (!bar || (size_t)(bar - rest) >= sizeof ck ||
        strlen(bar + 1) >= sizeof y)
        return VOCFED_ECORRUPT;
    memcpy(ck, rest, (size_t)(bar - rest));
    ck[bar - rest] = 0;
    snprintf(y, sizeof y, "%s", bar + 1);
    const struct {
        char dim;
        const char *old, *new;
    } moves[] = {{'a', m->before->affiliation, m->after->affiliation},
                 {'c', m->before->county, m->after->county}};
    for (size_t i = 0; i < 2; i++) {
        int rc;
        node_fig_cat(k, sizeof k, "f|", ck, "|", y, "|",
                     (char[]){moves[i].dim, 0}, "|", moves[i].old, NULL);
        if ((rc = node_figx_add(m->f, k, -value)))
            return rc;
        node_fig_cat(k, sizeof k, "f|", ck, "|", y, "|",
                     (char[]){moves[i].dim, 0}, "|", moves[i].new, NULL);
        if ((rc = node_figx_add(m->f, k, value)))
            return rc;
    }
    return VOCFED_OK;
}

static int
s_move_row(void *ctx, const void *key, size_t len, int64_t value)
{
    char k[PROTO_KEY_MAX + PROTO_ID_MAX + 64];
    if (len >= sizeof k)
        return VOCFED_ECORRUPT;
    memcpy(k, key, len);
    k[len] = 0;
    return s_move_one(ctx, k, value);
}

int
node_figx_profile_change(node_figx_t *f, const char *member,
                         const uint8_t *old_body, size_t old_len,
                         const uint8_t *new_body, size_t new_len)
{
    node_figx_profile_t before, after;
    const node_figx_profile_t *known = node_figx_profile(f, member);
    if (!known)
        return VOCFED_ENOMEM;
    if (f->memory_only)
        before = *known; /* a replay: as it last saw it */
    else /* the store already has the new record: the old one is given */
        s_profile_from(old_body, old_len, &before);
    s_profile_from(new_body, new_len, &after);
    if (strcmp(before.affiliation, after.affiliation) ||
        strcmp(before.county, after.county)) {
        char prefix[PROTO_ID_MAX + 4];
        int rc;
        s_move_t m = {f, 0, &before, &after};
        m.plen = node_fig_cat(prefix, sizeof prefix, "H|", member, "|", NULL);
        rc = f->memory_only ? s_cached(f, prefix, m.plen, s_move_row, &m)
                            : node_figx_flush(f);
        if (!rc && !f->memory_only)
            rc = store_scan_counters(f->st, f->txn, prefix, m.plen, s_move_row,
                                     &m);
        if (rc)
            return rc;
    }
    return s_profile_set(f, member, &after);
}

/* ---- exclusion ----------------------------------------------------------- */

typedef struct {
    zlist_t *ids; /* identities member has a list on */
    size_t plen;  /* length of "i|<member>|" */
} s_lists_t;

static int
s_list_row(void *ctx, const void *key, size_t len, int64_t value)
{
    s_lists_t *l = ctx;
    char id[PROTO_KEY_MAX + PROTO_ID_MAX + 40];
    (void)value;
    if (len <= l->plen || len - l->plen >= sizeof id)
        return VOCFED_ECORRUPT;
    memcpy(id, (const char *)key + l->plen, len - l->plen);
    id[len - l->plen] = 0;
    return zlist_append(l->ids, id) ? VOCFED_ENOMEM : VOCFED_OK;
}

static int
s_list_blob_row(void *ctx, const void *key, size_t klen, const uint8_t *data,
                size_t len)
{
    (void)data;
    (void)len;
    return s_list_row(ctx, key, klen, 0);
}

int
node_figx_excluded(node_figx_t *f, const char *member, bool *yes)
{
    char key[PROTO_ID_MAX + 4];
    int rc;
    node_fig_cat(key, sizeof key, "e|", member, NULL);
    node_figx_val_t *v = node_figx_val(f, key, true, &rc);
    *yes = v && v->cur != 0;
    return rc;
}

int
node_figx_exclude(node_figx_t *f, const char *member)
{
    char prefix[PROTO_ID_MAX + 4];
    bool already;
    int rc = node_figx_excluded(f, member, &already);
    if (rc || already)
        return rc;
    s_lists_t l = {zlist_new(), 0};
    if (!l.ids)
        return VOCFED_ENOMEM;
    zlist_autofree(l.ids);
    l.plen = node_fig_cat(prefix, sizeof prefix, "i|", member, "|", NULL);
    rc = f->memory_only ? s_cached(f, prefix, l.plen, s_list_row, &l)
                        : node_figx_flush(f);
    if (!rc && !f->memory_only)
        rc = store_txn_scan_blobs(f->txn, prefix, l.plen, s_list_blob_row, &l);
    for (const char *id = zlist_first(l.ids); id && !rc; id = zlist_next(l.ids))
        rc = node_figx_change(f, member, id, NULL, NULL, 0);
    zlist_destroy(&l.ids);
    node_fig_cat(prefix, sizeof prefix, "e|", member, NULL);
    return rc ? rc : node_figx_add(f, prefix, 1);
}
