/* A coordinator restored from a copy recovers its own log from the
 * members; a coordinator that conflicts with their copies is alarmed at
 * every member; a real fork of a member is quarantined, shown and
 * released (issue 12 item 1; SPEC 5.6, 8.5, 10.7): real coordinator and
 * member processes on 127.0.0.1, every wait on a condition with a
 * deadline, every process stopped by pid.
 *
 * 1. Backup, a target, the backup put back: the daemon fetches the
 *    target from the member that holds it, signs nothing meanwhile (a
 *    put waits for it), lifts the fence once every active member has
 *    spoken; the target and a new one reach every member; a member's
 *    records the copy lacked come back by the normal sync; no alarm, no
 *    quarantine, verify everywhere.
 * 2. A coordinator put back without its fence, which signs another
 *    target at the size the members hold: coordinator-conflict at every
 *    member, the coordinator quarantined there with the evidence, its
 *    later log not taken; status exits 1.
 * 3. The same with two targets past the copy, which the member's copy
 *    alone cannot show at one size: the batch does not extend it. The
 *    right store put back and released at the member: the alarm clears,
 *    the coordinator's log flows again.
 * 4. A member's store copied, the two copies sign different entries at
 *    one size, both reach the coordinator (the second below the
 *    member's own checks, as a member without them sends it): the
 *    coordinator quarantines; `members evidence` shows both checkpoints;
 *    the right store put back and `members release`: it syncs again,
 *    the evidence stays, verify passes.
 * 5. A member that claims more of the coordinator's log than it holds
 *    (heads are not signed) fences nothing: the coordinator signs on. */
#include "node/daemon.h"
#include "node/identity.h"
#include "node/replicate.h"
#include "protocol/hash.h"
#include "protocol/msg.h"
#include "storage/backup.h"
#include "tests/harness.h"

#include <czmq.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_DEADLINE_MS 30000 /* for anything to settle */

/* The store in dir's fence (`status --json` fenced), "" when none. */
static void
s_fence(th_net_t *net, const char *dir, char *why, size_t cap)
{
    json_t *j = th_status(net, dir);
    const char *f = json_string_value(json_object_get(j, "fenced"));
    snprintf(why, cap, "%s", f ? f : "");
    json_decref(j);
}

static bool
s_unfenced(void *ctx)
{
    th_net_t *net = ctx;
    char why[256];
    s_fence(net, net->coord.dir, why, sizeof why);
    return why[0] == 0;
}

/* How many alarms of kind are raised at dir. */
static long long
s_raised(th_net_t *net, const char *dir, const char *kind)
{
    json_t *j = th_status(net, dir), *v;
    size_t i;
    long long n = 0;
    json_array_foreach(json_object_get(j, "alarms"), i, v)
    {
        if (json_is_true(json_object_get(v, "raised")) &&
            (!kind ||
             strcmp(json_string_value(json_object_get(v, "kind")), kind) == 0))
            n++;
    }
    json_decref(j);
    return n;
}

/* A condition: an alarm of kind raised at dir. */
typedef struct {
    th_net_t *net;    /* the network */
    const char *dir;  /* whose store */
    const char *kind; /* which alarm */
} s_alarm_t;

static bool
s_alarmed(void *ctx)
{
    s_alarm_t *a = ctx;
    return s_raised(a->net, a->dir, a->kind) > 0;
}

static bool
s_no_alarm(void *ctx)
{
    s_alarm_t *a = ctx;
    return s_raised(a->net, a->dir, NULL) == 0;
}

/* Fails, with the store's status, unless dir's alarms all clear. */
static void
s_expect_no_alarm(th_net_t *net, const char *dir)
{
    s_alarm_t none = {net, dir, NULL};
    if (th_wait(s_no_alarm, &none, S_DEADLINE_MS))
        return;
    th_run_t r = th_net_run(net, TH_ARGS("--dir", dir, "status"));
    fail_msg("alarms raised at %s:\n%s", dir, r.out);
}

/* `vocfed put target FIGURE:YEAR value=V` at the coordinator, exit want. */
static void
s_target(th_net_t *net, const char *key, const char *value, int want)
{
    char v[64];
    snprintf(v, sizeof v, "value=%s", value);
    th_net_expect(net, want,
                  TH_ARGS("--dir", net->coord.dir, "put", "target", key, v));
}

