/* vocfed config: reads and writes the node's settings file,
 * DIR/vocfed.cfg (node/config.h), checking every value as the daemons
 * do when they start. */
#include "node/config.h"
#include "tools/cli.h"

#include <stdio.h>
#include <string.h>

/* Whether a node of this role reads key (node_config_key_t.role). */
static bool
s_role_reads(const node_t *node, const node_config_key_t *k)
{
    bool coord = node_is_coordinator(node);
    return strcmp(k->role, "both") == 0 ||
           strcmp(k->role, coord ? "coordinator" : "member") == 0;
}

static const node_config_key_t *
s_key_find(const char *name)
{
    size_t n;
    const node_config_key_t *keys = node_config_keys(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Reads DIR/vocfed.cfg. Returns CLI_GO_ON, or an exit code after
 * printing why: 1 for a file whose values do not check out (what is
 * wrong is said; 'set' writes a good one). */
static int
s_load(const cli_t *cli, node_config_t *cfg)
{
    char why[320] = "";
    int rc = node_config_load_why(cli->dir, cfg, why, sizeof why);
    if (rc == VOCFED_EMALFORMED) {
        /* Writing over it would lose the values that do check out. */
        cli_error("%s/%s: %s; correct it in an editor (or remove it and "
                  "set each key again)",
                  cli->dir, NODE_CONFIG_FILE, why);
        return CLI_EXIT_FAIL;
    }
    if (rc)
        return cli_fail(rc, "cannot read %s/%s", cli->dir, NODE_CONFIG_FILE);
    return CLI_GO_ON;
}

static int
s_list(const node_config_t *cfg, bool json)
{
    size_t n;
    const node_config_key_t *keys = node_config_keys(&n);
    if (!json) {
        for (size_t i = 0; i < n; i++)
            printf("%s=%s\n", keys[i].name, node_config_get(cfg, keys[i].name));
        return CLI_EXIT_OK;
    }
    json_t *j = json_object();
    for (size_t i = 0; j && i < n; i++) {
        const char *v = node_config_get(cfg, keys[i].name);
        if (json_object_set_new(j, keys[i].name,
                                v[0] ? json_string(v) : json_null()) != 0) {
            json_decref(j);
            j = NULL;
        }
    }
    return cli_json_emit(j, "the settings");
}

/* The coordinator's id corrected (from was set): init registered the
 * coordinator's log under from, first in the store (SPEC 5.1). While it
 * holds none of that log, under the key the settings name, it takes the
 * new id in its place; else it stays as it is (the log's first contact
 * registers the new id). */
static void
s_coordinator_renamed(node_t *node, const node_config_t *cfg, const char *from)
{
    uint8_t want[PROTO_PUBKEY_LEN], pk[PROTO_PUBKEY_LEN];
    store_t *st = node_store(node);
    if (!from[0] || strcmp(from, cfg->coordinator_id) == 0 ||
        !cfg->coordinator_id[0] ||
        proto_unhex(cfg->coordinator_key, want, sizeof want) != 0 ||
        store_author_key(st, from, pk) != VOCFED_OK ||
        memcmp(pk, want, sizeof pk) != 0)
        return;
    int rc = store_author_rename(st, from, cfg->coordinator_id);
    if (rc == VOCFED_OK)
        printf("the coordinator's log, registered in this store as '%s' "
               "and holding none of its entries yet, is now registered as "
               "'%s' (still first)\n",
               from, cfg->coordinator_id);
    else if (rc != VOCFED_EINVALID && rc != VOCFED_EEXISTS)
        cli_error("cannot move the store's place for the coordinator's "
                  "log from '%s' to '%s': %s",
                  from, cfg->coordinator_id, vocfed_strerror(rc));
}

static int
s_set(cli_t *cli, node_t *node, node_config_t *cfg, const char *key,
      const char *value)
{
    const node_config_key_t *k = s_key_find(key);
    char why[256] = "", was[sizeof cfg->coordinator_id];
    snprintf(was, sizeof was, "%s", cfg->coordinator_id);
    if (!s_role_reads(node, k))
        return cli_usage_error(
            cli, "%s is read by a %s node; this one is a %s", key, k->role,
            node_is_coordinator(node) ? "coordinator" : "member");
    if (node_config_set(cfg, key, value, why, sizeof why) != VOCFED_OK)
        return cli_usage_error(cli, "%s '%s' is not valid: %s", key, value,
                               why);
    int rc = node_config_save(cli->dir, cfg);
    if (rc)
        return cli_fail(rc, "cannot write %s/%s", cli->dir, NODE_CONFIG_FILE);
    if (strcmp(key, "coordinator_id") == 0)
        s_coordinator_renamed(node, cfg, was);
    return CLI_EXIT_OK;
}

/* The arguments each subcommand takes after its name. */
static int
s_check_args(cli_t *cli, const cli_args_t *a)
{
    const char *sub = a->v[0];
    size_t want = strcmp(sub, "list") == 0  ? 1
                  : strcmp(sub, "get") == 0 ? 2
                  : strcmp(sub, "set") == 0 ? 3
                                            : 0;
    if (want == 0)
        return cli_usage_error(cli, "unknown subcommand '%s'", sub);
    if (a->n != want)
        return cli_usage_error(cli, "config %s takes %s", sub,
                               want == 1   ? "no argument"
                               : want == 2 ? "one argument, KEY"
                                           : "two arguments, KEY VALUE");
    if (want > 1 && !s_key_find(a->v[1])) {
        char names[128] = "";
        size_t n, used = 0;
        const node_config_key_t *keys = node_config_keys(&n);
        for (size_t i = 0; i < n && used < sizeof names; i++) {
            int w = snprintf(names + used, sizeof names - used, "%s%s",
                             i ? ", " : "", keys[i].name);
            used += w > 0 ? (size_t)w : 0; /* cut to fit: a message */
        }
        return cli_usage_error(cli, "unknown key '%s' (the keys: %s)", a->v[1],
                               names);
    }
    return CLI_GO_ON;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    bool json = false;
    cli_args_t a;
    node_t *node;
    node_config_t cfg;
    const cli_opt_t opts[] = {CLI_FLAG("json", &json), CLI_END};
    int rc = cli_parse_sub(cli, opts, argc, argv, &a,
                           "config needs list, get KEY or set KEY VALUE");
    if (rc != CLI_GO_ON || (rc = s_check_args(cli, &a)) != CLI_GO_ON)
        return rc;
    if (json && strcmp(a.v[0], "list") != 0)
        return cli_usage_error(cli, "--json is for config list");
    if ((rc = cli_node(cli, &node)) || (rc = s_load(cli, &cfg)) != CLI_GO_ON)
        return rc;
    if (strcmp(a.v[0], "list") == 0)
        return s_list(&cfg, json);
    if (strcmp(a.v[0], "set") == 0)
        return s_set(cli, node, &cfg, a.v[1], a.v[2]);
    const char *v = node_config_get(&cfg, a.v[1]);
    if (!v[0])
        return CLI_EXIT_FAIL; /* not set: nothing printed, as get */
    printf("%s\n", v);
    return CLI_EXIT_OK;
}

/* The keys, from node_config_keys(): the help cannot drift from them. */
static void
s_usage_more(FILE *out)
{
    size_t n;
    const node_config_key_t *keys = node_config_keys(&n);
    fputs("\nKeys (section 'node' of the file):\n", out);
    for (size_t i = 0; i < n; i++) {
        bool both = strcmp(keys[i].role, "both") == 0;
        fprintf(out, "  %-16s %s, read by %s%s node%s:\n  %-16s %s\n",
                keys[i].name, keys[i].form, both ? "every" : "a ",
                both ? "" : keys[i].role, both ? "'s daemon" : "", "",
                keys[i].help);
    }
    fputs("\nExit status: 0 ok, 1 get: the key is not set; or the file does "
          "not check out\n(what is wrong is said; set does not write over "
          "it), 2 usage error\n(unknown key, a value not of its form, a key "
          "the node's role does not\nread), 3 environment (no store, cannot "
          "write the file).\n",
          out);
}

const cli_cmd_t cmd_config = {
    .name = "config",
    .summary = "read or change this node's settings (DIR/vocfed.cfg)",
    .usage =
        "Usage: vocfed config list [--json]\n"
        "       vocfed config get KEY\n"
        "       vocfed config set KEY VALUE\n"
        "\n"
        "Reads and writes the node's settings file, DIR/vocfed.cfg ('vocfed "
        "init'\n"
        "writes it first). 'vocfed node', 'vocfed sync' and 'vocfed "
        "coordinator'\n"
        "read it when they start: restart the daemon after a change. "
        "Options on\n"
        "their command line win over the file.\n"
        "\n"
        "  list   prints every key as KEY=VALUE, one a line (KEY= when not "
        "set);\n"
        "         with --json an object, null for a key not set\n"
        "  get    prints KEY's value\n"
        "  set    checks VALUE as the daemons do, then replaces the file "
        "atomically\n"
        "         (temporary file, fsync, rename; mode 0600). VALUE '' "
        "unsets KEY.\n"
        "         Comments and other sections of a file written by hand are "
        "not kept.\n"
        "\n"
        "Options:\n"
        "  --json        list: print one JSON object\n" CLI_HELP_COMMON,
    .run = s_run,
    .usage_more = s_usage_more,
    .needs = CLI_NEEDS_IDENTITY,
};
