/* vocfed: signed receipts (SPEC 9).
 *
 * A receipt says "I, node issuer, hold author's log up to size entries
 * with this root, at time_ms". The receiver of a batch signs one after it
 * has verified and committed the batch; the author keeps it as proof
 * that its log left the building (the thing a store cut back to an
 * earlier checkpoint cannot explain away, SPEC 6). The body is a
 * canonical msgpack array; the issuer signs "vocfed/receipt/v1\0" ||
 * body with Ed25519; the signed form is [body as bin, signature as bin].
 * Verification checks the signature over the exact received body bytes
 * before decoding them. */
#ifndef VOCFED_PROTOCOL_RECEIPT_H
#define VOCFED_PROTOCOL_RECEIPT_H

#include "protocol/buf.h"
#include "protocol/checkpoint.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/status.h"

#include <stdint.h>

#define PROTO_RECEIPT_VERSION 1
#define PROTO_RECEIPT_MAX 256 /* bytes of a signed receipt */

/* The signature domain (SPEC 9.2). */
#define PROTO_RECEIPT_SIG_DOMAIN "vocfed/receipt/v1"

typedef struct {
    uint64_t version;              /* PROTO_RECEIPT_VERSION */
    char issuer[PROTO_ID_MAX + 1]; /* NUL-terminated id of the signer */
    char author[PROTO_ID_MAX + 1]; /* NUL-terminated id of the log held */
    uint64_t size;                 /* entries held: seq 1..size */
    uint8_t root[PROTO_HASH_LEN];  /* tree root at size */
    uint64_t time_ms;              /* issuer's clock at signing */
} proto_receipt_t;

/* Encodes rcpt, signs it with sk (the issuer's libsodium 64-byte secret
 * key) and appends the signed form to out. Returns 0, VOCFED_EINVALID
 * (bad version or id) or VOCFED_ENOMEM; on error out is as it was. */
int proto_receipt_sign(const proto_receipt_t *rcpt,
                       const uint8_t sk[PROTO_SECKEY_LEN],
                       proto_buf_t *out) VOCFED_WUR;

/* Verifies the signature of signed bytes with pk (the issuer's key),
 * then decodes the body into out. Returns 0, VOCFED_EMALFORMED,
 * VOCFED_ENONCANONICAL, VOCFED_EVERSION, VOCFED_ETOOLARGE or
 * VOCFED_EBADSIG. */
int proto_receipt_open(const uint8_t *data, size_t len,
                       const uint8_t pk[PROTO_PUBKEY_LEN],
                       proto_receipt_t *out) VOCFED_WUR;

/* proto_receipt_open, then checks it is the receipt the caller expects:
 * that issuer, that author, that size and that root. Returns 0, an open
 * error, VOCFED_EAUTHOR (issuer or author differs), VOCFED_ESEQGAP (size
 * differs) or VOCFED_EROOT. */
int proto_receipt_verify(const uint8_t *data, size_t len,
                         const uint8_t pk[PROTO_PUBKEY_LEN], const char *issuer,
                         const char *author, uint64_t size,
                         const uint8_t root[PROTO_HASH_LEN],
                         proto_receipt_t *out) VOCFED_WUR;

/* Decodes the body without checking the signature (for display only).
 * Returns 0 or a decode error. */
int proto_receipt_peek(const uint8_t *data, size_t len,
                       proto_receipt_t *out) VOCFED_WUR;

#endif
