/* vocfed: the coordinator's table of TCP connections (conns.h). */
#include "node/conns.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* One accepted socket. */
typedef struct {
    int fd;                        /* the descriptor (libzmq's) */
    uint64_t accepted_ms;          /* when it was accepted (monotonic) */
    bool spoken;                   /* a message came on it */
    bool due;                      /* silent NODE_CONNS_SILENT_MS: its
                                      queue is read out before it is shut */
    uint64_t due_reads;            /* the reads counted when it was due */
    char member[PROTO_ID_MAX + 1]; /* whose, "" when not known */
    struct sockaddr_storage peer;  /* its peer's address ... */
    socklen_t peer_len;            /* ... of this length */
    struct sockaddr_storage local; /* its local address ... */
    socklen_t local_len;           /* ... of this length */
} s_conn_t;

struct node_conns_t {
    zhashx_t *table; /* decimal fd -> s_conn_t (owned) */
};

static void
s_free(void **item)
{
    free(*item);
    *item = NULL;
}

int
node_conns_new(node_conns_t **out)
{
    node_conns_t *self = calloc(1, sizeof *self);
    if (!self || !(self->table = zhashx_new())) {
        free(self);
        return VOCFED_ENOMEM;
    }
    zhashx_set_destructor(self->table, s_free);
    *out = self;
    return VOCFED_OK;
}

void
node_conns_destroy(node_conns_t **self)
{
    if (*self) {
        zhashx_destroy(&(*self)->table);
        free(*self);
        *self = NULL;
    }
}

/* The socket's two addresses now into c; false if it has none (closed,
 * not a socket). */
static bool
s_addresses(int fd, s_conn_t *c)
{
    c->peer_len = sizeof c->peer;
    c->local_len = sizeof c->local;
    return getpeername(fd, (struct sockaddr *)&c->peer, &c->peer_len) == 0 &&
           getsockname(fd, (struct sockaddr *)&c->local, &c->local_len) == 0;
}

/* Whether a and b name one connection. */
static bool
s_same(const s_conn_t *a, const s_conn_t *b)
{
    return a->peer_len == b->peer_len && a->local_len == b->local_len &&
           memcmp(&a->peer, &b->peer, a->peer_len) == 0 &&
           memcmp(&a->local, &b->local, a->local_len) == 0;
}

/* Records socket fd as it is now (spoken, by member, or not), keeping
 * what was known of the same connection. */
static bool
s_record(node_conns_t *self, int fd, uint64_t now_ms, bool spoken,
         const char *member)
{
    char key[16];
    s_conn_t now = {.fd = fd, .accepted_ms = now_ms, .spoken = spoken};
    if (fd < 0 || !s_addresses(fd, &now))
        return false;
    if (member)
        snprintf(now.member, sizeof now.member, "%s", member);
    snprintf(key, sizeof key, "%d", fd);
    s_conn_t *c = zhashx_lookup(self->table, key);
    if (c && s_same(c, &now)) {
        c->spoken = c->spoken || spoken;
        if (member)
            memcpy(c->member, now.member, sizeof c->member);
        return true;
    }
    if (!c) {
        if (!(c = malloc(sizeof *c)))
            return false;
        if (zhashx_insert(self->table, key, c) != 0) {
            free(c);
            return false;
        }
    }
    *c = now; /* a new connection on a reused descriptor */
    return true;
}

void
node_conns_accepted(node_conns_t *self, int fd, uint64_t now_ms)
{
    (void)s_record(self, fd, now_ms, false, NULL);
}

bool
node_conns_spoke(node_conns_t *self, int fd, const char *member,
                 uint64_t now_ms)
{
    return s_record(self, fd, now_ms, true, member);
}

bool
node_conns_open(node_conns_t *self, int fd)
{
    char key[16];
    s_conn_t now;
    snprintf(key, sizeof key, "%d", fd);
    s_conn_t *c = zhashx_lookup(self->table, key);
    return c && s_addresses(fd, &now) && s_same(c, &now);
}

bool
node_conns_gone(node_conns_t *self, int fd, char *member)
{
    char key[16];
    snprintf(key, sizeof key, "%d", fd);
    s_conn_t *c = zhashx_lookup(self->table, key);
    bool known = c && c->member[0];
    if (known)
        memcpy(member, c->member, sizeof c->member);
    zhashx_delete(self->table, key);
    return known;
}

/* Shuts down c's socket if it still is c's connection. */
static void
s_shutdown(const s_conn_t *c)
{
    s_conn_t now;
    if (s_addresses(c->fd, &now) && s_same(c, &now))
        (void)shutdown(c->fd, SHUT_RDWR);
}

void
node_conns_close(node_conns_t *self, int fd)
{
    char key[16];
    snprintf(key, sizeof key, "%d", fd);
    s_conn_t *c = zhashx_lookup(self->table, key);
    if (c) {
        s_shutdown(c);
        zhashx_delete(self->table, key);
    }
}

/* Whether c, found silent, may be shut: nothing is queued (empty), or
 * since it was found silent the caller read more messages than there are
 * connections (twice, and a margin): libzmq reads its connections' queues
 * in turn, one message each, so a message queued on c has been read. */
static bool
s_silent_for_sure(node_conns_t *self, const s_conn_t *c, uint64_t reads,
                  bool empty)
{
    return empty ||
           reads - c->due_reads >=
               2 * (uint64_t)zhashx_size(self->table) + NODE_CONNS_READS_MARGIN;
}

uint64_t
node_conns_sweep(node_conns_t *self, uint64_t now_ms, uint64_t reads,
                 bool empty)
{
    uint64_t n = 0;
    zlistx_t *silent = zlistx_new(); /* their keys (copies) */
    if (!silent)
        return 0;
    zlistx_set_duplicator(silent, (zlistx_duplicator_fn *)strdup);
    zlistx_set_destructor(silent, s_free);
    for (s_conn_t *c = zhashx_first(self->table); c;
         c = zhashx_next(self->table)) {
        if (c->spoken || now_ms - c->accepted_ms < NODE_CONNS_SILENT_MS)
            continue;
        if (!c->due) {
            c->due = true;
            c->due_reads = reads;
        }
        if (s_silent_for_sure(self, c, reads, empty))
            zlistx_add_end(silent, (void *)zhashx_cursor(self->table));
    }
    for (const char *key = zlistx_first(silent); key;
         key = zlistx_next(silent)) {
        s_conn_t *c = zhashx_lookup(self->table, key);
        s_shutdown(c);
        zhashx_delete(self->table, key);
        n++;
    }
    zlistx_destroy(&silent);
    return n;
}
