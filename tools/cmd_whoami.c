/* vocfed whoami: prints the node's identity from its store. */
#include "tools/cli.h"

#include <getopt.h>
#include <stdio.h>

static int
s_run(cli_t *cli, int argc, char **argv)
{
    enum { OPT_JSON = CLI_OPT_DIR + 1 };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int c, rc;
    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
                            NULL)) != -1) {
        if (c == OPT_JSON)
            json = true;
        else if ((rc = cli_opt_common(cli, c, argv)) != CLI_GO_ON)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);

    store_t *store = NULL;
    cli_identity_t me;
    if ((rc = cli_store_open(cli, false, &store)))
        return rc;
    rc = cli_identity_load(cli, store, &me);
    store_destroy(&store);
    if (rc)
        return rc;
    if (!json) {
        printf("id:      %s\n"
               "name:    %s\n"
               "role:    %s\n"
               "pubkey:  %s\n",
               me.id, me.name, me.role, me.pubkey_hex);
        return CLI_EXIT_OK;
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", me.id, "name", me.name,
                          "role", me.role, "pubkey", me.pubkey_hex);
    if (!j) /* also a name that is not UTF-8: init never writes one */
        return cli_fail(VOCFED_ENOMEM, "cannot print the identity");
    rc = cli_json_print(j);
    json_decref(j);
    return rc;
}

const cli_cmd_t cmd_whoami = {
    .name = "whoami",
    .summary = "print this node's id, name, role and public key",
    .usage = "Usage: vocfed whoami [--json]\n"
             "\n"
             "Prints the node's id, name, role and public key (hex) as "
             "'vocfed init'\n"
             "recorded them in the store. Never prints the secret key.\n"
             "\n"
             "Options:\n"
             "  --json        print {\"id\", \"name\", \"role\", \"pubkey\"} "
             "on one line\n"
             "  --dir DIR     the store folder (default $VOCFED_DIR, then "
             "./vocfed-data)\n"
             "  -h, --help    print this help\n"
             "\n"
             "Exit status: 0 ok, 2 usage error, 3 no store or no identity in "
             "it.\n",
    .run = s_run,
};
