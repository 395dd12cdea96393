/* vocfed bench: what the benchmarks share, and the raw limits they
 * compare with (measured in the same run). */
#ifndef VOCFED_BENCH_BENCH_RAW_H
#define VOCFED_BENCH_BENCH_RAW_H

#include "storage/store.h"

#include <stddef.h>

/* Seconds on the monotonic clock. */
double bench_now(void);

/* Removes dir and everything in it (best effort). */
void bench_rmrf(const char *dir);

/* A decimal size from a command-line argument: 0, or -1 with a message
 * on stderr. */
int bench_size_arg(const char *arg, size_t *out);

/* Raw LMDB, durable: n values of len bytes appended (MDB_APPEND) in
 * transactions of batch values, each committed (synced), in a new
 * environment under tmp. Values per second, or 0 on failure. */
double bench_raw_lmdb_batched(const char *tmp, size_t n, size_t len,
                              size_t batch);

/* n student records of member number m from row first (a pseudo_id
 * each from BLAKE2b of m and the row, two levels, three intake years, 17
 * source schools, three regions) into bodies, keys (72 bytes each) and
 * recs (which point into them). 0, or -1 when a body cannot be made. */
int bench_students(size_t first, size_t n, int m, proto_buf_t *bodies,
                   char (*keys)[72], store_record_t *recs);

#endif
