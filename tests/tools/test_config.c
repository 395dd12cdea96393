/* Tests of `vocfed config` and of the endpoints the commands take
 * (issue 12 item 5): the real binary, its exit codes and messages, and a
 * coordinator that listens where `config set listen` said. */
#include "node/config.h"
#include "tests/harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

typedef struct {
    char root[64];    /* mkdtemp folder, removed afterwards */
    char coord[128];  /* a coordinator's store */
    char member[128]; /* a member's store */
    char cpk[65];     /* the coordinator's public key */
} s_state_t;

#define S_ARGV(...) ((const char *const[]){VOCFED_BINARY, __VA_ARGS__, NULL})

/* Runs vocfed ARGS...; r is the caller's (th_run_free). */
#define S_RUN(r, ...) th_exec((r), NULL, NULL, S_ARGV(__VA_ARGS__), NULL)

/* Runs vocfed ARGS... and checks its exit code and that stderr holds
 * needle (NULL: anything). */
#define S_EXPECT(code, needle, ...)                                            \
    do {                                                                       \
        th_run_t r_;                                                           \
        S_RUN(&r_, __VA_ARGS__);                                               \
        const char *n_ = (needle);                                             \
        if (r_.status != (code) || (n_ && !strstr(r_.err, n_)))                \
            print_error("stdout: %s\nstderr: %s\n", r_.out, r_.err);           \
        assert_int_equal(r_.status, (code));                                   \
        if (n_)                                                                \
            assert_non_null(strstr(r_.err, n_));                               \
        th_run_free(&r_);                                                      \
    } while (0)

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    th_tmpdir(st->root);
    snprintf(st->coord, sizeof st->coord, "%s/coord", st->root);
    snprintf(st->member, sizeof st->member, "%s/member", st->root);
    th_run_t r;
    S_RUN(&r, "--dir", st->coord, "init", "--coordinator", "--id", "coord",
          "--name", "C");
    assert_int_equal(r.status, 0);
    assert_true(r.out_len >= 64);
    memcpy(st->cpk, r.out, 64);
    th_run_free(&r);
    S_EXPECT(0, NULL, "--dir", st->member, "init", "--id", "m1", "--name", "M");
    *state = st;
    return 0;
}

static int
s_teardown(void **state)
{
    s_state_t *st = *state;
    th_rmdir(st->root);
    free(st);
    return 0;
}

/* The two endpoints and the others: exit 2 before anything is
 * bound, dialled or made, with the reason. */
static void
test_endpoint_options(void **state)
{
    s_state_t *st = *state;
    const char *c = st->coord, *m = st->member;
    S_EXPECT(2, "port 80000 is out of range (1 to 65535)", "--dir", c,
             "coordinator", "--listen", "tcp://0.0.0.0:80000");
    S_EXPECT(2, "did you mean tcp://127.0.0.1:17702?", "--dir", c,
             "coordinator", "--listen", "127.0.0.1:17702");
    S_EXPECT(2, "'ipc://' is not supported", "--dir", c, "coordinator",
             "--listen", "ipc:///tmp/x");
    S_EXPECT(2, "no host", "--dir", m, "sync", "--coordinator", "tcp://:7700",
             "--coordinator-key", st->cpk);
    S_EXPECT(2, "is for listening", "--dir", m, "node", "--coordinator",
             "tcp://*:7700", "--coordinator-key", st->cpk);
    S_EXPECT(2, "out of range", "--dir", m, "sync", "--coordinator",
             "tcp://127.0.0.1:0", "--coordinator-key", st->cpk);

    char fresh[160];
    struct stat sb;
    snprintf(fresh, sizeof fresh, "%s/fresh", st->root);
    S_EXPECT(2, "expected tcp://HOST:PORT", "--dir", fresh, "init", "--id",
             "m2", "--name", "M", "--coordinator", "127.0.0.1:7700",
             "--coordinator-key", st->cpk);
    S_EXPECT(2, "out of range", "--dir", fresh, "init", "--coordinator", "--id",
             "c2", "--name", "C", "--listen", "tcp://*:65536");
    assert_int_equal(stat(fresh, &sb), -1); /* nothing made */
}

