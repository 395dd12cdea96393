/* vocfed: what every subcommand of the vocfed command shares (DESIGN 8).
 *
 * The exit codes and the mapping from vocfed statuses to them, the error
 * messages, the table-driven option parser (cli_parse), opening the node
 * a command declares it needs (cli_cmd_t.needs, cli_node: node_open with
 * the messages of the command line), and the conversion of entries and
 * record bodies to JSON. Each subcommand lives in tools/cmd_<name>.c and
 * exports one cli_cmd_t; tools/vocfed.c dispatches to them and closes the
 * node after the command ran. */
#ifndef VOCFED_TOOLS_CLI_H
#define VOCFED_TOOLS_CLI_H

#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/kinds.h"
#include "protocol/status.h"
#include "node/endpoint.h"
#include "node/meta.h"
#include "node/node.h"
#include "storage/store.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef VOCFED_VERSION
#define VOCFED_VERSION "0.1.0"
#endif

/* Exit codes (DESIGN 8). */
enum {
    CLI_EXIT_OK = 0,    /* done */
    CLI_EXIT_FAIL = 1,  /* a failure found: tampering, no such record,
                           a refused record */
    CLI_EXIT_USAGE = 2, /* bad command line */
    CLI_EXIT_ENV = 3,   /* environment: store missing, locked, other
                           version, bad key file, disk full */
};

/* Returned by cli_opt_common when parsing goes on. */
#define CLI_GO_ON (-1)

/* getopt_long values of the options every command takes. */
enum {
    CLI_OPT_DIR = 256, /* --dir DIR */
};

/* The long options every command takes; put it before the terminator. */
#define CLI_COMMON_LONGOPTS                                                    \
    {"dir", required_argument, NULL, CLI_OPT_DIR},                             \
    {                                                                          \
        "help", no_argument, NULL, 'h'                                         \
    }

/* The short options every command takes (":" first: getopt_long reports a
 * missing value as ':' and prints nothing itself). */
#define CLI_COMMON_SHORTOPTS ":h"

/* The default store folder when neither --dir nor $VOCFED_DIR is given. */
#define CLI_DEFAULT_DIR "./vocfed-data"

/* The help lines of --dir and --help, as most usage texts end their
 * options. */
#define CLI_HELP_COMMON                                                        \
    "  --dir DIR     the store folder (default $VOCFED_DIR, then "             \
    "./vocfed-data)\n"                                                         \
    "  -h, --help    print this help\n"

/* A node's display name: printable UTF-8, at most this many bytes. */
#define CLI_NAME_MAX PROTO_KEY_MAX
/* A role name (see cli_role_valid), at most this many bytes. */
#define CLI_ROLE_MAX 32
/* The node_role of the node that keeps the roster (DESIGN 1). */
#define CLI_ROLE_COORDINATOR NODE_ROLE_COORDINATOR

typedef struct cli cli_t;

/* Runs a command on argv[0..argc) (argv[0] is the command name). Returns
 * an exit code. */
typedef int (*cli_run_fn)(cli_t *cli, int argc, char **argv);

/* What a command that takes --json and nothing else does with its node:
 * prints it (as JSON when json) and returns an exit code. */
typedef int (*cli_show_fn)(cli_t *cli, node_t *node, bool json);

/* What a command needs of the node (git's RUN_SETUP): cli_node opens it
 * so, once the command has checked its command line, and vocfed.c closes
 * it after the command ran. */
enum {
    CLI_NEEDS_STORE = 1 << 0,    /* the store, figures attached */
    CLI_NEEDS_IDENTITY = 1 << 1, /* and the identity init wrote */
    CLI_NEEDS_KEY = 1 << 2,      /* and the secret key (cli_node_key) */
    CLI_NEEDS_SETTINGS = 1 << 3, /* and vocfed.cfg, the coordinator found */
    CLI_NEEDS_CREATE = 1 << 4,   /* make the store if there is none */
};

/* One subcommand. */
typedef struct {
    const char *name;              /* what the user types: "put" */
    const char *summary;           /* one line for `vocfed --help` */
    const char *usage;             /* the full `vocfed put --help` text */
    cli_run_fn run;                /* does the work; NULL with show */
    cli_show_fn show;              /* or, for a command that takes --json
                                      and nothing else, prints the node
                                      (cli_run_json) */
    void (*usage_more)(FILE *out); /* prints more help after usage (e.g.
                                      from a table), or NULL */
    unsigned needs;                /* CLI_NEEDS_*: what cli_node opens */
    bool large;                    /* works through large data: started
                                      again on huge pages (tools/thp.h) */
} cli_cmd_t;

