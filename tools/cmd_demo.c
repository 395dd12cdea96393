/* vocfed demo: a whole 1+2+2+N group on 127.0.0.1, for a newcomer.
 *
 * In a temporary folder: a coordinator and ten members (the lead
 * college, the technician college, the industrial school, the two park
 * consortia, two enterprises, two county schools, the education bureau),
 * each with its own key
 * and store; synthetic records at Anqing's scale written at each member
 * (one transaction, one signature per member); every node started as its
 * own process; wait until the coordinator is level with every member;
 * claims decided and paid at the coordinator, in every state; the
 * report printed and written as report.html; everything stopped. */
#include "node/node.h"
#include "protocol/clock.h"
#include "storage/store.h"
#include "tools/cli.h"
#include "tools/demo_group.h"
#include "tools/textwidth.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------ */

static const char *s_self; /* this program's path */

/* Runs `vocfed --dir DIR args…` and waits; stdout to out (may be NULL:
 * discarded). Returns the exit status. */
static int
s_vocfed(const char *dir, char *out, size_t cap, ...)
{
    const char *argv[32];
    int n = 0, fds[2];
    va_list ap;
    argv[n++] = s_self;
    argv[n++] = "--dir";
    argv[n++] = dir;
    va_start(ap, cap);
    for (const char *a = va_arg(ap, const char *); a && n < 31;
         a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout); /* what the demo said so far comes before the child's
                       messages, also when stdout is a file */
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(s_self, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t used = 0;
    char buf[4096];
    ssize_t r;
    while ((r = read(fds[0], buf, sizeof buf)) > 0 ||
           (r < 0 && errno == EINTR)) {
        if (r <= 0)
            continue;
        if (out && used + 1 < cap) {
            size_t k = (size_t)r < cap - 1 - used ? (size_t)r : cap - 1 - used;
            memcpy(out + used, buf, k);
            used += k;
        }
    }
    if (out)
        out[used] = 0;
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Starts a daemon `vocfed --dir DIR args…` with its output in log. */
static pid_t
s_spawn(const char *dir, const char *log, const char *const *args)
{
    const char *argv[16];
    int n = 0;
    argv[n++] = s_self;
    argv[n++] = "--dir";
    argv[n++] = dir;
    for (; *args && n < 15; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* The demo's nodes go with it, even when it is killed. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
            _exit(126);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execv(s_self, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static void
s_stop(pid_t *pids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGTERM);
    for (size_t i = 0; i < n; i++) {
        if (pids[i] <= 0)
            continue;
        /* Up to 5 s for a clean stop, then kill. */
        int status;
        for (int t = 0; t < 500; t++) {
            if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
                pids[i] = 0;
                break;
            }
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
        if (pids[i] > 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], &status, 0);
            pids[i] = 0;
        }
    }
}

static int
s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ---- the run ---------------------------------------------------------- */

/* Writes member index's records in one signed append, through its node. */
static int
s_write_member(const char *dir, cmd_demo_gen_t *g, int index, size_t *count)
{
    node_t *node = NULL;
    cmd_demo_batch_t b = {0};
    int rc = node_open(dir, NODE_OPEN_KEY, &node);
    if (!rc)
        rc = cmd_demo_fill(g, index, &b);
    if (!rc)
        rc = node_append(node, b.recs, b.n, 0, NULL, NULL);
    *count = b.n;
    cmd_demo_batch_release(&b);
    node_close(&node);
    return rc;
}

/* The coordinator's copy of every member's log equals the member's own. */
static bool
s_level(const char *coord_dir, char dirs[][300], size_t n, uint64_t *behind)
{
    node_t *cn = NULL;
    bool level = true;
    *behind = 0;
    if (node_open(coord_dir, NODE_OPEN_READONLY, &cn))
        return false;
    for (size_t i = 0; i < n; i++) {
        node_t *mn = NULL;
        store_head_t mh, ch;
        if (node_open(dirs[i], NODE_OPEN_READONLY, &mn) ||
            store_head(node_store(mn), cmd_demo_group[i].id, &mh)) {
            level = false;
            node_close(&mn);
            continue;
        }
        node_close(&mn);
        if (store_head(node_store(cn), cmd_demo_group[i].id, &ch) ||
            ch.size != mh.size || memcmp(ch.root, mh.root, 32) != 0) {
            level = false;
            *behind += mh.size - (ch.size < mh.size ? ch.size : 0);
        }
    }
    node_close(&cn);
    return level;
}

/* One demo run. */
typedef struct {
    bool keep;                            /* --keep, or kept for a look */
    bool serve;                           /* --serve: the dashboard after */
    const char *html;                     /* --out */
    uint64_t timeout;                     /* --timeout, seconds */
    char self[4096];                      /* this program's path */
    char root[32];                        /* the temporary folder */
    char coord[300];                      /* the coordinator's folder */
    char dirs[CMD_DEMO_MEMBERS][300];     /* the members' folders */
    char logs[CMD_DEMO_MEMBERS + 1][300]; /* the daemons' logs */
    char endpoint[64];                    /* where the coordinator listens */
    char ckey[65];                        /* its public key, hex */
    pid_t pids[CMD_DEMO_MEMBERS + 2];     /* the daemons and serve, 0 when
                                             stopped */
    size_t total;                         /* records written */
    char out[8192];                       /* a command's output */
    cmd_demo_gen_t gen;                   /* the synthetic records */
} s_demo_t;

/* --timeout S */
static int
s_opt_timeout(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    void *target = opt->target;
    if (!cli_parse_u64(value, 5, 3600, target))
        return cli_usage_error(cli, "--timeout takes 5 to 3600 s");
    return CLI_GO_ON;
}

/* The year, this program's path, the temporary folder and a port.
 * Returns 0 or an exit code after printing why. */
static int
s_setup(s_demo_t *d)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    cmd_demo_gen_init(&d->gen, tm.tm_year + 1900);
    ssize_t sl = readlink("/proc/self/exe", d->self, sizeof d->self - 1);
    if (sl <= 0)
        return cli_fail(-errno, "cannot find this program");
    d->self[sl] = 0;
    s_self = d->self;
    snprintf(d->root, sizeof d->root, "/tmp/vocfed-demo-XXXXXX");
    if (!mkdtemp(d->root))
        return cli_fail(-errno, "cannot make a temporary folder");
    snprintf(d->coord, sizeof d->coord, "%s/coordinator", d->root);
    snprintf(d->endpoint, sizeof d->endpoint, "tcp://127.0.0.1:%d",
             s_free_port());
    return CLI_EXIT_OK;
}

/* Step 1: the coordinator. Returns 0 or an exit code. */
static int
s_make_coordinator(s_demo_t *d)
{
    printf("vocfed demo: a 1+2+2+N group in %s\n\n", d->root);
    printf(
        "1. the coordinator (集团秘书处) and its signed log: roster, leading "
        "industries,\n   targets and subsidy rules of the policy\n");
    int rc = s_vocfed(d->coord, NULL, 0, "init", "--coordinator", "--id",
                      "secretariat", "--name", "安庆职教集团秘书处", "--listen",
                      d->endpoint, NULL);
    if (!rc)
        rc =
            s_vocfed(d->coord, d->out, sizeof d->out, "whoami", "--json", NULL);
    json_t *who = rc ? NULL : json_loads(d->out, 0, NULL);
    const char *pk =
        who ? json_string_value(json_object_get(who, "pubkey")) : NULL;
    if (!pk) {
        json_decref(who);
        cli_error("demo: cannot make the coordinator");
        return rc ? rc : CLI_EXIT_ENV;
    }
    snprintf(d->ckey, sizeof d->ckey, "%s", pk);
    json_decref(who);
    return CLI_EXIT_OK;
}

/* Step 1, then: the source schools registered at the coordinator with
 * `vocfed import school` (a CSV file in the demo's folder). Returns 0 or
 * an exit code. */
static int
s_register_schools(s_demo_t *d)
{
    char path[400];
    snprintf(path, sizeof path, "%s/schools.csv", d->root);
    FILE *f = fopen(path, "w");
    if (!f)
        return cli_fail(-errno, "demo: cannot write %s", path);
    fprintf(f, "code,name,region_code\n");
    for (int i = 0; i < CMD_DEMO_SCHOOLS; i++)
        fprintf(f, "%s,%s,%s\n", cmd_demo_schools[i].code,
                cmd_demo_schools[i].name, cmd_demo_schools[i].region);
    if (fclose(f))
        return cli_fail(-errno, "demo: cannot write %s", path);
    int rc = s_vocfed(d->coord, NULL, 0, "import", "school", path, NULL);
    if (rc) {
        cli_error("demo: cannot register the source schools");
        return rc;
    }
    printf("   and %d source schools (junior highs) registered with vocfed "
           "import school\n",
           CMD_DEMO_SCHOOLS);
    return CLI_EXIT_OK;
}

/* Step 2: member i made, admitted to the roster, its records written.
 * Returns 0 or an exit code. */
static int
s_make_member(s_demo_t *d, int i)
{
    const cmd_demo_member_t *m = &cmd_demo_group[i];
    size_t n = 0;
    int rc;
    snprintf(d->dirs[i], sizeof d->dirs[i], "%s/%s", d->root, m->id);
    if ((rc = s_vocfed(d->dirs[i], d->out, sizeof d->out, "init", "--id", m->id,
                       "--name", m->name_zh, "--role", m->role, "--coordinator",
                       d->endpoint, "--coordinator-key", d->ckey,
                       "--coordinator-id", "secretariat", NULL))) {
        cli_error("demo: cannot make member %s", m->id);
        return rc;
    }
    d->out[strcspn(d->out, "\n")] = 0;
    char pubkey[65];
    snprintf(pubkey, sizeof pubkey, "%.64s", d->out);
    if ((rc = s_vocfed(d->coord, NULL, 0, "members", "add", m->id, pubkey,
                       "--name", m->name_zh, "--role", m->role, NULL))) {
        cli_error("demo: cannot admit %s", m->id);
        return rc;
    }
    if ((rc = s_write_member(d->dirs[i], &d->gen, i, &n))) {
        cli_fail(rc, "demo: cannot write the records of %s", m->id);
        return CLI_EXIT_ENV;
    }
    d->total += n;
    int pad = 30 - (int)cli_text_width(m->name_zh, strlen(m->name_zh));
    printf("   %-10s %s%*s %7zu records, one signed checkpoint\n", m->id,
           m->name_zh, pad > 0 ? pad : 0, "", n);
    return CLI_EXIT_OK;
}

/* Steps 3 and 4: every node started, then waiting until the coordinator
 * is level. Returns 0 or an exit code. */
static int
s_replicate(s_demo_t *d)
{
    printf("3. every node as its own process on 127.0.0.1 (CURVE, roster "
           "keys only)\n");
    snprintf(d->logs[CMD_DEMO_MEMBERS], sizeof d->logs[0], "%s/coordinator.log",
             d->root);
    const char *cargs[] = {"coordinator", NULL};
    d->pids[CMD_DEMO_MEMBERS] =
        s_spawn(d->coord, d->logs[CMD_DEMO_MEMBERS], cargs);
    for (int i = 0; i < CMD_DEMO_MEMBERS; i++) {
        snprintf(d->logs[i], sizeof d->logs[i], "%s/%s.log", d->root,
                 cmd_demo_group[i].id);
        const char *margs[] = {"node", NULL};
        d->pids[i] = s_spawn(d->dirs[i], d->logs[i], margs);
    }
    uint64_t t0 = proto_mono_ms(), behind = d->total;
    bool level = false;
    while (!level && proto_mono_ms() - t0 <= d->timeout * 1000) {
        level = s_level(d->coord, d->dirs, CMD_DEMO_MEMBERS, &behind);
        if (!level) {
            if (isatty(STDOUT_FILENO))
                printf("\r   replicating… %" PRIu64 " entries to go   ",
                       behind);
            fflush(stdout);
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL); /* a progress display, not a handshake */
        }
    }
    double el = (double)(proto_mono_ms() - t0) / 1e3;
    if (!level) {
        cli_error("demo: the coordinator is not level after %" PRIu64
                  " s (logs in %s)",
                  d->timeout, d->root);
        d->keep = true;
        return CLI_EXIT_ENV;
    }
    printf("%s4. the coordinator is level with all ten members: %zu entries "
           "verified\n   and committed in %.1f s\n\n",
           isatty(STDOUT_FILENO) ? "\r" : "", d->total, el);
    return CLI_EXIT_OK;
}

