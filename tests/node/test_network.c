/* Integration tests of replication over a bad network (SPEC 10.2, 10.3;
 * DESIGN 2.3 durability, 2.4 exactly once): real processes on 127.0.0.1.
 *
 * 1. flaky_link: the member dials the coordinator through flaky_relay
 *    (tests/net/flaky_relay.c; its address is in the member's
 *    vocfed.cfg), which delays chunks by up to 200 ms, writes some in
 *    small pieces, stalls one direction or both for up to 7 s (longer
 *    than the 5 s heartbeat timeout) and cuts connections, with a FIN or
 *    a reset. Records are written at the member all the while: `vocfed
 *    put`, and every 3 s a bulk of 2,000 entries in one transaction (two
 *    batches, one checkpoint), so that batches are in flight when the
 *    faults land. The relay keeps misbehaving until the two sides
 *    converge: the coordinator's copy of the member's log has exactly
 *    the member's size and root, the member holds the coordinator's
 *    receipt for all of it, `vocfed verify` passes at both (an entry
 *    taken twice or skipped would fail it) and there is no alarm.
 * 2. receipt_lost: the relay holds what goes to the member while the
 *    coordinator commits a put (then a bulk, then a put), and cuts the
 *    link: the receipt is lost, and when the member reconnects the
 *    coordinator already holds everything. The member must still get a
 *    receipt for all of its log. Then the other way: the relay delays
 *    what goes to the coordinator by 3 s while the coordinator's log
 *    grows, and cuts once the member took it in: the member's receipt is
 *    lost, and the coordinator must still get one. (Both found by these
 *    tests: neither receipt ever came.)
 * 3. coordinator_paused: the coordinator is stopped with SIGSTOP until
 *    the member's heartbeat timeout has dropped the connection, records
 *    are written at the member meanwhile, then SIGCONT: the same daemon
 *    (never restarted) reconnects, resumes and converges, and carries
 *    records again afterwards; the coordinator counts it as connected.
 * 4. member_paused: the member daemon is stopped with SIGSTOP with
 *    batches on their way, for longer than the coordinator's heartbeat
 *    timeout; after SIGCONT it reconnects, the coordinator takes the new
 *    connection of the same member, and both converge.
 *
 * The short version runs in ctest. The long one, on demand:
 *
 *     VOCFED_NET_SECONDS=600 build/tests/test_network
 *
 * writes through the relay for that many seconds (default 12) and keeps
 * each pause 60 s (8 s in the short version; VOCFED_NET_PAUSE=S sets it;
 * the coordinator's pause lasts at least until the member's heartbeat
 * timeout dropped the connection). VOCFED_NET_SEED=N fixes the relay's
 * seed in test 1 (default: from the clock); the seed is printed either
 * way.
 * VOCFED_NET_TEST=NAME runs only the tests matching NAME (a cmocka
 * pattern, e.g. test_flaky_link); VOCFED_NET_LOGS=1 prints the daemons'
 * and the relay's logs even when a test passes. Each test prints its
 * figures (relay counters, entries, time to converge). */
#include "node/config.h"
#include "node/identity.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "storage/replica.h"
#include "storage/store.h"

#include "tests/harness.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_SECONDS 12          /* writing through the relay, short run */
#define S_PAUSE_MS 8000       /* a pause, short run */
#define S_LONG_PAUSE_MS 60000 /* a pause, long run */
#define S_BULK 2000           /* entries of one bulk transaction */
#define S_BULK_EVERY_MS 3000  /* a bulk this often */
#define S_PUT_EVERY_MS 100    /* a put this often (at most) */
#define S_PAD 300             /* padding of a bulk entry's body */
#define S_CONVERGE_MS 180000  /* deadline to converge after the writes */
#define S_SETTLE_MS 30000     /* deadline for anything else */

/* ---- settings from the environment ------------------------------------ */

/* A number from the environment, or def when unset; a bad value fails
 * the test. */
static uint64_t
s_env_u64(const char *name, uint64_t lo, uint64_t hi, uint64_t def)
{
    const char *s = getenv(name);
    char *end;
    if (!s || !*s)
        return def;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || *s == '-' || v < lo || v > hi)
        fail_msg("%s must be a number from %llu to %llu, not '%s'", name,
                 (unsigned long long)lo, (unsigned long long)hi, s);
    return v;
}

static uint64_t
s_seconds(void)
{
    return s_env_u64("VOCFED_NET_SECONDS", 1, 86400, S_SECONDS);
}

/* How long a side stays paused: VOCFED_NET_PAUSE seconds; by default
 * S_PAUSE_MS, or S_LONG_PAUSE_MS in the long version (past the
 * heartbeat TTL and the handshake interval too). */
