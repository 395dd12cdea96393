/* vocfed bench: shared helpers and raw limits (see bench_raw.h). */
#include "bench/bench_raw.h"

#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double
bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
bench_rmrf(const char *dir)
{
    char cmd[4200];
    int n = snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (n < 0 || (size_t)n >= sizeof cmd || strchr(dir, '\'') ||
        system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", dir);
}

int
bench_size_arg(const char *arg, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v > SIZE_MAX / 2) {
        fprintf(stderr, "bench: not a count: %s\n", arg);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int
s_batch(MDB_env *env, MDB_dbi dbi, size_t from, size_t n, uint8_t *val,
        size_t len)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, dbi, &cur))) {
        mdb_txn_abort(txn);
        return rc;
    }
    for (size_t i = from; i < from + n && !rc; i++) {
        uint8_t k[12] = {0};
        for (int j = 11; j >= 4; j--)
            k[j] = (uint8_t)((i + 1) >> (8 * (11 - j)));
        val[0] = (uint8_t)i;
        MDB_val key = {sizeof k, k}, d = {len, val};
        rc = mdb_cursor_put(cur, &key, &d, MDB_APPEND);
    }
    mdb_cursor_close(cur);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    return mdb_txn_commit(txn);
}

double
bench_raw_lmdb_batched(const char *tmp, size_t n, size_t len, size_t batch)
{
    char dir[4096];
    MDB_env *env = NULL;
    MDB_txn *txn;
    MDB_dbi dbi;
    double rate = 0;
    uint8_t *val = calloc(1, len ? len : 1);
    snprintf(dir, sizeof dir, "%s/vocfed-raw-%d", tmp, (int)getpid());
    if (!val || mkdir(dir, 0700) || mdb_env_create(&env) ||
        mdb_env_set_mapsize(env, (size_t)8 << 30) ||
        mdb_env_set_maxdbs(env, 2) || mdb_env_open(env, dir, MDB_NOTLS, 0600) ||
        mdb_txn_begin(env, NULL, 0, &txn))
        goto done;
    if (mdb_dbi_open(txn, "entries", MDB_CREATE, &dbi) || mdb_txn_commit(txn))
        goto done;
    double t0 = bench_now();
    for (size_t i = 0; i < n; i += batch)
        if (s_batch(env, dbi, i, n - i < batch ? n - i : batch, val, len))
            goto done;
    rate = (double)n / (bench_now() - t0);
done:
    if (env)
        mdb_env_close(env);
    free(val);
    bench_rmrf(dir);
    return rate;
}
