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
    char tmp[8];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + y % 10);
        y /= 10;
    } while (y && i < 7);
    for (int j = 0; j < i; j++)
        buf[j] = tmp[i - 1 - j];
    buf[i] = 0;
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
            node_fig_cat(c.cat, sizeof c.cat, items[i].payee, NULL);
        size_t j = 0;
        while (j < nu && !node_figx_same_unit(&u[j], &c))
            j++;
        if (j < nu && u[j].value >= c.value)
            continue;
        node_fig_cat(c.member, sizeof c.member, member, NULL);
        node_fig_cat(c.payee, sizeof c.payee, items[i].payee, NULL);
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
        node_figx_claim_t *slot = node_figx_claims_push(c);
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
    int64_t contested = members >= 2 ? s_contested(&f->claims) : 0;
    node_figx_path_t path0, path1; /* joined per person (figures_joins.c) */
    node_figx_path(&f->claims, &path0);
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
    size_t now = s_claimants(&f->claims);
    int64_t dc = (now >= 2 ? s_contested(&f->claims) : 0) - contested;
    node_fig_cat(key, sizeof key, "x|", identity, NULL);
    if (dc && (rc = node_figx_add(f, key, dc)))
        return rc;
    if (identity[0] == 'p' && (members >= 2) != (now >= 2) &&
        (rc = node_figx_add(f, "f|multi|0|g|", now >= 2 ? 1 : -1)))
        return rc;
    node_figx_path(&f->claims, &path1);
    if ((rc = node_figx_path_change(f, &path0, &path1)))
        return rc;
    v->blob_dirty = true;
    return node_figx_claims_encode(&f->claims, &v->blob);
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
    if (!v || (rc = node_figx_list_decode(&v->blob, member, identity,
                                          f->old_list, &no)))
        return rc;
    if (no == 0 && n == 0)
        return VOCFED_OK;
    for (size_t i = 0; i < no && rec; i++)
        if (strcmp(f->old_list[i].rec, rec))
            f->new_list[nn++] = f->old_list[i];
    if (nn + n > NODE_FIGX_LIST_MAX)
        return VOCFED_EBADRECORD; /* the member's own records only */
    if (n)
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
    return node_figx_list_encode(f->new_list, nn, identity, &v->blob);
}
