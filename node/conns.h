/* vocfed: the coordinator's table of its members' TCP connections (SPEC
 * 10.2).
 *
 * libzmq's ROUTER cannot drop a peer. What it tells: the socket of each
 * accepted connection (ZMQ_EVENT_ACCEPTED, _DISCONNECTED, from a socket
 * monitor) and the socket each message came on (its "__fd" property,
 * ZMQ_SRCFD). The table keeps, per socket, when it was accepted, its two
 * addresses and whether a message came on it; a connection that has not
 * delivered a message NODE_CONNS_SILENT_MS after it was accepted is shut
 * down (an honest member says hello at once), so that an admitted
 * connection that never speaks cannot stay, and hold a frame, for long.
 *
 * shutdown(2), never close(2): the descriptor stays libzmq's, whose I/O
 * thread sees the end of the stream and closes it. Before it, the
 * socket's addresses are compared with those recorded: libzmq may have
 * closed the descriptor and reused it for another connection. */
#ifndef VOCFED_NODE_CONNS_H
#define VOCFED_NODE_CONNS_H

#include "protocol/entry.h"
#include "protocol/status.h"

#include <stdbool.h>
#include <stdint.h>

/* A connection silent this long after its accept is shut down: more than
 * a ZAP answer may wait (NODE_ZAP_SETUP_MS) plus time to speak. */
#define NODE_CONNS_SILENT_MS 15000

typedef struct node_conns_t node_conns_t;

/* An empty table. Returns 0 or VOCFED_ENOMEM. */
int node_conns_new(node_conns_t **out) VOCFED_WUR;

/* Frees the table; NULLs *self; accepts NULL. */
void node_conns_destroy(node_conns_t **self);

/* libzmq accepted a connection on socket fd (now_ms: a monotonic time). */
void node_conns_accepted(node_conns_t *self, int fd, uint64_t now_ms);

/* libzmq closed the connection of socket fd. Returns whether a member's
 * message came on it, and then its id into member (PROTO_ID_MAX + 1
 * bytes). */
bool node_conns_gone(node_conns_t *self, int fd, char *member);

/* A message came on socket fd, from member (NULL: not told). Returns
 * whether the socket is open (recorded). */
bool node_conns_spoke(node_conns_t *self, int fd, const char *member,
                      uint64_t now_ms);

/* Whether socket fd is known and still the connection recorded. */
bool node_conns_open(node_conns_t *self, int fd);

/* Shuts down socket fd if the table knows it and it is still the same
 * socket; forgets it. */
void node_conns_close(node_conns_t *self, int fd);

/* Reads past a silent connection's deadline, beyond two per connection,
 * before it is shut while the socket still has messages queued. */
#define NODE_CONNS_READS_MARGIN 64

/* Shuts down the connections silent for NODE_CONNS_SILENT_MS since their
 * accept whose first message cannot be waiting unread: reads is how many
 * messages the caller has read from the socket so far (it only grows),
 * empty whether it has none queued now. A connection past its deadline is
 * shut once the socket is empty, or once the caller has read twice as
 * many messages as there are connections (and NODE_CONNS_READS_MARGIN)
 * since the sweep first found it past: libzmq hands out its connections'
 * queued messages in turn. So a backlog delays the sweep, never shuts a
 * connection whose hello waits in it. Returns how many were shut. */
uint64_t node_conns_sweep(node_conns_t *self, uint64_t now_ms, uint64_t reads,
                          bool empty);

#endif
