/* vocfed: the coordinator daemon (SPEC 10.2): its event loop, the
 * dispatch of members' messages and the group commit. What it keeps per
 * member is in session.c, who may connect in zap.c. */
#include "node/coordinator.h"
#include "node/applier.h"
#include "node/alarm.h"
#include "node/config.h"
#include "node/conns.h"
#include "node/daemon.h"
#include "node/member.h"
#include "node/node.h"
#include "node/replicate.h"
#include "node/rekey.h"
#include "node/roster.h"
#include "node/session.h"
#include "node/stats.h"
#include "node/zap.h"
#include "protocol/clock.h"
#include "protocol/msg.h"
#include "storage/backup.h"
#include "storage/stats.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define S_PERSIST_MS 1000     /* peer state is written at most this often */
#define S_ZAP_TICK_MS 100     /* waiting ZAP requests looked at (zap.h) */
#define S_DUE_MS 5            /* messages over their member's rate looked at */
#define S_MAX_SESSIONS 100000 /* members connected at once */
#define S_GROUP 16            /* batches committed together (one fsync) */
#define S_BURST 64 /* messages read before ZAP and commits get a turn */
/* ZAP requests answered in one turn: every one waiting, up to more
 * members than dial at once in a province (node_zap_drain). */
#define S_ZAP_DRAIN 4096
#define S_OVERSIZE_MARGIN (1024 * 1024) /* refused by us, not by libzmq */
/* The largest frame libzmq takes from a member (ZMQ_MAXMSGSIZE). */
#define S_FRAME_MAX (PROTO_MSG_MAX + S_OVERSIZE_MARGIN)
/* Messages queued for one member / from one member inside libzmq. With
 * one live connection per member, S_RCVHWM frames of at most S_FRAME_MAX
 * (under 576 MiB) bound the memory one member can make the coordinator
 * hold (SPEC 10.2, 10.5). The queue must not fill with an honest member's
 * messages (coordinator.h); with 16, honest members under a province's
 * backlog lost their links. libzmq 4.3.4 also aborts when a heartbeat
 * comes due on a full queue whose peer has closed (SPEC 10.2, known
 * limit). */
#define S_SNDHWM 64
#define S_RCVHWM NODE_COORDINATOR_RCVHWM
_Static_assert((uint64_t)S_RCVHWM *S_FRAME_MAX <= 576ull * 1024 * 1024,
               "a member's receive queue is bounded in bytes");
_Static_assert(S_RCVHWM - (S_RCVHWM + 1) / 2 + 1 >= NODE_MEMBER_MAX_UNREAD,
               "an honest member never fills its queue (coordinator.h)");
#define S_IO_THREADS 2 /* libzmq I/O threads (CURVE, framing) */
/* A member's answer to our pull of our own log (SPEC 10.7): after this,
 * another member may be asked. */
#define S_FETCH_WAIT_MS 10000

typedef struct {
    node_applier_t *applier;   /* applies the log behind it (SPEC 5.5) */
    node_t *node;              /* the node opened (node_open): owns what
                                  the next three borrow */
    store_t *st;               /* the coordinator's store, figures attached */
    const uint8_t *sk;         /* its Ed25519 secret key (guarded) */
    const char *id;            /* its node id */
    const char *dir;           /* its store's folder (roster.lock) */
    node_roster_t roster;      /* who may connect */
    node_sessions_t *sessions; /* what we keep per member */
    node_rates_t rates;        /* each member's rates in force (SPEC 10.5) */
    uint64_t rate_msgs_fixed;  /* the rates given on the command line (0: */
    uint64_t rate_bytes_fixed; /* none), which a SIGHUP keeps */
    node_zap_t *zap;           /* who may connect, asked by libzmq */
    zsock_t *router;           /* the members' socket */
    zactor_t *monitor;         /* its connections' events (zmonitor) */
    node_conns_t *conns;       /* its TCP connections (conns.h) */
    node_alarm_limit_t sweep_log; /* silent connections closed: logged
                                     once an interval */
    int watch;                    /* inotify on our store, or -1 */
    uint64_t own_size;            /* size of our own log last seen */
    proto_buf_t out;              /* scratch for replies */
    bool verbose;                 /* log every batch */
    node_alarm_limit_t full_log;  /* "storage full" logged once an interval */
    node_alarm_limit_t handshake_log; /* failed handshakes: logged once an
                                         interval, with their count */
    uint64_t handshakes_failed;       /* since the last such line */
    bool fenced; /* our store is fenced: we may lack entries of our own
                    log that members hold; we sign nothing (SPEC 10.7) */
    char fetch_from[PROTO_ID_MAX + 1]; /* the member asked for our own
                                          log, "" when none */
    uint64_t fetch_ms;                 /* when (monotonic) */
    bool lost_told; /* the lost entries alarmed, until the fence goes */
    node_alarm_limit_t wait_log; /* "waiting for members": logged
                                    once an interval */
    uint64_t interval_ms;        /* abuse: logged once, tolerated
                                    NODE_ABUSE_TOLERANCE times per interval */
    struct {
        zframe_t *payload;             /* the message (owns the bytes) */
        char member[PROTO_ID_MAX + 1]; /* who sent it */
        proto_msg_t msg;               /* decoded (borrows payload) */
        uint64_t arrived_us;           /* when it came (monotonic) */
    } group[S_GROUP];                  /* batches waiting for one commit */
    size_t ngroup;                     /* how many */
    /* Messages read during a group's commit (s_peek), in the order they
     * came, before any later one: the batches among them checked on the
     * store's helper thread while the commit waits for the disk
     * (store_ingest_next). Read from here first (s_on_message). */
    struct {
        zmsg_t *msg;      /* the message (owns the bytes) */
        uint64_t came_us; /* when it was read (monotonic) */
    } early[S_GROUP];
    size_t nearly, early_at;        /* how many; the next to read */
    proto_msg_t early_dec[S_GROUP]; /* s_peek's scratch */
    node_stats_t stats;             /* ingest and receipts (SPEC 5.1) */
    uint64_t reads;   /* messages read from the router (node_conns_sweep) */
    uint64_t came_us; /* when the message being read came (monotonic):
                         before any wait for its member's rate */

    node_daemon_trim_t trim; /* the heap given back after a burst */
} s_coord_t;

static void s_on_commit(s_coord_t *c);
static void s_on_own_batch(s_coord_t *c, node_session_t *s,
                           const proto_msg_batch_t *b);

/* ---- sending ------------------------------------------------------------ */

/* Never blocks: a member that does not read loses the reply (counted), and
 * nobody else waits for it. */
static int
s_send(s_coord_t *c, node_session_t *s, const proto_buf_t *payload)
{
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, &(zframe_t *){zframe_dup(s->routing)});
    zmsg_addmem(msg, payload->data, payload->len);
    int rc = zmsg_send(&msg, c->router);
    if (rc != 0 && errno == EAGAIN)
        node_session_abuse(c->sessions, s, NODE_ABUSE_UNREAD);
    zmsg_destroy(&msg);
    return rc;
}

static void
s_send_error(s_coord_t *c, node_session_t *s, int status, const char *text,
             const char *author, uint64_t seq)
{
    proto_buf_reset(&c->out);
    if (proto_msg_encode_error(vocfed_status_token(status), text, author, seq,
                               &c->out) == VOCFED_OK)
        s_send(c, s, &c->out);
}

