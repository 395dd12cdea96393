/* vocfed: the member daemon and `vocfed sync` (SPEC 10.3), as a state
 * machine: s_enter is the one place the state changes. */
#include "node/member.h"
#include "node/applier.h"
#include "protocol/clock.h"
#include "node/alarm.h"
#include "node/daemon.h"
#include "node/identity.h"
#include "node/node.h"
#include "node/rekey.h"
#include "node/replicate.h"
#include "node/stats.h"
#include "protocol/msg.h"
#include "storage/backup.h"

#include <assert.h>
#include <sodium.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>

#define S_MAX_FLIGHT NODE_MEMBER_MAX_FLIGHT /* batches in flight */
#define S_DEFAULT_WINDOW (16 * 1024 * 1024) /* bytes in flight */
/* Heads not back: hello again once after this, then each S_STALL_MS.
 * On a live link the hello is queued behind what the member sent before
 * (its batches, with a province's backlog, maybe tens of seconds of the
 * coordinator's work); each one more is one more message in its queue
 * there, and a full queue stops libzmq reading the link, heartbeats too
 * (SPEC 10.2, 10.3). */
#define S_HELLO_RETRY_MS 3000
#define S_HELLO_AGAIN_MS 200   /* hello not sent: again */
#define S_STALL_MS 30000       /* receipts not back: resync */
#define S_BACKOFF_MS 2000      /* after a refusal: the first */
#define S_BACKOFF_MAX_MS 60000 /* refusals and failed handshakes: at most */
#define S_TICK_MS 1000 /* peer state written, stall checked, heartbeat */
/* With batches in flight, the receipt and the counters are recorded at
 * most this often (SPEC 8.6). */
#define S_RECORD_QUIET_MS 10000
/* A wake that found no new entry: the head is read again after 1, 2,
 * 4 ... ms, up to the last (SPEC 10.3). */
#define S_RECHECK_FIRST_MS 1
#define S_RECHECK_LAST_MS 256
#define S_HEARTBEAT_MS 5000        /* default heartbeat interval (SPEC 10.3) */
#define S_HEARTBEATS_LOST 3        /* intervals of silence: the link is lost */
#define S_REDIAL_MS 1000           /* libzmq's first redial, doubling ... */
#define S_REDIAL_MAX_MS 60000      /* ... to this */
#define S_CONNECT_TIMEOUT_MS 10000 /* a TCP connect not done: timed out */
#define S_PEER_UNKNOWN "coordinator" /* alarms' peer before its id is known */

#define S_RUNS 64 /* runs of our own entries waiting for their receipt */

/* Entries of our own log put while the daemon ran, waiting for the
 * receipt that covers them (put-to-receipt latency, SPEC 5.1). */
typedef struct {
    uint64_t first, last; /* seqs */
    uint64_t seen_us;     /* when their commit was seen (monotonic) */
} s_run_t;

/* A batch on its way. */
typedef struct {
    uint64_t last; /* last seq in it */
    size_t bytes;  /* its size */
} s_flight_t;

struct node_member_daemon_t {
    const node_member_opts_t *o;     /* how we were started (borrowed) */
    node_member_stats_t stats;       /* what happened */
    node_applier_t *applier;         /* applies the log behind it (SPEC
                                        5.5); NULL once */
    node_t *node;                    /* the node opened (node_open): owns what
                                        the next three borrow */
    store_t *st;                     /* our store, figures attached */
    const uint8_t *sk;               /* our Ed25519 secret key (guarded) */
    const char *id;                  /* our node id */
    char coord_id[PROTO_ID_MAX + 1]; /* the coordinator's, once known */
    int lock;                        /* the daemon lock, or -1 */
    int watch;                       /* inotify on our store, or -1 */
    int recheck_timer;               /* the watch's next read of our head
                                        (s_watch_check), or -1 */
    uint64_t recheck_ms;             /* its delay */
    zsock_t *dealer;                 /* to the coordinator */
    zactor_t *monitor;               /* connection events */
    zloop_t *loop;                   /* the loop attached to, not owned */
    node_member_state_t state;       /* where the session is */
    node_member_state_fn on_state;   /* told of each change, or NULL */
    void *on_state_arg;              /* its argument */
    int timer;                       /* the state's one-shot timer (hello
                                        again, back-off over), or -1 */
    bool connected;                  /* transport is up: CURVE handshake
                                        done (HANDSHAKE_SUCCEEDED) */
    bool tcp_up;                     /* TCP connected, handshake not done */
    bool attempt_closed;             /* a TCP connect failed (CLOSED) and
                                        its retry is not told yet */
    uint64_t hb_ms;                  /* heartbeat interval */
    uint64_t last_ping_ms;           /* our last heads (monotonic) */
    bool ping_out;                   /* a ping not answered yet */
    unsigned hellos;                 /* hellos said again in this
                                        hello-sent state */
    bool hello_sent;                 /* the last hello went (else the
                                        link was not up yet) */
    uint64_t dial_ms;                /* when the TCP connect under way
                                        began (monotonic), 0 if none */
    uint64_t backoff_ms;             /* the back-off step after a refusal
                                        or a failed handshake; 0: none */
    int redial_timer;                /* our redial after a failed
                                        handshake (libzmq does not), or -1 */
    char cause[200];                 /* why the link fails, as alarmed;
                                        "" while it works */
    uint64_t remote_size;            /* coordinator's copy of our log */
    uint64_t next_from;              /* next seq to send */
    s_flight_t flight[S_MAX_FLIGHT]; /* batches in flight, oldest first */
    size_t nflight;                  /* how many */
    size_t inflight_bytes;           /* their bytes */
    uint64_t coord_head;             /* coordinator's own log, per heads */
    bool pulling;                    /* a pull is on its way */
    uint64_t own_target;             /* the coordinator holds our log up to
                                        this size, past ours: fetching it
                                        (SPEC 10.6); 0 when not */
    bool own_pulling;                /* a pull of our own log is on its
                                        way */
    uint64_t conflict_size;          /* the coordinator's heads conflict
                                        with our copy of its log at this
                                        size: its batch from there is
                                        asked for, as evidence (SPEC
                                        10.7); 0 when not */
    uint64_t last_rx_ms;             /* last message from the coordinator */
    uint64_t last_rx_mono;           /* the same, monotonic (silences are
                                        timed on it: the clock may jump) */
    uint64_t refused;                /* refusals either way */
    int refusal;                     /* first refusal (once mode) */
    bool refused_at_transport;       /* the handshake failed */
    bool dirty;                      /* peer state to persist */
    bool stop;                       /* end the loop (node_member_stop) */
    bool yield;                      /* end it once (the observer asked) */
    bool done;                       /* once: finished, with rc */
    int rc;                          /* once: the result */
    proto_buf_t out;                 /* scratch */
    struct {
        bool has;         /* a receipt checked, not yet recorded */
        store_ack_t ack;  /* what it states */
        proto_buf_t raw;  /* its signed bytes */
    } ack;                /* the latest of the receipts read together:
                             recorded once, after them (s_ack_record) */
    uint64_t recorded_ms; /* the receipt and counters last recorded
                             (monotonic; s_record_due) */
    node_stats_t counts;  /* ingest and receipts (SPEC 5.1) */
    uint64_t seen_size;   /* our log's size last seen */
    s_run_t runs[S_RUNS]; /* our entries awaiting a receipt */
    size_t nruns;         /* how many */

    node_daemon_trim_t trim; /* the heap given back after a burst */
};

static const char *const s_state_names[NODE_MEMBER_STATES] = {
    "disconnected", "hello-sent", "level", "back-off"};

/* Which changes of state there are (from, to). DISCONNECTED is only the
 * start: a lost link is a back-off, libzmq redialling meanwhile. */
static const bool s_moves[NODE_MEMBER_STATES][NODE_MEMBER_STATES] = {
    [NODE_MEMBER_DISCONNECTED] =
        {[NODE_MEMBER_HELLO_SENT] = true, [NODE_MEMBER_BACKOFF] = true},
    [NODE_MEMBER_HELLO_SENT] =
        {[NODE_MEMBER_LEVEL] = true, [NODE_MEMBER_BACKOFF] = true},
    [NODE_MEMBER_LEVEL] =
        {[NODE_MEMBER_HELLO_SENT] = true, [NODE_MEMBER_BACKOFF] = true},
    [NODE_MEMBER_BACKOFF] = {[NODE_MEMBER_HELLO_SENT] = true},
};

