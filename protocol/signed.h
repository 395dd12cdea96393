/* vocfed: the signed envelope of checkpoints and receipts (SPEC 4.2, 9.2).
 *
 * The signed form is the msgpack array [bin body, bin signature(64)]; the
 * signer signs, with Ed25519, domain || 0x00 || body. The envelope is
 * checked (and the signature verified over the exact received body bytes)
 * before anything of the body is decoded. */
#ifndef VOCFED_PROTOCOL_SIGNED_H
#define VOCFED_PROTOCOL_SIGNED_H

#include "protocol/buf.h"
#include "protocol/status.h"

#include <stddef.h>
#include <stdint.h>

#define PROTO_SIGNED_BODY_MAX 160 /* bytes of a body */

/* Splits untrusted bytes into body and signature (both borrowed). max is
 * the largest signed form accepted. Returns 0, VOCFED_ETOOLARGE,
 * VOCFED_EMALFORMED or VOCFED_ENONCANONICAL. */
int proto_signed_split(const uint8_t *data, size_t len, size_t max,
                       const uint8_t **body, size_t *body_len,
                       const uint8_t **sig) VOCFED_WUR;

/* Checks sig over domain || 0x00 || body with pk. Returns 0 or
 * VOCFED_EBADSIG. */
int proto_signed_verify(const char *domain, const uint8_t *body,
                        size_t body_len, const uint8_t *sig,
                        const uint8_t *pk) VOCFED_WUR;

/* Signs body with sk under domain and appends the signed form to out (or
 * nothing). Returns 0, VOCFED_ETOOLARGE or VOCFED_ENOMEM. */
int proto_signed_wrap(const char *domain, const uint8_t *body, size_t body_len,
                      const uint8_t *sk, proto_buf_t *out) VOCFED_WUR;

#endif
