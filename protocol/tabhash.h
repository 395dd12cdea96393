/* vocfed: the hash of an in-memory table's keys (the figures' working
 * set, the applier's persons cache, the import's duplicate-key set).
 * Not the tree hash and not a MAC: it spreads keys over a table's
 * slots. The keys come from members, so each table draws its own seed:
 * without it a member could choose keys that all fall on one probe
 * chain and make every lookup walk it. */
#ifndef VOCFED_PROTOCOL_TABHASH_H
#define VOCFED_PROTOCOL_TABHASH_H

#include <stddef.h>
#include <stdint.h>

/* A seed drawn from the system's random source (libsodium). */
uint64_t proto_tabhash_seed(void);

/* The hash of the len bytes at p under seed: eight bytes a step, each
 * mixed with the seed, then a final mix; every bit of the result
 * depends on every byte. Reads exactly len bytes. */
uint64_t proto_tabhash(uint64_t seed, const void *p, size_t len);

#endif