/* The state of one vocfed run. */
struct cli {
    const char *dir;      /* store folder: --dir, $VOCFED_DIR, or default */
    const cli_cmd_t *cmd; /* the command running, for its messages */
    node_t *node;         /* the node cli_node opened, or NULL; owned */
    unsigned open_flags;  /* NODE_OPEN_* cli_node adds (a command's
                             option: report --no-catch-up) */
};

/* How cli_parse treats one option. */
typedef enum {
    CLI_ARG_FLAG, /* target is a bool *: set to true */
    CLI_ARG_STR,  /* target is a const char **: the value (argv's) */
    CLI_ARG_ID,   /* as STR, checked with cli_check_id first */
    CLI_ARG_FN,   /* fn(cli, opt, value) handles it */
} cli_arg_t;

typedef struct cli_opt cli_opt_t;

/* Handles one option for cli_parse: value is optarg (NULL for none),
 * opt->target where it goes. Returns CLI_GO_ON, or an exit code after
 * printing why. */
typedef int (*cli_opt_fn)(cli_t *cli, const cli_opt_t *opt, const char *value);

/* One option of a command, for cli_parse (git's struct option). A table
 * ends with CLI_END. --dir and --help are every command's and need no
 * entry; the usage text of the command (cli_cmd_t) is the options' help. */
struct cli_opt {
    const char *name; /* the long name without "--" */
    char letter;      /* the short option (-q), or 0 */
    int has_arg;      /* no_argument, required_argument, optional_argument */
    cli_arg_t how;    /* what to do with it */
    void *target;     /* where it goes (see cli_arg_t) */
    cli_opt_fn fn;    /* CLI_ARG_FN: the handler */
    uint64_t min;     /* CLI_ARG_FN: a number's range, for fn */
    uint64_t max;     /* (cli_opt_seconds) */
};

/* Table entries: a flag, a string, a node id, a handler, the end. */
#define CLI_FLAG(name, target)                                                 \
    {                                                                          \
        (name), 0, no_argument, CLI_ARG_FLAG, (target), NULL, 0, 0             \
    }
#define CLI_STR(name, target)                                                  \
    {                                                                          \
        (name), 0, required_argument, CLI_ARG_STR, (target), NULL, 0, 0        \
    }
#define CLI_ID(name, target)                                                   \
    {                                                                          \
        (name), 0, required_argument, CLI_ARG_ID, (target), NULL, 0, 0         \
    }
#define CLI_FN(name, target, fn)                                               \
    {                                                                          \
        (name), 0, required_argument, CLI_ARG_FN, (target), (fn), 0, 0         \
    }
#define CLI_SECONDS(name, target, min, max)                                    \
    {                                                                          \
        (name), 0, required_argument, CLI_ARG_FN, (target), cli_opt_seconds,   \
            (min), (max)                                                       \
    }
#define CLI_END                                                                \
    {                                                                          \
        NULL, 0, 0, 0, NULL, NULL, 0, 0                                        \
    }

/* A handler for a number of seconds in [opt->min, opt->max] into the
 * uint64_t opt->target; refuses anything else with "--NAME takes MIN to
 * MAX seconds, not 'VALUE'". */
int cli_opt_seconds(cli_t *cli, const cli_opt_t *opt,
                    const char *value) VOCFED_WUR;

/* What cli_entry_json puts in the object besides author, seq, time_ms,
 * time, kind, key and body. */
enum {
    CLI_ENTRY_OP = 1 << 0,   /* "op": "put" | "del" */
    CLI_ENTRY_LEAF = 1 << 1, /* "leaf": hex of the BLAKE2b leaf hash */
};

/* The commands (one per tools/cmd_<name>.c). */
extern const cli_cmd_t cmd_init;
extern const cli_cmd_t cmd_config;
extern const cli_cmd_t cmd_whoami;
extern const cli_cmd_t cmd_put;
extern const cli_cmd_t cmd_del;
extern const cli_cmd_t cmd_get;
extern const cli_cmd_t cmd_log;
extern const cli_cmd_t cmd_verify;
extern const cli_cmd_t cmd_members;
extern const cli_cmd_t cmd_certify;
extern const cli_cmd_t cmd_coordinator;
extern const cli_cmd_t cmd_node;
extern const cli_cmd_t cmd_sync;
extern const cli_cmd_t cmd_status;
extern const cli_cmd_t cmd_import;
extern const cli_cmd_t cmd_linkage_key;
extern const cli_cmd_t cmd_report;
extern const cli_cmd_t cmd_serve;
extern const cli_cmd_t cmd_demo;
extern const cli_cmd_t cmd_backup;
extern const cli_cmd_t cmd_restore;
extern const cli_cmd_t cmd_unfence;
extern const cli_cmd_t cmd_rekey;
extern const cli_cmd_t cmd_wait;

