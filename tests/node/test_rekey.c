/* Key replacement without a new identity (issue 12 item 2; SPEC 3.4,
 * 10.8): real coordinator and member processes on 127.0.0.1.
 *
 * 1. Planned: `vocfed rekey` at a member: the log goes on under the same
 *    id, signed by the new key after the handover; `verify` passes at
 *    both ends; a copy of the member holding the old key is refused at
 *    the transport; no alarm, no quarantine.
 * 2. Lost: `vocfed init --recover` (a new key), `vocfed members rekey`
 *    on the coordinator, `vocfed restore`: the log rebuilt from the
 *    coordinator's copy, checked against the key history, goes on under
 *    the new key; the old key is refused at the transport; refusals of
 *    members rekey (an unknown member, a key used before). */
#include "node/daemon.h"
#include "tests/harness.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

/* Syncs the member in dir once; returns the exit status. */
static int
s_sync_dir(th_net_t *net, const char *dir)
{
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", dir, "sync", "--once", "--timeout", "10"));
    int status = r.status;
    th_run_free(&r);
    return status;
}

/* A session from the store in dir is refused at the transport (the
 * coordinator's ZAP: the key is not on the roster). */
static void
s_refused_at_transport(th_net_t *net, const char *dir)
{
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", dir, "sync", "--once", "--timeout", "10"));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "sync: refused"));
    th_run_free(&r);
}

/* The copy of m's store at old (its old key) signs a put of its own, but
 * its session is refused at the transport and the coordinator still
 * holds size entries of m's log. */
static void
s_old_key_shut_out(th_net_t *net, const th_node_t *m, const char *old,
                   long long size)
{
    th_node_t o = *m;
    snprintf(o.dir, sizeof o.dir, "%s", old);
    th_put_student(net, &o, "x1", NULL);
    s_refused_at_transport(net, old);
    assert_int_equal(th_log_size(net, net->coord.dir, m->id), size);
}

/* m's public key on the coordinator's roster (64 hex digits). */
static void
s_roster_key(th_net_t *net, const char *id, char out[65])
{
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", net->coord.dir, "members", "list", "--json"));
    assert_int_equal(r.status, 0);
    json_t *j = json_loads(r.out, 0, NULL);
    assert_true(json_is_array(j));
    out[0] = 0;
    for (size_t i = 0; i < json_array_size(j); i++) {
        json_t *m = json_array_get(j, i);
        if (strcmp(json_string_value(json_object_get(m, "id")), id) == 0)
            snprintf(out, 65, "%s",
                     json_string_value(json_object_get(m, "pubkey")));
    }
    json_decref(j);
    th_run_free(&r);
}

/* The first line of a run's output (a public key), into out. */
static void
s_first_line(const th_run_t *r, char out[65])
{
    assert_true(strlen(r->out) >= 64);
    memcpy(out, r->out, 64);
    out[64] = 0;
}

static bool
s_daemon_holds(void *ctx)
{
    const th_node_t *m = ctx;
    return node_daemon_holder(m->dir) > 0;
}

/* A copy of m's folder (store and key) at path: a client that keeps the
 * key m had then. */
static void
s_copy(th_net_t *net, const th_node_t *m, const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp -a %s %s && rm -f %s/daemon.lock", m->dir,
             path, path);
    th_net_note(net, "[%s]", cmd);
    assert_int_equal(system(cmd), 0);
}

