/* vocfed restore: a member's store rebuilt from the coordinator's copy
 * of its log, then what an old store holds that the coordinator never
 * received signed again (SPEC 5.6, 10.6). */
#include "node/config.h"
#include "node/identity.h"
#include "node/restore.h"
#include "node/roster.h"
#include "protocol/clock.h"
#include "storage/backup.h"
#include "storage/verify.h"
#include "tools/cli_fence.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_CFG_MAX (64 * 1024) /* vocfed.cfg: at most */
#define S_CHUNK 256           /* records per signed append */
#define S_FENCE "being rebuilt by vocfed restore"

/* What restore was told, and what it made. */
typedef struct {
    const char *id;     /* --id, or the old store's */
    const char *key;    /* --key FILE, or NULL */
    const char *config; /* --config FILE, or NULL */
    const char *from;   /* --from OLD, or NULL */
    uint64_t timeout_s; /* --timeout */
    bool key_copied;    /* DIR/node.key made here */
    bool cfg_copied;    /* DIR/vocfed.cfg made here */
    bool synced;        /* the session fetched our log: kept from here */
    store_t *old;       /* the old store, read only, or NULL */
    char old_id[PROTO_ID_MAX + 1];      /* its node_id */
    char old_name[NODE_NAME_MAX + 1];   /* its node_name */
    char old_role[PROTO_KIND_MAX + 1];  /* its node_role */
    uint8_t pk[PROTO_PUBKEY_LEN];       /* the public half of node.key */
    uint8_t old_pk[PROTO_PUBKEY_LEN];   /* OLD's key, when another: a key
                                           replaced since (SPEC 10.8), to
                                           be found in the key history */
    bool old_other_key;                 /* OLD's key is not node.key's */
    char coord_id[PROTO_ID_MAX + 1];    /* the settings' coordinator_id,
                                           "" when they name none */
    uint8_t coord_pk[PROTO_PUBKEY_LEN]; /* and its key */
} s_opts_t;

static int
s_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? VOCFED_ETOOLARGE : 0;
}

/* Copies the file from into DIR/name (O_EXCL, mode 0600, guarded
 * memory: it may be a key). Returns 0 or an exit code after saying why. */
static int
s_copy_in(cli_t *cli, const char *from, const char *name, size_t max)
{
    char to[PATH_MAX];
    struct stat st;
    size_t len = 0;
    int rc = s_path(to, sizeof to, cli->dir, name);
    int fd = rc ? rc : node_file_open(from, &st);
    if (fd < 0)
        return cli_fail(fd, "cannot read %s", from);
    uint8_t *buf = sodium_malloc(max);
    if (!buf)
        rc = VOCFED_ENOMEM;
    else if (!(rc = node_file_check(&st, max)) &&
             !(rc = node_file_read(fd, buf, max, &len)))
        rc = node_secret_write(to, buf, len);
    close(fd);
    sodium_free(buf);
    if (rc == VOCFED_EEXISTS) {
        cli_error("%s already exists: restore does not replace it (leave "
                  "out the option to use it)",
                  to);
        return CLI_EXIT_ENV;
    }
    return rc ? cli_fail(rc, "cannot copy %s into %s", from, to) : 0;
}

/* Removes what a failed restore made: the store, and the key and
 * settings it copied in. */
static void
s_undo(cli_t *cli, const s_opts_t *o)
{
    static const char *const names[] = {"data.mdb",     "lock.mdb",
                                        "derived.mdb",  "derived.mdb-lock",
                                        "derived.boot", STORE_OPEN_LOCK};
    char p[PATH_MAX];
    cli_node_close(cli);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (s_path(p, sizeof p, cli->dir, names[i]) == 0)
            unlink(p);
    if (o->key_copied && s_path(p, sizeof p, cli->dir, NODE_KEY_FILE) == 0)
        unlink(p);
    if (o->cfg_copied && s_path(p, sizeof p, cli->dir, NODE_CONFIG_FILE) == 0)
        unlink(p);
}

