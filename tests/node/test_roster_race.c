/* Two roster changes at the same instant are serialised (SPEC 10.1;
 * issue 10). A roster change checks the roster, then appends to it; two
 * processes doing that at once would both pass the check. Each round
 * here forks two processes that open the store, wait at a barrier, and
 * make their change as `vocfed members` does (node_roster_lock, the
 * change, node_roster_unlock): the same id with two keys, or two ids with
 * one key. Exactly one succeeds, the other is refused (VOCFED_EEXISTS),
 * and the roster and the store's authors agree. Then `vocfed members add`
 * itself is shown to wait for a lock held by another change. */
#include "node/roster.h"
#include "protocol/hash.h"

#include "../storage/helpers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_COORD "coord"
#define S_ROUNDS 16 /* races per test */

typedef struct {
    char dir[64];    /* the coordinator's store */
    th_keys_t coord; /* its key pair */
} s_state_t;

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    th_tmpdir(st->dir);
    th_keys(0x10, &st->coord);
    store_t *s = th_open(st->dir, true, 0, NULL);
    if (!s || store_author_add(s, S_COORD, st->coord.pk))
        return -1;
    store_destroy(&s);
    *state = st;
    return 0;
}

static int
s_teardown(void **state)
{
    s_state_t *st = *state;
    th_rmdir(st->dir);
    free(st);
    return 0;
}

/* One process's change, in a forked child: waits for the barrier, then
 * adds id with pk as `vocfed members add` does. Exit code: 0 added, 1
 * refused (VOCFED_EEXISTS), 2 another status, 3 no store. */
static void
s_child(const s_state_t *st, int ready, int go, const char *id,
        const uint8_t *pk)
{
    store_t *store = th_open(st->dir, false, 0, NULL);
    char b = 'r';
    if (!store || write(ready, &b, 1) != 1)
        _exit(3);
    while (read(go, &b, 1) < 0 && errno == EINTR) /* EOF: go */
        ;
    int lock, rc = node_roster_lock(st->dir, &lock);
    if (rc == VOCFED_OK) {
        rc = node_roster_add(store, S_COORD, st->coord.sk, id, pk, "", "");
        node_roster_unlock(lock);
    }
    store_destroy(&store);
    _exit(rc == VOCFED_OK ? 0 : rc == VOCFED_EEXISTS ? 1 : 2);
}

/* Adds ids[i] with pks[i] in two processes at once; out[i] gets child i's
 * exit code. */
static void
s_race(const s_state_t *st, const char *const ids[2],
       const uint8_t *const pks[2], int out[2])
{
    int ready[2], go[2];
    pid_t pids[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(ready[0]);
            close(go[1]);
            s_child(st, ready[1], go[0], ids[i], pks[i]);
        }
    }
    close(ready[1]);
    close(go[0]);
    char b;
    for (int i = 0; i < 2; i++)
        assert_int_equal(read(ready[0], &b, 1), 1);
    close(go[1]); /* both go at once */
    close(ready[0]);
    for (int i = 0; i < 2; i++) {
        int ws;
        assert_int_equal(waitpid(pids[i], &ws, 0), pids[i]);
        assert_true(WIFEXITED(ws));
        out[i] = WEXITSTATUS(ws);
    }
}

/* Whether id is on the roster with pk, and registered with it. */
static bool
s_member_is(store_t *s, const char *id, const uint8_t *pk)
{
    node_roster_t r;
    uint8_t known[PROTO_PUBKEY_LEN];
    assert_int_equal(node_roster_load(s, S_COORD, &r), VOCFED_OK);
    const node_member_t *m = node_roster_find(&r, id);
    bool is = m && memcmp(m->pk, pk, PROTO_PUBKEY_LEN) == 0 &&
              store_author_key(s, id, known) == VOCFED_OK &&
              memcmp(known, pk, PROTO_PUBKEY_LEN) == 0;
    node_roster_release(&r);
    return is;
}

/* The roster's entries (current records) and the coordinator log's
 * size. */
static void
s_counts(store_t *s, size_t *members, uint64_t *size)
{
    node_roster_t r;
    store_head_t h;
    assert_int_equal(node_roster_load(s, S_COORD, &r), VOCFED_OK);
    *members = r.count;
    node_roster_release(&r);
    assert_int_equal(store_head(s, S_COORD, &h), VOCFED_OK);
    *size = h.size;
}

