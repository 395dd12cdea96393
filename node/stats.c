/* vocfed: a daemon's ingest and receipt counts (see stats.h). */
#include "node/stats.h"

#include <czmq.h>
#include <string.h>
#include <time.h>

void
node_stats_init(node_stats_t *self, store_t *st, const char *id)
{
    memset(self, 0, sizeof *self);
    snprintf(self->id, sizeof self->id, "%s", id);
    int rc = store_stats_get(st, id, &self->s);
    if (rc && rc != VOCFED_ENOTFOUND) {
        zsys_warning("stats: the stored counts of %s do not read (%s): "
                     "counted again from zero",
                     id, vocfed_strerror(rc));
        memset(&self->s, 0, sizeof self->s);
    }
    self->loaded = true;
}

void
node_stats_batch(node_stats_t *self, int status)
{
    self->s.batches[store_stats_slot(status)]++;
    self->dirty = true;
}

void
node_stats_commit(node_stats_t *self, uint64_t batches, uint64_t entries,
                  uint64_t us)
{
    store_stats_observe(&self->s, STORE_HIST_COMMIT_BATCHES, batches, 1);
    store_stats_observe(&self->s, STORE_HIST_COMMIT_ENTRIES, entries, 1);
    store_stats_observe(&self->s, STORE_HIST_COMMIT_US, us, 1);
    self->dirty = true;
}

void
node_stats_receipt(node_stats_t *self, uint64_t us, uint64_t n)
{
    if (n == 0)
        return;
    store_stats_observe(&self->s, STORE_HIST_RECEIPT_US, us, n);
    self->dirty = true;
}

void
node_stats_persist(node_stats_t *self, store_t *st)
{
    if (!self->dirty || !self->loaded)
        return;
    if (store_stats_set(st, self->id, &self->s) == VOCFED_OK)
        self->dirty = false;
}

uint64_t
node_stats_now_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