static int s_timer_due(zloop_t *loop, int timer_id, void *arg);

/* ---- sending ------------------------------------------------------------ */

static void
s_persist(node_member_daemon_t *m)
{
    if (!m->coord_id[0])
        return;
    store_peer_t p = {.connected =
                          m->connected && m->state == NODE_MEMBER_LEVEL,
                      .once = m->o->once,
                      .pid = (int)getpid(),
                      .last_contact_ms = m->last_rx_ms,
                      .refused = m->refused};
    /* the coordinator's batches are all a member takes in (SPEC 5.1) */
    memcpy(p.batches, m->counts.s.batches, sizeof p.batches);
    snprintf(p.id, sizeof p.id, "%s", m->coord_id);
    if (store_peer_set(m->st, &p) == VOCFED_OK)
        m->dirty = false;
}

/* Our own log grew (a put, an import): its new entries wait for the
 * receipt that covers them. Entries fetched from the coordinator are not
 * puts (s_on_own_batch moves seen_size past them first). */
static void
s_seen_own(node_member_daemon_t *m)
{
    store_head_t h;
    if (store_head(m->st, m->id, &h) || h.size <= m->seen_size)
        return;
    if (m->nruns == S_RUNS) /* the newest run takes them, its time kept */
        m->runs[S_RUNS - 1].last = h.size;
    else
        m->runs[m->nruns++] =
            (s_run_t){m->seen_size + 1, h.size, node_stats_now_us()};
    m->seen_size = h.size;
}

/* A receipt of the coordinator for our log up to acked: the waiting
 * entries it covers, each with its latency. */
static void
s_receipt_stats(node_member_daemon_t *m, uint64_t acked)
{
    uint64_t now = node_stats_now_us();
    size_t k = 0;
    for (; k < m->nruns && m->runs[k].first <= acked; k++) {
        s_run_t *r = &m->runs[k];
        uint64_t upto = r->last < acked ? r->last : acked;
        node_stats_receipt(&m->counts, now - r->seen_us, upto - r->first + 1);
        if (r->last > acked) {
            r->first = acked + 1;
            break;
        }
    }
    memmove(m->runs, m->runs + k, (m->nruns - k) * sizeof *m->runs);
    m->nruns -= k;
}

/* A batch taken in with node_batch_accept, counted: its outcome and its
 * commit. */
static int
s_accept(node_member_daemon_t *m, const proto_msg_batch_t *b,
         store_ingest_result_t *res)
{
    uint64_t t0 = node_stats_now_us();
    int rc = node_batch_accept(m->st, m->id, m->sk, b, &m->out, res);
    node_stats_commit(&m->counts, 1, rc ? 0 : res->applied,
                      node_stats_now_us() - t0);
    node_stats_batch(&m->counts, rc);
    m->dirty = true; /* the coordinator's row holds them too */
    return rc;
}

static int
s_send(node_member_daemon_t *m)
{
    /* One frame; never blocks (ZMQ_IMMEDIATE: no peer, no queueing). */
    int n = zmq_send(zsock_resolve(m->dealer), m->out.data, m->out.len,
                     ZMQ_DONTWAIT);
    return n == (int)m->out.len ? 0 : -1;
}

/* Arms the state's timer (delay 0: none), ending the one before. */
static void
s_timer(node_member_daemon_t *m, uint64_t delay_ms)
{
    if (m->timer >= 0 && m->loop)
        zloop_timer_end(m->loop, m->timer);
    m->timer = m->loop && delay_ms
                   ? zloop_timer(m->loop, delay_ms, 1, s_timer_due, m)
                   : -1;
}

/* Says hello; again after S_HELLO_RETRY_MS when no heads come back, or
 * soon when it could not be sent (the link's handshake may not be done
 * when its CONNECTED event is read). */
static void
s_hello(node_member_daemon_t *m)
{
    const char *authors[2] = {m->id, m->coord_id};
    size_t n = m->coord_id[0] ? 2 : 1;
    proto_buf_reset(&m->out);
    bool sent = node_heads_encode(m->st, m->id, true, authors, n, &m->out) ==
                    VOCFED_OK &&
                s_send(m) == 0;
    m->hello_sent = sent;
    s_timer(m, !sent            ? S_HELLO_AGAIN_MS
               : m->hellos == 0 ? S_HELLO_RETRY_MS
                                : S_STALL_MS);
}

/* The peer our alarms about the coordinator name. */
static const char *
s_peer_name(const node_member_daemon_t *m)
{
    return m->coord_id[0] ? m->coord_id : S_PEER_UNKNOWN;
}

/* Our heads again, as a heartbeat (SPEC 10.3): the coordinator answers
 * with its heads, so each side hears from the other every interval
 * while idle. A daemon sends them once level and then every interval;
 * `vocfed sync` never does, which is how the coordinator tells the two
 * apart. */
static void
s_ping(node_member_daemon_t *m)
{
    const char *authors[2] = {m->id, m->coord_id};
    if (m->o->once || !m->coord_id[0])
        return;
    proto_buf_reset(&m->out);
    if (node_heads_encode(m->st, m->id, false, authors, 2, &m->out) ==
            VOCFED_OK &&
        s_send(m) == 0) {
        m->last_ping_ms = proto_mono_ms();
        m->ping_out = true;
    }
}

/* The next back-off step after a refusal or a failed handshake: the
 * first, then twice the last, up to S_BACKOFF_MAX_MS (SPEC 10.3). */
static uint64_t
s_backoff_next(node_member_daemon_t *m)
{
    m->backoff_ms = m->backoff_ms ? 2 * m->backoff_ms : S_BACKOFF_MS;
    if (m->backoff_ms > S_BACKOFF_MAX_MS)
        m->backoff_ms = S_BACKOFF_MAX_MS;
    return m->backoff_ms;
}

/* The link failed for `cause`: one log line (each back-off step comes
 * here once), and an alarm when the cause is new (SPEC 10.5). */
static void
s_link_failed(node_member_daemon_t *m, const char *cause, uint64_t next_ms)
{
    bool same = strcmp(cause, m->cause) == 0;
    char next[48] = "";
    if (next_ms) /* 0: no next try (`vocfed sync` stops here) */
        snprintf(next, sizeof next, "; next try in %" PRIu64 " s",
                 (next_ms + 999) / 1000);
    snprintf(m->cause, sizeof m->cause, "%s", cause);
    if (same) {
        zsys_warning("member: cannot connect to %s: %s%s", m->o->coordinator,
                     cause, next);
        return;
    }
    node_alarm(m->st, NULL, 0,
               &(node_alarm_t){NODE_ALARM_ERROR, "connection", s_peer_name(m),
                               NULL, 0, cause},
               "member: cannot connect to %s: %s%s", m->o->coordinator, cause,
               next);
}

/* The session is level with the coordinator: the link works, and what
 * it held of our log is past every refusal at or below `coord_size`. */
static void
s_link_works(node_member_daemon_t *m, uint64_t coord_size)
{
    node_alarm_clear(m->st, "connection", S_PEER_UNKNOWN, NULL, UINT64_MAX);
    node_alarm_clear(m->st, "connection", m->coord_id, NULL, UINT64_MAX);
    node_alarm_clear(m->st, "refused-by-peer", m->coord_id, m->id, coord_size);
    m->cause[0] = 0;
}

/* ---- the state machine -------------------------------------------------- */

/* The one place the state changes (or is entered again: a hello said
 * again, a back-off started over). delay_ms: of a back-off (0: only the
 * link is waited for). */
static void
s_enter(node_member_daemon_t *m, node_member_state_t to, const char *why,
        uint64_t delay_ms)
{
    node_member_state_t from = m->state;
    if (from != to && !s_moves[from][to]) {
        zsys_error("member: no way from state %s to %s (%s)",
                   s_state_names[from], s_state_names[to], why);
        assert(!"a move the state machine does not have");
        return;
    }
    m->state = to;
    m->dirty = true;
    s_timer(m, 0);
    if (to == NODE_MEMBER_HELLO_SENT || to == NODE_MEMBER_BACKOFF) {
        m->nflight = 0; /* a new session starts from its heads */
        m->inflight_bytes = 0;
        m->ping_out = false;
        m->pulling = false;
        m->own_pulling = false;
        m->own_target = 0;
        m->conflict_size = 0;
    }
    if (to == NODE_MEMBER_HELLO_SENT) {
        m->hellos = 0;
        s_hello(m);
    } else if (to == NODE_MEMBER_BACKOFF)
        s_timer(m, delay_ms);
    if (from == to)
        return;
    if (m->o->debug)
        zsys_debug("member: state %s -> %s: %s", s_state_names[from],
                   s_state_names[to], why);
    if (m->on_state && m->on_state(m->on_state_arg, from, to) == -1)
        m->yield = true;
}

