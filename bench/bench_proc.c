/* vocfed bench: the benches' shared process helpers (see bench_proc.h). */
#define _XOPEN_SOURCE 700 /* nftw */

#include "bench/bench_proc.h"

#include "node/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

bench_state_t bench_g = {.name = "bench"};

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
bench_rmrf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 &&
        nftw(path, s_rm, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "%s: could not remove all of %s\n", bench_g.name, path);
}

/* atexit: children first (they hold files in the folder), then the folder. */
static void
s_cleanup(void)
{
    bench_stop_all();
    for (int i = 0; i < 2; i++) {
        const char *dir = i ? bench_g.mroot : bench_g.root;
        if (!dir[0])
            continue;
        if (bench_g.keep)
            fprintf(stderr, "%s: kept %s\n", bench_g.name, dir);
        else
            bench_rmrf(dir);
    }
}

/* Prints the last lines of a child's log (the why of most failures). */
void
bench_tail(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char buf[4096];
    if (fseek(f, -(long)sizeof buf + 1, SEEK_END) != 0)
        rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    fprintf(stderr, "---- end of %s ----\n%s%s----\n", log, buf,
            n && buf[n - 1] != '\n' ? "\n" : "");
}

void
bench_fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", bench_g.name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

void
bench_check_interrupted(void)
{
    if (node_daemon_stopping())
        bench_fail("interrupted");
}

/* snprintf into a path buffer, failing on truncation. */
void
bench_path(char out[BENCH_PATH_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, BENCH_PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= BENCH_PATH_MAX)
        bench_fail("path too long under %s", bench_g.root);
}

double
bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
bench_sleep_ns(long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&ts, NULL);
}

int
bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double
bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest-rank percentile of sorted v: the smallest value with at least
 * p % of the values at or below it. */
double
bench_percentile(const double *v, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* Starts VOCFED_BINARY with argv (argv[0] included, NULL-terminated), its
 * stdout and stderr appended to log. It gets SIGTERM if we die. A daemon
 * that exits before bench_stop is a failure (bench_check_daemons). */
pid_t
bench_spawn(const char *const *argv, const char *log, const char *what,
            bool daemon)
{
    if (bench_g.nchildren == bench_g.cap) {
        size_t cap = bench_g.cap ? 2 * bench_g.cap : 16;
        bench_child_t *c = realloc(bench_g.children, cap * sizeof *c);
        if (!c)
            bench_fail("out of memory");
        bench_g.children = c;
        bench_g.cap = cap;
    }
    pid_t parent = getpid();
    /* The child's environment, without the settings a test run may have
     * exported: made here, since the child of vfork must not change the
     * memory it shares with us. */
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 1, sizeof *env);
    if (!env)
        bench_fail("out of memory");
    n = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "VOCFED_DIR=", 11) != 0 &&
            strncmp(*e, "VOCFED_MAP_SIZE=", 16) != 0)
            env[n++] = *e;
    fflush(NULL);
    /* vfork, not fork: this process maps many stores and holds their
     * members' sockets, and a fork copied its page tables first. At 500
     * members and 10M records that was ~150 ms of every command the
     * bench timed (`vocfed report`: 196-200 ms with fork, 46 ms with
     * vfork), and the links lost fell from 219-380 to 7. The child only
     * opens, dups and execs. */
    pid_t pid = vfork();
    if (pid < 0)
        bench_fail("vfork: %s", strerror(errno));
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
            _exit(126);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || null < 0 || dup2(null, STDIN_FILENO) < 0 ||
            dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
        signal(SIGPIPE, SIG_DFL); /* ignored here, and that survives exec */
        execve(VOCFED_BINARY, (char *const *)argv, env);
        _exit(127);
    }
    free(env);
    bench_child_t *c = &bench_g.children[bench_g.nchildren++];
    c->pid = pid;
    snprintf(c->log, sizeof c->log, "%s", log);
    snprintf(c->what, sizeof c->what, "%s", what);
    c->daemon = daemon;
    return pid;
}

bench_child_t *
bench_child(pid_t pid)
{
    for (size_t i = 0; i < bench_g.nchildren; i++)
        if (bench_g.children[i].pid == pid)
            return &bench_g.children[i];
    return NULL;
}

static void
s_forget(pid_t pid)
{
    bench_child_t *c = bench_child(pid);
    if (c)
        *c = bench_g.children[--bench_g.nchildren];
}

/* Exit code of a wait status; 128 + signal if it was killed. */
int
bench_status(int ws)
{
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Waits up to timeout seconds for pid, looking every sleep_ns. Returns
 * its exit code (bench_status), or -1 if it is still running. */
int
bench_wait(pid_t pid, double timeout, long sleep_ns)
{
    double end = bench_now() + timeout;
    for (;;) {
        int ws;
        pid_t r = wait4(pid, &ws, WNOHANG, &bench_g.rusage);
        if (r == pid) {
            s_forget(pid);
            return bench_status(ws);
        }
        if (r < 0 && errno != EINTR)
            bench_fail("wait4 %d: %s", (int)pid, strerror(errno));
        if (bench_now() >= end || node_daemon_stopping())
            return -1;
        bench_sleep_ns(sleep_ns);
    }
}

/* Fails the bench if a daemon has exited (crashed, refused to start):
 * waiting for it to replicate would only time out. Looks at most every
 * 50 ms. */
void
bench_check_daemons(void)
{
    static double next;
    double now = bench_now();
    if (now < next)
        return;
    next = now + 0.05;
    for (size_t i = 0; i < bench_g.nchildren; i++) {
        bench_child_t *c = &bench_g.children[i];
        int ws;
        if (c->daemon && waitpid(c->pid, &ws, WNOHANG) == c->pid) {
            char what[64];
            snprintf(what, sizeof what, "%s", c->what);
            bench_tail(c->log);
            s_forget(c->pid);
            bench_fail("the %s exited with %d", what, bench_status(ws));
        }
    }
    bench_check_interrupted();
}

/* SIGTERM, then SIGKILL after BENCH_STOP_TIMEOUT. Returns the exit code. */
int
bench_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    int rc = -1;
    double end = bench_now() + BENCH_STOP_TIMEOUT;
    while (rc < 0 && bench_now() < end) {
        int ws;
        pid_t r = waitpid(pid, &ws, WNOHANG);
        if (r == pid)
            rc = bench_status(ws);
        else if (r < 0 && errno != EINTR)
            break;
        else
            bench_sleep_ns(5000000);
    }
    if (rc < 0) {
        int ws;
        kill(pid, SIGKILL);
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
        }
        rc = 128 + SIGKILL;
    }
    s_forget(pid);
    return rc;
}

