/* flaky_relay: a TCP relay on 127.0.0.1 that misbehaves on purpose, for
 * the network tests (tests/node/test_network.c).
 *
 * It listens on 127.0.0.1:LISTEN and forwards each accepted connection
 * to 127.0.0.1:TARGET, in one process with one poll loop. From a seed it
 * delays chunks, writes some of them in small pieces, stalls a direction
 * (or both) of a connection for a while and cuts connections (both sides
 * closed, with a FIN or a reset). Order within a direction is always
 * kept: a relay may be slow or rude, never reorder or corrupt bytes.
 *
 * Loopback only: any other address is refused at the command line. Not
 * installed; built for the tests. `flaky_relay --help` says the rest. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_CONNS 128           /* connections relayed at once */
#define S_CHUNK_MAX 16384         /* bytes read at once */
#define S_QUEUE_MAX (1024 * 1024) /* bytes queued per direction */
#define S_STATS_EVERY_MS 500      /* stats file rewritten this often */
#define S_TICK_MS 1000            /* longest poll wait */

/* ---- settings ---------------------------------------------------------- */

typedef struct {
    int listen_port;     /* --listen */
    int target_port;     /* --target */
    uint64_t seed;       /* --seed */
    bool seed_given;     /* --seed was given */
    double delay_rate;   /* --delay-rate: fraction of chunks delayed */
    uint64_t delay_max;  /* --delay-max: ms, a delay is uniform 0..this */
    double split_rate;   /* --split-rate: fraction written in pieces */
    uint64_t split_max;  /* --split-max: largest piece, bytes */
    uint64_t cut_mean;   /* --cut-mean: ms a connection lives, 0 never */
    double rst_rate;     /* --rst-rate: fraction of cuts that reset */
    uint64_t stall_mean; /* --stall-mean: ms between stalls, 0 never */
    uint64_t stall_min;  /* --stall-min: shortest stall, ms */
    uint64_t stall_max;  /* --stall-max: longest stall, ms */
    uint64_t duration;   /* --duration: seconds, 0 until a signal */
    const char *stats;   /* --stats: JSON counters written here */
    bool verbose;        /* --verbose: a line per fault */
    bool control;        /* --control: commands on stdin */
} s_opts_t;

static const char *s_usage =
    "Usage: flaky_relay --listen [127.0.0.1:]PORT --target [127.0.0.1:]PORT\n"
    "                   [options]\n"
    "\n"
    "Relays every TCP connection accepted on 127.0.0.1:LISTEN to\n"
    "127.0.0.1:TARGET and misbehaves at random: delays chunks, writes some\n"
    "in small pieces, stalls a direction (or both) of a connection, cuts\n"
    "connections (closes both sides, with a FIN or a reset). Bytes are\n"
    "never reordered, changed or invented; a cut drops what was queued.\n"
    "Only 127.0.0.1 (or localhost) is accepted as an address.\n"
    "\n"
    "Options (a rate is a fraction 0..1; a time in ms; 0 turns a fault off):\n"
    "  --listen [127.0.0.1:]PORT  where to accept connections (required)\n"
    "  --target [127.0.0.1:]PORT  where to forward them (required)\n"
    "  --seed N            seed of the random draws (default: from the clock,\n"
    "                      printed at start); the same seed gives the same\n"
    "                      draws, but timing decides where they land\n"
    "  --delay-rate P      fraction of chunks delayed (default 0.2)\n"
    "  --delay-max MS      a delay is uniform in 0..MS (default 200)\n"
    "  --split-rate P      fraction of chunks written in pieces (default 0.1)\n"
    "  --split-max BYTES   largest piece, 1..65536 (default 64)\n"
    "  --cut-mean MS       a connection is cut after a time uniform in\n"
    "                      0..2*MS (default 5000)\n"
    "  --rst-rate P        fraction of cuts that send a reset, not a FIN\n"
    "                      (default 0.5)\n"
    "  --stall-mean MS     a connection stalls after a time uniform in\n"
    "                      0..2*MS after the last stall ended (default 8000)\n"
    "  --stall-min MS      shortest stall (default 500)\n"
    "  --stall-max MS      longest stall (default 8000); one direction or\n"
    "                      both stop being forwarded, reading goes on until\n"
    "                      1 MiB is queued\n"
    "  --duration S        exit after S seconds (default 0: run until\n"
    "                      SIGINT or SIGTERM)\n"
    "  --stats FILE        write the counters as one JSON object to FILE\n"
    "                      (replaced atomically every 0.5 s, on SIGUSR1 and\n"
    "                      at exit)\n"
    "  --verbose           a line on stderr for each cut and stall\n"
    "  --control           read commands on stdin, one a line, each answered\n"
    "                      on stderr with 'flaky_relay: command N done: CMD'\n"
    "                      (N counts the commands from 1):\n"
    "                        cut      cut every connection now\n"
    "                        hold client|target|both\n"
    "                                 stop forwarding that way, on every\n"
    "                                 connection, new ones too, until release\n"
    "                        release  forward again\n"
    "                        delay client|target|both MS\n"
    "                                 every chunk that way waits MS more\n"
    "                                 (0: no more; order is kept)\n"
    "                        calm     no new random faults (those under way\n"
    "                                 finish)\n"
    "                        rough    random faults again\n"
    "                        stats    the counters, as on SIGUSR1\n"
    "                      end of stdin ends the commands, not the relay\n"
    "  --help              this text\n"
    "\n"
    "Counters (on stderr at exit and on SIGUSR1, and in FILE): seconds,\n"
    "connections accepted, active, connect_failed (target refused),\n"
    "bytes_to_target and bytes_to_client (bytes delivered each way),\n"
    "bytes_dropped (queued when a cut came), chunks, delays, splits,\n"
    "pieces, cuts, resets (cuts by reset), stalls, stall_ms (their total\n"
    "length), closed (connections ended otherwise: by either end, or a\n"
    "failed connect).\n"
    "Exit: 0 after SIGINT, SIGTERM or --duration; 2 on bad usage; 1 when\n"
    "the relay cannot run (the port is taken, ...).\n";

