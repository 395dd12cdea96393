/* Tests of storage faults at the storage boundary (SPEC 5.4; DESIGN 2.3,
 * 2.6): a store on a small tmpfs that fills up, mid-append and
 * mid-ingest, with the map growing first (MDB_MAP_FULL) and the disk
 * failing after (ENOSPC, or LMDB's EIO for a short write); a commit whose
 * meta page cannot be written (LMDB then marks its environment failed,
 * MDB_PANIC: as on a copy-on-write file system with no space left); and
 * an I/O error on a disk that is not full. Each time the status says
 * which, nothing of the failed write is kept (size, root and verify as
 * before), the space it took is given back, and once there is room the
 * same write goes through.
 *
 * The faults of the last two kinds are injected by this program's own
 * pwrite and writev, which LMDB (a shared library) calls instead of
 * libc's: they fail only while a test arms them, only on the data.mdb it
 * names. The tmpfs mounts need a mount namespace (tests/tmpfs.h): root,
 * as in CI, or unprivileged user namespaces. */
#define _GNU_SOURCE /* SYS_pwrite64 */
#include "helpers.h"
#include "tests/tmpfs.h"

#include "node/replicate.h"
#include "protocol/msg.h"
#include "storage/replica.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#define S_SMALL_MAP ((size_t)64 << 10) /* the map must grow first */
#define S_PAD 150                      /* bytes of padding per record */

/* ---- fault injection -------------------------------------------------- */

typedef enum {
    S_FAULT_NONE = 0,
    S_FAULT_META_ENOSPC, /* writes to the two meta pages: ENOSPC */
    S_FAULT_DATA_EIO,    /* writes of data pages: EIO */
} s_fault_t;

static s_fault_t s_fault;  /* armed fault */
static dev_t s_fault_dev;  /* the data.mdb it hits */
static ino_t s_fault_ino;  /* (device and inode) */
static unsigned s_faulted; /* writes failed since armed */

static bool
s_target(int fd)
{
    struct stat st;
    return s_fault != S_FAULT_NONE && fstat(fd, &st) == 0 &&
           st.st_dev == s_fault_dev && st.st_ino == s_fault_ino;
}

/* LMDB writes a meta page with pwrite at its offset in the first two
 * pages, and data pages with pwrite (one) or writev (several). */
ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (s_target(fd)) {
        bool meta = off < 2 * (off_t)sysconf(_SC_PAGESIZE);
        if (meta == (s_fault == S_FAULT_META_ENOSPC)) {
            s_faulted++;
            errno = meta ? ENOSPC : EIO;
            return -1;
        }
    }
    return syscall(SYS_pwrite64, fd, buf, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
    if (s_fault == S_FAULT_DATA_EIO && s_target(fd)) {
        s_faulted++;
        errno = EIO;
        return -1;
    }
    return syscall(SYS_writev, fd, iov, n);
}

static void
s_arm(const char *dir, s_fault_t fault)
{
    char path[160];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    assert_int_equal(stat(path, &st), 0);
    s_fault_dev = st.st_dev;
    s_fault_ino = st.st_ino;
    s_faulted = 0;
    s_fault = fault;
}

/* ---- per test ------------------------------------------------------------ */

typedef struct {
    char root[64];   /* mkdtemp folder */
    char fs[96];     /* a tmpfs mounted in it (or not) */
    char store[128]; /* the store's folder */
} s_state_t;

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    th_tmpdir(st->root);
    snprintf(st->fs, sizeof st->fs, "%s/fs", st->root);
    snprintf(st->store, sizeof st->store, "%s/fs/store", st->root);
    *state = st;
    return 0;
}

static int
s_teardown(void **state)
{
    s_state_t *st = *state;
    s_fault = S_FAULT_NONE;
    th_tmpfs_umount(st->fs); /* also after a failed test */
    th_rmdir(st->root);
    free(st);
    return 0;
}

static void
s_verify_ok(store_t *s, uint64_t entries)
{
    store_verify_result_t res;
    int rc = store_verify(s, NULL, &res, NULL, NULL);
    if (rc)
        fail_msg("verify: %s seq %llu: %s", res.author,
                 (unsigned long long)res.seq, res.what);
    assert_int_equal(res.entries, entries);
    assert_int_equal(res.records, entries);
}

/* The head now equals *h (size and root), and the log recomputed from
 * its entries gives it. */
