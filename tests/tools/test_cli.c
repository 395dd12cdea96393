/* Tests of the vocfed command: runs the real binary (VOCFED_BINARY) in a
 * temporary folder and checks exit codes, stdout and stderr. */
#define _XOPEN_SOURCE 700 /* nftw */

#include "node/config.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/merkle.h"
#include "storage/store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>
#include <jansson.h>
#include <lmdb.h>

#define S_NAME_ZH "安庆职业技术学院"

/* What one run of the binary did. */
typedef struct {
    int status;     /* exit code; -1 if it did not exit normally */
    char *out;      /* stdout, NUL-terminated */
    size_t out_len; /* its length */
    char *err;      /* stderr, NUL-terminated */
    size_t err_len; /* its length */
} s_run_t;

/* Per-test state. */
typedef struct {
    char root[64];         /* mkdtemp folder, removed afterwards */
    char dir[128];         /* the store folder: root/a/b/node (not made) */
    char *transcript;      /* every byte any run printed */
    size_t transcript_len; /* its length */
} s_state_t;

static s_state_t *s_st; /* the running test's state */

static void
s_append(char **buf, size_t *len, const char *data, size_t n)
{
    char *p = realloc(*buf, *len + n + 1);
    assert_non_null(p);
    memcpy(p + *len, data, n);
    *len += n;
    p[*len] = '\0';
    *buf = p;
}

static void
s_run_free(s_run_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

/* Runs VOCFED_BINARY with argv (NULL-terminated, argv[0] included) and
 * env ("NAME=VALUE" strings, NULL-terminated, or NULL) added to a
 * clean environment, and waits for it to exit. */
static void
s_exec(s_run_t *r, const char *const *env, const char *const *argv)
{
    int out[2], err[2];
    memset(r, 0, sizeof *r);
    s_append(&r->out, &r->out_len, "", 0);
    s_append(&r->err, &r->err_len, "", 0);
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
        if (s_st && chdir(s_st->root) != 0)
            _exit(126);
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
        execv(VOCFED_BINARY, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        int n = poll(fds, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n > 0);
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
            if (i == 0)
                s_append(&r->out, &r->out_len, buf, (size_t)got);
            else
                s_append(&r->err, &r->err_len, buf, (size_t)got);
            if (s_st) {
                s_append(&s_st->transcript, &s_st->transcript_len, buf,
                         (size_t)got);
            }
        }
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        assert_int_equal(errno, EINTR);
    r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

#define S_ARGV(...) ((const char *const[]){VOCFED_BINARY, __VA_ARGS__, NULL})
#define S_ENV(...) ((const char *const[]){__VA_ARGS__, NULL})
/* Runs vocfed ARGS... with no extra environment. */
#define S_RUN(r, ...) s_exec((r), NULL, S_ARGV(__VA_ARGS__))
/* Runs vocfed ARGS... and checks its exit code. */
#define S_EXPECT(code, ...)                                                    \
    do {                                                                       \
        s_run_t r_;                                                            \
        S_RUN(&r_, __VA_ARGS__);                                               \
        if (r_.status != (code))                                               \
            print_error("stdout: %s\nstderr: %s\n", r_.out, r_.err);           \
        assert_int_equal(r_.status, (code));                                   \
        s_run_free(&r_);                                                       \
    } while (0)

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    snprintf(st->root, sizeof st->root, "/tmp/vocfed-cli-XXXXXX");
    if (!mkdtemp(st->root)) {
        free(st);
        return -1;
    }
    /* A folder whose parents do not exist yet: init makes them. */
    snprintf(st->dir, sizeof st->dir, "%s/a/b/node", st->root);
    s_st = st;
    *state = st;
    return 0;
}

static int
s_teardown(void **state)
{
    s_state_t *st = *state;
    int rc = nftw(st->root, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(st->transcript);
    free(st);
    s_st = NULL;
    return rc;
}

/* Reads DIR/node.key (64 bytes). */
static void
s_read_key(const char *dir, uint8_t sk[PROTO_SECKEY_LEN])
{
    char path[256];
    snprintf(path, sizeof path, "%s/node.key", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(sk, 1, PROTO_SECKEY_LEN, f), PROTO_SECKEY_LEN);
    assert_int_equal(fgetc(f), EOF);
    fclose(f);
}

static bool
s_contains(const char *hay, size_t hay_len, const void *needle, size_t n)
{
    for (size_t i = 0; n <= hay_len && i <= hay_len - n; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* The secret key (its seed half, raw or in hex of either case) never
 * appeared in anything vocfed printed during the test. */
static void
s_assert_no_secret(const s_state_t *st)
{
    uint8_t sk[PROTO_SECKEY_LEN];
    char hex[2 * PROTO_SECKEY_LEN + 1];
    s_read_key(st->dir, sk);
    proto_hex(sk, 32, hex); /* the seed: the secret half */
    assert_true(st->transcript_len > 0);
    assert_false(s_contains(st->transcript, st->transcript_len, sk, 32));
    assert_false(s_contains(st->transcript, st->transcript_len, hex, 64));
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_false(s_contains(st->transcript, st->transcript_len, hex, 64));
}

static void
s_init(const s_state_t *st)
{
    S_EXPECT(0, "--dir", st->dir, "init", "--id", "aqvtc", "--name", S_NAME_ZH,
             "--role", "school");
}

/* Parses one JSON object. */
static json_t *
s_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        print_error("bad JSON (%s): %s\n", e.text, text);
    assert_non_null(j);
    assert_true(json_is_object(j));
    return j;
}

static const char *
s_str(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static json_int_t
s_int(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static bool
s_is_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* Splits text into lines (in place); returns how many. */
static size_t
s_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    for (char *p = text; *p && n < max;) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line ends with a newline */
        *nl = '\0';
        lines[n++] = p;
        p = nl + 1;
    }
    return n;
}

/* ---- tests ----------------------------------------------------------- */

static const char *const s_commands[] = {"init", "whoami", "put",    "del",
                                         "get",  "log",    "verify", "members"};
#define S_NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

static void
test_help(void **state)
{
    s_state_t *st = *state;
    s_run_t r;
    const char *const *forms[] = {S_ARGV("--help"), S_ARGV("help"),
                                  S_ARGV("-h")};
    for (size_t f = 0; f < 3; f++) {
        s_exec(&r, NULL, forms[f]);
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "Usage: vocfed"));
        for (size_t i = 0; i < S_NCOMMANDS; i++) {
            char line[32];
            snprintf(line, sizeof line, "\n  %s ", s_commands[i]);
            assert_non_null(strstr(r.out, line));
        }
        assert_int_equal(r.err_len, 0);
        s_run_free(&r);
    }
    S_RUN(&r, "--version");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "vocfed ", 7) == 0);
    s_run_free(&r);

    for (size_t i = 0; i < S_NCOMMANDS; i++) {
        char want[64];
        snprintf(want, sizeof want, "Usage: vocfed %s", s_commands[i]);
        /* No store is needed for help, and --help wins over the rest. */
        S_RUN(&r, "--dir", st->dir, s_commands[i], "--help");
        assert_int_equal(r.status, 0);
        assert_true(strncmp(r.out, want, strlen(want)) == 0);
        assert_non_null(strstr(r.out, "Exit status"));
        assert_int_equal(r.err_len, 0);
        char *first = strdup(r.out);
        s_run_free(&r);
        S_RUN(&r, "help", s_commands[i]);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, first);
        free(first);
        s_run_free(&r);
    }
    struct stat sb;
    assert_int_equal(stat(st->dir, &sb), -1);
}

