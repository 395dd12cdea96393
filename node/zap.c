/* vocfed: the coordinator's ZAP handler (SPEC 10.2). */
#include "node/zap.h"
#include "node/alarm.h"
#include "protocol/clock.h"
#include "protocol/hash.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Unknown keys whose refusals are told apart, once an interval each;
 * past these, the rest share one limit (a flood of new keys must not
 * grow the table). */
#define S_STRANGERS_MAX 1024

/* A request whose answer waits (SPEC 10.2): libzmq holds the connection
 * in its handshake meanwhile. */
typedef struct {
    zframe_t *peer;                /* the ZAP client's routing id on our
                                      ROUTER */
    char *request_id;              /* echoed back */
    uint8_t key[PROTO_PUBKEY_LEN]; /* its CURVE key: checked again when
                                      it is admitted (a key replaced) */
} s_waiting_t;

/* What the handler keeps per roster member it was asked about. */
typedef struct {
    char id[PROTO_ID_MAX + 1]; /* the member */
    node_alarm_limit_t limit;  /* its refusals: logged once an interval */
    uint64_t conn;             /* number of its last admitted connection,
                                  0 before the first */
    uint64_t admitted_ms;      /* when (monotonic ms) */
    bool spoken;               /* that connection delivered a message */
    s_waiting_t waiting;       /* its newest request not answered yet
                                  (peer NULL when none) */
} s_member_t;

struct node_zap_t {
    zsock_t *sock;                /* ROUTER on inproc://zeromq.zap.01 */
    const node_roster_t *roster;  /* who may connect (borrowed) */
    uint64_t interval_ms;         /* refusals logged once per interval */
    uint64_t refused;             /* connections refused */
    uint64_t logged;              /* refusals since the last line */
    node_alarm_limit_t strangers; /* unknown keys past S_STRANGERS_MAX
                                     share one limit */
    zhashx_t *stranger_keys;      /* hex of an unknown key ->
                                     node_alarm_limit_t (owned): each is
                                     told once an interval */
    zhashx_t *members;            /* roster member id -> s_member_t
                                     (owned) */
    size_t waiting;               /* members with a request waiting */
    uint64_t conns;               /* connections admitted so far */
    node_zap_busy_fn *busy;       /* a member's connection still open? */
    void *arg;                    /* its argument */
};

/* One request's frames (RFC 27), after the ROUTER's envelope. */
typedef struct {
    zframe_t *peer;     /* the ZAP client's routing id */
    char *version;      /* "1.0" */
    char *request_id;   /* echoed back */
    char *domain;       /* ZAP domain of the socket */
    char *address;      /* peer's address, for the log */
    zframe_t *identity; /* routing id (unused) */
    char *mechanism;    /* "CURVE" is required */
    zframe_t *key;      /* the client's CURVE public key */
} s_request_t;

static void
s_member_free(void **item)
{
    s_member_t *ms = *item;
    if (ms) {
        zframe_destroy(&ms->waiting.peer);
        zstr_free(&ms->waiting.request_id);
        free(ms);
        *item = NULL;
    }
}

static void
s_limit_free(void **item)
{
    free(*item);
    *item = NULL;
}

/* The limit of the refusals of an unknown key (its X25519 form), made
 * when it has none; the shared one when the table is full or the key
 * cannot be read. */
static node_alarm_limit_t *
s_stranger(node_zap_t *self, zframe_t *key)
{
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    if (!key || zframe_size(key) != PROTO_PUBKEY_LEN)
        return &self->strangers;
    proto_hex(zframe_data(key), PROTO_PUBKEY_LEN, hex);
    node_alarm_limit_t *l = zhashx_lookup(self->stranger_keys, hex);
    if (l || zhashx_size(self->stranger_keys) >= S_STRANGERS_MAX ||
        !(l = calloc(1, sizeof *l)))
        return l ? l : &self->strangers;
    if (zhashx_insert(self->stranger_keys, hex, l) != 0) {
        free(l);
        return &self->strangers;
    }
    return l;
}

int
node_zap_new(const node_roster_t *roster, uint64_t interval_ms,
             node_zap_t **out)
{
    node_zap_t *self = calloc(1, sizeof *self);
    if (!self)
        return VOCFED_ENOMEM;
    self->roster = roster;
    self->interval_ms = interval_ms;
    self->members = zhashx_new();
    if (!self->members) {
        free(self);
        return VOCFED_ENOMEM;
    }
    zhashx_set_destructor(self->members, s_member_free);
    self->stranger_keys = zhashx_new();
    if (!self->stranger_keys) {
        node_zap_destroy(&self);
        return VOCFED_ENOMEM;
    }
    zhashx_set_destructor(self->stranger_keys, s_limit_free);
    /* A ROUTER, not a REP: an answer may wait while others are given. */
    self->sock = zsock_new_router("inproc://zeromq.zap.01");
    if (!self->sock) {
        node_zap_destroy(&self);
        return VOCFED_EEXISTS;
    }
    *out = self;
    return VOCFED_OK;
}

