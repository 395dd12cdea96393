/* Tests of what storage/peers.c keeps about peers (SPEC 5.1, 10.5): the
 * state and abuse counters of a peer round-trip (the link's one-shot bit
 * too), a value written before
 * the abuse counters existed (33 bytes) reads with those counters at
 * zero, and a value of any other length is corruption, not a guess. And
 * SPEC 5.1 names every database a store has, and no other. The alarms
 * of storage/alarms.c: raised, cleared by their own cause only, old rows
 * read as history. A quarantine kept by hand (store_quarantine). The
 * stats row of storage/stats.c (SPEC 5.1): round trip, its outcome slots
 * and bucket edges, any other length corrupt. */
#include "helpers.h"

#include "storage/replica.h"
#include "storage/stats.h"

#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Puts raw bytes under a peer's key with LMDB directly, as an older (or
 * broken) program would have. */
static void
s_put_raw(const char *dir, const char *id, const void *value, size_t len)
{
    uint8_t k[1 + PROTO_ID_MAX];
    k[0] = 'p';
    memcpy(k + 1, id, strlen(id));
    th_lmdb_put(dir, "peers", k, 1 + strlen(id), value, len);
}

static const store_opts_t s_create = {.create = true, .no_derived = true};

static int
s_count(void *ctx, const store_peer_t *p)
{
    (void)p;
    (*(int *)ctx)++;
    return 0;
}

static void
test_peer_roundtrip(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_peer_t p = {.connected = true,
                      .pid = 4242,
                      .last_contact_ms = TH_TIME_MS,
                      .refused = 1,
                      .malformed = 2,
                      .too_large = 3,
                      .replayed = 4,
                      .seq_gaps = 5,
                      .flooded = 6,
                      .unread = 7,
                      .messages_in = 8,
                      .bytes_in = 1ull << 40,
                      .batches = {[0] = 9, [23] = 2, [31] = 1},
                      .waited = 10,
                      .lent = 1ull << 33},
                 q;
    snprintf(p.id, sizeof p.id, "aqvtc");
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    assert_int_equal(store_peer_get(s, "aqvtc", &q), VOCFED_ENOTFOUND);
    assert_int_equal(store_peer_set(s, &p), VOCFED_OK);
    memset(&q, 0xee, sizeof q);
    assert_int_equal(store_peer_get(s, "aqvtc", &q), VOCFED_OK);
    assert_memory_equal(&p, &q, sizeof p); /* id NUL-padded by both */
    /* Counters go up, and the newest value is the one kept. */
    p.flooded = 600;
    p.connected = false;
    p.once = true; /* a `vocfed sync`, SPEC 10.5 */
    assert_int_equal(store_peer_set(s, &p), VOCFED_OK);
    assert_int_equal(store_peer_get(s, "aqvtc", &q), VOCFED_OK);
    assert_int_equal(q.flooded, 600);
    assert_false(q.connected);
    assert_true(q.once);
    assert_int_equal(store_peer_get(s, "nobody", &q), VOCFED_ENOTFOUND);
    assert_int_equal(store_peer_get(s, "not an id!", &q), VOCFED_ENOTFOUND);
    int n = 0;
    assert_int_equal(store_scan_peers(s, s_count, &n), VOCFED_OK);
    assert_int_equal(n, 1);
    store_destroy(&s);
}

static void
test_peer_old_format(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_peer_t q;
    uint8_t v[33] = {1};
    v[8] = 7;  /* pid 7 */
    v[32] = 9; /* malformed 9 */
    v[24] = 3; /* refused 3 */
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    store_destroy(&s);
    s_put_raw(dir, "old", v, sizeof v);
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
    assert_int_equal(store_peer_get(s, "old", &q), VOCFED_OK);
    assert_true(q.connected);
    assert_int_equal(q.pid, 7);
    assert_int_equal(q.refused, 3);
    assert_int_equal(q.malformed, 9);
    assert_int_equal(q.too_large + q.replayed + q.seq_gaps + q.flooded +
                         q.unread + q.messages_in + q.bytes_in,
                     0);
    store_destroy(&s);
}

