/* vocfed: the figures' working set as a map from key to cached value
 * (node/figures_set.c): open addressing over values kept in pages that
 * never move, keys in one arena, and a reset that keeps every
 * allocation, blobs' buffers included, for the next chunk (issue 11:
 * zhashx made one allocation per key and per value, freed at each
 * transaction's end). Each key is kept with its stored form, made once
 * when the key is added and used to read, sort and write its value.
 * The hash is seeded per map (protocol/tabhash.h): the keys hold
 * members' pseudo_ids and payees. Not a public header. */
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
    bool counter;     /* a counter (else a blob), set by its adder */
    bool stored;      /* its key in the map is the stored form, its
                         person as a number (store_txn_fkey), else the
                         form before (figures_i.h) */
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

/* What a lookup learnt of its key, for the add that may follow it: the
 * key is hashed once. */
typedef struct {
    uint64_t hash; /* the key's */
    size_t len;    /* its length */
} node_figx_probe_t;

/* node_figx_map_get, filling *pr. */
node_figx_val_t *node_figx_map_find(node_figx_map_t *self, const char *key,
                                    node_figx_probe_t *pr);

/* A new zeroed value for key, which must not be in the map (its blob
 * empty; *pr from the node_figx_map_find that did not find it), whose
 * stored form (figures_i.h) is the dlen bytes at disk; NULL when out of
 * memory. Valid until the next reset. */
node_figx_val_t *node_figx_map_add(node_figx_map_t *self, const char *key,
                                   const node_figx_probe_t *pr,
                                   const uint8_t *disk, size_t dlen);

/* The number of keys. */
size_t node_figx_map_size(const node_figx_map_t *self);

/* The i-th key added (i < size) and its value; the key's pointer is
 * valid until the next add or reset. */
node_figx_val_t *node_figx_map_at(node_figx_map_t *self, size_t i,
                                  const char **key);

/* The stored form of the i-th key (i < size) and its length; valid
 * until the next add or reset. */
const uint8_t *node_figx_map_disk(const node_figx_map_t *self, size_t i,
                                  size_t *len);

/* Asks the processor to fetch the i-th value (key false) or, once that
 * is near, its stored key (key true): a walk in key order visits values
 * at random places, and waits for each without this. */
void node_figx_map_prefetch(const node_figx_map_t *self, size_t i, bool key);

#endif
