/* Tests for storage/verify (SPEC 6, DESIGN invariants 2 and 3): an
 * intact store verifies, and every kind of tampering is found and named
 * by author and seq: each byte of each entry flipped, entries dropped,
 * swapped and duplicated, checkpoints forged, dropped and replaced, tree
 * nodes and record-index rows changed, a byte flipped in data.mdb behind
 * LMDB's back. Then a writer is killed with SIGKILL in the middle of
 * large appends: the store must reopen intact at a batch boundary. */
#define _GNU_SOURCE /* memmem */
#include "helpers.h"

#include "protocol/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define S_COORD "coord" /* a second author, so failures must name theirs */
#define S_ENTRIES 10    /* TH_AUTHOR's entries: batches of 5, 1 and 4 */
#define S_RECORDS 7     /* TH_AUTHOR's live records: p1 p3..p8 */
#define S_CPS 3         /* TH_AUTHOR's checkpoints */
/* S_COORD's log is long enough to have stored tree nodes at two levels
 * (TH_AUTHOR's ten leaves have none): 1 entry, then the rest. */
#define S_NODE_LEVEL STORE_NODE_MIN_LEVEL
#define S_COORD_ENTRIES ((UINT64_C(1) << (S_NODE_LEVEL + 1)) + 8)
#define S_KILL_BATCH 20000 /* records per batch of the killed writer */
#define S_KILL_REPS 4      /* kills */
#define S_KILL_EXTRA 2     /* most reports read after the first two */

/* TH_AUTHOR's checkpoints: their sizes and the first seq each covers. */
static const uint64_t s_cp_size[S_CPS] = {5, 6, 10};
static const uint64_t s_cp_first[S_CPS] = {1, 6, 7};

/* The store every tamper test starts from, and its original bytes. */
typedef struct {
    char dir[64];                   /* its folder */
    th_keys_t k;                    /* TH_AUTHOR's key */
    th_keys_t coord;                /* S_COORD's key */
    store_t *s;                     /* the open store */
    proto_buf_t ent[S_ENTRIES + 1]; /* ent[seq]: TH_AUTHOR's entries */
    proto_buf_t coord_ent[S_COORD_ENTRIES + 1]; /* S_COORD's entries */
    proto_buf_t cp[S_CPS]; /* TH_AUTHOR's checkpoints (s_read_checkpoints) */
} s_fix_t;

/* ---- fixture --------------------------------------------------------- */

static int
s_setup(void **state)
{
    s_fix_t *fx = calloc(1, sizeof *fx);
    th_batch_t b;
    store_head_t head;
    if (!fx)
        return -1;
    *state = fx;
    th_keys(1, &fx->k);
    th_keys(2, &fx->coord);
    th_tmpdir(fx->dir);
    for (size_t i = 0; i <= S_ENTRIES; i++)
        proto_buf_init(&fx->ent[i]);
    for (size_t i = 0; i <= S_COORD_ENTRIES; i++)
        proto_buf_init(&fx->coord_ent[i]);
    for (size_t i = 0; i < S_CPS; i++)
        proto_buf_init(&fx->cp[i]);
    if (!(fx->s = th_create(fx->dir, &fx->k, 0)) ||
        store_author_add(fx->s, S_COORD, fx->coord.pk) != VOCFED_OK)
        return -1;

    /* Batch 1: p1..p5. S_COORD writes between our batches, so that our
     * later entries are not the last keys of the table. */
    if (th_append_puts(fx->s, TH_AUTHOR, &fx->k, "p", 1, 5, 7, &head) ||
        th_append_puts(fx->s, S_COORD, &fx->coord, "m", 1, 1, 0, &head))
        return -1;
    /* Batch 2: p1 again. */
    th_batch_init(&b, 4);
    if (th_batch_put(&b, "p1", 2026, 3) ||
        store_append(fx->s, TH_AUTHOR, fx->k.sk, th_batch_recs(&b), b.n,
                     TH_TIME_MS + 10, &head, NULL))
        return -1;
    th_batch_release(&b);
    /* Batch 3: p6, p7, del p2, p8. */
    th_batch_init(&b, 4);
    if (th_batch_put(&b, "p6", 2027, 0) || th_batch_put(&b, "p7", 2027, 1) ||
        th_batch_del(&b, "p2") || th_batch_put(&b, "p8", 2027, 2) ||
        store_append(fx->s, TH_AUTHOR, fx->k.sk, th_batch_recs(&b), b.n,
                     TH_TIME_MS + 20, &head, NULL) ||
        head.size != S_ENTRIES)
        return -1;
    th_batch_release(&b);
    if (th_append_puts(fx->s, S_COORD, &fx->coord, "m", 2, S_COORD_ENTRIES - 1,
                       0, &head) ||
        head.size != S_COORD_ENTRIES)
        return -1;

    for (uint64_t seq = 1; seq <= S_ENTRIES; seq++)
        if (store_entry_get(fx->s, TH_AUTHOR, seq, &fx->ent[seq]))
            return -1;
    for (uint64_t seq = 1; seq <= S_COORD_ENTRIES; seq++)
        if (store_entry_get(fx->s, S_COORD, seq, &fx->coord_ent[seq]))
            return -1;
    return 0;
}

