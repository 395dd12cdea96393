/* vocfed: whole files on disk (see file.h). */
#include "node/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
node_file_open(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

int
node_file_check(const struct stat *st, uint64_t max)
{
    if (S_ISDIR(st->st_mode))
        return -EISDIR; /* says "Is a directory", not "Invalid argument" */
    if (!S_ISREG(st->st_mode))
        return -EINVAL;
    return (uint64_t)st->st_size > max ? VOCFED_ETOOLARGE : VOCFED_OK;
}

int
node_file_read(int fd, void *buf, size_t cap, size_t *len)
{
    *len = 0;
    while (*len < cap) {
        ssize_t r = read(fd, (char *)buf + *len, cap - *len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        *len += (size_t)r;
    }
    return VOCFED_OK;
}

int
node_file_write(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : VOCFED_ESTORAGEFULL;
        p += w;
        len -= (size_t)w;
    }
    return VOCFED_OK;
}

int
node_file_replace(const char *tmp, const char *path, const char *dir)
{
    if (rename(tmp, path) != 0) {
        int rc = -errno;
        unlink(tmp);
        return rc;
    }
    return node_file_sync_dir(dir); /* the rename must survive a crash */
}

int
node_file_sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    int rc = fsync(dfd) != 0 ? -errno : VOCFED_OK;
    close(dfd);
    return rc;
}

int
node_secret_write(const char *path, const uint8_t *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? VOCFED_EEXISTS : -errno;
    int rc = node_file_write(fd, data, len);
    if (rc == VOCFED_OK && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc)
        unlink(path);
    return rc;
}

int
node_secret_read(const char *path, uint8_t *out, size_t len)
{
    struct stat st;
    size_t got = 0;
    int fd = node_file_open(path, &st);
    if (fd < 0)
        return fd == -ENOENT ? VOCFED_ENOTFOUND : fd;
    int rc = VOCFED_EKEY;
    /* Like ssh: a key others can read is no longer a secret. */
    if (node_file_check(&st, len) == VOCFED_OK && !(st.st_mode & 077) &&
        (uint64_t)st.st_size == (uint64_t)len) {
        rc = node_file_read(fd, out, len, &got);
        if (rc == VOCFED_OK && got != len)
            rc = VOCFED_EKEY;
    }
    close(fd);
    return rc;
}
