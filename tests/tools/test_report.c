/* Tests of `vocfed report`: the renderers (tools/report_render.h) on a
 * fixture of the figures object, the display width of CJK text
 * (tools/textwidth.h), and the command on a real coordinator store. */
#include "node/figures.h"
#include "node/identity.h"
#include "tests/harness.h"
#include "tools/report_model.h"
#include "tools/report_render.h"
#include "tools/textwidth.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>
#include <jansson.h>

/* The shape node_figures_json() returns (SPEC 12.3), figures in DESIGN 7
 * order as it lists them, and kinds of people with labels of their own
 * beside the plain count of "people"; with names that need care: CJK (2 columns
 * each), HTML specials, a CSV comma and quote, a would-be spreadsheet formula,
 * a control character. */
static const char s_fixture[] =
    "{\"group\": \"coord\", \"as_of\": \"2026-11-29T05:33:04.123Z\","
    " \"year\": 2026,"
    " \"members\": {"
    "  \"aqvtc\": {\"name_zh\": \"安庆职业技术学院\", \"name_en\":"
    "   \"Anqing Vocational and Technical College\", \"role\": \"lead\","
    "   \"original_affiliation\": \"市政府\", \"region_code\": \"340803\","
    "   \"size\": 123456, \"root\":"
    "   \"3f9a1c2d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcdef\","
    "   \"checkpoint_time\": \"2026-11-29T05:30:00.000Z\", \"behind\": false},"
    "  \"aqjs\": {\"name_zh\": \"安庆技师学院\", \"name_en\":"
    "   \"Anqing Technician College\", \"role\": \"backbone\","
    "   \"original_affiliation\": \"市人社局, \\\"直属\\\"\","
    "   \"region_code\": \"340811\", \"size\": 9, \"root\": \"aa01\","
    "   \"checkpoint_time\": \"2026-11-28T01:00:00.000Z\", \"behind\": true},"
    "  \"aqis\": {\"name_zh\": \"安庆工业学校<东校区> & \\\"新\\\"\\u0007\","
    "   \"name_en\": \"Anqing \\\"Industrial\\\" School, <East>\","
    "   \"role\": \"backbone\", \"original_affiliation\": \"=HYPERLINK(1)\","
    "   \"region_code\": \"340825\", \"size\": 77, \"root\": \"bb02\","
    "   \"checkpoint_time\": \"2026-11-29T04:00:00.000Z\", \"behind\": false}"
    " },"
    " \"figures\": {"
    "  \"hv_enrolled\": {\"zh\": \"集团高职在校生\", \"en\":"
    "   \"higher-vocational students in school\", \"unit\": \"people\","
    "   \"value\": 12345, \"target\": 14000, \"target_year\": 2027,"
    "   \"attainment\": 0.8818, \"status\": \"behind\","
    "   \"by_member\": {\"aqvtc\": 12000, \"aqjs\": 345},"
    "   \"by_affiliation\": {\"市政府\": 12000, \"市人社局, \\\"直属\\\"\": "
    "345},"
    "   \"by_county\": {\"340803\": 12000, \"340811\": 345}},"
    "  \"sv_enrolled\": {\"zh\": \"集团中职在校生\", \"en\":"
    "   \"secondary-vocational students in school\", \"unit\": \"people\","
    "   \"value\": 10500, \"target\": 10000, \"target_year\": 2027,"
    "   \"attainment\": 1.05, \"status\": \"met\","
    "   \"by_member\": {\"aqjs\": 4000, \"aqis\": 6500},"
    "   \"by_affiliation\": {\"市人社局, \\\"直属\\\"\": 4000,"
    "    \"=HYPERLINK(1)\": 6500},"
    "   \"by_county\": {\"340811\": 4000, \"340825\": 6500}},"
    "  \"training_person_times\": {\"zh\": \"职业技能培训\", \"en\":"
    "   \"training person-times\", \"unit\": \"person-times\", \"by_year\": {"
    "   \"2026\": {\"value\": 41000, \"target\": 40000, \"target_year\": 2026,"
    "    \"attainment\": 1.025, \"status\": \"met\","
    "    \"by_member\": {\"aqvtc\": 30000, \"aqjs\": 11000}}}},"
    "  \"local_retention\": {\"zh\": \"留地就业率\", \"en\":"
    "   \"local employment retention\", \"unit\": \"rate\", \"by_year\": {"
    "   \"2026\": {\"value\": 0.47, \"target\": 0.45, \"target_year\": 2026,"
    "    \"attainment\": 1.0444, \"status\": \"met\", \"numerator\": 470,"
    "    \"denominator\": 1000, \"all_graduates\": {\"value\": 0.4,"
    "    \"numerator\": 470, \"denominator\": 1175},"
    "    \"by_member\": {\"aqvtc\": {\"value\": 0.47,"
    "    \"numerator\": 470, \"denominator\": 1000}}},"
    "   \"2025\": {\"value\": 0.4, \"target\": 0.42, \"target_year\": 2025,"
    "    \"attainment\": 0.9524, \"status\": \"behind\", \"numerator\": 400,"
    "    \"denominator\": 1000}}},"
    "  \"dual_qualified_share\": {\"zh\": \"双师型教师占比\", \"en\":"
    "   \"dual-qualified teachers\", \"unit\": \"rate\", \"value\": 0.4526,"
    "   \"target\": null, \"target_year\": null, \"attainment\": null,"
    "   \"status\": \"no_target\", \"numerator\": 453, \"denominator\": 1001,"
    "   \"by_member\": {"
    "    \"aqvtc\": {\"value\": 0.5, \"numerator\": 400, \"denominator\": 800},"
    "    \"aqis\": {\"value\": 0.2637, \"numerator\": 53,"
    "     \"denominator\": 201}},"
    "   \"by_affiliation\": {\"市政府\": {\"value\": 0.5, \"numerator\": 400,"
    "    \"denominator\": 800}},"
    "   \"by_county\": {\"340803\": {\"value\": 0.5, \"numerator\": 400,"
    "    \"denominator\": 800}}},"
    "  \"self_hired_share\": {\"zh\": \"自主招聘教师比例\", \"en\":"
    "   \"self-hired posts\", \"unit\": \"rate\", \"by_year\": {"
    "   \"2026\": {\"value\": 0.21, \"numerator\": 21, \"denominator\": 100,"
    "    \"target\": 0.2, \"target_year\": 2026, \"attainment\": 1.05,"
    "    \"status\": \"met\", \"by_member\": {"
    "    \"aqvtc\": {\"value\": 0.25, \"numerator\": 15,"
    "     \"denominator\": 60, \"meets\": true},"
    "    \"aqjs\": {\"value\": 0.15, \"numerator\": 6,"
    "     \"denominator\": 40, \"meets\": false}}}}},"
    "  \"coop_class_subsidy\": {\"zh\": \"校企合作班补助\", \"en\":"
    "   \"cooperation-class subsidy\", \"unit\": \"yuan\", \"by_year\": {"
    "   \"2026\": {\"value\": 300000, \"target\": null, \"status\":"
    "    \"no_target\", \"count\": 3, \"amount\": 100000,"
    "    \"by_payee\": {\"aqvtc\": 200000, \"aqjs\": 100000},"
    "    \"by_member\": {\"aqvtc\": 200000, \"aqjs\": 100000}}}},"
    "  \"consortium_award\": {\"zh\": \"产教联合体奖补\", \"en\":"
    "   \"consortium award\", \"unit\": \"yuan\", \"by_year\": {"
    "   \"2026\": {\"value\": 5000000, \"national\": {\"value\": 5000000,"
    "    \"count\": 5, \"amount\": 1000000}}}},"
    "  \"subsidy_total\": {\"zh\": \"补助合计\", \"en\": \"all subsidies\","
    "   \"unit\": \"yuan\", \"by_year\": {"
    "   \"2026\": {\"value\": 5300000, \"budget\": 5000000}}},"
    "  \"x_extra\": {\"zh\": \"\", \"en\": \"\"}"
    " },"
    " \"subsidies\": ["
    "  {\"figure\": \"coop_class_subsidy\", \"year\": 2026, \"payee\":"
    "   \"aqvtc\", \"payee_name\": \"安庆职业技术学院\", \"count\": 2,"
    "   \"amount\": 100000, \"total\": 200000},"
    "  {\"figure\": \"consortium_award_national\", \"year\": 2026, \"payee\":"
    "   \"park1\", \"payee_name\": \"开发区产教联合体 <A&B>\", \"count\": 5,"
    "   \"amount\": 1000000, \"total\": 5000000}],"
    " \"subsidy_total\": {\"2026\": {\"value\": 5300000,"
    "  \"budget\": 5000000, \"status\": \"over\"}},"
    " \"multi_member_people\": {\"people\": 16,"
    "  \"students\": {\"value\": 12, \"zh\": \"学生\", \"en\": \"students\"},"
    "  \"graduates\": {\"value\": 3, \"zh\": \"毕业生\","
    "   \"en\": \"graduates\"},"
    "  \"staff\": {\"value\": 1, \"zh\": \"教职工\", \"en\": \"staff\"}}}";

/* A member's own report of a past year (SPEC 12.5, 12.6): named by its
 * profile, its shares of the group's targets, the stocks as of the
 * census date and the flows by year. */
