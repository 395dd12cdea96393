/* vocfed: the coordinator daemon (SPEC 10.2).
 *
 * A ROUTER socket with CURVE on, whose key is the coordinator's Ed25519
 * identity converted to X25519. A ZAP handler in the same loop (zap.h)
 * admits only active roster keys, in the "vocfed" domain, and names each
 * connection by its member id, one connection per member at a time; the
 * sockets of the connections are watched (conns.h); what is kept per
 * member is a session (session.h). Every batch is verified and committed, in
 * groups, before a signed receipt goes back; members pull the coordinator's own
 * log (roster, targets, figures) the same way. One thread, one store. */
#ifndef VOCFED_NODE_COORDINATOR_H
#define VOCFED_NODE_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>

#define NODE_DEFAULT_LISTEN "tcp://127.0.0.1:7700"
#define NODE_ABUSE_INTERVAL_MS 10000 /* SPEC 10.5 */
/* Messages libzmq queues from one member's connection (ZMQ_RCVHWM). It
 * tells the connection of the coordinator's reads every half queue, so a
 * queue can be full, and libzmq stop reading the connection (heartbeats
 * too, and then their timeout closes it), with half of it and one more
 * unread: that must exceed what an honest member ever has unread there
 * (NODE_MEMBER_MAX_UNREAD, SPEC 10.2). */
#define NODE_COORDINATOR_RCVHWM 32

typedef struct {
    const char *dir;    /* the coordinator's store */
    const char *listen; /* endpoint to bind, e.g. tcp://127.0.0.1:7700 */
    bool verbose;       /* log every batch taken in */
    uint64_t abuse_interval_ms; /* a member's abuse is logged once per
                                   interval, and over 512 abuses in one it
                                   is throttled to its end (SPEC 10.5);
                                   0: NODE_ABUSE_INTERVAL_MS */
    uint64_t heartbeat_ms;      /* members' heartbeat interval: one silent for
                                   three is not connected (SPEC 10.3); 0: 5 s */
    uint64_t rate_msgs;         /* each member's rate (SPEC 10.5): messages a */
    uint64_t rate_bytes;        /* second and bytes a second; 0: the default */
    bool rate_msgs_fixed;       /* given on the command line: a SIGHUP, */
    bool rate_bytes_fixed;      /* which reads vocfed.cfg again, keeps it */
} node_coordinator_opts_t;

/* Runs until SIGINT/SIGTERM; on SIGHUP reads the members' rate from
 * vocfed.cfg again (a rate fixed on the command line stays, a file it
 * cannot read leaves the rates as they were, said in the log). Returns 0
 * after a clean stop, or a status
 * (VOCFED_ELOCKED: another daemon has the store; -errno: cannot bind). */
int node_coordinator_run(const node_coordinator_opts_t *o);

#endif
