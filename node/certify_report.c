/* vocfed: the certification sections of the report (certify.h
 * node_certify_sections, SPEC 12.3): claims by state, money in four
 * states, certified beside claimed. */
#include "node/certify.h"
#include "node/certify_i.h"

#include "node/figures_sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *
node_claim_json(const node_claim_t *c)
{
    char ch[2 * PROTO_HASH_LEN + 1] = "", rh[2 * PROTO_HASH_LEN + 1] = "";
    if (c->has_claim)
        proto_hex(c->claim_hash, PROTO_HASH_LEN, ch);
    if (c->has_record)
        proto_hex(c->record_hash, PROTO_HASH_LEN, rh);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:s, s:b, s:s, s:s, s:s}",
        "member", c->member, "claim", c->code, "subject", c->subject, "year",
        c->year, "asked", (json_int_t)c->asked, "quantity",
        (json_int_t)c->quantity, "record_kind", c->record_kind, "record",
        c->record, "record_current", c->has_record, "level", c->level, "state",
        node_claim_state_name(c->state), "attachments", c->attachments);
    if (!j)
        return NULL;
    int fail = json_object_set_new(
        j, "decision",
        json_pack("{s:s, s:I, s:b, s:I, s:s}", "decision", c->decision, "seq",
                  (json_int_t)c->decision_seq, "holds", c->holds, "approved",
                  (json_int_t)c->approved, "note", c->note));
    fail |= json_object_set_new(j, "paid",
                                json_pack("{s:I, s:I}", "amount",
                                          (json_int_t)c->paid, "payments",
                                          (json_int_t)c->npayments));
    fail |= json_object_set_new(
        j, "entries",
        json_pack("{s:I, s:s, s:I, s:s}", "claim_seq", (json_int_t)c->claim_seq,
                  "claim_hash", ch, "record_seq", (json_int_t)c->record_seq,
                  "record_hash", rh));
    if (fail) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The subsidy figure a claim's money is of, or NULL. */
static const char *
s_money_figure(const node_claim_t *c)
{
    if (strcmp(c->subject, "coop_class") == 0)
        return "coop_class_subsidy";
    if (strcmp(c->subject, "industry_college") == 0)
        return "industry_college_award";
    if (strcmp(c->subject, "consortium") == 0)
        return strcmp(c->level, "national") == 0
                   ? "consortium_award_national"
                   : "consortium_award_provincial";
    return NULL;
}

/* Whether an approval of c stands. */
static bool
s_approved(const node_claim_t *c)
{
    return c->state == NODE_CLAIM_APPROVED || c->state == NODE_CLAIM_PAID;
}

/* money["figure|year|member"], made with zeros when new. */
static json_t *
s_money_line(json_t *money, const char *fig, int year, const char *member)
{
    char k[PROTO_ID_MAX + 96];
    snprintf(k, sizeof k, "%s|%d|%s", fig, year, member);
    json_t *l = json_object_get(money, k);
    if (l)
        return l;
    l = json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I}", "figure", fig,
                  "year", year, "member", member, "eligible_count",
                  (json_int_t)0, "eligible", (json_int_t)0, "claimed",
                  (json_int_t)0, "approved", (json_int_t)0, "paid",
                  (json_int_t)0);
    if (l && json_object_set_new(money, k, l))
        return NULL;
    return l;
}

/* Adds v to the integer member name of o. */
static void
s_add(json_t *o, const char *name, int64_t v)
{
    json_t *x = json_object_get(o, name);
    json_integer_set(x, json_integer_value(x) + v);
}

/* Whether a payee is a member of the report (the payee of a subsidy
 * paid to the member itself). */
static bool
s_member_payee(const json_t *report, const char *payee)
{
    return json_object_get(json_object_get(report, "members"), payee);
}

static int
s_cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The money object as an array in key order (figure, year, member). */
static json_t *
s_money_array(json_t *money)
{
    size_t n = json_object_size(money), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    json_t *a = json_array(), *v;
    const char *k;
    if (!keys || !a) {
        free(keys);
        json_decref(a);
        return NULL;
    }
    json_object_foreach(money, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, s_cmp_key);
    for (i = 0; i < n; i++)
        if (json_array_append(a, json_object_get(money, keys[i]))) {
            json_decref(a);
            a = NULL;
            break;
        }
    free(keys);
    return a;
}

/* "money": the subsidies' lines paid to members (eligible) beside the
 * claims' amounts asked, approved and paid. */
