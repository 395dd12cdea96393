/* vocfed: the two clocks (see clock.h). */
#include "protocol/clock.h"

#include <time.h>

static uint64_t
s_ms(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
proto_now_ms(void)
{
    return s_ms(CLOCK_REALTIME);
}

uint64_t
proto_mono_ms(void)
{
    return s_ms(CLOCK_MONOTONIC);
}
