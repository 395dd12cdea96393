/* vocfed: the coordinator's sessions (SPEC 10.5). */
#include "node/session.h"
#include "protocol/clock.h"
#include "node/daemon.h"
#include "node/stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Per member: messages and bytes a second, and the bursts allowed. An
 * honest member sends at most 256 batches in a 16 MiB window, then one
 * batch per receipt; these are far above that. */
#define S_RATE_MSGS 2000.0
#define S_BURST_MSGS 4000.0
#define S_RATE_BYTES (64.0 * 1024 * 1024)
#define S_BURST_BYTES (96.0 * 1024 * 1024)
#define S_HEARTBEATS_LOST 3 /* intervals of silence: not connected */

struct node_sessions_t {
    zhashx_t *table;                /* member id -> node_session_t (owned) */
    size_t max;                     /* sessions at most */
    uint64_t interval_ms;           /* abuse: logged once, tolerated
                                       NODE_ABUSE_TOLERANCE times per interval */
    double rate_msgs, burst_msgs;   /* messages a second, burst */
    double rate_bytes, burst_bytes; /* bytes a second, burst */
    node_session_t **waiting;       /* sessions with messages waiting */
    size_t nwaiting;                /* how many */
    size_t waiting_bytes;           /* bytes waiting in all */
    size_t lend_next;               /* waiting[] lent to next, in turn */
    uint64_t heartbeat_ms;          /* members' heartbeat interval */
};

static const char *const s_abuse_names[NODE_ABUSE_KINDS] = {
    "malformed", "too-large", "refused", "replayed",
    "seq-gap",   "flooded",   "unread",  "other"};

static void
s_session_free(void **item)
{
    node_session_t *s = *item;
    if (s) {
        for (size_t i = 0; i < s->dn; i++)
            zframe_destroy(&s->deferred[(s->dhead + i) % NODE_DEFER_MSGS]);
        zframe_destroy(&s->routing);
        free(s);
        *item = NULL;
    }
}

/* A rate from the environment (a positive number), or dflt. */
static double
s_env_rate(const char *name, double dflt)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return dflt;
    double r = strtod(v, &end);
    return *end == '\0' && r >= 1.0 && r <= 1e12 ? r : dflt;
}

node_rates_t
node_sessions_rates_at(uint64_t msgs, uint64_t bytes)
{
    node_rates_t r;
    r.msgs = msgs ? (double)msgs : s_env_rate("VOCFED_RATE_MSGS", S_RATE_MSGS);
    r.burst_msgs = r.msgs * S_BURST_MSGS / S_RATE_MSGS;
    r.bytes =
        bytes ? (double)bytes : s_env_rate("VOCFED_RATE_BYTES", S_RATE_BYTES);
    r.burst_bytes = r.bytes * S_BURST_BYTES / S_RATE_BYTES;
    return r;
}

node_rates_t
node_sessions_rates(void)
{
    return node_sessions_rates_at(0, 0);
}

void
node_sessions_set_rates(node_sessions_t *self, const node_rates_t *r)
{
    self->rate_msgs = r->msgs;
    self->burst_msgs = r->burst_msgs;
    self->rate_bytes = r->bytes;
    self->burst_bytes = r->burst_bytes;
}

int
node_sessions_new(size_t max, uint64_t interval_ms, node_sessions_t **out)
{
    node_sessions_t *self = calloc(1, sizeof *self);
    if (!self || !(self->table = zhashx_new())) {
        free(self);
        return VOCFED_ENOMEM;
    }
    zhashx_set_destructor(self->table, s_session_free);
    self->waiting = calloc(max ? max : 1, sizeof *self->waiting);
    if (!self->waiting) {
        zhashx_destroy(&self->table);
        free(self);
        return VOCFED_ENOMEM;
    }
    node_rates_t r = node_sessions_rates();
    node_sessions_set_rates(self, &r);
    self->max = max;
    self->interval_ms = interval_ms;
    self->heartbeat_ms = NODE_HEARTBEAT_MS;
    *out = self;
    return VOCFED_OK;
}

void
node_sessions_destroy(node_sessions_t **self)
{
    if (*self) {
        zhashx_destroy(&(*self)->table);
        free((*self)->waiting);
        free(*self);
        *self = NULL;
    }
}

