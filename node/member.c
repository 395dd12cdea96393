/* vocfed: the member daemon and `vocfed sync` (SPEC 10.3). */
#include "node/member.h"
#include "node/coordinator.h"
#include "node/daemon.h"
#include "node/figures.h"
#include "node/identity.h"
#include "node/replicate.h"
#include "protocol/msg.h"

#include <czmq.h>
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#define S_MAX_FLIGHT 256                    /* batches in flight */
#define S_DEFAULT_WINDOW (16 * 1024 * 1024) /* bytes in flight */
#define S_HELLO_RETRY_MS 3000               /* heads not back: again */
#define S_STALL_MS 30000                    /* receipts not back: resync */
#define S_BACKOFF_MS 2000                   /* after a refusal */
#define S_PERSIST_MS 1000                   /* peer state written */

/* A batch on its way. */
typedef struct {
    uint64_t last; /* last seq in it */
    size_t bytes;  /* its size */
} s_flight_t;

typedef struct {
    const node_member_opts_t *o;     /* how we were started */
    node_member_stats_t *stats;      /* what happened */
    store_t *st;                     /* our store */
    uint8_t *sk;                     /* our Ed25519 secret key (guarded) */
    char id[PROTO_ID_MAX + 1];       /* our node id */
    char coord_id[PROTO_ID_MAX + 1]; /* the coordinator's, once known */
    zsock_t *dealer;                 /* to the coordinator */
    zactor_t *monitor;               /* connection events */
    bool connected;                  /* transport is up */
    bool awaiting_heads;             /* hello sent, answer not yet back */
    bool level_known;                /* we know the coordinator's copy */
    uint64_t hello_sent_ms;          /* when */
    uint64_t remote_size;            /* coordinator's copy of our log */
    uint64_t next_from;              /* next seq to send */
    s_flight_t flight[S_MAX_FLIGHT]; /* batches in flight, oldest first */
    size_t nflight;                  /* how many */
    size_t inflight_bytes;           /* their bytes */
    uint64_t coord_head;             /* coordinator's own log, per heads */
    bool pulling;                    /* a pull is on its way */
    uint64_t last_rx_ms;             /* last message from the coordinator */
    uint64_t backoff_until_ms;       /* no sending before */
    uint64_t refused;                /* refusals either way */
    int refusal;                     /* first refusal (once mode) */
    bool refused_at_transport;       /* ZAP said no */
    bool dirty;                      /* peer state to persist */
    proto_buf_t out;                 /* scratch */
} s_member_t;

static void
s_persist(s_member_t *m)
{
    if (!m->coord_id[0])
        return;
    store_peer_t p = {.connected = m->connected && m->level_known,
                      .pid = (int)getpid(),
                      .last_contact_ms = m->last_rx_ms,
                      .refused = m->refused};
    snprintf(p.id, sizeof p.id, "%s", m->coord_id);
    if (store_peer_set(m->st, &p) == VOCFED_OK)
        m->dirty = false;
}

static int
s_send(s_member_t *m)
{
    /* One frame; never blocks (ZMQ_IMMEDIATE: no peer, no queueing). */
    return zmq_send(zsock_resolve(m->dealer), m->out.data, m->out.len,
                    ZMQ_DONTWAIT) == (int)m->out.len
               ? 0
               : -1;
}

static void
s_hello(s_member_t *m)
{
    const char *authors[2] = {m->id, m->coord_id};
    size_t n = m->coord_id[0] ? 2 : 1;
    proto_buf_reset(&m->out);
    if (node_heads_encode(m->st, m->id, true, authors, n, &m->out) == 0 &&
        s_send(m) == 0) {
        m->awaiting_heads = true;
        m->hello_sent_ms = node_mono_ms();
    }
}

static void
s_resync(s_member_t *m, const char *why)
{
    zsys_info("member: resynchronising with %s: %s",
              m->coord_id[0] ? m->coord_id : "coordinator", why);
    m->level_known = false;
    m->nflight = 0;
    m->inflight_bytes = 0;
    m->pulling = false;
    if (m->connected)
        s_hello(m);
}

