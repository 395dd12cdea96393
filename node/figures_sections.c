/* vocfed: the report's sections beside the figures (see
 * figures_sections.h; SPEC 12.3). */
#include "node/figures_sections.h"

#include "node/figures_catalogue.h"
#include "node/figures_rules.h"
#include "node/roster.h"
#include "protocol/clock.h"
#include "protocol/entry.h"
#include "protocol/region.h"
#include "storage/replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One `school` record into the object ctx: code -> name. */
static int
s_school(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
         size_t len)
{
    json_t *schools = ctx;
    proto_entry_t e;
    char name[PROTO_KEY_MAX + 1] = "";
    (void)seq;
    if (proto_entry_decode(entry, len, &e) == VOCFED_OK && e.body)
        node_fig_body_str(e.body, e.body_len, "name", name, sizeof name);
    return json_object_set_new(schools, key, json_string(name)) ? VOCFED_ENOMEM
                                                                : VOCFED_OK;
}

int
node_fig_schools(store_t *st, const char *coord, json_t **out)
{
    json_t *schools = json_object();
    int rc = VOCFED_OK;
    if (!schools)
        return VOCFED_ENOMEM;
    if (coord && coord[0])
        rc = store_scan_records(st, coord, "school", s_school, schools);
    if (rc == VOCFED_ENOTFOUND)
        rc = VOCFED_OK; /* the coordinator's log has not arrived yet */
    if (rc) {
        json_decref(schools);
        return rc;
    }
    *out = schools;
    return VOCFED_OK;
}

/* ---- the subsidy rules by year ------------------------------------------ */

/* One `subsidy_rule` record of the coordinator into the rules tree
 * id -> from_year -> {amount, threshold, budget} (SPEC 12.3): key
 * "<rule id>:<from year>", or "<rule id>" (an older store's) from year
 * 0, i.e. every year. */
static int
s_rule_rec(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
           size_t len)
{
    static const char *const fields[] = {"amount", "threshold", "budget"};
    json_t *rules = ctx, *one = json_object(), *byyear;
    char id[PROTO_KEY_MAX + 1], ys[16];
    int from;
    proto_entry_t e;
    (void)seq;
    if (!one)
        return VOCFED_ENOMEM;
    if (!node_figcat_key_year(key, id, sizeof id, &from) ||
        proto_entry_decode(entry, len, &e) || !e.body) {
        json_decref(one);
        return VOCFED_OK;
    }
    for (size_t i = 0; i < 3; i++) {
        int64_t x;
        if (node_fig_body_int(e.body, e.body_len, fields[i], &x))
            json_object_set_new(one, fields[i], json_integer(x));
    }
    if (!(byyear = json_object_get(rules, id)))
        json_object_set_new(rules, id, byyear = json_object());
    snprintf(ys, sizeof ys, "%d", from);
    json_object_set_new(byyear, ys, one);
    return VOCFED_OK;
}

int
node_fig_rules(store_t *st, const char *coord, json_t *rules)
{
    int rc = VOCFED_OK;
    if (coord && coord[0])
        rc = store_scan_records(st, coord, "subsidy_rule", s_rule_rec, rules);
    return rc == VOCFED_ENOTFOUND ? VOCFED_OK : rc;
}

int64_t
node_fig_rule_value(json_t *rules, const char *id, int year, const char *field,
                    int64_t fallback)
{
    const char *ys;
    json_t *one, *best = NULL;
    long best_from = -1;
    json_object_foreach(json_object_get(rules, id), ys, one)
    {
        long from = strtol(ys, NULL, 10);
        if (from <= year && from > best_from) {
            best_from = from;
            best = one;
        }
    }
    json_t *v = json_object_get(best, field);
    return v ? (int64_t)json_integer_value(v) : fallback;
}

/* ---- the members ----------------------------------------------------------
 */

typedef struct {
    store_t *st;       /* the store */
    json_t *members;   /* id -> {...} */
    const char *coord; /* skip */
    uint64_t now_ms;   /* the moment ages are counted to */
} s_mem_t;

