/* vocfed: what the test programs share. */
#include "tests/harness.h"
#include "node/figures.h"
#include "node/identity.h"
#include "protocol/entry.h"
#include "protocol/hash.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

/* ---- folders and files ------------------------------------------------ */

void
th_tmpdir(char dir[64])
{
    snprintf(dir, 64, "/tmp/vocfed-test-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
}

void
th_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char path[512];
            struct stat st;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (n < 0 || (size_t)n >= sizeof path)
                continue;
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                th_rmdir(path);
            else
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

uint8_t *
th_read_file(const char *path, size_t *len)
{
    /* To the end, not to the size stat gives: /proc's files say 0. */
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    size_t cap = 0;
    *len = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (cap - *len < 2) {
            uint8_t *q = realloc(p, cap ? 2 * cap : 4096);
            if (!q) {
                free(p);
                fclose(f);
                *len = 0;
                return NULL;
            }
            p = q;
            cap = cap ? 2 * cap : 4096;
        }
        size_t got = fread(p + *len, 1, cap - *len - 1, f);
        *len += got;
        if (got == 0)
            break;
    }
    p[*len] = 0;
    fclose(f);
    return p;
}

void
th_author(th_author_t *a, const char *id, uint8_t seed_byte)
{
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    snprintf(a->id, sizeof a->id, "%s", id);
    crypto_sign_seed_keypair(a->pk, a->sk, seed);
}

int
th_kind_vbody(const char *kind, va_list ap, proto_buf_t *out,
              proto_kind_error_t *err)
{
    const char *names[32], *values[32];
    char buf[32][256];
    size_t k = 0;
    for (const char *fv = va_arg(ap, const char *); fv;
         fv = va_arg(ap, const char *)) {
        assert_true(k < 32);
        assert_true(strlen(fv) < sizeof buf[k]);
        snprintf(buf[k], sizeof buf[k], "%s", fv);
        char *eq = strchr(buf[k], '=');
        assert_non_null(eq);
        *eq = 0;
        names[k] = buf[k];
        values[k++] = eq + 1;
    }
    const proto_kind_def_t *def = proto_kind_find(kind);
    assert_non_null(def);
    return proto_kind_body(def, names, values, k, out, err);
}

void
th_students(store_t *st, const char *author, const uint8_t *sk, uint64_t first,
            size_t n, size_t pad, store_head_t *head)
{
    static char x[4096];
    store_head_t h;
    store_record_t *recs = calloc(n, sizeof *recs);
    size_t *offs = calloc(n, sizeof *offs);
    char(*keys)[65] = calloc(n, sizeof *keys);
    proto_buf_t bodies;
    proto_buf_init(&bodies);
    assert_true(recs && offs && keys && pad >= 1 && pad <= sizeof x);
    memset(x, 'x', sizeof x);
    for (size_t i = 0; i < n; i++) {
        proto_field_t f[4] = {
            {"intake_year",
             11,
             {.type = PROTO_VAL_INT, .i = 2020 + (int64_t)(i % 8)}},
            {"level", 5, {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
            {"major", 5, {.type = PROTO_VAL_STR, .s = x, .slen = pad}},
            {"status", 6, {.type = PROTO_VAL_STR, .s = "enrolled", .slen = 8}},
        };
        offs[i] = bodies.len;
        assert_int_equal(proto_body_encode(f, 4, &bodies), VOCFED_OK);
        snprintf(keys[i], sizeof keys[i], "%064llx",
                 (unsigned long long)(first + i));
        recs[i] = (store_record_t){
            .op = PROTO_OP_PUT, .kind = "student", .key = keys[i]};
    }
    for (size_t i = 0; i < n; i++) {
        recs[i].body = bodies.data + offs[i];
        recs[i].body_len = (i + 1 < n ? offs[i + 1] : bodies.len) - offs[i];
    }
    int rc = store_append(st, author, sk, recs, n, 0, head ? head : &h, NULL);
    proto_buf_release(&bodies);
    free(keys);
    free(offs);
    free(recs);
    assert_int_equal(rc, VOCFED_OK);
}

void
th_lmdb_put(const char *dir, const char *db, const void *key, size_t key_len,
            const void *value, size_t value_len)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {key_len, (void *)key}, v = {value_len, (void *)value};
    assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), MDB_SUCCESS);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), MDB_SUCCESS);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), MDB_SUCCESS);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), MDB_SUCCESS);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), MDB_SUCCESS);
    assert_int_equal(mdb_txn_commit(txn), MDB_SUCCESS);
    mdb_env_close(env);
}

