/* Abuse from an admitted member (SPEC 10.5; DESIGN 2: one member cannot
 * stop the others). A coordinator and an honest member daemon ("good")
 * run as real processes on 127.0.0.1; this program is the other member
 * ("evil", on the roster, with its own key and store) and speaks to the
 * coordinator itself over CURVE. Phase by phase it sends:
 *
 *   flood     hello messages as fast as the transport takes them
 *   huge      messages over the size cap and 8 MiB of garbage
 *   replay    a batch the coordinator already holds, again and again
 *   gap       valid batches of its own log starting past what is held
 *   unread    pulls of the coordinator's log, never reading the replies
 *
 * then small garbage until the coordinator throttles it (more than 512
 * abuses in one interval: all it sends is dropped unread to the end of
 * the interval; its bytes count with the unread phase's)
 *
 * while the honest member's writes go on: each is appended to the good
 * store and timed until the coordinator holds it (put -> visible). The
 * test checks that the honest member's entries keep arriving during every
 * abuse (a generous deadline per entry: speed is measured, not asserted),
 * that the coordinator's memory stays under the bound its queue limits
 * give, that every kind of abuse is counted in `vocfed status --json`,
 * that the coordinator logs each member's abuse once per 10 s interval and
 * not per message, and that it still works for the abuser afterwards.
 * It prints, per phase, the honest member's latency (median, p99, max),
 * the abuse sent (messages, bytes) and the coordinator's peak RSS.
 *
 * VOCFED_ABUSE_SECONDS sets the length of each phase (default 3; the long
 * run in tests/README.md used 60). */
#include "node/figures.h"
#include "node/identity.h"
#include "node/replicate.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/msg.h"
#include "storage/replica.h"
#include "storage/store.h"

#include "tests/harness.h"

#include <czmq.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_EVIL_ENTRIES 3000         /* the abuser's own log */
#define S_LATENCY_MAX 65536         /* samples kept per phase */
#define S_VISIBLE_DEADLINE_MS 60000 /* an honest entry must arrive by then */
/* The coordinator's memory bound: its receive queue per member (32
 * messages of at most PROTO_MSG_MAX + 1 MiB), its send queue (64 replies
 * of at most a 4 MiB batch), the group of 16 batches it verifies at once,
 * and what it needs without any abuse (under 64 MiB, bench/README.md). */
#define S_RSS_BOUND_KB                                                         \
    ((32L * (PROTO_MSG_MAX + 1024 * 1024) + 64L * 5 * 1024 * 1024 +            \
      16L * PROTO_MSG_MAX + 64L * 1024 * 1024) /                               \
     1024)

typedef enum {
    S_BASELINE,
    S_FLOOD,
    S_HUGE,
    S_REPLAY,
    S_GAP,
    S_UNREAD,
    S_PHASES
} s_phase_t;

static const char *const s_phase_names[S_PHASES] = {
    "baseline", "flood", "huge", "replay", "gap", "unread"};

/* What one phase measured. */
typedef struct {
    double lat[S_LATENCY_MAX]; /* honest put -> visible, ms */
    size_t n;                  /* samples */
    uint64_t msgs;             /* abuse messages the transport took */
    uint64_t bytes;            /* their bytes */
    long rss_kb;               /* coordinator's peak RSS after it */
} s_result_t;

typedef struct {
    th_net_t net;               /* coordinator, good, evil */
    th_node_t *good, *evil;     /* the members */
    store_t *good_st;           /* the honest member's store (appends) */
    store_t *coord_st;          /* the coordinator's (reads) */
    store_t *evil_st;           /* the abuser's */
    uint8_t *good_sk, *evil_sk; /* their keys */
    zsock_t *sock;              /* the abuser's connection */
    uint64_t good_size;         /* honest entries written */
    proto_buf_t replay;         /* a batch the coordinator holds */
    proto_buf_t gap;            /* a batch past what it holds */
    proto_buf_t hello;          /* a valid hello */
    proto_buf_t pull;           /* a pull of the coordinator's log */
    uint8_t *big;               /* PROTO_MSG_MAX + 4096 bytes */
    s_result_t res[S_PHASES];   /* per phase */
} s_t;

static int s_phase_ms = 3000; /* each phase */
static int s_interval_s = 1;  /* the coordinator's --abuse-interval */

