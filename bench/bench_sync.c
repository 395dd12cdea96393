/* vocfed bench: replication (issue 3).
 *
 * Measures, in one run and on one machine, with the real daemons (the
 * vocfed binary of the same build, VOCFED_BINARY, run as child processes
 * on 127.0.0.1):
 *   1. initial sync: N synthetic student records (~236 bytes per entry)
 *      appended to a member's log in transactions of 100,000, then
 *      `vocfed sync` timed from its start until it exits 0, CURVE on, every
 *      batch committed (fsync) by `vocfed coordinator` before its receipt;
 *      the coordinator's copy is then checked (size and root). Alongside,
 *      the raw limits: ZeroMQ CURVE DEALER -> ROUTER on loopback (two
 *      threads, one context each) with messages the size of a real batch;
 *      LMDB append of N values of the entry size (one transaction; one
 *      durable transaction per batch, as the coordinator commits; the same
 *      with a random-key index); BLAKE2b-256 leaf hashing of N such values.
 *      Medians of --runs runs, ratios against the raw limits of the same
 *      runs.
 *   2. put-to-visible latency: with `vocfed coordinator` and `vocfed node`
 *      running, K puts as `vocfed put` makes them (open the store, append
 *      one record under one checkpoint, close) from this process, each
 *      timed from the append's return until the coordinator's store shows
 *      it (polled); then a few with the store kept open, and a few through
 *      a real `vocfed put` process, timed from its spawn.
 *   3. many members: M `vocfed node` processes, each with its own store
 *      (on tmpfs by default: they stand for other machines) and key, all
 *      on the roster, 10 records/s appended to each for D seconds; the
 *      coordinator's intake, CPU and memory over that window (/proc), its
 *      lag, and at the end every member's log at the coordinator compared
 *      with the member's own (size and root).
 * Every child is stopped (SIGTERM, then SIGKILL) and the temporary folders
 * removed, also on failure. Usage: bench_sync --help; bench/README.md. */
#include "bench/bench_proc.h"
#include "node/daemon.h"
#include "node/figures.h"
#include "node/identity.h"
#include "node/replicate.h"
#include "node/session.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/msg.h"
#include "storage/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <lmdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_FILL_TXN 100000      /* records per transaction when filling */
#define S_BIG_TXN 1000000      /* raw LMDB "1 txn": LMDB's dirty page cap */
#define S_KILO_TXN 1000        /* raw LMDB per 1,000: the batches of before */
#define S_RECORDS_RATE 10      /* records/s per member in part 3 */
#define S_POLL_NS 100000       /* between two looks at the coordinator */
#define S_E2E_PUTS 20          /* puts through a `vocfed put` process */
#define S_WARMUP_PUTS 5        /* untimed puts before the latency runs */
#define S_VISIBLE_TIMEOUT 30.0 /* s for one put to reach the coordinator */
#define S_STUCK_S 5.0          /* s before a put is poked (store kept open) */
#define S_PER_WRITER 8         /* part 3: members per appending thread */

/* ---- time and statistics ----------------------------------------------- */

/* Sleeps until bench_now() is t (or a signal comes). */
static void
s_sleep_until(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (!node_daemon_stopping() &&
           clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
               EINTR) {
    }
}

/* Fixed-seed xorshift64*: the waits between puts are the same every run. */
static uint64_t s_rng = 0x9e3779b97f4a7c15u;

static uint32_t
s_rand(uint32_t lo, uint32_t hi)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return lo + (uint32_t)((s_rng * 0x2545f4914f6cdd1du) >> 33) % (hi - lo + 1);
}

/* ---- synthetic student records ------------------------------------------ */

/* The bodies repeat every 12 records (major: i % 4, intake year: i % 3);
 * the keys (pseudo ids) are BLAKE2b of the record's index, as in
 * bench_log. */
static proto_buf_t s_bodies[12];

static void
s_bodies_init(void)
{
    static const char *majors[] = {"460104", "470201", "510203", "530302"};
    for (size_t i = 0; i < 12; i++) {
        proto_field_t f[] = {
            {"level", 5, {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
            {"major",
             5,
             {.type = PROTO_VAL_STR, .s = majors[i % 4], .slen = 6}},
            {"pathway",
             7,
             {.type = PROTO_VAL_STR, .s = "three_plus_two", .slen = 14}},
            {"intake_year",
             11,
             {.type = PROTO_VAL_INT, .i = 2024 + (int64_t)(i % 3)}},
            {"status", 6, {.type = PROTO_VAL_STR, .s = "enrolled", .slen = 8}},
            {"source_school",
             13,
             {.type = PROTO_VAL_STR, .s = "340803-jh-012", .slen = 13}},
            {"origin_region",
             13,
             {.type = PROTO_VAL_STR, .s = "340803", .slen = 6}},
            {"coop_class", 10, {.type = PROTO_VAL_STR, .s = "", .slen = 0}},
        };
        proto_buf_init(&s_bodies[i]);
        if (proto_body_encode(f, sizeof f / sizeof f[0], &s_bodies[i]))
            bench_fail("cannot encode a record body");
    }
}

static void
s_key(uint64_t i, char key[72])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, (const uint8_t *)&i, sizeof i, NULL, 0);
    proto_hex(h, sizeof h, key);
}

static store_record_t
s_record(uint64_t i, char key[72])
{
    s_key(i, key);
    return (store_record_t){
        PROTO_OP_PUT,         "student", key, s_bodies[i % 12].data,
        s_bodies[i % 12].len, false};
}

/* ---- nodes --------------------------------------------------------------- */

/* One node of a part: its store, key and daemon. */
typedef struct {
    char dir[BENCH_PATH_MAX];             /* its store folder */
    char data[BENCH_PATH_MAX];            /* dir/data.mdb */
    char log[BENCH_PATH_MAX];             /* its commands' and daemon's log */
    char id[PROTO_ID_MAX + 1];            /* node id */
    char pkhex[2 * PROTO_PUBKEY_LEN + 1]; /* public key, hex */
    uint8_t pk[PROTO_PUBKEY_LEN];         /* public key */
    uint8_t *sk;                          /* secret key while open (guarded) */
    store_t *st;                          /* its store, open in this process */
    pid_t pid;                            /* its daemon, 0 for none */
    _Atomic uint64_t size; /* entries in its log (we append them) */
    uint64_t next;         /* index of its next synthetic record */
} s_node_t;

/* `vocfed init` in part/id; reads the public key back. */
static void
s_node_init(s_node_t *n, const char *part, const char *id, bool coordinator)
{
    char name[64];
    store_t *st = NULL;
    memset(n, 0, sizeof *n);
    snprintf(n->id, sizeof n->id, "%s", id);
    bench_path(n->dir, "%s/%s", part, id);
    bench_path(n->data, "%s/data.mdb", n->dir);
    bench_path(n->log, "%s/logs/%s-%s.log", bench_g.root,
               strrchr(part, '/') + 1, id);
    snprintf(name, sizeof name, "bench %s", id);
    const char *argv[] = {
        VOCFED_BINARY, "--dir", n->dir,
        "init",        "--id",  id,
        "--name",      name,    coordinator ? "--coordinator" : NULL,
        NULL};
    bench_run(argv, n->log, id);
    if (store_open(n->dir, NULL, &st) ||
        store_meta_get(st, "node_pubkey", n->pkhex, sizeof n->pkhex) ||
        proto_unhex(n->pkhex, n->pk, sizeof n->pk))
        bench_fail("cannot read the key of %s", n->dir);
    store_destroy(&st);
}

