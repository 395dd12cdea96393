/* vocfed: the report as of a moment (see figures_asof.h; SPEC 12.5):
 * the logs' prefixes into a scratch store, in their arrival order, and
 * the report model on it. */
#include "node/figures_asof.h"

#include "node/figures.h"
#include "node/figures_catalogue.h"
#include "node/figures_rules.h"
#include "protocol/checkpoint.h"
#include "protocol/clock.h"
#include "storage/replica.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_GROUP 16                      /* batches per commit of the scratch */
#define S_BATCH_ENTRIES 4096            /* entries per batch at most */
#define S_BATCH_BYTES ((size_t)1 << 20) /* entry bytes per batch, about */

/* One author of the store copied. */
typedef struct {
    char id[PROTO_ID_MAX + 1];    /* its id */
    uint8_t pk[PROTO_PUBKEY_LEN]; /* its key */
    uint64_t cut;                 /* the prefix: entries 1..cut */
    uint64_t held;                /* entries collected so far */
} s_author_t;

/* A run of one author's consecutive entries, as they arrived. */
typedef struct {
    size_t author;     /* index into the authors */
    uint64_t from, to; /* seqs, inclusive */
} s_run_t;

/* One copy of the logs as of a moment. */
typedef struct {
    store_t *src;       /* the store read */
    uint64_t at_ms;     /* the moment */
    s_author_t *a;      /* its authors, in registration order */
    size_t na, acap;    /* used, allocated */
    s_run_t *runs;      /* the prefixes' entries in arrival order */
    size_t nruns, rcap; /* used, allocated */
    size_t last;        /* the author of the last entry seen */
    int rc;             /* the replay's status */
} s_copy_t;

/* A scratch store in its own folder. */
typedef struct {
    char dir[4096]; /* the folder, "" when none */
    store_t *st;    /* the store, or NULL */
} s_scratch_t;

static int
s_add_author(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_copy_t *c = ctx;
    if (c->na == c->acap) {
        size_t cap = c->acap ? c->acap * 2 : 16;
        s_author_t *a = realloc(c->a, cap * sizeof *a);
        if (!a)
            return VOCFED_ENOMEM;
        c->a = a;
        c->acap = cap;
    }
    s_author_t *a = &c->a[c->na++];
    memset(a, 0, sizeof *a);
    snprintf(a->id, sizeof a->id, "%s", id);
    memcpy(a->pk, pk, PROTO_PUBKEY_LEN);
    return VOCFED_OK;
}

/* What s_cp_time finds: the last checkpoint at or before the moment. */
typedef struct {
    uint64_t at_ms; /* the moment */
    uint64_t cut;   /* the size of that checkpoint, 0 none */
} s_cut_t;

/* A checkpoint's times never go back (SPEC 4, VOCFED_EBADTIME), so the
 * first one after the moment ends the scan. */
static int
s_cp_time(void *ctx, uint64_t size, const uint8_t *cp, size_t len)
{
    s_cut_t *k = ctx;
    proto_checkpoint_t c;
    if (proto_checkpoint_peek(cp, len, &c) != VOCFED_OK)
        return VOCFED_ECORRUPT;
    if (c.time_ms > k->at_ms)
        return 1;
    k->cut = size;
    return 0;
}

/* Each author's cut. */
static int
s_cuts(s_copy_t *c)
{
    int rc = store_scan_authors(c->src, s_add_author, c);
    for (size_t i = 0; i < c->na && !rc; i++) {
        s_cut_t k = {c->at_ms, 0};
        rc = store_scan_checkpoints(c->src, c->a[i].id, 1, UINT64_MAX,
                                    s_cp_time, &k);
        if (rc == 1 || rc == VOCFED_ENOTFOUND)
            rc = VOCFED_OK;
        c->a[i].cut = k.cut;
    }
    return rc;
}

/* One entry of the replay in arrival order: into the runs when it is in
 * its author's prefix. */
