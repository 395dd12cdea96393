/* vocfed bench: a province on one coordinator (issue 11, item 5).
 *
 * One real coordinator daemon (`vocfed coordinator` of the same build,
 * VOCFED_BINARY, a child process on 127.0.0.1, stopped by pid) and M
 * members, all spoken for by this one process: each member has its own
 * Ed25519 key on the coordinator's roster (`vocfed members add`), its own
 * small LMDB store (the log and the record index, no figures: on /dev/shm
 * by default, members stand for other machines), and its own CURVE
 * DEALER connection. A member speaks as `vocfed node` does (SPEC 8, 10.3):
 * hello, the heads that answer it, batches built from its store by
 * node_batch_build (entries, checkpoints, proofs) within a window, signed
 * receipts checked with the coordinator's key.
 *
 * The run:
 *   1. load: every member but one holds its share of --records (a mix of
 *      kinds: mostly students, some graduates, staff, training, majors,
 *      and its member/profile) and syncs it; timed until every receipt is
 *      back.
 *   2. steady: each member appends --batch records every --interval
 *      seconds for --seconds, while the last member, offline so far,
 *      re-syncs its --resync entries. Then every receipt is waited for.
 * Recorded: the coordinator's CPU (/proc/PID/stat), memory (VmHWM, VmRSS),
 * lag (entries written by members vs entries receipted), put-to-receipt
 * latency (a member's append to the receipt covering it), put-to-figure
 * latency (the append to node_figures_json on the coordinator's store,
 * opened beside the daemon async_apply with the figures attached: it reads
 * what the daemon's applier has applied and applies nothing itself; sampled
 * every --sample seconds,
 * counting its students), the report's time at the end (`vocfed report
 * --format json`, and node_figures_json in this process) and the disk
 * used per record (the coordinator's folder's allocated blocks).
 * Usage: bench_province --help; bench/README.md. */
#define _XOPEN_SOURCE 700 /* nftw */

#include "bench/bench_proc.h"
#include "node/daemon.h"
#include "node/figures.h"
#include "node/identity.h"
#include "node/member.h"
#include "node/replicate.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/msg.h"
#include "protocol/receipt.h"
#include "storage/store.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_FILL_TXN 50000 /* records per transaction when loading */
/* As `vocfed node` does (node/member.c, SPEC 10.3): */
#define S_MAX_FLIGHT NODE_MEMBER_MAX_FLIGHT /* batches in flight per member */
#define S_WINDOW (16 * 1024 * 1024)         /* bytes in flight per member */
#define S_HELLO_RETRY 3.0     /* s without heads: hello again, once; then */
#define S_STALL 30.0          /* s without heads or a receipt: hello again */
#define S_HELLO_AGAIN 0.2     /* s after a hello not sent: again */
#define S_BACKOFF_S 2.0       /* s after a refusal before hello (member.c) */
#define S_WATCH_S 0.1         /* s between two looks at sessions and links */
#define S_DRAIN_TIMEOUT 300.0 /* s to wait for the last receipts */
#define S_REPORT_RUNS 3       /* `vocfed report` runs at the end */

/* ---- configuration ------------------------------------------------------- */

typedef struct {
    uint64_t members; /* members on the roster, the re-syncing one included */
    uint64_t records; /* records loaded in part 1, all members together */
    uint64_t resync;  /* entries the last member re-syncs in part 2 */
    uint64_t batch;   /* records per steady append */
    double interval;  /* s between two appends of one member */
    uint64_t seconds; /* length of the steady part */
    double sample;    /* s between two figure samples */
    const char *tmp;  /* where the coordinator's folder goes */
    const char *mtmp; /* where the members' stores go */
    bool verify;      /* `vocfed verify --figures` at the end */
} s_conf_t;

/* A growing list of samples. */
typedef struct {
    double *v;  /* the samples */
    size_t n;   /* how many */
    size_t cap; /* allocated */
} s_vec_t;

