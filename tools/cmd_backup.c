/* vocfed backup: a hot, consistent, compacted copy of the store
 * (storage/backup.h, SPEC 5.6). */
#include "node/file.h"
#include "node/linkage.h"
#include "protocol/clock.h"
#include "storage/backup.h"
#include "storage/verify.h"
#include "tools/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_FILE_MAX (1024 * 1024) /* vocfed.cfg and the keys: at most */
#define S_TELL_MS 2000           /* a progress line at most this often */
/* The folder in DEST the copy is written and verified in, before its
 * files are moved into DEST: a backup cut short (killed, the power
 * lost) leaves this, never a DEST/data.mdb that looks like a copy. */
#define S_WORK "backup.incomplete"

/* The progress lines of a long copy on stderr. */
typedef struct {
    uint64_t start_ms; /* when the copy began (monotonic) */
    uint64_t told_ms;  /* the last line, or 0 */
} s_progress_t;

/* Whether a progress line is due (at most one every S_TELL_MS); *secs
 * gets the time since the start. */
static bool
s_due(s_progress_t *p, unsigned long long *secs)
{
    uint64_t now = proto_mono_ms();
    if (now - (p->told_ms ? p->told_ms : p->start_ms) < S_TELL_MS)
        return false;
    p->told_ms = now;
    *secs = (now - p->start_ms) / 1000;
    return true;
}

static void
s_progress(void *ctx, uint64_t done, uint64_t most)
{
    unsigned long long secs;
    if (!s_due(ctx, &secs))
        return;
    fprintf(stderr,
            "vocfed: backup: %llu MiB written (the log uses %llu MiB "
            "before compaction), %llu s\n",
            (unsigned long long)(done >> 20), (unsigned long long)(most >> 20),
            secs);
}

/* Whether dest can take the copy: absent (made here, 0700) or an empty
 * folder. *made tells which. Returns 0 or an exit code after saying
 * why. */
static int
s_dest_ready(const char *dest, bool *made)
{
    *made = false;
    if (mkdir(dest, 0700) == 0) {
        *made = true;
        return 0;
    }
    if (errno != EEXIST)
        return cli_fail(-errno, "cannot make %s", dest);
    DIR *d = opendir(dest);
    if (!d)
        return cli_fail(-errno, "cannot read %s", dest);
    struct dirent *e;
    bool empty = true, work = false;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = false;
            work = work || strcmp(e->d_name, S_WORK) == 0;
        }
    closedir(d);
    if (work) {
        cli_error("%s holds %s/%s, left by a backup that was cut short (or "
                  "is running now): it is no copy. Remove it ('rm -r "
                  "%s/%s') and run the backup again",
                  dest, dest, S_WORK, dest, S_WORK);
        return CLI_EXIT_FAIL;
    }
    if (!empty) {
        cli_error("%s is not empty: a backup goes into a new or empty folder",
                  dest);
        return CLI_EXIT_FAIL;
    }
    return 0;
}

static int
s_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? VOCFED_ETOOLARGE : 0;
}

/* Copies DIR/name into dest/name (mode 0600, O_EXCL), in guarded memory
 * (a key may be among them). A file that is not there is skipped (*copied
 * false). Returns 0 or a status. */
static int
s_copy_file(const char *dir, const char *dest, const char *name, bool *copied)
{
    char from[PATH_MAX], to[PATH_MAX];
    struct stat st;
    size_t len = 0;
    *copied = false;
    int rc = s_path(from, sizeof from, dir, name);
    if (rc || (rc = s_path(to, sizeof to, dest, name)))
        return rc;
    int fd = node_file_open(from, &st);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return fd;
    uint8_t *buf = sodium_malloc(S_FILE_MAX);
    if (!buf)
        rc = VOCFED_ENOMEM;
    else if (!(rc = node_file_check(&st, S_FILE_MAX)) &&
             !(rc = node_file_read(fd, buf, S_FILE_MAX, &len)))
        rc = node_secret_write(to, buf, len);
    close(fd);
    sodium_free(buf); /* wipes */
    *copied = rc == 0;
    return rc;
}

static void
s_verify_progress(void *ctx, uint64_t done, uint64_t total)
{
    unsigned long long secs;
    if (s_due(ctx, &secs))
        fprintf(stderr,
                "vocfed: backup: %llu of %llu entries of the copy verified, "
                "%llu s\n",
                (unsigned long long)done, (unsigned long long)total, secs);
}

/* Removes the folder dir and what is in it (the copy's work folder
 * holds the verification's own). */
static void
s_remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[PATH_MAX];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            s_path(p, sizeof p, dir, e->d_name) == 0 && unlink(p) != 0 &&
            errno == EISDIR)
            s_remove_folder(p);
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Verifies the copy's logs as 'vocfed verify' does (every entry, tree
 * node and checkpoint signature), reading the copy itself. Its derived
 * data goes into a folder of its own in dest, removed after, and stays
 * empty: nothing is applied, so the records index has nothing to be
 * checked against. Returns 0 (res says what was checked), the failure
 * (res says where) or an environment status. */
