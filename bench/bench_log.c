/* vocfed bench: the signed member log (issue 2).
 *
 * Measures, in one run and on one machine:
 *   - raw limits: LMDB batched append (MDB_APPEND, one transaction, one
 *     fsync) of N values of the entry size, and the same with one
 *     durable transaction per S_BATCH values (as a sync's batches are
 *     committed); BLAKE2b-256 of N such values; Ed25519 verifications per
 *     second;
 *   - store_append of N student records (~200 bytes each) in one
 *     transaction under one checkpoint;
 *   - store_verify of that log.
 * Each figure is the median of --runs runs; ratios are against the raw
 * limits measured in the same run. Usage:
 *   bench_log [--records N] [--runs R] [--dir TMPDIR] */
#include "bench/bench_raw.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "storage/store.h"
#include "storage/verify.h"

#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
s_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, s_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
s_rmrf(const char *dir)
{
    /* the log's environment and the derived one (the record index, kept
     * even no_derived), with its boot guard and the openers' lock */
    static const char *const files[] = {"data.mdb",     "lock.mdb",
                                        "derived.mdb",  "derived.mdb-lock",
                                        "derived.boot", "open.lock"};
    char path[4096];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        /* A truncated name would be another file: leave it. */
        int n = snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (n > 0 && (size_t)n < sizeof path)
            unlink(path);
    }
    rmdir(dir);
}

/* Bodies of synthetic student records, ~200 bytes of entry each. */
typedef struct {
    proto_buf_t *bodies;  /* one encoded body per record */
    char (*keys)[72];     /* pseudo_id keys */
    store_record_t *recs; /* the batch */
    size_t n;             /* records */
    size_t bytes;         /* total entry bytes, measured after append */
} s_batch_t;

static int
s_make_batch(s_batch_t *b, size_t n)
{
    static const char *majors[] = {"460104", "470201", "510203", "530302"};
    b->n = n;
    b->bodies = calloc(n, sizeof *b->bodies);
    b->keys = calloc(n, sizeof *b->keys);
    b->recs = calloc(n, sizeof *b->recs);
    if (!b->bodies || !b->keys || !b->recs)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint8_t h[32];
        uint64_t x = i;
        crypto_generichash(h, sizeof h, (uint8_t *)&x, sizeof x, NULL, 0);
        proto_hex(h, 32, b->keys[i]);
        proto_field_t f[] = {
            {"level", 5, {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
            {"major",
             5,
             {.type = PROTO_VAL_STR, .s = majors[i % 4], .slen = 6}},
            {"pathway",
             7,
             {.type = PROTO_VAL_STR, .s = "three_plus_two", .slen = 14}},
            {"intake_year",
             11,
             {.type = PROTO_VAL_INT, .i = 2024 + (int64_t)(i % 3)}},
            {"status", 6, {.type = PROTO_VAL_STR, .s = "enrolled", .slen = 8}},
            {"source_school",
             13,
             {.type = PROTO_VAL_STR, .s = "340803-jh-012", .slen = 13}},
            {"origin_region", 13, {.type = PROTO_VAL_INT, .i = 340803}},
            {"coop_class", 10, {.type = PROTO_VAL_STR, .s = "", .slen = 0}},
        };
        proto_buf_init(&b->bodies[i]);
        if (proto_body_encode(f, sizeof f / sizeof f[0], &b->bodies[i]))
            return -1;
        b->recs[i] =
            (store_record_t){PROTO_OP_PUT,      "student",        b->keys[i],
                             b->bodies[i].data, b->bodies[i].len, false};
    }
    return 0;
}

static int
s_count_bytes(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    (void)seq;
    (void)data;
    *(size_t *)ctx += len;
    return 0;
}

#define S_BATCH 1000 /* values per transaction of the per-batch append */

/* Raw LMDB: n values of len bytes appended in one transaction. */
static double
s_raw_lmdb(const char *dir, size_t n, size_t len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    uint8_t *val = calloc(1, len);
    double t0, t1;
    mkdir(dir, 0700);
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, (size_t)1 << 32);
    mdb_env_set_maxdbs(env, 4);
    if (mdb_env_open(env, dir, MDB_NOTLS, 0600)) {
        fprintf(stderr, "raw lmdb: cannot open %s\n", dir);
        exit(3);
    }
    t0 = s_now();
    mdb_txn_begin(env, NULL, 0, &txn);
    mdb_dbi_open(txn, "entries", MDB_CREATE, &dbi);
    mdb_cursor_open(txn, dbi, &cur);
    for (size_t i = 0; i < n; i++) {
        uint8_t k[12] = {0};
        for (int j = 11; j >= 4; j--)
            k[j] = (uint8_t)((i + 1) >> (8 * (11 - j)));
        val[0] = (uint8_t)i;
        MDB_val key = {sizeof k, k}, d = {len, val};
        if (mdb_cursor_put(cur, &key, &d, MDB_APPEND)) {
            fprintf(stderr, "raw lmdb: put failed\n");
            exit(1);
        }
    }
    mdb_cursor_close(cur);
    mdb_txn_commit(txn);
    t1 = s_now();
    mdb_env_close(env);
    free(val);
    s_rmrf(dir);
    return (double)n / (t1 - t0);
}