/* Counters go on across restarts of the daemon: start from the stored. */
static void
s_restore(node_session_t *s, store_t *st)
{
    store_peer_t p;
    if (store_peer_get(st, s->id, &p) != VOCFED_OK)
        return;
    s->count[NODE_ABUSE_REFUSED] = p.refused;
    s->count[NODE_ABUSE_MALFORMED] = p.malformed;
    s->count[NODE_ABUSE_TOO_LARGE] = p.too_large;
    s->count[NODE_ABUSE_REPLAYED] = p.replayed;
    s->count[NODE_ABUSE_SEQ_GAP] = p.seq_gaps;
    s->count[NODE_ABUSE_FLOODED] = p.flooded;
    s->count[NODE_ABUSE_UNREAD] = p.unread;
    s->messages_in = p.messages_in;
    s->bytes_in = p.bytes_in;
    memcpy(s->batches, p.batches, sizeof s->batches);
    memcpy(s->logged, s->count, sizeof s->logged);
    s->slowed = p.waited;
    s->lent = s->lent_logged = p.lent;
}

node_session_t *
node_sessions_get(node_sessions_t *self, store_t *st, const char *id,
                  bool *made)
{
    node_session_t *s = zhashx_lookup(self->table, id);
    *made = false;
    if (s)
        return s;
    if (zhashx_size(self->table) >= self->max || strlen(id) > PROTO_ID_MAX ||
        !(s = calloc(1, sizeof *s)))
        return NULL;
    snprintf(s->id, sizeof s->id, "%s", id);
    s->fd = -1;
    s_restore(s, st);
    if (zhashx_insert(self->table, id, s) != 0) {
        free(s);
        return NULL;
    }
    *made = true;
    return s;
}

node_session_t *
node_sessions_find(node_sessions_t *self, const char *id)
{
    return zhashx_lookup(self->table, id);
}

node_session_t *
node_sessions_first(node_sessions_t *self)
{
    return zhashx_first(self->table);
}

node_session_t *
node_sessions_next(node_sessions_t *self)
{
    return zhashx_next(self->table);
}

uint64_t
node_sessions_interval(const node_sessions_t *self)
{
    return self->interval_ms;
}

node_conn_t
node_session_connection(node_session_t *s, uint64_t conn, int fd)
{
    if (conn == 0 || conn < s->conn)
        return NODE_CONN_STALE;
    if (conn == s->conn)
        return NODE_CONN_SAME;
    s->conn = conn;
    s->fd = fd;
    s->daemon = false; /* until this connection's first heartbeat */
    s->dirty = true;
    s->full_seq = 0;  /* the member sends again from our size (SPEC 10.3) */
    s->receipted = 0; /* nothing receipted on this connection yet */
    return NODE_CONN_NEW;
}

/* Refills b to now. */
static void
s_bucket_fill(node_bucket_t *b, double rate, double burst, uint64_t now)
{
    if (b->at_ms == 0)
        b->tokens = burst;
    else if (now > b->at_ms)
        b->tokens += rate * (double)(now - b->at_ms) / 1000.0;
    if (b->tokens > burst)
        b->tokens = burst;
    b->at_ms = now;
}

/* Whether b holds cost (a full bucket takes any one message). */
static bool
s_bucket_has(const node_bucket_t *b, double cost, double burst)
{
    return b->tokens >= cost || b->tokens >= burst;
}

/* Whether a message of bytes from s is within its rate now; if so, it is
 * taken from both buckets. */
static bool
s_within_rate(node_sessions_t *self, node_session_t *s, size_t bytes,
              uint64_t now)
{
    s_bucket_fill(&s->msgs, self->rate_msgs, self->burst_msgs, now);
    s_bucket_fill(&s->bytes, self->rate_bytes, self->burst_bytes, now);
    if (!s_bucket_has(&s->msgs, 1, self->burst_msgs) ||
        !s_bucket_has(&s->bytes, (double)bytes, self->burst_bytes))
        return false;
    s->msgs.tokens -= 1;
    s->bytes.tokens -= (double)bytes;
    return true;
}

/* Takes *payload into s's waiting messages. */
static void
s_defer(node_sessions_t *self, node_session_t *s, zframe_t **payload)
{
    size_t bytes = zframe_size(*payload);
    if (s->dn == 0)
        self->waiting[self->nwaiting++] = s;
    s->deferred_us[(s->dhead + s->dn) % NODE_DEFER_MSGS] = node_stats_now_us();
    s->deferred[(s->dhead + s->dn++) % NODE_DEFER_MSGS] = *payload;
    *payload = NULL;
    s->dbytes += bytes;
    self->waiting_bytes += bytes;
    s->slowed++; /* (admit set dirty) */
}

