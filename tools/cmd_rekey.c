/* vocfed rekey: a member replaces its key and keeps its id (SPEC 3.4,
 * 10.8): a handover to a new key signed with the old one, delivered to
 * the coordinator, then the new key in node.key. */
#include "node/daemon.h"
#include "node/file.h"
#include "node/identity.h"
#include "node/meta.h"
#include "node/rekey.h"
#include "storage/replica.h"
#include "tools/cli_fence.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define S_NEW_KEY_FILE "node.key.new"

/* What rekey was told, and what it found. */
typedef struct {
    bool finish;                      /* --finish: no session */
    uint64_t timeout_s;               /* --timeout */
    char path_new[PATH_MAX];          /* DIR/node.key.new */
    char path_key[PATH_MAX];          /* DIR/node.key */
    uint8_t pk_new[PROTO_PUBKEY_LEN]; /* the new key's public half */
    uint64_t seq;                     /* the handover's seq */
} s_opts_t;

/* DIR/node.key.new: read when an earlier run made it, else made now.
 * Returns 0 or an exit code after saying why. */
static int
s_new_key(s_opts_t *o)
{
    uint8_t *sk = sodium_malloc(PROTO_SECKEY_LEN);
    int rc = sk ? node_secret_read(o->path_new, sk, PROTO_SECKEY_LEN)
                : VOCFED_ENOMEM;
    if (rc == VOCFED_ENOTFOUND) {
        crypto_sign_keypair(o->pk_new, sk);
        rc = node_secret_write(o->path_new, sk, PROTO_SECKEY_LEN);
    } else if (rc == VOCFED_OK) {
        crypto_sign_ed25519_sk_to_pk(o->pk_new, sk);
    }
    sodium_free(sk);
    return rc ? cli_fail(rc, "cannot make or read %s", o->path_new) : 0;
}

/* Signs the handover unless the store's key is the new one already (an
 * earlier run signed it). Returns 0 or an exit code after saying why. */
static int
s_handover(cli_t *cli, node_t *node, s_opts_t *o)
{
    store_key_t keys[STORE_KEYS_MAX];
    size_t n;
    const char *id = node_id(node);
    int rc = store_author_keys(node_store(node), id, keys, STORE_KEYS_MAX, &n);
    if (rc)
        return cli_fail(rc, "cannot read %s's key history", id);
    if (memcmp(keys[n - 1].pk, o->pk_new, PROTO_PUBKEY_LEN) == 0) {
        o->seq = keys[n - 1].from;
        fprintf(stderr,
                "vocfed: the handover to the new key was signed before (seq "
                "%" PRIu64 ")\n",
                o->seq);
        return 0;
    }
    if (memcmp(keys[n - 1].pk, node_pubkey(node), PROTO_PUBKEY_LEN) != 0) {
        cli_error("the key in force for %s is neither node.key's nor "
                  "node.key.new's: nothing signed",
                  id);
        return CLI_EXIT_FAIL;
    }
    if (o->finish) {
        cli_error("--finish: no handover was signed yet (run 'vocfed rekey' "
                  "without it)");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_node_key(cli)))
        return rc;
    if ((rc = node_rekey_handover(node, o->pk_new, &o->seq)))
        return cli_fail(rc, "cannot sign the handover");
    fprintf(stderr,
            "vocfed: handover to the new key signed with the old one at seq "
            "%" PRIu64 "\n",
            o->seq);
    return 0;
}

/* One session with the old key, which the coordinator still admits: the
 * handover must come back acknowledged (its receipt stored). Returns 0
 * or an exit code after saying why. */
static int
s_deliver(cli_t *cli, s_opts_t *o)
{
    node_member_stats_t st = {0};
    store_ack_t ack = {0};
    node_t *node;
    int status = 0;
    int rc = cli_member_once(cli, o->timeout_s * 1000, &st, &status);
    if (rc || (rc = cli_node(cli, &node)))
        return rc;
    const char *coord = node_coordinator_id(node);
    if (coord &&
        store_peer_ack_get(node_store(node), coord, node_id(node), &ack) ==
            VOCFED_OK &&
        ack.acked >= o->seq)
        return 0;
    cli_error("the coordinator has not acknowledged the handover (seq "
              "%" PRIu64 "; the session: %s). node.key still holds the old "
              "key: run 'vocfed rekey' again once the coordinator can be "
              "reached. If the coordinator took it already (its 'members "
              "list' shows the new key), 'vocfed rekey --finish' puts the new "
              "key in place.",
              o->seq, status ? vocfed_strerror(status) : "ended");
    return CLI_EXIT_ENV;
}

/* The new key into node.key and the store's meta. The old secret key is
 * deleted (node.key.new renamed over it): after the handover it can only
 * do harm, signing a second history at a size it signed before. */
static int
s_swap(cli_t *cli, node_t *node, const s_opts_t *o)
{
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    proto_hex(o->pk_new, PROTO_PUBKEY_LEN, hex);
    int rc = store_meta_set(node_store(node), NODE_META_PUBKEY, hex);
    if (rc)
        return cli_fail(rc, "cannot record the new key in the store");
    if ((rc = node_file_replace(o->path_new, o->path_key, cli->dir)))
        return cli_fail(rc,
                        "the store names the new key but %s could not "
                        "replace %s: run 'vocfed rekey --finish'",
                        o->path_new, o->path_key);
    return 0;
}

