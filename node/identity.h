/* vocfed: the node's Ed25519 identity (SPEC 7).
 *
 * The secret key lives in DIR/node.key: the 64-byte libsodium secret key,
 * raw, mode 0600, created with O_EXCL so an existing key is never
 * overwritten. In memory it sits in sodium_malloc'd, read-only pages and
 * is wiped when freed. It is never printed or logged. */
#ifndef VOCFED_NODE_IDENTITY_H
#define VOCFED_NODE_IDENTITY_H

#include "node/file.h"
#include "protocol/checkpoint.h"
#include "protocol/status.h"

#include <stddef.h>
#include <stdint.h>

#define NODE_KEY_FILE "node.key"

/* Makes a new key pair and writes DIR/node.key. Returns 0 with the
 * public key in pk, VOCFED_EEXISTS if the file exists, or -errno. */
int node_identity_create(const char *dir,
                         uint8_t pk[PROTO_PUBKEY_LEN]) VOCFED_WUR;

/* Loads DIR/node.key into guarded memory (*sk, owned by the caller: free
 * with node_identity_free). Refuses (VOCFED_EKEY) a file that is not
 * exactly one key, is readable by group or others, or whose public half
 * is not expected_pk (when not NULL). Returns 0, VOCFED_EKEY,
 * VOCFED_ENOTFOUND or -errno. */
int node_identity_load(const char *dir, const uint8_t *expected_pk,
                       uint8_t **sk) VOCFED_WUR;

/* The X25519 key pair CURVE uses, derived from the Ed25519 secret key sk
 * (libsodium's ed25519 -> curve25519 conversion), so a node has one
 * identity for signing and for transport. curve_sk must be guarded
 * memory the caller wipes. Returns 0 or VOCFED_EKEY. */
int node_identity_curve(const uint8_t *sk, uint8_t curve_pk[PROTO_PUBKEY_LEN],
                        uint8_t *curve_sk) VOCFED_WUR;

/* The X25519 public key of an Ed25519 public key. Returns 0 or
 * VOCFED_EKEY (not a valid Ed25519 point). */
int node_pubkey_curve(const uint8_t ed_pk[PROTO_PUBKEY_LEN],
                      uint8_t curve_pk[PROTO_PUBKEY_LEN]) VOCFED_WUR;

/* Wipes and frees a key from node_identity_load; NULLs *sk. */
void node_identity_free(uint8_t **sk);

/* Secret files (node.key, linkage.key): node_secret_write and
 * node_secret_read in node/file.h. */

/* Wipes and frees guarded memory (sodium_malloc: a key) and NULLs *p;
 * accepts NULL and *p NULL. */
void node_secret_free(uint8_t **p);

#endif