/* The value of target key at the store in dir, "" when it holds none. */
static void
s_target_at(th_net_t *net, const char *dir, const char *key, char *out,
            size_t cap)
{
    th_run_t r = th_net_run(net, TH_ARGS("--dir", dir, "get", "target", key,
                                         "--author", net->coord.id));
    out[0] = 0;
    if (r.status == 0) {
        json_t *j = th_json(r.out);
        json_t *v = th_jget(j, "body", "value", NULL);
        snprintf(out, cap, "%s",
                 json_string_value(v) ? json_string_value(v) : "?");
        json_decref(j);
    }
    th_run_free(&r);
}

/* Replaces dir's store files with the log in the copy bk (node.key and
 * vocfed.cfg stay; the derived data follow the log again). */
static void
s_put_back(th_net_t *net, const char *dir, const char *bk)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "rm -f %s/data.mdb %s/lock.mdb %s/derived.mdb "
             "%s/derived.mdb-lock %s/derived.boot && cp %s/data.mdb %s/",
             dir, dir, dir, dir, dir, bk, dir);
    th_net_note(net, "[%s]", cmd);
    assert_int_equal(system(cmd), 0);
}

/* Every store verifies. */
static void
s_verify_all(th_net_t *net)
{
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    for (size_t i = 0; i < net->n; i++)
        th_net_expect(net, 0, TH_ARGS("--dir", net->members[i].dir, "verify"));
}

/* Whether the store in dir quarantines author (`status --json`). */
static bool
s_quarantined(th_net_t *net, const char *dir, const char *author)
{
    json_t *j = th_status(net, dir);
    bool q = json_is_true(th_jget(j, "logs", author, "quarantined", NULL));
    json_decref(j);
    return q;
}

/* The put started while the coordinator is fenced says it waits. */
static bool
s_put_waits(void *ctx)
{
    return th_proc_log_has(ctx, "waiting up to");
}

/* The brief's scenario: backup, a target, the backup put back, start:
 * the target comes back from the member that holds it and reaches the
 * one that was away. */
static void
test_recovers(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *a = th_net_member(net, "aqvtc", true);
    th_node_t *b = th_net_member(net, "bbbbb", true);
    th_member_config(net, a);
    th_member_config(net, b);
    th_coord_start(net);
    th_member_start(net, a);
    th_member_start(net, b);
    th_put_student(net, a, "s1", NULL);
    th_wait_log_size(net, net->coord.dir, a->id, 1, S_DEADLINE_MS);
    char bk[160], why[256], v[64];
    snprintf(bk, sizeof bk, "%s/bk", net->root);
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "backup", bk));
    long long base = th_log_size(net, net->coord.dir, net->coord.id);
    /* b away; the target reaches a only; a's s2 reaches the coordinator. */
    assert_int_equal(th_stop(&b->proc, SIGTERM, 10000), 0);
    s_target(net, "hv_enrolled:2027", "7", 0);
    th_put_student(net, a, "s2", NULL);
    th_wait_log_size(net, a->dir, net->coord.id, base + 1, S_DEADLINE_MS);
    th_wait_log_size(net, net->coord.dir, a->id, 2, S_DEADLINE_MS);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);

    /* The copy put back: fenced, one entry short, no daemon: a put is
     * refused at once, nothing signed. */
    s_put_back(net, net->coord.dir, bk);
    assert_int_equal(th_log_size(net, net->coord.dir, net->coord.id), base);
    s_fence(net, net->coord.dir, why, sizeof why);
    assert_non_null(strstr(why, "vocfed backup"));
    const char *const tries[][9] = {
        {"--dir", net->coord.dir, "put", "target", "hv_enrolled:2028",
         "value=1", NULL},
        {"--dir", net->coord.dir, "members", "suspend", b->id, NULL}};
    for (size_t i = 0; i < 2; i++) {
        th_run_t r = th_net_run(net, tries[i]);
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "fenced"));
        th_run_free(&r);
    }
    assert_int_equal(th_log_size(net, net->coord.dir, net->coord.id), base);

    /* Its daemon fetches the target from a; b has not spoken: still
     * fenced. A put meanwhile waits for the fence. */
    th_coord_start(net);
    th_wait_log_size(net, net->coord.dir, net->coord.id, base + 1,
                     S_DEADLINE_MS);
    s_target_at(net, net->coord.dir, "hv_enrolled:2027", v, sizeof v);
    assert_string_equal(v, "7");
    s_fence(net, net->coord.dir, why, sizeof why);
    assert_string_not_equal(why, "");
    th_proc_t put = {0};
    snprintf(put.log, sizeof put.log, "%s/put.log", net->root);
    th_spawn(&put, net->root,
             TH_ARGS(VOCFED_BINARY, "--dir", net->coord.dir, "put", "target",
                     "hv_enrolled:2029", "value=9"));
    assert_true(th_wait(s_put_waits, &put, S_DEADLINE_MS));
    assert_int_equal(th_log_size(net, net->coord.dir, net->coord.id), base + 1);
    /* b speaks: every active member has; the fence goes, the put signs. */
    th_member_start(net, b);
    assert_true(th_wait(s_unfenced, net, S_DEADLINE_MS));
    int code = th_stop(&put, 0, S_DEADLINE_MS);
    if (code != 0)
        fail_msg("the waiting put exited %d", code);
    /* Every member gets both targets; a's s2 came back too. */
    for (size_t i = 0; i < net->n; i++) {
        th_wait_log_size(net, net->members[i].dir, net->coord.id, base + 2,
                         S_DEADLINE_MS);
        s_target_at(net, net->members[i].dir, "hv_enrolled:2027", v, sizeof v);
        assert_string_equal(v, "7");
        s_target_at(net, net->members[i].dir, "hv_enrolled:2029", v, sizeof v);
        assert_string_equal(v, "9");
    }
    th_wait_log_size(net, net->coord.dir, a->id, 2, S_DEADLINE_MS);
    s_verify_all(net);
    for (size_t i = 0; i < net->n; i++) {
        s_expect_no_alarm(net, net->members[i].dir);
        assert_false(s_quarantined(net, net->members[i].dir, net->coord.id));
    }
    s_expect_no_alarm(net, net->coord.dir);
    net->passed = true;
}

