/* vocfed: the report as the JSON object itself (see report_format.h). */
#include "tools/report_format.h"

#include <errno.h>

int
report_json_write(const json_t *report, bool pretty, FILE *out)
{
    if (json_dumpf(report, out, pretty ? JSON_INDENT(2) : JSON_COMPACT))
        return -EIO;
    return fputc('\n', out) == EOF ? -EIO : 0;
}