static int
s_note(void *ctx, const char *author, const proto_entry_t *e)
{
    s_copy_t *c = ctx;
    if (c->last >= c->na || strcmp(c->a[c->last].id, author) != 0) {
        for (c->last = 0; c->last < c->na; c->last++)
            if (!strcmp(c->a[c->last].id, author))
                break;
        if (c->last == c->na)
            return VOCFED_ECORRUPT; /* an entry of no author */
    }
    if (e->seq > c->a[c->last].cut)
        return VOCFED_OK;
    s_run_t *r = c->nruns ? &c->runs[c->nruns - 1] : NULL;
    if (r && r->author == c->last && r->to + 1 == e->seq) {
        r->to = e->seq;
        return VOCFED_OK;
    }
    if (c->nruns == c->rcap) {
        size_t cap = c->rcap ? c->rcap * 2 : 64;
        s_run_t *runs = realloc(c->runs, cap * sizeof *runs);
        if (!runs)
            return VOCFED_ENOMEM;
        c->runs = runs;
        c->rcap = cap;
    }
    c->runs[c->nruns++] = (s_run_t){c->last, e->seq, e->seq};
    return VOCFED_OK;
}

/* The replay the rebuild of the figures makes (SPEC 12.4), noting
 * only: it writes nothing. */
static int
s_order_job(void *ctx, store_txn_t *txn)
{
    s_copy_t *c = ctx;
    c->rc = store_txn_replay(txn, s_note, c);
    return VOCFED_EINTERRUPTED;
}

static int
s_order(s_copy_t *c)
{
    int rc = store_with_txn(c->src, s_order_job, c);
    return rc == VOCFED_EINTERRUPTED ? c->rc : rc;
}

/* Removes the scratch folder and what the store made in it (its files
 * only: it has no subfolders). */
static void
s_scratch_free(s_scratch_t *s)
{
    store_destroy(&s->st);
    if (!s->dir[0])
        return;
    DIR *d = opendir(s->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        char path[4096 + 256];
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        int n = snprintf(path, sizeof path, "%s/%s", s->dir, de->d_name);
        if (n > 0 && (size_t)n < sizeof path)
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(s->dir);
    s->dir[0] = 0;
}

/* A new folder under $TMPDIR (else /tmp) with an empty store. */
static int
s_scratch_open(s_scratch_t *s)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0])
        tmp = "/tmp";
    int n = snprintf(s->dir, sizeof s->dir, "%s/vocfed-as-of-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof s->dir || !mkdtemp(s->dir)) {
        int rc = n < 0 || (size_t)n >= sizeof s->dir ? VOCFED_EINVALID : -errno;
        s->dir[0] = 0;
        return rc;
    }
    /* The figures are applied when the report reads them, in arrival
     * order, as the live store's were. */
    store_opts_t o = {.create = true, .lazy_apply = true};
    return store_open(s->dir, &o, &s->st);
}

/* Ingests the batches collected, in order, in one commit. Each must be
 * taken whole: the live store took them. */
static int
s_flush(store_t *st, store_batch_out_t *outs, size_t n)
{
    const store_batch_t *b[S_GROUP];
    store_ingest_result_t res[S_GROUP];
    int rcs[S_GROUP];
    for (size_t i = 0; i < n; i++)
        b[i] = &outs[i].batch;
    int rc = n ? store_ingest_many(st, b, n, res, rcs) : VOCFED_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (rcs[i])
            rc = rcs[i];
        else if (res[i].applied != outs[i].batch.count)
            rc = VOCFED_ECORRUPT;
    }
    for (size_t i = 0; i < n; i++)
        store_batch_out_release(&outs[i]);
    return rc;
}

/* The runs, batch by batch, from the store into the scratch one. */
static int
s_fill(s_copy_t *c, store_t *dst)
{
    store_batch_out_t outs[S_GROUP];
    size_t n = 0;
    int rc = VOCFED_OK;
    for (size_t i = 0; i < c->na && !rc; i++)
        rc = store_author_add(dst, c->a[i].id, c->a[i].pk);
    for (size_t r = 0; r < c->nruns && !rc; r++) {
        s_author_t *a = &c->a[c->runs[r].author];
        while (!rc && a->held < c->runs[r].to) {
            uint64_t want = c->runs[r].to - a->held;
            rc = store_batch_collect(c->src, a->id, a->held,
                                     want < S_BATCH_ENTRIES ? (size_t)want
                                                            : S_BATCH_ENTRIES,
                                     S_BATCH_BYTES, &outs[n]);
            if (rc)
                break;
            a->held += outs[n].batch.count;
            if (++n == S_GROUP) {
                rc = s_flush(dst, outs, n);
                n = 0;
            }
        }
    }
    int frc = s_flush(dst, outs, n);
    return rc ? rc : frc;
}

