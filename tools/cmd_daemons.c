/* vocfed coordinator, vocfed node and vocfed sync: the replication roles
 * (SPEC 10). They share how the coordinator's address and key are found:
 * options first, then DIR/vocfed.cfg. */
#include "node/config.h"
#include "node/coordinator.h"
#include "node/daemon.h"
#include "node/member.h"
#include "tools/cli.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The --coordinator line of the help of node and sync. */
#define S_HELP_COORDINATOR                                                     \
    "  --coordinator ENDPOINT  e.g. tcp://127.0.0.1:7700 (default: "           \
    "DIR/vocfed.cfg)\n"

/* Options of the three commands; each takes the ones it needs. */
typedef struct {
    const char *listen;      /* --listen */
    const char *coordinator; /* --coordinator */
    const char *key;         /* --coordinator-key */
    uint64_t timeout_s;      /* --timeout */
    bool verbose;            /* --verbose */
    uint64_t abuse_s;        /* --abuse-interval */
    uint64_t heartbeat_s;    /* --heartbeat (the daemons) */
    bool daemon;             /* node, not sync: takes --heartbeat */
    uint64_t rate_msgs;      /* --rate-msgs (0: the default) */
    uint64_t rate_bytes;     /* --rate-bytes (0: the default) */
} s_opts_t;

static int
s_opt_rate_msgs(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    if (!(*(uint64_t *)opt->target = node_rate_msgs(value)))
        return cli_usage_error(cli,
                               "--rate-msgs '%s' is not a number of messages "
                               "a second from 1 to %d",
                               value, NODE_RATE_MSGS_MAX);
    return CLI_GO_ON;
}

static int
s_opt_rate_bytes(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    if (!(*(uint64_t *)opt->target = node_rate_bytes(value)))
        return cli_usage_error(cli,
                               "--rate-bytes '%s' is not a number of bytes a "
                               "second from 1M to 16G (a number, or one "
                               "ending in K, M or G)",
                               value);
    return CLI_GO_ON;
}

static int
s_parse(cli_t *cli, int argc, char **argv, bool member, s_opts_t *o)
{
    bool once = false; /* sync always runs once; the daemon is `vocfed node` */
    const cli_opt_t coord_opts[] = {
        CLI_STR("listen", &o->listen),
        CLI_SECONDS("abuse-interval", &o->abuse_s, 1, 3600),
        CLI_SECONDS("heartbeat", &o->heartbeat_s, 1, 600),
        CLI_FN("rate-msgs", &o->rate_msgs, s_opt_rate_msgs),
        CLI_FN("rate-bytes", &o->rate_bytes, s_opt_rate_bytes),
        CLI_FLAG("verbose", &o->verbose),
        CLI_END,
    };
    const cli_opt_t member_opts[] = {
        CLI_STR("coordinator", &o->coordinator),
        CLI_STR("coordinator-key", &o->key),
        CLI_FLAG("once", &once),
        CLI_SECONDS("timeout", &o->timeout_s, 1, 86400),
        CLI_FLAG("verbose", &o->verbose),
        CLI_END,
    };
    const cli_opt_t node_opts[] = {
        CLI_STR("coordinator", &o->coordinator),
        CLI_STR("coordinator-key", &o->key),
        CLI_SECONDS("heartbeat", &o->heartbeat_s, 1, 600),
        CLI_FLAG("verbose", &o->verbose),
        CLI_END,
    };
    return cli_parse(cli,
                     !member     ? coord_opts
                     : o->daemon ? node_opts
                                 : member_opts,
                     argc, argv, NULL);
}

