/* Backups and restores from the coordinator (issue 12 item 1; SPEC 5.6,
 * 8.7, 8.5): real coordinator and member processes on 127.0.0.1.
 *
 * 1. `vocfed backup`: a copy that verifies, fenced, without the secret
 *    key unless --with-key; DEST not empty is refused and left alone;
 *    killed at any moment, it leaves no DEST/data.mdb but a whole one.
 * 2. A member put back from its backup, a put, then its daemon: no
 *    quarantine, both records at the coordinator, verify everywhere.
 * 3. The same after its store is deleted and `vocfed restore` rebuilt
 *    it from the coordinator, a record the coordinator never got
 *    re-appended from the old store (--from).
 * (A real fork quarantined, shown and released, and a coordinator put
 * back from its backup: test_corecover.c.) */
#include "protocol/hash.h"
#include "storage/backup.h"
#include "tests/harness.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
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

    /* The copy is verified: it says how much, and leaves nothing of the
     * check in DEST. */
    snprintf(full, sizeof full, "%s/bkcheck", net->root);
    th_run_t r = th_net_run(net, TH_ARGS("--dir", m->dir, "backup", full));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "verified: 2 entries"));
    th_run_free(&r);
    assert_false(s_exists(full, "lock.mdb"));
    assert_false(s_exists(full, "derived.mdb"));
    DIR *d = opendir(full);
    struct dirent *e;
    size_t files = 0;
    while (d && (e = readdir(d)))
        files += e->d_name[0] != '.' && strcmp(e->d_name, "vocfed.cfg");
    closedir(d);
    assert_int_equal(files, 1); /* data.mdb */

    /* A byte of an entry changed on disk (a value of its body, so that it
     * still decodes): the copy takes it faithfully, fails its check, and
     * is removed; --no-verify keeps it. */
    th_tamper_entry(m->dir, m->id, 2, "higher", 'H');
    snprintf(full, sizeof full, "%s/bkbad", net->root);
    r = th_net_run(net, TH_ARGS("--dir", m->dir, "backup", full));
    if (r.status != 1)
        print_error("backup: exit %d\n%s%s", r.status, r.out, r.err);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "fails verification: author=aqvtc seq=2"));
    th_run_free(&r);
    assert_false(s_exists(full, ""));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "backup", "--no-verify", full));
    th_net_expect(net, 1, TH_ARGS("--dir", full, "verify"));
    net->passed = true;
}

/* Waits until ms milliseconds after t0: where a kill lands, not a
 * hand-off between processes. */
static void
s_until(uint64_t t0, uint64_t ms)
{
    while (th_now_ms() < t0 + ms)
        nanosleep(&(struct timespec){0, 200 * 1000}, NULL);
}

/* A backup killed at moments of its run 2 ms apart at first, then ever
 * further apart (a sixteenth of the time from the start more each time:
 * a sanitizer build's slower run takes few more), until one ends
 * before its kill: a DEST/data.mdb is always a whole copy that
 * verifies, and a DEST without one (what a cut backup leaves) is
 * refused by the next backup, which names what to remove. */