static void
s_same_head(store_t *s, const store_head_t *h)
{
    store_head_t now;
    th_log_t log;
    uint8_t root[PROTO_HASH_LEN];
    assert_int_equal(store_head(s, TH_AUTHOR, &now), VOCFED_OK);
    assert_int_equal(now.size, h->size);
    assert_memory_equal(now.root, h->root, PROTO_HASH_LEN);
    assert_int_equal(th_log_scan(s, &log), VOCFED_OK);
    assert_true(log.contiguous);
    assert_int_equal(log.fr.size, h->size);
    proto_frontier_root(&log.fr, root);
    assert_memory_equal(root, h->root, PROTO_HASH_LEN);
}

static off_t
s_file_size(const char *dir)
{
    char path[160];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* ---- a full disk ----------------------------------------------------------
 */

/* An append larger than the room left: the map grows first (that
 * allocates nothing), then the commit's writes find the disk full. */
static void
test_append_full(void **state)
{
    s_state_t *st = *state;
    th_keys_t k;
    store_head_t h, after;
    store_t *s;
    th_keys(1, &k);
    th_tmpfs_mount(st->fs, 1024);
    assert_non_null(s = th_create(st->store, &k, S_SMALL_MAP));
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "p", 1, 10, S_PAD, &h),
                     VOCFED_OK);
    size_t map = store_map_size(s);
    off_t size = s_file_size(st->store);
    uint64_t free_before = th_tmpfs_free(st->fs);

    /* ~8,000 records of ~200 bytes: twice the whole file system. */
    assert_int_equal(
        th_append_puts(s, TH_AUTHOR, &k, "p", 11, 8000, S_PAD, &after),
        VOCFED_ESTORAGEFULL);
    print_message("8,000 records on a 1 MiB tmpfs: storage full; map %zu -> "
                  "%zu KiB, data.mdb %lld bytes, %llu KiB free before and "
                  "%llu after\n",
                  map >> 10, store_map_size(s) >> 10,
                  (long long)s_file_size(st->store),
                  (unsigned long long)free_before >> 10,
                  (unsigned long long)th_tmpfs_free(st->fs) >> 10);
    assert_true(store_map_size(s) > map); /* MAP_FULL came first */
    /* Nothing of it is kept, and the space it took is given back. */
    s_same_head(s, &h);
    s_verify_ok(s, 10);
    assert_int_equal(s_file_size(st->store), size);
    assert_int_equal(th_tmpfs_free(st->fs), free_before);

    /* The environment is still good: what fits goes in. */
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "q", 1, 10, S_PAD, &h),
                     VOCFED_OK);
    assert_int_equal(h.size, 20);

    /* Room at last: the same write goes through, on the same handle. */
    th_tmpfs_resize(st->fs, 8192);
    assert_int_equal(
        th_append_puts(s, TH_AUTHOR, &k, "p", 11, 8000, S_PAD, &after),
        VOCFED_OK);
    assert_int_equal(after.size, 8020);
    s_verify_ok(s, 8020);
    store_destroy(&s);
    assert_non_null(s = th_open(st->store, false, 0, NULL));
    s_same_head(s, &after);
    store_destroy(&s);
}

/* A disk with not a byte left (another file filled it): the first
 * write of the commit fails at once. Freeing the other file is enough. */
static void
test_disk_filled_by_another(void **state)
{
    s_state_t *st = *state;
    char filler[160];
    th_keys_t k;
    store_head_t h, after;
    store_t *s;
    th_keys(2, &k);
    th_tmpfs_mount(st->fs, 1024);
    snprintf(filler, sizeof filler, "%s/filler", st->fs);
    assert_non_null(s = th_create(st->store, &k, 0));
    for (uint64_t i = 0; i < 5; i++)
        assert_int_equal(
            th_append_puts(s, TH_AUTHOR, &k, "p", 1 + 10 * i, 10, S_PAD, &h),
            VOCFED_OK);
    uint64_t filled = th_tmpfs_fill(filler, UINT64_MAX);
    assert_int_equal(th_tmpfs_free(st->fs), 0);
    assert_int_equal(
        th_append_puts(s, TH_AUTHOR, &k, "p", 51, 500, S_PAD, &after),
        VOCFED_ESTORAGEFULL);
    assert_int_equal(th_tmpfs_free(st->fs), 0);
    s_same_head(s, &h);
    s_verify_ok(s, 50);
    /* Readers are not troubled by a full disk, other handles neither. */
    store_t *other = th_open(st->store, false, 0, NULL);
    assert_non_null(other);
    s_same_head(other, &h);
    store_destroy(&other);

    assert_int_equal(unlink(filler), 0);
    print_message("filler of %llu KiB removed\n",
                  (unsigned long long)filled >> 10);
    assert_int_equal(
        th_append_puts(s, TH_AUTHOR, &k, "p", 51, 500, S_PAD, &after),
        VOCFED_OK);
    assert_int_equal(after.size, 550);
    s_verify_ok(s, 550);
    store_destroy(&s);
}

