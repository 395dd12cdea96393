/* vocfed: the coordinator's ZAP handler (SPEC 10.2; ZAP 1.0, RFC 27).
 *
 * Answers libzmq's authentication requests on inproc://zeromq.zap.01, in
 * the coordinator's own loop: 200 with User-Id = member id only for
 * mechanism CURVE, domain NODE_ZAP_DOMAIN and a key that is on the roster
 * and active; 400 otherwise. Refusals are counted and logged once per
 * interval (per roster member, and once for all unknown keys). */
#ifndef VOCFED_NODE_ZAP_H
#define VOCFED_NODE_ZAP_H

#include "node/roster.h"

#include <czmq.h>
#include <stdint.h>

#define NODE_ZAP_DOMAIN "vocfed"

typedef struct node_zap_t node_zap_t;

/* Binds the handler. It must exist before a CURVE server socket binds,
 * and only one may exist per process. roster is borrowed for the
 * handler's life (the caller may reload it in place). Returns 0,
 * VOCFED_EEXISTS (a handler is bound already) or VOCFED_ENOMEM. */
int node_zap_new(const node_roster_t *roster, uint64_t interval_ms,
                 node_zap_t **out) VOCFED_WUR;

/* Unbinds and frees; NULLs *self; accepts NULL. */
void node_zap_destroy(node_zap_t **self);

/* The socket to poll for requests (owned by the handler). */
zsock_t *node_zap_sock(node_zap_t *self);

/* Reads one request (if one is waiting) and answers it. */
void node_zap_handle(node_zap_t *self);

/* Connections refused so far. */
uint64_t node_zap_refused(const node_zap_t *self);

#endif
