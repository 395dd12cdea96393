/* vocfed status: what this node holds and how its peers stand (SPEC 10). */
#include "storage/replica.h"
#include "protocol/clock.h"
#include "storage/backup.h"
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
    size_t raised;  /* alarms raised (not cleared) */
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

/* How the peer's link stands (SPEC 10.5): a daemon of ours connected to
 * it, a one-shot `vocfed sync` running or run, or none. */
static const char *
s_link(const store_peer_t *p)
{
    bool alive = p->connected && s_alive(p->pid);
    if (p->once)
        return alive ? "syncing-once" : "synced-once";
    return alive ? "connected" : "not-connected";
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
    uint64_t now = proto_now_ms();
    json_int_t age = p->last_contact_ms && now >= p->last_contact_ms
                         ? (json_int_t)((now - p->last_contact_ms) / 1000)
                         : -1;
    /* What the coordinator counted of this member (SPEC 10.5). */
    json_t *abuse = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "refused",
        (json_int_t)p->refused, "malformed", (json_int_t)p->malformed,
        "too_large", (json_int_t)p->too_large, "replayed",
        (json_int_t)p->replayed, "seq_gaps", (json_int_t)p->seq_gaps, "flooded",
        (json_int_t)p->flooded, "unread", (json_int_t)p->unread, "messages_in",
        (json_int_t)p->messages_in, "bytes_in", (json_int_t)p->bytes_in);
    const char *link = s_link(p);
    json_object_set_new(
        s->peers, p->id,
        json_pack("{s:b, s:s, s:s, s:I, s:I, s:o, s:o, s:I, s:I, s:o}",
                  "connected", !strcmp(link, "connected"), "link", link,
                  "last_contact", p->last_contact_ms ? when : "",
                  "last_contact_ms", (json_int_t)p->last_contact_ms,
                  "last_contact_age_s", age, "acked", a.acked, "lag", a.lag,
                  "refused", (json_int_t)p->refused, "malformed",
                  (json_int_t)p->malformed, "abuse", abuse));
    return 0;
}

static int
s_alarm(void *ctx, const store_alarm_t *a)
{
    s_status_t *s = ctx;
    char when[40], cleared[40] = "";
    cli_format_time(a->time_ms, when, sizeof when);
    if (a->cleared_ms)
        cli_format_time(a->cleared_ms, cleared, sizeof cleared);
    else
        s->raised++;
    json_array_append_new(
        s->alarms,
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:s}", "time", when,
                  "kind", a->kind, "peer", a->peer, "author", a->author, "seq",
                  (json_int_t)a->seq, "text", a->text, "raised",
                  a->cleared_ms == 0, "cleared", cleared));
    return 0;
}

