/* vocfed init: makes a node's store and Ed25519 identity. */
#include "node/identity.h"
#include "tools/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The roles of DESIGN 6 (member profile), plus the two node roles. */
static const char *const s_roles[] = {
    "lead",       "backbone",      "consortium",  "enterprise",
    "government", "industry_body", "research",    "county_school",
    "school",     "member",        "coordinator",
};

static bool
s_role_valid(const char *role)
{
    for (size_t i = 0; i < sizeof s_roles / sizeof s_roles[0]; i++)
        if (strcmp(s_roles[i], role) == 0)
            return true;
    return false;
}

/* mkdir -p with mode 0700 for every folder it makes. Returns 0 or
 * -errno (-ENOTDIR if dir exists but is not a folder). */
static int
s_mkdirs(const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            *p = '/';
            return -errno;
        }
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -errno;
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Fails when the folder already holds a store or a key: init never
 * replaces a node's identity. Returns 0 or an exit code. */
static int
s_check_empty(const cli_t *cli)
{
    uint64_t found = 0;
    store_opts_t opts = {.create = false, .found_version = &found};
    store_t *store = NULL;
    int rc = store_open(cli->dir, &opts, &store);
    store_destroy(&store);
    if (rc == VOCFED_OK || rc == VOCFED_EVERSION) {
        cli_error("a store already exists in %s (format version %llu): "
                  "refusing to make another",
                  cli->dir, (unsigned long long)found);
        return CLI_EXIT_ENV;
    }
    if (rc != VOCFED_ENOTFOUND && rc != -ENOENT) {
        cli_error("cannot check %s for a store: %s", cli->dir,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    }
    char path[4096];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", cli->dir, NODE_KEY_FILE);
    if (n < 0 || (size_t)n >= sizeof path) {
        cli_error("folder name too long: %s", cli->dir);
        return CLI_EXIT_ENV;
    }
    if (lstat(path, &st) == 0) {
        cli_error("%s already exists: refusing to replace a node key", path);
        return CLI_EXIT_ENV;
    }
    if (errno != ENOENT) {
        cli_error("cannot check %s: %s", path, strerror(errno));
        return CLI_EXIT_ENV;
    }
    return CLI_EXIT_OK;
}

/* Writes the identity into the new store. Returns 0 or a status. */
static int
s_write_meta(store_t *store, const char *id, const char *name, const char *role,
             const uint8_t pk[PROTO_PUBKEY_LEN], const char **what)
{
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    char created[32];
    struct timespec ts;
    int rc;
    proto_hex(pk, PROTO_PUBKEY_LEN, hex);
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return -errno;
    int n = snprintf(created, sizeof created, "%llu",
                     (unsigned long long)ts.tv_sec * 1000u +
                         (unsigned long long)ts.tv_nsec / 1000000u);
    if (n < 0 || (size_t)n >= sizeof created)
        return VOCFED_EINVALID;
    const char *const meta[][2] = {
        {"node_id", id},      {"node_name", name},     {"node_role", role},
        {"node_pubkey", hex}, {"created_ms", created},
    };
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
        *what = meta[i][0];
        if ((rc = store_meta_set(store, meta[i][0], meta[i][1])))
            return rc;
    }
    *what = "the author key";
    return store_author_add(store, id, pk);
}

/* Prints the new node's public key. Returns an exit code. */
static int
s_print(const char *id, const uint8_t pk[PROTO_PUBKEY_LEN], bool json)
{
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    proto_hex(pk, PROTO_PUBKEY_LEN, hex);
    if (!json) {
        printf("%s\n", hex);
        return CLI_EXIT_OK;
    }
    json_t *j = json_pack("{s:s, s:s}", "id", id, "pubkey", hex);
    if (!j)
        return cli_fail(VOCFED_ENOMEM, "cannot print the result");
    int rc = cli_json_print(j);
    json_decref(j);
    return rc;
}