node_admit_t
node_session_admit(node_sessions_t *self, node_session_t *s, zframe_t **payload)
{
    size_t bytes = zframe_size(*payload);
    s->last_contact_ms = proto_now_ms();
    s->dirty = true;
    s->messages_in++;
    s->bytes_in += bytes;
    uint64_t now = proto_mono_ms();
    if (now >= s->throttled_until_ms) {
        if (s->dn == 0 && s_within_rate(self, s, bytes, now))
            return NODE_ADMIT_READ;
        /* Credit, not refusal: it waits its turn (SPEC 10.5). */
        if (s->dn < NODE_DEFER_MSGS && s->dbytes + bytes <= NODE_DEFER_BYTES &&
            self->waiting_bytes + bytes <= NODE_DEFER_TOTAL) {
            s_defer(self, s, payload);
            return NODE_ADMIT_DEFER;
        }
    }
    node_session_abuse(self, s, NODE_ABUSE_FLOODED);
    return NODE_ADMIT_DROP;
}

/* The oldest waiting message of s, taken out (the caller owns it). */
static zframe_t *
s_pop(node_sessions_t *self, node_session_t *s)
{
    zframe_t *f = s->deferred[s->dhead];
    s->due_arrived_us = s->deferred_us[s->dhead];
    s->deferred[s->dhead] = NULL;
    s->dhead = (s->dhead + 1) % NODE_DEFER_MSGS;
    s->dn--;
    s->dbytes -= zframe_size(f);
    self->waiting_bytes -= zframe_size(f);
    if (s->dn == 0) {
        s->dhead = 0;
        for (size_t i = 0; i < self->nwaiting; i++)
            if (self->waiting[i] == s) {
                self->waiting[i] = self->waiting[--self->nwaiting];
                break;
            }
    }
    return f;
}

void
node_session_defer_clear(node_sessions_t *self, node_session_t *s)
{
    while (s->dn) {
        zframe_t *f = s_pop(self, s);
        zframe_destroy(&f);
    }
}

zframe_t *
node_sessions_due(node_sessions_t *self, node_session_t **s)
{
    uint64_t now = proto_mono_ms();
    size_t i = 0;
    while (i < self->nwaiting) {
        node_session_t *w = self->waiting[i];
        if (now < w->throttled_until_ms) {
            /* dropped unread; w's place then holds another session */
            while (w->dn) {
                zframe_t *f = s_pop(self, w);
                zframe_destroy(&f);
                node_session_abuse(self, w, NODE_ABUSE_FLOODED);
            }
            continue;
        }
        if (s_within_rate(self, w, zframe_size(w->deferred[w->dhead]), now)) {
            *s = w;
            return s_pop(self, w);
        }
        i++;
    }
    return NULL;
}

/* Takes cost from b, to zero at most: a loan is not a debt, nor does it
 * forgive one (a full bucket takes any one message, and may go below
 * zero for it). */
static void
s_bucket_drain(node_bucket_t *b, double cost)
{
    if (b->tokens > cost)
        b->tokens -= cost;
    else if (b->tokens > 0)
        b->tokens = 0;
}

zframe_t *
node_sessions_lend(node_sessions_t *self, node_session_t **s)
{
    uint64_t now = proto_mono_ms();
    for (size_t k = 0; k < self->nwaiting; k++) {
        size_t i = (self->lend_next + k) % self->nwaiting;
        node_session_t *w = self->waiting[i];
        if (now < w->throttled_until_ms || now < w->unlent_until_ms)
            continue;
        size_t bytes = zframe_size(w->deferred[w->dhead]);
        s_bucket_fill(&w->msgs, self->rate_msgs, self->burst_msgs, now);
        s_bucket_fill(&w->bytes, self->rate_bytes, self->burst_bytes, now);
        s_bucket_drain(&w->msgs, 1);
        s_bucket_drain(&w->bytes, (double)bytes);
        w->lent++;
        w->dirty = true;
        if (now >= w->lend_log_ms) {
            zsys_info("coordinator: member=%s read past its rate on spare "
                      "capacity, messages since the last line: %" PRIu64,
                      w->id, w->lent - w->lent_logged);
            w->lent_logged = w->lent;
            w->lend_log_ms = now + self->interval_ms;
        }
        /* s_pop may move another session into place i: the next turn
         * goes to whoever follows this one. */
        self->lend_next = w->dn > 1 ? i + 1 : i;
        *s = w;
        return s_pop(self, w);
    }
    return NULL;
}

