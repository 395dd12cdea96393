/* vocfed: the applier (storage/apply.c, SPEC 5.5): derived data applied
 * behind the log, in its own environment, once per entry.
 *
 * The hook here counts: each entry it sees adds 1 to the counter "n" and
 * to "n|<seq>" in the derived environment, in the apply's transaction.
 * So a lost entry shows as a missing "n|<seq>", a double-counted one as
 * a value of 2, and "n" must equal the log's size. */
#include "tests/storage/helpers.h"

#include "storage/replica.h"
#include "storage/store_test.h"

#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* What the counting hook does besides counting. */
typedef struct {
    int fail_at;       /* the nth entry it sees fails (once), 0 never */
    int exit_at;       /* the nth entry it sees ends the process (_exit) */
    int seen;          /* entries seen, in this process */
    size_t old_len[8]; /* the body each of seqs 1..7 replaced, its length */
} s_hook_ctx_t;

static int
s_hook_entry(void *ctx, store_txn_t *txn, const char *author,
             const proto_entry_t *e, const uint8_t *old_body, size_t old_len)
{
    s_hook_ctx_t *h = ctx;
    char k[32];
    int64_t v;
    int rc;
    (void)author, (void)old_body;
    h->seen++;
    if (e->seq < sizeof h->old_len / sizeof h->old_len[0])
        h->old_len[e->seq] = old_len;
    if (h->exit_at && h->seen == h->exit_at)
        _exit(0); /* a kill in the middle of a chunk: nothing committed */
    if (h->fail_at && h->seen == h->fail_at) {
        h->fail_at = 0;
        return VOCFED_ESTORE; /* a crash between the log and the apply */
    }
    snprintf(k, sizeof k, "n|%" PRIu64, e->seq);
    if ((rc = store_txn_counter_get(txn, k, strlen(k), &v)) ||
        (rc = store_txn_counter_set(txn, k, strlen(k), v + 1)) ||
        (rc = store_txn_counter_get(txn, "n", 1, &v)))
        return rc;
    return store_txn_counter_set(txn, "n", 1, v + 1);
}

/* Opens dir's store (creating it with TH_AUTHOR; maps of map bytes, 0:
 * the default), the counting hook on. */
static store_t *
s_open_map(const char *dir, const th_keys_t *k, bool async, s_hook_ctx_t *h,
           size_t map)
{
    store_opts_t o = {.create = true, .async_apply = async, .map_size = map};
    store_t *s = NULL;
    assert_int_equal(store_open(dir, &o, &s), VOCFED_OK);
    assert_int_equal(store_author_add(s, TH_AUTHOR, k->pk), VOCFED_OK);
    store_hook_t hook = {.entry = s_hook_entry, .ctx = h};
    store_set_hook(s, &hook);
    return s;
}

static store_t *
s_open(const char *dir, const th_keys_t *k, bool async, s_hook_ctx_t *h)
{
    return s_open_map(dir, k, async, h, 0);
}

/* Appends n puts p<first>..p<first+n-1> in one write. */
static void
s_puts(store_t *s, const th_keys_t *k, int first, int n)
{
    th_batch_t b;
    char key[16];
    th_batch_init(&b, (size_t)n);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "p%d", first + i);
        assert_int_equal(th_batch_put(&b, key, 2025, 0), 0);
    }
    assert_int_equal(store_append(s, TH_AUTHOR, k->sk, th_batch_recs(&b),
                                  (size_t)n, 0, NULL, NULL),
                     VOCFED_OK);
    th_batch_release(&b);
}

typedef struct {
    int64_t total; /* "n" */
    int64_t keys;  /* "n|…" counters */
    int64_t max;   /* the largest of them */
} s_counts_t;

static int
s_count_row(void *ctx, const void *key, size_t len, int64_t value)
{
    s_counts_t *c = ctx;
    (void)key;
    if (len == 1) {
        c->total = value;
        return 0;
    }
    c->keys++;
    if (value > c->max)
        c->max = value;
    return 0;
}

/* Every entry 1..size counted exactly once, and nothing else; verify
 * finds records current records. */
