/* vocfed: the claims of a store and where each stands (certify.h,
 * SPEC 11.6). */
#include "node/certify.h"
#include "node/certify_i.h"

#include "storage/replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_state_names[NODE_CLAIM_NSTATES] = {
    [NODE_CLAIM_CLAIMED] = "claimed",     [NODE_CLAIM_APPROVED] = "approved",
    [NODE_CLAIM_PAID] = "paid",           [NODE_CLAIM_REJECTED] = "rejected",
    [NODE_CLAIM_REVOKED] = "revoked",     [NODE_CLAIM_CHANGED] = "changed",
    [NODE_CLAIM_WITHDRAWN] = "withdrawn",
};

const char *
node_claim_state_name(node_claim_state_t s)
{
    return (unsigned)s < NODE_CLAIM_NSTATES ? s_state_names[s] : "unknown";
}

const char *
node_claim_state_label(const node_claim_t *c)
{
    switch (c->state) {
    case NODE_CLAIM_CLAIMED:
        return "已申报 claimed";
    case NODE_CLAIM_APPROVED:
        return "已认定 approved";
    case NODE_CLAIM_PAID:
        return "已支付 paid";
    case NODE_CLAIM_REJECTED:
        return "不予认定 rejected";
    case NODE_CLAIM_REVOKED:
        return "已撤销 revoked";
    case NODE_CLAIM_CHANGED:
        return strcmp(c->decision, "approved") == 0
                   ? "认定后已变更 changed since approval"
                   : "决定后已变更 changed since decision";
    case NODE_CLAIM_WITHDRAWN:
        return "已撤回 withdrawn";
    case NODE_CLAIM_NSTATES:
        break;
    }
    return "?";
}

const char *
node_cert_record_kind(const char *subject)
{
    static const struct {
        const char *subject; /* claim subject */
        const char *kind;    /* the kind of record it names */
    } map[] = {
        {"coop_class", "coop_class"},
        {"industry_college", "industry_college"},
        {"consortium", "consortium"},
        {"dual_qualified", "staff"},
        {"reform_project", "reform_project"},
        {"enrolment", ""},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].subject, subject) == 0)
            return map[i].kind;
    return NULL;
}

bool
node_cert_body_str(const uint8_t *body, size_t len, const char *name, char *out,
                   size_t cap)
{
    proto_value_t v;
    out[0] = 0;
    if (!body || proto_body_get(body, len, name, &v) != VOCFED_OK ||
        v.type != PROTO_VAL_STR || v.slen >= cap)
        return false;
    memcpy(out, v.s, v.slen);
    out[v.slen] = 0;
    return true;
}

int64_t
node_cert_body_int(const uint8_t *body, size_t len, const char *name,
                   int64_t fallback)
{
    proto_value_t v;
    if (!body || proto_body_get(body, len, name, &v) != VOCFED_OK ||
        v.type != PROTO_VAL_INT)
        return fallback;
    return v.i;
}

bool
node_claim_ref(const char *ref, char *member, size_t mcap, char *code,
               size_t ccap)
{
    const char *slash = strchr(ref, '/');
    if (!slash || slash == ref || !slash[1])
        return false;
    size_t mlen = (size_t)(slash - ref);
    if (mlen >= mcap || strlen(slash + 1) >= ccap)
        return false;
    memcpy(member, ref, mlen);
    member[mlen] = 0;
    snprintf(code, ccap, "%s", slash + 1);
    return proto_id_valid(member, mlen) && proto_key_valid(code, strlen(code));
}

/* Room for one more claim; NULL when out of memory. */
static node_claim_t *
s_push(node_claims_t *cs)
{
    if ((cs->n & (cs->n - 1)) == 0) {
        size_t cap = cs->n ? cs->n * 2 : 8;
        node_claim_t *v = realloc(cs->v, cap * sizeof *v);
        if (!v)
            return NULL;
        cs->v = v;
    }
    node_claim_t *c = &cs->v[cs->n++];
    memset(c, 0, sizeof *c);
    return c;
}

/* Scanning one member's claims. */
typedef struct {
    node_claims_t *cs;  /* where they go */
    const char *member; /* whose */
} s_scan_t;

/* A store_record_fn over a member's `claim` records. */
static int
s_on_claim(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
           size_t len)
{
    s_scan_t *s = ctx;
    proto_entry_t e;
    if (proto_entry_decode(entry, len, &e) || !e.body)
        return VOCFED_ECORRUPT;
    node_claim_t *c = s_push(s->cs);
    if (!c)
        return VOCFED_ENOMEM;
    snprintf(c->member, sizeof c->member, "%s", s->member);
    snprintf(c->code, sizeof c->code, "%s", key);
    (void)node_cert_body_str(e.body, e.body_len, "subject", c->subject,
                             sizeof c->subject);
    (void)node_cert_body_str(e.body, e.body_len, "record", c->record,
                             sizeof c->record);
    (void)node_cert_body_str(e.body, e.body_len, "attachments", c->attachments,
                             sizeof c->attachments);
    c->year = (int)node_cert_body_int(e.body, e.body_len, "year", 0);
    c->asked = node_cert_body_int(e.body, e.body_len, "amount", 0);
    c->quantity = node_cert_body_int(e.body, e.body_len, "quantity", 0);
    const char *rk = node_cert_record_kind(c->subject);
    snprintf(c->record_kind, sizeof c->record_kind, "%s", rk ? rk : "");
    c->has_claim = true;
    c->claim_seq = seq;
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, entry, len, c->claim_hash);
    return 0;
}

