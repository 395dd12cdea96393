/* vocfed demo: a whole 1+2+2+N group on 127.0.0.1, for a newcomer.
 *
 * In a temporary folder: a coordinator and nine members (the lead
 * college, the technician college, the industrial school, the two park
 * consortia, two enterprises, two county schools), each with its own key
 * and store; synthetic records at Anqing's scale written at each member
 * (one transaction, one signature per member); every node started as its
 * own process; wait until the coordinator is level with every member;
 * the report printed and written as report.html; everything stopped. */
#include "node/node.h"
#include "protocol/clock.h"
#include "protocol/kinds.h"
#include "storage/store.h"
#include "tools/cli.h"
#include "tools/textwidth.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#define S_MEMBERS 9

/* One member of the demo group. */
typedef struct {
    const char *id;          /* node id */
    const char *name_zh;     /* display name */
    const char *name_en;     /* English name */
    const char *role;        /* DESIGN 6 role */
    const char *affiliation; /* original affiliation */
    const char *region;      /* county/district code */
    int higher;              /* higher-vocational students in school */
    int secondary;           /* secondary students in school */
    int graduates;           /* higher-vocational graduates of 2025 */
    int teachers;            /* full-time teachers */
    int training;            /* training person-times in 2025 */
    int coop;                /* cooperation classes */
} s_member_t;

static const s_member_t s_group[S_MEMBERS] = {
    {"aqvtc", "安庆职业技术学院", "Anqing Vocational and Technical College",
     "lead", "安庆市人民政府", "340803", 11000, 0, 3000, 420, 15000, 6},
    {"aqtc", "安庆技师学院", "Anqing Technician College", "backbone",
     "安庆市人力资源和社会保障局", "340811", 3100, 3400, 600, 210, 8000, 4},
    {"aqis", "安庆工业学校", "Anqing Industrial School", "backbone",
     "安庆市教育体育局", "340802", 0, 4200, 0, 180, 3000, 3},
    {"etdz", "安庆经济技术开发区产教联合体", "Anqing ETDZ consortium",
     "consortium", "安庆经济技术开发区管委会", "340871", 0, 0, 0, 0, 5000, 0},
    {"hitech", "安庆高新区产教联合体", "Anqing Hi-tech Zone consortium",
     "consortium", "安庆高新技术产业开发区管委会", "340872", 0, 0, 0, 0, 4000,
     0},
    {"jac", "江淮汽车安庆公司", "JAC Anqing", "enterprise", "企业", "340871", 0,
     0, 0, 0, 2500, 0},
    {"shihua", "安庆石化", "Anqing Petrochemical", "enterprise", "企业",
     "340802", 0, 0, 0, 0, 2500, 0},
    {"tongcheng", "桐城职业教育中心", "Tongcheng Vocational Centre",
     "county_school", "桐城市人民政府", "340881", 0, 1300, 0, 90, 600, 1},
    {"huaining", "怀宁县职业技术学校", "Huaining Vocational School",
     "county_school", "怀宁县人民政府", "340822", 0, 1200, 0, 80, 500, 1},
};

static const char *const s_industries[] = {
    "auto",    "chemical", "equipment",  "digital",
    "textile", "biomed",   "new_energy", "food"};

/* ---- small helpers ------------------------------------------------------ */

static uint64_t s_rng = 0x2024091ull; /* deterministic synthetic data */

static uint32_t
s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 16);
}