static void
s_vec_push(s_vec_t *s, double x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            bench_fail("out of memory");
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

/* Prints "what: n samples, p50 p95 p99 max" of v (sorted here), in ms. */
static void
s_vec_print(const char *what, s_vec_t *s)
{
    if (s->n == 0) {
        printf("  %-26s no samples\n", what);
        return;
    }
    qsort(s->v, s->n, sizeof *s->v, bench_cmp_double);
    printf("  %-26s p50 %8.1f  p95 %8.1f  p99 %8.1f  max %8.1f ms  (%zu)\n",
           what, 1e3 * bench_percentile(s->v, s->n, 50),
           1e3 * bench_percentile(s->v, s->n, 95),
           1e3 * bench_percentile(s->v, s->n, 99), 1e3 * s->v[s->n - 1], s->n);
}

/* ---- synthetic records: a mix of kinds ----------------------------------- */

typedef enum {
    S_STUDENT,
    S_GRADUATE,
    S_STAFF,
    S_TRAINING,
    S_MAJOR,
    S_KINDS
} s_kind_t;

static const char *const s_kind_names[S_KINDS] = {"student", "graduate",
                                                  "staff", "training", "major"};
#define S_VARIANTS 12 /* bodies per kind: records cycle through them */
static proto_buf_t s_bodies[S_KINDS][S_VARIANTS];

/* Per 100 records: 80 students, 8 graduates, 6 staff, 4 training, 2
 * majors. n * 37 mod 100 visits every residue, so any 100 consecutive
 * records of a member have exactly that mix. */
static s_kind_t
s_kind_of(uint64_t n)
{
    unsigned r = (unsigned)((n * 37 + 11) % 100);
    return r < 80   ? S_STUDENT
           : r < 88 ? S_GRADUATE
           : r < 94 ? S_STAFF
           : r < 98 ? S_TRAINING
                    : S_MAJOR;
}

#define S_STR(n, v)                                                            \
    {                                                                          \
        n, sizeof n - 1,                                                       \
        {                                                                      \
            .type = PROTO_VAL_STR, .s = v, .slen = strlen(v)                   \
        }                                                                      \
    }
#define S_INT(n, v)                                                            \
    {                                                                          \
        n, sizeof n - 1,                                                       \
        {                                                                      \
            .type = PROTO_VAL_INT, .i = v                                      \
        }                                                                      \
    }

static void
s_body(s_kind_t k, size_t i, proto_field_t *f, size_t n)
{
    if (proto_body_encode(f, n, &s_bodies[k][i]))
        bench_fail("cannot encode a %s body", s_kind_names[k]);
}

/* The bodies every record uses: valid for their kind (protocol/kinds.c),
 * students all enrolled (so each one counts in hv_ or sv_enrolled). */
static void
s_bodies_init(void)
{
    static const char *majors[] = {"460104", "470201", "510203", "530302"};
    static const char *origins[] = {"340822", "340881", "340100"};
    static const char *dest[] = {"employed", "employed", "further_study",
                                 "flexible"};
    static const char *train[] = {"upskilling", "enterprise_staff",
                                  "continuing_ed"};
    for (size_t i = 0; i < S_VARIANTS; i++) {
        for (size_t k = 0; k < S_KINDS; k++)
            proto_buf_init(&s_bodies[k][i]);
        const char *level = i % 2 ? "secondary" : "higher";
        proto_field_t st[] = {
            S_STR("level", level),
            S_STR("major", majors[i % 4]),
            S_STR("pathway", i % 3 ? "regular" : "three_plus_two"),
            S_INT("intake_year", 2023 + (int64_t)(i % 3)),
            S_STR("status", "enrolled"),
            S_STR("source_school", "jh03"),
            S_STR("origin_region", origins[i % 3])};
        s_body(S_STUDENT, i, st, sizeof st / sizeof st[0]);
        proto_field_t gr[] = {
            S_STR("level", "higher"), S_STR("major", majors[i % 4]),
            S_INT("grad_year", 2025), S_STR("destination", dest[i % 4]),
            S_STR("workplace_region", i % 2 ? "340803" : "320500")};
        s_body(S_GRADUATE, i, gr, sizeof gr / sizeof gr[0]);
        proto_field_t sf[] = {
            S_STR("category", "fulltime_teacher"),
            S_STR("course_type", i % 5 ? "professional" : "public"),
            S_STR("post", i % 4 ? "authorised" : "self_hired"),
            S_STR("dual_qualified", i % 3 ? "mid" : "none")};
        s_body(S_STAFF, i, sf, sizeof sf / sizeof sf[0]);
        proto_field_t tr[] = {S_STR("type", train[i % 3]), S_INT("year", 2025),
                              S_INT("completed", 20 + 15 * (int64_t)(i % 3))};
        s_body(S_TRAINING, i, tr, sizeof tr / sizeof tr[0]);
        proto_field_t mj[] = {S_STR("name", "专业"), S_STR("level", level),
                              S_STR("status", "active")};
        s_body(S_MAJOR, i, mj, sizeof mj / sizeof mj[0]);
    }
}

static void
s_bodies_release(void)
{
    for (size_t k = 0; k < S_KINDS; k++)
        for (size_t i = 0; i < S_VARIANTS; i++)
            proto_buf_release(&s_bodies[k][i]);
}

/* ---- the members ------------------------------------------------------- */

/* One steady append: what its receipt and its figure are waited for. */
typedef struct {
    uint64_t last;     /* its last seq */
    double at;         /* when store_append returned */
    uint64_t students; /* the member's students after it */
    bool counts;       /* it added students (a figure can show it) */
    bool resyncing;    /* made while the re-sync was under way */
} s_put_t;

typedef enum {
    S_OFF,     /* not connected (yet) */
    S_HELLO,   /* hello sent, heads not back */
    S_LEVEL,   /* sending from the coordinator's heads on */
    S_BACKOFF, /* refused, or the link lost: hello again at backoff_until */
} s_state_t;

/* One member this process speaks for. */
typedef struct {
    char id[32];                          /* its node id */
    size_t index;                         /* its place in the province */
    char dir[BENCH_PATH_MAX];             /* its store */
    uint8_t pk[PROTO_PUBKEY_LEN];         /* its Ed25519 key */
    uint8_t sk[PROTO_SECKEY_LEN];         /* and the secret half (a bench's) */
    char pkhex[2 * PROTO_PUBKEY_LEN + 1]; /* pk in hex, for the roster */
    store_t *st;                          /* its store, open */
    zsock_t *dealer;                      /* its CURVE link, NULL while off */
    zsock_t *monitor;     /* its link's events (DISCONNECTED), NULL while off */
    uint64_t drops;       /* links it lost */
    s_state_t state;      /* where its session is */
    double hello_at;      /* when its last hello went */
    unsigned hellos;      /* hellos said again while in S_HELLO */
    bool hello_sent;      /* the last one went (else not linked yet) */
    double backoff_until; /* S_BACKOFF: when to say hello again */
    double rx_at;         /* its last message from the coordinator */
    uint64_t size;        /* entries in its log */
    uint64_t acked;       /* entries the coordinator receipted */
    uint64_t next_from;   /* next seq to send */
    uint64_t flight[S_MAX_FLIGHT]; /* last seq of each batch in flight */
    size_t fbytes[S_MAX_FLIGHT];   /* and its bytes */
    size_t nflight;                /* batches in flight */
    size_t inflight;               /* their bytes */
    uint64_t next_rec;             /* records made so far */
    uint64_t students;             /* students among them */
    s_put_t *puts;                 /* its steady appends, in order */
    size_t nputs;                  /* how many */
    size_t cap;                    /* allocated */
    size_t rcpt_i;                 /* first put whose receipt is not back */
    size_t fig_i;                  /* first put the figures do not show */
    double next_put;               /* when it appends next */
    bool resync;                   /* the member that re-syncs */
} s_member_t;

/* The run: the coordinator, the members, what was measured. */
typedef struct {
    const s_conf_t *cf;                         /* options */
    char cdir[BENCH_PATH_MAX];                  /* the coordinator's folder */
    char clog[BENCH_PATH_MAX];                  /* its log */
    char coord_id[PROTO_ID_MAX + 1];            /* its id */
    uint8_t coord_pk[PROTO_PUBKEY_LEN];         /* its key */
    char coord_pkhex[2 * PROTO_PUBKEY_LEN + 1]; /* in hex */
    char endpoint[64];                          /* where it listens */
    pid_t pid;                                  /* its process */
    store_t *cst;                               /* its store, open beside it */
    s_member_t *m;                              /* the members */
    size_t n;                                   /* how many */
    zmq_pollitem_t *items; /* the connected members' links */
    size_t *item_of;       /* member of each item */
    size_t nitems;         /* how many */
    store_record_t *recs;  /* scratch: records to append */
    char (*keys)[80];      /* and their keys */
    proto_buf_t out;       /* scratch: a message */
    s_vec_t rcpt;          /* put-to-receipt, s */
    s_vec_t rcpt_rs; /* put-to-receipt of puts made during the re-sync, s */
    s_vec_t fig_rs;  /* put-to-figure of those, s */
    s_vec_t fig;     /* put-to-figure, s */
    s_vec_t rss;     /* coordinator's VmRSS, MiB */
    s_vec_t anon;    /* its RssAnon (heap; the rest is the store mapped), MiB */
    s_vec_t lag;     /* entries written, not receipted */
    s_vec_t figtime; /* node_figures_json, s */
    uint64_t errors; /* refusals from the coordinator */
    /* Why members said hello again (s_watchdog): no heads S_HELLO_RETRY
     * after a hello (then S_STALL after the last), no receipt S_STALL with
     * batches in flight, a back-off over (after a lost link or a refusal). */
    uint64_t hello_retry, hello_stall, hello_backoff;
    /* Links lost by how long before it the member last heard from the
     * coordinator (its messages, not libzmq's heartbeats): under 1 s, 1
     * to 5 s, over 5 s (libzmq's heartbeat timeout, node/daemon.c). */
    uint64_t drop_quiet[3];
    double next_sample; /* when figures are sampled next */
    double next_proc;   /* when /proc is read next */
    double next_watch;  /* when sessions and links are looked at next */
    bool resyncing;     /* the re-sync is under way */
} s_run_t;

/* Fills r->recs[0..n) with member m's next n records (its profile first),
 * counting its students. */
static void
s_gen(s_run_t *r, s_member_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++, m->next_rec++) {
        uint64_t k = m->next_rec;
        char *key = r->keys[i];
        if (k == 0) {
            /* its body comes from s_profile (s_append) */
            r->recs[i] = (store_record_t){PROTO_OP_PUT, "member", "profile",
                                          NULL,         0,        false};
            continue;
        }
        s_kind_t kind = s_kind_of(k);
        uint8_t h[32];
        uint64_t seed = ((uint64_t)m->index << 40) | k;
        const proto_buf_t *b = &s_bodies[kind][k % S_VARIANTS];
        crypto_generichash(h, sizeof h, (const uint8_t *)&seed, sizeof seed,
                           NULL, 0);
        if (kind == S_STUDENT || kind == S_STAFF)
            proto_hex(h, sizeof h, key);
        else if (kind == S_GRADUATE) {
            proto_hex(h, sizeof h, key);
            memcpy(key + 64, ":2025", 6);
        } else
            snprintf(key, 80, "%c-%s-%" PRIu64, kind == S_MAJOR ? 'm' : 't',
                     m->id, k);
        m->students += kind == S_STUDENT;
        r->recs[i] = (store_record_t){
            PROTO_OP_PUT, s_kind_names[kind], key, b->data, b->len, false};
    }
}

