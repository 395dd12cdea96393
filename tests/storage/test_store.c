/* Tests for storage/store (SPEC 5): opening and format versions, meta,
 * authors, appends of puts and dels (all or nothing), heads and
 * checkpoints against a tree recomputed here from the raw entries,
 * proofs, map growth from a tiny map, and two processes appending to one
 * store. */
#include "helpers.h"

#include "protocol/checkpoint.h"
#include "protocol/merkle.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define S_SMALL_MAP ((size_t)64 << 10) /* 64 KiB: a few records fill it */

/* ---- helpers --------------------------------------------------------- */

/* Checks head against the tree recomputed from store_scan_entries. */
static void
s_check_head(store_t *s, const store_head_t *head)
{
    th_log_t log;
    uint8_t root[PROTO_HASH_LEN];
    store_head_t now;
    assert_int_equal(th_log_scan(s, &log), VOCFED_OK);
    assert_true(log.contiguous);
    assert_true(log.decoded);
    assert_int_equal(log.fr.size, head->size);
    proto_frontier_root(&log.fr, root);
    assert_memory_equal(root, head->root, PROTO_HASH_LEN);
    assert_int_equal(store_head(s, TH_AUTHOR, &now), VOCFED_OK);
    assert_int_equal(now.size, head->size);
    assert_memory_equal(now.root, head->root, PROTO_HASH_LEN);
}

/* Verifies the latest checkpoint against head and that it chains to the
 * previous one (whose hash is in prev, zeros for the first); then
 * replaces prev with this checkpoint's hash. */
static void
s_check_checkpoint(store_t *s, const th_keys_t *k, const store_head_t *head,
                   uint8_t prev[PROTO_HASH_LEN])
{
    proto_buf_t cp;
    proto_checkpoint_t c;
    proto_buf_init(&cp);
    assert_int_equal(store_checkpoint_latest(s, TH_AUTHOR, &cp), VOCFED_OK);
    assert_int_equal(proto_checkpoint_verify(cp.data, cp.len, k->pk, TH_AUTHOR,
                                             head->size, head->root, &c),
                     VOCFED_OK);
    assert_memory_equal(c.prev, prev, PROTO_HASH_LEN);
    assert_int_equal(c.time_ms, head->time_ms);
    assert_int_equal(proto_checkpoint_hash(cp.data, cp.len, prev), VOCFED_OK);
    proto_buf_release(&cp);
}

/* The seq and bytes of the current record key (VOCFED_ENOTFOUND if
 * none); the entry is checked to be the one stored at that seq. */
static int
s_record(store_t *s, const char *key, uint64_t *seq, proto_entry_t *e,
         proto_buf_t *buf)
{
    proto_buf_t ent;
    proto_buf_reset(buf);
    int rc = store_record_get(s, TH_AUTHOR, TH_KIND, key, buf, seq);
    if (rc)
        return rc;
    proto_buf_init(&ent);
    assert_int_equal(store_entry_get(s, TH_AUTHOR, *seq, &ent), VOCFED_OK);
    assert_int_equal(ent.len, buf->len);
    assert_memory_equal(ent.data, buf->data, ent.len);
    proto_buf_release(&ent);
    assert_int_equal(proto_entry_decode(buf->data, buf->len, e), VOCFED_OK);
    assert_int_equal(e->seq, *seq);
    assert_int_equal(e->key_len, strlen(key));
    assert_memory_equal(e->key, key, e->key_len);
    return VOCFED_OK;
}

static void
s_verify_ok(store_t *s, uint64_t entries, uint64_t records)
{
    store_verify_result_t res;
    int rc = store_verify(s, NULL, &res, NULL, NULL);
    if (rc)
        fail_msg("verify: %s seq %llu: %s", res.author,
                 (unsigned long long)res.seq, res.what);
    assert_int_equal(res.status, VOCFED_OK);
    assert_int_equal(res.entries, entries);
    assert_int_equal(res.records, records);
}

/* ---- open, meta ------------------------------------------------------ */

static void
test_open(void **state)
{
    const char *dir = *state;
    char missing[96], value[64];
    uint64_t found = 99;
    store_opts_t o = {.found_version = &found};
    store_t *s = NULL;

    /* No folder, and a folder with no store: both "not found". */
    snprintf(missing, sizeof missing, "%s/none", dir);
    assert_int_equal(store_open(missing, &o, &s), VOCFED_ENOTFOUND);
    assert_null(s);
    assert_int_equal(found, 0);
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_ENOTFOUND);
    assert_null(s);

    /* Create in a folder that does not exist yet. */
    o.create = true;
    assert_int_equal(store_open(missing, &o, &s), VOCFED_OK);
    assert_non_null(s);
    assert_int_equal(found, STORE_FORMAT_VERSION);
    assert_int_equal(store_meta_get(s, "format_version", value, sizeof value),
                     VOCFED_OK);
    assert_string_equal(value, "1");
    assert_int_equal(store_meta_set(s, "node_name", "Anqing Vocational"),
                     VOCFED_OK);
    assert_int_equal(store_meta_set(s, "node_name", "Anqing Vocational 2"),
                     VOCFED_OK);
    assert_int_equal(store_meta_set(s, "format_version", "7"), VOCFED_EINVALID);
    assert_int_equal(store_meta_set(s, "", "x"), VOCFED_EINVALID);
    assert_int_equal(store_meta_get(s, "node_role", value, sizeof value),
                     VOCFED_ENOTFOUND);
    store_destroy(&s);
    assert_null(s);
    store_destroy(&s);
    store_destroy(NULL);

    /* Reopen (without create) sees what was written, also through the
     * handles that the found_version read touched. */
    o.create = false;
    found = 0;
    assert_int_equal(store_open(missing, &o, &s), VOCFED_OK);
    assert_int_equal(found, STORE_FORMAT_VERSION);
    assert_int_equal(store_meta_get(s, "node_name", value, sizeof value),
                     VOCFED_OK);
    assert_string_equal(value, "Anqing Vocational 2");
    assert_int_equal(store_meta_get(s, "node_name", value, 19),
                     VOCFED_ETOOLARGE);
    assert_int_equal(store_meta_get(s, "node_name", value, 20), VOCFED_OK);
    assert_int_equal(store_meta_get(s, "format_version", value, sizeof value),
                     VOCFED_OK);
    assert_string_equal(value, "1");
    store_destroy(&s);

    /* Creating over an existing store opens it and keeps its content. */
    o.create = true;
    assert_int_equal(store_open(missing, &o, &s), VOCFED_OK);
    assert_int_equal(store_meta_get(s, "node_name", value, sizeof value),
                     VOCFED_OK);
    assert_string_equal(value, "Anqing Vocational 2");
    store_destroy(&s);
}

/* Writes meta format_version = value with LMDB directly, as a future
 * (or past) version of the program would. */
static void
s_set_version_raw(const char *dir, const char *value)
{
    th_lmdb_put(dir, "meta", "format_version", sizeof "format_version" - 1,
                value, strlen(value));
}

