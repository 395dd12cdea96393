/* vocfed: the status of a node as one JSON object (see status_json.h). */
#include "tools/status_json.h"
#include "protocol/clock.h"
#include "protocol/hash.h"
#include "storage/backup.h"
#include "storage/replica.h"
#include "storage/stats.h"
#include "tools/cli.h"

#include <errno.h>
#include <signal.h>
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
    json_t *at;    /* author -> when that receipt came (ms) */
    json_t *lag;   /* author -> entries the peer lacks */
} s_acks_t;

static int
s_ack(void *ctx, const char *author, const store_ack_t *ack)
{
    s_acks_t *a = ctx;
    json_object_set_new(a->acked, author, json_integer((json_int_t)ack->acked));
    json_object_set_new(a->at, author, json_integer((json_int_t)ack->time_ms));
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

/* Outcomes always shown, counted or not (a series that appears only
 * at its first count defeats rate()). */
static const int s_shown[] = {
    VOCFED_OK,         VOCFED_EBADSIG,     VOCFED_ESEQGAP, VOCFED_EBADRECORD,
    VOCFED_EAUTHOR,    VOCFED_EROOT,       VOCFED_EPROOF,  VOCFED_EQUARANTINED,
    VOCFED_EMALFORMED, VOCFED_ESTORAGEFULL};

/* batches: reason -> count ("ok" for taken in, "other" for a status
 * without a slot). */
static json_t *
s_batches(const uint64_t *batches)
{
    json_t *b = json_object();
    for (size_t i = 0; i < sizeof s_shown / sizeof s_shown[0]; i++)
        json_object_set_new(b, vocfed_status_token(s_shown[i]),
                            json_integer(0));
    for (size_t i = 0; i < STORE_STATS_OUTCOMES; i++) {
        int code = store_stats_slot_status(i);
        const char *reason =
            i == STORE_STATS_OTHER ? "other" : vocfed_status_token(code);
        if (batches[i] || json_object_get(b, reason))
            json_object_set_new(b, reason,
                                json_integer((json_int_t)batches[i]));
    }
    return b;
}

static int
s_peer(void *ctx, const store_peer_t *p)
{
    s_status_t *s = ctx;
    char when[40];
    s_acks_t a = {s, json_object(), json_object(), json_object()};
    int rc = store_scan_acks(s->store, p->id, s_ack, &a);
    if (rc) {
        json_decref(a.acked);
        json_decref(a.at);
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
        json_pack("{s:b, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:o}",
                  "connected", !strcmp(link, "connected"), "link", link,
                  "last_contact", p->last_contact_ms ? when : "",
                  "last_contact_ms", (json_int_t)p->last_contact_ms,
                  "last_contact_age_s", age, "acked", a.acked, "acked_ms", a.at,
                  "lag", a.lag, "refused", (json_int_t)p->refused, "malformed",
                  (json_int_t)p->malformed, "abuse", abuse));
    json_object_set_new(json_object_get(s->peers, p->id), "batches",
                        s_batches(p->batches));
    /* Its messages over its rate (SPEC 10.5): not abuse. */
    json_object_set_new(json_object_get(s->peers, p->id), "rate",
                        json_pack("{s:I, s:I}", "waited", (json_int_t)p->waited,
                                  "lent", (json_int_t)p->lent));
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

/* A histogram: {count, sum, buckets: [{le, count}]}, cumulative, in base
 * units (microseconds given as seconds when us). */
static json_t *
s_hist(const store_stats_t *st, store_hist_id_t h, bool us)
{
    size_t n;
    const uint64_t *bounds = store_stats_bounds(h, &n);
    const store_hist_t *x = &st->hist[h];
    double unit = us ? 1e6 : 1;
    json_t *buckets = json_array();
    uint64_t cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += x->bucket[i];
        json_array_append_new(buckets, json_pack("{s:f, s:I}", "le",
                                                 (double)bounds[i] / unit,
                                                 "count", (json_int_t)cum));
    }
    return json_pack("{s:I, s:f, s:o}", "count", (json_int_t)x->count, "sum",
                     (double)x->sum / unit, "buckets", buckets);
}

/* What the daemon counted of its ingest and receipts (SPEC 5.1). */
static int
s_stats(node_t *node, json_t *j)
{
    store_stats_t st;
    int rc = store_stats_get(node_store(node), node_id(node), &st);
    if (rc && rc != VOCFED_ENOTFOUND)
        return rc;
    json_t *o = json_pack(
        "{s:o, s:o, s:o, s:o, s:o}", "batches", s_batches(st.batches),
        "commit_batches", s_hist(&st, STORE_HIST_COMMIT_BATCHES, false),
        "commit_entries", s_hist(&st, STORE_HIST_COMMIT_ENTRIES, false),
        "commit_seconds", s_hist(&st, STORE_HIST_COMMIT_US, true),
        "put_to_receipt_seconds", s_hist(&st, STORE_HIST_RECEIPT_US, true));
    if (!o || json_object_set_new(j, "stats", o))
        return VOCFED_ENOMEM;
    return 0;
}

/* At a coordinator, the members' rate its daemon runs with (the rates
 * row, SPEC 10.5): null before a daemon wrote it. */
static int
s_rates(node_t *node, json_t *j)
{
    store_rates_t r;
    json_t *o = json_null();
    if (node_is_coordinator(node)) {
        int rc = store_rates_get(node_store(node), node_id(node), &r);
        if (rc && rc != VOCFED_ENOTFOUND)
            return rc;
        char since[64];
        cli_format_time(r.since_ms, since, sizeof since);
        if (rc == VOCFED_OK)
            o = json_pack("{s:I, s:I, s:s, s:I}", "messages_per_s",
                          (json_int_t)r.msgs, "bytes_per_s",
                          (json_int_t)r.bytes, "since", since, "since_ms",
                          (json_int_t)r.since_ms);
    }
    if (!o || json_object_set_new(j, "rates", o))
        return VOCFED_ENOMEM;
    return 0;
}

int
cmd_status_json(node_t *node, json_t **out)
{
    store_t *store = node_store(node);
    s_status_t s = {store, json_object(), json_object(), json_array(), 0, 0};
    json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", node_id(node),
                          "role", node_role(node), "logs", s.logs, "peers",
                          s.peers, "alarms", s.alarms);
    if (!j)
        return VOCFED_ENOMEM;
    int rc;
    if ((rc = store_scan_authors(store, s_author, &s)) ||
        (rc = store_scan_peers(store, s_peer, &s)) ||
        (rc = store_scan_alarms(store, s_alarm, &s)) ||
        (rc = s_stats(node, j)) || (rc = s_rates(node, j))) {
        json_decref(j);
        return rc;
    }
    /* why the store signs nothing, or null (SPEC 5.2) */
    char why[256];
    int frc = store_fence_get(store, why, sizeof why);
    json_t *fenced = frc == VOCFED_ENOTFOUND ? json_null()
                     : frc == VOCFED_OK      ? json_string(why)
                                             : json_string("(unreadable)");
    /* json_object_set_new takes (or frees) the value either way */
    rc = json_object_set_new(j, "fenced", fenced);
    if (json_object_set_new(j, "alarms_raised",
                            json_integer((json_int_t)s.raised)) ||
        rc) {
        json_decref(j);
        return VOCFED_ENOMEM;
    }
    *out = j;
    return 0;
}
