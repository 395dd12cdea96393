/* Integration tests of storage faults with real processes (SPEC 5.4,
 * 10.4; DESIGN 2.3 durability, 2.6 bad input never corrupts):
 *
 * - a full disk: `vocfed import` of a file larger than the room left on a
 *   member's tmpfs; a coordinator whose tmpfs fills while a member sends
 *   its log; a member whose tmpfs fills while it pulls the coordinator's
 *   log. Each time the refusal says "storage full", nothing half-written
 *   is left (sizes, roots, verify and verify --figures as before, the
 *   space given back), nothing is acknowledged that was not stored, and
 *   once there is room (a filler file removed) the same work completes;
 * - two daemons on one store: the second is refused with the first's
 *   pid, the first goes on;
 * - a store of a newer format version: every daemon and import refuse
 *   it, and its files are left byte for byte as they were.
 *
 * The tmpfs mounts need a mount namespace of the program's own (see
 * tests/tmpfs.h): root, as in CI, or unprivileged user namespaces. */
#include "node/replicate.h"
#include "protocol/hash.h"
#include "storage/replica.h"
#include "storage/store.h"
#include "tests/harness.h"
#include "tests/tmpfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_ROWS 3000 /* rows of the large files */
/* The log a member sends to a coordinator whose disk fills: three batches
 * (node/replicate.h), and the room that takes one or two of them. */
#define S_SYNC_ROWS (3 * NODE_BATCH_ENTRIES)
#define S_SYNC_ROOM_KIB 3200
#define S_DEADLINE_MS 60000 /* for a transfer to complete */
#define S_EXIT_MS 10000     /* for a refused daemon to exit */
#define S_FS_KIB 8192       /* each tmpfs; a filler file leaves less */

/* Per test: the network and what is mounted in it. */
typedef struct {
    th_net_t net;        /* coordinator and members */
    char mounts[2][128]; /* tmpfs mount points */
    size_t nmounts;      /* how many */
    char filler[2][160]; /* the filler file on each */
} s_state_t;

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    *state = st;
    return st ? 0 : -1;
}

