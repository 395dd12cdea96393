/* vocfed: the record kinds table (DESIGN 6, SPEC 11). */
#include "protocol/kinds.h"
#include "protocol/hash.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define ENUM(n_, r_, v_, z_, a_, e_)                                           \
    {                                                                          \
        .name = n_, .name_len = sizeof(n_) - 1, .type = PROTO_FT_ENUM,         \
        .required = r_, .values = v_, .values_zh = v_##_zh, .zh = z_,          \
        .zh_alt = a_, .en = e_                                                 \
    }
#define STR(n_, r_, z_, a_, e_)                                                \
    {                                                                          \
        .name = n_, .name_len = sizeof(n_) - 1, .type = PROTO_FT_STR,          \
        .required = r_, .zh = z_, .zh_alt = a_, .en = e_                       \
    }
#define INT(n_, r_, lo_, hi_, z_, a_, e_)                                      \
    {                                                                          \
        .name = n_, .name_len = sizeof(n_) - 1, .type = PROTO_FT_INT,          \
        .required = r_, .min = lo_, .max = hi_, .zh = z_, .zh_alt = a_,        \
        .en = e_                                                               \
    }
#define TYPED(n_, t_, r_, z_, a_, e_)                                          \
    {                                                                          \
        .name = n_, .name_len = sizeof(n_) - 1, .type = t_, .required = r_,    \
        .zh = z_, .zh_alt = a_, .en = e_                                       \
    }

/* ---- enumerations -----------------------------------------------------
 * Each list of values has its Chinese names beside it (NAME_zh, one entry
 * per value, '|'-separated, the first the display name), taken from the
 * national student-status system (学籍), the education statistics forms
 * (教育统计报表) and the HR forms schools fill in. Import and put take
 * either; what is stored is the English value. */

static const char *const s_roles[] = {
    "lead",          "backbone", "consortium",    "enterprise", "government",
    "industry_body", "research", "county_school", "school",     NULL};
static const char *const s_roles_zh[] = {
    "龙头|牵头单位", "骨干",     "产教联合体",      "企业", "政府部门|政府",
    "行业组织",      "科研院所", "县域中职|县中职", "学校", NULL};
static const char *const s_major_level[] = {"secondary", "higher",
                                            "undergraduate", NULL};
static const char *const s_major_level_zh[] = {
    "中职|中等职业教育|中专|中职层次",
    "高职|高职专科|专科|高等职业教育|高职层次",
    "本科|职业本科|本科层次职业教育", NULL};
static const char *const s_major_status[] = {"active", "closed", NULL};
static const char *const s_major_status_zh[] = {"在招|招生|正常",
                                                "停招|撤销|停办", NULL};
static const char *const s_pathway[] = {"regular", "three_plus_two",
                                        "five_year", "apprenticeship", NULL};
static const char *const s_pathway_zh[] = {
    "普通|常规|三年制", "三二分段|3+2|三加二", "五年一贯制|五年制",
    "现代学徒制|学徒制", NULL};
static const char *const s_student_status[] = {
    "enrolled", "suspended", "graduated", "withdrawn", "transferred", NULL};
static const char *const s_student_status_zh[] = {
    "在籍|在校|在读|正常", "休学", "毕业|已毕业", "退学", "转学|转出", NULL};
static const char *const s_destination[] = {
    "employed",   "flexible", "self_employed", "further_study", "army",
    "unemployed", NULL};
static const char *const s_destination_zh[] = {
    "就业|协议就业|签约就业|单位就业",
    "灵活就业",
    "自主创业|创业",
    "升学|继续升学|升学深造",
    "参军|入伍|应征入伍",
    "待就业|未就业",
    NULL};
static const char *const s_staff_category[] = {
    "fulltime_teacher", "enterprise_adjunct", "admin", NULL};
static const char *const s_staff_category_zh[] = {
    "专任教师", "企业兼职教师|兼职教师|产业导师", "行政人员|管理人员|教辅人员",
    NULL};
static const char *const s_course_type[] = {"public", "professional", NULL};
static const char *const s_course_type_zh[] = {"公共基础课|公共课",
                                               "专业课|专业（技能）课", NULL};
static const char *const s_post[] = {"authorised", "self_hired", "contract",
                                     NULL};
static const char *const s_post_zh[] = {
    "编制内|在编|事业编制", "自主招聘|备案制", "合同制|聘用|编外", NULL};
static const char *const s_dual[] = {"none", "junior", "mid", "senior", NULL};
static const char *const s_dual_zh[] = {"无|否|非双师型", "初级", "中级",
                                        "高级", NULL};
static const char *const s_training_type[] = {
    "enterprise_staff", "continuing_ed", "pre_job", "upskilling",
    "certification",    "rural",         NULL};
static const char *const s_training_type_zh[] = {
    "企业职工培训",
    "继续教育",
    "岗前培训",
    "技能提升培训|技能提升",
    "职业技能等级认定|技能鉴定|考证培训",
    "农村劳动力培训|乡村振兴培训",
    NULL};
static const char *const s_coop_kind[] = {"order", "named", "apprenticeship",
                                          NULL};
static const char *const s_coop_kind_zh[] = {"订单班", "冠名班",
                                             "现代学徒制班|学徒制班", NULL};
static const char *const s_coop_status[] = {"active", "completed", "dissolved",
                                            NULL};
static const char *const s_coop_status_zh[] = {"在办|进行中", "结业|已完成",
                                               "解散|终止", NULL};
static const char *const s_college_level[] = {"none", "municipal", "provincial",
                                              "national", NULL};
static const char *const s_college_level_zh[] = {"无|未认定", "市级", "省级",
                                                 "国家级", NULL};
static const char *const s_consortium_level[] = {
    "county", "municipal", "provincial", "national", NULL};
static const char *const s_consortium_level_zh[] = {"县级", "市级", "省级",
                                                    "国家级", NULL};
static const char *const s_member_status[] = {"active", "suspended", "revoked",
                                              NULL};
static const char *const s_member_status_zh[] = {"正常|有效", "暂停",
                                                 "撤销|吊销", NULL};
/* What a claim asks the group to certify (认定, 措施 2, 9-11). */
static const char *const s_claim_subject[] = {
    "coop_class", "industry_college", "consortium", "dual_qualified",
    "enrolment",  "reform_project",   NULL};
static const char *const s_claim_subject_zh[] = {
    "校企合作班|校企合作班组建",
    "产业学院|产业学院认定",
    "产教联合体|产教联合体认定",
    "双师型教师|双师型教师认定|双师型",
    "招生规模|招生规模认定",
    "教学改革研究项目|教改项目|教改课题",
    NULL};
static const char *const s_decision[] = {"approved", "rejected", "revoked",
                                         NULL};
static const char *const s_decision_zh[] = {"认定|通过|批准", "不予认定|驳回",
                                            "撤销认定|撤销", NULL};
