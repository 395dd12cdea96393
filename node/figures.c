/* vocfed: the figures' engine (see figures.h; SPEC 12.2, 12.4).
 *
 * Every record yields items under an identity (node/figures_rules.c);
 * node/figures_claims.c turns a record's items into counters through
 * each member's list and the claims on each unit. This file is the apply
 * hook (what each entry does), the replay that rebuilds or checks the
 * figures from the logs in the order their entries arrived, and the read
 * API of contested claims and excluded members; the report model is
 * node/figures_report.c. */
#include "node/figures.h"
#include "node/meta.h"

#include "node/figures_i.h"
#include "node/roster.h"
#include "protocol/entry.h"
#include "storage/replica.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what one entry does ------------------------------------------------- */

/* A record now has body (NULL: deleted): its items replace the ones it
 * yielded before. */
static int
s_record(node_figx_t *f, const char *member, const char *kind, const char *key,
         const uint8_t *body, size_t len)
{
    char id[PROTO_KEY_MAX + PROTO_ID_MAX + 32];
    char rec[PROTO_KIND_MAX + PROTO_KEY_MAX + 2];
    size_t n;
    int rc = node_figrules_items(member, kind, key, body, len, id, sizeof id,
                                 f->rec_items, &n);
    if (rc || !id[0])
        return rc;
    node_fig_cat(rec, sizeof rec, kind, "/", key, NULL);
    for (size_t i = 0; i < n; i++)
        memcpy(f->rec_items[i].rec, rec, sizeof f->rec_items[i].rec);
    if (f->named) { /* the prefetch's, of this entry: the same identity */
        f->hint_list = f->named->list;
        f->hint_claims = f->named->claims;
    }
    rc = node_figx_change(f, member, id, rec, f->rec_items, n);
    f->hint_list = f->hint_claims = NULL;
    return rc;
}

/* The coordinator's own entry: a roster entry that revokes a member takes
 * its records out of the group's figures (SPEC 12.2). */
static int
s_coordinator_entry(node_figx_t *f, const proto_entry_t *e)
{
    char member[PROTO_ID_MAX + 1], status[16];
    if (e->op != PROTO_OP_PUT || e->kind_len != strlen(NODE_ROSTER_KIND) ||
        memcmp(e->kind, NODE_ROSTER_KIND, e->kind_len) ||
        e->key_len > PROTO_ID_MAX)
        return VOCFED_OK;
    node_fig_body_str(e->body, e->body_len, "status", status, sizeof status);
    if (strcmp(status, node_member_status_name(NODE_MEMBER_REVOKED)))
        return VOCFED_OK;
    snprintf(member, sizeof member, "%.*s", (int)e->key_len, e->key);
    return node_figx_exclude(f, member);
}

/* What entry e of author does to the figures; old_body is the record it
 * replaces (NULL: none, or a replay, which knows the profiles itself). */
static int
s_entry(node_figx_t *f, const char *author, const proto_entry_t *e,
        const uint8_t *old_body, size_t old_len)
{
    char kind[PROTO_KIND_MAX + 1], key[PROTO_KEY_MAX + 1];
    bool excluded;
    int rc;
    if (f->coord[0] && !strcmp(author, f->coord))
        return s_coordinator_entry(f, e);
    if ((rc = node_figx_excluded(f, author, &excluded)) || excluded)
        return rc; /* kept as evidence, not counted */
    node_fig_span(kind, sizeof kind, e->kind, e->kind_len);
    node_fig_span(key, sizeof key, e->key, e->key_len);
    const uint8_t *nb = e->op == PROTO_OP_PUT ? e->body : NULL;
    size_t nl = e->op == PROTO_OP_PUT ? e->body_len : 0;
    if (!strcmp(kind, NODE_FIG_PROFILE_KIND) &&
        !strcmp(key, NODE_FIG_PROFILE_KEY))
        return node_figx_profile_change(f, author, old_body, old_len, nb, nl);
    return s_record(f, author, kind, key, nb, nl);
}

/* ---- the hook -------------------------------------------------------------
 */

static int
s_hook_begin(void *ctx, store_txn_t *txn)
{
    node_figx_t *f = ctx;
    node_figx_reset(f);
    f->txn = txn;
    return VOCFED_OK;
}

static int
s_hook_entry(void *ctx, store_txn_t *txn, const char *author,
             const proto_entry_t *e, const uint8_t *old_body, size_t old_len)
{
    node_figx_t *f = ctx;
    (void)txn;
    f->named = node_figx_ahead_pop(f, e);
    int rc = s_entry(f, author, e, old_body, old_len);
    f->named = NULL;
    return rc;
}