static void
s_assert_once(store_t *s, uint64_t size, uint64_t records)
{
    s_counts_t c = {0};
    uint64_t applied;
    store_verify_result_t res;
    assert_int_equal(store_scan_counters(s, NULL, "n", 1, s_count_row, &c), 0);
    assert_int_equal(c.total, (int64_t)size);
    assert_int_equal(c.keys, (int64_t)size);
    assert_int_equal(c.max, size ? 1 : 0);
    assert_int_equal(store_applied(s, TH_AUTHOR, &applied), 0);
    assert_int_equal(applied, size);
    if (store_verify(s, NULL, &res, NULL, NULL) != VOCFED_OK)
        fail_msg("verify: %s at %" PRIu64 ": %s", res.author, res.seq,
                 res.what);
    assert_int_equal(res.records, records);
}

/* The apply fails after the log committed (as a crash there would stop
 * it): the append still holds (the log has it), nothing of the apply is
 * kept, and the next apply takes every entry once. */
static void
test_apply_fails_after_commit(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {.fail_at = 3};
    uint64_t applied, log_n, applied_n;
    store_head_t head;
    th_keys(21, &k);
    store_t *s = s_open(dir, &k, false, &h);
    s_puts(s, &k, 1, 5); /* the apply fails at its third entry */
    assert_int_equal(store_head(s, TH_AUTHOR, &head), 0);
    assert_int_equal(head.size, 5);
    assert_int_equal(store_applied(s, TH_AUTHOR, &applied), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(store_apply_lag(s, &log_n, &applied_n), 0);
    assert_int_equal(log_n, 1);
    assert_int_equal(applied_n, 0);
    /* a read of derived data catches up first (a store opened by a
     * command): the count is now exact */
    s_assert_once(s, 5, 5);
    s_puts(s, &k, 6, 2);
    s_assert_once(s, 7, 7);
    store_destroy(&s);
}

/* async_apply: a write commits the log only; store_apply takes it in
 * chunks (a run applied in parts resumes where it stopped), and a del
 * of a record put but not yet applied is taken (the append catches the
 * index up first), a del of one that does not exist refused. */
static void
test_async_chunks(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    uint64_t applied;
    size_t done;
    proto_buf_t e;
    uint64_t seq;
    th_keys(22, &k);
    store_t *s = s_open(dir, &k, true, &h);
    s_puts(s, &k, 1, 5);
    assert_int_equal(store_applied(s, TH_AUTHOR, &applied), 0);
    assert_int_equal(applied, 0);
    proto_buf_init(&e);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, "p1", &e, &seq),
                     VOCFED_ENOTFOUND); /* not applied yet */
    assert_int_equal(store_apply(s, 2, &done), 0);
    assert_int_equal(done, 2);
    assert_int_equal(store_applied(s, TH_AUTHOR, &applied), 0);
    assert_int_equal(applied, 2);
    assert_int_equal(store_apply(s, 2, &done), 0);
    assert_int_equal(done, 2);
    assert_int_equal(store_apply(s, 0, &done), 0);
    assert_int_equal(done, 1);
    assert_int_equal(store_apply(s, 0, &done), 0);
    assert_int_equal(done, 0);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, "p1", &e, &seq),
                     VOCFED_OK);
    assert_int_equal(seq, 1);

    s_puts(s, &k, 6, 1); /* p6, not applied */
    th_batch_t b;
    size_t bad = 99;
    th_batch_init(&b, 3);
    th_batch_del(&b, "p6");
    th_batch_put(&b, "p7", 2025, 0);
    th_batch_del(&b, "p7"); /* put and del in one batch */
    assert_int_equal(
        store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), 3, 0, NULL, NULL),
        VOCFED_OK);
    th_batch_release(&b);
    th_batch_init(&b, 2);
    th_batch_del(&b, "p1");
    th_batch_del(&b, "p1"); /* the second: p1 is gone by then */
    assert_int_equal(
        store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), 2, 0, NULL, &bad),
        VOCFED_ENOTFOUND);
    assert_int_equal(bad, 1);
    th_batch_release(&b);
    assert_int_equal(store_catch_up(s, 3), 0);
    s_assert_once(s, 9, 5);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, "p6", &e, &seq),
                     VOCFED_ENOTFOUND);
    proto_buf_release(&e);
    store_destroy(&s);
}