void
node_zap_destroy(node_zap_t **self)
{
    if (*self) {
        zsock_destroy(&(*self)->sock);
        zhashx_destroy(&(*self)->members);
        zhashx_destroy(&(*self)->stranger_keys);
        free(*self);
        *self = NULL;
    }
}

void
node_zap_on_busy(node_zap_t *self, node_zap_busy_fn *fn, void *arg)
{
    self->busy = fn;
    self->arg = arg;
}

zsock_t *
node_zap_sock(node_zap_t *self)
{
    return self->sock;
}

uint64_t
node_zap_refused(const node_zap_t *self)
{
    return self->refused;
}

/* The handler's record of member id, made when it has none; NULL when
 * memory is short. */
static s_member_t *
s_member(node_zap_t *self, const char *id)
{
    s_member_t *ms = zhashx_lookup(self->members, id);
    if (ms || !(ms = calloc(1, sizeof *ms)))
        return ms;
    snprintf(ms->id, sizeof ms->id, "%s", id);
    if (zhashx_insert(self->members, id, ms) != 0) {
        free(ms);
        return NULL;
    }
    return ms;
}

/* The answer to a request: NULL (admit *m) or why not. */
static const char *
s_decide(node_zap_t *self, const s_request_t *r, const node_member_t **m)
{
    *m = NULL;
    if (!r->version || strcmp(r->version, "1.0") != 0)
        return "bad ZAP version";
    if (!r->domain || strcmp(r->domain, NODE_ZAP_DOMAIN) != 0)
        return "wrong ZAP domain";
    if (!r->mechanism || strcmp(r->mechanism, "CURVE") != 0 || !r->key ||
        zframe_size(r->key) != PROTO_PUBKEY_LEN)
        return "CURVE is required";
    if (!(*m = node_roster_find_curve(self->roster, zframe_data(r->key))))
        return "not on the roster";
    if ((*m)->status != NODE_MEMBER_ACTIVE)
        return node_member_status_name((*m)->status);
    if (!s_member(self, (*m)->id))
        return "out of memory";
    return NULL;
}

/* A member on the roster (suspended, revoked) is named, once per interval
 * for each; an unknown key is told once per interval per key. */
static void
s_log_refusal(node_zap_t *self, const s_request_t *r, const node_member_t *m,
              const char *text)
{
    const char *address = r->address;
    self->refused++;
    self->logged++;
    s_member_t *ms = m ? s_member(self, m->id) : NULL;
    node_alarm_limit_t *limit = ms ? &ms->limit : s_stranger(self, r->key);
    if (!node_alarm_due(limit, self->interval_ms))
        return;
    zsys_warning("coordinator: connection refused from %s%s%s: %s "
                 "(%" PRIu64 " refused since the last such line)",
                 address ? address : "?", m ? " member=" : "", m ? m->id : "",
                 text, self->logged);
    self->logged = 0;
}

/* Appends one ZMTP metadata property (RFC 23: name length u8, name,
 * value length u32 big-endian, value) to buf at `at`; buf has room. */
static size_t
s_property(uint8_t *buf, size_t at, const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    buf[at++] = (uint8_t)n;
    memcpy(buf + at, name, n);
    at += n;
    for (int shift = 24; shift >= 0; shift -= 8)
        buf[at++] = (uint8_t)(v >> shift);
    memcpy(buf + at, value, v);
    return at + v;
}

/* Sends the answer to one request: admitted (ms not NULL) or refused
 * with why. An admission's metadata (SPEC 10.2) carries the connection's
 * number, which libzmq attaches to each of its messages. */
static void
s_answer(node_zap_t *self, zframe_t *peer, const char *request_id,
         s_member_t *ms, const uint8_t *key, const char *why)
{
    zmsg_t *rep = zmsg_new();
    zmsg_append(rep, &(zframe_t *){zframe_dup(peer)});
    zmsg_addmem(rep, "", 0);
    zmsg_addstr(rep, "1.0");
    zmsg_addstr(rep, request_id ? request_id : "");
    zmsg_addstr(rep, ms ? "200" : "400");
    zmsg_addstr(rep, ms ? "OK" : why);
    zmsg_addstr(rep, ms ? ms->id : "");
    if (!ms) {
        zmsg_addmem(rep, "", 0);
        zmsg_send(&rep, self->sock);
        return;
    }
    uint8_t meta[1 + sizeof NODE_ZAP_CONN_PROPERTY + 4 + 24 + 1 +
                 sizeof NODE_ZAP_KEY_PROPERTY + 4 + 2 * PROTO_PUBKEY_LEN];
    char conn[24], hex[2 * PROTO_PUBKEY_LEN + 1];
    ms->conn = ++self->conns;
    ms->admitted_ms = proto_mono_ms();
    ms->spoken = false;
    snprintf(conn, sizeof conn, "%" PRIu64, ms->conn);
    proto_hex(key, PROTO_PUBKEY_LEN, hex);
    size_t n = s_property(meta, 0, NODE_ZAP_CONN_PROPERTY, conn);
    n = s_property(meta, n, NODE_ZAP_KEY_PROPERTY, hex);
    zmsg_addmem(rep, meta, n);
    zmsg_send(&rep, self->sock);
}

