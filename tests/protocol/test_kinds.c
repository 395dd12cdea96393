/* tests/protocol/test_kinds.c: proto_kind_check_entry, the kinds table
 * applied to an encoded record as ingest does (SPEC 8.4, 11).
 *
 * It must take every record proto_kind_body makes from valid text, for
 * every kind, and refuse each way of breaking the table naming the field
 * and why, in English and Chinese. */
#include "protocol/entry.h"
#include "protocol/kinds.h"
#include "tests/harness.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define S_PSEUDO                                                               \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A valid text value of field f; variant 1 picks another one (the last
 * enum value, the top of a range). */
static const char *
s_valid_text(const proto_field_def_t *f, int variant, char *buf, size_t cap)
{
    size_t n = 0;
    switch (f->type) {
    case PROTO_FT_STR:
        return variant ? "职业学校 school" : "x";
    case PROTO_FT_INT:
        snprintf(buf, cap, "%lld", (long long)(variant ? f->max : f->min));
        return buf;
    case PROTO_FT_YEAR:
        return variant ? "2100" : "2000";
    case PROTO_FT_BOOL:
        return variant ? "否" : "true";
    case PROTO_FT_ENUM:
        while (variant && f->values[n + 1])
            n++;
        return f->values[n];
    case PROTO_FT_REGION:
        return "340803";
    case PROTO_FT_LIST:
        return variant ? "a b;c" : "a";
    case PROTO_FT_DECIMAL:
        return variant ? "0.45" : "14000";
    }
    return "";
}

/* A key of k's form. */
static const char *
s_valid_key(const proto_kind_def_t *k)
{
    switch (k->key_form) {
    case PROTO_KEY_FIXED:
        return k->key_fixed;
    case PROTO_KEY_YEAR:
        return "2026";
    case PROTO_KEY_PSEUDO:
        return S_PSEUDO;
    case PROTO_KEY_PSEUDO_YEAR:
        return S_PSEUDO ":2026";
    case PROTO_KEY_TEXT:
        break;
    }
    return "k-1";
}

/* Encodes a put of k with body, decodes it again (as ingest has it) and
 * checks it. */
static int
s_check_put(const proto_kind_def_t *k, const char *key, const proto_buf_t *body,
            proto_kind_error_t *err)
{
    proto_buf_t bytes;
    proto_entry_t e = {.version = PROTO_ENTRY_VERSION,
                       .author = "aqvtc",
                       .author_len = 5,
                       .seq = 1,
                       .time_ms = 1767225600000ull,
                       .op = PROTO_OP_PUT,
                       .kind = k->name,
                       .kind_len = strlen(k->name),
                       .key = key,
                       .key_len = strlen(key),
                       .body = body->data,
                       .body_len = body->len},
                  d;
    proto_buf_init(&bytes);
    assert_int_equal(proto_entry_encode(&e, &bytes), VOCFED_OK);
    assert_int_equal(proto_entry_decode(bytes.data, bytes.len, &d), VOCFED_OK);
    int rc = proto_kind_check_entry(&d, err);
    proto_buf_release(&bytes);
    return rc;
}

/* Every kind: all fields given, only the required ones, each with two
 * different values: proto_kind_body's body passes (proto_entry_encode
 * reads it back: proto_kind_body_all encodes with
 * proto_body_encode_checked, which does not); so does a del. The
 * table's field names are valid names, and its enum values valid text,
 * which that encoder takes on trust. */
