/* vocfed: what the test programs share (linked into every one of them).
 *
 * Temporary folders; running the vocfed binary (VOCFED_BINARY) and
 * capturing what it prints; daemons started with their output in a log
 * file and stopped by pid (SIGTERM, then SIGKILL after a deadline,
 * always reaped); free TCP ports on 127.0.0.1; waiting on a condition
 * with a deadline; and a small replication network (a coordinator and
 * its members, each a store in one test folder) for the node tests.
 *
 * Failures inside the helpers are cmocka failures of the running test:
 * the helpers are only called from test functions. */
#ifndef VOCFED_TESTS_HARNESS_H
#define VOCFED_TESTS_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "protocol/entry.h"
#include "protocol/kinds.h"
#include "storage/store.h"
#include "storage/store_test.h" /* store_raw_put, for the tests */

/* ---- folders and files ------------------------------------------------ */

/* Makes a fresh folder under /tmp; dir must hold 64 bytes. Aborts on
 * failure: no test can run without it. */
void th_tmpdir(char dir[64]);

/* Removes a folder and everything in it. */
void th_rmdir(const char *dir);

/* Reads a whole file into a malloc'd, NUL-terminated buffer (the NUL is
 * not counted in *len); NULL if it cannot. */
uint8_t *th_read_file(const char *path, size_t *len);

/* Appends n students to author's log in st, in one transaction signed with
 * sk (one checkpoint), as `vocfed put` would: keys first .. first + n - 1
 * as 64 hex digits (pseudo_ids); bodies {intake_year 2020 + i % 8, level
 * higher, major: pad bytes of 'x' (1 to 4096), status enrolled}. head
 * (may be NULL) gets the log's head after it. A daemon may hold the store
 * meanwhile: LMDB serialises the writers. */
void th_students(store_t *st, const char *author, const uint8_t *sk,
                 uint64_t first, size_t n, size_t pad, store_head_t *head);

/* A log's author for a test: its id and an Ed25519 key pair drawn from a
 * seed of 32 seed_byte bytes (the same keys every run). */
typedef struct {
    char id[PROTO_ID_MAX + 1]; /* author id */
    uint8_t pk[32];            /* its key */
    uint8_t sk[64];            /* its secret key */
} th_author_t;

void th_author(th_author_t *a, const char *id, uint8_t seed_byte);

/* The body of a record of kind from "field=value" strings (up to 32, each
 * under 256 bytes), read from ap up to a NULL, through the kinds table
 * (proto_kind_body) into out. Returns its status (err, if not NULL, says
 * why); a string without '=' or an unknown kind fails the test. */
int th_kind_vbody(const char *kind, va_list ap, proto_buf_t *out,
                  proto_kind_error_t *err);

/* Puts key = value into the named database of the LMDB environment in
 * dir, below the store, as another version of the program (or a broken
 * one) would have written it. No store may be open in this process. */
void th_lmdb_put(const char *dir, const char *db, const void *key,
                 size_t key_len, const void *value, size_t value_len);

/* Changes entry seq of author's log in the store at dir on disk, in
 * place: the first byte of the first occurrence of `needle` (a value of
 * its body, so that the entry still decodes) becomes `to`. No store may
 * be open on dir in this process. */
void th_tamper_entry(const char *dir, const char *author, uint64_t seq,
                     const char *needle, char to);

/* ---- running vocfed --------------------------------------------------- */

/* Bytes collected from a run, NUL-terminated. */
typedef struct {
    char *data; /* NULL until something is added */
    size_t len; /* bytes, the NUL not counted */
} th_text_t;

/* Appends n bytes to t. */
void th_text_add(th_text_t *t, const void *p, size_t n);

/* Frees t's bytes and empties it. */
void th_text_free(th_text_t *t);

/* What one run of the binary did. */
typedef struct {
    int status;     /* exit code; -1 if it did not exit normally */
    char *out;      /* stdout, NUL-terminated */
    size_t out_len; /* its length */
    char *err;      /* stderr, NUL-terminated */
    size_t err_len; /* its length */
} th_run_t;

/* Runs VOCFED_BINARY with argv (NULL-terminated, argv[0] included) in
 * folder cwd (or the test's own when NULL), with VOCFED_DIR and
 * VOCFED_MAP_SIZE unset and env ("NAME=VALUE" strings, NULL-terminated,
 * or NULL) added, and waits for it to exit. Everything it prints is also
 * appended to transcript when not NULL. r's buffers are the caller's:
 * th_run_free. A run still going at the deadline (th_exec_deadline) is
 * killed: its status is -1 and its stderr ends with a line saying so. */