/* A scratch store holding what st's logs held at at_ms, its figures
 * kept. */
static int
s_scratch_make(store_t *st, const char *coord, uint64_t at_ms, s_scratch_t *s)
{
    s_copy_t c = {.src = st, .at_ms = at_ms};
    int rc = s_cuts(&c);
    if (!rc)
        rc = s_order(&c);
    if (!rc)
        rc = s_scratch_open(s);
    if (!rc)
        rc = node_figures_attach(s->st, coord);
    if (!rc)
        rc = s_fill(&c, s->st);
    free(c.a);
    free(c.runs);
    return rc;
}

/* ---- census dates -------------------------------------------------------- */

static int
s_month_days(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* The coordinator's census_date record key into *month, *day. */
static bool
s_census_record(store_t *st, const char *coord, const char *key, int *month,
                int *day)
{
    proto_buf_t b;
    proto_entry_t e;
    uint64_t seq;
    int64_t m = 0, d = 0;
    bool ok = false;
    proto_buf_init(&b);
    if (coord && coord[0] &&
        store_record_get(st, coord, "census_date", key, &b, &seq) ==
            VOCFED_OK &&
        proto_entry_decode(b.data, b.len, &e) == VOCFED_OK &&
        node_fig_body_int(e.body, e.body_len, "month", &m) &&
        node_fig_body_int(e.body, e.body_len, "day", &d) && m >= 1 && m <= 12 &&
        d >= 1 && d <= 31) {
        *month = (int)m;
        *day = (int)d;
        ok = true;
    }
    proto_buf_release(&b);
    return ok;
}

uint64_t
node_fig_census(store_t *st, const char *coord, int year, char *source,
                size_t cap)
{
    char key[16];
    int month = 12, day = 31;
    snprintf(key, sizeof key, "%d", year);
    if (s_census_record(st, coord, key, &month, &day))
        snprintf(source, cap, "census_date:%s", key);
    else if (s_census_record(st, coord, "default", &month, &day))
        snprintf(source, cap, "census_date:default");
    else
        snprintf(source, cap, "default");
    if (day > s_month_days(year, month))
        day = s_month_days(year, month);
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = 23,
                    .tm_min = 59,
                    .tm_sec = 59};
    time_t t = timegm(&tm);
    return t < 0 ? 1 : (uint64_t)t * 1000 + 999; /* 1: before any log */
}

/* ---- the report ---------------------------------------------------------- */

/* What a report of a past moment found of its census setting. */
typedef struct {
    int year;        /* the report year, 0: none asked */
    uint64_t ms;     /* its census moment */
    char source[64]; /* where it came from (node_fig_census) */
} s_census_t;

/* The report of st's logs at at_ms (0: st as it is, now); with census
 * (may be NULL), the census moment of its year as those logs set it. */
static int
s_report_at(store_t *st, const char *coord, int year, uint64_t at_ms,
            json_t **out, s_census_t *census)
{
    s_scratch_t s = {0};
    int rc = at_ms ? s_scratch_make(st, coord, at_ms, &s) : VOCFED_OK;
    store_t *logs = at_ms ? s.st : st;
    if (!rc)
        rc = node_figures_json_at(logs, coord, year, at_ms, out);
    if (!rc && census && census->year)
        census->ms = node_fig_census(logs, coord, census->year, census->source,
                                     sizeof census->source);
    s_scratch_free(&s);
    if (rc || !at_ms)
        return rc;
    /* What the coordinator had received and acknowledged then is not in
     * the logs (SPEC 12.5): not known. */
    const char *id;
    json_t *m;
    json_object_foreach(json_object_get(*out, "members"), id, m)
    {
        static const char *const unknown[] = {"unsent", "receipt_missing",
                                              "behind", "quarantined"};
        for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++)
            json_object_set_new(m, unknown[i], json_null());
    }
    return VOCFED_OK;
}

/* Each figure's basis and the moment it is of; the stocks of stocks
 * (a report of the census moment) in place of rep's. */