static void
test_bodies_from_text_pass(void **state)
{
    (void)state;
    size_t nk;
    const proto_kind_def_t *kinds = proto_kinds(&nk);
    assert_true(nk >= 14);
    for (size_t i = 0; i < nk; i++) {
        const proto_kind_def_t *k = &kinds[i];
        for (size_t j = 0; j < k->nfields; j++) {
            const proto_field_def_t *f = &k->fields[j];
            assert_true(proto_field_name_valid(f->name, strlen(f->name)));
            for (size_t v = 0; f->type == PROTO_FT_ENUM && f->values[v]; v++)
                assert_true(
                    strlen(f->values[v]) <= PROTO_STR_MAX &&
                    proto_utf8_valid(f->values[v], strlen(f->values[v])));
        }
        for (int variant = 0; variant < 4; variant++) {
            const char *names[64], *values[64];
            char bufs[64][32];
            size_t n = 0;
            proto_buf_t body;
            proto_kind_error_t err;
            for (size_t j = 0; j < k->nfields; j++) {
                const proto_field_def_t *f = &k->fields[j];
                if (variant >= 2 && !f->required)
                    continue;
                names[n] = f->name;
                values[n++] =
                    s_valid_text(f, variant % 2, bufs[j], sizeof bufs[j]);
            }
            proto_buf_init(&body);
            assert_int_equal(proto_kind_body(k, names, values, n, &body, &err),
                             VOCFED_OK);
            int rc = s_check_put(k, s_valid_key(k), &body, &err);
            if (rc)
                print_error("%s: %s: %s\n", k->name, err.field, err.reason_en);
            assert_int_equal(rc, VOCFED_OK);
            /* The fields found beforehand, the lengths given: the same
             * body; and the same refusal for a value that is not one
             * (the first field's, the text "\x01"). */
            const proto_field_def_t *defs[64];
            size_t lens[64], ne, ne2;
            for (size_t j = 0; j < n; j++) {
                defs[j] = proto_kind_field(k, names[j], strlen(names[j]));
                lens[j] = strlen(values[j]);
            }
            proto_buf_t same;
            proto_buf_init(&same);
            assert_int_equal(proto_kind_body_defs(k, defs, values, lens, n,
                                                  &same, &err, 1, &ne),
                             VOCFED_OK);
            assert_int_equal(same.len, body.len);
            assert_memory_equal(same.data, body.data, body.len);
            const char *keep = values[0];
            values[0] = "\x01";
            lens[0] = 1;
            proto_kind_error_t e1, e2;
            assert_int_equal(
                proto_kind_body_all(k, names, values, n, &same, &e1, 1, &ne),
                VOCFED_EINVALID);
            assert_int_equal(proto_kind_body_defs(k, defs, values, lens, n,
                                                  &same, &e2, 1, &ne2),
                             VOCFED_EINVALID);
            assert_int_equal(ne, ne2);
            assert_string_equal(e1.field, e2.field);
            assert_string_equal(e1.reason_en, e2.reason_en);
            values[0] = keep;
            proto_buf_release(&same);
            proto_buf_release(&body);
        }
        proto_entry_t del = {.version = PROTO_ENTRY_VERSION,
                             .op = PROTO_OP_DEL,
                             .kind = k->name,
                             .kind_len = strlen(k->name),
                             .key = s_valid_key(k),
                             .key_len = strlen(s_valid_key(k))};
        assert_int_equal(proto_kind_check_entry(&del, NULL), VOCFED_OK);
    }
}

/* ---- refusals ------------------------------------------------------------ */

/* One way of being wrong: a record and what the refusal must say. */
typedef struct {
    const char *kind;    /* its kind */
    const char *key;     /* its key */
    proto_field_t f[8];  /* its body's fields */
    size_t n;            /* how many */
    const char *field;   /* the field the refusal names ("" none) */
    const char *because; /* a part of its English reason */
} s_case_t;

#define S_STUDENT(name, value)                                                 \
    {{"intake_year", 11, TH_INT(2024)},                                        \
     {"level", 5, TH_STR("higher")},                                           \
     {"status", 6, TH_STR("enrolled")},                                        \
     {name, sizeof(name) - 1, value}},                                         \
        4

