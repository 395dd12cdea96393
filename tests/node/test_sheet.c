/* Tests of workbook import (node/sheet*.c, node/import.c; issue 13): the
 * same students as a UTF-8 CSV with English headers, a GB18030 CSV with
 * Chinese headers and values, .xlsx workbooks made by libxlsxwriter and
 * by hand (tests/vectors/make_workbooks.py) and an .xls made by
 * python3-xlwt import to the same records: the same root from a fresh
 * store each, at a fixed time. Then what a workbook may hold that is
 * wrong: an ID number stored as a number, a damaged zip, an .ods, a sheet
 * that is not there, --encoding given for a workbook. */
#include "node/import.h"
#include "node/linkage.h"
#include "node/sheet.h"
#include "storage/store.h"
#include "tests/harness.h"

#include <iconv.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

#define S_AUTHOR "aqvtc"
#define S_TIME 1767225600000ull /* the entries' time, fixed */

static const char *const s_stems[] = {"34080320050101001", "34080320050101002",
                                      "34080320050101003"};
static const char *const s_level_en[] = {"secondary", "higher",
                                         "undergraduate"};
static const char *const s_level_zh[] = {"中职", "高职专科", "本科"};
static const char *const s_status_en[] = {"enrolled", "suspended",
                                          "transferred"};
static const char *const s_status_zh[] = {"在籍", "休学", "转学"};
static const int s_year[] = {2024, 2023, 2022};

/* Per-test state. */
typedef struct {
    char root[64];                     /* mkdtemp folder */
    uint8_t key[NODE_LINKAGE_KEY_LEN]; /* the linkage key */
    int nstores;                       /* stores made so far */
} s_state_t;

static int
s_setup(void **state)
{
    s_state_t *st = calloc(1, sizeof *st);
    if (!st || sodium_init() < 0)
        return -1;
    th_tmpdir(st->root);
    /* a fixed key: the vectors' pseudo_ids do not depend on it, but the
     * roots compared are made with the same one */
    memset(st->key, 0x5a, sizeof st->key);
    *state = st;
    return 0;
}

static int
s_teardown(void **state)
{
    s_state_t *st = *state;
    th_rmdir(st->root);
    free(st);
    return 0;
}

static void
s_id(const char *stem, char out[19])
{
    static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                              3, 7, 9,  10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (stem[i] - '0') * w[i];
    snprintf(out, 19, "%s%c", stem, "10X98765432"[sum % 11]);
}

/* Reads a whole file (malloc'd; *len its size). */
static uint8_t *
s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* Imports data into a fresh store; returns the import's status, *head
 * the log's head after it, res (released by the caller) what it found. */
static int
s_fresh_kind(s_state_t *st, const char *kind, const char *sheet,
             const uint8_t *data, size_t len, node_import_result_t *res)
{
    char dir[128];
    store_t *store = NULL;
    uint8_t pk[PROTO_PUBKEY_LEN], sk[PROTO_SECKEY_LEN];
    store_opts_t so = {.create = true, .no_derived = true};
    snprintf(dir, sizeof dir, "%s/s%d", st->root, st->nstores++);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(store_open(dir, &so, &store), 0);
    crypto_sign_keypair(pk, sk);
    assert_int_equal(store_author_add(store, S_AUTHOR, pk), 0);
    node_import_opts_t o = {.kind = kind,
                            .linkage_key = st->key,
                            .time_ms = S_TIME,
                            .sheet = sheet};
    int rc = node_import(store, S_AUTHOR, sk, &o, data, len, res);
    store_destroy(&store);
    return rc;
}

/* s_fresh_kind for students. */
static int
s_fresh(s_state_t *st, const char *sheet, const uint8_t *data, size_t len,
        node_import_result_t *res)
{
    return s_fresh_kind(st, "student", sheet, data, len, res);
}

/* Imports data into a fresh store: it must give the records of the
 * English CSV, whose head is want. */
static void
s_same(s_state_t *st, const char *what, const char *sheet, const uint8_t *data,
       size_t len, const store_head_t *want)
{
    node_import_result_t res;
    int rc = s_fresh(st, sheet, data, len, &res);
    if (rc)
        for (size_t i = 0; i < res.nerrors; i++)
            print_error("%s: line %zu %s '%s': %s\n", what, res.errors[i].line,
                        res.errors[i].column, res.errors[i].value,
                        res.errors[i].reason_en);
    assert_int_equal(rc, 0);
    assert_int_equal(res.rows, 3);
    assert_int_equal(res.added, 3);
    assert_true(res.dropped_name);
    assert_int_equal(res.head.size, want->size);
    if (memcmp(res.head.root, want->root, sizeof want->root) != 0)
        fail_msg("%s: not the same records as the English CSV", what);
    node_import_result_release(&res);
}