static int
s_teardown(void **state)
{
    s_fix_t *fx = *state;
    if (!fx)
        return 0;
    store_destroy(&fx->s);
    for (size_t i = 0; i <= S_ENTRIES; i++)
        proto_buf_release(&fx->ent[i]);
    for (size_t i = 0; i <= S_COORD_ENTRIES; i++)
        proto_buf_release(&fx->coord_ent[i]);
    for (size_t i = 0; i < S_CPS; i++)
        proto_buf_release(&fx->cp[i]);
    th_rmdir(fx->dir);
    free(fx);
    return 0;
}

/* ---- checks ---------------------------------------------------------- */

/* The store verifies, with all of its content counted. */
static void
s_expect_ok_at(store_t *s, int line)
{
    store_verify_result_t res;
    int rc = store_verify(s, NULL, &res, NULL, NULL);
    if (rc)
        fail_msg("line %d: verify failed: %s seq %llu: %s", line, res.author,
                 (unsigned long long)res.seq, res.what);
    assert_int_equal(res.status, VOCFED_OK);
    assert_int_equal(res.entries, S_ENTRIES + S_COORD_ENTRIES);
    assert_int_equal(res.checkpoints, S_CPS + 2);
    assert_int_equal(res.records, S_RECORDS + S_COORD_ENTRIES);
}
#define s_expect_ok(s) s_expect_ok_at((s), __LINE__)

/* Verification fails and names exactly author and seq. */
static void
s_expect_fail_at(store_t *s, const char *author, uint64_t seq, int line)
{
    store_verify_result_t res;
    int rc = store_verify(s, NULL, &res, NULL, NULL);
    if (rc == VOCFED_OK)
        fail_msg("line %d: tampering at %s seq %llu not detected", line, author,
                 (unsigned long long)seq);
    assert_int_equal(res.status, rc);
    if (strcmp(res.author, author) != 0 || res.seq != seq)
        fail_msg("line %d: expected %s seq %llu, verify named %s seq %llu: "
                 "%s (%s)",
                 line, author, (unsigned long long)seq, res.author,
                 (unsigned long long)res.seq, res.what,
                 vocfed_strerror(res.status));
    assert_true(res.what[0] != '\0');
}
#define s_expect_fail(s, author, seq)                                          \
    s_expect_fail_at((s), (author), (seq), __LINE__)

/* Verification fails for author, whatever seq it names. */
static void
s_expect_detected_at(store_t *s, const char *author, int line)
{
    store_verify_result_t res;
    int rc = store_verify(s, NULL, &res, NULL, NULL);
    if (rc == VOCFED_OK)
        fail_msg("line %d: tampering of %s not detected", line, author);
    assert_int_equal(res.status, rc);
    assert_string_equal(res.author, author);
}
#define s_expect_detected(s, author)                                           \
    s_expect_detected_at((s), (author), __LINE__)

static void
s_raw(store_t *s, store_raw_t what, const char *author, uint64_t key,
      const void *data, size_t len)
{
    assert_int_equal(store_raw_put(s, what, author, key, NULL, 0, data, len),
                     VOCFED_OK);
}

static const proto_buf_t *
s_orig(s_fix_t *fx, const char *author, uint64_t seq)
{
    return strcmp(author, S_COORD) == 0 ? &fx->coord_ent[seq] : &fx->ent[seq];
}

/* Replaces an entry's bytes; the leaf hash stored with it stays. */
static void
s_put_entry(s_fix_t *fx, const char *author, uint64_t seq, const proto_buf_t *b)
{
    s_raw(fx->s, STORE_RAW_ENTRY, author, seq, b->data, b->len);
}

/* Puts back the original entry and its leaf hash. */
static void
s_restore_entry(s_fix_t *fx, const char *author, uint64_t seq)
{
    const proto_buf_t *b = s_orig(fx, author, seq);
    uint8_t leaf[PROTO_HASH_LEN];
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, b->data, b->len, leaf);
    s_raw(fx->s, STORE_RAW_ENTRY, author, seq, b->data, b->len);
    s_raw(fx->s, STORE_RAW_LEAF, author, seq, leaf, sizeof leaf);
}

/* The STORE_RAW_NODE key of perfect subtree (level, index). */
static uint64_t
s_node_key(unsigned level, uint64_t index)
{
    return (uint64_t)level << 56 | index;
}

/* ---- intact ---------------------------------------------------------- */

static uint64_t s_progress_done;

static void
s_progress(void *ctx, uint64_t done, uint64_t total)
{
    (void)ctx;
    assert_true(done <= total);
    s_progress_done = done;
}