/* Sends batches while the window allows (SPEC 8.4: credit in bytes). */
static void
s_pump(node_member_daemon_t *m)
{
    store_head_t head;
    if (m->state != NODE_MEMBER_LEVEL || !m->connected || m->own_target ||
        store_head(m->st, m->id, &head))
        return;
    size_t window = m->o->window ? m->o->window : S_DEFAULT_WINDOW;
    while (m->nflight < S_MAX_FLIGHT && m->inflight_bytes < window &&
           m->next_from <= head.size) {
        uint64_t last;
        proto_buf_reset(&m->out);
        int rc =
            node_batch_build(m->st, m->id, m->next_from - 1, NODE_BATCH_ENTRIES,
                             NODE_BATCH_BYTES, &m->out, &last);
        if (rc) {
            zsys_error("member: cannot build a batch from seq %" PRIu64 ": %s",
                       m->next_from, vocfed_strerror(rc));
            s_enter(m, NODE_MEMBER_BACKOFF, "cannot build a batch",
                    s_backoff_next(m));
            return;
        }
        if (s_send(m) != 0)
            return;
        m->flight[m->nflight++] = (s_flight_t){last, m->out.len};
        m->inflight_bytes += m->out.len;
        m->next_from = last + 1;
    }
}

/* The coordinator holds `size` entries of our log but its receipt for
 * them never came (the link broke after its commit): nothing is left to
 * send, so nothing would bring one. The entry at `size` is sent again,
 * alone; the coordinator skips it (SPEC 8.4 step 2) and answers with its
 * receipt for everything it holds. */
static void
s_ask_receipt(node_member_daemon_t *m, uint64_t size)
{
    store_ack_t ack;
    uint64_t last;
    if (size == 0 || m->nflight == S_MAX_FLIGHT ||
        (m->ack.has && m->ack.ack.acked >= size) ||
        (store_peer_ack_get(m->st, m->coord_id, m->id, &ack) == VOCFED_OK &&
         ack.acked >= size))
        return;
    proto_buf_reset(&m->out);
    if (node_batch_build(m->st, m->id, size - 1, 1, NODE_BATCH_BYTES, &m->out,
                         &last) != VOCFED_OK ||
        s_send(m) != 0)
        return;
    m->flight[m->nflight++] = (s_flight_t){last, m->out.len};
    m->inflight_bytes += m->out.len;
}

/* Our receipt for the coordinator's log, given again at the start of a
 * session when we hold all it has: the one sent with its last batch may
 * have been lost with a connection, and nothing else would bring it
 * (SPEC 10.3). */
static void
s_restate_receipt(node_member_daemon_t *m)
{
    store_head_t held;
    if (!m->coord_id[0] || store_head(m->st, m->coord_id, &held) != VOCFED_OK ||
        held.size == 0 || held.size < m->coord_head)
        return;
    proto_buf_reset(&m->out);
    if (node_receipt_encode(m->st, m->id, m->sk, m->coord_id, &m->out) ==
        VOCFED_OK)
        s_send(m);
}

static void
s_pull(node_member_daemon_t *m)
{
    store_head_t held = {0};
    if (!m->coord_id[0] || m->pulling || !m->connected ||
        store_quarantined(m->st, m->coord_id))
        return; /* a coordinator in conflict: nothing taken (SPEC 10.7) */
    if (store_head(m->st, m->coord_id, &held) != VOCFED_OK)
        held.size = 0;
    if (m->coord_head <= held.size)
        return;
    proto_buf_reset(&m->out);
    if (proto_msg_encode_pull(m->coord_id, held.size + 1, &m->out) == 0 &&
        s_send(m) == 0)
        m->pulling = true;
}

/* ---- the coordinator's messages ---------------------------------------- */

static void
s_pull_own(node_member_daemon_t *m)
{
    store_head_t held;
    if (m->own_pulling || !m->connected ||
        store_head(m->st, m->id, &held) != VOCFED_OK)
        return;
    proto_buf_reset(&m->out);
    if (proto_msg_encode_pull(m->id, held.size + 1, &m->out) == 0 &&
        s_send(m) == 0)
        m->own_pulling = true;
}

/* Before our own log is fetched (SPEC 10.6, 10.8): the coordinator's
 * log is taken in first (s_pull, from s_on_heads and s_on_batch), so
 * that the roster in it states our key history, which our store takes
 * (node_rekey_adopt): a member rebuilt with a new key learns which
 * key signed each checkpoint it is about to take in. Then the pull. */
static void
s_own_next(node_member_daemon_t *m)
{
    store_head_t held = {0};
    uint8_t pk[PROTO_PUBKEY_LEN];
    if (!m->own_target || m->own_pulling || !m->coord_id[0])
        return;
    if (store_head(m->st, m->coord_id, &held) != VOCFED_OK)
        held.size = 0;
    if (held.size < m->coord_head)
        return; /* s_on_batch comes back here */
    crypto_sign_ed25519_sk_to_pk(pk, m->sk);
    int rc = node_rekey_adopt(m->st, m->coord_id, m->id, pk);
    if (rc == VOCFED_EKEY || rc == VOCFED_EEXISTS) {
        node_alarm(m->st, NULL, 0,
                   &(node_alarm_t){NODE_ALARM_ERROR, "refused", m->coord_id,
                                   m->id, 0,
                                   "the roster gives this node another key "
                                   "than node.key: nothing fetched"},
                   "member: the coordinator's roster gives %s another key "
                   "than node.key (%s): our log is not fetched",
                   m->id, vocfed_strerror(rc));
        if (!m->refusal)
            m->refusal = VOCFED_EKEY;
        s_enter(m, NODE_MEMBER_BACKOFF, "another key on the roster",
                s_backoff_next(m));
        return;
    }
    if (rc && rc != VOCFED_ENOTFOUND)
        zsys_warning("member: cannot read our key history from the roster: "
                     "%s",
                     vocfed_strerror(rc));
    s_pull_own(m);
}

/* The coordinator holds `theirs` entries of our log, we `ours`: we were
 * put back from a copy, or lost a commit. Signing now would sign a
 * second history, so we sign nothing (the fence) and fetch them first,
 * verified against our own key (SPEC 10.6). */
static void
s_fetch_own(node_member_daemon_t *m, uint64_t ours, uint64_t theirs)
{
    s_link_works(m, 0);
    if (store_fence_set(m->st, "the coordinator holds more of this node's "
                               "log than it does: fetching it") != VOCFED_OK)
        zsys_error("member: cannot fence the store");
    node_alarm(m->st, NULL, 0,
               &(node_alarm_t){NODE_ALARM_WARNING, "ahead", m->coord_id, m->id,
                               theirs,
                               "coordinator holds more of our log than we "
                               "do: fetching it before we sign again"},
               "member: the coordinator holds %" PRIu64
               " of our entries but we hold %" PRIu64 ": fetching them",
               theirs, ours);
    m->own_target = theirs;
    s_enter(m, NODE_MEMBER_LEVEL, "fetching our own log", 0);
    s_own_next(m);
}

/* Whether the coordinator's copy of our log is ours at its size; when it
 * is not, an alarm, the fence, and nothing sent: the store holds another
 * history than the one the coordinator took: only a rebuild from the
 * coordinator's copy mends it (SPEC 10.6; `vocfed restore --from`, SPEC
 * 5.6). When it is, the fence goes. */
