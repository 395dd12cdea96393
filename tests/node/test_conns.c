/* Tests for node/conns: the sweep of connections that said nothing
 * (SPEC 10.2). A connection silent NODE_CONNS_SILENT_MS after its accept
 * is shut only when its first message cannot be waiting unread: the
 * socket has nothing queued, or the coordinator has read twice as many
 * messages as there are connections (and NODE_CONNS_READS_MARGIN) since
 * the sweep first found it past its deadline. Real TCP connections on
 * 127.0.0.1; a shut one reads as the end of the stream at its peer.
 *
 * And the room in a member's queue at the coordinator (SPEC 10.2): libzmq
 * stops reading a connection whose queue is full, heartbeats too, and
 * their timeout then closes it. An honest member's worst case, all it may
 * have unread there, must never do that, whatever the coordinator has
 * read of it before. */
#include "node/conns.h"
#include "node/coordinator.h"
#include "node/member.h"
#include "tests/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define S_T0 1000000 /* the accept, on a made-up monotonic clock (ms) */

/* A loopback pair: *dialled is the dialling end, the accepted end is
 * returned (what libzmq would hold). */
static int
s_pair(int listener, int *dialled)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(listener, (struct sockaddr *)&a, &len), 0);
    *dialled = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*dialled >= 0);
    assert_int_equal(connect(*dialled, (struct sockaddr *)&a, len), 0);
    int fd = accept(listener, NULL, NULL);
    assert_true(fd >= 0);
    return fd;
}

static int
s_listener(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 16), 0);
    return l;
}

/* Whether the peer of the dialled end shut it down: the stream ends
 * (waits at most a second for it). */
static bool
s_shut(int dialled)
{
    struct pollfd p = {.fd = dialled, .events = POLLIN};
    char c;
    return poll(&p, 1, 1000) == 1 && recv(dialled, &c, 1, 0) == 0;
}

/* Whether the dialled end still has a live peer (nothing to read). */
static bool
s_live(int dialled)
{
    struct pollfd p = {.fd = dialled, .events = POLLIN};
    return poll(&p, 1, 0) == 0;
}

static void
test_sweep(void **state)
{
    (void)state;
    int l = s_listener();
    int d[4], fd[4];
    for (int i = 0; i < 4; i++)
        fd[i] = s_pair(l, &d[i]);
    node_conns_t *c = NULL;
    assert_int_equal(node_conns_new(&c), 0);
    for (int i = 0; i < 4; i++)
        node_conns_accepted(c, fd[i], S_T0);
    /* 1 spoke; 0, 2 and 3 never did. */
    assert_true(node_conns_spoke(c, fd[1], "m1", S_T0 + 10));

    /* Before the deadline nothing is shut, even with the socket empty. */
    assert_int_equal(
        node_conns_sweep(c, S_T0 + NODE_CONNS_SILENT_MS - 1, 0, true), 0);

    /* Past it with messages queued: not yet. The sweep finds 0, 2 and 3
     * due at 100 reads; four connections: 2 * 4 + margin more reads. */
    uint64_t t = S_T0 + NODE_CONNS_SILENT_MS;
    uint64_t need = 2 * 4 + NODE_CONNS_READS_MARGIN;
    assert_int_equal(node_conns_sweep(c, t, 100, false), 0);
    assert_int_equal(node_conns_sweep(c, t + 60000, 100 + need - 1, false), 0);
    for (int i = 0; i < 4; i++)
        assert_true(s_live(d[i]));
    /* 2 speaks meanwhile: its hello was read out of the backlog. */
    assert_true(node_conns_spoke(c, fd[2], "m2", t + 1));
    /* The reads are enough: 0 and 3 are shut, 1 and 2 stay. */
    assert_int_equal(node_conns_sweep(c, t + 60001, 100 + need, false), 2);
    assert_true(s_shut(d[0]));
    assert_true(s_shut(d[3]));
    assert_true(s_live(d[1]));
    assert_true(s_live(d[2]));
    assert_false(node_conns_open(c, fd[0]));
    assert_true(node_conns_open(c, fd[1]));

    /* A new silent connection, past its deadline: shut as soon as the
     * socket is found empty, whatever the reads. */
    int d5, fd5 = s_pair(l, &d5);
    node_conns_accepted(c, fd5, t);
    assert_int_equal(node_conns_sweep(c, t + NODE_CONNS_SILENT_MS, 500, false),
                     0);
    assert_true(s_live(d5));
    assert_int_equal(node_conns_sweep(c, t + NODE_CONNS_SILENT_MS, 501, true),
                     1);
    assert_true(s_shut(d5));

    /* The ones that spoke are never shut. */
    assert_int_equal(node_conns_sweep(c, t + 10000000, 1000000, true), 0);
    assert_true(s_live(d[1]));
    assert_true(s_live(d[2]));

    node_conns_destroy(&c);
    assert_null(c);
    for (int i = 0; i < 4; i++) {
        close(fd[i]);
        close(d[i]);
    }
    close(fd5);
    close(d5);
    close(l);
}