static int
s_teardown(void **state)
{
    s_state_t *st = *state;
    th_net_t *net = &st->net;
    /* The daemons first, then the mounts, then the folder (and the logs
     * when the test failed). */
    th_stop(&net->coord.proc, SIGTERM, 5000);
    for (size_t i = 0; i < net->n; i++)
        th_stop(&net->members[i].proc, SIGTERM, 5000);
    for (size_t i = 0; i < st->nmounts; i++)
        th_tmpfs_umount(st->mounts[i]);
    th_net_release(net);
    free(st);
    return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static void
s_write_file(const char *path, const char *text, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* Moves the store folder dir onto a tmpfs of S_FS_KIB mounted at dir,
 * then fills it with a file until about room KiB are left. */
static void
s_to_tmpfs(s_state_t *st, const char *dir, unsigned room)
{
    char old[160], from[448], to[448];
    assert_true(st->nmounts < 2);
    snprintf(old, sizeof old, "%s.old", dir);
    assert_int_equal(rename(dir, old), 0);
    th_tmpfs_mount(dir, S_FS_KIB);
    snprintf(st->mounts[st->nmounts], sizeof st->mounts[0], "%s", dir);
    DIR *d = opendir(old);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat fs;
        snprintf(from, sizeof from, "%s/%s", old, e->d_name);
        if (stat(from, &fs) != 0 || !S_ISREG(fs.st_mode))
            continue;
        size_t len;
        uint8_t *bytes = th_read_file(from, &len);
        assert_non_null(bytes);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        s_write_file(to, (const char *)bytes, len, fs.st_mode & 0777);
        free(bytes);
    }
    closedir(d);
    th_rmdir(old);
    char *filler = st->filler[st->nmounts++];
    snprintf(filler, sizeof st->filler[0], "%s/filler", dir);
    uint64_t free_now = th_tmpfs_free(dir);
    assert_true(free_now > (uint64_t)room << 10);
    th_tmpfs_fill(filler, free_now - ((uint64_t)room << 10));
}

/* A CSV of S_ROWS majors (kind, path); with small, its first 4 rows. */
static void
s_majors_csv(const char *path, size_t rows)
{
    th_text_t t = {0};
    char line[160];
    th_text_add(&t, "code,name,level,status\n", 23);
    for (size_t i = 0; i < rows; i++) {
        int n = snprintf(line, sizeof line,
                         "%06zu,major number %zu with a name long enough to "
                         "take room,higher,active\n",
                         i, i);
        th_text_add(&t, line, (size_t)n);
    }
    s_write_file(path, t.data, t.len, 0600);
    th_text_free(&t);
}

/* The same for leading industries (a coordinator's kind). */
static void
s_industries_csv(const char *path, size_t rows)
{
    th_text_t t = {0};
    char line[160];
    th_text_add(&t, "code,name_zh,name_en,leading\n", 29);
    for (size_t i = 0; i < rows; i++) {
        int n = snprintf(line, sizeof line,
                         "i%05zu,产业%zu,industry number %zu with a long "
                         "name,true\n",
                         i, i, i);
        th_text_add(&t, line, (size_t)n);
    }
    s_write_file(path, t.data, t.len, 0600);
    th_text_free(&t);
}

/* Size and root of author's log in dir's store. */
typedef struct {
    long long size;  /* entries, -1 if the log is unknown */
    char root[65];   /* hex */
    long long acked; /* what dir's node holds a receipt for (members) */
} s_log_t;

/* Read in this process (a read snapshot, as `vocfed status` would, but
 * without a process per look: the waits look often). */
static s_log_t
s_log(th_net_t *net, const char *dir, const char *author)
{
    s_log_t l = {.size = -1, .acked = -1};
    store_t *st = NULL;
    store_head_t h;
    store_ack_t ack;
    if (store_open(dir, NULL, &st) != VOCFED_OK)
        return l;
    if (store_head(st, author, &h) == VOCFED_OK) {
        l.size = (long long)h.size;
        proto_hex(h.root, PROTO_HASH_LEN, l.root);
    }
    if (store_peer_ack_get(st, net->coord.id, author, &ack) == VOCFED_OK)
        l.acked = (long long)ack.acked;
    store_destroy(&st);
    return l;
}

/* `vocfed verify --figures` passes on dir (the log and the figures);
 * returns the number of records it counted. */
static long long
s_verify(th_net_t *net, const char *dir)
{
    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", dir, "verify", "--figures", "--json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    long long records = th_jint(j, "records", NULL);
    json_decref(j);
    th_run_free(&r);
    return records;
}

static off_t
s_size_of(const char *path)
{
    struct stat fs;
    assert_int_equal(stat(path, &fs), 0);
    return fs.st_size;
}

/* ---- a full disk -----------------------------------------------------------
 */

/* `vocfed import` of a file too large for the room left: exit 3 and
 * "storage full"; nothing written, the room it took given back; after
 * the filler is removed the same import goes through. */
static void
test_import_full(void **state)
{
    s_state_t *st = *state;
    th_net_t *net = &st->net;
    char small[128], big[128], data[160];
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", false);
    snprintf(small, sizeof small, "%s/small.csv", net->root);
    snprintf(big, sizeof big, "%s/big.csv", net->root);
    snprintf(data, sizeof data, "%s/data.mdb", m->dir);
    s_majors_csv(small, 4);
    s_majors_csv(big, S_ROWS);
    s_to_tmpfs(st, m->dir, 300);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "import", "major", small));

    s_log_t before = s_log(net, m->dir, m->id);
    assert_int_equal(before.size, 4);
    /* The import's receipt is the log's commit; a read applies it to the
     * derived data (derived.mdb grows), so read before the room is
     * measured. */
    assert_int_equal(s_verify(net, m->dir), 4);
    uint64_t free_before = th_tmpfs_free(m->dir);
    off_t size_before = s_size_of(data);
    th_run_t r =
        th_net_run(net, TH_ARGS("--dir", m->dir, "import", "major", big));
    print_message("import of %d rows (%lld bytes) with %llu KiB free: exit "
                  "%d: %s",
                  S_ROWS, (long long)s_size_of(big),
                  (unsigned long long)free_before >> 10, r.status, r.err);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "storage full"));
    assert_non_null(strstr(r.err, "nothing was written"));
    assert_int_equal(r.out_len, 0);
    th_run_free(&r);

    /* Nothing half-written: the same log, records, figures, and room. */
    s_log_t after = s_log(net, m->dir, m->id);
    assert_int_equal(after.size, before.size);
    assert_string_equal(after.root, before.root);
    assert_int_equal(s_verify(net, m->dir), 4);
    assert_int_equal(th_tmpfs_free(m->dir), free_before);
    assert_int_equal(s_size_of(data), size_before);

    /* Room again: the same import, the same file. */
    assert_int_equal(unlink(st->filler[0]), 0);
    r = th_net_run(net, TH_ARGS("--dir", m->dir, "import", "major", big));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "unchanged 4"));
    th_run_free(&r);
    assert_int_equal(s_log(net, m->dir, m->id).size, S_ROWS);
    assert_int_equal(s_verify(net, m->dir), S_ROWS);
    net->passed = true;
}