static void
test_planned(void **state)
{
    th_net_t *net = *state;
    char old[100], newpk[65], onroster[65];
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    th_member_config(net, m);
    th_coord_start(net);
    th_put_student(net, m, "s1", NULL);
    assert_int_equal(s_sync_dir(net, m->dir), 0);
    long long n1 = th_log_size(net, net->coord.dir, m->id);
    snprintf(old, sizeof old, "%s/old", net->root);
    s_copy(net, m, old);
    /* A daemon on the store: refused, nothing signed. */
    th_member_start(net, m);
    assert_true(th_wait(s_daemon_holds, m, 10000));
    th_net_expect(net, 3, TH_ARGS("--dir", m->dir, "rekey"));
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_log_size(net, m->dir, m->id), n1);

    /* The coordinator away: the handover is signed, node.key keeps the
     * old key, nothing else is signed until rekey is run again. */
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    th_net_expect(net, 3, TH_ARGS("--dir", m->dir, "rekey", "--timeout", "2"));
    assert_int_equal(th_log_size(net, m->dir, m->id), n1 + 1);
    th_run_t r = th_net_run(net, TH_ARGS("--dir", m->dir, "whoami"));
    assert_non_null(strstr(r.out, m->pk));
    th_run_free(&r);
    th_net_expect(net, 3,
                  TH_ARGS("--dir", m->dir, "put", "major", "c1", "name=x",
                          "level=higher", "status=active"));
    th_coord_start(net);
    r = th_net_run(net, TH_ARGS("--dir", m->dir, "rekey"));
    assert_int_equal(r.status, 0);
    s_first_line(&r, newpk);
    th_run_free(&r);
    assert_string_not_equal(newpk, m->pk);
    /* The handover is in the log, under the old key's checkpoint. */
    assert_int_equal(th_log_size(net, m->dir, m->id), n1 + 1);
    assert_int_equal(th_log_size(net, net->coord.dir, m->id), n1 + 1);
    s_roster_key(net, m->id, onroster);
    assert_string_equal(onroster, newpk);
    r = th_net_run(net, TH_ARGS("--dir", m->dir, "whoami"));
    assert_non_null(strstr(r.out, newpk));
    th_run_free(&r);
    /* Run again: a second handover, to a third key, would also work; a
     * rekey --finish with nothing begun is refused. */
    th_net_expect(net, 2, TH_ARGS("--dir", m->dir, "rekey", "--finish"));

    /* The log goes on under the same id, signed with the new key. */
    th_put_student(net, m, "s2", NULL);
    assert_int_equal(s_sync_dir(net, m->dir), 0);
    assert_int_equal(th_log_size(net, net->coord.dir, m->id), n1 + 2);
    th_all_well(net, m->dir);

    /* The old key at the transport: the copy signs (it does not know of
     * the handover) but its session is refused; nothing of it lands. */
    s_old_key_shut_out(net, m, old, n1 + 2);
    /* The new key's daemon is admitted and sends what it signs. */
    th_member_start(net, m);
    th_put_student(net, m, "s3", NULL);
    th_wait_log_size(net, net->coord.dir, m->id, n1 + 3, 30000);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    th_all_well(net, m->dir);
    net->passed = true;
}

/* The lost key: init --recover, members rekey, restore. */
static void
test_lost(void **state)
{
    th_net_t *net = *state;
    char old[100], newpk[65], onroster[65], cmd[400];
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    th_node_t *b = th_net_member(net, "other", true);
    th_member_config(net, m);
    th_coord_start(net);
    th_put_student(net, m, "s1", NULL);
    th_put_student(net, m, "s2", NULL);
    assert_int_equal(s_sync_dir(net, m->dir), 0);
    long long n1 = th_log_size(net, net->coord.dir, m->id);
    th_put_student(net, m, "s3", NULL); /* never sent */
    /* The member's key is lost; its old store stays (kept aside here,
     * with the key, as a thief's too). */
    snprintf(old, sizeof old, "%s/old", net->root);
    snprintf(cmd, sizeof cmd, "mv %s %s", m->dir, old);
    th_net_note(net, "[%s]", cmd);
    assert_int_equal(system(cmd), 0);
    th_net_expect(net, 2, TH_ARGS("--dir", m->dir, "init", "--recover"));
    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", m->dir, "init", "--recover", "--id",
                                m->id, "--coordinator", net->endpoint,
                                "--coordinator-key", net->coord.pk));
    assert_int_equal(r.status, 0);
    s_first_line(&r, newpk);
    assert_non_null(strstr(r.err, "members rekey"));
    th_run_free(&r);
    /* Before the secretariat vouches: restore is refused at the
     * transport, nothing left. */
    th_net_expect(
        net, 1,
        TH_ARGS("--dir", m->dir, "restore", "--id", m->id, "--timeout", "5"));
    /* members rekey: an unknown member, a key used before (another
     * member's, the old one): refused. */
    th_net_expect(
        net, 1,
        TH_ARGS("--dir", net->coord.dir, "members", "rekey", "nosuch", newpk));
    th_net_expect(
        net, 1,
        TH_ARGS("--dir", net->coord.dir, "members", "rekey", m->id, b->pk));
    th_net_expect(net, 2,
                  TH_ARGS("--dir", net->coord.dir, "members", "rekey", m->id));
    th_net_expect(
        net, 0,
        TH_ARGS("--dir", net->coord.dir, "members", "rekey", m->id, newpk));
    /* Again: the same key is a no-op; the old key back is refused. */
    th_net_expect(
        net, 0,
        TH_ARGS("--dir", net->coord.dir, "members", "rekey", m->id, newpk));
    th_net_expect(
        net, 1,
        TH_ARGS("--dir", net->coord.dir, "members", "rekey", m->id, m->pk));
    s_roster_key(net, m->id, onroster);
    assert_string_equal(onroster, newpk);
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    /* A replaced key is never given to anyone again. */
    th_net_expect(
        net, 1,
        TH_ARGS("--dir", net->coord.dir, "members", "add", "newbie", m->pk));

    /* The member rebuilt: its log, verified against the key history; s3,
     * which the coordinator never got, signed again with the new key
     * from the old store (signed by the old key, in the history). */
    th_net_expect(
        net, 0,
        TH_ARGS("--dir", m->dir, "restore", "--id", m->id, "--from", old));
    assert_int_equal(th_log_size(net, m->dir, m->id), n1 + 1);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "verify"));
    th_put_student(net, m, "s4", NULL);
    assert_int_equal(s_sync_dir(net, m->dir), 0);
    assert_int_equal(th_log_size(net, net->coord.dir, m->id), n1 + 2);
    th_all_well(net, m->dir);

    /* The old key: refused at the transport. */
    s_old_key_shut_out(net, m, old, n1 + 2);
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    net->passed = true;
}