static void
test_format_version(void **state)
{
    const char *dir = *state;
    char path[96];
    th_keys_t k;
    uint64_t found = 0;
    size_t before_len, after_len;
    store_t *s;
    store_head_t head;
    th_keys(1, &k);
    snprintf(path, sizeof path, "%s/data.mdb", dir);

    assert_non_null(s = th_create(dir, &k, 0));
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "p", 1, 3, 10, &head),
                     VOCFED_OK);
    store_destroy(&s);
    s_set_version_raw(dir, "2");

    uint8_t *before = th_read_file(path, &before_len);
    assert_non_null(before);
    for (int create = 0; create <= 1; create++) {
        store_opts_t o = {.create = create, .found_version = &found};
        found = 0;
        assert_int_equal(store_open(dir, &o, &s), VOCFED_EVERSION);
        assert_null(s);
        assert_int_equal(found, 2);
        uint8_t *after = th_read_file(path, &after_len);
        assert_non_null(after);
        assert_int_equal(after_len, before_len);
        assert_memory_equal(after, before, before_len);
        free(after);
    }
    free(before);

    /* Not a number at all: refused as corrupt, not as another version. */
    s_set_version_raw(dir, "one");
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_ECORRUPT);

    /* Back to 1: the store opens and still holds its log. */
    s_set_version_raw(dir, "1");
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
    assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 3);
    s_verify_ok(s, 3, 3);
    store_destroy(&s);
}

/* ---- authors --------------------------------------------------------- */

typedef struct {
    char ids[4][PROTO_ID_MAX + 1];    /* ids seen, in order */
    uint8_t pks[4][PROTO_PUBKEY_LEN]; /* their keys */
    size_t n;                         /* how many */
} s_authors_t;

static int
s_author_cb(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_authors_t *a = ctx;
    if (a->n == 4)
        return -1;
    snprintf(a->ids[a->n], sizeof a->ids[a->n], "%s", id);
    memcpy(a->pks[a->n], pk, PROTO_PUBKEY_LEN);
    a->n++;
    return 0;
}

/* A coordinator registered under a mistyped id, before the node's own
 * log: while it holds nothing it takes the right id in its place, with
 * its key; an author holding entries, an id taken, an unknown author or
 * an invalid id are refused, and nothing moves. */
static void
test_author_rename(void **state)
{
    const char *dir = *state;
    th_keys_t kc, km;
    store_head_t head;
    store_t *s;
    uint8_t pk[PROTO_PUBKEY_LEN];
    th_keys(1, &kc);
    th_keys(2, &km);
    assert_non_null(s = th_open(dir, true, 0, NULL));
    assert_int_equal(store_author_add(s, "elsewhere", kc.pk), VOCFED_OK);
    assert_int_equal(store_author_add(s, TH_AUTHOR, km.pk), VOCFED_OK);
    assert_int_equal(store_author_rename(s, "elsewhere", "coord"), VOCFED_OK);
    s_authors_t seen = {0};
    assert_int_equal(store_scan_authors(s, s_author_cb, &seen), VOCFED_OK);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.ids[0], "coord");
    assert_memory_equal(seen.pks[0], kc.pk, PROTO_PUBKEY_LEN);
    assert_string_equal(seen.ids[1], TH_AUTHOR);
    assert_int_equal(store_author_key(s, "elsewhere", pk), VOCFED_ENOTFOUND);
    assert_int_equal(store_author_key(s, "coord", pk), VOCFED_OK);
    assert_memory_equal(pk, kc.pk, PROTO_PUBKEY_LEN);
    /* Refusals. */
    assert_int_equal(store_author_rename(s, "coord", TH_AUTHOR),
                     VOCFED_EEXISTS);
    assert_int_equal(store_author_rename(s, "nobody", "other"),
                     VOCFED_ENOTFOUND);
    assert_int_equal(store_author_rename(s, "coord", "Bad!"), VOCFED_EINVALID);
    assert_int_equal(th_append_puts(s, "coord", &kc, "c", 1, 3, 3, &head),
                     VOCFED_OK);
    assert_int_equal(store_author_rename(s, "coord", "other"), VOCFED_EINVALID);
    assert_int_equal(store_author_rename(s, TH_AUTHOR, "other"), VOCFED_OK);
    assert_int_equal(th_append_puts(s, "other", &km, "p", 1, 2, 2, &head),
                     VOCFED_OK);
    assert_int_equal(store_author_rename(s, "other", TH_AUTHOR),
                     VOCFED_EINVALID);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_scan_authors(s, s_author_cb, &seen), VOCFED_OK);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.ids[0], "coord");
    assert_string_equal(seen.ids[1], "other");
    assert_int_equal(store_head(s, "coord", &head), VOCFED_OK);
    assert_int_equal(head.size, 3);
    assert_int_equal(store_head(s, "other", &head), VOCFED_OK);
    assert_int_equal(head.size, 2);
    s_verify_ok(s, 5, 5);
    store_destroy(&s);
}

static int
s_entry_never(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)seq;
    (void)data;
    (void)len;
    return -1;
}

static void
test_authors(void **state)
{
    const char *dir = *state;
    th_keys_t k1, k2;
    uint8_t pk[PROTO_PUBKEY_LEN];
    store_head_t head;
    proto_buf_t buf;
    proto_proof_t proof;
    uint64_t seq;
    size_t bad = 77;
    s_authors_t seen = {0};
    store_t *s;
    th_keys(1, &k1);
    th_keys(2, &k2);
    proto_buf_init(&buf);

    assert_non_null(s = th_open(dir, true, 0, NULL));
    assert_int_equal(store_author_add(s, TH_AUTHOR, k1.pk), VOCFED_OK);
    assert_int_equal(store_author_add(s, TH_AUTHOR, k1.pk), VOCFED_OK);
    assert_int_equal(store_author_add(s, TH_AUTHOR, k2.pk), VOCFED_EEXISTS);
    assert_int_equal(store_author_add(s, "coord", k2.pk), VOCFED_OK);
    assert_int_equal(store_author_add(s, "Bad!", k2.pk), VOCFED_EINVALID);
    assert_int_equal(store_author_add(s, "", k2.pk), VOCFED_EINVALID);
    assert_int_equal(store_author_key(s, TH_AUTHOR, pk), VOCFED_OK);
    assert_memory_equal(pk, k1.pk, PROTO_PUBKEY_LEN);
    assert_int_equal(store_author_key(s, "coord", pk), VOCFED_OK);
    assert_memory_equal(pk, k2.pk, PROTO_PUBKEY_LEN);
    assert_int_equal(store_scan_authors(s, s_author_cb, &seen), VOCFED_OK);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.ids[0], TH_AUTHOR);
    assert_memory_equal(seen.pks[0], k1.pk, PROTO_PUBKEY_LEN);
    assert_string_equal(seen.ids[1], "coord");
    assert_memory_equal(seen.pks[1], k2.pk, PROTO_PUBKEY_LEN);

    /* A known author with no log yet: the empty tree, no checkpoint. */
    uint8_t empty[PROTO_HASH_LEN];
    proto_hash(PROTO_HASH_BLAKE2B256, NULL, 0, empty);
    assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 0);
    assert_int_equal(head.time_ms, 0);
    assert_memory_equal(head.root, empty, PROTO_HASH_LEN);
    assert_int_equal(store_checkpoint_latest(s, TH_AUTHOR, &buf),
                     VOCFED_ENOTFOUND);
    assert_int_equal(store_entry_get(s, TH_AUTHOR, 1, &buf), VOCFED_ENOTFOUND);
    assert_int_equal(store_scan_entries(s, TH_AUTHOR, 1, s_entry_never, NULL),
                     VOCFED_OK);

    /* Unknown (and invalid) authors: not found everywhere. */
    const char *unknown[] = {"nobody", "Not-An-Id!"};
    for (size_t i = 0; i < 2; i++) {
        const char *u = unknown[i];
        assert_int_equal(store_author_key(s, u, pk), VOCFED_ENOTFOUND);
        assert_int_equal(store_head(s, u, &head), VOCFED_ENOTFOUND);
        assert_int_equal(store_entry_get(s, u, 1, &buf), VOCFED_ENOTFOUND);
        assert_int_equal(store_record_get(s, u, TH_KIND, "p1", &buf, &seq),
                         VOCFED_ENOTFOUND);
        assert_int_equal(store_checkpoint_latest(s, u, &buf), VOCFED_ENOTFOUND);
        assert_int_equal(store_scan_entries(s, u, 1, s_entry_never, NULL),
                         VOCFED_ENOTFOUND);
        assert_int_equal(store_inclusion_proof(s, u, 1, 1, &proof),
                         VOCFED_ENOTFOUND);
        assert_int_equal(store_consistency_proof(s, u, 1, 1, &proof),
                         VOCFED_ENOTFOUND);
    }
    th_batch_t b;
    th_batch_init(&b, 1);
    assert_int_equal(th_batch_put(&b, "p1", 2025, 0), VOCFED_OK);
    assert_int_equal(
        store_append(s, "nobody", k1.sk, th_batch_recs(&b), 1, 0, &head, &bad),
        VOCFED_ENOTFOUND);
    assert_int_equal(store_append(s, "Not-An-Id!", k1.sk, th_batch_recs(&b), 1,
                                  0, &head, &bad),
                     VOCFED_EINVALID);
    th_batch_release(&b);
    store_verify_result_t res;
    assert_int_not_equal(store_verify(s, "nobody", &res, NULL, NULL),
                         VOCFED_OK);
    assert_int_not_equal(res.status, VOCFED_OK);
    assert_int_equal(store_verify(s, NULL, &res, NULL, NULL), VOCFED_OK);
    assert_int_equal(res.entries, 0);

    proto_buf_release(&buf);
    store_destroy(&s);
}