/* How far a member is from the coordinator (SPEC 12.3). */
typedef struct {
    uint64_t unsent;      /* its entries the coordinator does not hold */
    bool receipt_missing; /* no receipt from it for the coordinator's log
                             as it stands */
} s_lag_t;

/* At the coordinator: what the member last said it holds of its log
 * (hello, heartbeat) beyond what we hold, and whether its receipt for our
 * log is behind our log. At the member itself (the coordinator's receipt
 * for its log is kept): what the coordinator has not acknowledged. */
static void
s_member_lag(const s_mem_t *m, const char *id, uint64_t held, s_lag_t *out)
{
    store_said_t said;
    store_ack_t ack;
    store_head_t own;
    *out = (s_lag_t){0};
    if (!m->coord)
        return;
    if (store_peer_ack_get(m->st, m->coord, id, &ack) == VOCFED_OK) {
        out->unsent = held > ack.acked ? held - ack.acked : 0;
        return; /* we are that member */
    }
    if (store_peer_said_get(m->st, id, id, &said) == VOCFED_OK &&
        said.size > held)
        out->unsent = said.size - held;
    if (store_head(m->st, m->coord, &own) == VOCFED_OK && own.size > 0)
        out->receipt_missing =
            store_peer_ack_get(m->st, id, m->coord, &ack) != VOCFED_OK ||
            ack.acked < own.size;
}

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
    if (store_record_get(m->st, id, NODE_FIG_PROFILE_KIND, NODE_FIG_PROFILE_KEY,
                         &b, &seq) == VOCFED_OK &&
        proto_entry_decode(b.data, b.len, &e) == VOCFED_OK)
        for (int i = 0; i < 5; i++)
            node_fig_body_str(e.body, e.body_len, names[i], f[i], sizeof f[i]);
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
    s_lag_t lag;
    s_member_lag(m, id, h.size, &lag);
    uint64_t now = m->now_ms;
    json_int_t age = !h.time_ms         ? -1
                     : now >= h.time_ms ? (json_int_t)((now - h.time_ms) / 1000)
                                        : 0;
    json_object_set_new(
        m->members, id,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, "
                  "s:b, s:b}",
                  "name_zh", f[0], "name_en", f[1], "role", f[2],
                  "original_affiliation", f[3], "region_code", f[4],
                  "region_name",
                  proto_region_name(f[4]) ? proto_region_name(f[4]) : "",
                  "size", (json_int_t)h.size, "root", root, "checkpoint_time",
                  when, "signed_age_s", age, "unsent", (json_int_t)lag.unsent,
                  "receipt_missing", lag.receipt_missing, "behind",
                  lag.unsent > 0 || lag.receipt_missing));
    return VOCFED_OK;
}

int
node_fig_members(store_t *st, const char *coord, uint64_t now_ms, json_t **out)
{
    s_mem_t m = {st, json_object(), coord, now_ms};
    int rc =
        m.members ? store_scan_authors(st, s_member_info, &m) : VOCFED_ENOMEM;
    if (rc) {
        json_decref(m.members);
        return rc;
    }
    *out = m.members;
    return VOCFED_OK;
}

/* ---- the point the figures are of --------------------------------------- */

