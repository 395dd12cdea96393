/* vocfed: names of administrative division codes (GB/T 2260), for
 * people reading a report: 340825 is 太湖县.
 *
 * The table holds Anhui (340000), its prefecture-level cities and the
 * districts, counties and county-level cities of Anqing (3408xx), where
 * the group is. A code not in it has no name: it is shown as the code
 * alone, never refused (a region field takes any six-digit code, SPEC
 * 11). */
#ifndef VOCFED_PROTOCOL_REGION_H
#define VOCFED_PROTOCOL_REGION_H

#include <stddef.h>

/* The Chinese name of code (six digits, NUL-terminated), e.g. "安庆市"
 * for "340800"; NULL when the table does not have it. Static storage. */
const char *proto_region_name(const char *code);

/* The code with its name, "340825 太湖县", into out (cap bytes, cut to
 * fit); the code alone when it has no name. Returns out. */
const char *proto_region_label(const char *code, char *out, size_t cap);

#endif
