/* vocfed: the store's environment and transaction runner (SPEC 5.4):
 * open and close, map growth, a full disk, the read runner and the
 * prefix scan, keys and status codes. */
#include "storage/ahead.h"
#include "storage/persons.h"
#include "storage/store_internal.h"
#include "protocol/clock.h"
#include "protocol/hash.h"
#include "protocol/merkle.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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
    size_t off = 5 + kind_len;
    store_i_be32(k, a);
    memcpy(k + 4, kind, kind_len);
    k[4 + kind_len] = 0;
    /* SPEC 5.1: a key that begins with a pseudo_id (64 lowercase hex
     * digits, then the end or a ':') has it as 0x01 and its 32 bytes (a
     * key is printable, so it never begins with 0x01). */
    if (key_len >= 64 && (key_len == 64 || key[64] == ':') &&
        proto_unhex_lower(key, k + off + 1, 32)) {
        k[off] = STORE_KEY_PSEUDO;
        off += 33;
        key += 64;
        key_len -= 64;
    }
    memcpy(k + off, key, key_len);
    return off + key_len;
}

int
store_i_key_record_text(const uint8_t *k, size_t len, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    if (len && k[0] == STORE_KEY_PSEUDO) {
        if (len < 33 || cap < 65)
            return VOCFED_ECORRUPT;
        proto_hex(k + 1, 32, out);
        o = 64;
        i = 33;
    }
    if (len - i >= cap - o)
        return VOCFED_ECORRUPT;
    memcpy(out + o, k + i, len - i);
    out[o + len - i] = 0;
    return MDB_SUCCESS;
}

