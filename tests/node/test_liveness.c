/* Liveness that tells the truth, alarms that clear, connection failures
 * said once (issue 12 items 3-4; SPEC 10.3, 10.5): a real coordinator
 * and real member daemons on 127.0.0.1.
 *
 * 1. A member daemon shows connected at both ends, its last contact
 *    moves while idle (heartbeats), and once SIGKILLed (then SIGTERMed)
 *    it shows not connected at the coordinator within 15 s; a killed
 *    coordinator shows not connected at the member within 15 s.
 * 2. `vocfed sync` is never shown as a connected daemon: "synced once".
 * 3. A suspended member: status exits 1 while its alarm is raised, and
 *    0 once `members activate` clears it.
 * 4. A wrong coordinator key, a key not on the roster and nothing
 *    listening: at most one log line per back-off step (2 s, 4 s, ...),
 *    the cause in the member's status; with the right key the alarm
 *    clears.
 * 5. "Behind" in the report: a receipt missing for the coordinator's log
 *    or entries the member said it holds and the coordinator lacks. */
#include "storage/replica.h"
#include "tests/harness.h"

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_GONE_MS 15000     /* three heartbeat intervals (5 s) */
#define S_DEADLINE_MS 30000 /* for anything else to settle */

/* A peer's link as `vocfed status` at dir shows it. */
typedef struct {
    th_net_t *net;        /* the network */
    const char *dir;      /* whose status */
    const char *peer;     /* which peer */
    const char *want;     /* the link wanted ("connected", ...) */
    bool not ;            /* or any other link than want */
    long long contact_ms; /* last contact seen */
    long long after_ms;   /* for s_contact_after: wanted past this */
    char seen[32];        /* the last link seen */
} s_link_t;

static void
s_read_link(s_link_t *l)
{
    json_t *j = th_status(l->net, l->dir);
    const char *link =
        json_string_value(th_jget(j, "peers", l->peer, "link", NULL));
    snprintf(l->seen, sizeof l->seen, "%s", link ? link : "absent");
    l->contact_ms = th_jint(j, "peers", l->peer, "last_contact_ms", NULL);
    /* "connected" in JSON is true for a connected daemon only */
    bool connected =
        json_is_true(th_jget(j, "peers", l->peer, "connected", NULL));
    assert_int_equal(connected, strcmp(l->seen, "connected") == 0);
    json_decref(j);
}

static bool
s_link_is(void *ctx)
{
    s_link_t *l = ctx;
    s_read_link(l);
    return (strcmp(l->seen, l->want) == 0) != l->not ;
}

static bool
s_contact_after(void *ctx)
{
    s_link_t *l = ctx;
    s_read_link(l);
    return l->contact_ms > l->after_ms;
}

/* Waits until dir's status shows peer's link as want (or, with not, as
 * anything else); returns the milliseconds it took. */
static uint64_t
s_wait_link(th_net_t *net, const char *dir, const char *peer, const char *want,
            bool not, int deadline_ms)
{
    s_link_t l = {net, dir, peer, want, not, 0, 0, ""};
    uint64_t t0 = th_now_ms();
    if (!th_wait(s_link_is, &l, deadline_ms))
        fail_msg("%s: peer %s is %s after %d ms, not %s%s", dir, peer, l.seen,
                 deadline_ms, not ? "other than " : "", want);
    return th_now_ms() - t0;
}

/* Its last contact moves while nothing is written: the heartbeats. */
static void
s_contact_moves(th_net_t *net, const char *dir, const char *peer)
{
    s_link_t l = {net, dir, peer, "", false, 0, 0, ""};
    s_read_link(&l);
    l.after_ms = l.contact_ms;
    if (!th_wait(s_contact_after, &l, S_GONE_MS))
        fail_msg("%s: last contact with %s stayed at %lld", dir, peer,
                 l.after_ms);
}

static void
test_killed_member(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "idle", true);
    th_coord_start(net);
    th_member_start(net, m);
    s_wait_link(net, net->coord.dir, m->id, "connected", false, S_DEADLINE_MS);
    s_wait_link(net, m->dir, net->coord.id, "connected", false, S_DEADLINE_MS);
    s_contact_moves(net, net->coord.dir, m->id);
    s_contact_moves(net, m->dir, net->coord.id);

    th_stop(&m->proc, SIGKILL, 5000);
    uint64_t killed =
        s_wait_link(net, net->coord.dir, m->id, "connected", true, S_GONE_MS);
    th_member_start(net, m);
    s_wait_link(net, net->coord.dir, m->id, "connected", false, S_DEADLINE_MS);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    uint64_t stopped =
        s_wait_link(net, net->coord.dir, m->id, "connected", true, S_GONE_MS);

    th_member_start(net, m);
    s_wait_link(net, m->dir, net->coord.id, "connected", false, S_DEADLINE_MS);
    th_stop(&net->coord.proc, SIGKILL, 5000);
    uint64_t coord_gone =
        s_wait_link(net, m->dir, net->coord.id, "connected", true, S_GONE_MS);
    print_message("not connected after: SIGKILL %.1f s, SIGTERM %.1f s "
                  "(at the coordinator); coordinator SIGKILL %.1f s (at the "
                  "member)\n",
                  (double)killed / 1000, (double)stopped / 1000,
                  (double)coord_gone / 1000);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    net->passed = true;
}

