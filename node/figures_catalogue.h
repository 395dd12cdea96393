/* vocfed: the figure catalogue, one table (DESIGN 7, SPEC 12).
 *
 * Every figure the report shows is one row: its id, labels, unit, whether
 * it is given per year, its shape (how the report model computes it from
 * the counters), the counters it reads, the subsidy rules it is paid by
 * (with their default amounts) and the policy's targets. From this table
 * come the figures' JSON (node_figures_json, in the table's order), the
 * coordinator's seed (`target` and `subsidy_rule` records, node/seed.c)
 * and the report's order (the table's, which is DESIGN 7's). The counters
 * are the other table: what the rules (node/figures_rules.c) feed, by a number
 * kept in the stored identity lists and a short key kept in the counter keys
 * (SPEC 12.2): both are storage format and never change.
 *
 * Adding a figure: one row here (and its counters, appended to
 * node_counter_t, with the rule that feeds them in figures_rules.c). The
 * table is constant data; nothing here allocates. */
#ifndef VOCFED_NODE_FIGURES_CATALOGUE_H
#define VOCFED_NODE_FIGURES_CATALOGUE_H

#include "protocol/kinds.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The policy's years (2024-2027): the baseline of targets years ahead,
 * and the years a report lists even without data. */
#define NODE_FIG_BASE_YEAR 2024
#define NODE_FIG_LAST_YEAR 2027

/* The counters (SPEC 12.1, 12.2). The number is stored in identity
 * lists: append new ones before NODE_C_COUNT, never renumber. */
typedef enum {
    NODE_C_HV = 0, /* hv: higher-vocational enrolled people */
    NODE_C_SV,     /* sv: secondary-vocational enrolled people */
    NODE_C_TPT,    /* tpt: training person-times (per year) */
    NODE_C_LRN,    /* lrn: local retention numerator (per cohort) */
    NODE_C_LRD,    /* lrd: local retention denominator */
    NODE_C_LRA,    /* lra: all higher-vocational graduates of a cohort */
    NODE_C_IND,    /* ind: active majors per industry (payee = industry) */
    NODE_C_DQN,    /* dqn: dual-qualified professional full-time teachers */
    NODE_C_DQD,    /* dqd: professional full-time teachers */
    NODE_C_SHN,    /* shn: self-hired posts (per year) */
    NODE_C_SHD,    /* shd: authorised posts (per year) */
    NODE_C_COOP,   /* coop: cooperation classes at the threshold (cohort) */
    NODE_C_SSI,    /* ssi: local secondary intake with a source school */
    NODE_C_CCI,    /* cci: non-local secondary intake (payee = member) */
    NODE_C_ICOL,   /* icol: provincial industry colleges recognised */
    NODE_C_CONSP,  /* consp: provincial consortia recognised */
    NODE_C_CONSN,  /* consn: national consortia recognised */
    NODE_C_SVO,    /* svo: secondary intake by local origin region
                      (payee = the region; the county assessment) */
    NODE_C_HVO,    /* hvo: higher-vocational intake by local origin */
    NODE_C_P32,    /* p32: a 3+2 or five-year secondary start (cohort
                      year = intake year): joined with hv and lra (in
                      higher study, or graduated from it) into p32c, p32n */
    NODE_C_COUNT,  /* how many; also "none" in a figure's row */
} node_counter_t;

/* How the report model computes a figure from its counters (SPEC 12.3). */
typedef enum {
    NODE_FIG_PEOPLE = 0, /* a count of people now: value, target at
                            target_year, on track against the 2024 line */
    NODE_FIG_SUM,        /* per year: the counter's value against that
                            year's target */
    NODE_FIG_RATIO,      /* per year: num / den against that year's target */
    NODE_FIG_MONEY,      /* per year: each rule's count x its amount */
    NODE_FIG_TOTAL,      /* per year: the money figures' sum vs the budget */
    NODE_FIG_COVERAGE,   /* the coordinator's leading industries covered by
                            the num counter's payees */
    NODE_FIG_SHARE,      /* a ratio now, without a target */
} node_fig_shape_t;

/* A subsidy rule a figure is paid by: the coordinator's `subsidy_rule`
 * record of that key, or these defaults while it has none. */