static const char *const s_project_level[] = {"school", "municipal",
                                              "provincial", "national", NULL};
static const char *const s_project_level_zh[] = {"校级", "市级", "省级",
                                                 "国家级", NULL};
static const char *const s_project_status[] = {"ongoing", "concluded",
                                               "terminated", NULL};
static const char *const s_project_status_zh[] = {"在研|进行中", "结题|已结题",
                                                  "终止|撤项", NULL};

/* ---- kinds --------------------------------------------------------------
 * Each field: its name, its Chinese display name and other Chinese header
 * names ('|'-separated, NULL for none), its English display name. */

static const proto_field_def_t s_member[] = {
    STR("name_zh", true, "中文名称", "单位名称|名称", "name (Chinese)"),
    STR("name_en", false, "英文名称", NULL, "name (English)"),
    ENUM("role", true, s_roles, "成员类型", "成员类别", "role"),
    STR("original_affiliation", true, "原隶属关系", "隶属关系|举办者",
        "original affiliation"),
    STR("unit_nature", false, "单位性质", NULL, "unit nature"),
    STR("funding_channel", false, "经费渠道", "经费来源", "funding channel"),
    TYPED("region_code", PROTO_FT_REGION, true, "行政区划代码",
          "所在地区划|区划代码", "region code"),
    TYPED("parents", PROTO_FT_LIST, false, "所属联合体", NULL,
          "parent members"),
};
static const proto_field_def_t s_major[] = {
    STR("name", true, "专业名称", NULL, "name"),
    ENUM("level", true, s_major_level, "层次", "培养层次|办学层次", "level"),
    TYPED("industries", PROTO_FT_LIST, false, "对接主导产业", "对接产业",
          "industries"),
    ENUM("status", true, s_major_status, "状态", "专业状态|招生状态", "status"),
};
static const proto_field_def_t s_student[] = {
    ENUM("level", true, s_major_level, "层次", "培养层次|办学层次|学历层次",
         "level"),
    STR("major", false, "专业代码", "专业", "major"),
    ENUM("pathway", false, s_pathway, "培养路径", "培养模式|学制类型",
         "pathway"),
    TYPED("intake_year", PROTO_FT_YEAR, true, "入学年份",
          "入学年度|入学年月|入学时间|入学日期", "intake year"),
    ENUM("status", true, s_student_status, "学籍状态", "在校状态|学生状态",
         "status"),
    STR("source_school", false, "生源学校", "毕业学校|初中毕业学校",
        "source school"),
    TYPED("origin_region", PROTO_FT_REGION, false, "生源地区划",
          "生源地|生源地代码|生源地区划代码", "origin region"),
    STR("coop_class", false, "校企合作班", "合作班级", "cooperation class"),
};
static const proto_field_def_t s_graduate[] = {
    ENUM("level", true, s_major_level, "层次", "培养层次|办学层次|学历层次",
         "level"),
    STR("major", false, "专业代码", "专业", "major"),
    TYPED("grad_year", PROTO_FT_YEAR, true, "毕业年份",
          "毕业年度|毕业年月|毕业时间|毕业日期|毕业届别", "graduation year"),
    ENUM("destination", true, s_destination, "毕业去向", "去向|就业去向",
         "destination"),
    TYPED("workplace_region", PROTO_FT_REGION, false, "就业地区划",
          "就业地|就业地区|就业地区代码", "workplace region"),
};
static const proto_field_def_t s_staff[] = {
    ENUM("category", true, s_staff_category, "人员类别", "教职工类别|人员类型",
         "category"),
    ENUM("course_type", false, s_course_type, "课程类型", "任教课程类型",
         "course type"),
    ENUM("post", false, s_post, "编制类型", "编制情况|用人形式", "post"),
    ENUM("dual_qualified", false, s_dual, "双师型等级", "双师型|双师型教师",
         "dual-qualified"),
    INT("practice_days_5y", false, 0, 1826, "五年企业实践天数",
        "近五年企业实践天数|企业实践天数", "practice days in 5 years"),
};
static const proto_field_def_t s_posts[] = {
    INT("authorised_posts", true, 0, 100000, "核定编制数", "编制数",
        "authorised posts"),
    INT("self_hired_posts", true, 0, 100000, "自主招聘数", NULL,
        "self-hired posts"),
};
static const proto_field_def_t s_training[] = {
    ENUM("type", true, s_training_type, "培训类型", "培训类别", "type"),
    TYPED("year", PROTO_FT_YEAR, true, "年度", "年份|培训年度", "year"),
    INT("completed", true, 0, 10000000, "完成人次", "培训人次", "person-times"),
    STR("co_providers", false, "合作举办方", "合作单位", "co-providers"),
    TYPED("online", PROTO_FT_BOOL, false, "线上", "是否线上", "online"),
};
static const proto_field_def_t s_coop_class[] = {
    STR("enterprise", true, "合作企业", "企业名称", "enterprise"),
    STR("major", false, "专业代码", "专业", "major"),
    TYPED("cohort_year", PROTO_FT_YEAR, true, "开班年份", "开班年度",
          "cohort year"),
    INT("students_at_start", true, 0, 10000, "开班人数", "学生人数",
        "students at start"),
    ENUM("kind", true, s_coop_kind, "班型", "合作班类型", "kind"),
    ENUM("status", false, s_coop_status, "状态", NULL, "status"),
};
static const proto_field_def_t s_industry_college[] = {
    STR("name", true, "名称", "产业学院名称", "name"),
    STR("industry", false, "对接产业", NULL, "industry"),
    ENUM("level", true, s_college_level, "认定级别", "级别", "level"),
    TYPED("recognised_year", PROTO_FT_YEAR, false, "认定年份", "认定年度",
          "recognised year"),
};
static const proto_field_def_t s_consortium[] = {
    STR("name", true, "名称", "联合体名称", "name"),
    STR("park", false, "园区", NULL, "park"),
    ENUM("level", true, s_consortium_level, "认定级别", "级别", "level"),
    TYPED("recognised_year", PROTO_FT_YEAR, false, "认定年份", "认定年度",
          "recognised year"),
};
static const proto_field_def_t s_industry[] = {
    STR("name_zh", true, "产业名称", NULL, "name (Chinese)"),
    STR("name_en", false, "英文名称", NULL, "name (English)"),
    TYPED("leading", PROTO_FT_BOOL, true, "主导产业", "是否主导产业",
          "leading"),
};
/* A source school (junior high, or another school students come from):
 * the payee the source-school incentive may name (措施 15, SPEC 12.3). */