/* Checks the store is a node of the right role. */
static int
s_check_role(cli_t *cli, bool coordinator)
{
    node_t *node;
    int rc = cli_node(cli, &node);
    if (rc)
        return rc;
    bool is_coord = node_is_coordinator(node);
    /* The daemon opens the store itself: one LMDB environment per
     * process. */
    cli_node_close(cli);
    if (coordinator && !is_coord) {
        cli_error("%s is not a coordinator node (made by 'vocfed init "
                  "--coordinator')",
                  cli->dir);
        return CLI_EXIT_USAGE;
    }
    if (!coordinator && is_coord) {
        cli_error("%s is a coordinator node: run 'vocfed coordinator'",
                  cli->dir);
        return CLI_EXIT_USAGE;
    }
    return CLI_GO_ON;
}

/* Reads DIR/vocfed.cfg; a value not of its form is a usage error that
 * names the key (and 'vocfed config set' to fix it). */
static int
s_load_config(const cli_t *cli, node_config_t *cfg)
{
    char why[320] = "";
    int rc = node_config_load_why(cli->dir, cfg, why, sizeof why);
    if (rc == VOCFED_EMALFORMED) {
        cli_error("%s/%s: %s (see 'vocfed config --help')", cli->dir,
                  NODE_CONFIG_FILE, why);
        return CLI_EXIT_USAGE;
    }
    if (rc)
        return cli_fail(rc, "cannot read %s/%s", cli->dir, NODE_CONFIG_FILE);
    return CLI_GO_ON;
}

/* Checks the endpoint options given: before the store is opened. */
static int
s_check_endpoints(cli_t *cli, const s_opts_t *o)
{
    int rc;
    if (o->listen && (rc = cli_check_endpoint(cli, "--listen", o->listen,
                                              NODE_ENDPOINT_BIND)) != CLI_GO_ON)
        return rc;
    if (o->coordinator &&
        (rc = cli_check_endpoint(cli, "--coordinator", o->coordinator,
                                 NODE_ENDPOINT_DIAL)) != CLI_GO_ON)
        return rc;
    return CLI_GO_ON;
}

static int
s_run_coordinator(cli_t *cli, int argc, char **argv)
{
    s_opts_t o = {0};
    node_config_t cfg;
    int rc;
    if ((rc = s_parse(cli, argc, argv, false, &o)) != CLI_GO_ON ||
        (rc = s_check_endpoints(cli, &o)) != CLI_GO_ON ||
        (rc = s_check_role(cli, true)) != CLI_GO_ON ||
        (rc = s_load_config(cli, &cfg)) != CLI_GO_ON)
        return rc;
    node_coordinator_opts_t co = {
        .dir = cli->dir,
        .verbose = o.verbose,
        .abuse_interval_ms = o.abuse_s * 1000,
        .heartbeat_ms = o.heartbeat_s ? o.heartbeat_s * 1000
                                      : node_config_heartbeat_ms(&cfg),
        .listen = o.listen        ? o.listen
                  : cfg.listen[0] ? cfg.listen
                                  : NODE_DEFAULT_LISTEN,
        .rate_msgs = o.rate_msgs ? o.rate_msgs : node_rate_msgs(cfg.rate_msgs),
        .rate_bytes =
            o.rate_bytes ? o.rate_bytes : node_rate_bytes(cfg.rate_bytes),
        .rate_msgs_fixed = o.rate_msgs != 0,
        .rate_bytes_fixed = o.rate_bytes != 0,
    };
    rc = node_coordinator_run(&co);
    if (rc == VOCFED_ELOCKED)
        return cli_fail(rc, "another daemon is running on %s", cli->dir);
    if (rc)
        return cli_fail(rc, "coordinator on %s stopped", co.listen);
    return CLI_EXIT_OK;
}