/* What the waits look at. */
typedef struct {
    th_net_t *net;      /* the network */
    th_node_t *m;       /* the member */
    const char *author; /* whose log */
    const char *holder; /* the store that must catch up */
    s_log_t want;       /* the log it must hold */
    bool receipt;       /* and the member must hold a receipt for it */
} s_wait_t;

static bool
s_caught_up(void *ctx)
{
    s_wait_t *w = ctx;
    s_log_t l = s_log(w->net, w->holder, w->author);
    if (l.size != w->want.size || strcmp(l.root, w->want.root) != 0)
        return false;
    return !w->receipt ||
           s_log(w->net, w->m->dir, w->author).acked == w->want.size;
}

static bool
s_refused_full(void *ctx)
{
    return th_proc_log_has(ctx, "reason=storage-full");
}

/* The coordinator's disk fills while a member sends its log: the batches
 * that do not fit are refused as storage full, and no receipt covers
 * them; the coordinator goes on, and once there is room the member's
 * retries complete the transfer. */
static void
test_coordinator_full(void **state)
{
    s_state_t *st = *state;
    th_net_t *net = &st->net;
    char big[128];
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    snprintf(big, sizeof big, "%s/big.csv", net->root);
    s_majors_csv(big, S_SYNC_ROWS);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "import", "major", big));
    s_log_t mine = s_log(net, m->dir, m->id);
    assert_int_equal(mine.size, S_SYNC_ROWS);
    s_to_tmpfs(st, net->coord.dir, S_SYNC_ROOM_KIB);
    th_coord_start(net);

    /* `vocfed sync` stops at the refusal and says why. */
    th_run_t r = th_sync(net, m, 30);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "the coordinator refused seq="));
    assert_non_null(strstr(r.err, "reason=storage-full"));
    assert_non_null(strstr(r.err, "sync: storage full"));
    th_run_free(&r);
    assert_true(th_running(&net->coord.proc));
    assert_true(th_proc_log_has(&net->coord.proc, "storage full"));

    /* What the coordinator holds is whole batches, verified; the member
     * holds no receipt beyond it. */
    s_log_t held = s_log(net, net->coord.dir, m->id);
    long long acked = s_log(net, m->dir, m->id).acked;
    json_t *j = th_status(net, net->coord.dir); /* works on a full disk */
    assert_int_equal(th_jint(j, "logs", m->id, "size", NULL), held.size);
    json_decref(j);
    print_message("coordinator with %d KiB free: held %lld of %d entries, "
                  "receipts for %lld\n",
                  S_SYNC_ROOM_KIB, held.size, S_SYNC_ROWS, acked);
    assert_true(held.size > 0 && held.size < S_SYNC_ROWS);
    assert_int_equal(held.size % NODE_BATCH_ENTRIES, 0);
    assert_true(acked <= held.size);
    long long coord_own = s_log(net, net->coord.dir, net->coord.id).size;
    assert_int_equal(s_verify(net, net->coord.dir), coord_own + held.size);

    /* The member daemon is refused too, and retries; room comes back;
     * the log converges. */
    th_member_start(net, m);
    assert_true(th_wait(s_refused_full, &m->proc, S_DEADLINE_MS));
    assert_int_equal(unlink(st->filler[0]), 0);
    s_wait_t w = {net, m, m->id, net->coord.dir, mine, true};
    uint64_t t0 = th_now_ms();
    assert_true(th_wait(s_caught_up, &w, S_DEADLINE_MS));
    print_message("room freed: level after %llu ms\n",
                  (unsigned long long)(th_now_ms() - t0));
    assert_int_equal(s_verify(net, net->coord.dir), coord_own + S_SYNC_ROWS);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    /* The coordinator's full disk is not the member's abuse (SPEC 10.5):
     * neither the refusals nor the gaps behind them are counted. */
    j = th_status(net, net->coord.dir);
    assert_int_equal(th_jint(j, "peers", m->id, "abuse", "refused", NULL), 0);
    assert_int_equal(th_jint(j, "peers", m->id, "abuse", "seq_gaps", NULL), 0);
    json_decref(j);
    net->passed = true;
}

