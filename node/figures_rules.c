/* vocfed: what each kind's record contributes (see figures_rules.h;
 * SPEC 12.1). */
#include "node/figures_rules.h"

#include "protocol/kinds.h"

#include <czmq.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

size_t
node_fig_span(char *dst, size_t cap, const char *src, size_t len)
{
    if (len > cap - 1)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
    return len;
}

size_t
node_fig_cat(char *dst, size_t cap, ...)
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

/* A found value as a string of at most cap - 1 bytes into out. */
static bool
s_value_str(int rc, const proto_value_t *v, char *out, size_t cap)
{
    out[0] = 0;
    if (rc || v->type != PROTO_VAL_STR || v->slen >= cap)
        return false;
    memcpy(out, v->s, v->slen);
    out[v->slen] = 0;
    return v->slen > 0;
}

static bool
s_value_int(int rc, const proto_value_t *v, int64_t *out)
{
    *out = 0;
    if (rc || v->type != PROTO_VAL_INT)
        return false;
    *out = v->i;
    return true;
}

bool
node_fig_body_str(const uint8_t *body, size_t len, const char *name, char *out,
                  size_t cap)
{
    proto_value_t v;
    int rc = body ? proto_body_get(body, len, name, &v) : VOCFED_ENOTFOUND;
    return s_value_str(rc, &v, out, cap);
}

bool
node_fig_body_int(const uint8_t *body, size_t len, const char *name,
                  int64_t *out)
{
    proto_value_t v;
    int rc = body ? proto_body_get(body, len, name, &v) : VOCFED_ENOTFOUND;
    return s_value_int(rc, &v, out);
}

/* ---- the rules' parts -----------------------------------------------------
 */

#define S_REC_FIELDS 64 /* a body's fields read once (a kind's at most) */

/* One record being read. */
typedef struct {
    const char *member;            /* its author */
    const char *key;               /* its natural key */
    const uint8_t *b;              /* its body */
    size_t len;                    /* the body's length */
    node_fig_item_t *items;        /* where its items go (NULL: counted only) */
    size_t n;                      /* how many so far */
    bool overflow;                 /* it yields more than NODE_FIG_ITEMS_MAX */
    proto_field_t f[S_REC_FIELDS]; /* the body's fields, read once */
    size_t nf;                     /* how many */
    bool indexed;                  /* f holds them all (else: read the
                                      body for each) */
} s_rec_t;

/* Reads the body's fields once into r->f (a body of a kind has at most
 * 64; one with more is read field by field). */
static void
s_index(s_rec_t *r)
{
    proto_body_iter_t it;
    int rc;
    r->nf = 0;
    r->indexed = false;
    if (proto_body_iter_init(&it, r->b, r->len) || it.remaining > S_REC_FIELDS)
        return;
    while ((rc = proto_body_iter_next(&it, &r->f[r->nf])) == 1)
        r->nf++;
    r->indexed = rc == 0;
}

/* The value of field name: 0, or VOCFED_ENOTFOUND. */
static int
s_field(const s_rec_t *r, const char *name, proto_value_t *v)
{
    if (!r->indexed)
        return proto_body_get(r->b, r->len, name, v);
    size_t len = strlen(name);
    for (size_t i = 0; i < r->nf; i++)
        if (r->f[i].name_len == len && !memcmp(r->f[i].name, name, len)) {
            *v = r->f[i].value;
            return VOCFED_OK;
        }
    return VOCFED_ENOTFOUND;
}

static bool
s_str_of(const s_rec_t *r, const char *name, char *out, size_t cap)
{
    proto_value_t v;
    int rc = s_field(r, name, &v);
    return s_value_str(rc, &v, out, cap);
}

static bool
s_int_of(const s_rec_t *r, const char *name, int64_t *out)
{
    proto_value_t v;
    int rc = s_field(r, name, &v);
    return s_value_int(rc, &v, out);
}

#define STR(r, name, buf) s_str_of(r, name, buf, sizeof buf)
#define INT(r, name, out) s_int_of(r, name, out)

static bool
s_local(const char *region)
{
    return strncmp(region, NODE_LOCAL_REGION, strlen(NODE_LOCAL_REGION)) == 0;
}

static void
s_add(s_rec_t *r, node_counter_t c, int64_t year, const char *payee,
      int64_t value)
{
    if (year < 0 || year > 65535)
        return; /* the kinds table keeps years in 2000-2100 */
    if (r->n >= NODE_FIG_ITEMS_MAX) {
        r->overflow = true; /* refused, never cut (SPEC 12.1) */
        return;
    }
    if (!r->items) { /* counted only */
        r->n++;
        return;
    }
    node_fig_item_t *it = &r->items[r->n++];
    it->fig = (uint8_t)c;
    it->year = (uint16_t)year;
    node_fig_copy(it->member, sizeof it->member, r->member);
    node_fig_copy(it->payee, sizeof it->payee, payee ? payee : "");
    it->value = value;
}

/* ---- one rule per kind ----------------------------------------------------
 */

