/* Tests for storage/envopen.c (SPEC 5.1, open.lock): a process killed
 * while it opens a store loses no commit of another.
 *
 * LMDB's first opener sets the lock file up under an exclusive lock: a
 * last transaction id of 0 first, the data file's last commit after. A
 * child here plays an opener killed between the two: it takes open.lock
 * as every vocfed opener does, takes LMDB's exclusive lock on lock.mdb
 * and writes the id 0, then waits to be killed. A store opened meanwhile
 * must wait for open.lock, not in LMDB, and after the kill set the table
 * up itself; waiting in LMDB, it would take the table with the id 0 and
 * build its write on an older commit than the last (the old binary lost
 * the last commit and its own that way, checked by hand with gdb).
 *
 * The table is written where LMDB 0.9's layout keeps it (after the magic,
 * the format and the reader mutex); the child checks the value there is
 * the last commit's id before it writes, so another layout fails the test
 * instead of passing it unseen. */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Where LMDB 0.9 keeps the last transaction id in lock.mdb: after
 * mti_magic, mti_format and mti_rmutex (POSIX mutexes on Linux). */
#define S_TXNID_OFF (8 + sizeof(pthread_mutex_t))
#define S_WAIT_MS 20000 /* deadlines of the waits below */

enum { S_READY = 'r', S_LAYOUT = 'l', S_FAILED = 'f' };

/* The store's last commit, read with LMDB itself (no store open here). */
static uint64_t
s_last_txnid(const char *dir)
{
    MDB_env *env;
    MDB_envinfo info;
    assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), MDB_SUCCESS);
    assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0600), MDB_SUCCESS);
    assert_int_equal(mdb_env_info(env, &info), MDB_SUCCESS);
    mdb_env_close(env);
    return (uint64_t)info.me_last_txnid;
}

/* In a child: checks that lock.mdb names transaction last, then writes 0
 * there, as LMDB's opener does before it reads the data file. Returns
 * S_READY, S_LAYOUT or S_FAILED. */
static char
s_table_zero(int lfd, uint64_t last)
{
    size_t id;
    if (pread(lfd, &id, sizeof id, S_TXNID_OFF) != (ssize_t)sizeof id)
        return S_FAILED;
    if ((uint64_t)id != last)
        return S_LAYOUT;
    id = 0;
    return pwrite(lfd, &id, sizeof id, S_TXNID_OFF) == (ssize_t)sizeof id
               ? S_READY
               : S_FAILED;
}

