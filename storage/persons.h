/* vocfed: person numbers (SPEC 5.1). Inside storage/ only.
 *
 * The derived data names a person by a number given at first sight, not
 * by the 32 bytes of its pseudo_id: `persons` and `pnew` map the
 * pseudo_id to the number and `pnums` the number back. Numbers grow with
 * arrival, so a new person (the bulk of any import) lands at the end of
 * every table keyed by person, and only the pseudo_id's table takes a
 * random insert. That table is two: a new person goes into `pnew`, small,
 * whose pages a chunk copies few of; once `pnew` holds
 * store_i_persons_young_most(settled) persons, they are moved into
 * `persons` (settled) in key order, in a write of their own, which copies
 * each page of `persons` once. Each person is in exactly one of the two.
 *
 * Callers above storage/ never see numbers: they give and get keys in
 * their logical form, where a person is STORE_KEY_PSEUDO and the 32
 * bytes; the functions here turn one form into the other at the
 * boundary. In the stored form a person is STORE_KEY_PSEUDO and the
 * number, 4 bytes big-endian.
 *
 * "At the end of every table keyed by person" needs the person first in
 * the key. A new person's number is the highest, but a key such as
 * `h|` 0x01 no or `i|<member>|` 0x01 no still sorts before the keys of
 * the next family or member: each insert lands in front of the one key
 * left on its page, which LMDB then splits in the middle, so every page
 * of those ranges ended half full (measured: 48% and 57% at 1M). So the
 * figures' lists and claims about a person (a key of the figures, from
 * 0, beginning `h|` or `i|` and ended by the person) are stored **led
 * by the person**: STORE_KEY_LED, the number, then the key before the
 * person's mark. A new person's lists and claims then go after every
 * stored key, each page filled, and all of one person's are side by
 * side. The other keys keep the person where it is: `x|` is scanned by
 * its prefix (the report's conflicts), and the record index by author.
 *
 * Within a write transaction of the derived environment numbers are
 * cached (store_i_persons_begin names the transaction; an aborted one
 * leaves nothing behind, since the next begin forgets the cache). */
#ifndef VOCFED_STORAGE_PERSONS_H
#define VOCFED_STORAGE_PERSONS_H

#include "storage/store_internal.h"

/* The stored form is this much shorter than the logical one. */
#define STORE_PERSON_SHRINK (32 - 4)

/* The first byte of a key led by its person (above): a figures key in
 * its logical form begins with a printable byte, never this one. */
#define STORE_KEY_LED 0xFE

/* Forgets the cache; txn (a write transaction of the derived
 * environment) is the one numbers may be given and cached in. */
void store_i_persons_begin(store_t *self, MDB_txn *txn);

/* Frees the cache (store_close). */
void store_i_persons_free(store_t *self);

/* Opens (create: creates) the two databases in txn. */
int store_i_persons_open(store_t *self, MDB_txn *txn, bool create);

/* Empties the three (the derived data dropped, apply.c). */
int store_i_persons_drop(store_t *self, MDB_txn *txn);

/* pid's number in txn from the two tables (not the cache): MDB_SUCCESS,
 * MDB_NOTFOUND, VOCFED_ECORRUPT or an LMDB code. */
int store_i_persons_get(store_t *self, MDB_txn *txn, const uint8_t pid[32],
                        uint32_t *no);

/* How many persons pnew holds before they are settled, when persons holds
 * `settled`: sqrt(2 * settled * STORE_APPLY_FIT_MAX), at least
 * STORE_APPLY_FIT_MIN. A chunk copies about every page of pnew, a
 * settling every page of persons; this bound makes the two costs equal
 * per chunk, and their sum least (SPEC 5.5). */
uint64_t store_i_persons_young_most(uint64_t settled);

/* *due: pnew holds that many in txn (any transaction); *bytes (when
 * not NULL): about what the settling writes, 0 when not due. */
int store_i_persons_due(store_t *self, MDB_txn *txn, bool *due, size_t *bytes);