/* The students as a workbook made by libxlsxwriter at path: Chinese
 * headers and values, the intake year as a date cell, the ID numbers as
 * text (or, with numeric_ids, as numbers, as a careless sheet has them). */
static void
s_make_xlsx(const char *path, bool numeric_ids)
{
    lxw_workbook *wb = workbook_new(path);
    assert_non_null(wb);
    lxw_worksheet *note = workbook_add_worksheet(wb, "填表说明");
    lxw_worksheet *ws = workbook_add_worksheet(wb, "学生");
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "yyyy/m/d");
    worksheet_write_string(note, 0, 0, "学生名单见“学生”工作表", NULL);
    static const char *const head[] = {"身份证号", "姓名",     "层次",
                                       "入学年份", "学籍状态", "培养路径"};
    for (int c = 0; c < 6; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], NULL);
    for (int r = 0; r < 3; r++) {
        char id[19];
        s_id(s_stems[r], id);
        lxw_row_t row = (lxw_row_t)(r + 1);
        if (numeric_ids)
            worksheet_write_number(ws, row, 0, strtod(id, NULL), NULL);
        else
            worksheet_write_string(ws, row, 0, id, NULL);
        worksheet_write_string(ws, row, 1, "某某", NULL);
        worksheet_write_string(ws, row, 2, s_level_zh[r], NULL);
        lxw_datetime dt = {.year = s_year[r], .month = 9, .day = 1};
        worksheet_write_datetime(ws, row, 3, &dt, date);
        worksheet_write_string(ws, row, 4, s_status_zh[r], NULL);
        worksheet_write_string(ws, row, 5, "五年一贯制", NULL);
        /* what a sheet keeps past its data: formatted empty cells */
        worksheet_write_blank(ws, row, 7, date);
    }
    worksheet_write_blank(ws, 9, 0, date);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
}

/* The students as a UTF-8 CSV with English headers into a fresh store:
 * the head every other way of writing them must give. en (1024 bytes)
 * gets the CSV. */
static store_head_t
s_english(s_state_t *st, char *en)
{
    int n =
        snprintf(en, 1024, "id_number,name,level,intake_year,status,pathway\n");
    for (int i = 0; i < 3; i++) {
        char id[19];
        s_id(s_stems[i], id);
        n += snprintf(en + n, 1024 - (size_t)n, "%s,n%d,%s,%d,%s,five_year\n",
                      id, i, s_level_en[i], s_year[i], s_status_en[i]);
    }
    node_import_result_t res;
    assert_int_equal(s_fresh(st, NULL, (const uint8_t *)en, strlen(en), &res),
                     0);
    store_head_t want = res.head;
    assert_int_equal(want.size, 3);
    node_import_result_release(&res);
    return want;
}

/* The two CSVs above are also files in tests/vectors (students_en.csv,
 * students_zh_gb18030.csv, the same bytes: checked here), and LibreOffice
 * 7.4 (Debian 12's libreoffice-calc-nogui) converted each into an .xlsx
 * and an .xls, the ID number column imported as text:
 *   soffice --headless --infilter="CSV:44,34,76,1,1/2" \
 *       --convert-to xlsx:"Calc MS Excel 2007 XML" students_en.csv
 *   soffice --headless --infilter="CSV:44,34,85,1,2/2" \
 *       --convert-to xls:"MS Excel 97" students_zh_gb18030.csv
 * (76 is UTF-8, 85 GB18030 in the CSV filter's options; tests/README.md
 * has all four commands). Each workbook must give the same records. */
static void
s_same_files(s_state_t *st, const char *en, const char *gb, size_t gblen,
             const store_head_t *want)
{
    static const char *const vec[] = {
        "students_en.csv",    "students_zh_gb18030.csv", "lo_students_en.xlsx",
        "lo_students_en.xls", "lo_students_zh.xlsx",     "lo_students_zh.xls"};
    for (size_t i = 0; i < sizeof vec / sizeof *vec; i++) {
        char path[256];
        size_t len;
        snprintf(path, sizeof path, "%s/tests/vectors/%s", VOCFED_SOURCE_DIR,
                 vec[i]);
        uint8_t *x = s_slurp(path, &len);
        if (i == 0 && (len != strlen(en) || memcmp(x, en, len) != 0))
            fail_msg("%s is not the English CSV of this test", vec[i]);
        if (i == 1 && (len != gblen || memcmp(x, gb, len) != 0))
            fail_msg("%s is not the GB18030 CSV of this test", vec[i]);
        s_same(st, vec[i], NULL, x, len, want);
        free(x);
    }
}

