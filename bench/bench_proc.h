/* vocfed bench: what the benches that run the vocfed binary share
 * (bench_sync, bench_province): the temporary folders removed at exit,
 * the child processes (VOCFED_BINARY of the same build) started, waited
 * for and stopped by pid, failing with a message, time, statistics and
 * /proc readings of a process.
 *
 * A bench is one program with one such state (bench_g): bench_proc_init
 * first names it (for messages) and arranges the clean-up at exit: every
 * child still running is stopped (SIGTERM, then SIGKILL), then the
 * folders bench_g.root and bench_g.mroot are removed unless bench_g.keep.
 * Every bench_fail exits the program (status 1) through that clean-up.
 * Not for threads: call from the bench's main thread only. */
#ifndef VOCFED_BENCH_BENCH_PROC_H
#define VOCFED_BENCH_BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define BENCH_PATH_MAX 512
#define BENCH_STOP_TIMEOUT 10.0 /* s between SIGTERM and SIGKILL */

/* One child process still running. */
typedef struct {
    pid_t pid;                /* its process id */
    char log[BENCH_PATH_MAX]; /* where its stdout and stderr go */
    char what[64];            /* for messages: "coordinator", "node m0001" */
    bool daemon;              /* must not exit before we stop it */
} bench_child_t;

/* What must be undone on any exit, and the last child reaped. */
typedef struct {
    const char *name;           /* the bench, for messages: "bench_sync" */
    char root[BENCH_PATH_MAX];  /* the temporary folder, "" before it is */
    char mroot[BENCH_PATH_MAX]; /* a second one (members' stores), or "" */
    bool keep;                  /* --keep: leave the folders */
    bench_child_t *children;    /* running children */
    size_t nchildren;           /* how many */
    size_t cap;                 /* allocated */
    struct rusage rusage;       /* of the child bench_wait reaped last */
} bench_state_t;

extern bench_state_t bench_g;

/* Names the bench (a static string) and registers the clean-up with
 * atexit. Call once, before the first child or folder. */
void bench_proc_init(const char *name);

/* Prints "NAME: message" on stderr and exits 1 (the clean-up runs). */
void bench_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* bench_fail("interrupted") once SIGINT or SIGTERM came
 * (node_daemon_stopping). */
void bench_check_interrupted(void);

/* Prints the last 4 KiB of a child's log on stderr (the why of most
 * failures). */
void bench_tail(const char *log);

/* snprintf into a path buffer; bench_fail on truncation. */
void bench_path(char out[BENCH_PATH_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Removes path and everything below it (a message if some is left). */
void bench_rmrf(const char *path);

/* ---- time and statistics ----------------------------------------------- */

/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/* Sleeps ns nanoseconds (less if a signal comes). */
void bench_sleep_ns(long ns);

/* qsort's comparison of doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);

/* The median of v[0..n) (n > 0); sorts v. */
double bench_median(double *v, size_t n);

/* Nearest-rank percentile of sorted v (n > 0): the smallest value with
 * at least p % of the values at or below it. */
double bench_percentile(const double *v, size_t n, double p);

/* ---- child processes ---------------------------------------------------- */

/* Starts VOCFED_BINARY with argv (argv[0] included, NULL-terminated), its
 * stdout and stderr appended to log, VOCFED_DIR and VOCFED_MAP_SIZE
 * unset. It gets SIGTERM if we die. A daemon that exits before
 * bench_stop is a failure (bench_check_daemons). Returns its pid. */
pid_t bench_spawn(const char *const *argv, const char *log, const char *what,
                  bool daemon);

/* The child pid still running (started by bench_spawn, not reaped), or
 * NULL. Its daemon flag may be set once it is known to be up. */
bench_child_t *bench_child(pid_t pid);

/* Exit code of a wait status; 128 + signal if it was killed. */
int bench_status(int ws);

/* Waits up to timeout seconds for pid, looking every sleep_ns, its
 * rusage into bench_g.rusage. Returns its exit code (bench_status), or
 * -1 if it is still running (or a stop signal came). */
int bench_wait(pid_t pid, double timeout, long sleep_ns);

/* bench_fail if a daemon has exited (crashed, refused to start): waiting
 * for it to replicate would only time out. Looks at most every 50 ms;
 * bench_check_interrupted too. */
void bench_check_daemons(void);

/* SIGTERM, then SIGKILL after BENCH_STOP_TIMEOUT. Returns the exit
 * code. */
int bench_stop(pid_t pid);

/* Every child still running: SIGTERM to all, then waits for all. */
void bench_stop_all(void);

/* Runs vocfed (argv as bench_spawn; argv[3] the subcommand, after --dir
 * DIR) to the end, 120 s at most; bench_fail unless it exits 0. */
void bench_run(const char *const *argv, const char *log, const char *what);

/* ---- the coordinator ---------------------------------------------------- */

/* Starts `vocfed --dir DIR coordinator` on a free loopback port, its
 * output appended to log, and returns its pid once the port accepts
 * connections (a daemon child from then on); endpoint (cap bytes) gets
 * where members dial, "tcp://127.0.0.1:PORT". Tries 5 ports, then
 * bench_fail. */
pid_t bench_coordinator_start(const char *dir, const char *log, char *endpoint,
                              size_t cap);

/* Starts `vocfed --dir DIR serve` on a free loopback port (issue 15),
 * its output appended to log; returns its pid once the port accepts
 * connections, *port where it listens. bench_fail if it does not start. */
pid_t bench_serve_start(const char *dir, const char *log, int *port);

/* ---- /proc --------------------------------------------------------------- */

/* utime + stime of pid, in seconds. */
double bench_proc_cpu(pid_t pid);

/* A "Name:   N kB" line of /proc/pid/status (VmRSS, VmHWM...), in MiB. */
double bench_proc_mem(pid_t pid, const char *name);

/* A "name: N" line of /proc/pid/io (wchar: bytes passed to write calls,
 * pwrite included, whether or not they reached the disk yet;
 * write_bytes: bytes this process caused to be sent to the disk). */
double bench_proc_io(pid_t pid, const char *name);

#endif