static const char *s_self; /* this program's path */
static int s_year;         /* the current year: the demo's data are of it */

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
    pid_t pid = fork();
    if (pid == 0) {
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

/* ---- synthetic records -------------------------------------------------- */

/* A batch of records of one member, built through the kinds table. */
typedef struct {
    store_record_t *recs; /* the records */
    proto_buf_t *bodies;  /* their bodies */
    char (*keys)[80];     /* their keys */
    size_t n, cap;        /* used, allocated */
} s_batch_t;

static int
s_rec(s_batch_t *b, const char *kind, const char *key, ...)
{
    const char *names[16], *values[16];
    char buf[16][128];
    size_t k = 0;
    va_list ap;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        void *r = realloc(b->recs, cap * sizeof *b->recs);
        if (r)
            b->recs = r;
        void *bo = realloc(b->bodies, cap * sizeof *b->bodies);
        if (bo)
            b->bodies = bo;
        void *ke = realloc(b->keys, cap * sizeof *b->keys);
        if (ke)
            b->keys = ke;
        if (!r || !bo || !ke)
            return VOCFED_ENOMEM;
        b->cap = cap;
    }
    va_start(ap, key);
    for (const char *fv = va_arg(ap, const char *); fv && k < 16;
         fv = va_arg(ap, const char *)) {
        snprintf(buf[k], sizeof buf[k], "%s", fv);
        char *eq = strchr(buf[k], '=');
        if (!eq)
            continue;
        *eq = 0;
        names[k] = buf[k];
        values[k] = eq + 1;
        k++;
    }
    va_end(ap);
    proto_kind_error_t err;
    proto_buf_t *body = &b->bodies[b->n];
    proto_buf_init(body);
    int rc =
        proto_kind_body(proto_kind_find(kind), names, values, k, body, &err);
    if (rc) {
        cli_error("demo: %s %s: %s=%s: %s", kind, key, err.field, err.value,
                  err.reason_en);
        return rc;
    }
    snprintf(b->keys[b->n], sizeof b->keys[b->n], "%s", key);
    b->recs[b->n] =
        (store_record_t){PROTO_OP_PUT, kind, NULL, body->data, body->len};
    b->n++;
    return VOCFED_OK;
}

static void
s_batch_release(s_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        proto_buf_release(&b->bodies[i]);
    free(b->recs);
    free(b->bodies);
    free(b->keys);
    memset(b, 0, sizeof *b);
}

/* pseudo_id = hex of BLAKE2b-256 keyed with the group linkage key over the
 * ID-card number (DESIGN 6); the demo's ID numbers are synthetic. */
static void
s_pseudo(const uint8_t key[32], const char *id_number, char out[65])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, (const uint8_t *)id_number,
                       strlen(id_number), key, 32);
    proto_hex(h, 32, out);
}

/* The member's profile and, at a school, its majors. */
static int
s_fill_profile(const s_member_t *m, int index, s_batch_t *b)
{
    char k[80], v[5][96];
    int rc = s_rec(
        b, "member", "profile",
        (snprintf(v[0], 96, "name_zh=%s", m->name_zh), v[0]),
        (snprintf(v[1], 96, "name_en=%s", m->name_en), v[1]),
        (snprintf(v[2], 96, "role=%s", m->role), v[2]),
        (snprintf(v[3], 96, "original_affiliation=%s", m->affiliation), v[3]),
        (snprintf(v[4], 96, "region_code=%s", m->region), v[4]), NULL);
    if (rc)
        return rc;
    bool school = m->higher || m->secondary;
    /* Majors: together the schools cover every leading industry but one
     * (food), so coverage shows 7/8 until someone opens a major. */
    for (int i = 0; school && i < 6; i++) {
        snprintf(k, sizeof k, "%d%05d", index, i);
        snprintf(v[0], 96, "industries=%s", s_industries[(index + i) % 7]);
        if ((rc = s_rec(b, "major", k, "name=专业", v[0],
                        m->higher ? "level=higher" : "level=secondary",
                        "status=active", NULL)))
            return rc;
    }
    return VOCFED_OK;
}

/* The students. The first 300 secondary students of the industrial
 * school are also enrolled at the lead college (five-year pathway): the
 * same person at two members, counted once in each figure. */
