/* vocfed demo: the demo group and its synthetic records (see
 * demo_group.h). */
#include "tools/demo_group.h"

#include "protocol/kinds.h"
#include "tools/cli.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cmd_demo_school_t cmd_demo_schools[CMD_DEMO_SCHOOLS] = {
    {"jh00", "怀宁县高河初级中学", "340822"},
    {"jh01", "安庆市第十四中学", "340803"},
    {"jh02", "怀宁县石牌初级中学", "340822"},
    {"jh03", "桐城市第二初级中学", "340881"},
    {"jh04", "桐城市范岗初级中学", "340881"},
    {"jh05", "安庆市石化第一中学", "340803"},
};

const cmd_demo_member_t cmd_demo_group[CMD_DEMO_MEMBERS] = {
    {"aqvtc", "安庆职业技术学院", "Anqing Vocational and Technical College",
     "lead", "安庆市人民政府", "340803", 11000, 0, 3000, 420, 15000, 6},
    {"aqtc", "安庆技师学院", "Anqing Technician College", "backbone",
     "安庆市人力资源和社会保障局", "340811", 3100, 3400, 600, 210, 8000, 4},
    {"aqis", "安庆工业学校", "Anqing Industrial School", "backbone",
     "安庆市教育体育局", "340802", 0, 4200, 0, 180, 3000, 3},
    {"etdz", "安庆经济技术开发区产教联合体", "Anqing ETDZ consortium",
     "consortium", "安庆经济技术开发区管委会", "340871", 0, 0, 0, 0, 5000, 0},
    {"hitech", "安庆高新区产教联合体", "Anqing Hi-tech Zone consortium",
     "consortium", "安庆高新技术产业开发区管委会", "340872", 0, 0, 0, 0, 4000,
     0},
    {"jac", "江淮汽车安庆公司", "JAC Anqing", "enterprise", "企业", "340871", 0,
     0, 0, 0, 2500, 0},
    {"shihua", "安庆石化", "Anqing Petrochemical", "enterprise", "企业",
     "340802", 0, 0, 0, 0, 2500, 0},
    {"tongcheng", "桐城职业教育中心", "Tongcheng Vocational Centre",
     "county_school", "桐城市人民政府", "340881", 0, 1300, 0, 90, 600, 1},
    {"huaining", "怀宁县职业技术学校", "Huaining Vocational School",
     "county_school", "怀宁县人民政府", "340822", 0, 1200, 0, 80, 500, 1},
    {"aqedu", "安庆市教育体育局", "Anqing Education and Sports Bureau",
     "government", "安庆市人民政府", "340800", 0, 0, 0, 0, 0, 0},
};

static const char *const s_industries[] = {
    "auto",    "chemical", "equipment",  "digital",
    "textile", "biomed",   "new_energy", "food"};

/* xorshift: the same synthetic data on every run. */
static uint32_t
s_rand(cmd_demo_gen_t *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (uint32_t)(g->rng >> 16);
}

void
cmd_demo_gen_init(cmd_demo_gen_t *g, int year)
{
    g->year = year;
    g->rng = 0x2024091ull;
    randombytes_buf(g->link, sizeof g->link); /* the group linkage key */
}

static int
s_rec(cmd_demo_batch_t *b, const char *kind, const char *key, ...)
{
    const char *names[16], *values[16];
    char buf[16][128];
    size_t k = 0;
    va_list ap;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        void *r = realloc(b->recs, cap * sizeof *b->recs);
        if (r)
            b->recs = r;
        void *bo = realloc(b->bodies, cap * sizeof *b->bodies);
        if (bo)
            b->bodies = bo;
        void *ke = realloc(b->keys, cap * sizeof *b->keys);
        if (ke)
            b->keys = ke;
        if (!r || !bo || !ke)
            return VOCFED_ENOMEM;
        b->cap = cap;
    }
    va_start(ap, key);
    for (const char *fv = va_arg(ap, const char *); fv && k < 16;
         fv = va_arg(ap, const char *)) {
        snprintf(buf[k], sizeof buf[k], "%s", fv);
        char *eq = strchr(buf[k], '=');
        if (!eq)
            continue;
        *eq = 0;
        names[k] = buf[k];
        values[k] = eq + 1;
        k++;
    }
    va_end(ap);
    proto_kind_error_t err;
    proto_buf_t *body = &b->bodies[b->n];
    proto_buf_init(body);
    int rc =
        proto_kind_body(proto_kind_find(kind), names, values, k, body, &err);
    if (rc) {
        cli_error("demo: %s %s: %s=%s: %s", kind, key, err.field, err.value,
                  err.reason_en);
        return rc;
    }
    snprintf(b->keys[b->n], sizeof b->keys[b->n], "%s", key);
    b->recs[b->n] = (store_record_t){PROTO_OP_PUT, kind,      NULL,
                                     body->data,   body->len, false};
    b->n++;
    return VOCFED_OK;
}

