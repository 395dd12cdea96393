/* vocfed: the text of the report's sections beside the figures (see
 * report_model.h; SPEC 12.3): contested claims, excluded members,
 * roster states and the point the figures are of, shared by every
 * format. */
#include "tools/report_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A claim {member, payee} as "member (payee)", or "member" without a
 * payee; malloc'd. */
static char *
s_claim(const json_t *claim)
{
    const char *m = report_str(claim, "member"),
               *p = report_str(claim, "payee");
    size_t cap = strlen(m) + strlen(p) + 4;
    char *s = malloc(cap);
    if (s)
        snprintf(s, cap, p[0] ? "%s (%s)" : "%s", m, p);
    return s;
}

int
report_conflict_text(const json_t *report, const json_t *c,
                     report_conflict_text_t *t)
{
    json_t *others = json_object_get(c, "others"), *o;
    json_int_t y = json_integer_value(json_object_get(c, "year"));
    size_t i, used = 0, cap = 1;
    memset(t, 0, sizeof *t);
    snprintf(t->year, sizeof t->year, y > 0 ? "%" JSON_INTEGER_FORMAT : "-", y);
    t->person = report_str(c, "person");
    t->label = report_subsidy_label(report, report_str(c, "figure"));
    t->paid = s_claim(json_object_get(c, "paid"));
    json_array_foreach(others, i, o)
    {
        cap += strlen(report_str(o, "member")) +
               strlen(report_str(o, "payee")) + 6;
    }
    t->others = malloc(cap);
    if (!t->label || !t->paid || !t->others)
        return VOCFED_ENOMEM;
    t->others[0] = 0;
    json_array_foreach(others, i, o)
    {
        char *one = s_claim(o);
        if (!one)
            return VOCFED_ENOMEM;
        int w =
            snprintf(t->others + used, cap - used, "%s%s", i ? "; " : "", one);
        free(one);
        if (w > 0)
            used += (size_t)w;
    }
    t->nothers = json_array_size(others);
    return 0;
}

void
report_conflict_text_release(report_conflict_text_t *t)
{
    free(t->label);
    free(t->paid);
    free(t->others);
    memset(t, 0, sizeof *t);
}

/* A roster token in Chinese, or NULL. */
static const char *
s_why_zh(const char *token)
{
    static const struct {
        const char *token; /* the roster's word */
        const char *zh;    /* in Chinese */
    } words[] = {
        {"active", "在册"}, {"suspended", "暂停"}, {"revoked", "撤销"}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(words[i].token, token) == 0)
            return words[i].zh;
    return NULL;
}

void
report_excluded_text(const json_t *x, char *out, size_t cap)
{
    const char *why = report_str(x, "why"), *zh = s_why_zh(why);
    const char *member = report_str(x, "member");
    char n[48];
    report_fmt_value("", json_object_get(x, "records"), false, n, sizeof n);
    snprintf(out, cap,
             "已排除：%s成员 %s，%s 条记录 excluded: %s member %s, %s "
             "records",
             zh ? zh : why, member, n, why, member, n);
}

void
report_roster_text(const json_t *member, char *out, size_t cap)
{
    const char *state = report_str(member, "roster"), *zh = s_why_zh(state);
    bool q = json_is_true(json_object_get(member, "quarantined"));
    int w;
    if (!state[0])
        w = snprintf(out, cap, "-");
    else if (zh)
        w = snprintf(out, cap, "%s %s", zh, state);
    else
        w = snprintf(out, cap, "%s", state);
    if (q && w > 0 && (size_t)w < cap)
        snprintf(out + w, cap - (size_t)w, " 隔离 quarantined");
}

void
report_log_text(const json_t *log, report_log_text_t *t)
{
    json_t *applied = json_object_get(log, "applied");
    json_t *size = json_object_get(log, "size");
    report_fmt_value("", applied, false, t->applied, sizeof t->applied);
    report_fmt_value("", size, false, t->size, sizeof t->size);
    t->behind = false;
    if (json_is_integer(applied) && json_is_integer(size)) {
        json_int_t left =
            json_integer_value(size) - json_integer_value(applied);
        t->behind = left > 0;
        report_fmt_int((double)(left > 0 ? left : 0), t->left, sizeof t->left);
    } else {
        snprintf(t->left, sizeof t->left, "-");
    }
    t->time = report_str(log, "applied_time");
    if (!t->time[0])
        t->time = "-";
}

bool
report_applied_complete(const json_t *report)
{
    json_t *a = json_object_get(report, "applied");
    return !a || json_integer_value(json_object_get(a, "unapplied")) <= 0;
}

void
report_applied_text(const json_t *report, char *out, size_t cap)
{
    json_t *a = json_object_get(report, "applied");
    char n[48];
    if (report_applied_complete(report)) {
        snprintf(out, cap, "全部条目已计入 every entry held is in the figures");
        return;
    }
    report_fmt_value("", json_object_get(a, "unapplied"), false, n, sizeof n);
    if (json_is_true(json_object_get(a, "caught_up")))
        snprintf(out, cap,
                 "尚有 %s 条未计入（报告生成期间到达） %s entries held are "
                 "not in the figures yet (they arrived while the report "
                 "was made)",
                 n, n);
    else
        snprintf(out, cap,
                 "尚有 %s 条未计入（报告未先计入日志） %s entries held are "
                 "not in the figures yet (the report was made without "
                 "catching up)",
                 n, n);
}