static int
s_fill_students(const s_member_t *m, int index, const uint8_t link[32],
                s_batch_t *b)
{
    char pid[65], idn[40], v[4][96];
    int rc;
    for (int i = 0; i < m->higher + m->secondary; i++) {
        bool higher = i < m->higher;
        int shared = !strcmp(m->id, "aqvtc") && i < 300;
        if (shared)
            snprintf(idn, sizeof idn, "3408001999%04d%04d", 2, i);
        else
            snprintf(idn, sizeof idn, "3408001999%04d%04d", index + 10, i);
        s_pseudo(link, idn, pid);
        int y = s_year - 2 + (int)(s_rand() % 3);
        const char *origin = s_rand() % 10 < 8
                                 ? (s_rand() % 2 ? "340822" : "340881")
                                 : (s_rand() % 2 ? "340100" : "341000");
        snprintf(v[0], 96, "intake_year=%d", y);
        snprintf(v[1], 96, "origin_region=%s", origin);
        snprintf(v[2], 96, "source_school=jh%02u", s_rand() % 6);
        if ((rc = s_rec(b, "student", pid,
                        higher ? "level=higher" : "level=secondary",
                        shared ? "pathway=five_year" : "pathway=regular",
                        "status=enrolled", v[0], v[1], v[2], NULL)))
            return rc;
    }
    snprintf(v[3], 96, "intake_year=%d", s_year - 2);
    if (strcmp(m->id, "aqis") != 0)
        return VOCFED_OK;
    for (int i = 0; i < 300; i++) {
        snprintf(idn, sizeof idn, "3408001999%04d%04d", 2, i);
        s_pseudo(link, idn, pid);
        if ((rc = s_rec(b, "student", pid, "level=secondary",
                        "pathway=five_year", "status=enrolled", v[3],
                        "origin_region=340803", "source_school=jh01", NULL)))
            return rc;
    }
    return VOCFED_OK;
}

/* The graduates, the teachers and the posts. */
static int
s_fill_staff(const s_member_t *m, int index, const uint8_t link[32],
             s_batch_t *b)
{
    char k[80], pid[65], idn[40], v[2][96];
    int rc;
    for (int i = 0; i < m->graduates; i++) {
        snprintf(idn, sizeof idn, "3408001998%04d%04d", index, i);
        s_pseudo(link, idn, pid);
        snprintf(k, sizeof k, "%s:%d", pid, s_year);
        unsigned r = s_rand() % 100;
        const char *dest = r < 80   ? "destination=employed"
                           : r < 88 ? "destination=further_study"
                                    : "destination=flexible";
        snprintf(v[0], 96, "workplace_region=%s",
                 s_rand() % 100 < 46 ? "340803" : "320500");
        snprintf(v[1], 96, "grad_year=%d", s_year);
        if ((rc = s_rec(b, "graduate", k, "level=higher", v[1], dest, v[0],
                        NULL)))
            return rc;
    }
    for (int i = 0; i < m->teachers; i++) {
        snprintf(idn, sizeof idn, "3408001980%04d%04d", index, i);
        s_pseudo(link, idn, pid);
        const char *dual =
            s_rand() % 100 < 62 ? "dual_qualified=mid" : "dual_qualified=none";
        if ((rc = s_rec(
                 b, "staff", pid, "category=fulltime_teacher",
                 i % 5 ? "course_type=professional" : "course_type=public",
                 i % 4 ? "post=authorised" : "post=self_hired", dual, NULL)))
            return rc;
    }
    if (!m->teachers)
        return VOCFED_OK;
    snprintf(v[0], 96, "authorised_posts=%d", m->teachers * 3 / 4);
    snprintf(v[1], 96, "self_hired_posts=%d", m->teachers / 4);
    snprintf(k, sizeof k, "%d", s_year);
    return s_rec(b, "posts", k, v[0], v[1], NULL);
}

