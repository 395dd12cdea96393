/* Tests of the one endpoint parser (node/endpoint.h) and of the settings
 * keys built on it (node_config_set, node_config_check). */
#include "node/config.h"
#include "node/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

/* Checks s is refused for use, with a reason that holds needle. */
static void
s_refused(const char *s, node_endpoint_use_t use, const char *needle)
{
    char why[256] = "";
    unsigned port = 4242;
    int rc = node_endpoint_check(s, use, &port, why, sizeof why);
    if (rc != VOCFED_EINVALID || !strstr(why, needle))
        print_error("'%s': rc %d, why '%s', wanted '%s'\n", s, rc, why, needle);
    assert_int_equal(rc, VOCFED_EINVALID);
    assert_non_null(strstr(why, needle));
    assert_int_equal(port, 4242); /* untouched */
}

static void
s_accepted(const char *s, node_endpoint_use_t use, unsigned want)
{
    char why[256] = "";
    unsigned port = 0;
    int rc = node_endpoint_check(s, use, &port, why, sizeof why);
    if (rc != 0)
        print_error("'%s' refused: %s\n", s, why);
    assert_int_equal(rc, 0);
    assert_int_equal(port, want);
}

static void
test_accepted(void **state)
{
    (void)state;
    s_accepted("tcp://127.0.0.1:7700", NODE_ENDPOINT_DIAL, 7700);
    s_accepted("tcp://127.0.0.1:1", NODE_ENDPOINT_DIAL, 1);
    s_accepted("tcp://127.0.0.1:65535", NODE_ENDPOINT_BIND, 65535);
    s_accepted("tcp://coord.example.org:7700", NODE_ENDPOINT_DIAL, 7700);
    s_accepted("tcp://my_host-2:7700", NODE_ENDPOINT_DIAL, 7700);
    s_accepted("tcp://0.0.0.0:7700", NODE_ENDPOINT_BIND, 7700);
    s_accepted("tcp://*:7700", NODE_ENDPOINT_BIND, 7700);
    s_accepted("tcp://h:07700", NODE_ENDPOINT_DIAL, 7700); /* leading 0 */
    /* port may be NULL, why too. */
    assert_int_equal(
        node_endpoint_check("tcp://h:1", NODE_ENDPOINT_DIAL, NULL, NULL, 0), 0);
}

static void
test_refused(void **state)
{
    (void)state;
    /* The two: a port over 65535 (ZeroMQ took it modulo 65536),
     * and no scheme (ZeroMQ said "Invalid argument"). */
    s_refused("tcp://0.0.0.0:80000", NODE_ENDPOINT_BIND,
              "port 80000 is out of range (1 to 65535)");
    s_refused("127.0.0.1:17702", NODE_ENDPOINT_BIND,
              "expected tcp://HOST:PORT");
    s_refused("127.0.0.1:17702", NODE_ENDPOINT_BIND,
              "did you mean tcp://127.0.0.1:17702?");
    s_refused("tcp://h:0", NODE_ENDPOINT_DIAL, "out of range");
    s_refused("tcp://h:65536", NODE_ENDPOINT_DIAL, "out of range");
    s_refused("tcp://h:99999999999999999999999", NODE_ENDPOINT_DIAL,
              "out of range");
    s_refused("tcp://h:", NODE_ENDPOINT_DIAL, "no port");
    s_refused("tcp://h", NODE_ENDPOINT_DIAL, "no ':PORT'");
    s_refused("tcp://:7700", NODE_ENDPOINT_DIAL, "no host");
    s_refused("tcp://h:+7", NODE_ENDPOINT_DIAL, "not a number");
    s_refused("tcp://h:-7", NODE_ENDPOINT_DIAL, "not a number");
    s_refused("tcp://h:7 ", NODE_ENDPOINT_DIAL, "not a number");
    s_refused("tcp://h:*", NODE_ENDPOINT_BIND, "not a number");
    s_refused("tcp://a b:7", NODE_ENDPOINT_DIAL, "not a name");
    s_refused("tcp://x$y:7", NODE_ENDPOINT_DIAL, "not a name");
    s_refused("tcp://eth0;h:7", NODE_ENDPOINT_DIAL, "not a name");
    s_refused("tcp://h\"q:7", NODE_ENDPOINT_DIAL, "not a name");
    s_refused("tcp://*:7700", NODE_ENDPOINT_DIAL, "is for listening");
    s_refused("tcp://[::1]:7700", NODE_ENDPOINT_BIND, "IPv6");
    s_refused("tcp://[::1", NODE_ENDPOINT_BIND, "no ':PORT'");
    s_refused("ipc:///tmp/x", NODE_ENDPOINT_BIND, "'ipc://' is not supported");
    s_refused("TCP://h:7", NODE_ENDPOINT_DIAL, "not supported");
    s_refused("", NODE_ENDPOINT_DIAL, "empty");
    s_refused("h", NODE_ENDPOINT_DIAL, "expected tcp://HOST:PORT");
    s_refused(":7", NODE_ENDPOINT_DIAL, "expected tcp://HOST:PORT");

    char big[NODE_ENDPOINT_MAX + 8];
    memset(big, 'h', sizeof big);
    memcpy(big, "tcp://", 6);
    memcpy(big + NODE_ENDPOINT_MAX - 5, ":7700", 6); /* 1 byte too long */
    s_refused(big, NODE_ENDPOINT_DIAL, "longer than 255 bytes");
    /* A small why is cut, not overrun. */
    char why[8];
    memset(why, 'Z', sizeof why);
    assert_int_equal(
        node_endpoint_check("tcp://h:0", NODE_ENDPOINT_DIAL, NULL, why, 5),
        VOCFED_EINVALID);
    assert_int_equal(strlen(why), 4);
    assert_int_equal(why[5], 'Z');
}