static uint64_t
s_pause_ms(void)
{
    uint64_t def = getenv("VOCFED_NET_SECONDS") ? S_LONG_PAUSE_MS : S_PAUSE_MS;
    return s_env_u64("VOCFED_NET_PAUSE", 1, 86400, def / 1000) * 1000;
}

/* ---- fixtures ----------------------------------------------------------- */

static th_proc_t s_relay;    /* the relay of the running test, if any */
static int s_relay_ctl = -1; /* its stdin (--control), or -1 */
static int s_relay_cmds;     /* commands sent to it */

static int
s_setup(void **state)
{
    th_net_t *net = calloc(1, sizeof *net);
    memset(&s_relay, 0, sizeof s_relay);
    *state = net;
    return net ? 0 : -1;
}

static void
s_print_file(const char *what, const char *path)
{
    size_t len;
    char *text = (char *)th_read_file(path, &len);
    if (!text)
        return;
    fprintf(stderr, "---- %s (%s) ----\n%s", what, path, text);
    free(text);
}

static int
s_teardown(void **state)
{
    th_net_t *net = *state;
    if (getenv("VOCFED_NET_LOGS"))
        net->passed = false; /* print the logs anyway */
    /* A test that failed may leave a daemon stopped. */
    if (net->coord.proc.pid > 0)
        kill(net->coord.proc.pid, SIGCONT);
    for (size_t i = 0; i < net->n; i++)
        if (net->members[i].proc.pid > 0)
            kill(net->members[i].proc.pid, SIGCONT);
    th_stop(&s_relay, SIGTERM, 5000);
    if (s_relay_ctl >= 0)
        close(s_relay_ctl);
    s_relay_ctl = -1;
    s_relay_cmds = 0;
    if (!net->passed && s_relay.log[0])
        s_print_file("relay", s_relay.log);
    th_net_release(net);
    free(net);
    return 0;
}

/* ---- the relay ---------------------------------------------------------- */

/* Starts flaky_relay with argv (argv[0] included) in cwd, like th_spawn
 * does vocfed: output appended to p->log, killed with the test
 * program; its stdin is s_relay_ctl (for --control). */
static void
s_relay_spawn(th_proc_t *p, const char *cwd, const char *const *argv)
{
    int ctl[2];
    assert_int_equal(p->pid, 0);
    assert_int_equal(pipe(ctl), 0);
    p->code = -1;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(126);
        int log = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log < 0 || dup2(log, STDOUT_FILENO) < 0 ||
            dup2(log, STDERR_FILENO) < 0 || dup2(ctl[0], STDIN_FILENO) < 0)
            _exit(126);
        close(log);
        close(ctl[0]);
        close(ctl[1]);
        if (chdir(cwd) != 0)
            _exit(126);
        execv(VOCFED_RELAY_BINARY, (char *const *)argv);
        _exit(127);
    }
    close(ctl[0]);
    s_relay_ctl = ctl[1];
    p->pid = pid;
}

static bool
s_relay_up(void *ctx)
{
    th_proc_t *p = ctx;
    return th_proc_log_has(p, "flaky_relay: relaying") || !th_running(p);
}

static bool
s_relay_done(void *ctx)
{
    const char *needle = ctx;
    return th_proc_log_has(&s_relay, needle) || !th_running(&s_relay);
}

/* Sends the relay a command (--control) and waits until it is done. */
static void
s_relay_cmd(th_net_t *net, const char *cmd)
{
    char line[64], done[96];
    int n = snprintf(line, sizeof line, "%s\n", cmd);
    assert_true(n > 0 && (size_t)n < sizeof line);
    th_net_note(net, "[relay: %s]", cmd);
    assert_int_equal(write(s_relay_ctl, line, (size_t)n), n);
    snprintf(done, sizeof done, "flaky_relay: command %d done: %s",
             ++s_relay_cmds, cmd);
    assert_true(th_wait(s_relay_done, done, S_SETTLE_MS));
    assert_true(th_running(&s_relay));
}

/* The relay's counters (its stats file), or NULL before it wrote one. */
static json_t *
s_relay_stats(const char *path)
{
    size_t len;
    char *text = (char *)th_read_file(path, &len);
    json_t *j = text && len ? th_json(text) : NULL;
    free(text);
    return j;
}

/* ---- writing at the member ----------------------------------------- */

