/* vocfed init: makes a node's store and Ed25519 identity, and its
 * settings file (DIR/vocfed.cfg) when told where its coordinator is or
 * where it listens. */
#include "node/config.h"
#include "node/identity.h"
#include "node/seed.h"
#include "protocol/clock.h"
#include "tools/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    int rc = cli_no_store(cli, "refusing to make another");
    if (rc)
        return rc;
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
    int rc;
    proto_hex(pk, PROTO_PUBKEY_LEN, hex);
    uint64_t now = proto_now_ms();
    if (now == 0)
        return -errno;
    int n = snprintf(created, sizeof created, "%llu", (unsigned long long)now);
    if (n < 0 || (size_t)n >= sizeof created)
        return VOCFED_EINVALID;
    const char *const meta[][2] = {
        {NODE_META_ID, id},           {NODE_META_NAME, name},
        {NODE_META_ROLE, role},       {NODE_META_PUBKEY, hex},
        {NODE_META_CREATED, created},
    };
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
        *what = meta[i][0];
        if ((rc = store_meta_set(store, meta[i][0], meta[i][1])))
            return rc;
    }
    *what = "the author key";
    return store_author_add(store, id, pk);
}

/* Writes the coordinator's seed records (node/seed.c) in one append.
 * Returns 0 or a status after printing why. */
static int
s_seed(const cli_t *cli, store_t *store, const char *id,
       const uint8_t pk[PROTO_PUBKEY_LEN])
{
    uint8_t *sk = NULL;
    int rc = node_identity_load(cli->dir, pk, &sk);
    if (rc == VOCFED_OK)
        rc = node_seed_coordinator(store, id, sk, NULL);
    node_identity_free(&sk);
    if (rc)
        cli_error("cannot write the coordinator's targets and rules: %s",
                  vocfed_strerror(rc));
    return rc;
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
    return cli_json_emit(j, "the result");
}

static void
s_unlink_key(const cli_t *cli)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", cli->dir, NODE_KEY_FILE);
    if (n > 0 && (size_t)n < sizeof path)
        (void)unlink(path);
}

/* What init was told besides the identity. */
typedef struct {
    int argc;             /* the command line, for --coordinator */
    char **argv;          /* (argv[optind] may be its value) */
    bool coordinator;     /* --coordinator without a value: be one */
    const char *endpoint; /* --coordinator ENDPOINT: where to dial */
    const char *key;      /* --coordinator-key HEX */
    const char *coord_id; /* --coordinator-id ID */
    const char *listen;   /* --listen ENDPOINT */
    const char *role;     /* --role, NULL if not given */
    node_config_t cfg;    /* the settings to write, once checked */
    bool write_cfg;       /* there are settings to write */
} s_opts_t;

/* Checks the node role and the settings options together, works out the
 * role and fills o->cfg. Returns CLI_GO_ON or an exit code after
 * printing what was wrong. */
static int
s_check_settings(const cli_t *cli, s_opts_t *o, const char **role)
{
    int rc;
    if (o->role && !cli_role_valid(o->role))
        return cli_usage_error(cli, "unknown role '%s'", o->role);
    bool coord = o->coordinator ||
                 (o->role && strcmp(o->role, CLI_ROLE_COORDINATOR) == 0);
    if (o->coordinator && o->role && strcmp(o->role, CLI_ROLE_COORDINATOR) != 0)
        return cli_usage_error(cli,
                               "--coordinator makes a coordinator node: leave "
                               "out --role %s",
                               o->role);
    *role = coord ? CLI_ROLE_COORDINATOR : o->role ? o->role : NODE_ROLE_MEMBER;
    if (coord && (o->endpoint || o->key || o->coord_id))
        return cli_usage_error(cli, "--coordinator ENDPOINT, "
                                    "--coordinator-key and --coordinator-id "
                                    "are for a member node, not a "
                                    "coordinator");
    if (!coord && o->listen)
        return cli_usage_error(cli, "--listen is for a coordinator node "
                                    "(init --coordinator)");
    if (!o->endpoint != !o->key)
        return cli_usage_error(cli, "--coordinator ENDPOINT and "
                                    "--coordinator-key HEX go together");
    if (o->coord_id && !o->endpoint)
        return cli_usage_error(cli, "--coordinator-id needs --coordinator "
                                    "ENDPOINT and --coordinator-key HEX");

    if ((o->endpoint &&
         (rc = cli_check_endpoint(cli, "--coordinator", o->endpoint,
                                  NODE_ENDPOINT_DIAL)) != CLI_GO_ON) ||
        (o->listen &&
         (rc = cli_check_endpoint(cli, "--listen", o->listen,
                                  NODE_ENDPOINT_BIND)) != CLI_GO_ON))
        return rc;
    node_config_t *cfg = &o->cfg;
    memset(cfg, 0, sizeof *cfg);
    if (o->endpoint) {
        uint8_t pk[PROTO_PUBKEY_LEN];
        if ((rc = cli_parse_pubkey(cli, "--coordinator-key", o->key, pk)) !=
            CLI_GO_ON)
            return rc;
        proto_hex(pk, sizeof pk, cfg->coordinator_key);
        if (o->coord_id && (rc = cli_check_id(cli, "--coordinator-id",
                                              o->coord_id)) != CLI_GO_ON)
            return rc;
        if (o->coord_id)
            snprintf(cfg->coordinator_id, sizeof cfg->coordinator_id, "%s",
                     o->coord_id);
    }
    /* Checked above: they fit and are of their form. */
    snprintf(cfg->coordinator, sizeof cfg->coordinator, "%s",
             o->endpoint ? o->endpoint : "");
    snprintf(cfg->listen, sizeof cfg->listen, "%s", o->listen ? o->listen : "");
    if (!node_config_valid(cfg, NULL))
        return cli_usage_error(cli, "the settings do not check out");
    o->write_cfg = o->endpoint || o->listen;
    return CLI_GO_ON;
}

