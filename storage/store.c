/* vocfed: the LMDB store (SPEC 5). */
#include "storage/store_internal.h"
#include "protocol/merkle.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_MAP_SIZE ((size_t)1 << 40) /* 1 TiB: beyond it, "full" */
/* LMDB reports a short write as EIO: with less than this free on the file
 * system, that is the disk filling up, not a failing one. */
#define S_FULL_SLACK ((uint64_t)1 << 20)
#define S_FULL_LOG_MS 10000 /* "storage full" logged at most this often */

/* ---- keys ------------------------------------------------------------ */

void
store_i_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

void
store_i_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

uint32_t
store_i_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

uint64_t
store_i_rd64(const uint8_t *p)
{
    return (uint64_t)store_i_rd32(p) << 32 | store_i_rd32(p + 4);
}

void
store_i_key_entry(uint8_t k[STORE_KEY_ENTRY_LEN], uint32_t a, uint64_t seq)
{
    store_i_be32(k, a);
    store_i_be64(k + 4, seq);
}

void
store_i_key_node(uint8_t k[STORE_KEY_NODE_LEN], uint32_t a, unsigned level,
                 uint64_t index)
{
    store_i_be32(k, a);
    k[4] = (uint8_t)level;
    store_i_be64(k + 5, index);
}

void
store_i_key_cp(uint8_t k[STORE_KEY_CP_LEN], uint32_t a, uint64_t size)
{
    store_i_be32(k, a);
    store_i_be64(k + 4, size);
}

size_t
store_i_key_record(uint8_t k[STORE_KEY_RECORD_MAX], uint32_t a,
                   const char *kind, size_t kind_len, const char *key,
                   size_t key_len)
{
    store_i_be32(k, a);
    memcpy(k + 4, kind, kind_len);
    k[4 + kind_len] = 0;
    memcpy(k + 5 + kind_len, key, key_len);
    return 5 + kind_len + key_len;
}

/* ---- status ---------------------------------------------------------- */

int
store_i_status(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return VOCFED_OK;
    case MDB_NOTFOUND:
        return VOCFED_ENOTFOUND;
    case MDB_KEYEXIST:
        return VOCFED_EEXISTS;
    case MDB_MAP_FULL:
    case ENOSPC:
    case EDQUOT:
        return VOCFED_ESTORAGEFULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
        zsys_error("store: %s", mdb_strerror(rc));
        return VOCFED_ECORRUPT;
    case MDB_VERSION_MISMATCH:
        return VOCFED_EVERSION;
    case EAGAIN:
    case EBUSY:
        return VOCFED_ELOCKED;
    case ENOMEM:
        return VOCFED_ENOMEM;
    default:
        if (rc <= -9000 && rc > -9100)
            return rc; /* already a vocfed status */
        if (rc > 0)
            return -rc; /* an errno from LMDB */
        zsys_error("store: %s", mdb_strerror(rc));
        return VOCFED_ESTORE;
    }
}

/* ---- transactions ---------------------------------------------------- */

static int s_reopen(store_t *self);

int
store_i_read_begin(store_t *self, MDB_txn **txn)
{
    if (!self->env)
        return VOCFED_ESTORE; /* a reopen failed: see the log */
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_PANIC && (rc = s_reopen(self)) == MDB_SUCCESS)
        rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        /* Another process grew the map: adopt its size and retry. */
        if ((rc = mdb_env_set_mapsize(self->env, 0)) == MDB_SUCCESS)
            rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, txn);
        MDB_envinfo info;
        if (mdb_env_info(self->env, &info) == MDB_SUCCESS)
            self->map_size = info.me_mapsize;
    }
    return rc;
}

static uint64_t
s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Bytes this process may still write on the file system holding dir
 * (root may use the blocks reserved for it); UINT64_MAX if unknown. */
static uint64_t
s_free_bytes(const char *dir)
{
    struct statvfs v;
    if (statvfs(dir, &v) != 0)
        return UINT64_MAX;
    fsblkcnt_t blocks = geteuid() == 0 ? v.f_bfree : v.f_bavail;
    return (uint64_t)blocks * v.f_frsize;
}

/* Cuts data.mdb back to the pages of the last commit, under the writer's
 * lock. The pages after it belong to no snapshot (a failed commit wrote
 * them, and the next one rewrites them), and LMDB never shrinks its file:
 * without this a commit that did not fit would keep the space it took
 * and leave the disk full for every other program. Returns the bytes
 * given back. */
static uint64_t
s_give_back(store_t *self)
{
    MDB_txn *txn;
    MDB_envinfo info;
    MDB_stat st;
    mdb_filehandle_t fd;
    struct stat fs;
    uint64_t freed = 0;
    if (mdb_txn_begin(self->env, NULL, 0, &txn) != MDB_SUCCESS)
        return 0;
    if (mdb_env_info(self->env, &info) == MDB_SUCCESS &&
        mdb_env_stat(self->env, &st) == MDB_SUCCESS &&
        mdb_env_get_fd(self->env, &fd) == MDB_SUCCESS && fstat(fd, &fs) == 0) {
        off_t keep = (off_t)(info.me_last_pgno + 1) * (off_t)st.ms_psize;
        if (fs.st_size > keep && ftruncate(fd, keep) == 0)
            freed = (uint64_t)(fs.st_size - keep);
    }
    mdb_txn_abort(txn);
    return freed;
}

/* The status of a write transaction that failed with rc (an LMDB code, an
 * errno or a vocfed status). A want of disk space is VOCFED_ESTORAGEFULL
 * (SPEC 5.4), logged with the folder and what is free, at most once per
 * S_FULL_LOG_MS: a daemon whose peers retry must not flood its log. */
static int
s_write_failed(store_t *self, int rc)
{
    if (rc != ENOSPC && rc != EDQUOT && rc != EIO)
        return store_i_status(rc);
    uint64_t avail = s_free_bytes(self->dir);
    if (rc == EIO && avail >= S_FULL_SLACK) {
        /* A failing disk, not a full one. */
        zsys_error("store: %s: a write failed: %s", self->dir,
                   mdb_strerror(rc));
        return store_i_status(rc);
    }
    uint64_t freed = s_give_back(self);
    uint64_t now = s_mono_ms();
    if (now >= self->full_log_ms) {
        char tail[64] = "";
        if (self->full_unlogged)
            snprintf(tail, sizeof tail, " (%" PRIu64 " more since)",
                     self->full_unlogged);
        zsys_error(
            "store: %s: storage full: a write failed (%s) with %" PRIu64
            " KiB free on its file system; nothing of it was kept, %" PRIu64
            " KiB given back%s",
            self->dir, rc == EIO ? "short write" : mdb_strerror(rc),
            avail == UINT64_MAX ? 0 : avail >> 10, freed >> 10, tail);
        self->full_unlogged = 0;
        self->full_log_ms = now + S_FULL_LOG_MS;
    } else {
        self->full_unlogged++;
    }
    return VOCFED_ESTORAGEFULL;
}