/* Training, cooperation classes, industry colleges and consortia. */
static int
s_fill_work(const s_member_t *m, s_batch_t *b)
{
    char k[80], v[4][96];
    int rc;
    for (int done = 0, i = 0; done < m->training; i++) {
        int n = m->training - done < 500 ? m->training - done : 500;
        snprintf(k, sizeof k, "%s-%d-%03d", m->id, s_year, i);
        snprintf(v[0], 96, "completed=%d", n);
        snprintf(v[1], 96, "year=%d", s_year);
        if ((rc = s_rec(b, "training", k,
                        i % 3 ? "type=upskilling" : "type=enterprise_staff",
                        v[1], v[0], NULL)))
            return rc;
        done += n;
    }
    for (int i = 0; i < m->coop; i++) {
        snprintf(k, sizeof k, "%s-c%02d", m->id, i);
        /* one class of 19 in the group: it earns nothing */
        snprintf(v[0], 96, "students_at_start=%d", i == 1 ? 19 : 20 + i * 5);
        snprintf(v[1], 96, "cohort_year=%d", s_year);
        if ((rc = s_rec(b, "coop_class", k, "enterprise=jac", v[0], v[1],
                        "kind=order", NULL)))
            return rc;
    }
    snprintf(v[2], 96, "recognised_year=%d", s_year);
    snprintf(v[3], 96, "recognised_year=%d", s_year - 1);
    if (!strcmp(m->id, "aqvtc") &&
        ((rc = s_rec(b, "industry_college", "auto", "name=汽车产业学院",
                     "industry=auto", "level=provincial", v[2], NULL)) ||
         (rc = s_rec(b, "industry_college", "chemical", "name=化工产业学院",
                     "industry=chemical", "level=provincial", v[3], NULL)) ||
         (rc = s_rec(b, "industry_college", "digital", "name=数字产业学院",
                     "industry=digital", "level=municipal", v[2], NULL))))
        return rc;
    if (!strcmp(m->role, "consortium"))
        return s_rec(b, "consortium", m->id,
                     (snprintf(v[0], 96, "name=%s", m->name_zh), v[0]),
                     !strcmp(m->id, "etdz") ? "level=provincial"
                                            : "level=municipal",
                     v[2], NULL);
    return VOCFED_OK;
}

/* Everything one member records: profile, majors, students, graduates,
 * teachers, posts, training, cooperation classes, colleges, consortia.
 * The order of the calls is the order of the synthetic data. */
static int
s_fill(const s_member_t *m, int index, const uint8_t link[32], s_batch_t *b)
{
    int rc;
    if ((rc = s_fill_profile(m, index, b)) ||
        (rc = s_fill_students(m, index, link, b)) ||
        (rc = s_fill_staff(m, index, link, b)) || (rc = s_fill_work(m, b)))
        return rc;
    for (size_t i = 0; i < b->n; i++)
        b->recs[i].key = b->keys[i];
    return VOCFED_OK;
}

/* ---- the run ---------------------------------------------------------- */

