/* vocfed: the member daemon and `vocfed sync` (SPEC 10.3).
 *
 * A DEALER socket dials the coordinator with CURVE (the coordinator's
 * X25519 key derived from its Ed25519 key, ours from ours). On each
 * (re)connection it says hello with its heads; the answer tells where the
 * coordinator's copy of our log stands, and from there it sends batches
 * within a window of bytes in flight, checking each receipt against its
 * own tree. It pulls the coordinator's own log the same way. Local
 * commits (by any process) wake it through inotify. */
#ifndef VOCFED_NODE_MEMBER_H
#define VOCFED_NODE_MEMBER_H

#include "protocol/checkpoint.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *dir;                          /* the member's store */
    const char *coordinator;                  /* endpoint to dial */
    uint8_t coordinator_pk[PROTO_PUBKEY_LEN]; /* its Ed25519 key */
    bool once;           /* stop when both sides are level */
    uint64_t timeout_ms; /* once: give up after this long */
    size_t window;       /* bytes in flight; 0 = default */
} node_member_opts_t;

/* What `sync --once` saw. */
typedef struct {
    uint64_t sent;     /* entries the coordinator acknowledged */
    uint64_t received; /* entries of the coordinator's log taken in */
    uint64_t refused;  /* refusals from either side */
} node_member_stats_t;

/* Runs the member. As a daemon: until SIGINT/SIGTERM, returns 0. With
 * once: returns 0 when level, VOCFED_EBADSIG/... (the refusal) when the
 * coordinator refused something, VOCFED_EINTERRUPTED on timeout or
 * signal. VOCFED_ELOCKED when another daemon has the store. */
int node_member_run(const node_member_opts_t *o, node_member_stats_t *stats);

#endif