static void
s_unlink_key(const cli_t *cli)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", cli->dir, NODE_KEY_FILE);
    if (n > 0 && (size_t)n < sizeof path)
        (void)unlink(path);
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    enum { OPT_ID = CLI_OPT_DIR + 1, OPT_NAME, OPT_ROLE, OPT_JSON };
    static const struct option longopts[] = {
        {"id", required_argument, NULL, OPT_ID},
        {"name", required_argument, NULL, OPT_NAME},
        {"role", required_argument, NULL, OPT_ROLE},
        {"json", no_argument, NULL, OPT_JSON},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    const char *id = NULL, *name = NULL, *role = "member";
    bool json = false;
    int c, rc;
    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
                            NULL)) != -1) {
        switch (c) {
        case OPT_ID:
            id = optarg;
            break;
        case OPT_NAME:
            name = optarg;
            break;
        case OPT_ROLE:
            role = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        default:
            if ((rc = cli_opt_common(cli, c, argv)) != CLI_GO_ON)
                return rc;
        }
    }
    if (optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    if (!id || !name)
        return cli_usage_error(cli, "init needs --id ID and --name NAME");
    if ((rc = cli_check_id(cli, "--id", id)) != CLI_GO_ON)
        return rc;
    /* A name follows the rule of a natural key: printable UTF-8. */
    if (!proto_key_valid(name, strlen(name)))
        return cli_usage_error(cli,
                               "--name must be printable UTF-8 of 1 to %d "
                               "bytes",
                               CLI_NAME_MAX);
    if (!s_role_valid(role))
        return cli_usage_error(cli, "unknown role '%s'", role);

    if ((rc = s_mkdirs(cli->dir))) {
        cli_error("cannot make folder %s: %s", cli->dir, strerror(-rc));
        return CLI_EXIT_ENV;
    }
    if ((rc = s_check_empty(cli)))
        return rc;

    uint8_t pk[PROTO_PUBKEY_LEN];
    if ((rc = node_identity_create(cli->dir, pk))) {
        cli_error("cannot make the node key in %s: %s", cli->dir,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    }
    store_t *store = NULL;
    const char *what = "";
    rc = cli_store_open(cli, true, &store);
    if (rc)
        goto undo_key;
    if ((rc = s_write_meta(store, id, name, role, pk, &what))) {
        cli_error("cannot write %s into the new store: %s", what,
                  vocfed_strerror(rc));
        cli_error("the store in %s is incomplete: remove it and run "
                  "'vocfed init' again",
                  cli->dir);
        rc = CLI_EXIT_ENV;
        goto undo_store;
    }
    store_destroy(&store);
    return s_print(id, pk, json);

undo_store:
    store_destroy(&store);
undo_key:
    /* The key was never shown to anyone: do not leave it behind to block
     * the next attempt. */
    s_unlink_key(cli);
    return rc;
}

const cli_cmd_t cmd_init = {
    .name = "init",
    .summary = "make this node's store and key pair",
    .usage =
        "Usage: vocfed init --id ID --name NAME [--role ROLE] [--json]\n"
        "\n"
        "Makes the store folder (mode 0700, with its parents), a new Ed25519\n"
        "key pair in DIR/node.key (mode 0600) and the store, and records the\n"
        "node's id, name, role and public key in it. Prints the public key "
        "in hex.\n"
        "Refuses to touch a folder that already holds a store or a "
        "node.key.\n"
        "\n"
        "Options:\n"
        "  --id ID       node id: a-z or 0-9, then also '_', '.', '-'; at "
        "most 32 bytes\n"
        "  --name NAME   display name, printable UTF-8 (e.g. the unit's "
        "Chinese name)\n"
        "  --role ROLE   one of lead, backbone, consortium, enterprise, "
        "government,\n"
        "                industry_body, research, county_school, school, "
        "member,\n"
        "                coordinator (default member)\n"
        "  --json        print {\"id\": ..., \"pubkey\": ...} instead\n"
        "  --dir DIR     the store folder (default $VOCFED_DIR, then "
        "./vocfed-data)\n"
        "  -h, --help    print this help\n"
        "\n"
        "Exit status: 0 made, 2 usage error, 3 a store or key already "
        "there, or\n"
        "the folder cannot be written.\n",
    .run = s_run,
};