/* The same students, every way a registrar may have them. */
static void
test_same_records(void **state)
{
    s_state_t *st = *state;
    char en[1024] = "", zh[1024] = "", path[160];
    int m = snprintf(zh, sizeof zh,
                     "姓名,公民身份号码,培养层次,入学年度,学籍状态,培养模式\n");
    for (int i = 0; i < 3; i++) {
        char id[19];
        s_id(s_stems[i], id);
        m += snprintf(zh + m, sizeof zh - (size_t)m,
                      "某%d,%s,%s,%d年,%s,五年一贯制\n", i, id, s_level_zh[i],
                      s_year[i], s_status_zh[i]);
    }
    store_head_t want = s_english(st, en);

    /* GB18030, Chinese headers and values */
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    char gb[2048], *in = zh, *out = gb;
    size_t inleft = strlen(zh), outleft = sizeof gb;
    assert_true(iconv(cd, &in, &inleft, &out, &outleft) != (size_t)-1);
    iconv_close(cd);
    s_same(st, "GB18030 CSV", NULL, (const uint8_t *)gb, sizeof gb - outleft,
           &want);
    s_same_files(st, en, gb, sizeof gb - outleft, &want);

    /* libxlsxwriter's workbook: the students on the second sheet */
    snprintf(path, sizeof path, "%s/students.xlsx", st->root);
    s_make_xlsx(path, false);
    size_t len;
    uint8_t *x = s_slurp(path, &len);
    s_same(st, "libxlsxwriter xlsx", "学生", x, len, &want);
    free(x);

    /* made elsewhere: by hand (two date systems), and by xlwt */
    static const struct {
        const char *file, *sheet;
    } vec[] = {{"students.xlsx", NULL},
               {"students_1904.xlsx", "学生"},
               {"students.xls", NULL}};
    for (size_t i = 0; i < sizeof vec / sizeof *vec; i++) {
        snprintf(path, sizeof path, "%s/tests/vectors/%s", VOCFED_SOURCE_DIR,
                 vec[i].file);
        x = s_slurp(path, &len);
        s_same(st, vec[i].file, vec[i].sheet, x, len, &want);
        free(x);
    }
}