/* Opens the node's store in this process; for appending, with its key
 * and the figures kept in each write transaction, as the vocfed command
 * opens a store. */
static void
s_node_open(s_node_t *n, bool with_key)
{
    int rc = store_open(n->dir, NULL, &n->st);
    if (!rc && with_key && !(rc = node_figures_attach_store(n->st)))
        rc = node_identity_load(n->dir, n->pk, &n->sk);
    if (rc)
        bench_fail("cannot open %s: %s", n->dir, vocfed_strerror(rc));
}

static void
s_node_close(s_node_t *n)
{
    node_identity_free(&n->sk);
    store_destroy(&n->st);
}

/* Appends one record under its own checkpoint, as `vocfed put` does. */
static int
s_node_put(s_node_t *n)
{
    char key[72];
    store_head_t head;
    store_record_t rec = s_record(n->next, key);
    int rc = store_append(n->st, n->id, n->sk, &rec, 1, 0, &head, NULL);
    if (rc == VOCFED_OK) {
        n->next++;
        atomic_store(&n->size, head.size);
    }
    return rc;
}

/* What the exit of a `vocfed put` process gives the member daemon: an
 * IN_CLOSE_WRITE on data.mdb after the commit. A writer that keeps the
 * store open gives only IN_MODIFY, which LMDB raises before it publishes
 * the commit (README: the daemon may miss it). Closing this descriptor
 * releases no LMDB lock: those are on lock.mdb. Returns 0 or -errno. */
static int
s_node_poke(const s_node_t *n)
{
    int fd = open(n->data, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    close(fd);
    return 0;
}

/* `vocfed members add` on the coordinator. */
static void
s_admit(const s_node_t *coord, const s_node_t *m)
{
    const char *argv[] = {VOCFED_BINARY, "--dir", coord->dir, "members",
                          "add",         m->id,   m->pkhex,   NULL};
    bench_run(argv, coord->log, "members add");
}

/* Starts `vocfed coordinator` on a free loopback port; returns when the
 * port accepts connections. endpoint gets where members dial. */
static void
s_coordinator_start(s_node_t *c, char endpoint[64])
{
    c->pid = bench_coordinator_start(c->dir, c->log, endpoint, 64);
}

/* Starts `vocfed node` for member m. */
static void
s_node_start(s_node_t *m, const char *endpoint, const s_node_t *coord)
{
    char what[64];
    snprintf(what, sizeof what, "node %s", m->id);
    const char *argv[] = {VOCFED_BINARY,
                          "--dir",
                          m->dir,
                          "node",
                          "--coordinator",
                          endpoint,
                          "--coordinator-key",
                          coord->pkhex,
                          NULL};
    m->pid = bench_spawn(argv, m->log, what, true);
}

/* Stops a daemon; a daemon that does not stop cleanly is worth a line. */
static void
s_daemon_stop(s_node_t *n)
{
    if (!n->pid)
        return;
    int rc = bench_stop(n->pid);
    if (rc != 0) {
        fprintf(stderr, "bench_sync: the daemon of %s exited with %d\n", n->id,
                rc);
        bench_tail(n->log);
    }
    n->pid = 0;
}

/* Waits until the coordinator's store holds size entries of author.
 * Returns the seconds it took, or -1 after timeout. */
static double
s_wait_visible(store_t *coord, const char *author, uint64_t size,
               double timeout)
{
    double t0 = bench_now();
    for (;;) {
        store_head_t h;
        int rc = store_head(coord, author, &h);
        double t = bench_now();
        if (rc && rc != VOCFED_ENOTFOUND)
            bench_fail("coordinator store: %s", vocfed_strerror(rc));
        if (!rc && h.size >= size)
            return t - t0;
        if (t - t0 > timeout)
            return -1;
        bench_check_daemons();
        bench_sleep_ns(S_POLL_NS);
    }
}

/* Whether the coordinator holds exactly m's log (size and root); mine
 * gets m's head. m's store must be open. */
static bool
s_same_head(store_t *coord, s_node_t *m, store_head_t *mine)
{
    store_head_t theirs;
    if (store_head(m->st, m->id, mine) || store_head(coord, m->id, &theirs))
        return false;
    return mine->size == theirs.size &&
           memcmp(mine->root, theirs.root, PROTO_HASH_LEN) == 0;
}

/* ---- raw limits ------------------------------------------------------- */

/* Raw LMDB: n values of len bytes appended with MDB_APPEND, per_txn values
 * per transaction, each committed (fsync) as LMDB does by default. With
 * index, each value also puts a 64-byte key in random order (the records'
 * pseudo ids, as the record index holds them) with an 8-byte value. */
static double
s_raw_lmdb(const char *dir, size_t n, size_t len, size_t per_txn, bool index)
{
    MDB_env *env;
    MDB_txn *txn = NULL;
    MDB_dbi dbi, idx;
    MDB_cursor *cur = NULL;
    uint8_t *val = calloc(1, len);
    if (!val || mkdir(dir, 0700) != 0 || mdb_env_create(&env) ||
        mdb_env_set_mapsize(env, (size_t)1 << 36) ||
        mdb_env_set_maxdbs(env, 4) || mdb_env_open(env, dir, MDB_NOTLS, 0600))
        bench_fail("raw lmdb: cannot open %s", dir);
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        if (!txn && (mdb_txn_begin(env, NULL, 0, &txn) ||
                     mdb_dbi_open(txn, "entries", MDB_CREATE, &dbi) ||
                     mdb_dbi_open(txn, "index", MDB_CREATE, &idx) ||
                     mdb_cursor_open(txn, dbi, &cur)))
            bench_fail("raw lmdb: cannot begin");
        uint8_t k[12] = {0};
        for (int j = 11; j >= 4; j--)
            k[j] = (uint8_t)((i + 1) >> (8 * (11 - j)));
        val[0] = (uint8_t)i;
        MDB_val key = {sizeof k, k}, d = {len, val};
        if (mdb_cursor_put(cur, &key, &d, MDB_APPEND))
            bench_fail("raw lmdb: put failed");
        if (index) {
            char pid[72];
            s_key(i, pid);
            MDB_val ik = {64, pid}, iv = {8, k + 4};
            if (mdb_put(txn, idx, &ik, &iv, 0))
                bench_fail("raw lmdb: index put failed");
        }
        if ((i + 1) % per_txn == 0 || i + 1 == n) {
            mdb_cursor_close(cur);
            if (mdb_txn_commit(txn))
                bench_fail("raw lmdb: commit failed");
            txn = NULL;
        }
    }
    double t1 = bench_now();
    mdb_env_close(env);
    free(val);
    bench_rmrf(dir);
    return (double)n / (t1 - t0);
}

static double
s_raw_blake2b(size_t n, size_t len)
{
    uint8_t *val = calloc(1, len), out[32];
    if (!val)
        bench_fail("out of memory");
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        val[0] = (uint8_t)i;
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, val, len, out);
        val[1] ^= out[0];
    }
    double t1 = bench_now();
    free(val);
    return (double)n / (t1 - t0);
}

/* The sending half of the raw ZeroMQ figure, in its own thread and its
 * own context (its own I/O thread, as in another process). */
