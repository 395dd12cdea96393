/* vocfed report: the group's figures against the policy's targets, as a
 * table, JSON, CSV, an HTML page or an Excel workbook (DESIGN 7, 8). */
#include "node/config.h"
#include "node/figures.h"
#include "tools/cli.h"
#include "tools/report_render.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The options of one run. */
typedef struct {
    int year;                /* --year, 0 for every year */
    cmd_report_format_t fmt; /* --format */
    const char *out;         /* --out, or NULL */
    bool pretty;             /* --pretty */
} s_opts_t;

/* State of looking for the coordinator among the store's authors. */
typedef struct {
    const char *self;             /* this node's id: not it */
    const uint8_t *key;           /* its public key if known, or NULL */
    char found[PROTO_ID_MAX + 1]; /* the author found */
    size_t others;                /* authors other than self */
    char other[PROTO_ID_MAX + 1]; /* the last of them */
} s_find_t;

static int
s_find_author(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_find_t *f = ctx;
    if (strcmp(id, f->self) == 0)
        return 0;
    if (f->key && memcmp(pk, f->key, PROTO_PUBKEY_LEN) == 0)
        snprintf(f->found, sizeof f->found, "%s", id);
    f->others++;
    snprintf(f->other, sizeof f->other, "%s", id);
    return 0;
}

/* The coordinator's id, whose log holds the targets and the subsidy
 * rules: this node's own on a coordinator; on a member the one its
 * settings name (coordinator_id, else the author with coordinator_key),
 * else the one other author it replicates. "" when not known yet (the
 * coordinator's log has not arrived). Returns 0 or an exit code. */
static int
s_coordinator(const cli_t *cli, store_t *store, const cli_identity_t *me,
              char out[PROTO_ID_MAX + 1])
{
    node_config_t cfg;
    uint8_t key[PROTO_PUBKEY_LEN];
    out[0] = '\0';
    if (strcmp(me->role, CLI_ROLE_COORDINATOR) == 0) {
        snprintf(out, PROTO_ID_MAX + 1, "%s", me->id);
        return CLI_EXIT_OK;
    }
    int rc = node_config_load(cli->dir, &cfg);
    if (rc) {
        cli_error("cannot read %s/%s: %s", cli->dir, NODE_CONFIG_FILE,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    }
    s_find_t f = {.self = me->id};
    if (cfg.coordinator_key[0] &&
        proto_unhex(cfg.coordinator_key, key, sizeof key) == 0)
        f.key = key;
    if ((rc = store_scan_authors(store, s_find_author, &f)))
        return cli_fail(rc, "cannot read the authors of %s", cli->dir);
    if (cfg.coordinator_id[0]) {
        uint8_t pk[PROTO_PUBKEY_LEN];
        /* Named but its log not here yet: the same as not known. */
        if (store_author_key(store, cfg.coordinator_id, pk) == VOCFED_OK)
            snprintf(out, PROTO_ID_MAX + 1, "%s", cfg.coordinator_id);
    } else if (f.found[0]) {
        snprintf(out, PROTO_ID_MAX + 1, "%s", f.found);
    } else if (!f.key && f.others == 1) {
        snprintf(out, PROTO_ID_MAX + 1, "%s", f.other);
    }
    if (!out[0])
        fprintf(stderr,
                "vocfed: note: the coordinator's log is not in %s "
                "yet (run 'vocfed sync'): the figures are this "
                "member's share, without the group's targets\n",
                cli->dir);
    return CLI_EXIT_OK;
}

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

static int
s_parse(cli_t *cli, int argc, char **argv, s_opts_t *o)
{
    enum {
        OPT_YEAR = CLI_OPT_DIR + 1,
        OPT_FORMAT,
        OPT_OUT,
        OPT_PRETTY,
    };
    static const struct option longopts[] = {
        {"year", required_argument, NULL, OPT_YEAR},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"out", required_argument, NULL, OPT_OUT},
        {"pretty", no_argument, NULL, OPT_PRETTY},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    int c, rc;
    uint64_t y;
    *o = (s_opts_t){.fmt = CMD_REPORT_TABLE};
    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
                            NULL)) != -1) {
        switch (c) {
        case OPT_YEAR:
            if (!cli_parse_u64(optarg, 1, 9999, &y))
                return cli_usage_error(cli, "--year '%s' is not a year",
                                       optarg);
            o->year = (int)y;
            break;
        case OPT_FORMAT:
            if (!cmd_report_format_parse(optarg, &o->fmt))
                return cli_usage_error(cli,
                                       "--format '%s' is not one of table, "
                                       "json, csv, html, xlsx",
                                       optarg);
            break;
        case OPT_OUT:
            if (optarg[0] == '\0')
                return cli_usage_error(cli, "--out needs a file");
            o->out = optarg;
            break;
        case OPT_PRETTY:
            o->pretty = true;
            break;
        default:
            if ((rc = cli_opt_common(cli, c, argv)) != CLI_GO_ON)
                return rc;
        }
    }
    if (optind < argc)
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
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

    store_t *store = NULL;
    cli_identity_t me;
    char coord[PROTO_ID_MAX + 1];
    json_t *report = NULL;
    int frc;
    if ((rc = cli_store_open(cli, false, &store)))
        return rc;
    if ((rc = cli_identity_load(cli, store, &me)) ||
        (rc = s_coordinator(cli, store, &me, coord)))
        goto done;
    frc = node_figures_json(store, coord[0] ? coord : NULL, o.year, &report);
    if (frc) {
        rc = cli_fail(frc, "cannot compute the figures of %s", cli->dir);
        goto done;
    }
    /* The figures are in memory: let other commands at the store. */
    store_destroy(&store);

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
    store_destroy(&store);
    return rc;
}

const cli_cmd_t cmd_report = {
    .name = "report",
    .summary = "the group's figures against the policy's targets",
    .usage =
        "Usage: vocfed report [--year Y] [--format table|json|csv|html|xlsx]\n"
        "                     [--out FILE] [--pretty]\n"
        "\n"
        "The figures of DESIGN 7 from the records this node holds: on the\n"
        "coordinator the group's, on a member its own share. Each figure "
        "with\n"
        "its target, attainment and status (met, on track, behind); the "
        "subsidy\n"
        "lines with their payees and the year's total against the "
        "5,000,000-yuan\n"
        "award budget; each member's checkpoint the figures are as of "
        "(entries,\n"
        "root, time) and the members behind; the people found at more than "
        "one\n"
        "member (a count only). Figures come per member, per original\n"
        "affiliation and per county (region code) in csv, html and xlsx.\n"
        "\n"
        "Options:\n"
        "  --year Y      the report year (per-year figures of that year "
        "only);\n"
        "                default every year, with this year's status\n"
        "  --format F    table  aligned text, Chinese labels first "
        "(default)\n"
        "                json   the figures object on one line (see "
        "--pretty)\n"
        "                csv    one row per figure, year and breakdown:\n"
        "                       figure,zh,en,year,breakdown,bucket,value,\n"
        "                       numerator,denominator,target,status\n"
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
        "  --dir DIR     the store folder (default $VOCFED_DIR, then "
        "./vocfed-data)\n"
        "  -h, --help    print this help\n"
        "\n"
        "Exit status: 0 ok, 1 the figures could not be computed from the "
        "records,\n"
        "2 usage error, 3 no store, or the report could not be written.\n",
    .run = s_run,
};
