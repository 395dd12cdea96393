/* vocfed: the group's roster, kept by the coordinator (SPEC 10.1).
 *
 * The roster is the coordinator's own signed log, kind "member_key": key
 * = member id, body {pubkey: 64 hex digits, name, role, status: active |
 * suspended | revoked}. Members and auditors replicate and check it like
 * any other log. Adding a member also registers it as an author in the
 * coordinator's store, so its checkpoints can be verified.
 *
 * A roster change checks the roster, then appends to it, in separate
 * transactions: a process changes the roster only while it holds
 * node_roster_lock (SPEC 10.1), so two changes at the same instant, in
 * two processes, are serialised. */
#ifndef VOCFED_NODE_ROSTER_H
#define VOCFED_NODE_ROSTER_H

#include "protocol/checkpoint.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_ROSTER_KIND "member_key"
#define NODE_NAME_MAX 256 /* bytes of a display name */

typedef enum {
    NODE_MEMBER_ACTIVE = 0,    /* may connect and send */
    NODE_MEMBER_SUSPENDED = 1, /* refused for now; may be reactivated */
    NODE_MEMBER_REVOKED = 2,   /* refused for good */
} node_member_status_t;

/* One member as the roster states it. */
typedef struct {
    char id[PROTO_ID_MAX + 1];          /* member id */
    uint8_t pk[PROTO_PUBKEY_LEN];       /* its Ed25519 public key */
    uint8_t curve_pk[PROTO_PUBKEY_LEN]; /* the same key as X25519 (CURVE):
                                           set by node_roster_curves */
    char name[NODE_NAME_MAX + 1];       /* display name, may be empty */
    char role[PROTO_KIND_MAX + 1];      /* role, may be empty */
    node_member_status_t status;        /* what it may do */
    uint64_t seq;                       /* roster entry that says so */
    uint64_t key_from; /* pk signs the member's checkpoints past this
                          size (0: from the start; SPEC 10.1) */
} node_member_t;

/* The roster at one moment. */
typedef struct {
    node_member_t *members; /* sorted by id; owned */
    size_t count;           /* how many */
} node_roster_t;

/* Takes DIR/roster.lock (flock, exclusive; waits while another roster
 * change holds it) for a check and an append that must be one step.
 * *fd gets the descriptor to give node_roster_unlock. Returns 0 or
 * -errno (VOCFED_EINVALID: a path too long). */
int node_roster_lock(const char *dir, int *fd) VOCFED_WUR;

/* Releases node_roster_lock's lock (fd < 0: nothing). */
void node_roster_unlock(int fd);

/* Appends a member_key entry for a new member (signed with sk, the
 * coordinator's key) and registers it as an author. Returns 0,
 * VOCFED_EEXISTS (the id is on the roster already, or known to the store
 * with another key; or pk is already another member's or the
 * coordinator's), VOCFED_EINVALID (a bad id, name or role, id ==
 * coord_id, pk not a valid Ed25519 key) or another status. The entry is
 * written before the registration; the same add run again after it
 * stopped between the two completes it and returns 0. */
int node_roster_add(store_t *store, const char *coord_id, const uint8_t *sk,
                    const char *id, const uint8_t pk[PROTO_PUBKEY_LEN],
                    const char *name, const char *role) VOCFED_WUR;

/* Changes a member's status (a new signed entry). Revoked is final:
 * VOCFED_EINVALID for any change after it. VOCFED_ENOTFOUND if not on
 * the roster. */
int node_roster_set_status(store_t *store, const char *coord_id,
                           const uint8_t *sk, const char *id,
                           node_member_status_t status) VOCFED_WUR;

/* Replaces member id's key (SPEC 10.1): a new signed entry, every field
 * kept, with pubkey pk and key_from from (the log size past which pk
 * signs the member's checkpoints). The caller registers pk in the
 * store's key history (store_author_rekey), or has (a handover taken
 * in). Returns 0, VOCFED_ENOTFOUND (not on the roster), VOCFED_EINVALID
 * (revoked, or pk not a valid key), VOCFED_EEXISTS (pk is the key on the
 * roster already) or a status. */
int node_roster_set_key(store_t *store, const char *coord_id, const uint8_t *sk,
                        const char *id, const uint8_t pk[PROTO_PUBKEY_LEN],
                        uint64_t from) VOCFED_WUR;

/* Whether pk, or a key of the same X25519 form, is or was the key of
 * any author the store knows (its key history included) or of a member
 * on coord_id's roster: VOCFED_EEXISTS if so, 0 if not, or a status. A
 * replaced key is never given to anyone again. The key in force of
 * author except (may be NULL) does not count: an add may register it
 * again under that id. */
int node_roster_key_unused(store_t *store, const char *coord_id,
                           const uint8_t pk[PROTO_PUBKEY_LEN],
                           const char *except) VOCFED_WUR;

/* Reads the roster from coord_id's log in store. out is replaced; free
 * with node_roster_release. Each pubkey is 64 lowercase hex digits; its
 * X25519 form (curve_pk) is left zero: see node_roster_curves. */
int node_roster_load(store_t *store, const char *coord_id,
                     node_roster_t *out) VOCFED_WUR;

/* Fills every member's curve_pk, its key as X25519 (what CURVE sees).
 * The conversion checks the key is a point of the curve's main subgroup
 * and costs ~30 us a key, so node_roster_load leaves it to those who
 * authenticate connections or compare keys. VOCFED_EMALFORMED (logged,
 * naming the member) if a key is not such a point: no one could sign
 * with it. */
int node_roster_curves(node_roster_t *r) VOCFED_WUR;

/* Frees what node_roster_load allocated; leaves an empty roster. */
void node_roster_release(node_roster_t *r);

/* The member with this id, or NULL. */
const node_member_t *node_roster_find(const node_roster_t *r, const char *id);

/* The member whose CURVE public key this is, or NULL: also when two
 * roster entries share it (keys added before node_roster_add refused
 * that), as a connection under it could be either's. r's curves are
 * filled (node_roster_curves). */
const node_member_t *
node_roster_find_curve(const node_roster_t *r,
                       const uint8_t curve_pk[PROTO_PUBKEY_LEN]);

/* "active", "suspended", "revoked". */
const char *node_member_status_name(node_member_status_t s);

#endif