typedef struct {
    char endpoint[64];  /* the ROUTER's */
    char server_pk[41]; /* its CURVE key, Z85 */
    const uint8_t *msg; /* what to send */
    size_t len;         /* its size */
    size_t count;       /* how many times */
    const char *error;  /* what failed, NULL if nothing */
} s_zsend_t;

static void *
s_zsend(void *arg)
{
    s_zsend_t *z = arg;
    char pub[41], sec[41], b[8];
    int linger = 0, timeo = 60000;
    void *ctx = zmq_ctx_new();
    void *d = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    if (!d || zmq_curve_keypair(pub, sec) ||
        zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, z->server_pk, 40) ||
        zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pub, 40) ||
        zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sec, 40) ||
        zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(d, ZMQ_RCVTIMEO, &timeo, sizeof timeo) ||
        zmq_setsockopt(d, ZMQ_SNDTIMEO, &timeo, sizeof timeo) ||
        zmq_connect(d, z->endpoint)) {
        z->error = "cannot set up the DEALER";
        goto done;
    }
    /* ready -> go, so that the handshake is not timed */
    if (zmq_send(d, "r", 1, 0) != 1 || zmq_recv(d, b, sizeof b, 0) != 1) {
        z->error = "no go from the ROUTER";
        goto done;
    }
    for (size_t i = 0; i < z->count; i++)
        if (zmq_send(d, z->msg, z->len, 0) != (int)z->len) {
            z->error = "send failed";
            goto done;
        }
    if (zmq_recv(d, b, sizeof b, 0) != 1)
        z->error = "no done from the ROUTER";
done:
    if (d)
        zmq_close(d);
    if (ctx)
        zmq_ctx_term(ctx);
    return NULL;
}

/* Raw ZeroMQ CURVE, DEALER -> ROUTER over loopback TCP: count messages of
 * len bytes. Returns messages per second. */
static double
s_raw_zmq(const uint8_t *msg, size_t len, size_t count)
{
    s_zsend_t z = {.msg = msg, .len = len, .count = count};
    char sec[41];
    int one = 1, linger = 0, timeo = 60000;
    int64_t max = PROTO_MSG_MAX + 1024 * 1024;
    size_t elen = sizeof z.endpoint;
    pthread_t th;
    zmq_msg_t id, m;
    void *ctx = zmq_ctx_new();
    void *r = ctx ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    if (!r || zmq_curve_keypair(z.server_pk, sec) ||
        zmq_setsockopt(r, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(r, ZMQ_CURVE_SECRETKEY, sec, 40) ||
        zmq_setsockopt(r, ZMQ_MAXMSGSIZE, &max, sizeof max) ||
        zmq_setsockopt(r, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(r, ZMQ_RCVTIMEO, &timeo, sizeof timeo) ||
        zmq_bind(r, "tcp://127.0.0.1:*") ||
        zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, z.endpoint, &elen))
        bench_fail("raw zmq: cannot set up the ROUTER: %s",
                   zmq_strerror(errno));
    if (pthread_create(&th, NULL, s_zsend, &z))
        bench_fail("raw zmq: cannot start a thread");
    zmq_msg_init(&id);
    zmq_msg_init(&m);
    if (zmq_msg_recv(&id, r, 0) < 0 || zmq_msg_recv(&m, r, 0) != 1)
        bench_fail("raw zmq: no ready from the DEALER");
    double t0 = bench_now();
    if (zmq_send(r, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE) < 0 ||
        zmq_send(r, "g", 1, 0) != 1)
        bench_fail("raw zmq: cannot send go");
    for (size_t i = 0; i < count; i++)
        if (zmq_msg_recv(&id, r, 0) < 0 || zmq_msg_recv(&m, r, 0) != (int)len)
            bench_fail("raw zmq: message %zu of %zu did not come", i, count);
    double t1 = bench_now();
    if (zmq_send(r, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE) < 0 ||
        zmq_send(r, "d", 1, 0) != 1)
        bench_fail("raw zmq: cannot send done");
    pthread_join(th, NULL);
    if (z.error)
        bench_fail("raw zmq: %s", z.error);
    zmq_msg_close(&id);
    zmq_msg_close(&m);
    zmq_close(r);
    zmq_ctx_term(ctx);
    return (double)count / (t1 - t0);
}

/* ---- options ------------------------------------------------------------- */

typedef struct {
    uint64_t entries;  /* part 1: entries to sync */
    unsigned runs;     /* part 1: runs */
    unsigned puts;     /* part 2: timed puts */
    unsigned members;  /* part 3: members */
    unsigned seconds;  /* part 3: window */
    bool skip_sync;    /* --skip-sync */
    bool skip_latency; /* --skip-latency */
    bool skip_members; /* --skip-members */
    bool serve;        /* --serve: part 1 with vocfed serve scraped */
    const char *tmp;   /* --dir: where the temporary folder goes */
    const char *mtmp;  /* --members-dir: part 3's member stores */
} s_conf_t;

/* ---- 1. initial sync ------------------------------------------------- */

/* Fills m's log with n records in transactions of S_FILL_TXN. Returns
 * records per second. */
static double
s_fill(s_node_t *m, uint64_t n)
{
    size_t per = n < S_FILL_TXN ? (size_t)n : S_FILL_TXN;
    char(*keys)[72] = calloc(per, sizeof *keys);
    store_record_t *recs = calloc(per, sizeof *recs);
    if (!keys || !recs)
        bench_fail("out of memory");
    double spent = 0;
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done < per ? (size_t)(n - done) : per;
        for (size_t i = 0; i < k; i++)
            recs[i] = s_record(done + i, keys[i]);
        bench_check_interrupted();
        double t0 = bench_now();
        int rc = store_append(m->st, m->id, m->sk, recs, k, 0, NULL, NULL);
        spent += bench_now() - t0;
        if (rc)
            bench_fail("filling %s: %s", m->id, vocfed_strerror(rc));
        done += k;
    }
    m->next = n;
    atomic_store(&m->size, n);
    free(keys);
    free(recs);
    return (double)n / spent;
}

static int
s_count_bytes(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    (void)seq;
    (void)data;
    *(uint64_t *)ctx += len;
    return 0;
}

/* ---- vocfed serve alongside (issue 15) ----------------------------------- */

/* A thread that fetches /metrics and / from vocfed serve every 100 ms. */
typedef struct {
    int port;         /* vocfed serve's */
    atomic_bool stop; /* set to end it */
    uint64_t ok;      /* answers 200 */
    uint64_t failed;  /* other answers, or none */
    double seconds;   /* spent waiting for the answers */
} s_scraper_t;

/* GET path from 127.0.0.1:port, read to the end. Whether it was 200. */
static bool
s_http_get(int port, const char *path)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    char req[256], buf[65536];
    int code = 0;
    ssize_t n;
    size_t got = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
             "close\r\n\r\n",
             path);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
        close(fd);
        return false;
    }
    while ((n = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
        if (got == 0) {
            buf[n] = 0;
            if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1)
                code = 0;
        }
        got += (size_t)n;
    }
    close(fd);
    return code == 200;
}

static void *
s_scrape(void *arg)
{
    s_scraper_t *sc = arg;
    static const char *const paths[] = {"/metrics", "/"};
    while (!atomic_load(&sc->stop)) {
        for (size_t i = 0; i < 2; i++) {
            double t0 = bench_now();
            if (s_http_get(sc->port, paths[i]))
                sc->ok++;
            else
                sc->failed++;
            sc->seconds += bench_now() - t0;
        }
        bench_sleep_ns(100000000);
    }
    return NULL;
}

