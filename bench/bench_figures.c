/* vocfed bench: records and figures (issue 4).
 *
 *   1. Appending student records with the figures kept in the same
 *      transaction (what `vocfed import` does after parsing), against the
 *      same append without figures: the cost of keeping them.
 *   2. The report's figures (node_figures_json) at a store holding many
 *      records: they are read from the kept counters, so the time must not
 *      grow with the number of records.
 *   3. 300 profile changes of a member with 20,000 students, one
 *      transaction each: the cost must not grow with its records.
 * Usage: bench_figures [--rows 100000] [--records 10000000] [--runs 5]
 *                      [--dir /tmp] [--keep] */
#include "bench/bench_raw.h"
#include "node/figures.h"
#include "protocol/kinds.h"
#include "storage/store.h"

#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_figures: could not remove %s\n", dir);
}

static int
s_open(const char *dir, bool figures, store_t **st, uint8_t pk[32],
       uint8_t sk[64], int authors)
{
    store_opts_t o = {.create = true, .no_derived = !figures};
    if (store_open(dir, &o, st))
        return -1;
    if (figures && node_figures_attach(*st, "coord"))
        return -1;
    for (int a = 0; a < authors; a++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", a);
        if (store_author_add(*st, id, pk))
            return -1;
    }
    (void)sk;
    return 0;
}

/* 3. A member's profile changes (its county and affiliation) over its
 * 20,000 students, each change its own transaction: the cost of one
 * change, which must not grow with the member's records (issue 10). */
static int
s_profile_changes(const char *tmp, uint8_t pk[32], uint8_t sk[64],
                  proto_buf_t *bodies, char (*keys)[72], store_record_t *recs)
{
    enum { S_STUDENTS = 20000, S_CHANGES = 300 };
    char dir[4096];
    store_t *st = NULL;
    double ms[S_CHANGES];
    snprintf(dir, sizeof dir, "%s/vocfed-bf-prof-%d", tmp, (int)getpid());
    if (s_open(dir, true, &st, pk, sk, 1) ||
        bench_students(0, S_STUDENTS, 0, bodies, keys, recs) ||
        store_append(st, "m0", sk, recs, S_STUDENTS, 0, NULL, NULL))
        return 1;
    for (int i = 0; i < S_CHANGES; i++) {
        const char *names[] = {"name_zh", "role", "original_affiliation",
                               "region_code"};
        const char *values[] = {"x", "school", i % 2 ? "市政府" : "县政府",
                                i % 2 ? "340803" : "340826"};
        proto_kind_error_t err;
        proto_buf_t b;
        proto_buf_init(&b);
        if (proto_kind_body(proto_kind_find("member"), names, values, 4, &b,
                            &err))
            return 1;
        store_record_t r = {PROTO_OP_PUT, "member", "profile",
                            b.data,       b.len,    false};
        double a = s_now();
        int rc = store_append(st, "m0", sk, &r, 1, 0, NULL, NULL);
        ms[i] = (s_now() - a) * 1000;
        proto_buf_release(&b);
        if (rc)
            return 1;
    }
    double total = 0;
    for (int i = 0; i < S_CHANGES; i++)
        total += ms[i];
    printf("  %d profile changes over %d students: %.1f ms in all, "
           "%.3f ms median per change\n",
           S_CHANGES, S_STUDENTS, total, s_median(ms, S_CHANGES));
    store_destroy(&st);
    s_rmrf(dir);
    return 0;
}

