/* Tests of tools/thp.h: when a large command starts itself again with
 * glibc's malloc on huge pages, and that the daemons do (their
 * environment read from /proc), with the user's GLIBC_TUNABLES kept. */
#include "tests/harness.h"
#include "tools/thp.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

/* Whether this build starts itself again at all (not a sanitizer's). */
static bool
s_restarts(void)
{
    char *none[] = {NULL};
    return thp_skip_reason(none) == NULL;
}

static void
test_skip_reason(void **state)
{
    (void)state;
    if (!s_restarts()) {
        char *none[] = {NULL};
        assert_string_equal(thp_skip_reason(none), "a sanitizer build");
        skip();
    }
    char *plain[] = {"PATH=/usr/bin", "HOME=/root", NULL};
    assert_null(thp_skip_reason(plain));
    assert_null(thp_skip_reason(NULL));
    char *other[] = {"GLIBC_TUNABLES=glibc.malloc.arena_max=2", NULL};
    assert_null(thp_skip_reason(other));
    /* A variable whose name only begins the same is not it. */
    char *longer[] = {"GLIBC_TUNABLES_X=glibc.malloc.hugetlb=0", NULL};
    assert_null(thp_skip_reason(longer));
    char *off[] = {"GLIBC_TUNABLES=glibc.malloc.hugetlb=0", NULL};
    assert_non_null(thp_skip_reason(off));
    char *on[] = {"A=1",
                  "GLIBC_TUNABLES=glibc.malloc.arena_max=2:"
                  "glibc.malloc.hugetlb=1",
                  NULL};
    assert_non_null(thp_skip_reason(on));
    char *vg[] = {"LD_PRELOAD=/usr/libexec/valgrind/vgpreload_core-amd64-"
                  "linux.so:/usr/libexec/valgrind/vgpreload_memcheck-amd64-"
                  "linux.so",
                  NULL};
    assert_string_equal(thp_skip_reason(vg), "running under valgrind");
    char *preload[] = {"LD_PRELOAD=/usr/lib/libfoo.so", NULL};
    assert_null(thp_skip_reason(preload));
}

/* GLIBC_TUNABLES in the environment of running process pid ("" when it
 * has none). /proc shows the strings the process was started with, as
 * they are now: glibc's loader cuts a GLIBC_TUNABLES of several tunables
 * at its ':'s as it parses it, so the pieces after it that are tunables
 * (no variable's name begins "glibc.") are joined back. */
static void
s_tunables_of(pid_t pid, char *out, size_t cap)
{
    char path[64];
    size_t len = 0, at = 0, n = 0;
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    uint8_t *env = th_read_file(path, &len);
    assert_non_null(env);
    out[0] = 0;
    const char *e = (const char *)env;
    while (at < len && strncmp(e + at, "GLIBC_TUNABLES=", 15) != 0)
        at += strlen(e + at) + 1;
    if (at < len) {
        n = (size_t)snprintf(out, cap, "%s", e + at + 15);
        for (at += strlen(e + at) + 1;
             at < len && strncmp(e + at, "glibc.", 6) == 0 && n < cap;
             at += strlen(e + at) + 1)
            n += (size_t)snprintf(out + n, cap - n, ":%s", e + at);
    }
    free(env);
}

/* Starts the coordinator with GLIBC_TUNABLES as given (NULL: unset) and
 * checks what its process runs with. */
static void
s_coordinator_with(th_net_t *net, const char *given, const char *want)
{
    char *keep =
        getenv("GLIBC_TUNABLES") ? strdup(getenv("GLIBC_TUNABLES")) : NULL;
    if (given)
        assert_int_equal(setenv("GLIBC_TUNABLES", given, 1), 0);
    else
        unsetenv("GLIBC_TUNABLES");
    th_coord_start(net);
    if (keep) {
        setenv("GLIBC_TUNABLES", keep, 1);
        free(keep);
    } else {
        unsetenv("GLIBC_TUNABLES");
    }
    char seen[256];
    s_tunables_of(net->coord.proc.pid, seen, sizeof seen);
    assert_string_equal(seen, want);
    /* Under its own name (pgrep -x vocfed, ps), not "exe". */
    char path[64];
    size_t len = 0;
    snprintf(path, sizeof path, "/proc/%d/comm", (int)net->coord.proc.pid);
    uint8_t *comm = th_read_file(path, &len);
    assert_non_null(comm);
    assert_string_equal((char *)comm, "vocfed\n");
    free(comm);
    /* Started again with the same PID: stopped by it, as ever. */
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
}

static void
test_daemon_restarted(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    if (!s_restarts()) {
        s_coordinator_with(net, NULL, "");
        net->passed = true;
        skip();
    }
    s_coordinator_with(net, NULL, "glibc.malloc.hugetlb=1");
    s_coordinator_with(net, "glibc.malloc.arena_max=8",
                       "glibc.malloc.arena_max=8:glibc.malloc.hugetlb=1");
    s_coordinator_with(net, "glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0");
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skip_reason),
        cmocka_unit_test_setup_teardown(test_daemon_restarted, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