/* Reads the settings file whole (NUL-terminated; free it). */
static char *
s_cfg_text(const char *dir)
{
    char path[200];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, NODE_CONFIG_FILE);
    return (char *)th_read_file(path, &len);
}

static void
test_config_member(void **state)
{
    s_state_t *st = *state;
    const char *m = st->member;
    th_run_t r;
    S_RUN(&r, "--dir", m, "config", "list");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "coordinator=\ncoordinator_key=\n"
                               "coordinator_id=\nlisten=\nheartbeat=\n"
                               "rate_msgs=\nrate_bytes=\n");
    th_run_free(&r);
    S_EXPECT(1, NULL, "--dir", m, "config", "get", "coordinator");

    S_EXPECT(0, NULL, "--dir", m, "config", "set", "coordinator",
             "tcp://127.0.0.1:7700");
    S_EXPECT(0, NULL, "--dir", m, "config", "set", "coordinator_key", st->cpk);
    /* Both daemons read the heartbeat. */
    S_EXPECT(0, NULL, "--dir", m, "config", "set", "heartbeat", "7");
    S_RUN(&r, "--dir", m, "config", "get", "heartbeat");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "7\n");
    th_run_free(&r);
    S_EXPECT(0, NULL, "--dir", m, "config", "set", "heartbeat", "");
    S_RUN(&r, "--dir", m, "config", "get", "coordinator");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "tcp://127.0.0.1:7700\n");
    th_run_free(&r);

    /* Refused values leave the file as it was. */
    char *before = s_cfg_text(m);
    assert_non_null(before);
    S_EXPECT(2, "out of range", "--dir", m, "config", "set", "coordinator",
             "tcp://127.0.0.1:80000");
    S_EXPECT(2, "did you mean", "--dir", m, "config", "set", "coordinator",
             "127.0.0.1:7700");
    S_EXPECT(2, "64 hex digits", "--dir", m, "config", "set", "coordinator_key",
             "abcd");
    S_EXPECT(2, "not node id", "--dir", m, "config", "set", "coordinator_id",
             "Coord");
    S_EXPECT(2, "unknown key 'port'", "--dir", m, "config", "set", "port",
             "7700");
    S_EXPECT(2, "unknown key", "--dir", m, "config", "get", "port");
    S_EXPECT(2, "read by a coordinator node", "--dir", m, "config", "set",
             "listen", "tcp://*:7700");
    S_EXPECT(2, "takes two arguments", "--dir", m, "config", "set",
             "coordinator");
    S_EXPECT(2, "unknown subcommand", "--dir", m, "config", "unset", "x");
    S_EXPECT(2, "config needs", "--dir", m, "config");
    S_EXPECT(2, "--json is for config list", "--dir", m, "config", "get",
             "coordinator", "--json");
    char *after = s_cfg_text(m);
    assert_non_null(after);
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* The file: mode 0600, no temporary left, key in lower case. */
    char path[200], upper[65];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", m, NODE_CONFIG_FILE);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    DIR *d = opendir(m);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        assert_null(strstr(e->d_name, NODE_CONFIG_FILE "."));
    closedir(d);
    snprintf(upper, sizeof upper, "%s", st->cpk);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    S_EXPECT(0, NULL, "--dir", m, "config", "set", "coordinator_key", upper);
    S_RUN(&r, "--dir", m, "config", "list", "--json");
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    assert_string_equal(json_string_value(th_jget(j, "coordinator_key", NULL)),
                        st->cpk);
    assert_true(json_is_null(th_jget(j, "listen", NULL)));
    json_decref(j);
    th_run_free(&r);

    /* '' unsets. */
    S_EXPECT(0, NULL, "--dir", m, "config", "set", "coordinator", "");
    S_EXPECT(1, NULL, "--dir", m, "config", "get", "coordinator");

    /* No store there: exit 3, nothing written. */
    char none[160];
    snprintf(none, sizeof none, "%s/none", st->root);
    S_EXPECT(3, NULL, "--dir", none, "config", "set", "coordinator",
             "tcp://h:1");
    assert_int_equal(stat(none, &sb), -1);
}

