/* vocfed: what the figures keep per member: its profile (the a and c
 * dimensions), the move of what it holds when its profile changes, and
 * its exclusion (see figures_i.h; SPEC 12.2). */
#include "node/figures_i.h"

#include "node/figures_catalogue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    node_figx_slots_forget(f); /* its held claims' a and c buckets */
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
    for (size_t i = 0; i < node_figx_map_size(f->vals) && !rc; i++) {
        const char *k;
        node_figx_val_t *v = node_figx_map_at(f->vals, i, &k);
        if (!strncmp(k, prefix, plen) && (v->cur || v->blob.len))
            rc = zlist_append(keys, (void *)k) ? VOCFED_ENOMEM : VOCFED_OK;
    }
    for (const char *k = keys ? zlist_first(keys) : NULL; k && !rc;
         k = zlist_next(keys)) {
        node_figx_val_t *v = node_figx_map_get(f->vals, k);
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
    char k[NODE_FIGX_KEY_MAX];
    (void)value;
    if (len <= l->plen || node_figx_key_text(key, len, k, sizeof k))
        return VOCFED_ECORRUPT;
    return zlist_append(l->ids, k + l->plen) ? VOCFED_ENOMEM : VOCFED_OK;
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
    int rc = VOCFED_OK;
    node_figx_val_t *v = f->excl;
    if (!v || strcmp(f->excl_member, member)) {
        node_fig_cat(key, sizeof key, "e|", member, NULL);
        v = node_figx_val(f, key, true, &rc);
        f->excl = v; /* valid until the working set's reset */
        node_fig_copy(f->excl_member, sizeof f->excl_member, member);
    }
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