/* A coordinator that signs another history at the members' size: every
 * member alarms and takes nothing more from it. */
static void
test_conflict(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *a = th_net_member(net, "aqvtc", true);
    th_node_t *b = th_net_member(net, "bbbbb", true);
    th_member_config(net, a);
    th_member_config(net, b);
    th_coord_start(net);
    th_member_start(net, a);
    th_member_start(net, b);
    char bk[160], v[64];
    snprintf(bk, sizeof bk, "%s/bk", net->root);
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "backup", bk));
    long long base = th_log_size(net, net->coord.dir, net->coord.id);
    s_target(net, "hv_enrolled:2027", "7", 0);
    for (size_t i = 0; i < net->n; i++)
        th_wait_log_size(net, net->members[i].dir, net->coord.id, base + 1,
                         S_DEADLINE_MS);
    assert_int_equal(th_stop(&a->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&b->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    /* Put back, its fence lifted by hand (unfence refuses without
     * --force), another target signed at the same size. */
    s_put_back(net, net->coord.dir, bk);
    th_net_expect(net, 1, TH_ARGS("--dir", net->coord.dir, "unfence"));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "unfence", "--force"));
    th_net_expect(net, 2, TH_ARGS("--dir", a->dir, "unfence", "--force"));
    s_target(net, "hv_enrolled:2027", "8", 0);
    assert_int_equal(th_log_size(net, net->coord.dir, net->coord.id), base + 1);
    th_coord_start(net);
    th_member_start(net, a);
    th_member_start(net, b);
    for (size_t i = 0; i < net->n; i++) {
        const char *dir = net->members[i].dir;
        s_alarm_t al = {net, dir, "coordinator-conflict"};
        if (!th_wait(s_alarmed, &al, S_DEADLINE_MS))
            fail_msg("no coordinator-conflict at %s", dir);
        /* status exits 1 while it stands (th_status takes 0 or 1) */
        th_run_t r =
            th_net_run(net, TH_ARGS("--dir", dir, "status", "--check"));
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.out, "coordinator-conflict"));
        th_run_free(&r);
    }
    /* The evidence at each member: quarantined, two checkpoints at the
     * size, held and received. */
    for (size_t i = 0; i < net->n; i++) {
        const char *dir = net->members[i].dir;
        th_run_t r =
            th_net_run(net, TH_ARGS("--dir", dir, "members", "evidence",
                                    net->coord.id, "--json"));
        assert_int_equal(r.status, 0);
        json_t *j = th_json(r.out);
        assert_true(json_is_true(th_jget(j, "quarantined", NULL)));
        json_t *ev = th_jget(j, "evidence", NULL);
        assert_true(json_array_size(ev) >= 1);
        assert_int_equal(
            th_jint(json_array_get(ev, 0), "received", "size", NULL), base + 1);
        json_decref(j);
        th_run_free(&r);
        /* its log as it was: the first target, not the other */
        s_target_at(net, dir, "hv_enrolled:2027", v, sizeof v);
        assert_string_equal(v, "7");
    }
    /* Nothing more taken from it. */
    s_target(net, "hv_enrolled:2030", "3", 0);
    s_alarm_t cc = {net, net->coord.dir, "copy-conflict"};
    assert_true(th_wait(s_alarmed, &cc, S_DEADLINE_MS));
    for (size_t i = 0; i < net->n; i++)
        assert_int_equal(th_log_size(net, net->members[i].dir, net->coord.id),
                         base + 1);
    net->passed = true;
}