/* The years of the secondary stage of a 3+2 or five-year pathway. */
#define NODE_FIG_SECONDARY_YEARS 3

/* svo, hvo: intake by local origin region (the county assessment); p32:
 * a 3+2 or five-year secondary start (the progression, joined per person
 * with hv and lra in figures_joins.c). */
static void
s_student_paths(s_rec_t *r, const char *level)
{
    char origin[PROTO_KEY_MAX + 1], path[32];
    int64_t year;
    bool higher = strcmp(level, "higher") == 0;
    bool secondary = strcmp(level, "secondary") == 0;
    if (!INT(r, "intake_year", &year))
        return;
    if ((secondary || higher) && STR(r, "origin_region", origin) &&
        s_local(origin))
        s_add(r, secondary ? NODE_C_SVO : NODE_C_HVO, year, origin, 1);
    STR(r, "pathway", path);
    /* A member that runs both stages keeps one record per person: at the
     * higher stage the secondary start is its intake less the three
     * secondary years (SPEC 12.1). */
    if ((secondary || higher) &&
        (!strcmp(path, "three_plus_two") || !strcmp(path, "five_year")))
        s_add(r, NODE_C_P32, secondary ? year : year - NODE_FIG_SECONDARY_YEARS,
              NULL, 1);
}

/* hv, sv: enrolled people; ssi, cci: secondary intake by origin. */
static void
s_student(s_rec_t *r)
{
    char level[32], status[32], origin[PROTO_KEY_MAX + 1],
        school[PROTO_KEY_MAX + 1];
    int64_t year;
    STR(r, "level", level);
    STR(r, "status", status);
    if (!strcmp(status, "enrolled") && !strcmp(level, "higher"))
        s_add(r, NODE_C_HV, 0, NULL, 1);
    if (!strcmp(status, "enrolled") && !strcmp(level, "secondary"))
        s_add(r, NODE_C_SV, 0, NULL, 1);
    s_student_paths(r, level);
    if (strcmp(level, "secondary") != 0 || !INT(r, "intake_year", &year) ||
        !STR(r, "origin_region", origin))
        return;
    if (s_local(origin) && STR(r, "source_school", school))
        s_add(r, NODE_C_SSI, year, school, 1);
    if (!s_local(origin))
        s_add(r, NODE_C_CCI, year, r->member, 1);
}

/* lra, lrd, lrn: higher-vocational graduates of a cohort, employed, and
 * employed locally. */
static void
s_graduate(s_rec_t *r)
{
    char level[32], dest[32], region[PROTO_KEY_MAX + 1];
    int64_t year;
    STR(r, "level", level);
    if (strcmp(level, "higher") != 0 || !INT(r, "grad_year", &year))
        return;
    s_add(r, NODE_C_LRA, year, NULL, 1);
    STR(r, "destination", dest);
    if (strcmp(dest, "employed") && strcmp(dest, "flexible") &&
        strcmp(dest, "self_employed"))
        return;
    s_add(r, NODE_C_LRD, year, NULL, 1);
    if (STR(r, "workplace_region", region) && s_local(region))
        s_add(r, NODE_C_LRN, year, NULL, 1);
}

/* dqd, dqn: professional full-time teachers, and the dual-qualified. */
static void
s_staff(s_rec_t *r)
{
    char category[32], course[32], dual[PROTO_KEY_MAX + 1];
    STR(r, "category", category);
    STR(r, "course_type", course);
    if (strcmp(category, "fulltime_teacher") || strcmp(course, "professional"))
        return;
    s_add(r, NODE_C_DQD, 0, NULL, 1);
    if (STR(r, "dual_qualified", dual) && strcmp(dual, "none") != 0)
        s_add(r, NODE_C_DQN, 0, NULL, 1);
}

/* ind: an active major, once per industry it serves. */
static void
s_major(s_rec_t *r)
{
    char status[32], list[PROTO_KEY_MAX + 1];
    STR(r, "status", status);
    if (strcmp(status, "active") != 0 || !STR(r, "industries", list))
        return;
    for (char *tok = list, *semi; tok && *tok; tok = semi) {
        semi = strchr(tok, ';');
        if (semi)
            *semi++ = 0;
        if (*tok)
            s_add(r, NODE_C_IND, 0, tok, 1);
    }
}

/* shn, shd: the year's self-hired and authorised posts (key: the year). */
static void
s_posts(s_rec_t *r)
{
    int64_t y = strtoll(r->key, NULL, 10), x;
    if (INT(r, "self_hired_posts", &x))
        s_add(r, NODE_C_SHN, y, NULL, x);
    if (INT(r, "authorised_posts", &x))
        s_add(r, NODE_C_SHD, y, NULL, x);
}

/* tpt: person-times of an activity in its year. */
static void
s_training(s_rec_t *r)
{
    int64_t year, x;
    if (INT(r, "year", &year) && INT(r, "completed", &x))
        s_add(r, NODE_C_TPT, year, NULL, x);
}

