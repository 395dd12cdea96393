/* Integration tests of replication (DESIGN 2, 5; SPEC 8, 10): the real
 * daemons (`vocfed coordinator`, `vocfed node`) and `vocfed sync` as
 * processes on 127.0.0.1, each store in the test's own folder; and a raw
 * client (a DEALER with an admitted member's CURVE keys) that sends what
 * no honest member sends. Every wait is on a condition with a deadline
 * (tests/harness.h); every process is stopped by pid. */
#include "node/figures.h"
#include "node/identity.h"
#include "node/meta.h"
#include "node/node.h"
#include "node/seed.h"
#include "node/replicate.h"
#include "protocol/hash.h"
#include "protocol/msg.h"
#include "storage/store.h"

#include "tests/harness.h"

#include <czmq.h>
#include <lmdb.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_DEADLINE_MS 20000 /* for anything to settle */

/* The first alarm of status j whose kind is kind (and, if not NULL,
 * whose author is author), or NULL. */
static json_t *
s_alarm(json_t *j, const char *kind, const char *author)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(j, "alarms"), i, a)
    {
        const char *k = json_string_value(json_object_get(a, "kind"));
        const char *au = json_string_value(json_object_get(a, "author"));
        if (k && strcmp(k, kind) == 0 &&
            (!author || (au && strcmp(au, author) == 0)))
            return a;
    }
    return NULL;
}

/* A log's size and root in status j, as "size/root" ("absent" when the
 * log is not there). */
static void
s_head(json_t *j, const char *author, char *out, size_t cap)
{
    json_t *root = th_jget(j, "logs", author, "root", NULL);
    long long size = th_jint(j, "logs", author, "size", NULL);
    if (!json_is_string(root) || size < 0)
        snprintf(out, cap, "absent");
    else
        snprintf(out, cap, "%lld/%s", size, json_string_value(root));
}

/* ---- a raw client ------------------------------------------------------- */

/* A DEALER that speaks as an admitted member, with its CURVE keys. */
typedef struct {
    zsock_t *dealer;   /* to the coordinator */
    zactor_t *monitor; /* its connection events */
} s_client_t;

static s_client_t *s_live; /* the client open, closed by the teardown */

static void
s_client_open(s_client_t *c, const th_net_t *net, const th_node_t *as)
{
    uint8_t pk[PROTO_PUBKEY_LEN], cpk[PROTO_PUBKEY_LEN], *sk = NULL;
    uint8_t server_ed[PROTO_PUBKEY_LEN], server[PROTO_PUBKEY_LEN];
    uint8_t *csk = sodium_malloc(PROTO_PUBKEY_LEN);
    assert_non_null(csk);
    assert_int_equal(proto_unhex(as->pk, pk, sizeof pk), VOCFED_OK);
    assert_int_equal(node_identity_load(as->dir, pk, &sk), VOCFED_OK);
    int rc = node_identity_curve(sk, cpk, csk);
    node_identity_free(&sk);
    assert_int_equal(rc, VOCFED_OK);
    assert_int_equal(proto_unhex(net->coord.pk, server_ed, sizeof server_ed),
                     VOCFED_OK);
    assert_int_equal(node_pubkey_curve(server_ed, server), VOCFED_OK);

    c->dealer = zsock_new(ZMQ_DEALER);
    assert_non_null(c->dealer);
    zsock_set_curve_serverkey_bin(c->dealer, server);
    zsock_set_curve_publickey_bin(c->dealer, cpk);
    zsock_set_curve_secretkey_bin(c->dealer, csk);
    sodium_free(csk);
    zsock_set_linger(c->dealer, 0);
    zsock_set_rcvtimeo(c->dealer, S_DEADLINE_MS);
    zsock_set_reconnect_ivl(c->dealer, 100);
    c->monitor = zactor_new(zmonitor, c->dealer);
    assert_non_null(c->monitor);
    zstr_sendx(c->monitor, "LISTEN", "ALL", NULL);
    zstr_sendx(c->monitor, "START", NULL);
    zsock_wait(c->monitor);
    s_live = c;
    assert_int_equal(zsock_connect(c->dealer, "%s", net->endpoint), 0);
}

static void
s_client_close(s_client_t *c)
{
    zactor_destroy(&c->monitor);
    zsock_destroy(&c->dealer);
    s_live = NULL;
}

static int
s_teardown(void **state)
{
    if (s_live)
        s_client_close(s_live);
    return th_net_teardown(state);
}

/* Waits (deadline_ms at most) for the connection event named event;
 * returns whether it came. */
static bool
s_client_event(s_client_t *c, const char *event, int deadline_ms)
{
    uint64_t end = th_now_ms() + (uint64_t)deadline_ms;
    zpoller_t *p = zpoller_new(c->monitor, NULL);
    bool seen = false;
    while (!seen && th_now_ms() < end) {
        if (!zpoller_wait(p, (int)(end - th_now_ms())))
            break;
        char *e = NULL, *value = NULL, *endpoint = NULL;
        if (zstr_recvx(c->monitor, &e, &value, &endpoint, NULL) >= 1)
            seen = e && strcmp(e, event) == 0;
        zstr_free(&e);
        zstr_free(&value);
        zstr_free(&endpoint);
    }
    zpoller_destroy(&p);
    return seen;
}