/* Runs fn in a write transaction and commits, growing the map and
 * retrying when it fills (SPEC 5.4). Growing the map allocates nothing on
 * disk: a full disk shows up when the commit writes its pages. */
int
store_i_write(store_t *self, store_i_txn_fn fn, void *ctx)
{
    bool reopened = false;
    for (;;) {
        MDB_txn *txn;
        if (!self->env)
            return VOCFED_ESTORE; /* a reopen failed: see the log */
        int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
        if (rc == MDB_PANIC && !reopened) {
            /* A commit failed after it began to write its meta page (an
             * I/O error, or no space on a copy-on-write file system):
             * LMDB refuses this environment from then on. What is on disk
             * is the last good commit; open it again. */
            reopened = true;
            if ((rc = s_reopen(self)) == MDB_SUCCESS)
                continue;
        }
        if (rc == MDB_MAP_RESIZED) {
            if ((rc = mdb_env_set_mapsize(self->env, 0)) != MDB_SUCCESS)
                return store_i_status(rc);
            MDB_envinfo info;
            if (mdb_env_info(self->env, &info) == MDB_SUCCESS)
                self->map_size = info.me_mapsize;
            continue;
        }
        if (rc)
            return s_write_failed(self, rc);
        rc = fn(self, txn, ctx);
        if (rc == MDB_SUCCESS)
            rc = mdb_txn_commit(txn); /* frees txn either way */
        else
            mdb_txn_abort(txn);
        if (rc == MDB_SUCCESS)
            return VOCFED_OK;
        if (rc != MDB_MAP_FULL)
            return s_write_failed(self, rc);
        /* Grow and redo the whole transaction: nothing of it was kept. */
        MDB_envinfo info;
        if (mdb_env_info(self->env, &info) == MDB_SUCCESS)
            self->map_size = info.me_mapsize;
        size_t next = self->map_size * 2;
        if (next > S_MAX_MAP_SIZE)
            return VOCFED_ESTORAGEFULL;
        rc = mdb_env_set_mapsize(self->env, next);
        if (rc) {
            zsys_error("store: cannot grow map to %zu bytes: %s", next,
                       mdb_strerror(rc));
            return VOCFED_ESTORAGEFULL;
        }
        self->map_size = next;
        zsys_info("store: map grown to %zu KiB", next >> 10);
    }
}

/* ---- open ------------------------------------------------------------ */

static int
s_open_dbis(store_t *self, MDB_txn *txn, unsigned flags)
{
    struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {
        {"authors", &self->authors},   {"entries", &self->entries},
        {"nodes", &self->nodes},       {"checkpoints", &self->checkpoints},
        {"records", &self->records},   {"figures", &self->figures},
        {"peers", &self->peers},       {"roster", &self->roster},
        {"evidence", &self->evidence}, {"pending", &self->pending},
        {"alarms", &self->alarms},
    };
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        int rc = mdb_dbi_open(txn, dbs[i].name, flags, dbs[i].dbi);
        if (rc)
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    }
    return MDB_SUCCESS;
}

/* Reads meta "format_version"; 0 when absent. */
static int
s_read_version(store_t *self, MDB_txn *txn, uint64_t *v)
{
    MDB_val k = {sizeof "format_version" - 1, (void *)"format_version"}, d;
    int rc = mdb_get(txn, self->meta, &k, &d);
    *v = 0;
    if (rc == MDB_NOTFOUND)
        return MDB_SUCCESS;
    if (rc)
        return rc;
    char buf[24];
    if (d.mv_size == 0 || d.mv_size >= sizeof buf)
        return VOCFED_ECORRUPT;
    memcpy(buf, d.mv_data, d.mv_size);
    buf[d.mv_size] = 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(buf, &end, 10);
    if (errno || *end || end == buf)
        return VOCFED_ECORRUPT;
    *v = x;
    return MDB_SUCCESS;
}

static int
s_init_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    bool create = *(bool *)ctx;
    uint64_t version;
    int rc = mdb_dbi_open(txn, "meta", create ? MDB_CREATE : 0, &self->meta);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_ENOTFOUND : rc;
    if ((rc = s_read_version(self, txn, &version)))
        return rc;
    if (version == 0 && create) {
        char v[24];
        snprintf(v, sizeof v, "%d", STORE_FORMAT_VERSION);
        MDB_val k = {sizeof "format_version" - 1, (void *)"format_version"};
        MDB_val d = {strlen(v), v};
        if ((rc = mdb_put(txn, self->meta, &k, &d, 0)))
            return rc;
    } else if (version != STORE_FORMAT_VERSION) {
        return version == 0 ? VOCFED_ENOTFOUND : VOCFED_EVERSION;
    }
    return s_open_dbis(self, txn, create ? MDB_CREATE : 0);
}

/* Creates and opens self->env on self->dir with self->map_size (LMDB
 * takes at least the file's size). */
static int
s_env_open(store_t *self)
{
    int rc;
    if ((rc = mdb_env_create(&self->env)) ||
        (rc = mdb_env_set_maxdbs(self->env, 16)) ||
        (rc = mdb_env_set_mapsize(self->env, self->map_size)) ||
        (rc = mdb_env_open(self->env, self->dir, MDB_NOTLS, 0600)))
        return rc;
    MDB_envinfo info;
    if (mdb_env_info(self->env, &info) == MDB_SUCCESS &&
        info.me_mapsize > self->map_size)
        self->map_size = info.me_mapsize;
    return MDB_SUCCESS;
}

/* Checks the format version and opens the named databases in a read
 * snapshot: a reader never takes the writer's lock. */
static int
s_open_read(store_t *self)
{
    MDB_txn *txn;
    bool create = false;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return rc;
    rc = s_init_txn(self, txn, &create);
    if (rc == MDB_SUCCESS)
        rc = mdb_txn_commit(txn); /* keeps the dbi handles */
    else
        mdb_txn_abort(txn);
    return rc;
}

/* Closes an environment LMDB has marked failed (MDB_PANIC) and opens it
 * again from the file: what is there is the last commit that went
 * through. Returns an LMDB code; on failure self->env is NULL and every
 * later call fails with VOCFED_ESTORE. */
static int
s_reopen(store_t *self)
{
    zsys_warning("store: %s: a failed commit left the environment unusable "
                 "(%s): reopening it",
                 self->dir, mdb_strerror(MDB_PANIC));
    mdb_env_close(self->env);
    self->env = NULL;
    int rc = s_env_open(self);
    if (rc == MDB_SUCCESS)
        rc = s_open_read(self);
    if (rc) {
        zsys_error("store: %s: cannot reopen: %s", self->dir,
                   rc <= -9000 && rc > -9100 ? vocfed_strerror(rc)
                                             : mdb_strerror(rc));
        mdb_env_close(self->env);
        self->env = NULL;
    }
    return rc;
}

