/* vocfed: the coordinator daemon (SPEC 10.2). */
#include "node/coordinator.h"
#include "node/daemon.h"
#include "node/figures.h"
#include "node/identity.h"
#include "node/replicate.h"
#include "node/roster.h"
#include "protocol/msg.h"

#include <czmq.h>
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#define S_PERSIST_MS 1000     /* peer state is written at most this often */
#define S_MAX_SESSIONS 100000 /* members connected at once */
#define S_GROUP 16            /* batches committed together (one fsync) */
#define S_OVERSIZE_MARGIN (1024 * 1024) /* refused by us, not by libzmq */
/* Per member: messages and bytes a second, and the bursts allowed. An
 * honest member sends at most S_MAX_FLIGHT (256) batches in a 16 MiB
 * window, then one batch per receipt; these are far above that. */
#define S_RATE_MSGS 2000.0
#define S_BURST_MSGS 4000.0
#define S_RATE_BYTES (64.0 * 1024 * 1024)
#define S_BURST_BYTES (96.0 * 1024 * 1024)
/* Messages queued for one member / from one member inside libzmq. With
 * the transport's size cap this bounds the memory one member can make
 * the coordinator hold (SPEC 10.5). */
#define S_SNDHWM 64
/* Abuses in one interval before a member is throttled for the rest of it.
 * An honest member's worst case is a window of batches already taken
 * when its connection broke: at most 256 replays (member.c S_MAX_FLIGHT). */
#define S_TOLERANCE 512
#define S_IO_THREADS 2 /* libzmq I/O threads (CURVE, framing) */
#define S_RCVHWM 32

/* Kinds of abuse from an admitted member (SPEC 10.5). */
typedef enum {
    S_AB_MALFORMED, /* does not decode */
    S_AB_TOO_LARGE, /* over a cap of SPEC 8.9 */
    S_AB_REFUSED,   /* batch refused (signature, root, author, ...) */
    S_AB_REPLAYED,  /* batch of entries already held */
    S_AB_SEQ_GAP,   /* batch starts past the held log */
    S_AB_FLOODED,   /* over the rate limit: dropped unread */
    S_AB_UNREAD,    /* reply dropped: the member does not read */
    S_AB_OTHER,     /* wrong id in hello, bad receipt */
    S_AB_KINDS
} s_abuse_t;

static const char *const s_abuse_names[S_AB_KINDS] = {
    "malformed", "too-large", "refused", "replayed",
    "seq-gap",   "flooded",   "unread",  "other"};

/* A token bucket: capacity `burst`, refilled at `rate` per second. */
typedef struct {
    double tokens;  /* available now */
    uint64_t at_ms; /* when last refilled */
} s_bucket_t;

/* One connected member. */
typedef struct {
    char id[PROTO_ID_MAX + 1];   /* member id, bound by ZAP */
    zframe_t *routing;           /* ROUTER routing id of its connection */
    uint64_t last_contact_ms;    /* last message */
    uint64_t count[S_AB_KINDS];  /* abuse counted, since the daemon began
                                    or as persisted before */
    uint64_t logged[S_AB_KINDS]; /* count[] when the last line was logged */
    uint64_t next_log_ms;        /* when abuse may be logged again */
    uint64_t next_detail_ms[S_AB_KINDS]; /* when a kind's details may be
                                            logged (and alarmed) again */
    uint64_t window_start_ms;            /* start of the current abuse window */
    uint64_t window_abuse;               /* abuse counted in it */
    uint64_t throttled_until_ms; /* everything dropped unread until then */
    uint64_t next_hello_log_ms;  /* when a hello may be logged again */
    uint64_t messages_in;        /* messages received */
    uint64_t bytes_in;           /* their bytes */
    s_bucket_t msgs;             /* message rate limit */
    s_bucket_t bytes;            /* byte rate limit */
    uint64_t full_seq;           /* first seq refused as storage full, 0
                                    once a batch is stored again */
    bool dirty;                  /* state to persist */
} s_session_t;

