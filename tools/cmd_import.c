/* vocfed import: records of one kind from a CSV file, all or nothing
 * (DESIGN 8; SPEC 11.4). The work is node/import.c; this is the command
 * line, the progress bar and the report. */
#include "node/import.h"
#include "node/linkage.h"
#include "node/sheet.h"
#include "tools/cli.h"
#include "tools/cli_fence.h"
#include "tools/import_template.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* The progress bar's state (stderr on a terminal only). */
typedef struct {
    int last_phase;   /* phase last drawn, -1 before any */
    int last_percent; /* percent last drawn */
    bool drawn;       /* something is on the line */
} s_bar_t;

static void
s_bar(void *ctx, node_import_phase_t phase, uint64_t done, uint64_t total)
{
    s_bar_t *b = ctx;
    int pct = total ? (int)(done * 100 / total) : 100;
    if ((int)phase == b->last_phase && pct == b->last_percent)
        return;
    b->last_phase = (int)phase;
    b->last_percent = pct;
    char bar[41];
    int fill = pct * 40 / 100;
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '-', (size_t)(40 - fill));
    bar[40] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%%",
            phase == NODE_IMPORT_VALIDATING ? "校验 validating"
                                            : "写入 writing   ",
            bar, pct);
    fflush(stderr);
    b->drawn = true;
}

static void
s_bar_clear(s_bar_t *b)
{
    if (b->drawn)
        fputs("\r\033[K", stderr);
    b->drawn = false;
}

