/* vocfed log: lists an author's log entries. */
#include "tools/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* State of one listing. */
typedef struct {
    const char *author; /* whose log */
    bool json;          /* one JSON object per line */
    uint64_t errors;    /* entries that could not be shown */
    bool stopped;       /* the callback stopped the scan */
    int exit;           /* then: the exit code to return */
} s_log_t;

/* Stops the scan with an exit code. The value returned to the scan is a
 * vocfed status, which the store passes back unchanged. */
static int
s_stop(s_log_t *log, int exit)
{
    log->stopped = true;
    log->exit = exit;
    return VOCFED_EINTERRUPTED;
}

/* Shows an entry that cannot be shown, and goes on. */
static int
s_bad_entry(s_log_t *log, uint64_t seq, int status, const char *what)
{
    log->errors++;
    if (!log->json) {
        printf("%llu  error: %s (%s)\n", (unsigned long long)seq, what,
               vocfed_strerror(status));
        return 0;
    }
    json_t *j = json_pack("{s:s, s:I, s:s, s:s}", "author", log->author, "seq",
                          (json_int_t)seq, "error", what, "status",
                          vocfed_status_token(status));
    if (!j)
        return s_stop(log, cli_fail(VOCFED_ENOMEM, "cannot list the log"));
    int rc = cli_json_print(j);
    json_decref(j);
    return rc ? s_stop(log, rc) : 0;
}

/* One line: SEQ  TIME  OP  KIND  KEY  BODY (no BODY for a del). */
static int
s_print_line(s_log_t *log, const proto_entry_t *e, const json_t *j)
{
    char *body = NULL;
    if (e->op == PROTO_OP_PUT) {
        body = json_dumps(json_object_get(j, "body"), JSON_COMPACT);
        if (!body)
            return s_stop(log, cli_fail(VOCFED_ENOMEM, "cannot list the log"));
    }
    printf("%llu  %s  %s  %.*s  %.*s%s%s\n", (unsigned long long)e->seq,
           json_string_value(json_object_get(j, "time")), proto_op_name(e->op),
           (int)e->kind_len, e->kind, (int)e->key_len, e->key, body ? "  " : "",
           body ? body : "");
    free(body);
    return 0;
}

static int
s_entry(void *ctx, uint64_t seq, const uint8_t *data, size_t len)
{
    s_log_t *log = ctx;
    proto_entry_t e;
    json_t *j = NULL;
    int rc = cli_entry_json(data, len, CLI_ENTRY_OP | CLI_ENTRY_LEAF, &e, &j);
    if (rc == VOCFED_ENOMEM)
        return s_stop(log, cli_fail(rc, "cannot list the log"));
    if (rc)
        return s_bad_entry(log, seq, rc, "entry does not decode");
    /* The bytes must say what the store files them under. */
    if (e.seq != seq) {
        rc = s_bad_entry(log, seq, VOCFED_ESEQGAP, "entry holds another seq");
    } else if (e.author_len != strlen(log->author) ||
               memcmp(e.author, log->author, e.author_len) != 0) {
        rc =
            s_bad_entry(log, seq, VOCFED_EAUTHOR, "entry names another author");
    } else if (log->json) {
        rc = cli_json_print(j);
        rc = rc ? s_stop(log, rc) : 0;
    } else {
        rc = s_print_line(log, &e, j);
    }
    json_decref(j);
    return rc;
}

/* --from SEQ */
static int
s_opt_from(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    void *target = opt->target;
    if (!cli_parse_u64(value, 1, UINT64_MAX, target))
        return cli_usage_error(cli, "--from '%s' is not a seq (1, 2, 3...)",
                               value);
    return CLI_GO_ON;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    const char *author_opt = NULL;
    uint64_t from = 1;
    s_log_t log = {0};
    const cli_opt_t opts[] = {
        CLI_ID("author", &author_opt),
        CLI_FN("from", &from, s_opt_from),
        CLI_FLAG("json", &log.json),
        CLI_END,
    };
    node_t *node;
    char author[PROTO_ID_MAX + 1];
    int rc;
    if ((rc = cli_parse(cli, opts, argc, argv, NULL)) != CLI_GO_ON)
        return rc;
    if ((rc = cli_node(cli, &node)) ||
        (rc = cli_author(cli, node, author_opt, author)))
        return rc;
    log.author = author;
    rc = store_scan_entries(node_store(node), author, from, s_entry, &log);
    if (log.stopped) {
        rc = log.exit;
    } else if (rc) {
        rc = cli_fail(rc, "cannot read the log of author %s", author);
    } else if (log.errors) {
        cli_error("%llu entr%s of author %s could not be read",
                  (unsigned long long)log.errors, log.errors == 1 ? "y" : "ies",
                  author);
        rc = CLI_EXIT_FAIL;
    }
    return rc;
}

const cli_cmd_t cmd_log = {
    .name = "log",
    .summary = "list the entries of a log",
    .usage =
        "Usage: vocfed log [--author ID] [--from SEQ] [--json]\n"
        "\n"
        "Lists an author's log entries in seq order, one line each:\n"
        "  SEQ  TIME  OP  KIND  KEY  BODY\n"
        "with TIME in ISO 8601 UTC, OP put or del, and BODY the fields as "
        "JSON (none\n"
        "for a del). An entry that cannot be read is shown as 'SEQ  error: "
        "...' and\n"
        "the listing goes on.\n"
        "\n"
        "Options:\n"
        "  --author ID   list another author's log (default: this node's "
        "own)\n"
        "  --from SEQ    start at entry SEQ (default 1)\n"
        "  --json        one JSON object per line: author, seq, time_ms, "
        "time, op,\n"
        "                kind, key, body, leaf (hex of the entry's BLAKE2b "
        "leaf hash);\n"
        "                an unreadable entry gives {author, seq, error, "
        "status}\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 ok, 1 unknown author or an entry could not be read, "
        "2 usage\n"
        "error, 3 no store.\n",
    .run = s_run,
    .needs = CLI_NEEDS_STORE,
};