/* Scanning the authors for members' claims. */
typedef struct {
    store_t *st;       /* the store */
    const char *coord; /* the coordinator (skipped), or NULL */
    const char *only;  /* the one member wanted, or NULL */
    node_claims_t *cs; /* where they go */
} s_authors_t;

/* A store_author_fn: the claims of one member. */
static int
s_on_author(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_authors_t *a = ctx;
    (void)pk;
    if ((a->coord && strcmp(id, a->coord) == 0) ||
        (a->only && strcmp(id, a->only) != 0))
        return 0;
    s_scan_t s = {.cs = a->cs, .member = id};
    return store_scan_records(a->st, id, NODE_CLAIM_KIND, s_on_claim, &s);
}

/* The claimed record's entry, level and size, when it is a current
 * record of the member's own log. */
static int
s_resolve_record(store_t *st, node_claim_t *c)
{
    proto_buf_t b;
    proto_entry_t e;
    uint64_t seq;
    if (!c->record_kind[0] || !c->record[0])
        return 0;
    proto_buf_init(&b);
    int rc =
        store_record_get(st, c->member, c->record_kind, c->record, &b, &seq);
    if (rc == VOCFED_ENOTFOUND) {
        rc = 0;
        goto cleanup;
    }
    if (rc || (rc = proto_entry_decode(b.data, b.len, &e)))
        goto cleanup;
    c->has_record = true;
    c->record_seq = seq;
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, b.data, b.len, c->record_hash);
    const char *lf =
        strcmp(c->record_kind, "staff") == 0 ? "dual_qualified" : "level";
    (void)node_cert_body_str(e.body, e.body_len, lf, c->level, sizeof c->level);
    c->students =
        node_cert_body_int(e.body, e.body_len, "students_at_start", 0);
    if (strcmp(c->record_kind, "staff") == 0) {
        char cat[32], ct[32];
        (void)node_cert_body_str(e.body, e.body_len, "category", cat,
                                 sizeof cat);
        (void)node_cert_body_str(e.body, e.body_len, "course_type", ct,
                                 sizeof ct);
        c->students = strcmp(cat, "fulltime_teacher") == 0 &&
                      strcmp(ct, "professional") == 0;
    }
cleanup:
    proto_buf_release(&b);
    return rc;
}

static int
s_cmp_claim(const void *a, const void *b)
{
    const node_claim_t *x = a, *y = b;
    int c = strcmp(x->member, y->member);
    return c ? c : strcmp(x->code, y->code);
}

const node_claim_t *
node_claims_find(const node_claims_t *cs, const char *member, const char *code)
{
    node_claim_t k;
    snprintf(k.member, sizeof k.member, "%s", member);
    snprintf(k.code, sizeof k.code, "%s", code);
    if (!cs->n)
        return NULL;
    return bsearch(&k, cs->v, cs->n, sizeof k, s_cmp_claim);
}

void
node_claims_release(node_claims_t *cs)
{
    free(cs->v);
    free(cs->pay);
    memset(cs, 0, sizeof *cs);
}

/* The state from what was found (SPEC 11.6). */
static void
s_state(node_claim_t *c)
{
    if (!c->decided) {
        c->state = NODE_CLAIM_CLAIMED;
        return;
    }
    if (!c->has_claim) {
        c->state = NODE_CLAIM_WITHDRAWN;
        return;
    }
    if (!c->holds)
        c->state = NODE_CLAIM_CHANGED;
    else if (strcmp(c->decision, "rejected") == 0)
        c->state = NODE_CLAIM_REJECTED;
    else if (strcmp(c->decision, "revoked") == 0)
        c->state = NODE_CLAIM_REVOKED;
    else if (c->approved > 0 && c->paid >= c->approved)
        c->state = NODE_CLAIM_PAID;
    else
        c->state = NODE_CLAIM_APPROVED;
}

int
node_claims_load(store_t *st, const char *coord, const char *member,
                 node_claims_t *out)
{
    node_claims_t cs = {0};
    s_authors_t a = {.st = st, .coord = coord, .only = member, .cs = &cs};
    int rc = store_scan_authors(st, s_on_author, &a);
    for (size_t i = 0; !rc && i < cs.n; i++)
        rc = s_resolve_record(st, &cs.v[i]);
    if (!rc && cs.n)
        qsort(cs.v, cs.n, sizeof *cs.v, s_cmp_claim);
    if (!rc && coord)
        rc = node_cert_load_decisions(st, coord, member, &cs);
    if (!rc && coord)
        rc = node_cert_load_payments(st, coord, member, &cs);
    for (size_t i = 0; !rc && i < cs.n; i++)
        s_state(&cs.v[i]);
    if (rc) {
        node_claims_release(&cs);
        return rc;
    }
    node_claims_release(out);
    *out = cs;
    return 0;
}

node_claim_t *
node_cert_claim_add(node_claims_t *cs, const char *member, const char *code)
{
    node_claim_t *c = s_push(cs);
    if (!c)
        return NULL;
    snprintf(c->member, sizeof c->member, "%s", member);
    snprintf(c->code, sizeof c->code, "%s", code);
    /* keep the order node_claims_find searches */
    qsort(cs->v, cs->n, sizeof *cs->v, s_cmp_claim);
    return (node_claim_t *)node_claims_find(cs, member, code);
}