static const char s_fixture_member[] =
    "{\"group\": \"coord\", \"as_of\": \"2026-12-03T10:00:00Z\","
    " \"made\": \"2026-12-03T10:00:01Z\", \"year\": 2025,"
    " \"member\": {\"id\": \"tz\", \"name_zh\": \"太湖县职业教育中心\","
    "  \"name_en\": \"Taihu Vocational Centre\"},"
    " \"census\": {\"year\": 2025, \"date\": \"2025-12-31\", \"moment\":"
    "  \"2025-12-31T23:59:59Z\", \"source\": \"census_date:2025\","
    "  \"applied\": true},"
    " \"members\": {\"tz\": {\"name_zh\": \"太湖县职业教育中心\", \"name_en\":"
    "  \"Taihu Vocational Centre\", \"role\": \"county_school\","
    "  \"original_affiliation\": \"太湖县教育局\", \"region_code\": \"340825\","
    "  \"region_name\": \"太湖县\", \"size\": 12, \"root\": \"ab\","
    "  \"checkpoint_time\": \"2025-09-01T00:00:00Z\", \"signed_age_s\": 1,"
    "  \"unsent\": 0, \"receipt_missing\": false, \"behind\": false}},"
    " \"regions\": {\"340825\": \"太湖县\"},"
    " \"figures\": {"
    "  \"hv_enrolled\": {\"zh\": \"集团高职在校生\", \"en\":"
    "   \"higher-vocational students in school\", \"unit\": \"people\","
    "   \"value\": 700, \"target\": 14000, \"target_year\": 2027,"
    "   \"attainment\": 0.05, \"share_of_target\": 0.05, \"status\": \"share\","
    "   \"by_member\": {\"tz\": 700}, \"by_county\": {\"340825\": 700},"
    "   \"basis\": \"stock\", \"as_of\": \"2025-12-31T23:59:59Z\"},"
    "  \"training_person_times\": {\"zh\": \"职业技能培训\", \"en\":"
    "   \"training person-times\", \"unit\": \"person-times\", \"by_year\":"
    "   {\"2025\": {\"value\": 3000, \"target\": 40000, \"target_year\": 2025,"
    "   \"attainment\": 0.075, \"share_of_target\": 0.075, \"status\":"
    "   \"share\", \"by_member\": {\"tz\": 3000}}}, \"basis\": \"flow\","
    "   \"as_of\": \"2026-12-03T10:00:00Z\"}}}";

static json_t *
s_report(void)
{
    json_error_t err;
    json_t *j = json_loads(s_fixture, 0, &err);
    if (!j)
        fail_msg("fixture: %s at line %d col %d", err.text, err.line,
                 err.column);
    return j;
}

/* Renders report in fmt into a malloc'd, NUL-terminated string. */
static char *
s_render(const json_t *report, cmd_report_format_t fmt, bool pretty,
         size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    assert_int_equal(cmd_report_write(report, fmt, pretty, f), 0);
    assert_int_equal(fclose(f), 0);
    /* A copy made here, so the result is plainly heap memory: gcc 12 at
     * -O3 cannot tell that open_memstream() did not point buf at itself
     * and sees a dangling pointer to this frame (-Wdangling-pointer). */
    char *text = malloc(n + 1);
    assert_non_null(text);
    memcpy(text, buf, n + 1);
    free(buf);
    if (len)
        *len = n;
    return text;
}

static size_t
s_width(const char *s)
{
    return cli_text_width(s, strlen(s));
}

/* Whether hay holds needle, ignoring ASCII case. */
static bool
s_has_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return false;
}

/* Whether the n bytes of hay hold needle. */
static bool
s_has_bytes(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

static size_t
s_count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- display width --------------------------------------------------- */

static void
test_width(void **state)
{
    (void)state;
    assert_int_equal(s_width(""), 0);
    assert_int_equal(s_width("abc 12,345"), 10);
    assert_int_equal(s_width("安庆"), 4);
    assert_int_equal(s_width("集团高职在校生 hv"), 17);
    assert_int_equal(s_width("ＡＢ"), 4);             /* fullwidth forms */
    assert_int_equal(s_width("，。"), 4);             /* CJK punctuation */
    assert_int_equal(s_width("한국"), 4);             /* hangul */
    assert_int_equal(s_width("\xF0\x9F\x98\x80"), 2); /* emoji U+1F600 */
    assert_int_equal(s_width("\xF0\xA0\x80\x80"), 2); /* U+20000, ext B */
    assert_int_equal(s_width("e\xCC\x81"), 1);        /* e + combining acute */
    assert_int_equal(s_width("a\xE2\x80\x8B"
                             "b"),
                     2);                            /* zero-width space */
    assert_int_equal(s_width("\t\x1b"), 0);         /* controls */
    assert_int_equal(s_width("\xC3\xA9"), 1);       /* é */
    assert_int_equal(s_width("\xFF"), 1);           /* not UTF-8 */
    assert_int_equal(s_width("\xE5\xAE"), 2);       /* cut short: 2 bytes */
    assert_int_equal(s_width("\xC0\xAF"), 2);       /* overlong '/' */
    assert_int_equal(s_width("\xED\xA0\x80"), 3);   /* a surrogate */
    assert_int_equal(cli_text_width("安庆", 3), 2); /* len counts */
    uint32_t cp;
    assert_int_equal(cli_utf8_decode("\xE5\xAE\x89", 3, &cp), 3);
    assert_int_equal(cp, 0x5B89); /* 安 */
    assert_int_equal(cli_utf8_decode("\xF4\x90\x80\x80", 4, &cp), 0);
}

static void
test_format_parse(void **state)
{
    (void)state;
    const char *names[] = {"table", "json", "csv", "html", "xlsx"};
    for (size_t i = 0; i < 5; i++) {
        cmd_report_format_t f;
        assert_true(cmd_report_format_parse(names[i], &f));
        assert_string_equal(cmd_report_format_name(f), names[i]);
    }
    cmd_report_format_t f;
    assert_false(cmd_report_format_parse("TABLE", &f));
    assert_false(cmd_report_format_parse("", &f));
    assert_false(cmd_report_format_parse("pdf", &f));
}

/* ---- table ------------------------------------------------------------- */

/* Splits text into lines (in place); returns how many. */
static size_t
s_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    for (char *p = text; *p && n < max;) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line ends with a newline */
        *nl = '\0';
        lines[n++] = p;
        p = nl + 1;
    }
    return n;
}

static bool
s_is_rule(const char *line)
{
    if (!line[0])
        return false;
    for (const char *p = line; *p; p++)
        if (*p != '-')
            return false;
    return true;
}

/* Checks every table of a table report: a header, a rule, rows up to a
 * blank line (or the note under the as-of table), each line as wide on
 * screen as the rule. Returns how many tables. Splits text in place. */
static size_t
s_check_tables(char *text)
{
    char *lines[1024];
    size_t n = s_lines(text, lines, 1024), tables = 0;
    assert_true(n < 1024);
    for (size_t i = 1; i < n; i++) {
        if (!s_is_rule(lines[i]))
            continue;
        size_t w = strlen(lines[i]), rows = 0;
        assert_int_equal(s_width(lines[i - 1]), w);
        for (size_t k = i + 1; k < n && lines[k][0]; k++) {
            if (strncmp(lines[k], "落后成员", strlen("落后成员")) == 0)
                break;
            if (s_width(lines[k]) != w)
                fail_msg("line %zu is %zu columns, not %zu: '%s'", k,
                         s_width(lines[k]), w, lines[k]);
            rows++;
        }
        assert_true(rows > 0);
        tables++;
    }
    return tables;
}

static void
test_table(void **state)
{
    (void)state;
    json_t *rep = s_report();
    char *text = s_render(rep, CMD_REPORT_TABLE, false, NULL);
    /* What people look for. */
    assert_non_null(strstr(text, "集团高职在校生 higher-vocational students "
                                 "in school"));
    assert_non_null(strstr(text, "12,345 人"));
    assert_non_null(strstr(text, "14,000 (2027)"));
    assert_non_null(strstr(text, "88.2%"));
    assert_non_null(strstr(text, "落后 behind"));
    assert_non_null(strstr(text, "已达标 met"));
    assert_non_null(strstr(text, "45.3%"));       /* a rate, one decimal */
    assert_non_null(strstr(text, "453 / 1,001")); /* and what it is of */
    assert_non_null(strstr(text, "41,000 人次"));
    assert_non_null(strstr(text, "5,300,000"));
    assert_non_null(strstr(text, "5,000,000"));
    assert_non_null(strstr(text, "超预算 over budget"));
    assert_non_null(strstr(text, "-300,000")); /* left of the budget */
    assert_non_null(strstr(text, "开发区产教联合体 <A&B>"));
    assert_non_null(strstr(text, "3f9a1c2d4e5f6071")); /* root prefix */
    assert_null(strstr(text, "3f9a1c2d4e5f60718"));    /* only a prefix */
    assert_non_null(
        strstr(text, "落后成员 Members behind: aqjs (安庆技师学院)"));
    assert_non_null(strstr(text, "学生 students"));
    assert_non_null(strstr(text, "人员 people"));
    assert_non_null(strstr(text, "local employment retention: 全体毕业生 all "
                                 "graduates"));
    /* A subsidy line of a part of a figure. */
    assert_non_null(strstr(text, "产教联合体奖补 consortium award (national)"));
    assert_non_null(strstr(text, "x_extra")); /* an unknown figure, by id */
    /* Figures in the object's order (DESIGN 7's, as node/figures lists
     * them): the renderer keeps no list of its own. */
    assert_true(strstr(text, "集团高职在校生") <
                strstr(text, "集团中职在校生"));
    json_t *swapped = json_deep_copy(rep);
    json_t *figs = json_object_get(swapped, "figures");
    json_t *hv = json_incref(json_object_get(figs, "hv_enrolled"));
    assert_int_equal(json_object_del(figs, "hv_enrolled"), 0);
    assert_int_equal(json_object_set_new(figs, "hv_enrolled", hv), 0);
    char *text2 = s_render(swapped, CMD_REPORT_TABLE, false, NULL);
    assert_true(strstr(text2, "集团中职在校生") <
                strstr(text2, "集团高职在校生"));
    free(text2);
    json_decref(swapped);
    /* No control character from a name reaches the terminal. */
    assert_null(strchr(text, '\a'));

    /* figures, subsidies, totals, as of, people */
    assert_int_equal(s_check_tables(text), 5);
    free(text);
    json_decref(rep);
}

/* ---- CSV --------------------------------------------------------------- */

/* Parses RFC 4180 CSV: records end with CRLF; fields[r][f] malloc'd.
 * Fails the test on anything else. Returns the records. */
static size_t
s_csv_parse(const char *p, char ***fields, size_t *nfields, size_t max)
{
    size_t nrec = 0;
    while (*p) {
        assert_true(nrec < max);
        char **rec = calloc(32, sizeof *rec);
        size_t nf = 0;
        for (;;) {
            char *f = malloc(strlen(p) + 1), *o = f;
            if (*p == '"') {
                for (p++;; p++) {
                    assert_true(*p != '\0');
                    if (*p == '"' && p[1] == '"')
                        *o++ = *p++;
                    else if (*p == '"')
                        break;
                    else
                        *o++ = *p;
                }
                p++;
            } else {
                while (*p && *p != ',' && *p != '\r' && *p != '\n') {
                    assert_true(*p != '"'); /* a quote only quoted */
                    *o++ = *p++;
                }
            }
            *o = '\0';
            assert_true(nf < 32);
            rec[nf++] = f;
            if (*p == ',') {
                p++;
                continue;
            }
            assert_true(p[0] == '\r' && p[1] == '\n');
            p += 2;
            break;
        }
        fields[nrec] = rec;
        nfields[nrec++] = nf;
    }
    return nrec;
}