static void
test_intact(void **state)
{
    s_fix_t *fx = *state;
    store_verify_result_t res;
    s_expect_ok(fx->s);

    /* One author at a time. */
    assert_int_equal(store_verify(fx->s, TH_AUTHOR, &res, s_progress, NULL),
                     VOCFED_OK);
    assert_int_equal(res.entries, S_ENTRIES);
    assert_int_equal(res.checkpoints, S_CPS);
    assert_int_equal(res.records, S_RECORDS);
    assert_int_equal(s_progress_done, S_ENTRIES);
    assert_int_equal(store_verify(fx->s, S_COORD, &res, NULL, NULL), VOCFED_OK);
    assert_int_equal(res.entries, S_COORD_ENTRIES);
    assert_int_equal(res.checkpoints, 2);
    assert_int_equal(res.records, S_COORD_ENTRIES);
    assert_int_not_equal(store_verify(fx->s, "nobody", &res, NULL, NULL),
                         VOCFED_OK);
    assert_int_not_equal(res.status, VOCFED_OK);

    /* And after a reopen. */
    store_destroy(&fx->s);
    assert_non_null(fx->s = th_open(fx->dir, false, 0, NULL));
    s_expect_ok(fx->s);
}

/* ---- entries --------------------------------------------------------- */

/* Flips one bit of every byte of entry seq in turn; each flip must be
 * named, and the store must verify again once the byte is back. */
static void
s_flip_every_byte(s_fix_t *fx, const char *author, uint64_t seq)
{
    const proto_buf_t *orig = s_orig(fx, author, seq);
    proto_buf_t b;
    proto_buf_init(&b);
    assert_int_equal(proto_buf_append(&b, orig->data, orig->len), VOCFED_OK);
    for (size_t i = 0; i < b.len; i++) {
        /* A different bit at each position, the low bit too (which
         * turns version 1 into 0, "put" into "pvt"). */
        uint8_t bit = (uint8_t)(1u << (i % 8));
        b.data[i] ^= bit;
        s_put_entry(fx, author, seq, &b);
        s_expect_fail(fx->s, author, seq);
        b.data[i] ^= bit;
        s_put_entry(fx, author, seq, &b);
        s_expect_ok(fx->s);
    }
    proto_buf_release(&b);
}

static void
test_flip_every_entry_byte(void **state)
{
    s_fix_t *fx = *state;
    for (uint64_t seq = 1; seq <= S_ENTRIES; seq++)
        s_flip_every_byte(fx, TH_AUTHOR, seq);
    for (uint64_t seq = 1; seq <= S_COORD_ENTRIES; seq++)
        s_flip_every_byte(fx, S_COORD, seq);
}

/* A whole byte changed, an entry cut short, made longer, emptied. */
static void
test_change_entry_length(void **state)
{
    s_fix_t *fx = *state;
    proto_buf_t b;
    proto_buf_init(&b);
    for (uint64_t seq = 1; seq <= S_ENTRIES; seq++) {
        const proto_buf_t *orig = &fx->ent[seq];
        proto_buf_reset(&b);
        assert_int_equal(proto_buf_append(&b, orig->data, orig->len),
                         VOCFED_OK);
        b.data[b.len / 2] ^= 0xff;
        s_put_entry(fx, TH_AUTHOR, seq, &b);
        s_expect_fail(fx->s, TH_AUTHOR, seq);
        b.data[b.len / 2] ^= 0xff;
        b.len--;
        s_put_entry(fx, TH_AUTHOR, seq, &b);
        s_expect_fail(fx->s, TH_AUTHOR, seq);
        b.len++;
        assert_int_equal(proto_buf_append(&b, "", 1), VOCFED_OK);
        s_put_entry(fx, TH_AUTHOR, seq, &b);
        s_expect_fail(fx->s, TH_AUTHOR, seq);
        s_raw(fx->s, STORE_RAW_ENTRY, TH_AUTHOR, seq, "", 0);
        s_expect_fail(fx->s, TH_AUTHOR, seq);
        s_restore_entry(fx, TH_AUTHOR, seq);
        s_expect_ok(fx->s);
    }
    proto_buf_release(&b);
}

static void
test_drop_entry(void **state)
{
    s_fix_t *fx = *state;
    for (uint64_t seq = 1; seq <= S_ENTRIES; seq++) {
        s_raw(fx->s, STORE_RAW_ENTRY, TH_AUTHOR, seq, NULL, 0);
        s_expect_fail(fx->s, TH_AUTHOR, seq);
        s_restore_entry(fx, TH_AUTHOR, seq);
    }
    s_expect_ok(fx->s);
    /* Two dropped: the first is named, then the second. */
    s_raw(fx->s, STORE_RAW_ENTRY, TH_AUTHOR, 4, NULL, 0);
    s_raw(fx->s, STORE_RAW_ENTRY, TH_AUTHOR, 8, NULL, 0);
    s_expect_fail(fx->s, TH_AUTHOR, 4);
    s_restore_entry(fx, TH_AUTHOR, 4);
    s_expect_fail(fx->s, TH_AUTHOR, 8);
    s_restore_entry(fx, TH_AUTHOR, 8);
    /* In the other author's log, and the whole of it. */
    s_raw(fx->s, STORE_RAW_ENTRY, S_COORD, 17, NULL, 0);
    s_expect_fail(fx->s, S_COORD, 17);
    s_restore_entry(fx, S_COORD, 17);
    for (uint64_t seq = 1; seq <= S_COORD_ENTRIES; seq++)
        s_raw(fx->s, STORE_RAW_ENTRY, S_COORD, seq, NULL, 0);
    s_expect_fail(fx->s, S_COORD, 1);
    for (uint64_t seq = 1; seq <= S_COORD_ENTRIES; seq++)
        s_restore_entry(fx, S_COORD, seq);
    s_expect_ok(fx->s);
}

