/* vocfed: raw writes below the store's checks, for tests only (the
 * vocfed_storage_test library; never linked into the program).
 *
 * They write bytes where the store keeps them, bypassing every check,
 * to prove that verification and the readers catch what they do. */
#ifndef VOCFED_STORAGE_STORE_TEST_H
#define VOCFED_STORAGE_STORE_TEST_H

#include "storage/store.h"

typedef enum {
    STORE_RAW_ENTRY = 0,      /* key: seq; the entry bytes (the stored
                                 leaf hash in front of them is kept) */
    STORE_RAW_CHECKPOINT = 1, /* key: tree size */
    STORE_RAW_NODE = 2,       /* key: level << 56 | index; only levels
                                 >= STORE_NODE_MIN_LEVEL are stored */
    STORE_RAW_RECORD = 3,     /* key: unused; name: kind "\0" key */
    STORE_RAW_LEAF = 4,       /* key: seq; the 32-byte leaf hash stored in
                                 front of the entry */
} store_raw_t;

/* Replaces (data != NULL) or deletes (data == NULL) one stored value. */
int store_raw_put(store_t *self, store_raw_t what, const char *author,
                  uint64_t key, const char *name, size_t name_len,
                  const uint8_t *data, size_t len) VOCFED_WUR;

/* How many times self grew its map before a write (store_i_reserve) and
 * how many writes of its log ran again after filling the map (SPEC
 * 5.4). */
void store_test_map_stats(const store_t *self, uint64_t *reserved,
                          uint64_t *redone);

#endif