/* What is wrong in a workbook is said, in both languages. */
static void
test_refusals(void **state)
{
    s_state_t *st = *state;
    char path[160];
    size_t len;
    uint8_t *x;
    node_import_result_t res;

    /* ID numbers Excel stored as numbers: each row refused with the fix */
    snprintf(path, sizeof path, "%s/numeric.xlsx", st->root);
    s_make_xlsx(path, true);
    x = s_slurp(path, &len);
    assert_int_equal(s_fresh(st, "学生", x, len, &res), VOCFED_EINVALID);
    assert_int_equal(res.rows, 3);
    assert_int_equal(res.nerrors, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(res.errors[i].line, i + 2);
        assert_string_equal(res.errors[i].column, "身份证号");
        assert_non_null(strstr(res.errors[i].value, "E+17"));
        assert_string_equal(
            res.errors[i].reason_en,
            "the ID number was stored by Excel as a number and lost its "
            "last digits: format the column as text (Format Cells -> Text) "
            "and enter the numbers again");
        assert_string_equal(res.errors[i].reason_zh,
                            "身份证号被 Excel 存成了数字，末几位已丢失：请把"
                            "该列设置为“文本”格式（设置单元格格式 → 文本），"
                            "再重新填入号码");
    }
    node_import_result_release(&res);

    /* no such sheet: the sheets named */
    assert_int_equal(s_fresh(st, "Sheet9", x, len, &res), VOCFED_EINVALID);
    assert_int_equal(res.nerrors, 1);
    assert_int_equal(res.errors[0].line, 0);
    assert_true(res.header_bad);
    assert_string_equal(res.errors[0].reason_en,
                        "Excel workbook (.xlsx): the workbook has no sheet "
                        "'Sheet9'; its sheets: '填表说明', '学生'");
    assert_string_equal(res.errors[0].reason_zh,
                        "Excel 工作簿（.xlsx）：工作簿中没有名为“Sheet9”的工"
                        "作表；现有：'填表说明', '学生'");
    node_import_result_release(&res);

    /* --encoding is for CSV: a workbook given where CSV is expected */
    node_import_opts_t o = {.kind = "student",
                            .linkage_key = st->key,
                            .encoding = NODE_ENC_GB18030};
    assert_int_equal(node_import_parse(&o, x, len, &res), VOCFED_EINVALID);
    assert_string_equal(res.errors[0].reason_en,
                        "this file is an Excel workbook (.xlsx), not CSV "
                        "text: --encoding is for CSV files; import the "
                        "workbook without it");
    assert_string_equal(res.errors[0].reason_zh,
                        "此文件是 Excel 工作簿（.xlsx），不是 CSV 文本："
                        "--encoding 仅用于 CSV 文件，导入工作簿时请去掉该选项");
    node_import_result_release(&res);
    /* cut short: does not open */
    o.encoding = NODE_ENC_AUTO;
    assert_int_equal(node_import_parse(&o, x, len / 2, &res), VOCFED_EINVALID);
    assert_string_equal(res.errors[0].reason_en,
                        "Excel workbook (.xlsx): starts like a zip (.xlsx) "
                        "but does not open as one: the file is damaged or "
                        "not a workbook");
    assert_string_equal(res.errors[0].reason_zh,
                        "Excel 工作簿（.xlsx）：文件开头像 zip（.xlsx），却"
                        "无法打开：文件已损坏或不是工作簿");
    node_import_result_release(&res);
    free(x);
    /* an .xls cut short */
    snprintf(path, sizeof path, "%s/tests/vectors/students.xls",
             VOCFED_SOURCE_DIR);
    x = s_slurp(path, &len);
    assert_int_equal(node_import_parse(&o, x, 600, &res), VOCFED_EINVALID);
    assert_non_null(strstr(res.errors[0].reason_en,
                           "starts like an .xls workbook but does not read"));
    assert_non_null(strstr(res.errors[0].reason_zh, "无法读取"));
    node_import_result_release(&res);
    free(x);
    /* --sheet for a CSV file */
    o.sheet = "学生";
    assert_int_equal(node_import_parse(&o, (const uint8_t *)"a,b\n", 4, &res),
                     VOCFED_EINVALID);
    assert_string_equal(res.errors[0].reason_en,
                        "--sheet is for Excel workbooks; this file is CSV "
                        "text");
    node_import_result_release(&res);
}

/* A zip that is no .xlsx: an .ods, and another. */
static void
test_other_zips(void **state)
{
    s_state_t *st = *state;
    char path[160];
    size_t len;
    node_import_result_t res;
    node_import_opts_t o = {.kind = "student"};
    static const char *const mime[] = {
        "application/vnd.oasis.opendocument.spreadsheet", "text/plain"};
    static const char *const en[] = {
        "Excel workbook (.xlsx): an OpenDocument spreadsheet (.ods), not an "
        "Excel workbook: save it as .xlsx (or CSV) and import that",
        "Excel workbook (.xlsx): a zip archive, not an Excel .xlsx workbook "
        "(no xl/workbook.xml)"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/z%d.zip", st->root, i);
        int zerr;
        zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
        assert_non_null(z);
        zip_source_t *src = zip_source_buffer(z, mime[i], strlen(mime[i]), 0);
        assert_true(zip_file_add(z, "mimetype", src, 0) >= 0);
        assert_int_equal(zip_close(z), 0);
        uint8_t *x = s_slurp(path, &len);
        assert_int_equal(node_import_parse(&o, x, len, &res), VOCFED_EINVALID);
        assert_int_equal(res.nerrors, 1);
        assert_string_equal(res.errors[0].reason_en, en[i]);
        assert_non_null(strstr(res.errors[0].reason_zh, i ? "zip" : ".ods"));
        node_import_result_release(&res);
        free(x);
    }
}

