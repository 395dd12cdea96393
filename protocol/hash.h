/* vocfed: the tree hash (SPEC 2). BLAKE2b-256 in production; SHA-256 only
 * so the tree code can be checked against RFC 6962's published vectors. */
#ifndef VOCFED_PROTOCOL_HASH_H
#define VOCFED_PROTOCOL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_HASH_LEN 32

typedef enum {
    PROTO_HASH_BLAKE2B256 = 0, /* vocfed's tree hash */
    PROTO_HASH_SHA256 = 1,     /* RFC 6962's, for the test vectors */
} proto_hash_alg_t;

/* out = H(data). */
void proto_hash(proto_hash_alg_t alg, const uint8_t *data, size_t len,
                uint8_t out[PROTO_HASH_LEN]);

/* out = H(0x00 || data): the hash of a leaf (RFC 6962 2.1). */
void proto_hash_leaf(proto_hash_alg_t alg, const uint8_t *data, size_t len,
                     uint8_t out[PROTO_HASH_LEN]);

/* out = H(0x01 || left || right): an interior node. out may alias
 * left or right. */
void proto_hash_node(proto_hash_alg_t alg, const uint8_t left[PROTO_HASH_LEN],
                     const uint8_t right[PROTO_HASH_LEN],
                     uint8_t out[PROTO_HASH_LEN]);

/* out = BLAKE2b-256(pre || data), prelen + len bytes (pre may be NULL
 * with prelen 0), in plain C (hashx.c): one 128-byte block in ~125 ns
 * here where libsodium's code takes ~185. What the BLAKE2b-256 calls
 * above use. */
void proto_blake2b256(const uint8_t *pre, size_t prelen, const uint8_t *data,
                      size_t len, uint8_t out[PROTO_HASH_LEN]);

/* BLAKE2b-256 only, several messages at a time (hashx.c): eight to a
 * register where the processor has AVX-512F, else one by one. The same
 * bytes as the calls above. */

/* out[i] = H(0x00 || data[i]) (len[i] bytes), i < n. */
void proto_hash_leaves(size_t n, const uint8_t *const *data, const size_t *len,
                       uint8_t (*out)[PROTO_HASH_LEN]);

/* out[i] = H(0x01 || in[2i] || in[2i+1]), i < n: a level of a tree
 * from the one below. out may be in (each step reads before it writes,
 * and out[i] is never past in[2i]). */
void proto_hash_pairs(size_t n, const uint8_t (*in)[PROTO_HASH_LEN],
                      uint8_t (*out)[PROTO_HASH_LEN]);

/* Keyed BLAKE2b (RFC 7693) of short messages under one key: the key's
 * block is compressed once (proto_hash_keyed_init), each message then
 * in one block (the pseudonyms of an import's rows). The same bytes as
 * crypto_generichash with that key. Holds material derived from the
 * key: sodium_memzero it after use. */
typedef struct {
    uint64_t h[8]; /* the chaining value after the key's block */
    size_t outlen; /* digest bytes */
} proto_hash_keyed_t;

/* klen 1..64 key bytes, outlen 1..64. */
void proto_hash_keyed_init(proto_hash_keyed_t *k, const uint8_t *key,
                           size_t klen, size_t outlen);

/* out (k->outlen bytes) = BLAKE2b_key(msg), len 1 to 128 (an empty
 * message would end in the key's block, compressed without its final
 * flag here). */
void proto_hash_keyed(const proto_hash_keyed_t *k, const uint8_t *msg,
                      size_t len, uint8_t *out);

/* proto_hash_keyed of n messages, msg[i] of len[i] bytes (1 to 128
 * each), into out + i * k->outlen: eight at a time in the lanes of
 * AVX-512F where the processor has it (the same bytes). Wipes what it
 * held of the messages and the key's state. */
void proto_hash_keyed_many(const proto_hash_keyed_t *k, size_t n,
                           const uint8_t *const *msg, const size_t *len,
                           uint8_t *out);

/* Writes 2*len lowercase hex digits and a NUL into hex (2*len+1 bytes). */
void proto_hex(const uint8_t *bin, size_t len, char *hex);

/* Reads the 2*len lowercase hex digits at hex (the caller makes sure
 * that many bytes are there; what follows them is not looked at) into
 * bin. Returns false, bin undefined, when any is not one. Table-driven:
 * the applier turns every pseudo_id it stores into bytes this way. */
bool proto_unhex_lower(const char *hex, uint8_t *bin, size_t len);

/* Whether the len bytes at s are all lowercase hex digits. Table-driven,
 * without a branch per byte: every pseudo_id an import or an ingest
 * checks goes through it. */
bool proto_hex_lower_valid(const char *s, size_t len);

/* Parses exactly 2*len hex digits. Returns 0, or VOCFED_EMALFORMED. */
int proto_unhex(const char *hex, uint8_t *bin, size_t len)
    __attribute__((warn_unused_result));

#endif
