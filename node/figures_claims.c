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
#include "protocol/tabhash.h"

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

/* Appends the string s to key (cap bytes, *n used), cut at cap - 1 as
 * node_fig_cat does. Counter keys are built this way, not with
 * node_fig_cat: the applier builds about ten per entry, and a call per
 * piece cost a fifth of its instructions (callgrind, issue 11). */
static void
s_put(char *key, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (l > cap - 1 - *n)
        l = cap - 1 - *n;
    memcpy(key + *n, s, l);
    *n += l;
    key[*n] = 0;
}

/* "f|<counter>|<year>|" into key (cap > 64); returns its length. */
static size_t
s_fprefix(char *key, size_t cap, unsigned fig, unsigned year)
{
    char y[8];
    size_t n = 2;
    key[0] = 'f';
    key[1] = '|';
    s_year_text(year, y);
    s_put(key, cap, &n, node_counter_key((node_counter_t)fig));
    s_put(key, cap, &n, "|");
    s_put(key, cap, &n, y);
    s_put(key, cap, &n, "|");
    return n;
}

/* Ends the prefix (n bytes) in key with "<dim>|<bucket>". */
static void
s_fbucket(char *key, size_t cap, size_t n, char dim, const char *bucket)
{
    key[n++] = dim;
    key[n++] = '|';
    key[n] = 0;
    s_put(key, cap, &n, bucket);
}

/* A counter key f|<counter>|<year>|<dim>|<bucket>. */
static void
s_fkey(char *key, size_t cap, unsigned fig, unsigned year, char dim,
       const char *bucket)
{
    s_fbucket(key, cap, s_fprefix(key, cap, fig, year), dim, bucket);
}

/* ---- slots: the counters a tuple adds to, found once ------------------- */

void
node_figx_slots_forget(node_figx_t *f)
{
    node_figx_slots_t *t = &f->slots;
    t->n = t->alen = 0;
    if (++t->gen == 0) { /* never in practice: a chunk at least a turn */
        if (t->s)
            memset(t->s, 0, t->cap * sizeof *t->s);
        t->gen = 1;
    }
}

/* Doubles the table (from 1,024 slots), placing this generation's slots
 * by their stored hashes. */
static int
s_slots_grow(node_figx_slots_t *t)
{
    size_t cap = t->cap ? 2 * t->cap : 1024;
    node_figx_slot_t *s = calloc(cap, sizeof *s);
    if (!s)
        return VOCFED_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->s[i].gen != t->gen)
            continue;
        size_t j = t->s[i].hash & (cap - 1);
        while (s[j].gen == t->gen)
            j = (j + 1) & (cap - 1);
        s[j] = t->s[i];
    }
    free(t->s);
    t->s = s;
    t->cap = cap;
    return VOCFED_OK;
}

/* The tuple's bytes: use, fig, year, member, NUL, payee. */
static size_t
s_tuple(char *out, char use, unsigned fig, unsigned year, const char *member,
        const char *payee)
{
    size_t lm = strnlen(member, PROTO_ID_MAX);
    size_t lp = strnlen(payee, PROTO_KEY_MAX);
    out[0] = use;
    out[1] = (char)fig;
    out[2] = (char)(year >> 8);
    out[3] = (char)year;
    memcpy(out + 4, member, lm);
    out[4 + lm] = 0;
    memcpy(out + 5 + lm, payee, lp);
    return 5 + lm + lp;
}

/* The slot of (use, fig, year, member, payee). *hit: its counters are
 * found; else they are to be found (v[] NULL) and the slot marked
 * filled. NULL when out of memory. */
static node_figx_slot_t *
s_slot(node_figx_t *f, char use, unsigned fig, unsigned year,
       const char *member, const char *payee, bool *hit)
{
    node_figx_slots_t *t = &f->slots;
    char k[PROTO_ID_MAX + PROTO_KEY_MAX + 8];
    size_t len = s_tuple(k, use, fig, year, member, payee);
    uint64_t h = proto_tabhash(t->seed, k, len);
    if (2 * (t->n + 1) > t->cap && s_slots_grow(t))
        return NULL;
    size_t i = h & (t->cap - 1);
    for (;; i = (i + 1) & (t->cap - 1)) {
        node_figx_slot_t *s = &t->s[i];
        if (s->gen != t->gen)
            break;
        if (s->hash == h && s->len == len &&
            !memcmp(t->arena + s->str, k, len)) {
            if (!(*hit = s->filled)) /* a search that failed midway */
                memset(s->v, 0, sizeof s->v);
            return s;
        }
    }
    if (t->alen + len > UINT32_MAX)
        return NULL;
    if (t->alen + len > t->acap) {
        size_t cap = t->acap ? 2 * t->acap : 16384;
        while (cap < t->alen + len)
            cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a)
            return NULL;
        t->arena = a;
        t->acap = cap;
    }
    node_figx_slot_t *s = &t->s[i];
    memcpy(t->arena + t->alen, k, len);
    *s = (node_figx_slot_t){.hash = h,
                            .gen = t->gen,
                            .str = (uint32_t)t->alen,
                            .len = (uint16_t)len};
    t->alen += len;
    t->n++;
    *hit = false;
    return s;
}