static double
s_raw_blake2b(size_t n, size_t len)
{
    uint8_t *val = calloc(1, len), out[32];
    double t0 = s_now();
    for (size_t i = 0; i < n; i++) {
        val[0] = (uint8_t)i;
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, val, len, out);
        val[1] ^= out[0];
    }
    double t1 = s_now();
    free(val);
    return (double)n / (t1 - t0);
}

/* The same hashes eight at a time (proto_hash_leaves: AVX-512F lanes
 * where the processor has them, else one by one). */
static double
s_raw_blake2b_lanes(size_t n, size_t len)
{
    uint8_t *val = calloc(8, len ? len : 1), out[8][32];
    const uint8_t *data[8];
    size_t lens[8];
    for (size_t j = 0; j < 8; j++) {
        data[j] = val + j * len;
        lens[j] = len;
    }
    double t0 = s_now();
    for (size_t i = 0; i < n; i += 8) {
        val[0] = (uint8_t)i;
        proto_hash_leaves(8, data, lens, out);
        val[1] ^= out[7][0];
    }
    double t1 = s_now();
    free(val);
    return (double)n / (t1 - t0);
}

static double
s_raw_ed25519(size_t n)
{
    uint8_t pk[32], sk[64], sig[64], msg[120] = {0};
    crypto_sign_keypair(pk, sk);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
    double t0 = s_now();
    for (size_t i = 0; i < n; i++)
        if (crypto_sign_verify_detached(sig, msg, sizeof msg, pk) != 0)
            exit(1);
    return (double)n / (s_now() - t0);
}