bool
node_sessions_waiting(const node_sessions_t *self)
{
    return self->nwaiting > 0;
}

/* Abuse is counted always and logged once per interval per member, with
 * every kind counted since the last line (SPEC 10.5). */
static void
s_abuse_log(node_sessions_t *self, node_session_t *s, uint64_t now)
{
    char line[256];
    size_t used = 0;
    for (int k = 0; k < NODE_ABUSE_KINDS; k++) {
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
                 s->id, self->interval_ms / 1000, line);
    s->next_log_ms = now + self->interval_ms;
}

void
node_session_abuse(node_sessions_t *self, node_session_t *s, node_abuse_t kind)
{
    s->count[kind]++;
    s->dirty = true;
    uint64_t now = proto_mono_ms();
    s->unlent_until_ms = now + self->interval_ms; /* SPEC 10.5: no loan */
    if (kind != NODE_ABUSE_FLOODED) {
        if (now >= s->window_start_ms + self->interval_ms) {
            s->window_start_ms = now;
            s->window_abuse = 0;
        }
        if (++s->window_abuse == NODE_ABUSE_TOLERANCE) {
            s->throttled_until_ms = s->window_start_ms + self->interval_ms;
            zsys_warning("coordinator: throttled member=%s for %" PRIu64
                         " ms: %d abuses in one interval",
                         s->id, s->throttled_until_ms - now,
                         NODE_ABUSE_TOLERANCE);
        }
    }
    if (now >= s->next_log_ms)
        s_abuse_log(self, s, now);
}

void
node_sessions_log_abuse(node_sessions_t *self)
{
    uint64_t now = proto_mono_ms();
    for (node_session_t *s = zhashx_first(self->table); s;
         s = zhashx_next(self->table))
        if (now >= s->next_log_ms)
            s_abuse_log(self, s, now);
}

void
node_sessions_heartbeat(node_sessions_t *self, uint64_t interval_ms)
{
    self->heartbeat_ms = interval_ms ? interval_ms : NODE_HEARTBEAT_MS;
}

bool
node_session_connected(const node_sessions_t *self, const node_session_t *s)
{
    uint64_t now = proto_now_ms();
    return s->conn && s->fd >= 0 && s->last_contact_ms &&
           now - s->last_contact_ms <= S_HEARTBEATS_LOST * self->heartbeat_ms;
}

/* The session's connected state now; a change is told once and makes
 * the session's row change. */
static bool
s_connected_now(node_sessions_t *self, node_session_t *s)
{
    bool now = node_session_connected(self, s);
    if (now == s->shown)
        return now;
    if (!now && s->daemon)
        zsys_info("coordinator: member=%s not connected: %s", s->id,
                  s->fd < 0 ? "its connection closed"
                            : "no heartbeat for three intervals");
    s->dirty = true;
    return now;
}

void
node_sessions_persist(node_sessions_t *self, store_t *st, bool all_disconnected)
{
    for (node_session_t *s = zhashx_first(self->table); s;
         s = zhashx_next(self->table)) {
        bool connected = !all_disconnected && s_connected_now(self, s);
        if (!s->dirty && !all_disconnected)
            continue;
        const uint64_t *n = s->count;
        store_peer_t p = {.connected = connected,
                          .once = !s->daemon,
                          .pid = (int)getpid(),
                          .last_contact_ms = s->last_contact_ms,
                          .refused = n[NODE_ABUSE_REFUSED],
                          .malformed =
                              n[NODE_ABUSE_MALFORMED] + n[NODE_ABUSE_OTHER],
                          .too_large = n[NODE_ABUSE_TOO_LARGE],
                          .replayed = n[NODE_ABUSE_REPLAYED],
                          .seq_gaps = n[NODE_ABUSE_SEQ_GAP],
                          .flooded = n[NODE_ABUSE_FLOODED],
                          .unread = n[NODE_ABUSE_UNREAD],
                          .messages_in = s->messages_in,
                          .bytes_in = s->bytes_in,
                          .waited = s->slowed,
                          .lent = s->lent};
        memcpy(p.batches, s->batches, sizeof p.batches);
        snprintf(p.id, sizeof p.id, "%s", s->id);
        if (store_peer_set(st, &p) == VOCFED_OK) {
            s->dirty = false;
            s->shown = connected;
        }
    }
}