int
main(int argc, char **argv)
{
    size_t rows = 100000, records = 10000000;
    int runs = 5;
    const char *tmp = "/tmp";
    bool keep = false;
    static const struct option opts[] = {{"rows", required_argument, 0, 'n'},
                                         {"records", required_argument, 0, 'R'},
                                         {"runs", required_argument, 0, 'r'},
                                         {"dir", required_argument, 0, 'd'},
                                         {"keep", no_argument, 0, 'k'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "n:R:r:d:kh", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'n':
            rows = strtoull(optarg, &end, 10);
            if (*end || !rows)
                return 2;
            break;
        case 'R':
            records = strtoull(optarg, &end, 10);
            if (*end || records < 100000)
                return 2;
            break;
        case 'r':
            runs = (int)strtol(optarg, &end, 10);
            if (*end || runs < 1 || runs > 99)
                return 2;
            break;
        case 'd':
            tmp = optarg;
            break;
        case 'k':
            keep = true;
            break;
        default:
            printf("usage: bench_figures [--rows N] [--records N] [--runs R] "
                   "[--dir TMP] [--keep]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (sodium_init() < 0)
        return 3;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    size_t chunk = 100000;
    proto_buf_t *bodies = calloc(chunk, sizeof *bodies);
    char(*keys)[72] = calloc(chunk, sizeof *keys);
    store_record_t *recs = calloc(chunk, sizeof *recs);
    double *with = calloc((size_t)runs, sizeof(double));
    double *without = calloc((size_t)runs, sizeof(double));
    if (!bodies || !keys || !recs || !with || !without)
        return 3;
    for (size_t i = 0; i < chunk; i++)
        proto_buf_init(&bodies[i]);

    /* 1. Appending rows with and without the figures. */
    size_t n1 = rows < chunk ? rows : chunk;
    if (bench_students(0, n1, 0, bodies, keys, recs))
        return 1;
    for (int r = 0; r < runs; r++) {
        for (int f = 0; f < 2; f++) {
            char dir[4096];
            store_t *st = NULL;
            snprintf(dir, sizeof dir, "%s/vocfed-bf-%d-%d-%d", tmp,
                     (int)getpid(), r, f);
            if (s_open(dir, f == 1, &st, pk, sk, 1))
                return 3;
            double t0 = s_now();
            if (store_append(st, "m0", sk, recs, n1, 0, NULL, NULL))
                return 1;
            double t1 = s_now();
            (f ? with : without)[r] = (double)n1 / (t1 - t0);
            store_destroy(&st);
            s_rmrf(dir);
        }
    }
    double mw = s_median(with, runs), mo = s_median(without, runs);
    printf("bench_figures: %zu student rows in one transaction, median of %d "
           "runs\n",
           n1, runs);
    printf("  append without figures            %10.0f rows/s\n", mo);
    printf("  append with figures kept          %10.0f rows/s  (%.2f of "
           "without; import target >= 200000)\n",
           mw, mw / mo);

    /* 2. The figures of a store of `records` records from 10 members. */
    char dir[4096];
    store_t *st = NULL;
    snprintf(dir, sizeof dir, "%s/vocfed-bf-big-%d", tmp, (int)getpid());
    if (s_open(dir, true, &st, pk, sk, 10))
        return 3;
    double t0 = s_now();
    for (size_t done = 0; done < records; done += chunk) {
        size_t n = records - done < chunk ? records - done : chunk;
        int m = (int)((done / chunk) % 10);
        char id[16];
        snprintf(id, sizeof id, "m%d", m);
        if (bench_students(done, n, m, bodies, keys, recs) ||
            store_append(st, id, sk, recs, n, 0, NULL, NULL)) {
            fprintf(stderr, "bench_figures: cannot write records\n");
            return 1;
        }
        if (isatty(STDERR_FILENO))
            fprintf(stderr, "\r  writing %zu / %zu", done + n, records);
    }
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K");
    double t1 = s_now();
    printf("  wrote %zu records in %.1f s (%.0f records/s, figures kept)\n",
           records, t1 - t0, (double)records / (t1 - t0));
    double *rep = calloc((size_t)runs, sizeof(double));
    int64_t hv = 0;
    for (int r = 0; r < runs; r++) {
        json_t *j = NULL;
        double a = s_now();
        if (node_figures_json(st, "coord", 0, &j))
            return 1;
        char *text = json_dumps(j, JSON_COMPACT);
        double b = s_now();
        rep[r] = (b - a) * 1000;
        hv = json_integer_value(json_object_get(
            json_object_get(json_object_get(j, "figures"), "hv_enrolled"),
            "value"));
        free(text);
        json_decref(j);
    }
    printf("  report figures at %zu records     %10.2f ms median "
           "(target <= 50 ms); hv_enrolled = %" PRId64 "\n",
           records, s_median(rep, runs), hv);
    store_destroy(&st);
    if (s_profile_changes(tmp, pk, sk, bodies, keys, recs))
        return 1;
    if (keep)
        fprintf(stderr, "bench_figures: kept %s\n", dir);
    else
        s_rmrf(dir);
    for (size_t i = 0; i < chunk; i++)
        proto_buf_release(&bodies[i]);
    free(bodies);
    free(keys);
    free(recs);
    free(with);
    free(without);
    free(rep);
    return 0;
}
