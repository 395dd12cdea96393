/* vocfed: decisions and payments in the coordinator's log, read and
 * written, and the member's check of a decision (certify.h, SPEC 11.6). */
#include "node/certify.h"
#include "node/certify_i.h"

#include "node/figures_sections.h"
#include "node/node.h"
#include "node/roster.h"
#include "protocol/hash.h"
#include "protocol/kinds.h"
#include "storage/replica.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_say(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes why and returns VOCFED_EINVALID. */
static int
s_say(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && cap)
        vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return VOCFED_EINVALID;
}

/* ---- reading ------------------------------------------------------------ */

/* Reading decisions or payments. */
typedef struct {
    node_claims_t *cs;  /* the claims */
    const char *member; /* only this member's, or NULL */
} s_read_t;

/* Whether entry hash h is the one hex names. */
static bool
s_same_hash(const uint8_t h[PROTO_HASH_LEN], const char *hex)
{
    char mine[2 * PROTO_HASH_LEN + 1];
    proto_hex(h, PROTO_HASH_LEN, mine);
    return strcmp(mine, hex) == 0;
}

/* Whether the decision in body names c's current entries. */
static bool
s_holds(const node_claim_t *c, const uint8_t *body, size_t len)
{
    char hash[2 * PROTO_HASH_LEN + 2], kind[PROTO_KIND_MAX + 1],
        key[PROTO_KEY_MAX + 1];
    if (!c->has_claim ||
        (uint64_t)node_cert_body_int(body, len, "claim_seq", 0) !=
            c->claim_seq ||
        !node_cert_body_str(body, len, "claim_hash", hash, sizeof hash) ||
        !s_same_hash(c->claim_hash, hash))
        return false;
    (void)node_cert_body_str(body, len, "record_kind", kind, sizeof kind);
    (void)node_cert_body_str(body, len, "record_key", key, sizeof key);
    if (strcmp(kind, c->has_record ? c->record_kind : "") != 0 ||
        strcmp(key, c->has_record ? c->record : "") != 0)
        return false;
    if (!c->has_record)
        return true;
    return (uint64_t)node_cert_body_int(body, len, "record_seq", 0) ==
               c->record_seq &&
           node_cert_body_str(body, len, "record_hash", hash, sizeof hash) &&
           s_same_hash(c->record_hash, hash);
}

/* A store_record_fn over the coordinator's `certification` records. */
static int
s_on_decision(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
              size_t len)
{
    s_read_t *r = ctx;
    char member[PROTO_ID_MAX + 1], code[PROTO_KEY_MAX + 1];
    proto_entry_t e;
    if (!node_claim_ref(key, member, sizeof member, code, sizeof code) ||
        (r->member && strcmp(member, r->member) != 0))
        return 0; /* not a claim's key: not ours to show */
    if (proto_entry_decode(entry, len, &e) || !e.body)
        return VOCFED_ECORRUPT;
    node_claim_t *c = (node_claim_t *)node_claims_find(r->cs, member, code);
    if (!c && !(c = node_cert_claim_add(r->cs, member, code)))
        return VOCFED_ENOMEM;
    c->decided = true;
    c->decision_seq = seq;
    (void)node_cert_body_str(e.body, e.body_len, "decision", c->decision,
                             sizeof c->decision);
    (void)node_cert_body_str(e.body, e.body_len, "note", c->note,
                             sizeof c->note);
    c->approved = strcmp(c->decision, "approved") == 0
                      ? node_cert_body_int(e.body, e.body_len, "amount", 0)
                      : 0;
    if (!c->has_claim) {
        (void)node_cert_body_str(e.body, e.body_len, "subject", c->subject,
                                 sizeof c->subject);
        c->year = (int)node_cert_body_int(e.body, e.body_len, "year", 0);
    }
    c->holds = s_holds(c, e.body, e.body_len);
    return 0;
}

int
node_cert_load_decisions(store_t *st, const char *coord, const char *member,
                         node_claims_t *cs)
{
    s_read_t r = {.cs = cs, .member = member};
    return store_scan_records(st, coord, NODE_CERT_KIND, s_on_decision, &r);
}

