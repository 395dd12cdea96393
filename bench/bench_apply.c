/* vocfed bench: the applier (issue 11 item 2).
 *
 * A store opened async_apply takes N student records from M members into
 * the log only (what the coordinator's ingest and a member's import
 * commit); then store_apply brings the record index and the figures up
 * to the log, in the applier's chunks. Printed: the log-only write rate,
 * the applier's rate in all and per million entries (the last million
 * against the first), the bytes it wrote per entry, the derived
 * environment's size per entry, and raw LMDB's durable batched append
 * measured in the same run (1,000 values of the entries' size per
 * committed transaction).
 * Usage: bench_apply [--entries 1000000] [--members 10] [--chunk fit|C]
 *                    [--dir /tmp] [--keep]
 * --chunk: entries per store_apply; fit (the default) as the daemon's
 * applier does (STORE_APPLY_FIT: 65,536 to 262,144, by the persons held). */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_BATCH 10000 /* records per append */

typedef struct {
    size_t entries;  /* records in all */
    int members;     /* authors */
    size_t chunk;    /* entries per store_apply (STORE_APPLY_FIT) */
    const char *tmp; /* where the stores go */
    bool keep;       /* keep the store */
    char dir[4096];  /* the store */
    proto_buf_t *bodies;
    char (*keys)[72];
    store_record_t *recs;
} s_bench_t;

/* The log: entries records round-robin over the members, log only. */
static int
s_fill(s_bench_t *b, store_t *st, const uint8_t *sk, double *rate)
{
    double t0 = bench_now();
    for (size_t done = 0, row = 0; done < b->entries; row += S_BATCH) {
        for (int m = 0; m < b->members && done < b->entries; m++) {
            char id[16];
            snprintf(id, sizeof id, "m%d", m);
            if (bench_students(row, S_BATCH, m, b->bodies, b->keys, b->recs) ||
                store_append(st, id, sk, b->recs, S_BATCH, 0, NULL, NULL))
                return -1;
            done += S_BATCH;
        }
    }
    *rate = (double)b->entries / (bench_now() - t0);
    return 0;
}

/* CPU seconds (user + system) of this process so far. */
static double
s_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The number after label in the first line of /proc/self/<file> that
 * begins with it; 0 when unknown. */
static double
s_proc_number(const char *file, const char *label)
{
    char line[256], path[64];
    double v = 0;
    size_t n = strlen(label);
    snprintf(path, sizeof path, "/proc/self/%s", file);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, label, n)) {
            v = strtod(line + n, NULL);
            break;
        }
    fclose(f);
    return v;
}

/* This process's RssAnon (its heap: the stores' maps are file pages),
 * MiB; 0 when unknown. */
static double
s_anon_mib(void)
{
    return s_proc_number("status", "RssAnon:") / 1024;
}

/* Bytes this process has handed to write(2) and its kin so far
 * (/proc/self/io wchar): the applier's commits write each dirty page of
 * derived.mdb (MDB_NOSYNC: into the page cache). 0 when unknown. */
static double
s_wchar(void)
{
    return s_proc_number("io", "wchar:");
}

/* The applier over the whole backlog; the rate of each million. */
static int
s_apply(s_bench_t *b, store_t *st, double *rate, double *first, double *last)
{
    size_t applied = 0, mark = 0;
    double t0 = bench_now(), tm = t0, c0 = s_cpu(), anon = 0;
    double w0 = s_wchar(), wm = w0;
    *first = *last = 0;
    while (applied < b->entries) {
        size_t done = 0;
        if (store_apply(st, b->chunk, &done) || done == 0)
            return -1;
        applied += done;
        double a = s_anon_mib(); /* after a chunk */
        if (a > anon)
            anon = a;
        if (applied - mark >= 1000000 || applied >= b->entries) {
            double now = bench_now(), w = s_wchar();
            double r = (double)(applied - mark) / (now - tm);
            printf("  applied %zu: %.0f entries/s over the last %zu (the last "
                   "chunk %zu; %.0f bytes written an entry)\n",
                   applied, r, applied - mark, done,
                   (w - wm) / (double)(applied - mark));
            wm = w;
            if (mark == 0)
                *first = r;
            *last = r;
            mark = applied;
            tm = now;
        }
    }
    *rate = (double)b->entries / (bench_now() - t0);
    printf("  applier CPU: %.2f s (%.0f entries per CPU second); RssAnon "
           "after a chunk at most %.0f MiB (the bench's own buffers included); "
           "%.0f bytes written an entry\n",
           s_cpu() - c0, (double)b->entries / (s_cpu() - c0), anon,
           (s_wchar() - w0) / (double)b->entries);
    return 0;
}