static void
test_swap_entries(void **state)
{
    s_fix_t *fx = *state;
    static const uint64_t pairs[][2] = {{1, 2},  {2, 3},  {5, 6}, {6, 7},
                                        {9, 10}, {1, 10}, {4, 8}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        uint64_t a = pairs[i][0], b = pairs[i][1];
        /* The entries only, and the entries with their leaf hashes. */
        for (int with_leaf = 0; with_leaf < 2; with_leaf++) {
            s_put_entry(fx, TH_AUTHOR, a, &fx->ent[b]);
            s_put_entry(fx, TH_AUTHOR, b, &fx->ent[a]);
            if (with_leaf) {
                uint8_t la[PROTO_HASH_LEN], lb[PROTO_HASH_LEN];
                proto_hash_leaf(PROTO_HASH_BLAKE2B256, fx->ent[a].data,
                                fx->ent[a].len, la);
                proto_hash_leaf(PROTO_HASH_BLAKE2B256, fx->ent[b].data,
                                fx->ent[b].len, lb);
                s_raw(fx->s, STORE_RAW_LEAF, TH_AUTHOR, a, lb, sizeof lb);
                s_raw(fx->s, STORE_RAW_LEAF, TH_AUTHOR, b, la, sizeof la);
            }
            s_expect_fail(fx->s, TH_AUTHOR, a);
            s_restore_entry(fx, TH_AUTHOR, a);
            s_restore_entry(fx, TH_AUTHOR, b);
        }
    }
    s_expect_ok(fx->s);
}

static void
test_duplicate_entry(void **state)
{
    s_fix_t *fx = *state;
    /* Entry seq copied over seq + 1. */
    for (uint64_t seq = 1; seq < S_ENTRIES; seq++) {
        s_put_entry(fx, TH_AUTHOR, seq + 1, &fx->ent[seq]);
        s_expect_fail(fx->s, TH_AUTHOR, seq + 1);
        s_restore_entry(fx, TH_AUTHOR, seq + 1);
    }
    s_expect_ok(fx->s);
    /* The last entry again after the end, with its leaf hash: no
     * checkpoint vouches for it, and it holds the wrong seq. */
    uint8_t leaf[PROTO_HASH_LEN];
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, fx->ent[S_ENTRIES].data,
                    fx->ent[S_ENTRIES].len, leaf);
    s_put_entry(fx, TH_AUTHOR, S_ENTRIES + 1, &fx->ent[S_ENTRIES]);
    s_raw(fx->s, STORE_RAW_LEAF, TH_AUTHOR, S_ENTRIES + 1, leaf, sizeof leaf);
    s_expect_fail(fx->s, TH_AUTHOR, S_ENTRIES + 1);
    s_raw(fx->s, STORE_RAW_ENTRY, TH_AUTHOR, S_ENTRIES + 1, NULL, 0);
    s_expect_ok(fx->s);
    /* Another author's entry in our log. */
    s_put_entry(fx, TH_AUTHOR, 2, &fx->coord_ent[2]);
    s_expect_fail(fx->s, TH_AUTHOR, 2);
    s_restore_entry(fx, TH_AUTHOR, 2);
    s_expect_ok(fx->s);
}

/* ---- checkpoints ----------------------------------------------------- */

/* Saves TH_AUTHOR's checkpoints into fx->cp: each is the latest once the
 * later ones are removed; then all are put back. */
static void
s_read_checkpoints(s_fix_t *fx)
{
    for (int i = S_CPS - 1; i >= 0; i--) {
        proto_buf_reset(&fx->cp[i]);
        assert_int_equal(store_checkpoint_latest(fx->s, TH_AUTHOR, &fx->cp[i]),
                         VOCFED_OK);
        s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, s_cp_size[i], NULL, 0);
    }
    for (int i = 0; i < S_CPS; i++)
        s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, s_cp_size[i],
              fx->cp[i].data, fx->cp[i].len);
    s_expect_ok(fx->s);
}

static void
s_restore_cp(s_fix_t *fx, int i)
{
    s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, s_cp_size[i], fx->cp[i].data,
          fx->cp[i].len);
}