/* Numbers and dates as a spreadsheet shows them. */
static void
test_numbers(void **state)
{
    (void)state;
    char b[48];
    node_sheet_i_number(2024, b, sizeof b);
    assert_string_equal(b, "2024");
    node_sheet_i_number(0.45, b, sizeof b);
    assert_string_equal(b, "0.45");
    node_sheet_i_number(-3, b, sizeof b);
    assert_string_equal(b, "-3");
    node_sheet_i_number(340803200501010015.0, b, sizeof b);
    assert_string_equal(b, "3.4080320050101E+17");
    node_sheet_i_number(123456789012345.0, b, sizeof b);
    assert_string_equal(b, "123456789012345");
    node_sheet_i_number(3.4e17, b, sizeof b);
    assert_string_equal(b, "3.4E+17");
    assert_true(node_sheet_i_date(45536, false, b, sizeof b));
    assert_string_equal(b, "2024-09-01");
    assert_true(node_sheet_i_date(45536 - 1462, true, b, sizeof b));
    assert_string_equal(b, "2024-09-01");
    assert_true(node_sheet_i_date(1, false, b, sizeof b));
    assert_string_equal(b, "1900-01-01");
    assert_true(node_sheet_i_date(61, false, b, sizeof b));
    assert_string_equal(b, "1900-03-01");
    assert_false(node_sheet_i_date(-5, false, b, sizeof b));
    assert_false(node_sheet_i_date(1e12, false, b, sizeof b));
}

/* ---- templates (issue 13 item 3) ---------------------------------------- */

/* The columns of the student template, in order: a script filling it
 * relies on them. */
#define S_TMPL_HEAD                                                                                \
    "身份证号,姓名,层次,专业代码,培养路径,入学年份,学籍状态,生源学校," \
    "生源地区划,校企合作班"

/* Member name of the zip at path (malloc'd, NUL-terminated). */
static char *
s_zip_read(const char *path, const char *name)
{
    int err = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &err);
    assert_non_null(z);
    zip_stat_t zs;
    assert_int_equal(zip_stat(z, name, 0, &zs), 0);
    char *buf = malloc(zs.size + 1);
    assert_non_null(buf);
    zip_file_t *f = zip_fopen(z, name, 0);
    assert_non_null(f);
    assert_int_equal(zip_fread(f, buf, zs.size), (zip_int64_t)zs.size);
    buf[zs.size] = 0;
    zip_fclose(f);
    zip_discard(z);
    return buf;
}

/* Replaces member name of the zip at path with text. */
static void
s_zip_write(const char *path, const char *name, const char *text)
{
    int err = 0;
    zip_t *z = zip_open(path, 0, &err);
    assert_non_null(z);
    zip_source_t *src = zip_source_buffer(z, text, strlen(text), 0);
    assert_non_null(src);
    assert_true(
        zip_file_add(z, name, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) >= 0);
    assert_int_equal(zip_close(z), 0);
}

/* The template's first sheet filled as a script would: the students'
 * rows before </sheetData>, inline strings, the year a number, the name
 * and the optional columns left as they are. Returns the new XML. */
static char *
s_fill(const char *sheet)
{
    const char *end = strstr(sheet, "</sheetData>");
    assert_non_null(end);
    size_t cap = strlen(sheet) + 4096, n = (size_t)(end - sheet);
    char *out = malloc(cap);
    assert_non_null(out);
    memcpy(out, sheet, n);
    for (int i = 0; i < 3; i++) {
        char id[19];
        s_id(s_stems[i], id);
        int r = i + 2,
            w = snprintf(
                out + n, cap - n,
                "<row r=\"%d\"><c r=\"A%d\" "
                "t=\"inlineStr\"><is><t>%s</t></is></c>"
                "<c r=\"B%d\" t=\"inlineStr\"><is><t>某%d</t></is></c>"
                "<c r=\"C%d\" t=\"inlineStr\"><is><t>%s</t></is></c>"
                "<c r=\"E%d\" t=\"inlineStr\"><is><t>五年一贯制</t></is></c>"
                "<c r=\"F%d\"><v>%d</v></c>"
                "<c r=\"G%d\" t=\"inlineStr\"><is><t>%s</t></is></c></row>",
                r, r, id, r, i, r, s_level_zh[i], r, r, s_year[i], r,
                s_status_zh[i]);
        assert_true(w > 0 && (size_t)w < cap - n);
        n += (size_t)w;
    }
    snprintf(out + n, cap - n, "%s", end);
    return out;
}

/* The template of every kind, both formats, is a header import reads
 * with no problem and no rows; what is not a template is refused. */