static void
s_kill(pid_t pid)
{
    int status;
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* A child that said what: on with S_READY, else killed and the test
 * failed with why. */
static void
s_ready_or_kill(pid_t pid, char what)
{
    if (what == S_READY)
        return;
    s_kill(pid);
    if (what == S_LAYOUT)
        fail_msg("lock.mdb does not hold the last transaction id at offset "
                 "%zu: another LMDB layout than this test knows",
                 (size_t)S_TXNID_OFF);
    fail_msg("the child could not take the locks or write lock.mdb");
}

/* In a child: tells the parent what (a byte on fd), then waits for
 * SIGKILL. */
static void __attribute__((noreturn)) s_child_say(int fd, char what)
{
    if (write(fd, &what, 1) != 1)
        _exit(3);
    for (;;)
        pause();
}

/* In the parent: what child pid said on fd (closed here); on with
 * S_READY, else the child killed and the test failed. */
static void
s_child_heard(int fd, pid_t pid)
{
    char what = S_FAILED;
    if (read(fd, &what, 1) != 1)
        what = S_FAILED;
    close(fd);
    s_ready_or_kill(pid, what);
}

/* Forks the killed opener (see the top): holds open.lock and LMDB's
 * exclusive lock with the id 0 written, then waits for SIGKILL. Returns
 * its pid once it is there. */
static pid_t
s_killed_opener(const char *dir, uint64_t last)
{
    int p[2];
    char what = S_FAILED, path[256];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* gone with a failed test */
        close(p[0]);
        snprintf(path, sizeof path, "%s/open.lock", dir);
        int gfd = open(path, O_RDWR | O_CREAT, 0600);
        snprintf(path, sizeof path, "%s/lock.mdb", dir);
        int lfd = open(path, O_RDWR);
        struct flock excl = {
            .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        if (gfd >= 0 && flock(gfd, LOCK_EX) == 0 && lfd >= 0 &&
            fcntl(lfd, F_SETLK, &excl) == 0)
            what = s_table_zero(lfd, last);
        s_child_say(p[1], what);
    }
    close(p[1]);
    s_child_heard(p[0], pid);
    return pid;
}

/* A store opened and written in a thread of this process. */
typedef struct {
    const char *dir;
    const th_keys_t *k;
    int open_rc;       /* store_open's */
    int append_rc;     /* the append's */
    store_head_t head; /* after it */
} s_writer_t;

static void *
s_writer(void *arg)
{
    s_writer_t *w = arg;
    store_t *s = th_open(w->dir, false, 0, &w->open_rc);
    w->append_rc = VOCFED_EINTERRUPTED;
    if (s)
        w->append_rc =
            th_append_puts(s, TH_AUTHOR, w->k, "late", 1, 1, 0, &w->head);
    store_destroy(&s);
    return NULL;
}

/* How this process waits for a lock, from /proc/locks: "FLOCK",
 * "POSIX", or "" while it waits for none. */
static void
s_waiting(char kind[8])
{
    char line[256], pid[32];
    kind[0] = 0;
    snprintf(pid, sizeof pid, " %d ", (int)getpid());
    FILE *f = fopen("/proc/locks", "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        if (strstr(line, "->") && strstr(line, pid)) {
            snprintf(kind, 8, "%s", strstr(line, "FLOCK") ? "FLOCK" : "POSIX");
            break;
        }
    fclose(f);
}

/* A store with three commits of TH_AUTHOR's; returns the log's size. */
static uint64_t
s_store(const char *dir, const th_keys_t *k)
{
    store_t *s;
    store_head_t head;
    assert_non_null(s = th_create(dir, k, 0));
    for (uint64_t i = 0; i < 3; i++)
        assert_int_equal(
            th_append_puts(s, TH_AUTHOR, k, "k", i + 1, 1, 0, &head),
            VOCFED_OK);
    store_destroy(&s);
    return head.size;
}

/* The killed opener: the store opened beside it waits on open.lock,
 * sets the table up after the kill, and its write follows the last
 * commit; all of it is there when the store is opened again. */
static void
test_killed_opener(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    th_keys(1, &k);
    uint64_t size = s_store(dir, &k);
    pid_t opener = s_killed_opener(dir, s_last_txnid(dir));

    s_writer_t w = {.dir = dir, .k = &k};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_writer, &w), 0);
    char kind[8] = "";
    uint64_t end = th_now_ms() + S_WAIT_MS;
    while (!kind[0] && th_now_ms() < end) {
        s_waiting(kind);
        if (!kind[0])
            poll(NULL, 0, 5);
    }
    s_kill(opener);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (strcmp(kind, "FLOCK") != 0)
        fail_msg("the store's opener waited %s, not on open.lock",
                 kind[0] ? "in LMDB's lock" : "for nothing");
    assert_int_equal(w.open_rc, VOCFED_OK);
    assert_int_equal(w.append_rc, VOCFED_OK);
    assert_int_equal(w.head.size, size + 1);

    store_t *s;
    store_head_t head;
    assert_non_null(s = th_open(dir, false, 0, NULL));
    assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, size + 1);
    assert_memory_equal(head.root, w.head.root, PROTO_HASH_LEN);
    store_destroy(&s);
}

/* A table behind the data file that another process holds open (it was
 * set up by an opener that took no open.lock) is refused: nothing is
 * read or written through it. Once that process is gone, the store opens
 * with everything in it. */
static void
test_table_behind_refused(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    int p[2], rc;
    char what = S_FAILED, path[256];
    th_keys(1, &k);
    uint64_t size = s_store(dir, &k);
    uint64_t last = s_last_txnid(dir);
    assert_int_equal(pipe(p), 0);
    pid_t holder = fork();
    assert_true(holder >= 0);
    if (holder == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Opens the environment (a shared lock, as any user of it), then
         * writes the id 0 into the table under it. */
        MDB_env *env;
        close(p[0]);
        snprintf(path, sizeof path, "%s/lock.mdb", dir);
        if (mdb_env_create(&env) == MDB_SUCCESS &&
            mdb_env_set_maxdbs(env, 16) == MDB_SUCCESS &&
            mdb_env_open(env, dir, MDB_NOTLS, 0600) == MDB_SUCCESS) {
            int lfd = open(path, O_RDWR);
            if (lfd >= 0)
                what = s_table_zero(lfd, last);
            /* lfd stays open: closing it would drop the env's locks */
        }
        s_child_say(p[1], what);
    }
    close(p[1]);
    s_child_heard(p[0], holder);

    store_t *s = th_open(dir, false, 0, &rc);
    assert_null(s);
    assert_int_equal(rc, VOCFED_ELOCKED);
    s_kill(holder);

    store_head_t head;
    assert_non_null(s = th_open(dir, false, 0, NULL));
    assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, size);
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "after", 1, 1, 0, &head),
                     VOCFED_OK);
    assert_int_equal(head.size, size + 1);
    store_destroy(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_killed_opener, th_dir_setup,
                                        th_dir_teardown),
        cmocka_unit_test_setup_teardown(test_table_behind_refused, th_dir_setup,
                                        th_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
