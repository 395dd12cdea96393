/* vocfed: what a daemon counted of its ingest and receipts (SPEC 5.1,
 * 10.5 "the stats row"): batches taken in by outcome, and fixed-bucket
 * histograms of the group commits and of put-to-receipt latency. The
 * daemon counts in memory (node/stats.h) and writes the one row of its
 * node at most once a second; `vocfed status` and `vocfed serve` read it. */
#ifndef VOCFED_STORAGE_STATS_H
#define VOCFED_STORAGE_STATS_H

#include "storage/store.h"

#include <stdint.h>

/* Outcome slots of a batch: 0 taken in; 1 + k refused with the status
 * -9000 - k (protocol/status.h) for k < STORE_STATS_OUTCOMES - 2; the
 * last slot any other status. */
#define STORE_STATS_OUTCOMES 32
#define STORE_STATS_OK 0
#define STORE_STATS_OTHER (STORE_STATS_OUTCOMES - 1)

/* Finite buckets kept per histogram (unused ones stay 0). */
#define STORE_STATS_BUCKETS 16

/* The histograms, in the row's order. */
typedef enum {
    STORE_HIST_COMMIT_BATCHES, /* batches per ingest commit */
    STORE_HIST_COMMIT_ENTRIES, /* entries taken in per ingest commit */
    STORE_HIST_COMMIT_US,      /* how long the commit took, microseconds */
    STORE_HIST_RECEIPT_US,     /* put (or arrival) to receipt, microseconds */
    STORE_HISTS
} store_hist_id_t;

/* One histogram: observations per bucket, not cumulative: bucket[i]
 * counts values above bound i-1 and at most bound i; values above the
 * last bound are in count only. */
typedef struct {
    uint64_t count;                       /* observations */
    uint64_t sum;                         /* their sum (the unit's) */
    uint64_t bucket[STORE_STATS_BUCKETS]; /* per bucket, see above */
} store_hist_t;

/* The stats of one node. */
typedef struct {
    uint64_t batches[STORE_STATS_OUTCOMES]; /* batches by outcome slot */
    store_hist_t hist[STORE_HISTS];         /* the histograms */
} store_stats_t;

/* The upper bounds of histogram h's buckets, ascending, in its unit;
 * *n gets how many (at most STORE_STATS_BUCKETS). Never NULL. */
const uint64_t *store_stats_bounds(store_hist_id_t h, size_t *n);

/* The outcome slot of a batch's status (0 for VOCFED_OK). */
size_t store_stats_slot(int status);

/* The status of a slot (VOCFED_OK for 0; 1 for the "other" slot). */
int store_stats_slot_status(size_t slot);

/* Adds n observations of value v to histogram h of s. */
void store_stats_observe(store_stats_t *s, store_hist_id_t h, uint64_t v,
                         uint64_t n);

/* Reads node id's stats row into out; VOCFED_ENOTFOUND (out zeroed) when
 * none was written, VOCFED_ECORRUPT when it has another length. */
int store_stats_get(store_t *self, const char *id,
                    store_stats_t *out) VOCFED_WUR;

/* Replaces node id's stats row, in a write transaction of its own. */
int store_stats_set(store_t *self, const char *id,
                    const store_stats_t *s) VOCFED_WUR;

/* The members' rate a coordinator's daemon runs with (SPEC 5.1 and 10.5,
 * "the rates row", `'c' ‖ id`): written when it starts and at each
 * SIGHUP that reads vocfed.cfg again, so that `vocfed status` and
 * `/metrics` say the rates in force. */
typedef struct {
    uint64_t msgs;     /* messages a second */
    uint64_t bytes;    /* bytes a second */
    uint64_t since_ms; /* when they took effect (Unix time, ms) */
} store_rates_t;

/* Reads node id's rates row; VOCFED_ENOTFOUND (out zeroed) when none was
 * written, VOCFED_ECORRUPT when it is not 24 bytes. */
int store_rates_get(store_t *self, const char *id,
                    store_rates_t *out) VOCFED_WUR;

/* Replaces node id's rates row, in a write transaction of its own. */
int store_rates_set(store_t *self, const char *id,
                    const store_rates_t *r) VOCFED_WUR;

#endif