static int
s_verify_copy(const char *dest, store_verify_result_t *res, s_progress_t *p)
{
    char ddir[PATH_MAX];
    int n = snprintf(ddir, sizeof ddir, "%s/verify.%ld", dest, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof ddir)
        return VOCFED_ETOOLARGE;
    if (mkdir(ddir, 0700) != 0)
        return -errno;
    store_t *st = NULL;
    store_opts_t o = {.async_apply = true, .derived_dir = ddir};
    int rc = store_open(dest, &o, &st);
    if (rc == VOCFED_OK) {
        p->start_ms = proto_mono_ms();
        p->told_ms = 0;
        rc = store_verify(st, NULL, res, s_verify_progress, p);
        store_destroy(&st);
        char lock[PATH_MAX]; /* the open made them: the copy had none */
        if (s_path(lock, sizeof lock, dest, "lock.mdb") == 0)
            unlink(lock);
        if (s_path(lock, sizeof lock, dest, STORE_OPEN_LOCK) == 0)
            unlink(lock);
    }
    s_remove_folder(ddir);
    return rc;
}

/* The files a copy is made of, the log last: moved into DEST in this
 * order, so a DEST/data.mdb is the sign of a whole, verified copy. */
static const char *const s_names[] = {"vocfed.cfg", "node.key",
                                      NODE_LINKAGE_FILE, "data.mdb"};
#define S_NAMES (sizeof s_names / sizeof s_names[0])

/* Removes what a failed backup left in dest (its work folder, the files
 * it moved), and dest if it made it. */
static void
s_undo(const char *dest, const char *work, bool made)
{
    char p[PATH_MAX];
    s_remove_folder(work);
    for (size_t i = 0; i < S_NAMES; i++)
        if (s_path(p, sizeof p, dest, s_names[i]) == 0)
            unlink(p);
    if (made)
        rmdir(dest);
}

/* Moves the copy's files from work into dest (the log last), syncs
 * dest, and removes work. Returns 0 or -errno. */
static int
s_publish(const char *work, const char *dest)
{
    char from[PATH_MAX], to[PATH_MAX];
    for (size_t i = 0; i < S_NAMES; i++) {
        if (s_path(from, sizeof from, work, s_names[i]) ||
            s_path(to, sizeof to, dest, s_names[i]))
            return VOCFED_ETOOLARGE;
        if (rename(from, to) != 0 && errno != ENOENT) /* keys: if asked */
            return -errno;
    }
    int rc = node_file_sync_dir(dest);
    if (rc == 0 && rmdir(work) != 0)
        rc = -errno;
    return rc ? rc : node_file_sync_dir(dest);
}

/* The files beside the log: the settings, and the secrets when asked;
 * what was copied is added to list (", name" each). */
static int
s_copy_files(cli_t *cli, const char *dest, bool with_key, char *list,
             size_t cap)
{
    size_t n = with_key ? 3 : 1; /* s_names: the settings, the keys */
    for (size_t i = 0; i < n; i++) {
        bool copied;
        int rc = s_copy_file(cli->dir, dest, s_names[i], &copied);
        if (rc)
            return rc;
        size_t used = strlen(list);
        if (copied)
            snprintf(list + used, cap - used, ", %s", s_names[i]);
    }
    return 0;
}