static void
test_checkpoint_signature(void **state)
{
    s_fix_t *fx = *state;
    store_verify_result_t res;
    proto_checkpoint_t c;
    proto_buf_t b;
    proto_buf_init(&b);
    s_read_checkpoints(fx);
    for (int i = 0; i < S_CPS; i++) {
        const proto_buf_t *orig = &fx->cp[i];
        assert_int_equal(
            proto_checkpoint_open(orig->data, orig->len, fx->k.pk, &c),
            VOCFED_OK);
        assert_int_equal(c.size, s_cp_size[i]);

        /* One bit of each byte: the 64-byte signature at the end, and
         * the body it signs. */
        assert_true(orig->len > PROTO_SIG_LEN);
        proto_buf_reset(&b);
        assert_int_equal(proto_buf_append(&b, orig->data, orig->len),
                         VOCFED_OK);
        for (size_t j = 0; j < b.len; j++) {
            uint8_t bit = (uint8_t)(1u << (j % 8));
            b.data[j] ^= bit;
            s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, s_cp_size[i], b.data,
                  b.len);
            s_expect_fail(fx->s, TH_AUTHOR, s_cp_first[i]);
            if (j >= b.len - PROTO_SIG_LEN) {
                assert_int_equal(
                    store_verify(fx->s, TH_AUTHOR, &res, NULL, NULL),
                    VOCFED_EBADSIG);
            }
            b.data[j] ^= bit;
        }
        s_restore_cp(fx, i);

        /* The same body signed with another key. */
        proto_buf_reset(&b);
        assert_int_equal(proto_checkpoint_sign(&c, fx->coord.sk, &b),
                         VOCFED_OK);
        assert_int_equal(b.len, orig->len);
        assert_memory_equal(b.data, orig->data, orig->len - PROTO_SIG_LEN);
        s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, s_cp_size[i], b.data,
              b.len);
        s_expect_fail(fx->s, TH_AUTHOR, s_cp_first[i]);
        assert_int_equal(store_verify(fx->s, TH_AUTHOR, &res, NULL, NULL),
                         VOCFED_EBADSIG);

        /* Signed by the author at another time: a valid checkpoint, but
         * not the one the next checkpoint chains to. */
        if (i + 1 < S_CPS) {
            c.time_ms++;
            proto_buf_reset(&b);
            assert_int_equal(proto_checkpoint_sign(&c, fx->k.sk, &b),
                             VOCFED_OK);
            s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, s_cp_size[i], b.data,
                  b.len);
            s_expect_fail(fx->s, TH_AUTHOR, s_cp_first[i + 1]);
            c.time_ms--;
        }
        /* Stored under another size (where no checkpoint is). */
        static const uint64_t moved[S_CPS] = {4, 7, 9};
        s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, s_cp_size[i], NULL, 0);
        s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, moved[i], orig->data,
              orig->len);
        s_expect_fail(fx->s, TH_AUTHOR, s_cp_first[i]);
        s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, moved[i], NULL, 0);
        s_restore_cp(fx, i);
        s_expect_ok(fx->s);
    }
    proto_buf_release(&b);
}

static void
test_checkpoint_dropped(void **state)
{
    s_fix_t *fx = *state;
    s_read_checkpoints(fx);
    /* The last: its entries are vouched for by nobody. */
    s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, 10, NULL, 0);
    s_expect_fail(fx->s, TH_AUTHOR, 7);
    s_restore_cp(fx, 2);
    /* A middle one: the next one's prev no longer matches. */
    s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, 6, NULL, 0);
    s_expect_fail(fx->s, TH_AUTHOR, 6);
    s_restore_cp(fx, 1);
    /* The first. */
    s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, 5, NULL, 0);
    s_expect_fail(fx->s, TH_AUTHOR, 1);
    s_restore_cp(fx, 0);
    /* All of them. */
    for (int i = 0; i < S_CPS; i++)
        s_raw(fx->s, STORE_RAW_CHECKPOINT, TH_AUTHOR, s_cp_size[i], NULL, 0);
    s_expect_fail(fx->s, TH_AUTHOR, 1);
    for (int i = 0; i < S_CPS; i++)
        s_restore_cp(fx, i);
    s_expect_ok(fx->s);
    /* A checkpoint beyond the log: entries were lost before it. */
    s_raw(fx->s, STORE_RAW_ENTRY, TH_AUTHOR, 10, NULL, 0);
    s_raw(fx->s, STORE_RAW_ENTRY, TH_AUTHOR, 9, NULL, 0);
    s_expect_fail(fx->s, TH_AUTHOR, 9);
    s_restore_entry(fx, TH_AUTHOR, 9);
    s_restore_entry(fx, TH_AUTHOR, 10);
    s_expect_ok(fx->s);
}

/* ---- tree nodes ------------------------------------------------------ */

/* The hash of S_COORD's perfect subtree (level, index), from the
 * original entries. */