static void
s_bench_sync(const s_conf_t *cf)
{
    unsigned runs = cf->runs;
    uint64_t n = cf->entries;
    double *sync = calloc(runs, sizeof(double));
    double *fill = calloc(runs, sizeof(double));
    double *zmsgs = calloc(runs, sizeof(double));
    double *lmdb1 = calloc(runs, sizeof(double));
    double *lmdbb = calloc(runs, sizeof(double));
    double *lmdbk = calloc(runs, sizeof(double));
    double *lmdbi = calloc(runs, sizeof(double));
    double *ccpu = calloc(runs, sizeof(double));
    double *cwrite = calloc(runs, sizeof(double));
    double *scpu = calloc(runs, sizeof(double));
    double *blake = calloc(runs, sizeof(double));
    double *scrapes = calloc(runs, sizeof(double));
    double *scrape_ms = calloc(runs, sizeof(double));
    double *serve_cpu = calloc(runs, sizeof(double));
    double *first_tenth = calloc(runs, sizeof(double));
    double *last_tenth = calloc(runs, sizeof(double));
    if (!first_tenth || !last_tenth || !lmdbk)
        bench_fail("out of memory");
    uint64_t scrape_failed = 0;
    uint64_t entry_bytes = 0;
    size_t msg_len = 0, msg_entries = 0;
    if (!scrapes || !scrape_ms || !serve_cpu)
        bench_fail("out of memory");
    if (!sync || !fill || !zmsgs || !lmdb1 || !lmdbb || !lmdbi || !blake ||
        !ccpu || !cwrite || !scpu)
        bench_fail("out of memory");

    for (unsigned r = 0; r < runs; r++) {
        char part[BENCH_PATH_MAX], endpoint[64], timeout[32];
        s_node_t coord, m;
        bench_path(part, "%s/sync-%u", bench_g.root, r + 1);
        fprintf(stderr,
                "bench_sync: sync run %u/%u: filling %" PRIu64 " entries\n",
                r + 1, runs, n);
        s_node_init(&coord, part, "coord", true);
        s_node_init(&m, part, "m1", false);
        s_node_open(&m, true);
        fill[r] = s_fill(&m, n);

        /* What goes over the wire: the entries' bytes, and the first batch
         * the member will send, built the way it builds it. */
        proto_buf_t batch;
        uint64_t last = 0;
        proto_buf_init(&batch);
        entry_bytes = 0;
        if (store_scan_entries(m.st, m.id, 1, s_count_bytes, &entry_bytes) ||
            node_batch_build(m.st, m.id, 0, NODE_BATCH_ENTRIES,
                             NODE_BATCH_BYTES, &batch, &last))
            bench_fail("cannot read back the member's log");
        msg_len = batch.len;
        msg_entries = (size_t)last;
        s_node_close(&m);
        s_admit(&coord, &m);

        s_coordinator_start(&coord, endpoint);
        pid_t serve = 0;
        pthread_t scraper;
        s_scraper_t sc = {0};
        if (cf->serve) {
            serve = bench_serve_start(coord.dir, coord.log, &sc.port);
            if (pthread_create(&scraper, NULL, s_scrape, &sc) != 0)
                bench_fail("cannot start the scraper");
        }
        snprintf(timeout, sizeof timeout, "%" PRIu64, 600 + n / 1000);
        const char *argv[] = {VOCFED_BINARY,
                              "--dir",
                              m.dir,
                              "sync",
                              "--coordinator",
                              endpoint,
                              "--coordinator-key",
                              coord.pkhex,
                              "--timeout",
                              timeout,
                              NULL};
        fprintf(stderr, "bench_sync: sync run %u/%u: vocfed sync\n", r + 1,
                runs);
        double ccpu0 = bench_proc_cpu(coord.pid),
               cw0 = bench_proc_io(coord.pid, "wchar");
        double t0 = bench_now();
        pid_t pid = bench_spawn(argv, m.log, "vocfed sync", false);
        int rc;
        /* The coordinator's log of m, read every 50 ms: when it passed
         * each tenth of n (the rate of the first tenth against the last). */
        store_t *watch = NULL;
        double tenth_t[11] = {0};
        unsigned tenths = 0;
        while ((rc = bench_wait(pid, 0.05, 1000000)) < 0) {
            bench_check_daemons();
            store_head_t h;
            if (!watch && store_open(coord.dir, NULL, &watch))
                watch = NULL;
            if (watch && !store_head(watch, m.id, &h))
                while (tenths < 10 && h.size >= (tenths + 1) * (n / 10))
                    tenth_t[++tenths] = bench_now() - t0;
        }
        double t1 = bench_now();
        store_destroy(&watch);
        while (tenths < 10) /* the rest came in the last 50 ms */
            tenth_t[++tenths] = t1 - t0;
        first_tenth[r] =
            (double)(n / 10) / (tenth_t[1] > 0 ? tenth_t[1] : 1e-9);
        last_tenth[r] =
            (double)(n / 10) /
            (tenth_t[10] - tenth_t[9] > 0 ? tenth_t[10] - tenth_t[9] : 1e-9);
        if (rc != 0) {
            bench_tail(coord.log);
            bench_tail(m.log);
            bench_fail("vocfed sync exited with %d", rc);
        }
        sync[r] = (double)n / (t1 - t0);
        ccpu[r] = (bench_proc_cpu(coord.pid) - ccpu0) / (t1 - t0);
        cwrite[r] = (bench_proc_io(coord.pid, "wchar") - cw0) / (double)n;
        scpu[r] = (double)bench_g.rusage.ru_utime.tv_sec +
                  (double)bench_g.rusage.ru_utime.tv_usec / 1e6 +
                  (double)bench_g.rusage.ru_stime.tv_sec +
                  (double)bench_g.rusage.ru_stime.tv_usec / 1e6;
        if (serve) {
            atomic_store(&sc.stop, true);
            pthread_join(scraper, NULL);
            scrapes[r] = (double)sc.ok / (t1 - t0);
            scrape_ms[r] = sc.ok ? 1000 * sc.seconds / (double)sc.ok : 0;
            scrape_failed += sc.failed;
            serve_cpu[r] = bench_proc_cpu(serve) / (t1 - t0);
            if (bench_stop(serve) != 0)
                bench_fail("vocfed serve did not stop cleanly");
        }
        s_daemon_stop(&coord);

        store_t *cst = NULL;
        store_head_t mine;
        s_node_open(&m, false);
        if (store_open(coord.dir, NULL, &cst) || !s_same_head(cst, &m, &mine) ||
            mine.size != n)
            bench_fail("after sync the coordinator does not hold the member's "
                       "head (%" PRIu64 " entries)",
                       n);
        store_destroy(&cst);
        s_node_close(&m);
        if (!bench_g.keep || r + 1 < runs)
            bench_rmrf(part);

        /* The raw limits, on the same machine, in the same run. */
        char dir[BENCH_PATH_MAX];
        size_t avg = (size_t)(entry_bytes / n);
        size_t nmsg = (size_t)((n + msg_entries - 1) / msg_entries);
        fprintf(stderr, "bench_sync: sync run %u/%u: raw limits\n", r + 1,
                runs);
        zmsgs[r] = s_raw_zmq(batch.data, msg_len, nmsg);
        proto_buf_release(&batch);
        bench_path(dir, "%s/raw-lmdb", bench_g.root);
        lmdb1[r] = s_raw_lmdb(dir, (size_t)n, avg, S_BIG_TXN, false);
        lmdbb[r] = s_raw_lmdb(dir, (size_t)n, avg, msg_entries, false);
        lmdbk[r] = msg_entries == S_KILO_TXN
                       ? lmdbb[r]
                       : s_raw_lmdb(dir, (size_t)n, avg, S_KILO_TXN, false);
        lmdbi[r] = s_raw_lmdb(dir, (size_t)n, avg, msg_entries, true);
        blake[r] = s_raw_blake2b((size_t)n, avg);
    }

    double m_sync = bench_median(sync, runs), m_fill = bench_median(fill, runs);
    double m_zmsg = bench_median(zmsgs, runs), m_l1 = bench_median(lmdb1, runs);
    double m_lb = bench_median(lmdbb, runs), m_li = bench_median(lmdbi, runs);
    double m_blake = bench_median(blake, runs);
    double m_lk = bench_median(lmdbk, runs);
    double m_zent = m_zmsg * (double)msg_entries;
    printf("bench_sync: initial sync of %" PRIu64 " entries, %" PRIu64
           " bytes per entry on average, batches of %zu entries (%zu bytes); "
           "median of %u runs\n",
           n, entry_bytes / n, msg_entries, msg_len, runs);
    printf("  raw ZeroMQ CURVE, DEALER->ROUTER     %12.0f entries/s  (%.0f "
           "MB/s in %zu-byte messages)\n",
           m_zent, m_zmsg * (double)msg_len / 1e6, msg_len);
    if (n <= S_BIG_TXN)
        printf("  raw LMDB append (1 txn)              %12.0f values/s\n",
               m_l1);
    else
        printf("  raw LMDB append (1 txn per %d) %12.0f values/s\n", S_BIG_TXN,
               m_l1);
    printf("  raw LMDB append (1 txn per batch)    %12.0f values/s\n", m_lb);
    printf("  raw LMDB append (1 txn per %d)     %12.0f values/s  (batches "
           "of 1,000 entries, as members sent them before 2026-12-05)\n",
           S_KILO_TXN, m_lk);
    printf("  raw LMDB, + random-key index         %12.0f values/s  (1 txn "
           "per batch; a 64-byte pseudo id per value)\n",
           m_li);
    printf("  raw BLAKE2b-256 leaf hash            %12.0f hashes/s\n", m_blake);
    printf("  store_append filling the member      %12.0f records/s  (for "
           "reference: %d per txn)\n",
           m_fill, S_FILL_TXN);
    printf("  vocfed sync, start to exit 0         %12.0f entries/s  (%.2f "
           "s)\n",
           m_sync, (double)n / m_sync);
    printf("    ratio to raw ZeroMQ CURVE %.3f, LMDB 1 txn %.3f, LMDB per "
           "batch %.3f, LMDB + index %.3f, BLAKE2b %.3f\n",
           m_sync / m_zent, m_sync / m_l1, m_sync / m_lb, m_sync / m_li,
           m_sync / m_blake);
    printf("    ratio to raw LMDB 1 txn per %d %.3f\n", S_KILO_TXN,
           m_sync / m_lk);
    /* The coordinator reads one member's bytes at its rate after a burst
     * when others' messages compete (SPEC 10.5); a member alone, as here,
     * is lent the spare capacity. */
    node_rates_t rt = node_sessions_rates();
    double bytes = (double)msg_len * ((double)n / (double)msg_entries);
    double least =
        bytes > rt.burst_bytes ? (bytes - rt.burst_bytes) / rt.bytes : 0;
    if (least > 0)
        printf("    the member's rate at the coordinator (%.0f MiB/s after "
               "%.0f MiB, SPEC 10.5; VOCFED_RATE_BYTES) would let %.0f MB "
               "take no less than %.2f s (at most %.0f entries/s) among "
               "busy members; alone, it is lent the spare capacity\n",
               rt.bytes / 1048576, rt.burst_bytes / 1048576, bytes / 1e6, least,
               (double)n / least);
    else
        printf("    the member's rate at the coordinator (%.0f MiB/s after "
               "%.0f MiB, SPEC 10.5) does not bind: %.0f MB fit in its "
               "burst\n",
               rt.bytes / 1048576, rt.burst_bytes / 1048576, bytes / 1e6);
    printf("    at the coordinator, the first tenth (%" PRIu64
           " entries) came in at %.0f/s, the last at %.0f/s (last/first "
           "%.2f; its log read every 50 ms)\n",
           n / 10, bench_median(first_tenth, runs),
           bench_median(last_tenth, runs),
           bench_median(last_tenth, runs) / bench_median(first_tenth, runs));
    printf("    coordinator busy %.0f %% of the sync (utime+stime), wrote "
           "%.0f bytes per entry (wchar); vocfed sync used %.2f s of CPU\n",
           100 * bench_median(ccpu, runs), bench_median(cwrite, runs),
           bench_median(scpu, runs));
    if (cf->serve)
        printf("    with vocfed serve at the coordinator, /metrics and / "
               "fetched every 100 ms: %.1f answers/s, %.1f ms each (median), "
               "%" PRIu64 " failed; serve used %.0f %% of a core\n",
               bench_median(scrapes, runs), bench_median(scrape_ms, runs),
               scrape_failed, 100 * bench_median(serve_cpu, runs));
    fflush(stdout);
    free(scrapes);
    free(scrape_ms);
    free(serve_cpu);
    free(first_tenth);
    free(last_tenth);
    free(sync);
    free(fill);
    free(zmsgs);
    free(lmdb1);
    free(lmdbb);
    free(lmdbk);
    free(lmdbi);
    free(ccpu);
    free(cwrite);
    free(scpu);
    free(blake);
}