/* Waits (up to the run's timeout) until the coordinator is level with
 * every member again. Returns 0 or an exit code. */
static int
s_wait_level(s_demo_t *d)
{
    uint64_t t0 = proto_mono_ms(), behind;
    while (!s_level(d->coord, d->dirs, CMD_DEMO_MEMBERS, &behind)) {
        if (proto_mono_ms() - t0 > d->timeout * 1000) {
            cli_error("demo: the coordinator is not level after %" PRIu64
                      " s (logs in %s)",
                      d->timeout, d->root);
            d->keep = true;
            return CLI_EXIT_ENV;
        }
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL); /* polling the heads, not a handshake */
    }
    return CLI_EXIT_OK;
}

/* The folder of member id. */
static const char *
s_member_dir(const s_demo_t *d, const char *id)
{
    for (int i = 0; i < CMD_DEMO_MEMBERS; i++)
        if (!strcmp(cmd_demo_group[i].id, id))
            return d->dirs[i];
    return d->coord;
}

/* Step 5: the secretariat decides the members' claims and pays (SPEC
 * 11.6), so that the report shows a claim in every state; two members
 * then change what was decided. Returns 0 or an exit code. */
static int
s_certify(s_demo_t *d)
{
    char date[16], y[8];
    snprintf(date, sizeof date, "%d-11-30", d->gen.year);
    snprintf(y, sizeof y, "%d", d->gen.year);
    const char *steps[][10] = {
        {"approve", "aqvtc/coop-aqvtc-c00", "--note", "名单已核 checked"},
        {"paid", "aqvtc/coop-aqvtc-c00", "--amount", "100000", "--date", date,
         "--ref", "AQ-0001"},
        {"approve", "aqvtc/coop-aqvtc-c02"},
        {"reject", "aqvtc/coop-aqvtc-c01", "--note", "19 人，不足 20 人"},
        {"approve", "aqtc/coop-aqtc-c00"},
        {"approve", "aqis/coop-aqis-c00"},
        {"revoke", "aqis/coop-aqis-c00", "--note", "企业退出 the firm left"},
        {"approve", "aqis/coop-aqis-c02"},
        {"approve", "aqvtc/icol-auto"},
        {"paid", "aqvtc/icol-auto", "--amount", "150000", "--date", date,
         "--ref", "AQ-0002"},
        {"approve", "etdz/cons"},
        {"approve", "aqvtc/dq-0"},
        {"approve", "aqvtc/dq-1"},
        {"approve", "aqis/dq-0"},
        {"approve", "aqvtc/rp-01"},
    };
    printf("5. the secretariat certifies at the coordinator (vocfed "
           "certify):\n");
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const char *const *a = steps[i];
        int rc = s_vocfed(d->coord, d->out, sizeof d->out, "certify", a[0],
                          a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);
        printf("   certify %-8s %-22s %s", a[0], a[1],
               rc ? "FAILED\n" : d->out);
        if (rc)
            return CLI_EXIT_FAIL;
    }
    /* a payment above the amount approved is refused */
    int rc = s_vocfed(d->coord, d->out, sizeof d->out, "certify", "paid",
                      "aqvtc/coop-aqvtc-c02", "--amount", "120000", "--date",
                      date, "--ref", "AQ-0003", NULL);
    printf("   certify paid     aqvtc/coop-aqvtc-c02   120000 > 100000 "
           "approved: %s\n",
           rc == 1 ? "refused" : "NOT REFUSED");
    if (rc != 1)
        return CLI_EXIT_FAIL;
    /* the members change what was decided: the decisions no longer hold */
    if (s_vocfed(s_member_dir(d, "aqtc"), NULL, 0, "put", "coop_class",
                 "aqtc-c00", "enterprise=jac", "students_at_start=22",
                 (snprintf(d->out, sizeof d->out, "cohort_year=%s", y), d->out),
                 "kind=order", NULL) ||
        s_vocfed(s_member_dir(d, "aqis"), NULL, 0, "del", "claim",
                 "coop-aqis-c02", NULL))
        return CLI_EXIT_FAIL;
    printf("   aqtc changes class aqtc-c00 after its approval; aqis withdraws "
           "claim coop-aqis-c02\n\n");
    return s_wait_level(d);
}

