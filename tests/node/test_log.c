/* Tests of the log lines' dates (node/log.h, issue 12 item 5): czmq's
 * lines rewritten with an ISO 8601 UTC time, or for the journal with a
 * priority and no time; and the real binary's lines both ways. */
#include "node/log.h"
#include "tests/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

/* 2026-12-02T19:53:31.123Z */
#define S_MS 1796241211123ULL
#define S_ISO_RE                                                               \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "

static void
s_format(const char *in, bool journal, const char *want)
{
    char out[256];
    size_t n = node_log_format(in, strlen(in), S_MS, journal, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void
test_format(void **state)
{
    (void)state;
    s_format("I: 26-12-02 20:53:31 coordinator: listening", false,
             "2026-12-02T19:53:31.123Z I: coordinator: listening");
    s_format("E: 26-12-02 20:53:31 member: refused", false,
             "2026-12-02T19:53:31.123Z E: member: refused");
    /* Not czmq's form: kept whole after the time. */
    s_format("something else", false,
             "2026-12-02T19:53:31.123Z something else");
    s_format("I: 26-12-0x 20:53:31 x", false,
             "2026-12-02T19:53:31.123Z I: 26-12-0x 20:53:31 x");
    s_format("", false, "2026-12-02T19:53:31.123Z ");
    /* The journal: a priority, no time. */
    s_format("E: 26-12-02 20:53:31 member: refused", true,
             "<3>E: member: refused");
    s_format("W: 26-12-02 20:53:31 w", true, "<4>W: w");
    s_format("N: 26-12-02 20:53:31 n", true, "<5>N: n");
    s_format("I: 26-12-02 20:53:31 i", true, "<6>I: i");
    s_format("D: 26-12-02 20:53:31 d", true, "<7>D: d");
    s_format("plain", true, "<6>plain");
    /* Milliseconds keep their zeros; cut to fit. */
    char out[16];
    size_t n = node_log_format("I: 26-12-02 20:53:31 x", 22, 1000, false, out,
                               sizeof out);
    assert_int_equal(n, sizeof out - 1);
    assert_string_equal(out, "1970-01-01T00:0");
    char big[64];
    node_log_format("x", 1, 5, false, big, sizeof big);
    assert_string_equal(big, "1970-01-01T00:00:00.005Z x");
}

static void
test_journal_detect(void **state)
{
    (void)state;
    struct stat st;
    char v[64];
    assert_int_equal(fstat(STDERR_FILENO, &st), 0);
    unsetenv("JOURNAL_STREAM");
    assert_false(node_log_journal());
    snprintf(v, sizeof v, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", v, 1);
    assert_true(node_log_journal());
    /* Another file's (our stderr was redirected): not the journal. */
    snprintf(v, sizeof v, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    setenv("JOURNAL_STREAM", v, 1);
    assert_false(node_log_journal());
    const char *bad[] = {"", "x", "1", "1:", ":1", "1:2x", "-1:2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("JOURNAL_STREAM", bad[i], 1);
        assert_false(node_log_journal());
    }
    unsetenv("JOURNAL_STREAM");
}

/* Listens on a free port of 127.0.0.1 (so a coordinator told to listen
 * there fails and logs why). Returns the socket; *port its port. */
static int
s_occupy(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Runs `vocfed --dir DIR coordinator --listen EP` with stderr in the
 * file path, JOURNAL_STREAM naming that file when journal; returns its
 * exit code and the file's text (free it). */
static char *
s_run_logged(const char *dir, const char *ep, const char *path, bool journal,
             int *code)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    char v[64];
    snprintf(v, sizeof v, "JOURNAL_STREAM=%llu:%llu",
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (dup2(fd, STDERR_FILENO) < 0)
            _exit(127);
        char *argv[] = {VOCFED_BINARY, "--dir",    (char *)dir, "coordinator",
                        "--listen",    (char *)ep, NULL};
        char *envp[] = {journal ? v : "JOURNAL_STREAM=", "TZ=Asia/Shanghai",
                        NULL};
        execve(VOCFED_BINARY, argv, envp);
        _exit(127);
    }
    close(fd);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    *code = WEXITSTATUS(status);
    size_t len;
    return (char *)th_read_file(path, &len);
}

/* Every line of text matches re. */
static void
s_lines_match(const char *text, const char *re_s)
{
    regex_t re;
    assert_int_equal(regcomp(&re, re_s, REG_EXTENDED | REG_NOSUB), 0);
    char *copy = strdup(text);
    assert_non_null(copy);
    int lines = 0;
    for (char *l = copy, *nl; l && *l; l = nl ? nl + 1 : NULL) {
        nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(l, "vocfed: ", 8) == 0)
            continue; /* the command's own message, not a log line */
        if (regexec(&re, l, 0, NULL, 0) != 0)
            print_error("line not of the form %s: %s\n", re_s, l);
        assert_int_equal(regexec(&re, l, 0, NULL, 0), 0);
        lines++;
    }
    assert_true(lines >= 1);
    free(copy);
    regfree(&re);
}

static void
test_binary(void **state)
{
    (void)state;
    char root[64], dir[128], path[160], ep[64];
    th_tmpdir(root);
    snprintf(dir, sizeof dir, "%s/c", root);
    snprintf(path, sizeof path, "%s/err", root);
    th_run_t r;
    th_exec(&r, NULL, NULL,
            (const char *const[]){VOCFED_BINARY, "--dir", dir, "init",
                                  "--coordinator", "--id", "c", "--name", "C",
                                  NULL},
            NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    int port, code;
    int fd = s_occupy(&port);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);

    /* A terminal or a file: ISO 8601 UTC with milliseconds, whatever the
     * local zone (TZ is Asia/Shanghai, UTC+8). */
    char *text = s_run_logged(dir, ep, path, false, &code);
    assert_int_equal(code, 3);
    assert_non_null(strstr(text, "Z E: coordinator: cannot listen"));
    s_lines_match(text, S_ISO_RE "[EWNID]: ");
    free(text);

    /* The journal: no time, the priority first. */
    text = s_run_logged(dir, ep, path, true, &code);
    assert_int_equal(code, 3);
    assert_non_null(strstr(text, "<3>E: coordinator: cannot listen"));
    s_lines_match(text, "^<[3-7]>[EWNID]: ");
    free(text);
    close(fd);
    th_rmdir(root);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_journal_detect),
        cmocka_unit_test(test_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