/* The member/profile body of member m (its county varies). */
static void
s_profile(const s_member_t *m, proto_buf_t *out)
{
    static const char *counties[] = {"340803", "340822", "340881", "340828"};
    char name[48];
    snprintf(name, sizeof name, "成员%s", m->id);
    proto_field_t f[] = {
        S_STR("name_zh", name), S_STR("role", "school"),
        S_STR("original_affiliation", m->index % 3 ? "county" : "city"),
        S_STR("region_code", counties[m->index % 4])};
    if (proto_body_encode(f, sizeof f / sizeof f[0], out))
        bench_fail("cannot encode the profile of %s", m->id);
}

/* Appends member m's next n records in one transaction (one checkpoint). */
static void
s_append(s_run_t *r, s_member_t *m, size_t n)
{
    proto_buf_t profile;
    store_head_t head;
    proto_buf_init(&profile);
    bool first = m->next_rec == 0;
    s_gen(r, m, n);
    if (first) {
        s_profile(m, &profile);
        r->recs[0].body = profile.data;
        r->recs[0].body_len = profile.len;
    }
    int rc = store_append(m->st, m->id, m->sk, r->recs, n, 0, &head, NULL);
    proto_buf_release(&profile);
    if (rc)
        bench_fail("member %s: append: %s", m->id, vocfed_strerror(rc));
    m->size = head.size;
}

/* Makes member i: a key, its store (log and record index, no figures),
 * and `records` records in it. */
static void
s_member_init(s_run_t *r, size_t i, const char *mroot, uint64_t records)
{
    s_member_t *m = &r->m[i];
    store_opts_t o = {.create = true, .no_derived = true};
    memset(m, 0, sizeof *m);
    m->index = i;
    snprintf(m->id, sizeof m->id, "m%04zu", i);
    bench_path(m->dir, "%s/%s", mroot, m->id);
    if (mkdir(m->dir, 0700) != 0)
        bench_fail("cannot make %s: %s", m->dir, strerror(errno));
    crypto_sign_keypair(m->pk, m->sk);
    proto_hex(m->pk, sizeof m->pk, m->pkhex);
    int rc = store_open(m->dir, &o, &m->st);
    if (rc || (rc = store_author_add(m->st, m->id, m->pk)))
        bench_fail("member %s: store: %s", m->id, vocfed_strerror(rc));
    for (uint64_t done = 0; done < records;) {
        size_t n =
            records - done < S_FILL_TXN ? (size_t)(records - done) : S_FILL_TXN;
        s_append(r, m, n);
        done += n;
    }
}

/* ---- a member's session (SPEC 8, 10.3) ----------------------------------- */

static bool
s_send(s_member_t *m, const proto_buf_t *b)
{
    return zmq_send(zsock_resolve(m->dealer), b->data, b->len, ZMQ_DONTWAIT) ==
           (int)b->len;
}

/* Hello with our head; a new session starts from the heads that answer. */
static void
s_hello(s_run_t *r, s_member_t *m)
{
    const char *authors[1] = {m->id};
    proto_buf_reset(&r->out);
    if (node_heads_encode(m->st, m->id, true, authors, 1, &r->out))
        bench_fail("member %s: cannot say hello", m->id);
    /* not sent (the link not up yet): said again S_HELLO_AGAIN later */
    bool again = m->state == S_HELLO && m->hello_sent; /* a hello again */
    m->hello_sent = s_send(m, &r->out);
    m->hellos = m->state != S_HELLO ? 0 : m->hellos + again;
    m->state = S_HELLO;
    m->hello_at = bench_now();
    m->nflight = 0;
    m->inflight = 0;
}

/* As `vocfed node` does after a refusal or a lost link (member.c): the
 * batches in flight are forgotten, nothing is sent for delay s, then a
 * hello. A refusal during the back-off (the rest of the window arriving
 * after a gap) starts no new one. */
static void
s_backoff(s_member_t *m, double delay)
{
    if (m->state == S_BACKOFF)
        return;
    m->state = S_BACKOFF;
    m->backoff_until = bench_now() + delay;
    m->nflight = 0;
    m->inflight = 0;
}

/* Sends batches while the window allows. */
static void
s_pump(s_run_t *r, s_member_t *m)
{
    while (m->state == S_LEVEL && m->nflight < S_MAX_FLIGHT &&
           m->inflight < S_WINDOW && m->next_from <= m->size) {
        uint64_t last;
        proto_buf_reset(&r->out);
        int rc =
            node_batch_build(m->st, m->id, m->next_from - 1, NODE_BATCH_ENTRIES,
                             NODE_BATCH_BYTES, &r->out, &last);
        if (rc)
            bench_fail("member %s: batch from %" PRIu64 ": %s", m->id,
                       m->next_from, vocfed_strerror(rc));
        if (!s_send(m, &r->out))
            return;
        m->flight[m->nflight] = last;
        m->fbytes[m->nflight++] = r->out.len;
        m->inflight += r->out.len;
        m->next_from = last + 1;
    }
}

/* The coordinator holds `size` entries of m's log, receipted: the puts it
 * covers get their latency, the batches it covers leave the window. */
static void
s_acked(s_run_t *r, s_member_t *m, uint64_t size, double now)
{
    if (size <= m->acked)
        return;
    m->acked = size;
    size_t k = 0;
    while (k < m->nflight && m->flight[k] <= size)
        m->inflight -= m->fbytes[k++];
    memmove(m->flight, m->flight + k, (m->nflight - k) * sizeof *m->flight);
    memmove(m->fbytes, m->fbytes + k, (m->nflight - k) * sizeof *m->fbytes);
    m->nflight -= k;
    for (; m->rcpt_i < m->nputs && m->puts[m->rcpt_i].last <= size; m->rcpt_i++)
        s_vec_push(m->puts[m->rcpt_i].resyncing ? &r->rcpt_rs : &r->rcpt,
                   now - m->puts[m->rcpt_i].at);
}