static bool
s_same_head(node_member_daemon_t *m, const proto_head_t *mine)
{
    uint8_t root[PROTO_HASH_LEN];
    bool same = store_root_at(m->st, m->id, mine->size, root) != VOCFED_OK ||
                memcmp(root, mine->root, PROTO_HASH_LEN) == 0;
    if (same) {
        node_alarm_clear(m->st, "bad-head", m->coord_id, m->id, UINT64_MAX);
        if (store_fence_clear(m->st) != VOCFED_OK)
            zsys_error("member: cannot lift the store's fence");
        return true;
    }
    if (store_fence_set(m->st, "the coordinator holds another history of "
                               "this node's log: rebuild it from the "
                               "coordinator's copy") != VOCFED_OK)
        zsys_error("member: cannot fence the store");
    s_link_works(m, 0);
    node_alarm(m->st, NULL, 0,
               &(node_alarm_t){NODE_ALARM_ERROR, "bad-head", m->coord_id, m->id,
                               mine->size,
                               "coordinator's copy of our log differs: "
                               "nothing sent until it is rebuilt from "
                               "the coordinator's copy"},
               "member: the coordinator's copy of our log differs at "
               "size %" PRIu64 ": sending nothing",
               mine->size);
    if (!m->refusal)
        m->refusal = VOCFED_EROOT;
    s_enter(m, NODE_MEMBER_BACKOFF, "another history at the coordinator",
            s_backoff_next(m));
    return false;
}

/* A batch of our own log, fetched from the coordinator: taken in like
 * any (verified against our key, SPEC 8.4), no receipt sent. */
static void
s_on_own_batch(node_member_daemon_t *m, const proto_msg_batch_t *b)
{
    store_ingest_result_t res;
    m->own_pulling = false;
    if (!m->own_target)
        return; /* not asked for */
    proto_buf_reset(&m->out);
    int rc = s_accept(m, b, &res);
    node_applier_kick(m->applier);
    if (rc == VOCFED_OK && res.head.size > m->seen_size)
        m->seen_size = res.head.size; /* fetched, not put */
    if (rc) {
        m->refused++;
        node_alarm(m->st, NULL, 0,
                   &(node_alarm_t){NODE_ALARM_ERROR, "refused", m->coord_id,
                                   m->id, b->first_seq, res.what},
                   "member: refused the coordinator's copy of our log "
                   "seq=%" PRIu64 " reason=%s: %s",
                   b->first_seq, vocfed_status_token(rc), res.what);
        if (!m->refusal)
            m->refusal = rc;
        s_enter(m, NODE_MEMBER_BACKOFF, "our log refused", s_backoff_next(m));
        return;
    }
    m->stats.received += res.applied;
    if (res.head.size < m->own_target) {
        s_pull_own(m);
        return;
    }
    zsys_info("member: fetched our log from the coordinator up to seq %" PRIu64,
              res.head.size);
    node_alarm_clear(m->st, "ahead", m->coord_id, m->id, UINT64_MAX);
    s_enter(m, NODE_MEMBER_HELLO_SENT, "our log fetched", 0);
}

/* The heads answering our hello: where the coordinator's copy of our log
 * stands. Level from there, unless it holds more than we do (fetched
 * first) or another history of it (nothing sent). */
static void
s_level_start(node_member_daemon_t *m, const proto_msg_heads_t *h)
{
    store_head_t head;
    proto_head_t mine;
    if (node_heads_find(h, m->id, &mine) || store_head(m->st, m->id, &head))
        return; /* the hello is said again */
    if (mine.size > head.size) {
        s_fetch_own(m, head.size, mine.size);
        return;
    }
    node_alarm_clear(m->st, "ahead", m->coord_id, m->id, UINT64_MAX);
    if (!s_same_head(m, &mine))
        return;
    m->remote_size = mine.size;
    m->next_from = mine.size + 1;
    s_link_works(m, mine.size);
    if (mine.size == head.size)
        m->backoff_ms = 0; /* nothing to send: nothing left to refuse */
    s_enter(m, NODE_MEMBER_LEVEL, "heads", 0);
    s_ping(m); /* a daemon's, at once (SPEC 10.3) */
    if (mine.size < head.size)
        zsys_info("member: resuming at seq %" PRIu64 " of %" PRIu64,
                  mine.size + 1, head.size);
    s_ask_receipt(m, mine.size);
    s_restate_receipt(m);
    s_persist(m);
}

/* The store's authors, looked at for the coordinator's key. */
typedef struct {
    const char *self;          /* this node's id: never the coordinator */
    const char *said;          /* the id the coordinator says it has */
    const uint8_t *key;        /* the coordinator's key */
    bool said_ok;              /* `said` is registered, with that key */
    bool said_other;           /* `said` is registered, another key */
    char as[PROTO_ID_MAX + 1]; /* another author with that key */
} s_known_t;

static int
s_known_author(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_known_t *k = ctx;
    bool key = memcmp(pk, k->key, PROTO_PUBKEY_LEN) == 0;
    if (strcmp(id, k->said) == 0)
        *(key ? &k->said_ok : &k->said_other) = true;
    else if (key && strcmp(id, k->self) != 0)
        snprintf(k->as, sizeof k->as, "%s", id);
    return 0;
}

/* Refuses the coordinator's heads for `cause`: nothing of its log is
 * taken, and a `connection` alarm stays raised until a session goes
 * through (SPEC 10.3). */
static int
s_coordinator_refused(node_member_daemon_t *m, const char *cause)
{
    s_link_failed(m, cause, 0);
    m->refusal = VOCFED_EAUTHOR;
    return VOCFED_EAUTHOR;
}

/* Learns (first contact) or checks the coordinator's id. Its key is
 * bound to one id in this store: a coordinator that says it has another
 * (another store made with the same key, an id mistyped at its init) is
 * refused, whether the settings name the id, an earlier session of this
 * daemon learnt it, or the store registered it before (SPEC 10.3). */
static int
s_coordinator_is(node_member_daemon_t *m, const proto_msg_heads_t *h)
{
    char cid[PROTO_ID_MAX + 1];
    char cause[2 * PROTO_ID_MAX + 128];
    if (h->node_id_len > PROTO_ID_MAX)
        return VOCFED_EMALFORMED;
    snprintf(cid, sizeof cid, "%.*s", (int)h->node_id_len, h->node_id);
    const char *want = m->o->coordinator_id;
    if (m->coord_id[0]) {
        if (strcmp(cid, m->coord_id) == 0)
            return VOCFED_OK;
        snprintf(cause, sizeof cause,
                 "the coordinator now says it is %s; it said %s before, and "
                 "its log here is %s's",
                 cid, m->coord_id, m->coord_id);
        return s_coordinator_refused(m, cause);
    }
    if (want && want[0] && strcmp(cid, want) != 0) {
        /* Nothing of its log is taken under another id than the one the
         * settings name (init registered that one, SPEC 5.1). */
        snprintf(cause, sizeof cause,
                 "the coordinator says it is %s, but this node's settings "
                 "name %s (coordinator_id in vocfed.cfg)",
                 cid, want);
        return s_coordinator_refused(m, cause);
    }
    s_known_t k = {.self = m->id, .said = cid, .key = m->o->coordinator_pk};
    int rc = store_scan_authors(m->st, s_known_author, &k);
    if (rc) {
        zsys_error("member: cannot read this store's authors: %s",
                   vocfed_strerror(rc));
        m->refusal = rc;
        return rc;
    }
    if (k.said_other) { /* that id with another key: this node's own, say */
        snprintf(cause, sizeof cause,
                 "the coordinator says it is %s, an id this store holds "
                 "with another key",
                 cid);
        return s_coordinator_refused(m, cause);
    }
    if (!k.said_ok && k.as[0]) {
        snprintf(cause, sizeof cause,
                 "the coordinator says it is %s, but its key is registered "
                 "in this store as %s",
                 cid, k.as);
        return s_coordinator_refused(m, cause);
    }
    /* First contact: the coordinator's log is verified with the key we
     * were given, and that key is bound to this id for good. */
    if (!k.said_ok &&
        (rc = store_author_add(m->st, cid, m->o->coordinator_pk))) {
        zsys_error("member: coordinator %s: %s", cid, vocfed_strerror(rc));
        m->refusal = rc;
        return rc;
    }
    snprintf(m->coord_id, sizeof m->coord_id, "%s", cid);
    store_set_coordinator(m->st, cid); /* the role rule, SPEC 8.4 */
    return VOCFED_OK;
}

/* The coordinator offers a log that conflicts with our copy of it (SPEC
 * 10.7): an alarm, told once a session; nothing more of its log is taken
 * once it is quarantined, until an operator acts. */
