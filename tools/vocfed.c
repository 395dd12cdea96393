/* vocfed: the command's entry point; dispatches to tools/cmd_<name>.c
 * (DESIGN 8). */
#include "node/log.h"
#include "tools/cli.h"
#include "tools/thp.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_cmd_t *const s_cmds[] = {
    &cmd_init,    &cmd_whoami,  &cmd_put,     &cmd_del,         &cmd_get,
    &cmd_log,     &cmd_verify,  &cmd_members, &cmd_coordinator, &cmd_node,
    &cmd_sync,    &cmd_status,  &cmd_import,  &cmd_linkage_key, &cmd_report,
    &cmd_serve,   &cmd_demo,    &cmd_config,  &cmd_backup,      &cmd_restore,
    &cmd_unfence, &cmd_certify, &cmd_rekey,   &cmd_wait,
};

static void
s_usage(FILE *out)
{
    fputs("Usage: vocfed [--dir DIR] COMMAND [ARGS]\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++)
        fprintf(out, "  %-11s %s\n", s_cmds[i]->name, s_cmds[i]->summary);
    fputs("  help        print this list, or 'vocfed help COMMAND' for one\n"
          "\n"
          "Options (also accepted after the command):\n"
          "  --dir DIR     the node's store folder (default $VOCFED_DIR, "
          "then " CLI_DEFAULT_DIR ")\n"
          "  -h, --help    print this help\n"
          "  --version     print the version\n"
          "\n"
          "Environment:\n"
          "  VOCFED_DIR       the store folder when --dir is not given\n"
          "  VOCFED_MAP_SIZE  initial LMDB map size in bytes (it grows as "
          "needed)\n"
          "  GLIBC_TUNABLES   import, coordinator, node, sync, verify, "
          "backup and restore\n"
          "                   start again with glibc.malloc.hugetlb=1 added "
          "(malloc on\n"
          "                   huge pages); naming that tunable yourself "
          "(=0: off) stops it\n"
          "\n"
          "Exit status: 0 ok, 1 a failure found (tampering, no such record, "
          "a refused\n"
          "record), 2 usage error, 3 environment error (store missing or "
          "locked, other\n"
          "format version, bad key file, disk full).\n"
          "Run 'vocfed COMMAND --help' for a command's arguments.\n",
          out);
}

static const cli_cmd_t *
s_find(const char *name)
{
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++)
        if (strcmp(s_cmds[i]->name, name) == 0)
            return s_cmds[i];
    return NULL;
}

/* vocfed help [COMMAND] */
static int
s_help(cli_t *cli, int argc, char **argv)
{
    if (argc == 1) {
        s_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2)
        return cli_usage_error(cli, "help takes at most one command");
    const cli_cmd_t *cmd = s_find(argv[1]);
    if (!cmd)
        return cli_usage_error(cli, "unknown command '%s'", argv[1]);
    cli_print_usage(cmd, stdout);
    return CLI_EXIT_OK;
}

static int
s_run(int argc, char **argv)
{
    enum { OPT_VERSION = CLI_OPT_DIR + 1 };
    static const struct option longopts[] = {
        CLI_COMMON_LONGOPTS,
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    cli_t cli = {.dir = CLI_DEFAULT_DIR, .cmd = NULL, .node = NULL};
    const char *env = getenv("VOCFED_DIR");
    if (env && env[0] != '\0')
        cli.dir = env;

    /* "+": stop at the command; its own options are its business. */
    cli_getopt_reset();
    int c, rc;
    while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS, longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'h':
            s_usage(stdout);
            return CLI_EXIT_OK;
        case OPT_VERSION:
            printf("vocfed %s (store format %d, entry format %d)\n",
                   VOCFED_VERSION, STORE_FORMAT_VERSION, PROTO_ENTRY_VERSION);
            return CLI_EXIT_OK;
        default:
            if ((rc = cli_opt_common(&cli, c, argv)) != CLI_GO_ON)
                return rc;
        }
    }
    if (optind >= argc)
        return cli_usage_error(&cli, "no command given");
    char **cargv = argv + optind;
    int cargc = argc - optind;
    if (strcmp(cargv[0], "help") == 0)
        return s_help(&cli, cargc, cargv);
    cli.cmd = s_find(cargv[0]);
    if (!cli.cmd)
        return cli_usage_error(&cli, "unknown command '%s'", cargv[0]);
    if (cli.cmd->large)
        thp_reexec(argv); /* returns when it did not */
    cli_getopt_reset();
    /* The command opens the node it declared (cli_node) once it has
     * checked its command line; it is closed here, the key wiped. */
    rc = cli.cmd->run ? cli.cmd->run(&cli, cargc, cargv)
                      : cli_run_json(&cli, cargc, cargv, cli.cmd->show);
    cli_node_close(&cli);
    return rc;
}

/* czmq logs to stdout unless told otherwise, and stdout carries results
 * that scripts parse (--json): send log lines (e.g. the store's "map
 * grown") to stderr, dated in UTC or left to the journal (node/log.h).
 * Setting the stream starts czmq; keep the default SIGINT/SIGTERM action
 * while doing so, since no command here polls zsys_interrupted (unless
 * the user's environment says otherwise). */
static void
s_logging(void)
{
    if (setenv("ZSYS_SIGHANDLER", "false", 0) != 0)
        return;
    if (node_log_init() != 0)
        cli_error("log lines keep czmq's local-time dates: cannot make the "
                  "log stream");
}

int
main(int argc, char **argv)
{
    s_logging();
    int rc = s_run(argc, argv);
    /* A full disk or a closed pipe must not pass for success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("cannot write output: %s", strerror(errno));
        if (rc == CLI_EXIT_OK)
            rc = CLI_EXIT_ENV;
    }
    return rc;
}