/* Writes member m's records in one signed append, through its node. */
static int
s_write_member(const char *dir, const s_member_t *m, int index,
               const uint8_t link[32], size_t *count)
{
    node_t *node = NULL;
    s_batch_t b = {0};
    int rc = node_open(dir, NODE_OPEN_KEY, &node);
    if (!rc)
        rc = s_fill(m, index, link, &b);
    if (!rc)
        rc = node_append(node, b.recs, b.n, 0, NULL, NULL);
    *count = b.n;
    s_batch_release(&b);
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
            store_head(node_store(mn), s_group[i].id, &mh)) {
            level = false;
            node_close(&mn);
            continue;
        }
        node_close(&mn);
        if (store_head(node_store(cn), s_group[i].id, &ch) ||
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
    bool keep;                     /* --keep, or kept for a look */
    const char *html;              /* --out */
    uint64_t timeout;              /* --timeout, seconds */
    char self[4096];               /* this program's path */
    char root[32];                 /* the temporary folder */
    char coord[300];               /* the coordinator's folder */
    char dirs[S_MEMBERS][300];     /* the members' folders */
    char logs[S_MEMBERS + 1][300]; /* the daemons' logs */
    char endpoint[64];             /* where the coordinator listens */
    char ckey[65];                 /* its public key, hex */
    pid_t pids[S_MEMBERS + 1];     /* the daemons, 0 when stopped */
    size_t total;                  /* records written */
    char out[8192];                /* a command's output */
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
    s_year = tm.tm_year + 1900;
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

/* Step 2: member i made, admitted to the roster, its records written.
 * Returns 0 or an exit code. */
static int
s_make_member(s_demo_t *d, int i, const uint8_t link[32])
{
    const s_member_t *m = &s_group[i];
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
    if ((rc = s_write_member(d->dirs[i], m, i, link, &n))) {
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
    snprintf(d->logs[S_MEMBERS], sizeof d->logs[0], "%s/coordinator.log",
             d->root);
    const char *cargs[] = {"coordinator", NULL};
    d->pids[S_MEMBERS] = s_spawn(d->coord, d->logs[S_MEMBERS], cargs);
    for (int i = 0; i < S_MEMBERS; i++) {
        snprintf(d->logs[i], sizeof d->logs[i], "%s/%s.log", d->root,
                 s_group[i].id);
        const char *margs[] = {"node", NULL};
        d->pids[i] = s_spawn(d->dirs[i], d->logs[i], margs);
    }
    uint64_t t0 = proto_mono_ms(), behind = d->total;
    bool level = false;
    while (!level && proto_mono_ms() - t0 <= d->timeout * 1000) {
        level = s_level(d->coord, d->dirs, S_MEMBERS, &behind);
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
    printf("%s4. the coordinator is level with all nine members: %zu entries "
           "verified\n   and committed in %.1f s\n\n",
           isatty(STDOUT_FILENO) ? "\r" : "", d->total, el);
    return CLI_EXIT_OK;
}

/* Steps 5 and 6: the figures verified, the report printed and written.
 * Returns 0 or an exit code. */
static int
s_report(s_demo_t *d)
{
    s_stop(d->pids, S_MEMBERS + 1);
    int rc =
        s_vocfed(d->coord, d->out, sizeof d->out, "verify", "--figures", NULL);
    printf("5. vocfed verify --figures at the coordinator: %s", d->out);
    if (rc)
        return CLI_EXIT_FAIL;
    printf("\n6. the report (vocfed report):\n\n");
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
    uint8_t link[32];
    randombytes_buf(link, sizeof link); /* the group linkage key */
    if ((rc = s_make_coordinator(d)))
        goto done;
    printf("2. nine members, each with its own key and store, admitted to "
           "the roster:\n");
    for (int i = 0; i < S_MEMBERS; i++)
        if ((rc = s_make_member(d, i, link)))
            goto done;
    if ((rc = s_replicate(d)) == CLI_EXIT_OK)
        rc = s_report(d);
done:
    s_stop(d->pids, S_MEMBERS + 1);
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
        "Usage: vocfed demo [--out FILE] [--keep] [--timeout SECONDS]\n"
        "\n"
        "In a temporary folder: makes the coordinator and nine members (the "
        "lead\n"
        "college, the technician college, the industrial school, the two "
        "park\n"
        "consortia, two enterprises, two county schools), gives each "
        "synthetic\n"
        "records at Anqing's scale (about 14,000 higher-vocational and "
        "10,000\n"
        "secondary students, 40,000 training person-times, teachers, majors, "
        "classes,\n"
        "colleges), starts every node as its own process on 127.0.0.1, waits "
        "until\n"
        "the coordinator is level with every member, verifies the figures, "
        "prints\n"
        "the report, writes it as HTML, and stops everything it started.\n"
        "\n"
        "Options:\n"
        "  --out FILE         where the HTML report goes (default "
        "./report.html)\n"
        "  --keep             keep the group's folders and logs\n"
        "  --timeout SECONDS  give up waiting for replication after this "
        "long (120)\n"
        "  -h, --help         print this help\n"
        "\n"
        "Exit status: 0 done, 1 a verification failed, 3 environment.\n",
    .run = s_run,
};