/* The record whose first six fields are these; NULL when none. */
static char **
s_csv_find(char ***recs, size_t n, const char *fig, const char *year,
           const char *breakdown, const char *bucket)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(recs[i][0], fig) == 0 && strcmp(recs[i][3], year) == 0 &&
            strcmp(recs[i][4], breakdown) == 0 &&
            strcmp(recs[i][5], bucket) == 0)
            return recs[i];
    return NULL;
}

static void
test_csv(void **state)
{
    (void)state;
    json_t *rep = s_report();
    size_t len;
    char *text = s_render(rep, CMD_REPORT_CSV, false, &len);
    assert_true(len > 3);
    assert_memory_equal(text, "\xEF\xBB\xBF", 3); /* the BOM */
    const char *head = "figure,zh,en,year,breakdown,bucket,bucket_name,"
                       "value,numerator,denominator,target,status,basis,"
                       "as_of\r\n";
    assert_memory_equal(text + 3, head, strlen(head));
    /* RFC 4180: a comma and quotes inside a field. */
    assert_non_null(strstr(text, ",\"市人社局, \"\"直属\"\"\","));
    /* A formula is not run by a spreadsheet. */
    assert_non_null(strstr(text, ",\"'=HYPERLINK(1)\","));
    assert_null(strstr(text, ",=HYPERLINK"));

    char **recs[256];
    size_t nf[256];
    size_t n = s_csv_parse(text + 3, recs, nf, 256);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(nf[i], 14);
    char **r = s_csv_find(recs, n, "hv_enrolled", "2026", "group", "");
    assert_non_null(r);
    assert_string_equal(r[1], "集团高职在校生");
    assert_string_equal(r[2], "higher-vocational students in school");
    assert_string_equal(r[7], "12345");
    assert_string_equal(r[10], "14000");
    assert_string_equal(r[11], "behind");
    r = s_csv_find(recs, n, "hv_enrolled", "2026", "affiliation",
                   "市人社局, \"直属\"");
    assert_non_null(r);
    assert_string_equal(r[7], "345");
    /* A county's name and a member's beside the code. */
    r = s_csv_find(recs, n, "hv_enrolled", "2026", "county", "340803");
    assert_non_null(r);
    assert_string_equal(r[6], "大观区");
    assert_string_equal(r[7], "12000");
    r = s_csv_find(recs, n, "hv_enrolled", "2026", "member", "aqvtc");
    assert_non_null(r);
    assert_string_equal(r[6], "安庆职业技术学院");
    r = s_csv_find(recs, n, "dual_qualified_share", "2026", "member", "aqis");
    assert_non_null(r);
    assert_string_equal(r[7], "0.2637");
    assert_string_equal(r[8], "53");
    assert_string_equal(r[9], "201");
    r = s_csv_find(recs, n, "local_retention", "2025", "group", "");
    assert_non_null(r);
    assert_string_equal(r[7], "0.4");
    assert_string_equal(r[10], "0.42");
    r = s_csv_find(recs, n, "coop_class_subsidy", "2026", "payee", "aqjs");
    assert_non_null(r);
    assert_string_equal(r[7], "100000");
    r = s_csv_find(recs, n, "subsidy_total", "2026", "group", "");
    assert_non_null(r);
    assert_string_equal(r[10], "5000000"); /* the budget */
    assert_string_equal(r[11], "over");
    /* Parts of a figure: retention over all graduates beside it. */
    r = s_csv_find(recs, n, "local_retention", "2026", "part", "all_graduates");
    assert_non_null(r);
    assert_string_equal(r[7], "0.4");
    assert_string_equal(r[9], "1175");
    assert_non_null(
        s_csv_find(recs, n, "consortium_award", "2026", "part", "national"));
    /* A member's own target: self-hired posts, each school. */
    r = s_csv_find(recs, n, "self_hired_share", "2026", "member", "aqjs");
    assert_non_null(r);
    assert_string_equal(r[7], "0.15");
    assert_string_equal(r[11], "behind");
    r = s_csv_find(recs, n, "self_hired_share", "2026", "member", "aqvtc");
    assert_non_null(r);
    assert_string_equal(r[11], "met");
    r = s_csv_find(recs, n, "x_extra", "2026", "group", "");
    assert_non_null(r);
    assert_string_equal(r[7], "");
    /* Members in roster order. */
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(recs[i][0], "hv_enrolled") || strcmp(recs[i][4], "member"))
            continue;
        if (strcmp(recs[i][5], "aqvtc") == 0)
            a = i;
        if (strcmp(recs[i][5], "aqjs") == 0)
            b = i;
    }
    assert_true(a && b && a < b);
    /* The header, then: hv 1+2+2+2, sv 1+2+2+2, training 1+2,
     * retention 2+1+1 (all_graduates), dual 1+2+1+1, self-hired 1+2,
     * coop 1+2+2, consortium 1+1 (national), total 1, x_extra 1; last
     * the moments the figures are of (SPEC 12.5). */
    assert_int_equal(n, 1 + 7 + 7 + 3 + 4 + 5 + 3 + 5 + 2 + 1 + 1 + 1);
    assert_string_equal(recs[n - 1][4], "moments");
    assert_non_null(strstr(recs[n - 1][11], "stocks as of"));
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < nf[i]; k++)
            free(recs[i][k]);
        free(recs[i]);
    }
    free(text);
    json_decref(rep);
}

/* ---- HTML -------------------------------------------------------------- */

/* Checks that the tags nest: every opened element closed in order, void
 * elements and self-closed ones excepted; no '<' that starts no tag. */
static void
s_html_nesting(const char *html)
{
    static const char *const voids[] = {"meta", "br",   "hr",
                                        "img",  "link", "input"};
    char stack[256][16];
    size_t depth = 0;
    const char *p = html;
    assert_memory_equal(p, "<!DOCTYPE html>", 15);
    p += 15;
    while ((p = strchr(p, '<'))) {
        const char *end = strchr(p, '>');
        assert_non_null(end);
        bool closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t nlen = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
        assert_true(nlen > 0 && nlen < 16);
        /* No '<' inside a tag: text was escaped. */
        assert_true(memchr(p + 1, '<', (size_t)(end - p - 1)) == NULL);
        bool self = end[-1] == '/';
        bool is_void = false;
        for (size_t i = 0; i < sizeof voids / sizeof voids[0]; i++)
            if (strlen(voids[i]) == nlen && !memcmp(voids[i], name, nlen))
                is_void = true;
        if (closing) {
            assert_true(depth > 0);
            depth--;
            if (strlen(stack[depth]) != nlen ||
                memcmp(stack[depth], name, nlen) != 0)
                fail_msg("</%.*s> closes <%s>", (int)nlen, name, stack[depth]);
        } else if (!self && !is_void) {
            assert_true(depth < 256);
            memcpy(stack[depth], name, nlen);
            stack[depth++][nlen] = '\0';
        }
        p = end + 1;
    }
    assert_int_equal(depth, 0);
}

static void
test_html(void **state)
{
    (void)state;
    json_t *rep = s_report();
    char *html = s_render(rep, CMD_REPORT_HTML, false, NULL);
    assert_non_null(strstr(html, "<html lang=\"zh-CN\">"));
    assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
    /* Self-contained: nothing fetched from anywhere. */
    assert_false(s_has_nocase(html, "http"));
    assert_false(s_has_nocase(html, "<script"));
    assert_false(s_has_nocase(html, "src="));
    assert_false(s_has_nocase(html, "url("));
    assert_false(s_has_nocase(html, "@import"));
    assert_false(s_has_nocase(html, "<link"));
    /* One chart per figure (x_extra has no value: none). */
    assert_int_equal(s_count(html, "<svg "), 9);
    assert_int_equal(s_count(html, "</svg>"), 9);
    /* Targets drawn on the group's bars: hv, sv, 2 retention years,
     * training, self-hired, subsidy_total's budget; and a legend in each
     * chart. On member bars only for a rate (retention's one member,
     * self-hired's two). */
    assert_int_equal(s_count(html, "<line class=\"t\""), 7 + 9);
    assert_int_equal(s_count(html, "<line class=\"tm\""), 3);
    /* Names escaped, in text and in attributes. */
    assert_non_null(
        strstr(html, "安庆工业学校&lt;东校区&gt; &amp; &quot;新&quot;"));
    assert_null(strstr(html, "<东校区>"));
    assert_non_null(strstr(html, "开发区产教联合体 &lt;A&amp;B&gt;"));
    assert_null(strchr(html, '\a'));
    assert_non_null(strstr(html, "超预算 over budget"));
    assert_non_null(strstr(html, "aqjs (安庆技师学院)"));
    s_html_nesting(html);
    free(html);
    json_decref(rep);
}

/* ---- JSON -------------------------------------------------------------- */