size_t
store_i_key_tagged(uint8_t *k, char tag, const char *id)
{
    size_t n = strlen(id);
    k[0] = (uint8_t)tag;
    memcpy(k + 1, id, n);
    return n + 1;
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

static int s_reopen(store_t *self, bool derived);

/* The environment a write or read is on: the log's or the derived one. */
static MDB_env *
s_env(const store_t *self, bool derived)
{
    return derived ? self->denv : self->env;
}

static size_t *
s_map(store_t *self, bool derived)
{
    return derived ? &self->dmap_size : &self->map_size;
}
bool
store_i_is_status(int rc)
{
    return rc <= -9000 && rc > -9100;
}

static int
s_read_begin(store_t *self, bool derived, MDB_txn **txn)
{
    if (!s_env(self, derived))
        return VOCFED_ESTORE; /* a reopen failed: see the log */
    int rc = mdb_txn_begin(s_env(self, derived), NULL, MDB_RDONLY, txn);
    if (rc == MDB_PANIC && (rc = s_reopen(self, derived)) == MDB_SUCCESS)
        rc = mdb_txn_begin(s_env(self, derived), NULL, MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        /* Another process grew the map: adopt its size and retry. */
        MDB_env *env = s_env(self, derived);
        if ((rc = mdb_env_set_mapsize(env, 0)) == MDB_SUCCESS)
            rc = mdb_txn_begin(env, NULL, MDB_RDONLY, txn);
        MDB_envinfo info;
        if (mdb_env_info(env, &info) == MDB_SUCCESS)
            *s_map(self, derived) = info.me_mapsize;
    }
    return rc;
}

int
store_i_read_begin(store_t *self, MDB_txn **txn)
{
    return s_read_begin(self, false, txn);
}

int
store_i_dread_begin(store_t *self, MDB_txn **txn)
{
    return s_read_begin(self, true, txn);
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
s_give_back(MDB_env *env)
{
    MDB_txn *txn;
    MDB_envinfo info;
    MDB_stat st;
    mdb_filehandle_t fd;
    struct stat fs;
    uint64_t freed = 0;
    if (mdb_txn_begin(env, NULL, 0, &txn) != MDB_SUCCESS)
        return 0;
    if (mdb_env_info(env, &info) == MDB_SUCCESS &&
        mdb_env_stat(env, &st) == MDB_SUCCESS &&
        mdb_env_get_fd(env, &fd) == MDB_SUCCESS && fstat(fd, &fs) == 0) {
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
s_write_failed(store_t *self, bool derived, int rc)
{
    if (rc != ENOSPC && rc != EDQUOT && rc != EIO)
        return store_i_status(rc);
    uint64_t avail = s_free_bytes(derived ? self->ddir : self->dir);
    if (rc == EIO && avail >= S_FULL_SLACK) {
        /* A failing disk, not a full one. */
        zsys_error("store: %s: a write failed: %s", self->dir,
                   mdb_strerror(rc));
        return store_i_status(rc);
    }
    uint64_t freed = s_give_back(s_env(self, derived));
    uint64_t now = proto_mono_ms();
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

/* Grows the map of a write that filled it. Returns 0 or
 * VOCFED_ESTORAGEFULL. */
static int
s_grow(store_t *self, bool derived)
{
    MDB_env *env = s_env(self, derived);
    size_t *map = s_map(self, derived);
    MDB_envinfo info;
    if (mdb_env_info(env, &info) == MDB_SUCCESS)
        *map = info.me_mapsize;
    size_t next = *map * 2;
    if (next > S_MAX_MAP_SIZE)
        return VOCFED_ESTORAGEFULL;
    int rc = mdb_env_set_mapsize(env, next);
    if (rc) {
        zsys_error("store: cannot grow map to %zu bytes: %s", next,
                   mdb_strerror(rc));
        return VOCFED_ESTORAGEFULL;
    }
    *map = next;
    zsys_info("store: %s map grown to %zu KiB", derived ? "derived" : "log",
              next >> 10);
    return VOCFED_OK;
}

size_t
store_i_write_need(size_t n, size_t bytes)
{
    /* Entry bytes with their leaf hash and key, a node every 8 entries,
     * and B-tree pages copied on write: about three times the data. */
    return 3 * (bytes + n * (PROTO_HASH_LEN + STORE_KEY_ENTRY_LEN + 16)) +
           (1u << 20);
}

int
store_i_reserve(store_t *self, bool derived, size_t need)
{
    MDB_env *env = s_env(self, derived);
    size_t *map = s_map(self, derived);
    MDB_envinfo info;
    MDB_stat st;
    if (!env || mdb_env_info(env, &info) || mdb_env_stat(env, &st))
        return VOCFED_OK; /* the write itself will say what is wrong */
    *map = info.me_mapsize;
    size_t used = ((size_t)info.me_last_pgno + 1) * st.ms_psize;
    if (used + need <= *map)
        return VOCFED_OK;
    size_t next = *map;
    while (next < used + need && next <= S_MAX_MAP_SIZE / 2)
        next *= 2;
    if (next < used + need)
        return VOCFED_OK; /* past the largest map: the write finds out */
    int rc = mdb_env_set_mapsize(env, next);
    if (rc) /* e.g. a transaction of this process is open: grow later */
        return VOCFED_OK;
    *map = next;
    self->reserved++;
    zsys_info("store: %s map grown to %zu KiB before a write of ~%zu KiB",
              derived ? "derived" : "log", next >> 10, need >> 10);
    return VOCFED_OK;
}

/* Runs fn in a write transaction of the log's environment or the
 * derived one and commits, growing the map and retrying when it fills
 * (SPEC 5.4). Growing the map allocates nothing on disk: a full disk
 * shows up when the commit writes its pages. */
static int
s_write(store_t *self, bool derived, store_i_txn_fn fn, void *ctx)
{
    bool reopened = false;
    for (;;) {
        MDB_txn *txn;
        MDB_env *env = s_env(self, derived);
        if (!env)
            return VOCFED_ESTORE; /* a reopen failed: see the log */
        int rc = mdb_txn_begin(env, NULL, 0, &txn);
        if (rc == MDB_PANIC && !reopened) {
            /* A commit failed after it began to write its meta page (an
             * I/O error, or no space on a copy-on-write file system):
             * LMDB refuses this environment from then on. What is on disk
             * is the last good commit; open it again. */
            reopened = true;
            if ((rc = s_reopen(self, derived)) == MDB_SUCCESS)
                continue;
        }
        if (rc == MDB_MAP_RESIZED) {
            if ((rc = mdb_env_set_mapsize(env, 0)) != MDB_SUCCESS)
                return store_i_status(rc);
            MDB_envinfo info;
            if (mdb_env_info(env, &info) == MDB_SUCCESS)
                *s_map(self, derived) = info.me_mapsize;
            continue;
        }
        if (rc)
            return s_write_failed(self, derived, rc);
        if (derived)
            store_i_persons_begin(self, txn);
        rc = fn(self, txn, ctx);
        if (rc == MDB_SUCCESS)
            rc = mdb_txn_commit(txn); /* frees txn either way */
        else
            mdb_txn_abort(txn);
        if (derived)
            store_i_persons_begin(self, NULL); /* txn is no more */
        if (rc == MDB_SUCCESS)
            return VOCFED_OK;
        if (rc != MDB_MAP_FULL)
            return s_write_failed(self, derived, rc);
        /* Grow and redo the whole transaction: nothing of it was kept. */
        self->redone += !derived;
        self->dredone += derived;
        if ((rc = s_grow(self, derived)))
            return rc;
    }
}

int
store_i_write(store_t *self, store_i_txn_fn fn, void *ctx)
{
    return s_write(self, false, fn, ctx);
}

int
store_i_dwrite(store_t *self, store_i_txn_fn fn, void *ctx)
{
    return s_write(self, true, fn, ctx);
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
        {"peers", &self->peers},       {"roster", &self->roster},
        {"evidence", &self->evidence}, {"pending", &self->pending},
        {"alarms", &self->alarms},
    };
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        int rc = mdb_dbi_open(txn, dbs[i].name, flags, dbs[i].dbi);
        if (rc)
            return rc == MDB_NOTFOUND ? VOCFED_ECORRUPT : rc;
    }
    /* A store made before the arrival table has none (SPEC 5.1). */
    int rc = mdb_dbi_open(txn, "arrivals", flags, &self->arrivals);
    self->has_arrivals = rc == MDB_SUCCESS;
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
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
    store_i_env_spec_t spec = {self->dir, 16, self->map_size, MDB_NOTLS};
    int rc = store_i_env_open(self->dir, "log", &spec, &self->env);
    if (rc)
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

/* Creates and opens self->denv, the derived environment: the file
 * derived.mdb in the folder, with its own lock file (SPEC 5.1), written
 * without sync behind its guard (dguard.c, SPEC 5.5). */
static int
s_denv_open(store_t *self)
{
    char path[4096];
    bool nosync;
    int rc, n = snprintf(path, sizeof path, "%s/derived.mdb", self->ddir);
    if (n < 0 || (size_t)n >= sizeof path)
        return VOCFED_ETOOLARGE;
    if ((rc = store_i_derived_guard(self->ddir, NULL, &nosync)))
        return rc;
    store_i_env_spec_t spec = {path, 8, self->dmap_size,
                               MDB_NOTLS | MDB_NOSUBDIR |
                                   (nosync ? MDB_NOSYNC : 0)};
    if ((rc = store_i_env_open(self->ddir, "derived", &spec, &self->denv)))
        return rc;
    MDB_envinfo info;
    if (mdb_env_info(self->denv, &info) == MDB_SUCCESS &&
        info.me_mapsize > self->dmap_size)
        self->dmap_size = info.me_mapsize;
    return MDB_SUCCESS;
}

/* Opens (create: creates) the derived databases in txn. */
static int
s_dinit_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    unsigned flags = *(bool *)ctx ? MDB_CREATE : 0;
    int rc;
    if ((rc = mdb_dbi_open(txn, "records", flags, &self->records)) ||
        (rc = mdb_dbi_open(txn, "figures", flags, &self->figures)) ||
        (rc = mdb_dbi_open(txn, "applied", flags, &self->applied)) ||
        (rc = store_i_persons_open(self, txn, flags != 0)))
        return rc;
    return MDB_SUCCESS;
}

/* Opens the derived databases, in a read snapshot when they are there
 * (a reader never takes the writer's lock), else creating them: the
 * derived data of a folder without it is rebuilt from the logs by the
 * applier. */
static int
s_dopen(store_t *self)
{
    MDB_txn *txn;
    bool create = false;
    int rc = store_i_dread_begin(self, &txn);
    if (rc)
        return rc;
    rc = s_dinit_txn(self, txn, &create);
    if (rc == MDB_SUCCESS)
        return mdb_txn_commit(txn); /* keeps the dbi handles */
    mdb_txn_abort(txn);
    if (rc != MDB_NOTFOUND)
        return rc;
    create = true;
    return store_i_dwrite(self, s_dinit_txn, &create);
}

/* Closes an environment LMDB has marked failed (MDB_PANIC) and opens it
 * again from the file: what is there is the last commit that went
 * through. Returns an LMDB code; on failure the environment is NULL and
 * every later call on it fails with VOCFED_ESTORE. */
static int
s_reopen(store_t *self, bool derived)
{
    zsys_warning("store: %s: a failed commit left the %s environment "
                 "unusable (%s): reopening it",
                 self->dir, derived ? "derived" : "log",
                 mdb_strerror(MDB_PANIC));
    MDB_env **env = derived ? &self->denv : &self->env;
    atomic_store(&self->same_point, 0); /* checked again on the files */
    mdb_env_close(*env);
    *env = NULL;
    int rc = derived ? s_denv_open(self) : s_env_open(self);
    if (rc == MDB_SUCCESS)
        rc = derived ? s_dopen(self) : s_open_read(self);
    if (rc) {
        zsys_error("store: %s: cannot reopen: %s", self->dir,
                   rc <= -9000 && rc > -9100 ? vocfed_strerror(rc)
                                             : mdb_strerror(rc));
        mdb_env_close(*env);
        *env = NULL;
    }
    return rc;
}

/* The format version in the folder, for store_open's caller: also when
 * the store could not be opened (another version). */
static int
s_found_version_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    int rc = mdb_dbi_open(txn, "meta", 0, &self->meta);
    return rc ? rc : s_read_version(self, txn, ctx);
}

/* The map an environment opens with: the default, or for a file larger
 * than that its size and a quarter more. The map is address space, not
 * disk; opened at the file's size exactly, every write of a command
 * grew it first (and said so on stderr). */
static size_t
s_open_map(size_t map, size_t file)
{
    if (file <= map)
        return map;
    size_t more = file / 4;
    return file + (more < ((size_t)64 << 20) ? ((size_t)64 << 20) : more);
}

/* The options about derived data, and the derived map's first size: as
 * the log's, or derived.mdb's size. */
static int
s_derived_opts(store_t *self, const store_opts_t *opts)
{
    self->no_derived = opts->no_derived;
    self->async_apply = opts->async_apply;
    self->lazy_apply = opts->lazy_apply;
    char path[4096];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/derived.mdb", self->ddir);
    if (n < 0 || (size_t)n >= sizeof path)
        return VOCFED_ETOOLARGE;
    size_t map = opts->map_size ? opts->map_size : STORE_DEFAULT_MAP_SIZE;
    if (!opts->map_size && stat(path, &st) == 0)
        map = s_open_map(map, (size_t)st.st_size);
    self->dmap_size = map;
    return MDB_SUCCESS;
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
    if (!self || !(self->dir = strdup(dir)) ||
        !(self->ddir = strdup(opts->derived_dir ? opts->derived_dir : dir))) {
        if (self)
            free(self->dir);
        free(self);
        return VOCFED_ENOMEM;
    }
    size_t map = opts->map_size ? opts->map_size : STORE_DEFAULT_MAP_SIZE;
    if (exists && !opts->map_size)
        map = s_open_map(map, (size_t)st.st_size);
    self->map_size = map;
    if ((rc = s_derived_opts(self, opts)))
        goto fail;

    if ((rc = s_env_open(self)))
        goto fail;
    bool create = opts->create;
    if (create)
        rc = store_i_write(self, s_init_txn, &create);
    else
        rc = s_open_read(self);
    if (opts->found_version &&
        store_i_read(self, s_found_version_txn, opts->found_version))
        *opts->found_version = 0;
    if (rc == MDB_SUCCESS && !self->has_arrivals)
        rc = store_i_write(self, store_i_arrivals_create, NULL);
    if (rc || (rc = s_denv_open(self)) || (rc = s_dopen(self)))
        goto fail;
    *out = self;
    return VOCFED_OK;
fail:
    rc = store_i_status(rc);
    if (self->env)
        mdb_env_close(self->env);
    if (self->denv)
        mdb_env_close(self->denv);
    free(self->dir);
    free(self->ddir);
    free(self);
    return rc;
}

void
store_destroy(store_t **self)
{
    if (!self || !*self)
        return;
    store_i_next_drop(*self);  /* before the hook its encoding reads */
    store_i_inext_drop(*self); /* and the next group's checks */
    store_set_hook(*self, NULL);
    store_i_helper_free(&(*self)->helper);
    mdb_env_close((*self)->env);
    mdb_env_close((*self)->denv);
    proto_buf_release(&(*self)->scratch);
    store_i_persons_free(*self);
    free((*self)->skips);
    free((*self)->dir);
    free((*self)->ddir);
    free(*self);
    *self = NULL;
}

size_t
store_map_size(const store_t *self)
{
    return self->map_size;
}

/* One environment's usage: LMDB's info and stat, and the file's size. */
static int
s_env_usage(MDB_env *env, const char *dir, const char *file,
            store_env_usage_t *out)
{
    MDB_envinfo info;
    MDB_stat st;
    struct stat fst;
    char path[4096];
    *out = (store_env_usage_t){0};
    if (!env)
        return 0;
    int rc = mdb_env_info(env, &info);
    if (!rc)
        rc = mdb_env_stat(env, &st);
    if (rc)
        return store_i_status(rc);
    out->map_bytes = (uint64_t)info.me_mapsize;
    out->used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    int n = snprintf(path, sizeof path, "%s/%s", dir, file);
    if (n > 0 && (size_t)n < sizeof path && stat(path, &fst) == 0)
        out->file_bytes = (uint64_t)fst.st_size;
    return 0;
}

int
store_usage(store_t *self, store_env_usage_t *log, store_env_usage_t *derived)
{
    int rc = s_env_usage(self->env, self->dir, "data.mdb", log);
    if (!rc)
        rc = s_env_usage(self->denv, self->ddir, "derived.mdb", derived);
    return rc;
}

/* ---- the read runner and scans ------------------------------------------ */

int
store_i_read(store_t *self, store_i_txn_fn fn, void *ctx)
{
    MDB_txn *txn;
    int rc = store_i_read_begin(self, &txn);
    if (rc)
        return store_i_status(rc);
    rc = fn(self, txn, ctx);
    mdb_txn_abort(txn);
    return store_i_status(rc);
}

int
store_i_scan(MDB_txn *txn, MDB_dbi dbi, const void *start, size_t slen,
             size_t plen, store_i_row_fn fn, void *ctx)
{
    MDB_cursor *cur;
    MDB_val key = {slen, (void *)start}, d;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &key, &d, slen ? MDB_SET_RANGE : MDB_FIRST);
         rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &key, &d, MDB_NEXT)) {
        if (plen &&
            (key.mv_size < plen || memcmp(key.mv_data, start, plen) != 0))
            break; /* (start may be NULL when plen is 0) */
        if ((rc = fn(ctx, &key, &d)))
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == STORE_I_END ? MDB_SUCCESS : rc;
}

