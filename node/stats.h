/* vocfed: a daemon's counts of its ingest and receipts, kept in memory
 * and written to its node's stats row (storage/stats.h, SPEC 5.1) at most
 * once a second and when it stops, like the peers rows (SPEC 5.1 "When
 * the peers rows are written"): a daemon that dies loses at most the last
 * second's counts. Caller-owned: node_stats_init, then the counting. */
#ifndef VOCFED_NODE_STATS_H
#define VOCFED_NODE_STATS_H

#include "storage/stats.h"

#include <stdbool.h>

typedef struct {
    store_stats_t s;           /* cumulative, since the store was made */
    bool dirty;                /* counted since the last write */
    bool loaded;               /* the stored row was read (or none existed) */
    char id[PROTO_ID_MAX + 1]; /* this node's id: the row's key */
} node_stats_t;

/* Starts from node id's stored row (zero when none; a corrupt row is
 * logged and counted again from zero, replaced at the first write). */
void node_stats_init(node_stats_t *self, store_t *st, const char *id);

/* A batch taken in (status VOCFED_OK) or refused with status. */
void node_stats_batch(node_stats_t *self, int status);

/* One ingest commit of batches batches and entries entries, which took
 * us microseconds. */
void node_stats_commit(node_stats_t *self, uint64_t batches, uint64_t entries,
                       uint64_t us);

/* n entries (or batches) covered by a receipt us microseconds after
 * their put (or arrival). */
void node_stats_receipt(node_stats_t *self, uint64_t us, uint64_t n);

/* Writes the row if anything was counted since the last write. */
void node_stats_persist(node_stats_t *self, store_t *st);

/* Microseconds on the monotonic clock. */
uint64_t node_stats_now_us(void);

#endif