#define S_HB_IVL_MS 200      /* the heartbeat here: the coordinator's is */
#define S_HB_TIMEOUT_MS 1000 /* 1 s and 5 s; the same rule, quicker */
#define S_STILL_MS 2500      /* the coordinator reads nothing this long */

/* A ROUTER queueing hwm messages per connection and a DEALER dialling
 * it, both with the quick heartbeats; the DEALER's link events on *mon. */
static zsock_t *
s_router(int hwm, zsock_t **dealer, zactor_t **mon)
{
    zsock_t *r = zsock_new(ZMQ_ROUTER);
    assert_non_null(r);
    zsock_set_rcvhwm(r, hwm);
    zsock_set_rcvtimeo(r, 5000);
    zsock_set_heartbeat_ivl(r, S_HB_IVL_MS);
    zsock_set_heartbeat_timeout(r, S_HB_TIMEOUT_MS);
    int port = zsock_bind(r, "tcp://127.0.0.1:*");
    assert_true(port > 0);
    *dealer = zsock_new(ZMQ_DEALER);
    assert_non_null(*dealer);
    zsock_set_sndhwm(*dealer, 1000);
    zsock_set_heartbeat_ivl(*dealer, S_HB_IVL_MS);
    zsock_set_heartbeat_timeout(*dealer, S_HB_TIMEOUT_MS);
    *mon = zactor_new(zmonitor, *dealer);
    assert_non_null(*mon);
    zstr_sendx(*mon, "LISTEN", "DISCONNECTED", NULL);
    zstr_send(*mon, "START");
    zsock_wait(*mon);
    assert_int_equal(zsock_connect(*dealer, "tcp://127.0.0.1:%d", port), 0);
    return r;
}

/* Reads the next message at the ROUTER: the member's number i. */
static void
s_read_next(zsock_t *r, int i)
{
    char want[16];
    int n = snprintf(want, sizeof want, "%d", i);
    assert_true(n > 0 && (size_t)n < sizeof want);
    char *got = zstr_recv(r); /* the routing id */
    zstr_free(&got);
    got = zstr_recv(r);
    assert_non_null(got);
    assert_string_equal(got, want);
    zstr_free(&got);
}

/* The member sends first + more messages, the coordinator reads first
 * of them, then nothing for S_STILL_MS: whether the link was lost. The
 * rest are read after, in order, when it was not. */
static bool
s_lost(int hwm, int first, int more)
{
    zsock_t *d, *r;
    zactor_t *mon;
    r = s_router(hwm, &d, &mon);
    for (int i = 0; i < first + more; i++)
        assert_int_equal(zstr_sendf(d, "%d", i), 0);
    for (int i = 0; i < first; i++) {
        s_read_next(r, i);
    }
    zpoller_t *p = zpoller_new(mon, NULL);
    bool lost = zpoller_wait(p, S_STILL_MS) != NULL;
    zpoller_destroy(&p);
    for (int i = first; !lost && i < first + more; i++) {
        s_read_next(r, i);
    }
    zactor_destroy(&mon);
    zsock_destroy(&d);
    zsock_destroy(&r);
    return lost;
}

static void
test_queue_room(void **state)
{
    (void)state;
    int lwm = (NODE_COORDINATOR_RCVHWM + 1) / 2; /* libzmq's pipe.cpp */
    /* An honest member's worst case, after 0 .. a whole queue read. */
    const int before[] = {0, lwm - 1, lwm, 2 * lwm - 1};
    for (size_t i = 0; i < sizeof before / sizeof *before; i++)
        assert_false(
            s_lost(NODE_COORDINATOR_RCVHWM, before[i], NODE_MEMBER_MAX_UNREAD));
    /* Why the queue is that long: of 16, with 7 read, 10 unread are lost
     * (measured; 16 was the queue before). So this test sees a loss. */
    assert_true(s_lost(16, 7, 10));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_queue_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