typedef struct {
    store_t *st;               /* the coordinator's store */
    uint8_t *sk;               /* its Ed25519 secret key (guarded) */
    char id[PROTO_ID_MAX + 1]; /* its node id */
    node_roster_t roster;      /* who may connect */
    zhashx_t *sessions;        /* member id -> s_session_t */
    zsock_t *router;           /* the members' socket */
    zsock_t *zap;              /* ZAP handler socket */
    uint64_t own_size;         /* size of our own log last seen */
    proto_buf_t out;           /* scratch for replies */
    uint64_t zap_refused;      /* connections refused at ZAP */
    uint64_t zap_next_log_ms;  /* ZAP refusals of unknown keys: rate limit */
    uint64_t zap_logged;       /* refusals since the last line */
    zhashx_t *zap_members;     /* roster member id -> when its refusal may be
                                  logged again (uint64_t ms) */
    bool verbose;              /* log every batch */
    uint64_t full_next_log_ms; /* when "storage full" may be logged again */
    uint64_t interval_ms;      /* abuse: logged once, tolerated S_TOLERANCE
                                  times per interval */
    struct {
        zframe_t *payload;             /* the message (owns the bytes) */
        char member[PROTO_ID_MAX + 1]; /* who sent it */
        proto_msg_t msg;               /* decoded (borrows payload) */
    } group[S_GROUP];                  /* batches waiting for one commit */
    size_t ngroup;                     /* how many */
} s_coord_t;

static void
s_free(void **item)
{
    free(*item);
    *item = NULL;
}

static void
s_session_free(void **item)
{
    s_session_t *s = *item;
    if (s) {
        zframe_destroy(&s->routing);
        free(s);
        *item = NULL;
    }
}

/* ---- ZAP: who may connect -------------------------------------------- */

/* ZAP 1.0 (RFC 27): only active roster keys, only our domain. */
static void
s_zap(s_coord_t *c)
{
    zmsg_t *req = zmsg_recv(c->zap);
    if (!req)
        return;
    char *version = zmsg_popstr(req);
    char *request_id = zmsg_popstr(req);
    char *domain = zmsg_popstr(req);
    char *address = zmsg_popstr(req);
    zframe_t *identity = zmsg_pop(req);
    char *mechanism = zmsg_popstr(req);
    zframe_t *key = zmsg_pop(req);

    const char *status = "400", *text = "not on the roster", *user = "";
    const node_member_t *m = NULL;
    if (!version || strcmp(version, "1.0") != 0) {
        text = "bad ZAP version";
    } else if (!domain || strcmp(domain, NODE_ZAP_DOMAIN) != 0) {
        text = "wrong ZAP domain";
    } else if (!mechanism || strcmp(mechanism, "CURVE") != 0 || !key ||
               zframe_size(key) != PROTO_PUBKEY_LEN) {
        text = "CURVE is required";
    } else if (!(m = node_roster_find_curve(&c->roster, zframe_data(key)))) {
        text = "not on the roster";
    } else if (m->status != NODE_MEMBER_ACTIVE) {
        text = node_member_status_name(m->status);
    } else {
        status = "200";
        text = "OK";
        user = m->id;
    }
    if (strcmp(status, "200") != 0) {
        c->zap_refused++;
        c->zap_logged++;
        /* A member on the roster (suspended, revoked) is named, once per
         * interval for each; unknown keys share one interval. */
        uint64_t now = node_mono_ms(), *next = NULL;
        if (m && !(next = zhashx_lookup(c->zap_members, m->id)) &&
            (next = calloc(1, sizeof *next)) &&
            zhashx_insert(c->zap_members, m->id, next) != 0) {
            free(next);
            next = NULL;
        }
        if (!next)
            next = &c->zap_next_log_ms;
        if (now >= *next) {
            zsys_warning("coordinator: connection refused from %s%s%s: %s "
                         "(%" PRIu64 " refused since the last such line)",
                         address ? address : "?", m ? " member=" : "",
                         m ? m->id : "", text, c->zap_logged);
            c->zap_logged = 0;
            *next = now + c->interval_ms;
        }
    }
    zmsg_t *rep = zmsg_new();
    zmsg_addstr(rep, "1.0");
    zmsg_addstr(rep, request_id ? request_id : "");
    zmsg_addstr(rep, status);
    zmsg_addstr(rep, text);
    zmsg_addstr(rep, user);
    zmsg_addmem(rep, "", 0);
    zmsg_send(&rep, c->zap);

    zstr_free(&version);
    zstr_free(&request_id);
    zstr_free(&domain);
    zstr_free(&address);
    zframe_destroy(&identity);
    zstr_free(&mechanism);
    zframe_destroy(&key);
    zmsg_destroy(&req);
}