/* A value written before the batch outcomes (89 bytes) reads with its
 * counters and no batches. */
static void
test_peer_v1_format(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_peer_t q;
    uint8_t v[89] = {1};
    v[88] = 5; /* bytes_in 5 */
    v[24] = 3; /* refused 3 */
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    store_destroy(&s);
    s_put_raw(dir, "v1", v, sizeof v);
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
    assert_int_equal(store_peer_get(s, "v1", &q), VOCFED_OK);
    assert_int_equal(q.refused, 3);
    assert_int_equal(q.bytes_in, 5);
    for (size_t i = 0; i < STORE_STATS_OUTCOMES; i++)
        assert_int_equal(q.batches[i], 0);
    store_destroy(&s);
}

/* A value written before waited and lent (345 bytes: the outcomes last)
 * reads with its outcomes and neither. */
static void
test_peer_v2_format(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_peer_t q;
    uint8_t v[345] = {1};
    v[88] = 5;  /* bytes_in 5 */
    v[96] = 4;  /* batches[0] 4 */
    v[344] = 3; /* batches[31] 3 */
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    store_destroy(&s);
    s_put_raw(dir, "v2", v, sizeof v);
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
    assert_int_equal(store_peer_get(s, "v2", &q), VOCFED_OK);
    assert_int_equal(q.bytes_in, 5);
    assert_int_equal(q.batches[0], 4);
    assert_int_equal(q.batches[STORE_STATS_OUTCOMES - 1], 3);
    assert_int_equal(q.waited, 0);
    assert_int_equal(q.lent, 0);
    store_destroy(&s);
}

static void
test_peer_bad_length(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_peer_t q;
    uint8_t v[361 + 8] = {0};
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    store_destroy(&s);
    const size_t lens[] = {40, 90, 344, 353, 360, 362, 369};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        s_put_raw(dir, "odd", v, lens[i]);
        assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
        assert_int_equal(store_peer_get(s, "odd", &q), VOCFED_ECORRUPT);
        int n = 0;
        assert_int_equal(store_scan_peers(s, s_count, &n), VOCFED_ECORRUPT);
        store_destroy(&s);
    }
}

/* ---- alarms (SPEC 5.1, 10.5) ------------------------------------------- */

typedef struct {
    size_t n, raised;   /* alarms seen, raised */
    store_alarm_t a[8]; /* the first ones */
} s_alarms_t;

static int
s_alarm(void *ctx, const store_alarm_t *a)
{
    s_alarms_t *x = ctx;
    if (x->n < 8)
        x->a[x->n] = *a;
    x->n++;
    x->raised += a->cleared_ms == 0;
    return 0;
}

static s_alarms_t *
s_alarms(store_t *s)
{
    static s_alarms_t x;
    memset(&x, 0, sizeof x);
    assert_int_equal(store_scan_alarms(s, s_alarm, &x), VOCFED_OK);
    return &x;
}

/* Raised, then cleared only by their own cause: kind, peer and author
 * alike, every seq at most the one given; cleared ones stay as history,
 * and a clear with nothing raised clears nothing. */
