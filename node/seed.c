/* vocfed: the coordinator's seed records (see seed.h). */
#include "node/seed.h"
#include "node/node.h"

#include "node/figures_catalogue.h"
#include "protocol/kinds.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One leading industry of the default list. */
typedef struct {
    const char *code; /* the `industry` record's key */
    const char *zh;   /* name_zh */
    const char *en;   /* name_en */
} s_industry_t;

/* The city's leading industries: the policy asks for majors covering all
 * of them (主要目标, 措施 13, 16) without listing them; this is the
 * default list, which the secretariat edits with `vocfed put industry
 * CODE ...`. The targets and amounts come from the figure catalogue
 * (node/figures_catalogue.c), which cites the measures. */
static const s_industry_t s_industries[] = {
    {"auto", "汽车及零部件", "automobiles and parts"},
    {"chemical", "化工新材料", "chemicals and new materials"},
    {"equipment", "高端装备制造", "high-end equipment manufacturing"},
    {"digital", "新一代信息技术", "new-generation information technology"},
    {"textile", "纺织服装", "textiles and garments"},
    {"biomed", "生物医药", "biomedicine"},
    {"new_energy", "新能源", "new energy"},
    {"food", "绿色食品", "green food"},
};

/* The records being made: their keys and bodies in two arenas, pointed
 * at once the arenas stop moving. */
typedef struct {
    store_record_t *recs; /* the records (key and body: offsets first) */
    size_t n;             /* how many so far */
    proto_buf_t keys;     /* their keys, NUL-terminated */
    proto_buf_t bodies;   /* their bodies */
} s_seed_t;

size_t
node_seed_count(void)
{
    size_t n = N(s_industries), nf;
    const node_fig_def_t *f = node_figcat(&nf);
    for (size_t i = 0; i < nf; i++)
        n += f[i].ntargets + f[i].nrules;
    return n;
}

/* Adds the record kind/key with n (field, text value) pairs, read
 * through the kinds table like `vocfed put`. Returns 0, VOCFED_EINVALID
 * (the seed does not pass the kinds table: a bug) or VOCFED_ENOMEM. */
static int
s_add(s_seed_t *s, const char *kind, const char *key, const char *const *names,
      const char *const *values, size_t n)
{
    const proto_kind_def_t *k = proto_kind_find(kind);
    size_t key_off = s->keys.len, body_off = s->bodies.len;
    if (!k || proto_kind_check_key(k, key, NULL) ||
        proto_kind_body(k, names, values, n, &s->bodies, NULL))
        return VOCFED_EINVALID;
    if (proto_buf_append(&s->keys, key, strlen(key) + 1))
        return VOCFED_ENOMEM;
    s->recs[s->n++] =
        (store_record_t){.op = PROTO_OP_PUT,
                         .kind = k->name,
                         .key = (const char *)(uintptr_t)key_off,
                         .body = (const uint8_t *)(uintptr_t)body_off,
                         .body_len = s->bodies.len - body_off};
    return VOCFED_OK;
}

static int
s_industries_add(s_seed_t *s)
{
    static const char *const names[] = {"name_zh", "name_en", "leading"};
    int rc = VOCFED_OK;
    for (size_t i = 0; i < N(s_industries) && !rc; i++) {
        const char *values[] = {s_industries[i].zh, s_industries[i].en, "true"};
        rc = s_add(s, "industry", s_industries[i].code, names, values, 3);
    }
    return rc;
}

/* The catalogue's targets, key "<figure id>:<year>" (DESIGN 7). */
static int
s_targets_add(s_seed_t *s)
{
    static const char *const names[] = {"value"};
    size_t nf;
    const node_fig_def_t *f = node_figcat(&nf);
    int rc = VOCFED_OK;
    for (size_t i = 0; i < nf; i++)
        for (size_t j = 0; j < f[i].ntargets && !rc; j++) {
            char key[PROTO_KEY_MAX + 1];
            const char *values[] = {f[i].targets[j].value};
            snprintf(key, sizeof key, "%s:%d", f[i].id, f[i].targets[j].year);
            rc = s_add(s, "target", key, names, values, 1);
        }
    return rc;
}

/* The catalogue's subsidy rules, key "<rule id>": the amount, and the
 * threshold and budget where the rule has one. */
static int
s_rules_add(s_seed_t *s)
{
    size_t nf;
    const node_fig_def_t *f = node_figcat(&nf);
    int rc = VOCFED_OK;
    for (size_t i = 0; i < nf; i++)
        for (size_t j = 0; j < f[i].nrules && !rc; j++) {
            const node_fig_rule_t *r = &f[i].rules[j];
            char text[3][24];
            const char *names[3], *values[3];
            size_t n = 0;
            int64_t v[3] = {r->amount, r->threshold, r->budget};
            static const char *const fields[3] = {"amount", "threshold",
                                                  "budget"};
            for (size_t k = 0; k < 3; k++) {
                if (k > 0 && v[k] == 0)
                    continue;
                snprintf(text[n], sizeof text[n], "%" PRId64, v[k]);
                names[n] = fields[k];
                values[n] = text[n];
                n++;
            }
            rc = s_add(s, "subsidy_rule", r->id, names, values, n);
        }
    return rc;
}

int
node_seed_coordinator(store_t *store, const char *author,
                      const uint8_t sk[PROTO_SECKEY_LEN], store_head_t *head)
{
    size_t total = node_seed_count();
    s_seed_t s = {.recs = calloc(total, sizeof *s.recs)};
    int rc = VOCFED_ENOMEM;
    proto_buf_init(&s.keys);
    proto_buf_init(&s.bodies);
    if (!s.recs)
        goto done;
    if ((rc = s_industries_add(&s)) || (rc = s_targets_add(&s)) ||
        (rc = s_rules_add(&s)))
        goto done;
    /* The arenas have stopped moving: point at the keys and bodies. */
    for (size_t i = 0; i < s.n; i++) {
        s.recs[i].key = (const char *)s.keys.data + (uintptr_t)s.recs[i].key;
        s.recs[i].body = s.bodies.data + (uintptr_t)s.recs[i].body;
    }
    rc = node_append_as(store, author, sk, true, s.recs, s.n, 0, head, NULL);
done:
    free(s.recs);
    proto_buf_release(&s.keys);
    proto_buf_release(&s.bodies);
    return rc;
}