int
store_open(const char *dir, const store_opts_t *opts, store_t **out)
{
    store_opts_t none = {0};
    char path[4096];
    struct stat st;
    int rc;
    if (!opts)
        opts = &none;
    if (opts->found_version)
        *opts->found_version = 0;
    *out = NULL;

    int n = snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return VOCFED_ETOOLARGE;
    bool exists = stat(path, &st) == 0;
    if (!exists && !opts->create)
        return VOCFED_ENOTFOUND;
    if (!exists && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -errno;

    store_t *self = calloc(1, sizeof *self);
    if (!self || !(self->dir = strdup(dir))) {
        free(self);
        return VOCFED_ENOMEM;
    }
    size_t map = opts->map_size ? opts->map_size : STORE_DEFAULT_MAP_SIZE;
    if (exists && !opts->map_size && (size_t)st.st_size > map)
        map = (size_t)st.st_size;
    self->map_size = map;

    if ((rc = s_env_open(self)))
        goto fail;
    bool create = opts->create;
    if (create)
        rc = store_i_write(self, s_init_txn, &create);
    else
        rc = s_open_read(self);
    if (opts->found_version) {
        MDB_txn *txn;
        uint64_t v = 0;
        if (store_i_read_begin(self, &txn) == MDB_SUCCESS) {
            if (mdb_dbi_open(txn, "meta", 0, &self->meta) == MDB_SUCCESS &&
                s_read_version(self, txn, &v) == MDB_SUCCESS)
                *opts->found_version = v;
            mdb_txn_abort(txn);
        }
    }
    if (rc)
        goto fail;
    *out = self;
    return VOCFED_OK;
fail:
    rc = store_i_status(rc);
    if (self->env)
        mdb_env_close(self->env);
    free(self->dir);
    free(self);
    return rc;
}

void
store_destroy(store_t **self)
{
    if (!self || !*self)
        return;
    store_set_hook(*self, NULL);
    mdb_env_close((*self)->env);
    proto_buf_release(&(*self)->scratch);
    free((*self)->dir);
    free(*self);
    *self = NULL;
}

size_t
store_map_size(const store_t *self)
{
    return self->map_size;
}

/* ---- meta ------------------------------------------------------------ */

int
store_meta_get(store_t *self, const char *name, char *out, size_t cap)
{
    MDB_txn *txn;
    MDB_val k = {strlen(name), (void *)name}, d;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    rc = mdb_get(txn, self->meta, &k, &d);
    if (rc == MDB_SUCCESS) {
        if (d.mv_size >= cap) {
            rc = VOCFED_ETOOLARGE;
        } else {
            memcpy(out, d.mv_data, d.mv_size);
            out[d.mv_size] = 0;
        }
    }
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

typedef struct {
    const char *name;  /* meta key */
    const char *value; /* meta value */
} s_meta_ctx_t;

static int
s_meta_set_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_meta_ctx_t *m = ctx;
    MDB_val k = {strlen(m->name), (void *)m->name};
    MDB_val d = {strlen(m->value), (void *)m->value};
    return mdb_put(txn, self->meta, &k, &d, 0);
}

int
store_meta_set(store_t *self, const char *name, const char *value)
{
    if (!*name || strcmp(name, "format_version") == 0)
        return VOCFED_EINVALID;
    s_meta_ctx_t m = {name, value};
    return store_i_write(self, s_meta_set_txn, &m);
}

/* ---- authors --------------------------------------------------------- */

int
store_i_authno(MDB_txn *txn, store_t *self, const char *id, uint32_t *no)
{
    uint8_t k[1 + PROTO_ID_MAX];
    size_t len = strlen(id);
    if (!proto_id_valid(id, len))
        return VOCFED_ENOTFOUND;
    k[0] = 'i';
    memcpy(k + 1, id, len);
    MDB_val key = {1 + len, k}, d;
    int rc = mdb_get(txn, self->authors, &key, &d);
    if (rc == MDB_NOTFOUND)
        return VOCFED_ENOTFOUND;
    if (rc)
        return rc;
    if (d.mv_size != 4)
        return VOCFED_ECORRUPT;
    *no = store_i_rd32(d.mv_data);
    return MDB_SUCCESS;
}

typedef struct {
    const char *id;    /* author id */
    const uint8_t *pk; /* its key */
} s_author_ctx_t;

static int
s_author_add_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_author_ctx_t *a = ctx;
    uint32_t no;
    int rc = store_i_authno(txn, self, a->id, &no);
    if (rc == MDB_SUCCESS) {
        uint8_t nk[5];
        nk[0] = 'n';
        store_i_be32(nk + 1, no);
        MDB_val key = {5, nk}, d;
        if ((rc = mdb_get(txn, self->authors, &key, &d)))
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
        if (d.mv_size < PROTO_PUBKEY_LEN)
            return VOCFED_ECORRUPT;
        return memcmp(d.mv_data, a->pk, PROTO_PUBKEY_LEN) ? VOCFED_EEXISTS
                                                          : MDB_SUCCESS;
    }
    if (rc != VOCFED_ENOTFOUND)
        return rc;

    /* The next number follows the last 'n' key ('n' sorts after 'i'). */
    MDB_cursor *cur;
    MDB_val key, d;
    if ((rc = mdb_cursor_open(txn, self->authors, &cur)))
        return rc;
    rc = mdb_cursor_get(cur, &key, &d, MDB_LAST);
    mdb_cursor_close(cur);
    no = 0;
    if (rc == MDB_SUCCESS && key.mv_size == 5 &&
        ((uint8_t *)key.mv_data)[0] == 'n')
        no = store_i_rd32((uint8_t *)key.mv_data + 1) + 1;
    else if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return rc;

    size_t len = strlen(a->id);
    uint8_t ik[1 + PROTO_ID_MAX], nk[5], nv[PROTO_PUBKEY_LEN + PROTO_ID_MAX],
        iv[4];
    ik[0] = 'i';
    memcpy(ik + 1, a->id, len);
    nk[0] = 'n';
    store_i_be32(nk + 1, no);
    store_i_be32(iv, no);
    memcpy(nv, a->pk, PROTO_PUBKEY_LEN);
    memcpy(nv + PROTO_PUBKEY_LEN, a->id, len);
    MDB_val k1 = {1 + len, ik}, d1 = {4, iv};
    MDB_val k2 = {5, nk}, d2 = {PROTO_PUBKEY_LEN + len, nv};
    if ((rc = mdb_put(txn, self->authors, &k1, &d1, MDB_NOOVERWRITE)))
        return rc;
    return mdb_put(txn, self->authors, &k2, &d2, MDB_NOOVERWRITE);
}

int
store_author_add(store_t *self, const char *id,
                 const uint8_t pk[PROTO_PUBKEY_LEN])
{
    if (!proto_id_valid(id, strlen(id)))
        return VOCFED_EINVALID;
    s_author_ctx_t a = {id, pk};
    return store_i_write(self, s_author_add_txn, &a);
}

