/* vocfed: the coordinator's ZAP handler (SPEC 10.2; ZAP 1.0, RFC 27).
 *
 * Answers libzmq's authentication requests on inproc://zeromq.zap.01, in
 * the coordinator's own loop: 200 with User-Id = member id only for
 * mechanism CURVE, domain NODE_ZAP_DOMAIN and a key that is on the roster
 * and active; 400 otherwise. Refusals are counted and logged once per
 * interval (per roster member, and per unknown key: the first 1,024 keys
 * apart, the rest together).
 *
 * One live connection per member (SPEC 10.2): an admitted connection gets
 * a number (`X-Vocfed-Conn`, counting admissions from 1) that every
 * message of it carries, so the coordinator tells a member's newest
 * connection from its older ones. While a member's live connection is
 * open (node_zap_on_busy), or its last admitted one has not spoken (for
 * NODE_ZAP_SETUP_MS at most), the answer to its next request waits:
 * libzmq clients do not dial again after a refusal, so an honest member
 * must not be refused for this. */
#ifndef VOCFED_NODE_ZAP_H
#define VOCFED_NODE_ZAP_H

#include "node/roster.h"

#include <czmq.h>
#include <stdint.h>

#define NODE_ZAP_DOMAIN "vocfed"
/* Message property: the number ZAP gave the connection (SPEC 10.2). */
#define NODE_ZAP_CONN_PROPERTY "X-Vocfed-Conn"
/* Message property: the CURVE key (64 hex digits) ZAP admitted the
 * connection under; a message whose key is no longer its member's on
 * the roster (a key replaced, SPEC 10.8) is refused. */
#define NODE_ZAP_KEY_PROPERTY "X-Vocfed-Key"
/* A member's connection that was admitted and has not spoken holds its
 * place this long: the answer to another one waits meanwhile (SPEC
 * 10.2). Under libzmq's handshake timeout (30 s). */
#define NODE_ZAP_SETUP_MS 10000

typedef struct node_zap_t node_zap_t;

/* Whether member id still has a connection open (its next one waits). */
typedef bool(node_zap_busy_fn)(void *arg, const char *id);

/* Binds the handler. It must exist before a CURVE server socket binds,
 * and only one may exist per process. roster is borrowed for the
 * handler's life (the caller may reload it in place). Returns 0,
 * VOCFED_EEXISTS (a handler is bound already) or VOCFED_ENOMEM. */
int node_zap_new(const node_roster_t *roster, uint64_t interval_ms,
                 node_zap_t **out) VOCFED_WUR;

/* Unbinds and frees; NULLs *self; accepts NULL. */
void node_zap_destroy(node_zap_t **self);

/* Sets who tells whether a member still has a connection open
 * (fn(arg, id)); fn NULL: nobody, never. */
void node_zap_on_busy(node_zap_t *self, node_zap_busy_fn *fn, void *arg);

/* The socket to poll for requests (owned by the handler). */
zsock_t *node_zap_sock(node_zap_t *self);

/* Reads one request (if one is waiting) and answers it, or keeps it
 * waiting (at most one per member: an older one is refused). */
void node_zap_handle(node_zap_t *self);

/* Handles the requests waiting now, at most max; returns how many. The
 * coordinator's loop gives ZAP one turn between two bursts of members'
 * messages (each burst up to a commit): one request a turn let hundreds
 * of members dialling again at once wait minutes for their handshakes,
 * past libzmq's handshake timeout, and dial again (SPEC 10.2). */
size_t node_zap_drain(node_zap_t *self, size_t max);

/* Tells the handler that member id's connection number conn (its
 * NODE_ZAP_CONN_PROPERTY) delivered a message: the member's waiting
 * request, if any, is admitted now. */
void node_zap_spoken(node_zap_t *self, const char *id, uint64_t conn);

/* Admits the waiting requests whose time has come; call it often (every
 * 100 ms or so). */
void node_zap_tick(node_zap_t *self);

/* Connections refused so far. */
uint64_t node_zap_refused(const node_zap_t *self);

#endif
