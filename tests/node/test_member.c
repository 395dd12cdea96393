/* Tests of node/member.c as a state machine (SPEC 10.3): the member runs
 * in this process, on this test's zloop; the coordinator is a real
 * `vocfed coordinator` on 127.0.0.1, killed and started again. The member
 * goes disconnected -> hello-sent -> level, into back-off when the
 * coordinator dies, and level again once it is back; what it put
 * meanwhile reaches the coordinator. */
#include "node/daemon.h"
#include "node/member.h"
#include "node/node.h"
#include "node/replicate.h"
#include "protocol/hash.h"
#include "protocol/msg.h"

#include "tests/harness.h"

#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_DEADLINE_MS 30000 /* for any one change of state */
/* test_backlog: for the 12 batches in flight; within it the member must
 * not say hello again (it waits 30 s without a receipt). */
#define S_BATCHES_MS 20000
#define S_MOVES_MAX 64 /* changes of state recorded */

/* The changes of state the member went through. */
typedef struct {
    node_member_state_t to[S_MOVES_MAX]; /* in order */
    size_t n;                            /* how many */
    node_member_state_t until;           /* end the loop on reaching it */
    bool reached;                        /* it was reached */
} s_moves_t;

static int
s_on_state(void *arg, node_member_state_t from, node_member_state_t to)
{
    s_moves_t *w = arg;
    (void)from;
    if (w->n < S_MOVES_MAX)
        w->to[w->n++] = to;
    if (to != w->until)
        return 0;
    w->reached = true;
    return -1;
}

static int
s_deadline(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    return -1;
}

/* Runs loop until the member enters `until` (true), or deadline_ms
 * passed (false). */
static bool
s_run_until(zloop_t *loop, s_moves_t *w, node_member_state_t until,
            int deadline_ms)
{
    w->until = until;
    w->reached = false;
    int timer = zloop_timer(loop, (size_t)deadline_ms, 1, s_deadline, NULL);
    assert_true(timer >= 0);
    zloop_start(loop);
    zloop_timer_end(loop, timer);
    return w->reached;
}

/* The recorded changes from index `from` on are exactly the given states
 * (NODE_MEMBER_STATES ends the list). */
static void
s_expect(const s_moves_t *w, size_t from, ...)
{
    va_list ap;
    va_start(ap, from);
    size_t i = from;
    for (int s = va_arg(ap, int); s != NODE_MEMBER_STATES;
         s = va_arg(ap, int), i++) {
        if (i >= w->n || w->to[i] != (node_member_state_t)s)
            fail_msg("change %zu: %s, expected %s", i,
                     i < w->n ? node_member_state_name(w->to[i]) : "none",
                     node_member_state_name((node_member_state_t)s));
    }
    va_end(ap);
    assert_int_equal(i, w->n);
}

/* A condition checked while the member's loop runs. */
typedef struct {
    th_net_t *net;  /* the network */
    const char *id; /* the member */
    long long size; /* the coordinator's copy of its log has this size */
    bool met;       /* it was seen */
} s_copy_t;

static int
s_copy_check(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_copy_t *z = arg;
    json_t *cs = th_status(z->net, z->net->coord.dir);
    z->met = th_jint(cs, "logs", z->id, "size", NULL) == z->size;
    json_decref(cs);
    return z->met ? -1 : 0;
}

/* Runs loop (the member works) until the coordinator holds z->size
 * entries of the member's log (true) or deadline_ms passed (false). */
static bool
s_run_until_copied(zloop_t *loop, s_copy_t *z, int deadline_ms)
{
    z->met = false;
    int check = zloop_timer(loop, 100, 0, s_copy_check, z);
    int timer = zloop_timer(loop, (size_t)deadline_ms, 1, s_deadline, NULL);
    assert_true(check >= 0 && timer >= 0);
    zloop_start(loop);
    zloop_timer_end(loop, check);
    zloop_timer_end(loop, timer);
    return z->met;
}

/* `vocfed put` of one student (a process of its own). */
static void
s_put(th_net_t *net, const th_node_t *m, const char *name)
{
    uint8_t h[PROTO_HASH_LEN];
    char key[2 * PROTO_HASH_LEN + 1];
    proto_hash(PROTO_HASH_BLAKE2B256, (const uint8_t *)name, strlen(name), h);
    proto_hex(h, sizeof h, key);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "student", key,
                          "level=higher", "intake_year=2025", "status=enrolled",
                          "major=maths"));
}