/* ---- 2. put-to-visible latency ------------------------------------------ */

static void
s_print_latency(const char *what, double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    printf("  %-34s median %7.2f ms  p90 %7.2f  p99 %7.2f  max %7.2f  "
           "mean %7.2f  (n=%zu)\n",
           what, 1e3 * bench_percentile(v, n, 50),
           1e3 * bench_percentile(v, n, 90), 1e3 * bench_percentile(v, n, 99),
           1e3 * v[n - 1], 1e3 * sum / (double)n, n);
}

/* One put and its wait; returns the seconds from the append's return
 * until the coordinator holds it. reopen: open the store and load the key
 * before, close after, as `vocfed put` does. Otherwise the store stays
 * open, and a put the daemon has not sent after S_STUCK_S is poked
 * (s_node_poke) so that the run goes on; *stuck counts those. */
static double
s_timed_put(s_node_t *m, store_t *cst, bool reopen, const char *what,
            const s_node_t *coord, unsigned *stuck)
{
    if (reopen)
        s_node_open(m, true);
    int rc = s_node_put(m);
    double t0 = bench_now();
    if (rc)
        bench_fail("put on %s: %s", m->id, vocfed_strerror(rc));
    if (reopen)
        s_node_close(m);
    double w = s_wait_visible(cst, m->id, m->size,
                              reopen ? S_VISIBLE_TIMEOUT : S_STUCK_S);
    if (w < 0 && !reopen) {
        (*stuck)++;
        if (s_node_poke(m))
            bench_fail("cannot open %s", m->data);
        w = s_wait_visible(cst, m->id, m->size, S_VISIBLE_TIMEOUT);
    }
    if (w < 0) {
        bench_tail(coord->log);
        bench_tail(m->log);
        bench_fail("%s: seq %" PRIu64
                   " did not reach the coordinator in %.0f s",
                   what, (uint64_t)m->size, S_VISIBLE_TIMEOUT);
    }
    return bench_now() - t0;
}