/* The exit code for a status that ended a command: 0 for 0, 1 for a
 * failure found in the data or a refused request (malformed, bad
 * signature, not found, invalid...), 3 for environment trouble (version,
 * lock, key file, storage full, storage engine, memory, -errno). */
int cli_exit_code(int status);

/* Prints "vocfed: MESSAGE" and a newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 0 when cli->dir holds no store; else says "a store already exists in
 * DIR (format version N): refusal" (or why it could not look) and
 * returns the exit code. For the commands that make a store. */
int cli_no_store(const cli_t *cli, const char *refusal);

/* Prints "vocfed: MESSAGE: <vocfed_strerror(status)>" on stderr and
 * returns cli_exit_code(status). */
int cli_fail(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "vocfed: MESSAGE" and a hint to the command's --help on stderr;
 * returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the command's usage text on out. */
void cli_print_usage(const cli_cmd_t *cmd, FILE *out);

/* Makes getopt_long start afresh on a new argv (also its permutation
 * state, which optind = 1 alone does not reset with glibc). */
void cli_getopt_reset(void);

/* The arguments left after the options. */
typedef struct {
    char **v; /* the first; points into argv */
    size_t n; /* how many */
} cli_args_t;

/* Parses the options of argv (argv[0] is the command's name) by the
 * table opts (ending with CLI_END), with --dir and --help, in the order
 * given. Options and arguments may mix; "--" ends the options. With args
 * NULL any argument is refused ("unexpected argument"); else *args are
 * the arguments (argv permuted). Returns CLI_GO_ON, CLI_EXIT_OK after
 * printing the help, or an exit code after printing what was wrong. */
int cli_parse(cli_t *cli, const cli_opt_t *opts, int argc, char **argv,
              cli_args_t *args) VOCFED_WUR;

/* cli_parse for a command whose first argument names a subcommand
 * (members add|list|..., linkage-key generate|import). Returns CLI_GO_ON
 * with args->n >= 1, or an exit code after printing what was wrong: the
 * usage error missing when there is no argument. */
int cli_parse_sub(cli_t *cli, const cli_opt_t *opts, int argc, char **argv,
                  cli_args_t *args, const char *missing) VOCFED_WUR;

/* Runs a command with show (whoami, status): parses --json, opens the
 * node (cli_node), then calls show. Returns what show returns, or an exit
 * code after printing why it was not called. */
int cli_run_json(cli_t *cli, int argc, char **argv,
                 cli_show_fn show) VOCFED_WUR;

/* Handles what getopt_long returned for an option every command shares
 * (--dir, --help) or an error (':' and '?'). Returns CLI_GO_ON when
 * parsing goes on (--dir), CLI_EXIT_OK after printing the help, or
 * CLI_EXIT_USAGE after printing what was wrong. argv is the one given to
 * getopt_long. */
int cli_opt_common(cli_t *cli, int c, char **argv) VOCFED_WUR;

/* Parses a whole decimal number in [min, max] (no sign, no spaces).
 * Returns true and sets *out, or false. */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max,
                   uint64_t *out) VOCFED_WUR;

/* Checks an author id given on the command line (--author, --id).
 * Returns CLI_GO_ON if valid, else prints and returns CLI_EXIT_USAGE. */
int cli_check_id(const cli_t *cli, const char *opt, const char *id) VOCFED_WUR;

/* Checks an endpoint given on the command line (opt names it in the
 * message) with node_endpoint_check. Returns CLI_GO_ON if it is
 * tcp://HOST:PORT fit for use, else prints why and returns
 * CLI_EXIT_USAGE. */
int cli_check_endpoint(const cli_t *cli, const char *opt, const char *s,
                       node_endpoint_use_t use) VOCFED_WUR;

/* True when role is one of the roles of DESIGN 6 (member profile) or a
 * node role ("member", "coordinator"); the list is in the usage texts of
 * init and members. */
bool cli_role_valid(const char *role);

/* Parses an Ed25519 public key given on the command line (opt names it
 * in the message): 64 hex digits of a valid curve point. Returns
 * CLI_GO_ON with pk set, else prints and returns CLI_EXIT_USAGE. */