/* Usage errors exit 2 with a message, and are found before the store is
 * opened (there is none here) or any folder made. */
static void
test_usage_errors(void **state)
{
    s_state_t *st = *state;
    const char *d = st->dir;
    s_run_t r;

    S_RUN(&r, "frobnicate");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
    assert_non_null(strstr(r.err, "vocfed --help"));
    assert_int_equal(r.out_len, 0);
    s_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "member", "profile", "name_zh");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "'name_zh'"));
    assert_non_null(strstr(r.err, "FIELD=VALUE"));
    assert_non_null(strstr(r.err, "vocfed put --help"));
    s_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "member", "profile", "a=1", "b=2", "a=3");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "field 'a' is given twice"));
    s_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "Member", "profile", "a=1");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "kind 'Member'"));
    s_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "member", "profile", "--bogus", "a=1");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown option '--bogus'"));
    s_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "member", "profile", "Bad=1");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "field name 'Bad'"));
    s_run_free(&r);

    s_exec(&r, NULL, (const char *const[]){VOCFED_BINARY, NULL});
    assert_int_equal(r.status, 2); /* no command */
    assert_non_null(strstr(r.err, "no command"));
    s_run_free(&r);
    S_EXPECT(2, "--dir", d, "put", "member", "profile", "a=1", "--dir=");
    S_EXPECT(2, "--bogus", "whoami"); /* unknown global option */
    S_EXPECT(2, "--dir");             /* option without its value */
    S_EXPECT(2, "help", "frobnicate");
    S_EXPECT(2, "--dir", d, "put", "member");
    S_EXPECT(2, "--dir", d, "put", "member", "bad\tkey", "a=1");
    S_EXPECT(2, "--dir", d, "del", "member", "profile", "a=1");
    S_EXPECT(2, "--dir", d, "get", "member");
    S_EXPECT(2, "--dir", d, "get", "member", "profile", "extra");
    S_EXPECT(2, "--dir", d, "get", "member", "profile", "--author", "Bad!");
    S_EXPECT(2, "--dir", d, "log", "--from", "0");
    S_EXPECT(2, "--dir", d, "log", "--from", "-1");
    S_EXPECT(2, "--dir", d, "log", "--from", "1x");
    S_EXPECT(2, "--dir", d, "log", "extra");
    S_EXPECT(2, "--dir", d, "verify", "--json", "--quiet");
    S_EXPECT(2, "--dir", d, "whoami", "extra");
    S_EXPECT(2, "--dir", d, "init", "--name", "x");
    S_EXPECT(2, "--dir", d, "init", "--id", "aqvtc");
    S_EXPECT(2, "--dir", d, "init", "--id", "AQVTC", "--name", "x");
    S_EXPECT(2, "--dir", d, "init", "--id", "aqvtc", "--name", "x", "--role",
             "king");
    S_EXPECT(2, "--dir", d, "init", "--id", "aqvtc", "--name", "tab\there");
    S_EXPECT(2, "--dir", d, "init", "--id");

    s_exec(&r, S_ENV("VOCFED_MAP_SIZE=lots"), S_ARGV("--dir", d, "whoami"));
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "VOCFED_MAP_SIZE"));
    s_run_free(&r);

    struct stat sb;
    assert_int_equal(stat(d, &sb), -1);
}

static void
test_store_missing(void **state)
{
    s_state_t *st = *state;
    const char *d = st->dir;
    const char *const *runs[] = {
        S_ARGV("--dir", d, "whoami"),
        S_ARGV("--dir", d, "put", "member", "profile", "a=1"),
        S_ARGV("--dir", d, "del", "member", "profile"),
        S_ARGV("--dir", d, "get", "member", "profile"),
        S_ARGV("--dir", d, "log"),
        S_ARGV("--dir", d, "verify"),
        S_ARGV("--dir", d, "members", "list"),
        S_ARGV("--dir", st->root, "verify"), /* a folder, but no store */
        S_ARGV("whoami"), /* ./vocfed-data in the test's folder */
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        s_run_t r;
        s_exec(&r, NULL, runs[i]);
        assert_int_equal(r.status, 3);
        assert_non_null(strstr(r.err, "cannot open store"));
        assert_non_null(strstr(r.err, "run 'vocfed init' first"));
        assert_int_equal(r.out_len, 0);
        s_run_free(&r);
    }
    s_run_t r;
    S_RUN(&r, "log");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "store ./vocfed-data: not found"));
    s_run_free(&r);
}

/* A store of another format version is left alone (exit 3), and the
 * message says which version was found. */