static void
s_bench_latency(const s_conf_t *cf)
{
    char part[BENCH_PATH_MAX], endpoint[64];
    s_node_t coord, m;
    store_t *cst = NULL;
    size_t k = cf->puts;
    unsigned stuck = 0;
    double *lat = calloc(k, sizeof(double));
    double *kept = calloc(S_E2E_PUTS, sizeof(double));
    double *e2e = calloc(S_E2E_PUTS, sizeof(double));
    double *proc = calloc(S_E2E_PUTS, sizeof(double));
    if (!lat || !kept || !e2e || !proc)
        bench_fail("out of memory");
    fprintf(stderr, "bench_sync: latency: %zu puts\n", k);
    bench_path(part, "%s/latency", bench_g.root);
    s_node_init(&coord, part, "coord", true);
    s_node_init(&m, part, "m1", false);
    s_admit(&coord, &m);
    s_coordinator_start(&coord, endpoint);
    s_node_start(&m, endpoint, &coord);
    if (store_open(coord.dir, NULL, &cst))
        bench_fail("cannot open the coordinator's store");

    /* Untimed: the first waits for the connection. */
    for (int i = 0; i < S_WARMUP_PUTS; i++)
        (void)s_timed_put(&m, cst, true, "warm-up put", &coord, NULL);
    /* As `vocfed put` does it, without the process: open the store, load
     * the key, append one record under one checkpoint, close. */
    for (size_t i = 0; i < k; i++) {
        bench_sleep_ns(1000000L * s_rand(5, 20));
        bench_check_interrupted();
        lat[i] = s_timed_put(&m, cst, true, "put", &coord, NULL);
    }
    /* A writer that keeps the store open (an importer, a service): the
     * same append, no open or close around it. */
    s_node_open(&m, true);
    for (size_t i = 0; i < S_E2E_PUTS; i++) {
        bench_sleep_ns(1000000L * s_rand(5, 20));
        bench_check_interrupted();
        kept[i] =
            s_timed_put(&m, cst, false, "put, store kept open", &coord, &stuck);
    }
    s_node_close(&m);

    /* With a real `vocfed put` process: spawn, its own store open and key
     * load, the append, its exit; then the same wait. */
    for (size_t i = 0; i < S_E2E_PUTS; i++) {
        char key[72];
        bench_sleep_ns(1000000L * s_rand(5, 20));
        bench_check_interrupted();
        s_key(1000000000u + i, key);
        const char *argv[] = {VOCFED_BINARY,
                              "--dir",
                              m.dir,
                              "put",
                              "student",
                              key,
                              "level=higher",
                              "major=460104",
                              "pathway=three_plus_two",
                              "intake_year=2024",
                              "status=enrolled",
                              "source_school=340803-jh-012",
                              "origin_region=340803",
                              "coop_class=",
                              NULL};
        double t0 = bench_now();
        pid_t pid = bench_spawn(argv, m.log, "vocfed put", false);
        int rc = bench_wait(pid, S_VISIBLE_TIMEOUT, 50000);
        double t1 = bench_now();
        if (rc != 0) {
            if (rc < 0)
                (void)bench_stop(pid);
            bench_tail(m.log);
            bench_fail("vocfed put exited with %d", rc);
        }
        atomic_fetch_add(&m.size, 1);
        double w = s_wait_visible(cst, m.id, m.size, S_VISIBLE_TIMEOUT);
        if (w < 0) {
            bench_tail(coord.log);
            bench_tail(m.log);
            bench_fail("vocfed put %zu did not reach the coordinator", i + 1);
        }
        proc[i] = t1 - t0;
        e2e[i] = t1 - t0 + w;
    }
    store_head_t mine;
    s_node_open(&m, false);
    if (!s_same_head(cst, &m, &mine))
        bench_fail("the coordinator's copy of %s differs from it", m.id);
    store_destroy(&cst);
    s_node_close(&m);
    s_daemon_stop(&m);
    s_daemon_stop(&coord);

    printf("bench_sync: put-to-visible latency, one record under one "
           "checkpoint per put, 5-20 ms apart; `vocfed node` and `vocfed "
           "coordinator` running\n");
    s_print_latency("append returned -> at coordinator", lat, k);
    s_print_latency("  the same, store kept open", kept, S_E2E_PUTS);
    if (stuck)
        printf("    %u of these %d were not sent until poked after %.0f s "
               "(see README)\n",
               stuck, S_E2E_PUTS, S_STUCK_S);
    s_print_latency("`vocfed put` spawned -> at coord.", e2e, S_E2E_PUTS);
    s_print_latency("  of which the put process", proc, S_E2E_PUTS);
    fflush(stdout);
    free(lat);
    free(kept);
    free(e2e);
    free(proc);
}

/* ---- 3. many members ------------------------------------------------------
 */

/* One appending thread of part 3: members first, first + step, ... */
typedef struct {
    s_node_t *nodes;   /* all members */
    size_t m;          /* how many */
    size_t first;      /* its first member */
    size_t step;       /* stride between its members */
    double t0;         /* window start (bench_now) */
    unsigned seconds;  /* window length */
    double late_max;   /* worst delay of an append behind its schedule */
    double busy;       /* seconds spent in appends */
    uint64_t appended; /* records appended */
    int rc;            /* first failure, 0 if none */
    pthread_t th;      /* the thread */
} s_writer_t;

static void *
s_writer(void *arg)
{
    s_writer_t *w = arg;
    uint64_t slots = (uint64_t)w->seconds * S_RECORDS_RATE;
    double period = 1.0 / S_RECORDS_RATE;
    for (uint64_t k = 0; k < slots && !node_daemon_stopping(); k++)
        for (size_t i = w->first; i < w->m; i += w->step) {
            /* Member i's k-th record is due at an even spread over the
             * period, so the members do not all commit at once. */
            double due =
                w->t0 + ((double)k + (double)i / (double)w->m) * period;
            s_sleep_until(due);
            double late = bench_now() - due;
            if (late > w->late_max)
                w->late_max = late;
            double t = bench_now();
            if ((w->rc = s_node_put(&w->nodes[i])) ||
                (w->rc = s_node_poke(&w->nodes[i])))
                return NULL;
            w->busy += bench_now() - t;
            w->appended++;
        }
    return NULL;
}

/* Entries the coordinator lacks, summed over members; max on one; held
 * (if not NULL) gets the entries it holds of them all. */
static uint64_t
s_lag(store_t *cst, s_node_t *nodes, size_t m, uint64_t *max, size_t *behind,
      uint64_t *held)
{
    uint64_t total = 0;
    *max = 0;
    *behind = 0;
    if (held)
        *held = 0;
    for (size_t i = 0; i < m; i++) {
        store_head_t h;
        if (store_head(cst, nodes[i].id, &h))
            h.size = 0;
        if (held)
            *held += h.size;
        /* The coordinator first, then ours: the lag is never negative. */
        uint64_t mine = atomic_load(&nodes[i].size);
        uint64_t d = mine > h.size ? mine - h.size : 0;
        total += d;
        if (d > *max)
            *max = d;
        if (d)
            (*behind)++;
    }
    return total;
}

