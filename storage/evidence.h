/* vocfed: evidence of equivocation and quarantine (SPEC 5.1 `evidence`,
 * 8.5), written by ingest inside its transaction. Shared by the files of
 * storage/ only; the public side is in replica.h (store_quarantined,
 * store_scan_evidence).
 *
 * Evidence key: 'e' || author || 0x00 || time u64 (ms); value msgpack
 * [bin checkpoint held, bin checkpoint that contradicts it, str reason].
 * Quarantine key: 'q' || author; value the reason. */
#ifndef VOCFED_STORAGE_EVIDENCE_H
#define VOCFED_STORAGE_EVIDENCE_H

#include "storage/store_internal.h"

/* Keeps two signed checkpoints of author that cannot both be honest (a
 * held, b received) with the reason, and quarantines the author. Returns
 * an LMDB code or VOCFED_ENOMEM. */
int store_i_equivocation(store_t *self, MDB_txn *txn, const char *author,
                         const uint8_t *a, size_t alen, const uint8_t *b,
                         size_t blen, const char *reason);

/* Whether author is quarantined, in txn. */
bool store_i_quarantined(store_t *self, MDB_txn *txn, const char *author);

#endif
