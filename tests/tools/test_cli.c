/* Tests of the vocfed command: runs the real binary (VOCFED_BINARY) in a
 * temporary folder and checks exit codes, stdout and stderr. */
#include "node/config.h"
#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/merkle.h"
#include "storage/store.h"
#include "tests/harness.h"

#include <errno.h>
#include <fcntl.h>
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

#define S_NAME_ZH "安庆职业技术学院"
/* A record every member may put: KIND KEY FIELD=VALUE... */
#define S_MAJOR                                                                \
    "major", "460104", "name=机电一体化技术", "level=higher", "status=active"
/* The entries `init --coordinator` starts the coordinator's log with
 * (node/seed.c, SPEC 11.5). */
#define S_SEED 30

/* Per-test state. */
typedef struct {
    char root[64];        /* mkdtemp folder, removed afterwards */
    char dir[128];        /* the store folder: root/a/b/node (not made) */
    th_text_t transcript; /* every byte any run printed */
} s_state_t;

static s_state_t *s_st; /* the running test's state */

/* Runs VOCFED_BINARY with argv in the test's folder (so that a bug
 * that ignores --dir leaves no ./vocfed-data anywhere else), keeping
 * what it prints in the test's transcript. */
static void
s_exec(th_run_t *r, const char *const *env, const char *const *argv)
{
    th_exec(r, s_st ? s_st->root : NULL, env, argv,
            s_st ? &s_st->transcript : NULL);
}

#define S_ARGV(...) ((const char *const[]){VOCFED_BINARY, __VA_ARGS__, NULL})
#define S_ENV(...) ((const char *const[]){__VA_ARGS__, NULL})
/* Runs vocfed ARGS... with no extra environment. */
#define S_RUN(r, ...) s_exec((r), NULL, S_ARGV(__VA_ARGS__))
/* Runs vocfed ARGS... and checks its exit code. */
#define S_EXPECT(code, ...)                                                    \
    do {                                                                       \
        th_run_t r_;                                                           \
        S_RUN(&r_, __VA_ARGS__);                                               \
        if (r_.status != (code))                                               \
            print_error("stdout: %s\nstderr: %s\n", r_.out, r_.err);           \
        assert_int_equal(r_.status, (code));                                   \
        th_run_free(&r_);                                                      \
    } while (0)

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    th_tmpdir(st->root);
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
    th_rmdir(st->root);
    th_text_free(&st->transcript);
    free(st);
    s_st = NULL;
    return 0;
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
    assert_true(st->transcript.len > 0);
    assert_false(s_contains(st->transcript.data, st->transcript.len, sk, 32));
    assert_false(s_contains(st->transcript.data, st->transcript.len, hex, 64));
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_false(s_contains(st->transcript.data, st->transcript.len, hex, 64));
}

