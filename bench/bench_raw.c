/* vocfed bench: shared helpers and raw limits (see bench_raw.h). */
#include "bench/bench_raw.h"

#include "protocol/kinds.h"

#include <sodium.h>

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

int
bench_students(size_t first, size_t n, int m, proto_buf_t *bodies,
               char (*keys)[72], store_record_t *recs)
{
    static const char *const levels[] = {"higher", "secondary"};
    static const char *const regions[] = {"340803", "340822", "340100"};
    for (size_t i = 0; i < n; i++) {
        uint64_t x = (uint64_t)m << 40 | (first + i);
        uint8_t h[32];
        crypto_generichash(h, sizeof h, (uint8_t *)&x, sizeof x, NULL, 0);
        for (int k = 0; k < 32; k++)
            snprintf(keys[i] + 2 * k, 3, "%02x", h[k]);
        char year[16], school[16];
        snprintf(year, sizeof year, "%d", 2024 + (int)((first + i) % 3));
        snprintf(school, sizeof school, "jh%02d", (int)((first + i) % 17));
        const char *names[] = {"level",         "status",        "intake_year",
                               "origin_region", "source_school", "pathway"};
        const char *values[] = {
            levels[(first + i) % 2],  "enrolled", year,
            regions[(first + i) % 3], school,     "regular"};
        proto_kind_error_t err;
        proto_buf_reset(&bodies[i]);
        if (proto_kind_body(proto_kind_find("student"), names, values, 6,
                            &bodies[i], &err))
            return -1;
        recs[i] = (store_record_t){PROTO_OP_PUT,   "student",     keys[i],
                                   bodies[i].data, bodies[i].len, false};
    }
    return 0;
}
