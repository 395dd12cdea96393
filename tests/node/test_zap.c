/* Tests for node/zap: the coordinator's ZAP handler answers every
 * request waiting in one turn (node_zap_drain), at most as many as it is
 * told, each with its own answer. Requests come as libzmq sends them on
 * inproc://zeromq.zap.01 (ZAP 1.0, RFC 27), from a DEALER that speaks
 * for as many connections as it likes; the roster is empty, so each is
 * answered 400. */
#include "node/zap.h"
#include "tests/harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define S_WAIT_MS 5000 /* for an inproc message to arrive */

/* A ZAP request for a CURVE connection with a key nobody holds. */
static void
s_request(zsock_t *d, int n)
{
    char id[16];
    uint8_t key[32];
    snprintf(id, sizeof id, "req%d", n);
    memset(key, 0x40 + n, sizeof key);
    zmsg_t *m = zmsg_new();
    zmsg_addmem(m, "", 0);
    zmsg_addstr(m, "1.0");
    zmsg_addstr(m, id);
    zmsg_addstr(m, NODE_ZAP_DOMAIN);
    zmsg_addstr(m, "127.0.0.1");
    zmsg_addmem(m, "", 0);
    zmsg_addstr(m, "CURVE");
    zmsg_addmem(m, key, sizeof key);
    assert_int_equal(zmsg_send(&m, d), 0);
}

/* Whether the handler's socket has a request to read. */
static bool
s_waiting(void *arg)
{
    return (zsock_events(node_zap_sock(arg)) & ZMQ_POLLIN) != 0;
}

/* The answers waiting at the DEALER: how many, each 400 to one of our
 * requests, in the order sent from *next. */
static int
s_answers(zsock_t *d, int *next)
{
    int n = 0;
    while (zsock_events(d) & ZMQ_POLLIN) {
        zmsg_t *m = zmsg_recv(d);
        assert_non_null(m);
        char id[16];
        snprintf(id, sizeof id, "req%d", (*next)++);
        zframe_t *empty = zmsg_pop(m);
        char *version = zmsg_popstr(m), *rid = zmsg_popstr(m),
             *code = zmsg_popstr(m);
        assert_non_null(empty);
        assert_int_equal(zframe_size(empty), 0);
        assert_string_equal(version, "1.0");
        assert_string_equal(rid, id);
        assert_string_equal(code, "400");
        zframe_destroy(&empty);
        zstr_free(&version);
        zstr_free(&rid);
        zstr_free(&code);
        zmsg_destroy(&m);
        n++;
    }
    return n;
}

static void
test_drain(void **state)
{
    (void)state;
    node_roster_t roster = {NULL, 0};
    node_zap_t *zap = NULL;
    assert_int_equal(node_zap_new(&roster, 60000, &zap), VOCFED_OK);
    zsock_t *d = zsock_new_dealer(">inproc://zeromq.zap.01");
    assert_non_null(d);
    int sent = 0, next = 0;

    /* Five waiting: one turn answers them all. */
    for (int i = 0; i < 5; i++)
        s_request(d, sent++);
    assert_true(th_wait(s_waiting, zap, S_WAIT_MS));
    /* inproc delivers in order: once the first is there, all are */
    assert_int_equal(node_zap_drain(zap, 100), 5);
    assert_false(s_waiting(zap));
    assert_int_equal(s_answers(d, &next), 5);

    /* Three waiting, at most two a turn: two, then the third. */
    for (int i = 0; i < 3; i++)
        s_request(d, sent++);
    assert_true(th_wait(s_waiting, zap, S_WAIT_MS));
    assert_int_equal(node_zap_drain(zap, 2), 2);
    assert_int_equal(s_answers(d, &next), 2);
    assert_int_equal(node_zap_drain(zap, 2), 1);
    assert_int_equal(s_answers(d, &next), 1);

    /* None waiting: nothing done, nothing blocks. */
    assert_int_equal(node_zap_drain(zap, 100), 0);
    assert_int_equal(node_zap_refused(zap), (uint64_t)sent);
    zsock_destroy(&d);
    node_zap_destroy(&zap);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
