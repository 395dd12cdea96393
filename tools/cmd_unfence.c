/* vocfed unfence: an operator lifts a coordinator's fence when a member
 * that holds a copy of its log is gone for good (SPEC 10.7). */
#include "storage/backup.h"
#include "tools/cli.h"

#include <stdio.h>

static int
s_run(cli_t *cli, int argc, char **argv)
{
    bool force = false;
    const cli_opt_t opts[] = {CLI_FLAG("force", &force), CLI_END};
    cli_args_t args;
    node_t *node;
    char why[256];
    int rc = cli_parse(cli, opts, argc, argv, &args);
    if (rc != CLI_GO_ON)
        return rc;
    if (args.n != 0)
        return cli_usage_error(cli, "unfence takes no argument");
    if ((rc = cli_node(cli, &node)))
        return rc;
    if (!node_is_coordinator(node)) {
        cli_error("%s is a member: its fence goes when a session with the "
                  "coordinator has fetched its own log ('vocfed sync', or "
                  "'vocfed restore' into a new folder)",
                  node_id(node));
        return CLI_EXIT_USAGE;
    }
    rc = store_fence_get(node_store(node), why, sizeof why);
    if (rc == VOCFED_ENOTFOUND) {
        printf("unfence: %s is not fenced\n", node_id(node));
        return CLI_EXIT_OK;
    }
    if (rc && rc != VOCFED_ETOOLARGE)
        return cli_fail(rc, "cannot read the store in %s", cli->dir);
    if (!force) {
        cli_error("this coordinator is fenced (%s); lifting the fence by hand "
                  "lets it sign at sizes a member that has not spoken may "
                  "hold another entry at: that member would then raise "
                  "coordinator-conflict. Give --force once you know every "
                  "such member is gone for good",
                  why);
        return CLI_EXIT_FAIL;
    }
    if ((rc = store_fence_clear(node_store(node))))
        return cli_fail(rc, "cannot lift the fence in %s", cli->dir);
    printf("unfence: %s signs again (the fence was: %s)\n", node_id(node), why);
    return CLI_EXIT_OK;
}

const cli_cmd_t cmd_unfence = {
    .name = "unfence",
    .summary = "lift a restored coordinator's fence by hand (--force)",
    .usage =
        "Usage: vocfed unfence --force\n"
        "\n"
        "A coordinator put back from a copy ('vocfed backup') is fenced: it "
        "signs\n"
        "nothing (put target, members add, ...) until every active member "
        "on its\n"
        "roster has told its daemon how much of the coordinator's log it "
        "holds, and\n"
        "the daemon has fetched what they hold past the copy. 'vocfed "
        "status' shows\n"
        "the fence. When a member is gone for good and will never say, "
        "unfence\n"
        "--force lifts the fence by hand: the coordinator signs again at "
        "once. Should\n"
        "that member come back holding entries the coordinator lacked, it "
        "raises\n"
        "coordinator-conflict and takes nothing more from the coordinator "
        "until an\n"
        "operator acts (docs/ADMIN.md §12). A member's fence is not lifted "
        "by hand.\n"
        "\n"
        "Options:\n"
        "  --force       lift it (without it, unfence only says what it "
        "would do)\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 lifted or not fenced, 1 --force not given, 2 usage "
        "error or\n"
        "a member's store, 3 no store.\n",
    .run = s_run,
    .needs = CLI_NEEDS_IDENTITY,
};
