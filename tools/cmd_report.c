/* vocfed report: the group's figures against the policy's targets, as a
 * table, JSON, CSV, an HTML page or an Excel workbook (DESIGN 7, 8). */
#include "node/config.h"
#include "node/figures.h"
#include "node/figures_asof.h"
#include "tools/cli.h"
#include "tools/report_render.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The options of one run. */
typedef struct {
    int year;                /* --year, 0 for every year */
    cmd_report_format_t fmt; /* --format */
    const char *out;         /* --out, or NULL */
    bool pretty;             /* --pretty */
    bool no_catch_up;        /* --no-catch-up */
    uint64_t as_of_ms;       /* --as-of: the last ms it covers, 0 none */
} s_opts_t;

/* Writes the report to path through a temporary file in the same folder,
 * renamed over path once complete and on disk: a reader never sees half
 * a report, and a full disk leaves the old one. Returns 0 or an exit
 * code after printing why. */
static int
s_write_file(const json_t *report, const s_opts_t *o, const char *path)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        cli_error("--out '%s' is too long", path);
        return CLI_EXIT_USAGE;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        return CLI_EXIT_ENV;
    }
    /* mkstemp makes 0600; a report is for sharing, as any new file. */
    mode_t mask = umask(0);
    umask(mask);
    int rc = 0;
    if (fchmod(fd, 0666 & ~mask) != 0)
        rc = -errno;
    if (!rc && o->fmt == CMD_REPORT_XLSX) {
        rc = cmd_report_xlsx(report, tmp);
        if (!rc && fsync(fd) != 0)
            rc = -errno;
        close(fd);
    } else if (!rc) {
        FILE *f = fdopen(fd, "w");
        if (!f) {
            rc = -errno;
            close(fd);
        } else {
            rc = cmd_report_write(report, o->fmt, o->pretty, f);
            if (!rc && fsync(fileno(f)) != 0)
                rc = -errno;
            if (fclose(f) != 0 && !rc)
                rc = -errno;
        }
    } else {
        close(fd);
    }
    if (!rc && rename(tmp, path) != 0)
        rc = -errno;
    if (rc) {
        unlink(tmp);
        return cli_fail(rc, "cannot write %s", path);
    }
    printf("报告已写入 report written to %s\n", path);
    return CLI_EXIT_OK;
}

/* Says on stderr when the figures leave out entries the logs hold
 * (SPEC 12.3 `applied`): the report says it too, in every format. */
static void
s_note_unapplied(const json_t *report)
{
    json_t *a = json_object_get(report, "applied");
    json_int_t n = json_integer_value(json_object_get(a, "unapplied"));
    if (n <= 0)
        return;
    fprintf(stderr,
            "vocfed: note: %" JSON_INTEGER_FORMAT " entries the logs hold "
            "are not in these figures yet (%s)\n",
            n,
            json_is_true(json_object_get(a, "caught_up"))
                ? "they arrived while the report was made"
                : "--no-catch-up: the applier has not reached them");
}

/* --year Y */
static int
s_opt_year(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    void *target = opt->target;
    uint64_t y;
    if (!cli_parse_u64(value, 1, 9999, &y))
        return cli_usage_error(cli, "--year '%s' is not a year", value);
    *(int *)target = (int)y;
    return CLI_GO_ON;
}

/* n digits of s as a number in [lo, hi] into *v; advances *s. */
static bool
s_digits(const char **s, int n, int lo, int hi, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (c - '0');
    }
    *s += n;
    *v = x;
    return x >= lo && x <= hi;
}

/* The zone after a time: "", "Z", or +HH:MM, +HHMM, +HH (and -) into
 * *offset_s (east of UTC). */
static bool
s_zone(const char *s, long *offset_s)
{
    int h = 0, m = 0;
    *offset_s = 0;
    if (!*s || ((s[0] == 'Z' || s[0] == 'z') && !s[1]))
        return true;
    if (*s != '+' && *s != '-')
        return false;
    int sign = *s++ == '-' ? -1 : 1;
    if (!s_digits(&s, 2, 0, 23, &h))
        return false;
    if (*s == ':')
        s++;
    if (*s && !s_digits(&s, 2, 0, 59, &m))
        return false;
    *offset_s = sign * (h * 3600L + m * 60L);
    return *s == '\0';
}

/* --as-of TIME: YYYY-MM-DD (the whole day, UTC) or
 * YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] (that whole second) into the last
 * millisecond it covers (SPEC 12.5). */
static bool
s_parse_moment(const char *s, uint64_t *ms)
{
    struct tm tm = {0};
    int y, mo, d, h = 23, mi = 59, sec = 59;
    long off = 0;
    if (!s_digits(&s, 4, 1970, 9999, &y) || *s++ != '-' ||
        !s_digits(&s, 2, 1, 12, &mo) || *s++ != '-' ||
        !s_digits(&s, 2, 1, 31, &d))
        return false;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (!s_digits(&s, 2, 0, 23, &h) || *s++ != ':' ||
            !s_digits(&s, 2, 0, 59, &mi) || *s++ != ':' ||
            !s_digits(&s, 2, 0, 59, &sec) || !s_zone(s, &off))
            return false;
    } else if (*s) {
        return false;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
        return false; /* 2026-02-30 */
    t -= off;
    if (t < 0)
        return false;
    *ms = (uint64_t)t * 1000 + 999;
    return true;
}