static void
s_client_send(s_client_t *c, const void *data, size_t len)
{
    assert_int_equal(zmq_send(zsock_resolve(c->dealer), data, len, 0),
                     (int)len);
}

/* The coordinator's next message (S_DEADLINE_MS at most), decoded into
 * m, which borrows from the frame returned (zframe_destroy it). */
static zframe_t *
s_client_recv(s_client_t *c, proto_msg_t *m)
{
    zframe_t *f = zframe_recv(c->dealer);
    assert_non_null(f);
    assert_int_equal(proto_msg_decode(zframe_data(f), zframe_size(f), m),
                     VOCFED_OK);
    return f;
}

/* Sends data and expects an error reply; code gets its code. */
static void
s_expect_error(s_client_t *c, const void *data, size_t len, char *code,
               size_t cap)
{
    proto_msg_t m;
    s_client_send(c, data, len);
    zframe_t *f = s_client_recv(c, &m);
    if (m.type != PROTO_MSG_ERROR)
        print_error("expected an error, got a %s\n",
                    proto_msg_type_name(m.type));
    assert_int_equal(m.type, PROTO_MSG_ERROR);
    snprintf(code, cap, "%.*s", (int)m.error.code_len, m.error.code);
    zframe_destroy(&f);
}

/* The batch message of m's own entries from seq 1 on, built from its
 * store as its daemon would (no daemon holds the store). */
static void
s_batch_of(const th_node_t *m, proto_buf_t *out)
{
    store_t *st = NULL;
    uint64_t last;
    assert_int_equal(store_open(m->dir, NULL, &st), VOCFED_OK);
    int rc = node_batch_build(st, m->id, 0, NODE_BATCH_ENTRIES,
                              NODE_BATCH_BYTES, out, &last);
    store_destroy(&st);
    assert_int_equal(rc, VOCFED_OK);
}

/* ---- 1. three members, all daemons running -------------------------- */

typedef struct {
    th_net_t *net;   /* the network */
    th_node_t **m;   /* the members */
    size_t n;        /* how many */
    long long size;  /* entries each member wrote */
    long long coord; /* size of the coordinator's own log */
    char why[512];   /* what was not level yet */
} s_level_t;

/* For every member: the coordinator's copy of its log is its own (size
 * and root), it holds the coordinator's log, each side holds the other's
 * receipt for it, and the member's daemon says it is connected. */
static bool
s_level(void *ctx)
{
    s_level_t *l = ctx;
    json_t *cs = th_status(l->net, l->net->coord.dir);
    bool ok = true;
    char coord_head[128];
    s_head(cs, "coord", coord_head, sizeof coord_head);
    if (th_jint(cs, "logs", "coord", "size", NULL) != l->coord) {
        snprintf(l->why, sizeof l->why, "coordinator's own log: %s",
                 coord_head);
        ok = false;
    }
    for (size_t i = 0; ok && i < l->n; i++) {
        const char *id = l->m[i]->id;
        json_t *ms = th_status(l->net, l->m[i]->dir);
        char at_coord[128], at_member[128], theirs[128];
        s_head(cs, id, at_coord, sizeof at_coord);
        s_head(ms, id, at_member, sizeof at_member);
        s_head(ms, "coord", theirs, sizeof theirs);
        if (th_jint(ms, "logs", id, "size", NULL) != l->size ||
            strcmp(at_coord, at_member) != 0) {
            snprintf(l->why, sizeof l->why, "%s: %s at the coordinator, %s", id,
                     at_coord, at_member);
            ok = false;
        } else if (strcmp(theirs, coord_head) != 0) {
            snprintf(l->why, sizeof l->why, "%s holds coord %s, not %s", id,
                     theirs, coord_head);
            ok = false;
        } else if (th_jint(ms, "peers", "coord", "acked", id, NULL) !=
                       l->size ||
                   th_jint(cs, "peers", id, "acked", "coord", NULL) !=
                       l->coord) {
            snprintf(l->why, sizeof l->why, "%s: receipts not in yet", id);
            ok = false;
        } else if (!json_is_true(
                       th_jget(ms, "peers", "coord", "connected", NULL))) {
            snprintf(l->why, sizeof l->why, "%s: not connected", id);
            ok = false;
        }
        json_decref(ms);
    }
    json_decref(cs);
    return ok;
}