/* DIR/node.key (copied in from --key first): its public half into
 * o->pk. Returns 0 or an exit code after saying why. */
static int
s_key(cli_t *cli, s_opts_t *o)
{
    uint8_t *sk = NULL;
    int rc;
    if (o->key) {
        if ((rc = s_copy_in(cli, o->key, NODE_KEY_FILE,
                            crypto_sign_SECRETKEYBYTES)))
            return rc;
        o->key_copied = true;
    }
    if ((rc = node_identity_load(cli->dir, NULL, &sk)))
        return cli_fail(rc,
                        "cannot load %s/%s (give the node's key with "
                        "--key FILE)",
                        cli->dir, NODE_KEY_FILE);
    rc = crypto_sign_ed25519_sk_to_pk(o->pk, sk);
    node_identity_free(&sk);
    return rc ? cli_fail(VOCFED_EKEY, "bad key") : 0;
}

/* DIR/vocfed.cfg (copied in from --config first) must name the
 * coordinator. Returns 0 or an exit code after saying why. */
static int
s_config(cli_t *cli, s_opts_t *o)
{
    node_config_t cfg;
    char why[320] = "";
    int rc;
    if (o->config) {
        if ((rc = s_copy_in(cli, o->config, NODE_CONFIG_FILE, S_CFG_MAX)))
            return rc;
        o->cfg_copied = true;
    }
    if ((rc = node_config_load_why(cli->dir, &cfg, why, sizeof why)))
        return cli_fail(rc, "cannot read %s/%s %s", cli->dir, NODE_CONFIG_FILE,
                        why);
    if (!cfg.coordinator[0] || !cfg.coordinator_key[0]) {
        cli_error("%s/%s does not say where the coordinator is (give the "
                  "node's settings with --config FILE, or 'vocfed config "
                  "set coordinator' and 'coordinator_key')",
                  cli->dir, NODE_CONFIG_FILE);
        return CLI_EXIT_ENV;
    }
    /* Its log is registered first (s_make), as init does. */
    if (cfg.coordinator_id[0] &&
        proto_unhex(cfg.coordinator_key, o->coord_pk, sizeof o->coord_pk) == 0)
        snprintf(o->coord_id, sizeof o->coord_id, "%s", cfg.coordinator_id);
    return 0;
}

/* Opens --from read only and checks it is this node's: same key, same
 * id. Returns 0 or an exit code after saying why. */
static int
s_old(s_opts_t *o)
{
    char hex[2 * PROTO_PUBKEY_LEN + 1], mine[2 * PROTO_PUBKEY_LEN + 1];
    int rc = store_open(o->from, &(store_opts_t){.no_derived = true}, &o->old);
    if (rc)
        return cli_fail(rc, "cannot open the old store %s", o->from);
    if ((rc = store_meta_get(o->old, NODE_META_ID, o->old_id,
                             sizeof o->old_id)) ||
        (rc = store_meta_get(o->old, NODE_META_PUBKEY, hex, sizeof hex)) ||
        (rc = store_meta_get(o->old, NODE_META_NAME, o->old_name,
                             sizeof o->old_name)) ||
        (rc = store_meta_get(o->old, NODE_META_ROLE, o->old_role,
                             sizeof o->old_role)))
        return cli_fail(rc, "%s holds no node identity", o->from);
    proto_hex(o->pk, sizeof o->pk, mine);
    /* Another key: this id's before a key replacement, which the key
     * history must show once the session has fetched it (s_old_key). */
    o->old_other_key = strcmp(hex, mine) != 0;
    if (o->old_other_key &&
        (proto_unhex(hex, o->old_pk, sizeof o->old_pk) || !o->id)) {
        cli_error("%s is another node's store (key %.16s..., node.key is "
                  "%.16s...; give --id for a key replaced since)",
                  o->from, hex, mine);
        return CLI_EXIT_FAIL;
    }
    if (o->id && strcmp(o->id, o->old_id) != 0) {
        cli_error("%s is the store of '%s', not of '%s'", o->from, o->old_id,
                  o->id);
        return CLI_EXIT_FAIL;
    }
    o->id = o->old_id;
    return 0;
}