static void
test_alarm_clear(void **state)
{
    const char *dir = *state;
    store_t *s;
    uint64_t n = 99;
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    assert_int_equal(store_alarm_clear(s, "refused", "m1", "m1", 100, &n),
                     VOCFED_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_alarm(s, "refused", "m1", "m1", 5, "bad sig"),
                     VOCFED_OK);
    assert_int_equal(store_alarm(s, "refused", "m2", "m2", 5, "other peer"),
                     VOCFED_OK);
    assert_int_equal(store_alarm(s, "quarantine", "m1", "m1", 5, "kept"),
                     VOCFED_OK);
    assert_int_equal(store_alarm(s, "refused", "m1", "m1", 9, "again"),
                     VOCFED_OK);
    assert_int_equal(store_alarm(s, "connection", "coord", NULL, 0, "gone"),
                     VOCFED_OK);
    s_alarms_t *x = s_alarms(s);
    assert_int_equal(x->n, 5);
    assert_int_equal(x->raised, 5);
    assert_string_equal(x->a[4].author, "");
    /* seq 9 is past 7: none of m1's refusals clears */
    assert_int_equal(store_alarm_clear(s, "refused", "m1", "m1", 7, &n),
                     VOCFED_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s_alarms(s)->raised, 5);
    assert_int_equal(store_alarm_clear(s, "refused", "m1", "m1", 9, &n),
                     VOCFED_OK);
    assert_int_equal(n, 2);
    x = s_alarms(s);
    assert_int_equal(x->n, 5);
    assert_int_equal(x->raised, 3);
    assert_true(x->a[0].cleared_ms >= x->a[0].time_ms);
    assert_int_equal(x->a[1].cleared_ms, 0); /* m2's */
    assert_int_equal(x->a[2].cleared_ms, 0); /* the quarantine */
    assert_true(x->a[3].cleared_ms > 0);
    assert_string_equal(x->a[3].text, "again");
    assert_int_equal(x->a[3].seq, 9);
    /* cleared once; raised again later, cleared again */
    assert_int_equal(store_alarm_clear(s, "refused", "m1", "m1", 9, &n),
                     VOCFED_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_alarm(s, "refused", "m1", "m1", 12, "third"),
                     VOCFED_OK);
    assert_int_equal(s_alarms(s)->raised, 4);
    assert_int_equal(
        store_alarm_clear(s, "connection", "coord", NULL, UINT64_MAX, &n),
        VOCFED_OK);
    assert_int_equal(n, 1);
    assert_int_equal(
        store_alarm_clear(s, "refused", "m1", "m1", UINT64_MAX, &n), VOCFED_OK);
    assert_int_equal(n, 1);
    x = s_alarms(s);
    assert_int_equal(x->n, 6);
    assert_int_equal(x->raised, 2);
    store_destroy(&s);
}

/* One piece of evidence kept, copied out. */
typedef struct {
    int n;           /* rows seen */
    size_t alen;     /* the first row's held checkpoint's bytes */
    size_t blen;     /* its received one's */
    char reason[64]; /* its reason */
} s_ev_t;

static int
s_ev(void *ctx, uint64_t t, const uint8_t *a, size_t alen, const uint8_t *b,
     size_t blen, const char *reason)
{
    s_ev_t *e = ctx;
    (void)t;
    (void)a;
    (void)b;
    if (e->n++ == 0) {
        e->alen = alen;
        e->blen = blen;
        snprintf(e->reason, sizeof e->reason, "%s", reason);
    }
    return 0;
}

/* store_quarantine (a member holding the coordinator in conflict, SPEC
 * 10.7): refused without both checkpoints, a valid id and a short
 * reason; else the evidence kept and the author quarantined in one
 * write, lifted by store_release with the evidence staying. */
static void
test_quarantine(void **state)
{
    const char *dir = *state;
    store_t *s;
    const uint8_t a[3] = {1, 2, 3}, b[2] = {4, 5};
    char long_reason[202];
    memset(long_reason, 'x', sizeof long_reason - 1);
    long_reason[sizeof long_reason - 1] = 0;
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    assert_int_equal(store_quarantine(s, "coord", a, 0, b, 2, "why"),
                     VOCFED_EINVALID);
    assert_int_equal(store_quarantine(s, "coord", a, 3, NULL, 2, "why"),
                     VOCFED_EINVALID);
    assert_int_equal(store_quarantine(s, "Coord", a, 3, b, 2, "why"),
                     VOCFED_EINVALID);
    assert_int_equal(store_quarantine(s, "coord", a, 3, b, 2, long_reason),
                     VOCFED_EINVALID);
    assert_false(store_quarantined(s, "coord"));
    assert_int_equal(store_quarantine(s, "coord", a, 3, b, 2, "two roots"),
                     VOCFED_OK);
    assert_true(store_quarantined(s, "coord"));
    assert_false(store_quarantined(s, "other"));
    s_ev_t e = {0};
    assert_int_equal(store_scan_evidence(s, "coord", s_ev, &e), VOCFED_OK);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.alen, 3);
    assert_int_equal(e.blen, 2);
    assert_string_equal(e.reason, "two roots");
    assert_int_equal(store_release(s, "coord", "looked"), VOCFED_OK);
    assert_false(store_quarantined(s, "coord"));
    e = (s_ev_t){0};
    assert_int_equal(store_scan_evidence(s, "coord", s_ev, &e), VOCFED_OK);
    assert_int_equal(e.n, 1);
    store_destroy(&s);
}