/* Every child still running: SIGTERM to all, then wait for all. */
void
bench_stop_all(void)
{
    for (size_t i = 0; i < bench_g.nchildren; i++)
        kill(bench_g.children[i].pid, SIGTERM);
    while (bench_g.nchildren)
        (void)bench_stop(bench_g.children[bench_g.nchildren - 1].pid);
}

/* Runs vocfed to the end; fails the bench unless it exits 0. */
void
bench_run(const char *const *argv, const char *log, const char *what)
{
    pid_t pid = bench_spawn(argv, log, what, false);
    int rc = bench_wait(pid, 120, 200000);
    if (rc != 0) {
        if (rc < 0)
            (void)bench_stop(pid);
        bench_tail(log);
        bench_fail("%s: vocfed %s %s", what, argv[3],
                   rc < 0 ? "did not finish" : "failed");
    }
}

/* ---- the coordinator ---------------------------------------------------- */

/* A TCP port free on 127.0.0.1 now. */
static int
s_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        bench_fail("cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

/* Whether something accepts connections on 127.0.0.1:port. */
static bool
s_port_open(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

pid_t
bench_coordinator_start(const char *dir, const char *log, char *endpoint,
                        size_t cap)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = s_free_port();
        int n = snprintf(endpoint, cap, "tcp://127.0.0.1:%d", port);
        if (n < 0 || (size_t)n >= cap)
            bench_fail("no room for an endpoint");
        const char *argv[] = {VOCFED_BINARY, "--dir",  dir, "coordinator",
                              "--listen",    endpoint, NULL};
        pid_t pid = bench_spawn(argv, log, "coordinator", false);
        double end = bench_now() + 10;
        while (bench_now() < end) {
            bench_check_interrupted();
            if (s_port_open(port)) {
                bench_child(pid)->daemon = true;
                return pid;
            }
            if (bench_wait(pid, 0, 0) >= 0)
                break; /* exited: the port was taken meanwhile? */
            bench_sleep_ns(2000000);
        }
        if (bench_child(pid))
            (void)bench_stop(pid);
    }
    bench_tail(log);
    bench_fail("the coordinator did not start");
}

pid_t
bench_serve_start(const char *dir, const char *log, int *port)
{
    char listen[64];
    *port = s_free_port();
    snprintf(listen, sizeof listen, "127.0.0.1:%d", *port);
    const char *argv[] = {VOCFED_BINARY, "--dir", dir, "serve",
                          "--listen",    listen,  NULL};
    pid_t pid = bench_spawn(argv, log, "vocfed serve", false);
    double end = bench_now() + 10;
    while (bench_now() < end) {
        bench_check_interrupted();
        if (s_port_open(*port)) {
            bench_child(pid)->daemon = true;
            return pid;
        }
        if (bench_wait(pid, 0, 0) >= 0)
            break;
        bench_sleep_ns(2000000);
    }
    bench_tail(log);
    bench_fail("vocfed serve did not start");
}

/* ---- /proc --------------------------------------------------------------- */

/* utime + stime of pid, in seconds. */
double
bench_proc_cpu(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        bench_fail("cannot read %s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: state is the
     * 3rd field, utime the 14th, stime the 15th (proc(5)). */
    const char *p = strrchr(buf, ')');
    unsigned long ut, st;
    if (!p ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2)
        bench_fail("cannot parse %s", path);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A "Name:   N kB" line of /proc/pid/status, in MiB. */
double
bench_proc_mem(pid_t pid, const char *name)
{
    char path[64], line[256];
    size_t len = strlen(name);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        bench_fail("cannot read %s: %s", path, strerror(errno));
    double mib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            mib = strtod(line + len + 1, NULL) / 1024.0;
            break;
        }
    fclose(f);
    if (mib < 0)
        bench_fail("no %s in %s", name, path);
    return mib;
}

/* A "name: N" line of /proc/pid/io (wchar: bytes passed to write calls;
 * write_bytes: bytes this process caused to be sent to the disk). */
double
bench_proc_io(pid_t pid, const char *name)
{
    char path[64], line[256];
    size_t len = strlen(name);
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    FILE *f = fopen(path, "r");
    double v = -1;
    if (!f)
        bench_fail("cannot read %s: %s", path, strerror(errno));
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            v = strtod(line + len + 1, NULL);
            break;
        }
    fclose(f);
    if (v < 0)
        bench_fail("no %s in %s", name, path);
    return v;
}

void
bench_proc_init(const char *name)
{
    bench_g.name = name;
    atexit(s_cleanup);
}