/* ---- counters ---------------------------------------------------------- */

typedef struct {
    uint64_t connections;     /* accepted */
    uint64_t active;          /* open now */
    uint64_t connect_failed;  /* the target refused or failed */
    uint64_t bytes_to_target; /* delivered client -> target */
    uint64_t bytes_to_client; /* delivered target -> client */
    uint64_t bytes_dropped;   /* queued when a connection was cut */
    uint64_t chunks;          /* reads queued */
    uint64_t delays;          /* chunks given a delay */
    uint64_t splits;          /* chunks written in pieces */
    uint64_t pieces;          /* writes of those pieces */
    uint64_t cuts;            /* connections cut by the relay */
    uint64_t resets;          /* of which with a reset */
    uint64_t stalls;          /* stalls started */
    uint64_t stall_ms;        /* their total length */
    uint64_t closed;          /* connections ended by one of the ends */
} s_stats_t;

/* ---- connections ------------------------------------------------------- */

/* Bytes read from one end, waiting to go to the other. */
typedef struct s_chunk {
    struct s_chunk *next; /* the next one in the queue */
    uint64_t due_ms;      /* not written before */
    size_t len;           /* bytes in data */
    size_t off;           /* bytes already written */
    bool split;           /* written in small pieces */
    uint8_t data[];       /* the bytes */
} s_chunk_t;

/* One direction of a connection. */
typedef struct {
    s_chunk_t *head;      /* oldest chunk */
    s_chunk_t *tail;      /* newest chunk */
    size_t queued;        /* bytes in the queue, not yet written */
    uint64_t last_due_ms; /* due time of the newest chunk (kept in order) */
    uint64_t stall_until; /* nothing is written before */
    bool eof;             /* the source end sent its FIN */
    bool shut;            /* we passed the FIN on (shutdown SHUT_WR) */
} s_dir_t;

/* A relayed connection: fd[0] the client, fd[1] the target. dir[0] goes
 * client -> target, dir[1] target -> client. */
typedef struct {
    bool used;         /* slot in use */
    uint64_t id;       /* 1, 2, ... in order of acceptance */
    int fd[2];         /* client, target */
    bool connecting;   /* the connect to the target is under way */
    s_dir_t dir[2];    /* the two directions */
    uint64_t cut_ms;   /* cut then (UINT64_MAX: never) */
    uint64_t stall_ms; /* next stall then (UINT64_MAX: never) */
} s_conn_t;