static void
s_on_heads(s_run_t *r, s_member_t *m, const proto_msg_heads_t *h, double now)
{
    proto_head_t mine;
    if (m->state != S_HELLO)
        return; /* the coordinator's own log moved: not ours to pull */
    if (node_heads_find(h, m->id, &mine))
        bench_fail("member %s: heads without our head", m->id);
    if (mine.size > m->size)
        bench_fail("member %s: the coordinator holds more than we do", m->id);
    m->state = S_LEVEL;
    m->next_from = mine.size + 1;
    s_acked(r, m, mine.size, now);
    s_pump(r, m);
}

/* A receipt: the coordinator's signature, then our own root at its size. */
static void
s_on_receipt(s_run_t *r, s_member_t *m, const proto_msg_receipt_t *rc_,
             double now)
{
    proto_receipt_t rc;
    uint8_t root[PROTO_HASH_LEN];
    int st =
        proto_receipt_open(rc_->receipt, rc_->receipt_len, r->coord_pk, &rc);
    if (st)
        bench_fail("member %s: a receipt that does not open: %s", m->id,
                   vocfed_strerror(st));
    if (strcmp(rc.issuer, r->coord_id) != 0 || strcmp(rc.author, m->id) != 0)
        bench_fail("member %s: a receipt of %s for %s", m->id, rc.issuer,
                   rc.author);
    if ((st = store_root_at(m->st, m->id, rc.size, root)) ||
        memcmp(root, rc.root, sizeof root) != 0)
        bench_fail("member %s: the receipt's root at %" PRIu64 " is not ours",
                   m->id, rc.size);
    s_acked(r, m, rc.size, now);
    s_pump(r, m);
}

static void
s_on_error(s_run_t *r, s_member_t *m, const proto_msg_error_t *e)
{
    if (r->errors++ < 10)
        fprintf(stderr,
                "bench_province: %s refused at seq %" PRIu64 ": %.*s: "
                "%.*s\n",
                m->id, e->seq, (int)e->code_len, e->code, (int)e->text_len,
                e->text);
    s_backoff(m, S_BACKOFF_S); /* then again from the coordinator's heads */
}

/* One message from the coordinator to m. */
static void
s_on_message(s_run_t *r, s_member_t *m, const uint8_t *data, size_t len)
{
    proto_msg_t mm;
    double now = bench_now();
    m->rx_at = now;
    if (proto_msg_decode(data, len, &mm))
        bench_fail("member %s: a message that does not decode", m->id);
    switch (mm.type) {
    case PROTO_MSG_HEADS:
        s_on_heads(r, m, &mm.heads, now);
        break;
    case PROTO_MSG_RECEIPT:
        s_on_receipt(r, m, &mm.receipt, now);
        break;
    case PROTO_MSG_ERROR:
        s_on_error(r, m, &mm.error);
        break;
    default:
        break; /* we never pull: no batch comes */
    }
}

/* Reads what m's link holds (at most 64 messages). */
static void
s_read(s_run_t *r, s_member_t *m)
{
    void *sock = zsock_resolve(m->dealer);
    for (int i = 0; i < 64; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        if (!zmq_msg_more(&msg))
            s_on_message(r, m, zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
    }
}

/* Watches m's link: its DISCONNECTED events are counted (a link lost
 * loses the batches queued on it; the session starts again from a hello
 * when the coordinator refuses what comes after the gap). */
static void
s_monitor(s_member_t *m)
{
    char ep[64], conn[72];
    snprintf(ep, sizeof ep, "inproc://monitor-%s", m->id);
    snprintf(conn, sizeof conn, ">%s", ep);
    if (zmq_socket_monitor(zsock_resolve(m->dealer), ep,
                           ZMQ_EVENT_DISCONNECTED) != 0 ||
        !(m->monitor = zsock_new_pair(conn)))
        bench_fail("member %s: cannot watch its link", m->id);
}

/* Counts the links lost since the last look. */
static uint64_t
s_drops(s_run_t *r)
{
    uint64_t all = 0;
    for (size_t i = 0; i < r->n; i++) {
        s_member_t *m = &r->m[i];
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        while (m->monitor && zmq_msg_recv(&msg, zsock_resolve(m->monitor),
                                          ZMQ_DONTWAIT) >= 0) {
            /* two frames per event: [event u16, value u32], endpoint */
            if (zmq_msg_more(&msg) && zmq_msg_size(&msg) == 6) {
                double quiet = bench_now() - m->rx_at;
                r->drop_quiet[quiet < 1 ? 0 : quiet <= 5 ? 1 : 2]++;
                m->drops++;
                s_backoff(m, 0); /* hello once linked again */
            }
        }
        zmq_msg_close(&msg);
        all += m->drops;
    }
    return all;
}

/* Dials the coordinator as member m (CURVE, its own key) and says hello:
 * libzmq queues it until the handshake is done. */
static void
s_connect(s_run_t *r, s_member_t *m)
{
    uint8_t server[PROTO_PUBKEY_LEN];
    int rc = node_pubkey_curve(r->coord_pk, server);
    if (rc || (rc = node_daemon_socket(ZMQ_DEALER, m->sk, &m->dealer)))
        bench_fail("member %s: socket: %s", m->id, vocfed_strerror(rc));
    zsock_set_curve_serverkey_bin(m->dealer, server);
    zsock_set_maxmsgsize(m->dealer, PROTO_MSG_MAX);
    zsock_set_sndhwm(m->dealer, S_MAX_FLIGHT + 16);
    /* Nothing queued for a link not up: what was queued for a lost one
     * is dropped with it, not sent on the next after its gap. */
    zsock_set_immediate(m->dealer, 1);
    zsock_set_rcvhwm(m->dealer, 1000);
    zsock_set_reconnect_ivl(m->dealer, 100);
    zsock_set_reconnect_ivl_max(m->dealer, 2000);
    s_monitor(m);
    if (zsock_connect(m->dealer, "%s", r->endpoint) < 0)
        bench_fail("member %s: cannot dial %s", m->id, r->endpoint);
    r->items[r->nitems] =
        (zmq_pollitem_t){zsock_resolve(m->dealer), 0, ZMQ_POLLIN, 0};
    r->item_of[r->nitems++] = m->index;
    m->rx_at = bench_now();
    s_hello(r, m);
}

/* A hello not answered, receipts not back, or a back-off over: hello. */
static void
s_watchdog(s_run_t *r, double now)
{
    for (size_t i = 0; i < r->n; i++) {
        s_member_t *m = &r->m[i];
        if (m->state == S_HELLO && !m->hello_sent &&
            now - m->hello_at > S_HELLO_AGAIN) {
            s_hello(r, m); /* the link was not up: not a hello again */
            continue;
        }
        uint64_t *why =
            m->state == S_HELLO &&
                    now - m->hello_at > (m->hellos ? S_STALL : S_HELLO_RETRY)
                ? &r->hello_retry
            : m->state == S_LEVEL && m->nflight && now - m->rx_at > S_STALL
                ? &r->hello_stall
            : m->state == S_BACKOFF && now >= m->backoff_until
                ? &r->hello_backoff
                : NULL;
        if (why) {
            (*why)++;
            s_hello(r, m);
        }
    }
}

/* Polls every link until `until` (at most 50 ms) and reads what came. */
static void
s_step(s_run_t *r, double until)
{
    double wait = until - bench_now();
    long ms = wait <= 0 ? 0 : wait > 0.05 ? 50 : (long)(wait * 1e3) + 1;
    int n = zmq_poll(r->items, (int)r->nitems, ms);
    if (n < 0 && errno != EINTR)
        bench_fail("zmq_poll: %s", zmq_strerror(errno));
    for (size_t i = 0; n > 0 && i < r->nitems; i++)
        if (r->items[i].revents & ZMQ_POLLIN)
            s_read(r, &r->m[r->item_of[i]]);
    bench_check_daemons();
    double now = bench_now();
    if (now >= r->next_watch) {
        r->next_watch = now + S_WATCH_S;
        (void)s_drops(r);
        s_watchdog(r, now);
    }
}

/* ---- what is sampled ---------------------------------------------------- */

/* A figure's by_member count for id (0 if none). */
static int64_t
s_by_member(json_t *report, const char *fig, const char *id)
{
    json_t *f = json_object_get(json_object_get(report, "figures"), fig);
    return json_integer_value(
        json_object_get(json_object_get(f, "by_member"), id));
}

/* The figures on the coordinator's store: each member's students counted
 * (hv_enrolled + sv_enrolled) tell which of its puts they show. Returns
 * the students counted in all. */
static int64_t
s_sample_figures(s_run_t *r)
{
    json_t *rep = NULL;
    double t = bench_now();
    int rc = node_figures_json(r->cst, r->coord_id, 0, &rep);
    if (rc)
        bench_fail("figures of the coordinator: %s", vocfed_strerror(rc));
    s_vec_push(&r->figtime, bench_now() - t);
    int64_t all = 0;
    for (size_t i = 0; i < r->n; i++) {
        s_member_t *m = &r->m[i];
        int64_t c = s_by_member(rep, "hv_enrolled", m->id) +
                    s_by_member(rep, "sv_enrolled", m->id);
        all += c;
        for (; m->fig_i < m->nputs && (int64_t)m->puts[m->fig_i].students <= c;
             m->fig_i++)
            if (m->puts[m->fig_i].counts)
                s_vec_push(m->puts[m->fig_i].resyncing ? &r->fig_rs : &r->fig,
                           t - m->puts[m->fig_i].at);
    }
    json_decref(rep);
    return all;
}

/* Entries written by the members (resync: only that member) and entries
 * receipted. */
static void
s_totals(const s_run_t *r, bool resync, uint64_t *written, uint64_t *acked)
{
    *written = *acked = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->m[i].resync == resync) {
            *written += r->m[i].size;
            *acked += r->m[i].acked;
        }
}

