/* vocfed wait: until the coordinator's receipt covers this node's own log,
 * or until the figures include every entry this node holds. For scripts
 * and operators: one process reading the store every 10 ms, where a loop
 * of `vocfed status --json` starts a process (~20 ms of CPU) per look. */
#include "protocol/clock.h"
#include "storage/replica.h"
#include "tools/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_POLL_NS 10000000L /* between two looks at the store */
#define S_SHOW_MS 1000      /* between two progress lines */

/* One log and the size it must reach. */
typedef struct {
    char id[PROTO_KEY_MAX + 1];
    uint64_t target;
} s_log_t;

typedef struct {
    store_t *st;
    s_log_t *logs;
    size_t n, cap;
    int rc;
} s_logs_t;

static int
s_add_log(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_logs_t *l = ctx;
    store_head_t h;
    (void)pk;
    int rc = store_head(l->st, id, &h);
    if (rc)
        return rc;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        s_log_t *p = realloc(l->logs, cap * sizeof *p);
        if (!p)
            return VOCFED_ENOMEM;
        l->logs = p;
        l->cap = cap;
    }
    snprintf(l->logs[l->n].id, sizeof l->logs[l->n].id, "%s", id);
    l->logs[l->n++].target = h.size;
    return VOCFED_OK;
}

/* What a peer's latest receipt states of author's log: the most any
 * peer scanned states (a member's peers are its coordinator). */
typedef struct {
    store_t *st;
    const char *author;
    uint64_t acked;
    bool any; /* some peer's receipt for it is held */
} s_ack_t;

static int
s_ack(void *ctx, const char *author, const store_ack_t *ack)
{
    s_ack_t *a = ctx;
    if (strcmp(author, a->author) == 0) {
        a->any = true;
        if (ack->acked > a->acked)
            a->acked = ack->acked;
    }
    return 0;
}

static int
s_peer(void *ctx, const store_peer_t *p)
{
    s_ack_t *a = ctx;
    return store_scan_acks(a->st, p->id, s_ack, a);
}

/* How far the wait is: *done of *total, summed over the logs (receipt:
 * the one log, acknowledged by peer, or by any peer when peer is NULL: a
 * member that has not met its coordinator yet knows no id for it; *any
 * says whether a receipt is held at all). Returns 0 or a store status. */
static int
s_progress(store_t *st, bool receipt, const char *peer, const s_logs_t *l,
           uint64_t *done, uint64_t *total, bool *any)
{
    *done = *total = 0;
    for (size_t i = 0; i < l->n; i++) {
        uint64_t got = 0;
        int rc;
        if (receipt) {
            s_ack_t a = {st, l->logs[i].id, 0, false};
            rc = peer ? store_scan_acks(st, peer, s_ack, &a)
                      : store_scan_peers(st, s_peer, &a);
            got = a.acked;
            *any = a.any;
        } else {
            rc = store_applied(st, l->logs[i].id, &got);
        }
        if (rc)
            return rc;
        *done += got < l->logs[i].target ? got : l->logs[i].target;
        *total += l->logs[i].target;
    }
    return VOCFED_OK;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    uint64_t timeout_s = 600;
    bool quiet = false;
    cli_args_t args;
    node_t *node;
    const cli_opt_t opts[] = {CLI_SECONDS("timeout", &timeout_s, 1, 604800),
                              CLI_FLAG("quiet", &quiet), CLI_END};
    int rc = cli_parse_sub(cli, opts, argc, argv, &args,
                           "say what to wait for: receipt or applied");
    if (rc != CLI_GO_ON)
        return rc;
    bool receipt = strcmp(args.v[0], "receipt") == 0;
    if (!receipt && strcmp(args.v[0], "applied") != 0)
        return cli_usage_error(cli, "unknown thing to wait for '%s'",
                               args.v[0]);
    if (args.n > 1)
        return cli_usage_error(cli, "unexpected argument '%s'", args.v[1]);
    if ((rc = cli_node(cli, &node)))
        return rc;
    store_t *st = node_store(node);
    const char *peer = NULL;
    s_logs_t l = {.st = st};
    if (receipt) {
        if (node_is_coordinator(node)) {
            cli_error("a coordinator gets no receipt for its log: it is "
                      "the one that gives them ('vocfed wait applied' "
                      "waits for its figures)");
            return CLI_EXIT_USAGE;
        }
        peer = node_coordinator_id(node); /* NULL: not met yet */
        rc = s_add_log(&l, node_id(node), NULL);
    } else {
        rc = store_scan_authors(st, s_add_log, &l);
    }
    if (rc) {
        free(l.logs);
        return cli_fail(rc, "cannot read the logs of %s", cli->dir);
    }
    bool show = !quiet && isatty(STDERR_FILENO);
    const char *what = receipt ? "received by the coordinator" : "applied";
    uint64_t start = proto_mono_ms(), shown = 0, done = 0, total = 0;
    bool late = false, any = false;
    for (;;) {
        if ((rc = s_progress(st, receipt, peer, &l, &done, &total, &any)))
            break;
        uint64_t now = proto_mono_ms();
        if (done >= total)
            break;
        if ((late = now - start >= timeout_s * 1000))
            break;
        if (show && now - shown >= S_SHOW_MS) {
            fprintf(stderr, "\rvocfed wait: %" PRIu64 " of %" PRIu64 " %s",
                    done, total, what);
            shown = now;
        }
        struct timespec ts = {0, S_POLL_NS};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    free(l.logs);
    if (shown) /* the progress line ends */
        fprintf(stderr, "\n");
    if (late) {
        cli_error("not all %s after %" PRIu64 " s: %" PRIu64 " of %" PRIu64
                  " entries%s",
                  what, timeout_s, done, total,
                  receipt && !any ? " (no receipt for this log from any "
                                    "coordinator yet: is 'vocfed node' "
                                    "running?)"
                                  : "");
        return CLI_EXIT_ENV;
    }
    if (rc)
        return cli_fail(rc, "cannot read the store of %s", cli->dir);
    if (!quiet)
        printf("%" PRIu64 " of %" PRIu64 " entries %s\n", done, total, what);
    return CLI_EXIT_OK;
}

const cli_cmd_t cmd_wait = {
    .name = "wait",
    .summary = "wait until the coordinator holds this log, or the figures "
               "are current",
    .usage =
        "Usage: vocfed wait receipt|applied [--timeout SECONDS] [--quiet]\n"
        "\n"
        "Waits, reading the store every 10 ms, and exits when:\n"
        "  receipt  (a member) the coordinator's latest receipt covers this\n"
        "           node's own log as it was when wait started: every entry "
        "of it\n"
        "           is durably held and verified there (SPEC 8.6). wait "
        "sends\n"
        "           nothing itself: 'vocfed node' must be running (or a "
        "'vocfed\n"
        "           sync' run meanwhile).\n"
        "  applied  the record index and the figures include every entry "
        "of\n"
        "           every log this node held when wait started (SPEC 5.5): "
        "the\n"
        "           daemon's applier got there (or a command that catches "
        "up).\n"
        "While it waits it shows how far it is on stderr, once a second, "
        "when\n"
        "that is a terminal. Then it prints 'N of N entries ...' on stdout.\n"
        "\n"
        "Options:\n"
        "  --timeout SECONDS  give up after this long (default 600)\n"
        "  --quiet            print nothing but errors\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 reached, 2 usage error (also 'receipt' at a "
        "coordinator),\n"
        "3 not reached in time, or no store.\n",
    .run = s_run,
    .needs = CLI_NEEDS_IDENTITY | CLI_NEEDS_SETTINGS,
};