typedef struct {
    s_opts_t o;                  /* settings */
    s_stats_t stats;             /* counters */
    uint64_t rng;                /* xorshift state */
    uint64_t start_ms;           /* when we started */
    int lfd;                     /* listening socket */
    int sigpipe[2];              /* self-pipe of the signal handler */
    s_conn_t conns[S_MAX_CONNS]; /* the connections */
    uint64_t next_id;            /* id of the next connection */
    bool hold[2];                /* --control: a direction held */
    uint64_t delay[2];           /* --control: ms added to every chunk */
    bool calm;                   /* --control: no new random faults */
    bool ctl_open;               /* stdin still open (--control) */
    char ctl[256];               /* a command line being read */
    size_t ctl_len;              /* its bytes so far */
    uint64_t ctl_count;          /* commands done */
} s_relay_t;

static volatile sig_atomic_t s_stop_flag; /* SIGINT or SIGTERM came */
static volatile sig_atomic_t s_dump_flag; /* SIGUSR1 came */
static int s_sig_fd = -1;                 /* write end of the self-pipe */

static void
s_on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGUSR1)
        s_dump_flag = 1;
    else
        s_stop_flag = 1;
    if (s_sig_fd >= 0 && write(s_sig_fd, "", 1) < 0) {
        /* full: the loop wakes anyway */
    }
    errno = saved;
}

static uint64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- random draws (xorshift64*, seeded through splitmix64) ------------ */

static uint64_t
s_rand(s_relay_t *r)
{
    r->rng ^= r->rng >> 12;
    r->rng ^= r->rng << 25;
    r->rng ^= r->rng >> 27;
    return r->rng * 2685821657736338717ULL;
}

/* Uniform in [0, 1). */
static double
s_unit(s_relay_t *r)
{
    return (double)(s_rand(r) >> 11) / 9007199254740992.0;
}

/* Uniform in [lo, hi]. */
static uint64_t
s_between(s_relay_t *r, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + s_rand(r) % (hi - lo + 1);
}

static bool
s_chance(s_relay_t *r, double p)
{
    return p > 0 && s_unit(r) < p;
}

/* When the next event of a mean interval comes: uniform in 0..2*mean
 * from now; never when mean is 0. */
static uint64_t
s_next_event(s_relay_t *r, uint64_t now, uint64_t mean)
{
    return mean ? now + s_between(r, 0, 2 * mean) : UINT64_MAX;
}

/* ---- command line ------------------------------------------------------ */

static int s_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
s_bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "flaky_relay: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(flaky_relay --help tells the options)\n");
    va_end(ap);
    return 2;
}

static bool
s_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool
s_rate(const char *s, double *out)
{
    char *end;
    if (!*s || *s == ' ')
        return false;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 0.0 && v <= 1.0))
        return false;
    *out = v;
    return true;
}

/* "[127.0.0.1:]PORT" or "localhost:PORT": the port; false for any other
 * host (this relay stays on loopback) or a bad port. */
static bool
s_loopback_port(const char *s, int *port)
{
    const char *colon = strrchr(s, ':');
    uint64_t v;
    if (colon) {
        size_t n = (size_t)(colon - s);
        if (!((n == 9 && strncmp(s, "127.0.0.1", 9) == 0) ||
              (n == 9 && strncmp(s, "localhost", 9) == 0)))
            return false;
        s = colon + 1;
    }
    if (!s_u64(s, 1, 65535, &v))
        return false;
    *port = (int)v;
    return true;
}