/* ---- the honest member -------------------------------------------------- */

static void
s_keys(th_node_t *m, store_t **st, uint8_t **sk)
{
    uint8_t pk[PROTO_PUBKEY_LEN];
    assert_int_equal(proto_unhex(m->pk, pk, sizeof pk), VOCFED_OK);
    assert_int_equal(store_open(m->dir, NULL, st), VOCFED_OK);
    assert_int_equal(node_figures_attach_store(*st), VOCFED_OK);
    assert_int_equal(node_identity_load(m->dir, pk, sk), VOCFED_OK);
}

/* Appends n students to a member's log (one checkpoint). */
static void
s_append(store_t *st, const char *id, const uint8_t *sk, uint64_t first,
         size_t n)
{
    th_students(st, id, sk, first, n, 6, NULL);
}

/* Size of the coordinator's copy of a member's log (0 if none yet). */
static uint64_t
s_held(s_t *t, const char *id)
{
    store_head_t h;
    return store_head(t->coord_st, id, &h) == VOCFED_OK ? h.size : 0;
}

/* ---- the abuser -----------------------------------------------------------
 */

static void
s_connect(s_t *t, bool reading)
{
    uint8_t cpk[PROTO_PUBKEY_LEN], server[PROTO_PUBKEY_LEN], coord[32];
    uint8_t *csk = sodium_malloc(PROTO_PUBKEY_LEN);
    assert_non_null(csk);
    assert_int_equal(node_identity_curve(t->evil_sk, cpk, csk), VOCFED_OK);
    assert_int_equal(proto_unhex(t->net.coord.pk, coord, sizeof coord),
                     VOCFED_OK);
    assert_int_equal(node_pubkey_curve(coord, server), VOCFED_OK);
    zsock_destroy(&t->sock);
    t->sock = zsock_new(ZMQ_DEALER);
    assert_non_null(t->sock);
    zsock_set_curve_serverkey_bin(t->sock, server);
    zsock_set_curve_publickey_bin(t->sock, cpk);
    zsock_set_curve_secretkey_bin(t->sock, csk);
    sodium_free(csk);
    zsock_set_sndhwm(t->sock, 4); /* the test's own memory */
    zsock_set_linger(t->sock, 0);
    if (!reading) {
        /* Read nothing: the kernel and libzmq fill, then the coordinator's
         * queue for us. */
        zsock_set_rcvhwm(t->sock, 1);
        zsock_set_rcvbuf(t->sock, 4096);
    }
    assert_int_equal(zsock_connect(t->sock, "%s", t->net.endpoint), 0);
}

/* Sends one frame without waiting; counts it if the transport took it. */
static void
s_send(s_t *t, s_result_t *r, const void *data, size_t len)
{
    if (zmq_send(zsock_resolve(t->sock), data, len, ZMQ_DONTWAIT) == (int)len) {
        r->msgs++;
        r->bytes += len;
    }
}

/* Reads and drops what the coordinator sent (not in the unread phase). */
static void
s_drain(s_t *t)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, zsock_resolve(t->sock), ZMQ_DONTWAIT) >= 0)
        ;
    zmq_msg_close(&m);
}

/* One turn of the phase's abuse. */
static void
s_abuse(s_t *t, s_phase_t phase)
{
    s_result_t *r = &t->res[phase];
    switch (phase) {
    case S_BASELINE:
    case S_PHASES:
        return;
    case S_FLOOD:
        for (int i = 0; i < 200; i++)
            s_send(t, r, t->hello.data, t->hello.len);
        break;
    case S_HUGE:
        /* Over the cap of SPEC 8.9 (too-large), then half of it in
         * garbage (malformed). */
        s_send(t, r, t->big, PROTO_MSG_MAX + 4096);
        s_send(t, r, t->big, 8 * 1024 * 1024);
        break;
    case S_REPLAY:
        for (int i = 0; i < 4; i++)
            s_send(t, r, t->replay.data, t->replay.len);
        break;
    case S_GAP:
        for (int i = 0; i < 4; i++)
            s_send(t, r, t->gap.data, t->gap.len);
        break;
    case S_UNREAD:
        for (int i = 0; i < 50; i++)
            s_send(t, r, t->pull.data, t->pull.len);
        return; /* and never read */
    }
    s_drain(t);
}