/* ---- the meta page cannot be written ---------------------------------- */

/* After a failed meta write LMDB refuses its environment (MDB_PANIC) for
 * every later transaction, reads too. The store opens it again: the file
 * holds the last commit that went through. First a read meets the
 * failed environment, then a write. */
static void
test_meta_write_fails(void **state)
{
    s_state_t *st = *state;
    th_keys_t k;
    store_head_t h, after;
    store_t *s;
    char value[32];
    th_keys(3, &k);
    th_tmpfs_mount(st->fs, 4096);
    assert_non_null(s = th_create(st->store, &k, 0));
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "p", 1, 10, S_PAD, &h),
                     VOCFED_OK);

    for (int pass = 0; pass < 2; pass++) {
        s_arm(st->store, S_FAULT_META_ENOSPC);
        assert_int_equal(
            th_append_puts(s, TH_AUTHOR, &k, "p", 11, 10, S_PAD, &after),
            VOCFED_ESTORAGEFULL);
        assert_true(s_faulted > 0);
        s_fault = S_FAULT_NONE;
        if (pass == 0) {
            /* A read first: it reopens, and sees the old head. */
            s_same_head(s, &h);
        }
        /* A write (the first call after the failure on pass 1). */
        assert_int_equal(store_meta_set(s, "note", pass ? "b" : "a"),
                         VOCFED_OK);
        assert_int_equal(store_meta_get(s, "note", value, sizeof value),
                         VOCFED_OK);
        assert_string_equal(value, pass ? "b" : "a");
        s_same_head(s, &h);
        s_verify_ok(s, 10);
    }
    assert_int_equal(
        th_append_puts(s, TH_AUTHOR, &k, "p", 11, 10, S_PAD, &after),
        VOCFED_OK);
    assert_int_equal(after.size, 20);
    store_destroy(&s);
    assert_non_null(s = th_open(st->store, false, 0, NULL));
    s_same_head(s, &after);
    s_verify_ok(s, 20);
    store_destroy(&s);
}

/* An I/O error on a disk with room is not "storage full": it is
 * reported as the error it is, and the store goes on once the disk
 * does. */
static void
test_io_error_is_not_full(void **state)
{
    s_state_t *st = *state;
    th_keys_t k;
    store_head_t h, after;
    store_t *s;
    th_keys(4, &k);
    th_tmpfs_mount(st->fs, 8192);
    assert_non_null(s = th_create(st->store, &k, 0));
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "p", 1, 10, S_PAD, &h),
                     VOCFED_OK);
    s_arm(st->store, S_FAULT_DATA_EIO);
    int rc = th_append_puts(s, TH_AUTHOR, &k, "p", 11, 100, S_PAD, &after);
    s_fault = S_FAULT_NONE;
    assert_true(s_faulted > 0);
    assert_int_equal(rc, -EIO);
    s_same_head(s, &h);
    assert_int_equal(
        th_append_puts(s, TH_AUTHOR, &k, "p", 11, 100, S_PAD, &after),
        VOCFED_OK);
    assert_int_equal(after.size, 110);
    s_verify_ok(s, 110);
    store_destroy(&s);
}

/* ---- ingest ---------------------------------------------------------------
 */

#define S_BATCHES 8 /* batches in one group commit */
#define S_BATCH 500 /* entries in each */
#define S_ROOM 400  /* KiB left for the receiver: some batches fit */

/* A receiver whose disk has room for part of a group of batches takes in
 * the batches that fit, in order, refuses the rest as storage full, and
 * takes them once there is room: the log ends up whole, nothing twice. */