/* A member's disk fills while it pulls the coordinator's log: it refuses
 * the batch as storage full (and tells the coordinator), keeps what it
 * had, and pulls the whole log once there is room. */
static void
test_member_pull_full(void **state)
{
    s_state_t *st = *state;
    th_net_t *net = &st->net;
    char csv[128];
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    snprintf(csv, sizeof csv, "%s/industries.csv", net->root);
    s_industries_csv(csv, S_ROWS);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "import", "industry", csv));
    s_log_t theirs = s_log(net, net->coord.dir, net->coord.id);
    assert_true(theirs.size > S_ROWS);
    s_to_tmpfs(st, m->dir, 150);
    th_coord_start(net);

    th_run_t r = th_sync(net, m, 30);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "refused the coordinator's batch"));
    assert_non_null(strstr(r.err, "reason=storage-full"));
    assert_non_null(strstr(r.err, "sync: storage full"));
    th_run_free(&r);
    s_log_t held = s_log(net, m->dir, net->coord.id);
    print_message("member with 150 KiB free: held %lld of %lld entries of "
                  "the coordinator's log\n",
                  held.size, theirs.size);
    assert_true(held.size < theirs.size);
    s_verify(net, m->dir);
    assert_true(
        th_proc_log_has(&net->coord.proc, "refused our batch: storage-full"));

    /* The member daemon meets the full disk too, and is still running
     * when room comes back: it pulls again (after its back-off) without a
     * restart. */
    th_member_start(net, m);
    assert_true(th_wait(s_refused_full, &m->proc, 30000));
    assert_int_equal(unlink(st->filler[0]), 0);
    s_wait_t w = {net, m, net->coord.id, m->dir, theirs, false};
    assert_true(th_wait(s_caught_up, &w, 30000));
    assert_true(th_running(&m->proc));
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    s_verify(net, m->dir);
    /* And `vocfed sync` finds nothing left to do. */
    r = th_sync(net, m, 30);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* ---- two daemons ------------------------------------------------------------
 */

static bool
s_exited(void *ctx)
{
    return !th_running(ctx);
}

/* Runs a daemon that must be refused: it exits within S_EXIT_MS. Returns
 * its exit code; its log is p->log. */
static int
s_refused_daemon(th_net_t *net, th_proc_t *p, const char *name,
                 const char *const *argv)
{
    snprintf(p->log, sizeof p->log, "%s/%s.log", net->root, name);
    th_net_note(net, "[start %s]", name);
    th_spawn(p, net->root, argv);
    bool exited = th_wait(s_exited, p, S_EXIT_MS);
    int code = th_stop(p, SIGKILL, 0);
    if (!exited)
        fail_msg("%s did not exit: a second daemon ran on a held store", name);
    return exited ? p->code : code;
}