void
th_tamper_entry(const char *dir, const char *author, uint64_t seq,
                const char *needle, char to)
{
    store_t *st = NULL;
    proto_buf_t e;
    size_t n = strlen(needle);
    proto_buf_init(&e);
    assert_int_equal(store_open(dir, NULL, &st), VOCFED_OK);
    assert_int_equal(store_entry_get(st, author, seq, &e), VOCFED_OK);
    uint8_t *p = NULL;
    for (size_t i = 0; !p && i + n <= e.len; i++)
        if (memcmp(e.data + i, needle, n) == 0)
            p = e.data + i;
    assert_non_null(p);
    *p = (uint8_t)to;
    int rc =
        store_raw_put(st, STORE_RAW_ENTRY, author, seq, NULL, 0, e.data, e.len);
    store_destroy(&st);
    proto_buf_release(&e);
    assert_int_equal(rc, VOCFED_OK);
}

/* ---- running vocfed --------------------------------------------------- */

void
th_text_add(th_text_t *t, const void *p, size_t n)
{
    char *q = realloc(t->data, t->len + n + 1);
    assert_non_null(q);
    if (n)
        memcpy(q + t->len, p, n);
    t->len += n;
    q[t->len] = '\0';
    t->data = q;
}

void
th_text_free(th_text_t *t)
{
    free(t->data);
    t->data = NULL;
    t->len = 0;
}

