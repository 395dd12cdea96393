/* vocfed: the entry point of `vocfed report`'s renderers (see
 * report_render.h): format names, and cmd_report_write() handing the
 * report to the renderer of its format (report_format.h). */
#include "tools/report_render.h"

#include "tools/report_format.h"
#include "tools/report_model.h"

#include <errno.h>
#include <string.h>

bool
cmd_report_format_parse(const char *name, cmd_report_format_t *out)
{
    static const cmd_report_format_t all[] = {
        CMD_REPORT_TABLE, CMD_REPORT_JSON, CMD_REPORT_CSV,
        CMD_REPORT_HTML,  CMD_REPORT_XLSX,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(cmd_report_format_name(all[i]), name) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

const char *
cmd_report_format_name(cmd_report_format_t fmt)
{
    switch (fmt) {
    case CMD_REPORT_TABLE:
        return "table";
    case CMD_REPORT_JSON:
        return "json";
    case CMD_REPORT_CSV:
        return "csv";
    case CMD_REPORT_HTML:
        return "html";
    case CMD_REPORT_XLSX:
        return "xlsx";
    }
    return "?";
}

int
cmd_report_write(const json_t *report, cmd_report_format_t fmt, bool pretty,
                 FILE *out)
{
    int rc;
    if (!report_is_report(report))
        return VOCFED_EINVALID;
    errno = 0;
    switch (fmt) {
    case CMD_REPORT_TABLE:
        rc = report_table_write(report, out);
        break;
    case CMD_REPORT_JSON:
        rc = report_json_write(report, pretty, out);
        break;
    case CMD_REPORT_CSV:
        rc = report_csv_write(report, out);
        break;
    case CMD_REPORT_HTML:
        rc = report_html_write(report, out);
        break;
    default:
        return VOCFED_EINVALID;
    }
    int wrc = report_out_status(out);
    return wrc ? wrc : rc;
}