/* Adds d to counter v, as node_figx_add does. */
static int
s_add(node_figx_val_t *v, int64_t d)
{
    return __builtin_add_overflow(v->cur, d, &v->cur) ? VOCFED_EBADRECORD
                                                      : VOCFED_OK;
}

/* The slot of the held claim h, its five counters found. NULL with *rc
 * set on failure. */
static node_figx_slot_t *
s_hold_slot(node_figx_t *f, const node_figx_claim_t *h, int *rc)
{
    char key[PROTO_KEY_MAX + PROTO_ID_MAX + 64], y[8];
    bool hit;
    node_figx_slot_t *s =
        s_slot(f, 'h', h->fig, h->year, h->member, h->payee, &hit);
    const node_figx_profile_t *p;
    if (!s || hit || !(p = node_figx_profile(f, h->member))) {
        *rc = s && hit ? VOCFED_OK : VOCFED_ENOMEM;
        return s && hit ? s : NULL;
    }
    const char dims[] = {'g', 'a', 'c', 'p'};
    const char *buckets[] = {"", p->affiliation, p->county, h->payee};
    size_t n = s_fprefix(key, sizeof key, h->fig, h->year);
    for (size_t i = 0; i < 4; i++)
        if (dims[i] != 'p' || h->payee[0]) {
            s_fbucket(key, sizeof key, n, dims[i], buckets[i]);
            if (!(s->v[i] = node_figx_val(f, key, true, rc)))
                return NULL;
        }
    s_year_text(h->year, y);
    n = 2;
    key[0] = 'H';
    key[1] = '|';
    s_put(key, sizeof key, &n, h->member);
    s_put(key, sizeof key, &n, "|");
    s_put(key, sizeof key, &n, node_counter_key((node_counter_t)h->fig));
    s_put(key, sizeof key, &n, "|");
    s_put(key, sizeof key, &n, y);
    if (!(s->v[4] = node_figx_val(f, key, true, rc)))
        return NULL;
    s->filled = true;
    return s;
}

/* Adds sign x the held claim h to the group's buckets (g, a, c, p) and
 * to what its member holds (H), in that order, as far as the first sum
 * that would overflow. */
static int
s_hold(node_figx_t *f, const node_figx_claim_t *h, int sign)
{
    int64_t v = sign * h->value;
    int rc = VOCFED_OK;
    node_figx_slot_t *s = s_hold_slot(f, h, &rc);
    for (size_t i = 0; s && i < 5 && !rc; i++)
        if (s->v[i])
            rc = s_add(s->v[i], v);
    return rc;
}

/* ---- a member's units ---------------------------------------------------- */

/* The value *hint names when it has been read (the prefetch's, figures.c),
 * else NULL; the hint is taken either way. */
static node_figx_val_t *
s_hinted(node_figx_val_t **hint)
{
    node_figx_val_t *v = *hint;
    *hint = NULL;
    return v && v->loaded ? v : NULL;
}

/* The units a list falls in, with the member's value (the largest of its
 * items there) and payee (that item's). */
