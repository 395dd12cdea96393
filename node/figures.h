/* vocfed: the group's figures, kept incrementally (DESIGN 7, SPEC 12).
 *
 * Installed as the store's apply hook, it turns every record change (a
 * local put/del, a replicated batch) into counter deltas in the same LMDB
 * transaction: people counted once by pseudo_id across members (a count
 * per person), per member, per original affiliation and per county (from
 * each member's `member/profile` record). At the coordinator the counters
 * cover the group; at a member, its own share. node_figures_json() turns
 * the counters, the coordinator's targets and subsidy rules into the
 * report's figures without rescanning records; node_figures_check()
 * recomputes everything from the records and compares.
 *
 * The parts: node/figures_catalogue.h (the figures, one table),
 * node/figures_rules.h (what each kind's record yields), this engine
 * (node/figures.c: the hook, counters, rebuild, check) and the report
 * model (node/figures_report.h: counters, targets and rules to JSON). */
#ifndef VOCFED_NODE_FIGURES_H
#define VOCFED_NODE_FIGURES_H

#include "node/figures_report.h"
#include "node/figures_rules.h"
#include "storage/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Keeps the figures of store up to date from now on (sets the apply
 * hook). coord_id is the coordinator's author id (its log carries the
 * targets and rules, not figures), or NULL if not known yet. */
int node_figures_attach(store_t *st, const char *coord_id) VOCFED_WUR;

/* node_figures_attach with the coordinator's id when the store is a
 * coordinator's (meta node_role), else NULL. */
int node_figures_attach_store(store_t *st) VOCFED_WUR;

/* Rebuilds every counter from the current records, in one transaction
 * (after an upgrade, or when the figures were never kept). */
int node_figures_rebuild(store_t *st, const char *coord_id) VOCFED_WUR;

/* Recomputes every counter from the records and compares with the kept
 * ones. Returns 0 when equal; VOCFED_ECORRUPT with what[] naming the
 * first difference; or an environment status. */
int node_figures_check(store_t *st, const char *coord_id, char *what,
                       size_t cap) VOCFED_WUR;

#endif