/* What the test wrote at one member. */
typedef struct s_writer {
    th_net_t *net;          /* the network */
    th_node_t *m;           /* the member */
    long long written;      /* entries, all told */
    long long puts;         /* of which by `vocfed put` */
    long long bulks;        /* bulk transactions */
    uint64_t next_key;      /* key of the next bulk entry */
    bool grow_coord;        /* s_write_for also adds to the coordinator's log */
    long long extras;       /* members it added to the roster */
    struct s_writer *other; /* s_write_for puts there too, if not NULL */
} s_writer_t;

/* `vocfed put student P level=higher intake_year=2025 status=enrolled
 * major=m-N` at the member, P a pseudo_id (64 hex digits) made from N. */
static void
s_put(s_writer_t *w)
{
    uint8_t h[PROTO_HASH_LEN];
    char name[32], key[2 * PROTO_HASH_LEN + 1], f[64];
    snprintf(name, sizeof name, "put-%lld", w->puts);
    proto_hash(PROTO_HASH_BLAKE2B256, (const uint8_t *)name, strlen(name), h);
    proto_hex(h, sizeof h, key);
    snprintf(f, sizeof f, "major=m-%lld", w->puts);
    th_net_expect(w->net, 0,
                  TH_ARGS("--dir", w->m->dir, "put", "student", key,
                          "level=higher", "intake_year=2025", "status=enrolled",
                          f));
    w->puts++;
    w->written++;
}

/* Appends n students to the member's log in one transaction, as `vocfed
 * put` would (the member's key, one checkpoint), while its daemon runs:
 * LMDB serialises the writers. */
static void
s_bulk(s_writer_t *w, size_t n)
{
    uint64_t size = th_bulk(w->m, w->next_key, n, S_PAD, NULL);
    w->next_key += n;
    w->bulks++;
    w->written += (long long)n;
    assert_int_equal(size, (uint64_t)w->written);
}

/* The coordinator's own log grows by one entry: a member added to its
 * roster (a fresh key, never started). Members pull it. */
static void
s_grow_coord(s_writer_t *w)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char id[32], hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
    crypto_sign_keypair(pk, sk);
    sodium_memzero(sk, sizeof sk);
    proto_hex(pk, sizeof pk, hex);
    snprintf(id, sizeof id, "extra_%lld", w->extras);
    th_net_expect(
        w->net, 0,
        TH_ARGS("--dir", w->net->coord.dir, "members", "add", id, hex));
    w->extras++;
}

