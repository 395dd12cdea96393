/* vocfed: daemon plumbing (SPEC 10.4). */
#include "node/daemon.h"
#include "node/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sodium.h>
#include <unistd.h>

static volatile sig_atomic_t s_stop, s_reload;

static void
s_on_signal(int sig)
{
    if (sig == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
}

/* sig sets its flag (s_on_signal); flags for sigaction. */
static void
s_catch(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

void
node_daemon_signals(void)
{
    /* No SA_RESTART: a blocking poll returns EINTR and the loop stops. */
    s_catch(SIGINT, 0);
    s_catch(SIGTERM, 0);
    signal(SIGPIPE, SIG_IGN);
}

bool
node_daemon_stopping(void)
{
    return s_stop != 0;
}

void
node_daemon_signal_reload(void)
{
    s_catch(SIGHUP, SA_RESTART); /* the loop goes on: the request is polled */
}

bool
node_daemon_reload_asked(void)
{
    if (!s_reload)
        return false;
    s_reload = 0; /* before the settings are read: a later SIGHUP counts */
    return true;
}

int
node_daemon_lock(const char *dir, int *holder)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/daemon.lock", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    *holder = 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char buf[32] = {0};
        if (pread(fd, buf, sizeof buf - 1, 0) > 0)
            *holder = (int)strtol(buf, NULL, 10);
        close(fd);
        return err == EWOULDBLOCK ? VOCFED_ELOCKED : -err;
    }
    char buf[32];
    n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int
node_daemon_holder(const char *dir)
{
    char path[4096], buf[32] = {0};
    int n = snprintf(path, sizeof path, "%s/daemon.lock", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* never locked */
    int holder = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        holder = -1;
        if (pread(fd, buf, sizeof buf - 1, 0) > 0) {
            char *end;
            long pid = strtol(buf, &end, 10);
            if (end != buf && pid > 0 && pid <= INT_MAX)
                holder = (int)pid;
        }
    }
    close(fd); /* and the shared lock with it */
    return holder;
}

int
node_daemon_take(const char *who, const char *dir)
{
    int holder = 0;
    int fd = node_daemon_lock(dir, &holder);
    if (fd == VOCFED_ELOCKED)
        zsys_error("%s: store %s is held by another daemon (pid %d)", who, dir,
                   holder);
    return fd;
}

void
node_daemon_unlock(int fd)
{
    if (fd >= 0) {
        if (ftruncate(fd, 0) != 0) {
            /* the lock goes with the descriptor anyway */
        }
        close(fd);
    }
}

int
node_daemon_watch(const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (inotify_add_watch(fd, path, IN_MODIFY | IN_CLOSE_WRITE) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

void
node_daemon_watch_drain(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

bool
node_daemon_watch_commit(int fd, store_t *st)
{
    node_daemon_watch_drain(fd);
    return store_sync_point(st) == VOCFED_OK;
}

int
node_daemon_socket(int type, const uint8_t *sk, zsock_t **out)
{
    uint8_t cpk[PROTO_PUBKEY_LEN];
    uint8_t *csk = sodium_malloc(PROTO_PUBKEY_LEN);
    if (!csk)
        return VOCFED_ENOMEM;
    int rc = node_identity_curve(sk, cpk, csk);
    zsock_t *sock = rc ? NULL : zsock_new(type);
    if (!rc && !sock)
        rc = VOCFED_ENOMEM;
    if (sock) {
        zsock_set_curve_publickey_bin(sock, cpk);
        zsock_set_curve_secretkey_bin(sock, csk);
        zsock_set_linger(sock, 0);
        zsock_set_sndtimeo(sock, 0); /* never wait for a slow reader */
        zsock_set_heartbeat_ivl(sock, 1000);
        zsock_set_heartbeat_timeout(sock, 5000);
        zsock_set_heartbeat_ttl(sock, 10000);
        *out = sock;
    }
    sodium_free(csk); /* wiped */
    return rc;
}

int
node_daemon_go_on(void)
{
    return node_daemon_stopping() ? -1 : 0;
}

int
node_daemon_loop(zloop_t *loop)
{
    while (!node_daemon_stopping()) {
        errno = 0;
        if (zloop_start(loop) == -1)
            return VOCFED_OK; /* a handler ended it */
        /* zloop returns 0 when its poll failed (EINTR: a signal, the
         * stop when it is ours) or czmq's own handler saw SIGINT. */
        if (zsys_interrupted || errno == 0)
            return VOCFED_OK;
        if (errno != EINTR)
            return -errno;
    }
    return VOCFED_OK;
}

void
node_daemon_heap_keep(void)
{
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, NODE_DAEMON_MMAP_MAX);
    (void)mallopt(M_TRIM_THRESHOLD, NODE_DAEMON_TRIM_TOP);
#endif
}

bool
node_daemon_trim_after_burst(node_daemon_trim_t *t, uint64_t work,
                             uint64_t now_ms)
{
    if (t->at && now_ms - t->at < NODE_DAEMON_TRIM_MS)
        return false;
    /* The first look, or a count that went back (a member's sending
     * starts again lower after a new hello): none done. */
    uint64_t done = t->at && work >= t->work ? work - t->work : 0;
    t->work = work;
    t->at = now_ms ? now_ms : 1;
    if (done > t->peak) {
        t->peak = done;
        return false;
    }
    if (t->peak < NODE_DAEMON_TRIM_MIN ||
        done >= t->peak / NODE_DAEMON_TRIM_DROP)
        return false;
    t->peak = done;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    return true;
}
