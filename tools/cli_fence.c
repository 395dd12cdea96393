/* vocfed: a fenced store fetches its own log before a command signs
 * (SPEC 5.2 fence, 10.6). */
#include "tools/cli_fence.h"
#include "node/config.h"
#include "node/daemon.h"
#include "node/member.h"
#include "protocol/clock.h"
#include "storage/backup.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#define S_SYNC_MS 30000 /* the one-shot session, and the wait for a daemon */
#define S_POLL_MS 200   /* how often the wait looks at the fence */

/* The coordinator from DIR/vocfed.cfg into mo (pointing into cfg).
 * Returns 0 or an exit code after saying why. */
static int
s_where(cli_t *cli, node_config_t *cfg, node_member_opts_t *mo)
{
    char why[320] = "";
    int rc = node_config_load_why(cli->dir, cfg, why, sizeof why);
    if (rc)
        return cli_fail(rc, "cannot read %s/%s %s", cli->dir, NODE_CONFIG_FILE,
                        why);
    if (!cfg->coordinator[0] || !cfg->coordinator_key[0]) {
        cli_error("%s/%s does not say where the coordinator is: start the "
                  "daemon or run 'vocfed sync' with --coordinator and "
                  "--coordinator-key",
                  cli->dir, NODE_CONFIG_FILE);
        return CLI_EXIT_ENV;
    }
    mo->dir = cli->dir;
    mo->coordinator = cfg->coordinator;
    mo->coordinator_id = cfg->coordinator_id;
    mo->once = true;
    mo->timeout_ms = S_SYNC_MS;
    return cli_parse_pubkey(cli, "coordinator_key", cfg->coordinator_key,
                            mo->coordinator_pk) == CLI_GO_ON
               ? 0
               : CLI_EXIT_USAGE;
}

/* A daemon runs on the store: it fetches; wait (a deadline) for its
 * fence to go. Returns 0 or VOCFED_EFENCED. */
static int
s_wait_daemon(cli_t *cli, node_t **node)
{
    uint64_t end = proto_mono_ms() + S_SYNC_MS;
    char why[256];
    do {
        if (cli_node(cli, node))
            return VOCFED_EFENCED;
        if (store_fence_get(node_store(*node), why, sizeof why) ==
            VOCFED_ENOTFOUND)
            return 0;
        cli_node_close(cli);
        poll(NULL, 0, S_POLL_MS);
    } while (proto_mono_ms() < end);
    return VOCFED_EFENCED;
}

int
cli_member_once(cli_t *cli, uint64_t timeout_ms, node_member_stats_t *stats,
                int *status)
{
    node_config_t cfg;
    node_member_opts_t mo = {0};
    int rc = s_where(cli, &cfg, &mo);
    if (rc)
        return rc;
    mo.timeout_ms = timeout_ms;
    cli_node_close(cli);
    *status = node_member_run(&mo, stats);
    return CLI_EXIT_OK;
}

/* A fenced coordinator (SPEC 10.7): its daemon fetches its own log from
 * the members; a command waits for that (a deadline), or says what to
 * do when no daemon runs. */
static int
s_coordinator_fenced(cli_t *cli, node_t **node, const char *why)
{
    if (node_daemon_holder(cli->dir) == 0) {
        cli_error("nothing signed: this coordinator is fenced (%s): start "
                  "its daemon ('vocfed coordinator'): it fetches its own log "
                  "from the members and lifts the fence once every active "
                  "member has given its copy ('vocfed status')",
                  why);
        return CLI_EXIT_FAIL;
    }
    fprintf(stderr,
            "vocfed: this coordinator is fenced (%s): waiting up to %d s for "
            "its daemon to recover its own log from the members\n",
            why, S_SYNC_MS / 1000);
    cli_node_close(cli);
    if (s_wait_daemon(cli, node) == VOCFED_OK)
        return CLI_EXIT_OK;
    cli_error("nothing signed: this coordinator is still fenced: it signs "
              "nothing until every active member has given its copy of its "
              "log ('vocfed status' says which are awaited; 'vocfed "
              "unfence' when one is gone for good)");
    return CLI_EXIT_FAIL;
}

int
cli_unfence(cli_t *cli, node_t **node)
{
    char why[256];
    int rc = store_fence_get(node_store(*node), why, sizeof why);
    if (rc == VOCFED_ENOTFOUND)
        return CLI_EXIT_OK;
    if (rc)
        return cli_fail(rc, "cannot read the store in %s", cli->dir);
    node_config_t cfg;
    node_member_opts_t mo = {0};
    if (node_is_coordinator(*node))
        return s_coordinator_fenced(cli, node, why);
    fprintf(stderr,
            "vocfed: this store is fenced (%s): fetching its own log from "
            "the coordinator before signing\n",
            why);
    if ((rc = s_where(cli, &cfg, &mo)))
        return rc;
    cli_node_close(cli);
    rc = node_member_run(&mo, NULL);
    if (rc == VOCFED_ELOCKED)
        rc = s_wait_daemon(cli, node);
    else if (rc == VOCFED_OK)
        rc = cli_node(cli, node) ? VOCFED_EFENCED : VOCFED_OK;
    if (rc == VOCFED_OK &&
        store_fence_get(node_store(*node), why, sizeof why) == VOCFED_OK)
        rc = VOCFED_EFENCED; /* the session found another history */
    if (rc)
        return cli_fail(rc, "nothing signed: the store could not fetch its "
                            "own log from the coordinator ('vocfed status' "
                            "says why)");
    return CLI_EXIT_OK;
}
