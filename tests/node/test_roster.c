/* Tests of node/roster.c (the coordinator's member_key log) and
 * node/config.c (DIR/vocfed.cfg). */
#include "node/config.h"
#include "node/identity.h"
#include "node/roster.h"
#include "storage/verify.h"

#include "../storage/helpers.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_COORD "coord"

/* Per-test state: a folder with a store whose author S_COORD holds
 * keys[0]; keys[1..] are members' keys. */
typedef struct {
    char dir[64];      /* th_tmpdir folder */
    store_t *store;    /* open store */
    th_keys_t keys[5]; /* fixed key pairs */
} s_state_t;

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    th_tmpdir(st->dir);
    for (int i = 0; i < 5; i++)
        th_keys((uint8_t)(0x10 + i), &st->keys[i]);
    st->store = th_open(st->dir, true, 0, NULL);
    if (!st->store || store_author_add(st->store, S_COORD, st->keys[0].pk))
        return -1;
    *state = st;
    return 0;
}

static int
s_teardown(void **state)
{
    s_state_t *st = *state;
    store_destroy(&st->store);
    th_rmdir(st->dir);
    free(st);
    return 0;
}

/* The coordinator log's size. */
static uint64_t
s_size(store_t *s)
{
    store_head_t h;
    assert_int_equal(store_head(s, S_COORD, &h), 0);
    return h.size;
}

/* The whole store verifies. */
static void
s_verify_ok(store_t *s)
{
    store_verify_result_t res;
    int rc = store_verify(s, NULL, &res, NULL, NULL);
    if (rc)
        print_error("verify: %s seq=%llu %s\n", res.author,
                    (unsigned long long)res.seq, res.what);
    assert_int_equal(rc, 0);
}

static const node_member_t *
s_load_find(store_t *s, node_roster_t *r, const char *id)
{
    assert_int_equal(node_roster_load(s, S_COORD, r), 0);
    return node_roster_find(r, id);
}

/* Appends a raw member_key put of id with the given string fields
 * (name, value pairs, NULL-terminated), bypassing node_roster_add. */
static int
s_raw_put(s_state_t *st, const char *id, ...)
{
    proto_field_t f[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, id);
    for (const char *name; (name = va_arg(ap, const char *)) != NULL; n++) {
        const char *value = va_arg(ap, const char *);
        assert_true(n < 8);
        f[n].name = name;
        f[n].name_len = strlen(name);
        f[n].value.type = PROTO_VAL_STR;
        f[n].value.s = value;
        f[n].value.slen = strlen(value);
    }
    va_end(ap);
    proto_buf_t body;
    proto_buf_init(&body);
    assert_int_equal(proto_body_encode(f, n, &body), 0);
    store_record_t rec = {.op = PROTO_OP_PUT,
                          .kind = NODE_ROSTER_KIND,
                          .key = id,
                          .body = body.data,
                          .body_len = body.len};
    int rc = store_append(st->store, S_COORD, st->keys[0].sk, &rec, 1, 0, NULL,
                          NULL);
    proto_buf_release(&body);
    return rc;
}

static void
s_raw_del(s_state_t *st, const char *id)
{
    store_record_t rec = {
        .op = PROTO_OP_DEL, .kind = NODE_ROSTER_KIND, .key = id};
    assert_int_equal(store_append(st->store, S_COORD, st->keys[0].sk, &rec, 1,
                                  0, NULL, NULL),
                     0);
}

/* ---- roster ---------------------------------------------------------- */

