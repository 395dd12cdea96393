/* vocfed: the coordinator's receipts wait for the log only; its applier
 * thread applies the figures behind it (SPEC 5.5), with real processes
 * on 127.0.0.1.
 *
 * The test holds the writer's lock of the coordinator's derived
 * environment (derived.mdb) while a member syncs: the receipt must come
 * all the same, with the figures not applied; once the lock is let go
 * the applier catches up, and the figures verify. */
#include "tests/harness.h"

#include <lmdb.h>
#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define S_DEADLINE_MS 20000

/* The writer's lock of dir's derived environment, held by a write
 * transaction of this process. */
typedef struct {
    MDB_env *env; /* derived.mdb */
    MDB_txn *txn; /* the write transaction that holds the lock */
} s_lock_t;

static void
s_lock(s_lock_t *l, const char *dir)
{
    char path[256];
    int n = snprintf(path, sizeof path, "%s/derived.mdb", dir);
    assert_true(n > 0 && (size_t)n < sizeof path);
    assert_int_equal(mdb_env_create(&l->env), MDB_SUCCESS);
    assert_int_equal(mdb_env_set_maxdbs(l->env, 8), MDB_SUCCESS);
    assert_int_equal(mdb_env_open(l->env, path, MDB_NOSUBDIR | MDB_NOTLS, 0600),
                     MDB_SUCCESS);
    assert_int_equal(mdb_txn_begin(l->env, NULL, 0, &l->txn), MDB_SUCCESS);
}

static void
s_unlock(s_lock_t *l)
{
    mdb_txn_abort(l->txn);
    mdb_env_close(l->env);
}

typedef struct {
    th_net_t *net;      /* the network */
    const char *member; /* whose log */
    long long size;     /* the coordinator must have applied this much */
} s_applied_t;

static bool
s_applied(void *ctx)
{
    s_applied_t *a = ctx;
    json_t *cs = th_status(a->net, a->net->coord.dir);
    bool ok = th_jint(cs, "logs", a->member, "applied", NULL) >= a->size;
    json_decref(cs);
    return ok;
}

static void
test_receipt_before_figures(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "m1", true);
    th_put_student(net, m, "s1", NULL);
    th_put_student(net, m, "s2", NULL);
    th_coord_start(net);

    s_lock_t l;
    s_lock(&l, net->coord.dir);       /* the applier cannot apply now */
    th_run_t r = th_sync(net, m, 20); /* returns on the receipt */
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    json_t *cs = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(cs, "logs", m->id, "size", NULL), 2);
    assert_int_equal(th_jint(cs, "logs", m->id, "applied", NULL), 0);
    json_decref(cs);
    json_t *ms = th_status(net, m->dir);
    assert_int_equal(th_jint(ms, "peers", "coord", "acked", m->id, NULL), 2);
    json_decref(ms);

    s_unlock(&l); /* the applier catches up by itself */
    s_applied_t a = {net, m->id, 2};
    assert_true(th_wait(s_applied, &a, S_DEADLINE_MS));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "verify", "--figures"));
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_receipt_before_figures,
                                        th_net_setup, th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
