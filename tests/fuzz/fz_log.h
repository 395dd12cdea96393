/* vocfed: an author's log made in memory for the fuzz targets' seeds and
 * receivers (tests/fuzz/README.md).
 *
 * FZ_LOG_AUTHOR's entries (puts and dels of student records), their tree,
 * a chain of checkpoints signed with the golden checkpoint key
 * (fz_checkpoint_sk), and batch messages cut from it the way a sender
 * cuts them (SPEC 8.3). seeds.c writes the batch seeds with it, and
 * fuzz_ingest builds its receiver's store from the same log, so that the
 * seeds continue what the receiver holds. Deterministic: the same call
 * makes the same bytes. */
#ifndef VOCFED_TESTS_FUZZ_FZ_LOG_H
#define VOCFED_TESTS_FUZZ_FZ_LOG_H

#include "protocol/buf.h"
#include "protocol/entry.h"
#include "protocol/hash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_LOG_AUTHOR "aqvtc"
#define FZ_LOG_MAX 64 /* entries and checkpoints of one log */

typedef struct {
    proto_buf_t entries[FZ_LOG_MAX];            /* encoded, seq i + 1 */
    uint8_t leaves[FZ_LOG_MAX][PROTO_HASH_LEN]; /* their leaf hashes */
    size_t n;                                   /* entries */
    uint64_t sizes[FZ_LOG_MAX];                 /* checkpoint sizes, rising */
    proto_buf_t cps[FZ_LOG_MAX];                /* signed, each chained to
                                                   the one before */
    size_t ncp;                                 /* checkpoints */
    uint64_t cp_time[FZ_LOG_MAX];               /* checkpoint i's time
                                                   when not 0 (retime) */
    char author[PROTO_ID_MAX + 1];              /* whose log: FZ_LOG_AUTHOR
                                                   unless fz_log_init */
    const uint8_t *sk;                          /* its checkpoint key:
                                                   fz_checkpoint_sk unless
                                                   fz_log_init */
} fz_log_t;

/* Makes a log of n entries with checkpoints at the ncp sizes given
 * (rising, each 1..n). A variant other than 0 makes another history
 * that shares the first `shared` entries and the checkpoints up to them
 * with variant 0 (other keys after them, other times of the checkpoints
 * after them). Returns 0 or a status; release
 * with fz_log_release either way. */
int fz_log_make(fz_log_t *log, size_t n, const uint64_t *sizes, size_t ncp,
                unsigned variant, size_t shared);

/* Replaces entry seq (1..n) of a variant 0 log with a put of kind and
 * key with body fields (n of them, sorted in place), or a del when
 * fields is NULL, and signs its checkpoints again: a log whose records
 * ingest's kinds check refuses, under a good signature. Returns 0 or a
 * status. */
int fz_log_set(fz_log_t *log, uint64_t seq, const char *kind, const char *key,
               proto_field_t *fields, size_t n);

/* Dates checkpoint j (0-based) of a variant 0 log time_ms and signs the
 * checkpoints again (those after it chain to it). Returns 0 or a
 * status. */
int fz_log_retime(fz_log_t *log, size_t j, uint64_t time_ms);

/* Starts an empty log of author, its checkpoints signed with sk (which
 * the caller keeps alive): entries come from fz_log_append_raw, a
 * checkpoint from fz_log_seal. Returns 0 or VOCFED_EINVALID (an author id
 * too long); release with fz_log_release either way. */
int fz_log_init(fz_log_t *log, const char *author, const uint8_t *sk);

/* Appends an entry as it is sent, whatever its parts: [version, author,
 * the next seq, time, op, kind, key, body] with the log's author, "del"
 * and nil for a del, else "put" and body's bytes as they are (not checked:
 * not msgpack, not a map, trailing bytes), kind and key as str of the
 * bytes given (not checked either). fuzz_ingest_records signs such
 * entries into a batch, to feed the receiver's decoder, kinds check and
 * figures hostile records. Returns 0, VOCFED_ETOOLARGE (the entry would
 * pass PROTO_ENTRY_MAX, or the log FZ_LOG_MAX) or another status. */
int fz_log_append_raw(fz_log_t *log, bool del, const char *kind,
                      size_t kind_len, const char *key, size_t key_len,
                      const uint8_t *body, size_t body_len);

/* Signs a checkpoint at the log's size, chained to the last one (all
 * of them signed again). Returns 0, VOCFED_EINVALID (no entry since the
 * last checkpoint) or another status. */
int fz_log_seal(fz_log_t *log);

/* Frees what fz_log_make allocated. */
void fz_log_release(fz_log_t *log);

/* Appends to out the batch message of entries first .. first + count - 1
 * for a receiver whose latest checkpoint is old_size: every checkpoint
 * at a seq of the batch, then the first one past the last entry when
 * that entry is at none, PROOF(old_size, the last one's size) and the
 * compact range from the last entry to it (SPEC 8.3). Returns 0,
 * VOCFED_EINVALID (no checkpoint covers the last entry, or the entries
 * are not in the log) or another status. */
int fz_log_batch(const fz_log_t *log, uint64_t first, size_t count,
                 uint64_t old_size, proto_buf_t *out);

#endif