/* An alarm row written before alarms were cleared (6 elements) reads as
 * history (cleared at its own time), since nothing would ever clear it;
 * a row that is not an alarm is corruption. */
static void
test_alarm_old_format(void **state)
{
    const char *dir = *state;
    store_t *s;
    /* [1000, "refused", "p", "a", 3, "t"] */
    const uint8_t v0[] = {0x96, 0xcd, 0x03, 0xe8, 0xa7, 'r',  'e',
                          'f',  'u',  's',  'e',  'd',  0xa1, 'p',
                          0xa1, 'a',  0x03, 0xa1, 't'};
    const uint8_t k0[8] = {0}, k1[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    store_destroy(&s);
    th_lmdb_put(dir, "alarms", k0, sizeof k0, v0, sizeof v0);
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
    s_alarms_t *x = s_alarms(s);
    assert_int_equal(x->n, 1);
    assert_int_equal(x->raised, 0);
    assert_int_equal(x->a[0].time_ms, 1000);
    assert_int_equal(x->a[0].cleared_ms, 1000);
    assert_string_equal(x->a[0].kind, "refused");
    assert_int_equal(x->a[0].seq, 3);
    /* a new alarm goes after it, raised */
    assert_int_equal(store_alarm(s, "refused", "p", "a", 4, "new"), VOCFED_OK);
    x = s_alarms(s);
    assert_int_equal(x->n, 2);
    assert_int_equal(x->raised, 1);
    assert_int_equal(x->a[1].n, 1);
    store_destroy(&s);
    th_lmdb_put(dir, "alarms", k1, sizeof k1, "\x93\x01", 2);
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
    s_alarms_t y = {0};
    assert_int_equal(store_scan_alarms(s, s_alarm, &y), VOCFED_ECORRUPT);
    store_destroy(&s);
}

/* The names in the first column of SPEC 5.1's table, NUL-separated in
 * out, counted in *n (a name on two rows counted once). */
static void
s_spec_dbs(char *out, size_t cap, size_t *n)
{
    char path[512], line[2048];
    int w =
        snprintf(path, sizeof path, "%s/protocol/SPEC.md", VOCFED_SOURCE_DIR);
    assert_true(w > 0 && (size_t)w < sizeof path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    bool in = false;
    size_t used = 0;
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "### ", 4) == 0)
            in = strncmp(line, "### 5.1 ", 8) == 0;
        if (!in || strncmp(line, "| `", 3) != 0)
            continue;
        char *end = strchr(line + 3, '`');
        assert_non_null(end);
        *end = 0;
        const char *name = line + 3, *p = out;
        bool seen = false;
        for (size_t i = 0; i < *n; i++, p += strlen(p) + 1)
            seen = seen || strcmp(p, name) == 0;
        if (seen)
            continue;
        assert_true(used + strlen(name) + 1 <= cap);
        memcpy(out + used, name, strlen(name) + 1);
        used += strlen(name) + 1;
        ++*n;
    }
    fclose(f);
}

static size_t s_env_dbs(const char *path, unsigned flags, const char *spec,
                        size_t n);

/* Every named database of a new store (both environments) is in SPEC
 * 5.1's table, and every name there is a database of the store. */
