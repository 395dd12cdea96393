/* vocfed status: what this node holds and how its peers stand (SPEC 10). */
#include "storage/replica.h"
#include "tools/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Everything status gathers, as one JSON object; printed as JSON or as a
 * report. */
typedef struct {
    store_t *store; /* the store */
    json_t *logs;   /* author -> {size, root, checkpoint_size} */
    json_t *peers;  /* peer -> {...} */
    json_t *alarms; /* [ {...} ] */
    int rc;         /* first failure */
} s_status_t;

static int
s_author(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_status_t *s = ctx;
    store_head_t h;
    uint64_t cp = 0, applied = 0;
    char root[2 * PROTO_HASH_LEN + 1];
    (void)pk;
    int rc = store_head(s->store, id, &h);
    if (!rc)
        rc = store_checkpoint_size(s->store, id, &cp);
    if (!rc) /* how far the record index and figures are (SPEC 5.5) */
        rc = store_applied(s->store, id, &applied);
    if (rc)
        return rc;
    proto_hex(h.root, PROTO_HASH_LEN, root);
    json_object_set_new(
        s->logs, id,
        json_pack("{s:I, s:s, s:I, s:b, s:I}", "size", (json_int_t)h.size,
                  "root", root, "checkpoint_size", (json_int_t)cp,
                  "quarantined", store_quarantined(s->store, id), "applied",
                  (json_int_t)applied));
    return 0;
}

typedef struct {
    s_status_t *s; /* the whole status */
    json_t *acked; /* author -> size */
    json_t *lag;   /* author -> entries the peer lacks */
} s_acks_t;

static int
s_ack(void *ctx, const char *author, const store_ack_t *ack)
{
    s_acks_t *a = ctx;
    json_object_set_new(a->acked, author, json_integer((json_int_t)ack->acked));
    json_t *log = json_object_get(a->s->logs, author);
    json_t *size = log ? json_object_get(log, "size") : NULL;
    if (size) {
        json_int_t lag = json_integer_value(size) - (json_int_t)ack->acked;
        json_object_set_new(a->lag, author, json_integer(lag > 0 ? lag : 0));
    }
    return 0;
}

/* A daemon that said it was connected is believed only while it lives. */
static bool
s_alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static int
s_peer(void *ctx, const store_peer_t *p)
{
    s_status_t *s = ctx;
    char when[40];
    s_acks_t a = {s, json_object(), json_object()};
    int rc = store_scan_acks(s->store, p->id, s_ack, &a);
    if (rc) {
        json_decref(a.acked);
        json_decref(a.lag);
        return rc;
    }
    cli_format_time(p->last_contact_ms, when, sizeof when);
    /* What the coordinator counted of this member (SPEC 10.5). */
    json_t *abuse = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "refused",
        (json_int_t)p->refused, "malformed", (json_int_t)p->malformed,
        "too_large", (json_int_t)p->too_large, "replayed",
        (json_int_t)p->replayed, "seq_gaps", (json_int_t)p->seq_gaps, "flooded",
        (json_int_t)p->flooded, "unread", (json_int_t)p->unread, "messages_in",
        (json_int_t)p->messages_in, "bytes_in", (json_int_t)p->bytes_in);
    json_object_set_new(
        s->peers, p->id,
        json_pack("{s:b, s:s, s:I, s:o, s:o, s:I, s:I, s:o}", "connected",
                  p->connected && s_alive(p->pid), "last_contact",
                  p->last_contact_ms ? when : "", "last_contact_ms",
                  (json_int_t)p->last_contact_ms, "acked", a.acked, "lag",
                  a.lag, "refused", (json_int_t)p->refused, "malformed",
                  (json_int_t)p->malformed, "abuse", abuse));
    return 0;
}

static int
s_alarm(void *ctx, uint64_t time_ms, const char *kind, const char *peer,
        const char *author, uint64_t seq, const char *text)
{
    s_status_t *s = ctx;
    char when[40];
    cli_format_time(time_ms, when, sizeof when);
    json_array_append_new(
        s->alarms, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "time", when,
                             "kind", kind, "peer", peer, "author", author,
                             "seq", (json_int_t)seq, "text", text));
    return 0;
}