/* Pacing of the writes (not a synchronisation: nothing waits on it). */
static void
s_pace(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Writes for ms: a put every S_PUT_EVERY_MS at most, a bulk every
 * S_BULK_EVERY_MS. */
static void
s_write_for(s_writer_t *w, uint64_t ms)
{
    uint64_t end = th_now_ms() + ms, next_bulk = th_now_ms();
    while (th_now_ms() < end) {
        uint64_t t = th_now_ms();
        if (t >= next_bulk) {
            s_bulk(w, S_BULK);
            if (w->grow_coord)
                s_grow_coord(w);
            next_bulk = t + S_BULK_EVERY_MS;
        }
        s_put(w);
        if (w->other)
            s_put(w->other);
        uint64_t spent = th_now_ms() - t;
        if (spent < S_PUT_EVERY_MS)
            s_pace(S_PUT_EVERY_MS - spent);
    }
}

/* ---- convergence ---------------------------------------------------- */

/* What the waits look at. */
typedef struct {
    th_net_t *net;      /* the network */
    th_node_t *m;       /* the member */
    long long want;     /* entries the member wrote */
    long long at_coord; /* the coordinator's copy, last seen */
    long long acked;    /* the member's receipt from the coordinator */
    long long coord;    /* the coordinator's own log, last seen */
    char why[256];      /* what was not level yet */
} s_level_t;

/* The coordinator's copy of the member's log is the member's (size and
 * root: the same entries in the same order, each once) and the member
 * holds the coordinator's receipt for all of it; the same the other way
 * for the coordinator's own log. Read from the stores directly (read
 * transactions; much lighter than `vocfed status`). */
static bool
s_level(void *ctx)
{
    s_level_t *l = ctx;
    store_t *cs = NULL, *ms = NULL;
    store_head_t theirs = {0}, mine = {0}, own = {0}, copy = {0};
    store_ack_t ack = {0}, cack = {0};
    bool ok = false;
    if (store_open(l->net->coord.dir, NULL, &cs) != VOCFED_OK ||
        store_open(l->m->dir, NULL, &ms) != VOCFED_OK) {
        snprintf(l->why, sizeof l->why, "a store does not open");
        goto done;
    }
    if (store_head(ms, l->m->id, &mine) != VOCFED_OK ||
        (long long)mine.size != l->want) {
        snprintf(l->why, sizeof l->why, "member holds %llu of %lld",
                 (unsigned long long)mine.size, l->want);
        goto done;
    }
    if (store_head(cs, l->m->id, &theirs) != VOCFED_OK)
        theirs.size = 0;
    l->at_coord = (long long)theirs.size;
    if (theirs.size != mine.size ||
        memcmp(theirs.root, mine.root, PROTO_HASH_LEN) != 0) {
        snprintf(l->why, sizeof l->why,
                 "coordinator holds %llu of %llu entries%s",
                 (unsigned long long)theirs.size, (unsigned long long)mine.size,
                 theirs.size == mine.size ? " with another root" : "");
        goto done;
    }
    if (store_peer_ack_get(ms, l->net->coord.id, l->m->id, &ack) != VOCFED_OK)
        ack.acked = 0;
    l->acked = (long long)ack.acked;
    if (ack.acked != mine.size) {
        snprintf(l->why, sizeof l->why,
                 "coordinator holds all %llu entries, but the member's "
                 "receipt says %llu",
                 (unsigned long long)mine.size, (unsigned long long)ack.acked);
        goto done;
    }
    const char *cid = l->net->coord.id;
    if (store_head(cs, cid, &own) != VOCFED_OK ||
        store_head(ms, cid, &copy) != VOCFED_OK)
        own.size = copy.size + 1;
    l->coord = (long long)own.size;
    if (copy.size != own.size ||
        memcmp(copy.root, own.root, PROTO_HASH_LEN) != 0) {
        snprintf(l->why, sizeof l->why,
                 "member holds %llu of the coordinator's %llu entries",
                 (unsigned long long)copy.size, (unsigned long long)own.size);
        goto done;
    }
    if (store_peer_ack_get(cs, l->m->id, cid, &cack) != VOCFED_OK)
        cack.acked = 0;
    if (cack.acked != own.size) {
        snprintf(l->why, sizeof l->why,
                 "member holds all %llu of the coordinator's entries, but "
                 "its receipt says %llu",
                 (unsigned long long)own.size, (unsigned long long)cack.acked);
        goto done;
    }
    ok = true;
done:
    store_destroy(&ms);
    store_destroy(&cs);
    return ok;
}

static void
s_converge(s_level_t *l, int deadline_ms)
{
    if (!th_wait(s_level, l, deadline_ms))
        fail_msg("not level after %d s: %s", deadline_ms / 1000, l->why);
}

/* The alarms of status j that tell of a fault: every raised one, and
 * any cleared one but a connection's (the relay cuts links on purpose:
 * a member's "cannot connect" alarm, cleared once it connects again, is
 * what it should say then). */
static size_t
s_fault_alarms(json_t *j)
{
    size_t i, n = 0;
    json_t *a;
    json_array_foreach(json_object_get(j, "alarms"), i, a)
    {
        const char *k = json_string_value(json_object_get(a, "kind"));
        if (json_is_true(json_object_get(a, "raised")) || !k ||
            strcmp(k, "connection") != 0) {
            char *text = json_dumps(a, JSON_COMPACT);
            print_message("alarm: %s\n", text ? text : "?");
            free(text);
            n++;
        }
    }
    return n;
}

/* `vocfed verify` at the coordinator counts every entry once (its own
 * log and its copy of each of the n members' logs, written[i] entries
 * each), at each member too (its own log and the coordinator's); no
 * alarm anywhere. */
static void
s_check_stores(th_net_t *net, th_node_t *const *m, const long long *written,
               size_t n)
{
    json_t *cs = th_status(net, net->coord.dir);
    long long own = th_jint(cs, "logs", net->coord.id, "size", NULL);
    long long all = own;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(th_jint(cs, "logs", m[i]->id, "size", NULL),
                         written[i]);
        assert_int_equal(th_jint(cs, "logs", m[i]->id, "checkpoint_size", NULL),
                         written[i]);
        all += written[i];
    }
    size_t alarms = s_fault_alarms(cs);
    json_decref(cs);
    if (alarms)
        fail_msg("%zu alarms at the coordinator", alarms);
    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", net->coord.dir, "verify", "--json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    assert_int_equal(th_jint(j, "entries", NULL), all);
    json_decref(j);
    th_run_free(&r);
    for (size_t i = 0; i < n; i++) {
        r = th_net_run(net, TH_ARGS("--dir", m[i]->dir, "verify", "--json"));
        assert_int_equal(r.status, 0);
        j = th_json(r.out);
        assert_int_equal(th_jint(j, "entries", NULL), written[i] + own);
        json_decref(j);
        th_run_free(&r);
        json_t *ms = th_status(net, m[i]->dir);
        alarms = s_fault_alarms(ms);
        json_decref(ms);
        if (alarms)
            fail_msg("%zu alarms at member %s", alarms, m[i]->id);
    }
}

