/* vocfed: the figures' working set as a map from key to cached value
 * (node/figures_set.c): open addressing over values kept in pages that
 * never move, keys in one arena, and a reset that keeps every
 * allocation, blobs' buffers included, for the next chunk (issue 11:
 * zhashx made one allocation per key and per value, freed at each
 * transaction's end). Not a public header. */
#ifndef VOCFED_NODE_FIGURES_MAP_H
#define VOCFED_NODE_FIGURES_MAP_H

#include "protocol/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A counter, list or claims blob cached for the transaction. */
typedef struct {
    int64_t base;     /* as stored when first read */
    int64_t cur;      /* as it is now */
    proto_buf_t blob; /* lists and claims: as they are now */
    bool blob_dirty;  /* blob changed */
    bool loaded;      /* base and blob are as stored (else only named,
                         by a prefetch) */
} node_figx_val_t;

typedef struct node_figx_map node_figx_map_t;

/* An empty map, or NULL when out of memory. */
node_figx_map_t *node_figx_map_new(void);

/* Frees the map and every value's blob; NULLs *self. */
void node_figx_map_destroy(node_figx_map_t **self);

/* Empties the map; what it allocated is kept for reuse. */
void node_figx_map_reset(node_figx_map_t *self);

/* The value of key, or NULL. The pointer stays valid until the next
 * reset. */
node_figx_val_t *node_figx_map_get(node_figx_map_t *self, const char *key);

/* A new zeroed value for key, which must not be in the map (its blob
 * empty); NULL when out of memory. Valid until the next reset. */
node_figx_val_t *node_figx_map_add(node_figx_map_t *self, const char *key);

/* The number of keys. */
size_t node_figx_map_size(const node_figx_map_t *self);

/* The i-th key added (i < size) and its value; the key's pointer is
 * valid until the next add or reset. */
node_figx_val_t *node_figx_map_at(node_figx_map_t *self, size_t i,
                                  const char **key);

#endif