/* A second daemon on a store that one holds is refused with the holder's
 * pid (exit 3), `vocfed sync` too; a daemon of the other role is refused
 * as such (exit 2); the first daemons go on replicating. */
static void
test_two_daemons(void **state)
{
    s_state_t *st = *state;
    th_net_t *net = &st->net;
    char port[64], pid[32], small[128];
    th_proc_t second = {0};
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    th_coord_start(net);
    th_member_start(net, m);
    /* It holds its store once it says it dials (after its lock): before
     * that, the second daemon below could take the store first (seen in
     * CI, under ASan beside another test: the first one was refused). */
    assert_true(
        th_proc_wait_log(&m->proc, "member: id=aqvtc dialling", S_DEADLINE_MS));

    snprintf(port, sizeof port, "tcp://127.0.0.1:%d", th_free_port());
    assert_int_equal(
        s_refused_daemon(net, &second, "coordinator-2",
                         TH_ARGS(VOCFED_BINARY, "--dir", net->coord.dir,
                                 "coordinator", "--listen", port)),
        3);
    snprintf(pid, sizeof pid, "(pid %d)", (int)net->coord.proc.pid);
    assert_true(th_proc_log_has(&second, "held by another daemon"));
    assert_true(th_proc_log_has(&second, pid));
    assert_true(th_proc_log_has(&second, "another daemon is running on"));

    assert_int_equal(
        s_refused_daemon(net, &second, "node-2",
                         TH_ARGS(VOCFED_BINARY, "--dir", m->dir, "node",
                                 "--coordinator", net->endpoint,
                                 "--coordinator-key", net->coord.pk)),
        3);
    snprintf(pid, sizeof pid, "(pid %d)", (int)m->proc.pid);
    assert_true(th_proc_log_has(&second, "held by another daemon"));
    assert_true(th_proc_log_has(&second, pid));

    th_run_t r = th_sync(net, m, 10);
    print_message("sync on a store a daemon holds: exit %d: %s", r.status,
                  r.err);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "held by another daemon"));
    snprintf(pid, sizeof pid, "(pid %d) is running", (int)m->proc.pid);
    assert_non_null(strstr(r.err, pid));
    th_run_free(&r);

    /* The other role on a held store: refused for its role. */
    assert_int_equal(
        s_refused_daemon(net, &second, "node-on-coordinator",
                         TH_ARGS(VOCFED_BINARY, "--dir", net->coord.dir, "node",
                                 "--coordinator", net->endpoint,
                                 "--coordinator-key", net->coord.pk)),
        2);
    assert_true(th_proc_log_has(&second, "is a coordinator node"));
    assert_int_equal(s_refused_daemon(net, &second, "coordinator-on-member",
                                      TH_ARGS(VOCFED_BINARY, "--dir", m->dir,
                                              "coordinator", "--listen", port)),
                     2);

    /* The first ones are unharmed: a new record reaches the coordinator. */
    assert_true(th_running(&net->coord.proc));
    assert_true(th_running(&m->proc));
    snprintf(small, sizeof small, "%s/small.csv", net->root);
    s_majors_csv(small, 4);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "import", "major", small));
    s_wait_t w = {net, m, m->id, net->coord.dir, s_log(net, m->dir, m->id),
                  true};
    assert_int_equal(w.want.size, 4);
    assert_true(th_wait(s_caught_up, &w, S_DEADLINE_MS));
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* ---- a newer format version --------------------------------------------- */

/* Writes meta format_version = value with LMDB directly, as a newer
 * vocfed would (the store refuses to write another version itself). */
static void
s_set_version(const char *dir, const char *value)
{
    th_lmdb_put(dir, "meta", "format_version", sizeof "format_version" - 1,
                value, strlen(value));
}

/* A folder's file names, sorted, one per line (for "nothing added"). */
static void
s_listing(const char *dir, th_text_t *out)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    assert_true(n >= 0);
    th_text_free(out);
    th_text_add(out, "", 0);
    for (int i = 0; i < n; i++) {
        th_text_add(out, names[i]->d_name, strlen(names[i]->d_name));
        th_text_add(out, "\n", 1);
        free(names[i]);
    }
    free(names);
}