static void
test_store_version(void **state)
{
    s_state_t *st = *state;
    s_run_t r;
    s_init(st);
    /* The store refuses to write its own version: go below it, as
     * tests/storage does. */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {sizeof "format_version" - 1, (void *)"format_version"};
    MDB_val v = {1, (void *)"2"};
    assert_int_equal(mdb_env_create(&env), MDB_SUCCESS);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), MDB_SUCCESS);
    assert_int_equal(mdb_env_open(env, st->dir, 0, 0600), MDB_SUCCESS);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), MDB_SUCCESS);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), MDB_SUCCESS);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), MDB_SUCCESS);
    assert_int_equal(mdb_txn_commit(txn), MDB_SUCCESS);
    mdb_env_close(env);

    S_RUN(&r, "--dir", st->dir, "whoami");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "found version 2"));
    assert_non_null(strstr(r.err, "supports version 1"));
    s_run_free(&r);
    S_RUN(&r, "--dir", st->dir, "init", "--id", "aqvtc", "--name", "x");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "already exists"));
    s_run_free(&r);
    S_EXPECT(3, "--dir", st->dir, "verify");
    S_EXPECT(3, "--dir", st->dir, "put", "member", "profile", "a=1");
}

/* init -> whoami -> put -> get -> put again -> del -> get -> log ->
 * verify, the happy path with the content checked at each step. */
static void
test_flow(void **state)
{
    s_state_t *st = *state;
    const char *d = st->dir;
    char envdir[160];
    snprintf(envdir, sizeof envdir, "VOCFED_DIR=%s", d);
    s_run_t r;
    json_t *j;

    /* init prints the public key: the second half of node.key. */
    S_RUN(&r, "init", "--dir", d, "--id", "aqvtc", "--name", S_NAME_ZH,
          "--role", "school");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, 65);
    assert_int_equal(r.out[64], '\n');
    r.out[64] = '\0';
    assert_true(s_is_hex(r.out, 64));
    uint8_t sk[PROTO_SECKEY_LEN];
    char pk_hex[65];
    s_read_key(d, sk);
    proto_hex(sk + 32, 32, pk_hex);
    assert_string_equal(r.out, pk_hex);
    s_run_free(&r);

    /* The key is private to its owner; so is the folder. */
    struct stat sb;
    char path[256];
    snprintf(path, sizeof path, "%s/node.key", d);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(stat(d, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);

    /* whoami, found through $VOCFED_DIR. */
    s_exec(&r, S_ENV(envdir), S_ARGV("whoami", "--json"));
    assert_int_equal(r.status, 0);
    j = s_json(r.out);
    assert_string_equal(s_str(j, "id"), "aqvtc");
    assert_string_equal(s_str(j, "name"), S_NAME_ZH);
    assert_string_equal(s_str(j, "role"), "school");
    assert_string_equal(s_str(j, "pubkey"), pk_hex);
    json_decref(j);
    s_run_free(&r);
    S_RUN(&r, "--dir", d, "whoami");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, S_NAME_ZH));
    assert_non_null(strstr(r.out, pk_hex));
    s_run_free(&r);

    /* put: integers only when they print back as typed. */
    S_RUN(&r, "put", "member", "profile", "name_zh=" S_NAME_ZH,
          "region_code=340803", "zero=0", "neg=-12", "code=007",
          "empty=", "big=99999999999999999999", "minus0=-0", "mixed=12a",
          "min=-9223372036854775808", "eq=a=b", "--json", "--dir", d);
    assert_int_equal(r.status, 0);
    j = s_json(r.out);
    assert_int_equal(s_int(j, "seq"), 1);
    assert_int_equal(s_int(j, "size"), 1);
    assert_true(s_is_hex(s_str(j, "root"), 64));
    json_decref(j);
    s_run_free(&r);

    s_exec(&r, S_ENV(envdir), S_ARGV("get", "member", "profile"));
    assert_int_equal(r.status, 0);
    j = s_json(r.out);
    assert_string_equal(s_str(j, "author"), "aqvtc");
    assert_string_equal(s_str(j, "kind"), "member");
    assert_string_equal(s_str(j, "key"), "profile");
    assert_int_equal(s_int(j, "seq"), 1);
    const char *when = s_str(j, "time");
    assert_int_equal(strlen(when), 24);
    assert_int_equal(when[10], 'T');
    assert_int_equal(when[23], 'Z');
    json_t *body = json_object_get(j, "body");
    assert_true(json_is_object(body));
    assert_int_equal(json_object_size(body), 11);
    assert_string_equal(s_str(body, "name_zh"), S_NAME_ZH);
    assert_int_equal(s_int(body, "region_code"), 340803);
    assert_int_equal(s_int(body, "zero"), 0);
    assert_int_equal(s_int(body, "neg"), -12);
    assert_true(s_int(body, "min") == INT64_MIN);
    assert_string_equal(s_str(body, "code"), "007");
    assert_string_equal(s_str(body, "empty"), "");
    assert_string_equal(s_str(body, "big"), "99999999999999999999");
    assert_string_equal(s_str(body, "minus0"), "-0");
    assert_string_equal(s_str(body, "mixed"), "12a");
    assert_string_equal(s_str(body, "eq"), "a=b");
    json_decref(j);
    s_run_free(&r);

    /* put again replaces the record whole. */
    S_RUN(&r, "--dir", d, "put", "member", "profile", "name_en=AQVTC");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "put member profile seq=2 root=", 30) == 0);
    assert_int_equal(r.out_len, 30 + 64 + 1);
    r.out[30 + 64] = '\0';
    assert_true(s_is_hex(r.out + 30, 64));
    s_run_free(&r);
    S_RUN(&r, "--dir", d, "get", "member", "profile");
    assert_int_equal(r.status, 0);
    j = s_json(r.out);
    assert_int_equal(s_int(j, "seq"), 2);
    body = json_object_get(j, "body");
    assert_int_equal(json_object_size(body), 1);
    assert_string_equal(s_str(body, "name_en"), "AQVTC");
    json_decref(j);
    s_run_free(&r);

    /* A key in Chinese too, and a record of another kind. */
    S_EXPECT(0, "--dir", d, "put", "major", "机电一体化", "level=higher");

    /* del, then the record is gone. */
    S_RUN(&r, "--dir", d, "del", "member", "profile");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "del member profile seq=4 root=", 30) == 0);
    s_run_free(&r);
    S_RUN(&r, "--dir", d, "get", "member", "profile");
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "no record member profile"));
    s_run_free(&r);
    S_RUN(&r, "--dir", d, "del", "member", "profile");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no such record"));
    s_run_free(&r);
    S_EXPECT(1, "--dir", d, "get", "major", "机电一体化", "--author", "nobody");
    S_EXPECT(0, "--dir", d, "get", "major", "机电一体化", "--author", "aqvtc");

    /* log, for humans. */
    char *lines[8];
    S_RUN(&r, "--dir", d, "log");
    assert_int_equal(r.status, 0);
    assert_int_equal(s_lines(r.out, lines, 8), 4);
    assert_true(strncmp(lines[0], "1  ", 3) == 0);
    assert_non_null(strstr(lines[0], "Z  put  member  profile  {"));
    assert_non_null(strstr(lines[0], "\"name_zh\":\"" S_NAME_ZH "\""));
    assert_non_null(strstr(lines[0], "\"region_code\":340803"));
    assert_non_null(strstr(lines[2], "  put  major  机电一体化  {"));
    assert_true(strncmp(lines[3], "4  ", 3) == 0);
    assert_non_null(strstr(lines[3], "  del  member  profile"));
    assert_null(strchr(lines[3], '{'));
    s_run_free(&r);

    /* log --json: one object per line, the leaf hash of the exact stored
     * bytes. */
    store_t *store = NULL;
    store_opts_t opts = {0};
    assert_int_equal(store_open(d, &opts, &store), 0);
    S_RUN(&r, "--dir", d, "log", "--json");
    assert_int_equal(r.status, 0);
    assert_int_equal(s_lines(r.out, lines, 8), 4);
    for (size_t i = 0; i < 4; i++) {
        j = s_json(lines[i]);
        assert_string_equal(s_str(j, "author"), "aqvtc");
        assert_int_equal(s_int(j, "seq"), (json_int_t)i + 1);
        assert_true(s_int(j, "time_ms") > 1700000000000LL);
        assert_int_equal(strlen(s_str(j, "time")), 24);
        assert_string_equal(s_str(j, "op"), i == 3 ? "del" : "put");
        assert_string_equal(s_str(j, "kind"), i == 2 ? "major" : "member");
        assert_true(i == 3 ? json_is_null(json_object_get(j, "body"))
                           : json_is_object(json_object_get(j, "body")));
        proto_buf_t entry;
        uint8_t leaf[PROTO_HASH_LEN];
        char leaf_hex[65];
        proto_buf_init(&entry);
        assert_int_equal(store_entry_get(store, "aqvtc", i + 1, &entry), 0);
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, entry.data, entry.len, leaf);
        proto_hex(leaf, sizeof leaf, leaf_hex);
        assert_string_equal(s_str(j, "leaf"), leaf_hex);
        proto_buf_release(&entry);
        json_decref(j);
    }
    s_run_free(&r);
    store_destroy(&store);

    S_RUN(&r, "--dir", d, "log", "--from", "3", "--json");
    assert_int_equal(r.status, 0);
    assert_int_equal(s_lines(r.out, lines, 8), 2);
    j = s_json(lines[0]);
    assert_int_equal(s_int(j, "seq"), 3);
    json_decref(j);
    s_run_free(&r);
    S_EXPECT(1, "--dir", d, "log", "--author", "nobody");

    /* verify */
    S_RUN(&r, "--dir", d, "verify");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "ok: 4 entries, 4 checkpoints, ", 30) == 0);
    s_run_free(&r);
    S_RUN(&r, "verify", "--dir", d, "--json", "--author", "aqvtc");
    assert_int_equal(r.status, 0);
    j = s_json(r.out);
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_string_equal(s_str(j, "status"), "ok");
    assert_int_equal(s_int(j, "entries"), 4);
    assert_int_equal(s_int(j, "checkpoints"), 4);
    json_decref(j);
    s_run_free(&r);
    S_RUN(&r, "verify", "--dir", d, "--quiet");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, 0);
    s_run_free(&r);

    s_assert_no_secret(st);
}