/* Sends batches while the window allows (SPEC 8.4: credit in bytes). */
static void
s_pump(s_member_t *m)
{
    store_head_t head;
    if (!m->level_known || !m->connected ||
        node_mono_ms() < m->backoff_until_ms || store_head(m->st, m->id, &head))
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
            m->backoff_until_ms = node_mono_ms() + S_BACKOFF_MS;
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
s_ask_receipt(s_member_t *m, uint64_t size)
{
    store_ack_t ack;
    uint64_t last;
    if (size == 0 || m->nflight == S_MAX_FLIGHT ||
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
s_restate_receipt(s_member_t *m)
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
s_pull(s_member_t *m)
{
    store_head_t held = {0};
    if (!m->coord_id[0] || m->pulling || !m->connected)
        return;
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
s_on_heads(s_member_t *m, const proto_msg_heads_t *h)
{
    char cid[PROTO_ID_MAX + 1];
    proto_head_t mine, theirs;
    if (h->node_id_len > PROTO_ID_MAX)
        return;
    snprintf(cid, sizeof cid, "%.*s", (int)h->node_id_len, h->node_id);
    if (!m->coord_id[0]) {
        /* First contact: the coordinator's log is verified with the key
         * we were given, and that key is bound to this id for good. */
        int rc = store_author_add(m->st, cid, m->o->coordinator_pk);
        if (rc) {
            zsys_error("member: coordinator %s: %s", cid, vocfed_strerror(rc));
            m->refusal = rc;
            return;
        }
        snprintf(m->coord_id, sizeof m->coord_id, "%s", cid);
    } else if (strcmp(cid, m->coord_id) != 0) {
        zsys_error("member: the coordinator now says it is %s, not %s", cid,
                   m->coord_id);
        m->refusal = VOCFED_EAUTHOR;
        return;
    }
    if (node_heads_find(h, m->coord_id, &theirs) == VOCFED_OK)
        m->coord_head = theirs.size;
    if (m->awaiting_heads) {
        store_head_t head;
        if (node_heads_find(h, m->id, &mine) || store_head(m->st, m->id, &head))
            return;
        m->awaiting_heads = false;
        if (mine.size > head.size) {
            zsys_error("member: the coordinator holds %" PRIu64
                       " of our entries but we hold %" PRIu64,
                       mine.size, head.size);
            if (store_alarm(m->st, "ahead", m->coord_id, m->id, mine.size,
                            "coordinator holds more of our log than we do")) {
            }
            m->refusal = VOCFED_ECORRUPT;
            return;
        }
        uint8_t root[PROTO_HASH_LEN];
        if (store_root_at(m->st, m->id, mine.size, root) == VOCFED_OK &&
            memcmp(root, mine.root, PROTO_HASH_LEN) != 0) {
            zsys_error("member: the coordinator's copy of our log differs at "
                       "size %" PRIu64,
                       mine.size);
            if (store_alarm(m->st, "bad-head", m->coord_id, m->id, mine.size,
                            "coordinator's copy of our log differs")) {
            }
        }
        m->remote_size = mine.size;
        m->next_from = mine.size + 1;
        m->nflight = 0;
        m->inflight_bytes = 0;
        m->level_known = true;
        m->dirty = true;
        if (mine.size < head.size)
            zsys_info("member: resuming at seq %" PRIu64 " of %" PRIu64,
                      mine.size + 1, head.size);
        s_ask_receipt(m, mine.size);
        s_restate_receipt(m);
        s_persist(m);
    }
    m->pulling = false;
    s_pump(m);
    s_pull(m);
}

static void
s_on_receipt(s_member_t *m, const proto_msg_receipt_t *r)
{
    char author[PROTO_ID_MAX + 1] = "";
    store_ack_t ack;
    if (!m->coord_id[0])
        return;
    int rc = node_receipt_check(m->st, m->coord_id, m->o->coordinator_pk,
                                r->receipt, r->receipt_len, author, &ack);
    if (rc == VOCFED_EROOT) {
        zsys_error("member: receipt from %s states root at %" PRIu64
                   " that is not ours",
                   m->coord_id, ack.acked);
        if (store_alarm(m->st, "bad-receipt", m->coord_id, author, ack.acked,
                        "receipt root is not our root at that size")) {
        }
        return;
    }
    if (rc || strcmp(author, m->id) != 0)
        return;
    size_t k = 0;
    while (k < m->nflight && m->flight[k].last <= ack.acked) {
        m->inflight_bytes -= m->flight[k].bytes;
        k++;
    }
    memmove(m->flight, m->flight + k, (m->nflight - k) * sizeof *m->flight);
    m->nflight -= k;
    if (ack.acked > m->remote_size) {
        if (m->stats)
            m->stats->sent += ack.acked - m->remote_size;
        m->remote_size = ack.acked;
    }
    s_pump(m);
}

static void
s_on_batch(s_member_t *m, const proto_msg_batch_t *b)
{
    store_ingest_result_t res;
    m->pulling = false;
    if (!m->coord_id[0] || b->author_len != strlen(m->coord_id) ||
        memcmp(b->author, m->coord_id, b->author_len) != 0) {
        zsys_warning("member: ignored a batch of another log than the "
                     "coordinator's");
        return;
    }
    proto_buf_reset(&m->out);
    int rc = node_batch_accept(m->st, m->id, m->sk, b, &m->out, &res);
    if (m->out.len)
        s_send(m);
    if (rc) {
        m->refused++;
        zsys_warning("member: refused the coordinator's batch seq=%" PRIu64
                     " reason=%s: %s",
                     b->first_seq, vocfed_status_token(rc), res.what);
        if (store_alarm(m->st, "refused", m->coord_id, m->coord_id,
                        b->first_seq, res.what)) {
        }
        if (!m->refusal)
            m->refusal = rc;
        if (rc == VOCFED_ESTORAGEFULL) {
            /* Our disk, not their log: pull again after the back-off (a
             * hello, its heads, then s_pull), when there may be room. */
            m->backoff_until_ms = node_mono_ms() + S_BACKOFF_MS;
            m->level_known = false;
        }
        return;
    }
    if (m->stats)
        m->stats->received += res.applied;
    s_pull(m);
}

static void
s_on_error(s_member_t *m, const proto_msg_error_t *e)
{
    m->refused++;
    m->dirty = true;
    zsys_warning("member: the coordinator refused seq=%" PRIu64
                 " reason=%.*s: %.*s",
                 e->seq, (int)e->code_len, e->code, (int)e->text_len, e->text);
    char text[PROTO_MSG_TEXT_MAX + 1];
    snprintf(text, sizeof text, "%.*s", (int)e->text_len, e->text);
    if (store_alarm(m->st, "refused-by-peer", m->coord_id, m->id, e->seq,
                    text)) {
    }
    if (!m->refusal) /* the coordinator's reason, not another */
        m->refusal = vocfed_status_from_token(e->code, e->code_len);
    if (m->stats)
        m->stats->refused++;
    m->backoff_until_ms = node_mono_ms() + S_BACKOFF_MS;
    m->level_known = false;
    m->nflight = 0;
    m->inflight_bytes = 0;
}

static void
s_on_message(s_member_t *m)
{
    zmsg_t *msg = zmsg_recv(m->dealer);
    if (!msg)
        return;
    zframe_t *f = zmsg_first(msg);
    proto_msg_t mm;
    m->last_rx_ms = node_now_ms();
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
    default:
        break;
    }
    zmsg_destroy(&msg);
}

static void
s_on_monitor(s_member_t *m)
{
    char *event = NULL, *value = NULL, *endpoint = NULL;
    if (zstr_recvx(m->monitor, &event, &value, &endpoint, NULL) < 1)
        return;
    if (streq(event, "CONNECTED")) {
        m->connected = true;
        zsys_info("member: connected to %s", m->o->coordinator);
        s_resync(m, "connected");
    } else if (streq(event, "DISCONNECTED")) {
        if (m->connected)
            zsys_info("member: disconnected from %s", m->o->coordinator);
        m->connected = false;
        m->level_known = false;
        m->awaiting_heads = false;
        m->nflight = 0;
        m->inflight_bytes = 0;
        m->pulling = false;
        m->dirty = true;
    } else if (streq(event, "HANDSHAKE_FAILED_AUTH") ||
               streq(event, "HANDSHAKE_FAILED_PROTOCOL") ||
               streq(event, "HANDSHAKE_FAILED_NO_DETAIL")) {
        if (!m->refused_at_transport)
            zsys_error("member: the coordinator at %s refused this node "
                       "(%s): not on its roster, suspended, revoked, or a "
                       "wrong coordinator key",
                       m->o->coordinator, event);
        m->refused_at_transport = true;
    }
    zstr_free(&event);
    zstr_free(&value);
    zstr_free(&endpoint);
}

/* ---- the loop ----------------------------------------------------------- */

static int
s_setup(s_member_t *m)
{
    uint8_t cpk[PROTO_PUBKEY_LEN], server[PROTO_PUBKEY_LEN];
    uint8_t *csk = sodium_malloc(PROTO_PUBKEY_LEN);
    if (!csk)
        return VOCFED_ENOMEM;
    int rc = node_identity_curve(m->sk, cpk, csk);
    if (!rc)
        rc = node_pubkey_curve(m->o->coordinator_pk, server);
    if (rc) {
        sodium_free(csk);
        return rc;
    }
    m->dealer = zsock_new(ZMQ_DEALER);
    if (!m->dealer) {
        sodium_free(csk);
        return VOCFED_ENOMEM;
    }
    zsock_set_curve_serverkey_bin(m->dealer, server);
    zsock_set_curve_publickey_bin(m->dealer, cpk);
    zsock_set_curve_secretkey_bin(m->dealer, csk);
    sodium_free(csk); /* wiped */
    zsock_set_maxmsgsize(m->dealer, PROTO_MSG_MAX);
    zsock_set_sndhwm(m->dealer, S_MAX_FLIGHT + 16);
    zsock_set_rcvhwm(m->dealer, 1000);
    zsock_set_linger(m->dealer, 0);
    zsock_set_immediate(m->dealer, 1);
    zsock_set_sndtimeo(m->dealer, 0);
    zsock_set_reconnect_ivl(m->dealer, 100);
    zsock_set_reconnect_ivl_max(m->dealer, 2000);
    zsock_set_heartbeat_ivl(m->dealer, 1000);
    zsock_set_heartbeat_timeout(m->dealer, 5000);
    zsock_set_heartbeat_ttl(m->dealer, 10000);

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

static bool
s_level(s_member_t *m)
{
    store_head_t mine, held = {0};
    if (!m->level_known || m->nflight || m->pulling || m->awaiting_heads ||
        store_head(m->st, m->id, &mine))
        return false;
    if (m->coord_id[0] && store_head(m->st, m->coord_id, &held))
        held.size = 0;
    return m->remote_size == mine.size && m->next_from > mine.size &&
           held.size >= m->coord_head;
}

int
node_member_run(const node_member_opts_t *o, node_member_stats_t *stats)
{
    s_member_t m = {.o = o, .stats = stats};
    int lock = -1, watch = -1, holder = 0, rc;
    char pkhex[2 * PROTO_PUBKEY_LEN + 1];
    uint8_t pk[PROTO_PUBKEY_LEN];
    proto_buf_init(&m.out);
    if (stats)
        memset(stats, 0, sizeof *stats);

    lock = node_daemon_lock(o->dir, &holder);
    if (lock < 0) {
        if (lock == VOCFED_ELOCKED)
            zsys_error("member: store %s is held by another daemon (pid %d)",
                       o->dir, holder);
        return lock;
    }
    store_opts_t so = {0};
    if ((rc = store_open(o->dir, &so, &m.st)) ||
        (rc = node_figures_attach_store(m.st)))
        goto done;
    if ((rc = store_meta_get(m.st, "node_id", m.id, sizeof m.id)) ||
        (rc = store_meta_get(m.st, "node_pubkey", pkhex, sizeof pkhex)) ||
        (rc = proto_unhex(pkhex, pk, sizeof pk)) ||
        (rc = node_identity_load(o->dir, pk, &m.sk)))
        goto done;
    node_daemon_signals();
    if ((rc = s_setup(&m))) {
        zsys_error("member: cannot dial %s: %s", o->coordinator,
                   vocfed_strerror(rc));
        goto done;
    }
    if ((watch = node_daemon_watch(o->dir)) < 0) {
        rc = watch;
        goto done;
    }
    zsys_info("member: id=%s dialling %s", m.id, o->coordinator);
    uint64_t start = node_mono_ms(), next_persist = start + S_PERSIST_MS;
    rc = VOCFED_OK;
    while (!node_daemon_stopping()) {
        zmq_pollitem_t items[] = {
            {zsock_resolve(m.dealer), 0, ZMQ_POLLIN, 0},
            {zsock_resolve(m.monitor), 0, ZMQ_POLLIN, 0},
            {NULL, watch, ZMQ_POLLIN, 0},
        };
        int n = zmq_poll(items, 3, 200);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_on_monitor(&m);
        /* A stop is honoured between two messages. */
        for (int i = 0; i < 64 && !node_daemon_stopping() &&
                        (zsock_events(m.dealer) & ZMQ_POLLIN);
             i++)
            s_on_message(&m);
        if (items[2].revents & ZMQ_POLLIN) {
            node_daemon_watch_drain(watch);
            /* The event can come just before the commit is visible. */
            if (store_sync_point(m.st) == VOCFED_OK)
                s_pump(&m);
        }
        uint64_t now = node_mono_ms();
        if (m.connected && m.awaiting_heads &&
            now - m.hello_sent_ms > S_HELLO_RETRY_MS)
            s_hello(&m);
        if (m.connected && !m.level_known && !m.awaiting_heads &&
            now >= m.backoff_until_ms && !(o->once && m.refusal))
            s_hello(&m);
        /* Heads may have come during a back-off (the coordinator's log
         * grew): nothing else wakes the sender when the back-off ends. */
        if (m.level_known && now >= m.backoff_until_ms)
            s_pump(&m);
        if (m.nflight && node_now_ms() - m.last_rx_ms > S_STALL_MS)
            s_resync(&m, "no receipt");
        if (m.dirty && now >= next_persist) {
            s_persist(&m);
            next_persist = now + S_PERSIST_MS;
        }
        if (o->once) {
            if (m.refusal) {
                rc = m.refusal;
                break;
            }
            if (m.refused_at_transport) {
                rc = VOCFED_ELOCKED;
                break;
            }
            if (s_level(&m)) {
                rc = VOCFED_OK;
                break;
            }
            if (o->timeout_ms && now - start > o->timeout_ms) {
                rc = VOCFED_EINTERRUPTED;
                break;
            }
        }
    }
    if (node_daemon_stopping() && o->once && rc == VOCFED_OK && !s_level(&m))
        rc = VOCFED_EINTERRUPTED;
    m.connected = false;
    s_persist(&m);
done:
    if (watch >= 0)
        close(watch);
    zactor_destroy(&m.monitor);
    zsock_destroy(&m.dealer);
    node_identity_free(&m.sk);
    store_destroy(&m.st);
    proto_buf_release(&m.out);
    node_daemon_unlock(lock);
    return rc;
}
