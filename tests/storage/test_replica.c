/* Tests of what storage/peers.c keeps about peers (SPEC 5.1, 10.5): the
 * state and abuse counters of a peer round-trip, a value written before
 * the abuse counters existed (33 bytes) reads with those counters at
 * zero, and a value of any other length is corruption, not a guess. */
#include "helpers.h"

#include "storage/replica.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
                      .bytes_in = 1ull << 40},
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
    assert_int_equal(store_peer_set(s, &p), VOCFED_OK);
    assert_int_equal(store_peer_get(s, "aqvtc", &q), VOCFED_OK);
    assert_int_equal(q.flooded, 600);
    assert_false(q.connected);
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

static void
test_peer_bad_length(void **state)
{
    const char *dir = *state;
    store_t *s;
    store_peer_t q;
    uint8_t v[40] = {0};
    assert_int_equal(store_open(dir, &s_create, &s), VOCFED_OK);
    store_destroy(&s);
    s_put_raw(dir, "odd", v, sizeof v);
    assert_int_equal(store_open(dir, NULL, &s), VOCFED_OK);
    assert_int_equal(store_peer_get(s, "odd", &q), VOCFED_ECORRUPT);
    int n = 0;
    assert_int_equal(store_scan_peers(s, s_count, &n), VOCFED_ECORRUPT);
    store_destroy(&s);
}

int
main(void)
{
#define S_T(f) cmocka_unit_test_setup_teardown(f, th_dir_setup, th_dir_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_peer_roundtrip),
        S_T(test_peer_old_format),
        S_T(test_peer_bad_length),
    };
#undef S_T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