static void
test_states(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "inproc", true);
    long long size = (long long)th_bulk(m, 1, 3, 16, NULL);
    th_coord_start(net);

    node_member_opts_t o = {
        .dir = m->dir, .coordinator = net->endpoint, .debug = true};
    assert_int_equal(
        proto_unhex(net->coord.pk, o.coordinator_pk, sizeof o.coordinator_pk),
        0);
    node_member_daemon_t *member = NULL;
    assert_int_equal(node_member_new(&o, &member), 0);
    assert_int_equal(node_member_state(member), NODE_MEMBER_DISCONNECTED);
    s_moves_t w = {0};
    node_member_on_state(member, s_on_state, &w);
    zloop_t *loop = zloop_new();
    assert_non_null(loop);
    assert_int_equal(node_member_attach(member, loop), 0);

    /* Dialled, said hello, heard where the coordinator stands; then
     * delivered its log. */
    assert_true(s_run_until(loop, &w, NODE_MEMBER_LEVEL, S_DEADLINE_MS));
    s_expect(&w, 0, NODE_MEMBER_HELLO_SENT, NODE_MEMBER_LEVEL,
             NODE_MEMBER_STATES);
    s_copy_t z = {net, m->id, size, false};
    assert_true(s_run_until_copied(loop, &z, S_DEADLINE_MS));
    assert_int_equal(node_member_state(member), NODE_MEMBER_LEVEL);

    /* The coordinator dies: the link is lost, the member backs off. */
    th_stop(&net->coord.proc, SIGKILL, 5000);
    size_t mark = w.n;
    assert_true(s_run_until(loop, &w, NODE_MEMBER_BACKOFF, S_DEADLINE_MS));
    s_expect(&w, mark, NODE_MEMBER_BACKOFF, NODE_MEMBER_STATES);
    assert_int_equal(node_member_state(member), NODE_MEMBER_BACKOFF);

    /* Back: hello again, level again, and what was put meanwhile (by
     * other processes, as `vocfed put` does) goes. */
    s_put(net, m, "d4");
    s_put(net, m, "d5");
    json_t *ms = th_status(net, m->dir);
    long long more = th_jint(ms, "logs", m->id, "size", NULL);
    json_decref(ms);
    assert_int_equal(more, size + 2);
    th_coord_start(net);
    mark = w.n;
    assert_true(s_run_until(loop, &w, NODE_MEMBER_LEVEL, S_DEADLINE_MS));
    s_expect(&w, mark, NODE_MEMBER_HELLO_SENT, NODE_MEMBER_LEVEL,
             NODE_MEMBER_STATES);
    z.size = more;
    assert_true(s_run_until_copied(loop, &z, S_DEADLINE_MS));
    assert_int_equal(node_member_stats(member)->sent, (uint64_t)more);
    node_member_on_state(member, NULL, NULL);
    node_member_destroy(&member); /* before its loop: it ends its timers */
    assert_null(member);
    zloop_destroy(&loop);
    net->passed = true;
}

/* One message from the member at a test's router: its routing id kept
 * in *peer (the one before destroyed), its payload decoded into *mm. The
 * frame returned holds the bytes *mm points into: destroy it after. */
static zframe_t *
s_router_take(zsock_t *router, zframe_t **peer, proto_msg_t *mm)
{
    zmsg_t *msg = zmsg_recv(router);
    assert_non_null(msg);
    zframe_t *routing = zmsg_pop(msg), *payload = zmsg_pop(msg);
    assert_non_null(payload);
    zmsg_destroy(&msg);
    assert_int_equal(
        proto_msg_decode(zframe_data(payload), zframe_size(payload), mm), 0);
    zframe_destroy(peer);
    *peer = routing;
    return payload;
}

/* Sends the message in out through router to the member at peer. */
static void
s_router_send(zsock_t *router, zframe_t *peer, const proto_buf_t *out)
{
    assert_non_null(peer);
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, &(zframe_t *){zframe_dup(peer)});
    zmsg_addmem(msg, out->data, out->len);
    assert_int_equal(zmsg_send(&msg, router), 0);
}

/* A coordinator that reads and counts, and answers only when told: a
 * CURVE ROUTER on 127.0.0.1 with a key of its own. */