/* The store in dir's fence (`status --json` fenced), "" when none. */
static void
s_fence(th_net_t *net, const char *dir, char *why, size_t cap)
{
    json_t *j = th_status(net, dir);
    const char *f = json_string_value(json_object_get(j, "fenced"));
    snprintf(why, cap, "%s", f ? f : "");
    json_decref(j);
}

/* What s_roster_moved waits for: member id's key on the roster. */
typedef struct {
    th_net_t *net;   /* the network */
    const char *id;  /* the member */
    const char *key; /* the key wanted */
} s_roster_t;

static bool
s_roster_moved(void *ctx)
{
    s_roster_t *w = ctx;
    char on[65];
    s_roster_key(w->net, w->id, on);
    return strcmp(on, w->key) == 0;
}

/* A handover taken in by a coordinator put back from its backup (fenced,
 * SPEC 10.7): it signs nothing, so its roster keeps the old key until
 * every active member has spoken and the fence goes; then the roster
 * follows (SPEC 10.8) and the new key is admitted. */
static void
test_fenced(void **state)
{
    th_net_t *net = *state;
    char bk[160], cmd[1400], why[256], newpk[65], on[65];
    th_net_init(net);
    th_node_t *a = th_net_member(net, "aqvtc", true);
    th_node_t *b = th_net_member(net, "bbbbb", true);
    th_member_config(net, a);
    th_member_config(net, b);
    th_coord_start(net);
    th_put_student(net, a, "s1", NULL);
    assert_int_equal(s_sync_dir(net, a->dir), 0);
    assert_int_equal(s_sync_dir(net, b->dir), 0);
    snprintf(bk, sizeof bk, "%s/bk", net->root);
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "backup", bk));
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    const char *d = net->coord.dir;
    snprintf(cmd, sizeof cmd,
             "rm -f %s/data.mdb %s/lock.mdb %s/derived.mdb "
             "%s/derived.mdb-lock %s/derived.boot && cp %s/data.mdb %s/",
             d, d, d, d, d, bk, d);
    th_net_note(net, "[%s]", cmd);
    assert_int_equal(system(cmd), 0);
    th_coord_start(net);
    s_fence(net, d, why, sizeof why);
    assert_string_not_equal(why, "");

    /* a hands its key over to the fenced coordinator: taken in and
     * acknowledged, the roster does not move while b has not spoken. */
    th_run_t r = th_net_run(net, TH_ARGS("--dir", a->dir, "rekey"));
    assert_int_equal(r.status, 0);
    s_first_line(&r, newpk);
    th_run_free(&r);
    s_fence(net, d, why, sizeof why);
    assert_string_not_equal(why, "");
    s_roster_key(net, a->id, on);
    assert_string_equal(on, a->pk);

    /* b speaks: the fence goes and the roster follows the handover. */
    assert_int_equal(s_sync_dir(net, b->dir), 0);
    s_roster_t w = {net, a->id, newpk};
    assert_true(th_wait(s_roster_moved, &w, 30000));
    s_fence(net, d, why, sizeof why);
    assert_string_equal(why, "");
    long long n = th_log_size(net, d, a->id);
    th_put_student(net, a, "s2", NULL);
    assert_int_equal(s_sync_dir(net, a->dir), 0);
    assert_int_equal(th_log_size(net, d, a->id), n + 1);
    th_all_well(net, a->dir);
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_planned, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_lost, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_fenced, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
