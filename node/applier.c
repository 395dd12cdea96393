/* vocfed: a daemon's applier process (see applier.h; SPEC 5.5). */
#define _GNU_SOURCE /* pipe2, close_range */
#include "node/applier.h"
#include "node/daemon.h"
#include "node/node.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_ERROR_LOG_MS 10000 /* a failing apply logged at most this often */
#define S_STOP_MS 10000      /* a stopping child is killed after this */

struct node_applier {
    char *dir;          /* the node's folder */
    pid_t pid;          /* the child (0: none) */
    int kick;           /* the write end of its kick pipe (-1) */
    int64_t restart_ms; /* a dead child is started again from then */
};

/* ---- the child --------------------------------------------------------- */

/* Waits for a kick or ms milliseconds. Returns false when the daemon
 * closed the pipe (or went away). */
static bool
s_wait(int fd, pid_t parent, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, ms);
    if (getppid() != parent)
        return false;
    if (n <= 0)
        return n == 0 || errno == EINTR;
    char buf[256];
    ssize_t r = read(fd, buf, sizeof buf); /* drain: one look for all */
    return r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR));
}

bool
node_applier_pace_wait(node_applier_pace_t *pace, uint64_t log_n,
                       uint64_t backlog, int64_t now_ms)
{
    if (pace->look_ms && log_n > pace->log_n)
        pace->grew_ms = now_ms;
    pace->log_n = log_n;
    pace->look_ms = now_ms;
    bool grew = pace->grew_ms && now_ms - pace->grew_ms <= NODE_APPLIER_GREW_MS;
    if (backlog < NODE_APPLIER_BULK) {
        pace->defer_from_ms = 0; /* caught up: the next bulk is waited for */
        pace->bulk_from_ms = 0;
        return false;
    }
    if (pace->defer_from_ms < 0)
        return false; /* catching up after a wait */
    if (!grew) {
        if (pace->defer_from_ms) /* the bulk waited for has landed */
            pace->defer_from_ms = -1;
        return false; /* the log is quiet */
    }
    if (!pace->defer_from_ms)
        pace->defer_from_ms = pace->bulk_from_ms = now_ms;
    if (now_ms - pace->defer_from_ms < NODE_APPLIER_DEFER_MS)
        return true;
    pace->defer_from_ms = -1; /* waited long enough: apply until caught up */
    return false;
}

bool
node_applier_pace_idle(const node_applier_pace_t *pace, int64_t now_ms)
{
    return pace->defer_from_ms < 0 && pace->bulk_from_ms > 0 &&
           now_ms - pace->bulk_from_ms < NODE_APPLIER_IDLE_MOST_MS;
}

int
node_applier_pace_sleep_ms(const node_applier_pace_t *pace, int64_t now_ms)
{
    if (pace->defer_from_ms <= 0 || !pace->grew_ms ||
        now_ms - pace->grew_ms > NODE_APPLIER_GREW_MS)
        return NODE_APPLIER_TICK_MS; /* not waiting for a bulk */
    int64_t quiet = pace->grew_ms + NODE_APPLIER_GREW_MS + 1;
    int64_t longest = pace->defer_from_ms + NODE_APPLIER_DEFER_MS;
    int64_t ms = (quiet < longest ? quiet : longest) - now_ms;
    return ms < 1                      ? 1
           : ms > NODE_APPLIER_TICK_MS ? NODE_APPLIER_TICK_MS
                                       : (int)ms;
}

/* Whether the daemon has closed the kick pipe (or gone away): looked at
 * between two chunks, without waiting, so that a stop ends the child
 * after its transaction even while it works off a backlog. Kicks read
 * here are not lost: the loop is applying anyway, and looks at the log
 * before its next chunk. */
static bool
s_stopping(int fd, pid_t parent)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[4096];
    if (getppid() != parent)
        return true;
    /* every kick queued first (up to a pipe's 64 KiB of them after a
     * long chunk), then the end of the pipe; read only while poll says
     * so: the read end blocks */
    while (poll(&p, 1, 0) > 0) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0)
            return true;
        if (r < 0)
            return false;
    }
    return false;
}

/* Whether to wait for a bulk arrival to land (node_applier_pace_wait). A
 * store that cannot be read is not waited for: the apply says why. */