/* Writes the settings into DIR/vocfed.cfg, over any settings file there
 * (kept in *old for s_cfg_undo). Returns 0 or an exit code. */
static int
s_cfg_write(const cli_t *cli, const s_opts_t *o, node_config_t *old,
            bool *had_old)
{
    node_config_t cfg;
    int rc = node_config_load(cli->dir, old);
    if (rc) {
        cli_error("cannot read %s/%s: %s", cli->dir, NODE_CONFIG_FILE,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    }
    *had_old = old->coordinator[0] || old->coordinator_key[0] ||
               old->coordinator_id[0] || old->listen[0];
    /* The options replace what they name: the coordinator's endpoint, key
     * and id as one. */
    cfg = *old;
    if (o->endpoint) {
        memcpy(cfg.coordinator, o->cfg.coordinator, sizeof cfg.coordinator);
        memcpy(cfg.coordinator_key, o->cfg.coordinator_key,
               sizeof cfg.coordinator_key);
        memcpy(cfg.coordinator_id, o->cfg.coordinator_id,
               sizeof cfg.coordinator_id);
    }
    if (o->listen)
        memcpy(cfg.listen, o->cfg.listen, sizeof cfg.listen);
    if ((rc = node_config_save(cli->dir, &cfg))) {
        cli_error("cannot write %s/%s: %s", cli->dir, NODE_CONFIG_FILE,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    }
    return CLI_EXIT_OK;
}

/* Puts back the settings file as it was before s_cfg_write. */
static void
s_cfg_undo(const cli_t *cli, const node_config_t *old, bool had_old)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", cli->dir, NODE_CONFIG_FILE);
    if (had_old) {
        if (node_config_save(cli->dir, old) != 0)
            cli_error("could not put back %s", path);
    } else if (n > 0 && (size_t)n < sizeof path) {
        (void)unlink(path);
    }
}

/* --coordinator [ENDPOINT] */
static int
s_opt_coordinator(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    s_opts_t *o = opt->target;
    (void)cli;
    /* "--coordinator" alone makes a coordinator; followed by a word that
     * is not an option ("--coordinator tcp://...") or given one
     * ("--coordinator=tcp://...") it is a member's coordinator. Taking
     * the next word is what getopt_long does for a required value. */
    if (value)
        o->endpoint = value;
    else if (optind < o->argc && o->argv[optind][0] != '-')
        o->endpoint = o->argv[optind++];
    else
        o->coordinator = true;
    return CLI_GO_ON;
}

/* The identity init was asked to make. */
typedef struct {
    const char *id;   /* --id */
    const char *name; /* --name */
    const char *role; /* the role worked out by s_check_settings */
    bool json;        /* --json */
    bool recover;     /* --recover: a new key for a member whose key was
                         lost, no store (restore makes it) */
} s_ident_t;

/* Parses and checks the command line. Returns CLI_GO_ON or an exit code
 * after printing what was wrong. */
static int
s_parse(cli_t *cli, int argc, char **argv, s_ident_t *me, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->argc = argc;
    o->argv = argv;
    const cli_opt_t opts[] = {
        CLI_STR("id", &me->id),
        CLI_STR("name", &me->name),
        CLI_STR("role", &o->role),
        CLI_FLAG("json", &me->json),
        CLI_FLAG("recover", &me->recover),
        {"coordinator", 0, optional_argument, CLI_ARG_FN, o, s_opt_coordinator,
         0, 0},
        CLI_STR("coordinator-key", &o->key),
        CLI_STR("coordinator-id", &o->coord_id),
        CLI_STR("listen", &o->listen),
        CLI_END,
    };
    int rc;
    if ((rc = cli_parse(cli, opts, argc, argv, NULL)) != CLI_GO_ON)
        return rc;
    if (me->recover && !me->id)
        return cli_usage_error(cli, "init --recover needs --id ID");
    if (!me->recover && (!me->id || !me->name))
        return cli_usage_error(cli, "init needs --id ID and --name NAME");
    if ((rc = cli_check_id(cli, "--id", me->id)) != CLI_GO_ON)
        return rc;
    if (me->recover && !me->name)
        me->name = me->id; /* unused: restore takes the roster's */
    /* A name follows the rule of a natural key: printable UTF-8. */
    if (!proto_key_valid(me->name, strlen(me->name)))
        return cli_usage_error(cli,
                               "--name must be printable UTF-8 of 1 to %d "
                               "bytes",
                               CLI_NAME_MAX);
    return s_check_settings(cli, o, &me->role);
}

/* A member told its coordinator's id registers the coordinator's log
 * before its own: its own log, the one that grows, then sorts last in the
 * entries table, where each append fills its page instead of splitting
 * one in the middle (SPEC 5.1). Returns 0 or a status. */
static int
s_coordinator_first(store_t *store, const node_config_t *cfg, const char **what)
{
    uint8_t cpk[PROTO_PUBKEY_LEN];
    if (!cfg->coordinator_id[0])
        return VOCFED_OK;
    *what = "the coordinator's key";
    if (proto_unhex(cfg->coordinator_key, cpk, sizeof cpk) != 0)
        return VOCFED_EINVALID;
    return store_author_add(store, cfg->coordinator_id, cpk);
}

/* Makes the store and writes the identity (and a coordinator's seed)
 * into it. Returns 0 or an exit code after printing why. */
static int
s_make_store(cli_t *cli, const s_ident_t *me, const node_config_t *cfg,
             const uint8_t pk[PROTO_PUBKEY_LEN])
{
    node_t *node;
    const char *what = "";
    int rc = cli_node(cli, &node);
    if (rc)
        return rc;
    store_t *store = node_store(node);
    if ((rc = s_coordinator_first(store, cfg, &what)) ||
        (rc = s_write_meta(store, me->id, me->name, me->role, pk, &what))) {
        cli_error("cannot write %s into the new store: %s", what,
                  vocfed_strerror(rc));
        cli_error("the store in %s is incomplete: remove it and run "
                  "'vocfed init' again",
                  cli->dir);
        return CLI_EXIT_ENV;
    }
    /* A coordinator's log starts with the policy's defaults. */
    if (strcmp(me->role, CLI_ROLE_COORDINATOR) == 0 &&
        (rc = s_seed(cli, store, me->id, pk))) {
        cli_error("the store in %s is incomplete: remove it and run "
                  "'vocfed init' again",
                  cli->dir);
        return CLI_EXIT_ENV;
    }
    cli_node_close(cli);
    return CLI_EXIT_OK;
}

/* --recover: the key is made, no store; what to do next. */
static int
s_recovered(const cli_t *cli, const s_ident_t *me,
            const uint8_t pk[PROTO_PUBKEY_LEN])
{
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    if (strcmp(me->role, CLI_ROLE_COORDINATOR) == 0) {
        cli_error("--recover is for a member: a coordinator's key is not "
                  "replaced this way");
        s_unlink_key(cli);
        return CLI_EXIT_USAGE;
    }
    proto_hex(pk, PROTO_PUBKEY_LEN, hex);
    fprintf(stderr,
            "vocfed: a new key for %s is in %s/%s (no store yet). Give the "
            "public key\nto the secretariat, who runs 'vocfed members rekey "
            "%s %s';\nthen run 'vocfed --dir %s restore --id %s'.\n",
            me->id, cli->dir, NODE_KEY_FILE, me->id, hex, cli->dir, me->id);
    return s_print(me->id, pk, me->json);
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    s_ident_t me = {NULL, NULL, NULL, false, false};
    s_opts_t o;
    node_config_t old;
    bool had_old = false;
    uint8_t pk[PROTO_PUBKEY_LEN];
    int rc;
    memset(&old, 0, sizeof old);
    if ((rc = s_parse(cli, argc, argv, &me, &o)) != CLI_GO_ON)
        return rc;
    if (o.cfg.coordinator_id[0] && strcmp(o.cfg.coordinator_id, me.id) == 0)
        return cli_usage_error(cli,
                               "--coordinator-id %s is this member's own id: "
                               "give the coordinator's",
                               me.id);

    if ((rc = s_mkdirs(cli->dir))) {
        cli_error("cannot make folder %s: %s", cli->dir, strerror(-rc));
        return CLI_EXIT_ENV;
    }
    if ((rc = s_check_empty(cli)))
        return rc;

    /* The settings first: if they cannot be written, nothing else is
     * made, and if a later step fails they are put back as they were. */
    if (o.write_cfg && (rc = s_cfg_write(cli, &o, &old, &had_old)))
        return rc;

    if ((rc = node_identity_create(cli->dir, pk))) {
        cli_error("cannot make the node key in %s: %s", cli->dir,
                  vocfed_strerror(rc));
        rc = CLI_EXIT_ENV;
        goto undo_cfg;
    }
    if (me.recover)
        return s_recovered(cli, &me, pk);
    if ((rc = s_make_store(cli, &me, &o.cfg, pk)))
        goto undo_key;
    return s_print(me.id, pk, me.json);

undo_key:
    cli_node_close(cli);
    /* The key was never shown to anyone: do not leave it behind to block
     * the next attempt. */
    s_unlink_key(cli);
undo_cfg:
    if (o.write_cfg)
        s_cfg_undo(cli, &old, had_old);
    return rc;
}

const cli_cmd_t cmd_init = {
    .name = "init",
    .summary = "make this node's store and key pair",
    .usage =
        "Usage: vocfed init --id ID --name NAME [--role ROLE]\n"
        "                   [--coordinator ENDPOINT --coordinator-key HEX\n"
        "                    [--coordinator-id ID]] [--json]\n"
        "       vocfed init --coordinator --id ID --name NAME\n"
        "                   [--listen ENDPOINT] [--json]\n"
        "       vocfed init --recover --id ID [--coordinator ENDPOINT\n"
        "                   --coordinator-key HEX] [--json]\n"
        "\n"
        "Makes the store folder (mode 0700, with its parents), a new Ed25519\n"
        "key pair in DIR/node.key (mode 0600) and the store, and records the\n"
        "node's id, name, role and public key in it. Prints the public key "
        "in hex.\n"
        "Refuses to touch a folder that already holds a store or a "
        "node.key.\n"
        "\n"
        "The first form makes a member node; given its coordinator, it "
        "writes the\n"
        "endpoint, key and id into DIR/vocfed.cfg (mode 0600). The second "
        "form makes\n"
        "the coordinator node (role coordinator), which keeps the roster "
        "('vocfed\n"
        "members'); its log starts with the default leading industries, the "
        "policy's\n"
        "targets and its subsidy amounts (one signed append; change them "
        "with 'vocfed\n"
        "put'); --listen is written into DIR/vocfed.cfg. Settings "
        "already in\n"
        "DIR/vocfed.cfg that no option names are kept; 'vocfed config' "
        "changes them\n"
        "later.\n"
        "\n"
        "The third form is for a member whose node.key was lost: it makes a "
        "new key\n"
        "pair (and vocfed.cfg) but no store, and prints the new public key. "
        "The\n"
        "secretariat vouches for it ('vocfed members rekey ID PUBKEY' on the\n"
        "coordinator); then 'vocfed restore --id ID' rebuilds the store "
        "from the\n"
        "coordinator's copy of the member's log, which goes on under the "
        "same id.\n"
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
        "                coordinator (default member; coordinator is the "
        "same as\n"
        "                --coordinator alone)\n"
        "  --coordinator\n"
        "                alone (followed by another option or nothing): make "
        "the\n"
        "                coordinator node\n"
        "  --coordinator ENDPOINT, --coordinator=ENDPOINT\n"
        "                where this member dials its coordinator, e.g.\n"
        "                tcp://192.0.2.7:7700 (with --coordinator-key)\n"
        "  --coordinator-key HEX\n"
        "                the coordinator's Ed25519 public key, 64 hex digits "
        "(what\n"
        "                'vocfed whoami' prints on the coordinator)\n"
        "  --coordinator-id ID\n"
        "                the coordinator's node id; given, its log is "
        "registered\n"
        "                before this member's own, which then packs the "
        "store's\n"
        "                pages full (a third less disk for imports)\n"
        "  --listen ENDPOINT\n"
        "                where the coordinator binds, e.g. "
        "tcp://0.0.0.0:7700\n"
        "  --recover     a new key only, for a member whose key was lost "
        "(no store,\n"
        "                no --name)\n"
        "  --json        print {\"id\": ..., \"pubkey\": ...} "
        "instead\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 made, 2 usage error (also a bad endpoint or key), 3 "
        "a store\n"
        "or key already there, or the folder cannot be written.\n",
    .run = s_run,
    .needs = CLI_NEEDS_CREATE,
};