/* Makes the store with the identity, fenced until the session has
 * fetched our log. Name and role are the old store's, else provisional
 * (the roster's are taken after the session, s_roster). */
static int
s_make(cli_t *cli, const s_opts_t *o)
{
    char hex[2 * PROTO_PUBKEY_LEN + 1], created[24];
    node_t *node;
    int rc = cli_node(cli, &node);
    if (rc)
        return rc;
    store_t *st = node_store(node);
    proto_hex(o->pk, sizeof o->pk, hex);
    snprintf(created, sizeof created, "%" PRIu64, proto_now_ms());
    const char *const meta[][2] = {
        {NODE_META_ID, o->id},
        {NODE_META_NAME, o->old ? o->old_name : o->id},
        {NODE_META_ROLE, o->old ? o->old_role : NODE_ROLE_MEMBER},
        {NODE_META_PUBKEY, hex},
        {NODE_META_CREATED, created},
    };
    for (size_t i = 0; !rc && i < sizeof meta / sizeof meta[0]; i++)
        rc = store_meta_set(st, meta[i][0], meta[i][1]);
    /* The coordinator's log registered before ours, when the settings
     * name its id: ours, the one that grows, then sorts last in the
     * entries table, and its appends fill their pages (SPEC 5.1). */
    if (!rc && o->coord_id[0] && strcmp(o->coord_id, o->id) != 0)
        rc = store_author_add(st, o->coord_id, o->coord_pk);
    if (!rc)
        rc = store_author_add(st, o->id, o->pk);
    if (!rc)
        rc = store_fence_set(st, S_FENCE);
    cli_node_close(cli);
    return rc ? cli_fail(rc, "cannot make the store in %s", cli->dir) : 0;
}

/* The roster in the coordinator's log just taken names our display name
 * and role: the store's meta follows it. Nothing when it does not. */
static void
s_roster(node_t *node, const char *id)
{
    node_roster_t r = {0};
    const char *coord = node_coordinator_id(node);
    if (!coord || node_roster_load(node_store(node), coord, &r))
        return;
    const node_member_t *me = node_roster_find(&r, id);
    if (me && me->name[0] &&
        store_meta_set(node_store(node), NODE_META_NAME, me->name))
        cli_error("cannot set the name the roster gives");
    if (me && me->role[0] &&
        store_meta_set(node_store(node), NODE_META_ROLE, me->role))
        cli_error("cannot set the role the roster gives");
    node_roster_release(&r);
}

/* OLD under another key than node.key's: it must be a key of the id's
 * history, as the roster stated it to the session. Returns 0 or an exit
 * code after saying why. */
static int
s_old_key(node_t *node, const s_opts_t *o)
{
    store_key_t keys[STORE_KEYS_MAX];
    size_t n = 0;
    if (!o->old_other_key)
        return 0;
    int rc =
        store_author_keys(node_store(node), o->id, keys, STORE_KEYS_MAX, &n);
    for (size_t i = 0; rc == VOCFED_OK && i < n; i++)
        if (memcmp(keys[i].pk, o->old_pk, PROTO_PUBKEY_LEN) == 0)
            return 0;
    cli_error("%s was signed by a key that is not in %s's key history: "
              "another node's store; nothing of it signed again (the "
              "rebuilt store stays)",
              o->from, o->id);
    return CLI_EXIT_FAIL;
}

/* Signs again what the old store holds that the coordinator never got
 * (node/restore.h), in chunks. *n gets how many. Returns 0 or an exit
 * code after saying why. */