/* coop: a class at the subsidy rule's threshold (措施 11). */
static void
s_coop_class(s_rec_t *r)
{
    const node_fig_rule_t *rule = node_figcat_rule("coop_class_subsidy");
    int64_t x, year;
    if (INT(r, "students_at_start", &x) && x >= rule->threshold &&
        INT(r, "cohort_year", &year))
        s_add(r, NODE_C_COOP, year, r->member, 1);
}

/* Counter c for a record recognised at level, in its recognised_year. */
static void
s_recognised(s_rec_t *r, const char *level, node_counter_t c)
{
    char got[32];
    int64_t year;
    STR(r, "level", got);
    if (!strcmp(got, level) && INT(r, "recognised_year", &year))
        s_add(r, c, year, r->member, 1);
}

/* icol: an industry college recognised at provincial level. */
static void
s_industry_college(s_rec_t *r)
{
    s_recognised(r, "provincial", NODE_C_ICOL);
}

/* consp, consn: a consortium recognised at provincial or national level. */
static void
s_consortium(s_rec_t *r)
{
    s_recognised(r, "provincial", NODE_C_CONSP);
    s_recognised(r, "national", NODE_C_CONSN);
}

/* ---- the table -------------------------------------------------------------
 */

/* What is counted once. */
typedef enum {
    S_ID_PERSON = 0, /* "p:" the person's pseudo_id (a person's kind) */
    S_ID_ACTIVITY,   /* "t:" the key: co-providers report one activity */
    S_ID_RECORD,     /* "u:" member/kind/key: the record itself */
} s_identity_t;

/* most: the s_add calls its function has (so at most that many items
 * whatever the record says), or 0 when a record decides how many (a
 * list). A kind with a bound under NODE_FIG_ITEMS_MAX cannot overflow,
 * and the log's check (items NULL) need not read its body. */
static const struct {
    const char *kind;       /* record kind */
    s_identity_t identity;  /* what it counts once */
    void (*fn)(s_rec_t *r); /* its items */
    size_t most;            /* items at most (0: no bound) */
} s_rules[] = {
    {"student", S_ID_PERSON, s_student, 6},
    {"graduate", S_ID_PERSON, s_graduate, 3},
    {"staff", S_ID_PERSON, s_staff, 2},
    {"major", S_ID_RECORD, s_major, 0},
    {"posts", S_ID_RECORD, s_posts, 2},
    {"training", S_ID_ACTIVITY, s_training, 1},
    {"coop_class", S_ID_RECORD, s_coop_class, 1},
    {"industry_college", S_ID_RECORD, s_industry_college, 1},
    {"consortium", S_ID_RECORD, s_consortium, 2},
};

bool
node_figrules_may_refuse(const char *kind, size_t len)
{
    for (size_t i = 0; i < sizeof s_rules / sizeof s_rules[0]; i++)
        if (strlen(s_rules[i].kind) == len &&
            !memcmp(s_rules[i].kind, kind, len))
            return !s_rules[i].most || s_rules[i].most > NODE_FIG_ITEMS_MAX;
    return false; /* no rule: it yields nothing */
}

int
node_figrules_items(const char *member, const char *kind, const char *key,
                    const uint8_t *body, size_t len, char *identity,
                    size_t icap, node_fig_item_t *items, size_t *nitems)
{
    size_t i = 0, nrules = sizeof s_rules / sizeof s_rules[0], plen;
    const proto_kind_def_t *k;
    identity[0] = 0;
    *nitems = 0;
    while (i < nrules && strcmp(s_rules[i].kind, kind) != 0)
        i++;
    if (i == nrules)
        return VOCFED_OK;
    switch (s_rules[i].identity) {
    case S_ID_PERSON:
        k = proto_kind_find(kind);
        plen = k ? proto_kind_person_len(k, key) : strlen(key);
        if (plen > icap - 3)
            plen = icap - 3;
        memcpy(identity, "p:", 2);
        memcpy(identity + 2, key, plen);
        identity[2 + plen] = 0;
        break;
    case S_ID_ACTIVITY:
        node_fig_cat(identity, icap, "t:", key, NULL);
        break;
    case S_ID_RECORD:
        node_fig_cat(identity, icap, "u:", member, "/", kind, "/", key, NULL);
        break;
    }
    size_t most = s_rules[i].most;
    if (!body || (!items && most && most <= NODE_FIG_ITEMS_MAX))
        return VOCFED_OK; /* nothing read, or no overflow possible */
    s_rec_t r; /* not zeroed: f is 3.5 KiB, and s_index fills what is read */
    r.member = member;
    r.key = key;
    r.b = body;
    r.len = len;
    r.items = items;
    r.n = 0;
    r.overflow = false;
    s_index(&r);
    s_rules[i].fn(&r);
    if (most && r.n > most) { /* the table above is wrong: refuse */
        zsys_error("figures: %s yielded %zu items, more than its %zu", kind,
                   r.n, most);
        r.overflow = true;
    }
    *nitems = r.overflow ? 0 : r.n;
    return r.overflow ? VOCFED_EBADRECORD : VOCFED_OK;
}
