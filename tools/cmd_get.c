/* vocfed get: prints one current record as JSON. */
#include "tools/cli.h"
#include "tools/person.h"

#include <stdio.h>
#include <string.h>

static int
s_run(cli_t *cli, int argc, char **argv)
{
    const char *author_opt = NULL, *id_number = NULL, *grad_year = NULL;
    const cli_opt_t opts[] = {
        CLI_ID("author", &author_opt),
        CLI_STR("id-number", &id_number),
        CLI_STR("grad-year", &grad_year),
        CLI_END,
    };
    cli_args_t a;
    char pkey[PROTO_KEY_MAX + 1];
    const proto_kind_def_t *k = NULL;
    int rc = cli_parse(cli, opts, argc, argv, &a);
    if (rc != CLI_GO_ON)
        return rc;
    size_t want = id_number ? 1 : 2;
    if (a.n != want)
        return cli_usage_error(cli, a.n < want ? "get needs KIND and KEY (or "
                                                 "KIND --id-number N)"
                                               : "get takes only KIND and KEY "
                                                 "(or KIND --id-number N)");
    const char *kind = a.v[0], *key = id_number ? pkey : a.v[1];
    if (!proto_kind_valid(kind, strlen(kind)))
        return cli_usage_error(cli, "kind '%s' is not valid", kind);
    k = proto_kind_find(kind);
    if (id_number) {
        if (!k)
            return cli_usage_error(cli, "unknown kind '%s'", kind);
        if ((rc = cmd_person_key(cli, k, id_number, grad_year, pkey)) !=
            CLI_GO_ON)
            return rc;
    } else if (grad_year) {
        return cli_usage_error(cli, "--grad-year goes with --id-number");
    }
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
    if (rc == VOCFED_ENOTFOUND && k && cmd_person_looks_raw(k, key)) {
        /* never echo an ID number */
        cli_error("no record %s of author %s under that key: it looks like "
                  "an ID-card number",
                  kind, author);
        cmd_person_hint(cli, k);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (rc == VOCFED_ENOTFOUND) {
        cli_error("no record %s %s of author %s%s", kind, key, author,
                  id_number ? " (the pseudo_id of that ID number)" : "");
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
        "       vocfed get student|staff|graduate --id-number N "
        "[--grad-year Y]\n"
        "\n"
        "Prints the current record KIND KEY as one JSON object on one line:\n"
        "{\"author\", \"seq\", \"time_ms\", \"time\", \"kind\", \"key\", "
        "\"body\": {FIELD: VALUE...}}\n"
        "with time in ISO 8601 UTC and the values as JSON strings, integers,\n"
        "booleans or null.\n"
        "\n"
        "Options:\n"
        "  --author ID   read another author's record (default: this node's "
        "own)\n"
        "  --id-number N find a person by ID-card number: the pseudo_id is "
        "computed\n"
        "                here through the group linkage key; the number is "
        "never\n"
        "                stored, logged or printed ('-': read it from "
        "stdin)\n"
        "  --grad-year Y with --id-number for a graduate (key "
        "pseudo_id:YEAR)\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 found, 1 no such record or author (or the record does "
        "not\n"
        "decode), 2 usage error, 3 no store.\n",
    .run = s_run,
    .needs = CLI_NEEDS_STORE,
};