/* Steps 6 and 7: the figures verified, the report printed and written.
 * Returns 0 or an exit code. */
static int
s_report(s_demo_t *d)
{
    s_stop(d->pids, CMD_DEMO_MEMBERS + 1);
    int rc =
        s_vocfed(d->coord, d->out, sizeof d->out, "verify", "--figures", NULL);
    printf("6. vocfed verify --figures at the coordinator: %s", d->out);
    if (rc)
        return CLI_EXIT_FAIL;
    printf("\n7. the report (vocfed report):\n\n");
    fflush(stdout);
    pid_t rp = fork();
    if (rp == 0) {
        const char *argv2[] = {s_self, "--dir", d->coord, "report", NULL};
        execv(s_self, (char *const *)argv2);
        _exit(127);
    }
    int status;
    waitpid(rp, &status, 0);
    char abs_html[4400];
    if (d->html[0] == '/')
        snprintf(abs_html, sizeof abs_html, "%s", d->html);
    else if (getcwd(abs_html, 4096))
        snprintf(abs_html + strlen(abs_html),
                 sizeof abs_html - strlen(abs_html), "/%s", d->html);
    rc = s_vocfed(d->coord, NULL, 0, "report", "--format", "html", "--out",
                  abs_html, NULL);
    if (rc == 0)
        printf("\nThe same report as one self-contained page: %s\n", abs_html);
    return rc;
}