/* ---- append ---------------------------------------------------------- */

static void
test_append(void **state)
{
    const char *dir = *state;
    th_keys_t k, other;
    store_head_t head, before;
    uint8_t prev[PROTO_HASH_LEN] = {0};
    proto_buf_t buf;
    proto_entry_t e;
    proto_value_t v;
    uint64_t seq;
    size_t bad;
    th_batch_t b;
    store_t *s;
    th_keys(1, &k);
    th_keys(2, &other);
    proto_buf_init(&buf);
    assert_non_null(s = th_create(dir, &k, 0));

    /* Batch 1: five puts, p1..p5, with a given time. */
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "p", 1, 5, 20, &head),
                     VOCFED_OK);
    assert_int_equal(head.size, 5);
    assert_int_equal(head.time_ms, TH_TIME_MS + 1);
    s_check_head(s, &head);
    s_check_checkpoint(s, &k, &head, prev);
    assert_int_equal(s_record(s, "p3", &seq, &e, &buf), VOCFED_OK);
    assert_int_equal(seq, 3);
    assert_int_equal(e.op, PROTO_OP_PUT);
    assert_int_equal(e.time_ms, TH_TIME_MS + 1);
    assert_int_equal(e.author_len, strlen(TH_AUTHOR));
    assert_memory_equal(e.author, TH_AUTHOR, e.author_len);

    /* Batch 2: p1 replaced, p2 deleted, time 0 = now. */
    th_batch_init(&b, 8);
    assert_int_equal(th_batch_put(&b, "p1", 2030, 0), VOCFED_OK);
    assert_int_equal(th_batch_del(&b, "p2"), VOCFED_OK);
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), b.n, 0,
                                  &head, &bad),
                     VOCFED_OK);
    th_batch_release(&b);
    assert_int_equal(head.size, 7);
    assert_true(head.time_ms > TH_TIME_MS);
    s_check_head(s, &head);
    s_check_checkpoint(s, &k, &head, prev);
    assert_int_equal(s_record(s, "p1", &seq, &e, &buf), VOCFED_OK);
    assert_int_equal(seq, 6);
    assert_int_equal(proto_body_get(e.body, e.body_len, "intake_year", &v),
                     VOCFED_OK);
    assert_int_equal(v.i, 2030);
    assert_int_equal(s_record(s, "p2", &seq, &e, &buf), VOCFED_ENOTFOUND);
    proto_buf_reset(&buf);
    assert_int_equal(store_entry_get(s, TH_AUTHOR, 7, &buf), VOCFED_OK);
    assert_int_equal(proto_entry_decode(buf.data, buf.len, &e), VOCFED_OK);
    assert_int_equal(e.op, PROTO_OP_DEL);
    assert_null(e.body);
    assert_int_equal(e.key_len, 2);
    assert_memory_equal(e.key, "p2", 2);

    /* Batch 3 dels p2 again (gone) at position 2: nothing of it lands,
     * not even the put and the valid del before it. */
    before = head;
    th_batch_init(&b, 8);
    assert_int_equal(th_batch_put(&b, "p9", 2025, 0), VOCFED_OK);
    assert_int_equal(th_batch_del(&b, "p3"), VOCFED_OK);
    assert_int_equal(th_batch_del(&b, "p2"), VOCFED_OK);
    assert_int_equal(th_batch_put(&b, "p10", 2025, 0), VOCFED_OK);
    bad = 99;
    memset(&head, 0xee, sizeof head);
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), b.n, 0,
                                  &head, &bad),
                     VOCFED_ENOTFOUND);
    th_batch_release(&b);
    assert_int_equal(bad, 2);
    assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, before.size);
    assert_memory_equal(head.root, before.root, PROTO_HASH_LEN);
    assert_int_equal(head.time_ms, before.time_ms);
    proto_buf_reset(&buf);
    assert_int_equal(store_entry_get(s, TH_AUTHOR, 8, &buf), VOCFED_ENOTFOUND);
    assert_int_equal(s_record(s, "p9", &seq, &e, &buf), VOCFED_ENOTFOUND);
    assert_int_equal(s_record(s, "p3", &seq, &e, &buf), VOCFED_OK);
    assert_int_equal(seq, 3);
    s_check_head(s, &head);

    /* Invalid records: refused with their position, nothing written. */
    th_batch_init(&b, 8);
    assert_int_equal(th_batch_put(&b, "p11", 2025, 0), VOCFED_OK);
    assert_int_equal(th_batch_put(&b, "p12", 2025, 0), VOCFED_OK);
    th_batch_recs(&b);
    store_record_t *recs = b.recs; /* changed below */
    recs[1].kind = "Bad Kind";
    bad = 99;
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, recs, 2, 0, &head, &bad),
                     VOCFED_EINVALID);
    assert_int_equal(bad, 1);
    recs[1].kind = NULL;
    bad = 99;
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, recs, 2, 0, &head, &bad),
                     VOCFED_EINVALID);
    assert_int_equal(bad, 1);
    recs[1].kind = TH_KIND;
    recs[1].key = "bad\nkey";
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, recs, 2, 0, &head, &bad),
                     VOCFED_EINVALID);
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, recs, 0, 0, &head, &bad),
                     VOCFED_EINVALID);
    th_batch_release(&b);
    assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, before.size);

    /* A put then a del of one key inside one batch: the record is gone,
     * the log has both entries. */
    th_batch_init(&b, 8);
    assert_int_equal(th_batch_put(&b, "q1", 2025, 0), VOCFED_OK);
    assert_int_equal(th_batch_del(&b, "q1"), VOCFED_OK);
    assert_int_equal(th_batch_put(&b, "q2", 2025, 0), VOCFED_OK);
    assert_int_equal(th_batch_del(&b, "p4"), VOCFED_OK);
    assert_int_equal(th_batch_put(&b, "p4", 2031, 0), VOCFED_OK);
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), b.n,
                                  TH_TIME_MS + 100, &head, &bad),
                     VOCFED_OK);
    th_batch_release(&b);
    assert_int_equal(head.size, 12);
    s_check_head(s, &head);
    s_check_checkpoint(s, &k, &head, prev);
    assert_int_equal(s_record(s, "q1", &seq, &e, &buf), VOCFED_ENOTFOUND);
    assert_int_equal(s_record(s, "q2", &seq, &e, &buf), VOCFED_OK);
    assert_int_equal(seq, 10);
    assert_int_equal(s_record(s, "p4", &seq, &e, &buf), VOCFED_OK);
    assert_int_equal(seq, 12);

    /* A put of a deleted key brings it back. */
    th_batch_init(&b, 1);
    assert_int_equal(th_batch_put(&b, "p2", 2032, 3), VOCFED_OK);
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), b.n,
                                  TH_TIME_MS + 200, &head, &bad),
                     VOCFED_OK);
    th_batch_release(&b);
    s_check_head(s, &head);
    s_check_checkpoint(s, &k, &head, prev);
    assert_int_equal(s_record(s, "p2", &seq, &e, &buf), VOCFED_OK);
    assert_int_equal(seq, 13);

    /* Another author's log is separate, and each checkpoint is signed by
     * its own author only. */
    assert_int_equal(store_author_add(s, "coord", other.pk), VOCFED_OK);
    th_batch_init(&b, 2);
    assert_int_equal(th_batch_put(&b, "p1", 1999, 0), VOCFED_OK);
    assert_int_equal(store_append(s, "coord", other.sk, th_batch_recs(&b), 1,
                                  TH_TIME_MS, &head, &bad),
                     VOCFED_OK);
    th_batch_release(&b);
    assert_int_equal(head.size, 1);
    proto_buf_reset(&buf);
    assert_int_equal(store_checkpoint_latest(s, "coord", &buf), VOCFED_OK);
    proto_checkpoint_t c;
    assert_int_equal(proto_checkpoint_verify(buf.data, buf.len, other.pk,
                                             "coord", 1, head.root, &c),
                     VOCFED_OK);
    assert_int_equal(proto_checkpoint_verify(buf.data, buf.len, k.pk, "coord",
                                             1, head.root, &c),
                     VOCFED_EBADSIG);
    assert_int_equal(s_record(s, "p1", &seq, &e, &buf), VOCFED_OK);
    assert_int_equal(seq, 6);

    /* Our log continues after theirs was written. */
    assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "r", 1, 3, 0, &head),
                     VOCFED_OK);
    assert_int_equal(head.size, 16);
    s_check_head(s, &head);
    s_check_checkpoint(s, &k, &head, prev);

    /* p1 p2 p3 p4 p5 q2 r1 r2 r3, and coord's p1. */
    s_verify_ok(s, 17, 10);
    store_destroy(&s);

    /* All of it is still there after a reopen. */
    assert_non_null(s = th_open(dir, false, 0, NULL));
    assert_int_equal(store_head(s, TH_AUTHOR, &before), VOCFED_OK);
    assert_int_equal(before.size, 16);
    assert_memory_equal(before.root, head.root, PROTO_HASH_LEN);
    s_check_head(s, &before);
    s_verify_ok(s, 17, 10);
    store_destroy(&s);
    proto_buf_release(&buf);
}