static int
s_reappend(cli_t *cli, node_t *node, const s_opts_t *o, size_t *n)
{
    node_restore_plan_t *plan = NULL;
    size_t total = 0, bad = 0;
    *n = 0;
    int rc = node_restore_plan(o->old, node_store(node), o->id, &plan);
    if (rc)
        return cli_fail(rc, "cannot compare %s with the rebuilt log", o->from);
    const store_record_t *recs = node_restore_plan_records(plan, &total);
    for (size_t i = 0; !rc && i < total; i += S_CHUNK) {
        size_t k = total - i < S_CHUNK ? total - i : S_CHUNK;
        if ((rc = node_append(node, recs + i, k, 0, NULL, &bad)))
            cli_fail(rc, "cannot sign %s %s again (seq %" PRIu64 " of %s)",
                     recs[i + bad].kind, recs[i + bad].key,
                     node_restore_plan_old_seq(plan, i + bad), o->from);
        else
            *n += k;
    }
    node_restore_plan_destroy(&plan);
    (void)cli;
    return rc ? cli_exit_code(rc) : 0;
}

/* Checks the rebuilt log of our own (every checkpoint signed by our
 * key, the tree the same) and prints what was done. */
static int
s_done(cli_t *cli, node_t *node, const s_opts_t *o,
       const node_member_stats_t *st, size_t again)
{
    store_verify_result_t res;
    store_head_t head;
    int rc = store_verify(node_store(node), o->id, &res, NULL, NULL);
    if (rc)
        return cli_fail(
            rc, "the rebuilt log does not verify at seq %" PRIu64 ": %s",
            res.seq, res.what);
    if ((rc = store_head(node_store(node), o->id, &head)))
        return cli_fail(rc, "cannot read the rebuilt log");
    printf("restore: %s: %s's log rebuilt from the coordinator (%" PRIu64
           " entries, %" PRIu64 " taken in all)",
           cli->dir, o->id, head.size - again, st->received);
    if (o->old)
        printf("; %zu record%s of %s signed again", again,
               again == 1 ? "" : "s", o->from);
    printf("\n");
    if (again)
        printf("restore: start the daemon or run 'vocfed sync' to send "
               "them\n");
    return CLI_EXIT_OK;
}

/* The session that fetches our log and the coordinator's, then the
 * rest. Returns an exit code. */
static int
s_rebuild(cli_t *cli, s_opts_t *o)
{
    node_member_stats_t st = {0};
    node_t *node;
    char why[128];
    size_t again = 0;
    int status = 0;
    int rc = cli_member_once(cli, o->timeout_s * 1000, &st, &status);
    if (rc)
        return rc;
    if (status)
        return cli_fail(status,
                        "the coordinator's copy of %s's log could "
                        "not be fetched (nothing is left in %s)",
                        o->id, cli->dir);
    o->synced = true;
    if ((rc = cli_node(cli, &node)))
        return rc;
    if (store_fence_get(node_store(node), why, sizeof why) !=
        VOCFED_ENOTFOUND) {
        cli_error("the store is still fenced after the session: %s", why);
        return CLI_EXIT_FAIL;
    }
    s_roster(node, o->id);
    if ((rc = node_key_load(node)))
        return cli_fail(rc, "cannot load the key");
    if (o->old &&
        ((rc = s_old_key(node, o)) || (rc = s_reappend(cli, node, o, &again))))
        return rc;
    return s_done(cli, node, o, &st, again);
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    s_opts_t o = {.timeout_s = 60};
    const cli_opt_t opts[] = {
        CLI_ID("id", &o.id),
        CLI_STR("key", &o.key),
        CLI_STR("config", &o.config),
        CLI_STR("from", &o.from),
        CLI_SECONDS("timeout", &o.timeout_s, 1, 86400),
        CLI_END,
    };
    int rc = cli_parse(cli, opts, argc, argv, NULL);
    if (rc != CLI_GO_ON)
        return rc;
    if (!o.id && !o.from)
        return cli_usage_error(cli, "restore needs --id ID (or --from OLD, "
                                    "whose id it takes)");
    if (mkdir(cli->dir, 0700) != 0 && errno != EEXIST)
        return cli_fail(-errno, "cannot make %s", cli->dir);
    if ((rc = cli_no_store(cli, "restore makes a new store only (move the "
                                "old one aside, and give it with --from)")))
        return rc;
    if (!(rc = s_key(cli, &o)) && !(rc = s_config(cli, &o)) &&
        (!o.from || !(rc = s_old(&o))) && !(rc = s_make(cli, &o)))
        rc = s_rebuild(cli, &o);
    if (rc && !o.synced)
        s_undo(cli, &o); /* nothing signed: nothing left */
    store_destroy(&o.old);
    return rc;
}