/* Moves every row of pnew into persons, in key order, and empties pnew
 * (*moved: how many). A pseudo_id in both is VOCFED_ECORRUPT. Numbers do
 * not change; txn is a write of the derived environment. */
int store_i_persons_settle(store_t *self, MDB_txn *txn, size_t *moved);

/* The stored form of key k (len bytes) into out (len bytes at least;
 * out may be k): the first STORE_KEY_PSEUDO at or after from, with 32
 * bytes after it, becomes STORE_KEY_PSEUDO and the person's number, the
 * bytes after the 32 unchanged; a key without it is copied. A key led
 * by its person (store_i_pkey_led) becomes STORE_KEY_LED, the number,
 * and the bytes before the mark. create: a pseudo_id without a number
 * gets the next one (txn must be the one of store_i_persons_begin).
 * Returns MDB_SUCCESS, MDB_NOTFOUND (no number and !create: no stored
 * key can hold this person), VOCFED_EINVALID (a mark with fewer than 32
 * bytes after it, or a figures key beginning with STORE_KEY_LED) or an
 * LMDB code. */
int store_i_pkey(store_t *self, MDB_txn *txn, const uint8_t *k, size_t len,
                 size_t from, bool create, uint8_t *out, size_t *olen);

/* Whether the logical key k (len bytes, searched from `from` as
 * store_i_pkey) is stored led by its person: from is 0 (the figures),
 * k begins `h|` or `i|`, and its first mark, at `at`, has exactly 32
 * bytes after it. */
bool store_i_pkey_led(const uint8_t *k, size_t len, size_t from, size_t at);

/* Whether a scan of the figures for the logical prefix p (plen bytes,
 * without a person) may meet keys led by their person: p could begin a
 * key of `h|` or `i|`. Such a scan reads the range STORE_KEY_LED too. */
bool store_i_prefix_led(const uint8_t *p, size_t plen);

/* The logical form of stored key k (len bytes) into out (cap bytes).
 * Returns MDB_SUCCESS, VOCFED_ECORRUPT (a number without a person, or
 * more than cap bytes) or an LMDB code. */
int store_i_punkey(store_t *self, MDB_txn *txn, const uint8_t *k, size_t len,
                   size_t from, uint8_t *out, size_t cap, size_t *olen);

/* Four entries per leaf page of persons and pnew in txn, within
 * [least, most] (least when it cannot be read): the applier's fitted
 * chunk (STORE_APPLY_FIT). */
size_t store_i_persons_chunk(store_t *self, MDB_txn *txn, size_t least,
                             size_t most);

/* Numbers for the n pseudo_ids at pids (32 bytes each, sorted, distinct),
 * given to those without one in this order, with one cursor: afterwards
 * store_i_pkey finds each of them in the cache, and nos[i] (nos not
 * NULL) holds the number of pids[i]. txn as for create. */
int store_i_persons_resolve(store_t *self, MDB_txn *txn,
                            const uint8_t *const *pids, size_t n,
                            uint32_t *nos);

/* Whether stored key k (len bytes; its person's mark searched for from
 * `from`, as store_i_pkey) names a person numbered in this write
 * transaction, so that no committed table can hold it: a read may take
 * it as absent without looking. Answers true only between
 * store_i_persons_fresh_reads(.., true) and (.., false), which the
 * chunk calls around its reads (apply_chunk.c): once anything is
 * written in the transaction, a key of a new person may be there. */
bool store_i_person_fresh(store_t *self, MDB_txn *txn, const uint8_t *k,
                          size_t len, size_t from);

/* Whether stored figures key k (len bytes) is led by a person numbered
 * in this write transaction (txn), whose keys no committed row holds: a
 * writer in key order may try it as an append (MDB_APPEND, which LMDB
 * refuses with MDB_KEYEXIST unless it goes after the last key). Unlike
 * store_i_person_fresh it answers at any time of the write. */
bool store_i_led_new(store_t *self, MDB_txn *txn, const uint8_t *k, size_t len);

/* Turns store_i_person_fresh's answers on or off for txn. */
void store_i_persons_fresh_reads(store_t *self, MDB_txn *txn, bool on);

#endif
