/* vocfed: the empty sheet `vocfed import --template KIND` writes (issue 13
 * item 3). */
#include "tools/import_template.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#define S_COLS_MAX 32      /* columns of a template, at most */
#define S_TEXT_MAX 1024    /* bytes of one explanation cell */
#define S_LIST_MAX 16      /* values of a drop-down list, at most */
#define S_NOTES "填表说明" /* the explanation sheet's name */

/* One column of a template. */
typedef struct {
    char header[64];                /* the Chinese header written */
    const char *alt;                /* other Chinese names import takes,
                                       '|'-separated, or NULL */
    const char *name;               /* the English column name */
    const char *zh, *en;            /* what it is, each language */
    bool required;                  /* must be filled */
    bool text;                      /* a text column (format @) */
    const proto_field_def_t *field; /* its field, or NULL */
} s_col_t;

/* The first name of a '|'-separated list into out. */
static void
s_first(const char *list, char *out, size_t cap)
{
    size_t n = strcspn(list, "|");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, list, n);
    out[n] = 0;
}

/* The columns before the fields: ID number and name, or the key. */
static size_t
s_key_columns(const proto_kind_def_t *k, s_col_t *c)
{
    if (k->person) {
        c[0] = (s_col_t){.alt = strchr(PROTO_ID_NUMBER_ZH, '|') + 1,
                         .name = "id_number",
                         .zh = "公民身份号码，18 位（末位可为 X），按文本填写；"
                               "导入时经联盟关联密钥换算为假名编号，号码本身"
                               "不保存",
                         .en = "ID-card number, 18 characters (the last may "
                               "be X), entered as text; import turns it into "
                               "the pseudo_id through the group linkage key "
                               "and never stores the number",
                         .required = true,
                         .text = true};
        s_first(PROTO_ID_NUMBER_ZH, c[0].header, sizeof c[0].header);
        c[1] = (s_col_t){.name = "name",
                         .zh = "姓名，仅供填表人核对，导入时丢弃，不保存",
                         .en = "name, for checking the sheet only: dropped on "
                               "import, never stored",
                         .text = true};
        s_first(PROTO_PERSON_NAME_ZH, c[1].header, sizeof c[1].header);
        return 2;
    }
    if (k->key_form == PROTO_KEY_FIXED)
        return 0; /* one record, its key fixed */
    c[0] = (s_col_t){.name = k->key_column ? k->key_column : "key",
                     .zh = "记录的键（每行唯一）",
                     .en = "the record's key (one per row)",
                     .required = true,
                     .text = true};
    const char *zh = k->key_column_zh ? k->key_column_zh : PROTO_KEY_ZH;
    s_first(zh, c[0].header, sizeof c[0].header);
    c[0].alt = strchr(zh, '|') ? strchr(zh, '|') + 1 : NULL;
    return 1;
}

/* The columns of k's template into c (S_COLS_MAX); returns how many. */
static size_t
s_columns(const proto_kind_def_t *k, s_col_t *c)
{
    size_t n = s_key_columns(k, c);
    for (size_t i = 0; i < k->nfields && n < S_COLS_MAX; i++, n++) {
        const proto_field_def_t *f = &k->fields[i];
        proto_field_type_t t = f->type;
        c[n] = (s_col_t){.alt = f->zh_alt,
                         .name = f->name,
                         .zh = f->zh,
                         .en = f->en,
                         .required = f->required,
                         .text = t == PROTO_FT_STR || t == PROTO_FT_REGION ||
                                 t == PROTO_FT_LIST,
                         .field = f};
        s_first(f->zh, c[n].header, sizeof c[n].header);
    }
    return n;
}

int
cmd_template_csv(const proto_kind_def_t *k, FILE *out)
{
    s_col_t c[S_COLS_MAX];
    size_t n = s_columns(k, c);
    fputs("\xEF\xBB\xBF", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? "," : "", c[i].header);
    fputs("\r\n", out);
    return ferror(out) ? -EIO : 0;
}

/* ---- the workbook ------------------------------------------------------- */