static void
s_coord_conflict(node_member_daemon_t *m, uint64_t size, const char *why)
{
    node_alarm(m->st, NULL, 0,
               &(node_alarm_t){NODE_ALARM_ERROR, "coordinator-conflict",
                               m->coord_id, m->coord_id, size, why},
               "member: the coordinator's log conflicts with our copy of it "
               "at size %" PRIu64 ": %s; nothing more is taken from it until "
               "an operator acts ('vocfed members evidence %s')",
               size, why, m->coord_id);
}

/* A batch of the coordinator's log refused as conflicting with our copy
 * where ingest found no two checkpoints at one size: our checkpoint
 * covering its first entry (or our latest) and its last checkpoint are
 * kept as the evidence, and the coordinator is quarantined here. */
static void
s_coord_quarantine(node_member_daemon_t *m, const proto_msg_batch_t *b,
                   const char *why)
{
    proto_msg_iter_t it;
    const uint8_t *cp = NULL, *p;
    size_t len = 0, plen;
    uint64_t size;
    proto_buf_t held;
    proto_buf_init(&held);
    proto_msg_iter_init(&it, &b->checkpoints);
    while (proto_msg_next_bin(&it, &p, &plen) == 1) {
        cp = p;
        len = plen;
    }
    if (store_checkpoint_covering(m->st, m->coord_id, b->first_seq, &held,
                                  &size) != VOCFED_OK) {
        proto_buf_reset(&held);
        if (store_checkpoint_latest(m->st, m->coord_id, &held) != VOCFED_OK)
            proto_buf_reset(&held); /* none: nothing to keep */
    }
    if (!cp || store_quarantine(m->st, m->coord_id, held.data, held.len, cp,
                                len, why) != VOCFED_OK)
        zsys_error("member: cannot quarantine the coordinator");
    proto_buf_release(&held);
}

/* Whether the coordinator's heads conflict with our copy of its log: at
 * a size we hold, another root (SPEC 10.7). Then, once a session, the
 * alarm, and its batch from that size is asked for: its checkpoint there
 * is the evidence (s_on_batch). */
static bool
s_heads_conflict(node_member_daemon_t *m, const proto_head_t *theirs)
{
    store_head_t held;
    uint8_t root[PROTO_HASH_LEN];
    if (theirs->size == 0 || store_head(m->st, m->coord_id, &held) ||
        theirs->size > held.size ||
        store_root_at(m->st, m->coord_id, theirs->size, root) ||
        memcmp(root, theirs->root, PROTO_HASH_LEN) == 0)
        return false;
    if (m->conflict_size || store_quarantined(m->st, m->coord_id))
        return true; /* told already */
    s_coord_conflict(m, theirs->size,
                     "the coordinator states another root of its log at a "
                     "size we hold");
    m->conflict_size = theirs->size;
    proto_buf_reset(&m->out);
    if (proto_msg_encode_pull(m->coord_id, theirs->size, &m->out) == 0 &&
        s_send(m) == 0)
        m->pulling = true;
    return true;
}

static void
s_on_heads(node_member_daemon_t *m, const proto_msg_heads_t *h)
{
    proto_head_t theirs = {0};
    if (s_coordinator_is(m, h))
        return;
    m->ping_out = false;
    if (node_heads_find(h, m->coord_id, &theirs) == VOCFED_OK)
        m->coord_head = theirs.size;
    if (m->state == NODE_MEMBER_HELLO_SENT) {
        s_level_start(m, h);
        if (m->state != NODE_MEMBER_LEVEL)
            return;
    }
    m->pulling = false;
    s_pump(m);
    if (!s_heads_conflict(m, &theirs))
        s_pull(m);
    /* `vocfed sync` says so: the coordinator's log is not taken */
    if (m->o->once && !m->refusal && store_quarantined(m->st, m->coord_id))
        m->refusal = VOCFED_EQUARANTINED;
}

static void
s_on_receipt(node_member_daemon_t *m, const proto_msg_receipt_t *r)
{
    char author[PROTO_ID_MAX + 1] = "";
    store_ack_t ack;
    if (!m->coord_id[0])
        return;
    int rc = node_receipt_verify(m->st, m->coord_id, m->o->coordinator_pk,
                                 r->receipt, r->receipt_len, author, &ack);
    if (rc == VOCFED_EROOT) {
        node_alarm(m->st, NULL, 0,
                   &(node_alarm_t){NODE_ALARM_ERROR, "bad-receipt", m->coord_id,
                                   author, ack.acked,
                                   "receipt root is not our root at that "
                                   "size"},
                   "member: receipt from %s states root at %" PRIu64
                   " that is not ours",
                   m->coord_id, ack.acked);
        return;
    }
    if (rc || strcmp(author, m->id) != 0)
        return;
    /* Recorded after the messages read with it: one write (and fsync)
     * for the receipts of a group commit, not one each. A crash before
     * it loses no entry: the coordinator skips what it holds. */
    if (!m->ack.has || ack.acked >= m->ack.ack.acked) {
        proto_buf_reset(&m->ack.raw);
        if (proto_buf_append(&m->ack.raw, r->receipt, r->receipt_len) ==
            VOCFED_OK) {
            m->ack.ack = ack;
            m->ack.has = true;
        }
    }
    m->backoff_ms = 0; /* the coordinator takes our log */
    node_alarm_clear(m->st, "bad-receipt", m->coord_id, m->id, ack.acked);
    node_alarm_clear(m->st, "refused-by-peer", m->coord_id, m->id, ack.acked);
    size_t k = 0;
    while (k < m->nflight && m->flight[k].last <= ack.acked) {
        m->inflight_bytes -= m->flight[k].bytes;
        k++;
    }
    memmove(m->flight, m->flight + k, (m->nflight - k) * sizeof *m->flight);
    m->nflight -= k;
    s_receipt_stats(m, ack.acked);
    if (ack.acked > m->remote_size) {
        m->stats.sent += ack.acked - m->remote_size;
        m->remote_size = ack.acked;
    }
    s_pump(m);
}

static void
s_on_batch(node_member_daemon_t *m, const proto_msg_batch_t *b)
{
    store_ingest_result_t res;
    if (b->author_len == strlen(m->id) &&
        memcmp(b->author, m->id, b->author_len) == 0) {
        s_on_own_batch(m, b);
        return;
    }
    m->pulling = false;
    if (!m->coord_id[0] || b->author_len != strlen(m->coord_id) ||
        memcmp(b->author, m->coord_id, b->author_len) != 0) {
        zsys_warning("member: ignored a batch of another log than the "
                     "coordinator's");
        return;
    }
    proto_buf_reset(&m->out);
    int rc = s_accept(m, b, &res);
    node_applier_kick(m->applier); /* the log may have moved */
    if (rc == VOCFED_ESEQGAP && res.stale) {
        /* Built before we took another batch of the same entries (a
         * push and the answer to our pull, say): nothing wrong on either
         * side, so no refusal sent and no alarm; asked again from what
         * we hold. */
        zsys_debug("member: the coordinator's batch seq=%" PRIu64
                   " was overtaken: %s",
                   b->first_seq, res.what);
        s_pull(m);
        return;
    }
    if (m->out.len)
        s_send(m);
    if (rc == VOCFED_OK) {
        m->stats.received += res.applied;
        node_alarm_clear(m->st, "refused", m->coord_id, m->coord_id,
                         res.head.size);
        s_pull(m);
        s_own_next(m);
        return;
    }
    if (rc == VOCFED_EQUARANTINED && store_quarantined(m->st, m->coord_id)) {
        if (!m->refusal)
            m->refusal = rc;
        return; /* asked before the conflict was found: told already */
    }
    m->refused++;
    if (!m->refusal)
        m->refusal = rc;
    if (res.equivocation || rc == VOCFED_EROOT || rc == VOCFED_EPROOF ||
        rc == VOCFED_EEXISTS) {
        /* Another history than our copy of it (SPEC 10.7). */
        if (!m->conflict_size)
            s_coord_conflict(m, b->first_seq, res.what);
        if (!res.equivocation)
            s_coord_quarantine(m, b, res.what);
        return;
    }
    node_alarm(m->st, NULL, 0,
               &(node_alarm_t){NODE_ALARM_WARNING, "refused", m->coord_id,
                               m->coord_id, b->first_seq, res.what},
               "member: refused the coordinator's batch seq=%" PRIu64
               " reason=%s: %s",
               b->first_seq, vocfed_status_token(rc), res.what);
    /* Our disk, not their log: pull again after the back-off (a hello,
     * its heads, then s_pull), when there may be room. */
    if (rc == VOCFED_ESTORAGEFULL)
        s_enter(m, NODE_MEMBER_BACKOFF, "storage full", s_backoff_next(m));
}