/* ---- proofs ---------------------------------------------------------- */

static void
test_proofs(void **state)
{
    const char *dir = *state;
    /* Batch sizes: heads at 1 2 4 7 12 20 33 34 41 64 65. */
    static const size_t batches[] = {1, 1, 2, 3, 5, 8, 13, 1, 7, 23, 1};
    enum { NB = sizeof batches / sizeof batches[0] };
    th_keys_t k;
    store_head_t heads[NB];
    proto_proof_t proof;
    proto_buf_t buf;
    uint8_t leaf[PROTO_HASH_LEN];
    uint64_t first = 1;
    store_t *s;
    th_keys(1, &k);
    proto_buf_init(&buf);
    assert_non_null(s = th_create(dir, &k, 0));
    for (size_t i = 0; i < NB; i++) {
        assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "p", first,
                                        batches[i], 5, &heads[i]),
                         VOCFED_OK);
        first += batches[i];
        assert_int_equal(heads[i].size, first - 1);
    }
    s_check_head(s, &heads[NB - 1]);

    for (size_t h = 0; h < NB; h++) {
        uint64_t size = heads[h].size;
        for (uint64_t seq = 1; seq <= size; seq++) {
            proto_buf_reset(&buf);
            assert_int_equal(store_entry_get(s, TH_AUTHOR, seq, &buf),
                             VOCFED_OK);
            proto_hash_leaf(PROTO_HASH_BLAKE2B256, buf.data, buf.len, leaf);
            assert_int_equal(
                store_inclusion_proof(s, TH_AUTHOR, seq, size, &proof),
                VOCFED_OK);
            assert_int_equal(proto_merkle_verify_inclusion(
                                 PROTO_HASH_BLAKE2B256, seq - 1, size, leaf,
                                 &proof, heads[h].root),
                             VOCFED_OK);
            /* The same proof does not prove another place, nor a
             * changed entry. */
            if (size > 1)
                assert_int_equal(proto_merkle_verify_inclusion(
                                     PROTO_HASH_BLAKE2B256, seq % size, size,
                                     leaf, &proof, heads[h].root),
                                 VOCFED_EPROOF);
            leaf[0] ^= 1;
            assert_int_equal(proto_merkle_verify_inclusion(
                                 PROTO_HASH_BLAKE2B256, seq - 1, size, leaf,
                                 &proof, heads[h].root),
                             VOCFED_EPROOF);
        }
        assert_int_equal(store_inclusion_proof(s, TH_AUTHOR, 0, size, &proof),
                         VOCFED_EINVALID);
        assert_int_equal(
            store_inclusion_proof(s, TH_AUTHOR, size + 1, size, &proof),
            VOCFED_EINVALID);
        for (size_t o = 0; o <= h; o++) {
            uint64_t old = heads[o].size;
            assert_int_equal(
                store_consistency_proof(s, TH_AUTHOR, old, size, &proof),
                VOCFED_OK);
            assert_int_equal(proto_merkle_verify_consistency(
                                 PROTO_HASH_BLAKE2B256, old, size,
                                 heads[o].root, heads[h].root, &proof),
                             VOCFED_OK);
            if (o < h) {
                /* Not consistent with a root it does not extend. */
                assert_int_equal(proto_merkle_verify_consistency(
                                     PROTO_HASH_BLAKE2B256, old, size,
                                     heads[h].root, heads[h].root, &proof),
                                 VOCFED_EPROOF);
                assert_int_equal(
                    store_consistency_proof(s, TH_AUTHOR, size, old, &proof),
                    VOCFED_EINVALID);
            }
        }
    }
    /* Trees the store does not have are the caller's mistake, not
     * corruption. */
    uint64_t top = heads[NB - 1].size;
    assert_int_equal(store_inclusion_proof(s, TH_AUTHOR, 1, top + 1, &proof),
                     VOCFED_EINVALID);
    assert_int_equal(
        store_consistency_proof(s, TH_AUTHOR, 1, top + 1000, &proof),
        VOCFED_EINVALID);
    proto_buf_release(&buf);
    store_destroy(&s);
}

