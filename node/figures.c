/* vocfed: the group's figures, kept incrementally (DESIGN 7, SPEC 12).
 *
 * Every record yields "items": (identity, figure, year, member, payee,
 * value). The identity says what must be counted once: a person
 * ("p:" pseudo_id), a training activity ("t:" code), or the record itself
 * ("u:" member/kind/key). Each identity keeps the list of its items; a
 * bucket (figure, year, dimension, bucket value) counts, for each
 * identity, the largest value among its items that fall in that bucket
 * (1 for people: so a person is counted once per bucket), summed over
 * identities. Dimensions: g (group), m (member), a (original
 * affiliation), c (county: region code), p (payee), q (member/payee).
 * A record change touches only its identities: read the list, compute
 * the buckets before and after, add the difference to the totals. */
#include "node/figures.h"
#include "protocol/entry.h"
#include "protocol/kinds.h"
#include "storage/replica.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the figures ------------------------------------------------------- */

typedef enum {
    F_HV = 0, /* hv_enrolled */
    F_SV,     /* sv_enrolled */
    F_TPT,    /* training_person_times (per year) */
    F_LR_NUM, /* local_retention numerator (per cohort) */
    F_LR_DEN, /* local_retention denominator */
    F_LR_ALL, /* all higher-vocational graduates of the cohort */
    F_IND,    /* active majors per industry (payee = industry code) */
    F_DQ_NUM, /* dual-qualified professional full-time teachers */
    F_DQ_DEN, /* professional full-time teachers */
    F_SH_NUM, /* self-hired posts (per year) */
    F_SH_DEN, /* authorised posts (per year) */
    F_COOP,   /* cooperation classes of >= 20 (per cohort year) */
    F_SSI,    /* local secondary intake with a source school (payee) */
    F_CCI,    /* non-local secondary intake (payee = member) */
    F_ICOL,   /* provincial industry colleges recognised (per year) */
    F_CONS_P, /* provincial consortia recognised (per year) */
    F_CONS_N, /* national consortia recognised (per year) */
    F_COUNT
} s_fig_t;

static const char *const s_fig_key[F_COUNT] = {
    "hv",  "sv",  "tpt",  "lrn", "lrd", "lra",  "ind",   "dqn",  "dqd",
    "shn", "shd", "coop", "ssi", "cci", "icol", "consp", "consn"};

/* Joins NULL-terminated parts into dst (cut to cap - 1 bytes). The hot
 * path builds keys for every record: this is several times cheaper than
 * snprintf. Returns the length. */
static size_t
s_cat(char *dst, size_t cap, ...)
{
    va_list ap;
    size_t n = 0;
    va_start(ap, cap);
    for (const char *p = va_arg(ap, const char *); p;
         p = va_arg(ap, const char *)) {
        size_t l = strlen(p);
        if (l > cap - 1 - n)
            l = cap - 1 - n;
        memcpy(dst + n, p, l);
        n += l;
    }
    va_end(ap);
    dst[n] = 0;
    return n;
}

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

#define S_COOP_MIN 20 /* students at start for the class subsidy (措施 11) */

/* One item: what one record contributes for one identity. */
typedef struct {
    uint8_t fig;                   /* s_fig_t */
    uint16_t year;                 /* 0 when the figure has no year */
    char member[PROTO_ID_MAX + 1]; /* the author */
    char payee[PROTO_KEY_MAX + 1]; /* payee or industry code, "" none */
    char rec[PROTO_KIND_MAX + PROTO_KEY_MAX + 2]; /* kind/key of the record
                                         that yields it */
    int64_t value;                                /* 1 for people */
} s_item_t;

#define S_MAX_ITEMS 64 /* items of one record */

/* ---- what records yield ------------------------------------------------- */

static bool
s_get_str(const uint8_t *body, size_t len, const char *name, char *out,
          size_t cap)
{
    proto_value_t v;
    out[0] = 0;
    if (!body || proto_body_get(body, len, name, &v) ||
        v.type != PROTO_VAL_STR || v.slen >= cap)
        return false;
    memcpy(out, v.s, v.slen);
    out[v.slen] = 0;
    return v.slen > 0;
}

static bool
s_get_int(const uint8_t *body, size_t len, const char *name, int64_t *out)
{
    proto_value_t v;
    *out = 0;
    if (!body || proto_body_get(body, len, name, &v) || v.type != PROTO_VAL_INT)
        return false;
    *out = v.i;
    return true;
}

static bool
s_local(const char *region)
{
    return strncmp(region, NODE_LOCAL_REGION, strlen(NODE_LOCAL_REGION)) == 0;
}

static void
s_add(s_item_t *items, size_t *n, s_fig_t fig, int64_t year, const char *member,
      const char *payee, int64_t value)
{
    if (*n >= S_MAX_ITEMS || year < 0 || year > 65535)
        return;
    s_item_t *it = &items[(*n)++];
    it->fig = (uint8_t)fig;
    it->year = (uint16_t)year;
    s_cat(it->member, sizeof it->member, member, NULL);
    s_cat(it->payee, sizeof it->payee, payee ? payee : "", NULL);
    it->value = value;
}