/* One peer of the report: its state, abuse and acknowledgements. */
static void
s_print_peer(const char *key, json_t *v)
{
    printf("  %-20s %-13s last contact %s, refused %" JSON_INTEGER_FORMAT
           ", malformed %" JSON_INTEGER_FORMAT "\n",
           key,
           json_is_true(json_object_get(v, "connected")) ? "connected"
                                                         : "not connected",
           json_string_length(json_object_get(v, "last_contact"))
               ? json_string_value(json_object_get(v, "last_contact"))
               : "never",
           json_integer_value(json_object_get(v, "refused")),
           json_integer_value(json_object_get(v, "malformed")));
    json_t *ab = json_object_get(v, "abuse");
    static const char *const kinds[] = {"too_large", "replayed", "seq_gaps",
                                        "flooded", "unread"};
    bool any = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        json_int_t n = json_integer_value(json_object_get(ab, kinds[i]));
        if (n) {
            printf("%s %s %" JSON_INTEGER_FORMAT,
                   any ? "," : "      abuse:", kinds[i], n);
            any = true;
        }
    }
    if (any)
        printf("\n");
    const char *author;
    json_t *n;
    json_object_foreach(json_object_get(v, "acked"), author, n)
    {
        json_t *lag = json_object_get(json_object_get(v, "lag"), author);
        printf("      acked %-14s %10" JSON_INTEGER_FORMAT, author,
               json_integer_value(n));
        if (lag)
            printf("   lag %" JSON_INTEGER_FORMAT, json_integer_value(lag));
        printf("\n");
    }
}

static void
s_print(const node_t *node, json_t *j)
{
    const char *key;
    json_t *v;
    printf("node %s (%s, %s)\n\nlogs held:\n", node_id(node), node_name(node),
           node_role(node));
    printf("  %-20s %10s %10s %10s  %s\n", "author", "size", "signed at",
           "applied", "root");
    json_object_foreach(json_object_get(j, "logs"), key, v)
    {
        printf("  %-20s %10" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT
               " %10" JSON_INTEGER_FORMAT "  %.16s…%s\n",
               key, json_integer_value(json_object_get(v, "size")),
               json_integer_value(json_object_get(v, "checkpoint_size")),
               json_integer_value(json_object_get(v, "applied")),
               json_string_value(json_object_get(v, "root")),
               json_is_true(json_object_get(v, "quarantined")) ? "  QUARANTINED"
                                                               : "");
    }
    json_t *peers = json_object_get(j, "peers");
    printf("\npeers:%s\n", json_object_size(peers) ? "" : " none yet");
    json_object_foreach(peers, key, v)
    {
        s_print_peer(key, v);
    }
    json_t *alarms = json_object_get(j, "alarms");
    printf("\nalarms:%s\n", json_array_size(alarms) ? "" : " none");
    size_t i;
    json_array_foreach(alarms, i, v)
    {
        printf("  %s %-16s peer=%s author=%s seq=%" JSON_INTEGER_FORMAT
               ": %s\n",
               json_string_value(json_object_get(v, "time")),
               json_string_value(json_object_get(v, "kind")),
               json_string_value(json_object_get(v, "peer")),
               json_string_value(json_object_get(v, "author")),
               json_integer_value(json_object_get(v, "seq")),
               json_string_value(json_object_get(v, "text")));
    }
}

static int
s_show(cli_t *cli, node_t *node, bool json)
{
    int rc;
    store_t *store = node_store(node);
    s_status_t s = {store, json_object(), json_object(), json_array(), 0};
    json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", node_id(node),
                          "role", node_role(node), "logs", s.logs, "peers",
                          s.peers, "alarms", s.alarms);
    if ((rc = store_scan_authors(store, s_author, &s)) ||
        (rc = store_scan_peers(store, s_peer, &s)) ||
        (rc = store_scan_alarms(store, s_alarm, &s))) {
        json_decref(j);
        return cli_fail(rc, "cannot read the status of %s", cli->dir);
    }
    if (json)
        rc = cli_json_print(j);
    else
        s_print(node, j);
    json_decref(j);
    return rc;
}

const cli_cmd_t cmd_status = {
    .name = "status",
    .summary = "show the logs held, the peers and the alarms",
    .usage =
        "Usage: vocfed status [--json]\n"
        "\n"
        "For each log this node holds: its size, the size its latest "
        "checkpoint\n"
        "signs, up to which seq its records and figures are applied (a "
        "daemon\n"
        "applies them behind the log), and its root. For each peer: connected "
        "or not (a daemon of "
        "this\n"
        "node is connected to it now), last contact, what the peer has "
        "acknowledged\n"
        "of each log and how far behind that is, refusals and malformed "
        "messages,\n"
        "and at a coordinator what it counted of each member's abuse: "
        "messages over\n"
        "a size cap, replayed batches, batches past a sequence gap, messages "
        "dropped\n"
        "over the rate limit, replies it did not read.\n"
        "Then the alarms: refused batches, receipts whose root is not ours,\n"
        "quarantines.\n"
        "\n"
        "Options:\n"
        "  --json        one JSON object: id, role, logs.<author>.{size, "
        "root,\n"
        "                checkpoint_size, quarantined, applied}, "
        "peers.<peer>."
        "{connected,\n"
        "                last_contact, acked.<author>, lag.<author>, "
        "refused,\n"
        "                malformed, abuse.{refused, malformed, too_large, "
        "replayed,\n"
        "                seq_gaps, flooded, unread, messages_in, "
        "bytes_in}},\n"
        "                alarms (a list)\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 ok, 2 usage error, 3 no store.\n",
    .show = s_show,
    .needs = CLI_NEEDS_IDENTITY,
};