static void
s_annotate(json_t *rep, json_t *stocks, const char *census_iso)
{
    const char *id;
    json_t *f;
    json_t *figs = json_object_get(rep, "figures");
    const char *as_of = json_string_value(json_object_get(rep, "as_of"));
    json_object_foreach(figs, id, f)
    {
        const node_fig_def_t *def = node_figcat_find(id);
        bool stock = def && def->stock;
        json_t *sf =
            stock ? json_object_get(json_object_get(stocks, "figures"), id)
                  : NULL;
        if (sf) {
            json_object_set(figs, id, sf);
            f = sf;
        }
        json_object_set_new(f, "basis", json_string(stock ? "stock" : "flow"));
        json_object_set_new(f, "as_of",
                            json_string(sf      ? census_iso
                                        : as_of ? as_of
                                                : ""));
    }
}

/* The report's "census" (SPEC 12.5): the census moment of year, where it
 * came from, and whether the stocks are of it. */
static json_t *
s_census(int year, uint64_t ms, const char *source, bool applied)
{
    char iso[32], date[16];
    node_fig_iso(ms, iso, sizeof iso);
    snprintf(date, sizeof date, "%.10s", iso);
    return json_pack("{s:i, s:s, s:s, s:s, s:b}", "year", year, "date", date,
                     "moment", iso, "source", source, "applied", applied);
}

/* One frame (a figure, or a year of it) of a member's report: a count
 * or sum against the group's target is the member's share of it. */
static void
s_share_frame(json_t *frame, const char *unit)
{
    json_t *t = json_object_get(frame, "target");
    json_t *v = json_object_get(frame, "value");
    if (!strcmp(unit, "rate") || !json_is_number(t) || !json_is_number(v) ||
        json_number_value(t) <= 0)
        return; /* a rate is the member's own, comparable to the group's */
    json_object_set_new(frame, "share_of_target",
                        json_real(json_number_value(v) / json_number_value(t)));
    json_object_set_new(frame, "status", json_string("share"));
}

/* A member's own report (SPEC 12.6): named by its profile, its shares
 * of the group's targets. */
static int
s_member_view(json_t *rep, const char *self)
{
    json_t *me = json_object_get(json_object_get(rep, "members"), self), *f;
    const char *id;
    json_t *who = json_pack(
        "{s:s, s:s, s:s}", "id", self, "name_zh",
        me ? json_string_value(json_object_get(me, "name_zh")) : "", "name_en",
        me ? json_string_value(json_object_get(me, "name_en")) : "");
    if (!who || json_object_set_new(rep, "member", who))
        return VOCFED_ENOMEM;
    json_object_foreach(json_object_get(rep, "figures"), id, f)
    {
        const char *unit = json_string_value(json_object_get(f, "unit"));
        json_t *by = json_object_get(f, "by_year"), *y;
        const char *ys;
        if (!by)
            s_share_frame(f, unit ? unit : "");
        json_object_foreach(by, ys, y) s_share_frame(y, unit ? unit : "");
    }
    return VOCFED_OK;
}

int
node_figures_report(store_t *st, const char *coord, const node_fig_when_t *w,
                    json_t **out)
{
    uint64_t now = proto_now_ms();
    if (w->at_ms / 1000 > now / 1000)
        return VOCFED_EINVALID; /* the logs may still grow to it */
    uint64_t at = w->at_ms ? w->at_ms : now;
    json_t *rep = NULL, *stocks = NULL;
    s_census_t c = {.year = w->year};
    char iso[32] = "";
    int rc = s_report_at(st, coord, w->year, w->at_ms, &rep, &c);
    /* A past year's stocks as of its census day, as the coordinator's
     * log then set it. */
    bool past = w->year && c.ms / 1000 < at / 1000;
    if (!rc && past)
        rc = s_report_at(st, coord, w->year, c.ms, &stocks, NULL);
    if (!rc) {
        node_fig_iso(c.ms, iso, sizeof iso);
        s_annotate(rep, stocks, iso);
        json_object_set_new(rep, "census",
                            w->year ? s_census(w->year, c.ms, c.source, past)
                                    : json_null());
        if (w->self)
            rc = s_member_view(rep, w->self);
        else
            json_object_set_new(rep, "member", json_null());
    }
    json_decref(stocks);
    if (rc) {
        json_decref(rep);
        return rc;
    }
    *out = rep;
    return VOCFED_OK;
}