static int
s_hook_end(void *ctx, store_txn_t *txn)
{
    node_figx_t *f = ctx;
    (void)txn;
    int rc = node_figx_flush(f);
    node_figx_reset(f);
    f->txn = NULL;
    return rc;
}

/* What an entry of author will read: its member's list and the claims
 * on its identity, named so that the chunk reads them in key order. */
static int
s_hook_prefetch(void *ctx, store_txn_t *txn, const char *author,
                const proto_entry_t *e)
{
    node_figx_t *f = ctx;
    char kind[PROTO_KIND_MAX + 1], key[PROTO_KEY_MAX + 1];
    char id[PROTO_KEY_MAX + PROTO_ID_MAX + 32];
    char k[PROTO_KEY_MAX + 2 * PROTO_ID_MAX + 40];
    size_t n;
    (void)txn;
    if (f->coord[0] && !strcmp(author, f->coord))
        return VOCFED_OK;
    node_fig_span(kind, sizeof kind, e->kind, e->kind_len);
    node_fig_span(key, sizeof key, e->key, e->key_len);
    if (node_figrules_items(author, kind, key, NULL, 0, id, sizeof id, NULL,
                            &n) ||
        !id[0])
        return VOCFED_OK; /* no identity: nothing to read ahead */
    node_fig_cat(k, sizeof k, "i|", author, "|", id, NULL);
    node_figx_val_t *list = node_figx_name(f, k);
    node_fig_cat(k, sizeof k, "h|", id, NULL);
    node_figx_val_t *claims = list ? node_figx_name(f, k) : NULL;
    if (!claims)
        return VOCFED_ENOMEM;
    return node_figx_ahead_push(f, e, list, claims);
}

static int
s_hook_prefetched(void *ctx, store_txn_t *txn)
{
    (void)txn;
    return node_figx_load_named(ctx);
}

/* What the figures would refuse of an entry whatever came before it (a
 * record yielding too many items): refused in the log's write, before
 * the log holds it (SPEC 12.2). Its items are counted, not kept: it
 * touches nothing of the context's, whose applier may be applying
 * meanwhile. */
static int
s_hook_check(void *ctx, const char *author, const proto_entry_t *e)
{
    node_figx_t *f = ctx;
    char kind[PROTO_KIND_MAX + 1], key[PROTO_KEY_MAX + 1];
    char id[PROTO_KEY_MAX + PROTO_ID_MAX + 32];
    size_t n;
    if (e->op != PROTO_OP_PUT || (f->coord[0] && !strcmp(author, f->coord)) ||
        !node_figrules_may_refuse(e->kind, e->kind_len))
        return VOCFED_OK; /* a student's, say: at most 6 items */
    node_fig_span(kind, sizeof kind, e->kind, e->kind_len);
    node_fig_span(key, sizeof key, e->key, e->key_len);
    if (!strcmp(kind, NODE_FIG_PROFILE_KIND) &&
        !strcmp(key, NODE_FIG_PROFILE_KEY))
        return VOCFED_OK;
    return node_figrules_items(author, kind, key, e->body, e->body_len, id,
                               sizeof id, NULL, &n); /* counted only */
}

static void
s_hook_destroy(void *ctx)
{
    node_figx_release(ctx);
    free(ctx);
}

/* One context per store handle; the store frees it (s_hook_destroy). */
int
node_figures_attach(store_t *st, const char *coord_id)
{
    node_figx_t *f = calloc(1, sizeof *f);
    if (!f)
        return VOCFED_ENOMEM;
    if (node_figx_init(f, st, coord_id)) {
        node_figx_release(f);
        free(f);
        return VOCFED_ENOMEM;
    }
    store_hook_t h = {
        s_hook_begin, s_hook_entry,    s_hook_end,       s_hook_destroy, f,
        s_hook_check, s_hook_prefetch, s_hook_prefetched};
    store_set_hook(st, &h);
    return VOCFED_OK;
}

/* ---- rebuilding and checking: a replay in arrival order -------------------
 */

static int
s_replay_one(void *ctx, const char *author, const proto_entry_t *e)
{
    return s_entry(ctx, author, e, NULL, 0);
}

typedef struct {
    node_figx_t *f; /* the replayed figures */
    char *what;     /* first difference */
    size_t cap;     /* its room */
    int result;     /* what the check found */
    bool rebuild;   /* write instead of compare */
    size_t seen;    /* stored values compared */
} s_job_t;