const cli_cmd_t cmd_coordinator = {
    .name = "coordinator",
    .large = true,
    .summary = "run the coordinator daemon (members replicate to it)",
    .usage =
        "Usage: vocfed coordinator [--listen ENDPOINT] [--abuse-interval "
        "SECONDS]\n"
        "                          [--heartbeat SECONDS] [--rate-msgs N]\n"
        "                          [--rate-bytes N] [--verbose]\n"
        "\n"
        "Runs the group's coordinator on a node made by 'vocfed init "
        "--coordinator'.\n"
        "Members on the roster ('vocfed members') connect with CURVE; any "
        "other key\n"
        "is refused before its connection reaches the program. Every batch "
        "is\n"
        "verified against the member's signed checkpoints and committed "
        "before a\n"
        "signed receipt goes back. Stops cleanly on SIGINT or SIGTERM.\n"
        "\n"
        "Every member holds a verified copy of the coordinator's log and "
        "says how\n"
        "much of it it holds: a coordinator put back from a copy fetches "
        "what a member\n"
        "holds past it (checked against its own key). A store put back "
        "from 'vocfed\n"
        "backup', or given entries of its own log it lacked, is fenced: it "
        "signs\n"
        "nothing until every active member has said, and 'vocfed status' "
        "shows it\n"
        "('vocfed unfence' for a member gone for good).\n"
        "\n"
        "Options:\n"
        "  --listen ENDPOINT  where to listen (default: 'listen' in "
        "DIR/vocfed.cfg,\n"
        "                     then tcp://127.0.0.1:7700)\n"
        "  --abuse-interval SECONDS\n"
        "                     a member's abuse (malformed, oversized, "
        "replayed or\n"
        "                     refused batches, floods, replies it does not "
        "read) is\n"
        "                     counted always, logged once per interval, and "
        "over 512\n"
        "                     in one interval the member is throttled (all "
        "it sends\n"
        "                     dropped unread) until the interval ends; "
        "default 10\n"
        "  --heartbeat SECONDS\n"
        "                     the members' heartbeat interval (give them the "
        "same):\n"
        "                     a member not heard from for three intervals, "
        "or whose\n"
        "                     connection closed, is shown not connected; "
        "default:\n"
        "                     'heartbeat' in DIR/vocfed.cfg, then 5\n"
        "  --rate-msgs N      each member's rate: N messages a second, "
        "bursts of 2N\n"
        "                     (1 to 1000000; default: 'rate_msgs' in "
        "DIR/vocfed.cfg,\n"
        "                     then 2000)\n"
        "  --rate-bytes N     and N bytes a second, bursts of 1.5N (1M to "
        "16G, with\n"
        "                     K, M, G for KiB, MiB, GiB; default: "
        "'rate_bytes' in\n"
        "                     DIR/vocfed.cfg, then 64M). What a member "
        "sends past its\n"
        "                     rate waits, in order, and is read as its rate "
        "allows: a\n"
        "                     fast member is slowed, never dropped, and read "
        "past its\n"
        "                     rate whenever the coordinator has nothing else "
        "to read\n"
        "                     (logged once per interval). SIGHUP reads both "
        "from\n"
        "                     DIR/vocfed.cfg again (a rate given here stays)\n"
        "  --verbose          log every batch\n"
        "  --dir DIR          the store folder (default $VOCFED_DIR, then "
        "./vocfed-data)\n"
        "  -h, --help         print this help\n"
        "\n"
        "Exit status: 0 stopped cleanly, 2 usage error (or not a "
        "coordinator),\n"
        "3 environment (store missing or held by another daemon, address in "
        "use).\n",
    .run = s_run_coordinator,
    .needs = CLI_NEEDS_IDENTITY,
};

/* The start of node and sync: parses the options into o, checks the
 * store is a member's, and finds where the coordinator is (options, then
 * the config file). mo points into cfg: the caller keeps it alive. */