static void
s_coord_node(s_fix_t *fx, unsigned level, uint64_t index,
             uint8_t out[PROTO_HASH_LEN])
{
    proto_frontier_t fr;
    uint8_t leaf[PROTO_HASH_LEN];
    uint64_t first = index << level, count = UINT64_C(1) << level;
    proto_frontier_init(&fr, PROTO_HASH_BLAKE2B256);
    for (uint64_t l = first; l < first + count; l++) {
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, fx->coord_ent[l + 1].data,
                        fx->coord_ent[l + 1].len, leaf);
        assert_int_equal(proto_frontier_append(&fr, leaf, NULL, NULL),
                         VOCFED_OK);
    }
    proto_frontier_root(&fr, out);
}

static void
test_tree_nodes(void **state)
{
    s_fix_t *fx = *state;
    uint8_t junk[PROTO_HASH_LEN], leaf[PROTO_HASH_LEN];
    memset(junk, 0x5a, sizeof junk);

    /* Level 0: the leaf hash kept with each entry. */
    const uint64_t seqs[] = {1, 4, 6, 10};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        uint64_t seq = seqs[i];
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, fx->ent[seq].data,
                        fx->ent[seq].len, leaf);
        for (size_t j = 0; j < PROTO_HASH_LEN; j++) {
            leaf[j] ^= 0x80;
            s_raw(fx->s, STORE_RAW_LEAF, TH_AUTHOR, seq, leaf, sizeof leaf);
            s_expect_fail(fx->s, TH_AUTHOR, seq);
            leaf[j] ^= 0x80;
        }
        s_raw(fx->s, STORE_RAW_LEAF, TH_AUTHOR, seq, leaf, sizeof leaf);
        s_expect_ok(fx->s);
    }
    s_raw(fx->s, STORE_RAW_LEAF, S_COORD, 20, junk, sizeof junk);
    s_expect_fail(fx->s, S_COORD, 20);
    s_restore_entry(fx, S_COORD, 20);
    s_expect_ok(fx->s);

    /* Stored nodes, S_COORD's: level, index, the first seq covered. */
    const struct {
        unsigned level;
        uint64_t index;
        uint64_t seq;
    } nodes[] = {
        {S_NODE_LEVEL, 0, 1},
        {S_NODE_LEVEL, 1, (UINT64_C(1) << S_NODE_LEVEL) + 1},
        {S_NODE_LEVEL + 1, 0, 1},
    };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        uint64_t key = s_node_key(nodes[i].level, nodes[i].index);
        uint8_t node[PROTO_HASH_LEN];
        /* Changed, shortened, missing. */
        s_raw(fx->s, STORE_RAW_NODE, S_COORD, key, junk, sizeof junk);
        s_expect_fail(fx->s, S_COORD, nodes[i].seq);
        s_raw(fx->s, STORE_RAW_NODE, S_COORD, key, junk, sizeof junk - 1);
        s_expect_fail(fx->s, S_COORD, nodes[i].seq);
        s_raw(fx->s, STORE_RAW_NODE, S_COORD, key, NULL, 0);
        s_expect_fail(fx->s, S_COORD, nodes[i].seq);
        s_coord_node(fx, nodes[i].level, nodes[i].index, node);
        s_raw(fx->s, STORE_RAW_NODE, S_COORD, key, node, sizeof node);
        s_expect_ok(fx->s);
    }

    /* A tampered tree also stops the next append (SPEC 5.3): the
     * frontier of S_COORD's tree holds node (S_NODE_LEVEL + 1, 0) and the
     * leaves after it. */
    store_head_t head, after;
    assert_int_equal(store_head(fx->s, S_COORD, &head), VOCFED_OK);
    for (int which = 0; which < 2; which++) {
        if (which == 0)
            s_raw(fx->s, STORE_RAW_NODE, S_COORD,
                  s_node_key(S_NODE_LEVEL + 1, 0), junk, sizeof junk);
        else
            s_raw(fx->s, STORE_RAW_LEAF, S_COORD, S_COORD_ENTRIES, junk,
                  sizeof junk);
        assert_int_equal(
            th_append_puts(fx->s, S_COORD, &fx->coord, "n", 1, 1, 0, NULL),
            VOCFED_ECORRUPT);
        assert_int_equal(store_head(fx->s, S_COORD, &after), VOCFED_OK);
        assert_int_equal(after.size, head.size);
        s_expect_detected(fx->s, S_COORD);
        if (which == 0) {
            uint8_t node[PROTO_HASH_LEN];
            s_coord_node(fx, S_NODE_LEVEL + 1, 0, node);
            s_raw(fx->s, STORE_RAW_NODE, S_COORD,
                  s_node_key(S_NODE_LEVEL + 1, 0), node, sizeof node);
        } else {
            s_restore_entry(fx, S_COORD, S_COORD_ENTRIES);
        }
        s_expect_ok(fx->s);
    }
}

/* ---- record index ---------------------------------------------------- */