static int
s_differs(s_job_t *j, const char *key, const char *stored, const char *want)
{
    snprintf(j->what, j->cap, "%s is %s but the logs give %s", key, stored,
             want);
    return VOCFED_ECORRUPT;
}

/* A stored counter must be the replayed one. */
static int
s_compare_counter(void *ctx, const void *key, size_t len, int64_t value)
{
    s_job_t *j = ctx;
    char k[NODE_FIGX_KEY_MAX], a[32], b[32];
    if (node_figx_key_text(key, len, k, sizeof k))
        return VOCFED_ECORRUPT;
    node_figx_val_t *v = node_figx_map_get(j->f->vals, k);
    j->seen++;
    if (v && v->cur == value)
        return VOCFED_OK;
    snprintf(a, sizeof a, "%" PRId64, value);
    snprintf(b, sizeof b, "%" PRId64, v ? v->cur : 0);
    return s_differs(j, k, a, b);
}

/* A stored list or claims blob must be the replayed one. */
static int
s_compare_blob(void *ctx, const void *key, size_t klen, const uint8_t *data,
               size_t len)
{
    s_job_t *j = ctx;
    char k[NODE_FIGX_KEY_MAX];
    if (node_figx_key_text(key, klen, k, sizeof k))
        return VOCFED_ECORRUPT;
    node_figx_val_t *v = node_figx_map_get(j->f->vals, k);
    j->seen++;
    if (v && v->blob.len == len && !memcmp(v->blob.data, data, len))
        return VOCFED_OK;
    return s_differs(j, k, "a stored value", "another");
}

/* Every stored value equals the replay's, and the replay has no value
 * that is not stored. */
static int
s_compare(s_job_t *j, store_txn_t *txn)
{
    static const char *const counters[] = {"f|", "H|", "x|", "e|"};
    static const char *const blobs[] = {"i|", "h|"};
    int rc = VOCFED_OK;
    for (size_t i = 0; i < 4 && !rc; i++)
        rc = store_scan_counters(j->f->st, txn, counters[i], 2,
                                 s_compare_counter, j);
    for (size_t i = 0; i < 2 && !rc; i++)
        rc = store_txn_scan_blobs(txn, blobs[i], 2, s_compare_blob, j);
    size_t want = 0;
    for (size_t i = 0; i < node_figx_map_size(j->f->vals) && !rc; i++) {
        const char *key;
        node_figx_val_t *v = node_figx_map_at(j->f->vals, i, &key);
        bool counter = node_figx_is_counter(key);
        if ((counter && v->cur) || (!counter && v->blob.len))
            if (++want > j->seen)
                rc = s_differs(j, key, "missing", "a value");
    }
    return rc;
}

static int
s_job(void *ctx, store_txn_t *txn)
{
    s_job_t *j = ctx;
    node_figx_t *f = j->f;
    int rc;
    f->txn = txn;
    f->memory_only = true;
    if ((rc = store_txn_replay(txn, s_replay_one, f))) {
        j->result = rc;
        return j->rebuild ? rc : VOCFED_EINTERRUPTED;
    }
    if (j->rebuild) {
        if ((rc = store_txn_counters_clear(txn)))
            return rc;
        return node_figx_flush(f);
    }
    j->result = s_compare(j, txn);
    return VOCFED_EINTERRUPTED; /* a check writes nothing */
}