/* ---- phases ------------------------------------------------------------- */

static long
s_coord_rss_kb(s_t *t)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)t->net.coord.proc.pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static int
s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The coordinator's persisted counter of the phase's kind of abuse. */
static uint64_t
s_counter(s_t *t, s_phase_t phase)
{
    store_peer_t p;
    if (store_peer_get(t->coord_st, "evil", &p) != VOCFED_OK)
        return 0;
    switch (phase) {
    case S_FLOOD:
        return p.flooded;
    case S_HUGE:
        return p.too_large;
    case S_REPLAY:
        return p.replayed;
    case S_GAP:
        return p.seq_gaps;
    case S_UNREAD:
        return p.unread;
    case S_BASELINE:
    case S_PHASES:
        break;
    }
    return 0;
}

/* Honest writes, one at a time, each timed until the coordinator holds it,
 * with the phase's abuse sent all the while. */
static void
s_phase(s_t *t, s_phase_t phase)
{
    s_result_t *r = &t->res[phase];
    uint64_t start = th_now_ms(), end = start + (uint64_t)s_phase_ms;
    uint64_t before = s_counter(t, phase);
    /* The phase's length, and until the coordinator has counted (and
     * persisted) its kind of abuse at least once: on a loaded machine
     * the abuse may take longer to land. */
    while (th_now_ms() < end || r->n == 0 ||
           (phase != S_BASELINE && s_counter(t, phase) == before)) {
        if (th_now_ms() - start > S_VISIBLE_DEADLINE_MS)
            fail_msg("%s: the coordinator did not count this abuse in %d ms",
                     s_phase_names[phase], S_VISIBLE_DEADLINE_MS);
        s_append(t->good_st, t->good->id, t->good_sk, 1000000 + t->good_size,
                 1);
        t->good_size++;
        uint64_t t0 = th_now_ms();
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        while (s_held(t, t->good->id) < t->good_size) {
            s_abuse(t, phase);
            if (th_now_ms() - t0 > S_VISIBLE_DEADLINE_MS)
                fail_msg("%s: the honest member's entry %" PRIu64
                         " did not reach the coordinator in %d ms",
                         s_phase_names[phase], t->good_size,
                         S_VISIBLE_DEADLINE_MS);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (r->n < S_LATENCY_MAX)
            r->lat[r->n++] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
                             (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        s_abuse(t, phase);
    }
    r->rss_kb = s_coord_rss_kb(t);
    qsort(r->lat, r->n, sizeof r->lat[0], s_cmp);
}

/* ---- checks ------------------------------------------------------------- */

typedef struct {
    s_t *t;
    const char *const *kinds; /* abuse counters that must be > 0 */
} s_counted_t;

static bool
s_counted(void *ctx)
{
    s_counted_t *c = ctx;
    json_t *j = th_status(&c->t->net, c->t->net.coord.dir);
    bool ok = true;
    for (size_t i = 0; c->kinds[i]; i++)
        ok = ok && th_jint(j, "peers", "evil", "abuse", c->kinds[i], NULL) > 0;
    json_decref(j);
    return ok;
}

/* The messages the coordinator has read from the abuser (its row's
 * abuse.messages_in, written each second). */
static long long
s_read_in(s_t *t)
{
    json_t *j = th_status(&t->net, t->net.coord.dir);
    long long n = th_jint(j, "peers", "evil", "abuse", "messages_in", NULL);
    json_decref(j);
    return n;
}

typedef struct {
    s_t *t;
    long long upto; /* messages_in to reach */
} s_read_t;

static bool
s_read_upto(void *ctx)
{
    s_read_t *r = ctx;
    return s_read_in(r->t) >= r->upto;
}

/* Lines of the coordinator's log that hold needle. */
static size_t
s_log_lines(s_t *t, const char *needle)
{
    size_t len, n = 0;
    char *log = (char *)th_read_file(t->net.coord.proc.log, &len);
    assert_non_null(log);
    for (char *p = log; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(log);
    return n;
}

static bool
s_good_level(void *ctx)
{
    s_t *t = ctx;
    return s_held(t, t->good->id) == t->good_size;
}

/* ---- the test ----------------------------------------------------------- */

static void
test_abuse(void **state)
{
    s_t *t = *state;
    const char *env = getenv("VOCFED_ABUSE_SECONDS");
    if (env && *env) {
        char *end;
        long s = strtol(env, &end, 10);
        assert_true(*end == '\0' && s > 0 && s <= 3600);
        s_phase_ms = (int)(s * 1000);
        s_interval_s = s >= 30 ? 10 : 1;
    }
    th_net_init(&t->net);
    t->good = th_net_member(&t->net, "good", true);
    t->evil = th_net_member(&t->net, "evil", true);
    s_keys(t->good, &t->good_st, &t->good_sk);
    s_keys(t->evil, &t->evil_st, &t->evil_sk);

    /* The abuser's own log, and the messages it will send. */
    s_append(t->evil_st, "evil", t->evil_sk, 0, S_EVIL_ENTRIES);
    uint64_t last;
    assert_int_equal(node_batch_build(t->evil_st, "evil", 0, 1000,
                                      NODE_BATCH_BYTES, &t->replay, &last),
                     VOCFED_OK);
    assert_int_equal(node_batch_build(t->evil_st, "evil", 2000, 1000,
                                      NODE_BATCH_BYTES, &t->gap, &last),
                     VOCFED_OK);
    const char *authors[1] = {"evil"};
    assert_int_equal(
        node_heads_encode(t->evil_st, "evil", true, authors, 1, &t->hello),
        VOCFED_OK);
    assert_int_equal(proto_msg_encode_pull(t->net.coord.id, 1, &t->pull),
                     VOCFED_OK);
    t->big = malloc(PROTO_MSG_MAX + 4096);
    assert_non_null(t->big);
    memset(t->big, 0xc1, PROTO_MSG_MAX + 4096); /* 0xc1: never msgpack */

    /* An interval shorter than a phase, so that each phase starts with the
     * abuser not throttled and each kind is seen. */
    char interval[16];
    snprintf(interval, sizeof interval, "%d", s_interval_s);
    uint64_t coord_start = th_now_ms();
    th_coord_start_with(&t->net, TH_ARGS("--abuse-interval", interval));
    th_member_start(&t->net, t->good);
    assert_int_equal(store_open(t->net.coord.dir, NULL, &t->coord_st),
                     VOCFED_OK);
    /* The honest member is connected and level before anything is timed. */
    s_append(t->good_st, t->good->id, t->good_sk, 0, 1);
    t->good_size = 1;
    assert_true(th_wait(s_good_level, t, 30000));

    s_connect(t, true);
    s_phase(t, S_BASELINE);
    s_phase(t, S_FLOOD);
    s_phase(t, S_HUGE);
    /* The first batch is taken (the abuser is a member, after all), then
     * sent again and again. */
    uint64_t t0 = th_now_ms();
    while (s_held(t, "evil") < 1000) {
        /* What the huge phase left in the queues may be dropped first. */
        if (th_now_ms() - t0 > S_VISIBLE_DEADLINE_MS)
            fail_msg("the abuser's first batch was never taken");
        s_send(t, &t->res[S_REPLAY], t->replay.data, t->replay.len);
        s_drain(t);
    }
    s_phase(t, S_REPLAY);
    assert_int_equal(s_held(t, "evil"), 1000);
    long long before_gap = s_read_in(t);
    uint64_t sent_before_gap = t->res[S_GAP].msgs;
    s_phase(t, S_GAP);
    assert_int_equal(s_held(t, "evil"), 1000); /* nothing past the gap */
    /* The abuser leaves this connection only once the coordinator has
     * read all it sent on it. Closing a connection whose queue at the
     * coordinator is full is libzmq 4.3.4's known abort (SPEC 10.2), which
     * no member's rule prevents and this test does not exercise: batches
     * past a gap are refused more slowly than sent, and with the queue of
     * 32 the abort came here under ASan. */
    assert_true(
        th_wait(s_read_upto,
                &(s_read_t){t, before_gap + (long long)(t->res[S_GAP].msgs -
                                                        sent_before_gap)},
                S_VISIBLE_DEADLINE_MS));
    s_connect(t, false);
    s_phase(t, S_UNREAD);

    /* Throttling: small garbage, cheap to send and to refuse, until the
     * coordinator has counted more than 512 abuses in one interval and
     * drops the rest unread. (The phases above may not get there on a
     * slow machine: under ASan the coordinator refuses about 30 batches
     * past a gap a second.) */
    s_connect(t, true);
    static const uint8_t garbage[] = {0xc1, 'x', 0xc1};
    uint64_t t1 = th_now_ms(), next_look = 0;
    s_result_t *rg = &t->res[S_UNREAD];
    for (;;) {
        if (th_now_ms() >= next_look) {
            if (s_log_lines(t, "throttled member=evil") > 0)
                break;
            next_look = th_now_ms() + 100;
        }
        if (th_now_ms() - t1 > S_VISIBLE_DEADLINE_MS)
            fail_msg("the abuser was never throttled");
        for (int i = 0; i < 100; i++)
            s_send(t, rg, garbage, sizeof garbage);
        s_drain(t);
    }

    /* Every kind counted, where an operator looks. */
    s_counted_t c = {t, (const char *const[]){"flooded", "too_large",
                                              "malformed", "replayed",
                                              "seq_gaps", "unread", NULL}};
    bool counted = th_wait(s_counted, &c, 20000);
    json_t *j = th_status(&t->net, t->net.coord.dir);
    json_t *ab = th_jget(j, "peers", "evil", "abuse", NULL);
    char *dump = json_dumps(ab, JSON_SORT_KEYS);
    printf("coordinator's count of the abuse: %s\n", dump ? dump : "?");
    free(dump);
    json_decref(j);
    assert_true(counted);

    /* Logged once per interval per member, not per message: one line per
     * 10 s at most (plus the first), and the detail of a refused batch no
     * more often. */
    uint64_t msgs = 0, bytes = 0;
    for (int p = 0; p < S_PHASES; p++) {
        msgs += t->res[p].msgs;
        bytes += t->res[p].bytes;
    }
    size_t seconds = (size_t)((th_now_ms() - coord_start) / 1000) + 1;
    size_t intervals = seconds / (size_t)s_interval_s;
    size_t lines = s_log_lines(t, "abuse member=evil");
    size_t details = s_log_lines(t, "batch refused member=evil");
    size_t throttled = s_log_lines(t, "throttled member=evil");
    printf("the abuser was throttled %zu times (over 512 abuses in one "
           "interval of %d s)\n",
           throttled, s_interval_s);
    assert_true(throttled >= 1);
    printf("abuse: %" PRIu64 " messages, %" PRIu64 " bytes sent; %zu abuse "
           "lines and %zu refusal details in the coordinator's log\n",
           msgs, bytes, lines, details);
    assert_true(lines >= 1 && lines <= intervals + 2);
    assert_true(details <= 2 * (intervals + 2)); /* seq-gap, refused */
    assert_true(msgs > 10 * (uint64_t)lines);

    /* Figures of each phase. */
    printf("%-9s %8s %9s %9s %9s %10s %12s %10s\n", "phase", "puts", "median",
           "p99", "max", "abuse msg", "abuse bytes", "coord RSS");
    for (int p = 0; p < S_PHASES; p++) {
        s_result_t *r = &t->res[p];
        printf("%-9s %8zu %7.2fms %7.2fms %7.2fms %10" PRIu64 " %12" PRIu64
               " %7ld MiB\n",
               s_phase_names[p], r->n, r->lat[r->n / 2],
               r->lat[(r->n * 99) / 100], r->lat[r->n - 1], r->msgs, r->bytes,
               r->rss_kb / 1024);
        assert_true(r->rss_kb > 0 && r->rss_kb < S_RSS_BOUND_KB);
    }

    /* And the coordinator still serves the abuser like anyone else: its
     * next batch, from where the coordinator stands, is taken. */
    zsock_destroy(&t->sock);
    s_connect(t, true);
    proto_buf_t next;
    proto_buf_init(&next);
    assert_int_equal(node_batch_build(t->evil_st, "evil", 1000, 1000,
                                      NODE_BATCH_BYTES, &next, &last),
                     VOCFED_OK);
    /* Sent again every second, as a member does: it may still be
     * throttled for what it did last, until the interval ends. */
    s_result_t scratch = {0};
    t0 = th_now_ms();
    uint64_t next_send = 0;
    while (s_held(t, "evil") < 2000 && th_now_ms() - t0 < 30000) {
        if (th_now_ms() >= next_send) {
            s_send(t, &scratch, next.data, next.len);
            next_send = th_now_ms() + 1000;
        }
        s_drain(t);
    }
    proto_buf_release(&next);
    assert_int_equal(s_held(t, "evil"), 2000);
    assert_true(th_running(&t->net.coord.proc));
    th_net_expect(&t->net, 0, TH_ARGS("--dir", t->net.coord.dir, "verify"));
    t->net.passed = true;
}

/* ---- resend: what was never receipted on a connection is no replay ----- */

/* Sends one frame and waits for the coordinator's one reply to it (a
 * batch's receipt): by then its outcome is counted. */
static void
s_exchange(s_t *t, const proto_buf_t *msg)
{
    s_result_t scratch = {0};
    zmq_msg_t m;
    s_send(t, &scratch, msg->data, msg->len);
    assert_int_equal(scratch.msgs, 1);
    zsock_set_rcvtimeo(t->sock, S_VISIBLE_DEADLINE_MS);
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, zsock_resolve(t->sock), 0) >= 0);
    proto_msg_t reply;
    assert_int_equal(
        proto_msg_decode(zmq_msg_data(&m), zmq_msg_size(&m), &reply),
        VOCFED_OK);
    assert_int_equal(reply.type, PROTO_MSG_RECEIPT);
    zmq_msg_close(&m);
}

/* A batch the coordinator holds, sent again, is counted `replayed` only
 * when the coordinator's receipts on the member's live connection
 * covered it (SPEC 10.5): on a new connection (a member whose receipt was
 * lost with the old one, or one put back from a copy) the resend is
 * answered with a receipt and not counted; sent once more on that
 * connection, after its receipt, it is a replay again. */
static void
test_resend(void **state)
{
    s_t *t = *state;
    th_net_init(&t->net);
    t->evil = th_net_member(&t->net, "evil", true);
    s_keys(t->evil, &t->evil_st, &t->evil_sk);
    s_append(t->evil_st, "evil", t->evil_sk, 0, 100);
    uint64_t last;
    assert_int_equal(node_batch_build(t->evil_st, "evil", 0, 100,
                                      NODE_BATCH_BYTES, &t->replay, &last),
                     VOCFED_OK);
    th_coord_start(&t->net);
    assert_int_equal(store_open(t->net.coord.dir, NULL, &t->coord_st),
                     VOCFED_OK);

    s_connect(t, true);
    s_exchange(t, &t->replay); /* taken */
    assert_int_equal(s_held(t, "evil"), 100);
    s_exchange(t, &t->replay); /* receipted on this connection: a replay */
    s_connect(t, true);        /* a new connection */
    s_exchange(t, &t->replay); /* never receipted on it: a resend */
    s_exchange(t, &t->replay); /* and now a replay */

    /* Its counters are written when the coordinator stops. */
    assert_int_equal(th_stop(&t->net.coord.proc, SIGTERM, 10000), 0);
    store_peer_t p;
    assert_int_equal(store_peer_get(t->coord_st, "evil", &p), VOCFED_OK);
    printf("resend: 4 batches of the same 100 entries on 2 connections: "
           "replayed %" PRIu64 ", refused %" PRIu64 ", seq_gaps %" PRIu64 "\n",
           p.replayed, p.refused, p.seq_gaps);
    assert_int_equal(p.replayed, 2);
    assert_int_equal(p.refused + p.seq_gaps + p.malformed, 0);
    t->net.passed = true;
}

/* ---- credit: a fast honest member is never dropped --------------------- */

#define S_CREDIT_ENTRIES 6000 /* the fast member's log */
#define S_CREDIT_PAD 1000     /* bytes of padding in each: ~6.5 MB in all */
#define S_CREDIT_RATE 1048576 /* the coordinator's rate: bytes/s */

typedef struct {
    th_net_t *net; /* the network */
    store_t *st;   /* the coordinator's store */
} s_credit_t;

static bool
s_credit_level(void *ctx)
{
    s_credit_t *c = ctx;
    store_head_t h;
    return store_head(c->st, "fast", &h) == VOCFED_OK &&
           h.size == S_CREDIT_ENTRIES;
}

/* A member whose whole log, many times the coordinator's byte rate and
 * burst, comes at once (SPEC 10.5): past its rate its messages wait, and
 * with nobody else to read the coordinator lends it the spare capacity
 * (it logs so) instead of holding it to its rate. It ends with its whole
 * log at the coordinator, nothing dropped as flooded and no batch refused
 * for a gap. (tests/node/test_session.c: what is lent to whom, and that a
 * member counted for abuse waits for its rate.) */
static void
test_credit(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "fast", true);
    assert_int_equal(th_bulk(m, 0, S_CREDIT_ENTRIES, S_CREDIT_PAD, NULL),
                     S_CREDIT_ENTRIES);
    /* The operator's rate (1M: S_CREDIT_RATE), set in vocfed.cfg while
     * the coordinator runs and read again on SIGHUP: the rate that binds
     * below is the one read then (the messages' rate is fixed by the
     * option and stays). */
    th_coord_start_with(net, TH_ARGS("--rate-msgs", "2000"));
    assert_true(th_proc_wait_log(&net->coord.proc,
                                 "each member's rate 2000 messages/s and "
                                 "64.0 MiB/s",
                                 10000));
    th_net_expect(
        net, 0,
        TH_ARGS("--dir", net->coord.dir, "config", "set", "rate_bytes", "1M"));
    assert_int_equal(kill(net->coord.proc.pid, SIGHUP), 0);
    assert_true(th_proc_wait_log(&net->coord.proc,
                                 "SIGHUP: vocfed.cfg read again: each "
                                 "member's rate 2000 messages/s and 1.0 MiB/s",
                                 10000));
    s_credit_t c = {net, NULL};
    assert_int_equal(store_open(net->coord.dir, NULL, &c.st), VOCFED_OK);
    uint64_t t0 = th_now_ms();
    th_member_start(net, m);
    assert_true(th_wait(s_credit_level, &c, 120000));
    uint64_t ms = th_now_ms() - t0;
    /* Its counters are written when the coordinator stops. */
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    store_peer_t p;
    assert_int_equal(store_peer_get(c.st, "fast", &p), VOCFED_OK);
    printf("credit: %d entries, %" PRIu64 " bytes in %" PRIu64 " messages "
           "at a rate of %d bytes/s: level in %" PRIu64 " ms; flooded %" PRIu64
           ", seq_gaps %" PRIu64 ", replayed %" PRIu64 "\n",
           S_CREDIT_ENTRIES, p.bytes_in, p.messages_in, S_CREDIT_RATE, ms,
           p.flooded, p.seq_gaps, p.replayed);
    /* It sent more than its burst of 1.5 times the rate: what waited past
     * it was read on spare capacity. */
    assert_true(p.bytes_in > 3 * (uint64_t)S_CREDIT_RATE);
    assert_true(th_proc_log_has(&net->coord.proc,
                                "member=fast read past its rate on spare "
                                "capacity"));
    assert_int_equal(p.flooded, 0);
    assert_int_equal(p.seq_gaps, 0);
    /* Counted, where an operator looks (SPEC 10.5, the peers row). */
    printf("credit: waited %" PRIu64 ", lent %" PRIu64 "\n", p.waited, p.lent);
    assert_true(p.waited > 0);
    assert_true(p.lent > 0 && p.lent <= p.waited);
    store_destroy(&c.st);
    th_run_t r = th_net_run(net, TH_ARGS("--dir", net->coord.dir, "status"));
    assert_non_null(strstr(r.out, "messages waited"));
    th_run_free(&r);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "verify", "--figures"));
    net->passed = true;
}

static int
s_setup(void **state)
{
    s_t *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    proto_buf_init(&t->replay);
    proto_buf_init(&t->gap);
    proto_buf_init(&t->hello);
    proto_buf_init(&t->pull);
    *state = t;
    return 0;
}

static int
s_teardown(void **state)
{
    s_t *t = *state;
    zsock_destroy(&t->sock);
    store_destroy(&t->good_st);
    store_destroy(&t->coord_st);
    store_destroy(&t->evil_st);
    node_identity_free(&t->good_sk);
    node_identity_free(&t->evil_sk);
    th_net_release(&t->net);
    proto_buf_release(&t->replay);
    proto_buf_release(&t->gap);
    proto_buf_release(&t->hello);
    proto_buf_release(&t->pull);
    free(t->big);
    free(t);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_abuse, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_resend, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_credit, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
