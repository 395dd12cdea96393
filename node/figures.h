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

/* Above this much derived data (derived.mdb in use), `verify --figures`
 * recomputes beside the store (node_figures_check_beside): a replay
 * into memory takes about 0.9 KB of heap an entry, and derived layout 6
 * keeps ~0.37 KB an entry (measured at 1M: 914 MiB of heap for 351 MiB
 * of derived.mdb), so this is about 1,000,000 entries and 1 GiB. */
#define NODE_FIGURES_CHECK_MEMORY_MAX ((uint64_t)384 << 20)

/* The check of node_figures_check in bounded memory, for a large store:
 * the derived data is made again from the logs by the applier into the
 * scratch folder DIR/verify-figures.PID (as much disk as derived.mdb
 * uses; refused with VOCFED_ESTORAGEFULL and what[] saying so when the
 * disk has less), to where the kept one stands, then compared with it
 * row by row (store_rederive_compare), and removed. Scratch folders of
 * checks no longer running are removed first. The store in dir must not
 * be open in this process (LMDB opens an environment once per process).
 * fn (may be NULL) is told the progress. Returns as node_figures_check. */
int node_figures_check_beside(const char *dir, char *what, size_t cap,
                              store_rederive_fn fn, void *ctx) VOCFED_WUR;

/* One member's claim on a unit: a person (or activity, or record), a
 * counter and a year (SPEC 12.2). */
typedef struct {
    const char *member; /* the claimant */
    const char *payee;  /* the payee it names, "" for none */
    int64_t value;      /* what it claims (1 for a person) */
} node_fig_claim_t;

/* A contested claim: a unit of a money counter claimed by two or more
 * members. claims[0] is the one counted and paid (the first received by
 * this node, SPEC 12.2); the others follow in the order received.
 * identity is the unit's identity ("p:<pseudo_id>"). */
typedef int (*node_fig_conflict_fn)(void *ctx, node_counter_t counter, int year,
                                    const char *identity,
                                    const node_fig_claim_t *claims, size_t n);

/* Calls fn for every contested claim, in a read snapshot of st (in key
 * order: identity, counter, year). Returns 0, fn's non-zero return, or a
 * store status. */
int node_figures_conflicts(store_t *st, node_fig_conflict_fn fn,
                           void *ctx) VOCFED_WUR;

/* A member whose records are kept out of the group's figures: why is
 * "revoked" (from the roster entry that revoked it on). records is how
 * many of its current records are held apart. */
typedef int (*node_fig_excluded_fn)(void *ctx, const char *member,
                                    const char *why, int64_t records);

/* Calls fn for every excluded member, in id order, in a read snapshot of
 * st. Returns 0, fn's non-zero return, or a store status. */
int node_figures_excluded(store_t *st, node_fig_excluded_fn fn,
                          void *ctx) VOCFED_WUR;

#endif