/* ---- map growth ------------------------------------------------------ */

static void
test_map_growth(void **state)
{
    const char *dir = *state;
    char path[96];
    th_keys_t k;
    store_head_t head, again;
    proto_buf_t buf;
    proto_entry_t e;
    uint64_t seq;
    struct stat st;
    store_t *s;
    th_keys(1, &k);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    proto_buf_init(&buf);

    assert_non_null(s = th_create(dir, &k, S_SMALL_MAP));
    /* ~200-byte entries: 20,000 in one batch, then more batches. */
    assert_int_equal(
        th_append_puts(s, TH_AUTHOR, &k, "p", 1, 20000, 150, &head), VOCFED_OK);
    assert_int_equal(head.size, 20000);
    /* The map was grown before that write, which never filled it and ran
     * again (SPEC 5.4: no redo). */
    uint64_t reserved, redone;
    store_test_map_stats(s, &reserved, &redone);
    assert_true(reserved >= 1);
    assert_int_equal(redone, 0);
    for (uint64_t first = 20001; first < 40000; first += 5000) {
        assert_int_equal(
            th_append_puts(s, TH_AUTHOR, &k, "p", first, 5000, 150, &head),
            VOCFED_OK);
        assert_int_equal(head.size, first + 4999);
    }
    proto_buf_reset(&buf);
    assert_int_equal(store_entry_get(s, TH_AUTHOR, 1, &buf), VOCFED_OK);
    assert_in_range(buf.len, 190, 230);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > (off_t)(8 << 20));
    assert_true(store_map_size(s) > S_SMALL_MAP);
    assert_true(store_map_size(s) >= (size_t)st.st_size);
    s_check_head(s, &head);
    s_verify_ok(s, 40000, 40000);
    store_destroy(&s);

    /* Reopen with the tiny map again (LMDB takes at least the file) and
     * with the default: all of it is there, and it grows again. */
    for (int pass = 0; pass < 2; pass++) {
        assert_non_null(s = th_open(dir, false, pass ? 0 : S_SMALL_MAP, NULL));
        assert_int_equal(store_head(s, TH_AUTHOR, &again), VOCFED_OK);
        assert_int_equal(again.size, head.size);
        assert_memory_equal(again.root, head.root, PROTO_HASH_LEN);
        assert_int_equal(s_record(s, "p39999", &seq, &e, &buf), VOCFED_OK);
        assert_int_equal(seq, 39999);
        size_t map = store_map_size(s);
        assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "p", head.size + 1,
                                        20000, 150, &head),
                         VOCFED_OK);
        if (pass == 0)
            assert_true(store_map_size(s) > map);
        s_check_head(s, &head);
        store_destroy(&s);
    }
    assert_non_null(s = th_open(dir, false, 0, NULL));
    s_verify_ok(s, 80000, 80000);
    store_destroy(&s);
    proto_buf_release(&buf);
}

/* ---- two writers ----------------------------------------------------- */

#define S_ROUNDS 12 /* batches each writer appends in each phase */

/* One batch as a writer saw it: its entries are seq first..last. */
typedef struct {
    uint64_t first; /* first seq of the batch */
    uint64_t last;  /* last seq: the head size after it */
} s_range_t;

/* One writer: a phase of strictly alternating batches (it waits for the
 * token on tok_in, appends, passes the token on tok_out), then a phase of
 * batches as fast as it can, while the other writer does the same. Each
 * batch's range goes to ranges (an array of 2 * S_ROUNDS). Returns 0 or
 * the first failing status. */
static int
s_writer(const char *dir, const th_keys_t *k, const char *prefix, int tok_in,
         int tok_out, bool starts, s_range_t *ranges)
{
    store_head_t head;
    uint8_t token = 1;
    int rc;
    store_t *s = th_open(dir, false, S_SMALL_MAP, &rc);
    if (!s)
        return rc;
    for (size_t i = 0; i < 2 * S_ROUNDS; i++) {
        bool alternate = i < S_ROUNDS;
        size_t n = 1 + (i * 37) % 150;
        /* The starter waits for the other's last alternating batch
         * too, so the alternating phase ends before the free one. */
        bool wait = alternate ? !(starts && i == 0) : starts && i == S_ROUNDS;
        if (wait && th_fd_full(tok_in, &token, 1, false) != 0) {
            rc = VOCFED_EINTERRUPTED;
            break;
        }
        rc = th_append_puts(s, TH_AUTHOR, k, prefix, 1000 * i, n, 60, &head);
        if (rc)
            break;
        ranges[i].first = head.size - n + 1;
        ranges[i].last = head.size;
        if (alternate && th_fd_full(tok_out, &token, 1, true) != 0) {
            rc = VOCFED_EINTERRUPTED;
            break;
        }
    }
    store_destroy(&s);
    return rc;
}

static int
s_range_cmp(const void *a, const void *b)
{
    const s_range_t *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static void
test_two_writers(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    int to_child[2], to_parent[2], results[2], status;
    s_range_t ranges[4 * S_ROUNDS];
    store_head_t head;
    store_t *s;
    th_keys(1, &k);

    /* LMDB forbids one environment open twice in one process (closing
     * one drops the other's POSIX locks), so the second writer is a
     * forked child with its own handle. Both start from a 64 KiB map, so
     * each must grow it and adopt the other's growth. */
    assert_non_null(s = th_create(dir, &k, S_SMALL_MAP));
    store_destroy(&s);
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(to_parent), 0);
    assert_int_equal(pipe(results), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        close(results[0]);
        int rc = s_writer(dir, &k, "c", to_child[0], to_parent[1], false,
                          ranges + 2 * S_ROUNDS);
        if (th_fd_full(results[1], &rc, sizeof rc, true) != 0 ||
            th_fd_full(results[1], ranges + 2 * S_ROUNDS,
                       2 * S_ROUNDS * sizeof *ranges, true) != 0)
            _exit(3);
        _exit(rc ? 1 : 0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    close(results[1]);
    int rc = s_writer(dir, &k, "p", to_parent[0], to_child[1], true, ranges);
    close(to_child[1]); /* unblocks the child if we stopped early */
    int child_rc = VOCFED_EINTERRUPTED;
    bool got = th_fd_full(results[0], &child_rc, sizeof child_rc, false) == 0 &&
               th_fd_full(results[0], ranges + 2 * S_ROUNDS,
                          2 * S_ROUNDS * sizeof *ranges, false) == 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(to_parent[0]);
    close(results[0]);
    assert_int_equal(rc, VOCFED_OK);
    assert_true(got);
    assert_int_equal(child_rc, VOCFED_OK);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The alternating phase: each batch starts right after the other
     * writer's last one. */
    for (size_t i = 0; i < S_ROUNDS; i++) {
        assert_int_equal(ranges[i].first,
                         i ? ranges[2 * S_ROUNDS + i - 1].last + 1 : 1);
        assert_int_equal(ranges[2 * S_ROUNDS + i].first, ranges[i].last + 1);
    }
    /* All batches together tile 1..N exactly. */
    qsort(ranges, 4 * S_ROUNDS, sizeof *ranges, s_range_cmp);
    uint64_t next = 1;
    for (size_t i = 0; i < 4 * S_ROUNDS; i++) {
        assert_int_equal(ranges[i].first, next);
        assert_true(ranges[i].last >= ranges[i].first);
        next = ranges[i].last + 1;
    }

    assert_non_null(s = th_open(dir, false, 0, NULL));
    assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, next - 1);
    s_check_head(s, &head);
    s_verify_ok(s, head.size, head.size); /* every key is unique */
    store_destroy(&s);
}

/* A store opened without no_derived and without an apply hook refuses
 * writes that change records, and writes nothing: a node's writes go
 * through node_open, which attaches the figures, so none forgets them.
 * Once a hook is set the same append goes in. */
static int
s_count_entry(void *ctx, store_txn_t *txn, const char *author,
              const proto_entry_t *e, const uint8_t *old_body, size_t old_len)
{
    (void)txn, (void)author, (void)e, (void)old_body, (void)old_len;
    (*(int *)ctx)++;
    return VOCFED_OK;
}

static void
test_derived_required(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    th_batch_t b;
    store_head_t head;
    store_t *s = NULL;
    store_opts_t o = {.create = true};
    int applied = 0;
    th_keys(7, &k);
    th_batch_init(&b, 2);
    th_batch_put(&b, "p1", 2025, 0);
    assert_int_equal(store_open(dir, &o, &s), VOCFED_OK);
    assert_int_equal(store_author_add(s, TH_AUTHOR, k.pk), VOCFED_OK);
    assert_int_equal(
        store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), 1, 0, &head, NULL),
        VOCFED_EINVALID);
    assert_int_equal(store_head(s, TH_AUTHOR, &head), VOCFED_OK);
    assert_int_equal(head.size, 0);
    store_hook_t hook = {.entry = s_count_entry, .ctx = &applied};
    store_set_hook(s, &hook);
    assert_int_equal(
        store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), 1, 0, &head, NULL),
        VOCFED_OK);
    assert_int_equal(head.size, 1);
    assert_int_equal(applied, 1);
    store_destroy(&s);
    th_batch_release(&b);
}