static void
test_three_members(void **state)
{
    th_net_t *net = *state;
    static const char *const ids[] = {"college", "school", "firm"};
    th_node_t *m[3];
    th_net_init(net);
    for (size_t i = 0; i < 3; i++)
        m[i] = th_net_member(net, ids[i], true);
    /* The coordinator's own log: what init wrote, and the roster. */
    json_t *cs = th_status(net, net->coord.dir);
    long long own = th_jint(cs, "logs", "coord", "size", NULL);
    json_decref(cs);
    assert_true(own >= 3);
    th_coord_start(net);
    for (size_t i = 0; i < 3; i++)
        th_member_start(net, m[i]);

    /* Records put at each member while the daemons run, in turn. */
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < 3; i++) {
            char key[32], major[32];
            snprintf(key, sizeof key, "s%d", k);
            snprintf(major, sizeof major, "%s-%d", ids[i], k);
            th_put_student(net, m[i], key, major);
        }
    s_level_t l = {net, m, 3, 4, own, ""};
    if (!th_wait(s_level, &l, S_DEADLINE_MS))
        fail_msg("not level: %s", l.why);

    /* The coordinator's own log grows (a fourth member on the roster,
     * not started): it tells every member, and they pull it. One more
     * record at one member shows the sessions still carry batches. */
    th_net_member(net, "late", true);
    th_put_student(net, m[1], "s4", "school-4");
    l.coord = own + 1;
    l.size = 5;
    l.m = &m[1];
    l.n = 1;
    if (!th_wait(s_level, &l, S_DEADLINE_MS))
        fail_msg("not level after the roster grew: %s", l.why);
    l.size = 4;
    l.m = (th_node_t *[]){m[0], m[2]};
    l.n = 2;
    if (!th_wait(s_level, &l, S_DEADLINE_MS))
        fail_msg("not level after the roster grew: %s", l.why);

    /* verify passes everywhere: at the coordinator over the three
     * replicas and its own log, at each member over its own log and the
     * coordinator's. */
    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", net->coord.dir, "verify", "--json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    assert_int_equal(th_jint(j, "entries", NULL), own + 1 + 4 + 5 + 4);
    json_decref(j);
    th_run_free(&r);
    for (size_t i = 0; i < 3; i++) {
        r = th_net_run(net, TH_ARGS("--dir", m[i]->dir, "verify", "--json"));
        assert_int_equal(r.status, 0);
        j = th_json(r.out);
        assert_int_equal(th_jint(j, "entries", NULL),
                         (i == 1 ? 5 : 4) + own + 1);
        json_decref(j);
        th_run_free(&r);
    }
    cs = th_status(net, net->coord.dir);
    assert_int_equal(json_array_size(json_object_get(cs, "alarms")), 0);
    json_decref(cs);

    /* SIGTERM stops every daemon cleanly, and they say so. */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(th_stop(&m[i]->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    for (size_t i = 0; i < 3; i++) {
        json_t *ms = th_status(net, m[i]->dir);
        assert_false(
            json_is_true(th_jget(ms, "peers", "coord", "connected", NULL)));
        assert_int_equal(json_array_size(json_object_get(ms, "alarms")), 0);
        json_decref(ms);
    }
    net->passed = true;
}

/* ---- 3. nodes the roster does not admit ------------------------------ */

typedef struct {
    th_proc_t *p;       /* the coordinator */
    const char *needle; /* what its log must say */
} s_log_wait_t;

static bool
s_log_has(void *ctx)
{
    s_log_wait_t *w = ctx;
    return th_proc_log_has(w->p, w->needle);
}

static void
test_not_admitted(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *stranger = th_net_member(net, "stranger", false);
    th_node_t *susp = th_net_member(net, "susp", true);
    th_node_t *rev = th_net_member(net, "rev", true);
    th_node_t *ok = th_net_member(net, "ok", true);
    th_node_t *all[] = {stranger, susp, rev, ok};
    for (size_t i = 0; i < 4; i++)
        th_put_student(net, all[i], "s1", "one");
    th_net_expect(
        net, 0, TH_ARGS("--dir", net->coord.dir, "members", "suspend", "susp"));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "members", "revoke", "rev"));
    th_coord_start(net);

    static const char *const why[] = {
        "not on the roster", "member=susp: suspended", "member=rev: revoked"};
    for (size_t i = 0; i < 3; i++) {
        th_run_t r = th_sync(net, all[i], 20);
        if (r.status != 1)
            print_error("sync of %s: exit %d\n%s%s", all[i]->id, r.status,
                        r.out, r.err);
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "refused"));
        th_run_free(&r);
        /* The coordinator says whom it refused and why, in its log. */
        s_log_wait_t w = {&net->coord.proc, why[i]};
        if (!th_wait(s_log_has, &w, S_DEADLINE_MS))
            fail_msg("the coordinator's log does not say '%s' for %s", why[i],
                     all[i]->id);
    }
    /* The admitted member syncs: the coordinator was there all along. */
    th_run_t r = th_sync(net, ok, 20);
    assert_int_equal(r.status, 0);
    th_run_free(&r);

    json_t *cs = th_status(net, net->coord.dir);
    assert_null(th_jget(cs, "logs", "stranger", NULL));
    assert_int_equal(th_jint(cs, "logs", "susp", "size", NULL), 0);
    assert_int_equal(th_jint(cs, "logs", "rev", "size", NULL), 0);
    assert_int_equal(th_jint(cs, "logs", "ok", "size", NULL), 1);
    assert_null(th_jget(cs, "peers", "susp", NULL));
    assert_null(th_jget(cs, "peers", "rev", NULL));
    json_decref(cs);
    net->passed = true;
}

/* A member suspended while connected gets `suspended` for everything it
 * sends (SPEC 10.2), and sends again once it is activated. */