/* Whether something listens on 127.0.0.1:port within deadline_ms. */
static bool
s_listening(int port, uint64_t deadline_ms)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint64_t t0 = proto_mono_ms();
    do {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        bool up = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
        if (up)
            return true;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL); /* waiting for a port, with a deadline */
    } while (proto_mono_ms() - t0 < deadline_ms);
    return false;
}

/* --serve: every node started again and `vocfed serve` at the
 * coordinator, its address printed; until SIGINT or SIGTERM (Ctrl-C).
 * Returns 0 or an exit code. */
static int
s_serve(s_demo_t *d)
{
    char listen[64], log[320];
    int port = s_free_port();
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(log, sizeof log, "%s/serve.log", d->root);
    const char *cargs[] = {"coordinator", NULL};
    d->pids[CMD_DEMO_MEMBERS] =
        s_spawn(d->coord, d->logs[CMD_DEMO_MEMBERS], cargs);
    for (int i = 0; i < CMD_DEMO_MEMBERS; i++) {
        const char *margs[] = {"node", NULL};
        d->pids[i] = s_spawn(d->dirs[i], d->logs[i], margs);
    }
    const char *sargs[] = {"serve", "--listen", listen, NULL};
    d->pids[CMD_DEMO_MEMBERS + 1] = s_spawn(d->coord, log, sargs);
    if (!s_listening(port, 10000)) {
        cli_error("demo: vocfed serve did not start (its log: %s)", log);
        d->keep = true;
        return CLI_EXIT_ENV;
    }
    /* Blocked only now: the children started with the usual mask. */
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("\n8. the dashboard (vocfed serve at the coordinator, every node "
           "running):\n   http://%s/   (/metrics, /api/status.json; its log "
           "%s)\n   Ctrl-C stops everything.\n",
           listen, log);
    fflush(stdout);
    while (sigwait(&set, &sig) != 0) {
    }
    printf("\nvocfed demo: stopping\n");
    return CLI_EXIT_OK;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    s_demo_t *d = calloc(1, sizeof *d);
    if (!d)
        return cli_fail(VOCFED_ENOMEM, "demo");
    d->html = "report.html";
    d->timeout = 120;
    const cli_opt_t opts[] = {
        CLI_FLAG("keep", &d->keep),
        CLI_FLAG("serve", &d->serve),
        CLI_STR("out", &d->html),
        CLI_FN("timeout", &d->timeout, s_opt_timeout),
        CLI_END,
    };
    int rc;
    if ((rc = cli_parse(cli, opts, argc, argv, NULL)) != CLI_GO_ON ||
        (rc = s_setup(d))) {
        free(d);
        return rc;
    }
    if ((rc = s_make_coordinator(d)) || (rc = s_register_schools(d)))
        goto done;
    printf("2. ten members, each with its own key and store, admitted to "
           "the roster:\n");
    for (int i = 0; i < CMD_DEMO_MEMBERS; i++)
        if ((rc = s_make_member(d, i)))
            goto done;
    if ((rc = s_replicate(d)) == CLI_EXIT_OK &&
        (rc = s_certify(d)) == CLI_EXIT_OK)
        rc = s_report(d);
    if (rc == CLI_EXIT_OK && d->serve)
        rc = s_serve(d);
done:
    s_stop(d->pids, CMD_DEMO_MEMBERS + 2);
    if (d->keep) {
        printf("The group's folders are kept in %s\n", d->root);
    } else {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->root);
        if (system(cmd) != 0)
            cli_error("demo: could not remove %s", d->root);
    }
    free(d);
    return rc;
}

