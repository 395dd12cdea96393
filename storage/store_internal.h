/* vocfed: the store's LMDB layout, shared by store.c and verify.c only.
 * Nothing outside storage/ includes this file (SPEC 5.1). */
#ifndef VOCFED_STORAGE_STORE_INTERNAL_H
#define VOCFED_STORAGE_STORE_INTERNAL_H

#include "storage/store.h"

#include <lmdb.h>

#define STORE_KEY_ENTRY_LEN 12 /* authno u32 | seq u64 */
#define STORE_KEY_NODE_LEN 13  /* authno u32 | level u8 | index u64 */
#define STORE_KEY_CP_LEN 12    /* authno u32 | size u64 */
#define STORE_KEY_RECORD_MAX (4 + PROTO_KIND_MAX + 1 + PROTO_KEY_MAX)

struct store_t {
    MDB_env *env;        /* the environment (one per node) */
    MDB_dbi meta;        /* name -> short string */
    MDB_dbi authors;     /* 'i' id -> authno; 'n' authno -> pk | id */
    MDB_dbi entries;     /* authno | seq -> entry bytes */
    MDB_dbi nodes;       /* authno | level | index -> 32-byte hash */
    MDB_dbi checkpoints; /* authno | size -> signed checkpoint */
    MDB_dbi records;     /* authno | kind 0x00 key -> seq u64 */
    MDB_dbi figures;     /* figure id | breakdown -> value (issue 4) */
    MDB_dbi peers;       /* peer | author -> cursor, receipt (issue 3) */
    MDB_dbi roster;      /* member id -> key and state (issue 3) */
    MDB_dbi evidence;    /* author | n -> conflicting checkpoints */
    size_t map_size;     /* current map size in bytes */
};

/* Big-endian helpers for keys: keys sort as numbers. */
void store_i_be32(uint8_t *p, uint32_t v);
void store_i_be64(uint8_t *p, uint64_t v);
uint32_t store_i_rd32(const uint8_t *p);
uint64_t store_i_rd64(const uint8_t *p);

void store_i_key_entry(uint8_t k[STORE_KEY_ENTRY_LEN], uint32_t a,
                       uint64_t seq);
void store_i_key_node(uint8_t k[STORE_KEY_NODE_LEN], uint32_t a, unsigned level,
                      uint64_t index);
void store_i_key_cp(uint8_t k[STORE_KEY_CP_LEN], uint32_t a, uint64_t size);
/* Returns the key length. kind and key must be valid (bounded). */
size_t store_i_key_record(uint8_t k[STORE_KEY_RECORD_MAX], uint32_t a,
                          const char *kind, size_t kind_len, const char *key,
                          size_t key_len);

/* Begins a read snapshot, absorbing a map grown by another process. */
int store_i_read_begin(store_t *self, MDB_txn **txn);

/* The author's number. Returns 0, VOCFED_ENOTFOUND, or an LMDB code. */
int store_i_authno(MDB_txn *txn, store_t *self, const char *id, uint32_t *no);

/* Translates an LMDB or vocfed code into a vocfed status, logging the
 * LMDB text. */
int store_i_status(int rc);

#endif
