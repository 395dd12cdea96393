/* vocfed bench: what the benchmarks share, and the raw limits they
 * compare with (measured in the same run). */
#ifndef VOCFED_BENCH_BENCH_RAW_H
#define VOCFED_BENCH_BENCH_RAW_H

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

#endif
