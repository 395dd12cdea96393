/* vocfed: the two clocks every layer reads.
 *
 * A clock read is the one system call protocol/ makes: it keeps one copy
 * of the conversion to milliseconds for storage/, node/ and tools/. */
#ifndef VOCFED_PROTOCOL_CLOCK_H
#define VOCFED_PROTOCOL_CLOCK_H

#include <stdint.h>

/* Wall-clock milliseconds since the Unix epoch (entry times, SPEC 3.3;
 * what people read). 0 if the clock cannot be read. */
uint64_t proto_now_ms(void);

/* Milliseconds on a monotonic clock, for timeouts and durations; only
 * differences mean anything. 0 if the clock cannot be read. */
uint64_t proto_mono_ms(void);

#endif