/* A checkpoint is never dated before the previous one (a clock set
 * back): a receiver would refuse it as bad-time (SPEC 8.4). Entries keep
 * the time they were given. */
static void
test_checkpoint_time_never_back(void **state)
{
    const char *dir = *state;
    th_keys_t k;
    th_batch_t b;
    store_head_t head;
    th_keys(8, &k);
    th_batch_init(&b, 2);
    th_batch_put(&b, "p1", 2025, 0);
    store_t *s = th_create(dir, &k, 0);
    assert_non_null(s);
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), 1,
                                  TH_TIME_MS, &head, NULL),
                     VOCFED_OK);
    assert_int_equal(head.time_ms, TH_TIME_MS);
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), 1,
                                  TH_TIME_MS - 60000, &head, NULL),
                     VOCFED_OK);
    assert_int_equal(head.size, 2);
    assert_int_equal(head.time_ms, TH_TIME_MS);
    assert_int_equal(store_append(s, TH_AUTHOR, k.sk, th_batch_recs(&b), 1,
                                  TH_TIME_MS + 5, &head, NULL),
                     VOCFED_OK);
    assert_int_equal(head.time_ms, TH_TIME_MS + 5);
    s_verify_ok(s, head.size, 1);
    store_destroy(&s);
    th_batch_release(&b);
}

/* ---- records encoded ahead (storage/ahead.h) -------------------------- */

enum { S_AHEAD_N = 3000 }; /* records of the large append (>= 2048) */

/* A store in dir/name appending with the helper as mode says: 0 never,
 * 1 the helper encodes every record before the append takes any, 2 the
 * two race, 3 the helper encodes none (the append claims each, eight at
 * a time, and encodes them with the helper's code). */
static store_t *
s_ahead_store(const char *dir, const char *name, const th_keys_t *k, int mode)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    store_t *s = th_create(path, k, 0);
    assert_non_null(s);
    store_test_ahead(s, mode == 0 ? SIZE_MAX : 1, mode == 1);
    store_test_ahead_idle(s, mode == 3);
    return s;
}

/* A hook's check refusing the record keyed k1500. */
static int
s_refuse_k1500(void *ctx, const char *author, const proto_entry_t *e)
{
    (void)ctx;
    (void)author;
    return e->key_len == 5 && !memcmp(e->key, "k1500", 5) ? VOCFED_EBADRECORD
                                                          : VOCFED_OK;
}

/* Entries 1 .. size of TH_AUTHOR's log in s[1 .. n-1] are byte for byte
 * those of s[0]. */
static void
s_same_entries(store_t *const *s, int n, uint64_t size)
{
    proto_buf_t x, y;
    proto_buf_init(&x);
    proto_buf_init(&y);
    for (uint64_t seq = 1; seq <= size; seq++) {
        proto_buf_reset(&x);
        assert_int_equal(store_entry_get(s[0], TH_AUTHOR, seq, &x), VOCFED_OK);
        for (int m = 1; m < n; m++) {
            proto_buf_reset(&y);
            assert_int_equal(store_entry_get(s[m], TH_AUTHOR, seq, &y),
                             VOCFED_OK);
            assert_int_equal(y.len, x.len);
            assert_memory_equal(y.data, x.data, x.len);
        }
    }
    proto_buf_release(&x);
    proto_buf_release(&y);
}

/* The large batch: puts k0..k2999 of varied lengths, and at 2000 a del
 * of k10 (put earlier in the batch). */
static void
s_ahead_batch(th_batch_t *b)
{
    char key[32];
    th_batch_init(b, S_AHEAD_N);
    for (size_t i = 0; i < S_AHEAD_N; i++) {
        snprintf(key, sizeof key, "k%zu", i);
        int rc = i == 2000
                     ? th_batch_del(b, "k10")
                     : th_batch_put(b, key, 2020 + (int64_t)(i % 7), i % 97);
        assert_int_equal(rc, VOCFED_OK);
    }
}

/* n puts keyed <prefix>0 .. <prefix>n-1, in b (released by the caller). */
static const store_record_t *
s_next_batch(th_batch_t *b, const char *prefix, size_t n)
{
    char key[32];
    th_batch_init(b, n);
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%s%zu", prefix, i);
        assert_int_equal(th_batch_put(b, key, 2020 + (int64_t)(i % 7), i % 61),
                         VOCFED_OK);
    }
    return th_batch_recs(b);
}

/* store_append_next: the next append's records encoded during this
 * one's commit, by the helper racing (mode 2 of s_ahead_store) or before
 * the commit (mode 1), and without a helper (mode 0): the same bytes
 * and roots in all three. Taken only by the append they were named for
 * (records, seq, time); a failed append, another append or another time
 * throws the work away; a store closed with work pending frees it. */
