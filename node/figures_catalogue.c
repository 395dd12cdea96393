/* vocfed: the figure catalogue (see figures_catalogue.h; DESIGN 7). The
 * amounts and targets cite the measure of 宜政秘〔2024〕91号 they come
 * from. */
#include "node/figures_catalogue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the counters (SPEC 12.2: storage format) --------------------------- */

static const char *const s_counter_key[NODE_C_COUNT] = {
    [NODE_C_HV] = "hv",       [NODE_C_SV] = "sv",       [NODE_C_TPT] = "tpt",
    [NODE_C_LRN] = "lrn",     [NODE_C_LRD] = "lrd",     [NODE_C_LRA] = "lra",
    [NODE_C_IND] = "ind",     [NODE_C_DQN] = "dqn",     [NODE_C_DQD] = "dqd",
    [NODE_C_SHN] = "shn",     [NODE_C_SHD] = "shd",     [NODE_C_COOP] = "coop",
    [NODE_C_SSI] = "ssi",     [NODE_C_CCI] = "cci",     [NODE_C_ICOL] = "icol",
    [NODE_C_CONSP] = "consp", [NODE_C_CONSN] = "consn", [NODE_C_SVO] = "svo",
    [NODE_C_HVO] = "hvo",     [NODE_C_P32] = "p32",
};

/* ---- targets (主要目标; 措施 12, 16) ------------------------------------ */

/* 1.4万 higher-vocational and 1万 secondary-vocational students in school
 * by 2027. */
static const node_fig_target_t s_t_hv[] = {{2027, "14000"}};
static const node_fig_target_t s_t_sv[] = {{2027, "10000"}};
/* 4万 training person-times a year. */
static const node_fig_target_t s_t_tpt[] = {
    {2024, "40000"}, {2025, "40000"}, {2026, "40000"}, {2027, "40000"}};
/* 措施 16: local employment retention 40% (2024), 42%, 45%, 50% (2027). */
static const node_fig_target_t s_t_lr[] = {
    {2024, "0.40"}, {2025, "0.42"}, {2026, "0.45"}, {2027, "0.50"}};
/* 措施 12: each school may self-hire on 20% of its authorised posts. */
static const node_fig_target_t s_t_sh[] = {
    {2024, "0.20"}, {2025, "0.20"}, {2026, "0.20"}, {2027, "0.20"}};
/* Majors covering every leading industry by 2027. */
static const node_fig_target_t s_t_ind[] = {{2027, "1"}};

/* ---- subsidy rules, amounts in yuan ------------------------------------- */

/* 措施 11: 10万 per school-enterprise class of 20 students or more. */
static const node_fig_rule_t s_r_coop[] = {
    {"coop_class_subsidy", NULL, NODE_C_COOP, 100000, 20, 0}};
/* 措施 15: 500 per student to a source school in the city, 1000 per
 * student recruited from outside the city. */
static const node_fig_rule_t s_r_ssi[] = {
    {"source_school_incentive", NULL, NODE_C_SSI, 500, 0, 0}};
static const node_fig_rule_t s_r_cci[] = {
    {"cross_city_incentive", NULL, NODE_C_CCI, 1000, 0, 0}};
/* 措施 10: 30万 for an industry college built to provincial level. */
static const node_fig_rule_t s_r_icol[] = {
    {"industry_college_award", NULL, NODE_C_ICOL, 300000, 0, 0}};
/* 措施 9: 50万 / 100万 for a provincial / national consortium. */
static const node_fig_rule_t s_r_cons[] = {
    {"consortium_award_provincial", "provincial", NODE_C_CONSP, 500000, 0, 0},
    {"consortium_award_national", "national", NODE_C_CONSN, 1000000, 0, 0}};
/* 保障措施（二）: the annual award budget, 500万 (2024-2027). */
static const node_fig_rule_t s_r_total[] = {
    {"subsidy_total", NULL, NODE_C_COUNT, 0, 0, 5000000}};

/* ---- the figures -------------------------------------------------------- */

#define NONE NODE_C_COUNT
#define T(a) a, N(a)
#define NO_T NULL, 0