static json_t *
s_money(const json_t *report, const node_claims_t *cs)
{
    json_t *money = json_object(), *line, *out = NULL;
    size_t i;
    if (!money)
        return NULL;
    json_array_foreach(json_object_get(report, "subsidies"), i, line)
    {
        const char *payee = json_string_value(json_object_get(line, "payee"));
        if (!payee || !s_member_payee(report, payee))
            continue;
        json_t *l = s_money_line(
            money, json_string_value(json_object_get(line, "figure")),
            (int)json_integer_value(json_object_get(line, "year")), payee);
        if (!l)
            goto cleanup;
        s_add(l, "eligible_count",
              json_integer_value(json_object_get(line, "count")));
        s_add(l, "eligible",
              json_integer_value(json_object_get(line, "total")));
    }
    for (i = 0; i < cs->n; i++) {
        const node_claim_t *c = &cs->v[i];
        const char *fig = s_money_figure(c);
        if (!fig || (!c->has_claim && !c->paid))
            continue;
        json_t *l = s_money_line(money, fig, c->year, c->member);
        if (!l)
            goto cleanup;
        s_add(l, "claimed", c->has_claim ? c->asked : 0);
        s_add(l, "approved", s_approved(c) ? c->approved : 0);
        s_add(l, "paid", c->paid);
    }
    out = s_money_array(money);
cleanup:
    json_decref(money);
    return out;
}

/* "claim_states": per state, how many claims and their yuan. */
static json_t *
s_states(const node_claims_t *cs)
{
    json_t *o = json_object();
    for (int s = 0; o && s < NODE_CLAIM_NSTATES; s++)
        if (json_object_set_new(o, node_claim_state_name((node_claim_state_t)s),
                                json_pack("{s:I, s:I, s:I, s:I}", "count",
                                          (json_int_t)0, "asked", (json_int_t)0,
                                          "approved", (json_int_t)0, "paid",
                                          (json_int_t)0))) {
            json_decref(o);
            return NULL;
        }
    for (size_t i = 0; o && i < cs->n; i++) {
        const node_claim_t *c = &cs->v[i];
        json_t *x = json_object_get(o, node_claim_state_name(c->state));
        s_add(x, "count", 1);
        s_add(x, "asked", c->asked);
        s_add(x, "approved", s_approved(c) ? c->approved : 0);
        s_add(x, "paid", c->paid);
    }
    return o;
}

/* Per year of subsidy_total: claimed, approved, paid, committed (per
 * claim the larger of approved-and-standing and paid) and its status
 * against the budget. */
static int
s_totals(store_t *st, const char *coord, json_t *report,
         const node_claims_t *cs)
{
    json_t *totals = json_object_get(report, "subsidy_total");
    json_t *rules = json_object();
    int rc = rules && totals ? node_fig_rules(st, coord, rules) : VOCFED_ENOMEM;
    for (size_t i = 0; !rc && i < cs->n; i++) {
        const node_claim_t *c = &cs->v[i];
        char ys[16];
        snprintf(ys, sizeof ys, "%d", c->year);
        json_t *y = json_object_get(totals, ys);
        if (!y) {
            int64_t b = node_fig_rule_value(rules, "subsidy_total", c->year,
                                            "budget", 5000000);
            y = json_pack("{s:I, s:I, s:s}", "value", (json_int_t)0, "budget",
                          (json_int_t)b, "status", "within");
            if (!y || json_object_set_new(totals, ys, y)) {
                rc = VOCFED_ENOMEM;
                break;
            }
        }
        int64_t a = s_approved(c) ? c->approved : 0;
        const char *f[] = {"claimed", "approved", "paid", "committed"};
        int64_t v[] = {c->has_claim ? c->asked : 0, a, c->paid,
                       a > c->paid ? a : c->paid};
        for (size_t k = 0; k < 4; k++) {
            if (!json_object_get(y, f[k]))
                json_object_set_new(y, f[k], json_integer(0));
            s_add(y, f[k], v[k]);
        }
    }
    const char *ys;
    json_t *y;
    json_object_foreach(totals, ys, y)
    {
        json_int_t com = json_integer_value(json_object_get(y, "committed"));
        json_int_t b = json_integer_value(json_object_get(y, "budget"));
        json_object_set_new(y, "committed_status",
                            json_string(com <= b ? "within" : "over"));
    }
    json_decref(rules);
    return rc;
}

/* Whether member is a secondary school: it has secondary students in
 * school (the sv_enrolled figure's by_member). */
static bool
s_secondary(const json_t *report, const char *member)
{
    json_t *sv =
        json_object_get(json_object_get(report, "figures"), "sv_enrolled");
    return json_integer_value(
               json_object_get(json_object_get(sv, "by_member"), member)) > 0;
}

/* The dual-qualified teachers certified (an approval that holds, a
 * professional full-time teacher), each pseudo_id once: all, and at the
 * secondary schools (措施 2). {teachers, reported, claimed, certified,
 * certified_share}. */