static void
test_append_next(void **state)
{
    const char *dir = *state;
    static const char *names[3] = {"none", "first", "race"};
    store_t *s[3];
    store_head_t head[3];
    th_keys_t k;
    th_batch_t a, b, c, d;
    size_t bad;
    th_keys(1, &k);
    for (int m = 0; m < 3; m++)
        s[m] = s_ahead_store(dir, names[m], &k, m);
    const store_record_t *ra = s_next_batch(&a, "a", 2100);
    const store_record_t *rb = s_next_batch(&b, "b", 2300);
    const store_record_t *rc = s_next_batch(&c, "c", 2200);
    const store_record_t *rd = s_next_batch(&d, "d", 2200); /* as many as c */
    th_batch_t g;
    const store_record_t *rg = s_next_batch(&g, "g", 2150);
    uint64_t size = 0;
    for (int m = 0; m < 3; m++) {
        /* as an import does: b named next, a appended; g named, b
         * appended (taking what a's commit encoded); g appended: both
         * taken (not without a helper) */
        store_append_next(s[m], rb, b.n);
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, ra, a.n,
                                      TH_TIME_MS, &head[m], &bad),
                         VOCFED_OK);
        store_append_next(s[m], rg, g.n);
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, rb, b.n,
                                      TH_TIME_MS, &head[m], &bad),
                         VOCFED_OK);
        assert_int_equal(store_test_next_taken(s[m]), m ? 1 : 0);
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, rg, g.n,
                                      TH_TIME_MS, &head[m], &bad),
                         VOCFED_OK);
        assert_int_equal(store_test_next_taken(s[m]), m ? 2 : 0);
        /* c named and encoded after a0's change, then d appended (as
         * many records, at the same time): thrown away; c named and
         * encoded after a2's change, then appended at another time:
         * thrown away */
        store_append_next(s[m], rc, c.n);
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, ra, 1,
                                      TH_TIME_MS + 1, &head[m], &bad),
                         VOCFED_OK);
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, rd, d.n,
                                      TH_TIME_MS + 1, &head[m], &bad),
                         VOCFED_OK);
        assert_int_equal(store_test_next_taken(s[m]), m ? 2 : 0);
        store_append_next(s[m], rc, c.n);
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, ra + 2, 1,
                                      TH_TIME_MS + 2, &head[m], &bad),
                         VOCFED_OK);
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, rc, c.n,
                                      TH_TIME_MS + 3, &head[m], &bad),
                         VOCFED_OK);
        assert_int_equal(store_test_next_taken(s[m]), m ? 2 : 0);
        size = a.n + b.n + g.n + 1 + d.n + 1 + c.n;
        assert_int_equal(head[m].size, size);
        s_check_head(s[m], &head[m]);
    }
    for (int m = 1; m < 3; m++)
        assert_memory_equal(head[m].root, head[0].root, PROTO_HASH_LEN);
    s_same_entries(s, 3, size);
    /* Time 0 (now): the named records are dated when their encoding
     * started, and taken. A failed append (a del of a record that is
     * not there) forgets what was named and drops what was encoded. */
    for (int m = 1; m < 3; m++) {
        th_batch_t e;
        const store_record_t *re = s_next_batch(&e, "e", 2050);
        store_append_next(s[m], re, e.n);
        assert_int_equal(
            store_append(s[m], TH_AUTHOR, k.sk, ra + 1, 1, 0, &head[m], &bad),
            VOCFED_OK);
        uint64_t t0 = head[m].time_ms;
        assert_int_equal(
            store_append(s[m], TH_AUTHOR, k.sk, re, e.n, 0, &head[m], &bad),
            VOCFED_OK);
        assert_int_equal(store_test_next_taken(s[m]), 3);
        assert_true(head[m].time_ms >= t0);
        store_record_t gone = {
            .op = PROTO_OP_DEL, .kind = TH_KIND, .key = "nobody"};
        th_batch_release(&e);
        re = s_next_batch(&e, "f", 2050);
        store_append_next(s[m], re, e.n);
        assert_int_equal(
            store_append(s[m], TH_AUTHOR, k.sk, &gone, 1, 0, &head[m], &bad),
            VOCFED_ENOTFOUND);
        assert_int_equal(
            store_append(s[m], TH_AUTHOR, k.sk, re, e.n, 0, &head[m], &bad),
            VOCFED_OK);
        assert_int_equal(store_test_next_taken(s[m]), 3);
        /* named and encoded, then the store closed */
        store_append_next(s[m], ra, a.n);
        assert_int_equal(
            store_append(s[m], TH_AUTHOR, k.sk, rb + 1, 1, 0, &head[m], &bad),
            VOCFED_OK);
        th_batch_release(&e);
        s_verify_ok(s[m], size + 1 + 2050 + 2050 + 1,
                    a.n + b.n + c.n + d.n + g.n + 2050 + 2050);
    }
    s_verify_ok(s[0], size, a.n + b.n + c.n + d.n + g.n);
    for (int m = 0; m < 3; m++)
        store_destroy(&s[m]);
    th_batch_release(&a);
    th_batch_release(&b);
    th_batch_release(&c);
    th_batch_release(&d);
    th_batch_release(&g);
}

/* The log that grows sorts last in the entries table (SPEC 5.1): a
 * member's own log registered after its coordinator's is appended, each
 * page filled; registered before it, each append lands in front of the
 * coordinator's entries and splits its page in the middle. */
#define S_OWN_CHUNKS 30
#define S_OWN_CHUNK 100

static void
s_own_log_pages(const char *dir, const char *name, bool coordinator_first,
                uint64_t *pages)
{
    char path[512];
    th_keys_t k;
    store_head_t head;
    uint64_t entries;
    th_keys(2, &k);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    store_t *s = th_open(path, true, 0, NULL);
    assert_non_null(s);
    if (coordinator_first)
        assert_int_equal(store_author_add(s, "coord", k.pk), VOCFED_OK);
    assert_int_equal(store_author_add(s, TH_AUTHOR, k.pk), VOCFED_OK);
    if (!coordinator_first)
        assert_int_equal(store_author_add(s, "coord", k.pk), VOCFED_OK);
    /* The coordinator's log first, as a member takes it at its first
     * contact; then the member's own, an import's chunks. */
    assert_int_equal(th_append_puts(s, "coord", &k, "c", 1, 40, 40, &head),
                     VOCFED_OK);
    for (size_t c = 0; c < S_OWN_CHUNKS; c++)
        assert_int_equal(th_append_puts(s, TH_AUTHOR, &k, "p",
                                        1 + c * S_OWN_CHUNK, S_OWN_CHUNK, 60,
                                        &head),
                         VOCFED_OK);
    assert_int_equal(head.size, S_OWN_CHUNKS * S_OWN_CHUNK);
    assert_int_equal(store_test_entry_pages(s, pages, &entries), VOCFED_OK);
    assert_int_equal(entries, 40 + S_OWN_CHUNKS * S_OWN_CHUNK);
    store_destroy(&s);
}

static void
test_own_log_last(void **state)
{
    const char *dir = *state;
    uint64_t last, first;
    s_own_log_pages(dir, "last", true, &last);
    s_own_log_pages(dir, "first", false, &first);
    print_message("own log last: %" PRIu64 " leaf pages; first: %" PRIu64 "\n",
                  last, first);
    assert_true(last * 4 < first * 3);
}