int
store_author_key(store_t *self, const char *id, uint8_t pk[PROTO_PUBKEY_LEN])
{
    MDB_txn *txn;
    uint32_t no;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if (!(rc = store_i_authno(txn, self, id, &no))) {
        uint8_t nk[5];
        nk[0] = 'n';
        store_i_be32(nk + 1, no);
        MDB_val key = {5, nk}, d;
        rc = mdb_get(txn, self->authors, &key, &d);
        if (rc == MDB_SUCCESS && d.mv_size < PROTO_PUBKEY_LEN)
            rc = VOCFED_ECORRUPT;
        if (rc == MDB_SUCCESS)
            memcpy(pk, d.mv_data, PROTO_PUBKEY_LEN);
    }
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_scan_authors(store_t *self, store_author_fn fn, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val key, d;
    uint8_t start[1] = {'n'};
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = mdb_cursor_open(txn, self->authors, &cur))) {
        mdb_txn_abort(txn);
        return store_i_status(rc);
    }
    key.mv_size = 1;
    key.mv_data = start;
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        char id[PROTO_ID_MAX + 1];
        size_t len = d.mv_size - PROTO_PUBKEY_LEN;
        if (key.mv_size != 5 || d.mv_size <= PROTO_PUBKEY_LEN ||
            len > PROTO_ID_MAX) {
            rc = VOCFED_ECORRUPT;
            break;
        }
        memcpy(id, (uint8_t *)d.mv_data + PROTO_PUBKEY_LEN, len);
        id[len] = 0;
        if ((rc = fn(ctx, id, d.mv_data)))
            break;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc == MDB_NOTFOUND ? VOCFED_OK : store_i_status(rc);
}

/* ---- tree nodes ------------------------------------------------------ */

/* SPEC 5.1: a leaf hash is kept in front of its entry; subtrees below
 * STORE_NODE_MIN_LEVEL are recomputed from leaves (at most 2^3 of them),
 * higher ones are read from the nodes database. */
int
store_i_node_source(void *ctx, unsigned level, uint64_t index,
                    uint8_t out[PROTO_HASH_LEN])
{
    store_i_tree_t *t = ctx;
    MDB_val d;
    int rc;
    if (level == 0) {
        uint8_t k[STORE_KEY_ENTRY_LEN];
        store_i_key_entry(k, t->authno, index + 1);
        MDB_val key = {sizeof k, k};
        if ((rc = mdb_get(t->txn, t->self->entries, &key, &d)))
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
        if (d.mv_size < PROTO_HASH_LEN)
            return VOCFED_ECORRUPT;
    } else if (level < STORE_NODE_MIN_LEVEL) {
        uint8_t left[PROTO_HASH_LEN], right[PROTO_HASH_LEN];
        if ((rc = store_i_node_source(ctx, level - 1, 2 * index, left)) ||
            (rc = store_i_node_source(ctx, level - 1, 2 * index + 1, right)))
            return rc;
        proto_hash_node(PROTO_HASH_BLAKE2B256, left, right, out);
        return MDB_SUCCESS;
    } else {
        uint8_t k[STORE_KEY_NODE_LEN];
        store_i_key_node(k, t->authno, level, index);
        MDB_val key = {sizeof k, k};
        if ((rc = mdb_get(t->txn, t->self->nodes, &key, &d)))
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
        if (d.mv_size != PROTO_HASH_LEN)
            return VOCFED_ECORRUPT;
    }
    memcpy(out, d.mv_data, PROTO_HASH_LEN);
    return MDB_SUCCESS;
}

int
store_i_node_sink(void *ctx, unsigned level, uint64_t index,
                  const uint8_t hash[PROTO_HASH_LEN])
{
    store_i_tree_t *t = ctx;
    if (level < STORE_NODE_MIN_LEVEL)
        return MDB_SUCCESS; /* the leaf went in with its entry */
    uint8_t k[STORE_KEY_NODE_LEN];
    store_i_key_node(k, t->authno, level, index);
    MDB_val key = {sizeof k, k}, d = {PROTO_HASH_LEN, (void *)hash};
    return mdb_put(t->txn, t->self->nodes, &key, &d, 0);
}

/* ---- heads ----------------------------------------------------------- */

/* The latest checkpoint of authno in txn: raw bytes (borrowed) or
 * MDB_NOTFOUND. */
int
store_i_latest_cp(store_t *self, MDB_txn *txn, uint32_t authno, MDB_val *out)
{
    MDB_cursor *cur;
    uint8_t k[STORE_KEY_CP_LEN];
    MDB_val key = {sizeof k, k};
    int rc = mdb_cursor_open(txn, self->checkpoints, &cur);
    if (rc)
        return rc;
    /* Position after the author's last key, then step back. */
    store_i_key_cp(k, authno, UINT64_MAX);
    rc = mdb_cursor_get(cur, &key, out, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS && key.mv_size == STORE_KEY_CP_LEN &&
        memcmp(key.mv_data, k, STORE_KEY_CP_LEN) == 0) {
        /* size UINT64_MAX itself: impossible, but it is the last. */
    } else if (rc == MDB_SUCCESS) {
        rc = mdb_cursor_get(cur, &key, out, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cur, &key, out, MDB_LAST);
    }
    if (rc == MDB_SUCCESS && (key.mv_size != STORE_KEY_CP_LEN ||
                              store_i_rd32(key.mv_data) != authno))
        rc = MDB_NOTFOUND;
    mdb_cursor_close(cur);
    return rc;
}

int
store_i_log_size(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t *size)
{
    MDB_cursor *cur;
    uint8_t k[STORE_KEY_ENTRY_LEN];
    MDB_val key = {sizeof k, k}, d;
    int rc = mdb_cursor_open(txn, self->entries, &cur);
    if (rc)
        return rc;
    store_i_key_entry(k, authno, UINT64_MAX);
    rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS)
        rc = mdb_cursor_get(cur, &key, &d, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, &key, &d, MDB_LAST);
    *size = 0;
    if (rc == MDB_SUCCESS && key.mv_size == STORE_KEY_ENTRY_LEN &&
        store_i_rd32(key.mv_data) == authno)
        *size = store_i_rd64((uint8_t *)key.mv_data + 4);
    mdb_cursor_close(cur);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

int
store_i_head(store_t *self, MDB_txn *txn, uint32_t authno, store_head_t *out,
             uint8_t prev_hash[PROTO_HASH_LEN])
{
    MDB_val cp;
    proto_checkpoint_t c = {0};
    int rc = store_i_latest_cp(self, txn, authno, &cp);
    memset(out, 0, sizeof *out);
    if (prev_hash)
        memset(prev_hash, 0, PROTO_HASH_LEN);
    if (rc == MDB_SUCCESS) {
        if (proto_checkpoint_peek(cp.mv_data, cp.mv_size, &c) != VOCFED_OK)
            return VOCFED_ECORRUPT;
        if (prev_hash && proto_checkpoint_hash(cp.mv_data, cp.mv_size,
                                               prev_hash) != VOCFED_OK)
            return VOCFED_ECORRUPT;
        out->time_ms = c.time_ms;
    } else if (rc != MDB_NOTFOUND) {
        return rc;
    }
    /* A replica may hold entries beyond its latest checkpoint (a large
     * transaction arriving in batches, SPEC 8.4): the head is the log. */
    if ((rc = store_i_log_size(self, txn, authno, &out->size)))
        return rc;
    if (out->size == c.size && c.size > 0) {
        memcpy(out->root, c.root, PROTO_HASH_LEN);
        return MDB_SUCCESS;
    }
    store_i_tree_t tree = {self, txn, authno};
    return proto_merkle_root(PROTO_HASH_BLAKE2B256, out->size,
                             store_i_node_source, &tree, out->root);
}

