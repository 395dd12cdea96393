/* vocfed: where the log lines go and how they are dated.
 *
 * The code logs through czmq's zsys_* (STYLE.md). czmq 4.2 dates each
 * line "26-12-02 19:53:31" (two-digit year, local time, no zone) and has
 * no hook to change it, so node_log_init gives czmq a stream of our own
 * (glibc's fopencookie) that rewrites each line before it reaches
 * stderr:
 *
 *   2026-12-02T19:53:31.123Z I: coordinator: listening on tcp://...
 *
 * an ISO 8601 UTC time with milliseconds, as `status` and the report
 * print times. Under systemd's journal (JOURNAL_STREAM names our stderr)
 * the journal dates each line itself: the line carries no time, and
 * starts with the syslog priority the journal reads ("<6>I: ...",
 * sd-daemon(3)). */
#ifndef VOCFED_NODE_LOG_H
#define VOCFED_NODE_LOG_H

#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sends czmq's log lines to stderr as above (dated, or for the journal
 * when node_log_journal()). Call once, before any thread logs; czmq is
 * started by it. Returns 0, or -errno when the stream cannot be made
 * (then czmq logs to stderr in its own format). */
int node_log_init(void) VOCFED_WUR;

/* True when JOURNAL_STREAM is set and names the device and inode of
 * file descriptor 2, as systemd sets it for a service whose stderr is
 * the journal. */
bool node_log_journal(void);

/* Rewrites one line as czmq writes it ("X: yy-mm-dd HH:MM:SS text",
 * X the level letter E W N I D; the newline not included) into out (cap
 * bytes, NUL-terminated, cut to fit): "<ISO time of now_ms> X: text", or
 * for the journal "<P>X: text" with P the letter's syslog priority. A
 * line not of that form is kept whole after the time (or after "<6>").
 * Returns the length written (without the NUL). */
size_t node_log_format(const char *line, size_t len, uint64_t now_ms,
                       bool journal, char *out, size_t cap);

#endif