static void
test_append_ahead(void **state)
{
    const char *dir = *state;
    enum { S_MODES = 4 };
    static const char *names[S_MODES] = {"none", "first", "race", "idle"};
    store_t *s[S_MODES];
    store_head_t head[S_MODES];
    th_keys_t k;
    th_batch_t b;
    size_t bad;
    th_keys(1, &k);
    for (int m = 0; m < S_MODES; m++)
        s[m] = s_ahead_store(dir, names[m], &k, m);

    /* A small append first (below any helper's minimum: modes 1 to 3
     * take 1), then the large one: the same bytes in all four. */
    for (int m = 0; m < S_MODES; m++) {
        assert_int_equal(
            th_append_puts(s[m], TH_AUTHOR, &k, "p", 1, 3, 5, &head[m]),
            VOCFED_OK);
        s_ahead_batch(&b);
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, th_batch_recs(&b),
                                      b.n, TH_TIME_MS + 9, &head[m], &bad),
                         VOCFED_OK);
        th_batch_release(&b);
        assert_int_equal(head[m].size, 3 + S_AHEAD_N);
        s_check_head(s[m], &head[m]);
    }
    assert_int_equal(store_test_enc_taken(s[0]), 0);
    /* The tree's blocks of 16 (leaves 16 .. 3 + S_AHEAD_N - 1 hold
     * (3 + S_AHEAD_N) / 16 - 1 whole ones): from the helper's leaves in
     * mode 1, none without it. */
    assert_int_equal(store_test_blocks_whole(s[0]), 0);
    assert_int_equal(store_test_blocks_whole(s[1]), (3 + S_AHEAD_N) / 16 - 1);
    assert_true(store_test_blocks_whole(s[2]) <= (3 + S_AHEAD_N) / 16 - 1);
    assert_int_equal(store_test_blocks_whole(s[3]), 0);
    /* modes 1 and 3: every record of the large append, and each of the
     * three small ones (a group from 1 record), by the helper or claimed
     * by the append */
    assert_int_equal(store_test_enc_taken(s[1]), 3 + S_AHEAD_N);
    assert_true(store_test_enc_taken(s[2]) <= 3 + S_AHEAD_N);
    assert_int_equal(store_test_enc_taken(s[3]), 3 + S_AHEAD_N);
    for (int m = 1; m < S_MODES; m++)
        assert_memory_equal(head[m].root, head[0].root, PROTO_HASH_LEN);
    s_same_entries(s, S_MODES, 3 + S_AHEAD_N);

    /* Refusals, the same whoever encoded: a body that is not canonical
     * msgpack, a record without a key, a del of a record that is not
     * there, a record the hook's check refuses (which the helper runs
     * with its encoding); nothing of the batch lands. */
    static const uint8_t junk[] = {0x81, 0xc1, 0x01};
    struct {
        size_t at;
        int rc;
    } cases[] = {{2500, VOCFED_EINVALID},
                 {100, VOCFED_EINVALID},
                 {2999, VOCFED_ENOTFOUND},
                 {1500, VOCFED_EBADRECORD}};
    store_hook_t refuse = {.check = s_refuse_k1500};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int m = 0; m < S_MODES; m++) {
            s_ahead_batch(&b);
            store_record_t *r = (store_record_t *)th_batch_recs(&b);
            if (c == 0) {
                r[cases[c].at].body = junk;
                r[cases[c].at].body_len = sizeof junk;
            } else if (c == 1) {
                r[cases[c].at].key = NULL;
            } else if (c == 2) {
                r[cases[c].at].op = PROTO_OP_DEL;
                r[cases[c].at].key = "nobody";
                r[cases[c].at].body = NULL;
                r[cases[c].at].body_len = 0;
            } else {
                store_set_hook(s[m], &refuse);
            }
            bad = 0;
            uint64_t taken = store_test_enc_taken(s[m]);
            assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, r, b.n,
                                          TH_TIME_MS + 10, NULL, &bad),
                             cases[c].rc);
            th_batch_release(&b);
            store_set_hook(s[m], NULL);
            assert_int_equal(bad, cases[c].at);
            if (m == 1 || m == 3) /* what was encoded ahead was used up to
                                     the refusal */
                assert_int_equal(store_test_enc_taken(s[m]) - taken,
                                 cases[c].at);
            store_head_t now;
            assert_int_equal(store_head(s[m], TH_AUTHOR, &now), VOCFED_OK);
            assert_int_equal(now.size, head[m].size);
            assert_memory_equal(now.root, head[m].root, PROTO_HASH_LEN);
        }
    }
    /* The helper keeps one append's slots for the next: appends after the
     * large one (and the refused ones), of other keys and sizes, read
     * nothing left in them, and in mode 1 the helper makes every record
     * of each. The second starts on a block of 16 leaves, so its first
     * block is whole (made by the helper); the third starts inside a
     * block, for which the kept slots still hold the second's first
     * block: it must not be taken (store_i_fr_leaf checks a block's
     * first leaf, and the slots' blocks are cleared). */
    const size_t adds[] = {16 - (3 + S_AHEAD_N) % 16, S_AHEAD_N - 700,
                           S_AHEAD_N - 900};
    static const char *const prefixes[] = {"a", "q", "r"};
    uint64_t size = 3 + S_AHEAD_N, records = 3 + S_AHEAD_N - 2;
    for (size_t a = 0; a < 3; a++) {
        uint64_t taken = store_test_enc_taken(s[1]);
        uint64_t claimed = store_test_enc_taken(s[3]);
        for (int m = 0; m < S_MODES; m++) {
            assert_int_equal(th_append_puts(s[m], TH_AUTHOR, &k, prefixes[a], 1,
                                            adds[a], 41, &head[m]),
                             VOCFED_OK);
            assert_int_equal(head[m].size, size + adds[a]);
            s_check_head(s[m], &head[m]);
        }
        assert_int_equal(store_test_enc_taken(s[1]) - taken, adds[a]);
        assert_int_equal(store_test_enc_taken(s[3]) - claimed, adds[a]);
        size += adds[a];
        records += adds[a];
        for (int m = 1; m < S_MODES; m++)
            assert_memory_equal(head[m].root, head[0].root, PROTO_HASH_LEN);
    }
    assert_int_equal((3 + S_AHEAD_N + adds[0]) % 16, 0);
    assert_true((size - adds[2]) % 16 != 0);
    assert_int_equal(store_test_blocks_whole(s[3]), 0);
    /* Bodies the caller made with proto_body_encode (an import's), so
     * marked: not read again, and the same bytes, whoever encodes, as
     * the same records not so marked (mode 0). */
    for (int m = 0; m < S_MODES; m++) {
        s_ahead_batch(&b);
        store_record_t *r = (store_record_t *)th_batch_recs(&b);
        for (size_t i = 0; m && i < b.n; i++)
            r[i].body_made = r[i].op == PROTO_OP_PUT;
        assert_int_equal(store_append(s[m], TH_AUTHOR, k.sk, r, b.n,
                                      TH_TIME_MS + 11, &head[m], &bad),
                         VOCFED_OK);
        th_batch_release(&b);
    }
    size += S_AHEAD_N; /* the same keys again: no more records */
    for (int m = 1; m < S_MODES; m++)
        assert_memory_equal(head[m].root, head[0].root, PROTO_HASH_LEN);
    s_same_entries(s, S_MODES, size);
    for (int m = 0; m < S_MODES; m++) {
        s_verify_ok(s[m], size, records);
        store_destroy(&s[m]);
    }
}

int
main(void)
{
#define S_T(f) cmocka_unit_test_setup_teardown(f, th_dir_setup, th_dir_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_open),
        S_T(test_format_version),
        S_T(test_authors),
        S_T(test_author_rename),
        S_T(test_append),
        S_T(test_append_ahead),
        S_T(test_append_next),
        S_T(test_own_log_last),
        S_T(test_proofs),
        S_T(test_map_growth),
        S_T(test_two_writers),
        S_T(test_derived_required),
        S_T(test_checkpoint_time_never_back),
    };
#undef S_T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
