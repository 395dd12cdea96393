/* vocfed: the report as of a moment, and a past year's stocks as of its
 * census date (SPEC 12.5).
 *
 * The logs are append-only and signed, so what they held at any moment
 * is still in them: each log's prefix up to its last checkpoint signed at
 * or before the moment. node_figures_report copies those prefixes, in the
 * order their entries arrived at this node (the order the claims engine
 * decides contested claims by, SPEC 12.2), into a scratch store in a new
 * temporary folder ($TMPDIR, else /tmp), through the same ingest
 * (signatures, roots, kinds checked again), apply hook and report model
 * as the live figures, and removes the folder after. There is no second
 * way of computing a figure. */
#ifndef VOCFED_NODE_FIGURES_ASOF_H
#define VOCFED_NODE_FIGURES_ASOF_H

#include "storage/store.h"

#include <jansson.h>
#include <stdint.h>

/* What a report is of. */
typedef struct {
    int year;         /* the report year, 0 for every year */
    uint64_t at_ms;   /* the moment, ms since 1970 (a checkpoint at or
                         before it counts); 0: now, the store as it is */
    const char *self; /* the member whose report it is (its own figures,
                         SPEC 12.6), NULL at the coordinator */
} node_fig_when_t;

/* The report (node_figures_json's object, SPEC 12.3) of what st's logs
 * held at w->at_ms (or now): every figure from each log's prefix up to
 * its last checkpoint at or before it. For a report year whose census
 * moment (node_fig_census) is before that moment, the stock figures
 * (node_fig_def_t.stock) are those of the logs at the census moment and
 * the flows those of w->at_ms; each figure says which it is ("basis")
 * and what moment it is of ("as_of"), and the report its "census".
 * With w->self, the report is that member's (SPEC 12.6): "member" names
 * it, and a count or sum it has against a group target is its share of
 * that target (status "share", "share_of_target"), not behind it.
 * coord is the coordinator's id or NULL. Returns 0 with *out owned by
 * the caller, VOCFED_EINVALID when w->at_ms is in the future, or a
 * store status (a scratch store that could not be made, a log that
 * does not verify). */
int node_figures_report(store_t *st, const char *coord,
                        const node_fig_when_t *w, json_t **out) VOCFED_WUR;

/* The census moment of year (the last millisecond of its census day,
 * UTC): the coordinator's `census_date` record of that year, else its
 * `census_date default`, else 31 December. A day past the month's end
 * is its last day. source (cap bytes) gets where it came from:
 * "census_date:2025", "census_date:default" or "default". */
uint64_t node_fig_census(store_t *st, const char *coord, int year, char *source,
                         size_t cap);

#endif