/* store_apply_backlog counts the entries of the runs past the point
 * applied, up to its max, and gives the log's last arrival: three writes
 * (three runs of 5, 3 and 4 entries), applied in parts. */
static void
test_backlog(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    uint64_t log_n = 99, n = 99, lag_n, applied_n;
    size_t done;
    th_keys(26, &k);
    store_t *s = s_open(dir, &k, true, &h);
    assert_int_equal(store_apply_backlog(s, 100, &log_n, &n), 0);
    assert_int_equal(n, 0);
    s_puts(s, &k, 1, 5);
    s_puts(s, &k, 6, 3);
    s_puts(s, &k, 9, 4);
    assert_int_equal(store_apply_lag(s, &lag_n, &applied_n), 0);
    assert_int_equal(store_apply_backlog(s, 100, &log_n, &n), 0);
    assert_int_equal(log_n, lag_n); /* the same arrival number */
    assert_int_equal(n, 12);
    assert_int_equal(store_apply_backlog(s, 7, &log_n, &n), 0);
    assert_int_equal(n, 7); /* capped: two runs read, 8 counted */
    assert_int_equal(store_apply(s, 5, &done), 0); /* the first run whole */
    assert_int_equal(done, 5);
    assert_int_equal(store_apply_backlog(s, 100, &log_n, &n), 0);
    assert_int_equal(n, 7);
    assert_int_equal(store_apply(s, 2, &done), 0); /* part of the second */
    assert_int_equal(done, 2);
    assert_int_equal(store_apply_backlog(s, 100, &log_n, &n), 0);
    assert_int_equal(n, 7); /* the point is at a whole run: it counts whole */
    assert_int_equal(store_catch_up(s, 0), 0);
    assert_int_equal(store_apply_backlog(s, 100, &log_n, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(log_n, lag_n);
    s_assert_once(s, 12, 12);
    store_destroy(&s);
}

/* STORE_APPLY_FIT (the daemon's applier's chunk) is a bounded chunk, not
 * "no limit" (it is SIZE_MAX): with an empty persons table a backlog of
 * 70,000 goes in a chunk of STORE_APPLY_FIT_MIN, then the rest; and the
 * derived map is grown before a chunk, not when the chunk fills it. */
static void
test_fitted_chunk(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    size_t done;
    uint64_t reserved, redone, reserved_before;
    th_keys(24, &k);
    store_t *s = s_open_map(dir, &k, true, &h, 1 << 20);
    for (int i = 0; i < 70000; i += 5000)
        s_puts(s, &k, i + 1, 5000);
    store_test_map_stats(s, &reserved_before, &redone);
    assert_int_equal(store_apply(s, STORE_APPLY_FIT, &done), 0);
    assert_int_equal(done, STORE_APPLY_FIT_MIN);
    /* derived.mdb began at 1 MiB: its map was grown before the chunk,
     * which never filled it and ran again (SPEC 5.5) */
    store_test_map_stats(s, &reserved, &redone);
    assert_true(reserved > reserved_before);
    assert_int_equal(store_test_dmap_redone(s), 0);
    assert_int_equal(store_apply(s, STORE_APPLY_FIT, &done), 0);
    assert_int_equal(done, 70000 - STORE_APPLY_FIT_MIN);
    assert_int_equal(store_apply(s, STORE_APPLY_FIT, &done), 0);
    assert_int_equal(done, 0);
    s_assert_once(s, 70000, 70000);
    store_destroy(&s);
}

/* A chunk's record keys sorted whole, not by their first bytes: keys
 * alike in their first 16 stored bytes (the author's number, the kind,
 * and "pppp"), each put twice in one chunk between others. Each second
 * put replaces the first (the hook sees its body), and the index holds
 * the second. */
static void
test_sorted_past_head(void **state)
{
    const char *dir = *state;
    static const char *const keys[] = {"ppppppppp1", "ppppppppp2",
                                       "ppppppppp1", "ppppppppp3",
                                       "ppppppppp2", "ppppppppp10"};
    th_keys_t k;
    s_hook_ctx_t h = {0};
    th_batch_t b;
    proto_buf_t e;
    uint64_t seq;
    size_t done;
    th_keys(25, &k);
    store_t *s = s_open(dir, &k, true, &h);
    th_batch_init(&b, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(th_batch_put(&b, keys[i], 2020 + i, 0), 0);
    assert_int_equal(
        store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), 6, 0, NULL, NULL),
        VOCFED_OK);
    th_batch_release(&b);
    assert_int_equal(store_apply(s, 0, &done), 0);
    assert_int_equal(done, 6);
    assert_int_equal(h.old_len[1], 0);
    assert_int_equal(h.old_len[2], 0);
    assert_true(h.old_len[3] > 0); /* replaces seq 1 */
    assert_int_equal(h.old_len[4], 0);
    assert_true(h.old_len[5] > 0); /* replaces seq 2 */
    assert_int_equal(h.old_len[6], 0);
    proto_buf_init(&e);
    const uint64_t want[] = {3, 5, 4, 6};
    const char *const which[] = {"ppppppppp1", "ppppppppp2", "ppppppppp3",
                                 "ppppppppp10"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(
            store_record_get(s, TH_AUTHOR, TH_KIND, which[i], &e, &seq),
            VOCFED_OK);
        assert_int_equal(seq, want[i]);
    }
    proto_buf_release(&e);
    s_assert_once(s, 6, 4);
    store_destroy(&s);
}

/* Forks a child that opens the store async and applies in chunks of
 * chunk; with exit_at it dies in its hook at that entry. Returns its
 * pid. */
static pid_t
s_child(const char *dir, const th_keys_t *k, size_t chunk, int exit_at)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0)
        return pid;
    s_hook_ctx_t h = {.exit_at = exit_at};
    store_t *s = s_open(dir, k, true, &h);
    size_t done;
    int rc;
    while ((rc = store_apply(s, chunk, &done)) == VOCFED_OK && done > 0)
        ;
    store_destroy(&s);
    _exit(rc == VOCFED_OK ? 0 : 1);
}