typedef struct {
    zsock_t *router;           /* bound, CURVE server */
    zframe_t *peer;            /* the member's routing id, once it spoke */
    unsigned hellos;           /* messages by type */
    unsigned heads;            /* (pings) */
    unsigned batches;          /* */
    unsigned others;           /* */
    const proto_buf_t *answer; /* sent back to each ping, or NULL */
    unsigned stop_batches;     /* ends the loop at this many batches (0:
                                  never) */
} s_quiet_t;

static int
s_quiet_read(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_quiet_t *q = arg;
    proto_msg_t mm;
    zframe_t *payload = s_router_take(sock, &q->peer, &mm);
    unsigned *n = mm.type == PROTO_MSG_HELLO   ? &q->hellos
                  : mm.type == PROTO_MSG_HEADS ? &q->heads
                  : mm.type == PROTO_MSG_BATCH ? &q->batches
                                               : &q->others;
    (*n)++;
    if (mm.type == PROTO_MSG_HEADS && q->answer)
        s_router_send(sock, q->peer, q->answer);
    zframe_destroy(&payload);
    return q->stop_batches && q->batches >= q->stop_batches ? -1 : 0;
}

/* Runs loop for ms milliseconds. */
static void
s_run_for(zloop_t *loop, int ms)
{
    int timer = zloop_timer(loop, (size_t)ms, 1, s_deadline, NULL);
    assert_true(timer >= 0);
    zloop_start(loop);
    zloop_timer_end(loop, timer);
}

/* Runs loop until q has read n batches (true) or deadline_ms passed. */
static bool
s_run_until_batches(zloop_t *loop, s_quiet_t *q, unsigned n, int deadline_ms)
{
    q->stop_batches = n;
    int timer = zloop_timer(loop, (size_t)deadline_ms, 1, s_deadline, NULL);
    assert_true(timer >= 0);
    if (q->batches < n)
        zloop_start(loop);
    zloop_timer_end(loop, timer);
    q->stop_batches = 0;
    return q->batches >= n;
}

/* A coordinator with a backlog (SPEC 10.2, 10.3): the member's messages
 * wait in its queue there, and a full queue stops libzmq reading
 * the link, heartbeats too. So while nothing comes back the member adds
 * little to it: its hello is said again once after 3 s, not every 3 s;
 * with batches in flight it sends no pings and no hello before 30 s
 * without a receipt; and it keeps at most 12 batches in flight. */
static void
test_backlog(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "behind", false);
    /* 14 batches of at most NODE_BATCH_ENTRIES (the last one short) */
    (void)th_bulk(m, 1,
                  (NODE_MEMBER_MAX_FLIGHT + 2) * NODE_BATCH_ENTRIES -
                      NODE_BATCH_ENTRIES / 2,
                  16, NULL);

    uint8_t pk[PROTO_PUBKEY_LEN], *sk = sodium_malloc(PROTO_SECKEY_LEN);
    assert_non_null(sk);
    crypto_sign_keypair(pk, sk);
    s_quiet_t q = {0};
    assert_int_equal(node_daemon_socket(ZMQ_ROUTER, sk, &q.router), 0);
    zsock_set_curve_server(q.router, 1);
    int port = zsock_bind(q.router, "tcp://127.0.0.1:*");
    assert_true(port > 0);
    char endpoint[64];
    int n = snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    assert_true(n > 0 && (size_t)n < sizeof endpoint);

    node_member_opts_t o = {
        .dir = m->dir, .coordinator = endpoint, .heartbeat_ms = 1000};
    memcpy(o.coordinator_pk, pk, sizeof pk);
    node_member_daemon_t *member = NULL;
    assert_int_equal(node_member_new(&o, &member), 0);
    zloop_t *loop = zloop_new();
    assert_non_null(loop);
    assert_int_equal(node_member_attach(member, loop), 0);
    assert_int_equal(zloop_reader(loop, q.router, s_quiet_read, &q), 0);

    /* Nobody answers: hello at once, again 3 s later, not at 6 s. */
    s_run_for(loop, 7500);
    assert_int_equal(q.hellos, 2);
    assert_int_equal(q.heads + q.batches + q.others, 0);
    assert_int_equal(node_member_state(member), NODE_MEMBER_HELLO_SENT);

    /* Heads: we hold none of its log. It sends 12 batches (as fast as
     * it reads and signs them: seconds under a sanitizer) and its first
     * ping (answered), then, with no receipt for 5 heartbeat intervals,
     * nothing. */
    proto_head_t h = {.author = m->id, .author_len = strlen(m->id)};
    proto_hash(PROTO_HASH_BLAKE2B256, NULL, 0, h.root);
    proto_buf_t out;
    proto_buf_init(&out);
    assert_int_equal(proto_msg_encode_heads("quiet", &h, 1, &out), 0);
    s_router_send(q.router, q.peer, &out);
    q.hellos = 0;
    q.answer = &out;
    assert_true(
        s_run_until_batches(loop, &q, NODE_MEMBER_MAX_FLIGHT, S_BATCHES_MS));
    s_run_for(loop, 5500);
    assert_int_equal(node_member_state(member), NODE_MEMBER_LEVEL);
    assert_int_equal(q.batches, NODE_MEMBER_MAX_FLIGHT);
    assert_int_equal(q.heads, 1);
    assert_int_equal(q.hellos, 0);

    proto_buf_release(&out);
    node_member_destroy(&member);
    zloop_destroy(&loop);
    zframe_destroy(&q.peer);
    zsock_destroy(&q.router);
    sodium_free(sk);
    net->passed = true;
}