/* Splits a payment's key member/code/voucher (the voucher has no '/'). */
static bool
s_pay_key(const char *key, node_payment_t *p)
{
    const char *last = strrchr(key, '/');
    char ref[PROTO_KEY_MAX + 1];
    if (!last || !last[1] || strlen(last + 1) > NODE_CERT_VOUCHER_MAX)
        return false;
    snprintf(ref, sizeof ref, "%.*s", (int)(last - key), key);
    snprintf(p->voucher, sizeof p->voucher, "%s", last + 1);
    return node_claim_ref(ref, p->member, sizeof p->member, p->code,
                          sizeof p->code);
}

/* A store_record_fn over the coordinator's `payment` records. */
static int
s_on_payment(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
             size_t len)
{
    s_read_t *r = ctx;
    node_claims_t *cs = r->cs;
    node_payment_t p = {.seq = seq};
    proto_entry_t e;
    if (!s_pay_key(key, &p) || (r->member && strcmp(p.member, r->member)))
        return 0;
    if (proto_entry_decode(entry, len, &e) || !e.body)
        return VOCFED_ECORRUPT;
    p.amount = node_cert_body_int(e.body, e.body_len, "amount", 0);
    p.decision_seq =
        (uint64_t)node_cert_body_int(e.body, e.body_len, "decision_seq", 0);
    (void)node_cert_body_str(e.body, e.body_len, "date", p.date, sizeof p.date);
    if ((cs->npay & (cs->npay - 1)) == 0) {
        size_t cap = cs->npay ? cs->npay * 2 : 8;
        node_payment_t *v = realloc(cs->pay, cap * sizeof *v);
        if (!v)
            return VOCFED_ENOMEM;
        cs->pay = v;
    }
    cs->pay[cs->npay++] = p;
    node_claim_t *c = (node_claim_t *)node_claims_find(cs, p.member, p.code);
    if (!c && !(c = node_cert_claim_add(cs, p.member, p.code)))
        return VOCFED_ENOMEM;
    c->paid += p.amount;
    c->npayments++;
    return 0;
}

int
node_cert_load_payments(store_t *st, const char *coord, const char *member,
                        node_claims_t *cs)
{
    s_read_t r = {.cs = cs, .member = member};
    return store_scan_records(st, coord, NODE_PAY_KIND, s_on_payment, &r);
}

/* ---- writing ------------------------------------------------------------ */

/* A record of the coordinator built from (name, text) pairs through the
 * kinds table, signed and appended. *seq gets its entry. */
static int
s_write(store_t *st, const char *coord, const uint8_t *sk, const char *kind,
        const char *key, const char *const *names, const char *const *values,
        size_t n, uint64_t *seq, char *why, size_t cap)
{
    proto_buf_t body;
    proto_kind_error_t err;
    store_head_t head;
    proto_buf_init(&body);
    int rc =
        proto_kind_body(proto_kind_find(kind), names, values, n, &body, &err);
    if (rc) {
        rc = s_say(why, cap, "%s refused: field %s, value '%s': %s", kind,
                   err.field, err.value, err.reason_en);
        goto cleanup;
    }
    store_record_t r = {PROTO_OP_PUT, kind, key, body.data, body.len, false};
    rc = node_append_as(st, coord, sk, true, &r, 1, 0, &head, NULL);
    if (!rc)
        *seq = head.size;
cleanup:
    proto_buf_release(&body);
    return rc;
}

/* The yuan a rule allows an approved claim c of its subject, and the
 * rule's threshold check. Returns 0 with *max set, or refuses. */
static int
s_rule_max(json_t *rules, const node_claim_t *c, int64_t *max, char *why,
           size_t cap)
{
    const char *s = c->subject;
    *max = 0;
    if (strcmp(s, "coop_class") == 0) {
        int64_t th = node_fig_rule_value(rules, "coop_class_subsidy", c->year,
                                         "threshold", 20);
        if (c->students < th)
            return s_say(why, cap,
                         "cooperation class %s has %" PRId64
                         " students at start: the subsidy needs %" PRId64
                         " or more",
                         c->record, c->students, th);
        *max = node_fig_rule_value(rules, "coop_class_subsidy", c->year,
                                   "amount", 100000);
    } else if (strcmp(s, "industry_college") == 0) {
        if (!c->level[0] || strcmp(c->level, "none") == 0)
            return s_say(why, cap, "industry college %s has no level",
                         c->record);
        if (strcmp(c->level, "provincial") == 0 ||
            strcmp(c->level, "national") == 0)
            *max = node_fig_rule_value(rules, "industry_college_award", c->year,
                                       "amount", 300000);
    } else if (strcmp(s, "consortium") == 0) {
        if (strcmp(c->level, "provincial") == 0 ||
            strcmp(c->level, "national") == 0) {
            char id[64];
            snprintf(id, sizeof id, "consortium_award_%s", c->level);
            *max = node_fig_rule_value(rules, id, c->year, "amount",
                                       c->level[0] == 'n' ? 1000000 : 500000);
        }
    } else if (strcmp(s, "dual_qualified") == 0) {
        if (!c->level[0] || strcmp(c->level, "none") == 0)
            return s_say(why, cap,
                         "staff %s is not dual-qualified in its record",
                         c->record);
    } else if (strcmp(s, "enrolment") == 0 && c->quantity <= 0) {
        return s_say(why, cap, "an enrolment claim states the quantity");
    }
    return 0;
}