typedef struct {
    th_net_t *net;    /* the network */
    th_node_t *m;     /* the member */
    size_t n;         /* at least this many refused-by-peer alarms */
    const char *text; /* whose text is this */
} s_alarms_t;

static bool
s_alarms(void *ctx)
{
    s_alarms_t *a = ctx;
    json_t *ms = th_status(a->net, a->m->dir);
    size_t i, n = 0;
    json_t *al;
    json_array_foreach(json_object_get(ms, "alarms"), i, al)
    {
        const char *k = json_string_value(json_object_get(al, "kind"));
        const char *t = json_string_value(json_object_get(al, "text"));
        if (k && t && strcmp(k, "refused-by-peer") == 0 &&
            strcmp(t, a->text) == 0)
            n++;
    }
    json_decref(ms);
    return n >= a->n;
}

typedef struct {
    th_net_t *net;  /* the network */
    const char *id; /* the member */
    long long size; /* the coordinator's copy of its log has this size */
} s_copy_t;

static bool
s_copy_is(void *ctx)
{
    s_copy_t *z = ctx;
    json_t *cs = th_status(z->net, z->net->coord.dir);
    bool ok = th_jint(cs, "logs", z->id, "size", NULL) == z->size;
    json_decref(cs);
    return ok;
}

static void
test_suspended_while_connected(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "late", true);
    th_put_student(net, m, "s1", "one");
    th_coord_start(net);
    th_member_start(net, m);
    s_copy_t z = {net, m->id, 1};
    assert_true(th_wait(s_copy_is, &z, S_DEADLINE_MS));

    /* The coordinator reloads its roster when its log grows, and tells
     * the member, whose pull is refused. */
    th_net_expect(
        net, 0, TH_ARGS("--dir", net->coord.dir, "members", "suspend", m->id));
    s_alarms_t a = {net, m, 1, "suspended"};
    assert_true(th_wait(s_alarms, &a, S_DEADLINE_MS));
    /* A record put now is not taken: the member tries again after its
     * back-off and is refused again. */
    th_put_student(net, m, "s2", "two");
    a.n = 2;
    assert_true(th_wait(s_alarms, &a, S_DEADLINE_MS));
    json_t *cs = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(cs, "logs", m->id, "size", NULL), 1);
    json_decref(cs);
    assert_true(th_running(&m->proc));

    /* Activated again, the same session carries the record. */
    th_net_expect(
        net, 0, TH_ARGS("--dir", net->coord.dir, "members", "activate", m->id));
    z.size = 2;
    assert_true(th_wait(s_copy_is, &z, S_DEADLINE_MS));
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* The coordinator's receipt for m's log, as m's status shows it. */
typedef struct {
    th_net_t *net;   /* the network */
    th_node_t *m;    /* the member */
    long long acked; /* the receipt covers this many entries */
} s_acked_t;

static bool
s_acked_is(void *ctx)
{
    s_acked_t *a = ctx;
    json_t *ms = th_status(a->net, a->m->dir);
    bool ok = th_jint(ms, "peers", a->net->coord.id, "acked", a->m->id, NULL) ==
              a->acked;
    json_decref(ms);
    return ok;
}

/* Another process's long transaction on the member's store (an import
 * writes its chunks one after another, each holding the writer's lock):
 * the member daemon goes on sending what was committed before it. It
 * does not wait for the lock to read its new head, and with batches in
 * flight it records the receipts later (SPEC 8.6, 10.3). 30,000 entries
 * are 30 batches, more than the 12 a member has in flight: a daemon that
 * waits for the lock after the first ones (before: on each receipt)
 * leaves the coordinator short until the lock is free. The coordinator
 * takes them at S_LOCKED_RATE bytes a second, so that the sync lasts
 * several of the member's ticks (a tick that wrote the link's state took
 * the lock) and less than the 10 s after which the member records its
 * receipts anyway (SPEC 8.6). */
#define S_LOCKED_RATE "1000000"
static void
test_sends_while_locked(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "bulk", true);
    th_put_student(net, m, "s1", "one");
    assert_int_equal(setenv("VOCFED_RATE_BYTES", S_LOCKED_RATE, 1), 0);
    th_coord_start(net);
    assert_int_equal(unsetenv("VOCFED_RATE_BYTES"), 0);
    th_member_start(net, m);
    s_copy_t z = {net, m->id, 1};
    assert_true(th_wait(s_copy_is, &z, S_DEADLINE_MS));

    /* As an import writes: the log only, the derived data left to the
     * daemon's applier; then at once the writer's lock, as its next
     * chunk would. */
    uint8_t pk[PROTO_PUBKEY_LEN], *sk = NULL;
    store_t *st = NULL;
    store_head_t head;
    assert_int_equal(proto_unhex(m->pk, pk, sizeof pk), VOCFED_OK);
    assert_int_equal(
        store_open(m->dir, &(store_opts_t){.lazy_apply = true}, &st),
        VOCFED_OK);
    assert_int_equal(node_figures_attach_store(st), VOCFED_OK);
    assert_int_equal(node_identity_load(m->dir, pk, &sk), VOCFED_OK);
    th_students(st, m->id, sk, 2, 30000, 8, &head);
    node_identity_free(&sk);
    store_destroy(&st);
    z.size = (long long)head.size;
    assert_int_equal(z.size, 30001);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), MDB_SUCCESS);
    assert_int_equal(mdb_env_open(env, m->dir, MDB_NOTLS, 0600), MDB_SUCCESS);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), MDB_SUCCESS);
    bool sent = th_wait(s_copy_is, &z, S_DEADLINE_MS);
    mdb_txn_abort(txn); /* the lock is free again */
    mdb_env_close(env);
    assert_true(sent);
    /* The receipt is recorded once the flight has landed. */
    s_acked_t a = {net, m, z.size};
    assert_true(th_wait(s_acked_is, &a, S_DEADLINE_MS));
    assert_true(th_running(&m->proc));
    th_all_well(net, m->dir);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* ---- 4. a store altered on disk --------------------------------------- */