/* Sends the message in msg to the coordinator over CURVE as m (its key
 * in dir), below the member's own checks, and waits for the first
 * answer: answer gets the code of an error, or "receipt", "heads",
 * "pull". */
static void
s_raw_send(th_net_t *net, const char *dir, const th_node_t *m,
           const proto_buf_t *msg, char *answer, size_t cap)
{
    uint8_t pk[PROTO_PUBKEY_LEN], cpk[PROTO_PUBKEY_LEN], server[32];
    uint8_t *sk = NULL;
    zsock_t *d = NULL;
    assert_int_equal(proto_unhex(m->pk, pk, sizeof pk), VOCFED_OK);
    assert_int_equal(proto_unhex(net->coord.pk, cpk, sizeof cpk), VOCFED_OK);
    assert_int_equal(node_identity_load(dir, pk, &sk), VOCFED_OK);
    assert_int_equal(node_daemon_socket(ZMQ_DEALER, sk, &d), VOCFED_OK);
    node_identity_free(&sk);
    assert_int_equal(node_pubkey_curve(cpk, server), VOCFED_OK);
    zsock_set_curve_serverkey_bin(d, server);
    zsock_set_rcvtimeo(d, S_DEADLINE_MS);
    assert_int_equal(zsock_connect(d, "%s", net->endpoint), 0);
    assert_int_equal(zmq_send(zsock_resolve(d), msg->data, msg->len, 0),
                     (int)msg->len);
    zmsg_t *reply = zmsg_recv(d);
    assert_non_null(reply);
    zframe_t *f = zmsg_first(reply);
    proto_msg_t mm;
    assert_int_equal(proto_msg_decode(zframe_data(f), zframe_size(f), &mm), 0);
    const char *names[] = {[PROTO_MSG_RECEIPT] = "receipt",
                           [PROTO_MSG_HEADS] = "heads",
                           [PROTO_MSG_PULL] = "pull"};
    if (mm.type == PROTO_MSG_ERROR)
        snprintf(answer, cap, "%.*s", (int)mm.error.code_len, mm.error.code);
    else
        snprintf(answer, cap, "%s",
                 (size_t)mm.type < sizeof names / sizeof names[0] &&
                         names[mm.type]
                     ? names[mm.type]
                     : "other");
    zmsg_destroy(&reply);
    zsock_destroy(&d);
}

/* The coordinator put back without its fence signs two targets past
 * the backup: its batch does not extend the member's copy (the heads
 * alone show nothing: the size is past the member's). coordinator-
 * conflict, the coordinator quarantined with the evidence. The operator
 * puts the right store back and releases it at the member: the alarm
 * clears and the member takes the coordinator's log again. */