static void
test_json(void **state)
{
    (void)state;
    json_t *rep = s_report();
    char *one = s_render(rep, CMD_REPORT_JSON, false, NULL);
    char *nl = strchr(one, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');                  /* one line */
    assert_non_null(strstr(one, "集团高职在校生")); /* UTF-8, not \u escapes */
    json_t *back = th_json(one);
    assert_true(json_equal(back, rep));
    json_decref(back);
    char *pretty = s_render(rep, CMD_REPORT_JSON, true, NULL);
    assert_true(s_count(pretty, "\n") > 20);
    back = th_json(pretty);
    assert_true(json_equal(back, rep));
    json_decref(back);
    free(one);
    free(pretty);
    json_decref(rep);
}

/* ---- xlsx -------------------------------------------------------------- */

static const char *const s_sheets[] = {
    "总览 Overview",    "按成员 By member", "按隶属 By affiliation",
    "按区县 By county", "补助 Subsidies",   "数据截至 As of",
};

/* Runs a shell command; its stdout, malloc'd. */
static char *
s_popen(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    th_text_t t = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        th_text_add(&t, buf, n);
    th_text_add(&t, "", 0);
    assert_int_equal(pclose(p), 0);
    return t.data;
}

static void
test_xlsx(void **state)
{
    (void)state;
    char dir[64], path[128], cmd[512];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/report.xlsx", dir);
    json_t *rep = s_report();
    assert_int_equal(cmd_report_xlsx(rep, path), 0);
    size_t len;
    uint8_t *data = th_read_file(path, &len);
    assert_non_null(data);
    assert_true(len > 1000);
    assert_memory_equal(data, "PK\x03\x04", 4);
    /* Six sheets; their files' names are in the zip's central directory,
     * uncompressed. */
    for (int i = 1; i <= 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "xl/worksheets/sheet%d.xml", i);
        assert_true(s_has_bytes(data, len, name));
    }
    assert_false(s_has_bytes(data, len, "sheet7.xml"));
    if (system("command -v unzip >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "unzip -l '%s'", path);
        char *list = s_popen(cmd);
        assert_non_null(strstr(list, "xl/worksheets/sheet6.xml"));
        free(list);
        /* The sheets' names, in order. */
        snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/workbook.xml", path);
        char *wb = s_popen(cmd);
        const char *at = wb;
        for (size_t i = 0; i < 6; i++) {
            char want[96];
            snprintf(want, sizeof want, "name=\"%s\"", s_sheets[i]);
            const char *hit = strstr(at, want);
            if (!hit)
                fail_msg("no sheet %s in %s", s_sheets[i], wb);
            at = hit;
        }
        free(wb);
        /* Numbers as numbers: 12345 is a value, not a shared string. */
        snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/worksheets/sheet1.xml",
                 path);
        char *s1 = s_popen(cmd);
        assert_non_null(strstr(s1, "<v>12345</v>"));
        free(s1);
        snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/styles.xml", path);
        char *st = s_popen(cmd);
        assert_non_null(strstr(st, "0.0%"));
        assert_non_null(strstr(st, "<b/>"));
        free(st);
        snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/sharedStrings.xml", path);
        char *ss = s_popen(cmd);
        assert_non_null(strstr(ss, "安庆工业学校&lt;东校区&gt;"));
        assert_non_null(strstr(ss, "集团高职在校生"));
        free(ss);
    } else {
        print_message("unzip not found: checked the central directory only\n");
    }
    free(data);
    json_decref(rep);
    th_rmdir(dir);
}

/* A report with the sections beside the figures (SPEC 12.3): a pending
 * source-school line, a contested claim (paid, two others; a payee that
 * needs escaping), an excluded member, and each member's roster state. */
static const char s_fixture_sections[] =
    "{\"group\": \"coord\", \"as_of\": \"2026-12-01T00:00:00Z\","
    " \"year\": 2026,"
    " \"members\": {"
    "  \"m1\": {\"name_zh\": \"一校\", \"size\": 10, \"root\": \"aa\","
    "   \"behind\": false, \"roster\": \"active\", \"quarantined\": false},"
    "  \"m2\": {\"name_zh\": \"二校\", \"size\": 5, \"root\": \"bb\","
    "   \"behind\": false, \"roster\": \"suspended\", \"quarantined\": true},"
    "  \"m9\": {\"name_zh\": \"九校\", \"size\": 42, \"root\": \"cc\","
    "   \"behind\": true, \"roster\": \"revoked\", \"quarantined\": false},"
    "  \"m7\": {\"name_zh\": \"七校\", \"size\": 1, \"root\": \"dd\","
    "   \"behind\": false, \"roster\": null, \"quarantined\": false}"
    " },"
    " \"figures\": {"
    "  \"source_school_incentive\": {\"zh\": \"生源学校奖励\", \"en\":"
    "   \"source-school incentive\", \"unit\": \"yuan\", \"by_year\": {"
    "   \"2025\": {\"value\": 500, \"count\": 1, \"amount\": 500,"
    "    \"by_payee\": {\"jh1\": 500}, \"by_member\": {\"m1\": 500},"
    "    \"pending\": {\"crony\": 1000}, \"pending_value\": 1000}}},"
    "  \"subsidy_total\": {\"zh\": \"奖补合计\", \"en\": \"subsidy total\","
    "   \"unit\": \"yuan\", \"by_year\": {\"2025\": {\"value\": 500,"
    "   \"budget\": 5000000, \"status\": \"within\"}}}"
    " },"
    " \"subsidies\": [{\"figure\": \"source_school_incentive\", \"year\":"
    "  2025, \"payee\": \"jh1\", \"payee_name\": \"一中\", \"count\": 1,"
    "  \"amount\": 500, \"total\": 500}],"
    " \"pending\": [{\"figure\": \"source_school_incentive\", \"year\": 2025,"
    "  \"payee\": \"crony\", \"count\": 2, \"amount\": 500, \"total\": 1000,"
    "  \"reason\": \"source school not registered\"}],"
    " \"subsidy_total\": {\"2025\": {\"value\": 500, \"budget\": 5000000,"
    "  \"status\": \"within\"}},"
    " \"conflicts\": [{\"figure\": \"source_school_incentive\", \"counter\":"
    "  \"ssi\", \"year\": 2025, \"person\": \"abc123\", \"paid\":"
    "  {\"member\": \"m1\", \"payee\": \"jh1\"}, \"others\": ["
    "  {\"member\": \"m2\", \"payee\": \"<cr&ny>\"},"
    "  {\"member\": \"m9\", \"payee\": \"\"}]}],"
    " \"excluded\": [{\"member\": \"m9\", \"why\": \"revoked\","
    "  \"records\": 42}],"
    " \"applied\": {\"caught_up\": false, \"complete\": false,"
    "  \"unapplied\": 1234, \"logs\": {"
    "  \"coord\": {\"applied\": 40, \"size\": 40, \"applied_time\":"
    "   \"2026-11-30T08:00:00Z\"},"
    "  \"m1\": {\"applied\": 8766, \"size\": 10000, \"applied_time\":"
    "   \"2026-11-30T09:00:00Z\"},"
    "  \"m7\": {\"applied\": 0, \"size\": 0, \"applied_time\": \"\"}}},"
    " \"multi_member_people\": {\"people\": 1}}";

/* A member's own report, in every format: titled with its name, its
 * share of each group target (not "behind"), each figure's basis, and
 * what moments the stocks and the flows are of. */
static void
test_member_view(void **state)
{
    (void)state;
    json_error_t err;
    json_t *rep = json_loads(s_fixture_member, 0, &err);
    assert_non_null(rep);
    char *t = s_render(rep, CMD_REPORT_TABLE, false, NULL);
    assert_memory_equal(t,
                        "太湖县职业教育中心 Taihu Vocational Centre (tz) "
                        "本单位指标 own figures, 集团 group coord\n",
                        strlen("太湖县职业教育中心 Taihu Vocational Centre "
                               "(tz) 本单位指标 own figures, 集团 group "
                               "coord\n"));
    assert_non_null(strstr(t, "存量指标截至统计时点 stocks as of the census "
                              "date 2025-12-31T23:59:59Z (census_date:2025)"
                              "；流量指标按年度，截至 flows by year, as of "
                              "2026-12-03T10:00:00Z\n"));
    assert_non_null(strstr(t, "占集团目标 Share of group target"));
    assert_non_null(strstr(t, "成员份额 member's share"));
    assert_null(strstr(t, "落后 behind"));
    assert_null(strstr(t, "集团办学指标 Group figures"));
    assert_non_null(strstr(t, "存量 stock"));
    assert_non_null(strstr(t, "流量 flow"));
    free(t);
    char *h = s_render(rep, CMD_REPORT_HTML, false, NULL);
    s_html_nesting(h);
    assert_non_null(strstr(h, "<h1>太湖县职业教育中心 Taihu Vocational "
                              "Centre (tz) 本单位指标 own figures"));
    assert_non_null(strstr(h, "<th>占集团目标 Share of group target</th>"));
    assert_non_null(strstr(h, "<td>存量 stock</td>"));
    assert_null(strstr(h, "Group figures report"));
    free(h);
    char *c = s_render(rep, CMD_REPORT_CSV, false, NULL);
    assert_non_null(strstr(c, "hv_enrolled,集团高职在校生,"
                              "higher-vocational students in school,2025,"
                              "group,,,700,,,14000,share,stock,"
                              "2025-12-31T23:59:59Z\r\n"));
    assert_non_null(strstr(c, ",2025,group,,,3000,,,40000,share,flow,"
                              "2026-12-03T10:00:00Z\r\n"));
    assert_non_null(
        strstr(c, ",,,,own,tz,太湖县职业教育中心,,,,,member,,\r\n"));
    assert_non_null(strstr(c, ",county,340825,太湖县,700,"));
    free(c);
    char *j = s_render(rep, CMD_REPORT_JSON, false, NULL);
    assert_non_null(strstr(j, "\"share_of_target\""));
    assert_non_null(strstr(j, "\"status\":\"share\""));
    free(j);
    char dir[64], path[128], cmd[256];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/m.xlsx", dir);
    assert_int_equal(cmd_report_xlsx(rep, path), 0);
    snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/sharedStrings.xml", path);
    char *ss = s_popen(cmd);
    assert_non_null(strstr(ss, "<t>太湖县职业教育中心 Taihu Vocational Centre "
                               "(tz) 本单位指标 own figures, 集团 group "
                               "coord</t>"));
    assert_non_null(strstr(ss, "<t>占集团目标 Share of group target</t>"));
    assert_non_null(strstr(ss, "<t>成员份额 member's share</t>"));
    free(ss);
    th_rmdir(dir);
    json_decref(rep);
}

/* The sections in every format: the rule said, who is paid, the others
 * in order, the pending line apart, the excluded sentence, the roster. */
