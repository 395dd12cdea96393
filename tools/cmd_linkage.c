/* vocfed linkage-key: make the group linkage key, or import it at a
 * member (DESIGN 2.5, 11; SPEC 11.3). */
#include "node/linkage.h"
#include "tools/cli.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* vocfed linkage-key generate [--force] */
static int
s_generate(cli_t *cli, bool force)
{
    uint8_t *key = NULL;
    char *hex = NULL;
    int rc;
    /* A secret belongs in a file ("> FILE"), not on a screen or in a
     * terminal's scroll-back. */
    if (isatty(STDOUT_FILENO) && !force)
        return cli_usage_error(cli, "refusing to print a secret key on a "
                                    "terminal: redirect it into a file "
                                    "('> FILE'), or give --force");
    if ((rc = node_linkage_generate(&key)) ||
        !(hex = sodium_malloc(2 * NODE_LINKAGE_KEY_LEN + 1))) {
        node_linkage_free(&key);
        return cli_fail(rc ? rc : VOCFED_ENOMEM, "cannot make a key");
    }
    sodium_bin2hex(hex, 2 * NODE_LINKAGE_KEY_LEN + 1, key,
                   NODE_LINKAGE_KEY_LEN);
    node_linkage_free(&key);
    hex[2 * NODE_LINKAGE_KEY_LEN] = '\n';
    /* Straight to the file: no copy left in a stdio buffer. */
    rc = CLI_EXIT_OK;
    for (size_t off = 0; off < 2 * NODE_LINKAGE_KEY_LEN + 1;) {
        ssize_t w =
            write(STDOUT_FILENO, hex + off, 2 * NODE_LINKAGE_KEY_LEN + 1 - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            cli_error("cannot write the key: %s",
                      w < 0 ? strerror(errno) : "nothing written");
            rc = CLI_EXIT_ENV;
            break;
        }
        off += (size_t)w;
    }
    sodium_free(hex); /* wipes */
    return rc;
}

/* Prints what import did with key: stored, or unchanged (same). Returns
 * an exit code. */
static int
s_imported(const cli_t *cli, const uint8_t *key, bool same, bool json)
{
    char fpr[NODE_LINKAGE_FPR_HEX + 1];
    node_linkage_fingerprint(key, fpr);
    if (json) {
        json_t *j = json_pack("{s:s, s:s, s:b}", "file", NODE_LINKAGE_FILE,
                              "fingerprint", fpr, "changed", !same);
        return cli_json_emit(j, "the result");
    }
    printf("%s %s/%s fingerprint=%s\n", same ? "unchanged" : "stored", cli->dir,
           NODE_LINKAGE_FILE, fpr);
    return CLI_EXIT_OK;
}