/* ms since 1970 as "2026-03-01T08:00:00Z", "" for 0. */
static void
s_utc(uint64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    out[0] = '\0';
    if (ms && gmtime_r(&t, &tm))
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *
node_fig_applied_new(bool caught_up)
{
    return json_pack("{s:b, s:b, s:I, s:{}}", "caught_up", caught_up,
                     "complete", true, "unapplied", (json_int_t)0, "logs");
}

int
node_fig_applied_add(void *ctx, const store_as_of_t *a)
{
    json_t *applied = ctx;
    char when[32];
    s_utc(a->applied_ms, when, sizeof when);
    json_t *one =
        json_pack("{s:I, s:I, s:s}", "applied", (json_int_t)a->applied, "size",
                  (json_int_t)a->size, "applied_time", when);
    if (!one ||
        json_object_set_new(json_object_get(applied, "logs"), a->id, one))
        return VOCFED_ENOMEM;
    json_t *n = json_object_get(applied, "unapplied");
    json_int_t lag = (json_int_t)(a->size - a->applied);
    return json_integer_set(n, json_integer_value(n) + lag) ? VOCFED_ENOMEM
                                                            : VOCFED_OK;
}

void
node_fig_applied_end(json_t *applied)
{
    json_int_t n = json_integer_value(json_object_get(applied, "unapplied"));
    json_object_set_new(applied, "complete", json_boolean(n == 0));
}

/* ---- conflicts and exclusions ------------------------------------------- */

/* One claim as {member, payee}. */
static json_t *
s_claim(const node_fig_claim_t *c)
{
    return json_pack("{s:s, s:s}", "member", c->member ? c->member : "",
                     "payee", c->payee ? c->payee : "");
}

int
node_fig_conflict_json(void *ctx, node_counter_t counter, int year,
                       const char *identity, const node_fig_claim_t *claims,
                       size_t n)
{
    const node_fig_def_t *fig = node_figcat_counter_figure(counter);
    const char *key = node_counter_key(counter);
    json_t *others = json_array(), *c;
    if (!others || n == 0)
        return others ? (json_decref(others), VOCFED_OK) : VOCFED_ENOMEM;
    if (identity && strncmp(identity, "p:", 2) == 0)
        identity += 2;
    for (size_t i = 1; i < n; i++)
        json_array_append_new(others, s_claim(&claims[i]));
    c = json_pack("{s:s, s:s, s:i, s:s, s:o, s:o}", "figure",
                  fig ? fig->id : "", "counter", key ? key : "", "year", year,
                  "person", identity ? identity : "", "paid",
                  s_claim(&claims[0]), "others", others);
    return c && !json_array_append_new(ctx, c) ? VOCFED_OK : VOCFED_ENOMEM;
}

int
node_fig_excluded_json(void *ctx, const char *member, const char *why,
                       int64_t records)
{
    json_t *x = json_pack("{s:s, s:s, s:I}", "member", member, "why",
                          why ? why : "", "records", (json_int_t)records);
    return x && !json_array_append_new(ctx, x) ? VOCFED_OK : VOCFED_ENOMEM;
}

/* Each member's roster state and quarantine (SPEC 12.3). */
static int
s_roster(store_t *st, const char *coord, json_t *members)
{
    node_roster_t r = {NULL, 0};
    const char *id;
    json_t *m;
    int rc = VOCFED_OK;
    if (coord && coord[0])
        rc = node_roster_load(st, coord, &r);
    if (rc == VOCFED_ENOTFOUND)
        rc = VOCFED_OK;
    json_object_foreach(members, id, m)
    {
        const node_member_t *e = rc ? NULL : node_roster_find(&r, id);
        json_object_set_new(m, "roster",
                            e ? json_string(node_member_status_name(e->status))
                              : json_null());
        json_object_set_new(m, "quarantined",
                            json_boolean(store_quarantined(st, id)));
    }
    node_roster_release(&r);
    return rc;
}

int
node_fig_sections(store_t *st, const char *coord, json_t *report)
{
    json_t *conflicts = json_array(), *excluded = json_array();
    int rc = VOCFED_ENOMEM;
    if (!conflicts || !excluded)
        goto done;
    if ((rc = node_figures_conflicts(st, node_fig_conflict_json, conflicts)) ||
        (rc = node_figures_excluded(st, node_fig_excluded_json, excluded)) ||
        (rc = s_roster(st, coord, json_object_get(report, "members"))))
        goto done;
    rc = json_object_set(report, "conflicts", conflicts) ||
                 json_object_set(report, "excluded", excluded)
             ? VOCFED_ENOMEM
             : VOCFED_OK;
done:
    json_decref(conflicts);
    json_decref(excluded);
    return rc;
}
