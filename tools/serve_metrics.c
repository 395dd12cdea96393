/* vocfed serve: /metrics in the Prometheus text format (see
 * serve_metrics.h). */
#include "tools/serve_metrics.h"
#include "tools/report_model.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Writes a label value: \ " and newline escaped (the text format's
 * rules); other bytes as they are (the store's ids are printable). */
static void
s_label(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '"')
            fputs("\\\"", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
}

/* # HELP and # TYPE of a family. */
static void
s_family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{k1="v1",k2="v2"} value; labels is NULL-terminated
 * pairs. */
static void
s_sample_ms(FILE *out, const char *name, const char *const *labels, double v,
            bool ms)
{
    fputs(name, out);
    for (size_t i = 0; labels && labels[i]; i += 2) {
        fprintf(out, "%s%s=\"", i ? "," : "{", labels[i]);
        s_label(out, labels[i + 1]);
        fputc('"', out);
        if (!labels[i + 2])
            fputc('}', out);
    }
    if (isnan(v))
        fputs(" NaN\n", out);
    else if (ms)
        fprintf(out, " %.3f\n", v / 1000);
    else if (v == floor(v) && fabs(v) < 9e15)
        fprintf(out, " %.0f\n", v);
    else
        fprintf(out, " %.17g\n", v);
}

/* One sample of a value in its unit. */
static void
s_sample(FILE *out, const char *name, const char *const *labels, double v)
{
    s_sample_ms(out, name, labels, v, false);
}

#define S_L(...) ((const char *const[]){__VA_ARGS__, NULL})

static double
s_num(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A gauge or counter per log: logs.<author>.<field>. */
static void
s_logs(FILE *out, json_t *logs, const char *name, const char *type,
       const char *help, const char *field)
{
    const char *id;
    json_t *l;
    s_family(out, name, type, help);
    json_object_foreach(logs, id, l)
    {
        json_t *v = json_object_get(l, field);
        s_sample(out, name, S_L("author", id),
                 json_is_boolean(v) ? json_is_true(v) : s_num(v));
    }
}

static void
s_logs_all(FILE *out, json_t *status)
{
    json_t *logs = json_object_get(status, "logs");
    s_logs(out, logs, "vocfed_log_entries", "gauge",
           "Entries of each author's log this node holds.", "size");
    s_logs(out, logs, "vocfed_log_checkpoint_entries", "gauge",
           "The size the latest signed checkpoint held covers.",
           "checkpoint_size");
    s_logs(out, logs, "vocfed_log_applied_seq", "gauge",
           "The last seq of each log in the records and figures.", "applied");
    s_logs(out, logs, "vocfed_log_quarantined", "gauge",
           "1 when the author is quarantined (it signed two histories).",
           "quarantined");
}

/* A value per peer: peers.<peer>.<field> (or abuse.<field> with sub). */
static void
s_peers(FILE *out, json_t *peers, const char *name, const char *type,
        const char *help, const char *sub, const char *field, bool ms)
{
    const char *id;
    json_t *p;
    s_family(out, name, type, help);
    json_object_foreach(peers, id, p)
    {
        json_t *o = sub ? json_object_get(p, sub) : p;
        json_t *v = json_object_get(o, field);
        double d = json_is_boolean(v) ? json_is_true(v) : s_num(v);
        if (ms && d <= 0)
            continue; /* never in contact: no timestamp */
        s_sample_ms(out, name, S_L("peer", id), d, ms);
    }
}

/* A value per peer and author: peers.<peer>.<field>.<author> (ms: a
 * time in ms since 1970, given in seconds). */
static void
s_peer_logs(FILE *out, json_t *peers, const char *name, const char *help,
            const char *field, bool ms)
{
    const char *id, *author;
    json_t *p, *v;
    s_family(out, name, "gauge", help);
    json_object_foreach(peers, id, p)
    {
        json_object_foreach(json_object_get(p, field), author, v)
        {
            s_sample_ms(out, name, S_L("peer", id, "author", author), s_num(v),
                        ms);
        }
    }
}

/* The abuse counters of SPEC 10.5, one family with a kind label. */
static void
s_abuse(FILE *out, json_t *peers)
{
    static const char *const kinds[] = {"refused",  "malformed", "too_large",
                                        "replayed", "seq_gaps",  "flooded",
                                        "unread"};
    const char *id;
    json_t *p;
    s_family(out, "vocfed_peer_abuse_total", "counter",
             "What this node counted against each peer, by kind (SPEC 10.5).");
    json_object_foreach(peers, id, p)
    {
        json_t *ab = json_object_get(p, "abuse");
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            s_sample(out, "vocfed_peer_abuse_total",
                     S_L("peer", id, "kind", kinds[i]),
                     s_num(json_object_get(ab, kinds[i])));
    }
}

/* The result a batch's outcome is counted under. */
static const char *
s_result(const char *reason)
{
    if (!strcmp(reason, "ok"))
        return "accepted";
    return strcmp(reason, "storage-full") ? "refused" : "not_stored";
}

/* Each peer's batches by outcome (SPEC 5.1). */
static void
s_peer_batches(FILE *out, json_t *peers)
{
    const char *id, *reason;
    json_t *p, *v;
    s_family(out, "vocfed_peer_batches_total", "counter",
             "Each peer's batches this node's daemon took in (accepted) or "
             "not, by reason.");
    json_object_foreach(peers, id, p)
    {
        json_object_foreach(json_object_get(p, "batches"), reason, v)
        {
            s_sample(
                out, "vocfed_peer_batches_total",
                S_L("peer", id, "result", s_result(reason), "reason", reason),
                s_num(v));
        }
    }
}

static void
s_peers_all(FILE *out, json_t *status)
{
    json_t *peers = json_object_get(status, "peers");
    s_peers(out, peers, "vocfed_peer_connected", "gauge",
            "1 while a daemon of this node and the peer hear each other.", NULL,
            "connected", false);
    s_peers(out, peers, "vocfed_peer_last_contact_timestamp_seconds", "gauge",
            "When the peer was last heard from (Unix time).", NULL,
            "last_contact_ms", true);
    s_peer_logs(out, peers, "vocfed_peer_acked_entries",
                "What the peer's last receipt says it holds of each log.",
                "acked", false);
    s_peer_logs(out, peers, "vocfed_peer_receipt_timestamp_seconds",
                "When the peer's last receipt for each log came (Unix time).",
                "acked_ms", true);
    s_peer_logs(out, peers, "vocfed_peer_lag_entries",
                "Entries of each log the peer has not acknowledged.", "lag",
                false);
    s_peers(out, peers, "vocfed_peer_batches_refused_total", "counter",
            "Batches the peer refused or this node refused of it.", NULL,
            "refused", false);
    s_peers(out, peers, "vocfed_peer_malformed_messages_total", "counter",
            "Malformed messages from the peer.", NULL, "malformed", false);
    s_abuse(out, peers);
    s_peer_batches(out, peers);
    s_peers(out, peers, "vocfed_peer_messages_received_total", "counter",
            "Messages received from the peer (counted by a coordinator).",
            "abuse", "messages_in", false);
    s_peers(out, peers, "vocfed_peer_received_bytes_total", "counter",
            "Bytes of those messages.", "abuse", "bytes_in", false);
    s_peers(out, peers, "vocfed_peer_rate_waited_messages_total", "counter",
            "The peer's messages that waited over its rate (SPEC 10.5).",
            "rate", "waited", false);
    s_peers(out, peers, "vocfed_peer_rate_lent_messages_total", "counter",
            "Of those, read on spare capacity before its rate allowed.", "rate",
            "lent", false);
}

/* Alarms by kind: raised now (gauge), and every one kept (counter). */
static void
s_alarms(FILE *out, json_t *status)
{
    json_t *kinds = json_object(), *alarms = json_object_get(status, "alarms");
    json_t *a, *v;
    size_t i;
    const char *kind;
    json_array_foreach(alarms, i, a)
    {
        const char *k = json_string_value(json_object_get(a, "kind"));
        json_t *c = json_object_get(kinds, k ? k : "");
        if (!c) {
            c = json_pack("[i, i]", 0, 0);
            json_object_set_new(kinds, k ? k : "", c);
        }
        size_t at = json_is_true(json_object_get(a, "raised")) ? 0 : 1;
        json_array_set_new(
            c, at, json_integer(json_integer_value(json_array_get(c, at)) + 1));
    }
    s_family(out, "vocfed_alarms_raised", "gauge",
             "Alarms raised and not cleared, by kind.");
    s_sample(out, "vocfed_alarms_raised", S_L("kind", "all"),
             s_num(json_object_get(status, "alarms_raised")));
    json_object_foreach(kinds, kind, v)
    {
        s_sample(out, "vocfed_alarms_raised", S_L("kind", kind),
                 s_num(json_array_get(v, 0)));
    }
    s_family(out, "vocfed_alarms_total", "counter",
             "Alarms ever raised (the store keeps them all), by kind.");
    json_object_foreach(kinds, kind, v)
    {
        s_sample(out, "vocfed_alarms_total", S_L("kind", kind),
                 s_num(json_array_get(v, 0)) + s_num(json_array_get(v, 1)));
    }
    json_decref(kinds);
}

/* A histogram of the status's stats (cumulative buckets, base units). */
static void
s_histogram(FILE *out, json_t *h, const char *name, const char *help)
{
    char bucket[128], sum[128], count[128], le[32];
    size_t i;
    json_t *b;
    snprintf(bucket, sizeof bucket, "%s_bucket", name);
    snprintf(sum, sizeof sum, "%s_sum", name);
    snprintf(count, sizeof count, "%s_count", name);
    s_family(out, name, "histogram", help);
    json_array_foreach(json_object_get(h, "buckets"), i, b)
    {
        snprintf(le, sizeof le, "%g", s_num(json_object_get(b, "le")));
        s_sample(out, bucket, S_L("le", le),
                 s_num(json_object_get(b, "count")));
    }
    s_sample(out, bucket, S_L("le", "+Inf"),
             s_num(json_object_get(h, "count")));
    s_sample(out, sum, NULL, s_num(json_object_get(h, "sum")));
    s_sample(out, count, NULL, s_num(json_object_get(h, "count")));
}

/* What the daemon counted of its ingest and receipts (SPEC 5.1). */
static void
s_stats(FILE *out, json_t *status)
{
    json_t *st = json_object_get(status, "stats"), *v;
    const char *reason;
    s_family(out, "vocfed_batches_total", "counter",
             "Batches this node's daemon took in (accepted) or not, by "
             "reason (SPEC's status tokens).");
    json_object_foreach(json_object_get(st, "batches"), reason, v)
    {
        s_sample(out, "vocfed_batches_total",
                 S_L("result", s_result(reason), "reason", reason), s_num(v));
    }
    s_histogram(out, json_object_get(st, "commit_batches"),
                "vocfed_ingest_commit_batches",
                "Batches per ingest commit (one durable transaction).");
    s_histogram(out, json_object_get(st, "commit_entries"),
                "vocfed_ingest_commit_entries",
                "Entries taken in per ingest commit.");
    s_histogram(out, json_object_get(st, "commit_seconds"),
                "vocfed_ingest_commit_duration_seconds",
                "How long each ingest commit took.");
    s_histogram(out, json_object_get(st, "put_to_receipt_seconds"),
                "vocfed_put_to_receipt_seconds",
                "Member: an own entry's commit to the coordinator's receipt "
                "covering it (per entry). Coordinator: a batch's arrival to "
                "its receipt sent (per batch).");
}

/* At a coordinator, the members' rate its daemon runs with (SPEC 10.5),
 * once a daemon wrote it. */
static void
s_rates(FILE *out, json_t *status)
{
    json_t *r = json_object_get(status, "rates");
    if (!json_is_object(r))
        return;
    s_family(out, "vocfed_member_rate_messages_per_second", "gauge",
             "Each member's message rate the coordinator's daemon runs with "
             "(its start or its last SIGHUP).");
    s_sample(out, "vocfed_member_rate_messages_per_second", NULL,
             s_num(json_object_get(r, "messages_per_s")));
    s_family(out, "vocfed_member_rate_bytes_per_second", "gauge",
             "Each member's byte rate the coordinator's daemon runs with.");
    s_sample(out, "vocfed_member_rate_bytes_per_second", NULL,
             s_num(json_object_get(r, "bytes_per_s")));
}

/* The store's files and maps, and how far the figures are applied. */
static int
s_store(FILE *out, serve_data_t *d)
{
    store_env_usage_t u[2];
    const char *envs[] = {"log", "derived"};
    uint64_t log_n, applied_n;
    int rc = store_usage(node_store(serve_data_node(d)), &u[0], &u[1]);
    if (rc)
        return rc;
    s_family(out, "vocfed_store_file_bytes", "gauge",
             "Size on disk of the store's files (data.mdb, derived.mdb).");
    for (size_t i = 0; i < 2; i++)
        s_sample(out, "vocfed_store_file_bytes", S_L("env", envs[i]),
                 (double)u[i].file_bytes);
    s_family(out, "vocfed_store_map_bytes", "gauge",
             "The LMDB map size of each environment (it grows as needed).");
    for (size_t i = 0; i < 2; i++)
        s_sample(out, "vocfed_store_map_bytes", S_L("env", envs[i]),
                 (double)u[i].map_bytes);
    s_family(out, "vocfed_store_map_used_bytes", "gauge",
             "Bytes of each map up to its last page in use.");
    for (size_t i = 0; i < 2; i++)
        s_sample(out, "vocfed_store_map_used_bytes", S_L("env", envs[i]),
                 (double)u[i].used_bytes);
    serve_data_lag(d, &log_n, &applied_n);
    s_family(out, "vocfed_figures_unapplied_entries", "gauge",
             "Entries the logs hold that the figures do not have yet.");
    s_sample(out, "vocfed_figures_unapplied_entries", NULL,
             applied_n == UINT64_MAX ? (double)log_n
             : log_n > applied_n     ? (double)(log_n - applied_n)
                                     : 0);
    return 0;
}

/* The state of the figure walks. */
typedef struct {
    FILE *out;        /* where */
    const char *name; /* the family */
    bool target;      /* the target's value, else the figure's */
} s_figs_t;

static int
s_fig_row(void *ctx, const report_row_t *row)
{
    s_figs_t *f = ctx;
    json_t *v = f->target ? row->target : report_cell_get(row->cell, "value");
    const char *part = row->kind ? row->bucket : "";
    if (!json_is_number(v))
        return 0;
    if (row->year[0] && part[0])
        s_sample(f->out, f->name,
                 S_L("figure", row->id, "part", part, "unit", row->unit, "year",
                     row->year),
                 json_number_value(v));
    else if (row->year[0])
        s_sample(f->out, f->name,
                 S_L("figure", row->id, "unit", row->unit, "year", row->year),
                 json_number_value(v));
    else
        s_sample(f->out, f->name, S_L("figure", row->id, "unit", row->unit),
                 json_number_value(v));
    return 0;
}

/* Every figure per year as a gauge, and its target. */
static int
s_figures(FILE *out, serve_data_t *d)
{
    json_t *report;
    int rc = serve_data_report(d, 0, &report);
    if (rc)
        return rc;
    s_figs_t f = {out, "vocfed_figure_value", false};
    s_family(out, f.name, "gauge",
             "Each figure of the report per year (docs/FIGURES.md); rates "
             "as fractions.");
    if ((rc = report_walk(report, REPORT_GROUP | REPORT_PART, s_fig_row, &f))) {
        json_decref(report);
        return rc;
    }
    f = (s_figs_t){out, "vocfed_figure_target", true};
    s_family(out, f.name, "gauge",
             "The policy's target of each figure per year (the budget of "
             "subsidy_total).");
    rc = report_walk(report, REPORT_GROUP, s_fig_row, &f);
    json_decref(report);
    return rc;
}

/* The server's own counters. */
static void
s_server(FILE *out, const serve_counts_t *c)
{
    static const char *const classes[] = {"",    "1xx", "2xx",
                                          "3xx", "4xx", "5xx"};
    s_family(out, "vocfed_serve_responses_total", "counter",
             "Responses of vocfed serve by status class.");
    for (size_t i = 1; i < 6; i++)
        s_sample(out, "vocfed_serve_responses_total", S_L("code", classes[i]),
                 (double)c->responses[i]);
    s_family(out, "vocfed_serve_refused_total", "counter",
             "Requests vocfed serve refused, by reason.");
    const struct {
        const char *reason;
        uint64_t n;
    } r[] = {{"rate_limit", c->rate_limited},
             {"auth", c->auth_failed},
             {"too_large", c->too_large},
             {"method", c->bad_method},
             {"bad_request", c->bad_request}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        s_sample(out, "vocfed_serve_refused_total", S_L("reason", r[i].reason),
                 (double)r[i].n);
    s_family(out, "vocfed_serve_start_time_seconds", "gauge",
             "When vocfed serve started (Unix time).");
    s_sample(out, "vocfed_serve_start_time_seconds", NULL,
             (double)(c->started_ms / 1000));
}

int
serve_metrics_write(serve_data_t *d, const serve_counts_t *counts, FILE *out)
{
    json_t *status;
    int rc = serve_data_status(d, &status);
    if (rc)
        return rc;
    node_t *node = serve_data_node(d);
    s_family(out, "vocfed_node_info", "gauge",
             "This node: its id and role (always 1).");
    s_sample(out, "vocfed_node_info",
             S_L("id", node_id(node), "role", node_role(node)), 1);
    s_logs_all(out, status);
    s_peers_all(out, status);
    s_alarms(out, status);
    s_stats(out, status);
    s_rates(out, status);
    json_decref(status);
    if ((rc = s_store(out, d)) || (rc = s_figures(out, d)))
        return rc;
    s_server(out, counts);
    if (fflush(out) != 0 || ferror(out))
        return -EIO;
    return 0;
}