/* Once a second: the coordinator's VmRSS and the lag of the steady
 * members; a line of progress every 10 s. */
static void
s_sample_proc(s_run_t *r, double t0, const char *phase)
{
    double now = bench_now();
    if (now < r->next_proc)
        return;
    r->next_proc = now + 1.0;
    uint64_t w, a, rw, ra;
    s_totals(r, false, &w, &a);
    s_totals(r, true, &rw, &ra);
    s_vec_push(&r->rss, bench_proc_mem(r->pid, "VmRSS"));
    s_vec_push(&r->anon, bench_proc_mem(r->pid, "RssAnon"));
    s_vec_push(&r->lag, (double)(w - a));
    if ((r->rss.n % 10) == 0)
        printf("  [%s %5.0f s] receipted %" PRIu64 "/%" PRIu64
               " (re-sync %" PRIu64 "/%" PRIu64 "), coordinator RSS %.0f MiB\n",
               phase, now - t0, a, w, ra, rw, r->rss.v[r->rss.n - 1]);
    fflush(stdout);
}

/* ---- the coordinator ----------------------------------------------------- */

/* `vocfed init --coordinator`, then every member on its roster. */
static void
s_coordinator_init(s_run_t *r)
{
    store_t *st = NULL;
    snprintf(r->coord_id, sizeof r->coord_id, "province");
    bench_path(r->cdir, "%s/coordinator", bench_g.root);
    bench_path(r->clog, "%s/logs/coordinator.log", bench_g.root);
    const char *init[] = {
        VOCFED_BINARY, "--dir",  r->cdir,          "init",          "--id",
        r->coord_id,   "--name", "bench province", "--coordinator", NULL};
    bench_run(init, r->clog, "coordinator");
    if (store_open(r->cdir, NULL, &st) ||
        store_meta_get(st, "node_pubkey", r->coord_pkhex,
                       sizeof r->coord_pkhex) ||
        proto_unhex(r->coord_pkhex, r->coord_pk, sizeof r->coord_pk))
        bench_fail("cannot read the key of %s", r->cdir);
    store_destroy(&st);
    for (size_t i = 0; i < r->n; i++) {
        const char *add[] = {VOCFED_BINARY, "--dir", r->cdir,
                             "members",     "add",   r->m[i].id,
                             r->m[i].pkhex, NULL};
        bench_run(add, r->clog, "members add");
    }
}

/* Starts `vocfed coordinator` on a free loopback port; returns when the
 * port accepts connections. */
static void
s_coordinator_start(s_run_t *r)
{
    r->pid = bench_coordinator_start(r->cdir, r->clog, r->endpoint,
                                     sizeof r->endpoint);
}

/* Bytes allocated on disk under a folder (du). */
static uint64_t s_du_total;

static int
s_du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F)
        s_du_total += (uint64_t)st->st_blocks * 512;
    return 0;
}

static uint64_t
s_du(const char *dir)
{
    s_du_total = 0;
    if (nftw(dir, s_du_one, 16, FTW_PHYS) != 0)
        bench_fail("cannot walk %s", dir);
    return s_du_total;
}

/* ---- the parts ------------------------------------------------------- */

/* A span of the run: its time and the coordinator's CPU. */
typedef struct {
    double t0;    /* start, s */
    double cpu0;  /* coordinator's utime + stime then */
    double wchar; /* its wchar then */
    double wdisk; /* its write_bytes then */
    uint64_t in;  /* entries it had receipted then */
} s_span_t;

/* Entries the coordinator receipted, all members. */
static uint64_t
s_receipted(const s_run_t *r)
{
    uint64_t all = 0;
    for (size_t i = 0; i < r->n; i++)
        all += r->m[i].acked;
    return all;
}

static s_span_t
s_span_start(const s_run_t *r)
{
    return (s_span_t){bench_now(), bench_proc_cpu(r->pid),
                      bench_proc_io(r->pid, "wchar"),
                      bench_proc_io(r->pid, "write_bytes"), s_receipted(r)};
}

/* Prints "what: entries in T s = rate/s; CPU c s (p % of one core)". */
static void
s_span_print(const s_run_t *r, const s_span_t *s, const char *what,
             uint64_t entries)
{
    double t = bench_now() - s->t0, cpu = bench_proc_cpu(r->pid) - s->cpu0;
    printf("  %-26s %" PRIu64 " entries in %.1f s = %.0f entries/s; "
           "coordinator CPU %.1f s (%.0f%% of one core)\n",
           what, entries, t, (double)entries / t, cpu, 100.0 * cpu / t);
    double in = (double)(s_receipted(r) - s->in);
    printf("  %-26s %.0f entries taken in: %.2f KB written (wchar), %.2f KB "
           "to the disk (write_bytes) per entry\n",
           "", in, (bench_proc_io(r->pid, "wchar") - s->wchar) / 1e3 / in,
           (bench_proc_io(r->pid, "write_bytes") - s->wdisk) / 1e3 / in);
}