/* init never replaces a store or a key. */
static void
test_init_twice(void **state)
{
    s_state_t *st = *state;
    uint8_t before[PROTO_SECKEY_LEN], after[PROTO_SECKEY_LEN];
    s_run_t r;
    s_init(st);
    s_read_key(st->dir, before);
    S_RUN(&r, "--dir", st->dir, "init", "--id", "other", "--name", "x");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "already exists"));
    assert_int_equal(r.out_len, 0);
    s_run_free(&r);
    s_read_key(st->dir, after);
    assert_memory_equal(before, after, sizeof before);
    S_RUN(&r, "--dir", st->dir, "whoami", "--json");
    assert_int_equal(r.status, 0);
    json_t *j = s_json(r.out);
    assert_string_equal(s_str(j, "id"), "aqvtc");
    json_decref(j);
    s_run_free(&r);

    /* A folder with a key but no store: the key is kept too. */
    char dir2[160], path[200];
    snprintf(dir2, sizeof dir2, "%s/keyonly", st->root);
    snprintf(path, sizeof path, "%s/node.key", dir2);
    assert_int_equal(mkdir(dir2, 0700), 0);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(before, 1, sizeof before, f), sizeof before);
    fclose(f);
    S_RUN(&r, "--dir", dir2, "init", "--id", "other", "--name", "x");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "node.key already exists"));
    s_run_free(&r);
    s_read_key(dir2, after);
    assert_memory_equal(before, after, sizeof before);
    char data[200];
    snprintf(data, sizeof data, "%s/data.mdb", dir2);
    struct stat sb;
    assert_int_equal(stat(data, &sb), -1);

    s_assert_no_secret(st);

    /* A store whose key was lost: no new key is made for it. */
    snprintf(path, sizeof path, "%s/node.key", st->dir);
    assert_int_equal(unlink(path), 0);
    S_RUN(&r, "--dir", st->dir, "init", "--id", "aqvtc", "--name", "x");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "a store already exists"));
    s_run_free(&r);
    assert_int_equal(stat(path, &sb), -1);
    char pk_hex[65];
    proto_hex(before + 32, 32, pk_hex);
    S_RUN(&r, "--dir", st->dir, "whoami", "--json");
    assert_int_equal(r.status, 0);
    j = s_json(r.out);
    assert_string_equal(s_str(j, "name"), S_NAME_ZH);
    assert_string_equal(s_str(j, "pubkey"), pk_hex);
    json_decref(j);
    s_run_free(&r);
}