/* ---- sending ------------------------------------------------------------ */

/* Abuse is counted always and logged once per interval per member, with
 * every kind counted since the last line (SPEC 10.5). */
static void
s_abuse_log(s_coord_t *c, s_session_t *s, uint64_t now)
{
    char line[256];
    size_t used = 0;
    for (int k = 0; k < S_AB_KINDS; k++) {
        uint64_t d = s->count[k] - s->logged[k];
        if (d == 0)
            continue;
        int n = snprintf(line + used, sizeof line - used, " %s=%" PRIu64,
                         s_abuse_names[k], d);
        if (n > 0 && (size_t)n < sizeof line - used)
            used += (size_t)n;
        s->logged[k] = s->count[k];
    }
    if (used == 0)
        return;
    zsys_warning("coordinator: abuse member=%s in the last %" PRIu64 " s:%s",
                 s->id, c->interval_ms / 1000, line);
    s->next_log_ms = now + c->interval_ms;
}

/* Counts one abuse; true when this kind's details may be logged (and an
 * alarm written) now, once per interval per member and kind. A member
 * over S_TOLERANCE abuses in one interval is throttled: whatever it sends
 * is dropped unread until the interval ends, so that abuse costs the
 * coordinator no decoding and no verification. */
static bool
s_abuse(s_coord_t *c, s_session_t *s, s_abuse_t kind)
{
    s->count[kind]++;
    s->dirty = true;
    uint64_t now = node_mono_ms();
    if (kind != S_AB_FLOODED) {
        if (now >= s->window_start_ms + c->interval_ms) {
            s->window_start_ms = now;
            s->window_abuse = 0;
        }
        if (++s->window_abuse == S_TOLERANCE) {
            s->throttled_until_ms = s->window_start_ms + c->interval_ms;
            zsys_warning("coordinator: throttled member=%s for %" PRIu64
                         " ms: %d abuses in one interval",
                         s->id, s->throttled_until_ms - now, S_TOLERANCE);
        }
    }
    if (now >= s->next_log_ms)
        s_abuse_log(c, s, now);
    if (now < s->next_detail_ms[kind])
        return false;
    s->next_detail_ms[kind] = now + c->interval_ms;
    return true;
}

/* Lines held back by the interval go out once it has passed. */
static void
s_abuse_flush(s_coord_t *c)
{
    uint64_t now = node_mono_ms();
    for (s_session_t *s = zhashx_first(c->sessions); s;
         s = zhashx_next(c->sessions))
        if (now >= s->next_log_ms)
            s_abuse_log(c, s, now);
}

/* Takes cost from b if it holds that much; false (nothing taken) when the
 * member is over its rate. */
static bool
s_bucket_take(s_bucket_t *b, double cost, double rate, double burst,
              uint64_t now)
{
    if (b->at_ms == 0)
        b->tokens = burst;
    else if (now > b->at_ms)
        b->tokens += rate * (double)(now - b->at_ms) / 1000.0;
    if (b->tokens > burst)
        b->tokens = burst;
    b->at_ms = now;
    if (b->tokens < cost && b->tokens < burst)
        return false;
    b->tokens -= cost;
    return true;
}

/* Never blocks: a member that does not read loses the reply (counted), and
 * nobody else waits for it. */
static int
s_send(s_coord_t *c, s_session_t *s, const proto_buf_t *payload)
{
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, &(zframe_t *){zframe_dup(s->routing)});
    zmsg_addmem(msg, payload->data, payload->len);
    int rc = zmsg_send(&msg, c->router);
    if (rc != 0 && errno == EAGAIN)
        s_abuse(c, s, S_AB_UNREAD);
    zmsg_destroy(&msg);
    return rc;
}