static void
test_sections(void **state)
{
    (void)state;
    json_t *rep = th_json(s_fixture_sections);
    char *t = s_render(rep, CMD_REPORT_TABLE, false, NULL);
    assert_non_null(strstr(t, "the first claim received by the coordinator "
                              "is paid; the others are listed for the "
                              "secretariat to settle"));
    assert_non_null(strstr(t, "m1 (jh1)"));
    assert_non_null(strstr(t, "m2 (<cr&ny>); m9"));
    assert_non_null(strstr(t, "abc123"));
    assert_non_null(strstr(t, "excluded: revoked member m9, 42 records"));
    assert_non_null(strstr(t, "已排除：撤销成员 m9，42 条记录"));
    assert_non_null(strstr(t, "Pending payments"));
    assert_non_null(strstr(t, "crony"));
    assert_non_null(strstr(t, "1,000"));
    assert_non_null(strstr(t, "暂停 suspended 隔离 quarantined"));
    assert_non_null(strstr(t, "撤销 revoked"));
    assert_non_null(strstr(t, "在册 active"));
    /* the pending line is not among the subsidies */
    const char *sub = strstr(t, "补助 Subsidies\n");
    const char *pend = strstr(t, "Pending payments");
    assert_true(sub && pend && sub < pend);
    char *subs = strndup(sub, (size_t)(pend - sub));
    assert_non_null(subs);
    assert_null(strstr(subs, "crony"));
    free(subs);
    /* how far into each log the figures are, and what they leave out */
    assert_non_null(strstr(t, REPORT_APPLIED_ZH
                           " " REPORT_APPLIED_EN "\n"
                           "尚有 1,234 条未计入（报告未先计入日志） 1,234 "
                           "entries held are not in the figures yet (the "
                           "report was made without catching up)\n"));
    assert_non_null(strstr(t, "\nm1                 8,766        10,000    "
                              "       1,234  2026-11-30T09:00:00Z        "
                              "未全部计入 behind\n"));
    assert_non_null(strstr(t, "\nm7                     0             0    "
                              "           0  -                           "
                              "全部 all         \n"));
    assert_true(s_check_tables(t) >= 5);
    free(t);

    char *h = s_render(rep, CMD_REPORT_HTML, false, NULL);
    s_html_nesting(h);
    assert_non_null(strstr(h, "m2 (&lt;cr&amp;ny&gt;); m9"));
    assert_non_null(strstr(h, "the first claim received by the coordinator"));
    assert_non_null(strstr(h, "excluded: revoked member m9, 42 records"));
    assert_non_null(strstr(h, "<th>名册 Roster</th>"));
    assert_non_null(strstr(h, "暂停 suspended 隔离 quarantined"));
    assert_non_null(strstr(h, "<tr class=\"behind\"><td>m1</td><td "
                              "class=\"n\">8,766</td><td class=\"n\">10,000"
                              "</td><td class=\"n\">1,234</td><td>2026-11-"
                              "30T09:00:00Z</td></tr>"));
    assert_non_null(strstr(h, "<p class=\"behind\">尚有 1,234 条未计入"));
    free(h);

    char *c = s_render(rep, CMD_REPORT_CSV, false, NULL);
    assert_non_null(strstr(c, "source_school_incentive,生源学校奖励,"
                              "source-school incentive,2025,pending,crony,,"
                              "1000,2,,,pending,,\r\n"));
    assert_non_null(strstr(c,
                           ",2025,conflict,abc123,,3,,,,"
                           "paid: m1 (jh1); others: m2 (<cr&ny>); m9,,\r\n"));
    assert_non_null(strstr(c, ",,,,excluded,m9,九校,42,,,,revoked,,\r\n"));
    assert_non_null(strstr(c, ",,,,roster,m2,二校,,,,,suspended "
                              "quarantined,,\r\n"));
    assert_non_null(strstr(c, ",,,,roster,m7,七校,,,,,none,,\r\n"));
    assert_non_null(strstr(c, ",,,,applied,m1,一校,8766,10000,,,"
                              "2026-11-30T09:00:00Z,,\r\n"));
    assert_non_null(strstr(c, ",,,,applied,m7,七校,0,0,,,,,\r\n"));
    assert_non_null(strstr(c, ",,,,unapplied,,,1234,,,,made without catching "
                              "up,,\r\n"));
    free(c);

    /* all of it in: said so, in every format */
    json_t *all = json_object_get(rep, "applied");
    json_object_set_new(all, "unapplied", json_integer(0));
    json_object_set_new(all, "complete", json_true());
    json_object_set_new(all, "caught_up", json_true());
    json_object_set_new(th_jget(all, "logs", "m1", NULL), "applied",
                        json_integer(10000));
    t = s_render(rep, CMD_REPORT_TABLE, false, NULL);
    assert_non_null(strstr(t, "全部条目已计入 every entry held is in the "
                              "figures\n"));
    assert_null(strstr(t, "behind\n"));
    free(t);
    c = s_render(rep, CMD_REPORT_CSV, false, NULL);
    assert_non_null(strstr(c, ",,,,unapplied,,,0,,,,complete,,\r\n"));
    free(c);
    h = s_render(rep, CMD_REPORT_HTML, false, NULL);
    assert_null(strstr(h, "<tr class=\"behind\"><td>m1"));
    free(h);
    json_decref(rep);
    rep = th_json(s_fixture_sections);

    char dir[64], path[128], cmd[512];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/s.xlsx", dir);
    assert_int_equal(cmd_report_xlsx(rep, path), 0);
    if (system("command -v unzip >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/sharedStrings.xml", path);
        char *ss = s_popen(cmd);
        assert_non_null(strstr(ss, "the first claim received by the "
                                   "coordinator is paid"));
        assert_non_null(strstr(ss, "m2 (&lt;cr&amp;ny&gt;); m9"));
        assert_non_null(strstr(ss, "excluded: revoked member m9, 42 records"));
        assert_non_null(strstr(ss, "Pending payments"));
        assert_non_null(strstr(ss, "名册 Roster"));
        assert_non_null(strstr(ss, "计入进度 Applied"));
        assert_non_null(strstr(ss, "1,234 entries held are not in the "
                                   "figures yet"));
        assert_non_null(strstr(ss, "2026-11-30T09:00:00Z"));
        free(ss);
    }
    th_rmdir(dir);
    json_decref(rep);
}

/* The certification and policy sections (issue 14; SPEC 12.3). */
static const char s_fixture_certify[] =
    "{\"group\": \"g\", \"year\": 2026, \"figures\": {},"
    " \"members\": {\"m1\": {\"name_zh\": \"一校\"}},"
    " \"claims\": ["
    "  {\"member\": \"m1\", \"claim\": \"k1\", \"subject\": "
    "\"coop_class\", \"year\": 2026, \"asked\": 100000, \"record\": "
    "\"c1\", \"state\": \"paid\", \"decision\": {\"decision\": "
    "\"approved\", \"approved\": 100000, \"note\": \"<ok>\"}, "
    "\"paid\": {\"amount\": 100000, \"payments\": 1}},"
    "  {\"member\": \"m1\", \"claim\": \"k2\", \"subject\": "
    "\"coop_class\", \"year\": 2026, \"asked\": 100000, \"record\": "
    "\"c2\", \"state\": \"changed\", \"decision\": {\"decision\": "
    "\"approved\", \"approved\": 100000}, \"paid\": {\"amount\": 0}}],"
    " \"money\": [{\"figure\": \"coop_class_subsidy\", \"year\": 2026,"
    "  \"member\": \"m1\", \"eligible\": 200000, \"claimed\": 200000,"
    "  \"approved\": 100000, \"paid\": 100000}],"
    " \"subsidy_total\": {\"2026\": {\"value\": 200000, \"budget\": "
    "5000000, \"status\": \"within\", \"claimed\": 200000, "
    "\"approved\": 100000, \"paid\": 100000, \"committed\": 100000, "
    "\"committed_status\": \"within\"}},"
    " \"certified\": {\"coop_classes\": {\"2026\": {\"claimed\": 2, "
    "\"approved\": 1}}, \"dual_qualified\": {\"teachers\": 4, "
    "\"reported\": 3, \"claimed\": 2, \"certified\": 1, "
    "\"certified_share\": 0.25}},"
    " \"county\": [{\"region\": \"340825\", \"name\": \"太湖县\", "
    "\"year\": 2025, \"source\": \"gov\", \"junior_grads\": 40, "
    "\"high_grads\": 10, \"secondary_intake\": 3, \"higher_intake\": 1, "
    "\"secondary_share\": 0.075, \"higher_share\": 0.1}],"
    " \"progression\": {\"2023\": {\"cohort\": 6, \"progressed\": 3, "
    "\"share\": 0.5, \"by_member\": {\"m1\": {\"cohort\": 6, "
    "\"progressed\": 3, \"share\": 0.5}}}},"
    " \"bodies\": {\"consortium\": {\"zh\": \"产教联合体\", \"en\": "
    "\"consortia\", \"by_level\": {\"municipal\": 1, \"national\": 1}, "
    "\"aims\": {\"municipal\": 2, \"national\": 1, \"municipal_met\": "
    "false, \"national_met\": true}}}}";

static void
test_certify_sections(void **state)
{
    (void)state;
    json_t *rep = th_json(s_fixture_certify);
    char *t = s_render(rep, CMD_REPORT_TABLE, false, NULL);
    assert_non_null(strstr(t, "认定申报：已支付 Claims: paid\n"));
    assert_non_null(strstr(t, "Claims: changed since the decision"));
    assert_non_null(strstr(t, "m1/k1"));
    assert_non_null(strstr(t, "<ok>"));
    assert_non_null(strstr(t, "Subsidy money: eligible, claimed, approved, "
                              "paid"));
    assert_non_null(strstr(t, "340825 太湖县"));
    assert_non_null(strstr(t, "7.5%"));
    assert_non_null(strstr(t, "10.0%"));
    assert_non_null(strstr(t, "50.0%"));
    assert_non_null(strstr(t, "市级 2 municipal (未达 not yet); 国家级 1 "
                              "national (已达 met)"));
    assert_null(strstr(t, "Claims: rejected")); /* no such claim: no table */
    free(t);

    char *c = s_render(rep, CMD_REPORT_CSV, false, NULL);
    /* bucket_name after bucket; no target, basis nor as_of (SPEC 12.3) */
    assert_non_null(strstr(c, "coop_class,认定申报：已支付,Claims: paid,2026,"
                              "claim,m1/k1,,100000,100000,100000,,paid,,\r\n"));
    assert_non_null(
        strstr(c, ",2026,money,m1,一校,200000,100000,100000,,,,\r\n"));
    assert_non_null(strstr(c, ",2026,budget,2026,,100000,100000,5000000,,"
                              "within,,\r\n"));
    assert_non_null(strstr(
        c, ",2025,county_assessment,340825,太湖县,0.075,3,40,,gov,,\r\n"));
    assert_non_null(strstr(c, ",2023,progression,,,0.5,3,6,,,,\r\n"));
    assert_non_null(strstr(c, ",2023,progression,m1,,0.5,3,6,,,,\r\n"));
    assert_non_null(strstr(c, "dual_qualified_share,认定与申报对照,Certified "
                              "beside claimed,,certified,dual_qualified,,1,2,"
                              "4,,,,\r\n"));
    free(c);

    char *h = s_render(rep, CMD_REPORT_HTML, false, NULL);
    s_html_nesting(h);
    assert_non_null(strstr(h, "<td>&lt;ok&gt;</td>"));
    assert_non_null(strstr(h, "<h2>县区考核：初中、高中毕业生进入集团学校 "
                              "<span class=\"en\">County assessment"));
    free(h);

    char dir[64], path[128], cmd[512];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/c.xlsx", dir);
    assert_int_equal(cmd_report_xlsx(rep, path), 0);
    if (system("command -v unzip >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/workbook.xml", path);
        char *wb = s_popen(cmd);
        assert_non_null(strstr(wb, "认定与考核 Certification"));
        free(wb);
        snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/sharedStrings.xml", path);
        char *ss = s_popen(cmd);
        assert_non_null(strstr(ss, "Claims: paid"));
        assert_non_null(strstr(ss, "340825 太湖县"));
        free(ss);
    }
    th_rmdir(dir);
    json_decref(rep);
}