static int
s_parse(int argc, char **argv, s_opts_t *o)
{
    *o = (s_opts_t){.delay_rate = 0.2,
                    .delay_max = 200,
                    .split_rate = 0.1,
                    .split_max = 64,
                    .cut_mean = 5000,
                    .rst_rate = 0.5,
                    .stall_mean = 8000,
                    .stall_min = 500,
                    .stall_max = 8000};
    static const uint64_t day_ms = 86400000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(s_usage, stdout);
            exit(0);
        }
        if (strcmp(a, "--verbose") == 0) {
            o->verbose = true;
            continue;
        }
        if (strcmp(a, "--control") == 0) {
            o->control = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return s_bad("unexpected argument '%s'", a);
        if (i + 1 >= argc)
            return s_bad("%s needs a value", a);
        const char *v = argv[++i];
        bool ok = true;
        if (strcmp(a, "--listen") == 0)
            ok = s_loopback_port(v, &o->listen_port);
        else if (strcmp(a, "--target") == 0)
            ok = s_loopback_port(v, &o->target_port);
        else if (strcmp(a, "--seed") == 0)
            ok = o->seed_given = s_u64(v, 0, UINT64_MAX, &o->seed);
        else if (strcmp(a, "--delay-rate") == 0)
            ok = s_rate(v, &o->delay_rate);
        else if (strcmp(a, "--delay-max") == 0)
            ok = s_u64(v, 0, day_ms, &o->delay_max);
        else if (strcmp(a, "--split-rate") == 0)
            ok = s_rate(v, &o->split_rate);
        else if (strcmp(a, "--split-max") == 0)
            ok = s_u64(v, 1, 65536, &o->split_max);
        else if (strcmp(a, "--cut-mean") == 0)
            ok = s_u64(v, 0, day_ms, &o->cut_mean);
        else if (strcmp(a, "--rst-rate") == 0)
            ok = s_rate(v, &o->rst_rate);
        else if (strcmp(a, "--stall-mean") == 0)
            ok = s_u64(v, 0, day_ms, &o->stall_mean);
        else if (strcmp(a, "--stall-min") == 0)
            ok = s_u64(v, 0, day_ms, &o->stall_min);
        else if (strcmp(a, "--stall-max") == 0)
            ok = s_u64(v, 0, day_ms, &o->stall_max);
        else if (strcmp(a, "--duration") == 0)
            ok = s_u64(v, 0, 86400 * 365, &o->duration);
        else if (strcmp(a, "--stats") == 0)
            ok = (o->stats = v)[0] != '\0';
        else
            return s_bad("unknown option '%s'", a);
        if (!ok) {
            if (strcmp(a, "--listen") == 0 || strcmp(a, "--target") == 0)
                return s_bad("%s takes [127.0.0.1:]PORT (loopback only, "
                             "port 1..65535), not '%s'",
                             a, v);
            return s_bad("bad value for %s: '%s'", a, v);
        }
    }
    if (!o->listen_port || !o->target_port)
        return s_bad("--listen and --target are required");
    if (o->listen_port == o->target_port)
        return s_bad("--listen and --target must differ");
    if (o->stall_min > o->stall_max)
        return s_bad("--stall-min is larger than --stall-max");
    return 0;
}

/* ---- counters out ------------------------------------------------------ */

/* The counters as one JSON object or as name=value pairs, with a
 * newline; the length, or -1 when cap is too small. */
static int
s_stats_text(const s_relay_t *r, bool json, char *out, size_t cap)
{
    const s_stats_t *s = &r->stats;
    const struct {
        const char *name; /* counter */
        uint64_t v;       /* its value */
    } c[] = {
        {"connections", s->connections},
        {"active", s->active},
        {"connect_failed", s->connect_failed},
        {"bytes_to_target", s->bytes_to_target},
        {"bytes_to_client", s->bytes_to_client},
        {"bytes_dropped", s->bytes_dropped},
        {"chunks", s->chunks},
        {"delays", s->delays},
        {"splits", s->splits},
        {"pieces", s->pieces},
        {"cuts", s->cuts},
        {"resets", s->resets},
        {"stalls", s->stalls},
        {"stall_ms", s->stall_ms},
        {"closed", s->closed},
    };
    double secs = (double)(s_now_ms() - r->start_ms) / 1000.0;
    size_t len = 0;
    int n =
        json ? snprintf(out, cap, "{\"seed\": %" PRIu64 ", \"seconds\": %.1f",
                        r->o.seed, secs)
             : snprintf(out, cap, "seed=%" PRIu64 " seconds=%.1f", r->o.seed,
                        secs);
    for (size_t i = 0;; i++) {
        if (n < 0 || (size_t)n >= cap - len)
            return -1;
        len += (size_t)n;
        if (i == sizeof c / sizeof c[0])
            break;
        n = json ? snprintf(out + len, cap - len, ", \"%s\": %" PRIu64,
                            c[i].name, c[i].v)
                 : snprintf(out + len, cap - len, " %s=%" PRIu64, c[i].name,
                            c[i].v);
    }
    n = snprintf(out + len, cap - len, "%s\n", json ? "}" : "");
    if (n < 0 || (size_t)n >= cap - len)
        return -1;
    return (int)(len + (size_t)n);
}

