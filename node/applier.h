/* vocfed: a daemon's applier process (SPEC 5.5).
 *
 * A daemon opens its store async_apply: its writes commit the log only,
 * and its receipts wait for nothing else. A child process, with the
 * store opened in it afresh, applies the log to the derived data
 * (store_apply) whenever it is told the log moved (node_applier_kick),
 * and at least every NODE_APPLIER_TICK_MS. It never takes the log's
 * writer lock.
 *
 * A process, not a thread: LMDB must not have one environment open
 * twice in one process (the second open takes the lock file for its
 * own, since fcntl locks never conflict within a process, and resets
 * the reader table other processes' snapshots depend on). The child
 * ends when the daemon closes its end of the kick pipe, or dies (the
 * kernel's parent-death signal); a child that died is started again
 * at the next kick. Between two transactions a kill loses nothing.
 * The child runs NODE_APPLIER_NICE nicer than the daemon: when the cores are
 * busy, the log's work (ingest, receipts, a command's import) goes first and
 * the applier takes what is left; on an idle core it runs at full speed.
 *
 * A bulk arrival (an import's chunks, a member's sync) lands first: while
 * the log is NODE_APPLIER_BULK entries or more ahead of the derived data
 * and still growing, the child waits, for at most NODE_APPLIER_DEFER_MS,
 * then applies in large chunks until it is within NODE_APPLIER_BULK of the
 * log again (a bulk that outlasts the wait is applied as it comes). Small
 * steady writes are applied at once. node_applier_pace_wait decides.
 *
 * A bulk is applied on idle CPU only: once the wait is over, a thread of
 * the child in SCHED_IDLE takes its chunks, whether the log still grows
 * or has gone quiet, for at most NODE_APPLIER_IDLE_MOST_MS from the bulk's
 * start, then the child's own thread (nice) goes on. At nice 10 alone the
 * applier took ~12% of a 10M sync's rate, most of it at its end; in
 * SCHED_IDLE it takes none, and the 1M figures come as soon
 * (bench/README.md, 2026-12-06). A log gone quiet is not the end of the
 * log's work: a member's import that has landed is still being sent to
 * the coordinator, and at nice 10 its applier took ~0.1 s of a core from
 * that send in the last 0.5 s of a 1M-row end-to-end run. The bound keeps
 * the figures moving under a load that never leaves a core idle
 * (SCHED_IDLE gets ~0.3% of a busy core), and a thread, not the process,
 * takes the class: an unprivileged process cannot leave it (RLIMIT_NICE).
 * node_applier_pace_idle decides. */
#ifndef VOCFED_NODE_APPLIER_H
#define VOCFED_NODE_APPLIER_H

#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_APPLIER_TICK_MS 200 /* the longest wait between two looks */
#define NODE_APPLIER_NICE 10     /* added to the daemon's nice value */

/* A bulk arrival: at least this many entries not applied, and the log
 * found longer than at the look before by a look at most
 * NODE_APPLIER_GREW_MS ago. The window is longer than the gaps between a
 * bulk's commits (an import's chunks, the coordinator's groups: ~40-160
 * ms measured) and short, since the figures wait for it after the last. */
#define NODE_APPLIER_BULK 8192
#define NODE_APPLIER_GREW_MS 250
/* The longest wait for one: a longer one held the figures back with no
 * gain to receipts (bench/README.md, 2026-12-06). */
#define NODE_APPLIER_DEFER_MS 1000
/* The longest a bulk is applied on idle CPU only, from its start. */
#define NODE_APPLIER_IDLE_MOST_MS 30000

typedef struct node_applier node_applier_t;

/* The child's looks at the log, for node_applier_pace_wait.
 * Zero-initialise. */
typedef struct {
    uint64_t log_n;        /* the arrival order's length at the last look */
    int64_t look_ms;       /* when that look was (0: none yet) */
    int64_t grew_ms;       /* the last look that found it longer (0: none) */
    int64_t defer_from_ms; /* waiting since (0: not waiting; -1: waited
                              its longest, applying until caught up) */
    int64_t bulk_from_ms;  /* the bulk waited for began (0: none) */
} node_applier_pace_t;

/* A look at the log at now_ms (a monotonic clock, > 0): log_n the last
 * number of its arrival order, backlog the entries not yet applied
 * (store_apply_backlog, counted up to NODE_APPLIER_BULK). Returns true
 * when the applier should wait rather than apply now: a bulk arrival
 * (above) waited for less than NODE_APPLIER_DEFER_MS. */
bool node_applier_pace_wait(node_applier_pace_t *pace, uint64_t log_n,
                            uint64_t backlog, int64_t now_ms);

/* Whether the chunks applied after the look at now_ms are a bulk's that
 * still lands, to be applied on idle CPU only: the wait for it is over
 * (node_applier_pace_wait applies), the backlog is NODE_APPLIER_BULK or
 * more and the log grew within NODE_APPLIER_GREW_MS, and the bulk began
 * less than NODE_APPLIER_IDLE_MOST_MS ago. */
bool node_applier_pace_idle(const node_applier_pace_t *pace, int64_t now_ms);

/* How long the child may sleep after a look at now_ms before the next
 * (ms, 1 to NODE_APPLIER_TICK_MS): while it waits for a bulk, until the
 * log will have been quiet for NODE_APPLIER_GREW_MS (or the longest wait
 * ends), so that it applies then and not at a later tick. A kick (the log
 * moved) wakes it sooner. */
int node_applier_pace_sleep_ms(const node_applier_pace_t *pace, int64_t now_ms);

/* Starts the applier process for the node in dir (the store must open
 * there with the figures attached: checked in the child, which logs and
 * exits if not). Returns 0 with *out the caller's, or a status. */
int node_applier_start(const char *dir, node_applier_t **out) VOCFED_WUR;

/* The log moved: apply soon. A child that died is started again (once
 * per NODE_APPLIER_TICK_MS at most). Accepts NULL. */
void node_applier_kick(node_applier_t *self);

/* Tells the child to stop after its transaction, waits for it (killing
 * it past a deadline: nothing is lost, the next applier resumes) and
 * NULLs *self. Accepts NULL and *self == NULL. */
void node_applier_stop(node_applier_t **self);

#endif