/* What the workbook writer keeps. */
typedef struct {
    lxw_workbook *wb; /* the workbook */
    lxw_format *head; /* an optional column's header */
    lxw_format *req;  /* a required column's header */
    lxw_format *text; /* a text column (@) */
    lxw_format *wrap; /* an explanation cell */
    lxw_error err;    /* the first error, LXW_NO_ERROR if none */
} s_xlsx_t;

static void
s_check(s_xlsx_t *x, lxw_error e)
{
    if (e != LXW_NO_ERROR && x->err == LXW_NO_ERROR)
        x->err = e;
}

/* The type of column c, each language, and its range or values. */
static void
s_describe(const s_col_t *c, char *type_zh, char *type_en, char *zh, char *en)
{
    const proto_field_def_t *f = c->field;
    proto_field_type_t t = f ? f->type : PROTO_FT_STR;
    size_t uz = 0, ue = 0;
    static const char *const tz[] = {"文本",         "整数",     "是/否",
                                     "可选值",       "区划代码", "年份",
                                     "分号分隔列表", "数值"};
    static const char *const te[] = {"text",   "whole number", "yes/no",
                                     "one of", "region code",  "year",
                                     "list",   "decimal"};
    snprintf(type_zh, S_TEXT_MAX, "%s", tz[t]);
    snprintf(type_en, S_TEXT_MAX, "%s", te[t]);
    zh[0] = en[0] = 0;
    switch (t) {
    case PROTO_FT_INT:
        snprintf(zh, S_TEXT_MAX, "%lld 至 %lld", (long long)f->min,
                 (long long)f->max);
        snprintf(en, S_TEXT_MAX, "from %lld to %lld", (long long)f->min,
                 (long long)f->max);
        break;
    case PROTO_FT_BOOL:
        snprintf(zh, S_TEXT_MAX, "是、否（也可写 1/0、true/false）");
        snprintf(en, S_TEXT_MAX,
                 "是 (yes) or 否 (no); also 1/0, true/false, "
                 "yes/no");
        break;
    case PROTO_FT_ENUM:
        for (size_t i = 0; f->values[i]; i++) {
            const char *v = f->values_zh ? f->values_zh[i] : f->values[i];
            size_t l = strcspn(v, "|");
            int w = snprintf(zh + uz, S_TEXT_MAX - uz, "%s%.*s%s%s%s",
                             i ? "；" : "", (int)l, v, v[l] ? "（也作 " : "",
                             v[l] ? v + l + 1 : "", v[l] ? "）" : "");
            uz += w > 0 && (size_t)w < S_TEXT_MAX - uz ? (size_t)w : 0;
            w = snprintf(en + ue, S_TEXT_MAX - ue, "%s%.*s = %s", i ? "; " : "",
                         (int)l, v, f->values[i]);
            ue += w > 0 && (size_t)w < S_TEXT_MAX - ue ? (size_t)w : 0;
        }
        for (char *p = zh; (p = strchr(p, '|')); p++)
            *p = ','; /* the other names, commas in the text */
        break;
    case PROTO_FT_REGION:
        snprintf(zh, S_TEXT_MAX, "6 位数字（GB/T 2260），如 340822 怀宁县");
        snprintf(en, S_TEXT_MAX,
                 "6 digits (GB/T 2260), e.g. 340822 for "
                 "Huaining County");
        break;
    case PROTO_FT_YEAR:
        snprintf(zh, S_TEXT_MAX,
                 "2000 至 2100；也可写 2024年、2024-09-01、"
                 "2024/9/1 或日期单元格，取其年份");
        snprintf(en, S_TEXT_MAX,
                 "2000 to 2100; 2024年, 2024-09-01, "
                 "2024/9/1 or a date cell also do: the year "
                 "is kept");
        break;
    case PROTO_FT_LIST:
        snprintf(zh, S_TEXT_MAX, "多项以英文分号 ; 分隔");
        snprintf(en, S_TEXT_MAX, "items separated by ';'");
        break;
    case PROTO_FT_DECIMAL:
        snprintf(zh, S_TEXT_MAX, "如 14000 或 0.45");
        snprintf(en, S_TEXT_MAX, "e.g. 14000 or 0.45");
        break;
    default:
        break;
    }
}

/* The drop-down list of field f's Chinese values (a yes/no field: 是,
 * 否) under column col, warning (not stopping) on another value: import
 * also takes the English values and the other Chinese names. */