static void
test_tampered_store(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "tamp", true);
    th_put_student(net, m, "s1", "one");
    th_put_student(net, m, "s2", "two");
    th_coord_start(net);
    th_run_t r = th_sync(net, m, 20);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    json_t *cs = th_status(net, net->coord.dir);
    char before[128];
    s_head(cs, m->id, before, sizeof before);
    assert_int_equal(th_jint(cs, "logs", m->id, "size", NULL), 2);
    json_decref(cs);

    /* Two more entries, not sent yet; one byte of the first changes on
     * disk (a value of its body, so that it still decodes). */
    th_put_student(net, m, "s3", "tamper-me");
    th_put_student(net, m, "s4", "four");
    th_tamper_entry(m->dir, m->id, 3, "tamper-me", 'T');

    /* The next batch is refused whole, and everyone says so. */
    r = th_sync(net, m, 20);
    if (r.status != 1)
        print_error("sync: exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(r.status, 1);
    /* sync's own last word gives the coordinator's reason, not another. */
    const char *said = strstr(r.err, "vocfed: sync:");
    if (!said || !strstr(said, vocfed_status_token(VOCFED_EROOT)))
        fail_msg("sync does not give the reason: %s", r.err);
    th_run_free(&r);
    s_log_wait_t w = {&net->coord.proc, "batch refused member=tamp seq=3 "
                                        "reason=bad-root"};
    assert_true(th_wait(s_log_has, &w, S_DEADLINE_MS));

    cs = th_status(net, net->coord.dir);
    char after[128];
    s_head(cs, m->id, after, sizeof after);
    assert_string_equal(after, before);
    json_t *a = s_alarm(cs, "refused", m->id);
    assert_non_null(a);
    assert_int_equal(th_jint(a, "seq", NULL), 3);
    json_decref(cs);

    json_t *ms = th_status(net, m->dir);
    a = s_alarm(ms, "refused-by-peer", m->id);
    assert_non_null(a);
    assert_int_equal(th_jint(a, "seq", NULL), 3);
    assert_string_equal(json_string_value(json_object_get(a, "peer")), "coord");
    json_decref(ms);

    /* verify finds it at the member; the coordinator's copy is sound. */
    th_net_expect(net, 1, TH_ARGS("--dir", m->dir, "verify"));
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    net->passed = true;
}

/* ---- 5. entries claimed under another member's id --------------------- */

/* Re-encodes batch b with another author field: the same entries and
 * checkpoints, claimed by author. */
static void
s_reauthor(const proto_msg_batch_t *b, const char *author, proto_buf_t *out)
{
    proto_bytes_t ents[64], cps[64];
    proto_proof_t *cons = calloc(1, sizeof *cons);
    proto_proof_t *range = calloc(1, sizeof *range);
    proto_msg_iter_t it;
    size_t n = 0, ncp = 0;
    assert_non_null(cons);
    assert_non_null(range);
    assert_true(b->entries.count <= 64 && b->checkpoints.count <= 64);
    proto_msg_iter_init(&it, &b->entries);
    while (proto_msg_next_bin(&it, &ents[n].data, &ents[n].len) == 1)
        n++;
    proto_msg_iter_init(&it, &b->checkpoints);
    while (proto_msg_next_bin(&it, &cps[ncp].data, &cps[ncp].len) == 1)
        ncp++;
    assert_int_equal(proto_msg_proof(&b->consistency, cons), VOCFED_OK);
    assert_int_equal(proto_msg_proof(&b->range, range), VOCFED_OK);
    proto_msg_batch_in_t in = {
        .author = author,
        .first_seq = b->first_seq,
        .entries = ents,
        .count = n,
        .checkpoints = cps,
        .ncp = ncp,
        .old_size = b->old_size,
        .consistency = cons,
        .range = range,
    };
    assert_int_equal(proto_msg_encode_batch(&in, out), VOCFED_OK);
    free(cons);
    free(range);
}

