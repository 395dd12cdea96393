/* vocfed: full verification of a store (SPEC 6).
 *
 * Re-reads every entry of an author's log, checks each decodes
 * canonically with the right author and seq, recomputes the Merkle tree
 * and compares every stored node, checks every checkpoint's signature,
 * root and chain, and rebuilds the current-record index to compare it
 * with the stored one. Reports the first failure by author and seq. */
#ifndef VOCFED_STORAGE_VERIFY_H
#define VOCFED_STORAGE_VERIFY_H

#include "storage/store.h"

#include <stdint.h>

/* What a verification found. */
typedef struct {
    int status;                    /* 0 intact, else what failed */
    char author[PROTO_ID_MAX + 1]; /* author of the first failure */
    uint64_t seq;                  /* first seq that fails (0: none) */
    char what[160];                /* one line: what is wrong there */
    uint64_t entries;              /* entries checked */
    uint64_t checkpoints;          /* checkpoints checked */
    uint64_t records;              /* current records checked */
} store_verify_result_t;

/* Called after each batch of entries with the count checked so far, for
 * a progress bar. May be NULL. */
typedef void (*store_verify_progress_fn)(void *ctx, uint64_t done,
                                         uint64_t total);

/* Verifies one author's log (author non-NULL) or every author's. Fills
 * res; returns 0 when intact, the failure status when not, or an
 * environment status (then res->status is that too). */
int store_verify(store_t *store, const char *author, store_verify_result_t *res,
                 store_verify_progress_fn progress, void *ctx) VOCFED_WUR;

#endif