static void
s_list(s_xlsx_t *x, lxw_worksheet *ws, lxw_col_t col, const s_col_t *c)
{
    char names[S_LIST_MAX][64];
    char *list[S_LIST_MAX + 1];
    size_t n = 0;
    if (c->field->type == PROTO_FT_BOOL) {
        snprintf(names[n++], sizeof names[0], "是");
        snprintf(names[n++], sizeof names[0], "否");
    }
    for (size_t i = 0; c->field->type == PROTO_FT_ENUM && c->field->values[i] &&
                       n < S_LIST_MAX;
         i++)
        s_first(c->field->values_zh ? c->field->values_zh[i]
                                    : c->field->values[i],
                names[n++], sizeof names[0]);
    for (size_t i = 0; i < n; i++)
        list[i] = names[i];
    list[n] = NULL;
    lxw_data_validation dv = {
        .validate = LXW_VALIDATION_TYPE_LIST,
        .value_list = list,
        .error_type = LXW_VALIDATION_ERROR_TYPE_WARNING,
        .error_title = "不在列表中 not in the list",
        .error_message = "请从下拉列表选择；另见“填表说明”。Pick a value "
                         "from the list; see the 填表说明 sheet.",
    };
    s_check(x, worksheet_data_validation_range(ws, 1, col, LXW_ROW_MAX - 1, col,
                                               &dv));
}

/* Whole-number limits under column col: a number's range (stop), a
 * year's 2000..2100 (warn: a date cell is read as its year too). */
static void
s_range(s_xlsx_t *x, lxw_worksheet *ws, lxw_col_t col, const s_col_t *c)
{
    bool year = c->field->type == PROTO_FT_YEAR;
    lxw_data_validation dv = {
        .validate = LXW_VALIDATION_TYPE_INTEGER,
        .criteria = LXW_VALIDATION_CRITERIA_BETWEEN,
        .minimum_number = year ? 2000 : (double)c->field->min,
        .maximum_number = year ? 2100 : (double)c->field->max,
        .error_type = year ? LXW_VALIDATION_ERROR_TYPE_WARNING
                           : LXW_VALIDATION_ERROR_TYPE_STOP,
        .error_title = "超出范围 out of range",
        .error_message = year ? "请填写 2000 至 2100 的年份，如 2024。Enter a "
                                "year from 2000 to 2100, e.g. 2024."
                              : "请填写允许范围内的整数，见“填表说明”。Enter "
                                "a whole number in range: see 填表说明.",
    };
    s_check(x, worksheet_data_validation_range(ws, 1, col, LXW_ROW_MAX - 1, col,
                                               &dv));
}

/* The ID number column's prompt: text, all 18 characters. */
static void
s_id_prompt(s_xlsx_t *x, lxw_worksheet *ws, lxw_col_t col)
{
    lxw_data_validation dv = {
        .validate = LXW_VALIDATION_TYPE_ANY,
        .input_title = "身份证号 ID number",
        .input_message = "18 位，按文本填写（本列已设为文本格式）。18 "
                         "characters, as text (the column is text).",
    };
    s_check(x, worksheet_data_validation_range(ws, 1, col, LXW_ROW_MAX - 1, col,
                                               &dv));
}