static void
test_conflict_mended(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *a = th_net_member(net, "aqvtc", true);
    th_member_config(net, a);
    th_coord_start(net);
    th_member_start(net, a);
    char bk[160], right[160], v[64];
    snprintf(bk, sizeof bk, "%s/bk", net->root);
    snprintf(right, sizeof right, "%s/right", net->root);
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "backup", bk));
    long long base = th_log_size(net, net->coord.dir, net->coord.id);
    s_target(net, "hv_enrolled:2027", "7", 0);
    th_wait_log_size(net, a->dir, net->coord.id, base + 1, S_DEADLINE_MS);
    assert_int_equal(th_stop(&a->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    assert_int_equal(mkdir(right, 0700), 0);
    s_put_back(net, right, net->coord.dir); /* the right store, aside */
    s_put_back(net, net->coord.dir, bk);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "unfence", "--force"));
    s_target(net, "hv_enrolled:2027", "8", 0);
    s_target(net, "hv_enrolled:2028", "8", 0);
    th_coord_start(net);
    th_member_start(net, a);
    s_alarm_t al = {net, a->dir, "coordinator-conflict"};
    assert_true(th_wait(s_alarmed, &al, S_DEADLINE_MS));
    assert_true(s_quarantined(net, a->dir, net->coord.id));
    th_run_t r = th_net_run(net, TH_ARGS("--dir", a->dir, "members", "evidence",
                                         net->coord.id, "--json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    json_t *ev = json_array_get(th_jget(j, "evidence", NULL), 0);
    assert_int_equal(th_jint(ev, "held", "size", NULL), base + 1);
    assert_int_equal(th_jint(ev, "received", "size", NULL), base + 2);
    json_decref(j);
    th_run_free(&r);
    assert_int_equal(th_log_size(net, a->dir, net->coord.id), base + 1);
    /* A one-shot sync says the coordinator's log is not taken. */
    assert_int_equal(th_stop(&a->proc, SIGTERM, 10000), 0);
    r = th_sync(net, a, 30);
    if (r.status != 1 || !strstr(r.err, "quarantined"))
        fail_msg("sync: exit %d\n%s", r.status, r.err);
    th_run_free(&r);
    th_member_start(net, a);
    /* Mended: the right store back, then the release at the member. */
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    s_put_back(net, net->coord.dir, right);
    th_coord_start(net);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", a->dir, "members", "release", net->coord.id,
                          "--note", "the right coordinator store is back"));
    s_expect_no_alarm(net, a->dir);
    s_target(net, "hv_enrolled:2029", "9", 0);
    th_wait_log_size(net, a->dir, net->coord.id, base + 2, S_DEADLINE_MS);
    s_target_at(net, a->dir, "hv_enrolled:2029", v, sizeof v);
    assert_string_equal(v, "9");
    s_target_at(net, a->dir, "hv_enrolled:2027", v, sizeof v);
    assert_string_equal(v, "7");
    s_verify_all(net);
    net->passed = true;
}

/* The member's batch of its own log from held + 1, built from the store
 * in dir (signed by m's key there), sent as s_raw_send does. */
static void
s_raw_batch(th_net_t *net, const char *dir, const th_node_t *m, uint64_t held,
            char *answer, size_t cap)
{
    store_t *st = NULL;
    uint64_t last;
    proto_buf_t out;
    proto_buf_init(&out);
    assert_int_equal(store_open(dir, &(store_opts_t){.no_derived = true}, &st),
                     0);
    assert_int_equal(node_batch_build(st, m->id, held, NODE_BATCH_ENTRIES,
                                      NODE_BATCH_BYTES, &out, &last),
                     VOCFED_OK);
    store_destroy(&st);
    s_raw_send(net, dir, m, &out, answer, cap);
    proto_buf_release(&out);
}

static bool
s_logged(void *ctx)
{
    return th_proc_log_has(ctx, "asking it for them");
}

/* A member that claims to hold more of the coordinator's log than it
 * does (heads are not signed) is asked for it, and stops nothing: the
 * coordinator is not fenced and signs on. */
static void
test_lying_claim(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *a = th_net_member(net, "aqvtc", true);
    th_coord_start(net);
    char answer[64], why[256];
    proto_head_t h[2] = {
        {a->id, strlen(a->id), 0, {0}, 0},
        {net->coord.id, strlen(net->coord.id), 1000000, {0}, 1000000}};
    proto_hash(PROTO_HASH_BLAKE2B256, NULL, 0, h[0].root);
    proto_buf_t out;
    proto_buf_init(&out);
    assert_int_equal(proto_msg_encode_hello(a->id, h, 2, &out), VOCFED_OK);
    s_raw_send(net, a->dir, a, &out, answer, sizeof answer);
    proto_buf_release(&out);
    assert_string_equal(answer, "heads");
    /* it was asked, and nothing more: no batch came */
    assert_true(th_wait(s_logged, &net->coord.proc, S_DEADLINE_MS));
    s_target(net, "hv_enrolled:2027", "7", 0);
    s_fence(net, net->coord.dir, why, sizeof why);
    assert_string_equal(why, "");
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    net->passed = true;
}