static void
s_heads(s_coord_t *c, node_session_t *s)
{
    const char *authors[2] = {s->id, c->id};
    proto_buf_reset(&c->out);
    if (node_heads_encode(c->st, c->id, false, authors, 2, &c->out) ==
        VOCFED_OK)
        s_send(c, s, &c->out);
}

/* ---- batches: checked, committed in groups, answered -------------------- */

/* Our disk, not the member's doing (SPEC 5.4): no abuse, no receipt; the
 * member backs off and sends again. The rest of its window comes as gaps
 * behind the batch we could not store. */
static void
s_batch_not_stored(s_coord_t *c, node_session_t *s, const proto_msg_batch_t *b,
                   int rc)
{
    if (rc == VOCFED_ESTORAGEFULL && !s->full_seq)
        s->full_seq = b->first_seq;
    if (node_alarm_due(&c->full_log, c->interval_ms))
        zsys_error("coordinator: storage full: member=%s seq=%" PRIu64
                   " not stored and not acknowledged; it will be sent "
                   "again once the store's disk has room",
                   s->id, b->first_seq);
}

/* Details and an alarm once per interval and kind: a member sending bad
 * batches in a loop must not fill the log or the store. A quarantine is
 * always told. */
static void
s_batch_refused(s_coord_t *c, node_session_t *s, const proto_msg_batch_t *b,
                int rc, const store_ingest_result_t *res)
{
    node_abuse_t kind =
        rc == VOCFED_ESEQGAP ? NODE_ABUSE_SEQ_GAP : NODE_ABUSE_REFUSED;
    node_session_abuse(c->sessions, s, kind);
    node_alarm_t a = {NODE_ALARM_WARNING,
                      "refused",
                      s->id,
                      s->id,
                      b->first_seq,
                      res->what[0] ? res->what : vocfed_strerror(rc)};
    if (res->equivocation) {
        /* told now, and it counts as this interval's details */
        (void)node_alarm_due(&s->detail[kind], c->interval_ms);
        a.level = NODE_ALARM_ERROR;
        a.kind = "quarantine";
        node_alarm(c->st, NULL, 0, &a,
                   "coordinator: quarantined member=%s reason=%s", s->id,
                   res->what);
        return;
    }
    node_alarm(c->st, &s->detail[kind], c->interval_ms, &a,
               "coordinator: batch refused member=%s seq=%" PRIu64
               " reason=%s: %s",
               s->id, b->first_seq, vocfed_status_token(rc), res->what);
}

/* A batch's outcome, in the node's stats and its member's row (s may be
 * NULL: its session is gone). */
static void
s_count_batch(s_coord_t *c, node_session_t *s, int rc)
{
    node_stats_batch(&c->stats, rc);
    if (s) {
        s->batches[store_stats_slot(rc)]++;
        s->dirty = true;
    }
}

/* After the group commit: b's author is s (s_on_batch checked it). */
static void
s_after_batch(s_coord_t *c, node_session_t *s, const proto_msg_batch_t *b,
              int rc, const store_ingest_result_t *res, proto_buf_t *reply)
{
    if (rc == VOCFED_OK) {
        s->full_seq = 0;
        /* its log got past what was refused (SPEC 10.5) */
        node_alarm_clear(c->st, "refused", s->id, s->id, res->head.size);
        /* All held already. A replay only if our receipts on this
         * connection covered it: else it is an honest resend, of a
         * receipt lost with a connection or a member put back (SPEC
         * 10.5), and the receipt below answers it. */
        if (res->applied == 0 && res->skipped > 0 &&
            b->first_seq - 1 + b->entries.count <= s->receipted)
            node_session_abuse(c->sessions, s, NODE_ABUSE_REPLAYED);
        if (res->applied && c->verbose)
            zsys_info("coordinator: member=%s +%" PRIu64
                      " entries, size=%" PRIu64,
                      s->id, res->applied, res->head.size);
    } else if (rc == VOCFED_ESTORAGEFULL ||
               (rc == VOCFED_ESEQGAP && s->full_seq &&
                b->first_seq > s->full_seq)) {
        s_batch_not_stored(c, s, b, rc);
    } else {
        s_batch_refused(c, s, b, rc, res);
    }
    if (reply->len && s_send(c, s, reply) == 0 && rc == VOCFED_OK &&
        res->head.size > s->receipted)
        s->receipted = res->head.size;
}

static void s_on_commit(s_coord_t *c);

/* A member's key replaced by a handover it sent (SPEC 10.8): the roster
 * follows, under the roster lock, and is reloaded at once so that ZAP
 * and s_read refuse the old key from now on. A fenced coordinator signs
 * nothing (SPEC 10.7): its roster follows once the fence goes
 * (s_follow_all). */
static void
s_follow_keys(s_coord_t *c, const char *member)
{
    int lock = -1;
    bool changed = false;
    if (c->fenced) {
        zsys_info("coordinator: member=%s handed its key over: the roster "
                  "follows once the fence goes",
                  member);
        return;
    }
    int rc = node_roster_lock(c->dir, &lock);
    if (rc == VOCFED_OK)
        rc = node_rekey_follow(c->st, c->id, c->sk, member, &changed);
    node_roster_unlock(lock);
    if (rc)
        zsys_error("coordinator: member=%s handed its key over but the "
                   "roster could not follow: %s",
                   member, vocfed_strerror(rc));
    if (changed)
        s_on_commit(c);
}

/* Whether a batch taken in replaced its member's key: the store's key
 * is no longer the roster's. */
static bool
s_key_moved(s_coord_t *c, const char *member)
{
    uint8_t pk[PROTO_PUBKEY_LEN];
    const node_member_t *m = node_roster_find(&c->roster, member);
    return m && store_author_key(c->st, member, pk) == VOCFED_OK &&
           memcmp(pk, m->pk, PROTO_PUBKEY_LEN) != 0;
}

/* Every handover taken in that the roster does not follow yet (one
 * taken in just before a stop, or while fenced): it follows now. */
static void
s_follow_all(s_coord_t *c)
{
    for (size_t i = 0; i < c->roster.count; i++) {
        char member[PROTO_ID_MAX + 1];
        snprintf(member, sizeof member, "%s", c->roster.members[i].id);
        if (s_key_moved(c, member))
            s_follow_keys(c, member); /* may reload c->roster */
    }
}

/* The group's commit in the stats: its batches, the entries it took in
 * and how long it took. */
static void
s_commit_stats(s_coord_t *c, size_t n, const store_ingest_result_t *res,
               const int *rcs, uint64_t us)
{
    uint64_t entries = 0;
    for (size_t i = 0; i < n; i++)
        if (rcs[i] == VOCFED_OK)
            entries += res[i].applied;
    node_stats_commit(&c->stats, n, entries, us);
}

/* Whether a message of s read early is worth checking ahead: s has
 * nothing waiting for its rate and is not throttled (a flood is read
 * only as its rate allows: SPEC 10.5). */
static bool
s_early_ok(const node_session_t *s)
{
    return s->dn == 0 && proto_mono_ms() >= s->throttled_until_ms;
}

/* Before a group's commit (store_ingest_then_fn): reads what waits on
 * the socket, S_GROUP messages at most, and names the batches among them
 * from members that may send now for their entries to be checked during
 * the commit. Their bytes stay in c->early until read, and whatever is
 * not then taken into a group drops the work first (s_on_message). */
