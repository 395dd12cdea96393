/* vocfed get: prints one current record as JSON. */
#include "tools/cli.h"

#include <stdio.h>
#include <string.h>

static int
s_run(cli_t *cli, int argc, char **argv)
{
    const char *author_opt = NULL;
    const cli_opt_t opts[] = {
        CLI_ID("author", &author_opt),
        CLI_END,
    };
    cli_args_t a;
    int rc = cli_parse(cli, opts, argc, argv, &a);
    if (rc != CLI_GO_ON)
        return rc;
    if (a.n != 2)
        return cli_usage_error(cli, a.n < 2 ? "get needs KIND and KEY"
                                            : "get takes only KIND and KEY");
    const char *kind = a.v[0], *key = a.v[1];
    if (!proto_kind_valid(kind, strlen(kind)))
        return cli_usage_error(cli, "kind '%s' is not valid", kind);
    if (!proto_key_valid(key, strlen(key)))
        return cli_usage_error(cli, "key '%s' is not valid", key);

    node_t *node = NULL;
    proto_buf_t entry;
    json_t *j = NULL;
    char author[PROTO_ID_MAX + 1];
    uint64_t seq = 0;
    proto_buf_init(&entry);
    if ((rc = cli_node(cli, &node)) ||
        (rc = cli_author(cli, node, author_opt, author)))
        goto done;
    rc = store_record_get(node_store(node), author, kind, key, &entry, &seq);
    if (rc == VOCFED_ENOTFOUND) {
        cli_error("no record %s %s of author %s", kind, key, author);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (rc) {
        rc = cli_fail(rc, "cannot read record %s %s of author %s", kind, key,
                      author);
        goto done;
    }
    if ((rc = cli_entry_json(entry.data, entry.len, 0, NULL, &j))) {
        rc = cli_fail(rc, "record %s %s (author %s, seq %llu) does not decode",
                      kind, key, author, (unsigned long long)seq);
        goto done;
    }
    rc = cli_json_print(j);
done:
    json_decref(j);
    proto_buf_release(&entry);
    return rc;
}

const cli_cmd_t cmd_get = {
    .name = "get",
    .summary = "print a current record as JSON",
    .usage =
        "Usage: vocfed get KIND KEY [--author ID]\n"
        "\n"
        "Prints the current record KIND KEY as one JSON object on one line:\n"
        "{\"author\", \"seq\", \"time_ms\", \"time\", \"kind\", \"key\", "
        "\"body\": {FIELD: VALUE...}}\n"
        "with time in ISO 8601 UTC and the values as JSON strings, integers,\n"
        "booleans or null.\n"
        "\n"
        "Options:\n"
        "  --author ID   read another author's record (default: this node's "
        "own)\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 found, 1 no such record or author (or the record does "
        "not\n"
        "decode), 2 usage error, 3 no store.\n",
    .run = s_run,
    .needs = CLI_NEEDS_STORE,
};