/* The coordinator, restored from a copy, fetches its own log from our
 * copy of it (SPEC 10.7): one batch from from_seq, as it sends us its
 * log; nothing from there: our heads. Only its own log, and nothing
 * from a coordinator we hold in conflict. */
static void
s_on_pull(node_member_daemon_t *m, const proto_msg_pull_t *p)
{
    const char *authors[2] = {m->id, m->coord_id};
    uint64_t last;
    if (!m->coord_id[0] || p->author_len != strlen(m->coord_id) ||
        memcmp(p->author, m->coord_id, p->author_len) != 0 ||
        p->from_seq == 0 || store_quarantined(m->st, m->coord_id)) {
        zsys_warning("member: ignored a pull of another log than the "
                     "coordinator's, or from a coordinator in conflict");
        return;
    }
    proto_buf_reset(&m->out);
    int rc =
        node_batch_build(m->st, m->coord_id, p->from_seq - 1,
                         NODE_BATCH_ENTRIES, NODE_BATCH_BYTES, &m->out, &last);
    if (rc == VOCFED_ENOTFOUND && m->o->once)
        return; /* heads would make this session a daemon's (SPEC 10.3) */
    if (rc == VOCFED_ENOTFOUND) {
        proto_buf_reset(&m->out);
        rc = node_heads_encode(m->st, m->id, false, authors, 2, &m->out);
    }
    if (rc == VOCFED_OK)
        (void)s_send(m);
    else
        zsys_error("member: cannot answer the coordinator's pull from "
                   "seq %" PRIu64 ": %s",
                   p->from_seq, vocfed_strerror(rc));
}

static void
s_on_error(node_member_daemon_t *m, const proto_msg_error_t *e)
{
    m->refused++;
    char text[PROTO_MSG_TEXT_MAX + 1];
    snprintf(text, sizeof text, "%.*s", (int)e->text_len, e->text);
    /* One line (and alarm) per back-off step: a suspended member is
     * refused at each hello, and the steps double to a minute. */
    uint64_t delay = s_backoff_next(m);
    node_alarm(m->st, NULL, 0,
               &(node_alarm_t){NODE_ALARM_WARNING, "refused-by-peer",
                               s_peer_name(m), m->id, e->seq, text},
               "member: the coordinator refused seq=%" PRIu64
               " reason=%.*s: %.*s; hello again in %" PRIu64 " s",
               e->seq, (int)e->code_len, e->code, (int)e->text_len, e->text,
               (delay + 999) / 1000);
    if (!m->refusal) /* the coordinator's reason, not another */
        m->refusal = vocfed_status_from_token(e->code, e->code_len);
    m->stats.refused++;
    s_enter(m, NODE_MEMBER_BACKOFF, "refused", delay);
}

static void
s_on_message(node_member_daemon_t *m)
{
    zmsg_t *msg = zmsg_recv(m->dealer);
    if (!msg)
        return;
    zframe_t *f = zmsg_first(msg);
    proto_msg_t mm;
    m->last_rx_ms = proto_now_ms();
    m->last_rx_mono = proto_mono_ms();
    m->dirty = true;
    if (!f || zmsg_size(msg) != 1 ||
        proto_msg_decode(zframe_data(f), zframe_size(f), &mm) != VOCFED_OK) {
        zsys_warning("member: a malformed message from the coordinator");
        zmsg_destroy(&msg);
        return;
    }
    switch (mm.type) {
    case PROTO_MSG_HEADS:
        s_on_heads(m, &mm.heads);
        break;
    case PROTO_MSG_RECEIPT:
        s_on_receipt(m, &mm.receipt);
        break;
    case PROTO_MSG_BATCH:
        s_on_batch(m, &mm.batch);
        break;
    case PROTO_MSG_ERROR:
        s_on_error(m, &mm.error);
        break;
    case PROTO_MSG_PULL:
        s_on_pull(m, &mm.pull);
        break;
    default:
        break;
    }
    zmsg_destroy(&msg);
}

static int s_redial(zloop_t *loop, int timer_id, void *arg);

/* A TCP connect failed; libzmq tries again after `value` ms, doubling
 * the wait up to S_REDIAL_MAX_MS (CONNECT_RETRIED, one per step). A
 * connect that took the whole S_CONNECT_TIMEOUT_MS timed out; one that
 * failed at once was refused. */
static void
s_connect_failed(node_member_daemon_t *m, const char *value)
{
    char cause[160];
    uint64_t next = value ? strtoull(value, NULL, 10) : 0;
    uint64_t took = m->dial_ms ? proto_mono_ms() - m->dial_ms : 0;
    m->dial_ms = 0;
    if (took >= S_CONNECT_TIMEOUT_MS * 9 / 10)
        snprintf(cause, sizeof cause,
                 "the connection timed out after %" PRIu64
                 " s (a wrong address, or a firewall in the way?)",
                 took / 1000);
    else
        snprintf(cause, sizeof cause,
                 "the connection was refused (is the coordinator running "
                 "and listening there?)");
    s_link_failed(m, cause, next);
}

/* The CURVE handshake failed. libzmq would dial again at once after a
 * closed handshake (a wrong key: several times a second) and never after
 * a ZAP refusal, so the member stops its dialling and dials again itself
 * after the next back-off step (SPEC 10.3). */
static void
s_handshake_failed(node_member_daemon_t *m, const char *event,
                   const char *value)
{
    char cause[200];
    if (m->redial_timer >= 0 || !m->loop)
        return; /* this attempt is told already */
    m->refused_at_transport = true;
    m->connected = false;
    if (streq(event, "HANDSHAKE_FAILED_AUTH"))
        snprintf(cause, sizeof cause,
                 "the coordinator refused this node's key (ZAP status %s): "
                 "not on its roster, suspended or revoked",
                 value ? value : "?");
    else if (streq(event, "HANDSHAKE_FAILED_PROTOCOL"))
        snprintf(cause, sizeof cause,
                 "the handshake broke the protocol (error %s): is it a "
                 "vocfed coordinator?",
                 value ? value : "?");
    else
        snprintf(cause, sizeof cause,
                 "the coordinator closed the connection during the CURVE "
                 "handshake: most likely a wrong --coordinator-key");
    uint64_t delay = s_backoff_next(m);
    (void)zsock_disconnect(m->dealer, "%s", m->o->coordinator);
    m->redial_timer = zloop_timer(m->loop, delay, 1, s_redial, m);
    s_link_failed(m, cause, m->o->once ? 0 : delay);
}

static int
s_redial(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    node_member_daemon_t *m = arg;
    m->redial_timer = -1;
    m->dial_ms = proto_mono_ms();
    if (zsock_connect(m->dealer, "%s", m->o->coordinator) < 0)
        zsys_error("member: cannot dial %s again", m->o->coordinator);
    return 0;
}

static void
s_on_link(node_member_daemon_t *m, const char *event, const char *value)
{
    if (m->redial_timer >= 0 &&
        (streq(event, "CLOSED") || streq(event, "CONNECT_RETRIED")))
        return; /* the dialling we stopped: we dial again ourselves */
    if (streq(event, "CONNECT_DELAYED")) {
        m->dial_ms = proto_mono_ms();
    } else if (streq(event, "CLOSED")) {
        m->attempt_closed = true; /* a connect that failed */
    } else if (streq(event, "CONNECT_RETRIED")) {
        /* Also sent when libzmq only schedules its first try after a
         * link was lost: no attempt failed then, nothing to tell. */
        if (m->attempt_closed)
            s_connect_failed(m, value);
        m->attempt_closed = false;
    } else if (streq(event, "CONNECTED")) {
        m->dial_ms = 0; /* TCP is up; the handshake follows */
        m->tcp_up = true;
    } else if (streq(event, "HANDSHAKE_SUCCEEDED")) {
        m->tcp_up = false;
        m->connected = true;
        m->refused_at_transport = false;
        zsys_info("member: connected to %s", m->o->coordinator);
        s_enter(m, NODE_MEMBER_HELLO_SENT, "connected", 0);
    } else if (strncmp(event, "HANDSHAKE_FAILED_", 17) == 0) {
        m->tcp_up = false;
        s_handshake_failed(m, event, value);
    } else if (streq(event, "DISCONNECTED")) {
        /* Closed before its handshake was done, with no HANDSHAKE_FAILED
         * event: the same as one. */
        if (m->tcp_up && !m->connected)
            s_handshake_failed(m, "HANDSHAKE_FAILED_NO_DETAIL", value);
        m->tcp_up = false;
        if (m->connected)
            zsys_info("member: disconnected from %s", m->o->coordinator);
        m->connected = false;
        m->dirty = true;
        if (m->state != NODE_MEMBER_DISCONNECTED &&
            m->state != NODE_MEMBER_BACKOFF)
            s_enter(m, NODE_MEMBER_BACKOFF, "link lost", 0);
    }
}