static void
test_wrong_author(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *alice = th_net_member(net, "alice", true);
    th_node_t *bob = th_net_member(net, "bob", true);
    th_put_student(net, bob, "s1", "one");
    th_put_student(net, bob, "s2", "two");
    th_put_student(net, bob, "s3", "three");
    th_coord_start(net);

    proto_buf_t batch, forged;
    proto_buf_init(&batch);
    proto_buf_init(&forged);
    s_batch_of(bob, &batch);
    proto_msg_t m;
    assert_int_equal(proto_msg_decode(batch.data, batch.len, &m), VOCFED_OK);
    s_reauthor(&m.batch, "alice", &forged);

    s_client_t c = {0};
    s_client_open(&c, net, alice);
    char code[64];
    /* bob's batch, sent by alice. */
    s_expect_error(&c, batch.data, batch.len, code, sizeof code);
    assert_string_equal(code, "wrong-author");
    /* bob's entries and checkpoints, claimed as alice's log: bob's
     * signatures do not open with alice's key. */
    s_expect_error(&c, forged.data, forged.len, code, sizeof code);
    assert_string_equal(code, vocfed_status_token(VOCFED_EBADSIG));
    s_client_close(&c);
    proto_buf_release(&batch);
    proto_buf_release(&forged);

    /* One line for the interval's abuse, the first refusal's details. */
    s_log_wait_t w = {&net->coord.proc, "batch refused member=alice "};
    assert_true(th_wait(s_log_has, &w, S_DEADLINE_MS));
    w.needle = "reason=wrong-author";
    assert_true(th_wait(s_log_has, &w, S_DEADLINE_MS));
    w.needle = "abuse member=alice in the last 10 s: refused=1";
    assert_true(th_wait(s_log_has, &w, S_DEADLINE_MS));
    th_count_t n = {net, "alice", "refused", 2, 0};
    if (!th_wait(th_counted, &n, S_DEADLINE_MS))
        fail_msg("refusals of alice: %lld", n.seen);
    json_t *cs = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(cs, "logs", "bob", "size", NULL), 0);
    assert_int_equal(th_jint(cs, "logs", "alice", "size", NULL), 0);
    json_t *a = s_alarm(cs, "refused", "bob");
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(a, "peer")), "alice");
    json_decref(cs);

    /* The same batch from its author is taken. */
    th_run_t r = th_sync(net, bob, 20);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    cs = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(cs, "logs", "bob", "size", NULL), 3);
    json_decref(cs);
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    net->passed = true;
}

/* ---- 6. malformed and oversized messages ------------------------------ */

static bool
s_exited(void *ctx)
{
    return !th_running(ctx);
}

static void
test_malformed(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *alice = th_net_member(net, "alice", true);
    th_node_t *bob = th_net_member(net, "bob", true);
    th_put_student(net, alice, "s1", "one");
    th_put_student(net, bob, "s1", "one");
    th_put_student(net, bob, "s2", "two");
    th_coord_start(net);

    proto_buf_t batch;
    proto_buf_init(&batch);
    s_batch_of(alice, &batch);

    s_client_t c = {0};
    s_client_open(&c, net, alice);
    /* bob syncs meanwhile. */
    char t[16];
    snprintf(t, sizeof t, "%d", 20);
    th_spawn(&bob->proc, net->root,
             TH_ARGS(VOCFED_BINARY, "--dir", bob->dir, "sync", "--coordinator",
                     net->endpoint, "--coordinator-key", net->coord.pk,
                     "--timeout", t));

    char code[64];
    long long malformed = 0;
    /* Garbage. */
    static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 'x', 0xc1};
    s_expect_error(&c, garbage, sizeof garbage, code, sizeof code);
    malformed++;
    /* A valid batch cut short at each of a few points. */
    size_t cuts[] = {1, 2, batch.len / 2, batch.len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        s_expect_error(&c, batch.data, cuts[i], code, sizeof code);
        malformed++;
    }
    /* A valid message with bytes after it. */
    uint8_t *longer = malloc(batch.len + 1);
    assert_non_null(longer);
    memcpy(longer, batch.data, batch.len);
    longer[batch.len] = 0xc0;
    s_expect_error(&c, longer, batch.len + 1, code, sizeof code);
    assert_string_equal(code, vocfed_status_token(VOCFED_EMALFORMED));
    free(longer);
    malformed++;
    /* Large ones the program sees: a frame under the socket's cap
     * (ZMQ_MAXMSGSIZE, a margin over PROTO_MSG_MAX, CURVE's bytes
     * included) reaches the coordinator, which refuses it itself. */
    uint8_t *big = malloc(2 * PROTO_MSG_MAX);
    assert_non_null(big);
    memset(big, 0xc1, 2 * PROTO_MSG_MAX); /* 0xc1: never used in msgpack */
    s_expect_error(&c, big, PROTO_MSG_MAX - 4096, code, sizeof code);
    assert_string_equal(code, vocfed_status_token(VOCFED_EMALFORMED));
    malformed++;
    s_expect_error(&c, big, PROTO_MSG_MAX + 1, code, sizeof code);
    assert_string_equal(code, vocfed_status_token(VOCFED_ETOOLARGE));
    /* counted apart: abuse.too_large */
    /* Over the cap, libzmq drops the connection when the frame's header
     * states its size, before anything is allocated for it: the program
     * never sees it (nor counts it). The client connects again. */
    s_client_send(&c, big, 2 * PROTO_MSG_MAX);
    free(big);
    if (!s_client_event(&c, "DISCONNECTED", S_DEADLINE_MS))
        fail_msg("an oversized message did not end the connection");
    assert_true(s_client_event(&c, "HANDSHAKE_SUCCEEDED", S_DEADLINE_MS));
    /* The coordinator still serves this member... */
    s_expect_error(&c, garbage, sizeof garbage, code, sizeof code);
    malformed++;
    /* ...and takes its batch. */
    proto_msg_t m;
    s_client_send(&c, batch.data, batch.len);
    zframe_t *f = s_client_recv(&c, &m);
    assert_int_equal(m.type, PROTO_MSG_RECEIPT);
    zframe_destroy(&f);
    s_client_close(&c);
    proto_buf_release(&batch);

    /* Counted, and persisted within a second or so. */
    th_count_t n = {net, "alice", "malformed", malformed, 0};
    if (!th_wait(th_counted, &n, S_DEADLINE_MS))
        fail_msg("malformed messages of alice: %lld of %lld", n.seen,
                 malformed);
    assert_int_equal(n.seen, malformed);
    json_t *cs = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(cs, "peers", "alice", "abuse", "too_large", NULL),
                     1);
    assert_int_equal(th_jint(cs, "peers", "alice", "abuse", "malformed", NULL),
                     malformed);
    json_decref(cs);
    /* Logged once for the interval, not once per message. */
    s_log_wait_t w = {&net->coord.proc, "abuse member=alice in the last 10 s: "
                                        "malformed=1"};
    assert_true(th_wait(s_log_has, &w, S_DEADLINE_MS));

    /* bob's sync went through. */
    assert_true(th_wait(s_exited, &bob->proc, S_DEADLINE_MS));
    assert_int_equal(bob->proc.code, 0);
    cs = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(cs, "logs", "bob", "size", NULL), 2);
    assert_int_equal(th_jint(cs, "logs", "alice", "size", NULL), 1);
    assert_int_equal(th_jint(cs, "peers", "bob", "malformed", NULL), 0);
    json_decref(cs);
    assert_true(th_running(&net->coord.proc));
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    net->passed = true;
}