/* The store in dir is as it was: data.mdb byte for byte, no file more. */
static void
s_unchanged(const char *dir, const uint8_t *data, size_t len,
            const th_text_t *listing)
{
    char path[160];
    size_t now_len;
    th_text_t now = {0};
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    uint8_t *now_data = th_read_file(path, &now_len);
    assert_non_null(now_data);
    assert_int_equal(now_len, len);
    assert_memory_equal(now_data, data, len);
    free(now_data);
    s_listing(dir, &now);
    assert_string_equal(now.data, listing->data);
    th_text_free(&now);
}

/* The refusal names both versions. */
static void
s_says_version(const char *text)
{
    if (!strstr(text, "found version 2") || !strstr(text, "supports version 1"))
        fail_msg("no clear refusal of version 2 in: %s", text);
}

/* Every daemon, sync and import refuse a store of format version 2
 * (exit 3, naming the versions) and leave its files as they were. */
static void
test_newer_version(void **state)
{
    s_state_t *st = *state;
    th_net_t *net = &st->net;
    char small[128], path[160];
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    snprintf(small, sizeof small, "%s/small.csv", net->root);
    s_majors_csv(small, 4);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "import", "major", small));
    s_set_version(net->coord.dir, "2");
    s_set_version(m->dir, "2");

    const char *dirs[2] = {net->coord.dir, m->dir};
    uint8_t *data[2];
    size_t len[2];
    th_text_t listing[2] = {{0}, {0}};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/data.mdb", dirs[i]);
        assert_non_null(data[i] = th_read_file(path, &len[i]));
        s_listing(dirs[i], &listing[i]);
    }

    /* The daemons: run as daemons, so that one that did not refuse would
     * show as one that did not exit. */
    th_proc_t p = {0};
    assert_int_equal(
        s_refused_daemon(net, &p, "coordinator-v2",
                         TH_ARGS(VOCFED_BINARY, "--dir", net->coord.dir,
                                 "coordinator", "--listen", net->endpoint)),
        3);
    size_t loglen;
    char *log = (char *)th_read_file(p.log, &loglen);
    assert_non_null(log);
    s_says_version(log);
    free(log);
    s_unchanged(net->coord.dir, data[0], len[0], &listing[0]);

    assert_int_equal(
        s_refused_daemon(net, &p, "node-v2",
                         TH_ARGS(VOCFED_BINARY, "--dir", m->dir, "node",
                                 "--coordinator", net->endpoint,
                                 "--coordinator-key", net->coord.pk)),
        3);
    log = (char *)th_read_file(p.log, &loglen);
    assert_non_null(log);
    s_says_version(log);
    free(log);
    s_unchanged(m->dir, data[1], len[1], &listing[1]);

    th_run_t r = th_sync(net, m, 10);
    assert_int_equal(r.status, 3);
    s_says_version(r.err);
    th_run_free(&r);
    s_unchanged(m->dir, data[1], len[1], &listing[1]);

    r = th_net_run(net, TH_ARGS("--dir", m->dir, "import", "major", small));
    assert_int_equal(r.status, 3);
    s_says_version(r.err);
    th_run_free(&r);
    s_unchanged(m->dir, data[1], len[1], &listing[1]);

    r = th_net_run(
        net, TH_ARGS("--dir", net->coord.dir, "import", "industry", small));
    assert_int_equal(r.status, 3);
    s_says_version(r.err);
    th_run_free(&r);
    s_unchanged(net->coord.dir, data[0], len[0], &listing[0]);

    for (int i = 0; i < 2; i++) {
        free(data[i]);
        th_text_free(&listing[i]);
    }
    net->passed = true;
}

int
main(int argc, char **argv)
{
    th_tmpfs_namespace(argc, argv);
#define S_T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_T(test_import_full),      S_T(test_coordinator_full),
        S_T(test_member_pull_full), S_T(test_two_daemons),
        S_T(test_newer_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
