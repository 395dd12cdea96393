/* vocfed: helpers shared by the storage tests (test_store, test_verify).
 *
 * Everything is static inline so that each test program takes what it
 * uses; the header is included by exactly one file per program. */
#ifndef VOCFED_TESTS_STORAGE_HELPERS_H
#define VOCFED_TESTS_STORAGE_HELPERS_H

#include "protocol/entry.h"
#include "protocol/merkle.h"
#include "storage/store.h"
#include "storage/verify.h"
#include "tests/harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define TH_AUTHOR "aqvtc"           /* the author the tests write as */
#define TH_KIND "student"           /* the record kind they write */
#define TH_PAD_MAX 4096             /* longest padding field of a body */
#define TH_TIME_MS 1767225600000ull /* 2026-01-01, SPEC 3.1's example */

/* A fixed-seed Ed25519 key pair: the same bytes on every run. */
typedef struct {
    uint8_t pk[PROTO_PUBKEY_LEN]; /* public key */
    uint8_t sk[PROTO_SECKEY_LEN]; /* libsodium secret key (seed | pk) */
} th_keys_t;

/* Derives the key pair whose seed is 32 bytes of seed_byte. */
static inline void
th_keys(uint8_t seed_byte, th_keys_t *k)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    if (sodium_init() < 0)
        abort();
    memset(seed, seed_byte, sizeof seed);
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

/* cmocka setup: *state is a fresh folder (a char[64]) under /tmp. */
static inline int
th_dir_setup(void **state)
{
    char *dir = malloc(64);
    if (!dir)
        return -1;
    th_tmpdir(dir);
    *state = dir;
    return 0;
}

/* cmocka teardown: removes the folder, also after a failed test. */
static inline int
th_dir_teardown(void **state)
{
    th_rmdir(*state);
    free(*state);
    return 0;
}

/* Opens dir's store, creating it if create; NULL on failure (the status
 * goes to *rc if rc is not NULL). The bare log: no derived data
 * (store_opts_t.no_derived), as storage's tests are about the log. */
static inline store_t *
th_open(const char *dir, bool create, size_t map_size, int *rc)
{
    store_opts_t o = {
        .create = create, .map_size = map_size, .no_derived = true};
    store_t *s = NULL;
    int r = store_open(dir, &o, &s);
    if (rc)
        *rc = r;
    return r == VOCFED_OK ? s : NULL;
}

/* Creates a store in dir with author TH_AUTHOR holding key k. */
static inline store_t *
th_create(const char *dir, const th_keys_t *k, size_t map_size)
{
    store_t *s = th_open(dir, true, map_size, NULL);
    if (s && store_author_add(s, TH_AUTHOR, k->pk) != VOCFED_OK)
        store_destroy(&s);
    return s;
}

/* A batch of records being built. Bodies live in one buffer and keys in
 * one array, so th_batch_recs fixes up the pointers after the last add. */
typedef struct {
    store_record_t *recs; /* the records */
    char (*keys)[65];     /* their keys (a pseudo_id at most) */
    size_t *body_off;     /* offset of each body in bodies */
    size_t n;             /* records added */
    size_t cap;           /* records allocated */
    proto_buf_t bodies;   /* the encoded bodies, back to back */
} th_batch_t;

static inline void
th_batch_init(th_batch_t *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->cap = cap;
    b->recs = calloc(cap, sizeof *b->recs);
    b->keys = calloc(cap, sizeof *b->keys);
    b->body_off = calloc(cap, sizeof *b->body_off);
    if (!b->recs || !b->keys || !b->body_off)
        abort();
    proto_buf_init(&b->bodies);
}

static inline void
th_batch_release(th_batch_t *b)
{
    free(b->recs);
    free(b->keys);
    free(b->body_off);
    proto_buf_release(&b->bodies);
    memset(b, 0, sizeof *b);
}

/* Adds a put of TH_KIND key with body {intake_year: year, level:
 * "higher", note: pad bytes of 'x'} (no note when pad is 0); with valid,
 * a body that passes the kinds table, as ingest wants (SPEC 8.4): status
 * "enrolled", and the pad in source_school. Returns 0 or a status. */
