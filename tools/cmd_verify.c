/* vocfed verify: re-checks every byte of the store (storage/verify.h). */
#include "storage/verify.h"
#include "tools/cli.h"
#include "node/figures.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Logs shorter than this verify too fast to need a progress bar. */
#define S_PROGRESS_MIN 100000
#define S_BAR_WIDTH 30

/* State of the progress bar on stderr. */
typedef struct {
    bool shown;   /* something was drawn (and must be cleared) */
    unsigned pct; /* the percentage drawn last */
} s_progress_t;

/* Draws "LABEL [####   ]  pct%  done/total UNIT" over the line, when
 * the percentage changed (phase: a new bar, drawn whatever it shows). */
static void
s_bar(s_progress_t *p, const char *label, uint64_t done, uint64_t total,
      const char *unit, bool phase)
{
    if (done > total)
        done = total;
    unsigned pct = (unsigned)(done * 100 / total);
    if (p->shown && pct == p->pct && !phase)
        return;
    char bar[S_BAR_WIDTH + 1];
    unsigned fill = (unsigned)(done * S_BAR_WIDTH / total);
    for (unsigned i = 0; i < S_BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : ' ';
    bar[S_BAR_WIDTH] = '\0';
    fprintf(stderr, "\r\033[K%s [%s] %3u%%  %llu/%llu %s", label, bar, pct,
            (unsigned long long)done, (unsigned long long)total, unit);
    fflush(stderr);
    p->shown = true;
    p->pct = pct;
}

static void
s_progress(void *ctx, uint64_t done, uint64_t total)
{
    if (total >= S_PROGRESS_MIN)
        s_bar(ctx, "verify", done, total, "entries", false);
}

/* The recomputation's progress (node_figures_check_beside), on the
 * same line: its phases, each with its own bar. */
static void
s_beside_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
    static const char *const words[][2] = {
        {"persons", "person numbers"},
        {"apply", "arrivals applied"},
        {"compare", "rows compared"},
    };
    const char *what = phase;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(phase, words[i][0]) == 0)
            what = words[i][1];
    if (total)
        s_bar(ctx, "figures", done, total, what, true);
}

/* --figures: the kept figures against a recomputation, in memory for a
 * small store, beside it on disk for a large one (bounded memory). */
static int
s_figures(cli_t *cli, node_t *node, bool bar, store_verify_result_t *res)
{
    store_env_usage_t log, derived;
    store_t *store = node_store(node);
    int rc = store_usage(store, &log, &derived);
    if (rc)
        return rc;
    if (derived.used_bytes <= NODE_FIGURES_CHECK_MEMORY_MAX)
        return node_figures_check(store, node_coordinator_id(node), res->what,
                                  sizeof res->what);
    /* Its environment is opened again, by the recomputation. */
    cli_node_close(cli);
    s_progress_t progress = {0};
    rc = node_figures_check_beside(cli->dir, res->what, sizeof res->what,
                                   bar ? s_beside_progress : NULL, &progress);
    if (progress.shown)
        fputs("\r\033[K", stderr);
    return rc;
}

static const char *
s_plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static int
s_print_json(const store_verify_result_t *res, const char *author)
{
    bool ok = res->status == VOCFED_OK;
    json_t *j = json_object();
    if (!j)
        return cli_fail(VOCFED_ENOMEM, "cannot print the result");
    int fail = 0;
    fail |= json_object_set_new(j, "ok", json_boolean(ok));
    /* On success there is no failing author or seq: null, unless one
     * author was asked for. */
    if (!ok && res->author[0])
        author = res->author;
    fail |= json_object_set_new(j, "author",
                                author ? json_string(author) : json_null());
    fail |= json_object_set_new(
        j, "seq", ok ? json_null() : json_integer((json_int_t)res->seq));
    fail |= json_object_set_new(j, "what",
                                ok ? json_null() : json_string(res->what));
    fail |= json_object_set_new(j, "status",
                                json_string(vocfed_status_token(res->status)));
    fail |= json_object_set_new(j, "entries",
                                json_integer((json_int_t)res->entries));
    fail |= json_object_set_new(j, "checkpoints",
                                json_integer((json_int_t)res->checkpoints));
    fail |= json_object_set_new(j, "records",
                                json_integer((json_int_t)res->records));
    int rc = fail ? cli_fail(VOCFED_ENOMEM, "cannot print the result")
                  : cli_json_print(j);
    json_decref(j);
    return rc;
}