static const node_fig_def_t s_figs[] = {
    {"hv_enrolled", "高职在校生", "higher-vocational students in school",
     "people", false, NODE_FIG_PEOPLE, NODE_C_HV, NONE, NONE, 0, 2027, NO_T,
     T(s_t_hv), true},
    {"sv_enrolled", "中职在校生", "secondary-vocational students in school",
     "people", false, NODE_FIG_PEOPLE, NODE_C_SV, NONE, NONE, 0, 2027, NO_T,
     T(s_t_sv), true},
    {"training_person_times", "职业技能培训", "training person-times",
     "person-times", true, NODE_FIG_SUM, NODE_C_TPT, NONE, NONE, 0, 0, NO_T,
     T(s_t_tpt), false},
    {"local_retention", "高职毕业生留地就业率", "local employment retention",
     "rate", true, NODE_FIG_RATIO, NODE_C_LRN, NODE_C_LRD, NODE_C_LRA, 0, 0,
     NO_T, T(s_t_lr), false},
    {"industry_coverage", "主导产业专业覆盖率", "leading-industry coverage",
     "rate", false, NODE_FIG_COVERAGE, NODE_C_IND, NONE, NONE, 0, 2027, NO_T,
     T(s_t_ind), true},
    {"dual_qualified_share", "双师型教师占比", "dual-qualified teachers",
     "rate", false, NODE_FIG_SHARE, NODE_C_DQN, NODE_C_DQD, NONE, 0, 0, NO_T,
     NO_T, true},
    {"self_hired_share", "自主招聘教师比例", "self-hired posts", "rate", true,
     NODE_FIG_RATIO, NODE_C_SHN, NODE_C_SHD, NONE, 0.20, 0, NO_T, T(s_t_sh),
     true},
    {"coop_class_subsidy", "校企合作班补助", "cooperation-class subsidy",
     "yuan", true, NODE_FIG_MONEY, NONE, NONE, NONE, 0, 0, T(s_r_coop), NO_T,
     false},
    {"source_school_incentive", "生源学校奖励", "source-school incentive",
     "yuan", true, NODE_FIG_MONEY, NONE, NONE, NONE, 0, 0, T(s_r_ssi), NO_T,
     false},
    {"cross_city_incentive", "跨市招生奖励", "cross-city recruitment incentive",
     "yuan", true, NODE_FIG_MONEY, NONE, NONE, NONE, 0, 0, T(s_r_cci), NO_T,
     false},
    {"industry_college_award", "产业学院奖补", "industry-college award", "yuan",
     true, NODE_FIG_MONEY, NONE, NONE, NONE, 0, 0, T(s_r_icol), NO_T, false},
    {"consortium_award", "产教联合体奖补", "consortium award", "yuan", true,
     NODE_FIG_MONEY, NONE, NONE, NONE, 0, 0, T(s_r_cons), NO_T, false},
    {"subsidy_total", "奖补合计", "subsidy total", "yuan", true, NODE_FIG_TOTAL,
     NONE, NONE, NONE, 0, 0, T(s_r_total), NO_T, false},
};

const node_fig_def_t *
node_figcat(size_t *n)
{
    *n = N(s_figs);
    return s_figs;
}

const node_fig_def_t *
node_figcat_find(const char *id)
{
    for (size_t i = 0; i < N(s_figs); i++)
        if (strcmp(s_figs[i].id, id) == 0)
            return &s_figs[i];
    return NULL;
}

const node_fig_rule_t *
node_figcat_rule(const char *id)
{
    for (size_t i = 0; i < N(s_figs); i++)
        for (size_t j = 0; j < s_figs[i].nrules; j++)
            if (strcmp(s_figs[i].rules[j].id, id) == 0)
                return &s_figs[i].rules[j];
    return NULL;
}

const char *
node_counter_key(node_counter_t c)
{
    return (unsigned)c < NODE_C_COUNT ? s_counter_key[c] : NULL;
}