static void
s_peek(store_t *st, void *ctx)
{
    s_coord_t *c = ctx;
    while (c->nearly < S_GROUP && !node_daemon_stopping() &&
           (zsock_events(c->router) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv(c->router);
        if (!msg)
            break;
        c->early[c->nearly].msg = msg;
        c->early[c->nearly++].came_us = node_stats_now_us();
    }
    const proto_msg_batch_t *m[S_GROUP];
    size_t k = 0;
    for (size_t i = c->early_at; i < c->nearly; i++) {
        zmsg_t *msg = c->early[i].msg;
        zframe_t *payload = zmsg_size(msg) == 2 ? zmsg_last(msg) : NULL;
        const char *user = payload ? zframe_meta(payload, "User-Id") : NULL;
        node_session_t *s = user ? node_sessions_find(c->sessions, user) : NULL;
        proto_msg_t *mm = &c->early_dec[k];
        if (!s || !s_early_ok(s) ||
            proto_msg_decode(zframe_data(payload), zframe_size(payload), mm) ||
            mm->type != PROTO_MSG_BATCH ||
            mm->batch.author_len != strlen(s->id) ||
            memcmp(mm->batch.author, s->id, mm->batch.author_len) != 0)
            continue;
        m[k++] = &mm->batch;
    }
    node_batch_name_next(st, m, k);
}

static void s_flush(s_coord_t *c, bool peek);

/* Commits the waiting batches together, then answers each. */
static void
s_flush_group(s_coord_t *c)
{
    s_flush(c, false);
}

/* s_flush_group; with peek, what comes meanwhile is read and checked
 * during the commit (s_peek). */
static void
s_flush(s_coord_t *c, bool peek)
{
    size_t n = c->ngroup;
    if (n == 0)
        return;
    const proto_msg_batch_t *m[S_GROUP];
    proto_buf_t replies[S_GROUP];
    store_ingest_result_t res[S_GROUP];
    int rcs[S_GROUP];
    for (size_t i = 0; i < n; i++) {
        m[i] = &c->group[i].msg.batch;
        proto_buf_init(&replies[i]);
    }
    uint64_t t0 = node_stats_now_us();
    int rc = node_batch_accept_many_then(c->st, c->id, c->sk, m, n, replies,
                                         res, rcs, peek ? s_peek : NULL, c);
    s_commit_stats(c, n, res, rcs, node_stats_now_us() - t0);
    node_applier_kick(c->applier); /* the log moved (SPEC 5.5) */
    if (rc && c->verbose) /* every batch carries the status in rcs too */
        zsys_info("coordinator: %zu batches not committed: %s", n,
                  vocfed_strerror(rc));
    for (size_t i = 0; i < n; i++) {
        node_session_t *s = node_sessions_find(c->sessions, c->group[i].member);
        s_count_batch(c, s, rcs[i]);
        if (s)
            s_after_batch(c, s, m[i], rcs[i], &res[i], &replies[i]);
        if (s && rcs[i] == VOCFED_OK && replies[i].len) /* a receipt sent */
            node_stats_receipt(&c->stats,
                               node_stats_now_us() - c->group[i].arrived_us, 1);
        proto_buf_release(&replies[i]);
        zframe_destroy(&c->group[i].payload);
    }
    /* After the receipts went out: a handover's sender has its receipt
     * under the old key's connection before that key is refused. */
    for (size_t i = 0; i < n; i++)
        if (rcs[i] == VOCFED_OK && s_key_moved(c, c->group[i].member))
            s_follow_keys(c, c->group[i].member);
    c->ngroup = 0;
}

/* The one check of a batch's author before it is verified: a member sends
 * its own log, nobody else's (SPEC 10.2, wrong-author). A batch that
 * passes waits for the group commit, which takes *payload: the receipt
 * goes out only after the commit. */
static void
s_on_batch(s_coord_t *c, node_session_t *s, const proto_msg_t *mm,
           zframe_t **payload)
{
    const proto_msg_batch_t *b = &mm->batch;
    if (b->author_len == strlen(c->id) &&
        memcmp(b->author, c->id, b->author_len) == 0) {
        s_on_own_batch(c, s, b);
        return;
    }
    if (b->author_len != strlen(s->id) ||
        memcmp(b->author, s->id, b->author_len) != 0) {
        char author[PROTO_ID_MAX + 1];
        snprintf(author, sizeof author, "%.*s", (int)b->author_len, b->author);
        node_session_abuse(c->sessions, s, NODE_ABUSE_REFUSED);
        s_count_batch(c, s, VOCFED_EAUTHOR);
        node_alarm(c->st, &s->detail[NODE_ABUSE_REFUSED], c->interval_ms,
                   &(node_alarm_t){NODE_ALARM_WARNING, "refused", s->id, author,
                                   b->first_seq,
                                   "batch claims another member's log"},
                   "coordinator: batch refused member=%s seq=%" PRIu64
                   " reason=wrong-author: it claims the log of %s",
                   s->id, b->first_seq, author);
        s_send_error(c, s, VOCFED_EAUTHOR, "a member may only send its own log",
                     author, b->first_seq);
        return;
    }
    if (c->ngroup == S_GROUP)
        s_flush_group(c);
    c->group[c->ngroup].payload = *payload; /* the group owns it now */
    *payload = NULL;
    snprintf(c->group[c->ngroup].member, sizeof c->group[0].member, "%s",
             s->id);
    c->group[c->ngroup].msg = *mm;
    c->group[c->ngroup].arrived_us = c->came_us;
    c->ngroup++;
}

/* ---- our own log from the members' copies (SPEC 10.7) ------------------ */

/* Whether a pull of our own log waits for a member's answer. */
static bool
s_fetching(const s_coord_t *c)
{
    return c->fetch_from[0] && proto_mono_ms() - c->fetch_ms < S_FETCH_WAIT_MS;
}

/* Member s says it holds more of our log than we do: we ask it for the
 * entries from own + 1, one pull at a time. A claim is not proof (heads
 * are not signed): only the batch, signed with our key, is; it fences
 * us (s_on_own_batch), so a member that lies stops nothing. */
static void
s_fetch(s_coord_t *c, node_session_t *s, uint64_t own)
{
    if (s_fetching(c))
        return; /* one pull at a time: the next after its answer */
    proto_buf_reset(&c->out);
    if (proto_msg_encode_pull(c->id, own + 1, &c->out) != VOCFED_OK ||
        s_send(c, s, &c->out) != 0)
        return;
    zsys_info("coordinator: member=%s says it holds %" PRIu64
              " entries of our log, we %" PRIu64 ": asking it for them",
              s->id, s->copy_size, own);
    snprintf(c->fetch_from, sizeof c->fetch_from, "%s", s->id);
    c->fetch_ms = proto_mono_ms();
}

/* A batch of our own log past our head, signed with our key, came from
 * member s: we lost entries we signed (put back from a copy, or a disk
 * rolled back). We sign nothing (the fence) until every active member
 * has given its copy (SPEC 10.7). */
static void
s_lost_entries(s_coord_t *c, node_session_t *s, uint64_t own)
{
    if (!c->fenced) {
        if (store_fence_set(c->st, "a member held entries of this "
                                   "coordinator's log it lacked: fetching "
                                   "them") != VOCFED_OK)
            zsys_error("coordinator: cannot fence the store");
        else
            c->fenced = true;
    }
    node_alarm(c->st, NULL, 0,
               &(node_alarm_t){NODE_ALARM_WARNING, "ahead", s->id, c->id,
                               s->copy_size,
                               "member holds more of our log than we do: "
                               "fetching it before we sign again"},
               "coordinator: member=%s holds %" PRIu64
               " entries of our log, we held %" PRIu64
               ": fetching them, signing nothing meanwhile",
               s->id, s->copy_size, own);
}

/* What member s says it holds of our log (its hello or heads): kept,
 * fetched when it is more than ours, an alarm when it is another
 * history at a size we hold. */
static void
s_copy_said(s_coord_t *c, node_session_t *s, const proto_msg_heads_t *h)
{
    proto_head_t theirs;
    store_head_t own;
    uint8_t root[PROTO_HASH_LEN];
    if (node_heads_find(h, c->id, &theirs) || store_head(c->st, c->id, &own))
        return;
    s->copy_heard = true;
    s->copy_size = theirs.size;
    if (theirs.size > own.size) {
        s_fetch(c, s, own.size);
        return;
    }
    if (strcmp(c->fetch_from, s->id) == 0)
        c->fetch_from[0] = 0; /* it holds no more: nothing to wait for */
    bool same = theirs.size == 0 ||
                (store_root_at(c->st, c->id, theirs.size, root) == VOCFED_OK &&
                 memcmp(root, theirs.root, PROTO_HASH_LEN) == 0);
    if (same)
        node_alarm_clear(c->st, "copy-conflict", s->id, c->id, UINT64_MAX);
    else if (!s->copy_conflict)
        node_alarm(c->st, NULL, 0,
                   &(node_alarm_t){NODE_ALARM_ERROR, "copy-conflict", s->id,
                                   c->id, theirs.size,
                                   "member holds another history of our log"},
                   "coordinator: member=%s holds another history of our "
                   "log at size %" PRIu64,
                   s->id, theirs.size);
    s->copy_conflict = !same;
}

/* The fence goes once every active member on the roster has said, since
 * the daemon started, how much of our log it holds, and none holds more
 * than we do or another history (SPEC 10.7). */
static void
s_recovered_try(s_coord_t *c)
{
    store_head_t own;
    size_t waiting = 0;
    const char *first = NULL;
    if (!c->fenced || s_fetching(c) || store_head(c->st, c->id, &own))
        return;
    for (size_t i = 0; i < c->roster.count; i++) {
        const node_member_t *mb = &c->roster.members[i];
        node_session_t *s = node_sessions_find(c->sessions, mb->id);
        if (mb->status == NODE_MEMBER_ACTIVE &&
            (!s || !s->copy_heard || s->copy_size > own.size ||
             s->copy_conflict) &&
            waiting++ == 0)
            first = mb->id;
    }
    if (waiting) {
        if (node_alarm_due(&c->wait_log, c->interval_ms))
            zsys_info("coordinator: fenced, signing nothing: waiting for "
                      "%zu member(s) (%s first) to give their copy of our "
                      "log (SPEC 10.7)",
                      waiting, first);
        return;
    }
    if (store_fence_clear(c->st) != VOCFED_OK) {
        zsys_error("coordinator: cannot lift the store's fence");
        return;
    }
    c->fenced = false;
    c->lost_told = false;
    zsys_info("coordinator: our own log is whole (size %" PRIu64 ", as "
              "every member holds it): signing again",
              own.size);
    s_follow_all(c);
}

/* The fence as the store has it now (an operator may lift it: `vocfed
 * unfence`); while it stands, whether it may go. */
static void
s_fence_poll(s_coord_t *c)
{
    char why[2];
    int rc = store_fence_get(c->st, why, sizeof why);
    c->fenced = rc != VOCFED_ENOTFOUND;
    s_recovered_try(c);
}

/* Whether a refusal of a member's copy of our log says the copy is
 * another history or forged, rather than our own trouble (a full disk, a
 * stale batch: then it is asked again). */
static bool
s_conflicting(int rc)
{
    switch (rc) {
    case VOCFED_EROOT:
    case VOCFED_EPROOF:
    case VOCFED_EEXISTS:
    case VOCFED_EBADSIG:
    case VOCFED_EAUTHOR:
    case VOCFED_EBADRECORD:
    case VOCFED_EBADTIME:
    case VOCFED_EMALFORMED:
    case VOCFED_ENONCANONICAL:
        return true;
    default:
        return false;
    }
}

/* Our own log came back as two histories (we signed at a size a member
 * holds another entry at, between its claim and its batch): the evidence
 * stays, but we do not quarantine ourselves. */
static void
s_own_equivocation(s_coord_t *c)
{
    if (store_release(c->st, c->id,
                      "our own log: two histories signed; see the "
                      "copy-conflict alarm (SPEC 10.7)") != VOCFED_OK)
        zsys_error("coordinator: cannot lift our own quarantine");
}

/* A batch of our own log from member s: the answer to our pull, taken in
 * like any (verified against our own key, SPEC 8.4), no receipt sent. One
 * nobody asked for (an answer that came after its time) is dropped: only
 * what we asked for is taken, one member at a time. */
static void
s_on_own_batch(s_coord_t *c, node_session_t *s, const proto_msg_batch_t *b)
{
    store_ingest_result_t res;
    store_head_t own;
    proto_buf_t reply;
    if (strcmp(c->fetch_from, s->id) != 0 ||
        store_head(c->st, c->id, &own) != VOCFED_OK) {
        node_session_abuse(c->sessions, s, NODE_ABUSE_REPLAYED);
        return;
    }
    s_flush_group(c);
    c->fetch_from[0] = 0;
    proto_buf_init(&reply);
    int rc = node_batch_accept(c->st, c->id, c->sk, b, &reply, &res);
    proto_buf_release(&reply);
    node_applier_kick(c->applier);
    if (res.equivocation)
        s_own_equivocation(c);
    if (rc && !s_conflicting(rc)) {
        /* Our disk or our store, not its copy: asked again at its next
         * heads. */
        zsys_error("coordinator: cannot take our own log from member=%s: "
                   "%s",
                   s->id, vocfed_strerror(rc));
        return;
    }
    if (rc) {
        s->copy_conflict = true;
        node_alarm(c->st, NULL, 0,
                   &(node_alarm_t){NODE_ALARM_ERROR, "copy-conflict", s->id,
                                   c->id, b->first_seq, res.what},
                   "coordinator: member=%s's copy of our log refused "
                   "seq=%" PRIu64 " reason=%s: %s",
                   s->id, b->first_seq, vocfed_status_token(rc), res.what);
        return;
    }
    if (res.applied && own.size < res.head.size && !c->lost_told) {
        s_lost_entries(c, s, own.size);
        c->lost_told = true;
    }
    zsys_info("coordinator: fetched our own log from member=%s up to "
              "seq %" PRIu64,
              s->id, res.head.size);
    s_on_commit(c); /* the roster may have grown; members are told */
    if (res.head.size < s->copy_size) {
        s_fetch(c, s, res.head.size);
        return;
    }
    node_alarm_clear(c->st, "ahead", s->id, c->id, UINT64_MAX);
    s_recovered_try(c);
}

/* ---- the other messages ------------------------------------------------- */

/* What the member says it holds of its own log, kept when it changes:
 * the report's "behind" counts what it holds and we do not (SPEC 12.3). */
static void
s_said(s_coord_t *c, node_session_t *s, const proto_msg_heads_t *h)
{
    proto_head_t mine;
    uint64_t now = proto_mono_ms();
    if (node_heads_find(h, s->id, &mine) != VOCFED_OK || mine.size == s->said ||
        now - s->said_ms < S_PERSIST_MS)
        return; /* a member changing it in a loop costs one write a second */
    store_said_t said = {mine.size, proto_now_ms()};
    s->said_ms = now;
    if (store_peer_said_set(c->st, s->id, s->id, &said) == VOCFED_OK)
        s->said = mine.size;
}

static void
s_on_hello(s_coord_t *c, node_session_t *s, const proto_msg_heads_t *h)
{
    if (h->node_id_len != strlen(s->id) ||
        memcmp(h->node_id, s->id, h->node_id_len) != 0) {
        node_session_abuse(c->sessions, s, NODE_ABUSE_OTHER);
        s_send_error(c, s, VOCFED_EAUTHOR, "hello names another node", NULL, 0);
        return;
    }
    /* A member says hello on every (re)connection; a flood of them must
     * not flood the log. */
    if (node_alarm_due(&s->hello_log, c->interval_ms))
        zsys_info("coordinator: hello member=%s", s->id);
    s_said(c, s, h);
    s_heads(c, s);
    s_copy_said(c, s, h);
    if (c->fenced)
        s_recovered_try(c);
}

static void
s_on_pull(s_coord_t *c, node_session_t *s, const proto_msg_pull_t *p)
{
    char author[PROTO_ID_MAX + 1];
    snprintf(author, sizeof author, "%.*s", (int)p->author_len, p->author);
    /* Members see the coordinator's log and their own, never each
     * other's records: a member put back from a copy fetches its own
     * log's entries it lacks before it signs again (SPEC 8.7). */
    bool own = p->author_len <= PROTO_ID_MAX && strcmp(author, s->id) == 0;
    if (p->author_len > PROTO_ID_MAX || (strcmp(author, c->id) != 0 && !own)) {
        s_send_error(c, s, VOCFED_ENOTFOUND,
                     "only the coordinator's log and the member's own can "
                     "be pulled",
                     author, p->from_seq);
        return;
    }
    uint64_t last;
    proto_buf_reset(&c->out);
    int rc =
        node_batch_build(c->st, author, p->from_seq - 1, NODE_BATCH_ENTRIES,
                         NODE_BATCH_BYTES, &c->out, &last);
    if (rc == VOCFED_OK)
        s_send(c, s, &c->out);
    else if (rc == VOCFED_ENOTFOUND)
        s_heads(c, s); /* nothing new: say where we stand */
    else
        s_send_error(c, s, rc, vocfed_strerror(rc), author, p->from_seq);
}

static void
s_on_receipt(s_coord_t *c, node_session_t *s, const proto_msg_receipt_t *r)
{
    const node_member_t *m = node_roster_find(&c->roster, s->id);
    char author[PROTO_ID_MAX + 1] = "";
    store_ack_t ack;
    if (!m)
        return;
    int rc = node_receipt_check(c->st, s->id, m->pk, r->receipt, r->receipt_len,
                                author, &ack);
    store_head_t own;
    if (rc == VOCFED_EROOT && strcmp(author, c->id) == 0 &&
        store_head(c->st, c->id, &own) == VOCFED_OK && ack.acked > own.size)
        return; /* it holds more of our log than we do: fetched (10.7) */
    if (rc == VOCFED_EROOT)
        node_alarm(c->st, NULL, 0,
                   &(node_alarm_t){NODE_ALARM_ERROR, "bad-receipt", s->id,
                                   author, ack.acked,
                                   "receipt states a root that is not ours"},
                   "coordinator: member=%s holds another log of %s at size "
                   "%" PRIu64,
                   s->id, author, ack.acked);
    else if (rc)
        node_session_abuse(c->sessions, s, NODE_ABUSE_OTHER);
    else {
        node_alarm_clear(c->st, "bad-receipt", s->id, author, ack.acked);
        node_alarm_clear(c->st, "refused-by-peer", s->id, author, ack.acked);
    }
}

static void
s_on_refusal(s_coord_t *c, node_session_t *s, const proto_msg_error_t *e)
{
    node_alarm(c->st, NULL, 0,
               &(node_alarm_t){NODE_ALARM_WARNING, "refused-by-peer", s->id,
                               c->id, e->seq,
                               "member refused the coordinator's log"},
               "coordinator: member=%s refused our batch: %.*s: %.*s", s->id,
               (int)e->code_len, e->code, (int)e->text_len, e->text);
}

/* A member's heads after its hello: a daemon's heartbeat (SPEC 10.3).
 * Answered with ours, so that the member hears from us as often. */
static void
s_on_ping(s_coord_t *c, node_session_t *s, const proto_msg_heads_t *h)
{
    if (h->node_id_len != strlen(s->id) ||
        memcmp(h->node_id, s->id, h->node_id_len) != 0) {
        node_session_abuse(c->sessions, s, NODE_ABUSE_OTHER);
        s_send_error(c, s, VOCFED_EAUTHOR, "heads names another node", NULL, 0);
        return;
    }
    if (!s->daemon)
        s->dirty = true;
    s->daemon = true;
    s_said(c, s, h);
    s_heads(c, s);
    s_copy_said(c, s, h);
    if (c->fenced)
        s_recovered_try(c);
}

/* ---- dispatch ----------------------------------------------------------- */

/* Decodes a message s may send and acts on it; a batch may take
 * *payload. */
static void
s_dispatch(s_coord_t *c, node_session_t *s, zframe_t **payload)
{
    proto_msg_t mm;
    int rc =
        proto_msg_decode(zframe_data(*payload), zframe_size(*payload), &mm);
    if (rc) {
        node_session_abuse(c->sessions, s,
                           rc == VOCFED_ETOOLARGE ? NODE_ABUSE_TOO_LARGE
                                                  : NODE_ABUSE_MALFORMED);
        s_send_error(c, s, rc, "message does not decode", NULL, 0);
        return;
    }
    /* Answer in order: what waits for the group commit goes first. */
    if (mm.type != PROTO_MSG_BATCH)
        s_flush_group(c);
    switch (mm.type) {
    case PROTO_MSG_HELLO:
        s_on_hello(c, s, &mm.hello);
        break;
    case PROTO_MSG_BATCH:
        s_on_batch(c, s, &mm, payload);
        break;
    case PROTO_MSG_PULL:
        s_on_pull(c, s, &mm.pull);
        break;
    case PROTO_MSG_RECEIPT:
        s_on_receipt(c, s, &mm.receipt);
        break;
    case PROTO_MSG_ERROR:
        s_on_refusal(c, s, &mm.error);
        break;
    case PROTO_MSG_HEADS:
        s_on_ping(c, s, &mm.heads);
        break;
    }
}

/* The number of a connection property of a message (decimal digits),
 * or 0 when it has none or it does not read. */
static uint64_t
s_meta_number(zframe_t *frame, const char *property)
{
    const char *v = zframe_meta(frame, property);
    char *end;
    if (!v || *v < '0' || *v > '9')
        return 0;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    return errno || *end ? 0 : (uint64_t)n;
}

/* One live connection per member (SPEC 10.2): a message of an older
 * connection than the member's live one is dropped unread; one of a newer
 * connection makes it the live one. Returns whether the message may be
 * read. */
static bool
s_connection(s_coord_t *c, node_session_t *s, zframe_t *payload)
{
    uint64_t conn = s_meta_number(payload, NODE_ZAP_CONN_PROPERTY);
    /* libzmq's ZMQ_SRCFD, the socket the message came on */
    uint64_t fd = s_meta_number(payload, "__fd");
    if (fd > INT_MAX || !zframe_meta(payload, "__fd"))
        fd = (uint64_t)-1;
    int sock = fd == (uint64_t)-1 ? -1 : (int)fd;
    switch (node_session_connection(s, conn, sock)) {
    case NODE_CONN_STALE:
        /* It spoke: not one for the sweep of silent connections. */
        (void)node_conns_spoke(c->conns, sock, NULL, proto_mono_ms());
        return false;
    case NODE_CONN_NEW:
        /* what waited from the old one: the member sends again (10.3) */
        node_session_defer_clear(c->sessions, s);
        if (!node_conns_spoke(c->conns, sock, s->id, proto_mono_ms()))
            s->fd = -1; /* closed already */
        node_zap_spoken(c->zap, s->id, conn);
        return true;
    case NODE_CONN_SAME:
        break;
    }
    return true;
}

/* Reads an admitted message of s. */
static void
s_read(s_coord_t *c, node_session_t *s, zframe_t **payload)
{
    /* Suspended or revoked after connecting: refused from now on. */
    const node_member_t *m = node_roster_find(&c->roster, s->id);
    if (!m || m->status != NODE_MEMBER_ACTIVE) {
        s_send_error(c, s, m ? VOCFED_ESUSPENDED : VOCFED_EDENIED,
                     m ? node_member_status_name(m->status)
                       : "not on the roster",
                     NULL, 0);
        return;
    }
    /* Admitted under a key the roster has replaced since (SPEC 10.8):
     * nothing of it is read. */
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    const char *key = zframe_meta(*payload, NODE_ZAP_KEY_PROPERTY);
    proto_hex(m->curve_pk, PROTO_PUBKEY_LEN, hex);
    if (!key || strcmp(key, hex) != 0) {
        s_send_error(c, s, VOCFED_EDENIED,
                     "this connection's key was replaced on the roster: "
                     "connect with the new key",
                     NULL, 0);
        return;
    }
    s_dispatch(c, s, payload);
}

/* Reads messages that waited over their members' rate: those their rate
 * now allows (S_BURST at most), or with lend, on spare capacity (SPEC
 * 10.5): while nothing is on the socket, what waits is read anyway, one
 * member after another in turn, a group at most, so that a member alone
 * is slowed only by what the coordinator can take. Whatever comes on the
 * socket goes first. */
static void
s_read_waiting(s_coord_t *c, bool lend)
{
    node_session_t *s;
    zframe_t *f;
    for (int n = 0; n < (lend ? S_GROUP : S_BURST); n++) {
        if (node_daemon_stopping() ||
            (lend && (zsock_events(c->router) & ZMQ_POLLIN)))
            break;
        f = lend ? node_sessions_lend(c->sessions, &s)
                 : node_sessions_due(c->sessions, &s);
        if (!f)
            break;
        c->came_us = s->due_arrived_us;
        s_read(c, s, &f);
        zframe_destroy(&f);
    }
}

static void
s_on_due(s_coord_t *c)
{
    s_read_waiting(c, false);
}

static void
s_on_spare(s_coord_t *c)
{
    s_read_waiting(c, true);
    s_flush_group(c);
}

/* The messages read early that are left (the daemon stops): the work on
 * them dropped first. */
static void
s_early_free(s_coord_t *c)
{
    store_ingest_next_drop(c->st);
    for (size_t i = c->early_at; i < c->nearly; i++)
        zmsg_destroy(&c->early[i].msg);
    c->nearly = c->early_at = 0;
}

/* Reads the next message: the first read early, else from the socket. */
static void
s_on_message(s_coord_t *c)
{
    zmsg_t *msg;
    bool early = c->early_at < c->nearly;
    if (early) {
        msg = c->early[c->early_at].msg;
        c->came_us = c->early[c->early_at].came_us;
        c->early[c->early_at++].msg = NULL;
        if (c->early_at == c->nearly)
            c->nearly = c->early_at = 0;
    } else {
        if (!(msg = zmsg_recv(c->router)))
            return;
        c->came_us = node_stats_now_us();
    }
    c->reads++;
    zframe_t *routing = zmsg_pop(msg);
    zframe_t *payload = zmsg_pop(msg);
    zframe_t *const first = payload; /* where the group may take it */
    const char *user = payload ? zframe_meta(payload, "User-Id") : NULL;
    bool made;
    node_session_t *s = NULL;
    if (!routing || !payload || !user || !*user || zmsg_size(msg) != 0 ||
        !(s = node_sessions_get(c->sessions, c->st, user, &made)))
        goto done;
    if (made)
        zsys_info("coordinator: connected member=%s", user);
    if (!s_connection(c, s, payload))
        goto done;
    if (!s->routing || !zframe_eq(s->routing, routing)) {
        zframe_destroy(&s->routing);
        s->routing = zframe_dup(routing);
    }
    /* Over its rate: it waits its turn (s_on_due); a flood is dropped
     * unread: no decoding, no reply (SPEC 10.5). */
    if (node_session_admit(c->sessions, s, &payload) == NODE_ADMIT_READ)
        s_read(c, s, &payload);
done:
    /* A message read early whose bytes go anywhere but into the group
     * (refused, waiting for its rate, not a batch): the work named on
     * them is dropped before they may go. */
    if (early && store_ingest_next_pending(c->st) &&
        !(c->ngroup && c->group[c->ngroup - 1].payload == first))
        store_ingest_next_drop(c->st);
    zframe_destroy(&routing);
    zframe_destroy(&payload);
    zmsg_destroy(&msg);
}

/* ---- our own log changed ------------------------------------------------ */

static void
s_on_commit(s_coord_t *c)
{
    store_head_t h;
    if (store_head(c->st, c->id, &h) || h.size == c->own_size)
        return;
    c->own_size = h.size;
    /* The roster is part of our log: reload it, applied (the writer may
     * not have applied it yet), then tell every member. */
    node_roster_t r = {0};
    if (store_catch_up(c->st, 0) == VOCFED_OK &&
        node_roster_load(c->st, c->id, &r) == VOCFED_OK &&
        node_roster_curves(&r) == VOCFED_OK) {
        node_roster_release(&c->roster);
        c->roster = r;
    } else {
        node_roster_release(&r);
    }
    for (node_session_t *s = node_sessions_first(c->sessions); s;
         s = node_sessions_next(c->sessions))
        if (s->routing)
            s_heads(c, s);
}

/* ---- the loop's handlers ------------------------------------------------ */

/* Whether member id still has a connection open: its next one waits
 * (SPEC 10.2). */
static bool
s_busy(void *arg, const char *id)
{
    s_coord_t *c = arg;
    node_session_t *s = node_sessions_find(c->sessions, id);
    if (s && s->fd >= 0 && !node_conns_open(c->conns, s->fd))
        s->fd = -1; /* its DISCONNECTED event was missed */
    return s && s->fd >= 0;
}

/* The rates in force into the rates row (SPEC 10.5), for `vocfed status`
 * and /metrics; a failed write is logged, the rates hold anyway. */
static void
s_rates_row(s_coord_t *c)
{
    store_rates_t r = {(uint64_t)c->rates.msgs, (uint64_t)c->rates.bytes,
                       proto_now_ms()};
    int rc = store_rates_set(c->st, c->id, &r);
    if (rc)
        zsys_warning("coordinator: cannot write the rates in force: %s",
                     vocfed_strerror(rc));
}

/* After a SIGHUP: the members' rate from vocfed.cfg again, where the
 * command line did not fix it (the option, then the file, then
 * VOCFED_RATE_*, then the default, as at the start). A file that cannot
 * be read, or holds a bad value, changes nothing. */
static void
s_reload(s_coord_t *c)
{
    node_config_t cfg;
    char why[320] = "";
    int rc = node_config_load_why(c->dir, &cfg, why, sizeof why);
    if (rc) {
        zsys_error("coordinator: SIGHUP: %s/%s: %s: each member's rate stays "
                   "%.0f messages/s and %.1f MiB/s",
                   c->dir, NODE_CONFIG_FILE, why[0] ? why : vocfed_strerror(rc),
                   c->rates.msgs, c->rates.bytes / 1048576.0);
        return;
    }
    uint64_t msgs =
        c->rate_msgs_fixed ? c->rate_msgs_fixed : node_rate_msgs(cfg.rate_msgs);
    uint64_t bytes = c->rate_bytes_fixed ? c->rate_bytes_fixed
                                         : node_rate_bytes(cfg.rate_bytes);
    c->rates = node_sessions_rates_at(msgs, bytes);
    node_sessions_set_rates(c->sessions, &c->rates);
    s_rates_row(c);
    zsys_info("coordinator: SIGHUP: %s read again: each member's rate %.0f "
              "messages/s and %.1f MiB/s%s",
              NODE_CONFIG_FILE, c->rates.msgs, c->rates.bytes / 1048576.0,
              c->rate_msgs_fixed || c->rate_bytes_fixed
                  ? " (a rate given on the command line kept)"
                  : "");
}

static int
s_zap_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_coord_t *c = arg;
    node_zap_tick(c->zap);
    if (node_daemon_reload_asked())
        s_reload(c);
    return node_daemon_go_on();
}