void th_exec(th_run_t *r, const char *cwd, const char *const *env,
             const char *const *argv, th_text_t *transcript);

/* Frees r's buffers. */
void th_run_free(th_run_t *r);

/* Writes text as the whole file at path (a test's CSV, a settings file
 * edited by hand); fails the test when it cannot. */
void th_write_text(const char *path, const char *text);

/* How long th_exec lets a run go before it kills it, by default: a
 * command that hangs fails its test long before ctest's timeout. */
#define TH_EXEC_DEADLINE_MS (10 * 60 * 1000)

/* Sets th_exec's deadline (ms <= 0: the default) for the runs after it,
 * and returns the one before: a test that expects a refusal (a daemon
 * that must not start) sets a short one around it. */
int th_exec_deadline(int ms);

/* ---- daemons ------------------------------------------------------------ */

/* A process started by th_spawn. */
typedef struct {
    pid_t pid;      /* 0 when not running (never started, or reaped) */
    char log[256];  /* its stdout and stderr, appended across restarts */
    long log_start; /* size of the log when it was last started */
    int code;       /* once reaped: exit code, or 128 + the signal */
} th_proc_t;

/* Starts VOCFED_BINARY with argv in folder cwd, its stdout and stderr
 * appended to p->log (set by the caller), stdin /dev/null. The child is
 * killed if the test program dies. */
void th_spawn(th_proc_t *p, const char *cwd, const char *const *argv);

/* Sends sig to p (if running), waits up to deadline_ms for it to exit,
 * then SIGKILLs it; always reaps it. Returns the exit code, or
 * 128 + the signal that ended it, or -1 if it was not running. */
int th_stop(th_proc_t *p, int sig, int deadline_ms);

/* Whether p is still running (reaps it if it exited, setting
 * p->code). */
bool th_running(th_proc_t *p);

/* Whether p's log, since its last start, holds needle. */
bool th_proc_log_has(const th_proc_t *p, const char *needle);

/* Waits until p's log holds needle (th_proc_log_has), at most deadline_ms:
 * a daemon may listen before it logs that it does. */
bool th_proc_wait_log(const th_proc_t *p, const char *needle, int deadline_ms);

/* ---- waiting, ports, JSON --------------------------------------------- */

/* A condition to wait for. */
typedef bool (*th_cond_fn)(void *ctx);

/* Calls cond every 20 ms until it is true (returns true) or deadline_ms
 * passed (returns false, after one last call). */
bool th_wait(th_cond_fn cond, void *ctx, int deadline_ms);

/* Milliseconds on a monotonic clock. */
uint64_t th_now_ms(void);

/* A TCP port on 127.0.0.1 nobody listened on a moment ago (bind port 0,
 * read it, close). */
int th_free_port(void);

/* Parses one JSON object (a cmocka failure if it is not one). */
json_t *th_json(const char *text);

/* The value at a path of object keys (NULL-terminated), or NULL. */
json_t *th_jget(json_t *j, ...);

/* The integer at a path, or -1 when absent or not an integer. */
long long th_jint(json_t *j, ...);

/* ---- a replication network -------------------------------------------- */

#define TH_NET_MAX 16 /* members in one network */

/* One node: a store and, while it runs, its daemon. */
typedef struct {
    char id[33];    /* node id */
    char dir[128];  /* its store folder */
    char pk[65];    /* its Ed25519 public key, hex */
    th_proc_t proc; /* its daemon (vocfed coordinator or vocfed node) */
} th_node_t;

/* A coordinator on 127.0.0.1 and its members, all in one folder. */
typedef struct {
    char root[64];                 /* mkdtemp folder, removed at the end */
    char endpoint[64];             /* tcp://127.0.0.1:PORT */
    th_node_t coord;               /* the coordinator ("coord") */
    th_node_t members[TH_NET_MAX]; /* the members */
    size_t n;                      /* members made */
    th_text_t commands;            /* every command run and its output */
    bool passed;                   /* the test reached its end */
} th_net_t;

/* Makes the folder, picks a port and makes the coordinator's store
 * (not started). */
void th_net_init(th_net_t *net);

/* Stops every daemon (SIGTERM, SIGKILL after 5 s), prints the daemons'
 * logs and the commands run when the test did not pass, and removes
 * the folder. */
void th_net_release(th_net_t *net);

/* Initialisers of proto_value_t (protocol/entry.h) for the bodies a test
 * builds by hand: an int, a string literal, a bool, nil. */