static void
s_reap(pid_t pid)
{
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* A process killed in the middle of a chunk (its transaction never
 * committed), then two processes applying at once in small chunks: each
 * entry is applied once. */
static void
test_processes(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    th_keys(23, &k);
    store_t *s = s_open(dir, &k, true, &h);
    for (int i = 0; i < 40; i++)
        s_puts(s, &k, 1 + 50 * i, 50); /* 40 arrivals of 50 */
    store_destroy(&s);

    s_reap(s_child(dir, &k, 0, 777)); /* dies inside its one chunk */
    s = s_open(dir, &k, true, &h);
    uint64_t applied;
    assert_int_equal(store_applied(s, TH_AUTHOR, &applied), 0);
    assert_int_equal(applied, 0);
    store_destroy(&s);

    pid_t a = s_child(dir, &k, 7, 0), b = s_child(dir, &k, 13, 0);
    s_reap(a);
    s_reap(b);
    s = s_open(dir, &k, false, &h);
    s_assert_once(s, 2000, 2000);
    store_destroy(&s);
}

/* A data.mdb put back from a copy, then written again: the derived data
 * (ahead of it, of another history with the same arrival rows) is not
 * of this log, and is applied again from the start. */
static void
test_log_put_back(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    char path[128];
    size_t len;
    proto_buf_t e;
    uint64_t seq;
    th_keys(24, &k);
    store_t *s = s_open(dir, &k, false, &h);
    s_puts(s, &k, 1, 3);
    store_destroy(&s);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    uint8_t *copy = th_read_file(path, &len);
    assert_non_null(copy);
    s = s_open(dir, &k, false, &h);
    s_puts(s, &k, 4, 2); /* p4, p5: applied */
    store_destroy(&s);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(copy, 1, len, f), len);
    fclose(f);
    free(copy);
    s = s_open(dir, &k, false, &h);
    s_puts(s, &k, 100, 2); /* seqs 4 and 5 again, other records */
    s_assert_once(s, 5, 5);
    proto_buf_init(&e);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, "p4", &e, &seq),
                     VOCFED_ENOTFOUND);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, "p101", &e, &seq),
                     VOCFED_OK);
    assert_int_equal(seq, 5);
    proto_buf_release(&e);
    store_destroy(&s);
}