/* ---- the loop's handlers ------------------------------------------------ */

static bool
s_level(node_member_daemon_t *m)
{
    store_head_t mine, held = {0};
    if (m->state != NODE_MEMBER_LEVEL || m->nflight || m->pulling ||
        m->own_target || store_head(m->st, m->id, &mine))
        return false;
    if (m->coord_id[0] && store_head(m->st, m->coord_id, &held))
        held.size = 0;
    return m->remote_size == mine.size && m->next_from > mine.size &&
           held.size >= m->coord_head;
}

/* With once: whether the run is over, and how (m->rc). */
static bool
s_once_over(node_member_daemon_t *m)
{
    if (!m->o->once || m->done)
        return m->done;
    if (m->refusal)
        m->rc = m->refusal;
    else if (m->refused_at_transport)
        m->rc = VOCFED_EDENIED;
    else if (s_level(m))
        m->rc = VOCFED_OK;
    else
        return false;
    m->done = true;
    return true;
}

/* What every handler returns: -1 ends the loop. */
static int
s_next(node_member_daemon_t *m)
{
    if (m->yield) {
        m->yield = false; /* the caller may run the loop again */
        return -1;
    }
    return m->stop || node_daemon_stopping() || s_once_over(m) ? -1 : 0;
}

/* Whether the daemon's own records (the latest receipt, the counters)
 * are written now. A write takes the store's writer lock, which another
 * process holds for as long as its transaction lasts (a long import's
 * chunk), and the loop waits: with batches in flight it goes on sending
 * instead, and writes when the flight lands, or S_RECORD_QUIET_MS after
 * the last time. */
static bool
s_record_due(const node_member_daemon_t *m)
{
    return m->nflight == 0 ||
           proto_mono_ms() - m->recorded_ms >= S_RECORD_QUIET_MS;
}

/* Records the latest receipt read (s_on_receipt) as the coordinator's
 * ack of our log. */
static void
s_ack_record(node_member_daemon_t *m)
{
    if (!m->ack.has)
        return;
    m->ack.has = false;
    int rc = store_peer_ack(m->st, m->coord_id, m->id, &m->ack.ack,
                            m->ack.raw.data, m->ack.raw.len);
    m->recorded_ms = proto_mono_ms();
    if (rc)
        zsys_warning("member: the receipt for %" PRIu64 " entries is not "
                     "recorded: %s",
                     m->ack.ack.acked, vocfed_strerror(rc));
}

static int
s_dealer_ready(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    node_member_daemon_t *m = arg;
    /* A stop is honoured between two messages. */
    for (int i = 0;
         i < 64 && !m->stop && !m->yield && !node_daemon_stopping() &&
         (zsock_events(sock) & ZMQ_POLLIN);
         i++)
        s_on_message(m);
    if (s_record_due(m))
        s_ack_record(m);
    return s_next(m);
}

static int
s_monitor_ready(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    node_member_daemon_t *m = arg;
    char *event = NULL, *value = NULL, *endpoint = NULL;
    if (zstr_recvx(sock, &event, &value, &endpoint, NULL) >= 1)
        s_on_link(m, event, value);
    zstr_free(&event);
    zstr_free(&value);
    zstr_free(&endpoint);
    return s_next(m);
}

static int s_recheck_due(zloop_t *loop, int timer_id, void *arg);

/* Arms the watch's re-check after delay_ms (0: none), ending the one
 * before. */
static void
s_recheck(node_member_daemon_t *m, uint64_t delay_ms)
{
    if (m->recheck_timer >= 0 && m->loop)
        zloop_timer_end(m->loop, m->recheck_timer);
    m->recheck_ms = delay_ms;
    m->recheck_timer = m->loop && delay_ms
                           ? zloop_timer(m->loop, delay_ms, 1, s_recheck_due, m)
                           : -1;
}

/* Sends what our log holds beyond what was seen. A commit's last write
 * wakes the watch a few microseconds before readers can see it; waiting
 * for the commit to pass (store_sync_point, the writer's lock) would hold
 * the loop for as long as another process's transaction lasts, a long
 * import's chunk, while receipts wait and nothing is sent. So a wake
 * that finds nothing new reads the head again a few times, yielding the
 * CPU between, then after 1, 2, 4 ... 256 ms (the tick reads it every
 * second too). */
static void
s_watch_check(node_member_daemon_t *m, uint64_t next_ms)
{
    uint64_t before = m->seen_size;
    s_seen_own(m);
    /* The commit that woke us is usually visible microseconds later. */
    for (int i = 0;
         i < 16 && next_ms == S_RECHECK_FIRST_MS && m->seen_size == before;
         i++) {
        sched_yield();
        s_seen_own(m);
    }
    s_pump(m);
    s_recheck(m, m->seen_size == before && next_ms <= S_RECHECK_LAST_MS
                     ? next_ms
                     : 0);
}

static int
s_recheck_due(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    node_member_daemon_t *m = arg;
    if (timer_id != m->recheck_timer)
        return s_next(m);  /* ended after it was due */
    m->recheck_timer = -1; /* it fired once, and is gone */
    s_watch_check(m, m->recheck_ms * 2);
    return s_next(m);
}

static int
s_watch_ready(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    node_member_daemon_t *m = arg;
    node_daemon_watch_drain(item->fd);
    s_watch_check(m, S_RECHECK_FIRST_MS);
    return s_next(m);
}

/* The state's timer: in hello-sent, hello again; in back-off, hello
 * when linked (else its CONNECTED event will). */
static int
s_timer_due(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    node_member_daemon_t *m = arg;
    if (timer_id != m->timer)
        return s_next(m); /* ended after it was due */
    m->timer = -1;        /* it fired once, and is gone */
    if (m->state == NODE_MEMBER_HELLO_SENT && m->connected) {
        m->hellos += m->hello_sent; /* one not sent is no hello again */
        s_hello(m);
    } else if (m->state == NODE_MEMBER_BACKOFF && m->connected &&
               !(m->o->once && m->refusal))
        s_enter(m, NODE_MEMBER_HELLO_SENT, "back-off over", 0);
    return s_next(m);
}

static int
s_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    node_member_daemon_t *m = arg;
    uint64_t silent = proto_mono_ms() - m->last_rx_mono;
    if (m->nflight && silent > S_STALL_MS) {
        zsys_info("member: resynchronising with %s: no receipt",
                  s_peer_name(m));
        s_enter(m, NODE_MEMBER_HELLO_SENT, "no receipt", 0);
    } else if (!m->o->once && m->state == NODE_MEMBER_LEVEL && !m->nflight &&
               silent > S_HEARTBEATS_LOST * m->hb_ms) {
        /* Its heartbeats stopped: not connected, whatever TCP says. */
        zsys_warning("member: nothing from %s for %" PRIu64
                     " s: taken as not connected; hello again",
                     s_peer_name(m), silent / 1000);
        s_enter(m, NODE_MEMBER_HELLO_SENT, "no heartbeat", 0);
    }
    /* Heartbeats while idle, one at a time: with batches in flight the
     * receipts are heard, and pings would only queue behind them. */
    if (m->state == NODE_MEMBER_LEVEL && m->connected && !m->nflight &&
        !m->ping_out && proto_mono_ms() - m->last_ping_ms >= m->hb_ms)
        s_ping(m);
    if (node_daemon_reload_asked())
        zsys_info("member: SIGHUP: a member daemon reads nothing again "
                  "(a changed vocfed.cfg needs a restart); running on");
    s_seen_own(m); /* a commit the watch missed (s_watch_check) */
    s_pump(m);
    node_daemon_trim_after_burst(&m->trim, m->next_from + m->coord_head,
                                 proto_mono_ms());
    /* The peer state (connected, last contact) as well: each message
     * read makes it dirty, and writing it each tick took the lock each
     * second of a sync. A session that ends empties the flight, so a
     * lost link is written at the next tick. */
    if (s_record_due(m)) {
        if (m->dirty)
            s_persist(m);
        s_ack_record(m);
        node_stats_persist(&m->counts, m->st);
        m->recorded_ms = proto_mono_ms();
    }
    return s_next(m);
}