static bool
s_listening(void *ctx)
{
    int port = *(int *)ctx;
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* A coordinator listens where `config set listen` said; a bad value
 * written by hand stops it at start with exit 2, naming the key. */
static void
test_config_coordinator(void **state)
{
    s_state_t *st = *state;
    const char *c = st->coord;
    int port = th_free_port();
    char ep[64], path[200];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "listen", ep);
    S_EXPECT(2, "read by a member node", "--dir", c, "config", "set",
             "coordinator", ep);

    th_proc_t p = {0};
    snprintf(p.log, sizeof p.log, "%s/coord.log", st->root);
    th_spawn(&p, NULL, S_ARGV("--dir", c, "coordinator"));
    assert_true(th_wait(s_listening, &port, 15000));
    assert_true(th_proc_wait_log(&p, "heartbeat 5 s", 15000)); /* the default */
    assert_int_equal(th_stop(&p, SIGTERM, 10000), 0);

    /* The heartbeat from the file; --heartbeat overrides it. */
    S_EXPECT(2, "seconds from 1 to 600", "--dir", c, "config", "set",
             "heartbeat", "0");
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "heartbeat", "2");
    th_spawn(&p, NULL, S_ARGV("--dir", c, "coordinator"));
    assert_true(th_wait(s_listening, &port, 15000));
    assert_true(th_proc_wait_log(&p, "heartbeat 2 s", 15000));
    assert_int_equal(th_stop(&p, SIGTERM, 10000), 0);
    th_spawn(&p, NULL, S_ARGV("--dir", c, "coordinator", "--heartbeat", "3"));
    assert_true(th_wait(s_listening, &port, 15000));
    assert_true(th_proc_wait_log(&p, "heartbeat 3 s", 15000));
    assert_int_equal(th_stop(&p, SIGTERM, 10000), 0);

    /* A member's rates from the file (the defaults first); the options
     * override them, each on its own. */
    S_EXPECT(2, "not bytes a second, 1M to 16G", "--dir", c, "config", "set",
             "rate_bytes", "512K");
    S_EXPECT(2, "not messages a second", "--dir", c, "config", "set",
             "rate_msgs", "0");
    S_EXPECT(2, "read by a coordinator node", "--dir", st->member, "config",
             "set", "rate_msgs", "100");
    th_spawn(&p, NULL, S_ARGV("--dir", c, "coordinator"));
    assert_true(th_proc_wait_log(
        &p, "each member's rate 2000 messages/s and 64.0 MiB/s", 15000));
    assert_int_equal(th_stop(&p, SIGTERM, 10000), 0);
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "rate_bytes", "1G");
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "rate_msgs", "500");
    th_spawn(&p, NULL, S_ARGV("--dir", c, "coordinator"));
    assert_true(th_proc_wait_log(
        &p, "each member's rate 500 messages/s and 1024.0 MiB/s", 15000));
    assert_int_equal(th_stop(&p, SIGTERM, 10000), 0);
    th_spawn(&p, NULL,
             S_ARGV("--dir", c, "coordinator", "--rate-bytes", "3145728"));
    assert_true(th_proc_wait_log(
        &p, "each member's rate 500 messages/s and 3.0 MiB/s", 15000));
    /* SIGHUP reads the file again: its rate_msgs is taken, its
     * rate_bytes not (the option fixed it); a file it cannot read
     * changes nothing, and the daemon goes on. */
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "rate_msgs", "700");
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "rate_bytes", "2G");
    assert_int_equal(kill(p.pid, SIGHUP), 0);
    assert_true(th_proc_wait_log(
        &p,
        "SIGHUP: vocfed.cfg read again: each member's rate 700 messages/s "
        "and 3.0 MiB/s (a rate given on the command line kept)",
        15000));
    snprintf(path, sizeof path, "%s/%s", c, NODE_CONFIG_FILE);
    char *kept = s_cfg_text(c);
    th_write_text(path, "node\n    rate_msgs = \"2000/s\"\n");
    assert_int_equal(kill(p.pid, SIGHUP), 0);
    assert_true(th_proc_wait_log(&p,
                                 "each member's rate stays 700 messages/s "
                                 "and 3.0 MiB/s",
                                 15000));
    assert_true(th_proc_log_has(&p, "rate_msgs"));
    assert_int_equal(th_stop(&p, SIGTERM, 10000), 0); /* still running */
    th_write_text(path, kept);
    free(kept);
    /* Without options both come from the file at a SIGHUP. */
    th_spawn(&p, NULL, S_ARGV("--dir", c, "coordinator"));
    assert_true(th_proc_wait_log(
        &p, "each member's rate 700 messages/s and 2048.0 MiB/s", 15000));
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "rate_msgs", "900");
    assert_int_equal(kill(p.pid, SIGHUP), 0);
    assert_true(th_proc_wait_log(&p,
                                 "SIGHUP: vocfed.cfg read again: each member's "
                                 "rate 900 messages/s and 2048.0 MiB/s",
                                 15000));
    assert_false(th_proc_log_has(&p, "command line kept"));
    /* And where an operator looks: status says the rates in force. */
    th_run_t sr;
    S_RUN(&sr, "--dir", c, "status");
    assert_int_equal(sr.status, 0);
    assert_non_null(strstr(
        sr.out, "rate: each member 900 messages/s and 2048.0 MiB/s, as the "
                "daemon set them at"));
    th_run_free(&sr);
    assert_int_equal(th_stop(&p, SIGTERM, 10000), 0);
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "rate_bytes", "");
    S_EXPECT(0, NULL, "--dir", c, "config", "set", "rate_msgs", "");

    snprintf(path, sizeof path, "%s/%s", c, NODE_CONFIG_FILE);
    th_write_text(path, "node\n    listen = \"tcp://0.0.0.0:80000\"\n");
    S_EXPECT(2, "listen 'tcp://0.0.0.0:80000': the port 80000 is out of range",
             "--dir", c, "coordinator");
    S_EXPECT(1, "out of range", "--dir", c, "config", "list");
    /* set does not write over it: the other values would be lost. */
    S_EXPECT(1, "correct it in an editor", "--dir", c, "config", "set",
             "listen", ep);
    char *text = s_cfg_text(c);
    assert_non_null(strstr(text, "80000"));
    free(text);
}

/* A member's daemon takes SIGHUP (meant for a coordinator or vocfed
 * serve beside it) without stopping: it says it reads nothing again, and
 * SIGTERM still ends it cleanly. */
static void
test_member_hup(void **state)
{
    s_state_t *st = *state;
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", th_free_port());
    th_proc_t p = {0};
    snprintf(p.log, sizeof p.log, "%s/member.log", st->root);
    th_spawn(&p, NULL,
             S_ARGV("--dir", st->member, "node", "--coordinator", ep,
                    "--coordinator-key", st->cpk));
    assert_true(th_proc_wait_log(&p, "member: id=m1 dialling", 15000));
    assert_int_equal(kill(p.pid, SIGHUP), 0);
    assert_true(th_proc_wait_log(
        &p, "SIGHUP: a member daemon reads nothing again", 15000));
    assert_true(th_running(&p));
    assert_int_equal(th_stop(&p, SIGTERM, 10000), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_endpoint_options, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_config_member, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_member_hup, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_config_coordinator, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