static bool
s_pace_wait(store_t *st, node_applier_pace_t *pace)
{
    uint64_t log_n, backlog;
    if (store_apply_backlog(st, NODE_APPLIER_BULK, &log_n, &backlog) !=
        VOCFED_OK)
        return false;
    return node_applier_pace_wait(pace, log_n, backlog, zclock_mono());
}

/* Chunks applied by one thread: the child's own, or its idle one. */
typedef struct {
    store_t *st;
    node_applier_pace_t *pace;
    uint64_t *work;
    int fd;
    pid_t parent;
    bool idle; /* the idle thread: only while node_applier_pace_idle */
    bool more; /* out: it stopped with more to apply (not waiting) */
    int rc;    /* out: the last apply's status */
    int err;   /* out: the idle thread could not take SCHED_IDLE */
} s_run_t;

/* Applies chunk after chunk until the derived data is up to date, a
 * bulk is to be waited for, the daemon stops it, or (idle) the bulk is
 * no longer one to apply on idle CPU. */
static void *
s_run(void *arg)
{
    s_run_t *r = arg;
    size_t done = 0;
    r->rc = VOCFED_OK;
    r->more = false;
    while (!s_pace_wait(r->st, r->pace)) {
        if (r->idle != node_applier_pace_idle(r->pace, zclock_mono())) {
            r->more = true; /* the other thread's chunks */
            break;
        }
        r->rc = store_apply(r->st, STORE_APPLY_FIT, &done);
        *r->work += r->rc == VOCFED_OK ? done : 0;
        if (r->rc != VOCFED_OK || done == 0 || s_stopping(r->fd, r->parent))
            break;
    }
    return NULL;
}

/* The idle thread: takes SCHED_IDLE itself (glibc's thread attributes
 * take no SCHED_IDLE; on Linux sched_setscheduler(0) is the calling
 * thread's), then runs r; r->err is the error when it could not. */
static void *
s_idle_main(void *arg)
{
    s_run_t *r = arg;
    struct sched_param sp = {0};
    if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0) {
        r->err = errno;
        return NULL;
    }
    return s_run(r);
}

/* Runs r on a thread of its own in SCHED_IDLE and waits for it; 0, or
 * the error that kept it from running there (nothing applied: the
 * caller then applies at its nice value). */
static int
s_run_idle(s_run_t *r)
{
    pthread_t t;
    r->err = 0;
    int e = pthread_create(&t, NULL, s_idle_main, r);
    if (e)
        return e;
    pthread_join(t, NULL);
    return r->err;
}

/* Whether a SCHED_IDLE thread could be started (the child's, which has
 * one thread of its own: looked at and set on it only). */
static bool s_idle_ok = true;

/* Applies chunk after chunk until the derived data is up to date or a
 * bulk arrival is to be waited for, a bulk that still lands on idle CPU
 * only (applier.h); *work grows by the entries applied. Returns how long
 * to sleep before the next look (node_applier_pace_sleep_ms). */
static int
s_apply_all(store_t *st, node_applier_pace_t *pace, int64_t *error_log_ms,
            uint64_t *work, int fd, pid_t parent)
{
    s_run_t r = {st, pace, work, fd, parent, false, false, VOCFED_OK, 0};
    do {
        int e = 0;
        r.idle = s_idle_ok && node_applier_pace_idle(pace, zclock_mono());
        if (r.idle && (e = s_run_idle(&r))) {
            zsys_warning("applier: no thread in SCHED_IDLE (%s): a bulk is "
                         "applied at the applier's nice value",
                         strerror(e));
            s_idle_ok = false;
            r.idle = false;
        }
        if (!r.idle)
            s_run(&r);
    } while (r.more && r.rc == VOCFED_OK);
    int rc = r.rc;
    if (rc && zclock_mono() >= *error_log_ms) {
        zsys_error("applier: applying the log failed: %s (retrying)",
                   vocfed_strerror(rc));
        *error_log_ms = zclock_mono() + S_ERROR_LOG_MS;
    }
    return node_applier_pace_sleep_ms(pace, zclock_mono());
}

/* The child's life: never returns. It uses nothing of the daemon's but
 * the folder's name and the pipe (not its ZeroMQ context: it ends with
 * _exit). */