static void
s_bench_members(const s_conf_t *cf)
{
    char part[BENCH_PATH_MAX], endpoint[64];
    size_t m = cf->members;
    s_node_t coord;
    s_node_t *nodes = calloc(m, sizeof *nodes);
    size_t nw = (m + S_PER_WRITER - 1) / S_PER_WRITER;
    s_writer_t *w = calloc(nw, sizeof *w);
    uint64_t *lags = calloc(cf->seconds, sizeof *lags);
    store_t *cst = NULL;
    uint64_t mx, held0, held1;
    size_t behind;
    if (!nodes || !w || !lags)
        bench_fail("out of memory");
    char mpart[BENCH_PATH_MAX];
    /* The members' stores stand for other machines: by default on tmpfs,
     * so that their commits do not queue on the coordinator's disk. */
    int n = snprintf(bench_g.mroot, sizeof bench_g.mroot,
                     "%s/vocfed-bench-sync-members-XXXXXX", cf->mtmp);
    if (n < 0 || (size_t)n >= sizeof bench_g.mroot || !mkdtemp(bench_g.mroot)) {
        bench_g.mroot[0] = '\0';
        bench_fail("cannot make a folder in %s", cf->mtmp);
    }
    fprintf(stderr, "bench_sync: members: making %zu member stores in %s\n", m,
            bench_g.mroot);
    bench_path(part, "%s/members", bench_g.root);
    bench_path(mpart, "%s/members", bench_g.mroot);
    s_node_init(&coord, part, "coord", true);
    for (size_t i = 0; i < m; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%04zu", i + 1);
        s_node_init(&nodes[i], mpart, id, false);
        s_admit(&coord, &nodes[i]);
        bench_check_interrupted();
    }
    s_coordinator_start(&coord, endpoint);
    if (store_open(coord.dir, NULL, &cst))
        bench_fail("cannot open the coordinator's store");

    /* Startup: every node dials, is admitted, says hello, pulls the
     * roster; its first record reaching the coordinator ends it. */
    fprintf(stderr, "bench_sync: members: starting %zu nodes\n", m);
    double t_start = bench_now();
    for (size_t i = 0; i < m; i++)
        s_node_start(&nodes[i], endpoint, &coord);
    for (size_t i = 0; i < m; i++) {
        int rc;
        s_node_open(&nodes[i], true);
        if ((rc = s_node_put(&nodes[i])) || (rc = s_node_poke(&nodes[i])))
            bench_fail("put on %s: %s", nodes[i].id, vocfed_strerror(rc));
    }
    for (size_t i = 0; i < m; i++)
        if (s_wait_visible(cst, nodes[i].id, 1, S_VISIBLE_TIMEOUT + (double)m) <
            0) {
            bench_tail(coord.log);
            bench_tail(nodes[i].log);
            bench_fail("%s's first record did not reach the coordinator",
                       nodes[i].id);
        }
    double startup = bench_now() - t_start;

    fprintf(stderr, "bench_sync: members: %u s window\n", cf->seconds);
    double nodes_cpu0 = 0, lag_sum = 0;
    uint64_t lag_max = 0;
    unsigned samples = 0;
    for (size_t i = 0; i < m; i++)
        nodes_cpu0 += bench_proc_cpu(nodes[i].pid);
    (void)s_lag(cst, nodes, m, &mx, &behind, &held0);
    double t0 = bench_now() + 0.05;
    double cpu0 = bench_proc_cpu(coord.pid), self0 = bench_proc_cpu(getpid());
    for (size_t j = 0; j < nw; j++) {
        w[j] = (s_writer_t){.nodes = nodes,
                            .m = m,
                            .first = j,
                            .step = nw,
                            .t0 = t0,
                            .seconds = cf->seconds};
        if (pthread_create(&w[j].th, NULL, s_writer, &w[j]))
            bench_fail("cannot start a thread");
    }
    /* Once a second: how far behind the coordinator is. */
    for (unsigned s = 1; s <= cf->seconds && !node_daemon_stopping(); s++) {
        s_sleep_until(t0 + s);
        uint64_t lag = s_lag(cst, nodes, m, &mx, &behind, NULL);
        lags[samples++] = lag;
        lag_sum += (double)lag;
        if (lag > lag_max)
            lag_max = lag;
    }
    uint64_t appended = 0;
    double late_max = 0, busy = 0;
    int rc = 0;
    for (size_t j = 0; j < nw; j++) {
        pthread_join(w[j].th, NULL);
        appended += w[j].appended;
        busy += w[j].busy;
        if (w[j].late_max > late_max)
            late_max = w[j].late_max;
        if (w[j].rc && !rc)
            rc = w[j].rc;
    }
    double t1 = bench_now();
    double cpu1 = bench_proc_cpu(coord.pid), self1 = bench_proc_cpu(getpid());
    double hwm = bench_proc_mem(coord.pid, "VmHWM");
    double rss = bench_proc_mem(coord.pid, "VmRSS");
    double anon = bench_proc_mem(coord.pid, "RssAnon");
    double nodes_cpu1 = 0;
    for (size_t i = 0; i < m; i++)
        nodes_cpu1 += bench_proc_cpu(nodes[i].pid);
    bench_check_interrupted();
    if (rc)
        bench_fail("an append failed: %s", vocfed_strerror(rc));
    uint64_t end_max;
    size_t end_behind;
    uint64_t end_lag = s_lag(cst, nodes, m, &end_max, &end_behind, &held1);

    /* Then every log must arrive whole. */
    double drain = -1, td = bench_now();
    double drain_max = 60 + (double)m + 4 * (double)cf->seconds;
    while (bench_now() - td < drain_max) {
        if (s_lag(cst, nodes, m, &mx, &behind, NULL) == 0) {
            drain = bench_now() - td;
            break;
        }
        bench_check_daemons();
        bench_sleep_ns(1000000);
    }
    double coord_cpu_after = bench_proc_cpu(coord.pid);
    size_t differ = 0;
    for (size_t i = 0; drain >= 0 && i < m; i++) {
        store_head_t mine;
        if (!s_same_head(cst, &nodes[i], &mine)) {
            if (!differ)
                bench_tail(nodes[i].log);
            differ++;
            fprintf(stderr, "bench_sync: %s: the coordinator's copy differs\n",
                    nodes[i].id);
        }
    }
    for (size_t i = 0; i < m; i++)
        s_node_close(&nodes[i]);
    store_destroy(&cst);
    for (size_t i = 0; i < m; i++)
        kill(nodes[i].pid, SIGTERM);
    for (size_t i = 0; i < m; i++)
        s_daemon_stop(&nodes[i]);
    s_daemon_stop(&coord);

    double window = t1 - t0;
    printf("bench_sync: %zu members (a `vocfed node` each, stores in %s), "
           "%d records/s each for %u s; one `vocfed coordinator` (store in "
           "%s)\n",
           m, cf->mtmp, S_RECORDS_RATE, cf->seconds, cf->tmp);
    printf("  startup, nodes started -> first record of each at the "
           "coordinator  %.2f s\n",
           startup);
    printf("  appended %" PRIu64 " records, %.0f/s (asked %zu/s), %.2f ms "
           "per put, at most %.1f ms behind schedule; this process used "
           "%.1f %% of one core\n",
           appended, (double)appended / window, m * S_RECORDS_RATE,
           appended ? 1e3 * busy / (double)appended : 0.0, 1e3 * late_max,
           100 * (self1 - self0) / window);
    printf("  coordinator took in  %6.0f entries/s over the window\n",
           (double)(held1 - held0) / window);
    printf("  coordinator CPU      %6.1f %% of one core (utime+stime over "
           "the %.1f s window)\n",
           100 * (cpu1 - cpu0) / window, window);
    printf("  coordinator memory   peak %.1f MiB (VmHWM), at the end %.1f MiB "
           "(VmRSS), of which %.1f MiB not file pages (RssAnon)\n",
           hwm, rss, anon);
    printf("  member daemons CPU   %6.1f %% of one core in all, %.2f %% each "
           "on average\n",
           100 * (nodes_cpu1 - nodes_cpu0) / window,
           100 * (nodes_cpu1 - nodes_cpu0) / window / (double)m);
    printf("  lag (entries the coordinator lacks), once a second: mean %.1f, "
           "max %" PRIu64 ":",
           samples ? lag_sum / samples : 0.0, lag_max);
    for (unsigned i = 0; i < samples; i++)
        printf(" %" PRIu64, lags[i]);
    printf("\n  lag at the end of the window: %" PRIu64 " entries on %zu "
           "members, at most %" PRIu64 " on one\n",
           end_lag, end_behind, end_max);
    fflush(stdout);
    if (drain < 0)
        bench_fail("the coordinator did not catch up within %.0f s", drain_max);
    if (differ)
        bench_fail("%zu of %zu members' logs differ at the coordinator", differ,
                   m);
    printf("  caught up %.3f s after the window (coordinator CPU meanwhile "
           "%.2f s); every member's log at the coordinator equals its own "
           "(size and root)\n",
           drain, coord_cpu_after - cpu1);
    fflush(stdout);
    free(nodes);
    free(w);
    free(lags);
}

