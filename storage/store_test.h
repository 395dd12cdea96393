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

/* How many writes of the derived environment ran again after filling
 * its map (an applier's chunk, SPEC 5.5). */
uint64_t store_test_dmap_redone(const store_t *self);

/* How store_ingest_many checks entries ahead, and store_append encodes
 * them (storage/ahead.h): from groups of min entries (0:
 * STORE_AHEAD_MIN; SIZE_MAX: never); with first, the helper checks
 * (encodes) every entry of a group before the ingest (append) takes any,
 * so that each entry's verdict (bytes) is the helper's. */
void store_test_ahead(store_t *self, size_t min, bool first);

/* With idle, the helper encodes none of store_append's records: the
 * append claims each, eight at a time, and encodes them with the
 * helper's code (storage/ahead.h). */
void store_test_ahead_idle(store_t *self, bool idle);

/* Appends that took records encoded during the append before them
 * (store_append_next). */
uint64_t store_test_next_taken(const store_t *self);

/* Groups that took the checks of batches named by store_ingest_next. */
uint64_t store_test_inext_taken(const store_t *self);

/* Groups store_ingest_many wrote again with each batch nested, one having
 * been refused in the group's own transaction. */
uint64_t store_test_flat_redone(const store_t *self);

/* The leaf pages of the entries table (every author's log) and the
 * entries they hold. */
int store_test_entry_pages(store_t *self, uint64_t *leaf_pages,
                           uint64_t *entries) VOCFED_WUR;

/* The leaf pages of the figures database (derived), LMDB's page size,
 * the bytes its rows take on leaf pages (node headers, keys, values and
 * their pointers), and how many of its keys are led by their person
 * (storage/persons.h). */
int store_test_figures_pages(store_t *self, uint64_t *leaf_pages,
                             uint64_t *page_size, uint64_t *bytes,
                             uint64_t *led) VOCFED_WUR;

/* How many records store_append took as the helper encoded them. */
uint64_t store_test_enc_taken(const store_t *self);

/* How many blocks of 16 leaves the ingest and the append put in the
 * tree as the node the helper hashed (store_i_fr_leaf). */
uint64_t store_test_blocks_whole(const store_t *self);

/* How many entries' slots the helper keeps for the next group (0: no
 * helper, or none kept; storage/ahead.c). */
size_t store_test_ahead_slots(const store_t *self);

/* Person numbers (SPEC 5.1, storage/persons.c). In one write of the
 * derived environment, the stored form of the figures key "h|" 0x01
 * pid (0xFE no "h|", led by the person) of each of the n pseudo_ids at
 * pids (32 bytes each) is made, each
 * person without a number given the next; nos[i] gets the number (0:
 * none). With fail the write is aborted after it (VOCFED_ESTORE).
 * Returns a status. */
int store_test_persons_give(store_t *self, const uint8_t *pids, size_t n,
                            bool fail, uint32_t *nos) VOCFED_WUR;

/* The number stored for pid (0: none), and how many persons the
 * derived environment numbers (the rows of `persons` and `pnew`, which
 * must equal those of `pnums`, else VOCFED_ECORRUPT). */
int store_test_person(store_t *self, const uint8_t pid[32], uint32_t *no,
                      uint64_t *count) VOCFED_WUR;

/* The same, and how many of them are settled (in `persons`, not `pnew`:
 * storage/persons.h). */
int store_test_persons_settled(store_t *self, const uint8_t pid[32],
                               uint32_t *no, uint64_t *count,
                               uint64_t *settled) VOCFED_WUR;

/* Writes (pid, no) into `persons` (the settled persons) as it stands,
 * whatever `pnew` and `pnums` hold: a corrupt derived file, to test. */
int store_test_persons_plant(store_t *self, const uint8_t pid[32],
                             uint32_t no) VOCFED_WUR;

/* Settles pnew into persons now, due or not (*moved: how many). */
int store_test_persons_settle(store_t *self, size_t *moved) VOCFED_WUR;

/* Makes the derived data look as layout 4 left it (SPEC 5.5 "v"): every
 * person in `persons`, no `pnew` database, "v" 4. Close the store after:
 * its handle of pnew is gone. */
int store_test_derived_layout4(store_t *self) VOCFED_WUR;

#endif