static const s_case_t s_cases[] = {
    {"training",
     "t-1",
     {{"completed", 9, TH_INT(-1000000)},
      {"type", 4, TH_STR("rural")},
      {"year", 4, TH_INT(2024)}},
     3,
     "completed",
     "from 0 to 10000000"},
    {"training",
     "t-1",
     {{"completed", 9, TH_INT(INT64_MAX)},
      {"type", 4, TH_STR("rural")},
      {"year", 4, TH_INT(2024)}},
     3,
     "completed",
     "whole number"},
    {"training",
     "t-1",
     {{"completed", 9, TH_STR("5")},
      {"type", 4, TH_STR("rural")},
      {"year", 4, TH_INT(2024)}},
     3,
     "completed",
     "whole number"},
    {"training",
     "t-1",
     {{"completed", 9, TH_INT(5)},
      {"type", 4, TH_STR("rural")},
      {"year", 4, TH_INT(1000)}},
     3,
     "year",
     "from 2000 to 2100"},
    {"student",
     S_PSEUDO,
     {{"intake_year", 11, TH_INT(-5)},
      {"level", 5, TH_STR("higher")},
      {"status", 6, TH_STR("enrolled")}},
     3,
     "intake_year",
     "from 2000 to 2100"},
    {"student", S_PSEUDO, S_STUDENT("note", TH_STR("x")), "note",
     "has no field"},
    {"student", S_PSEUDO, S_STUDENT("origin_region", TH_STR("34080")),
     "origin_region", "region code"},
    {"student", S_PSEUDO, S_STUDENT("pathway", TH_STR("bogus")), "pathway",
     "not one of"},
    {"student", S_PSEUDO, S_STUDENT("pathway", TH_STR("")), "pathway",
     "not one of"},
    {"student", S_PSEUDO, S_STUDENT("major", TH_STR("a\001b")), "major",
     "control character"},
    {"student", S_PSEUDO, S_STUDENT("major", TH_INT(7)), "major", "text"},
    {"student", S_PSEUDO, S_STUDENT("major", TH_NIL), "major", "text"},
    {"student",
     S_PSEUDO,
     {{"intake_year", 11, TH_INT(2024)}, {"level", 5, TH_STR("higher")}},
     2,
     "status",
     "required field is missing"},
    {"student",
     "p1",
     {{"intake_year", 11, TH_INT(2024)},
      {"level", 5, TH_STR("higher")},
      {"status", 6, TH_STR("enrolled")}},
     3,
     "",
     "key 'p1': the key of student is a pseudo_id"},
    {"bogus", "k", {{"a", 1, TH_INT(1)}}, 1, "", "kind 'bogus' is not in"},
    {"member",
     "profile",
     {{"name_zh", 7, TH_STR("")},
      {"original_affiliation", 20, TH_STR("x")},
      {"region_code", 11, TH_STR("340803")},
      {"role", 4, TH_STR("lead")}},
     4,
     "name_zh",
     "required field is empty"},
    {"member",
     "profile",
     {{"name_zh", 7, TH_STR("x")},
      {"original_affiliation", 20, TH_STR("x")},
      {"parents", 7, TH_STR("a;;b")},
      {"region_code", 11, TH_STR("340803")},
      {"role", 4, TH_STR("lead")}},
     5,
     "parents",
     "separated by ';'"},
    {"member", "other", {{"name_zh", 7, TH_STR("x")}}, 1, "", "key 'other'"},
    {"industry",
     "c1",
     {{"leading", 7, TH_INT(1)}, {"name_zh", 7, TH_STR("x")}},
     2,
     "leading",
     "true or false"},
    {"target",
     "f:2026",
     {{"value", 5, TH_STR("1.2.3")}},
     1,
     "value",
     "decimal number"},
    {"target", "f:2026", {{"value", 5, TH_INT(12)}}, 1, "value", "text"},
    {"posts",
     "20x6",
     {{"authorised_posts", 16, TH_INT(1)}, {"self_hired_posts", 16, TH_INT(1)}},
     2,
     "",
     "a year"},
};

static void
test_each_wrong_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        proto_field_t f[8];
        proto_buf_t body;
        proto_kind_error_t err;
        memcpy(f, c->f, sizeof f);
        proto_buf_init(&body);
        assert_int_equal(proto_body_encode(f, c->n, &body), VOCFED_OK);
        proto_entry_t e = {.version = PROTO_ENTRY_VERSION,
                           .op = PROTO_OP_PUT,
                           .kind = c->kind,
                           .kind_len = strlen(c->kind),
                           .key = c->key,
                           .key_len = strlen(c->key),
                           .body = body.data,
                           .body_len = body.len};
        memset(&err, 0x7f, sizeof err);
        int rc = proto_kind_check_entry(&e, &err);
        print_message("%s %s: %s: %s / %s (%s)\n", c->kind, c->key, err.field,
                      err.reason_en, err.reason_zh, err.value);
        assert_int_equal(rc, VOCFED_EINVALID);
        assert_string_equal(err.field, c->field);
        assert_non_null(strstr(err.reason_en, c->because));
        assert_true(strlen(err.reason_zh) > 0);
        /* the Chinese reason is Chinese */
        bool zh = false;
        for (size_t j = 0; err.reason_zh[j]; j++)
            zh = zh || (unsigned char)err.reason_zh[j] >= 0x80;
        assert_true(zh);
        assert_int_equal(proto_kind_check_entry(&e, NULL), VOCFED_EINVALID);
        proto_buf_release(&body);
    }
}