/* How many times needle is in p's log since its last start. */
static int
s_log_count(const th_proc_t *p, const char *needle)
{
    size_t len;
    char *text = (char *)th_read_file(p->log, &len);
    int n = 0;
    if (text && (size_t)p->log_start <= len)
        for (const char *q = text + p->log_start;
             (q = strstr(q, needle)) != NULL; q += strlen(needle))
            n++;
    free(text);
    return n;
}

/* A node's status says it is connected to a peer. */
typedef struct {
    th_net_t *net;    /* the network */
    const char *dir;  /* the node's store */
    const char *peer; /* the peer's id */
} s_peer_t;

static bool
s_peer_connected(void *ctx)
{
    s_peer_t *p = ctx;
    json_t *j = th_status(p->net, p->dir);
    bool ok = json_is_true(th_jget(j, "peers", p->peer, "connected", NULL));
    json_decref(j);
    return ok;
}

/* ---- 1. a flaky link ------------------------------------------------- */

/* Starts the relay in front of the coordinator with the fault options
 * args (NULL-terminated), its counters written to stats (128 bytes), and
 * member m, which finds the relay in its vocfed.cfg. */
static void
s_through_relay(th_net_t *net, th_node_t *m, uint64_t seed,
                const char *const *args, char *stats)
{
    char lport[16], tport[16], seed_s[24];
    const char *argv[48] = {VOCFED_RELAY_BINARY};
    size_t n = 1;
    const char *colon = strrchr(net->endpoint, ':');
    assert_non_null(colon);
    snprintf(tport, sizeof tport, "%s", colon + 1);
    snprintf(lport, sizeof lport, "%d", th_free_port());
    snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
    snprintf(stats, 128, "%s/relay.json", net->root);
    snprintf(s_relay.log, sizeof s_relay.log, "%s/relay.log", net->root);
    const char *fixed[] = {"--listen",  lport,      "--target", tport,
                           "--seed",    seed_s,     "--stats",  stats,
                           "--verbose", "--control"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[n++] = fixed[i];
    for (size_t i = 0; args[i]; i++) {
        assert_true(n + 1 < sizeof argv / sizeof argv[0]);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    th_net_note(net, "[relay 127.0.0.1:%s -> %s, seed %s]", lport, tport,
                seed_s);
    s_relay_spawn(&s_relay, net->root, argv);
    assert_true(th_wait(s_relay_up, &s_relay, S_SETTLE_MS));
    assert_true(th_running(&s_relay));

    /* The member finds its coordinator in vocfed.cfg: the relay. */
    node_config_t cfg = {0};
    snprintf(cfg.coordinator, sizeof cfg.coordinator, "tcp://127.0.0.1:%s",
             lport);
    snprintf(cfg.coordinator_key, sizeof cfg.coordinator_key, "%s",
             net->coord.pk);
    snprintf(cfg.coordinator_id, sizeof cfg.coordinator_id, "%s",
             net->coord.id);
    assert_int_equal(node_config_save(m->dir, &cfg), VOCFED_OK);
    th_net_note(net, "[start member %s, through the relay]", m->id);
    th_spawn(&m->proc, net->root,
             TH_ARGS(VOCFED_BINARY, "--dir", m->dir, "node"));
}

static void
test_flaky_link(void **state)
{
    th_net_t *net = *state;
    uint64_t seconds = s_seconds();
    uint64_t seed = s_env_u64("VOCFED_NET_SEED", 0, UINT64_MAX, 0);
    char stats[128];
    if (!getenv("VOCFED_NET_SEED"))
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    th_net_init(net);
    th_node_t *m = th_net_member(net, "flaky", true);
    /* Another member on a good link, served all the while. */
    th_node_t *steady = th_net_member(net, "steady", true);
    s_writer_t ws = {.net = net, .m = steady};
    s_writer_t w = {.net = net, .m = m, .grow_coord = true, .other = &ws};
    th_coord_start(net);
    th_member_start(net, steady);
    s_through_relay(net, m, seed,
                    TH_ARGS("--delay-rate", "0.3", "--delay-max", "200",
                            "--split-rate", "0.2", "--split-max", "64",
                            "--cut-mean", "2000", "--rst-rate", "0.5",
                            "--stall-mean", "3000", "--stall-min", "500",
                            "--stall-max", "7000"),
                    stats);

    uint64_t t0 = th_now_ms();
    s_write_for(&w, seconds * 1000);
    uint64_t t1 = th_now_ms();
    s_level_t l = {.net = net, .m = m, .want = w.written};
    s_converge(&l, S_CONVERGE_MS);
    uint64_t t2 = th_now_ms();
    s_level_t ls = {.net = net, .m = steady, .want = ws.written};
    s_converge(&ls, S_SETTLE_MS);
    assert_true(th_running(&m->proc));
    assert_true(th_running(&steady->proc));
    assert_true(th_running(&net->coord.proc));

    /* The relay's figures, then it goes; the member behind it first, or
     * it dials the relay gone and raises an alarm the checks below
     * would count (a slow machine checks for more than its 1 s). */
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&s_relay, SIGTERM, 10000), 0);
    json_t *rs = s_relay_stats(stats);
    assert_non_null(rs);
    long long cuts = th_jint(rs, "cuts", NULL);
    long long conns = th_jint(rs, "connections", NULL);
    print_message(
        "flaky link, seed %llu: %llu s of writes, level %.1f s later; "
        "%lld entries (%lld puts, %lld bulks of %d), coordinator holds "
        "%lld, lost %lld; coordinator's log %lld entries (%lld added), "
        "level at the member\n",
        (unsigned long long)seed, (unsigned long long)seconds,
        (double)(t2 - t1) / 1000.0, w.written, w.puts, w.bulks, S_BULK,
        l.at_coord, w.written - l.at_coord, l.coord, w.extras);
    print_message("relay: %.1f s, connections %lld, cuts %lld (resets "
                  "%lld), stalls %lld (%lld ms), delays %lld, splits %lld "
                  "(%lld pieces), bytes to the coordinator %lld, to the "
                  "member %lld, dropped at cuts %lld\n",
                  json_real_value(json_object_get(rs, "seconds")), conns, cuts,
                  th_jint(rs, "resets", NULL), th_jint(rs, "stalls", NULL),
                  th_jint(rs, "stall_ms", NULL), th_jint(rs, "delays", NULL),
                  th_jint(rs, "splits", NULL), th_jint(rs, "pieces", NULL),
                  th_jint(rs, "bytes_to_target", NULL),
                  th_jint(rs, "bytes_to_client", NULL),
                  th_jint(rs, "bytes_dropped", NULL));
    print_message("member: %d connections, %d sessions resumed, %d "
                  "resynchronisations for want of a receipt; the steady "
                  "member: %lld entries, %d connections\n",
                  s_log_count(&m->proc, "member: connected to"),
                  s_log_count(&m->proc, "resuming at seq"),
                  s_log_count(&m->proc, ": no receipt"), ws.written,
                  s_log_count(&steady->proc, "member: connected to"));
    /* What the coordinator counted against the honest member on the
     * flaky link (batches it already held, sent again after a cut). */
    json_t *cs = th_status(net, net->coord.dir);
    char *abuse = json_dumps(th_jget(cs, "peers", m->id, "abuse", NULL),
                             JSON_SORT_KEYS | JSON_COMPACT);
    print_message("coordinator's abuse counters of the flaky member: %s\n",
                  abuse ? abuse : "none");
    free(abuse);
    json_decref(cs);
    th_net_note(net, "[%lld entries in %llu ms, level %llu ms later]",
                w.written, (unsigned long long)(t1 - t0),
                (unsigned long long)(t2 - t1));
    /* The faults happened, or this test tested nothing. */
    assert_true(conns >= 2);
    assert_true(cuts >= 1);
    json_decref(rs);

    s_check_stores(net, (th_node_t *[]){m, steady},
                   (long long[]){w.written, ws.written}, 2);
    assert_int_equal(th_stop(&steady->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* ---- 2. a lost receipt ---------------------------------------------- */

/* The coordinator holds at least want of the member's entries. */
static bool
s_coord_holds(void *ctx)
{
    s_level_t *l = ctx;
    store_t *st = NULL;
    store_head_t h = {0};
    if (store_open(l->net->coord.dir, NULL, &st) != VOCFED_OK)
        return false;
    if (store_head(st, l->m->id, &h) != VOCFED_OK)
        h.size = 0;
    store_destroy(&st);
    l->at_coord = (long long)h.size;
    return l->at_coord >= l->want;
}

/* The member's copy of the coordinator's log. */
typedef struct {
    th_net_t *net;  /* the network */
    th_node_t *m;   /* the member */
    long long want; /* entries it must hold */
    long long held; /* entries it held, last seen */
} s_member_copy_t;

static bool
s_member_holds(void *ctx)
{
    s_member_copy_t *c = ctx;
    store_t *st = NULL;
    store_head_t h = {0};
    if (store_open(c->m->dir, NULL, &st) != VOCFED_OK)
        return false;
    if (store_head(st, c->net->coord.id, &h) != VOCFED_OK)
        h.size = 0;
    store_destroy(&st);
    c->held = (long long)h.size;
    return c->held >= c->want;
}

/* The coordinator commits a batch, and the link breaks before its
 * receipt reaches the member: the relay holds what goes to the member,
 * then cuts. When the member reconnects, the coordinator holds all of
 * its log: the member must still end up with a receipt for all of it
 * (its evidence of what the coordinator took, SPEC 9). The same for the
 * member's receipt for the coordinator's log. */
static void
test_receipt_lost(void **state)
{
    th_net_t *net = *state;
    char stats[128];
    th_net_init(net);
    th_node_t *m = th_net_member(net, "unacked", true);
    s_writer_t w = {.net = net, .m = m};
    th_coord_start(net);
    s_through_relay(net, m, 1,
                    TH_ARGS("--delay-rate", "0", "--split-rate", "0",
                            "--cut-mean", "0", "--stall-mean", "0"),
                    stats);
    s_put(&w);
    s_level_t l = {.net = net, .m = m, .want = w.written};
    s_converge(&l, S_SETTLE_MS);

    for (int round = 0; round < 3; round++) {
        /* A put, then a bulk: one entry, then two batches. */
        s_relay_cmd(net, "hold client");
        if (round == 1)
            s_bulk(&w, S_BULK);
        else
            s_put(&w);
        l.want = w.written;
        if (!th_wait(s_coord_holds, &l, S_SETTLE_MS))
            fail_msg("the coordinator holds %lld of %lld", l.at_coord, l.want);
        s_relay_cmd(net, "cut");
        s_relay_cmd(net, "release");
        s_converge(&l, S_SETTLE_MS);
    }
    /* The other way: the member takes in the coordinator's log and its
     * receipt is lost. */
    for (int round = 0; round < 2; round++) {
        /* The member's pull gets through, late; its receipt is still in
         * the relay when the cut comes. */
        s_relay_cmd(net, "delay target 3000");
        long long before = l.coord;
        s_grow_coord(&w);
        s_member_copy_t c = {net, m, before + 1, 0};
        if (!th_wait(s_member_holds, &c, S_SETTLE_MS))
            fail_msg("the member holds %lld of the coordinator's %lld", c.held,
                     c.want);
        s_relay_cmd(net, "cut");
        s_relay_cmd(net, "delay target 0");
        s_converge(&l, S_SETTLE_MS);
        assert_int_equal(l.coord, before + 1);
    }
    assert_true(th_running(&m->proc));
    /* The member first: it would dial the relay gone (above). */
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&s_relay, SIGTERM, 10000), 0);
    json_t *rs = s_relay_stats(stats);
    assert_non_null(rs);
    print_message("receipts lost: %lld cuts, %lld bytes dropped; %lld "
                  "entries, lost %lld; coordinator's log %lld entries\n",
                  th_jint(rs, "cuts", NULL), th_jint(rs, "bytes_dropped", NULL),
                  w.written, w.written - l.at_coord, l.coord);
    assert_true(th_jint(rs, "cuts", NULL) >= 5);
    json_decref(rs);
    s_check_stores(net, &m, &w.written, 1);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* ---- 3., 4. a side paused ------------------------------------------- */

static bool
s_member_disconnected(void *ctx)
{
    th_node_t *m = ctx;
    return th_proc_log_has(&m->proc, "member: disconnected from");
}

static void
test_coordinator_paused(void **state)
{
    th_net_t *net = *state;
    uint64_t pause_ms = s_pause_ms();
    th_net_init(net);
    th_node_t *m = th_net_member(net, "paused", true);
    s_writer_t w = {.net = net, .m = m};
    th_coord_start(net);
    th_member_start(net, m);
    for (int i = 0; i < 3; i++)
        s_put(&w);
    s_level_t l = {.net = net, .m = m, .want = w.written};
    s_converge(&l, S_SETTLE_MS);
    pid_t member = m->proc.pid;

    /* Paused: the member's heartbeats go unanswered. */
    assert_int_equal(kill(net->coord.proc.pid, SIGSTOP), 0);
    uint64_t t0 = th_now_ms();
    th_net_note(net, "[coordinator stopped]");
    s_bulk(&w, S_BULK);
    for (int i = 0; i < 5; i++)
        s_put(&w);
    s_bulk(&w, S_BULK);
    /* The heartbeat timeout (5 s) drops the connection. */
    if (!th_wait(s_member_disconnected, m, S_SETTLE_MS)) {
        kill(net->coord.proc.pid, SIGCONT);
        fail_msg("the member did not notice the coordinator had stopped");
    }
    uint64_t noticed = th_now_ms() - t0;
    while (th_now_ms() - t0 < pause_ms) {
        s_put(&w);
        s_pace(250);
    }
    uint64_t paused = th_now_ms() - t0;
    assert_int_equal(kill(net->coord.proc.pid, SIGCONT), 0);
    th_net_note(net, "[coordinator continued after %llu ms]",
                (unsigned long long)paused);
    uint64_t t1 = th_now_ms();
    l.want = w.written;
    s_converge(&l, S_CONVERGE_MS);
    uint64_t t2 = th_now_ms();

    /* The same daemon, reconnected and resumed, not restarted. */
    assert_true(th_running(&m->proc));
    assert_int_equal(m->proc.pid, member);
    /* It was level before the pause: the resumption came after. */
    assert_true(th_proc_log_has(&m->proc, "resuming at seq"));
    int sessions = s_log_count(&m->proc, "member: connected to");
    assert_true(sessions >= 2);
    /* And the new session carries records; the coordinator counts the
     * member as connected. */
    s_put(&w);
    l.want = w.written;
    s_converge(&l, S_SETTLE_MS);
    s_peer_t p = {net, net->coord.dir, m->id};
    assert_true(th_wait(s_peer_connected, &p, S_SETTLE_MS));
    print_message("coordinator paused %.1f s (the member noticed after "
                  "%.1f s): %lld entries, level %.1f s after SIGCONT, "
                  "%d connections of the member, lost %lld\n",
                  (double)paused / 1000.0, (double)noticed / 1000.0, w.written,
                  (double)(t2 - t1) / 1000.0, sessions, w.written - l.at_coord);
    s_check_stores(net, &m, &w.written, 1);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

static void
test_member_paused(void **state)
{
    th_net_t *net = *state;
    uint64_t pause_ms = s_pause_ms();
    th_net_init(net);
    th_node_t *m = th_net_member(net, "sleepy", true);
    s_writer_t w = {.net = net, .m = m};
    th_coord_start(net);
    th_member_start(net, m);
    s_put(&w);
    s_level_t l = {.net = net, .m = m, .want = w.written};
    s_converge(&l, S_SETTLE_MS);
    pid_t member = m->proc.pid;

    /* Batches on their way, then the member stops answering: the
     * coordinator's heartbeat timeout drops the connection. Nothing is
     * written while it is stopped: it may hold the store's write lock. */
    s_bulk(&w, S_BULK);
    assert_int_equal(kill(m->proc.pid, SIGSTOP), 0);
    uint64_t t0 = th_now_ms();
    th_net_note(net, "[member stopped]");
    s_pace(pause_ms); /* the fault itself, not a synchronisation */
    assert_int_equal(kill(m->proc.pid, SIGCONT), 0);
    uint64_t paused = th_now_ms() - t0;
    th_net_note(net, "[member continued after %llu ms]",
                (unsigned long long)paused);
    uint64_t t1 = th_now_ms();
    s_put(&w);
    s_bulk(&w, S_BULK);
    l.want = w.written;
    s_converge(&l, S_CONVERGE_MS);
    uint64_t t2 = th_now_ms();
    assert_true(th_running(&m->proc));
    assert_int_equal(m->proc.pid, member);
    assert_true(th_running(&net->coord.proc));
    /* It was level before the pause: the resumption came after. */
    assert_true(th_proc_log_has(&m->proc, "resuming at seq"));
    int sessions = s_log_count(&m->proc, "member: connected to");
    assert_true(sessions >= 2);
    s_peer_t p = {net, net->coord.dir, m->id};
    assert_true(th_wait(s_peer_connected, &p, S_SETTLE_MS));
    print_message("member paused %.1f s: %lld entries, level %.1f s after "
                  "SIGCONT, %d connections of the member, lost %lld\n",
                  (double)paused / 1000.0, w.written,
                  (double)(t2 - t1) / 1000.0, sessions, w.written - l.at_coord);
    s_check_stores(net, &m, &w.written, 1);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

int
main(void)
{
    /* VOCFED_NET_TEST=NAME runs the tests whose name matches (cmocka's
     * pattern, e.g. test_flaky_link). */
    const char *only = getenv("VOCFED_NET_TEST");
    if (only && *only)
        cmocka_set_test_filter(only);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flaky_link, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_receipt_lost, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_coordinator_paused, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_member_paused, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