/* A key file others can read is refused (exit 3) and nothing is
 * written. */
static void
test_key_unsafe(void **state)
{
    s_state_t *st = *state;
    char path[200];
    s_run_t r;
    s_init(st);
    snprintf(path, sizeof path, "%s/node.key", st->dir);
    assert_int_equal(chmod(path, 0644), 0);
    S_RUN(&r, "--dir", st->dir, "put", "member", "profile", "a=1");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "node.key"));
    s_run_free(&r);
    assert_int_equal(chmod(path, 0600), 0);
    S_RUN(&r, "--dir", st->dir, "put", "member", "profile", "a=1");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "seq=1 "));
    s_run_free(&r);
    s_assert_no_secret(st);
}

/* A record the store refuses (too large an entry) exits 1 and leaves
 * the log as it was. */
static void
test_refused(void **state)
{
    s_state_t *st = *state;
    enum { FIELDS = 17, LEN = 4000 };
    static char args[FIELDS][LEN + 8];
    const char *argv[6 + FIELDS + 1] = {VOCFED_BINARY, "--dir",  st->dir,
                                        "put",         "member", "profile"};
    s_run_t r;
    s_init(st);
    for (int i = 0; i < FIELDS; i++) {
        int n = snprintf(args[i], sizeof args[i], "f%c=", 'a' + i);
        memset(args[i] + n, 'v', LEN);
        args[i][n + LEN] = '\0';
        argv[6 + i] = args[i];
    }
    argv[6 + FIELDS] = NULL;
    s_exec(&r, NULL, argv);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "put member profile refused"));
    assert_int_equal(r.out_len, 0);
    s_run_free(&r);
    S_RUN(&r, "--dir", st->dir, "verify");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "ok: 0 entries", 13) == 0);
    s_run_free(&r);
}

/* Damage on disk: verify names it (exit 1), log shows it and goes on. */
static void
test_tamper(void **state)
{
    s_state_t *st = *state;
    const char *d = st->dir;
    s_run_t r;
    s_init(st);
    S_EXPECT(0, "--dir", d, "put", "student", "s1", "level=higher");
    S_EXPECT(0, "--dir", d, "put", "student", "s2", "level=secondary");
    S_EXPECT(0, "--dir", d, "put", "student", "s3", "level=higher");
    S_EXPECT(0, "--dir", d, "verify");

    store_t *store = NULL;
    store_opts_t opts = {0};
    static const uint8_t junk[] = {0xc1, 0x00, 0xff};
    assert_int_equal(store_open(d, &opts, &store), 0);
    assert_int_equal(store_raw_put(store, STORE_RAW_ENTRY, "aqvtc", 2, NULL, 0,
                                   junk, sizeof junk),
                     0);
    store_destroy(&store);

    S_RUN(&r, "--dir", d, "verify");
    assert_int_equal(r.status, 1);
    assert_true(strncmp(r.out, "FAILED: author=aqvtc seq=2: ", 28) == 0);
    s_run_free(&r);
    S_RUN(&r, "--dir", d, "verify", "--json");
    assert_int_equal(r.status, 1);
    json_t *j = s_json(r.out);
    assert_true(json_is_false(json_object_get(j, "ok")));
    assert_string_equal(s_str(j, "author"), "aqvtc");
    assert_int_equal(s_int(j, "seq"), 2);
    assert_string_not_equal(s_str(j, "status"), "ok");
    assert_true(strlen(s_str(j, "what")) > 0);
    json_decref(j);
    s_run_free(&r);
    S_RUN(&r, "--dir", d, "verify", "--quiet");
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out_len, 0);
    s_run_free(&r);

    char *lines[8];
    S_RUN(&r, "--dir", d, "log");
    assert_int_equal(r.status, 1);
    assert_int_equal(s_lines(r.out, lines, 8), 3);
    assert_true(strncmp(lines[0], "1  ", 3) == 0);
    assert_true(strncmp(lines[1], "2  error: ", 10) == 0);
    assert_true(strncmp(lines[2], "3  ", 3) == 0);
    assert_non_null(strstr(r.err, "could not be read"));
    s_run_free(&r);
    S_RUN(&r, "--dir", d, "log", "--json");
    assert_int_equal(r.status, 1);
    assert_int_equal(s_lines(r.out, lines, 8), 3);
    j = s_json(lines[1]);
    assert_int_equal(s_int(j, "seq"), 2);
    assert_string_equal(s_str(j, "status"), "malformed");
    json_decref(j);
    j = s_json(lines[2]);
    assert_string_equal(s_str(j, "key"), "s3");
    json_decref(j);
    s_run_free(&r);
    s_assert_no_secret(st);
}