static void
test_add_list(void **state)
{
    s_state_t *st = *state;
    node_roster_t r;
    uint8_t known[PROTO_PUBKEY_LEN], curve[PROTO_PUBKEY_LEN];

    /* An empty roster. */
    assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
    assert_int_equal(r.count, 0);
    assert_null(node_roster_find(&r, "aqvtc"));
    node_roster_release(&r);

    /* Added out of order; listed by id. */
    assert_int_equal(node_roster_add(st->store, S_COORD, st->keys[0].sk,
                                     "zzschool", st->keys[1].pk, "", ""),
                     0);
    assert_int_equal(node_roster_add(st->store, S_COORD, st->keys[0].sk,
                                     "aqvtc", st->keys[2].pk,
                                     "安庆职业技术学院", "lead"),
                     0);
    assert_int_equal(node_roster_add(st->store, S_COORD, st->keys[0].sk, "m.3",
                                     st->keys[3].pk, NULL, NULL),
                     0);
    assert_int_equal(s_size(st->store), 3);

    assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
    assert_int_equal(r.count, 3);
    /* The X25519 forms come when asked for. */
    const uint8_t zero[PROTO_PUBKEY_LEN] = {0};
    for (size_t i = 0; i < 3; i++)
        assert_memory_equal(r.members[i].curve_pk, zero, PROTO_PUBKEY_LEN);
    assert_int_equal(node_roster_curves(&r), 0);
    assert_string_equal(r.members[0].id, "aqvtc");
    assert_string_equal(r.members[1].id, "m.3");
    assert_string_equal(r.members[2].id, "zzschool");
    const int key_of[3] = {2, 3, 1};
    const uint64_t seq_of[3] = {2, 3, 1};
    for (size_t i = 0; i < 3; i++) {
        const node_member_t *m = &r.members[i];
        const uint8_t *pk = st->keys[key_of[i]].pk;
        assert_memory_equal(m->pk, pk, PROTO_PUBKEY_LEN);
        assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(curve, pk), 0);
        assert_memory_equal(m->curve_pk, curve, PROTO_PUBKEY_LEN);
        assert_int_equal(m->status, NODE_MEMBER_ACTIVE);
        assert_int_equal(m->seq, seq_of[i]);
        assert_ptr_equal(node_roster_find(&r, m->id), m);
        assert_ptr_equal(node_roster_find_curve(&r, curve), m);
        /* Registered as an author with its key. */
        assert_int_equal(store_author_key(st->store, m->id, known), 0);
        assert_memory_equal(known, pk, PROTO_PUBKEY_LEN);
    }
    assert_string_equal(r.members[0].name, "安庆职业技术学院");
    assert_string_equal(r.members[0].role, "lead");
    assert_string_equal(r.members[1].name, "");
    assert_string_equal(r.members[2].role, "");
    assert_null(node_roster_find(&r, "nobody"));
    assert_null(node_roster_find(&r, "aqvtc0"));
    assert_int_equal(
        crypto_sign_ed25519_pk_to_curve25519(curve, st->keys[4].pk), 0);
    assert_null(node_roster_find_curve(&r, curve));
    /* The Ed25519 key is not the CURVE key. */
    assert_null(node_roster_find_curve(&r, st->keys[2].pk));
    /* Two entries with one X25519 key (as a roster written before the
     * add refused that could hold): the key admits neither. */
    assert_int_equal(
        crypto_sign_ed25519_pk_to_curve25519(curve, st->keys[1].pk), 0);
    node_member_t keep = r.members[0];
    memcpy(r.members[0].curve_pk, curve, PROTO_PUBKEY_LEN);
    assert_null(node_roster_find_curve(&r, curve));
    r.members[0] = keep;
    assert_non_null(node_roster_find_curve(&r, curve));
    node_roster_release(&r);
    assert_null(r.members);
    assert_int_equal(r.count, 0);
    node_roster_release(&r); /* twice is fine */

    /* The body as roster.h states it. */
    proto_buf_t e;
    proto_entry_t ent;
    proto_value_t v;
    uint64_t seq;
    char hex[65];
    proto_buf_init(&e);
    assert_int_equal(store_record_get(st->store, S_COORD, NODE_ROSTER_KIND,
                                      "aqvtc", &e, &seq),
                     0);
    assert_int_equal(proto_entry_decode(e.data, e.len, &ent), 0);
    proto_hex(st->keys[2].pk, 32, hex);
    assert_int_equal(proto_body_get(ent.body, ent.body_len, "pubkey", &v), 0);
    assert_int_equal(v.type, PROTO_VAL_STR);
    assert_int_equal(v.slen, 64);
    assert_memory_equal(v.s, hex, 64);
    assert_int_equal(proto_body_get(ent.body, ent.body_len, "status", &v), 0);
    assert_int_equal(v.slen, 6);
    assert_memory_equal(v.s, "active", 6);
    proto_buf_release(&e);

    /* The roster log is an ordinary signed log. */
    s_verify_ok(st->store);

    /* Another store's load of an unknown coordinator. */
    assert_int_equal(node_roster_load(st->store, "nobody", &r),
                     VOCFED_ENOTFOUND);
    assert_null(r.members);
    assert_int_equal(node_roster_load(st->store, "Bad!", &r), VOCFED_EINVALID);
}