/* ---- main ------------------------------------------------------------------
 */

static bool
s_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static void
s_usage(FILE *f)
{
    fprintf(f,
            "usage: bench_sync [--entries N] [--runs R] [--puts K] "
            "[--members M]\n"
            "                  [--seconds D] [--skip-sync] "
            "[--skip-latency] [--skip-members]\n"
            "                  [--dir TMP] [--members-dir DIR] [--keep] "
            "[--serve]\n"
            "  --entries N   part 1: entries to sync (default 1000000)\n"
            "  --runs R      part 1: runs, medians printed (default 3)\n"
            "  --puts K      part 2: timed puts (default 200)\n"
            "  --members M   part 3: member daemons (default 100)\n"
            "  --seconds D   part 3: window, 10 records/s per member "
            "(default 30)\n"
            "  --dir TMP     where the temporary folder goes (default /tmp)\n"
            "  --members-dir DIR  part 3's member stores (default /dev/shm "
            "if\n"
            "                writable, else TMP: members stand for other "
            "machines)\n"
            "  --keep        keep it (stores and daemon logs)\n"
            "  --serve       part 1 with `vocfed serve` at the coordinator, "
            "its\n"
            "                /metrics and / fetched every 100 ms during the "
            "sync\n"
            "vocfed binary: %s\n",
            VOCFED_BINARY);
}

int
main(int argc, char **argv)
{
    s_conf_t cf = {.entries = 1000000,
                   .runs = 3,
                   .puts = 200,
                   .members = 100,
                   .seconds = 30,
                   .tmp = "/tmp",
                   .mtmp = NULL};
    enum {
        OPT_SKIP_SYNC = 256,
        OPT_SKIP_LATENCY,
        OPT_SKIP_MEMBERS,
        OPT_MEMBERS_DIR,
        OPT_SERVE,
    };
    static const struct option opts[] = {
        {"entries", required_argument, 0, 'n'},
        {"runs", required_argument, 0, 'r'},
        {"puts", required_argument, 0, 'p'},
        {"members", required_argument, 0, 'm'},
        {"seconds", required_argument, 0, 's'},
        {"skip-sync", no_argument, 0, OPT_SKIP_SYNC},
        {"skip-latency", no_argument, 0, OPT_SKIP_LATENCY},
        {"skip-members", no_argument, 0, OPT_SKIP_MEMBERS},
        {"serve", no_argument, 0, OPT_SERVE},
        {"dir", required_argument, 0, 'd'},
        {"members-dir", required_argument, 0, OPT_MEMBERS_DIR},
        {"keep", no_argument, 0, 'k'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "n:r:p:m:s:d:kh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!s_parse_u64(optarg, 1, 1000000000, &cf.entries))
                goto usage;
            break;
        case 'r':
            if (!s_parse_u64(optarg, 1, 99, &v))
                goto usage;
            cf.runs = (unsigned)v;
            break;
        case 'p':
            if (!s_parse_u64(optarg, 1, 1000000, &v))
                goto usage;
            cf.puts = (unsigned)v;
            break;
        case 'm':
            if (!s_parse_u64(optarg, 1, 10000, &v))
                goto usage;
            cf.members = (unsigned)v;
            break;
        case 's':
            if (!s_parse_u64(optarg, 1, 86400, &v))
                goto usage;
            cf.seconds = (unsigned)v;
            break;
        case OPT_SKIP_SYNC:
            cf.skip_sync = true;
            break;
        case OPT_SKIP_LATENCY:
            cf.skip_latency = true;
            break;
        case OPT_SKIP_MEMBERS:
            cf.skip_members = true;
            break;
        case OPT_SERVE:
            cf.serve = true;
            break;
        case 'd':
            cf.tmp = optarg;
            break;
        case OPT_MEMBERS_DIR:
            cf.mtmp = optarg;
            break;
        case 'k':
            bench_g.keep = true;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            goto usage;
        }
    }
    if (optind < argc)
        goto usage;
    if (!cf.mtmp)
        cf.mtmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : cf.tmp;
    if (sodium_init() < 0)
        return 3;
    if (access(VOCFED_BINARY, X_OK) != 0) {
        fprintf(stderr, "bench_sync: no vocfed binary at %s\n", VOCFED_BINARY);
        return 3;
    }

    /* SIGINT and SIGTERM stop the runs (node_daemon_stopping); SIGPIPE is
     * ignored. */
    node_daemon_signals();
    bench_proc_init("bench_sync"); /* children and folders go at exit */

    char root[BENCH_PATH_MAX], logs[BENCH_PATH_MAX];
    int n = snprintf(root, sizeof root, "%s/vocfed-bench-sync-XXXXXX", cf.tmp);
    if (n < 0 || (size_t)n >= sizeof root || !mkdtemp(root)) {
        fprintf(stderr, "bench_sync: cannot make a folder in %s\n", cf.tmp);
        return 3;
    }
    snprintf(bench_g.root, sizeof bench_g.root, "%s", root);
    bench_path(logs, "%s/logs", bench_g.root);
    if (mkdir(logs, 0700) != 0)
        bench_fail("cannot make %s", logs);
    s_bodies_init();

    if (!cf.skip_sync)
        s_bench_sync(&cf);
    if (!cf.skip_latency)
        s_bench_latency(&cf);
    if (!cf.skip_members)
        s_bench_members(&cf);
    for (size_t i = 0; i < 12; i++)
        proto_buf_release(&s_bodies[i]);
    return 0;

usage:
    fprintf(stderr, "bench_sync: bad arguments\n");
    s_usage(stderr);
    return 2;
}