/* Prints the verdict of res as asked; returns the exit code. */
static int
s_verdict(const cli_t *cli, const store_verify_result_t *r,
          const char *author_opt, bool json, bool quiet, bool figures)
{
    int rc = cli_exit_code(r->status);
    /* Trouble reading the store is not a verdict on its content. */
    if (rc == CLI_EXIT_ENV)
        cli_fail(r->status, "cannot verify the store in %s", cli->dir);
    if (json) {
        int prc = s_print_json(r, author_opt);
        if (prc)
            rc = prc;
    } else if (rc == CLI_EXIT_OK && !quiet) {
        printf("ok: %llu %s, %llu %s, %llu %s verified%s\n",
               (unsigned long long)r->entries,
               s_plural(r->entries, "entry", "entries"),
               (unsigned long long)r->checkpoints,
               s_plural(r->checkpoints, "checkpoint", "checkpoints"),
               (unsigned long long)r->records,
               s_plural(r->records, "record", "records"),
               figures ? "; figures equal a recomputation" : "");
    } else if (rc == CLI_EXIT_FAIL && !quiet) {
        printf("FAILED: author=%s seq=%llu: %s (%s)\n", r->author,
               (unsigned long long)r->seq, r->what, vocfed_strerror(r->status));
    }
    return rc;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    const char *author_opt = NULL;
    bool json = false, quiet = false, figures = false;
    const cli_opt_t opts[] = {
        CLI_ID("author", &author_opt),
        CLI_FLAG("json", &json),
        {"quiet", 'q', no_argument, CLI_ARG_FLAG, &quiet, NULL, 0, 0},
        CLI_FLAG("figures", &figures),
        CLI_END,
    };
    int rc;
    if ((rc = cli_parse(cli, opts, argc, argv, NULL)) != CLI_GO_ON)
        return rc;
    if (json && quiet)
        return cli_usage_error(cli, "--json and --quiet exclude each other");

    node_t *node;
    char author[PROTO_ID_MAX + 1];
    store_verify_result_t res = {0};
    s_progress_t progress = {0};
    bool bar = !quiet && isatty(STDERR_FILENO);
    if ((rc = cli_node(cli, &node)))
        return rc;
    if (author_opt && (rc = cli_author(cli, node, author_opt, author)))
        return rc;
    store_t *store = node_store(node);
    rc = store_verify(store, author_opt ? author : NULL, &res,
                      bar ? s_progress : NULL, &progress);
    if (progress.shown)
        fputs("\r\033[K", stderr); /* stderr is a terminal */
    if (rc && rc != res.status)    /* the contract says they agree */
        res.status = rc;
    if (!rc && figures) {
        /* SPEC 12.4: every kept figure must equal a recomputation from
         * the records. */
        rc = s_figures(cli, node, bar, &res);
        if (rc) {
            res.status = rc;
            snprintf(res.author, sizeof res.author, "%s", "figures");
        } else {
            snprintf(res.what, sizeof res.what, "%s",
                     "figures equal a "
                     "recomputation");
        }
    }
    return s_verdict(cli, &res, author_opt, json, quiet, figures);
}

const cli_cmd_t cmd_verify = {
    .name = "verify",
    .large = true,
    .summary = "re-check every entry, tree node, checkpoint and record",
    .usage =
        "Usage: vocfed verify [--author ID] [--figures] [--json | --quiet]\n"
        "\n"
        "Re-reads every entry of every log in the store (or of one author), "
        "checks\n"
        "that each decodes canonically, recomputes the Merkle trees, checks "
        "every\n"
        "checkpoint's signature, root and chain, and rebuilds the "
        "current-record\n"
        "index. Prints 'ok: N entries, N checkpoints, N records verified', "
        "or names\n"
        "the first failure: 'FAILED: author=ID seq=N: WHAT (REASON)'.\n"
        "On a terminal, a log of 100,000 entries or more shows a progress "
        "bar on\n"
        "stderr.\n"
        "\n"
        "Options:\n"
        "  --author ID   verify only that author's log\n"
        "  --figures     also recompute every figure from the records and "
        "compare\n"
        "                with the figures kept incrementally (exit 1 naming "
        "the first\n"
        "                that differs). Up to 384 MiB of derived data "
        "(derived.mdb,\n"
        "                about 1,000,000 entries) in memory, about 2.6 "
        "times that;\n"
        "                above it the applier makes the derived data again "
        "in\n"
        "                DIR/verify-figures.PID (as much disk as "
        "derived.mdb;\n"
        "                removed after), in at most ~1 GiB of memory, and "
        "the\n"
        "                two are compared row by row. The daemon may run "
        "meanwhile\n"
        "  --json        print {\"ok\", \"author\", \"seq\", \"what\", "
        "\"status\", \"entries\",\n"
        "                \"checkpoints\", \"records\"} on one line\n"
        "  -q, --quiet   print nothing on stdout; the exit status "
        "tells\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 intact, 1 tampering or damage found (or an unknown "
        "author),\n"
        "2 usage error, 3 the store cannot be opened or read.\n",
    .run = s_run,
    .needs = CLI_NEEDS_STORE,
};