static void
s_send_error(s_coord_t *c, s_session_t *s, int status, const char *text,
             const char *author, uint64_t seq)
{
    proto_buf_reset(&c->out);
    if (proto_msg_encode_error(vocfed_status_token(status), text, author, seq,
                               &c->out) == VOCFED_OK)
        s_send(c, s, &c->out);
}

static void
s_heads(s_coord_t *c, s_session_t *s)
{
    const char *authors[2] = {s->id, c->id};
    proto_buf_reset(&c->out);
    if (node_heads_encode(c->st, c->id, false, authors, 2, &c->out) ==
        VOCFED_OK)
        s_send(c, s, &c->out);
}

/* ---- members' messages ------------------------------------------------- */

static void
s_on_batch(s_coord_t *c, s_session_t *s, const proto_msg_batch_t *b)
{
    char author[PROTO_ID_MAX + 1];
    snprintf(author, sizeof author, "%.*s", (int)b->author_len, b->author);
    if (b->author_len > PROTO_ID_MAX || strcmp(author, s->id) != 0) {
        /* Ownership: a member sends its own log, nobody else's. */
        if (s_abuse(c, s, S_AB_REFUSED)) {
            zsys_warning("coordinator: batch refused member=%s seq=%" PRIu64
                         " reason=wrong-author: it claims the log of %s",
                         s->id, b->first_seq, author);
            if (store_alarm(c->st, "refused", s->id, author, b->first_seq,
                            "batch claims another member's log")) {
            }
        }
        s_send_error(c, s, VOCFED_EAUTHOR, "a member may only send its own log",
                     author, b->first_seq);
        return;
    }
    /* Verified and committed with the other batches waiting (group
     * commit): the receipt goes out only after the commit. */
    (void)b;
}

static void
s_after_batch(s_coord_t *c, s_session_t *s, const proto_msg_batch_t *b, int rc,
              const store_ingest_result_t *res, proto_buf_t *reply)
{
    char author[PROTO_ID_MAX + 1];
    snprintf(author, sizeof author, "%.*s", (int)b->author_len, b->author);
    if (rc == VOCFED_OK) {
        s->full_seq = 0;
        if (res->applied == 0 && res->skipped > 0)
            s_abuse(c, s, S_AB_REPLAYED); /* also after a lost receipt */
        if (res->applied && c->verbose)
            zsys_info("coordinator: member=%s +%" PRIu64
                      " entries, size=%" PRIu64,
                      s->id, res->applied, res->head.size);
    } else if (rc == VOCFED_ESTORAGEFULL ||
               (rc == VOCFED_ESEQGAP && s->full_seq &&
                b->first_seq > s->full_seq)) {
        /* Our disk, not the member's doing (SPEC 5.4): no abuse, no
         * receipt; the member backs off and sends again. The rest of its
         * window comes as gaps behind the batch we could not store. */
        if (rc == VOCFED_ESTORAGEFULL && !s->full_seq)
            s->full_seq = b->first_seq;
        uint64_t now = node_mono_ms();
        if (now >= c->full_next_log_ms) {
            zsys_error("coordinator: storage full: member=%s seq=%" PRIu64
                       " not stored and not acknowledged; it will be sent "
                       "again once the store's disk has room",
                       s->id, b->first_seq);
            c->full_next_log_ms = now + c->interval_ms;
        }
    } else {
        /* Details and an alarm once per interval: a member sending bad
         * batches in a loop must not fill the log or the store. */
        bool first =
            s_abuse(c, s, rc == VOCFED_ESEQGAP ? S_AB_SEQ_GAP : S_AB_REFUSED);
        if (res->equivocation)
            zsys_error("coordinator: quarantined member=%s reason=%s", s->id,
                       res->what);
        else if (first)
            zsys_warning("coordinator: batch refused member=%s seq=%" PRIu64
                         " reason=%s: %s",
                         s->id, b->first_seq, vocfed_status_token(rc),
                         res->what);
        if ((first || res->equivocation) &&
            store_alarm(c->st, res->equivocation ? "quarantine" : "refused",
                        s->id, author, b->first_seq,
                        res->what[0] ? res->what : vocfed_strerror(rc))) {
        }
    }
    if (reply->len)
        s_send(c, s, reply);
}