static void
test_spec_databases(void **state)
{
    const char *dir = *state;
    store_t *s;
    char spec[1024];
    size_t n, found = 0;
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    store_destroy(&s);
    s_spec_dbs(spec, sizeof spec, &n);
    assert_true(n >= 10);

    /* both environments: the log's and the derived one (SPEC 5.1) */
    char derived[512];
    int w = snprintf(derived, sizeof derived, "%s/derived.mdb", dir);
    assert_true(w > 0 && (size_t)w < sizeof derived);
    found += s_env_dbs(dir, 0, spec, n);
    found += s_env_dbs(derived, MDB_NOSUBDIR, spec, n);
    assert_int_equal(found, n);
}

/* Counts the named databases of the environment at path, failing on one
 * that is not in spec (n names). */
static size_t
s_env_dbs(const char *path, unsigned flags, const char *spec, size_t n)
{
    size_t found = 0;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi main_db;
    MDB_cursor *cur;
    MDB_val k, v;
    assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
    assert_int_equal(mdb_env_set_maxdbs(env, 64), MDB_SUCCESS);
    assert_int_equal(mdb_env_open(env, path, MDB_RDONLY | flags, 0600),
                     MDB_SUCCESS);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), MDB_SUCCESS);
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &main_db), MDB_SUCCESS);
    assert_int_equal(mdb_cursor_open(txn, main_db, &cur), MDB_SUCCESS);
    /* the unnamed database holds one key per named one */
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)k.mv_size,
                 (const char *)k.mv_data);
        bool listed = false;
        const char *p = spec;
        for (size_t i = 0; i < n; i++, p += strlen(p) + 1)
            listed = listed || strcmp(p, name) == 0;
        if (!listed)
            fail_msg("database %s is not in SPEC 5.1", name);
        found++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return found;
}

/* The stats row: absent reads as zeros, round-trips, kept per node. */
static void
test_stats_roundtrip(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_stats_t a = {0}, b;
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    memset(&b, 0xee, sizeof b);
    assert_int_equal(store_stats_get(s, "aqvtc", &b), VOCFED_ENOTFOUND);
    assert_memory_equal(&a, &b, sizeof a);
    a.batches[STORE_STATS_OK] = 7;
    a.batches[store_stats_slot(VOCFED_EBADSIG)] = 2;
    store_stats_observe(&a, STORE_HIST_RECEIPT_US, 1000, 3);     /* on 1 ms */
    store_stats_observe(&a, STORE_HIST_RECEIPT_US, 1001, 1);     /* above */
    store_stats_observe(&a, STORE_HIST_RECEIPT_US, 61000000, 1); /* +Inf */
    store_stats_observe(&a, STORE_HIST_COMMIT_BATCHES, 16, 1);
    a.hist[STORE_HIST_COMMIT_ENTRIES].sum = UINT64_MAX;
    assert_int_equal(store_stats_set(s, "aqvtc", &a), VOCFED_OK);
    assert_int_equal(store_stats_get(s, "aqvtc", &b), VOCFED_OK);
    assert_memory_equal(&a, &b, sizeof a);
    const store_hist_t *h = &b.hist[STORE_HIST_RECEIPT_US];
    assert_int_equal(h->count, 5);
    assert_int_equal(h->sum, 3000 + 1001 + 61000000);
    assert_int_equal(h->bucket[0], 3);
    assert_int_equal(h->bucket[1], 1);
    uint64_t inbuckets = 0;
    for (size_t i = 0; i < STORE_STATS_BUCKETS; i++)
        inbuckets += h->bucket[i];
    assert_int_equal(inbuckets, 4); /* above the last bound: count only */
    assert_int_equal(b.hist[STORE_HIST_COMMIT_BATCHES].bucket[4], 1);
    assert_int_equal(store_stats_get(s, "other", &b), VOCFED_ENOTFOUND);
    assert_int_equal(store_stats_set(s, "not an id!", &a), VOCFED_EINVALID);
    /* the 's' row is not a peer */
    int n = 0;
    assert_int_equal(store_scan_peers(s, s_count, &n), VOCFED_OK);
    assert_int_equal(n, 0);
    store_destroy(&s);
}

