/* vocfed: what the coordinator keeps about each member it hears from
 * (SPEC 10.5): its connection, its rate limits (token buckets), its abuse
 * counters, when to log them and when to throttle it, and the counters'
 * persistence in the store's `peers` (so they go on across restarts).
 *
 * The sessions are a table keyed by member id that owns every session
 * and its routing frame; a session pointer stays valid until the table is
 * destroyed. Nothing here sends or decodes messages. */
#ifndef VOCFED_NODE_SESSION_H
#define VOCFED_NODE_SESSION_H

#include "node/alarm.h"
#include "protocol/entry.h"
#include "protocol/msg.h"
#include "storage/stats.h"
#include "storage/store.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The heartbeat interval when none is given (SPEC 10.3). */
#define NODE_HEARTBEAT_MS 5000

/* Abuses in one interval before a member is throttled for the rest of it.
 * An honest member's worst case is the batches it had in flight when its
 * connection broke, come late (at most 12, member.h: gaps after a
 * coordinator's restart); what it sends again that was never receipted
 * to it on its live connection is not counted at all (coordinator.c). */
#define NODE_ABUSE_TOLERANCE 512

/* Kinds of abuse from an admitted member (SPEC 10.5). */
typedef enum {
    NODE_ABUSE_MALFORMED, /* does not decode */
    NODE_ABUSE_TOO_LARGE, /* over a cap of SPEC 8.9 */
    NODE_ABUSE_REFUSED,   /* batch refused (signature, root, author, ...) */
    NODE_ABUSE_REPLAYED,  /* batch of entries already held and receipted
                             on this connection */
    NODE_ABUSE_SEQ_GAP,   /* batch starts past the held log */
    NODE_ABUSE_FLOODED,   /* over the rate limit: dropped unread */
    NODE_ABUSE_UNREAD,    /* reply dropped: the member does not read */
    NODE_ABUSE_OTHER,     /* wrong id in hello, bad receipt */
    NODE_ABUSE_KINDS
} node_abuse_t;

/* Messages over its rate one member may have waiting (SPEC 10.5): more
 * than an honest member keeps in flight (12 batches, a 16 MiB window, and
 * a hello or a receipt), so an honest member is slowed, never dropped. */
#define NODE_DEFER_MSGS 32
#define NODE_DEFER_BYTES (2 * (size_t)PROTO_MSG_MAX)
/* Bytes waiting from all members at once; past it, a message over its
 * member's rate is dropped (flooded). */
#define NODE_DEFER_TOTAL ((size_t)256 * 1024 * 1024)

/* A token bucket: capacity `burst`, refilled at `rate` per second. */
typedef struct {
    double tokens;  /* available now */
    uint64_t at_ms; /* when last refilled */
} node_bucket_t;