static void
s_init(const s_state_t *st)
{
    S_EXPECT(0, "--dir", st->dir, "init", "--id", "aqvtc", "--name", S_NAME_ZH,
             "--role", "school");
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
    th_run_t r;
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
        th_run_free(&r);
    }
    S_RUN(&r, "--version");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "vocfed ", 7) == 0);
    th_run_free(&r);

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
        th_run_free(&r);
        S_RUN(&r, "help", s_commands[i]);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, first);
        free(first);
        th_run_free(&r);
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
    th_run_t r;

    S_RUN(&r, "frobnicate");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
    assert_non_null(strstr(r.err, "vocfed --help"));
    assert_int_equal(r.out_len, 0);
    th_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "member", "profile", "name_zh");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "'name_zh'"));
    assert_non_null(strstr(r.err, "FIELD=VALUE"));
    assert_non_null(strstr(r.err, "vocfed put --help"));
    th_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "member", "profile", "name_zh=1",
          "role=school", "name_zh=3");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "field 'name_zh' is given twice"));
    th_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "Member", "profile", "name_zh=x");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "kind 'Member'"));
    th_run_free(&r);

    /* A kind not in the kinds table: the message lists them. */
    S_RUN(&r, "--dir", d, "put", "pupil", "x", "level=higher");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown kind 'pupil'"));
    assert_non_null(strstr(r.err, "student"));
    assert_non_null(strstr(r.err, "subsidy_rule"));
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "put", "member_key", "x", "status=active");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "vocfed members"));
    th_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "member", "profile", "--bogus", "name_zh=x");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown option '--bogus'"));
    th_run_free(&r);

    S_RUN(&r, "--dir", d, "put", "member", "profile", "Bad=1");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "field name 'Bad'"));
    th_run_free(&r);

    s_exec(&r, NULL, (const char *const[]){VOCFED_BINARY, NULL});
    assert_int_equal(r.status, 2); /* no command */
    assert_non_null(strstr(r.err, "no command"));
    th_run_free(&r);
    S_EXPECT(2, "--dir", d, "put", "member", "profile", "name_zh=x", "--dir=");
    S_EXPECT(2, "--bogus", "whoami"); /* unknown global option */
    S_EXPECT(2, "--dir");             /* option without its value */
    S_EXPECT(2, "help", "frobnicate");
    S_EXPECT(2, "--dir", d, "put", "member");
    S_EXPECT(2, "--dir", d, "put", "member", "bad\tkey", "name_zh=x");
    S_EXPECT(2, "--dir", d, "del", "member", "profile", "name_zh=x");
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
    th_run_free(&r);

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
        S_ARGV("--dir", d, "put", S_MAJOR),
        S_ARGV("--dir", d, "del", "member", "profile"),
        S_ARGV("--dir", d, "get", "member", "profile"),
        S_ARGV("--dir", d, "log"),
        S_ARGV("--dir", d, "verify"),
        S_ARGV("--dir", d, "members", "list"),
        S_ARGV("--dir", st->root, "verify"), /* a folder, but no store */
        S_ARGV("whoami"), /* ./vocfed-data in the test's folder */
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        th_run_t r;
        s_exec(&r, NULL, runs[i]);
        assert_int_equal(r.status, 3);
        assert_non_null(strstr(r.err, "cannot open store"));
        assert_non_null(strstr(r.err, "run 'vocfed init' first"));
        assert_int_equal(r.out_len, 0);
        th_run_free(&r);
    }
    th_run_t r;
    S_RUN(&r, "log");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "store ./vocfed-data: not found"));
    th_run_free(&r);
}

/* A store of another format version is left alone (exit 3), and the
 * message says which version was found. */