/* A put needs a body, a del has none. */
static void
test_op_and_body(void **state)
{
    (void)state;
    proto_kind_error_t err;
    uint8_t map0 = 0x80;
    proto_entry_t e = {.version = PROTO_ENTRY_VERSION,
                       .op = PROTO_OP_PUT,
                       .kind = "major",
                       .kind_len = 5,
                       .key = "m1",
                       .key_len = 2};
    assert_int_equal(proto_kind_check_entry(&e, &err), VOCFED_EINVALID);
    assert_non_null(strstr(err.reason_en, "without a body"));
    e.op = PROTO_OP_DEL;
    e.body = &map0;
    e.body_len = 1;
    assert_int_equal(proto_kind_check_entry(&e, &err), VOCFED_EINVALID);
    assert_non_null(strstr(err.reason_en, "no body"));
    e.op = PROTO_OP_PUT; /* an empty map: every required field missing */
    assert_int_equal(proto_kind_check_entry(&e, &err), VOCFED_EINVALID);
    assert_string_equal(err.field, "name");
}

/* The source schools (issue 10 item 3, SPEC 11.1): the coordinator's
 * kind, key a code, name and a GB/T 2260 region required. */
static void
test_school_kind(void **state)
{
    (void)state;
    const proto_kind_def_t *k = proto_kind_find("school");
    proto_buf_t body;
    proto_kind_error_t err;
    const char *names[] = {"name", "region_code"};
    const char *good[] = {"安庆市第十四中学", "340803"};
    const char *bad[] = {"安庆市第十四中学", "3408"};
    assert_non_null(k);
    assert_true(k->coordinator_only);
    assert_false(k->person);
    assert_string_equal(k->key_column, "code");
    assert_int_equal(k->key_form, PROTO_KEY_TEXT);
    proto_buf_init(&body);
    assert_int_equal(proto_kind_body(k, names, good, 2, &body, &err), 0);
    assert_int_equal(s_check_put(k, "jh01", &body, &err), 0);
    proto_buf_reset(&body);
    assert_int_equal(proto_kind_body(k, names, bad, 2, &body, &err),
                     VOCFED_EINVALID);
    assert_string_equal(err.field, "region_code");
    proto_buf_reset(&body);
    assert_int_equal(proto_kind_body(k, names + 1, good + 1, 1, &body, &err),
                     VOCFED_EINVALID);
    assert_string_equal(err.field, "name");
    /* An empty value is no value: a required field given empty is
     * missing. A required field with a bad value is that one error, not
     * also a missing field. */
    const char *empty[] = {"", "340803"};
    proto_buf_reset(&body);
    assert_int_equal(proto_kind_body(k, names, empty, 2, &body, &err),
                     VOCFED_EINVALID);
    assert_string_equal(err.field, "name");
    assert_non_null(strstr(err.reason_en, "required field is missing"));
    proto_kind_error_t errs[4];
    size_t ne = 0;
    proto_buf_reset(&body);
    assert_int_equal(proto_kind_body_all(k, names, bad, 2, &body, errs, 4, &ne),
                     VOCFED_EINVALID);
    assert_int_equal(ne, 1);
    assert_string_equal(errs[0].field, "region_code");
    proto_buf_release(&body);
}

/* The kinds' tables as the lookups take them: each field's name_len is
 * its name's length (proto_kind_field compares it first), and no
 * Chinese name of an enumeration is one of its English values (the
 * English ones are looked at first, then the Chinese: s_value_enum).
 * Every name a Chinese list holds is taken as its own value. */
