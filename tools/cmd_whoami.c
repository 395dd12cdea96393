/* vocfed whoami: prints the node's identity from its store. */
#include "tools/cli.h"

#include <stdio.h>

static int
s_show(cli_t *cli, node_t *node, bool json)
{
    (void)cli;
    if (!json) {
        printf("id:      %s\n"
               "name:    %s\n"
               "role:    %s\n"
               "pubkey:  %s\n",
               node_id(node), node_name(node), node_role(node),
               node_pubkey_hex(node));
        return CLI_EXIT_OK;
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", node_id(node), "name",
                          node_name(node), "role", node_role(node), "pubkey",
                          node_pubkey_hex(node));
    /* NULL also for a name that is not UTF-8: init never writes one */
    return cli_json_emit(j, "the identity");
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
             "on one line\n" CLI_HELP_COMMON "\n"
             "Exit status: 0 ok, 2 usage error, 3 no store or no identity in "
             "it.\n",
    .show = s_show,
    .needs = CLI_NEEDS_IDENTITY,
};