/* The settings keys: set checks as load does; unknown keys are refused. */
static void
test_config_keys(void **state)
{
    (void)state;
    node_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    char why[256];
    size_t n;
    const node_config_key_t *keys = node_config_keys(&n);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(node_config_get(&cfg, keys[i].name));
        assert_string_equal(node_config_get(&cfg, keys[i].name), "");
        assert_true(strlen(keys[i].help) > 10);
    }
    /* The heartbeat: whole seconds from 1 to 600; unset is 0 ms. */
    assert_int_equal(node_config_heartbeat_ms(&cfg), 0);
    const char *badhb[] = {"0", "601", "5s", "-1", "05", " 5", "1e3", "6000"};
    for (size_t i = 0; i < sizeof badhb / sizeof badhb[0]; i++) {
        assert_int_equal(
            node_config_set(&cfg, "heartbeat", badhb[i], why, sizeof why),
            VOCFED_EINVALID);
        assert_non_null(strstr(why, "seconds from 1 to 600"));
    }
    assert_int_equal(node_config_set(&cfg, "heartbeat", "99999999999999999999",
                                     why, sizeof why),
                     VOCFED_EINVALID);
    assert_int_equal(node_config_set(&cfg, "heartbeat", "600", why, sizeof why),
                     0);
    assert_int_equal(node_config_heartbeat_ms(&cfg), 600000);
    assert_int_equal(node_config_set(&cfg, "heartbeat", "2", why, sizeof why),
                     0);
    assert_int_equal(node_config_heartbeat_ms(&cfg), 2000);
    assert_true(node_config_valid(&cfg, NULL));
    assert_int_equal(node_config_set(&cfg, "heartbeat", "", why, sizeof why),
                     0);
    assert_null(node_config_get(&cfg, "nosuch"));
    assert_int_equal(node_config_set(&cfg, "nosuch", "x", why, sizeof why),
                     VOCFED_ENOTFOUND);

    /* A member's rates (SPEC 10.5): what --rate-msgs and --rate-bytes
     * take too. */
    assert_int_equal(node_rate_msgs("1"), 1);
    assert_int_equal(node_rate_msgs("1000000"), 1000000);
    assert_int_equal(node_rate_bytes("1M"), 1048576);
    assert_int_equal(node_rate_bytes("1048576"), 1048576);
    assert_int_equal(node_rate_bytes("1024k"), 1048576);
    assert_int_equal(node_rate_bytes("16G"), (uint64_t)16 << 30);
    assert_int_equal(node_rate_bytes("64m"), (uint64_t)64 << 20);
    const char *badmsgs[] = {"0",  "1000001", "05",
                             "-1", " 5",      "5 ",
                             "2k", "",        "99999999999999999999999"};
    for (size_t i = 0; i < sizeof badmsgs / sizeof badmsgs[0]; i++)
        assert_int_equal(node_rate_msgs(badmsgs[i]), 0);
    const char *badbytes[] = {
        "0", "1048575", "1023K", "17G", "16385M", "1.5M",
        "M", "",        "-1M",   "1MB", "1 M",    "18446744073709551615G"};
    for (size_t i = 0; i < sizeof badbytes / sizeof badbytes[0]; i++)
        assert_int_equal(node_rate_bytes(badbytes[i]), 0);
    assert_int_equal(
        node_config_set(&cfg, "rate_bytes", "512K", why, sizeof why),
        VOCFED_EINVALID);
    assert_non_null(strstr(why, "1M to 16G"));
    assert_int_equal(node_config_set(&cfg, "rate_bytes", "2G", why, sizeof why),
                     0);
    assert_int_equal(
        node_config_set(&cfg, "rate_msgs", "2000", why, sizeof why), 0);
    assert_true(node_config_valid(&cfg, NULL));
    assert_int_equal(node_config_set(&cfg, "rate_bytes", "", why, sizeof why),
                     0);
    assert_int_equal(node_config_set(&cfg, "rate_msgs", "", why, sizeof why),
                     0);

    assert_int_equal(
        node_config_set(&cfg, "listen", "tcp://*:7700", why, sizeof why), 0);
    assert_string_equal(cfg.listen, "tcp://*:7700");
    assert_int_equal(
        node_config_set(&cfg, "listen", "tcp://0.0.0.0:80000", why, sizeof why),
        VOCFED_EINVALID);
    assert_non_null(strstr(why, "out of range"));
    assert_string_equal(cfg.listen, "tcp://*:7700"); /* unchanged */
    assert_int_equal(
        node_config_set(&cfg, "coordinator", "tcp://*:7700", why, sizeof why),
        VOCFED_EINVALID);
    assert_int_equal(
        node_config_set(&cfg, "coordinator", "10.0.0.1:7700", why, sizeof why),
        VOCFED_EINVALID);
    assert_non_null(strstr(why, "did you mean tcp://10.0.0.1:7700?"));
    assert_string_equal(cfg.coordinator, "");

    const char *key = "ABCDEF0123456789abcdef0123456789"
                      "ABCDEF0123456789abcdef0123456789";
    assert_int_equal(
        node_config_set(&cfg, "coordinator_key", key, why, sizeof why), 0);
    assert_string_equal(cfg.coordinator_key,
                        "abcdef0123456789abcdef0123456789"
                        "abcdef0123456789abcdef0123456789");
    assert_int_equal(
        node_config_set(&cfg, "coordinator_key", "abcd", why, sizeof why),
        VOCFED_EINVALID);
    assert_non_null(strstr(why, "64 hex digits"));
    assert_int_equal(
        node_config_set(&cfg, "coordinator_id", "Coord", why, sizeof why),
        VOCFED_EINVALID);
    assert_int_equal(
        node_config_set(&cfg, "coordinator_id", "coord", why, sizeof why), 0);
    assert_true(node_config_valid(&cfg, NULL));
    /* "" unsets. */
    assert_int_equal(node_config_set(&cfg, "listen", "", why, sizeof why), 0);
    assert_string_equal(cfg.listen, "");

    /* check names the bad key and says why. */
    snprintf(cfg.coordinator, sizeof cfg.coordinator, "tcp://h:0");
    const char *bad = NULL;
    assert_int_equal(node_config_check(&cfg, &bad, why, sizeof why),
                     VOCFED_EINVALID);
    assert_string_equal(bad, "coordinator");
    assert_non_null(strstr(why, "out of range"));
    /* A field without its NUL. */
    memset(cfg.coordinator, 'h', sizeof cfg.coordinator);
    assert_false(node_config_valid(&cfg, &bad));
    assert_string_equal(bad, "coordinator");
}