/* Writes text into dir/name (replacing it). */
static void
s_write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static bool
s_exists(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* derived.mdb is written without sync behind its guard (SPEC 5.5): in
 * the same boot it is kept as it is; written in another boot (a machine
 * crash may have torn it) it is removed when the store opens and applied
 * again from the logs, each entry once. */
static void
test_derived_guard(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    uint64_t log_n, applied_n;
    th_keys(25, &k);
    store_t *s = s_open(dir, &k, false, &h);
    s_puts(s, &k, 1, 4);
    s_assert_once(s, 4, 4);
    store_destroy(&s);
    assert_true(s_exists(dir, "derived.boot"));
    /* the same boot: what was applied is kept */
    s = s_open(dir, &k, true, &h);
    assert_int_equal(store_apply_lag(s, &log_n, &applied_n), 0);
    assert_int_equal(applied_n, log_n);
    store_destroy(&s);
    /* another boot wrote it: removed at open, applied again */
    s_write_file(dir, "derived.boot", "00000000-0000-0000-0000-000000000000");
    s = s_open(dir, &k, true, &h);
    assert_int_equal(store_apply_lag(s, &log_n, &applied_n), 0);
    assert_int_equal(applied_n, 0);
    assert_int_equal(store_catch_up(s, 0), VOCFED_OK);
    s_assert_once(s, 4, 4);
    store_destroy(&s);
    /* a guard file cut short counts as another boot */
    s_write_file(dir, "derived.boot", "0123");
    s = s_open(dir, &k, false, &h);
    s_puts(s, &k, 5, 1);
    s_assert_once(s, 5, 5);
    store_destroy(&s);
}

/* A store opened without its apply hook (and not no_derived) applies
 * nothing: not on a read, not when asked. Had it applied, the applied
 * point would have moved past entries the hook never counted. */
static void
test_no_hook_applies_nothing(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    uint64_t log_n, applied_n, seq;
    size_t done = 1;
    proto_buf_t e;
    th_keys(26, &k);
    store_t *s = s_open(dir, &k, true, &h); /* writes the log only */
    s_puts(s, &k, 1, 3);
    store_destroy(&s);
    store_opts_t o = {0};
    assert_int_equal(store_open(dir, &o, &s), VOCFED_OK);
    proto_buf_init(&e);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, "p1", &e, &seq),
                     VOCFED_ENOTFOUND);
    assert_int_equal(store_apply(s, 0, &done), VOCFED_EINVALID);
    assert_int_equal(done, 0);
    assert_int_equal(store_apply_lag(s, &log_n, &applied_n), 0);
    assert_int_equal(applied_n, 0);
    assert_true(log_n > 0);
    store_destroy(&s);
    s = s_open(dir, &k, false, &h); /* with the hook: each entry once */
    s_assert_once(s, 3, 3);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, "p1", &e, &seq),
                     VOCFED_OK);
    proto_buf_release(&e);
    store_destroy(&s);
}

typedef struct {
    int n;         /* records seen */
    char last[65]; /* the last key */
    bool ordered;  /* each key after the one before */
} s_keys_t;

static int
s_key_row(void *ctx, const char *key, uint64_t seq, const uint8_t *body,
          size_t len)
{
    s_keys_t *k = ctx;
    (void)seq, (void)body, (void)len;
    if (strlen(key) != 64 || (k->n && strcmp(k->last, key) >= 0))
        k->ordered = false;
    snprintf(k->last, sizeof k->last, "%s", key);
    k->n++;
    return 0;
}

/* The pseudo_id th_append_puts gives record i. */
static void
s_pid(uint64_t i, uint8_t pid[32])
{
    memset(pid, 0, 32);
    for (int b = 0; b < 8; b++)
        pid[31 - b] = (uint8_t)(i >> (8 * b));
}

/* Person numbers (SPEC 5.1): each person numbered once, in pseudo_id
 * order within a write and growing with arrival; a write that was
 * aborted leaves no number behind; the record index, read through the
 * numbers, gives pseudo_ids back. */