/* A tiny initial map must grow, never fail (DESIGN 4). */
static void
test_map_growth(void **state)
{
    s_state_t *st = *state;
    const char *d = st->dir;
    const char *const *env = S_ENV("VOCFED_MAP_SIZE=65536");
    char value[220], key[16];
    s_run_t r;
    memset(value, 0, sizeof value);
    memcpy(value, "note=", 5);
    memset(value + 5, 'x', 200);
    s_exec(&r, env, S_ARGV("--dir", d, "init", "--id", "aqvtc", "--name", "n"));
    assert_int_equal(r.status, 0);
    s_run_free(&r);
    bool grown = false;
    for (int i = 1; i <= 300; i++) {
        snprintf(key, sizeof key, "k%d", i);
        s_exec(&r, env, S_ARGV("--dir", d, "put", "staff", key, value));
        if (r.status != 0)
            print_error("put %d: %s", i, r.err);
        assert_int_equal(r.status, 0);
        /* Exactly the one result line: no log line slipped into stdout. */
        char want[64];
        int n =
            snprintf(want, sizeof want, "put staff %s seq=%d root=", key, i);
        assert_true(strncmp(r.out, want, (size_t)n) == 0);
        assert_int_equal(r.out_len, (size_t)n + 64 + 1);
        /* The store says so (on stderr) when it grows the map: proof
         * that VOCFED_MAP_SIZE was used (the default would not fill). */
        grown = grown || strstr(r.err, "map grown");
        s_run_free(&r);
    }
    assert_true(grown);
    char data[200];
    struct stat sb;
    snprintf(data, sizeof data, "%s/data.mdb", d);
    assert_int_equal(stat(data, &sb), 0);
    assert_true(sb.st_size > 65536);

    s_exec(&r, env, S_ARGV("--dir", d, "verify"));
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out,
                        "ok: 300 entries, 300 checkpoints, 300 "
                        "records",
                        38) == 0);
    s_run_free(&r);
    s_exec(&r, env, S_ARGV("--dir", d, "get", "staff", "k300"));
    assert_int_equal(r.status, 0);
    json_t *j = s_json(r.out);
    assert_int_equal(strlen(s_str(json_object_get(j, "body"), "note")), 200);
    json_decref(j);
    s_run_free(&r);
    s_assert_no_secret(st);
}

/* The pubkey a node's whoami --json prints. */
static void
s_pubkey(const char *dir, char out[65])
{
    s_run_t r;
    S_RUN(&r, "--dir", dir, "whoami", "--json");
    assert_int_equal(r.status, 0);
    json_t *j = s_json(r.out);
    assert_true(s_is_hex(s_str(j, "pubkey"), 64));
    snprintf(out, 65, "%s", s_str(j, "pubkey"));
    json_decref(j);
    s_run_free(&r);
}

/* Terminal columns of [s, end): two for each 3-byte UTF-8 character
 * (the CJK names of the tests), one for ASCII. */
static size_t
s_cols(const char *s, const char *end)
{
    size_t cols = 0;
    assert_non_null(end);
    for (const unsigned char *p = (const unsigned char *)s;
         p < (const unsigned char *)end; p++) {
        if (*p < 0x80)
            cols++;
        else if (*p >= 0xe0 && *p < 0xf0)
            cols += 2;
    }
    return cols;
}

/* members list --json, parsed: an array whose i-th element is returned
 * (NULL past the end); *n receives its size. The caller json_decrefs
 * *all. */
static json_t *
s_members_json(const char *dir, json_t **all, size_t *n)
{
    s_run_t r;
    json_error_t e;
    S_RUN(&r, "--dir", dir, "members", "list", "--json");
    if (r.status != 0)
        print_error("%s", r.err);
    assert_int_equal(r.status, 0);
    *all = json_loads(r.out, 0, &e);
    if (!*all)
        print_error("bad JSON (%s): %s\n", e.text, r.out);
    assert_non_null(*all);
    assert_true(json_is_array(*all));
    *n = json_array_size(*all);
    s_run_free(&r);
    return json_array_get(*all, 0);
}

/* init --coordinator, init of a member that names it, and the roster:
 * add, list, suspend, activate, revoke; members on a member node. */