/* A settings file with a bad endpoint: parse refuses it, load_why says
 * which key and why. */
static void
test_config_parse(void **state)
{
    (void)state;
    node_config_t cfg;
    const char *bad = "node\n    listen = \"tcp://0.0.0.0:80000\"\n";
    assert_int_equal(node_config_parse(bad, strlen(bad), &cfg),
                     VOCFED_EMALFORMED);
    const char *ok = "node\n    listen = \"tcp://0.0.0.0:7700\"\n";
    assert_int_equal(node_config_parse(ok, strlen(ok), &cfg), 0);
    assert_string_equal(cfg.listen, "tcp://0.0.0.0:7700");
    const char *ipc = "node\n    coordinator = \"ipc:///tmp/x\"\n";
    assert_int_equal(node_config_parse(ipc, strlen(ipc), &cfg),
                     VOCFED_EMALFORMED);

    char dir[] = "/tmp/vocfed-endpoint-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], why[320] = "";
    snprintf(path, sizeof path, "%s/" NODE_CONFIG_FILE, dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(bad, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(node_config_load_why(dir, &cfg, why, sizeof why),
                     VOCFED_EMALFORMED);
    assert_non_null(strstr(why, "listen 'tcp://0.0.0.0:80000'"));
    assert_non_null(strstr(why, "out of range"));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("node\n  listen = \"unterminated\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(node_config_load_why(dir, &cfg, why, sizeof why),
                     VOCFED_EMALFORMED);
    assert_non_null(strstr(why, "not ZPL"));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_config_keys),
        cmocka_unit_test(test_config_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