/* libzmq closed the connection of socket fd: if it was a member's live
 * one, the member may connect again (its waiting ZAP request is
 * answered at the next tick). */
static void
s_gone(s_coord_t *c, int fd)
{
    char id[PROTO_ID_MAX + 1];
    node_session_t *s = node_conns_gone(c->conns, fd, id)
                            ? node_sessions_find(c->sessions, id)
                            : NULL;
    if (s && s->fd == fd)
        s->fd = -1;
}

/* Told once an interval, with how many since the last line: the client
 * cannot be named (its key is in the part of the handshake that failed),
 * and one dialling in a loop must not flood the log. */
static void
s_handshake_failed(s_coord_t *c, const char *event)
{
    c->handshakes_failed++;
    if (!node_alarm_due(&c->handshake_log, c->interval_ms))
        return;
    zsys_warning("coordinator: %" PRIu64 " handshake%s failed (%s) since the "
                 "last such line: a member dialling with another coordinator "
                 "key, or not a vocfed member",
                 c->handshakes_failed, c->handshakes_failed == 1 ? "" : "s",
                 event + 17);
    c->handshakes_failed = 0;
}

/* The ROUTER's connections come and go (SPEC 10.2: a silent one is shut
 * down, conns.h). */
static int
s_monitor_ready(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_coord_t *c = arg;
    char *event = NULL, *value = NULL, *endpoint = NULL;
    if (zstr_recvx(sock, &event, &value, &endpoint, NULL) >= 2) {
        char *end;
        long fd = strtol(value, &end, 10);
        if (*end == '\0' && fd >= 0 && fd <= INT_MAX) {
            if (streq(event, "ACCEPTED"))
                node_conns_accepted(c->conns, (int)fd, proto_mono_ms());
            else if (streq(event, "DISCONNECTED"))
                s_gone(c, (int)fd);
        }
        /* A CURVE handshake that failed before ZAP was asked: a client
         * with another coordinator key (or not speaking CURVE). Its value
         * is an errno or a code, not a socket. */
        if (!strncmp(event, "HANDSHAKE_FAILED_", 17))
            s_handshake_failed(c, event);
    }
    zstr_free(&event);
    zstr_free(&value);
    zstr_free(&endpoint);
    return node_daemon_go_on();
}