/* ---- errors and odd shapes --------------------------------------------- */

static void
test_errors(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    json_t *bad = json_pack("{s:i}", "year", 2026);
    assert_int_equal(cmd_report_write(bad, CMD_REPORT_TABLE, false, f),
                     VOCFED_EINVALID);
    assert_int_equal(cmd_report_write(NULL, CMD_REPORT_CSV, false, f),
                     VOCFED_EINVALID);
    json_t *rep = s_report();
    assert_int_equal(cmd_report_write(rep, CMD_REPORT_XLSX, false, f),
                     VOCFED_EINVALID);
    assert_int_equal(cmd_report_xlsx(bad, "/nonexistent/x.xlsx"),
                     VOCFED_EINVALID);
    fclose(f);
    free(buf);

    /* A full disk is an error, not a short report. */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        for (int fmt = CMD_REPORT_TABLE; fmt <= CMD_REPORT_HTML; fmt++)
            assert_true(cmd_report_write(rep, (cmd_report_format_t)fmt, false,
                                         full) < 0);
        fclose(full);
    }
    assert_true(cmd_report_xlsx(rep, "/nonexistent/dir/x.xlsx") < 0);

    /* Bare and empty shapes render without a fuss. */
    const char *odd[] = {
        "{\"figures\": {}}",
        "{\"figures\": {\"hv_enrolled\": {}}, \"members\": 3}",
        "{\"figures\": {\"a\": {\"by_year\": {}}, \"b\": {\"by_year\":"
        " {\"x\": 1, \"2026\": {\"value\": \"?\", \"by_member\": [1]}}}},"
        " \"subsidies\": {}, \"subsidy_total\": [], \"year\": -1}",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        json_t *j = th_json(odd[i]);
        for (int fmt = CMD_REPORT_TABLE; fmt <= CMD_REPORT_HTML; fmt++) {
            char *out = s_render(j, (cmd_report_format_t)fmt, false, NULL);
            if (fmt == CMD_REPORT_HTML)
                s_html_nesting(out);
            free(out);
        }
        char dir[64], path[128];
        th_tmpdir(dir);
        snprintf(path, sizeof path, "%s/r.xlsx", dir);
        assert_int_equal(cmd_report_xlsx(j, path), 0);
        th_rmdir(dir);
        json_decref(j);
    }
    json_decref(bad);
    json_decref(rep);
}

/* ---- the same bytes as before ------------------------------------------ */

/* The fixtures of the golden files: the report above, the odd shapes of
 * test_errors and the report with the sections (s_fixture_sections), in
 * this order. */
static const char *const s_golden_odd[] = {
    "{\"figures\": {}}",
    "{\"figures\": {\"hv_enrolled\": {}}, \"members\": 3}",
    "{\"figures\": {\"a\": {\"by_year\": {}}, \"b\": {\"by_year\":"
    " {\"x\": 1, \"2026\": {\"value\": \"?\", \"by_member\": [1]}}}},"
    " \"subsidies\": {}, \"subsidy_total\": [], \"year\": -1}",
    s_fixture_sections,
    s_fixture_member,
};

/* The workbook's parts that do not hold the time it was made. */
static const char s_xlsx_parts[] =
    "xl/workbook.xml xl/worksheets/sheet1.xml xl/worksheets/sheet2.xml "
    "xl/worksheets/sheet3.xml xl/worksheets/sheet4.xml "
    "xl/worksheets/sheet5.xml xl/worksheets/sheet6.xml "
    "xl/sharedStrings.xml xl/styles.xml";

/* Renders report in fmt (CMD_REPORT_XLSX: the parts above, through
 * unzip) and appends it to t after a heading line. */
static void
s_golden_add(th_text_t *t, const json_t *report, cmd_report_format_t fmt,
             size_t which)
{
    char head[64], *out;
    size_t len;
    snprintf(head, sizeof head, "== fixture %zu ==\n", which);
    th_text_add(t, head, strlen(head));
    if (fmt != CMD_REPORT_XLSX) {
        out = s_render(report, fmt, false, &len);
    } else {
        char dir[64], path[128], cmd[640];
        th_tmpdir(dir);
        snprintf(path, sizeof path, "%s/g.xlsx", dir);
        assert_int_equal(cmd_report_xlsx(report, path), 0);
        snprintf(cmd, sizeof cmd, "unzip -p '%s' %s", path, s_xlsx_parts);
        out = s_popen(cmd);
        len = strlen(out);
        th_rmdir(dir);
    }
    th_text_add(t, out, len);
    free(out);
}

/* Every format renders the fixtures to the bytes it rendered before the
 * renderers were split (tests/tools/golden/report.*.golden). With
 * VOCFED_GOLDEN_WRITE=1 in the environment, writes the files instead. */
static void
test_golden(void **state)
{
    (void)state;
    static const cmd_report_format_t fmts[] = {
        CMD_REPORT_TABLE, CMD_REPORT_JSON, CMD_REPORT_CSV, CMD_REPORT_HTML,
        CMD_REPORT_XLSX};
    bool write = getenv("VOCFED_GOLDEN_WRITE") != NULL;
    bool unzip = system("command -v unzip >/dev/null 2>&1") == 0;
    if (!unzip)
        print_message("unzip not found: the workbook is not compared\n");
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        if (fmts[f] == CMD_REPORT_XLSX && !unzip)
            continue;
        th_text_t t = {0};
        json_t *rep = s_report();
        s_golden_add(&t, rep, fmts[f], 0);
        json_decref(rep);
        for (size_t i = 0; i < sizeof s_golden_odd / sizeof s_golden_odd[0];
             i++) {
            json_t *j = th_json(s_golden_odd[i]);
            s_golden_add(&t, j, fmts[f], i + 1);
            json_decref(j);
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/tools/golden/report.%s.golden",
                 VOCFED_SOURCE_DIR, cmd_report_format_name(fmts[f]));
        if (write) {
            FILE *o = fopen(path, "wb");
            assert_non_null(o);
            assert_int_equal(fwrite(t.data, 1, t.len, o), t.len);
            assert_int_equal(fclose(o), 0);
        } else {
            size_t len;
            uint8_t *want = th_read_file(path, &len);
            if (!want)
                fail_msg("no golden file %s", path);
            if (len != t.len || memcmp(want, t.data, len) != 0)
                fail_msg("%s: the output differs (%zu bytes, want %zu)", path,
                         t.len, len);
            free(want);
        }
        free(t.data);
    }
}

/* ---- the command -------------------------------------------------------- */

/* Runs vocfed ARGS in the network's folder; fails unless it exits with
 * want. The run is the caller's (th_run_free). */
static th_run_t
s_net_run(th_net_t *net, int want, const char *const *args)
{
    th_run_t r = th_net_run(net, args);
    if (r.status != want)
        fail_msg("exit %d, not %d\nstdout: %s\nstderr: %s", r.status, want,
                 r.out, r.err);
    return r;
}

/* The number at a path of up to four keys (NULL ends it early). */
static json_int_t
s_jnum(json_t *j, const char *a, const char *b, const char *c, const char *d)
{
    json_t *v = th_jget(j, a, b, c, d, NULL);
    if (!json_is_number(v))
        fail_msg("no number at %s.%s.%s.%s", a, b ? b : "", c ? c : "",
                 d ? d : "");
    return (json_int_t)json_number_value(v);
}

/* Entries in m's log that its applier has not reached, as a daemon's
 * store leaves them (written here through a store opened async_apply):
 * report --no-catch-up gives the figures without them and says how
 * many, in the object and on stderr; a report that catches up has them
 * (SPEC 12.3 `applied`). */
static void
s_command_unapplied(th_net_t *net, const th_node_t *m)
{
    store_t *st;
    uint8_t pk[PROTO_PUBKEY_LEN], *sk;
    store_opts_t o = {.async_apply = true};
    assert_int_equal(proto_unhex(m->pk, pk, sizeof pk), VOCFED_OK);
    assert_int_equal(store_open(m->dir, &o, &st), VOCFED_OK);
    assert_int_equal(node_figures_attach_store(st), VOCFED_OK);
    assert_int_equal(node_identity_load(m->dir, pk, &sk), VOCFED_OK);
    store_head_t h;
    th_students(st, "aqvtc", sk, 100, 4, 6, &h);
    store_destroy(&st);
    node_identity_free(&sk);

    /* status shows the applied point without doing the applier's work
     * (bench/peers/vocfed_e2e.sh polls it) */
    th_run_t r =
        s_net_run(net, 0, TH_ARGS("--dir", m->dir, "status", "--json"));
    json_t *j = th_json(r.out);
    th_run_free(&r);
    assert_int_equal(s_jnum(j, "logs", "aqvtc", "size", NULL),
                     (json_int_t)h.size);
    assert_int_equal(s_jnum(j, "logs", "aqvtc", "applied", NULL),
                     (json_int_t)h.size - 4);
    json_decref(j);

    r = s_net_run(net, 0,
                  TH_ARGS("--dir", m->dir, "report", "--format", "json",
                          "--no-catch-up"));
    j = th_json(r.out);
    assert_non_null(strstr(r.err, "4 entries the logs hold are not in these "
                                  "figures yet (--no-catch-up"));
    th_run_free(&r);
    assert_false(json_is_true(th_jget(j, "applied", "caught_up", NULL)));
    assert_int_equal(s_jnum(j, "applied", "unapplied", NULL, NULL), 4);
    assert_int_equal(s_jnum(j, "applied", "logs", "aqvtc", "size"),
                     (json_int_t)h.size);
    assert_int_equal(s_jnum(j, "applied", "logs", "aqvtc", "applied"),
                     (json_int_t)h.size - 4);
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "value", NULL), 3);
    json_decref(j);
    r = s_net_run(net, 0, TH_ARGS("--dir", m->dir, "report", "--no-catch-up"));
    assert_non_null(strstr(r.out, "尚有 4 条未计入"));
    th_run_free(&r);

    r = s_net_run(net, 0,
                  TH_ARGS("--dir", m->dir, "report", "--format", "json"));
    j = th_json(r.out);
    assert_null(strstr(r.err, "not in these figures"));
    th_run_free(&r);
    assert_true(json_is_true(th_jget(j, "applied", "caught_up", NULL)));
    assert_true(json_is_true(th_jget(j, "applied", "complete", NULL)));
    assert_int_equal(s_jnum(j, "applied", "logs", "aqvtc", "applied"),
                     (json_int_t)h.size);
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "value", NULL), 7);
    json_decref(j);
}