static int
s_paths(cli_t *cli, s_opts_t *o)
{
    int n = snprintf(o->path_new, sizeof o->path_new, "%s/%s", cli->dir,
                     S_NEW_KEY_FILE);
    int k = snprintf(o->path_key, sizeof o->path_key, "%s/%s", cli->dir,
                     NODE_KEY_FILE);
    if (n < 0 || (size_t)n >= sizeof o->path_new || k < 0 ||
        (size_t)k >= sizeof o->path_key) {
        cli_error("folder name too long: %s", cli->dir);
        return CLI_EXIT_ENV;
    }
    return 0;
}

/* A member, no daemon on the store: the daemon lock is taken (*lock)
 * while the handover is signed, so none starts meanwhile. Returns 0 or
 * an exit code. */
static int
s_ready(cli_t *cli, node_t *node, int *lock)
{
    if (node_is_coordinator(node)) {
        cli_error("%s is the coordinator: its key is not replaced by rekey "
                  "(only a member's is)",
                  node_id(node));
        return CLI_EXIT_USAGE;
    }
    *lock = node_daemon_take("rekey", cli->dir);
    if (*lock == VOCFED_ELOCKED) {
        cli_error("a daemon holds %s (pid %d): stop it first (it connects "
                  "with the old key), then start it after rekey",
                  cli->dir, node_daemon_holder(cli->dir));
        return CLI_EXIT_ENV;
    }
    if (*lock < 0)
        return cli_fail(*lock, "cannot lock %s", cli->dir);
    return 0;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    s_opts_t o = {.timeout_s = 60};
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    node_t *node;
    const cli_opt_t opts[] = {
        CLI_FLAG("finish", &o.finish),
        CLI_SECONDS("timeout", &o.timeout_s, 1, 86400),
        CLI_END,
    };
    int rc = cli_parse(cli, opts, argc, argv, NULL);
    if (rc != CLI_GO_ON)
        return rc;
    int lock = -1;
    if (!(rc = s_paths(cli, &o)) && !(rc = cli_node(cli, &node)) &&
        !(rc = s_ready(cli, node, &lock)) && !(rc = s_new_key(&o)))
        rc = s_handover(cli, node, &o);
    if (lock >= 0)
        node_daemon_unlock(lock); /* the session takes it */
    if (rc)
        return rc;
    if (!o.finish && (rc = s_deliver(cli, &o)))
        return rc;
    if ((rc = cli_node(cli, &node)) || (rc = s_swap(cli, node, &o)))
        return rc;
    proto_hex(o.pk_new, PROTO_PUBKEY_LEN, hex);
    fprintf(stderr,
            "vocfed: %s signs with the new key from seq %" PRIu64
            " on; the old key was deleted and the coordinator refuses it\n",
            node_id(node), o.seq + 1);
    printf("%s\n", hex);
    return CLI_EXIT_OK;
}

const cli_cmd_t cmd_rekey = {
    .name = "rekey",
    .summary = "replace this member's key, keeping its id and its log",
    .usage =
        "Usage: vocfed rekey [--timeout SECONDS]\n"
        "       vocfed rekey --finish\n"
        "\n"
        "Replaces a member's key pair while it still has the old one (a "
        "key to\n"
        "retire, a machine to leave). Makes a new key pair (DIR/node.key.new,"
        " mode\n"
        "0600), signs with the OLD key a handover entry naming the new "
        "public key\n"
        "(kind key_handover, the last entry of its own checkpoint), and "
        "sends it to\n"
        "the coordinator in one session under the old key. Once the "
        "coordinator\n"
        "has acknowledged it, its roster names the new key and it refuses "
        "the old\n"
        "one; the new key goes into DIR/node.key and the old secret key is "
        "deleted\n"
        "(it could only sign a second history). Every checkpoint after the "
        "handover\n"
        "is signed with the new key; 'verify' checks each against the key "
        "in force\n"
        "at its size. The id, the log and the records stay.\n"
        "\n"
        "Stop the member's daemon first and start it again after. When the "
        "coordinator\n"
        "cannot be reached, the handover stays signed and node.key the old "
        "key: run\n"
        "'vocfed rekey' again (it goes on from there). --finish puts the "
        "new key in\n"
        "place without a session, for when the coordinator took the "
        "handover but its\n"
        "acknowledgement was lost ('vocfed members list' on the "
        "coordinator shows the\n"
        "new key). A member whose key is lost cannot do this: see "
        "'vocfed members\n"
        "rekey' and 'vocfed init --recover'.\n"
        "\n"
        "Prints the new public key.\n"
        "\n"
        "Options:\n"
        "  --timeout SECONDS  give up the session after this long (default "
        "60)\n"
        "  --finish           no session: the new key into "
        "node.key\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 done, 1 the store's key is neither node.key's nor "
        "the new\n"
        "one's, 2 usage error or not a member, 3 a daemon holds the store, "
        "no store,\n"
        "or the coordinator did not acknowledge the handover (then run it "
        "again).\n",
    .run = s_run,
    .needs = CLI_NEEDS_IDENTITY | CLI_NEEDS_KEY | CLI_NEEDS_SETTINGS,
};