/* Replaces the stats file (temporary file, then rename). */
static void
s_stats_write(const s_relay_t *r)
{
    char text[1024], tmp[4096];
    int n;
    if (!r->o.stats || (n = s_stats_text(r, true, text, sizeof text)) < 0)
        return;
    int t = snprintf(tmp, sizeof tmp, "%s.tmp", r->o.stats);
    if (t < 0 || (size_t)t >= sizeof tmp)
        return;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    bool ok = fwrite(text, 1, (size_t)n, f) == (size_t)n;
    if (fclose(f) != 0 || !ok || rename(tmp, r->o.stats) != 0)
        unlink(tmp);
}

static void
s_stats_print(const s_relay_t *r)
{
    char text[1024];
    if (s_stats_text(r, false, text, sizeof text) >= 0)
        fprintf(stderr, "flaky_relay: %s", text);
}

/* ---- sockets ----------------------------------------------------------- */

static int
s_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static struct sockaddr_in
s_addr(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    return a;
}

static int
s_listen(int port)
{
    struct sockaddr_in a = s_addr(port);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) ||
        s_nonblock(fd) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static void
s_queue_free(s_dir_t *d)
{
    while (d->head) {
        s_chunk_t *c = d->head;
        d->head = c->next;
        free(c);
    }
    d->tail = NULL;
    d->queued = 0;
}

/* Ends a connection. cut: by the relay (a fault; a reset or a FIN), else
 * because one of its ends went away. */
static void
s_close(s_relay_t *r, s_conn_t *c, bool cut, const char *why)
{
    bool rst = false;
    if (cut) {
        rst = s_chance(r, r->o.rst_rate);
        r->stats.cuts++;
        r->stats.resets += rst;
    } else {
        r->stats.closed++;
    }
    for (int i = 0; i < 2; i++) {
        r->stats.bytes_dropped += c->dir[i].queued;
        s_queue_free(&c->dir[i]);
        if (c->fd[i] < 0)
            continue;
        if (rst) {
            struct linger l = {1, 0};
            if (setsockopt(c->fd[i], SOL_SOCKET, SO_LINGER, &l, sizeof l)) {
                /* a FIN then */
            }
        }
        close(c->fd[i]);
        c->fd[i] = -1;
    }
    if (r->o.verbose)
        fprintf(
            stderr, "flaky_relay: connection %" PRIu64 " %s%s\n", c->id,
            cut ? (rst ? "cut (reset): " : "cut (FIN): ") : "closed: ", why);
    c->used = false;
    r->stats.active--;
}

static void
s_accept(s_relay_t *r, uint64_t now)
{
    for (;;) {
        int fd = accept(r->lfd, NULL, NULL);
        if (fd < 0)
            return; /* EAGAIN, or an aborted connection: try next turn */
        s_conn_t *c = NULL;
        for (size_t i = 0; i < S_MAX_CONNS && !c; i++)
            if (!r->conns[i].used)
                c = &r->conns[i];
        int t = -1;
        struct sockaddr_in a = s_addr(r->o.target_port);
        int one = 1;
        if (!c || s_nonblock(fd) != 0 ||
            (t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
            s_nonblock(t) != 0) {
            fprintf(stderr, "flaky_relay: connection dropped: %s\n",
                    c ? strerror(errno) : "too many connections");
            close(fd);
            if (t >= 0)
                close(t);
            continue;
        }
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ||
            setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)) {
            /* pieces may then be merged: still a valid relay */
        }
        r->stats.connections++;
        r->stats.active++;
        *c = (s_conn_t){.used = true,
                        .id = ++r->next_id,
                        .fd = {fd, t},
                        .connecting = true,
                        .cut_ms = s_next_event(r, now, r->o.cut_mean),
                        .stall_ms = s_next_event(r, now, r->o.stall_mean)};
        if (connect(t, (struct sockaddr *)&a, sizeof a) == 0) {
            c->connecting = false;
        } else if (errno != EINPROGRESS) {
            r->stats.connect_failed++;
            s_close(r, c, false, strerror(errno));
        }
    }
}