#define TH_INT(v)                                                              \
    {                                                                          \
        .type = PROTO_VAL_INT, .i = (v)                                        \
    }
#define TH_STR(v)                                                              \
    {                                                                          \
        .type = PROTO_VAL_STR, .s = (v), .slen = sizeof(v) - 1                 \
    }
#define TH_BOOL(v)                                                             \
    {                                                                          \
        .type = PROTO_VAL_BOOL, .b = (v)                                       \
    }
#define TH_NIL                                                                 \
    {                                                                          \
        .type = PROTO_VAL_NIL                                                  \
    }

/* The figures in DESIGN 7's order, which the catalogue, the figures' JSON
 * and the report follow: TH_DESIGN7_N ids. */
#define TH_DESIGN7_N 13
extern const char *const th_design7[TH_DESIGN7_N];

/* For th_wait(th_counted, &c, ...): the coordinator's status shows at
 * least n of counter `what` ("refused", "malformed", ...) for member id. */
typedef struct {
    th_net_t *net;    /* the network */
    const char *id;   /* the member */
    const char *what; /* the counter of `vocfed status --json` peers.ID */
    long long n;      /* at least this many */
    long long seen;   /* last seen */
} th_count_t;
bool th_counted(void *ctx);

/* cmocka setup and teardown of a test that takes a th_net_t as its state:
 * allocates it zeroed (the test calls th_net_init); th_net_release and
 * free. */
int th_net_setup(void **state);
int th_net_teardown(void **state);

/* `vocfed put student P level=higher intake_year=2025 status=enrolled
 * [major=MAJOR]` at m (exit 0 expected), P the pseudo_id (64 hex digits)
 * made from name: what an honest member writes. major may be NULL. */
void th_put_student(th_net_t *net, const th_node_t *m, const char *name,
                    const char *major);

/* Makes a member store with this id; with admit, adds it to the
 * coordinator's roster. */
th_node_t *th_net_member(th_net_t *net, const char *id, bool admit);

/* Runs vocfed with the arguments (NULL-terminated, after the binary) in
 * the network's folder, logs it in net->commands, and returns the run
 * (th_run_free it). */
th_run_t th_net_run(th_net_t *net, const char *const *args);

/* Runs vocfed ARGS and fails the test if its exit code is not want. */
void th_net_expect(th_net_t *net, int want, const char *const *args);

/* Starts the coordinator daemon and waits (10 s at most) until it
 * listens. */
void th_coord_start(th_net_t *net);

/* The same, with more arguments for `vocfed coordinator` (NULL-terminated;
 * TH_ARGS). */
void th_coord_start_with(th_net_t *net, const char *const *extra);

/* Starts `vocfed node` for member m. */
void th_member_start(th_net_t *net, th_node_t *m);

/* Runs `vocfed --dir m sync` against the coordinator (timeout_s) and
 * returns the run. */
th_run_t th_sync(th_net_t *net, const th_node_t *m, int timeout_s);

/* `vocfed --dir dir status --json`, parsed (json_decref it); exit 0 or 1
 * (an alarm raised: its alarms_raised says how many). */
json_t *th_status(th_net_t *net, const char *dir);

/* The size of author's log at the store in dir (`status --json`), -1
 * when the store holds none of it. */
long long th_log_size(th_net_t *net, const char *dir, const char *author);

/* The ids of the authors registered in the store at dir (opened without
 * its derived data), in the order store_scan_authors gives them: the
 * order they were registered in. At most 4. */
typedef struct {
    char id[4][PROTO_ID_MAX + 1];
    size_t n;
} th_authors_t;
void th_authors(const char *dir, th_authors_t *out);

/* Waits until author's log at dir holds at least n entries, else fails
 * the test naming what it holds. */
void th_wait_log_size(th_net_t *net, const char *dir, const char *author,
                      long long n, int deadline_ms);

/* Both ends are well: `verify` passes at the coordinator and at dir, the
 * coordinator has no alarm raised and no member quarantined. */
void th_all_well(th_net_t *net, const char *dir);

/* Writes where m's coordinator is (endpoint and key) into its
 * vocfed.cfg, as an operator would with `vocfed config set`. */
void th_member_config(th_net_t *net, const th_node_t *m);

/* th_students on node m's own store with its own key; root (may be NULL)
 * gets the new root in hex. Returns the log's size after it. */
uint64_t th_bulk(const th_node_t *m, uint64_t first, size_t n, size_t pad,
                 char root[65]);

/* Appends a printf-formatted line to net->commands (a note for the log
 * printed on failure). */
void th_net_note(th_net_t *net, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define TH_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

#endif