/* One member the coordinator has heard from. */
typedef struct {
    char id[PROTO_ID_MAX + 1];         /* member id, bound by ZAP */
    zframe_t *routing;                 /* ROUTER routing id of its connection
                                          (owned), NULL until it sends */
    uint64_t last_contact_ms;          /* last message (ms since 1970) */
    uint64_t count[NODE_ABUSE_KINDS];  /* abuse counted, since the daemon
                                          began or as persisted before */
    uint64_t logged[NODE_ABUSE_KINDS]; /* count[] when last logged */
    uint64_t next_log_ms;              /* when abuse may be logged again */
    node_alarm_limit_t detail[NODE_ABUSE_KINDS]; /* a kind's details (and
                                                    alarm): once an interval */
    node_alarm_limit_t hello_log; /* a hello is logged once an interval */
    uint64_t window_start_ms;     /* start of the current abuse window */
    uint64_t window_abuse;        /* abuse counted in it */
    uint64_t throttled_until_ms;  /* everything dropped unread until then */
    uint64_t messages_in;         /* messages received */
    uint64_t bytes_in;            /* their bytes */
    uint64_t batches[STORE_STATS_OUTCOMES]; /* its batches by outcome
                                               (SPEC 5.1), persisted */
    node_bucket_t msgs;                     /* message rate limit */
    node_bucket_t bytes;                    /* byte rate limit */
    /* Messages that came over its rate, read in order as its rate allows
     * (SPEC 10.5: credit). A ring of frames (owned). */
    zframe_t *deferred[NODE_DEFER_MSGS];   /* the messages, oldest at dhead */
    uint64_t deferred_us[NODE_DEFER_MSGS]; /* when each came (monotonic) */
    uint64_t due_arrived_us;  /* when the one node_sessions_due last gave
                                 back came */
    size_t dhead;             /* the oldest */
    size_t dn;                /* how many */
    size_t dbytes;            /* their bytes */
    uint64_t slowed;          /* messages made to wait, all told
                                 (persisted: `waited`) */
    uint64_t lent;            /* waiting messages read on spare capacity,
                                 all told (node_sessions_lend; persisted) */
    uint64_t lent_logged;     /* lent when last logged */
    uint64_t lend_log_ms;     /* when lending may be logged again */
    uint64_t unlent_until_ms; /* abuse: nothing lent to it until then */
    uint64_t full_seq;        /* first seq refused as storage full, 0
                                 once a batch is stored again */
    uint64_t receipted;       /* the size of its log our receipts on its
                                 live connection covered, 0: none sent on
                                 it (a resend of more is no replay) */
    bool dirty;               /* state to persist */
    /* Its live connection (SPEC 10.2): one per member. */
    uint64_t conn;    /* its number given by ZAP, 0 before the first message */
    int fd;           /* its socket in libzmq while open, else -1 */
    bool daemon;      /* the live connection sent heads: a daemon's heartbeat
                         (`vocfed sync` never does, SPEC 10.3) */
    bool shown;       /* connected, as last written to the store */
    uint64_t said;    /* the size of its log it said it holds, as last
                         written to the store (SPEC 12.3); 0 before */
    uint64_t said_ms; /* when (monotonic): at most one write a second */
    /* Its copy of the coordinator's own log (SPEC 10.7). */
    bool copy_heard;    /* it said, since the daemon started, how much of
                           our log it holds (a hello or heads) */
    uint64_t copy_size; /* that size */
    bool copy_conflict; /* its copy is another history than ours */
} node_session_t;

/* Where a message came from, against the member's live connection. */
typedef enum {
    NODE_CONN_SAME, /* the live connection */
    NODE_CONN_NEW,  /* a newer one: it is the live one now */
    NODE_CONN_STALE /* an older one (or unnumbered): drop the message */
} node_conn_t;

/* All sessions. */
typedef struct node_sessions_t node_sessions_t;

/* A table for at most max sessions; abuse is logged once, and tolerated
 * NODE_ABUSE_TOLERANCE times, per interval_ms. Returns 0 or
 * VOCFED_ENOMEM. */
int node_sessions_new(size_t max, uint64_t interval_ms,
                      node_sessions_t **out) VOCFED_WUR;

/* Frees the table and every session in it; NULLs *self; accepts NULL. */
void node_sessions_destroy(node_sessions_t **self);

/* The session of member id, made (its counters read back from st) when it
 * has none; *made tells which. NULL when the table is full, the id too
 * long, or memory short. */
node_session_t *node_sessions_get(node_sessions_t *self, store_t *st,
                                  const char *id, bool *made);

/* The session of member id, or NULL. */
node_session_t *node_sessions_find(node_sessions_t *self, const char *id);

/* Iteration (not reentrant): the first session, then the next; NULL at
 * the end. */
node_session_t *node_sessions_first(node_sessions_t *self);
node_session_t *node_sessions_next(node_sessions_t *self);

/* The abuse interval (ms). */
uint64_t node_sessions_interval(const node_sessions_t *self);

/* What to do with a message just received. */
typedef enum {
    NODE_ADMIT_READ = 0, /* read it now */
    NODE_ADMIT_DEFER,    /* over the member's rate: the session holds it,
                            node_sessions_due gives it back in turn */
    NODE_ADMIT_DROP      /* counted as flooded: drop it unread */
} node_admit_t;

