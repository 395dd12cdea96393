/* Tests of vocfed wait (tools/cmd_wait.c) with a real coordinator and
 * member daemon: a receipt waited for until the daemon sends, the
 * coordinator's figures waited for, a deadline that passes, and the
 * usage errors. */
#include "tests/harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

/* Runs vocfed ARGS in the network; checks the exit code and that stdout
 * (out) or stderr (err) holds the text given (NULL: not checked). */
static void
s_expect(th_net_t *net, int want, const char *out, const char *err,
         const char *const *args)
{
    th_run_t r = th_net_run(net, args);
    if (r.status != want || (out && !strstr(r.out, out)) ||
        (err && !strstr(r.err, err)))
        print_error("exit %d (wanted %d)\nstdout: %s\nstderr: %s\n", r.status,
                    want, r.out, r.err);
    assert_int_equal(r.status, want);
    if (out)
        assert_non_null(strstr(r.out, out));
    if (err)
        assert_non_null(strstr(r.err, err));
    th_run_free(&r);
}

/* A wait process has exited. */
static bool
s_exited(void *ctx)
{
    return !th_running(ctx);
}

static void
test_wait(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_coord_start(net);
    th_node_t *m = th_net_member(net, "m1", true);
    th_put_student(net, m, "s1", NULL);
    th_put_student(net, m, "s2", NULL);

    /* Usage. */
    s_expect(net, 2, NULL, "receipt or applied",
             TH_ARGS("--dir", m->dir, "wait"));
    s_expect(net, 2, NULL, "unknown thing to wait for 'soon'",
             TH_ARGS("--dir", m->dir, "wait", "soon"));
    s_expect(net, 2, NULL, "unexpected argument",
             TH_ARGS("--dir", m->dir, "wait", "receipt", "now"));
    s_expect(net, 2, NULL, "--timeout",
             TH_ARGS("--dir", m->dir, "wait", "receipt", "--timeout", "0"));
    s_expect(net, 2, NULL, "gets no receipt",
             TH_ARGS("--dir", net->coord.dir, "wait", "receipt"));
    /* Never in touch with its coordinator: no receipt at all. */
    s_expect(net, 3, NULL,
             "not all received by the coordinator after 1 s: 0 of 2 entries "
             "(no receipt for this log from any coordinator yet",
             TH_ARGS("--dir", m->dir, "wait", "receipt", "--timeout", "1"));

    /* The daemon sends: wait returns once the receipt covers the log. */
    th_member_start(net, m);
    s_expect(net, 0, "entries received by the coordinator\n", NULL,
             TH_ARGS("--dir", m->dir, "wait", "receipt", "--timeout", "60"));
    long long size = th_log_size(net, m->dir, m->id);
    assert_true(size >= 2);
    char what[64];
    snprintf(what, sizeof what, "%lld of %lld entries", size, size);
    s_expect(net, 0, what, NULL,
             TH_ARGS("--dir", m->dir, "wait", "receipt", "--timeout", "5"));
    s_expect(
        net, 0, "entries applied\n", NULL,
        TH_ARGS("--dir", net->coord.dir, "wait", "applied", "--timeout", "60"));
    s_expect(net, 0, "", NULL,
             TH_ARGS("--dir", m->dir, "wait", "applied", "--quiet"));

    /* A put with no daemon to send it: the wait goes on until one
     * starts, then ends as soon as its receipt comes. */
    assert_int_equal(th_stop(&m->proc, SIGTERM, 10000), 0);
    th_put_student(net, m, "s3", NULL);
    s_expect(net, 3, NULL, "not all received by the coordinator after 1 s",
             TH_ARGS("--dir", m->dir, "wait", "receipt", "--timeout", "1"));
    th_proc_t w = {0};
    snprintf(w.log, sizeof w.log, "%s/wait.log", net->root);
    th_spawn(&w, net->root,
             TH_ARGS(VOCFED_BINARY, "--dir", m->dir, "wait", "receipt",
                     "--timeout", "120"));
    /* Nothing can send it: not over in half a second. */
    assert_false(th_wait(s_exited, &w, 500));
    th_member_start(net, m);
    assert_true(th_wait(s_exited, &w, 60000));
    assert_int_equal(w.code, 0);
    assert_true(th_proc_log_has(&w, "entries received by the coordinator"));
    json_t *j = th_status(net, m->dir);
    long long acked = th_jint(j, "peers", net->coord.id, "acked", m->id, NULL);
    assert_int_equal(acked, th_jint(j, "logs", m->id, "size", NULL));
    assert_int_equal(acked, size + 1);
    json_decref(j);
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