/* Whether a new connection of ms may be admitted now (SPEC 10.2): its
 * last admitted connection has spoken, or had NODE_ZAP_SETUP_MS to, and
 * no connection of it is open. */
static bool
s_may_admit(node_zap_t *self, const s_member_t *ms)
{
    return (!ms->conn || ms->spoken ||
            proto_mono_ms() - ms->admitted_ms >= NODE_ZAP_SETUP_MS) &&
           !(self->busy && self->busy(self->arg, ms->id));
}

/* Admits ms's waiting request, if it has one and its time has come. */
static void
s_admit_waiting(node_zap_t *self, s_member_t *ms)
{
    if (!ms->waiting.peer || !s_may_admit(self, ms))
        return;
    s_waiting_t w = ms->waiting;
    ms->waiting = (s_waiting_t){0};
    self->waiting--;
    /* The roster may have changed while it waited: a key replaced or
     * suspended since is refused now. */
    const node_member_t *m = node_roster_find_curve(self->roster, w.key);
    if (!m || m->status != NODE_MEMBER_ACTIVE || strcmp(m->id, ms->id) != 0)
        s_answer(self, w.peer, w.request_id, NULL, NULL,
                 "key no longer on the roster");
    else
        s_answer(self, w.peer, w.request_id, ms, w.key, NULL);
    zframe_destroy(&w.peer);
    zstr_free(&w.request_id);
}

/* An admissible request of member ms: answered now, or made to wait for
 * the member's last connection (a waiting older one is refused: the same
 * key has dialled again since). */
static void
s_admit_or_wait(node_zap_t *self, s_member_t *ms, s_request_t *r)
{
    if (!ms->waiting.peer && s_may_admit(self, ms)) {
        s_answer(self, r->peer, r->request_id, ms, zframe_data(r->key), NULL);
        return;
    }
    if (ms->waiting.peer) {
        s_answer(self, ms->waiting.peer, ms->waiting.request_id, NULL, NULL,
                 "replaced by a newer connection");
        zframe_destroy(&ms->waiting.peer);
        zstr_free(&ms->waiting.request_id);
        self->waiting--;
    }
    ms->waiting.peer = r->peer;
    ms->waiting.request_id = r->request_id;
    memcpy(ms->waiting.key, zframe_data(r->key), PROTO_PUBKEY_LEN);
    r->peer = NULL;
    r->request_id = NULL;
    self->waiting++;
}

void
node_zap_handle(node_zap_t *self)
{
    zmsg_t *req = zmsg_recv(self->sock);
    if (!req)
        return;
    s_request_t r = {.peer = zmsg_pop(req)};
    zframe_t *empty = zmsg_pop(req);
    r.version = zmsg_popstr(req);
    r.request_id = zmsg_popstr(req);
    r.domain = zmsg_popstr(req);
    r.address = zmsg_popstr(req);
    r.identity = zmsg_pop(req);
    r.mechanism = zmsg_popstr(req);
    r.key = zmsg_pop(req);
    const node_member_t *m = NULL;
    const char *why = r.peer && empty && zframe_size(empty) == 0
                          ? s_decide(self, &r, &m)
                          : "bad ZAP envelope";
    if (why) {
        s_log_refusal(self, &r, m, why);
        if (r.peer)
            s_answer(self, r.peer, r.request_id, NULL, NULL, why);
    } else {
        s_admit_or_wait(self, s_member(self, m->id), &r);
    }
    zframe_destroy(&r.peer);
    zframe_destroy(&empty);
    zstr_free(&r.version);
    zstr_free(&r.request_id);
    zstr_free(&r.domain);
    zstr_free(&r.address);
    zframe_destroy(&r.identity);
    zstr_free(&r.mechanism);
    zframe_destroy(&r.key);
    zmsg_destroy(&req);
}

size_t
node_zap_drain(node_zap_t *self, size_t max)
{
    size_t n = 0;
    while (n < max && (zsock_events(self->sock) & ZMQ_POLLIN)) {
        node_zap_handle(self);
        n++;
    }
    return n;
}

void
node_zap_spoken(node_zap_t *self, const char *id, uint64_t conn)
{
    s_member_t *ms = zhashx_lookup(self->members, id);
    if (!ms || ms->conn != conn)
        return;
    ms->spoken = true;
    s_admit_waiting(self, ms);
}

void
node_zap_tick(node_zap_t *self)
{
    if (self->waiting == 0)
        return;
    for (s_member_t *ms = zhashx_first(self->members); ms;
         ms = zhashx_next(self->members))
        s_admit_waiting(self, ms);
}