/* Commits the waiting batches together, then answers each. */
static void
s_flush_group(s_coord_t *c)
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
    if (node_batch_accept_many(c->st, c->id, c->sk, m, n, replies, res, rcs)) {
        /* every batch carries the storage status in rcs */
    }
    for (size_t i = 0; i < n; i++) {
        s_session_t *s = zhashx_lookup(c->sessions, c->group[i].member);
        if (s)
            s_after_batch(c, s, m[i], rcs[i], &res[i], &replies[i]);
        proto_buf_release(&replies[i]);
        zframe_destroy(&c->group[i].payload);
    }
    c->ngroup = 0;
}

static void
s_on_pull(s_coord_t *c, s_session_t *s, const proto_msg_pull_t *p)
{
    char author[PROTO_ID_MAX + 1];
    snprintf(author, sizeof author, "%.*s", (int)p->author_len, p->author);
    if (p->author_len > PROTO_ID_MAX || strcmp(author, c->id) != 0) {
        /* Members see the coordinator's log, not each other's records. */
        s_send_error(c, s, VOCFED_ENOTFOUND,
                     "only the coordinator's own log can be pulled", author,
                     p->from_seq);
        return;
    }
    uint64_t last;
    proto_buf_reset(&c->out);
    int rc = node_batch_build(c->st, c->id, p->from_seq - 1, NODE_BATCH_ENTRIES,
                              NODE_BATCH_BYTES, &c->out, &last);
    if (rc == VOCFED_OK)
        s_send(c, s, &c->out);
    else if (rc == VOCFED_ENOTFOUND)
        s_heads(c, s); /* nothing new: say where we stand */
    else
        s_send_error(c, s, rc, vocfed_strerror(rc), author, p->from_seq);
}

static void
s_on_receipt(s_coord_t *c, s_session_t *s, const proto_msg_receipt_t *r)
{
    const node_member_t *m = node_roster_find(&c->roster, s->id);
    char author[PROTO_ID_MAX + 1] = "";
    store_ack_t ack;
    if (!m)
        return;
    int rc = node_receipt_check(c->st, s->id, m->pk, r->receipt, r->receipt_len,
                                author, &ack);
    if (rc == VOCFED_EROOT) {
        zsys_error("coordinator: member=%s holds another log of %s at size "
                   "%" PRIu64,
                   s->id, author, ack.acked);
        if (store_alarm(c->st, "bad-receipt", s->id, author, ack.acked,
                        "receipt states a root that is not ours")) {
        }
    } else if (rc) {
        s_abuse(c, s, S_AB_OTHER);
    }
}

/* Counters go on across restarts of the daemon: start from the stored. */
static void
s_session_restore(s_coord_t *c, s_session_t *s)
{
    store_peer_t p;
    if (store_peer_get(c->st, s->id, &p) != VOCFED_OK)
        return;
    s->count[S_AB_REFUSED] = p.refused;
    s->count[S_AB_MALFORMED] = p.malformed;
    s->count[S_AB_TOO_LARGE] = p.too_large;
    s->count[S_AB_REPLAYED] = p.replayed;
    s->count[S_AB_SEQ_GAP] = p.seq_gaps;
    s->count[S_AB_FLOODED] = p.flooded;
    s->count[S_AB_UNREAD] = p.unread;
    s->messages_in = p.messages_in;
    s->bytes_in = p.bytes_in;
    memcpy(s->logged, s->count, sizeof s->logged);
}

