/* vocfed: the report's sections beside the figures (SPEC 12.3).
 *
 * What node_figures_json adds to the figures: the coordinator's
 * registered source schools (the payees the source-school incentive may
 * pay), the contested claims (`conflicts`, from node_figures_conflicts),
 * the members kept out of the figures (`excluded`, from
 * node_figures_excluded) and each member's roster state. The callbacks
 * that turn the engine's claims and exclusions into JSON are public so
 * that tests can feed them claims of their own. */
#ifndef VOCFED_NODE_FIGURES_SECTIONS_H
#define VOCFED_NODE_FIGURES_SECTIONS_H

#include "node/figures.h"

#include <jansson.h>

/* The coordinator's `subsidy_rule` records into the object rules as a
 * tree rule id -> from year -> {amount, threshold, budget} (SPEC 12.3):
 * key "<rule id>:<from year>", or "<rule id>" (the seed's, an older
 * store's) from year 0, i.e. every year. Nothing without a coordinator.
 * Returns 0, VOCFED_ENOMEM or a store status. */
int node_fig_rules(store_t *st, const char *coord, json_t *rules) VOCFED_WUR;

/* A field of rule id in year, from rules (node_fig_rules): the record of
 * the greatest from year not after year, else fallback (also when that
 * record lacks the field). */
int64_t node_fig_rule_value(json_t *rules, const char *id, int year,
                            const char *field, int64_t fallback);

/* The members as the report lists them (every author but coord): id ->
 * {name_zh, name_en, role, original_affiliation, region_code, region_name (GB/T
 * 2260, "" unknown), size, root, checkpoint_time, signed_age_s (since its last
 * signed entry; -1 none), unsent (its entries the coordinator does not hold:
 * what it said in its last hello or heartbeat, SPEC 12.3), receipt_missing (no
 * receipt from it for the coordinator's log as it stands), behind (unsent or
 * receipt_missing)} into *out (owned by the caller); signed_age_s is
 * counted to now_ms.
 * Returns 0, VOCFED_ENOMEM or a store status. */
int node_fig_members(store_t *st, const char *coord, uint64_t now_ms,
                     json_t **out) VOCFED_WUR;

/* The coordinator's `school` records as an object code -> name into
 * *out (owned by the caller; empty without a coordinator or schools).
 * Returns 0, VOCFED_ENOMEM or a store status. */
int node_fig_schools(store_t *st, const char *coord, json_t **out) VOCFED_WUR;

/* A node_fig_conflict_fn: appends one contested claim to the JSON array
 * ctx as {figure, counter, year, person, paid: {member, payee}, others:
 * [{member, payee}...]}: figure the catalogue's figure of counter, person
 * the identity without its "p:", paid claims[0] (the first received by
 * the coordinator, SPEC 12.2), others the rest in order. Returns 0 or
 * VOCFED_ENOMEM. */
int node_fig_conflict_json(void *ctx, node_counter_t counter, int year,
                           const char *identity, const node_fig_claim_t *claims,
                           size_t n) VOCFED_WUR;

/* A node_fig_excluded_fn: appends {member, why, records} to the JSON
 * array ctx. Returns 0 or VOCFED_ENOMEM. */
int node_fig_excluded_json(void *ctx, const char *member, const char *why,
                           int64_t records) VOCFED_WUR;

/* The point the figures are of (SPEC 12.3 `applied`): made empty by
 * node_fig_applied_new, filled per author by node_fig_applied_add (a
 * store_as_of_fn; ctx the object), closed by node_fig_applied_end.
 * {caught_up, complete, unapplied, logs: author -> {applied, size,
 * applied_time}}: caught_up whether the report applied what the log
 * held before it read, unapplied the entries held and not yet in the
 * figures (complete when 0), applied_time the time of the author's
 * latest checkpoint at or below applied ("" none). NULL when out of
 * memory. */
json_t *node_fig_applied_new(bool caught_up);
int node_fig_applied_add(void *ctx, const store_as_of_t *a) VOCFED_WUR;
void node_fig_applied_end(json_t *applied);

/* Adds the sections to report (an object with "members"): "conflicts"
 * and "excluded" (arrays, from the engine), and to each member its
 * "roster" state (active, suspended, revoked, from the coordinator's
 * roster; null when not on it or without a coordinator) and whether it
 * is "quarantined". Returns 0, VOCFED_ENOMEM or a store status. */
int node_fig_sections(store_t *st, const char *coord,
                      json_t *report) VOCFED_WUR;

#endif
