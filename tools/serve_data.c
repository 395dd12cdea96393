/* vocfed serve: what the server shows, from the store (see
 * serve_data.h). */
#include "tools/serve_data.h"
#include "node/figures.h"
#include "node/figures_asof.h"
#include "protocol/clock.h"
#include "protocol/hash.h"
#include "tools/status_json.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The status is read again after this long. */
#define S_STATUS_MS 1000
/* Reports kept (one per year asked for) for the generation. */
#define S_REPORTS 8

/* One report kept. */
typedef struct {
    int year;       /* its year (0: every year) */
    json_t *report; /* owned; NULL when the slot is free */
    uint64_t used;  /* when it was last asked for (for eviction) */
} s_report_t;

struct serve_data {
    char dir[4096];                /* the store folder */
    node_t *node;                  /* opened read-only, async apply */
    json_t *status;                /* the status last read; owned */
    uint64_t status_ms;            /* mono ms it was read */
    char gen[SERVE_GEN_LEN + 1];   /* its generation */
    uint64_t log_n, applied_n;     /* store_apply_lag then */
    s_report_t reports[S_REPORTS]; /* the reports of this generation */
    uint64_t tick;                 /* counts report requests */
};

static int
s_open(serve_data_t *self, node_open_info_t *info)
{
    return node_open_info(self->dir,
                          NODE_OPEN_READONLY | NODE_OPEN_ASYNC_APPLY |
                              NODE_OPEN_IDENTITY | NODE_OPEN_SETTINGS,
                          info, &self->node);
}

int
serve_data_new(const char *dir, node_open_info_t *info, serve_data_t **out)
{
    serve_data_t *self = calloc(1, sizeof *self);
    if (!self)
        return VOCFED_ENOMEM;
    int n = snprintf(self->dir, sizeof self->dir, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof self->dir) {
        free(self);
        return VOCFED_EINVALID;
    }
    int rc = s_open(self, info);
    if (rc) {
        free(self);
        return rc;
    }
    *out = self;
    return 0;
}

static void
s_drop_reports(serve_data_t *self)
{
    for (size_t i = 0; i < S_REPORTS; i++) {
        json_decref(self->reports[i].report);
        self->reports[i].report = NULL;
    }
}

void
serve_data_destroy(serve_data_t **self)
{
    if (!self || !*self)
        return;
    s_drop_reports(*self);
    json_decref((*self)->status);
    node_close(&(*self)->node);
    free(*self);
    *self = NULL;
}

node_t *
serve_data_node(const serve_data_t *self)
{
    return self->node;
}

/* The generation of a status: a hash of it without what changes on every
 * heartbeat (last contact, message counts), and of the apply lag. */
static int
s_generation(const json_t *status, uint64_t log_n, uint64_t applied_n,
             char gen[SERVE_GEN_LEN + 1])
{
    json_t *copy = json_deep_copy(status);
    const char *id;
    json_t *p;
    if (!copy)
        return VOCFED_ENOMEM;
    json_object_foreach(json_object_get(copy, "peers"), id, p)
    {
        json_object_del(p, "last_contact");
        json_object_del(p, "last_contact_ms");
        json_object_del(p, "last_contact_age_s");
        json_object_del(p, "acked_ms");
        json_object_del(json_object_get(p, "abuse"), "messages_in");
        json_object_del(json_object_get(p, "abuse"), "bytes_in");
    }
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    if (!text)
        return VOCFED_ENOMEM;
    uint8_t h[SERVE_GEN_LEN / 2];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)text, strlen(text));
    crypto_generichash_update(&st, (const uint8_t *)&log_n, sizeof log_n);
    crypto_generichash_update(&st, (const uint8_t *)&applied_n,
                              sizeof applied_n);
    crypto_generichash_final(&st, h, sizeof h);
    free(text);
    proto_hex(h, sizeof h, gen);
    return 0;
}

/* Reads the status and the lag again, and forgets the reports when the
 * generation moved. A member that did not know its coordinator opens
 * the store again then: the coordinator's log may have come. */
static int
s_refresh(serve_data_t *self)
{
    json_t *status = NULL;
    uint64_t log_n = 0, applied_n = 0;
    char gen[SERVE_GEN_LEN + 1];
    int rc = cmd_status_json(self->node, &status);
    if (!rc)
        rc = store_apply_lag(node_store(self->node), &log_n, &applied_n);
    if (!rc)
        rc = s_generation(status, log_n, applied_n, gen);
    if (rc) {
        json_decref(status);
        return rc;
    }
    json_decref(self->status);
    self->status = status;
    self->status_ms = proto_mono_ms();
    self->log_n = log_n;
    self->applied_n = applied_n;
    if (strcmp(gen, self->gen) != 0) {
        memcpy(self->gen, gen, sizeof gen);
        s_drop_reports(self);
        if (!node_coordinator_id(self->node)) {
            node_close(&self->node);
            rc = s_open(self, NULL);
        }
    }
    return rc;
}

int
serve_data_state(serve_data_t *self, char gen[SERVE_GEN_LEN + 1])
{
    if (!self->node && s_open(self, NULL) != 0)
        return VOCFED_ESTORE;
    if (!self->status || proto_mono_ms() - self->status_ms >= S_STATUS_MS) {
        int rc = s_refresh(self);
        if (rc)
            return rc;
    }
    memcpy(gen, self->gen, SERVE_GEN_LEN + 1);
    return 0;
}

int
serve_data_status(serve_data_t *self, json_t **out)
{
    char gen[SERVE_GEN_LEN + 1];
    int rc = serve_data_state(self, gen);
    if (!rc)
        *out = json_incref(self->status);
    return rc;
}

int
serve_data_report(serve_data_t *self, int year, json_t **out)
{
    char gen[SERVE_GEN_LEN + 1];
    int rc = serve_data_state(self, gen);
    if (rc)
        return rc;
    s_report_t *slot = &self->reports[0];
    for (size_t i = 0; i < S_REPORTS; i++) {
        s_report_t *r = &self->reports[i];
        if (r->report && r->year == year) {
            r->used = ++self->tick;
            *out = json_incref(r->report);
            return 0;
        }
        if (!r->report || r->used < slot->used)
            slot = r; /* a free slot, else the least recently used */
        if (!r->report)
            break;
    }
    json_t *report = NULL;
    /* the report `vocfed report --year Y` makes: a past year's stocks as
     * of its census day, a member's own figures (SPEC 12.5, 12.6) */
    node_fig_when_t when = {
        .year = year,
        .self = node_is_coordinator(self->node) ? NULL : node_id(self->node)};
    rc = node_figures_report(node_store(self->node),
                             node_coordinator_id(self->node), &when, &report);
    if (rc)
        return rc;
    json_decref(slot->report);
    *slot = (s_report_t){year, report, ++self->tick};
    *out = json_incref(report);
    return 0;
}

void
serve_data_lag(const serve_data_t *self, uint64_t *log_n, uint64_t *applied_n)
{
    *log_n = self->log_n;
    *applied_n = self->applied_n;
}