static void
test_ingest_full(void **state)
{
    s_state_t *st = *state;
    char sender_dir[96], filler[160];
    th_keys_t k, ck;
    store_head_t h, held;
    store_t *sender, *recv;
    proto_buf_t msgs[S_BATCHES], replies[S_BATCHES];
    proto_msg_t decoded[S_BATCHES];
    const proto_msg_batch_t *m[S_BATCHES];
    store_ingest_result_t res[S_BATCHES];
    int rcs[S_BATCHES];
    th_keys(5, &k);
    th_keys(6, &ck);

    /* The sender's log: one transaction, one checkpoint at the end, so
     * every batch but the last is proved by a compact range; records the
     * receiver's kinds check takes (prefix NULL). */
    snprintf(sender_dir, sizeof sender_dir, "%s/sender", st->root);
    assert_non_null(sender = th_create(sender_dir, &k, 0));
    assert_int_equal(th_append_puts(sender, TH_AUTHOR, &k, NULL, 1,
                                    S_BATCHES * S_BATCH, S_PAD, &h),
                     VOCFED_OK);
    for (size_t i = 0; i < S_BATCHES; i++) {
        uint64_t last;
        proto_buf_init(&msgs[i]);
        proto_buf_init(&replies[i]);
        assert_int_equal(node_batch_build(sender, TH_AUTHOR, i * S_BATCH,
                                          S_BATCH, NODE_BATCH_BYTES, &msgs[i],
                                          &last),
                         VOCFED_OK);
        assert_int_equal(last, (i + 1) * S_BATCH);
        assert_int_equal(
            proto_msg_decode(msgs[i].data, msgs[i].len, &decoded[i]),
            VOCFED_OK);
        m[i] = &decoded[i].batch;
    }
    store_destroy(&sender);

    th_tmpfs_mount(st->fs, 4096);
    snprintf(filler, sizeof filler, "%s/filler", st->fs);
    assert_non_null(recv = th_create(st->store, &k, 0));
    uint64_t room = th_tmpfs_free(st->fs);
    assert_true(room > (S_ROOM << 10));
    th_tmpfs_fill(filler, room - (S_ROOM << 10));

    assert_int_equal(node_batch_accept_many(recv, "coord", ck.sk, m, S_BATCHES,
                                            replies, res, rcs),
                     VOCFED_OK);
    size_t ok = 0;
    while (ok < S_BATCHES && rcs[ok] == VOCFED_OK)
        ok++;
    print_message("%zu of %d batches of %d entries fit in %d KiB\n", ok,
                  S_BATCHES, S_BATCH, S_ROOM);
    assert_true(ok > 0 && ok < S_BATCHES);
    for (size_t i = 0; i < S_BATCHES; i++) {
        proto_msg_t r;
        assert_int_equal(proto_msg_decode(replies[i].data, replies[i].len, &r),
                         VOCFED_OK);
        /* A receipt for what was stored, an error for the rest. */
        assert_int_equal(r.type, i < ok ? PROTO_MSG_RECEIPT : PROTO_MSG_ERROR);
        if (i >= ok) {
            assert_int_equal(rcs[i], VOCFED_ESTORAGEFULL);
            assert_int_equal(r.error.code_len, strlen("storage-full"));
            assert_memory_equal(r.error.code, "storage-full", r.error.code_len);
        }
        proto_buf_reset(&replies[i]);
    }
    assert_int_equal(store_head(recv, TH_AUTHOR, &held), VOCFED_OK);
    assert_int_equal(held.size, ok * S_BATCH);
    s_verify_ok(recv, ok * S_BATCH);

    /* Room again: the rest goes in, and the log is the sender's. */
    assert_int_equal(unlink(filler), 0);
    assert_int_equal(node_batch_accept_many(recv, "coord", ck.sk, m + ok,
                                            S_BATCHES - ok, replies, res, rcs),
                     VOCFED_OK);
    for (size_t i = 0; i < S_BATCHES - ok; i++)
        assert_int_equal(rcs[i], VOCFED_OK);
    s_same_head(recv, &h);
    s_verify_ok(recv, S_BATCHES * S_BATCH);
    store_destroy(&recv);
    for (size_t i = 0; i < S_BATCHES; i++) {
        proto_buf_release(&msgs[i]);
        proto_buf_release(&replies[i]);
    }
}

int
main(int argc, char **argv)
{
    th_tmpfs_namespace(argc, argv);
#define S_T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_append_full),      S_T(test_disk_filled_by_another),
        S_T(test_meta_write_fails), S_T(test_io_error_is_not_full),
        S_T(test_ingest_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
