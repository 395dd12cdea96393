/* vocfed: what every long-running role needs (SPEC 10.4): one daemon per
 * store, a clean stop on SIGINT/SIGTERM, and a wake-up when another
 * process commits to the store. */
#ifndef VOCFED_NODE_DAEMON_H
#define VOCFED_NODE_DAEMON_H

#include "protocol/status.h"

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

/* Releases the lock taken by node_daemon_lock. */
void node_daemon_unlock(int fd);

/* Installs SIGINT/SIGTERM handlers that set the stop flag (and interrupt
 * blocking calls), and ignores SIGPIPE. */
void node_daemon_signals(void);

/* True once SIGINT or SIGTERM arrived. */
bool node_daemon_stopping(void);

/* An inotify descriptor that becomes readable when DIR/data.mdb is
 * written (a commit by any process). Returns the fd or -errno. */
int node_daemon_watch(const char *dir);

/* Reads and discards pending notifications. */
void node_daemon_watch_drain(int fd);

/* Milliseconds since the epoch; and on a monotonic clock. */
uint64_t node_now_ms(void);
uint64_t node_mono_ms(void);

#endif
