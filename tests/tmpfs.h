/* vocfed: small file systems that fill up, for the tests of a full disk
 * (tests/storage/test_full_disk.c, tests/node/test_disk.c).
 *
 * A test program calls th_tmpfs_namespace() first thing in main(): it
 * moves the program into a mount namespace of its own, so that every
 * tmpfs it mounts (and the vocfed processes it starts see) is gone when
 * it exits, however it exits; the tests also unmount them in their
 * teardown. As root (CI runs as root) that is unshare(CLONE_NEWNS);
 * otherwise the program runs itself again under `unshare --user
 * --map-root-user --mount`. If neither works it says why and exits with
 * a failure: these tests are never skipped in silence. */
#ifndef VOCFED_TESTS_TMPFS_H
#define VOCFED_TESTS_TMPFS_H

#include <stdint.h>

/* Enters a private mount namespace (see above). Returns only when the
 * program may mount; exits 1 with a message when it cannot. */
void th_tmpfs_namespace(int argc, char **argv);

/* Mounts a tmpfs of kib KiB on dir (made if missing). A cmocka failure
 * if it cannot. */
void th_tmpfs_mount(const char *dir, unsigned kib);

/* Changes the size of the tmpfs on dir to kib KiB (remount): more room
 * without touching what is on it. */
void th_tmpfs_resize(const char *dir, unsigned kib);

/* Unmounts dir if something is mounted there (lazily when it is busy);
 * for teardowns: never fails the test. */
void th_tmpfs_umount(const char *dir);

/* Bytes free on the file system holding path (for root). */
uint64_t th_tmpfs_free(const char *path);

/* Writes a file of zeros at path until the file system is full or it
 * holds max bytes; returns its size. */
uint64_t th_tmpfs_fill(const char *path, uint64_t max);

#endif