/* Replaces (seq_be != NULL) or deletes the index row of kind/key. */
static void
s_record_row(s_fix_t *fx, const char *author, const char *kind, const char *key,
             const uint8_t *seq_be, size_t len)
{
    char name[128];
    size_t kl = strlen(kind), nl = kl + 1 + strlen(key);
    memcpy(name, kind, kl + 1);
    memcpy(name + kl + 1, key, strlen(key));
    assert_int_equal(store_raw_put(fx->s, STORE_RAW_RECORD, author, 0, name, nl,
                                   seq_be, len),
                     VOCFED_OK);
}

static void
s_be64(uint8_t b[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
}

static void
test_record_index(void **state)
{
    s_fix_t *fx = *state;
    uint8_t v[8];

    /* A row deleted: the record of seq 3 is missing. */
    s_record_row(fx, TH_AUTHOR, TH_KIND, "p3", NULL, 0);
    s_expect_fail(fx->s, TH_AUTHOR, 3);
    s_be64(v, 3);
    s_record_row(fx, TH_AUTHOR, TH_KIND, "p3", v, 8);
    s_expect_ok(fx->s);

    /* A row pointing at the wrong seq (another entry, the record's older
     * version, past the end, zero): named at the seq the log gives. */
    static const struct {
        const char *key; /* the record */
        uint64_t wrong;  /* what its row is made to say */
        uint64_t right;  /* what the log says */
    } rows[] = {
        {"p4", 5, 4}, {"p1", 1, 6}, {"p4", 11, 4}, {"p4", 0, 4}, {"p8", 9, 10}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        s_be64(v, rows[i].wrong);
        s_record_row(fx, TH_AUTHOR, TH_KIND, rows[i].key, v, 8);
        s_expect_fail(fx->s, TH_AUTHOR, rows[i].right);
        s_be64(v, rows[i].right);
        s_record_row(fx, TH_AUTHOR, TH_KIND, rows[i].key, v, 8);
    }
    s_expect_ok(fx->s);
    /* A row whose value has the wrong length. */
    s_be64(v, 4);
    s_record_row(fx, TH_AUTHOR, TH_KIND, "p4", v, 7);
    s_expect_fail(fx->s, TH_AUTHOR, 4);
    s_record_row(fx, TH_AUTHOR, TH_KIND, "p4", v, 8);
    s_expect_ok(fx->s);

    /* Extra rows: the deleted p2 brought back (at its put and at its
     * del), a record that never was, the same key under another kind,
     * and a row of the other author. */
    static const struct {
        const char *author; /* whose index */
        const char *kind;   /* row kind */
        const char *key;    /* row key */
        uint64_t seq;       /* what it says */
    } extra[] = {{TH_AUTHOR, TH_KIND, "p2", 2},
                 {TH_AUTHOR, TH_KIND, "p2", 9},
                 {TH_AUTHOR, TH_KIND, "zz", 1},
                 {TH_AUTHOR, "major", "p3", 3},
                 {S_COORD, TH_KIND, "p3", 3}};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        s_be64(v, extra[i].seq);
        s_record_row(fx, extra[i].author, extra[i].kind, extra[i].key, v, 8);
        s_expect_detected(fx->s, extra[i].author);
        s_record_row(fx, extra[i].author, extra[i].kind, extra[i].key, NULL, 0);
        s_expect_ok(fx->s);
    }
}

/* ---- data.mdb -------------------------------------------------------- */

/* Flips bit 0x20 of the byte at off within each occurrence of needle in
 * the file; returns how many there were. */
static size_t
s_flip_in_file(const char *path, const uint8_t *needle, size_t n, size_t off)
{
    size_t len, count = 0;
    uint8_t *file = th_read_file(path, &len);
    assert_non_null(file);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    for (const uint8_t *p = file, *end = file + len;
         (p = memmem(p, (size_t)(end - p), needle, n)) != NULL; p++) {
        uint8_t c = p[off] ^ 0x20;
        assert_int_equal(pwrite(fd, &c, 1, (off_t)(p - file) + (off_t)off), 1);
        count++;
    }
    assert_int_equal(close(fd), 0);
    free(file);
    return count;
}

static void
test_on_disk_flip(void **state)
{
    s_fix_t *fx = *state;
    char path[96];
    snprintf(path, sizeof path, "%s/data.mdb", fx->dir);

    /* LMDB copies a page on write, so an entry's bytes may also sit in a
     * page that is free now; every copy is flipped, so the live one
     * surely is. Both the entry bytes and the leaf hash kept with them. */
    for (uint64_t seq = 1; seq <= S_ENTRIES; seq++) {
        const proto_buf_t *e = &fx->ent[seq];
        uint8_t leaf[PROTO_HASH_LEN];
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, e->data, e->len, leaf);
        for (int part = 0; part < 2; part++) {
            const uint8_t *needle = part ? leaf : e->data;
            size_t n = part ? sizeof leaf : e->len, off = n / 2;
            store_destroy(&fx->s);
            assert_true(s_flip_in_file(path, needle, n, off) >= 1);
            assert_non_null(fx->s = th_open(fx->dir, false, 0, NULL));
            s_expect_fail(fx->s, TH_AUTHOR, seq);
            store_destroy(&fx->s);
            /* Flip back: the flipped copies are found by their new
             * bytes. */
            uint8_t flipped[PROTO_ENTRY_MAX];
            memcpy(flipped, needle, n);
            flipped[off] ^= 0x20;
            assert_true(s_flip_in_file(path, flipped, n, off) >= 1);
            assert_non_null(fx->s = th_open(fx->dir, false, 0, NULL));
            s_expect_ok(fx->s);
        }
    }
}