/* Prints the coordinator's memory: peak so far and the RSS samples (all
 * of it, and its anonymous part: the rest is the store's mapped pages). */
static void
s_mem_print(s_run_t *r)
{
    s_vec_t *v = &r->rss, *a = &r->anon;
    double hwm = bench_proc_mem(r->pid, "VmHWM");
    if (v->n == 0)
        return;
    qsort(v->v, v->n, sizeof *v->v, bench_cmp_double);
    qsort(a->v, a->n, sizeof *a->v, bench_cmp_double);
    printf("  coordinator memory         VmHWM %.0f MiB; VmRSS median %.0f, "
           "max %.0f MiB; RssAnon median %.0f, max %.0f MiB (%zu samples)\n",
           hwm, bench_percentile(v->v, v->n, 50), v->v[v->n - 1],
           bench_percentile(a->v, a->n, 50), a->v[a->n - 1], v->n);
    v->n = a->n = 0;
}

/* Part 1: every member but the re-syncing one syncs what it holds. */
static void
s_load(s_run_t *r)
{
    uint64_t w, a;
    s_span_t sp = s_span_start(r);
    for (size_t i = 0; i < r->n; i++)
        if (!r->m[i].resync)
            s_connect(r, &r->m[i]);
    for (s_totals(r, false, &w, &a); a < w; s_totals(r, false, &w, &a)) {
        s_step(r, bench_now() + 0.05);
        s_sample_proc(r, sp.t0, "load");
    }
    printf("part 1, load: %zu members sync what they hold\n", r->n - 1);
    s_span_print(r, &sp, "load, put to receipt", w);
    s_mem_print(r);
    r->lag.n = 0;
}

/* One steady append of member m, then its batch goes. */
static void
s_put(s_run_t *r, s_member_t *m)
{
    uint64_t before = m->students;
    s_append(r, m, (size_t)r->cf->batch);
    if (m->nputs == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        s_put_t *p = realloc(m->puts, cap * sizeof *p);
        if (!p)
            bench_fail("out of memory");
        m->puts = p;
        m->cap = cap;
    }
    m->puts[m->nputs++] = (s_put_t){m->size, bench_now(), m->students,
                                    m->students > before, r->resyncing};
    m->next_put += r->cf->interval;
    s_pump(r, m);
}

/* The appends due now; returns when the next one is due. */
static double
s_puts_due(s_run_t *r, double now)
{
    double next = now + 1.0;
    for (size_t i = 0; i < r->n; i++) {
        s_member_t *m = &r->m[i];
        if (m->resync)
            continue;
        if (m->next_put <= now)
            s_put(r, m);
        if (m->next_put < next)
            next = m->next_put;
    }
    return next;
}

/* Whether every put's figure was seen. */
static bool
s_figures_level(const s_run_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->m[i].fig_i < r->m[i].nputs)
            return false;
    return true;
}

/* One turn of part 2's loop: appends, messages, samples. */
static void
s_turn(s_run_t *r, double t0, bool writing, double *resync_done)
{
    double now = bench_now();
    double next = writing ? s_puts_due(r, now) : now + 0.05;
    if (next > r->next_sample)
        next = r->next_sample;
    s_step(r, next);
    now = bench_now();
    if (now >= r->next_sample) {
        (void)s_sample_figures(r);
        r->next_sample = now + r->cf->sample;
    }
    s_sample_proc(r, t0, "steady");
    s_member_t *rs = &r->m[r->n - 1];
    if (!*resync_done && rs->acked == rs->size) {
        *resync_done = now;
        r->resyncing = false;
    }
}

/* Part 2: steady appends everywhere, the last member re-syncing. */
static void
s_steady(s_run_t *r)
{
    const s_conf_t *cf = r->cf;
    double resync_done = 0;
    uint64_t w0, a0, w, a, rw, ra;
    s_totals(r, false, &w0, &a0);
    s_span_t sp = s_span_start(r), all = sp;
    s_connect(r, &r->m[r->n - 1]);
    r->resyncing = true;
    for (size_t i = 0; i + 1 < r->n; i++)
        r->m[i].next_put = sp.t0 + cf->interval * (double)i / (double)r->n;
    r->next_sample = sp.t0 + cf->sample;
    while (bench_now() < sp.t0 + (double)cf->seconds)
        s_turn(r, sp.t0, true, &resync_done);
    s_totals(r, false, &w, &a);
    printf("part 2, steady: %zu members append %" PRIu64 " records every "
           "%.1f s for %" PRIu64 " s; one re-syncs %" PRIu64 " entries\n",
           r->n - 1, cf->batch, cf->interval, cf->seconds, r->m[r->n - 1].size);
    s_span_print(r, &sp, "steady window, written", w - w0);
    double end = bench_now() + S_DRAIN_TIMEOUT;
    for (s_totals(r, false, &w, &a), s_totals(r, true, &rw, &ra);
         (a < w || ra < rw || !s_figures_level(r)) && bench_now() < end;
         s_totals(r, false, &w, &a), s_totals(r, true, &rw, &ra))
        s_turn(r, sp.t0, false, &resync_done);
    if (a < w || ra < rw)
        bench_fail("receipts missing after %.0f s", S_DRAIN_TIMEOUT);
    s_span_print(r, &all, "steady + re-sync + drain", (w - w0) + rw);
    printf("  re-sync of %" PRIu64 " entries  %.1f s = %.0f entries/s "
           "(beside the steady writes)\n",
           rw, resync_done - sp.t0, (double)rw / (resync_done - sp.t0));
    s_mem_print(r);
    qsort(r->lag.v, r->lag.n, sizeof *r->lag.v, bench_cmp_double);
    if (r->lag.n)
        printf("  lag (written - receipted)  median %.0f, max %.0f entries "
               "(steady members, sampled each second)\n",
               bench_percentile(r->lag.v, r->lag.n, 50),
               r->lag.v[r->lag.n - 1]);
    s_vec_print("put to receipt, re-sync on", &r->rcpt_rs);
    s_vec_print("put to receipt, after it", &r->rcpt);
    s_vec_print("put to figure, re-sync on", &r->fig_rs);
    s_vec_print("put to figure, after it", &r->fig);
    printf("  refusals, links lost       %" PRIu64 " refusals (each: hello "
           "again, resend from the coordinator's heads); %" PRIu64
           " links lost (ZMQ_EVENT_DISCONNECTED), all parts\n",
           r->errors, s_drops(r));
    printf("  links lost, by the quiet before: %" PRIu64 " under 1 s, %" PRIu64
           " 1-5 s, %" PRIu64
           " over 5 s since the coordinator's last message\n",
           r->drop_quiet[0], r->drop_quiet[1], r->drop_quiet[2]);
    printf("  hellos again               %" PRIu64
           " no heads (in %.0f s, then each %.0f s), %" PRIu64
           " no receipt in %.0f s, %" PRIu64 " after a back-off (a link lost, "
           "a refusal)\n",
           r->hello_retry, S_HELLO_RETRY, S_STALL, r->hello_stall, S_STALL,
           r->hello_backoff);
}

