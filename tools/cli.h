/* vocfed: what every subcommand of the vocfed command shares (DESIGN 8).
 *
 * The exit codes and the mapping from vocfed statuses to them, the error
 * messages, option parsing helpers, opening the store, reading the node's
 * identity from the store's meta data, and the conversion of entries and
 * record bodies to JSON. Each subcommand lives in tools/cmd_<name>.c and
 * exports one cli_cmd_t; tools/vocfed.c dispatches to them. */
#ifndef VOCFED_TOOLS_CLI_H
#define VOCFED_TOOLS_CLI_H

#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/kinds.h"
#include "protocol/status.h"
#include "storage/store.h"

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

/* A node's display name: printable UTF-8, at most this many bytes. */
#define CLI_NAME_MAX PROTO_KEY_MAX
/* A role name (see cli_role_valid), at most this many bytes. */
#define CLI_ROLE_MAX 32
/* The node_role of the node that keeps the roster (DESIGN 1). */
#define CLI_ROLE_COORDINATOR "coordinator"

typedef struct cli cli_t;

/* Runs a command on argv[0..argc) (argv[0] is the command name). Returns
 * an exit code. */
typedef int (*cli_run_fn)(cli_t *cli, int argc, char **argv);

/* One subcommand. */
typedef struct {
    const char *name;              /* what the user types: "put" */
    const char *summary;           /* one line for `vocfed --help` */
    const char *usage;             /* the full `vocfed put --help` text */
    cli_run_fn run;                /* does the work */
    void (*usage_more)(FILE *out); /* prints more help after usage (e.g.
                                      from a table), or NULL */
} cli_cmd_t;

/* The state of one vocfed run. */
struct cli {
    const char *dir;      /* store folder: --dir, $VOCFED_DIR, or default */
    const cli_cmd_t *cmd; /* the command running, for its messages */
};

/* The node's identity as init wrote it into the store's meta data. */
typedef struct {
    char id[PROTO_ID_MAX + 1];                 /* node_id */
    char name[CLI_NAME_MAX + 1];               /* node_name */
    char role[CLI_ROLE_MAX + 1];               /* node_role */
    char pubkey_hex[2 * PROTO_PUBKEY_LEN + 1]; /* node_pubkey, as stored */
    uint8_t pubkey[PROTO_PUBKEY_LEN];          /* node_pubkey, decoded */
} cli_identity_t;

/* What cli_entry_json puts in the object besides author, seq, time_ms,
 * time, kind, key and body. */
enum {
    CLI_ENTRY_OP = 1 << 0,   /* "op": "put" | "del" */
    CLI_ENTRY_LEAF = 1 << 1, /* "leaf": hex of the BLAKE2b leaf hash */
};

/* The commands (one per tools/cmd_<name>.c). */
extern const cli_cmd_t cmd_init;
extern const cli_cmd_t cmd_whoami;
extern const cli_cmd_t cmd_put;
extern const cli_cmd_t cmd_del;
extern const cli_cmd_t cmd_get;
extern const cli_cmd_t cmd_log;
extern const cli_cmd_t cmd_verify;
extern const cli_cmd_t cmd_members;
extern const cli_cmd_t cmd_coordinator;
extern const cli_cmd_t cmd_node;
extern const cli_cmd_t cmd_sync;
extern const cli_cmd_t cmd_status;
extern const cli_cmd_t cmd_import;
extern const cli_cmd_t cmd_linkage_key;
extern const cli_cmd_t cmd_report;
extern const cli_cmd_t cmd_demo;

/* The exit code for a status that ended a command: 0 for 0, 1 for a
 * failure found in the data or a refused request (malformed, bad
 * signature, not found, invalid...), 3 for environment trouble (version,
 * lock, key file, storage full, storage engine, memory, -errno). */
int cli_exit_code(int status);

/* Prints "vocfed: MESSAGE" and a newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* Whether this node may write kind k: the coordinator's kinds
 * (industry, target, subsidy_rule) only on the coordinator, the others
 * only on members. Returns CLI_GO_ON, or CLI_EXIT_USAGE after printing
 * why. */
int cli_kind_role_check(const cli_identity_t *me,
                        const proto_kind_def_t *k) VOCFED_WUR;

/* Prints "vocfed: WHAT refused: ..." for a key or value the kinds table
 * refused (field, value, the reason in Chinese and English) on stderr;
 * returns CLI_EXIT_FAIL. */
int cli_kind_refused(const char *what, const proto_kind_error_t *err);

/* Prints the kinds table for help texts: each kind, its key, and its
 * fields with their types ('*' marks a required field). */
void cli_print_kinds(FILE *out);

/* Opens the store in cli->dir (creating it when create is true), with
 * the map size from $VOCFED_MAP_SIZE if set. Returns 0 with *out owned
 * by the caller (store_destroy), or an exit code after printing why:
 * CLI_EXIT_USAGE for a bad $VOCFED_MAP_SIZE, CLI_EXIT_ENV for a store
 * that is missing, locked, of another format version, or unreadable. */
int cli_store_open(const cli_t *cli, bool create, store_t **out) VOCFED_WUR;

/* Reads the node's identity from the store's meta data. Returns 0, or
 * CLI_EXIT_ENV after printing why (no identity: not made by init). */
int cli_identity_load(const cli_t *cli, store_t *store,
                      cli_identity_t *out) VOCFED_WUR;

/* The author a command reads: opt (already checked with cli_check_id)
 * if not NULL, else the node's own id from the meta data. Returns 0, or
 * an exit code after printing why: CLI_EXIT_FAIL when the store does not
 * know author opt. */
int cli_author(const cli_t *cli, store_t *store, const char *opt,
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

#endif