void
th_run_free(th_run_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

/* In a child, before exec: the environment the tests control. */
static void
s_child_env(const char *const *env)
{
    unsetenv("VOCFED_DIR");
    unsetenv("VOCFED_MAP_SIZE");
    for (size_t i = 0; env && env[i]; i++) {
        char name[64];
        const char *eq = strchr(env[i], '=');
        if (!eq || (size_t)(eq - env[i]) >= sizeof name)
            _exit(126);
        memcpy(name, env[i], (size_t)(eq - env[i]));
        name[eq - env[i]] = '\0';
        if (setenv(name, eq + 1, 1) != 0)
            _exit(126);
    }
}

void
th_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static int s_exec_deadline_ms = TH_EXEC_DEADLINE_MS;

int
th_exec_deadline(int ms)
{
    int was = s_exec_deadline_ms;
    s_exec_deadline_ms = ms > 0 ? ms : TH_EXEC_DEADLINE_MS;
    return was;
}

void
th_exec(th_run_t *r, const char *cwd, const char *const *env,
        const char *const *argv, th_text_t *transcript)
{
    int out[2], err[2];
    th_text_t o = {0}, e = {0};
    th_text_add(&o, "", 0);
    th_text_add(&e, "", 0);
    memset(r, 0, sizeof *r);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
            _exit(126);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
        /* Work in the test's folder: a bug that ignores --dir must not
         * leave a ./vocfed-data behind anywhere else. */
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        s_child_env(env);
        execv(VOCFED_BINARY, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    uint64_t end = th_now_ms() + (uint64_t)s_exec_deadline_ms;
    bool killed = false;
    while (open_fds > 0) {
        uint64_t now = th_now_ms();
        if (now >= end) { /* it hangs: killed, and its run fails */
            kill(pid, SIGKILL);
            killed = true;
            for (int i = 0; i < 2; i++)
                if (fds[i].fd >= 0)
                    close(fds[i].fd);
            break;
        }
        int n = poll(fds, 2, (int)(end - now));
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            th_text_add(i == 0 ? &o : &e, buf, (size_t)got);
            if (transcript)
                th_text_add(transcript, buf, (size_t)got);
        }
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        assert_int_equal(errno, EINTR);
    r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    if (killed) { /* the command, as far as it fits */
        char note[512];
        size_t len = (size_t)snprintf(note, sizeof note, "\n[harness:");
        const size_t room = sizeof note - 64; /* for the end */
        for (size_t i = 0; argv[i] && len < room; i++) {
            len += (size_t)snprintf(note + len, room - len, " %s", argv[i]);
            len = len < room ? len : room - 1;
        }
        len += (size_t)snprintf(note + len, sizeof note - len,
                                " still running after %d ms: killed]\n",
                                s_exec_deadline_ms);
        th_text_add(&e, note, len < sizeof note ? len : sizeof note - 1);
        print_error("%s", note);
    }
    r->out = o.data;
    r->out_len = o.len;
    r->err = e.data;
    r->err_len = e.len;
}

/* ---- daemons ------------------------------------------------------------ */

static long
s_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

void
th_spawn(th_proc_t *p, const char *cwd, const char *const *argv)
{
    assert_int_equal(p->pid, 0);
    assert_true(p->log[0] != '\0');
    p->log_start = s_file_size(p->log);
    p->code = -1;
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Nothing outlives the test program, even when it is killed. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(126);
        int log = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (log < 0 || null < 0 || dup2(log, STDOUT_FILENO) < 0 ||
            dup2(log, STDERR_FILENO) < 0 || dup2(null, STDIN_FILENO) < 0)
            _exit(126);
        close(log);
        close(null);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        s_child_env(NULL);
        execv(VOCFED_BINARY, (char *const *)argv);
        _exit(127);
    }
    p->pid = pid;
}

static int
s_code(int ws)
{
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

int
th_stop(th_proc_t *p, int sig, int deadline_ms)
{
    int ws;
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    uint64_t end = th_now_ms() + (uint64_t)deadline_ms;
    for (;;) {
        pid_t w = waitpid(p->pid, &ws, WNOHANG);
        if (w == p->pid)
            break;
        if (w < 0 && errno != EINTR) {
            p->pid = 0;
            return -1;
        }
        if (th_now_ms() >= end) {
            kill(p->pid, SIGKILL);
            while (waitpid(p->pid, &ws, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    p->pid = 0;
    p->code = s_code(ws);
    return p->code;
}

bool
th_running(th_proc_t *p)
{
    int ws;
    if (p->pid <= 0)
        return false;
    if (waitpid(p->pid, &ws, WNOHANG) == p->pid) {
        p->pid = 0;
        p->code = s_code(ws);
        return false;
    }
    return true;
}

bool
th_proc_log_has(const th_proc_t *p, const char *needle)
{
    size_t len;
    char *text = (char *)th_read_file(p->log, &len);
    bool has = false;
    if (text && (size_t)p->log_start <= len)
        has = strstr(text + p->log_start, needle) != NULL;
    free(text);
    return has;
}

typedef struct {
    const th_proc_t *p;
    const char *needle;
} s_said_t;

static bool
s_said(void *ctx)
{
    const s_said_t *s = ctx;
    return th_proc_log_has(s->p, s->needle);
}

bool
th_proc_wait_log(const th_proc_t *p, const char *needle, int deadline_ms)
{
    s_said_t s = {p, needle};
    return th_wait(s_said, &s, deadline_ms);
}

/* ---- waiting, ports, JSON --------------------------------------------- */

uint64_t
th_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool
th_wait(th_cond_fn cond, void *ctx, int deadline_ms)
{
    uint64_t end = th_now_ms() + (uint64_t)deadline_ms;
    for (;;) {
        if (cond(ctx))
            return true;
        if (th_now_ms() >= end)
            return false;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
}

int
th_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

json_t *
th_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        print_error("bad JSON (%s): %s\n", e.text, text);
    assert_non_null(j);
    assert_true(json_is_object(j));
    return j;
}

static json_t *
s_jget(json_t *j, va_list ap)
{
    const char *key;
    while (j && (key = va_arg(ap, const char *)) != NULL)
        j = json_object_get(j, key);
    return j;
}

json_t *
th_jget(json_t *j, ...)
{
    va_list ap;
    va_start(ap, j);
    json_t *v = s_jget(j, ap);
    va_end(ap);
    return v;
}

long long
th_jint(json_t *j, ...)
{
    va_list ap;
    va_start(ap, j);
    json_t *v = s_jget(j, ap);
    va_end(ap);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* ---- a replication network -------------------------------------------- */

uint64_t
th_bulk(const th_node_t *m, uint64_t first, size_t n, size_t pad, char root[65])
{
    uint8_t pk[PROTO_PUBKEY_LEN], *sk = NULL;
    store_t *st = NULL;
    store_head_t head;
    assert_int_equal(proto_unhex(m->pk, pk, sizeof pk), VOCFED_OK);
    assert_int_equal(store_open(m->dir, NULL, &st), VOCFED_OK);
    assert_int_equal(node_figures_attach_store(st), VOCFED_OK);
    assert_int_equal(node_identity_load(m->dir, pk, &sk), VOCFED_OK);
    th_students(st, m->id, sk, first, n, pad, &head);
    node_identity_free(&sk);
    store_destroy(&st);
    if (root)
        proto_hex(head.root, PROTO_HASH_LEN, root);
    return head.size;
}

void
th_net_note(th_net_t *net, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    th_text_add(&net->commands, line, (size_t)n);
}

th_run_t
th_net_run(th_net_t *net, const char *const *args)
{
    const char *argv[32] = {VOCFED_BINARY};
    size_t n = 1;
    th_text_add(&net->commands, "$ vocfed", 8);
    for (; args[n - 1]; n++) {
        assert_true(n < 31);
        argv[n] = args[n - 1];
        th_text_add(&net->commands, " ", 1);
        th_text_add(&net->commands, argv[n], strlen(argv[n]));
    }
    argv[n] = NULL;
    th_text_add(&net->commands, "\n", 1);
    th_run_t r;
    th_exec(&r, net->root, NULL, argv, &net->commands);
    th_net_note(net, "[exit %d]", r.status);
    return r;
}

void
th_net_expect(th_net_t *net, int want, const char *const *args)
{
    th_run_t r = th_net_run(net, args);
    if (r.status != want) {
        print_error("vocfed");
        for (size_t i = 0; args[i]; i++)
            print_error(" %s", args[i]);
        print_error(": exit %d, expected %d\nstdout: %s\nstderr: %s\n",
                    r.status, want, r.out, r.err);
    }
    int got = r.status;
    th_run_free(&r);
    assert_int_equal(got, want);
}

/* The public key `whoami --json` states. */
static void
s_whoami(th_net_t *net, th_node_t *node)
{
    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", node->dir, "whoami", "--json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    json_t *pk = json_object_get(j, "pubkey");
    assert_true(json_is_string(pk));
    assert_int_equal(strlen(json_string_value(pk)), 64);
    snprintf(node->pk, sizeof node->pk, "%s", json_string_value(pk));
    json_decref(j);
    th_run_free(&r);
}

void
th_net_init(th_net_t *net)
{
    memset(net, 0, sizeof *net);
    th_tmpdir(net->root);
    th_text_add(&net->commands, "", 0);
    snprintf(net->endpoint, sizeof net->endpoint, "tcp://127.0.0.1:%d",
             th_free_port());
    th_node_t *c = &net->coord;
    snprintf(c->id, sizeof c->id, "coord");
    snprintf(c->dir, sizeof c->dir, "%s/coord", net->root);
    snprintf(c->proc.log, sizeof c->proc.log, "%s/coord.log", net->root);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", c->dir, "init", "--coordinator", "--id",
                          c->id, "--name", "Coordinator"));
    s_whoami(net, c);
}

th_node_t *
th_net_member(th_net_t *net, const char *id, bool admit)
{
    assert_true(net->n < TH_NET_MAX);
    th_node_t *m = &net->members[net->n++];
    char root[sizeof net->root];
    memcpy(root, net->root, sizeof root); /* no overlap, says gcc */
    snprintf(m->id, sizeof m->id, "%s", id);
    snprintf(m->dir, sizeof m->dir, "%s/%s", root, id);
    snprintf(m->proc.log, sizeof m->proc.log, "%s/%s.log", root, id);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "init", "--id", m->id, "--name",
                          m->id, "--role", "school"));
    s_whoami(net, m);
    if (admit)
        th_net_expect(
            net, 0,
            TH_ARGS("--dir", net->coord.dir, "members", "add", m->id, m->pk));
    return m;
}

/* The coordinator listens, or has died trying. */
static bool
s_listening(void *ctx)
{
    th_proc_t *p = ctx;
    return th_proc_log_has(p, "listening on") || !th_running(p);
}

void
th_coord_start(th_net_t *net)
{
    th_coord_start_with(net, NULL);
}

void
th_coord_start_with(th_net_t *net, const char *const *extra)
{
    th_node_t *c = &net->coord;
    const char *argv[32] = {VOCFED_BINARY, "--dir",    c->dir,
                            "coordinator", "--listen", net->endpoint};
    size_t n = 6;
    for (size_t i = 0; extra && extra[i]; i++) {
        assert_true(n + 1 < sizeof argv / sizeof argv[0]);
        argv[n++] = extra[i];
    }
    th_net_note(net, "[start coordinator on %s]", net->endpoint);
    th_spawn(&c->proc, net->root, argv);
    assert_true(th_wait(s_listening, &c->proc, 10000));
    assert_true(th_running(&c->proc));
}

void
th_member_start(th_net_t *net, th_node_t *m)
{
    th_net_note(net, "[start member %s]", m->id);
    th_spawn(&m->proc, net->root,
             TH_ARGS(VOCFED_BINARY, "--dir", m->dir, "node", "--coordinator",
                     net->endpoint, "--coordinator-key", net->coord.pk));
}

th_run_t
th_sync(th_net_t *net, const th_node_t *m, int timeout_s)
{
    char t[16];
    snprintf(t, sizeof t, "%d", timeout_s);
    return th_net_run(net, TH_ARGS("--dir", m->dir, "sync", "--coordinator",
                                   net->endpoint, "--coordinator-key",
                                   net->coord.pk, "--timeout", t));
}

json_t *
th_status(th_net_t *net, const char *dir)
{
    th_run_t r;
    th_exec(&r, net->root, NULL,
            TH_ARGS(VOCFED_BINARY, "--dir", dir, "status", "--json"), NULL);
    /* 1: an alarm is raised; the JSON is printed the same (tests that
     * care about the exit status check alarms_raised or run status). */
    if (r.status != 0 && r.status != 1)
        print_error("status of %s: exit %d\n%s%s\n", dir, r.status, r.out,
                    r.err);
    assert_true(r.status == 0 || r.status == 1);
    json_t *j = th_json(r.out);
    th_run_free(&r);
    return j;
}

static void
s_print_log(const char *what, const char *path)
{
    size_t len;
    char *text = (char *)th_read_file(path, &len);
    if (!text)
        return;
    fprintf(stderr, "---- %s (%s) ----\n%s%s", what, path, text,
            len && text[len - 1] != '\n' ? "\n" : "");
    free(text);
}

const char *const th_design7[TH_DESIGN7_N] = {
    "hv_enrolled",
    "sv_enrolled",
    "training_person_times",
    "local_retention",
    "industry_coverage",
    "dual_qualified_share",
    "self_hired_share",
    "coop_class_subsidy",
    "source_school_incentive",
    "cross_city_incentive",
    "industry_college_award",
    "consortium_award",
    "subsidy_total",
};

bool
th_counted(void *ctx)
{
    th_count_t *c = ctx;
    json_t *cs = th_status(c->net, c->net->coord.dir);
    c->seen = th_jint(cs, "peers", c->id, c->what, NULL);
    json_decref(cs);
    return c->seen >= c->n;
}

int
th_net_setup(void **state)
{
    th_net_t *net = calloc(1, sizeof *net);
    *state = net;
    return net ? 0 : -1;
}

int
th_net_teardown(void **state)
{
    th_net_release(*state);
    free(*state);
    return 0;
}

void
th_put_student(th_net_t *net, const th_node_t *m, const char *name,
               const char *major)
{
    uint8_t h[PROTO_HASH_LEN];
    char key[2 * PROTO_HASH_LEN + 1], f[96];
    proto_hash(PROTO_HASH_BLAKE2B256, (const uint8_t *)name, strlen(name), h);
    proto_hex(h, sizeof h, key);
    snprintf(f, sizeof f, "major=%s", major ? major : "");
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "student", key,
                          "level=higher", "intake_year=2025", "status=enrolled",
                          major ? f : NULL));
}

void
th_net_release(th_net_t *net)
{
    th_stop(&net->coord.proc, SIGTERM, 5000);
    for (size_t i = 0; i < net->n; i++)
        th_stop(&net->members[i].proc, SIGTERM, 5000);
    if (!net->passed) {
        s_print_log("coordinator", net->coord.proc.log);
        for (size_t i = 0; i < net->n; i++)
            s_print_log(net->members[i].id, net->members[i].proc.log);
        fprintf(stderr, "---- commands ----\n%s",
                net->commands.data ? net->commands.data : "");
    }
    th_text_free(&net->commands);
    /* VOCFED_TEST_KEEP=1 keeps a failed test's folder (its stores and
     * its commands' output) to look into. */
    const char *keep = getenv("VOCFED_TEST_KEEP");
    if (!net->passed && keep && *keep && strcmp(keep, "0") != 0 && net->root[0])
        fprintf(stderr, "---- kept %s (VOCFED_TEST_KEEP) ----\n", net->root);
    else if (net->root[0])
        th_rmdir(net->root);
}

long long
th_log_size(th_net_t *net, const char *dir, const char *author)
{
    json_t *j = th_status(net, dir);
    long long n = th_jint(j, "logs", author, "size", NULL);
    json_decref(j);
    return n;
}

typedef struct {
    th_net_t *net;      /* the network */
    const char *dir;    /* whose store */
    const char *author; /* which log */
    long long want;     /* at least this many entries */
} s_log_size_t;

static bool
s_log_size_reached(void *ctx)
{
    s_log_size_t *s = ctx;
    return th_log_size(s->net, s->dir, s->author) >= s->want;
}

void
th_wait_log_size(th_net_t *net, const char *dir, const char *author,
                 long long n, int deadline_ms)
{
    s_log_size_t sz = {net, dir, author, n};
    if (!th_wait(s_log_size_reached, &sz, deadline_ms))
        fail_msg("%s holds %lld of %s's log, not %lld", dir,
                 th_log_size(net, dir, author), author, n);
}

void
th_member_config(th_net_t *net, const th_node_t *m)
{
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "config", "set", "coordinator",
                          net->endpoint));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "config", "set", "coordinator_key",
                          net->coord.pk));
}

void
th_all_well(th_net_t *net, const char *dir)
{
    th_net_expect(net, 0, TH_ARGS("--dir", net->coord.dir, "verify"));
    th_net_expect(net, 0, TH_ARGS("--dir", dir, "verify"));
    json_t *j = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(j, "alarms_raised", NULL), 0);
    json_decref(j);
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", net->coord.dir, "members", "list", "--json"));
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "\"quarantined\":true"));
    th_run_free(&r);
}

static int
s_author_id(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    th_authors_t *a = ctx;
    (void)pk;
    if (a->n == sizeof a->id / sizeof a->id[0])
        return 1;
    snprintf(a->id[a->n++], sizeof a->id[0], "%s", id);
    return 0;
}

void
th_authors(const char *dir, th_authors_t *out)
{
    store_t *st = NULL;
    memset(out, 0, sizeof *out);
    assert_int_equal(store_open(dir, &(store_opts_t){.no_derived = true}, &st),
                     VOCFED_OK);
    assert_int_equal(store_scan_authors(st, s_author_id, out), VOCFED_OK);
    store_destroy(&st);
}
