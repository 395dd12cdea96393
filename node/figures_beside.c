/* vocfed: the figures checked in bounded memory, against a recomputation
 * beside the store (node_figures_check_beside, figures.h; SPEC 12.4). */
#include "node/figures.h"
#include "node/figures_i.h"
#include "node/node.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define S_PREFIX "verify-figures."

/* Removes a scratch folder: the derived environment's files, then it. */
static void
s_remove(const char *path)
{
    int rc = store_derived_remove(path);
    if (!rc && rmdir(path))
        rc = -errno;
    if (rc)
        zsys_warning("figures: cannot remove %s: %s", path,
                     vocfed_strerror(rc));
}

/* The scratch folders of checks whose process is gone. */
static void
s_remove_stale(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4200];
    if (!d)
        return;
    while ((e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, S_PREFIX, strlen(S_PREFIX)) != 0)
            continue;
        long pid = strtol(e->d_name + strlen(S_PREFIX), &end, 10);
        if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* not a scratch folder, or its check runs */
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        zsys_info("figures: removing %s, left by a check that stopped", path);
        s_remove(path);
    }
    closedir(d);
}

/* The first difference in words, as node_figures_check gives it. */
static void
s_say(const store_rederive_diff_t *d, char *what, size_t cap)
{
    char k[NODE_FIGX_KEY_MAX];
    if (!d->table) { /* not a row: the applied point or a value unread */
        snprintf(what, cap,
                 "the kept derived data does not fit its logs (its applied "
                 "point is past them, or a value of it cannot be read)");
        return;
    }
    if (strcmp(d->table, "persons") == 0) {
        snprintf(what, cap,
                 "the kept person numbers are not one to one "
                 "(persons and pnums disagree)");
        return;
    }
    if (strcmp(d->table, "figures") != 0 ||
        node_figx_key_text(d->key, d->klen, k, sizeof k) != VOCFED_OK) {
        snprintf(what, cap,
                 "the %s table differs from a recomputation (a row %s)",
                 d->table,
                 !d->in_again  ? "the logs do not give"
                 : !d->in_kept ? "missing"
                               : "of another value");
        return;
    }
    bool counter = node_figx_is_counter(k);
    if (counter && d->values)
        snprintf(what, cap, "%s is %" PRId64 " but the logs give %" PRId64, k,
                 d->in_kept ? d->kept_value : 0,
                 d->in_again ? d->again_value : 0);
    else
        snprintf(what, cap, "%s is %s but the logs give %s", k,
                 d->in_kept ? "a stored value" : "missing",
                 d->in_again ? (d->in_kept ? "another" : "a value") : "none");
}

int
node_figures_check_beside(const char *dir, char *what, size_t cap,
                          store_rederive_fn fn, void *ctx)
{
    char scratch[4096], kept[4200], none[8];
    struct stat sb;
    struct statvfs vb;
    if (!what) {
        what = none;
        cap = sizeof none;
    }
    what[0] = 0;
    int n = snprintf(scratch, sizeof scratch, "%s/" S_PREFIX "%ld", dir,
                     (long)getpid());
    if (n < 0 || (size_t)n >= sizeof scratch)
        return VOCFED_ETOOLARGE;
    snprintf(kept, sizeof kept, "%s/derived.mdb", dir);
    s_remove_stale(dir);
    if (stat(kept, &sb) != 0)
        return VOCFED_ENOTFOUND;
    /* The recomputation is about as large as the kept data. */
    uint64_t need = (uint64_t)sb.st_blocks * 512;
    if (statvfs(dir, &vb) == 0 && (uint64_t)vb.f_bavail * vb.f_frsize < need) {
        snprintf(what, cap,
                 "the recomputation needs about %" PRIu64 " MiB free in %s "
                 "(as much as derived.mdb), and %" PRIu64 " MiB are",
                 need >> 20, dir, ((uint64_t)vb.f_bavail * vb.f_frsize) >> 20);
        return VOCFED_ESTORAGEFULL;
    }
    if (mkdir(scratch, 0700) != 0)
        return -errno;
    node_t *node = NULL;
    node_open_info_t info = {.derived_dir = scratch};
    store_rederive_diff_t diff;
    int rc = node_open_info(dir, NODE_OPEN_ASYNC_APPLY, &info, &node);
    if (rc == VOCFED_OK)
        rc = store_rederive_compare(node_store(node), dir, fn, ctx, &diff);
    if (rc == VOCFED_ECORRUPT)
        s_say(&diff, what, cap);
    else if (rc == VOCFED_EVERSION)
        snprintf(what, cap,
                 "the kept figures are of an older layout: the "
                 "applier makes them again from the logs");
    else if (rc == VOCFED_ESTORAGEFULL)
        snprintf(what, cap, "no room left in %s for the recomputation",
                 scratch);
    node_close(&node);
    s_remove(scratch);
    return rc;
}