static int
s_zap_ready(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    (void)sock;
    s_coord_t *c = arg;
    (void)node_zap_drain(c->zap, S_ZAP_DRAIN);
    return node_daemon_go_on();
}

/* Takes what is waiting, but lets ZAP and commits in between; a stop is
 * honoured between two messages. */
static int
s_router_ready(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_coord_t *c = arg;
    s_on_due(c); /* what waited goes first */
    int i = 0;
    for (;;) {
        /* What was read during the last commit, all of it, first, and
         * alone in its group: its batches are the ones being checked. */
        if (c->early_at < c->nearly)
            for (; c->early_at < c->nearly; i++)
                s_on_message(c);
        else
            for (; i < S_BURST && !node_daemon_stopping() &&
                   (zsock_events(sock) & ZMQ_POLLIN);
                 i++)
                s_on_message(c);
        /* Another round only within the burst: then what comes during
         * this commit is read and checked meanwhile. */
        s_flush(c, i < S_BURST && !node_daemon_stopping());
        if (c->early_at == c->nearly)
            break;
    }
    if (node_sessions_waiting(c->sessions))
        s_on_spare(c);
    return node_daemon_go_on();
}

/* Messages over their member's rate are read as its rate allows, or on
 * spare capacity. */
static int
s_due_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_coord_t *c = arg;
    if (node_sessions_waiting(c->sessions)) {
        s_on_due(c);
        s_flush_group(c);
        s_on_spare(c);
    }
    return node_daemon_go_on();
}