static void
s_on_message(s_coord_t *c)
{
    zmsg_t *msg = zmsg_recv(c->router);
    if (!msg)
        return;
    zframe_t *routing = zmsg_pop(msg);
    zframe_t *payload = zmsg_pop(msg);
    const char *user = payload ? zframe_meta(payload, "User-Id") : NULL;
    if (!routing || !payload || !user || !*user || zmsg_size(msg) != 0)
        goto done;

    s_session_t *s = zhashx_lookup(c->sessions, user);
    if (!s) {
        if (zhashx_size(c->sessions) >= S_MAX_SESSIONS)
            goto done;
        s = calloc(1, sizeof *s);
        if (!s)
            goto done;
        snprintf(s->id, sizeof s->id, "%s", user);
        s_session_restore(c, s);
        zhashx_insert(c->sessions, user, s);
        zsys_info("coordinator: connected member=%s", user);
    }
    if (!s->routing || !zframe_eq(s->routing, routing)) {
        zframe_destroy(&s->routing);
        s->routing = zframe_dup(routing);
    }
    s->last_contact_ms = node_now_ms();
    s->dirty = true;
    s->messages_in++;
    s->bytes_in += zframe_size(payload);

    /* A flood is dropped unread: no decoding, no reply. */
    uint64_t now = node_mono_ms();
    if (now < s->throttled_until_ms ||
        !s_bucket_take(&s->msgs, 1, S_RATE_MSGS, S_BURST_MSGS, now) ||
        !s_bucket_take(&s->bytes, (double)zframe_size(payload), S_RATE_BYTES,
                       S_BURST_BYTES, now)) {
        s_abuse(c, s, S_AB_FLOODED);
        goto done;
    }

    /* Suspended or revoked after connecting: refused from now on. */
    const node_member_t *m = node_roster_find(&c->roster, s->id);
    if (!m || m->status != NODE_MEMBER_ACTIVE) {
        s_send_error(c, s, VOCFED_ELOCKED,
                     m ? node_member_status_name(m->status)
                       : "not on the roster",
                     NULL, 0);
        goto done;
    }

    proto_msg_t mm;
    int rc = proto_msg_decode(zframe_data(payload), zframe_size(payload), &mm);
    if (rc) {
        s_abuse(c, s, rc == VOCFED_ETOOLARGE ? S_AB_TOO_LARGE : S_AB_MALFORMED);
        s_send_error(c, s, rc, "message does not decode", NULL, 0);
        goto done;
    }
    /* Answer in order: what waits for the group commit goes first. */
    if (mm.type != PROTO_MSG_BATCH)
        s_flush_group(c);
    switch (mm.type) {
    case PROTO_MSG_HELLO:
        if (mm.hello.node_id_len != strlen(s->id) ||
            memcmp(mm.hello.node_id, s->id, mm.hello.node_id_len) != 0) {
            s_abuse(c, s, S_AB_OTHER);
            s_send_error(c, s, VOCFED_EAUTHOR, "hello names another node", NULL,
                         0);
            break;
        }
        /* A member says hello on every (re)connection; a flood of them
         * must not flood the log. */
        if (node_mono_ms() >= s->next_hello_log_ms) {
            zsys_info("coordinator: hello member=%s", s->id);
            s->next_hello_log_ms = node_mono_ms() + c->interval_ms;
        }
        s_heads(c, s);
        break;
    case PROTO_MSG_BATCH:
        s_on_batch(c, s, &mm.batch);
        if (!(mm.batch.author_len == strlen(s->id) &&
              memcmp(mm.batch.author, s->id, mm.batch.author_len) == 0))
            break; /* refused at once */
        if (c->ngroup == S_GROUP)
            s_flush_group(c);
        c->group[c->ngroup].payload = payload; /* the group owns it now */
        payload = NULL;
        snprintf(c->group[c->ngroup].member, sizeof c->group[0].member, "%s",
                 s->id);
        c->group[c->ngroup].msg = mm;
        c->ngroup++;
        break;
    case PROTO_MSG_PULL:
        s_on_pull(c, s, &mm.pull);
        break;
    case PROTO_MSG_RECEIPT:
        s_on_receipt(c, s, &mm.receipt);
        break;
    case PROTO_MSG_ERROR:
        zsys_warning("coordinator: member=%s refused our batch: %.*s: %.*s",
                     s->id, (int)mm.error.code_len, mm.error.code,
                     (int)mm.error.text_len, mm.error.text);
        if (store_alarm(c->st, "refused-by-peer", s->id, c->id, mm.error.seq,
                        "member refused the coordinator's log")) {
        }
        break;
    case PROTO_MSG_HEADS:
        break;
    }
done:
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
    /* The roster is part of our log: reload it, then tell every member. */
    node_roster_t r = {0};
    if (node_roster_load(c->st, c->id, &r) == VOCFED_OK) {
        node_roster_release(&c->roster);
        c->roster = r;
    }
    for (s_session_t *s = zhashx_first(c->sessions); s;
         s = zhashx_next(c->sessions))
        if (s->routing)
            s_heads(c, s);
}