/* A coordinator played by the test with the real coordinator's key and
 * store: it answers the hello with its head, and sends the batches the
 * test builds. It records what the member says. */
typedef struct {
    zsock_t *router;        /* bound, CURVE server with the coordinator's key */
    zframe_t *peer;         /* the member's routing id, once it spoke */
    unsigned hellos;        /* messages by type */
    unsigned receipts;      /* */
    unsigned errors;        /* */
    uint64_t pulls[8];      /* from_seq of each pull of the coordinator's log */
    unsigned npulls;        /* */
    unsigned want_pulls;    /* the loop ends once it has this many pulls, */
    unsigned want_hellos;   /* hellos and receipts (all 0: it never ends) */
    unsigned want_receipts; /* */
} s_fake_t;

static int
s_fake_read(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void)loop;
    s_fake_t *f = arg;
    proto_msg_t mm;
    zframe_t *payload = s_router_take(sock, &f->peer, &mm);
    if (mm.type == PROTO_MSG_HELLO)
        f->hellos++;
    else if (mm.type == PROTO_MSG_RECEIPT)
        f->receipts++;
    else if (mm.type == PROTO_MSG_ERROR)
        f->errors++;
    else if (mm.type == PROTO_MSG_PULL && mm.pull.author_len == 5 &&
             memcmp(mm.pull.author, "coord", 5) == 0 &&
             f->npulls < sizeof f->pulls / sizeof f->pulls[0])
        f->pulls[f->npulls++] = mm.pull.from_seq;
    zframe_destroy(&payload);
    bool wants = f->want_pulls || f->want_hellos || f->want_receipts;
    return wants && f->npulls >= f->want_pulls && f->hellos >= f->want_hellos &&
                   f->receipts >= f->want_receipts
               ? -1
               : 0;
}

/* Runs loop until f has n pulls, h hellos and r receipts, or
 * S_DEADLINE_MS passed. */
static void
s_fake_run(zloop_t *loop, s_fake_t *f, unsigned n, unsigned h, unsigned r)
{
    f->want_pulls = n;
    f->want_hellos = h;
    f->want_receipts = r;
    int timer = zloop_timer(loop, S_DEADLINE_MS, 1, s_deadline, NULL);
    assert_true(timer >= 0);
    if (f->npulls < n || f->hellos < h || f->receipts < r)
        zloop_start(loop);
    zloop_timer_end(loop, timer);
    f->want_pulls = f->want_hellos = f->want_receipts = 0;
}

/* Sends the batch of the coordinator's log built for a receiver that
 * holds `held` entries, at most max entries. */
static void
s_fake_batch(s_fake_t *f, store_t *cst, uint64_t held, size_t max)
{
    proto_buf_t out;
    uint64_t last;
    proto_buf_init(&out);
    assert_int_equal(node_batch_build(cst, "coord", held, max, NODE_BATCH_BYTES,
                                      &out, &last),
                     0);
    s_router_send(f->router, f->peer, &out);
    proto_buf_release(&out);
}

/* A batch overtaken on the way (SPEC 8.3): the member took the
 * coordinator's log but for its last two entries, then a batch of all of
 * it comes that was built for a receiver holding none (a push and the
 * answer to a pull, say). The member sends no refusal for it and asks
 * again from what it holds; the next batch completes its copy. */