static void
test_duplicates(void **state)
{
    s_state_t *st = *state;
    const uint8_t *sk = st->keys[0].sk;
    node_roster_t r;
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "a", st->keys[1].pk, "A", ""),
        0);
    /* The same id again, with the same or another key. */
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "a", st->keys[1].pk, "A", ""),
        VOCFED_EEXISTS);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "a", st->keys[2].pk, "A", ""),
        VOCFED_EEXISTS);
    /* The same key under another id, and the coordinator's own key. */
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "b", st->keys[1].pk, "", ""),
        VOCFED_EEXISTS);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "b", st->keys[0].pk, "", ""),
        VOCFED_EEXISTS);
    /* A key's negation (byte 31's sign bit flipped) is another Ed25519
     * key with the same X25519 form: CURVE could not tell the two apart
     * (issue 10). Taken too, for a member's key and the coordinator's. */
    uint8_t neg[PROTO_PUBKEY_LEN], c1[PROTO_PUBKEY_LEN], c2[PROTO_PUBKEY_LEN];
    for (int k = 1; k >= 0; k--) {
        memcpy(neg, st->keys[k].pk, sizeof neg);
        neg[31] ^= 0x80;
        assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(c1, neg), 0);
        assert_int_equal(
            crypto_sign_ed25519_pk_to_curve25519(c2, st->keys[k].pk), 0);
        assert_memory_equal(c1, c2, PROTO_PUBKEY_LEN);
        assert_int_equal(
            node_roster_add(st->store, S_COORD, sk, "b", neg, "", ""),
            VOCFED_EEXISTS);
    }
    assert_int_equal(s_size(st->store), 1);
    uint8_t known[PROTO_PUBKEY_LEN];
    assert_int_equal(store_author_key(st->store, "b", known), VOCFED_ENOTFOUND);

    /* An id the store knows with another key (a replicated log). */
    assert_int_equal(store_author_add(st->store, "c", st->keys[3].pk), 0);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "c", st->keys[4].pk, "", ""),
        VOCFED_EEXISTS);
    assert_int_equal(s_size(st->store), 1);
    /* ... and with the same key: it joins the roster. */
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "c", st->keys[3].pk, "", ""),
        0);

    /* A revoked member's key stays taken. */
    assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "a",
                                            NODE_MEMBER_REVOKED),
                     0);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "d", st->keys[1].pk, "", ""),
        VOCFED_EEXISTS);
    assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
    assert_int_equal(r.count, 2);
    node_roster_release(&r);
    s_verify_ok(st->store);
}