static void
s_persist(s_coord_t *c, bool all_disconnected)
{
    for (s_session_t *s = zhashx_first(c->sessions); s;
         s = zhashx_next(c->sessions)) {
        if (!s->dirty && !all_disconnected)
            continue;
        store_peer_t p = {.connected = !all_disconnected,
                          .pid = (int)getpid(),
                          .last_contact_ms = s->last_contact_ms,
                          .refused = s->count[S_AB_REFUSED],
                          .malformed =
                              s->count[S_AB_MALFORMED] + s->count[S_AB_OTHER],
                          .too_large = s->count[S_AB_TOO_LARGE],
                          .replayed = s->count[S_AB_REPLAYED],
                          .seq_gaps = s->count[S_AB_SEQ_GAP],
                          .flooded = s->count[S_AB_FLOODED],
                          .unread = s->count[S_AB_UNREAD],
                          .messages_in = s->messages_in,
                          .bytes_in = s->bytes_in};
        snprintf(p.id, sizeof p.id, "%s", s->id);
        if (store_peer_set(c->st, &p) == VOCFED_OK)
            s->dirty = false;
    }
}

/* ---- the loop ----------------------------------------------------------- */

static int
s_setup_router(s_coord_t *c, const char *listen)
{
    uint8_t cpk[PROTO_PUBKEY_LEN];
    uint8_t *csk = sodium_malloc(PROTO_PUBKEY_LEN);
    if (!csk)
        return VOCFED_ENOMEM;
    int rc = node_identity_curve(c->sk, cpk, csk);
    if (rc) {
        sodium_free(csk);
        return rc;
    }
    c->router = zsock_new(ZMQ_ROUTER);
    if (!c->router) {
        sodium_free(csk);
        return VOCFED_ENOMEM;
    }
    zsock_set_zap_domain(c->router, NODE_ZAP_DOMAIN);
    zsock_set_curve_server(c->router, 1);
    zsock_set_curve_secretkey_bin(c->router, csk);
    sodium_free(csk); /* wiped */
    /* libzmq drops a connection whose message passes this cap before
     * anything is allocated for it; between PROTO_MSG_MAX and the cap the
     * program itself refuses (and counts) the message. */
    zsock_set_maxmsgsize(c->router, PROTO_MSG_MAX + S_OVERSIZE_MARGIN);
    zsock_set_sndhwm(c->router, S_SNDHWM);
    zsock_set_rcvhwm(c->router, S_RCVHWM);
    zsock_set_sndtimeo(c->router, 0); /* never wait for a slow reader */
    zsock_set_linger(c->router, 0);
    zsock_set_router_mandatory(c->router, 1);
    zsock_set_heartbeat_ivl(c->router, 1000);
    zsock_set_heartbeat_timeout(c->router, 5000);
    zsock_set_heartbeat_ttl(c->router, 10000);
    if (zsock_bind(c->router, "%s", listen) < 0)
        return -(errno ? errno : EADDRINUSE);
    return VOCFED_OK;
}

