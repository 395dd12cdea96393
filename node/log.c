/* vocfed: czmq's log lines, dated in UTC or left to the journal
 * (log.h). */
#define _GNU_SOURCE /* fopencookie */
#include "node/log.h"
#include "protocol/clock.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* czmq's prefix: "X: yy-mm-dd HH:MM:SS " (zsys.c s_log). */
#define S_CZMQ_PREFIX 21
#define S_LINE_MAX 2048 /* czmq cuts its lines at 1024 bytes */

/* The stream czmq writes to: one line gathered, then rewritten. fwrite
 * calls the cookie under the FILE's lock, so one thread at a time. */
typedef struct {
    char line[S_LINE_MAX]; /* the line so far, without its newline */
    size_t len;            /* bytes in line */
    bool journal;          /* node_log_journal() at init */
} s_sink_t;

static bool
s_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whether line starts with czmq's prefix. */
static bool
s_czmq_line(const char *l, size_t len)
{
    static const char form[] = "X: 99-99-99 99:99:99 ";
    if (len < S_CZMQ_PREFIX)
        return false;
    for (size_t i = 0; i < S_CZMQ_PREFIX; i++) {
        char f = form[i];
        if ((f == '9' && !s_digit(l[i])) ||
            (f == 'X' && (l[i] < 'A' || l[i] > 'Z')) ||
            (f != '9' && f != 'X' && l[i] != f))
            return false;
    }
    return true;
}

/* The syslog priority of a czmq level letter. */
static int
s_priority(char letter)
{
    switch (letter) {
    case 'E':
        return 3;
    case 'W':
        return 4;
    case 'N':
        return 5;
    case 'D':
        return 7;
    default:
        return 6;
    }
}

size_t
node_log_format(const char *line, size_t len, uint64_t now_ms, bool journal,
                char *out, size_t cap)
{
    char head[40];
    const char *text = line;
    size_t tlen = len;
    char letter = 0;
    if (s_czmq_line(line, len)) {
        letter = line[0];
        text = line + S_CZMQ_PREFIX;
        tlen = len - S_CZMQ_PREFIX;
    }
    if (journal) {
        snprintf(head, sizeof head, "<%d>", s_priority(letter));
    } else {
        time_t secs = (time_t)(now_ms / 1000);
        struct tm tm;
        if (!gmtime_r(&secs, &tm) ||
            strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
            snprintf(head, sizeof head, "?");
        else
            snprintf(head + strlen(head), sizeof head - strlen(head), ".%03uZ ",
                     (unsigned)(now_ms % 1000));
    }
    int n =
        letter ? snprintf(out, cap, "%s%c: %.*s", head, letter, (int)tlen, text)
               : snprintf(out, cap, "%s%.*s", head, (int)tlen, text);
    if (n < 0 || cap == 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1; /* cut to fit */
}

/* Writes all of buf to fd 2; a log line that cannot be written is lost
 * (there is nowhere else to say so). */
static void
s_write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        buf += w;
        len -= (size_t)w;
    }
}

static void
s_emit(s_sink_t *s)
{
    char out[S_LINE_MAX + 64];
    size_t n = node_log_format(s->line, s->len, proto_now_ms(), s->journal, out,
                               sizeof out - 1);
    out[n++] = '\n';
    s_write_all(out, n);
    s->len = 0;
}

static ssize_t
s_sink_write(void *cookie, const char *buf, size_t size)
{
    s_sink_t *s = cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n') {
            s_emit(s);
            continue;
        }
        if (s->len == sizeof s->line) /* longer than czmq writes */
            s_emit(s);
        s->line[s->len++] = buf[i];
    }
    return (ssize_t)size;
}

bool
node_log_journal(void)
{
    const char *v = getenv("JOURNAL_STREAM");
    struct stat st;
    if (!v || !v[0] || fstat(STDERR_FILENO, &st) != 0)
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long dev = strtoull(v, &end, 10);
    if (errno || end == v || *end != ':')
        return false;
    const char *ino_s = end + 1;
    unsigned long long ino = strtoull(ino_s, &end, 10);
    if (errno || end == ino_s || *end != '\0')
        return false;
    return dev == (unsigned long long)st.st_dev &&
           ino == (unsigned long long)st.st_ino;
}

int
node_log_init(void)
{
    static s_sink_t sink; /* lives as long as czmq may log */
    sink.journal = node_log_journal();
    cookie_io_functions_t io = {.write = s_sink_write};
    FILE *f = fopencookie(&sink, "w", io);
    if (!f) {
        int rc = -errno;
        zsys_set_logstream(stderr);
        return rc;
    }
    /* czmq flushes after each line; a full buffer would cut one. */
    if (setvbuf(f, NULL, _IOFBF, 4 * S_LINE_MAX) != 0) {
        fclose(f);
        zsys_set_logstream(stderr);
        return -ENOMEM;
    }
    zsys_set_logstream(f);
    return VOCFED_OK;
}