static void
test_store_version(void **state)
{
    s_state_t *st = *state;
    th_run_t r;
    s_init(st);
    /* The store refuses to write its own version: go below it, as
     * tests/storage does. */
    th_lmdb_put(st->dir, "meta", "format_version", sizeof "format_version" - 1,
                "2", 1);

    S_RUN(&r, "--dir", st->dir, "whoami");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "found version 2"));
    assert_non_null(strstr(r.err, "supports version 1"));
    th_run_free(&r);
    S_RUN(&r, "--dir", st->dir, "init", "--id", "aqvtc", "--name", "x");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "already exists"));
    th_run_free(&r);
    S_EXPECT(3, "--dir", st->dir, "verify");
    S_EXPECT(3, "--dir", st->dir, "put", S_MAJOR);
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
    th_run_t r;
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
    th_run_free(&r);

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
    j = th_json(r.out);
    assert_string_equal(s_str(j, "id"), "aqvtc");
    assert_string_equal(s_str(j, "name"), S_NAME_ZH);
    assert_string_equal(s_str(j, "role"), "school");
    assert_string_equal(s_str(j, "pubkey"), pk_hex);
    json_decref(j);
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "whoami");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, S_NAME_ZH));
    assert_non_null(strstr(r.out, pk_hex));
    th_run_free(&r);

    /* put: each value read as its field's type (SPEC 11.2). */
    S_RUN(&r, "put", "member", "profile", "name_zh=" S_NAME_ZH, "role=school",
          "original_affiliation=安庆市人民政府", "region_code=340803",
          "unit_nature=事业单位", "parents=aqjk;aqgx",
          "funding_channel=", "--json", "--dir", d);
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_int_equal(s_int(j, "seq"), 1);
    assert_int_equal(s_int(j, "size"), 1);
    assert_true(s_is_hex(s_str(j, "root"), 64));
    json_decref(j);
    th_run_free(&r);

    s_exec(&r, S_ENV(envdir), S_ARGV("get", "member", "profile"));
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
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
    /* An empty value is an absent field. */
    assert_int_equal(json_object_size(body), 6);
    assert_string_equal(s_str(body, "name_zh"), S_NAME_ZH);
    assert_string_equal(s_str(body, "role"), "school");
    /* A region code is text: "340803", never the number. */
    assert_string_equal(s_str(body, "region_code"), "340803");
    assert_string_equal(s_str(body, "parents"), "aqjk;aqgx");
    assert_null(json_object_get(body, "funding_channel"));
    json_decref(j);
    th_run_free(&r);

    /* put again replaces the record whole. */
    S_RUN(&r, "--dir", d, "put", "member", "profile", "name_zh=" S_NAME_ZH,
          "name_en=AQVTC", "role=lead", "original_affiliation=安庆市",
          "region_code=340811");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "put member profile seq=2 root=", 30) == 0);
    assert_int_equal(r.out_len, 30 + 64 + 1);
    r.out[30 + 64] = '\0';
    assert_true(s_is_hex(r.out + 30, 64));
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "get", "member", "profile");
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_int_equal(s_int(j, "seq"), 2);
    body = json_object_get(j, "body");
    assert_int_equal(json_object_size(body), 5);
    assert_string_equal(s_str(body, "name_en"), "AQVTC");
    assert_string_equal(s_str(body, "role"), "lead");
    assert_null(json_object_get(body, "parents"));
    json_decref(j);
    th_run_free(&r);

    /* A key in Chinese too, and a record of another kind. */
    S_EXPECT(0, "--dir", d, "put", "major", "机电一体化", "name=机电一体化技术",
             "level=higher", "status=active");

    /* Integers and booleans are stored as such. */
    S_EXPECT(0, "--dir", d, "put", "training", "t2024-01", "type=upskilling",
             "year=2024", "completed=1200", "online=是");
    S_RUN(&r, "--dir", d, "get", "training", "t2024-01");
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    body = json_object_get(j, "body");
    assert_int_equal(s_int(body, "year"), 2024);
    assert_int_equal(s_int(body, "completed"), 1200);
    assert_true(json_is_true(json_object_get(body, "online")));
    assert_string_equal(s_str(body, "type"), "upskilling");
    json_decref(j);
    th_run_free(&r);

    /* del, then the record is gone. */
    S_RUN(&r, "--dir", d, "del", "member", "profile");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "del member profile seq=5 root=", 30) == 0);
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "get", "member", "profile");
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "no record member profile"));
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "del", "member", "profile");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no such record"));
    th_run_free(&r);
    S_EXPECT(1, "--dir", d, "get", "major", "机电一体化", "--author", "nobody");
    S_EXPECT(0, "--dir", d, "get", "major", "机电一体化", "--author", "aqvtc");

    /* log, for humans. */
    char *lines[8];
    S_RUN(&r, "--dir", d, "log");
    assert_int_equal(r.status, 0);
    assert_int_equal(s_lines(r.out, lines, 8), 5);
    assert_true(strncmp(lines[0], "1  ", 3) == 0);
    assert_non_null(strstr(lines[0], "Z  put  member  profile  {"));
    assert_non_null(strstr(lines[0], "\"name_zh\":\"" S_NAME_ZH "\""));
    assert_non_null(strstr(lines[0], "\"region_code\":\"340803\""));
    assert_non_null(strstr(lines[2], "  put  major  机电一体化  {"));
    assert_non_null(strstr(lines[3], "\"completed\":1200"));
    assert_true(strncmp(lines[4], "5  ", 3) == 0);
    assert_non_null(strstr(lines[4], "  del  member  profile"));
    assert_null(strchr(lines[4], '{'));
    th_run_free(&r);

    /* log --json: one object per line, the leaf hash of the exact stored
     * bytes. */
    store_t *store = NULL;
    store_opts_t opts = {0};
    assert_int_equal(store_open(d, &opts, &store), 0);
    S_RUN(&r, "--dir", d, "log", "--json");
    assert_int_equal(r.status, 0);
    assert_int_equal(s_lines(r.out, lines, 8), 5);
    static const char *const kinds[] = {"member", "member", "major", "training",
                                        "member"};
    for (size_t i = 0; i < 5; i++) {
        j = th_json(lines[i]);
        assert_string_equal(s_str(j, "author"), "aqvtc");
        assert_int_equal(s_int(j, "seq"), (json_int_t)i + 1);
        assert_true(s_int(j, "time_ms") > 1700000000000LL);
        assert_int_equal(strlen(s_str(j, "time")), 24);
        assert_string_equal(s_str(j, "op"), i == 4 ? "del" : "put");
        assert_string_equal(s_str(j, "kind"), kinds[i]);
        assert_true(i == 4 ? json_is_null(json_object_get(j, "body"))
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
    th_run_free(&r);
    store_destroy(&store);

    S_RUN(&r, "--dir", d, "log", "--from", "3", "--json");
    assert_int_equal(r.status, 0);
    assert_int_equal(s_lines(r.out, lines, 8), 3);
    j = th_json(lines[0]);
    assert_int_equal(s_int(j, "seq"), 3);
    json_decref(j);
    th_run_free(&r);
    S_EXPECT(1, "--dir", d, "log", "--author", "nobody");

    /* verify */
    S_RUN(&r, "--dir", d, "verify");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "ok: 5 entries, 5 checkpoints, ", 30) == 0);
    th_run_free(&r);
    S_RUN(&r, "verify", "--dir", d, "--json", "--author", "aqvtc");
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_string_equal(s_str(j, "status"), "ok");
    assert_int_equal(s_int(j, "entries"), 5);
    assert_int_equal(s_int(j, "checkpoints"), 5);
    json_decref(j);
    th_run_free(&r);
    S_RUN(&r, "verify", "--dir", d, "--quiet");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, 0);
    th_run_free(&r);
    /* -q is --quiet, as --help says (it was --figures's letter). */
    S_RUN(&r, "verify", "--dir", d, "-q");
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, 0);
    th_run_free(&r);

    s_assert_no_secret(st);
}

