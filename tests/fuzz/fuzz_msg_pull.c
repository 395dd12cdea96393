/* Fuzz target: the pull message, a request for an author's log (SPEC
 * 8.7). The input is one whole frame; see fz_msg.h. */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_msg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_msg(data, size, PROTO_MSG_PULL);
    return 0;
}