static void
test_backup_cut(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", false);
    th_bulk(m, 1, 20000, 600, NULL); /* ~16 MB: a copy of a few dozen ms */
    char dest[160], name[200];
    snprintf(dest, sizeof dest, "%s/bkcut", net->root);
    size_t cut = 0, whole = 0, runs = 0;
    bool ended = false;
    for (uint64_t at = 0; !ended && at < 60000; at += 2 + at / 16) {
        th_proc_t b = {0};
        snprintf(b.log, sizeof b.log, "%s/backup.log", net->root);
        uint64_t t0 = th_now_ms();
        th_spawn(&b, net->root,
                 TH_ARGS(VOCFED_BINARY, "--dir", m->dir, "backup", dest));
        s_until(t0, at);
        int code = th_stop(&b, SIGKILL, S_DEADLINE_MS);
        ended = code == 0;
        runs++;
        if (code != 0 && code != 128 + SIGKILL)
            fail_msg("the backup killed after %llu ms exited %d",
                     (unsigned long long)at, code);
        if (s_exists(dest, "data.mdb")) {
            whole++; /* the copy of a backup killed after its last move */
            th_net_expect(net, 0, TH_ARGS("--dir", dest, "verify"));
        } else if (s_exists(dest, "backup.incomplete")) {
            cut++;
            th_run_t r =
                th_net_run(net, TH_ARGS("--dir", m->dir, "backup", dest));
            snprintf(name, sizeof name, "rm -r %s/backup.incomplete", dest);
            if (r.status != 1 || !strstr(r.err, name))
                fail_msg("a backup into a cut one's DEST: exit %d\n%s",
                         r.status, r.err);
            th_run_free(&r);
        }
        th_rmdir(dest);
    }
    print_message("%zu backups cut, %zu killed after the copy was whole, "
                  "%zu in all\n",
                  cut, whole, runs);
    assert_true(ended);   /* one ran to its end */
    assert_true(cut > 3); /* and the kills landed in the copy's work */
    net->passed = true;
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
    th_member_config(net, m);
    th_coord_start(net);
    th_put_student(net, m, "s1", NULL);
    th_member_start(net, m);
    th_wait_log_size(net, net->coord.dir, m->id, 1, S_DEADLINE_MS);
    char bk[160];
    snprintf(bk, sizeof bk, "%s/bk", net->root);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "backup", bk));
    th_put_student(net, m, "s2", NULL); /* after the backup */
    long long before = th_log_size(net, m->dir, m->id);
    th_wait_log_size(net, net->coord.dir, m->id, before, S_DEADLINE_MS);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    s_put_back(net, m, bk);
    assert_true(th_log_size(net, m->dir, m->id) < before);
    /* The put fetches what the coordinator holds first: s2 comes back,
     * and s3 is signed after it. */
    th_put_student(net, m, "s3", NULL);
    assert_int_equal(th_log_size(net, m->dir, m->id), before + 1);
    th_member_start(net, m);
    th_wait_log_size(net, net->coord.dir, m->id, before + 1, S_DEADLINE_MS);
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

/* The pseudo_id th_put_student writes for name. */
static void
s_pid(const char *name, char key[2 * PROTO_HASH_LEN + 1])
{
    uint8_t h[PROTO_HASH_LEN];
    proto_hash(PROTO_HASH_BLAKE2B256, (const uint8_t *)name, strlen(name), h);
    proto_hex(h, PROTO_HASH_LEN, key);
}

/* The seq of m's record student `name` at the store in dir, 0 when it
 * has none. */
static long long
s_record_seq(th_net_t *net, const char *dir, const th_node_t *m,
             const char *name)
{
    char key[2 * PROTO_HASH_LEN + 1];
    s_pid(name, key);
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", dir, "get", "student", key, "--author", m->id));
    long long seq = 0;
    if (r.status == 0) {
        json_t *j = json_loads(r.out, 0, NULL);
        assert_non_null(j);
        seq = th_jint(j, "seq", NULL);
        json_decref(j);
    }
    th_run_free(&r);
    return seq;
}

/* Syncs m once (exit 0). */
static void
s_sync(th_net_t *net, const th_node_t *m)
{
    th_run_t r = th_sync(net, m, 30);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
}

/* Removes the store files of dir, the key and settings left. */
static void
s_lose_store(th_net_t *net, const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "rm -f %s/data.mdb %s/lock.mdb %s/derived.mdb "
             "%s/derived.mdb-lock %s/derived.boot",
             dir, dir, dir, dir, dir);
    th_net_note(net, "[%s]", cmd);
    assert_int_equal(system(cmd), 0);
}

/* The brief's scenario: put, sync, the store deleted (node.key and
 * vocfed.cfg kept), restore, put, sync: both records at the coordinator,
 * nothing quarantined. Refusals first: no id, a store already there.
 * The settings name the coordinator's id: the rebuilt store registers
 * its log before the member's own, as init does (SPEC 5.1). */
static void
test_restore_lost(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    th_member_config(net, m);
    th_coord_start(net);
    th_put_student(net, m, "s1", NULL);
    s_sync(net, m);
    long long n1 = th_log_size(net, net->coord.dir, m->id);
    assert_true(n1 >= 1);
    th_net_expect(net, 2, TH_ARGS("--dir", m->dir, "restore"));
    th_net_expect(net, 3, TH_ARGS("--dir", m->dir, "restore", "--id", m->id));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "config", "set", "coordinator_id",
                          net->coord.id));
    s_lose_store(net, m->dir);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "restore", "--id", m->id));
    th_authors_t au;
    th_authors(m->dir, &au);
    assert_int_equal(au.n, 2);
    assert_string_equal(au.id[0], net->coord.id);
    assert_string_equal(au.id[1], m->id);
    assert_int_equal(th_log_size(net, m->dir, m->id), n1);
    assert_int_equal(s_record_seq(net, m->dir, m, "s1"),
                     s_record_seq(net, net->coord.dir, m, "s1"));
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "whoami"));
    th_put_student(net, m, "s2", NULL);
    s_sync(net, m);
    assert_int_equal(th_log_size(net, net->coord.dir, m->id), n1 + 1);
    assert_true(s_record_seq(net, net->coord.dir, m, "s1") > 0);
    assert_int_equal(s_record_seq(net, net->coord.dir, m, "s2"), n1 + 1);
    th_all_well(net, m->dir);
    net->passed = true;
}

