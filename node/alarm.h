/* vocfed: raising an alarm an operator must see (SPEC 10.5).
 *
 * One call logs the line, appends the alarm, raised, to the store's
 * `alarms` (store_alarm) and, when the caller gives a limit, lets at most one
 * such alarm through per interval: a peer that sends bad data in a loop fills
 * neither the log nor the store. The caller owns every limit (one per
 * kind of alarm, per peer where peers must not hide each other). The
 * code that raises an alarm also clears it when its cause goes away
 * (node_alarm_clear; SPEC 10.5 lists which event clears which). */
#ifndef VOCFED_NODE_ALARM_H
#define VOCFED_NODE_ALARM_H

#include "storage/replica.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stdint.h>

/* How loud the log line is. */
typedef enum {
    NODE_ALARM_WARNING, /* zsys_warning */
    NODE_ALARM_ERROR,   /* zsys_error */
} node_alarm_level_t;

/* At most one event per interval. Zeroed: the next one may go out. */
typedef struct {
    uint64_t next_ms; /* monotonic (proto_mono_ms): none before this */
} node_alarm_limit_t;

/* What the stored alarm says (store_alarm). The strings are borrowed. */
typedef struct {
    node_alarm_level_t level; /* of the log line */
    const char *kind;         /* "refused", "bad-receipt", "quarantine", ... */
    const char *peer;         /* the node it came from or is about */
    const char *author;       /* the log it is about, or NULL */
    uint64_t seq;             /* the entry it is about, 0 for none */
    const char *text;         /* the stored sentence: one line */
} node_alarm_t;

/* True when limit lets an event through now (and then none for the next
 * interval_ms); false while the last one is less than interval_ms old.
 * For rate-limited log lines that are not alarms. */
bool node_alarm_due(node_alarm_limit_t *limit, uint64_t interval_ms);

/* Logs the printf-formatted line at a->level and appends the alarm to st,
 * unless limit (NULL: never limited) held one back less than interval_ms
 * ago: then nothing is logged or stored. Returns true when it went out.
 * An alarm the store cannot take is logged; it never fails the caller. */
bool node_alarm(store_t *st, node_alarm_limit_t *limit, uint64_t interval_ms,
                const node_alarm_t *a, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Clears the raised alarms of kind about peer and author (NULL: none)
 * once their cause is gone: when every one of them is about a seq at most
 * upto_seq (UINT64_MAX: any seq), store_alarm_clear. Logs one line when
 * any was cleared; a store that cannot clear is logged, never fails the
 * caller. Costs one lookup when nothing is raised. Returns how many were
 * cleared. */
uint64_t node_alarm_clear(store_t *st, const char *kind, const char *peer,
                          const char *author, uint64_t upto_seq);

#endif