/* What a claim holds of its year's budget: the amount approved while
 * the approval stands, or what was paid, the larger. */
static int64_t
s_committed(const node_claim_t *c)
{
    int64_t a = c->state == NODE_CLAIM_APPROVED || c->state == NODE_CLAIM_PAID
                    ? c->approved
                    : 0;
    return a > c->paid ? a : c->paid;
}

/* The claim's attachments are hashes: 64 lower-case hex digits each,
 * ';'-separated (SPEC 11.6). */
static int
s_check_attachments(const node_claim_t *c, char *why, size_t cap)
{
    const char *p = c->attachments;
    while (*p) {
        size_t n = strcspn(p, ";");
        if (n != 2 * PROTO_HASH_LEN || !proto_hex_lower_valid(p, n))
            return s_say(why, cap,
                         "attachment '%.*s' of claim %s/%s is not a hash "
                         "(64 lower-case hex digits)",
                         (int)(n < 80 ? n : 80), p, c->member, c->code);
        p += n + (p[n] == ';');
    }
    return 0;
}

/* Whether member is revoked on coord's roster (its records no longer
 * count, SPEC 12.2): nothing of it is decided or paid. */
static int
s_check_member(store_t *st, const char *coord, const char *member, char *why,
               size_t cap)
{
    node_roster_t r;
    int rc = node_roster_load(st, coord, &r);
    if (rc)
        return rc;
    const node_member_t *m = node_roster_find(&r, member);
    if (!m)
        rc = s_say(why, cap, "%s is not on the roster", member);
    else if (m->status == NODE_MEMBER_REVOKED)
        rc = s_say(why, cap,
                   "member %s is revoked: its claims are not "
                   "decided nor paid",
                   member);
    node_roster_release(&r);
    return rc;
}

/* One record is approved once: no other claim of the member on the same
 * record and year holds an approval or was paid (a class claimed twice
 * under two codes is not paid twice). */
static int
s_check_twice(const node_claims_t *cs, const node_claim_t *c, char *why,
              size_t cap)
{
    for (size_t i = 0; c->record_kind[0] && i < cs->n; i++) {
        const node_claim_t *o = &cs->v[i];
        if (o == c || strcmp(o->member, c->member) ||
            strcmp(o->record_kind, c->record_kind) ||
            strcmp(o->record, c->record) || o->year != c->year)
            continue;
        if (o->state == NODE_CLAIM_APPROVED || o->state == NODE_CLAIM_PAID ||
            o->paid > 0)
            return s_say(why, cap,
                         "%s '%s' of %d is approved or paid already, under "
                         "claim %s/%s",
                         c->record_kind, c->record, c->year, o->member,
                         o->code);
    }
    return 0;
}