static int
s_net_setup(void **state)
{
    th_net_t *net = calloc(1, sizeof *net);
    *state = net;
    return net ? 0 : -1;
}

/* Stops the daemons and removes the folder, also after a failure. */
static int
s_net_teardown(void **state)
{
    th_net_release(*state);
    free(*state);
    return 0;
}

/* `vocfed report` on a coordinator that holds one member's records, and
 * on that member. */
/* Checks that figures lists the figures in DESIGN 7's order, the order
 * the report shows them in (the renderers follow the object). */
static void
s_check_design7_order(json_t *figures)
{
    const char *const *order = th_design7;
    size_t n = TH_DESIGN7_N, at = 0, seen = 0;
    const char *id;
    json_t *f;
    json_object_foreach(figures, id, f)
    {
        while (at < n && strcmp(order[at], id) != 0)
            at++;
        if (at == n)
            fail_msg("figure %s out of DESIGN 7 order", id);
        seen++;
    }
    assert_int_equal(seen, n);
}

static void
test_command(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "member", "profile",
                          "name_zh=安庆职业技术学院",
                          "name_en=Anqing Vocational and Technical College",
                          "role=lead", "original_affiliation=市政府",
                          "region_code=340803"));
    /* People are keyed by pseudo_id (64 hex digits). */
    const char *students[] = {
        "1111111111111111111111111111111111111111111111111111111111111111",
        "2222222222222222222222222222222222222222222222222222222222222222",
        "3333333333333333333333333333333333333333333333333333333333333333"};
    for (size_t i = 0; i < 3; i++)
        th_net_expect(net, 0,
                      TH_ARGS("--dir", m->dir, "put", "student", students[i],
                              "level=higher", "intake_year=2025",
                              "status=enrolled"));
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "coop_class", "c1",
                          "enterprise=安庆某企业", "cohort_year=2026",
                          "students_at_start=25", "kind=order"));
    th_coord_start(net);
    th_run_t r = th_sync(net, m, 30);
    assert_int_equal(r.status, 0);
    th_run_free(&r);

    /* JSON, one line, the shape of SPEC 12.3. */
    r = s_net_run(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "report", "--format", "json",
                          "--year", "2026"));
    assert_non_null(strchr(r.out, '\n'));
    assert_int_equal(strchr(r.out, '\n')[1], '\0');
    json_t *j = th_json(r.out);
    th_run_free(&r);
    assert_string_equal(json_string_value(json_object_get(j, "group")),
                        "coord");
    assert_int_equal(th_jint(j, "year", NULL), 2026);
    s_check_design7_order(json_object_get(j, "figures"));
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "value", NULL), 3);
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "target", NULL),
                     14000);
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "by_member", "aqvtc"),
                     3);
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "by_county", "340803"),
                     3);
    assert_int_equal(
        s_jnum(j, "figures", "hv_enrolled", "by_affiliation", "市政府"), 3);
    assert_string_equal(
        json_string_value(th_jget(j, "members", "aqvtc", "name_zh", NULL)),
        "安庆职业技术学院");
    /* Region names beside the codes (SPEC 12.3). */
    assert_string_equal(
        json_string_value(th_jget(j, "members", "aqvtc", "region_name", NULL)),
        "大观区");
    assert_string_equal(
        json_string_value(th_jget(j, "regions", "340803", NULL)), "大观区");
    assert_int_equal(json_object_size(json_object_get(j, "regions")), 1);
    assert_true(s_jnum(j, "members", "aqvtc", "size", NULL) >= 5);
    assert_int_equal(
        json_string_length(th_jget(j, "members", "aqvtc", "root", NULL)), 64);
    json_t *coop =
        th_jget(j, "figures", "coop_class_subsidy", "by_year", "2026", NULL);
    assert_int_equal(s_jnum(coop, "value", NULL, NULL, NULL), 100000);
    assert_string_equal(
        json_string_value(th_jget(j, "subsidy_total", "2026", "status", NULL)),
        "within");
    json_decref(j);

    /* The table, aligned with the Chinese names in it. */
    r = s_net_run(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "report", "--year", "2026"));
    assert_non_null(strstr(r.out, "高职在校生 higher-vocational"));
    assert_non_null(strstr(r.out, "安庆职业技术学院"));
    assert_non_null(strstr(r.out, "100,000"));
    /* The payee named by its member profile. */
    const char *subs = strstr(r.out, "补助 Subsidies\n");
    assert_non_null(subs);
    const char *payee = strstr(subs, "安庆职业技术学院");
    assert_non_null(payee);
    assert_true(payee < strstr(subs, "补助合计"));
    assert_true(s_check_tables(r.out) >= 4);
    th_run_free(&r);

    /* html to a file; xlsx by default to report.xlsx in the current
     * folder (the network's); csv to stdout. */
    char path[256];
    snprintf(path, sizeof path, "%s/r.html", net->root);
    r = s_net_run(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "report", "--format", "html",
                          "--out", path));
    th_run_free(&r);
    size_t len;
    char *html = (char *)th_read_file(path, &len);
    assert_non_null(html);
    assert_false(s_has_nocase(html, "http"));
    assert_non_null(strstr(html, "安庆职业技术学院"));
    s_html_nesting(html);
    free(html);
    r = s_net_run(
        net, 0, TH_ARGS("--dir", net->coord.dir, "report", "--format", "xlsx"));
    th_run_free(&r);
    snprintf(path, sizeof path, "%s/report.xlsx", net->root);
    uint8_t *x = th_read_file(path, &len);
    assert_non_null(x);
    assert_memory_equal(x, "PK", 2);
    free(x);
    r = s_net_run(
        net, 0, TH_ARGS("--dir", net->coord.dir, "report", "--format", "csv"));
    assert_memory_equal(r.out,
                        "\xEF\xBB\xBF"
                        "figure,",
                        10);
    assert_non_null(strstr(r.out, "\r\nhv_enrolled,高职在校生,"));
    th_run_free(&r);

    /* On the member: its own share, the coordinator found as the author
     * it replicates (no settings file names it). */
    r = s_net_run(
        net, 0,
        TH_ARGS("--dir", m->dir, "report", "--format", "json", "--pretty"));
    j = th_json(r.out);
    th_run_free(&r);
    assert_string_equal(json_string_value(json_object_get(j, "group")),
                        "coord");
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "value", NULL), 3);
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "target", NULL),
                     14000);
    /* its own report (SPEC 12.6): its name, its share of the target */
    assert_string_equal(
        json_string_value(th_jget(j, "member", "name_zh", NULL)),
        "安庆职业技术学院");
    assert_string_equal(
        json_string_value(th_jget(j, "figures", "hv_enrolled", "status", NULL)),
        "share");
    assert_true(json_real_value(th_jget(j, "figures", "hv_enrolled",
                                        "share_of_target", NULL)) ==
                3.0 / 14000);
    json_decref(j);
    r = s_net_run(net, 0, TH_ARGS("--dir", m->dir, "report"));
    assert_memory_equal(r.out, "安庆职业技术学院 Anqing", 30);
    const char *hv = strstr(r.out, "\n高职在校生");
    assert_non_null(hv);
    assert_null(strstr(r.out, "集团高职")); /* a member's, not the group's */
    const char *eol = strchr(hv + 1, '\n');
    const char *share = strstr(hv, "成员份额 member's share");
    assert_true(share && eol && share < eol);
    th_run_free(&r);
    r = s_net_run(net, 0, TH_ARGS("--dir", net->coord.dir, "report"));
    assert_non_null(strstr(r.out, "集团办学指标 Group figures: coord\n"));
    assert_non_null(strstr(r.out, "完成度 Attainment"));
    assert_null(strstr(r.out, "member's share"));
    th_run_free(&r);
    s_command_unapplied(net, m);

    /* Usage and environment errors. */
    r = s_net_run(
        net, 2, TH_ARGS("--dir", net->coord.dir, "report", "--format", "pdf"));
    th_run_free(&r);
    r = s_net_run(net, 2,
                  TH_ARGS("--dir", net->coord.dir, "report", "--pretty"));
    th_run_free(&r);
    r = s_net_run(net, 2,
                  TH_ARGS("--dir", net->coord.dir, "report", "--year", "x"));
    th_run_free(&r);
    r = s_net_run(net, 2,
                  TH_ARGS("--dir", net->coord.dir, "report", "--format", "xlsx",
                          "--out", "-"));
    th_run_free(&r);
    snprintf(path, sizeof path, "%s/none", net->root);
    r = s_net_run(net, 3, TH_ARGS("--dir", path, "report"));
    th_run_free(&r);
    snprintf(path, sizeof path, "%s/no/such/folder/r.csv", net->root);
    r = s_net_run(net, 3,
                  TH_ARGS("--dir", net->coord.dir, "report", "--format", "csv",
                          "--out", path));
    th_run_free(&r);
    net->passed = true;
}

/* ---- report --as-of and census dates (SPEC 12.5) ------------------------ */

/* Writes text to path. */
static void
s_spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* A CSV of n students for `vocfed import student`: valid 18-digit ID
 * numbers numbered from first, enrolled but the first (status; NULL:
 * enrolled too). */
static void
s_students_csv(const char *path, int first, int n, const char *status)
{
    static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                              3, 7, 9,  10, 5, 8, 4, 2};
    char text[2048];
    int len =
        snprintf(text, sizeof text, "id_number,level,intake_year,status\n");
    for (int i = first; i < first + n; i++) {
        char id[32];
        snprintf(id, sizeof id, "34082520050101%03u", (unsigned)i % 1000u);
        int sum = 0;
        for (int k = 0; k < 17; k++)
            sum += (id[k] - '0') * w[k];
        id[17] = "10X98765432"[sum % 11];
        id[18] = 0;
        len += snprintf(text + len, sizeof text - (size_t)len,
                        "%s,higher,2026,%s\n", id,
                        status && i == first ? status : "enrolled");
    }
    s_spit(path, text);
}