static void
s_child(const char *dir, int fd, pid_t parent)
{
    node_t *node = NULL;
    int64_t error_log_ms = 0;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* nothing lost mid-transaction */
    /* the log's work (receipts, imports) comes first; best effort */
    errno = 0;
    if (nice(NODE_APPLIER_NICE) == -1 && errno)
        zsys_warning("applier: cannot lower its priority: %s", strerror(errno));
    signal(SIGINT, SIG_IGN); /* the daemon stops it by the pipe */
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    if (getppid() != parent)
        _exit(0);
    int rc = node_open(dir, 0, &node);
    if (rc) {
        zsys_error("applier: cannot open %s: %s", dir, vocfed_strerror(rc));
        _exit(3);
    }
    /* A chunk's tables are large (ADMIN 9): given back after a burst. */
    node_daemon_trim_t trim = {0};
    node_applier_pace_t pace = {0};
    uint64_t work = 0;
    int sleep_ms;
    do {
        sleep_ms = s_apply_all(node_store(node), &pace, &error_log_ms, &work,
                               fd, parent);
        node_daemon_trim_after_burst(&trim, work, (uint64_t)zclock_mono());
    } while (s_wait(fd, parent, sleep_ms));
    node_close(&node);
    _exit(0);
}

/* ---- the daemon's side ------------------------------------------------- */

static int
s_spawn(node_applier_t *a)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -errno;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return -e;
    }
    if (pid == 0) {
        /* Only the pipe and the standard streams: an inherited socket
         * would keep the daemon's connections open after it closed
         * them, and its listening port bound. */
        if (dup2(p[0], 3) != 3 || close_range(4, ~0u, 0) != 0)
            _exit(3);
        s_child(a->dir, 3, parent);
    }
    close(p[0]);
    if (fcntl(p[1], F_SETFL, O_NONBLOCK) != 0) { /* a full pipe: kicked */
        int e = errno;
        close(p[1]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -e;
    }
    a->pid = pid;
    a->kick = p[1];
    return VOCFED_OK;
}

int
node_applier_start(const char *dir, node_applier_t **out)
{
    *out = NULL;
    node_applier_t *a = calloc(1, sizeof *a);
    if (!a || !(a->dir = strdup(dir))) {
        free(a);
        return VOCFED_ENOMEM;
    }
    a->kick = -1;
    int rc = s_spawn(a);
    if (rc) {
        free(a->dir);
        free(a);
        return rc;
    }
    *out = a;
    return VOCFED_OK;
}

/* Reaps a child that ended; true when one is running. */
static bool
s_alive(node_applier_t *a)
{
    int st;
    if (a->pid && waitpid(a->pid, &st, WNOHANG) == a->pid) {
        zsys_warning("applier: process %d ended (%s %d): starting another",
                     (int)a->pid, WIFSIGNALED(st) ? "signal" : "exit",
                     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        a->pid = 0;
        close(a->kick);
        a->kick = -1;
        a->restart_ms = zclock_mono();
    }
    return a->pid != 0;
}

void
node_applier_kick(node_applier_t *self)
{
    if (!self)
        return;
    if (!s_alive(self)) {
        if (zclock_mono() < self->restart_ms)
            return;
        self->restart_ms = zclock_mono() + NODE_APPLIER_TICK_MS;
        int rc = s_spawn(self);
        if (rc) {
            zsys_error("applier: cannot start: %s", vocfed_strerror(rc));
            return;
        }
    }
    ssize_t w = write(self->kick, "k", 1);
    (void)w; /* EAGAIN: kicks already waiting */
}

void
node_applier_stop(node_applier_t **self)
{
    if (!self || !*self)
        return;
    node_applier_t *a = *self;
    if (a->kick >= 0)
        close(a->kick); /* the child ends after its transaction */
    if (a->pid) {
        int64_t until = zclock_mono() + S_STOP_MS;
        while (waitpid(a->pid, NULL, WNOHANG) == 0) {
            if (zclock_mono() >= until) {
                kill(a->pid, SIGKILL);
                waitpid(a->pid, NULL, 0);
                break;
            }
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    free(a->dir);
    free(a);
    *self = NULL;
}