static int
s_watch_ready(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    s_coord_t *c = arg;
    if (node_daemon_watch_commit(item->fd, c->st)) {
        node_applier_kick(c->applier); /* another process wrote */
        s_on_commit(c);
    }
    return node_daemon_go_on();
}

static int
s_persist_due(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_coord_t *c = arg;
    s_flush_group(c);
    /* Only a connection whose first message cannot be queued unread is
     * shut (conns.h): so libzmq has not stopped its input (SPEC 10.2),
     * and a backlog of batches delays the sweep instead of shutting the
     * members that dialled again behind it. */
    uint64_t silent = node_conns_sweep(c->conns, proto_mono_ms(), c->reads,
                                       !(zsock_events(c->router) & ZMQ_POLLIN));
    if (silent && node_alarm_due(&c->sweep_log, c->interval_ms))
        zsys_warning("coordinator: closed %" PRIu64 " connections that said "
                     "nothing for %d s",
                     silent, NODE_CONNS_SILENT_MS / 1000);
    node_sessions_log_abuse(c->sessions);
    node_sessions_persist(c->sessions, c->st, false);
    if (c->fenced)
        s_fence_poll(c);
    node_stats_persist(&c->stats, c->st);
    node_daemon_trim_after_burst(&c->trim,
                                 c->stats.s.hist[STORE_HIST_COMMIT_ENTRIES].sum,
                                 proto_mono_ms());
    return node_daemon_go_on();
}