static void
test_status(void **state)
{
    s_state_t *st = *state;
    const uint8_t *sk = st->keys[0].sk;
    node_roster_t r;
    const node_member_t *m;
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "aqvtc",
                                     st->keys[1].pk, "N", "school"),
                     0);
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "other",
                                     st->keys[2].pk, "O", ""),
                     0);

    assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "aqvtc",
                                            NODE_MEMBER_SUSPENDED),
                     0);
    m = s_load_find(st->store, &r, "aqvtc");
    assert_non_null(m);
    assert_int_equal(m->status, NODE_MEMBER_SUSPENDED);
    assert_int_equal(m->seq, 3);
    /* The rest of the body is kept. */
    assert_memory_equal(m->pk, st->keys[1].pk, PROTO_PUBKEY_LEN);
    assert_string_equal(m->name, "N");
    assert_string_equal(m->role, "school");
    assert_int_equal(node_roster_find(&r, "other")->status, NODE_MEMBER_ACTIVE);
    node_roster_release(&r);

    /* Unchanged: no entry. */
    assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "aqvtc",
                                            NODE_MEMBER_SUSPENDED),
                     0);
    assert_int_equal(s_size(st->store), 3);

    /* Suspended may come back. */
    assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "aqvtc",
                                            NODE_MEMBER_ACTIVE),
                     0);
    m = s_load_find(st->store, &r, "aqvtc");
    assert_int_equal(m->status, NODE_MEMBER_ACTIVE);
    assert_int_equal(m->seq, 4);
    node_roster_release(&r);

    /* Revoked is final. */
    assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "aqvtc",
                                            NODE_MEMBER_REVOKED),
                     0);
    for (int s = 0; s < 3; s++)
        assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "aqvtc",
                                                (node_member_status_t)s),
                         VOCFED_EINVALID);
    assert_int_equal(s_size(st->store), 5);
    m = s_load_find(st->store, &r, "aqvtc");
    assert_int_equal(m->status, NODE_MEMBER_REVOKED);
    assert_int_equal(m->seq, 5);
    assert_string_equal(m->name, "N");
    node_roster_release(&r);
    /* Revoked cannot be added back either. */
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "aqvtc",
                                     st->keys[1].pk, "N", "school"),
                     VOCFED_EEXISTS);

    /* Unknown member, bad status, bad id. */
    assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "nobody",
                                            NODE_MEMBER_SUSPENDED),
                     VOCFED_ENOTFOUND);
    assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "other",
                                            (node_member_status_t)3),
                     VOCFED_EINVALID);
    assert_int_equal(node_roster_set_status(st->store, S_COORD, sk, "Other",
                                            NODE_MEMBER_SUSPENDED),
                     VOCFED_EINVALID);
    assert_int_equal(s_size(st->store), 5);

    assert_string_equal(node_member_status_name(NODE_MEMBER_ACTIVE), "active");
    assert_string_equal(node_member_status_name(NODE_MEMBER_SUSPENDED),
                        "suspended");
    assert_string_equal(node_member_status_name(NODE_MEMBER_REVOKED),
                        "revoked");
    assert_string_equal(node_member_status_name((node_member_status_t)7),
                        "unknown");
    s_verify_ok(st->store);
}

/* Bad arguments write nothing and register nothing. */
static void
test_bad_args(void **state)
{
    s_state_t *st = *state;
    const uint8_t *sk = st->keys[0].sk;
    uint8_t bad[PROTO_PUBKEY_LEN], known[PROTO_PUBKEY_LEN];
    char long_name[NODE_NAME_MAX + 2];

    /* Not valid Ed25519 points: zero (small order), the identity, a
     * y that is not on the curve, a non-canonical encoding. */
    static const uint8_t identity[32] = {1};
    memset(bad, 0, sizeof bad);
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "m", bad, "", ""),
                     VOCFED_EINVALID);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "m", identity, "", ""),
        VOCFED_EINVALID);
    memset(bad, 0xff, sizeof bad);
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "m", bad, "", ""),
                     VOCFED_EINVALID);
    int off_curve = 0;
    for (uint8_t b = 2; b < 40; b++) {
        uint8_t c[PROTO_PUBKEY_LEN];
        memset(bad, 0, sizeof bad);
        bad[0] = b;
        if (crypto_sign_ed25519_pk_to_curve25519(c, bad) == 0)
            continue;
        off_curve++;
        assert_int_equal(
            node_roster_add(st->store, S_COORD, sk, "m", bad, "", ""),
            VOCFED_EINVALID);
    }
    assert_true(off_curve > 0);

    /* Bad ids, the coordinator itself, bad names and roles. */
    const uint8_t *pk = st->keys[1].pk;
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "", pk, "", ""),
                     VOCFED_EINVALID);
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "Up", pk, "", ""),
                     VOCFED_EINVALID);
    assert_int_equal(node_roster_add(st->store, S_COORD, sk,
                                     "0123456789abcdef0123456789abcdef0", pk,
                                     "", ""),
                     VOCFED_EINVALID);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, S_COORD, pk, "", ""),
        VOCFED_EINVALID);
    assert_int_equal(node_roster_add(st->store, "Bad", sk, "m", pk, "", ""),
                     VOCFED_EINVALID);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "m", pk, "tab\there", ""),
        VOCFED_EINVALID);
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "m", pk, long_name, ""),
        VOCFED_EINVALID);
    long_name[NODE_NAME_MAX] = '\0'; /* exactly the cap: fine */
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "m", pk, "", "School"),
        VOCFED_EINVALID);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "m", pk, "", "a b"),
        VOCFED_EINVALID);
    assert_int_equal(s_size(st->store), 0);
    assert_int_equal(store_author_key(st->store, "m", known), VOCFED_ENOTFOUND);

    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "m", pk, long_name, "school"),
        0);
    node_roster_t r;
    const node_member_t *m = s_load_find(st->store, &r, "m");
    assert_non_null(m);
    assert_int_equal(strlen(m->name), NODE_NAME_MAX);
    node_roster_release(&r);
}