static int
s_member_opts(cli_t *cli, int argc, char **argv, s_opts_t *o,
              node_config_t *cfg, node_member_opts_t *mo)
{
    int rc;
    if ((rc = s_parse(cli, argc, argv, true, o)) != CLI_GO_ON ||
        (rc = s_check_endpoints(cli, o)) != CLI_GO_ON ||
        (rc = s_check_role(cli, false)) != CLI_GO_ON ||
        (rc = s_load_config(cli, cfg)) != CLI_GO_ON)
        return rc;
    mo->dir = cli->dir;
    mo->debug = o->verbose;
    mo->heartbeat_ms =
        o->heartbeat_s ? o->heartbeat_s * 1000 : node_config_heartbeat_ms(cfg);
    mo->coordinator = o->coordinator        ? o->coordinator
                      : cfg->coordinator[0] ? cfg->coordinator
                                            : NULL;
    const char *key = o->key                    ? o->key
                      : cfg->coordinator_key[0] ? cfg->coordinator_key
                                                : NULL;
    /* The id the settings name goes with the settings' key. */
    if (!o->key)
        mo->coordinator_id = cfg->coordinator_id;
    if (!mo->coordinator || !key)
        return cli_usage_error(cli, "where is the coordinator? give "
                                    "--coordinator ENDPOINT and "
                                    "--coordinator-key HEX (or save them "
                                    "with 'vocfed init')");
    return cli_parse_pubkey(cli, "--coordinator-key", key, mo->coordinator_pk);
}

static int
s_run_node(cli_t *cli, int argc, char **argv)
{
    s_opts_t o = {.daemon = true};
    node_member_opts_t mo = {0};
    node_config_t cfg;
    int rc = s_member_opts(cli, argc, argv, &o, &cfg, &mo);
    if (rc != CLI_GO_ON)
        return rc;
    rc = node_member_run(&mo, NULL);
    if (rc == VOCFED_ELOCKED)
        return cli_fail(rc, "another daemon is running on %s", cli->dir);
    if (rc)
        return cli_fail(rc, "node stopped");
    return CLI_EXIT_OK;
}

const cli_cmd_t cmd_node = {
    .name = "node",
    .large = true,
    .summary = "run the member daemon (replicates to the coordinator)",
    .usage =
        "Usage: vocfed node [--coordinator ENDPOINT] [--coordinator-key "
        "HEX]\n"
        "                   [--heartbeat SECONDS] [--verbose]\n"
        "\n"
        "Runs a member node: dials the coordinator with CURVE, sends this "
        "node's\n"
        "signed log from where the coordinator's copy stands, in batches "
        "within a\n"
        "window of bytes in flight, checks every receipt, pulls the "
        "coordinator's\n"
        "own log (roster, targets, figures), and sends new entries within "
        "moments\n"
        "of their commit by any process. Resumes after any disconnection. "
        "Stops\n"
        "cleanly on SIGINT or SIGTERM; SIGHUP it logs and runs on (it has "
        "nothing\n"
        "to read again: a changed vocfed.cfg needs a restart).\n"
        "\n"
        "Each side hears from the other at least once a heartbeat interval; "
        "a\n"
        "coordinator not heard from for three is taken as not connected. A "
        "connection\n"
        "that fails (refused, timed out, a refused handshake: a wrong "
        "coordinator\n"
        "key, or this node not on the roster or suspended) is logged once "
        "per try,\n"
        "with its cause, the tries spaced 1, 2, 4, ... up to 60 s apart; the "
        "cause is\n"
        "an alarm in 'vocfed status' until the connection works.\n"
        "\n"
        "Options:\n" S_HELP_COORDINATOR
        "  --coordinator-key HEX   the coordinator's public key, 64 hex "
        "digits\n"
        "                          (default: DIR/vocfed.cfg, where a\n"
        "                          coordinator_id also names the id the\n"
        "                          coordinator must say it has)\n"
        "  --heartbeat SECONDS     the heartbeat interval, the same as the\n"
        "                          coordinator's (default: 'heartbeat' in\n"
        "                          DIR/vocfed.cfg, then 5)\n"
        "  --verbose               log each change of the session's state\n"
        "                          (disconnected, hello-sent, level, "
        "back-off)\n"
        "  --dir DIR               the store folder (default $VOCFED_DIR, "
        "then\n"
        "                          ./vocfed-data)\n"
        "  -h, --help              print this help\n"
        "\n"
        "Exit status: 0 stopped cleanly, 2 usage error, 3 environment.\n",
    .run = s_run_node,
    .needs = CLI_NEEDS_IDENTITY,
};