static int
s_timeout(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    node_member_daemon_t *m = arg;
    if (!s_once_over(m)) {
        m->rc = VOCFED_EINTERRUPTED;
        m->done = true;
    }
    return -1;
}

/* ---- life --------------------------------------------------------------- */

/* The store with the figures, our id and our secret key. The place of
 * node_open(). */
static int
s_open(node_member_daemon_t *m, const char *dir)
{
    /* A long-running member applies the coordinator's log behind it on
     * a process of its own (SPEC 5.5); `vocfed sync` (once) at once. */
    unsigned async = m->o->once ? 0 : NODE_OPEN_ASYNC_APPLY;
    int rc = node_open(dir, NODE_OPEN_KEY | async, &m->node);
    if (rc || (async && (rc = node_applier_start(dir, &m->applier))))
        return rc;
    m->st = node_store(m->node);
    m->sk = node_sk(m->node);
    m->id = node_id(m->node);
    return VOCFED_OK;
}

/* The CURVE client to the coordinator, and its connection events. */
static int
s_dial(node_member_daemon_t *m)
{
    uint8_t server[PROTO_PUBKEY_LEN];
    int rc = node_pubkey_curve(m->o->coordinator_pk, server);
    if (rc || (rc = node_daemon_socket(ZMQ_DEALER, m->sk, &m->dealer)))
        return rc;
    zsock_set_curve_serverkey_bin(m->dealer, server);
    zsock_set_maxmsgsize(m->dealer, PROTO_MSG_MAX);
    zsock_set_sndhwm(m->dealer, S_MAX_FLIGHT + 16);
    zsock_set_rcvhwm(m->dealer, 1000);
    zsock_set_immediate(m->dealer, 1);
    /* libzmq's own back-off for connects that fail (SPEC 10.2); a failed
     * handshake is ours (s_handshake_failed). */
    zsock_set_reconnect_ivl(m->dealer, S_REDIAL_MS);
    zsock_set_reconnect_ivl_max(m->dealer, S_REDIAL_MAX_MS);
    zsock_set_connect_timeout(m->dealer, S_CONNECT_TIMEOUT_MS);
    m->monitor = zactor_new(zmonitor, m->dealer);
    if (!m->monitor)
        return VOCFED_ENOMEM;
    zstr_sendx(m->monitor, "LISTEN", "ALL", NULL);
    zstr_sendx(m->monitor, "START", NULL);
    zsock_wait(m->monitor);
    if (zsock_connect(m->dealer, "%s", m->o->coordinator) < 0)
        return VOCFED_EINVALID;
    return VOCFED_OK;
}

int
node_member_new(const node_member_opts_t *o, node_member_daemon_t **out)
{
    node_member_daemon_t *m = calloc(1, sizeof *m);
    if (!m)
        return VOCFED_ENOMEM;
    *m = (node_member_daemon_t){.o = o,
                                .lock = -1,
                                .watch = -1,
                                .recheck_timer = -1,
                                .timer = -1,
                                .redial_timer = -1,
                                .hb_ms = o->heartbeat_ms ? o->heartbeat_ms
                                                         : S_HEARTBEAT_MS};
    proto_buf_init(&m->out);
    proto_buf_init(&m->ack.raw);
    int rc = m->lock = node_daemon_take("member", o->dir);
    if (rc < 0 || (rc = s_open(m, o->dir)))
        goto fail;
    if ((rc = s_dial(m))) {
        zsys_error("member: cannot dial %s: %s", o->coordinator,
                   vocfed_strerror(rc));
        goto fail;
    }
    if ((rc = m->watch = node_daemon_watch(o->dir)) < 0)
        goto fail;
    node_stats_init(&m->counts, m->st, m->id);
    store_head_t h; /* what is there before we run is not timed */
    if (store_head(m->st, m->id, &h) == VOCFED_OK)
        m->seen_size = h.size;
    zsys_info("member: id=%s dialling %s, heartbeat %" PRIu64 " s", m->id,
              o->coordinator, m->hb_ms / 1000);
    *out = m;
    return VOCFED_OK;
fail:
    node_member_destroy(&m);
    return rc;
}

void
node_member_destroy(node_member_daemon_t **self)
{
    node_member_daemon_t *m = *self;
    if (!m)
        return;
    m->connected = false; /* the coordinator: recorded disconnected */
    if (m->st)
        s_ack_record(m);
    if (m->st && m->dealer)
        s_persist(m);
    if (m->st)
        node_stats_persist(&m->counts, m->st);
    if (m->loop && m->timer >= 0)
        zloop_timer_end(m->loop, m->timer);
    if (m->loop && m->recheck_timer >= 0)
        zloop_timer_end(m->loop, m->recheck_timer);
    if (m->loop && m->redial_timer >= 0)
        zloop_timer_end(m->loop, m->redial_timer);
    if (m->watch >= 0)
        close(m->watch);
    zactor_destroy(&m->monitor);
    zsock_destroy(&m->dealer);
    node_applier_stop(&m->applier);
    node_close(&m->node);
    proto_buf_release(&m->out);
    proto_buf_release(&m->ack.raw);
    node_daemon_unlock(m->lock);
    free(m);
    *self = NULL;
}

int
node_member_attach(node_member_daemon_t *self, zloop_t *loop)
{
    zmq_pollitem_t watch = {NULL, self->watch, ZMQ_POLLIN, 0};
    self->loop = loop;
    if (zloop_reader(loop, zactor_sock(self->monitor), s_monitor_ready, self) ||
        zloop_reader(loop, self->dealer, s_dealer_ready, self) ||
        zloop_poller(loop, &watch, s_watch_ready, self) ||
        zloop_timer(loop, S_TICK_MS, 0, s_tick, self) < 0 ||
        (self->o->once && self->o->timeout_ms &&
         zloop_timer(loop, self->o->timeout_ms, 1, s_timeout, self) < 0))
        return VOCFED_ENOMEM;
    return VOCFED_OK;
}

int
node_member_loop(node_member_daemon_t *self)
{
    zloop_t *loop = zloop_new();
    if (!loop)
        return VOCFED_ENOMEM;
    int rc = node_member_attach(self, loop);
    if (rc == VOCFED_OK)
        rc = node_daemon_loop(loop);
    zloop_destroy(&loop);
    self->loop = NULL;
    self->timer = self->recheck_timer = -1;
    if (self->redial_timer >= 0) { /* its timer went with the loop */
        self->redial_timer = -1;
        (void)zsock_connect(self->dealer, "%s", self->o->coordinator);
    }
    if (rc || !self->o->once)
        return rc;
    if (!s_once_over(self)) /* stopped (a signal, node_member_stop) */
        return VOCFED_EINTERRUPTED;
    return self->rc;
}

void
node_member_stop(node_member_daemon_t *self)
{
    self->stop = true;
}

node_member_state_t
node_member_state(const node_member_daemon_t *self)
{
    return self->state;
}

const char *
node_member_state_name(node_member_state_t state)
{
    return state < NODE_MEMBER_STATES ? s_state_names[state] : "?";
}

void
node_member_on_state(node_member_daemon_t *self, node_member_state_fn fn,
                     void *arg)
{
    self->on_state = fn;
    self->on_state_arg = arg;
}

const node_member_stats_t *
node_member_stats(const node_member_daemon_t *self)
{
    return &self->stats;
}

int
node_member_run(const node_member_opts_t *o, node_member_stats_t *stats)
{
    node_member_daemon_t *m = NULL;
    if (stats)
        memset(stats, 0, sizeof *stats);
    node_daemon_signals();
    if (!o->once) /* the daemon: a SIGHUP meant for the others on this
                     machine (the coordinator, vocfed serve) is no stop */
        node_daemon_signal_reload();
    node_daemon_heap_keep(); /* its batches: node/daemon.h */
    int rc = node_member_new(o, &m);
    if (rc)
        return rc;
    rc = node_member_loop(m);
    if (stats)
        *stats = m->stats;
    node_member_destroy(&m);
    return rc;
}