/* An add that stopped between its two writes, either way round: running
 * it again finishes it; anything else fails clearly. */
static void
test_half_done(void **state)
{
    s_state_t *st = *state;
    const uint8_t *sk = st->keys[0].sk;
    uint8_t known[PROTO_PUBKEY_LEN];
    char hex[65];
    node_roster_t r;

    /* The entry written, the registration not. */
    proto_hex(st->keys[1].pk, 32, hex);
    assert_int_equal(s_raw_put(st, "m1", "name", "One", "pubkey", hex, "role",
                               "school", "status", "active", NULL),
                     0);
    assert_int_equal(store_author_key(st->store, "m1", known),
                     VOCFED_ENOTFOUND);
    /* Another key is not this add: refused, nothing registered. */
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "m1",
                                     st->keys[2].pk, "One", "school"),
                     VOCFED_EEXISTS);
    assert_int_equal(store_author_key(st->store, "m1", known),
                     VOCFED_ENOTFOUND);
    /* The same add: completes, no second entry. */
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "m1",
                                     st->keys[1].pk, "One", "school"),
                     0);
    assert_int_equal(store_author_key(st->store, "m1", known), 0);
    assert_memory_equal(known, st->keys[1].pk, PROTO_PUBKEY_LEN);
    assert_int_equal(s_size(st->store), 1);
    /* Now it is whole: a third run is a duplicate. */
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "m1",
                                     st->keys[1].pk, "One", "school"),
                     VOCFED_EEXISTS);

    /* With another name the registration is still completed (the roster
     * is the truth), but the call is not that add. */
    proto_hex(st->keys[3].pk, 32, hex);
    assert_int_equal(s_raw_put(st, "m2", "name", "Two", "pubkey", hex, "status",
                               "active", NULL),
                     0);
    assert_int_equal(node_roster_add(st->store, S_COORD, sk, "m2",
                                     st->keys[3].pk, "Other", ""),
                     VOCFED_EEXISTS);
    assert_int_equal(store_author_key(st->store, "m2", known), 0);

    /* The registration written, the entry not: the same add succeeds. */
    assert_int_equal(store_author_add(st->store, "m3", st->keys[4].pk), 0);
    assert_int_equal(
        node_roster_add(st->store, S_COORD, sk, "m3", st->keys[4].pk, "", ""),
        0);
    const node_member_t *m = s_load_find(st->store, &r, "m3");
    assert_non_null(m);
    assert_int_equal(m->status, NODE_MEMBER_ACTIVE);
    assert_int_equal(r.count, 3);
    node_roster_release(&r);
    s_verify_ok(st->store);
}

/* A member_key record that is not what roster.h states (written behind
 * the roster's back, e.g. with 'vocfed put') fails the load, never
 * silently drops a member. */