int
store_head(store_t *self, const char *author, store_head_t *out)
{
    MDB_txn *txn;
    uint32_t no;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if (!(rc = store_i_authno(txn, self, author, &no)))
        rc = store_i_head(self, txn, no, out, NULL);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

/* ---- append ---------------------------------------------------------- */

typedef struct {
    const char *author;         /* whose log */
    const uint8_t *sk;          /* its secret key */
    const store_record_t *recs; /* what to append */
    size_t n;                   /* how many */
    uint64_t time_ms;           /* entry and checkpoint time */
    store_head_t head;          /* out: the new head */
    size_t bad;                 /* out: the record that failed */
    proto_buf_t buf;            /* scratch for encodings */
} s_append_ctx_t;

uint64_t
store_i_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static int
s_append_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_append_ctx_t *a = ctx;
    store_i_tree_t tree = {self, txn, 0};
    store_head_t head;
    uint8_t prev[PROTO_HASH_LEN];
    proto_frontier_t fr;
    MDB_cursor *cur = NULL;
    bool append_ok = true;
    int rc;

    if ((rc = store_i_authno(txn, self, a->author, &tree.authno)) ||
        (rc = store_i_head(self, txn, tree.authno, &head, prev)))
        return rc;
    if ((rc = proto_frontier_load(&fr, PROTO_HASH_BLAKE2B256, head.size,
                                  store_i_node_source, &tree)))
        return rc;
    /* The stored nodes must give the root the last checkpoint signed. */
    uint8_t root[PROTO_HASH_LEN];
    proto_frontier_root(&fr, root);
    if (memcmp(root, head.root, PROTO_HASH_LEN) != 0)
        return VOCFED_ECORRUPT;
    if ((rc = mdb_cursor_open(txn, self->entries, &cur)))
        return rc;
    if ((rc = store_i_hook_begin(self, txn))) {
        mdb_cursor_close(cur);
        return rc;
    }

    size_t author_len = strlen(a->author);
    for (size_t i = 0; i < a->n; i++) {
        const store_record_t *r = &a->recs[i];
        uint64_t seq = head.size + 1 + i;
        proto_entry_t e = {
            .version = PROTO_ENTRY_VERSION,
            .author = a->author,
            .author_len = author_len,
            .seq = seq,
            .time_ms = a->time_ms,
            .op = r->op,
            .kind = r->kind,
            .kind_len = r->kind ? strnlen(r->kind, PROTO_KIND_MAX + 1) : 0,
            .key = r->key,
            .key_len = r->key ? strnlen(r->key, PROTO_KEY_MAX + 1) : 0,
            .body = r->op == PROTO_OP_PUT ? r->body : NULL,
            .body_len = r->op == PROTO_OP_PUT ? r->body_len : 0,
        };
        a->bad = i;
        if (!r->kind || !r->key) {
            rc = VOCFED_EINVALID;
            goto done;
        }
        /* The stored value is leaf hash || entry bytes (SPEC 5.1). */
        static const uint8_t zero[PROTO_HASH_LEN];
        proto_buf_reset(&a->buf);
        if ((rc = proto_buf_append(&a->buf, zero, sizeof zero)) ||
            (rc = proto_entry_encode(&e, &a->buf)))
            goto done;
        uint8_t *leaf = a->buf.data;
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, a->buf.data + PROTO_HASH_LEN,
                        a->buf.len - PROTO_HASH_LEN, leaf);

        uint8_t ek[STORE_KEY_ENTRY_LEN];
        store_i_key_entry(ek, tree.authno, seq);
        MDB_val key = {sizeof ek, ek}, d = {a->buf.len, a->buf.data};
        if (append_ok) {
            rc = mdb_cursor_put(cur, &key, &d, MDB_APPEND);
            if (rc == MDB_KEYEXIST) {
                /* Another author's entries sort after ours. */
                append_ok = false;
            }
        }
        if (!append_ok)
            rc = mdb_put(txn, self->entries, &key, &d, MDB_NOOVERWRITE);
        if (rc) {
            if (rc == MDB_KEYEXIST)
                rc = VOCFED_ECORRUPT; /* an entry past the head */
            goto done;
        }

        if ((rc = proto_frontier_append(&fr, leaf, store_i_node_sink, &tree)))
            goto done;

        if ((rc = store_i_apply(self, txn, tree.authno, a->author, &e, seq,
                                false)))
            goto done;
    }
    if ((rc = store_i_hook_end(self, txn)))
        goto done;

    /* SPEC 4: one checkpoint for the whole transaction. */
    proto_checkpoint_t cp = {.version = PROTO_CHECKPOINT_VERSION,
                             .size = head.size + a->n,
                             .time_ms = a->time_ms};
    memcpy(cp.author, a->author, author_len + 1);
    proto_frontier_root(&fr, cp.root);
    memcpy(cp.prev, prev, PROTO_HASH_LEN);
    proto_buf_reset(&a->buf);
    a->bad = a->n;
    if ((rc = proto_checkpoint_sign(&cp, a->sk, &a->buf)))
        goto done;
    uint8_t ck[STORE_KEY_CP_LEN];
    store_i_key_cp(ck, tree.authno, cp.size);
    MDB_val key = {sizeof ck, ck}, d = {a->buf.len, a->buf.data};
    if ((rc = mdb_put(txn, self->checkpoints, &key, &d, MDB_NOOVERWRITE))) {
        if (rc == MDB_KEYEXIST)
            rc = VOCFED_ECORRUPT;
        goto done;
    }
    a->head.size = cp.size;
    a->head.time_ms = cp.time_ms;
    memcpy(a->head.root, cp.root, PROTO_HASH_LEN);
done:
    mdb_cursor_close(cur);
    return rc;
}

int
store_append(store_t *self, const char *author,
             const uint8_t sk[PROTO_SECKEY_LEN], const store_record_t *recs,
             size_t n, uint64_t time_ms, store_head_t *head, size_t *bad)
{
    if (n == 0 || !proto_id_valid(author, strlen(author)))
        return VOCFED_EINVALID;
    s_append_ctx_t a = {.author = author,
                        .sk = sk,
                        .recs = recs,
                        .n = n,
                        .time_ms = time_ms ? time_ms : store_i_now_ms()};
    proto_buf_init(&a.buf);
    int rc = store_i_write(self, s_append_txn, &a);
    proto_buf_release(&a.buf);
    if (rc == VOCFED_OK && head)
        *head = a.head;
    if (rc != VOCFED_OK && bad)
        *bad = a.bad;
    return rc;
}

