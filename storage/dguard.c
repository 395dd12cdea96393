/* vocfed: the derived environment's guard against a machine crash
 * (SPEC 5.5).
 *
 * derived.mdb is written without fsync (MDB_NOSYNC): everything in it is
 * applied again from the logs, which are synced, so its commits need not
 * wait for the disk. A killed process loses nothing that way (its writes
 * are in the page cache); a crash of the machine may leave the file torn.
 * So the file DIR/derived.boot holds the boot id (the kernel's
 * random/boot_id) of the boot that last wrote derived.mdb: when it is
 * not this boot's, derived.mdb is removed before it is opened, and the
 * applier builds it again from the logs. The check and the removal are
 * made under an exclusive flock on derived.boot, so of two processes
 * opening the store after a reboot only the first removes it. */
#include "storage/store_internal.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define S_BOOT_LEN 36 /* a UUID */

/* This boot's id into out (S_BOOT_LEN + 1); false when unknown. */
static bool
s_boot_id(const char *path, char out[S_BOOT_LEN + 1])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(out, 1, S_BOOT_LEN, f);
    fclose(f);
    out[n] = 0;
    return n == S_BOOT_LEN;
}

/* Removes derived.mdb and its lock file (a torn file is never opened). */
static int
s_remove(const char *dir)
{
    static const char *const names[] = {"derived.mdb", "derived.mdb-lock"};
    char path[4200];
    for (size_t i = 0; i < 2; i++) {
        int n = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (n < 0 || (size_t)n >= sizeof path)
            return VOCFED_ETOOLARGE;
        if (unlink(path) && errno != ENOENT)
            return errno;
    }
    return 0;
}

int
store_derived_remove(const char *dir)
{
    char path[4200];
    int rc = s_remove(dir);
    int n = snprintf(path, sizeof path, "%s/derived.boot", dir);
    if (rc > 0) /* s_remove's errno */
        return -rc;
    if (!rc && (n < 0 || (size_t)n >= sizeof path))
        rc = VOCFED_ETOOLARGE;
    if (!rc && unlink(path) && errno != ENOENT)
        rc = -errno;
    n = snprintf(path, sizeof path, "%s/" STORE_OPEN_LOCK, dir);
    if (!rc && (n < 0 || (size_t)n >= sizeof path))
        rc = VOCFED_ETOOLARGE;
    if (!rc && unlink(path) && errno != ENOENT)
        rc = -errno;
    return rc;
}

/* Writes this boot's id into fd (the guard file) durably. */
static int
s_write(int fd, const char *dir, const char *boot)
{
    if (ftruncate(fd, 0) || pwrite(fd, boot, S_BOOT_LEN, 0) != S_BOOT_LEN ||
        fsync(fd))
        return errno ? errno : EIO;
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    if (d < 0)
        return errno;
    int rc = fsync(d) ? errno : 0;
    close(d);
    return rc;
}

int
store_i_derived_guard(const char *dir, const char *boot_path, bool *nosync)
{
    char path[4200], now[S_BOOT_LEN + 1], was[S_BOOT_LEN + 1] = "";
    *nosync = false;
    if (!s_boot_id(boot_path ? boot_path : "/proc/sys/kernel/random/boot_id",
                   now))
        return 0; /* no boot id: derived.mdb is synced as the log is */
    int n = snprintf(path, sizeof path, "%s/derived.boot", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return VOCFED_ETOOLARGE;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    int rc = flock(fd, LOCK_EX) ? errno : 0;
    ssize_t got = rc ? -1 : pread(fd, was, S_BOOT_LEN, 0);
    if (!rc && (got != S_BOOT_LEN || memcmp(was, now, S_BOOT_LEN))) {
        char derived[4200];
        snprintf(derived, sizeof derived, "%s/derived.mdb", dir);
        if (access(derived, F_OK) == 0)
            zsys_warning("store: %s: derived.mdb was written without sync "
                         "in another boot (or before the guard): removed, "
                         "it is applied again from the logs",
                         dir);
        if (!(rc = s_remove(dir)))
            rc = s_write(fd, dir, now);
    }
    close(fd); /* releases the lock */
    *nosync = rc == 0;
    return rc;
}