/* ---- kill -9 --------------------------------------------------------- */

/* The writer: appends batches of S_KILL_BATCH records until killed,
 * reporting each new head size on fd after its commit. Never returns. */
static void
s_writer(const char *dir, const th_keys_t *k, int fd)
{
    store_head_t head;
    int rc;
    store_t *s = th_open(dir, false, 0, &rc);
    if (!s || store_head(s, TH_AUTHOR, &head) != VOCFED_OK)
        _exit(2);
    for (;;) {
        if (th_append_puts(s, TH_AUTHOR, k, "k", head.size + 1, S_KILL_BATCH,
                           40, &head) != VOCFED_OK)
            _exit(3);
        if (write(fd, &head.size, sizeof head.size) != sizeof head.size)
            _exit(4);
    }
}

static uint64_t
s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
test_kill9(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    store_t *s;
    store_head_t head;
    uint32_t rnd = 12345; /* fixed seed: the same choices on every run */
    th_keys(1, &k);
    assert_non_null(s = th_create(dir, &k, 0));
    store_destroy(&s);

    for (int rep = 0; rep < S_KILL_REPS; rep++) {
        int fds[2], status;
        uint64_t last = 0, reported = 0, t0 = 0, t1 = 0, v;
        bool died = false;
        rnd = rnd * 1103515245u + 12345u;
        uint64_t want = 2 + (rnd >> 16) % (S_KILL_EXTRA + 1);

        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            s_writer(dir, &k, fds[1]);
            _exit(5);
        }
        close(fds[1]);
        /* No assertion until the child is dead and reaped. */
        while (reported < want) {
            if (th_fd_full(fds[0], &v, sizeof v, false) != 0) {
                died = true;
                break;
            }
            last = v;
            reported++;
            t0 = t1;
            t1 = s_now_ns();
        }
        if (!died && rep > 0) {
            /* Not a wait for anything: a delay within one batch's time,
             * so that the kill lands in a different phase of the next
             * append each time (building, writing, committing). The
             * first kill comes right after a report. */
            rnd = rnd * 1103515245u + 12345u;
            uint64_t d = t1 > t0 ? (t1 - t0) * ((rnd >> 16) % 100) / 100 : 0;
            struct timespec ts = {(time_t)(d / 1000000000u),
                                  (long)(d % 1000000000u)};
            nanosleep(&ts, NULL);
        }
        kill(pid, SIGKILL);
        pid_t w = waitpid(pid, &status, 0);
        /* Reports the child wrote before it died but were not read yet:
         * those commits happened too. */
        while (th_fd_full(fds[0], &v, sizeof v, false) == 0)
            last = v;
        close(fds[0]);
        assert_int_equal(w, pid);
        assert_false(died);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);

        assert_non_null(s = th_open(dir, false, 0, NULL));
        store_verify_result_t res;
        int rc = store_verify(s, NULL, &res, NULL, NULL);
        if (rc)
            fail_msg("after kill %d: %s seq %llu: %s", rep, res.author,
                     (unsigned long long)res.seq, res.what);
        assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
        assert_int_equal(res.entries, head.size);
        assert_int_equal(head.size % S_KILL_BATCH, 0);
        assert_true(head.size >= last);
        assert_true(head.size <= last + S_KILL_BATCH);
        th_log_t log;
        uint8_t root[PROTO_HASH_LEN];
        assert_int_equal(th_log_scan(s, &log), VOCFED_OK);
        assert_true(log.contiguous);
        assert_int_equal(log.fr.size, head.size);
        proto_frontier_root(&log.fr, root);
        assert_memory_equal(root, head.root, PROTO_HASH_LEN);
        store_destroy(&s);
    }
}

int
main(void)
{
#define S_T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_intact),
        S_T(test_flip_every_entry_byte),
        S_T(test_change_entry_length),
        S_T(test_drop_entry),
        S_T(test_swap_entries),
        S_T(test_duplicate_entry),
        S_T(test_checkpoint_signature),
        S_T(test_checkpoint_dropped),
        S_T(test_tree_nodes),
        S_T(test_record_index),
        S_T(test_on_disk_flip),
        cmocka_unit_test_setup_teardown(test_kill9, th_dir_setup,
                                        th_dir_teardown),
    };
#undef S_T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