static int
s_run_job(store_t *st, const char *coord_id, bool rebuild, char *what,
          size_t cap)
{
    node_figx_t f;
    char none[8];
    s_job_t j = {.f = &f,
                 .what = what ? what : none,
                 .cap = what ? cap : sizeof none,
                 .rebuild = rebuild};
    j.what[0] = 0;
    int rc = node_figx_init(&f, st, coord_id);
    if (!rc) {
        rc = store_with_txn(st, s_job, &j);
        if (rc == VOCFED_EINTERRUPTED && !rebuild)
            rc = j.result;
    }
    node_figx_release(&f);
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

/* ---- contested claims and excluded members ------------------------------- */

typedef struct {
    node_fig_conflict_fn fn; /* the caller's callback */
    void *ctx;               /* its context */
    node_figx_claims_t c;    /* one identity's claims */
    node_fig_claim_t *out;   /* one unit's, as handed over */
    size_t klen;             /* the length of the h| key scanned for */
} s_conflicts_t;

/* Hands over each contested unit of one identity's claims. */
static int
s_conflict_units(s_conflicts_t *s, const char *identity)
{
    node_figx_claims_t *c = &s->c;
    free(s->out);
    if (!(s->out = calloc(c->n, sizeof *s->out)))
        return VOCFED_ENOMEM;
    for (size_t i = 0; i < c->n; i++) {
        size_t k = 0, j = 0;
        while (j < i && !node_figx_same_unit(&c->c[j], &c->c[i]))
            j++;
        if (j < i || !node_figx_contested(c, i))
            continue; /* not the unit's first claim, or not contested */
        for (j = i; j < c->n; j++)
            if (node_figx_same_unit(&c->c[j], &c->c[i]))
                s->out[k++] = (node_fig_claim_t){c->c[j].member, c->c[j].payee,
                                                 c->c[j].value};
        int rc = s->fn(s->ctx, (node_counter_t)c->c[i].fig, c->c[i].year,
                       identity, s->out, k);
        if (rc)
            return rc;
    }
    return VOCFED_OK;
}

static int
s_conflict_row(void *ctx, const void *key, size_t klen, const uint8_t *data,
               size_t len)
{
    s_conflicts_t *s = ctx;
    char k[NODE_FIGX_KEY_MAX];
    if (klen != s->klen)
        return VOCFED_OK; /* another identity that begins with this one */
    if (klen < 2 || node_figx_key_text(key, klen, k, sizeof k))
        return VOCFED_ECORRUPT;
    const char *identity = k + 2;
    int rc = node_figx_claims_decode(data, len, &s->c);
    return rc ? rc : s_conflict_units(s, identity);
}

/* The identities with a contested unit (x| counters). */
static int
s_contested_id(void *ctx, const void *key, size_t len, int64_t value)
{
    zlist_t *ids = ctx;
    char k[NODE_FIGX_KEY_MAX];
    if (value <= 0)
        return VOCFED_OK;
    if (len < 2 || node_figx_key_text(key, len, k, sizeof k))
        return VOCFED_ECORRUPT;
    k[0] = 'h';
    return zlist_append(ids, k) ? VOCFED_ENOMEM : VOCFED_OK;
}

int
node_figures_conflicts(store_t *st, node_fig_conflict_fn fn, void *ctx)
{
    s_conflicts_t s = {fn, ctx, {0}, NULL, 0};
    zlist_t *ids = zlist_new();
    if (!ids)
        return VOCFED_ENOMEM;
    zlist_autofree(ids);
    int rc = store_scan_counters(st, NULL, "x|", 2, s_contested_id, ids);
    for (const char *k = zlist_first(ids); k && !rc; k = zlist_next(ids)) {
        uint8_t dk[NODE_FIGX_KEY_MAX];
        s.klen = node_figx_key_disk(k, dk);
        rc = store_scan_blobs(st, dk, s.klen, s_conflict_row, &s);
    }
    zlist_destroy(&ids);
    free(s.c.c);
    free(s.out);
    return rc;
}

typedef struct {
    store_t *st;             /* the store */
    node_fig_excluded_fn fn; /* the caller's callback */
    void *ctx;               /* its context */
    zlist_t *ids;            /* excluded members */
} s_excluded_t;

static int
s_excluded_row(void *ctx, const void *key, size_t len, int64_t value)
{
    s_excluded_t *s = ctx;
    char id[PROTO_ID_MAX + 1];
    if (!value)
        return VOCFED_OK;
    if (len < 3 || len - 2 > PROTO_ID_MAX)
        return VOCFED_ECORRUPT;
    memcpy(id, (const char *)key + 2, len - 2);
    id[len - 2] = 0;
    return zlist_append(s->ids, id) ? VOCFED_ENOMEM : VOCFED_OK;
}

static int
s_count_record(void *ctx, const char *key, uint64_t seq, const uint8_t *body,
               size_t len)
{
    (void)key;
    (void)seq;
    (void)body;
    (void)len;
    ++*(int64_t *)ctx;
    return VOCFED_OK;
}

int
node_figures_excluded(store_t *st, node_fig_excluded_fn fn, void *ctx)
{
    s_excluded_t s = {st, fn, ctx, zlist_new()};
    if (!s.ids)
        return VOCFED_ENOMEM;
    zlist_autofree(s.ids);
    int rc = store_scan_counters(st, NULL, "e|", 2, s_excluded_row, &s);
    for (const char *id = zlist_first(s.ids); id && !rc;
         id = zlist_next(s.ids)) {
        int64_t n = 0;
        rc = store_scan_records(st, id, NULL, s_count_record, &n);
        if (rc == VOCFED_ENOTFOUND)
            rc = VOCFED_OK;
        if (!rc)
            rc = fn(ctx, id, "revoked", n);
    }
    zlist_destroy(&s.ids);
    return rc;
}