static int
s_backup(cli_t *cli, node_t *node, const char *dest, bool with_key, bool verify)
{
    char why[96], list[64] = "", checked[128] = "";
    store_verify_result_t res = {0};
    bool made;
    int rc = s_dest_ready(dest, &made);
    if (rc)
        return rc;
    time_t t = time(NULL);
    struct tm tm;
    char when[32] = "";
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(why, sizeof why, "a copy made by vocfed backup at %s", when);
    s_progress_t p = {proto_mono_ms(), 0};
    /* Every copy is fenced: put back, a member fetches its own log from
     * the coordinator, a coordinator its own from the members, before
     * either signs again (SPEC 5.6, 10.6, 10.7). */
    char work[PATH_MAX];
    if ((rc = s_path(work, sizeof work, dest, S_WORK)) == 0 &&
        mkdir(work, 0700) != 0)
        rc = -errno;
    if (rc) {
        if (made)
            rmdir(dest);
        return cli_fail(rc, "cannot back up %s into %s", cli->dir, dest);
    }
    rc = store_backup(node_store(node), work, why, s_progress, &p);
    if (!rc)
        rc = s_copy_files(cli, work, with_key, list, sizeof list);
    if (rc) {
        s_undo(dest, work, made);
        return cli_fail(rc, "cannot back up %s into %s", cli->dir, dest);
    }
    /* A copy is checked before it is called one: a backup found bad only
     * when it is needed is no backup. */
    if (verify && (rc = s_verify_copy(work, &res, &p)) != VOCFED_OK) {
        s_undo(dest, work, made);
        if (cli_exit_code(rc) == CLI_EXIT_ENV)
            return cli_fail(rc, "cannot verify the copy of %s in %s", cli->dir,
                            dest);
        cli_error("the copy of %s fails verification: author=%s seq=%llu: %s "
                  "(%s); it is removed. The store itself: 'vocfed --dir %s "
                  "verify'",
                  cli->dir, res.author, (unsigned long long)res.seq, res.what,
                  vocfed_strerror(rc), cli->dir);
        return CLI_EXIT_FAIL;
    }
    if ((rc = s_publish(work, dest)) != VOCFED_OK) {
        s_undo(dest, work, made);
        return cli_fail(rc, "cannot move the copy of %s into %s", cli->dir,
                        dest);
    }
    if (verify)
        snprintf(checked, sizeof checked,
                 "; verified: %llu entries, %llu checkpoints",
                 (unsigned long long)res.entries,
                 (unsigned long long)res.checkpoints);
    struct stat st;
    char path[PATH_MAX];
    if (s_path(path, sizeof path, dest, "data.mdb") || stat(path, &st) != 0)
        st.st_size = 0;
    printf("backup: %s: the log (%llu bytes)%s%s%s\n", dest,
           (unsigned long long)st.st_size, list, checked,
           with_key ? "" : "; not the secret keys (--with-key)");
    return CLI_EXIT_OK;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    bool with_key = false, no_verify = false;
    const cli_opt_t opts[] = {CLI_FLAG("with-key", &with_key),
                              CLI_FLAG("no-verify", &no_verify), CLI_END};
    cli_args_t args;
    node_t *node;
    int rc = cli_parse(cli, opts, argc, argv, &args);
    if (rc != CLI_GO_ON)
        return rc;
    if (args.n != 1)
        return cli_usage_error(cli, "backup takes one folder, DEST");
    if ((rc = cli_node(cli, &node)))
        return rc;
    return s_backup(cli, node, args.v[0], with_key, !no_verify);
}

const cli_cmd_t cmd_backup = {
    .name = "backup",
    .large = true,
    .summary = "a consistent, compacted copy of the store, while it runs",
    .usage =
        "Usage: vocfed backup [--with-key] [--no-verify] DEST\n"
        "\n"
        "Copies the store's log (data.mdb) into the folder DEST from one "
        "consistent\n"
        "snapshot, compacted, while daemons and commands go on writing; "
        "and DIR/vocfed.cfg\n"
        "beside it. derived.mdb is not copied: it follows from the log and "
        "is rebuilt\n"
        "when the copy is opened. DEST must not exist (it is made, mode "
        "0700) or be an\n"
        "empty folder.\n"
        "\n"
        "Then the copy is verified, read back from disk: every entry, "
        "tree node and\n"
        "checkpoint signature of every log, as 'vocfed verify' checks them "
        "(its\n"
        "records and figures are not made, so not checked: 'vocfed --dir "
        "DEST\n"
        "verify' makes them in DEST and checks them too). A copy that "
        "fails is\n"
        "removed (exit 1): the store it came from is damaged, 'vocfed "
        "verify' it.\n"
        "Copying or verifying for more than 2 s prints a progress line on "
        "stderr\n"
        "every 2 s.\n"
        "\n"
        "The copy is written and verified in DEST/backup.incomplete, and "
        "only then\n"
        "moved into DEST, data.mdb last: a DEST/data.mdb is a whole copy. "
        "A backup\n"
        "cut short (killed, the power lost) leaves DEST/backup.incomplete, "
        "which is\n"
        "no copy; a backup into that DEST says so until it is removed.\n"
        "\n"
        "A member's copy is fenced: put back in place of the store, it "
        "signs nothing\n"
        "(put, import) until it has fetched from the coordinator the "
        "entries of its\n"
        "own log written after the copy: the daemon or 'vocfed sync' does "
        "that first,\n"
        "and put and import run a sync themselves when no daemon runs. So "
        "a member put\n"
        "back from a copy never signs a second history. A coordinator's "
        "copy is fenced\n"
        "too: put back, its daemon fetches from the members the entries of "
        "its own\n"
        "log they hold past the copy, and signs nothing (put target, members "
        "add, ...)\n"
        "until every active member has given its copy (docs/ADMIN.md §12).\n"
        "\n"
        "Options:\n"
        "  --with-key    also copy the secret keys, node.key and "
        "linkage.key (without\n"
        "                it, keep node.key safe apart: the copy is of no "
        "use without it)\n"
        "  --no-verify   do not read the copy back and verify "
        "it\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 copied (and verified), 1 DEST not empty or the "
        "copy fails\n"
        "verification, 2 usage error, 3 the store cannot be read or the "
        "copy written\n"
        "or read back. After 1 or 3 nothing is left in DEST (a DEST that "
        "was not\n"
        "empty is left as it was).\n",
    .run = s_run,
    .needs = CLI_NEEDS_STORE,
};