static void
test_same_id(void **state)
{
    s_state_t *st = *state;
    for (int round = 0; round < S_ROUNDS; round++) {
        char id[16];
        th_keys_t k[2];
        snprintf(id, sizeof id, "m%d", round);
        th_keys((uint8_t)(0x20 + 2 * round), &k[0]);
        th_keys((uint8_t)(0x21 + 2 * round), &k[1]);
        int out[2];
        s_race(st, (const char *const[]){id, id},
               (const uint8_t *const[]){k[0].pk, k[1].pk}, out);
        print_message("round %d: exits %d %d\n", round, out[0], out[1]);
        assert_int_equal(out[0] + out[1], 1); /* one 0, one 1 */
        store_t *s = th_open(st->dir, false, 0, NULL);
        assert_non_null(s);
        int won = out[0] == 0 ? 0 : 1;
        assert_true(s_member_is(s, id, k[won].pk));
        size_t members;
        uint64_t size;
        s_counts(s, &members, &size);
        assert_int_equal(members, (size_t)round + 1);
        assert_int_equal(size, (uint64_t)round + 1); /* one entry each */
        store_destroy(&s);
    }
}

static void
test_same_key(void **state)
{
    s_state_t *st = *state;
    for (int round = 0; round < S_ROUNDS; round++) {
        char x[16], y[16];
        th_keys_t k;
        uint8_t known[PROTO_PUBKEY_LEN];
        snprintf(x, sizeof x, "x%d", round);
        snprintf(y, sizeof y, "y%d", round);
        th_keys((uint8_t)(0x80 + round), &k);
        int out[2];
        s_race(st, (const char *const[]){x, y},
               (const uint8_t *const[]){k.pk, k.pk}, out);
        print_message("round %d: exits %d %d\n", round, out[0], out[1]);
        assert_int_equal(out[0] + out[1], 1);
        store_t *s = th_open(st->dir, false, 0, NULL);
        assert_non_null(s);
        const char *won = out[0] == 0 ? x : y, *lost = out[0] == 0 ? y : x;
        assert_true(s_member_is(s, won, k.pk));
        assert_int_equal(store_author_key(s, lost, known), VOCFED_ENOTFOUND);
        size_t members;
        uint64_t size;
        s_counts(s, &members, &size);
        assert_int_equal(members, (size_t)round + 1);
        assert_int_equal(size, (uint64_t)round + 1);
        store_destroy(&s);
    }
}

/* ---- `vocfed members add` waits for the lock ---------------------------- */

typedef struct {
    pid_t pid; /* a process */
} s_pid_t;

/* /proc/locks shows pid waiting for a lock ("->" lines). */
static bool
s_waiting(void *ctx)
{
    s_pid_t *p = ctx;
    char line[256], pid[32];
    bool found = false;
    snprintf(pid, sizeof pid, " %d ", (int)p->pid);
    FILE *f = fopen("/proc/locks", "r");
    if (!f)
        return false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, "->") && strstr(line, pid);
    fclose(f);
    return found;
}

static bool
s_exited(void *ctx)
{
    return !th_running(ctx);
}

static void
test_cli_waits(void **state)
{
    (void)state;
    th_net_t net = {0};
    th_net_init(&net);
    th_keys_t k;
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    th_keys(0x60, &k);
    proto_hex(k.pk, PROTO_PUBKEY_LEN, hex);

    int lock;
    assert_int_equal(node_roster_lock(net.coord.dir, &lock), VOCFED_OK);
    th_proc_t p = {0};
    snprintf(p.log, sizeof p.log, "%s/add.log", net.root);
    th_spawn(&p, net.root,
             (const char *const[]){VOCFED_BINARY, "--dir", net.coord.dir,
                                   "members", "add", "z", hex, NULL});
    /* It waits for our lock, having written nothing. */
    assert_true(th_wait(s_waiting, &(s_pid_t){p.pid}, 20000));
    th_run_t r =
        th_net_run(&net, (const char *const[]){"--dir", net.coord.dir,
                                               "members", "list", NULL});
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "z"));
    th_run_free(&r);

    node_roster_unlock(lock);
    assert_true(th_wait(s_exited, &p, 20000));
    assert_int_equal(p.code, 0);
    r = th_net_run(&net,
                   (const char *const[]){"--dir", net.coord.dir, "members",
                                         "list", "--json", NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\"z\""));
    th_run_free(&r);
    net.passed = true;
    th_net_release(&net);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_id, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_same_key, s_setup, s_teardown),
        cmocka_unit_test(test_cli_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
