/* vocfed: a daemon's applier process (see applier.h; SPEC 5.5). */
#define _GNU_SOURCE /* pipe2, close_range */
#include "node/applier.h"
#include "node/daemon.h"
#include "node/node.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
        return false;
    }
    if (pace->defer_from_ms < 0 || !grew)
        return false; /* catching up after a wait, or the log is quiet */
    if (!pace->defer_from_ms)
        pace->defer_from_ms = now_ms;
    if (now_ms - pace->defer_from_ms < NODE_APPLIER_DEFER_MS)
        return true;
    pace->defer_from_ms = -1; /* waited long enough: apply until caught up */
    return false;
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

/* Applies chunk after chunk until the derived data is up to date or a
 * bulk arrival is to be waited for; *work grows by the entries applied.
 * Returns how long to sleep before the next look
 * (node_applier_pace_sleep_ms). */
static int
s_apply_all(store_t *st, node_applier_pace_t *pace, int64_t *error_log_ms,
            uint64_t *work, int fd, pid_t parent)
{
    size_t done = 0;
    int rc = VOCFED_OK;
    while (!s_pace_wait(st, pace)) {
        rc = store_apply(st, STORE_APPLY_FIT, &done);
        *work += rc == VOCFED_OK ? done : 0;
        if (rc != VOCFED_OK || done == 0 || s_stopping(fd, parent))
            break;
    }
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