void
cmd_demo_batch_release(cmd_demo_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        proto_buf_release(&b->bodies[i]);
    free(b->recs);
    free(b->bodies);
    free(b->keys);
    memset(b, 0, sizeof *b);
}

/* pseudo_id = hex of BLAKE2b-256 keyed with the group linkage key over the
 * ID-card number (DESIGN 6); the demo's ID numbers are synthetic. */
static void
s_pseudo(const uint8_t key[32], const char *id_number, char out[65])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof h, (const uint8_t *)id_number,
                       strlen(id_number), key, 32);
    proto_hex(h, 32, out);
}

/* The member's profile and, at a school, its majors. */
static int
s_fill_profile(const cmd_demo_member_t *m, int index, cmd_demo_batch_t *b)
{
    char k[80], v[5][96];
    int rc = s_rec(
        b, "member", "profile",
        (snprintf(v[0], 96, "name_zh=%s", m->name_zh), v[0]),
        (snprintf(v[1], 96, "name_en=%s", m->name_en), v[1]),
        (snprintf(v[2], 96, "role=%s", m->role), v[2]),
        (snprintf(v[3], 96, "original_affiliation=%s", m->affiliation), v[3]),
        (snprintf(v[4], 96, "region_code=%s", m->region), v[4]), NULL);
    if (rc)
        return rc;
    bool school = m->higher || m->secondary;
    /* Majors: together the schools cover every leading industry but one
     * (food), so coverage shows 7/8 until someone opens a major. */
    for (int i = 0; school && i < 6; i++) {
        snprintf(k, sizeof k, "%d%05d", index, i);
        snprintf(v[0], 96, "industries=%s", s_industries[(index + i) % 7]);
        if ((rc = s_rec(b, "major", k, "name=专业", v[0],
                        m->higher ? "level=higher" : "level=secondary",
                        "status=active", NULL)))
            return rc;
    }
    return VOCFED_OK;
}

/* The students. The first 300 secondary students of the industrial
 * school are also enrolled at the lead college (five-year pathway, its
 * higher stage from this year): the same person at two members, counted
 * once in each figure, and their cohort progressed. */
static int
s_fill_students(cmd_demo_gen_t *g, const cmd_demo_member_t *m, int index,
                cmd_demo_batch_t *b)
{
    char pid[65], idn[40], v[4][96];
    int rc;
    for (int i = 0; i < m->higher + m->secondary; i++) {
        bool higher = i < m->higher;
        int shared = !strcmp(m->id, "aqvtc") && i < 300;
        if (shared)
            snprintf(idn, sizeof idn, "3408001999%04d%04d", 2, i);
        else
            snprintf(idn, sizeof idn, "3408001999%04d%04d", index + 10, i);
        s_pseudo(g->link, idn, pid);
        int y = g->year - 2 + (int)(s_rand(g) % 3);
        if (shared)
            y = g->year; /* the five-year pathway's higher stage */
        const char *origin = s_rand(g) % 10 < 8
                                 ? (s_rand(g) % 2 ? "340822" : "340881")
                                 : (s_rand(g) % 2 ? "340100" : "341000");
        snprintf(v[0], 96, "intake_year=%d", y);
        snprintf(v[1], 96, "origin_region=%s", origin);
        snprintf(v[2], 96, "source_school=jh%02u", s_rand(g) % 6);
        if ((rc = s_rec(b, "student", pid,
                        higher ? "level=higher" : "level=secondary",
                        shared ? "pathway=five_year" : "pathway=regular",
                        "status=enrolled", v[0], v[1], v[2], NULL)))
            return rc;
    }
    snprintf(v[3], 96, "intake_year=%d", g->year - 3);
    if (strcmp(m->id, "aqis") != 0)
        return VOCFED_OK;
    for (int i = 0; i < 300; i++) {
        snprintf(idn, sizeof idn, "3408001999%04d%04d", 2, i);
        s_pseudo(g->link, idn, pid);
        if ((rc = s_rec(b, "student", pid, "level=secondary",
                        "pathway=five_year", "status=enrolled", v[3],
                        "origin_region=340803", "source_school=jh01", NULL)))
            return rc;
    }
    return VOCFED_OK;
}