/* ---- reads ----------------------------------------------------------- */

/* Appends the entry bytes of a stored value (leaf hash || entry). */
static int
s_entry_bytes(const MDB_val *d, proto_buf_t *out)
{
    if (d->mv_size < PROTO_HASH_LEN)
        return VOCFED_ECORRUPT;
    return proto_buf_append(out, (const uint8_t *)d->mv_data + PROTO_HASH_LEN,
                            d->mv_size - PROTO_HASH_LEN);
}

int
store_entry_get(store_t *self, const char *author, uint64_t seq,
                proto_buf_t *out)
{
    MDB_txn *txn;
    uint32_t no;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if (!(rc = store_i_authno(txn, self, author, &no))) {
        uint8_t k[STORE_KEY_ENTRY_LEN];
        store_i_key_entry(k, no, seq);
        MDB_val key = {sizeof k, k}, d;
        if (!(rc = mdb_get(txn, self->entries, &key, &d)))
            rc = s_entry_bytes(&d, out);
    }
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_record_get(store_t *self, const char *author, const char *kind,
                 const char *key, proto_buf_t *out, uint64_t *seq)
{
    size_t kind_len = strlen(kind), key_len = strlen(key);
    if (!proto_kind_valid(kind, kind_len) || !proto_key_valid(key, key_len))
        return VOCFED_ENOTFOUND;
    MDB_txn *txn;
    uint32_t no;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if (!(rc = store_i_authno(txn, self, author, &no))) {
        uint8_t rk[STORE_KEY_RECORD_MAX];
        size_t rlen = store_i_key_record(rk, no, kind, kind_len, key, key_len);
        MDB_val rkey = {rlen, rk}, d;
        if (!(rc = mdb_get(txn, self->records, &rkey, &d))) {
            if (d.mv_size != 8) {
                rc = VOCFED_ECORRUPT;
            } else {
                uint8_t k[STORE_KEY_ENTRY_LEN];
                *seq = store_i_rd64(d.mv_data);
                store_i_key_entry(k, no, *seq);
                MDB_val ekey = {sizeof k, k};
                rc = mdb_get(txn, self->entries, &ekey, &d);
                if (rc == MDB_NOTFOUND)
                    rc = VOCFED_ECORRUPT;
                if (!rc)
                    rc = s_entry_bytes(&d, out);
            }
        }
    }
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_checkpoint_latest(store_t *self, const char *author, proto_buf_t *out)
{
    MDB_txn *txn;
    uint32_t no;
    MDB_val d;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if (!(rc = store_i_authno(txn, self, author, &no)) &&
        !(rc = store_i_latest_cp(self, txn, no, &d)))
        rc = proto_buf_append(out, d.mv_data, d.mv_size);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_scan_entries(store_t *self, const char *author, uint64_t from,
                   store_entry_fn fn, void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    uint32_t no;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    if ((rc = store_i_authno(txn, self, author, &no)) ||
        (rc = mdb_cursor_open(txn, self->entries, &cur)))
        goto done;
    uint8_t k[STORE_KEY_ENTRY_LEN];
    store_i_key_entry(k, no, from);
    MDB_val key = {sizeof k, k}, d;
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if (key.mv_size != STORE_KEY_ENTRY_LEN ||
            store_i_rd32(key.mv_data) != no)
            break;
        if (d.mv_size < PROTO_HASH_LEN) {
            rc = VOCFED_ECORRUPT;
            goto done;
        }
        int stop = fn(ctx, store_i_rd64((uint8_t *)key.mv_data + 4),
                      (const uint8_t *)d.mv_data + PROTO_HASH_LEN,
                      d.mv_size - PROTO_HASH_LEN);
        if (stop) {
            /* The callback's own value goes back untranslated. */
            mdb_cursor_close(cur);
            mdb_txn_abort(txn);
            return stop;
        }
    }
    if (rc == MDB_NOTFOUND || rc == 0)
        rc = MDB_SUCCESS;
done:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

/* A proof is asked of a tree the log has: size within the head. A larger
 * size is the caller's mistake (VOCFED_EINVALID), not a missing node
 * (which store_i_node_source reports as VOCFED_ECORRUPT). */
static int
s_tree_has(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t size)
{
    store_head_t head;
    int rc = store_i_head(self, txn, authno, &head, NULL);
    if (rc == MDB_SUCCESS && size > head.size)
        rc = VOCFED_EINVALID;
    return rc;
}

int
store_inclusion_proof(store_t *self, const char *author, uint64_t seq,
                      uint64_t size, proto_proof_t *out)
{
    MDB_txn *txn;
    store_i_tree_t tree = {self, NULL, 0};
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    tree.txn = txn;
    if (seq == 0)
        rc = VOCFED_EINVALID;
    else if (!(rc = store_i_authno(txn, self, author, &tree.authno)) &&
             !(rc = s_tree_has(self, txn, tree.authno, size)))
        rc = proto_merkle_inclusion_proof(PROTO_HASH_BLAKE2B256, seq - 1, size,
                                          store_i_node_source, &tree, out);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_consistency_proof(store_t *self, const char *author, uint64_t old_size,
                        uint64_t new_size, proto_proof_t *out)
{
    MDB_txn *txn;
    store_i_tree_t tree = {self, NULL, 0};
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    tree.txn = txn;
    if (!(rc = store_i_authno(txn, self, author, &tree.authno)) &&
        !(rc = s_tree_has(self, txn, tree.authno, new_size)))
        rc = proto_merkle_consistency_proof(PROTO_HASH_BLAKE2B256, old_size,
                                            new_size, store_i_node_source,
                                            &tree, out);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

/* ---- test hooks ------------------------------------------------------ */

typedef struct {
    store_raw_t what;    /* which database */
    const char *author;  /* whose */
    uint64_t key;        /* seq, size or level << 56 | index */
    const char *name;    /* record kind 0x00 key */
    size_t name_len;     /* its length */
    const uint8_t *data; /* new value, or NULL to delete */
    size_t len;          /* its length */
} s_raw_ctx_t;

static int
s_raw_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_raw_ctx_t *r = ctx;
    uint32_t no;
    uint8_t k[4 + STORE_KEY_RECORD_MAX];
    MDB_val key = {0, k};
    MDB_dbi dbi;
    int rc = store_i_authno(txn, self, r->author, &no);
    if (rc)
        return rc;
    switch (r->what) {
    case STORE_RAW_ENTRY:
    case STORE_RAW_LEAF:
        store_i_key_entry(k, no, r->key);
        key.mv_size = STORE_KEY_ENTRY_LEN;
        dbi = self->entries;
        if (r->data) {
            /* Keep the other half of the value (leaf hash || entry). */
            MDB_val old;
            rc = mdb_get(txn, dbi, &key, &old);
            if (rc && rc != MDB_NOTFOUND)
                return rc;
            uint8_t leaf[PROTO_HASH_LEN] = {0};
            const uint8_t *bytes = NULL;
            size_t nbytes = 0;
            if (rc == MDB_SUCCESS && old.mv_size >= PROTO_HASH_LEN) {
                memcpy(leaf, old.mv_data, PROTO_HASH_LEN);
                bytes = (const uint8_t *)old.mv_data + PROTO_HASH_LEN;
                nbytes = old.mv_size - PROTO_HASH_LEN;
            }
            if (r->what == STORE_RAW_LEAF) {
                if (r->len != PROTO_HASH_LEN)
                    return VOCFED_EINVALID;
                memcpy(leaf, r->data, PROTO_HASH_LEN);
            } else {
                bytes = r->data;
                nbytes = r->len;
            }
            proto_buf_t v;
            proto_buf_init(&v);
            if ((rc = proto_buf_append(&v, leaf, PROTO_HASH_LEN)) ||
                (rc = proto_buf_append(&v, bytes, nbytes))) {
                proto_buf_release(&v);
                return rc;
            }
            MDB_val d = {v.len, v.data};
            rc = mdb_put(txn, dbi, &key, &d, 0);
            proto_buf_release(&v);
            return rc;
        }
        break;
    case STORE_RAW_CHECKPOINT:
        store_i_key_cp(k, no, r->key);
        key.mv_size = STORE_KEY_CP_LEN;
        dbi = self->checkpoints;
        break;
    case STORE_RAW_NODE:
        store_i_key_node(k, no, (unsigned)(r->key >> 56),
                         r->key & ((UINT64_C(1) << 56) - 1));
        key.mv_size = STORE_KEY_NODE_LEN;
        dbi = self->nodes;
        break;
    case STORE_RAW_RECORD:
        if (r->name_len > STORE_KEY_RECORD_MAX - 4)
            return VOCFED_EINVALID;
        store_i_be32(k, no);
        memcpy(k + 4, r->name, r->name_len);
        key.mv_size = 4 + r->name_len;
        dbi = self->records;
        break;
    default:
        return VOCFED_EINVALID;
    }
    if (!r->data)
        return mdb_del(txn, dbi, &key, NULL);
    MDB_val d = {r->len, (void *)r->data};
    return mdb_put(txn, dbi, &key, &d, 0);
}

int
store_raw_put(store_t *self, store_raw_t what, const char *author, uint64_t key,
              const char *name, size_t name_len, const uint8_t *data,
              size_t len)
{
    s_raw_ctx_t r = {what, author, key, name, name_len, data, len};
    return store_i_write(self, s_raw_txn, &r);
}

/* ---- the apply hook (SPEC 5.5) ------------------------------------------ */

void
store_set_hook(store_t *self, const store_hook_t *hook)
{
    if (self->has_hook && self->hook.destroy)
        self->hook.destroy(self->hook.ctx);
    self->has_hook = hook != NULL;
    if (hook)
        self->hook = *hook;
}

int
store_i_hook_begin(store_t *self, MDB_txn *txn)
{
    /* The hook may keep this pointer until end: it lives in the store. */
    self->htxn.self = self;
    self->htxn.txn = txn;
    return self->has_hook && self->hook.begin
               ? self->hook.begin(self->hook.ctx, &self->htxn)
               : MDB_SUCCESS;
}

int
store_i_hook_end(store_t *self, MDB_txn *txn)
{
    self->htxn.self = self;
    self->htxn.txn = txn;
    return self->has_hook && self->hook.end
               ? self->hook.end(self->hook.ctx, &self->htxn)
               : MDB_SUCCESS;
}

/* The body of the entry at seq of authno (borrowed), NULL for a del. */
static int
s_entry_body(store_t *self, MDB_txn *txn, uint32_t authno, uint64_t seq,
             const uint8_t **body, size_t *len)
{
    uint8_t k[STORE_KEY_ENTRY_LEN];
    store_i_key_entry(k, authno, seq);
    MDB_val key = {sizeof k, k}, d;
    proto_entry_t e;
    int rc = mdb_get(txn, self->entries, &key, &d);
    if (rc)
        return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    if (d.mv_size < PROTO_HASH_LEN ||
        proto_entry_decode((uint8_t *)d.mv_data + PROTO_HASH_LEN,
                           d.mv_size - PROTO_HASH_LEN, &e) != VOCFED_OK)
        return VOCFED_ECORRUPT;
    *body = e.body;
    *len = e.body_len;
    return MDB_SUCCESS;
}

int
store_i_apply(store_t *self, MDB_txn *txn, uint32_t authno, const char *author,
              const proto_entry_t *e, uint64_t seq, bool missing_del_ok)
{
    uint8_t rk[STORE_KEY_RECORD_MAX], sv[8];
    size_t rlen = store_i_key_record(rk, authno, e->kind, e->kind_len, e->key,
                                     e->key_len);
    MDB_val rkey = {rlen, rk}, rval = {8, sv}, old;
    const uint8_t *old_body = NULL;
    size_t old_len = 0;
    int rc;
    if (self->has_hook) {
        /* The hook needs the record this entry replaces. */
        rc = mdb_get(txn, self->records, &rkey, &old);
        if (rc == MDB_SUCCESS) {
            if (old.mv_size != 8)
                return VOCFED_ECORRUPT;
            if ((rc = s_entry_body(self, txn, authno, store_i_rd64(old.mv_data),
                                   &old_body, &old_len)))
                return rc;
        } else if (rc != MDB_NOTFOUND) {
            return rc;
        }
    }
    store_i_be64(sv, seq);
    if (e->op == PROTO_OP_PUT) {
        rc = mdb_put(txn, self->records, &rkey, &rval, 0);
    } else {
        rc = mdb_del(txn, self->records, &rkey, NULL);
        if (rc == MDB_NOTFOUND)
            rc = missing_del_ok ? MDB_SUCCESS : VOCFED_ENOTFOUND;
    }
    if (rc || !self->has_hook || !self->hook.entry)
        return rc;
    /* LMDB's pointers may not outlive the next write: hand over a copy. */
    proto_buf_reset(&self->scratch);
    if (old_body && (rc = proto_buf_append(&self->scratch, old_body, old_len)))
        return rc;
    self->htxn.self = self;
    self->htxn.txn = txn;
    return self->hook.entry(self->hook.ctx, &self->htxn, author, e,
                            old_body ? self->scratch.data : NULL, old_len);
}

int
store_txn_counter_get(store_txn_t *t, const void *key, size_t len,
                      int64_t *value)
{
    MDB_val k = {len, (void *)key}, d;
    int rc = mdb_get(t->txn, t->self->figures, &k, &d);
    *value = 0;
    if (rc == MDB_NOTFOUND)
        return VOCFED_OK;
    if (rc)
        return store_i_status(rc);
    if (d.mv_size != 8)
        return VOCFED_ECORRUPT;
    *value = (int64_t)store_i_rd64(d.mv_data);
    return VOCFED_OK;
}

int
store_txn_counter_set(store_txn_t *t, const void *key, size_t len,
                      int64_t value)
{
    if (len == 0 || len > 511)
        return VOCFED_EINVALID;
    MDB_val k = {len, (void *)key};
    if (value == 0) {
        int rc = mdb_del(t->txn, t->self->figures, &k, NULL);
        return rc == MDB_NOTFOUND ? VOCFED_OK : rc;
    }
    uint8_t v[8];
    store_i_be64(v, (uint64_t)value);
    MDB_val d = {8, v};
    return mdb_put(t->txn, t->self->figures, &k, &d, 0);
}

int
store_txn_counters_clear(store_txn_t *t)
{
    return mdb_drop(t->txn, t->self->figures, 0);
}

int
store_scan_counters(store_t *self, store_txn_t *t, const void *prefix,
                    size_t plen, store_counter_fn fn, void *ctx)
{
    MDB_txn *txn = t ? t->txn : NULL;
    MDB_cursor *cur = NULL;
    int rc;
    if (!txn && (rc = store_i_read_begin(self, &txn)))
        return store_i_status(rc);
    if ((rc = mdb_cursor_open(txn, self->figures, &cur)))
        goto done;
    MDB_val key = {plen, (void *)prefix}, d;
    for (rc = mdb_cursor_get(cur, &key, &d, plen ? MDB_SET_RANGE : MDB_FIRST);
         rc == 0; rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if (key.mv_size < plen || memcmp(key.mv_data, prefix, plen))
            break;
        if (d.mv_size != 8) {
            rc = VOCFED_ECORRUPT;
            goto done;
        }
        int stop =
            fn(ctx, key.mv_data, key.mv_size, (int64_t)store_i_rd64(d.mv_data));
        if (stop) {
            rc = stop;
            goto done;
        }
    }
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
done:
    mdb_cursor_close(cur);
    if (!t)
        mdb_txn_abort(txn);
    return rc > 0 || (rc <= -9000 && rc > -9100) || rc == 0
               ? rc
               : store_i_status(rc);
}

int
store_txn_record(store_txn_t *t, const char *author, const char *kind,
                 const char *key, proto_buf_t *out)
{
    uint32_t no;
    size_t kl = strlen(kind), keyl = strlen(key);
    if (!proto_kind_valid(kind, kl) || !proto_key_valid(key, keyl))
        return VOCFED_ENOTFOUND;
    int rc = store_i_authno(t->txn, t->self, author, &no);
    if (rc)
        return store_i_status(rc);
    uint8_t rk[STORE_KEY_RECORD_MAX];
    MDB_val rkey = {store_i_key_record(rk, no, kind, kl, key, keyl), rk}, d;
    if ((rc = mdb_get(t->txn, t->self->records, &rkey, &d)))
        return store_i_status(rc);
    if (d.mv_size != 8)
        return VOCFED_ECORRUPT;
    const uint8_t *body;
    size_t len;
    if ((rc = s_entry_body(t->self, t->txn, no, store_i_rd64(d.mv_data), &body,
                           &len)))
        return store_i_status(rc);
    return proto_buf_append(out, body, len);
}

int
store_txn_scan_records(store_txn_t *t, const char *author, const char *kind,
                       store_txn_record_fn fn, void *ctx)
{
    uint32_t no;
    MDB_cursor *cur = NULL;
    int rc = store_i_authno(t->txn, t->self, author, &no);
    if (rc)
        return store_i_status(rc);
    uint8_t prefix[4 + PROTO_KIND_MAX + 1];
    size_t plen = 4;
    store_i_be32(prefix, no);
    if (kind) {
        size_t kl = strlen(kind);
        if (kl > PROTO_KIND_MAX)
            return VOCFED_EINVALID;
        memcpy(prefix + 4, kind, kl);
        prefix[4 + kl] = 0;
        plen += kl + 1;
    }
    if ((rc = mdb_cursor_open(t->txn, t->self->records, &cur)))
        return store_i_status(rc);
    MDB_val key = {plen, prefix}, d;
    for (rc = mdb_cursor_get(cur, &key, &d, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if (key.mv_size <= plen || memcmp(key.mv_data, prefix, plen))
            break;
        const char *name = (const char *)key.mv_data + 4;
        size_t nlen = key.mv_size - 4, klen = strnlen(name, nlen);
        if (klen >= nlen || klen > PROTO_KIND_MAX ||
            nlen - klen - 1 > PROTO_KEY_MAX || d.mv_size != 8) {
            rc = VOCFED_ECORRUPT;
            break;
        }
        char kbuf[PROTO_KIND_MAX + 1], keybuf[PROTO_KEY_MAX + 1];
        memcpy(kbuf, name, klen);
        kbuf[klen] = 0;
        memcpy(keybuf, name + klen + 1, nlen - klen - 1);
        keybuf[nlen - klen - 1] = 0;
        const uint8_t *body;
        size_t blen;
        if ((rc = s_entry_body(t->self, t->txn, no, store_i_rd64(d.mv_data),
                               &body, &blen)))
            break;
        if ((rc = fn(ctx, kbuf, keybuf, body, blen)))
            break;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
    return rc > 0 ? store_i_status(rc) : rc;
}

typedef struct {
    store_txn_fn fn; /* the work */
    void *ctx;       /* its context */
} s_with_t;

static int
s_with_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_with_t *w = ctx;
    int rc = store_i_hook_begin(self, txn);
    if (!rc)
        rc = w->fn(w->ctx, &self->htxn);
    if (!rc)
        rc = store_i_hook_end(self, txn);
    return rc;
}

int
store_with_txn(store_t *self, store_txn_fn fn, void *ctx)
{
    s_with_t w = {fn, ctx};
    return store_i_write(self, s_with_txn, &w);
}

int
store_txn_blob_get(store_txn_t *t, const void *key, size_t klen,
                   proto_buf_t *out)
{
    MDB_val k = {klen, (void *)key}, d;
    int rc = mdb_get(t->txn, t->self->figures, &k, &d);
    if (rc)
        return store_i_status(rc);
    return proto_buf_append(out, d.mv_data, d.mv_size);
}

int
store_txn_blob_set(store_txn_t *t, const void *key, size_t klen,
                   const void *data, size_t len)
{
    if (klen == 0 || klen > 511)
        return VOCFED_EINVALID;
    MDB_val k = {klen, (void *)key};
    /* Raw LMDB codes, as in store_txn_counter_set: MDB_MAP_FULL must
     * reach store_i_write unchanged so that it grows the map and retries
     * (SPEC 5.4); translated, it would be a "storage full" refusal. */
    if (len == 0) {
        int rc = mdb_del(t->txn, t->self->figures, &k, NULL);
        return rc == MDB_NOTFOUND ? VOCFED_OK : rc;
    }
    MDB_val d = {len, (void *)data};
    return mdb_put(t->txn, t->self->figures, &k, &d, 0);
}

static int
s_nothing_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    (void)self;
    (void)txn;
    (void)ctx;
    return MDB_SUCCESS; /* an empty commit writes nothing */
}

int
store_sync_point(store_t *self)
{
    return store_i_write(self, s_nothing_txn, NULL);
}
