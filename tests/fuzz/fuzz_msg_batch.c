/* Fuzz target: the batch message, entries of one author with the
 * checkpoints that vouch for them and the proofs (SPEC 8.3, 8.4). The
 * input is one whole frame; see fz_msg.h. */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_msg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_msg(data, size, PROTO_MSG_BATCH);
    return 0;
}