static int
s_run(s_bench_t *b)
{
    uint8_t pk[32], sk[64];
    store_t *st = NULL;
    double wrate, arate, first, last;
    crypto_sign_keypair(pk, sk);
    snprintf(b->dir, sizeof b->dir, "%s/vocfed-ba-%d", b->tmp, (int)getpid());
    store_opts_t o = {.create = true, .async_apply = true};
    if (store_open(b->dir, &o, &st) || node_figures_attach(st, "coord"))
        return 1;
    for (int m = 0; m < b->members; m++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", m);
        if (store_author_add(st, id, pk))
            return 1;
    }
    if (s_fill(b, st, sk, &wrate) || s_apply(b, st, &arate, &first, &last))
        return 1;
    store_destroy(&st);
    char path[4200];
    snprintf(path, sizeof path, "%s/derived.mdb", b->dir);
    struct stat sb;
    double per = stat(path, &sb) ? 0 : (double)sb.st_size / (double)b->entries;
    double raw = bench_raw_lmdb_batched(b->tmp, 1000000, 220, 1000);
    printf("log-only append: %.0f entries/s\n", wrate);
    char chunk[32];
    if (b->chunk == STORE_APPLY_FIT)
        snprintf(chunk, sizeof chunk, "fitted");
    else
        snprintf(chunk, sizeof chunk, "%zu", b->chunk);
    printf("applier: %.0f entries/s in all (chunk %s); first million "
           "%.0f/s, last %.0f/s (last/first %.2f)\n",
           arate, chunk, first, last, first > 0 ? last / first : 0);
    printf("derived.mdb: %.0f bytes per entry\n", per);
    printf("raw LMDB durable batched append (1,000 x 220 B per txn): "
           "%.0f/s; applier ratio %.3f\n",
           raw, raw > 0 ? arate / raw : 0);
    if (!b->keep)
        bench_rmrf(b->dir);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"entries", required_argument, NULL, 'n'},
        {"members", required_argument, NULL, 'm'},
        {"chunk", required_argument, NULL, 'c'},
        {"dir", required_argument, NULL, 'd'},
        {"keep", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    s_bench_t b = {.entries = 1000000,
                   .members = 10,
                   .chunk = STORE_APPLY_FIT,
                   .tmp = "/tmp"};
    int c;
    size_t members = 10;
    while ((c = getopt_long(argc, argv, "n:m:c:d:kh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (bench_size_arg(optarg, &b.entries))
                return 2;
            break;
        case 'm':
            if (bench_size_arg(optarg, &members))
                return 2;
            break;
        case 'c':
            if (strcmp(optarg, "fit") && bench_size_arg(optarg, &b.chunk))
                return 2;
            if (!strcmp(optarg, "fit"))
                b.chunk = STORE_APPLY_FIT;
            break;
        case 'd':
            b.tmp = optarg;
            break;
        case 'k':
            b.keep = true;
            break;
        default:
            printf("usage: bench_apply [--entries N] [--members M] "
                   "[--chunk fit|C] [--dir /tmp] [--keep]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    b.members = (int)members;
    if (b.entries < S_BATCH || members < 1 || members > 10000 || b.chunk == 0) {
        fprintf(stderr, "bench_apply: bad arguments\n");
        return 2;
    }
    b.entries -= b.entries % S_BATCH;
    if (sodium_init() < 0)
        return 1;
    b.bodies = calloc(S_BATCH, sizeof *b.bodies);
    b.keys = calloc(S_BATCH, sizeof *b.keys);
    b.recs = calloc(S_BATCH, sizeof *b.recs);
    if (!b.bodies || !b.keys || !b.recs)
        return 1;
    for (size_t i = 0; i < S_BATCH; i++)
        proto_buf_init(&b.bodies[i]);
    int rc = s_run(&b);
    for (size_t i = 0; i < S_BATCH; i++)
        proto_buf_release(&b.bodies[i]);
    free(b.bodies);
    free(b.keys);
    free(b.recs);
    return rc;
}