/* A claim of b's member (SPEC 11.6): code, subject, record, amount. */
static int
s_claim(const cmd_demo_gen_t *g, cmd_demo_batch_t *b, const char *code,
        const char *subject, const char *record, long amount)
{
    char v[4][96];
    snprintf(v[0], 96, "subject=%s", subject);
    snprintf(v[1], 96, "record=%s", record);
    snprintf(v[2], 96, "year=%d", g->year);
    snprintf(v[3], 96, "amount=%ld", amount);
    return s_rec(b, "claim", code, v[0], v[1], v[2], amount ? v[3] : "", NULL);
}

/* A dual-qualified teacher's claim, numbered in the batch. */
static int
s_claim_teacher(const cmd_demo_gen_t *g, cmd_demo_batch_t *b, const char *pid)
{
    char code[32];
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++)
        k += !strcmp(b->recs[i].kind, "claim");
    snprintf(code, sizeof code, "dq-%zu", k);
    return s_claim(g, b, code, "dual_qualified", pid, 0);
}

/* The graduates, the teachers and the posts. */
static int
s_fill_staff(cmd_demo_gen_t *g, const cmd_demo_member_t *m, int index,
             cmd_demo_batch_t *b)
{
    char k[80], pid[65], idn[40], v[2][96];
    int rc;
    for (int i = 0; i < m->graduates; i++) {
        snprintf(idn, sizeof idn, "3408001998%04d%04d", index, i);
        s_pseudo(g->link, idn, pid);
        snprintf(k, sizeof k, "%s:%d", pid, g->year);
        unsigned r = s_rand(g) % 100;
        const char *dest = r < 80   ? "destination=employed"
                           : r < 88 ? "destination=further_study"
                                    : "destination=flexible";
        snprintf(v[0], 96, "workplace_region=%s",
                 s_rand(g) % 100 < 46 ? "340803" : "320500");
        snprintf(v[1], 96, "grad_year=%d", g->year);
        if ((rc = s_rec(b, "graduate", k, "level=higher", v[1], dest, v[0],
                        NULL)))
            return rc;
    }
    for (int i = 0; i < m->teachers; i++) {
        snprintf(idn, sizeof idn, "3408001980%04d%04d", index, i);
        s_pseudo(g->link, idn, pid);
        const char *dual =
            s_rand(g) % 100 < 62 ? "dual_qualified=mid" : "dual_qualified=none";
        if ((rc = s_rec(
                 b, "staff", pid, "category=fulltime_teacher",
                 i % 5 ? "course_type=professional" : "course_type=public",
                 i % 4 ? "post=authorised" : "post=self_hired", dual, NULL)))
            return rc;
        /* the lead college and the industrial school claim certification
         * of a few of them */
        if ((index == 0 || index == 2) && i % 5 && i < 12 &&
            strcmp(dual + 15, "none") && (rc = s_claim_teacher(g, b, pid)))
            return rc;
    }
    if (!m->teachers)
        return VOCFED_OK;
    snprintf(v[0], 96, "authorised_posts=%d", m->teachers * 3 / 4);
    snprintf(v[1], 96, "self_hired_posts=%d", m->teachers / 4);
    snprintf(k, sizeof k, "%d", g->year);
    return s_rec(b, "posts", k, v[0], v[1], NULL);
}

/* The government member's county statistics (保障措施 三): the
 * junior-high and high-school graduates of the counties the students
 * come from, this year and the two before. */
static int
s_fill_county(const cmd_demo_gen_t *g, const cmd_demo_member_t *m,
              cmd_demo_batch_t *b)
{
    static const struct {
        const char *region; /* the county */
        int junior, high;   /* its graduates a year */
    } counties[] = {{"340822", 9200, 5600}, {"340881", 8700, 5100}};
    char k[80], v[4][96];
    int rc = 0;
    if (strcmp(m->role, "government") != 0)
        return 0;
    for (size_t i = 0; !rc && i < 2; i++)
        for (int y = g->year - 2; !rc && y <= g->year; y++) {
            snprintf(k, sizeof k, "%s:%d", counties[i].region, y);
            snprintf(v[0], 96, "region_code=%s", counties[i].region);
            snprintf(v[1], 96, "year=%d", y);
            snprintf(v[2], 96, "junior_grads=%d", counties[i].junior);
            snprintf(v[3], 96, "high_grads=%d", counties[i].high);
            rc = s_rec(b, "county_stat", k, v[0], v[1], v[2], v[3], NULL);
        }
    return rc;
}

