/* vocfed: a key handover, the entry that replaces an author's signing
 * key without a new identity (SPEC 3.4).
 *
 * A handover is a put of kind "key_handover" whose key is the author's
 * own id and whose body is {pubkey: 64 lowercase hex digits}, the new
 * Ed25519 key. It is not in the kinds table (no `put` or `import` writes
 * one): `vocfed rekey` appends it, alone, under a checkpoint signed with
 * the old key at exactly its seq; every checkpoint past that seq is
 * signed with the new key. This file only reads and writes the entry;
 * storage/keys.c keeps the key history it makes. */
#ifndef VOCFED_PROTOCOL_HANDOVER_H
#define VOCFED_PROTOCOL_HANDOVER_H

#include "protocol/buf.h"
#include "protocol/checkpoint.h"
#include "protocol/entry.h"

#include <stdbool.h>
#include <stdint.h>

#define PROTO_HANDOVER_KIND "key_handover"
#define PROTO_HANDOVER_FIELD "pubkey"

/* Whether e is of the handover's kind (whatever else it holds). */
bool proto_handover_is(const proto_entry_t *e);

/* Reads the new key of a handover entry e of author's log: a put, key =
 * author, body exactly {pubkey: 64 lowercase hex digits} naming a valid
 * Ed25519 point. Returns 0 with pk set, or VOCFED_EBADRECORD with why
 * (cap bytes, may be NULL) saying what is wrong. */
int proto_handover_key(const proto_entry_t *e, const char *author,
                       uint8_t pk[PROTO_PUBKEY_LEN], char *why,
                       size_t cap) VOCFED_WUR;

/* Appends the canonical body {pubkey: hex of pk} to out. Returns 0,
 * VOCFED_EINVALID (not a valid Ed25519 point) or VOCFED_ENOMEM. */
int proto_handover_body(const uint8_t pk[PROTO_PUBKEY_LEN],
                        proto_buf_t *out) VOCFED_WUR;

#endif