/* ---- start and stop ----------------------------------------------------- */

/* The store with the figures, our id and our secret key. The place of
 * node_open(). */
static int
s_open(s_coord_t *c, const char *dir)
{
    /* The receipts wait for the log only; the applier process, with a
     * handle of its own, applies the log to the figures (SPEC 5.5). */
    int rc = node_open(dir, NODE_OPEN_KEY | NODE_OPEN_ASYNC_APPLY, &c->node);
    if (rc || (rc = node_applier_start(dir, &c->applier)))
        return rc;
    c->st = node_store(c->node);
    c->sk = node_sk(c->node);
    c->id = node_id(c->node);
    return VOCFED_OK;
}

/* The CURVE server members connect to; ZAP must be bound before. */
static int
s_listen(s_coord_t *c, const char *listen)
{
    int rc = node_daemon_socket(ZMQ_ROUTER, c->sk, &c->router);
    if (rc)
        return rc;
    zsock_set_zap_domain(c->router, NODE_ZAP_DOMAIN);
    zsock_set_curve_server(c->router, 1);
    /* libzmq drops a connection whose message passes this cap before
     * anything is allocated for it; between PROTO_MSG_MAX and the cap the
     * program itself refuses (and counts) the message. */
    zsock_set_maxmsgsize(c->router, S_FRAME_MAX);
    zsock_set_sndhwm(c->router, S_SNDHWM);
    zsock_set_rcvhwm(c->router, S_RCVHWM);
    zsock_set_router_mandatory(c->router, 1);
    /* Each connection's socket, from before its first byte. */
    if (!(c->monitor = zactor_new(zmonitor, c->router)))
        return VOCFED_ENOMEM;
    /* (A ZAP refusal, HANDSHAKE_FAILED_AUTH, is told by zap.c.) */
    zstr_sendx(c->monitor, "LISTEN", "ACCEPTED", "DISCONNECTED",
               "HANDSHAKE_FAILED_NO_DETAIL", "HANDSHAKE_FAILED_PROTOCOL", NULL);
    zstr_sendx(c->monitor, "START", NULL);
    zsock_wait(c->monitor);
    if (zsock_bind(c->router, "%s", listen) < 0)
        return -(errno ? errno : EADDRINUSE);
    return VOCFED_OK;
}