/* Reads what one end sent into the queue towards the other. */
static void
s_read(s_relay_t *r, s_conn_t *c, int from, uint64_t now)
{
    s_dir_t *d = &c->dir[from];
    size_t want = S_CHUNK_MAX;
    s_chunk_t *k = malloc(sizeof *k + want);
    if (!k)
        return; /* try again next turn */
    ssize_t n = read(c->fd[from], k->data, want);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        free(k);
        return;
    }
    if (n <= 0) {
        int saved = errno;
        free(k);
        if (n == 0) {
            d->eof = true; /* passed on once the queue is written */
            return;
        }
        s_close(r, c, false, strerror(saved));
        return;
    }
    s_chunk_t *fit = realloc(k, sizeof *k + (size_t)n);
    if (fit)
        k = fit; /* small reads hold little: the cap counts bytes */
    uint64_t due = now + r->delay[from];
    if (!r->calm && s_chance(r, r->o.delay_rate)) {
        due += s_between(r, 0, r->o.delay_max);
        r->stats.delays++;
    }
    if (due < d->last_due_ms)
        due = d->last_due_ms; /* never overtakes the chunk before it */
    d->last_due_ms = due;
    k->next = NULL;
    k->due_ms = due;
    k->len = (size_t)n;
    k->off = 0;
    k->split = !r->calm && s_chance(r, r->o.split_rate);
    r->stats.splits += k->split;
    r->stats.chunks++;
    if (d->tail)
        d->tail->next = k;
    else
        d->head = k;
    d->tail = k;
    d->queued += (size_t)n;
}

/* Writes what is due of one direction; false when the connection ended. */
static bool
s_write(s_relay_t *r, s_conn_t *c, int from, uint64_t now)
{
    s_dir_t *d = &c->dir[from];
    int to = 1 - from;
    while (d->head && d->head->due_ms <= now && d->stall_until <= now &&
           !r->hold[from]) {
        s_chunk_t *k = d->head;
        size_t len = k->len - k->off;
        if (k->split) {
            size_t piece = (size_t)s_between(r, 1, r->o.split_max);
            if (piece < len)
                len = piece;
            r->stats.pieces++;
        }
        ssize_t n = send(c->fd[to], k->data + k->off, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return true;
            s_close(r, c, false, strerror(errno));
            return false;
        }
        k->off += (size_t)n;
        d->queued -= (size_t)n;
        if (from == 0)
            r->stats.bytes_to_target += (uint64_t)n;
        else
            r->stats.bytes_to_client += (uint64_t)n;
        if (k->off == k->len) {
            d->head = k->next;
            if (!d->head)
                d->tail = NULL;
            free(k);
        }
    }
    if (d->eof && !d->head && !d->shut) {
        /* The source's FIN, passed on in order. */
        d->shut = true;
        if (shutdown(c->fd[to], SHUT_WR) != 0) {
            s_close(r, c, false, strerror(errno));
            return false;
        }
    }
    if (c->dir[0].shut && c->dir[1].shut) {
        s_close(r, c, false, "both ends finished");
        return false;
    }
    return true;
}

/* Cuts and stalls that are due. False when the connection was cut. */
static bool
s_faults(s_relay_t *r, s_conn_t *c, uint64_t now)
{
    if (r->calm) {
        /* Drawn again: no fault comes due while calm. */
        if (now >= c->cut_ms)
            c->cut_ms = s_next_event(r, now, r->o.cut_mean);
        if (now >= c->stall_ms)
            c->stall_ms = s_next_event(r, now, r->o.stall_mean);
        return true;
    }
    if (now >= c->cut_ms) {
        s_close(r, c, true, "at random");
        return false;
    }
    if (now >= c->stall_ms) {
        int which = (int)s_between(r, 0, 2); /* 0, 1: that one; 2: both */
        uint64_t len = s_between(r, r->o.stall_min, r->o.stall_max);
        for (int i = 0; i < 2; i++)
            if (which == 2 || which == i)
                c->dir[i].stall_until = now + len;
        r->stats.stalls++;
        r->stats.stall_ms += len;
        c->stall_ms = s_next_event(r, now + len, r->o.stall_mean);
        if (r->o.verbose)
            fprintf(stderr,
                    "flaky_relay: connection %" PRIu64 " stalls %s for "
                    "%" PRIu64 " ms\n",
                    c->id,
                    which == 2   ? "both ways"
                    : which == 0 ? "towards the target"
                                 : "towards the client",
                    len);
    }
    return true;
}

/* When the loop must wake for this connection next. */
static uint64_t
s_wake(const s_relay_t *r, const s_conn_t *c)
{
    uint64_t w = c->cut_ms < c->stall_ms ? c->cut_ms : c->stall_ms;
    for (int i = 0; i < 2; i++) {
        const s_dir_t *d = &c->dir[i];
        if (!d->head || r->hold[i])
            continue; /* a held direction waits for a command */
        uint64_t t =
            d->head->due_ms > d->stall_until ? d->head->due_ms : d->stall_until;
        if (t < w)
            w = t;
    }
    return w;
}