static void
test_sync_once(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "cron", true);
    th_coord_start(net);
    th_run_t r = th_sync(net, m, 30);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    /* The coordinator writes its rows each second. */
    s_wait_link(net, net->coord.dir, m->id, "synced-once", false,
                S_DEADLINE_MS);
    s_wait_link(net, m->dir, net->coord.id, "synced-once", false, 1000);
    r = th_net_run(net, TH_ARGS("--dir", net->coord.dir, "status"));
    assert_non_null(strstr(r.out, "synced once"));
    th_run_free(&r);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* `vocfed status --check` at dir exits with want. */
typedef struct {
    th_net_t *net;   /* the network */
    const char *dir; /* whose status */
    int want;        /* the exit status wanted */
    char line[512];  /* the last line seen */
} s_check_t;

static bool
s_check_is(void *ctx)
{
    s_check_t *c = ctx;
    th_run_t r =
        th_net_run(c->net, TH_ARGS("--dir", c->dir, "status", "--check"));
    snprintf(c->line, sizeof c->line, "%s", r.out);
    int got = r.status;
    th_run_free(&r);
    return got == c->want;
}

static void
s_wait_check(th_net_t *net, const char *dir, int want, const char *has)
{
    s_check_t c = {net, dir, want, ""};
    if (!th_wait(s_check_is, &c, S_DEADLINE_MS * 2))
        fail_msg("%s: status --check did not exit %d: %s", dir, want, c.line);
    if (has && !strstr(c.line, has))
        fail_msg("%s: status --check says %s, not %s", dir, c.line, has);
    /* one line */
    char *nl = strchr(c.line, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
}

static void
test_alarm_clears(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "paused", true);
    th_coord_start(net);
    th_member_start(net, m);
    s_wait_link(net, m->dir, net->coord.id, "connected", false, S_DEADLINE_MS);
    s_wait_check(net, m->dir, 0, "OK");
    th_net_expect(
        net, 0, TH_ARGS("--dir", net->coord.dir, "members", "suspend", m->id));
    s_wait_check(net, m->dir, 1, "suspended");
    th_net_expect(
        net, 0, TH_ARGS("--dir", net->coord.dir, "members", "activate", m->id));
    s_wait_check(net, m->dir, 0, "OK");
    /* cleared, kept as history */
    json_t *j = th_status(net, m->dir);
    assert_int_equal(th_jint(j, "alarms_raised", NULL), 0);
    assert_true(json_array_size(json_object_get(j, "alarms")) > 0);
    json_t *a = json_array_get(json_object_get(j, "alarms"), 0);
    assert_false(json_is_true(json_object_get(a, "raised")));
    assert_true(json_string_length(json_object_get(a, "cleared")) > 0);
    json_decref(j);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* How many lines of p's log since its last start hold needle. */
static int
s_lines(const th_proc_t *p, const char *needle)
{
    size_t len;
    char *text = (char *)th_read_file(p->log, &len);
    int n = 0;
    if (!text || (size_t)p->log_start > len) {
        free(text);
        return 0;
    }
    for (char *line = text + p->log_start, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (strstr(line, needle))
            n++;
        if (!end)
            break;
    }
    free(text);
    return n;
}

typedef struct {
    const th_proc_t *p; /* whose log */
    const char *needle; /* what */
    int n;              /* at least this many lines */
} s_lines_t;

static bool
s_has_lines(void *ctx)
{
    s_lines_t *l = ctx;
    return s_lines(l->p, l->needle) >= l->n;
}

/* Member m dials endpoint with key (hex): three failures, one line each,
 * spaced by the back-off (the second and third at least min_ms after
 * the first); the cause is the alarm in its status; returns how long the
 * three took. */
static uint64_t
s_fails_said_once(th_net_t *net, th_node_t *m, const char *endpoint,
                  const char *key, const char *cause, uint64_t min_ms)
{
    th_net_note(net, "[start member %s at %s with key %.8s...]", m->id,
                endpoint, key);
    th_spawn(&m->proc, net->root,
             TH_ARGS(VOCFED_BINARY, "--dir", m->dir, "node", "--coordinator",
                     endpoint, "--coordinator-key", key));
    s_lines_t l = {&m->proc, "cannot connect", 1};
    assert_true(th_wait(s_has_lines, &l, S_DEADLINE_MS));
    uint64_t t0 = th_now_ms();
    l.n = 3;
    assert_true(th_wait(s_has_lines, &l, S_DEADLINE_MS));
    uint64_t took = th_now_ms() - t0;
    /* no flood: the steps (2 s then 4 s after a failed handshake; 1 s
     * then 2 s, each plus up to 1 s, for libzmq's redials) */
    assert_true(took >= min_ms);
    int lines = s_lines(&m->proc, ": "); /* every line of the log */
    int said = s_lines(&m->proc, "cannot connect");
    th_net_note(net, "[%d lines, %d failures told, in %.1f s]", lines, said,
                (double)took / 1000);
    assert_true(said <= 4);
    assert_true(lines <= said + 1); /* and the "dialling" line */
    assert_int_equal(s_lines(&m->proc, cause), said);
    s_wait_check(net, m->dir, 1, cause);
    th_stop(&m->proc, SIGTERM, 10000);
    return took;
}

static void
test_wrong_key(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "typo", true);
    th_node_t *other = th_net_member(net, "other", false);
    th_node_t *stranger = th_net_member(net, "stranger", false);
    th_node_t *island = th_net_member(net, "island", true);
    th_coord_start(net);
    uint64_t wrong = s_fails_said_once(net, m, net->endpoint, other->pk,
                                       "wrong --coordinator-key", 5000);
    uint64_t refused =
        s_fails_said_once(net, stranger, net->endpoint, net->coord.pk,
                          "refused this node's key", 5000);
    /* Nothing listening: refused at once, libzmq's own steps. */
    char nowhere[64];
    snprintf(nowhere, sizeof nowhere, "tcp://127.0.0.1:%d", th_free_port());
    uint64_t closed = s_fails_said_once(net, island, nowhere, net->coord.pk,
                                        "connection was refused", 2500);
    /* The coordinator said each kind of refusal, not each connection. */
    assert_true(th_proc_log_has(&net->coord.proc, "handshake"));
    assert_true(th_proc_log_has(&net->coord.proc, "not on the roster"));
    /* With the right key: connected, and the alarm clears. */
    th_member_start(net, m);
    s_wait_link(net, m->dir, net->coord.id, "connected", false, S_DEADLINE_MS);
    s_wait_check(net, m->dir, 0, "OK");
    print_message("three failed connections took %.1f s (wrong key), %.1f s "
                  "(not on the roster), %.1f s (nothing listening), one log "
                  "line each\n",
                  (double)wrong / 1000, (double)refused / 1000,
                  (double)closed / 1000);
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    net->passed = true;
}