/* Runs vocfed argv to the end (up to timeout s); returns its seconds,
 * failing the bench unless it exits 0. */
static double
s_timed(const char *const *argv, const char *log, const char *what,
        double timeout)
{
    double t0 = bench_now();
    pid_t pid = bench_spawn(argv, log, what, false);
    int rc = bench_wait(pid, timeout, 1000000);
    if (rc != 0) {
        if (rc < 0)
            (void)bench_stop(pid);
        bench_tail(log);
        bench_fail("%s failed (%d)", what, rc);
    }
    return bench_now() - t0;
}

/* What the coordinator counted of its members, written when it stopped:
 * their messages over the rate (waited, lent on spare capacity) and what
 * it held against them (SPEC 10.5). */
typedef struct {
    uint64_t members, waiting, waited, lent, replayed, seq_gaps, flooded, other;
} s_peer_sum_t;

static int
s_peer_sum(void *ctx, const store_peer_t *p)
{
    s_peer_sum_t *t = ctx;
    t->members++;
    t->waiting += p->waited > 0;
    t->waited += p->waited;
    t->lent += p->lent;
    t->replayed += p->replayed;
    t->seq_gaps += p->seq_gaps;
    t->flooded += p->flooded;
    t->other += p->refused + p->malformed + p->too_large + p->unread;
    return 0;
}

static void
s_peers_print(const s_run_t *r)
{
    store_opts_t o = {.async_apply = true};
    store_t *st = NULL;
    s_peer_sum_t t = {0};
    if (store_open(r->cdir, &o, &st) || store_scan_peers(st, s_peer_sum, &t)) {
        fprintf(stderr, "bench_province: cannot read the peers of %s\n",
                r->cdir);
        store_destroy(&st);
        return;
    }
    store_destroy(&st);
    printf("  over the rate              %" PRIu64 " messages of %" PRIu64
           " members waited, %" PRIu64 " of them lent on spare capacity\n",
           t.waited, t.waiting, t.lent);
    printf("  abuse counted              replayed %" PRIu64
           ", seq_gaps %" PRIu64 ", flooded %" PRIu64 ", other %" PRIu64
           " (%" PRIu64 " members)\n",
           t.replayed, t.seq_gaps, t.flooded, t.other, t.members);
}

/* The end: the report's time, disk per record, the daemon stopped, and
 * with --verify the figures checked from the records. */
static void
s_finish(s_run_t *r)
{
    uint64_t w, a, rw, ra, students = 0;
    double t[S_REPORT_RUNS];
    char log[BENCH_PATH_MAX];
    s_totals(r, false, &w, &a);
    s_totals(r, true, &rw, &ra);
    for (size_t i = 0; i < r->n; i++)
        students += r->m[i].students;
    /* The daemon's applier finishes behind the last receipt. */
    double t0 = bench_now();
    int64_t counted = s_sample_figures(r);
    while (counted < (int64_t)students && bench_now() - t0 < S_DRAIN_TIMEOUT) {
        bench_check_daemons();
        bench_sleep_ns(20000000);
        counted = s_sample_figures(r);
    }
    double behind = bench_now() - t0;
    bench_path(log, "%s/logs/report.json", bench_g.root);
    const char *rep[] = {VOCFED_BINARY, "--dir", r->cdir, "report",
                         "--format",    "json",  NULL};
    /* What starting a process costs from here: the report's time is
     * start to exit, as a user sees it. */
    const char *ver[] = {VOCFED_BINARY, "--version", NULL};
    double tv[S_REPORT_RUNS];
    for (size_t i = 0; i < S_REPORT_RUNS; i++)
        tv[i] = s_timed(ver, log, "vocfed --version", 60);
    for (size_t i = 0; i < S_REPORT_RUNS; i++)
        t[i] = s_timed(rep, log, "vocfed report", 600);
    r->figtime.n = 0;
    for (size_t i = 0; i < S_REPORT_RUNS; i++)
        (void)s_sample_figures(r);
    printf("the end: %" PRIu64 " entries at the coordinator, %" PRIu64
           " students, %" PRId64 " counted by its figures (%.2f s after "
           "the drain)\n",
           a + ra, students, counted, behind);
    printf("  vocfed report --format json median %.0f ms (%d runs, "
           "process start to exit; vocfed --version %.1f ms); "
           "node_figures_json %.0f ms\n",
           1e3 * bench_median(t, S_REPORT_RUNS), S_REPORT_RUNS,
           1e3 * bench_median(tv, S_REPORT_RUNS),
           1e3 * bench_median(r->figtime.v, r->figtime.n));
    uint64_t du = s_du(r->cdir);
    printf("  disk                       %.1f MiB for the coordinator's "
           "folder = %.2f KB per entry\n",
           (double)du / 1048576.0, (double)du / 1000.0 / (double)(a + ra));
    store_destroy(&r->cst);
    int rc = bench_stop(r->pid);
    if (rc != 0)
        fprintf(stderr, "bench_province: the coordinator exited with %d\n", rc);
    s_peers_print(r);
    if (r->cf->verify) {
        const char *v[] = {VOCFED_BINARY, "--dir",     r->cdir,
                           "verify",      "--figures", NULL};
        printf("  vocfed verify --figures    passed in %.1f s\n",
               s_timed(v, r->clog, "vocfed verify --figures", 3600));
    }
    if (counted != (int64_t)students)
        bench_fail("the figures count %" PRId64 " students of %" PRIu64,
                   counted, students);
}

/* Makes the members: n - 1 share `records`, the last holds `resync`. */
static void
s_members_init(s_run_t *r, const char *mroot)
{
    const s_conf_t *cf = r->cf;
    double t0 = bench_now();
    uint64_t share = cf->records / (r->n - 1), extra = cf->records % (r->n - 1);
    for (size_t i = 0; i < r->n; i++) {
        bool last = i + 1 == r->n;
        s_member_init(r, i, mroot,
                      last ? cf->resync : share + (i < extra ? 1 : 0));
        r->m[i].resync = last;
    }
    printf("setup: %zu member stores, %" PRIu64 " + %" PRIu64
           " records, in %.1f s\n",
           r->n, cf->records, cf->resync, bench_now() - t0);
    t0 = bench_now();
    s_coordinator_init(r);
    printf("setup: the coordinator and its roster of %zu in %.1f s\n", r->n,
           bench_now() - t0);
    fflush(stdout);
}