/* Whether status (--json) shows a raised alarm (not one cleared) of kind
 * whose text holds part. */
static bool
s_has_alarm(json_t *status, const char *kind, const char *part)
{
    size_t i;
    json_t *al;
    json_array_foreach(json_object_get(status, "alarms"), i, al)
    {
        const char *k = json_string_value(json_object_get(al, "kind"));
        const char *t = json_string_value(json_object_get(al, "text"));
        if (k && t && strcmp(k, kind) == 0 && strstr(t, part) &&
            json_is_true(json_object_get(al, "raised")))
            return true;
    }
    return false;
}

/* A member whose settings name its coordinator's id (vocfed init
 * --coordinator-id registers that id first, SPEC 5.1) takes nothing from
 * a coordinator that says it has another id, and says why; with the
 * right id it syncs. */
static void
test_coordinator_id(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "named", true);
    th_put_student(net, m, "s1", "one");
    th_member_config(net, m);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "config", "set", "coordinator_id",
                          "elsewhere"));
    th_coord_start(net);

    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", m->dir, "sync", "--timeout", "20"));
    if (r.status != 1)
        print_error("sync: exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "settings name elsewhere"));
    th_run_free(&r);
    json_t *ms = th_status(net, m->dir);
    assert_null(th_jget(ms, "logs", net->coord.id, NULL));
    assert_true(s_has_alarm(ms, "connection", "settings name elsewhere"));
    json_decref(ms);
    json_t *cs = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(cs, "logs", m->id, "size", NULL), 0);
    json_decref(cs);

    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "config", "set", "coordinator_id",
                          net->coord.id));
    r = th_net_run(net, TH_ARGS("--dir", m->dir, "sync", "--timeout", "20"));
    if (r.status != 0)
        print_error("sync: exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    ms = th_status(net, m->dir);
    assert_true(th_jint(ms, "logs", net->coord.id, "size", NULL) > 0);
    assert_false(s_has_alarm(ms, "connection", "settings name"));
    json_decref(ms);
    cs = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(cs, "logs", m->id, "size", NULL), 1);
    json_decref(cs);
    net->passed = true;
}

/* Another coordinator store made with the coordinator's own key under
 * the id `id` (node.key copied, then what `vocfed init --coordinator`
 * writes): what an operator gets by making the coordinator again from its
 * old key with another id. It admits m and is not started. */