/* init never replaces a store or a key. */
static void
test_init_twice(void **state)
{
    s_state_t *st = *state;
    uint8_t before[PROTO_SECKEY_LEN], after[PROTO_SECKEY_LEN];
    th_run_t r;
    s_init(st);
    s_read_key(st->dir, before);
    S_RUN(&r, "--dir", st->dir, "init", "--id", "other", "--name", "x");
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "already exists"));
    assert_int_equal(r.out_len, 0);
    th_run_free(&r);
    s_read_key(st->dir, after);
    assert_memory_equal(before, after, sizeof before);
    S_RUN(&r, "--dir", st->dir, "whoami", "--json");
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    assert_string_equal(s_str(j, "id"), "aqvtc");
    json_decref(j);
    th_run_free(&r);

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
    th_run_free(&r);
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
    th_run_free(&r);
    assert_int_equal(stat(path, &sb), -1);
    char pk_hex[65];
    proto_hex(before + 32, 32, pk_hex);
    S_RUN(&r, "--dir", st->dir, "whoami", "--json");
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_string_equal(s_str(j, "name"), S_NAME_ZH);
    assert_string_equal(s_str(j, "pubkey"), pk_hex);
    json_decref(j);
    th_run_free(&r);
}

/* A key file others can read is refused (exit 3) and nothing is
 * written. */
static void
test_key_unsafe(void **state)
{
    s_state_t *st = *state;
    char path[200];
    th_run_t r;
    s_init(st);
    snprintf(path, sizeof path, "%s/node.key", st->dir);
    assert_int_equal(chmod(path, 0644), 0);
    S_RUN(&r, "--dir", st->dir, "put", S_MAJOR);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "node.key"));
    th_run_free(&r);
    assert_int_equal(chmod(path, 0600), 0);
    S_RUN(&r, "--dir", st->dir, "put", S_MAJOR);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "seq=1 "));
    th_run_free(&r);
    s_assert_no_secret(st);
}

/* A record the kinds table refuses (SPEC 11) exits 1, names the field,
 * the value and what is allowed, and leaves the log as it was. */