/* The data sheet: headers, formats, lists. */
static void
s_data_sheet(s_xlsx_t *x, const proto_kind_def_t *k, const s_col_t *c, size_t n)
{
    lxw_worksheet *ws = workbook_add_worksheet(x->wb, k->zh);
    if (!ws) {
        s_check(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        lxw_col_t col = (lxw_col_t)i;
        double width = strcmp(c[i].name, "id_number") == 0 ? 22 : 14;
        s_check(x, worksheet_set_column(ws, col, col, width,
                                        c[i].text ? x->text : NULL));
        s_check(x, worksheet_write_string(ws, 0, col, c[i].header,
                                          c[i].required ? x->req : x->head));
        if (!strcmp(c[i].name, "id_number"))
            s_id_prompt(x, ws, col);
        else if (c[i].field && (c[i].field->type == PROTO_FT_ENUM ||
                                c[i].field->type == PROTO_FT_BOOL))
            s_list(x, ws, col, &c[i]);
        else if (c[i].field && (c[i].field->type == PROTO_FT_INT ||
                                c[i].field->type == PROTO_FT_YEAR))
            s_range(x, ws, col, &c[i]);
    }
    worksheet_freeze_panes(ws, 1, 0);
}

/* One row of the explanation sheet for column c. */
static void
s_note_row(s_xlsx_t *x, lxw_worksheet *ws, lxw_row_t r, const s_col_t *c)
{
    char tz[S_TEXT_MAX], te[S_TEXT_MAX], vz[S_TEXT_MAX], ve[S_TEXT_MAX];
    char alt[S_TEXT_MAX];
    s_describe(c, tz, te, vz, ve);
    snprintf(alt, sizeof alt, "%s", c->alt ? c->alt : "");
    for (char *p = alt; (p = strchr(p, '|')); p++)
        *p = ',';
    const char *cells[] = {
        c->header, alt, c->name, c->zh, c->en, c->required ? "是 yes" : "否 no",
        tz,        te,  vz,      ve};
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++)
        s_check(x,
                worksheet_write_string(ws, r, (lxw_col_t)i, cells[i], x->wrap));
}

/* The explanation sheet. */
static void
s_notes_sheet(s_xlsx_t *x, const proto_kind_def_t *k, const s_col_t *c,
              size_t n)
{
    static const char *const head[] = {
        "列名 column", "也可写作 other names", "字段 field", "含义",
        "meaning",     "必填 required",        "类型",       "type",
        "取值",        "values or range"};
    static const double width[] = {14, 18, 16, 30, 30, 10, 10, 12, 40, 40};
    lxw_worksheet *ws = workbook_add_worksheet(x->wb, S_NOTES);
    if (!ws) {
        s_check(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (lxw_col_t i = 0; i < 10; i++) {
        s_check(x, worksheet_set_column(ws, i, i, width[i], NULL));
        s_check(x, worksheet_write_string(ws, 0, i, head[i], x->head));
    }
    for (size_t i = 0; i < n; i++)
        s_note_row(x, ws, (lxw_row_t)(i + 1), &c[i]);
    char line[S_TEXT_MAX];
    lxw_row_t r = (lxw_row_t)n + 2;
    snprintf(line, sizeof line,
             "在第一张工作表“%s”中每行填一条记录，表头勿改；黄色表头为必填。"
             "导入：vocfed import %s 文件.xlsx",
             k->zh, k->name);
    s_check(x, worksheet_write_string(ws, r, 0, line, NULL));
    snprintf(line, sizeof line,
             "Fill one record per row on the first sheet (%s); keep the "
             "header; yellow headers are required. Import: vocfed import %s "
             "FILE.xlsx",
             k->zh, k->name);
    s_check(x, worksheet_write_string(ws, r + 1, 0, line, NULL));
    worksheet_freeze_panes(ws, 1, 0);
}

int
cmd_template_xlsx(const proto_kind_def_t *k, const char *path)
{
    s_col_t c[S_COLS_MAX];
    size_t n = s_columns(k, c);
    s_xlsx_t x = {.wb = workbook_new(path)};
    if (!x.wb)
        return VOCFED_ENOMEM;
    x.head = workbook_add_format(x.wb);
    x.req = workbook_add_format(x.wb);
    x.text = workbook_add_format(x.wb);
    x.wrap = workbook_add_format(x.wb);
    if (!x.head || !x.req || !x.text || !x.wrap) {
        workbook_close(x.wb);
        return VOCFED_ENOMEM;
    }
    format_set_bold(x.head);
    format_set_bold(x.req);
    format_set_bg_color(x.req, 0xFFF2CC); /* light yellow */
    format_set_num_format(x.text, "@");
    format_set_text_wrap(x.wrap);
    format_set_align(x.wrap, LXW_ALIGN_VERTICAL_TOP);
    s_data_sheet(&x, k, c, n);
    s_notes_sheet(&x, k, c, n);
    lxw_error e = workbook_close(x.wb);
    s_check(&x, e);
    if (x.err == LXW_ERROR_MEMORY_MALLOC_FAILED)
        return VOCFED_ENOMEM;
    return x.err == LXW_NO_ERROR ? 0 : -EIO;
}