static void
test_template_kinds(void **state)
{
    s_state_t *st = *state;
    size_t nk;
    const proto_kind_def_t *k = proto_kinds(&nk);
    for (size_t i = 0; i < nk; i++) {
        if (!strcmp(k[i].name, "member_key") ||
            !strcmp(k[i].name, "certification") ||
            !strcmp(k[i].name, "payment"))
            continue; /* the roster's and vocfed certify's kinds: no
                         command imports them */
        for (int x = 0; x < 2; x++) {
            char path[192];
            snprintf(path, sizeof path, "%s/t_%s.%s", st->root, k[i].name,
                     x ? "xlsx" : "csv");
            const char *argv[] = {"vocfed", "import", "--template", k[i].name,
                                  "--out",  path,     NULL};
            th_run_t r;
            th_exec(&r, st->root, NULL, argv, NULL);
            if (r.status != 0)
                fail_msg("template %s: %s", path, r.err);
            th_run_free(&r);
            size_t len;
            uint8_t *data = s_slurp(path, &len);
            node_import_result_t res;
            int rc = s_fresh_kind(st, k[i].name, NULL, data, len, &res);
            if (rc || res.rows != 0 || res.nerrors)
                fail_msg("template %s: rc %d, %zu rows, %zu errors: %s", path,
                         rc, res.rows, res.nerrors,
                         res.nerrors ? res.errors[0].reason_en : "");
            node_import_result_release(&res);
            free(data);
        }
    }
    static const struct {
        const char *argv[8];
        const char *err;
    } bad[] = {
        {{"vocfed", "import", "--template", "student", "--format", "ods", NULL},
         "--format 'ods' is not csv or xlsx"},
        {{"vocfed", "import", "--template", "student", "x.csv", NULL},
         "--template KIND takes no FILE"},
        {{"vocfed", "import", "--template", "pupil", NULL},
         "unknown kind 'pupil'"},
        {{"vocfed", "import", "--format", "xlsx", "student", "x.csv", NULL},
         "--format and --out go with --template KIND"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        th_run_t r;
        th_exec(&r, st->root, NULL, bad[i].argv, NULL);
        assert_int_equal(r.status, 2);
        if (!strstr(r.err, bad[i].err))
            fail_msg("%s: %s", bad[i].err, r.err);
        assert_int_equal(r.out_len, 0);
        th_run_free(&r);
    }
}

/* `vocfed import --template student`: the CSV's header, the workbook's
 * lists and limits, filled by a script and imported: the records of the
 * English CSV of the same rows. */
static void
test_template(void **state)
{
    s_state_t *st = *state;
    char en[1024], path[160];
    th_run_t r;
    const char *csv_argv[] = {"vocfed", "import", "--template", "student",
                              NULL};
    th_exec(&r, st->root, NULL, csv_argv, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "\xEF\xBB\xBF" S_TMPL_HEAD "\r\n");
    th_run_free(&r);

    snprintf(path, sizeof path, "%s/tmpl.xlsx", st->root);
    const char *argv[] = {"vocfed",  "import",   "--template",
                          "student", "--format", "xlsx",
                          "--out",   path,       NULL};
    th_exec(&r, st->root, NULL, argv, NULL);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    /* never over a file that is there: it may be a filled sheet */
    th_exec(&r, st->root, NULL, argv, NULL);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "exists"));
    th_run_free(&r);

    char *wbx = s_zip_read(path, "xl/workbook.xml");
    assert_non_null(strstr(wbx, "name=\"学生\""));
    assert_non_null(strstr(wbx, "name=\"填表说明\""));
    free(wbx);
    char *sheet = s_zip_read(path, "xl/worksheets/sheet1.xml");
    assert_non_null(strstr(sheet, "<formula1>\"中职,高职,本科\"</formula1>"));
    assert_non_null(strstr(sheet, "<formula1>\"在籍,休学,毕业,退学,转学\""));
    assert_non_null(strstr(sheet, "<formula1>\"普通,三二分段,五年一贯制,"));
    assert_non_null(strstr(sheet, "<formula1>2000</formula1>"
                                  "<formula2>2100</formula2>"));
    char *styles = s_zip_read(path, "xl/styles.xml");
    assert_non_null(strstr(styles, "formatCode=\"@\""));
    free(styles);

    /* the empty template: a header and no rows */
    size_t len;
    uint8_t *x = s_slurp(path, &len);
    node_import_result_t res;
    assert_int_equal(s_fresh(st, NULL, x, len, &res), 0);
    assert_int_equal(res.rows, 0);
    assert_int_equal(res.head.size, 0);
    node_import_result_release(&res);
    free(x);

    store_head_t want = s_english(st, en);
    char *filled = s_fill(sheet);
    s_zip_write(path, "xl/worksheets/sheet1.xml", filled);
    x = s_slurp(path, &len);
    s_same(st, "filled template", NULL, x, len, &want);
    free(x);
    free(filled);
    free(sheet);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_records, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_other_zips, s_setup, s_teardown),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test_setup_teardown(test_template, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_template_kinds, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