/* One peer of the report: its state, abuse and acknowledgements. */
static void
s_print_peer(const char *key, json_t *v)
{
    const char *link = json_string_value(json_object_get(v, "link"));
    json_int_t age =
        json_integer_value(json_object_get(v, "last_contact_age_s"));
    char ago[48] = "";
    if (age >= 0)
        snprintf(ago, sizeof ago, " (%" JSON_INTEGER_FORMAT " s ago)", age);
    printf("  %-20s %-13s %s %s%s, refused %" JSON_INTEGER_FORMAT
           ", malformed %" JSON_INTEGER_FORMAT "\n",
           key,
           !strcmp(link, "synced-once")    ? "synced once"
           : !strcmp(link, "syncing-once") ? "syncing once"
           : !strcmp(link, "connected")    ? "connected"
                                           : "not connected",
           !strcmp(link, "synced-once") ? "at" : "last contact",
           json_string_length(json_object_get(v, "last_contact"))
               ? json_string_value(json_object_get(v, "last_contact"))
               : "never",
           ago, json_integer_value(json_object_get(v, "refused")),
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

/* One alarm of the report. */
static void
s_print_alarm(json_t *v)
{
    printf("  %s %-16s peer=%s author=%s seq=%" JSON_INTEGER_FORMAT ": %s",
           json_string_value(json_object_get(v, "time")),
           json_string_value(json_object_get(v, "kind")),
           json_string_value(json_object_get(v, "peer")),
           json_string_value(json_object_get(v, "author")),
           json_integer_value(json_object_get(v, "seq")),
           json_string_value(json_object_get(v, "text")));
    if (!json_is_true(json_object_get(v, "raised")))
        printf(" (cleared %s)",
               json_string_value(json_object_get(v, "cleared")));
    printf("\n");
}

/* The raised alarms, then the last few cleared ones (all in --json). */
#define S_CLEARED_SHOWN 5
static void
s_print_alarms(json_t *alarms)
{
    size_t i, raised = 0, cleared = 0, shown = 0;
    json_t *v;
    json_array_foreach(alarms, i, v)
    {
        if (json_is_true(json_object_get(v, "raised")))
            raised++;
        else
            cleared++;
    }
    printf("\nalarms raised:%s\n", raised ? "" : " none");
    json_array_foreach(alarms, i, v)
    {
        if (json_is_true(json_object_get(v, "raised")))
            s_print_alarm(v);
    }
    if (!cleared)
        return;
    printf("\nalarms cleared: %zu%s\n", cleared,
           cleared > S_CLEARED_SHOWN ? " (the last shown; --json has all)"
                                     : "");
    json_array_foreach(alarms, i, v)
    {
        if (!json_is_true(json_object_get(v, "raised")) &&
            ++shown > cleared - (cleared < S_CLEARED_SHOWN ? cleared
                                                           : S_CLEARED_SHOWN))
            s_print_alarm(v);
    }
}

static void
s_print(const node_t *node, json_t *j)
{
    const char *key;
    json_t *v;
    printf("node %s (%s, %s)\n", node_id(node), node_name(node),
           node_role(node));
    const char *fence = json_string_value(json_object_get(j, "fenced"));
    if (fence)
        printf("\nFENCED: %s\n  it signs nothing until %s\n", fence,
               node_is_coordinator(node)
                   ? "every active member has given its copy of this "
                     "coordinator's log\n  (the daemon fetches what they "
                     "hold; 'vocfed unfence' for a member gone for good)"
                   : "a session with the coordinator has fetched its own "
                     "log");
    printf("\nlogs held:\n");
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
    s_print_alarms(json_object_get(j, "alarms"));
}

/* The one line of --check (for monitoring): OK, or the raised alarms'
 * count and the first one's cause. */
static void
s_print_check(json_t *alarms, size_t raised)
{
    size_t i;
    json_t *v = NULL;
    if (raised == 0) {
        printf("OK: no alarm raised\n");
        return;
    }
    json_array_foreach(alarms, i, v)
    {
        if (json_is_true(json_object_get(v, "raised")))
            break;
    }
    printf("ALARM: %zu raised; first: %s peer=%s: %s\n", raised,
           json_string_value(json_object_get(v, "kind")),
           json_string_value(json_object_get(v, "peer")),
           json_string_value(json_object_get(v, "text")));
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    bool json = false, check = false;
    node_t *node;
    const cli_opt_t opts[] = {CLI_FLAG("json", &json),
                              CLI_FLAG("check", &check), CLI_END};
    int rc = cli_parse(cli, opts, argc, argv, NULL);
    if (rc != CLI_GO_ON || (rc = cli_node(cli, &node)))
        return rc;
    store_t *store = node_store(node);
    s_status_t s = {store, json_object(), json_object(), json_array(), 0, 0};
    json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", node_id(node),
                          "role", node_role(node), "logs", s.logs, "peers",
                          s.peers, "alarms", s.alarms);
    if ((rc = store_scan_authors(store, s_author, &s)) ||
        (rc = store_scan_peers(store, s_peer, &s)) ||
        (rc = store_scan_alarms(store, s_alarm, &s))) {
        json_decref(j);
        return cli_fail(rc, "cannot read the status of %s", cli->dir);
    }
    json_object_set_new(j, "alarms_raised", json_integer((json_int_t)s.raised));
    char why[256];
    int frc = store_fence_get(store, why, sizeof why);
    json_object_set_new(j, "fenced",
                        frc == VOCFED_ENOTFOUND ? json_null()
                        : frc == VOCFED_OK      ? json_string(why)
                                                : json_string("(unreadable)"));
    if (check)
        s_print_check(s.alarms, s.raised);
    else if (json)
        rc = cli_json_print(j);
    else
        s_print(node, j);
    json_decref(j);
    if (rc)
        return rc;
    /* Monitoring reads the exit status: 1 while an alarm is raised. */
    return s.raised ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

const cli_cmd_t cmd_status = {
    .name = "status",
    .summary = "show the logs held, the peers and the alarms",
    .usage =
        "Usage: vocfed status [--json | --check]\n"
        "\n"
        "For each log this node holds: its size, the size its latest "
        "checkpoint\n"
        "signs, up to which seq its records and figures are applied (a daemon\n"
        "applies them behind the log), and its root. For each peer: its link\n"
        "(connected: a daemon of this node and the peer's daemon hear each\n"
        "other's heartbeats now; syncing once / synced once: the peer's last\n"
        "session was a one-shot 'vocfed sync', never a connected daemon; not\n"
        "connected), the last contact and how long ago, what the peer has\n"
        "acknowledged of each log and how far behind that is, refusals and\n"
        "malformed messages, and at a coordinator what it counted of each\n"
        "member's abuse: messages over a size cap, replayed batches, batches\n"
        "past a sequence gap, messages dropped over the rate limit, replies "
        "it\n"
        "did not read.\n"
        "A fenced store (put back from a copy, or fetching entries of its own "
        "log\n"
        "from its peers) says so first: it signs nothing until the fence "
        "goes.\n"
        "Then the alarms raised (refused batches, refusals by the peer,\n"
        "receipts whose root is not ours, quarantines, connections that fail\n"
        "and why) and the last ones cleared: an alarm is cleared when its "
        "cause\n"
        "goes away (a refused log gets past the refused entry, the link comes\n"
        "up again, a suspended member is activated).\n"
        "\n"
        "Options:\n"
        "  --json        one JSON object: id, role, logs.<author>.{size, "
        "root,\n"
        "                checkpoint_size, quarantined, applied},\n"
        "                peers.<peer>.{connected, link, last_contact,\n"
        "                last_contact_ms, last_contact_age_s, acked.<author>,\n"
        "                lag.<author>, refused, malformed, abuse.{refused,\n"
        "                malformed, too_large, replayed, seq_gaps, flooded,\n"
        "                unread, messages_in, bytes_in}}, alarms (a list of\n"
        "                {time, kind, peer, author, seq, text, raised,\n"
        "                cleared}), alarms_raised, fenced (null, or why the\n"
        "                store signs nothing: SPEC 5.2)\n"
        "  --check       one line, for monitoring: 'OK: no alarm raised', or\n"
        "                'ALARM: N raised; first: KIND peer=PEER: "
        "TEXT'\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 no alarm raised, 1 an alarm is raised, 2 usage error,\n"
        "3 no store.\n",
    .run = s_run,
    .needs = CLI_NEEDS_IDENTITY,
};