/* --as-of TIME */
static int
s_opt_as_of(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    if (!s_parse_moment(value, opt->target))
        return cli_usage_error(cli,
                               "--as-of '%s' is not a date (2026-09-01) "
                               "nor a date and time to the second "
                               "(2026-09-01T08:00:00, UTC unless a zone "
                               "follows: Z, +08:00)",
                               value);
    return CLI_GO_ON;
}

/* --format table|json|csv|html|xlsx */
static int
s_opt_format(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    void *target = opt->target;
    if (!cmd_report_format_parse(value, target))
        return cli_usage_error(cli,
                               "--format '%s' is not one of table, json, "
                               "csv, html, xlsx",
                               value);
    return CLI_GO_ON;
}

/* --out FILE */
static int
s_opt_out(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    void *target = opt->target;
    if (value[0] == '\0')
        return cli_usage_error(cli, "--out needs a file");
    *(const char **)target = value;
    return CLI_GO_ON;
}

static int
s_parse(cli_t *cli, int argc, char **argv, s_opts_t *o)
{
    *o = (s_opts_t){.fmt = CMD_REPORT_TABLE};
    const cli_opt_t opts[] = {
        CLI_FN("year", &o->year, s_opt_year),
        CLI_FN("format", &o->fmt, s_opt_format),
        CLI_FN("out", &o->out, s_opt_out),
        CLI_FLAG("pretty", &o->pretty),
        CLI_FLAG("no-catch-up", &o->no_catch_up),
        CLI_FN("as-of", &o->as_of_ms, s_opt_as_of),
        CLI_END,
    };
    int rc = cli_parse(cli, opts, argc, argv, NULL);
    if (rc != CLI_GO_ON)
        return rc;
    if (o->as_of_ms && o->no_catch_up)
        return cli_usage_error(cli, "--as-of reads the logs, not the "
                                    "figures kept: --no-catch-up has "
                                    "nothing to leave out");
    if (o->pretty && o->fmt != CMD_REPORT_JSON)
        return cli_usage_error(cli, "--pretty is for --format json");
    if (o->fmt == CMD_REPORT_XLSX && o->out && strcmp(o->out, "-") == 0)
        return cli_usage_error(cli, "an xlsx workbook is a file: give "
                                    "--out FILE");
    return CLI_GO_ON;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse(cli, argc, argv, &o);
    if (rc != CLI_GO_ON)
        return rc;

    node_t *node;
    json_t *report = NULL;
    int frc;
    if (o.no_catch_up) /* reads take the derived data as it is */
        cli->open_flags |= NODE_OPEN_ASYNC_APPLY;
    if ((rc = cli_node(cli, &node)))
        return rc;
    const char *coord = node_coordinator_id(node);
    if (!coord)
        fprintf(stderr,
                "vocfed: note: the coordinator's log is not in %s "
                "yet (run 'vocfed sync'): the figures are this "
                "member's share, without the group's targets\n",
                cli->dir);
    node_fig_when_t when = {.year = o.year,
                            .at_ms = o.as_of_ms,
                            .self = node_is_coordinator(node) ? NULL
                                                              : node_id(node)};
    frc = node_figures_report(node_store(node), coord, &when, &report);
    if (frc == VOCFED_EINVALID) {
        uint64_t now_ms = (uint64_t)time(NULL) * 1000;
        if (o.as_of_ms % 86400000 == 86399999 &&
            o.as_of_ms - 86399999 <= now_ms) /* a date: today */
            rc = cli_usage_error(cli, "--as-of is in the future: a date "
                                      "means the whole day, and today "
                                      "(UTC) is not over; give a time "
                                      "(YYYY-MM-DDTHH:MM:SS) or leave "
                                      "--as-of out for the figures now");
        else
            rc = cli_usage_error(cli, "--as-of is in the future: the logs "
                                      "may still grow to it");
        goto done;
    }
    if (frc) {
        rc = cli_fail(frc, "cannot compute the figures of %s", cli->dir);
        goto done;
    }
    /* The figures are in memory: let other commands at the store. */
    cli_node_close(cli);
    s_note_unapplied(report);

    const char *path = o.out;
    if (!path && o.fmt == CMD_REPORT_HTML)
        path = "report.html";
    if (!path && o.fmt == CMD_REPORT_XLSX)
        path = "report.xlsx";
    if (path && strcmp(path, "-") != 0) {
        rc = s_write_file(report, &o, path);
    } else if ((frc = cmd_report_write(report, o.fmt, o.pretty, stdout))) {
        /* A failed write (a closed pipe, a full disk) is the
         * environment's, and main says so when it checks stdout last. */
        if (!ferror(stdout))
            cli_error("cannot write the report: %s", vocfed_strerror(frc));
        rc = frc == VOCFED_EINVALID ? CLI_EXIT_FAIL : CLI_EXIT_ENV;
    }
done:
    json_decref(report);
    return rc;
}