static void
test_members(void **state)
{
    s_state_t *st = *state;
    const char *c = st->dir; /* the coordinator */
    char m[160], m2[160], coord_pk[65], member_pk[65], other_pk[65];
    s_run_t r;
    json_t *all, *j;
    size_t n;
    node_config_t cfg;
    snprintf(m, sizeof m, "%s/member", st->root);
    snprintf(m2, sizeof m2, "%s/member2", st->root);

    S_EXPECT(0, "--dir", c, "init", "--coordinator", "--id", "anqing", "--name",
             "安庆市职业教育集团", "--listen", "tcp://127.0.0.1:7700");
    S_RUN(&r, "--dir", c, "whoami", "--json");
    j = s_json(r.out);
    assert_string_equal(s_str(j, "role"), "coordinator");
    json_decref(j);
    s_run_free(&r);
    s_pubkey(c, coord_pk);
    assert_int_equal(node_config_load(c, &cfg), 0);
    assert_string_equal(cfg.listen, "tcp://127.0.0.1:7700");
    assert_string_equal(cfg.coordinator, "");
    char cfg_path[200];
    struct stat sb;
    snprintf(cfg_path, sizeof cfg_path, "%s/vocfed.cfg", c);
    assert_int_equal(stat(cfg_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* A member that knows its coordinator (the key in upper case is the
     * same key). */
    char upper[65];
    snprintf(upper, sizeof upper, "%s", coord_pk);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    S_EXPECT(0, "--dir", m, "init", "--id", "aqvtc", "--name", S_NAME_ZH,
             "--role", "school", "--coordinator", "tcp://127.0.0.1:7700",
             "--coordinator-key", upper, "--coordinator-id", "anqing");
    assert_int_equal(node_config_load(m, &cfg), 0);
    assert_string_equal(cfg.coordinator, "tcp://127.0.0.1:7700");
    assert_string_equal(cfg.coordinator_key, coord_pk);
    assert_string_equal(cfg.coordinator_id, "anqing");
    assert_string_equal(cfg.listen, "");
    s_pubkey(m, member_pk);
    /* A member with no settings has no settings file; "=" works too. */
    S_EXPECT(0, "--dir", m2, "init", "--id", "tlxx", "--name", "n");
    snprintf(cfg_path, sizeof cfg_path, "%s/vocfed.cfg", m2);
    assert_int_equal(stat(cfg_path, &sb), -1);
    s_pubkey(m2, other_pk);

    /* An empty roster. */
    assert_null(s_members_json(c, &all, &n));
    assert_int_equal(n, 0);
    json_decref(all);

    S_RUN(&r, "--dir", c, "members", "add", "aqvtc", member_pk, "--name",
          S_NAME_ZH, "--role", "school");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "added aqvtc seq=1\n");
    s_run_free(&r);
    S_RUN(&r, "--dir", c, "members", "add", "aqvtc", member_pk);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "already on the roster"));
    assert_int_equal(r.out_len, 0);
    s_run_free(&r);
    /* One key, one member; the coordinator's own id and key. */
    S_RUN(&r, "--dir", c, "members", "add", "copy", member_pk);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "member aqvtc's already"));
    s_run_free(&r);
    S_RUN(&r, "--dir", c, "members", "add", "anqing", other_pk);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "own id"));
    s_run_free(&r);
    S_RUN(&r, "--dir", c, "members", "add", "self", coord_pk);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "coordinator's own"));
    s_run_free(&r);

    S_RUN(&r, "--dir", c, "members", "add", "tlxx", other_pk, "--json");
    assert_int_equal(r.status, 0);
    j = s_json(r.out);
    assert_string_equal(s_str(j, "id"), "tlxx");
    assert_string_equal(s_str(j, "status"), "active");
    assert_string_equal(s_str(j, "role"), "member");
    assert_string_equal(s_str(j, "name"), "");
    assert_int_equal(s_int(j, "seq"), 2);
    json_decref(j);
    s_run_free(&r);

    j = s_members_json(c, &all, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s_str(j, "id"), "aqvtc");
    assert_string_equal(s_str(j, "pubkey"), member_pk);
    assert_string_equal(s_str(j, "name"), S_NAME_ZH);
    assert_string_equal(s_str(j, "role"), "school");
    assert_string_equal(s_str(j, "status"), "active");
    assert_int_equal(s_int(j, "seq"), 1);
    assert_int_equal(json_object_size(j), 6);
    j = json_array_get(all, 1);
    assert_string_equal(s_str(j, "id"), "tlxx");
    assert_string_equal(s_str(j, "pubkey"), other_pk);
    json_decref(all);

    /* The table. */
    char *lines[8];
    S_RUN(&r, "--dir", c, "members", "list");
    assert_int_equal(r.status, 0);
    assert_int_equal(s_lines(r.out, lines, 8), 3);
    assert_true(strncmp(lines[0], "id ", 3) == 0);
    assert_non_null(strstr(lines[0], "status"));
    assert_non_null(strstr(lines[0], "pubkey"));
    assert_true(strncmp(lines[1], "aqvtc  active ", 14) == 0);
    assert_non_null(strstr(lines[1], " school "));
    assert_non_null(strstr(lines[1], S_NAME_ZH));
    assert_non_null(strstr(lines[1], member_pk));
    assert_true(strncmp(lines[2], "tlxx ", 5) == 0);
    assert_non_null(strstr(lines[2], other_pk));
    /* The columns line up on a terminal, Chinese names included. */
    assert_int_equal(s_cols(lines[0], strstr(lines[0], "pubkey")),
                     s_cols(lines[1], strstr(lines[1], member_pk)));
    assert_int_equal(s_cols(lines[1], strstr(lines[1], member_pk)),
                     s_cols(lines[2], strstr(lines[2], other_pk)));
    s_run_free(&r);

    /* suspend, activate, revoke; revoked is final. */
    S_RUN(&r, "--dir", c, "members", "suspend", "aqvtc");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "suspended aqvtc seq=3\n");
    s_run_free(&r);
    j = s_members_json(c, &all, &n);
    assert_string_equal(s_str(j, "status"), "suspended");
    assert_int_equal(s_int(j, "seq"), 3);
    assert_string_equal(s_str(j, "name"), S_NAME_ZH);
    assert_string_equal(s_str(j, "pubkey"), member_pk);
    json_decref(all);
    S_RUN(&r, "--dir", c, "members", "activate", "aqvtc");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "activated aqvtc seq=4\n");
    s_run_free(&r);
    S_RUN(&r, "--dir", c, "members", "revoke", "aqvtc", "--json");
    assert_int_equal(r.status, 0);
    j = s_json(r.out);
    assert_string_equal(s_str(j, "status"), "revoked");
    assert_int_equal(s_int(j, "seq"), 5);
    json_decref(j);
    s_run_free(&r);
    const char *after_revoke[] = {"revoke", "suspend", "activate"};
    for (size_t i = 0; i < 3; i++) {
        S_RUN(&r, "--dir", c, "members", after_revoke[i], "aqvtc");
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "revoked is final"));
        s_run_free(&r);
    }
    j = s_members_json(c, &all, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s_str(j, "status"), "revoked");
    assert_int_equal(s_int(j, "seq"), 5);
    assert_string_equal(s_str(json_array_get(all, 1), "status"), "active");
    json_decref(all);
    S_RUN(&r, "--dir", c, "members", "suspend", "nobody");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no member nobody"));
    s_run_free(&r);

    /* Bad command lines. */
    S_EXPECT(2, "--dir", c, "members");
    S_EXPECT(2, "--dir", c, "members", "frob");
    S_EXPECT(2, "--dir", c, "members", "add", "x");
    S_EXPECT(2, "--dir", c, "members", "add", "x", other_pk, "extra");
    S_EXPECT(2, "--dir", c, "members", "add", "Bad!", other_pk);
    S_EXPECT(2, "--dir", c, "members", "add", "x", "abcd");
    S_EXPECT(2, "--dir", c, "members", "add", "x",
             "000000000000000000000000000000000000000000000000000000000000000"
             "0");
    S_EXPECT(2, "--dir", c, "members", "add", "x", other_pk, "--role", "king");
    S_EXPECT(2, "--dir", c, "members", "add", "x", other_pk, "--name",
             "tab\there");
    S_EXPECT(2, "--dir", c, "members", "list", "extra");
    S_EXPECT(2, "--dir", c, "members", "list", "--name", "x");
    S_EXPECT(2, "--dir", c, "members", "suspend");
    S_EXPECT(2, "--dir", c, "members", "revoke", "a", "b");

    /* The roster log verifies, and every entry is the coordinator's. */
    S_RUN(&r, "--dir", c, "verify");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "ok: 5 entries, 5 checkpoints, 2 records", 39) ==
                0);
    s_run_free(&r);

    /* members on a member node: a usage error, and nothing written. */
    const char *const *on_member[] = {
        S_ARGV("--dir", m, "members", "list"),
        S_ARGV("--dir", m, "members", "list", "--json"),
        S_ARGV("--dir", m, "members", "add", "tlxx", other_pk),
        S_ARGV("--dir", m, "members", "revoke", "tlxx"),
    };
    for (size_t i = 0; i < sizeof on_member / sizeof on_member[0]; i++) {
        s_exec(&r, NULL, on_member[i]);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "not the coordinator"));
        assert_int_equal(r.out_len, 0);
        s_run_free(&r);
    }
    S_RUN(&r, "--dir", m, "verify");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "ok: 0 entries", 13) == 0);
    s_run_free(&r);

    s_assert_no_secret(st);
}