int
main(int argc, char **argv)
{
    size_t n = 100000;
    int runs = 5;
    const char *tmp = "/tmp";
    bool keep = false;
    static const struct option opts[] = {{"records", required_argument, 0, 'n'},
                                         {"runs", required_argument, 0, 'r'},
                                         {"dir", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {"keep", no_argument, 0, 'k'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "n:r:d:hk", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'n':
            n = strtoull(optarg, &end, 10);
            if (*end || n == 0) {
                fprintf(stderr, "bench_log: bad --records\n");
                return 2;
            }
            break;
        case 'r':
            runs = (int)strtol(optarg, &end, 10);
            if (*end || runs < 1 || runs > 99) {
                fprintf(stderr, "bench_log: bad --runs\n");
                return 2;
            }
            break;
        case 'd':
            tmp = optarg;
            break;
        case 'k':
            keep = true;
            break;
        default:
            printf("usage: bench_log [--records N] [--runs R] [--dir TMP] "
                   "[--keep]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (sodium_init() < 0)
        return 3;

    s_batch_t batch;
    if (s_make_batch(&batch, n)) {
        fprintf(stderr, "bench_log: out of memory\n");
        return 3;
    }
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);

    double *append = calloc((size_t)runs, sizeof(double));
    double *verify = calloc((size_t)runs, sizeof(double));
    double *lmdb = calloc((size_t)runs, sizeof(double));
    double *lmdb_b = calloc((size_t)runs, sizeof(double));
    double *blake = calloc((size_t)runs, sizeof(double));
    double *blake8 = calloc((size_t)runs, sizeof(double));
    double *ed = calloc((size_t)runs, sizeof(double));
    size_t entry_bytes = 0;
    for (int r = 0; r < runs; r++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/vocfed-bench-%d-%d", tmp, (int)getpid(),
                 r);
        store_t *st = NULL;
        store_opts_t o = {.create = true, .no_derived = true}; /* the log */
        store_head_t head;
        if (store_open(dir, &o, &st) || store_author_add(st, "bench", pk)) {
            fprintf(stderr, "bench_log: cannot create store in %s\n", dir);
            return 3;
        }
        double t0 = s_now();
        int rc = store_append(st, "bench", sk, batch.recs, n, 0, &head, NULL);
        double t1 = s_now();
        if (rc) {
            fprintf(stderr, "bench_log: append: %s\n", vocfed_strerror(rc));
            return 1;
        }
        append[r] = (double)n / (t1 - t0);

        store_verify_result_t res;
        t0 = s_now();
        rc = store_verify(st, "bench", &res, NULL, NULL);
        t1 = s_now();
        if (rc || res.entries != n) {
            fprintf(stderr, "bench_log: verify failed: %s\n", res.what);
            return 1;
        }
        verify[r] = (double)n / (t1 - t0);
        entry_bytes = 0;
        if (store_scan_entries(st, "bench", 1, s_count_bytes, &entry_bytes))
            return 1;
        store_destroy(&st);
        if (keep && r == runs - 1)
            fprintf(stderr, "bench_log: kept the store in %s\n", dir);
        else
            s_rmrf(dir);

        size_t avg = entry_bytes / n;
        snprintf(dir, sizeof dir, "%s/vocfed-bench-raw-%d-%d", tmp,
                 (int)getpid(), r);
        lmdb[r] = s_raw_lmdb(dir, n, avg);
        lmdb_b[r] = bench_raw_lmdb_batched(tmp, n, avg, S_BATCH);
        blake[r] = s_raw_blake2b(n, avg);
        blake8[r] = s_raw_blake2b_lanes(n, avg);
        ed[r] = s_raw_ed25519(20000);
    }
    double m_append = s_median(append, runs), m_verify = s_median(verify, runs);
    double m_lmdb = s_median(lmdb, runs), m_blake = s_median(blake, runs);
    double m_lmdb_b = s_median(lmdb_b, runs);
    double m_blake8 = s_median(blake8, runs);
    double m_ed = s_median(ed, runs);
    printf("bench_log: %zu records, %zu bytes per entry on average, "
           "median of %d runs\n",
           n, entry_bytes / n, runs);
    printf("  raw LMDB append (1 txn, MDB_APPEND) %12.0f values/s\n", m_lmdb);
    printf("  raw LMDB append (1 txn per %d)    %12.0f values/s\n", S_BATCH,
           m_lmdb_b);
    printf("  raw BLAKE2b-256 leaf hash           %12.0f hashes/s\n", m_blake);
    printf("  raw BLAKE2b-256 leaf hash, 8 at once %11.0f hashes/s  "
           "(proto_hash_leaves; %.2fx one by one)\n",
           m_blake8, m_blake8 / m_blake);
    printf("  raw Ed25519 verify                  %12.0f verifies/s\n", m_ed);
    printf("  store_append (1 txn, 1 checkpoint)  %12.0f records/s  "
           "(%.2f of raw LMDB; target >= 300000)\n",
           m_append, m_append / m_lmdb);
    printf("  store_verify                        %12.0f entries/s  "
           "(%.2f of raw BLAKE2b; target >= 1000000)\n",
           m_verify, m_verify / m_blake);
    for (size_t i = 0; i < n; i++)
        proto_buf_release(&batch.bodies[i]);
    free(batch.bodies);
    free(batch.keys);
    free(batch.recs);
    free(append);
    free(verify);
    free(lmdb);
    free(lmdb_b);
    free(blake);
    free(blake8);
    free(ed);
    return 0;
}