static void
test_bad_records(void **state)
{
    s_state_t *st = *state;
    char good[65], upper[65], short_hex[65], off_curve[65];
    node_roster_t r;
    proto_hex(st->keys[1].pk, 32, good);
    memcpy(upper, good, sizeof good);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_string_not_equal(upper, good);
    memcpy(short_hex, good, sizeof good);
    short_hex[62] = '\0';
    memset(off_curve, '0', 64);
    off_curve[64] = '\0';

    assert_int_equal(
        s_raw_put(st, "ok", "pubkey", good, "status", "active", NULL), 0);
    assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.members[0].name, ""); /* optional */
    node_roster_release(&r);

    struct {
        const char *f[8]; /* fields, NULL-terminated */
    } cases[] = {
        {{"status", "active", NULL}},
        {{"pubkey", good, NULL}},
        {{"pubkey", upper, "status", "active", NULL}},
        {{"pubkey", short_hex, "status", "active", NULL}},
        {{"pubkey", good, "status", "Active", NULL}},
        {{"pubkey", good, "status", "gone", NULL}},
        {{"name", "bell\a", "pubkey", good, "status", "active", NULL}},
        {{"pubkey", good, "role", "Bad Role", "status", "active", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const *f = cases[i].f;
        assert_int_equal(s_raw_put(st, "bad", f[0], f[1], f[2], f[3], f[4],
                                   f[5], f[6], f[7]),
                         0);
        assert_int_equal(node_roster_load(st->store, S_COORD, &r),
                         VOCFED_EMALFORMED);
        assert_null(r.members);
        assert_int_equal(r.count, 0);
        s_raw_del(st, "bad");
        assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
        assert_int_equal(r.count, 1);
        node_roster_release(&r);
    }

    /* A key that is not a point: the roster reads (its statuses stand),
     * its X25519 forms do not. */
    assert_int_equal(
        s_raw_put(st, "bad", "pubkey", off_curve, "status", "active", NULL), 0);
    assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
    assert_int_equal(r.count, 2);
    assert_int_equal(node_roster_curves(&r), VOCFED_EMALFORMED);
    node_roster_release(&r);
    s_raw_del(st, "bad");
    assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
    assert_int_equal(node_roster_curves(&r), 0);
    node_roster_release(&r);

    /* A key that is not a member id. */
    assert_int_equal(
        s_raw_put(st, "Not An Id", "pubkey", good, "status", "active", NULL),
        0);
    assert_int_equal(node_roster_load(st->store, S_COORD, &r),
                     VOCFED_EMALFORMED);
    s_raw_del(st, "Not An Id");

    /* A body field of another type. */
    proto_field_t f[2] = {
        {"pubkey", 6, {.type = PROTO_VAL_INT, .i = 7}},
        {"status", 6, {.type = PROTO_VAL_STR, .s = "active", .slen = 6}},
    };
    proto_buf_t body;
    proto_buf_init(&body);
    assert_int_equal(proto_body_encode(f, 2, &body), 0);
    store_record_t rec = {.op = PROTO_OP_PUT,
                          .kind = NODE_ROSTER_KIND,
                          .key = "int",
                          .body = body.data,
                          .body_len = body.len};
    assert_int_equal(store_append(st->store, S_COORD, st->keys[0].sk, &rec, 1,
                                  0, NULL, NULL),
                     0);
    proto_buf_release(&body);
    assert_int_equal(node_roster_load(st->store, S_COORD, &r),
                     VOCFED_EMALFORMED);
    s_raw_del(st, "int");
    assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
    node_roster_release(&r);

    /* Bytes changed on disk under the index: the entry is not the one
     * the index points at. */
    assert_int_equal(node_roster_add(st->store, S_COORD, st->keys[0].sk, "m",
                                     st->keys[2].pk, "", ""),
                     0);
    proto_hex(st->keys[3].pk, 32, good);
    assert_int_equal(
        s_raw_put(st, "x", "pubkey", good, "status", "active", NULL), 0);
    assert_int_equal(node_roster_load(st->store, S_COORD, &r), 0);
    assert_int_equal(r.count, 3);
    node_roster_release(&r);
    proto_buf_t e;
    proto_buf_init(&e);
    uint64_t seq_other;
    assert_int_equal(store_record_get(st->store, S_COORD, NODE_ROSTER_KIND, "m",
                                      &e, &seq_other),
                     0);
    /* Point "x" at m's entry. */
    uint8_t seq_be[8];
    for (int i = 0; i < 8; i++)
        seq_be[i] = (uint8_t)(seq_other >> (56 - 8 * i));
    assert_int_equal(store_raw_put(st->store, STORE_RAW_RECORD, S_COORD, 0,
                                   NODE_ROSTER_KIND "\0x",
                                   sizeof NODE_ROSTER_KIND + 1, seq_be, 8),
                     0);
    assert_int_equal(node_roster_load(st->store, S_COORD, &r), VOCFED_ECORRUPT);
    proto_buf_release(&e);
}

/* ---- config ---------------------------------------------------------- */

static void
s_write(const char *dir, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, NODE_CONFIG_FILE);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static bool
s_cfg_empty(const node_config_t *c)
{
    return !c->coordinator[0] && !c->coordinator_key[0] &&
           !c->coordinator_id[0] && !c->listen[0];
}

static void
test_config(void **state)
{
    s_state_t *st = *state;
    node_config_t a, b;
    char path[128];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", st->dir, NODE_CONFIG_FILE);

    /* No file: all unset. */
    memset(&b, 'x', sizeof b);
    assert_int_equal(node_config_load(st->dir, &b), 0);
    assert_true(s_cfg_empty(&b));

    /* Round trip. */
    memset(&a, 0, sizeof a);
    snprintf(a.coordinator, sizeof a.coordinator, "tcp://192.0.2.7:7700");
    proto_hex(st->keys[0].pk, 32, a.coordinator_key);
    snprintf(a.coordinator_id, sizeof a.coordinator_id, "coord");
    snprintf(a.listen, sizeof a.listen, "tcp://0.0.0.0:7701");
    assert_true(node_config_valid(&a, NULL));
    assert_int_equal(node_config_save(st->dir, &a), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(node_config_load(st->dir, &b), 0);
    assert_memory_equal(&a, &b, sizeof a);

    /* No temporary file is left behind. */
    DIR *d = opendir(st->dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        assert_true(strncmp(e->d_name, NODE_CONFIG_FILE ".",
                            sizeof NODE_CONFIG_FILE) != 0);
    closedir(d);

    /* Saving again replaces it; "" values are left out. */
    memset(&a, 0, sizeof a);
    snprintf(a.listen, sizeof a.listen, "tcp://*:7700");
    assert_int_equal(node_config_save(st->dir, &a), 0);
    assert_int_equal(node_config_load(st->dir, &b), 0);
    assert_memory_equal(&a, &b, sizeof a);
    size_t text_len;
    char *saved = (char *)th_read_file(path, &text_len);
    assert_non_null(saved);
    saved[text_len] = '\0';
    assert_non_null(strstr(saved, "listen = \"tcp://*:7700\""));
    assert_null(strstr(saved, "coordinator"));
    free(saved);
    memset(&a, 0, sizeof a);
    assert_int_equal(node_config_save(st->dir, &a), 0);
    assert_int_equal(node_config_load(st->dir, &b), 0);
    assert_true(s_cfg_empty(&b));

    /* Written by hand: comments, an upper-case key, other sections. */
    char text[512], upper[65];
    proto_hex(st->keys[1].pk, 32, upper);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    snprintf(text, sizeof text,
             "# mine\nnode\n    coordinator = \"tcp://x:1\"\n"
             "    coordinator_key = \"%s\"\nother\n    thing = 1\n",
             upper);
    s_write(st->dir, text);
    assert_int_equal(node_config_load(st->dir, &b), 0);
    assert_string_equal(b.coordinator, "tcp://x:1");
    char lower[65];
    proto_hex(st->keys[1].pk, 32, lower);
    assert_string_equal(b.coordinator_key, lower);
    assert_string_equal(b.coordinator_id, "");

    /* Bad values in the file. */
    char long_ep[NODE_ENDPOINT_MAX + 64];
    memset(long_ep, 0, sizeof long_ep);
    memcpy(long_ep, "tcp://", 6);
    memset(long_ep + 6, 'h', NODE_ENDPOINT_MAX - 6); /* one too many */
    const char *bad_lines[] = {
        "    coordinator_key = \"abcd\"",
        "    coordinator_key = "
        "\"gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\"",
        "    coordinator = \"localhost:7700\"",
        "    coordinator = \"ipc:///tmp/x\"",
        "    coordinator = \"tcp://x:80000\"",
        "    listen = \"tcp://x:0\"",
        "    coordinator = \"tcp://a b\"",
        "    coordinator = \"tcp://\"",
        "    coordinator = \"://x\"",
        "    listen = \"tcp://x$y\"",
        "    coordinator_id = \"Coord\"",
        NULL, /* the long endpoint */
    };
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        if (bad_lines[i])
            snprintf(text, sizeof text, "node\n%s\n", bad_lines[i]);
        else
            snprintf(text, sizeof text, "node\n    listen = \"%s\"\n", long_ep);
        s_write(st->dir, text);
        memset(&b, 'x', sizeof b);
        assert_int_equal(node_config_load(st->dir, &b), VOCFED_EMALFORMED);
        assert_true(s_cfg_empty(&b));
    }
    /* The longest endpoint that fits. */
    long_ep[NODE_ENDPOINT_MAX - 1] = '\0';
    memcpy(long_ep + NODE_ENDPOINT_MAX - 6, ":7700", 5);
    snprintf(text, sizeof text, "node\n    listen = \"%s\"\n", long_ep);
    s_write(st->dir, text);
    assert_int_equal(node_config_load(st->dir, &b), 0);
    assert_int_equal(strlen(b.listen), NODE_ENDPOINT_MAX - 1);

    /* Not ZPL. */
    s_write(st->dir, "node\n    coordinator = \"x\n");
    assert_int_equal(node_config_load(st->dir, &b), VOCFED_EMALFORMED);
    s_write(st->dir, "node\n\tcoordinator = \"tcp://x:1\"\n");
    assert_int_equal(node_config_load(st->dir, &b), VOCFED_EMALFORMED);

    /* A NUL byte (what follows it would go unread), a file too large
     * for a few settings. */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(
        fwrite("node\n    listen = \"tcp://x:1\"\n\0junk", 1, 34, f), 34);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(node_config_load(st->dir, &b), VOCFED_EMALFORMED);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("node\n    listen = \"tcp://x:1\"\n", f);
    for (int i = 0; i < 70000; i++)
        fputc('#', f);
    fputc('\n', f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(node_config_load(st->dir, &b), VOCFED_EMALFORMED);

    /* Saving bad values is refused and leaves the file as it was. */
    memset(&a, 0, sizeof a);
    snprintf(a.listen, sizeof a.listen, "tcp://ok:1");
    assert_int_equal(node_config_save(st->dir, &a), 0);
    size_t before_len, after_len;
    uint8_t *before = th_read_file(path, &before_len);
    assert_non_null(before);
    const char *bad;
    node_config_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.coordinator_key, sizeof c.coordinator_key, "%064d", 0);
    c.coordinator_key[10] = 'z';
    assert_false(node_config_valid(&c, &bad));
    assert_string_equal(bad, "coordinator_key");
    assert_int_equal(node_config_save(st->dir, &c), VOCFED_EINVALID);
    memset(&c, 0, sizeof c);
    snprintf(c.coordinator, sizeof c.coordinator, "nowhere");
    assert_false(node_config_valid(&c, &bad));
    assert_string_equal(bad, "coordinator");
    assert_int_equal(node_config_save(st->dir, &c), VOCFED_EINVALID);
    memset(&c, 0, sizeof c);
    snprintf(c.coordinator_id, sizeof c.coordinator_id, "-x");
    assert_false(node_config_valid(&c, &bad));
    assert_string_equal(bad, "coordinator_id");
    memset(&c, 0, sizeof c);
    snprintf(c.listen, sizeof c.listen, "tcp://\"x\"");
    assert_false(node_config_valid(&c, &bad));
    assert_string_equal(bad, "listen");
    assert_int_equal(node_config_save(st->dir, &c), VOCFED_EINVALID);
    uint8_t *after = th_read_file(path, &after_len);
    assert_non_null(after);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    free(before);
    free(after);

    /* The environment: no folder, a folder where the file should be. */
    char gone[128];
    snprintf(gone, sizeof gone, "%s/missing", st->dir);
    assert_int_equal(node_config_save(gone, &a), -ENOENT);
    assert_int_equal(node_config_load(gone, &b), 0);     /* nothing there */
    snprintf(gone, sizeof gone, "%s/data.mdb", st->dir); /* not a folder */
    assert_int_equal(node_config_load(gone, &b), -ENOTDIR);
    assert_int_equal(node_config_save(gone, &a), -ENOTDIR);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_true(node_config_load(st->dir, &b) < 0);
    /* The rename over a folder fails: the temporary file goes too. */
    assert_true(node_config_save(st->dir, &a) < 0);
    assert_int_equal(rmdir(path), 0);
    d = opendir(st->dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        assert_true(strncmp(e->d_name, NODE_CONFIG_FILE,
                            sizeof NODE_CONFIG_FILE - 1) != 0);
    closedir(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_list, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_status, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_half_done, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_records, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_config, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
