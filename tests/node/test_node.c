/* Tests of node/node.c: opening a node (the store with the figures
 * attached, the identity, the coordinator, the key) and node_append's
 * kind and role rules. The stores are made by the vocfed binary. */
#include "node/config.h"
#include "node/meta.h"
#include "node/node.h"
#include "protocol/kinds.h"

#include "../harness.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

/* A training record of this year: a member's kind. */
static void
s_training(proto_buf_t *body, store_record_t *rec, const char *kind)
{
    const char *names[] = {"type", "year", "completed"};
    const char *values[] = {"upskilling", "2025", "20"};
    proto_kind_error_t err;
    proto_buf_init(body);
    assert_int_equal(proto_kind_body(proto_kind_find("training"), names, values,
                                     3, body, &err),
                     0);
    *rec = (store_record_t){PROTO_OP_PUT, kind,      "t-1",
                            body->data,   body->len, false};
}

static uint64_t
s_size(node_t *n, const char *author)
{
    store_head_t h;
    assert_int_equal(store_head(node_store(n), author, &h), 0);
    return h.size;
}

/* The coordinator: its own id is the coordinator's; it may not write a
 * member's kind; without its key nothing is written. */
static void
test_coordinator(void **state)
{
    (void)state;
    th_net_t net;
    th_net_init(&net);
    node_t *n = NULL;
    assert_int_equal(node_open(net.coord.dir, NODE_OPEN_IDENTITY, &n), 0);
    assert_string_equal(node_id(n), "coord");
    assert_string_equal(node_role(n), NODE_ROLE_COORDINATOR);
    assert_string_equal(node_pubkey_hex(n), net.coord.pk);
    assert_true(node_is_coordinator(n));
    assert_string_equal(node_coordinator_id(n), "coord");
    assert_string_equal(node_coordinator_key(n), net.coord.pk);
    assert_null(node_sk(n));

    proto_buf_t body;
    store_record_t rec;
    size_t bad = 99;
    uint64_t size = s_size(n, "coord");
    s_training(&body, &rec, "training");
    /* No key loaded: refused. */
    assert_int_equal(node_append(n, &rec, 1, 0, NULL, &bad), VOCFED_EINVALID);
    assert_int_equal(node_key_load(n), 0);
    assert_non_null(node_sk(n));
    /* A member's kind at the coordinator: refused, nothing written. */
    assert_int_equal(node_append(n, &rec, 1, 0, NULL, &bad), VOCFED_EINVALID);
    assert_int_equal(bad, 0);
    /* An unknown kind: refused. */
    rec.kind = "no_such_kind";
    bad = 99;
    assert_int_equal(node_append(n, &rec, 1, 0, NULL, &bad), VOCFED_EINVALID);
    assert_int_equal(bad, 0);
    assert_int_equal(s_size(n, "coord"), size);
    proto_buf_release(&body);
    node_close(&n);
    assert_null(n);
    node_close(&n); /* accepts NULL */
    net.passed = true;
    th_net_release(&net);
}

/* A member: it writes its kinds, not the coordinator's; its coordinator
 * is found by the key its settings name. */
static void
test_member(void **state)
{
    (void)state;
    th_net_t net;
    th_net_init(&net);
    th_node_t *m = th_net_member(&net, "school1", false);
    node_t *n = NULL;
    assert_int_equal(node_open(m->dir, NODE_OPEN_KEY, &n), 0);
    assert_false(node_is_coordinator(n));
    assert_null(node_coordinator_id(n)); /* no NODE_OPEN_SETTINGS */
    assert_non_null(node_sk(n));

    proto_buf_t body;
    store_record_t recs[2];
    store_head_t head;
    size_t bad = 99;
    s_training(&body, &recs[0], "training");
    recs[1] = recs[0];
    recs[1].kind = "industry"; /* the coordinator's */
    assert_int_equal(node_append(n, recs, 2, 0, &head, &bad), VOCFED_EINVALID);
    assert_int_equal(bad, 1);
    assert_int_equal(s_size(n, "school1"), 0);
    /* A key not of its kind's form: a student's is a pseudo_id. */
    recs[1] = recs[0];
    recs[1].kind = "student";
    recs[1].key = "p1";
    bad = 99;
    assert_int_equal(node_append(n, recs, 2, 0, &head, &bad), VOCFED_EINVALID);
    assert_int_equal(bad, 1);
    assert_int_equal(s_size(n, "school1"), 0);
    assert_int_equal(node_append(n, recs, 1, 0, &head, NULL), 0);
    assert_int_equal(head.size, 1);
    proto_buf_release(&body);

    /* The coordinator's key in the settings, its log here: found. */
    uint8_t pk[PROTO_PUBKEY_LEN];
    assert_int_equal(proto_unhex(net.coord.pk, pk, sizeof pk), 0);
    assert_int_equal(store_author_add(node_store(n), "coord", pk), 0);
    node_close(&n);
    node_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.coordinator, sizeof cfg.coordinator, "%s", net.endpoint);
    snprintf(cfg.coordinator_key, sizeof cfg.coordinator_key, "%s",
             net.coord.pk);
    assert_int_equal(node_config_save(m->dir, &cfg), 0);
    assert_int_equal(
        node_open(m->dir, NODE_OPEN_IDENTITY | NODE_OPEN_SETTINGS, &n), 0);
    assert_string_equal(node_coordinator_id(n), "coord");
    assert_string_equal(node_coordinator_endpoint(n), net.endpoint);
    assert_string_equal(node_coordinator_key(n), net.coord.pk);
    /* Opened read-only: no write, even with the key. */
    node_close(&n);
    assert_int_equal(node_open(m->dir, NODE_OPEN_KEY | NODE_OPEN_READONLY, &n),
                     0);
    s_training(&body, &recs[0], "training");
    assert_int_equal(node_append(n, recs, 1, 0, NULL, NULL), VOCFED_EINVALID);
    proto_buf_release(&body);
    node_close(&n);
    net.passed = true;
    th_net_release(&net);
}

/* No store, or a store without an identity: which step failed. */
static void
test_missing(void **state)
{
    (void)state;
    char dir[64];
    th_tmpdir(dir);
    node_t *n = NULL;
    node_open_info_t info = {0};
    int rc = node_open_info(dir, NODE_OPEN_IDENTITY, &info, &n);
    assert_true(rc == VOCFED_ENOTFOUND || rc == -ENOENT);
    assert_int_equal(info.step, NODE_STEP_STORE);
    assert_null(n);
    /* Made, but init never wrote the identity. */
    assert_int_equal(node_open(dir, NODE_OPEN_CREATE, &n), 0);
    assert_null(node_id(n));
    assert_false(node_is_coordinator(n));
    assert_int_equal(node_key_load(n), VOCFED_EINVALID);
    node_close(&n);
    assert_int_equal(node_open_info(dir, NODE_OPEN_KEY, &info, &n),
                     VOCFED_ENOTFOUND);
    assert_int_equal(info.step, NODE_STEP_META);
    assert_string_equal(info.meta, NODE_META_ID);
    assert_null(n);
    th_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coordinator),
        cmocka_unit_test(test_member),
        cmocka_unit_test(test_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