const cli_cmd_t cmd_report = {
    .name = "report",
    .summary = "the group's figures against the policy's targets",
    .usage =
        "Usage: vocfed report [--year Y] [--as-of TIME]\n"
        "                     [--format table|json|csv|html|xlsx]\n"
        "                     [--out FILE] [--pretty] [--no-catch-up]\n"
        "\n"
        "The figures (docs/FIGURES.md) from the records this node holds: on "
        "the\n"
        "coordinator the group's, on a member its own share. Each figure "
        "with\n"
        "its target, attainment and status (met, on track, behind); the "
        "subsidy\n"
        "lines with their payees and the year's total against the "
        "5,000,000-yuan\n"
        "award budget; each member's checkpoint the figures are as of "
        "(entries,\n"
        "root, time of the last signed entry) and the members behind (the\n"
        "coordinator lacks entries the member said it holds, or the member\n"
        "has not acknowledged the coordinator's log as it stands; a member\n"
        "that signed nothing for months is not behind); the people found\n"
        "at more than one member (a count only). Figures come per member,\n"
        "per original affiliation and per county (region code) in csv, html\n"
        "and xlsx.\n"
        "\n"
        "Every format says what the figures are as of: for each log, the "
        "last\n"
        "seq applied to them against the entries the log holds, and the "
        "time of\n"
        "the latest checkpoint applied. The report first applies what the "
        "logs\n"
        "hold beyond the figures (a daemon applies behind its log), so "
        "that\n"
        "nothing held is left out; with --no-catch-up it reads them as they "
        "are,\n"
        "at once, and says how many entries are not in them yet (also on\n"
        "stderr).\n"
        "\n"
        "Options:\n"
        "  --year Y      the report year (per-year figures of that year "
        "only);\n"
        "                default every year, with this year's status. "
        "The\n"
        "                stocks (students in school, posts, staff "
        "shares) of a\n"
        "                past year are as of its census date: 31 "
        "December,\n"
        "                or the coordinator's 'census_date' record "
        "(key the\n"
        "                year or 'default', fields month and day); the "
        "flows\n"
        "                (training, intake, graduates, subsidies) by "
        "their\n"
        "                year. Each figure says which it is and what "
        "moment\n"
        "                it is of\n"
        "  --as-of TIME  the figures as the logs stood at TIME: a date\n"
        "                (2026-09-01, the whole day) or a date and time "
        "to\n"
        "                the second (2026-09-01T08:00:00; UTC unless a "
        "zone\n"
        "                follows: Z, +08:00). Each log up to its last\n"
        "                checkpoint signed then is replayed, in the "
        "order it\n"
        "                arrived, into a scratch store in $TMPDIR "
        "(removed\n"
        "                after): the report printed at TIME, again. What "
        "the\n"
        "                coordinator had received then is not in the "
        "logs:\n"
        "                a member's unsent and behind are null\n"
        "  --format F    table  aligned text, Chinese labels first "
        "(default)\n"
        "                json   the figures object on one line (see "
        "--pretty)\n"
        "                csv    one row per figure, year and breakdown:\n"
        "                       figure,zh,en,year,breakdown,bucket,\n"
        "                       bucket_name,value,numerator,denominator,\n"
        "                       target,status (bucket_name: a county's\n"
        "                       name, GB/T 2260, or a member's)\n"
        "                       (UTF-8 with BOM, CRLF, RFC 4180 quoting; "
        "rates\n"
        "                       as fractions)\n"
        "                html   one self-contained page (inline CSS and "
        "SVG\n"
        "                       charts, nothing loaded from the network)\n"
        "                xlsx   an Excel workbook: 总览 Overview, 按成员 By\n"
        "                       member, 按隶属 By affiliation, 按区县 By "
        "county,\n"
        "                       补助 Subsidies, 数据截至 As of\n"
        "  --out FILE    write to FILE (replaced whole, never half "
        "written);\n"
        "                table, json and csv go to stdout without it (or "
        "with\n"
        "                '-'); html and xlsx go to report.html and "
        "report.xlsx\n"
        "                in the current folder\n"
        "  --pretty      indent the JSON (--format json only)\n"
        "  --no-catch-up do not apply what the logs hold beyond the "
        "figures\n"
        "                first: report them as the applier has left "
        "them\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 ok, 1 the figures could not be computed from the "
        "records,\n"
        "2 usage error, 3 no store, or the report could not be written.\n",
    .run = s_run,
    .needs = CLI_NEEDS_IDENTITY | CLI_NEEDS_SETTINGS,
};
