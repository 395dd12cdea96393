/* vocfed: raising an alarm an operator must see (SPEC 10.5). */
#include "node/alarm.h"
#include "protocol/clock.h"
#include "node/daemon.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

bool
node_alarm_due(node_alarm_limit_t *limit, uint64_t interval_ms)
{
    uint64_t now = proto_mono_ms();
    if (now < limit->next_ms)
        return false;
    limit->next_ms = now + interval_ms;
    return true;
}

bool
node_alarm(store_t *st, node_alarm_limit_t *limit, uint64_t interval_ms,
           const node_alarm_t *a, const char *fmt, ...)
{
    if (limit && !node_alarm_due(limit, interval_ms))
        return false;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap); /* a long line is cut, not lost */
    va_end(ap);
    if (a->level == NODE_ALARM_ERROR)
        zsys_error("%s", line);
    else
        zsys_warning("%s", line);
    int rc = store_alarm(st, a->kind, a->peer, a->author, a->seq, a->text);
    if (rc)
        zsys_warning("alarm: cannot store the %s alarm about %s: %s", a->kind,
                     a->peer, vocfed_strerror(rc));
    return true;
}

uint64_t
node_alarm_clear(store_t *st, const char *kind, const char *peer,
                 const char *author, uint64_t upto_seq)
{
    uint64_t n = 0;
    int rc = store_alarm_clear(st, kind, peer, author, upto_seq, &n);
    if (rc)
        zsys_warning("alarm: cannot clear the %s alarms about %s: %s", kind,
                     peer, vocfed_strerror(rc));
    else if (n)
        zsys_info("alarm: cleared %" PRIu64 " %s alarm%s about %s%s%s: its "
                  "cause is gone",
                  n, kind, n == 1 ? "" : "s", peer, author ? " log " : "",
                  author ? author : "");
    return n;
}