static const proto_field_def_t s_school[] = {
    STR("name", true, "学校名称", NULL, "name"),
    TYPED("region_code", PROTO_FT_REGION, true, "行政区划代码",
          "区划代码|所在地区划", "region code"),
};
static const proto_field_def_t s_target[] = {
    TYPED("value", PROTO_FT_DECIMAL, true, "目标值", NULL, "target value"),
};
/* The day of a year on which the report counts its stocks (students in
 * school, posts, staff shares) for that year once it is past (SPEC
 * 12.5): key a year, or "default" for every year without its own. */
static const proto_field_def_t s_census_date[] = {
    INT("month", true, 1, 12, "月", NULL, "month"),
    INT("day", true, 1, 31, "日", NULL, "day"),
};
static const proto_field_def_t s_subsidy_rule[] = {
    INT("amount", true, 0, 100000000, "金额（元）", "金额", "amount (yuan)"),
    INT("threshold", false, 0, 100000, "门槛", NULL, "threshold"),
    INT("budget", false, 0, 1000000000, "年度预算（元）", "年度预算",
        "budget (yuan)"),
};
/* A member's claim for certification and money (措施 2, 9-11; SPEC
 * 11.6): what it claims (subject, and record: the key of the claimed
 * record of the member's own log), the year, the amount asked. */
static const proto_field_def_t s_claim[] = {
    ENUM("subject", true, s_claim_subject, "申报事项", "认定事项|申报类型",
         "subject"),
    STR("record", false, "申报对象代码", "对象代码|记录代码", "record"),
    TYPED("year", PROTO_FT_YEAR, true, "申报年度", "年度|年份", "year"),
    INT("amount", false, 0, 100000000, "申请金额（元）", "申请金额",
        "amount asked (yuan)"),
    INT("quantity", false, 0, 10000000, "申报数量", "数量|人数", "quantity"),
    TYPED("attachments", PROTO_FT_LIST, false, "附件哈希", "附件",
          "attachments (hashes)"),
    STR("note", false, "说明", "备注", "note"),
};
/* A teaching-reform research project (教学改革研究项目, 措施 2). */
static const proto_field_def_t s_reform_project[] = {
    STR("name", true, "项目名称", "课题名称|名称", "name"),
    ENUM("level", true, s_project_level, "立项级别", "级别", "level"),
    TYPED("year", PROTO_FT_YEAR, true, "立项年份", "立项年度|年度",
          "year started"),
    ENUM("status", false, s_project_status, "状态", "项目状态", "status"),
};
/* A county's graduates of one year (保障措施 三), from a government
 * member: the denominators of the county assessment. */
static const proto_field_def_t s_county_stat[] = {
    TYPED("region_code", PROTO_FT_REGION, true, "行政区划代码",
          "区划代码|县区代码", "region code"),
    TYPED("year", PROTO_FT_YEAR, true, "年度", "年份|毕业年度", "year"),
    INT("junior_grads", true, 0, 10000000, "初中毕业生数", "初中毕业生",
        "junior-high graduates"),
    INT("high_grads", true, 0, 10000000, "高中毕业生数", "高中毕业生",
        "high-school graduates"),
};
/* A public training base (公共实训基地, 措施 14). */
static const proto_field_def_t s_training_base[] = {
    STR("name", true, "基地名称", "名称", "name"),
    ENUM("level", true, s_project_level, "级别", "认定级别", "level"),
    TYPED("year", PROTO_FT_YEAR, false, "建成年份", "认定年份|年度", "year"),
    TYPED("shared", PROTO_FT_BOOL, false, "是否共享", "共享", "shared"),
};
/* A skill-master studio (技能大师工作室, 措施 14, 17). */
static const proto_field_def_t s_master_studio[] = {
    STR("name", true, "工作室名称", "名称", "name"),
    ENUM("level", true, s_project_level, "级别", "认定级别", "level"),
    TYPED("year", PROTO_FT_YEAR, false, "认定年份", "年度", "year"),
};
/* The secretariat's decision on one claim (SPEC 11.6): key
 * <member>/<claim>; it names the exact entries it decided. */
static const proto_field_def_t s_certification[] = {
    ENUM("decision", true, s_decision, "认定结果", "结果", "decision"),
    ENUM("subject", true, s_claim_subject, "申报事项", NULL, "subject"),
    TYPED("year", PROTO_FT_YEAR, true, "申报年度", NULL, "year"),
    INT("claim_seq", true, 1, 1000000000000000, "申报条目序号", NULL,
        "claim entry seq"),
    STR("claim_hash", true, "申报条目哈希", NULL, "claim entry hash"),
    STR("record_kind", false, "对象类型", NULL, "record kind"),
    STR("record_key", false, "对象代码", NULL, "record key"),
    INT("record_seq", false, 1, 1000000000000000, "对象条目序号", NULL,
        "record entry seq"),
    STR("record_hash", false, "对象条目哈希", NULL, "record entry hash"),
    INT("amount", false, 0, 100000000, "核定金额（元）", NULL,
        "amount approved (yuan)"),
    STR("note", false, "说明", NULL, "note"),
};
/* A payment against an approval (SPEC 11.6): key
 * <member>/<claim>/<voucher>. */
static const proto_field_def_t s_payment[] = {
    INT("amount", true, 1, 100000000, "支付金额（元）", NULL,
        "amount paid (yuan)"),
    STR("date", true, "支付日期", NULL, "date"),
    INT("decision_seq", true, 1, 1000000000000000, "认定条目序号", NULL,
        "approval entry seq"),
    STR("note", false, "说明", NULL, "note"),
};
static const proto_field_def_t s_member_key[] = {
    STR("pubkey", true, "公钥", NULL, "public key"),
    STR("name", false, "名称", NULL, "name"),
    STR("role", false, "成员类型", NULL, "role"),
    ENUM("status", true, s_member_status, "状态", NULL, "status"),
    /* the log size from which pubkey signs: a key replaced (SPEC 10.1) */
    INT("key_from", false, 0, INT64_MAX, "密钥起用规模", NULL, "key from size"),
};

/* KIND(name, key help, zh, en, coordinator_only, fields, form, fixed,
 * year field, CSV key column, its Chinese names, person) */
#define KIND(n_, k_, z_, e_, c_, f_, form_, fix_, y_, col_, colzh_, p_)        \
    {                                                                          \
        .name = n_, .key = k_, .zh = z_, .en = e_, .coordinator_only = c_,     \
        .fields = f_, .nfields = N(f_), .key_form = form_, .key_fixed = fix_,  \
        .key_year = y_, .key_column = col_, .key_column_zh = colzh_,           \
        .person = p_                                                           \
    }