/* init's settings options: each mistake is a usage error that makes
 * nothing; a refused init leaves the settings file alone. */
static void
test_init_settings(void **state)
{
    s_state_t *st = *state;
    const char *d = st->dir;
    char pk[65], other[160], cfg_path[200];
    struct stat sb;
    s_run_t r;
    node_config_t cfg;
    snprintf(other, sizeof other, "%s/other", st->root);
    S_EXPECT(0, "--dir", other, "init", "--id", "c", "--name", "c");
    s_pubkey(other, pk);

    S_EXPECT(2, "--dir", d, "init", "--coordinator", "--id", "c", "--name", "c",
             "--role", "school");
    S_EXPECT(2, "--dir", d, "init", "--coordinator", "--id", "c", "--name", "c",
             "--coordinator-key", pk);
    S_EXPECT(2, "--dir", d, "init", "--coordinator", "--id", "c", "--name", "c",
             "--coordinator", "tcp://h:1");
    S_EXPECT(2, "--dir", d, "init", "--role", "coordinator", "--id", "c",
             "--name", "c", "--coordinator", "tcp://h:1", "--coordinator-key",
             pk);
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m", "--listen",
             "tcp://*:1");
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m", "--coordinator",
             "tcp://h:1");
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m",
             "--coordinator-key", pk);
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m",
             "--coordinator-id", "c");
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m", "--coordinator",
             "tcp://h:1", "--coordinator-key", "abcd");
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m", "--coordinator",
             "tcp://h:1", "--coordinator-key",
             "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
             "ff");
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m", "--coordinator",
             "tcp://h:1", "--coordinator-key", pk, "--coordinator-id", "Bad");
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m", "--coordinator",
             "h:1", "--coordinator-key", pk);
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m",
             "--coordinator=", "--coordinator-key", pk);
    S_EXPECT(2, "--dir", d, "init", "--coordinator", "--id", "c", "--name", "c",
             "--listen", "tcp://a b:1");
    S_RUN(&r, "--dir", d, "init", "--id", "m", "--name", "m", "--listen",
          "tcp://*:1");
    assert_non_null(strstr(r.err, "--listen is for a coordinator"));
    s_run_free(&r);
    assert_int_equal(stat(d, &sb), -1);

    /* --role coordinator is --coordinator. */
    S_EXPECT(0, "--dir", d, "init", "--role", "coordinator", "--id", "c",
             "--name", "c", "--listen", "tcp://*:7700");
    S_EXPECT(0, "--dir", d, "members", "list");

    /* A refused init (a store is there) does not touch vocfed.cfg. */
    snprintf(cfg_path, sizeof cfg_path, "%s/vocfed.cfg", other);
    assert_int_equal(stat(cfg_path, &sb), -1);
    S_EXPECT(3, "--dir", other, "init", "--id", "m", "--name", "m",
             "--coordinator", "tcp://h:1", "--coordinator-key", pk);
    assert_int_equal(stat(cfg_path, &sb), -1);

    /* A settings file init cannot read: nothing is made. */
    char broken[160], path[200];
    snprintf(broken, sizeof broken, "%s/broken", st->root);
    assert_int_equal(mkdir(broken, 0700), 0);
    snprintf(cfg_path, sizeof cfg_path, "%s/vocfed.cfg", broken);
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    fputs("node\n    coordinator = \"unterminated\n", f);
    fclose(f);
    S_RUN(&r, "--dir", broken, "init", "--id", "m", "--name", "m",
          "--coordinator", "tcp://h:1", "--coordinator-key", pk);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "vocfed.cfg"));
    s_run_free(&r);
    snprintf(path, sizeof path, "%s/node.key", broken);
    assert_int_equal(stat(path, &sb), -1);
    snprintf(path, sizeof path, "%s/data.mdb", broken);
    assert_int_equal(stat(path, &sb), -1);

    /* Settings already in a new node's folder that no option names are
     * kept; the ones named are replaced. */
    char fresh[160];
    snprintf(fresh, sizeof fresh, "%s/fresh", st->root);
    assert_int_equal(mkdir(fresh, 0700), 0);
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "tcp://*:9");
    snprintf(cfg.coordinator, sizeof cfg.coordinator, "tcp://old:1");
    snprintf(cfg.coordinator_id, sizeof cfg.coordinator_id, "old");
    assert_int_equal(node_config_save(fresh, &cfg), 0);
    S_EXPECT(0, "--dir", fresh, "init", "--id", "m", "--name", "m",
             "--coordinator=tcp://new:2", "--coordinator-key", pk);
    assert_int_equal(node_config_load(fresh, &cfg), 0);
    assert_string_equal(cfg.coordinator, "tcp://new:2");
    assert_string_equal(cfg.coordinator_key, pk);
    assert_string_equal(cfg.coordinator_id, "");
    assert_string_equal(cfg.listen, "tcp://*:9");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_help, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_store_missing, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_store_version, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_flow, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_init_twice, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_key_unsafe, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tamper, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_map_growth, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_members, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_init_settings, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