static void
test_person_numbers(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    uint8_t pids[4][32], pid[32];
    uint32_t nos[4], no;
    uint64_t count, seq;
    proto_buf_t e;
    th_keys(27, &k);
    for (int i = 0; i < 4; i++)
        memset(pids[i], 0xa0 + i, 32);
    store_t *s = s_open(dir, &k, false, &h);
    assert_int_equal(store_test_persons_give(s, pids[0], 2, false, nos), 0);
    assert_int_equal(nos[0], 1);
    assert_int_equal(nos[1], 2);
    assert_int_equal(store_test_persons_give(s, pids[2], 2, true, nos),
                     VOCFED_ESTORE);
    assert_int_equal(nos[1], 4); /* given inside the write, then aborted */
    assert_int_equal(store_test_persons_give(s, pids[3], 1, false, nos), 0);
    assert_int_equal(nos[0], 3); /* the aborted numbers were not kept */
    assert_int_equal(store_test_persons_give(s, pids[1], 1, false, nos), 0);
    assert_int_equal(nos[0], 2); /* known: the same number */
    assert_int_equal(store_test_person(s, pids[2], &no, &count), 0);
    assert_int_equal(no, 0);
    assert_int_equal(count, 3);

    /* 300 people through the applier, 100 of them put twice. */
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, NULL, 1, 200, 0, NULL),
                     0);
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, NULL, 101, 200, 0, NULL),
                     0);
    s_pid(1, pid);
    assert_int_equal(store_test_person(s, pid, &no, &count), 0);
    assert_int_equal(count, 303);
    assert_int_equal(no, 4);
    s_pid(300, pid);
    assert_int_equal(store_test_person(s, pid, &no, &count), 0);
    assert_int_equal(no, 303);
    s_assert_once(s, 400, 300);

    char key[65];
    snprintf(key, sizeof key, "%064x", 150);
    proto_buf_init(&e);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, key, &e, &seq), 0);
    assert_int_equal(seq, 250);              /* the second put of it */
    snprintf(key, sizeof key, "%064x", 301); /* a person never seen */
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, key, &e, &seq),
                     VOCFED_ENOTFOUND);
    proto_buf_release(&e);
    s_keys_t keys = {.ordered = true};
    assert_int_equal(
        store_scan_records(s, TH_AUTHOR, TH_KIND, s_key_row, &keys), 0);
    assert_int_equal(keys.n, 300);
    assert_true(keys.ordered);
    store_destroy(&s);
}

/* New persons go into pnew, and are settled into persons in a write of
 * their own before the chunk that finds pnew holding
 * store_i_persons_young_most(settled) of them (SPEC 5.5). Numbers do not
 * change; lookups find a person in either table; each entry counts once;
 * a pseudo_id found in both tables is corruption, not a second number. */
