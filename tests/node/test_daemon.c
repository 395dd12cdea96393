/* Tests of node/daemon.h's heap trim after a burst: when it trims, and
 * that a trim gives freed heap memory back. */
#include "node/daemon.h"
#include "tests/harness.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

/* When: once a second at most, at the first look whose work is below a
 * sixteenth of the most seen since the last trim. */
static void
test_when(void **state)
{
    (void)state;
    node_daemon_trim_t t = {0};
    uint64_t now = 5000, work = 123456; /* counts kept from earlier runs */
    assert_false(
        node_daemon_trim_after_burst(&t, work, now)); /* the first look */
    for (int i = 0; i < 5; i++) { /* a steady rate trims nothing */
        now += 1000;
        work += 1000;
        assert_false(node_daemon_trim_after_burst(&t, work, now));
    }
    now += 1000;
    work += 100000; /* a burst */
    assert_false(node_daemon_trim_after_burst(&t, work, now));
    work += 5000; /* more of it, looked at too soon: not a look */
    assert_false(node_daemon_trim_after_burst(&t, work, now + 999));
    now += 1000;
    work += 7000; /* 12,000 since the last look: not below 100,000/16 */
    assert_false(node_daemon_trim_after_burst(&t, work, now));
    now += 1000;
    work += 6000; /* below it: the burst is over */
    assert_true(node_daemon_trim_after_burst(&t, work, now));
    now += 1000;
    work += 6000; /* the same rate again: the same peak */
    assert_false(node_daemon_trim_after_burst(&t, work, now));
    now += 1000; /* idle after 6,000 a look: that was a burst too */
    assert_true(node_daemon_trim_after_burst(&t, work, now));
    for (int i = 0; i < 3; i++) { /* idle on: nothing more */
        now += 1000;
        assert_false(node_daemon_trim_after_burst(&t, work, now));
    }
    now += 1000;
    work -= 100000; /* a count that went back: none done, no burst */
    assert_false(node_daemon_trim_after_burst(&t, work, now));
    now += 1000;
    work += 4000; /* below NODE_DAEMON_TRIM_MIN: no burst */
    assert_false(node_daemon_trim_after_burst(&t, work, now));
    now += 1000;
    assert_false(node_daemon_trim_after_burst(&t, work, now));
}

/* Whether malloc is glibc's: a sanitizer's allocator is not, and its
 * blocks are not in glibc's counts. */
static bool
s_glibc_malloc(void)
{
#ifdef __GLIBC__
    char *p = malloc(1000);
    bool yes = p && mallinfo2().uordblks > 0;
    free(p);
    return yes;
#else
    return false;
#endif
}

/* What: after node_daemon_heap_keep a block of a batch's size (1 MiB)
 * comes from the heap, not from a mapping of its own; freed, it stays
 * at the heap's top (not given back at once); and the next block of that
 * size is the same memory, so a daemon's next message is written into
 * pages it has touched before. Runs first, with glibc's defaults until
 * then (a 1 MiB block mapped apart). */
static void
test_heap_keep(void **state)
{
    (void)state;
    node_daemon_heap_keep();
#ifdef __GLIBC__
    if (!s_glibc_malloc())
        skip(); /* a sanitizer's allocator: nothing of glibc's to see */
    struct mallinfo2 a = mallinfo2();
    char *p = malloc(1 << 20);
    assert_non_null(p);
    memset(p, 1, 1 << 20);
    struct mallinfo2 b = mallinfo2();
    assert_int_equal(b.hblks, a.hblks); /* no mapping of its own */
    free(p);
    struct mallinfo2 c = mallinfo2();
    assert_true(c.keepcost >= 1 << 20); /* the top kept */
    char *q = malloc(1 << 20);
    assert_ptr_equal(q, p);
    free(q);
#endif
}

/* The process's anonymous memory, KiB (/proc/self/status RssAnon). */
static long
s_rss_anon(void)
{
    size_t len;
    uint8_t *st = th_read_file("/proc/self/status", &len);
    assert_non_null(st);
    const char *p = strstr((char *)st, "RssAnon:");
    assert_non_null(p);
    long kib = strtol(p + 8, NULL, 10);
    free(st);
    return kib;
}

/* What: heap memory freed below a block still in use (which keeps
 * malloc's own trimming of the heap's top from giving it back) goes back
 * to the system. */
static void
test_gives_back(void **state)
{
    (void)state;
    enum { N = 64 * 1024, SIZE = 1000 }; /* 64 MB in small blocks */
    char **blocks = calloc(N, sizeof *blocks);
    assert_non_null(blocks);
    for (size_t i = 0; i < N; i++) {
        assert_non_null(blocks[i] = malloc(SIZE));
        memset(blocks[i], 1, SIZE);
    }
    for (size_t i = 0; i + 1 < N; i++) /* the last one pins the top */
        free(blocks[i]);
    long before = s_rss_anon();
    node_daemon_trim_t t = {0};
    assert_false(node_daemon_trim_after_burst(&t, 0, 1000));
    assert_false(node_daemon_trim_after_burst(&t, 1000000, 2000)); /* a burst */
    assert_true(node_daemon_trim_after_burst(&t, 1000000, 3000)); /* it ended */
    long after = s_rss_anon();
    print_message("RssAnon %ld KiB before the trim, %ld after\n", before,
                  after);
    if (s_glibc_malloc()) /* a sanitizer's gives back on its own terms */
        assert_true(before - after > 32 * 1024);
    free(blocks[N - 1]);
    free(blocks);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_keep), /* first: see there */
        cmocka_unit_test(test_when),
        cmocka_unit_test(test_gives_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
