/* vocfed: what the fuzz targets share (tests/fuzz/README.md).
 *
 * Each tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput, which
 * feeds one untrusted input to one decoder and checks what the decoder
 * promises about it. The same file is linked with libFuzzer (cmake
 * -DVOCFED_FUZZ=ON, clang) or with replay_main.c, which runs the seed
 * corpus and the regressions through it under ctest. */
#ifndef VOCFED_TESTS_FUZZ_FUZZ_H
#define VOCFED_TESTS_FUZZ_FUZZ_H

#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer calls with each input; returns 0. data is
 * borrowed for the call. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property every input must keep. Broken, it is a bug like a crash:
 * abort, so that libFuzzer saves the input and the replay fails. */
#define FZ_CHECK(cond)                                                         \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* Whether rc is one of the statuses a decoder of a signed object (a
 * checkpoint or a receipt, protocol/signed.c) may give for any input. */
static inline bool
fz_signed_decode_status(int rc)
{
    return rc == VOCFED_OK || rc == VOCFED_EMALFORMED ||
           rc == VOCFED_ENONCANONICAL || rc == VOCFED_ETOOLARGE ||
           rc == VOCFED_EVERSION;
}

/* The Ed25519 key pairs of the golden vectors (tests/vectors/README.md):
 * the checkpoint's (seed bytes 00 01 .. 1f) and the receipt's (seed
 * bytes 20 21 .. 3f). Made on first use; libsodium is initialised. */
const uint8_t *fz_checkpoint_pk(void);
const uint8_t *fz_checkpoint_sk(void);
const uint8_t *fz_receipt_pk(void);
const uint8_t *fz_receipt_sk(void);

/* The linkage key (NODE_LINKAGE_KEY_LEN bytes) of fuzz_import_csv, so that
 * the seeds can hold pseudo_ids it would make. */
const uint8_t *fz_linkage_key(void);

#endif