/* A member's rates in force (SPEC 10.5): per second and the bursts. */
typedef struct {
    double msgs;        /* messages a second */
    double burst_msgs;  /* messages at once */
    double bytes;       /* bytes a second */
    double burst_bytes; /* bytes at once */
} node_rates_t;

/* Rates of msgs messages and bytes bytes a second, the bursts scaled
 * with them (twice and 1.5 times); either 0: the default, or what
 * VOCFED_RATE_MSGS or VOCFED_RATE_BYTES says (tests, benchmarks). */
node_rates_t node_sessions_rates_at(uint64_t msgs, uint64_t bytes);

/* node_sessions_rates_at(0, 0): what node_sessions_new takes. */
node_rates_t node_sessions_rates(void);

/* Every member's rates from now on (`vocfed coordinator --rate-msgs`,
 * `--rate-bytes`). */
void node_sessions_set_rates(node_sessions_t *self, const node_rates_t *r);

/* A message *payload from s: counted, and stamped with its time. Within
 * its rate (SPEC 10.5: 2,000 messages/s, burst 4,000; 64 MiB/s, burst 96
 * MiB, unless node_sessions_set_rates gave others) and with nothing
 * waiting: READ. Over its
 * rate, or behind what waits, with room (NODE_DEFER_*): DEFER, and s has
 * taken *payload (NULLed). Throttled, or no room: DROP, counted as
 * flooded. */
node_admit_t node_session_admit(node_sessions_t *self, node_session_t *s,
                                zframe_t **payload);

/* The next waiting message whose member's rate now allows it: the frame
 * (the caller owns it), its session in *s (with when it came in
 * (*s)->due_arrived_us); NULL when none is due. A
 * throttled member's waiting messages are dropped (flooded). */
zframe_t *node_sessions_due(node_sessions_t *self, node_session_t **s);

/* Spare capacity (SPEC 10.5): for a caller with nothing else to read, the
 * oldest waiting message of the next waiting member in turn, read although
 * its rate does not allow it yet; its buckets are emptied (never below
 * zero), so under contention it waits for its rate again. A member counted
 * for any abuse in the last interval, or throttled, is lent nothing. The
 * frame (the caller owns it), its session in *s (with when it came in
 * (*s)->due_arrived_us); NULL when nothing can be lent. Logged once per
 * interval per member. */
zframe_t *node_sessions_lend(node_sessions_t *self, node_session_t **s);

/* Whether any message waits. */
bool node_sessions_waiting(const node_sessions_t *self);

/* Drops s's waiting messages (not counted: they came on a connection the
 * member has left, SPEC 10.3). */
void node_session_defer_clear(node_sessions_t *self, node_session_t *s);

/* A message of s came on connection number conn (ZAP's
 * NODE_ZAP_CONN_PROPERTY, 0 when it had none) over socket fd (libzmq's,
 * -1 unknown). A newer connection becomes the live one and starts afresh
 * what is kept per connection. */
node_conn_t node_session_connection(node_session_t *s, uint64_t conn, int fd);

/* Counts one abuse of s. Logged with the others once per interval; a
 * member over NODE_ABUSE_TOLERANCE in one interval (flooding aside) is
 * throttled until it ends, so that abuse costs no decoding and no
 * verification. */
void node_session_abuse(node_sessions_t *self, node_session_t *s,
                        node_abuse_t kind);

/* Logs the abuse lines the interval held back, once it has passed. */
void node_sessions_log_abuse(node_sessions_t *self);

/* Sets the heartbeat interval (default 5 s): a member is connected while
 * its live connection is open and it was heard from in the last three. */
void node_sessions_heartbeat(node_sessions_t *self, uint64_t interval_ms);

/* Whether s is connected now: its live connection open, a message from
 * it in the last three heartbeat intervals (SPEC 10.5). */
bool node_session_connected(const node_sessions_t *self,
                            const node_session_t *s);

/* Writes the state of the sessions that changed to st's peers (every one,
 * marked disconnected, with all_disconnected: the daemon stops). A
 * session whose connected state changed since it was last written has
 * changed (and a line says a member went away). */
void node_sessions_persist(node_sessions_t *self, store_t *st,
                           bool all_disconnected);

#endif
