/* vocfed: the input of fuzz_ingest_records (tests/fuzz/README.md), shared
 * by the target, which reads it, and fuzz_seeds, which writes its seeds.
 *
 *   flags:u8  record*
 *   record := op:u8 kind_len:u8 kind key_len:u8 key body_len:u16le body
 *
 * Bit 0 of flags picks the author: set, the coordinator (FZ_REC_COORD,
 * whose log may carry coordinator-only kinds), else the member
 * (FZ_LOG_AUTHOR). Bit 0 of op makes the record a del (its body is read
 * and not sent). A length past the end of the input takes what is left;
 * records past the FZ_REC_MAX th are ignored. kind, key and body go into
 * the entries as they are (fz_log_append_raw): body is raw msgpack, valid
 * or not. */
#ifndef VOCFED_TESTS_FUZZ_FZ_RECORDS_H
#define VOCFED_TESTS_FUZZ_FZ_RECORDS_H

#include "protocol/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_REC_COORD "coord" /* the coordinator's author id */
#define FZ_REC_MAX 48        /* records of one input */

/* The person the member's held log already counts (a student and a
 * graduate of 2025): records about it change what is there. */
#define FZ_REC_PID                                                             \
    "c0ffee0000000000000000000000000000000000000000000000000000000001"

/* Appends one record in the input's form to out. Returns 0 or
 * VOCFED_EINVALID (kind or key longer than 255 bytes, body than 65535). */
int fz_rec_append(proto_buf_t *out, bool del, const char *kind, const char *key,
                  const uint8_t *body, size_t body_len);

/* fuzz_seeds: writes CORPUS/ingest_records/<name> with write(): valid
 * records of every kind of the table by the author each may come from,
 * a person's records changed and deleted, and the attacks of issue 10
 * (bad values, unknown kinds and fields, coordinator-only kinds from a
 * member, bodies that are not msgpack). */
typedef void (*fz_seed_write_fn)(const char *target, const char *name,
                                 const proto_buf_t *b);
void fz_rec_seeds(fz_seed_write_fn write);

#endif
