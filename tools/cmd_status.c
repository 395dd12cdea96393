/* vocfed status: what this node holds and how its peers stand (SPEC 10). */
#include "tools/cli.h"
#include "tools/status_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
    json_t *rate = json_object_get(v, "rate");
    json_int_t waited = json_integer_value(json_object_get(rate, "waited"));
    if (waited)
        printf("      over its rate: %" JSON_INTEGER_FORMAT
               " messages waited, %" JSON_INTEGER_FORMAT
               " of them read on spare capacity\n",
               waited, json_integer_value(json_object_get(rate, "lent")));
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

/* A latency histogram's count and mean. */
static void
s_print_hist(const char *what, json_t *h)
{
    json_int_t n = json_integer_value(json_object_get(h, "count"));
    double sum = json_number_value(json_object_get(h, "sum"));
    printf(", %s %" JSON_INTEGER_FORMAT, what, n);
    if (n)
        printf(" (mean %.1f ms)", sum * 1000 / (double)n);
}

/* What the daemon counted of its ingest and receipts (SPEC 5.1). */
static void
s_print_stats(json_t *st)
{
    const char *reason;
    json_t *v, *batches = json_object_get(st, "batches");
    json_int_t refused = 0;
    json_object_foreach(batches, reason, v)
    {
        if (strcmp(reason, "ok"))
            refused += json_integer_value(v);
    }
    printf("\ningest: batches taken in %" JSON_INTEGER_FORMAT,
           json_integer_value(json_object_get(batches, "ok")));
    printf(", not taken %" JSON_INTEGER_FORMAT, refused);
    json_object_foreach(batches, reason, v)
    {
        if (strcmp(reason, "ok") && json_integer_value(v))
            printf(" %s %" JSON_INTEGER_FORMAT, reason, json_integer_value(v));
    }
    json_t *c = json_object_get(st, "commit_batches");
    printf("\n  commits %" JSON_INTEGER_FORMAT,
           json_integer_value(json_object_get(c, "count")));
    s_print_hist("taking", json_object_get(st, "commit_seconds"));
    s_print_hist("put to receipt",
                 json_object_get(st, "put_to_receipt_seconds"));
    printf("\n");
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
    s_print_stats(json_object_get(j, "stats"));
    json_t *rates = json_object_get(j, "rates");
    if (json_is_object(rates))
        printf(
            "\nrate: each member %" JSON_INTEGER_FORMAT
            " messages/s and %.1f MiB/s, as the daemon set them at %s (its "
            "start or a SIGHUP)\n",
            json_integer_value(json_object_get(rates, "messages_per_s")),
            (double)json_integer_value(json_object_get(rates, "bytes_per_s")) /
                1048576.0,
            json_string_value(json_object_get(rates, "since")));
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
    json_t *j = NULL;
    if ((rc = cmd_status_json(node, &j)))
        return cli_fail(rc, "cannot read the status of %s", cli->dir);
    json_t *alarms = json_object_get(j, "alarms");
    size_t raised =
        (size_t)json_integer_value(json_object_get(j, "alarms_raised"));
    if (check)
        s_print_check(alarms, raised);
    else if (json)
        rc = cli_json_print(j);
    else
        s_print(node, j);
    json_decref(j);
    if (rc)
        return rc;
    /* Monitoring reads the exit status: 1 while an alarm is raised. */
    return raised ? CLI_EXIT_FAIL : CLI_EXIT_OK;
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
        "did not read; and how many of its messages waited over its rate\n"
        "and how many of those were read on spare capacity (not abuse).\n"
        "At a coordinator, the members' rate its daemon runs with, since its\n"
        "start or its last SIGHUP.\n"
        "Then what this node's daemon counted of its ingest:\n"
        "batches taken in and not (by reason), its commits and how long they\n"
        "took, and put-to-receipt latency (written each second, SPEC 5.1).\n"
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
        "                acked_ms.<author> (when that receipt came), "
        "lag.<author>,\n"
        "                refused, malformed, abuse.{refused,\n"
        "                malformed, too_large, replayed, seq_gaps, flooded,\n"
        "                unread, messages_in, bytes_in}, batches.<reason>,\n"
        "                rate.{waited, lent}},\n"
        "                alarms (a list of\n"
        "                {time, kind, peer, author, seq, text, raised,\n"
        "                cleared}), alarms_raised, fenced (null, or why the\n"
        "                store signs nothing: SPEC 5.2), "
        "stats.{batches.<reason>\n"
        "                (ok: taken in; else SPEC's status token),\n"
        "                commit_batches, commit_entries, commit_seconds,\n"
        "                put_to_receipt_seconds} (histograms: count, sum,\n"
        "                buckets [{le, count}] cumulative; SPEC 5.1),\n"
        "                rates (a coordinator: {messages_per_s, "
        "bytes_per_s,\n"
        "                since, since_ms}, null before its daemon ran)\n"
        "  --check       one line, for monitoring: 'OK: no alarm raised', or\n"
        "                'ALARM: N raised; first: KIND peer=PEER: "
        "TEXT'\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 no alarm raised, 1 an alarm is raised, 2 usage error,\n"
        "3 no store.\n",
    .run = s_run,
    .needs = CLI_NEEDS_IDENTITY,
};