/* The bad rows as JSON. NULL when out of memory. */
static json_t *
s_errors_json(const node_import_result_t *res)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < res->nerrors; i++) {
        const node_import_error_t *e = &res->errors[i];
        json_t *o =
            json_pack("{s:I, s:s, s:s, s:s, s:s}", "line", (json_int_t)e->line,
                      "column", e->column, "value", e->value, "reason_zh",
                      e->reason_zh, "reason_en", e->reason_en);
        if (json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static int
s_print_json(const char *kind, const char *file, bool check,
             const node_import_result_t *res, int niceness)
{
    json_t *errors = s_errors_json(res);
    json_t *j = json_pack(
        "{s:s, s:s, s:b, s:b, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:b, s:o*}",
        "kind", kind, "file", file, "check", check, "ok", res->nerrors == 0,
        "encoding", node_encoding_name(res->encoding), "bom", res->bom, "rows",
        (json_int_t)res->rows, "new", (json_int_t)res->added, "changed",
        (json_int_t)res->changed, "unchanged", (json_int_t)res->unchanged,
        "deleted", (json_int_t)res->deleted, "first_seq",
        (json_int_t)res->first_seq, "last_seq", (json_int_t)res->last_seq,
        "name_dropped", res->dropped_name, "errors", errors);
    if (j && res->del_keys) {
        json_t *d = json_array();
        const char *k = res->del_keys;
        for (size_t i = 0; d && i < res->deleted; i++, k += strlen(k) + 1)
            json_array_append_new(d, json_string(k));
        json_object_set_new(j, "deletions", d);
    }
    if (j) {
        json_object_set_new(j, "header_bad", json_boolean(res->header_bad));
        json_object_set_new(j, "nice", json_integer(niceness));
        json_object_set_new(j, "format",
                            json_string(node_sheet_format_name(
                                (node_sheet_format_t)res->format)));
    }
    return cli_json_emit(j, "the result");
}

static void
s_print_errors(const node_import_result_t *res)
{
    for (size_t i = 0; i < res->nerrors; i++) {
        const node_import_error_t *e = &res->errors[i];
        if (e->line == 0) { /* about the whole file */
            printf("%s\n%s\n", e->reason_zh, e->reason_en);
            continue;
        }
        printf("第 %zu 行 line %zu", e->line, e->line);
        if (e->column[0])
            printf("  列 column %s", e->column);
        if (e->value[0])
            printf("  值 value \"%s\"", e->value);
        printf(": %s; %s\n", e->reason_zh, e->reason_en);
    }
}

static void
s_print_summary(const char *kind, const char *file, bool check,
                const node_import_result_t *res)
{
    printf("%s %s %s: 读取 rows %zu, 新增 new %zu, 修改 changed %zu, "
           "未变 unchanged %zu, 删除 deleted %zu",
           check ? "check" : "import", kind, file, res->rows, res->added,
           res->changed, res->unchanged, res->deleted);
    if (check)
        printf(" (校验通过，未写入 all rows good, nothing written)");
    else if (res->last_seq)
        printf(", seq %llu..%llu", (unsigned long long)res->first_seq,
               (unsigned long long)res->last_seq);
    else
        printf(" (无变化 nothing to write)");
    printf(" [%s%s%s]\n",
           res->format == NODE_SHEET_TEXT
               ? node_encoding_name(res->encoding)
               : node_sheet_format_name((node_sheet_format_t)res->format),
           res->bom ? ", BOM" : "",
           res->dropped_name ? ", name column dropped" : "");
}

/* The keys a sync deletes (or would): up to 20, then how many more. */
static void
s_print_deletions(const node_import_result_t *res, bool done)
{
    const char *k = res->del_keys;
    size_t n = res->deleted;
    if (!k || !n)
        return;
    printf("%s %s:\n", done ? "已删除" : "将删除",
           done ? "deleted" : "would delete");
    for (size_t i = 0; i < n && i < 20; i++) {
        printf("  %s\n", k);
        k += strlen(k) + 1;
    }
    if (n > 20)
        printf("  …另有 %zu 条 and %zu more\n", n - 20, n - 20);
}

/* How many distinct lines the errors are on. */
static size_t
s_bad_rows(const node_import_result_t *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->nerrors; i++)
        n += i == 0 || res->errors[i].line != res->errors[i - 1].line;
    return n;
}

/* The last line of a refusal for bad rows or a bad header, both
 * languages. */
static void
s_print_refusal(const char *file, const char *kind,
                const node_import_result_t *res)
{
    size_t n = res->nerrors, bad = s_bad_rows(res);
    if (n == 1 && res->errors[0].line == 0) {
        cli_error("%s %s: 文件未能读取，未写入; the file was not read, "
                  "nothing written",
                  file, kind);
    } else if (res->header_bad) {
        cli_error("%s %s: 表头有 %zu 处问题，未读取数据行，未写入; the header "
                  "has %zu problem%s, no row was read, nothing written",
                  file, kind, n, n, n == 1 ? "" : "s");
    } else if (res->last_seq) { /* the file changed while it was written */
        cli_error("%s %s: %zu 行中有 %zu 行有误（%zu 处问题）; %zu bad row%s "
                  "of %zu (%zu problem%s); seq %llu..%llu were written before",
                  file, kind, res->rows, bad, n, bad, bad == 1 ? "" : "s",
                  res->rows, n, n == 1 ? "" : "s",
                  (unsigned long long)res->first_seq,
                  (unsigned long long)res->last_seq);
    } else {
        cli_error("%s %s: %zu 行中有 %zu 行有误（%zu 处问题），未写入; %zu bad "
                  "row%s of %zu (%zu problem%s), nothing written",
                  file, kind, res->rows, bad, n, bad, bad == 1 ? "" : "s",
                  res->rows, n, n == 1 ? "" : "s");
    }
}

/* --allow-delete N */
static int
s_opt_allow_delete(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    node_import_opts_t *o = opt->target;
    if (!cli_parse_u64(value, 0, UINT64_MAX - 1, &o->allow_delete))
        return cli_usage_error(cli,
                               "--allow-delete '%s' is not a number of "
                               "records",
                               value);
    o->allow_delete_set = true;
    return CLI_GO_ON;
}

/* --encoding utf-8|gb18030 */
static int
s_opt_encoding(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    void *target = opt->target;
    node_encoding_t *enc = target;
    if (strcmp(value, "utf-8") == 0 || strcmp(value, "utf8") == 0)
        *enc = NODE_ENC_UTF8;
    else if (strcmp(value, "gb18030") == 0)
        *enc = NODE_ENC_GB18030;
    else
        return cli_usage_error(cli, "--encoding '%s' is not utf-8 or gb18030",
                               value);
    return CLI_GO_ON;
}

/* --chunk ROWS */
static int
s_opt_chunk(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    size_t *chunk = opt->target;
    uint64_t v;
    if (!cli_parse_u64(value, 1, 100000000, &v))
        return cli_usage_error(cli,
                               "--chunk '%s' is not a number of rows "
                               "from 1 to 100000000",
                               value);
    *chunk = (size_t)v;
    return CLI_GO_ON;
}

/* How much lower an import runs in CPU priority unless --nice says:
 * bulk work, behind the daemons (the node's sync; a coordinator on the
 * same machine). On the 2 cores of bench/peers, a 1M-row import to the
 * coordinator's receipt took ~1.72 s at 0 and ~1.65 s at 10 or more
 * (bench/README.md). */
#define CLI_IMPORT_NICE 10

/* --nice N */
static int
s_opt_nice(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    int *n = opt->target;
    uint64_t v;
    if (!cli_parse_u64(value, 0, 19, &v))
        return cli_usage_error(cli, "--nice '%s' is not a number from 0 to 19",
                               value);
    *n = (int)v;
    return CLI_GO_ON;
}

/* Lowers the priority of this thread, and so of the threads it starts
 * after (the import's check and write helpers), by n; best effort. Returns
 * the niceness it runs at. */
static int
s_lower_priority(int n)
{
    errno = 0;
    if (n && nice(n) == -1 && errno)
        zsys_warning("import: cannot lower its priority: %s", strerror(errno));
    errno = 0;
    int now = getpriority(PRIO_PROCESS, 0);
    return now == -1 && errno ? 0 : now;
}

/* Says how node_import_file ended (rc); returns the exit code. */
static int
s_result(const cli_t *cli, int rc, const char *kind, const char *file,
         bool json, bool check, const node_import_result_t *res, int niceness)
{
    switch (rc) {
    case VOCFED_OK:
        if (json)
            return s_print_json(kind, file, check, res, niceness);
        s_print_summary(kind, file, check, res);
        s_print_deletions(res, !check);
        return CLI_EXIT_OK;
    case VOCFED_EINVALID:
        if (json)
            (void)s_print_json(kind, file, check, res, niceness);
        else
            s_print_errors(res);
        s_print_refusal(file, kind, res);
        return CLI_EXIT_FAIL;
    case VOCFED_EDENIED: /* a sync that would delete too much */
        if (json) {
            (void)s_print_json(kind, file, check, res, niceness);
        } else {
            s_print_deletions(res, false);
            s_print_errors(res);
        }
        cli_error("%s %s: --sync 删除过多，未写入; --sync would delete too "
                  "many records, nothing written",
                  file, kind);
        return CLI_EXIT_FAIL;
    case VOCFED_EKEY:
        cli_error("%s has an id_number column but this node has no group "
                  "linkage key: run 'vocfed linkage-key import FILE' first",
                  file);
        return CLI_EXIT_ENV;
    case VOCFED_ESTORAGEFULL:
        /* SPEC 5.4: the transaction was dropped whole. */
        if (res->last_seq)
            cli_error("cannot import %s: storage full: no space left on the "
                      "disk of %s; seq %llu..%llu were written, the rest not "
                      "(free some space, then run the same import again: it "
                      "completes it)",
                      file, cli->dir, (unsigned long long)res->first_seq,
                      (unsigned long long)res->last_seq);
        else
            cli_error("cannot import %s: storage full: no space left on the "
                      "disk of %s; nothing was written (free some space, "
                      "then run the same import again)",
                      file, cli->dir);
        return CLI_EXIT_ENV;
    default:
        if (res->last_seq)
            cli_error("%s: seq %llu..%llu were written before it stopped; "
                      "the same import again completes it",
                      file, (unsigned long long)res->first_seq,
                      (unsigned long long)res->last_seq);
        return cli_fail(rc, "cannot import %s", file);
    }
}

/* Opens the node for kind k and gets what the import needs: the
 * linkage key for people's records, the secret key unless --check.
 * Returns 0 or an exit code after printing why. */
static int
s_prepare(cli_t *cli, const proto_kind_def_t *k, node_import_opts_t *opts,
          node_t **node, uint8_t **linkage)
{
    int rc;
    if ((rc = cli_node(cli, node)))
        return rc;
    if ((rc = cli_kind_role_check(*node, k)) != CLI_GO_ON)
        return rc;
    if (!opts->check && (rc = cli_unfence(cli, node)))
        return rc; /* a fenced store fetches its own log first */
    /* The linkage key, if this member has one, for people's records:
     * only an id_number column needs it, and node_import says so. */
    rc = k->person ? node_linkage_load(cli->dir, linkage) : VOCFED_ENOTFOUND;
    if (rc && rc != VOCFED_ENOTFOUND) {
        cli_error("cannot load the linkage key %s/%s: %s", cli->dir,
                  NODE_LINKAGE_FILE, vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    }
    opts->linkage_key = *linkage;
    opts->coordinator = node_is_coordinator(*node);
    return opts->check ? CLI_EXIT_OK : cli_node_key(cli);
}

/* What --template asks for. */
typedef struct {
    const char *kind;   /* --template KIND, or NULL */
    const char *format; /* --format csv|xlsx, or NULL */
    const char *out;    /* --out FILE, or NULL for stdout */
} s_tmpl_t;

/* Copies the file at path to stdout. Returns 0 or -errno. */
static int
s_cat(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) {
            rc = -EIO;
            break;
        }
    if (!rc && ferror(f))
        rc = -EIO;
    fclose(f);
    return rc;
}

/* Writes the template into the new file tmp (fd open on it). */
static int
s_template_to(const proto_kind_def_t *k, bool xlsx, int fd, const char *tmp)
{
    int rc = 0;
    if (xlsx) {
        rc = cmd_template_xlsx(k, tmp);
        if (!rc && fsync(fd) != 0)
            rc = -errno;
        close(fd);
        return rc;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -errno;
    }
    rc = cmd_template_csv(k, f);
    if (!rc && fsync(fileno(f)) != 0)
        rc = -errno;
    if (fclose(f) != 0 && !rc)
        rc = -EIO;
    return rc;
}

/* Writes the template through a temporary file: linked as t->out (never
 * over an existing file: it may be a filled sheet), or copied to stdout
 * and removed. Returns 0 or -errno. */
static int
s_template_write(const proto_kind_def_t *k, bool xlsx, const s_tmpl_t *t)
{
    char tmp[4096];
    const char *dir = getenv("TMPDIR");
    int n = t->out ? snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", t->out)
                   : snprintf(tmp, sizeof tmp, "%s/vocfed-template-XXXXXX",
                              dir && *dir ? dir : "/tmp");
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -ENAMETOOLONG;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -errno;
    mode_t mask = umask(0);
    umask(mask);
    int rc = fchmod(fd, 0666 & ~mask) != 0 ? -errno : 0;
    if (rc)
        close(fd);
    else
        rc = s_template_to(k, xlsx, fd, tmp);
    if (!rc && t->out && link(tmp, t->out) != 0)
        rc = -errno;
    if (!rc && !t->out)
        rc = s_cat(tmp);
    unlink(tmp);
    return rc;
}

/* vocfed import --template KIND [--format csv|xlsx] [--out FILE] */
static int
s_template(cli_t *cli, const s_tmpl_t *t, size_t nargs)
{
    const proto_kind_def_t *k = NULL;
    int rc;
    if (nargs != 0)
        return cli_usage_error(cli, "--template KIND takes no FILE: use "
                                    "--out FILE, or > FILE");
    if ((rc = cli_kind_find(cli, t->kind, &k)) != CLI_GO_ON)
        return rc;
    const char *fmt = t->format;
    size_t ol = t->out ? strlen(t->out) : 0;
    if (!fmt)
        fmt = ol > 5 && !strcmp(t->out + ol - 5, ".xlsx") ? "xlsx" : "csv";
    bool xlsx = !strcmp(fmt, "xlsx");
    if (!xlsx && strcmp(fmt, "csv") != 0)
        return cli_usage_error(cli, "--format '%s' is not csv or xlsx", fmt);
    if (xlsx && !t->out && isatty(STDOUT_FILENO))
        return cli_usage_error(cli, "a workbook is not for a terminal: use "
                                    "--out FILE.xlsx, or > FILE.xlsx");
    if ((rc = s_template_write(k, xlsx, t)) == -EEXIST) {
        cli_error("%s exists (a filled sheet, maybe): not replaced; remove "
                  "it or choose another name",
                  t->out);
        return CLI_EXIT_ENV;
    }
    if (rc)
        return cli_fail(rc, "cannot write the template of %s to %s", k->name,
                        t->out ? t->out : "stdout");
    if (t->out)
        printf("模板已写入 template written to %s\n", t->out);
    return CLI_EXIT_OK;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    node_import_opts_t opts = {.encoding = NODE_ENC_AUTO};
    node_import_result_t res;
    s_bar_t bar = {.last_phase = -1, .last_percent = -1};
    bool json = false;
    int lower = CLI_IMPORT_NICE;
    s_tmpl_t tmpl = {0};
    const cli_opt_t table[] = {
        CLI_FLAG("check", &opts.check),
        CLI_FLAG("sync", &opts.sync),
        CLI_FLAG("json", &json),
        CLI_FN("encoding", &opts.encoding, s_opt_encoding),
        CLI_FN("chunk", &opts.chunk_rows, s_opt_chunk),
        CLI_FN("nice", &lower, s_opt_nice),
        CLI_FN("allow-delete", &opts, s_opt_allow_delete),
        CLI_STR("sheet", &opts.sheet),
        CLI_STR("template", &tmpl.kind),
        CLI_STR("format", &tmpl.format),
        CLI_STR("out", &tmpl.out),
        CLI_END,
    };
    cli_args_t a;
    int rc = cli_parse(cli, table, argc, argv, &a);
    if (rc != CLI_GO_ON)
        return rc;
    if (tmpl.kind)
        return s_template(cli, &tmpl, a.n);
    if (tmpl.format || tmpl.out)
        return cli_usage_error(cli, "--format and --out go with --template "
                                    "KIND");
    if (a.n != 2)
        return cli_usage_error(cli, "import needs KIND and FILE");
    const char *kind = a.v[0], *file = a.v[1];
    const proto_kind_def_t *k = NULL;
    if ((rc = cli_kind_find(cli, kind, &k)) != CLI_GO_ON)
        return rc;
    opts.kind = k->name;

    node_t *node = NULL;
    uint8_t *linkage = NULL;
    memset(&res, 0, sizeof res);
    if ((rc = s_prepare(cli, k, &opts, &node, &linkage)) == CLI_EXIT_OK) {
        if (isatty(STDERR_FILENO)) {
            opts.progress = s_bar;
            opts.progress_ctx = &bar;
        }
        int niceness = s_lower_priority(lower);
        rc = node_import_file(node_store(node), node_id(node), node_sk(node),
                              &opts, file, &res);
        s_bar_clear(&bar);
        rc = s_result(cli, rc, kind, file, json, opts.check, &res, niceness);
    }
    node_import_result_release(&res);
    node_linkage_free(&linkage);
    return rc;
}

const cli_cmd_t cmd_import = {
    .name = "import",
    .large = true,
    .summary = "import records of one kind from a CSV file or a workbook",
    .usage =
        "Usage: vocfed import KIND FILE.csv|FILE.xlsx|FILE.xls [--check] "
        "[--sync]\n"
        "                     [--allow-delete N] [--sheet NAME] [--json]\n"
        "                     [--encoding utf-8|gb18030] [--chunk ROWS] "
        "[--nice N]\n"
        "       vocfed import --template KIND [--format csv|xlsx] [--out "
        "FILE]\n"
        "\n"
        "Reads records of KIND from FILE: a header row of column names, "
        "then one\n"
        "record per row. A column is named by its field name (below) or its "
        "Chinese\n"
        "name (入学年份, 学籍状态 ...; also the names the student-status and "
        "statistics\n"
        "forms use, e.g. 入学年度, 培养层次); enumeration values may be "
        "written in\n"
        "Chinese (在籍, 中职, 灵活就业 ...) and years as 2024, 2024年, "
        "2024-09-01 or\n"
        "2024/9/1. What is stored is the English value and the year. The key "
        "comes\n"
        "from a 'key' (键) column or the kind's key column (code, year or "
        "pseudo_id);\n"
        "member has one record, 'profile'. For student, staff and graduate "
        "an\n"
        "id_number (身份证号, 公民身份号码) column becomes the pseudo_id "
        "through the\n"
        "group linkage key ('vocfed linkage-key'), and a name (姓名) column is "
        "dropped:\n"
        "neither is stored. A graduate's key is pseudo_id:grad_year. Columns "
        "without\n"
        "a name and empty cells right of the last one are ignored.\n"
        "\n"
        "FILE may be an Excel workbook (.xlsx, or .xls of Excel 97-2003), "
        "found out\n"
        "from its first bytes: the first sheet is read (--sheet another), "
        "lines are\n"
        "its row numbers, date cells become years where the field is a year. "
        "An ID\n"
        "number Excel stored as a number has lost digits: it is refused; "
        "format the\n"
        "column as text and enter the numbers again.\n"
        "\n"
        "Every row is checked first. If any row is bad nothing is written, "
        "and every\n"
        "bad value is listed (line, column, value, why, in Chinese and "
        "English); a\n"
        "bad header is reported as such, with the nearest known column name. "
        "Otherwise\n"
        "the rows that differ from the current records are written in signed "
        "appends\n"
        "of 100,000 records (--chunk), each one transaction under its own "
        "checkpoint;\n"
        "rows equal to the current record write nothing. So an import that "
        "was\n"
        "interrupted (killed, disk full) after some chunks, run again with "
        "the same\n"
        "file, writes only the rest and completes it. A CSV file is mapped, "
        "not read\n"
        "into memory; past 256 MiB of records it is read a second time to "
        "write, a\n"
        "chunk at a time, so files larger than memory import too (a "
        "workbook's sheet\n"
        "is read into memory). A CSV file is UTF-8 (with or without a BOM) "
        "or GB18030\n"
        "(what Excel saves as CSV on a Chinese system), found out by itself. "
        "Prints\n"
        "rows read, new, changed, unchanged, deleted and the seqs written. A "
        "progress\n"
        "bar goes to stderr when it is a terminal.\n"
        "\n"
        "--sync also deletes the records of KIND the file does not have, but "
        "never\n"
        "more than 10% of them, nor any when the file has no rows, unless "
        "--allow-delete\n"
        "N allows at least as many: a file cut short must not wipe a school. "
        "With\n"
        "--check it lists what would go.\n"
        "\n"
        "--template KIND writes an empty sheet to fill in, to stdout or "
        "--out FILE\n"
        "(never over an existing file; no store needed): the columns import "
        "reads for\n"
        "KIND, headed by their Chinese names (for student, staff and graduate "
        "身份证号\n"
        "and 姓名 first). --format csv (the default, unless FILE ends in "
        ".xlsx) is the\n"
        "header row only, UTF-8 with a byte order mark so that Excel on a "
        "Chinese\n"
        "system opens it as UTF-8. --format xlsx is a workbook: the sheet to "
        "fill\n"
        "(required columns' headers yellow, a drop-down list of the Chinese "
        "values\n"
        "under every enumeration, number and year limits, ID numbers and codes "
        "as\n"
        "text), and a second sheet, 填表说明, explaining each column in "
        "Chinese and\n"
        "English: meaning, required, type, range or allowed values, other "
        "names.\n"
        "\n"
        "Options:\n"
        "  --check       check every row and count what would change; "
        "write nothing\n"
        "  --sync        also delete the records of KIND the file no longer "
        "has\n"
        "  --allow-delete N  let --sync delete up to N records (past 10%, or "
        "from a\n"
        "                file with no rows)\n"
        "  --sheet NAME  the sheet of a workbook to read (default: the "
        "first)\n"
        "  --json        print the summary and the bad rows as one JSON "
        "object\n"
        "  --encoding E  read FILE as utf-8 or gb18030 instead of finding "
        "out\n"
        "  --chunk ROWS  records in each transaction (default "
        "100000)\n"
        "  --nice N      run N steps lower in CPU priority (0 to 19, default "
        "10; 0\n"
        "                keeps it): on a busy machine the daemons go first, "
        "so the\n"
        "                node sends the chunks written while the import "
        "goes on\n"
        "  --template KIND  write an empty sheet for KIND instead of "
        "importing\n"
        "  --format F    the template as csv or xlsx\n"
        "  --out FILE    write the template to FILE (not "
        "stdout)\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 imported (or, with --check, every row good), 1 bad "
        "rows\n"
        "or a refused --sync (nothing written), 2 usage error (also an unknown "
        "kind, or a kind "
        "this node\n"
        "does not write), 3 no store, FILE unreadable, no linkage key, bad "
        "key file\n"
        "or disk full.\n",
    .usage_more = cli_print_kinds,
    .run = s_run,
    .needs = CLI_NEEDS_KEY,
};