static void
test_refused(void **state)
{
    s_state_t *st = *state;
    const char *d = st->dir;
    static char long_name[4200];
    th_run_t r;
    s_init(st);

    /* A bad enumeration value: the allowed values are in the message. */
    S_RUN(&r, "--dir", d, "put", "major", "460104", "name=机电",
          "level=college", "status=active");
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out_len, 0);
    assert_non_null(strstr(r.err, "put major 460104 refused"));
    assert_non_null(strstr(r.err, "level"));
    assert_non_null(strstr(r.err, "'college'"));
    assert_non_null(strstr(r.err, "secondary, higher, undergraduate"));
    assert_non_null(strstr(r.err, "不是允许的取值"));
    th_run_free(&r);

    /* A field the kind does not have: its fields are listed. */
    S_RUN(&r, "--dir", d, "put", S_MAJOR, "colour=red");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "colour"));
    assert_non_null(strstr(r.err, "name, level, industries, status"));
    th_run_free(&r);

    /* A required field missing, a number out of range, a bad key, a
     * value too long. */
    S_RUN(&r, "--dir", d, "put", "major", "460104", "name=机电",
          "level=higher");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "status"));
    assert_non_null(strstr(r.err, "required"));
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "put", "posts", "2024", "authorised_posts=120",
          "self_hired_posts=-1");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "from 0 to 100000"));
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "put", "posts", "this-year", "authorised_posts=1",
          "self_hired_posts=0");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "key 'this-year'"));
    th_run_free(&r);
    S_EXPECT(1, "--dir", d, "put", "member", "main", "name_zh=x", "role=school",
             "original_affiliation=x", "region_code=340803");
    S_EXPECT(1, "--dir", d, "put", "member", "profile", "name_zh=x",
             "role=school", "original_affiliation=x", "region_code=3408");
    S_EXPECT(1, "--dir", d, "put", "training", "t1", "type=rural", "year=2024",
             "completed=007");
    memcpy(long_name, "name=", 5);
    memset(long_name + 5, 'x', 4097);
    S_EXPECT(1, "--dir", d, "put", "major", "460104", long_name, "level=higher",
             "status=active");

    /* The coordinator's kinds are not a member's to write. */
    S_RUN(&r, "--dir", d, "put", "target", "hv_enrolled:2027", "value=1");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "coordinator's"));
    th_run_free(&r);

    S_RUN(&r, "--dir", d, "verify");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "ok: 0 entries", 13) == 0);
    th_run_free(&r);

    /* The help lists the kinds, their keys and fields. */
    S_RUN(&r, "put", "--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\nKinds "));
    assert_non_null(strstr(r.out, "  graduate: pseudo_id:grad_year"));
    assert_non_null(strstr(r.out, "status*=enrolled|suspended"));
    assert_non_null(strstr(r.out, "  subsidy_rule: figure id"));
    assert_null(strstr(r.out, "member_key"));
    th_run_free(&r);
}