/* The whole folder lost; the key and settings given; --from an old
 * backup with s2, which the coordinator never got: s2 arrives as a new
 * entry, s1 is not signed again. Another node's store as OLD, and a
 * coordinator that does not answer, leave nothing behind. Then s1 is
 * changed and sent, the store lost again, and restore --from the same
 * backup signs nothing again. */
static void
test_restore_from(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    th_node_t *o = th_net_member(net, "other", true);
    th_member_config(net, m);
    th_put_student(net, o, "x1", NULL);
    char bk[160], key[160], cfg[160], cmd[800];
    snprintf(bk, sizeof bk, "%s/bk", net->root);
    snprintf(key, sizeof key, "%s/saved.key", net->root);
    snprintf(cfg, sizeof cfg, "%s/saved.cfg", net->root);
    snprintf(cmd, sizeof cmd, "cp -p %s/node.key %s && cp -p %s/vocfed.cfg %s",
             m->dir, key, m->dir, cfg);
    assert_int_equal(system(cmd), 0);
    th_coord_start(net);
    th_put_student(net, m, "s1", NULL);
    s_sync(net, m);
    long long n1 = th_log_size(net, net->coord.dir, m->id);
    th_put_student(net, m, "s2", NULL); /* never sent */
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "backup", bk));
    snprintf(cmd, sizeof cmd, "rm -rf %s", m->dir);
    assert_int_equal(system(cmd), 0);
    /* Another node's store as OLD: refused, nothing left. */
    th_net_expect(net, 1,
                  TH_ARGS("--dir", m->dir, "restore", "--key", key, "--config",
                          cfg, "--from", o->dir));
    assert_false(s_exists(m->dir, "data.mdb"));
    assert_false(s_exists(m->dir, "node.key"));
    /* The coordinator away: the session times out, nothing left. */
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    th_net_expect(net, 3,
                  TH_ARGS("--dir", m->dir, "restore", "--key", key, "--config",
                          cfg, "--from", bk, "--timeout", "2"));
    assert_false(s_exists(m->dir, "data.mdb"));
    assert_false(s_exists(m->dir, "vocfed.cfg"));
    th_coord_start(net);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "restore", "--key", key, "--config",
                          cfg, "--from", bk));
    assert_int_equal(th_log_size(net, m->dir, m->id), n1 + 1);
    assert_int_equal(s_record_seq(net, m->dir, m, "s2"), n1 + 1);
    s_sync(net, m);
    assert_int_equal(th_log_size(net, net->coord.dir, m->id), n1 + 1);
    assert_int_equal(s_record_seq(net, net->coord.dir, m, "s2"), n1 + 1);
    assert_true(s_record_seq(net, net->coord.dir, m, "s1") > 0);
    th_all_well(net, m->dir);
    /* s1 changed and sent after the backup; the store lost again: the
     * backup's s1 (received, older) and s2 (the same value signed again)
     * are not signed again. */
    th_put_student(net, m, "s1", "x");
    s_sync(net, m);
    long long n2 = th_log_size(net, net->coord.dir, m->id);
    long long s1 = s_record_seq(net, net->coord.dir, m, "s1");
    assert_int_equal(s1, n2);
    snprintf(cmd, sizeof cmd, "rm -rf %s", m->dir);
    assert_int_equal(system(cmd), 0);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "restore", "--key", key, "--config",
                          cfg, "--from", bk));
    assert_int_equal(th_log_size(net, m->dir, m->id), n2);
    assert_int_equal(s_record_seq(net, m->dir, m, "s1"), s1);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "verify"));
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backup, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_backup_cut, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_put_back, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_restore_lost, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_restore_from, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