int
store_i_seek_last(MDB_txn *txn, MDB_dbi dbi, const uint8_t *k, size_t klen,
                  size_t plen, MDB_val *key, MDB_val *val)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return rc;
    /* Position at the first key >= k, then step back unless it is k. */
    key->mv_size = klen;
    key->mv_data = (void *)k;
    rc = mdb_cursor_get(cur, key, val, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS &&
        (key->mv_size != klen || memcmp(key->mv_data, k, klen) != 0))
        rc = mdb_cursor_get(cur, key, val, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, key, val, MDB_LAST);
    if (rc == MDB_SUCCESS &&
        (key->mv_size < plen || memcmp(key->mv_data, k, plen) != 0))
        rc = MDB_NOTFOUND;
    mdb_cursor_close(cur);
    return rc;
}

/* ---- meta ------------------------------------------------------------ */

typedef struct {
    const char *name; /* meta key */
    char *out;        /* where its value goes */
    size_t cap;       /* bytes out holds */
} s_meta_get_t;

static int
s_meta_get_txn(store_t *self, MDB_txn *txn, void *ctx)
{
    s_meta_get_t *m = ctx;
    MDB_val k = {strlen(m->name), (void *)m->name}, d;
    int rc = mdb_get(txn, self->meta, &k, &d);
    if (rc)
        return rc;
    if (d.mv_size >= m->cap)
        return VOCFED_ETOOLARGE;
    memcpy(m->out, d.mv_data, d.mv_size);
    m->out[d.mv_size] = 0;
    return MDB_SUCCESS;
}

int
store_meta_get(store_t *self, const char *name, char *out, size_t cap)
{
    s_meta_get_t m = {name, out, cap};
    return store_i_read(self, s_meta_get_txn, &m);
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