/* Damage on disk: verify names it (exit 1), log shows it and goes on. */
static void
test_tamper(void **state)
{
    s_state_t *st = *state;
    const char *d = st->dir;
    th_run_t r;
    s_init(st);
    S_EXPECT(0, "--dir", d, "put", "major", "s1", "name=a", "level=higher",
             "status=active");
    S_EXPECT(0, "--dir", d, "put", "major", "s2", "name=b", "level=secondary",
             "status=active");
    S_EXPECT(0, "--dir", d, "put", "major", "s3", "name=c", "level=higher",
             "status=closed");
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
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "verify", "--json");
    assert_int_equal(r.status, 1);
    json_t *j = th_json(r.out);
    assert_true(json_is_false(json_object_get(j, "ok")));
    assert_string_equal(s_str(j, "author"), "aqvtc");
    assert_int_equal(s_int(j, "seq"), 2);
    assert_string_not_equal(s_str(j, "status"), "ok");
    assert_true(strlen(s_str(j, "what")) > 0);
    json_decref(j);
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "verify", "--quiet");
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out_len, 0);
    th_run_free(&r);

    char *lines[8];
    S_RUN(&r, "--dir", d, "log");
    assert_int_equal(r.status, 1);
    assert_int_equal(s_lines(r.out, lines, 8), 3);
    assert_true(strncmp(lines[0], "1  ", 3) == 0);
    assert_true(strncmp(lines[1], "2  error: ", 10) == 0);
    assert_true(strncmp(lines[2], "3  ", 3) == 0);
    assert_non_null(strstr(r.err, "could not be read"));
    th_run_free(&r);
    S_RUN(&r, "--dir", d, "log", "--json");
    assert_int_equal(r.status, 1);
    assert_int_equal(s_lines(r.out, lines, 8), 3);
    j = th_json(lines[1]);
    assert_int_equal(s_int(j, "seq"), 2);
    assert_string_equal(s_str(j, "status"), "malformed");
    json_decref(j);
    j = th_json(lines[2]);
    assert_string_equal(s_str(j, "key"), "s3");
    json_decref(j);
    th_run_free(&r);
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
    th_run_t r;
    memset(value, 0, sizeof value);
    memcpy(value, "name=", 5);
    memset(value + 5, 'x', 200);
    s_exec(&r, env, S_ARGV("--dir", d, "init", "--id", "aqvtc", "--name", "n"));
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    bool grown = false;
    for (int i = 1; i <= 300; i++) {
        snprintf(key, sizeof key, "k%d", i);
        s_exec(&r, env,
               S_ARGV("--dir", d, "put", "major", key, value, "level=higher",
                      "status=active"));
        if (r.status != 0)
            print_error("put %d: %s", i, r.err);
        assert_int_equal(r.status, 0);
        /* Exactly the one result line: no log line slipped into stdout. */
        char want[64];
        int n =
            snprintf(want, sizeof want, "put major %s seq=%d root=", key, i);
        assert_true(strncmp(r.out, want, (size_t)n) == 0);
        assert_int_equal(r.out_len, (size_t)n + 64 + 1);
        /* The store says so (on stderr) when it grows the map: proof
         * that VOCFED_MAP_SIZE was used (the default would not fill). */
        grown = grown || strstr(r.err, "map grown");
        th_run_free(&r);
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
    th_run_free(&r);
    s_exec(&r, env, S_ARGV("--dir", d, "get", "major", "k300"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    assert_int_equal(strlen(s_str(json_object_get(j, "body"), "name")), 200);
    json_decref(j);
    th_run_free(&r);
    s_assert_no_secret(st);
}

/* The pubkey a node's whoami --json prints. */
static void
s_pubkey(const char *dir, char out[65])
{
    th_run_t r;
    S_RUN(&r, "--dir", dir, "whoami", "--json");
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    assert_true(s_is_hex(s_str(j, "pubkey"), 64));
    snprintf(out, 65, "%s", s_str(j, "pubkey"));
    json_decref(j);
    th_run_free(&r);
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
s_memberth_json(const char *dir, json_t **all, size_t *n)
{
    th_run_t r;
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
    th_run_free(&r);
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
    char want[128];
    th_run_t r;
    json_t *all, *j;
    size_t n;
    node_config_t cfg;
    snprintf(m, sizeof m, "%s/member", st->root);
    snprintf(m2, sizeof m2, "%s/member2", st->root);

    S_EXPECT(0, "--dir", c, "init", "--coordinator", "--id", "anqing", "--name",
             "安庆市职业教育集团", "--listen", "tcp://127.0.0.1:7700");
    S_RUN(&r, "--dir", c, "whoami", "--json");
    j = th_json(r.out);
    assert_string_equal(s_str(j, "role"), "coordinator");
    json_decref(j);
    th_run_free(&r);
    s_pubkey(c, coord_pk);

    /* The coordinator's log starts with the policy's defaults, in one
     * append (SPEC 11.5). */
    S_RUN(&r, "--dir", c, "verify");
    assert_int_equal(r.status, 0);
    snprintf(want, sizeof want, "ok: %d entries, 1 checkpoint, %d records",
             S_SEED, S_SEED);
    assert_true(strncmp(r.out, want, strlen(want)) == 0);
    th_run_free(&r);
    static const char *const seeds[][4] = {
        {"industry", "auto", "name_zh", "汽车及零部件"},
        {"industry", "food", "name_zh", "绿色食品"},
        {"target", "hv_enrolled:2027", "value", "14000"},
        {"target", "local_retention:2024", "value", "0.40"},
        {"target", "self_hired_share:2026", "value", "0.20"},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        S_RUN(&r, "--dir", c, "get", seeds[i][0], seeds[i][1]);
        assert_int_equal(r.status, 0);
        j = th_json(r.out);
        assert_string_equal(s_str(json_object_get(j, "body"), seeds[i][2]),
                            seeds[i][3]);
        json_decref(j);
        th_run_free(&r);
    }
    S_RUN(&r, "--dir", c, "get", "subsidy_rule", "coop_class_subsidy");
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_int_equal(s_int(json_object_get(j, "body"), "amount"), 100000);
    assert_int_equal(s_int(json_object_get(j, "body"), "threshold"), 20);
    json_decref(j);
    th_run_free(&r);
    S_RUN(&r, "--dir", c, "get", "subsidy_rule", "subsidy_total");
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_int_equal(s_int(json_object_get(j, "body"), "budget"), 5000000);
    json_decref(j);
    th_run_free(&r);
    S_EXPECT(1, "--dir", c, "get", "industry", "steel");
    /* Members' kinds are not the coordinator's to write. */
    S_RUN(&r, "--dir", c, "put", S_MAJOR);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "members' own"));
    th_run_free(&r);
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
    /* The coordinator's log is registered first, the member's own (the
     * one that grows) after it: last in the entries table (SPEC 5.1). */
    th_authors_t au;
    th_authors(m, &au);
    assert_int_equal(au.n, 2);
    assert_string_equal(au.id[0], "anqing");
    assert_string_equal(au.id[1], "aqvtc");
    /* The id corrected: the place registered first, which holds nothing,
     * takes the new id (and back). */
    S_RUN(&r, "--dir", m, "config", "set", "coordinator_id", "anqing2");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "registered in this store as 'anqing' "
                                  "and holding none of its entries yet, is "
                                  "now registered as 'anqing2'"));
    th_run_free(&r);
    th_authors(m, &au);
    assert_int_equal(au.n, 2);
    assert_string_equal(au.id[0], "anqing2");
    assert_string_equal(au.id[1], "aqvtc");
    S_EXPECT(0, "--dir", m, "config", "set", "coordinator_id", "anqing");
    th_authors(m, &au);
    assert_string_equal(au.id[0], "anqing");
    /* Registered, but nothing of its log here yet: not known. */
    S_RUN(&r, "--dir", m, "report");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "the coordinator's log is not in"));
    th_run_free(&r);
    /* A member with no settings has no settings file; "=" works too. */
    S_EXPECT(0, "--dir", m2, "init", "--id", "tlxx", "--name", "n");
    snprintf(cfg_path, sizeof cfg_path, "%s/vocfed.cfg", m2);
    assert_int_equal(stat(cfg_path, &sb), -1);
    s_pubkey(m2, other_pk);

    /* An empty roster. */
    assert_null(s_memberth_json(c, &all, &n));
    assert_int_equal(n, 0);
    json_decref(all);

    S_RUN(&r, "--dir", c, "members", "add", "aqvtc", member_pk, "--name",
          S_NAME_ZH, "--role", "school");
    assert_int_equal(r.status, 0);
    snprintf(want, sizeof want, "added aqvtc seq=%d\n", S_SEED + 1);
    assert_string_equal(r.out, want);
    th_run_free(&r);
    S_RUN(&r, "--dir", c, "members", "add", "aqvtc", member_pk);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "already on the roster"));
    assert_int_equal(r.out_len, 0);
    th_run_free(&r);
    /* One key, one member; the coordinator's own id and key. */
    S_RUN(&r, "--dir", c, "members", "add", "copy", member_pk);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "member aqvtc's already"));
    th_run_free(&r);
    S_RUN(&r, "--dir", c, "members", "add", "anqing", other_pk);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "own id"));
    th_run_free(&r);
    S_RUN(&r, "--dir", c, "members", "add", "self", coord_pk);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "coordinator's own"));
    th_run_free(&r);

    S_RUN(&r, "--dir", c, "members", "add", "tlxx", other_pk, "--json");
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_string_equal(s_str(j, "id"), "tlxx");
    assert_string_equal(s_str(j, "status"), "active");
    assert_string_equal(s_str(j, "role"), "member");
    assert_string_equal(s_str(j, "name"), "");
    assert_int_equal(s_int(j, "seq"), S_SEED + 2);
    json_decref(j);
    th_run_free(&r);

    j = s_memberth_json(c, &all, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s_str(j, "id"), "aqvtc");
    assert_string_equal(s_str(j, "pubkey"), member_pk);
    assert_string_equal(s_str(j, "name"), S_NAME_ZH);
    assert_string_equal(s_str(j, "role"), "school");
    assert_string_equal(s_str(j, "status"), "active");
    assert_int_equal(s_int(j, "seq"), S_SEED + 1);
    assert_true(json_is_false(json_object_get(j, "quarantined")));
    assert_int_equal(json_object_size(j), 7);
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
    th_run_free(&r);

    /* suspend, activate, revoke; revoked is final. */
    S_RUN(&r, "--dir", c, "members", "suspend", "aqvtc");
    assert_int_equal(r.status, 0);
    snprintf(want, sizeof want, "suspended aqvtc seq=%d\n", S_SEED + 3);
    assert_string_equal(r.out, want);
    th_run_free(&r);
    j = s_memberth_json(c, &all, &n);
    assert_string_equal(s_str(j, "status"), "suspended");
    assert_int_equal(s_int(j, "seq"), S_SEED + 3);
    assert_string_equal(s_str(j, "name"), S_NAME_ZH);
    assert_string_equal(s_str(j, "pubkey"), member_pk);
    json_decref(all);
    S_RUN(&r, "--dir", c, "members", "activate", "aqvtc");
    assert_int_equal(r.status, 0);
    snprintf(want, sizeof want, "activated aqvtc seq=%d\n", S_SEED + 4);
    assert_string_equal(r.out, want);
    th_run_free(&r);
    S_RUN(&r, "--dir", c, "members", "revoke", "aqvtc", "--json");
    assert_int_equal(r.status, 0);
    j = th_json(r.out);
    assert_string_equal(s_str(j, "status"), "revoked");
    assert_int_equal(s_int(j, "seq"), S_SEED + 5);
    json_decref(j);
    th_run_free(&r);
    const char *after_revoke[] = {"revoke", "suspend", "activate"};
    for (size_t i = 0; i < 3; i++) {
        S_RUN(&r, "--dir", c, "members", after_revoke[i], "aqvtc");
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "revoked is final"));
        th_run_free(&r);
    }
    j = s_memberth_json(c, &all, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s_str(j, "status"), "revoked");
    assert_int_equal(s_int(j, "seq"), S_SEED + 5);
    assert_string_equal(s_str(json_array_get(all, 1), "status"), "active");
    json_decref(all);
    S_RUN(&r, "--dir", c, "members", "suspend", "nobody");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no member nobody"));
    th_run_free(&r);

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
    snprintf(want, sizeof want, "ok: %d entries, 6 checkpoints, %d records",
             S_SEED + 5, S_SEED + 2);
    assert_true(strncmp(r.out, want, strlen(want)) == 0);
    th_run_free(&r);

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
        th_run_free(&r);
    }
    S_RUN(&r, "--dir", m, "verify");
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "ok: 0 entries", 13) == 0);
    th_run_free(&r);

    /* The secretariat edits the industry list; a member may not. */
    S_RUN(&r, "--dir", c, "put", "industry", "steel", "name_zh=钢铁",
          "leading=no");
    assert_int_equal(r.status, 0);
    snprintf(want, sizeof want, "put industry steel seq=%d ", S_SEED + 6);
    assert_true(strncmp(r.out, want, strlen(want)) == 0);
    th_run_free(&r);
    S_RUN(&r, "--dir", m, "put", "industry", "steel", "name_zh=钢铁",
          "leading=no");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "coordinator's"));
    th_run_free(&r);

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
    th_run_t r;
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
    S_RUN(&r, "--dir", d, "init", "--id", "m", "--name", "m", "--coordinator",
          "tcp://h:1", "--coordinator-key", pk, "--coordinator-id", "m");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "this member's own id"));
    th_run_free(&r);
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m", "--coordinator",
             "h:1", "--coordinator-key", pk);
    S_EXPECT(2, "--dir", d, "init", "--id", "m", "--name", "m",
             "--coordinator=", "--coordinator-key", pk);
    S_EXPECT(2, "--dir", d, "init", "--coordinator", "--id", "c", "--name", "c",
             "--listen", "tcp://a b:1");
    S_RUN(&r, "--dir", d, "init", "--id", "m", "--name", "m", "--listen",
          "tcp://*:1");
    assert_non_null(strstr(r.err, "--listen is for a coordinator"));
    th_run_free(&r);
    assert_int_equal(stat(d, &sb), -1);

    /* --role coordinator is --coordinator. */
    S_EXPECT(0, "--dir", d, "init", "--role", "coordinator", "--id", "c",
             "--name", "c", "--listen", "tcp://*:7700");
    S_EXPECT(0, "--dir", d, "members", "list");
    /* A member's rate out of range or not a number: a usage error, before
     * the daemon starts (test_abuse's test_credit runs one with 1M). */
    static const char *const bad_rates[][2] = {
        {"--rate-bytes", "0"},     {"--rate-bytes", "512K"},
        {"--rate-bytes", "17G"},   {"--rate-bytes", "1.5M"},
        {"--rate-bytes", "-1M"},   {"--rate-bytes", "M"},
        {"--rate-msgs", "0"},      {"--rate-msgs", "1000001"},
        {"--rate-msgs", "2000/s"}, {"--rate-msgs", ""}};
    /* A daemon that took the value would run: it is killed at 30 s, and
     * the test fails there, not at ctest's timeout. */
    int was = th_exec_deadline(30000);
    for (size_t i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; i++) {
        S_RUN(&r, "--dir", d, "coordinator", bad_rates[i][0], bad_rates[i][1]);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, bad_rates[i][0]));
        th_run_free(&r);
    }
    th_exec_deadline(was);

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
    th_run_free(&r);
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