/* An approval's checks (SPEC 11.6); *amount gets the yuan approved. */
static int
s_check_approve(store_t *st, const char *coord, const node_claims_t *cs,
                const node_claim_t *c, int64_t asked_amount, int64_t *amount,
                char *why, size_t cap)
{
    int64_t max, budget, used = 0;
    json_t *rules = json_object();
    int rc = rules ? node_fig_rules(st, coord, rules) : VOCFED_ENOMEM;
    if (rc)
        goto cleanup;
    if (c->record_kind[0] && !c->has_record) {
        rc = s_say(why, cap,
                   "claim %s/%s names %s '%s', which is not a current record "
                   "of %s's own log: a claim can name only its member's own "
                   "records",
                   c->member, c->code, c->record_kind, c->record, c->member);
        goto cleanup;
    }
    if ((rc = s_rule_max(rules, c, &max, why, cap)) ||
        (rc = s_check_attachments(c, why, cap)) ||
        (rc = s_check_twice(cs, c, why, cap)))
        goto cleanup;
    *amount = asked_amount < 0 ? c->asked : asked_amount;
    if (*amount > c->asked)
        rc = s_say(why, cap,
                   "%" PRId64 " yuan is above the %" PRId64 " yuan asked",
                   *amount, c->asked);
    else if (*amount > max)
        rc = s_say(why, cap,
                   "%" PRId64 " yuan is above what the rule allows a %s "
                   "claim of %d: %" PRId64 " yuan (approve with --amount)",
                   *amount, c->subject, c->year, max);
    if (rc)
        goto cleanup;
    budget =
        node_fig_rule_value(rules, "subsidy_total", c->year, "budget", 5000000);
    for (size_t i = 0; i < cs->n; i++)
        if (cs->v[i].year == c->year && &cs->v[i] != c)
            used += s_committed(&cs->v[i]);
    int64_t mine = *amount > c->paid ? *amount : c->paid;
    if (used + mine > budget)
        rc = s_say(why, cap,
                   "over the %d budget: %" PRId64 " yuan approved or paid, "
                   "this %" PRId64 " more, budget %" PRId64,
                   c->year, used, mine, budget);
cleanup:
    json_decref(rules);
    return rc;
}

/* Text of an int for the kinds table. */
#define S_INT(buf, v) (snprintf(buf, sizeof buf, "%" PRId64, (int64_t)(v)), buf)

/* The decision's record: it names c's current entries. */
static int
s_write_decision(store_t *st, const char *coord, const uint8_t *sk,
                 const node_claim_t *c, const node_decide_t *d, int64_t amount,
                 uint64_t *seq, char *why, size_t cap)
{
    char key[2 * PROTO_KEY_MAX], year[24], cseq[24], rseq[24], amt[24];
    char chash[2 * PROTO_HASH_LEN + 1], rhash[2 * PROTO_HASH_LEN + 1];
    const char *names[12], *values[12];
    size_t n = 0;
    int w = snprintf(key, sizeof key, "%s/%s", c->member, c->code);
    if (w < 0 || (size_t)w > PROTO_KEY_MAX)
        return s_say(why, cap, "the claim's code is too long for a key");
    proto_hex(c->claim_hash, PROTO_HASH_LEN, chash);
#define ADD(k, v) (names[n] = (k), values[n++] = (v))
    ADD("decision", d->decision);
    ADD("subject", c->subject);
    ADD("year", S_INT(year, c->year));
    ADD("claim_seq", S_INT(cseq, c->claim_seq));
    ADD("claim_hash", chash);
    if (c->has_record) {
        proto_hex(c->record_hash, PROTO_HASH_LEN, rhash);
        ADD("record_kind", c->record_kind);
        ADD("record_key", c->record);
        ADD("record_seq", S_INT(rseq, c->record_seq));
        ADD("record_hash", rhash);
    }
    if (strcmp(d->decision, "approved") == 0)
        ADD("amount", S_INT(amt, amount));
    if (d->note && d->note[0])
        ADD("note", d->note);
#undef ADD
    return s_write(st, coord, sk, NODE_CERT_KIND, key, names, values, n, seq,
                   why, cap);
}

int
node_certify_decide(store_t *st, const char *coord, const uint8_t *sk,
                    const node_decide_t *d, uint64_t *seq, char *why,
                    size_t cap)
{
    node_claims_t cs = {0};
    int64_t amount = 0;
    int rc = node_claims_load(st, coord, NULL, &cs);
    if (rc)
        return rc;
    const node_claim_t *c = node_claims_find(&cs, d->member, d->code);
    if (!c || !c->has_claim) {
        rc = VOCFED_ENOTFOUND;
        s_say(why, cap, "no claim %s/%s in %s's log", d->member, d->code,
              d->member);
    } else if ((rc = s_check_member(st, coord, d->member, why, cap))) {
        /* refused */
    } else if (strcmp(d->decision, "approved") == 0) {
        rc = s_check_approve(st, coord, &cs, c, d->amount, &amount, why, cap);
    } else if (strcmp(d->decision, "revoked") == 0 &&
               (!c->decided || strcmp(c->decision, "approved") != 0)) {
        rc = s_say(why, cap, "claim %s/%s has no approval to revoke (%s)",
                   d->member, d->code, node_claim_state_name(c->state));
    } else if (d->amount >= 0) {
        rc = s_say(why, cap, "an amount is for an approval");
    }
    if (!rc)
        rc = s_write_decision(st, coord, sk, c, d, amount, seq, why, cap);
    node_claims_release(&cs);
    return rc;
}

