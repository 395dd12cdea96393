/* vocfed: signed checkpoints (SPEC 4).
 *
 * A checkpoint states (author, tree size, root, time, hash of the
 * previous checkpoint). Its body is a canonical msgpack array; the
 * author signs "vocfed/checkpoint/v1\0" || body with Ed25519. The signed
 * form is [body as bin, signature as bin]. Verification checks the
 * signature over the exact received body bytes before decoding them. */
#ifndef VOCFED_PROTOCOL_CHECKPOINT_H
#define VOCFED_PROTOCOL_CHECKPOINT_H

#include "protocol/buf.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/status.h"

#include <stdint.h>

#define PROTO_CHECKPOINT_VERSION 1
#define PROTO_PUBKEY_LEN 32
#define PROTO_SECKEY_LEN 64
#define PROTO_SIG_LEN 64
#define PROTO_CHECKPOINT_MAX 256 /* bytes of a signed checkpoint */

/* The signature domain and the checkpoint-hash domain (SPEC 4.2, 4.3). */
#define PROTO_CHECKPOINT_SIG_DOMAIN "vocfed/checkpoint/v1"
#define PROTO_CHECKPOINT_HASH_DOMAIN "vocfed/checkpoint-hash/v1"

typedef struct {
    uint64_t version;              /* PROTO_CHECKPOINT_VERSION */
    char author[PROTO_ID_MAX + 1]; /* NUL-terminated author id */
    uint64_t size;                 /* entries covered: seq 1..size */
    uint8_t root[PROTO_HASH_LEN];  /* tree root at size */
    uint64_t time_ms;              /* author's clock at signing */
    uint8_t prev[PROTO_HASH_LEN];  /* proto_checkpoint_hash of the
                                      previous one; zeros for the first */
} proto_checkpoint_t;

/* Encodes cp, signs it with sk (libsodium 64-byte secret key) and
 * appends the signed form to out. Returns 0, VOCFED_EINVALID or
 * VOCFED_ENOMEM. */
int proto_checkpoint_sign(const proto_checkpoint_t *cp,
                          const uint8_t sk[PROTO_SECKEY_LEN],
                          proto_buf_t *out) VOCFED_WUR;

/* Verifies the signature of signed bytes with pk, then decodes the body
 * into out. Returns 0, VOCFED_EMALFORMED, VOCFED_ENONCANONICAL,
 * VOCFED_EVERSION, VOCFED_ETOOLARGE or VOCFED_EBADSIG. */
int proto_checkpoint_open(const uint8_t *data, size_t len,
                          const uint8_t pk[PROTO_PUBKEY_LEN],
                          proto_checkpoint_t *out) VOCFED_WUR;

/* proto_checkpoint_open, then checks it is the checkpoint the caller
 * expects: that author, that size and that root. Returns 0, an open
 * error, VOCFED_EAUTHOR, VOCFED_ESEQGAP (size differs) or VOCFED_EROOT. */
int proto_checkpoint_verify(const uint8_t *data, size_t len,
                            const uint8_t pk[PROTO_PUBKEY_LEN],
                            const char *author, uint64_t size,
                            const uint8_t root[PROTO_HASH_LEN],
                            proto_checkpoint_t *out) VOCFED_WUR;

/* Decodes the body without checking the signature (for display only).
 * Returns 0 or a decode error. */
int proto_checkpoint_peek(const uint8_t *data, size_t len,
                          proto_checkpoint_t *out) VOCFED_WUR;

/* out = BLAKE2b-256(domain || 0x00 || body) of a signed checkpoint: the
 * value the next checkpoint's prev holds. Returns 0 or a decode error. */
int proto_checkpoint_hash(const uint8_t *data, size_t len,
                          uint8_t out[PROTO_HASH_LEN]) VOCFED_WUR;

#endif