/* One command line (--control). */
static void
s_command(s_relay_t *r, const char *cmd)
{
    bool ok = true;
    if (strcmp(cmd, "cut") == 0) {
        for (size_t i = 0; i < S_MAX_CONNS; i++)
            if (r->conns[i].used)
                s_close(r, &r->conns[i], true, "on command");
    } else if (strcmp(cmd, "hold client") == 0) {
        r->hold[1] = true;
    } else if (strcmp(cmd, "hold target") == 0) {
        r->hold[0] = true;
    } else if (strcmp(cmd, "hold both") == 0) {
        r->hold[0] = r->hold[1] = true;
    } else if (strcmp(cmd, "release") == 0) {
        r->hold[0] = r->hold[1] = false;
    } else if (strncmp(cmd, "delay ", 6) == 0) {
        const char *arg = cmd + 6, *sp = strchr(arg, ' ');
        uint64_t ms;
        size_t n = sp ? (size_t)(sp - arg) : 0;
        ok = sp && s_u64(sp + 1, 0, 86400000, &ms);
        if (ok && n == 6 && strncmp(arg, "client", 6) == 0)
            r->delay[1] = ms;
        else if (ok && n == 6 && strncmp(arg, "target", 6) == 0)
            r->delay[0] = ms;
        else if (ok && n == 4 && strncmp(arg, "both", 4) == 0)
            r->delay[0] = r->delay[1] = ms;
        else
            ok = false;
    } else if (strcmp(cmd, "calm") == 0) {
        r->calm = true;
    } else if (strcmp(cmd, "rough") == 0) {
        r->calm = false;
    } else if (strcmp(cmd, "stats") == 0) {
        s_stats_print(r);
        s_stats_write(r);
    } else {
        ok = false;
    }
    r->ctl_count++;
    if (ok)
        fprintf(stderr, "flaky_relay: command %" PRIu64 " done: %s\n",
                r->ctl_count, cmd);
    else
        fprintf(stderr,
                "flaky_relay: command %" PRIu64 " unknown: '%s' (ignored)\n",
                r->ctl_count, cmd);
}

/* Reads what stdin has and runs each whole line. */
static void
s_control(s_relay_t *r)
{
    char buf[512];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        r->ctl_open = false;
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        char ch = buf[i];
        if (ch == '\n') {
            r->ctl[r->ctl_len] = '\0';
            if (r->ctl_len && r->ctl[r->ctl_len - 1] == '\r')
                r->ctl[r->ctl_len - 1] = '\0';
            s_command(r, r->ctl);
            r->ctl_len = 0;
        } else if (r->ctl_len + 1 < sizeof r->ctl) {
            r->ctl[r->ctl_len++] = ch;
        }
    }
}