static const proto_kind_def_t s_kinds[] = {
    KIND("member", "profile", "成员档案", "member profile", false, s_member,
         PROTO_KEY_FIXED, "profile", NULL, NULL, NULL, false),
    KIND("major", "code", "专业", "major", false, s_major, PROTO_KEY_TEXT, NULL,
         NULL, "code", "专业代码|代码", false),
    KIND("student", "pseudo_id", "学生", "student", false, s_student,
         PROTO_KEY_PSEUDO, NULL, NULL, "pseudo_id", NULL, true),
    KIND("graduate", "pseudo_id:grad_year", "毕业生", "graduate", false,
         s_graduate, PROTO_KEY_PSEUDO_YEAR, NULL, "grad_year", "pseudo_id",
         NULL, true),
    KIND("staff", "pseudo_id", "教职工", "staff", false, s_staff,
         PROTO_KEY_PSEUDO, NULL, NULL, "pseudo_id", NULL, true),
    KIND("posts", "year", "编制", "posts", false, s_posts, PROTO_KEY_YEAR, NULL,
         NULL, "year", "年度|年份", false),
    KIND("training", "activity code", "培训", "training", false, s_training,
         PROTO_KEY_TEXT, NULL, NULL, "code", "项目代码|培训项目代码|代码",
         false),
    KIND("coop_class", "code", "校企合作班", "cooperation class", false,
         s_coop_class, PROTO_KEY_TEXT, NULL, NULL, "code", "班级代码|代码",
         false),
    KIND("industry_college", "code", "产业学院", "industry college", false,
         s_industry_college, PROTO_KEY_TEXT, NULL, NULL, "code", "代码", false),
    KIND("consortium", "code", "产教联合体", "industry-education consortium",
         false, s_consortium, PROTO_KEY_TEXT, NULL, NULL, "code", "代码",
         false),
    KIND("industry", "code", "主导产业", "leading industry", true, s_industry,
         PROTO_KEY_TEXT, NULL, NULL, "code", "产业代码|代码", false),
    KIND("school", "school code", "生源学校", "source school", true, s_school,
         PROTO_KEY_TEXT, NULL, NULL, "code", "学校代码|学校标识码|代码", false),
    KIND("target", "figure id:year", "目标", "target", true, s_target,
         PROTO_KEY_TEXT, NULL, NULL, NULL, NULL, false),
    KIND("subsidy_rule", "figure id[:from year]", "奖补规则", "subsidy rule",
         true, s_subsidy_rule, PROTO_KEY_TEXT, NULL, NULL, NULL, NULL, false),
    KIND("census_date", "year, or default", "统计时点", "census date", true,
         s_census_date, PROTO_KEY_TEXT, NULL, NULL, NULL, NULL, false),
    KIND("member_key", "member id", "成员密钥", "member key", true,
         s_member_key, PROTO_KEY_TEXT, NULL, NULL, NULL, NULL, false),
    KIND("claim", "claim code", "认定申报", "claim", false, s_claim,
         PROTO_KEY_TEXT, NULL, NULL, "code", "申报编号|编号|代码", false),
    KIND("reform_project", "code", "教学改革研究项目",
         "teaching-reform project", false, s_reform_project, PROTO_KEY_TEXT,
         NULL, NULL, "code", "项目编号|代码", false),
    KIND("county_stat", "region code:year", "县区毕业生统计",
         "county graduates", false, s_county_stat, PROTO_KEY_TEXT, NULL, NULL,
         NULL, NULL, false),
    KIND("training_base", "code", "公共实训基地", "training base", false,
         s_training_base, PROTO_KEY_TEXT, NULL, NULL, "code", "基地代码|代码",
         false),
    KIND("master_studio", "code", "技能大师工作室", "skill-master studio",
         false, s_master_studio, PROTO_KEY_TEXT, NULL, NULL, "code",
         "工作室代码|代码", false),
    KIND("certification", "member/claim code", "认定决定", "certification",
         true, s_certification, PROTO_KEY_TEXT, NULL, NULL, NULL, NULL, false),
    KIND("payment", "member/claim code/voucher", "补助支付", "payment", true,
         s_payment, PROTO_KEY_TEXT, NULL, NULL, NULL, NULL, false),
};

/* Chinese names of enumeration values, for reports. */
static const struct {
    const char *value; /* enumeration value */
    const char *zh;    /* its display name */
} s_enum_zh[] = {
    {"lead", "龙头"},
    {"backbone", "骨干"},
    {"consortium", "产教联合体"},
    {"enterprise", "企业"},
    {"government", "政府部门"},
    {"industry_body", "行业组织"},
    {"research", "科研院所"},
    {"county_school", "县域中职"},
    {"school", "学校"},
    {"secondary", "中职"},
    {"higher", "高职"},
    {"undergraduate", "职业本科"},
    {"enrolled", "在校"},
    {"graduated", "毕业"},
    {"suspended", "休学"},
    {"withdrawn", "退学"},
    {"transferred", "转出"},
    {"employed", "就业"},
    {"flexible", "灵活就业"},
    {"self_employed", "自主创业"},
    {"further_study", "升学"},
    {"army", "参军"},
    {"unemployed", "待就业"},
    {"provincial", "省级"},
    {"national", "国家级"},
    {"municipal", "市级"},
    {"county", "县级"},
};

const proto_kind_def_t *
proto_kinds(size_t *n)
{
    *n = N(s_kinds);
    return s_kinds;
}

const proto_kind_def_t *
proto_kind_find(const char *name)
{
    for (size_t i = 0; i < N(s_kinds); i++)
        if (strcmp(s_kinds[i].name, name) == 0)
            return &s_kinds[i];
    return NULL;
}

const proto_field_def_t *
proto_kind_field(const proto_kind_def_t *k, const char *name, size_t len)
{
    /* Once per field of every entry checked: the first character turns
     * most away before any length is taken (name may hold a NUL). */
    for (size_t i = 0; i < k->nfields; i++) {
        const proto_field_def_t *d = &k->fields[i];
        if (len && d->name[0] == name[0] &&
            (d->name_len ? d->name_len : strnlen(d->name, len + 1)) == len &&
            memcmp(d->name, name, len) == 0)
            return d;
    }
    return NULL;
}

const char *
proto_enum_zh(const char *value)
{
    for (size_t i = 0; i < N(s_enum_zh); i++)
        if (strcmp(s_enum_zh[i].value, value) == 0)
            return s_enum_zh[i].zh;
    return value;
}

/* ---- reading text values ------------------------------------------------ */