int cli_parse_pubkey(const cli_t *cli, const char *opt, const char *hex,
                     uint8_t pk[PROTO_PUBKEY_LEN]) VOCFED_WUR;

/* ---- record kinds (protocol/kinds.h) --------------------------------- */

/* The kind a command is asked to write. Returns CLI_GO_ON with *out
 * set, or CLI_EXIT_USAGE after printing why: an unknown kind (the
 * message lists the kinds) or the roster's kind (written by 'vocfed
 * members' only). */
int cli_kind_find(const cli_t *cli, const char *name,
                  const proto_kind_def_t **out) VOCFED_WUR;

/* Whether this node may write kind k (node_kind_allowed): the
 * coordinator's kinds (industry, target, subsidy_rule) only on the
 * coordinator, the others only on members. Returns CLI_GO_ON, or
 * CLI_EXIT_USAGE after printing why. */
int cli_kind_role_check(const node_t *node,
                        const proto_kind_def_t *k) VOCFED_WUR;

/* Prints "vocfed: WHAT refused: ..." for a key or value the kinds table
 * refused (field, value, the reason in Chinese and English) on stderr;
 * returns CLI_EXIT_FAIL. */
int cli_kind_refused(const char *what, const proto_kind_error_t *err);

/* Prints the kinds table for help texts: each kind, its key, and its
 * fields with their types ('*' marks a required field). */
void cli_print_kinds(FILE *out);

/* Opens the node in cli->dir as cli->cmd->needs says (CLI_NEEDS_*; the
 * key is left to cli_node_key), with the map size from $VOCFED_MAP_SIZE
 * if set, once: later calls give the same node. Returns 0 with *out
 * owned by cli (vocfed.c closes it), or an exit code after printing why:
 * CLI_EXIT_USAGE for a bad $VOCFED_MAP_SIZE, CLI_EXIT_ENV for a store
 * that is missing, locked, of another format version or unreadable, no
 * identity in it, or unreadable settings. */
int cli_node(cli_t *cli, node_t **out) VOCFED_WUR;

/* Loads the node's secret key (CLI_NEEDS_KEY) into the node cli_node
 * opened, for a command ready to sign. Returns 0, or CLI_EXIT_ENV after
 * printing why. */
int cli_node_key(cli_t *cli) VOCFED_WUR;

/* Closes the node cli_node opened, if any (before a daemon opens the
 * store itself). */
void cli_node_close(cli_t *cli);

/* The author a command reads: opt (already checked with cli_check_id)
 * if not NULL, else the node's own id from the meta data. Returns 0, or
 * an exit code after printing why: CLI_EXIT_FAIL when the store does not
 * know author opt, CLI_EXIT_ENV when the store has no node_id. */
int cli_author(const cli_t *cli, const node_t *node, const char *opt,
               char out[PROTO_ID_MAX + 1]) VOCFED_WUR;

/* Writes time_ms (ms since the Unix epoch) as ISO 8601 UTC with
 * milliseconds, "2026-11-29T05:33:04.123Z", into out (cap >= 32 bytes);
 * "?" if the time cannot be represented. */
void cli_format_time(uint64_t time_ms, char *out, size_t cap);

/* Converts an encoded body to a JSON object of its fields: strings,
 * integers, booleans, null. A NULL body (a del) gives JSON null. Returns
 * 0 with *out owned by the caller (json_decref), VOCFED_EMALFORMED (or
 * another decode status) for a body that does not decode, or
 * VOCFED_ENOMEM. */
int cli_body_json(const uint8_t *body, size_t len, json_t **out) VOCFED_WUR;

/* Decodes an encoded entry and converts it to a JSON object with author,
 * seq, time_ms, time (ISO UTC), kind, key and body, plus what flags asks
 * for (CLI_ENTRY_*). If e is not NULL it receives the decoded entry,
 * which borrows from data. Returns 0 with *out owned by the caller, a
 * decode status, or VOCFED_ENOMEM. */
int cli_entry_json(const uint8_t *data, size_t len, unsigned flags,
                   proto_entry_t *e, json_t **out) VOCFED_WUR;

/* Prints j compactly on one line of stdout. Returns 0, or an exit code
 * after printing why. Does not take j. */
int cli_json_print(const json_t *j);

/* cli_json_print, then json_decref: takes j. A NULL j (out of memory)
 * prints "cannot print WHAT" and returns the exit code. */
int cli_json_emit(json_t *j, const char *what);

#endif