bool
node_figcat_key_year(const char *key, char *id, size_t cap, int *year)
{
    const char *colon = strrchr(key, ':');
    size_t len = strlen(key);
    *year = 0;
    if (colon && strlen(colon + 1) == 4 && colon[1] >= '1' && colon[1] <= '9' &&
        strspn(colon + 1, "0123456789") == 4) {
        int y = 0;
        for (int i = 1; i <= 4; i++)
            y = y * 10 + (colon[i] - '0');
        if (y >= 2000 && y <= 2100) {
            *year = y;
            len = (size_t)(colon - key);
        }
    }
    if (len >= cap)
        return false;
    memcpy(id, key, len);
    id[len] = 0;
    return true;
}

/* Fills err (if any) for a key that does not name the catalogue. */
static int
s_check_refuse(proto_kind_error_t *err, const char *key, const char *zh,
               const char *en)
{
    if (err) {
        snprintf(err->field, sizeof err->field, "%s", "");
        snprintf(err->value, sizeof err->value, "%.127s", key);
        snprintf(err->reason_zh, sizeof err->reason_zh, "%s", zh);
        snprintf(err->reason_en, sizeof err->reason_en, "%s", en);
    }
    return VOCFED_EINVALID;
}

/* A census_date key: "default", or a year 2000-2100 (SPEC 12.5). */
static int
s_check_census(const char *key, proto_kind_error_t *err)
{
    char *end;
    errno = 0;
    unsigned long y = strtoul(key, &end, 10);
    if (!strcmp(key, "default") || (key[0] >= '0' && key[0] <= '9' && !*end &&
                                    !errno && y >= 2000 && y <= 2100))
        return VOCFED_OK;
    return s_check_refuse(err, key,
                          "统计时点的键应为年份（2000-2100）或 default",
                          "the key of a census_date is a year (2000-2100) "
                          "or default");
}

bool
node_figcat_keyed(const char *kind)
{
    return strcmp(kind, "census_date") == 0 || strcmp(kind, "target") == 0 ||
           strcmp(kind, "subsidy_rule") == 0;
}

int
node_figcat_check(const char *kind, const char *key, proto_kind_error_t *err)
{
    char id[PROTO_KEY_MAX + 1];
    int year;
    if (strcmp(kind, "census_date") == 0)
        return s_check_census(key, err);
    bool target = strcmp(kind, "target") == 0;
    if (!target && strcmp(kind, "subsidy_rule") != 0)
        return VOCFED_OK;
    if (!node_figcat_key_year(key, id, sizeof id, &year))
        return s_check_refuse(err, key, "键过长", "the key is too long");
    if (target && !year)
        return s_check_refuse(err, key,
                              "目标的键应为 指标代码:年份，如 "
                              "hv_enrolled:2027",
                              "the key of a target is <figure id>:<year> "
                              "(2000-2100), e.g. hv_enrolled:2027");
    if (target && !node_figcat_find(id))
        return s_check_refuse(err, key,
                              "不是指标目录中的指标（vocfed report 列出指标）",
                              "not a figure of the catalogue: the figure "
                              "ids are those of vocfed report "
                              "(hv_enrolled, training_person_times...)");
    if (!target && !node_figcat_rule(id))
        return s_check_refuse(err, key, "不是指标目录中的奖补规则",
                              "not a subsidy rule of the catalogue: "
                              "<rule id> or <rule id>:<from year>, the rule "
                              "ids being those seeded (coop_class_subsidy, "
                              "source_school_incentive, subsidy_total...)");
    return VOCFED_OK;
}

const char *
node_figcat_payee_kind(node_counter_t c)
{
    return c == NODE_C_SSI ? "school" : NULL;
}

const node_fig_def_t *
node_figcat_counter_figure(node_counter_t c)
{
    for (size_t i = 0; i < N(s_figs) && c != NODE_C_COUNT; i++) {
        const node_fig_def_t *f = &s_figs[i];
        if (f->num == c || f->den == c || f->all == c)
            return f;
        for (size_t j = 0; j < f->nrules; j++)
            if (f->rules[j].counter == c)
                return f;
    }
    return NULL;
}