static int
s_run(s_relay_t *r)
{
    struct pollfd pfd[3 + 2 * S_MAX_CONNS];
    s_conn_t *owner[3 + 2 * S_MAX_CONNS];
    int side[3 + 2 * S_MAX_CONNS];
    uint64_t end =
        r->o.duration ? r->start_ms + r->o.duration * 1000 : UINT64_MAX;
    uint64_t next_stats = r->start_ms;
    while (!s_stop_flag) {
        uint64_t now = s_now_ms();
        if (now >= end)
            break;
        if (s_dump_flag) {
            s_dump_flag = 0;
            s_stats_print(r);
            s_stats_write(r);
        }
        if (now >= next_stats) {
            s_stats_write(r);
            next_stats = now + S_STATS_EVERY_MS;
        }
        uint64_t wake = end < next_stats ? end : next_stats;
        size_t n = 0;
        pfd[n] = (struct pollfd){r->sigpipe[0], POLLIN, 0};
        owner[n++] = NULL;
        pfd[n] = (struct pollfd){r->lfd, POLLIN, 0};
        owner[n++] = NULL;
        pfd[n] = (struct pollfd){r->ctl_open ? STDIN_FILENO : -1, POLLIN, 0};
        owner[n++] = NULL;
        for (size_t i = 0; i < S_MAX_CONNS; i++) {
            s_conn_t *c = &r->conns[i];
            if (!c->used || !s_faults(r, c, now))
                continue;
            uint64_t w = s_wake(r, c);
            if (w < wake)
                wake = w;
            for (int s = 0; s < 2; s++) {
                short ev = 0;
                s_dir_t *in = &c->dir[s], *out = &c->dir[1 - s];
                if (c->connecting) {
                    ev = s == 1 ? POLLOUT : 0; /* the connect's outcome */
                } else {
                    if (!in->eof && in->queued < S_QUEUE_MAX)
                        ev |= POLLIN;
                    if (out->head && out->head->due_ms <= now &&
                        out->stall_until <= now && !r->hold[1 - s])
                        ev |= POLLOUT;
                }
                /* Nothing wanted: left out, or a hang-up reported again
                 * and again would spin the loop. */
                pfd[n] = (struct pollfd){ev ? c->fd[s] : -1, ev, 0};
                owner[n] = c;
                side[n++] = s;
            }
        }
        int timeout = wake <= now              ? 0
                      : wake - now > S_TICK_MS ? S_TICK_MS
                                               : (int)(wake - now);
        int got = poll(pfd, (nfds_t)n, timeout);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            perror("flaky_relay: poll");
            return 1;
        }
        now = s_now_ms();
        if (pfd[0].revents & POLLIN) {
            char buf[64];
            while (read(r->sigpipe[0], buf, sizeof buf) > 0) {
            }
        }
        if (pfd[1].revents & POLLIN)
            s_accept(r, now);
        if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
            s_control(r);
        for (size_t i = 3; i < n; i++) {
            s_conn_t *c = owner[i];
            int s = side[i];
            short rev = pfd[i].revents;
            if (pfd[i].fd < 0 || !c->used || c->fd[s] != pfd[i].fd)
                continue; /* left out, or closed earlier in this turn */
            if (c->connecting) {
                if (s != 1 || !rev)
                    continue;
                int err = 0;
                socklen_t len = sizeof err;
                if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) ||
                    err) {
                    r->stats.connect_failed++;
                    s_close(r, c, false, strerror(err ? err : errno));
                    continue;
                }
                c->connecting = false;
                continue;
            }
            if (rev & (POLLIN | POLLHUP | POLLERR))
                s_read(r, c, s, now);
            if (c->used && c->fd[s] == pfd[i].fd && (rev & POLLERR) &&
                !(rev & POLLIN)) {
                s_close(r, c, false, "socket error");
                continue;
            }
        }
        /* Whatever is due goes out, whether or not poll said so. */
        for (size_t i = 0; i < S_MAX_CONNS; i++) {
            s_conn_t *c = &r->conns[i];
            if (!c->used || c->connecting)
                continue;
            if (s_write(r, c, 0, now) && c->used)
                s_write(r, c, 1, now);
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static s_relay_t r; /* large: not on the stack */
    int rc = s_parse(argc, argv, &r.o);
    if (rc)
        return rc;
    if (!r.o.seed_given) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r.o.seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
                   (uint64_t)getpid() << 32;
    }
    /* splitmix64 of the seed: any seed, 0 too, gives a good state. */
    uint64_t z = r.o.seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    r.rng = (z ^ (z >> 31)) | 1;
    r.start_ms = s_now_ms();

    if (pipe(r.sigpipe) != 0 || s_nonblock(r.sigpipe[0]) != 0 ||
        s_nonblock(r.sigpipe[1]) != 0) {
        perror("flaky_relay: pipe");
        return 1;
    }
    s_sig_fd = r.sigpipe[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (r.o.control) {
        if (s_nonblock(STDIN_FILENO) != 0) {
            perror("flaky_relay: stdin");
            return 1;
        }
        r.ctl_open = true;
    }
    r.lfd = s_listen(r.o.listen_port);
    if (r.lfd < 0) {
        fprintf(stderr, "flaky_relay: cannot listen on 127.0.0.1:%d: %s\n",
                r.o.listen_port, strerror(errno));
        return 1;
    }
    fprintf(stderr,
            "flaky_relay: relaying 127.0.0.1:%d to 127.0.0.1:%d, seed "
            "%" PRIu64 "\n",
            r.o.listen_port, r.o.target_port, r.o.seed);
    rc = s_run(&r);
    for (size_t i = 0; i < S_MAX_CONNS; i++)
        if (r.conns[i].used) {
            s_close(&r, &r.conns[i], false, "relay stopping");
            r.stats.closed--; /* not the ends' doing */
        }
    close(r.lfd);
    s_stats_print(&r);
    s_stats_write(&r);
    return rc;
}
