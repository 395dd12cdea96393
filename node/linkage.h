/* vocfed: the group linkage key and pseudonyms (DESIGN 2.5, 6, 11;
 * SPEC 11.3).
 *
 * The linkage key is a 32-byte secret shared by the members and never
 * held by the coordinator. A pseudonym (pseudo_id) is the hex of the keyed
 * BLAKE2b-256 of a normalised ID-card number, so the same person has the
 * same pseudo_id at every member while nobody without the key can tell
 * who it is. A member keeps the key in DIR/linkage.key: the 32 bytes,
 * raw, mode 0600. In memory it sits in sodium_malloc'd pages, wiped when
 * freed; it is never printed except by `vocfed linkage-key generate`. */
#ifndef VOCFED_NODE_LINKAGE_H
#define VOCFED_NODE_LINKAGE_H

#include "protocol/hash.h"
#include "protocol/status.h"

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_LINKAGE_FILE "linkage.key"
#define NODE_LINKAGE_KEY_LEN 32
#define NODE_PSEUDO_ID_HEX 64   /* hex digits of a pseudo_id */
#define NODE_ID_NUMBER_MAX 32   /* bytes of a normalised ID number */
#define NODE_LINKAGE_FPR_HEX 16 /* hex digits of a key's fingerprint */

/* A new random key in guarded memory (*key, the caller's: free with
 * node_linkage_free). Returns 0 or VOCFED_ENOMEM. */
int node_linkage_generate(uint8_t **key) VOCFED_WUR;

/* Reads a key written as hex (what `generate` prints: 64 hex digits,
 * then optional white space) from the file at path into guarded memory
 * (*key, the caller's). Returns 0, VOCFED_EKEY (not such a file),
 * VOCFED_ENOTFOUND, VOCFED_ENOMEM or -errno. */
int node_linkage_read_hex(const char *path, uint8_t **key) VOCFED_WUR;

/* Writes key into DIR/linkage.key (mode 0600). Without replace an
 * existing file is refused (VOCFED_EEXISTS); with replace it is swapped
 * for the new one atomically (a new file, then rename). Returns 0,
 * VOCFED_EEXISTS, VOCFED_ESTORAGEFULL or -errno. */
int node_linkage_store(const char *dir, const uint8_t *key,
                       bool replace) VOCFED_WUR;

/* Loads DIR/linkage.key into guarded, read-only memory (*key, the
 * caller's). Returns 0, VOCFED_ENOTFOUND (no key: not imported), VOCFED_EKEY
 * (not 32 bytes, or readable by group or others), VOCFED_ENOMEM or
 * -errno. */
int node_linkage_load(const char *dir, uint8_t **key) VOCFED_WUR;

/* Wipes and frees a key; NULLs *key. Accepts NULL and *key == NULL. */
void node_linkage_free(uint8_t **key);

/* A short public fingerprint of a key (16 hex digits and a NUL), for
 * members to compare that they hold the same key. It tells nothing
 * about the key. */
void node_linkage_fingerprint(const uint8_t *key,
                              char out[NODE_LINKAGE_FPR_HEX + 1]);

/* Normalises an ID-card number (SPEC 11.3): white space around it
 * trimmed, a final 'x' upper-cased. What is left must be 1 to
 * NODE_ID_NUMBER_MAX ASCII letters and digits; an 18-character resident
 * ID number (17 digits, then a digit or X) must carry its GB 11643 check
 * digit. Writes the result (NUL-terminated) into out. Returns 0 or
 * VOCFED_EINVALID. */
int node_id_number_normalise(const char *id_number,
                             char out[NODE_ID_NUMBER_MAX + 1]) VOCFED_WUR;

/* The pseudo_id of an ID-card number: lower-case hex of keyed
 * BLAKE2b-256(key, normalised number), 64 digits and a NUL in out_hex.
 * Returns 0 or VOCFED_EINVALID (see node_id_number_normalise). */
int node_pseudo_id(const uint8_t *key, const char *id_number,
                   char out_hex[NODE_PSEUDO_ID_HEX + 1]) VOCFED_WUR;

/* A linkage key made ready for many pseudo_ids (an import's rows): the
 * keyed hash's key block is compressed once, not once a row
 * (proto_hash_keyed, protocol/hash.h: libsodium's state compresses it
 * again in each copy, two blocks a row). Holds material derived from
 * the key: node_pseudonymiser_wipe it. */
typedef struct {
    proto_hash_keyed_t keyed; /* BLAKE2b after the key block */
} node_pseudonymiser_t;

void node_pseudonymiser_init(node_pseudonymiser_t *p, const uint8_t *key);
void node_pseudonymiser_wipe(node_pseudonymiser_t *p);

/* node_pseudo_id with p's key: the same pseudo_id. */
int node_pseudo_id_with(const node_pseudonymiser_t *p, const char *id_number,
                        char out_hex[NODE_PSEUDO_ID_HEX + 1]) VOCFED_WUR;

/* Whether s (len bytes) looks like a pseudo_id: 64 lower-case hex
 * digits. */
bool node_pseudo_id_valid(const char *s, size_t len);

/* The pseudo_ids of n ID numbers normalised already
 * (node_id_number_normalise), made together (eight at a time where the
 * processor allows, protocol/hash.h): the same as node_pseudo_id_with's.
 * Wipes what it held of the numbers. */
void node_pseudo_ids_normalised(const node_pseudonymiser_t *p, size_t n,
                                const char *const *norm,
                                char (*out_hex)[NODE_PSEUDO_ID_HEX + 1]);

#endif
