/* vocfed: small file systems that fill up (see tmpfs.h). */
#define _GNU_SOURCE /* unshare, CLONE_NEWNS */
#include "tests/tmpfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_REEXEC_ENV "VOCFED_TEST_USERNS" /* set in the re-run program */

void
th_tmpfs_namespace(int argc, char **argv)
{
    (void)argc;
    int err = 0;
    /* Mounts made from here on stay in this process and its children. */
    if (unshare(CLONE_NEWNS) == 0 &&
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
        return;
    err = errno;
    if (!getenv(S_REEXEC_ENV)) {
        /* Not root: a user namespace in which we are, with its own mount
         * namespace (util-linux makes its mounts private). */
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n > 0) {
            self[n] = '\0';
            setenv(S_REEXEC_ENV, "1", 1);
            char *args[64] = {"unshare", "--user", "--map-root-user", "--mount",
                              self};
            int k = 5;
            for (int i = 1; argv[i] && k < 63; i++)
                args[k++] = argv[i];
            args[k] = NULL;
            fflush(NULL);
            execvp("unshare", args);
            fprintf(stderr, "tmpfs: cannot run unshare: %s\n", strerror(errno));
        }
    }
    fprintf(stderr,
            "tmpfs: these tests mount small tmpfs file systems and need a "
            "mount namespace of their own: unshare(CLONE_NEWNS) failed "
            "(%s) and `unshare --user --map-root-user --mount` did not "
            "give one. Run them as root (as CI does) or allow unprivileged "
            "user namespaces (sysctl kernel.unprivileged_userns_clone=1).\n",
            strerror(err));
    exit(1);
}

void
th_tmpfs_mount(const char *dir, unsigned kib)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%uk,mode=0700", kib);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", dir, strerror(errno));
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
        fail_msg("mount -t tmpfs -o %s tmpfs %s: %s", opts, dir,
                 strerror(errno));
}

void
th_tmpfs_resize(const char *dir, unsigned kib)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%uk", kib);
    if (mount("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, opts) !=
        0)
        fail_msg("mount -o remount,%s %s: %s", opts, dir, strerror(errno));
}

void
th_tmpfs_umount(const char *dir)
{
    if (umount2(dir, 0) != 0 && errno == EBUSY && umount2(dir, MNT_DETACH) != 0)
        fprintf(stderr, "tmpfs: cannot unmount %s: %s\n", dir, strerror(errno));
}

uint64_t
th_tmpfs_free(const char *path)
{
    struct statvfs v;
    assert_int_equal(statvfs(path, &v), 0);
    return (uint64_t)v.f_bfree * v.f_frsize;
}

uint64_t
th_tmpfs_fill(const char *path, uint64_t max)
{
    static const char zeros[4096];
    uint64_t size = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    while (size < max) {
        size_t n =
            max - size < sizeof zeros ? (size_t)(max - size) : sizeof zeros;
        ssize_t w = write(fd, zeros, n);
        if (w <= 0)
            break; /* ENOSPC: full */
        size += (uint64_t)w;
    }
    close(fd);
    return size;
}