static void
s_twin(th_net_t *net, th_node_t *t, const char *id, const th_node_t *m)
{
    char from[192], to[192];
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->dir, sizeof t->dir, "%s/%s", net->root, id);
    snprintf(t->proc.log, sizeof t->proc.log, "%s/%s.log", net->root, id);
    snprintf(t->pk, sizeof t->pk, "%s", net->coord.pk);
    assert_int_equal(mkdir(t->dir, 0700), 0);
    snprintf(from, sizeof from, "%s/node.key", net->coord.dir);
    snprintf(to, sizeof to, "%s/node.key", t->dir);
    size_t len;
    uint8_t *key = th_read_file(from, &len);
    assert_non_null(key);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fchmod(fileno(f), 0600), 0);
    assert_int_equal(fwrite(key, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(key);

    uint8_t pk[PROTO_PUBKEY_LEN], *sk = NULL;
    assert_int_equal(proto_unhex(t->pk, pk, sizeof pk), 0);
    assert_int_equal(node_identity_load(t->dir, pk, &sk), 0);
    node_t *n = NULL;
    assert_int_equal(node_open(t->dir, NODE_OPEN_CREATE, &n), 0);
    store_t *st = node_store(n);
    const char *const meta[][2] = {
        {NODE_META_ID, id},
        {NODE_META_NAME, "Twin"},
        {NODE_META_ROLE, "coordinator"},
        {NODE_META_PUBKEY, t->pk},
        {NODE_META_CREATED, "1"},
    };
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
        assert_int_equal(store_meta_set(st, meta[i][0], meta[i][1]), 0);
    assert_int_equal(store_author_add(st, id, pk), 0);
    assert_int_equal(node_seed_coordinator(st, id, sk, NULL), 0);
    node_close(&n);
    node_identity_free(&sk);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", t->dir, "members", "add", m->id, m->pk));
}

/* The member's alarm of kind "connection" whose text has `part` is
 * raised (or, raised false, none such is). */
static bool
s_connection_alarm(th_net_t *net, const th_node_t *m, const char *part)
{
    json_t *ms = th_status(net, m->dir);
    bool has = s_has_alarm(ms, "connection", part);
    json_decref(ms);
    return has;
}

typedef struct {
    th_net_t *net;
    const th_node_t *m;
    const char *part;
} s_alarm_wait_t;

static bool
s_alarm_raised(void *ctx)
{
    s_alarm_wait_t *w = ctx;
    return s_connection_alarm(w->net, w->m, w->part);
}

static bool
s_alarm_gone(void *ctx)
{
    return !s_alarm_raised(ctx);
}

/* A coordinator's key is bound to one id at a member (SPEC 10.3): a
 * coordinator with that key that says it has another id is refused with
 * a `connection` alarm, nothing of its log is taken and no author is
 * registered for it; whether the member's store learnt the id in an
 * earlier run (`vocfed sync` here) or its running daemon did, and the
 * settings name none. The right coordinator back clears the alarm. */
static void
test_coordinator_renamed(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "school", true);
    th_put_student(net, m, "s1", "one");
    th_coord_start(net);
    th_run_t r = th_sync(net, m, 20);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    th_authors_t before;
    th_authors(m->dir, &before);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);

    th_node_t twin;
    s_twin(net, &twin, "twin", m);
    const char *argv[] = {VOCFED_BINARY, "--dir",       twin.dir, "coordinator",
                          "--listen",    net->endpoint, NULL};
    th_spawn(&twin.proc, net->root, argv);
    assert_true(th_proc_wait_log(&twin.proc, "listening on", 10000));

    /* A later run: the store registered the key as "coord". */
    r = th_sync(net, m, 20);
    if (r.status != 1)
        print_error("sync: exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err,
                           "says it is twin, but its key is registered in this "
                           "store as coord"));
    th_run_free(&r);
    assert_true(s_connection_alarm(net, m, "key is registered in this store"));
    th_authors_t after;
    th_authors(m->dir, &after);
    assert_int_equal(after.n, before.n);
    assert_int_equal(th_log_size(net, m->dir, "twin"), -1);

    /* The running daemon: it learns "coord", then the twin answers. */
    th_stop(&twin.proc, SIGTERM, 10000);
    th_coord_start(net);
    th_member_start(net, m);
    s_alarm_wait_t w = {net, m, "key is registered in this store"};
    assert_true(th_wait(s_alarm_gone, &w, S_DEADLINE_MS));
    th_put_student(net, m, "s2", "two");
    th_wait_log_size(net, net->coord.dir, m->id, 2, S_DEADLINE_MS);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    th_spawn(&twin.proc, net->root, argv);
    assert_true(th_proc_wait_log(&twin.proc, "listening on", 10000));
    w.part = "now says it is twin; it said coord before";
    assert_true(th_wait(s_alarm_raised, &w, S_DEADLINE_MS));
    assert_true(th_proc_log_has(&m->proc, "now says it is twin"));
    th_authors(m->dir, &after);
    assert_int_equal(after.n, before.n);

    /* The right coordinator again: the alarm clears. */
    th_stop(&twin.proc, SIGTERM, 10000);
    th_coord_start(net);
    assert_true(th_wait(s_alarm_gone, &w, S_DEADLINE_MS));
    th_stop(&m->proc, SIGTERM, 10000);
    net->passed = true;
}

int
main(void)
{
    zsys_init();
    zsys_handler_set(NULL); /* cmocka and the tests own the signals */
#define S_T(f) cmocka_unit_test_setup_teardown(f, th_net_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_three_members),
        S_T(test_not_admitted),
        S_T(test_suspended_while_connected),
        S_T(test_sends_while_locked),
        S_T(test_tampered_store),
        S_T(test_wrong_author),
        S_T(test_malformed),
        S_T(test_coordinator_id),
        S_T(test_coordinator_renamed),
    };
#undef S_T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