static void
test_persons_settle(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    uint8_t pid[32];
    uint32_t no;
    uint64_t count, settled, seq;
    size_t done;
    proto_buf_t e;
    char key[65];
    th_keys(28, &k);
    store_t *s = s_open(dir, &k, true, &h);
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, NULL, 1, 100000, 0, NULL),
                     0);
    for (int i = 0; i < 4; i++) { /* 80,000 persons: none settled */
        assert_int_equal(store_apply(s, 20000, &done), 0);
        assert_int_equal(done, 20000);
    }
    s_pid(80000, pid);
    assert_int_equal(store_test_persons_settled(s, pid, &no, &count, &settled),
                     0);
    assert_int_equal(count, 80000);
    assert_int_equal(settled, 0);
    assert_int_equal(no, 80000);
    assert_true(80000 >= STORE_APPLY_FIT_MIN); /* so pnew is due */
    /* The next apply settles the 80,000 first, then numbers its own. */
    assert_int_equal(store_apply(s, 20000, &done), 0);
    assert_int_equal(done, 20000);
    assert_int_equal(store_test_persons_settled(s, pid, &no, &count, &settled),
                     0);
    assert_int_equal(count, 100000);
    assert_int_equal(settled, 80000);
    assert_int_equal(no, 80000); /* the same number, now settled */
    s_pid(100000, pid);
    assert_int_equal(store_test_persons_settled(s, pid, &no, &count, &settled),
                     0);
    assert_int_equal(no, 100000); /* in pnew */
    assert_int_equal(store_apply(s, 20000, &done), 0);
    assert_int_equal(done, 0);
    s_assert_once(s, 100000, 100000);
    /* Records found through either table; a second put of a settled
     * person replaces its record under the same number. */
    proto_buf_init(&e);
    snprintf(key, sizeof key, "%064x", 7);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, key, &e, &seq), 0);
    assert_int_equal(seq, 7);
    snprintf(key, sizeof key, "%064x", 99999);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, key, &e, &seq), 0);
    assert_int_equal(seq, 99999);
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, NULL, 7, 1, 0, NULL), 0);
    assert_int_equal(store_apply(s, 20000, &done), 0);
    assert_int_equal(done, 1);
    snprintf(key, sizeof key, "%064x", 7);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, key, &e, &seq), 0);
    assert_int_equal(seq, 100001);
    proto_buf_release(&e);
    s_pid(7, pid);
    assert_int_equal(store_test_persons_settled(s, pid, &no, &count, &settled),
                     0);
    assert_int_equal(no, 7);
    assert_int_equal(count, 100000);

    /* A person of pnew planted in persons as well: the settling that
     * would find it twice refuses, and the derived data stays as it was. */
    s_pid(99999, pid);
    assert_int_equal(store_test_persons_plant(s, pid, 99999), 0);
    assert_int_equal(store_test_persons_settled(s, pid, &no, &count, &settled),
                     VOCFED_ECORRUPT); /* more names than numbers */
    size_t moved = 1;
    assert_int_equal(store_test_persons_settle(s, &moved), VOCFED_ECORRUPT);
    assert_int_equal(store_test_persons_settled(s, pid, &no, &count, &settled),
                     VOCFED_ECORRUPT); /* rolled back: as it was */
    assert_int_equal(settled, 80001);
    assert_int_equal(count, 100001);
    store_destroy(&s);
}

/* A store whose derived data is of layout 4 (no pnew, every person in
 * persons, "v" 4), opened by this code: the open makes pnew, the first
 * read drops the old derived data and applies it all again from the log,
 * once; persons then come from pnew. */
static void
test_layout_upgrade(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    s_hook_ctx_t h = {0};
    uint8_t pid[32];
    uint32_t no;
    uint64_t count, settled, seq;
    proto_buf_t e;
    char key[65];
    th_keys(29, &k);
    store_t *s = s_open(dir, &k, false, &h);
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, NULL, 1, 300, 0, NULL),
                     0);
    s_assert_once(s, 300, 300);
    assert_int_equal(store_test_derived_layout4(s), 0);
    store_destroy(&s);

    store_opts_t o = {0};
    assert_int_equal(store_open(dir, &o, &s), VOCFED_OK);
    store_hook_t hook = {.entry = s_hook_entry, .ctx = &h};
    store_set_hook(s, &hook);
    h.seen = 0;
    proto_buf_init(&e);
    snprintf(key, sizeof key, "%064x", 42);
    assert_int_equal(store_record_get(s, TH_AUTHOR, TH_KIND, key, &e, &seq), 0);
    assert_int_equal(seq, 42);
    proto_buf_release(&e);
    assert_int_equal(h.seen, 300); /* applied again, each entry once */
    s_pid(300, pid);
    assert_int_equal(store_test_persons_settled(s, pid, &no, &count, &settled),
                     0);
    assert_int_equal(count, 300);
    assert_int_equal(settled, 0); /* all in pnew now */
    assert_int_equal(no, 300);
    s_assert_once(s, 300, 300);
    store_destroy(&s);
}

int
main(void)
{
#define S_T(f) cmocka_unit_test_setup_teardown(f, th_dir_setup, th_dir_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_apply_fails_after_commit),
        S_T(test_async_chunks),
        S_T(test_backlog),
        S_T(test_fitted_chunk),
        S_T(test_sorted_past_head),
        S_T(test_processes),
        S_T(test_log_put_back),
        S_T(test_derived_guard),
        S_T(test_no_hook_applies_nothing),
        S_T(test_person_numbers),
        S_T(test_persons_settle),
        S_T(test_layout_upgrade),
    };
#undef S_T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