const cli_cmd_t cmd_restore = {
    .name = "restore",
    .large = true,
    .summary = "rebuild a member's lost store from the coordinator's copy",
    .usage =
        "Usage: vocfed restore --id ID [--key FILE] [--config FILE] "
        "[--timeout SECONDS]\n"
        "       vocfed restore --from OLD [--key FILE] [--config FILE] "
        "[--timeout SECONDS]\n"
        "\n"
        "Rebuilds a member's store in DIR after it was lost, from the "
        "copy of its log\n"
        "the coordinator holds. DIR must hold no store; it must hold the "
        "node's key\n"
        "(node.key) and settings (vocfed.cfg, which names the coordinator), "
        "or they\n"
        "are given with --key and --config and copied in (mode 0600).\n"
        "\n"
        "Restore makes a new store for the same id and key, fenced, and "
        "runs one\n"
        "session with the coordinator: the coordinator serves the node "
        "its own log,\n"
        "which is taken in only if every checkpoint is signed by node.key "
        "and the\n"
        "tree is the same, then the coordinator's log. The display name "
        "and role\n"
        "are the roster's. Then it checks the rebuilt log ('verify' of "
        "it). When\n"
        "vocfed.cfg names coordinator_id, the coordinator's log is "
        "registered before\n"
        "the node's own, as 'vocfed init --coordinator-id' does (its own "
        "log, the one\n"
        "that grows, then fills its pages).\n"
        "\n"
        "With --from OLD (an old store of this node: a backup, or what is "
        "left of\n"
        "the lost store), the records of OLD the coordinator never received "
        "are\n"
        "signed again as new entries after the rebuilt log: for each kind "
        "and key,\n"
        "OLD's last entry, when the rebuilt log does not hold that very "
        "entry and\n"
        "the current record differs from it (another value, or none; a "
        "delete only\n"
        "where the record exists). OLD is only read. Start the daemon or "
        "run 'vocfed\n"
        "sync' to send them. Nothing the coordinator acknowledged is "
        "lost, and the\n"
        "coordinator never sees two checkpoints at one size: the node "
        "signs only\n"
        "after the whole of its log at the coordinator.\n"
        "\n"
        "Options:\n"
        "  --id ID            the node's id (default: OLD's)\n"
        "  --key FILE         the node's node.key, copied into DIR\n"
        "  --config FILE      the node's vocfed.cfg, copied into DIR\n"
        "  --from OLD         an old store of this node (same id; its key, "
        "or one\n"
        "                     the key history shows it had: with --id)\n"
        "  --timeout SECONDS  give up the session after this long "
        "(default 60)\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 rebuilt, 1 OLD is another node's or a record "
        "could not be\n"
        "signed again, 2 usage error, 3 DIR holds a store, no key or "
        "settings, or\n"
        "the coordinator could not be reached or refused (then nothing is "
        "left in\n"
        "DIR but what was there).\n",
    .run = s_run,
    .needs = CLI_NEEDS_CREATE,
};