int
node_coordinator_run(const node_coordinator_opts_t *o)
{
    s_coord_t c = {0};
    int lock = -1, watch = -1, holder = 0, rc;
    char pkhex[2 * PROTO_PUBKEY_LEN + 1];
    uint8_t pk[PROTO_PUBKEY_LEN];
    proto_buf_init(&c.out);

    /* Two I/O threads: CURVE decryption happens there, and one member's
     * large messages must not hold up every other member's (SPEC 10.5).
     * Only takes effect before the first socket; none exists yet. */
    zmq_ctx_set(zsys_init(), ZMQ_IO_THREADS, S_IO_THREADS);
    lock = node_daemon_lock(o->dir, &holder);
    if (lock < 0) {
        if (lock == VOCFED_ELOCKED)
            zsys_error("coordinator: store %s is held by another daemon "
                       "(pid %d)",
                       o->dir, holder);
        return lock;
    }
    store_opts_t so = {0};
    if ((rc = store_open(o->dir, &so, &c.st)) ||
        (rc = node_figures_attach_store(c.st)))
        goto done;
    if ((rc = store_meta_get(c.st, "node_id", c.id, sizeof c.id)) ||
        (rc = store_meta_get(c.st, "node_pubkey", pkhex, sizeof pkhex)) ||
        (rc = proto_unhex(pkhex, pk, sizeof pk)) ||
        (rc = node_identity_load(o->dir, pk, &c.sk)))
        goto done;
    if ((rc = node_roster_load(c.st, c.id, &c.roster)))
        goto done;
    c.verbose = o->verbose;
    c.interval_ms =
        o->abuse_interval_ms ? o->abuse_interval_ms : NODE_ABUSE_INTERVAL_MS;
    c.sessions = zhashx_new();
    zhashx_set_destructor(c.sessions, s_session_free);
    c.zap_members = zhashx_new();
    zhashx_set_destructor(c.zap_members, s_free);
    node_daemon_signals();

    /* The ZAP handler must exist before the CURVE socket binds. */
    c.zap = zsock_new_rep("inproc://zeromq.zap.01");
    if (!c.zap) {
        rc = VOCFED_EEXISTS;
        goto done;
    }
    if ((rc = s_setup_router(&c, o->listen))) {
        zsys_error("coordinator: cannot listen on %s: %s", o->listen,
                   vocfed_strerror(rc));
        goto done;
    }
    if ((watch = node_daemon_watch(o->dir)) < 0) {
        rc = watch;
        goto done;
    }
    store_head_t h;
    if (store_head(c.st, c.id, &h) == VOCFED_OK)
        c.own_size = h.size;
    zsys_info("coordinator: id=%s listening on %s, %zu members on the roster",
              c.id, o->listen, c.roster.count);

    uint64_t next_persist = node_mono_ms() + S_PERSIST_MS;
    while (!node_daemon_stopping()) {
        zmq_pollitem_t items[] = {
            {zsock_resolve(c.router), 0, ZMQ_POLLIN, 0},
            {zsock_resolve(c.zap), 0, ZMQ_POLLIN, 0},
            {NULL, watch, ZMQ_POLLIN, 0},
        };
        int n = zmq_poll(items, 3, S_PERSIST_MS);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_zap(&c);
        /* Take what is waiting, but let ZAP and commits in between; a stop
         * is honoured between two messages. */
        for (int i = 0; i < 64 && !node_daemon_stopping() &&
                        (zsock_events(c.router) & ZMQ_POLLIN);
             i++)
            s_on_message(&c);
        s_flush_group(&c);
        if (items[2].revents & ZMQ_POLLIN) {
            node_daemon_watch_drain(watch);
            /* The event can come just before the commit is visible. */
            if (store_sync_point(c.st) == VOCFED_OK)
                s_on_commit(&c);
        }
        if (node_mono_ms() >= next_persist) {
            s_abuse_flush(&c);
            s_persist(&c, false);
            next_persist = node_mono_ms() + S_PERSIST_MS;
        }
    }
    s_flush_group(&c);
    s_persist(&c, true);
    zsys_info("coordinator: stopped");
done:
    if (watch >= 0)
        close(watch);
    zsock_destroy(&c.router);
    zsock_destroy(&c.zap);
    zhashx_destroy(&c.sessions);
    zhashx_destroy(&c.zap_members);
    node_roster_release(&c.roster);
    node_identity_free(&c.sk);
    store_destroy(&c.st);
    proto_buf_release(&c.out);
    node_daemon_unlock(lock);
    return rc;
}
