/* vocfed: the member daemon and `vocfed sync` (SPEC 10.3).
 *
 * A DEALER socket dials the coordinator with CURVE (the coordinator's
 * X25519 key derived from its Ed25519 key, ours from ours). On each
 * (re)connection it says hello with its heads; the answer tells where the
 * coordinator's copy of our log stands, and from there it sends batches
 * within a window of bytes in flight, checking each receipt against its
 * own tree. It pulls the coordinator's own log the same way. Local
 * commits (by any process) wake it through inotify.
 *
 * Once level, a daemon sends its heads every heartbeat interval and the
 * coordinator answers (SPEC 10.3): silent for three, the coordinator is
 * taken as not connected. A connection that fails is told once per
 * back-off step with its cause and raised as a `connection` alarm until
 * a session is level; after a failed handshake the member dials again
 * itself, 2 s, 4 s, ... up to 60 s later.
 *
 * The session is an explicit state machine (node_member_state_t), driven
 * by a czmq zloop: readers for the socket, its connection events and the
 * store, timers for the hello's answer, the back-off and the stall. A
 * member runs as a daemon (node_member_run), or in a caller's process and
 * loop (node_member_new, node_member_attach), as the tests do. */
#ifndef VOCFED_NODE_MEMBER_H
#define VOCFED_NODE_MEMBER_H

#include "protocol/checkpoint.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Batches a member keeps in flight, and the most messages it can have
 * sent that the coordinator has not read: those batches, a heartbeat and
 * two hellos (SPEC 10.3); the coordinator's queue holds more (SPEC 10.2,
 * NODE_COORDINATOR_RCVHWM). */
#define NODE_MEMBER_MAX_FLIGHT 12
#define NODE_MEMBER_MAX_UNREAD (NODE_MEMBER_MAX_FLIGHT + 3)

typedef struct {
    const char *dir;                          /* the member's store */
    const char *coordinator;                  /* endpoint to dial */
    uint8_t coordinator_pk[PROTO_PUBKEY_LEN]; /* its Ed25519 key */
    const char *coordinator_id; /* the id it must say it has; NULL or "":
                                   any (learnt at the first contact) */
    bool once;                  /* stop when both sides are level */
    uint64_t timeout_ms;        /* once: give up after this long */
    size_t window;              /* bytes in flight; 0 = default */
    bool debug;                 /* log each change of state (zsys_debug) */
    uint64_t heartbeat_ms;      /* a daemon's heartbeat interval (SPEC 10.3);
                                   0 = 5 s. Silent for three: not connected */
} node_member_opts_t;

/* What `sync --once` saw. */
typedef struct {
    uint64_t sent;     /* entries the coordinator acknowledged */
    uint64_t received; /* entries of the coordinator's log taken in */
    uint64_t refused;  /* refusals from either side */
} node_member_stats_t;

/* The states of the member's session (SPEC 10.3). */
typedef enum {
    NODE_MEMBER_DISCONNECTED, /* dialling: no link yet since it started */
    NODE_MEMBER_HELLO_SENT,   /* linked; hello sent (or about to be sent
                                 again), its answer not back */
    NODE_MEMBER_LEVEL,        /* both sides' heads known: sending our log
                                 and pulling the coordinator's */
    NODE_MEMBER_BACKOFF,      /* the session ended (a refusal, a lost link,
                                 a store error): waiting out the delay and
                                 for the link, then hello again */
    NODE_MEMBER_STATES
} node_member_state_t;

/* A member: its store, its socket and its session. */
typedef struct node_member_daemon_t node_member_daemon_t;

/* Told of each change of state, after it. Returns 0, or -1 to end the
 * loop that runs the member (like a zloop handler). */
typedef int (*node_member_state_fn)(void *arg, node_member_state_t from,
                                    node_member_state_t to);

/* Takes the store's daemon lock, opens it and dials o->coordinator (the
 * link comes up in the loop). o is borrowed for the member's life.
 * Returns 0, VOCFED_ELOCKED (another daemon has the store), -errno or
 * another status. */
int node_member_new(const node_member_opts_t *o,
                    node_member_daemon_t **out) VOCFED_WUR;

/* Records the coordinator as disconnected, closes everything, releases
 * the lock; NULLs *self; accepts NULL. */
void node_member_destroy(node_member_daemon_t **self);

/* Puts the member's readers and timers on loop (the caller's, once; it
 * must outlive the member: node_member_destroy ends the member's timers
 * on it). A handler of the member returns
 * -1, ending the loop, after node_member_stop, when the state observer
 * asks, on SIGINT/SIGTERM (node_daemon_signals), and with once: when
 * level, refused, or out of time. Returns 0 or VOCFED_ENOMEM. */
int node_member_attach(node_member_daemon_t *self, zloop_t *loop) VOCFED_WUR;

/* Runs the member in a loop of its own until it ends (see
 * node_member_attach). Returns 0; with once: 0 when level, the refusal
 * (VOCFED_EBADSIG, ...), VOCFED_EDENIED when the coordinator refused the
 * link, VOCFED_EINTERRUPTED on timeout or stop; -errno when polling
 * failed. */
int node_member_loop(node_member_daemon_t *self);

/* Ends the loop after the event being handled. From the loop's thread
 * (a handler or an observer); a member is not shared between threads. */
void node_member_stop(node_member_daemon_t *self);

/* The state now, and its name ("disconnected", "hello-sent", "level",
 * "back-off"). */
node_member_state_t node_member_state(const node_member_daemon_t *self);
const char *node_member_state_name(node_member_state_t state);

/* Calls fn(arg, from, to) after each change of state (NULL: none). */
void node_member_on_state(node_member_daemon_t *self, node_member_state_fn fn,
                          void *arg);

/* What happened so far (owned by the member). */
const node_member_stats_t *node_member_stats(const node_member_daemon_t *self);

/* Runs the member as a daemon: SIGINT/SIGTERM handlers, then new, loop,
 * destroy. As a daemon: until SIGINT/SIGTERM, returns 0. With once:
 * returns 0 when level, VOCFED_EBADSIG/... (the refusal) when the
 * coordinator refused something, VOCFED_EINTERRUPTED on timeout or
 * signal. VOCFED_ELOCKED when another daemon has the store. stats (may be
 * NULL) gets what happened. */
int node_member_run(const node_member_opts_t *o, node_member_stats_t *stats);

#endif