typedef struct {
    const char *id;         /* the record's key: "coop_class_subsidy" */
    const char *part;       /* its member in a figure of several rules
                               ("provincial"), NULL for a figure of one */
    node_counter_t counter; /* what it pays for */
    int64_t amount;         /* default amount, yuan */
    int64_t threshold;      /* default threshold, 0 for none */
    int64_t budget;         /* default yearly budget, 0 for none */
} node_fig_rule_t;

/* A target of the policy: the seed's `target` record `<id>:<year>`. */
typedef struct {
    int year;          /* the year it is for */
    const char *value; /* a decimal, as `vocfed put` takes it */
} node_fig_target_t;

/* One figure of the report. */
typedef struct {
    const char *id;                   /* "hv_enrolled" */
    const char *zh;                   /* label, zh-CN */
    const char *en;                   /* label, English */
    const char *unit;                 /* "people", "rate", "yuan"... */
    bool per_year;                    /* given by_year */
    node_fig_shape_t shape;           /* how it is computed */
    node_counter_t num;               /* the count, or a ratio's top */
    node_counter_t den;               /* a ratio's bottom, or NODE_C_COUNT */
    node_counter_t all;               /* a second bottom shown as
                                         "all_graduates", or NODE_C_COUNT */
    double member_floor;              /* ratio a member must reach when the
                                         year has no target, for
                                         members_meeting; 0: not listed */
    int target_year;                  /* year of a target that is not
                                         per year (0: per year) */
    const node_fig_rule_t *rules;     /* what pays it (money, total) */
    size_t nrules;                    /* how many */
    const node_fig_target_t *targets; /* the policy's targets (seed) */
    size_t ntargets;                  /* how many */
    bool stock;                       /* a stock, counted at a moment (for
                                         a past year: its census date,
                                         SPEC 12.5); else a flow, counted
                                         by the year it belongs to */
} node_fig_def_t;

/* The catalogue, in the figures' JSON order; *n gets its size. */
const node_fig_def_t *node_figcat(size_t *n);

/* The figure whose id is id, or NULL. */
const node_fig_def_t *node_figcat_find(const char *id);

/* The subsidy rule whose record key is id (of any figure), or NULL. */
const node_fig_rule_t *node_figcat_rule(const char *id);

/* Splits a coordinator's key "<id>:<year>" (SPEC 11.1): id gets the
 * part before the last ':' and *year the year after it (2000-2100); a
 * key without such a year is all id, with *year 0 (an older store's
 * `subsidy_rule` key, which applies to every year). Returns false when
 * the id does not fit in cap bytes. */
bool node_figcat_key_year(const char *key, char *id, size_t cap, int *year);

/* Checks that a coordinator's record of kind/key names the catalogue
 * (SPEC 11.1): a `target` key is `<figure id>:<year>` of a figure in the
 * catalogue, a `subsidy_rule` key `<rule id>` or `<rule id>:<from year>`
 * of a rule in it, a `census_date` key a year (2000-2100) or `default`
 * (SPEC 12.5); any other kind passes. For writes (node_append_as,
 * `vocfed put`, `vocfed import`): ingest does not call it, so that a
 * coordinator's history stays readable whatever the catalogue becomes.
 * Returns 0 or VOCFED_EINVALID with err filled (err may be NULL). */
int node_figcat_check(const char *kind, const char *key,
                      proto_kind_error_t *err) VOCFED_WUR;

/* Whether node_figcat_check looks at the keys of kind at all (target,
 * subsidy_rule, census_date); for any other it passes every key. */
bool node_figcat_keyed(const char *kind);

/* The kind of record a payee of counter c must be registered as in the
 * coordinator's log for its payment to be payable ("school" for the
 * source-school incentive, SPEC 12.3), or NULL when any payee is. */
const char *node_figcat_payee_kind(node_counter_t c);

/* The figure a counter belongs to: the one it is the num, den or all
 * counter of, or whose rule pays by it; NULL for none. */
const node_fig_def_t *node_figcat_counter_figure(node_counter_t c);

/* The short key of counter c in the stored counter keys ("hv"), or NULL
 * when c is not a counter. */
const char *node_counter_key(node_counter_t c);

#endif