/* vocfed linkage-key import FILE [--replace] */
static int
s_import(cli_t *cli, const char *file, bool replace, bool json)
{
    node_t *node;
    uint8_t *key = NULL, *old = NULL;
    bool same = false;
    int rc;
    if ((rc = cli_node(cli, &node)))
        return rc;
    /* DESIGN 11: the coordinator sees pseudonyms and nothing it could
     * reverse; with the key it could test guesses of ID numbers. */
    if (node_is_coordinator(node)) {
        cli_error("%s is the coordinator: the coordinator must never hold "
                  "the group linkage key (with it, it could test guesses of ID "
                  "numbers); import it at the "
                  "members",
                  node_id(node));
        return CLI_EXIT_USAGE;
    }
    rc = node_linkage_read_hex(file, &key);
    if (rc == VOCFED_EKEY) {
        cli_error("%s is not a linkage key (64 hex digits, as 'vocfed "
                  "linkage-key generate' prints)",
                  file);
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    if (rc) {
        rc = cli_fail(rc, "cannot read %s", file);
        goto done;
    }
    /* The same key again changes nothing. */
    rc = node_linkage_load(cli->dir, &old);
    if (rc == VOCFED_OK)
        same = sodium_memcmp(old, key, NODE_LINKAGE_KEY_LEN) == 0;
    else if (rc != VOCFED_ENOTFOUND) {
        rc = cli_fail(rc, "cannot read %s/%s", cli->dir, NODE_LINKAGE_FILE);
        goto done;
    }
    if (old && !same && !replace) {
        cli_error("%s/%s already holds another key: give --replace to "
                  "change it (records already imported keep the "
                  "pseudo_ids of the old key)",
                  cli->dir, NODE_LINKAGE_FILE);
        rc = CLI_EXIT_ENV;
        goto done;
    }
    if (!same && (rc = node_linkage_store(cli->dir, key, replace))) {
        rc = cli_fail(rc, "cannot write %s/%s", cli->dir, NODE_LINKAGE_FILE);
        goto done;
    }
    rc = s_imported(cli, key, same, json);
done:
    node_linkage_free(&key);
    node_linkage_free(&old);
    return rc;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    bool force = false, replace = false, json = false;
    const cli_opt_t opts[] = {
        CLI_FLAG("force", &force),
        CLI_FLAG("replace", &replace),
        CLI_FLAG("json", &json),
        CLI_END,
    };
    cli_args_t a;
    int rc = cli_parse_sub(cli, opts, argc, argv, &a,
                           "linkage-key needs generate or import");
    if (rc != CLI_GO_ON)
        return rc;
    char **args = a.v;
    size_t nargs = a.n;
    if (strcmp(args[0], "generate") == 0) {
        if (nargs > 1)
            return cli_usage_error(cli, "unexpected argument '%s'", args[1]);
        if (replace || json)
            return cli_usage_error(cli, "generate takes only --force");
        return s_generate(cli, force);
    }
    if (strcmp(args[0], "import") == 0) {
        if (nargs != 2)
            return cli_usage_error(cli, "import needs one FILE");
        if (force)
            return cli_usage_error(cli, "import does not take --force");
        return s_import(cli, args[1], replace, json);
    }
    return cli_usage_error(cli, "unknown linkage-key command '%s'", args[0]);
}

const cli_cmd_t cmd_linkage_key = {
    .name = "linkage-key",
    .summary = "make or import the group linkage key (members only)",
    .usage =
        "Usage: vocfed linkage-key generate [--force] > FILE\n"
        "       vocfed linkage-key import FILE [--replace] [--json]\n"
        "\n"
        "The group linkage key turns ID-card numbers into pseudo_ids "
        "('vocfed import'):\n"
        "the same person gets the same pseudo_id at every member, and "
        "nobody without\n"
        "the key can tell who it is. Every member holds the same key; the "
        "coordinator\n"
        "never does (with it, it could test guesses of ID numbers).\n"
        "\n"
        "generate prints a new random 32-byte key as 64 hex digits and "
        "nothing else.\n"
        "It is a secret: it refuses to print on a terminal unless --force. "
        "Make it\n"
        "once for the group and hand FILE to each member's administrator.\n"
        "\n"
        "import stores the key of FILE as DIR/linkage.key (mode 0600) and "
        "prints its\n"
        "fingerprint, which is the same at every member holding the same "
        "key. It is\n"
        "refused on the coordinator. Importing the same key again changes "
        "nothing;\n"
        "another key needs --replace (pseudo_ids made with the old key no "
        "longer\n"
        "match). Delete FILE afterwards.\n"
        "\n"
        "Options:\n"
        "  --force       generate: print even on a terminal\n"
        "  --replace     import: replace a different key already there\n"
        "  --json        import: print {\"file\", \"fingerprint\", "
        "\"changed\"}\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 done, 1 FILE is not a key, 2 usage error (also "
        "import on the\n"
        "coordinator, generate on a terminal), 3 no store, another key "
        "there, or the\n"
        "key cannot be written.\n",
    .run = s_run,
    .needs = CLI_NEEDS_IDENTITY,
};