static inline int
th_batch_put_as(th_batch_t *b, const char *key, int64_t year, size_t pad,
                bool valid)
{
    static char s_pad[TH_PAD_MAX];
    proto_field_t f[4] = {
        {"intake_year", 11, {.type = PROTO_VAL_INT, .i = year}},
        {"level", 5, {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
        {"note", 4, {.type = PROTO_VAL_STR, .s = s_pad, .slen = pad}},
        {"status", 6, {.type = PROTO_VAL_STR, .s = "enrolled", .slen = 8}},
    };
    if (b->n == b->cap || pad > TH_PAD_MAX)
        return VOCFED_EINVALID;
    memset(s_pad, 'x', sizeof s_pad);
    if (valid) {
        f[2].name = "source_school";
        f[2].name_len = 13;
        if (!pad)
            f[2] = f[3];
    }
    b->body_off[b->n] = b->bodies.len;
    int rc = proto_body_encode(f, (pad ? 3 : 2) + valid, &b->bodies);
    if (rc)
        return rc;
    store_record_t *r = &b->recs[b->n];
    snprintf(b->keys[b->n], sizeof b->keys[b->n], "%s", key);
    r->op = PROTO_OP_PUT;
    r->kind = TH_KIND;
    r->body_len = b->bodies.len - b->body_off[b->n];
    b->n++;
    return VOCFED_OK;
}

static inline int
th_batch_put(th_batch_t *b, const char *key, int64_t year, size_t pad)
{
    return th_batch_put_as(b, key, year, pad, false);
}

/* Adds a del of TH_KIND key. */
static inline int
th_batch_del(th_batch_t *b, const char *key)
{
    if (b->n == b->cap)
        return VOCFED_EINVALID;
    store_record_t *r = &b->recs[b->n];
    snprintf(b->keys[b->n], sizeof b->keys[b->n], "%s", key);
    r->op = PROTO_OP_DEL;
    r->kind = TH_KIND;
    r->body_len = 0;
    b->body_off[b->n] = 0;
    b->n++;
    return VOCFED_OK;
}

/* The records, their pointers valid until the next add or release. */
static inline const store_record_t *
th_batch_recs(th_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        b->recs[i].key = b->keys[i];
        b->recs[i].body = b->recs[i].op == PROTO_OP_PUT
                              ? b->bodies.data + b->body_off[i]
                              : NULL;
    }
    return b->recs;
}

/* Appends n puts with keys "<prefix><first + i>" (pad bytes of note
 * each) to author's log as one batch, at time TH_TIME_MS + first; with
 * prefix NULL, records another node's ingest takes (SPEC 8.4): keys are
 * pseudo_ids, first + i in 64 hex digits, and bodies pass the kinds table
 * (th_batch_put_as). Returns store_append's status. */
static inline int
th_append_puts(store_t *s, const char *author, const th_keys_t *k,
               const char *prefix, uint64_t first, size_t n, size_t pad,
               store_head_t *head)
{
    th_batch_t b;
    int rc = VOCFED_OK;
    th_batch_init(&b, n);
    for (size_t i = 0; i < n && rc == VOCFED_OK; i++) {
        char key[65];
        if (prefix)
            snprintf(key, sizeof key, "%s%llu", prefix,
                     (unsigned long long)(first + i));
        else
            snprintf(key, sizeof key, "%064llx",
                     (unsigned long long)(first + i));
        rc = th_batch_put_as(&b, key, 2020 + (int64_t)(i % 8), pad, !prefix);
    }
    if (rc == VOCFED_OK)
        rc = store_append(s, author, k->sk, th_batch_recs(&b), b.n,
                          TH_TIME_MS + first, head, NULL);
    th_batch_release(&b);
    return rc;
}

/* What th_log_scan gathers from an author's log. */
typedef struct {
    proto_frontier_t fr; /* the tree of the entries seen */
    uint64_t next;       /* the seq expected next */
    bool contiguous;     /* every seq was the expected one */
    bool decoded;        /* every entry decoded with its own seq */
} th_log_t;

static inline int
th_log_entry(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    th_log_t *l = ctx;
    uint8_t leaf[PROTO_HASH_LEN];
    proto_entry_t e;
    if (seq != l->next)
        l->contiguous = false;
    if (proto_entry_decode(data, len, &e) != VOCFED_OK || e.seq != seq)
        l->decoded = false;
    l->next = seq + 1;
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, data, len, leaf);
    return proto_frontier_append(&l->fr, leaf, NULL, NULL);
}

/* Reads the whole log of TH_AUTHOR through store_scan_entries and
 * recomputes its tree with protocol/merkle.h only. Returns the scan's
 * status; l->fr.size is the number of entries. */
static inline int
th_log_scan(store_t *s, th_log_t *l)
{
    proto_frontier_init(&l->fr, PROTO_HASH_BLAKE2B256);
    l->next = 1;
    l->contiguous = true;
    l->decoded = true;
    return store_scan_entries(s, TH_AUTHOR, 1, th_log_entry, l);
}

/* Reads (out false) or writes (out true) all n bytes of p on fd, through
 * EINTR and short transfers: for the pipes between a test and the
 * writer it forks. Returns 0, or -1 at an error or end of file. */
static inline int
th_fd_full(int fd, void *p, size_t n, bool out)
{
    uint8_t *b = p;
    while (n) {
        ssize_t r = out ? write(fd, b, n) : read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

#endif
