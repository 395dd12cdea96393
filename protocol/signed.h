/* vocfed: the signed envelope of checkpoints and receipts (SPEC 4.2, 9.2).
 *
 * The signed form is the msgpack array [bin body, bin signature(64)]; the
 * signer signs, with Ed25519, domain || 0x00 || body. The envelope is
 * checked (and the signature verified over the exact received body bytes)
 * before anything of the body is decoded. A form (proto_signed_form_t)
 * holds what tells checkpoints and receipts apart; both sign, open and
 * peek through the functions that take one. */
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

/* What tells one signed form from another (SPEC 4, 9): checkpoint.c and
 * receipt.c each define one, over their own struct. */
typedef struct {
    const char *domain; /* signature domain (SPEC 4.2, 9.2) */
    size_t max;         /* bytes of the largest signed form accepted */
    /* Checks *in and appends its canonical body to body. Returns 0,
     * VOCFED_EINVALID or VOCFED_ENOMEM. */
    int (*encode)(const void *in, proto_buf_t *body);
    /* Decodes untrusted body bytes into *out. Returns 0 or a decode
     * error. */
    int (*decode)(const uint8_t *body, size_t len, void *out);
} proto_signed_form_t;

/* Encodes in with form->encode, signs the body with sk and appends the
 * signed form to out. Returns 0, an encode error, VOCFED_ETOOLARGE or
 * VOCFED_ENOMEM; on error out is as it was. */
int proto_signed_sign(const proto_signed_form_t *form, const void *in,
                      const uint8_t *sk, proto_buf_t *out) VOCFED_WUR;

/* Splits signed bytes (at most form->max), verifies the signature with pk
 * over the exact received body, then decodes the body into out. Returns
 * 0, a proto_signed_split error, VOCFED_EBADSIG or a decode error. */
int proto_signed_open(const proto_signed_form_t *form, const uint8_t *data,
                      size_t len, const uint8_t *pk, void *out) VOCFED_WUR;

/* Splits signed bytes and decodes the body without checking the signature
 * (for display only). Returns 0, a split error or a decode error. */
int proto_signed_peek(const proto_signed_form_t *form, const uint8_t *data,
                      size_t len, void *out) VOCFED_WUR;

/* What a verify checks after its open (SPEC 4, 9): that the opened form
 * speaks of the log the caller expects, author's at size entries with
 * root (PROTO_HASH_LEN bytes). Returns 0, VOCFED_EAUTHOR, VOCFED_ESEQGAP
 * (size differs) or VOCFED_EROOT. */
int proto_signed_expect(const char *author, uint64_t size, const uint8_t *root,
                        const char *want_author, uint64_t want_size,
                        const uint8_t *want_root) VOCFED_WUR;

#endif