static int s_refuse_n(proto_kind_error_t *err, const char *field,
                      const char *value, size_t vlen, const char *zh,
                      const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int s_refuse(proto_kind_error_t *err, const char *field,
                    const char *value, const char *zh, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int s_vrefuse(proto_kind_error_t *err, const char *field,
                     const char *value, size_t vlen, const char *zh,
                     const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

/* Fills err (when not NULL) and returns VOCFED_EINVALID: the field, the
 * first vlen bytes of value (cut to fit), and why. */
static int
s_vrefuse(proto_kind_error_t *err, const char *field, const char *value,
          size_t vlen, const char *zh, const char *fmt, va_list ap)
{
    if (!err)
        return VOCFED_EINVALID;
    snprintf(err->field, sizeof err->field, "%s", field);
    if (vlen >= sizeof err->value)
        vlen = sizeof err->value - 1;
    memcpy(err->value, value, vlen);
    err->value[vlen] = 0;
    vsnprintf(err->reason_en, sizeof err->reason_en, fmt, ap);
    snprintf(err->reason_zh, sizeof err->reason_zh, "%s", zh);
    return VOCFED_EINVALID;
}

/* A refusal naming value, of vlen bytes. */
static int
s_refuse_n(proto_kind_error_t *err, const char *field, const char *value,
           size_t vlen, const char *zh, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vrefuse(err, field, value, vlen, zh, fmt, ap);
    va_end(ap);
    return rc;
}

/* A refusal naming value, NUL-terminated. */
static int
s_refuse(proto_kind_error_t *err, const char *field, const char *value,
         const char *zh, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vrefuse(err, field, value, strlen(value), zh, fmt, ap);
    va_end(ap);
    return rc;
}

/* The predicates below take a length: text values (NUL-terminated) and
 * the values of an encoded body (not) go through the same ones. */
static bool
s_digits(const char *s, size_t n, size_t min, size_t max)
{
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* A whole number exactly as written: optional '-', digits, no leading
 * zeros (so "007" is refused rather than silently changed). */
static bool
s_int(const char *s, int64_t *out)
{
    const char *p = *s == '-' ? s + 1 : s;
    if (!*p || !s_digits(p, strlen(p), 1, 19) || (p[0] == '0' && p[1]))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool
s_decimal(const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);
    if (!dot)
        return s_digits(s, n, 1, 15);
    size_t ilen = (size_t)(dot - s);
    return s_digits(s, ilen, 1, 15) && s_digits(dot + 1, n - ilen - 1, 1, 6);
}

static bool
s_list_valid(const char *s, size_t len)
{
    /* tokens of printable text without spaces at their ends; empty ones
     * (";;") are refused */
    const char *p = s, *end = s + len;
    if (!len)
        return true;
    for (;;) {
        const char *q = memchr(p, ';', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        if (n == 0 || p[0] == ' ' || p[n - 1] == ' ')
            return false;
        if (!q)
            return true;
        p = q + 1;
    }
}

/* Appends len bytes of text to out (cap bytes, used so far *used);
 * nothing if they do not fit whole (no character is cut). */
static void
s_add(char *out, size_t cap, size_t *used, const char *text, size_t len)
{
    if (*used + len + 1 > cap)
        return;
    memcpy(out + *used, text, len);
    *used += len;
    out[*used] = 0;
}

/* The allowed values of an enumeration, English and Chinese (each
 * value's display name), for a refusal in either language. */
static void
s_allowed(const proto_field_def_t *f, char *en, size_t encap, char *zh,
          size_t zhcap)
{
    size_t ue = 0, uz = 0;
    en[0] = zh[0] = 0;
    for (size_t i = 0; f->values[i]; i++) {
        const char *z = f->values_zh ? f->values_zh[i] : f->values[i];
        size_t zl = strcspn(z, "|");
        s_add(en, encap, &ue, ", ", i ? 2 : 0);
        s_add(en, encap, &ue, f->values[i], strlen(f->values[i]));
        s_add(zh, zhcap, &uz, "、", i ? strlen("、") : 0);
        s_add(zh, zhcap, &uz, z, zl);
    }
}

bool
proto_names_has(const char *list, const char *s, size_t len)
{
    if (!list || !len)
        return false;
    for (const char *p = list;;) {
        size_t n = strcspn(p, "|");
        if (n == len && memcmp(p, s, len) == 0)
            return true;
        if (!p[n])
            return false;
        p += n + 1;
    }
}

const proto_field_def_t *
proto_kind_field_by_header(const proto_kind_def_t *k, const char *header,
                           size_t len)
{
    const proto_field_def_t *f = proto_kind_field(k, header, len);
    for (size_t i = 0; !f && i < k->nfields; i++) {
        const proto_field_def_t *g = &k->fields[i];
        if (proto_names_has(g->zh, header, len) ||
            proto_names_has(g->zh_alt, header, len) ||
            (strlen(g->en) == len && strncasecmp(g->en, header, len) == 0))
            f = g;
    }
    return f;
}

/* Reads 1 or 2 digits from *p (a month or a day) in [1, max]. */
static bool
s_small(const char **p, int max)
{
    int v = 0, n = 0;
    while (n < 2 && **p >= '0' && **p <= '9') {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n > 0 && v >= 1 && v <= max;
}

/* What may follow the year: "年[M月[D日]]" or "-M[-D]" ("/" and "."). */
static bool
s_year_rest(const char *p)
{
    static const char nian[] = "年", yue[] = "月", ri[] = "日";
    if (!strncmp(p, nian, strlen(nian))) {
        p += strlen(nian);
        if (!*p)
            return true;
        if (!s_small(&p, 12) || strncmp(p, yue, strlen(yue)))
            return false;
        p += strlen(yue);
        if (!*p)
            return true;
        return s_small(&p, 31) && !strcmp(p, ri);
    }
    char sep = *p;
    if (sep != '-' && sep != '/' && sep != '.')
        return false;
    p++;
    if (!s_small(&p, 12))
        return false;
    if (!*p)
        return true;
    if (*p++ != sep || !s_small(&p, 31))
        return false;
    /* a date-time as spreadsheets write it: "2024-09-01 00:00:00" */
    return !*p || *p == ' ' || *p == 'T';
}

bool
proto_kind_year(const char *text, int64_t *year)
{
    if (!s_digits(text, 4, 4, 4))
        return false;
    if (text[4] && !s_year_rest(text + 4))
        return false;
    *year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 +
            (text[2] - '0') * 10 + (text[3] - '0');
    return true;
}

/* A text value (STR, LIST, DECIMAL, REGION) of field f; utf8_known:
 * the text was read from a validated body, whose UTF-8 is checked. */
static int
s_value_text(const proto_field_def_t *f, const char *text, size_t len,
             bool utf8_known, proto_value_t *v, proto_kind_error_t *err)
{
    if (len > PROTO_STR_MAX || (!utf8_known && !proto_utf8_valid(text, len))) {
        char zh[96];
        snprintf(zh, sizeof zh, "不是有效的 UTF-8 文本，或超过 %d 字节",
                 PROTO_STR_MAX);
        return s_refuse_n(err, f->name, text, len, zh,
                          "not valid UTF-8 text of at most %d bytes",
                          PROTO_STR_MAX);
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return s_refuse_n(err, f->name, text, len, "含有控制字符",
                              "contains a control character");
    if (f->type == PROTO_FT_REGION && !s_digits(text, len, 6, 6))
        return s_refuse_n(err, f->name, text, len,
                          "应为 6 位行政区划代码（GB/T 2260），如 340803",
                          "expected a 6-digit GB/T 2260 region code, "
                          "e.g. 340803");
    if (f->type == PROTO_FT_DECIMAL && !s_decimal(text, len))
        return s_refuse_n(err, f->name, text, len,
                          "应为十进制数，如 14000 或 0.45",
                          "expected a decimal number, e.g. 14000 or 0.45");
    if (f->type == PROTO_FT_LIST && !s_list_valid(text, len))
        return s_refuse_n(err, f->name, text, len,
                          "应为以分号（;）分隔的非空项",
                          "expected non-empty items separated by ';'");
    v->type = PROTO_VAL_STR;
    v->s = text;
    v->slen = len;
    return VOCFED_OK;
}

/* A boolean value of field f. */
static int
s_value_bool(const proto_field_def_t *f, const char *text, proto_value_t *v,
             proto_kind_error_t *err)
{
    static const char *const yes[] = {"true", "1", "yes", "是"};
    static const char *const no[] = {"false", "0", "no", "否"};
    for (size_t i = 0; i < N(yes); i++)
        if (!strcmp(text, yes[i]) || !strcmp(text, no[i])) {
            v->type = PROTO_VAL_BOOL;
            v->b = !strcmp(text, yes[i]);
            return VOCFED_OK;
        }
    return s_refuse(err, f->name, text,
                    "应为 true 或 false（也可填 1/0、yes/no、是/否）",
                    "expected true or false (also 1/0, yes/no, 是/否)");
}

/* An enumeration value of field f, English or one of its Chinese names
 * (v borrows the table's English string). */
static int
s_value_enum(const proto_field_def_t *f, const char *text, size_t len,
             bool zh_ok, proto_value_t *v, proto_kind_error_t *err)
{
    char en[240], zh[240], why[PROTO_REASON_MAX];
    /* The English values first (what is stored, and what most files
     * hold), then the Chinese names: no Chinese name of a field is one
     * of its English values (test_enum_names_apart), so the order of the
     * two looks changes no answer. */
    for (int pass = 0; pass < (zh_ok && f->values_zh ? 2 : 1); pass++)
        for (size_t i = 0; f->values[i]; i++)
            if (pass ? proto_names_has(f->values_zh[i], text, len)
                     : strlen(f->values[i]) == len &&
                           !memcmp(f->values[i], text, len)) {
                v->type = PROTO_VAL_STR;
                v->s = f->values[i];
                v->slen = strlen(f->values[i]);
                return VOCFED_OK;
            }
    s_allowed(f, en, sizeof en, zh, sizeof zh);
    int n =
        snprintf(why, sizeof why, "不是允许的取值，应为：%s（或 %s）", zh, en);
    if (n < 0 || (size_t)n >= sizeof why)
        why[0] = 0; /* cannot happen with the table's values; the English
                       half still says it */
    return s_refuse_n(err, f->name, text, len, why, "not one of: %s (or %s)",
                      en, zh);
}

/* A whole number or a year of field f. */
static int
s_value_int(const proto_field_def_t *f, const char *text, proto_value_t *v,
            proto_kind_error_t *err)
{
    char zh[PROTO_REASON_MAX];
    int64_t x;
    if (f->type == PROTO_FT_YEAR) {
        if (proto_kind_year(text, &x) && x >= 2000 && x <= 2100)
            goto ok;
        return s_refuse(err, f->name, text,
                        "应为 2000 至 2100 之间的年份（可填 2024、2024年、"
                        "2024-09-01 或 2024/9/1）",
                        "expected a year from 2000 to 2100 (2024, 2024年, "
                        "2024-09-01 or 2024/9/1)");
    }
    if (s_int(text, &x) && x >= f->min && x <= f->max)
        goto ok;
    snprintf(zh, sizeof zh, "应为 %lld 至 %lld 之间的整数", (long long)f->min,
             (long long)f->max);
    return s_refuse(err, f->name, text, zh,
                    "expected a whole number from %lld to %lld",
                    (long long)f->min, (long long)f->max);
ok:
    v->type = PROTO_VAL_INT;
    v->i = x;
    return VOCFED_OK;
}

/* Parses one value of field f, text of len bytes (NUL-terminated), into
 * v (strings borrow text). */
static int
s_value(const proto_field_def_t *f, const char *text, size_t len,
        proto_value_t *v, proto_kind_error_t *err)
{
    memset(v, 0, sizeof *v);
    switch (f->type) {
    case PROTO_FT_STR:
    case PROTO_FT_LIST:
    case PROTO_FT_DECIMAL:
    case PROTO_FT_REGION:
        return s_value_text(f, text, len, false, v, err);
    case PROTO_FT_INT:
    case PROTO_FT_YEAR:
        return s_value_int(f, text, v, err);
    case PROTO_FT_BOOL:
        return s_value_bool(f, text, v, err);
    case PROTO_FT_ENUM:
        return s_value_enum(f, text, len, true, v, err);
    }
    return VOCFED_EINVALID;
}

/* 64 lowercase hex digits: what node_pseudo_id makes. */
static bool
s_pseudo_id(const char *s, size_t len)
{
    return len == 64 && proto_hex_lower_valid(s, len);
}

size_t
proto_kind_person_len(const proto_kind_def_t *k, const char *key)
{
    if (!k->person)
        return 0;
    const char *colon =
        k->key_form == PROTO_KEY_PSEUDO_YEAR ? strchr(key, ':') : NULL;
    return colon ? (size_t)(colon - key) : strlen(key);
}

/* The year that ends a key (2000..2100). */
static bool
s_key_year(const char *s)
{
    int64_t y;
    return s_int(s, &y) && y >= 2000 && y <= 2100;
}

/* proto_kind_check_key; key_known: the key is one a decoded entry
 * holds, which decode found valid (proto_key_valid). */
static int
s_check_key(const proto_kind_def_t *k, const char *key, size_t len,
            bool key_known, proto_kind_error_t *err)
{
    const char *colon;
    const proto_field_def_t *yf;
    char zh[160];
    if (!key_known && !proto_key_valid(key, len))
        return s_refuse(err, "", key, "键无效（1–256 字节可打印 UTF-8）",
                        "not a valid key (printable UTF-8, 1-256 bytes)");
    switch (k->key_form) {
    case PROTO_KEY_TEXT:
        break;
    case PROTO_KEY_YEAR:
        if (s_key_year(key))
            break;
        snprintf(zh, sizeof zh, "%s记录的键应为年份", k->zh);
        return s_refuse(err, "", key, zh, "the key of %s is a year (2000-2100)",
                        k->name);
    case PROTO_KEY_FIXED:
        if (strcmp(key, k->key_fixed) == 0)
            break;
        snprintf(zh, sizeof zh, "%s的键应为 %s", k->zh, k->key_fixed);
        return s_refuse(err, "", key, zh, "the key of %s is '%s'", k->name,
                        k->key_fixed);
    case PROTO_KEY_PSEUDO_YEAR:
        colon = strchr(key, ':');
        if (colon && s_pseudo_id(key, (size_t)(colon - key)) &&
            s_key_year(colon + 1))
            break;
        yf = proto_kind_field(k, k->key_year, strlen(k->key_year));
        snprintf(zh, sizeof zh, "%s记录的键应为 pseudo_id:%s", k->zh,
                 yf ? yf->zh : k->key_year);
        return s_refuse(err, "", key, zh,
                        "the key of %s is pseudo_id:%s "
                        "(pseudo_id: 64 hex digits)",
                        k->name, k->key_year);
    case PROTO_KEY_PSEUDO:
        /* People are known by pseudonyms only: an ID-card number or a
         * name must never be a key (DESIGN 2, invariant 5). */
        if (s_pseudo_id(key, len))
            break;
        return s_refuse(err, "", key,
                        "人员记录的键应为 pseudo_id（64 位十六进制，由 "
                        "vocfed import 从身份证号生成）",
                        "the key of %s is a pseudo_id: 64 lowercase hex "
                        "digits (vocfed import makes it from the ID "
                        "number)",
                        k->name);
    }
    return VOCFED_OK;
}

int
proto_kind_check_key(const proto_kind_def_t *k, const char *key,
                     proto_kind_error_t *err)
{
    return s_check_key(k, key, strlen(key), false, err);
}

/* The refusal of a field k does not have. */
static int
s_no_field(const proto_kind_def_t *k, const char *name, const char *value,
           size_t vlen, proto_kind_error_t *err)
{
    char en[400], zh[PROTO_REASON_MAX];
    size_t ue = 0, uz = 0;
    en[0] = zh[0] = 0;
    for (size_t j = 0; j < k->nfields; j++) {
        const proto_field_def_t *f = &k->fields[j];
        s_add(en, sizeof en, &ue, ", ", j ? 2 : 0);
        s_add(en, sizeof en, &ue, f->name, strlen(f->name));
        s_add(zh, sizeof zh, &uz, "、", j ? strlen("、") : 0);
        s_add(zh, sizeof zh, &uz, f->zh, strlen(f->zh));
    }
    char why[PROTO_REASON_MAX];
    int n = snprintf(why, sizeof why, "%s没有字段“%s”，其字段为：%s", k->zh,
                     name, zh);
    if (n < 0 || (size_t)n >= sizeof why)
        snprintf(why, sizeof why, "%s没有字段“%.64s”", k->zh, name);
    return s_refuse_n(err, name, value, vlen, why,
                      "%s has no field '%s'; its fields: %s", k->name, name,
                      en);
}

/* Records a problem in errs[*n] while there is room; counts it. */
static void
s_note(proto_kind_error_t *errs, size_t errcap, size_t *n,
       const proto_kind_error_t *e)
{
    if (*n < errcap) {
        if (errs)
            errs[*n] = *e;
        (*n)++;
    }
}

/* proto_kind_body_all, and proto_kind_body_defs when defs and lens are
 * given (names then unread). */
static int
s_body_all(const proto_kind_def_t *k, const proto_field_def_t *const *defs,
           const char *const *names, const char *const *values,
           const size_t *lens, size_t n, proto_buf_t *out,
           proto_kind_error_t *errs, size_t errcap, size_t *nerrs)
{
    proto_field_t fields[64];
    proto_kind_error_t e;
    size_t nf = 0, ne = 0;
    bool seen[64] = {false}, bad[64] = {false}, given[64] = {false};
    *nerrs = 0;
    if (k->nfields > 64 || n > 64) {
        (void)s_refuse(&e, "", "", "字段过多（最多 64 个）",
                       "too many fields (at most 64)");
        s_note(errs, errcap, nerrs, &e);
        return VOCFED_EINVALID;
    }
    for (size_t i = 0; i < n; i++) {
        const proto_field_def_t *f =
            defs ? defs[i] : proto_kind_field(k, names[i], strlen(names[i]));
        size_t vlen = lens ? lens[i] : strlen(values[i]);
        if (!f) {
            (void)s_no_field(k, names[i], values[i], vlen, &e);
            s_note(errs, errcap, &ne, &e);
            continue;
        }
        size_t idx = (size_t)(f - k->fields);
        if (seen[idx]) {
            (void)s_refuse(&e, f->name, values[i], "字段重复",
                           "field given twice");
            s_note(errs, errcap, &ne, &e);
            continue;
        }
        seen[idx] = true;
        if (!values[i][0])
            continue; /* empty: absent */
        if (s_value(f, values[i], vlen, &fields[nf].value, &e)) {
            s_note(errs, errcap, &ne, &e);
            bad[idx] = true;
            continue;
        }
        fields[nf].name = f->name;
        fields[nf].name_len = f->name_len ? f->name_len : strlen(f->name);
        nf++;
        given[idx] = true;
    }
    for (size_t j = 0; j < k->nfields; j++) {
        if (k->fields[j].required && !given[j] && !bad[j]) {
            char zh[160];
            snprintf(zh, sizeof zh, "缺少必填字段（%s）", k->fields[j].zh);
            (void)s_refuse(&e, k->fields[j].name, "", zh,
                           "required field is missing");
            s_note(errs, errcap, &ne, &e);
        }
    }
    /* Names from the table, values checked by their rules (s_value). */
    if (!ne && proto_body_encode_checked(fields, nf, out)) {
        (void)s_refuse(&e, "", "", "记录无法编码",
                       "the record cannot be encoded");
        s_note(errs, errcap, &ne, &e);
    }
    *nerrs = ne;
    return ne ? VOCFED_EINVALID : VOCFED_OK;
}

int
proto_kind_body_all(const proto_kind_def_t *k, const char *const *names,
                    const char *const *values, size_t n, proto_buf_t *out,
                    proto_kind_error_t *errs, size_t errcap, size_t *nerrs)
{
    return s_body_all(k, NULL, names, values, NULL, n, out, errs, errcap,
                      nerrs);
}

int
proto_kind_body_defs(const proto_kind_def_t *k,
                     const proto_field_def_t *const *defs,
                     const char *const *values, const size_t *lens, size_t n,
                     proto_buf_t *out, proto_kind_error_t *errs, size_t errcap,
                     size_t *nerrs)
{
    return s_body_all(k, defs, NULL, values, lens, n, out, errs, errcap, nerrs);
}

int
proto_kind_body(const proto_kind_def_t *k, const char *const *names,
                const char *const *values, size_t n, proto_buf_t *out,
                proto_kind_error_t *err)
{
    size_t ne;
    proto_kind_error_t e;
    int rc = proto_kind_body_all(k, names, values, n, out, &e, 1, &ne);
    if (rc && err)
        *err = e;
    return rc;
}

/* ---- checking an encoded record ------------------------------------------ */

/* A value of the body as text for a refusal: a str as it is, else its
 * msgpack type and value. */
static size_t
s_shown(const proto_value_t *v, char *buf, size_t cap, const char **text)
{
    int n = 0;
    *text = buf;
    switch (v->type) {
    case PROTO_VAL_STR:
        *text = v->s;
        return v->slen;
    case PROTO_VAL_INT:
        n = snprintf(buf, cap, "%lld", (long long)v->i);
        break;
    case PROTO_VAL_BOOL:
        n = snprintf(buf, cap, "%s", v->b ? "true" : "false");
        break;
    case PROTO_VAL_NIL:
        n = snprintf(buf, cap, "nil");
        break;
    }
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int s_refuse_value(proto_kind_error_t *err, const char *field,
                          const proto_value_t *v, const char *zh,
                          const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A refusal naming value v of an encoded body (shown as s_shown does):
 * the text is made only here, never for a value that passes (ingest's
 * hot path). */
static int
s_refuse_value(proto_kind_error_t *err, const char *field,
               const proto_value_t *v, const char *zh, const char *fmt, ...)
{
    char buf[32];
    const char *text;
    if (!err)
        return VOCFED_EINVALID;
    size_t len = s_shown(v, buf, sizeof buf, &text);
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vrefuse(err, field, text, len, zh, fmt, ap);
    va_end(ap);
    return rc;
}

/* One value of an encoded body against its field: of the msgpack type
 * proto_kind_body stores for the field's type, and of its rule. A text
 * value goes through the same checks as in proto_kind_body. */
static int
s_check_value(const proto_field_def_t *f, const proto_value_t *v,
              proto_kind_error_t *err)
{
    proto_value_t out;
    bool is_int = f->type == PROTO_FT_INT || f->type == PROTO_FT_YEAR;
    if (is_int) {
        int64_t lo = f->type == PROTO_FT_YEAR ? 2000 : f->min;
        int64_t hi = f->type == PROTO_FT_YEAR ? 2100 : f->max;
        if (v->type == PROTO_VAL_INT && v->i >= lo && v->i <= hi)
            return VOCFED_OK;
        char zh[PROTO_REASON_MAX];
        snprintf(zh, sizeof zh, "应为 %lld 至 %lld 之间的整数", (long long)lo,
                 (long long)hi);
        return s_refuse_value(err, f->name, v, zh,
                              "expected a whole number from %lld to %lld",
                              (long long)lo, (long long)hi);
    }
    if (f->type == PROTO_FT_BOOL) {
        if (v->type == PROTO_VAL_BOOL)
            return VOCFED_OK;
        return s_refuse_value(err, f->name, v, "应为 true/false（是/否）",
                              "expected true or false");
    }
    if (v->type != PROTO_VAL_STR)
        return s_refuse_value(err, f->name, v, "应为文本",
                              "expected text (a msgpack str)");
    if (f->required && v->slen == 0)
        return s_refuse_value(err, f->name, v, "必填字段为空",
                              "required field is empty");
    if (f->type == PROTO_FT_ENUM)
        return s_value_enum(f, v->s, v->slen, false, &out, err);
    return s_value_text(f, v->s, v->slen, true, &out, err);
}

/* The body of a put of kind k: a map of k's fields, each once, each of
 * its type, every required one there. One pass. */
static int
s_check_body(const proto_kind_def_t *k, const uint8_t *body, size_t len,
             proto_kind_error_t *err)
{
    proto_body_iter_t it;
    proto_field_t fv;
    uint64_t seen = 0;
    int rc;
    if (k->nfields > 64)
        return s_refuse(err, "", "", "字段过多", "too many fields");
    if (proto_body_iter_init(&it, body, len))
        return s_refuse(err, "", "", "记录体不是映射", "the body is not a map");
    while ((rc = proto_body_iter_next(&it, &fv)) == 1) {
        const proto_field_def_t *f = proto_kind_field(k, fv.name, fv.name_len);
        if (!f) {
            char name[PROTO_FIELD_MAX + 1], buf[32];
            const char *text;
            size_t vlen = s_shown(&fv.value, buf, sizeof buf, &text);
            size_t n =
                fv.name_len < PROTO_FIELD_MAX ? fv.name_len : PROTO_FIELD_MAX;
            memcpy(name, fv.name, n);
            name[n] = 0;
            return s_no_field(k, name, text, vlen, err);
        }
        uint64_t bit = (uint64_t)1 << (size_t)(f - k->fields);
        if (seen & bit)
            return s_refuse_value(err, f->name, &fv.value, "字段重复",
                                  "field given twice");
        seen |= bit;
        if ((rc = s_check_value(f, &fv.value, err)))
            return rc;
    }
    if (rc < 0)
        return s_refuse(err, "", "", "记录体无法读取",
                        "the body does not decode");
    for (size_t j = 0; j < k->nfields; j++)
        if (k->fields[j].required && !(seen & ((uint64_t)1 << j)))
            return s_refuse(err, k->fields[j].name, "", "缺少必填字段",
                            "required field is missing");
    return VOCFED_OK;
}

int
proto_kind_check_entry(const proto_entry_t *e, proto_kind_error_t *err)
{
    char kind[PROTO_KIND_MAX + 1], key[PROTO_KEY_MAX + 1];
    if (e->kind_len > PROTO_KIND_MAX || e->key_len > PROTO_KEY_MAX)
        return s_refuse(err, "", "", "类型或键过长",
                        "the kind or the key is too long");
    memcpy(kind, e->kind, e->kind_len);
    kind[e->kind_len] = 0;
    memcpy(key, e->key, e->key_len);
    key[e->key_len] = 0;
    const proto_kind_def_t *k = proto_kind_find(kind);
    if (!k)
        return s_refuse(err, "", kind, "未知的记录类型（不在类型表中）",
                        "kind '%s' is not in the kinds table", kind);
    int rc = s_check_key(k, key, e->key_len, true, err);
    if (rc && err) {
        /* the key named in both languages: the field is "" */
        char en[sizeof err->reason_en], zh[sizeof err->reason_zh];
        memcpy(en, err->reason_en, sizeof en);
        /* the zh reasons of a key are short: cut one only if it is not */
        if (snprintf(zh, sizeof zh, "键：%.200s", err->reason_zh) < 0)
            zh[0] = 0;
        return s_refuse(err, "", key, zh, "key '%s': %.200s", key, en);
    }
    if (rc)
        return rc;
    if (e->op == PROTO_OP_DEL)
        return e->body ? s_refuse(err, "", "", "删除记录不应有记录体",
                                  "a del carries no body")
                       : VOCFED_OK;
    if (!e->body)
        return s_refuse(err, "", "", "缺少记录体", "a put without a body");
    return s_check_body(k, e->body, e->body_len, err);
}