/* Outcome slots as SPEC 5.1 numbers them, and their way back. */
static void
test_stats_slots(void **state)
{
    (void)state;
    assert_int_equal(store_stats_slot(VOCFED_OK), 0);
    assert_int_equal(store_stats_slot(VOCFED_EBADSIG), 5);
    assert_int_equal(store_stats_slot(VOCFED_ESEQGAP), 6);
    assert_int_equal(store_stats_slot(VOCFED_ESTORAGEFULL), 8);
    assert_int_equal(store_stats_slot(VOCFED_EBADRECORD), 23);
    assert_int_equal(store_stats_slot(-9030), STORE_STATS_OTHER);
    assert_int_equal(store_stats_slot(-5), STORE_STATS_OTHER); /* -errno */
    for (int c = VOCFED_EMALFORMED; c >= VOCFED_EFENCED; c--)
        assert_int_equal(store_stats_slot_status(store_stats_slot(c)), c);
    assert_int_equal(store_stats_slot_status(0), VOCFED_OK);
    size_t n;
    const uint64_t *b = store_stats_bounds(STORE_HIST_COMMIT_US, &n);
    assert_true(n <= STORE_STATS_BUCKETS);
    for (size_t i = 1; i < n; i++)
        assert_true(b[i] > b[i - 1]);
}

/* A stats row of another length is corruption, never a guess. */
static void
test_stats_bad_length(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_stats_t b;
    uint8_t v[8 * 104 + 8] = {0};
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    store_destroy(&s);
    const size_t lens[] = {0, 8, 8 * 104 - 1, 8 * 104 + 8};
    for (size_t i = 0; i < 4; i++) {
        th_lmdb_put(dir, "peers", "saqvtc", 6, v, lens[i]);
        assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
        assert_int_equal(store_stats_get(s, "aqvtc", &b), VOCFED_ECORRUPT);
        store_destroy(&s);
    }
    th_lmdb_put(dir, "peers", "saqvtc", 6, v, 8 * 104);
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
    assert_int_equal(store_stats_get(s, "aqvtc", &b), VOCFED_OK);
    store_destroy(&s);
}

/* The rates row (SPEC 10.5): none before a daemon wrote it, then what it
 * wrote; not a peer, and of another length corruption. */
static void
test_rates_row(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_rates_t a = {2000, 16ull << 30, 1796546470720ull}, b;
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    memset(&b, 0xee, sizeof b);
    assert_int_equal(store_rates_get(s, "coord", &b), VOCFED_ENOTFOUND);
    assert_int_equal(b.msgs + b.bytes + b.since_ms, 0);
    assert_int_equal(store_rates_set(s, "coord", &a), VOCFED_OK);
    assert_int_equal(store_rates_get(s, "coord", &b), VOCFED_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(store_rates_get(s, "other", &b), VOCFED_ENOTFOUND);
    assert_int_equal(store_rates_set(s, "not an id!", &a), VOCFED_EINVALID);
    int n = 0;
    assert_int_equal(store_scan_peers(s, s_count, &n), VOCFED_OK);
    assert_int_equal(n, 0);
    store_destroy(&s);
    uint8_t v[32] = {0};
    const size_t lens[] = {0, 16, 23, 25, 32};
    for (size_t i = 0; i < 5; i++) {
        th_lmdb_put(dir, "peers", "ccoord", 6, v, lens[i]);
        assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
        assert_int_equal(store_rates_get(s, "coord", &b), VOCFED_ECORRUPT);
        store_destroy(&s);
    }
}

int
main(void)
{
#define S_T(f) cmocka_unit_test_setup_teardown(f, th_dir_setup, th_dir_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_peer_roundtrip),
        S_T(test_peer_old_format),
        S_T(test_peer_bad_length),
        S_T(test_alarm_clear),
        S_T(test_alarm_old_format),
        S_T(test_spec_databases),
        S_T(test_quarantine),
        S_T(test_stats_roundtrip),
        S_T(test_stats_bad_length),
        S_T(test_peer_v1_format),
        S_T(test_peer_v2_format),
        S_T(test_rates_row),
        cmocka_unit_test(test_stats_slots),
    };
#undef S_T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
