/* vocfed: the replication message fuzz targets (tests/fuzz/fuzz_msg_*.c).
 *
 * One target per message type (SPEC 8), each with its own corpus of that
 * type's messages; they share this one routine. */
#ifndef VOCFED_TESTS_FUZZ_FZ_MSG_H
#define VOCFED_TESTS_FUZZ_FZ_MSG_H

#include "protocol/msg.h"

#include <stddef.h>
#include <stdint.h>

/* Decodes one untrusted frame with proto_msg_decode. When it is a
 * message of type want, also walks its lists as a receiver does (heads;
 * a batch's entries, checkpoints and proofs, each decoded and checked
 * the way store_ingest would, without a store), and encodes the decoded
 * fields again: the result must be the frame byte for byte. Aborts on a
 * broken promise (FZ_CHECK). */
void fz_msg(const uint8_t *data, size_t size, proto_msg_type_t want);

#endif