static void
test_enum_names_apart(void **state)
{
    (void)state;
    size_t nk, lists = 0;
    const proto_kind_def_t *kinds = proto_kinds(&nk);
    for (size_t i = 0; i < nk; i++)
        for (size_t j = 0; j < kinds[i].nfields; j++) {
            const proto_field_def_t *f = &kinds[i].fields[j];
            assert_int_equal(f->name_len, strlen(f->name));
            assert_ptr_equal(
                proto_kind_field(&kinds[i], f->name, strlen(f->name)), f);
            if (f->type != PROTO_FT_ENUM)
                continue;
            for (size_t v = 0; f->values[v]; v++) {
                lists++;
                for (const char *z = f->values_zh[v]; *z;) {
                    size_t n = strcspn(z, "|");
                    for (size_t w = 0; f->values[w]; w++)
                        assert_false(strlen(f->values[w]) == n &&
                                     !memcmp(f->values[w], z, n));
                    z += n + (z[n] == '|');
                }
            }
        }
    assert_true(lists > 20);
    /* A kind built by hand, its name_len not given, is looked up too. */
    proto_field_def_t bare[] = {{.name = "alpha"}, {.name = "beta"}};
    proto_kind_def_t k = {.name = "x", .fields = bare, .nfields = 2};
    assert_ptr_equal(proto_kind_field(&k, "beta", 4), &bare[1]);
    assert_null(proto_kind_field(&k, "bet", 3));
    assert_null(proto_kind_field(&k, "betas", 5));
}

/* Every enumeration value has Chinese names beside it, each taken in
 * place of the English value (the stored body is the same); a body that
 * holds a Chinese value is refused at ingest: only English is stored. */
static void
test_chinese_values(void **state)
{
    (void)state;
    size_t nk;
    const proto_kind_def_t *kinds = proto_kinds(&nk);
    proto_buf_t en, zh, raw;
    proto_kind_error_t err;
    proto_buf_init(&en);
    proto_buf_init(&zh);
    proto_buf_init(&raw);
    for (size_t i = 0; i < nk; i++)
        for (size_t j = 0; j < kinds[i].nfields; j++) {
            const proto_field_def_t *f = &kinds[i].fields[j];
            assert_non_null(f->zh);
            if (f->type != PROTO_FT_ENUM)
                continue;
            assert_non_null(f->values_zh);
            for (size_t v = 0; f->values[v]; v++) {
                const char *z = f->values_zh[v];
                assert_non_null(z);
                char one[64];
                size_t n = strcspn(z, "|");
                assert_true(n > 0 && n < sizeof one);
                memcpy(one, z, n);
                one[n] = 0;
                const char *nm[1] = {f->name};
                const char *ve[1] = {f->values[v]}, *vz[1] = {one};
                proto_buf_reset(&en);
                proto_buf_reset(&zh);
                proto_kind_def_t k1 = kinds[i];
                k1.fields = f;
                k1.nfields = 1;
                assert_int_equal(proto_kind_body(&k1, nm, ve, 1, &en, &err), 0);
                assert_int_equal(proto_kind_body(&k1, nm, vz, 1, &zh, &err), 0);
                assert_int_equal(en.len, zh.len);
                assert_memory_equal(en.data, zh.data, en.len);
            }
            /* beside values: as many names as values */
            size_t nv = 0;
            while (f->values[nv])
                nv++;
            assert_null(f->values_zh[nv]);
        }
    /* stored: the English value only */
    const proto_kind_def_t *st = proto_kind_find("student");
    proto_field_t fl[3] = {
        {"level", 5, {.type = PROTO_VAL_STR, .s = "中职", .slen = 6}},
        {"intake_year", 11, {.type = PROTO_VAL_INT, .i = 2024}},
        {"status", 6, {.type = PROTO_VAL_STR, .s = "enrolled", .slen = 8}},
    };
    assert_int_equal(proto_body_encode(fl, 3, &raw), 0);
    assert_int_equal(s_check_put(st, S_PSEUDO, &raw, &err), VOCFED_EINVALID);
    assert_string_equal(err.field, "level");
    proto_buf_release(&en);
    proto_buf_release(&zh);
    proto_buf_release(&raw);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies_from_text_pass),
        cmocka_unit_test(test_each_wrong_refused),
        cmocka_unit_test(test_op_and_body),
        cmocka_unit_test(test_school_kind),
        cmocka_unit_test(test_chinese_values),
        cmocka_unit_test(test_enum_names_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