static size_t
s_units(const node_fig_item_t *items, size_t n, const char *member,
        node_figx_claim_t *u)
{
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        /* the item's unit, at u[nu] (a slot past the units so far), not
         * in a zeroed copy: the struct is ~560 bytes (callgrind) */
        node_figx_claim_t *c = &u[nu];
        c->fig = items[i].fig;
        c->year = items[i].year;
        c->value = items[i].value;
        c->cat[0] = 0;
        if (s_category(c->fig))
            node_fig_copy(c->cat, sizeof c->cat, items[i].payee);
        size_t j = 0;
        while (j < nu && !node_figx_same_unit(&u[j], c))
            j++;
        if (j < nu && u[j].value >= c->value)
            continue;
        if (j < nu) { /* a larger value for a unit already there */
            u[j].value = c->value;
            c = &u[j];
        }
        node_fig_copy(c->member, sizeof c->member, member);
        node_fig_copy(c->payee, sizeof c->payee, items[i].payee);
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
    node_figx_claim_t before; /* copied only when there is a holder: the
                                 struct is ~560 bytes (callgrind) */
    if (h)
        before = *h;
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
    int rc = VOCFED_OK;
    node_figx_val_t *v = s_hinted(&f->hint_claims);
    if (!v) {
        node_fig_cat(key, sizeof key, "h|", identity, NULL);
        v = node_figx_val(f, key, false, &rc);
    }
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
    if (dc) {
        node_fig_cat(key, sizeof key, "x|", identity, NULL);
        if ((rc = node_figx_add(f, key, dc)))
            return rc;
    }
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

typedef node_figx_bucket_t s_bucket_t;

/* Notes item it of one list (after: the new one) in its bucket of dim. */
static void
s_bucket(s_bucket_t *bk, size_t *n, const node_fig_item_t *it, bool after,
         char dim)
{
    const char *payee = dim == 'q' ? it->payee : "";
    size_t i = 0;
    while (i < *n && !(bk[i].fig == it->fig && bk[i].year == it->year &&
                       bk[i].dim == dim && !strcmp(bk[i].payee, payee)))
        i++;
    if (i == *n) {
        bk[i] = (s_bucket_t){.fig = it->fig,
                             .year = it->year,
                             .dim = dim,
                             .payee = payee,
                             .before = INT64_MIN, /* no item yet */
                             .after = INT64_MIN};
        (*n)++;
    }
    int64_t *v = after ? &bk[i].after : &bk[i].before;
    if (it->value > *v)
        *v = it->value;
}

/* Notes what a list gives the member's own buckets. */
static void
s_buckets(s_bucket_t *bk, size_t *nb, const node_fig_item_t *items, size_t n,
          bool after)
{
    for (size_t i = 0; i < n; i++) {
        s_bucket(bk, nb, &items[i], after, 'm');
        if (items[i].payee[0])
            s_bucket(bk, nb, &items[i], after, 'q');
    }
}

/* The counter of member's own bucket b (f|<fig>|<year>|m|<member> or
 * ...|q|<member>/<payee>). NULL with *rc set on failure. */
static node_figx_val_t *
s_own_val(node_figx_t *f, const char *member, const s_bucket_t *b, int *rc)
{
    char key[NODE_FIGX_BUCKET_KEY], q[PROTO_ID_MAX + PROTO_KEY_MAX + 2];
    bool hit;
    node_figx_slot_t *s =
        s_slot(f, b->dim, b->fig, b->year, member, b->payee, &hit);
    if (!s || hit) {
        *rc = s ? VOCFED_OK : VOCFED_ENOMEM;
        return s ? s->v[0] : NULL;
    }
    if (b->dim == 'q')
        node_fig_cat(q, sizeof q, member, "/", b->payee, NULL);
    s_fkey(key, sizeof key, b->fig, b->year, b->dim,
           b->dim == 'q' ? q : member);
    if (!(s->v[0] = node_figx_val(f, key, true, rc)))
        return NULL;
    s->filled = true;
    return s->v[0];
}

/* The member's own buckets move from what its old list gives them to
 * what the new one gives: one addition per bucket that changes. */
static int
s_own(node_figx_t *f, const char *member, const node_fig_item_t *old, size_t no,
      const node_fig_item_t *now, size_t nn)
{
    s_bucket_t *bk = f->buckets;
    size_t nb = 0;
    int rc = VOCFED_OK;
    s_buckets(bk, &nb, old, no, false);
    s_buckets(bk, &nb, now, nn, true);
    for (size_t i = 0; i < nb && !rc; i++) {
        int64_t b = bk[i].before == INT64_MIN ? 0 : bk[i].before;
        int64_t a = bk[i].after == INT64_MIN ? 0 : bk[i].after;
        int64_t d;
        if (a == b)
            continue;
        node_figx_val_t *v = s_own_val(f, member, &bk[i], &rc);
        if (!v)
            break;
        if (!__builtin_sub_overflow(a, b, &d))
            rc = s_add(v, d);
        else if (!(rc = s_add(v, -b))) /* each checked */
            rc = s_add(v, a);
    }
    return rc;
}

/* ---- a record's items ---------------------------------------------------- */

int
node_figx_change(node_figx_t *f, const char *member, const char *identity,
                 const char *rec, const node_fig_item_t *items, size_t n)
{
    char key[PROTO_KEY_MAX + 2 * PROTO_ID_MAX + 40];
    size_t no, nn = 0;
    int rc = VOCFED_OK;
    node_figx_val_t *v = s_hinted(&f->hint_list);
    if (!v) {
        node_fig_cat(key, sizeof key, "i|", member, "|", identity, NULL);
        v = node_figx_val(f, key, false, &rc);
    }
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
    if ((rc = s_own(f, member, f->old_list, no, f->new_list, nn)))
        return rc;
    size_t uo = s_units(f->old_list, no, member, f->units_old);
    size_t un = s_units(f->new_list, nn, member, f->units_new);
    if ((rc = s_claims_change(f, member, identity, f->units_old, uo,
                              f->units_new, un)))
        return rc;
    v->blob_dirty = true;
    return node_figx_list_encode(f->new_list, nn, identity, &v->blob);
}