/* Syncs m once; returns the exit code. */
static int
s_sync(th_net_t *net, const th_node_t *m)
{
    th_run_t r = th_sync(net, m, 30);
    int code = r.status;
    th_run_free(&r);
    return code;
}

/* Issue 12's first case as it stands with members that check: the
 * store copied; the original signs s2, the copy s3 at the same size;
 * the copy syncs; the original's batch comes below its checks. */
static void
test_fork_release(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *a = th_net_member(net, "aqvtc", true);
    th_member_config(net, a);
    th_coord_start(net);
    th_put_student(net, a, "s1", NULL);
    assert_int_equal(s_sync(net, a), 0);
    long long held = th_log_size(net, net->coord.dir, a->id);
    char copy[100], cmd[600], answer[64];
    snprintf(copy, sizeof copy, "%s/copy", net->root);
    snprintf(cmd, sizeof cmd, "cp -a %s %s", a->dir, copy);
    assert_int_equal(system(cmd), 0);
    th_put_student(net, a, "s2", NULL);
    th_node_t c = *a; /* the copy: same id and key */
    snprintf(c.dir, sizeof c.dir, "%s", copy);
    th_put_student(net, &c, "s3", NULL);
    assert_int_equal(s_sync(net, &c), 0);
    assert_int_equal(th_log_size(net, net->coord.dir, a->id), held + 1);
    /* The original's own session sees the other history and sends
     * nothing (SPEC 10.6); sent below it, the coordinator quarantines. */
    assert_int_equal(s_sync(net, a), 1);
    s_raw_batch(net, a->dir, a, (uint64_t)held, answer, sizeof answer);
    assert_string_equal(answer, "bad-proof");
    assert_true(s_quarantined(net, net->coord.dir, a->id));
    th_run_t r = th_net_run(net, TH_ARGS("--dir", net->coord.dir, "members",
                                         "evidence", a->id, "--json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    json_t *ev = json_array_get(th_jget(j, "evidence", NULL), 0);
    assert_int_equal(th_jint(ev, "held", "size", NULL), held + 1);
    assert_int_equal(th_jint(ev, "received", "size", NULL), held + 1);
    assert_true(json_is_true(th_jget(ev, "held", "signature_ok", NULL)));
    assert_true(json_is_true(th_jget(ev, "received", "signature_ok", NULL)));
    assert_string_not_equal(
        json_string_value(th_jget(ev, "held", "root", NULL)),
        json_string_value(th_jget(ev, "received", "root", NULL)));
    json_decref(j);
    th_run_free(&r);
    /* The right store (the history the coordinator holds) put back: still
     * refused until the release. */
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -a %s %s", a->dir, copy, a->dir);
    th_net_note(net, "[%s]", cmd);
    assert_int_equal(system(cmd), 0);
    th_put_student(net, a, "s4", NULL);
    assert_int_equal(s_sync(net, a), 1);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "members", "release", a->id,
                          "--note", "the copy is the right store"));
    th_net_expect(
        net, 1, TH_ARGS("--dir", net->coord.dir, "members", "release", a->id));
    assert_int_equal(s_sync(net, a), 0);
    assert_int_equal(th_log_size(net, net->coord.dir, a->id), held + 2);
    assert_false(s_quarantined(net, net->coord.dir, a->id));
    r = th_net_run(net, TH_ARGS("--dir", net->coord.dir, "members", "evidence",
                                a->id, "--json"));
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_int_equal(json_array_size(th_jget(j, "evidence", NULL)), 1);
    assert_int_equal(json_array_size(th_jget(j, "releases", NULL)), 1);
    json_decref(j);
    th_run_free(&r);
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    th_net_expect(net, 0, TH_ARGS("--dir", a->dir, "verify"));
    s_alarm_t none = {net, net->coord.dir, "quarantine"};
    assert_false(s_alarmed(&none));
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_recovers, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_conflict, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_conflict_mended, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_fork_release, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_lying_claim, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
