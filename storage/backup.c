/* vocfed: a hot, compacted copy of the log and the fence (SPEC 5.6). */
#define _GNU_SOURCE /* pipe2 */
#include "storage/backup.h"
#include "storage/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_CHUNK (64 * 1024)     /* read from the pipe at a time */
#define S_TELL (1024 * 1024)    /* progress about every MiB */
#define S_COPY_MAP (1ull << 40) /* the copy's map when fenced: 1 TiB */

/* The copying thread: LMDB writes the compacted copy into a pipe. */
typedef struct {
    MDB_env *env; /* the log's environment */
    int fd;       /* the pipe's write end; closed by the thread */
    int rc;       /* mdb_env_copyfd2's answer */
} s_copier_t;

static void *
s_copier(void *arg)
{
    s_copier_t *c = arg;
    c->rc = mdb_env_copyfd2(c->env, c->fd, MDB_CP_COMPACT);
    close(c->fd);
    return NULL;
}

static int
s_errno_status(int e)
{
    return e == ENOSPC || e == EDQUOT ? VOCFED_ESTORAGEFULL : -e;
}

static int
s_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return s_errno_status(errno);
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads the pipe into the file until the copier closes it. */
static int
s_drain(int in, int out, uint64_t most, store_backup_fn progress, void *ctx)
{
    static uint8_t buf[S_CHUNK];
    uint64_t done = 0, told = 0;
    int rc = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        if (!rc) /* after a failure, read on: the copier must finish */
            rc = s_write_all(out, buf, (size_t)r);
        done += (uint64_t)r;
        if (progress && done - told >= S_TELL) {
            progress(ctx, done, most);
            told = done;
        }
    }
    if (progress)
        progress(ctx, done, most);
    return rc;
}

/* The copy: a thread runs LMDB's compacting copy into a pipe, this one
 * writes it to path, so progress can be told as it goes. */
static int
s_copy(store_t *self, const char *path, store_backup_fn progress, void *ctx)
{
    MDB_envinfo info;
    MDB_stat stat;
    int p[2], rc;
    if (mdb_env_info(self->env, &info) || mdb_env_stat(self->env, &stat))
        return VOCFED_ESTORE;
    uint64_t most = (uint64_t)(info.me_last_pgno + 1) * stat.ms_psize;
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return errno == EEXIST ? VOCFED_EEXISTS : -errno;
    if (pipe2(p, O_CLOEXEC) != 0) {
        rc = -errno;
        goto done;
    }
    s_copier_t c = {self->env, p[1], 0};
    pthread_t t;
    if ((rc = pthread_create(&t, NULL, s_copier, &c)) != 0) {
        close(p[0]);
        close(p[1]);
        rc = -rc;
        goto done;
    }
    rc = s_drain(p[0], out, most, progress, ctx);
    close(p[0]); /* a copier still writing gets EPIPE and ends */
    pthread_join(t, NULL);
    if (!rc && c.rc)
        rc = c.rc == EPIPE ? VOCFED_ESTORE : store_i_status(c.rc);
    if (!rc && fsync(out) != 0)
        rc = s_errno_status(errno);
done:
    if (close(out) != 0 && !rc)
        rc = s_errno_status(errno);
    return rc;
}

/* Opens the copy alone and writes the fence into its meta. */
static int
s_fence_copy(const char *dest, const char *why)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta;
    int rc;
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 16)) ||
        (rc = mdb_env_set_mapsize(env, S_COPY_MAP)) ||
        (rc = mdb_env_open(env, dest, MDB_NOTLS, 0600)) ||
        (rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
        (rc = mdb_dbi_open(txn, "meta", 0, &meta)))
        goto done;
    MDB_val k = {strlen(STORE_META_FENCE), (void *)STORE_META_FENCE};
    MDB_val d = {strlen(why), (void *)why};
    if ((rc = mdb_put(txn, meta, &k, &d, 0)) == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
done:
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    return rc ? store_i_status(rc) : 0; /* lock.mdb: removed by the caller */
}

int
store_backup(store_t *self, const char *dest, const char *why,
             store_backup_fn progress, void *ctx)
{
    char path[PATH_MAX], lock[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/data.mdb", dest);
    int m = snprintf(lock, sizeof lock, "%s/lock.mdb", dest);
    if (n < 0 || (size_t)n >= sizeof path || m < 0 || (size_t)m >= sizeof lock)
        return VOCFED_ETOOLARGE;
    int rc = s_copy(self, path, progress, ctx);
    if (rc == VOCFED_EEXISTS)
        return rc; /* not ours to remove */
    if (!rc && why)
        rc = s_fence_copy(dest, why);
    if (!rc) {
        int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0)
            rc = s_errno_status(errno);
        if (dfd >= 0)
            close(dfd);
    }
    unlink(lock); /* the copy's own, of no use to anyone */
    if (rc)
        unlink(path);
    return rc;
}

/* ---- the fence --------------------------------------------------------- */

int
store_fence_set(store_t *self, const char *why)
{
    return store_meta_set(self, STORE_META_FENCE, why);
}

int
store_fence_get(store_t *self, char *why, size_t cap)
{
    return store_meta_get(self, STORE_META_FENCE, why, cap);
}

static int
s_fence_clear_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    (void)ctx;
    MDB_val k = {strlen(STORE_META_FENCE), (void *)STORE_META_FENCE};
    int rc = mdb_del(txn, self->meta, &k, NULL);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

int
store_fence_clear(store_t *self)
{
    return store_i_write(self, s_fence_clear_txn, NULL);
}
