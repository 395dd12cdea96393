/* vocfed: a member's key replaced without a new identity (SPEC 3.4,
 * 10.1, 10.8).
 *
 * Planned: the member signs a handover entry to its new key with the old
 * one (node_rekey_handover); the coordinator takes it in (the store
 * writes the key history) and its roster follows (node_rekey_follow): a
 * member_key entry with the new pubkey and key_from, so ZAP admits the
 * new key and refuses the old. Lost: the secretariat vouches for a new
 * key (node_rekey_vouch, `vocfed members rekey`); the member, rebuilt
 * with it, learns its key history from the roster in its copy of the
 * coordinator's log (node_rekey_adopt) before it takes in its own log. */
#ifndef VOCFED_NODE_REKEY_H
#define VOCFED_NODE_REKEY_H

#include "node/node.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stdint.h>

/* The key history coord_id's roster states for member id: its
 * member_key entries in seq order; the first one's pubkey from 0, each
 * later one with another pubkey from its key_from. out holds cap steps,
 * *n of them. Returns 0, VOCFED_ENOTFOUND (id never on the roster),
 * VOCFED_EMALFORMED (a step that does not go forward), VOCFED_ETOOLARGE
 * or a status. Reads the whole of coord_id's log. */
int node_rekey_history(store_t *store, const char *coord_id, const char *id,
                       store_key_t *out, size_t cap, size_t *n) VOCFED_WUR;

/* At the coordinator, under node_roster_lock: pk replaces member id's
 * lost key from the size of its log held now (*from), which must be all
 * under a checkpoint: a roster entry, then the store's key history. Run
 * again after it stopped between the two, it completes. Returns 0,
 * VOCFED_ENOTFOUND, VOCFED_EINVALID (revoked, a bad key, entries held
 * past the latest checkpoint), VOCFED_EEXISTS (pk is or was someone's)
 * or a status. */
int node_rekey_vouch(store_t *store, const char *coord_id, const uint8_t *sk,
                     const char *id, const uint8_t pk[PROTO_PUBKEY_LEN],
                     uint64_t *from) VOCFED_WUR;

/* At the coordinator, under node_roster_lock: when the store's key of
 * member id was replaced by a handover the roster does not state yet,
 * the roster follows (a member_key entry). *changed says whether it
 * wrote one. Returns 0 or a status. */
int node_rekey_follow(store_t *store, const char *coord_id, const uint8_t *sk,
                      const char *id, bool *changed) VOCFED_WUR;

/* At a member: its own key history from the roster in its copy of
 * coord_id's log, which must end with own_pk (the member's node.key),
 * taken into its store (store_author_keys_adopt). Returns 0,
 * VOCFED_ENOTFOUND (not on the roster it holds), VOCFED_EKEY (the roster
 * gives it another key now), VOCFED_EEXISTS (the store's history
 * contradicts it) or a status. */
int node_rekey_adopt(store_t *store, const char *coord_id, const char *id,
                     const uint8_t own_pk[PROTO_PUBKEY_LEN]) VOCFED_WUR;

/* At a member (node opened with its key, not fenced): appends the
 * handover to newpk, alone, signed with the key in force (SPEC 3.4).
 * *seq gets its seq. Returns 0, VOCFED_EKEY (node.key is not the key in
 * force: a handover was signed already), VOCFED_EFENCED or a status. */
int node_rekey_handover(node_t *node, const uint8_t newpk[PROTO_PUBKEY_LEN],
                        uint64_t *seq) VOCFED_WUR;

#endif