/* Everything the loop needs, after the store is open. */
static int
s_start(s_coord_t *c, const node_coordinator_opts_t *o)
{
    int rc;
    c->dir = o->dir;
    c->verbose = o->verbose;
    c->interval_ms =
        o->abuse_interval_ms ? o->abuse_interval_ms : NODE_ABUSE_INTERVAL_MS;
    /* The roster is records of our log: read it applied (SPEC 5.5). */
    if ((rc = store_catch_up(c->st, 0)) ||
        (rc = node_roster_load(c->st, c->id, &c->roster)) ||
        (rc = node_roster_curves(&c->roster)) ||
        (rc =
             node_sessions_new(S_MAX_SESSIONS, c->interval_ms, &c->sessions)) ||
        (rc = node_zap_new(&c->roster, c->interval_ms, &c->zap)) ||
        (rc = node_conns_new(&c->conns)))
        return rc;
    node_sessions_heartbeat(c->sessions, o->heartbeat_ms);
    c->rates = node_sessions_rates_at(o->rate_msgs, o->rate_bytes);
    node_sessions_set_rates(c->sessions, &c->rates);
    c->rate_msgs_fixed = o->rate_msgs_fixed ? o->rate_msgs : 0;
    c->rate_bytes_fixed = o->rate_bytes_fixed ? o->rate_bytes : 0;
    s_rates_row(c);
    node_stats_init(&c->stats, c->st, c->id);
    node_zap_on_busy(c->zap, s_busy, c);
    node_daemon_signals();
    node_daemon_signal_reload();
    if ((rc = s_listen(c, o->listen))) {
        zsys_error("coordinator: cannot listen on %s: %s", o->listen,
                   vocfed_strerror(rc));
        return rc;
    }
    if ((c->watch = node_daemon_watch(o->dir)) < 0)
        return c->watch;
    store_head_t h;
    if (store_head(c->st, c->id, &h) == VOCFED_OK)
        c->own_size = h.size;
    char why[256];
    if ((c->fenced =
             store_fence_get(c->st, why, sizeof why) != VOCFED_ENOTFOUND))
        zsys_warning("coordinator: the store is fenced (%s): signing "
                     "nothing until every active member has given its copy "
                     "of our log (SPEC 10.7)",
                     why);
    else /* a handover taken in just before a stop: the roster follows */
        s_follow_all(c);
    return VOCFED_OK;
}

/* The event loop: ZAP first, then members' messages, then our commits. */
static int
s_loop(s_coord_t *c)
{
    zloop_t *loop = zloop_new();
    if (!loop)
        return VOCFED_ENOMEM;
    zmq_pollitem_t watch = {NULL, c->watch, ZMQ_POLLIN, 0};
    int rc = VOCFED_ENOMEM;
    if (zloop_reader(loop, node_zap_sock(c->zap), s_zap_ready, c) == 0 &&
        zloop_reader(loop, c->router, s_router_ready, c) == 0 &&
        zloop_reader(loop, zactor_sock(c->monitor), s_monitor_ready, c) == 0 &&
        zloop_poller(loop, &watch, s_watch_ready, c) == 0 &&
        zloop_timer(loop, S_PERSIST_MS, 0, s_persist_due, c) >= 0 &&
        zloop_timer(loop, S_DUE_MS, 0, s_due_tick, c) >= 0 &&
        zloop_timer(loop, S_ZAP_TICK_MS, 0, s_zap_tick, c) >= 0)
        rc = node_daemon_loop(loop);
    zloop_destroy(&loop);
    return rc;
}

int
node_coordinator_run(const node_coordinator_opts_t *o)
{
    s_coord_t c = {.watch = -1};
    int rc;
    proto_buf_init(&c.out);
    /* Two I/O threads: CURVE decryption happens there, and one member's
     * large messages must not hold up every other member's (SPEC 10.5).
     * Only takes effect before the first socket; none exists yet. */
    zmq_ctx_set(zsys_init(), ZMQ_IO_THREADS, S_IO_THREADS);
    node_daemon_heap_keep(); /* the members' batches: node/daemon.h */
    int lock = node_daemon_take("coordinator", o->dir);
    if (lock < 0)
        return lock;
    if ((rc = s_open(&c, o->dir)) || (rc = s_start(&c, o)))
        goto done;
    zsys_info("coordinator: id=%s listening on %s, %zu members on the "
              "roster, heartbeat %" PRIu64 " s, each member's rate %.0f "
              "messages/s and %.1f MiB/s",
              c.id, o->listen, c.roster.count,
              (o->heartbeat_ms ? o->heartbeat_ms : NODE_HEARTBEAT_MS) / 1000,
              c.rates.msgs, c.rates.bytes / 1048576.0);
    rc = s_loop(&c);
    s_flush_group(&c);
    s_early_free(&c);
    node_sessions_persist(c.sessions, c.st, true);
    node_stats_persist(&c.stats, c.st);
    zsys_info("coordinator: stopped");
done:
    if (c.watch >= 0)
        close(c.watch);
    zactor_destroy(&c.monitor);
    zsock_destroy(&c.router);
    node_applier_stop(&c.applier);
    node_conns_destroy(&c.conns);
    node_zap_destroy(&c.zap);
    node_sessions_destroy(&c.sessions);
    node_roster_release(&c.roster);
    node_close(&c.node);
    proto_buf_release(&c.out);
    node_daemon_unlock(lock);
    return rc;
}
