/* vocfed: the coordinator's seed records (see seed.h). */
#include "node/seed.h"

#include "protocol/kinds.h"

#include <stdlib.h>
#include <string.h>

#define S_FIELDS_MAX 3

/* One seed record: kind, key, and up to S_FIELDS_MAX (field, text
 * value) pairs, read through the kinds table like `vocfed put`. */
typedef struct {
    const char *kind;                        /* record kind */
    const char *key;                         /* its natural key */
    const char *fields[S_FIELDS_MAX + 1][2]; /* {name, value}, {NULL} ends */
} s_seed_t;

#define INDUSTRY(code, zh, en)                                                 \
    {                                                                          \
        "industry", code,                                                      \
        {                                                                      \
            {"name_zh", zh}, {"name_en", en}, {"leading", "true"},             \
            {                                                                  \
                NULL                                                           \
            }                                                                  \
        }                                                                      \
    }
#define TARGET(key, value)                                                     \
    {                                                                          \
        "target", key,                                                         \
        {                                                                      \
            {"value", value},                                                  \
            {                                                                  \
                NULL                                                           \
            }                                                                  \
        }                                                                      \
    }
#define RULE(key, ...)                                                         \
    {                                                                          \
        "subsidy_rule", key,                                                   \
        {                                                                      \
            __VA_ARGS__,                                                       \
            {                                                                  \
                NULL                                                           \
            }                                                                  \
        }                                                                      \
    }

static const s_seed_t s_seeds[] = {
    /* The city's leading industries: the policy asks for majors covering
     * all of them (主要目标, 措施 13, 16) without listing them; this is
     * the default list, which the secretariat edits with `vocfed put
     * industry CODE ...`. */
    INDUSTRY("auto", "汽车及零部件", "automobiles and parts"),
    INDUSTRY("chemical", "化工新材料", "chemicals and new materials"),
    INDUSTRY("equipment", "高端装备制造", "high-end equipment manufacturing"),
    INDUSTRY("digital", "新一代信息技术",
             "new-generation information technology"),
    INDUSTRY("textile", "纺织服装", "textiles and garments"),
    INDUSTRY("biomed", "生物医药", "biomedicine"),
    INDUSTRY("new_energy", "新能源", "new energy"),
    INDUSTRY("food", "绿色食品", "green food"),

    /* Targets, key "<figure id>:<year>" (DESIGN 7). 主要目标: 1.4万
     * higher-vocational and 1万 secondary-vocational students in school
     * by 2027, 4万 training person-times a year, majors covering every
     * leading industry. */
    TARGET("hv_enrolled:2027", "14000"),
    TARGET("sv_enrolled:2027", "10000"),
    TARGET("training_person_times:2024", "40000"),
    TARGET("training_person_times:2025", "40000"),
    TARGET("training_person_times:2026", "40000"),
    TARGET("training_person_times:2027", "40000"),
    /* 措施 16: local employment retention 40% (2024), 42%, 45%, 50%
     * (2027). */
    TARGET("local_retention:2024", "0.40"),
    TARGET("local_retention:2025", "0.42"),
    TARGET("local_retention:2026", "0.45"),
    TARGET("local_retention:2027", "0.50"),
    TARGET("industry_coverage:2027", "1"),
    /* 措施 12: each school may self-hire on 20% of its authorised posts. */
    TARGET("self_hired_share:2024", "0.20"),
    TARGET("self_hired_share:2025", "0.20"),
    TARGET("self_hired_share:2026", "0.20"),
    TARGET("self_hired_share:2027", "0.20"),

    /* Amounts in yuan, key "<figure id>". */
    /* 措施 11: 10万 per school-enterprise class of 20 students or more. */
    RULE("coop_class_subsidy", {"amount", "100000"}, {"threshold", "20"}),
    /* 措施 10: 30万 for an industry college built to provincial level. */
    RULE("industry_college_award", {"amount", "300000"}),
    /* 措施 9: 50万 / 100万 for a provincial / national consortium. */
    RULE("consortium_award_provincial", {"amount", "500000"}),
    RULE("consortium_award_national", {"amount", "1000000"}),
    /* 措施 15: 500 per student to a source school in the city, 1000 per
     * student recruited from outside the city. */
    RULE("source_school_incentive", {"amount", "500"}),
    RULE("cross_city_incentive", {"amount", "1000"}),
    /* 保障措施（二）: the annual award budget, 500万 (2024-2027). */
    RULE("subsidy_total", {"amount", "0"}, {"budget", "5000000"}),
};

#define S_N (sizeof s_seeds / sizeof s_seeds[0])

size_t
node_seed_count(void)
{
    return S_N;
}

int
node_seed_coordinator(store_t *store, const char *author,
                      const uint8_t sk[PROTO_SECKEY_LEN], store_head_t *head)
{
    store_record_t recs[S_N];
    size_t off[S_N];
    proto_buf_t bodies;
    int rc = VOCFED_OK;
    proto_buf_init(&bodies);
    for (size_t i = 0; i < S_N; i++) {
        const s_seed_t *s = &s_seeds[i];
        const proto_kind_def_t *k = proto_kind_find(s->kind);
        const char *names[S_FIELDS_MAX], *values[S_FIELDS_MAX];
        size_t n = 0;
        for (; n < S_FIELDS_MAX && s->fields[n][0]; n++) {
            names[n] = s->fields[n][0];
            values[n] = s->fields[n][1];
        }
        off[i] = bodies.len;
        if (!k || proto_kind_check_key(k, s->key, NULL) ||
            proto_kind_body(k, names, values, n, &bodies, NULL)) {
            rc = VOCFED_EINVALID;
            goto done;
        }
        recs[i] = (store_record_t){.op = PROTO_OP_PUT,
                                   .kind = s->kind,
                                   .key = s->key,
                                   .body_len = bodies.len - off[i]};
    }
    /* The buffer has stopped moving: point at the bodies now. */
    for (size_t i = 0; i < S_N; i++)
        recs[i].body = bodies.data + off[i];
    rc = store_append(store, author, sk, recs, S_N, 0, head, NULL);
done:
    proto_buf_release(&bodies);
    return rc;
}