static void
s_run_all(const s_conf_t *cf, const char *mroot)
{
    s_run_t r = {.cf = cf, .n = (size_t)cf->members};
    size_t cap = cf->batch > S_FILL_TXN ? (size_t)cf->batch : S_FILL_TXN;
    r.m = calloc(r.n, sizeof *r.m);
    r.items = calloc(r.n, sizeof *r.items);
    r.item_of = calloc(r.n, sizeof *r.item_of);
    r.recs = calloc(cap, sizeof *r.recs);
    r.keys = calloc(cap, sizeof *r.keys);
    if (!r.m || !r.items || !r.item_of || !r.recs || !r.keys)
        bench_fail("out of memory");
    proto_buf_init(&r.out);
    s_members_init(&r, mroot);
    s_coordinator_start(&r);
    /* Reads only what the daemon's applier applied (async_apply: no
     * catching up here, which would time this process's work); and with
     * the figures attached, which a store that applies must have: one
     * without them applied entries to the record index and moved the
     * point past them without counting them (SPEC 5.5), lost from the
     * figures for good (verify --figures failed). */
    store_opts_t copts = {.async_apply = true};
    int rc = store_open(r.cdir, &copts, &r.cst);
    if (!rc)
        rc = node_figures_attach_store(r.cst);
    if (rc)
        bench_fail("cannot open %s: %s", r.cdir, vocfed_strerror(rc));
    s_load(&r);
    s_steady(&r);
    s_finish(&r);
    for (size_t i = 0; i < r.n; i++) {
        zsock_destroy(&r.m[i].dealer);
        zsock_destroy(&r.m[i].monitor);
        store_destroy(&r.m[i].st);
        sodium_memzero(r.m[i].sk, sizeof r.m[i].sk);
        free(r.m[i].puts);
    }
    s_vec_t *vs[] = {&r.rcpt, &r.fig,  &r.rcpt_rs, &r.fig_rs,
                     &r.rss,  &r.anon, &r.lag,     &r.figtime};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        free(vs[i]->v);
    proto_buf_release(&r.out);
    free(r.m);
    free(r.items);
    free(r.item_of);
    free(r.recs);
    free(r.keys);
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

static bool
s_parse_secs(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0.01 && v <= 3600))
        return false;
    *out = v;
    return true;
}

static void
s_usage(FILE *f)
{
    fprintf(f,
            "usage: bench_province [--members M] [--records N] [--resync R]\n"
            "          [--batch B] [--interval S] [--seconds D] [--sample S]\n"
            "          [--verify] [--dir TMP] [--members-dir DIR] [--keep]\n"
            "  --members M   members, the re-syncing one included "
            "(default 500)\n"
            "  --records N   records the others hold and sync in part 1 "
            "(default 10000000)\n"
            "  --resync R    entries the last member re-syncs in part 2 "
            "(default N/10)\n"
            "  --batch B     records per steady append (default 4)\n"
            "  --interval S  seconds between a member's appends (default 2)\n"
            "  --seconds D   length of the steady part (default 120)\n"
            "  --sample S    seconds between two figure samples (default 0.2)\n"
            "  --verify      vocfed verify --figures on the coordinator at "
            "the end\n"
            "  --dir TMP     where the coordinator's folder goes "
            "(default /tmp)\n"
            "  --members-dir DIR  the members' stores (default /dev/shm if\n"
            "                writable, else TMP: members stand for other "
            "machines)\n"
            "  --keep        keep both folders (stores and the daemon's log)\n"
            "vocfed binary: %s\n",
            VOCFED_BINARY);
}

/* One option c (its argument in optarg) into cf; false if it is bad. */
static bool
s_option(int c, s_conf_t *cf, bool *resync_set)
{
    switch (c) {
    case 'm':
        return s_parse_u64(optarg, 2, 1000, &cf->members);
    case 'n':
        return s_parse_u64(optarg, 1, 1000000000, &cf->records);
    case 'r':
        *resync_set = true;
        return s_parse_u64(optarg, 1, 1000000000, &cf->resync);
    case 'b':
        return s_parse_u64(optarg, 1, 1000, &cf->batch);
    case 'i':
        return s_parse_secs(optarg, &cf->interval);
    case 's':
        return s_parse_u64(optarg, 1, 86400, &cf->seconds);
    case 'S':
        return s_parse_secs(optarg, &cf->sample);
    case 'v':
        cf->verify = true;
        return true;
    case 'd':
        cf->tmp = optarg;
        return true;
    case 'D':
        cf->mtmp = optarg;
        return true;
    case 'k':
        bench_g.keep = true;
        return true;
    case 'h':
        s_usage(stdout);
        exit(0);
    default:
        return false;
    }
}

/* Reads the options into cf; false on a bad one. */
static bool
s_options(int argc, char **argv, s_conf_t *cf, bool *resync_set)
{
    static const struct option opts[] = {
        {"members", required_argument, 0, 'm'},
        {"records", required_argument, 0, 'n'},
        {"resync", required_argument, 0, 'r'},
        {"batch", required_argument, 0, 'b'},
        {"interval", required_argument, 0, 'i'},
        {"seconds", required_argument, 0, 's'},
        {"sample", required_argument, 0, 'S'},
        {"verify", no_argument, 0, 'v'},
        {"dir", required_argument, 0, 'd'},
        {"members-dir", required_argument, 0, 'D'},
        {"keep", no_argument, 0, 'k'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:n:r:b:i:s:S:vd:D:kh", opts, NULL)) !=
           -1)
        if (!s_option(c, cf, resync_set))
            return false;
    return optind == argc;
}

/* Makes a temporary folder under parent into out. */
static void
s_mkdtemp(char out[BENCH_PATH_MAX], const char *parent)
{
    int n = snprintf(out, BENCH_PATH_MAX, "%s/vocfed-bench-province-XXXXXX",
                     parent);
    if (n < 0 || n >= BENCH_PATH_MAX || !mkdtemp(out))
        bench_fail("cannot make a folder in %s", parent);
}

int
main(int argc, char **argv)
{
    s_conf_t cf = {.members = 500,
                   .records = 10000000,
                   .batch = 4,
                   .interval = 2.0,
                   .seconds = 120,
                   .sample = 0.2,
                   .tmp = "/tmp"};
    bool resync_set = false;
    char root[BENCH_PATH_MAX], mroot[BENCH_PATH_MAX], logs[BENCH_PATH_MAX];
    if (!s_options(argc, argv, &cf, &resync_set)) {
        fprintf(stderr, "bench_province: bad arguments\n");
        s_usage(stderr);
        return 2;
    }
    if (!resync_set)
        cf.resync = cf.records / 10 ? cf.records / 10 : 1;
    if (!cf.mtmp)
        cf.mtmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : cf.tmp;
    if (sodium_init() < 0 || access(VOCFED_BINARY, X_OK) != 0) {
        fprintf(stderr, "bench_province: no libsodium or no vocfed at %s\n",
                VOCFED_BINARY);
        return 3;
    }
    zsys_set_max_sockets(3 * (size_t)cf.members + 64); /* link, monitor */
    zsys_init();
    node_daemon_signals();             /* SIGINT/SIGTERM stop the run */
    bench_proc_init("bench_province"); /* children and folders go at exit */
    s_mkdtemp(root, cf.tmp);
    snprintf(bench_g.root, sizeof bench_g.root, "%s", root);
    s_mkdtemp(mroot, cf.mtmp);
    snprintf(bench_g.mroot, sizeof bench_g.mroot, "%s", mroot);
    bench_path(logs, "%s/logs", bench_g.root);
    if (mkdir(logs, 0700) != 0)
        bench_fail("cannot make %s", logs);
    printf("bench_province: %" PRIu64 " members, %" PRIu64
           " records loaded, %" PRIu64 " re-synced; coordinator in %s, "
           "members in %s\n",
           cf.members, cf.records, cf.resync, root, mroot);
    s_bodies_init();
    s_run_all(&cf, mroot);
    s_bodies_release();
    return 0;
}