/* The report with what is about the moment it was made ("made") and
 * the replication state the logs do not hold (a member's unsent,
 * receipt_missing, behind, quarantined) taken out, as compact JSON in
 * the object's order (malloc'd). */
static char *
s_logs_part(const char *report_text)
{
    json_t *j = th_json(report_text);
    json_object_del(j, "made");
    const char *id;
    json_t *m;
    json_object_foreach(json_object_get(j, "members"), id, m)
    {
        static const char *const rep[] = {"unsent", "receipt_missing", "behind",
                                          "quarantined"};
        for (size_t i = 0; i < 4; i++)
            json_object_del(m, rep[i]);
    }
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    assert_non_null(text);
    return text;
}

/* The time of a report's as_of, "2026-12-03T10:45:12Z". */
static time_t
s_iso_time(const char *iso)
{
    struct tm tm = {0};
    assert_int_equal(sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year,
                            &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                            &tm.tm_sec),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

/* Waits until the clock is past the second of the ISO time iso (a
 * report's as_of): what is signed from then on is after it. */
static void
s_wait_past(const char *iso)
{
    time_t t = s_iso_time(iso);
    uint64_t deadline = th_now_ms() + 5000;
    while (time(NULL) <= t) {
        assert_true(th_now_ms() < deadline);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* A member imports, prints its report, imports again: the report as of
 * the moment the first was printed is the first, byte for byte, apart
 * from when it was made and the replication state. */
static void
s_as_of_member(th_net_t *net, th_node_t *m)
{
    char key[256], a[256], b[256], asof[64], zoned[64];
    snprintf(key, sizeof key, "%s/group.key", net->root);
    snprintf(a, sizeof a, "%s/a.csv", net->root);
    snprintf(b, sizeof b, "%s/b.csv", net->root);
    th_run_t r = s_net_run(net, 0, TH_ARGS("linkage-key", "generate"));
    s_spit(key, r.out);
    th_run_free(&r);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "linkage-key", "import", key));
    s_students_csv(a, 1, 3, NULL);
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "import", "student", a));
    r = s_net_run(net, 0,
                  TH_ARGS("--dir", m->dir, "report", "--format", "json"));
    char *then = strdup(r.out);
    th_run_free(&r);
    json_t *j1 = th_json(then);
    assert_int_equal(s_jnum(j1, "figures", "hv_enrolled", "value", NULL), 3);
    snprintf(asof, sizeof asof, "%s",
             json_string_value(json_object_get(j1, "as_of")));
    json_decref(j1);

    /* more students, one withdrawn, a second later */
    s_wait_past(asof);
    s_students_csv(b, 3, 3, "withdrawn");
    th_net_expect(net, 0, TH_ARGS("--dir", m->dir, "import", "student", b));
    r = s_net_run(net, 0,
                  TH_ARGS("--dir", m->dir, "report", "--format", "json"));
    char *now = s_logs_part(r.out), *want = s_logs_part(then);
    th_run_free(&r);
    if (!strcmp(now, want))
        fail_msg("the second import changed nothing: the test proves nothing");
    free(now);

    r = s_net_run(net, 0,
                  TH_ARGS("--dir", m->dir, "report", "--format", "json",
                          "--as-of", asof));
    char *got = s_logs_part(r.out);
    json_t *j2 = th_json(r.out);
    th_run_free(&r);
    if (strcmp(got, want) != 0)
        fail_msg("report --as-of %s:\n%s\nthe report then:\n%s", asof, got,
                 want);
    /* what the logs do not hold is said to be unknown */
    assert_true(json_is_null(th_jget(j2, "members", "aqvtc", "behind", NULL)));
    json_decref(j2);
    free(got);

    /* the same moment in another zone */
    struct tm tm;
    time_t t = s_iso_time(asof) + 8 * 3600;
    gmtime_r(&t, &tm);
    strftime(zoned, sizeof zoned, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
    r = s_net_run(net, 0,
                  TH_ARGS("--dir", m->dir, "report", "--format", "json",
                          "--as-of", zoned));
    got = s_logs_part(r.out);
    th_run_free(&r);
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(then);

    /* before anything was signed: nothing */
    r = s_net_run(net, 0,
                  TH_ARGS("--dir", m->dir, "report", "--format", "json",
                          "--as-of", "2020-01-01"));
    j2 = th_json(r.out);
    th_run_free(&r);
    assert_int_equal(s_jnum(j2, "figures", "hv_enrolled", "value", NULL), 0);
    assert_int_equal(s_jnum(j2, "applied", "logs", "aqvtc", "applied"), 0);
    assert_string_equal(json_string_value(json_object_get(j2, "as_of")),
                        "2020-01-01T23:59:59Z");
    json_decref(j2);
}

/* What --as-of refuses, exit 2, saying why. */
static void
s_as_of_refusals(th_net_t *net, th_node_t *m)
{
    static const char *const bad[] = {"2026-02-30",
                                      "yesterday",
                                      "2026-12-03T10:00",
                                      "2026-12-03T25:00:00",
                                      "2026-12-03T10:00:00+8",
                                      "2026-1-3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        th_run_t r = s_net_run(
            net, 2, TH_ARGS("--dir", m->dir, "report", "--as-of", bad[i]));
        char want[160];
        snprintf(want, sizeof want,
                 "--as-of '%s' is not a date (2026-09-01) "
                 "nor a date and time to the second",
                 bad[i]);
        if (!strstr(r.err, want))
            fail_msg("--as-of %s: %s", bad[i], r.err);
        th_run_free(&r);
    }
    th_run_t r = s_net_run(
        net, 2, TH_ARGS("--dir", m->dir, "report", "--as-of", "9999-01-01"));
    assert_non_null(strstr(r.err, "--as-of is in the future: the logs may "
                                  "still grow to it"));
    th_run_free(&r);
    char today[16];
    time_t now = time(NULL);
    struct tm tm;
    strftime(today, sizeof today, "%Y-%m-%d", gmtime_r(&now, &tm));
    r = s_net_run(net, 2, TH_ARGS("--dir", m->dir, "report", "--as-of", today));
    assert_non_null(strstr(r.err, "today (UTC) is not over"));
    th_run_free(&r);
    r = s_net_run(net, 2,
                  TH_ARGS("--dir", m->dir, "report", "--as-of", "2026-01-01",
                          "--no-catch-up"));
    assert_non_null(strstr(r.err, "--no-catch-up has nothing to leave out"));
    th_run_free(&r);
}

/* The coordinator sets the census date of last year; at the coordinator
 * a report of that year counts its stocks as of that day (nothing was
 * signed then) and its flows by year, and says which. */
static void
s_census(th_net_t *net, th_node_t *m)
{
    char year[16], last[16], date[32], moment[48], source[48];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(year, sizeof year, "%d", tm.tm_year + 1900);
    snprintf(last, sizeof last, "%d", tm.tm_year + 1899);
    snprintf(date, sizeof date, "%s-06-30", last);
    snprintf(moment, sizeof moment, "%sT23:59:59Z", date);
    snprintf(source, sizeof source, "census_date:%s", last);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", net->coord.dir, "put", "census_date", last,
                          "month=6", "day=30"));
    th_run_t r =
        s_net_run(net, 1,
                  TH_ARGS("--dir", net->coord.dir, "put", "census_date",
                          "someday", "month=6", "day=30"));
    assert_non_null(strstr(r.err, "the key of a census_date is a year "
                                  "(2000-2100) or default"));
    th_run_free(&r);
    th_coord_start(net);
    r = th_sync(net, m, 30);
    assert_int_equal(r.status, 0);
    th_run_free(&r);
    const char *dirs[] = {net->coord.dir, m->dir};
    for (size_t i = 0; i < 2; i++) {
        r = s_net_run(net, 0,
                      TH_ARGS("--dir", dirs[i], "report", "--format", "json",
                              "--year", last));
        json_t *j = th_json(r.out);
        th_run_free(&r);
        json_t *c = json_object_get(j, "census");
        assert_string_equal(json_string_value(json_object_get(c, "date")),
                            date);
        assert_string_equal(json_string_value(json_object_get(c, "source")),
                            source);
        assert_true(json_is_true(json_object_get(c, "applied")));
        json_t *hv = th_jget(j, "figures", "hv_enrolled", NULL);
        assert_int_equal(s_jnum(hv, "value", NULL, NULL, NULL), 0);
        assert_string_equal(json_string_value(json_object_get(hv, "basis")),
                            "stock");
        assert_string_equal(json_string_value(json_object_get(hv, "as_of")),
                            moment);
        json_t *tr = th_jget(j, "figures", "training_person_times", NULL);
        assert_string_equal(json_string_value(json_object_get(tr, "basis")),
                            "flow");
        assert_string_equal(json_string_value(json_object_get(tr, "as_of")),
                            json_string_value(json_object_get(j, "as_of")));
        json_decref(j);
    }
    /* this year: its census day is not reached, stocks are as of now */
    r = s_net_run(
        net, 0,
        TH_ARGS("--dir", m->dir, "report", "--format", "json", "--year", year));
    json_t *j = th_json(r.out);
    th_run_free(&r);
    assert_string_equal(json_string_value(th_jget(j, "census", "source", NULL)),
                        "default");
    assert_true(json_is_false(th_jget(j, "census", "applied", NULL)));
    assert_int_equal(s_jnum(j, "figures", "hv_enrolled", "value", NULL), 4);
    json_decref(j);
}

static void
test_as_of(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_node_t *m = th_net_member(net, "aqvtc", true);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", m->dir, "put", "member", "profile",
                          "name_zh=太湖县职业教育中心", "role=county_school",
                          "original_affiliation=太湖县教育局",
                          "region_code=340825"));
    s_as_of_member(net, m);
    s_as_of_refusals(net, m);
    s_census(net, m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_xlsx),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_member_view),
        cmocka_unit_test(test_certify_sections),
        cmocka_unit_test_setup_teardown(test_command, s_net_setup,
                                        s_net_teardown),
        cmocka_unit_test_setup_teardown(test_as_of, s_net_setup,
                                        s_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
