/* vocfed: the figures' report model (SPEC 12.3).
 *
 * Turns the kept counters (never the records), the coordinator's targets
 * and subsidy rules (their defaults from node/figures_catalogue.h while it
 * has none) into the report's figures, one per catalogue row in the
 * catalogue's order, each computed by its row's shape. Reads the store;
 * writes nothing. */
#ifndef VOCFED_NODE_FIGURES_REPORT_H
#define VOCFED_NODE_FIGURES_REPORT_H

#include "storage/store.h"

#include <jansson.h>

/* The figures as one JSON object (shape in SPEC 12.3), for `vocfed
 * report`; coord_id is the coordinator's author id (its log carries the
 * targets, rules and leading industries), or NULL; year 0 means every
 * year. Returns 0 with *out owned by the caller, or a store status or
 * VOCFED_ENOMEM (then *out is untouched). */
int node_figures_json(store_t *st, const char *coord_id, int year,
                      json_t **out) VOCFED_WUR;

/* node_figures_json with "now" the moment now_ms (ms since 1970; 0 for
 * the clock), cut to the second: the report's as_of, the year a status
 * is of and the part of it gone, the members' signed_age_s. The
 * figures are those of st as it is: node/figures_asof.h makes a store
 * of the logs as they were. */
int node_figures_json_at(store_t *st, const char *coord_id, int year,
                         uint64_t now_ms, json_t **out) VOCFED_WUR;

/* The moment ms as ISO 8601 UTC to the second, "2026-12-03T10:45:12Z",
 * into out (cap bytes; "" when it does not fit). */
void node_fig_iso(uint64_t ms, char *out, size_t cap);

#endif