/* Training, cooperation classes, industry colleges and consortia. */
static int
s_fill_work(const cmd_demo_gen_t *g, const cmd_demo_member_t *m,
            cmd_demo_batch_t *b)
{
    char k[80], v[4][96];
    int rc;
    for (int done = 0, i = 0; done < m->training; i++) {
        int n = m->training - done < 500 ? m->training - done : 500;
        snprintf(k, sizeof k, "%s-%d-%03d", m->id, g->year, i);
        snprintf(v[0], 96, "completed=%d", n);
        snprintf(v[1], 96, "year=%d", g->year);
        if ((rc = s_rec(b, "training", k,
                        i % 3 ? "type=upskilling" : "type=enterprise_staff",
                        v[1], v[0], NULL)))
            return rc;
        done += n;
    }
    for (int i = 0; i < m->coop; i++) {
        snprintf(k, sizeof k, "%s-c%02d", m->id, i);
        /* one class of 19 in the group: it earns nothing */
        snprintf(v[0], 96, "students_at_start=%d", i == 1 ? 19 : 20 + i * 5);
        snprintf(v[1], 96, "cohort_year=%d", g->year);
        if ((rc = s_rec(b, "coop_class", k, "enterprise=jac", v[0], v[1],
                        "kind=order", NULL)))
            return rc;
        char code[96];
        snprintf(code, sizeof code, "coop-%s", k);
        if ((rc = s_claim(g, b, code, "coop_class", k, 100000)))
            return rc;
    }
    snprintf(v[2], 96, "recognised_year=%d", g->year);
    snprintf(v[3], 96, "recognised_year=%d", g->year - 1);
    if (!strcmp(m->id, "aqvtc") &&
        ((rc = s_rec(b, "industry_college", "auto", "name=汽车产业学院",
                     "industry=auto", "level=provincial", v[2], NULL)) ||
         (rc = s_rec(b, "industry_college", "chemical", "name=化工产业学院",
                     "industry=chemical", "level=provincial", v[3], NULL)) ||
         (rc = s_rec(b, "industry_college", "digital", "name=数字产业学院",
                     "industry=digital", "level=municipal", v[2], NULL))))
        return rc;
    char yr[2][32];
    snprintf(yr[0], sizeof yr[0], "year=%d", g->year);
    snprintf(yr[1], sizeof yr[1], "year=%d", g->year - 1);
    if (!strcmp(m->id, "aqvtc") &&
        ((rc =
              s_claim(g, b, "icol-auto", "industry_college", "auto", 300000)) ||
         (rc = s_rec(b, "reform_project", "rp-01", "name=产教融合课程改革",
                     "level=provincial", yr[1], "status=ongoing", NULL)) ||
         (rc = s_claim(g, b, "rp-01", "reform_project", "rp-01", 0)) ||
         (rc = s_rec(b, "master_studio", "ms-01", "name=汽车维修技能大师工作室",
                     "level=provincial", yr[0], NULL)) ||
         (rc = s_rec(b, "training_base", "tb-01", "name=智能制造公共实训基地",
                     "level=municipal", yr[0], "shared=true", NULL))))
        return rc;
    if (!strcmp(m->role, "consortium") &&
        ((rc = s_rec(b, "consortium", m->id,
                     (snprintf(v[0], 96, "name=%s", m->name_zh), v[0]),
                     !strcmp(m->id, "etdz") ? "level=provincial"
                                            : "level=municipal",
                     v[2], NULL)) ||
         (rc = s_claim(g, b, "cons", "consortium", m->id,
                       !strcmp(m->id, "etdz") ? 500000 : 0))))
        return rc;
    return s_fill_county(g, m, b);
}

int
cmd_demo_fill(cmd_demo_gen_t *g, int index, cmd_demo_batch_t *b)
{
    const cmd_demo_member_t *m = &cmd_demo_group[index];
    int rc;
    if ((rc = s_fill_profile(m, index, b)) ||
        (rc = s_fill_students(g, m, index, b)) ||
        (rc = s_fill_staff(g, m, index, b)) || (rc = s_fill_work(g, m, b)))
        return rc;
    for (size_t i = 0; i < b->n; i++)
        b->recs[i].key = b->keys[i];
    return VOCFED_OK;
}
