/* vocfed serve: /metrics, the node in the Prometheus text format 0.0.4
 * (issue 15 item 4).
 *
 * Every number comes from what `vocfed status --json` prints (the same
 * object, tools/status_json.h), from the report of every year (each
 * figure per year as a gauge, with its target), from the store's usage
 * (store_usage) and apply lag, and from the server's own counters. Names
 * follow Prometheus conventions: vocfed_ prefix, _total for counters,
 * base units (_bytes, _seconds), labels for the author, peer, kind. What
 * the store does not keep (group commit sizes, latencies, batches
 * accepted) is not made up: docs/ADMIN.md says where it is. */
#ifndef VOCFED_TOOLS_SERVE_METRICS_H
#define VOCFED_TOOLS_SERVE_METRICS_H

#include "protocol/status.h"
#include "tools/serve_data.h"

#include <stdint.h>
#include <stdio.h>

/* What the HTTP server counted since it started. */
typedef struct {
    uint64_t responses[6]; /* by class: [1] 1xx ... [5] 5xx */
    uint64_t rate_limited; /* requests refused over the rate limit */
    uint64_t auth_failed;  /* requests without a valid password */
    uint64_t too_large;    /* requests with a body, or headers too long */
    uint64_t bad_method;   /* methods other than GET and HEAD */
    uint64_t bad_request;  /* bad query arguments, unknown paths */
    uint64_t started_ms;   /* wall clock ms the server started */
} serve_counts_t;

/* Writes the metrics of d and counts to out. Returns 0, a store status,
 * VOCFED_ENOMEM, or -EIO when out failed. */
int serve_metrics_write(serve_data_t *d, const serve_counts_t *counts,
                        FILE *out) VOCFED_WUR;

#endif
