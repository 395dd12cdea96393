/* vocfed members evidence|release: what a quarantine rests on, and the
 * operator's release of it (SPEC 8.5). */
#include "tools/members_evidence.h"
#include "protocol/checkpoint.h"
#include "storage/replica.h"

#include <stdio.h>
#include <string.h>

/* What the scans print into. */
typedef struct {
    json_t *rows;      /* JSON: the evidence or releases, or NULL for text */
    const uint8_t *pk; /* the author's key: the checkpoints open with it */
    size_t n;          /* rows seen */
    int fail;          /* a JSON or decode failure */
} s_show_t;

/* One checkpoint of the evidence: {"size","root","time_ms","time",
 * "signed_by_author"} (the key opens it) or NULL after printing it. */
static json_t *
s_checkpoint(s_show_t *s, const char *label, const uint8_t *cp, size_t len)
{
    proto_checkpoint_t c;
    bool ok = proto_checkpoint_open(cp, len, s->pk, &c) == VOCFED_OK;
    if (!ok && proto_checkpoint_peek(cp, len, &c) != VOCFED_OK) {
        s->fail = 1;
        return NULL;
    }
    char root[2 * PROTO_HASH_LEN + 1], when[40];
    proto_hex(c.root, sizeof c.root, root);
    cli_format_time(c.time_ms, when, sizeof when);
    if (!s->rows) {
        printf("  %-9s size %llu  root %s\n            signed %s%s  (%zu "
               "bytes)\n",
               label, (unsigned long long)c.size, root, when,
               ok ? "" : "  SIGNATURE DOES NOT VERIFY", len);
        return NULL;
    }
    return json_pack("{s:I, s:s, s:I, s:s, s:b, s:I}", "size",
                     (json_int_t)c.size, "root", root, "time_ms",
                     (json_int_t)c.time_ms, "time", when, "signature_ok", ok,
                     "bytes", (json_int_t)len);
}

static int
s_evidence_row(void *ctx, uint64_t time_ms, const uint8_t *a, size_t alen,
               const uint8_t *b, size_t blen, const char *reason)
{
    s_show_t *s = ctx;
    char when[40];
    cli_format_time(time_ms, when, sizeof when);
    s->n++;
    if (!s->rows) {
        printf("evidence %zu, kept %s: %s\n", s->n, when, reason);
        s_checkpoint(s, "held", a, alen);
        s_checkpoint(s, "received", b, blen);
        return s->fail;
    }
    json_t *ja = s_checkpoint(s, "held", a, alen);
    json_t *jb = s_checkpoint(s, "received", b, blen);
    json_t *row =
        json_pack("{s:I, s:s, s:s, s:o*, s:o*}", "time_ms", (json_int_t)time_ms,
                  "time", when, "reason", reason, "held", ja, "received", jb);
    if (!row || json_array_append_new(s->rows, row))
        s->fail = 1;
    return s->fail;
}

static int
s_release_row(void *ctx, uint64_t time_ms, const char *note)
{
    s_show_t *s = ctx;
    char when[40];
    cli_format_time(time_ms, when, sizeof when);
    s->n++;
    if (!s->rows) {
        printf("released %s%s%s\n", when, note[0] ? ": " : "", note);
        return 0;
    }
    json_t *row = json_pack("{s:I, s:s, s:s}", "time_ms", (json_int_t)time_ms,
                            "time", when, "note", note);
    if (!row || json_array_append_new(s->rows, row))
        s->fail = 1;
    return s->fail;
}

static int
s_evidence_json(store_t *st, const char *id, bool q, s_show_t *ev,
                s_show_t *rel)
{
    json_t *j = json_pack("{s:s, s:b, s:o, s:o}", "id", id, "quarantined", q,
                          "evidence", json_array(), "releases", json_array());
    if (!j)
        return cli_fail(VOCFED_ENOMEM, "cannot print the evidence");
    ev->rows = json_object_get(j, "evidence");
    rel->rows = json_object_get(j, "releases");
    int rc = store_scan_evidence(st, id, s_evidence_row, ev);
    if (!rc)
        rc = store_scan_releases(st, id, s_release_row, rel);
    if (!rc && (ev->fail || rel->fail))
        rc = VOCFED_ENOMEM;
    rc = rc ? cli_fail(rc, "cannot read the evidence against %s", id)
            : cli_json_print(j);
    json_decref(j);
    return rc;
}

int
cli_members_evidence(node_t *node, const char *id, bool json)
{
    store_t *st = node_store(node);
    uint8_t pk[PROTO_PUBKEY_LEN];
    int rc = store_author_key(st, id, pk);
    if (rc == VOCFED_ENOTFOUND) {
        cli_error("%s is not an author this coordinator knows", id);
        return CLI_EXIT_FAIL;
    }
    if (rc)
        return cli_fail(rc, "cannot read the key of %s", id);
    bool q = store_quarantined(st, id);
    s_show_t ev = {NULL, pk, 0, 0}, rel = {NULL, pk, 0, 0};
    if (json)
        return s_evidence_json(st, id, q, &ev, &rel);
    printf("%s: %s\n", id,
           q ? "quarantined: its batches are refused ('vocfed members "
               "release')"
             : "not quarantined");
    rc = store_scan_evidence(st, id, s_evidence_row, &ev);
    if (!rc)
        rc = store_scan_releases(st, id, s_release_row, &rel);
    if (rc || ev.fail)
        return cli_fail(rc ? rc : VOCFED_ECORRUPT,
                        "cannot read the evidence against %s", id);
    if (ev.n == 0)
        printf("no evidence kept against %s\n", id);
    return CLI_EXIT_OK;
}

int
cli_members_release(node_t *node, const char *id, const char *note, bool json)
{
    int rc = store_release(node_store(node), id, note ? note : "");
    if (rc == VOCFED_ENOTFOUND) {
        cli_error("%s is not quarantined: nothing to release", id);
        return CLI_EXIT_FAIL;
    }
    if (rc == VOCFED_EINVALID) {
        cli_error("--note: one line of at most 200 bytes");
        return CLI_EXIT_USAGE;
    }
    if (rc)
        return cli_fail(rc, "cannot release %s", id);
    /* The operator has acted: the alarms the quarantine raised clear
     * (SPEC 10.5). */
    if (store_alarm_clear(node_store(node), "quarantine", id, id, UINT64_MAX,
                          NULL) ||
        store_alarm_clear(node_store(node), "coordinator-conflict", id, id,
                          UINT64_MAX, NULL))
        cli_error("released %s, but its alarms could not be cleared", id);
    if (json)
        return cli_members_evidence(node, id, true);
    printf("released %s: its batches are taken again; the evidence stays "
           "('vocfed members evidence %s')\n",
           id, id);
    return CLI_EXIT_OK;
}
