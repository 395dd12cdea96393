/* vocfed: what every long-running role needs (SPEC 10.2, 10.4): one
 * daemon per store, a clean stop on SIGINT/SIGTERM, a wake-up when another
 * process commits to the store, the transport's CURVE sockets, and a czmq
 * zloop that honours the stop. */
#ifndef VOCFED_NODE_DAEMON_H
#define VOCFED_NODE_DAEMON_H

#include "protocol/status.h"
#include "storage/store.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

/* Takes DIR/daemon.lock (flock, exclusive, not blocking) and writes our
 * pid into it. Returns a descriptor to keep open for the daemon's life,
 * VOCFED_ELOCKED (then *holder gets the other daemon's pid, or 0), or
 * -errno. */
int node_daemon_lock(const char *dir, int *holder);

/* The pid of the daemon that holds DIR/daemon.lock now, -1 if one holds
 * it but its pid cannot be read, 0 if none does. For messages after a
 * refusal: the answer may be stale by the time it is read. */
int node_daemon_holder(const char *dir);

/* node_daemon_lock, and when another daemon holds the store, the line
 * "WHO: store DIR is held by another daemon (pid N)" in the log. Returns
 * the descriptor, VOCFED_ELOCKED or -errno. */
int node_daemon_take(const char *who, const char *dir);

/* Releases the lock taken by node_daemon_lock. */
void node_daemon_unlock(int fd);

/* Installs SIGINT/SIGTERM handlers that set the stop flag (and interrupt
 * blocking calls), and ignores SIGPIPE. */
void node_daemon_signals(void);

/* True once SIGINT or SIGTERM arrived. */
bool node_daemon_stopping(void);

/* Installs a SIGHUP handler that asks for the settings to be read again
 * (node_daemon_reload_asked); without it SIGHUP ends the process. The
 * coordinator reads its members' rate again (docs/ADMIN.md §10); a
 * member's daemon reads nothing, and says so. */
void node_daemon_signal_reload(void);

/* True once after each SIGHUP (or several before the look): the request
 * is taken, so the settings read after it are the ones to use. */
bool node_daemon_reload_asked(void);

/* An inotify descriptor that becomes readable when DIR/data.mdb is
 * written (a commit by any process). Returns the fd or -errno. */
int node_daemon_watch(const char *dir);

/* Reads and discards pending notifications. */
void node_daemon_watch_drain(int fd);

/* After node_daemon_watch's fd became readable: drains it, and returns
 * true once st sees the latest commit (the event can come just before
 * the commit is visible: store_sync_point). It waits for the writer's
 * lock, as long as another process's transaction lasts: the coordinator
 * uses it (its own ingest is its store's writer); the member daemon
 * reads its head again a little later instead, so that a long import
 * does not hold up its sending. */
bool node_daemon_watch_commit(int fd, store_t *st);

/* A socket of type (ZMQ_ROUTER, ZMQ_DEALER) that speaks CURVE with this
 * node's key pair (the X25519 form of its Ed25519 secret key sk), with
 * the transport's settings both roles share (SPEC 10.2): ZMTP heartbeats
 * (1 s, timeout 5 s, TTL 10 s), no linger and no blocking send. *out is
 * the caller's. Returns 0, VOCFED_EKEY or VOCFED_ENOMEM. */
int node_daemon_socket(int type, const uint8_t *sk, zsock_t **out) VOCFED_WUR;

/* Runs loop until a handler ends it (returns -1) or SIGINT/SIGTERM
 * arrives (node_daemon_signals). Returns 0, or -errno when polling
 * failed. */
int node_daemon_loop(zloop_t *loop);

/* What a zloop handler returns to go on: 0, or -1 once a stop signal
 * arrived (the loop ends between two events). */
int node_daemon_go_on(void);

/* Keeps the daemon's large blocks in its heap: glibc (M_MMAP_THRESHOLD)
 * maps a block of NODE_DAEMON_MMAP_MAX or more apart, not smaller ones,
 * and gives back the free top of a heap (M_TRIM_THRESHOLD) only past
 * NODE_DAEMON_TRIM_TOP, besides node_daemon_trim_after_burst below.
 * By default a block of a batch's size (~1 MiB, allocated by libzmq's
 * I/O thread for each message received) could be mapped and unmapped
 * each time, or the heap's top given back and taken again, so that most
 * messages were written into memory never touched before: a page fault
 * each 4 KiB, dear on a virtual machine (bench/README.md). Called once,
 * at a daemon's start (the applier, a fork, inherits it). Nothing
 * outside glibc. */
#define NODE_DAEMON_MMAP_MAX (32 << 20) /* glibc's most for it */
#define NODE_DAEMON_TRIM_TOP (256 << 20)
void node_daemon_heap_keep(void);

/* Gives the heap's free memory back to the system when a burst of work
 * is over: malloc_trim(0) once, at the first look (one per
 * NODE_DAEMON_TRIM_MS at most) whose work done since the last look is
 * below 1/NODE_DAEMON_TRIM_DROP of the most seen since the last trim
 * (when that was NODE_DAEMON_TRIM_MIN at least).
 * With malloc on huge pages (tools/thp.h) glibc keeps much of what a
 * burst freed: after a province's load, under its steady writes, the
 * coordinator held 272 MiB of anonymous memory against 88 MiB without
 * huge pages (bench/README.md). A steady rate, however high, trims
 * nothing. Called now and then (a daemon's timer) with work, a count
 * that grows with the work done, and a monotonic time; t starts
 * zeroed. */
#define NODE_DAEMON_TRIM_MS 1000
#define NODE_DAEMON_TRIM_DROP 16
#define NODE_DAEMON_TRIM_MIN 4096 /* a smaller peak is no burst */
typedef struct {
    uint64_t work; /* the count at the last look */
    uint64_t at;   /* when (ms) */
    uint64_t peak; /* the most done between two looks since the last trim */
} node_daemon_trim_t;
bool node_daemon_trim_after_burst(node_daemon_trim_t *t, uint64_t work,
                                  uint64_t now_ms); /* true: it trimmed */

#endif
