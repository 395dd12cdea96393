/* vocfed: the coordinator's ZAP handler (SPEC 10.2). */
#include "node/zap.h"
#include "node/alarm.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct node_zap_t {
    zsock_t *sock;                /* REP on inproc://zeromq.zap.01 */
    const node_roster_t *roster;  /* who may connect (borrowed) */
    uint64_t interval_ms;         /* refusals logged once per interval */
    uint64_t refused;             /* connections refused */
    uint64_t logged;              /* refusals since the last line */
    node_alarm_limit_t strangers; /* unknown keys share one limit */
    zhashx_t *members;            /* roster member id -> its limit
                                     (node_alarm_limit_t, owned) */
};

/* One request's frames (RFC 27). */
typedef struct {
    char *version;      /* "1.0" */
    char *request_id;   /* echoed back */
    char *domain;       /* ZAP domain of the socket */
    char *address;      /* peer's address, for the log */
    zframe_t *identity; /* routing id (unused) */
    char *mechanism;    /* "CURVE" is required */
    zframe_t *key;      /* the client's CURVE public key */
} s_request_t;

static void
s_free(void **item)
{
    free(*item);
    *item = NULL;
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
    zhashx_set_destructor(self->members, s_free);
    self->sock = zsock_new_rep("inproc://zeromq.zap.01");
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
        free(*self);
        *self = NULL;
    }
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

/* The answer to a request: "200" and the member id, or "400" and why.
 * *m gets the roster member the key is, if it is one. */
static const char *
s_decide(node_zap_t *self, const s_request_t *r, const node_member_t **m,
         const char **user)
{
    *user = "";
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
    *user = (*m)->id;
    return NULL;
}

/* A member on the roster (suspended, revoked) is named, once per interval
 * for each; unknown keys share one interval. */
static void
s_log_refusal(node_zap_t *self, const s_request_t *r, const node_member_t *m,
              const char *text)
{
    self->refused++;
    self->logged++;
    node_alarm_limit_t *limit = NULL;
    if (m && !(limit = zhashx_lookup(self->members, m->id)) &&
        (limit = calloc(1, sizeof *limit)) &&
        zhashx_insert(self->members, m->id, limit) != 0) {
        free(limit);
        limit = NULL;
    }
    if (!limit)
        limit = &self->strangers;
    if (!node_alarm_due(limit, self->interval_ms))
        return;
    zsys_warning("coordinator: connection refused from %s%s%s: %s "
                 "(%" PRIu64 " refused since the last such line)",
                 r->address ? r->address : "?", m ? " member=" : "",
                 m ? m->id : "", text, self->logged);
    self->logged = 0;
}

void
node_zap_handle(node_zap_t *self)
{
    zmsg_t *req = zmsg_recv(self->sock);
    if (!req)
        return;
    s_request_t r = {.version = zmsg_popstr(req),
                     .request_id = zmsg_popstr(req),
                     .domain = zmsg_popstr(req),
                     .address = zmsg_popstr(req),
                     .identity = zmsg_pop(req),
                     .mechanism = zmsg_popstr(req),
                     .key = zmsg_pop(req)};
    const node_member_t *m;
    const char *user;
    const char *why = s_decide(self, &r, &m, &user);
    if (why)
        s_log_refusal(self, &r, m, why);

    zmsg_t *rep = zmsg_new();
    zmsg_addstr(rep, "1.0");
    zmsg_addstr(rep, r.request_id ? r.request_id : "");
    zmsg_addstr(rep, why ? "400" : "200");
    zmsg_addstr(rep, why ? why : "OK");
    zmsg_addstr(rep, user);
    zmsg_addmem(rep, "", 0);
    zmsg_send(&rep, self->sock);

    zstr_free(&r.version);
    zstr_free(&r.request_id);
    zstr_free(&r.domain);
    zstr_free(&r.address);
    zframe_destroy(&r.identity);
    zstr_free(&r.mechanism);
    zframe_destroy(&r.key);
    zmsg_destroy(&req);
}