const cli_cmd_t cmd_demo = {
    .name = "demo",
    .summary = "run a whole 1+2+2+N group on 127.0.0.1 and print its report",
    .usage =
        "Usage: vocfed demo [--out FILE] [--keep] [--serve] [--timeout "
        "SECONDS]\n"
        "\n"
        "In a temporary folder: makes the coordinator and ten members (the "
        "lead\n"
        "college, the technician college, the industrial school, the two "
        "park\n"
        "consortia, two enterprises, two county schools, the education "
        "bureau),\n"
        "gives each synthetic records at Anqing's scale (about 14,000 "
        "higher-\n"
        "vocational and 10,000 secondary students, 40,000 training "
        "person-times,\n"
        "teachers, majors, classes, colleges, claims, the counties' "
        "graduates),\n"
        "starts every node as its own process on 127.0.0.1, waits until the\n"
        "coordinator is level with every member, decides the claims with "
        "'vocfed\n"
        "certify' (approved, paid, rejected, revoked; a payment above the "
        "amount\n"
        "approved refused), changes a class after its approval and withdraws "
        "a\n"
        "claim, verifies the figures, prints the report (claims in every "
        "state, the\n"
        "county table), writes it as HTML, and stops everything it started.\n"
        "\n"
        "Options:\n"
        "  --out FILE         where the HTML report goes (default "
        "./report.html)\n"
        "  --keep             keep the group's folders and logs\n"
        "  --serve            then start every node again and 'vocfed "
        "serve' at the\n"
        "                     coordinator on 127.0.0.1, print the "
        "dashboard's\n"
        "                     address and keep it all up until Ctrl-C "
        "(SIGINT)\n"
        "                     or SIGTERM\n"
        "  --timeout SECONDS  give up waiting for replication after this "
        "long (120)\n"
        "  -h, --help         print this help\n"
        "\n"
        "Exit status: 0 done, 1 a verification failed, 3 environment.\n",
    .run = s_run,
};