static void
test_stale_batch(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "m1", true); /* a member_key entry */
    for (int i = 0; i < 5; i++) {
        char v[32];
        snprintf(v, sizeof v, "value=%d", 100 + i);
        th_net_expect(net, 0,
                      TH_ARGS("--dir", net->coord.dir, "put", "target",
                              "hv_enrolled:2028", v));
    }
    node_t *coord = NULL;
    assert_int_equal(node_open(net->coord.dir, 0, &coord), 0);
    assert_int_equal(node_key_load(coord), 0);
    store_t *cst = node_store(coord);
    store_head_t ch;
    assert_int_equal(store_head(cst, "coord", &ch), 0);
    assert_true(ch.size >= 6);

    s_fake_t f = {0};
    assert_int_equal(node_daemon_socket(ZMQ_ROUTER, node_sk(coord), &f.router),
                     0);
    zsock_set_curve_server(f.router, 1);
    int port = zsock_bind(f.router, "tcp://127.0.0.1:*");
    assert_true(port > 0);
    char endpoint[64];
    int n = snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    assert_true(n > 0 && (size_t)n < sizeof endpoint);
    /* no pings in the test's few seconds: their answers would pull too */
    node_member_opts_t o = {
        .dir = m->dir, .coordinator = endpoint, .heartbeat_ms = 60000};
    memcpy(o.coordinator_pk, node_pubkey(coord), PROTO_PUBKEY_LEN);
    node_member_daemon_t *member = NULL;
    assert_int_equal(node_member_new(&o, &member), 0);
    zloop_t *loop = zloop_new();
    assert_non_null(loop);
    assert_int_equal(node_member_attach(member, loop), 0);
    assert_int_equal(zloop_reader(loop, f.router, s_fake_read, &f), 0);

    /* hello; our heads: the coordinator's log, none of the member's */
    s_fake_run(loop, &f, 0, 1, 0);
    assert_int_equal(f.hellos, 1);
    proto_head_t h[2] = {{.author = "coord",
                          .author_len = 5,
                          .size = ch.size,
                          .cp_size = ch.size},
                         {.author = m->id, .author_len = strlen(m->id)}};
    memcpy(h[0].root, ch.root, sizeof h[0].root);
    proto_hash(PROTO_HASH_BLAKE2B256, NULL, 0, h[1].root);
    proto_buf_t out;
    proto_buf_init(&out);
    assert_int_equal(proto_msg_encode_heads("coord", h, 2, &out), 0);
    s_router_send(f.router, f.peer, &out);
    proto_buf_release(&out);

    s_fake_run(loop, &f, 1, 0, 0);
    assert_int_equal(f.npulls, 1);
    assert_int_equal(f.pulls[0], 1);
    /* 1..size-2: the last entry a put's, with its checkpoint */
    uint64_t part = ch.size - 2;
    s_fake_batch(&f, cst, 0, part);
    s_fake_run(loop, &f, 2, 0, 1);
    assert_int_equal(f.npulls, 2);
    assert_int_equal(f.pulls[1], part + 1);
    assert_int_equal(f.receipts, 1);

    s_fake_batch(&f, cst, 0, 64); /* 1..size, built for an empty receiver */
    s_fake_run(loop, &f, 3, 0, 0);
    assert_int_equal(f.npulls, 3);
    assert_int_equal(f.pulls[2], part + 1); /* asked again from what it holds */
    assert_int_equal(f.errors, 0);          /* and nothing refused */
    assert_int_equal(f.receipts, 1);

    s_fake_batch(&f, cst, part, 64); /* the rest */
    s_fake_run(loop, &f, 0, 0, 2);
    assert_int_equal(f.errors, 0);
    assert_int_equal(f.receipts, 2);
    node_member_destroy(&member);
    zloop_destroy(&loop);

    store_head_t mh;
    store_t *mst = NULL;
    store_opts_t so = {0};
    assert_int_equal(store_open(m->dir, &so, &mst), 0);
    assert_int_equal(store_head(mst, "coord", &mh), 0);
    assert_int_equal(mh.size, ch.size);
    assert_memory_equal(mh.root, ch.root, sizeof mh.root);
    store_destroy(&mst);
    node_close(&coord);
    zframe_destroy(&f.peer);
    zsock_destroy(&f.router);
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_states, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_backlog, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_stale_batch, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
