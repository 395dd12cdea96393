/* Fuzz target: the receipt message, a signed receipt for a committed
 * batch (SPEC 8.6). The input is one whole frame; see fz_msg.h. */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_msg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_msg(data, size, PROTO_MSG_RECEIPT);
    return 0;
}