/* The report at the coordinator, parsed. */
static json_t *
s_report(th_net_t *net)
{
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", net->coord.dir, "report", "--format", "json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    th_run_free(&r);
    return j;
}

/* Member id in the report is behind (or not) as want. */
typedef struct {
    th_net_t *net;    /* the network */
    const char *id;   /* the member */
    bool want;        /* behind or not */
    bool receipt;     /* receipt_missing seen */
    long long unsent; /* unsent seen */
} s_behind_t;

static bool
s_behind_is(void *ctx)
{
    s_behind_t *b = ctx;
    json_t *j = s_report(b->net);
    json_t *m = th_jget(j, "members", b->id, NULL);
    bool behind = json_is_true(json_object_get(m, "behind"));
    b->receipt = json_is_true(json_object_get(m, "receipt_missing"));
    b->unsent = th_jint(m, "unsent", NULL);
    assert_true(th_jint(m, "signed_age_s", NULL) >= 0);
    json_decref(j);
    return behind == b->want;
}

static void
s_wait_behind(s_behind_t *b, bool want)
{
    b->want = want;
    if (!th_wait(s_behind_is, b, S_DEADLINE_MS))
        fail_msg("member %s is%s behind (receipt missing %d, unsent %lld)",
                 b->id, want ? " not" : "", b->receipt, b->unsent);
}

/* Behind means entries the coordinator lacks or a missing receipt, not
 * time since the last signed entry (SPEC 12.3). */
static void
test_behind(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "monthly", true);
    th_node_t *late = th_net_member(net, "late", false);
    th_coord_start(net);
    th_put_student(net, m, "s1", NULL);
    th_run_t r = th_sync(net, m, 30);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    s_behind_t b = {.net = net, .id = m->id};
    s_wait_behind(&b, false);
    assert_int_equal(b.unsent, 0);
    /* The coordinator's log grows (a roster entry): until the member
     * acknowledges it, it is behind. */
    th_net_expect(
        net, 0,
        TH_ARGS("--dir", net->coord.dir, "members", "add", late->id, late->pk));
    s_wait_behind(&b, true);
    assert_true(b.receipt);
    assert_int_equal(b.unsent, 0);
    r = th_sync(net, m, 30);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    s_wait_behind(&b, false);
    /* It said (hello, heartbeat) it holds five more than arrived. */
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    store_t *st;
    store_head_t h;
    assert_int_equal(store_open(net->coord.dir, NULL, &st), VOCFED_OK);
    assert_int_equal(store_head(st, m->id, &h), VOCFED_OK);
    store_said_t said = {h.size + 5, 1};
    assert_int_equal(store_peer_said_set(st, m->id, m->id, &said), VOCFED_OK);
    store_destroy(&st);
    s_wait_behind(&b, true);
    assert_false(b.receipt);
    assert_int_equal(b.unsent, 5);
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_killed_member, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_sync_once, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_alarm_clears, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_behind, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
