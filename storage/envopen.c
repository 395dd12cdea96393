/* vocfed: opening an LMDB environment so that a killed opener loses no
 * commit (SPEC 5.1, open.lock).
 *
 * LMDB sets its lock file up (lock.mdb, derived.mdb-lock) in the first
 * process to open an environment. Holding an exclusive lock on it, that
 * process writes the mutexes, a magic number and a last transaction id
 * of 0. Then it reads the data file's last commit, writes that id, and
 * only then lets the others in. A process killed between those steps
 * leaves the magic number and the id 0. An opener that was waiting takes
 * that table as set up, and its readers and writers start from meta page
 * 0, which may be older than the last commit. Its next write is built on
 * it, and the last commit is lost (LMDB 0.9.24). The crash loop saw it:
 * a `vocfed del` acknowledged, then gone, when a member daemon killed as
 * it started was opening the store.
 *
 * So every opener holds an exclusive flock on DIR/open.lock while it
 * opens. A waiting opener waits there, not in LMDB. After a killed opener
 * it finds nobody holding the lock file, and sets it up again itself.
 * After the open, the lock table's id is checked against the data file's
 * last commit. When it is behind (an opener that did not take open.lock,
 * such as LMDB's own tools), the environment is opened again. That sets
 * the table up anew when no other process holds it, else it is refused. */
#include "storage/store_internal.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#define S_REOPENS 2 /* opens again of an environment whose table is behind */

/* Takes dir's open.lock (an exclusive flock, waited for). Returns its
 * descriptor, or -1 when it cannot be had (a folder that is not
 * writable: LMDB then says what is wrong). */
static int
s_guard(const char *dir)
{
    char path[4200];
    int n = snprintf(path, sizeof path, "%s/" STORE_OPEN_LOCK, dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc;
    while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* True when env's lock table names an older transaction than its data
 * file's last commit (*table, *last: the two). */
static bool
s_table_behind(MDB_env *env, uint64_t *table, uint64_t *last)
{
    MDB_envinfo info;
    MDB_txn *txn;
    *table = *last = 0;
    if (mdb_env_info(env, &info) != MDB_SUCCESS ||
        mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS)
        return false; /* the first read or write says what is wrong */
    /* A reader starts at the table's id; the last commit is the newer
     * meta page. A live writer updates the table just after its meta
     * page, so a sound table is at most one behind, and only for that
     * moment. */
    *table = (uint64_t)mdb_txn_id(txn);
    mdb_txn_abort(txn);
    *last = (uint64_t)info.me_last_txnid;
    return *table + 1 < *last;
}

/* Creates *env and opens it as spec says. Returns an LMDB code; *env
 * may be set on failure. */
static int
s_make(const store_i_env_spec_t *spec, MDB_env **env)
{
    int rc;
    if ((rc = mdb_env_create(env)) ||
        (rc = mdb_env_set_maxdbs(*env, spec->maxdbs)) ||
        (rc = mdb_env_set_mapsize(*env, spec->map)) ||
        (rc = mdb_env_open(*env, spec->path, spec->flags, 0600)))
        return rc;
    return MDB_SUCCESS;
}

int
store_i_env_open(const char *dir, const char *what,
                 const store_i_env_spec_t *spec, MDB_env **env)
{
    int guard = s_guard(dir);
    int rc;
    uint64_t table, last;
    *env = NULL;
    for (int i = 0;; i++) {
        if ((rc = s_make(spec, env)) != MDB_SUCCESS)
            break;
        if (!s_table_behind(*env, &table, &last))
            break;
        if (i == S_REOPENS) {
            zsys_error("store: %s: the %s environment's lock table says "
                       "transaction %" PRIu64 ", its data file's last commit "
                       "is %" PRIu64 ": a process was killed while it opened "
                       "it. Nothing is read or written until every process "
                       "using this store has stopped (its daemon, its "
                       "commands); the next to open it sets the table up "
                       "again",
                       dir, what, table, last);
            rc = VOCFED_ELOCKED;
            break;
        }
        /* Closed and opened again: alone, this process sets it up anew. */
        zsys_warning("store: %s: the %s environment's lock table says "
                     "transaction %" PRIu64 ", its data file's last commit "
                     "is %" PRIu64 ": opening it again",
                     dir, what, table, last);
        mdb_env_close(*env);
        *env = NULL;
    }
    if (guard >= 0)
        close(guard); /* releases the flock */
    return rc;
}