static int
s_run_sync(cli_t *cli, int argc, char **argv)
{
    s_opts_t o = {.timeout_s = 60};
    node_member_opts_t mo = {0};
    node_member_stats_t st;
    node_config_t cfg;
    int rc = s_member_opts(cli, argc, argv, &o, &cfg, &mo);
    if (rc != CLI_GO_ON)
        return rc;
    mo.once = true;
    mo.timeout_ms = o.timeout_s * 1000;
    rc = node_member_run(&mo, &st);
    if (rc == VOCFED_OK) {
        printf("sync: level with %s: %" PRIu64 " entries sent, %" PRIu64
               " received\n",
               mo.coordinator, st.sent, st.received);
        return CLI_EXIT_OK;
    }
    if (rc == VOCFED_EINTERRUPTED) {
        cli_error("sync: not level with %s after %" PRIu64 " s (%" PRIu64
                  " entries sent, %" PRIu64 " received)",
                  mo.coordinator, o.timeout_s, st.sent, st.received);
        return CLI_EXIT_ENV;
    }
    if (rc == VOCFED_ELOCKED) {
        /* Our store has another daemon (the environment, SPEC 10.4). */
        int holder = node_daemon_holder(cli->dir);
        if (holder != 0)
            return cli_fail(rc,
                            "sync: another daemon (pid %d) is running on %s "
                            "and replicates it already",
                            holder, cli->dir);
        return cli_fail(rc, "sync: another daemon is running on %s", cli->dir);
    }
    if (rc == VOCFED_EDENIED) {
        /* The coordinator's ZAP handler refused us (logged above). */
        cli_error("sync: refused (see the message above)");
        return CLI_EXIT_FAIL;
    }
    if (rc == VOCFED_ESTORAGEFULL) {
        /* Ours or the coordinator's: the lines above say whose. */
        cli_error("sync: storage full (this node's or the coordinator's, see "
                  "above): nothing that was not stored was acknowledged; run "
                  "sync again once there is room");
        return CLI_EXIT_FAIL;
    }
    cli_error("sync: the coordinator refused something: %s (%s)",
              vocfed_strerror(rc), vocfed_status_token(rc));
    return CLI_EXIT_FAIL;
}

const cli_cmd_t cmd_sync = {
    .name = "sync",
    .large = true,
    .summary = "bring this node and the coordinator level once, then exit",
    .usage =
        "Usage: vocfed sync [--coordinator ENDPOINT] [--coordinator-key HEX]"
        " [--once]\n"
        "                   [--timeout SECONDS] [--verbose]\n"
        "\n"
        "Connects to the coordinator, sends what it lacks of this node's "
        "log, takes\n"
        "what this node lacks of the coordinator's log, and exits when both "
        "sides\n"
        "are level (for cron and scripts). --once is accepted and is what "
        "sync\n"
        "always does; the long-running form is 'vocfed node'.\n"
        "\n"
        "Options:\n" S_HELP_COORDINATOR
        "  --coordinator-key HEX   its public key (default: DIR/vocfed.cfg,\n"
        "                          with the id it must say it has, if set)\n"
        "  --timeout SECONDS       give up after this long (default 60)\n"
        "  --verbose               log each change of the session's state\n"
        "  --dir DIR               the store folder\n"
        "  -h, --help              print this help\n"
        "\n"
        "Exit status: 0 level, 1 the coordinator refused something (or this"
        " node),\n"
        "2 usage error, 3 environment (unreachable, timeout, store).\n",
    .run = s_run_sync,
    .needs = CLI_NEEDS_IDENTITY,
};