/* Whether s is a date YYYY-MM-DD (2000-2100, a real day). */
static bool
s_date(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    if (y < 2000 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* A payment's checks against c, as the logs stand. */
static int
s_check_pay(const node_claims_t *cs, const node_claim_t *c, const node_pay_t *p,
            char *why, size_t cap)
{
    if (!c || !c->has_claim)
        return s_say(why, cap, "no claim %s/%s", p->member, p->code);
    if (c->state == NODE_CLAIM_CHANGED)
        return s_say(why, cap,
                     "claim %s/%s changed since its decision: decide it "
                     "again before paying",
                     p->member, p->code);
    if (c->state != NODE_CLAIM_APPROVED && c->state != NODE_CLAIM_PAID)
        return s_say(why, cap, "claim %s/%s is not approved (%s)", p->member,
                     p->code, node_claim_state_name(c->state));
    if (p->amount <= 0 || p->amount > c->approved - c->paid)
        return s_say(why, cap,
                     "%" PRId64 " yuan is above the approved amount: "
                     "approved %" PRId64 ", paid %" PRId64 ", at most %" PRId64
                     " more",
                     p->amount, c->approved, c->paid,
                     c->approved - c->paid > 0 ? c->approved - c->paid : 0);
    if (!s_date(p->date))
        return s_say(why, cap, "date '%s' is not a date YYYY-MM-DD", p->date);
    size_t vlen = strlen(p->voucher);
    if (!vlen || vlen > NODE_CERT_VOUCHER_MAX || strchr(p->voucher, '/') ||
        !proto_key_valid(p->voucher, vlen))
        return s_say(why, cap, "voucher '%s': printable, no '/', 1-%d bytes",
                     p->voucher, NODE_CERT_VOUCHER_MAX);
    for (size_t i = 0; i < cs->npay; i++)
        if (strcmp(cs->pay[i].member, p->member) == 0 &&
            strcmp(cs->pay[i].code, p->code) == 0 &&
            strcmp(cs->pay[i].voucher, p->voucher) == 0)
            return s_say(why, cap, "voucher %s is recorded for %s/%s already",
                         p->voucher, p->member, p->code);
    return 0;
}

int
node_certify_pay(store_t *st, const char *coord, const uint8_t *sk,
                 const node_pay_t *p, uint64_t *seq, char *why, size_t cap)
{
    node_claims_t cs = {0};
    char key[3 * PROTO_KEY_MAX], amt[24], dseq[24];
    int rc = node_claims_load(st, coord, NULL, &cs);
    if (rc)
        return rc;
    const node_claim_t *c = node_claims_find(&cs, p->member, p->code);
    if (!c || !c->has_claim) {
        s_say(why, cap, "no claim %s/%s in %s's log", p->member, p->code,
              p->member);
        rc = VOCFED_ENOTFOUND;
        goto cleanup;
    }
    if ((rc = s_check_member(st, coord, p->member, why, cap)) ||
        (rc = s_check_pay(&cs, c, p, why, cap)))
        goto cleanup;
    int w =
        snprintf(key, sizeof key, "%s/%s/%s", p->member, p->code, p->voucher);
    if (w < 0 || (size_t)w > PROTO_KEY_MAX) {
        rc = s_say(why, cap, "claim code and voucher too long for a key");
        goto cleanup;
    }
    const char *names[4] = {"amount", "date", "decision_seq", "note"};
    const char *values[4] = {S_INT(amt, p->amount), p->date,
                             S_INT(dseq, c->decision_seq),
                             p->note ? p->note : ""};
    rc = s_write(st, coord, sk, NODE_PAY_KIND, key, names, values, 4, seq, why,
                 cap);
cleanup:
    node_claims_release(&cs);
    return rc;
}
