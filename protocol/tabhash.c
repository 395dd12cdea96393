/* vocfed: the hash of an in-memory table's keys (see tabhash.h). */
#include "protocol/tabhash.h"

#include <sodium.h>
#include <string.h>

uint64_t
proto_tabhash_seed(void)
{
    uint64_t s;
    randombytes_buf(&s, sizeof s);
    return s;
}

uint64_t
proto_tabhash(uint64_t seed, const void *p, size_t len)
{
    const uint8_t *b = p;
    /* Not seed ^ ...: the first step's seed would cancel it, and two keys
     * of two words could then collide whatever the seed. */
    uint64_t h = len * 0x9e3779b97f4a7c15ull, w;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, b + i, 8);
        h = (h ^ w ^ seed) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, b + i, len - i);
    h = (h ^ w ^ seed) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}