static json_t *
s_dual(const json_t *report, const node_claims_t *cs, bool secondary)
{
    json_t *people = json_object(), *m;
    json_t *dq = json_object_get(json_object_get(report, "figures"),
                                 "dual_qualified_share");
    json_int_t den = 0, num = 0, claimed = 0;
    const char *id;
    if (!people)
        return NULL;
    for (size_t i = 0; i < cs->n; i++) {
        const node_claim_t *c = &cs->v[i];
        if (!c->has_claim || strcmp(c->subject, "dual_qualified") != 0 ||
            (secondary && !s_secondary(report, c->member)))
            continue;
        claimed++;
        if (s_approved(c) && c->students)
            json_object_set_new(people, c->record, json_true());
    }
    json_object_foreach(json_object_get(dq, "by_member"), id, m)
    {
        if (secondary && !s_secondary(report, id))
            continue;
        den += json_integer_value(json_object_get(m, "denominator"));
        num += json_integer_value(json_object_get(m, "numerator"));
    }
    if (!secondary) { /* the group's own, each person once */
        den = json_integer_value(json_object_get(dq, "denominator"));
        num = json_integer_value(json_object_get(dq, "numerator"));
    }
    json_int_t cert = (json_int_t)json_object_size(people);
    json_decref(people);
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:o}", "teachers", den, "reported", num,
        "claimed", claimed, "certified", cert, "certified_share",
        den > 0 ? json_real((double)cert / (double)den) : json_null());
}

/* Approved cooperation classes per year beside the claimed ones; each
 * year of the coop_class_subsidy figure gets approved_count and
 * approved_value (the amounts of approvals that hold). */
static json_t *
s_coop(json_t *report, const node_claims_t *cs)
{
    json_t *coop = json_object();
    json_t *fig =
        json_object_get(json_object_get(json_object_get(report, "figures"),
                                        "coop_class_subsidy"),
                        "by_year");
    for (size_t i = 0; coop && i < cs->n; i++) {
        const node_claim_t *c = &cs->v[i];
        char ys[16];
        if (!c->has_claim || strcmp(c->subject, "coop_class") != 0)
            continue;
        snprintf(ys, sizeof ys, "%d", c->year);
        json_t *y = json_object_get(coop, ys), *f;
        if (!y && json_object_set_new(coop, ys,
                                      y = json_pack("{s:I, s:I}", "claimed",
                                                    (json_int_t)0, "approved",
                                                    (json_int_t)0))) {
            json_decref(coop);
            return NULL;
        }
        s_add(y, "claimed", 1);
        s_add(y, "approved", s_approved(c));
        if ((f = json_object_get(fig, ys)) && s_approved(c)) {
            if (!json_object_get(f, "approved_count")) {
                json_object_set_new(f, "approved_count", json_integer(0));
                json_object_set_new(f, "approved_value", json_integer(0));
            }
            s_add(f, "approved_count", 1);
            s_add(f, "approved_value", c->approved);
        }
    }
    return coop;
}

/* "certified": approved cooperation classes per year, certified
 * dual-qualified teachers (all, and at secondary schools) beside the
 * claimed and reported ones; the dual_qualified_share figure gets the
 * same as "certified" and "certified_secondary". */
static json_t *
s_certified(json_t *report, const node_claims_t *cs)
{
    json_t *dq_fig = json_object_get(json_object_get(report, "figures"),
                                     "dual_qualified_share");
    json_t *all = s_dual(report, cs, false), *sec = s_dual(report, cs, true);
    json_t *coop = s_coop(report, cs);
    if (dq_fig && all && sec) {
        json_object_set(dq_fig, "certified", all);
        json_object_set(dq_fig, "certified_secondary", sec);
    }
    if (all && sec)
        json_object_set(all, "secondary", sec);
    json_decref(sec);
    return json_pack("{s:o?, s:o?}", "coop_classes", coop, "dual_qualified",
                     all);
}

int
node_certify_sections(store_t *st, const char *coord, json_t *report)
{
    node_claims_t cs = {0};
    json_t *claims = json_array();
    int rc = claims ? node_claims_load(st, coord, NULL, &cs) : VOCFED_ENOMEM;
    for (size_t i = 0; !rc && i < cs.n; i++)
        if (json_array_append_new(claims, node_claim_json(&cs.v[i])))
            rc = VOCFED_ENOMEM;
    if (!rc &&
        (json_object_set_new(report, "claims", claims) ||
         json_object_set_new(report, "claim_states", s_states(&cs)) ||
         json_object_set_new(report, "money", s_money(report, &cs)) ||
         json_object_set_new(report, "certified", s_certified(report, &cs))))
        rc = VOCFED_ENOMEM;
    else if (rc)
        json_decref(claims);
    if (!rc)
        rc = s_totals(st, coord, report, &cs);
    node_claims_release(&cs);
    return rc;
}