/* The identity and items of one record (body NULL: none). Returns the
 * number of items; identity gets "" for records that yield nothing. */
static size_t
s_items(const char *member, const char *kind, const char *key,
        const uint8_t *body, size_t len, char *identity, size_t icap,
        s_item_t *items)
{
    size_t n = 0;
    char level[32], status[32], a[PROTO_KEY_MAX + 1], b[PROTO_KEY_MAX + 1];
    int64_t year, x;
    identity[0] = 0;
    if (!strcmp(kind, "student") || !strcmp(kind, "staff")) {
        s_cat(identity, icap, "p:", key, NULL);
    } else if (!strcmp(kind, "graduate")) {
        const char *colon = strchr(key, ':');
        size_t plen = colon ? (size_t)(colon - key) : strlen(key);
        snprintf(identity, icap, "p:%.*s", (int)plen, key);
    } else if (!strcmp(kind, "training")) {
        /* An activity reported by several co-providers counts once. */
        s_cat(identity, icap, "t:", key, NULL);
    } else if (!strcmp(kind, "major") || !strcmp(kind, "posts") ||
               !strcmp(kind, "coop_class") ||
               !strcmp(kind, "industry_college") ||
               !strcmp(kind, "consortium")) {
        s_cat(identity, icap, "u:", member, "/", kind, "/", key, NULL);
    }
    if (!body || !identity[0])
        return 0;
    if (!strcmp(kind, "student")) {
        s_get_str(body, len, "level", level, sizeof level);
        s_get_str(body, len, "status", status, sizeof status);
        if (!strcmp(status, "enrolled") && !strcmp(level, "higher"))
            s_add(items, &n, F_HV, 0, member, NULL, 1);
        if (!strcmp(status, "enrolled") && !strcmp(level, "secondary"))
            s_add(items, &n, F_SV, 0, member, NULL, 1);
        if (!strcmp(level, "secondary") &&
            s_get_int(body, len, "intake_year", &year) &&
            s_get_str(body, len, "origin_region", a, sizeof a)) {
            if (s_local(a) &&
                s_get_str(body, len, "source_school", b, sizeof b))
                s_add(items, &n, F_SSI, year, member, b, 1);
            if (!s_local(a))
                s_add(items, &n, F_CCI, year, member, member, 1);
        }
    } else if (!strcmp(kind, "graduate")) {
        s_get_str(body, len, "level", level, sizeof level);
        if (strcmp(level, "higher") != 0 ||
            !s_get_int(body, len, "grad_year", &year))
            return n;
        s_add(items, &n, F_LR_ALL, year, member, NULL, 1);
        s_get_str(body, len, "destination", status, sizeof status);
        if (!strcmp(status, "employed") || !strcmp(status, "flexible") ||
            !strcmp(status, "self_employed")) {
            s_add(items, &n, F_LR_DEN, year, member, NULL, 1);
            if (s_get_str(body, len, "workplace_region", a, sizeof a) &&
                s_local(a))
                s_add(items, &n, F_LR_NUM, year, member, NULL, 1);
        }
    } else if (!strcmp(kind, "staff")) {
        s_get_str(body, len, "category", level, sizeof level);
        s_get_str(body, len, "course_type", status, sizeof status);
        if (strcmp(level, "fulltime_teacher") || strcmp(status, "professional"))
            return n;
        s_add(items, &n, F_DQ_DEN, 0, member, NULL, 1);
        if (s_get_str(body, len, "dual_qualified", a, sizeof a) &&
            strcmp(a, "none") != 0)
            s_add(items, &n, F_DQ_NUM, 0, member, NULL, 1);
    } else if (!strcmp(kind, "major")) {
        s_get_str(body, len, "status", status, sizeof status);
        if (strcmp(status, "active") != 0 ||
            !s_get_str(body, len, "industries", a, sizeof a))
            return n;
        for (char *tok = a, *semi; tok && *tok; tok = semi) {
            semi = strchr(tok, ';');
            if (semi)
                *semi++ = 0;
            if (*tok)
                s_add(items, &n, F_IND, 0, member, tok, 1);
        }
    } else if (!strcmp(kind, "posts")) {
        int64_t y = strtoll(key, NULL, 10);
        if (s_get_int(body, len, "self_hired_posts", &x))
            s_add(items, &n, F_SH_NUM, y, member, NULL, x);
        if (s_get_int(body, len, "authorised_posts", &x))
            s_add(items, &n, F_SH_DEN, y, member, NULL, x);
    } else if (!strcmp(kind, "training")) {
        if (s_get_int(body, len, "year", &year) &&
            s_get_int(body, len, "completed", &x))
            s_add(items, &n, F_TPT, year, member, NULL, x);
    } else if (!strcmp(kind, "coop_class")) {
        if (s_get_int(body, len, "students_at_start", &x) && x >= S_COOP_MIN &&
            s_get_int(body, len, "cohort_year", &year))
            s_add(items, &n, F_COOP, year, member, member, 1);
    } else if (!strcmp(kind, "industry_college")) {
        s_get_str(body, len, "level", level, sizeof level);
        if (!strcmp(level, "provincial") &&
            s_get_int(body, len, "recognised_year", &year))
            s_add(items, &n, F_ICOL, year, member, member, 1);
    } else if (!strcmp(kind, "consortium")) {
        s_get_str(body, len, "level", level, sizeof level);
        if (s_get_int(body, len, "recognised_year", &year)) {
            if (!strcmp(level, "provincial"))
                s_add(items, &n, F_CONS_P, year, member, member, 1);
            else if (!strcmp(level, "national"))
                s_add(items, &n, F_CONS_N, year, member, member, 1);
        }
    }
    return n;
}

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
    if (!f->vals || !f->profiles)
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
    s_get_str(body, len, "original_affiliation", p->affiliation,
              sizeof p->affiliation);
    s_get_str(body, len, "region_code", p->county, sizeof p->county);
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
        if (store_txn_record(f->txn, member, "member", "profile", &b) ==
            VOCFED_OK)
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
s_list_decode(const proto_buf_t *b, s_item_t *items, size_t *n, size_t cap)
{
    size_t off = 0;
    *n = 0;
    while (off < b->len) {
        if (*n >= cap || b->len - off < 12)
            return VOCFED_ECORRUPT;
        s_item_t *it = &items[(*n)++];
        const uint8_t *p = b->data + off;
        it->fig = p[0];
        it->year = (uint16_t)(p[1] << 8 | p[2]);
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | p[3 + i];
        it->value = (int64_t)v;
        size_t ml = p[11];
        off += 12;
        if (it->fig >= F_COUNT || ml > PROTO_ID_MAX || b->len - off < ml + 2)
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
s_list_encode(const s_item_t *items, size_t n, proto_buf_t *b)
{
    proto_buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        const s_item_t *it = &items[i];
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

#define S_MAX_BUCKETS 512

typedef struct {
    char key[PROTO_KEY_MAX + PROTO_ID_MAX + 64]; /* f|fig|year|dim|bucket */
    int64_t value;                               /* the identity's part */
} s_bucket_t;

static void
s_bucket(s_bucket_t *bk, size_t *n, const s_item_t *it, char dim,
         const char *bucket)
{
    char key[sizeof bk->key];
    char y[6], d[2] = {dim, 0};
    s_cat(key, sizeof key, "f|", s_fig_key[it->fig], "|",
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
s_buckets(s_fig_ctx_t *f, const s_item_t *items, size_t n, s_bucket_t *bk)
{
    size_t nb = 0;
    char q[PROTO_ID_MAX + PROTO_KEY_MAX + 2];
    for (size_t i = 0; i < n; i++) {
        const s_item_t *it = &items[i];
        const s_profile_t *p = s_profile(f, it->member);
        s_bucket(bk, &nb, it, 'g', "");
        s_bucket(bk, &nb, it, 'm', it->member);
        s_bucket(bk, &nb, it, 'a', p ? p->affiliation : "");
        s_bucket(bk, &nb, it, 'c', p ? p->county : "");
        if (it->payee[0]) {
            s_bucket(bk, &nb, it, 'p', it->payee);
            s_cat(q, sizeof q, it->member, "/", it->payee, NULL);
            s_bucket(bk, &nb, it, 'q', q);
        }
    }
    return nb;
}

/* Distinct members among the items of a person (for "people found at
 * more than one member"). */
static size_t
s_members(const s_item_t *items, size_t n)
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
s_apply_buckets(s_fig_ctx_t *f, const char *identity, const s_item_t *items,
                size_t n, int sign)
{
    static s_bucket_t bk[S_MAX_BUCKETS];
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
         const char *rec, const s_item_t *new_items, size_t nnew)
{
    static s_item_t items[256];
    char key[PROTO_KEY_MAX + PROTO_ID_MAX + 40];
    size_t n;
    int rc;
    s_cat(key, sizeof key, "i|", identity, NULL);
    s_val_t *v = s_val(f, key, false, &rc);
    if (!v)
        return rc;
    if ((rc = s_list_decode(&v->blob, items, &n, 256)))
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
        if (n >= 256)
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
    static s_item_t items[S_MAX_ITEMS];
    char id[PROTO_KEY_MAX + PROTO_ID_MAX + 32];
    char rec[PROTO_KIND_MAX + PROTO_KEY_MAX + 2];
    size_t n = s_items(member, kind, key, body, len, id, sizeof id, items);
    if (!id[0])
        return VOCFED_OK;
    s_cat(rec, sizeof rec, kind, "/", key, NULL);
    for (size_t i = 0; i < n; i++)
        memcpy(items[i].rec, rec, sizeof items[i].rec);
    return s_change(f, id, member, rec, items, n);
}

/* Collects the identities of member's records that yield something. */
typedef struct {
    const char *member; /* whose records */
    zhashx_t *ids;      /* identity -> "" */
} s_collect_t;

static int
s_collect_id(void *ctx, const char *kind, const char *key, const uint8_t *body,
             size_t len)
{
    s_collect_t *c = ctx;
    char id[PROTO_KEY_MAX + PROTO_ID_MAX + 32];
    static s_item_t items[S_MAX_ITEMS];
    if (s_items(c->member, kind, key, body, len, id, sizeof id, items) > 0)
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
    s_collect_t c = {member, zhashx_new()};
    if (!c.ids)
        return VOCFED_ENOMEM;
    int rc = store_txn_scan_records(f->txn, member, NULL, s_collect_id, &c);
    static s_item_t all[256];
    for (int sign = -1; sign <= 1 && !rc; sign += 2) {
        if (sign > 0)
            s_profile_set(f, member, &after);
        for (void *x = zhashx_first(c.ids); x && !rc; x = zhashx_next(c.ids)) {
            const char *id = zhashx_cursor(c.ids);
            char key[PROTO_KEY_MAX + PROTO_ID_MAX + 40];
            size_t na;
            snprintf(key, sizeof key, "i|%s", id);
            s_val_t *v = s_val(f, key, false, &rc);
            if (v && !(rc = s_list_decode(&v->blob, all, &na, 256)))
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
    if (!strcmp(kind, "member") && !strcmp(key, "profile"))
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
    if (!strcmp(kind, "member"))
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

/* ---- the figures as the report shows them (SPEC 12.3) ----------------------
 */

/* Counters read back: "f|fig|year|dim|bucket" -> value, kept as a JSON
 * tree fig -> year -> dim -> bucket -> value for easy lookup. */
static int
s_read_counter(void *ctx, const void *key, size_t len, int64_t value)
{
    json_t *root = ctx;
    char k[600], *parts[5], *save = NULL;
    if (len >= sizeof k)
        return VOCFED_OK;
    memcpy(k, key, len);
    k[len] = 0;
    char *p = k;
    for (int i = 0; i < 5; i++) {
        char *bar = i < 4 ? strchr(p, '|') : NULL;
        if (i < 4 && !bar)
            return VOCFED_OK;
        if (bar)
            *bar = 0;
        parts[i] = p;
        p = bar ? bar + 1 : p;
    }
    (void)save;
    /* parts: "f", fig, year, dim, bucket (the rest of the key) */
    json_t *fig = json_object_get(root, parts[1]);
    if (!fig)
        json_object_set_new(root, parts[1], fig = json_object());
    json_t *yr = json_object_get(fig, parts[2]);
    if (!yr)
        json_object_set_new(fig, parts[2], yr = json_object());
    json_t *dim = json_object_get(yr, parts[3]);
    if (!dim)
        json_object_set_new(yr, parts[3], dim = json_object());
    json_object_set_new(dim, parts[4], json_integer(value));
    return VOCFED_OK;
}

static int64_t
s_c(json_t *c, const char *fig, int year, const char *dim, const char *bucket)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    json_t *v = json_object_get(
        json_object_get(json_object_get(json_object_get(c, fig), y), dim),
        bucket);
    return v ? (int64_t)json_integer_value(v) : 0;
}

static json_t *
s_dim(json_t *c, const char *fig, int year, const char *dim)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    return json_object_get(json_object_get(json_object_get(c, fig), y), dim);
}

/* Years a counter figure has values for (group dimension). */
static void
s_years(json_t *c, const char *fig, int *years, size_t *n, size_t cap)
{
    const char *y;
    json_t *v;
    json_object_foreach(json_object_get(c, fig), y, v)
    {
        char *end;
        long yy = strtol(y, &end, 10);
        if (*end || yy <= 0 || yy > 65535)
            continue;
        bool seen = false;
        for (size_t i = 0; i < *n; i++)
            if (years[i] == yy)
                seen = true;
        if (!seen && *n < cap)
            years[(*n)++] = (int)yy;
    }
}

/* A decimal text (target values) as a double. */
static double
s_decimal(const char *s)
{
    return strtod(s, NULL);
}

static bool
s_target(store_t *st, const char *coord, const char *fig, int year, double *out)
{
    char key[96];
    proto_buf_t b;
    uint64_t seq;
    proto_entry_t e;
    proto_value_t v;
    bool ok = false;
    if (!coord || !coord[0])
        return false;
    snprintf(key, sizeof key, "%s:%d", fig, year);
    proto_buf_init(&b);
    if (store_record_get(st, coord, "target", key, &b, &seq) == VOCFED_OK &&
        proto_entry_decode(b.data, b.len, &e) == VOCFED_OK &&
        proto_body_get(e.body, e.body_len, "value", &v) == VOCFED_OK &&
        v.type == PROTO_VAL_STR && v.slen < 32) {
        char t[32];
        memcpy(t, v.s, v.slen);
        t[v.slen] = 0;
        *out = s_decimal(t);
        ok = true;
    }
    proto_buf_release(&b);
    return ok;
}

static int64_t
s_rule(store_t *st, const char *coord, const char *id, const char *field,
       int64_t fallback)
{
    proto_buf_t b;
    uint64_t seq;
    proto_entry_t e;
    int64_t x = fallback;
    if (!coord || !coord[0])
        return fallback;
    proto_buf_init(&b);
    if (store_record_get(st, coord, "subsidy_rule", id, &b, &seq) ==
            VOCFED_OK &&
        proto_entry_decode(b.data, b.len, &e) == VOCFED_OK)
        s_get_int(e.body, e.body_len, field, &x);
    proto_buf_release(&b);
    return x;
}

static int
s_this_year(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

/* The status of a value against its target (DESIGN 7): met when reached;
 * for a per-year target, on track in its own year while the value keeps
 * pace with the part of the year gone; for a target years ahead, on track
 * when at or above the straight line from the 2024 value (a target
 * "<fig>:2024" is that baseline) to the target. */
static const char *
s_status(double value, bool has_target, double target, int target_year,
         int year, bool has_base, double base)
{
    if (!has_target)
        return "no_target";
    if (value >= target)
        return "met";
    if (target_year > 2024 && has_base && year < target_year) {
        double line = base + (target - base) * (year - 2024) /
                                 (double)(target_year - 2024);
        return value >= line ? "on_track" : "behind";
    }
    if (year == target_year && year == s_this_year()) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        double part = (tm.tm_yday + 1) / 365.0;
        return value >= target * part ? "on_track" : "behind";
    }
    return "behind";
}

static json_t *
s_ratio(int64_t num, int64_t den)
{
    return json_pack("{s:o, s:I, s:I}", "value",
                     den ? json_real((double)num / (double)den) : json_null(),
                     "numerator", (json_int_t)num, "denominator",
                     (json_int_t)den);
}

/* Breakdowns of a count figure: by_member, by_affiliation, by_county. */
static void
s_breakdowns(json_t *out, json_t *c, const char *fig, int year)
{
    static const struct {
        const char *dim, *name;
    } dims[] = {
        {"m", "by_member"}, {"a", "by_affiliation"}, {"c", "by_county"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *d = s_dim(c, fig, year, dims[i].dim);
        json_object_set(out, dims[i].name, d ? d : json_object());
        if (!d)
            json_decref(json_object_get(out, dims[i].name));
    }
}

/* Breakdowns of a rate num/den. */
static void
s_rate_breakdowns(json_t *out, json_t *c, const char *num, const char *den,
                  int year)
{
    static const struct {
        const char *dim, *name;
    } dims[] = {
        {"m", "by_member"}, {"a", "by_affiliation"}, {"c", "by_county"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *o = json_object();
        const char *b;
        json_t *v;
        json_object_foreach(s_dim(c, den, year, dims[i].dim), b, v)
        {
            json_object_set_new(o, b,
                                s_ratio(s_c(c, num, year, dims[i].dim, b),
                                        (int64_t)json_integer_value(v)));
        }
        json_object_set_new(out, dims[i].name, o);
    }
}

static json_t *
s_figure_head(const char *zh, const char *en, const char *unit)
{
    return json_pack("{s:s, s:s, s:s}", "zh", zh, "en", en, "unit", unit);
}

static void
s_set_target(json_t *o, double value, bool has, double target, int ty, int year,
             bool has_base, double base)
{
    json_object_set_new(o, "target", has ? json_real(target) : json_null());
    json_object_set_new(o, "target_year", has ? json_integer(ty) : json_null());
    json_object_set_new(o, "attainment",
                        has && target > 0 ? json_real(value / target)
                                          : json_null());
    json_object_set_new(
        o, "status",
        json_string(s_status(value, has, target, ty, year, has_base, base)));
}

/* A snapshot count figure (people in school). */
static json_t *
s_snapshot(store_t *st, const char *coord, json_t *c, const char *id,
           const char *fig, const char *zh, const char *en, int year)
{
    json_t *o = s_figure_head(zh, en, "people");
    double target = 0, base = 0;
    bool has = s_target(st, coord, id, 2027, &target);
    bool has_base = s_target(st, coord, id, 2024, &base);
    int64_t v = s_c(c, fig, 0, "g", "");
    json_object_set_new(o, "value", json_integer(v));
    s_set_target(o, (double)v, has, target, 2027, year, has_base, base);
    s_breakdowns(o, c, fig, 0);
    return o;
}

/* One year of a money figure: count x amount, by payee and by member. */
static json_t *
s_money_year(json_t *c, const char *fig, int year, int64_t amount,
             json_t *subsidies, const char *id)
{
    int64_t n = s_c(c, fig, year, "g", "");
    json_t *o = json_pack("{s:I, s:I, s:I}", "value", (json_int_t)(n * amount),
                          "count", (json_int_t)n, "amount", (json_int_t)amount);
    json_t *payees = json_object(), *members = json_object();
    const char *b;
    json_t *v;
    json_object_foreach(s_dim(c, fig, year, "p"), b, v)
    {
        int64_t k = (int64_t)json_integer_value(v);
        json_object_set_new(payees, b, json_integer(k * amount));
        json_array_append_new(
            subsidies,
            json_pack("{s:s, s:i, s:s, s:I, s:I, s:I}", "figure", id, "year",
                      year, "payee", b, "count", (json_int_t)k, "amount",
                      (json_int_t)amount, "total", (json_int_t)(k * amount)));
    }
    json_object_foreach(s_dim(c, fig, year, "m"), b, v)
    {
        json_object_set_new(members, b,
                            json_integer(json_integer_value(v) * amount));
    }
    json_object_set_new(o, "by_payee", payees);
    json_object_set_new(o, "by_member", members);
    return o;
}

typedef struct {
    json_t *leading; /* code -> name_zh of leading industries */
} s_ind_t;

static int
s_industry(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
           size_t len)
{
    s_ind_t *ind = ctx;
    proto_entry_t e;
    proto_value_t v;
    char name[PROTO_KEY_MAX + 1];
    (void)seq;
    if (proto_entry_decode(entry, len, &e) ||
        proto_body_get(e.body, e.body_len, "leading", &v) ||
        v.type != PROTO_VAL_BOOL || !v.b)
        return VOCFED_OK;
    s_get_str(e.body, e.body_len, "name_zh", name, sizeof name);
    json_object_set_new(ind->leading, key, json_string(name));
    return VOCFED_OK;
}

typedef struct {
    store_t *st;       /* the store */
    json_t *members;   /* id -> {...} */
    const char *coord; /* skip */
} s_mem_t;

static int
s_member_info(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_mem_t *m = ctx;
    proto_buf_t b;
    uint64_t seq;
    proto_entry_t e;
    store_head_t h;
    char root[2 * PROTO_HASH_LEN + 1], f[5][PROTO_KEY_MAX + 1];
    static const char *const names[5] = {"name_zh", "name_en", "role",
                                         "original_affiliation", "region_code"};
    (void)pk;
    if (m->coord && !strcmp(id, m->coord))
        return VOCFED_OK;
    memset(f, 0, sizeof f);
    proto_buf_init(&b);
    if (store_record_get(m->st, id, "member", "profile", &b, &seq) ==
            VOCFED_OK &&
        proto_entry_decode(b.data, b.len, &e) == VOCFED_OK)
        for (int i = 0; i < 5; i++)
            s_get_str(e.body, e.body_len, names[i], f[i], sizeof f[i]);
    proto_buf_release(&b);
    if (store_head(m->st, id, &h))
        return VOCFED_OK;
    proto_hex(h.root, PROTO_HASH_LEN, root);
    char when[32] = "";
    if (h.time_ms) {
        time_t t = (time_t)(h.time_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    /* Behind: nothing signed by the member for a day. */
    uint64_t now = (uint64_t)time(NULL) * 1000;
    bool behind = h.size == 0 || now - h.time_ms > 24ull * 3600 * 1000;
    json_object_set_new(
        m->members, id,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:b}", "name_zh",
                  f[0], "name_en", f[1], "role", f[2], "original_affiliation",
                  f[3], "region_code", f[4], "size", (json_int_t)h.size, "root",
                  root, "checkpoint_time", when, "behind", behind));
    return VOCFED_OK;
}

int
node_figures_json(store_t *st, const char *coord, int year, json_t **out)
{
    json_t *c = json_object(), *figs = json_object(), *subs = json_array();
    int rc = store_scan_counters(st, NULL, "f|", 2, s_read_counter, c);
    int now = year ? year : s_this_year();
    if (rc)
        goto fail;

    json_object_set_new(
        figs, "hv_enrolled",
        s_snapshot(st, coord, c, "hv_enrolled", "hv", "集团高职在校生",
                   "higher-vocational students in school", now));
    json_object_set_new(
        figs, "sv_enrolled",
        s_snapshot(st, coord, c, "sv_enrolled", "sv", "中职在校生",
                   "secondary-vocational students in school", now));

    int years[64];
    size_t ny = 0;
    static const char *const all_year_figs[] = {"tpt",   "lrd",  "lra", "shd",
                                                "coop",  "ssi",  "cci", "icol",
                                                "consp", "consn"};
    for (size_t i = 0; i < sizeof all_year_figs / sizeof *all_year_figs; i++)
        s_years(c, all_year_figs[i], years, &ny, 64);
    /* The policy's years up to this one; later ones only with data. */
    for (int y = 2024; y <= 2027 && y <= s_this_year(); y++) {
        bool seen = false;
        for (size_t i = 0; i < ny; i++)
            seen |= years[i] == y;
        if (!seen && ny < 64)
            years[ny++] = y;
    }

    json_t *tpt =
        s_figure_head("职业技能培训", "training person-times", "person-times");
    json_t *lr = s_figure_head("高职毕业生留地就业率",
                               "local employment retention", "rate");
    json_t *sh = s_figure_head("自主招聘教师比例", "self-hired posts", "rate");
    json_t *coop =
        s_figure_head("校企合作班补助", "cooperation-class subsidy", "yuan");
    json_t *ssi =
        s_figure_head("生源学校奖励", "source-school incentive", "yuan");
    json_t *cci = s_figure_head("跨市招生奖励",
                                "cross-city recruitment incentive", "yuan");
    json_t *icol =
        s_figure_head("产业学院奖补", "industry-college award", "yuan");
    json_t *cons = s_figure_head("产教联合体奖补", "consortium award", "yuan");
    json_t *tot = s_figure_head("奖补合计", "subsidy total", "yuan");
    json_t *byy[9];
    for (int i = 0; i < 9; i++)
        byy[i] = json_object();
    json_t *totals = json_object();
    int64_t a_coop = s_rule(st, coord, "coop_class_subsidy", "amount", 100000);
    int64_t a_ssi = s_rule(st, coord, "source_school_incentive", "amount", 500);
    int64_t a_cci = s_rule(st, coord, "cross_city_incentive", "amount", 1000);
    int64_t a_icol =
        s_rule(st, coord, "industry_college_award", "amount", 300000);
    int64_t a_cp =
        s_rule(st, coord, "consortium_award_provincial", "amount", 500000);
    int64_t a_cn =
        s_rule(st, coord, "consortium_award_national", "amount", 1000000);
    int64_t budget = s_rule(st, coord, "subsidy_total", "budget", 5000000);
    for (size_t i = 0; i < ny; i++) {
        int y = years[i];
        if (year && y != year)
            continue;
        char ys[16];
        snprintf(ys, sizeof ys, "%d", y);
        double t = 0;
        bool has;

        int64_t v = s_c(c, "tpt", y, "g", "");
        json_t *o = json_pack("{s:I}", "value", (json_int_t)v);
        has = s_target(st, coord, "training_person_times", y, &t);
        s_set_target(o, (double)v, has, t, y, now, false, 0);
        s_breakdowns(o, c, "tpt", y);
        json_object_set_new(byy[0], ys, o);

        int64_t num = s_c(c, "lrn", y, "g", ""),
                den = s_c(c, "lrd", y, "g", "");
        o = s_ratio(num, den);
        has = s_target(st, coord, "local_retention", y, &t);
        s_set_target(o, den ? (double)num / (double)den : 0, has, t, y, now,
                     false, 0);
        s_rate_breakdowns(o, c, "lrn", "lrd", y);
        json_object_set_new(o, "all_graduates",
                            s_ratio(num, s_c(c, "lra", y, "g", "")));
        json_object_set_new(byy[1], ys, o);

        num = s_c(c, "shn", y, "g", "");
        den = s_c(c, "shd", y, "g", "");
        o = s_ratio(num, den);
        has = s_target(st, coord, "self_hired_share", y, &t);
        s_set_target(o, den ? (double)num / (double)den : 0, has, t, y, now,
                     false, 0);
        s_rate_breakdowns(o, c, "shn", "shd", y);
        json_t *meeting = json_array();
        const char *b;
        json_t *mv;
        json_object_foreach(json_object_get(o, "by_member"), b, mv)
        {
            double r = json_real_value(json_object_get(mv, "value"));
            bool meets = json_is_real(json_object_get(mv, "value")) &&
                         r >= (has ? t : 0.20);
            json_object_set_new(mv, "meets", json_boolean(meets));
            if (meets)
                json_array_append_new(meeting, json_string(b));
        }
        json_object_set_new(o, "members_meeting", meeting);
        json_object_set_new(byy[2], ys, o);

        json_t *mc =
            s_money_year(c, "coop", y, a_coop, subs, "coop_class_subsidy");
        json_t *ms =
            s_money_year(c, "ssi", y, a_ssi, subs, "source_school_incentive");
        json_t *mx =
            s_money_year(c, "cci", y, a_cci, subs, "cross_city_incentive");
        json_t *mi =
            s_money_year(c, "icol", y, a_icol, subs, "industry_college_award");
        json_t *mp = s_money_year(c, "consp", y, a_cp, subs,
                                  "consortium_award_provincial");
        json_t *mn = s_money_year(c, "consn", y, a_cn, subs,
                                  "consortium_award_national");
        int64_t cons_v = json_integer_value(json_object_get(mp, "value")) +
                         json_integer_value(json_object_get(mn, "value"));
        json_t *mcons =
            json_pack("{s:I, s:o, s:o}", "value", (json_int_t)cons_v,
                      "provincial", mp, "national", mn);
        json_object_set_new(byy[3], ys, mc);
        json_object_set_new(byy[4], ys, ms);
        json_object_set_new(byy[5], ys, mx);
        json_object_set_new(byy[6], ys, mi);
        json_object_set_new(byy[7], ys, mcons);
        int64_t total = json_integer_value(json_object_get(mc, "value")) +
                        json_integer_value(json_object_get(ms, "value")) +
                        json_integer_value(json_object_get(mx, "value")) +
                        json_integer_value(json_object_get(mi, "value")) +
                        cons_v;
        json_t *to = json_pack("{s:I, s:I, s:s}", "value", (json_int_t)total,
                               "budget", (json_int_t)budget, "status",
                               total <= budget ? "within" : "over");
        json_object_set_new(byy[8], ys, to);
        json_object_set(totals, ys, to);
    }
    json_t *yearly[9] = {tpt, lr, sh, coop, ssi, cci, icol, cons, tot};
    static const char *const ids[9] = {"training_person_times",
                                       "local_retention",
                                       "self_hired_share",
                                       "coop_class_subsidy",
                                       "source_school_incentive",
                                       "cross_city_incentive",
                                       "industry_college_award",
                                       "consortium_award",
                                       "subsidy_total"};
    for (int i = 0; i < 9; i++) {
        json_object_set_new(yearly[i], "by_year", byy[i]);
        json_object_set_new(figs, ids[i], yearly[i]);
    }

    /* Coverage of the leading industries by active majors. */
    s_ind_t ind = {json_object()};
    if (coord && coord[0])
        rc = store_scan_records(st, coord, "industry", s_industry, &ind);
    if (rc == VOCFED_ENOTFOUND)
        rc = VOCFED_OK; /* the coordinator's log has not arrived yet */
    json_t *cov = s_figure_head("主导产业专业覆盖率",
                                "leading-industry coverage", "rate");
    json_t *covered = json_array(), *uncovered = json_array();
    const char *code;
    json_t *nm;
    int64_t ncov = 0, nlead = (int64_t)json_object_size(ind.leading);
    json_object_foreach(ind.leading, code, nm)
    {
        if (s_c(c, "ind", 0, "p", code) > 0) {
            ncov++;
            json_array_append_new(covered, json_string(code));
        } else {
            json_array_append_new(uncovered, json_string(code));
        }
    }
    json_t *ratio = s_ratio(ncov, nlead);
    json_object_update(cov, ratio);
    json_decref(ratio);
    double ct = 0;
    bool chas = s_target(st, coord, "industry_coverage", 2027, &ct);
    s_set_target(cov, nlead ? (double)ncov / (double)nlead : 0, chas, ct, 2027,
                 now, false, 0);
    json_object_set_new(cov, "covered", covered);
    json_object_set_new(cov, "uncovered", uncovered);
    json_t *cbm = json_object();
    const char *qb;
    json_t *qv;
    json_object_foreach(s_dim(c, "ind", 0, "q"), qb, qv)
    {
        char mem[PROTO_ID_MAX + 1];
        const char *slash = strchr(qb, '/');
        if (!slash || (size_t)(slash - qb) > PROTO_ID_MAX ||
            !json_object_get(ind.leading, slash + 1) ||
            json_integer_value(qv) <= 0)
            continue;
        snprintf(mem, sizeof mem, "%.*s", (int)(slash - qb), qb);
        json_t *cur = json_object_get(cbm, mem);
        int64_t k =
            cur ? (int64_t)json_integer_value(json_object_get(cur, "numerator"))
                : 0;
        json_object_set_new(cbm, mem, s_ratio(k + 1, nlead));
    }
    json_object_set_new(cov, "by_member", cbm);
    json_object_set_new(cov, "leading", ind.leading);
    json_object_set_new(figs, "industry_coverage", cov);

    json_t *dq =
        s_figure_head("双师型教师占比", "dual-qualified teachers", "rate");
    json_t *dr = s_ratio(s_c(c, "dqn", 0, "g", ""), s_c(c, "dqd", 0, "g", ""));
    json_object_update(dq, dr);
    json_decref(dr);
    json_object_set_new(dq, "status", json_string("no_target"));
    s_rate_breakdowns(dq, c, "dqn", "dqd", 0);
    json_object_set_new(figs, "dual_qualified_share", dq);
    /* In DESIGN 7's order, which the report shows (tools/report_model.h):
     * the per-year figures from self_hired_share on come after these. */
    for (int i = 2; i < 9; i++) {
        json_t *f = json_incref(json_object_get(figs, ids[i]));
        json_object_del(figs, ids[i]);
        json_object_set_new(figs, ids[i], f);
    }

    s_mem_t mem = {st, json_object(), coord};
    if (!rc)
        rc = store_scan_authors(st, s_member_info, &mem);
    if (rc) {
        json_decref(mem.members);
        json_decref(c);
        json_decref(figs);
        json_decref(subs);
        json_decref(totals);
        return rc;
    }
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    *out = json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:{s:I}}", "group",
                     coord ? coord : "", "as_of", when, "year", now, "members",
                     mem.members, "figures", figs, "subsidies", subs,
                     "subsidy_total", totals, "multi_member_people", "people",
                     (json_int_t)s_c(c, "multi", 0, "g", ""));
    json_decref(c);
    return *out ? VOCFED_OK : VOCFED_ENOMEM;
fail:
    json_decref(c);
    json_decref(figs);
    json_decref(subs);
    return rc;
}

int
node_figures_attach_store(store_t *st)
{
    char role[64] = "", id[PROTO_ID_MAX + 1] = "";
    if (store_meta_get(st, "node_role", role, sizeof role) != VOCFED_OK ||
        store_meta_get(st, "node_id", id, sizeof id) != VOCFED_OK)
        return node_figures_attach(st, NULL);
    return node_figures_attach(st,
                               strcmp(role, "coordinator") == 0 ? id : NULL);
}
